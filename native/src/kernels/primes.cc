// Trial division, as in the classic ProcessPoolExecutor.map(is_prime, numbers) demo.
#include <cmath>
#include <cstdint>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define COREPOOL_PRIMES_SSE2 1
#endif

#include "limits.h"
#include "registry.h"

namespace corepool {
namespace {

// 64 loop steps (128 divisions, ~0.25 us) between checkpoints: finer than the legacy
// global lock's 100-tick period (1.25 us), which can release only here. A checkpoint
// is one relaxed load, so the cadence costs nothing measurable when the lock is off.
constexpr uint64_t kStepsPerCheckpoint = 64;

// The trial-division loop over divisors 5, 7, 11, 13, ... (6k +- 1) up to sqrt(n).
// Instantiated for 32-bit numbers too: the same algorithm, but a 32-bit division costs
// about a third of a 64-bit one.
template <typename Int>
int trial_divide(corepool_ctx* ctx, Int n, Int limit, uint64_t& budget) {
  for (Int i = 5; i <= limit; i += 6) {
    if (n % i == 0 || n % (i + 2) == 0) return 0;
    if (++budget == kStepsPerCheckpoint) {
      budget = 0;
      if (corepool_checkpoint(ctx)) return -1;
    }
  }
  return 1;
}

#ifdef COREPOOL_PRIMES_SSE2
// The same loop for n < 2^32 with both trial divisions of a step (i and i + 2) in one
// SSE2 division of two doubles (SSE2 is part of x86-64 itself): measured 1.75x the
// scalar 32-bit loop, which runs at V8's speed on the same JS loop (divisions are the
// bound). Exact: for n < 2^53, n / d rounds to an integer only when d divides n (a
// remainder r puts n / d at least 1 / d from any integer, more than the rounding error
// n / d * 2^-53), and (q + 2^52) - 2^52 == q tells an integer q < 2^52 (no -ffast-math).
int trial_divide_sse2(corepool_ctx* ctx, uint32_t n, uint32_t limit, uint64_t& budget) {
  const __m128d numerator = _mm_set1_pd(double(n));
  const __m128d round = _mm_set1_pd(4503599627370496.0);  // 2^52
  const __m128d step = _mm_set1_pd(6.0);
  __m128d divisors = _mm_set_pd(7.0, 5.0);
  for (uint32_t i = 5; i <= limit; i += 6) {
    __m128d q = _mm_div_pd(numerator, divisors);
    __m128d whole = _mm_sub_pd(_mm_add_pd(q, round), round);
    if (_mm_movemask_pd(_mm_cmpeq_pd(q, whole)) != 0) return 0;
    divisors = _mm_add_pd(divisors, step);
    if (++budget == kStepsPerCheckpoint) {
      budget = 0;
      if (corepool_checkpoint(ctx)) return -1;
    }
  }
  return 1;
}
#endif

// 1 prime, 0 composite, -1 stopped at a checkpoint. `budget` carries the step count
// across calls so that countPrimes over many small numbers checkpoints just as often.
int is_prime(corepool_ctx* ctx, uint64_t n, uint64_t& budget) {
  if (n < 2) return 0;
  if (n < 4) return 1;
  if (n % 2 == 0 || n % 3 == 0) return 0;
  uint64_t limit = static_cast<uint64_t>(std::sqrt(static_cast<double>(n)));
  while (limit * limit > n) --limit;
  while ((limit + 1) * (limit + 1) <= n) ++limit;
  // (limit + 6 cannot overflow: limit < 2^16 here.)
#ifdef COREPOOL_PRIMES_SSE2
  if (n <= UINT32_MAX) return trial_divide_sse2(ctx, uint32_t(n), uint32_t(limit), budget);
#else
  if (n <= UINT32_MAX)
    return trial_divide<uint32_t>(ctx, uint32_t(n), uint32_t(limit), budget);
#endif
  return trial_divide<uint64_t>(ctx, n, limit, budget);
}

int run_is_prime(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  uint64_t budget = 0;
  int r = is_prime(ctx, static_cast<uint64_t>(args[0].integer), budget);
  if (r < 0) return COREPOOL_STOPPED;
  result->boolean = r;
  return COREPOOL_OK;
}

int run_count_primes(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  uint64_t lo = static_cast<uint64_t>(args[0].integer);
  uint64_t hi = static_cast<uint64_t>(args[1].integer);
  uint64_t budget = 0;
  double count = 0;
  for (uint64_t n = lo; n < hi; ++n) {
    int r = is_prime(ctx, n, budget);
    if (r < 0) return COREPOOL_STOPPED;
    count += r;
    if (++budget >= kStepsPerCheckpoint) {
      budget = 0;
      if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
    }
  }
  result->number = count;
  return COREPOOL_OK;
}

const corepool_arg_spec kIsPrimeArgs[] = {{"n", COREPOOL_ARG_INT, 0, kMaxSafeInteger}};
const corepool_arg_spec kCountPrimesArgs[] = {
    {"lo", COREPOOL_ARG_INT, 0, kMaxSafeInteger},
    {"hi", COREPOOL_ARG_INT, 0, kMaxSafeInteger},
};

}  // namespace

const corepool_kernel kIsPrime = {"isPrime", 1, kIsPrimeArgs, COREPOOL_RESULT_BOOL, run_is_prime};
// Counts the primes p with lo <= p < hi.
const corepool_kernel kCountPrimes = {"countPrimes", 2, kCountPrimesArgs, COREPOOL_RESULT_NUMBER,
                                      run_count_primes};

}  // namespace corepool
