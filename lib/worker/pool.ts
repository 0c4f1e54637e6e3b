// WorkerPool: the user's own JavaScript (or TypeScript) on worker_threads, behind the
// same Executor API as NativePool and IoPool. A task flows submit (here, a Job) -> the
// pool's queue -> a batch of up to WORKER_BATCH jobs in one message to an idle worker
// (workers.ts) -> runtime.ts runs them in order, each with a stop word in shared memory
// -> outcomes come back in batches -> onOutcomes settles the Futures.
//
// Cancelling a running task sets its stop word; the task's next checkpoint() throws and
// the same worker takes its next task. Only a task that ignores its stop word for
// `killAfter` ms costs its worker: it is terminated and replaced, that task's Future ends
// CANCELLED or TimeoutError, and the other jobs it held go back to the queue (a job that
// had finished but not yet reported back runs again: at-least-once in that one case).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';

import { TimeoutError, WorkerCrashError } from '../core/errors';
import type { Executor, MapOptions, ShutdownOptions, SubmitOptions } from '../core/executor';
import { Future, FutureOwner } from '../core/future';
import { linkSignal } from '../core/link-signal';
import { setLongTimeout } from '../core/long-timer';
import { orderedMap } from '../core/map';
import { checkItems, CommonStats, PoolCore } from '../core/pool-core';
import { checkCount, checkOptions, checkShutdownOptions, checkSubmitOptions, checkTimeout, describe } from '../core/validate';
import { DONE, Job, QUEUED, SENT } from './job';
import { FromWorker, STOP_CANCEL, STOP_DEADLINE, STOP_RECALL, TaskMessage, TaskOutcome, WORKER_BATCH } from './protocol';
import type { WorkerTaskContext } from './runtime';
import { WorkerHandle } from './workers';

export type { WorkerTaskContext };

/** A WorkerPool task: a (sync or async) function of the context and the arguments. */
export type WorkerTask<A extends readonly unknown[] = never[], R = unknown> = (ctx: WorkerTaskContext, ...args: A) => R | PromiseLike<R>;

/** The names of a task module's exports that are tasks. */
export type TaskNames<M> = { [K in keyof M]: M[K] extends (ctx: WorkerTaskContext, ...args: never[]) => unknown ? K : never }[keyof M] & string;
type ArgsOf<F> = F extends (ctx: WorkerTaskContext, ...args: infer A) => unknown ? A : never;
type ResultOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

/** A typed reference to a task module's export, from `pool.task(name)`. */
export class TaskHandle<A extends readonly unknown[] = readonly unknown[], R = unknown> {
  declare private readonly _types: [A, R];
  /** @internal */
  constructor(
    readonly name: string,
    readonly pool: WorkerPool<unknown>,
  ) {}
}

export interface WorkerPoolOptions {
  /** Path or file: URL of an ESM or CommonJS module whose named exports are the tasks. */
  module?: string | URL;
  /** Workers started at once and kept when idle. Default 1. */
  minWorkers?: number;
  /** Most workers. Default os.availableParallelism(). */
  maxWorkers?: number;
  /** A worker above minWorkers idle this long (ms) is ended. Default 10000. */
  idleTimeout?: number;
  /** Grace (ms) for a cancelled or timed-out task to reach a checkpoint before its worker
   * is terminated and replaced. Default 1000; Infinity never kills. */
  killAfter?: number;
  /** Passed to each Worker (maxOldGenerationSizeMb, ...): a worker over it crashes alone. */
  resourceLimits?: ResourceLimits;
  /** Thread names are `${name}-${index}`. Default 'worker-pool'. */
  name?: string;
}

export interface WorkerSubmitOptions extends SubmitOptions {
  /** ArrayBuffers among the arguments to move to the worker instead of copying them. */
  transfer?: ArrayBuffer[];
}

export interface WorkerPoolStats extends CommonStats {
  /** Live workers now. */
  workers: number;
  /** Workers terminated because a task ignored its stop word for killAfter ms. */
  killed: number;
  /** Workers that died on their own (uncaught exception, process.exit, out of memory). */
  crashed: number;
}

const SUBMIT_KEYS: readonly string[] = ['timeout', 'runTimeout', 'signal', 'transfer'];
// The breaker: this many crashes within BREAKER_WINDOW_MS stop the pool from respawning.
const BREAKER_CRASHES = 5;
const BREAKER_WINDOW_MS = 10_000;
// Tasks running longer than this on average are sent one per worker at a time.
const LONG_TASK_NS = 200_000;
// Tasks waiting in a busy worker's batch are taken back for an idle one above this average.
const RECALL_TASK_NS = 20_000;

const now = (): number => performance.timeOrigin + performance.now();

type AnyTask = TaskHandle<readonly unknown[], unknown> | WorkerTask<never[], unknown>;

export class WorkerPool<M = Record<string, WorkerTask>> implements Executor<AnyTask>, FutureOwner {
  readonly maxWorkers: number;
  readonly minWorkers: number;
  readonly idleTimeout: number;
  readonly killAfter: number;
  readonly module: string | undefined;

  private readonly core: PoolCore;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly stop: SharedArrayBuffer;
  private readonly startsBuffer: SharedArrayBuffer;
  private readonly words: Int32Array; // [stop, state] per slot
  private readonly starts: Float64Array; // epoch ms each slot's task started
  private readonly workers: (WorkerHandle | undefined)[] = [];
  private queue: (Job | undefined)[] = [];
  private head = 0;
  private queued = 0;
  private sent = 0;
  private dispatchScheduled = false;
  private exports: ReadonlySet<string> | undefined;
  private broken: WorkerCrashError | undefined;
  private crashTimes: number[] = [];
  private killed = 0;
  private crashed = 0;
  private refed = false;
  // Assumed long until measured: the first tasks go one per worker.
  private avgRunNs = LONG_TASK_NS + 1;

  constructor(options: WorkerPoolOptions = {}) {
    checkOptions(options, ['module', 'minWorkers', 'maxWorkers', 'idleTimeout', 'killAfter', 'resourceLimits', 'name'], 'WorkerPool');
    this.core = new PoolCore(options.name, 'worker-pool');
    this.module = resolveModule(options.module);
    this.maxWorkers = checkCount(options.maxWorkers, 'maxWorkers', 1, os.availableParallelism());
    if (this.maxWorkers === Infinity || this.maxWorkers > 1024) throw new RangeError(`maxWorkers must be <= 1024, got ${this.maxWorkers}`);
    this.minWorkers = checkCount(options.minWorkers, 'minWorkers', 0, Math.min(1, this.maxWorkers));
    if (this.minWorkers > this.maxWorkers) throw new RangeError(`minWorkers (${this.minWorkers}) must be <= maxWorkers (${this.maxWorkers})`);
    this.idleTimeout = checkTimeout(options.idleTimeout, 'idleTimeout') ?? 10_000;
    this.killAfter = checkTimeout(options.killAfter, 'killAfter') ?? 1000;
    if (options.resourceLimits !== undefined && (typeof options.resourceLimits !== 'object' || options.resourceLimits === null)) {
      throw new TypeError(`resourceLimits must be an object, got ${describe(options.resourceLimits)}`);
    }
    this.resourceLimits = options.resourceLimits;
    this.stop = new SharedArrayBuffer(this.maxWorkers * WORKER_BATCH * 2 * Int32Array.BYTES_PER_ELEMENT);
    this.words = new Int32Array(this.stop);
    this.startsBuffer = new SharedArrayBuffer(this.maxWorkers * WORKER_BATCH * Float64Array.BYTES_PER_ELEMENT);
    this.starts = new Float64Array(this.startsBuffer);
    for (let i = 0; i < this.minWorkers; i++) this.spawn();
  }

  get name(): string {
    return this.core.name;
  }

  /** A typed handle to the module's export `name`, for submit and map. */
  task<N extends TaskNames<M>>(name: N): TaskHandle<ArgsOf<M[N]>, ResultOf<M[N]>> {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`task: name must be a non-empty string, got ${describe(name)}`);
    if (this.module === undefined) throw new TypeError(`task('${name}'): this pool has no module; pass { module } to new WorkerPool(), or submit a function`);
    this.checkExport(name);
    return new TaskHandle(name, this as WorkerPool<unknown>) as TaskHandle<ArgsOf<M[N]>, ResultOf<M[N]>>;
  }

  /** Runs `task(ctx, ...args)` on a worker: a handle from task(), or a self-contained function. */
  submit<A extends readonly unknown[], R>(task: TaskHandle<A, R> | WorkerTask<A, R>, args: A, options?: WorkerSubmitOptions): Future<Awaited<R>> {
    const [name, source] = this.resolveTask(task, 'submit');
    const taskName = name ?? (task as { name: string }).name ?? 'anonymous';
    checkArgs(args, taskName);
    const opts = checkSubmitOptions(options, SUBMIT_KEYS);
    const transfer = checkTransfer(options?.transfer);
    this.core.checkOpen();
    if (opts.signal?.aborted) return this.core.cancelledAtSubmit(taskName);
    const job = new Job(name, source, args as unknown as unknown[], false, transfer, opts.runTimeout);
    const future = this.enqueue(job, taskName || 'anonymous', opts.timeout);
    linkSignal(future, opts.signal);
    return future as Future<Awaited<R>>;
  }

  /** Waits while the pool is broken or shutting down... (no bounded queue: resolves at once). */
  submitWhenReady<A extends readonly unknown[], R>(task: TaskHandle<A, R> | WorkerTask<A, R>, args: A, options?: WorkerSubmitOptions): Promise<Future<Awaited<R>>> {
    this.resolveTask(task, 'submitWhenReady');
    checkSubmitOptions(options, SUBMIT_KEYS);
    return this.core.submitWhenReady(
      () => false,
      () => this.submit(task, args, options),
    );
  }

  /** Python's map: `task(ctx, item)` for each item, results in input order; `chunksize`
   * items go to a worker as one message. */
  map<T, R>(task: TaskHandle<[item: T], R> | WorkerTask<[item: T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncIterableIterator<Awaited<R>> {
    const [name, source] = this.resolveTask(task, 'map');
    checkItems(items);
    const taskName = name ?? ((task as { name: string }).name || 'anonymous');
    const submitChunk = (chunk: unknown[], timeout: number | undefined): Future<Awaited<R>[]> => {
      this.core.checkOpen();
      return this.enqueue(new Job(name, source, [chunk], true, undefined, undefined), taskName, timeout) as Future<Awaited<R>[]>;
    };
    return orderedMap((item) => item, submitChunk, items, options, this.maxWorkers);
  }

  /**
   * Stops taking tasks; afterwards submit throws PoolShutdownError. `cancelFutures` cancels
   * what is queued, `cancelRunning` also what the workers hold. With `wait` (default) it
   * resolves once every task has ended and every worker has exited.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    const opts = checkShutdownOptions(options);
    this.core.beginShutdown();
    if (opts.cancelFutures || opts.cancelRunning) {
      for (let i = this.head; i < this.queue.length; i++) this.queue[i]?.future.cancel();
      // Jobs in a worker's batch that have not started are queued too, as far as the user can tell.
      for (const w of this.workers) {
        if (w === undefined) continue;
        for (const job of [...w.inflight.values()]) if (opts.cancelRunning || this.words[job.slot * 2 + 1] === 0) job.future.cancel();
      }
    }
    const done = this.core.whenIdle(this.queued + this.sent).then(() => this.endWorkers());
    return opts.wait ? done : Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  get isShutdown(): boolean {
    return this.core.shuttingDown;
  }

  stats(): WorkerPoolStats {
    let running = 0;
    for (const w of this.workers) if (w !== undefined) for (const job of w.inflight.values()) if (this.words[job.slot * 2 + 1] === 1) running++;
    return {
      ...this.core.commonStats(running, this.queued + this.sent - running),
      workers: this.workers.filter((w) => w !== undefined).length,
      killed: this.killed,
      crashed: this.crashed,
    };
  }

  // ---- FutureOwner ----

  /** @internal */
  liveState(future: Future<unknown>): 'PENDING' | 'RUNNING' {
    const job = jobOf(future);
    return job !== undefined && job.state === SENT && this.words[job.slot * 2 + 1] === 1 ? 'RUNNING' : 'PENDING';
  }

  /** @internal */
  cancel(future: Future<unknown>): boolean {
    const job = jobOf(future);
    if (job === undefined || job.state === DONE) return false;
    this.stopJob(job, STOP_CANCEL);
    return true;
  }

  // ---- internals ----

  private resolveTask(task: unknown, caller: string): [string | undefined, string | undefined] {
    if (task instanceof TaskHandle) {
      if (task.pool !== (this as WorkerPool<unknown>)) throw new TypeError(`${caller}: task '${task.name}' is a handle of another WorkerPool`);
      this.checkExport(task.name);
      return [task.name, undefined];
    }
    if (typeof task === 'string') {
      throw new TypeError(`${caller}: pass pool.task('${task}') (a typed handle), not the bare name`);
    }
    if (typeof task !== 'function') {
      throw new TypeError(`${caller}: task must be a handle from pool.task(name) or a self-contained function (ctx, ...args) => value, got ${describe(task)}`);
    }
    const source = Function.prototype.toString.call(task);
    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
      throw new TypeError(`${caller}: function '${task.name}' is native or bound: it cannot be shipped to a worker by source; export it from the task module`);
    }
    if (/^(async\s+)?[A-Za-z_$][\w$]*\s*\(/.test(source) && !/^(async\s+)?function\b/.test(source)) {
      throw new TypeError(`${caller}: '${task.name}' is a method shorthand; ship an arrow or function expression, or export it from the task module`);
    }
    return [undefined, source];
  }

  private checkExport(name: string): void {
    if (this.exports !== undefined && !this.exports.has(name)) {
      const known = [...this.exports].map((n) => `'${n}'`).join(', ') || 'none';
      throw new TypeError(`task '${name}': the module ${this.module} has no function export '${name}' (its exports: ${known})`);
    }
  }

  private enqueue(job: Job, taskName: string, timeout: number | undefined): Future<unknown> {
    const future = new Future<unknown>(taskName, this);
    job.future = future;
    jobs.set(future, job);
    if (this.broken !== undefined) {
      job.state = DONE;
      this.core.counters.failed++;
      future._setException(new WorkerCrashError(this.broken.message, { cause: this.broken.cause }));
      return future;
    }
    if (timeout !== undefined) {
      job.deadline = now() + timeout;
      job.deadlineTimer = setLongTimeout(() => this.stopJob(job, STOP_DEADLINE), timeout);
    }
    this.queue.push(job);
    this.queued++;
    this.setRef(true);
    this.scheduleDispatch();
    return future;
  }

  /** Cancel or deadline: a queued job ends now; a sent one is asked to stop, then killed. */
  private stopJob(job: Job, bit: number): void {
    if (job.state === DONE) return;
    if (job.state === QUEUED) {
      this.queue[this.queue.indexOf(job, this.head)] = undefined;
      this.queued--;
      this.settleStopped(job, bit);
      this.checkIdle();
      return;
    }
    if (job.stopBit !== 0) return;
    job.stopBit = bit;
    Atomics.or(this.words, job.slot * 2, bit);
    job.worker!.worker.postMessage({ type: 'cancel', slot: job.slot, bit });
    if (this.killAfter !== Infinity) {
      job.killTimer = setTimeout(() => this.killFor(job), this.killAfter);
    }
  }

  private settleStopped(job: Job, bit: number): void {
    this.finishJob(job);
    if (bit === STOP_CANCEL || job.future.cancelRequested) {
      this.core.counters.cancelled++;
      job.future._setCancelled();
    } else {
      this.core.counters.timedOut++;
      job.future._setException(new TimeoutError(`task '${job.future.task}' passed its deadline`));
    }
  }

  private finishJob(job: Job): void {
    job.state = DONE;
    job.deadlineTimer?.clear();
    if (job.killTimer !== undefined) clearTimeout(job.killTimer);
    jobs.delete(job.future);
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /**
   * Hands queued jobs to ready workers with room, shared out evenly; spawns on demand.
   * Tiny tasks go many per message and a worker may hold the next batch while it runs
   * one (so it never waits for a round trip); tasks that run long (over LONG_TASK_NS on
   * average) go one per worker at a time, as a batch would make them wait behind each other.
   */
  private dispatch(): void {
    if (this.queued === 0) return;
    // Up to two batches per worker: it runs one while the next is on its way.
    const batch = this.avgRunNs > LONG_TASK_NS ? 1 : WORKER_BATCH / 2;
    const cap = batch === 1 ? 1 : WORKER_BATCH;
    const open: WorkerHandle[] = [];
    let starting = 0;
    let live = 0;
    for (const w of this.workers) {
      if (w === undefined || w.retiring) continue;
      live++;
      if (!w.ready) starting++;
      else if (w.inflight.size <= cap - batch) open.push(w);
    }
    for (let n = live; n < this.maxWorkers && open.length + starting < this.queued; n++) {
      this.spawn();
      starting++;
    }
    for (let i = 0; i < open.length && this.queued > 0; i++) {
      const w = open[i]!;
      this.send(w, Math.min(batch, Math.ceil(this.queued / (open.length - i))));
    }
    if (this.queued === 0 && this.avgRunNs > RECALL_TASK_NS) this.recallForIdle();
  }

  /** A ready worker sits idle while another has tasks waiting behind the one it runs:
   * take back the later half of those (a task that has started is never taken back). */
  private recallForIdle(): void {
    const idle = this.workers.some((w) => w !== undefined && w.ready && !w.retiring && w.inflight.size === 0);
    if (!idle) return;
    for (const w of this.workers) {
      if (w === undefined || w.retiring) continue;
      const waiting = [...w.inflight.values()].filter((j) => this.words[j.slot * 2 + 1] === 0 && j.stopBit === 0);
      for (const j of waiting.slice(Math.ceil(waiting.length / 2))) Atomics.or(this.words, j.slot * 2, STOP_RECALL);
    }
  }

  private send(w: WorkerHandle, count: number): void {
    const batch: Job[] = [];
    const transfer: ArrayBuffer[] = [];
    while (batch.length < count && this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (job === undefined) continue;
      this.queued--;
      if (job.transfer !== undefined) transfer.push(...job.transfer);
      batch.push(job);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (batch.length === 0) return;
    const messages = batch.map((job) => this.assign(job, w));
    try {
      w.worker.postMessage({ type: 'run', tasks: messages }, transfer);
    } catch {
      // Some argument cannot be cloned: send them one by one, failing only those.
      for (let i = 0; i < batch.length; i++) {
        try {
          w.worker.postMessage({ type: 'run', tasks: [messages[i]] }, batch[i]!.transfer);
        } catch (error) {
          this.unassign(batch[i]!);
          this.core.counters.failed++;
          this.finishJob(batch[i]!);
          batch[i]!.future._setException(cloneError(batch[i]!, error as Error));
        }
      }
      this.checkIdle();
    }
  }

  private assign(job: Job, w: WorkerHandle): TaskMessage {
    job.state = SENT;
    job.worker = w;
    job.slot = w.takeSlot();
    this.words[job.slot * 2] = 0;
    this.words[job.slot * 2 + 1] = 0;
    this.starts[job.slot] = 0;
    w.inflight.set(job.slot, job);
    this.sent++;
    if (w.idleTimer !== undefined) {
      clearTimeout(w.idleTimer);
      w.idleTimer = undefined;
    }
    if (job.stopBit !== 0) Atomics.or(this.words, job.slot * 2, job.stopBit);
    if (job.runTimeout !== undefined && this.killAfter !== Infinity) this.watchRunTimeout(job, job.runTimeout + this.killAfter);
    return { slot: job.slot, name: job.name, source: job.source, args: job.args, chunk: job.chunk, attempt: job.attempt, deadline: job.deadline, runTimeout: job.runTimeout ?? Infinity };
  }

  /** A task past its runTimeout stops at its next checkpoint (the worker enforces it);
   * one that has not ended `killAfter` ms later costs its worker, as a cancelled one would. */
  private watchRunTimeout(job: Job, ms: number): void {
    job.killTimer = setTimeout(() => {
      if (job.state !== SENT || job.stopBit !== 0) return;
      const started = this.starts[job.slot]!;
      if (this.words[job.slot * 2 + 1] !== 1 || started === 0) return this.watchRunTimeout(job, ms); // not started yet
      const left = started + ms - now();
      if (left > 0) return this.watchRunTimeout(job, left);
      job.stopBit = STOP_DEADLINE;
      this.killFor(job);
    }, ms);
  }

  private unassign(job: Job): void {
    const w = job.worker!;
    w.inflight.delete(job.slot);
    w.freeSlot(job.slot);
    job.worker = undefined;
    this.sent--;
  }

  private readonly onMessage = (w: WorkerHandle, m: FromWorker): void => {
    switch (m.type) {
      case 'ready':
        w.ready = true;
        w.exports = new Set(m.exports);
        this.exports ??= w.exports;
        this.failMissingExports();
        this.dispatch();
        if (this.queued === 0 && w.inflight.size === 0) this.armIdle(w);
        return;
      case 'loadError':
        this.trip(new WorkerCrashError(`WorkerPool '${this.name}' could not load its module ${this.module}: ${m.message}`, { cause: Object.assign(new Error(m.message), { stack: m.stack }) }));
        return;
      case 'done':
        this.onOutcomes(w, m.outcomes);
    }
  };

  private onOutcomes(w: WorkerHandle, outcomes: TaskOutcome[]): void {
    for (const o of outcomes) {
      const job = w.inflight.get(o.slot);
      if (job === undefined) continue;
      this.unassign(job);
      if (o.runNs > 0) {
        this.core.recordTimes((performance.now() - job.submittedAt) * 1e6 - o.runNs, o.runNs);
        this.avgRunNs += (o.runNs - this.avgRunNs) / 16; // a moving average over ~16 tasks
      }
      if (o.stop === STOP_RECALL && job.stopBit === 0) {
        job.state = QUEUED; // taken back before it started: it goes to an idle worker
        this.queue.splice(this.head, 0, job);
        this.queued++;
      } else if (o.stop !== 0) {
        this.settleStopped(job, job.stopBit || (o.stop === STOP_RECALL ? STOP_CANCEL : o.stop));
      } else if (o.ok) {
        this.finishJob(job);
        this.core.counters.completed++;
        job.future._setResult(o.value);
      } else {
        this.finishJob(job);
        this.core.counters.failed++;
        job.future._setException(toError(o.value, job.future.task));
      }
    }
    this.dispatch();
    if (w.inflight.size === 0 && this.queued === 0) this.armIdle(w);
    this.checkIdle();
  }

  /** A task ignored its stop word for killAfter ms: its worker goes, its other jobs are requeued. */
  private killFor(job: Job): void {
    if (job.state !== SENT) return;
    const w = job.worker!;
    this.killed++;
    this.retire(w);
    this.releaseJobs(w, (j) => j === job || this.words[j.slot * 2 + 1] === 1, (j) => this.settleStopped(j, j.stopBit));
  }

  /** Takes every job off worker `w`: those `culprit` picks settle by `settle`; the rest
   * (waiting in its batch, or finished but not reported) go back to the queue's front. */
  private releaseJobs(w: WorkerHandle, culprit: (j: Job) => boolean, settle: (j: Job) => void): void {
    const requeue: Job[] = [];
    for (const j of [...w.inflight.values()]) {
      const guilty = culprit(j);
      this.unassign(j);
      if (guilty) settle(j);
      else if (j.stopBit !== 0) this.settleStopped(j, j.stopBit);
      else {
        j.state = QUEUED;
        if (this.words[j.slot * 2 + 1] !== 0) j.attempt++;
        requeue.push(j);
      }
    }
    if (requeue.length > 0) {
      this.queue.splice(this.head, 0, ...requeue);
      this.queued += requeue.length;
    }
    this.dispatch();
    this.checkIdle();
  }

  private readonly onExit = (w: WorkerHandle, code: number, error: Error | undefined): void => {
    if (this.workers[w.index] === w) this.workers[w.index] = undefined;
    if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
    if (w.retiring) return;
    // It died on its own: the job it was running fails; the jobs waiting behind it are requeued.
    this.crashed++;
    const cause = error ?? new Error(`the worker exited with code ${code}`);
    const t = now();
    this.crashTimes = this.crashTimes.filter((c) => t - c < BREAKER_WINDOW_MS);
    this.crashTimes.push(t);
    this.releaseJobs(
      w,
      (j) => this.words[j.slot * 2 + 1] === 1,
      (j) => {
        this.core.counters.failed++;
        this.finishJob(j);
        j.future._setException(new WorkerCrashError(`task '${j.future.task}': its worker died (${cause.message})`, { cause }));
      },
    );
    if (this.crashTimes.length >= BREAKER_CRASHES) {
      this.trip(new WorkerCrashError(`WorkerPool '${this.name}': ${this.crashTimes.length} workers died within ${BREAKER_WINDOW_MS / 1000} s; not restarting them (last: ${cause.message})`, { cause }));
    } else if (!this.core.shuttingDown && this.workers.filter((x) => x !== undefined).length < this.minWorkers) {
      this.spawn();
    }
  };

  /** The breaker: no more workers; every job queued or held fails with `error`. */
  private trip(error: WorkerCrashError): void {
    if (this.broken !== undefined) return;
    this.broken = error;
    for (let i = this.head; i < this.queue.length; i++) {
      const job = this.queue[i];
      if (job === undefined) continue;
      this.queue[i] = undefined;
      this.queued--;
      this.core.counters.failed++;
      this.finishJob(job);
      job.future._setException(new WorkerCrashError(error.message, { cause: error.cause }));
    }
    for (const w of this.workers) {
      if (w === undefined) continue;
      this.retire(w);
      for (const j of [...w.inflight.values()]) {
        this.unassign(j);
        this.core.counters.failed++;
        this.finishJob(j);
        j.future._setException(new WorkerCrashError(error.message, { cause: error.cause }));
      }
    }
    this.checkIdle();
  }

  /** Jobs queued before the module's exports were known, naming an export it lacks. */
  private failMissingExports(): void {
    const exports = this.exports!;
    for (let i = this.head; i < this.queue.length; i++) {
      const job = this.queue[i];
      if (job === undefined || job.name === undefined || exports.has(job.name)) continue;
      this.queue[i] = undefined;
      this.queued--;
      this.core.counters.failed++;
      this.finishJob(job);
      job.future._setException(new TypeError(`task '${job.name}': the module ${this.module} has no function export '${job.name}' (its exports: ${[...exports].join(', ') || 'none'})`));
    }
  }

  private spawn(): void {
    if (this.broken !== undefined) return;
    let index = this.workers.indexOf(undefined);
    if (index < 0) index = this.workers.length;
    const w = new WorkerHandle(index, this.module, this.stop, this.startsBuffer, this.resourceLimits, this.name, this.onMessage, this.onExit);
    this.workers[index] = w;
    if (!this.refed) w.worker.unref();
  }

  private retire(w: WorkerHandle): void {
    if (w.retiring) return;
    w.retiring = true;
    if (this.workers[w.index] === w) this.workers[w.index] = undefined;
    void w.worker.terminate();
  }

  private armIdle(w: WorkerHandle): void {
    if (this.idleTimeout === Infinity || w.idleTimer !== undefined) return;
    w.idleTimer = setTimeout(() => {
      w.idleTimer = undefined;
      const live = this.workers.filter((x) => x !== undefined).length;
      if (w.inflight.size === 0 && live > this.minWorkers) this.retire(w);
    }, this.idleTimeout);
    w.idleTimer.unref();
  }

  private checkIdle(): void {
    if (this.queued + this.sent > 0) return;
    this.setRef(false);
    this.core.notifyIdle();
  }

  /** Busy workers keep the process alive; an idle pool does not. */
  private setRef(busy: boolean): void {
    if (busy === this.refed) return;
    this.refed = busy;
    for (const w of this.workers) if (w !== undefined) busy ? w.worker.ref() : w.worker.unref();
  }

  private async endWorkers(): Promise<void> {
    const exits: Promise<number>[] = [];
    for (const w of this.workers) {
      if (w === undefined) continue;
      w.retiring = true;
      exits.push(w.worker.terminate());
    }
    this.workers.length = 0;
    await Promise.all(exits);
  }
}

// The Job of each live Future (a WeakMap keeps Future free of pool fields).
const jobs = new WeakMap<Future<unknown>, Job>();
const jobOf = (future: Future<unknown>): Job | undefined => jobs.get(future);

function resolveModule(module: unknown): string | undefined {
  if (module === undefined) return undefined;
  let file: string;
  if (module instanceof URL) {
    if (module.protocol !== 'file:') throw new TypeError(`module must be a path or a file: URL, got ${module.href}`);
    file = fileURLToPath(module);
  } else if (typeof module === 'string' && module.length > 0) {
    file = module.startsWith('file:') ? fileURLToPath(module) : path.resolve(module);
  } else {
    throw new TypeError(`module must be a path or a file: URL of the task module, got ${describe(module)}`);
  }
  if (!fs.existsSync(file)) throw new TypeError(`module: no file at ${file}`);
  return file;
}

function checkArgs(args: unknown, task: string): void {
  if (!Array.isArray(args)) throw new TypeError(`submit: args of task '${task}' must be an array, got ${describe(args)}`);
  for (let i = 0; i < args.length; i++) {
    const t = typeof args[i];
    if (t === 'function' || t === 'symbol') {
      throw new TypeError(`task '${task}': argument ${i} is a ${t}, which cannot be sent to a worker thread`);
    }
  }
}

function checkTransfer(transfer: unknown): ArrayBuffer[] | undefined {
  if (transfer === undefined) return undefined;
  if (!Array.isArray(transfer) || !transfer.every((b) => b instanceof ArrayBuffer)) {
    throw new TypeError(`options.transfer must be an array of ArrayBuffers, got ${describe(transfer)}`);
  }
  return transfer as ArrayBuffer[];
}

function cloneError(job: Job, error: Error): TypeError {
  const args = job.chunk ? (job.args[0] as unknown[]) : job.args;
  for (let i = 0; i < args.length; i++) {
    try {
      structuredClone(args[i]);
    } catch (e) {
      return new TypeError(`task '${job.future.task}': ${job.chunk ? 'item' : 'argument'} ${i} cannot be sent to a worker thread: ${(e as Error).message}`, { cause: e });
    }
  }
  return new TypeError(`task '${job.future.task}': its arguments cannot be sent to a worker thread: ${error.message}`, { cause: error });
}

function toError(value: unknown, task: string): Error {
  const v = value as { error?: { name: string; message: string; stack?: string; code?: string }; thrown?: unknown };
  if (v?.error !== undefined) {
    const e = new Error(v.error.message) as Error & { code?: string };
    e.name = v.error.name;
    if (v.error.stack !== undefined) e.stack = v.error.stack;
    if (v.error.code !== undefined) e.code = v.error.code;
    return e;
  }
  return new Error(`task '${task}' threw a non-Error value: ${describe(v?.thrown)}`, { cause: v?.thrown });
}

