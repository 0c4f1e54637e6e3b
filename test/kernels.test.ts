// Each built-in kernel computes what a plain JS reference computes, both on a pool
// thread (submit) and on the calling thread (runSync): the same native code either way.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';

import { kernels, NativePool, TimeoutError } from '../lib/index';
import { binding } from '../lib/native/binding';

function isPrimeRef(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function countPrimesRef(lo: number, hi: number): number {
  let c = 0;
  for (let n = lo; n < hi; n++) if (isPrimeRef(n)) c++;
  return c;
}

function sumRangeRef(n: number): number {
  // Exact below 2^53, which the kernel's cap on n guarantees.
  return n === 0 ? 0 : (n * (n - 1)) / 2;
}

function sha256Ref(data: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash('sha256').update(data).digest());
}

// Sizes around SHA-256's 64-byte block and its 56-byte padding boundary, plus 1 MiB.
const SHA_SIZES = [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 1 << 20];

function bytes(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('kernels', () => {
  let pool: NativePool;
  before(() => {
    pool = new NativePool({ maxWorkers: 2, name: 'kern' });
  });
  after(() => pool.shutdown());

  describe('isPrime', () => {
    // Edge cases, small primes/composites, squares of primes, and large primes near 2^31 and 2^40.
    const inputs = [0, 1, 2, 3, 4, 5, 9, 15, 17, 25, 49, 97, 561, 7919, 7921, 2147483647, 2147483649, 1099511627689, 1099511627691, 999999000001];
    it('agrees with trial division in JS (submit)', async () => {
      const got = await Promise.all(inputs.map((n) => pool.submit(kernels.isPrime, [n])));
      assert.deepEqual(got, inputs.map(isPrimeRef));
    });
    it('agrees with trial division in JS (runSync)', () => {
      for (const n of inputs) assert.equal(kernels.isPrime.runSync([n]), isPrimeRef(n), `isPrime(${n})`);
    });
    it('returns a boolean', async () => {
      assert.equal(typeof (await pool.submit(kernels.isPrime, [7])), 'boolean');
    });
    it('every n below 2000', async () => {
      const ns = Array.from({ length: 2000 }, (_, i) => i);
      const got = await Promise.all(ns.map((n) => pool.submit(kernels.isPrime, [n])));
      assert.deepEqual(got, ns.map(isPrimeRef));
    });
  });

  describe('countPrimes', () => {
    // [lo, hi): empty ranges, ranges that start/end on a prime, and a bigger window.
    const ranges: [number, number][] = [[0, 0], [5, 5], [0, 2], [0, 3], [2, 3], [0, 100], [7, 8], [8, 11], [11, 12], [1000, 2000], [0, 100000], [1e9, 1e9 + 1000]];
    it('counts primes in [lo, hi) like JS (submit)', async () => {
      const got = await Promise.all(ranges.map(([lo, hi]) => pool.submit(kernels.countPrimes, [lo, hi])));
      assert.deepEqual(got, ranges.map(([lo, hi]) => countPrimesRef(lo, hi)));
    });
    it('counts primes in [lo, hi) like JS (runSync)', () => {
      for (const [lo, hi] of ranges) assert.equal(kernels.countPrimes.runSync([lo, hi]), countPrimesRef(lo, hi), `countPrimes(${lo}, ${hi})`);
    });
    it('pi(10^6) = 78498', async () => {
      assert.equal(await pool.submit(kernels.countPrimes, [0, 1_000_000]), 78498);
    });
  });

  describe('sumRange', () => {
    const inputs = [0, 1, 2, 3, 10, 8191, 8192, 8193, 1_000_000, 2 ** 27];
    it('sums 0..n-1 (submit)', async () => {
      const got = await Promise.all(inputs.map((n) => pool.submit(kernels.sumRange, [n])));
      assert.deepEqual(got, inputs.map(sumRangeRef));
    });
    it('sums 0..n-1 (runSync)', () => {
      for (const n of inputs) assert.equal(kernels.sumRange.runSync([n]), sumRangeRef(n), `sumRange(${n})`);
    });
  });

  describe('spin', () => {
    it('returns a positive iteration count and takes about ms (submit)', async () => {
      const t0 = performance.now();
      const iterations = await pool.submit(kernels.spin, [100]);
      const elapsed = performance.now() - t0;
      assert.ok(Number.isInteger(iterations) && iterations > 0, `iterations ${iterations}`);
      // It busy-waits on wall time: never shorter; a noisy shared machine may stretch it.
      assert.ok(elapsed >= 99, `spin(100) took ${elapsed.toFixed(1)} ms`);
      assert.ok(elapsed < 1000, `spin(100) took ${elapsed.toFixed(1)} ms`);
    });
    it('returns a positive iteration count and takes about ms (runSync)', () => {
      const t0 = performance.now();
      const iterations = kernels.spin.runSync([50]);
      const elapsed = performance.now() - t0;
      assert.ok(iterations > 0);
      assert.ok(elapsed >= 49 && elapsed < 1000, `spin(50) took ${elapsed.toFixed(1)} ms`);
    });
    it('spin(0) still returns > 0 iterations', async () => {
      assert.ok((await pool.submit(kernels.spin, [0])) > 0);
      assert.ok(kernels.spin.runSync([0]) > 0);
    });
    it('does more iterations given more time', async () => {
      const short = await pool.submit(kernels.spin, [20]);
      const long = await pool.submit(kernels.spin, [200]);
      assert.ok(long > short, `spin(200)=${long} vs spin(20)=${short}`);
    });
  });

  describe('sleep', () => {
    it('resolves undefined after about ms (submit)', async () => {
      const t0 = performance.now();
      const v = await pool.submit(kernels.sleep, [80]);
      const elapsed = performance.now() - t0;
      assert.equal(v, undefined);
      assert.ok(elapsed >= 79 && elapsed < 1000, `sleep(80) took ${elapsed.toFixed(1)} ms`);
    });
    it('returns undefined after about ms (runSync)', () => {
      const t0 = performance.now();
      assert.equal(kernels.sleep.runSync([30]), undefined);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 29 && elapsed < 1000, `sleep(30) took ${elapsed.toFixed(1)} ms`);
    });
    it('two sleeps on two workers overlap: sleeping does not hold the thread busy', async () => {
      const t0 = performance.now();
      await Promise.all([pool.submit(kernels.sleep, [200]), pool.submit(kernels.sleep, [200])]);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed < 380, `two sleep(200) took ${elapsed.toFixed(1)} ms`);
    });
  });

  describe('sha256', () => {
    for (const size of SHA_SIZES) {
      it(`matches crypto.createHash for ${size} bytes (submit and runSync)`, async () => {
        const data = bytes(size, size + 1);
        const expected = sha256Ref(data);
        const got = await pool.submit(kernels.sha256, [data]);
        assert.ok(got instanceof Uint8Array);
        assert.equal(got.length, 32);
        assert.deepEqual(Buffer.from(got), Buffer.from(expected));
        assert.deepEqual(Buffer.from(kernels.sha256.runSync([data])), Buffer.from(expected));
      });
    }
    it('hashes a subarray view, not the whole buffer', async () => {
      const whole = bytes(1000, 7);
      const view = whole.subarray(100, 300);
      const got = await pool.submit(kernels.sha256, [view]);
      assert.deepEqual(Buffer.from(got), Buffer.from(sha256Ref(view)));
    });
    it('accepts a Buffer (a Uint8Array subclass)', async () => {
      const buf = Buffer.from('hello, corepool');
      assert.equal(Buffer.from(await pool.submit(kernels.sha256, [buf])).toString('hex'), crypto.createHash('sha256').update(buf).digest('hex'));
    });
    it("runs the host's OpenSSL under Node (the code node:crypto runs), found when the addon loads", function () {
      if (process.versions.bun !== undefined || !['linux', 'darwin'].includes(process.platform)) this.skip();
      assert.equal(binding.sha256Backend, 'openssl');
    });
    // A child process each, because the code is chosen once, when the addon loads.
    for (const [variable, backend] of [
      ['COREPOOL_SHA256_BUILTIN', /^(sha-ni|portable)$/], // the SHA extensions where the CPU has them (Bun's path)
      ['COREPOOL_SHA256_PORTABLE', /^portable$/], // CPUs without them
    ] as const) {
      it(`corepool's own code (${variable}=1) matches too, and stops at its deadline`, function () {
        this.timeout(60000);
        const code = `
          const crypto = require('node:crypto');
          const { kernels, NativePool, TimeoutError } = require('./lib/index');
          const { binding } = require('./lib/native/binding');
          for (const n of [0, 55, 56, 64, 65, 127, 128, 4095, 4096, 4097, 300000]) {
            const d = crypto.randomBytes(n);
            const got = Buffer.from(kernels.sha256.runSync([new Uint8Array(d)])).toString('hex');
            if (got !== crypto.createHash('sha256').update(d).digest('hex')) throw new Error('mismatch at ' + n);
          }
          const pool = new NativePool({ maxWorkers: 1 });
          pool.submit(kernels.sha256, [new Uint8Array(256 << 20)], { timeout: 1 }).exception().then(async (e) => {
            if (!(e instanceof TimeoutError)) throw new Error('expected TimeoutError, got ' + e);
            await pool.shutdown();
            console.log(binding.sha256Backend);
          });`;
        const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
          cwd: path.join(__dirname, '..'),
          env: { ...process.env, [variable]: '1' },
          encoding: 'utf8',
        });
        assert.match(out.trim(), backend);
      });
    }
    it('stops at its deadline: a 256 MiB hash with a 1 ms timeout rejects with TimeoutError', async () => {
      const e = await pool.submit(kernels.sha256, [new Uint8Array(256 << 20)], { timeout: 1 }).exception();
      assert.ok(e instanceof TimeoutError, String(e));
    });
    it('many hashes in parallel each get their own result', async () => {
      const inputs = Array.from({ length: 200 }, (_, i) => bytes(i * 13, i));
      const got = await Promise.all(inputs.map((d) => pool.submit(kernels.sha256, [d])));
      got.forEach((h, i) => assert.deepEqual(Buffer.from(h), Buffer.from(sha256Ref(inputs[i]!)), `input ${i}`));
    });
  });

  describe('noop', () => {
    it('resolves undefined (submit) and returns undefined (runSync)', async () => {
      assert.equal(await pool.submit(kernels.noop, []), undefined);
      assert.equal(kernels.noop.runSync([]), undefined);
    });
    it('10k noops all complete', async () => {
      const fs = Array.from({ length: 10_000 }, () => pool.submit(kernels.noop, []));
      const results = await Promise.all(fs);
      assert.equal(results.length, 10_000);
      assert.ok(fs.every((f) => f.state === 'FINISHED'));
    });
  });

  describe('ioLoop', () => {
    it('returns the number of rounds done (submit)', async () => {
      assert.equal(await pool.submit(kernels.ioLoop, [0, 0]), 0);
      assert.equal(await pool.submit(kernels.ioLoop, [100, 0]), 100);
      assert.equal(await pool.submit(kernels.ioLoop, [20, 500]), 20);
    });
    it('returns the number of rounds done (runSync)', () => {
      assert.equal(kernels.ioLoop.runSync([50, 0]), 50);
      assert.equal(kernels.ioLoop.runSync([5, 100]), 5);
    });
    it('takes at least count x ioMicros', async () => {
      const t0 = performance.now();
      await pool.submit(kernels.ioLoop, [20, 2000]);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 39, `ioLoop(20, 2000us) took ${elapsed.toFixed(1)} ms`);
    });
  });

  it('each kernel has its name', () => {
    for (const [name, k] of Object.entries(kernels)) assert.equal(k.name, name);
  });
});
