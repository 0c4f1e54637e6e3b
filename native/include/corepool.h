/*
 * corepool.h: the C ABI between corepool's thread pool and the kernels it runs.
 *
 * A kernel is a plain C function plus a description of its arguments and result.
 * It runs on one of corepool's own threads, must not touch any JavaScript value,
 * and must call corepool_checkpoint(ctx) at safe points (at least every ~100 us of
 * work): that single call serves cancellation, deadlines and, in global-lock mode,
 * the lock's drop requests. (The legacy lock releases every 1.25 us of holding time,
 * but only at a checkpoint: to show its cost, checkpoint more often than that.)
 * No C++ exception and no N-API type crosses this ABI.
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

/* Bumped on any incompatible change of the structs or functions below. A host loads only
 * tables built with its own version: there is no partial compatibility to reason about.
 * Version 2: kernel tables start with COREPOOL_TABLE_MAGIC; typed-array result kinds. */
#define COREPOOL_ABI_VERSION 2

/* The first field of every kernel table ('CPKT'): tells a table from any other External
 * a JavaScript caller might pass by mistake. */
#define COREPOOL_TABLE_MAGIC 0x544B5043u

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
  COREPOOL_ARG_BYTES = 4,   /* Uint8Array, read and written (see typed arrays below) */
  COREPOOL_ARG_FLOAT64S = 5,/* Float64Array, read and written */
  COREPOOL_ARG_INT32S = 6,  /* Int32Array, read and written */
  COREPOOL_ARG_STRING = 7,  /* a JS string, copied to UTF-8 at submit (JS strings cannot be
                               read off the JS thread): view.data is a NUL-terminated
                               const char*, view.length its length in bytes; min/max bound
                               that byte length */
  COREPOOL_ARG_SIZE = 8,    /* a size or count: a bigint or an integer number in [min, max]
                               (0 <= min, max <= 2^63 - 1), delivered exactly in .integer;
                               use it where values may pass Number.MAX_SAFE_INTEGER */
  /* Input-only views: as BYTES, FLOAT64S and INT32S, but the kernel promises never to write
   * them, so the host need not copy them back (see below). Prefer these for inputs. */
  COREPOOL_ARG_BYTES_IN = 9,
  COREPOOL_ARG_FLOAT64S_IN = 10,
  COREPOOL_ARG_INT32S_IN = 11
} corepool_arg_kind;

/*
 * Typed-array arguments. A view of a SharedArrayBuffer is zero-copy: the host pins it (a
 * strong reference) from submit until the task settles, and the kernel reads, and may
 * write, `view.data` in place while JavaScript may be reading and writing it too (a
 * SharedArrayBuffer cannot be detached, so the memory stays valid). Such concurrent access
 * gives unspecified contents for the bytes both sides touch, as any data race does; use
 * Atomics on the JS side and your own protocol to share values with a running kernel.
 * A view of an ordinary ArrayBuffer is copied into memory the host owns when the task is
 * sent (JavaScript could otherwise detach or transfer the buffer, freeing the memory under
 * the kernel): the kernel works on that copy. For BYTES, FLOAT64S and INT32S the copy is
 * written back into the view when the task ends, if the buffer is still attached (an
 * output argument; a kernel may also leave it as it was); the *_IN kinds are never copied
 * back. JavaScript sees an ordinary buffer as it was until the task's Future settles.
 * The host refuses views of detached buffers (when the task is sent) and of resizable or
 * growable buffers (their length could change under the kernel).
 * Data written by the kernel is visible once the task's Future settles.
 */

/* What a kernel produces. Array results are bytes allocated with corepool_result_bytes
 * (or the typed helpers below); `length` always counts bytes. */
typedef enum corepool_result_kind {
  COREPOOL_RESULT_UNDEFINED = 0,
  COREPOOL_RESULT_NUMBER = 1,
  COREPOOL_RESULT_BOOL = 2,
  COREPOOL_RESULT_BYTES = 3,   /* a new Uint8Array */
  COREPOOL_RESULT_BIGINT = 4,  /* bytes hold a little-endian unsigned magnitude */
  COREPOOL_RESULT_FLOAT64S = 5,/* a new Float64Array of length / 8 elements */
  COREPOOL_RESULT_INT32S = 6,  /* a new Int32Array of length / 4 elements */
  COREPOOL_RESULT_UINT16S = 7, /* a new Uint16Array of length / 2 elements */
  COREPOOL_RESULT_UINT32S = 8  /* a new Uint32Array of length / 4 elements */
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
    void* data;      /* stays valid for the whole run (pinned shared memory, or a copy) */
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

/* A table of kernels, exported by an addon (as a Node-API External whose data is a
 * pointer to the table) for corepool's loadKernels(). The table and everything it points
 * to must live as long as the process: make it static. Kernel names must be unique
 * within a table.
 * loadKernels reads the table only through fault-safe copies and checks: the magic and
 * version, count (1..4096) and arg_count (<= 16) against memory that is readable that far,
 * names (NUL-terminated, 1..200 bytes, unique), argument and result kinds, min <= max,
 * non-negative length bounds, INT/SIZE bounds within int64. It cannot check that count and
 * arg_count equal the arrays' real lengths (only that the memory is readable), that `run`
 * is a function of this signature, or anything the kernel does when it runs. */
typedef struct corepool_kernel_table {
  uint32_t magic;       /* COREPOOL_TABLE_MAGIC */
  uint32_t abi_version; /* COREPOOL_ABI_VERSION the addon was built with */
  uint32_t count;
  const corepool_kernel* kernels;
} corepool_kernel_table;

/* Initializer of a table over a static array of kernels:
 *   static const corepool_kernel_table table = COREPOOL_TABLE(my_kernels); */
#define COREPOOL_TABLE(kernel_array)                                   \
  { COREPOOL_TABLE_MAGIC, COREPOOL_ABI_VERSION,                        \
    (uint32_t)(sizeof(kernel_array) / sizeof((kernel_array)[0])), (kernel_array) }

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

/* Allocates a result array of `count` elements of `size` bytes, or NULL (out of memory, or
 * count * size overflows). For the typed result kinds. */
static inline void* corepool_result_array(corepool_ctx* ctx, corepool_result* result,
                                          size_t count, size_t size) {
  if (size != 0 && count > (size_t)-1 / size) return NULL;
  return ctx->host->result_bytes(ctx, result, count * size);
}

/* COREPOOL_RESULT_FLOAT64S: `count` doubles, returned to JavaScript as a Float64Array. */
static inline double* corepool_result_float64s(corepool_ctx* ctx, corepool_result* result,
                                               size_t count) {
  return (double*)corepool_result_array(ctx, result, count, sizeof(double));
}

#ifdef __cplusplus
}
#endif

#endif /* COREPOOL_H */
