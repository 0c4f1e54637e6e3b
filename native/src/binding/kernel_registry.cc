#include "kernel_registry.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/uio.h>
#include <unistd.h>

#include "../kernels/limits.h"
#include "../kernels/registry.h"

namespace corepool {

KernelRegistry::KernelRegistry() {
  for (const corepool_kernel* const* k = builtin_kernels(); *k != nullptr; ++k)
    kernels_.push_back(*k);
}

static bool valid_kind(corepool_arg_kind k) {
  return k >= COREPOOL_ARG_NUMBER && k <= COREPOOL_ARG_SIZE;
}

static bool valid_result(corepool_result_kind k) {
  return k >= COREPOOL_RESULT_UNDEFINED && k <= COREPOOL_RESULT_UINT32S;
}

static std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

namespace {

// Copies `size` bytes at `address` if this process can read them all, without faulting
// when it cannot: every read of a user's table goes through here, so a foreign External,
// a count past the end of the array or a wild pointer is an error, not a segfault.
// (Linux: process_vm_readv on ourselves reports EFAULT for unmapped memory.)
bool safe_read(const void* address, void* out, size_t size) {
  if (address == nullptr) return false;
  iovec local{out, size};
  iovec remote{const_cast<void*>(address), size};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == ssize_t(size);
}

// A NUL-terminated name of at most `max` bytes at `address`, read safely.
bool safe_name(const char* address, size_t max, std::string& out) {
  out.clear();
  char c = 0;
  for (size_t i = 0; i <= max; ++i) {
    if (!safe_read(address + i, &c, 1)) return false;
    if (c == '\0') return true;
    out.push_back(c);
  }
  return false;  // longer than max
}

}  // namespace

bool KernelRegistry::add_table(const corepool_kernel_table* table, uint32_t& first_id,
                               uint32_t& end_id, std::string& error) {
  if (table == nullptr) return error = "kernel table is null", false;
  auto known = tables_.find(table);
  if (known != tables_.end()) {
    first_id = known->second;
    end_id = first_id + table->count;
    return true;
  }
  corepool_kernel_table head;
  if (!safe_read(table, &head, sizeof head))
    return error = "not a corepool kernel table (the External points to unreadable memory)", false;
  // Only the magic and the version are read before we know the layout is ours.
  if (head.magic != COREPOOL_TABLE_MAGIC)
    return error = "not a corepool kernel table (magic " + hex(head.magic) + ", expected " +
                   hex(COREPOOL_TABLE_MAGIC) +
                   "): export a pointer to a corepool_kernel_table built with corepool.h "
                   "ABI version " + std::to_string(COREPOOL_ABI_VERSION),
           false;
  if (head.abi_version != COREPOOL_ABI_VERSION)
    return error = "kernel table was built for corepool ABI version " +
                   std::to_string(head.abi_version) + ", this corepool has version " +
                   std::to_string(COREPOOL_ABI_VERSION) +
                   "; rebuild the addon against this corepool's include directory",
           false;
  if (head.count == 0 || head.count > 4096 || head.kernels == nullptr)
    return error = "kernel table has no kernels or more than 4096 (count " +
                   std::to_string(head.count) + ")",
           false;
  std::vector<corepool_kernel> kernels(head.count);
  if (!safe_read(head.kernels, kernels.data(), sizeof(corepool_kernel) * head.count))
    return error = "kernel table declares " + std::to_string(head.count) +
                   " kernels but its array is not readable that far", false;
  std::vector<std::string> names(head.count);
  for (uint32_t i = 0; i < head.count; ++i) {
    const corepool_kernel& k = kernels[i];
    std::string where = "kernel #" + std::to_string(i);
    if (!safe_name(k.name, 200, names[i]))
      return error = where + " has no readable name of at most 200 bytes", false;
    if (names[i].empty()) return error = where + " has no name", false;
    where = "kernel '" + names[i] + "'";
    for (uint32_t j = 0; j < i; ++j)
      if (names[j] == names[i]) return error = where + " appears twice in the table", false;
    if (k.run == nullptr) return error = where + " has no run function", false;
    if (k.arg_count > 16) return error = where + " declares more than 16 arguments", false;
    if (k.arg_count > 0 && k.args == nullptr) return error = where + " has no argument specs", false;
    if (!valid_result(k.result))
      return error = where + " has an unknown result kind " + std::to_string(int(k.result)), false;
    std::vector<corepool_arg_spec> specs(k.arg_count);
    if (k.arg_count > 0 && !safe_read(k.args, specs.data(), sizeof(corepool_arg_spec) * k.arg_count))
      return error = where + " declares " + std::to_string(k.arg_count) +
                     " arguments but its spec array is not readable that far", false;
    for (uint32_t a = 0; a < k.arg_count; ++a) {
      const corepool_arg_spec& spec = specs[a];
      std::string arg = where + " argument #" + std::to_string(a);
      std::string arg_name;
      if (!safe_name(spec.name, 200, arg_name) || arg_name.empty())
        return error = arg + " has no readable name of at most 200 bytes", false;
      arg += " ('" + arg_name + "')";
      if (!valid_kind(spec.kind))
        return error = arg + " has an unknown kind " + std::to_string(int(spec.kind)), false;
      if (!(spec.min <= spec.max)) return error = arg + " has min > max (or NaN bounds)", false;
      if (spec.kind >= COREPOOL_ARG_BYTES && spec.min < 0)
        return error = arg + " has a negative minimum", false;
      if ((spec.kind == COREPOOL_ARG_SIZE || spec.kind == COREPOOL_ARG_INT) &&
          (spec.min < -9223372036854775808.0 || spec.max > 9223372036854775807.0))
        return error = arg + " has bounds outside int64", false;
    }
  }
  first_id = uint32_t(kernels_.size());
  for (uint32_t i = 0; i < head.count; ++i) kernels_.push_back(&head.kernels[i]);
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
              corepool_value& out, std::vector<std::unique_ptr<char[]>>& strings) {
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
      if (napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached)
        return fail((std::string(name) + " that is not detached (it was transferred or detached "
                     "before the task was sent)").c_str());
      if (data == nullptr && length > 0) return fail(name);
      if (double(length) < spec.min || double(length) > spec.max) {
        return out_of_range("has a length out of range");
      }
      out.view.data = data;
      out.view.length = length;
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
