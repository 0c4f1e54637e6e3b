// Review findings (s3-review): QueuePool's own timers do not go through core/timers.ts, so
// a long but legitimate delay fires after 1 ms (Node clamps setTimeout past 2^31 - 1 ms),
// and `enqueueTimeout: Infinity` means 10 s instead of "no timeout" (DESIGN: Infinity
// means no timeout). Each case runs in a child process against a Redis that is not there
// (127.0.0.1:1), so nothing here needs a server and a hang cannot stall the suite.
import assert from 'node:assert/strict';

import { explain, runChild } from './robustness/child';

/** Runs `body` (it sets `outcome` to a string) in a child and returns what it printed after `ms`. */
function outcomeAfter(body: string, ms: number): string {
  const r = runChild(
    `
    let outcome = 'pending';
    process.on('warning', () => {}); // the TimeoutOverflowWarning is not what is asserted
    (async () => { ${body} })().catch((e) => { outcome = 'threw ' + e.name + ': ' + e.message; });
    setTimeout(() => { console.log(JSON.stringify(outcome)); process.exit(0); }, ${ms});
    `,
    30_000,
  );
  assert.equal(r.status, 0, explain(r));
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as string;
}

describe('review: QueuePool timers honour any delay (child process)', () => {
  it("submit's timeout of 2^31 ms (24.9 days) does not fail the Future after ~1 ms", function () {
    this.timeout(30_000);
    const outcome = outcomeAfter(
      `
      const pool = new lib.QueuePool({ queue: 'review', connection: 'redis://127.0.0.1:1', enqueueTimeout: 2000 });
      const f = pool.submit(pool.task('t'), [], { timeout: 2 ** 31 });
      const e = await f.exception();
      outcome = e === undefined ? 'ok' : e.name + ': ' + e.message;
      `,
      500,
    );
    // Before its enqueueTimeout (2 s) nothing may have settled it: certainly not a deadline 24.9 days away.
    assert.equal(outcome, 'pending', `the Future settled early: ${outcome}`);
  });

  it('enqueueTimeout of 2^31 ms does not give QueueUnavailableError after ~1 ms', function () {
    this.timeout(30_000);
    const outcome = outcomeAfter(
      `
      const pool = new lib.QueuePool({ queue: 'review', connection: 'redis://127.0.0.1:1', enqueueTimeout: 2 ** 31 });
      const e = await pool.submit(pool.task('t'), []).exception();
      outcome = e === undefined ? 'ok' : e.name + ': ' + e.message;
      `,
      500,
    );
    assert.equal(outcome, 'pending', `the Future settled early: ${outcome}`);
  });

  it('enqueueTimeout: Infinity waits for Redis without a bound (not the 10 s default)', function () {
    this.timeout(30_000);
    const outcome = outcomeAfter(
      `
      const pool = new lib.QueuePool({ queue: 'review', connection: 'redis://127.0.0.1:1', enqueueTimeout: Infinity });
      const e = await pool.submit(pool.task('t'), []).exception();
      outcome = e === undefined ? 'ok' : e.name + ': ' + e.message;
      `,
      11_500,
    );
    assert.equal(outcome, 'pending', `the Future settled: ${outcome}`);
  });
});
