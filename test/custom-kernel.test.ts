// A user addon's own C kernels run on corepool's threads: the test builds
// examples/custom-kernel with node-gyp (as a user would, against corepool's include
// directory), loads its kernel table, and runs, cancels and times out its kernels.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  abiVersion,
  CancelledError,
  includeDir,
  KernelError,
  type KernelArities,
  loadKernels,
  NativePool,
  TimeoutError,
} from '../lib/index';
import { addonPath, buildExample, linkCorepool } from './custom-kernel-build';
import { until } from './helpers';


type ExampleKernels = {
  collatzMax: [[lo: number, hi: number], number];
  blockingWait: [[ms: number], undefined];
  scale: [[values: Float64Array, factor: number], number];
  collatzSteps: [[n: bigint | number], number];
  countOccurrences: [[text: string, needle: string], number];
};

// What loadKernels holds the table to: each declared kernel's argument count.
const EXPECTED: KernelArities<ExampleKernels> = { collatzMax: 2, blockingWait: 1, scale: 2, collatzSteps: 1, countOccurrences: 2 };

interface ExampleAddon {
  corepoolKernels: unknown;
  futureAbiTable: unknown;
  malformedTable: unknown;
}

function collatzMaxRef(lo: number, hi: number): number {
  let best = 0;
  for (let n = lo; n < hi; n++) {
    let steps = 0;
    for (let x = n; x !== 1; steps++) x = x % 2 === 1 ? 3 * x + 1 : x / 2;
    best = Math.max(best, steps);
  }
  return best;
}

// Resolves when `pred` holds, polling; a bound on a mechanism, not a timing assertion.
describe('custom kernels (examples/custom-kernel)', function () {
  let addon: ExampleAddon;

  before(function () {
    this.timeout(300_000); // a cold node-gyp build on a busy 2-core machine
    linkCorepool();
    buildExample();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(addonPath) as ExampleAddon;
  });

  it('exposes the header location the example builds against', () => {
    assert.ok(fs.existsSync(path.join(includeDir, 'corepool.h')));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.equal(require('corepool/include'), includeDir); // the package's own export (dist/, built by npm ci)
    const header = fs.readFileSync(path.join(includeDir, 'corepool.h'), 'utf8');
    assert.match(header, new RegExp(`#define COREPOOL_ABI_VERSION ${abiVersion}\\b`));
  });

  it('loads the table into typed handles, the same ones on every load', () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    assert.deepEqual(Object.keys(k).sort(), ['blockingWait', 'collatzMax', 'collatzSteps', 'countOccurrences', 'scale']);
    assert.equal(k.collatzMax.name, 'collatzMax');
    assert.equal(k.collatzMax.arity, 2);
    assert.equal(loadKernels<ExampleKernels>(addon, EXPECTED), k);
    assert.equal(loadKernels<ExampleKernels>(addon.corepoolKernels, EXPECTED).scale, k.scale);
  });

  it('takes size arguments as bigints, exactly beyond 2^53, and as safe integers', async () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    const stepsRef = (start: bigint): number => {
      let n = start;
      let steps = 0;
      while (n !== 1n) {
        n = n % 2n === 1n ? 3n * n + 1n : n / 2n;
        steps++;
      }
      return steps;
    };
    const pool = new NativePool({ maxWorkers: 2, name: 'custom-size' });
    try {
      // 2^53 + 1 is not a safe integer: as a number it would round to 2^53 on the way in.
      for (const n of [27n, 2n ** 53n + 1n, 2n ** 60n, 2n ** 61n + 1n]) {
        assert.equal(await pool.submit(k.collatzSteps, [n]), stepsRef(n), `n = ${n}`);
      }
      assert.equal(await pool.submit(k.collatzSteps, [27]), 111);
      // A chain that climbs past 2^64 is reported by the kernel, not wrapped around.
      await assert.rejects(pool.submit(k.collatzSteps, [2n ** 63n - 1n]).result(), { name: 'KernelError', message: 'collatzSteps: the chain leaves the 64-bit range' });
      assert.equal(k.collatzSteps.runSync([2n ** 53n + 1n]), stepsRef(2n ** 53n + 1n));
      assert.throws(() => pool.submit(k.collatzSteps, [0n]), { name: 'RangeError', message: /'n'/ });
      assert.throws(() => pool.submit(k.collatzSteps, [2n ** 63n]), { name: 'RangeError', message: /'n'/ });
      assert.throws(() => pool.submit(k.collatzSteps, [2 ** 60]), { name: 'RangeError', message: /'n'.*safe integer/ });
      assert.throws(() => pool.submit(k.collatzSteps, [1.5]), { name: 'RangeError', message: /'n'/ });
      assert.throws(() => pool.submit(k.collatzSteps, ['27' as unknown as bigint]), { name: 'TypeError', message: /'n' must be a bigint or an integer/ });
    } finally {
      await pool.shutdown();
    }
  });

  it('takes string arguments as UTF-8 copies, bounded by their byte length', async () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    const pool = new NativePool({ maxWorkers: 2, name: 'custom-str' });
    try {
      assert.equal(await pool.submit(k.countOccurrences, ['abcabcab', 'ab']), 3);
      assert.equal(await pool.submit(k.countOccurrences, ['aaaa', 'aa']), 2); // non-overlapping
      assert.equal(await pool.submit(k.countOccurrences, ['', 'x']), 0);
      const text = 'žluťoučký kůň 🐎 '.repeat(1000);
      assert.equal(await pool.submit(k.countOccurrences, [text, '🐎']), 1000);
      assert.equal(k.countOccurrences.runSync(['naïve naïve', 'ï']), 2);
      const got: number[] = [];
      for await (const v of pool.map(k.countOccurrences, [['xx', 'x'], ['xyx', 'y']], { chunksize: 2 })) got.push(v);
      assert.deepEqual(got, [2, 1]);
      assert.throws(() => pool.submit(k.countOccurrences, ['abc', '']), { name: 'RangeError', message: /'needle'.*UTF-8 bytes/ });
      assert.throws(() => pool.submit(k.countOccurrences, ['abc', 'é'.repeat(2049)]), { name: 'RangeError', message: /'needle'/ });
      assert.throws(() => pool.submit(k.countOccurrences, [42 as unknown as string, 'x']), { name: 'TypeError', message: /'text' must be a string/ });
    } finally {
      await pool.shutdown();
    }
  });

  it('matches a JS reference, on a pool thread and with runSync', async () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    assert.equal(k.collatzMax.runSync([1, 10_000]), collatzMaxRef(1, 10_000));
    const pool = new NativePool({ maxWorkers: 2, name: 'custom-ref' });
    try {
      const ranges: [number, number][] = [[1, 1000], [1000, 5000], [27, 28], [5, 5]];
      const got = await Promise.all(ranges.map((r) => pool.submit(k.collatzMax, r)));
      assert.deepEqual(got, ranges.map(([lo, hi]) => collatzMaxRef(lo, hi)));
      const mapped: number[] = [];
      for await (const v of pool.map(k.collatzMax, ranges, { chunksize: 2 })) mapped.push(v);
      assert.deepEqual(mapped, got);
    } finally {
      await pool.shutdown();
    }
  });

  it('checks arguments against the table before queuing, and reports kernel errors', async () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    const pool = new NativePool({ maxWorkers: 1, name: 'custom-args' });
    try {
      assert.throws(() => pool.submit(k.collatzMax, [0, 10]), { name: 'RangeError', message: /'lo'/ });
      assert.throws(() => pool.submit(k.collatzMax, [1, 2e9]), { name: 'RangeError', message: /'hi'/ });
      assert.throws(() => pool.submit(k.scale, [[1, 2] as unknown as Float64Array, 2]), {
        name: 'TypeError',
        message: /'values' must be a Float64Array/,
      });
      assert.equal(pool.stats().queued + pool.stats().active + pool.stats().completed, 0);
      // lo > hi is the kernel's own error, through corepool_error.
      await assert.rejects(pool.submit(k.collatzMax, [10, 5]).result(), (e: unknown) => {
        assert.ok(e instanceof KernelError);
        assert.equal(e.kernel, 'collatzMax');
        assert.match(e.message, /lo must not be greater than hi/);
        return true;
      });
    } finally {
      await pool.shutdown();
    }
  });

  it('writes an output argument in place, and refuses a detached buffer at submit', async () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    const pool = new NativePool({ maxWorkers: 2, name: 'custom-scale' });
    try {
      const values = Float64Array.from({ length: 200_000 }, (_, i) => i);
      assert.equal(await pool.submit(k.scale, [values, 0.5]), 200_000);
      assert.equal(values[3], 1.5);
      assert.equal(values[199_999], 99_999.5);
      const moved = new Float64Array(8);
      structuredClone(moved.buffer, { transfer: [moved.buffer] }); // detaches `moved`
      assert.throws(() => pool.submit(k.scale, [moved, 2]), { name: 'TypeError', message: /detached/ });
    } finally {
      await pool.shutdown();
    }
  });

  it('runs in parallel, cancels one mid-run and times out another', async () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    const pool = new NativePool({ maxWorkers: 2, name: 'custom-stop' });
    try {
      // Two endless-for-a-test CPU tasks (about a minute each) hold both workers at once.
      const a = pool.submit(k.collatzMax, [1, 1e9]);
      const b = pool.submit(k.collatzMax, [1, 1e9], { timeout: 300 });
      await until(() => a.running() && b.running());
      assert.equal(pool.stats().active, 2);
      assert.equal(a.cancel(), true);
      await assert.rejects(a.result(), CancelledError);
      await assert.rejects(b.result({ timeout: 10_000 }), TimeoutError);
      assert.equal(a.state, 'CANCELLED');
      assert.equal(pool.stats().cancelled, 1);
      assert.equal(pool.stats().timedOut, 1);
      // The blocking kernel stops within a slice too.
      const w = pool.submit(k.blockingWait, [60_000], { timeout: 100 });
      await assert.rejects(w.result({ timeout: 10_000 }), TimeoutError);
    } finally {
      await pool.shutdown({ cancelRunning: true });
    }
  });

  it('releases the global lock in blocking regions', async () => {
    const k = loadKernels<ExampleKernels>(addon, EXPECTED);
    const pool = new NativePool({ maxWorkers: 2, name: 'custom-gil', globalLock: true });
    try {
      // Under the lock only one thread runs kernel code at a time, but both waits are
      // inside corepool_blocking_begin/end, so both are running together.
      const t0 = performance.now();
      const w = [pool.submit(k.blockingWait, [400]), pool.submit(k.blockingWait, [400])];
      await until(() => w[0]!.running() && w[1]!.running());
      await Promise.all(w);
      // Serial would be >= 800 ms; generous for a loaded 2-core machine.
      assert.ok(performance.now() - t0 < 780, `took ${performance.now() - t0} ms`);
    } finally {
      await pool.shutdown();
    }
  });

  it('refuses a table of another ABI version, a malformed table and non-tables', () => {
    assert.throws(() => loadKernels(addon.futureAbiTable), {
      name: 'TypeError',
      message: new RegExp(`ABI version ${abiVersion + 1}, this corepool has version ${abiVersion}`),
    });
    assert.throws(() => loadKernels({ corepoolKernels: addon.malformedTable }), {
      name: 'TypeError',
      message: /kernel 'inverted' argument #0 \('n'\) has min > max/,
    });
    assert.throws(() => loadKernels({}), { name: 'TypeError', message: /'corepoolKernels' External/ });
    assert.throws(() => loadKernels(undefined), TypeError);
    assert.throws(() => loadKernels({ corepoolKernels: 'table' }), {
      name: 'TypeError',
      message: /corepoolKernels must be the External/,
    });
    // The good table still loads after the failures.
    assert.equal(loadKernels<ExampleKernels>(addon, EXPECTED).collatzMax.name, 'collatzMax');
  });

  it('typed, fails at load naming each declared kernel the table lacks or has with another argument count', () => {
    type Declared = ExampleKernels & { collatzMin: [[lo: number, hi: number], number]; fft: [[data: Float64Array], Float64Array] };
    assert.throws(() => loadKernels<Declared>(addon, { ...EXPECTED, collatzMin: 2, fft: 1 }), {
      name: 'TypeError',
      message:
        "loadKernels: the addon's table does not match the declared kernels: no kernel 'collatzMin'; no kernel 'fft' " +
        '(the table has: collatzMax, blockingWait, scale, collatzSteps, countOccurrences)',
    });
    type WrongCount = { scale: [[values: Float64Array], number] };
    assert.throws(() => loadKernels<WrongCount>(addon, { scale: 1 }), {
      name: 'TypeError',
      message: /kernel 'scale' takes 2 argument\(s\), not 1/,
    });
    // A declaration of only some of the table's kernels is fine: the rest stay untyped.
    const some = loadKernels<{ collatzMax: [[lo: number, hi: number], number] }>(addon, { collatzMax: 2 });
    assert.equal(some.collatzMax, loadKernels(addon).collatzMax);
    for (const bad of [null, 'collatzMax', 2]) {
      assert.throws(() => loadKernels<ExampleKernels>(addon, bad as never), { name: 'TypeError', message: /expected must be \{ kernelName: argumentCount/ });
    }
    for (const arity of [-1, 1.5, '2', NaN]) {
      assert.throws(() => loadKernels<ExampleKernels>(addon, { ...EXPECTED, scale: arity } as never), {
        name: 'TypeError',
        message: /expected\.scale must be the kernel's argument count/,
      });
    }
  });
});
