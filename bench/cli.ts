#!/usr/bin/env node
// The `corepool` command (package.json "bin"): one subcommand per benchmark the README
// quotes (COMMANDS below), each with --help; `corepool --version`, `corepool --help`.
// In the repository the npm scripts run the same commands: `npm run bench:gil`, ...
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { fromSource } from './contenders/corepool';
import { renderText, writeResults } from './harness/report';
import { filterNames, runSuite, unknownFilterTerms } from './harness/suite';

const BENCH_USAGE = `usage: corepool bench [--quick] [--workers 1,2,4] [--filter term,...] [--json] [--out dir]

  --quick      small sizes, 1 repetition (< 60 s): a smoke test that exits 1 if any
               contender's results disagree
  --workers    worker counts of the scaling sweep (default 1..cores and 2 x cores);
               other workloads use the largest count <= cores
  --filter     comma-separated terms; a run is kept if a term names its workload
               (countPrimes sha256 sumRange factorial mixed tiny map io isolation), its
               contender or a dash-separated part of it (corepool, piscina, js, native),
               or the pair (countPrimes/piscina-js)
  --json       print the JSON result on stdout (progress still goes to stderr)
  --out        results directory (default: bench/results in the repository,
               ./corepool-bench-results elsewhere); --no-write to write nothing
  optional peers: npm install --save-dev piscina tinypool p-limit`;

function parseWorkers(value: string | undefined, cores: number): number[] {
  if (value === undefined) return [...new Set([...Array.from({ length: cores }, (_, i) => i + 1), cores * 2])];
  const list = value.split(',').map((s) => Number(s.trim()));
  for (const n of list) {
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`--workers must be a comma-separated list of integers 1..256, got '${value}'`);
  }
  return [...new Set(list)].sort((a, b) => a - b);
}

async function bench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      workers: { type: 'string' },
      filter: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const cores = os.availableParallelism();
  let workers = parseWorkers(values.workers, cores);
  if (values.quick && values.workers === undefined) workers = [1, cores];
  const defaultWorkers = [...workers].reverse().find((w) => w <= cores) ?? workers[0]!;
  const filter = (values.filter ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = unknownFilterTerms(filter);
  if (unknown.length > 0) {
    const known = filterNames();
    console.error(
      `corepool bench: --filter ${unknown.map((t) => `'${t}'`).join(', ')} names no workload or contender\n` +
        `  workloads:   ${known.workloads.join(' ')}\n  contenders:  ${known.contenders.join(' ')} (or a dash-separated part, or workload/contender)`,
    );
    return 1;
  }
  const res = await runSuite({ quick: values.quick, workers, defaultWorkers, filter, quiet: false });
  if (values.json) process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
  else console.log(renderText(res));
  if (!values['no-write']) {
    const dir = values.out ?? (fromSource ? path.join(__dirname, 'results') : path.resolve('corepool-bench-results'));
    const written = writeResults(res, dir);
    (values.json ? console.error : console.log)(`\nwrote ${written.map((p) => path.relative(process.cwd(), p) || p).join(', ')}`);
  }
  const disagree = res.cpu.concat(res.mixed).filter((r) => !r.agrees);
  if (res.errors.length > 0 || disagree.length > 0) {
    console.error(`\ncorepool bench: ${res.errors.length} error(s); results disagree in ${disagree.length} run(s)`);
    return 1;
  }
  return 0;
}

/**
 * One subcommand. `load` imports its module only when it runs, so a command's optional peers
 * and start-up cost never touch the others. To add a benchmark: one entry here whose module
 * exports `USAGE` and `run(argv): Promise<number>` (the exit code), and an npm script
 * `node --import tsx bench/cli.ts <name>` if the repository should run it too.
 */
interface Command {
  summary: string;
  load: () => Promise<{ USAGE: string; run: (argv: string[]) => Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  bench: { summary: 'the suite: CPU workloads vs peers, mixed, tiny tasks, map, IO, isolation', load: async () => ({ USAGE: BENCH_USAGE, run: bench }) },
  'bench:tiny': { summary: 'per-task overhead: noop and isPrime submits, map, vs piscina', load: () => import('./tiny-tasks') },
  'bench:gil': { summary: "global-lock mode vs CPython's GIL (F1-F7)", load: () => import('./run/gil-fidelity') },
  'bench:cancel': { summary: 'cancel() and timeout latency of a running kernel', load: () => import('./run/cancel-latency') },
  'bench:kernels': { summary: 'built-in kernels vs the same work in JS on piscina', load: () => import('./run/kernels-vs-piscina') },
  'bench:io': { summary: 'IoPool vs p-limit and p-queue', load: () => import('./run/async-limiters') },
  'bench:workers': { summary: 'WorkerPool vs piscina, tinypool, workerpool, poolifier: tiny tasks, factorial, cancel, memory', load: () => import('./run/worker-pools') },
  // The two below load bullmq (an optional peer) only when run.
  'bench:queue': {
    summary: 'QueuePool vs plain BullMQ on a loopback Redis: round trip, throughput, scale-out, cancel',
    load: async () => {
      const { QUEUE_USAGE, runQueueBench } = await import('./run/queue-vs-bullmq');
      return { USAGE: QUEUE_USAGE, run: runQueueBench };
    },
  },
  worker: {
    summary: 'serve a QueuePool queue on this machine (--redis URL --queue NAME)',
    load: async () => {
      const { WORKER_USAGE, runWorkerCommand } = (await import(fromSource ? '../lib/queue/cli' : '../queue/cli')) as typeof import('../lib/queue/cli');
      return { USAGE: WORKER_USAGE, run: runWorkerCommand };
    },
  },
};

function version(): string {
  // bench/cli.ts is one level below the package root, dist/bench/cli.js two.
  return (require(path.join(__dirname, fromSource ? '..' : '../..', 'package.json')) as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: corepool <command> [--help] [flags]',
    '       corepool --version',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "run 'corepool <command> --help' for a command's flags",
  ].join('\n');
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (name === undefined) {
    console.error(usage());
    return 1;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    console.error(`corepool: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  const mod = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(mod.USAGE);
    return 0;
  }
  return mod.run(rest);
}

main().then(
  (code) => {
    // Pools and peers' workers are closed; exit explicitly anyway so that a stray handle
    // in a peer library cannot keep the command hanging after the report.
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
