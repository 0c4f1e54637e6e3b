// Isolation: latency of fs.readFile on a small file (served by libuv's thread pool) while
// CPU work runs through corepool's own threads, vs through libuv's pool (crypto.pbkdf2,
// the trap of running CPU work on the pool that fs also needs), vs idle.
import { pbkdf2 } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { kernels, NativePool } from '../contenders/corepool';
import { percentile } from './stats';

export interface IsolationResult {
  condition: 'idle' | 'corepool' | 'libuv-pbkdf2';
  reads: number;
  p50Ms: number;
  p99Ms: number;
}

async function readLatencies(file: string, durationMs: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const t0 = performance.now();
    await readFile(file);
    out.push(performance.now() - t0);
  }
  return out;
}

/** Keeps `inFlight` jobs running until stopped; `job` starts one and resolves when it ends. */
function keepBusy(inFlight: number, job: () => PromiseLike<unknown>): () => Promise<void> {
  let stopped = false;
  const loops = Array.from({ length: inFlight }, async () => {
    while (!stopped) await job();
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}

export async function runIsolation(durationMs: number, cpuThreads: number): Promise<IsolationResult[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'corepool-bench-'));
  const file = path.join(dir, 'small.txt');
  writeFileSync(file, 'x'.repeat(1024));
  const results: IsolationResult[] = [];
  const record = (condition: IsolationResult['condition'], lat: number[]): void => {
    results.push({ condition, reads: lat.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) });
  };
  try {
    await readLatencies(file, 100); // warm the file cache and the fs path
    record('idle', await readLatencies(file, durationMs));

    const pool = new NativePool({ maxWorkers: cpuThreads, name: 'bench-isolation' });
    const stopCore = keepBusy(cpuThreads * 2, () => pool.submit(kernels.spin, [20]));
    record('corepool', await readLatencies(file, durationMs));
    await stopCore();
    await pool.shutdown();

    // 8 in flight > libuv's 4 threads (UV_THREADPOOL_SIZE): reads queue behind hashing.
    const hash = (): Promise<void> => new Promise((resolve, reject) => pbkdf2('pw', 'salt', 20_000, 32, 'sha256', (e) => (e ? reject(e) : resolve())));
    const stopUv = keepBusy(8, hash);
    record('libuv-pbkdf2', await readLatencies(file, durationMs));
    await stopUv();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
