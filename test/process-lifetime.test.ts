// An idle pool never keeps Node running; a pool with work pending does, until the work is
// done. Checked in child processes, which must exit on their own (no process.exit).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

function run(code: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    // A hang is the failure we look for: kill it well before mocha's own timeout.
    timeout: 15_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

const prelude = `const { NativePool, kernels } = require('./lib/index');`;

describe('process lifetime', function () {
  this.timeout(60_000);

  it('a new pool with no work lets the process exit', () => {
    const r = run(`${prelude}
      const pool = new NativePool({ maxWorkers: 2 });
      console.log('created', pool.stats().workers);`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'created 2');
  });

  it('a pool gone idle after its work lets the process exit', () => {
    const r = run(`${prelude}
      const pool = new NativePool({ maxWorkers: 2 });
      Promise.all([pool.submit(kernels.spin, [20]), pool.submit(kernels.isPrime, [97])])
        .then(([it, p]) => console.log('done', it > 0, p));`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'done true true');
  });

  it('pending work keeps the process alive until it is done', () => {
    // Nothing but the pool holds the event loop open: no timers, no awaits.
    const r = run(`${prelude}
      const pool = new NativePool({ maxWorkers: 1 });
      const t0 = Date.now();
      const a = pool.submit(kernels.sleep, [300]);
      const b = pool.submit(kernels.sleep, [300]);
      b.addDoneCallback((f) => console.log('b', f.state, Date.now() - t0 >= 590));
      a.addDoneCallback((f) => console.log('a', f.state));
      console.log('submitted');`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['submitted', 'a FINISHED', 'b FINISHED true']);
  });

  it('a cancelled running task does not keep the process alive', () => {
    const r = run(`${prelude}
      const pool = new NativePool({ maxWorkers: 1 });
      const f = pool.submit(kernels.spin, [60000]);
      setTimeout(() => console.log('cancel', f.cancel()), 50);
      f.addDoneCallback((g) => console.log(g.state));`);
    assert.equal(r.status, 0, r.stderr);
    // cancel() settles the Future inside itself when the kernel stops within its wait (the
    // done callback then prints first), or later through the completion queue.
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['CANCELLED', 'cancel true']);
    assert.ok(r.ms < 10_000, `took ${r.ms.toFixed(0)} ms`);
  });

  it('shutdown({ wait: false }) still lets running work finish before exit', () => {
    const r = run(`${prelude}
      const pool = new NativePool({ maxWorkers: 1 });
      const f = pool.submit(kernels.sumRange, [1000000]);
      pool.shutdown({ wait: false });
      f.then((v) => console.log('value', v));`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `value ${(1_000_000 * 999_999) / 2}`);
  });

  it('many pools, all idle, let the process exit', () => {
    const r = run(`${prelude}
      const pools = Array.from({ length: 8 }, (_, i) => new NativePool({ maxWorkers: 2, name: 'p' + i }));
      Promise.all(pools.map((p) => p.submit(kernels.noop, []))).then(() => console.log('ok', pools.length));`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok 8');
  });
});
