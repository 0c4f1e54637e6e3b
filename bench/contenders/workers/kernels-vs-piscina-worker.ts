// The piscina side of bench/kernels-vs-piscina.ts: the same algorithms as corepool's
// factorial and matmul kernels, in JavaScript (BigInt product tree; i-k-j triple loop).
import { factorial } from '../js-kernels';

export type Job =
  | { kernel: 'factorial'; n: number }
  | { kernel: 'matmul'; a: Float64Array; b: Float64Array; n: number };

export function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[row + k]!;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[row + j]! += aik * b[bk + j]!;
    }
  }
  return c;
}

export default function run(job: Job): bigint | Float64Array {
  return job.kernel === 'factorial' ? factorial(job.n) : matmul(job.a, job.b, job.n);
}
