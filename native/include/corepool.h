/*
 * corepool.h: the C ABI between corepool's thread pool and the kernels it runs.
 *
 * A kernel is a plain C function plus a description of its arguments and result.
 * It runs on one of corepool's own threads, must not touch any JavaScript value,
 * and must call corepool_checkpoint(ctx) at safe points (at least every ~100 us of
 * work): that single call serves cancellation, deadlines and, in global-lock mode,
 * the lock's drop requests. No C++ exception and no N-API type crosses this ABI.
 *
 * Usable from C99 and C++. Built-in kernels use it exactly as user addons do.
 */
#ifndef COREPOOL_H
#define COREPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of the structs or functions below. */
#define COREPOOL_ABI_VERSION 1

/* Bits of the per-thread interrupt word read by corepool_checkpoint. */
#define COREPOOL_INTERRUPT_CANCEL 1u       /* the task was cancelled */
#define COREPOOL_INTERRUPT_DEADLINE 2u     /* the task's deadline passed */
#define COREPOOL_INTERRUPT_DROP_REQUEST 4u /* global-lock mode: another thread wants the lock */
#define COREPOOL_INTERRUPT_TICK 8u         /* host-internal: legacy global-lock mode counts ticks */

/* What an argument must be; checked in JavaScript before the task is queued. */
typedef enum corepool_arg_kind {
  COREPOOL_ARG_NUMBER = 1,  /* any finite double */
  COREPOOL_ARG_INT = 2,     /* an integer-valued number within [min, max] */
  COREPOOL_ARG_BOOL = 3,    /* true or false */
  COREPOOL_ARG_BYTES = 4,   /* Uint8Array, read in place */
  COREPOOL_ARG_FLOAT64S = 5,/* Float64Array, read (or written) in place */
  COREPOOL_ARG_INT32S = 6   /* Int32Array, read (or written) in place */
} corepool_arg_kind;

/* What a kernel produces. */
typedef enum corepool_result_kind {
  COREPOOL_RESULT_UNDEFINED = 0,
  COREPOOL_RESULT_NUMBER = 1,
  COREPOOL_RESULT_BOOL = 2,
  COREPOOL_RESULT_BYTES = 3,   /* a new Uint8Array */
  COREPOOL_RESULT_BIGINT = 4   /* bytes hold a little-endian unsigned magnitude */
} corepool_result_kind;

typedef struct corepool_arg_spec {
  const char* name;        /* shown in error messages: the argument's name */
  corepool_arg_kind kind;
  double min;              /* NUMBER/INT: inclusive bounds; views: bounds on length */
  double max;
} corepool_arg_spec;

/* One argument as the kernel receives it. */
typedef union corepool_value {
  double number;
  int64_t integer;
  int boolean;
  struct {
    void* data;      /* stays valid (pinned) for the whole run */
    size_t length;   /* in elements, not bytes */
  } view;
} corepool_value;

/* Where a kernel writes its result. Bytes are allocated with corepool_result_bytes. */
typedef struct corepool_result {
  double number;
  int boolean;
  uint8_t* bytes;
  size_t length;
} corepool_result;

typedef struct corepool_ctx corepool_ctx;

/* Return values of a kernel's run function. */
#define COREPOOL_OK 0
#define COREPOOL_STOPPED 1 /* returned after corepool_checkpoint said to stop */
#define COREPOOL_ERROR 2   /* corepool_error was called with the reason */

typedef struct corepool_kernel {
  const char* name;
  uint32_t arg_count;
  const corepool_arg_spec* args;
  corepool_result_kind result;
  int (*run)(corepool_ctx* ctx, const corepool_value* args, corepool_result* result);
} corepool_kernel;

/* A table of kernels, exported by an addon for pool.loadKernels(). */
typedef struct corepool_kernel_table {
  uint32_t abi_version; /* COREPOOL_ABI_VERSION the addon was built with */
  uint32_t count;
  const corepool_kernel* kernels;
} corepool_kernel_table;

/* The host's services, reached through the context so that user addons need not
 * link against corepool: every call goes through these pointers. */
typedef struct corepool_host_api {
  uint32_t abi_version;
  int (*checkpoint_slow)(corepool_ctx* ctx);
  void (*blocking_begin)(corepool_ctx* ctx);
  void (*blocking_end)(corepool_ctx* ctx);
  void (*error)(corepool_ctx* ctx, const char* message);
  uint8_t* (*result_bytes)(corepool_ctx* ctx, corepool_result* result, size_t length);
} corepool_host_api;

/* The head of every context; the host keeps its own state after it. */
struct corepool_ctx {
  const corepool_host_api* host;
  const uint32_t* interrupt; /* the running thread's interrupt word, written atomically */
};

/* Returns non-zero when the kernel must stop now (cancelled or past its deadline).
 * The fast path is one relaxed atomic load; only when a bit is set does the host
 * run (to hand over the global lock, say, after which the kernel may go on). */
static inline int corepool_checkpoint(corepool_ctx* ctx) {
#if defined(__GNUC__) || defined(__clang__)
  uint32_t bits = __atomic_load_n(ctx->interrupt, __ATOMIC_RELAXED);
#else
  uint32_t bits = *(const volatile uint32_t*)ctx->interrupt;
#endif
  return bits == 0 ? 0 : ctx->host->checkpoint_slow(ctx);
}

/* Around a blocking call (IO, sleep): releases the global lock, as Python's
 * Py_BEGIN_ALLOW_THREADS does, and takes it again afterwards. No-ops without it. */
static inline void corepool_blocking_begin(corepool_ctx* ctx) { ctx->host->blocking_begin(ctx); }
static inline void corepool_blocking_end(corepool_ctx* ctx) { ctx->host->blocking_end(ctx); }

/* Fails the task with this message (copied); the kernel then returns COREPOOL_ERROR. */
static inline void corepool_error(corepool_ctx* ctx, const char* message) {
  ctx->host->error(ctx, message);
}

/* Allocates `length` bytes owned by the result (freed by the host). NULL if out of memory. */
static inline uint8_t* corepool_result_bytes(corepool_ctx* ctx, corepool_result* result,
                                             size_t length) {
  return ctx->host->result_bytes(ctx, result, length);
}

#ifdef __cplusplus
}
#endif

#endif /* COREPOOL_H */
