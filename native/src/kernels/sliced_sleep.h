// A blocking wait that stays cancellable: it sleeps in slices of at most 1 ms and checks
// the task's cancel flag and deadline between them. Shared by sleep and ioLoop.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

#include "corepool.h"

namespace corepool {

// COREPOOL_OK once `end` has passed, COREPOOL_STOPPED if a checkpoint said stop first.
inline int sliced_sleep(corepool_ctx* ctx, std::chrono::steady_clock::time_point end) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kSlice = std::chrono::milliseconds(1);
  for (auto now = Clock::now(); now < end; now = Clock::now()) {
    if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
    std::this_thread::sleep_for(std::min<Clock::duration>(end - now, kSlice));
  }
  return COREPOOL_OK;
}

}  // namespace corepool
