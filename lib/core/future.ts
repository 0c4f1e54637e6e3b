// Future<T>: the result of a task that may not have finished yet, after Python's
// concurrent.futures.Future. It is thenable (await gives the result) but creates a
// Promise only when someone waits, so that a failed Future nobody observes never
// becomes an unhandled rejection; one garbage-collected with its error unread is
// reported as a process warning instead (asyncio's "exception was never retrieved").

import { inspect } from 'node:util';

import { CancelledError, errorFromThrown, TimeoutError } from './errors';
import { FutureHandle } from './future-handle';
import { clearLongTimeout, setLongTimeout } from './timers';
import { checkOptions, checkTimeout, describe } from './validate';

const WAIT_OPTION_KEYS: readonly string[] = ['timeout'];

export type FutureState = 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELLED';

/** Options of `result()` and `exception()`: `timeout` only bounds the wait (ms). */
export interface WaitOptions {
  timeout?: number;
}

/** What an executor gives a Future so that it can report and cancel its task (see
 * Future.withResolvers, the seam for Executors written outside corepool). */
export interface FutureOwner {
  /** The live state of a task not yet done: queued or running. */
  liveState(future: Future<unknown>): 'PENDING' | 'RUNNING';
  /** Cancels the task; false only if it is already done. */
  cancel(future: Future<unknown>): boolean;
}

type DoneCallback<T> = (future: Future<T>) => void;

/**
 * The settling side of a Future, for an Executor written outside corepool (CPython's
 * set_result / set_exception / set_running_or_notify_cancel). Each settles the Future at
 * most once: later calls, and calls after cancel() returned true, are ignored (a
 * cancelled Future stays CANCELLED).
 */
export interface FutureResolvers<T> {
  readonly future: Future<T>;
  setResult(value: T): void;
  setException(error: Error): void;
  setCancelled(): void;
}

/**
 * What `then()` registered: the callbacks and the Future it returned. Settling runs it
 * directly, with no Promise in between: `await future` and `Promise.all(futures)` call
 * `then` once per Future, and a Promise plus two closures per call was most of their cost.
 */
class Reaction<T, R1, R2> {
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
}

/** The resolvers of the Promise that result() and the like hand out. */
class PromiseWaiter<T> {
  constructor(
    readonly resolve: (value: T) => void,
    readonly reject: (error: Error) => void,
  ) {}
}

/** A Future's waiters, settled in the order added: done callbacks, then() reactions, its Promise. */
type Waiter = ((future: never) => void) | Reaction<never, unknown, unknown> | PromiseWaiter<never>;

// Handles are asked for rarely (asCompleted, submitWhenReady): kept off the Future itself.
const handles = new WeakMap<Future<unknown>, FutureHandle<unknown>>();

const unretrieved = new FinalizationRegistry<{ task: string; message: string }>((held) => {
  process.emitWarning(
    `exception of task '${held.task}' was never retrieved: ${held.message}`,
    { type: 'CorepoolWarning', code: 'COREPOOL_UNRETRIEVED_EXCEPTION' },
  );
});

export class Future<T> implements PromiseLike<T> {
  /** A name for messages and warnings: the kernel or function the task runs. */
  readonly task: string;
  private _state: FutureState = 'PENDING';
  private _value: T | undefined = undefined;
  private _error: Error | undefined = undefined;
  private _owner: FutureOwner | undefined;
  // Typed loosely so that Future<T> stays assignable to Future<unknown>.
  // One waiter is stored as is (the common case), more in an array.
  private _callbacks: Waiter | Waiter[] | undefined = undefined;
  private _promise: Promise<T> | undefined = undefined;
  private _cancelRequested = false;
  private _observed = false; // someone asked for the outcome (result, then, ...)
  private _watched = false; // registered for the never-retrieved warning
  /** @internal why it was cancelled (an AbortSignal's reason), if it was given one */
  _cancelCause: unknown = undefined;
  /** @internal the owner's key for this task (a slot id) */
  _key = -1;

  constructor(task: string, owner?: FutureOwner) {
    this.task = task;
    this._owner = owner;
  }

  /** A Future already finished with `value`. */
  static resolved<T>(task: string, value: T): Future<T> {
    const f = new Future<T>(task);
    f._setResult(value);
    return f;
  }

  /**
   * A pending Future and the functions that settle it: how a custom Executor makes its
   * Futures. `owner` reports the task's live state and cancels it (without one, cancel()
   * ends the Future CANCELLED at once).
   */
  static withResolvers<T>(task: string, owner?: FutureOwner): FutureResolvers<T> {
    if (typeof task !== 'string') throw new TypeError(`Future.withResolvers: task must be a string (a name for messages), got ${describe(task)}`);
    if (owner !== undefined && (owner === null || typeof owner.cancel !== 'function' || typeof owner.liveState !== 'function')) {
      throw new TypeError(`Future.withResolvers: owner must be { liveState(future), cancel(future) }, got ${describe(owner)}`);
    }
    const future = new Future<T>(task, owner);
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

  /** A Future already failed with `error`. */
  static failed<T>(task: string, error: Error): Future<T> {
    const f = new Future<T>(task);
    f._setException(error);
    return f;
  }

  get state(): FutureState {
    if (this._state === 'PENDING' && this._owner !== undefined) return this._owner.liveState(this);
    return this._state;
  }

  done(): boolean {
    return this._state === 'FINISHED' || this._state === 'CANCELLED';
  }

  running(): boolean {
    return this.state === 'RUNNING';
  }

  cancelled(): boolean {
    return this._state === 'CANCELLED';
  }

  /**
   * Cancels the task. A queued task is removed and this Future is CANCELLED at once; a
   * running native task stops at its next checkpoint and the Future then ends CANCELLED
   * (a result that arrives anyway is dropped). Returns false only if already done.
   */
  cancel(): boolean {
    if (this.done()) return false;
    if (this._cancelRequested) return true;
    this._cancelRequested = true;
    if (this._owner === undefined) {
      this._setCancelled();
      return true;
    }
    // The owner may refuse (a task it can no longer stop): then the task's own outcome
    // stands, and a later cancel() may try again.
    if (this._owner.cancel(this)) return true;
    this._cancelRequested = false;
    return false;
  }

  /** @internal cancel() with `reason` (an AbortSignal's) kept as the CancelledError's cause. */
  _cancelBecause(reason: unknown): boolean {
    if (this.done() || this._cancelRequested) return this.cancel();
    this._cancelCause = reason;
    if (this.cancel()) return true;
    this._cancelCause = undefined;
    return false;
  }

  /**
   * This Future without `then` (one handle per Future): what asCompleted yields and
   * submitWhenReady resolves with, so that TypeScript types it as a Future there.
   */
  get handle(): FutureHandle<T> {
    let handle = handles.get(this) as FutureHandle<T> | undefined;
    if (handle === undefined) handles.set(this, (handle = new FutureHandle(this)));
    return handle;
  }

  /**
   * `<Future task=isPrime state=FINISHED returned boolean true>`, as Python prints one: the
   * task, the state and what it returned or raised (an object by its class and length).
   * Printing a failed Future does not count as reading its error.
   */
  toString(): string {
    let outcome = '';
    if (this._state === 'FINISHED') {
      const error = this._error;
      outcome = error === undefined ? ` returned ${safely(() => shortValue(this._value), 'an object')}` : ` raised ${safely(() => `${error.name}: ${error.message}`, 'an Error that cannot be printed')}`;
    }
    return `<Future task=${this.task} state=${this.state}${outcome}>`;
  }

  /** console.log and util.inspect print the same line, not the pool's internals. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** True once `cancel()` returned true: the Future will end CANCELLED. */
  get cancelRequested(): boolean {
    return this._cancelRequested;
  }

  /** Resolves with the value; rejects with the task's error, CancelledError, or
   * TimeoutError if `timeout` ms pass first (the task itself goes on). */
  result(options?: WaitOptions): Promise<T> {
    checkOptions(options, WAIT_OPTION_KEYS, 'result');
    const timeout = checkTimeout(options?.timeout);
    this._retrieved();
    const p = this._getPromise();
    if (timeout === undefined || this.done()) return p;
    return withTimeout(p, timeout, `result() of task '${this.task}'`);
  }

  /** Resolves with the task's error (CancelledError if cancelled) or undefined. */
  exception(options?: WaitOptions): Promise<Error | undefined> {
    checkOptions(options, WAIT_OPTION_KEYS, 'exception');
    const timeout = checkTimeout(options?.timeout);
    this._retrieved();
    const p = this._getPromise().then(
      () => undefined,
      (e: Error) => e,
    );
    if (timeout === undefined || this.done()) return p;
    return withTimeout(p, timeout, `exception() of task '${this.task}'`);
  }

  /**
   * Calls `fn(this)` once the Future is done (at once if it already is). An exception
   * thrown by `fn` does not stop other callbacks; it is re-thrown on a later tick, so
   * it reaches process 'uncaughtException' like any other uncaught error.
   */
  addDoneCallback(fn: DoneCallback<T>): void {
    if (typeof fn !== 'function') {
      throw new TypeError(`addDoneCallback: fn must be a function, got ${describe(fn)}`);
    }
    if (this.done()) {
      invoke(fn, this);
      return;
    }
    this._addWaiter(fn as Waiter);
  }

  private _addWaiter(waiter: Waiter): void {
    const current = this._callbacks;
    if (current === undefined) this._callbacks = waiter;
    else if (Array.isArray(current)) current.push(waiter);
    else this._callbacks = [current, waiter];
  }

  /**
   * Thenable, so that `await future` and `Promise.all(futures)` give the result. Returns
   * a Future of what the callbacks return; they run when this Future settles (on a later
   * microtask if it already has), and nothing observed as a rejection is made until
   * someone waits on that Future.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Future<R1 | R2> {
    this._retrieved();
    const derived = new Future<R1 | R2>(this.task);
    const reaction = new Reaction<T, R1, R2>(derived, onFulfilled, onRejected);
    if (this.done()) queueMicrotask(() => reaction.run(this));
    else this._addWaiter(reaction as unknown as Waiter);
    return derived;
  }

  /** As Promise.prototype.catch: a Promise of the result, or of what `onRejected` returns. */
  catch<R2 = never>(onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<T | R2> {
    this._retrieved();
    return this._getPromise().then(undefined, onRejected);
  }

  /** As Promise.prototype.finally. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    this._retrieved();
    return this._getPromise().finally(onFinally);
  }

  // ---- settling, for executors (not part of the public surface) ----

  /** @internal */
  _setResult(value: T): void {
    if (this.done()) return;
    if (this._cancelRequested) return this._setCancelled();
    this._state = 'FINISHED';
    this._value = value;
    this._finish();
  }

  /** @internal */
  _setException(error: Error): void {
    if (this.done()) return;
    if (this._cancelRequested) return this._setCancelled();
    this._state = 'FINISHED';
    this._error = error;
    if (!this._observed) {
      this._watched = true;
      unretrieved.register(this, { task: this.task, message: safely(() => String(error.message), '(its message cannot be read)') }, this);
    }
    this._finish();
  }

  /** @internal */
  _setCancelled(cause: unknown = this._cancelCause): void {
    if (this.done()) return;
    this._state = 'CANCELLED';
    this._error = cancelledError(this.task, cause);
    this._finish();
  }

  /** @internal The error if failed or cancelled, without counting as retrieved. */
  _peekError(): Error | undefined {
    return this._error;
  }

  /** @internal The value if finished without error. */
  _peekValue(): T | undefined {
    return this._value;
  }

  private _finish(): void {
    this._owner = undefined;
    const callbacks = this._callbacks;
    if (callbacks === undefined) return;
    this._callbacks = undefined;
    settleWaiters(callbacks, this);
  }

  private _retrieved(): void {
    this._observed = true;
    if (this._watched) {
      this._watched = false;
      unretrieved.unregister(this);
    }
  }

  private _getPromise(): Promise<T> {
    if (this._promise !== undefined) return this._promise;
    if (this._state === 'FINISHED') {
      this._promise = this._error === undefined ? Promise.resolve(this._value as T) : Promise.reject(this._error);
    } else if (this._state === 'CANCELLED') {
      this._promise = Promise.reject(this._error);
    } else {
      this._promise = new Promise<T>((resolve, reject) => this._addWaiter(new PromiseWaiter(resolve, reject) as Waiter));
    }
    return this._promise;
  }
}

/** The error of a cancelled task; `cause` (an AbortSignal's reason) is kept, as p-queue keeps it. */
export function cancelledError(task: string, cause: unknown): CancelledError {
  if (cause === undefined) return new CancelledError(`task '${task}' was cancelled`);
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new CancelledError(`task '${task}' was cancelled${why}`, { cause });
}

// Waiters of Futures settled while other waiters run (each link of a then() chain settles
// the next; a callback may cancel another Future): queued as (waiter, future) pairs and run
// by the outermost settleWaiters in a loop, so a chain of any length never grows the stack.
const deferred: unknown[] = [];
let settling = false;

function settleWaiters<T>(callbacks: Waiter | Waiter[], future: Future<T>): void {
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

function settle<T>(waiter: Waiter, future: Future<T>): void {
  if (waiter instanceof Reaction) (waiter as unknown as Reaction<T, unknown, unknown>).run(future);
  else if (waiter instanceof PromiseWaiter) {
    const error = future._peekError();
    if (error === undefined) (waiter as PromiseWaiter<T>).resolve(future._peekValue() as T);
    else waiter.reject(error);
  } else invoke(waiter as DoneCallback<T>, future);
}

/** A value in a line: its type and a short form (an object by its class and size). */
function shortValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value} ${String(value)}`;
  const length = (value as { length?: unknown }).length;
  return `${describe(value)}${typeof length === 'number' ? `(${length})` : ''}`;
}

/** Reads a property of an error or a value for a message; a throwing getter or Proxy trap gives `fallback`. */
function safely<V>(read: () => V, fallback: V): V {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function invoke<T>(fn: DoneCallback<T>, future: Future<T>): void {
  try {
    fn(future);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setLongTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearLongTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearLongTimeout(timer);
        reject(e);
      },
    );
  });
}
