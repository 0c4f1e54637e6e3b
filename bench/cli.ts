#!/usr/bin/env node
// The `corepool` command (package.json "bin"): one subcommand per benchmark the README
// quotes (COMMANDS below), each with --help; `corepool --version`, `corepool --help`.
// In the repository the npm scripts run the same commands: `npm run bench:gil`, ...
import * as path from 'node:path';

import { fromSource, measuredBuild } from './contenders/corepool';

/**
 * One subcommand. `load` imports its module only when it runs, so a command's optional peers
 * and start-up cost never touch the others. To add a benchmark: one entry here whose module
 * exports `USAGE` and `run(argv): Promise<number>` (the exit code), and an npm script
 * `npm run -s bench:build && node dist/bench/cli.js <name>` if the repository should run it
 * too (compiled first, so that the repository measures what users run).
 */
interface Command {
  summary: string;
  load: () => Promise<{ USAGE: string; run: (argv: string[]) => Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  bench: { summary: 'the suite: CPU workloads vs peers, mixed, tiny tasks, map, IO, isolation', load: () => import('./run/suite') },
  'bench:tiny': { summary: 'per-task overhead: noop and isPrime submits, map, vs piscina', load: () => import('./run/tiny-tasks') },
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
  // On stderr: some commands print Markdown on stdout.
  console.error(`corepool ${name}: measuring ${measuredBuild}`);
  return mod.run(rest);
}

// A benchmark whose promise never settles and leaves no handle open (a peer library's lost
// promise) would otherwise end the process with exit code 0 and no report: make it a failure.
let finished = false;
process.on('beforeExit', () => {
  if (finished) return;
  console.error(`corepool ${process.argv[2] ?? ''}: the event loop emptied while the command was still running (a promise that never settles)`);
  process.exit(3);
});

main().then(
  (code) => {
    finished = true;
    // Pools and peers' workers are closed; exit explicitly anyway so that a stray handle
    // in a peer library cannot keep the command hanging after the report.
    process.exit(code);
  },
  (error: unknown) => {
    finished = true;
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
