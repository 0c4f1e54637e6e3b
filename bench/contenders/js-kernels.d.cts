// Types of js-kernels.cjs (plain JS: the peers' workers load it without tsx).
export declare function isPrime(n: number): boolean;
export declare function countPrimes(lo: number, hi: number): number;
export declare function sumRange(n: number): number;
export declare function sha256(data: Uint8Array): Uint8Array;
export declare function factorial(n: number): bigint;
export declare function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array;
export declare function noop(): undefined;
export declare function sleep(ms: number): undefined;

export declare const jsKernels: {
  readonly isPrime: typeof isPrime;
  readonly countPrimes: typeof countPrimes;
  readonly sumRange: typeof sumRange;
  readonly sha256: typeof sha256;
  readonly factorial: typeof factorial;
  readonly matmul: typeof matmul;
  readonly noop: typeof noop;
  readonly sleep: typeof sleep;
};
export type KernelName = keyof typeof jsKernels;

/** One unit of work, the same for every contender. */
export interface Task {
  kernel: KernelName;
  args: unknown[];
}

export declare function runJs(task: Task): unknown;
