// WorkerPool limits a demanding user meets, through the public API: several async tasks
// per worker (each still cancelled alone), kernel.runSync after an await obeying its task,
// the crash breaker's options, and durations that mean "never" or exceed one setTimeout.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';

import { CancelledError, TimeoutError, WorkerCrashError, WorkerPool } from '../lib/index';
import type { WorkerTaskContext } from '../lib/index';
import { catchWarnings, sleep, until } from './helpers';

const TASKS = path.join(__dirname, 'fixtures/worker-limits.mjs');
type Tasks = typeof import('./fixtures/worker-limits.mjs');

describe('WorkerPool limits', function () {
  const pools: WorkerPool<Tasks>[] = [];
  const open = (options: ConstructorParameters<typeof WorkerPool>[0]): WorkerPool<Tasks> => {
    const pool = new WorkerPool<Tasks>({ module: TASKS, ...options });
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.shutdown({ cancelFutures: true, cancelRunning: true });
  });

  describe('asyncTasksPerWorker', () => {
    it('by default an awaiting task holds its worker: one at a time', async () => {
      const pool = open({ maxWorkers: 1 });
      const most = await Promise.all(Array.from({ length: 4 }, () => pool.submit(pool.task('overlap'), [20])));
      assert.deepEqual(most, [1, 1, 1, 1]);
    });

    it('lets one worker await that many tasks at once, never more', async () => {
      const pool = open({ maxWorkers: 1, asyncTasksPerWorker: 4 });
      const most = await Promise.all(Array.from({ length: 12 }, () => pool.submit(pool.task('overlap'), [30])));
      assert.equal(Math.max(...most), 4, `at most 4 at once, saw ${most.join(',')}`);
      assert.ok(most.slice(0, 4).every((m) => m >= 1));
      assert.equal(pool.stats().workers, 1);
      assert.equal(pool.stats().completed, 12);
    });

    it('sync tasks still run between the awaits, and results come back while others wait', async () => {
      const pool = open({ maxWorkers: 1, asyncTasksPerWorker: 3 });
      const long = pool.submit(pool.task('sleepy'), [400]);
      const quick = pool.submit(pool.task('add'), [2, 3]);
      assert.equal(await quick, 5);
      assert.equal(long.done(), false, 'the sync task did not wait for the awaiting one');
      assert.equal(await long, 400);
    });

    it('cancel, checkpoint, signal and deadline stay per task', async () => {
      const pool = open({ maxWorkers: 1, asyncTasksPerWorker: 4, killAfter: 2000 });
      const polls = Array.from({ length: 3 }, () => pool.submit(pool.task('poll'), [300]));
      const aborted = pool.submit(pool.task('waitForAbort'), []);
      await until(() => polls.every((f) => f.state === 'RUNNING') && aborted.state === 'RUNNING', 'all four running');
      polls[1]!.cancel();
      await assert.rejects(polls[1]!.result(), CancelledError);
      assert.equal(polls[0]!.done(), false);
      assert.equal(aborted.done(), false, 'the other signal did not abort');
      const timed = pool.submit(pool.task('poll'), [5000], { runTimeout: 50 });
      await assert.rejects(timed.result(), TimeoutError);
      assert.ok((await polls[0]!) > 0);
      assert.ok((await polls[2]!) > 0);
      aborted.cancel();
      await assert.rejects(aborted.result(), CancelledError);
      assert.equal(pool.stats().killed, 0);
    });

    it('a stubborn task among awaiting ones is killed alone; the awaiting ones started there fail with WorkerCrashError', async () => {
      const pool = open({ maxWorkers: 1, asyncTasksPerWorker: 2, killAfter: 100 });
      const waiting = pool.submit(pool.task('sleepy'), [5000]);
      await until(() => waiting.state === 'RUNNING');
      const stubborn = pool.submit(pool.task('stubborn'), [60_000]);
      await until(() => stubborn.state === 'RUNNING');
      const queued = pool.submit(pool.task('add'), [1, 1]);
      stubborn.cancel();
      await assert.rejects(stubborn.result(), CancelledError);
      // It had started in the killed worker: what it was doing is lost, and it says so.
      await assert.rejects(waiting.result(), (e: Error) => e instanceof WorkerCrashError && /task 'sleepy': its worker died: the pool terminated it because task 'stubborn' ignored its stop bit for 100 ms/.test(e.message));
      assert.equal(await queued, 2, 'the task that had not started ran on the replacement');
      assert.equal(pool.stats().killed, 1);
    });

    it('rejects bad values, naming the option', () => {
      for (const bad of [0, -1, 1.5, Infinity]) assert.throws(() => new WorkerPool({ asyncTasksPerWorker: bad }), RangeError, String(bad));
      for (const bad of ['2', NaN, null, {}]) assert.throws(() => new WorkerPool({ asyncTasksPerWorker: bad as never }), /asyncTasksPerWorker must be a number/);
    });
  });

  describe('kernel.runSync after an await', () => {
    for (const asyncTasksPerWorker of [1, 3]) {
      it(`stops with its task on cancel and deadline, without a kill (asyncTasksPerWorker ${asyncTasksPerWorker})`, async () => {
        const pool = open({ maxWorkers: 1, asyncTasksPerWorker, killAfter: Infinity });
        const f = pool.submit(pool.task('nativeAfterAwait'), [10, 60_000]);
        await until(() => f.state === 'RUNNING');
        await sleep(150); // past the await, inside the kernel by now
        f.cancel();
        await assert.rejects(f.result(), CancelledError);
        await assert.rejects(pool.submit(pool.task('nativeAfterAwait'), [10, 60_000], { timeout: 150 }).result(), TimeoutError);
        assert.equal(pool.stats().killed, 0);
      });
    }

    it('with several tasks awaiting, each kernel reads its own task\'s word', async () => {
      const pool = open({ maxWorkers: 1, asyncTasksPerWorker: 3, killAfter: Infinity });
      // Both reach their kernel after their await; only the first is cancelled, and the
      // second's kernel must neither see that bit nor miss its own deadline.
      const cancelled = pool.submit(pool.task('nativeAfterAwait'), [5, 60_000]);
      const finishes = pool.submit(pool.task('nativeAfterAwait'), [20, 200]);
      const timedOut = pool.submit(pool.task('nativeAfterAwait'), [30, 60_000], { runTimeout: 400 });
      await until(() => cancelled.state === 'RUNNING' && finishes.state === 'RUNNING');
      await sleep(100);
      cancelled.cancel();
      await assert.rejects(cancelled.result(), CancelledError);
      assert.ok((await finishes) > 0, 'the other task\'s kernel ran to its end');
      await assert.rejects(timedOut.result(), TimeoutError);
      assert.equal(pool.stats().killed, 0);
    });

    it('runSync from a timer callback inside an async task runs to its end', async () => {
      const pool = open({ maxWorkers: 1 });
      const r = await pool.submit(
        (_ctx: WorkerTaskContext, entry: string) => {
          // Started by a timer after the task returned: it belongs to no task.
          const { kernels } = require(entry) as typeof import('../lib/index');
          return new Promise<number>((resolve) => setTimeout(() => resolve(kernels.spin.runSync([20]) > 0 ? 1 : 0), 5));
        },
        [path.join(__dirname, '../lib/index.ts')],
      );
      assert.equal(r, 1);
    });
  });

  describe('breaker', () => {
    it('trips after `crashes` crashes within `windowMs`, saying so', async () => {
      const pool = open({ maxWorkers: 1, breaker: { crashes: 2, windowMs: 60_000 } });
      await assert.rejects(pool.submit(pool.task('crash'), []).result(), WorkerCrashError);
      assert.equal(await pool.submit(pool.task('add'), [1, 1]), 2, 'one crash does not trip it');
      await assert.rejects(pool.submit(pool.task('crash'), []).result(), WorkerCrashError);
      await until(() => {
        try {
          pool.submit(pool.task('add'), [1, 1]).cancel();
          return false;
        } catch (e) {
          return e instanceof WorkerCrashError;
        }
      }, 'breaker');
      assert.throws(() => pool.submit(pool.task('add'), [1, 1]), /2 workers crashed within 60000 ms \(breaker: \{ crashes: 2, windowMs: 60000 \}\), so it stopped restarting/);
    });

    it('crashes: Infinity never trips; crashes outside the window do not count', async () => {
      const never = open({ maxWorkers: 1, breaker: { crashes: Infinity } });
      for (let i = 0; i < 7; i++) await assert.rejects(never.submit(never.task('crash'), []).result(), WorkerCrashError);
      assert.equal(await never.submit(never.task('add'), [2, 2]), 4);
      assert.equal(never.stats().crashed, 7);
      const short = open({ maxWorkers: 1, breaker: { crashes: 2, windowMs: 50 } });
      for (let i = 0; i < 3; i++) {
        await assert.rejects(short.submit(short.task('crash'), []).result(), WorkerCrashError);
        await sleep(120);
      }
      assert.equal(await short.submit(short.task('add'), [3, 3]), 6);
    });

    it('rejects bad values, naming the option', () => {
      assert.throws(() => new WorkerPool({ breaker: { crashes: 0 } }), /breaker.crashes must be >= 1/);
      assert.throws(() => new WorkerPool({ breaker: { crashes: 2.5 } }), /breaker.crashes must be an integer/);
      assert.throws(() => new WorkerPool({ breaker: { crashes: '5' as never } }), /breaker.crashes must be a number/);
      assert.throws(() => new WorkerPool({ breaker: { windowMs: -1 } }), /breaker.windowMs must be >= 0/);
      assert.throws(() => new WorkerPool({ breaker: { windowMs: 0 } }), /breaker.windowMs must be > 0/);
      assert.throws(() => new WorkerPool({ breaker: { windowMs: NaN } }), /breaker.windowMs must be a number/);
      assert.throws(() => new WorkerPool({ breaker: { crash: 1 } as never }), /unknown option 'crash'/);
      assert.throws(() => new WorkerPool({ breaker: null as never }), /breaker options must be an object/);
      assert.throws(() => new WorkerPool({ breaker: 5 as never }), /breaker options must be an object/);
    });
  });

  describe('durations', () => {
    it('killAfter and idleTimeout: Infinity mean never (they fell back to the defaults)', async () => {
      const pool = open({ maxWorkers: 1, killAfter: Infinity, idleTimeout: Infinity });
      assert.equal(pool.killAfter, Infinity);
      assert.equal(pool.idleTimeout, Infinity);
      const f = pool.submit(pool.task('stubborn'), [1500]);
      await until(() => f.state === 'RUNNING');
      f.cancel(); // ignored by the task; with killAfter 1000 it would be killed at 1 s
      await assert.rejects(f.result(), CancelledError);
      assert.equal(pool.stats().killed, 0);
      assert.equal(pool.stats().workers, 1);
      assert.throws(() => new WorkerPool({ idleTimeout: 2 ** 31 }), /idleTimeout must be <= 2147483647 ms \(24.8 days\) or Infinity/);
    });

    it('a timeout longer than one setTimeout holds is honoured, here and in the deadline thread', async () => {
      const pool = open({ maxWorkers: 1 });
      const warnings = await catchWarnings(async () => {
        // A checkpointing task: a deadline raised early (a timer clamped to 1 ms) would stop it.
        assert.equal(await pool.submit(pool.task('spin'), [100], { timeout: 2 ** 31 + 1000 }), 100);
        assert.equal(await pool.submit(pool.task('spin'), [100], { runTimeout: 2 ** 32 }), 100);
      });
      assert.deepEqual(warnings.map((w) => w.name), []);
    });
  });
});
