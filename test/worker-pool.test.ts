// WorkerPool through the public API, with real worker threads and task modules as users
// write them (ESM, CommonJS, TypeScript).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { asCompleted, CancelledError, PoolShutdownError, TaskGroup, TimeoutError, wait, WorkerCrashError, WorkerPool } from '../lib/index';
import { until } from './helpers';

type Tasks = typeof import('./fixtures/worker/tasks.mjs');
// A Future is thenable, not a Promise: adopt it for assert.rejects.
const rejects = (f: PromiseLike<unknown>, expected: Parameters<typeof assert.rejects>[1]): Promise<void> => assert.rejects(Promise.resolve(f), expected);
const TASKS = path.join(__dirname, 'fixtures', 'worker', 'tasks.mjs');

describe('WorkerPool', function () {
  this.timeout(30000);
  let pool: WorkerPool<Tasks>;
  beforeEach(() => {
    pool = new WorkerPool<Tasks>({ module: TASKS, maxWorkers: 2, killAfter: 300 });
  });
  afterEach(async () => {
    await pool.shutdown({ cancelRunning: true });
  });

  it('runs a module export with typed arguments and result', async () => {
    const add = pool.task('add');
    const sum: number = await pool.submit(add, [2, 3]);
    assert.equal(sum, 5);
    assert.equal(pool.stats().completed, 1);
  });

  it('awaits async tasks and runs self-contained functions shipped by source', async () => {
    assert.equal(await pool.submit(pool.task('later'), [5, 'v']), 'v');
    assert.equal(await pool.submit((_ctx, n: number) => n * 2, [21]), 42);
  });

  it('explains a shipped function that closes over a variable', async () => {
    const secret = 7;
    const f = pool.submit(() => secret, []);
    await rejects(f, (e: Error) => e.name === 'ReferenceError' && /cannot use variables it closes over/.test(e.message));
  });

  it('keeps the error name, message and code of a failing task', async () => {
    await rejects(pool.submit(pool.task('fail'), ['bad input']), (e: Error & { code?: string }) => e.name === 'RangeError' && e.message === 'bad input' && e.code === 'E_TASK');
    assert.equal(pool.stats().failed, 1);
  });

  it('cancel() stops a running synchronous loop at its checkpoint and the same worker takes the next task', async () => {
    const before = await pool.submit(pool.task('threadId'), []);
    const f = pool.submit(pool.task('spin'), [20000]);
    await until(() => f.running(), 'the spin to start');
    assert.equal(f.cancel(), true);
    await rejects(f, CancelledError);
    assert.equal(f.state, 'CANCELLED');
    const ids = new Set([before]);
    for (let i = 0; i < 4; i++) ids.add(await pool.submit(pool.task('threadId'), []));
    assert.ok(ids.size <= 2, 'no worker was replaced');
    assert.equal(pool.stats().killed, 0);
  });

  it('timeout and runTimeout stop a running task with TimeoutError, without a kill', async () => {
    await rejects(pool.submit(pool.task('spin'), [20000], { timeout: 50 }), TimeoutError);
    await rejects(pool.submit(pool.task('spin'), [20000], { runTimeout: 50 }), TimeoutError);
    await rejects(pool.submit(pool.task('later'), [20000, 'x'], { timeout: 50 }), TimeoutError);
    assert.equal(pool.stats().killed, 0);
    assert.equal(pool.stats().timedOut, 3);
  });

  it('a queued task past its deadline never runs', async () => {
    const one = new WorkerPool<Tasks>({ module: TASKS, maxWorkers: 1 });
    const busy = one.submit(one.task('spin'), [300]);
    const late = one.submit(one.task('add'), [1, 1], { timeout: 20 });
    await rejects(late, TimeoutError);
    assert.ok((await busy) > 0);
    await one.shutdown();
  });

  it('a task that ignores its stop word is killed after killAfter; other tasks are unaffected', async () => {
    const stubborn = pool.submit(pool.task('stubborn'), [60000]);
    const others = Array.from({ length: 20 }, (_, i) => pool.submit(pool.task('add'), [i, 1]));
    await until(() => stubborn.running(), 'the stubborn task to start');
    stubborn.cancel();
    await rejects(stubborn, CancelledError);
    assert.deepEqual(await Promise.all(others), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(pool.stats().killed, 1);
    assert.equal(await pool.submit(pool.task('add'), [1, 2]), 3);
  });

  it('a stubborn task past its deadline is killed and ends with TimeoutError', async () => {
    await rejects(pool.submit(pool.task('stubborn'), [60000], { runTimeout: 50 }), TimeoutError);
    assert.equal(pool.stats().killed, 1);
  });

  it('a worker that exits mid-task fails that task with WorkerCrashError and is replaced', async () => {
    const crash = pool.submit(pool.task('crash'), ['exit']);
    await rejects(crash, (e: Error) => e instanceof WorkerCrashError && /exited with code 3/.test(e.message));
    assert.equal(await pool.submit(pool.task('add'), [2, 2]), 4);
    assert.equal(pool.stats().crashed, 1);
  });

  it('an uncaught exception in a worker fails the task it held, with the cause', async () => {
    await rejects(pool.submit(pool.task('crash'), ['throw']), (e: Error) => e instanceof WorkerCrashError && (e.cause as Error).message === 'uncaught in the worker');
  });

  it('a worker over its resourceLimits crashes alone', async () => {
    const small = new WorkerPool<Tasks>({ module: TASKS, maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    await rejects(small.submit(small.task('allocate'), [4000]), WorkerCrashError);
    assert.equal(await small.submit(small.task('add'), [1, 2]), 3);
    await small.shutdown();
  });

  it('a module that fails to load trips the breaker with a clear error instead of spinning', async () => {
    const broken = new WorkerPool({ module: path.join(__dirname, 'fixtures', 'worker', 'broken.mjs'), maxWorkers: 2 });
    await rejects(broken.submit((_ctx: unknown) => 1, []), (e: Error) => e instanceof WorkerCrashError && /could not load its module .*broken on purpose/.test(e.message));
    await rejects(broken.submit((_ctx: unknown) => 1, []), WorkerCrashError);
    await broken.shutdown();
  });

  it('bad input is a clear error at the boundary', async () => {
    assert.throws(() => new WorkerPool({ module: '/no/such/tasks.mjs' }), /module: no file at \/no\/such\/tasks.mjs/);
    assert.throws(() => new WorkerPool({ module: 42 as never }), TypeError);
    assert.throws(() => new WorkerPool({ maxWorkers: 0 }), RangeError);
    assert.throws(() => new WorkerPool({ minWorkers: 3, maxWorkers: 2 }), RangeError);
    assert.throws(() => new WorkerPool({ killAfter: -1 }), RangeError);
    assert.throws(() => new WorkerPool({ modul: TASKS } as never), /unknown option 'modul'/);
    assert.throws(() => pool.submit('add' as never, []), /pass pool.task\('add'\)/);
    assert.throws(() => pool.submit(pool.task('add'), [() => 1, 2] as never), /argument 0 is a function/);
    assert.throws(() => pool.submit(pool.task('add'), [1, 2], { transfer: [1] as never }), /transfer must be an array of ArrayBuffers/);
    assert.throws(() => pool.submit(Math.max as never, []), /native or bound/);
    await pool.submit(pool.task('add'), [1, 1]); // the module's exports are known from here on
    assert.throws(() => pool.task('nope' as never), /has no function export 'nope'/);
    const proxy = new Proxy({}, { get: () => 1 });
    await rejects(pool.submit(pool.task('add'), [proxy as never, 1]), /argument 0 cannot be sent to a worker thread/);
  });

  it('map keeps input order with chunks, and works with asCompleted, wait and TaskGroup', async () => {
    const items = Array.from({ length: 2000 }, (_, i) => i);
    const out: boolean[] = [];
    for await (const p of pool.map(pool.task('isPrime'), items, { chunksize: 100 })) out.push(p);
    assert.equal(out.length, 2000);
    assert.equal(out.filter(Boolean).length, 303);
    assert.equal(out[7], true);
    const fs = [pool.submit(pool.task('later'), [400, 'slow']), pool.submit(pool.task('later'), [1, 'fast'])];
    const order: string[] = [];
    for await (const f of asCompleted(fs)) order.push(await (f as unknown as Promise<string>));
    assert.deepEqual(order, ['fast', 'slow']);
    const { done } = await wait(fs);
    assert.equal(done.size, 2);
    await using group = new TaskGroup();
    group.submit(pool, pool.task('add'), [1, 2]);
    group.submit(pool, pool.task('add'), [3, 4]);
    assert.deepEqual(await group.wait(), [3, 7]);
  });

  it('typed arrays on a SharedArrayBuffer are shared, not copied; transfer moves buffers both ways', async () => {
    const shared = new SharedArrayBuffer(16);
    assert.equal(await pool.submit(pool.task('fill'), [shared, 9]), 16);
    assert.deepEqual([...new Int32Array(shared)], [9, 9, 9, 9]);
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const back = (await pool.submit(pool.task('echoBuffer'), [buffer], { transfer: [buffer] })) as ArrayBuffer;
    assert.equal(buffer.byteLength, 0, 'moved to the worker');
    assert.deepEqual([...new Uint8Array(back)], [1, 2, 3]);
  });

  it('shutdown: submit throws afterwards, cancelFutures cancels what is queued, await using ends the workers', async () => {
    const one = new WorkerPool<Tasks>({ module: TASKS, maxWorkers: 1 });
    const running = one.submit(one.task('spin'), [200]);
    const queued = one.submit(one.task('add'), [1, 1]);
    await until(() => running.running(), 'the spin to start');
    await one.shutdown({ cancelFutures: true });
    assert.ok((await running) > 0);
    await rejects(queued, CancelledError);
    assert.throws(() => one.submit(one.task('add'), [1, 1]), PoolShutdownError);
    assert.equal(one.stats().workers, 0);
    {
      await using scoped = new WorkerPool<Tasks>({ module: TASKS, maxWorkers: 1 });
      assert.equal(await scoped.submit(scoped.task('add'), [1, 1]), 2);
    }
  });

  it('a cancel storm settles every Future exactly once', async () => {
    const fs = Array.from({ length: 2000 }, (_, i) => pool.submit(pool.task(i % 2 ? 'spin' : 'add'), (i % 2 ? [5] : [i, 0]) as never));
    for (let i = 0; i < fs.length; i += 3) fs[i]!.cancel();
    const outcomes = await Promise.allSettled(fs);
    assert.equal(outcomes.length, 2000);
    for (let i = 0; i < fs.length; i += 3) assert.equal(fs[i]!.state, 'CANCELLED');
    const s = pool.stats();
    assert.equal(s.completed + s.cancelled + s.failed + s.timedOut, 2000);
  });

  it('loads CommonJS and TypeScript task modules (the parent runs TypeScript through tsx)', async () => {
    const cjs = new WorkerPool<typeof import('./fixtures/worker/tasks.cjs')>({ module: path.join(__dirname, 'fixtures', 'worker', 'tasks.cjs'), maxWorkers: 1 });
    assert.equal(await cjs.submit(cjs.task('twice'), [21]), 42);
    await cjs.shutdown();
    const ts = new WorkerPool<typeof import('./fixtures/worker/tasks-ts')>({ module: path.join(__dirname, 'fixtures', 'worker', 'tasks-ts.ts'), maxWorkers: 1 });
    assert.equal(await ts.submit(ts.task('greet'), ['ts']), 'hello ts');
    await ts.shutdown();
  });

  it('an idle pool does not keep the process alive (child process, compiled package)', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'worker', 'idle-exit.mjs')], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '42');
  });
});
