// The contenders: one interface over corepool, piscina, tinypool, a raw worker_threads
// pool and the main thread, for CPU work; and IoPool, p-limit and NativePool `sleep`
// for IO. Each starts with a worker count and runs Tasks (js-kernels.cjs).
import * as corepoolModule from './corepool';
import { kernels, NativePool, wait } from './corepool';
import { runJs, Task } from './js-kernels.cjs';
import { loadPeer, PeerName, plainExecArgv, workerFile } from './peers';
import { RawPool } from './raw-pool';

export interface Runner {
  /** Runs one task; resolves with its raw result. */
  run(task: Task): PromiseLike<unknown>;
  /** Runs `n` noop tasks one per task, resolving when all are done (the tiny-task path). */
  runNoops?(n: number): Promise<void>;
  close(): Promise<void>;
}

export type Availability = { ok: true; version: string } | { ok: false; reason: string; install: string };

export interface Contender {
  id: string;
  label: string;
  /** Workers are fixed (the main thread is one), whatever the sweep asks. */
  fixedWorkers?: number;
  available(): Availability;
  start(workers: number): Promise<Runner>;
}

type KernelHandle = { runSync(args: unknown[]): unknown };
type PoolRun = { run(task: unknown): Promise<unknown>; destroy(): Promise<void> };
type PoolCtor = new (opts: Record<string, unknown>) => PoolRun;

const corepoolVersion = (): Availability => ({ ok: true, version: (require(corepoolModule.fromSource ? '../../package.json' : '../../../package.json') as { version: string }).version });

function kernelOf(name: string): KernelHandle {
  const k = (kernels as unknown as Record<string, KernelHandle | undefined>)[name];
  if (k === undefined) throw new Error(`corepool has no kernel '${name}'`);
  return k;
}

function corepool(id: string, label: string, globalLock: boolean): Contender {
  return {
    id,
    label,
    available: corepoolVersion,
    async start(workers) {
      const pool = new NativePool({ maxWorkers: workers, globalLock, name: id });
      return {
        run: (task) => pool.submit(kernelOf(task.kernel) as never, task.args as never),
        async runNoops(n) {
          const futures = new Array(n);
          for (let i = 0; i < n; i++) futures[i] = pool.submit(kernels.noop, []);
          await wait(futures);
        },
        close: () => pool.shutdown(),
      };
    },
  };
}

function peerAvailability(name: PeerName): Availability {
  const peer = loadPeer(name);
  return peer.ok ? { ok: true, version: peer.version } : { ok: false, reason: peer.reason, install: peer.install };
}

function workerPool(peerName: 'piscina' | 'tinypool', native: boolean): Contender {
  const id = `${peerName}-${native ? 'native' : 'js'}`;
  return {
    id,
    label: `${peerName} (${native ? 'native kernel via runSync' : 'JS'})`,
    available: () => peerAvailability(peerName),
    async start(workers) {
      const peer = loadPeer<Record<string, unknown>>(peerName);
      if (!peer.ok) throw new Error(`${peerName} is not installed`);
      const Ctor = (peer.module[peerName === 'piscina' ? 'Piscina' : 'Tinypool'] ?? peer.module.default) as PoolCtor;
      // A plain-JS worker file and no tsx in the workers, as a piscina user runs them.
      const pool = new Ctor({ filename: workerFile('task-worker'), minThreads: workers, maxThreads: workers, idleTimeout: 60_000, execArgv: plainExecArgv() });
      return {
        run: (task) => pool.run({ kernel: task.kernel, args: task.args, native }),
        close: () => pool.destroy(),
      };
    },
  };
}

const raw: Contender = {
  id: 'worker_threads-js',
  label: 'raw worker_threads pool (JS)',
  available: () => ({ ok: true, version: process.versions.node }),
  async start(workers) {
    const pool = new RawPool(workers);
    return { run: (task) => pool.run({ ...task, native: false }), close: () => pool.close() };
  },
};

const mainThread: Contender = {
  id: 'main-js',
  label: 'main thread, sync JS (blocks the loop)',
  fixedWorkers: 1,
  available: () => ({ ok: true, version: process.versions.node }),
  async start() {
    return {
      run: (task) => {
        try {
          return Promise.resolve(runJs(task));
        } catch (error) {
          return Promise.reject(error);
        }
      },
      close: async () => undefined,
    };
  },
};

/** The CPU contenders in display order. */
export const cpuContenders: Contender[] = [
  corepool('corepool', 'corepool NativePool', false),
  corepool('corepool-gil', 'corepool NativePool, global lock', true),
  workerPool('piscina', true),
  workerPool('piscina', false),
  workerPool('tinypool', true),
  workerPool('tinypool', false),
  raw,
  mainThread,
];

// ---- IO ----

export interface IoRunner {
  /** Runs one task that waits `ms` (simulated IO latency). */
  run(ms: number): PromiseLike<unknown>;
  close(): Promise<void>;
}

export interface IoContender {
  id: string;
  label: string;
  available(): Availability;
  start(concurrency: number): Promise<IoRunner>;
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const ioContenders: IoContender[] = [
  {
    id: 'corepool-iopool',
    label: 'corepool IoPool (async)',
    available: corepoolVersion,
    async start(concurrency) {
      const pool = new corepoolModule.corepool.IoPool({ maxConcurrency: concurrency, name: 'bench-io' });
      return { run: (ms) => pool.submit((_ctx, t) => delay(t), [ms]), close: () => pool.shutdown() };
    },
  },
  {
    id: 'p-limit',
    label: 'p-limit (async)',
    available: () => peerAvailability('p-limit'),
    async start(concurrency) {
      const peer = loadPeer<{ default: (n: number) => <T>(fn: () => Promise<T>) => Promise<T> }>('p-limit');
      if (!peer.ok) throw new Error('p-limit is not installed');
      const limit = peer.module.default(concurrency);
      return { run: (ms) => limit(() => delay(ms)), close: async () => undefined };
    },
  },
  {
    id: 'corepool-sleep',
    label: 'corepool NativePool sleep (blocking IO on threads)',
    available: corepoolVersion,
    async start(concurrency) {
      const pool = new NativePool({ maxWorkers: concurrency, name: 'bench-sleep' });
      return { run: (ms) => pool.submit(kernels.sleep, [ms]), close: () => pool.shutdown() };
    },
  },
];
