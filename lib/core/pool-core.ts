// What every pool shares, composed (not inherited) by each: the lifecycle (open ->
// shutting down), the waiters for idleness and for room in a bounded queue, the
// outcome counters and the two time histograms behind stats(). A pool keeps only what
// is truly its own: how it queues, runs and settles tasks.
import { createHistogram, RecordableHistogram } from 'node:perf_hooks';

import { PoolShutdownError } from './errors';
import { Future } from './future';
import type { FutureHandle } from './future-handle';
import { onAbort } from './link-signal';
import { describe } from './validate';

/** How many tasks ended each way; every pool counts at least these. */
export interface OutcomeCounters {
  completed: number;
  failed: number;
  cancelled: number;
  timedOut: number;
}

/** The part of stats() that every pool reports alike. */
export interface CommonStats extends OutcomeCounters {
  name: string;
  /** Tasks running now. */
  active: number;
  /** Tasks waiting to start. */
  queued: number;
  /** Time tasks waited before they started, in nanoseconds. */
  queueWait: RecordableHistogram;
  /** Time tasks ran, in nanoseconds. */
  runTime: RecordableHistogram;
}

export class PoolCore {
  readonly name: string;
  readonly counters: OutcomeCounters = { completed: 0, failed: 0, cancelled: 0, timedOut: 0 };
  readonly queueWait = createHistogram();
  readonly runTime = createHistogram();
  #shuttingDown = false;
  #idleWaiters: (() => void)[] = [];
  #roomWaiters: (() => void)[] = [];

  constructor(name: unknown, fallbackName: string) {
    this.name = checkPoolName(name, fallbackName);
  }

  /** True once shutdown() was called: submit throws from then on. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Throws PoolShutdownError (the one message every pool gives) after shutdown(). */
  checkOpen(): void {
    if (this.#shuttingDown) throw new PoolShutdownError(`cannot submit to pool '${this.name}': it was shut down`);
  }

  /** Marks the pool shut down and lets every submitWhenReady waiter try (and fail) now. */
  beginShutdown(): void {
    this.#shuttingDown = true;
    this.wakeRoomWaiters();
  }

  /** Resolves once `inflight()` is 0; the pool calls notifyIdle() whenever it may be. */
  whenIdle(inflight: number): Promise<void> {
    if (inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  notifyIdle(): void {
    if (this.#idleWaiters.length > 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /**
   * submitWhenReady, for every pool: waits while `isFull()` (and the pool is open), then
   * resolves with the handle of the Future `submit()` returns (a Promise cannot resolve
   * with a thenable: it would adopt its result), `handle.future` being the Future itself.
   * A pool calls wakeRoomWaiters() whenever room may have opened: a task ended, was
   * cancelled or discarded, or shutdown began.
   */
  submitWhenReady<R>(isFull: () => boolean, submit: () => Future<R>, signal?: AbortSignal): Promise<FutureHandle<R>> {
    this.checkOpen();
    return new Promise<FutureHandle<R>>((resolve, reject) => {
      let forgetAbort: (() => void) | undefined;
      const run = (): void => {
        if (forgetAbort !== undefined) forgetAbort();
        try {
          resolve(submit().handle);
        } catch (error) {
          reject(error);
        }
      };
      const attempt = (): void => {
        if (!this.#shuttingDown && isFull() && signal?.aborted !== true) this.#roomWaiters.push(attempt);
        else run();
      };
      attempt();
      if (signal === undefined || !this.#roomWaiters.includes(attempt)) return;
      // The caller has no Future yet: the signal is its only handle on the wait. Aborted,
      // it submits at once, and `submit` (which must see an aborted signal before a full
      // queue) gives the Future CANCELLED without queuing it.
      forgetAbort = onAbort(signal, () => {
        const at = this.#roomWaiters.indexOf(attempt);
        if (at < 0) return;
        this.#roomWaiters.splice(at, 1);
        run();
      });
    });
  }

  get hasRoomWaiters(): boolean {
    return this.#roomWaiters.length > 0;
  }

  wakeRoomWaiters(): void {
    if (this.#roomWaiters.length > 0) for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  /** A task that ran: `waitNs` queued, `runNs` running. */
  recordTimes(waitNs: number, runNs: number): void {
    this.queueWait.record(Math.max(1, Math.round(waitNs)));
    this.runTime.record(Math.max(1, Math.round(runNs)));
  }

  /** The Future of a task whose signal had already aborted at submit: never queued. */
  cancelledAtSubmit<R>(task: string, signal: AbortSignal): Future<R> {
    const future = new Future<R>(task);
    this.counters.cancelled++;
    future._setCancelled(signal.reason);
    return future;
  }

  commonStats(active: number, queued: number): CommonStats {
    return { name: this.name, active, queued, ...this.counters, queueWait: this.queueWait, runTime: this.runTime };
  }
}

export function checkPoolName(name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`name must be a non-empty string, got ${describe(name)}`);
  return name;
}

/** map()'s items: anything iterable, sync or async. */
export function checkItems(items: unknown, caller = 'map'): asserts items is Iterable<unknown> | AsyncIterable<unknown> {
  if (items === null || typeof items !== 'object' || (!(Symbol.iterator in items) && !(Symbol.asyncIterator in items))) {
    throw new TypeError(`${caller}: items must be an Iterable or AsyncIterable, got ${describe(items)}`);
  }
}
