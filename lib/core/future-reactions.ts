// What waits on a Future, and how settling runs it: then()'s reactions, the resolvers of
// the Promise that result() and the like hand out, and done callbacks. Settling calls
// each directly, with no Promise in between: `await future` and `Promise.all(futures)`
// call `then` once per Future, and a Promise plus two closures per call was most of
// their cost.
import { errorFromThrown } from './errors';
import type { Future } from './future';

/** The method by which a then() Future (future.ts) reacts to its source settling: keyed by
 * a symbol of this module, so that no user code can call it. */
export const REACT = Symbol('react');

/** The Future that then() returned, which is also its own reaction to the source. */
export interface ThenReaction {
  [REACT](source: Future<never>): void;
}

/** Settles `derived` (what then() returned) from `source`, which has settled, through the
 * callback that applies. */
export function react<T, R1, R2>(
  derived: Future<R1 | R2>,
  onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
  onRejected: ((reason: unknown) => R2 | PromiseLike<R2>) | null | undefined,
  source: Future<T>,
): void {
  const error = source._peekError();
  const handler = error === undefined ? onFulfilled : onRejected;
  if (typeof handler !== 'function') {
    if (error === undefined) derived._setResult(source._peekValue() as unknown as R1);
    else derived._setException(error);
    return;
  }
  // Everything the user's code can throw (the callback, a thenable's `then` getter or
  // `then` itself) rejects the derived Future: it runs while a pool settles a batch.
  try {
    const outcome = error === undefined ? (handler as (value: T) => unknown)(source._peekValue() as T) : (handler as (reason: unknown) => unknown)(error);
    if (outcome === derived) throw new TypeError(`then() of task '${derived.task}': a callback returned the Future that then() returned (a chaining cycle)`);
    const then = outcome !== null && (typeof outcome === 'object' || typeof outcome === 'function') ? (outcome as PromiseLike<unknown>).then : undefined;
    if (typeof then !== 'function') return derived._setResult(outcome as R1 | R2);
    // A thenable result: adopted, as a Promise would, once (later calls are ignored).
    (then as PromiseLike<R1 | R2>['then']).call(
      outcome,
      (value) => derived._setResult(value),
      (reason: unknown) => derived._setException(errorFromThrown(reason, derived.task, `a thenable returned by then() of task '${derived.task}'`)),
    );
  } catch (thrown) {
    derived._setException(errorFromThrown(thrown, derived.task, `a then() callback of task '${derived.task}'`));
  }
}

/** The resolvers of the Promise that result() and the like hand out. */
export class PromiseWaiter<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** The Promise of the PromiseWaiter among `callbacks`, if there is one. */
export function promiseAmong<T>(callbacks: Waiter | Waiter[] | undefined): Promise<T> | undefined {
  if (callbacks instanceof PromiseWaiter) return callbacks.promise as Promise<T>;
  if (Array.isArray(callbacks)) for (const w of callbacks) if (w instanceof PromiseWaiter) return w.promise as Promise<T>;
  return undefined;
}

export type DoneCallback<T> = (future: Future<T>) => void;

/** A Future's waiters, settled in the order added: done callbacks, then() reactions, its Promise. */
export type Waiter = ((future: never) => void) | ThenReaction | PromiseWaiter<never>;

// Waiters of Futures settled while other waiters run (each link of a then() chain settles
// the next; a callback may cancel another Future): queued as (waiter, future) pairs and run
// by the outermost settleWaiters in a loop, so a chain of any length never grows the stack.
const deferred: unknown[] = [];
let settling = false;

/** Runs the waiters of `future`, which has just settled. */
export function settleWaiters<T>(callbacks: Waiter | Waiter[], future: Future<T>): void {
  if (settling) {
    if (Array.isArray(callbacks)) for (const waiter of callbacks) deferred.push(waiter, future);
    else deferred.push(callbacks, future);
    return;
  }
  settling = true;
  try {
    if (Array.isArray(callbacks)) for (const waiter of callbacks) settle(waiter, future);
    else settle(callbacks, future);
    for (let i = 0; i < deferred.length; i += 2) settle(deferred[i] as Waiter, deferred[i + 1] as Future<unknown>);
  } finally {
    settling = false;
    if (deferred.length !== 0) deferred.length = 0;
  }
}

/** Runs one waiter of `future`, which has just settled. */
function settle<T>(waiter: Waiter, future: Future<T>): void {
  if (waiter instanceof PromiseWaiter) {
    const error = future._peekError();
    if (error === undefined) (waiter as unknown as PromiseWaiter<T>).resolve(future._peekValue() as T);
    else waiter.reject(error);
  } else if (typeof waiter === 'function') invoke(waiter as DoneCallback<T>, future);
  else waiter[REACT](future as Future<never>);
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
