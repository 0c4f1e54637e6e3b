// WorkerPool: the user's own JavaScript or TypeScript on worker_threads, behind the same
// Future and Executor API as NativePool and IoPool. This file is the facade; a task flows
// submit (here: options.ts checks, task-table.ts names it, a Job in the FIFO) ->
// dispatch.ts (once per tick: each job takes a slot in the least-loaded worker; one message
// per worker) -> runtime.ts in the worker (runs them, checking each one's stop word) -> one
// results message per slice -> onResults (here) -> its Future.
//
// Cancellation never kills a worker that cooperates: cancel() and deadlines (deadlines.ts)
// set the task's bit in shared memory and ctx.checkpoint() throws in the task. Only a task
// that ignores its bit for `killAfter` ms has its worker terminated and replaced
// (failures.ts, with crashes and the restart breaker); the jobs queued behind it in that
// worker had not started and go back to the front of the queue.
import { errorFromThrown, TimeoutError } from '../core/errors';
import type { Executor, MapOptions, ShutdownOptions } from '../core/executor';
import { Future } from '../core/future';
import type { FutureHandle } from '../core/future-handle';
import { linkSignal } from '../core/link-signal';
import { orderedMap } from '../core/map';
import { clearLongTimeout, setLongTimeout } from '../core/timers';
import { checkItems, PoolCore } from '../core/pool-core';
import { checkShutdownOptions, checkSubmitOptions, describe, NO_ARGS } from '../core/validate';
import type { WorkerTask, WorkerTaskContext } from './context';
import { Deadlines } from './deadlines';
import { Dispatch } from './dispatch';
import { Failures } from './failures';
import { DISPATCHED, DONE, Job, QUEUED } from './job';
import { AnyTaskFn, ArgsOf, checkArgs, checkTransfer, checkWorkerPoolOptions, ResultOf, SUBMIT_KEYS, TaskHandle, TaskNames, WorkerPoolOptions, WorkerPoolStats, WorkerSubmitOptions } from './options';
import { CANCEL, CHUNK_PREFIX, DEADLINE, epochNow, Outcome, RESULT_FIELDS, STARTED, TaskKey, WorkerMessage } from './protocol';
import { TaskTable } from './task-table';
import { Thread } from './thread';

export type { WorkerTask, WorkerTaskContext };
export type { TaskHandle, TaskNames, WorkerPoolOptions, WorkerPoolStats, WorkerSubmitOptions };

export class WorkerPool<M = Record<string, AnyTaskFn>> implements Executor<TaskHandle<readonly unknown[], unknown> | WorkerTask<never[], unknown>> {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly idleTimeout: number;
  readonly killAfter: number;
  /** The task module as a URL, or undefined for a pool of self-contained functions. */
  readonly module: string | undefined;

  private readonly core: PoolCore;
  private readonly config: ReturnType<typeof checkWorkerPoolOptions>;
  private readonly dispatch: Dispatch;
  private readonly failures: Failures;
  private readonly deadlines: Deadlines;
  private nextThreadKey = 0;
  private live = 0; // Futures not yet settled
  private flushScheduled = false;
  private readonly tasks: TaskTable;

  constructor(options: WorkerPoolOptions = {}) {
    const config = checkWorkerPoolOptions(options);
    this.core = new PoolCore(options.name, 'worker-pool');
    this.config = config;
    this.minWorkers = config.minWorkers;
    this.maxWorkers = config.maxWorkers;
    this.idleTimeout = config.idleTimeout;
    this.killAfter = config.killAfter;
    this.module = config.module;
    this.tasks = new TaskTable(config.module);
    const settle = (job: Job, outcome: Outcome, value: unknown): void => this.settle(job, outcome, value);
    this.dispatch = new Dispatch({
      spawnIfRoom: () => (this.dispatch.liveThreads() < this.maxWorkers && this.failures.broken === undefined ? this.spawn() : undefined),
      settle,
    });
    const host = { dispatch: this.dispatch, name: this.core.name, settle, replace: () => this.replace() };
    this.failures = new Failures(host, this.killAfter, config.breakerCrashes, config.breakerWindowMs);
    this.deadlines = new Deadlines(this.core.name, this.dispatch.threads, (job) => this.failures.armKill(job));
    for (let i = 0; i < this.minWorkers; i++) this.spawn();
  }

  /** A typed handle on the module's export `name`; submit(pool.task('x'), args) is checked
   * against its signature. */
  task<K extends TaskNames<M>>(name: K): TaskHandle<ArgsOf<M[K]>, ResultOf<M[K]>> {
    this.tasks.checkExport(name, 'task');
    return Object.freeze({ name });
  }

  /** Runs the task in a worker: an export's handle, or a self-contained function (shipped by
   * its source: it may use globals and its arguments, nothing it closes over). */
  submit<A extends readonly unknown[], R>(task: TaskHandle<A, R> | WorkerTask<A, R>, args: A, options?: WorkerSubmitOptions): Future<Awaited<R>> {
    const { key, name, source } = this.tasks.resolve(task, 'submit');
    if (!Array.isArray(args)) throw new TypeError(`submit: args of task '${name}' must be an array, got ${describe(args)}`);
    checkArgs(name, args);
    return this.enqueue(key, name, source, args, options) as Future<Awaited<R>>;
  }

  /** submit() behind a promise, as every pool has it (a WorkerPool queue is unbounded, so it never waits). */
  submitWhenReady<A extends readonly unknown[], R>(task: TaskHandle<A, R> | WorkerTask<A, R>, args: A, options?: WorkerSubmitOptions): Promise<FutureHandle<Awaited<R>>> {
    return this.core.submitWhenReady(
      () => false,
      () => this.submit(task, args, options),
    );
  }

  /** Python's map: `task(ctx, item)` for each item, results in input order; `chunksize` items
   * travel and run as one task, at most `buffersize` are in flight. */
  map<T, R>(task: TaskHandle<[item: T], R> | WorkerTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncIterableIterator<Awaited<R>> {
    return this.#map(task, items, options, false) as AsyncIterableIterator<Awaited<R>>;
  }

  /** map, yielding each chunk's results as one array, in input order. */
  mapChunks<T, R>(task: TaskHandle<[item: T], R> | WorkerTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncIterableIterator<Awaited<R>[]> {
    return this.#map(task, items, options, true) as AsyncIterableIterator<Awaited<R>[]>;
  }

  #map<T, R>(task: TaskHandle<[item: T], R> | WorkerTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options: MapOptions | undefined, chunks: boolean): AsyncIterableIterator<unknown> {
    const { key, name, source } = this.tasks.resolve(task, chunks ? 'mapChunks' : 'map');
    checkItems(items, chunks ? 'mapChunks' : 'map');
    const chunkKey: TaskKey = typeof key === 'number' ? -key - 1 : CHUNK_PREFIX + key;
    const submitChunk = (chunk: unknown[][], timeout: number | undefined): Future<Awaited<R>[]> => {
      for (const itemArgs of chunk) checkArgs(name, itemArgs);
      return this.enqueue(chunkKey, name, source, [chunk], timeout === undefined ? undefined : { timeout }) as Future<Awaited<R>[]>;
    };
    return orderedMap<Awaited<R>>((item) => [item], submitChunk, items, options, this.maxWorkers, Infinity, chunks);
  }

  /**
   * Stops taking tasks (submit throws PoolShutdownError), as every pool: `cancelFutures`
   * cancels queued tasks, `cancelRunning` also sets running tasks' stop bits; with `wait`
   * (default) it resolves once every Future has settled. Then the workers end.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    const opts = checkShutdownOptions(options);
    this.core.beginShutdown();
    if (opts.cancelFutures || opts.cancelRunning) {
      const victims: Job[] = [...this.dispatch.queuedJobs()];
      for (const thread of this.dispatch.threads) {
        for (const job of thread.jobs) {
          if (job === undefined || job.state !== DISPATCHED) continue;
          if (job.started ? opts.cancelRunning : opts.cancelFutures) victims.push(job);
        }
      }
      for (const job of victims) job.future.cancel();
    }
    const idle = this.core.whenIdle(this.live).then(() => this.close());
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

  stats(): WorkerPoolStats {
    let active = 0;
    let waiting = 0;
    for (const thread of this.dispatch.threads) {
      for (const job of thread.jobs) {
        if (job === undefined || job.state !== DISPATCHED) continue;
        if (job.started) active++;
        else waiting++;
      }
    }
    return {
      ...this.core.commonStats(active, this.dispatch.queued + waiting),
      workers: this.dispatch.threads.length,
      killed: this.failures.killed,
      crashed: this.failures.crashed,
    };
  }

  // ---- submit ----

  private enqueue(key: TaskKey, name: string, source: string | undefined, args: readonly unknown[], options: WorkerSubmitOptions | undefined): Future<unknown> {
    const { timeout, runTimeout, signal } = checkSubmitOptions(options, SUBMIT_KEYS);
    const transfer = checkTransfer(options?.transfer);
    this.core.checkOpen();
    if (this.failures.broken !== undefined) throw this.failures.broken;
    if (signal?.aborted) return this.core.cancelledAtSubmit(name, signal);
    const now = performance.now();
    const deadlineAt = timeout === undefined || timeout === Infinity ? 0 : epochNow() + timeout;
    const job = new Job(this as WorkerPool<unknown>, key, args.length === 0 ? NO_ARGS : args, transfer, now, deadlineAt, runTimeout === undefined || runTimeout === Infinity ? 0 : runTimeout, source);
    const future = new Future<unknown>(name, job);
    job.future = future;
    this.live++;
    this.dispatch.push(job);
    if (deadlineAt !== 0 || runTimeout !== undefined) this.deadlines.start();
    if (deadlineAt !== 0) {
      job.timer = setLongTimeout(() => this.onMainDeadline(job), timeout!);
      // Not what keeps the process alive: the job's worker is ref'd while it holds the job.
      if (typeof (job.timer as NodeJS.Timeout).unref === 'function') (job.timer as NodeJS.Timeout).unref();
    }
    if (signal !== undefined) linkSignal(future, signal);
    this.scheduleFlush();
    return future;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.dispatch.flush();
    });
  }

  // ---- workers ----

  private spawn(): Thread {
    const thread = new Thread(this.nextThreadKey++, this.module ?? null, this.core.name, this.config.resourceLimits, this.config.asyncTasksPerWorker);
    this.dispatch.threads.push(thread);
    const worker = thread.worker;
    worker.on('message', (message: WorkerMessage) => {
      if ('results' in message) this.onResults(thread, message.results);
      else if ('ready' in message) this.onReady(thread, message.ready);
      else this.failures.onLoadError(this.module, message.loadError);
    });
    worker.on('error', (error) => {
      thread.crashCause = error;
    });
    worker.on('exit', (code) => this.failures.onExit(thread, code));
    // After the listeners: adding a 'message' listener refs the worker's port again. It is
    // ref'd only while it holds work (Thread.take/release): an idle pool lets the process exit.
    worker.unref();
    this.deadlines.connect(thread);
    return thread;
  }

  /** After a worker ended (crashed or killed): keep minWorkers and hand out the queue. */
  private replace(): void {
    if (this.core.shuttingDown && this.live === 0) return;
    const missing = this.dispatch.liveThreads() < this.minWorkers;
    if (!missing && this.dispatch.isEmpty) return;
    if (missing) this.spawn();
    this.dispatch.flush();
  }

  private onReady(thread: Thread, names: string[]): void {
    thread.ready = true;
    this.tasks.exportNames ??= new Set(names);
    this.armIdle(thread);
  }

  private armIdle(thread: Thread): void {
    if (thread.inflight > 0 || thread.exiting !== undefined || this.idleTimeout === Infinity) return;
    if (this.dispatch.liveThreads() <= this.minWorkers) return;
    if (thread.idleTimer !== undefined) clearTimeout(thread.idleTimer);
    thread.idleTimer = setTimeout(() => {
      thread.idleTimer = undefined;
      if (thread.inflight === 0 && this.dispatch.liveThreads() > this.minWorkers) thread.terminate('idle');
    }, this.idleTimeout);
    thread.idleTimer.unref();
  }

  // ---- results ----

  private onResults(thread: Thread, results: unknown[]): void {
    const now = performance.now();
    for (let i = 0; i < results.length; i += RESULT_FIELDS) {
      const job = thread.release(results[i] as number);
      if (job === undefined || job.state === DONE) continue;
      const runNs = results[i + 3] as number;
      this.core.recordTimes(Math.max(0, (now - job.submittedAt) * 1e6 - runNs), runNs);
      this.settle(job, results[i + 1] as Outcome, results[i + 2]);
    }
    if (!this.dispatch.isEmpty) this.dispatch.flush();
    if (thread.inflight === 0) this.armIdle(thread);
  }

  /** Settles the job's Future exactly once and counts the outcome. */
  private settle(job: Job, outcome: Outcome, value: unknown): void {
    if (job.state === DONE) return;
    job.state = DONE;
    clearLongTimeout(job.timer);
    clearLongTimeout(job.killTimer);
    const future = job.future;
    const counters = this.core.counters;
    if (future.cancelRequested || outcome === Outcome.Cancelled) {
      counters.cancelled++;
      future._setCancelled();
    } else if (outcome === Outcome.Ok) {
      counters.completed++;
      future._setResult(value);
    } else if (outcome === Outcome.TimedOut) {
      counters.timedOut++;
      future._setException(new TimeoutError(`task '${future.task}' passed its deadline`));
    } else {
      counters.failed++;
      future._setException(errorFromThrown(value, future.task));
    }
    if (--this.live === 0) this.core.notifyIdle();
  }

  // ---- cancel, deadlines ----

  /** @internal FutureOwner.cancel of a job. */
  _cancel(job: Job): boolean {
    if (job.state === DONE) return false;
    if (job.state === QUEUED) {
      this.dispatch.queued--;
      this.settle(job, Outcome.Cancelled, undefined); // unlinked from the FIFO by the next flush
      return true;
    }
    this.stop(job, CANCEL);
    return true;
  }

  /** Sets a stop bit of a dispatched job: one that has not started is done at once (its
   * worker will skip it); a running one has killAfter ms to notice. */
  private stop(job: Job, bit: number): void {
    const thread = job.thread!;
    const before = Atomics.or(thread.words, job.slot, bit);
    Atomics.notify(thread.words, job.slot);
    if (!(before & STARTED)) {
      this.settle(job, bit === CANCEL ? Outcome.Cancelled : Outcome.TimedOut, undefined);
    } else {
      this.failures.armKill(job);
    }
  }

  private onMainDeadline(job: Job): void {
    job.timer = undefined;
    if (job.state === QUEUED) {
      this.dispatch.queued--;
      this.settle(job, Outcome.TimedOut, undefined);
    } else if (job.state === DISPATCHED) {
      this.stop(job, DEADLINE); // the deadline thread has set it already unless this loop was early
    }
  }

  private close(): void {
    for (const thread of [...this.dispatch.threads]) thread.terminate('shutdown');
    this.deadlines.close();
  }
}
