// sortFloat64(array): sorts a Float64Array in place, in the order of
// Float64Array.prototype.sort() (ascending, -0 before +0, every NaN last), with an LSD
// radix sort on order-preserving 64-bit keys: O(n), and it checkpoints between chunks.
// The array is the kernel's output argument. A stopped sort still leaves a permutation
// of the input in the array, never the keys.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "limits.h"
#include "registry.h"

namespace corepool {
namespace {

constexpr size_t kChunk = 1 << 16;  // elements between checkpoints (~100 us of work)
constexpr uint64_t kSign = uint64_t(1) << 63;
constexpr uint64_t kNaNKey = UINT64_MAX;  // above +Infinity's key
constexpr uint64_t kQuietNaN = 0x7FF8000000000000ull;

// Unsigned order of the keys = numeric order of the doubles (-0 just below +0).
inline uint64_t to_key(uint64_t bits) {
  if ((bits & ~kSign) > 0x7FF0000000000000ull) return kNaNKey;
  return (bits & kSign) ? ~bits : bits | kSign;
}
inline uint64_t from_key(uint64_t key) {
  if (key == kNaNKey) return kQuietNaN;
  return (key & kSign) ? key & ~kSign : ~key;
}

int run_sort(corepool_ctx* ctx, const corepool_value* args, corepool_result*) {
  uint64_t* data = static_cast<uint64_t*>(args[0].view.data);  // bit patterns of doubles
  const size_t n = args[0].view.length;
  if (n < 2) return COREPOOL_OK;
  uint64_t* tmp = static_cast<uint64_t*>(std::malloc(n * sizeof(uint64_t)));
  if (tmp == nullptr) {
    corepool_error(ctx, "sortFloat64: out of memory for the scratch buffer");
    return COREPOOL_ERROR;
  }
  // Every key conversion happens before the first checkpoint can stop us, and `finish`
  // converts back, so the caller never sees a key.
  size_t counts[8][256] = {};
  for (size_t i = 0; i < n; ++i) {
    uint64_t k = to_key(data[i]);
    data[i] = k;
    for (int d = 0; d < 8; ++d) ++counts[d][(k >> (8 * d)) & 0xFF];
  }
  uint64_t* src = data;
  uint64_t* dst = tmp;
  bool stopped = false;
  for (int d = 0; d < 8 && !stopped; ++d) {
    size_t* c = counts[d];
    // A digit every key shares moves nothing: skip the pass.
    if (c[(src[0] >> (8 * d)) & 0xFF] == n) continue;
    size_t offset[256];
    size_t sum = 0;
    for (int v = 0; v < 256; ++v) offset[v] = sum, sum += c[v];
    for (size_t start = 0; start < n; start += kChunk) {
      size_t end = start + kChunk < n ? start + kChunk : n;
      for (size_t i = start; i < end; ++i) dst[offset[(src[i] >> (8 * d)) & 0xFF]++] = src[i];
      if (corepool_checkpoint(ctx)) {
        // Half a pass is not a permutation: finish it (bounded work), then stop.
        for (size_t i = end; i < n; ++i) dst[offset[(src[i] >> (8 * d)) & 0xFF]++] = src[i];
        stopped = true;
        break;
      }
    }
    uint64_t* t = src;
    src = dst;
    dst = t;
  }
  if (src != data) std::memcpy(data, src, n * sizeof(uint64_t));
  for (size_t i = 0; i < n; ++i) data[i] = from_key(data[i]);
  std::free(tmp);
  return stopped ? COREPOOL_STOPPED : COREPOOL_OK;
}

const corepool_arg_spec kSortArgs[] = {{"array", COREPOOL_ARG_FLOAT64S, 0, kMaxSafeInteger}};

}  // namespace

// Result: undefined; the array argument holds the sorted values.
const corepool_kernel kSortFloat64 = {"sortFloat64", 1, kSortArgs, COREPOOL_RESULT_UNDEFINED,
                                      run_sort};

}  // namespace corepool
