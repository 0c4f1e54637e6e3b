// NativePool's map over a typed array of numbers: each chunk goes to the native side as
// one slice of the array, copied once into the batch's records (TypedArray.prototype.set
// in submit-batch.ts), and its numbers are checked against the kernel's argument in one
// loop here: no JS call per item. Everything else (other pools, other kernels, BigInt
// arrays) maps a typed array item by item, as any iterable.
import { types } from 'node:util';

import type { ChunkSource } from '../core/map-source';
import { isDetached } from './kernel';
import type { AnyKernel } from './slots';
import { ArgKind } from './wire';

/** A typed array of numbers (not of bigints). */
export type NumberArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** One chunk: `view` holds items first .. first + length - 1 of the input. */
export interface NumberSlice {
  readonly view: NumberArray;
  readonly first: number;
  readonly length: number;
  /** The values its element type can hold, for an integer type. */
  readonly range: readonly [number, number] | undefined;
}

const INT64_END = 2 ** 63;

type NumberArrayConstructor = new (buffer: ArrayBufferLike | NumberArray, byteOffset?: number, length?: number) => NumberArray;

// Each element type: how to recognize it (util.types: also across realms), its own
// constructor (views are made with it, never through a subclass's species), and for
// integer types the values it can hold: no item needs a check when the kernel's range
// covers them all.
const ELEMENT_TYPES: readonly { is: (v: unknown) => boolean; make: NumberArrayConstructor; range?: readonly [number, number] }[] = [
  { is: types.isInt32Array, make: Int32Array, range: [-(2 ** 31), 2 ** 31 - 1] },
  { is: types.isFloat64Array, make: Float64Array },
  { is: types.isUint32Array, make: Uint32Array, range: [0, 2 ** 32 - 1] },
  { is: types.isUint8Array, make: Uint8Array, range: [0, 2 ** 8 - 1] },
  { is: types.isFloat32Array, make: Float32Array },
  { is: types.isInt16Array, make: Int16Array, range: [-(2 ** 15), 2 ** 15 - 1] },
  { is: types.isUint16Array, make: Uint16Array, range: [0, 2 ** 16 - 1] },
  { is: types.isInt8Array, make: Int8Array, range: [-(2 ** 7), 2 ** 7 - 1] },
  { is: types.isUint8ClampedArray, make: Uint8ClampedArray, range: [0, 2 ** 8 - 1] },
];

// The intrinsic getters: a subclass or an own property cannot shadow what they read.
const typedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as object;
const getter = (name: string) => Object.getOwnPropertyDescriptor(typedArrayPrototype, name)!.get! as (this: NumberArray) => unknown;
const lengthGetter = getter('length');
const bufferGetter = getter('buffer');
const byteOffsetGetter = getter('byteOffset');
const lengthOf = (a: NumberArray): number => lengthGetter.call(a) as number;
const bufferOf = (a: NumberArray): ArrayBufferLike => bufferGetter.call(a) as ArrayBufferLike;
const byteOffsetOf = (a: NumberArray): number => byteOffsetGetter.call(a) as number;
const flagGetter = (proto: object, name: string) => Object.getOwnPropertyDescriptor(proto, name)?.get as ((this: ArrayBufferLike) => boolean) | undefined;
const resizableGetter = flagGetter(ArrayBuffer.prototype, 'resizable');
const growableGetter = flagGetter(SharedArrayBuffer.prototype, 'growable');
// A resizable ArrayBuffer or a growable SharedArrayBuffer (where the runtime has them).
function resizable(buffer: ArrayBufferLike): boolean {
  if (types.isSharedArrayBuffer(buffer)) return growableGetter?.call(buffer) === true;
  return resizableGetter?.call(buffer) === true;
}

/**
 * True when map(kernel, items) can send `items` slice by slice: a typed array of numbers,
 * and a kernel whose one argument is a NUMBER or INT (it travels as a number in the
 * record) with no rule across arguments. Throws TypeError for a view whose length could
 * change during the map (a resizable or growable buffer) or of a detached buffer.
 */
export function takesNumberSlices(kernel: AnyKernel, items: unknown, caller: string): items is NumberArray {
  if (!types.isTypedArray(items) || types.isBigInt64Array(items) || types.isBigUint64Array(items)) return false;
  const kind = kernel.specs[0]?.kind;
  if (kernel.arity !== 1 || (kind !== ArgKind.Number && kind !== ArgKind.Int) || kernel.hasRules) return false;
  const buffer = bufferOf(items as NumberArray);
  if (isDetached(buffer)) throw new TypeError(`${caller}: items is a view of a detached ArrayBuffer`);
  if (resizable(buffer)) {
    throw new TypeError(`${caller}: items is a view of a resizable buffer, whose length could change during the map; map a fixed-length copy (items.slice())`);
  }
  return true;
}

/**
 * The chunks of a typed array, each read when it is taken (then sent at once): what the
 * array holds at that moment is what that chunk maps. A view of a SharedArrayBuffer is
 * copied first, so that another thread's writes cannot change a number between its check
 * and its send. A buffer detached during the map ends it with a TypeError at the first
 * chunk not yet read.
 */
export function numberSlices(array: NumberArray, caller: string): ChunkSource<NumberSlice> {
  const type = ELEMENT_TYPES.find((t) => t.is(array))!;
  const buffer = bufferOf(array);
  const offset = byteOffsetOf(array);
  const length = lengthOf(array); // fixed: resizable buffers were refused
  const step = (type.make as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const shared = types.isSharedArrayBuffer(buffer);
  let next = 0;
  return {
    take(room: number): NumberSlice {
      const first = next;
      const end = Math.min(length, first + room);
      if (first === end) return { view: new type.make(new ArrayBuffer(0)), first, length: 0, range: type.range };
      if (isDetached(buffer)) {
        throw new TypeError(`${caller}: the items' ArrayBuffer was detached during the map, before item ${first} was read`);
      }
      next = end;
      const view = new type.make(buffer, offset + first * step, end - first);
      return { view: shared ? new type.make(view) : view, first, length: end - first, range: type.range };
    },
    close: () => undefined,
  };
}

/**
 * Checks every number of `slice` as the kernel checks its argument, in one loop; the
 * first that fails throws the error the item-by-item path throws for it, naming its
 * index in the input.
 */
export function checkNumberSlice(kernel: AnyKernel, slice: NumberSlice): void {
  const spec = kernel.specs[0]!;
  const integer = spec.kind === ArgKind.Int;
  const { view } = slice;
  const range = slice.range;
  if (range !== undefined && range[0] >= spec.min && range[1] <= spec.max) return; // all fit
  // Integer element types hold no NaN, no fraction and nothing near 2^63: only the range.
  const bad = range !== undefined ? firstOutside(view, spec.min, spec.max) : firstBad(view, spec.min, spec.max, integer);
  if (bad < 0) return;
  const where = `items[${slice.first + bad}]`;
  try {
    kernel.validateValue(view[bad]);
  } catch (error) {
    (error as Error).message += ` (${where})`;
    throw error;
  }
  throw new RangeError(`${kernel.name}: argument '${spec.name}' got ${view[bad]} (${where})`); // not reached
}

// The index of the first number that checkArg (kernel.ts) refuses, or -1: NaN, out of
// [min, max], and for an INT not an integer or not below 2^63.
function firstBad(view: NumberArray, min: number, max: number, integer: boolean): number {
  const n = view.length;
  if (integer) {
    for (let i = 0; i < n; i++) {
      const v = view[i]!;
      if (!(v >= min && v <= max && v < INT64_END && Math.floor(v) === v)) return i;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = view[i]!;
      if (!(v >= min && v <= max)) return i;
    }
  }
  return -1;
}

function firstOutside(view: NumberArray, min: number, max: number): number {
  const n = view.length;
  for (let i = 0; i < n; i++) {
    const v = view[i]!;
    if (v < min || v > max) return i;
  }
  return -1;
}
