// FutureHandle<T>: a Future seen without `then`. A Future is thenable, so TypeScript's
// Awaited rule (applied by `await` and by `for await`) turns a Future into its result
// type; at run time neither a `for await` loop nor a resolved Promise can carry a
// thenable without unwrapping it or lying about it. What asCompleted yields and what
// submitWhenReady resolves with is therefore this handle: everything a Future offers but
// `then`, and `future` for the Future itself (to await it, or as a key it was stored under).
import { inspect } from 'node:util';

import type { Future, FutureState, WaitOptions } from './future';

export class FutureHandle<T> {
  /** The Future itself: the object `submit` returned. */
  readonly future: Future<T>;

  /** `future.handle` gives the one handle of a Future; a handle made here works alike. */
  constructor(future: Future<T>) {
    this.future = future;
  }

  get task(): string {
    return this.future.task;
  }

  get state(): FutureState {
    return this.future.state;
  }

  get cancelRequested(): boolean {
    return this.future.cancelRequested;
  }

  done(): boolean {
    return this.future.done();
  }

  running(): boolean {
    return this.future.running();
  }

  cancelled(): boolean {
    return this.future.cancelled();
  }

  cancel(): boolean {
    return this.future.cancel();
  }

  result(options?: WaitOptions): Promise<T> {
    return this.future.result(options);
  }

  exception(options?: WaitOptions): Promise<Error | undefined> {
    return this.future.exception(options);
  }

  /** `fn` receives the Future. */
  addDoneCallback(fn: (future: Future<T>) => void): void {
    this.future.addDoneCallback(fn);
  }

  toString(): string {
    return this.future.toString();
  }

  [inspect.custom](): string {
    return this.future.toString();
  }
}
