// Where map's chunks come from (map.ts): an input's items read one by one, or a pool's own
// whole slices of it (NativePool over a typed array, native/typed-items.ts).

/**
 * Where map's chunks come from: an input's items read one by one (itemSource), or a pool's
 * own whole slices of it (NativePool over a typed array: no JS per item).
 */
export interface ChunkSource<C extends { readonly length: number }> {
  /** The next chunk of at most `room` items, read now; a shorter one means the input ended. */
  take(room: number): C | Promise<C>;
  /** Closes the input at an early exit (break, error, abort, timeout) before it ended. */
  close(): unknown;
}

/** Chunks of an iterable's (or async iterable's) items, each item turned into the task's
 * arguments by `toArgs` (which also checks it: a bad item throws here, in order). */
export function itemSource<A>(items: Iterable<unknown> | AsyncIterable<unknown>, toArgs: (item: unknown) => A): ChunkSource<A[]> {
  const asyncSource = (items as AsyncIterable<unknown>)[Symbol.asyncIterator] !== undefined;
  let iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  const open = (): Iterator<unknown> | AsyncIterator<unknown> =>
    (iterator ??= asyncSource ? (items as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (items as Iterable<unknown>)[Symbol.iterator]());
  // An iterator whose next() threw (or rejected) is done, by the protocol: it is not closed
  // as well, so that its return() cannot run, nor replace that error with one of its own.
  let broken = false;
  const broke = (error: unknown): never => {
    broken = true;
    throw error;
  };
  const pull = (): IteratorResult<unknown> | Promise<IteratorResult<unknown>> => {
    try {
      return open().next();
    } catch (error) {
      return broke(error);
    }
  };
  // Adds the step's item to the chunk; false once the input has ended.
  const add = (chunk: A[], step: IteratorResult<unknown>): boolean => {
    if (step.done) return false;
    chunk.push(toArgs(step.value));
    return true;
  };
  const takeSync = (room: number): A[] => {
    const chunk: A[] = [];
    while (chunk.length < room && add(chunk, pull() as IteratorResult<unknown>));
    return chunk;
  };
  const takeAsync = async (room: number): Promise<A[]> => {
    const chunk: A[] = [];
    while (chunk.length < room && add(chunk, await Promise.resolve(pull()).then(undefined, broke)));
    return chunk;
  };
  return { take: asyncSource ? takeAsync : takeSync, close: () => (broken ? undefined : iterator?.return?.()) };
}
