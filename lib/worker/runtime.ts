// The worker side of WorkerPool: loads the task module, runs the tasks of each batch the
// pool sends, one at a time, and sends their results back in batches.
//
// - Between tasks it checks the task's stop word: a task cancelled while it waited here
//   is skipped, never started.
// - A run of sync tasks yields to the event loop every SLICE_MS, so this worker's own
//   timers and messages are never frozen for longer than one task (piscina#331).
// - Results of one slice go back in one message; an async task flushes them before it
//   waits, so a long await never holds back results that are ready.
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

import { syncStop } from '../native/sync-stop';
import { Context, WorkerTaskContext } from './context';
import {
  CHUNK_PREFIX,
  DEADLINE,
  DeadlineRequest,
  epochNow,
  GEN_SHIFT,
  Outcome,
  RESULT_FIELDS,
  RunBatch,
  STARTED,
  STOP_BITS,
  TASK_FIELDS,
  WorkerData,
  WorkerMessage,
} from './protocol';

type TaskFn = (ctx: WorkerTaskContext, ...args: unknown[]) => unknown;

const SLICE_MS = 5;

const port = parentPort!;
const data = workerData as WorkerData;
const words = new Int32Array(data.words);

let taskExports: Record<string, TaskFn> = {};
const shipped = new Map<number, TaskFn | Error>();
let deadlinePort: MessagePort | undefined;

// The tasks received and not yet started, flat (TASK_FIELDS each), consumed from `head`.
let queue: unknown[] = [];
let head = 0;
let running = false;
let loaded = false; // tasks that arrive before the module is loaded wait in the queue
let results: unknown[] = [];
let transfers: ArrayBuffer[] = [];

function post(message: WorkerMessage, transferList?: ArrayBuffer[]): void {
  port.postMessage(message, transferList);
}

function flush(): void {
  if (results.length === 0) return;
  const batch = results;
  const list = transfers;
  results = [];
  transfers = [];
  try {
    post({ results: batch }, list.length > 0 ? list : undefined);
  } catch {
    // Some result cannot be cloned (a function, a class instance with private state...):
    // send each one that can, and name the task of each that cannot.
    for (let i = 0; i < batch.length; i += RESULT_FIELDS) {
      try {
        structuredClone(batch[i + 2]);
      } catch (error) {
        batch[i + 1] = Outcome.Error;
        batch[i + 2] = new TypeError(`the task's result cannot be sent to the caller: ${(error as Error).message}`);
      }
    }
    post({ results: batch });
  }
}

function report(slot: number, outcome: Outcome, value: unknown, runNs: number): void {
  results.push(slot, outcome, value, runNs);
}

interface Resolved {
  fn: TaskFn;
  chunk: boolean;
  name: string;
}
const resolved = new Map<unknown, Resolved>(); // per key, so a tiny task allocates no lookup

function resolveTask(key: unknown): Resolved | Error {
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
  const fn = taskExports[name];
  if (typeof fn !== 'function') {
    return new TypeError(`the task module has no function export '${name}' (it exports: ${Object.keys(taskExports).join(', ') || 'nothing'})`);
  }
  return { fn, chunk, name };
}

function stopOutcome(bits: number): Outcome {
  return bits & DEADLINE && !(bits & 1) ? Outcome.TimedOut : Outcome.Cancelled;
}

function armDeadline(slot: number, at: number): void {
  if (deadlinePort === undefined) return; // the pool starts the thread before it sends a deadline
  const generation = Atomics.load(words, slot) >>> GEN_SHIFT;
  deadlinePort.postMessage({ at: [slot, generation, at] } satisfies DeadlineRequest);
}

/** Runs queued tasks until the queue is empty, an async task waits, or the slice ends. */
function run(): void {
  running = true;
  const sliceEnd = performance.now() + SLICE_MS;
  while (head < queue.length) {
    const slot = queue[head] as number;
    const key = queue[head + 1];
    const args = queue[head + 2] as unknown[];
    const deadlineAt = queue[head + 3] as number;
    const runTimeout = queue[head + 4] as number;
    head += TASK_FIELDS;
    const before = Atomics.or(words, slot, STARTED);
    if (before & STOP_BITS) {
      report(slot, stopOutcome(before), undefined, 0);
      continue;
    }
    const task = resolveTask(key);
    if (task instanceof Error) {
      report(slot, Outcome.Error, task, 0);
      continue;
    }
    if (deadlineAt !== 0 || runTimeout !== 0) {
      const at = runTimeout === 0 ? deadlineAt : Math.min(deadlineAt || Infinity, epochNow() + runTimeout);
      if (at <= epochNow()) Atomics.or(words, slot, DEADLINE);
      else armDeadline(slot, at);
    }
    const ctx = new Context(words, slot, task.name);
    syncStop.words = words;
    syncStop.index = slot;
    const started = performance.now();
    let result: unknown;
    try {
      result = task.chunk ? runChunk(task.fn, ctx, args[0] as unknown[][]) : args.length === 0 ? task.fn(ctx) : task.fn(ctx, ...args);
    } catch (error) {
      finish(ctx, slot, error, true, started);
      continue;
    } finally {
      syncStop.words = undefined;
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof (result as PromiseLike<unknown>).then === 'function') {
      flush();
      Promise.resolve(result).then(
        (value) => {
          finish(ctx, slot, value, false, started);
          run();
        },
        (error: unknown) => {
          finish(ctx, slot, error, true, started);
          run();
        },
      );
      return; // `running` stays true: nothing else starts until this task settles
    }
    finish(ctx, slot, result, false, started);
    if (performance.now() >= sliceEnd && head < queue.length) {
      flush();
      setImmediate(run);
      return;
    }
  }
  queue = [];
  head = 0;
  running = false;
  flush();
}

function runChunk(fn: TaskFn, ctx: Context, items: unknown[][]): unknown[] | Promise<unknown[]> {
  const out: unknown[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) ctx.checkpoint();
    const value = fn(ctx, ...items[i]!);
    if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
      return (async () => {
        out[i] = await value;
        for (let j = i + 1; j < items.length; j++) {
          ctx.checkpoint();
          out[j] = await fn(ctx, ...items[j]!);
        }
        return out;
      })();
    }
    out[i] = value;
  }
  return out;
}

function finish(ctx: Context, slot: number, value: unknown, failed: boolean, started: number): void {
  ctx.finished = true;
  const runNs = (performance.now() - started) * 1e6;
  if (failed) {
    // A task that throws after its stop bit was set stopped because of it (its checkpoint,
    // an aborted signal, a native kernel that obeyed the word): that is the outcome.
    const bits = Atomics.load(words, slot) & STOP_BITS;
    report(slot, bits !== 0 ? stopOutcome(bits) : Outcome.Error, bits !== 0 ? undefined : toCloneableError(value), runNs);
    return;
  }
  if (ctx.transferList !== undefined) transfers.push(...ctx.transferList);
  report(slot, Outcome.Ok, value, runNs);
}

function toCloneableError(value: unknown): unknown {
  try {
    if (value instanceof Error) return value;
    structuredClone(value);
    return value;
  } catch {
    // Not cloneable (a symbol, a function, a revoked Proxy whose instanceof throws too): a
    // throw of the user's must fail its task, never crash this worker.
    let text = 'a value that cannot be sent to the caller';
    try {
      text = String(value);
    } catch {
      // keep the fallback
    }
    return new Error(text);
  }
}

function define(defs: (number | string)[]): void {
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
  let isReferenceError = false;
  try {
    isReferenceError = error instanceof ReferenceError;
  } catch {
    // a revoked Proxy was thrown: toCloneableError reports it
  }
  if (isReferenceError) {
    return new ReferenceError(
      `${(error as ReferenceError).message} (a function submitted to WorkerPool is shipped by its source and runs in a worker: it cannot use the caller's variables or imports; pass them as arguments, or put the task in the pool's module)`,
    );
  }
  return error;
}

port.on('message', (message: RunBatch) => {
  if (message.deadlines !== undefined) deadlinePort = message.deadlines;
  if (message.defs !== undefined) define(message.defs);
  if (message.tasks.length === 0) return;
  if (head === queue.length) {
    queue = message.tasks;
    head = 0;
  } else {
    for (const item of message.tasks) queue.push(item);
  }
  if (!running && loaded) run();
});

async function load(): Promise<void> {
  if (data.module === null) {
    post({ ready: [] });
    loaded = true;
    if (head < queue.length) run();
    return;
  }
  let mod: Record<string, unknown>;
  try {
    // TypeScript through the require hook the worker registered (see thread.ts's workerEntry);
    // everything else, ESM or CommonJS, through import().
    const typescript = /\.[mc]?ts$/.test(data.module) && '.ts' in require.extensions;
    mod = typescript ? wrapRequired(require(fileURLToPath(data.module))) : await importModule(data.module);
  } catch (error) {
    post({ loadError: toCloneableError(error) });
    return;
  }
  const found: Record<string, TaskFn> = {};
  // A CommonJS module's exports arrive as `default` (and, when Node can tell, also by name).
  const cjs = mod.default;
  if (cjs !== null && typeof cjs === 'object') {
    for (const [name, value] of Object.entries(cjs)) if (typeof value === 'function') found[name] = value as TaskFn;
  }
  for (const [name, value] of Object.entries(mod)) if (typeof value === 'function') found[name] = value as TaskFn;
  taskExports = found;
  post({ ready: Object.keys(found) });
  loaded = true;
  if (head < queue.length) run();
}

// A real import(): tsc's CommonJS output turns `import(x)` into require(x), which cannot
// load ES modules on Node 20.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

function wrapRequired(exported: unknown): Record<string, unknown> {
  return exported !== null && typeof exported === 'object' ? (exported as Record<string, unknown>) : { default: exported };
}

void load();
