// Review finding (s3-review): a WorkerPool task that ignores its stop bit and returns after
// its deadline FINISHES with its late result (runtime.ts finish() reports Outcome.Ok without
// looking at the DEADLINE bit, and the pool accepts it). NativePool drops such a late result
// (README: "a task whose deadline (timeout or runTimeout) passed while it ran ends with
// TimeoutError when it returns"), and IoPool settles TimeoutError at the deadline: the same
// submit options mean different things per pool. With timeout: 0 the deadline has passed
// before the task starts, yet it runs and succeeds.
import assert from 'node:assert/strict';

import { WorkerPool } from '../lib/index';

const MODULE = new URL('./fixtures/worker-tasks.mjs', `file://${__filename}`).href;

describe('review: WorkerPool drops a late result, as NativePool does', () => {
  let pool: WorkerPool;
  before(async () => {
    pool = new WorkerPool({ module: MODULE, maxWorkers: 1, minWorkers: 1, killAfter: Infinity });
    await pool.submit(pool.task('noop'), []); // the worker is up: the deadline passes while the task runs
  });
  after(async () => {
    await pool.shutdown();
  });

  it('runTimeout passed while a task that never checkpoints ran: TimeoutError, not its result', async () => {
    const f = pool.submit(pool.task('stubborn'), [300], { runTimeout: 50 });
    const error = await f.exception();
    assert.equal(error?.name, 'TimeoutError', `the Future ${f}`);
  });

  it('timeout passed while it ran: TimeoutError, not its result', async () => {
    const f = pool.submit(pool.task('stubborn'), [300], { timeout: 50 });
    const error = await f.exception();
    assert.equal(error?.name, 'TimeoutError', `the Future ${f}`);
  });
});
