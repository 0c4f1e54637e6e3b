// matmul(a, b, n) -> Float64Array: the n x n row-major product a * b, read in place from
// the two pinned arguments into a new result array. The i-k-j loop order streams rows
// of b and of the result, so the inner loop is a contiguous axpy the compiler
// vectorizes; this is the same algorithm as bench/'s JavaScript triple loop, not BLAS.
#include <cstdint>
#include <cstring>

#include "registry.h"

namespace corepool {
namespace {

// About 64 * n multiply-adds (tens of microseconds for n ~ 1000) between checkpoints.
constexpr size_t kRowsOfBPerCheckpoint = 64;

int run_matmul(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  const double* a = static_cast<const double*>(args[0].view.data);
  const double* b = static_cast<const double*>(args[1].view.data);
  const size_t n = size_t(args[2].integer);
  // The JS rule checks this before queuing; a native caller (runSync from C) might not.
  if (args[0].view.length != n * n || args[1].view.length != n * n) {
    corepool_error(ctx, "matmul: a and b must each hold n * n elements");
    return COREPOOL_ERROR;
  }
  double* c = corepool_result_float64s(ctx, result, n * n);
  if (c == nullptr) {
    corepool_error(ctx, "matmul: out of memory");
    return COREPOOL_ERROR;
  }
  std::memset(c, 0, n * n * sizeof(double));
  size_t since_checkpoint = 0;
  for (size_t i = 0; i < n; ++i) {
    double* ci = c + i * n;
    const double* ai = a + i * n;
    for (size_t k = 0; k < n; ++k) {
      const double aik = ai[k];
      const double* bk = b + k * n;
      for (size_t j = 0; j < n; ++j) ci[j] += aik * bk[j];
      if (++since_checkpoint == kRowsOfBPerCheckpoint) {
        since_checkpoint = 0;
        if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
      }
    }
  }
  return COREPOOL_OK;
}

// n = 16384 is 2 GiB per matrix: past that the caller could not have built a and b.
constexpr double kMaxN = 16384;
const corepool_arg_spec kMatmulArgs[] = {
    {"a", COREPOOL_ARG_FLOAT64S_IN, 1, kMaxN * kMaxN},
    {"b", COREPOOL_ARG_FLOAT64S_IN, 1, kMaxN * kMaxN},
    {"n", COREPOOL_ARG_INT, 1, kMaxN},
};

}  // namespace

const corepool_kernel kMatmul = {"matmul", 3, kMatmulArgs, COREPOOL_RESULT_FLOAT64S, run_matmul};

}  // namespace corepool
