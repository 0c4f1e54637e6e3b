#include "pool_object.h"

#include <cmath>
#include <string>

#include "lock_stats_js.h"
#include "wire.h"

namespace corepool {
namespace {

// Record layouts: wire.h.
using wire::kCompletionFields;
using wire::kSubmitHeader;

Clock::duration ms_to_duration(double ms) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

}  // namespace

Napi::Function PoolObject::Define(Napi::Env env) {
  return DefineClass(env, "NativePoolBinding",
                     {
                         InstanceMethod<&PoolObject::Submit>("submit"),
                         InstanceMethod<&PoolObject::Cancel>("cancel"),
                         InstanceMethod<&PoolObject::TakeOldest>("takeOldest"),
                         InstanceMethod<&PoolObject::CancelQueued>("cancelQueued"),
                         InstanceMethod<&PoolObject::CancelRunning>("cancelRunning"),
                         InstanceMethod<&PoolObject::State>("state"),
                         InstanceMethod<&PoolObject::Counts>("counts"),
                         InstanceMethod<&PoolObject::LockStatsJs>("lockStats"),
                         InstanceMethod<&PoolObject::RequestStop>("requestStop"),
                         InstanceMethod<&PoolObject::Close>("close"),
                     });
}

// new NativePoolBinding(workers, name, lockMode, onComplete, records)
//   lockMode: -1 no lock, 0 modern GIL, 1 legacy GIL
//   onComplete(count, objects): settles `count` records written into `records`
PoolObject::PoolObject(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<PoolObject>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber() ||
      !info[3].IsFunction() || !info[4].IsTypedArray()) {
    Napi::TypeError::New(env, "NativePoolBinding(workers, name, lockMode, onComplete, records)")
        .ThrowAsJavaScriptException();
    return;
  }
  registry_ = env.GetInstanceData<KernelRegistry>();
  double workers = info[0].As<Napi::Number>().DoubleValue();
  if (!(workers >= 1 && workers <= 1024)) {
    Napi::RangeError::New(env, "workers must be between 1 and 1024").ThrowAsJavaScriptException();
    return;
  }
  Napi::TypedArray records = info[4].As<Napi::TypedArray>();
  if (records.TypedArrayType() != napi_float64_array ||
      records.ElementLength() < kCompletionFields) {
    Napi::TypeError::New(env, "records must be a Float64Array").ThrowAsJavaScriptException();
    return;
  }
  Napi::Float64Array f64 = records.As<Napi::Float64Array>();
  records_ = f64.Data();
  record_capacity_ = uint32_t(f64.ElementLength() / kCompletionFields);
  records_ref_ = Napi::Reference<Napi::Float64Array>::New(f64, 1);
  on_complete_ = Napi::Reference<Napi::Function>::New(info[3].As<Napi::Function>(), 0);
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "corepool:completions");

  completions_ = CompletionQueue::Create(
      env, [this](std::vector<std::unique_ptr<Task>>& done) { on_completions(done); });
  if (completions_ == nullptr) {
    Napi::Error::New(env, "corepool: could not create the completion handle")
        .ThrowAsJavaScriptException();
    return;
  }
  ThreadPool::Options options;
  options.workers = uint32_t(workers);
  options.name = info[1].As<Napi::String>().Utf8Value();
  int lock_mode = info[2].As<Napi::Number>().Int32Value();
  options.global_lock = lock_mode != wire::kLockNone;
  options.lock_mode = lock_mode == wire::kLockLegacy ? LockMode::Legacy : LockMode::Modern;
  CompletionQueue* queue = completions_;
  pool_ = std::make_unique<ThreadPool>(
      options, [queue](std::unique_ptr<Task> t) { queue->push(std::move(t)); });
  napi_add_async_cleanup_hook(env, &PoolObject::on_env_teardown, this, &cleanup_hook_);
}

PoolObject::~PoolObject() { close_now(); }

void PoolObject::on_env_teardown(napi_async_cleanup_hook_handle, void* arg) {
  static_cast<PoolObject*>(arg)->close_now();
}

// Stops everything at once: queued tasks are dropped, running ones cancelled and joined.
void PoolObject::close_now() {
  if (closed_) return;
  closed_ = true;
  if (pool_) {
    pool_->take_all_queued();
    pool_->cancel_running();
    pool_->join();
    pool_.reset();
  }
  napi_async_cleanup_hook_handle hook = cleanup_hook_;
  cleanup_hook_ = nullptr;
  if (completions_ != nullptr) {
    completions_->close([hook] {
      if (hook != nullptr) napi_remove_async_cleanup_hook(hook);
    });
    completions_ = nullptr;
  } else if (hook != nullptr) {
    napi_remove_async_cleanup_hook(hook);
  }
  for (Slot& s : slots_)
    for (napi_ref r : s.pins) napi_delete_reference(env_, r);
  slots_.clear();
  if (inflight_ > 0 && !on_complete_.IsEmpty()) on_complete_.Unref();
  inflight_ = 0;
}

void PoolObject::set_inflight(int64_t delta) {
  bool was_busy = inflight_ > 0;
  inflight_ += delta;
  bool busy = inflight_ > 0;
  if (busy == was_busy || closed_) return;
  // Busy: the loop stays alive and the callback cannot be collected. Idle: neither.
  completions_->set_busy(busy);
  if (busy) on_complete_.Ref();
  else on_complete_.Unref();
}

Napi::Value PoolObject::Submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) {
    Napi::Error::New(env, "pool is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsArray()) {
    Napi::TypeError::New(env, "submit(records, length, objects)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float64_array) {
    Napi::TypeError::New(env, "records must be a Float64Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double* rec = ta.As<Napi::Float64Array>().Data();
  size_t length = size_t(info[1].As<Napi::Number>().DoubleValue());
  if (length > ta.ElementLength()) length = ta.ElementLength();
  Napi::Array objects = info[2].As<Napi::Array>();

  std::vector<std::unique_ptr<Task>> batch;
  std::vector<std::vector<napi_ref>> pins;
  auto drop_pins = [&] {
    for (auto& p : pins)
      for (napi_ref r : p) napi_delete_reference(env, r);
  };
  Clock::time_point now = Clock::now();
  size_t pos = 0;
  while (pos + kSubmitHeader <= length) {
    double id_d = rec[pos], kernel_d = rec[pos + 1], items_d = rec[pos + 2];
    const corepool_kernel* k = registry_->get(uint32_t(kernel_d));
    if (id_d < 0 && id_d >= -4294967296.0 && k != nullptr && items_d >= 1 && items_d <= 1e7) {
      // Cancelled in JS before it was sent (id stored as -1 - id): skip the record.
      pos += kSubmitHeader + size_t(items_d) * k->arg_count;
      continue;
    }
    if (!(id_d >= 0 && id_d < 4294967295.0) || k == nullptr || !(items_d >= 1 && items_d <= 1e7)) {
      drop_pins();
      Napi::TypeError::New(env, "malformed submission record").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uint32_t items = uint32_t(items_d);
    size_t nargs = size_t(items) * k->arg_count;
    if (pos + kSubmitHeader + nargs > length) {
      drop_pins();
      Napi::TypeError::New(env, "truncated submission record").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto t = std::make_unique<Task>();
    t->id = uint32_t(id_d);
    t->kernel = k;
    t->reserve_items(items, k->arg_count);
    t->submitted = now;
    if (rec[pos + 3] >= 0) t->deadline = now + ms_to_duration(rec[pos + 3]);
    if (rec[pos + 4] > 0) t->run_timeout = ms_to_duration(rec[pos + 4]);
    corepool_value* args = t->args();
    pins.emplace_back();
    const double* a = rec + pos + kSubmitHeader;
    for (size_t i = 0; i < nargs; ++i) {
      uint32_t spec_index = uint32_t(i % k->arg_count);
      corepool_arg_kind kind = k->args[spec_index].kind;
      Napi::Value v;
      const bool is_view = kind == COREPOOL_ARG_BYTES || kind == COREPOOL_ARG_FLOAT64S ||
                           kind == COREPOOL_ARG_INT32S;
      if (is_view || kind == COREPOOL_ARG_STRING || kind == COREPOOL_ARG_SIZE) {
        // Typed arrays, strings and sizes travel in `objects`; the record holds the index.
        v = objects.Get(uint32_t(a[i]));
      } else if (kind == COREPOOL_ARG_BOOL) {
        v = Napi::Boolean::New(env, a[i] != 0);
      } else {
        // Numbers take the fast path: JS validated them against the same spec.
        double d = a[i];
        if (!std::isfinite(d) || d < k->args[spec_index].min || d > k->args[spec_index].max ||
            (kind == COREPOOL_ARG_INT && std::trunc(d) != d)) {
          drop_pins();
          Napi::RangeError::New(env, std::string(k->name) + ": argument '" +
                                         k->args[spec_index].name + "' is out of range")
              .ThrowAsJavaScriptException();
          return env.Undefined();
        }
        if (kind == COREPOOL_ARG_INT) args[i].integer = int64_t(d);
        else args[i].number = d;
        continue;
      }
      if (!read_arg(env, k, spec_index, v, args[i], t->strings)) {
        drop_pins();
        return env.Undefined();
      }
      if (is_view) {
        napi_ref ref = nullptr;
        napi_create_reference(env, v, 1, &ref);
        pins.back().push_back(ref);
      }
    }
    batch.push_back(std::move(t));
    pos += kSubmitHeader + nargs;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    uint32_t id = batch[i]->id;
    if (id >= slots_.size()) slots_.resize(std::max<size_t>(id + 1, slots_.size() * 2));
    if (slots_[id].task != nullptr) {
      // JS reuses an id only after its completion; anything else is a bug, not a crash.
      for (size_t j = i; j < batch.size(); ++j)
        for (napi_ref r : pins[j]) napi_delete_reference(env, r);
      batch.erase(batch.begin() + long(i), batch.end());
      set_inflight(0);
      pool_->submit(batch);
      Napi::Error::New(env, "corepool: task id " + std::to_string(id) + " is still in flight")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    slots_[id].task = batch[i].get();
    slots_[id].pins = std::move(pins[i]);
  }
  set_inflight(int64_t(batch.size()));
  pool_->submit(batch);
  return env.Undefined();
}

void PoolObject::release_slot(uint32_t id) {
  Slot& s = slots_[id];
  s.task = nullptr;
  for (napi_ref r : s.pins) napi_delete_reference(env_, r);
  s.pins.clear();
}

Napi::Value PoolObject::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  auto outcome = [&](wire::CancelOutcome o) { return Napi::Number::New(env, static_cast<int>(o)); };
  if (closed_ || id >= slots_.size() || slots_[id].task == nullptr) return outcome(wire::CancelOutcome::Unknown);
  std::unique_ptr<Task> removed;
  auto r = pool_->cancel(slots_[id].task, removed);
  if (r == ThreadPool::CancelResult::Removed) {
    release_slot(id);
    set_inflight(-1);
    return outcome(wire::CancelOutcome::Removed);
  }
  return outcome(r == ThreadPool::CancelResult::Running ? wire::CancelOutcome::Running : wire::CancelOutcome::Finished);
}

Napi::Value PoolObject::TakeOldest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, -1);
  std::unique_ptr<Task> t = pool_->take_oldest();
  if (!t) return Napi::Number::New(env, -1);
  release_slot(t->id);
  set_inflight(-1);
  return Napi::Number::New(env, t->id);
}

Napi::Value PoolObject::CancelQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array ids = Napi::Array::New(env);
  if (closed_) return ids;
  auto removed = pool_->take_all_queued();
  for (auto& t : removed) {
    ids.Set(ids.Length(), t->id);
    release_slot(t->id);
  }
  set_inflight(-int64_t(removed.size()));
  return ids;
}

Napi::Value PoolObject::CancelRunning(const Napi::CallbackInfo& info) {
  if (!closed_) pool_->cancel_running();
  return info.Env().Undefined();
}

Napi::Value PoolObject::State(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (closed_ || id >= slots_.size() || slots_[id].task == nullptr) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, int(pool_->taken(slots_[id].task) ? TaskStatus::Running : TaskStatus::Queued));
}

Napi::Value PoolObject::Counts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, double(closed_ ? 0 : pool_->queued()));
  out.Set(1u, double(closed_ ? 0 : pool_->active()));
  out.Set(2u, double(closed_ ? 0 : pool_->worker_count()));
  return out;
}

Napi::Value PoolObject::LockStatsJs(const Napi::CallbackInfo& info) {
  if (closed_) return Napi::Object::New(info.Env());
  return lock_stats_to_js(info.Env(), pool_->lock_stats());
}

Napi::Value PoolObject::RequestStop(const Napi::CallbackInfo& info) {
  if (!closed_) pool_->request_stop();
  return info.Env().Undefined();
}

Napi::Value PoolObject::Close(const Napi::CallbackInfo& info) {
  close_now();
  return info.Env().Undefined();
}

void PoolObject::on_completions(std::vector<std::unique_ptr<Task>>& done) {
  if (closed_) return;
  Napi::Env env = env_;
  Napi::HandleScope scope(env);
  size_t i = 0;
  while (i < done.size()) {
    Napi::Array objects = Napi::Array::New(env);
    uint32_t object_count = 0;
    uint32_t n = 0;
    for (; i < done.size() && n < record_capacity_; ++i, ++n) {
      Task& t = *done[i];
      double* r = records_ + size_t(n) * kCompletionFields;
      // A value that is not a number travels in `objects`; the record holds its index.
      auto pass_object = [&](napi_value v) {
        r[2] = object_count;
        objects.Set(object_count++, v);
      };
      r[0] = t.id;
      r[1] = double(int(t.status));
      r[2] = 0;
      r[3] = t.started > t.submitted ? double((t.started - t.submitted).count()) : 0;
      r[4] = t.finished > t.started ? double((t.finished - t.started).count()) : 0;
      if (t.status == TaskStatus::Ok) {
        corepool_result_kind kind = t.kernel->result;
        if (t.items > 1 && kind == COREPOOL_RESULT_UNDEFINED) {
          r[2] = t.items;  // nothing to carry but how many
        } else if (t.items > 1 && (kind == COREPOOL_RESULT_NUMBER || kind == COREPOOL_RESULT_BOOL)) {
          // Scalar results of a chunk travel as one Float64Array, not one JS value each.
          Napi::Float64Array values = Napi::Float64Array::New(env, t.items);
          double* out = values.Data();
          const corepool_result* results = t.results();
          if (kind == COREPOOL_RESULT_NUMBER)
            for (uint32_t k = 0; k < t.items; ++k) out[k] = results[k].number;
          else
            for (uint32_t k = 0; k < t.items; ++k) out[k] = results[k].boolean ? 1 : 0;
          pass_object(values);
        } else if (t.items > 1) {
          Napi::Array values = Napi::Array::New(env, t.items);
          for (uint32_t k = 0; k < t.items; ++k)
            values.Set(k, result_to_js(env, kind, t.results()[k]));
          pass_object(values);
        } else if (kind == COREPOOL_RESULT_NUMBER) {
          r[2] = t.inline_result.number;
        } else if (kind == COREPOOL_RESULT_BOOL) {
          r[2] = t.inline_result.boolean ? 1 : 0;
        } else if (kind != COREPOOL_RESULT_UNDEFINED) {
          pass_object(result_to_js(env, kind, t.inline_result));
        }
      } else if (t.status == TaskStatus::Error) {
        pass_object(Napi::String::New(env, t.error));
      }
      if (t.id < slots_.size() && slots_[t.id].task == &t) release_slot(t.id);
    }
    for (size_t k = i - n; k < i; ++k) done[k].reset();
    // Settle this batch before the loop count drops to zero, so that the callback is
    // still strongly held while it runs.
    Napi::Function fn = on_complete_.Value();
    if (!fn.IsEmpty() && fn.IsFunction()) {
      napi_value argv[2] = {Napi::Number::New(env, n), objects};
      napi_value result;
      napi_status st = napi_make_callback(env, *async_context_, env.Global(), fn, 2, argv, &result);
      if (st == napi_pending_exception) {
        napi_value err;
        napi_get_and_clear_last_exception(env, &err);
        napi_fatal_exception(env, err);
      }
    }
    set_inflight(-int64_t(n));
    if (closed_) return;
  }
}

}  // namespace corepool
