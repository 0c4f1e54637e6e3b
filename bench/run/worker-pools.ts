// `corepool bench:workers` (npm run bench:workers): the four WorkerPool benchmarks of the
// WorkerPool issue in one run: tiny tasks vs piscina, tinypool, workerpool and poolifier;
// the factorial CPU workload, one process per library; cancelling a running sync loop vs
// piscina; memory per worker and time to first result vs piscina.
//   flags: --quick (small sizes), --only tiny,factorial,cancel,memory
import { main as cancel } from './worker-pools/cancel';
import { main as factorial } from './worker-pools/factorial';
import { main as memory } from './worker-pools/memory';
import { main as tiny } from './worker-pools/tiny';

export const USAGE = `usage: corepool bench:workers [--quick] [--only tiny,factorial,cancel,memory]
  --quick   small sizes (tiny 50k tasks, factorial 5k tasks, 500 cancels, 1 memory run)
  --only    the benchmarks to run (default all four)
  each one alone: node --import tsx bench/worker-pool/{tiny,factorial,cancel,memory}.ts --help-less flags:
    tiny: --rounds 5 --tasks 200000 --peer-tasks 50000 --workers N; factorial: --tasks 100000 --runs 3;
    cancel: --cancels 10000; memory: --runs 5 --workers 4`;

export async function run(argv: string[]): Promise<number> {
  await runWorkerBenchmarks(argv);
  return 0;
}

export async function runWorkerBenchmarks(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const i = argv.indexOf('--only');
  const only = i >= 0 ? argv[i + 1]!.split(',') : ['tiny', 'factorial', 'cancel', 'memory'];
  if (only.includes('tiny')) await tiny(quick ? ['--rounds', '1', '--tasks', '50000', '--peer-tasks', '10000'] : []);
  if (only.includes('factorial')) factorial(quick ? ['--tasks', '5000', '--runs', '1'] : []);
  if (only.includes('cancel')) await cancel(quick ? ['--cancels', '500'] : []);
  if (only.includes('memory')) memory(quick ? ['--runs', '1'] : []);
}

if (require.main === module) void runWorkerBenchmarks(process.argv.slice(2));
