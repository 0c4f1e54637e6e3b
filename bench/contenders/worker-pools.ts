// The pools the WorkerPool benchmarks compare, behind one small interface: WorkerPool and
// the JS worker pools users pick today (piscina, tinypool, workerpool, poolifier), each
// running the same plain-JS workloads from worker-pools/, configured as their docs show.
// The peers' worker threads get the parent's flags without tsx (plainExecArgv), as a user's
// compiled program gives them; WorkerPool's own workers are corepool's runtime, from lib/
// under tsx when run from source.
import * as path from 'node:path';

import { corepool } from './corepool';
import { loadAverage } from '../harness/machine';
import { plainExecArgv } from './peers';

export { median } from '../harness/stats';

const { WorkerPool } = corepool;

export type Workload = 'noop' | 'factorial' | 'started';

export interface Peer {
  readonly name: string;
  run(workload: Workload, n?: number): PromiseLike<unknown>;
  close(): Promise<void>;
}

export const PEER_NAMES = ['corepool', 'piscina', 'tinypool', 'workerpool', 'poolifier'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

const dir = path.join(__dirname, 'worker-pools');
export const TASKS = path.join(dir, 'tasks.mjs');
const PISCINA_WORKER = path.join(dir, 'piscina-worker.cjs');

type Tasks = typeof import('./worker-pools/tasks.mjs');

export async function startPeer(name: PeerName, size: number): Promise<Peer> {
  switch (name) {
    case 'corepool': {
      const pool = new WorkerPool<Tasks>({ module: TASKS, minWorkers: size, maxWorkers: size });
      const handles = { noop: pool.task('noop'), factorial: pool.task('factorial'), started: pool.task('started') };
      return {
        name,
        run: (w, n) => (w === 'factorial' ? pool.submit(handles.factorial, [n!]) : w === 'noop' ? pool.submit(handles.noop, []) : pool.submit(handles.started, [])),
        close: () => pool.shutdown(),
      };
    }
    case 'piscina': {
      const { Piscina } = await import('piscina');
      const pool = new Piscina({ filename: PISCINA_WORKER, minThreads: size, maxThreads: size, execArgv: plainExecArgv() });
      return { name, run: (w, n) => pool.run(w === 'noop' ? null : { kind: w, n }), close: () => pool.destroy() };
    }
    case 'tinypool': {
      const { Tinypool } = await import('tinypool');
      const pool = new Tinypool({ filename: PISCINA_WORKER, minThreads: size, maxThreads: size, execArgv: plainExecArgv() });
      return { name, run: (w, n) => pool.run(w === 'noop' ? null : { kind: w, n }), close: () => pool.destroy() };
    }
    case 'workerpool': {
      const workerpool = await import('workerpool');
      const pool = workerpool.pool(path.join(dir, 'workerpool-worker.cjs'), { minWorkers: size, maxWorkers: size, workerType: 'thread', workerThreadOpts: { execArgv: plainExecArgv() } });
      return { name, run: (w, n) => pool.exec(w === 'factorial' ? 'factorial' : 'noop', w === 'factorial' ? [n] : []), close: async () => void (await pool.terminate()) };
    }
    case 'poolifier': {
      const { FixedThreadPool } = await import('poolifier');
      const pool = new FixedThreadPool(size, path.join(dir, 'poolifier-worker.cjs'), { workerOptions: { execArgv: plainExecArgv() } });
      // poolifier 5.3.2's destroy() can wait forever for 'taskFinished' events of tasks it
      // flushed, with no handle left to keep the process alive: the whole benchmark then
      // exited 0 before printing (about 1 run in 2 of bench:workers --quick on a busy
      // machine). Its workers are gone by then, so stop waiting after a bound.
      const close = (): Promise<void> => new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 2000);
        pool.destroy().then(() => { clearTimeout(timer); resolve(); }, (error: unknown) => { clearTimeout(timer); reject(error); });
      });
      return { name, run: (w, n) => pool.execute(w === 'noop' ? undefined : { kind: w, n }), close };
    }
  }
}

/** The load average, printed beside each benchmark's figures. */
export const load = loadAverage;
