// Regression tests for the TypeScript items of the hardening issue (11), one `describe` per
// numbered item, each reproduced first through the public API as a hostile user would.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import {
  asCompleted,
  CancelledError,
  Future,
  type FutureHandle,
  IoPool,
  Kernel,
  kernels,
  NativePool,
  TimeoutError,
  wait,
  type TaskContext,
} from '../../lib/index';
import { sleep, until } from '../helpers';
import { explain, runChild } from './child';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Settles to 'pending' if `p` has not settled within `ms`. */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<'pending' | { value: T } | { error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), pending]);
  } finally {
    clearTimeout(timer);
  }
}

/** A pending Future nobody will settle (an IoPool task that waits for its signal). */
function pendingFuture(io: IoPool): Future<never> {
  return io.submit(
    (ctx: TaskContext) => new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    [],
  );
}

describe('hardening (issue 11), TypeScript side', () => {
  describe('3b: every argument is read once', () => {
    it('a Proxy args array is read once per index by submit (the check and the kernel see one value)', async () => {
      const pool = new NativePool({ maxWorkers: 1 });
      try {
        const first = new Uint8Array([1, 2, 3]);
        const second = new Uint8Array(new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(3, { maxByteLength: 16 }));
        const reads: Record<string, number> = {};
        const args = new Proxy([first] as [Uint8Array], {
          get(target, key, receiver) {
            if (typeof key === 'string') reads[key] = (reads[key] ?? 0) + 1;
            if (key === '0' && reads['0']! > 1) return second; // a different, resizable buffer
            return Reflect.get(target, key, receiver) as unknown;
          },
        });
        const digest = await pool.submit(kernels.sha256, args);
        assert.equal(reads['0'], 1, 'args[0] was read more than once');
        assert.deepEqual(Buffer.from(digest), createHash('sha256').update(first).digest());
      } finally {
        await pool.shutdown();
      }
    });

    it('an index getter on a plain array is read once by submit, submitWhenReady and map', async () => {
      const pool = new NativePool({ maxWorkers: 1 });
      try {
        const counted = (values: number[]): { args: number[]; reads: () => number } => {
          const args = [...values];
          let n = 0;
          Object.defineProperty(args, 1, { get: () => (n++ === 0 ? values[1] : -5), enumerable: true });
          return { args, reads: () => n };
        };
        const a = counted([0, 100]);
        assert.equal(await pool.submit(kernels.countPrimes, a.args as [number, number]), 25);
        assert.equal(a.reads(), 1);
        const b = counted([0, 100]);
        assert.equal(await pool.submitWhenReady(kernels.countPrimes, b.args as [number, number]).then((f) => f.result()), 25);
        assert.equal(b.reads(), 1);
        const c = counted([0, 100]);
        const out: number[] = [];
        for await (const n of pool.map(kernels.countPrimes, [c.args as [number, number]])) out.push(n);
        assert.deepEqual(out, [25]);
        assert.equal(c.reads(), 1);
        // One-argument kernels take an item as [value] too.
        const item = [97];
        let reads = 0;
        Object.defineProperty(item, 0, { get: () => (reads++ === 0 ? 97 : 'x'), enumerable: true });
        const primes: boolean[] = [];
        for await (const p of pool.map(kernels.isPrime, [item as [number]])) primes.push(p);
        assert.deepEqual(primes, [true]);
        assert.equal(reads, 1);
      } finally {
        await pool.shutdown();
      }
    });

    it('a Proxy that swaps in a resizable buffer after the check cannot crash the process (child process)', () => {
      const r = runChild(`
        const pool = new lib.NativePool({ maxWorkers: 1 });
        const rab = new ArrayBuffer(1 << 20, { maxByteLength: 1 << 21 });
        let reads = 0;
        const args = new Proxy([new Uint8Array(1 << 20)], {
          get(t, k, r) { if (k === '0' && reads++ > 0) return new Uint8Array(rab); return Reflect.get(t, k, r); },
        });
        const fs = [];
        for (let i = 0; i < 20; i++) { reads = 0; fs.push(pool.submit(lib.kernels.sha256, args)); }
        setImmediate(() => rab.resize(0));
        Promise.allSettled(fs).then(async (rs) => {
          await pool.shutdown();
          console.log(rs.every((x) => x.status === 'fulfilled' && x.value.length === 32) ? 'ok' : 'bad');
        });
      `);
      assert.equal(r.status, 0, explain(r));
      assert.match(r.stdout, /^ok/m, explain(r));
    });
  });

  describe('6: an IoPool result whose adoption throws fails its task only', () => {
    const badResults: [string, () => unknown][] = [
      ['a throwing then getter', () => ({ get then(): never { throw new Error('then getter'); } })],
      [
        'a revoked Proxy',
        () => {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          return proxy;
        },
      ],
      [
        'a Promise subclass whose then throws',
        () => {
          class Bad<T> extends Promise<T> {
            override then(): never {
              throw new Error('subclass then');
            }
          }
          return new Bad<number>((resolve) => resolve(1));
        },
      ],
      [
        'a Promise whose constructor getter throws',
        () => {
          const p = Promise.resolve(1);
          Object.defineProperty(p, 'constructor', { get: () => { throw new Error('species'); } });
          return p;
        },
      ],
    ];
    for (const [what, make] of badResults) {
      it(`${what}: that Future fails, the slot is freed, later tasks and shutdown settle`, async () => {
        const io = new IoPool({ maxConcurrency: 1 });
        const bad = io.submit(() => make() as number, []);
        const queued = io.submit(async () => 'next', []);
        const fromQueue = io.submit(() => make() as number, []); // started by the drain, not inside submit
        const last = io.submit(async () => 'last', []);
        const outcome = await settledWithin(bad.exception(), 1000);
        assert.notEqual(outcome, 'pending', 'the bad task never settled');
        assert.ok((outcome as { value: unknown }).value instanceof Error);
        assert.equal(await settledWithin(queued.result(), 1000).then((o) => (o === 'pending' ? o : (o as { value: string }).value)), 'next');
        assert.ok((await fromQueue.exception()) instanceof Error);
        assert.equal(await last, 'last');
        assert.notEqual(await settledWithin(io.shutdown(), 1000), 'pending', 'shutdown hung');
        assert.equal(io.stats().active, 0);
        assert.equal(io.stats().failed, 2);
      });
    }

    it('a thenable that calls back twice settles once and leaves the counters right', async () => {
      const io = new IoPool();
      const f = io.submit(() => ({ then(ok: (v: number) => void, fail: (e: Error) => void) { ok(1); ok(2); fail(new Error('late')); } }) as unknown as number, []);
      assert.equal(await f, 1);
      await io.shutdown();
      const s = io.stats();
      assert.deepEqual([s.completed, s.failed, s.runaway, s.active], [1, 0, 0, 0]);
    });

    it('no unhandled rejection and no early exit in a child process', () => {
      const r = runChild(`
        process.on('unhandledRejection', (e) => { console.log('unhandled', e && e.message); process.exitCode = 3; });
        const io = new lib.IoPool({ maxConcurrency: 1 });
        const bad = () => ({ get then() { throw new Error('boom'); } });
        io.submit(async () => 1, []);
        const f = io.submit(bad, []);
        const g = io.submit(async () => 'after', []);
        (async () => {
          console.log('bad:', (await f.exception()).message);
          console.log('after:', await g);
          await io.shutdown();
          console.log('shutdown done');
        })();
      `);
      assert.equal(r.status, 0, explain(r));
      assert.match(r.stdout, /bad: boom\nafter: after\nshutdown done/, explain(r));
    });
  });

  describe('8: only kernels the library made can be submitted', () => {
    it('the Kernel constructor refuses hand-made records', () => {
      const K = Kernel as unknown as new (raw: unknown) => unknown;
      assert.throws(() => new K({ id: 0, name: 'isPrime', args: [], result: 1 }), { name: 'TypeError', message: /kernels\.|loadKernels/ });
    });

    it('forged kernels (Object.create, a copied prototype) are TypeErrors at submit, and never fail their neighbours', async () => {
      const pool = new NativePool({ maxWorkers: 1 });
      try {
        const forged = Object.assign(Object.create(Kernel.prototype) as object, { ...kernels.isPrime, id: 99999, arity: 0, name: 'forged' });
        const good = pool.submit(kernels.isPrime, [7]);
        assert.throws(() => pool.submit(forged as typeof kernels.isPrime, [7]), { name: 'TypeError', message: /kernel/ });
        assert.throws(() => pool.map(forged as typeof kernels.isPrime, [7]), { name: 'TypeError', message: /kernel/ });
        const wrongArity = Object.assign(Object.create(Kernel.prototype) as object, kernels.countPrimes, { arity: 7 });
        assert.throws(() => pool.submit(wrongArity as typeof kernels.countPrimes, [1, 2]), { name: 'TypeError' });
        const also = pool.submit(kernels.isPrime, [8]);
        assert.deepEqual(await Promise.all([good.result(), also.result()]), [true, false]);
      } finally {
        await pool.shutdown();
      }
    });
  });

  describe('issue 12 item 7: NativePool fed JS says what to use instead', () => {
    it('a JS function or { filename } points to IoPool and WorkerPool', () => {
      const pool = new NativePool({ maxWorkers: 1 });
      assert.throws(() => pool.submit(((x: number) => x * 2) as never, [1] as never), { name: 'TypeError', message: /only native kernels.*IoPool.*WorkerPool/ });
      assert.throws(() => new NativePool({ filename: './worker.js' } as never), { name: 'TypeError', message: /only native kernels.*WorkerPool/ });
      return pool.shutdown();
    });
  });

  describe('9: asCompleted', () => {
    it('concurrent next() calls each get their own Future', async () => {
      const io = new IoPool();
      const a = io.submit(async () => { await sleep(20); return 'a'; }, []);
      const b = io.submit(async () => { await sleep(40); return 'b'; }, []);
      const it = asCompleted([a, b]);
      const [x, y] = await Promise.all([settledWithin(it.next(), 2000), settledWithin(it.next(), 2000)]);
      assert.notEqual(x, 'pending', 'the first next() never settled');
      assert.notEqual(y, 'pending', 'the second next() never settled');
      const got = [x, y].map((o) => (o as { value: IteratorResult<FutureHandle<string>> }).value.value?.future);
      assert.deepEqual(new Set(got), new Set([a, b]));
      assert.deepEqual(await it.next(), { value: undefined, done: true });
    });

    it('a next() pending at return() resolves done, and the timeout no longer fires', async () => {
      const io = new IoPool();
      const never = pendingFuture(io);
      const it = asCompleted([never], { timeout: 100 });
      const pending = it.next();
      await it.return!();
      assert.deepEqual(await settledWithin(pending, 1000), { value: { value: undefined, done: true } });
      await sleep(150);
      assert.deepEqual(await it.next(), { value: undefined, done: true }, 'no TimeoutError after return()');
      never.cancel();
      await io.shutdown();
    });
  });

  describe('10: shutdown of a paused IoPool', () => {
    it('runs the queued tasks (as Python runs pending work at shutdown) instead of hanging', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      io.pause();
      const f = io.submit(async () => 'ran', []);
      const done = io.shutdown();
      assert.notEqual(await settledWithin(done, 2000), 'pending', 'shutdown() never resolved');
      assert.equal(await f, 'ran');
    });

    it('with cancelFutures the queued tasks end CANCELLED', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      io.pause();
      const f = io.submit(async () => 'ran', []);
      assert.notEqual(await settledWithin(io.shutdown({ cancelFutures: true }), 2000), 'pending');
      assert.equal(f.state, 'CANCELLED');
    });

    it('the process does not exit 0 with the awaited code never run (child process)', () => {
      const r = runChild(`
        const io = new lib.IoPool();
        io.pause();
        const f = io.submit(async () => 'ran', []);
        (async () => { await io.shutdown(); console.log('result:', await f); })();
      `);
      assert.equal(r.status, 0, explain(r));
      assert.match(r.stdout, /result: ran/, explain(r));
    });
  });

  describe('11: submitWhenReady is woken when cancellation opens room', () => {
    it('NativePool: cancelling the queued task lets the waiter in at once', async () => {
      const pool = new NativePool({ maxWorkers: 1, maxQueue: 1 });
      try {
        const running = pool.submit(kernels.sleep, [3000]);
        await until(() => running.state === 'RUNNING', 'the sleep to start');
        const queued = pool.submit(kernels.sleep, [10]);
        let ready: FutureHandle<undefined> | undefined;
        const waiter = pool.submitWhenReady(kernels.sleep, [1]).then((f) => (ready = f));
        await tick();
        assert.equal(ready, undefined, 'the queue is full: it must wait');
        assert.equal(queued.cancel(), true);
        const t0 = performance.now();
        await until(() => ready !== undefined, 'submitWhenReady to be woken by the cancel', 1000);
        assert.ok(performance.now() - t0 < 1000);
        running.cancel();
        await waiter;
      } finally {
        await pool.shutdown({ cancelRunning: true });
      }
    });

    it('IoPool: the same', async () => {
      const io = new IoPool({ maxConcurrency: 1, maxQueue: 1 });
      const blocker = pendingFuture(io);
      const queued = io.submit(async () => 1, []);
      let ready = false;
      const ready0 = io.submitWhenReady(async () => 2, []);
      const waiter = ready0.then((f) => ((ready = true), f.result()));
      await tick();
      assert.equal(ready, false);
      queued.cancel();
      await until(() => ready, 'submitWhenReady to be woken by the cancel', 1000);
      blocker.cancel();
      assert.equal(await waiter, 2);
      await io.shutdown();
    });
  });

  describe('12: large timeouts', () => {
    const BIG = 2 ** 31 + 5; // past setTimeout's 32-bit limit

    const noOverflowWarning = async (run: () => Promise<void>): Promise<void> => {
      const warnings: Error[] = [];
      const onWarning = (w: Error): void => void warnings.push(w);
      process.on('warning', onWarning);
      try {
        await run();
        await tick();
      } finally {
        process.off('warning', onWarning);
      }
      assert.deepEqual(warnings.filter((w) => w.name === 'TimeoutOverflowWarning').map((w) => w.message), []);
    };

    for (const timeout of [Infinity, BIG, 1e13, Number.MAX_VALUE]) {
      it(`timeout ${timeout}: nothing fires early, anywhere`, async () => {
        await noOverflowWarning(async () => {
          const pool = new NativePool({ maxWorkers: 1 });
          const io = new IoPool();
          try {
            const slow = pool.submit(kernels.sleep, [60], { timeout });
            const ioSlow: Future<string> = io.submit(async () => { await sleep(60); return "io"; }, [], { timeout, runTimeout: timeout });
            const never = pendingFuture(io);
            const waits: Promise<unknown>[] = [
              never.result({ timeout }),
              never.exception({ timeout }),
              asCompleted([never], { timeout }).next(),
              (async () => { for await (const x of pool.map(kernels.sleep, [60, 60], { timeout })) void x; })(),
            ];
            const w = wait([never], { timeout });
            for (const p of waits) assert.equal(await settledWithin(p, 30), 'pending');
            assert.equal(await settledWithin(w, 1), 'pending');
            assert.equal(await slow, undefined, 'the native task ran to its end');
            assert.equal(await ioSlow, 'io');
            assert.equal(await settledWithin(waits[3]!, 2000).then((o) => o !== 'pending'), true);
            never.cancel();
            // Retry delays and rate-limit windows: a long one must wait, not fire at once.
            let attempts = 0;
            const retried = io.submit(async () => { attempts++; throw new Error('again'); }, [], {
              retry: { retries: 1, minDelayMs: Number.isFinite(timeout) ? timeout : Number.MAX_VALUE, maxDelayMs: Infinity, jitter: false },
            });
            await sleep(30);
            assert.equal(attempts, 1, 'the retry delay fired early');
            retried.cancel();
          } finally {
            await pool.shutdown({ cancelRunning: true });
            await io.shutdown({ cancelRunning: true });
          }
        });
      });
    }

    it('a rate-limit window past 2^31 ms waits rather than letting tasks through', async () => {
      await noOverflowWarning(async () => {
        const io = new IoPool({ rateLimit: { count: 1, intervalMs: BIG } });
        const a = io.submit(async () => 'a', []);
        const b = io.submit(async () => 'b', []);
        assert.equal(await a, 'a');
        await sleep(30);
        assert.equal(b.state, 'PENDING', 'the second task started before its window');
        await io.shutdown({ cancelFutures: true });
      });
    });

    it('short timeouts still fire (the chained timer is not "never")', async () => {
      const io = new IoPool();
      const never = pendingFuture(io);
      await assert.rejects(never.result({ timeout: 10 }), TimeoutError);
      never.cancel();
      await io.shutdown();
    });
  });

  describe('13: unknown nested option keys are TypeErrors', () => {
    it('names the misspelt key wherever an options object is taken', () => {
      assert.throws(() => new NativePool({ globalLock: { mdoe: 'legacy' } as never }), { name: 'TypeError', message: /mdoe/ });
      assert.throws(() => new IoPool({ retry: { retires: 2 } as never }), { name: 'TypeError', message: /retires/ });
      assert.throws(() => new IoPool({ rateLimit: { count: 1, intervalMs: 10, burst: 2 } as never }), { name: 'TypeError', message: /burst/ });
      const io = new IoPool();
      assert.throws(() => io.submit(async () => 1, [], { retry: { retires: 2 } as never }), { name: 'TypeError', message: /retires/ });
      const f = Future.resolved('t', 1);
      assert.throws(() => wait([f], { timout: 5 } as never), { name: 'TypeError', message: /timout/ });
      assert.throws(() => asCompleted([f], { timout: 5 } as never), { name: 'TypeError', message: /timout/ });
      assert.throws(() => f.result({ timout: 5 } as never), { name: 'TypeError', message: /timout/ });
      assert.throws(() => f.exception({ timout: 5 } as never), { name: 'TypeError', message: /timout/ });
    });

    it('result(null), result("x") and friends are TypeErrors', () => {
      const f = Future.resolved('t', 1);
      for (const bad of [null, 'x', 5, true]) {
        assert.throws(() => f.result(bad as never), { name: 'TypeError' }, `result(${String(bad)})`);
        assert.throws(() => f.exception(bad as never), { name: 'TypeError' }, `exception(${String(bad)})`);
        assert.throws(() => wait([f], bad as never), { name: 'TypeError' }, `wait(..., ${String(bad)})`);
        assert.throws(() => asCompleted([f], bad as never), { name: 'TypeError' }, `asCompleted(..., ${String(bad)})`);
      }
    });
  });

  describe('14: the rest', () => {
    it("onFull 'callerRuns' honours an aborted signal and a passed timeout, and is counted in stats()", async () => {
      const pool = new NativePool({ maxWorkers: 1, maxQueue: 0, onFull: 'callerRuns' });
      try {
        const running = pool.submit(kernels.sleep, [300]);
        await until(() => running.state === 'RUNNING', 'the sleep to start');
        const inCaller = pool.submit(kernels.isPrime, [7]);
        assert.equal(await inCaller, true);
        const ac = new AbortController();
        const aborted = pool.submit(kernels.spin, [5], { signal: ac.signal });
        ac.abort(); // after submit: already ran in the caller, so it stays finished
        assert.equal(aborted.state, 'FINISHED');
        const late = pool.submit(kernels.spin, [30], { timeout: 5 });
        assert.ok((await late.exception()) instanceof TimeoutError, 'ran past its timeout in the caller');
        const s = pool.stats();
        assert.equal((s as { callerRuns?: number }).callerRuns, 3);
        assert.equal(s.completed + s.timedOut, 3, 'caller-run tasks counted like the others');
        running.cancel();
      } finally {
        await pool.shutdown();
      }
    });

    it('an oversized map chunksize is a clear RangeError at the call', () => {
      const pool = new NativePool({ maxWorkers: 1 });
      assert.throws(() => pool.map(kernels.isPrime, [1], { chunksize: 1e8 }), { name: 'RangeError', message: /chunksize.*<=/ });
      return pool.shutdown();
    });

    it("IoPool's submitWhenReady throws on bad arguments and options, as NativePool's does", async () => {
      const io = new IoPool();
      assert.throws(() => void io.submitWhenReady(async () => 1, 'x' as never), { name: 'TypeError', message: /args/ });
      assert.throws(() => void io.submitWhenReady(async () => 1, [], { timeout: -1 }), { name: 'RangeError', message: /timeout/ });
      assert.throws(() => void io.submitWhenReady(async () => 1, [], { priority: 'hi' as never }), { name: 'TypeError', message: /priority/ });
      assert.throws(() => void io.submitWhenReady(async () => 1, [], { timout: 5 } as never), { name: 'TypeError', message: /timout/ });
      await io.shutdown();
    });

    it('20k distinct priorities keep their order (highest first, FIFO within one)', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      io.pause();
      const order: number[] = [];
      const n = 20_000;
      const fs: Future<void>[] = [];
      for (let i = 0; i < n; i++) {
        const p = (i * 7919) % n; // every priority once, in scrambled order
        fs.push(io.submit(() => void order.push(p), [], { priority: p }));
      }
      fs.push(io.submit(() => void order.push(-1), [], { priority: 5 })); // after the first 5
      io.resume();
      await Promise.all(fs);
      const expected = Array.from({ length: n }, (_, i) => n - 1 - i);
      expected.splice(n - 5, 0, -1);
      assert.deepEqual(order, expected);
      await io.shutdown();
    });

    it('lockStats() after shutdown still answers the counters', async () => {
      const pool = new NativePool({ maxWorkers: 1, globalLock: true });
      await pool.submit(kernels.spin, [5]);
      const before = pool.lockStats();
      await pool.shutdown();
      const after = pool.lockStats();
      assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
      assert.ok(after.acquisitions >= before.acquisitions);
    });

    it('a SIZE bound prints exactly', () => {
      // sumRange's n is not a SIZE; find a built-in SIZE argument through an out-of-range value.
      const messages: string[] = [];
      for (const [name, k] of Object.entries(kernels)) {
        void name;
        try {
          (k as Kernel<unknown[], unknown>).runSync(new Array((k as Kernel<unknown[], unknown>).arity).fill(2n ** 70n) as unknown[]);
        } catch (e) {
          messages.push((e as Error).message);
        }
      }
      const sized = messages.filter((m) => /must be between/.test(m) && /bigint|9223372036854775807|922337203685477/.test(m));
      for (const m of sized) assert.doesNotMatch(m, /9223372036854776000/);
      if (sized.length > 0) assert.ok(sized.some((m) => m.includes('9223372036854775807')), sized.join('\n'));
    });

    it('a Uint8Array from another realm is accepted (and a wrong one is named clearly)', async () => {
      const vm = await import('node:vm');
      const foreign = vm.runInNewContext('new Uint8Array([97, 98, 99])') as Uint8Array;
      const pool = new NativePool({ maxWorkers: 1 });
      try {
        const digest = await pool.submit(kernels.sha256, [foreign]);
        assert.deepEqual(Buffer.from(digest), createHash('sha256').update('abc').digest());
        const foreignF64 = vm.runInNewContext('new Float64Array(1)') as unknown as Uint8Array;
        assert.throws(() => pool.submit(kernels.sha256, [foreignF64]), (e: Error) => {
          assert.equal(e.name, 'TypeError');
          assert.doesNotMatch(e.message, /Uint8Array, got Uint8Array/);
          assert.match(e.message, /Float64Array/);
          return true;
        });
      } finally {
        await pool.shutdown();
      }
    });

    it('the cancel reason is kept: signal.reason is the CancelledError cause', async () => {
      const pool = new NativePool({ maxWorkers: 1 });
      const io = new IoPool();
      try {
        const stop = new Error('stop');
        const ac = new AbortController();
        const n = pool.submit(kernels.sleep, [5000], { signal: ac.signal });
        const i = pendingFuture(io);
        const j = io.submit(async () => 1, [], { signal: ac.signal }); // already ran: unaffected
        await io.submit(async () => 0, []);
        const k = io.submit((ctx: TaskContext) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))), [], { signal: ac.signal });
        ac.abort(stop);
        i.cancel();
        const en = await n.exception();
        assert.ok(en instanceof CancelledError);
        assert.equal(en.cause, stop);
        const ek = await k.exception();
        assert.ok(ek instanceof CancelledError);
        assert.equal(ek.cause, stop);
        assert.equal(await j, 1);
        // Already aborted at submit.
        const pre = await pool.submit(kernels.isPrime, [3], { signal: ac.signal }).exception();
        assert.equal(pre?.cause, stop);
        const preIo = await io.submit(async () => 1, [], { signal: ac.signal }).exception();
        assert.equal(preIo?.cause, stop);
        // AbortSignal.timeout: the DOMException TimeoutError is the cause.
        const t = pool.submit(kernels.sleep, [5000], { signal: AbortSignal.timeout(50) });
        const et = await t.exception();
        assert.ok(et instanceof CancelledError);
        assert.equal((et.cause as Error | undefined)?.name, 'TimeoutError');
      } finally {
        await pool.shutdown({ cancelRunning: true });
        await io.shutdown({ cancelRunning: true });
      }
    });
  });
});
