// Kernels that exist only for the tests: gates a test can open, a probe of mutual
// exclusion under the global lock, a barrier that proves parallelism.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "corepool.h"

namespace tk {

constexpr int kGates = 8;
inline std::atomic<bool> gate_open[kGates];
inline std::atomic<int> gate_started[kGates];

// gate(g, stubborn): waits, checkpointing, until gate g opens. stubborn != 0 ignores a
// stop request and returns OK anyway (a late result that must be dropped).
inline int run_gate(corepool_ctx* ctx, const corepool_value* a, corepool_result* r) {
  int g = int(a[0].integer);
  bool stubborn = a[1].boolean != 0;
  gate_started[g].fetch_add(1);
  while (!gate_open[g].load()) {
    if (corepool_checkpoint(ctx) && !stubborn) return COREPOOL_STOPPED;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  r->number = g;
  return COREPOOL_OK;
}
inline const corepool_arg_spec kGateArgs[] = {{"g", COREPOOL_ARG_INT, 0, kGates - 1},
                                              {"stubborn", COREPOOL_ARG_BOOL, 0, 1}};
inline const corepool_kernel kGate = {"gate", 2, kGateArgs, COREPOOL_RESULT_NUMBER, run_gate};

// probe(ms): for `ms` of wall time, enters a region between two checkpoints and counts
// how often another probe was inside at the same time. Under the global lock the code
// between checkpoints is exclusive, so overlaps must stay 0.
inline std::atomic<int> probe_inside{0};
inline std::atomic<uint64_t> probe_overlaps{0};
inline int run_probe(corepool_ctx* ctx, const corepool_value* a, corepool_result* r) {
  auto end = std::chrono::steady_clock::now() +
             std::chrono::duration<double, std::milli>(a[0].number);
  uint64_t rounds = 0;
  volatile uint64_t sink = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (probe_inside.fetch_add(1) != 0) probe_overlaps.fetch_add(1);
    for (int i = 0; i < 500; ++i) sink = sink + 1;
    probe_inside.fetch_sub(1);
    ++rounds;
    if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
  }
  r->number = double(rounds);
  return COREPOOL_OK;
}
inline const corepool_arg_spec kProbeArgs[] = {{"ms", COREPOOL_ARG_NUMBER, 0, 1e6}};
inline const corepool_kernel kProbe = {"probe", 1, kProbeArgs, COREPOOL_RESULT_NUMBER, run_probe};

// barrier(n): returns 1 once n barrier tasks are running at the same time, 0 after 5 s.
inline std::atomic<int> barrier_arrived{0};
inline int run_barrier(corepool_ctx* ctx, const corepool_value* a, corepool_result* r) {
  int n = int(a[0].integer);
  barrier_arrived.fetch_add(1);
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (barrier_arrived.load() < n && std::chrono::steady_clock::now() < end) {
    if (corepool_checkpoint(ctx)) return COREPOOL_STOPPED;
    std::this_thread::yield();
  }
  r->boolean = barrier_arrived.load() >= n;
  return COREPOOL_OK;
}
inline const corepool_arg_spec kBarrierArgs[] = {{"n", COREPOOL_ARG_INT, 1, 64}};
inline const corepool_kernel kBarrier = {"barrier", 1, kBarrierArgs, COREPOOL_RESULT_BOOL,
                                         run_barrier};

// fail(): reports an error through the ABI. stopper(): stops with no reason to.
inline int run_fail(corepool_ctx* ctx, const corepool_value*, corepool_result*) {
  corepool_error(ctx, "fail: on purpose");
  return COREPOOL_ERROR;
}
inline const corepool_kernel kFail = {"fail", 0, nullptr, COREPOOL_RESULT_UNDEFINED, run_fail};
inline int run_stopper(corepool_ctx*, const corepool_value*, corepool_result*) {
  return COREPOOL_STOPPED;
}
inline const corepool_kernel kStopper = {"stopper", 0, nullptr, COREPOOL_RESULT_UNDEFINED,
                                         run_stopper};

inline void reset_gates() {
  for (int i = 0; i < kGates; ++i) {
    gate_open[i] = false;
    gate_started[i] = 0;
  }
}

}  // namespace tk
