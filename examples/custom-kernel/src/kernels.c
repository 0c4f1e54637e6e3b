/*
 * Five kernels that run on corepool's threads, exported as one kernel table.
 *
 *   collatzMax(lo, hi)      CPU: the longest Collatz chain (in steps) of n in [lo, hi)
 *   collatzSteps(n)         a size argument: n as a bigint, exact beyond 2^53
 *   countOccurrences(text, needle)  string arguments (UTF-8 copies made at submit)
 *   blockingWait(ms)        blocking: sleeps in slices, the global lock released
 *   scale(values, factor)   in place: multiplies a Float64Array (its output argument)
 *
 * Plus two deliberately broken tables, for tests of loadKernels' checks.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <time.h>

#include <corepool.h>
#include <node_api.h>

/* Steps of n -> n/2 or 3n+1 until 1. Every chain from n <= 1e9 stays below 2^64
 * (the highest, from n = 1,410,123,943, peaks near 7.1e18): hence the bound on hi. */
static uint64_t collatz_steps(uint64_t n) {
  uint64_t steps = 0;
  while (n != 1) {
    n = (n & 1) ? 3 * n + 1 : n / 2;
    ++steps;
  }
  return steps;
}

static int run_collatz_max(corepool_ctx* ctx, const corepool_value* args,
                           corepool_result* result) {
  uint64_t lo = (uint64_t)args[0].integer, hi = (uint64_t)args[1].integer;
  uint64_t best = 0;
  if (lo > hi) {
    corepool_error(ctx, "collatzMax: lo must not be greater than hi");
    return COREPOOL_ERROR;
  }
  for (uint64_t n = lo; n < hi; ++n) {
    uint64_t s = collatz_steps(n);
    if (s > best) best = s;
    /* A chain is ~100 steps: checking every 256 numbers is a few microseconds apart. */
    if ((n & 255) == 0 && corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  result->number = (double)best;
  return COREPOOL_OK;
}

/* Steps from n (a COREPOOL_ARG_SIZE: exact up to 2^63 - 1) down to 1. The chain may
 * climb past 2^64 for such n: then it reports an error rather than a wrong count. */
static int run_collatz_steps(corepool_ctx* ctx, const corepool_value* args,
                             corepool_result* result) {
  uint64_t n = (uint64_t)args[0].integer, steps = 0;
  while (n != 1) {
    if (n & 1) {
      if (n > (UINT64_MAX - 1) / 3) {
        corepool_error(ctx, "the chain leaves the 64-bit range");
        return COREPOOL_ERROR;
      }
      n = 3 * n + 1;
    } else {
      n /= 2;
    }
    if ((++steps & 4095) == 0 && corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  result->number = (double)steps;
  return COREPOOL_OK;
}

/* Non-overlapping occurrences of needle in text, both UTF-8 (COREPOOL_ARG_STRING). */
static int run_count_occurrences(corepool_ctx* ctx, const corepool_value* args,
                                 corepool_result* result) {
  const char* text = (const char*)args[0].view.data;
  size_t n = args[0].view.length;
  const char* needle = (const char*)args[1].view.data;
  size_t m = args[1].view.length;
  double count = 0;
  for (size_t i = 0; i + m <= n;) {
    size_t j = 0;
    while (j < m && text[i + j] == needle[j]) ++j;
    if (j == m) {
      ++count;
      i += m;
    } else {
      ++i;
    }
    if ((i & 0xFFFF) == 0 && corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  result->number = count;
  return COREPOOL_OK;
}

/* Stands for a blocking call (a read, a sleep): at most 1 ms per slice, so that
 * cancellation and deadlines are seen within a millisecond. */
static int run_blocking_wait(corepool_ctx* ctx, const corepool_value* args,
                             corepool_result* result) {
  double left = args[0].number;
  (void)result;
  while (left > 0) {
    double slice = left < 1.0 ? left : 1.0;
    struct timespec ts = {0, (long)(slice * 1e6)};
    corepool_blocking_begin(ctx); /* other threads may take the global lock meanwhile */
    nanosleep(&ts, NULL);
    corepool_blocking_end(ctx);
    left -= slice;
    if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  return COREPOOL_OK;
}

/* Writes into its argument: the caller's Float64Array holds the result when the task's
 * Future settles. Returns the element count. */
static int run_scale(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  double* v = (double*)args[0].view.data;
  size_t n = args[0].view.length;
  double factor = args[1].number;
  for (size_t i = 0; i < n; ++i) {
    v[i] *= factor;
    if ((i & 0xFFFF) == 0xFFFF && corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  result->number = (double)n;
  return COREPOOL_OK;
}

/* Bounds are checked in JavaScript before a task is queued (RangeError naming the
 * argument), so the kernels can trust them. */
static const corepool_arg_spec collatz_args[] = {
    {"lo", COREPOOL_ARG_INT, 1, 1e9},
    {"hi", COREPOOL_ARG_INT, 1, 1e9},
};
static const corepool_arg_spec steps_args[] = {{"n", COREPOOL_ARG_SIZE, 1, 9223372036854775807.0}};
static const corepool_arg_spec occurrences_args[] = {
    {"text", COREPOOL_ARG_STRING, 0, 1 << 30},
    {"needle", COREPOOL_ARG_STRING, 1, 4096},
};
static const corepool_arg_spec wait_args[] = {{"ms", COREPOOL_ARG_NUMBER, 0, 60000}};
static const corepool_arg_spec scale_args[] = {
    {"values", COREPOOL_ARG_FLOAT64S, 0, 9007199254740991.0},
    {"factor", COREPOOL_ARG_NUMBER, -1e308, 1e308},
};

static const corepool_kernel kernels[] = {
    {"collatzMax", 2, collatz_args, COREPOOL_RESULT_NUMBER, run_collatz_max},
    {"blockingWait", 1, wait_args, COREPOOL_RESULT_UNDEFINED, run_blocking_wait},
    {"scale", 2, scale_args, COREPOOL_RESULT_NUMBER, run_scale},
    {"collatzSteps", 1, steps_args, COREPOOL_RESULT_NUMBER, run_collatz_steps},
    {"countOccurrences", 2, occurrences_args, COREPOOL_RESULT_NUMBER, run_count_occurrences},
};
static const corepool_kernel_table table = COREPOOL_TABLE(kernels);

/* For tests only: a table claiming a future ABI version, and one whose argument bounds
 * are inverted. corepool must refuse both with a TypeError. */
static const corepool_kernel_table future_table = {
    COREPOOL_TABLE_MAGIC, COREPOOL_ABI_VERSION + 1, 3, kernels};
static const corepool_arg_spec inverted_args[] = {{"n", COREPOOL_ARG_INT, 10, 1}};
static const corepool_kernel broken_kernels[] = {
    {"inverted", 1, inverted_args, COREPOOL_RESULT_NUMBER, run_collatz_max},
};
static const corepool_kernel_table malformed_table = COREPOOL_TABLE(broken_kernels);

static napi_value external(napi_env env, const void* data) {
  napi_value value = NULL;
  /* The tables are static: no finalizer. */
  napi_create_external(env, (void*)(uintptr_t)data, NULL, NULL, &value);
  return value;
}

NAPI_MODULE_INIT() {
  napi_set_named_property(env, exports, "corepoolKernels", external(env, &table));
  napi_set_named_property(env, exports, "futureAbiTable", external(env, &future_table));
  napi_set_named_property(env, exports, "malformedTable", external(env, &malformed_table));
  return exports;
}
