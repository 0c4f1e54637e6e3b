// WorkerPool through its public API: the user's own JS in worker_threads, cancelled at
// checkpoints through shared memory, killed only when it ignores its stop bit.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { asCompleted, CancelledError, PoolShutdownError, TaskGroup, TimeoutError, wait, WorkerCrashError, WorkerPool } from '../lib/index';
import { sleep, until } from './helpers';

const TASKS = path.join(__dirname, 'fixtures/worker-tasks.mjs');
type Tasks = typeof import('./fixtures/worker-tasks.mjs');

describe('WorkerPool', function () {
  let pool: WorkerPool<Tasks>;
  beforeEach(() => {
    pool = new WorkerPool<Tasks>({ module: TASKS, minWorkers: 1, maxWorkers: 2, killAfter: 300 });
  });
  afterEach(async () => {
    await pool.shutdown({ cancelFutures: true, cancelRunning: true });
  });

  it('runs exports by typed handle and self-contained functions, sync and async', async () => {
    assert.equal(await pool.submit(pool.task('add'), [2, 3]), 5);
    assert.equal(await pool.submit(pool.task('sleepy'), [5]), 5);
    assert.equal(await pool.submit((_ctx, n: number) => n * 2, [21]), 42);
    assert.equal(await pool.submit(async (_ctx, s: string) => s.toUpperCase(), ['ok']), 'OK');
  });

  it('args are read at submit (a reused array is safe); an object inside is cloned when the tick ends, as documented', async () => {
    const args: [{ n: number }] = [{ n: 1 }];
    const first = pool.submit((_ctx, o: { n: number }) => o.n, args);
    args[0] = { n: 2 }; // a new element: the first task keeps its own
    const second = pool.submit((_ctx, o: { n: number }) => o.n, args);
    args[0].n = 3; // a write inside an object before the tick ends reaches the task
    assert.deepEqual(await Promise.all([first, second]), [1, 3]);
  });

  it('a context kept past its task reads that task\'s end state, not the next task\'s in the same slot', async () => {
    const one = new WorkerPool({ maxWorkers: 1, minWorkers: 1 });
    try {
      type Kept = { keptCtx?: { stopped: boolean; checkpoint(): void }; seen?: string };
      // The first task keeps its context and ends normally.
      await one.submit((ctx) => void ((globalThis as Kept).keptCtx = ctx), []);
      // The next task takes the same slot and is cancelled; while it is, it reads the kept context.
      const second = one.submit(async (ctx) => {
        const g = globalThis as Kept;
        while (!ctx.stopped) await new Promise((r) => setTimeout(r, 1));
        let threw = false;
        try {
          g.keptCtx!.checkpoint();
        } catch {
          threw = true;
        }
        g.seen = `stopped=${g.keptCtx!.stopped} threw=${threw}`;
      }, []);
      await until(() => second.running(), 'the second task running');
      second.cancel();
      await second.exception();
      assert.equal(await one.submit(() => (globalThis as Kept).seen, []), 'stopped=false threw=false');
    } finally {
      await one.shutdown({ cancelRunning: true });
    }
  });

  it('cancels a running sync loop at its checkpoint and keeps the worker', async () => {
    const tid = await pool.submit(pool.task('threadId'), []);
    const f = pool.submit(pool.task('spin'), [60_000]);
    await until(() => f.state === 'RUNNING', 'spin running');
    assert.equal(f.cancel(), true);
    await assert.rejects(f.result(), CancelledError);
    assert.equal(f.state, 'CANCELLED');
    // The same worker (only one is busy: maxWorkers 2 but it is the least loaded) takes the next task.
    const after = await pool.submit(pool.task('threadId'), []);
    assert.ok([tid, after].every((t) => typeof t === 'number'));
    assert.equal(pool.stats().killed, 0);
    assert.equal(pool.stats().crashed, 0);
  });

  it('a queued task cancelled before it starts is CANCELLED at once and never runs', async () => {
    const one = new WorkerPool<Tasks>({ module: TASKS, minWorkers: 1, maxWorkers: 1 });
    try {
      const busy = one.submit(one.task('spin'), [200]);
      const queued = one.submit(one.task('add'), [1, 1]);
      await until(() => busy.state === 'RUNNING');
      assert.equal(queued.state, 'PENDING');
      assert.equal(queued.cancel(), true);
      assert.equal(queued.state, 'CANCELLED');
      assert.ok((await busy) > 0);
      assert.equal(one.stats().completed, 1);
    } finally {
      await one.shutdown();
    }
  });

  it('timeout raises the deadline bit off the main thread: a blocked event loop does not delay it', async () => {
    await pool.submit(pool.task('add'), [1, 1]); // the worker is up
    const f = pool.submit(pool.task('spin'), [60_000], { timeout: 200 });
    await until(() => f.state === 'RUNNING');
    const blockedUntil = Date.now() + 1500;
    while (Date.now() < blockedUntil); // the main thread is busy long past the deadline
    await assert.rejects(f.result(), TimeoutError);
    // The task stopped near its deadline, not when the main loop came back: its run time says so.
    const runMs = pool.stats().runTime.max / 1e6;
    assert.ok(runMs < 1000, `the task ran ${runMs} ms`);
  });

  it('a task whose deadline passed before it started never runs (timeout: 0)', async () => {
    const ran = new Int32Array(new SharedArrayBuffer(4));
    const f = pool.submit((_ctx, counter: Int32Array) => Atomics.add(counter, 0, 1), [ran], { timeout: 0 });
    assert.equal((await f.exception())?.name, 'TimeoutError');
    assert.equal(await pool.submit((_ctx, counter: Int32Array) => Atomics.load(counter, 0), [ran]), 0);
  });

  it("a finished task's deadline never fires on a later task in its slot; the earliest deadline of many fires on time", async () => {
    const one = new WorkerPool<Tasks>({ module: TASKS, minWorkers: 1, maxWorkers: 1, killAfter: Infinity });
    try {
      await one.submit(one.task('noop'), []);
      // The free slots are a stack: each of these takes the slot the one before it left.
      await one.submit(one.task('spin'), [1], { timeout: 150 });
      await one.submit(one.task('spin'), [1], { runTimeout: 150 });
      assert.ok((await one.submit(one.task('spin'), [400])) > 0, 'no deadline of an earlier task in the slot stopped it');
      assert.ok((await one.submit(one.task('spin'), [400], { timeout: 5000 })) > 0, 'nor one of its own, later');
      // Many armed at once, a long one first: the short one still fires at its time.
      // (spin(5000) would return its count if its deadline never fired.)
      const long = one.submit(one.task('spin'), [300], { timeout: 3_600_000 });
      const short = one.submit(one.task('spin'), [5000], { runTimeout: 100 });
      assert.ok((await long) > 0);
      assert.equal((await short.exception())?.name, 'TimeoutError');
    } finally {
      await one.shutdown();
    }
  });

  it('runTimeout and signal stop tasks too; ctx.signal aborts async tasks', async () => {
    await assert.rejects(pool.submit(pool.task('spin'), [60_000], { runTimeout: 30 }).result(), TimeoutError);
    const controller = new AbortController();
    const f = pool.submit(pool.task('waitForAbort'), [], { signal: controller.signal });
    await until(() => f.state === 'RUNNING');
    controller.abort();
    await assert.rejects(f.result(), CancelledError);
    assert.equal(pool.stats().killed, 0);
  });

  it('a native kernel run inside a task (kernel.runSync) stops with the task, without a kill', async () => {
    const f = pool.submit(pool.task('nativeSpin'), [60_000]);
    await until(() => f.state === 'RUNNING');
    await sleep(100); // inside the kernel by now
    f.cancel();
    await assert.rejects(f.result(), CancelledError);
    await assert.rejects(pool.submit(pool.task('nativeSpin'), [60_000], { timeout: 100 }).result(), TimeoutError);
    assert.equal(pool.stats().killed, 0);
  });

  it('kills a task that ignores its stop bit after killAfter, alone; the others are unaffected', async () => {
    const stubborn = pool.submit(pool.task('stubborn'), [60_000]);
    await until(() => stubborn.state === 'RUNNING');
    const others = Array.from({ length: 20 }, (_, i) => pool.submit(pool.task('add'), [i, 1]));
    stubborn.cancel();
    await assert.rejects(stubborn.result(), CancelledError);
    assert.deepEqual(await Promise.all(others), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(pool.stats().killed, 1);
  });

  it('a crash rejects exactly the Futures the worker held with WorkerCrashError, and the pool goes on', async () => {
    const crash = pool.submit(pool.task('crash'), ['exit']);
    await assert.rejects(crash.result(), (e: Error) => e instanceof WorkerCrashError && /exit/i.test(e.message));
    assert.equal(await pool.submit(pool.task('add'), [1, 2]), 3);
    const uncaught = pool.submit(pool.task('crash'), ['throw']);
    await assert.rejects(uncaught.result(), (e: Error) => e instanceof WorkerCrashError && /uncaught in the worker/.test(e.message));
    assert.equal(pool.stats().crashed, 2);
  });

  it('a restart loop trips the breaker with a clear error', async () => {
    const futures = Array.from({ length: 6 }, () => pool.submit(pool.task('crash'), ['exit']));
    const errors = await Promise.all(futures.map((f) => f.exception()));
    assert.ok(errors.every((e) => e instanceof WorkerCrashError));
    await until(() => { try { pool.submit(pool.task('add'), [1, 1]).cancel(); return false; } catch (e) { return e instanceof WorkerCrashError; } }, 'breaker');
    assert.throws(() => pool.submit(pool.task('add'), [1, 1]), /stopped restarting/);
  });

  it('out of memory under resourceLimits crashes only its worker', async function () {
    this.timeout(30_000);
    const small = new WorkerPool<Tasks>({ module: TASKS, maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    try {
      await assert.rejects(small.submit(small.task('allocate'), []).result(), WorkerCrashError);
      assert.equal(await small.submit(small.task('add'), [2, 2]), 4);
    } finally {
      await small.shutdown();
    }
  });

  it('clear errors at submit: missing module, missing export, uncloneable argument, closure', async () => {
    assert.throws(() => new WorkerPool({ module: './no/such/tasks.mjs' }), /cannot find the task module/);
    assert.throws(() => new WorkerPool({ module: TASKS, maxWorkers: 0 }), RangeError);
    assert.throws(() => new WorkerPool({ module: TASKS, killAfter: -1 }), RangeError);
    assert.throws(() => pool.submit(pool.task('add'), [() => 1, 2] as never), /task 'add': argument 0 is a function/);
    await pool.submit(pool.task('add'), [1, 1]); // the first worker has reported its exports
    assert.throws(() => pool.task('nope' as never), /has no function export 'nope'.*add/);
    // Before any worker has reported its exports, a name is checked in the worker: names that
    // an object's prototype has ('constructor', 'toString') are not tasks.
    const fresh = new WorkerPool<Tasks>({ module: TASKS, maxWorkers: 1 });
    try {
      const submitted = ['constructor', 'toString', '__proto__', 'hasOwnProperty'].map((name) => [name, fresh.submit(fresh.task(name as never), [])] as const);
      for (const [name, future] of submitted) {
        await assert.rejects(future.result(), (e: Error) => e instanceof TypeError && e.message.includes(`no function export '${name}'`), name);
      }
    } finally {
      await fresh.shutdown();
    }
    const bad = pool.submit(pool.task('add'), [{ f: () => 1 }, 1] as never);
    await assert.rejects(bad.result(), /task 'add': argument 0 cannot be sent to a worker/);
    const outer = 41;
    await assert.rejects(pool.submit(() => outer + 1, []).result(), /outer is not defined.*shipped by its source/);
    await assert.rejects(pool.submit(pool.task('returnsFunction'), []).result(), /result cannot be sent/);
    await assert.rejects(pool.submit(pool.task('fail'), ['boom']).result(), (e: Error) => e instanceof RangeError && e.message === 'boom');
    assert.throws(() => pool.submit(Math.max as never, []), /native or bound/);
    assert.throws(() => pool.submit(pool.task('add'), [1, 2], { timout: 1 } as never), /unknown option 'timout'/);
  });

  it('a method shorthand or an accessor is a TypeError at submit; a function submitted again is the same task', async () => {
    const methods = {
      double(_ctx: unknown, x: number): number {
        return x * 2;
      },
      get getter(): () => number {
        return () => 1;
      },
    };
    assert.throws(() => pool.submit(methods.double, [2]), (e: Error) => e instanceof TypeError && /'double' cannot be shipped .*method shorthand/.test(e.message));
    assert.throws(() => pool.map(methods.double, [1]), /'double' cannot be shipped/);
    const getter = Object.getOwnPropertyDescriptor(methods, 'getter')!.get!;
    assert.throws(() => pool.submit(getter as never, []), /cannot be shipped/);
    const viaArrow = { double: (_ctx: unknown, x: number): number => x * 2 };
    const triple = function (_ctx: unknown, x: number): number {
      return x * 3;
    };
    const results = await Promise.all([pool.submit(viaArrow.double, [2]), pool.submit(triple, [2]), pool.submit(viaArrow.double, [5]), pool.submit(triple, [5])]);
    assert.deepEqual(results, [4, 6, 10, 15]);
  });

  it("a task's error keeps its name across the thread: custom classes and names as plain Errors, built-in classes as themselves", async () => {
    const custom = await pool.submit(pool.task('failCustom'), ['none left']).exception();
    assert.ok(custom instanceof Error);
    assert.equal(custom.name, 'OutOfStock');
    assert.equal(custom.message, 'none left');
    assert.match(String(custom.stack), /none left/);
    const renamed = await pool.submit(pool.task('fail'), ['boom']).exception();
    assert.ok(renamed instanceof RangeError, 'a built-in class is rebuilt by the clone itself');
    const namedTypeError = await pool.submit(() => {
      const e = new TypeError('bad');
      e.name = 'SchemaError';
      throw e;
    }, []).exception();
    assert.equal(namedTypeError?.name, 'SchemaError');
    assert.equal(namedTypeError?.message, 'bad');
    // A name getter that throws: the error still fails its task, as the clone sends it.
    const hostile = await pool.submit(() => {
      const e = new Error('getter');
      Object.defineProperty(e, 'name', { get: () => { throw new Error('no'); } });
      throw e;
    }, []).exception();
    assert.ok(hostile instanceof Error);
    assert.equal(await pool.submit(pool.task('add'), [1, 2]), 3, 'the worker goes on');
  });

  it('SharedArrayBuffer views pass by reference; transfer moves buffers in and out', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(16));
    assert.equal(await pool.submit(pool.task('fill'), [shared, 7]), 4);
    assert.deepEqual([...shared], [7, 7, 7, 7]);
    const buffer = new ArrayBuffer(8);
    const view = new Uint8Array(buffer);
    assert.equal(await pool.submit(pool.task('fill'), [view, 1], { transfer: [buffer] }), 8);
    assert.equal(buffer.byteLength, 0, 'transferred, not copied');
    const made = (await pool.submit(pool.task('makeBuffer'), [32])) as ArrayBuffer;
    assert.equal(made.byteLength, 32);
  });

  it('options.transfer: a detached buffer, shared memory, a view or a buffer listed twice is a TypeError at submit, by index; a good one still moves', async () => {
    const fill = pool.task('fill');
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    const live = new ArrayBuffer(8);
    const submitTransferring = (transfer: unknown[]): unknown => pool.submit(fill, [new Uint8Array(4), 1], { transfer: transfer as ArrayBuffer[] });
    assert.throws(() => submitTransferring([live, detached]), (e: Error) => e instanceof TypeError && /^options\.transfer\[1\] is a detached ArrayBuffer/.test(e.message));
    assert.equal(live.byteLength, 8, 'nothing was sent: the good buffer is still here');
    assert.throws(
      () => submitTransferring([new SharedArrayBuffer(8)]),
      (e: Error) => e instanceof TypeError && /options\.transfer\[0\] is a SharedArrayBuffer/.test(e.message) && /needs no transfer/.test(e.message) && !/got Array/.test(e.message),
    );
    assert.throws(() => submitTransferring([new Uint8Array(live)]), (e: Error) => e instanceof TypeError && /options\.transfer\[0\] must be an ArrayBuffer, got Uint8Array \(pass its \.buffer\)/.test(e.message));
    assert.throws(() => submitTransferring([live, live]), (e: Error) => e instanceof TypeError && /options\.transfer\[1\] is options\.transfer\[0\] again/.test(e.message));
    assert.throws(() => submitTransferring('x' as never), (e: Error) => e instanceof TypeError && /options\.transfer must be an array of ArrayBuffers, got the string/.test(e.message));
    // map's chunks carry no transfer list; a zero-length buffer that is not detached is fine.
    const empty = new ArrayBuffer(0);
    assert.equal(await pool.submit(fill, [new Uint8Array(live), 2], { transfer: [live, empty] }), 8);
    assert.equal(live.byteLength, 0, 'transferred');
  });

  it('map keeps order with chunksize and buffersize; asCompleted, wait and TaskGroup work', async () => {
    const out: number[] = [];
    for await (const v of pool.map(pool.task('square'), Array.from({ length: 50 }, (_, i) => i), { chunksize: 7, buffersize: 14 })) out.push(v);
    assert.deepEqual(out, Array.from({ length: 50 }, (_, i) => i * i));
    const fs = [3, 1, 2].map((n) => pool.submit(pool.task('sleepy'), [n * 10]));
    const seen: number[] = [];
    for await (const f of asCompleted(fs)) seen.push(await f.result());
    assert.deepEqual([...seen].sort(), [10, 20, 30]);
    const { done } = await wait(fs);
    assert.equal(done.size, 3);
    await using group = new TaskGroup();
    const a = group.submit(pool, pool.task('add'), [1, 2]);
    assert.equal(await a, 3);
  });

  it('shutdown: later submits throw; wait settles everything; cancelFutures cancels the queue', async () => {
    const running = pool.submit(pool.task('spin'), [100]);
    const queued = Array.from({ length: 5 }, () => pool.submit(pool.task('spin'), [100]));
    await until(() => running.state === 'RUNNING');
    await pool.shutdown({ cancelFutures: true });
    assert.throws(() => pool.submit(pool.task('add'), [1, 1]), PoolShutdownError);
    assert.equal(running.state, 'FINISHED');
    assert.ok(queued.some((f) => f.cancelled()));
    assert.ok(queued.every((f) => f.done()));
  });

  it('await using shuts the pool down', async () => {
    let inner: WorkerPool<Tasks> | undefined;
    {
      await using p = new WorkerPool<Tasks>({ module: TASKS });
      inner = p;
      assert.equal(await p.submit(p.task('add'), [1, 1]), 2);
    }
    assert.equal(inner.isShutdown, true);
  });

  it('an idle pool does not keep the process alive (child process exits by itself)', function () {
    this.timeout(30_000);
    const script = `
      const { WorkerPool } = require(${JSON.stringify(path.join(__dirname, '../lib/index.ts'))});
      const pool = new WorkerPool({ module: ${JSON.stringify(TASKS)}, minWorkers: 2, maxWorkers: 2 });
      pool.submit(pool.task('add'), [1, 2], { timeout: 10000 }).then((v) => console.log('result', v));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.match(out, /result 3/);
  });

  it('TypeScript task modules load when the parent runs tsx', async () => {
    const ts = new WorkerPool<typeof import('./fixtures/worker-tasks')>({ module: path.join(__dirname, 'fixtures/worker-tasks.ts') });
    try {
      assert.equal(await ts.submit(ts.task('greet'), ['ts']), 'hello ts');
    } finally {
      await ts.shutdown();
    }
  });

  it('idleTimeout stops workers beyond minWorkers', async () => {
    const p = new WorkerPool<Tasks>({ module: TASKS, minWorkers: 0, maxWorkers: 2, idleTimeout: 50 });
    try {
      await Promise.all([p.submit(p.task('sleepy'), [20]), p.submit(p.task('sleepy'), [20])]);
      assert.ok(p.stats().workers >= 1);
      await until(() => p.stats().workers === 0, 'idle workers stopped');
      assert.equal(await p.submit(p.task('add'), [1, 1]), 2);
    } finally {
      await p.shutdown();
    }
  });

  it('cancel storm: 2000 cancels of queued and running tasks, every Future settles once, no kill', async () => {
    const fs = Array.from({ length: 2000 }, (_, i) => pool.submit(pool.task('spin'), [i % 2 ? 5 : 0]));
    await sleep(5);
    for (const f of fs) f.cancel();
    await Promise.all(fs.map((f) => f.exception()));
    assert.ok(fs.every((f) => f.done()));
    const s = pool.stats();
    assert.equal(s.completed + s.cancelled, 2000);
    assert.equal(s.killed, 0);
  });
});
