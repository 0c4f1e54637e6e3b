// The task function piscina, tinypool and the raw worker_threads pool run: the JS
// algorithm (../js-kernels.cjs), or the very same native kernel corepool runs
// (kernel.runSync on this worker thread), so that comparing the two isolates pool
// overhead from kernel speed. Plain JS, as a piscina user's worker file is.
'use strict';
const { runJs } = require('../js-kernels.cjs');

let kernels;

module.exports = function runTask(task) {
  if (!task.native) return runJs(task);
  // corepool as its users load it: the package's compiled entry. Three directories up is
  // the repository root (package.json "main": dist/index.js) from bench/contenders/workers,
  // and dist/ (dist/index.js) from dist/bench/contenders/workers, installed or not.
  kernels ??= require('../../..').kernels;
  const kernel = Object.hasOwn(kernels, task.kernel) ? kernels[task.kernel] : undefined;
  if (kernel === undefined) throw new Error(`corepool has no kernel '${task.kernel}'`);
  return kernel.runSync(task.args);
};
