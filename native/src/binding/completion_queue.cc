#include "completion_queue.h"

namespace corepool {

CompletionQueue* CompletionQueue::Create(napi_env env, Drain drain) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return nullptr;
  auto* q = new CompletionQueue();
  q->drain_ = std::move(drain);
  if (uv_async_init(loop, &q->async_, &CompletionQueue::on_async) != 0) {
    delete q;
    return nullptr;
  }
  q->async_.data = q;
  uv_unref(reinterpret_cast<uv_handle_t*>(&q->async_));
  return q;
}

void CompletionQueue::push(std::unique_ptr<Task> task) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake = pending_.empty();
    pending_.push_back(std::move(task));
  }
  // Later pushes before the loop drains ride on the same wake-up.
  if (wake) uv_async_send(&async_);
}

void CompletionQueue::set_busy(bool busy) {
  if (busy == busy_ || closing_) return;
  busy_ = busy;
  if (busy) uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
  else uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
}

void CompletionQueue::drain_now() {
  if (closing_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    draining_.swap(pending_);
  }
  if (!draining_.empty()) drain_(draining_);
  draining_.clear();
}

void CompletionQueue::on_async(uv_async_t* handle) {
  static_cast<CompletionQueue*>(handle->data)->drain_now();
}

void CompletionQueue::close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), [](uv_handle_t* h) {
    auto* q = static_cast<CompletionQueue*>(h->data);
    if (q->on_closed_) q->on_closed_();
    delete q;
  });
}

}  // namespace corepool
