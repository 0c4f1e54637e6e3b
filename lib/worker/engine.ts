// The engine behind WorkerPool's facade (pool.ts): it owns the workers and the jobs in
// flight. A task flows enqueue (here: a Job in the FIFO) -> dispatch.ts (once per tick: each
// job takes a slot in the least-loaded worker; one message per worker) -> runtime.ts in the
// worker (runs them, checking each one's stop word) -> one results message per slice ->
// onResults (here) -> its Future. The engine is what a Job asks to cancel it, so cancel is
// never a method of the public pool.
//
// Cancellation never kills a worker that cooperates: cancel() and deadlines (deadlines.ts)
// set the task's bit in shared memory and ctx.checkpoint() throws in the task. Only a task
// that ignores its bit for `killAfter` ms has its worker terminated and replaced
// (failures.ts, with crashes and the restart breaker); the jobs queued behind it in that
// worker had not started and go back to the front of the queue.
import { errorFromThrown, TimeoutError } from '../core/errors';
import type { ShutdownOptions } from '../core/executor';
import { Future } from '../core/future';
import { linkSignal } from '../core/link-signal';
import { PoolCore } from '../core/pool-core';
import { clearLongTimeout, setLongTimeout } from '../core/timers';
import { checkSubmitOptions, NO_ARGS } from '../core/validate';
import { Deadlines } from './deadlines';
import { Dispatch } from './dispatch';
import { Failures } from './failures';
import { DISPATCHED, DONE, Job, QUEUED } from './job';
import { checkTransfer, SUBMIT_KEYS, WorkerPoolConfig, WorkerSubmitOptions } from './options';
import { CANCEL, DEADLINE, epochNow, Outcome, RESULT_FIELDS, STARTED, TaskKey, WorkerMessage } from './protocol';
import { receivedNamedError } from './task-error';
import { TaskTable } from './task-table';
import { Thread } from './thread';

const noop = (): void => undefined;

export class WorkerEngine {
  readonly core: PoolCore;
  readonly tasks: TaskTable;
  readonly dispatch: Dispatch;
  readonly failures: Failures;
  private readonly deadlines: Deadlines;
  private nextThreadKey = 0;
  private live = 0; // Futures not yet settled
  private flushScheduled = false;

  constructor(
    private readonly config: WorkerPoolConfig,
    name: string | undefined,
  ) {
    this.core = new PoolCore(name, 'worker-pool');
    this.tasks = new TaskTable(config.module);
    const settle = (job: Job, outcome: Outcome, value: unknown): void => this.settle(job, outcome, value);
    this.dispatch = new Dispatch({
      spawnIfRoom: () => (this.dispatch.liveThreads() < config.maxWorkers && this.failures.broken === undefined ? this.spawn() : undefined),
      settle,
    });
    const host = { dispatch: this.dispatch, name: this.core.name, settle, replace: () => this.replace() };
    this.failures = new Failures(host, config.killAfter, config.breakerCrashes, config.breakerWindowMs);
    this.deadlines = new Deadlines(this.core.name, this.dispatch.threads, (job) => this.failures.armKill(job));
    for (let i = 0; i < config.minWorkers; i++) this.spawn();
  }

  // ---- submit ----

  /** A task already resolved and its arguments read and checked (a fresh array, or NO_ARGS):
   * its options are checked here. */
  enqueue(key: TaskKey, name: string, source: string | undefined, args: readonly unknown[], options: WorkerSubmitOptions | undefined): Future<unknown> {
    const { timeout, runTimeout, signal } = checkSubmitOptions(options, SUBMIT_KEYS);
    const transfer = checkTransfer(options?.transfer);
    this.core.checkOpen();
    if (this.failures.broken !== undefined) throw this.failures.broken;
    if (signal?.aborted) return this.core.cancelledAtSubmit(name, signal);
    const now = performance.now();
    const deadlineAt = timeout === undefined || timeout === Infinity ? 0 : epochNow() + timeout;
    const job = new Job(this, key, args, transfer, now, deadlineAt, runTimeout === undefined || runTimeout === Infinity ? 0 : runTimeout, source);
    const future = new Future<unknown>(name, job);
    job.future = future;
    this.live++;
    this.dispatch.push(job);
    if (deadlineAt !== 0 || runTimeout !== undefined) this.deadlines.start();
    if (deadlineAt !== 0) {
      // Unref'd: not what keeps the process alive; the job's worker is ref'd while it holds the job.
      job.timer = setLongTimeout(() => this.onMainDeadline(job), timeout!, true);
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

  /** The names of the task module's function exports, as the first worker to load it found
   * them (task-module.ts, in the worker); fails as the module's load does. */
  async moduleExports(): Promise<string[]> {
    if (this.tasks.exportNames === undefined) {
      // A worker runs tasks only after its 'ready' message, which carries the names.
      const { key, name, source } = this.tasks.resolve(noop, 'moduleExports');
      await this.enqueue(key, name, source, NO_ARGS, undefined).result();
    }
    return [...this.tasks.exportNames!];
  }

  // ---- shutdown, stats ----

  /** shutdown() of checked options: cancels what they say, then ends the workers once idle. */
  shutdown(opts: Required<ShutdownOptions>): Promise<void> {
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

  /** [running, waiting]: dispatched jobs that started, and those not started (still in the FIFO or in a worker). */
  counts(): [number, number] {
    let active = 0;
    let waiting = 0;
    for (const thread of this.dispatch.threads) {
      for (const job of thread.jobs) {
        if (job === undefined || job.state !== DISPATCHED) continue;
        if (job.started) active++;
        else waiting++;
      }
    }
    return [active, this.dispatch.queued + waiting];
  }

  // ---- workers ----

  private spawn(): Thread {
    const config = this.config;
    const thread = new Thread(this.nextThreadKey++, config.module ?? null, this.core.name, config.resourceLimits, config.asyncTasksPerWorker);
    this.dispatch.threads.push(thread);
    const worker = thread.worker;
    worker.on('message', (message: WorkerMessage) => {
      if ('results' in message) this.onResults(thread, message.results);
      else if ('ready' in message) this.onReady(thread, message.ready);
      else this.failures.onLoadError(config.module, message.loadError);
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
    const missing = this.dispatch.liveThreads() < this.config.minWorkers;
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
    const { idleTimeout, minWorkers } = this.config;
    if (thread.inflight > 0 || thread.exiting !== undefined || idleTimeout === Infinity) return;
    if (this.dispatch.liveThreads() <= minWorkers) return;
    if (thread.idleTimer !== undefined) clearTimeout(thread.idleTimer);
    thread.idleTimer = setTimeout(() => {
      thread.idleTimer = undefined;
      if (thread.inflight === 0 && this.dispatch.liveThreads() > minWorkers) thread.terminate('idle');
    }, idleTimeout);
    thread.idleTimer.unref();
  }

  private close(): void {
    for (const thread of [...this.dispatch.threads]) thread.terminate('shutdown');
    this.deadlines.close();
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
      future._setException(outcome === Outcome.ErrorNamed ? receivedNamedError(value) : errorFromThrown(value, future.task));
    }
    if (--this.live === 0) this.core.notifyIdle();
  }

  // ---- cancel, deadlines ----

  /** Job.cancel, for its Future: false once the job is done. */
  cancel(job: Job): boolean {
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
}
