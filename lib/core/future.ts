// Future<T>: the result of a task that may not have finished yet, after Python's
// concurrent.futures.Future. It is thenable (await gives the result) but creates a
// Promise only when someone waits, so that a failed Future nobody observes never
// becomes an unhandled rejection; one garbage-collected with its error unread is
// reported as a process warning instead (asyncio's "exception was never retrieved").

import { inspect } from 'node:util';

import { cancelledError } from './errors';
import { FutureHandle, handleOf } from './future-handle';
import { futureLine } from './future-printing';
import { DoneCallback, invoke, PromiseWaiter, Reaction, settleWaiters, Waiter } from './future-reactions';
import { checkResolversArgs, FutureOwner, FutureResolvers, resolversOf } from './future-resolvers';
import { withTimeout } from './timers';
import { unwatchUnretrieved, watchUnretrieved } from './unretrieved';
import { checkOptions, checkTimeout, describe } from './validate';

export type { FutureOwner, FutureResolvers } from './future-resolvers';

const WAIT_OPTION_KEYS: readonly string[] = ['timeout'];

export type FutureState = 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELLED';

/** Options of `result()` and `exception()`: `timeout` only bounds the wait (ms). */
export interface WaitOptions {
  timeout?: number;
}

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
    checkResolversArgs(task, owner);
    return resolversOf(new Future<T>(task, owner));
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
   * Cancels the task. A queued task is removed and this Future is CANCELLED at once. A
   * running native task is told to stop, and cancel() waits up to 50 us for it to reach its
   * next checkpoint: if it does (usual on a machine that is not overloaded), this Future is
   * CANCELLED when cancel() returns; if not, the task stops at its next checkpoint and the
   * Future ends CANCELLED then (a result that arrives anyway is dropped). Returns false only
   * if already done.
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
    return handleOf(this);
  }

  /**
   * `<Future task=isPrime state=FINISHED returned boolean true>`, as Python prints one: the
   * task, the state and what it returned or raised (an object by its class and length).
   * Printing a failed Future does not count as reading its error.
   */
  toString(): string {
    return futureLine(this.task, this.state, this._value, this._error);
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
      watchUnretrieved(this, this.task, error);
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
      unwatchUnretrieved(this);
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
