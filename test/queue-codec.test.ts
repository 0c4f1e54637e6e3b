// QueuePool's wire codec: what leaves comes back exactly (through JSON, as BullMQ stores
// it), and what cannot travel is refused naming the value.
import { strict as assert } from 'node:assert';

import { decode, encode } from '../lib/queue/codec';

const roundTrip = (value: unknown): unknown => decode(JSON.parse(JSON.stringify(encode(value, 'value'))));

describe('QueuePool wire codec', () => {
  it('round-trips numbers exactly, NaN, -0 and the infinities included', () => {
    for (const n of [0, -0, NaN, Infinity, -Infinity, 1.5, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2]) {
      assert.ok(Object.is(roundTrip(n), n), `${n}`);
    }
  });

  it('round-trips bigints, strings, booleans, null and undefined', () => {
    const values = [0n, -(2n ** 200n), 2n ** 64n + 1n, '', 'é😀', '\ud800', 'a\u0000b', true, false, null, undefined];
    for (const v of values) assert.ok(Object.is(roundTrip(v), v), String(v));
  });

  it('round-trips every typed array with its type, bytes and length (offset views too)', () => {
    const ctors = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array];
    for (const C of ctors) {
      const a = new C(7).map((_, i) => i * 3 - 5);
      const view = new C(a.buffer, C.BYTES_PER_ELEMENT * 2, 3); // an offset view of a bigger buffer
      for (const x of [a, view, new C(0)]) {
        const back = roundTrip(x) as typeof x;
        assert.equal(back.constructor, C);
        assert.deepEqual([...back], [...x]);
      }
    }
    const f = new Float64Array([NaN, -0, Infinity]);
    const back = roundTrip(f) as Float64Array;
    assert.ok(Number.isNaN(back[0]) && Object.is(back[1], -0) && back[2] === Infinity);
    const big = roundTrip(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])) as BigInt64Array;
    assert.deepEqual([...big], [-(2n ** 63n), 2n ** 63n - 1n]);
    assert.equal((roundTrip(new BigUint64Array([2n ** 64n - 1n])) as object).constructor, BigUint64Array);
    // A Buffer and a view of a SharedArrayBuffer arrive as plain Uint8Arrays (copies).
    assert.equal((roundTrip(Buffer.from("hi")) as object).constructor, Uint8Array);
    const shared = new Int32Array(new SharedArrayBuffer(8));
    shared[1] = 42;
    assert.deepEqual([...(roundTrip(shared) as Int32Array)], [0, 42]);
  });

  it('round-trips arrays and plain objects of them, holes as undefined, __proto__ as a plain key', () => {
    // eslint-disable-next-line no-sparse-arrays
    const value = { list: [1, , 'x', [2n, { deep: new Uint16Array([9]) }]], nothing: undefined, 'odd key': -0 };
    assert.deepStrictEqual(roundTrip(value), { list: [1, undefined, 'x', [2n, { deep: new Uint16Array([9]) }]], nothing: undefined, 'odd key': -0 });
    const tricky = JSON.parse('{"__proto__": {"polluted": true}, "u": 1}');
    const back = roundTrip(tricky) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back), ['__proto__', 'u']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    // A plain object shaped like a tag stays a plain object.
    assert.deepStrictEqual(roundTrip({ f: 'NaN' }), { f: 'NaN' });
    assert.deepStrictEqual(roundTrip({ b: '1' }), { b: '1' });
  });

  it('refuses what cannot travel, naming the value', () => {
    const refuse = (value: unknown, what: RegExp): void => assert.throws(() => encode(value, 'args[1]'), (e: Error) => e instanceof TypeError && /^args\[1\]/.test(e.message) && what.test(e.message));
    refuse(() => 1, /a function/);
    refuse(Symbol('s'), /a symbol/);
    refuse(new Map(), /Map/);
    refuse(new Date(), /Date/);
    refuse(new (class Point {})(), /Point/);
    refuse(new DataView(new ArrayBuffer(2)), /DataView/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    refuse(cyclic, /circular/);
    assert.throws(() => encode([1, { x: [() => 1] }], 'args[0]'), /args\[0\]\[1\]\.x\[0\] cannot travel/);
    const trap = new Proxy([], {
      get() {
        throw new Error('trap!');
      },
    });
    refuse(trap, /reading it threw \(trap!\)/);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    refuse(deep, /deeper than 64/);
  });

  it('refuses a view of a detached buffer', () => {
    const buffer = new ArrayBuffer(8);
    const view = new Uint8Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    assert.throws(() => encode(view, 'args[0]'), /args\[0\] cannot travel to a worker: a view of a detached ArrayBuffer/);
  });

  it('decode refuses data that encode cannot have produced', () => {
    for (const bad of [{}, { x: 1 }, { f: 'nan' }, { b: '1.5' }, { t: 'Function', d: '' }, { t: 'Float64Array', d: 'AAA' }, { u: 1, extra: 2 }]) {
      assert.throws(() => decode(bad), TypeError, JSON.stringify(bad));
    }
  });
});
