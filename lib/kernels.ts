// The built-in kernels as typed handles, and the rules that span their arguments.
import { binding, RawKernel } from './binding';
import { ArgsRule, Kernel } from './kernel';

const loHiRule: ArgsRule = (args) =>
  (args[0] as number) > (args[1] as number)
    ? new RangeError(`countPrimes: argument 'lo' (${args[0]}) must not be greater than 'hi' (${args[1]})`)
    : undefined;

const raw = new Map<string, RawKernel>(binding.kernels().map((k) => [k.name, k]));

function builtin<A extends readonly unknown[], R>(name: string, rules: ArgsRule[] = []): Kernel<A, R> {
  const k = raw.get(name);
  if (k === undefined) throw new Error(`corepool: the native addon has no kernel '${name}' (stale build?)`);
  return new Kernel<A, R>(k, rules);
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
  /** SHA-256 of the bytes, read in place. */
  sha256: builtin<[data: Uint8Array], Uint8Array>('sha256'),
  /** Does nothing: measures per-task overhead. */
  noop: builtin<[], undefined>('noop'),
  /** `count` blocking calls of `ioMicros` us each, the global lock released around each,
   * with a little CPU work between them (an echo server's recv/send loop). */
  ioLoop: builtin<[count: number, ioMicros: number], number>('ioLoop'),
});

export type BuiltinKernels = typeof kernels;
