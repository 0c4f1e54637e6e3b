// Reacting to an AbortSignal that many tasks share: one signal is meant to guard many tasks.
import type { Future } from './future';

// One 'abort' listener per signal, whatever the number of tasks or waiters it guards: a
// signal is meant to be shared by many tasks (the stop flag), and thousands of listeners on
// one EventTarget would both trip MaxListenersExceededWarning and make removal quadratic.
const reactions = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `react` once when `signal` aborts (never if it already has: the caller checks
 * `signal.aborted` first). Returns the function that forgets `react`.
 */
export function onAbort(signal: AbortSignal, react: () => void): () => void {
  let set = reactions.get(signal);
  if (set === undefined) {
    const fresh = new Set<() => void>();
    set = fresh;
    reactions.set(signal, fresh);
    signal.addEventListener(
      'abort',
      () => {
        reactions.delete(signal);
        for (const reaction of [...fresh]) reaction();
      },
      { once: true },
    );
  }
  const mine = set;
  mine.add(react);
  return () => {
    mine.delete(react);
  };
}

/** Cancels `future` when `signal` aborts; forgets it once the future is done. */
export function linkSignal(future: Future<unknown>, signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (signal.aborted) {
    future._cancelBecause(signal.reason);
    return;
  }
  const forget = onAbort(signal, () => future._cancelBecause(signal.reason));
  future.addDoneCallback(forget);
}
