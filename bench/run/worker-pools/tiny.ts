// Tiny tasks (a no-op export): tasks per second for WorkerPool and each JS worker pool,
// rounds interleaved (order rotating) so that the shared machine's noise hits all alike.
// Each round submits `tasks` at once and awaits them all.
import * as os from 'node:os';

import { load, median, PEER_NAMES, PeerName, startPeer } from '../../contenders/worker-pools';

export async function runTinyWorkers(opts: { rounds: number; tasks: number; peerTasks: number; size: number }): Promise<Record<string, number>> {
  const rates: Record<string, number[]> = {};
  for (let round = 0; round < opts.rounds; round++) {
    const order = [...PEER_NAMES.slice(round % PEER_NAMES.length), ...PEER_NAMES.slice(0, round % PEER_NAMES.length)];
    for (const name of order) {
      let peer;
      try {
        peer = await startPeer(name as PeerName, opts.size);
      } catch (error) {
        console.error(`${name}: not installed (${(error as Error).message.split('\n')[0]})`);
        continue;
      }
      const n = name === 'corepool' ? opts.tasks : opts.peerTasks;
      await Promise.all(Array.from({ length: 1000 }, () => peer.run('noop'))); // warm
      const t0 = performance.now();
      const all: PromiseLike<unknown>[] = new Array(n);
      for (let i = 0; i < n; i++) all[i] = peer.run("noop");
      await Promise.all(all);
      const rate = n / ((performance.now() - t0) / 1000);
      (rates[name] ??= []).push(rate);
      await peer.close();
    }
  }
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(rates)) out[name] = median(list);
  return out;
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const arg = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const opts = { rounds: arg('--rounds', 5), tasks: arg('--tasks', 200_000), peerTasks: arg('--peer-tasks', 50_000), size: arg('--workers', os.availableParallelism()) };
  console.log(`tiny no-op tasks, ${opts.size} workers, ${opts.rounds} rounds; load average before: ${load()}`);
  const rates = await runTinyWorkers(opts);
  const best = Math.max(...Object.entries(rates).filter(([n]) => n !== 'corepool').map(([, r]) => r));
  for (const [name, rate] of Object.entries(rates)) console.log(`  ${name.padEnd(11)} ${Math.round(rate).toString().padStart(9)} tasks/s`);
  console.log(`  WorkerPool / best peer: ${(rates.corepool! / best).toFixed(2)}x (goal >= 5x); load average after: ${load()}`);
}

if (require.main === module) void main();
