// runTimeout: 0 means the same in every pool: the task times out at once (it never starts),
// as timeout: 0 does. It once meant "no limit" in NativePool and WorkerPool, whose wires used
// 0 as their "none" (review finding 17).
import assert from 'node:assert/strict';

import { IoPool, kernels, NativePool, WorkerPool } from '../lib/index';

const MODULE = new URL('./fixtures/worker-tasks.mjs', `file://${__filename}`).href;

describe('review: runTimeout: 0 means the same in every pool', () => {
  it('IoPool: TimeoutError (the reference)', async () => {
    const io = new IoPool();
    try {
      const f = io.submit(async () => new Promise((resolve) => setTimeout(() => resolve('ran'), 100)), [], { runTimeout: 0 });
      assert.equal((await f.exception())?.name, 'TimeoutError');
    } finally {
      await io.shutdown();
    }
  });

  it('NativePool: TimeoutError, not a run with no limit', async () => {
    const pool = new NativePool({ maxWorkers: 1 });
    try {
      const f = pool.submit(kernels.spin, [100], { runTimeout: 0 });
      assert.equal((await f.exception())?.name, 'TimeoutError', `the Future ${f}`);
    } finally {
      await pool.shutdown();
    }
  });

  it('WorkerPool: TimeoutError, not a run with no limit', async () => {
    const pool = new WorkerPool({ module: MODULE, maxWorkers: 1 });
    try {
      const f = pool.submit(pool.task('spin'), [100], { runTimeout: 0 });
      assert.equal((await f.exception())?.name, 'TimeoutError', `the Future ${f}`);
    } finally {
      await pool.shutdown();
    }
  });
});
