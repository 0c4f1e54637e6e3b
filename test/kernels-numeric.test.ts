// factorial, matmul, sortFloat64 and mandelbrot(16) compute exactly what a plain JS
// reference computes, on a pool thread and with runSync; bad and oversized arguments
// throw before anything is queued; long runs stop at their checkpoints.
import { strict as assert } from 'node:assert';

import { CancelledError, kernels, NativePool, TimeoutError } from '../lib/index';

import { factorialRef, mandelbrotRef, matmulRef } from './reference/kernels.cjs';

function random(size: number, seed: number): Float64Array {
  const a = new Float64Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = ((x >>> 0) / 2 ** 32 - 0.5) * 1000;
  }
  return a;
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('built-in kernels: factorial, matmul, sortFloat64, mandelbrot', () => {
  let pool: NativePool;
  before(() => {
    pool = new NativePool({ maxWorkers: 2, name: 'extra' });
  });
  after(async () => {
    await pool.shutdown({ cancelRunning: true });
  });

  describe('factorial', () => {
    it('matches BigInt for small n and around limb boundaries', async () => {
      for (const n of [0, 1, 2, 3, 20, 21, 25, 34, 35, 100, 997, 3000]) {
        assert.equal(await pool.submit(kernels.factorial, [n]), factorialRef(n), `n = ${n}`);
      }
      assert.equal(kernels.factorial.runSync([170]), factorialRef(170));
    });

    it('computes 1e5! exactly, well under a second', async () => {
      const t0 = performance.now();
      const f = await pool.submit(kernels.factorial, [100_000]);
      const ms = performance.now() - t0;
      assert.equal(f, factorialRef(100_000));
      assert.equal(f.toString(2).length, 1_516_705);
      // Typically ~60 ms; 900 ms leaves room for a loaded shared machine.
      assert.ok(ms < 900, `factorial(1e5) took ${ms.toFixed(0)} ms`);
    });

    it('refuses bad n before queuing', () => {
      assert.throws(() => pool.submit(kernels.factorial, [-1]), { name: 'RangeError', message: /'n'/ });
      assert.throws(() => pool.submit(kernels.factorial, [1.5]), { name: 'RangeError', message: /integer/ });
      assert.throws(() => pool.submit(kernels.factorial, [1e6 + 1]), { name: 'RangeError', message: /between 0 and 1000000/ });
      assert.throws(() => pool.submit(kernels.factorial, [10n as unknown as number]), { name: 'TypeError' });
    });

    it('stops at a checkpoint when cancelled or past its deadline', async () => {
      const big = pool.submit(kernels.factorial, [1_000_000]);
      const late = pool.submit(kernels.factorial, [1_000_000], { timeout: 150 });
      const end = Date.now() + 5000;
      while (!big.running() && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
      assert.ok(big.running());
      assert.equal(big.cancel(), true);
      await assert.rejects(big.result(), CancelledError);
      await assert.rejects(late.result(), TimeoutError);
    });
  });

  describe('matmul', () => {
    it('matches the JS triple loop bit for bit', async () => {
      for (const n of [1, 2, 7, 64, 129]) {
        const a = random(n * n, n);
        const b = random(n * n, n + 1000);
        const c = await pool.submit(kernels.matmul, [a, b, n]);
        assert.ok(c instanceof Float64Array);
        assert.equal(c.length, n * n);
        assert.ok(sameBits(c, matmulRef(a, b, n)), `n = ${n}`);
      }
      // A large result is handed over without a copy; it is still an ordinary array.
      const n = 200;
      const ident = new Float64Array(n * n);
      for (let i = 0; i < n; i++) ident[i * n + i] = 1;
      const a = random(n * n, 9);
      const c = kernels.matmul.runSync([a, ident, n]);
      assert.ok(sameBits(c, a));
      c[0] = 42;
      assert.equal(c[0], 42);
    });

    it('reads views at their offset, and leaves its inputs alone', async () => {
      const backing = random(4 + 9 + 9, 5);
      const a = new Float64Array(backing.buffer, 4 * 8, 9);
      const b = new Float64Array(backing.buffer, 13 * 8, 9);
      const before = backing.slice();
      const c = await pool.submit(kernels.matmul, [a, b, 3]);
      assert.ok(sameBits(c, matmulRef(a, b, 3)));
      assert.ok(sameBits(backing, before));
    });

    it('refuses mismatched sizes and bad types before queuing', () => {
      const a = new Float64Array(9);
      const before = pool.stats().completed + pool.stats().queued + pool.stats().active;
      assert.throws(() => pool.submit(kernels.matmul, [a, new Float64Array(8), 3]), {
        name: 'RangeError',
        message: /'b' must have n \* n = 9 elements, got 8/,
      });
      assert.throws(() => pool.submit(kernels.matmul, [a, a, 4]), { name: 'RangeError', message: /'a' must have n \* n = 16/ });
      assert.throws(() => pool.submit(kernels.matmul, [a, a, 0]), { name: 'RangeError', message: /'n'/ });
      assert.throws(() => pool.submit(kernels.matmul, [a, a, 16385]), { name: 'RangeError', message: /'n'/ });
      assert.throws(() => pool.submit(kernels.matmul, [new Float32Array(9) as unknown as Float64Array, a, 3]), {
        name: 'TypeError',
        message: /'a' must be a Float64Array/,
      });
      assert.throws(() => kernels.matmul.runSync([a, new Float64Array(4), 3]), RangeError);
      assert.equal(pool.stats().completed + pool.stats().queued + pool.stats().active, before);
    });

    it('refuses views of detached or resizable buffers', () => {
      const a = new Float64Array(4);
      const gone = new Float64Array(4);
      structuredClone(gone.buffer, { transfer: [gone.buffer] });
      assert.throws(() => pool.submit(kernels.matmul, [gone, a, 2]), { name: 'TypeError', message: /'a' is a view of a detached/ });
      const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
      const growing = new Float64Array(new Resizable(32, { maxByteLength: 64 }), 0, 4);
      assert.throws(() => pool.submit(kernels.matmul, [a, growing, 2]), { name: 'TypeError', message: /'b' is a view of a resizable/ });
    });
  });

  describe('sortFloat64', () => {
    it('sorts in place like Float64Array.prototype.sort, -0, NaN and Infinity included', async () => {
      const special = new Float64Array([3, -0, 0, NaN, -Infinity, 1.5, -2, Infinity, 0, -0, NaN, -1e-310, 5e-324]);
      const cases = [special, new Float64Array(0), new Float64Array([1]), random(1000, 3), random(300_000, 4)];
      // Many equal values and a narrow range: passes where every key shares a digit.
      cases.push(Float64Array.from({ length: 5000 }, (_, i) => i % 7));
      for (const arr of cases) {
        const want = arr.slice().sort();
        const result = await pool.submit(kernels.sortFloat64, [arr]);
        assert.equal(result, undefined);
        assert.equal(arr.length, want.length);
        for (let i = 0; i < arr.length; i++) assert.ok(Object.is(arr[i], want[i]), `index ${i}: ${arr[i]} vs ${want[i]}`);
      }
      const viaSync = random(777, 8);
      kernels.sortFloat64.runSync([viaSync]);
      assert.ok(sameBits(viaSync, random(777, 8).sort()));
    });

    it('sorts a subarray only', async () => {
      const whole = new Float64Array([9, 8, 7, 6, 5, 4]);
      await pool.submit(kernels.sortFloat64, [whole.subarray(1, 5)]);
      assert.deepEqual([...whole], [9, 5, 6, 7, 8, 4]);
    });

    it('a cancelled sort leaves a permutation of the input', async () => {
      const arr = random(4_000_000, 11);
      const want = arr.slice().sort();
      const f = pool.submit(kernels.sortFloat64, [arr], { timeout: 1 });
      const outcome = await f.result().then(
        () => 'sorted',
        (e: unknown) => (e instanceof TimeoutError ? 'stopped' : e),
      );
      assert.ok(outcome === 'sorted' || outcome === 'stopped', String(outcome));
      assert.ok(sameBits(arr.slice().sort(), want));
    });
  });

  describe('mandelbrot', () => {
    it('matches the JS escape-time loop exactly', async () => {
      for (const [w, h, it] of [[1, 1, 1], [17, 9, 30], [120, 80, 255]] as const) {
        const img = await pool.submit(kernels.mandelbrot, [w, h, it]);
        assert.ok(img instanceof Uint8Array);
        assert.deepEqual([...img], mandelbrotRef(w, h, it), `${w}x${h}/${it}`);
      }
    });

    it('mandelbrot16 counts past 255', async () => {
      const img = await pool.submit(kernels.mandelbrot16, [64, 48, 1000]);
      assert.ok(img instanceof Uint16Array);
      const want = mandelbrotRef(64, 48, 1000);
      assert.deepEqual([...img], want);
      assert.ok(want.includes(1000) && want.some((v) => v > 255 && v < 1000));
      assert.deepEqual([...kernels.mandelbrot16.runSync([5, 3, 300])], mandelbrotRef(5, 3, 300));
    });

    it('refuses sizes that would exhaust memory, before queuing', () => {
      assert.throws(() => pool.submit(kernels.mandelbrot, [32768, 32768, 10]), {
        name: 'RangeError',
        message: /width \* height must not exceed 67108864/,
      });
      assert.throws(() => pool.submit(kernels.mandelbrot, [40000, 1, 10]), { name: 'RangeError', message: /'width'/ });
      assert.throws(() => pool.submit(kernels.mandelbrot, [10, 10, 256]), { name: 'RangeError', message: /'maxIter'/ });
      assert.throws(() => pool.submit(kernels.mandelbrot16, [10, 10, 65536]), { name: 'RangeError', message: /'maxIter'/ });
      assert.throws(() => kernels.mandelbrot16.runSync([16384, 8192, 10]), RangeError);
    });

    it('stops at a checkpoint past its deadline', async () => {
      const f = pool.submit(kernels.mandelbrot16, [8192, 8192, 65535], { timeout: 100 });
      await assert.rejects(f.result(), TimeoutError);
    });
  });
});
