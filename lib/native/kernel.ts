// Kernel<A, R>: a typed handle on a native kernel. It checks arguments against the
// kernel's declared schema (and any rule that spans arguments) before anything is
// queued, encodes them for the batched submission, and runs the kernel synchronously
// on the calling thread when asked (runSync).
import { binding, RawArgSpec, RawKernel } from './binding';
import { syncStop } from './sync-stop';
import { ArgKind, ResultKind } from './wire';
import { types } from 'node:util';

import type { taskTypes, TypedTask } from '../core/task-types';
import { describe } from '../core/validate';

/** A rule over all arguments (e.g. lo <= hi); returns an error to throw, or undefined. */
export type ArgsRule = (args: readonly unknown[]) => Error | undefined;

// Set only while makeKernel runs: the constructor refuses every other caller, so that
// no hand-made record (a wrong id, arity or result kind) can ever reach the native side.
let minting = false;

/** The only way to make a Kernel: from a record the native registry gave (kernels.ts, loadKernels). */
export function makeKernel<A extends readonly unknown[], R>(raw: RawKernel, rules: readonly ArgsRule[] = []): Kernel<A, R> {
  minting = true;
  try {
    return new (Kernel as unknown as new (raw: RawKernel, rules: readonly ArgsRule[]) => Kernel<A, R>)(raw, rules);
  } finally {
    minting = false;
  }
}

/** True only for kernels makeKernel made (a brand check: a copied prototype does not pass). */
export function isKernel(value: unknown): value is Kernel<readonly unknown[], unknown> {
  return typeof value === 'object' && value !== null && Kernel.isMade(value);
}

export class Kernel<A extends readonly unknown[], R> implements TypedTask<A, R> {
  declare readonly [taskTypes]?: { readonly args: A; readonly result: R };
  #made = true;
  readonly name: string;
  /** @internal the kernel's id in this thread's native registry */
  readonly id: number;
  readonly arity: number;
  /** @internal */
  readonly specs: readonly RawArgSpec[];
  /** @internal */
  readonly resultKind: ResultKind;
  /** @internal per argument: travels beside the numeric record (typed arrays, pinned;
   * strings; sizes) instead of as a number in it */
  readonly byObject: readonly boolean[];
  private readonly rules: readonly ArgsRule[];
  private readonly checks: readonly ArgCheck[];

  /** Kernels come from `kernels` and `loadKernels()`; they cannot be constructed. */
  private constructor(raw: RawKernel, rules: readonly ArgsRule[] = []) {
    if (!minting) {
      throw new TypeError('Kernel objects cannot be constructed: use the built-in `kernels` or loadKernels() on an addon built against corepool.h');
    }
    this.name = raw.name;
    this.id = raw.id;
    this.arity = raw.args.length;
    this.specs = raw.args;
    this.resultKind = raw.result;
    this.byObject = raw.args.map((s) => s.kind >= ArgKind.Bytes);
    this.rules = rules;
    this.checks = raw.args.map((spec) => argCheck(this.name, spec));
  }

  /** @internal */
  static isMade(value: object): boolean {
    return #made in value;
  }

  /** Throws TypeError/RangeError naming the argument if `args` do not fit. */
  validate(args: unknown): asserts args is A {
    this.checkedArgs(args);
  }

  /**
   * @internal Checks `args` and returns a copy of the values it checked: each argument
   * is read once, so that a Proxy or an index getter cannot show the check one value
   * and the native side another (a fixed buffer to the check, a resizable one to the kernel).
   */
  checkedArgs(args: unknown): readonly unknown[] {
    if (!Array.isArray(args)) {
      throw new TypeError(`${this.name}: args must be an array of ${this.arity} argument(s), got ${describe(args)}`);
    }
    const length: number = args.length;
    if (length !== this.arity) {
      throw new TypeError(
        `${this.name} takes ${this.arity} argument(s) (${this.specs.map((s) => s.name).join(', ')}), got ${length}`,
      );
    }
    if (length === 0) return NO_VALUES;
    const values = new Array<unknown>(length);
    for (let i = 0; i < length; i++) checkArg(this.checks[i]!, (values[i] = args[i] as unknown));
    for (const rule of this.rules) {
      const error = rule(values);
      if (error !== undefined) throw error;
    }
    return values;
  }

  /** @internal true when a rule spans the arguments (then each call is checked whole) */
  get hasRules(): boolean {
    return this.rules.length > 0;
  }

  /** For one-argument kernels: checks `value` as that argument and returns it. */
  validateValue(value: unknown): unknown {
    checkArg(this.checks[0]!, value);
    if (this.rules.length > 0) this.checkedArgs([value]);
    return value;
  }

  /** Runs the kernel now, on this thread (blocking it), and returns its result. Inside a
   * WorkerPool task it obeys the task's stop bit (cancel, deadline) at its checkpoints. */
  runSync(args: A): R {
    const values = this.checkedArgs(args) as unknown[];
    const stop = syncStop.words;
    if (stop === undefined) return binding.runSync(this.id, values) as R;
    return binding.runSync(this.id, values, stop, syncStop.index) as R;
  }

  toString(): string {
    return `Kernel(${this.name})`;
  }
}

const NO_VALUES: readonly unknown[] = Object.freeze([]);
const INT64_END = 2 ** 63;

// Checked by util.types, not instanceof: a typed array from another realm (vm, an iframe
// in jsdom) is as good as one from this one.
const ARRAY_TYPES: Record<number, { is: (v: unknown) => boolean; label: string }> = {
  [ArgKind.Bytes]: { is: types.isUint8Array, label: 'a Uint8Array' },
  [ArgKind.Float64s]: { is: types.isFloat64Array, label: 'a Float64Array' },
  [ArgKind.Int32s]: { is: types.isInt32Array, label: 'an Int32Array' },
  [ArgKind.BytesIn]: { is: types.isUint8Array, label: 'a Uint8Array' },
  [ArgKind.Float64sIn]: { is: types.isFloat64Array, label: 'a Float64Array' },
  [ArgKind.Int32sIn]: { is: types.isInt32Array, label: 'an Int32Array' },
};

// A bound stored as a double; 2^63 (the nearest double to 2^63 - 1) means 2^63 - 1.
function maxAsBigInt(max: number): bigint {
  return max >= 9223372036854775807 ? 9223372036854775807n : BigInt(Math.floor(max));
}

/** What checking one argument needs, built once per kernel: the hot path allocates nothing. */
interface ArgCheck {
  spec: RawArgSpec;
  where: string; // the start of every error message
  lo: bigint; // Size bounds as bigints (0n for other kinds)
  hi: bigint;
}

function argCheck(kernel: string, spec: RawArgSpec): ArgCheck {
  const size = spec.kind === ArgKind.Size;
  return {
    spec,
    where: `${kernel}: argument '${spec.name}'`,
    lo: size ? BigInt(Math.ceil(spec.min)) : 0n,
    hi: size ? maxAsBigInt(spec.max) : 0n,
  };
}

function checkArg({ spec, where, lo, hi }: ArgCheck, value: unknown): void {
  switch (spec.kind) {
    case ArgKind.Number:
    case ArgKind.Int: {
      if (typeof value !== 'number') throw new TypeError(`${where} must be a number, got ${describe(value)}`);
      if (Number.isNaN(value)) throw new RangeError(`${where} must not be NaN`);
      if (spec.kind === ArgKind.Int && !Number.isInteger(value)) {
        throw new RangeError(`${where} must be an integer, got ${value}`);
      }
      // The kernel gets an int64: a max of 2^63 - 1 reads as 2^63 in a double, which is not one.
      if (spec.kind === ArgKind.Int && value >= INT64_END) {
        throw new RangeError(`${where} must be below 2^63 (an int64), got ${value}`);
      }
      if (value < spec.min || value > spec.max) {
        throw new RangeError(`${where} must be between ${spec.min} and ${spec.max}, got ${value}`);
      }
      return;
    }
    case ArgKind.Bool:
      if (typeof value !== 'boolean') throw new TypeError(`${where} must be a boolean, got ${describe(value)}`);
      return;
    case ArgKind.String: {
      if (typeof value !== 'string') throw new TypeError(`${where} must be a string, got ${describe(value)}`);
      // Bounds are on the UTF-8 byte length: that is what the kernel receives.
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes < spec.min || bytes > spec.max) {
        throw new RangeError(`${where} must be between ${spec.min} and ${spec.max} UTF-8 bytes long, got ${bytes}`);
      }
      return;
    }
    case ArgKind.Size: {
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value)) {
          throw new RangeError(`${where} must be a safe integer or a bigint, got ${value}`);
        }
      } else if (typeof value !== 'bigint') {
        throw new TypeError(`${where} must be a bigint or an integer, got ${describe(value)}`);
      }
      // Compared as bigints: the bounds may pass Number.MAX_SAFE_INTEGER.
      const v = typeof value === 'bigint' ? value : BigInt(value);
      if (v < lo || v > hi) {
        throw new RangeError(`${where} must be between ${lo} and ${hi}, got ${v}`);
      }
      return;
    }
    default: {
      const t = ARRAY_TYPES[spec.kind]!;
      if (!t.is(value)) throw new TypeError(`${where} must be ${t.label}, got ${describe(value)}`);
      const view = value as Uint8Array;
      // A detached buffer reads as length 0 with no backing store: refuse it outright.
      if (isDetached(view.buffer)) {
        throw new TypeError(`${where} is a view of a detached ArrayBuffer`);
      }
      // A resizable (or growable shared) buffer could shrink under the running kernel.
      const flags = view.buffer as { resizable?: boolean; growable?: boolean };
      if (flags.resizable === true || flags.growable === true) {
        throw new TypeError(`${where} is a view of a resizable buffer, whose length could change while the task runs`);
      }
      if (view.length < spec.min || view.length > spec.max) {
        throw new RangeError(`${where} must have between ${spec.min} and ${spec.max} elements, got ${view.length}`);
      }
    }
  }
}

// ArrayBuffer.prototype.detached is missing before Node 22; there a detached buffer shows
// only as byteLength 0, and constructing a view over it throws.
export function isDetached(buffer: ArrayBufferLike): boolean {
  const flag = (buffer as { detached?: boolean }).detached;
  if (flag !== undefined) return flag;
  if (buffer.byteLength !== 0 || !types.isArrayBuffer(buffer)) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}
