// ThreadPool: corepool's own worker threads (never libuv's), one FIFO queue, per-task
// cancel flags and deadlines. Pure C++: it knows nothing of Node; finished tasks leave
// through the CompletionSink, which the binding turns into batched JS callbacks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "global_lock.h"
#include "task.h"

namespace corepool {

struct Worker {
  // The word every checkpoint loads: CANCEL | DEADLINE | DROP_REQUEST | TICK bits.
  alignas(64) std::atomic<uint32_t> interrupt{0};
  Task* current = nullptr;  // guarded by the pool's mutex
  LockThread lock_thread;
  std::thread thread;
  class ThreadPool* pool = nullptr;
  uint32_t index = 0;
};

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "the C ABI reads the interrupt word as a plain uint32_t");

class ThreadPool {
 public:
  // Receives every task that was submitted, exactly once, when it reached a final
  // status — except tasks handed back to the caller by cancel(), take_oldest(),
  // take_all_queued() or cancel_running().
  // Called on a worker or the deadline thread: must be thread-safe and quick.
  using CompletionSink = std::function<void(std::unique_ptr<Task>)>;

  struct Options {
    uint32_t workers = 1;
    std::string name = "corepool";
    bool global_lock = false;
    LockMode lock_mode = LockMode::Modern;
  };

  // If a thread cannot be started (out of OS threads), the ones already started are
  // joined and start_error() says why; such a pool must not be used, only destroyed.
  ThreadPool(Options options, CompletionSink sink);
  const std::string& start_error() const { return start_error_; }  // main thread
  ~ThreadPool();  // cancels everything and joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues tasks in order and wakes only as many idle workers as there are new tasks.
  // Returns false, queuing nothing and leaving `tasks` as they are, if a task has a
  // deadline and the deadline thread cannot be started (start_error() says so).
  bool submit(std::vector<std::unique_ptr<Task>>& tasks);

  // How long cancel() of a running task (and cancel_running()) busy-waits, on the caller's
  // thread, for the task to stop. A kernel that checkpoints stops a few microseconds after
  // its stop word is raised (measured on the 2-core dev VM, load ~1: spin's run returns
  // 2-20 us after cancel() begins, p90 35 us); handing the task back at once spares the
  // completion's trip through the sink and the JS thread's wake-up, and the caller sees the
  // task CANCELLED at once. The bound caps what a kernel that does not checkpoint, or a
  // worker the OS has descheduled (at load 8-12 it often is, for milliseconds), costs the
  // caller: then the task reaches the sink as before. A failed wait is not free (the
  // caller's CPU is kept from the worker too), hence the binding's callers back off after
  // one (lib/native/engine.ts STOP_WAIT_BACKOFF).
  static constexpr std::chrono::microseconds kStopWait{50};

  enum class CancelResult { Removed, Running, Finished, Stopped };
  // Removed: the task was queued and is handed back (in `removed`); Running: its cancel
  // flag is raised (and it did not stop within `wait`); Finished: it is already on its
  // way to the sink; Stopped: it was running, stopped within `wait` and is handed back,
  // Cancelled, in `removed`. A task handed back never reaches the sink. Only the first
  // cancel of a running task waits.
  CancelResult cancel(Task* task, std::unique_ptr<Task>& removed,
                      Clock::duration wait = Clock::duration::zero());
  // The queued task at the front (discardOldest), or null.
  std::unique_ptr<Task> take_oldest();
  // Every queued task (shutdown cancelFutures), in queue order.
  std::vector<std::unique_ptr<Task>> take_all_queued();
  // Raises the cancel flag of every running task (shutdown cancelRunning) and waits up to
  // `wait`, once for all of them, for them to stop: those that did are handed back,
  // Cancelled, and never reach the sink.
  std::vector<std::unique_ptr<Task>> cancel_running(Clock::duration wait = Clock::duration::zero());
  // Workers finish the queue, then exit. join() waits for them.
  void request_stop();
  void join();

  // Whether a worker has taken the task (it may have finished since).
  bool taken(Task* task);
  uint32_t worker_count() const { return uint32_t(workers_.size()); }
  size_t queued() const { return queued_.load(std::memory_order_relaxed); }
  size_t active() const { return active_.load(std::memory_order_relaxed); }
  const LockStats& lock_stats() const { return lock_stats_; }
  bool uses_global_lock() const { return options_.global_lock; }

  // The interrupt word, kernel context and host services of a running task.
  static const corepool_host_api* host_api();

 private:
  void worker_main(Worker& worker);
  int run_task(Worker& worker, Task& task);
  void settle(Task& task, int rc);
  bool await_handover(Task* const* tasks, size_t count, Clock::duration wait);
  void watcher_main();
  bool ensure_watcher();
  void add_deadline(Task& task, Clock::time_point at);
  void remove_deadline(Task& task);
  void push_back(Task* task);
  void unlink(Task* task);

  Options options_;
  CompletionSink sink_;
  std::vector<std::unique_ptr<Worker>> workers_;

  std::mutex mutex_;
  std::condition_variable work_cv_;
  Task* head_ = nullptr;
  Task* tail_ = nullptr;
  std::atomic<size_t> queued_{0};
  std::atomic<size_t> active_{0};
  uint32_t idle_ = 0;
  bool stopping_ = false;

  // Deadlines of queued and running tasks, served by one lazily started thread.
  std::multimap<Clock::time_point, Task*> deadlines_;
  std::condition_variable watcher_cv_;
  std::thread watcher_;
  bool watcher_stop_ = false;
  bool joined_ = false;

  LockStats lock_stats_;
  std::string start_error_;
};

// Runs one call of a kernel on the calling thread (kernel.runSync, callerRuns), no global
// lock. `interrupt`, when given, is the caller's stop word (a WorkerPool task's word in a
// SharedArrayBuffer, written by other threads with atomics): the kernel's checkpoints read
// it, so the kernel stops with the task. Returns the kernel's COREPOOL_* code.
int run_inline(const corepool_kernel* kernel, const corepool_value* args,
               corepool_result* result, std::string& error,
               const uint32_t* interrupt = nullptr);

}  // namespace corepool
