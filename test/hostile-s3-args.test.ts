// Hostile tests (session 3): submit's args, now read once at submit (WorkerPool: readArgs in
// lib/worker/options.ts, a push() per index; IoPool: copyArgs in lib/io/engine.ts,
// Array.prototype.slice), against an args array of a huge length. `const a = []; a.length =
// 2 ** 32 - 1` costs nothing to make, and no function can be called with that many
// arguments; the copy walks every index: WorkerPool's runs the heap out (the process
// aborts), IoPool's walks 4 billion holes (a hang). Bad input gets a clear error at the
// boundary (GUIDE), as NativePool gives (`noop takes 0 argument(s), got 4294967295`).
// Crash cases run in a child process; the child gets a small heap and 20 s.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';

import { LIB } from './robustness/child';

function runSmallChild(code: string): { status: number | null; signal: string | null; out: string } {
  const script = `const lib = require(${JSON.stringify(LIB)});\n${code}`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: r.status, signal: r.signal, out: `${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}` };
}

const SUBMIT_HUGE = (pool: string, task: string): string => `
const pool = new lib.${pool};
const args = []; args.length = 2 ** 32 - 1;
let f;
try {
  f = pool.submit(${task}, args);
} catch (e) {
  console.log('refused at submit:', e.name, e.message.slice(0, 120));
  pool.shutdown().then(() => process.exit(0));
}
if (f) f.exception().then((e) => { console.log('future:', e && e.name, e && e.message.slice(0, 120)); return pool.shutdown(); }).then(() => process.exit(0));
`;

describe('hostile s3: an args array of length 2^32 - 1', function () {
  this.timeout(60_000);

  it('WorkerPool.submit refuses it with a clear error (no heap abort, no hang)', () => {
    const r = runSmallChild(SUBMIT_HUGE('WorkerPool({ maxWorkers: 1 })', '(ctx, ...a) => a.length'));
    assert.equal(r.signal, null, `killed by ${r.signal} (SIGTERM: still running after 20 s; SIGABRT: heap exhausted):\n${r.out}`);
    assert.equal(r.status, 0, `exit ${r.status}:\n${r.out}`);
    assert.match(r.out, /refused at submit: (TypeError|RangeError)/, r.out);
  });

  it('IoPool.submit refuses it with a clear error (no heap abort, no hang)', () => {
    const r = runSmallChild(SUBMIT_HUGE('IoPool({ maxConcurrency: 1 })', 'async (ctx, ...a) => a.length'));
    assert.equal(r.signal, null, `killed by ${r.signal} (SIGTERM: still running after 20 s; SIGABRT: heap exhausted):\n${r.out}`);
    assert.equal(r.status, 0, `exit ${r.status}:\n${r.out}`);
    assert.match(r.out, /refused at submit: (TypeError|RangeError)/, r.out);
  });

  it('NativePool.submit refuses it (the reference behaviour)', () => {
    const r = runSmallChild(SUBMIT_HUGE('NativePool({ maxWorkers: 1 })', 'lib.kernels.noop'));
    assert.equal(r.status, 0, `exit ${r.status}:\n${r.out}`);
    assert.match(r.out, /refused at submit: TypeError/, r.out);
  });
});
