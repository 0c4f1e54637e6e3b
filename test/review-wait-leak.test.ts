// Review finding (s3-review): wait() (and asCompleted) add a done callback to every future
// they watch and never take it off: once wait() has returned (timed out, or FIRST_COMPLETED
// met), its callbacks stay on the still-pending futures until those settle. A polling loop
// over long-lived futures, `while (...) await wait(fs, { timeout: 100 })`, grows the heap
// by about 64 bytes per future per call, for as long as the futures run. Python's wait()
// removes its waiter from each future in a finally.
import assert from 'node:assert/strict';

import { Future, wait } from '../lib/index';

describe('review: wait() leaves nothing on the futures once it has returned', () => {
  it('3000 polling waits over 200 pending futures retain no memory', async function () {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) this.skip();
    this.timeout(60_000);
    const resolvers = Array.from({ length: 200 }, (_, i) => Future.withResolvers<number>(`t${i}`));
    const futures = resolvers.map((r) => r.future);
    await wait(futures, { timeout: 0 });
    gc!();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 3000; i++) await wait(futures, { timeout: 0 });
    gc!();
    const grownMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    for (const r of resolvers) r.setResult(0);
    assert.ok(grownMiB < 8, `the heap kept ${grownMiB.toFixed(1)} MiB after 3000 wait() calls had returned`);
  });
});
