// Memory per worker and time to first result, WorkerPool vs piscina, with plain-JS workers:
// each library in a fresh process; the time from constructing the pool to the first
// no-op result, then the RSS added by `workers` workers once all are running.
import { spawnSync } from 'node:child_process';

import { load, median, PeerName, startPeer } from '../../contenders/worker-pools';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function child(name: PeerName, workers: number): Promise<void> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const peer = await startPeer(name, workers);
  await peer.run('noop');
  const firstResult = performance.now() - t0;
  await Promise.all(Array.from({ length: workers * 50 }, () => peer.run('noop')));
  await sleep(300);
  global.gc?.();
  const perWorker = (process.memoryUsage().rss - before) / workers;
  console.log(JSON.stringify({ firstResult, perWorker }));
  await peer.close();
}

export function main(argv = process.argv.slice(2)): void {
  const arg = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const workers = arg('--workers', 4);
  const ci = argv.indexOf('--child');
  if (ci >= 0) {
    void child(argv[ci + 1] as PeerName, workers);
    return;
  }
  const runs = arg('--runs', 5);
  console.log(`memory per worker and time to first result, ${workers} workers, median of ${runs} fresh processes; load average before: ${load()}`);
  for (const name of ['corepool', 'piscina'] as PeerName[]) {
    const first: number[] = [];
    const mem: number[] = [];
    for (let r = 0; r < runs; r++) {
      const out = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, __filename, '--child', name, '--workers', String(workers)], { encoding: 'utf8' });
      const line = out.stdout.trim().split('\n').pop() ?? '';
      try {
        const { firstResult, perWorker } = JSON.parse(line) as { firstResult: number; perWorker: number };
        first.push(firstResult);
        mem.push(perWorker);
      } catch {
        console.error(`  ${name}: ${out.stderr.split('\n').slice(0, 3).join(' ')}`);
      }
    }
    console.log(`  ${name.padEnd(9)} first result ${median(first).toFixed(1)} ms, RSS per worker ${(median(mem) / 2 ** 20).toFixed(1)} MiB`);
  }
  console.log(`  load average after: ${load()}`);
}

if (require.main === module) main();
