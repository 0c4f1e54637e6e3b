// IoPool retries: exponential backoff (checked on a fake clock), the error that lists
// every attempt, retryOn, and how retries meet timeouts and cancellation.
import assert from 'node:assert/strict';
import { mock } from 'node:test';

import { CancelledError, IoPool, RetryError, TimeoutError, type TaskContext } from '../lib/index';
import { catchWarnings } from './helpers';

const flush = async (): Promise<void> => {
  // setImmediate is not faked: it lets promise callbacks of the task and the pool run.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('IoPool retries', () => {
  describe('on a fake clock', () => {
    before(async () => {
      // Node 20 marks MockTimers experimental and warns on its first use in the process:
      // the fake clock is used on purpose, so that warning (and only it) is caught here.
      const warnings = await catchWarnings(() => {
        mock.timers.enable({ apis: ['setTimeout'] });
        mock.timers.reset();
      });
      for (const w of warnings) {
        assert.equal(w.name, 'ExperimentalWarning', String(w));
        assert.match(w.message, /MockTimers/);
      }
      assert.ok(warnings.length <= 1, warnings.map(String).join('\n'));
    });
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
    afterEach(() => mock.timers.reset());

    it('backs off minDelayMs * factor^n, capped at maxDelayMs, and passes ctx.attempt', async () => {
      const io = new IoPool();
      const attempts: number[] = [];
      const f = io.submit(
        async (ctx: TaskContext) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 4) throw new Error(`fail ${ctx.attempt}`);
          return 'ok';
        },
        [],
        { retry: { retries: 5, minDelayMs: 100, factor: 3, maxDelayMs: 500, jitter: false } },
      );
      await flush();
      assert.deepEqual(attempts, [1]);
      assert.equal(f.state, 'RUNNING', 'a task waiting to retry has started already');
      mock.timers.tick(99);
      await flush();
      assert.deepEqual(attempts, [1], 'not before 100 ms');
      mock.timers.tick(1);
      await flush();
      assert.deepEqual(attempts, [1, 2]);
      mock.timers.tick(299);
      await flush();
      assert.deepEqual(attempts, [1, 2], 'then 300 ms');
      mock.timers.tick(1);
      await flush();
      assert.deepEqual(attempts, [1, 2, 3]);
      mock.timers.tick(499);
      await flush();
      assert.deepEqual(attempts, [1, 2, 3], '900 ms capped at 500');
      mock.timers.tick(1);
      await flush();
      assert.deepEqual(attempts, [1, 2, 3, 4]);
      assert.equal(await f, 'ok');
      assert.equal(io.stats().retries, 3);
      assert.equal(io.stats().completed, 1);
    });

    it('full jitter scales the delay by (1 - random()): 1000 ms at random() = 0.5 waits 500 ms', async () => {
      const random = mock.method(Math, 'random', () => 0.5);
      try {
        const io = new IoPool({ retry: { retries: 1, minDelayMs: 1000, jitter: true } });
        let attempts = 0;
        const f = io.submit(async () => {
          if (++attempts === 1) throw new Error('once');
          return attempts;
        }, []);
        await flush();
        mock.timers.tick(499);
        await flush();
        assert.equal(attempts, 1, 'not retried before 500 ms');
        mock.timers.tick(1);
        await flush();
        assert.equal(attempts, 2);
        assert.equal(await f, 2);
      } finally {
        random.mock.restore();
      }
    });

    it('the slot is free during the backoff delay', async () => {
      const io = new IoPool({ maxConcurrency: 1 });
      const order: string[] = [];
      const flaky = io.submit(
        async (ctx: TaskContext) => {
          order.push(`flaky${ctx.attempt}`);
          if (ctx.attempt === 1) throw new Error('first');
        },
        [],
        { retry: { retries: 1, minDelayMs: 50, jitter: false } },
      );
      const other = io.submit(async () => void order.push('other'), []);
      await flush();
      assert.deepEqual(order, ['flaky1', 'other']);
      mock.timers.tick(50);
      await flush();
      await Promise.all([flaky, other]);
      assert.deepEqual(order, ['flaky1', 'other', 'flaky2']);
    });
  });

  it('the final error lists every attempt: RetryError with .errors, cause = the last', async () => {
    const io = new IoPool();
    const f = io.submit(
      async function fetchPage(ctx: TaskContext) {
        throw new Error(`attempt ${ctx.attempt} failed`);
      },
      [],
      { retry: { retries: 2, minDelayMs: 1, jitter: false } },
    );
    const e = await f.exception();
    assert.ok(e instanceof RetryError, String(e));
    assert.deepEqual(e.errors.map((x) => x.message), ['attempt 1 failed', 'attempt 2 failed', 'attempt 3 failed']);
    assert.equal(e.cause, e.errors[2]);
    assert.match(e.message, /fetchPage.*3 attempts.*attempt 3 failed/);
    assert.equal(io.stats().failed, 1);
  });

  it('retryOn decides; an error it refuses ends the task with that error itself', async () => {
    const io = new IoPool();
    const seen: [string, number][] = [];
    const f = io.submit(
      async (ctx: TaskContext) => {
        throw new Error(ctx.attempt === 1 ? 'ECONNRESET' : 'HTTP 404');
      },
      [],
      {
        retry: {
          retries: 5,
          minDelayMs: 1,
          retryOn: (error, attempt) => {
            seen.push([error.message, attempt]);
            return error.message === 'ECONNRESET';
          },
        },
      },
    );
    const e = await f.exception();
    assert.ok(e instanceof RetryError, 'two attempts ran, so both are listed');
    assert.deepEqual(seen, [
      ['ECONNRESET', 1],
      ['HTTP 404', 2],
    ]);
    const once = io.submit(async () => {
      throw new TypeError('bad input');
    }, [], { retry: { retryOn: () => false } });
    const e1 = await once.exception();
    assert.ok(e1 instanceof TypeError, 'a single attempt gives its own error');
  });

  it('the overall timeout bounds all attempts; the TimeoutError has the attempts as cause', async () => {
    const io = new IoPool();
    let attempts = 0;
    const t0 = performance.now();
    const f = io.submit(
      async () => {
        attempts++;
        throw new Error('down');
      },
      [],
      { timeout: 120, retry: { retries: 100, minDelayMs: 30, factor: 1, jitter: false } },
    );
    const e = await f.exception();
    const elapsed = performance.now() - t0;
    assert.ok(e instanceof TimeoutError, String(e));
    assert.ok(e.cause instanceof RetryError);
    assert.equal((e.cause as RetryError).errors.length, attempts);
    assert.ok(attempts >= 2 && attempts <= 5, `attempts ${attempts}`);
    assert.ok(elapsed >= 110 && elapsed < 1000, `rejected after ${elapsed.toFixed(0)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(io.stats().active + io.stats().queued, 0, 'no attempt after the deadline');
  });

  it('cancel during the backoff delay ends it CANCELLED with no more attempts', async () => {
    const io = new IoPool({ retry: { retries: 3, minDelayMs: 40, jitter: false } });
    let attempts = 0;
    const f = io.submit(async () => {
      attempts++;
      throw new Error('down');
    }, []);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(f.cancel(), true);
    await assert.rejects(f.result(), CancelledError);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(attempts, 1);
    await io.onIdle();
  });

  it('retry: false turns off the pool default', async () => {
    const io = new IoPool({ retry: { retries: 3, minDelayMs: 1 } });
    let attempts = 0;
    const f = io.submit(async () => {
      attempts++;
      throw new Error('x');
    }, [], { retry: false });
    assert.equal((await f.exception())!.message, 'x');
    assert.equal(attempts, 1);
  });
});
