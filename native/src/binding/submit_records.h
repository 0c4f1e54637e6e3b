// Decoding of submission records (wire.h's layout) over plain doubles, with no N-API, so
// that a fuzz target (native/fuzz/) can feed it any bytes. pool_object.cc reads every
// record through here; what needs the JS engine (objects, strings, typed arrays) is left
// to it as object indexes. Every check is on doubles before any cast: a NaN, an infinity
// or a huge value is "malformed", never undefined behaviour.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../task.h"
#include "arg_kinds.h"
#include "corepool.h"
#include "wire.h"

namespace corepool::wire {

struct Record {
  uint32_t id = 0;
  const corepool_kernel* kernel = nullptr;
  uint32_t items = 0;
  double timeout_ms = -1;      // -1: no deadline; else in [0, kNoDeadlineFromMs)
  double run_timeout_ms = -1;  // -1 (or 0): none
  const double* args = nullptr;  // items * kernel->arg_count numbers
  size_t arg_numbers = 0;
  bool skipped = false;  // cancelled in JS before the batch was sent: run nothing
};

enum class RecordError { None, Malformed, Truncated };

inline bool is_uint_below(double d, double limit) { return d >= 0 && d < limit && std::trunc(d) == d; }

inline bool valid_timeout(double ms) { return ms == -1 || (ms >= 0 && ms < kNoDeadlineFromMs); }

// Reads the record at rec[pos] and advances pos past it. `kernel_of(id)` is the registry's
// lookup (null for an unknown id). On an error pos is left where it was.
template <typename KernelOf>
RecordError next_record(const double* rec, size_t length, size_t& pos, KernelOf&& kernel_of,
                        Record& out) {
  if (pos > length || length - pos < kSubmitHeader) return RecordError::Truncated;
  const double* h = rec + pos;
  double id = h[0], kernel_id = h[1], items = h[2];
  if (!is_uint_below(kernel_id, 4294967296.0)) return RecordError::Malformed;
  const corepool_kernel* k = kernel_of(uint32_t(kernel_id));
  if (k == nullptr || !is_uint_below(items, kMaxItemsPerTask + 1) || items < 1)
    return RecordError::Malformed;
  // A skipped record stores -1 - id.
  bool skipped = id < 0;
  double slot = skipped ? -1 - id : id;
  if (!is_uint_below(slot, double(kMaxSlotId) + 1)) return RecordError::Malformed;
  if (!valid_timeout(h[3]) || !valid_timeout(h[4])) return RecordError::Malformed;
  size_t numbers = size_t(items) * k->arg_count;
  if (length - pos - kSubmitHeader < numbers) return RecordError::Truncated;
  out.id = uint32_t(slot);
  out.kernel = k;
  out.items = uint32_t(items);
  out.timeout_ms = h[3];
  out.run_timeout_ms = h[4];
  out.args = h + kSubmitHeader;
  out.arg_numbers = numbers;
  out.skipped = skipped;
  pos += kSubmitHeader + numbers;
  return RecordError::None;
}

// A record's timeout as a clock duration; next_record() bounds it below kNoDeadlineFromMs,
// which keeps now + the duration within the clock's int64 nanoseconds.
inline Clock::duration ms_to_duration(double ms) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

// A NUMBER, INT or BOOL argument from its record number, checked against its spec (JS
// checked it too; this is the native side's own guard). False: out of range.
inline bool decode_scalar(const corepool_arg_spec& spec, double d, corepool_value& out) {
  if (spec.kind == COREPOOL_ARG_BOOL) {
    out.boolean = d != 0;
    return true;
  }
  if (!std::isfinite(d) || d < spec.min || d > spec.max) return false;
  if (spec.kind == COREPOOL_ARG_INT) {
    // The table allows a max of 2^63 - 1, which is 2^63 as a double: not an int64.
    if (std::trunc(d) != d || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
    out.integer = int64_t(d);
  } else {
    out.number = d;
  }
  return true;
}

// The index into `objects` that a by-object argument's record number holds.
inline bool object_index(double d, uint32_t object_count, uint32_t& index) {
  if (!is_uint_below(d, double(object_count))) return false;
  index = uint32_t(d);
  return true;
}

}  // namespace corepool::wire
