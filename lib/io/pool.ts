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

import { PoolShutdownError } from '../core/errors';
import type { Executor, MapOptions, ShutdownOptions } from '../core/executor';
import type { Future } from '../core/future';
import type { FutureHandle } from '../core/future-handle';
import { orderedMap } from '../core/map';
import { checkItems, checkPoolName } from '../core/pool-core';
import { checkCount, checkOptions, checkShutdownOptions, describe } from '../core/validate';
import { checkTask, copyArgs, IoEngine, taskName } from './engine';
import { DEFAULT_IO_CONCURRENCY, IoOnFull, IoPoolOptions, IoPoolStats, IoSubmitOptions } from './options';
import { checkRateLimit } from './rate-limit';
import { checkRetryOptions } from './retry';
import { AnyIoTask, IoTask, RUNNING, TaskContext } from './task-record';

export { DEFAULT_IO_CONCURRENCY };
export type { IoOnFull, IoPoolOptions, IoPoolStats, IoSubmitOptions, IoTask, TaskContext };

// The pool is the public facade: it checks what the user passes and hands the task to its
// private engine (engine.ts).
export class IoPool implements Executor<AnyIoTask> {
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  readonly onFull: IoOnFull;

  readonly #engine: IoEngine;

  constructor(options: IoPoolOptions = {}) {
    checkOptions(options, ['maxConcurrency', 'maxQueue', 'onFull', 'rateLimit', 'retry', 'name'], 'IoPool');
    const name = checkPoolName(options.name, 'io-pool');
    this.maxConcurrency = checkCount(options.maxConcurrency, 'maxConcurrency', 1, DEFAULT_IO_CONCURRENCY);
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
    const rate = checkRateLimit(options.rateLimit);
    const defaultRetry = checkRetryOptions(options.retry, 'retry');
    this.#engine = new IoEngine({ name, maxConcurrency: this.maxConcurrency, maxQueue: this.maxQueue, onFull, rate, defaultRetry });
  }

  /** Runs `task(ctx, ...args)` when a slot is free (at once if one is) and returns its Future. */
  submit<A extends readonly unknown[], R>(task: IoTask<A, R>, args: A, options?: IoSubmitOptions): Future<R> {
    return this.#engine.enqueue(task as unknown as AnyIoTask, args, options, undefined, 'submit') as Future<R>;
  }

  /** Waits for room in a bounded queue, then submits. Resolves with the Future. */
  submitWhenReady<A extends readonly unknown[], R>(task: IoTask<A, R>, args: A, options?: IoSubmitOptions): Promise<FutureHandle<R>> {
    // Checked now, once: bad arguments throw here, as NativePool's do.
    const engine = this.#engine;
    const checked = engine.checkSubmission(task as unknown as AnyIoTask, args, options, 'submitWhenReady');
    const values = copyArgs(args);
    return engine.core.submitWhenReady(
      () => engine.queue.full,
      () => engine.enqueueChecked(task as unknown as AnyIoTask, values, checked, undefined) as Future<R>,
      checked.signal,
    );
  }

  /**
   * Python's map: `task(ctx, item)` for each item, results in input order. `buffersize`
   * bounds the items in flight; `chunksize` items run one after another in one slot
   * (no gain for IO; it exists for the Executor contract).
   */
  map<T, R>(task: IoTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncIterableIterator<R> {
    return this.#map(task, items, options, false) as AsyncIterableIterator<R>;
  }

  /** map, yielding each chunk's results as one array, in input order. */
  mapChunks<T, R>(task: IoTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncIterableIterator<R[]> {
    return this.#map(task, items, options, true) as AsyncIterableIterator<R[]>;
  }

  #map<T, R>(task: IoTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options: MapOptions | undefined, chunks: boolean): AsyncIterableIterator<unknown> {
    checkTask(task, chunks ? 'mapChunks' : 'map');
    checkItems(items, chunks ? 'mapChunks' : 'map');
    const fn = task as unknown as (ctx: TaskContext, item: unknown) => R | PromiseLike<R>;
    const name = taskName(task);
    const engine = this.#engine;
    const submitChunk = (chunk: unknown[][], timeout: number | undefined): Future<R[]> => {
      const runChunk = async (ctx: TaskContext): Promise<R[]> => {
        const out: R[] = [];
        for (const args of chunk) {
          // A cancelled chunk (break, error, abort, timeout of the map) starts no more items.
          if (ctx.signal.aborted) break;
          out.push(await fn(ctx, args[0]));
        }
        return out;
      };
      return engine.enqueue(runChunk as AnyIoTask, [], { timeout }, undefined, 'map', name) as Future<R[]>;
    };
    return orderedMap((item) => [item], submitChunk, items, options, this.maxConcurrency, Infinity, chunks);
  }

  /** Stops starting queued tasks (running ones go on) until resume(). */
  pause(): void {
    if (this.#engine.core.shuttingDown) {
      throw new PoolShutdownError(`cannot pause pool '${this.name}': it was shut down, and its queued tasks must still run`);
    }
    this.#engine.queue.pause();
  }

  resume(): void {
    this.#engine.queue.resume();
  }

  get isPaused(): boolean {
    return this.#engine.queue.paused;
  }

  /** Resolves when nothing is queued, running or waiting to retry. */
  onIdle(): Promise<void> {
    const engine = this.#engine;
    return engine.core.whenIdle(engine.attempts.live);
  }

  /** Resolves when the queue is empty (every task has started; some may still run). */
  onEmpty(): Promise<void> {
    return this.#engine.queue.onEmpty();
  }

  /**
   * Stops taking tasks; afterwards submit throws PoolShutdownError. `cancelFutures` cancels
   * queued tasks and those waiting to retry; `cancelRunning` also aborts running tasks'
   * signals (their Futures end CANCELLED). With `wait` (default) it resolves once every
   * Future has settled (abandoned runaway attempts are not waited for).
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    const opts = checkShutdownOptions(options);
    const engine = this.#engine;
    engine.core.beginShutdown();
    if (opts.cancelFutures || opts.cancelRunning) {
      const victims = engine.attempts.liveRecords((r) => (r.state === RUNNING ? opts.cancelRunning : opts.cancelFutures));
      for (const r of victims) r.future.cancel();
    }
    // A paused pool would never start its queued tasks, and shutdown would never end: as
    // Python's shutdown runs the pending work, the pause ends here (cancelFutures cancels
    // that work instead, above).
    engine.queue.resume();
    const idle = this.onIdle();
    return opts.wait ? idle : Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  get isShutdown(): boolean {
    return this.#engine.core.shuttingDown;
  }

  get name(): string {
    return this.#engine.core.name;
  }

  stats(): IoPoolStats {
    const { core, attempts, queue } = this.#engine;
    return {
      ...core.commonStats(attempts.running, queue.queued),
      maxConcurrency: this.maxConcurrency,
      retries: attempts.retries,
      runaway: attempts.runaway,
      paused: queue.paused,
    };
  }
}
