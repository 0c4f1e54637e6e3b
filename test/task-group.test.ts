// TaskGroup: structured concurrency like asyncio.TaskGroup. All results in submission
// order, or the first failure with the rest cancelled and later failures attached.
import { strict as assert } from 'node:assert';

import { CancelledError, CorepoolError, Future, kernels, NativePool, TaskGroup, TimeoutError } from '../lib/index';

describe('TaskGroup', () => {
  let pool: NativePool;
  beforeEach(() => {
    pool = new NativePool({ maxWorkers: 2, name: 'group' });
  });
  afterEach(() => pool.shutdown({ cancelFutures: true, cancelRunning: true }));

  it('wait() resolves with the results in submission order', async () => {
    const group = new TaskGroup();
    group.submit(pool, kernels.sleep, [80]);
    group.submit(pool, kernels.countPrimes, [0, 100]);
    group.submit(pool, kernels.isPrime, [9]);
    assert.deepEqual(await group.wait(), [undefined, 25, false]);
  });

  it('submit returns the task Future', async () => {
    const group = new TaskGroup<number>();
    const f = group.submit(pool, kernels.sumRange, [5]);
    assert.equal(await f, 10);
    assert.deepEqual(await group.wait(), [10]);
  });

  it('an empty group resolves with []', async () => {
    assert.deepEqual(await new TaskGroup().wait(), []);
  });

  it('a member cancelled by the user does not cancel the others; wait() rejects with its CancelledError once they ended', async () => {
    const group = new TaskGroup();
    const sibling = group.submit(pool, kernels.sleep, [150]);
    const mine = group.submit(pool, kernels.spin, [10_000]);
    assert.equal(mine.cancel(), true);
    const error = await group.wait().then(() => assert.fail('wait() resolved'), (e: unknown) => e);
    assert.ok(error instanceof CancelledError, `rejected with ${String(error)}`);
    assert.equal(sibling.state, 'FINISHED', 'the sibling ran to its end');
  });

  it('the first failure cancels the rest and wait() rejects with it', async () => {
    const group = new TaskGroup();
    const long = group.submit(pool, kernels.spin, [10_000]);
    const failing = group.submit(pool, kernels.spin, [10_000], { timeout: 50 });
    const queued = group.submit(pool, kernels.spin, [10_000]);
    const t0 = performance.now();
    const error = await group.wait().then(() => assert.fail('wait() resolved'), (e: unknown) => e);
    assert.ok(error instanceof TimeoutError, `rejected with ${String(error)}`);
    assert.equal(error, await failing.exception());
    assert.ok(performance.now() - t0 < 3000, 'the rest was not cancelled');
    assert.equal(long.state, 'CANCELLED');
    assert.equal(queued.state, 'CANCELLED');
    assert.equal(failing.state, 'FINISHED');
  });

  it('later failures are attached as cause, an AggregateError', async () => {
    // A native task cancelled by the group always ends CANCELLED, so later failures come
    // from tasks that cannot be stopped. A minimal executor stands for such a pool: its
    // tasks refuse cancel() and fail when told to.
    const unstoppable = {
      settle: [] as ((e: Error) => void)[],
      submit(_task: unknown, _args: readonly unknown[]): Future<unknown> {
        // The public seam for Executors written outside corepool.
        const { future, setException } = Future.withResolvers<unknown>('unstoppable', { liveState: () => 'RUNNING', cancel: () => false });
        this.settle.push(setException);
        return future;
      },
    };
    const group = new TaskGroup();
    group.submit(unstoppable, 'a', []);
    group.submit(unstoppable, 'b', []);
    group.submit(unstoppable, 'c', []);
    const native = group.submit(pool, kernels.spin, [10_000]);
    const waiting = group.wait().then(
      () => assert.fail('wait() resolved'),
      (e: Error) => e,
    );
    const [first, second, third] = [new RangeError('first'), new TypeError('second'), new Error('third')];
    unstoppable.settle[1]!(first);
    unstoppable.settle[0]!(second);
    unstoppable.settle[2]!(third);
    const err = await waiting;
    assert.equal(err, first);
    const cause = err.cause;
    assert.ok(cause instanceof AggregateError, `cause is ${String(cause)}`);
    assert.deepEqual(cause.errors, [second, third]);
    assert.match(cause.message, /2 more/);
    assert.equal(native.state, 'CANCELLED'); // the one that could be stopped was
  });

  it('tasks failing in one batch: the first is reported, the others end CANCELLED', async () => {
    // Deadlines of 0 ms: all three fail before running, their completions arrive together.
    // The first failure's cancel() reaches the others before they are settled.
    const group = new TaskGroup();
    const fs = [0, 1, 2].map(() => group.submit(pool, kernels.spin, [10], { timeout: 0 }));
    await assert.rejects(group.wait(), TimeoutError);
    const states = fs.map((f) => f.state).sort();
    assert.equal(states.filter((s) => s === 'FINISHED').length >= 1, true);
    assert.ok(states.every((s) => s === 'FINISHED' || s === 'CANCELLED'));
  });

  it('a single failure has no cause attached', async () => {
    const group = new TaskGroup();
    group.submit(pool, kernels.sleep, [20]);
    group.submit(pool, kernels.spin, [10_000], { timeout: 20 });
    const err = await group.wait().then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.cause, undefined);
  });

  it('a task cancelled from outside is not a group failure', async () => {
    const group = new TaskGroup();
    const f = group.submit(pool, kernels.spin, [10_000]);
    group.submit(pool, kernels.isPrime, [5]);
    f.cancel();
    // wait() then reports the cancellation when it collects the results.
    await assert.rejects(group.wait(), CancelledError);
  });

  it('refuses submits once failed or finished', async () => {
    const failedGroup = new TaskGroup();
    failedGroup.submit(pool, kernels.spin, [10], { timeout: 0 });
    await assert.rejects(failedGroup.wait(), TimeoutError);
    assert.throws(() => failedGroup.submit(pool, kernels.noop, []), CorepoolError);
    const doneGroup = new TaskGroup();
    doneGroup.submit(pool, kernels.noop, []);
    await doneGroup.wait();
    assert.throws(() => doneGroup.submit(pool, kernels.noop, []), (e: Error) => e instanceof CorepoolError && /finished/.test(e.message));
  });

  it('refuses a pool that is not an executor', () => {
    assert.throws(() => new TaskGroup().submit({} as NativePool, kernels.noop, []), (e: Error) => e instanceof TypeError && /pool/.test(e.message));
  });

  it('spans several pools', async () => {
    const other = new NativePool({ maxWorkers: 1, name: 'group2' });
    try {
      const group = new TaskGroup();
      group.submit(pool, kernels.isPrime, [7]);
      group.submit(other, kernels.isPrime, [8]);
      assert.deepEqual(await group.wait(), [true, false]);
    } finally {
      await other.shutdown();
    }
  });

  it('await using waits for the group on scope exit', async () => {
    const futures: PromiseLike<unknown>[] = [];
    let dones = 0;
    {
      await using group = new TaskGroup();
      for (let i = 0; i < 3; i++) {
        const f = group.submit(pool, kernels.sleep, [40]);
        f.addDoneCallback(() => dones++);
        futures.push(f);
      }
      assert.equal(dones, 0);
    }
    assert.equal(dones, 3);
  });

  it('await using rethrows the first failure on scope exit', async () => {
    let other: { state: string } | undefined;
    await assert.rejects(async () => {
      await using group = new TaskGroup();
      other = group.submit(pool, kernels.spin, [10_000]);
      group.submit(pool, kernels.spin, [10_000], { timeout: 30 });
    }, TimeoutError);
    assert.equal(other!.state, 'CANCELLED');
  });
});
