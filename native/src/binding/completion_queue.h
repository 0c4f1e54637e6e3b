// Carries finished tasks from worker threads to the JS thread. Workers push; the first
// push into an empty queue calls uv_async_send, so one wake-up of the event loop serves
// any number of completions, and the loop drains them all in one go.
#pragma once

#include <napi.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "../task.h"

namespace corepool {

class CompletionQueue {
 public:
  using Drain = std::function<void(std::vector<std::unique_ptr<Task>>&)>;

  // Creates the uv_async handle on `env`'s loop, unreferenced (an idle pool must not
  // keep the process alive). Returns null on failure.
  static CompletionQueue* Create(napi_env env, Drain drain);

  void push(std::unique_ptr<Task> task);  // any thread
  // Main thread: keeps the loop alive while `busy`.
  void set_busy(bool busy);
  // Main thread: runs the drain now, for what is already queued.
  void drain_now();
  // Main thread, once: closes the handle; the queue deletes itself when libuv is done.
  // Tasks still queued are dropped with it.
  void close(std::function<void()> on_closed);

 private:
  CompletionQueue() = default;
  static void on_async(uv_async_t* handle);

  uv_async_t async_{};
  Drain drain_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Task>> pending_;
  std::vector<std::unique_ptr<Task>> draining_;
  bool busy_ = false;
  bool closing_ = false;
  std::function<void()> on_closed_;
};

}  // namespace corepool
