// What a WorkerPool task receives as its first argument, and its worker-side implementation.
import { CancelledError, TimeoutError } from '../core/errors';
import { CANCEL, STOP_BITS } from './protocol';

// Atomics.waitAsync (V8 8.7+, every Node this package supports) is typed in lib es2024 only.
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** The first argument of every WorkerPool task: `fn(ctx, ...args)`. It has no `attempt`:
 * a WorkerPool runs each task once (as Python's ProcessPoolExecutor); retries belong to
 * IoPool's `retry`. */
export interface WorkerTaskContext {
  /**
   * Throws the task's CancelledError or TimeoutError once it was cancelled or passed its
   * deadline; otherwise returns at once (one load from shared memory). Call it in loops.
   */
  checkpoint(): void;
  /** True once the task was cancelled or passed its deadline (checkpoint() would throw). */
  readonly stopped: boolean;
  /** Aborts when the task is cancelled or passes its deadline, for async tasks. */
  readonly signal: AbortSignal;
  /** Moves these ArrayBuffers to the caller with the result instead of copying them. */
  transfer(...buffers: ArrayBuffer[]): void;
}

/** A WorkerPool task: an export of the task module, or a self-contained function. */
export type WorkerTask<A extends readonly unknown[] = never[], R = unknown> = (ctx: WorkerTaskContext, ...args: A) => R;

/** @internal the worker side of a context; one per running task. */
export class Context implements WorkerTaskContext {
  controller: AbortController | undefined = undefined;
  transferList: ArrayBuffer[] | undefined = undefined;
  /** Set when the task ended (end()): the slot may already hold the next task's word. */
  finished = false;
  /** The task's stop bits when it ended: what a context kept past its task reads then. */
  private finalBits = 0;

  constructor(
    private readonly words: Int32Array,
    readonly slot: number,
    private readonly taskName: string,
    /** Epoch ms of the task's deadline (timeout or runTimeout, the earlier), 0 = none. */
    readonly deadlineAt: number,
  ) {}

  checkpoint(): void {
    const bits = this.finished ? this.finalBits : Atomics.load(this.words, this.slot) & STOP_BITS;
    if (bits !== 0) throw this.stopError(bits);
  }

  get stopped(): boolean {
    return (this.finished ? this.finalBits : Atomics.load(this.words, this.slot) & STOP_BITS) !== 0;
  }

  /** @internal */
  stopError(bits: number): Error {
    return bits & CANCEL
      ? new CancelledError(`task '${this.taskName}' was cancelled`)
      : new TimeoutError(`task '${this.taskName}' passed its deadline`);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      this.watch();
    }
    return this.controller.signal;
  }

  // Wakes when the pool or the deadline thread writes the word (they Atomics.notify it),
  // without polling and without holding up this thread's event loop.
  private watch(): void {
    const controller = this.controller!;
    const step = (): void => {
      if (controller.signal.aborted || this.finished) return;
      const value = Atomics.load(this.words, this.slot);
      if (value & STOP_BITS) {
        controller.abort(this.stopError(value & STOP_BITS));
        return;
      }
      const waited = waitAsync(this.words, this.slot, value);
      if (waited.async) void waited.value.then(step);
      else step();
    };
    step();
  }

  /** @internal The task settled. A watch started by `signal` waits on the slot's word with
   * Atomics.waitAsync; the next task takes the slot with a plain store, which wakes nobody,
   * so the watch is woken here to see `finished` and end: otherwise each task that read
   * its signal would leave a waiter (and its controller) on the slot for good. */
  end(): void {
    this.finalBits = Atomics.load(this.words, this.slot) & STOP_BITS;
    this.finished = true;
    if (this.controller !== undefined && !this.controller.signal.aborted) Atomics.notify(this.words, this.slot);
  }

  transfer(...buffers: ArrayBuffer[]): void {
    (this.transferList ??= []).push(...buffers);
  }
}
