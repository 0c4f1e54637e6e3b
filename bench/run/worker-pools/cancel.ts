// Cancel a running synchronous JS loop: the time from cancel() (abort() for piscina) to
// the Future's CANCELLED, and to the start of the next task on the same pool (one
// worker). WorkerPool stops the loop at its checkpoint and keeps the worker; piscina
// terminates the worker and starts another.
import { corepool } from '../../contenders/corepool';
import { plainExecArgv } from '../../contenders/peers';
import { load, median, TASKS } from '../../contenders/worker-pools';
import * as path from 'node:path';

type Tasks = typeof import('../../contenders/worker-pools/tasks.mjs');
const { CancelledError, WorkerPool } = corepool;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function cancelWorkerPool(cancels: number): Promise<{ toCancelled: number; toNext: number; killed: number; workersStarted: number }> {
  const pool = new WorkerPool<Tasks>({ module: TASKS, minWorkers: 1, maxWorkers: 1 });
  const spin = pool.task('spin');
  const started = pool.task('started');
  await pool.submit(started, []);
  const toCancelled: number[] = [];
  const toNext: number[] = [];
  for (let i = 0; i < cancels; i++) {
    const f = pool.submit(spin, []);
    while (f.state !== 'RUNNING') await nextTick();
    const t0 = performance.timeOrigin + performance.now();
    f.cancel();
    const error = await f.exception();
    if (!(error instanceof CancelledError)) throw new Error(`expected CancelledError, got ${String(error)}`);
    toCancelled.push(performance.timeOrigin + performance.now() - t0);
    toNext.push((await pool.submit(started, [])) - t0);
  }
  const stats = pool.stats();
  await pool.shutdown();
  return { toCancelled: median(toCancelled), toNext: median(toNext), killed: stats.killed, workersStarted: stats.killed + stats.crashed + 1 };
}

export async function cancelPiscina(cancels: number): Promise<{ toCancelled: number; toNext: number }> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: path.join(__dirname, '../../contenders/worker-pools/piscina-worker.cjs'), minThreads: 1, maxThreads: 1, execArgv: plainExecArgv() });
  await pool.run({ kind: 'started' });
  const toCancelled: number[] = [];
  const toNext: number[] = [];
  for (let i = 0; i < cancels; i++) {
    const controller = new AbortController();
    const p = pool.run({ kind: 'spin' }, { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 5)); // piscina does not say when a task starts
    const t0 = performance.timeOrigin + performance.now();
    controller.abort();
    await p;
    toCancelled.push(performance.timeOrigin + performance.now() - t0);
    toNext.push(((await pool.run({ kind: 'started' })) as number) - t0);
  }
  await pool.destroy();
  return { toCancelled: median(toCancelled), toNext: median(toNext) };
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const i = argv.indexOf('--cancels');
  const cancels = i >= 0 ? Number(argv[i + 1]) : 10_000;
  console.log(`cancel a running sync loop, 1 worker; load average before: ${load()}`);
  const wp = await cancelWorkerPool(cancels);
  console.log(`  WorkerPool (${cancels} cancels): to CANCELLED ${wp.toCancelled.toFixed(3)} ms, to next task start ${wp.toNext.toFixed(3)} ms (medians); workers killed ${wp.killed} (goal: < 1 ms both, no restart)`);
  const pc = await cancelPiscina(Math.min(100, cancels));
  console.log(`  piscina (${Math.min(100, cancels)} cancels): to rejection ${pc.toCancelled.toFixed(3)} ms, to next task start ${pc.toNext.toFixed(3)} ms (medians)`);
  console.log(`  load average after: ${load()}`);
}

if (require.main === module) void main();
