// The built-in kernels' algorithms in plain JavaScript, for the contenders that run JS in
// worker_threads (piscina, tinypool, the raw pool) or on the main thread. Same algorithms
// as native/src/kernels, so that a "JS" vs "native" gap is the language, not the method;
// sha256 uses node:crypto, which is what a JS program would call.
//
// Plain CommonJS (types in js-kernels.d.cts) because the peers' worker files load it, and
// they run as their users run them: compiled JS, without tsx in the worker. Loaded through
// tsx, each worker thread would first load and compile TypeScript, which is start-up time
// no piscina user pays (issue 12 item 14).
'use strict';
const { createHash } = require('node:crypto');

function isPrime(n) {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0 || n % 3 === 0) return false;
  const limit = Math.floor(Math.sqrt(n));
  for (let i = 5; i <= limit; i += 6) {
    if (n % i === 0 || n % (i + 2) === 0) return false;
  }
  return true;
}

function countPrimes(lo, hi) {
  let count = 0;
  for (let n = lo; n < hi; n++) if (isPrime(n)) count++;
  return count;
}

/** 0 + 1 + ... + (n - 1), one addition at a time. */
function sumRange(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i;
  return sum;
}

function sha256(data) {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** n! by binary splitting (balanced products), as big-number libraries do. */
function factorial(n) {
  const product = (lo, hi) => {
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

/** c = a * b for n x n row-major matrices: the i-k-j triple loop of the native kernel. */
function matmul(a, b, n) {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[row + k];
      const bk = k * n;
      for (let j = 0; j < n; j++) c[row + j] += aik * b[bk + j];
    }
  }
  return c;
}

function noop() {
  return undefined;
}

/** A blocking wait, like the native sleep kernel (Atomics.wait blocks this thread). */
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return undefined;
}

const jsKernels = Object.freeze({ isPrime, countPrimes, sumRange, sha256, factorial, matmul, noop, sleep });

/** Runs one Task ({ kernel, args }) with the JS algorithm. */
function runJs(task) {
  const fn = Object.hasOwn(jsKernels, task.kernel) ? jsKernels[task.kernel] : undefined;
  if (fn === undefined) throw new Error(`no JS kernel '${task.kernel}'`);
  return fn(...task.args);
}

module.exports = { ...jsKernels, jsKernels, runJs };
