#include "kernel_registry.h"

#include <cmath>
#include <cstring>

#include "../kernels/registry.h"

namespace corepool {

KernelRegistry::KernelRegistry() {
  for (const corepool_kernel* const* k = builtin_kernels(); *k != nullptr; ++k)
    kernels_.push_back(*k);
}

static bool valid_kind(corepool_arg_kind k) {
  return k >= COREPOOL_ARG_NUMBER && k <= COREPOOL_ARG_INT32S;
}

bool KernelRegistry::add_table(const corepool_kernel_table* table, uint32_t& first_id,
                               std::string& error) {
  if (table == nullptr) return error = "kernel table is null", false;
  if (table->abi_version != COREPOOL_ABI_VERSION)
    return error = "kernel table was built for corepool ABI version " +
                   std::to_string(table->abi_version) + ", this corepool has version " +
                   std::to_string(COREPOOL_ABI_VERSION),
           false;
  if (table->count == 0 || table->count > 4096 || table->kernels == nullptr)
    return error = "kernel table has no kernels (count " + std::to_string(table->count) + ")",
           false;
  for (uint32_t i = 0; i < table->count; ++i) {
    const corepool_kernel& k = table->kernels[i];
    std::string where = "kernel #" + std::to_string(i);
    if (k.name == nullptr || k.name[0] == '\0') return error = where + " has no name", false;
    where = "kernel '" + std::string(k.name) + "'";
    if (k.run == nullptr) return error = where + " has no run function", false;
    if (k.arg_count > 16) return error = where + " declares more than 16 arguments", false;
    if (k.arg_count > 0 && k.args == nullptr) return error = where + " has no argument specs", false;
    if (k.result < COREPOOL_RESULT_UNDEFINED || k.result > COREPOOL_RESULT_BIGINT)
      return error = where + " has an unknown result kind", false;
    for (uint32_t a = 0; a < k.arg_count; ++a) {
      if (k.args[a].name == nullptr || !valid_kind(k.args[a].kind) ||
          !(k.args[a].min <= k.args[a].max))
        return error = where + " argument #" + std::to_string(a) + " is malformed", false;
    }
  }
  first_id = uint32_t(kernels_.size());
  for (uint32_t i = 0; i < table->count; ++i) kernels_.push_back(&table->kernels[i]);
  return true;
}

Napi::Array KernelRegistry::describe(Napi::Env env, uint32_t from, uint32_t to) const {
  Napi::Array out = Napi::Array::New(env);
  for (uint32_t id = from; id < to && id < kernels_.size(); ++id) {
    const corepool_kernel* k = kernels_[id];
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", id);
    o.Set("name", k->name);
    Napi::Array args = Napi::Array::New(env, k->arg_count);
    for (uint32_t a = 0; a < k->arg_count; ++a) {
      Napi::Object spec = Napi::Object::New(env);
      spec.Set("name", k->args[a].name);
      spec.Set("kind", int(k->args[a].kind));
      spec.Set("min", k->args[a].min);
      spec.Set("max", k->args[a].max);
      args.Set(a, spec);
    }
    o.Set("args", args);
    o.Set("result", int(k->result));
    out.Set(out.Length(), o);
  }
  return out;
}

bool read_arg(Napi::Env env, const corepool_kernel* kernel, uint32_t index, Napi::Value value,
              corepool_value& out) {
  const corepool_arg_spec& spec = kernel->args[index];
  auto fail = [&](const char* expected) {
    std::string msg = std::string(kernel->name) + ": argument '" + spec.name + "' must be " +
                      expected;
    Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
    return false;
  };
  switch (spec.kind) {
    case COREPOOL_ARG_NUMBER:
    case COREPOOL_ARG_INT: {
      if (!value.IsNumber()) return fail("a number");
      double d = value.As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d) || d < spec.min || d > spec.max) {
        Napi::RangeError::New(env, std::string(kernel->name) + ": argument '" + spec.name +
                                       "' is out of range")
            .ThrowAsJavaScriptException();
        return false;
      }
      if (spec.kind == COREPOOL_ARG_INT) {
        if (std::trunc(d) != d) return fail("an integer");
        out.integer = int64_t(d);
      } else {
        out.number = d;
      }
      return true;
    }
    case COREPOOL_ARG_BOOL:
      if (!value.IsBoolean()) return fail("a boolean");
      out.boolean = value.As<Napi::Boolean>().Value() ? 1 : 0;
      return true;
    case COREPOOL_ARG_BYTES:
    case COREPOOL_ARG_FLOAT64S:
    case COREPOOL_ARG_INT32S: {
      napi_typedarray_type want = spec.kind == COREPOOL_ARG_BYTES     ? napi_uint8_array
                                  : spec.kind == COREPOOL_ARG_FLOAT64S ? napi_float64_array
                                                                       : napi_int32_array;
      const char* name = spec.kind == COREPOOL_ARG_BYTES     ? "a Uint8Array"
                         : spec.kind == COREPOOL_ARG_FLOAT64S ? "a Float64Array"
                                                              : "an Int32Array";
      if (!value.IsTypedArray()) return fail(name);
      Napi::TypedArray ta = value.As<Napi::TypedArray>();
      if (ta.TypedArrayType() != want) return fail(name);
      size_t length = ta.ElementLength();
      void* data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      if (double(length) < spec.min || double(length) > spec.max) {
        Napi::RangeError::New(env, std::string(kernel->name) + ": argument '" + spec.name +
                                       "' has a length out of range")
            .ThrowAsJavaScriptException();
        return false;
      }
      out.view.data = data;
      out.view.length = length;
      return true;
    }
  }
  return fail("of a known kind");
}

Napi::Value result_to_js(Napi::Env env, corepool_result_kind kind, const corepool_result& r) {
  switch (kind) {
    case COREPOOL_RESULT_NUMBER:
      return Napi::Number::New(env, r.number);
    case COREPOOL_RESULT_BOOL:
      return Napi::Boolean::New(env, r.boolean != 0);
    case COREPOOL_RESULT_BYTES: {
      Napi::Uint8Array out = Napi::Uint8Array::New(env, r.length);
      if (r.length) std::memcpy(out.Data(), r.bytes, r.length);
      return out;
    }
    case COREPOOL_RESULT_BIGINT: {
      // Little-endian magnitude bytes -> 64-bit words for napi_create_bigint_words.
      size_t words = (r.length + 7) / 8;
      std::vector<uint64_t> w(words ? words : 1, 0);
      if (r.length) std::memcpy(w.data(), r.bytes, r.length);
      return Napi::BigInt::New(env, 0, w.size(), w.data());
    }
    case COREPOOL_RESULT_UNDEFINED:
    default:
      return env.Undefined();
  }
}

}  // namespace corepool
