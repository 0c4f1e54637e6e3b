// IoPool against p-limit and p-queue, same process, same run: 100k tiny async tasks
// (per-task overhead of the limiter itself) and 10k tasks of 5 ms simulated latency
// (scheduling under real waiting), then a concurrency sweep behind IoPool's default.
// Each figure is the median of RUNS runs; the libraries alternate within a run so that
// drift on a shared machine hits them alike. `npm run bench:io`.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

import { corepool } from '../contenders/corepool';
import { loadPeer } from '../contenders/peers';
import { loadAverage, machineLine } from '../harness/machine';
import { median } from '../harness/stats';

const { IoPool } = corepool;
type PLimit = (concurrency: number) => <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) => Promise<R>;
type PQueueClass = new (o: { concurrency: number }) => { add<R>(fn: () => Promise<R>): Promise<R> };
let pLimit: PLimit;
let PQueue: PQueueClass;

const RUNS = Number(process.env.RUNS ?? 5);
const TINY = Number(process.env.TINY ?? 100_000);
const SLOW = Number(process.env.SLOW ?? 10_000);
const LATENCY_MS = 5;
const CONCURRENCY = 100;

type Runner = (n: number, task: (i: number) => Promise<number>) => Promise<unknown>;

const runners: Record<string, Runner> = {
  // No limiter at all: the floor the others are measured against.
  'bare Promise.all': (n, task) => {
    const ps: Promise<number>[] = new Array(n);
    for (let i = 0; i < n; i++) ps[i] = task(i);
    return Promise.all(ps);
  },
  'p-limit': (n, task) => {
    const limit = pLimit(CONCURRENCY);
    const ps: Promise<number>[] = new Array(n);
    for (let i = 0; i < n; i++) ps[i] = limit(task, i);
    return Promise.all(ps);
  },
  'p-queue': (n, task) => {
    const queue = new PQueue({ concurrency: CONCURRENCY });
    const ps: Promise<number>[] = new Array(n);
    for (let i = 0; i < n; i++) ps[i] = queue.add(() => task(i)) as Promise<number>;
    return Promise.all(ps);
  },
  IoPool: (n, task) => {
    const io = new IoPool({ maxConcurrency: CONCURRENCY });
    const fn = (_ctx: unknown, i: number): Promise<number> => task(i);
    const fs: PromiseLike<number>[] = new Array(n);
    for (let i = 0; i < n; i++) fs[i] = io.submit(fn, [i]);
    return Promise.all(fs);
  },
};

const tiny = async (i: number): Promise<number> => i;
const slow = (i: number): Promise<number> => new Promise((resolve) => setTimeout(resolve, LATENCY_MS, i));

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function suite(label: string, n: number, task: (i: number) => Promise<number>, idealMs?: number): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  for (const run of Object.values(runners)) await run(Math.min(n, 2000), task); // warm-up
  for (let r = 0; r < RUNS; r++) {
    const order = Object.keys(runners);
    if (r % 2) order.reverse();
    for (const name of order) {
      (globalThis as { gc?: () => void }).gc?.();
      samples[name]!.push(await time(() => runners[name]!(n, task)));
    }
  }
  const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  // Overhead is measured against the unlimited floor, or for latency-bound tasks against
  // the ideal n / concurrency * latency (the unlimited run is not comparable there).
  const floor = idealMs ?? ms['bare Promise.all']!;
  const against = idealMs === undefined ? 'vs bare' : `vs ideal ${idealMs} ms`;
  console.log(`\n${label}: ${n} tasks, concurrency ${CONCURRENCY}, median of ${RUNS} runs`);
  console.log(`  runner              total ms   us/task   overhead us/task (${against})   overhead vs p-limit`);
  const limitOverhead = (ms['p-limit']! - floor) / n;
  for (const [name, total] of Object.entries(ms)) {
    const overhead = (total - floor) / n;
    const ratio = name === 'bare Promise.all' ? '' : (overhead / limitOverhead).toFixed(2) + 'x';
    console.log(
      `  ${name.padEnd(18)} ${total.toFixed(1).padStart(9)} ${((total / n) * 1000).toFixed(3).padStart(9)} ${(overhead * 1000).toFixed(3).padStart(16)} ${ratio.padStart(28)}`,
    );
  }
  return ms;
}

async function sweep(): Promise<void> {
  const n = 4000;
  console.log(`\nconcurrency sweep: IoPool, ${n} tasks of ${LATENCY_MS} ms, median of 3`);
  for (const c of [8, 32, 100, 300, 1000]) {
    const xs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const io = new IoPool({ maxConcurrency: c });
      xs.push(
        await time(() => {
          const fs: PromiseLike<number>[] = [];
          for (let i = 0; i < n; i++) fs.push(io.submit((_ctx, k: number) => slow(k), [i]));
          return Promise.all(fs);
        }),
      );
    }
    const ms = median(xs);
    const ideal = (Math.ceil(n / c) * LATENCY_MS);
    console.log(`  maxConcurrency ${String(c).padStart(4)}: ${ms.toFixed(0).padStart(6)} ms, ${Math.round((n / ms) * 1000).toString().padStart(7)} tasks/s (ideal ${Math.round((n / ideal) * 1000)})`);
  }
}

export const USAGE = `usage: corepool bench:io

  IoPool against p-limit and p-queue (optional peers), same process: 100k tiny async tasks,
  10k tasks of 5 ms latency, then a concurrency sweep; env RUNS, TINY, SLOW, NO_SWEEP`;

export async function run(argv: string[]): Promise<number> {
  if (argv.length > 0) throw new RangeError(`corepool bench:io takes no arguments, got '${argv.join(' ')}'\n${USAGE}`);
  const limit = loadPeer<{ default: PLimit }>('p-limit');
  const queue = loadPeer<{ default: PQueueClass }>('p-queue');
  for (const p of [limit, queue]) if (!p.ok) throw new Error(`corepool bench:io needs p-limit and p-queue (${p.reason}): ${p.install}`);
  pLimit = (limit as { module: { default: PLimit } }).module.default;
  PQueue = (queue as { module: { default: PQueueClass } }).module.default;
  // The figures collect garbage between runs; an installed CLI cannot pass --expose-gc to node.
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    v8.setFlagsFromString('--expose-gc');
    (globalThis as { gc?: unknown }).gc = vm.runInNewContext('gc');
  }
  console.log(`${process.env.RUNS ? '' : 'RUNS=5 '}p-limit vs p-queue vs IoPool; ${machineLine()}`);
  await suite('tiny async tasks', TINY, tiny);
  const ideal = (SLOW / CONCURRENCY) * LATENCY_MS;
  const slowMs = await suite(`tasks of ${LATENCY_MS} ms latency`, SLOW, slow, ideal);
  console.log(`  (IoPool ${(slowMs['IoPool']! / ideal).toFixed(2)}x ideal, p-limit ${(slowMs['p-limit']! / ideal).toFixed(2)}x, p-queue ${(slowMs['p-queue']! / ideal).toFixed(2)}x)`);
  if (!process.env.NO_SWEEP) await sweep();
  console.log(`load average at end: ${loadAverage()}`);
  return 0;
}
