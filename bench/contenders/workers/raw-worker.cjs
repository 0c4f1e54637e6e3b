// One thread of the hand-written worker_threads pool (../raw-pool.ts): a message in, the
// task run, a message out.
'use strict';
const { parentPort } = require('node:worker_threads');
const runTask = require('./task-worker.cjs');

parentPort.on('message', (msg) => {
  try {
    parentPort.postMessage({ id: msg.id, ok: true, value: runTask(msg.task) });
  } catch (error) {
    parentPort.postMessage({ id: msg.id, ok: false, value: String(error.message) });
  }
});
