// Types of kernels.cjs (plain JS, shared with .ci/smoke.cjs).
export function factorialRef(n: number): bigint;
export function matmulRef(a: Float64Array, b: Float64Array, n: number): Float64Array;
export function mandelbrotRef(width: number, height: number, maxIter: number): number[];
