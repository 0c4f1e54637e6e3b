// A bounded queue (maxQueue) and what submit does when it is full: reject with
// QueueFullError, run on the caller, or drop the oldest queued task; and submitWhenReady,
// which waits for room instead.
import { strict as assert } from 'node:assert';

import { Future, FutureHandle, kernels, NativePool, PoolShutdownError, QueueFullError } from '../lib/index';
import { until } from './helpers';

describe('bounded queue', () => {
  let pool: NativePool | undefined;
  afterEach(async () => {
    await pool?.shutdown({ cancelFutures: true, cancelRunning: true });
    pool = undefined;
  });

  // One worker busy with `blocker`; the queue then holds maxQueue tasks.
  async function fullPool(onFull: 'reject' | 'callerRuns' | 'discardOldest', maxQueue = 2): Promise<{ p: NativePool; blocker: Future<number>; queued: Future<number>[] }> {
    const p = new NativePool({ maxWorkers: 1, maxQueue, onFull, name: 'bq' });
    pool = p;
    const blocker = p.submit(kernels.spin, [10_000]);
    await until(() => blocker.running());
    const queued = Array.from({ length: maxQueue }, () => p.submit(kernels.spin, [1]));
    return { p, blocker, queued };
  }

  describe("onFull: 'reject' (the default)", () => {
    it('throws QueueFullError when the queue is full, naming the pool and maxQueue', async () => {
      const { p } = await fullPool('reject');
      assert.throws(() => p.submit(kernels.noop, []), (e: Error) => e instanceof QueueFullError && /'bq'/.test(e.message) && /maxQueue/.test(e.message));
      assert.equal(p.stats().queued, 2);
    });
    it('the default policy is reject', () => {
      pool = new NativePool({ maxWorkers: 1, maxQueue: 1 });
      assert.equal(pool.onFull, 'reject');
    });
    it('accepts again once there is room', async () => {
      const { p, blocker, queued } = await fullPool('reject');
      assert.throws(() => p.submit(kernels.noop, []), QueueFullError);
      blocker.cancel();
      await Promise.all(queued);
      assert.equal(await p.submit(kernels.isPrime, [5]), true);
    });
    it('counts tasks submitted in this tick, before they reach the native queue', () => {
      pool = new NativePool({ maxWorkers: 1, maxQueue: 3, name: 'bq' });
      // Same tick: nothing has been sent yet, still only workers + maxQueue are accepted.
      const accepted: Future<number>[] = [];
      assert.throws(() => {
        for (let i = 0; i < 10; i++) accepted.push(pool!.submit(kernels.spin, [1]));
      }, QueueFullError);
      assert.equal(accepted.length, 4);
    });
    it('maxQueue 0: only as many tasks as workers', async () => {
      pool = new NativePool({ maxWorkers: 2, maxQueue: 0, name: 'bq' });
      const a = pool.submit(kernels.sleep, [50]);
      const b = pool.submit(kernels.sleep, [50]);
      assert.throws(() => pool!.submit(kernels.noop, []), QueueFullError);
      await Promise.all([a, b]);
    });
  });

  describe("onFull: 'callerRuns'", () => {
    it('runs the task on the calling thread and returns a finished Future', async () => {
      const { p } = await fullPool('callerRuns');
      const t0 = performance.now();
      const f = p.submit(kernels.spin, [50]);
      const elapsed = performance.now() - t0;
      // Synchronously, on this thread: the submit call itself took the task's time.
      assert.ok(elapsed >= 45, `submit returned after ${elapsed.toFixed(1)} ms`);
      assert.equal(f.state, 'FINISHED');
      assert.ok((await f) > 0);
      const h = p.submit(kernels.countPrimes, [0, 100]);
      assert.equal(h.state, 'FINISHED');
      assert.equal(await h, 25);
      assert.equal(p.stats().queued, 2);
    });
    it('still validates arguments first', async () => {
      const { p } = await fullPool('callerRuns');
      assert.throws(() => p.submit(kernels.isPrime, [-1]), RangeError);
    });
  });

  describe("onFull: 'discardOldest'", () => {
    it('cancels the oldest queued task to make room', async () => {
      const { p, blocker, queued } = await fullPool('discardOldest', 3);
      const newest = p.submit(kernels.isPrime, [7]);
      assert.equal(queued[0]!.state, 'CANCELLED');
      assert.equal(queued[1]!.state, 'PENDING');
      const newer = p.submit(kernels.isPrime, [8]);
      assert.equal(queued[1]!.state, 'CANCELLED');
      assert.equal(blocker.state, 'RUNNING'); // never the running one
      blocker.cancel();
      assert.equal(await newest, true);
      assert.equal(await newer, false);
      assert.ok((await queued[2]!) > 0);
      assert.equal(p.stats().cancelled, 3);
    });
  });

  describe('submitWhenReady', () => {
    // The contract: it resolves with the Future's handle as soon as the queue has room, not
    // with the task's result when it is done. (A Promise cannot resolve to a thenable: it
    // would adopt its result; the handle is the Future without `then`.)
    it('resolves with the Future once there is room, before the task finishes', async () => {
      pool = new NativePool({ maxWorkers: 1, maxQueue: 4, name: 'bq' });
      const t0 = performance.now();
      const got = await pool.submitWhenReady(kernels.spin, [300]);
      const elapsed = performance.now() - t0;
      assert.ok(got instanceof FutureHandle && got.future instanceof Future, `resolved with ${String(got)} after ${elapsed.toFixed(0)} ms`);
      assert.ok(!got.done(), `resolved after ${elapsed.toFixed(0)} ms, with the task done: it waited for the task`);
      assert.ok((await got.future) > 0);
      assert.ok((await got.result()) > 0);
    });
    it('ends CANCELLED at once when its signal aborts while it waits for room (review #10)', async () => {
      const stuck = new NativePool({ maxWorkers: 1, maxQueue: 0 });
      try {
        const busy = stuck.submit(kernels.spin, [1500]);
        const ac = new AbortController();
        const ready = stuck.submitWhenReady(kernels.noop, [], { signal: ac.signal });
        setTimeout(() => ac.abort(new Error('gave up')), 50);
        const t0 = performance.now();
        const handle = await ready;
        assert.ok(performance.now() - t0 < 1000, 'it waited for room after the abort');
        assert.equal(handle.state, 'CANCELLED');
        await assert.rejects(handle.result(), /gave up/);
        assert.equal(busy.done(), false, 'the busy task still runs');
        // A signal that never aborts leaves no listener behind once room opens.
        const later = new AbortController();
        const queued = stuck.submitWhenReady(kernels.noop, [], { signal: later.signal });
        await busy;
        assert.equal(await (await queued).result(), undefined);
        later.abort();
      } finally {
        await stuck.shutdown({ cancelRunning: true });
      }
    });
    it('waits for room instead of failing', async () => {
      const { p, blocker } = await fullPool('reject');
      let resolved = false;
      const ready = p.submitWhenReady(kernels.isPrime, [13]).then((v) => {
        resolved = true;
        return v;
      });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(resolved, false);
      blocker.cancel();
      const got = await ready;
      assert.equal(await got.future, true);
    });
    it('a producer loop with submitWhenReady keeps every worker busy without overfilling the queue', async () => {
      pool = new NativePool({ maxWorkers: 2, maxQueue: 4, name: 'bq' });
      const fs: Future<number>[] = [];
      let maxQueued = 0;
      let maxActive = 0;
      for (let i = 0; i < 60; i++) {
        fs.push((await pool.submitWhenReady(kernels.spin, [3])).future);
        const s = pool.stats();
        maxQueued = Math.max(maxQueued, s.queued);
        maxActive = Math.max(maxActive, s.active);
      }
      await Promise.all(fs);
      assert.ok(maxQueued <= 4 + 2, `queued reached ${maxQueued}`);
      assert.equal(maxActive, 2, 'the producer waited for each task instead of for room');
      assert.equal(pool.stats().completed, 60);
    });
    it('validates at the call and rejects with PoolShutdownError after shutdown', async () => {
      const { p } = await fullPool('reject');
      assert.throws(() => p.submitWhenReady(kernels.isPrime, [-1] as never), RangeError);
      const waiting = p.submitWhenReady(kernels.noop, []);
      void p.shutdown({ cancelFutures: true, cancelRunning: true });
      await assert.rejects(waiting, PoolShutdownError);
    });
  });
});
