// The checks loadKernels makes on a user addon's corepool_kernel_table before any of it is
// used, as a pure function over a memory reader (no N-API): the host reads its own memory
// without faulting (process_memory), a fuzz target (native/fuzz/) reads a byte blob.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace corepool {

class MemoryReader {
 public:
  // Copies `size` bytes at `address` into `out`; false if any of them is unreadable.
  virtual bool read(uintptr_t address, void* out, size_t size) const = 0;

 protected:
  ~MemoryReader() = default;
};

// This process's memory, read without faulting (a wild pointer is an error, not a segfault).
const MemoryReader& process_memory();

// Limits a table must keep (corepool.h documents them).
constexpr uint32_t kMaxTableKernels = 4096;
constexpr uint32_t kMaxKernelArgs = 16;
constexpr size_t kMaxNameBytes = 200;

// Checks the table at `table`: the magic and version, count against memory readable that
// far, names (NUL-terminated, 1..200 bytes, unique), run functions present, argument and
// result kinds, bounds. True with `count` set, or false with `error` saying why.
bool check_table(const MemoryReader& memory, uintptr_t table, uint32_t& count, std::string& error);

}  // namespace corepool
