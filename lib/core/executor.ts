// The Executor interface every pool implements, its option types, and the helpers the
// pools share: option checks and the ordered, bounded, cancellable map.
import { CancelledError, TimeoutError } from './errors';
import { checkTimeout, describe, Future } from './future';

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
  /** Items sent (and run) together as one task. Default 1. */
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
  shutdown(options?: ShutdownOptions): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface CheckedSubmitOptions {
  timeout: number | undefined;
  runTimeout: number | undefined;
  signal: AbortSignal | undefined;
}

const NO_OPTIONS: CheckedSubmitOptions = Object.freeze({ timeout: undefined, runTimeout: undefined, signal: undefined });

/**
 * Checks that `options` is undefined or an object with only `known` keys: a misspelt
 * option (`timout`) must be a TypeError that names it, not silently ignored.
 */
export function checkOptions<T>(options: T | undefined, known: readonly string[], what: string): T | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${what} options must be an object, got ${describe(options)}`);
  }
  for (const key in options) {
    if (!known.includes(key)) {
      throw new TypeError(`${what}: unknown option '${key}' (expected ${known.map((k) => `'${k}'`).join(', ')})`);
    }
  }
  return options;
}

export const SUBMIT_OPTION_KEYS: readonly string[] = ['timeout', 'runTimeout', 'signal'];

export function checkSubmitOptions(options: SubmitOptions | undefined, known = SUBMIT_OPTION_KEYS): CheckedSubmitOptions {
  options = checkOptions(options, known, 'submit');
  if (options === undefined) return NO_OPTIONS;
  const signal = checkSignal(options.signal);
  return {
    timeout: checkTimeout(options.timeout, 'options.timeout'),
    runTimeout: checkTimeout(options.runTimeout, 'options.runTimeout'),
    signal,
  };
}

export function checkCount(value: unknown, name: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (value !== Infinity && !Number.isInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  if (value < min) throw new RangeError(`${name} must be >= ${min}, got ${value}`);
  return value;
}

function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return signal;
}

/** The arguments of a task that takes none; shared, never written. */
export const NO_ARGS: readonly unknown[] = Object.freeze([]);

export function checkShutdownOptions(options: ShutdownOptions | undefined): Required<ShutdownOptions> {
  checkOptions(options, ['wait', 'cancelFutures', 'cancelRunning'], 'shutdown');
  const flag = (name: keyof ShutdownOptions, fallback: boolean): boolean => {
    const value = options?.[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new TypeError(`shutdown: options.${name} must be a boolean, got ${describe(value)}`);
    return value;
  };
  return { wait: flag('wait', true), cancelFutures: flag('cancelFutures', false), cancelRunning: flag('cancelRunning', false) };
}

// One 'abort' listener per signal, whatever the number of tasks it guards: a signal is
// meant to be shared by many tasks (the stop flag), and thousands of listeners on one
// EventTarget would both trip MaxListenersExceededWarning and make removal quadratic.
const linked = new WeakMap<AbortSignal, Set<Future<unknown>>>();

/** Cancels `future` when `signal` aborts; forgets it once the future is done. */
export function linkSignal(future: Future<unknown>, signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (signal.aborted) {
    future.cancel();
    return;
  }
  let futures = linked.get(signal);
  if (futures === undefined) {
    const set = new Set<Future<unknown>>();
    futures = set;
    linked.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        linked.delete(signal);
        for (const f of [...set]) f.cancel();
      },
      { once: true },
    );
  }
  futures.add(future);
  const set = futures;
  future.addDoneCallback(() => {
    set.delete(future);
  });
}

/** Submits one chunk of items (each item an argument tuple) as one task. */
export type ChunkSubmitter<R, A = unknown[]> = (chunk: A[], timeout: number | undefined) => Future<R[]>;

/**
 * Python's Executor.map for any pool: results in input order, chunks of `chunksize`
 * items per task, at most `buffersize` items in flight, an overall timeout, and early
 * exit (break, error, abort, timeout) cancels everything still outstanding.
 */
export function orderedMap<R, A = unknown[]>(
  toArgs: (item: unknown) => A,
  submitChunk: ChunkSubmitter<R, A>,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  options: MapOptions | undefined,
  parallelism = 1, // workers or concurrency slots: sizes the default buffer
): AsyncGenerator<R, void, undefined> {
  // Checked here, not in the generator, so that bad options throw at the call to map()
  // (as for submit) instead of at the first next().
  checkOptions(options, ['timeout', 'chunksize', 'buffersize', 'signal'], 'map');
  const chunksize = checkCount(options?.chunksize, 'options.chunksize', 1, 1);
  const chunkFill = 8 * chunksize * Math.max(1, parallelism);
  const buffersize = checkCount(options?.buffersize, 'options.buffersize', 1, Math.max(4096, chunkFill));
  const timeout = checkTimeout(options?.timeout, 'options.timeout');
  const signal = checkSignal(options?.signal);
  return flatten(mapInOrder(toArgs, submitChunk, items, chunksize, buffersize, timeout, signal));
}

/**
 * Hands out a chunk's results one by one from a plain iterator: resuming an async
 * generator per item would cost more than the item itself for tiny kernels.
 * return() reaches the chunk generator, whose finally cancels what is outstanding.
 */
function flatten<R>(chunks: AsyncGenerator<R[], void, undefined>): AsyncGenerator<R, void, undefined> {
  let buffer: R[] = [];
  let index = 0;
  const done = (): IteratorReturnResult<void> => ({ value: undefined, done: true });
  const next = (): Promise<IteratorResult<R, void>> => {
    if (index < buffer.length) return Promise.resolve({ value: buffer[index++]!, done: false });
    return chunks.next().then((step): IteratorResult<R, void> | Promise<IteratorResult<R, void>> => {
      if (step.done) return done();
      buffer = step.value;
      index = 0;
      return next();
    });
  };
  const iterator: AsyncGenerator<R, void, undefined> = {
    next,
    return: async () => {
      buffer = [];
      await chunks.return(undefined);
      return done();
    },
    throw: async (error: unknown) => {
      buffer = [];
      await chunks.throw(error);
      return done();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    [Symbol.asyncDispose]: async () => {
      await iterator.return(undefined);
    },
  };
  return iterator;
}

async function* mapInOrder<R, A>(
  toArgs: (item: unknown) => A,
  submitChunk: ChunkSubmitter<R, A>,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  chunksize: number,
  buffersize: number,
  timeout: number | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<R[], void, undefined> {
  const deadline = timeout === undefined ? undefined : performance.now() + timeout;
  const remaining = (): number | undefined => (deadline === undefined ? undefined : Math.max(0, deadline - performance.now()));

  const asyncSource = (items as AsyncIterable<unknown>)[Symbol.asyncIterator] !== undefined;
  const iterator = asyncSource
    ? (items as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (items as Iterable<unknown>)[Symbol.iterator]();
  const pending: { future: Future<R[]>; size: number }[] = [];
  let head = 0;
  let inFlight = 0;
  let exhausted = false;

  const stop = (): Error | undefined => {
    if (signal?.aborted) return new CancelledError('map was aborted by its signal', { cause: signal.reason });
    if (deadline !== undefined && performance.now() >= deadline) {
      return new TimeoutError(`map did not finish within ${timeout} ms`);
    }
    return undefined;
  };

  try {
    for (;;) {
      // Fill: submit chunks until the buffer is full or the input ends.
      while (!exhausted && inFlight < buffersize) {
        const room = Math.min(chunksize, buffersize - inFlight);
        const chunk: A[] = [];
        while (chunk.length < room) {
          const step = asyncSource ? await (iterator.next() as Promise<IteratorResult<unknown>>) : (iterator.next() as IteratorResult<unknown>);
          if (step.done) {
            exhausted = true;
            break;
          }
          chunk.push(toArgs(step.value));
        }
        if (chunk.length === 0) break;
        const stopped = stop();
        if (stopped) throw stopped;
        pending.push({ future: submitChunk(chunk, remaining()), size: chunk.length });
        inFlight += chunk.length;
      }
      if (head === pending.length) return;
      // It stays in `pending` while awaited, so that an abort or timeout in the wait
      // cancels it too (in the finally below).
      const next = pending[head]!;
      const results = await waitFor(next.future, remaining(), signal, timeout);
      pending[head++] = undefined as never;
      if (head > 1024 && head * 2 > pending.length) {
        pending.splice(0, head);
        head = 0;
      }
      inFlight -= next.size;
      yield results;
    }
  } finally {
    for (let i = head; i < pending.length; i++) pending[i]?.future.cancel();
    if (!exhausted) await (iterator.return?.() as unknown);
  }
}

function waitFor<R>(future: Future<R>, remainingMs: number | undefined, signal: AbortSignal | undefined, timeout: number | undefined): Promise<R> {
  if (future.done() || (remainingMs === undefined && signal === undefined)) return future.result();
  return new Promise<R>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => finish(new CancelledError('map was aborted by its signal', { cause: signal?.reason }));
    const finish = (error?: Error, value?: R): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value as R);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (remainingMs !== undefined) {
      timer = setTimeout(() => finish(new TimeoutError(`map did not finish within ${timeout} ms`)), remainingMs);
    }
    future.result().then(
      (v) => finish(undefined, v),
      (e: Error) => finish(e),
    );
  });
}
