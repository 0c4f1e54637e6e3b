// The built-in kernels as typed handles, and the rules that span their arguments.
import { binding, RawKernel } from './binding';
import { ArgsRule, Kernel, makeKernel } from './kernel';

const loHiRule: ArgsRule = (args) =>
  (args[0] as number) > (args[1] as number)
    ? new RangeError(`countPrimes: argument 'lo' (${args[0]}) must not be greater than 'hi' (${args[1]})`)
    : undefined;

// matmul reads n * n elements of each matrix: anything else would read out of bounds.
const squareRule: ArgsRule = (args) => {
  const [a, b, n] = args as [Float64Array, Float64Array, number];
  for (const [name, m] of [['a', a], ['b', b]] as const) {
    if (m.length !== n * n) {
      return new RangeError(`matmul: argument '${name}' must have n * n = ${n * n} elements, got ${m.length}`);
    }
  }
  return undefined;
};

/** mandelbrot's cap on width * height: 64 Mi pixels (128 MiB as Uint16). */
const MAX_PIXELS = 2 ** 26;
const pixelsRule =
  (name: string): ArgsRule =>
  (args) => {
    const pixels = (args[0] as number) * (args[1] as number);
    return pixels > MAX_PIXELS
      ? new RangeError(`${name}: width * height must not exceed ${MAX_PIXELS} pixels, got ${pixels}`)
      : undefined;
  };

const raw = new Map<string, RawKernel>(binding.kernels().map((k) => [k.name, k]));

function builtin<A extends readonly unknown[], R>(name: string, rules: ArgsRule[] = []): Kernel<A, R> {
  const k = raw.get(name);
  if (k === undefined) throw new Error(`corepool: the native addon has no kernel '${name}' (stale build?)`);
  return makeKernel<A, R>(k, rules);
}

/** The kernels corepool ships. Each checks its arguments at submit time. */
export const kernels = Object.freeze({
  /** Trial division: is `n` prime? */
  isPrime: builtin<[n: number], boolean>('isPrime'),
  /** How many primes p with lo <= p < hi (trial division). */
  countPrimes: builtin<[lo: number, hi: number], number>('countPrimes', [loHiRule]),
  /** 0 + 1 + ... + (n - 1), one addition at a time (n <= 2^27). */
  sumRange: builtin<[n: number], number>('sumRange'),
  /** Busy CPU for `ms` milliseconds; returns the iterations done. */
  spin: builtin<[ms: number], number>('spin'),
  /** A blocking wait of `ms` milliseconds, standing for blocking IO. */
  sleep: builtin<[ms: number], undefined>('sleep'),
  /** SHA-256 of the bytes (a SharedArrayBuffer view is read in place, any other one copied when the task is sent). */
  sha256: builtin<[data: Uint8Array], Uint8Array>('sha256'),
  /** Does nothing: measures per-task overhead. */
  noop: builtin<[], undefined>('noop'),
  /** `count` blocking calls of `ioMicros` us each, the global lock released around each,
   * with a little CPU work between them (an echo server's recv/send loop). */
  ioLoop: builtin<[count: number, ioMicros: number], number>('ioLoop'),
  /** n! as a bigint (n <= 1e6): a product tree with Karatsuba multiplication. */
  factorial: builtin<[n: number], bigint>('factorial'),
  /** The product of two n x n row-major matrices (each of n * n elements) as a new
   * Float64Array. Inputs on a SharedArrayBuffer are read in place (do not write them while it runs);
   * others are copied when the task is sent. */
  matmul: builtin<[a: Float64Array, b: Float64Array, n: number], Float64Array>('matmul', [squareRule]),
  /** Sorts the array in place, in Float64Array.prototype.sort() order (NaN last);
   * resolves to undefined. A cancelled or timed-out sort leaves a permutation of the input. */
  sortFloat64: builtin<[array: Float64Array], undefined>('sortFloat64'),
  /** Escape-time counts (0..maxIter, maxIter <= 255) of width x height pixels over
   * re [-2.5, 1), im [-1.25, 1.25), row-major. */
  mandelbrot: builtin<[width: number, height: number, maxIter: number], Uint8Array>('mandelbrot', [
    pixelsRule('mandelbrot'),
  ]),
  /** mandelbrot with maxIter up to 65535, as a Uint16Array. */
  mandelbrot16: builtin<[width: number, height: number, maxIter: number], Uint16Array>('mandelbrot16', [
    pixelsRule('mandelbrot16'),
  ]),
});

export type BuiltinKernels = typeof kernels;
