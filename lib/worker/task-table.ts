// What a WorkerPool task names: an export of the task module (by a handle from
// pool.task('name'), checked against the export names once a worker has loaded the module)
// or a self-contained function, shipped by its source and known to workers by a number.
import { describe } from '../core/validate';
import type { TaskHandle } from './options';
import type { TaskKey } from './protocol';

export interface ResolvedTask {
  key: TaskKey;
  name: string;
  /** The source of a shipped function; undefined for an export. */
  source: string | undefined;
}

export class TaskTable {
  /** The module's function exports, known once the first worker has loaded it. */
  exportNames: Set<string> | undefined = undefined;
  /** By source: two closures of the same code share one id (a worker rebuilds it once). */
  private readonly functionIds = new Map<string, number>();
  /** By function: a function submitted again costs one lookup, not its toString(). */
  private readonly functions = new WeakMap<object, ResolvedTask>();

  constructor(readonly module: string | undefined) {}

  resolve(task: unknown, caller: string): ResolvedTask {
    if (typeof task === 'function') return this.functions.get(task) ?? this.resolveFunction(task as (...args: never[]) => unknown, caller);
    if (task !== null && typeof task === 'object' && typeof (task as { name?: unknown }).name === 'string') {
      const name = (task as TaskHandle<never, unknown>).name;
      this.checkExport(name, caller);
      return { key: name, name, source: undefined };
    }
    throw new TypeError(`${caller}: task must be a handle from pool.task('name') or a function, got ${describe(task)}`);
  }

  private resolveFunction(task: (...args: never[]) => unknown, caller: string): ResolvedTask {
    const name = task.name || 'anonymous function';
    const source = Function.prototype.toString.call(task);
    if (source.endsWith('{ [native code] }')) {
      throw new TypeError(`${caller}: '${task.name || 'function'}' is a native or bound function; WorkerPool ships a function by its source, so pass a plain function or arrow`);
    }
    let id = this.functionIds.get(source);
    if (id === undefined) {
      checkRebuildable(source, name, caller);
      id = this.functionIds.size;
      this.functionIds.set(source, id);
    }
    const resolved: ResolvedTask = { key: id, name, source };
    this.functions.set(task, resolved);
    return resolved;
  }

  checkExport(name: unknown, caller: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${caller}: the task name must be a non-empty string, got ${describe(name)}`);
    if (this.module === undefined) {
      throw new TypeError(`${caller}: task '${name}': this pool has no module (WorkerPool({ module })); submit a function instead`);
    }
    // Until a worker has reported the exports, a missing one rejects the Future from the
    // worker, with the same message.
    if (this.exportNames !== undefined && !this.exportNames.has(name)) {
      throw new TypeError(`${caller}: the task module ${this.module} has no function export '${name}' (it exports: ${[...this.exportNames].join(', ') || 'nothing'})`);
    }
  }
}

/** A worker rebuilds a shipped function as the expression `(${source})` (task-module.ts):
 * compiled here once per distinct source (not run), so that a source that is no function
 * expression, such as a method shorthand's `double(ctx, x) {...}`, is a TypeError at submit
 * rather than a rejection from the worker. */
function checkRebuildable(source: string, name: string, caller: string): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function(`return (${source});`);
  } catch (error) {
    throw new TypeError(
      `${caller}: '${name}' cannot be shipped to a worker by its source, which is not a function expression (${(error as Error).message}); ` +
        `a method shorthand ({ ${name}(ctx) {...} }.${name}) or an accessor is not: pass an arrow or a function (${name}: function (ctx) {...}), or export it from the task module`,
    );
  }
}
