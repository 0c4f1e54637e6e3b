// Async tasks that await (a 5 ms timer, as a fetch would): tasks per second with one async
// task per worker (the default) and with asyncTasksPerWorker, beside piscina's
// concurrentTasksPerWorker at the same setting; rounds interleaved, medians.
import * as os from 'node:os';

import * as path from 'node:path';

import { corepool } from '../../contenders/corepool';
import { plainExecArgv } from '../../contenders/peers';
import { load, median, TASKS } from '../../contenders/worker-pools';

const { WorkerPool } = corepool;
const PISCINA_WORKER = path.join(path.dirname(TASKS), 'piscina-worker.cjs');
const WAIT_MS = 5;

type Tasks = typeof import('../../contenders/worker-pools/tasks.mjs');
interface Contender {
  run(): PromiseLike<unknown>;
  close(): Promise<void>;
}

async function start(name: string, size: number, perWorker: number): Promise<Contender> {
  if (name === 'piscina') {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: PISCINA_WORKER, minThreads: size, maxThreads: size, concurrentTasksPerWorker: perWorker, execArgv: plainExecArgv() });
    return { run: () => pool.run({ kind: 'wait', n: WAIT_MS }), close: () => pool.destroy() };
  }
  const pool = new WorkerPool<Tasks>({ module: TASKS, minWorkers: size, maxWorkers: size, asyncTasksPerWorker: perWorker });
  const wait = pool.task('wait');
  return { run: () => pool.submit(wait, [WAIT_MS]), close: () => pool.shutdown() };
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const arg = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const rounds = arg('--rounds', 3);
  const perWorker = arg('--per-worker', 32);
  const size = arg('--workers', os.availableParallelism());
  // Enough tasks for ~0.5 s at the ideal rate of each setting.
  const rows: [label: string, name: string, k: number, tasks: number][] = [
    ['WorkerPool, 1 per worker', 'corepool', 1, Math.round((size * 500) / WAIT_MS)],
    [`WorkerPool, asyncTasksPerWorker ${perWorker}`, 'corepool', perWorker, Math.round((size * perWorker * 500) / WAIT_MS)],
    [`piscina, concurrentTasksPerWorker ${perWorker}`, 'piscina', perWorker, Math.round((size * perWorker * 500) / WAIT_MS)],
  ];
  console.log(`async tasks awaiting a ${WAIT_MS} ms timer, ${size} workers, ${rounds} rounds; load average before: ${load()}`);
  const rates = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [label, name, k, tasks] of [...rows.slice(round % rows.length), ...rows.slice(0, round % rows.length)]) {
      const pool = await start(name, size, k);
      await Promise.all(Array.from({ length: size * k }, () => pool.run())); // warm
      const t0 = performance.now();
      const all: PromiseLike<unknown>[] = new Array(tasks);
      for (let i = 0; i < tasks; i++) all[i] = pool.run();
      await Promise.all(all);
      const list = rates.get(label) ?? [];
      list.push(tasks / ((performance.now() - t0) / 1000));
      rates.set(label, list);
      await pool.close();
    }
  }
  const ideal = (k: number): number => (size * k * 1000) / WAIT_MS;
  for (const [label, , k] of rows) {
    const rate = median(rates.get(label)!);
    console.log(`  ${label.padEnd(40)} ${Math.round(rate).toString().padStart(8)} tasks/s (${((rate / ideal(k)) * 100).toFixed(0)}% of ${Math.round(ideal(k))} ideal)`);
  }
  const ours = median(rates.get(rows[1]![0])!);
  const theirs = median(rates.get(rows[2]![0])!);
  console.log(`  asyncTasksPerWorker ${perWorker} / piscina: ${(ours / theirs).toFixed(2)}x; load average after: ${load()}`);
}

if (require.main === module) void main();
