// Future<T>: its states and predicates, result/exception with wait timeouts, thenability,
// done callbacks, and how errors nobody reads are handled (no crash, but a warning).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { inspect } from 'node:util';

import { CancelledError, Future, kernels, NativePool, TimeoutError } from '../lib/index';
import { until } from './helpers';

const root = path.resolve(__dirname, '..');

function predicates(f: Future<unknown>): [string, boolean, boolean, boolean] {
  return [f.state, f.done(), f.running(), f.cancelled()];
}

function child(code: string, extraArgs: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...extraArgs, '--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', timeout: 15_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('Future', () => {
  let pool: NativePool;
  beforeEach(() => {
    pool = new NativePool({ maxWorkers: 1, name: 'fut' });
  });
  afterEach(() => pool.shutdown({ cancelFutures: true, cancelRunning: true }));

  describe('state transitions', () => {
    it('PENDING -> RUNNING -> FINISHED, with the predicates at each step', async () => {
      const blocker = pool.submit(kernels.sleep, [150]);
      const f = pool.submit(kernels.sleep, [150]);
      assert.deepEqual(predicates(f), ['PENDING', false, false, false]);
      await until(() => blocker.running());
      assert.deepEqual(predicates(f), ['PENDING', false, false, false]); // queued behind it
      await until(() => f.running());
      assert.deepEqual(predicates(f), ['RUNNING', false, true, false]);
      assert.equal(await f, undefined);
      assert.deepEqual(predicates(f), ['FINISHED', true, false, false]);
      assert.deepEqual(predicates(blocker), ['FINISHED', true, false, false]);
    });

    it('PENDING -> CANCELLED at once', async () => {
      const blocker = pool.submit(kernels.sleep, [200]);
      const f = pool.submit(kernels.spin, [100]);
      await until(() => blocker.running());
      assert.equal(f.cancel(), true);
      // A queued task is removed: no waiting for a completion.
      assert.deepEqual(predicates(f), ['CANCELLED', true, false, true]);
      await assert.rejects(f.result(), CancelledError);
    });

    it('PENDING -> CANCELLED before it was ever sent to the native side', async () => {
      const f = pool.submit(kernels.spin, [100]);
      assert.equal(f.cancel(), true); // same tick as submit
      assert.deepEqual(predicates(f), ['CANCELLED', true, false, true]);
      await assert.rejects(f.result(), CancelledError);
    });

    it('a task cancelled before it was sent never starts, even with idle workers; its batch-mates run', async () => {
      for (let round = 0; round < 50; round++) {
        const batch = Array.from({ length: 6 }, (_, i) => pool.submit(kernels.sumRange, [i * 10]));
        const victims = [batch[0]!, batch[3]!, batch[5]!];
        for (const f of victims) {
          assert.equal(f.cancel(), true);
          assert.equal(f.state, 'CANCELLED'); // at once: it never reached a worker
        }
        // Their slot ids are free again: reuse them within the same unsent batch.
        const extra = pool.submit(kernels.sumRange, [100]);
        assert.deepEqual(await Promise.all([batch[1]!, batch[2]!, batch[4]!, extra]), [45, 190, 780, 4950]);
        for (const f of victims) await assert.rejects(f.result(), CancelledError);
      }
      assert.equal(pool.stats().cancelled, 150);
    });

    it('RUNNING -> CANCELLED', async () => {
      const f = pool.submit(kernels.spin, [10_000]);
      await until(() => f.running());
      assert.equal(f.cancel(), true);
      await assert.rejects(f.result(), CancelledError);
      assert.deepEqual(predicates(f), ['CANCELLED', true, false, true]);
    });

    it('RUNNING -> FINISHED with an exception (its deadline passed)', async () => {
      const f = pool.submit(kernels.spin, [10_000], { timeout: 100 });
      await until(() => f.running());
      const e = await f.exception();
      assert.ok(e instanceof TimeoutError, String(e));
      assert.match(e.message, /spin/);
      assert.deepEqual(predicates(f), ['FINISHED', true, false, false]);
    });

    it('a Future with no executor is PENDING until cancel() makes it CANCELLED', async () => {
      const f = new Future<number>('standalone');
      assert.deepEqual(predicates(f), ['PENDING', false, false, false]);
      assert.equal(f.cancel(), true);
      assert.deepEqual(predicates(f), ['CANCELLED', true, false, true]);
    });

    it('Future.resolved and Future.failed are done already', async () => {
      const ok = Future.resolved('r', 42);
      assert.deepEqual(predicates(ok), ['FINISHED', true, false, false]);
      assert.equal(await ok, 42);
      const bad = Future.failed<number>('b', new RangeError('nope'));
      assert.deepEqual(predicates(bad), ['FINISHED', true, false, false]);
      assert.ok((await bad.exception()) instanceof RangeError);
    });
  });

  describe('cancel()', () => {
    it('returns false once done and leaves the state alone', async () => {
      const f = pool.submit(kernels.isPrime, [7]);
      assert.equal(await f, true);
      assert.equal(f.cancel(), false);
      assert.equal(f.state, 'FINISHED');
      assert.equal(await f.result(), true);
    });
    it('a running task stays RUNNING after cancel() until it stops, never PENDING again', async () => {
      const f = pool.submit(kernels.spin, [10_000]);
      await until(() => f.running());
      assert.equal(f.cancel(), true);
      const seen = new Set<string>();
      while (!f.done()) {
        seen.add(f.state);
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(!seen.has('PENDING'), `states seen after cancel(): ${[...seen].join(', ')}`);
      assert.equal(f.state, 'CANCELLED');
    });
    it('returns true again when asked twice before the task stopped', async () => {
      // sleep waits in 1 ms slices between checkpoints: cancel()'s 50 us wait for it to
      // stop mostly misses, and then it is still RUNNING; if it was caught at a checkpoint
      // it is CANCELLED (done) already, and a second cancel() says false.
      const f = pool.submit(kernels.sleep, [10_000]);
      await until(() => f.running());
      assert.equal(f.cancel(), true);
      const stoppedAtOnce = f.state === 'CANCELLED';
      assert.equal(f.cancel(), !stoppedAtOnce);
      await assert.rejects(f.result(), CancelledError);
      assert.equal(f.cancel(), false);
    });
  });

  describe('result() and exception()', () => {
    it('result() hands out one Promise per Future, asked before, while and after it settles', async () => {
      const f = pool.submit(kernels.sleep, [20]);
      f.addDoneCallback(() => assert.equal(f.result(), early, 'asked from a done callback while settling'));
      const early = f.result();
      assert.equal(f.result(), early);
      await f;
      assert.equal(f.result(), early);
      const settled = Future.resolved('x', 1);
      assert.equal(settled.result(), settled.result());
      const failed = Future.failed('y', new Error('boom'));
      const rejection = failed.result();
      assert.equal(failed.result(), rejection);
      await assert.rejects(rejection, /boom/);
    });
    it('result() resolves with the value, exception() with undefined', async () => {
      const f = pool.submit(kernels.countPrimes, [0, 100]);
      assert.equal(await f.result(), 25);
      assert.equal(await f.exception(), undefined);
    });
    it('result() rejects with the task error, exception() resolves with it', async () => {
      const f = pool.submit(kernels.spin, [10_000], { timeout: 20 });
      await assert.rejects(f.result(), TimeoutError);
      assert.ok((await f.exception()) instanceof TimeoutError);
    });
    it('both give CancelledError for a cancelled task', async () => {
      const f = pool.submit(kernels.spin, [10_000]);
      f.cancel();
      await assert.rejects(f.result(), CancelledError);
      assert.ok((await f.exception()) instanceof CancelledError);
    });
    it('result({ timeout }) rejects with TimeoutError but does not cancel the task', async () => {
      const f = pool.submit(kernels.spin, [300]);
      const t0 = performance.now();
      await assert.rejects(f.result({ timeout: 30 }), (e: Error) => e instanceof TimeoutError && /spin/.test(e.message));
      assert.ok(performance.now() - t0 < 250, 'the wait did not stop at its timeout');
      assert.equal(f.done(), false);
      assert.equal(f.cancelled(), false);
      const iterations = await f.result();
      assert.ok(iterations > 0);
      assert.equal(f.state, 'FINISHED');
    });
    it('exception({ timeout }) rejects with TimeoutError but does not cancel the task', async () => {
      const f = pool.submit(kernels.sleep, [200]);
      await assert.rejects(f.exception({ timeout: 20 }), TimeoutError);
      assert.equal(f.done(), false);
      assert.equal(await f.exception(), undefined);
      assert.equal(f.state, 'FINISHED');
    });
    it('a timeout longer than the task does not fire', async () => {
      const f = pool.submit(kernels.isPrime, [97]);
      assert.equal(await f.result({ timeout: 5000 }), true);
      assert.equal(await f.exception({ timeout: 0 }), undefined); // done already: no wait at all
    });
    it('refuses a bad timeout', () => {
      const f = Future.resolved('x', 1);
      assert.throws(() => f.result({ timeout: -1 }), RangeError);
      assert.throws(() => f.exception({ timeout: 'soon' as unknown as number }), TypeError);
    });
  });

  describe('thenable', () => {
    it("then() returns a Future of its own, in every state of its source, and drops its callbacks once run", async () => {
      const f = pool.submit(kernels.sumRange, [10]);
      const derived = f.then((v) => v + 1);
      assert.ok(derived instanceof Future && derived !== f);
      assert.equal(derived.state, 'PENDING');
      assert.equal(derived.cancelRequested, false);
      assert.equal(await derived, 46);
      assert.equal(derived.state, 'FINISHED');
      assert.equal(await f.then(), 45, 'no callbacks: the value passes through');
      const cancelled = pool.submit(kernels.sleep, [5_000]);
      const chained = cancelled.then(() => 'never');
      assert.ok(cancelled.cancel());
      await assert.rejects(chained.result(), CancelledError);
      assert.equal(chained.state, 'FINISHED', 'the derived Future failed with the CancelledError');
      // A then() Future cancelled itself ends CANCELLED; its source goes on.
      const source = pool.submit(kernels.sleep, [20]);
      const own = source.then(() => 'late');
      assert.ok(own.cancel());
      assert.equal(own.state, 'CANCELLED');
      assert.equal(await source, undefined);
      assert.equal(own.state, 'CANCELLED');
    });
    it('await gives the result; then() chains; Promise.resolve adopts it', async () => {
      const f = pool.submit(kernels.sumRange, [10]);
      assert.equal(await f, 45);
      assert.equal(await f.then((v) => v * 2), 90);
      assert.equal(await Promise.resolve(f), 45);
      assert.deepEqual(await Promise.all([f, pool.submit(kernels.isPrime, [4])]), [45, false]);
    });
    it('catch() and finally() work as on a Promise', async () => {
      const f = pool.submit(kernels.spin, [10_000]);
      f.cancel();
      assert.equal(await f.catch((e: unknown) => (e instanceof CancelledError ? 'cancelled' : 'other')), 'cancelled');
      let ran = false;
      assert.equal(await pool.submit(kernels.sumRange, [4]).finally(() => (ran = true)), 6);
      assert.equal(ran, true);
    });
    it('then(_, onRejected) sees the error', async () => {
      const f = pool.submit(kernels.spin, [10_000]);
      f.cancel();
      const caught = await f.then(
        () => 'resolved',
        (e: unknown) => (e instanceof CancelledError ? 'cancelled' : 'other'),
      );
      assert.equal(caught, 'cancelled');
    });
  });

  describe('printing', () => {
    it('String() and console.log show the task, its state and its result or error, not the pool', async () => {
      const f = pool.submit(kernels.isPrime, [7]);
      assert.match(String(f), /^<Future task=isPrime state=(PENDING|RUNNING)>$/);
      await f;
      assert.equal(String(f), '<Future task=isPrime state=FINISHED returned boolean true>');
      assert.equal(inspect(f), String(f));
      assert.equal(inspect({ f }), '{ f: <Future task=isPrime state=FINISHED returned boolean true> }');
      const hash = pool.submit(kernels.sha256, [new Uint8Array(3)]);
      await hash;
      assert.equal(`${hash}`, '<Future task=sha256 state=FINISHED returned Uint8Array(32)>');
      assert.equal(String(Future.resolved('greet', 'hello')), '<Future task=greet state=FINISHED returned string "hello">');
      assert.equal(String(Future.resolved('nothing', undefined)), '<Future task=nothing state=FINISHED returned undefined>');
    });
    it('a failed Future shows its error, a cancelled one its state; printing is not reading the error', async () => {
      const late = pool.submit(kernels.spin, [10_000], { timeout: 5 });
      await late.exception();
      assert.equal(String(late), "<Future task=spin state=FINISHED raised TimeoutError: task 'spin' passed its deadline>");
      const cancelled = pool.submit(kernels.spin, [10_000]);
      cancelled.cancel();
      await cancelled.exception();
      assert.equal(inspect(cancelled), '<Future task=spin state=CANCELLED>');
      assert.equal(String(cancelled.handle), String(cancelled));
      const r = child(`
        const { Future } = require('./lib/index');
        process.on('warning', (w) => console.log(w.message));
        let f = Future.failed('unread', new Error('boom'));
        console.log(String(f));
        f = undefined;
        setTimeout(() => { gc(); setTimeout(() => {}, 50); }, 10);`, ['--expose-gc']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^<Future task=unread state=FINISHED raised Error: boom>\n.*'unread' was never retrieved: boom/);
    });
  });

  describe('addDoneCallback', () => {
    it('calls each callback exactly once, in order, with the Future', async () => {
      const f = pool.submit(kernels.sleep, [30]);
      const calls: string[] = [];
      f.addDoneCallback((g) => calls.push(`a:${g === f}:${g.state}`));
      f.addDoneCallback(() => calls.push('b'));
      await f;
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(calls, ['a:true:FINISHED', 'b']);
    });
    it('calls a callback added after done, at once', async () => {
      const f = pool.submit(kernels.noop, []);
      await f;
      let calls = 0;
      f.addDoneCallback(() => calls++);
      assert.equal(calls, 1);
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(calls, 1);
    });
    it('runs callbacks on cancellation, once, even if cancel is called again', async () => {
      const f = pool.submit(kernels.spin, [10_000]);
      let calls = 0;
      f.addDoneCallback((g) => {
        calls++;
        assert.equal(g.state, 'CANCELLED');
      });
      await until(() => f.running());
      f.cancel();
      f.cancel();
      await f.exception();
      f.cancel();
      assert.equal(calls, 1);
    });
    it('refuses a non-function', () => {
      assert.throws(() => Future.resolved('x', 1).addDoneCallback(42 as never), (e: Error) => e instanceof TypeError && /fn/.test(e.message));
    });
    it('a throwing callback does not stop the others and reaches uncaughtException (child process)', () => {
      const r = child(`
        const { NativePool, kernels } = require('./lib/index');
        const seen = [];
        process.on('uncaughtException', (e) => seen.push('uncaught:' + e.message));
        const pool = new NativePool({ maxWorkers: 1 });
        const f = pool.submit(kernels.isPrime, [7]);
        f.addDoneCallback(() => seen.push('first'));
        f.addDoneCallback(() => { throw new Error('callback failed'); });
        f.addDoneCallback(() => seen.push('third'));
        f.then(() => setTimeout(() => {
          // And the same for a callback added after done.
          f.addDoneCallback(() => { throw new Error('late callback failed'); });
          seen.push('after-late');
          setTimeout(() => console.log(JSON.stringify(seen)), 20);
        }, 20));`);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), ['first', 'third', 'uncaught:callback failed', 'after-late', 'uncaught:late callback failed']);
    });
    it('without a handler, a throwing callback crashes the process like any uncaught error', () => {
      const r = child(`
        const { Future } = require('./lib/index');
        Future.resolved('t', 1).addDoneCallback(() => { throw new Error('nobody catches this'); });
        setTimeout(() => console.log('still alive'), 50);`);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /nobody catches this/);
      assert.doesNotMatch(r.stdout, /still alive/);
    });
  });

  describe('errors nobody reads', () => {
    it('an unobserved failed Future does not crash the process', () => {
      const r = child(`
        const { NativePool, kernels } = require('./lib/index');
        process.on('unhandledRejection', (e) => { console.log('unhandled', e); process.exitCode = 3; });
        const pool = new NativePool({ maxWorkers: 1 });
        const failed = pool.submit(kernels.spin, [10000], { timeout: 10 });
        const cancelled = pool.submit(kernels.spin, [10000]);
        cancelled.cancel();
        failed.addDoneCallback((f) => setTimeout(() => console.log('settled', f.state), 50));`);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(r.stdout.trim(), 'settled FINISHED');
    });
    it('an awaited failed Future does reject (the user asked for it)', async () => {
      const f = pool.submit(kernels.spin, [10_000], { timeout: 10 });
      await assert.rejects(async () => {
        await f;
      }, TimeoutError);
    });
    it('an awaited or then()-observed failed Future emits no warning when collected', () => {
      const r = child(
        `
        const { NativePool, kernels } = require('./lib/index');
        const warnings = [];
        process.on('warning', (w) => warnings.push(w.message));
        const pool = new NativePool({ maxWorkers: 1 });
        (async () => {
          let awaited = pool.submit(kernels.spin, [5000], { timeout: 10 });
          let chained = pool.submit(kernels.spin, [5000], { timeout: 10 });
          const caught = chained.then(() => 'ok', () => 'caught');
          try { await awaited; } catch {}
          console.log(await caught);
          awaited = chained = undefined;
          for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
          console.log(JSON.stringify(warnings));
          await pool.shutdown();
        })();`,
        ['--expose-gc'],
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'caught\n[]\n');
    });
    it('a garbage-collected failed Future with its error unread emits a warning naming the task', () => {
      const r = child(
        `
        const { NativePool, Future, kernels } = require('./lib/index');
        const warnings = [];
        process.on('warning', (w) => warnings.push(w.name + '|' + w.message));
        const pool = new NativePool({ maxWorkers: 1 });
        let read = pool.submit(kernels.sleep, [5000], { timeout: 10 });
        let unread = pool.submit(kernels.spin, [5000], { timeout: 10 });
        let standalone = Future.failed('myTask', new Error('disk on fire'));
        let ok = pool.submit(kernels.isPrime, [7]);
        read.exception().then(async () => {
          await new Promise((r) => setTimeout(r, 50));
          read = unread = standalone = ok = undefined;
          for (let i = 0; i < 10 && warnings.length < 2; i++) {
            gc();
            await new Promise((r) => setTimeout(r, 20));
          }
          console.log(JSON.stringify(warnings.sort()));
        });`,
        ['--expose-gc'],
      );
      assert.equal(r.status, 0, r.stderr);
      const warnings = JSON.parse(r.stdout) as string[];
      // Exactly the two never-read errors; not the read one, not the successful one.
      assert.equal(warnings.length, 2, r.stdout);
      assert.match(warnings[0]!, /^CorepoolWarning\|exception of task 'myTask' was never retrieved: disk on fire/);
      assert.match(warnings[1]!, /^CorepoolWarning\|exception of task 'spin' was never retrieved/);
    });
  });
});

describe('Future.withResolvers: the seam for Executors written outside corepool', () => {
  it('settles once; a cancelled Future stays CANCELLED whatever the executor reports later', async () => {
    const a = Future.withResolvers<number>('custom');
    assert.equal(a.future.state, 'PENDING');
    a.setResult(1);
    a.setResult(2);
    a.setException(new Error('late'));
    assert.equal(await a.future, 1);
    const b = Future.withResolvers<number>('custom', { liveState: () => 'RUNNING', cancel: () => true });
    assert.equal(b.future.state, 'RUNNING');
    assert.equal(b.future.cancel(), true);
    b.setResult(3);
    assert.equal(b.future.state, 'CANCELLED');
    const c = Future.withResolvers<number>('custom');
    c.setCancelled();
    assert.equal(c.future.cancelled(), true);
  });

  it('refuses what is not a name, an owner or an Error', () => {
    assert.throws(() => Future.withResolvers(42 as never), /task must be a string/);
    assert.throws(() => Future.withResolvers('x', {} as never), /owner must be \{ liveState\(future\), cancel\(future\) \}/);
    assert.throws(() => Future.withResolvers('x').setException('boom' as never), /error must be an Error/);
  });
});
