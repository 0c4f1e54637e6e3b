// Per-task overhead: corepool's `noop` kernel, one Future per task, against piscina running
// a JS no-op on the same number of threads, in one run. Also the ceiling: how fast this
// machine creates and resolves plain Promises (one Future per task cannot beat that by
// much), `map` with chunksize against the same predicate in a plain loop on the main
// thread, and `map` with the default chunksize against one submit per item.
//
// Contenders that are compared run interleaved, round by round (the order rotating), so a
// ratio compares measurements taken at the same moment of a noisy machine; each ratio is
// the median of the per-round ratios. Allocations per task are measured in one extra,
// untimed round per contender: JS heap bytes (v8.GCProfiler: the heap growth plus what
// each GC freed) and, with --mallocs, native mallocs (an LD_PRELOAD counter, all threads).
//
// `npm run bench:tiny` compiles lib/ and bench/ first and runs dist/bench/cli.js: the
// build users run (under tsx every import of lib/ is a getter call on the hot path).
//
//   npm run bench:tiny [-- --rounds 7 --tasks 300000 --piscina-tasks 40000 --workers 2 --mallocs]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as v8 from 'node:v8';

import { kernels, measuredBuild, NativePool, sha256Backend, wait } from '../contenders/corepool';
import { countPrimes, isPrime } from '../contenders/js-kernels.cjs';
import { loadPeer, plainExecArgv, workerFile } from '../contenders/peers';
import { loadAverage } from '../harness/machine';
import { fmtRate, median } from '../harness/stats';

type PiscinaCtor = new (opts: Record<string, unknown>) => { run(task: unknown): Promise<unknown>; destroy(): Promise<void> };

export interface TinyOptions {
  rounds: number;
  tasks: number;
  piscinaTasks: number;
  mapItems: number;
  chunksize: number;
  workers: number;
  mallocs: boolean;
}

/** The cheapest thenable that is pending when awaited: one object, its callback stored. */
class PendingThenable implements PromiseLike<void> {
  private onFulfilled: ((value: void) => unknown) | null | undefined;

  then<R1 = void, R2 = never>(onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null): PromiseLike<R1 | R2> {
    this.onFulfilled = onFulfilled;
    return this as unknown as PromiseLike<R1 | R2>;
  }

  settle(): void {
    this.onFulfilled?.();
  }
}

/** One thing measured: `once(n)` does n items; it may return a check run after the clock stops. */
interface Contender {
  name: string;
  items: number;
  once: (n: number) => Promise<void | (() => Promise<void>)>;
}

interface Measured {
  rates: number[]; // items/s, one per round
  heapBytesPerItem: number;
  mallocsPerItem: number | null;
}

const MALLOC_FILE = process.env.COREPOOL_MALLOC_COUNTER_FILE;

function mallocCount(): number | null {
  if (MALLOC_FILE === undefined) return null;
  return Number(fs.readFileSync(MALLOC_FILE).readBigUint64LE(0));
}

/** JS heap bytes allocated while `fn` runs: growth of the used heap plus what every GC freed. */
async function heapAllocated(fn: () => Promise<unknown>): Promise<number> {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  await fn();
  const after = process.memoryUsage().heapUsed;
  const result = profiler.stop() as { statistics: { beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }[] };
  let freed = 0;
  for (const gc of result.statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return after - before + freed;
}

/**
 * Runs `contenders` interleaved: `warmups` untimed rounds, then `rounds` timed rounds
 * with the order rotating each round; then one untimed round each for allocations.
 */
async function interleaved(contenders: Contender[], rounds: number, warmups = 2): Promise<Map<string, Measured>> {
  for (let w = 0; w < warmups; w++) for (const c of contenders) await c.once(Math.min(c.items, 50_000));
  const rates = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(r + k) % contenders.length]!;
      const t0 = performance.now();
      const check = await c.once(c.items);
      rates.get(c.name)!.push((c.items / (performance.now() - t0)) * 1000);
      if (check) await check();
    }
  }
  const out = new Map<string, Measured>();
  for (const c of contenders) {
    const m0 = mallocCount();
    const after: { check?: void | (() => Promise<void>) } = {};
    const bytes = await heapAllocated(async () => {
      after.check = await c.once(c.items);
    });
    const m1 = mallocCount();
    if (after.check) await after.check();
    out.set(c.name, {
      rates: rates.get(c.name)!,
      heapBytesPerItem: bytes / c.items,
      mallocsPerItem: m0 === null || m1 === null ? null : (m1 - m0) / c.items,
    });
  }
  return out;
}

/** The median over rounds of a/b, each pair from the same round. */
function ratio(results: Map<string, Measured>, a: string, b: string): number {
  const xs = results.get(a)!.rates;
  const ys = results.get(b)!.rates;
  return median(xs.map((x, i) => x / ys[i]!));
}

function printTable(results: Map<string, Measured>, unit: string): void {
  const log = console.log;
  log(`  ${'contender'.padEnd(58)} ${`median ${unit}/s`.padStart(16)} ${'min..max'.padStart(17)} ${'heap B/item'.padStart(12)} ${'mallocs/item'.padStart(13)}`);
  for (const [name, m] of results) {
    const range = `${fmtRate(Math.min(...m.rates))}..${fmtRate(Math.max(...m.rates))}`;
    const mallocs = m.mallocsPerItem === null ? '-' : m.mallocsPerItem.toFixed(2);
    log(`  ${name.padEnd(58)} ${fmtRate(median(m.rates)).padStart(16)} ${range.padStart(17)} ${m.heapBytesPerItem.toFixed(0).padStart(12)} ${mallocs.padStart(13)}`);
  }
}

export async function runTiny(opts: TinyOptions): Promise<void> {
  if (opts.mallocs && MALLOC_FILE === undefined) return rerunWithMallocCounter();
  const log = console.log;
  const { rounds, tasks, workers } = opts;
  log(`machine: ${os.cpus().length} cpus (${os.cpus()[0]?.model.trim()}), node ${process.version}, ${workers} workers, medians of ${rounds} interleaved rounds`);
  log(`corepool measured: ${measuredBuild}`);
  log(`load average at start: ${loadAverage()}`);
  if (MALLOC_FILE === undefined) log('native mallocs: not counted (add --mallocs; needs a C compiler)');

  const pool = new NativePool({ maxWorkers: workers, name: 'bench-tiny' });
  const submitAll = (n: number): ReturnType<typeof pool.submit<typeof kernels.noop>>[] => {
    const futures = new Array<ReturnType<typeof pool.submit<typeof kernels.noop>>>(n);
    for (let i = 0; i < n; i++) futures[i] = pool.submit(kernels.noop, []);
    return futures;
  };

  // ---- per-task overhead: the Promise ceilings and corepool's ways of awaiting ----
  const CEILING = 'plain Promises created+resolved';
  const CEILING_ALL = 'plain Promises + Promise.all (the Promise.all ceiling)';
  const WAIT = 'corepool noop, wait(futures)';
  const ALL = 'corepool noop, await Promise.all(futures)';
  const ALL_RESULT = 'corepool noop, Promise.all(futures.map(f => f.result()))';
  const THENABLE = 'floor of any thenable: Promise.all over settled { then(f) { f() } }';
  const PENDING_THENABLE = 'floor of pending thenables: settled later, 4096 per macrotask';
  const overhead = await interleaved(
    [
      {
        name: CEILING,
        items: tasks,
        once: async (n) => {
          const resolvers: (() => void)[] = new Array(n);
          let last: Promise<void> | undefined;
          for (let i = 0; i < n; i++) last = new Promise<void>((r) => (resolvers[i] = r));
          for (let i = 0; i < n; i++) resolvers[i]!();
          await last;
        },
      },
      {
        name: CEILING_ALL,
        items: tasks,
        once: async (n) => {
          const resolvers: (() => void)[] = new Array(n);
          const promises: Promise<void>[] = new Array(n);
          for (let i = 0; i < n; i++) promises[i] = new Promise<void>((r) => (resolvers[i] = r));
          for (let i = 0; i < n; i++) resolvers[i]!();
          await Promise.all(promises);
        },
      },
      {
        // What Promise.all costs over thenables that are not Promises, however cheap.
        name: THENABLE,
        items: tasks,
        once: async (n) => {
          const thenables: PromiseLike<void>[] = new Array(n);
          const settled = { then: (onFulfilled?: ((v: void) => unknown) | null) => void onFulfilled?.() } as unknown as PromiseLike<void>;
          for (let i = 0; i < n; i++) thenables[i] = { then: settled.then };
          await Promise.all(thenables);
        },
      },
      {
        // The same, but pending when Promise.all takes them and settled later in batches,
        // as a pool's completions arrive: Promise.all's wrapper Promise, resolving functions
        // and reactions per item all stay alive (and are copied by every scavenge) until
        // then. No Future can beat this: it is Promise.all's own cost for a pending thenable.
        name: PENDING_THENABLE,
        items: tasks,
        once: async (n) => {
          const thenables: PendingThenable[] = new Array(n);
          for (let i = 0; i < n; i++) thenables[i] = new PendingThenable();
          const all = Promise.all(thenables);
          await new Promise(setImmediate); // Promise.all's thenable jobs have called then()
          for (let i = 0; i < n; ) {
            for (const end = Math.min(n, i + 4096); i < end; i++) thenables[i]!.settle();
            await new Promise(setImmediate);
          }
          await all;
        },
      },
      {
        name: WAIT,
        items: tasks,
        once: async (n) => {
          const { notDone } = await wait(submitAll(n));
          if (notDone.size !== 0) throw new Error('wait() returned with futures not done');
        },
      },
      {
        name: ALL,
        items: tasks,
        once: async (n) => {
          const results = await Promise.all(submitAll(n));
          if (results.length !== n) throw new Error('Promise.all gave the wrong number of results');
        },
      },
      {
        name: ALL_RESULT,
        items: tasks,
        once: async (n) => {
          await Promise.all(submitAll(n).map((f) => f.result()));
        },
      },
    ],
    rounds,
  );
  log('\nper-task overhead (noop):');
  printTable(overhead, 'tasks');
  log(`  await Promise.all(futures) / Promise.all ceiling: ${ratio(overhead, ALL, CEILING_ALL).toFixed(2)}   (goal >= 0.7; any thenable: ${ratio(overhead, THENABLE, CEILING_ALL).toFixed(2)}, pending thenables: ${ratio(overhead, PENDING_THENABLE, CEILING_ALL).toFixed(2)})`);
  log(`  wait(futures) / Promise ceiling:                  ${ratio(overhead, WAIT, CEILING).toFixed(2)}   (goal >= 0.8)`);
  log(`  wait(futures) / await Promise.all(futures):       ${ratio(overhead, WAIT, ALL).toFixed(2)}   (goal <= 1.3)`);

  // ---- piscina, the peer (its rate is far lower: fewer tasks, measured apart) ----
  const peer = loadPeer<{ Piscina?: PiscinaCtor; default?: PiscinaCtor }>('piscina');
  if (peer.ok) {
    const Piscina = (peer.module.Piscina ?? peer.module.default) as PiscinaCtor;
    const pp = new Piscina({ filename: workerFile('noop'), minThreads: workers, maxThreads: workers, execArgv: plainExecArgv() });
    const PISCINA = `piscina ${peer.version} JS noop, Promise.all`;
    const peers = await interleaved(
      [
        {
          name: PISCINA,
          items: opts.piscinaTasks,
          once: async (n) => {
            const ps: Promise<unknown>[] = new Array(n);
            for (let i = 0; i < n; i++) ps[i] = pp.run(null);
            await Promise.all(ps);
          },
        },
        { name: WAIT, items: tasks, once: async (n) => void (await wait(submitAll(n))) },
        { name: ALL, items: tasks, once: async (n) => void (await Promise.all(submitAll(n))) },
      ],
      Math.max(3, Math.ceil(rounds / 2)),
      1,
    );
    await pp.destroy();
    log('\nagainst piscina:');
    printTable(peers, 'tasks');
    log(`  ratio corepool/piscina: ${ratio(peers, WAIT, PISCINA).toFixed(1)}x (wait)   ${ratio(peers, ALL, PISCINA).toFixed(1)}x (Promise.all)`);
  } else {
    log(`\npiscina: skipped (${peer.reason}); install with: ${peer.install}`);
  }

  // ---- map with chunksize vs the same predicate inline; map(noop) ----
  const numbers = Array.from({ length: opts.mapItems }, (_, i) => i);
  const expectedPrimes = countPrimes(0, opts.mapItems);
  const mapRounds = Math.max(3, Math.ceil(rounds / 2));
  const MAP_PRIME = `map(isPrime, ${fmtRate(opts.mapItems)} ints, chunksize ${opts.chunksize})`;
  const INLINE = 'isPrime in a plain JS loop on the main thread';
  const MAP_NOOP = `map(noop, ${fmtRate(opts.mapItems)} items, chunksize ${opts.chunksize})`;
  const noopItems = new Array<undefined>(opts.mapItems).fill(undefined);
  const FOR_AWAIT = 'floor of per-item for await: results already in an array';
  const typedNumbers = Int32Array.from(numbers);
  const MAP_CHUNKS = `mapChunks(isPrime, Int32Array of ${fmtRate(opts.mapItems)}, chunksize ${opts.chunksize})`;
  const KERNEL_ALONE = `countPrimes(0, ${fmtRate(opts.mapItems)}): the native loop on 1 thread`;
  const MAP_TYPED = `map(isPrime, Int32Array of ${fmtRate(opts.mapItems)}, chunksize ${opts.chunksize})`;
  const known = numbers.map(isPrime);
  const maps = await interleaved(
    [
      {
        // What `for await` itself costs per item, with every result known in advance.
        name: FOR_AWAIT,
        items: opts.mapItems,
        once: async () => {
          let primes = 0;
          let i = 0;
          const source: AsyncIterable<boolean> = {
            [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(i < known.length ? { value: known[i++]!, done: false } : { value: undefined, done: true }) }),
          };
          for await (const p of source) if (p) primes++;
          if (primes !== expectedPrimes) throw new Error(`for await counted ${primes} primes, expected ${expectedPrimes}`);
        },
      },
      {
        name: MAP_PRIME,
        items: opts.mapItems,
        once: async () => {
          let primes = 0;
          for await (const p of pool.map(kernels.isPrime, numbers, { chunksize: opts.chunksize })) if (p) primes++;
          if (primes !== expectedPrimes) throw new Error(`map(isPrime) counted ${primes} primes, expected ${expectedPrimes}`);
        },
      },
      {
        // A chunk's results at a time, counted by a plain loop: no per-item async step;
        // the typed array goes to the native side a slice per chunk, no JS per item.
        name: MAP_CHUNKS,
        items: opts.mapItems,
        once: async () => {
          let primes = 0;
          for await (const chunk of pool.mapChunks(kernels.isPrime, typedNumbers, { chunksize: opts.chunksize })) {
            for (let i = 0; i < chunk.length; i++) if (chunk[i]) primes++;
          }
          return async () => {
            if (primes !== expectedPrimes) throw new Error(`mapChunks(isPrime) counted ${primes} primes, expected ${expectedPrimes}`);
          };
        },
      },
      {
        // The native loop alone on one thread, no map: the kernel's own speed against
        // V8's JIT on the same algorithm (what part of a map ratio is the kernel's).
        name: KERNEL_ALONE,
        items: opts.mapItems,
        once: async () => {
          const primes = await pool.submit(kernels.countPrimes, [0, opts.mapItems]);
          return async () => {
            if (primes !== expectedPrimes) throw new Error(`countPrimes counted ${primes} primes, expected ${expectedPrimes}`);
          };
        },
      },
      {
        // The same typed input, consumed item by item: the for-await floor again.
        name: MAP_TYPED,
        items: opts.mapItems,
        once: async () => {
          let primes = 0;
          for await (const p of pool.map(kernels.isPrime, typedNumbers, { chunksize: opts.chunksize })) if (p) primes++;
          return async () => {
            if (primes !== expectedPrimes) throw new Error(`map(isPrime, Int32Array) counted ${primes} primes, expected ${expectedPrimes}`);
          };
        },
      },
      {
        name: INLINE,
        items: opts.mapItems,
        once: async () => {
          let primes = 0;
          for (let i = 0; i < numbers.length; i++) if (isPrime(numbers[i]!)) primes++;
          if (primes !== expectedPrimes) throw new Error(`inline isPrime counted ${primes} primes, expected ${expectedPrimes}`);
        },
      },
      {
        name: MAP_NOOP,
        items: opts.mapItems,
        once: async () => {
          let n = 0;
          for await (const _ of pool.map(kernels.noop, noopItems, { chunksize: opts.chunksize })) n++;
          if (n !== opts.mapItems) throw new Error(`map(noop) yielded ${n} results, expected ${opts.mapItems}`);
        },
      },
    ],
    mapRounds,
    1,
  );
  log('\nmap with chunksize:');
  printTable(maps, 'items');
  log(`  mapChunks(isPrime, Int32Array) / inline loop: ${ratio(maps, MAP_CHUNKS, INLINE).toFixed(2)}x   (goal >= 1.6x)`);
  log(`  native isPrime loop on 1 thread / inline loop: ${ratio(maps, KERNEL_ALONE, INLINE).toFixed(2)}x   (the kernel's share of the ratios)`);
  log(`  map(isPrime) / inline loop: ${ratio(maps, MAP_PRIME, INLINE).toFixed(2)}x   (over an Int32Array: ${ratio(maps, MAP_TYPED, INLINE).toFixed(2)}x; per-item for await alone: ${ratio(maps, FOR_AWAIT, INLINE).toFixed(2)}x)`);

  // ---- map with the default chunksize vs one submit per item, then wait ----
  const perItem = Math.min(opts.mapItems, 200_000);
  const perItemNumbers = numbers.slice(0, perItem);
  const expectedPerItem = countPrimes(0, perItem);
  const MAP_DEFAULT = `map(isPrime, ${fmtRate(perItem)} ints), default chunksize`;
  const SUBMIT = `submit(isPrime) per item + wait, ${fmtRate(perItem)} ints`;
  const defaults = await interleaved(
    [
      {
        name: MAP_DEFAULT,
        items: perItem,
        once: async () => {
          let primes = 0;
          for await (const p of pool.map(kernels.isPrime, perItemNumbers)) if (p) primes++;
          if (primes !== expectedPerItem) throw new Error(`map(isPrime) counted ${primes} primes, expected ${expectedPerItem}`);
        },
      },
      {
        name: SUBMIT,
        items: perItem,
        once: async () => {
          const futures = new Array<ReturnType<typeof pool.submit<typeof kernels.isPrime>>>(perItem);
          for (let i = 0; i < perItem; i++) futures[i] = pool.submit(kernels.isPrime, [perItemNumbers[i]!]);
          await wait(futures);
          return async () => {
            const primes = (await Promise.all(futures)).filter((p) => p === true).length;
            if (primes !== expectedPerItem) throw new Error(`submit(isPrime) counted ${primes} primes, expected ${expectedPerItem}`);
          };
        },
      },
    ],
    mapRounds,
    1,
  );
  await pool.shutdown();
  log('\nmap with the default chunksize:');
  printTable(defaults, 'items');
  log(`  map(default chunksize) / per-item submit: ${ratio(defaults, MAP_DEFAULT, SUBMIT).toFixed(2)}x   (goal >= 1)`);
  // ---- sha256 per thread: a pool of one worker against node:crypto on the main thread ----
  const shaPool = new NativePool({ maxWorkers: 1, name: 'bench-sha' });
  const shaBuffers = Array.from({ length: 64 }, (_, i) => new Uint8Array(64 * 1024).fill(i));
  const shaWant = createHash('sha256').update(shaBuffers[5]!).digest('hex');
  if (Buffer.from(await shaPool.submit(kernels.sha256, [shaBuffers[5]!])).toString('hex') !== shaWant) throw new Error('sha256 disagrees with node:crypto');
  const SHA_POOL = `sha256 64 x 64 KiB, NativePool of 1 worker (${sha256Backend})`;
  const SHA_SYNC = `sha256 64 x 64 KiB, kernels.sha256.runSync on the main thread (${sha256Backend})`;
  const SHA_NODE = 'sha256 64 x 64 KiB, node:crypto on the main thread';
  const sha = await interleaved(
    [
      { name: SHA_POOL, items: shaBuffers.length, once: async () => void (await Promise.all(shaBuffers.map((b) => shaPool.submit(kernels.sha256, [b])))) },
      { name: SHA_SYNC, items: shaBuffers.length, once: async () => void shaBuffers.forEach((b) => kernels.sha256.runSync([b])) },
      { name: SHA_NODE, items: shaBuffers.length, once: async () => void shaBuffers.forEach((b) => createHash('sha256').update(b).digest()) },
    ],
    rounds,
  );
  await shaPool.shutdown();
  log('\nsha256 per thread:');
  printTable(sha, 'hashes');
  log(`  corepool / node:crypto, same thread: ${ratio(sha, SHA_SYNC, SHA_NODE).toFixed(2)}x   (goal >= 0.9)   on a pool thread: ${ratio(sha, SHA_POOL, SHA_NODE).toFixed(2)}x`);
  log(`\nload average at end: ${loadAverage()}`);
}

/** Builds the LD_PRELOAD malloc counter and runs this benchmark again under it. */
function rerunWithMallocCounter(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-mallocs-'));
  const lib = path.join(dir, 'malloc-counter.so');
  const source = path.join(__dirname, '..', 'harness', 'malloc-counter.c');
  try {
    execFileSync(process.env.CC ?? 'cc', ['-shared', '-fPIC', '-O2', '-o', lib, source], { stdio: 'inherit' });
  } catch (error) {
    throw new Error(`--mallocs needs a C compiler to build ${source}: ${(error as Error).message}`);
  }
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, LD_PRELOAD: lib, COREPOOL_MALLOC_COUNTER_FILE: path.join(dir, 'count') },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = child.status ?? 1;
}

export const USAGE = `usage: corepool bench:tiny [--rounds 5] [--tasks 300000] [--piscina-tasks 40000] [--map-items 1000000] [--chunksize 10000] [--workers 2] [--mallocs]

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
      mallocs: { type: 'boolean', default: false },
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
    mallocs: values.mallocs,
  };
}
