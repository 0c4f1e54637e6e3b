// Mirrors CPython's Python/ceval_gil.c (take_gil / drop_gil, "new GIL" since 3.2),
// mechanism by mechanism; comments name the CPython step each part stands for.
#include "global_lock.h"

#include "corepool.h"

namespace corepool {
namespace {

using Clock = std::chrono::steady_clock;

// Legacy mode (CPython < 3.2, sys.setcheckinterval(100)): release every 100 ticks.
constexpr uint32_t kLegacyCheckInterval = 100;

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

// take_gil()
void GlobalLock::take(LockThread& self) {
  Clock::time_point start = Clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (locked_) {
    if (self.mode == LockMode::Legacy) {
      // The old lock had no timeout and no drop request: wait for a release and race.
      cond_.wait(lock);
      continue;
    }
    uint64_t saved_switchnum = switch_number_;
    auto interval = std::chrono::microseconds(interval_us_.load(std::memory_order_relaxed));
    bool timed_out = cond_.wait_for(lock, interval) == std::cv_status::timeout;
    // Nobody took the lock during a whole interval: ask the holder to drop it.
    if (timed_out && locked_ && switch_number_ == saved_switchnum && holder_ != nullptr) {
      holder_->interrupt->fetch_or(COREPOOL_INTERRUPT_DROP_REQUEST, std::memory_order_relaxed);
      count(self, stats_, &LockStats::drop_requests);
    }
  }
  locked_ = true;
  holder_ = &self;
  self.holding = true;
  count(self, stats_, &LockStats::acquisitions);
  if (last_holder_.load(std::memory_order_relaxed) != &self) {
    last_holder_.store(&self, std::memory_order_relaxed);
    ++switch_number_;
    count(self, stats_, &LockStats::switches);
  }
  // FORCE_SWITCHING: wake a holder that dropped on request and waits for a taker.
  {
    std::lock_guard<std::mutex> switch_lock(switch_mutex_);
    switch_cond_.notify_all();
  }
  // RESET_GIL_DROP_REQUEST: a request aimed at us before we held the lock is stale.
  self.interrupt->fetch_and(~COREPOOL_INTERRUPT_DROP_REQUEST, std::memory_order_relaxed);
  if (self.mode == LockMode::Legacy) {
    self.ticks = 0;
    self.interrupt->fetch_or(COREPOOL_INTERRUPT_TICK, std::memory_order_relaxed);
  }
  lock.unlock();
  uint64_t waited = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 Clock::now() - start).count());
  add_wait(stats_, waited);
  if (self.pool_stats) add_wait(*self.pool_stats, waited);
}

// The first half of drop_gil(): unlock and signal one waiter.
void GlobalLock::release(LockThread& self) {
  std::lock_guard<std::mutex> lock(mutex_);
  locked_ = false;
  holder_ = nullptr;
  self.holding = false;
  self.interrupt->fetch_and(~(COREPOOL_INTERRUPT_DROP_REQUEST | COREPOOL_INTERRUPT_TICK),
                            std::memory_order_relaxed);
  cond_.notify_one();
}

void GlobalLock::drop(LockThread& self) {
  if (self.holding) release(self);
}

// The eval breaker: a holder at a safe point.
void GlobalLock::on_checkpoint(LockThread& self) {
  if (!self.holding) return;
  if (self.mode == LockMode::Legacy) {
    // Release every 100 ticks and race to take it again at once: on a multicore the
    // releasing thread usually wins, the waiter's wake-up was for nothing.
    if (++self.ticks < kLegacyCheckInterval) return;
    release(self);
    take(self);
    return;
  }
  uint32_t bits = self.interrupt->load(std::memory_order_relaxed);
  if (!(bits & COREPOOL_INTERRUPT_DROP_REQUEST)) return;
  release(self);
  // FORCE_SWITCHING: since the drop was forced, wait until another thread actually took
  // the lock, so that we do not grab it straight back.
  {
    std::unique_lock<std::mutex> switch_lock(switch_mutex_);
    if (last_holder_.load(std::memory_order_relaxed) == &self) {
      count(self, stats_, &LockStats::forced_waits);
      switch_cond_.wait(switch_lock, [&] {
        return last_holder_.load(std::memory_order_relaxed) != &self;
      });
    }
  }
  take(self);
}

}  // namespace corepool
