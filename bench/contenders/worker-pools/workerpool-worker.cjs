const workerpool = require('workerpool');
function factorial(n) {
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r.toString().length;
}
workerpool.worker({ noop() {}, factorial });
