const { ThreadWorker } = require('poolifier');
function factorial(n) {
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r.toString().length;
}
module.exports = new ThreadWorker((data) => (data && data.kind === 'factorial' ? factorial(data.n) : undefined));
