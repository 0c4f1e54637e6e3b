// ioLoop(count, ioMicros): the shape of an echo server's loop, for the global lock's
// convoy effect. Each round is one blocking call of `ioMicros` us (recv/send: the lock is
// released around it, Py_BEGIN_ALLOW_THREADS) followed by a few microseconds of CPU work
// under the lock and a checkpoint. ioMicros = 0 is a zero-length blocking call: the lock
// is still dropped and taken again, which is what costs an interval behind a CPU-bound
// holder.
#include <sched.h>

#include <chrono>
#include <cstdint>

#include "registry.h"
#include "sliced_sleep.h"

namespace corepool {
namespace {

// ~2 us of dependent multiplies: the request parsing between two calls.
constexpr int kWorkRounds = 2048;

// Stands for one blocking system call. Long waits are sliced so that a cancel or deadline
// stops the task within ~1 ms, as in sleep().
int blocking_call(corepool_ctx* ctx, std::chrono::duration<double, std::micro> length) {
  using Clock = std::chrono::steady_clock;
  if (length.count() <= 0) {
    sched_yield();  // a real, instant system call, like recv() on a ready socket
    return COREPOOL_OK;
  }
  return sliced_sleep(ctx, Clock::now() + std::chrono::duration_cast<Clock::duration>(length));
}

int run_io_loop(corepool_ctx* ctx, const corepool_value* args, corepool_result* result) {
  const int64_t count = args[0].integer;
  const std::chrono::duration<double, std::micro> io_length(args[1].number);
  uint64_t hash = 1469598103934665603ull;  // FNV-1a offset basis
  int64_t done = 0;
  while (done < count) {
    corepool_blocking_begin(ctx);
    int rc = blocking_call(ctx, io_length);
    corepool_blocking_end(ctx);
    if (rc != COREPOOL_OK) return rc;
    ++done;
    for (int i = 0; i < kWorkRounds; ++i) {
      hash = (hash ^ uint64_t(i)) * 1099511628211ull;
      asm volatile("" : "+r"(hash));
    }
    if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  result->number = static_cast<double>(done);
  return COREPOOL_OK;
}

const corepool_arg_spec kIoLoopArgs[] = {
    {"count", COREPOOL_ARG_INT, 0, 1e9},
    {"ioMicros", COREPOOL_ARG_NUMBER, 0, 1e7},
};

}  // namespace

// Returns the number of rounds done (always `count` when it completes).
const corepool_kernel kIoLoop = {"ioLoop", 2, kIoLoopArgs, COREPOOL_RESULT_NUMBER, run_io_loop};

}  // namespace corepool
