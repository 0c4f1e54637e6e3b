// poolifier/benchmark's CPU workload: `tasks` x factorial(1000) in JS BigInt, one process
// per library (pool size = cores), whole-process wall time measured by the parent from
// spawn to exit. NativePool's native factorial kernel runs beside them.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';

import { corepool } from '../../contenders/corepool';
import { load, median, PEER_NAMES, PeerName, startPeer } from '../../contenders/worker-pools';

const N = 1000;

async function child(name: string, tasks: number, size: number): Promise<void> {
  if (name === 'native') {
    const { NativePool, kernels } = corepool;
    const pool = new NativePool({ maxWorkers: size });
    const all = [];
    for (let i = 0; i < tasks; i++) all.push(pool.submit(kernels.factorial, [N]));
    await Promise.all(all);
    await pool.shutdown();
    return;
  }
  const peer = await startPeer(name as PeerName, size);
  const all: PromiseLike<unknown>[] = [];
  for (let i = 0; i < tasks; i++) all.push(peer.run('factorial', N));
  const results = await Promise.all(all);
  if (results[0] !== 2568) throw new Error(`${name}: factorial(1000) has 2568 digits, got ${String(results[0])}`);
  await peer.close();
}

export function runFactorial(opts: { tasks: number; runs: number; size: number }): Record<string, number> {
  const times: Record<string, number[]> = {};
  const names = [...PEER_NAMES, 'native'];
  for (let run = 0; run < opts.runs; run++) {
    // The order rotates from run to run: the shared machine's load drifts.
    const order = [...names.slice(run % names.length), ...names.slice(0, run % names.length)];
    for (const name of order) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', name, '--tasks', String(opts.tasks), '--workers', String(opts.size)], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (r.status !== 0) {
        console.error(`  ${name}: failed (${r.stderr.split('\n').slice(0, 3).join(' ')})`);
        continue;
      }
      (times[name] ??= []).push(performance.now() - t0);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(times)) out[name] = median(list);
  return out;
}

export function main(argv = process.argv.slice(2)): void {
  const arg = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const size = arg('--workers', os.availableParallelism());
  const tasks = arg('--tasks', 100_000);
  const ci = argv.indexOf('--child');
  if (ci >= 0) {
    void child(argv[ci + 1]!, tasks, size).catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
    return;
  }
  const runs = arg('--runs', 3);
  console.log(`factorial(${N}) x ${tasks}, one process per library, ${size} workers, median of ${runs}; load average before: ${load()}`);
  const times = runFactorial({ tasks, runs, size });
  const peers = Object.entries(times).filter(([n]) => n !== 'corepool' && n !== 'native');
  const fastest = Math.min(...peers.map(([, t]) => t));
  for (const [name, ms] of Object.entries(times)) console.log(`  ${name.padEnd(11)} ${(ms / 1000).toFixed(2).padStart(7)} s`);
  console.log(`  WorkerPool / fastest peer wall time: ${((times.corepool ?? NaN) / fastest).toFixed(2)} (goal <= 1); load average after: ${load()}`);
}

if (require.main === module) main();
