// One IoPool task as the pool tracks it (TaskRecord: its state, attempts, deadline, slot
// and children) and what the running task sees of it (its TaskContext).
import type { Future, FutureOwner } from '../core/future';
import type { LongTimer } from '../core/timers';
import type { IoSubmitOptions } from './options';
import type { IoEngine } from './engine';
import { PriorityQueue } from './priority-queue';
import type { RetryPolicy } from './retry';

/** What a running IoPool task receives as its first argument. */
export interface TaskContext {
  /** Aborts when the task is cancelled (reason CancelledError) or passes its deadline (reason TimeoutError). */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  /**
   * Submits a child task to the same pool. While this task has children queued and no
   * slot is free, they run one at a time on this task's slot (no deadlock when parents
   * hold every slot). Children are cancelled if this task fails, times out or is cancelled.
   */
  submit<A extends readonly unknown[], R>(task: IoTask<A, R>, args: A, options?: IoSubmitOptions): Future<R>;
}

/** An IoPool task: an async (or plain) function of the context and the arguments. */
export type IoTask<A extends readonly unknown[], R> = (ctx: TaskContext, ...args: A) => R | PromiseLike<R>;

// Any IoPool task, for the Executor interface and TaskGroup.
export type AnyIoTask = IoTask<never[], unknown>;

// Task states.
export const QUEUED = 0;
export const RUNNING = 1;
export const BACKOFF = 2;
export const DONE = 3;

export const isQueued = (rec: TaskRecord): boolean => rec.state === QUEUED;

export class TaskRecord implements FutureOwner {
  state = QUEUED;
  attempt = 0;
  future!: Future<unknown>;
  ctx: Context | undefined = undefined; // the current attempt; undefined = none or abandoned
  errors: Error[] | undefined = undefined; // failed attempts so far
  controller: AbortController | undefined = undefined;
  abortReason: Error | undefined = undefined;
  timer: LongTimer | undefined = undefined; // the deadline
  deadline = Infinity; // performance.now() ms
  backoffTimer: LongTimer | undefined = undefined;
  startedAt = -1;
  // Slot bookkeeping: a running task holds a pool slot or borrows its lender's.
  holdsSlot = false;
  lender: TaskRecord | undefined = undefined;
  lentTo: TaskRecord | undefined = undefined;
  children: TaskRecord[] | undefined = undefined;
  childQueue: PriorityQueue<TaskRecord> | undefined = undefined;
  queuedChildren = 0;
  inParentQueue = false; // counted in its parent's queuedChildren
  // The pool's list of live records (for shutdown), intrusive so it costs no allocation.
  prev: TaskRecord | undefined = undefined;
  next: TaskRecord | undefined = undefined;

  constructor(
    readonly engine: IoEngine,
    readonly fn: AnyIoTask,
    public args: readonly unknown[],
    readonly priority: number,
    readonly retry: RetryPolicy | undefined,
    readonly parent: TaskRecord | undefined,
    readonly submittedAt: number,
    readonly runTimeout: number | undefined,
  ) {}

  liveState(): 'PENDING' | 'RUNNING' {
    return this.attempt === 0 ? 'PENDING' : 'RUNNING';
  }

  cancel(): boolean {
    return this.engine.cancel(this);
  }

  signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
}

export class Context implements TaskContext {
  constructor(
    private readonly rec: TaskRecord,
    readonly attempt: number,
  ) {}

  get signal(): AbortSignal {
    return this.rec.signal();
  }

  submit<A extends readonly unknown[], R>(task: IoTask<A, R>, args: A, options?: IoSubmitOptions): Future<R> {
    // An attempt that already ended (or was abandoned) has no slot to lend: the child is detached.
    const parent = this.rec.ctx === this ? this.rec : undefined;
    return this.rec.engine.enqueue(task as unknown as AnyIoTask, args, options, parent, 'submit') as Future<R>;
  }
}
