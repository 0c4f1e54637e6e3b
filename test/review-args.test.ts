// Review finding (s3-review): DESIGN says submit "validates the arguments (each read
// once)", and NativePool copies them at submit (Kernel.checkedArgs). IoPool and WorkerPool
// keep the caller's args array and read it later (IoPool when the task starts, WorkerPool
// when the tick's batch is posted), so a caller that reuses one array across submits, a
// common loop shape, gets the last values in every task: a silent wrong answer.
import assert from 'node:assert/strict';

import { IoPool, kernels, NativePool, WorkerPool } from '../lib/index';

const MODULE = new URL('./fixtures/worker-tasks.mjs', `file://${__filename}`).href;

describe('review: a task gets the arguments it was submitted with, whatever the caller does next', () => {
  it('NativePool (the reference: it copies at submit)', async () => {
    const pool = new NativePool({ maxWorkers: 1 });
    try {
      const args: [number] = [0];
      const futures = [];
      for (let k = 0; k < 4; k++) {
        args[0] = k;
        futures.push(pool.submit(kernels.sumRange, args));
      }
      assert.deepEqual(await Promise.all(futures), [0, 0, 1, 3]);
    } finally {
      await pool.shutdown();
    }
  });

  it('IoPool: a queued task does not see later writes to its args array', async () => {
    const io = new IoPool({ maxConcurrency: 1 });
    try {
      const args: [number] = [0];
      const futures = [];
      for (let k = 0; k < 4; k++) {
        args[0] = k;
        futures.push(io.submit(async (_ctx, x: number) => x, args));
      }
      assert.deepEqual(await Promise.all(futures), [0, 1, 2, 3]);
    } finally {
      await io.shutdown();
    }
  });

  it('WorkerPool: a task does not see writes to its args array made later in the same tick', async () => {
    const pool = new WorkerPool({ module: MODULE, maxWorkers: 1 });
    try {
      const args: [number, number] = [0, 0];
      const futures = [];
      for (let k = 0; k < 4; k++) {
        args[0] = k;
        futures.push(pool.submit(pool.task('add'), args as never));
      }
      assert.deepEqual(await Promise.all(futures), [0, 1, 2, 3]);
    } finally {
      await pool.shutdown();
    }
  });
});
