// npm run bench:kernels [-- --rounds 7 --workers 2]
// corepool's native factorial and matmul kernels against the same algorithms in JS on
// piscina workers: a batch of tasks per round, the median round time of each side, and
// their ratio. Results are checked equal before anything is timed.
import * as os from 'node:os';
import { parseArgs } from 'node:util';

import { kernels, NativePool } from '../contenders/corepool';
import { factorial as factorialJs, matmul as matmulJs } from '../contenders/js-kernels.cjs';
import { loadPeer, plainExecArgv, workerFile } from '../contenders/peers';
import { loadAverage, machineLine } from '../harness/machine';
import { median } from '../harness/stats';

interface PiscinaLike {
  run(task: unknown): Promise<unknown>;
  destroy(): Promise<void>;
}

function random(size: number, seed: number): Float64Array {
  const a = new Float64Array(size);
  let x = seed || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = (x >>> 0) / 2 ** 32 - 0.5;
  }
  return a;
}

async function timeRounds(rounds: number, batch: () => Promise<unknown>): Promise<number[]> {
  await batch(); // warm-up: threads started, code compiled
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await batch();
    times.push(performance.now() - t0);
  }
  return times;
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export const USAGE = `usage: corepool bench:kernels [--rounds 7] [--workers N] [--quick]

  NativePool's built-in kernels against the same work as JS functions on piscina
  (needs the optional peer piscina), median of --rounds rounds, printed as a table`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '7' },
      workers: { type: 'string', default: String(os.availableParallelism()) },
      quick: { type: 'boolean', default: false },
    },
  });
  const rounds = values.quick ? 3 : Number(values.rounds);
  const workers = Number(values.workers);
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError('--rounds must be a positive integer');
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError('--workers must be a positive integer');

  const peer = loadPeer<{ Piscina: new (o: object) => PiscinaLike }>('piscina');
  if (!peer.ok) throw new Error(`corepool bench:kernels needs piscina (${peer.reason}): ${peer.install}`);
  const { Piscina } = peer.module;
  const piscina = new Piscina({
    filename: workerFile('task-worker'),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
    execArgv: plainExecArgv(), // compiled JS workers without tsx, as piscina's users run them
  });
  const pool = new NativePool({ maxWorkers: workers, name: 'bench-kernels' });

  const cases = [
    { name: 'factorial', size: values.quick ? 20_000 : 100_000, tasks: workers * 4 },
    { name: 'matmul', size: values.quick ? 128 : 256, tasks: workers * 4 },
  ];
  console.log(`corepool native kernels vs the same algorithm in JS on piscina: ${workers} workers, ${rounds} rounds (+1 warm-up), median of rounds`);
  console.log(`${machineLine()}\n`);
  const rows: string[][] = [['workload', 'tasks', 'corepool ms', 'piscina ms', 'piscina / corepool']];
  for (const c of cases) {
    let core: () => Promise<unknown>;
    let pisc: () => Promise<unknown>;
    if (c.name === 'factorial') {
      const want = factorialJs(c.size);
      if ((await pool.submit(kernels.factorial, [c.size])) !== want) throw new Error('factorial: corepool disagrees with JS');
      if ((await piscina.run({ kernel: 'factorial', args: [c.size], native: false })) !== want) throw new Error('factorial: piscina disagrees');
      core = () => Promise.all(Array.from({ length: c.tasks }, () => pool.submit(kernels.factorial, [c.size])));
      pisc = () => Promise.all(Array.from({ length: c.tasks }, () => piscina.run({ kernel: 'factorial', args: [c.size], native: false })));
    } else {
      const n = c.size;
      const a = random(n * n, 1);
      const b = random(n * n, 2);
      const want = matmulJs(a, b, n);
      if (!sameBits(await pool.submit(kernels.matmul, [a, b, n]), want)) throw new Error('matmul: corepool disagrees with JS');
      if (!sameBits((await piscina.run({ kernel: 'matmul', args: [a, b, n], native: false })) as Float64Array, want)) throw new Error('matmul: piscina disagrees');
      // corepool reads a and b in place; piscina structured-clones them to the worker and
      // the result back, as a piscina user would without transfer lists.
      core = () => Promise.all(Array.from({ length: c.tasks }, () => pool.submit(kernels.matmul, [a, b, n])));
      pisc = () => Promise.all(Array.from({ length: c.tasks }, () => piscina.run({ kernel: 'matmul', args: [a, b, n], native: false })));
    }
    const coreMs = median(await timeRounds(rounds, core));
    const piscMs = median(await timeRounds(rounds, pisc));
    const label = c.name === 'factorial' ? `factorial(${c.size})` : `matmul ${c.size}x${c.size}`;
    rows.push([label, String(c.tasks), coreMs.toFixed(1), piscMs.toFixed(1), `${(piscMs / coreMs).toFixed(2)}x`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  console.log(`load average at end: ${loadAverage()}`);
  await pool.shutdown();
  await piscina.destroy();
  return 0;
}
