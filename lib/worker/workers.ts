// The threads of a WorkerPool: spawning one on the task module, knowing when it is ready,
// and the stop-word slots it owns. Worker `index` owns slots index*WORKER_BATCH .. +63 of
// the pool's shared stop array, so a replaced worker's slots pass to its successor.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ResourceLimits, Worker } from 'node:worker_threads';

import type { Job } from './job';
import { FromWorker, WORKER_BATCH, WorkerData } from './protocol';

// The worker entry beside this file: runtime.js when compiled, runtime.ts under tsx.
const RUNTIME = path.join(__dirname, `runtime${path.extname(__filename)}`);

// A parent running TypeScript through tsx (`node --import tsx`) gets TypeScript in its
// workers too. Node 20 does not carry the parent's loader hooks into a worker, so the
// bootstrap registers tsx's CommonJS hooks (for the runtime) and ESM hooks (for the task
// module's import()) itself, from the tsx the user's project resolves.
const TSX: { cjs: string; esm: string } | undefined = (() => {
  const usesTsx = process.execArgv.some((a) => /(^|[=\\/])tsx([\\/]|$)/.test(a)) || RUNTIME.endsWith('.ts');
  if (!usesTsx) return undefined;
  try {
    const root = path.dirname(require.resolve('tsx/package.json', { paths: [process.cwd(), __dirname] }));
    type Entry = { import?: { default?: string }; require?: { default?: string } };
    const exports = (require(path.join(root, 'package.json')) as { exports: Record<string, Entry> }).exports;
    const cjs = exports['./cjs/api']?.require?.default;
    const esm = exports['./esm/api']?.import?.default;
    if (cjs === undefined || esm === undefined) return undefined;
    return { cjs: path.join(root, cjs), esm: pathToFileURL(path.join(root, esm)).href };
  } catch {
    return undefined;
  }
})();

// The worker's entry (eval'd CommonJS; its import() is a real ESM import).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) {
    require(workerData.tsx.cjs).register();
    (await import(workerData.tsx.esm)).register();
  }
  require(workerData.runtime);
})().catch((error) => { setImmediate(() => { throw error; }); });
`;

export class WorkerHandle {
  readonly worker: Worker;
  ready = false;
  /** The module's function exports, once ready. */
  exports: ReadonlySet<string> | undefined;
  /** Jobs sent to this worker and not yet reported back, by slot. */
  readonly inflight = new Map<number, Job>();
  /** Ended on purpose (idle, kill, shutdown): its exit is not a crash. */
  retiring = false;
  idleTimer: NodeJS.Timeout | undefined;
  private readonly freeSlots: number[] = [];

  constructor(
    readonly index: number,
    module: string | undefined,
    stop: SharedArrayBuffer,
    starts: SharedArrayBuffer,
    resourceLimits: ResourceLimits | undefined,
    name: string,
    onMessage: (w: WorkerHandle, m: FromWorker) => void,
    onExit: (w: WorkerHandle, code: number, error: Error | undefined) => void,
  ) {
    for (let k = WORKER_BATCH - 1; k >= 0; k--) this.freeSlots.push(index * WORKER_BATCH + k);
    const workerData: WorkerData = { module, stop, starts, runtime: RUNTIME, tsx: TSX };
    this.worker = new Worker(BOOTSTRAP, { eval: true, workerData, resourceLimits, name: `${name}-${index}` });
    let error: Error | undefined;
    this.worker.on('message', (m: FromWorker) => onMessage(this, m));
    this.worker.on('error', (e: Error) => {
      error = e;
    });
    this.worker.on('exit', (code) => onExit(this, code, error));
  }

  /** Room for more jobs in this worker's batch. */
  get room(): number {
    return this.freeSlots.length;
  }

  takeSlot(): number {
    return this.freeSlots.pop()!;
  }

  freeSlot(slot: number): void {
    this.freeSlots.push(slot);
  }
}
