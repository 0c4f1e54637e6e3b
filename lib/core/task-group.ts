// TaskGroup: structured concurrency over any pools, like asyncio.TaskGroup. The first
// failure cancels the rest; wait() then rejects with it, later failures attached.
import { CorepoolError } from './errors';
import { Executor, SubmitOptions } from './executor';
import { Future } from './future';
import { describe } from './validate';

// Any pool: NativePool, IoPool, or another Executor.
type AnyExecutor = Pick<Executor<never>, 'submit'>;

export class TaskGroup {
  private readonly futures: Future<unknown>[] = [];
  private firstError: Error | undefined;
  private readonly laterErrors: Error[] = [];
  private closed = false;

  /** Submits `task` to `pool` as part of this group. */
  submit<R = unknown>(pool: unknown, task: unknown, args: readonly unknown[], options?: SubmitOptions): Future<R> {
    if (pool === null || typeof pool !== 'object' || typeof (pool as AnyExecutor).submit !== 'function') {
      throw new TypeError(`TaskGroup.submit: pool must be an executor (NativePool, IoPool), got ${describe(pool)}`);
    }
    if (this.closed) throw new CorepoolError('TaskGroup.submit: the group has already finished waiting');
    if (this.firstError !== undefined) throw new CorepoolError('TaskGroup.submit: the group failed', { cause: this.firstError });
    const future = (pool as { submit(t: unknown, a: unknown, o?: SubmitOptions): Future<R> }).submit(task, args, options);
    this.futures.push(future as Future<unknown>);
    future.addDoneCallback((f) => this.onDone(f as Future<unknown>));
    return future;
  }

  /** Resolves with every result in submission order, or rejects with the first failure. */
  async wait(): Promise<unknown[]> {
    // Tasks may be added while waiting (by tasks of the group itself): loop until stable.
    let seen = -1;
    while (seen !== this.futures.length) {
      seen = this.futures.length;
      await Promise.all(this.futures.map((f) => f.exception()));
    }
    this.closed = true;
    if (this.firstError !== undefined) {
      if (this.laterErrors.length > 0) {
        (this.firstError as { cause?: unknown }).cause ??= new AggregateError(this.laterErrors, `${this.laterErrors.length} more task(s) of the group failed`);
      }
      throw this.firstError;
    }
    return Promise.all(this.futures.map((f) => f.result()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.wait();
  }

  private onDone(future: Future<unknown>): void {
    if (future.cancelled()) return;
    const error = future._peekError();
    if (error === undefined) return;
    if (this.firstError === undefined) {
      this.firstError = error;
      for (const f of this.futures) if (f !== future) f.cancel();
    } else {
      this.laterErrors.push(error);
    }
  }
}
