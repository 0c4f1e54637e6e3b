// Per-task overhead: corepool's `noop` kernel, one Future per task, against piscina running
// a JS no-op on the same number of threads, in one run. Also the ceiling: how fast this
// machine creates and resolves plain Promises (one Future per task cannot beat that by
// much), and `map` with chunksize, which sends many items per native task.
//
//   npm run bench:tiny [-- --rounds 7 --tasks 300000 --piscina-tasks 40000 --workers 2]
import * as os from 'node:os';
import { parseArgs } from 'node:util';

import { kernels, NativePool, wait } from './contenders/corepool';
import { countPrimes } from './contenders/js-kernels.cjs';
import { loadPeer, plainExecArgv, workerFile } from './contenders/peers';
import { fmtRate, median } from './harness/stats';

type PiscinaCtor = new (opts: Record<string, unknown>) => { run(task: unknown): Promise<unknown>; destroy(): Promise<void> };

export interface TinyOptions {
  rounds: number;
  tasks: number;
  piscinaTasks: number;
  mapItems: number;
  chunksize: number;
  workers: number;
}

/**
 * Median tasks/s over `rounds` timed rounds after `warmups` untimed ones. A round may
 * return a check to run after its clock stops (verifying results is not the work measured).
 */
async function rate(rounds: number, n: number, once: (n: number) => Promise<void | (() => Promise<void>)>, warmups = 2): Promise<number> {
  for (let i = 0; i < warmups; i++) await once(Math.min(n, 50_000));
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const check = await once(n);
    rates.push((n / (performance.now() - t0)) * 1000);
    if (check) await check();
  }
  return median(rates);
}

export async function runTiny(opts: TinyOptions): Promise<void> {
  const log = console.log;
  const { rounds, tasks, workers } = opts;
  log(`machine: ${os.cpus().length} cpus (${os.cpus()[0]?.model.trim()}), node ${process.version}, ${workers} workers, medians of ${rounds} rounds`);

  // The ceiling: a Promise created and resolved per task, then all of them awaited.
  const promiseCeiling = await rate(rounds, tasks, async (n) => {
    const resolvers: (() => void)[] = new Array(n);
    let last: Promise<void> | undefined;
    for (let i = 0; i < n; i++) last = new Promise<void>((r) => (resolvers[i] = r));
    for (let i = 0; i < n; i++) resolvers[i]!();
    await last;
  });
  const promiseAllCeiling = await rate(rounds, tasks, async (n) => {
    const resolvers: (() => void)[] = new Array(n);
    const promises: Promise<void>[] = new Array(n);
    for (let i = 0; i < n; i++) promises[i] = new Promise<void>((r) => (resolvers[i] = r));
    for (let i = 0; i < n; i++) resolvers[i]!();
    await Promise.all(promises);
  });
  log(`plain Promises created+resolved:          ${fmtRate(promiseCeiling)}/s   (with Promise.all: ${fmtRate(promiseAllCeiling)}/s)`);

  const pool = new NativePool({ maxWorkers: workers, name: 'bench-tiny' });
  const submitAll = (n: number) => {
    const futures = new Array(n);
    for (let i = 0; i < n; i++) futures[i] = pool.submit(kernels.noop, []);
    return futures;
  };
  const corepoolWait = await rate(rounds, tasks, async (n) => {
    const { notDone } = await wait(submitAll(n));
    if (notDone.size !== 0) throw new Error('wait() returned with futures not done');
  });
  const corepoolPromiseAll = await rate(rounds, tasks, async (n) => {
    await Promise.all(submitAll(n));
  });
  log(`corepool noop, completions via wait():    ${fmtRate(corepoolWait)}/s`);
  log(`corepool noop, completions via Promise.all: ${fmtRate(corepoolPromiseAll)}/s`);

  let piscina: number | null = null;
  const peer = loadPeer<{ Piscina?: PiscinaCtor; default?: PiscinaCtor }>('piscina');
  if (peer.ok) {
    const Piscina = (peer.module.Piscina ?? peer.module.default) as PiscinaCtor;
    const pp = new Piscina({ filename: workerFile('noop'), minThreads: workers, maxThreads: workers, execArgv: plainExecArgv() });
    piscina = await rate(rounds, opts.piscinaTasks, async (n) => {
      const ps: Promise<unknown>[] = new Array(n);
      for (let i = 0; i < n; i++) ps[i] = pp.run(null);
      await Promise.all(ps);
    });
    await pp.destroy();
    log(`piscina ${peer.version} JS noop (Promise.all):  ${fmtRate(piscina)}/s`);
  } else {
    log(`piscina: skipped (${peer.reason}); install with: ${peer.install}`);
  }
  const ratioWait = piscina === null ? null : corepoolWait / piscina;
  const ratioPromiseAll = piscina === null ? null : corepoolPromiseAll / piscina;
  if (piscina !== null) {
    log(`ratio corepool/piscina: ${ratioWait!.toFixed(1)}x (wait)   ${ratioPromiseAll!.toFixed(1)}x (Promise.all)`);
  }
  log(`corepool(wait) / Promise ceiling: ${(corepoolWait / promiseCeiling).toFixed(2)}`);

  // map with chunksize: many items per native task, against one submit per item.
  const noopItems = new Array<undefined>(opts.mapItems).fill(undefined);
  const numbers = Array.from({ length: opts.mapItems }, (_, i) => i);
  const expectedPrimes = countPrimes(0, opts.mapItems);
  const mapRounds = Math.max(3, Math.ceil(rounds / 2));
  const mapNoop = await rate(mapRounds, opts.mapItems, async () => {
    let n = 0;
    for await (const _ of pool.map(kernels.noop, noopItems, { chunksize: opts.chunksize })) n++;
    if (n !== opts.mapItems) throw new Error(`map(noop) yielded ${n} results, expected ${opts.mapItems}`);
  }, 1);
  const mapIsPrime = await rate(mapRounds, opts.mapItems, async () => {
    let primes = 0;
    for await (const p of pool.map(kernels.isPrime, numbers, { chunksize: opts.chunksize })) if (p) primes++;
    if (primes !== expectedPrimes) throw new Error(`map(isPrime) counted ${primes} primes, expected ${expectedPrimes}`);
  }, 1);
  const submitIsPrime = await rate(mapRounds, opts.mapItems, async () => {
    const futures = new Array(opts.mapItems);
    for (let i = 0; i < opts.mapItems; i++) futures[i] = pool.submit(kernels.isPrime, [i]);
    await wait(futures);
    return async () => {
      const primes = (await Promise.all(futures)).filter((p) => p === true).length;
      if (primes !== expectedPrimes) throw new Error(`submit(isPrime) counted ${primes} primes, expected ${expectedPrimes}`);
    };
  }, 1);
  await pool.shutdown();
  const mapNoopOverSubmit = mapNoop / corepoolWait;
  const mapIsPrimeOverSubmit = mapIsPrime / submitIsPrime;
  log(`map(noop, ${fmtRate(opts.mapItems)} items, chunksize ${opts.chunksize}):    ${fmtRate(mapNoop)} items/s = ${mapNoopOverSubmit.toFixed(1)}x per-submit noop`);
  log(`map(isPrime, ${fmtRate(opts.mapItems)} items, chunksize ${opts.chunksize}): ${fmtRate(mapIsPrime)} items/s = ${mapIsPrimeOverSubmit.toFixed(1)}x per-submit isPrime (${fmtRate(submitIsPrime)}/s)`);
}

export const USAGE = `usage: corepool bench:tiny [--rounds 5] [--tasks 300000] [--piscina-tasks 40000] [--map-items 1000000] [--chunksize 10000] [--workers 2]

  per-task overhead: submit + wait of noop and isPrime tasks on NativePool against piscina
  (optional peer) with a noop worker, and map() with chunksize; medians of --rounds rounds`;

export async function run(argv: string[]): Promise<number> {
  await runTiny(parseTinyArgs(argv));
  return 0;
}

export function parseTinyArgs(argv: string[]): TinyOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      tasks: { type: 'string', default: '300000' },
      'piscina-tasks': { type: 'string', default: '40000' },
      'map-items': { type: 'string', default: '1000000' },
      chunksize: { type: 'string', default: '10000' },
      workers: { type: 'string', default: '2' },
    },
  });
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  return {
    rounds: int('rounds', values.rounds, 1),
    tasks: int('tasks', values.tasks, 1),
    piscinaTasks: int('piscina-tasks', values['piscina-tasks'], 1),
    mapItems: int('map-items', values['map-items'], 2),
    chunksize: int('chunksize', values.chunksize, 1),
    workers: int('workers', values.workers, 1),
  };
}

