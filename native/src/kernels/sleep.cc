// sleep(ms): a blocking wait that stands for blocking IO. It releases the global lock
// for its duration (Py_BEGIN_ALLOW_THREADS) and wakes every millisecond to check its
// task's cancel flag and deadline, so that it stops like any other kernel.
#include <chrono>

#include "limits.h"
#include "registry.h"
#include "sliced_sleep.h"

namespace corepool {
namespace {

int run_sleep(corepool_ctx* ctx, const corepool_value* args, corepool_result*) {
  using Clock = std::chrono::steady_clock;
  auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double, std::milli>(args[0].number));
  corepool_blocking_begin(ctx);
  int rc = sliced_sleep(ctx, end);
  corepool_blocking_end(ctx);
  return rc;
}

const corepool_arg_spec kSleepArgs[] = {{"ms", COREPOOL_ARG_NUMBER, 0, kOneHourMs}};

}  // namespace

const corepool_kernel kSleep = {"sleep", 1, kSleepArgs, COREPOOL_RESULT_UNDEFINED, run_sleep};

}  // namespace corepool
