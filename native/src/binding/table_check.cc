#include "table_check.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include <sys/uio.h>
#include <unistd.h>

#include "arg_kinds.h"
#include "corepool.h"

namespace corepool {
namespace {

// Linux: process_vm_readv on ourselves reports EFAULT for unmapped memory.
class ProcessMemory final : public MemoryReader {
 public:
  bool read(uintptr_t address, void* out, size_t size) const override {
    if (address == 0) return false;
    iovec local{out, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == ssize_t(size);
  }
};

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uintptr_t address_of(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// Enum fields are read as ints: a table's bytes may hold any value, and loading an enum
// outside its range is undefined behaviour.
template <typename Enum>
int as_int(const Enum& field) {
  int v = 0;
  static_assert(sizeof(Enum) == sizeof(int), "corepool's enums are int-sized");
  std::memcpy(&v, &field, sizeof v);
  return v;
}

// A NUL-terminated name of at most `max` bytes at `address`.
bool read_name(const MemoryReader& memory, uintptr_t address, size_t max, std::string& out) {
  out.clear();
  char chunk[64];
  while (out.size() <= max) {
    // Byte by byte near the end of what is readable: a name may end just before a hole.
    size_t want = sizeof chunk;
    if (!memory.read(address + out.size(), chunk, want)) {
      want = 1;
      if (!memory.read(address + out.size(), chunk, 1)) return false;
    }
    for (size_t i = 0; i < want; ++i) {
      if (chunk[i] == '\0') return out.size() <= max;
      out.push_back(chunk[i]);
      if (out.size() > max) return false;
    }
  }
  return false;  // longer than max
}

}  // namespace

const MemoryReader& process_memory() {
  static const ProcessMemory memory;
  return memory;
}

bool check_table(const MemoryReader& memory, uintptr_t table, uint32_t& count, std::string& error) {
  if (table == 0) return error = "kernel table is null", false;
  corepool_kernel_table head;
  if (!memory.read(table, &head, sizeof head))
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
  if (head.count == 0 || head.count > kMaxTableKernels || head.kernels == nullptr)
    return error = "kernel table has no kernels or more than " + std::to_string(kMaxTableKernels) +
                   " (count " + std::to_string(head.count) + ")",
           false;
  std::vector<corepool_kernel> kernels(head.count);
  if (!memory.read(address_of(head.kernels), kernels.data(), sizeof(corepool_kernel) * head.count))
    return error = "kernel table declares " + std::to_string(head.count) +
                   " kernels but its array is not readable that far", false;
  std::vector<std::string> names(head.count);
  for (uint32_t i = 0; i < head.count; ++i) {
    const corepool_kernel& k = kernels[i];
    std::string where = "kernel #" + std::to_string(i);
    if (!read_name(memory, address_of(k.name), kMaxNameBytes, names[i]))
      return error = where + " has no readable name of at most 200 bytes", false;
    if (names[i].empty()) return error = where + " has no name", false;
    where = "kernel '" + names[i] + "'";
    for (uint32_t j = 0; j < i; ++j)
      if (names[j] == names[i]) return error = where + " appears twice in the table", false;
    if (k.run == nullptr) return error = where + " has no run function", false;
    if (k.arg_count > kMaxKernelArgs) return error = where + " declares more than 16 arguments", false;
    if (k.arg_count > 0 && k.args == nullptr) return error = where + " has no argument specs", false;
    int result = as_int(k.result);
    if (!(result >= COREPOOL_RESULT_UNDEFINED && result <= COREPOOL_RESULT_UINT32S))
      return error = where + " has an unknown result kind " + std::to_string(result), false;
    std::vector<corepool_arg_spec> specs(k.arg_count);
    if (k.arg_count > 0 &&
        !memory.read(address_of(k.args), specs.data(), sizeof(corepool_arg_spec) * k.arg_count))
      return error = where + " declares " + std::to_string(k.arg_count) +
                     " arguments but its spec array is not readable that far", false;
    for (uint32_t a = 0; a < k.arg_count; ++a) {
      const corepool_arg_spec& spec = specs[a];
      std::string arg = where + " argument #" + std::to_string(a);
      std::string arg_name;
      if (!read_name(memory, address_of(spec.name), kMaxNameBytes, arg_name) || arg_name.empty())
        return error = arg + " has no readable name of at most 200 bytes", false;
      arg += " ('" + arg_name + "')";
      int kind = as_int(spec.kind);
      if (!known_arg_kind(kind))
        return error = arg + " has an unknown kind " + std::to_string(kind), false;
      if (!(spec.min <= spec.max)) return error = arg + " has min > max (or NaN bounds)", false;
      if (kind >= COREPOOL_ARG_BYTES && spec.min < 0)
        return error = arg + " has a negative minimum", false;
      if ((kind == COREPOOL_ARG_SIZE || kind == COREPOOL_ARG_INT) &&
          (spec.min < -9223372036854775808.0 || spec.max > 9223372036854775807.0))
        return error = arg + " has bounds outside int64", false;
    }
  }
  count = head.count;
  return true;
}

}  // namespace corepool
