// Plain-JS references for the numeric kernels: what each kernel must compute, written the
// obvious way. Plain CommonJS so that both the TypeScript tests and .ci/smoke.cjs (run on
// Node, Bun and other runtimes without a TypeScript loader) use the same references.
'use strict';

/** n! exactly, by a product tree (quick for n = 1e5). */
function factorialRef(n) {
  const prod = (lo, hi) => {
    if (hi - lo < 16n) {
      let r = 1n;
      for (let i = lo; i <= hi; i++) r *= i;
      return r;
    }
    const mid = (lo + hi) / 2n;
    return prod(lo, mid) * prod(mid + 1n, hi);
  };
  return n < 2 ? 1n : prod(2n, BigInt(n));
}

// The same i-k-j loop as the kernel: the same additions in the same order, so the same
// doubles bit for bit.
function matmulRef(a, b, n) {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return c;
}

/** Escape iteration counts over the view [-2.5, 1] x [-1.25, 1.25], row by row. */
function mandelbrotRef(width, height, maxIter) {
  const out = [];
  for (let y = 0; y < height; y++) {
    const ci = -1.25 + (y * 2.5) / height;
    for (let x = 0; x < width; x++) {
      const cr = -2.5 + (x * 3.5) / width;
      let zr = 0;
      let zi = 0;
      let i = 0;
      while (i < maxIter) {
        const zr2 = zr * zr;
        const zi2 = zi * zi;
        if (zr2 + zi2 > 4) break;
        const t = zr2 - zi2 + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        i++;
      }
      out.push(i);
    }
  }
  return out;
}

module.exports = { factorialRef, matmulRef, mandelbrotRef };
