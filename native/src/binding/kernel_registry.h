// The kernels one JS environment can run, by numeric id: the built-ins first, then
// tables loaded from user addons. Per environment (instance data), main thread only.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "corepool.h"

namespace corepool {

class KernelRegistry {
 public:
  KernelRegistry();
  const corepool_kernel* get(uint32_t id) const {
    return id < kernels_.size() ? kernels_[id] : nullptr;
  }
  // Checks a table and appends its kernels; returns the id of the first, or an error.
  bool add_table(const corepool_kernel_table* table, uint32_t& first_id, std::string& error);
  // [{ id, name, args: [{ name, kind, min, max }], result }] for ids [from, to).
  Napi::Array describe(Napi::Env env, uint32_t from, uint32_t to) const;
  uint32_t size() const { return uint32_t(kernels_.size()); }

 private:
  std::vector<const corepool_kernel*> kernels_;
};

// Reads one argument of `kernel` from a JS value into `out`; the JS layer validated it,
// this is the native side's own guard. Returns false with a JS exception pending.
bool read_arg(Napi::Env env, const corepool_kernel* kernel, uint32_t index, Napi::Value value,
              corepool_value& out);

// The JS value of a kernel's result (main thread).
Napi::Value result_to_js(Napi::Env env, corepool_result_kind kind, const corepool_result& r);

}  // namespace corepool
