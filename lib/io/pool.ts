// IoPool: bounded concurrency for async functions on the event loop, behind the same
// Future and Executor API as NativePool, so moving a task between the pools is a
// one-line change. Tasks start synchronously inside submit() when a slot is free (no
// extra tick, as p-queue does); everything else waits in a priority queue.
//
// Decisions worth knowing (the README's IoPool section tells users the same):
// - Timeout and cancel of a running task abort its ctx.signal, settle the Future at once
//   and free its slot at once, even if the task ignores the signal; such an abandoned
//   attempt still running is counted in stats().runaway until it settles, so a leak shows.
// - Retries release the slot during the backoff delay and queue again at the task's
//   priority; every attempt takes a slot and a rate-limit token.
// - Nested submission: children submitted with ctx.submit() may borrow their parent's
//   slot. A parent with queued children is taken to be waiting for them, so when no slot
//   is free one child at a time runs on the parent's slot: parents holding every slot
//   cannot deadlock. Children are cancelled when their parent fails, times out or is
//   cancelled; if it succeeds they go on and keep the slot they run on.
// - onFull 'callerRuns' is refused: for async work "run it in the caller" can only mean
//   "start it now beyond the limit", which breaks the one promise of this pool. Use
//   submitWhenReady() for backpressure instead.

import { errorFromThrown, PoolShutdownError, QueueFullError, RetryError, TimeoutError } from '../core/errors';
import type { Executor, MapOptions, ShutdownOptions } from '../core/executor';
import { types } from 'node:util';

import { cancelledError, Future } from '../core/future';
import type { FutureHandle } from '../core/future-handle';
import { linkSignal } from '../core/link-signal';
import { orderedMap } from '../core/map';
import { checkItems, PoolCore } from '../core/pool-core';
import { clearLongTimeout, LongTimer, setLongTimeout } from '../core/timers';
import { checkCount, checkOptions, checkShutdownOptions, describe, NO_ARGS } from '../core/validate';
import { checkIoSubmitOptions, CheckedIoSubmitOptions, DEFAULT_IO_CONCURRENCY, IoOnFull, IoPoolOptions, IoPoolStats, IoSubmitOptions } from './options';
import { PriorityQueue } from './priority-queue';
import { checkRateLimit, SlidingWindow } from './rate-limit';
import { SlotLedger } from './slots';
import { backoffDelay, checkRetryOptions, RetryPolicy } from './retry';
import { AnyIoTask, BACKOFF, Context, DONE, IoTask, isQueued, QUEUED, RUNNING, TaskContext, TaskRecord } from './task-record';

export { DEFAULT_IO_CONCURRENCY };
export type { IoOnFull, IoPoolOptions, IoPoolStats, IoSubmitOptions, IoTask, TaskContext };

const PROMISE_THEN = Promise.prototype.then; // eslint-disable-line @typescript-eslint/unbound-method

export class IoPool implements Executor<AnyIoTask> {
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  readonly onFull: IoOnFull;

  private readonly queue = new PriorityQueue<TaskRecord>();
  private readonly rate: SlidingWindow | undefined;
  private readonly defaultRetry: RetryPolicy | undefined;
  private queued = 0;
  private running = 0;
  private live = 0; // records not DONE
  private liveHead: TaskRecord | undefined = undefined;
  private readonly slots: SlotLedger;
  private paused = false;
  private draining = false;
  private drainScheduled = false;
  private rateTimer: LongTimer | undefined = undefined;
  private emptyWaiters: (() => void)[] = [];
  private readonly core: PoolCore;
  // IoPool's own counters, beside the core's outcome counters.
  private retries = 0;
  private runaway = 0;

  constructor(options: IoPoolOptions = {}) {
    checkOptions(options, ['maxConcurrency', 'maxQueue', 'onFull', 'rateLimit', 'retry', 'name'], 'IoPool');
    this.core = new PoolCore(options.name, 'io-pool');
    this.maxConcurrency = checkCount(options.maxConcurrency, 'maxConcurrency', 1, DEFAULT_IO_CONCURRENCY);
    this.slots = new SlotLedger(this.maxConcurrency);
    this.maxQueue = checkCount(options.maxQueue, 'maxQueue', 0, Infinity);
    const onFull = options.onFull ?? 'reject';
    if ((onFull as string) === 'callerRuns') {
      throw new TypeError(
        "onFull 'callerRuns' is not supported by IoPool: an async task cannot run in the caller without breaking maxConcurrency; use 'reject' with submitWhenReady() for backpressure",
      );
    }
    if (onFull !== 'reject' && onFull !== 'discardOldest') {
      throw new TypeError(`onFull must be 'reject' or 'discardOldest', got ${describe(onFull)}`);
    }
    this.onFull = onFull;
    this.rate = checkRateLimit(options.rateLimit);
    this.defaultRetry = checkRetryOptions(options.retry, 'retry');
  }

  /** Runs `task(ctx, ...args)` when a slot is free (at once if one is) and returns its Future. */
  submit<A extends readonly unknown[], R>(task: IoTask<A, R>, args: A, options?: IoSubmitOptions): Future<R> {
    return this._enqueue(task as unknown as AnyIoTask, args, options, undefined, 'submit') as Future<R>;
  }

  /** Waits for room in a bounded queue, then submits. Resolves with the Future. */
  submitWhenReady<A extends readonly unknown[], R>(task: IoTask<A, R>, args: A, options?: IoSubmitOptions): Promise<FutureHandle<R>> {
    // Checked now, once: bad arguments throw here, as NativePool's do.
    const checked = this.checkSubmission(task as unknown as AnyIoTask, args, options, 'submitWhenReady');
    return this.core.submitWhenReady(
      () => this.queueFull(),
      () => this.enqueueChecked(task as unknown as AnyIoTask, args, checked, undefined) as Future<R>,
    );
  }

  /**
   * Python's map: `task(ctx, item)` for each item, results in input order. `buffersize`
   * bounds the items in flight; `chunksize` items run one after another in one slot
   * (no gain for IO; it exists for the Executor contract).
   */
  map<T, R>(task: IoTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncIterableIterator<R> {
    checkTask(task, 'map');
    checkItems(items);
    const fn = task as unknown as (ctx: TaskContext, item: unknown) => R | PromiseLike<R>;
    const name = taskName(task);
    const submitChunk = (chunk: unknown[][], timeout: number | undefined): Future<R[]> => {
      const runChunk = async (ctx: TaskContext): Promise<R[]> => {
        const out: R[] = [];
        for (const args of chunk) out.push(await fn(ctx, args[0]));
        return out;
      };
      return this._enqueue(runChunk as AnyIoTask, [], { timeout }, undefined, 'map', name) as Future<R[]>;
    };
    return orderedMap((item) => [item], submitChunk, items, options, this.maxConcurrency);
  }

  /** Stops starting queued tasks (running ones go on) until resume(). */
  pause(): void {
    if (this.core.shuttingDown) {
      throw new PoolShutdownError(`cannot pause pool '${this.name}': it was shut down, and its queued tasks must still run`);
    }
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.drain();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Resolves when nothing is queued, running or waiting to retry. */
  onIdle(): Promise<void> {
    return this.core.whenIdle(this.live);
  }

  /** Resolves when the queue is empty (every task has started; some may still run). */
  onEmpty(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.emptyWaiters.push(resolve));
  }

  /**
   * Stops taking tasks; afterwards submit throws PoolShutdownError. `cancelFutures` cancels
   * queued tasks and those waiting to retry; `cancelRunning` also aborts running tasks'
   * signals (their Futures end CANCELLED). With `wait` (default) it resolves once every
   * Future has settled (abandoned runaway attempts are not waited for).
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    const opts = checkShutdownOptions(options);
    this.core.beginShutdown();
    if (opts.cancelFutures || opts.cancelRunning) {
      const victims: TaskRecord[] = [];
      for (let r = this.liveHead; r !== undefined; r = r.next) {
        if (r.state === RUNNING ? opts.cancelRunning : opts.cancelFutures) victims.push(r);
      }
      for (const r of victims) r.future.cancel();
    }
    // A paused pool would never start its queued tasks, and shutdown would never end: as
    // Python's shutdown runs the pending work, the pause ends here (cancelFutures cancels
    // that work instead, above).
    if (this.paused) {
      this.paused = false;
      this.drain();
    }
    const idle = this.onIdle();
    return opts.wait ? idle : Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  get isShutdown(): boolean {
    return this.core.shuttingDown;
  }

  get name(): string {
    return this.core.name;
  }

  stats(): IoPoolStats {
    return {
      ...this.core.commonStats(this.running, this.queued),
      maxConcurrency: this.maxConcurrency,
      retries: this.retries,
      runaway: this.runaway,
      paused: this.paused,
    };
  }

  // ---- internals (used by TaskRecord and Context) ----

  /** @internal */
  _enqueue(fn: AnyIoTask, args: readonly unknown[], options: IoSubmitOptions | undefined, parent: TaskRecord | undefined, caller: string, name?: string): Future<unknown> {
    return this.enqueueChecked(fn, args, this.checkSubmission(fn, args, options, caller), parent, name);
  }

  private checkSubmission(fn: unknown, args: unknown, options: IoSubmitOptions | undefined, caller: string): CheckedIoSubmitOptions {
    checkTask(fn, caller);
    if (!Array.isArray(args)) throw new TypeError(`${caller}: args must be an array of the task's arguments, got ${describe(args)}`);
    const checked = checkIoSubmitOptions(options, this.defaultRetry);
    this.core.checkOpen();
    return checked;
  }

  private enqueueChecked(fn: AnyIoTask, args: readonly unknown[], checked: CheckedIoSubmitOptions, parent: TaskRecord | undefined, name?: string): Future<unknown> {
    const { timeout, runTimeout, signal, priority, retry } = checked;
    this.core.checkOpen();
    if (parent !== undefined && parent.state !== RUNNING) parent = undefined;
    if (this.queueFull()) this.onQueueFull();

    const rec = new TaskRecord(this, fn, args, priority, retry, parent, performance.now(), runTimeout);
    const future = new Future<unknown>(name ?? taskName(fn), rec);
    rec.future = future;
    if (signal?.aborted) {
      rec.state = DONE;
      this.core.counters.cancelled++;
      future._setCancelled(signal.reason);
      return future;
    }
    this.live++;
    const head = this.liveHead;
    if (head !== undefined) {
      rec.next = head;
      head.prev = rec;
    }
    this.liveHead = rec;
    if (timeout !== undefined) {
      rec.deadline = rec.submittedAt + timeout;
      rec.timer = setLongTimeout(() => this.onDeadline(rec, `timeout of ${timeout} ms`), timeout);
    }
    this.push(rec);
    if (signal !== undefined) linkSignal(future, signal);
    this.drain();
    return future;
  }

  /** @internal FutureOwner.cancel of a record. */
  _cancel(rec: TaskRecord): boolean {
    if (rec.state === DONE) return false;
    this.core.counters.cancelled++;
    this.abandon(rec, cancelledError(rec.future.task, rec.future._cancelCause));
    rec.future._setCancelled();
    // Not at once: whoever cancels often cancels several (a TaskGroup failing fast,
    // shutdown); starting the next queued task inside this call could start (or even
    // finish) a sibling the same loop is about to cancel.
    this.drainSoon();
    return true;
  }

  private wouldQueue(): boolean {
    return this.queued > 0 || this.paused || this.slots.full || (this.rate !== undefined && this.rate.wait(performance.now()) > 0);
  }

  /** Would one more task have to wait beyond maxQueue? */
  private queueFull(): boolean {
    return this.queued >= this.maxQueue && this.wouldQueue();
  }

  private onQueueFull(): void {
    if (this.onFull === 'discardOldest') {
      const oldest = this.queue.shift(isQueued);
      if (oldest !== undefined) {
        oldest.future.cancel();
        return;
      }
    }
    throw new QueueFullError(
      `pool '${this.name}' has ${this.queued} task(s) queued (maxQueue ${this.maxQueue}); submit later, use submitWhenReady, or onFull 'discardOldest'`,
    );
  }

  private push(rec: TaskRecord): void {
    rec.state = QUEUED;
    this.queued++;
    this.queue.push(rec);
    const parent = rec.parent;
    if (parent !== undefined && parent.state === RUNNING) {
      (parent.children ??= []).push(rec);
      (parent.childQueue ??= new PriorityQueue<TaskRecord>()).push(rec);
      parent.queuedChildren++;
      rec.inParentQueue = true;
      this.slots.offer(parent);
    }
  }

  /** Takes a record out of the queued count (it started, or was cancelled or timed out there). */
  private unqueue(rec: TaskRecord): void {
    this.queued--;
    if (rec.inParentQueue) {
      rec.inParentQueue = false;
      const parent = rec.parent!;
      if (parent.queuedChildren > 0) parent.queuedChildren--;
    }
  }

  /** Starts queued tasks while slots (own or lent), rate tokens and the pause allow. */
  private drain(): void {
    if (this.draining) return; // the outer loop picks up whatever a task started or freed
    this.draining = true;
    try {
      while (this.queued > 0 && !this.paused) {
        if (this.rate !== undefined) {
          const wait = this.rate.wait(performance.now());
          if (wait > 0) {
            this.armRateTimer(wait);
            break;
          }
        }
        const rec = this.slots.take(this.queue);
        if (rec === undefined) break;
        this.unqueue(rec);
        this.start(rec);
      }
    } finally {
      this.draining = false;
    }
    this.notify();
  }

  private drainSoon(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private armRateTimer(wait: number): void {
    if (this.rateTimer !== undefined) return;
    this.rateTimer = setLongTimeout(() => {
      this.rateTimer = undefined;
      this.drain();
    }, Math.ceil(wait));
  }

  private start(rec: TaskRecord): void {
    rec.state = RUNNING;
    const attempt = ++rec.attempt;
    this.running++;
    const now = performance.now();
    if (this.rate !== undefined) this.rate.take(now);
    if (attempt === 1) {
      rec.startedAt = now;
      this.core.queueWait.record(Math.max(1, Math.round((now - rec.submittedAt) * 1e6)));
      if (rec.runTimeout !== undefined && now + rec.runTimeout < rec.deadline) {
        clearLongTimeout(rec.timer);
        const ms = rec.runTimeout;
        rec.deadline = now + ms;
        rec.timer = setLongTimeout(() => this.onDeadline(rec, `runTimeout of ${ms} ms`), ms);
      }
    }
    const ctx = new Context(rec, attempt);
    rec.ctx = ctx;
    let result: unknown;
    try {
      const args = rec.args;
      switch (args.length) {
        case 0:
          result = (rec.fn as (ctx: TaskContext) => unknown)(ctx);
          break;
        case 1:
          result = (rec.fn as (ctx: TaskContext, a: unknown) => unknown)(ctx, args[0]);
          break;
        default:
          result = (rec.fn as (ctx: TaskContext, ...a: unknown[]) => unknown)(ctx, ...args);
      }
    } catch (error) {
      this.attemptFailed(rec, ctx, error);
      return;
    }
    this.adopt(rec, ctx, result);
  }

  /**
   * Waits for a task's result if it is a thenable. Adopting runs user code (a `then`
   * getter or method, a Proxy trap, a Promise subclass's constructor): whatever it
   * throws fails this attempt and nothing else, and a thenable that calls back more
   * than once settles it once.
   */
  private adopt(rec: TaskRecord, ctx: Context, result: unknown): void {
    if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
      this.attemptDone(rec, ctx, result);
      return;
    }
    const done = (value: unknown): void => this.attemptDone(rec, ctx, value);
    const failed = (error: unknown): void => this.attemptFailed(rec, ctx, error);
    let then: unknown;
    try {
      then = (result as PromiseLike<unknown>).then; // read once: a getter may answer differently twice
      if (then === PROMISE_THEN && types.isPromise(result)) {
        // A real promise (the common case): its own then settles once.
        (then as Promise<unknown>['then']).call(result, done, failed);
        return;
      }
    } catch (error) {
      failed(error);
      return;
    }
    if (typeof then !== 'function') {
      this.attemptDone(rec, ctx, result);
      return;
    }
    // A foreign thenable: the Promise constructor settles once and turns a throw into a rejection.
    new Promise<unknown>((resolve, reject) => {
      (then as PromiseLike<unknown>['then']).call(result, resolve, reject);
    }).then(done, failed);
  }

  private attemptDone(rec: TaskRecord, ctx: Context, value: unknown): void {
    if (rec.ctx !== ctx) {
      this.runaway--; // an abandoned attempt finally settled
      return;
    }
    rec.ctx = undefined;
    this.running--;
    this.core.counters.completed++;
    this.finish(rec, true);
    rec.future._setResult(value);
    this.drain();
  }

  private attemptFailed(rec: TaskRecord, ctx: Context, thrown: unknown): void {
    if (rec.ctx !== ctx) {
      this.runaway--;
      return;
    }
    rec.ctx = undefined;
    this.running--;
    const error = errorFromThrown(thrown, rec.future.task);
    const policy = rec.retry;
    let final: Error = error;
    if (policy !== undefined) {
      let again = rec.attempt <= policy.retries;
      if (again && policy.retryOn !== undefined) {
        try {
          again = policy.retryOn(error, rec.attempt) === true;
        } catch (predicateError) {
          again = false;
          final = errorFromThrown(predicateError, rec.future.task);
          if (final.cause === undefined) final.cause = error;
        }
      }
      (rec.errors ??= []).push(error);
      if (again) {
        this.retryLater(rec, backoffDelay(policy, rec.attempt));
        return;
      }
      if (final === error && rec.errors.length > 1) final = new RetryError(rec.future.task, rec.errors);
    }
    this.core.counters.failed++;
    this.cancelChildren(rec);
    this.finish(rec, false);
    rec.future._setException(final);
    this.drain();
  }

  private retryLater(rec: TaskRecord, delay: number): void {
    this.retries++;
    this.cancelChildren(rec); // they belonged to the failed attempt
    this.slots.release(rec, false);
    rec.state = BACKOFF;
    rec.backoffTimer = setLongTimeout(() => {
      rec.backoffTimer = undefined;
      this.push(rec);
      this.drain();
    }, delay);
    this.drain();
  }

  private onDeadline(rec: TaskRecord, what: string): void {
    rec.timer = undefined;
    if (rec.state === DONE) return;
    const options = rec.errors !== undefined ? { cause: new RetryError(rec.future.task, rec.errors) } : undefined;
    const error = new TimeoutError(`task '${rec.future.task}' passed its deadline (${what})`, options);
    this.core.counters.timedOut++;
    this.abandon(rec, error);
    rec.future._setException(error);
    this.drain();
  }

  /** Ends a task early (cancel, timeout): wherever it is, it stops holding anything. */
  private abandon(rec: TaskRecord, reason: Error): void {
    switch (rec.state) {
      case QUEUED:
        this.unqueue(rec);
        break;
      case BACKOFF:
        clearLongTimeout(rec.backoffTimer);
        rec.backoffTimer = undefined;
        break;
      case RUNNING:
        rec.ctx = undefined;
        this.running--;
        this.runaway++;
        break;
    }
    // Mark it done first so that the abort listeners see a settled picture.
    const wasRunning = rec.state === RUNNING;
    rec.state = DONE;
    if (wasRunning || rec.attempt > 0) {
      if (rec.controller !== undefined) rec.controller.abort(reason);
      else rec.abortReason = reason;
    }
    this.cancelChildren(rec);
    this.finish(rec, false);
  }

  private cancelChildren(rec: TaskRecord): void {
    const children = rec.children;
    if (children === undefined) return;
    rec.children = undefined;
    rec.childQueue = undefined;
    rec.queuedChildren = 0;
    for (const child of children) if (child.state !== DONE) child.future.cancel();
  }

  /** The task is over: release its slot (passing it on to a borrower on success), timers, links. */
  private finish(rec: TaskRecord, succeeded: boolean): void {
    rec.state = DONE;
    if (rec.timer !== undefined) {
      clearLongTimeout(rec.timer);
      rec.timer = undefined;
    }
    if (rec.startedAt >= 0) this.core.runTime.record(Math.max(1, Math.round((performance.now() - rec.startedAt) * 1e6)));
    this.slots.release(rec, succeeded);
    this.slots.forget(rec);
    rec.children = undefined;
    rec.childQueue = undefined;
    rec.args = NO_ARGS;
    this.live--;
    if (rec.prev !== undefined) rec.prev.next = rec.next;
    else this.liveHead = rec.next;
    if (rec.next !== undefined) rec.next.prev = rec.prev;
    rec.prev = rec.next = undefined;
  }

  private notify(): void {
    if (this.queued === 0 && this.emptyWaiters.length > 0) for (const wake of this.emptyWaiters.splice(0)) wake();
    if (this.live === 0) this.core.notifyIdle();
    if (this.queued < this.maxQueue) this.core.wakeRoomWaiters();
  }
}


function checkTask(task: unknown, caller: string): void {
  if (typeof task !== 'function') throw new TypeError(`${caller}: task must be a function (ctx, ...args) => value or Promise, got ${describe(task)}`);
}

function taskName(fn: { name: string }): string {
  return fn.name || 'anonymous';
}

