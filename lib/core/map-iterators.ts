// The iterators map hands out (map.ts): flatten (item by item from chunk arrays, without
// an async generator step per item) and closable (return() that reaches a generator
// suspended in an await). Plain objects: an async generator would queue return() behind
// the next() in flight, and resuming one per item costs more than a tiny kernel.

export const NOOP = (): void => undefined;
export const CLOSED = Symbol('closed');

/** Lets return() reach into a generator suspended in an await (an async generator queues
 * return() behind the next() in flight): it cancels what is outstanding at once and wakes
 * the generator, which then ends. */
export class Closer {
  closed = false;
  cancel: () => void = NOOP;
  private wake: () => void = NOOP;
  /** Resolves when close() is called. A fresh promise per wait, replacing the one before:
   * reactions do not pile up on one promise over a long map. */
  closing(): Promise<typeof CLOSED> {
    return new Promise((resolve) => (this.wake = () => resolve(CLOSED)));
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancel();
    this.wake();
  }
}

export function closable<T>(gen: AsyncGenerator<T, void, undefined>, closer: Closer): AsyncGenerator<T, void, undefined> {
  const iterator: AsyncGenerator<T, void, undefined> = {
    next: () => gen.next(),
    return: (value?: void | PromiseLike<void>) => {
      closer.close();
      return gen.return(value as void);
    },
    throw: (error: unknown) => {
      closer.close();
      return gen.throw(error);
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

/**
 * Hands out a chunk's results one by one from a plain iterator: resuming an async
 * generator per item would cost more than the item itself for tiny kernels.
 * return() reaches the chunk generator, whose finally cancels what is outstanding.
 */
export function flatten<R>(chunks: AsyncGenerator<R[], void, undefined>): AsyncGenerator<R, void, undefined> {
  let buffer: R[] = [];
  let index = 0;
  const done = (): IteratorReturnResult<void> => ({ value: undefined, done: true });
  const step = (): Promise<IteratorResult<R, void>> => {
    if (index < buffer.length) return Promise.resolve({ value: buffer[index++]!, done: false });
    return chunks.next().then((chunk): IteratorResult<R, void> | Promise<IteratorResult<R, void>> => {
      if (chunk.done) return done();
      buffer = chunk.value;
      index = 0;
      return step();
    });
  };
  // next() calls made before the previous one settled (Promise.all over next(), a
  // prefetching consumer) are served in order, each after the one before, as an async
  // generator queues them: they share one buffer.
  let last: Promise<unknown> | undefined;
  const next = (): Promise<IteratorResult<R, void>> => {
    if (last === undefined && index < buffer.length) return Promise.resolve({ value: buffer[index++]!, done: false });
    const result = last === undefined ? step() : last.then(step, step);
    last = result;
    const clear = (): void => {
      if (last === result) last = undefined;
    };
    result.then(clear, clear);
    return result;
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
