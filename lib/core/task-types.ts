// What a task's type says about its arguments and result, written once for every pool
// and for TaskGroup. A task object (a Kernel, a WorkerPool or QueuePool handle) carries
// its types under the `taskTypes` key, a type-level brand with no value at run time; a
// function task (IoPool, WorkerPool) is read from its own signature. A pool's submit and
// map are typed from these, so `group.submit(pool, task, args)` checks exactly what
// `pool.submit(task, args)` checks.

/** The brand key of a task object's types (never present at run time). */
export declare const taskTypes: unique symbol;

/** A task object typed by its arguments `A` and result `R`. */
export interface TypedTask<A extends readonly unknown[], R> {
  readonly [taskTypes]?: { readonly args: A; readonly result: R };
}

/** The argument tuple of task `T` (after the context, for a function task). */
export type TaskArgs<T> =
  T extends TypedTask<infer A, unknown> ? A : T extends (ctx: never, ...args: infer A) => unknown ? A : readonly unknown[];

/** What awaiting task `T`'s Future gives. */
export type TaskResult<T> =
  T extends TypedTask<readonly unknown[], infer R> ? Awaited<R> : T extends (...args: never[]) => infer R ? Awaited<R> : unknown;

/**
 * One item of map() over a kernel-like task of arguments `A`: a one-argument task takes
 * the bare value (or a one-element array of it), one of several an array of them, one of
 * none anything (it is ignored). Arguments of no known count (any kernel) take anything.
 */
export type MapItem<A extends readonly unknown[]> = number extends A['length']
  ? unknown
  : A extends readonly []
    ? unknown
    : A extends readonly [infer Only]
      ? Only | A
      : A;
