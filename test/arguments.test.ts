// Bad input is refused at the call, synchronously, with a TypeError or RangeError whose
// message names the offending argument, and nothing reaches the queue.
import { strict as assert } from 'node:assert';

import { kernels, NativePool } from '../lib/index';

type ErrorClass = typeof TypeError | typeof RangeError;

describe('argument errors', () => {
  let pool: NativePool;
  before(() => {
    pool = new NativePool({ maxWorkers: 1, name: 'args' });
  });
  after(() => pool.shutdown());

  // Calls fn, expects it to throw `type` synchronously with a message matching `names`,
  // then checks that nothing was queued or run.
  function refuses(fn: () => unknown, type: ErrorClass, names: RegExp): void {
    const before = pool.stats();
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
      assert.match((e as Error).message, names);
      return true;
    });
    const after = pool.stats();
    assert.equal(after.queued, 0, 'something was queued');
    assert.equal(after.active, 0, 'something is running');
    assert.equal(after.completed + after.failed + after.cancelled, before.completed + before.failed + before.cancelled);
  }

  // Loose signature so that the tests can pass what TypeScript would refuse.
  const submit = (kernel: unknown, args: unknown, options?: unknown): unknown =>
    (pool.submit as (k: unknown, a: unknown, o?: unknown) => unknown).call(pool, kernel, args, options);

  describe('misspelt options', () => {
    it('an unknown option key is a TypeError naming it, for the pool, submit, map and shutdown', () => {
      assert.throws(() => new NativePool({ maxWorker: 2 } as never), { name: 'TypeError', message: /unknown option 'maxWorker'/ });
      refuses(() => submit(kernels.spin, [1], { timout: 5 }), TypeError, /unknown option 'timout'/);
      assert.throws(() => pool.map(kernels.isPrime, [1], { chunkSize: 2 } as never), { name: 'TypeError', message: /unknown option 'chunkSize'/ });
      assert.throws(() => pool.shutdown({ cancel: true } as never), { name: 'TypeError', message: /unknown option 'cancel'/ });
      assert.throws(() => pool.shutdown({ wait: 'no' } as never), { name: 'TypeError', message: /options.wait must be a boolean/ });
      assert.equal(pool.isShutdown, false);
    });
  });

  describe('the kernel', () => {
    it('refuses a non-kernel', () => {
      refuses(() => submit('isPrime', [7]), TypeError, /kernel/);
      refuses(() => submit(undefined, [7]), TypeError, /kernel/);
      refuses(() => submit((n: number) => n > 1, [7]), TypeError, /kernel/);
      refuses(() => submit({ name: 'isPrime', id: 0 }, [7]), TypeError, /kernel/);
    });
  });

  describe('the argument list', () => {
    it('refuses args that are not an array', () => {
      refuses(() => submit(kernels.isPrime, 7), TypeError, /isPrime.*args/);
      refuses(() => submit(kernels.isPrime, undefined), TypeError, /isPrime.*args/);
    });
    it('refuses the wrong arity, naming the expected arguments', () => {
      refuses(() => submit(kernels.isPrime, []), TypeError, /isPrime.*\bn\b/);
      refuses(() => submit(kernels.isPrime, [1, 2]), TypeError, /isPrime takes 1/);
      refuses(() => submit(kernels.countPrimes, [1]), TypeError, /countPrimes.*lo, hi/);
      refuses(() => submit(kernels.noop, [1]), TypeError, /noop takes 0/);
      refuses(() => submit(kernels.sha256, []), TypeError, /sha256.*data/);
    });
  });

  describe('numbers', () => {
    it('refuses wrong types', () => {
      refuses(() => submit(kernels.isPrime, ['7']), TypeError, /isPrime: argument 'n'/);
      refuses(() => submit(kernels.isPrime, [7n]), TypeError, /argument 'n'/);
      refuses(() => submit(kernels.isPrime, [null]), TypeError, /argument 'n'/);
      refuses(() => submit(kernels.spin, [true]), TypeError, /spin: argument 'ms'/);
      refuses(() => submit(kernels.countPrimes, [0, '10']), TypeError, /argument 'hi'/);
      refuses(() => submit(kernels.ioLoop, [{}, 0]), TypeError, /argument 'count'/);
    });
    it('refuses NaN', () => {
      refuses(() => submit(kernels.isPrime, [NaN]), RangeError, /argument 'n'.*NaN/);
      refuses(() => submit(kernels.spin, [NaN]), RangeError, /argument 'ms'.*NaN/);
      refuses(() => submit(kernels.countPrimes, [NaN, 10]), RangeError, /argument 'lo'/);
    });
    it('refuses negative values', () => {
      refuses(() => submit(kernels.isPrime, [-7]), RangeError, /argument 'n'/);
      refuses(() => submit(kernels.sumRange, [-1]), RangeError, /argument 'n'/);
      refuses(() => submit(kernels.spin, [-1]), RangeError, /argument 'ms'/);
      refuses(() => submit(kernels.sleep, [-0.5]), RangeError, /argument 'ms'/);
      refuses(() => submit(kernels.ioLoop, [10, -1]), RangeError, /argument 'ioMicros'/);
    });
    it('refuses non-integers where an integer is declared', () => {
      refuses(() => submit(kernels.isPrime, [7.5]), RangeError, /argument 'n'.*integer/);
      refuses(() => submit(kernels.countPrimes, [0, 10.1]), RangeError, /argument 'hi'.*integer/);
      refuses(() => submit(kernels.ioLoop, [1.5, 0]), RangeError, /argument 'count'.*integer/);
    });
    it('refuses values out of range, Infinity included', () => {
      refuses(() => submit(kernels.sumRange, [2 ** 27 + 1]), RangeError, /sumRange: argument 'n'.*between/);
      refuses(() => submit(kernels.isPrime, [2 ** 53]), RangeError, /argument 'n'/);
      refuses(() => submit(kernels.isPrime, [Infinity]), RangeError, /argument 'n'/);
      refuses(() => submit(kernels.spin, [Infinity]), RangeError, /argument 'ms'/);
      refuses(() => submit(kernels.spin, [3_600_001]), RangeError, /argument 'ms'/);
    });
    it('refuses lo > hi, naming both', () => {
      refuses(() => submit(kernels.countPrimes, [10, 5]), RangeError, /countPrimes.*'lo'.*'hi'/);
    });
    it('accepts the boundaries', async () => {
      assert.equal(await pool.submit(kernels.countPrimes, [5, 5]), 0);
      assert.equal(await pool.submit(kernels.sumRange, [0]), 0);
      assert.equal(await pool.submit(kernels.spin, [0]) > 0, true);
    });
  });

  describe('bytes', () => {
    it('refuses what is not a Uint8Array', () => {
      refuses(() => submit(kernels.sha256, ['abc']), TypeError, /sha256: argument 'data'.*Uint8Array/);
      refuses(() => submit(kernels.sha256, [[1, 2, 3]]), TypeError, /argument 'data'/);
      refuses(() => submit(kernels.sha256, [new ArrayBuffer(4)]), TypeError, /argument 'data'/);
      refuses(() => submit(kernels.sha256, [new Uint16Array(4)]), TypeError, /argument 'data'/);
      refuses(() => submit(kernels.sha256, [new DataView(new ArrayBuffer(4))]), TypeError, /argument 'data'/);
    });
    it('refuses a view of a detached ArrayBuffer', () => {
      const view = new Uint8Array(64);
      structuredClone(view.buffer, { transfer: [view.buffer] });
      assert.equal(view.length, 0); // detached: it now reads as empty
      refuses(() => submit(kernels.sha256, [view]), TypeError, /argument 'data'.*detached/);
      assert.throws(() => kernels.sha256.runSync([view]), /argument 'data'.*detached/);
    });
  });

  describe('submit options', () => {
    it('refuses options that are not an object', () => {
      refuses(() => submit(kernels.noop, [], 5), TypeError, /options/);
      refuses(() => submit(kernels.noop, [], null), TypeError, /options/);
    });
    it('refuses a bad timeout', () => {
      refuses(() => submit(kernels.noop, [], { timeout: '10' }), TypeError, /options\.timeout/);
      refuses(() => submit(kernels.noop, [], { timeout: NaN }), TypeError, /options\.timeout/);
      refuses(() => submit(kernels.noop, [], { timeout: -1 }), RangeError, /options\.timeout/);
    });
    it('refuses a bad runTimeout', () => {
      refuses(() => submit(kernels.noop, [], { runTimeout: 'x' }), TypeError, /options\.runTimeout/);
      refuses(() => submit(kernels.noop, [], { runTimeout: -5 }), RangeError, /options\.runTimeout/);
    });
    it('refuses a signal that is not an AbortSignal', () => {
      refuses(() => submit(kernels.noop, [], { signal: new AbortController() }), TypeError, /options\.signal/);
      refuses(() => submit(kernels.noop, [], { signal: { aborted: false } }), TypeError, /options\.signal/);
    });
  });

  describe('pool options', () => {
    const make = (o: unknown): unknown => new NativePool(o as never);
    it('refuses bad maxWorkers', () => {
      assert.throws(() => make({ maxWorkers: 0 }), (e: Error) => e instanceof RangeError && /maxWorkers/.test(e.message));
      assert.throws(() => make({ maxWorkers: 1.5 }), (e: Error) => e instanceof RangeError && /maxWorkers/.test(e.message));
      assert.throws(() => make({ maxWorkers: -2 }), (e: Error) => e instanceof RangeError && /maxWorkers/.test(e.message));
      assert.throws(() => make({ maxWorkers: '2' }), (e: Error) => e instanceof TypeError && /maxWorkers/.test(e.message));
      assert.throws(() => make({ maxWorkers: NaN }), (e: Error) => e instanceof TypeError && /maxWorkers/.test(e.message));
      assert.throws(() => make({ maxWorkers: 1e6 }), (e: Error) => e instanceof RangeError && /maxWorkers/.test(e.message));
    });
    it('refuses bad maxQueue, onFull and name', () => {
      assert.throws(() => make({ maxQueue: -1 }), (e: Error) => e instanceof RangeError && /maxQueue/.test(e.message));
      assert.throws(() => make({ maxQueue: 'ten' }), (e: Error) => e instanceof TypeError && /maxQueue/.test(e.message));
      assert.throws(() => make({ onFull: 'drop' }), (e: Error) => e instanceof TypeError && /onFull/.test(e.message));
      assert.throws(() => make({ name: '' }), (e: Error) => e instanceof TypeError && /name/.test(e.message));
      assert.throws(() => make({ name: 42 }), (e: Error) => e instanceof TypeError && /name/.test(e.message));
      assert.throws(() => make({ globalLock: { mode: 'fast' } }), (e: Error) => e instanceof TypeError && /globalLock/.test(e.message));
      assert.throws(() => make('4'), (e: Error) => e instanceof TypeError && /options/.test(e.message));
    });
  });

  describe('map options', () => {
    const map = (options: unknown): unknown => (pool.map as (k: unknown, i: unknown, o?: unknown) => unknown).call(pool, kernels.isPrime, [1, 2, 3], options);
    it('throws at the call, not at the first next()', () => {
      refuses(() => map({ chunksize: 0 }), RangeError, /options\.chunksize/);
      refuses(() => map({ chunksize: 2.5 }), RangeError, /options\.chunksize/);
      refuses(() => map({ chunksize: 'x' }), TypeError, /options\.chunksize/);
      refuses(() => map({ buffersize: 0 }), RangeError, /options\.buffersize/);
      refuses(() => map({ timeout: -1 }), RangeError, /options\.timeout/);
      refuses(() => map({ signal: 'stop' }), TypeError, /options\.signal/);
      refuses(() => map(3), TypeError, /options/);
    });
    it('refuses items that are not iterable, and a non-kernel', () => {
      const m = pool.map as (k: unknown, i: unknown) => unknown;
      refuses(() => m.call(pool, kernels.isPrime, 42), TypeError, /items/);
      refuses(() => m.call(pool, kernels.isPrime, null), TypeError, /items/);
      refuses(() => m.call(pool, 'isPrime', [1]), TypeError, /kernel/);
    });
  });

  describe('runSync and validate', () => {
    it('runSync refuses the same bad arguments', () => {
      assert.throws(() => (kernels.isPrime.runSync as (a: unknown) => unknown)([-1]), RangeError);
      assert.throws(() => (kernels.countPrimes.runSync as (a: unknown) => unknown)([9, 3]), /'lo'/);
      assert.throws(() => (kernels.sha256.runSync as (a: unknown) => unknown)(['x']), TypeError);
    });
    it('validate accepts good arguments and refuses bad ones', () => {
      assert.doesNotThrow(() => kernels.countPrimes.validate([1, 10]));
      assert.throws(() => kernels.countPrimes.validate([10, 1]), RangeError);
      assert.throws(() => kernels.noop.validate([undefined]), TypeError);
    });
  });

  it('a refused submit leaves the pool working', async () => {
    assert.throws(() => submit(kernels.isPrime, [-1]));
    assert.equal(await pool.submit(kernels.isPrime, [13]), true);
    assert.equal(pool.stats().queued, 0);
  });
});
