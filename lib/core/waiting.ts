// asCompleted and wait: Python's as_completed and wait over Futures of any pool.
import { TimeoutError } from './errors';
import { Future } from './future';
import type { FutureHandle } from './future-handle';
import { clearLongTimeout, LongTimer, setLongTimeout } from './timers';
import { checkOptions, checkTimeout, describe } from './validate';

export type ReturnWhen = 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';

export interface AsCompletedOptions {
  /** ms from the call: the iteration then rejects with TimeoutError. */
  timeout?: number;
}

export interface WaitForOptions {
  timeout?: number;
  returnWhen?: ReturnWhen;
}

export interface DoneAndNotDone<T> {
  done: Set<Future<T>>;
  notDone: Set<Future<T>>;
}

/** The futures as given, duplicates kept, each checked to be a Future (the iterable is read once). */
function toList<T>(futures: Iterable<Future<T>>, fn: string): Future<T>[] {
  if (futures === null || typeof futures !== 'object' || !(Symbol.iterator in futures)) {
    throw new TypeError(`${fn}: futures must be an iterable of Futures, got ${describe(futures)}`);
  }
  const bad = (f: unknown): TypeError => new TypeError(`${fn}: every item must be a Future, got ${describe(f)}`);
  if (Array.isArray(futures) && futures[Symbol.iterator] === ARRAY_VALUES) {
    // A plain array (the usual case): indexed, into a list of the final size, with no
    // iterator object and no growing (per future, this loop was 5% of wait()'s profile).
    const n = futures.length;
    const list = new Array<Future<T>>(n);
    for (let i = 0; i < n; i++) {
      const f: unknown = futures[i];
      if (!(f instanceof Future)) throw bad(f);
      list[i] = f as Future<T>;
    }
    return list;
  }
  const list: Future<T>[] = [];
  for (const f of futures) {
    if (!(f instanceof Future)) throw bad(f);
    list.push(f);
  }
  return list;
}

// An array whose iterator is this one iterates as its indices say.
const ARRAY_VALUES = Array.prototype[Symbol.iterator];

/**
 * wait()'s answer once every future is done. None can change any more, so the Set of them
 * (duplicates removed, as Python's wait removes them) is made only when `done` is read:
 * for many futures it cost more than all the waiting (`const { notDone } = await wait(fs)`
 * never needs it).
 */
function allDone<T>(list: Future<T>[]): DoneAndNotDone<T> {
  let done: Set<Future<T>> | undefined;
  return {
    get done(): Set<Future<T>> {
      return (done ??= new Set(list));
    },
    set done(value: Set<Future<T>>) {
      done = value;
    },
    notDone: new Set(),
  };
}

/**
 * Yields the futures as they complete (finished or cancelled), first done first, each
 * as its handle (`future.handle`): a Future without `then`, so that TypeScript, which
 * awaits every `for await` item in its types, still sees a Future; `.future` is the
 * Future itself.
 */
export function asCompleted<T>(futures: Iterable<Future<T>>, options?: AsCompletedOptions): AsyncIterableIterator<FutureHandle<T>> {
  const list = [...new Set(toList(futures, 'asCompleted'))];
  checkOptions(options, ['timeout'], 'asCompleted');
  const timeout = checkTimeout(options?.timeout, 'options.timeout');
  const ready: Future<T>[] = []; // in completion order; ready[handed] is the next to hand out
  let handed = 0; // futures given to a next() call, answered or still waiting
  let closed = false; // return() was called, or the deadline passed
  let timedOut: Error | undefined;
  // next() calls made before their Future was done, in call order: each gets its own.
  const waiters: { resolve: (r: IteratorResult<FutureHandle<T>, undefined>) => void; reject: (e: Error) => void }[] = [];
  let timer: LongTimer | undefined;
  const end = (): void => {
    closed = true;
    clearLongTimeout(timer);
    timer = undefined;
    // Returned or timed out: nothing may stay registered on the futures still running.
    if (ready.length < list.length) for (const f of list) if (!f.done()) f._removeDoneCallback(onDone);
  };
  const onDone = (f: Future<T>): void => {
    if (closed) return;
    ready.push(f);
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter.resolve({ value: f.handle, done: false });
    if (ready.length === list.length) end(); // nothing left to time out
  };
  for (const f of list) f.addDoneCallback(onDone);
  if (timeout !== undefined && ready.length < list.length) {
    timer = setLongTimeout(() => {
      timedOut = new TimeoutError(`${list.length - ready.length} (of ${list.length}) futures unfinished after ${timeout} ms`);
      end();
      for (const w of waiters.splice(0)) w.reject(timedOut);
    }, timeout);
  }
  // A hand-written iterator: an async generator's yield awaits what it yields.
  const next = (): Promise<IteratorResult<FutureHandle<T>, undefined>> => {
    if (handed < ready.length) return Promise.resolve({ value: ready[handed++]!.handle, done: false });
    if (timedOut !== undefined) return Promise.reject(timedOut);
    if (closed || handed >= list.length) return Promise.resolve({ value: undefined, done: true });
    handed++;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  const iterator: AsyncIterableIterator<FutureHandle<T>> = {
    next,
    return: () => {
      // As a generator's return(): the iteration is over, for calls still waiting too.
      handed = list.length;
      ready.length = 0;
      timedOut = undefined;
      end();
      for (const w of waiters.splice(0)) w.resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Waits until `returnWhen` holds or `timeout` ms pass; never rejects on timeout. */
export function wait<T>(futures: Iterable<Future<T>>, options?: WaitForOptions): Promise<DoneAndNotDone<T>> {
  // Duplicates stay: each entry is counted once when its future is done, so all entries
  // done means all futures done, with no Set to build while waiting.
  const list = toList(futures, 'wait');
  checkOptions(options, ['timeout', 'returnWhen'], 'wait');
  const timeout = checkTimeout(options?.timeout, 'options.timeout');
  const returnWhen = options?.returnWhen ?? 'ALL_COMPLETED';
  if (returnWhen !== 'FIRST_COMPLETED' && returnWhen !== 'FIRST_EXCEPTION' && returnWhen !== 'ALL_COMPLETED') {
    throw new TypeError(`wait: options.returnWhen must be 'FIRST_COMPLETED', 'FIRST_EXCEPTION' or 'ALL_COMPLETED', got ${describe(returnWhen)}`);
  }
  const split = (): DoneAndNotDone<T> => {
    if (doneCount === list.length) return allDone(list);
    const done = new Set<Future<T>>();
    const notDone = new Set<Future<T>>();
    for (const f of list) (f.done() ? done : notDone).add(f);
    return { done, notDone };
  };
  // Counted once per completion, so waiting on many futures stays linear.
  let doneCount = 0;
  let failed = false;
  const note = (f: Future<T>): void => {
    doneCount++;
    if (!f.cancelled() && f._peekError() !== undefined) failed = true;
  };
  const satisfied = (): boolean =>
    doneCount === list.length ||
    (returnWhen === 'FIRST_COMPLETED' && doneCount > 0) ||
    (returnWhen === 'FIRST_EXCEPTION' && failed);
  for (let i = 0; i < list.length; i++) if (list[i]!.done()) note(list[i]!);
  if (satisfied()) return Promise.resolve(split());
  return new Promise((resolve) => {
    let finished = false;
    let timer: LongTimer | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearLongTimeout(timer);
      // Returned early (timeout, FIRST_*): as Python's wait(), take the callback off the
      // futures still running, or a polling loop would pile them up until they settle.
      if (doneCount < list.length) for (let i = 0; i < list.length; i++) if (!list[i]!.done()) list[i]!._removeDoneCallback(onDone);
      resolve(split());
    };
    // One shared callback (it receives the future) rather than a closure per future;
    // ALL_COMPLETED, the usual case, only counts.
    const onDone =
      returnWhen === 'ALL_COMPLETED'
        ? (): void => {
            if (++doneCount === list.length) finish();
          }
        : (f: Future<T>): void => {
            note(f);
            if (!finished && satisfied()) finish();
          };
    for (let i = 0; i < list.length; i++) if (!list[i]!.done()) list[i]!.addDoneCallback(onDone);
    if (timeout !== undefined) timer = setLongTimeout(finish, timeout);
  });
}
