// When a WorkerPool's workers fail: a task that ignores its stop bit for killAfter ms has
// its worker terminated (alone); a worker that dies, killed or on its own, settles exactly
// the jobs it held and hands back those that had not started; a restart loop trips the
// breaker, which rejects everything queued and every later submit instead of spinning.
import { WorkerCrashError } from '../core/errors';
import { setLongTimeout } from '../core/timers';
import type { Dispatch } from './dispatch';
import { DONE, Job } from './job';
import { CANCEL, DEADLINE, Outcome, STARTED } from './protocol';
import type { Thread } from './thread';

/** What failure handling needs from its pool. */
export interface FailureHost {
  readonly dispatch: Dispatch;
  readonly name: string;
  settle(job: Job, outcome: Outcome, value: unknown): void;
  /** A worker ended and the pool goes on: start what is missing and hand out the queue. */
  replace(): void;
}

export class Failures {
  /** Set once the breaker tripped (or the module cannot load): the pool is unusable. */
  broken: WorkerCrashError | undefined = undefined;
  killed = 0;
  crashed = 0;
  private crashTimes: number[] = [];

  constructor(
    private readonly host: FailureHost,
    private readonly killAfter: number,
    /** The breaker trips on this many crashes (Infinity: never)... */
    private readonly breakerCrashes: number,
    /** ...within this many ms (Infinity: over the pool's life). */
    private readonly breakerWindowMs: number,
  ) {}

  /** A stop bit is set on a running job: it has killAfter ms to notice. */
  armKill(job: Job): void {
    if (this.killAfter === Infinity || job.killTimer !== undefined || job.state === DONE) return;
    job.killTimer = setLongTimeout(() => {
      const thread = job.thread;
      if (job.state === DONE || thread === undefined || thread.jobs[job.slot] !== job) return;
      this.killed++;
      // What the other tasks that had started there (async ones awaiting) are told.
      thread.crashCause = new Error(`the pool terminated it because task '${job.future.task}' ignored its stop bit for ${this.killAfter} ms (killAfter)`);
      thread.terminate('killed'); // onExit settles the job and requeues what had not started
    }, this.killAfter);
  }

  onLoadError(module: string | undefined, error: unknown): void {
    if (this.broken !== undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    this.breakPool(new WorkerCrashError(`the task module ${module} failed to load in a worker: ${message}`, { cause: error }));
  }

  /** A worker exited: unless the pool ended it on purpose, its jobs settle or go back to the queue. */
  onExit(thread: Thread, code: number): void {
    const threads = this.host.dispatch.threads;
    const index = threads.indexOf(thread);
    if (index >= 0) threads.splice(index, 1);
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
        this.host.settle(job, Outcome.Cancelled, undefined);
      } else if (bits & DEADLINE) {
        this.host.settle(job, Outcome.TimedOut, undefined);
      } else {
        const message = cause instanceof Error ? cause.message : String(cause);
        this.host.settle(job, Outcome.Error, new WorkerCrashError(`task '${job.future.task}': its worker died: ${message}`, { cause }));
      }
    }
    this.host.dispatch.pushFront(requeue);
    if (reason !== 'killed' && this.tripsBreaker(cause)) return;
    this.host.replace();
  }

  private tripsBreaker(cause: unknown): boolean {
    if (this.breakerCrashes === Infinity) return false;
    const now = performance.now();
    // At most breakerCrashes times are kept: the list stays small whatever the window.
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.breakerWindowMs);
    this.crashTimes.push(now);
    if (this.crashTimes.length < this.breakerCrashes) return false;
    const message = cause instanceof Error ? cause.message : String(cause);
    const window = this.breakerWindowMs === Infinity ? 'since the pool started' : `within ${this.breakerWindowMs} ms`;
    this.breakPool(new WorkerCrashError(`pool '${this.host.name}': ${this.crashTimes.length} workers crashed ${window} (breaker: { crashes: ${this.breakerCrashes}, windowMs: ${this.breakerWindowMs} }), so it stopped restarting them; last cause: ${message}`, { cause }));
    return true;
  }

  /** Gives up: every queued and held Future rejects with `error`, as does every later submit. */
  private breakPool(error: WorkerCrashError): void {
    this.broken = error;
    const dispatch = this.host.dispatch;
    for (const job of dispatch.takeAll()) this.host.settle(job, Outcome.Error, error);
    for (const thread of dispatch.threads) {
      for (let slot = 0; slot < thread.jobs.length; slot++) {
        const job = thread.jobs[slot];
        if (job !== undefined) {
          thread.release(slot);
          if (job.state !== DONE) this.host.settle(job, Outcome.Error, error);
        }
      }
      thread.terminate('broken');
    }
  }
}

