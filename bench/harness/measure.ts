// Runs a batch of tasks through a Runner: warm-up, timed repetitions, and per run the
// wall time, task latencies (submit to completion), event-loop delay and peak RSS.
import { monitorEventLoopDelay } from 'node:perf_hooks';

import type { Runner } from '../contenders/pools';
import type { Task } from '../contenders/js-kernels.cjs';
import { median, percentile } from './stats';

export interface BatchResult {
  /** Median wall time of the timed repetitions, ms. */
  wallMs: number;
  /** Tasks per second at the median wall time. */
  throughput: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Event-loop delay p99 across the timed repetitions, ms. */
  eventLoopP99Ms: number;
  peakRssMB: number;
  /** Results of the last repetition, in task order. */
  results: unknown[];
}

/** Runs every task at once (the pool queues them); resolves with results and latencies. */
export async function runBatch(runner: Runner, tasks: readonly Task[]): Promise<{ results: unknown[]; latencies: Float64Array; wallMs: number }> {
  const results = new Array<unknown>(tasks.length);
  const latencies = new Float64Array(tasks.length);
  const t0 = performance.now();
  const pending: PromiseLike<void>[] = new Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const start = performance.now();
    pending[i] = runner.run(tasks[i]!).then((value) => {
      latencies[i] = performance.now() - start;
      results[i] = value;
    });
  }
  await Promise.all(pending);
  return { results, latencies, wallMs: performance.now() - t0 };
}

/** Samples RSS on a timer and at every call of `sample()`; `peak` in MB. */
export class RssSampler {
  private peakBytes = process.memoryUsage.rss();
  private readonly timer = setInterval(() => this.sample(), 10).unref();
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakBytes) this.peakBytes = rss;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakBytes / 2 ** 20;
  }
}

export async function measureBatch(runner: Runner, tasks: readonly Task[], reps: number, warmups: number, onRep?: (rep: number) => void): Promise<BatchResult> {
  for (let i = 0; i < warmups; i++) await runBatch(runner, tasks);
  const rss = new RssSampler();
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const walls: number[] = [];
  const latencies: number[] = [];
  let results: unknown[] = [];
  eld.enable();
  for (let r = 0; r < reps; r++) {
    onRep?.(r + 1);
    const run = await runBatch(runner, tasks);
    walls.push(run.wallMs);
    for (const l of run.latencies) latencies.push(l);
    results = run.results;
    rss.sample();
  }
  eld.disable();
  const wallMs = median(walls);
  return {
    wallMs,
    throughput: (tasks.length / wallMs) * 1000,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    eventLoopP99Ms: eld.count > 0 ? eld.percentile(99) / 1e6 : wallMs,
    peakRssMB: rss.stop(),
    results,
  };
}
