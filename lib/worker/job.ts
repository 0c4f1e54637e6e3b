// One WorkerPool task as the pool tracks it, from submit until its Future settles.
import type { Future } from '../core/future';
import type { LongTimer } from '../core/long-timer';
import type { WorkerHandle } from './workers';

export const QUEUED = 0; // in the pool's queue
export const SENT = 1; // in a worker's batch (waiting there, running, or reported soon)
export const DONE = 2;

export class Job {
  state = QUEUED;
  attempt = 1;
  future!: Future<unknown>;
  worker: WorkerHandle | undefined = undefined;
  slot = -1;
  /** Epoch ms (performance.timeOrigin + now()), Infinity for none. */
  deadline = Infinity;
  deadlineTimer: LongTimer | undefined = undefined;
  killTimer: NodeJS.Timeout | undefined = undefined;
  /** Set by cancel() or the deadline: what the Future ends as if the worker must be killed. */
  stopBit = 0;
  readonly submittedAt = performance.now();

  constructor(
    readonly name: string | undefined, // a module export, or undefined with `source`
    readonly source: string | undefined,
    readonly args: unknown[],
    readonly chunk: boolean,
    readonly transfer: ArrayBuffer[] | undefined,
    readonly runTimeout: number | undefined,
  ) {}
}
