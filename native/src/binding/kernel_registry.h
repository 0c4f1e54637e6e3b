// The kernels one JS environment can run, by numeric id: the built-ins first, then
// tables loaded from user addons. Per environment (instance data), main thread only.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "corepool.h"

namespace corepool {

class KernelRegistry {
 public:
  KernelRegistry();
  const corepool_kernel* get(uint32_t id) const {
    return id < kernels_.size() ? kernels_[id] : nullptr;
  }
  // Checks a table and appends its kernels; sets the ids [first_id, end_id) they got, or
  // an error. A table added before keeps its ids (a second load is not an error).
  bool add_table(const corepool_kernel_table* table, uint32_t& first_id, uint32_t& end_id,
                 std::string& error);
  // [{ id, name, args: [{ name, kind, min, max }], result }] for ids [from, to).
  Napi::Array describe(Napi::Env env, uint32_t from, uint32_t to) const;
  uint32_t size() const { return uint32_t(kernels_.size()); }

 private:
  std::vector<const corepool_kernel*> kernels_;
  std::unordered_map<const corepool_kernel_table*, uint32_t> tables_;  // -> first id
};

// Reads one argument of `kernel` from a JS value into `out`; the JS layer validated it,
// this is the native side's own guard. Returns false with a JS exception pending.
// String arguments are copied into `strings`, which must outlive the run. For a typed
// array, `buffer` (if given) gets the ArrayBuffer or SharedArrayBuffer it views.
bool read_arg(Napi::Env env, const corepool_kernel* kernel, uint32_t index, Napi::Value value,
              corepool_value& out, std::vector<std::unique_ptr<char[]>>& strings,
              napi_value* buffer_out = nullptr);

// The JS value of a kernel's result (main thread). A large array result hands its bytes
// over to the new ArrayBuffer (r.bytes becomes null) instead of copying them. On failure
// (a BigInt over the engine's limit, out of memory, the environment torn down) returns
// the status, with an exception pending if the engine raised one.
napi_status result_to_js(napi_env env, corepool_result_kind kind, corepool_result& r,
                         napi_value* out);

}  // namespace corepool
