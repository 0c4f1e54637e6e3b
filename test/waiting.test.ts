// asCompleted and wait: Python's as_completed and wait over Futures, with their timeout
// semantics (asCompleted rejects, wait returns what it has).
import { strict as assert } from 'node:assert';

import { asCompleted, Future, FutureHandle, kernels, NativePool, TimeoutError, wait } from '../lib/index';

// Hands `fn` the Future of each handle asCompleted yields.
async function each<T>(it: AsyncIterableIterator<FutureHandle<T>>, fn: (f: Future<T>) => void): Promise<void> {
  for await (const handle of it) fn(handle.future);
}

describe('waiting on many futures', () => {
  let pool: NativePool;
  beforeEach(() => {
    pool = new NativePool({ maxWorkers: 4, name: 'wait' });
  });
  afterEach(() => pool.shutdown({ cancelFutures: true, cancelRunning: true }));

  describe('asCompleted', () => {
    it('yields handles of the Futures themselves, in completion order', async () => {
      const fs = [150, 10, 80].map((ms) => pool.submit(kernels.sleep, [ms]));
      const order: number[] = [];
      for await (const f of asCompleted(fs)) {
        assert.ok(f instanceof FutureHandle);
        assert.ok(f.done());
        assert.equal(f.state, 'FINISHED');
        assert.equal(f.future.handle, f, 'one handle per Future');
        assert.equal(await f.result(), undefined);
        order.push(fs.indexOf(f.future));
      }
      assert.deepEqual(order, [1, 2, 0]);
    });

    it('yields already-done futures first, each once even if listed twice', async () => {
      const done = Future.resolved('r', 1);
      const slow = pool.submit(kernels.sleep, [50]);
      const seen: Future<unknown>[] = [];
      await each(asCompleted<unknown>([slow, done, done]), (f) => seen.push(f));
      assert.deepEqual(seen, [done, slow]);
    });

    it('includes cancelled and failed futures', async () => {
      const ok = pool.submit(kernels.sleep, [60]);
      const cancelled = pool.submit(kernels.spin, [10_000]);
      const failed = pool.submit(kernels.spin, [10_000], { timeout: 20 });
      setTimeout(() => cancelled.cancel(), 5);
      const states: string[] = [];
      await each(asCompleted<unknown>([ok, cancelled, failed]), (f) => states.push(f.state));
      assert.deepEqual(states, ['CANCELLED', 'FINISHED', 'FINISHED']);
      assert.ok((await failed.exception()) instanceof TimeoutError);
    });

    it('rejects with TimeoutError after the timeout, having yielded what finished', async () => {
      const quick = pool.submit(kernels.sleep, [10]);
      const slow = pool.submit(kernels.sleep, [400]);
      const seen: Future<unknown>[] = [];
      const t0 = performance.now();
      await assert.rejects(each(asCompleted<unknown>([quick, slow], { timeout: 100 }), (f) => seen.push(f)), (e: Error) => e instanceof TimeoutError && /1 \(of 2\)/.test(e.message));
      const elapsed = performance.now() - t0;
      assert.deepEqual(seen, [quick]);
      assert.ok(elapsed >= 95 && elapsed < 350, `rejected after ${elapsed.toFixed(0)} ms`);
      // The timeout only ends the wait: the task goes on.
      assert.equal(slow.cancelled(), false);
      assert.equal(await slow, undefined);
    });

    it('an empty list completes at once; break stops early', async () => {
      for await (const _ of asCompleted([])) assert.fail('nothing to yield');
      const fs = [pool.submit(kernels.noop, []), pool.submit(kernels.noop, [])];
      let n = 0;
      for await (const _ of asCompleted(fs)) {
        n++;
        break;
      }
      assert.equal(n, 1);
    });

    it('refuses what is not an iterable of Futures', () => {
      assert.throws(() => asCompleted(42 as never), TypeError);
      assert.throws(() => asCompleted([Promise.resolve(1)] as never), (e: Error) => e instanceof TypeError && /Future/.test(e.message));
      assert.throws(() => asCompleted([], { timeout: -1 }), (e: Error) => e instanceof RangeError && /timeout/.test(e.message));
    });
  });

  describe('wait', () => {
    it('reads an array by its own iterator when it has one, and names the first item that is not a Future', async () => {
      const fs = [pool.submit(kernels.sleep, [5]), pool.submit(kernels.sleep, [5])];
      const only = [fs[0]!];
      (only as unknown as { [Symbol.iterator]: () => Iterator<unknown> })[Symbol.iterator] = function* () {
        yield fs[1];
      };
      const { done } = await wait(only);
      assert.deepEqual([...done], [fs[1]], 'the iterator, not the indices');
      assert.throws(() => wait([fs[0]!, 42 as unknown as Future<unknown>]), /wait: every item must be a Future, got number 42/);
      const holey = new Array<Future<unknown>>(2);
      holey[1] = fs[0]!;
      assert.throws(() => wait(holey), /wait: every item must be a Future, got undefined/);
      await wait(fs);
    });
    it('a future listed twice is waited for and returned once, in every returnWhen', async () => {
      for (const returnWhen of ['ALL_COMPLETED', 'FIRST_COMPLETED', 'FIRST_EXCEPTION'] as const) {
        const slow = pool.submit(kernels.sleep, [40]);
        const quick = pool.submit(kernels.sleep, [5]);
        const all = await wait([slow, quick, slow, quick], { returnWhen });
        if (returnWhen === 'FIRST_COMPLETED') {
          assert.ok(all.done.has(quick) && all.done.size + all.notDone.size === 2, returnWhen);
          await slow;
        } else {
          assert.ok(slow.done() && quick.done(), `${returnWhen}: returned before both were done`);
          assert.deepEqual([...all.done], [slow, quick], returnWhen);
          assert.equal(all.notDone.size, 0);
        }
      }
      const twice = await wait([Future.resolved('r', 1), pool.submit(kernels.noop, [])].flatMap((f) => [f, f]));
      assert.equal(twice.done.size, 2);
      assert.equal(twice.done, twice.done, 'done is one Set, the same each time it is read');
      twice.done = new Set();
      assert.equal(twice.done.size, 0, 'done stays assignable, as a plain property is');
      assert.deepEqual(Object.keys({ ...twice }).sort(), ['done', 'notDone']);
    });
    it('ALL_COMPLETED (the default) waits for every future', async () => {
      const fs = [30, 60, 90].map((ms) => pool.submit(kernels.sleep, [ms]));
      const { done, notDone } = await wait(fs);
      assert.equal(done.size, 3);
      assert.equal(notDone.size, 0);
      assert.ok(fs.every((f) => f.done()));
    });

    it('FIRST_COMPLETED returns when one is done', async () => {
      const quick = pool.submit(kernels.sleep, [10]);
      const slow = pool.submit(kernels.sleep, [300]);
      const { done, notDone } = await wait<unknown>([slow, quick], { returnWhen: 'FIRST_COMPLETED' });
      assert.ok(!slow.done(), 'returned when the first was done, not the slow one');
      assert.deepEqual([...done], [quick]);
      assert.deepEqual([...notDone], [slow]);
    });

    it('FIRST_EXCEPTION returns at the first failure', async () => {
      const failing = pool.submit(kernels.spin, [10_000], { timeout: 30 });
      const slow = pool.submit(kernels.sleep, [400]);
      const ok = pool.submit(kernels.noop, []);
      const t0 = performance.now();
      const { done, notDone } = await wait<unknown>([failing, slow, ok], { returnWhen: 'FIRST_EXCEPTION' });
      assert.ok(performance.now() - t0 < 300);
      assert.ok(done.has(failing) && done.has(ok));
      assert.deepEqual([...notDone], [slow]);
      // The usual fail-fast: cancel what is left.
      for (const f of notDone) f.cancel();
      assert.ok((await failing.exception()) instanceof TimeoutError);
    });

    it('FIRST_EXCEPTION does not count a cancellation as a failure and, with none, waits for all', async () => {
      const a = pool.submit(kernels.sleep, [50]);
      const b = pool.submit(kernels.spin, [10_000]);
      b.cancel();
      const { done, notDone } = await wait<unknown>([a, b], { returnWhen: 'FIRST_EXCEPTION' });
      assert.equal(done.size, 2);
      assert.equal(notDone.size, 0);
      assert.equal(a.state, 'FINISHED');
    });

    it('FIRST_EXCEPTION returns at once when a failure is already there', async () => {
      const failed = Future.failed<unknown>('x', new Error('old'));
      const slow = pool.submit(kernels.sleep, [300]);
      const { done, notDone } = await wait<unknown>([failed, slow], { returnWhen: 'FIRST_EXCEPTION' });
      assert.deepEqual([...done], [failed]);
      assert.deepEqual([...notDone], [slow]);
      await failed.exception();
    });

    for (const returnWhen of ['FIRST_COMPLETED', 'FIRST_EXCEPTION', 'ALL_COMPLETED'] as const) {
      it(`${returnWhen} with a timeout returns what it has and does not reject`, async () => {
        const slow = pool.submit(kernels.sleep, [400]);
        const t0 = performance.now();
        const { done, notDone } = await wait<unknown>([slow], { returnWhen, timeout: 50 });
        const elapsed = performance.now() - t0;
        assert.ok(elapsed >= 45 && elapsed < 300, `returned after ${elapsed.toFixed(0)} ms`);
        assert.equal(done.size, 0);
        assert.deepEqual([...notDone], [slow]);
        assert.equal(slow.cancelled(), false);
      });
    }

    it('an empty list resolves at once with two empty sets', async () => {
      const { done, notDone } = await wait([]);
      assert.equal(done.size + notDone.size, 0);
    });

    it('scales to 10k futures', async () => {
      const fs = Array.from({ length: 10_000 }, () => pool.submit(kernels.noop, []));
      const { done, notDone } = await wait(fs);
      assert.equal(done.size, 10_000);
      assert.equal(notDone.size, 0);
    });

    it('refuses a bad returnWhen or timeout', () => {
      assert.throws(() => wait([], { returnWhen: 'FIRST' as never }), (e: Error) => e instanceof TypeError && /returnWhen/.test(e.message));
      assert.throws(() => wait([], { timeout: NaN }), (e: Error) => e instanceof TypeError && /timeout/.test(e.message));
      assert.throws(() => wait([1] as never), TypeError);
    });
  });
});
