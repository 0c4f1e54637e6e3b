// pool.map: Python's Executor.map with results in input order, chunks sent as one task,
// a bound on items in flight (so endless inputs work), and every early exit (break,
// error, timeout, abort) cancelling what is still outstanding.
import { strict as assert } from 'node:assert';

import { CancelledError, kernels, NativePool, PoolShutdownError, TimeoutError } from '../lib/index';
import { catchWarnings, until } from './helpers';

function isPrimeRef(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

// Every task the pool was given has been settled in JS (the native 'active' count drops
// a moment before the completion is delivered).
function settledCount(pool: NativePool): number {
  const s = pool.stats();
  return s.completed + s.failed + s.cancelled + s.timedOut;
}

describe('map', () => {
  let pool: NativePool;
  beforeEach(() => {
    pool = new NativePool({ maxWorkers: 2, name: 'map' });
  });
  afterEach(() => pool.shutdown({ cancelFutures: true, cancelRunning: true }));

  describe('order', () => {
    it('yields results in input order, not completion order', async () => {
      // Early items take longest: completion order is the reverse of input order.
      const spins = await collect(pool.map(kernels.countPrimes, [[0, 300000], [0, 10], [0, 100]]));
      assert.deepEqual(spins, [25997, 4, 25]);
    });
    it('matches a JS reference over 5000 items', async () => {
      const ns = Array.from({ length: 5000 }, (_, i) => i * 7 + 1);
      assert.deepEqual(await collect(pool.map(kernels.isPrime, ns)), ns.map(isPrimeRef));
    });
    it('takes each item as the argument, or as the argument list for several', async () => {
      assert.deepEqual(await collect(pool.map(kernels.isPrime, [[7], 8])), [true, false]);
      assert.deepEqual(await collect(pool.map(kernels.countPrimes, [[0, 10], [10, 20]])), [4, 4]);
      assert.deepEqual(await collect(pool.map(kernels.noop, [undefined, [], undefined])), [undefined, undefined, undefined]);
    });
    it('an empty input yields nothing', async () => {
      assert.deepEqual(await collect(pool.map(kernels.isPrime, [])), []);
    });
  });

  describe('chunksize', () => {
    it('without chunksize the chunks grow 1, 2, 4, ... (to 128, or a quarter of each worker\'s share): same results, far fewer tasks', async () => {
      const ns = Array.from({ length: 1000 }, (_, i) => i);
      assert.deepEqual(await collect(pool.map(kernels.isPrime, ns)), ns.map(isPrimeRef));
      // 1000 items, 2 workers: at most 1000 / 8 = 125 per chunk: 1+2+...+64 = 127 items in 7
      // tasks, then 7 chunks of at most 125.
      assert.equal(pool.stats().completed, 14);
      // A small input stays one item per task, so that slow kernels still use every worker.
      assert.deepEqual(await collect(pool.map(kernels.isPrime, [2, 3, 4, 5, 6, 7, 8])), [true, true, false, true, false, true, false]);
      assert.equal(pool.stats().completed, 14 + 7);
      // A typed array grows the same way; mapChunks keeps one item per chunk (its unit).
      const typed = Int32Array.from(ns);
      assert.deepEqual(await collect(pool.map(kernels.isPrime, typed)), ns.map(isPrimeRef));
      assert.equal(pool.stats().completed, 14 + 7 + 14);
      let chunks = 0;
      for await (const chunk of pool.mapChunks(kernels.isPrime, [1, 2, 3])) {
        assert.equal(chunk.length, 1);
        chunks++;
      }
      assert.equal(chunks, 3);
    });
    it('without chunksize the first result comes after its own item, not after a grown chunk', async () => {
      // spin(0) first, then items of 300 ms each: the first chunk is one item.
      const it = pool.map(kernels.spin, [0, 300, 300, 300, 300, 300, 300, 300, 300]);
      const t0 = performance.now();
      assert.ok(((await it.next()).value as number) >= 0);
      assert.ok(performance.now() - t0 < 250, `first result after ${(performance.now() - t0).toFixed(0)} ms`);
      await it.return?.(undefined);
    });
    for (const chunksize of [1, 3, 64, 1000, 5000]) {
      it(`chunksize ${chunksize}: same results, ceil(n / chunksize) native tasks`, async () => {
        const ns = Array.from({ length: 1000 }, (_, i) => i);
        const got = await collect(pool.map(kernels.isPrime, ns, { chunksize }));
        assert.deepEqual(got, ns.map(isPrimeRef));
        assert.equal(pool.stats().completed, Math.ceil(ns.length / chunksize));
      });
    }
    it('a chunk of results that are bytes', async () => {
      const inputs = Array.from({ length: 10 }, (_, i) => new Uint8Array(i));
      const got = await collect(pool.map(kernels.sha256, inputs, { chunksize: 4 }));
      assert.equal(got.length, 10);
      assert.ok(got.every((h) => h instanceof Uint8Array && h.length === 32));
      assert.equal(Buffer.from(got[0]!).toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    });
  });

  describe('buffersize', () => {
    it('is bounded by default: an endless generator yields from the start', async () => {
      let pulled = 0;
      function* naturals(): Generator<number> {
        for (let n = 1; ; n++) {
          pulled++;
          yield n;
        }
      }
      const got: boolean[] = [];
      for await (const r of pool.map(kernels.isPrime, naturals(), { chunksize: 50 })) {
        got.push(r);
        if (got.length === 100) break;
      }
      assert.deepEqual(got.slice(0, 6), [false, true, true, false, true, false]);
      // Default: max(4096, 8 x chunksize x workers) items ahead at most.
      assert.ok(pulled <= 100 + Math.max(4096, 8 * 50 * 2), `pulled ${pulled} items`);
    });
    it('maps an endless generator in bounded memory', async () => {
      let pulled = 0;
      let consumed = 0;
      let maxAhead = 0;
      let maxTasks = 0;
      function* naturals(): Generator<number> {
        for (let n = 0; ; n++) {
          pulled++;
          yield n;
        }
      }
      const buffersize = 16;
      const chunksize = 4;
      for await (const isP of pool.map(kernels.isPrime, naturals(), { buffersize, chunksize })) {
        assert.equal(isP, isPrimeRef(consumed));
        consumed++;
        maxAhead = Math.max(maxAhead, pulled - consumed);
        const s = pool.stats();
        maxTasks = Math.max(maxTasks, s.queued + s.active);
        if (consumed === 20_000) break;
      }
      // Never more than buffersize items pulled ahead of the consumer (plus the chunk being
      // handed out), never more than buffersize / chunksize tasks in the pool.
      assert.ok(maxAhead <= buffersize + chunksize, `pulled ${maxAhead} ahead`);
      assert.ok(maxTasks <= buffersize / chunksize, `${maxTasks} tasks in flight`);
      assert.ok(pulled <= consumed + buffersize + chunksize);
    });
    it('buffersize 1 runs one item at a time', async () => {
      let maxTasks = 0;
      const items = Array.from({ length: 10 }, () => 5);
      for await (const _ of pool.map(kernels.sleep, items, { buffersize: 1 })) {
        const s = pool.stats();
        maxTasks = Math.max(maxTasks, s.queued + s.active);
      }
      assert.ok(maxTasks <= 1);
      assert.equal(pool.stats().completed, 10);
    });
  });

  describe('stopping early', () => {
    it('break cancels what is outstanding and closes the input', async () => {
      let closed = false;
      function* items(): Generator<number> {
        try {
          yield 0;
          for (let i = 0; i < 8; i++) yield 10_000;
        } finally {
          closed = true;
        }
      }
      const t0 = performance.now();
      // chunksize 1: one task per item, so that the counts below are per item (without
      // it NativePool's chunks grow: 1, 2, 4, ... items).
      for await (const v of pool.map(kernels.spin, items(), { chunksize: 1 })) {
        assert.ok(v > 0);
        break;
      }
      assert.ok(closed, 'the input iterator was not closed');
      await until(() => settledCount(pool) === 9);
      assert.ok(performance.now() - t0 < 3000);
      const s = pool.stats();
      assert.equal(s.completed, 1);
      assert.equal(s.cancelled, 8);
    });
    it('return() on the iterator does the same', async () => {
      const it = pool.map(kernels.spin, [0, 10_000, 10_000, 10_000]);
      assert.ok(((await it.next()).value as number) > 0);
      await it.return!(undefined);
      await until(() => settledCount(pool) === 4);
      assert.equal(pool.stats().cancelled, 3);
      assert.equal((await it.next()).done, true);
    });
  });

  describe('async iterable input', () => {
    it('maps an async generator, in order', async () => {
      async function* slowly(): AsyncGenerator<number> {
        for (let n = 0; n < 50; n++) {
          if (n % 10 === 0) await new Promise((r) => setTimeout(r, 5));
          yield n;
        }
      }
      const ns = Array.from({ length: 50 }, (_, i) => i);
      assert.deepEqual(await collect(pool.map(kernels.isPrime, slowly(), { chunksize: 7 })), ns.map(isPrimeRef));
    });
    it('an endless async generator with buffersize, closed on break', async () => {
      let closed = false;
      let pulled = 0;
      async function* endless(): AsyncGenerator<number> {
        try {
          for (let n = 0; ; n++) {
            pulled++;
            yield n;
          }
        } finally {
          closed = true;
        }
      }
      let count = 0;
      for await (const v of pool.map(kernels.sumRange, endless(), { buffersize: 8 })) {
        assert.equal(v, count === 0 ? 0 : (count * (count - 1)) / 2);
        if (++count === 1000) break;
      }
      assert.ok(closed);
      assert.ok(pulled <= 1000 + 9, `pulled ${pulled}`);
    });
  });

  describe('timeout', () => {
    it('rejects with TimeoutError after the overall timeout and stops the tasks, with no warning for its own tasks', async () => {
      // The spins that reach their deadline fail with a TimeoutError that nobody can read
      // (map owns those Futures): map marks them observed, so none warns once collected.
      const warnings = await catchWarnings(async () => {
        const t0 = performance.now();
        const got: number[] = [];
        await assert.rejects(async () => {
          for await (const v of pool.map(kernels.spin, [0, 10_000, 10_000, 10_000], { timeout: 150, chunksize: 1 })) got.push(v);
        }, TimeoutError);
        const elapsed = performance.now() - t0;
        assert.equal(got.length, 1);
        assert.ok(elapsed >= 140 && elapsed < 2000, `rejected after ${elapsed.toFixed(0)} ms`);
        // The three spins were stopped (by their deadline or by cancel), not run for 10 s.
        await until(() => settledCount(pool) === 4, 'four settled tasks', 2000);
        assert.equal(pool.stats().completed, 1);
        assert.ok(pool.stats().timedOut + pool.stats().cancelled === 3);
      }, (caught) => caught.length > 0); // collects garbage 20 times unless a warning comes first
      assert.deepEqual(warnings.map(String), []);
    });
    it('does not fire when the map finishes in time', async () => {
      assert.deepEqual(await collect(pool.map(kernels.isPrime, [2, 3, 4], { timeout: 5000 })), [true, true, false]);
    });
  });

  describe('signal', () => {
    it('aborting rejects with CancelledError and cancels what is outstanding', async () => {
      const ac = new AbortController();
      const got: number[] = [];
      await assert.rejects(async () => {
        for await (const v of pool.map(kernels.spin, [0, 10_000, 10_000, 10_000, 10_000], { signal: ac.signal })) {
          got.push(v);
          setTimeout(() => ac.abort(new Error('user stop')), 30);
        }
      }, (e: Error) => e instanceof CancelledError && (e.cause as Error).message === 'user stop');
      assert.equal(got.length, 1);
      await until(() => settledCount(pool) === 5);
      assert.equal(pool.stats().cancelled, 4);
    });
    it('an already aborted signal yields nothing', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(collect(pool.map(kernels.isPrime, [1, 2, 3], { signal: ac.signal })), CancelledError);
      assert.equal(pool.stats().completed, 0);
    });
  });

  describe('errors', () => {
    it('a bad item throws its argument error; with buffersize, after the earlier results', async () => {
      const got: boolean[] = [];
      await assert.rejects(async () => {
        for await (const v of pool.map(kernels.isPrime, [2, 3, -4, 5], { buffersize: 1 })) got.push(v);
      }, (e: Error) => e instanceof RangeError && /argument 'n'/.test(e.message));
      assert.deepEqual(got, [true, true]);
    });
    it('without buffersize the whole input is read at once, so a bad item fails the first next()', async () => {
      // As in Python, whose map submits every item before yielding anything.
      // @ts-expect-error 'x' is not a number: refused at run time too
      const it = pool.map(kernels.spin, [10_000, 10_000, 'x']);
      await assert.rejects(it.next(), (e: Error) => e instanceof TypeError && /argument 'ms'/.test(e.message));
      // What was submitted before the bad item is cancelled, not left running.
      await until(() => settledCount(pool) === 2);
      assert.equal(pool.stats().cancelled, 2);
    });
    it('an error thrown by the input iterator propagates and cancels what is outstanding', async () => {
      function* failing(): Generator<number> {
        yield 0;
        yield 10_000;
        throw new Error('input broke');
      }
      await assert.rejects(collect(pool.map(kernels.spin, failing(), { chunksize: 1 })), /input broke/);
      await until(() => settledCount(pool) === 2);
      assert.ok(pool.stats().cancelled >= 1); // the spin(10000) at least; spin(0) may have run
      assert.equal(pool.stats().timedOut + pool.stats().failed, 0);
    });
    it('a task that fails rejects the iteration with its error', async () => {
      // Tasks of map carry the map's remaining time as their deadline: the task fails with TimeoutError.
      const it = pool.map(kernels.spin, [10_000], { timeout: 50 });
      await assert.rejects(it.next(), TimeoutError);
    });
    it('a shut-down pool refuses to map', async () => {
      await pool.shutdown();
      await assert.rejects(collect(pool.map(kernels.isPrime, [1, 2])), PoolShutdownError);
    });
  });
});
