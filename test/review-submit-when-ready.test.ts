// Review findings (s3-review) on submitWhenReady, through the public API.
import assert from 'node:assert/strict';

import { IoPool } from '../lib/index';

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
});
