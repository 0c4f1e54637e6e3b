// The built-in kernels' algorithms in plain JavaScript, for the contenders that run JS in
// worker_threads or on the main thread. Same algorithms as native/src/kernels, so that a
// "JS" vs "native" gap is the language, not the method; sha256 uses node:crypto, which
// is what a JS program would call.
import { createHash } from 'node:crypto';

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0 || n % 3 === 0) return false;
  const limit = Math.floor(Math.sqrt(n));
  for (let i = 5; i <= limit; i += 6) {
    if (n % i === 0 || n % (i + 2) === 0) return false;
  }
  return true;
}

export function countPrimes(lo: number, hi: number): number {
  let count = 0;
  for (let n = lo; n < hi; n++) if (isPrime(n)) count++;
  return count;
}

/** 0 + 1 + ... + (n - 1), one addition at a time. */
export function sumRange(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i;
  return sum;
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** n! by binary splitting (balanced products), as big-number libraries do. */
export function factorial(n: number): bigint {
  const product = (lo: number, hi: number): bigint => {
    if (hi - lo < 8) {
      let p = 1n;
      for (let i = lo; i <= hi; i++) p *= BigInt(i);
      return p;
    }
    const mid = (lo + hi) >>> 1;
    return product(lo, mid) * product(mid + 1, hi);
  };
  return n < 2 ? 1n : product(2, n);
}

export function noop(): undefined {
  return undefined;
}

/** A blocking wait, like the native sleep kernel (Atomics.wait blocks this thread). */
export function sleep(ms: number): undefined {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return undefined;
}

export const jsKernels = { isPrime, countPrimes, sumRange, sha256, factorial, noop, sleep } as const;
export type KernelName = keyof typeof jsKernels;

/** One unit of work, the same for every contender. */
export interface Task {
  kernel: KernelName;
  args: unknown[];
}

export function runJs(task: Task): unknown {
  return (jsKernels[task.kernel] as (...a: unknown[]) => unknown)(...task.args);
}
