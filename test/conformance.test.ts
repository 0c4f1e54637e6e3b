// Every pool passes the one Executor conformance suite (test/conformance/executor-suite.ts).
// To add a pool: one executorConformance({...}) call with its factory and four tasks.
import { IoPool, kernels, NativePool, TimeoutError, WorkerPool, QueuePool } from '../lib/index';
import type { Executor, TaskContext } from '../lib/index';
import { executorConformance } from './conformance/executor-suite';
import { sleep, untilAborted } from './helpers';
import { redisOrSkip, startWorker, stopWorkers, uniqueQueue, WorkerProcess } from './queue-helpers';

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

// WorkerPool: the tasks are exports of a plain-JS module, run in worker threads.
type WorkerTasks = typeof import('./fixtures/worker-tasks.mjs');
const workerTasks = require('node:path').join(__dirname, 'fixtures/worker-tasks.mjs') as string;
let conformanceWorkerPool: WorkerPool<WorkerTasks> | undefined;
const workerHandle = <K extends 'add' | 'spin' | 'fail' | 'sleepy' | 'triangleAfter'>(name: K) => {
  if (conformanceWorkerPool === undefined) throw new Error('no WorkerPool made yet');
  return conformanceWorkerPool.task(name);
};

executorConformance({
  name: 'WorkerPool',
  makePool: (parallelism) => (conformanceWorkerPool = new WorkerPool<WorkerTasks>({ module: workerTasks, maxWorkers: parallelism, minWorkers: parallelism, name: 'conformance-worker' })) as unknown as Executor<unknown>,
  makeTask: (i) => ({ task: workerHandle('add'), args: [i, 10], expected: i + 10 }),
  makeSlowTask: () => ({ task: workerHandle('spin'), args: [60_000] }),
  makeFailingTask: () => ({ task: workerHandle('fail'), args: ['conformance: failing task'], isExpected: (e) => e instanceof RangeError && (e as Error).message === 'conformance: failing task' }),
  mapTask: { task: { name: 'triangleAfter' }, expected: triangle },
});

// QueuePool over a real Redis: parallelism 2 is a queue served by two worker processes (one
// job at a time each), parallelism 1 a queue served by a third. The tasks are NativePool's.
describe('QueuePool, served by real worker processes', function () {
  this.timeout(120_000);
  let redis = '';
  const queues = new Map<number, string>();
  let workers: WorkerProcess[] = [];

  before(async function () {
    redis = await redisOrSkip(this);
    queues.set(1, uniqueQueue('conformance1'));
    queues.set(2, uniqueQueue('conformance2'));
    const one = ['--threads', '1', '--concurrency', '1'];
    workers = await Promise.all([
      startWorker(redis, queues.get(1)!, one),
      startWorker(redis, queues.get(2)!, one),
      startWorker(redis, queues.get(2)!, one),
    ]);
  });

  after(async () => {
    await stopWorkers(workers);
  });

  executorConformance({
    name: 'QueuePool',
    makePool: (parallelism) => {
      const queue = queues.get(parallelism);
      if (queue === undefined) throw new RangeError(`no queue served with parallelism ${parallelism}`);
      return new QueuePool({ queue, connection: redis }) as Executor<unknown>;
    },
    makeTask: (i) => ({ task: kernels.sumRange, args: [i + 10], expected: triangle(i + 10) }),
    makeSlowTask: () => ({ task: kernels.spin, args: [60_000] }),
    makeFailingTask: () => ({ task: kernels.spin, args: [60_000], options: { timeout: 30 }, isExpected: (e) => e instanceof TimeoutError }),
    mapTask: { task: kernels.sumRange, expected: triangle },
  });
});
