// A JS no-op task for piscina: what its per-task overhead is measured with (bench:tiny).
'use strict';
module.exports = function noop() {
  return undefined;
};
