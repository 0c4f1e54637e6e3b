// Hostile tests (session 3): native Task recycling (native/src/task_recycler.h, 07cc95f).
// The binding keeps up to 65536 finished Tasks for reuse (kKeepIdleTasks in
// native/src/binding/pool_object.h), "the memory an idle pool keeps". A pool that has been
// shut down never submits again, yet PoolObject::close_now() (pool_object.cc) leaves its
// recycler full: every pool that once had 65536 tasks in flight keeps ~31 MiB of native
// memory after shutdown() for as long as its object lives (a module-level pool, a pool in
// a long-lived service object); since main's cap of 4096 recycled Tasks, ~6.5 MiB (the cap's
// Tasks and the capacity of slots_, which close_now() clears but does not free), invisible to V8 (no external memory is reported, so the GC
// feels no pressure to collect a dropped one either). Measured in a child process (RSS).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';

import { LIB } from './robustness/child';

const SCRIPT = `
const lib = require(${JSON.stringify(LIB)});
// Native memory only: RSS less what V8 accounts for (its heap, external memory, ArrayBuffers),
// so that the JS tables each kept pool holds (its records, ~7 MiB) do not count.
const mb = () => { const u = process.memoryUsage(); return (u.rss - u.heapTotal - u.external) / 1048576; };
(async () => {
  const kept = [];
  // warm up: the first pool's own allocations (threads, tables) are not what is measured
  { const p = new lib.NativePool({ maxWorkers: 2 }); await Promise.all(Array.from({ length: 1000 }, () => p.submit(lib.kernels.noop, []))); await p.shutdown(); }
  global.gc(); await new Promise((r) => setTimeout(r, 50));
  const base = mb();
  for (let k = 0; k < 10; k++) {
    const pool = new lib.NativePool({ maxWorkers: 2 });
    const fs = [];
    for (let i = 0; i < 70000; i++) fs.push(pool.submit(lib.kernels.noop, []));
    await Promise.all(fs);
    fs.length = 0;
    await pool.shutdown();
    kept.push(pool);
    global.gc(); await new Promise((r) => setTimeout(r, 50)); global.gc();
  }
  console.log(JSON.stringify({ growthMiB: Math.round(mb() - base), pools: kept.length }));
})();
`;

describe('hostile s3: native Task recycling', function () {
  this.timeout(60_000);

  it('ten shut-down pools, each after a burst of 70000 tasks, keep no native memory of their own', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', SCRIPT], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 0, r.stderr);
    const { growthMiB } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { growthMiB: number };
    // Freed Tasks are reused by the next pool's allocations (malloc keeps them), so one
    // burst's worth may stay; what grows with the number of shut-down pools is what each
    // one keeps (~24 MiB of native memory each with 65536 recycled Tasks; ~6.5 MiB since main
    // capped the recycler at 4096 (its Tasks ~1.5 MiB, and the slots_ vector, whose capacity
    // close_now()'s slots_.clear() keeps: 131072 Slots of 40 bytes, ~5 MiB)).
    assert.ok(growthMiB < 60, `native memory (RSS - V8 heap - external) grew ${growthMiB} MiB over ten shut-down pools`);
  });
});
