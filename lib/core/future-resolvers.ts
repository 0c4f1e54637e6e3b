// The settling side of a Future for an Executor written outside corepool (CPython's
// set_result / set_exception / set_running_or_notify_cancel): Future.withResolvers.
import type { Future } from './future';
import { describe } from './validate';

/** What an executor gives a Future so that it can report and cancel its task (see
 * Future.withResolvers, the seam for Executors written outside corepool). */
export interface FutureOwner {
  /** The live state of a task not yet done: queued or running. */
  liveState(future: Future<unknown>): 'PENDING' | 'RUNNING';
  /** Cancels the task; false only if it is already done. */
  cancel(future: Future<unknown>): boolean;
}

/** What Future.withResolvers checks before it makes the Future. */
export function checkResolversArgs(task: unknown, owner: FutureOwner | undefined): void {
  if (typeof task !== 'string') throw new TypeError(`Future.withResolvers: task must be a string (a name for messages), got ${describe(task)}`);
  if (owner !== undefined && (owner === null || typeof owner.cancel !== 'function' || typeof owner.liveState !== 'function')) {
    throw new TypeError(`Future.withResolvers: owner must be { liveState(future), cancel(future) }, got ${describe(owner)}`);
  }
}

/**
 * Each settles the Future at most once: later calls, and calls after cancel() returned
 * true, are ignored (a cancelled Future stays CANCELLED).
 */
export interface FutureResolvers<T> {
  readonly future: Future<T>;
  setResult(value: T): void;
  setException(error: Error): void;
  setCancelled(): void;
}

export function resolversOf<T>(future: Future<T>): FutureResolvers<T> {
  return {
    future,
    setResult: (value) => future._setResult(value),
    setException: (error) => {
      if (!(error instanceof Error)) throw new TypeError(`setException: error must be an Error, got ${describe(error)}`);
      future._setException(error);
    },
    setCancelled: () => future._setCancelled(),
  };
}
