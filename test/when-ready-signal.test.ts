// submitWhenReady with one AbortSignal shared by many waiters (README: "A stop flag: one
// signal, many tasks"): one abort listener per signal however many wait (core/link-signal.ts),
// and an aborted waiter resolves at once with a CANCELLED Future.
import { strict as assert } from 'node:assert';

import { IoPool, kernels, NativePool } from '../lib/index';
import { catchWarnings } from './helpers';

describe('submitWhenReady with one shared signal', function () {
  this.timeout(20_000);

  it('NativePool: 50 waiters on one signal print no MaxListenersExceededWarning', async () => {
    const pool = new NativePool({ maxWorkers: 1, maxQueue: 1, name: 'hostile-swr' });
    try {
      const stop = new AbortController();
      const warnings = await catchWarnings(async () => {
        const blockers = [pool.submit(kernels.sleep, [20]), pool.submit(kernels.sleep, [20])];
        const waits = Array.from({ length: 50 }, (_, i) => pool.submitWhenReady(kernels.sumRange, [i], { signal: stop.signal }));
        const handles = await Promise.all(waits);
        for (const h of handles) await h.exception();
        await Promise.all(blockers);
      });
      assert.deepEqual(warnings.map((w) => w.name), []);
    } finally {
      await pool.shutdown({ cancelFutures: true, cancelRunning: true });
    }
  });

  // review #10 made NativePool.submitWhenReady obey its signal while it waits for room
  // (9ede538); IoPool.submitWhenReady (lib/io/pool.ts, ~line 77) does not pass
  // options.signal to core.submitWhenReady, so an aborted waiter waits on until the queue
  // has room (forever if it never drains): measured 2954 ms after abort with 3 s tasks.
  it('IoPool: a waiter whose signal aborts resolves at once with a CANCELLED Future', async () => {
    const pool = new IoPool({ maxConcurrency: 1, maxQueue: 1, name: 'hostile-swr-io' });
    try {
      const long = (): Promise<void> => new Promise((r) => setTimeout(r, 3000));
      pool.submit(long, []);
      pool.submit(long, []);
      const stop = new AbortController();
      const waiting = pool.submitWhenReady(long, [], { signal: stop.signal });
      await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      stop.abort(new Error('stop'));
      const handle = await waiting;
      const ms = performance.now() - t0;
      assert.equal(handle.state, 'CANCELLED');
      assert.ok(ms < 500, `the waiter resolved ${ms.toFixed(0)} ms after its signal aborted (NativePool: ~1 ms)`);
    } finally {
      await pool.shutdown({ cancelFutures: true });
    }
  });
});
