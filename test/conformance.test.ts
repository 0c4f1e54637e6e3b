// Every pool passes the one Executor conformance suite (test/conformance/executor-suite.ts).
// To add a pool: one executorConformance({...}) call with its factory and four tasks.
import { IoPool, kernels, NativePool, TimeoutError } from '../lib/index';
import type { Executor, TaskContext } from '../lib/index';
import { executorConformance } from './conformance/executor-suite';
import { sleep, untilAborted } from './helpers';

const triangle = (n: number): number => (n * (n - 1)) / 2 + 0; // + 0: 0, not -0, for n = 0

executorConformance({
  name: 'NativePool',
  makePool: (parallelism) => new NativePool({ maxWorkers: parallelism, name: 'conformance-native' }) as Executor<unknown>,
  makeTask: (i) => ({ task: kernels.sumRange, args: [i + 10], expected: triangle(i + 10) }),
  // spin checkpoints every few microseconds: cancel and deadlines stop it at once.
  makeSlowTask: () => ({ task: kernels.spin, args: [60_000] }),
  // The built-in kernels fail at run time only past a deadline (bad arguments throw at submit).
  makeFailingTask: () => ({ task: kernels.spin, args: [60_000], options: { timeout: 30 }, isExpected: (e) => e instanceof TimeoutError }),
  // Order matters here less than on IoPool (its tasks take microseconds); map.test.ts checks
  // native order with tasks that finish out of order.
  mapTask: { task: kernels.sumRange, expected: triangle },
});

executorConformance({
  name: 'IoPool',
  makePool: (parallelism) => new IoPool({ maxConcurrency: parallelism, name: 'conformance-io' }) as Executor<unknown>,
  makeTask: (i) => ({ task: async (_ctx: TaskContext, n: number) => (await sleep(1), triangle(n)), args: [i + 10], expected: triangle(i + 10) }),
  makeSlowTask: () => ({ task: (ctx: TaskContext) => untilAborted(ctx.signal), args: [] }),
  makeFailingTask: () => ({
    task: async () => {
      await sleep(1);
      throw new RangeError('conformance: failing task');
    },
    args: [],
    isExpected: (e) => e instanceof RangeError && e.message === 'conformance: failing task',
  }),
  // Earlier (larger) items wait longer, so completion order differs from input order.
  mapTask: { task: async (_ctx: TaskContext, n: number) => (await sleep(n * 3), triangle(n)), expected: triangle },
});
