#include "registry.h"

namespace corepool {

static const corepool_kernel* const kBuiltins[] = {
    &kIsPrime, &kCountPrimes, &kSumRange, &kSpin, &kSleep, &kSha256, &kNoop, &kIoLoop,
    // Appended after the first eight: ids only ever grow at the end.
    &kFactorial, &kMatmul, &kSortFloat64, &kMandelbrot, &kMandelbrot16, nullptr,
};

const corepool_kernel* const* builtin_kernels() { return kBuiltins; }
size_t builtin_kernel_count() { return sizeof(kBuiltins) / sizeof(kBuiltins[0]) - 1; }

}  // namespace corepool
