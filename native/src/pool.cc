#include "pool.h"

#include <algorithm>
#include <pthread.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace corepool {
namespace {

constexpr uint32_t kStopBits = COREPOOL_INTERRUPT_CANCEL | COREPOOL_INTERRUPT_DEADLINE;

// One step of a bounded busy-wait: tells the core (and a hyperthread sibling) we spin.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// What a kernel's corepool_ctx points at: the ABI head, then the host's own state.
struct HostContext {
  corepool_ctx head;
  Worker* worker;      // null when a kernel runs synchronously on the caller's thread
  std::string* error;
};

int host_checkpoint_slow(corepool_ctx* ctx) {
  auto* hc = reinterpret_cast<HostContext*>(ctx);
  uint32_t bits = __atomic_load_n(ctx->interrupt, __ATOMIC_RELAXED);
  if (bits & kStopBits) return 1;
  if (hc->worker != nullptr && hc->worker->lock_thread.holding &&
      (bits & (COREPOOL_INTERRUPT_DROP_REQUEST | COREPOOL_INTERRUPT_TICK))) {
    GlobalLock::instance().on_checkpoint(hc->worker->lock_thread);
    return (__atomic_load_n(ctx->interrupt, __ATOMIC_RELAXED) & kStopBits) ? 1 : 0;
  }
  return 0;
}

void host_blocking_begin(corepool_ctx* ctx) {
  auto* hc = reinterpret_cast<HostContext*>(ctx);
  if (hc->worker != nullptr && hc->worker->lock_thread.holding)
    GlobalLock::instance().drop(hc->worker->lock_thread);
}

void host_blocking_end(corepool_ctx* ctx) {
  auto* hc = reinterpret_cast<HostContext*>(ctx);
  if (hc->worker != nullptr && hc->worker->pool->uses_global_lock() &&
      !hc->worker->lock_thread.holding)
    GlobalLock::instance().take(hc->worker->lock_thread);
}

void host_error(corepool_ctx* ctx, const char* message) {
  auto* hc = reinterpret_cast<HostContext*>(ctx);
  if (hc->error->empty()) hc->error->assign(message != nullptr ? message : "kernel failed");
}

uint8_t* host_result_bytes(corepool_ctx*, corepool_result* result, size_t length) {
  std::free(result->bytes);
  result->bytes = static_cast<uint8_t*>(std::malloc(length == 0 ? 1 : length));
  result->length = result->bytes != nullptr ? length : 0;
  return result->bytes;
}

const corepool_host_api kHostApi = {
    COREPOOL_ABI_VERSION, host_checkpoint_slow, host_blocking_begin,
    host_blocking_end,    host_error,           host_result_bytes,
};

// Runs every item of a task; returns the kernel's code for the first item that did not
// finish with COREPOOL_OK.
int run_items(HostContext& hc, Task& task) {
  const corepool_kernel* k = task.kernel;
  corepool_value* args = task.args();
  corepool_result* results = task.results();
  for (uint32_t i = 0; i < task.items; ++i) {
    if (i > 0 && corepool_checkpoint(&hc.head)) return COREPOOL_STOPPED;
    int rc = k->run(&hc.head, args + size_t(i) * k->arg_count, results + i);
    if (rc != COREPOOL_OK) return rc;
    task.items_done = i + 1;
  }
  return COREPOOL_OK;
}

}  // namespace

const corepool_host_api* ThreadPool::host_api() { return &kHostApi; }

int run_inline(const corepool_kernel* kernel, const corepool_value* args,
               corepool_result* result, std::string& error, const uint32_t* interrupt) {
  uint32_t never_interrupted = 0;
  HostContext hc{{&kHostApi, interrupt != nullptr ? interrupt : &never_interrupted}, nullptr, &error};
  int rc = kernel->run(&hc.head, args, result);
  if (rc == COREPOOL_ERROR && error.empty()) error = "kernel failed";
  return rc;
}

ThreadPool::ThreadPool(Options options, CompletionSink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {
  if (options_.workers == 0) options_.workers = 1;
  workers_.reserve(options_.workers);
  for (uint32_t i = 0; i < options_.workers; ++i) {
    auto w = std::make_unique<Worker>();
    w->pool = this;
    w->index = i;
    w->lock_thread.interrupt = &w->interrupt;
    w->lock_thread.pool_stats = &lock_stats_;
    w->lock_thread.mode = options_.lock_mode;
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    Worker* raw = w.get();
    try {
      raw->thread = std::thread([this, raw] { worker_main(*raw); });
    } catch (const std::system_error& e) {
      // Out of OS threads: stop the ones already started and report; no half-built pool.
      start_error_ = std::string("could not start worker thread ") + std::to_string(raw->index) +
                     " of " + std::to_string(options_.workers) + ": " + e.what();
      request_stop();
      join();
      return;
    }
    // Named here, not by the thread itself, so the name is there as soon as the pool is.
    // Linux keeps 15 characters: the end, so that the index survives.
    std::string name = options_.name + "-" + std::to_string(raw->index);
    if (name.size() > 15) name = name.substr(name.size() - 15);
    pthread_setname_np(raw->thread.native_handle(), name.c_str());
  }
}

ThreadPool::~ThreadPool() {
  take_all_queued();  // dropped without reaching the sink: nobody is listening any more
  cancel_running();
  request_stop();
  join();
}

void ThreadPool::push_back(Task* t) {
  t->prev = tail_;
  t->next = nullptr;
  if (tail_) tail_->next = t; else head_ = t;
  tail_ = t;
}

void ThreadPool::unlink(Task* t) {
  if (t->prev) t->prev->next = t->next; else head_ = t->next;
  if (t->next) t->next->prev = t->prev; else tail_ = t->prev;
  t->prev = t->next = nullptr;
}

bool ThreadPool::submit(std::vector<std::unique_ptr<Task>>& tasks) {
  if (tasks.empty()) return true;
  uint32_t wake = 0;
  bool wake_all = false;
  bool any_deadline = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& t : tasks)
      if (t->deadline != Clock::time_point::max() && !ensure_watcher()) {
        start_error_ = "could not start the deadline thread (out of OS threads?)";
        return false;  // nothing queued: a deadline nobody enforces would be a lie
      }
    for (auto& owned : tasks) {
      Task* t = owned.release();
      t->status = TaskStatus::Queued;
      t->canceller_waiting = false;
      t->handed_over.store(false, std::memory_order_relaxed);
      push_back(t);
      if (t->deadline != Clock::time_point::max()) {
        add_deadline(*t, t->deadline);
        any_deadline = true;
      }
    }
    queued_.fetch_add(tasks.size(), std::memory_order_relaxed);
    // Busy workers come back for more on their own; only idle ones need a wake-up.
    wake = uint32_t(std::min<size_t>(tasks.size(), idle_));
    wake_all = wake == idle_ && wake > 1;  // idle_ is only read under the mutex
  }
  tasks.clear();
  if (wake_all) work_cv_.notify_all();
  else for (uint32_t i = 0; i < wake; ++i) work_cv_.notify_one();
  if (any_deadline) watcher_cv_.notify_one();
  return true;
}

void ThreadPool::worker_main(Worker& w) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    while (head_ == nullptr && !stopping_) {
      ++idle_;
      work_cv_.wait(lock);
      --idle_;
    }
    if (head_ == nullptr) break;  // stopping and drained
    Task* t = head_;
    unlink(t);
    queued_.fetch_sub(1, std::memory_order_relaxed);
    t->started = Clock::now();
    if (t->deadline <= t->started || t->run_timeout == Clock::duration::zero()) {
      // Its deadline passed while it waited (or `runTimeout: 0`, as `timeout: 0`): it never runs.
      remove_deadline(*t);
      t->status = TaskStatus::TimedOut;
      t->finished = t->started;
      lock.unlock();
      sink_(std::unique_ptr<Task>(t));
      lock.lock();
      continue;
    }
    t->status = TaskStatus::Running;
    t->taken = true;
    t->worker = &w;
    w.current = t;
    w.interrupt.fetch_and(~kStopBits, std::memory_order_relaxed);
    if (t->run_timeout != Clock::duration::max()) {
      Clock::time_point run_deadline = t->started + t->run_timeout;
      if (run_deadline < t->deadline) {
        remove_deadline(*t);
        add_deadline(*t, run_deadline);
        watcher_cv_.notify_one();
      }
    }
    active_.fetch_add(1, std::memory_order_relaxed);
    lock.unlock();

    int rc = run_task(w, *t);

    lock.lock();
    settle(*t, rc);
    active_.fetch_sub(1, std::memory_order_relaxed);
    w.current = nullptr;
    t->worker = nullptr;
    remove_deadline(*t);
    w.interrupt.fetch_and(~kStopBits, std::memory_order_relaxed);
    if (t->canceller_waiting) {
      // cancel() is waiting for this task: it is the canceller's now, not the sink's, and
      // this thread never touches it again (the release orders every write above).
      t->handed_over.store(true, std::memory_order_release);
      continue;
    }
    lock.unlock();
    sink_(std::unique_ptr<Task>(t));
    lock.lock();
  }
}

int ThreadPool::run_task(Worker& w, Task& t) {
  HostContext hc{{&kHostApi, reinterpret_cast<const uint32_t*>(&w.interrupt)}, &w, &t.error};
  // A task cancelled or timed out while its worker waits for the lock, or just before it
  // starts, never runs (a kernel without checkpoints would otherwise run to the end).
  int rc = COREPOOL_STOPPED;
  if ((!options_.global_lock || GlobalLock::instance().take_unless(w.lock_thread, kStopBits)) &&
      !(w.interrupt.load(std::memory_order_relaxed) & kStopBits))
    rc = run_items(hc, t);
  if (w.lock_thread.holding) GlobalLock::instance().drop(w.lock_thread);
  t.finished = Clock::now();
  return rc;
}

// The earlier of the task's `timeout` deadline and its start plus `runTimeout`.
static Clock::time_point effective_deadline(const Task& t) {
  if (t.run_timeout == Clock::duration::max()) return t.deadline;
  if (t.started >= Clock::time_point::max() - t.run_timeout) return t.deadline;
  return std::min(t.deadline, t.started + t.run_timeout);
}

// Decides a run task's final status. Called with the mutex held. A cancel and a deadline
// hit while the task ran win over whatever it returned, alike: a kernel that never
// checkpoints runs to its end, and its late result (or error) is dropped.
void ThreadPool::settle(Task& t, int rc) {
  if (t.cancel_requested) {
    t.status = TaskStatus::Cancelled;  // once cancel() said yes, a late result is dropped
  } else if (t.deadline_hit || t.finished >= effective_deadline(t)) {
    // Also past a deadline the deadline thread has not raised yet (descheduled on a busy
    // machine): run_task() has just read the clock, and the deadline wins either way.
    t.status = TaskStatus::TimedOut;
  } else if (rc == COREPOOL_OK) {
    t.status = TaskStatus::Ok;
  } else if (rc == COREPOOL_ERROR) {
    t.status = TaskStatus::Error;
    if (t.error.empty()) t.error = "kernel failed";
  } else {
    t.status = TaskStatus::Error;
    t.error = "kernel stopped at a checkpoint with no cancel or deadline pending";
  }
}

// Spins, without the mutex (the workers need it to finish), until every one of `tasks`
// is handed over or `wait` has passed. The tasks cannot go away meanwhile: each has its
// canceller_waiting set, so its worker hands it over instead of passing it to the sink.
bool ThreadPool::await_handover(Task* const* tasks, size_t count, Clock::duration wait) {
  const Clock::time_point until = Clock::now() + wait;
  size_t done = 0;
  for (;;) {
    for (int spin = 0; spin < 16; ++spin) {
      while (done < count && tasks[done]->handed_over.load(std::memory_order_acquire)) ++done;
      if (done == count) return true;
      cpu_relax();
    }
    // No sched_yield here: on a busy machine it hands the CPU to another process for a
    // whole time slice (measured: 4-20 ms per cancel), far past the bound.
    if (Clock::now() >= until) return false;
  }
}

ThreadPool::CancelResult ThreadPool::cancel(Task* t, std::unique_ptr<Task>& removed,
                                            Clock::duration wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (t->status == TaskStatus::Queued) {
    unlink(t);
    queued_.fetch_sub(1, std::memory_order_relaxed);
    remove_deadline(*t);
    t->status = TaskStatus::Cancelled;
    removed.reset(t);
    return CancelResult::Removed;
  }
  if (t->status != TaskStatus::Running) return CancelResult::Finished;
  // Only the first cancel waits: a task that did not stop for it will not for a second.
  const bool waits = !t->cancel_requested && wait > Clock::duration::zero();
  t->cancel_requested = true;
  if (t->worker) t->worker->interrupt.fetch_or(COREPOOL_INTERRUPT_CANCEL, std::memory_order_relaxed);
  // Its worker may be waiting for the global lock: let it see the flag now.
  if (options_.global_lock) GlobalLock::instance().wake_waiters();
  if (!waits) return CancelResult::Running;
  t->canceller_waiting = true;
  lock.unlock();
  if (!await_handover(&t, 1, wait)) {
    lock.lock();
    // Decided under the mutex, where the worker decides too: either it has handed the
    // task over, or from now on it passes it to the sink. Never both.
    if (!t->handed_over.load(std::memory_order_acquire)) {
      t->canceller_waiting = false;
      return CancelResult::Running;
    }
  }
  removed.reset(t);  // settle() made it Cancelled: cancel_requested won
  return CancelResult::Stopped;
}

std::unique_ptr<Task> ThreadPool::take_oldest() {
  std::lock_guard<std::mutex> lock(mutex_);
  Task* t = head_;
  if (t == nullptr) return nullptr;
  unlink(t);
  queued_.fetch_sub(1, std::memory_order_relaxed);
  remove_deadline(*t);
  t->status = TaskStatus::Cancelled;
  return std::unique_ptr<Task>(t);
}

std::vector<std::unique_ptr<Task>> ThreadPool::take_all_queued() {
  std::vector<std::unique_ptr<Task>> out;
  std::lock_guard<std::mutex> lock(mutex_);
  while (Task* t = head_) {
    unlink(t);
    remove_deadline(*t);
    t->status = TaskStatus::Cancelled;
    out.emplace_back(t);
  }
  queued_.store(0, std::memory_order_relaxed);
  return out;
}

std::vector<std::unique_ptr<Task>> ThreadPool::cancel_running(Clock::duration wait) {
  std::vector<Task*> waited;  // at most one per worker
  std::vector<std::unique_ptr<Task>> stopped;
  std::unique_lock<std::mutex> lock(mutex_);
  for (auto& w : workers_) {
    Task* t = w->current;
    if (t == nullptr) continue;
    if (!t->cancel_requested && wait > Clock::duration::zero()) {
      t->canceller_waiting = true;
      waited.push_back(t);
    }
    t->cancel_requested = true;
    w->interrupt.fetch_or(COREPOOL_INTERRUPT_CANCEL, std::memory_order_relaxed);
  }
  if (options_.global_lock) GlobalLock::instance().wake_waiters();
  if (waited.empty()) return stopped;
  lock.unlock();
  // One bound for all of them: they stop in parallel.
  await_handover(waited.data(), waited.size(), wait);
  lock.lock();
  for (Task* t : waited) {
    // As in cancel(): handed over, or from now on the sink's.
    if (t->handed_over.load(std::memory_order_acquire)) stopped.emplace_back(t);
    else t->canceller_waiting = false;
  }
  return stopped;
}

bool ThreadPool::taken(Task* t) {
  std::lock_guard<std::mutex> lock(mutex_);
  return t->taken;
}

void ThreadPool::request_stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
}

void ThreadPool::join() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (joined_) return;
    joined_ = true;
    stopping_ = true;
  }
  work_cv_.notify_all();
  // The watcher outlives the workers: deadlines still hold while the queue drains.
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    watcher_stop_ = true;
  }
  watcher_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void ThreadPool::add_deadline(Task& t, Clock::time_point at) {
  ensure_watcher();  // submit() made sure it runs
  t.deadline_entry = deadlines_.emplace(at, &t);
  t.has_deadline_entry = true;
}

void ThreadPool::remove_deadline(Task& t) {
  if (!t.has_deadline_entry) return;
  deadlines_.erase(t.deadline_entry);
  t.has_deadline_entry = false;
}

// Called with the mutex held. Returns false if the deadline thread cannot be started.
bool ThreadPool::ensure_watcher() {
  if (watcher_.joinable() || watcher_stop_) return true;
  try {
    watcher_ = std::thread([this] { watcher_main(); });
  } catch (const std::system_error&) {
    return false;
  }
  return true;
}

// Enforces deadlines: a queued task past its deadline is removed and completes as
// TimedOut without running; a running one gets its DEADLINE bit and stops at its next
// checkpoint. Kernels thus never read the clock themselves.
void ThreadPool::watcher_main() {
  pthread_setname_np(pthread_self(), (options_.name.substr(0, 12) + "-dl").c_str());
#ifdef __linux__
  // Linux lets a timed wait end up to 50 us late by default (timer slack, to batch
  // wake-ups): a deadline should not pass that much later than asked.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
  std::unique_lock<std::mutex> lock(mutex_);
  std::vector<std::unique_ptr<Task>> expired;
  while (!watcher_stop_) {
    if (deadlines_.empty()) {
      watcher_cv_.wait(lock);
      continue;
    }
    Clock::time_point first = deadlines_.begin()->first;
    Clock::time_point now = Clock::now();
    if (now < first) {
      watcher_cv_.wait_until(lock, first);
      continue;
    }
    bool hit_running = false;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      Task* t = deadlines_.begin()->second;
      remove_deadline(*t);
      if (t->status == TaskStatus::Queued) {
        unlink(t);
        queued_.fetch_sub(1, std::memory_order_relaxed);
        t->status = TaskStatus::TimedOut;
        t->started = t->finished = now;  // it never ran: no run time
        expired.emplace_back(t);
      } else if (t->status == TaskStatus::Running && t->worker != nullptr) {
        t->deadline_hit = true;
        t->worker->interrupt.fetch_or(COREPOOL_INTERRUPT_DEADLINE, std::memory_order_relaxed);
        hit_running = true;
      }
    }
    if (hit_running && options_.global_lock) GlobalLock::instance().wake_waiters();
    if (!expired.empty()) {
      lock.unlock();
      for (auto& t : expired) sink_(std::move(t));
      expired.clear();
      lock.lock();
    }
  }
}

}  // namespace corepool
