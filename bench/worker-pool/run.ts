// `corepool bench:workers` (npm run bench:workers): the four WorkerPool benchmarks of the
// WorkerPool issue in one run: tiny tasks vs piscina, tinypool, workerpool and poolifier;
// the factorial CPU workload, one process per library; cancelling a running sync loop vs
// piscina; memory per worker and time to first result vs piscina.
//   flags: --quick (small sizes), --only tiny,factorial,cancel,memory
import { main as cancel } from './cancel';
import { main as factorial } from './factorial';
import { main as memory } from './memory';
import { main as tiny } from './tiny';

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
