// IoPool: bounded concurrency, rate limit, priorities, timeouts, cancellation, queue
// policies, pause/resume and stats, through the public API.
import assert from 'node:assert/strict';

import { CancelledError, IoPool, PoolShutdownError, QueueFullError, TimeoutError, type TaskContext } from '../lib/index';
import { sleep, untilAborted } from './helpers';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** A promise that ends only when the signal aborts (rejecting with its reason). */

describe('IoPool', () => {
  describe('tasks', () => {
    it('runs (ctx, ...args) and resolves the Future with the value', async () => {
      const io = new IoPool();
      const f = io.submit(async (ctx: TaskContext, a: number, b: string) => `${ctx.attempt}:${a}${b}`, [4, 'x']);
      assert.equal(await f, '1:4x');
      assert.equal(f.state, 'FINISHED');
      assert.equal(io.submit((_ctx, n: number) => n * 2, [21]).state, 'FINISHED', 'a sync task finishes inside submit');
      assert.equal(await io.submit((_ctx, n: number) => n * 2, [21]), 42);
    });

    it('turns a synchronous throw into a failed Future, and wraps a non-Error throw with it as cause', async () => {
      const io = new IoPool();
      const boom = new Error('boom');
      const f = io.submit(() => {
        throw boom;
      }, []);
      assert.equal(f.state, 'FINISHED');
      assert.equal(await f.exception(), boom);
      const g = io.submit(function throwsString() {
        throw 'nope'; // eslint-disable-line no-throw-literal
      }, []);
      const e = await g.exception();
      assert.match(e!.message, /throwsString.*non-Error/);
      assert.equal(e!.cause, 'nope');
      assert.equal(io.stats().failed, 2);
    });

    it('rejects bad arguments with TypeError/RangeError naming them', () => {
      assert.throws(() => new IoPool({ maxConcurrency: 0 }), { name: 'RangeError', message: /maxConcurrency/ });
      assert.throws(() => new IoPool({ maxConcurrency: 'x' as never }), { name: 'TypeError', message: /maxConcurrency/ });
      assert.throws(() => new IoPool({ onFull: 'callerRuns' as never }), { name: 'TypeError', message: /callerRuns.*submitWhenReady/ });
      assert.throws(() => new IoPool({ rateLimit: { count: 0, intervalMs: 10 } }), { name: 'RangeError', message: /rateLimit.count/ });
      assert.throws(() => new IoPool({ rateLimit: { count: 1, intervalMs: -1 } }), { name: 'RangeError', message: /rateLimit.intervalMs/ });
      assert.throws(() => new IoPool({ retry: { factor: 0.5 } }), { name: 'RangeError', message: /retry.factor/ });
      const io = new IoPool();
      assert.throws(() => io.submit(42 as never, []), { name: 'TypeError', message: /task must be a function/ });
      assert.throws(() => io.submit(() => 1, 'a' as never), { name: 'TypeError', message: /args must be an array/ });
      assert.throws(() => io.submit(() => 1, [], { priority: 'high' as never }), { name: 'TypeError', message: /options.priority/ });
      assert.throws(() => io.submit(() => 1, [], { timeout: -1 }), { name: 'RangeError', message: /options.timeout/ });
      assert.throws(() => io.submit(() => 1, [], { retry: { jitter: 2 } }), { name: 'RangeError', message: /options.retry.jitter/ });
    });
  });

  it('never runs more than maxConcurrency tasks at once (instrumented)', async () => {
    const io = new IoPool({ maxConcurrency: 7 });
    let running = 0;
    let peak = 0;
    let statsPeak = 0;
    const task = async (_ctx: TaskContext, i: number): Promise<number> => {
      running++;
      peak = Math.max(peak, running);
      statsPeak = Math.max(statsPeak, io.stats().active);
      await sleep(i % 3); // uneven: completions interleave with starts
      if (i % 5 === 0) await Promise.resolve();
      running--;
      return i;
    };
    const fs = Array.from({ length: 300 }, (_, i) => io.submit(task, [i], { priority: i % 4 }));
    assert.equal(io.stats().queued, 293);
    const results = await Promise.all(fs);
    assert.equal(results.length, 300);
    assert.equal(peak, 7, 'the limit is reached and never exceeded');
    assert.ok(statsPeak <= 7);
    assert.equal(io.stats().completed, 300);
    assert.equal(io.stats().active, 0);
  });

  it('holds the rate limit over every sliding window', async function () {
    const io = new IoPool({ maxConcurrency: 50, rateLimit: { count: 4, intervalMs: 100 } });
    const starts: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 14 }, () => io.submit(() => void starts.push(performance.now()), [])));
    assert.equal(starts.length, 14);
    // Any 5 consecutive starts span at least one full window: never 5 in 100 ms.
    for (let i = 0; i + 4 < starts.length; i++) {
      assert.ok(starts[i + 4]! - starts[i]! >= 99, `starts ${i}..${i + 4} within ${(starts[i + 4]! - starts[i]!).toFixed(1)} ms`);
    }
    assert.ok(starts[3]! - t0 < 50, 'the first window starts 4 at once');
    assert.ok(performance.now() - t0 >= 299, '14 starts at 4 per 100 ms need at least 3 windows');
  });

  it('starts queued tasks by priority, FIFO within a priority', async () => {
    const io = new IoPool({ maxConcurrency: 1 });
    io.pause();
    const order: string[] = [];
    const job = (_ctx: TaskContext, label: string): void => void order.push(label);
    const fs = [
      io.submit(job, ['a0']),
      io.submit(job, ['b5'], { priority: 5 }),
      io.submit(job, ['c1'], { priority: 1 }),
      io.submit(job, ['d5'], { priority: 5 }),
      io.submit(job, ['e-1'], { priority: -1 }),
      io.submit(job, ['f0']),
    ];
    assert.deepEqual(order, []);
    assert.equal(io.isPaused, true);
    assert.equal(fs[0]!.state, 'PENDING');
    io.resume();
    await Promise.all(fs);
    assert.deepEqual(order, ['b5', 'd5', 'c1', 'a0', 'f0', 'e-1']);
  });

  describe('timeout', () => {
    it('frees the slot of a task that never settles; aborts its signal with TimeoutError; counts it as runaway', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      let seen: AbortSignal | undefined;
      const stuck = io.submit((ctx: TaskContext) => {
        seen = ctx.signal;
        return new Promise<never>(() => {}); // ignores its signal, never settles
      }, [], { timeout: 40 });
      const next = io.submit(async () => 'ran', []);
      assert.equal(next.state, 'PENDING');
      const error = await stuck.exception();
      assert.ok(error instanceof TimeoutError, String(error));
      assert.match(error.message, /timeout of 40 ms/);
      assert.ok(seen!.aborted);
      assert.ok(seen!.reason instanceof TimeoutError);
      assert.equal(await next, 'ran', 'the next task got the slot');
      const s = io.stats();
      assert.equal(s.timedOut, 1);
      assert.equal(s.runaway, 1, 'the abandoned attempt is still out there');
      assert.equal(s.active, 0);
    });

    it('a queued task whose deadline passes never starts; runTimeout counts from the start', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      let started = false;
      const blocker = io.submit(() => sleep(80), []);
      const late = io.submit(() => void (started = true), [], { timeout: 20 });
      assert.ok((await late.exception()) instanceof TimeoutError);
      await blocker;
      await tick();
      assert.equal(started, false);
      // runTimeout: 60 ms of queueing do not count, 30 ms of running do.
      const b2 = io.submit(() => sleep(60), []);
      const t = io.submit((ctx: TaskContext) => untilAborted(ctx.signal), [], { runTimeout: 30 });
      await b2;
      const t1 = performance.now();
      const e = await t.exception();
      assert.ok(e instanceof TimeoutError);
      assert.match(e.message, /runTimeout/);
      assert.ok(performance.now() - t1 >= 25);
      await tick();
      assert.equal(io.stats().runaway, 0, 'a task that honours its signal is not a runaway once it settles');
    });
  });

  describe('cancel', () => {
    it('a pending task never starts and is CANCELLED at once', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      let started = false;
      const blocker = io.submit(() => sleep(30), []);
      const f = io.submit(() => void (started = true), []);
      assert.equal(f.cancel(), true);
      assert.equal(f.state, 'CANCELLED');
      assert.equal(io.stats().queued, 0);
      await blocker;
      await tick();
      assert.equal(started, false);
      assert.equal(f.cancel(), false);
      await assert.rejects(f.result(), CancelledError);
    });

    it('a running task gets its signal aborted with CancelledError and the Future ends CANCELLED', async () => {
      const io = new IoPool({ maxConcurrency: 2 });
      let reason: unknown;
      const f = io.submit(async (ctx: TaskContext) => {
        try {
          await untilAborted(ctx.signal);
        } catch (e) {
          reason = e;
          return 'late result, dropped';
        }
      }, []);
      await tick();
      assert.equal(f.state, 'RUNNING');
      assert.equal(f.cancel(), true);
      assert.equal(f.state, 'CANCELLED');
      await tick();
      assert.ok(reason instanceof CancelledError);
      assert.equal(f.state, 'CANCELLED');
      assert.equal(io.stats().active, 0);
      assert.equal(io.stats().runaway, 0);
      assert.equal(io.stats().cancelled, 1);
    });

    it('an AbortSignal shared by many tasks stops them all, queued or running', async () => {
      const io = new IoPool({ maxConcurrency: 2 });
      const stop = new AbortController();
      const fs = Array.from({ length: 5 }, () => io.submit((ctx: TaskContext) => untilAborted(ctx.signal), [], { signal: stop.signal }));
      assert.deepEqual(fs.map((f) => f.state), ['RUNNING', 'RUNNING', 'PENDING', 'PENDING', 'PENDING']);
      stop.abort();
      assert.ok(fs.every((f) => f.cancelled()));
      const already = io.submit(() => 1, [], { signal: stop.signal });
      assert.equal(already.state, 'CANCELLED');
      await io.onIdle();
    });
  });

  describe('queue bounds', () => {
    it("'reject' throws QueueFullError; submitWhenReady waits for room", async () => {
      const io = new IoPool({ maxConcurrency: 1, maxQueue: 2 });
      const fs = [io.submit(() => sleep(20), []), io.submit(() => sleep(1), []), io.submit(() => sleep(1), [])];
      assert.throws(() => io.submit(() => 1, []), QueueFullError);
      const ready = await io.submitWhenReady(async () => 'waited', []);
      assert.equal(await ready.result(), 'waited');
      await Promise.all(fs);
    });

    it("'discardOldest' cancels the queued task that would run next", async () => {
      const io = new IoPool({ maxConcurrency: 1, maxQueue: 2, onFull: 'discardOldest' });
      const blocker = io.submit(() => sleep(10), []);
      const a = io.submit(async () => 'a', []);
      const b = io.submit(async () => 'b', []);
      const c = io.submit(async () => 'c', []);
      assert.equal(a.state, 'CANCELLED');
      assert.deepEqual(await Promise.all([b, c]), ['b', 'c']);
      await blocker;
    });
  });

  it('pause(), resume(), onEmpty() and onIdle()', async () => {
    const io = new IoPool({ maxConcurrency: 2 });
    await io.onIdle(); // already idle
    io.pause();
    let done = 0;
    for (let i = 0; i < 4; i++) io.submit(() => sleep(10).then(() => void done++), []);
    assert.equal(io.stats().queued, 4);
    assert.equal(io.stats().paused, true);
    let emptied = false;
    const empty = io.onEmpty().then(() => (emptied = true));
    await sleep(15);
    assert.equal(emptied, false);
    assert.equal(done, 0);
    io.resume();
    await empty;
    assert.ok(done < 4, 'onEmpty resolves when the last task started, before it ends');
    await io.onIdle();
    assert.equal(done, 4);
  });

  it('stats() records queue wait and run time in ns histograms', async () => {
    const io = new IoPool({ maxConcurrency: 1, name: 'fetchers' });
    await Promise.all([io.submit(() => sleep(5), []), io.submit(() => sleep(5), [])]);
    const s = io.stats();
    assert.equal(s.name, 'fetchers');
    assert.equal(s.maxConcurrency, 1);
    assert.equal(s.runTime.count, 2);
    assert.equal(s.queueWait.count, 2);
    assert.ok(s.runTime.min >= 3e6, `runTime.min ${s.runTime.min} ns`);
    assert.ok(s.queueWait.max >= 3e6, 'the second task waited for the first');
  });

  describe('shutdown', () => {
    it('waits for running and queued tasks, then submit throws PoolShutdownError', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      const fs = [io.submit(() => sleep(10).then(() => 1), []), io.submit(() => 2, [])];
      await io.shutdown();
      assert.deepEqual(fs.map((f) => f.state), ['FINISHED', 'FINISHED']);
      assert.equal(io.isShutdown, true);
      assert.throws(() => io.submit(() => 1, []), PoolShutdownError);
    });

    it('cancelFutures cancels the queue; cancelRunning aborts running tasks', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      const running = io.submit((ctx: TaskContext) => untilAborted(ctx.signal), []);
      const queued = io.submit(() => 1, []);
      await io.shutdown({ cancelFutures: true, cancelRunning: true });
      assert.equal(running.state, 'CANCELLED');
      assert.equal(queued.state, 'CANCELLED');
    });

    it('await using disposes the pool', async () => {
      let f;
      {
        await using io = new IoPool();
        f = io.submit(() => sleep(5).then(() => 'x'), []);
      }
      assert.equal(f.state, 'FINISHED');
    });
  });

  describe('map', () => {
    it('yields results in input order under bounded concurrency', async () => {
      const io = new IoPool({ maxConcurrency: 3 });
      const out: number[] = [];
      for await (const v of io.map(async (_ctx: TaskContext, x: number) => {
        await sleep(10 - x);
        return x * x;
      }, [1, 2, 3, 4, 5, 6])) out.push(v);
      assert.deepEqual(out, [1, 4, 9, 16, 25, 36]);
    });

    it('break cancels what is outstanding; buffersize bounds an endless input', async () => {
      const io = new IoPool({ maxConcurrency: 4 });
      let pulled = 0;
      function* endless(): Generator<number> {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      }
      const out: number[] = [];
      for await (const v of io.map((ctx: TaskContext, x: number) => sleep(1).then(() => x), endless(), { buffersize: 8 })) {
        out.push(v);
        if (out.length === 20) break;
      }
      assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i));
      assert.ok(pulled <= 29, `pulled ${pulled}`);
      await io.onIdle();
      assert.ok(io.stats().cancelled > 0);
    });
  });
});
