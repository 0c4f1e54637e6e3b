// WorkerPool: the user's own JavaScript or TypeScript on worker_threads, behind the same
// Future and Executor API as NativePool and IoPool. A task flows
// submit (here: checks, a Job in the FIFO) -> flush (once per tick: each job takes a slot
// in the least-loaded worker; one message per worker per tick) -> runtime.ts in the
// worker (runs them in turn, checking each one's stop word) -> one results message per
// slice -> onResults (here) -> its Future.
//
// Cancellation never kills a worker that cooperates: cancel() and deadlines set the task's
// bit in shared memory and ctx.checkpoint() throws in the task. Only a task that ignores
// its bit for `killAfter` ms has its worker terminated and replaced; the jobs queued
// behind it in that worker had not started and go back to the front of the queue.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';

import { errorFromThrown, TimeoutError, WorkerCrashError } from '../core/errors';
import type { Executor, MapOptions, ShutdownOptions, SubmitOptions } from '../core/executor';
import { Future } from '../core/future';
import type { FutureHandle } from '../core/future-handle';
import { linkSignal } from '../core/link-signal';
import { orderedMap } from '../core/map';
import { checkItems, CommonStats, PoolCore } from '../core/pool-core';
import type { TypedTask } from '../core/task-types';
import { checkCount, checkOptions, checkShutdownOptions, checkSubmitOptions, checkTimeout, describe, NO_ARGS } from '../core/validate';
import type { WorkerTask, WorkerTaskContext } from './context';
import { DISPATCHED, DONE, Job, QUEUED } from './job';
import { CANCEL, CHUNK_PREFIX, DEADLINE, DeadlineConnect, DeadlineHits, epochNow, GEN_SHIFT, Outcome, RESULT_FIELDS, RunBatch, STARTED, TaskKey, WorkerMessage } from './protocol';
import { Thread, workerEntry } from './thread';

export type { WorkerTask, WorkerTaskContext };

export interface WorkerPoolOptions {
  /** Path or URL of an ESM or CommonJS module whose named function exports are the tasks.
   * Optional: without it the pool runs only self-contained functions. */
  module?: string | URL;
  /** Workers started at once and kept however idle. Default 1 (at most maxWorkers). */
  minWorkers?: number;
  /** Most workers, started on demand. Default os.availableParallelism(). */
  maxWorkers?: number;
  /** A worker beyond minWorkers idle this long (ms) is stopped. Default 10000; Infinity = never. */
  idleTimeout?: number;
  /** A task that ignores its stop bit this long (ms) after cancel or deadline has its worker
   * terminated and replaced. Default 1000; Infinity = never. */
  killAfter?: number;
  /** Passed to each Worker (heap limits: a task over them crashes only its worker). */
  resourceLimits?: ResourceLimits;
  /** Worker thread names are `${name}-${n}`. Default 'worker-pool'. */
  name?: string;
}

export interface WorkerSubmitOptions extends SubmitOptions {
  /** ArrayBuffers moved to the worker instead of copied (they are detached here). */
  transfer?: ArrayBuffer[];
}

export interface WorkerPoolStats extends CommonStats {
  /** Workers alive now. */
  workers: number;
  /** Workers terminated because a task ignored its stop bit for killAfter ms. */
  killed: number;
  /** Workers that died on their own (uncaught exception, process.exit, out of memory). */
  crashed: number;
}

/** A typed handle on one export of the task module (pool.task('name')). */
export interface TaskHandle<A extends readonly unknown[], R> extends TypedTask<A, R> {
  readonly name: string;
}

type AnyTaskFn = (ctx: WorkerTaskContext, ...args: never[]) => unknown;
/** The names of a module's exports that are tasks. */
export type TaskNames<M> = { [K in keyof M]: M[K] extends AnyTaskFn ? K : never }[keyof M] & string;
type ArgsOf<F> = F extends (ctx: WorkerTaskContext, ...args: infer A) => unknown ? A : never;
type ResultOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

const DEFAULT_KILL_AFTER = 1000;
const DEFAULT_IDLE_TIMEOUT = 10_000;
// The restart breaker: this many crashes within the window and the pool gives up.
const BREAKER_CRASHES = 5;
const BREAKER_WINDOW_MS = 10_000;

const DEADLINE_THREAD = path.join(__dirname, `deadline-thread${path.extname(__filename)}`);

export class WorkerPool<M = Record<string, AnyTaskFn>> implements Executor<TaskHandle<readonly unknown[], unknown> | WorkerTask<never[], unknown>> {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly idleTimeout: number;
  readonly killAfter: number;
  /** The task module as a URL, or undefined for a pool of self-contained functions. */
  readonly module: string | undefined;

  private readonly core: PoolCore;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly threads: Thread[] = [];
  private nextThreadKey = 0;
  private queueHead: Job | undefined = undefined;
  private queueTail: Job | undefined = undefined;
  private queued = 0;
  private live = 0; // Futures not yet settled
  private flushScheduled = false;
  private exportNames: Set<string> | undefined = undefined;
  private readonly functionIds = new Map<string, number>();
  private readonly functionSources: string[] = [];
  private deadlineThread: Worker | undefined = undefined;
  private broken: WorkerCrashError | undefined = undefined;
  private crashTimes: number[] = [];
  private killed = 0;
  private crashed = 0;

  constructor(options: WorkerPoolOptions = {}) {
    checkOptions(options, ['module', 'minWorkers', 'maxWorkers', 'idleTimeout', 'killAfter', 'resourceLimits', 'name'], 'WorkerPool');
    this.core = new PoolCore(options.name, 'worker-pool');
    this.maxWorkers = checkCount(options.maxWorkers, 'maxWorkers', 1, os.availableParallelism());
    if (this.maxWorkers === Infinity) throw new RangeError('maxWorkers must be finite');
    this.minWorkers = checkCount(options.minWorkers, 'minWorkers', 0, Math.min(1, this.maxWorkers));
    if (this.minWorkers > this.maxWorkers) {
      throw new RangeError(`minWorkers (${this.minWorkers}) must be <= maxWorkers (${this.maxWorkers})`);
    }
    this.idleTimeout = checkTimeout(options.idleTimeout, 'idleTimeout') ?? DEFAULT_IDLE_TIMEOUT;
    this.killAfter = checkTimeout(options.killAfter, 'killAfter') ?? DEFAULT_KILL_AFTER;
    if (options.resourceLimits !== undefined && (typeof options.resourceLimits !== 'object' || options.resourceLimits === null)) {
      throw new TypeError(`resourceLimits must be an object, got ${describe(options.resourceLimits)}`);
    }
    this.resourceLimits = options.resourceLimits;
    this.module = options.module === undefined ? undefined : resolveModule(options.module);
    for (let i = 0; i < this.minWorkers; i++) this.spawn();
  }

  /** A typed handle on the module's export `name`; submit(pool.task('x'), args) is checked
   * against its signature. */
  task<K extends TaskNames<M>>(name: K): TaskHandle<ArgsOf<M[K]>, ResultOf<M[K]>> {
    this.checkExport(name, 'task');
    return Object.freeze({ name });
  }

  /** Runs the task in a worker: an export's handle, or a self-contained function (shipped by
   * its source: it may use globals and its arguments, nothing it closes over). */
  submit<A extends readonly unknown[], R>(task: TaskHandle<A, R> | WorkerTask<A, R>, args: A, options?: WorkerSubmitOptions): Future<Awaited<R>> {
    const { key, name, source } = this.resolveTask(task, 'submit');
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
    const { key, name, source } = this.resolveTask(task, 'map');
    checkItems(items);
    const chunkKey: TaskKey = typeof key === 'number' ? -key - 1 : CHUNK_PREFIX + key;
    const submitChunk = (chunk: unknown[][], timeout: number | undefined): Future<Awaited<R>[]> => {
      for (const itemArgs of chunk) checkArgs(name, itemArgs);
      return this.enqueue(chunkKey, name, source, [chunk], timeout === undefined ? undefined : { timeout }) as Future<Awaited<R>[]>;
    };
    return orderedMap<Awaited<R>>((item) => [item], submitChunk, items, options, this.maxWorkers);
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
      const victims: Job[] = [];
      for (let job = this.queueHead; job !== undefined; job = job.next) if (job.state === QUEUED) victims.push(job);
      for (const thread of this.threads) {
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
    for (const thread of this.threads) {
      for (const job of thread.jobs) {
        if (job === undefined || job.state !== DISPATCHED) continue;
        if (job.started) active++;
        else waiting++;
      }
    }
    return {
      ...this.core.commonStats(active, this.queued + waiting),
      workers: this.threads.length,
      killed: this.killed,
      crashed: this.crashed,
    };
  }

  // ---- submit ----

  private resolveTask(task: unknown, caller: string): { key: TaskKey; name: string; source: string | undefined } {
    if (typeof task === 'function') {
      const source = Function.prototype.toString.call(task);
      if (source.endsWith('{ [native code] }')) {
        throw new TypeError(`${caller}: '${task.name || 'function'}' is a native or bound function; WorkerPool ships a function by its source, so pass a plain function or arrow`);
      }
      let id = this.functionIds.get(source);
      if (id === undefined) {
        id = this.functionSources.length;
        this.functionSources.push(source);
        this.functionIds.set(source, id);
      }
      return { key: id, name: task.name || 'anonymous function', source };
    }
    if (task !== null && typeof task === 'object' && typeof (task as { name?: unknown }).name === 'string') {
      const name = (task as TaskHandle<never, unknown>).name;
      this.checkExport(name, caller);
      return { key: name, name, source: undefined };
    }
    throw new TypeError(`${caller}: task must be a handle from pool.task('name') or a function, got ${describe(task)}`);
  }

  private checkExport(name: unknown, caller: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${caller}: the task name must be a non-empty string, got ${describe(name)}`);
    if (this.module === undefined) {
      throw new TypeError(`${caller}: task '${name}': this pool has no module (WorkerPool({ module })); submit a function instead`);
    }
    // Known once the first worker has loaded the module; until then a missing export
    // rejects the Future from the worker, with the same message.
    if (this.exportNames !== undefined && !this.exportNames.has(name)) {
      throw new TypeError(`${caller}: the task module ${this.module} has no function export '${name}' (it exports: ${[...this.exportNames].join(', ') || 'nothing'})`);
    }
  }

  private enqueue(key: TaskKey, name: string, source: string | undefined, args: readonly unknown[], options: WorkerSubmitOptions | undefined): Future<unknown> {
    const { timeout, runTimeout, signal } = checkSubmitOptions(options, SUBMIT_KEYS);
    const transfer = checkTransfer(options?.transfer);
    this.core.checkOpen();
    if (this.broken !== undefined) throw this.broken;
    if (signal?.aborted) return this.core.cancelledAtSubmit(name, signal);
    const now = performance.now();
    const deadlineAt = timeout === undefined || timeout === Infinity ? 0 : epochNow() + timeout;
    const job = new Job(this as WorkerPool<unknown>, key, args.length === 0 ? NO_ARGS : args, transfer, now, deadlineAt, runTimeout === undefined || runTimeout === Infinity ? 0 : runTimeout, source);
    const future = new Future<unknown>(name, job);
    job.future = future;
    this.live++;
    if (this.queueTail === undefined) this.queueHead = job;
    else this.queueTail.next = job;
    this.queueTail = job;
    this.queued++;
    if (deadlineAt !== 0 || runTimeout !== undefined) this.startDeadlineThread();
    if (deadlineAt !== 0) {
      job.timer = setTimeout(() => this.onMainDeadline(job, timeout!), timeout);
      job.timer.unref();
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
      this.flush();
    });
  }

  // ---- dispatch ----

  /** Hands every queued job that finds a slot to a worker: one message per worker. */
  private flush(): void {
    while (this.queueHead !== undefined) {
      const job = this.queueHead;
      if (job.state !== QUEUED) {
        this.popQueue();
        continue;
      }
      const thread = this.pickThread();
      if (thread === undefined) break;
      this.popQueue();
      this.queued--;
      this.dispatch(job, thread);
    }
    for (const thread of this.threads) if (thread.batch.length > 0) this.send(thread);
  }

  private popQueue(): void {
    const job = this.queueHead!;
    this.queueHead = job.next;
    job.next = undefined;
    if (this.queueHead === undefined) this.queueTail = undefined;
  }

  private dispatch(job: Job, thread: Thread): void {
    job.state = DISPATCHED;
    job.thread = thread;
    job.slot = thread.take(job);
    if (thread.idleTimer !== undefined) {
      clearTimeout(thread.idleTimer);
      thread.idleTimer = undefined;
    }
    if (typeof job.key === 'number') {
      const id = job.key < 0 ? -job.key - 1 : job.key;
      if (!thread.knownFunctions.has(id)) {
        thread.knownFunctions.add(id);
        (thread.defs ??= []).push(id, this.functionSources[id]!);
      }
    }
    thread.batch.push(job.slot, job.key, job.args, job.deadlineAt, job.runTimeout);
    if (job.transfer !== undefined) thread.transfer.push(...job.transfer);
  }

  /** The least-loaded worker with a free slot; a new one if every worker is busy and there is room. */
  private pickThread(): Thread | undefined {
    let best: Thread | undefined;
    for (const thread of this.threads) {
      if (thread.hasRoom && (best === undefined || thread.inflight < best.inflight)) best = thread;
    }
    if ((best === undefined || best.inflight > 0) && this.liveThreads() < this.maxWorkers && this.broken === undefined) {
      return this.spawn();
    }
    return best;
  }

  private liveThreads(): number {
    let n = 0;
    for (const thread of this.threads) if (thread.exiting === undefined) n++;
    return n;
  }

  private send(thread: Thread): void {
    const message: RunBatch = { tasks: thread.batch, defs: thread.defs };
    const transfer = thread.transfer;
    thread.batch = [];
    thread.transfer = [];
    thread.defs = undefined;
    try {
      thread.worker.postMessage(message, transfer.length > 0 ? transfer : undefined);
    } catch (error) {
      this.sendEach(thread, message, error);
    }
  }

  // Some argument cannot be cloned: reject the jobs whose arguments cannot travel, naming
  // the task and the argument, and send the others.
  private sendEach(thread: Thread, message: RunBatch, batchError: unknown): void {
    const good: unknown[] = [];
    const goodTransfer: ArrayBuffer[] = [];
    for (let i = 0; i < message.tasks.length; i += 5) {
      const slot = message.tasks[i] as number;
      const job = thread.jobs[slot]!;
      const bad = findUncloneable(job.args, job.transfer);
      if (bad === undefined && !(batchError instanceof Error && /transfer/i.test(batchError.message) && job.transfer !== undefined)) {
        for (let f = 0; f < 5; f++) good.push(message.tasks[i + f]);
        if (job.transfer !== undefined) goodTransfer.push(...job.transfer);
        continue;
      }
      thread.release(slot);
      const what = bad === undefined ? `its transfer list cannot be transferred (${(batchError as Error).message})` : `argument ${bad.index} cannot be sent to a worker: ${bad.message}`;
      this.settle(job, Outcome.Error, new TypeError(`task '${job.future.task}': ${what}`), 0);
    }
    if (good.length === 0 && message.defs === undefined) return;
    thread.worker.postMessage({ tasks: good, defs: message.defs } satisfies RunBatch, goodTransfer.length > 0 ? goodTransfer : undefined);
  }

  // ---- workers ----

  private spawn(): Thread {
    const thread = new Thread(this.nextThreadKey++, this.module ?? null, this.core.name, this.resourceLimits);
    this.threads.push(thread);
    const worker = thread.worker;
    worker.on('message', (message: WorkerMessage) => {
      if ('results' in message) this.onResults(thread, message.results);
      else if ('ready' in message) this.onReady(thread, message.ready);
      else this.onLoadError(message.loadError);
    });
    worker.on('error', (error) => {
      thread.crashCause = error;
    });
    worker.on('exit', (code) => this.onExit(thread, code));
    // After the listeners: adding a 'message' listener refs the worker's port again. It is
    // ref'd only while it holds work (Thread.take/release): an idle pool lets the process exit.
    worker.unref();
    if (this.deadlineThread !== undefined) this.connectDeadlines(thread);
    return thread;
  }

  private onReady(thread: Thread, names: string[]): void {
    thread.ready = true;
    this.exportNames ??= new Set(names);
    this.armIdle(thread);
  }

  private onLoadError(error: unknown): void {
    if (this.broken !== undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    this.breakPool(new WorkerCrashError(`the task module ${this.module} failed to load in a worker: ${message}`, { cause: error }));
  }

  /** Gives up: every queued and held Future rejects with `error`, as does every later submit. */
  private breakPool(error: WorkerCrashError): void {
    this.broken = error;
    for (let job = this.queueHead; job !== undefined; job = job.next) {
      if (job.state === QUEUED) {
        this.queued--;
        this.settle(job, Outcome.Error, error, 0);
      }
    }
    this.queueHead = this.queueTail = undefined;
    for (const thread of this.threads) {
      for (let slot = 0; slot < thread.jobs.length; slot++) {
        const job = thread.jobs[slot];
        if (job !== undefined) {
          thread.release(slot);
          if (job.state !== DONE) this.settle(job, Outcome.Error, error, 0);
        }
      }
      thread.terminate('broken');
    }
  }

  private onExit(thread: Thread, code: number): void {
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    const reason = thread.exiting;
    if (reason === 'shutdown' || reason === 'idle' || reason === 'broken') return;
    if (reason !== 'killed') this.crashed++;
    const cause = thread.crashCause ?? new Error(`the worker exited with code ${code}`);
    const requeue: Job[] = [];
    for (let slot = 0; slot < thread.jobs.length; slot++) {
      const job = thread.jobs[slot];
      if (job === undefined) continue;
      const bits = Atomics.load(thread.words, slot);
      thread.release(slot);
      if (job.state === DONE) continue;
      if (!(bits & STARTED)) {
        requeue.push(job); // it never ran: it loses nothing by running elsewhere
      } else if (bits & CANCEL) {
        this.settle(job, Outcome.Cancelled, undefined, 0);
      } else if (bits & DEADLINE) {
        this.settle(job, Outcome.TimedOut, undefined, 0);
      } else {
        const message = cause instanceof Error ? cause.message : String(cause);
        this.settle(job, Outcome.Error, new WorkerCrashError(`task '${job.future.task}': its worker died: ${message}`, { cause }), 0);
      }
    }
    for (let i = requeue.length - 1; i >= 0; i--) {
      const job = requeue[i]!;
      job.state = QUEUED;
      job.thread = undefined;
      job.slot = -1;
      job.next = this.queueHead;
      this.queueHead = job;
      if (this.queueTail === undefined) this.queueTail = job;
      this.queued++;
    }
    if (reason !== 'killed') {
      const now = performance.now();
      this.crashTimes = this.crashTimes.filter((t) => now - t < BREAKER_WINDOW_MS);
      this.crashTimes.push(now);
      if (this.crashTimes.length >= BREAKER_CRASHES) {
        const message = cause instanceof Error ? cause.message : String(cause);
        this.breakPool(new WorkerCrashError(`pool '${this.name}': ${this.crashTimes.length} workers crashed within ${BREAKER_WINDOW_MS / 1000} s, so it stopped restarting them; last cause: ${message}`, { cause }));
        return;
      }
    }
    if (this.core.shuttingDown && this.live === 0) return;
    if (this.liveThreads() < this.minWorkers || this.queueHead !== undefined) {
      if (this.liveThreads() < this.minWorkers) this.spawn();
      this.flush();
    }
  }

  private armIdle(thread: Thread): void {
    if (thread.inflight > 0 || thread.exiting !== undefined || this.idleTimeout === Infinity) return;
    if (this.liveThreads() <= this.minWorkers) return;
    if (thread.idleTimer !== undefined) clearTimeout(thread.idleTimer);
    thread.idleTimer = setTimeout(() => {
      thread.idleTimer = undefined;
      if (thread.inflight === 0 && this.liveThreads() > this.minWorkers) thread.terminate('idle');
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
      this.settle(job, results[i + 1] as Outcome, results[i + 2], runNs);
    }
    if (this.queueHead !== undefined) this.flush();
    if (thread.inflight === 0) this.armIdle(thread);
  }

  /** Settles the job's Future exactly once and counts the outcome. */
  private settle(job: Job, outcome: Outcome, value: unknown, _runNs: number): void {
    if (job.state === DONE) return;
    job.state = DONE;
    if (job.timer !== undefined) clearTimeout(job.timer);
    if (job.killTimer !== undefined) clearTimeout(job.killTimer);
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

  // ---- cancel, deadlines, kill ----

  /** @internal FutureOwner.cancel of a job. */
  _cancel(job: Job): boolean {
    if (job.state === DONE) return false;
    if (job.state === QUEUED) {
      this.queued--;
      this.settle(job, Outcome.Cancelled, undefined, 0); // unlinked from the FIFO by the next flush
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
      this.settle(job, bit === CANCEL ? Outcome.Cancelled : Outcome.TimedOut, undefined, 0);
    } else {
      this.armKill(job);
    }
  }

  private armKill(job: Job): void {
    if (this.killAfter === Infinity || job.killTimer !== undefined || job.state === DONE) return;
    job.killTimer = setTimeout(() => {
      const thread = job.thread;
      if (job.state === DONE || thread === undefined || thread.jobs[job.slot] !== job) return;
      this.killed++;
      thread.terminate('killed'); // onExit settles the job and requeues what had not started
    }, this.killAfter);
  }

  private onMainDeadline(job: Job, timeout: number): void {
    job.timer = undefined;
    if (job.state === QUEUED) {
      this.queued--;
      this.settle(job, Outcome.TimedOut, undefined, 0);
      void timeout;
    } else if (job.state === DISPATCHED) {
      this.stop(job, DEADLINE); // the deadline thread has set it already unless this loop was early
    }
  }

  private startDeadlineThread(): void {
    if (this.deadlineThread !== undefined) return;
    const entry = workerEntry(DEADLINE_THREAD);
    const thread = new Worker(entry.file, { eval: entry.eval, name: `${this.core.name}-deadlines` });
    thread.on('message', (message: DeadlineHits) => {
      const hits = message.hits;
      for (let i = 0; i < hits.length; i += 3) {
        const owner = this.threads.find((t) => t.key === hits[i]);
        const slot = hits[i + 1]!;
        // The slot may hold the next task by now: only the generation that hit is the one late.
        if (owner === undefined || Atomics.load(owner.words, slot) >>> GEN_SHIFT !== hits[i + 2]) continue;
        const job = owner.jobs[slot];
        if (job !== undefined && job.state === DISPATCHED) this.armKill(job);
      }
    });
    thread.unref(); // after on('message'), which refs it again
    this.deadlineThread = thread;
    for (const worker of this.threads) this.connectDeadlines(worker);
  }

  private connectDeadlines(thread: Thread): void {
    if (thread.hasDeadlinePort || this.deadlineThread === undefined) return;
    thread.hasDeadlinePort = true;
    const { port1, port2 } = new MessageChannel();
    this.deadlineThread.postMessage({ port: port1, words: thread.words.buffer as SharedArrayBuffer, key: thread.key } satisfies DeadlineConnect, [port1]);
    thread.worker.postMessage({ tasks: [], deadlines: port2 } satisfies RunBatch, [port2]);
  }

  private close(): void {
    for (const thread of [...this.threads]) thread.terminate('shutdown');
    void this.deadlineThread?.terminate();
    this.deadlineThread = undefined;
  }
}

const SUBMIT_KEYS: readonly string[] = ['timeout', 'runTimeout', 'signal', 'transfer'];

function resolveModule(module: unknown): string {
  if (module instanceof URL) return checkFileUrl(module.href);
  if (typeof module !== 'string' || module.length === 0) {
    throw new TypeError(`module must be a path or URL of the task module, got ${describe(module)}`);
  }
  if (module.startsWith('file:')) return checkFileUrl(module);
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module; // data:, node:, ...
  let file: string;
  if (path.isAbsolute(module) || module.startsWith('.')) {
    file = path.resolve(module);
  } else {
    try {
      file = require.resolve(module, { paths: [process.cwd()] });
    } catch {
      throw new TypeError(`module: cannot find the task module '${module}' (from ${process.cwd()})`);
    }
  }
  if (!fs.existsSync(file)) throw new TypeError(`module: cannot find the task module ${file}`);
  return pathToFileURL(file).href;
}

function checkFileUrl(href: string): string {
  if (href.startsWith('file:') && !fs.existsSync(new URL(href))) throw new TypeError(`module: cannot find the task module ${href}`);
  return href;
}

function checkTransfer(transfer: unknown): ArrayBuffer[] | undefined {
  if (transfer === undefined) return undefined;
  if (!Array.isArray(transfer) || !transfer.every((b) => b instanceof ArrayBuffer)) {
    throw new TypeError(`options.transfer must be an array of ArrayBuffers, got ${describe(transfer)}`);
  }
  return transfer.length === 0 ? undefined : transfer;
}

/** What can be known at once about arguments that cannot travel: functions and symbols. */
function checkArgs(task: string, args: readonly unknown[]): void {
  for (let i = 0; i < args.length; i++) {
    const type = typeof args[i];
    if (type === 'function' || type === 'symbol') {
      throw new TypeError(`task '${task}': argument ${i} is a ${type}, which cannot be sent to a worker`);
    }
  }
}

function findUncloneable(args: readonly unknown[], transfer: readonly ArrayBuffer[] | undefined): { index: number; message: string } | undefined {
  for (let i = 0; i < args.length; i++) {
    try {
      structuredClone(args[i], transfer === undefined ? undefined : { transfer: [] });
    } catch (error) {
      return { index: i, message: (error as Error).message };
    }
  }
  return undefined;
}
