// The JS-facing pool: owns a ThreadPool and its CompletionQueue, turns batches of
// submission records into tasks in one call, and settles batches of completions in
// one JS call. Knows nothing of what kernels do.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "../pool.h"
#include "buffer_args.h"
#include "completion_queue.h"
#include "kernel_registry.h"
#include "submit_records.h"
#include "../task_recycler.h"

namespace corepool {

class PoolObject : public Napi::ObjectWrap<PoolObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PoolObject(const Napi::CallbackInfo& info);
  ~PoolObject() override;

 private:
  // How many finished Tasks a pool keeps for reuse: enough for a steady stream of tiny
  // tasks (up to this many in flight) to allocate none; about 300 bytes each, so an idle
  // pool holds at most ~1.2 MB after a burst (65536 would keep ~20 MB per pool for good,
  // and a burst larger than the cap allocates most of its Tasks fresh anyway).
  static constexpr size_t kKeepIdleTasks = 1u << 12;
  // Where each in-flight task is, by the slot id JS gave it, the typed arrays it pins
  // until it is done (buffer_args.h), and, for a task refused at submit, the error its
  // Future fails with.
  struct Slot {
    Task* task = nullptr;
    std::vector<ViewPin> pins;
    napi_ref refusal = nullptr;
  };
  // What decoding one record's arguments came to.
  enum class Decoded { Ok, Refused, Malformed, EnvGone };

  Napi::Value Submit(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value TakeOldest(const Napi::CallbackInfo& info);
  Napi::Value CancelQueued(const Napi::CallbackInfo& info);
  Napi::Value CancelRunning(const Napi::CallbackInfo& info);
  Napi::Value State(const Napi::CallbackInfo& info);
  Napi::Value Counts(const Napi::CallbackInfo& info);
  Napi::Value LockStatsJs(const Napi::CallbackInfo& info);
  Napi::Value RequestStop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  Decoded decode_args(Napi::Env env, const wire::Record& r, Napi::Array objects,
                      uint32_t object_count, Task& t, std::vector<ViewPin>& pins,
                      napi_value& refusal);
  void on_completions(std::vector<std::unique_ptr<Task>>& done);
  void release_slot(uint32_t id);
  void take_stopped(Task& t, double* times);
  void set_inflight(int64_t delta);
  void close_now();
  static void on_env_teardown(napi_async_cleanup_hook_handle handle, void* arg);

  Napi::Env env_;
  const KernelRegistry* registry_ = nullptr;
  std::unique_ptr<ThreadPool> pool_;
  CompletionQueue* completions_ = nullptr;  // deletes itself after close
  std::vector<Slot> slots_;
  // Finished Tasks reused by the next Submit (taken and given on the JS thread only).
  TaskRecycler recycler_{kKeepIdleTasks};
  int64_t inflight_ = 0;
  Napi::FunctionReference on_complete_;  // strong only while tasks are in flight
  Napi::Reference<Napi::Float64Array> records_ref_;
  double* records_ = nullptr;
  uint32_t record_capacity_ = 0;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;
  bool closed_ = false;
};

}  // namespace corepool
