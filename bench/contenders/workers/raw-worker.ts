// One thread of the hand-written worker_threads pool (bench/raw-pool.ts): a message in,
// the task run, a message out.
import { parentPort } from 'node:worker_threads';

import runTask = require('./task-worker');

parentPort!.on('message', (msg: { id: number; task: Parameters<typeof runTask>[0] }) => {
  try {
    parentPort!.postMessage({ id: msg.id, ok: true, value: runTask(msg.task) });
  } catch (error) {
    parentPort!.postMessage({ id: msg.id, ok: false, value: String((error as Error).message) });
  }
});
