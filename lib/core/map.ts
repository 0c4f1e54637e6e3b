// Python's Executor.map, written once for every pool.
import { CancelledError, TimeoutError } from './errors';
import type { MapOptions } from './executor';
import type { Future } from './future';
import { CLOSED, closable, Closer, flatten, NOOP } from './map-iterators';
import { type ChunkSource, itemSource } from './map-source';
import { clearLongTimeout, LongTimer, setLongTimeout } from './timers';
import { checkCount, checkOptions, checkSignal, checkTimeout } from './validate';

/** Submits one chunk (`chunk.length` items) as one task. */
export type ChunkSubmitter<R, C = unknown[][]> = (chunk: C, timeout: number | undefined) => Future<R[]>;

/**
 * Python's Executor.map for any pool: results in input order, chunks of `chunksize`
 * items per task, at most `buffersize` items in flight, an overall timeout, and early
 * exit (break, error, abort, timeout) cancels everything still outstanding. With
 * `chunks` it yields each chunk's results as one array (mapChunks), else item by item.
 */
export function orderedMap<R, A = unknown[]>(
  toArgs: (item: unknown) => A,
  submitChunk: ChunkSubmitter<R, A[]>,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  options: MapOptions | undefined,
  parallelism?: number,
  maxChunksize?: number,
  chunks?: false,
): AsyncGenerator<R, void, undefined>;
export function orderedMap<R, A = unknown[]>(
  toArgs: (item: unknown) => A,
  submitChunk: ChunkSubmitter<R, A[]>,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  options: MapOptions | undefined,
  parallelism: number,
  maxChunksize: number,
  chunks: boolean,
  growChunks?: boolean,
): AsyncGenerator<R, void, undefined> | AsyncGenerator<R[], void, undefined>;
export function orderedMap<R, A = unknown[]>(
  toArgs: (item: unknown) => A,
  submitChunk: ChunkSubmitter<R, A[]>,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  options: MapOptions | undefined,
  parallelism = 1, // workers or concurrency slots: sizes the default buffer
  maxChunksize = Infinity, // the most items the pool takes in one task
  chunks = false,
  growChunks = false, // see sourceMap
): AsyncGenerator<R, void, undefined> | AsyncGenerator<R[], void, undefined> {
  const length = Array.isArray(items) ? items.length : undefined;
  // Not over an async source: a grown chunk would hold back items already read while the
  // source pauses (the take waits to fill it).
  const grow = growChunks && (items as AsyncIterable<unknown>)[Symbol.asyncIterator] === undefined;
  return sourceMap(itemSource(items, toArgs), submitChunk, options, parallelism, maxChunksize, chunks, grow, length);
}

// A growing default chunk stops at this many items: a task's fixed cost is then a small
// share of each item's, and a slow kernel's results still come in steps of a few items.
const GROWN_CHUNK_MAX = 128;

/**
 * The chunk sizes of map without `chunksize` on a pool that grows them (NativePool): 1, 2,
 * 4, ... up to GROWN_CHUNK_MAX items, and, for an input of known length, to at most a
 * quarter of each worker's share (as multiprocessing.Pool.map sizes its chunks), so that
 * the first result comes after one item and the workers still end together. One task per
 * item costs far more than a tiny kernel does (a Future, a slot, a completion).
 */
function grownChunkMax(length: number | undefined, parallelism: number, maxChunksize: number): number {
  const share = length === undefined ? GROWN_CHUNK_MAX : Math.floor(length / (4 * Math.max(1, parallelism)));
  return Math.max(1, Math.min(GROWN_CHUNK_MAX, share, maxChunksize));
}

/** orderedMap over chunks a pool takes from its input itself (see ChunkSource). */
export function sourceMap<R, C extends { readonly length: number }>(
  source: ChunkSource<C>,
  submitChunk: ChunkSubmitter<R, C>,
  options: MapOptions | undefined,
  parallelism: number,
  maxChunksize: number,
  chunks: boolean,
  // map without `chunksize` grows its chunks (grownChunkMax); mapChunks never does, since
  // there the chunk is the unit the caller gets.
  growChunks = false,
  length: number | undefined = undefined,
): AsyncGenerator<R, void, undefined> | AsyncGenerator<R[], void, undefined> {
  // Checked here, not in the generator, so that bad options throw at the call to map()
  // (as for submit) instead of at the first next().
  const caller = chunks ? 'mapChunks' : 'map';
  checkOptions(options, ['timeout', 'chunksize', 'buffersize', 'signal'], caller);
  const chunksize = checkCount(options?.chunksize, 'options.chunksize', 1, 1);
  if (chunksize > maxChunksize) {
    throw new RangeError(`${caller}: options.chunksize must be <= ${maxChunksize} (the most items one task of this pool takes), got ${chunksize}`);
  }
  const chunkFill = 8 * chunksize * Math.max(1, parallelism);
  const buffersize = checkCount(options?.buffersize, 'options.buffersize', 1, Math.max(4096, chunkFill));
  const timeout = checkTimeout(options?.timeout, 'options.timeout');
  const signal = checkSignal(options?.signal);
  const growTo = growChunks && !chunks && options?.chunksize === undefined ? grownChunkMax(length, parallelism, maxChunksize) : chunksize;
  // mapChunks yields exactly one array per chunk; map merges small finished chunks into
  // one yield, since it hands out items one by one anyway.
  const closer = new Closer();
  const results = closable(mapInOrder(source, submitChunk, chunksize, growTo, buffersize, timeout, signal, chunks ? 0 : MERGE_BELOW, closer), closer);
  return chunks ? results : flatten(results);
}

const HEAD_SETTLED = Symbol('head settled');

// Results of consecutive finished chunks are merged into one yield up to this many.
const MERGE_BELOW = 1024;

async function* mapInOrder<R, C extends { readonly length: number }>(
  source: ChunkSource<C>,
  submitChunk: ChunkSubmitter<R, C>,
  chunksize: number,
  growTo: number, // chunks double from `chunksize` up to this (equal: they never grow)
  buffersize: number,
  timeout: number | undefined,
  signal: AbortSignal | undefined,
  mergeBelow: number,
  closer: Closer,
): AsyncGenerator<R[], void, undefined> {
  const deadline = timeout === undefined ? undefined : performance.now() + timeout;
  const remaining = (): number | undefined => (deadline === undefined ? undefined : Math.max(0, deadline - performance.now()));

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

  // Refill once half the buffer has drained, not after every result: topping up by one
  // chunk per consumed chunk would send the pool one task per tick (batches of one).
  const refillAt = Math.floor(buffersize / 2);
  // A take from an async source still in flight, kept across yields: a slow source must
  // not hold back results that are ready (nor the signal, the timeout or return()).
  let taking: { chunk: Promise<C>; room: number } | undefined;
  closer.cancel = () => {
    for (let i = head; i < pending.length; i++) pending[i]?.future.cancel();
  };
  try {
    for (;;) {
      // Fill: submit chunks until the buffer is full or the input ends.
      while (!exhausted && inFlight < buffersize && (inFlight <= refillAt || head === pending.length)) {
        let room = Math.min(chunksize, buffersize - inFlight);
        let chunk: C;
        if (taking === undefined) {
          // Not awaited from a sync source: with chunksize 1 that would be a tick per item.
          const taken = source.take(room);
          if (taken instanceof Promise) {
            taken.catch(NOOP); // awaited below, maybe only after a yield or never (an early exit)
            taking = { chunk: taken, room };
          } else chunk = taken;
        }
        if (taking !== undefined) {
          room = taking.room;
          const waits: Promise<C | typeof HEAD_SETTLED | typeof CLOSED>[] = [taking.chunk, closer.closing()];
          if (head < pending.length) waits.push(pending[head]!.future.result().then(() => HEAD_SETTLED, () => HEAD_SETTLED));
          const arrived = await bounded(Promise.race(waits), remaining(), signal, timeout);
          if (arrived === CLOSED) return;
          if (arrived === HEAD_SETTLED) break; // yield it; the take goes on
          chunk = arrived;
          taking = undefined;
        }
        chunk = chunk!;
        if (chunk.length < room) exhausted = true;
        if (chunk.length === 0) break;
        const stopped = stop();
        if (stopped) throw stopped;
        const future = submitChunk(chunk, remaining());
        // The user never sees a chunk's Future: its error reaches them through the
        // iteration, or not at all (after an early exit), never as an unretrieved warning.
        future._markObserved();
        pending.push({ future, size: chunk.length });
        inFlight += chunk.length;
        if (chunksize < growTo) chunksize = Math.min(growTo, chunksize * 2);
      }
      if (head === pending.length) return;
      // It stays in `pending` while awaited, so that an abort or timeout in the wait
      // cancels it too (in the finally below).
      const next = pending[head]!;
      let results: R[];
      try {
        results = await waitFor(next.future, remaining(), signal, timeout);
      } catch (error) {
        if (closer.closed) return; // return() cancelled it: the iteration just ends
        throw error;
      }
      pending[head++] = undefined as never;
      inFlight -= next.size;
      // The chunks after it that have already succeeded go out in the same yield: one
      // resumption per completion batch rather than per chunk (with chunksize 1, per item).
      // A failed one is left to the await above, which throws its error in order. Big
      // chunks already amortize the resumption: they go out alone, uncopied.
      let copied = false;
      while (results.length < mergeBelow && head < pending.length) {
        const { future, size } = pending[head]!;
        if (!future.done() || future._peekError() !== undefined) break;
        if (!copied) {
          results = results.slice();
          copied = true;
        }
        const more = future._peekValue()!;
        for (let i = 0; i < more.length; i++) results.push(more[i]!);
        pending[head++] = undefined as never;
        inFlight -= size;
      }
      if (head > 1024 && head * 2 > pending.length) {
        pending.splice(0, head);
        head = 0;
      }
      yield results;
    }
  } finally {
    for (let i = head; i < pending.length; i++) pending[i]?.future.cancel();
    // An async generator's return() waits for the next() in flight: not awaited then, so
    // that a stalled source cannot hold the map's end (nor its error) back.
    if (taking !== undefined) Promise.resolve(source.close()).catch(NOOP);
    else if (!exhausted) await source.close();
  }
}

function waitFor<R>(future: Future<R>, remainingMs: number | undefined, signal: AbortSignal | undefined, timeout: number | undefined): Promise<R> {
  if (future.done()) return future.result();
  return bounded(future.result(), remainingMs, signal, timeout);
}

/** `promise`, or map's CancelledError / TimeoutError if the signal or the deadline comes first. */
function bounded<R>(promise: Promise<R>, remainingMs: number | undefined, signal: AbortSignal | undefined, timeout: number | undefined): Promise<R> {
  if (remainingMs === undefined && signal === undefined) return promise;
  return new Promise<R>((resolve, reject) => {
    let timer: LongTimer | undefined;
    const onAbort = (): void => finish(new CancelledError('map was aborted by its signal', { cause: signal?.reason }));
    const finish = (error?: Error, value?: R): void => {
      clearLongTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value as R);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (remainingMs !== undefined) {
      timer = setLongTimeout(() => finish(new TimeoutError(`map did not finish within ${timeout} ms`)), remainingMs);
    }
    promise.then(
      (v) => finish(undefined, v),
      (e: Error) => finish(e),
    );
  });
}
