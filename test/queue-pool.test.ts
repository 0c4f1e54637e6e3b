// QueuePool through its public API against a real Redis and two real worker processes
// (`corepool worker`): kernels (built-in and a custom set), module tasks, exact
// round-trips, errors at submit, cancel and deadlines across processes, map, the
// waiting helpers, shutdown, and what a worker refuses to run.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  asCompleted,
  IoPool,
  CancelledError,
  Future,
  KernelError,
  kernels,
  loadKernels,
  NativePool,
  PoolShutdownError,
  QueuePool,
  QueueUnavailableError,
  RemoteTaskError,
  serve,
  TaskGroup,
  TimeoutError,
  wait,
  WorkerPool,
} from '../lib/index';
import { loadBullMQ } from '../lib/queue/load';
import { addonPath, buildExample, linkCorepool } from './custom-kernel-build';
import { sleep, until } from './helpers';
import { fixtures, freePort, redisOrSkip, startWorker, stopWorkers, uniqueQueue, WorkerProcess } from './queue-helpers';

// The fixture's signatures (it is plain JS, as a user's module may be).
type Ctx = unknown;
interface Tasks {
  echo(ctx: Ctx, value: unknown): unknown;
  add(ctx: Ctx, a: number | string, b: number | string): Promise<number | string>;
  sleep(ctx: Ctx, ms: number): Promise<number>;
  fail(ctx: Ctx, message: string): never;
  badResult(): () => number;
  logged(ctx: Ctx, file: string, tag: string, ms: number): Promise<string>;
  whereAmI(): number;
  spinCheckpoint(ctx: Ctx, ms: number): number;
}
const tasksModule = path.join(fixtures, 'queue-tasks.mjs');

/** Settles-exactly-once probe: counts done callbacks. */
function settleCount(f: Future<unknown>): () => number {
  let n = 0;
  f.addDoneCallback(() => n++);
  return () => n;
}

describe('QueuePool (real Redis, two worker processes)', function () {
  this.timeout(60_000);
  let redis: string;
  let queue: string;
  let workers: WorkerProcess[] = [];
  let qp: QueuePool<Tasks>;
  let custom: ReturnType<typeof loadKernels>;

  before(async function () {
    this.timeout(300_000);
    redis = await redisOrSkip(this);
    linkCorepool();
    buildExample();
    custom = loadKernels(require(addonPath));
    queue = uniqueQueue('qp');
    const args = ['--module', tasksModule, '--kernels', addonPath, '--threads', '1'];
    workers = await Promise.all([startWorker(redis, queue, args), startWorker(redis, queue, args)]);
    qp = new QueuePool<Tasks>({ queue, connection: redis });
  });

  after(async () => {
    await qp?.shutdown();
    const codes = workers.map((w) => w.exited);
    await stopWorkers(workers);
    // SIGTERM is a clean stop: exit code 0.
    for (const code of await Promise.all(codes)) assert.equal(code, 0);
  });

  it('both workers are connected', async () => {
    assert.equal(await qp.workerCount(), 2);
  });

  it('runs built-in kernels with the results NativePool gives', async () => {
    const local = new NativePool({ maxWorkers: 1 });
    try {
      const data = new Uint8Array(1000).map((_, i) => i * 7);
      const [primes, digest, fact] = await Promise.all([
        qp.submit(kernels.countPrimes, [0, 100_000]),
        qp.submit(kernels.sha256, [data]),
        qp.submit(kernels.factorial, [30]),
      ]);
      assert.equal(primes, await local.submit(kernels.countPrimes, [0, 100_000]));
      assert.deepEqual(digest, await local.submit(kernels.sha256, [data]));
      assert.equal(fact, 265252859812191058636308480000000n);
      assert.equal(await qp.submit(kernels.noop, []), undefined);
    } finally {
      await local.shutdown();
    }
  });

  it('runs a custom kernel set by name (--kernels)', async () => {
    const local = new NativePool({ maxWorkers: 1 });
    try {
      const k = custom.collatzMax!;
      assert.equal(await qp.submit(k, [1, 10_000]), await local.submit(k, [1, 10_000]));
    } finally {
      await local.shutdown();
    }
  });

  it("a kernel's own error arrives as KernelError, as on NativePool", async () => {
    const e = await qp.submit(custom.collatzSteps!, [2n ** 63n - 1n]).exception();
    assert.ok(e instanceof KernelError, String(e));
    assert.equal(e.message, 'collatzSteps: the chain leaves the 64-bit range');
  });

  it('runs module tasks by name, through a typed handle or a string', async () => {
    const add = qp.task('add');
    assert.equal(await qp.submit(add, [2, 3]), 5);
    assert.equal(await qp.submit('add', ['a', 'b']), 'ab');
  });

  it("module tasks run on the worker's WorkerPool: on a worker thread, stopped at ctx.checkpoint() by cancel and by a deadline", async () => {
    assert.ok((await qp.submit(qp.task('whereAmI'), [])) > 0, 'a worker thread, not the main thread');
    const f = qp.submit(qp.task('spinCheckpoint'), [30_000]);
    const count = settleCount(f);
    await until(() => f.state === 'RUNNING', 'the spin running on a worker', 10_000);
    const t0 = performance.now();
    assert.equal(f.cancel(), true);
    await assert.rejects(f.result(), CancelledError);
    assert.ok(performance.now() - t0 < 5000, 'stopped at its checkpoint, not after the 30 s spin');
    const e = await qp.submit(qp.task('spinCheckpoint'), [30_000], { timeout: 300 }).exception();
    assert.ok(e instanceof TimeoutError, String(e));
    // The worker thread that was stopped twice serves the next task.
    assert.equal(await qp.submit('add', [1, 2]), 3);
    await sleep(100);
    assert.equal(count(), 1);
  });

  it('round-trips every supported value exactly through a worker', async () => {
    const value = [
      NaN, -0, Infinity, -Infinity, 5e-324, 2 ** 53 + 2, -(2n ** 100n), '', 'é😀\ud800', true, false, null, undefined,
      new Float64Array([NaN, -0, 1e308]), new Uint8Array([0, 255]), new BigInt64Array([-1n]), new Int16Array(new Int16Array([1, 2, 3]).buffer, 2, 2),
      { nested: [1n, { x: new Float32Array([0.5]) }] },
    ];
    assert.deepStrictEqual(await qp.submit(qp.task('echo'), [value]), value);
  });

  it('refuses at submit what cannot travel or breaks a kernel schema, naming the argument; nothing is enqueued', () => {
    const before = qp.stats().submitted;
    assert.throws(() => qp.submit('echo', [() => 1]), /echo: args\[0\] cannot travel to a worker: a function/);
    assert.throws(() => qp.submit('echo', [new Map()]), /echo: args\[0\] cannot travel to a worker: Map/);
    assert.throws(() => qp.submit('echo', [[1, Symbol('x')]]), /echo: args\[0\]\[1\] cannot travel/);
    assert.throws(() => qp.submit(kernels.countPrimes, [10, 5]), /countPrimes: argument 'lo' \(10\) must not be greater than 'hi' \(5\)/);
    assert.throws(() => qp.submit(kernels.countPrimes, [0, NaN]), RangeError);
    assert.throws(() => qp.submit(kernels.isPrime, ['7' as unknown as number]), TypeError);
    assert.throws(() => qp.submit('echo', 'x' as unknown as unknown[]), /echo: args must be an array/);
    assert.throws(() => qp.submit(42 as unknown as string, []), /task must be a corepool kernel/);
    assert.throws(() => qp.submit('../../etc/passwd', []), /task name must be an identifier/);
    assert.throws(() => qp.submit('echo', [1], { timeout: -1 }), RangeError);
    assert.throws(() => qp.submit('echo', [1], { timout: 5 } as never), /unknown option 'timout'/);
    assert.equal(qp.stats().submitted, before);
  });

  it("reports a task's own error, a missing task and an unencodable result as RemoteTaskError", async () => {
    const e1 = (await qp.submit('fail', ['out of stock']).exception()) as RemoteTaskError;
    assert.ok(e1 instanceof RemoteTaskError);
    // A module task runs on the worker's WorkerPool: its error's custom name crosses the
    // structured clone too, as from serve({ tasks }) in-process (below).
    assert.equal(e1.remoteName, 'InventoryError');
    assert.match(e1.message, /task 'fail' \(job .*\) failed on a worker: InventoryError: out of stock/);
    const e2 = (await qp.submit('notExported', []).exception()) as RemoteTaskError;
    assert.equal(e2.remoteName, 'TaskNotFound');
    assert.match(e2.message, /has no task 'notExported' \(it serves: .*echo/);
    const e3 = (await qp.submit('badResult', []).exception()) as RemoteTaskError;
    // WorkerPool refuses a result it cannot send back to the worker process's main thread.
    assert.equal(e3.remoteName, 'TypeError');
    assert.match(e3.message, /the task's result cannot be sent to the caller/);
  });

  it('serves only the tasks it was started with: names from Object.prototype and foreign jobs are refused', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const e = (await qp.submit(name, []).exception()) as RemoteTaskError;
      assert.equal(e.remoteName, 'TaskNotFound', name);
    }
    // A job written by anyone with access to Redis, not by QueuePool: a path, code, junk.
    const { Queue, QueueEvents } = loadBullMQ();
    const raw = new Queue(queue, { connection: { url: redis } });
    // From the stream's start: '$' would miss a job that finishes before the first read.
    const events = new QueueEvents(queue, { connection: { url: redis }, lastEventId: '0-0' });
    try {
      await events.waitUntilReady();
      const jobs = [
        { v: 1, k: 'f', t: '/tmp/evil.js', a: [] },
        { v: 1, k: 'f', t: 'echo', a: [], m: [] },
        { v: 1, k: 'x', t: 'echo', a: [] },
        { code: 'process.exit(1)' },
        { v: 1, k: 'f', t: 'echo', a: [{ t: 'Function', d: '' }] },
      ];
      for (const data of jobs) {
        const job = await raw.add('evil', data);
        await assert.rejects(job.waitUntilFinished(events, 10_000), /\[(TaskNotFound|BadJob|TypeError)\]/);
      }
    } finally {
      await events.close();
      await raw.close();
    }
    assert.equal(await qp.workerCount(), 2); // both still alive
  });

  it('cancel() of a running kernel reaches its checkpoint on the worker: CANCELLED, and the worker takes new work', async () => {
    const f = qp.submit(kernels.spin, [30_000]);
    const count = settleCount(f);
    await until(() => f.state === 'RUNNING', 'the job running on a worker', 10_000);
    const t0 = performance.now();
    assert.equal(f.cancel(), true);
    await assert.rejects(f.result(), CancelledError);
    assert.ok(performance.now() - t0 < 5000, 'the worker stopped the kernel (not the 30 s spin)');
    assert.equal(f.state, 'CANCELLED');
    assert.equal(await qp.submit(kernels.isPrime, [7]), true);
    await sleep(100);
    assert.equal(count(), 1);
  });

  it('a timeout is a deadline the worker enforces natively: TimeoutError, the job never retried', async () => {
    const t0 = performance.now();
    const f = qp.submit(kernels.spin, [30_000], { timeout: 300 });
    const e = await f.exception();
    assert.ok(e instanceof TimeoutError, String(e));
    assert.ok(performance.now() - t0 < 5000);
    const r = qp.submit(kernels.spin, [30_000], { runTimeout: 200 });
    assert.ok((await r.exception()) instanceof TimeoutError);
    // A task function's deadline aborts its ctx.signal.
    assert.ok((await qp.submit('sleep', [30_000], { timeout: 200 }).exception()) instanceof TimeoutError);
    // timeout: Infinity is no deadline.
    assert.equal(await qp.submit('sleep', [10], { timeout: Infinity }), 10);
  });

  it('an aborted signal cancels, before submit and while running', async () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal(qp.submit('sleep', [10], { signal: ac.signal }).state, 'CANCELLED');
    const ac2 = new AbortController();
    const f = qp.submit('sleep', [30_000], { signal: ac2.signal });
    await until(() => f.state === 'RUNNING', 'running', 10_000);
    ac2.abort();
    await assert.rejects(f.result(), CancelledError);
  });

  it('map: one job per chunk, results in input order, kernels of one and of several arguments', async () => {
    const local = new NativePool({ maxWorkers: 1 });
    try {
      const n = 2000;
      const before = qp.stats().submitted;
      const got: boolean[] = [];
      for await (const r of qp.map(kernels.isPrime, Array.from({ length: n }, (_, i) => i), { chunksize: 100 })) got.push(r as boolean);
      assert.equal(qp.stats().submitted - before, n / 100);
      const want: boolean[] = [];
      for await (const r of local.map(kernels.isPrime, Array.from({ length: n }, (_, i) => i), { chunksize: 100 })) want.push(r);
      assert.deepEqual(got, want);
      const ranges: [number, number][] = [[0, 1000], [1000, 2000], [2000, 3000]];
      const counts: unknown[] = [];
      for await (const c of qp.map(kernels.countPrimes, ranges, { chunksize: 2 })) counts.push(c);
      assert.deepEqual(counts, [168, 135, 127]);
      const sums: unknown[] = [];
      for await (const s of qp.map(qp.task('echo'), ['a', -0, 3n])) sums.push(s);
      assert.deepStrictEqual(sums, ['a', -0, 3n]);
      assert.throws(() => qp.map(kernels.isPrime, 5 as never), /items must be an Iterable/);
      await assert.rejects(async () => {
        // @ts-expect-error 'x' is not a number: refused at run time too
        for await (const _ of qp.map(kernels.isPrime, [1, 'x'])) void _;
      }, TypeError);
    } finally {
      await local.shutdown();
    }
  });

  it('cancel() in the tick of submit: those jobs never reach Redis, their neighbours in the batch run', async () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-q-')), 'runs.log');
    const tags = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const fs_ = tags.map((tag) => qp.submit('logged', [log, tag, 1]));
    const cancelled = new Set(tags.filter((_, i) => i % 3 === 1));
    for (let i = fs_.length - 1; i >= 0; i--) if (cancelled.has(tags[i]!)) assert.equal(fs_[i]!.cancel(), true);
    const ran = tags.filter((t) => !cancelled.has(t));
    assert.deepEqual(await Promise.all(fs_.filter((_, i) => !cancelled.has(tags[i]!))), ran);
    for (const [i, f] of fs_.entries()) if (cancelled.has(tags[i]!)) assert.equal(f.state, 'CANCELLED');
    await sleep(300); // a cancelled job that had reached Redis would have run by now
    // `logged` writes a line as it starts and one as it ends.
    assert.deepEqual([...new Set(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]))].sort(), [...ran].sort());
  });

  it('a map that breaks early cancels what is outstanding', async () => {
    const before = qp.stats().cancelled;
    for await (const r of qp.map('sleep', [1, 20_000, 20_000, 20_000], { chunksize: 1 })) {
      assert.equal(r, 1);
      break;
    }
    await until(() => qp.stats().cancelled - before >= 3, 'the outstanding chunks cancelled', 10_000);
  });

  it('Futures work with asCompleted, wait and TaskGroup', async () => {
    const fast = qp.submit('sleep', [10]);
    const slow = qp.submit('sleep', [600]);
    const order: unknown[] = [];
    for await (const f of asCompleted([slow, fast])) order.push(await f.result());
    assert.deepEqual(order, [10, 600]);
    const a = qp.submit('sleep', [20]);
    const b = qp.submit('fail', ['x']);
    const { done } = await wait([a, b], { returnWhen: 'FIRST_EXCEPTION' });
    assert.ok(done.has(b));
    assert.ok((await b.exception()) instanceof RemoteTaskError);
    const group = new TaskGroup();
    const long = group.submit(qp, 'sleep', [20_000]);
    group.submit(qp, 'fail', ['boom']);
    await assert.rejects(group.wait(), RemoteTaskError);
    await assert.rejects(long.result(), CancelledError);
  });

  it('stats() counts what happened', async () => {
    const s = qp.stats();
    assert.equal(s.queue, queue);
    assert.equal(s.inFlight, 0);
    assert.ok(s.completed > 10 && s.failed > 3 && s.cancelled > 3 && s.timedOut >= 3, JSON.stringify({ ...s, queueWait: undefined, runTime: undefined }));
    assert.ok(s.runTime.count > 0 && s.queueWait.count === s.runTime.count);
    assert.equal(s.name, queue);
  });
});

describe('QueuePool without workers, and with Redis away', function () {
  this.timeout(60_000);
  let redis: string;

  before(async function () {
    redis = await redisOrSkip(this);
  });

  it('cancel() of a waiting job removes it: CANCELLED at once, and no worker ever runs it', async () => {
    const queue = uniqueQueue('waiting');
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-q-')), 'runs.log');
    const qp = new QueuePool<Tasks>({ queue, connection: redis });
    const f = qp.submit('logged', [log, 'cancelled', 10]);
    await until(() => qp.stats().submitted === 1, 'submitted');
    await sleep(200); // enqueued in Redis by now
    assert.equal(f.state, 'PENDING');
    f.cancel();
    await assert.rejects(f.result(), CancelledError);
    const worker = await startWorker(redis, queue, ['--module', tasksModule]);
    try {
      assert.equal(await qp.submit('logged', [log, 'after', 10]), 'after');
      assert.deepEqual(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]), ['after', 'after']);
    } finally {
      await qp.shutdown();
      await stopWorkers([worker]);
    }
  });

  it('a deadline holds with no worker alive: TimeoutError shortly after it', async () => {
    const qp = new QueuePool({ queue: uniqueQueue('nobody'), connection: redis });
    const t0 = performance.now();
    const e = await qp.submit(kernels.noop, [], { timeout: 200 }).exception();
    assert.ok(e instanceof TimeoutError);
    assert.ok(performance.now() - t0 < 3000);
    await qp.shutdown();
  });

  it('Redis unreachable at submit: QueueUnavailableError within enqueueTimeout, not a hang', async () => {
    const port = await freePort(); // nothing listens there
    const qp = new QueuePool({ queue: 'unreachable', connection: `redis://127.0.0.1:${port}`, enqueueTimeout: 300 });
    const t0 = performance.now();
    const e = await qp.submit(kernels.noop, []).exception();
    assert.ok(e instanceof QueueUnavailableError, String(e));
    assert.match(e.message, new RegExp(`Redis at 127\\.0\\.0\\.1:${port} did not take the job within 300 ms`));
    assert.ok(performance.now() - t0 < 3000);
    const e2 = await qp.submit(kernels.noop, []).exception();
    assert.ok(e2 instanceof QueueUnavailableError);
    await qp.shutdown();
  });

  it('checks its options and refuses submit after shutdown', async () => {
    assert.throws(() => new QueuePool(undefined as never), /options \{ queue, connection \} are required/);
    assert.throws(() => new QueuePool({ queue: '', connection: redis }), /queue must be a non-empty string/);
    assert.throws(() => new QueuePool({ queue: 'a:b', connection: redis }), /must not contain ':'/);
    assert.throws(() => new QueuePool({ queue: 'q', connection: 'http://x' }), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => new QueuePool({ queue: 'q', connection: 42 as never }), /connection must be/);
    assert.throws(() => new QueuePool({ queue: 'q', connection: redis, enqueueTimeout: NaN }), TypeError);
    assert.throws(() => new QueuePool({ queue: 'q', connection: redis, nope: 1 } as never), /unknown option 'nope'/);
    const qp = new QueuePool({ queue: uniqueQueue('closed'), connection: redis });
    await qp.shutdown();
    assert.throws(() => qp.submit(kernels.noop, []), PoolShutdownError);
    await assert.rejects(qp.map(kernels.isPrime, [1]).next(), PoolShutdownError);
  });
});

describe('serve() as an API, in this process', function () {
  this.timeout(60_000);
  let redis: string;

  before(async function () {
    redis = await redisOrSkip(this);
  });

  it('runs jobs on the pools it is given, reports health in stats(), and leaves them open at close', async () => {
    const queue = uniqueQueue('api');
    const native = new NativePool({ maxWorkers: 1, name: 'api-native' });
    const io = new IoPool({ maxConcurrency: 4 });
    const server = await serve({
      queue,
      connection: redis,
      pools: { native, io },
      tasks: {
        greet: async (_ctx: unknown, who: string) => `hello ${who}`,
        notATask: 42,
        fail: () => {
          const e = new Error('out of stock');
          e.name = 'InventoryError';
          throw e;
        },
        badResult: () => () => 1,
      },
      concurrency: 4,
    });
    const qp = new QueuePool({ queue, connection: redis });
    try {
      assert.equal(await qp.submit('greet', ['queue']), 'hello queue');
      assert.equal(await qp.submit(kernels.countPrimes, [0, 1000]), 168);
      // In-process functions run on the IoPool: a task's own error keeps its name.
      const e1 = (await qp.submit('fail', []).exception()) as RemoteTaskError;
      assert.equal(e1.remoteName, 'InventoryError');
      assert.match(e1.message, /task 'fail' \(job .*\) failed on a worker: InventoryError: out of stock/);
      const e2 = (await qp.submit('badResult', []).exception()) as RemoteTaskError;
      assert.equal(e2.remoteName, 'BadResult');
      assert.match(e2.message, /its result cannot travel/);
      const s = server.stats();
      assert.deepEqual(s.tasks, ['greet', 'fail', 'badResult']);
      assert.ok(s.kernels.includes('countPrimes'));
      assert.equal(s.connected, true);
      assert.equal(s.completed, 2);
      assert.equal(s.failed, 2);
      assert.equal(s.concurrency, 4);
      assert.equal(s.pools.native.name, 'api-native');
      assert.equal(s.pools.native.completed, 1);
      assert.equal(s.pools.io!.completed, 2); // greet, and badResult (which ran; its result could not travel)
      assert.equal(s.pools.worker, undefined, 'no module: no WorkerPool');
    } finally {
      await qp.shutdown();
      await server.close();
    }
    assert.equal(native.isShutdown, false); // the caller's pools stay the caller's
    assert.equal(await native.submit(kernels.isPrime, [5]), true);
    await native.shutdown();
    await io.shutdown();
  });

  it('serve({ module }) runs the exports on a WorkerPool it owns; names are never served twice', async () => {
    const queue = uniqueQueue('api-module');
    const server = await serve({ queue, connection: redis, module: tasksModule, concurrency: 2 });
    const qp = new QueuePool<Tasks>({ queue, connection: redis });
    try {
      assert.ok((await qp.submit(qp.task('whereAmI'), [])) > 0);
      const s = server.stats();
      assert.ok(s.tasks.includes('spinCheckpoint') && s.tasks.includes('echo'), s.tasks.join());
      assert.equal(s.pools.worker!.completed, 2, 'the export scan and whereAmI'); // the scan is one shipped task
      assert.equal(s.pools.io, undefined, 'no in-process tasks: no IoPool');
    } finally {
      await qp.shutdown();
      await server.close();
    }
    await until(() => server.stats().pools.worker!.workers === 0, 'its own WorkerPool shut down at close (its threads ended)', 10_000);
    await assert.rejects(serve({ queue, connection: redis, module: tasksModule, tasks: { echo: () => 1 } }), /task 'echo' is both a function of serve\(\{ tasks \}\) and an export of the task module/);
    await assert.rejects(serve({ queue, connection: redis, module: path.join(fixtures, 'no-such-module.mjs') }), /no-such-module/);
  });

  it('checks its options before connecting', async () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /options \{ queue, connection \} are required/],
      [{ queue: 'q', connection: redis, pools: { native: {} } }, /pools.native must be a NativePool/],
      [{ queue: 'q', connection: redis, pools: { worker: {} } }, /pools.worker must be a WorkerPool/],
      [{ queue: 'q', connection: redis, module: tasksModule, pools: { worker: new WorkerPool({ module: tasksModule, minWorkers: 0 }) } }, /either module or pools.worker/],
      [{ queue: 'q', connection: redis, kernels: [{ x: 1 }] }, /kernels\[0\] holds number 1, not a Kernel/],
      [{ queue: 'q', connection: redis, tasks: 5 }, /tasks must be an object of functions/],
      [{ queue: 'q', connection: redis, concurrency: 0 }, /concurrency must be >= 1/],
      [{ queue: 'q', connection: redis, lockDuration: -5 }, /lockDuration must be >= 0/],
      [{ queue: 'q', connection: redis, bogus: 1 }, /unknown option 'bogus'/],
    ];
    for (const [options, message] of bad) await assert.rejects(serve(options as never), message);
  });
});
