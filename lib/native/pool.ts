// NativePool: runs native kernels on corepool's own threads. A task flows
// submit (here) -> SubmitBatch (submit-batch.ts: one native call per tick or full batch)
// -> the native pool -> a completion batch (one JS call, onComplete here) ->
// completions.ts (record -> result or error) -> its Future. SlotTable (slots.ts) maps
// the native side's task ids to Futures.
import * as os from 'node:os';

import { binding, RawLockStats, RawPool } from './binding';
import { KernelError, QueueFullError, TimeoutError } from '../core/errors';
import type { Executor, MapOptions, ShutdownOptions, SubmitOptions } from '../core/executor';
import type { FutureHandle } from '../core/future-handle';
import { Future, FutureOwner } from '../core/future';
import { linkSignal } from '../core/link-signal';
import { orderedMap } from '../core/map';
import { checkItems, CommonStats, PoolCore } from '../core/pool-core';
import { CheckedSubmitOptions, checkCount, checkOptions, checkShutdownOptions, checkSubmitOptions, describe, NO_ARGS } from '../core/validate';
import { GlobalLockCounters, registerLockPool } from './global-lock';
import { errorOf, resultOf } from './completions';
import { isKernel, Kernel } from './kernel';
import { AnyKernel, CHUNK, SINGLE, SlotTable, WRAP } from './slots';
import { SubmitBatch } from './submit-batch';
import { CancelOutcome, COMPLETION_FIELDS as RECORD_FIELDS, LockMode, MAX_ITEMS_PER_TASK, Status } from './wire';

export type OnFull = 'reject' | 'callerRuns' | 'discardOldest';

export interface GlobalLockOptions {
  /** 'modern': CPython >= 3.2 (switch interval, forced switching); 'legacy': the tick-based lock before it. */
  mode?: 'modern' | 'legacy';
}

export interface NativePoolOptions {
  /** Worker threads. Default os.availableParallelism(). */
  maxWorkers?: number;
  /** Most tasks waiting for a worker; beyond it `onFull` decides. Default unbounded. */
  maxQueue?: number;
  /** What submit does when the queue is full. Default 'reject'. */
  onFull?: OnFull;
  /** Thread names are `${name}-${index}` (seen in top -H and debuggers). Default 'corepool'. */
  name?: string;
  /** Run every task under one process-wide lock that emulates CPython's GIL. */
  globalLock?: boolean | GlobalLockOptions;
}

export interface PoolStats extends CommonStats {
  workers: number;
  /** Tasks run on the calling thread by onFull 'callerRuns' (also counted as completed, failed or timedOut). */
  callerRuns: number;
}

type ArgsOf<K> = K extends Kernel<infer A, unknown> ? A : never;
type ResultOf<K> = K extends Kernel<readonly unknown[], infer R> ? R : never;

// Submissions are flushed when the batch reaches this many numbers, or at the end of the tick.
const FLUSH_AT = 1 << 16;
const COMPLETION_CAPACITY = 4096;

// Plain constants: module imports are getters under some loaders, and these are per task.
const OK = Status.Ok;
const ERROR = Status.Error;
const CANCELLED = Status.Cancelled;
const TIMED_OUT = Status.TimedOut;
const COMPLETION_FIELDS = RECORD_FIELDS;

export class NativePool implements Executor<AnyKernel>, FutureOwner {
  readonly maxWorkers: number;
  readonly maxQueue: number;
  readonly onFull: OnFull;
  readonly globalLock: false | 'modern' | 'legacy';

  private readonly raw: RawPool;
  private readonly records = new Float64Array(COMPLETION_CAPACITY * COMPLETION_FIELDS);
  private readonly slots = new SlotTable();
  private readonly batch = new SubmitBatch(this.slots);
  private flushScheduled = false;
  private roomWakeScheduled = false;
  private callerRuns = 0;
  private lastLockStats: RawLockStats | undefined;
  private closed = false;
  private readonly core: PoolCore;
  private readonly createdAt = performance.now();
  private runNsTotal = 0;

  constructor(options: NativePoolOptions = {}) {
    if (typeof options === 'object' && options !== null && 'filename' in options) {
      throw new TypeError(
        "NativePool: unknown option 'filename': NativePool runs only native kernels (kernels.*, loadKernels()); " +
          'for a JS worker file use a WorkerPool, for async functions an IoPool',
      );
    }
    checkOptions(options, ['maxWorkers', 'maxQueue', 'onFull', 'name', 'globalLock'], 'NativePool');
    this.core = new PoolCore(options.name, 'corepool');
    this.maxWorkers = checkCount(options.maxWorkers, 'maxWorkers', 1, os.availableParallelism());
    if (this.maxWorkers > 1024) throw new RangeError(`maxWorkers must be <= 1024, got ${this.maxWorkers}`);
    this.maxQueue = checkCount(options.maxQueue, 'maxQueue', 0, Infinity);
    const onFull = options.onFull ?? 'reject';
    if (onFull !== 'reject' && onFull !== 'callerRuns' && onFull !== 'discardOldest') {
      throw new TypeError(`onFull must be 'reject', 'callerRuns' or 'discardOldest', got ${describe(onFull)}`);
    }
    this.onFull = onFull;
    this.globalLock = parseGlobalLock(options.globalLock);
    const lockMode = this.globalLock === false ? LockMode.none : LockMode[this.globalLock];
    this.raw = new binding.NativePoolBinding(this.maxWorkers, this.core.name, lockMode, this.onComplete, this.records);
    if (this.globalLock !== false) registerLockPool(this);
  }

  /** Queues `kernel(...args)` and returns its Future. Bad arguments throw here, before queuing. */
  submit<K extends AnyKernel>(kernel: K, args: ArgsOf<K>, options?: SubmitOptions): Future<ResultOf<K>> {
    checkKernel(kernel, 'submit');
    return this.submitChecked(kernel, kernel.checkedArgs(args), checkSubmitOptions(options)) as Future<ResultOf<K>>;
  }

  /** submit() of arguments and options already checked (and read: `values` is a copy). */
  private submitChecked(kernel: AnyKernel, values: readonly unknown[], opts: CheckedSubmitOptions): Future<unknown> {
    this.core.checkOpen();
    if (opts.signal?.aborted) return this.core.cancelledAtSubmit(kernel.name, opts.signal);
    if (this.queueFull()) {
      const early = this.onQueueFull(kernel, values, opts);
      if (early !== undefined) return early;
    }
    const future = this.enqueue(kernel, values, undefined, opts.timeout, opts.runTimeout);
    linkSignal(future, opts.signal);
    return future;
  }

  /**
   * Waits for room in a bounded queue, then submits; resolves with the Future itself
   * (not its result). Bad arguments throw at once, like submit.
   */
  submitWhenReady<K extends AnyKernel>(kernel: K, args: ArgsOf<K>, options?: SubmitOptions): Promise<FutureHandle<ResultOf<K>>> {
    checkKernel(kernel, 'submitWhenReady');
    // Read and checked now, once: what is submitted later is what was checked.
    const values = kernel.checkedArgs(args);
    const opts = checkSubmitOptions(options);
    return this.core.submitWhenReady(
      () => this.queueFull(),
      () => this.submitChecked(kernel, values, opts) as Future<ResultOf<K>>,
    );
  }

  /**
   * Python's map: results in input order. Each item is the kernel's argument (or an
   * array of its arguments when it takes several). `chunksize` items go to a worker
   * as one native task, in one call.
   */
  map<K extends AnyKernel>(kernel: K, items: Iterable<unknown> | AsyncIterable<unknown>, options?: MapOptions): AsyncIterableIterator<ResultOf<K>> {
    checkKernel(kernel, 'map');
    checkItems(items);
    // A one-argument kernel's items travel as bare values: no array per item.
    const toArgs =
      kernel.arity === 1
        ? (item: unknown): unknown => {
            if (!Array.isArray(item)) return kernel.validateValue(item);
            return kernel.checkedArgs(item)[0];
          }
        : (item: unknown): unknown => kernel.checkedArgs(kernel.arity === 0 ? NO_ARGS : item);
    const submitChunk = (chunk: unknown[], timeout: number | undefined): Future<ResultOf<K>[]> => {
      this.core.checkOpen();
      return this.enqueue(kernel, undefined, chunk, timeout, undefined) as Future<ResultOf<K>[]>;
    };
    return orderedMap(toArgs, submitChunk, items, options, this.maxWorkers, MAX_ITEMS_PER_TASK);
  }

  /**
   * Stops taking tasks; afterwards submit throws PoolShutdownError. `cancelFutures`
   * cancels what is queued, `cancelRunning` also stops running tasks at their next
   * checkpoint. With `wait` (default) it resolves when every task has ended.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    const opts = checkShutdownOptions(options);
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
    // Running tasks stop at their next checkpoint and come back CANCELLED.
    if (opts.cancelRunning && !this.closed) this.raw.cancelRunning();
    if (!this.closed) this.raw.requestStop();
    const idle = this.core.whenIdle(this.slots.inflight);
    this.closeIfIdle();
    return opts.wait ? idle : Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** True after shutdown(). */
  get isShutdown(): boolean {
    return this.core.shuttingDown;
  }

  get name(): string {
    return this.core.name;
  }

  stats(): PoolStats {
    const [queued, active] = this.closed ? [0, 0] : this.raw.counts();
    return { ...this.core.commonStats(active, queued + this.batch.count), workers: this.maxWorkers, callerRuns: this.callerRuns };
  }

  /** Share of the workers' time spent running tasks since the pool was created, 0..1. */
  utilization(): number {
    const elapsedNs = (performance.now() - this.createdAt) * 1e6 * this.maxWorkers;
    return elapsedNs <= 0 ? 0 : Math.min(1, this.runNsTotal / elapsedNs);
  }

  /** Global-lock counters of this pool's threads (zeros without the lock). */
  lockStats(): GlobalLockCounters {
    // The native pool is gone once closed: the counters it had at the end still hold.
    return this.closed ? this.lastLockStats! : this.raw.lockStats();
  }

  // ---- FutureOwner ----

  /** @internal */
  liveState(future: Future<unknown>): 'PENDING' | 'RUNNING' {
    const id = future._key;
    if (this.slots.future[id] !== future || !this.batch.sent(id) || this.closed) return 'PENDING';
    // A worker took it. It stays RUNNING until it settles here, also once it has
    // finished natively and its completion is on its way.
    return this.raw.state(id) === Status.Running ? 'RUNNING' : 'PENDING';
  }

  /** @internal */
  cancel(future: Future<unknown>): boolean {
    const id = future._key;
    if (this.slots.future[id] !== future || this.closed) return false;
    if (!this.batch.sent(id)) {
      this.batch.skip(id);
      this.finishSlot(id, CANCELLED, 0, undefined, 0, 0);
      this.wakeRoomWaitersSoon();
      return true;
    }
    if (this.raw.cancel(id) === CancelOutcome.Removed) {
      this.finishSlot(id, CANCELLED, 0, undefined, 0, 0);
      this.wakeRoomWaitersSoon();
    }
    // Running or finished on the way back: the completion settles it as CANCELLED.
    return true;
  }

  // ---- internals ----

  /** Adds one task (`single` args, or a chunk of `items`) to the batch sent at the end of the tick. */
  private enqueue(
    kernel: AnyKernel,
    single: readonly unknown[] | undefined,
    items: readonly unknown[] | undefined, // a chunk: values (one-argument kernels) or argument arrays
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
  private readonly flush = (): void => {
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
  private readonly onComplete = (count: number, objects: unknown[]): void => {
    const r = this.records;
    for (let i = 0; i < count; i++) {
      const o = i * COMPLETION_FIELDS;
      this.finishSlot(r[o]!, r[o + 1]!, r[o + 2]!, objects, r[o + 3]!, r[o + 4]!);
    }
    this.core.wakeRoomWaiters();
  };

  /** Settles slot `id`. `value` is the number, boolean or index into `objects` that the
   * completion record carries (0 where there is none). */
  private finishSlot(id: number, status: Status, value: number, objects: unknown[] | undefined, waitNs: number, runNs: number): void {
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

  /** Would one more task have to wait beyond maxQueue? Free workers take tasks first. */
  private queueFull(): boolean {
    if (this.maxQueue === Infinity || this.closed) return false;
    // Queued + running tasks are at most `inflight`: while that fits, no need to ask.
    if (this.slots.inflight + 1 - this.maxWorkers <= this.maxQueue) return false;
    const [queued, active] = this.raw.counts();
    const freeWorkers = Math.max(0, this.maxWorkers - active);
    return queued + this.batch.count + 1 - freeWorkers > this.maxQueue;
  }

  private onQueueFull(kernel: AnyKernel, values: readonly unknown[], opts: CheckedSubmitOptions): Future<unknown> | undefined {
    switch (this.onFull) {
      case 'reject':
        throw new QueueFullError(`pool '${this.name}' has ${this.maxQueue} task(s) queued (maxQueue); submit later, use submitWhenReady, or another onFull policy`);
      case 'callerRuns':
        return this.runInCaller(kernel, values, opts);
      case 'discardOldest': {
        // The native queue's head is older than anything unsent; flush only if it is empty.
        let id = this.raw.takeOldest();
        if (id < 0) {
          this.flush();
          id = this.raw.takeOldest();
        }
        if (id >= 0) this.finishSlot(id, CANCELLED, 0, undefined, 0, 0);
        return undefined;
      }
    }
  }

  /**
   * onFull 'callerRuns': runs on the calling (event-loop) thread, blocking JS for the
   * task's duration, which slows the producer down exactly as much as the pool is behind.
   * It is counted like any task. The signal was checked at submit (it cannot abort while
   * the event loop is blocked); a timeout that passes while it runs makes it a TimeoutError
   * (the result is dropped, as for a pool task that passed its deadline), but runSync has
   * no checkpoint hook, so the kernel itself runs to its end.
   */
  private runInCaller(kernel: AnyKernel, values: readonly unknown[], opts: CheckedSubmitOptions): Future<unknown> {
    this.callerRuns++;
    const counters = this.core.counters;
    const start = performance.now();
    const deadline = Math.min(opts.timeout ?? Infinity, opts.runTimeout ?? Infinity);
    let outcome: Future<unknown>;
    try {
      const result = binding.runSync(kernel.id, values as unknown[]);
      if (performance.now() - start > deadline) {
        counters.timedOut++;
        outcome = Future.failed(kernel.name, new TimeoutError(`task '${kernel.name}' passed its deadline (run in the caller: onFull 'callerRuns')`));
      } else {
        counters.completed++;
        outcome = Future.resolved(kernel.name, result);
      }
    } catch (error) {
      counters.failed++;
      outcome = Future.failed(kernel.name, new KernelError(kernel.name, (error as Error).message));
    }
    const runNs = (performance.now() - start) * 1e6;
    this.runNsTotal += runNs;
    this.core.recordTimes(1, runNs);
    return outcome;
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

function checkKernel(kernel: unknown, caller: string): asserts kernel is AnyKernel {
  if (isKernel(kernel)) return;
  if (typeof kernel === 'function') {
    throw new TypeError(
      `NativePool.${caller}: NativePool runs only native kernels (kernels.isPrime, loadKernels()), got a JS function; ` +
        'run async functions on an IoPool, and JS on threads on a WorkerPool',
    );
  }
  throw new TypeError(`NativePool.${caller}: kernel must be a corepool kernel (e.g. kernels.isPrime, or one from loadKernels()), got ${describe(kernel)}`);
}

function parseGlobalLock(value: NativePoolOptions['globalLock']): false | 'modern' | 'legacy' {
  if (value === undefined || value === false) return false;
  if (value === true) return 'modern';
  if (typeof value === 'object' && value !== null) {
    checkOptions(value, ['mode'], 'globalLock');
    const mode = value.mode ?? 'modern';
    if (mode === 'modern' || mode === 'legacy') return mode;
    throw new TypeError(`globalLock.mode must be 'modern' or 'legacy', got ${describe(mode)}`);
  }
  throw new TypeError(`globalLock must be a boolean or { mode }, got ${describe(value)}`);
}
