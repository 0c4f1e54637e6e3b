// The optional process-wide lock that emulates CPython's GIL (Python/ceval_gil.c).
// Pure C++. A pool created with the mode on makes each worker take the lock before it
// runs a task and drop it when the task ends; kernels' checkpoints are the eval-breaker
// checks where a holder hands the lock over on request; blocking regions release it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace corepool {

enum class LockMode : uint8_t {
  Modern = 0,  // CPython >= 3.2: switch interval, drop requests, forced switching
  Legacy = 1,  // CPython < 3.2: release every 100 ticks and race to re-take at once
};

// Counters of one pool's threads (and, summed, of the whole lock). Atomics: written by
// workers, read by the main thread for globalLockStats().
struct LockStats {
  std::atomic<uint64_t> switches{0};       // acquisitions by a thread other than the last holder
  std::atomic<uint64_t> drop_requests{0};  // times a waiter timed out and asked the holder to drop
  std::atomic<uint64_t> forced_waits{0};   // times a holder dropped on request and waited for a taker
  std::atomic<uint64_t> acquisitions{0};
  std::atomic<uint64_t> wait_ns_total{0};  // time spent waiting in take
  std::atomic<uint64_t> wait_ns_max{0};
};

// One worker thread's view of the lock.
struct LockThread {
  std::atomic<uint32_t>* interrupt = nullptr;  // the worker's interrupt word
  LockStats* pool_stats = nullptr;
  LockMode mode = LockMode::Modern;
  // Legacy mode: when this holder's check interval of ticks (counted in holding time)
  // next runs out.
  std::chrono::steady_clock::time_point tick_at{};
  bool holding = false;
  // Assigned by the lock on first use; unlike the address, never reused by a later
  // thread, so a new pool's worker is never mistaken for the last holder.
  uint64_t id = 0;
};

class GlobalLock {
 public:
  static GlobalLock& instance();  // the one process-wide lock

  void take(LockThread& self) { take_unless(self, 0); }
  // take() that gives up, returning false without the lock, once any of `stop_bits` is
  // set in the caller's interrupt word (a task cancelled or timed out before it ran).
  // wake_waiters() makes waiters look at their words at once rather than at their next
  // timeout.
  bool take_unless(LockThread& self, uint32_t stop_bits);
  void wake_waiters();
  void drop(LockThread& self);
  // Called from a checkpoint when the DROP_REQUEST (or, legacy, TICK) bit is set.
  void on_checkpoint(LockThread& self);

  void set_switch_interval(std::chrono::microseconds interval);
  std::chrono::microseconds switch_interval() const;
  // Legacy mode's sys.setcheckinterval: ticks between releases (default 100).
  void set_check_interval(uint32_t ticks);
  uint32_t check_interval() const;
  const LockStats& stats() const { return stats_; }

 private:
  GlobalLock() = default;
  // `start`: when the caller began wanting the lock, before it locked mutex_ (a Legacy
  // holder re-taking at a tick starts wanting it as soon as it has released it).
  bool acquire(std::unique_lock<std::mutex>& lock, LockThread& self, uint32_t stop_bits,
               std::chrono::steady_clock::time_point start);
  void release_locked(LockThread& self, bool tick = false);
  std::chrono::nanoseconds legacy_period() const;  // check interval x tick
  // drop_gil() on a drop request, then take_gil() again (FORCE_SWITCHING in between).
  void drop_on_request(LockThread& self);

  // One mutex guards everything below (CPython splits off switch_mutex; one is simpler
  // and lets a forced-switch wait see the waiter count it depends on).
  std::mutex mutex_;
  std::condition_variable cond_;         // gil->cond: the lock was released (Modern waiters)
  std::condition_variable legacy_cond_;  // the same for Legacy waiters, whom ticks wake
  std::condition_variable switch_cond_;  // FORCE_SWITCHING: another thread took it / left
  bool locked_ = false;
  LockThread* holder_ = nullptr;
  uint64_t last_holder_ = 0;  // LockThread::id
  uint64_t switch_number_ = 0;
  uint64_t releases_ = 0;     // tells a waiter's release wake-up from other wake-ups
  uint32_t waiters_ = 0;  // threads inside take()
  // Those of them in Legacy mode. Changed only under mutex_; atomic so that a Legacy
  // holder's tick can see without the mutex that nobody it releases to waits.
  std::atomic<uint32_t> legacy_waiters_{0};
  uint64_t next_id_ = 0;
  std::atomic<int64_t> interval_us_{5000};
  std::atomic<uint32_t> check_interval_{100};
  LockStats stats_;
};

}  // namespace corepool
