// libFuzzer target: the checks loadKernels makes on a user addon's kernel table
// (native/src/binding/table_check.cc). The input is the memory the table lives in:
// address kBase + i is byte i of the input, every other address is unreadable, so
// pointers in the table (kernels, names, specs) point into the input, past its end or
// anywhere. Any input must be accepted or refused with a reason, without reading past
// what the reader allowed and without undefined behaviour (ASan and UBSan builds).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "../include/corepool.h"
#include "../src/binding/arg_kinds.h"
#include "../src/binding/table_check.h"

using namespace corepool;

namespace {

constexpr uintptr_t kBase = 0x10000;

class BlobMemory final : public MemoryReader {
 public:
  BlobMemory(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool read(uintptr_t address, void* out, size_t size) const override {
    if (address < kBase || address - kBase > size_ || size > size_ - (address - kBase)) return false;
    std::memcpy(out, data_ + (address - kBase), size);
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BlobMemory memory(data, size);
  uint32_t count = 0;
  std::string error;
  if (!check_table(memory, kBase, count, error)) {
    if (error.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  // Accepted: everything the host will read in place must be readable and in bounds.
  corepool_kernel_table head;
  if (!memory.read(kBase, &head, sizeof head) || count != head.count || count == 0 ||
      count > kMaxTableKernels)
    __builtin_trap();
  for (uint32_t i = 0; i < count; ++i) {
    corepool_kernel k;
    if (!memory.read(reinterpret_cast<uintptr_t>(head.kernels) + i * sizeof k, &k, sizeof k)) __builtin_trap();
    if (k.run == nullptr || k.arg_count > kMaxKernelArgs) __builtin_trap();
    for (uint32_t a = 0; a < k.arg_count; ++a) {
      corepool_arg_spec spec;
      if (!memory.read(reinterpret_cast<uintptr_t>(k.args) + a * sizeof spec, &spec, sizeof spec)) __builtin_trap();
      int kind;
      std::memcpy(&kind, &spec.kind, sizeof kind);
      if (!known_arg_kind(kind) || !(spec.min <= spec.max)) __builtin_trap();
    }
  }
  return 0;
}
