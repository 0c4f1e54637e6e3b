// What waits on a Future, and how settling runs it: then()'s reactions, the resolvers of
// the Promise that result() and the like hand out, and done callbacks. Settling calls
// each directly, with no Promise in between: `await future` and `Promise.all(futures)`
// call `then` once per Future, and a Promise plus two closures per call was most of
// their cost.
import type { Future } from './future';

/** What `then()` registered: the callbacks and the Future it returned. */
export class Reaction<T, R1, R2> {
  constructor(
    readonly derived: Future<R1 | R2>,
    readonly onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
    readonly onRejected: ((reason: unknown) => R2 | PromiseLike<R2>) | null | undefined,
  ) {}

  run(source: Future<T>): void {
    const derived = this.derived;
    const error = source._peekError();
    const handler = error === undefined ? this.onFulfilled : this.onRejected;
    if (typeof handler !== 'function') {
      if (error === undefined) derived._setResult(source._peekValue() as unknown as R1);
      else derived._setException(error);
      return;
    }
    let outcome: unknown;
    try {
      outcome = error === undefined ? (handler as (value: T) => unknown)(source._peekValue() as T) : (handler as (reason: unknown) => unknown)(error);
    } catch (thrown) {
      derived._setException(asError(thrown));
      return;
    }
    if (outcome !== null && (typeof outcome === 'object' || typeof outcome === 'function') && typeof (outcome as PromiseLike<unknown>).then === 'function') {
      // A thenable result: adopted, as a Promise would.
      (outcome as PromiseLike<R1 | R2>).then(
        (value) => derived._setResult(value),
        (reason: unknown) => derived._setException(asError(reason)),
      );
    } else {
      derived._setResult(outcome as R1 | R2);
    }
  }
}

/** The resolvers of the Promise that result() and the like hand out. */
export class PromiseWaiter<T> {
  constructor(
    readonly resolve: (value: T) => void,
    readonly reject: (error: Error) => void,
  ) {}
}

export type DoneCallback<T> = (future: Future<T>) => void;

/** A Future's waiters, settled in the order added: done callbacks, then() reactions, its Promise. */
export type Waiter = ((future: never) => void) | Reaction<never, unknown, unknown> | PromiseWaiter<never>;

/** Runs one waiter of `future`, which has just settled. */
export function settle<T>(waiter: Waiter, future: Future<T>): void {
  if (waiter instanceof Reaction) (waiter as unknown as Reaction<T, unknown, unknown>).run(future);
  else if (waiter instanceof PromiseWaiter) {
    const error = future._peekError();
    if (error === undefined) (waiter as PromiseWaiter<T>).resolve(future._peekValue() as T);
    else waiter.reject(error);
  } else invoke(waiter as DoneCallback<T>, future);
}

/** Calls a done callback; what it throws reaches 'uncaughtException' on a later tick
 * instead of stopping the callbacks after it. */
export function invoke<T>(fn: DoneCallback<T>, future: Future<T>): void {
  try {
    fn(future);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason), { cause: reason });
}
