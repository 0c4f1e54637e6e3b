// One worker thread of a WorkerPool as the pool sees it: the Worker, its table of stop
// words (one slot per dispatched task), the jobs holding those slots, and the batch
// being filled this tick.
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import * as path from 'node:path';

import type { Job } from './job';
import { GEN_MASK, GEN_SHIFT, SLOTS_PER_WORKER, WorkerData } from './protocol';

// The runtime beside this file: .ts when corepool itself runs from source, .js in the
// published build.
const RUNTIME = path.join(__dirname, `runtime${path.extname(__filename)}`);

/**
 * How a worker starts. When the parent runs TypeScript through tsx, a worker does not get
 * tsx's hooks by itself (on Node 20 a worker ignores the parent's `--import tsx`), so the
 * worker first registers tsx's require hook, found where the parent's is; the runtime
 * then loads a .ts/.mts/.cts task module with require(), which that hook compiles.
 * Otherwise the worker starts from the runtime file directly.
 */
export function workerEntry(file: string): { file: string; eval: boolean } {
  if (!('.ts' in require.extensions)) return { file, eval: false };
  let tsx: string;
  try {
    tsx = require.resolve('tsx/cjs/api', { paths: [process.cwd(), __dirname] });
  } catch {
    return { file, eval: false }; // another TypeScript hook: corepool must run from .js then
  }
  return { file: `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`, eval: true };
}

const ENTRY = workerEntry(RUNTIME);

/** Why the pool ended a worker itself (anything else is a crash). */
export type ExitReason = 'killed' | 'idle' | 'shutdown' | 'broken';

export class Thread {
  readonly worker: Worker;
  readonly words: Int32Array;
  readonly jobs: (Job | undefined)[] = new Array(SLOTS_PER_WORKER).fill(undefined);
  private readonly free: number[] = [];
  private readonly generations = new Int32Array(SLOTS_PER_WORKER);
  /** Jobs holding a slot (dispatched, result not back yet). */
  inflight = 0;
  batch: unknown[] = [];
  transfer: ArrayBuffer[] = [];
  defs: (number | string)[] | undefined = undefined;
  readonly knownFunctions = new Set<number>();
  ready = false;
  exiting: ExitReason | undefined = undefined;
  idleTimer: NodeJS.Timeout | undefined = undefined;
  hasDeadlinePort = false;
  /** The error event's error, kept for the exit that follows it. */
  crashCause: unknown = undefined;

  constructor(
    readonly key: number,
    module: string | null,
    name: string,
    resourceLimits: ResourceLimits | undefined,
    asyncTasksPerWorker: number,
  ) {
    const sab = new SharedArrayBuffer(SLOTS_PER_WORKER * 4);
    this.words = new Int32Array(sab);
    for (let i = SLOTS_PER_WORKER - 1; i >= 0; i--) this.free.push(i);
    const workerData: WorkerData = { module, words: sab, asyncTasksPerWorker };
    this.worker = new Worker(ENTRY.file, { eval: ENTRY.eval, workerData, resourceLimits, name: `${name}-${key}` });
  }

  get hasRoom(): boolean {
    return this.free.length > 0 && this.exiting === undefined;
  }

  /** Gives a free slot to `job`, with a fresh generation and no bits. */
  take(job: Job): number {
    const slot = this.free.pop()!;
    const generation = (this.generations[slot]! + 1) & GEN_MASK;
    this.generations[slot] = generation;
    Atomics.store(this.words, slot, generation << GEN_SHIFT);
    this.jobs[slot] = job;
    if (this.inflight++ === 0) this.worker.ref();
    return slot;
  }

  release(slot: number): Job | undefined {
    const job = this.jobs[slot];
    if (job === undefined) return undefined;
    this.jobs[slot] = undefined;
    this.free.push(slot);
    if (--this.inflight === 0) this.worker.unref();
    return job;
  }

  terminate(reason: ExitReason): void {
    if (this.exiting !== undefined) return;
    this.exiting = reason;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    void this.worker.terminate();
  }
}
