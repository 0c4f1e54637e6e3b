// piscina / tinypool worker: the default export is the task; `kind` picks the workload.
function factorial(n) {
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r.toString().length;
}
module.exports = (x) => {
  if (x === undefined || x === null) return undefined;
  if (x.kind === 'factorial') return factorial(x.n);
  if (x.kind === 'spin') for (;;);
  if (x.kind === 'started') return performance.now() + performance.timeOrigin;
  return undefined;
};
