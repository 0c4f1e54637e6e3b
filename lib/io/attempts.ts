// The life of an IoPool task once it is admitted, up to the moment it holds nothing: its
// attempts (start, adopt the result, done or failed), retries after a backoff, its
// deadline, and abandonment by cancel or timeout. Whichever way it ends, finish() gives
// back its slot, timers and children and takes it off the pool's list of live tasks.
import { cancelledError, errorFromThrown, RetryError, TimeoutError } from '../core/errors';
import type { PoolCore } from '../core/pool-core';
import { clearLongTimeout, setLongTimeout } from '../core/timers';
import { NO_ARGS } from '../core/validate';
import { types } from 'node:util';

import { backoffDelay } from './retry';
import type { RunQueue } from './run-queue';
import type { SlotLedger } from './slots';
import { BACKOFF, Context, DONE, QUEUED, RUNNING, TaskContext, TaskRecord } from './task-record';

const PROMISE_THEN = Promise.prototype.then; // eslint-disable-line @typescript-eslint/unbound-method

export class Attempts {
  /** Attempts running now (children on a borrowed slot included). */
  running = 0;
  /** Attempts abandoned by a timeout or cancel that have not settled yet. */
  runaway = 0;
  /** Retries started or scheduled. */
  retries = 0;
  /** Records not DONE: queued, running or waiting to retry. */
  live = 0;
  // The live records, an intrusive list (for shutdown) that costs no allocation.
  private liveHead: TaskRecord | undefined = undefined;

  constructor(
    private readonly core: PoolCore,
    private readonly slots: SlotLedger,
    private readonly queue: RunQueue,
  ) {}

  /** Takes a new record in: live from now on, with its deadline armed, and queued. */
  admit(rec: TaskRecord, timeout: number | undefined): void {
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
    this.queue.push(rec);
  }

  /** The live records that `pick` chooses, collected first (cancelling one ends others). */
  liveRecords(pick: (rec: TaskRecord) => boolean): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (let r = this.liveHead; r !== undefined; r = r.next) if (pick(r)) out.push(r);
    return out;
  }

  /** FutureOwner.cancel of a record. */
  cancel(rec: TaskRecord): boolean {
    if (rec.state === DONE) return false;
    this.core.counters.cancelled++;
    this.abandon(rec, cancelledError(rec.future.task, rec.future._cancelCause));
    rec.future._setCancelled();
    // Not at once: whoever cancels often cancels several (a TaskGroup failing fast,
    // shutdown); starting the next queued task inside this call could start (or even
    // finish) a sibling the same loop is about to cancel.
    this.queue.drainSoon();
    return true;
  }

  /** Runs one attempt of a record the queue just gave a slot. */
  start(rec: TaskRecord): void {
    rec.state = RUNNING;
    const attempt = ++rec.attempt;
    this.running++;
    if (attempt === 1) {
      const now = performance.now();
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
    this.queue.drain();
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
    this.queue.drain();
  }

  /** Backoff without a slot: the retry queues again at the task's priority when it ends. */
  private retryLater(rec: TaskRecord, delay: number): void {
    this.retries++;
    this.cancelChildren(rec); // they belonged to the failed attempt
    this.slots.release(rec, false);
    rec.state = BACKOFF;
    rec.backoffTimer = setLongTimeout(() => {
      rec.backoffTimer = undefined;
      this.queue.push(rec);
      this.queue.drain();
    }, delay);
    this.queue.drain();
  }

  private onDeadline(rec: TaskRecord, what: string): void {
    rec.timer = undefined;
    if (rec.state === DONE) return;
    const options = rec.errors !== undefined ? { cause: new RetryError(rec.future.task, rec.errors) } : undefined;
    const error = new TimeoutError(`task '${rec.future.task}' passed its deadline (${what})`, options);
    this.core.counters.timedOut++;
    this.abandon(rec, error);
    rec.future._setException(error);
    this.queue.drain();
  }

  /** Ends a task early (cancel, timeout): wherever it is, it stops holding anything. */
  private abandon(rec: TaskRecord, reason: Error): void {
    switch (rec.state) {
      case QUEUED:
        this.queue.unqueue(rec);
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
}
