// TaskGroup: structured concurrency over any pools, like asyncio.TaskGroup. The first
// failure cancels the rest; wait() then rejects with it, later failures attached.
import { CorepoolError } from './errors';
import type { SubmitOptions } from './executor';
import { Future } from './future';
import type { TaskArgs, TaskResult } from './task-types';
import { describe } from './validate';

/** Any pool: NativePool, IoPool, WorkerPool, QueuePool, or another Executor. */
interface Submitter {
  submit(task: never, args: never, options?: never): Future<unknown>;
}

// What a pool's submit takes and gives, read from its signature. A corepool pool's submit
// is generic, so these are its bounds (e.g. any kernel); a hand-written Executor's are its
// exact types.
type PoolTask<P> = P extends { submit(task: infer T, ...rest: never): unknown } ? Loose<T> : never;
type PoolArgs<P> = P extends { submit(task: never, args: infer A, ...rest: never): unknown } ? A : never;
type PoolOptions<P> = P extends { submit(task: never, args: never, options?: infer O): unknown } ? O : SubmitOptions;
type PoolResult<P> = P extends { submit(...args: never): Future<infer R> } ? R : unknown;
// A function task's bound, with any arguments after the context: the bound a generic
// submit reports (`...args: readonly unknown[]`) would refuse every function that names its
// arguments' types. Its context's type stays, for the task's first parameter.
type Loose<T> = T extends (ctx: infer C, ...args: never) => unknown ? (ctx: C, ...args: never[]) => unknown : T;

/** A function task of a pool that runs functions (its context's type from the pool), else nothing. */
type FunctionTask<P, A extends readonly unknown[], Res> =
  PoolTask<P> extends infer T ? (T extends (ctx: infer C, ...args: never) => unknown ? (ctx: C, ...args: A) => Res : never) : never;

/** `task`'s arguments: its own type's when it says (a kernel, a handle, a function), else the pool's. */
type ArgsFor<P, T> = readonly unknown[] extends TaskArgs<T> ? PoolArgs<P> : TaskArgs<T>;
/** What `task`'s Future gives: its own type's when it says, else the pool's. */
type ResultFor<P, T> = unknown extends TaskResult<T> ? PoolResult<P> : TaskResult<T>;

/** What a TaskGroup<R>'s submit says of a task whose result is not an R. */
interface NotTheGroupsResult<R> {
  readonly "the task's result type is not the group's": R;
}

/**
 * `R` is what every task of the group returns (default unknown): `new TaskGroup<number>()`
 * takes only tasks whose result is a number, and its wait() gives `number[]`. A group of
 * mixed tasks keeps each result's type on the Future its submit returned.
 */
export class TaskGroup<R = unknown> {
  private readonly futures: Future<unknown>[] = [];
  private firstError: Error | undefined;
  private readonly laterErrors: Error[] = [];
  private closed = false;

  /**
   * Submits `task` to `pool` as part of this group, checked (in types and at run time)
   * exactly as `pool.submit(task, args, options)` is. (Two signatures: a function task's
   * arguments are read from its parameters, so that its context needs no annotation.)
   */
  submit<P extends Submitter, A extends readonly unknown[], Res>(
    pool: P,
    task: FunctionTask<P, A, Res>,
    args: Awaited<Res> extends R ? A : NotTheGroupsResult<R>,
    options?: PoolOptions<P>,
  ): Future<Awaited<Res>>;
  submit<P extends Submitter, T extends PoolTask<P>>(
    pool: P,
    task: T,
    args: ResultFor<P, T> extends R ? ArgsFor<P, T> : NotTheGroupsResult<R>,
    options?: PoolOptions<P>,
  ): Future<ResultFor<P, T>>;
  submit(pool: Submitter, task: unknown, args: unknown, options?: unknown): Future<unknown> {
    if (pool === null || typeof pool !== 'object' || typeof (pool as Submitter).submit !== 'function') {
      throw new TypeError(`TaskGroup.submit: pool must be an executor (NativePool, IoPool, WorkerPool, QueuePool), got ${describe(pool)}`);
    }
    if (this.closed) throw new CorepoolError('TaskGroup.submit: the group has already finished waiting');
    if (this.firstError !== undefined) throw new CorepoolError('TaskGroup.submit: the group failed', { cause: this.firstError });
    const future = (pool as unknown as { submit(t: unknown, a: unknown, o?: unknown): Future<unknown> }).submit(task, args, options);
    this.futures.push(future as Future<unknown>);
    future.addDoneCallback((f) => this.onDone(f as Future<unknown>));
    return future;
  }

  /** Resolves with every result in submission order, or rejects with the first failure. */
  async wait(): Promise<R[]> {
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
    return Promise.all(this.futures.map((f) => f.result() as Promise<R>));
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
