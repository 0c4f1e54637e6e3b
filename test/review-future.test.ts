// Review findings (s3-review) on Future, through the public API.
import assert from 'node:assert/strict';

import { Future } from '../lib/index';

describe('review: Future', () => {
  // FutureOwner is the documented seam for custom Executors. When its cancel() throws,
  // Future.cancel() throws but leaves cancelRequested set: a second cancel() then answers
  // true without asking the owner, and the task's real result is turned into CANCELLED
  // although no cancel() ever returned true.
  it("an owner whose cancel() throws leaves the Future's outcome to the task", async () => {
    let asked = 0;
    const { future, setResult } = Future.withResolvers<number>('t', {
      liveState: () => 'RUNNING',
      cancel: () => {
        asked++;
        throw new Error('owner failed');
      },
    });
    assert.throws(() => future.cancel(), /owner failed/);
    assert.equal(future.cancelRequested, false, 'cancel() threw: no cancel was granted');
    setResult(42);
    assert.equal(future.state, 'FINISHED');
    assert.equal(await future, 42);
    assert.equal(asked, 1);
  });
});
