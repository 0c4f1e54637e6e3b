// Hostile tests (session 3): a NativePool deadline must win over a result that comes after
// it, as the README promises for every pool ("As in NativePool, the stop wins over a late
// result: a task that returns after its deadline (`timeout` or `runTimeout`) passed ends
// with TimeoutError"). spin(ms) is busy for `ms` of wall time, so a spin(3) whose deadline
// is 0.5 ms away can never legitimately finish: every FINISHED one is a missed deadline.
//
// The native side only times out a running task when its deadline thread raises the
// DEADLINE bit (ThreadPool::settle looks at deadline_hit alone); when that thread is
// descheduled for longer than the task has left (the pool's own workers keep both cores
// busy, and here a few CPU hogs make the machine as busy as a shared CI box), the task
// ends first and its Future resolves with the value although run_task() read the clock
// (t.finished) past t.deadline.
import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';

import { Future, kernels, NativePool } from '../lib/index';

describe('hostile s3: NativePool deadlines against late results', function () {
  this.timeout(60_000);
  let pool: NativePool;
  let hogs: ChildProcess[] = [];
  beforeEach(() => {
    pool = new NativePool({ maxWorkers: 2, name: 'hostile-dl' });
    // Two busy processes: the deadline thread then competes for a core with four threads.
    hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  });
  afterEach(async () => {
    for (const h of hogs) h.kill('SIGKILL');
    hogs = [];
    await pool.shutdown({ cancelFutures: true, cancelRunning: true });
  });

  for (const key of ['timeout', 'runTimeout'] as const) {
    it(`spin(3) with ${key}: 0.5 never finishes with a value (${key} passed 2.5 ms before it ended)`, async () => {
      const rounds = 400;
      const late: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const fs: Future<number>[] = [];
        for (let i = 0; i < 4; i++) fs.push(pool.submit(kernels.spin, [3], { [key]: 0.5 }));
        for (const f of fs) {
          const error = await f.exception();
          if (error === undefined) late.push(`round ${round}: FINISHED with ${await f.result()} iterations`);
          else assert.equal(error.name, 'TimeoutError', error.message);
        }
        if (late.length >= 5) break;
      }
      const s = pool.stats();
      assert.deepEqual(late, [], `${late.length} of the spin(3) tasks with ${key} 0.5 ms resolved with a value (stats: completed ${s.completed}, timedOut ${s.timedOut})`);
    });
  }
});
