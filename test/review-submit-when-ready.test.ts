// Review findings (s3-review) on submitWhenReady, through the public API.
import assert from 'node:assert/strict';

import { IoPool, kernels, NativePool } from '../lib/index';

/** `p`'s value, or 'still pending' if it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'still pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still pending'>((resolve) => (timer = setTimeout(() => resolve('still pending'), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('review: submitWhenReady', () => {
  // IoPool's room waiters are woken only when `queued < maxQueue` (RunQueue.hasRoom), which
  // never holds with maxQueue 0 (a legal value: "no waiting line, run or refuse"). A waiter
  // is never woken when the slot frees: the promise stays pending, nothing holds the event
  // loop, and a script simply exits with the task never run (a lost Future).
  it('IoPool({ maxQueue: 0 }): the waiter submits once the busy slot frees', async () => {
    const io = new IoPool({ maxConcurrency: 1, maxQueue: 0 });
    try {
      const busy = io.submit(async () => new Promise((resolve) => setTimeout(resolve, 100)), []);
      const ready = io.submitWhenReady(async () => 'ran', []);
      await busy;
      const handle = await within(ready, 3000);
      assert.notEqual(handle, 'still pending', 'submitWhenReady never resolved after the slot freed');
      if (handle !== 'still pending') assert.equal(await handle.result(), 'ran');
    } finally {
      await io.shutdown({ cancelFutures: true });
    }
  });

  // The signal of a submitWhenReady is read only when room opens: aborting it while the
  // call waits does nothing until then (with a stuck pool, forever). The caller has no
  // Future to cancel yet, so the signal is its only handle on the waiting task.
  it('NativePool: aborting the signal ends a submitWhenReady that waits for room, before room opens', async () => {
    const pool = new NativePool({ maxWorkers: 1, maxQueue: 0 });
    try {
      const busy = pool.submit(kernels.spin, [1500]);
      const ac = new AbortController();
      const ready = pool.submitWhenReady(kernels.noop, [], { signal: ac.signal });
      ready.catch(() => undefined);
      setTimeout(() => ac.abort(new Error('gave up')), 50);
      const outcome = await within(
        ready.then(
          (h) => h.state,
          (e: Error) => e.name,
        ),
        1000,
      );
      assert.equal(busy.done(), false, 'the busy task is still running');
      assert.ok(outcome === 'CANCELLED' || outcome === 'CancelledError' || outcome === 'AbortError', `submitWhenReady after abort: ${outcome}`);
      await busy;
    } finally {
      await pool.shutdown({ cancelRunning: true });
    }
  });

  it('IoPool: aborting the signal ends a submitWhenReady that waits for room; an aborted submit to a full pool is CANCELLED, not refused', async () => {
    const io = new IoPool({ maxConcurrency: 1, maxQueue: 0 });
    try {
      let release!: () => void;
      const busy = io.submit(() => new Promise<void>((resolve) => (release = resolve)), []);
      const ac = new AbortController();
      const ready = io.submitWhenReady(async () => 'ran', [], { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('gave up')), 50);
      const handle = await within(ready, 1000);
      assert.notEqual(handle, 'still pending', 'submitWhenReady ignored its signal while it waited');
      if (handle !== 'still pending') assert.equal(handle.state, 'CANCELLED');
      // The pool is still full: an already aborted submit takes no room and is not refused.
      const aborted = io.submit(async () => 'ran', [], { signal: ac.signal });
      assert.equal(aborted.state, 'CANCELLED');
      assert.equal(busy.done(), false);
      release();
      await busy;
      assert.equal(io.stats().cancelled, 2);
    } finally {
      await io.shutdown({ cancelFutures: true });
    }
  });
});
