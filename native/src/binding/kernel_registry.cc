#include "kernel_registry.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "../kernels/limits.h"
#include "../kernels/registry.h"
#include "arg_kinds.h"
#include "table_check.h"

namespace corepool {

KernelRegistry::KernelRegistry() {
  for (const corepool_kernel* const* k = builtin_kernels(); *k != nullptr; ++k)
    kernels_.push_back(*k);
}


bool KernelRegistry::add_table(const corepool_kernel_table* table, uint32_t& first_id,
                               uint32_t& end_id, std::string& error) {
  if (table == nullptr) return error = "kernel table is null", false;
  auto known = tables_.find(table);
  if (known != tables_.end()) {
    first_id = known->second;
    end_id = first_id + table->count;
    return true;
  }
  // Every read of the table before this point is a fault-safe copy; once checked, the
  // table is used in place (corepool.h: it must be static and never change).
  uint32_t count = 0;
  if (!check_table(process_memory(), reinterpret_cast<uintptr_t>(table), count, error)) return false;
  first_id = uint32_t(kernels_.size());
  for (uint32_t i = 0; i < count; ++i) kernels_.push_back(&table->kernels[i]);
  end_id = uint32_t(kernels_.size());
  tables_.emplace(table, first_id);
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
              corepool_value& out, std::vector<std::unique_ptr<char[]>>& strings,
              napi_value* buffer_out) {
  const corepool_arg_spec& spec = kernel->args[index];
  auto fail = [&](const char* expected) {
    std::string msg = std::string(kernel->name) + ": argument '" + spec.name + "' must be " +
                      expected;
    Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
    return false;
  };
  auto out_of_range = [&](const char* what) {
    Napi::RangeError::New(env, std::string(kernel->name) + ": argument '" + spec.name + "' " + what)
        .ThrowAsJavaScriptException();
    return false;
  };
  switch (spec.kind) {
    case COREPOOL_ARG_NUMBER:
    case COREPOOL_ARG_INT: {
      if (!value.IsNumber()) return fail("a number");
      double d = value.As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d) || d < spec.min || d > spec.max) {
        return out_of_range("is out of range");
      }
      if (spec.kind == COREPOOL_ARG_INT) {
        if (std::trunc(d) != d) return fail("an integer");
        // A max of 2^63 - 1 is 2^63 as a double: not an int64 (the cast would be undefined).
        if (d >= 9223372036854775808.0) return out_of_range("is out of range");
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
    case COREPOOL_ARG_INT32S:
    case COREPOOL_ARG_BYTES_IN:
    case COREPOOL_ARG_FLOAT64S_IN:
    case COREPOOL_ARG_INT32S_IN: {
      corepool_arg_kind base = view_base_kind(spec.kind);
      napi_typedarray_type want = base == COREPOOL_ARG_BYTES     ? napi_uint8_array
                                  : base == COREPOOL_ARG_FLOAT64S ? napi_float64_array
                                                                  : napi_int32_array;
      const char* name = base == COREPOOL_ARG_BYTES     ? "a Uint8Array"
                         : base == COREPOOL_ARG_FLOAT64S ? "a Float64Array"
                                                         : "an Int32Array";
      if (!value.IsTypedArray()) return fail(name);
      // The view's own data pointer: right for an ArrayBuffer and a SharedArrayBuffer alike
      // (napi_get_arraybuffer_info refuses a SharedArrayBuffer, which read as null).
      napi_typedarray_type type;
      size_t length = 0;
      void* data = nullptr;
      napi_value buffer = nullptr;
      size_t offset = 0;
      if (napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, &offset) != napi_ok)
        return fail(name);
      if (type != want) return fail(name);
      bool detached = false;
      if (napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached) {
        // The same words as the JS check (kernel.ts): detached after submit, before the send.
        Napi::TypeError::New(env, std::string(kernel->name) + ": argument '" + spec.name +
                                      "' is a view of a detached ArrayBuffer")
            .ThrowAsJavaScriptException();
        return false;
      }
      if (data == nullptr && length > 0) return fail(name);
      if (double(length) < spec.min || double(length) > spec.max) {
        return out_of_range("has a length out of range");
      }
      out.view.data = data;
      out.view.length = length;
      if (buffer_out != nullptr) *buffer_out = buffer;
      return true;
    }
    case COREPOOL_ARG_STRING: {
      if (!value.IsString()) return fail("a string");
      size_t length = 0;
      napi_get_value_string_utf8(env, value, nullptr, 0, &length);
      if (double(length) < spec.min || double(length) > spec.max) {
        return out_of_range("has a UTF-8 length out of range");
      }
      std::unique_ptr<char[]> copy(new (std::nothrow) char[length + 1]);
      if (!copy) return out_of_range("is too long to copy (out of memory)");
      napi_get_value_string_utf8(env, value, copy.get(), length + 1, &length);
      out.view.data = copy.get();
      out.view.length = length;
      strings.push_back(std::move(copy));
      return true;
    }
    case COREPOOL_ARG_SIZE: {
      int64_t v = 0;
      if (value.IsBigInt()) {
        bool lossless = false;
        napi_get_value_bigint_int64(env, value, &v, &lossless);
        if (!lossless || double(v) < spec.min || double(v) > spec.max) {
          return out_of_range("is out of range");
        }
      } else if (value.IsNumber()) {
        double d = value.As<Napi::Number>().DoubleValue();
        if (!std::isfinite(d) || std::trunc(d) != d) return fail("a bigint or an integer");
        if (d < spec.min || d > spec.max || d > kMaxSafeInteger) {
          return out_of_range("is out of range");
        }
        v = int64_t(d);
      } else {
        return fail("a bigint or an integer");
      }
      out.integer = v;
      return true;
    }
  }
  return fail("of a known kind");
}

namespace {

// Below this a copy is cheaper than an external buffer's finalizer and bookkeeping.
constexpr size_t kAdoptBytes = 64 * 1024;

void free_adopted(napi_env, void* data, void*) { std::free(data); }

// An ArrayBuffer holding the result's bytes: adopted without a copy when large (the
// buffer's finalizer frees them), copied when small or when the runtime forbids
// external buffers (Electron's V8 sandbox, say).
napi_status take_bytes(napi_env env, corepool_result& r, napi_value* out) {
  if (r.length >= kAdoptBytes && r.bytes != nullptr) {
    if (napi_create_external_arraybuffer(env, r.bytes, r.length, free_adopted, nullptr, out) ==
        napi_ok) {
      r.bytes = nullptr;  // now owned by the ArrayBuffer
      return napi_ok;
    }
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
  void* data = nullptr;
  napi_status st = napi_create_arraybuffer(env, r.length, &data, out);
  if (st != napi_ok) return st;
  if (r.length) std::memcpy(data, r.bytes, r.length);
  return napi_ok;
}

napi_status typed(napi_env env, corepool_result& r, napi_typedarray_type type, size_t element,
                  napi_value* out) {
  size_t count = r.length / element;
  napi_value ab;
  napi_status st = take_bytes(env, r, &ab);
  if (st != napi_ok) return st;
  return napi_create_typedarray(env, type, count, ab, 0, out);
}

}  // namespace

// Raw N-API on purpose: node-addon-api's helpers abort the process when a call fails while
// the environment is being torn down; here every failure is a status the caller handles.
napi_status result_to_js(napi_env env, corepool_result_kind kind, corepool_result& r,
                         napi_value* out) {
  switch (kind) {
    case COREPOOL_RESULT_NUMBER:
      return napi_create_double(env, r.number, out);
    case COREPOOL_RESULT_BOOL:
      return napi_get_boolean(env, r.boolean != 0, out);
    case COREPOOL_RESULT_BYTES:
      return typed(env, r, napi_uint8_array, 1, out);
    case COREPOOL_RESULT_FLOAT64S:
      return typed(env, r, napi_float64_array, 8, out);
    case COREPOOL_RESULT_INT32S:
      return typed(env, r, napi_int32_array, 4, out);
    case COREPOOL_RESULT_UINT16S:
      return typed(env, r, napi_uint16_array, 2, out);
    case COREPOOL_RESULT_UINT32S:
      return typed(env, r, napi_uint32_array, 4, out);
    case COREPOOL_RESULT_BIGINT: {
      // Little-endian magnitude bytes -> 64-bit words for napi_create_bigint_words. Whole
      // words (the usual case) are passed as they are; x86-64 and arm64 are little-endian.
      size_t words = (r.length + 7) / 8;
      if (words == 0) return napi_create_bigint_uint64(env, 0, out);
      if (r.length % 8 == 0 && reinterpret_cast<uintptr_t>(r.bytes) % alignof(uint64_t) == 0)
        return napi_create_bigint_words(env, 0, words, reinterpret_cast<const uint64_t*>(r.bytes),
                                        out);
      std::vector<uint64_t> w(words, 0);
      std::memcpy(w.data(), r.bytes, r.length);
      return napi_create_bigint_words(env, 0, w.size(), w.data(), out);
    }
    case COREPOOL_RESULT_UNDEFINED:
    default:
      return napi_get_undefined(env, out);
  }
}

}  // namespace corepool
