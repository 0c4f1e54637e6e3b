// NativePool: runs native kernels on corepool's own threads. This is the public facade:
// it checks what the user passes and hands the task to its private engine (engine.ts),
// which batches it to the native pool and settles its Future; backpressure.ts holds the
// bounded queue's policies, options.ts the options and the kernel check.
import type { Executor, MapOptions, ShutdownOptions, SubmitOptions } from '../core/executor';
import type { Future } from '../core/future';
import type { FutureHandle } from '../core/future-handle';
import { orderedMap, sourceMap } from '../core/map';
import { checkItems } from '../core/pool-core';
import type { MapItem, TaskArgs, TaskResult } from '../core/task-types';
import { checkShutdownOptions, checkSubmitOptions, NO_ARGS } from '../core/validate';
import { queueFull } from './backpressure';
import { NativeEngine } from './engine';
import { LockStats, registerLockPool } from './global-lock';
import { checkKernel, checkPoolOptions, NativePoolOptions, OnFull, PoolStats } from './options';
import type { AnyKernel } from './slots';
import { checkNumberSlice, NumberSlice, numberSlices, takesNumberSlices } from './typed-items';
import { MAX_ITEMS_PER_TASK } from './wire';

export type { GlobalLockOptions, NativePoolOptions, OnFull, PoolStats } from './options';

export class NativePool implements Executor<AnyKernel> {
  readonly maxWorkers: number;
  readonly maxQueue: number;
  readonly onFull: OnFull;
  readonly globalLock: false | 'modern' | 'legacy';
  readonly #engine: NativeEngine;
  readonly #createdAt = performance.now();

  constructor(options: NativePoolOptions = {}) {
    const checked = checkPoolOptions(options);
    this.maxWorkers = checked.maxWorkers;
    this.maxQueue = checked.maxQueue;
    this.onFull = checked.onFull;
    this.globalLock = checked.globalLock;
    this.#engine = new NativeEngine(checked);
    if (this.globalLock !== false) registerLockPool(this);
  }

  /** Queues `kernel(...args)` and returns its Future. Bad arguments throw here, before queuing. */
  submit<K extends AnyKernel>(kernel: K, args: TaskArgs<K>, options?: SubmitOptions): Future<TaskResult<K>> {
    checkKernel(kernel, 'submit');
    return this.#engine.submitChecked(kernel, kernel.checkedArgs(args), checkSubmitOptions(options)) as Future<TaskResult<K>>;
  }

  /**
   * Waits for room in a bounded queue, then submits; resolves with the Future's handle
   * (`handle.future` is the Future itself, not its result). Bad arguments throw at once, like submit.
   */
  submitWhenReady<K extends AnyKernel>(kernel: K, args: TaskArgs<K>, options?: SubmitOptions): Promise<FutureHandle<TaskResult<K>>> {
    checkKernel(kernel, 'submitWhenReady');
    // Read and checked now, once: what is submitted later is what was checked.
    const values = kernel.checkedArgs(args);
    const opts = checkSubmitOptions(options);
    const engine = this.#engine;
    return engine.core.submitWhenReady(
      () => queueFull(engine),
      () => engine.submitChecked(kernel, values, opts) as Future<TaskResult<K>>,
      opts.signal,
    );
  }

  /**
   * Python's map: results in input order. Each item is the kernel's argument (or an
   * array of its arguments when it takes several). `chunksize` items go to a worker
   * as one native task, in one call. For a kernel of one number argument, `items` may be
   * a typed array of numbers: each chunk is then sent as one slice of it, with no JS
   * call per item (read when the chunk is sent).
   */
  map<K extends AnyKernel>(
    kernel: K,
    items: Iterable<MapItem<TaskArgs<K>>> | AsyncIterable<MapItem<TaskArgs<K>>>, // a typed array of numbers is one
    options?: MapOptions,
  ): AsyncIterableIterator<TaskResult<K>> {
    return this.#map(kernel, items, options, 'map', false) as AsyncIterableIterator<TaskResult<K>>;
  }

  /** map, but each chunk's results come as one array (of `chunksize` items, the last
   * chunk's maybe fewer), in input order: no per-item async iteration. */
  mapChunks<K extends AnyKernel>(
    kernel: K,
    items: Iterable<MapItem<TaskArgs<K>>> | AsyncIterable<MapItem<TaskArgs<K>>>, // a typed array of numbers is one
    options?: MapOptions,
  ): AsyncIterableIterator<TaskResult<K>[]> {
    return this.#map(kernel, items, options, 'mapChunks', true) as AsyncIterableIterator<TaskResult<K>[]>;
  }

  #map(kernel: AnyKernel, items: unknown, options: MapOptions | undefined, caller: string, chunks: boolean): AsyncIterableIterator<unknown> {
    checkKernel(kernel, caller);
    checkItems(items, caller);
    const engine = this.#engine;
    if (takesNumberSlices(kernel, items, caller)) {
      const submitSlice = (slice: NumberSlice, timeout: number | undefined): Future<unknown[]> => {
        engine.core.checkOpen();
        checkNumberSlice(kernel, slice);
        return engine.enqueue(kernel, undefined, slice.view, timeout, undefined) as Future<unknown[]>;
      };
      return sourceMap(numberSlices(items, caller), submitSlice, options, this.maxWorkers, MAX_ITEMS_PER_TASK, chunks, true, (items as ArrayLike<unknown>).length);
    }
    // A one-argument kernel's items travel as bare values: no array per item.
    const toArgs =
      kernel.arity === 1
        ? (item: unknown): unknown => {
            if (!Array.isArray(item)) return kernel.validateValue(item);
            return kernel.checkedArgs(item)[0];
          }
        : (item: unknown): unknown => kernel.checkedArgs(kernel.arity === 0 ? NO_ARGS : item);
    const submitChunk = (chunk: unknown[], timeout: number | undefined): Future<unknown[]> => {
      engine.core.checkOpen();
      return engine.enqueue(kernel, undefined, chunk, timeout, undefined) as Future<unknown[]>;
    };
    return orderedMap(toArgs, submitChunk, items, options, this.maxWorkers, MAX_ITEMS_PER_TASK, chunks, true);
  }

  /**
   * Stops taking tasks; afterwards submit throws PoolShutdownError. `cancelFutures`
   * cancels what is queued, `cancelRunning` also stops running tasks at their next
   * checkpoint. With `wait` (default) it resolves when every task has ended.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#engine.shutdown(checkShutdownOptions(options));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** True after shutdown(). */
  get isShutdown(): boolean {
    return this.#engine.core.shuttingDown;
  }

  get name(): string {
    return this.#engine.core.name;
  }

  stats(): PoolStats {
    const engine = this.#engine;
    const [queued, active] = engine.counts();
    return { ...engine.core.commonStats(active, queued), workers: this.maxWorkers, callerRuns: engine.callerRuns };
  }

  /** Share of the workers' time spent running tasks since the pool was created, 0..1. */
  utilization(): number {
    const elapsedNs = (performance.now() - this.#createdAt) * 1e6 * this.maxWorkers;
    return elapsedNs <= 0 ? 0 : Math.min(1, this.#engine.runNsTotal / elapsedNs);
  }

  /** Global-lock counters of this pool's threads (zeros without the lock). */
  lockStats(): LockStats {
    return this.#engine.lockStats();
  }
}
