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
  private readonly functionIds = new Map<string, number>();

  constructor(readonly module: string | undefined) {}

  resolve(task: unknown, caller: string): ResolvedTask {
    if (typeof task === 'function') {
      const source = Function.prototype.toString.call(task);
      if (source.endsWith('{ [native code] }')) {
        throw new TypeError(`${caller}: '${task.name || 'function'}' is a native or bound function; WorkerPool ships a function by its source, so pass a plain function or arrow`);
      }
      let id = this.functionIds.get(source);
      if (id === undefined) {
        id = this.functionIds.size;
        this.functionIds.set(source, id);
      }
      return { key: id, name: task.name || 'anonymous function', source };
    }
    if (task !== null && typeof task === 'object' && typeof (task as { name?: unknown }).name === 'string') {
      const name = (task as TaskHandle<never, unknown>).name;
      this.checkExport(name, caller);
      return { key: name, name, source: undefined };
    }
    throw new TypeError(`${caller}: task must be a handle from pool.task('name') or a function, got ${describe(task)}`);
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
