// Cancelling Futures when an AbortSignal aborts: one signal is meant to guard many tasks.
import type { Future } from './future';

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
