#include "pool_object.h"

#include <cmath>
#include <string>

#include "env_alive.h"
#include "lock_stats_js.h"
#include "wire.h"

namespace corepool {
namespace {

// Record layouts: wire.h.
using wire::kCompletionFields;
using wire::kSubmitHeader;
using wire::ms_to_duration;

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
//   onComplete(count, objects): settles `count` records written into `records`; `objects`
//   (undefined if no record needs one) holds the results and messages records point to
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
  if (!pool_->start_error().empty()) {
    std::string why = pool_->start_error();
    close_now();  // joins what did start: no half-built pool is left behind
    Napi::Error::New(env, "corepool: " + why).ThrowAsJavaScriptException();
    return;
  }
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
  for (uint32_t id = 0; id < slots_.size(); ++id) release_slot(id);
  // A closed pool holds none of its peak memory: the slot table's capacity and the idle
  // Tasks (the JS object may live on long after shutdown, and V8 never sees this memory).
  std::vector<Slot>().swap(slots_);
  recycler_.clear();
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

namespace {

// A record's task before its slot is registered.
struct Pending {
  std::unique_ptr<Task> task;
  std::vector<ViewPin> pins;
  napi_ref refusal = nullptr;  // the error a refused record's Future fails with
};

void drop_pending(napi_env env, std::vector<Pending>& batch) {
  for (Pending& p : batch) {
    release_pins(env, p.pins);
    if (p.refusal != nullptr) napi_delete_reference(env, p.refusal);
  }
  batch.clear();
}

}  // namespace

// Reads the arguments of record `r` into `t`. Refused: the native guard threw (an argument
// detached between submit and the send, an out-of-range number, no memory for a copy) and
// `refusal` holds that error, now cleared. Malformed: the record itself is wrong (a bug in
// the JS side, not the user's input). EnvGone: nothing more may be asked of `env`.
PoolObject::Decoded PoolObject::decode_args(Napi::Env env, const wire::Record& r,
                                            Napi::Array objects, uint32_t object_count,
                                            Task& t, std::vector<ViewPin>& pins,
                                            napi_value& refusal) {
  auto refuse = [&]() {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || !pending ||
        napi_get_and_clear_last_exception(env, &refusal) != napi_ok)
      return Decoded::EnvGone;  // swallowed: the environment is being torn down
    return Decoded::Refused;
  };
  const corepool_kernel* k = r.kernel;
  corepool_value* args = t.args();
  auto out_of_range = [&](const corepool_arg_spec& spec) {
    Napi::RangeError::New(env, std::string(k->name) + ": argument '" + spec.name +
                                   "' is out of range")
        .ThrowAsJavaScriptException();
    return refuse();
  };
  if (k->arg_count == 1 && !by_object(k->args[0].kind)) {
    // One number per item (map over numbers, often a typed array's slice): one tight
    // loop over the record, the same guard as below.
    const corepool_arg_spec& spec = k->args[0];
    if (spec.kind == COREPOOL_ARG_INT && spec.min >= -9223372036854775808.0 &&
        spec.max < 9223372036854775808.0) {
      // Branch-free, checked once at the end: an integer in [min, max] (NaN fails the
      // comparisons; the bounds keep the cast within int64, so it is defined).
      const double lo = spec.min, hi = spec.max;
      bool ok = true;
      for (size_t i = 0; i < r.arg_numbers; ++i) {
        const double d = r.args[i];
        const bool in = d >= lo && d <= hi;
        const double clamped = in ? d : 0;
        args[i].integer = int64_t(clamped);
        ok &= in & (double(args[i].integer) == clamped);
      }
      return ok ? Decoded::Ok : out_of_range(spec);
    }
    for (size_t i = 0; i < r.arg_numbers; ++i)
      if (!wire::decode_scalar(spec, r.args[i], args[i])) return out_of_range(spec);
    return Decoded::Ok;
  }
  CopySpace copies(t);
  for (size_t i = 0; i < r.arg_numbers; ++i) {
    const uint32_t spec_index = uint32_t(i % k->arg_count);
    const corepool_arg_spec& spec = k->args[spec_index];
    if (!by_object(spec.kind)) {
      // Numbers and booleans take the fast path: JS checked them against the same spec.
      if (wire::decode_scalar(spec, r.args[i], args[i])) continue;
      return out_of_range(spec);
    }
    uint32_t index = 0;
    if (!wire::object_index(r.args[i], object_count, index)) return Decoded::Malformed;
    napi_value raw = nullptr;
    // Fails only while the environment is torn down (or with an exception pending).
    if (napi_get_element(env, objects, index, &raw) != napi_ok) return Decoded::EnvGone;
    napi_value buffer = nullptr;
    if (!read_arg(env, k, spec_index, Napi::Value(env, raw), args[i], t.strings, &buffer))
      return refuse();
    if (!is_view_kind(spec.kind)) continue;
    KeepView kept = keep_view(env, raw, buffer, spec.kind, args[i], copies, pins);
    if (kept == KeepView::EnvGone) return Decoded::EnvGone;
    if (kept == KeepView::OutOfMemory) {
      Napi::RangeError::New(env, std::string(k->name) + ": argument '" + spec.name +
                                     "' is too large to copy (out of memory)")
          .ThrowAsJavaScriptException();
      return refuse();
    }
  }
  return Decoded::Ok;
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
  double length_d = info[1].As<Napi::Number>().DoubleValue();
  size_t length = ta.ElementLength();
  if (length_d >= 0 && length_d < double(length)) length = size_t(length_d);
  Napi::Array objects = info[2].As<Napi::Array>();
  const uint32_t object_count = objects.Length();

  std::vector<Pending> batch;
  batch.reserve(std::min<size_t>(length / wire::kSubmitHeader, 1u << 16));
  auto fail = [&](const char* why) {
    drop_pending(env, batch);
    Napi::TypeError::New(env, why).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  auto kernel_of = [this](uint32_t id) { return registry_->get(id); };
  Clock::time_point now = Clock::now();
  size_t pos = 0;
  while (pos < length) {
    wire::Record r;
    wire::RecordError e = wire::next_record(rec, length, pos, kernel_of, r);
    if (e == wire::RecordError::Truncated) return fail("truncated submission record");
    if (e != wire::RecordError::None) return fail("malformed submission record");
    if (r.skipped) continue;  // cancelled in JS before it was sent
    Pending p;
    p.task = recycler_.take();
    Task& t = *p.task;
    t.id = r.id;
    t.kernel = r.kernel;
    t.reserve_items(r.items, r.kernel->arg_count);
    t.submitted = now;
    if (r.timeout_ms >= 0) t.deadline = now + ms_to_duration(r.timeout_ms);
    if (r.run_timeout_ms >= 0) t.run_timeout = ms_to_duration(r.run_timeout_ms);
    napi_value refusal = nullptr;
    Decoded d = decode_args(env, r, objects, object_count, t, p.pins, refusal);
    if (d == Decoded::EnvGone || d == Decoded::Malformed) {
      release_pins(env, p.pins);
      if (d == Decoded::Malformed) return fail("malformed submission record");
      drop_pending(env, batch);
      return env.Undefined();  // torn down mid-flush: nothing may be thrown
    }
    if (d == Decoded::Refused) {
      // One refused record fails its own Future, not its neighbours: it completes at
      // once, without running, with the error the native guard raised.
      release_pins(env, p.pins);
      napi_create_reference(env, refusal, 1, &p.refusal);
      t.status = TaskStatus::Error;
      t.started = t.finished = now;
    }
    batch.push_back(std::move(p));
  }
  // JS reuses an id only after its completion; anything else is a bug, not a crash.
  for (size_t i = 0; i < batch.size(); ++i) {
    uint32_t id = batch[i].task->id;
    if (id >= slots_.size()) slots_.resize(std::max<size_t>(id + 1, slots_.size() * 2));
    if (slots_[id].task != nullptr) {
      for (size_t j = 0; j < i; ++j) slots_[batch[j].task->id] = Slot{};  // their pins stay in batch
      drop_pending(env, batch);
      Napi::Error::New(env, "corepool: task id " + std::to_string(id) + " is still in flight")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    slots_[id].task = batch[i].task.get();
  }
  std::vector<std::unique_ptr<Task>> runnable, refused;
  runnable.reserve(batch.size());
  for (Pending& p : batch) {
    Slot& slot = slots_[p.task->id];
    slot.pins = std::move(p.pins);
    slot.refusal = p.refusal;
    (p.refusal != nullptr ? refused : runnable).push_back(std::move(p.task));
  }
  batch.clear();
  int64_t sent = int64_t(runnable.size()), failed = int64_t(refused.size());
  if (!pool_->submit(runnable)) {
    for (auto& t : runnable) release_slot(t->id);
    for (auto& t : refused) release_slot(t->id);
    Napi::Error::New(env, "corepool: " + pool_->start_error()).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  set_inflight(sent + failed);
  for (auto& t : refused) completions_->push(std::move(t));
  return env.Undefined();
}

void PoolObject::release_slot(uint32_t id) {
  Slot& s = slots_[id];
  s.task = nullptr;
  release_pins(env_, s.pins);
  if (s.refusal != nullptr) napi_delete_reference(env_, s.refusal);
  s.refusal = nullptr;
}

// cancel(id, times, wait): with `wait`, a running task gets ThreadPool::kStopWait to stop;
// if it does, it is settled here (Stopped), and `times` (a Float64Array of 2) receives its
// queue wait and run time in ns, as its completion record would have carried them.
Napi::Value PoolObject::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto outcome = [&](wire::CancelOutcome o) { return Napi::Number::New(env, static_cast<int>(o)); };
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsTypedArray() || !info[2].IsBoolean()) {
    Napi::TypeError::New(env, "cancel(id, times, wait)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray times = info[1].As<Napi::TypedArray>();
  if (times.TypedArrayType() != napi_float64_array || times.ElementLength() < 2) {
    Napi::TypeError::New(env, "times must be a Float64Array of 2").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (closed_ || id >= slots_.size() || slots_[id].task == nullptr) return outcome(wire::CancelOutcome::Unknown);
  std::unique_ptr<Task> removed;
  const bool wait = info[2].As<Napi::Boolean>().Value();
  auto r = pool_->cancel(slots_[id].task, removed,
                         wait ? Clock::duration(ThreadPool::kStopWait) : Clock::duration::zero());
  if (r == ThreadPool::CancelResult::Removed) {
    release_slot(id);
    set_inflight(-1);
    return outcome(wire::CancelOutcome::Removed);
  }
  if (r == ThreadPool::CancelResult::Stopped) {
    // Handed back by its worker: it never reaches the completion queue, so this is the
    // one place it ends, and its slot id is free for reuse only from here on.
    double* out = times.As<Napi::Float64Array>().Data();
    take_stopped(*removed, out);
    return outcome(wire::CancelOutcome::Stopped);
  }
  return outcome(r == ThreadPool::CancelResult::Running ? wire::CancelOutcome::Running : wire::CancelOutcome::Finished);
}

// Ends a running task that a cancel handed back stopped: what on_completions does for
// a completion, minus the JS call (the caller settles its Future).
void PoolObject::take_stopped(Task& t, double* times) {
  times[0] = t.started > t.submitted ? double((t.started - t.submitted).count()) : 0;
  times[1] = t.finished > t.started ? double((t.finished - t.started).count()) : 0;
  if (t.id >= slots_.size() || slots_[t.id].task != &t) return;  // not ours: a bug, not a crash
  // It ran: it may have written its (copied) output arguments before it stopped.
  write_back(env_, slots_[t.id].pins);
  release_slot(t.id);
  set_inflight(-1);
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

// cancelRunning(): raises every running task's cancel bit and gives them, together,
// ThreadPool::kStopWait to stop. Returns [id, waitNs, runNs, ...] of those that did; they
// are settled by the caller, not by a completion.
Napi::Value PoolObject::CancelRunning(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  if (closed_) return out;
  auto stopped = pool_->cancel_running(ThreadPool::kStopWait);
  uint32_t k = 0;
  for (auto& t : stopped) {
    double times[2];
    uint32_t id = t->id;
    take_stopped(*t, times);
    out.Set(k++, double(id));
    out.Set(k++, times[0]);
    out.Set(k++, times[1]);
  }
  return out;
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

namespace {

// The message of the exception pending on `env`, cleared ("" if there is none).
std::string take_exception_message(napi_env env) {
  bool pending = false;
  napi_value err = nullptr, str = nullptr, msg = nullptr;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return "";
  if (napi_get_and_clear_last_exception(env, &err) != napi_ok) return "";
  napi_valuetype type = napi_undefined;
  if (!(napi_typeof(env, err, &type) == napi_ok && type == napi_object &&
        napi_get_named_property(env, err, "message", &msg) == napi_ok &&
        napi_coerce_to_string(env, msg, &str) == napi_ok) &&
      napi_coerce_to_string(env, err, &str) != napi_ok) {
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
      napi_get_and_clear_last_exception(env, &err);
    return "";
  }
  char buf[512];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, str, buf, sizeof buf, &length) != napi_ok) return "";
  return std::string(buf, length);
}

// What building one result's JS value came to.
enum class Built { Value, Failed, EnvGone };

// The JS value of a finished task's result. Failed: `error` says why, nothing pending.
// EnvGone: the environment is being torn down; nothing more may be asked of it.
Built result_value(napi_env env, Task& t, napi_value* out, std::string& error) {
  corepool_result_kind kind = t.kernel->result;
  napi_status st;
  if (t.items > 1 && (kind == COREPOOL_RESULT_NUMBER || kind == COREPOOL_RESULT_BOOL)) {
    // Scalar results of a chunk travel as one typed array, not one JS value each: numbers
    // as a Float64Array, booleans as a Uint8Array of 0/1 (an eighth of the memory to fill).
    const bool numbers = kind == COREPOOL_RESULT_NUMBER;
    void* data = nullptr;
    napi_value ab;
    st = napi_create_arraybuffer(env, size_t(t.items) * (numbers ? sizeof(double) : 1), &data, &ab);
    if (st == napi_ok)
      st = napi_create_typedarray(env, numbers ? napi_float64_array : napi_uint8_array, t.items, ab, 0, out);
    if (st == napi_ok) {
      const corepool_result* results = t.results();
      if (numbers) {
        double* values = static_cast<double*>(data);
        for (uint32_t k = 0; k < t.items; ++k) values[k] = results[k].number;
      } else {
        uint8_t* values = static_cast<uint8_t*>(data);
        for (uint32_t k = 0; k < t.items; ++k) values[k] = results[k].boolean != 0;
      }
    }
  } else if (t.items > 1) {
    st = napi_create_array_with_length(env, t.items, out);
    for (uint32_t k = 0; st == napi_ok && k < t.items; ++k) {
      napi_value item;
      st = result_to_js(env, kind, t.results()[k], &item);
      if (st == napi_ok) st = napi_set_element(env, *out, k, item);
    }
  } else {
    st = result_to_js(env, kind, t.inline_result, out);
  }
  if (st == napi_ok) return Built::Value;
  if (!env_can_run_js(env)) return Built::EnvGone;
  std::string why = take_exception_message(env);
  error = "the result could not be converted to a JS value" +
          (why.empty() ? "" : " (" + why + ")");
  return Built::Failed;
}

}  // namespace

// Raw N-API throughout: a worker thread can be terminated at any moment, from another
// thread, and from then on every call that could run JS fails. node-addon-api's helpers
// abort the process on such a failure; here each one is a status: the batch is dropped
// and the pool stopped (DESIGN: a torn-down environment is never called into).
void PoolObject::on_completions(std::vector<std::unique_ptr<Task>>& done) {
  if (closed_) return;
  napi_env env = env_;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return close_now();
  bool env_gone = false;
  size_t i = 0;
  while (i < done.size() && !env_gone) {
    // Made on first use: a batch of numbers, booleans and cancellations needs none.
    napi_value objects = nullptr;
    uint32_t object_count = 0;
    uint32_t n = 0;
    // A value that is not a number travels in `objects`; the record holds its index.
    auto pass_object = [&](double* r, napi_value v) {
      r[2] = object_count;
      if ((objects == nullptr && napi_create_array(env, &objects) != napi_ok) ||
          napi_set_element(env, objects, object_count++, v) != napi_ok)
        env_gone = true;
    };
    auto pass_string = [&](double* r, const std::string& text) {
      napi_value v;
      if (napi_create_string_utf8(env, text.data(), text.size(), &v) != napi_ok) env_gone = true;
      else pass_object(r, v);
    };
    for (; i < done.size() && n < record_capacity_ && !env_gone; ++i, ++n) {
      Task& t = *done[i];
      double* r = records_ + size_t(n) * kCompletionFields;
      r[0] = t.id;
      r[1] = double(int(t.status));
      r[2] = 0;
      r[3] = t.started > t.submitted ? double((t.started - t.submitted).count()) : 0;
      r[4] = t.finished > t.started ? double((t.finished - t.started).count()) : 0;
      if (t.status == TaskStatus::Ok) {
        corepool_result_kind kind = t.kernel->result;
        if (t.items > 1 && kind == COREPOOL_RESULT_UNDEFINED) {
          r[2] = t.items;  // nothing to carry but how many
        } else if (t.items == 1 && kind == COREPOOL_RESULT_NUMBER) {
          r[2] = t.inline_result.number;
        } else if (t.items == 1 && kind == COREPOOL_RESULT_BOOL) {
          r[2] = t.inline_result.boolean ? 1 : 0;
        } else if (t.items > 1 || kind != COREPOOL_RESULT_UNDEFINED) {
          napi_value v;
          std::string error;
          Built built = result_value(env, t, &v, error);
          if (built == Built::Value) {
            pass_object(r, v);
          } else if (built == Built::Failed) {
            // One result the host cannot build fails its own Future, not the batch.
            r[1] = double(int(TaskStatus::Error));
            pass_string(r, error);
          } else {
            env_gone = true;
          }
        }
      }
      Slot* slot = t.id < slots_.size() && slots_[t.id].task == &t ? &slots_[t.id] : nullptr;
      if (t.status == TaskStatus::Error) {
        napi_value refusal = nullptr;
        if (slot != nullptr && slot->refusal != nullptr &&
            napi_get_reference_value(env, slot->refusal, &refusal) == napi_ok && refusal != nullptr)
          pass_object(r, refusal);  // refused at submit: the TypeError/RangeError itself
        else
          pass_string(r, t.error);
      }
      if (slot != nullptr) {
        // A task that ran may have written its (copied) output arguments.
        if (t.taken) write_back(env, slot->pins);
        release_slot(t.id);
      }
    }
    if (env_gone) break;
    for (size_t k = i - n; k < i; ++k) recycler_.give(std::move(done[k]));
    // Settle this batch before the loop count drops to zero, so that the callback is
    // still strongly held while it runs.
    napi_value fn = nullptr, global = nullptr, count = nullptr, result = nullptr;
    if (napi_get_reference_value(env, on_complete_, &fn) != napi_ok || fn == nullptr ||
        napi_get_global(env, &global) != napi_ok ||
        napi_create_uint32(env, n, &count) != napi_ok ||
        (objects == nullptr && napi_get_undefined(env, &objects) != napi_ok)) {
      env_gone = true;
      break;
    }
    napi_value argv[2] = {count, objects};
    napi_status st = napi_make_callback(env, *async_context_, global, fn, 2, argv, &result);
    if (st != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      // A failed call with no exception: the environment began its teardown meanwhile.
      if (!pending) { env_gone = true; break; }
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
    set_inflight(-int64_t(n));
    if (closed_) break;
  }
  napi_close_handle_scope(env, scope);
  if (env_gone) close_now();  // drops the rest of `done` with the queue
}

}  // namespace corepool
