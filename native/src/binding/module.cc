// Module init: per-environment kernel registry (context-aware: the addon loads in
// worker_threads too), the pool class, synchronous kernel runs and global-lock controls.
#include <napi.h>

#include <chrono>

#include "../global_lock.h"
#include "../kernels/registry.h"
#include "../pool.h"
#include "wire_js.h"
#include "kernel_registry.h"
#include "lock_stats_js.h"
#include "pool_object.h"

namespace corepool {
namespace {

// kernels(): descriptors of the built-in kernels.
Napi::Value Kernels(const Napi::CallbackInfo& info) {
  const KernelRegistry* reg = info.Env().GetInstanceData<KernelRegistry>();
  return reg->describe(info.Env(), 0, reg->size());
}

// runSync(kernelId, args[], stopWords?, index?): runs one call on this thread and returns
// its result. With an Int32Array (on a SharedArrayBuffer) and an index, the kernel's
// checkpoints read that word (a WorkerPool task's stop word): it stops with the task.
Napi::Value RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KernelRegistry* reg = env.GetInstanceData<KernelRegistry>();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsArray()) {
    Napi::TypeError::New(env, "runSync(kernelId, args)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const corepool_kernel* k = reg->get(info[0].As<Napi::Number>().Uint32Value());
  if (k == nullptr) {
    Napi::TypeError::New(env, "unknown kernel id").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array js_args = info[1].As<Napi::Array>();
  if (js_args.Length() != k->arg_count) {
    Napi::TypeError::New(env, std::string(k->name) + " takes " + std::to_string(k->arg_count) +
                                  " argument(s)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  corepool_value args[16] = {};
  std::vector<std::unique_ptr<char[]>> strings;
  for (uint32_t i = 0; i < k->arg_count; ++i)
    if (!read_arg(env, k, i, js_args.Get(i), args[i], strings)) return env.Undefined();
  const uint32_t* interrupt = nullptr;
  if (info.Length() >= 4 && info[2].IsTypedArray() && info[3].IsNumber()) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, info[2], &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_int32_array) {
      Napi::TypeError::New(env, "runSync: the stop words must be an Int32Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double index = info[3].As<Napi::Number>().DoubleValue();
    if (!(index >= 0 && index < double(length) && index == double(uint32_t(index)))) {
      Napi::RangeError::New(env, "runSync: stop word index out of range").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    interrupt = static_cast<const uint32_t*>(data) + uint32_t(index);
  }
  corepool_result result = {};
  std::string error;
  int rc = run_inline(k, args, &result, error, interrupt);
  napi_value out = nullptr;
  napi_status st = napi_ok;
  if (rc == COREPOOL_OK) st = result_to_js(env, k->result, result, &out);
  std::free(result.bytes);
  if (rc == COREPOOL_OK && st != napi_ok) {
    // A result the engine cannot hold (a BigInt over its size limit): a catchable error.
    if (!env.IsExceptionPending())
      Napi::RangeError::New(env, std::string(k->name) + ": the result could not be converted to a JS value")
          .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (rc != COREPOOL_OK) {
    Napi::Error::New(env, error.empty() ? "kernel stopped" : error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Value(env, out);
}

// loadKernelTable(external): registers a user addon's corepool_kernel_table and returns
// its kernels' descriptors; loading the same table again returns the same ids.
Napi::Value LoadKernelTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(env, "loadKernels: expected the External that the addon exports")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* table = static_cast<const corepool_kernel_table*>(
      info[0].As<Napi::External<void>>().Data());
  KernelRegistry* reg = env.GetInstanceData<KernelRegistry>();
  uint32_t first = 0, end = 0;
  std::string error;
  if (!reg->add_table(table, first, end, error)) {
    Napi::TypeError::New(env, "loadKernels: " + error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return reg->describe(env, first, end);
}

Napi::Value SetSwitchInterval(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(ms > 0 && ms <= 10000)) {
    Napi::RangeError::New(env, "setSwitchInterval: ms must be a number in (0, 10000]")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  GlobalLock::instance().set_switch_interval(
      std::chrono::microseconds(int64_t(ms * 1000.0 < 1 ? 1 : ms * 1000.0)));
  return env.Undefined();
}

Napi::Value GetSwitchInterval(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           double(GlobalLock::instance().switch_interval().count()) / 1000.0);
}

Napi::Value SetCheckInterval(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double ticks = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(ticks >= 1 && ticks <= 1e6 && ticks == double(uint32_t(ticks)))) {
    Napi::RangeError::New(env, "setCheckInterval: ticks must be an integer in [1, 1000000]")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  GlobalLock::instance().set_check_interval(uint32_t(ticks));
  return env.Undefined();
}

Napi::Value GetCheckInterval(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(GlobalLock::instance().check_interval()));
}

Napi::Value GlobalLockStatsJs(const Napi::CallbackInfo& info) {
  return lock_stats_to_js(info.Env(), GlobalLock::instance().stats());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new KernelRegistry());
  exports.Set("abiVersion", Napi::Number::New(env, COREPOOL_ABI_VERSION));
  exports.Set("kernels", Napi::Function::New<Kernels>(env, "kernels"));
  exports.Set("runSync", Napi::Function::New<RunSync>(env, "runSync"));
  exports.Set("loadKernelTable", Napi::Function::New<LoadKernelTable>(env, "loadKernelTable"));
  exports.Set("setSwitchInterval", Napi::Function::New<SetSwitchInterval>(env, "setSwitchInterval"));
  exports.Set("getSwitchInterval", Napi::Function::New<GetSwitchInterval>(env, "getSwitchInterval"));
  exports.Set("setCheckInterval", Napi::Function::New<SetCheckInterval>(env, "setCheckInterval"));
  exports.Set("getCheckInterval", Napi::Function::New<GetCheckInterval>(env, "getCheckInterval"));
  exports.Set("globalLockStats", Napi::Function::New<GlobalLockStatsJs>(env, "globalLockStats"));
  exports.Set("NativePoolBinding", PoolObject::Define(env));
  exports.Set("wire", wire::Constants(env));
  exports.Set("sha256Backend", Napi::String::New(env, sha256_backend()));
  return exports;
}

}  // namespace
}  // namespace corepool

static Napi::Object InitCorepool(Napi::Env env, Napi::Object exports) {
  return corepool::Init(env, exports);
}

NODE_API_MODULE(corepool, InitCorepool)
