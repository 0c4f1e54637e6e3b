// The generic hostile-input suite: every public function and option gets wrong types,
// NaN, +-Infinity, -0, huge and negative values, Symbols, Proxies with throwing traps and
// null-prototype objects. Each call must return, or throw a TypeError/RangeError (or the
// user's own trap error) synchronously: never another error, a crash or a hang. Buffer
// kernels get SharedArrayBuffer, resizable, detached, zero-length and cross-realm inputs
// in a child process, whose exit code is asserted.
import assert from 'node:assert/strict';

import {
  asCompleted,
  Future,
  IoPool,
  kernels,
  NativePool,
  getCheckInterval,
  getSwitchInterval,
  setCheckInterval,
  setSwitchInterval,
  wait,
} from '../../lib/index';
import { explain, runChild } from './child';

class TrapError extends Error {
  override name = 'TrapError';
}
const trap = (): never => {
  throw new TrapError('trap');
};
const throwingProxy = (): object =>
  new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap });

const HOSTILE: [string, () => unknown][] = [
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['-Infinity', () => -Infinity],
  ['-0', () => -0],
  ['1e300', () => 1e300],
  ['-1', () => -1],
  ['2^53 + 2', () => 2 ** 53 + 2],
  ['1.5', () => 1.5],
  ['a Symbol', () => Symbol('s')],
  ['a bigint', () => 10n],
  ['a string', () => '5'],
  ['null', () => null],
  ['true', () => true],
  ['a function', () => () => 1],
  ['a throwing Proxy', throwingProxy],
  ['a null-prototype object', () => Object.create(null) as object],
  ['an array', () => [1]],
];

/** Calls `fn`; it must return or throw a TypeError, RangeError or the trap's own error. */
function hostile(what: string, fn: () => unknown): void {
  try {
    const r = fn();
    if (r instanceof Promise) r.catch(() => undefined); // a returned promise may reject later; not this check's concern
    if (r instanceof Future) r.cancel();
  } catch (error) {
    const name = (error as Error)?.name;
    assert.ok(
      name === 'TypeError' || name === 'RangeError' || name === 'TrapError',
      `${what}: threw ${String(name)}: ${(error as Error)?.message}`,
    );
  }
}

describe('robustness: hostile inputs to every public function and option', () => {
  let pool: NativePool;
  let io: IoPool;
  before(() => {
    pool = new NativePool({ maxWorkers: 1 });
    io = new IoPool();
  });
  after(async () => {
    await pool.shutdown({ cancelRunning: true });
    await io.shutdown({ cancelRunning: true });
  });

  const done = Future.resolved('t', 1);
  const targets: [string, (v: unknown) => unknown][] = [
    ...['maxWorkers', 'maxQueue', 'onFull', 'name', 'globalLock'].map(
      (k): [string, (v: unknown) => unknown] => [`new NativePool({ ${k} })`, (v) => new NativePool({ [k]: v, maxWorkers: k === 'maxWorkers' ? (v as number) : 1 }).shutdown()],
    ),
    ['new NativePool(v)', (v) => new NativePool(v as never).shutdown()],
    ['new NativePool({ globalLock: { mode } })', (v) => new NativePool({ maxWorkers: 1, globalLock: { mode: v as never } }).shutdown()],
    ...['maxConcurrency', 'maxQueue', 'onFull', 'name', 'rateLimit', 'retry'].map(
      (k): [string, (v: unknown) => unknown] => [`new IoPool({ ${k} })`, (v) => new IoPool({ [k]: v })],
    ),
    ['new IoPool({ rateLimit: { count } })', (v) => new IoPool({ rateLimit: { count: v as number, intervalMs: 10 } })],
    ['new IoPool({ rateLimit: { intervalMs } })', (v) => new IoPool({ rateLimit: { count: 1, intervalMs: v as number } })],
    ...['retries', 'minDelayMs', 'maxDelayMs', 'factor', 'jitter', 'retryOn'].map(
      (k): [string, (v: unknown) => unknown] => [`new IoPool({ retry: { ${k} } })`, (v) => new IoPool({ retry: { [k]: v } })],
    ),
    ['pool.submit(kernel)', (v) => pool.submit(v as never, [] as never)],
    ['pool.submit(isPrime, args)', (v) => pool.submit(kernels.isPrime, v as never)],
    ['pool.submit(isPrime, [v])', (v) => pool.submit(kernels.isPrime, [v as number])],
    ['pool.submit(countPrimes, [0, v])', (v) => pool.submit(kernels.countPrimes, [0, v as number])],
    ['pool.submit(sha256, [v])', (v) => pool.submit(kernels.sha256, [v as Uint8Array])],
    ['pool.submit(factorial, [v])', (v) => pool.submit(kernels.factorial, [v as number])],
    ['pool.submit(options)', (v) => pool.submit(kernels.noop, [], v as never)],
    ...['timeout', 'runTimeout', 'signal'].map(
      (k): [string, (v: unknown) => unknown] => [`pool.submit({ ${k} })`, (v) => pool.submit(kernels.noop, [], { [k]: v })],
    ),
    ['pool.submitWhenReady(options)', (v) => pool.submitWhenReady(kernels.noop, [], v as never)],
    ['pool.map(items)', (v) => pool.map(kernels.isPrime, v as never)],
    ['pool.map(options)', (v) => pool.map(kernels.isPrime, [], v as never)],
    ...['timeout', 'chunksize', 'buffersize', 'signal'].map(
      (k): [string, (v: unknown) => unknown] => [`pool.map({ ${k} })`, (v) => pool.map(kernels.isPrime, [], { [k]: v })],
    ),
    ['pool.shutdown(options) of a fresh pool', (v) => new NativePool({ maxWorkers: 1 }).shutdown(v as never)],
    ['io.submit(task)', (v) => io.submit(v as never, [])],
    ['io.submit(args)', (v) => io.submit(async () => 1, v as never)],
    ...['timeout', 'runTimeout', 'signal', 'priority', 'retry'].map(
      (k): [string, (v: unknown) => unknown] => [`io.submit({ ${k} })`, (v) => io.submit(async () => 1, [], { [k]: v })],
    ),
    ['io.submitWhenReady(options)', (v) => io.submitWhenReady(async () => 1, [], v as never)],
    ['io.map(items)', (v) => io.map(async (_c, x: unknown) => x, v as never)],
    ['future.result(options)', (v) => done.result(v as never)],
    ['future.result({ timeout })', (v) => done.result({ timeout: v as number })],
    ['future.exception(options)', (v) => done.exception(v as never)],
    ['future.addDoneCallback(fn)', (v) => done.addDoneCallback(v as never)],
    ['wait(futures)', (v) => wait(v as never)],
    ['wait(options)', (v) => wait([done], v as never)],
    ['wait({ timeout })', (v) => wait([done], { timeout: v as number })],
    ['wait({ returnWhen })', (v) => wait([done], { returnWhen: v as never })],
    ['asCompleted(futures)', (v) => asCompleted(v as never)],
    ['asCompleted(options)', (v) => asCompleted([done], v as never)],
    ['setSwitchInterval', (v) => setSwitchInterval(v as number)],
    ['setCheckInterval', (v) => setCheckInterval(v as number)],
  ];

  for (const [where, call] of targets) {
    it(`${where}: a clear TypeError/RangeError or a normal return, for every hostile value`, () => {
      for (const [what, make] of HOSTILE) hostile(`${where} with ${what}`, () => call(make()));
    });
  }

  it('setSwitchInterval/setCheckInterval hold a valid value after the hostile calls, and take the defaults back', () => {
    // A hostile value that slipped through would show here as NaN, 0, a negative or a huge interval.
    const sw = getSwitchInterval();
    const check = getCheckInterval();
    assert.ok(Number.isFinite(sw) && sw > 0 && sw <= 10_000, `switch interval ${sw}`);
    assert.ok(Number.isInteger(check) && check >= 1, `check interval ${check}`);
    setSwitchInterval(5);
    setCheckInterval(100);
    assert.equal(getSwitchInterval(), 5);
    assert.equal(getCheckInterval(), 100);
  });
});

describe('robustness: every buffer-taking kernel with unusual buffers (child process)', () => {
  it('SharedArrayBuffer, resizable, detached, zero-length and cross-realm inputs never crash', () => {
    const r = runChild(`
      const vm = require('node:vm');
      const { kernels } = lib;
      const pool = new lib.NativePool({ maxWorkers: 2 });
      const kinds = {
        'shared': (C, n) => new C(new SharedArrayBuffer(n * C.BYTES_PER_ELEMENT)),
        'growable shared': (C, n) => new C(new SharedArrayBuffer(n * C.BYTES_PER_ELEMENT, { maxByteLength: 4 * n * C.BYTES_PER_ELEMENT + 8 })),
        'resizable': (C, n) => new C(new ArrayBuffer(n * C.BYTES_PER_ELEMENT, { maxByteLength: 4 * n * C.BYTES_PER_ELEMENT + 8 })),
        'detached': (C, n) => { const b = new ArrayBuffer(n * C.BYTES_PER_ELEMENT); const v = new C(b); structuredClone(b, { transfer: [b] }); return v; },
        'zero-length': (C) => new C(0),
        'cross-realm': (C, n) => vm.runInNewContext('new ' + C.name + '(' + n + ')'),
        'offset view': (C, n) => new C(new ArrayBuffer((n + 2) * C.BYTES_PER_ELEMENT), C.BYTES_PER_ELEMENT, n),
      };
      const calls = {
        sha256: (mk) => [mk(Uint8Array, 64)],
        sortFloat64: (mk) => [mk(Float64Array, 64)],
        matmul: (mk) => [mk(Float64Array, 16), mk(Float64Array, 16), 4],
      };
      (async () => {
        const lines = [];
        for (const [kernel, argsOf] of Object.entries(calls)) {
          for (const [kind, mk] of Object.entries(kinds)) {
            for (const how of ['submit', 'runSync', 'map']) {
              let outcome;
              try {
                const args = argsOf(mk);
                if (how === 'submit') await pool.submit(kernels[kernel], args);
                else if (how === 'runSync') kernels[kernel].runSync(args);
                else for await (const x of pool.map(kernels[kernel], [args])) void x;
                outcome = 'ok';
              } catch (e) {
                outcome = e.name;
              }
              lines.push(kernel + ' ' + kind + ' ' + how + ': ' + outcome);
            }
          }
        }
        await pool.shutdown();
        console.log(lines.join('\\n'));
      })();
    `, 120_000);
    assert.equal(r.status, 0, explain(r));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3 * 7 * 3, explain(r));
    for (const line of lines) assert.match(line, /: (ok|TypeError|RangeError)$/, line);
    // Zero-copy shared memory is a supported input, and a view at an offset or from another realm is a plain view.
    for (const line of lines.filter((l) => / (shared|offset view|cross-realm) /.test(l) && !/growable/.test(l))) assert.match(line, /: ok$/, line);
  });
});
