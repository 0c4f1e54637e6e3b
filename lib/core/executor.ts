// The Executor interface every pool implements and its option types: the contract only.
// What the pools share in code lives beside it: validate.ts (option checks), map.ts
// (the ordered map), link-signal.ts, pool-core.ts.
import type { Future } from './future';

export interface SubmitOptions {
  /** Deadline in ms from submit: a queued task never runs, a running one is stopped. */
  timeout?: number;
  /** Deadline in ms from the moment the task starts running. */
  runTimeout?: number;
  /** Aborting it cancels the task, like `future.cancel()`. One signal can stop many tasks. */
  signal?: AbortSignal;
}

export interface MapOptions {
  /** Overall deadline in ms from the call to map(): the iteration rejects with TimeoutError. */
  timeout?: number;
  /** Items sent (and run) together as one task. Default 1; NativePool's map without it
   * grows its chunks 1, 2, 4, ... up to 128 items (a quarter of each worker's share at most). */
  chunksize?: number;
  /**
   * Most items in flight (submitted, not yet consumed). Default max(4096, 8 x chunksize x
   * the pool's parallelism): bounded, so an endless input maps in bounded memory and
   * yields from the start. `Infinity` reads the whole input first, as Python's map did
   * before 3.14.
   */
  buffersize?: number;
  /** Aborting it cancels what is outstanding; the iteration rejects with CancelledError. */
  signal?: AbortSignal;
}

export interface ShutdownOptions {
  /** Resolve only when every task has ended. Default true. */
  wait?: boolean;
  /** Cancel the tasks still queued (Python's cancel_futures). Default false. */
  cancelFutures?: boolean;
  /** Also raise the cancel flag of running tasks (Java's shutdownNow). Default false. */
  cancelRunning?: boolean;
}

/** The contract shared by NativePool and IoPool: move a task between them by changing one line. */
export interface Executor<Task, Args extends readonly unknown[] = readonly unknown[], Result = unknown> {
  submit(task: Task, args: Args, options?: SubmitOptions): Future<Result>;
  map(task: Task, items: Iterable<unknown> | AsyncIterable<unknown>, options?: MapOptions): AsyncIterableIterator<Result>;
  /** map, yielding each chunk's results as one array (`chunksize` of them; the last chunk's may be fewer), in input order. */
  mapChunks(task: Task, items: Iterable<unknown> | AsyncIterable<unknown>, options?: MapOptions): AsyncIterableIterator<Result[]>;
  shutdown(options?: ShutdownOptions): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
