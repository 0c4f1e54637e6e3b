// The engine behind NativePool's facade (pool.ts): it owns the native pool and the tasks
// in flight. A task flows enqueue (here) -> SubmitBatch (submit-batch.ts: one native call
// per tick or full batch) -> the native pool -> a completion batch (one JS call,
// onComplete here) -> completions.ts (record -> result or error) -> its Future. SlotTable
// (slots.ts) maps the native side's task ids to Futures. The engine is the FutureOwner of
// its Futures, so cancel(future) is the Future's, not a method of the public pool.
import { binding, RawPool } from './binding';
import type { ShutdownOptions } from '../core/executor';
import { Future, FutureOwner } from '../core/future';
import { linkSignal } from '../core/link-signal';
import { PoolCore } from '../core/pool-core';
import type { CheckedSubmitOptions } from '../core/validate';
import { onQueueFull, queueFull } from './backpressure';
import { errorOf, resultOf } from './completions';
import type { LockStats } from './global-lock';
import type { CheckedPoolOptions, OnFull } from './options';
import { AnyKernel, CHUNK, SINGLE, SlotTable, WRAP } from './slots';
import { SubmitBatch } from './submit-batch';
import type { NumberArray } from './typed-items';
import { CancelOutcome, COMPLETION_FIELDS as RECORD_FIELDS, LockMode, Status } from './wire';

// Submissions are flushed when the batch reaches this many numbers, or at the end of the tick.
const FLUSH_AT = 1 << 16;
const COMPLETION_CAPACITY = 4096;
// After a cancel's wait for a running task to stop failed, this many cancels of running
// tasks do not wait. On a busy machine most waits fail (the worker is descheduled), and a
// failed wait costs the 50 us spent plus the CPU it kept from the worker (measured at load
// 10: median cancel latency 0.20-0.23 ms with every cancel waiting, 0.13-0.14 ms without).
const STOP_WAIT_BACKOFF = 8;

// Plain constants: module imports are getters under some loaders, and these are per task.
const OK = Status.Ok;
const ERROR = Status.Error;
const CANCELLED = Status.Cancelled;
const TIMED_OUT = Status.TimedOut;
const COMPLETION_FIELDS = RECORD_FIELDS;

export class NativeEngine implements FutureOwner {
  readonly core: PoolCore;
  readonly maxWorkers: number;
  readonly maxQueue: number;
  readonly onFull: OnFull;
  readonly raw: RawPool;
  readonly slots = new SlotTable();
  readonly batch = new SubmitBatch(this.slots);
  /** Set once the native pool is closed (shut down and idle): it must not be called then. */
  closed = false;
  callerRuns = 0;
  runNsTotal = 0;
  private readonly records = new Float64Array(COMPLETION_CAPACITY * COMPLETION_FIELDS);
  /** [queueWaitNs, runNs] of a running task that the binding's cancel() stopped. */
  private readonly stoppedTimes = new Float64Array(2);
  /** How many more cancels of running tasks may wait for them to stop before the next
   * microtask: maxWorkers. A loop that cancels a whole queue from the front would otherwise
   * wait once per task (each freed worker takes the next one before it is cancelled). */
  private stopWaitsLeft: number;
  private stopWaitsResetScheduled = false;
  /** Cancels of running tasks left that do not wait, after a wait that failed. */
  private stopWaitSkips = 0;
  private flushScheduled = false;
  private roomWakeScheduled = false;
  private lastLockStats: LockStats | undefined;

  constructor(options: CheckedPoolOptions) {
    this.core = new PoolCore(options.name, 'corepool');
    this.maxWorkers = options.maxWorkers;
    this.maxQueue = options.maxQueue;
    this.onFull = options.onFull;
    this.stopWaitsLeft = this.maxWorkers;
    const lockMode = options.globalLock === false ? LockMode.none : LockMode[options.globalLock];
    this.raw = new binding.NativePoolBinding(this.maxWorkers, this.core.name, lockMode, this.onComplete, this.records);
  }

  /** submit() of arguments and options already checked (and read: `values` is a copy). */
  submitChecked(kernel: AnyKernel, values: readonly unknown[], opts: CheckedSubmitOptions): Future<unknown> {
    this.core.checkOpen();
    if (opts.signal?.aborted) return this.core.cancelledAtSubmit(kernel.name, opts.signal);
    if (queueFull(this)) {
      const early = onQueueFull(this, kernel, values, opts);
      if (early !== undefined) return early;
    }
    const future = this.enqueue(kernel, values, undefined, opts.timeout, opts.runTimeout);
    linkSignal(future, opts.signal);
    return future;
  }

  /** Adds one task (`single` args, or a chunk of `items`) to the batch sent at the end of the tick. */
  enqueue(
    kernel: AnyKernel,
    single: readonly unknown[] | undefined,
    items: readonly unknown[] | NumberArray | undefined, // a chunk (see SubmitBatch.append)
    timeout: number | undefined,
    runTimeout: number | undefined,
  ): Future<unknown> {
    const future = new Future<unknown>(kernel.name, this);
    const id = this.slots.open(future, kernel, items === undefined ? SINGLE : items.length === 1 ? WRAP : CHUNK);
    this.batch.append(id, kernel, single, items, timeout, runTimeout);
    if (this.batch.length >= FLUSH_AT) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
    return future;
  }

  /** Sends the batch to the native side in one call. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.batch;
    const { records, length, objects, count, seq } = batch;
    batch.reset();
    if (count === 0) return; // nothing, or only records cancelled before they were sent
    try {
      this.raw.submit(records, length, objects);
    } catch (error) {
      // Arguments were validated in JS; reaching here is a bug, but it fails the batch's
      // futures instead of leaving them pending forever.
      for (let id = 0; id < this.slots.future.length; id++) {
        if (this.slots.future[id] !== undefined && this.slots.batch[id] === seq && this.raw.state(id) === -1) {
          this.finishSlot(id, Status.Error, 0, [String((error as Error).message)], 0, 0);
        }
      }
    }
  };

  /** Settles a batch of completion records written by the native side. */
  private readonly onComplete = (count: number, objects: unknown[] | undefined): void => {
    const r = this.records;
    for (let i = 0; i < count; i++) {
      const o = i * COMPLETION_FIELDS;
      this.finishSlot(r[o]!, r[o + 1]!, r[o + 2]!, objects, r[o + 3]!, r[o + 4]!);
    }
    this.core.wakeRoomWaiters();
  };

  /** Settles slot `id`. `value` is the number, boolean or index into `objects` that the
   * completion record carries (0 where there is none). */
  finishSlot(id: number, status: Status, value: number, objects: unknown[] | undefined, waitNs: number, runNs: number): void {
    const slots = this.slots;
    const future = slots.future[id];
    if (future === undefined) return;
    const kernel = slots.kernel[id]!;
    const shape = slots.shape[id]!;
    slots.free(id);
    // Every way a task ends passes here (completions, cancels before a worker took it,
    // discardOldest, shutdown), so the pool notices here that it has become idle.
    if (slots.inflight === 0) this.onIdle();
    if (runNs > 0) {
      this.runNsTotal += runNs;
      this.core.recordTimes(waitNs, runNs);
    }
    const counters = this.core.counters;
    if (future.cancelRequested) status = CANCELLED; // once cancel() said yes, nothing else
    if (status === OK) {
      counters.completed++;
      future._setResult(resultOf(kernel.resultKind, shape, value, objects));
    } else if (status === ERROR || status === TIMED_OUT) {
      if (status === ERROR) counters.failed++;
      else counters.timedOut++;
      future._setException(errorOf(status, kernel.name, value, objects));
    } else {
      counters.cancelled++;
      future._setCancelled();
    }
  }

  // ---- FutureOwner ----

  liveState(future: Future<unknown>): 'PENDING' | 'RUNNING' {
    const id = future._key;
    if (this.slots.future[id] !== future || !this.batch.sent(id) || this.closed) return 'PENDING';
    // A worker took it. It stays RUNNING until it settles here, also once it has
    // finished natively and its completion is on its way.
    return this.raw.state(id) === Status.Running ? 'RUNNING' : 'PENDING';
  }

  cancel(future: Future<unknown>): boolean {
    const id = future._key;
    if (this.slots.future[id] !== future || this.closed) return false;
    if (!this.batch.sent(id)) {
      this.batch.skip(id);
      this.finishSlot(id, CANCELLED, 0, undefined, 0, 0);
      this.wakeRoomWaitersSoon();
      return true;
    }
    const wait = this.stopWaitsLeft > 0 && this.stopWaitSkips === 0;
    const outcome = this.raw.cancel(id, this.stoppedTimes, wait);
    if (outcome === CancelOutcome.Stopped || outcome === CancelOutcome.Running) this.hitRunning(wait, outcome === CancelOutcome.Stopped);
    if (outcome === CancelOutcome.Removed) {
      this.finishSlot(id, CANCELLED, 0, undefined, 0, 0);
      this.wakeRoomWaitersSoon();
    } else if (outcome === CancelOutcome.Stopped) {
      // It was running and stopped within the binding's short wait: it is CANCELLED now,
      // without waiting for a completion (none will come for it).
      const times = this.stoppedTimes;
      this.finishSlot(id, CANCELLED, 0, undefined, times[0]!, times[1]!);
      this.wakeRoomWaitersSoon();
    }
    // Still running (it did not stop in time) or finished on the way back: its completion
    // settles it as CANCELLED.
    return true;
  }

  // ---- lifecycle ----

  /** NativePool.shutdown() of checked options. */
  shutdown(opts: Required<ShutdownOptions>): Promise<void> {
    this.core.beginShutdown();
    const cancelQueued = (opts.cancelFutures || opts.cancelRunning) && !this.closed;
    if (cancelQueued) {
      // Not yet sent: cancelled here, before a worker could pick any of them up.
      const futures = this.slots.future;
      for (let id = 0; id < futures.length; id++) {
        if (futures[id] !== undefined && !this.batch.sent(id)) futures[id]!.cancel();
      }
    }
    this.flush();
    // Settling the last task closes the pool (finishSlot -> onIdle), hence the !closed checks.
    if (cancelQueued && !this.closed) for (const id of this.raw.cancelQueued()) this.finishSlot(id, CANCELLED, 0, undefined, 0, 0);
    // Running tasks stop at their next checkpoint and end CANCELLED: here those that
    // stopped within the binding's short wait, the others through their completions.
    if (opts.cancelRunning && !this.closed) {
      const stopped = this.raw.cancelRunning();
      for (let k = 0; k < stopped.length; k += 3) this.finishSlot(stopped[k]!, CANCELLED, 0, undefined, stopped[k + 1]!, stopped[k + 2]!);
    }
    if (!this.closed) this.raw.requestStop();
    const idle = this.core.whenIdle(this.slots.inflight);
    this.closeIfIdle();
    return opts.wait ? idle : Promise.resolve();
  }

  /** [queued, active] now; queued counts what is still in the batch. */
  counts(): [queued: number, active: number] {
    const [queued, active] = this.closed ? [0, 0] : this.raw.counts();
    return [queued + this.batch.count, active];
  }

  lockStats(): LockStats {
    // The native pool is gone once closed: the counters it had at the end still hold.
    return this.closed ? this.lastLockStats! : this.raw.lockStats();
  }

  /** A cancel hit a running task; `waited`: it waited for it, `stopped`: and it stopped. */
  private hitRunning(waited: boolean, stopped: boolean): void {
    if (!waited) {
      if (this.stopWaitSkips > 0) this.stopWaitSkips--;
      return;
    }
    if (!stopped) this.stopWaitSkips = STOP_WAIT_BACKOFF;
    this.stopWaitsLeft--;
    if (!this.stopWaitsResetScheduled) {
      this.stopWaitsResetScheduled = true;
      queueMicrotask(() => {
        this.stopWaitsResetScheduled = false;
        this.stopWaitsLeft = this.maxWorkers;
      });
    }
  }

  /** A queued task was cancelled: room opened for a submitWhenReady waiter. Not inside
   * cancel() itself, whose caller may be cancelling several in a loop. */
  private wakeRoomWaitersSoon(): void {
    if (!this.core.hasRoomWaiters || this.roomWakeScheduled) return;
    this.roomWakeScheduled = true;
    queueMicrotask(() => {
      this.roomWakeScheduled = false;
      this.core.wakeRoomWaiters();
    });
  }

  private onIdle(): void {
    this.core.notifyIdle();
    this.closeIfIdle();
  }

  private closeIfIdle(): void {
    if (this.core.shuttingDown && this.slots.inflight === 0 && !this.closed) {
      this.lastLockStats = this.raw.lockStats();
      this.closed = true;
      this.raw.close();
    }
  }
}
