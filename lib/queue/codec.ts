// The wire codec of QueuePool: task arguments and results as JSON that BullMQ stores in
// Redis, so that every value comes back exactly as it left (NaN, -0, Infinity, bigints,
// typed arrays with their type), or is refused at submit with an error naming it.
//
// Layout: finite numbers (but -0), strings, booleans and null are themselves; arrays
// are arrays of encoded values; everything else is a one-key object, so a plain object
// always travels wrapped and can never be mistaken for a tag:
//   { u: 1 }                   undefined (and array holes)
//   { f: 'NaN' | 'Infinity' | '-Infinity' | '-0' }
//   { b: '123' }               bigint, in decimal
//   { t: 'Float64Array', d }   typed array: its bytes in base64, little-endian (the byte
//                              order of every platform Node supports in practice)
//   { o: { key: value } }      plain object (prototype Object.prototype or null)
import { describe } from '../core/validate';
import { isDetached } from '../native/kernel';

/** What `encode` produces and `decode` reads: JSON-safe. */
export type Wire = number | string | boolean | null | Wire[] | { [tag: string]: unknown };

const TYPED: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

const SUPPORTED =
  'numbers, booleans, strings, bigints, undefined, null, typed arrays, and arrays or plain objects of them';

/** Thrown by encode: `path` names the value (`args[1]`, `args[0][3].x`, `result`). */
export class EncodeError extends TypeError {
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`${path} cannot travel to a worker: ${what} (supported: ${SUPPORTED})`);
  }
}

const MAX_DEPTH = 64;

/**
 * Encodes `value` for the wire; `path` names it in errors. Each property is read once;
 * a getter or Proxy trap that throws becomes an EncodeError naming the value.
 */
export function encode(value: unknown, path: string): Wire {
  return encodeAt(value, path, 0, new Set());
}

function encodeAt(value: unknown, path: string, depth: number, seen: Set<object>): Wire {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? { f: '-0' } : value;
      return { f: String(value) };
    case 'string':
      return value;
    case 'boolean':
      return value;
    case 'bigint':
      return { b: value.toString() };
    case 'undefined':
      return { u: 1 };
    case 'object':
      break;
    default:
      throw new EncodeError(path, `a ${typeof value}`);
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) throw new EncodeError(path, `nesting deeper than ${MAX_DEPTH} levels`);
  if (seen.has(value)) throw new EncodeError(path, 'a circular reference');
  try {
    if (ArrayBuffer.isView(value)) return encodeView(value, path);
    seen.add(value);
    if (Array.isArray(value)) {
      const length = value.length;
      const out = new Array<Wire>(length);
      for (let i = 0; i < length; i++) out[i] = encodeAt(value[i], `${path}[${i}]`, depth + 1, seen);
      seen.delete(value);
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new EncodeError(path, describe(value));
    const out: Record<string, Wire> = Object.create(null);
    for (const key of Object.keys(value)) {
      out[key] = encodeAt((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, seen);
    }
    seen.delete(value);
    return { o: out };
  } catch (error) {
    if (error instanceof EncodeError) throw error;
    // A Proxy trap or getter threw: the value cannot be read, so it cannot travel.
    const e = new EncodeError(path, `reading it threw (${(error as Error)?.message ?? String(error)})`);
    (e as { cause?: unknown }).cause = error;
    throw e;
  }
}

function encodeView(view: ArrayBufferView, path: string): Wire {
  const type = view.constructor.name === 'Buffer' ? 'Uint8Array' : view.constructor.name;
  if (!Object.hasOwn(TYPED, type)) throw new EncodeError(path, `a ${view.constructor.name}`);
  const buffer = view.buffer as ArrayBuffer;
  if (isDetached(buffer)) throw new EncodeError(path, 'a view of a detached ArrayBuffer');
  // Copied as it is now: a SharedArrayBuffer or resizable buffer arrives as a plain copy.
  return { t: type, d: Buffer.from(buffer, view.byteOffset, view.byteLength).toString('base64') };
}

/** Thrown by decode: data that did not come from `encode` (a foreign or corrupt job). */
export class DecodeError extends TypeError {}

/** The inverse of encode. Throws DecodeError on anything encode cannot have produced. */
export function decode(wire: unknown, path = 'value', depth = 0): unknown {
  if (wire === null || typeof wire === 'string' || typeof wire === 'boolean') return wire;
  if (typeof wire === 'number') return wire;
  if (depth >= MAX_DEPTH) throw new DecodeError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(wire)) {
    const out = new Array<unknown>(wire.length);
    for (let i = 0; i < wire.length; i++) out[i] = decode(wire[i], `${path}[${i}]`, depth + 1);
    return out;
  }
  if (typeof wire !== 'object') throw new DecodeError(`${path}: unexpected ${typeof wire}`);
  const tagged = wire as Record<string, unknown>;
  const keys = Object.keys(tagged);
  const tag = keys[0];
  if (tag === 'u' && keys.length === 1) return undefined;
  if (tag === 'f' && keys.length === 1) {
    switch (tagged.f) {
      case 'NaN':
        return NaN;
      case 'Infinity':
        return Infinity;
      case '-Infinity':
        return -Infinity;
      case '-0':
        return -0;
    }
  }
  if (tag === 'b' && keys.length === 1 && typeof tagged.b === 'string' && /^-?\d+$/.test(tagged.b)) return BigInt(tagged.b);
  if (tag === 't' && keys.length === 2 && typeof tagged.t === 'string' && typeof tagged.d === 'string' && Object.hasOwn(TYPED, tagged.t)) {
    const Ctor = TYPED[tagged.t]!;
    const bytes = Buffer.from(tagged.d, 'base64');
    const element = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    if (bytes.length % element !== 0) throw new DecodeError(`${path}: ${tagged.t} of ${bytes.length} bytes`);
    // A fresh, aligned ArrayBuffer of its own: Buffer's pool may be misaligned and shared.
    const buffer = new ArrayBuffer(bytes.length);
    new Uint8Array(buffer).set(bytes);
    return new Ctor(buffer);
  }
  if (tag === 'o' && keys.length === 1 && typeof tagged.o === 'object' && tagged.o !== null && !Array.isArray(tagged.o)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tagged.o)) {
      // defineProperty, not assignment: a key '__proto__' stays a plain property.
      Object.defineProperty(out, key, { value: decode(value, `${path}.${key}`, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new DecodeError(`${path}: not a corepool wire value (${JSON.stringify(wire).slice(0, 60)})`);
}
