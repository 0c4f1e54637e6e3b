// The Executor conformance suite: what every pool promises through the shared interface
// (states, cancel of queued and running tasks, deadlines, map order, asCompleted, wait,
// TaskGroup, shutdown), written once and run against each pool by test/conformance.test.ts.
// A pool joins by giving a ConformanceTarget: a pool factory and four kinds of task.
import { strict as assert } from 'node:assert';

import { asCompleted, CancelledError, PoolShutdownError, TaskGroup, TimeoutError, wait } from '../../lib/index';
import type { Executor, Future, SubmitOptions } from '../../lib/index';
import { until } from '../helpers';

/** One submission: what to pass to `pool.submit(task, args, options)`. */
export interface Job {
  task: unknown;
  args: readonly unknown[];
  options?: SubmitOptions;
}

export interface ConformanceTarget {
  name: string;
  /** A fresh pool that runs at most `parallelism` tasks at once. */
  makePool(parallelism: number): Executor<unknown>;
  /** A quick task whose result is `expected` (different for different `i`). */
  makeTask(i: number): Job & { expected: unknown };
  /** A task that keeps running until cancelled or past its deadline, and stops when told. */
  makeSlowTask(): Job;
  /** A task whose Future ends FINISHED with an error that `isExpected` accepts. */
  makeFailingTask(): Job & { isExpected(error: unknown): boolean };
  /** A one-argument task for map(): the result for `item` is `expected(item)`. Items are small
   * non-negative integers, and items that come first take longer, so order is tested. */
  mapTask: { task: unknown; expected(item: number): unknown };
}

const submit = (pool: Executor<unknown>, job: Job): Future<unknown> => pool.submit(job.task, job.args, job.options);

export function executorConformance(target: ConformanceTarget): void {
  describe(`Executor conformance: ${target.name}`, function () {
    this.timeout(20_000);
    let pools: Executor<unknown>[] = [];
    const pool = (parallelism = 2): Executor<unknown> => {
      const p = target.makePool(parallelism);
      pools.push(p);
      return p;
    };
    afterEach(async () => {
      const ending = pools;
      pools = [];
      await Promise.all(ending.map((p) => p.shutdown({ cancelFutures: true, cancelRunning: true })));
    });

    describe('states', () => {
      it('a task goes PENDING or RUNNING, then FINISHED with its result', async () => {
        const p = pool();
        const job = target.makeTask(7);
        const f = submit(p, job);
        assert.ok(f.state === 'PENDING' || f.state === 'RUNNING', f.state);
        assert.equal(f.done(), false);
        assert.deepEqual(await f, job.expected);
        assert.equal(f.state, 'FINISHED');
        assert.equal(f.done(), true);
        assert.equal(f.cancelled(), false);
        assert.equal(await f.exception(), undefined);
        assert.deepEqual(await f.result(), job.expected);
      });

      it('a queued task is PENDING while a running one is RUNNING', async () => {
        const p = pool(1);
        const running = submit(p, target.makeSlowTask());
        const queued = submit(p, target.makeTask(1));
        await until(() => running.running(), 'the slow task to start');
        assert.equal(queued.state, 'PENDING');
        assert.equal(running.cancel(), true);
        await assert.rejects(running.result(), CancelledError);
        assert.deepEqual(await queued, target.makeTask(1).expected);
      });

      it('a failing task ends FINISHED with its error, from result() and exception()', async () => {
        const p = pool();
        const job = target.makeFailingTask();
        const f = submit(p, job);
        const error = await f.exception();
        assert.ok(job.isExpected(error), `unexpected error ${String(error)}`);
        assert.equal(f.state, 'FINISHED');
        assert.equal(f.cancelled(), false);
        await assert.rejects(f.result(), (e) => e === error);
        await assert.rejects(Promise.resolve(f), (e) => e === error);
      });

      it('a done callback runs once, after the Future is done', async () => {
        const p = pool();
        const f = submit(p, target.makeTask(3));
        const seen: string[] = [];
        f.addDoneCallback((g) => seen.push(g.state));
        await f;
        await until(() => seen.length > 0, 'the callback');
        f.addDoneCallback((g) => seen.push(`late ${g.state}`)); // already done: runs at once
        await until(() => seen.length > 1, 'the late callback');
        assert.deepEqual(seen, ['FINISHED', 'late FINISHED']);
      });
    });

    describe('cancel', () => {
      it('a queued task is CANCELLED at once and never runs', async () => {
        const p = pool(1);
        const blocker = submit(p, target.makeSlowTask());
        const queued = submit(p, target.makeTask(2));
        assert.equal(queued.cancel(), true);
        assert.equal(queued.state, 'CANCELLED');
        assert.equal(queued.cancelled(), true);
        await assert.rejects(queued.result(), CancelledError);
        assert.ok((await queued.exception()) instanceof CancelledError, 'exception() gives the CancelledError');
        blocker.cancel();
        await assert.rejects(blocker.result(), CancelledError);
      });

      it('a running task stops when cancelled and ends CANCELLED; the pool goes on', async () => {
        const p = pool(1);
        const f = submit(p, target.makeSlowTask());
        await until(() => f.running(), 'the slow task to start');
        assert.equal(f.cancel(), true);
        assert.equal(f.cancelRequested, true);
        await assert.rejects(f.result(), CancelledError);
        assert.equal(f.state, 'CANCELLED');
        const next = target.makeTask(5);
        assert.deepEqual(await submit(p, next), next.expected); // its one slot came back
      });

      it('cancel() of a done Future returns false and changes nothing', async () => {
        const p = pool();
        const job = target.makeTask(4);
        const f = submit(p, job);
        await f;
        assert.equal(f.cancel(), false);
        assert.equal(f.state, 'FINISHED');
        assert.deepEqual(await f, job.expected);
      });

      it('an aborted signal cancels a running task, an already-aborted one at submit', async () => {
        const p = pool(1);
        const ac = new AbortController();
        const slow = target.makeSlowTask();
        const f = p.submit(slow.task, slow.args, { ...slow.options, signal: ac.signal });
        await until(() => f.running(), 'the slow task to start');
        ac.abort();
        await assert.rejects(f.result(), CancelledError);
        const job = target.makeTask(6);
        const g = p.submit(job.task, job.args, { signal: AbortSignal.abort() });
        await assert.rejects(g.result(), CancelledError);
        assert.equal(g.state, 'CANCELLED');
      });
    });

    describe('timeouts', () => {
      it('submit timeout stops a running task with TimeoutError (FINISHED, not CANCELLED)', async () => {
        const p = pool(1);
        const slow = target.makeSlowTask();
        const f = p.submit(slow.task, slow.args, { ...slow.options, timeout: 50 });
        await assert.rejects(f.result(), TimeoutError);
        assert.equal(f.state, 'FINISHED');
        const next = target.makeTask(8);
        assert.deepEqual(await submit(p, next), next.expected);
      });

      it('a queued task past its timeout never runs', async () => {
        const p = pool(1);
        const blocker = submit(p, target.makeSlowTask());
        // Running before the deadline starts counting (a WorkerPool's worker takes tens of ms to start).
        await until(() => blocker.state === 'RUNNING', 'the blocker running');
        const job = target.makeTask(9);
        const queued = p.submit(job.task, job.args, { timeout: 30 });
        await assert.rejects(queued.result(), TimeoutError);
        assert.equal(blocker.state, 'RUNNING');
        blocker.cancel();
        await assert.rejects(blocker.result(), CancelledError);
      });

      it('result({ timeout }) only stops waiting: the task runs on', async () => {
        const p = pool(1);
        const f = submit(p, target.makeSlowTask());
        await assert.rejects(f.result({ timeout: 20 }), TimeoutError);
        assert.equal(f.done(), false);
        f.cancel();
        await assert.rejects(f.result(), CancelledError);
      });
    });

    describe('map', () => {
      it('yields results in input order, not completion order', async () => {
        const p = pool(2);
        const items = [6, 5, 4, 3, 2, 1, 0, 7, 8, 9];
        const out: unknown[] = [];
        for await (const r of p.map(target.mapTask.task, items)) out.push(r);
        assert.deepEqual(out, items.map((i) => target.mapTask.expected(i)));
      });

      it('takes an async iterable and yields nothing for an empty input', async () => {
        const p = pool(2);
        async function* gen(): AsyncGenerator<number> {
          for (const i of [3, 1, 2]) yield i;
        }
        const out: unknown[] = [];
        for await (const r of p.map(target.mapTask.task, gen(), { chunksize: 2 })) out.push(r);
        assert.deepEqual(out, [3, 1, 2].map((i) => target.mapTask.expected(i)));
        for await (const r of p.map(target.mapTask.task, [])) assert.fail(`yielded ${String(r)}`);
      });

      it('an aborted signal rejects the iteration with CancelledError', async () => {
        const p = pool(1);
        const it = p.map(target.mapTask.task, [1, 2, 3], { signal: AbortSignal.abort() });
        await assert.rejects(it.next(), CancelledError);
      });
    });

    describe('mapChunks', () => {
      const expect = (items: number[]): unknown[] => items.map((i) => target.mapTask.expected(i));

      it('yields each chunk as one array, in input order; the last chunk may be shorter', async () => {
        const p = pool(2);
        const items = [6, 5, 4, 3, 2, 1, 0, 7, 8, 9];
        const chunks: unknown[][] = [];
        for await (const chunk of p.mapChunks(target.mapTask.task, items, { chunksize: 3 })) {
          assert.ok(Array.isArray(chunk), `a chunk is a plain array, got ${String(chunk)}`);
          chunks.push(chunk);
        }
        assert.deepEqual(chunks.map((c) => c.length), [3, 3, 3, 1]);
        assert.deepEqual(chunks, [expect([6, 5, 4]), expect([3, 2, 1]), expect([0, 7, 8]), expect([9])]);
      });

      it('with the default chunksize, one array per item; async input; nothing for an empty one', async () => {
        const p = pool(2);
        async function* gen(): AsyncGenerator<number> {
          for (const i of [3, 1, 2]) yield i;
        }
        const chunks: unknown[][] = [];
        for await (const chunk of p.mapChunks(target.mapTask.task, gen())) chunks.push(chunk);
        assert.deepEqual(chunks, [expect([3]), expect([1]), expect([2])]);
        for await (const c of p.mapChunks(target.mapTask.task, [])) assert.fail(`yielded ${String(c)}`);
      });

      it('bad options throw at the call; an aborted signal and a passed timeout reject the iteration', async () => {
        const p = pool(1);
        assert.throws(() => p.mapChunks(target.mapTask.task, [1], { chunksize: 0 }), RangeError);
        assert.throws(() => p.mapChunks(target.mapTask.task, [1], { chunksize: 2, bogus: 1 } as never), TypeError);
        await assert.rejects(p.mapChunks(target.mapTask.task, [1, 2, 3], { signal: AbortSignal.abort() }).next(), CancelledError);
        await assert.rejects(p.mapChunks(target.mapTask.task, [1, 2, 3], { timeout: 0 }).next(), TimeoutError);
      });

      it('break after the first chunk closes the input and leaves the pool usable', async () => {
        const p = pool(1);
        let closed = false;
        function* items(): Generator<number> {
          try {
            for (let i = 0; ; i++) yield i % 10;
          } finally {
            closed = true;
          }
        }
        for await (const chunk of p.mapChunks(target.mapTask.task, items(), { chunksize: 2, buffersize: 4 })) {
          assert.deepEqual(chunk, expect([0, 1]));
          break;
        }
        assert.equal(closed, true);
        const job = target.makeTask(3);
        assert.deepEqual(await submit(p, job), job.expected);
      });
    });

    describe('asCompleted and wait', () => {
      it('asCompleted yields each Future once, as it completes', async () => {
        const p = pool(1);
        const slow = submit(p, target.makeSlowTask());
        const quick = [1, 2, 3].map((i) => submit(p, target.makeTask(i)));
        const it = asCompleted<unknown>([slow, ...quick]);
        const order: Future<unknown>[] = [];
        slow.cancel(); // a running task: it ends at its next checkpoint, before the queued ones
        for await (const f of it) order.push(f.future);
        assert.equal(order.length, 4);
        assert.deepEqual(new Set(order), new Set([slow, ...quick]));
        for (const f of order) assert.ok(f.done());
      });

      it('asCompleted with a timeout rejects with TimeoutError when a Future is late', async () => {
        const p = pool(1);
        const slow = submit(p, target.makeSlowTask());
        const it = asCompleted([slow], { timeout: 30 });
        await assert.rejects(it.next(), TimeoutError);
        slow.cancel();
      });

      it('wait ALL_COMPLETED, FIRST_COMPLETED and FIRST_EXCEPTION', async () => {
        const p = pool(2);
        const quick = submit(p, target.makeTask(1));
        const slow = submit(p, target.makeSlowTask());
        const first = await wait([quick, slow], { returnWhen: 'FIRST_COMPLETED' });
        assert.ok(first.done.has(quick));
        assert.ok(first.notDone.has(slow));

        const failing = submit(p, target.makeFailingTask());
        const exc = await wait([slow, failing], { returnWhen: 'FIRST_EXCEPTION' });
        assert.ok(exc.done.has(failing));
        assert.ok(exc.notDone.has(slow));

        const timedOut = await wait([slow], { timeout: 20 });
        assert.equal(timedOut.notDone.size, 1);

        slow.cancel();
        const all = await wait([quick, slow, failing]);
        assert.equal(all.done.size, 3);
        assert.equal(all.notDone.size, 0);
        assert.ok(target.makeFailingTask().isExpected(await failing.exception()));
      });
    });

    describe('TaskGroup', () => {
      it('wait() gives every result in submission order', async () => {
        const p = pool(2);
        const group = new TaskGroup();
        const jobs = [3, 1, 2].map((i) => target.makeTask(i));
        for (const job of jobs) group.submit(p, job.task, job.args);
        assert.deepEqual(await group.wait(), jobs.map((j) => j.expected));
      });

      it('the first failure cancels the rest and wait() rejects with it', async () => {
        const p = pool(2);
        const group = new TaskGroup();
        const running = group.submit(p, target.makeSlowTask().task, target.makeSlowTask().args);
        const failing = target.makeFailingTask();
        const failed = group.submit(p, failing.task, failing.args, failing.options);
        const queued = group.submit(p, target.makeSlowTask().task, target.makeSlowTask().args);
        const error = await group.wait().then(() => assert.fail('wait() resolved'), (e: unknown) => e);
        assert.ok(failing.isExpected(error), `unexpected error ${String(error)}`);
        assert.equal(error, await failed.exception());
        assert.equal(running.state, 'CANCELLED');
        assert.equal(queued.state, 'CANCELLED');
      });
    });

    describe('shutdown', () => {
      it('waits for running and queued tasks by default, then refuses new ones', async () => {
        const p = pool(1);
        const jobs = [1, 2, 3].map((i) => target.makeTask(i));
        const futures = jobs.map((j) => submit(p, j));
        const done = p.shutdown();
        const job = target.makeTask(4);
        assert.throws(() => p.submit(job.task, job.args), PoolShutdownError);
        await done;
        for (const [i, f] of futures.entries()) {
          assert.equal(f.state, 'FINISHED');
          assert.deepEqual(await f, jobs[i]!.expected);
        }
        await assert.rejects(p.map(target.mapTask.task, [1]).next(), PoolShutdownError);
      });

      it('cancelFutures cancels the queued tasks; cancelRunning stops the running one', async () => {
        const p = pool(1);
        const running = submit(p, target.makeSlowTask());
        const queued = submit(p, target.makeTask(1));
        await until(() => running.running(), 'the slow task to start');
        await p.shutdown({ cancelFutures: true, cancelRunning: true });
        assert.equal(queued.state, 'CANCELLED');
        assert.equal(running.state, 'CANCELLED');
      });

      it('shutdown is idempotent, and await using shuts the pool down', async () => {
        let escaped: Executor<unknown> | undefined;
        {
          await using p = target.makePool(1);
          escaped = p;
          const job = target.makeTask(2);
          assert.deepEqual(await submit(p, job), job.expected);
        }
        const job = target.makeTask(3);
        assert.throws(() => escaped.submit(job.task, job.args), PoolShutdownError);
        await escaped.shutdown();
        await escaped.shutdown({ cancelFutures: true });
      });
    });
  });
}
