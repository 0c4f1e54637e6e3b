// The WorkerPool task module of the benchmarks: plain JS, as a user writes it.
export function noop() {}
export function factorial(ctx, n) {
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r.toString().length;
}
// A synchronous loop that checkpoints every iteration (the cancel benchmark).
export function spin(ctx) {
  for (;;) ctx.checkpoint();
}
export function started() {
  return performance.now() + performance.timeOrigin;
}
