// The built-in kernels, in the order of their ids (the binding exports them by index).
#pragma once

#include <cstddef>

#include "corepool.h"

namespace corepool {

extern const corepool_kernel kIsPrime;
extern const corepool_kernel kCountPrimes;
extern const corepool_kernel kSumRange;
extern const corepool_kernel kSpin;
extern const corepool_kernel kSleep;
extern const corepool_kernel kSha256;
extern const corepool_kernel kNoop;
extern const corepool_kernel kIoLoop;
extern const corepool_kernel kFactorial;
extern const corepool_kernel kMatmul;
extern const corepool_kernel kSortFloat64;
extern const corepool_kernel kMandelbrot;
extern const corepool_kernel kMandelbrot16;

// Which code the sha256 kernel runs, chosen when the addon loads: "openssl" (the host
// process's), "sha-ni" or "portable" (hash.cc). For tests and benchmarks.
const char* sha256_backend();

// Null-terminated list of every built-in kernel.
const corepool_kernel* const* builtin_kernels();
size_t builtin_kernel_count();

}  // namespace corepool
