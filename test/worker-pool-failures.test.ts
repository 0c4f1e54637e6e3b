// WorkerPool at moments nobody had tried: the thread that owns the pool ended under it,
// shutdown in the middle of dispatching 10k tasks, a task module that throws while it
// loads, a task that calls process.exit(). Crash cases run in a child process and assert
// its exit code: the user's process must neither abort nor hang nor take the worker's code.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { PoolShutdownError, WorkerCrashError, WorkerPool } from '../lib/index';
import { until } from './helpers';

const ENTRY = path.join(__dirname, '../lib/index.ts');
const TASKS = path.join(__dirname, 'fixtures/worker-limits.mjs');
type Tasks = typeof import('./fixtures/worker-limits.mjs');

/** Runs `script` (CommonJS, with `entry` and `tasks` defined) under tsx in a child process. */
function child(script: string, timeout = 60_000): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const prelude = `const entry = ${JSON.stringify(ENTRY)}; const tasks = ${JSON.stringify(TASKS)};\n`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', prelude + script], { encoding: 'utf8', timeout });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function assertExit(r: ReturnType<typeof child>, code: number): void {
  assert.equal(r.signal, null, `killed by ${r.signal} (a hang?); stderr: ${r.stderr}`);
  assert.equal(r.status, code, `exit code ${r.status}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
}

describe('WorkerPool failures', function () {
  this.timeout(90_000);

  it('ending a worker_thread that owns a busy WorkerPool (terminate or process.exit) does not abort; its workers end with it', () => {
    const r = child(`
      const fs = require('node:fs');
      const { Worker } = require('node:worker_threads');
      const tsx = require.resolve('tsx/cjs/api');
      const threads = () => Number(/Threads:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      (async () => {
        const base = threads();
        for (let round = 0; round < 12; round++) {
          const how = round % 2 ? 'exit' : 'terminate';
          const w = new Worker(\`
            require(\${JSON.stringify(tsx)}).register();
            const { parentPort } = require('node:worker_threads');
            const { WorkerPool } = require(\${JSON.stringify(entry)});
            const pool = new WorkerPool({ module: \${JSON.stringify(tasks)}, minWorkers: 2, maxWorkers: 2, asyncTasksPerWorker: 2 });
            const fs = [];
            for (let i = 0; i < 500; i++) fs.push(pool.submit(pool.task('spin'), [20], { timeout: 10000 }));
            fs.push(pool.submit(pool.task('sleepy'), [5000]));
            for (const f of fs) f.result().catch(() => {});
            parentPort.on('message', () => process.exit(0));
            (async () => {
              while (pool.stats().active < 2) await new Promise((r) => setTimeout(r, 1));
              parentPort.postMessage('running');
            })();\`, { eval: true });
          await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
          if (how === 'terminate') await w.terminate();
          else { w.postMessage('exit'); await new Promise((r) => w.once('exit', r)); }
        }
        // The pools' workers and deadline threads ended with the thread that owned them.
        const end = Date.now() + 10000;
        while (threads() > base + 2 && Date.now() < end) await sleep(20);
        console.log('threads', base, threads());
        if (threads() > base + 2) process.exit(5);
      })();`);
    assertExit(r, 0);
    assert.match(r.stdout, /threads \d+ \d+/);
  });

  it('shutdown({ cancelFutures }) before the first dispatch: 10k queued Futures all end CANCELLED, once', async () => {
    const pool = new WorkerPool<Tasks>({ module: TASKS, minWorkers: 0, maxWorkers: 2 });
    let settled = 0;
    const fs = Array.from({ length: 10_000 }, (_, i) => pool.submit(pool.task('add'), [i, 1]));
    for (const f of fs) f.result().then(() => settled++, () => settled++);
    const done = pool.shutdown({ cancelFutures: true });
    assert.throws(() => pool.submit(pool.task('add'), [1, 1]), PoolShutdownError);
    await done;
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, 10_000);
    assert.ok(fs.every((f) => f.cancelled()), 'nothing had started');
    assert.equal(pool.stats().cancelled, 10_000);
    await until(() => pool.stats().workers === 0, 'workers ended');
  });

  it('shutdown({ cancelFutures }) mid-dispatch (batches in the workers, some running): every Future settles once, none lost', async () => {
    const pool = new WorkerPool<Tasks>({ module: TASKS, minWorkers: 2, maxWorkers: 2, asyncTasksPerWorker: 2 });
    const outcomes = new Map<number, string>();
    let twice = 0;
    const fs = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? pool.submit(pool.task('sleepy'), [1]) : pool.submit(pool.task('spin'), [0.05])));
    fs.forEach((f, i) =>
      f.result().then(
        () => (outcomes.has(i) ? twice++ : outcomes.set(i, 'ok')),
        (e: Error) => (outcomes.has(i) ? twice++ : outcomes.set(i, e.name)),
      ),
    );
    await fs[0]; // the workers hold batches now and run some
    assert.ok(pool.stats().active + pool.stats().queued > 0);
    await pool.shutdown({ cancelFutures: true });
    await new Promise((r) => setImmediate(r));
    assert.equal(twice, 0);
    assert.equal(outcomes.size, 10_000);
    const s = pool.stats();
    assert.equal(s.completed + s.cancelled, 10_000, JSON.stringify({ completed: s.completed, cancelled: s.cancelled, failed: s.failed }));
    assert.ok(s.cancelled > 0 && s.completed > 0, `both kinds: ${s.completed} completed, ${s.cancelled} cancelled`);
    assert.deepEqual(new Set(outcomes.values()), new Set(['ok', 'CancelledError']));
    assert.equal(s.queued, 0);
    assert.equal(s.killed, 0);
  });

  it('shutdown({ cancelFutures, wait: false }) mid-dispatch: the process exits by itself, code 0', () => {
    const r = child(`
      const { WorkerPool } = require(entry);
      const pool = new WorkerPool({ module: tasks, minWorkers: 2, maxWorkers: 2 });
      const fs = Array.from({ length: 10000 }, (_, i) => pool.submit(pool.task('spin'), [0.05]));
      let settled = 0;
      for (const f of fs) f.result().then(() => settled++, () => settled++);
      fs[0].then(() => pool.shutdown({ cancelFutures: true, wait: false }));
      process.on('exit', () => console.log('settled', settled));`);
    assertExit(r, 0);
    assert.match(r.stdout, /settled 10000/);
  });

  for (const [kind, file, message] of [
    ['ESM', 'throws-at-import.mjs', 'boom at import'],
    ['CommonJS', 'throws-at-import.cjs', 'cjs boom at require'],
  ] as const) {
    it(`a task module that throws at import (${kind}): every Future rejects naming the module and the cause, later submits throw, nothing hangs`, async () => {
      const module = path.join(__dirname, 'fixtures', file);
      const pool = new WorkerPool<{ add(ctx: unknown, a: number, b: number): number }>({ module, minWorkers: 2, maxWorkers: 2 });
      const fs = Array.from({ length: 5 }, () => pool.submit(pool.task('add'), [1, 2]));
      for (const f of fs) {
        await assert.rejects(f.result(), (e: Error) => {
          assert.ok(e instanceof WorkerCrashError, e.name);
          assert.match(e.message, new RegExp(`task module .*${file.replace('.', '\\.')} failed to load in a worker: ${message}`));
          assert.equal((e.cause as Error).message, message);
          return true;
        });
      }
      assert.throws(() => pool.submit(pool.task('add'), [1, 2]), /failed to load/);
      await pool.shutdown();
      await until(() => pool.stats().workers === 0, 'workers ended');
    });
  }

  it('a task module that throws at import, in a child process: exit code 0, no hang, no unhandled rejection', () => {
    const r = child(`
      const { WorkerPool } = require(entry);
      const pool = new WorkerPool({ module: ${JSON.stringify(path.join(__dirname, 'fixtures/throws-at-import.mjs'))} });
      pool.submit(pool.task('add'), [1, 2]).result().catch((e) => console.log('rejected', e.name));`);
    assertExit(r, 0);
    assert.match(r.stdout, /rejected WorkerCrashError/);
  });

  it('process.exit() inside a task ends only its worker: the Futures it had started reject, the rest run, the process keeps its own exit code', () => {
    const r = child(`
      const { WorkerPool, WorkerCrashError } = require(entry);
      const pool = new WorkerPool({ module: tasks, minWorkers: 1, maxWorkers: 1, asyncTasksPerWorker: 3 });
      const show = (label, f) => f.then((v) => console.log(label, 'ok', v), (e) => console.log(label, e.name, e.message));
      (async () => {
        // exit(0) is a crash too: the Future must not resolve with undefined.
        await show('exit0', pool.submit(pool.task('exitWith'), [0]));
        // Tasks queued behind it in the same worker had not started: they run on the replacement.
        const exit9 = pool.submit(pool.task('exitWith'), [9]);
        const behind = [1, 2, 3].map((i) => pool.submit(pool.task('add'), [i, 10]));
        await show('exit9', exit9);
        for (const [i, f] of behind.entries()) await show('behind' + i, f);
        // Started async tasks in that worker are lost with it, and say so.
        const waiting = pool.submit(pool.task('sleepy'), [5000]);
        const late = pool.submit(pool.task('exitAfterAwait'), [20, 4]);
        await show('late', late);
        await show('waiting', waiting);
        console.log('crashed', pool.stats().crashed);
        await pool.shutdown();
        console.log('after', await Promise.resolve(1));
      })();`);
    assertExit(r, 0);
    const out = r.stdout;
    assert.match(out, /exit0 WorkerCrashError task 'exitWith': its worker died: the worker exited with code 0/);
    assert.match(out, /exit9 WorkerCrashError .*exited with code 9/);
    assert.match(out, /behind0 ok 11\nbehind1 ok 12\nbehind2 ok 13/);
    assert.match(out, /late WorkerCrashError .*exited with code 4/);
    assert.match(out, /waiting WorkerCrashError task 'sleepy': its worker died/);
    assert.match(out, /crashed 3/);
    assert.match(out, /after 1/);
  });
});
