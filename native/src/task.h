// One task: which kernel, its arguments, its deadline, its state and its result.
// Pure C++; the pool moves it between the queue, a worker and the completion sink.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "corepool.h"

namespace corepool {

using Clock = std::chrono::steady_clock;

enum class TaskStatus : uint8_t {
  Queued = 0,
  Running = 1,
  Ok = 2,
  Error = 3,
  Cancelled = 4,
  TimedOut = 5,
};

inline bool is_final(TaskStatus s) { return s >= TaskStatus::Ok; }

// Frees result bytes allocated through corepool_result_bytes.
struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

struct Task {
  Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  // Moves are for recycle() only: a queued Task's address is its identity.
  Task& operator=(Task&&) = default;

  // Intrusive links of the pool's queue: O(1) removal on cancel, no allocation.
  Task* prev = nullptr;
  Task* next = nullptr;

  const corepool_kernel* kernel = nullptr;
  uint32_t id = 0;      // the binding's slot id; the core never interprets it
  uint32_t items = 1;   // > 1: a chunk (map's chunksize) of `items` argument tuples
  uint32_t items_done = 0;

  // items * kernel->arg_count values; a single small call needs no allocation.
  static constexpr uint32_t kInlineArgs = 4;
  corepool_value inline_args[kInlineArgs] = {};
  std::unique_ptr<corepool_value[]> many_args;
  // UTF-8 copies of string arguments, owned for the task's life (args point into them).
  std::vector<std::unique_ptr<char[]>> strings;
  // Copies of typed arrays on ordinary (detachable) ArrayBuffers, owned for the task's
  // life (args point into them): JS cannot free them under the kernel.
  std::vector<std::unique_ptr<uint8_t[], FreeDeleter>> buffers;
  corepool_value* args() { return many_args ? many_args.get() : inline_args; }

  // One result per item; results[0] for a single call.
  corepool_result inline_result = {};
  std::unique_ptr<corepool_result[]> many_results;
  corepool_result* results() { return many_results ? many_results.get() : &inline_result; }

  Clock::time_point deadline = Clock::time_point::max();  // from submit: `timeout`
  Clock::duration run_timeout = Clock::duration::zero();  // from start: `runTimeout`
  Clock::time_point submitted, started, finished;

  TaskStatus status = TaskStatus::Queued;  // guarded by the pool's mutex
  bool cancel_requested = false;           // guarded by the pool's mutex
  bool deadline_hit = false;               // guarded by the pool's mutex
  bool taken = false;                      // a worker took it (guarded by the pool's mutex)
  std::string error;                       // status == Error

  // cancel() of the running task waits for it to stop (guarded by the pool's mutex): its
  // worker then hands the task back through `handed_over` instead of the sink.
  bool canceller_waiting = false;
  // Set (release) by the worker, with the mutex held, once it handed the task over to a
  // waiting cancel(); from then on the task is the canceller's and the worker never
  // touches it again. Reset when the task is queued, and by recycle() (a moved-to Task
  // starts unset: std::atomic itself cannot be moved).
  struct HandoverFlag : std::atomic<bool> {
    HandoverFlag() : std::atomic<bool>(false) {}
    HandoverFlag(HandoverFlag&&) noexcept : std::atomic<bool>(false) {}
    HandoverFlag& operator=(HandoverFlag&&) noexcept {
      store(false, std::memory_order_relaxed);
      return *this;
    }
  };
  HandoverFlag handed_over;

  // Set while the task runs (guarded by the pool's mutex): whose interrupt word to raise.
  struct Worker* worker = nullptr;
  // Registration in the pool's deadline index, when the task has a deadline.
  bool has_deadline_entry = false;
  std::multimap<Clock::time_point, Task*>::iterator deadline_entry;

  // Allocates per-item storage for `n` items of `arg_count` arguments.
  void reserve_items(uint32_t n, uint32_t arg_count) {
    items = n;
    if (n * arg_count > kInlineArgs) many_args.reset(new corepool_value[size_t(n) * arg_count]());
    if (n > 1) many_results.reset(new corepool_result[n]());
  }

  // Back to the state of a new Task, for reuse (TaskRecycler): what it owns is freed.
  void recycle() {
    free_result_bytes();
    *this = Task();
  }

  ~Task() { free_result_bytes(); }

 private:
  void free_result_bytes() {
    corepool_result* r = results();
    // Tested first: a chunk of numbers has no bytes, and a call per item to free(nullptr)
    // was half of settling a 10^4-item chunk of isPrime.
    for (uint32_t i = 0; i < items; ++i)
      if (r[i].bytes != nullptr) std::free(r[i].bytes);
  }
};

}  // namespace corepool
