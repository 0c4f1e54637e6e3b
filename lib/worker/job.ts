// One WorkerPool task as the pool tracks it: queued here, dispatched to a worker (holding
// one of its slots), or done. Its Future asks it for the live state and to cancel.
import type { Future, FutureOwner } from '../core/future';
import type { LongTimer } from '../core/timers';
import type { WorkerEngine } from './engine';
import { STARTED, TaskKey } from './protocol';
import type { Thread } from './thread';

export const QUEUED = 0;
export const DISPATCHED = 1;
export const DONE = 2;

export class Job implements FutureOwner {
  state = QUEUED;
  future!: Future<unknown>;
  thread: Thread | undefined = undefined;
  slot = -1;
  timer: LongTimer | undefined = undefined; // submit's `timeout`
  killTimer: LongTimer | undefined = undefined; // killAfter, once a stop bit is set
  // The pool's FIFO of queued jobs, intrusive: no allocation per task.
  next: Job | undefined = undefined;

  constructor(
    readonly engine: WorkerEngine,
    readonly key: TaskKey,
    readonly args: readonly unknown[],
    readonly transfer: readonly ArrayBuffer[] | undefined,
    readonly submittedAt: number,
    readonly deadlineAt: number, // epoch ms, 0 = none
    readonly runTimeout: number, // ms, -1 = none (0 is a real value: at once)
    readonly source: string | undefined, // a function shipped by source
  ) {}

  get started(): boolean {
    return this.thread !== undefined && (Atomics.load(this.thread.words, this.slot) & STARTED) !== 0;
  }

  liveState(): 'PENDING' | 'RUNNING' {
    return this.state === DISPATCHED && this.started ? 'RUNNING' : 'PENDING';
  }

  cancel(): boolean {
    return this.engine.cancel(this);
  }
}
