// The JS stress run of `npm run test:sanitize` (native/sanitize/run.sh): the public API
// driven hard against an ASan+UBSan build of the addon, loaded into an ordinary Node with
// the sanitizer runtime preloaded. Any memory error or undefined behaviour in the addon
// aborts the process (the runner checks the exit code); the checks here make sure the
// work was really done (results right, every Future settled exactly once).
// Phases: submit and map storms, cancel storms, timeouts, SharedArrayBuffer views written
// by JS meanwhile, buffers detached before the send and while their task runs, shutdown in
// the middle of a tick's submissions, worker_threads terminated mid-task.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { CancelledError, kernels, NativePool, TimeoutError } from '../../lib/index';

const scale = Number(process.env.STRESS_SCALE ?? 1);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
let checks = 0;
const check = (ok: boolean, what: string): void => {
  assert.ok(ok, what);
  checks++;
};
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

// Settles every Future in `fs`, counting the outcomes; a Future settling twice would throw.
async function outcomes(fs: { result(): PromiseLike<unknown> }[]): Promise<Record<string, number>> {
  const count: Record<string, number> = {};
  await Promise.all(fs.map(async (f) => {
    let name: string;
    try {
      await f.result();
      name = 'ok';
    } catch (e) {
      name = (e as Error).name;
    }
    count[name] = (count[name] ?? 0) + 1;
  }));
  return count;
}

async function submitAndMap(pool: NativePool): Promise<void> {
  const bytes = new Uint8Array(1000).map((_, i) => i & 255);
  const want = sha(bytes);
  const fs = [];
  for (let i = 0; i < 5000 * scale; i++) {
    fs.push(pool.submit(kernels.isPrime, [1_000_003 + i]));
    if (i % 10 === 0) fs.push(pool.submit(kernels.sha256, [bytes]));
    if (i % 50 === 0) fs.push(pool.submit(kernels.factorial, [300 + (i % 200)]));
    if (i % 100 === 0) fs.push(pool.submit(kernels.mandelbrot, [32, 32, 50]));
  }
  const results = await Promise.all(fs);
  check(results.every((r) => r !== undefined), 'every submitted task returned');
  check(hex(results[1] as Uint8Array) === want, 'sha256 of a plain buffer');
  let n = 0;
  for await (const prime of pool.map(kernels.isPrime, Array.from({ length: 20_000 * scale }, (_, i) => i), { chunksize: 257 })) {
    if (prime) n++;
  }
  check(scale !== 1 || n === 2262, `map counted ${n} primes below 20000`);
}

async function cancelStorm(pool: NativePool): Promise<void> {
  for (let round = 0; round < 20 * scale; round++) {
    const fs = Array.from({ length: 200 }, (_, i) => pool.submit(kernels.spin, [i % 3 === 0 ? 2 : 0.05]));
    if (round % 2 === 0) await tick();
    fs.forEach((f, i) => { if (i % 2 === 0) f.cancel(); });
    const count = await outcomes(fs);
    check((count.CancelledError ?? 0) >= 100 || round % 2 === 0, `round ${round}: ${JSON.stringify(count)}`);
    check(Object.values(count).reduce((a, b) => a + b, 0) === 200, 'every Future settled once');
  }
}

// Running tasks stopped inside cancel() (handed back by their worker, never through the
// completion queue) free their ids at once; the next submits reuse them. A sort of a copied
// buffer is among them: its copy is written back and freed by the cancel, not a completion.
async function cancelRunningAndReuse(pool: NativePool): Promise<void> {
  let atOnce = 0;
  for (let round = 0; round < 40 * scale; round++) {
    const data = new Float64Array(1 << 20).map((_, i) => (i * 7919) % 1000);
    const running = [pool.submit(kernels.spin, [10_000]), pool.submit(kernels.sortFloat64, [data])];
    while (!running.every((f) => f.running() || f.done())) await tick();
    let said = 0;
    for (const f of running) {
      if (f.cancel()) said++;
      if (f.state === 'CANCELLED') atOnce++;
    }
    const n = Array.from({ length: 16 }, (_, i) => 100 + round + i);
    const sums = await Promise.all(n.map((k) => pool.submit(kernels.sumRange, [k])));
    check(sums.every((v, i) => v === (n[i]! * (n[i]! - 1)) / 2), `round ${round}: a reused id got another task's result`);
    const count = await outcomes(running);
    check(count.CancelledError === said && (count.ok ?? 0) === 2 - said, `round ${round}: ${JSON.stringify(count)}`);
  }
  console.log(`  (${atOnce} of ${80 * scale} cancels of running tasks settled inside cancel())`);
}

async function timeouts(pool: NativePool): Promise<void> {
  const fs = [];
  for (let i = 0; i < 300 * scale; i++) {
    fs.push(pool.submit(kernels.spin, [20], { timeout: 1 + (i % 5) }));
    fs.push(pool.submit(kernels.spin, [20], { runTimeout: 1 + (i % 3) }));
    fs.push(pool.submit(kernels.sleep, [5], { timeout: i % 7 }));
  }
  const count = await outcomes(fs);
  check((count.TimeoutError ?? 0) > 0 && Object.keys(count).every((k) => k === 'TimeoutError' || k === 'ok'), JSON.stringify(count));
  await pool.submit(kernels.spin, [50], { timeout: 5 }).result().then(() => assert.fail('no timeout'), (e) => check(e instanceof TimeoutError, 'TimeoutError'));
}

async function sharedMemory(pool: NativePool): Promise<void> {
  const shared = new Uint8Array(new SharedArrayBuffer(1 << 20), 16, (1 << 20) - 32);
  const floats = new Float64Array(new SharedArrayBuffer(8 * 100_000));
  for (let round = 0; round < 20 * scale; round++) {
    const h = pool.submit(kernels.sha256, [shared]);
    floats.forEach((_, i) => (floats[i] = Math.sin(i + round)));
    const s = pool.submit(kernels.sortFloat64, [floats]);
    // JS writes the same memory while the kernels run: unspecified values, never a crash.
    for (let i = 0; i < shared.length; i += 4096) shared[i] = round;
    floats[round] = -1;
    await Promise.all([h, s]);
  }
  shared.fill(3);
  check(hex((await pool.submit(kernels.sha256, [shared])) as Uint8Array) === sha(shared), 'sha256 of a quiet shared view');
}

async function detachedBuffers(pool: NativePool): Promise<void> {
  // While the task runs: the freed (and reused) memory must never be read or written.
  await detachWhileRunning(pool);
  // Before the send: that one task fails with the boundary's TypeError.
  const ab = new ArrayBuffer(4096);
  const refused = pool.submit(kernels.sha256, [new Uint8Array(ab)]);
  const fine = pool.submit(kernels.sha256, [new Uint8Array(16)]);
  structuredClone(ab, { transfer: [ab] });
  await refused.result().then(() => assert.fail('not refused'), (e) => check(e instanceof TypeError, 'TypeError for a detached buffer'));
  await fine;
}

async function detachWhileRunning(pool: NativePool): Promise<void> {
  for (let round = 0; round < 30 * scale; round++) {
    const data = new Uint8Array(2 << 20).fill(round);
    const want = sha(data);
    const a = Float64Array.from({ length: 1 << 18 }, (_, i) => Math.cos(i * round));
    const fs = [pool.submit(kernels.sha256, [data]), pool.submit(kernels.sortFloat64, [a]),
      pool.submit(kernels.matmul, [new Float64Array(64 * 64).fill(1), new Float64Array(64 * 64).fill(2), 64])];
    await tick();
    structuredClone(data.buffer, { transfer: [data.buffer] });
    structuredClone(a.buffer, { transfer: [a.buffer] });
    gc();
    new Uint8Array(2 << 20).fill(255); // likely the memory just freed
    const [digest] = await Promise.all(fs);
    check(hex(digest as Uint8Array) === want, 'sha256 of a buffer detached while it ran');
  }
}

async function shutdownMidSubmit(): Promise<void> {
  for (let round = 0; round < 20 * scale; round++) {
    const pool = new NativePool({ maxWorkers: 2, globalLock: round % 2 === 0 });
    const fs = [];
    for (let i = 0; i < 300; i++) fs.push(pool.submit(kernels.spin, [0.2]));
    if (round % 3 === 0) await tick();
    const closed = pool.shutdown({ cancelFutures: round % 2 === 0 });
    let refused = 0;
    try { pool.submit(kernels.noop, []); } catch { refused++; }
    check(refused === 1, 'submit after shutdown throws');
    const count = await outcomes(fs);
    check(Object.values(count).reduce((a, b) => a + b, 0) === 300, `every Future settled: ${JSON.stringify(count)}`);
    await closed;
  }
}

function workerThreadsTerminated(): void {
  // test/fixtures/terminate-stress.cjs in a child, which inherits the preloaded runtime.
  const script = path.resolve(__dirname, '../../test/fixtures/terminate-stress.cjs');
  const r = spawnSync(process.execPath, [script, String(20 * scale)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) process.stderr.write(r.stderr);
  check(r.status === 0 && /survived/.test(r.stdout), `worker_threads terminated mid-task: exit ${r.status}`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const pool = new NativePool({ maxWorkers: 2 });
  const phases: [string, () => Promise<void> | void][] = [
    ['submit and map storms', () => submitAndMap(pool)],
    ['cancel storms', () => cancelStorm(pool)],
    ['cancels of running tasks, ids reused at once', () => cancelRunningAndReuse(pool)],
    ['timeouts', () => timeouts(pool)],
    ['SharedArrayBuffer written meanwhile', () => sharedMemory(pool)],
    ['detached before the send and while running', () => detachedBuffers(pool)],
    ['shutdown mid-submit', shutdownMidSubmit],
    ['worker_threads terminated mid-task', workerThreadsTerminated],
  ];
  const only = process.env.STRESS_ONLY; // a part of a phase's name: run just those phases
  for (const [name, run] of phases) {
    if (only !== undefined && !name.includes(only)) continue;
    const t0 = performance.now();
    await run();
    console.log(`  ${name}: ok (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const cancelled = pool.submit(kernels.spin, [1000]);
  await tick();
  cancelled.cancel();
  await cancelled.result().catch((e) => check(e instanceof CancelledError, 'CancelledError'));
  await pool.shutdown();
  console.log(`sanitize stress: passed, ${checks} checks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
