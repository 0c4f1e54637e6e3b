// Mirrors CPython's Python/ceval_gil.c (take_gil / drop_gil, "new GIL" since 3.2),
// mechanism by mechanism; comments name the CPython step each part stands for.
//
// Deliberate departures, each closing a hang CPython avoids by other means:
// - A forced-switch wait (FORCE_SWITCHING) also ends when no thread is left waiting to
//   take the lock, so a waiter that gives up (a cancelled task) cannot strand the holder
//   (CPython's gh-96387 resets the request for an exiting thread; same purpose).
// - Between the two modes the modern rule holds (CPython never mixed them): a Legacy
//   holder's ticks release only to Legacy waiters, and a waiter asks for a drop after one
//   switch interval whenever the holder or the waiter is Modern. Mixed pools thus take
//   turns of one interval; a tick's race alone would hand a Legacy thread that got the
//   lock on request straight back to the Modern waiter, for another whole interval.
// - A wake-up that was not a release (wake_waiters, spurious) keeps the waiter's interval
//   running instead of restarting it, so frequent cancels elsewhere cannot postpone
//   drop requests forever.
#include "global_lock.h"

#include "corepool.h"

namespace corepool {
namespace {

using Clock = std::chrono::steady_clock;

// Legacy mode (CPython < 3.2): release every `check interval` ticks (sys.setcheckinterval,
// default 100). A tick was one pass through ceval's dispatch that did not take the
// fast_next_opcode shortcut: Beazley's count loop (`while n > 0: n -= 1`) makes two per
// iteration (INPLACE_SUBTRACT, JUMP_ABSOLUTE). A checkpoint is not a bytecode (kernels
// space them 0.1 to 100 us apart), so ticks are counted in holding time, at the speed
// of the machine we run on: the count loop takes ~25 ns per iteration on a current x86
// core (python3.11 on the 2-core EPYC we measure on; Debian 12 has no Python 2.7 to
// time, so we take it to be as fast), so a tick is 12.5 ns and 100 ticks are 1.25 us.
// (Beazley's 2009 MacBook ran the loop at 123 ns, 100 ticks every ~6 us; that era's tick
// with today's cheaper futex wake-ups would mix two machines and understate the cost.)
constexpr int64_t kLegacyTickPicos = 12500;

void add_wait(LockStats& s, uint64_t ns) {
  s.wait_ns_total.fetch_add(ns, std::memory_order_relaxed);
  uint64_t prev = s.wait_ns_max.load(std::memory_order_relaxed);
  while (ns > prev && !s.wait_ns_max.compare_exchange_weak(prev, ns, std::memory_order_relaxed)) {
  }
}

template <typename F>
void count(LockThread& self, LockStats& global, F field) {
  (global.*field).fetch_add(1, std::memory_order_relaxed);
  if (self.pool_stats) (self.pool_stats->*field).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

GlobalLock& GlobalLock::instance() {
  static GlobalLock* lock = new GlobalLock();  // never destroyed: threads may outlive statics
  return *lock;
}

void GlobalLock::set_switch_interval(std::chrono::microseconds interval) {
  interval_us_.store(interval.count() < 1 ? 1 : interval.count(), std::memory_order_relaxed);
}

std::chrono::microseconds GlobalLock::switch_interval() const {
  return std::chrono::microseconds(interval_us_.load(std::memory_order_relaxed));
}

void GlobalLock::set_check_interval(uint32_t ticks) {
  check_interval_.store(ticks < 1 ? 1 : ticks, std::memory_order_relaxed);
}

uint32_t GlobalLock::check_interval() const {
  return check_interval_.load(std::memory_order_relaxed);
}

std::chrono::nanoseconds GlobalLock::legacy_period() const {
  return std::chrono::nanoseconds(int64_t(check_interval()) * kLegacyTickPicos / 1000);
}

bool GlobalLock::take_unless(LockThread& self, uint32_t stop_bits) {
  Clock::time_point start = Clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  return acquire(lock, self, stop_bits, start);
}

void GlobalLock::wake_waiters() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (waiters_ > legacy_waiters_) cond_.notify_all();
  if (legacy_waiters_ > 0) legacy_cond_.notify_all();
}

// take_gil(). Called with mutex_ held; returns with it held.
bool GlobalLock::acquire(std::unique_lock<std::mutex>& lock, LockThread& self,
                         uint32_t stop_bits, Clock::time_point start) {
  if (self.id == 0) self.id = ++next_id_;
  if (locked_) {
    ++waiters_;
    if (self.mode == LockMode::Legacy) ++legacy_waiters_;
    uint64_t saved_switchnum = switch_number_;
    uint64_t saved_releases = releases_;
    auto interval = std::chrono::microseconds(interval_us_.load(std::memory_order_relaxed));
    Clock::time_point request_at = Clock::now() + interval;
    while (locked_) {
      if (stop_bits != 0 && (self.interrupt->load(std::memory_order_relaxed) & stop_bits)) {
        // Leaving without the lock. It is held, so no release's signal is lost with us;
        // a holder in a forced-switch wait may be waiting for us in particular.
        --waiters_;
        if (self.mode == LockMode::Legacy) --legacy_waiters_;
        switch_cond_.notify_all();
        return false;
      }
      std::condition_variable& cond = self.mode == LockMode::Legacy ? legacy_cond_ : cond_;
      bool timed_out = cond.wait_until(lock, request_at) == std::cv_status::timeout;
      Clock::time_point now = Clock::now();
      interval = std::chrono::microseconds(interval_us_.load(std::memory_order_relaxed));
      // CPython starts a new interval after every signalled wake-up, and after a timeout
      // asks for a drop unless the lock changed hands meanwhile. Legacy threads pass it
      // among themselves at their ticks, which signal only Legacy waiters: to a Modern
      // waiter they are one holder, whom it asks after one interval like any other.
      bool changed_hands = switch_number_ != saved_switchnum &&
                           !(self.mode == LockMode::Modern && holder_ != nullptr &&
                             holder_->mode == LockMode::Legacy);
      if (changed_hands || (!timed_out && releases_ != saved_releases)) {
        saved_switchnum = switch_number_;
        saved_releases = releases_;
        request_at = now + interval;
        continue;
      }
      // Nobody took the lock during a whole interval: ask the holder to drop it.
      // (SET_GIL_DROP_REQUEST; between Legacy threads the ticks do it instead.)
      if (now >= request_at && locked_) {
        if (holder_ != nullptr &&
            (holder_->mode == LockMode::Modern || self.mode == LockMode::Modern)) {
          holder_->interrupt->fetch_or(COREPOOL_INTERRUPT_DROP_REQUEST,
                                       std::memory_order_relaxed);
          count(self, stats_, &LockStats::drop_requests);
        }
        request_at = now + interval;
      }
    }
    --waiters_;
    if (self.mode == LockMode::Legacy) --legacy_waiters_;
  }
  // _ready:
  locked_ = true;
  holder_ = &self;
  self.holding = true;
  count(self, stats_, &LockStats::acquisitions);
  if (last_holder_ != self.id) {
    last_holder_ = self.id;
    ++switch_number_;
    count(self, stats_, &LockStats::switches);
    // FORCE_SWITCHING: wake a holder that dropped on request and waits for a taker.
    switch_cond_.notify_all();
  }
  // RESET_GIL_DROP_REQUEST: a request aimed at us before we held the lock is stale.
  self.interrupt->fetch_and(~COREPOOL_INTERRUPT_DROP_REQUEST, std::memory_order_relaxed);
  if (self.mode == LockMode::Legacy) {
    self.tick_at = Clock::now() + legacy_period();
    self.interrupt->fetch_or(COREPOOL_INTERRUPT_TICK, std::memory_order_relaxed);
  }
  uint64_t waited = uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  add_wait(stats_, waited);
  if (self.pool_stats) add_wait(*self.pool_stats, waited);
  return true;
}

// The first half of drop_gil(): unlock and signal one waiter (a Legacy tick: one Legacy
// waiter). mutex_ held.
void GlobalLock::release_locked(LockThread& self, bool tick) {
  locked_ = false;
  holder_ = nullptr;
  self.holding = false;
  ++releases_;
  self.interrupt->fetch_and(~(COREPOOL_INTERRUPT_DROP_REQUEST | COREPOOL_INTERRUPT_TICK),
                            std::memory_order_relaxed);
  if (!tick && waiters_ > legacy_waiters_) cond_.notify_one();
  else if (legacy_waiters_ > 0) legacy_cond_.notify_one();
}

void GlobalLock::drop(LockThread& self) {
  if (!self.holding) return;
  std::lock_guard<std::mutex> lock(mutex_);
  release_locked(self);
}

// The eval breaker: a holder at a safe point.
void GlobalLock::on_checkpoint(LockThread& self) {
  if (!self.holding) return;
  uint32_t bits = self.interrupt->load(std::memory_order_relaxed);
  if (bits & COREPOOL_INTERRUPT_DROP_REQUEST) {
    drop_on_request(self);
    return;
  }
  if (self.mode != LockMode::Legacy) return;
  // Release every check interval and race to take it again at once: on a multicore the
  // releasing thread usually wins, the waiter's wake-up was for nothing.
  Clock::time_point now = Clock::now();
  if (now < self.tick_at) return;
  if (legacy_waiters_.load(std::memory_order_relaxed) == 0) {
    // No Legacy thread waits: Python 2's release and re-take of an uncontended lock were
    // two atomic operations on its semaphore, which changed nothing; so nothing happens.
    // (A waiter arriving now waits for the next tick, as it would have behind the
    // re-take; a Modern waiter asks for a drop after its interval.)
    self.tick_at = now + legacy_period();
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  release_locked(self, /*tick=*/true);
  // From here on this thread wants the lock back: all of it is time waited in take,
  // most of it inside unlock(), whose futex wake of the waiter is the old lock's cost.
  Clock::time_point start = Clock::now();
  lock.unlock();  // the window in which a woken waiter may win the race
  lock.lock();
  acquire(lock, self, 0, start);
}

void GlobalLock::drop_on_request(LockThread& self) {
  std::unique_lock<std::mutex> lock(mutex_);
  release_locked(self);
  // FORCE_SWITCHING: since the drop was forced, wait until another thread actually took
  // the lock, so that we do not grab it straight back; but not for a taker that is gone.
  if (last_holder_ == self.id && waiters_ > 0) {
    count(self, stats_, &LockStats::forced_waits);
    switch_cond_.wait(lock, [&] { return last_holder_ != self.id || waiters_ == 0; });
  }
  acquire(lock, self, 0, Clock::now());
}

}  // namespace corepool
