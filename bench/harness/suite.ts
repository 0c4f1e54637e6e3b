// The benchmark suite: runs every workload through every contender and collects rows.
// Options come from bench/cli.ts; output (table, JSON, Markdown, SVG) from bench/report.ts.
import * as os from 'node:os';

import { Contender, cpuContenders, delay, ioContenders, Runner } from '../contenders/pools';
import { fromSource, kernels, NativePool, wait } from '../contenders/corepool';
import { runIsolation, IsolationResult } from './isolation';
import { runJs, Task } from '../contenders/js-kernels.cjs';
import { loadAverage } from './machine';
import { measureBatch, RssSampler } from './measure';
import { Progress } from './progress';
import { median, percentile } from './stats';
import { cpuWorkloads, normalize, Workload } from './workloads';

export interface SuiteOptions {
  quick: boolean;
  /** Worker counts of the scaling sweep. */
  workers: number[];
  /** The count the non-sweep workloads use. */
  defaultWorkers: number;
  /** Keep a run if any term is a substring of "workload/contender". Empty: keep all. */
  filter: string[];
  quiet: boolean;
}

export interface CpuRow {
  workload: string;
  contender: string;
  workers: number;
  wallMs: number;
  throughput: number;
  /** Wall time at 1 worker / wall time here (same contender, same run). */
  speedup: number | null;
  /** speedup / min(workers, cores): 1.0 is perfect scaling; above the core count it cannot grow. */
  efficiency: number | null;
  latencyP50Ms: number;
  latencyP99Ms: number;
  eventLoopP99Ms: number;
  startupMs: number;
  peakRssMB: number;
  agrees: boolean;
}

export interface TinyRow { contender: string; tasks: number; tasksPerSec: number }
export interface MapRow { kernel: string; items: number; chunksize: number; itemsPerSec: number; perSubmitPerSec: number; overSubmit: number }
export interface IoRow { contender: string; tasks: number; latencyMs: number; concurrency: number; wallMs: number; throughput: number; latencyP50Ms: number; latencyP99Ms: number; eventLoopP99Ms: number }
export interface Skipped { contender: string; reason: string; install: string }

export interface SuiteResult {
  machine: Record<string, string | number>;
  options: SuiteOptions;
  contenders: { id: string; label: string; version: string }[];
  skipped: Skipped[];
  workloads: { id: string; description: string; tasks: number }[];
  cpu: CpuRow[];
  mixed: CpuRow[];
  tiny: TinyRow[];
  map: MapRow[];
  io: IoRow[];
  isolation: IsolationResult[];
  errors: string[];
  summary: Record<string, number | null>;
  durationSec: number;
}

// A term names a workload ("io"), a contender or a dash-separated part of one ("piscina",
// "js"), or one pair ("sha256/corepool"); plain substrings would let "io" match "isolation".
function termMatches(raw: string, workload: string, contender: string): boolean {
  const term = raw.toLowerCase();
  const c = contender.toLowerCase();
  return term === workload.toLowerCase() || term === c || c.split('-').includes(term) || term === `${workload}/${contender}`.toLowerCase();
}

const EXTRA_WORKLOADS = ['mixed', 'tiny', 'map', 'io', 'isolation'];

/** Every workload and contender a --filter term can name (installed peers or not). */
export function filterNames(): { workloads: string[]; contenders: string[] } {
  return {
    workloads: [...cpuWorkloads(true).map((w) => w.id), ...EXTRA_WORKLOADS],
    contenders: [...new Set([...cpuContenders.map((c) => c.id), ...ioContenders.map((c) => c.id), 'corepool'])],
  };
}

/** The --filter terms that name no workload, contender or pair. */
export function unknownFilterTerms(filter: string[]): string[] {
  const { workloads, contenders } = filterNames();
  return filter.filter((term) => !workloads.some((w) => contenders.some((c) => termMatches(term, w, c))));
}

export async function runSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const t0 = performance.now();
  const loadStart = loadAverage();
  const cores = os.availableParallelism();
  const keep = (workload: string, contender: string): boolean => opts.filter.length === 0 || opts.filter.some((term) => termMatches(term, workload, contender));
  const reps = opts.quick ? 1 : 3;
  const warmups = opts.quick ? 0 : 1;
  const errors: string[] = [];
  const skipped: Skipped[] = [];
  const available: Contender[] = [];
  const versions: SuiteResult['contenders'] = [];
  for (const c of cpuContenders) {
    const a = c.available();
    if (a.ok) {
      available.push(c);
      versions.push({ id: c.id, label: c.label, version: a.version });
    } else skipped.push({ contender: c.id, reason: a.reason, install: a.install });
  }
  const ioAvailable = ioContenders.filter((c) => {
    const a = c.available();
    if (a.ok) versions.push({ id: c.id, label: c.label, version: a.version });
    else skipped.push({ contender: c.id, reason: a.reason, install: a.install });
    return a.ok;
  });

  const workloads = cpuWorkloads(opts.quick);
  const countsFor = (c: Contender, w: Workload): number[] => (c.fixedWorkers !== undefined ? [c.fixedWorkers] : w.sweep ? opts.workers : [opts.defaultWorkers]);
  const mixedJobs = opts.quick ? 16 : 64;
  const mixedStep = (opts.quick ? 2e5 : 1e6) / mixedJobs;
  const mixedTasks: Task[] = Array.from({ length: mixedJobs }, (_, i) => ({ kernel: 'countPrimes', args: [i * mixedStep, (i + 1) * mixedStep] }));
  const tinyPools = available.filter((c) => c.fixedWorkers === undefined && c.id !== 'corepool-gil');

  // Steps for the progress display.
  let total = 0;
  for (const w of workloads) for (const c of available) if (keep(w.id, c.id)) total += countsFor(c, w).length;
  for (const c of available) if (keep('mixed', c.id)) total++;
  for (const c of tinyPools) if (keep('tiny', c.id)) total++;
  if (keep('map', 'corepool')) total++;
  for (const c of ioAvailable) if (keep('io', c.id)) total++;
  if (keep('isolation', 'corepool')) total++;
  const progress = new Progress(total, opts.quiet);

  /** Starts a runner, timing pool creation plus a first task (start-up to first result). */
  const startTimed = async (c: Contender, workers: number, first: Task): Promise<{ runner: Runner; startupMs: number }> => {
    const s = performance.now();
    const runner = await c.start(workers);
    await runner.run(first);
    return { runner, startupMs: performance.now() - s };
  };

  const cpuRun = async (section: 'cpu' | 'mixed', w: Workload, c: Contender, workers: number, reference: unknown[], wrap?: (r: Runner) => Runner): Promise<CpuRow | undefined> => {
    const label = `${w.id} · ${c.id} · ${workers} worker${workers === 1 ? '' : 's'}`;
    progress.next(label);
    let runner: Runner | undefined;
    try {
      const started = await startTimed(c, workers, w.tasks[0]!);
      runner = started.runner;
      const measured = await measureBatch(wrap ? wrap(runner) : runner, w.tasks, reps, warmups, (rep) => progress.detail(`${label} · rep ${rep}/${reps}`));
      const mismatch = measured.results.findIndex((r, i) => normalize(r) !== reference[i]);
      if (mismatch >= 0) {
        errors.push(`${section} ${label}: result of task ${mismatch} is ${String(normalize(measured.results[mismatch])).slice(0, 40)}, expected ${String(reference[mismatch]).slice(0, 40)}`);
      }
      return {
        workload: w.id, contender: c.id, workers,
        wallMs: measured.wallMs, throughput: measured.throughput, speedup: null, efficiency: null,
        latencyP50Ms: measured.latencyP50Ms, latencyP99Ms: measured.latencyP99Ms, eventLoopP99Ms: measured.eventLoopP99Ms,
        startupMs: started.startupMs, peakRssMB: measured.peakRssMB, agrees: mismatch < 0,
      };
    } catch (error) {
      errors.push(`${section} ${label}: ${(error as Error).stack ?? String(error)}`);
      return undefined;
    } finally {
      await runner?.close().catch(() => undefined);
    }
  };

  // ---- CPU workloads ----
  const cpu: CpuRow[] = [];
  for (const w of workloads) {
    const reference = w.tasks.map((t) => normalize(runJs(t)));
    for (const c of available) {
      if (!keep(w.id, c.id)) continue;
      for (const workers of countsFor(c, w)) {
        const row = await cpuRun('cpu', w, c, workers, reference);
        if (row) cpu.push(row);
      }
    }
  }
  for (const row of cpu) {
    const base = cpu.find((r) => r.workload === row.workload && r.contender === row.contender && r.workers === 1);
    if (base) {
      row.speedup = base.wallMs / row.wallMs;
      row.efficiency = row.speedup / Math.min(row.workers, cores);
    }
  }

  // ---- Mixed IO + CPU: each job waits (IO), computes, waits again ----
  const mixed: CpuRow[] = [];
  {
    const w: Workload = { id: 'mixed', description: `${mixedTasks.length} jobs: 5 ms IO, countPrimes, 2 ms IO`, sweep: false, tasks: mixedTasks };
    const reference = mixedTasks.map((t) => normalize(runJs(t)));
    const wrap = (r: Runner): Runner => ({ run: async (task) => { await delay(5); const v = await r.run(task); await delay(2); return v; }, close: () => r.close() });
    for (const c of available) {
      if (!keep('mixed', c.id)) continue;
      const row = await cpuRun('mixed', w, c, c.fixedWorkers ?? opts.defaultWorkers, reference, wrap);
      if (row) mixed.push(row);
    }
  }

  // ---- Tiny tasks: one task per noop, all submitted at once ----
  const tiny: TinyRow[] = [];
  for (const c of tinyPools) {
    if (!keep('tiny', c.id)) continue;
    const n = c.id === 'corepool' ? (opts.quick ? 20_000 : 200_000) : opts.quick ? 2_000 : 20_000;
    progress.next(`tiny · ${c.id} · ${n} noop tasks`);
    let runner: Runner | undefined;
    try {
      runner = await c.start(opts.defaultWorkers);
      const r = runner;
      const once = r.runNoops ? () => r.runNoops!(n) : async () => { await Promise.all(Array.from({ length: n }, () => r.run({ kernel: 'noop', args: [] }))); };
      await once(); // warm-up (also starts the threads)
      const rates: number[] = [];
      for (let i = 0; i < (opts.quick ? 1 : 5); i++) {
        const s = performance.now();
        await once();
        rates.push((n / (performance.now() - s)) * 1000);
      }
      tiny.push({ contender: c.id, tasks: n, tasksPerSec: median(rates) });
    } catch (error) {
      errors.push(`tiny ${c.id}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await runner?.close().catch(() => undefined);
    }
  }
  if (tinyPools.some((c) => keep('tiny', c.id))) {
    // The ceiling for one Future per task: creating and resolving plain Promises.
    const n = opts.quick ? 100_000 : 500_000;
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const resolvers: (() => void)[] = new Array(n);
      let last: Promise<void> | undefined;
      for (let j = 0; j < n; j++) last = new Promise<void>((r) => (resolvers[j] = r));
      for (let j = 0; j < n; j++) resolvers[j]!();
      await last;
      rates.push((n / (performance.now() - s)) * 1000);
    }
    tiny.push({ contender: 'plain Promise (ceiling)', tasks: n, tasksPerSec: median(rates) });
  }

  // ---- map with chunksize vs one submit per item ----
  const map: MapRow[] = [];
  if (keep('map', 'corepool')) {
    const items = opts.quick ? 100_000 : 1_000_000;
    const chunksize = opts.quick ? 1000 : 10_000;
    progress.next(`map · corepool · ${items} items, chunksize ${chunksize}`);
    const pool = new NativePool({ maxWorkers: opts.defaultWorkers, name: 'bench-map' });
    try {
      const numbers = Array.from({ length: items }, (_, i) => i);
      const expected = numbers.filter((n) => runJs({ kernel: 'isPrime', args: [n] }) === true).length;
      const timed = async (fn: () => Promise<void>): Promise<number> => {
        await fn();
        const rates: number[] = [];
        for (let i = 0; i < (opts.quick ? 1 : 3); i++) {
          const s = performance.now();
          await fn();
          rates.push((items / (performance.now() - s)) * 1000);
        }
        return median(rates);
      };
      let counted = 0;
      const mapRate = async (kernel: 'noop' | 'isPrime'): Promise<number> =>
        timed(async () => {
          counted = 0;
          const input = kernel === 'noop' ? new Array<undefined>(items).fill(undefined) : numbers;
          for await (const r of pool.map(kernels[kernel] as typeof kernels.isPrime, input as number[], { chunksize })) if (r === true || kernel === 'noop') counted++;
        });
      const submitRate = async (kernel: 'noop' | 'isPrime'): Promise<number> =>
        timed(async () => {
          const futures = new Array(items);
          if (kernel === 'noop') for (let i = 0; i < items; i++) futures[i] = pool.submit(kernels.noop, []);
          else for (let i = 0; i < items; i++) futures[i] = pool.submit(kernels.isPrime, [i]);
          await wait(futures);
        });
      for (const kernel of ['noop', 'isPrime'] as const) {
        const itemsPerSec = await mapRate(kernel);
        const want = kernel === 'noop' ? items : expected;
        if (counted !== want) errors.push(`map ${kernel}: counted ${counted}, expected ${want}`);
        const perSubmitPerSec = await submitRate(kernel);
        map.push({ kernel, items, chunksize, itemsPerSec, perSubmitPerSec, overSubmit: itemsPerSec / perSubmitPerSec });
      }
    } catch (error) {
      errors.push(`map: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await pool.shutdown();
    }
  }

  // ---- IO: many tasks of simulated latency ----
  const io: IoRow[] = [];
  const ioTasks = opts.quick ? 100 : 400;
  const ioLatency = 10;
  const concurrency = 32;
  for (const c of ioAvailable) {
    if (!keep('io', c.id)) continue;
    progress.next(`io · ${c.id} · ${ioTasks} tasks of ${ioLatency} ms, concurrency ${concurrency}`);
    try {
      const runner = await c.start(concurrency);
      const walls: number[] = [];
      const lats: number[] = [];
      const rss = new RssSampler();
      const { monitorEventLoopDelay } = await import('node:perf_hooks');
      const eld = monitorEventLoopDelay({ resolution: 1 });
      for (let rep = 0; rep <= reps; rep++) {
        if (rep === 1) eld.enable();
        const s = performance.now();
        await Promise.all(Array.from({ length: ioTasks }, async () => {
          const t = performance.now();
          await runner.run(ioLatency);
          if (rep > 0) lats.push(performance.now() - t);
        }));
        if (rep > 0) walls.push(performance.now() - s); // rep 0 is the warm-up
      }
      eld.disable();
      rss.stop();
      await runner.close();
      const wallMs = median(walls);
      io.push({
        contender: c.id, tasks: ioTasks, latencyMs: ioLatency, concurrency, wallMs, throughput: (ioTasks / wallMs) * 1000,
        latencyP50Ms: percentile(lats, 50), latencyP99Ms: percentile(lats, 99), eventLoopP99Ms: eld.percentile(99) / 1e6,
      });
    } catch (error) {
      errors.push(`io ${c.id}: ${(error as Error).stack ?? String(error)}`);
    }
  }

  // ---- Isolation ----
  let isolation: IsolationResult[] = [];
  if (keep('isolation', 'corepool')) {
    progress.next('isolation · fs.readFile latency: idle, corepool CPU load, libuv-pool CPU load');
    try {
      isolation = await runIsolation(opts.quick ? 400 : 1500, opts.defaultWorkers);
    } catch (error) {
      errors.push(`isolation: ${(error as Error).stack ?? String(error)}`);
    }
  }
  progress.done();

  const find = (rows: CpuRow[], workload: string, contender: string, workers: number) =>
    rows.find((r) => r.workload === workload && r.contender === contender && r.workers === workers);
  const dw = opts.defaultWorkers;
  const tp = (contender: string) => find(cpu, 'countPrimes', contender, dw)?.throughput;
  const ratio = (a: number | undefined | null, b: number | undefined | null): number | null => (a != null && b != null && b > 0 ? a / b : null);
  const tinyOf = (id: string) => tiny.find((t) => t.contender === id)?.tasksPerSec;
  const iso = (c: IsolationResult['condition']) => isolation.find((i) => i.condition === c)?.p99Ms ?? null;
  // Start-up: the median over the countPrimes sweep's pools (one per worker count).
  const startup = (contender: string): number | null => {
    const times = cpu.filter((r) => r.workload === 'countPrimes' && r.contender === contender).map((r) => r.startupMs);
    return times.length ? median(times) : null;
  };
  const summary: Record<string, number | null> = {
    countPrimesCorepoolOverPiscinaJs: ratio(tp('corepool'), tp('piscina-js')),
    countPrimesCorepoolOverPiscinaNative: ratio(tp('corepool'), tp('piscina-native')),
    countPrimesCorepoolOverMainJs: ratio(tp('corepool'), find(cpu, 'countPrimes', 'main-js', 1)?.throughput),
    tinyCorepoolOverPiscina: ratio(tinyOf('corepool'), tinyOf('piscina-js')),
    startupMsCorepool: startup('corepool'),
    startupMsPiscinaJs: startup('piscina-js'),
    startupMsTinypoolJs: startup('tinypool-js'),
    tinyCorepoolOverPromiseCeiling: ratio(tinyOf('corepool'), tinyOf('plain Promise (ceiling)')),
    speedupCorepoolAt2: find(cpu, 'countPrimes', 'corepool', 2)?.speedup ?? null,
    speedupGlobalLockAt2: find(cpu, 'countPrimes', 'corepool-gil', 2)?.speedup ?? null,
    speedupPiscinaJsAt2: find(cpu, 'countPrimes', 'piscina-js', 2)?.speedup ?? null,
    eventLoopP99MsCorepool: find(cpu, 'countPrimes', 'corepool', dw)?.eventLoopP99Ms ?? null,
    eventLoopP99MsMainJs: find(cpu, 'countPrimes', 'main-js', 1)?.eventLoopP99Ms ?? null,
    fsP99MsIdle: iso('idle'),
    fsP99MsCorepoolLoad: iso('corepool'),
    fsP99MsLibuvLoad: iso('libuv-pbkdf2'),
    mapNoopOverSubmit: map.find((m) => m.kernel === 'noop')?.overSubmit ?? null,
    mapIsPrimeOverSubmit: map.find((m) => m.kernel === 'isPrime')?.overSubmit ?? null,
  };

  const cpuInfo = os.cpus();
  return {
    machine: {
      cpus: cpuInfo.length,
      availableParallelism: cores,
      cpuModel: cpuInfo[0]?.model.trim() ?? '?',
      totalMemGB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
      corepool: versions.find((v) => v.id === 'corepool')?.version ?? '?',
      uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
      date: new Date().toISOString(),
      moduleFrom: fromSource ? 'source (lib/ via tsx)' : 'compiled (dist/)',
      loadAverageStart: loadStart,
      loadAverageEnd: loadAverage(),
    },
    options: opts,
    contenders: versions,
    skipped,
    workloads: [...workloads.map((w) => ({ id: w.id, description: w.description, tasks: w.tasks.length })), { id: 'mixed', description: `${mixedTasks.length} jobs: 5 ms timer, countPrimes slice, 2 ms timer`, tasks: mixedTasks.length }],
    cpu, mixed, tiny, map, io, isolation, errors, summary,
    durationSec: (performance.now() - t0) / 1000,
  };
}
