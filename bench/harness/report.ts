// Renders a SuiteResult: terminal tables, Markdown, JSON and the SVG charts.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

import { fmtMs, fmtRate } from './stats';
import type { CpuRow, SuiteResult } from './suite';
import { lineChart, Series } from './svg';

type Cell = string | number;

/** Aligned plain-text table (numbers right-aligned). */
export function textTable(header: string[], rows: Cell[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], isHeader: boolean) =>
    r.map((c, i) => (isHeader || typeof rows[0]?.[i] !== 'number' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!, true), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map((r) => line(r, false))].join('\n');
}

export function mdTable(header: string[], rows: Cell[][]): string {
  const align = header.map((_, i) => (typeof rows[0]?.[i] === 'number' ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const x = (v: number | null | undefined, digits = 2): string => (v == null ? '-' : `${v.toFixed(digits)}x`);
const pct = (v: number | null): string => (v == null ? '-' : `${Math.round(v * 100)}%`);

function cpuTable(rows: CpuRow[]): [string[], Cell[][]] {
  return [
    ['workload', 'contender', 'workers', 'wall ms', 'tasks/s', 'speedup', 'efficiency', 'p50 ms', 'p99 ms', 'loop p99 ms', 'start ms', 'RSS MB', 'ok'],
    rows.map((r) => [
      r.workload, r.contender, r.workers, fmtMs(r.wallMs), fmtRate(r.throughput), x(r.speedup), pct(r.efficiency),
      fmtMs(r.latencyP50Ms), fmtMs(r.latencyP99Ms), fmtMs(r.eventLoopP99Ms), fmtMs(r.startupMs), r.peakRssMB.toFixed(0), r.agrees ? 'yes' : 'NO',
    ]),
  ];
}

/**
 * Why this run's machine was not quiet, from the controls: a speedup no pool can reach on
 * these cores (efficiency well above 100% means its 1-worker baseline was slowed by other
 * load), a global-lock speedup above 1 (the lock serializes), or a load average above the
 * core count. Empty when the controls look quiet.
 */
export function noiseReasons(res: SuiteResult): string[] {
  const reasons: string[] = [];
  for (const r of res.cpu) {
    if (r.workers > 1 && r.efficiency !== null && r.efficiency > 1.1) {
      reasons.push(`${r.contender} at ${r.workers} workers (${r.workload}): ${(r.efficiency * 100).toFixed(0)}% efficiency`);
    }
  }
  const gil = res.summary.speedupGlobalLockAt2;
  if (gil !== null && gil !== undefined && gil > 1.15) reasons.push(`global-lock mode speedup ${gil.toFixed(2)}x at 2 workers (the lock allows ~1x)`);
  const cores = Number(res.machine.availableParallelism);
  for (const key of ['loadAverageStart', 'loadAverageEnd'] as const) {
    const one = Number(String(res.machine[key] ?? '').split(' ')[0]);
    if (one > cores) reasons.push(`load average ${one.toFixed(2)} (${key === 'loadAverageStart' ? 'start' : 'end'}) above ${cores} cores`);
  }
  return reasons;
}

/** 'yes' / 'NO' for a goal ('noisy' instead of 'NO' when the controls say the machine was busy), '-' when the measure did not run. */
function met(value: number | null | undefined, ok: (v: number) => boolean, noisy: boolean): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  return ok(value) ? 'yes' : noisy ? 'noisy' : 'NO';
}

const GOALS_NOTE =
  "'noisy': the goal was missed while the controls (listed under the load line) show the machine was not quiet; " +
  "'-': the measure did not run. A goal missed on a busy machine says more about the machine: compare with the reference run the README quotes (bench/results/reference/ in the repository).";

const CPU_NOTE =
  'speedup = wall time at 1 worker / wall time (same contender, same run); efficiency = speedup / min(workers, cores); p50/p99 = submit-to-result latency with all tasks queued at once; loop p99 = monitorEventLoopDelay p99 during the timed runs; start = pool creation to first result (peers\' workers are plain JS files, loaded without tsx, as their users run them).';

function loadLine(res: SuiteResult): string {
  const reasons = noiseReasons(res);
  return (
    `load average (1, 5, 15 min) at start ${res.machine.loadAverageStart ?? '?'}, at end ${res.machine.loadAverageEnd ?? '?'}; ` +
    (reasons.length ? `the machine was NOT quiet: ${reasons.join('; ')}` : 'the controls look quiet')
  );
}

function sections(res: SuiteResult): { title: string; header: string[]; rows: Cell[][]; note?: string }[] {
  const s = res.summary;
  const noisy = noiseReasons(res).length > 0;
  const both = (a: string, b: string): string => (a === '-' || b === '-' ? '-' : a === 'yes' && b === 'yes' ? 'yes' : a === 'NO' || b === 'NO' ? 'NO' : 'noisy');
  const out: { title: string; header: string[]; rows: Cell[][]; note?: string }[] = [];
  out.push({
    title: 'Key ratios (all from this run)',
    header: ['measure', 'value', 'goal', 'met'],
    rows: [
      ['countPrimes throughput, corepool / piscina (JS workers)', x(s.countPrimesCorepoolOverPiscinaJs), '', ''],
      ['countPrimes throughput, corepool / piscina (same native kernel)', x(s.countPrimesCorepoolOverPiscinaNative), '', ''],
      ['countPrimes throughput, corepool / main-thread JS', x(s.countPrimesCorepoolOverMainJs), '', ''],
      ['tiny tasks/s, corepool / piscina', x(s.tinyCorepoolOverPiscina, 1), '>= 20x', met(s.tinyCorepoolOverPiscina, (v) => v >= 20, noisy)],
      ['tiny tasks/s, corepool / plain-Promise ceiling', x(s.tinyCorepoolOverPromiseCeiling), '', ''],
      ['time to first result (ms): corepool / piscina (JS) / tinypool (JS)', `${fmtMs(s.startupMsCorepool ?? NaN)} / ${fmtMs(s.startupMsPiscinaJs ?? NaN)} / ${fmtMs(s.startupMsTinypoolJs ?? NaN)}`, '', ''],
      ['corepool speedup at 2 workers (countPrimes)', x(s.speedupCorepoolAt2), '>= 1.9x', met(s.speedupCorepoolAt2, (v) => v >= 1.9, noisy)],
      ['global-lock mode speedup at 2 workers', x(s.speedupGlobalLockAt2), '~1.0x', met(s.speedupGlobalLockAt2, (v) => v >= 0.85 && v <= 1.15, noisy)],
      ['piscina (JS) speedup at 2 workers', x(s.speedupPiscinaJsAt2), '', ''],
      ['event-loop delay p99, corepool countPrimes (ms)', fmtMs(s.eventLoopP99MsCorepool ?? NaN), '< 2 ms', met(s.eventLoopP99MsCorepool, (v) => v < 2, noisy)],
      ['event-loop delay p99, main-thread JS (ms)', fmtMs(s.eventLoopP99MsMainJs ?? NaN), '', ''],
      ['fs.readFile p99 idle / corepool load / libuv-pool load (ms)', `${fmtMs(s.fsP99MsIdle ?? NaN)} / ${fmtMs(s.fsP99MsCorepoolLoad ?? NaN)} / ${fmtMs(s.fsP99MsLibuvLoad ?? NaN)}`, '', ''],
      ['map(chunksize) / per-submit: noop, isPrime', `${x(s.mapNoopOverSubmit, 1)}, ${x(s.mapIsPrimeOverSubmit, 1)}`, '>= 5x',
        both(met(s.mapNoopOverSubmit, (v) => v >= 5, noisy), met(s.mapIsPrimeOverSubmit, (v) => v >= 5, noisy))],
    ],
    note: GOALS_NOTE,
  });
  if (res.cpu.length) {
    const [h, r] = cpuTable(res.cpu);
    out.push({ title: 'CPU workloads', header: h, rows: r, note: CPU_NOTE });
  }
  if (res.mixed.length) {
    const [h, r] = cpuTable(res.mixed);
    out.push({ title: 'Mixed IO + CPU', header: h, rows: r });
  }
  if (res.tiny.length) out.push({ title: 'Tiny tasks (noop, one task each)', header: ['contender', 'tasks', 'tasks/s'], rows: res.tiny.map((t) => [t.contender, t.tasks, fmtRate(t.tasksPerSec)]) });
  if (res.map.length) out.push({ title: 'corepool map with chunksize vs one submit per item', header: ['kernel', 'items', 'chunksize', 'map items/s', 'submit items/s', 'ratio'], rows: res.map.map((m) => [m.kernel, m.items, m.chunksize, fmtRate(m.itemsPerSec), fmtRate(m.perSubmitPerSec), x(m.overSubmit, 1)]) });
  if (res.io.length) out.push({ title: 'IO: tasks of simulated latency', header: ['contender', 'tasks', 'latency ms', 'concurrency', 'wall ms', 'tasks/s', 'p50 ms', 'p99 ms', 'loop p99 ms'], rows: res.io.map((r) => [r.contender, r.tasks, r.latencyMs, r.concurrency, fmtMs(r.wallMs), fmtRate(r.throughput), fmtMs(r.latencyP50Ms), fmtMs(r.latencyP99Ms), fmtMs(r.eventLoopP99Ms)]) });
  if (res.isolation.length) out.push({ title: 'Isolation: fs.readFile (small file) latency under CPU load', header: ['condition', 'reads', 'p50 ms', 'p99 ms'], rows: res.isolation.map((i) => [i.condition, i.reads, fmtMs(i.p50Ms), fmtMs(i.p99Ms)]) });
  if (res.skipped.length) out.push({ title: 'Skipped contenders', header: ['contender', 'why', 'install with'], rows: res.skipped.map((k) => [k.contender, k.reason, k.install]) });
  return out;
}

export function renderText(res: SuiteResult): string {
  const m = res.machine;
  const parts = [`corepool bench: ${m.cpus} cpus (${m.cpuModel}), node ${m.node}, ${res.durationSec.toFixed(0)} s${res.options.quick ? ', --quick' : ''}`, loadLine(res)];
  for (const s of sections(res)) parts.push(`\n== ${s.title}\n${textTable(s.header, s.rows)}${s.note ? `\n\n${s.note}` : ''}`);
  if (res.errors.length) parts.push(`\n== ERRORS\n${res.errors.join('\n')}`);
  return parts.join('\n');
}

export function renderMarkdown(res: SuiteResult, charts: string[]): string {
  const m = res.machine;
  const parts = [
    '# corepool benchmark results',
    '',
    `${m.cpus} CPUs (${m.cpuModel}), ${m.totalMemGB} GB, ${m.platform}, Node ${m.node}, corepool ${m.corepool}, ${m.date}. ` +
      `Run took ${res.durationSec.toFixed(0)} s${res.options.quick ? ' (--quick: smoke-test sizes, not for speed claims)' : ''}; ` +
      `workers swept: ${res.options.workers.join(', ')}; medians of ${res.options.quick ? 1 : 3} timed repetitions after warm-up.`,
    '',
    `${loadLine(res)}.`,
    '',
    'Contenders: ' + res.contenders.map((c) => `${c.label} (\`${c.id}\`, ${c.version})`).join('; ') + '.',
    '',
    'Workloads: ' + res.workloads.map((w) => `\`${w.id}\`: ${w.description}`).join('; ') + '.',
  ];
  for (const c of charts) parts.push('', `![${c}](${c})`);
  for (const s of sections(res)) {
    parts.push('', `## ${s.title}`, '', mdTable(s.header, s.rows));
    if (s.note) parts.push('', s.note);
  }
  if (res.errors.length) parts.push('', '## Errors', '', ...res.errors.map((e) => `- ${e.split('\n')[0]}`));
  return `${parts.join('\n')}\n`;
}

export function charts(res: SuiteResult): Record<string, string> {
  const sweep = res.cpu.filter((r) => r.workload === 'countPrimes' && r.speedup !== null);
  const byContender = new Map<string, [number, number][]>();
  for (const r of sweep) {
    if (r.contender === 'main-js') continue;
    byContender.set(r.contender, [...(byContender.get(r.contender) ?? []), [r.workers, r.speedup!]]);
  }
  const cores = Number(res.machine.availableParallelism);
  const workers = [...new Set(sweep.map((r) => r.workers))].sort((a, b) => a - b);
  const ideal = workers.map((w): [number, number] => [w, Math.min(w, cores)]);
  const all: Series[] = [...byContender].map(([name, points]) => ({ name, points, dashed: name.endsWith('-js') }));
  const out: Record<string, string> = {};
  if (all.length) out['speedup.svg'] = lineChart('countPrimes: speedup vs workers', 'workers', 'speedup over 1 worker', all, ideal);
  const gil = all.filter((s) => s.name === 'corepool' || s.name === 'corepool-gil').map((s) => ({ ...s, name: s.name === 'corepool' ? 'corepool (no lock)' : 'corepool (global lock, CPython GIL)' }));
  if (gil.length) out['gil-vs-nogil.svg'] = lineChart('GIL vs no GIL: countPrimes speedup', 'workers', 'speedup over 1 worker', gil, ideal);
  return out;
}

/** Writes latest.json, latest.md and the SVG charts into `dir`; returns the paths. */
export function writeResults(res: SuiteResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const svgs = charts(res);
  const written: string[] = [];
  for (const [name, svg] of Object.entries(svgs)) {
    writeFileSync(path.join(dir, name), svg);
    written.push(path.join(dir, name));
  }
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(path.join(dir, 'latest.md'), renderMarkdown(res, Object.keys(svgs)));
  written.push(path.join(dir, 'latest.json'), path.join(dir, 'latest.md'));
  return written;
}
