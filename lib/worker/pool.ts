// WorkerPool: the user's own JavaScript or TypeScript on worker_threads, behind the same
// Future and Executor API as NativePool and IoPool. This is the public facade: it checks
// what the user passes (options.ts; task-table.ts names the task) and hands the task to its
// private engine (engine.ts), which runs the workers and settles the Futures.
import type { Executor, MapOptions, ShutdownOptions } from '../core/executor';
import type { Future } from '../core/future';
import type { FutureHandle } from '../core/future-handle';
import { orderedMap } from '../core/map';
import { checkItems } from '../core/pool-core';
import { checkShutdownOptions, describe } from '../core/validate';
import type { WorkerTask, WorkerTaskContext } from './context';
import { WorkerEngine } from './engine';
import { AnyTaskFn, ArgsOf, checkArgs, checkWorkerPoolOptions, readArgs, ResultOf, TaskHandle, TaskNames, WorkerPoolOptions, WorkerPoolStats, WorkerSubmitOptions } from './options';
import { CHUNK_PREFIX, TaskKey } from './protocol';

export type { WorkerTask, WorkerTaskContext };
export type { TaskHandle, TaskNames, WorkerPoolOptions, WorkerPoolStats, WorkerSubmitOptions };

// What corepool's own modules may ask a pool that its users cannot (set in the class's static block).
let engineOf: (pool: WorkerPool<unknown>) => WorkerEngine;

/** @internal The names of the function exports of `pool`'s task module (the queue worker serves them). */
export function moduleExports(pool: WorkerPool<unknown>): Promise<string[]> {
  return engineOf(pool).moduleExports();
}

export class WorkerPool<M = Record<string, AnyTaskFn>> implements Executor<TaskHandle<readonly unknown[], unknown> | WorkerTask<never[], unknown>> {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly idleTimeout: number;
  readonly killAfter: number;
  /** The task module as a URL, or undefined for a pool of self-contained functions. */
  readonly module: string | undefined;
  readonly #engine: WorkerEngine;

  static {
    engineOf = (pool) => pool.#engine;
  }

  constructor(options: WorkerPoolOptions = {}) {
    const config = checkWorkerPoolOptions(options);
    this.minWorkers = config.minWorkers;
    this.maxWorkers = config.maxWorkers;
    this.idleTimeout = config.idleTimeout;
    this.killAfter = config.killAfter;
    this.module = config.module;
    this.#engine = new WorkerEngine(config, options.name);
  }

  /** A typed handle on the module's export `name`; submit(pool.task('x'), args) is checked
   * against its signature. */
  task<K extends TaskNames<M>>(name: K): TaskHandle<ArgsOf<M[K]>, ResultOf<M[K]>> {
    this.#engine.tasks.checkExport(name, 'task');
    return Object.freeze({ name });
  }

  /** Runs the task in a worker: an export's handle, or a self-contained function (shipped by
   * its source: it may use globals and its arguments, nothing it closes over). `args` is
   * read at once (reusing the array afterwards is safe); objects inside it are cloned at
   * the end of the tick, when the batch is posted. */
  submit<A extends readonly unknown[], R>(task: TaskHandle<A, R> | WorkerTask<A, R>, args: A, options?: WorkerSubmitOptions): Future<Awaited<R>> {
    const engine = this.#engine;
    const { key, name, source } = engine.tasks.resolve(task, 'submit');
    if (!Array.isArray(args)) throw new TypeError(`submit: args of task '${name}' must be an array, got ${describe(args)}`);
    return engine.enqueue(key, name, source, readArgs(name, args), options) as Future<Awaited<R>>;
  }

  /** submit() behind a promise, as every pool has it (a WorkerPool queue is unbounded, so it never waits). */
  submitWhenReady<A extends readonly unknown[], R>(task: TaskHandle<A, R> | WorkerTask<A, R>, args: A, options?: WorkerSubmitOptions): Promise<FutureHandle<Awaited<R>>> {
    return this.#engine.core.submitWhenReady(
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
    const engine = this.#engine;
    const { key, name, source } = engine.tasks.resolve(task, chunks ? 'mapChunks' : 'map');
    checkItems(items, chunks ? 'mapChunks' : 'map');
    const chunkKey: TaskKey = typeof key === 'number' ? -key - 1 : CHUNK_PREFIX + key;
    const submitChunk = (chunk: unknown[][], timeout: number | undefined): Future<Awaited<R>[]> => {
      for (const itemArgs of chunk) checkArgs(name, itemArgs);
      return engine.enqueue(chunkKey, name, source, [chunk], timeout === undefined ? undefined : { timeout }) as Future<Awaited<R>[]>;
    };
    return orderedMap<Awaited<R>>((item) => [item], submitChunk, items, options, this.maxWorkers, Infinity, chunks);
  }

  /**
   * Stops taking tasks (submit throws PoolShutdownError), as every pool: `cancelFutures`
   * cancels queued tasks, `cancelRunning` also sets running tasks' stop bits; with `wait`
   * (default) it resolves once every Future has settled. Then the workers end.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#engine.shutdown(checkShutdownOptions(options));
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

  stats(): WorkerPoolStats {
    const engine = this.#engine;
    const [active, queued] = engine.counts();
    return {
      ...engine.core.commonStats(active, queued),
      workers: engine.dispatch.threads.length,
      killed: engine.failures.killed,
      crashed: engine.failures.crashed,
    };
  }
}
