// Kernels that burn CPU for benchmarks and tests: noop, sumRange, spin.
#include <chrono>
#include <cstdint>

#include "limits.h"
#include "registry.h"

namespace corepool {
namespace {

int run_noop(corepool_ctx*, const corepool_value*, corepool_result*) { return COREPOOL_OK; }

// Sums 0..n-1 one addition at a time. The empty asm hides the induction variable from the
// optimizer, which would otherwise replace the loop with n*(n-1)/2.
int run_sum_range(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  uint64_t n = static_cast<uint64_t>(args[0].integer);
  uint64_t sum = 0;
  constexpr uint64_t kChunk = 8192;
  for (uint64_t start = 0; start < n; start += kChunk) {
    uint64_t end = start + kChunk < n ? start + kChunk : n;
    for (uint64_t i = start; i < end; ++i) {
      uint64_t v = i;
      asm volatile("" : "+r"(v));
      sum += v;
    }
    if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  result->number = static_cast<double>(sum);
  return COREPOOL_OK;
}

// Busy-loops for `ms` milliseconds of wall time; returns the iterations done.
int run_spin(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  using Clock = std::chrono::steady_clock;
  auto end = Clock::now() + std::chrono::duration<double, std::milli>(args[0].number);
  uint64_t iterations = 0;
  volatile uint64_t sink = 0;
  for (;;) {
    for (int i = 0; i < 256; ++i) sink = sink + 1;
    iterations += 256;
    if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
    if ((iterations & 4095) == 0 && Clock::now() >= end) break;
  }
  result->number = static_cast<double>(iterations);
  return COREPOOL_OK;
}

const corepool_arg_spec kSumRangeArgs[] = {{"n", COREPOOL_ARG_INT, 0, 134217728.0}};
const corepool_arg_spec kSpinArgs[] = {{"ms", COREPOOL_ARG_NUMBER, 0, kOneHourMs}};

}  // namespace

const corepool_kernel kNoop = {"noop", 0, nullptr, COREPOOL_RESULT_UNDEFINED, run_noop};
// n is capped at 2^27 so that the sum stays an exact double (below 2^53).
const corepool_kernel kSumRange = {"sumRange", 1, kSumRangeArgs, COREPOOL_RESULT_NUMBER,
                                   run_sum_range};
const corepool_kernel kSpin = {"spin", 1, kSpinArgs, COREPOOL_RESULT_NUMBER, run_spin};

}  // namespace corepool
