// Future<T>: the result of a task that may not have finished yet, after Python's
// concurrent.futures.Future. It is thenable (await gives the result) but creates a
// Promise only when someone waits, so that a failed Future nobody observes never
// becomes an unhandled rejection; one garbage-collected with its error unread is
// reported as a process warning instead (asyncio's "exception was never retrieved").

import { CancelledError, TimeoutError } from './errors';
import { checkTimeout, describe } from './validate';

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

type ThenMethod<T> = <R1 = T, R2 = never>(
  onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
  onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
) => Promise<R1 | R2>;

function futureThen<T, R1, R2>(
  this: Future<T>,
  onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
  onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
): Promise<R1 | R2> {
  return this._then(onFulfilled, onRejected);
}

/**
 * Resolves a promise with the Future itself, not with its result: a promise adopts any
 * thenable it is resolved with, so `then` is hidden for the (synchronous) moment the
 * promise looks it up.
 */
export function resolveWithFuture<T>(resolve: (value: Future<T>) => void, future: Future<T>): void {
  future._thenHidden = true;
  try {
    resolve(future);
  } finally {
    future._thenHidden = false;
  }
}

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
  // One callback is stored as is (the common case: one waiter), more in an array.
  private _callbacks: ((future: never) => void) | ((future: never) => void)[] | undefined = undefined;
  private _promise: Promise<T> | undefined = undefined;
  private _resolve: ((value: never) => void) | undefined = undefined;
  private _reject: ((error: Error) => void) | undefined = undefined;
  private _cancelRequested = false;
  private _watched = false; // registered for the never-retrieved warning
  /** @internal true while a promise is being resolved with this Future as its value */
  _thenHidden = false;
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

  /** True once `cancel()` returned true: the Future will end CANCELLED. */
  get cancelRequested(): boolean {
    return this._cancelRequested;
  }

  /** Resolves with the value; rejects with the task's error, CancelledError, or
   * TimeoutError if `timeout` ms pass first (the task itself goes on). */
  result(options?: WaitOptions): Promise<T> {
    const timeout = checkTimeout(options?.timeout);
    this._retrieved();
    const p = this._getPromise();
    if (timeout === undefined || this.done()) return p;
    return withTimeout(p, timeout, `result() of task '${this.task}'`);
  }

  /** Resolves with the task's error (CancelledError if cancelled) or undefined. */
  exception(options?: WaitOptions): Promise<Error | undefined> {
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
    const current = this._callbacks;
    if (current === undefined) this._callbacks = fn;
    else if (typeof current === 'function') this._callbacks = [current, fn];
    else current.push(fn);
  }

  /**
   * Thenable, so that `await future` gives the result. A getter rather than a method so
   * that a promise can be resolved with the Future itself (resolveWithFuture), which is
   * what submitWhenReady promises.
   */
  get then(): ThenMethod<T> {
    return (this._thenHidden ? undefined : futureThen) as ThenMethod<T>;
  }

  /** As Promise.prototype.catch: a Promise of the result, or of what `onRejected` returns. */
  catch<R2 = never>(onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<T | R2> {
    return this._then(undefined, onRejected);
  }

  /** As Promise.prototype.finally. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    this._retrieved();
    return this._getPromise().finally(onFinally);
  }

  /** @internal */
  _then<R1, R2>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this._retrieved();
    return this._getPromise().then(onFulfilled, onRejected);
  }

  // ---- settling, for executors (not part of the public surface) ----

  /** @internal */
  _setResult(value: T): void {
    if (this.done()) return;
    if (this._cancelRequested) return this._setCancelled();
    this._state = 'FINISHED';
    this._value = value;
    (this._resolve as ((value: T) => void) | undefined)?.(value);
    this._finish();
  }

  /** @internal */
  _setException(error: Error): void {
    if (this.done()) return;
    if (this._cancelRequested) return this._setCancelled();
    this._state = 'FINISHED';
    this._error = error;
    if (this._reject !== undefined) {
      this._reject(error);
    } else {
      this._watched = true;
      unretrieved.register(this, { task: this.task, message: error.message }, this);
    }
    this._finish();
  }

  /** @internal */
  _setCancelled(): void {
    if (this.done()) return;
    this._state = 'CANCELLED';
    this._error = new CancelledError(`task '${this.task}' was cancelled`);
    this._reject?.(this._error);
    this._finish();
  }

  /** @internal The error if failed or cancelled, without counting as retrieved. */
  _peekError(): Error | undefined {
    return this._error;
  }

  private _finish(): void {
    this._owner = undefined;
    const callbacks = this._callbacks;
    if (callbacks === undefined) return;
    this._callbacks = undefined;
    if (typeof callbacks === 'function') invoke(callbacks as DoneCallback<T>, this);
    else for (const fn of callbacks) invoke(fn as DoneCallback<T>, this);
  }

  private _retrieved(): void {
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
      this._promise = new Promise<T>((resolve, reject) => {
        this._resolve = resolve as (value: never) => void;
        this._reject = reject;
      });
    }
    return this._promise;
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
    const timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
