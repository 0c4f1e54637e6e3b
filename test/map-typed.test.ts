// NativePool's map and mapChunks over a typed array of numbers: each chunk goes to the
// native side as one slice, checked in one loop. Same results and the same errors (plus the
// item's index) as the item-by-item path; the array is read when each chunk is sent; a
// detached, resizable or shared buffer, a hostile subclass: a clear error or a defined result.
import { strict as assert } from 'node:assert';

import { kernels, NativePool } from '../lib/index';
import { isPrime } from '../bench/contenders/js-kernels.cjs';
import { until } from './helpers';
import { explain, runChild } from './robustness/child';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The error the item-by-item path throws for `value` (map over a plain array). */
async function perItemError(pool: NativePool, value: number): Promise<Error> {
  try {
    await collect(pool.map(kernels.isPrime, [value]));
  } catch (error) {
    return error as Error;
  }
  throw new Error(`the item-by-item path accepted ${value}`);
}

describe('map and mapChunks over a typed array (NativePool)', function () {
  this.timeout(20_000);
  let pool: NativePool;
  beforeEach(() => {
    pool = new NativePool({ maxWorkers: 2, name: 'map-typed' });
  });
  afterEach(async () => {
    await pool.shutdown({ cancelFutures: true, cancelRunning: true });
  });

  const n = 5000;
  const reference = Array.from({ length: n }, (_, i) => isPrime(i));

  it('mapChunks gives each chunk as a plain array in input order, the last one shorter', async () => {
    const items = Int32Array.from({ length: n }, (_, i) => i);
    const chunks = await collect(pool.mapChunks(kernels.isPrime, items, { chunksize: 700 }));
    assert.deepEqual(chunks.map((c) => c.length), [700, 700, 700, 700, 700, 700, 700, 100]);
    for (const c of chunks) assert.ok(Array.isArray(c));
    assert.deepEqual(chunks.flat(), reference);
    assert.deepEqual(await collect(pool.map(kernels.isPrime, items, { chunksize: 333 })), reference);
  });

  it('every element type of numbers gives what the item-by-item path gives', async () => {
    const types = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array];
    for (const Type of types) {
      const limit = Type === Int8Array ? 128 : 256 * 40;
      const items = new Type(limit).map((_, i) => i % (Type === Uint8Array || Type === Uint8ClampedArray ? 256 : limit));
      const plain = Array.from(items as ArrayLike<number>);
      const expected = await collect(pool.map(kernels.isPrime, plain, { chunksize: 64 }));
      assert.deepEqual(await collect(pool.map(kernels.isPrime, items, { chunksize: 64 })), expected, Type.name);
      assert.deepEqual((await collect(pool.mapChunks(kernels.isPrime, items, { chunksize: 100 }))).flat(), expected, Type.name);
    }
  });

  it('a view into a larger buffer maps its own items; a kernel of a NUMBER argument too (spin)', async () => {
    const big = Int32Array.from({ length: 100 }, (_, i) => i);
    const view = big.subarray(40, 60);
    assert.deepEqual(await collect(pool.map(kernels.isPrime, view, { chunksize: 7 })), Array.from(view, (v) => isPrime(v)));
    const spins = await collect(pool.mapChunks(kernels.spin, new Float64Array([0, 0, 0]), { chunksize: 2 }));
    assert.deepEqual(spins.map((c) => c.length), [2, 1]);
  });

  it('a bad number throws the item-by-item error naming its index, after the earlier results', async () => {
    for (const [Type, bad] of [
      [Int32Array, -5],
      [Float64Array, 2.5],
      [Float64Array, NaN],
      [Float64Array, Infinity],
      [Float64Array, -1e300],
      [Float64Array, 2 ** 60],
      [Float32Array, 0.5],
    ] as const) {
      const items = new Type(300).map((_, i) => i);
      items[250] = bad;
      const expected = await perItemError(pool, bad);
      const seen: boolean[] = [];
      await assert.rejects(
        (async () => {
          for await (const chunk of pool.mapChunks(kernels.isPrime, items, { chunksize: 100, buffersize: 100 })) seen.push(...chunk);
        })(),
        (error: Error) => {
          assert.equal(error.constructor, expected.constructor, `${Type.name} ${bad}: ${error.message}`);
          assert.equal(error.message, `${expected.message} (items[250])`);
          return true;
        },
      );
      assert.deepEqual(seen, reference.slice(0, 200), `${Type.name} ${bad}: the chunks before the bad one are yielded first`);
    }
  });

  it('break in mapChunks over a typed array cancels the chunks outstanding; a timeout stops running ones', async () => {
    const t0 = performance.now();
    for await (const chunk of pool.mapChunks(kernels.spin, new Float64Array([0, 0, 10_000, 10_000, 10_000, 10_000]), { chunksize: 2 })) {
      assert.equal(chunk.length, 2);
      break;
    }
    await until(() => pool.stats().cancelled === 2);
    assert.ok(performance.now() - t0 < 3000);
    await assert.rejects(collect(pool.mapChunks(kernels.spin, new Float64Array([10_000, 10_000]), { timeout: 50 })), { name: 'TimeoutError' });
    await until(() => pool.stats().active === 0);
    assert.ok(performance.now() - t0 < 5000);
  });

  it('-0 is accepted as the item-by-item path accepts it', async () => {
    assert.deepEqual(await collect(pool.map(kernels.isPrime, new Float64Array([-0, 2]), { chunksize: 2 })), [false, true]);
  });

  it('a BigInt64Array goes item by item and gets the per-item TypeError', async () => {
    await assert.rejects(collect(pool.map(kernels.isPrime, new BigInt64Array([2n, 3n]) as never, { chunksize: 2 })), {
      name: 'TypeError',
      message: /isPrime: argument 'n' must be a number, got bigint/,
    });
  });

  it('a kernel whose argument is not a number takes a typed array item by item (and refuses its numbers)', async () => {
    await assert.rejects(collect(pool.map(kernels.sha256, new Uint8Array([1, 2]) as never)), {
      name: 'TypeError',
      message: /sha256: argument 'data' must be a Uint8Array, got number 1/,
    });
  });

  it('refuses a detached, a resizable and a growable shared buffer at the call', () => {
    const detached = new ArrayBuffer(16);
    const view = new Int32Array(detached);
    structuredClone(detached, { transfer: [detached] });
    assert.throws(() => pool.map(kernels.isPrime, view), { name: 'TypeError', message: /map: items is a view of a detached ArrayBuffer/ });
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    assert.throws(() => pool.mapChunks(kernels.isPrime, new Int32Array(new Resizable(16, { maxByteLength: 64 }))), {
      name: 'TypeError',
      message: /mapChunks: items is a view of a resizable buffer/,
    });
    const Growable = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
    assert.throws(() => pool.map(kernels.isPrime, new Int32Array(new Growable(16, { maxByteLength: 64 }))), { name: 'TypeError', message: /resizable buffer/ });
  });

  it('a buffer detached during the map: the results before it are right, then a TypeError', async () => {
    const buffer = new ArrayBuffer(4 * 1000);
    const items = new Int32Array(buffer);
    items.forEach((_, i) => (items[i] = i)); // in place: map() would make a copy on another buffer
    const seen: boolean[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of pool.mapChunks(kernels.isPrime, items, { chunksize: 100, buffersize: 200 })) {
          seen.push(...chunk);
          if (seen.length === 100) structuredClone(buffer, { transfer: [buffer] });
        }
      })(),
      { name: 'TypeError', message: /mapChunks: the items' ArrayBuffer was detached during the map, before item 200 was read/ },
    );
    // Chunk 1 was sent before the detach, but the next fill comes before its yield.
    assert.deepEqual(seen, reference.slice(0, 100));
  });

  it('the array is read when each chunk is sent: a write before that shows, one after it does not', async () => {
    const items = Int32Array.from({ length: 400 }, (_, i) => i);
    const it = pool.mapChunks(kernels.isPrime, items, { chunksize: 100, buffersize: 200 });
    items[4] = 7; // before the first next(): nothing was read yet
    const first = await it.next();
    assert.equal((first.value as boolean[])[4], true);
    items[151] = 4; // chunk 1 (items 100..199) was sent with chunk 0
    items[350] = 7; // chunk 3 is read only once chunk 0's results are consumed
    const rest = await collect(it);
    assert.equal(rest[0]![51], true);
    assert.equal(rest[2]![50], true);
  });

  it('a SharedArrayBuffer-backed array maps as the values it held when each chunk was sent', async () => {
    const items = new Int32Array(new SharedArrayBuffer(4 * n));
    items.forEach((_, i) => (items[i] = i));
    assert.deepEqual((await collect(pool.mapChunks(kernels.isPrime, items, { chunksize: 512 }))).flat(), reference);
    items[3] = -1;
    await assert.rejects(collect(pool.map(kernels.isPrime, items, { chunksize: 512 })), { name: 'RangeError', message: /\(items\[3\]\)$/ });
  });

  it('a subclass that lies about its length and species is read through the intrinsic getters', async () => {
    class Liar extends Int32Array {
      override get length(): number {
        return 1e9;
      }
      static get [Symbol.species](): Int32ArrayConstructor {
        throw new Error('species must not be used');
      }
    }
    const items = new Liar(50);
    for (let i = 0; i < 50; i++) items[i] = i;
    Object.defineProperty(items, 'buffer', { get: () => new ArrayBuffer(1e6) });
    assert.deepEqual((await collect(pool.mapChunks(kernels.isPrime, items, { chunksize: 16 }))).flat(), reference.slice(0, 50));
  });

  it('a child process that detaches and overwrites buffers under running chunks ends cleanly', () => {
    const r = runChild(`
const pool = new lib.NativePool({ maxWorkers: 2 });
(async () => {
  for (let round = 0; round < 20; round++) {
    const buffer = new ArrayBuffer(4 * 20000);
    const items = new Int32Array(buffer);
    items.forEach((_, i) => (items[i] = i));
    const it = pool.mapChunks(lib.kernels.isPrime, items, { chunksize: 1000, buffersize: 4000 });
    const first = it.next();
    queueMicrotask(() => { items.fill(-1); structuredClone(buffer, { transfer: [buffer] }); });
    let ok = 0;
    try { const c = await first; ok += c.value.length; for await (const c of it) ok += c.length; } catch (e) { if (!(e instanceof TypeError)) throw e; }
    if (ok === 0) throw new Error('no chunk came back');
  }
  await pool.shutdown();
  console.log('END');
})().catch((e) => { console.log('FAILED', e && e.stack); process.exit(4); });`);
    assert.equal(r.status, 0, explain(r));
    assert.ok(r.stdout.includes('END'), explain(r));
  });
});
