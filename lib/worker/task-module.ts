// The worker side of what a task names (task-table.ts is the pool's side): the task
// module's function exports, loaded once, and the functions shipped by source, rebuilt
// here; each key resolved once per worker, so a tiny task allocates no lookup.
import { fileURLToPath } from 'node:url';

import { safely } from '../core/validate';
import type { WorkerTaskContext } from './context';
import { CHUNK_PREFIX } from './protocol';

export type TaskFn = (ctx: WorkerTaskContext, ...args: unknown[]) => unknown;

export interface Resolved {
  fn: TaskFn;
  /** A map chunk: the task runs once per item of its one argument. */
  chunk: boolean;
  name: string;
}

// A Map, not an object: a task name such as 'constructor' or 'toString' must not find
// Object.prototype's functions.
let taskExports = new Map<string, TaskFn>();
const shipped = new Map<number, TaskFn | Error>();
const resolved = new Map<unknown, Resolved>();

export function resolveTask(key: unknown): Resolved | Error {
  const known = resolved.get(key);
  if (known !== undefined) return known;
  const found = lookUp(key);
  if (!(found instanceof Error)) resolved.set(key, found);
  return found;
}

function lookUp(key: unknown): Resolved | Error {
  if (typeof key === 'number') {
    const id = key < 0 ? -key - 1 : key;
    const fn = shipped.get(id);
    if (fn === undefined) return new Error(`internal: function #${id} was never defined in this worker`);
    if (fn instanceof Error) return fn;
    return { fn, chunk: key < 0, name: fn.name || 'anonymous function' };
  }
  let name = key as string;
  const chunk = name.startsWith(CHUNK_PREFIX);
  if (chunk) name = name.slice(CHUNK_PREFIX.length);
  const fn = taskExports.get(name);
  if (typeof fn !== 'function') {
    return new TypeError(`the task module has no function export '${name}' (it exports: ${[...taskExports.keys()].join(', ') || 'nothing'})`);
  }
  return { fn, chunk, name };
}

/** Rebuilds shipped functions: defs is [id, source, ...]. */
export function define(defs: (number | string)[]): void {
  for (let i = 0; i < defs.length; i += 2) {
    const id = defs[i] as number;
    const source = defs[i + 1] as string;
    try {
      // Shipped by source: evaluated in this worker's global scope, so it sees globals
      // (and require, for CommonJS-style helpers) but none of the caller's variables.
      const fn = new Function('require', `return (${source});`)(require) as unknown;
      if (typeof fn !== 'function') throw new TypeError('the source does not evaluate to a function');
      shipped.set(id, wrapShipped(fn as TaskFn));
    } catch (error) {
      shipped.set(id, new TypeError(`a function submitted to WorkerPool could not be rebuilt from its source in the worker: ${(error as Error).message}`));
    }
  }
}

// A function that closes over a caller's variable fails with a ReferenceError in the
// worker; say why, in the words a user can act on.
function wrapShipped(fn: TaskFn): TaskFn {
  const wrapped = (ctx: WorkerTaskContext, ...args: unknown[]): unknown => {
    try {
      const value = fn(ctx, ...args);
      if (value instanceof Promise) return value.catch((error: unknown) => Promise.reject(explain(error)));
      return value;
    } catch (error) {
      throw explain(error);
    }
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name || 'anonymous function' });
  return wrapped;
}

function explain(error: unknown): unknown {
  // safely: a revoked Proxy was thrown (toCloneableError reports it)
  if (safely(() => error instanceof ReferenceError, false)) {
    return new ReferenceError(
      `${(error as ReferenceError).message} (a function submitted to WorkerPool is shipped by its source and runs in a worker: it cannot use the caller's variables or imports; pass them as arguments, or put the task in the pool's module)`,
    );
  }
  return error;
}

/** Loads the task module (a URL) and returns the names of its function exports; throws what the import threw. */
export async function loadTaskModule(module: string): Promise<string[]> {
  // TypeScript through the require hook the worker registered (see thread.ts's workerEntry);
  // everything else, ESM or CommonJS, through import().
  const typescript = /\.[mc]?ts$/.test(module) && '.ts' in require.extensions;
  const mod = typescript ? wrapRequired(require(fileURLToPath(module))) : await importModule(module);
  const found = new Map<string, TaskFn>();
  // A CommonJS module's exports arrive as `default` (and, when Node can tell, also by name).
  const cjs = mod.default;
  if (cjs !== null && typeof cjs === 'object') {
    for (const [name, value] of Object.entries(cjs)) if (typeof value === 'function') found.set(name, value as TaskFn);
  }
  for (const [name, value] of Object.entries(mod)) if (typeof value === 'function') found.set(name, value as TaskFn);
  taskExports = found;
  return [...found.keys()];
}

// A real import(): tsc's CommonJS output turns `import(x)` into require(x), which cannot
// load ES modules on Node 20.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

function wrapRequired(exported: unknown): Record<string, unknown> {
  return exported !== null && typeof exported === 'object' ? (exported as Record<string, unknown>) : { default: exported };
}
