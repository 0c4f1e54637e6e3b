// Future<T>: the result of a task that may not have finished yet, after Python's
// concurrent.futures.Future. It is thenable (await gives the result) but creates a
// Promise only when someone waits, so that a failed Future nobody observes never
// becomes an unhandled rejection; one garbage-collected with its error unread is
// reported as a process warning instead (asyncio's "exception was never retrieved").

import { inspect } from 'node:util';

import { cancelledError } from './errors';
import { FutureHandle, handleOf } from './future-handle';
import { futureLine } from './future-printing';
import { DoneCallback, invoke, PromiseWaiter, promiseAmong, react, REACT, settleWaiters, Waiter } from './future-reactions';
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

// A Future's state and flags in one small integer (one field, not five: the fast path
// keeps hundreds of thousands of Futures alive at once, and every field is copied by each
// scavenge). The low two bits are the state; the outcome slot holds what the state says.
const PENDING = 0;
const FINISHED = 1;
const CANCELLED = 2;
const STATE = 3;
const FAILED = 4; // FINISHED with an error: the outcome is the Error
const CANCEL_REQUESTED = 8; // cancel() returned true: it ends CANCELLED
const OBSERVED = 16; // someone asked for the outcome (result, then, ...)
const WATCHED = 32; // registered for the never-retrieved warning
const STATE_NAMES: readonly FutureState[] = ['PENDING', 'FINISHED', 'CANCELLED'];

export class Future<T> implements PromiseLike<T> {
  /** A name for messages and warnings: the kernel or function the task runs. */
  readonly task: string;
  #flags = PENDING;
  // PENDING: the cancel cause (an AbortSignal's reason) once one is given; FINISHED: the
  // value, or the Error if FAILED; CANCELLED: the CancelledError.
  #outcome: unknown = undefined;
  #owner: FutureOwner | undefined;
  // PENDING: the waiters, typed loosely so that Future<T> stays assignable to
  // Future<unknown>; one is stored as is (the common case), more in an array. Once
  // settled: the Promise that result() and the like hand out, once one was made (the
  // waiters' slot is free then: later callbacks run at once or on a microtask).
  #callbacks: Waiter | Waiter[] | Promise<T> | undefined = undefined;
  /** @internal the owner's key for this task (a slot id) */
  _key = -1;

  constructor(task: string, owner?: FutureOwner) {
    this.task = task;
    this.#owner = owner;
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
    const state = this.#flags & STATE;
    if (state === PENDING && this.#owner !== undefined) return this.#owner.liveState(this);
    return STATE_NAMES[state]!;
  }

  done(): boolean {
    return (this.#flags & STATE) !== PENDING;
  }

  running(): boolean {
    return this.state === 'RUNNING';
  }

  cancelled(): boolean {
    return (this.#flags & STATE) === CANCELLED;
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
    if ((this.#flags & CANCEL_REQUESTED) !== 0) return true;
    this.#flags |= CANCEL_REQUESTED;
    if (this.#owner === undefined) {
      this._setCancelled();
      return true;
    }
    // The owner may refuse (a task it can no longer stop) or throw (a custom owner's
    // bug): then the task's own outcome stands, and a later cancel() may try again.
    let granted = false;
    try {
      granted = this.#owner.cancel(this);
    } finally {
      if (!granted) this.#flags &= ~CANCEL_REQUESTED;
    }
    return granted;
  }

  /** @internal cancel() with `reason` (an AbortSignal's) kept as the CancelledError's cause. */
  _cancelBecause(reason: unknown): boolean {
    if (this.done() || (this.#flags & CANCEL_REQUESTED) !== 0) return this.cancel();
    this.#outcome = reason;
    let granted = false;
    try {
      granted = this.cancel();
    } finally {
      if (!granted && !this.done()) this.#outcome = undefined;
    }
    return granted;
  }

  /** @internal why it is being cancelled (an AbortSignal's reason), if it was given one */
  get _cancelCause(): unknown {
    const state = this.#flags & STATE;
    if (state === PENDING) return this.#outcome;
    return state === CANCELLED ? (this.#outcome as Error).cause : undefined;
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
    return futureLine(this.task, this.state, this._peekValue(), this._peekError());
  }

  /** console.log and util.inspect print the same line, not the pool's internals. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** True once `cancel()` returned true: the Future will end CANCELLED. */
  get cancelRequested(): boolean {
    return (this.#flags & CANCEL_REQUESTED) !== 0;
  }

  /** Resolves with the value; rejects with the task's error, CancelledError, or
   * TimeoutError if `timeout` ms pass first (the task itself goes on). */
  result(options?: WaitOptions): Promise<T> {
    checkOptions(options, WAIT_OPTION_KEYS, 'result');
    const timeout = checkTimeout(options?.timeout);
    this.#retrieved();
    const p = this.#getPromise();
    if (timeout === undefined || this.done()) return p;
    return withTimeout(p, timeout, `result() of task '${this.task}'`);
  }

  /** Resolves with the task's error (CancelledError if cancelled) or undefined. */
  exception(options?: WaitOptions): Promise<Error | undefined> {
    checkOptions(options, WAIT_OPTION_KEYS, 'exception');
    const timeout = checkTimeout(options?.timeout);
    this.#retrieved();
    const p = this.#getPromise().then(
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
    this.#addWaiter(fn as Waiter);
  }

  #addWaiter(waiter: Waiter): void {
    const current = this.#callbacks as Waiter | Waiter[] | undefined;
    if (current === undefined) this.#callbacks = waiter;
    else if (Array.isArray(current)) current.push(waiter);
    else this.#callbacks = [current, waiter];
  }

  /** @internal Takes one registration of done callback `fn` off a pending Future (wait()
   * and asCompleted() once they have returned: a polling loop must not pile them up). */
  _removeDoneCallback(fn: DoneCallback<T>): void {
    const current = this.#callbacks;
    if (current === (fn as Waiter)) this.#callbacks = undefined;
    else if (Array.isArray(current)) {
      const at = current.indexOf(fn as Waiter);
      if (at >= 0) current.splice(at, 1);
    }
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
    this.#retrieved();
    const derived = new ThenFuture<T, R1, R2>(this.task, onFulfilled, onRejected);
    if (this.done()) queueMicrotask(() => derived[REACT](this));
    else this.#addWaiter(derived as unknown as Waiter);
    return derived;
  }

  /** As Promise.prototype.catch: a Promise of the result, or of what `onRejected` returns. */
  catch<R2 = never>(onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<T | R2> {
    this.#retrieved();
    return this.#getPromise().then(undefined, onRejected);
  }

  /** As Promise.prototype.finally. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    this.#retrieved();
    return this.#getPromise().finally(onFinally);
  }

  // ---- settling, for executors (not part of the public surface) ----

  /** @internal */
  _setResult(value: T): void {
    const flags = this.#flags;
    if ((flags & STATE) !== PENDING) return;
    if ((flags & CANCEL_REQUESTED) !== 0) return this._setCancelled();
    this.#flags = flags | FINISHED;
    this.#outcome = value;
    this.#finish();
  }

  /** @internal */
  _setException(error: Error): void {
    const flags = this.#flags;
    if ((flags & STATE) !== PENDING) return;
    if ((flags & CANCEL_REQUESTED) !== 0) return this._setCancelled();
    this.#outcome = error;
    if ((flags & OBSERVED) === 0) {
      this.#flags = flags | FINISHED | FAILED | WATCHED;
      watchUnretrieved(this, this.task, error);
    } else this.#flags = flags | FINISHED | FAILED;
    this.#finish();
  }

  /** @internal `cause` defaults to the one cancel was given (_cancelBecause). */
  _setCancelled(cause?: unknown): void {
    const flags = this.#flags;
    if ((flags & STATE) !== PENDING) return;
    this.#flags = flags | CANCELLED;
    this.#outcome = cancelledError(this.task, cause === undefined ? this.#outcome : cause);
    this.#finish();
  }

  /** @internal Counts as observed without asking for the outcome: for a Future its owner
   * keeps from the user (a map's chunk), whose error would otherwise warn as unretrieved. */
  _markObserved(): void {
    this.#retrieved();
  }

  /** @internal The error if failed or cancelled, without counting as retrieved. */
  _peekError(): Error | undefined {
    const flags = this.#flags;
    return (flags & FAILED) !== 0 || (flags & STATE) === CANCELLED ? (this.#outcome as Error) : undefined;
  }

  /** @internal The value if finished without error. */
  _peekValue(): T | undefined {
    return (this.#flags & (STATE | FAILED)) === FINISHED ? (this.#outcome as T) : undefined;
  }

  #finish(): void {
    this.#owner = undefined;
    const callbacks = this.#callbacks as Waiter | Waiter[] | undefined;
    if (callbacks === undefined) return;
    // Before the waiters run: one of them may ask for the Promise again.
    this.#callbacks = promiseAmong<T>(callbacks);
    settleWaiters(callbacks, this);
  }

  #retrieved(): void {
    const flags = this.#flags;
    if ((flags & WATCHED) !== 0) {
      this.#flags = (flags | OBSERVED) & ~WATCHED;
      unwatchUnretrieved(this);
    } else this.#flags = flags | OBSERVED;
  }

  #getPromise(): Promise<T> {
    const callbacks = this.#callbacks;
    if ((this.#flags & STATE) === PENDING) {
      const made = promiseAmong<T>(callbacks as Waiter | Waiter[] | undefined);
      if (made !== undefined) return made;
      const waiter = new PromiseWaiter<T>();
      this.#addWaiter(waiter as unknown as Waiter);
      return waiter.promise;
    }
    if (callbacks !== undefined) return callbacks as Promise<T>;
    const error = this._peekError();
    const promise = error === undefined ? Promise.resolve(this.#outcome as T) : Promise.reject(error);
    this.#callbacks = promise;
    return promise;
  }

}

/** The Future then() returns, which is also the reaction that settles it: `await` and
 * Promise.all call then() once per Future, and this makes one object there, not two. */
class ThenFuture<T, R1, R2> extends Future<R1 | R2> {
  #onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined;
  #onRejected: ((reason: unknown) => R2 | PromiseLike<R2>) | null | undefined;

  constructor(task: string, onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined, onRejected: ((reason: unknown) => R2 | PromiseLike<R2>) | null | undefined) {
    super(task);
    this.#onFulfilled = onFulfilled;
    this.#onRejected = onRejected;
  }

  [REACT](source: Future<T>): void {
    const onFulfilled = this.#onFulfilled;
    const onRejected = this.#onRejected;
    // Run once: the callbacks are not kept alive by a settled Future.
    this.#onFulfilled = this.#onRejected = undefined;
    react(this, onFulfilled, onRejected, source);
  }
}
