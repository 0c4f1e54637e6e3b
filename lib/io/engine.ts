// The engine behind IoPool's facade (pool.ts), over three parts: the shared PoolCore
// (lifecycle, waiters, counters), the RunQueue (what waits, and the one loop that starts it)
// and the Attempts (a task's life from its start to the moment it holds nothing). A
// TaskRecord asks the engine, not the public pool, to cancel it, and a task's ctx.submit()
// enqueues its children here.
import { QueueFullError } from '../core/errors';
import { Future } from '../core/future';
import { linkSignal } from '../core/link-signal';
import { PoolCore } from '../core/pool-core';
import { checkArgsLength, describe, NO_ARGS } from '../core/validate';
import { Attempts } from './attempts';
import { checkIoSubmitOptions, CheckedIoSubmitOptions, IoOnFull, IoSubmitOptions } from './options';
import type { SlidingWindow } from './rate-limit';
import type { RetryPolicy } from './retry';
import { RunQueue } from './run-queue';
import { SlotLedger } from './slots';
import { AnyIoTask, RUNNING, TaskRecord } from './task-record';

export interface IoEngineConfig {
  name: string | undefined;
  maxConcurrency: number;
  maxQueue: number;
  onFull: IoOnFull;
  rate: SlidingWindow | undefined;
  defaultRetry: RetryPolicy | undefined;
}

export class IoEngine {
  readonly core: PoolCore;
  readonly queue: RunQueue;
  readonly attempts: Attempts;

  constructor(private readonly config: IoEngineConfig) {
    this.core = new PoolCore(config.name, 'io-pool');
    const slots = new SlotLedger(config.maxConcurrency);
    this.queue = new RunQueue(config.maxQueue, slots, config.rate, (rec) => this.attempts.start(rec), () => this.afterDrain());
    this.attempts = new Attempts(this.core, slots, this.queue);
  }

  /** submit() of anything: checks it, then enqueues it. `parent` is the submitting task, for ctx.submit(). */
  enqueue(fn: AnyIoTask, args: readonly unknown[], options: IoSubmitOptions | undefined, parent: TaskRecord | undefined, caller: string, name?: string): Future<unknown> {
    const checked = this.checkSubmission(fn, args, options, caller);
    return this.enqueueChecked(fn, copyArgs(args), checked, parent, name);
  }

  checkSubmission(fn: unknown, args: unknown, options: IoSubmitOptions | undefined, caller: string): CheckedIoSubmitOptions {
    checkTask(fn, caller);
    if (!Array.isArray(args)) throw new TypeError(`${caller}: args must be an array of the task's arguments, got ${describe(args)}`);
    const checked = checkIoSubmitOptions(options, this.config.defaultRetry);
    this.core.checkOpen();
    return checked;
  }

  /** `args` is the task's own copy (copyArgs): the caller may reuse its array at once. */
  enqueueChecked(fn: AnyIoTask, args: readonly unknown[], checked: CheckedIoSubmitOptions, parent: TaskRecord | undefined, name?: string): Future<unknown> {
    const { timeout, runTimeout, signal, priority, retry } = checked;
    this.core.checkOpen();
    // Before the queue-full policy, as in every pool: an aborted task takes no room.
    if (signal?.aborted) return this.core.cancelledAtSubmit(name ?? taskName(fn), signal);
    if (parent !== undefined && parent.state !== RUNNING) parent = undefined;
    if (this.queue.full) this.onQueueFull();

    const rec = new TaskRecord(this, fn, args, priority, retry, parent, performance.now(), runTimeout);
    const future = new Future<unknown>(name ?? taskName(fn), rec);
    rec.future = future;
    this.attempts.admit(rec, timeout);
    if (signal !== undefined) linkSignal(future, signal);
    this.queue.drain();
    return future;
  }

  /** TaskRecord.cancel, for its Future. */
  cancel(rec: TaskRecord): boolean {
    return this.attempts.cancel(rec);
  }

  private onQueueFull(): void {
    if (this.config.onFull === 'discardOldest') {
      const oldest = this.queue.takeNext();
      if (oldest !== undefined) {
        oldest.future.cancel();
        return;
      }
    }
    throw new QueueFullError(
      `pool '${this.core.name}' has ${this.queue.queued} task(s) queued (maxQueue ${this.config.maxQueue}); submit later, use submitWhenReady, or onFull 'discardOldest'`,
    );
  }

  /** After every drain: wake whoever waits for idleness or for room in the queue. */
  private afterDrain(): void {
    if (this.attempts.live === 0) this.core.notifyIdle();
    // The same test as submitWhenReady's wait (not `queued < maxQueue`, never true with
    // maxQueue 0, where the room is a free slot).
    if (this.core.hasRoomWaiters && !this.queue.full) this.core.wakeRoomWaiters();
  }
}

export function checkTask(task: unknown, caller: string): void {
  if (typeof task !== 'function') throw new TypeError(`${caller}: task must be a function (ctx, ...args) => value or Promise, got ${describe(task)}`);
}

export function taskName(fn: { name: string }): string {
  return fn.name || 'anonymous';
}

/** The arguments as they are at submit, read once (a queued task starts later, and a retry
 * runs them again): a caller that reuses one array for its submits changes no task's. */
export function copyArgs(args: readonly unknown[]): readonly unknown[] {
  checkArgsLength(args.length, 'submit');
  return args.length === 0 ? NO_ARGS : Array.prototype.slice.call(args);
}
