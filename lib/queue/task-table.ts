// What a queue worker serves, by name, and which local pool runs each:
// - a native kernel (built-in, or from a kernel set) runs on the NativePool;
// - an export of the task module runs on the WorkerPool: true parallelism on
//   worker_threads, with ctx.checkpoint() and ctx.signal reaching the task when the
//   client cancels or the deadline passes (WorkerPool's own stop words);
// - a function handed to serve({ tasks }) runs in this process on the IoPool: the place
//   for async, I/O-bound tasks that use this process's clients (a database pool, fetch),
//   with ctx.signal. A deliberate choice: such functions cannot move to another thread.
// A job names its task; the name is looked up here and nowhere else (no path or code
// from a job), and only own names count (never Object.prototype's).
import type { MapOptions, SubmitOptions } from '../core/executor';
import type { Future } from '../core/future';
import { describe } from '../core/validate';
import type { IoPool, IoTask } from '../io/pool';
import { Kernel } from '../native/kernel';
import { kernels as builtins } from '../native/kernels';
import type { NativePool } from '../native/pool';
import { moduleExports } from '../worker/pool';
import type { TaskHandle, WorkerPool } from '../worker/pool';
import type { AnyKernel } from './tasks';

/** How one served task runs on its local pool. */
export interface Runner {
  readonly pool: 'native' | 'worker' | 'io';
  submit(args: unknown[], options: SubmitOptions): Future<unknown>;
  map(items: unknown[], options: MapOptions): AsyncIterable<unknown>;
}

type AnyIoTask = IoTask<never[], unknown>;
type AnyHandle = TaskHandle<unknown[], unknown>;

export class TaskTable {
  readonly #kernels = new Map<string, Runner>();
  readonly #tasks = new Map<string, Runner>();

  /** Kernels: the built-ins and each set's; a later set's kernel of the same name wins. */
  addKernels(native: NativePool, sets: readonly Readonly<Record<string, unknown>>[]): void {
    const all = [builtins as Readonly<Record<string, unknown>>, ...sets];
    for (const [i, set] of all.entries()) {
      if (typeof set !== 'object' || set === null) throw new TypeError(`serve: kernels[${i - 1}] must be a kernel set (what loadKernels returns), got ${describe(set)}`);
      for (const k of Object.values(set)) {
        if (!(k instanceof Kernel)) throw new TypeError(`serve: kernels[${i - 1}] holds ${describe(k)}, not a Kernel`);
        const kernel: AnyKernel = k as AnyKernel;
        this.#kernels.set(kernel.name, {
          pool: 'native',
          submit: (args, options) => {
            kernel.validate(args);
            return native.submit(kernel, args, options);
          },
          map: (items, options) => native.map(kernel, items, options),
        });
      }
    }
  }

  /** The task module's function exports, run on `worker` (whose module they are). */
  addExports(worker: WorkerPool, names: readonly string[]): void {
    for (const name of names) {
      const handle = worker.task(name as never) as AnyHandle;
      this.#add(name, {
        pool: 'worker',
        submit: (args, options) => worker.submit(handle, args, options),
        map: (items, options) => worker.map(handle as TaskHandle<[unknown], unknown>, items, options),
      });
    }
  }

  /** Functions in this process (a module's exports, or written inline), run on `io`. */
  addFunctions(io: IoPool, tasks: unknown): void {
    if (typeof tasks !== 'object' || tasks === null) throw new TypeError(`serve: tasks must be an object of functions (a module's exports), got ${describe(tasks)}`);
    for (const [name, fn] of Object.entries(tasks)) {
      if (typeof fn !== 'function') continue;
      const task = fn as AnyIoTask;
      this.#add(name, {
        pool: 'io',
        submit: (args, options) => io.submit(task, args as never[], options),
        map: (items, options) => io.map(task as IoTask<[unknown], unknown>, items, options),
      });
    }
  }

  #add(name: string, runner: Runner): void {
    const known = this.#tasks.get(name);
    if (known !== undefined) throw new TypeError(`serve: task '${name}' is both a function of serve({ tasks }) and an export of the task module: rename one`);
    this.#tasks.set(name, runner);
  }

  lookUp(kind: 'k' | 'f', name: string): Runner | undefined {
    return (kind === 'k' ? this.#kernels : this.#tasks).get(name);
  }

  kernelNames(): string[] {
    return [...this.#kernels.keys()];
  }

  taskNames(): string[] {
    return [...this.#tasks.keys()];
  }
}

/** The names of the function exports of `worker`'s task module (fails as its load does). */
export function exportNames(worker: WorkerPool): Promise<string[]> {
  if (worker.module === undefined) return Promise.reject(new TypeError('serve: pools.worker must be a WorkerPool with a module (its exports are the tasks served)'));
  return moduleExports(worker as WorkerPool<unknown>);
}
