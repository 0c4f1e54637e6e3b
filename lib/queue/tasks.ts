// What a QueuePool submits: a native kernel (built-in or from loadKernels) or a task the
// worker knows by name (an export of its task module, or a function it was given). Only
// the name travels; the worker looks it up in its own table.
import type { MapItem, TypedTask } from '../core/task-types';
import { describe, NO_ARGS } from '../core/validate';
import { Kernel } from '../native/kernel';

/** A task a worker knows by name: an export of the module it was started with. */
export interface RemoteTask<A extends readonly unknown[], R> extends TypedTask<A, R> {
  readonly name: string;
}

/** What QueuePool runs: a native kernel (built-in or from loadKernels), a named task. */
export type QueueTask = Kernel<readonly unknown[], unknown> | RemoteTask<readonly unknown[], unknown> | string;

export type TaskArgs<F> = F extends (ctx: never, ...args: infer A) => unknown ? A : readonly unknown[];
export type TaskResult<F> = F extends (...args: never[]) => infer R ? Awaited<R> : unknown;
export type ArgsOf<T> = T extends Kernel<infer A, unknown> ? A : T extends RemoteTask<infer A, unknown> ? A : readonly unknown[];
export type ResultOf<T> = T extends Kernel<readonly unknown[], infer R> ? R : T extends RemoteTask<readonly unknown[], infer R> ? R : unknown;

/** map()'s item: a kernel's as NativePool.map takes it; a named task's one argument. */
export type MapItemOf<T> = T extends Kernel<infer A, unknown> ? MapItem<A> : T extends RemoteTask<infer A, unknown> ? (A extends readonly [infer Only] ? Only : unknown) : unknown;

export type AnyKernel = Kernel<readonly unknown[], unknown>;

export interface ResolvedTask {
  /** The job's task kind: 'k' a kernel, 'f' a named task. */
  kind: 'k' | 'f';
  name: string;
  kernel: AnyKernel | undefined;
}

export function resolveTask(task: unknown): ResolvedTask {
  if (task instanceof Kernel) return { kind: 'k', name: task.name, kernel: task as AnyKernel };
  if (typeof task === 'string') return { kind: 'f', name: checkTaskName(task), kernel: undefined };
  if (typeof task === 'object' && task !== null && typeof (task as { name?: unknown }).name === 'string') {
    return { kind: 'f', name: checkTaskName((task as { name: string }).name), kernel: undefined };
  }
  throw new TypeError(
    `task must be a corepool kernel (kernels.countPrimes, loadKernels(...)), a task name or pool.task(name), got ${describe(task)}`,
  );
}

export function checkTaskName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new TypeError(`task name must be an identifier (an export of the worker's module), got ${describe(name)}`);
  }
  return name;
}

/** Throws TypeError/RangeError naming the argument (the kernel's own check), without
 * narrowing the caller's generic `args` (an assertion cannot apply to it). */
export function checkKernelArgs(kernel: AnyKernel, args: unknown): void {
  kernel.validate(args);
}

/** A map item for `kernel`: its argument, checked (an array of them for a kernel of several). */
export function checkKernelItem(kernel: AnyKernel, item: unknown): unknown {
  if (kernel.arity === 1 && !Array.isArray(item)) {
    kernel.validateValue(item);
    return item;
  }
  kernel.validate(kernel.arity === 0 ? NO_ARGS : item);
  return kernel.arity === 1 && Array.isArray(item) ? item[0] : item;
}
