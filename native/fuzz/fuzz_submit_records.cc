// libFuzzer target: the submission-record decoder (native/src/binding/submit_records.h),
// which pool_object.cc runs over every batch JS sends. The input is a batch as the addon
// receives it: its first byte is the number of `objects`, the rest the Float64Array of
// records. The registry is the built-in kernels'. Any input must decode to records or to
// an error, without undefined behaviour (this builds with ASan and UBSan).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../src/binding/submit_records.h"
#include "../src/kernels/registry.h"

using namespace corepool;

static const corepool_kernel* kernel_of(uint32_t id) {
  return id < builtin_kernel_count() ? builtin_kernels()[id] : nullptr;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t object_count = data[0];
  std::vector<double> records((size - 1) / sizeof(double));
  if (!records.empty()) std::memcpy(records.data(), data + 1, records.size() * sizeof(double));
  const size_t length = records.size();
  const Clock::time_point now = Clock::now();
  size_t pos = 0;
  while (pos < length) {
    wire::Record r;
    size_t before = pos;
    if (wire::next_record(records.data(), length, pos, kernel_of, r) != wire::RecordError::None) {
      if (pos != before) __builtin_trap();  // an error leaves pos where it was
      break;
    }
    // What the decoder promises pool_object.cc.
    if (pos <= before || pos > length || r.kernel == nullptr || r.items < 1 ||
        r.items > wire::kMaxItemsPerTask || r.id > wire::kMaxSlotId ||
        r.arg_numbers != size_t(r.items) * r.kernel->arg_count ||
        r.args + r.arg_numbers > records.data() + length)
      __builtin_trap();
    if (r.skipped) continue;
    // As pool_object.cc turns them into clock times (float-cast and int64 overflow checked).
    volatile int64_t ticks = 0;
    if (r.timeout_ms >= 0) ticks = (now + wire::ms_to_duration(r.timeout_ms)).time_since_epoch().count();
    if (r.run_timeout_ms > 0) ticks = (now + wire::ms_to_duration(r.run_timeout_ms)).time_since_epoch().count();
    (void)ticks;
    for (size_t i = 0; i < r.arg_numbers; ++i) {
      const corepool_arg_spec& spec = r.kernel->args[i % r.kernel->arg_count];
      corepool_value v;
      if (by_object(spec.kind)) {
        uint32_t index = 0;
        if (wire::object_index(r.args[i], object_count, index) && index >= object_count) __builtin_trap();
      } else if (wire::decode_scalar(spec, r.args[i], v) && spec.kind == COREPOOL_ARG_INT &&
                 (double(v.integer) < spec.min || double(v.integer) > spec.max)) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
