// A measurement, not a test (not *.test.ts): what copying non-shared buffer arguments
// costs (issue 11, item 3a). Runs large sha256 and sortFloat64 tasks through a NativePool,
// non-shared and SharedArrayBuffer-backed (zero-copy), and prints the median wall time of
// each. Compare two builds in the same run with COREPOOL_PREBUILD=<dir with build/Release>:
//   node --import tsx test/robustness/buffer-copy-cost.ts [rounds]
import { kernels, NativePool } from '../../lib/index';

const rounds = Number(process.argv[2] ?? 7);
const MB = 1 << 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function time(run: () => PromiseLike<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const pool = new NativePool({ maxWorkers: 1 });
  const bytes = new Uint8Array(64 * MB).map((_, i) => (i * 31) & 255);
  const sharedBytes = new Uint8Array(new SharedArrayBuffer(bytes.length));
  sharedBytes.set(bytes);
  const n = 4 * MB; // 32 MB of doubles
  const source = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e6);
  const plain = new Float64Array(n);
  const shared = new Float64Array(new SharedArrayBuffer(n * 8));
  const rows: Record<string, number[]> = { 'sha256 64 MB': [], 'sha256 64 MB (shared)': [], 'sortFloat64 4M': [], 'sortFloat64 4M (shared)': [] };
  for (let r = 0; r < rounds; r++) {
    rows['sha256 64 MB']!.push(await time(() => pool.submit(kernels.sha256, [bytes])));
    rows['sha256 64 MB (shared)']!.push(await time(() => pool.submit(kernels.sha256, [sharedBytes])));
    plain.set(source);
    rows['sortFloat64 4M']!.push(await time(() => pool.submit(kernels.sortFloat64, [plain])));
    shared.set(source);
    rows['sortFloat64 4M (shared)']!.push(await time(() => pool.submit(kernels.sortFloat64, [shared])));
    for (let i = 1; i < n; i += 4099) if (!(plain[i - 1]! <= plain[i]!)) throw new Error('not sorted');
  }
  await pool.shutdown();
  for (const [name, xs] of Object.entries(rows)) console.log(`${name.padEnd(26)} median ${median(xs).toFixed(1)} ms`);
}

void main();
