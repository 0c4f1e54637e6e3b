// The worker side of a WorkerPool: loads the task module once, then runs the batches the
// pool sends, one task after another, and posts their outcomes back in batches. A task
// is called as fn(ctx, ...args); ctx.checkpoint() is one Atomics.load of the task's stop
// word (plus a clock read when the task has a deadline), so a synchronous loop stops
// within microseconds of cancel() or its deadline and this worker takes the next task.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

import { CancelledError, TimeoutError } from '../core/errors';
import { FromWorker, STOP_CANCEL, STOP_DEADLINE, STOP_RECALL, TaskMessage, TaskOutcome, ToWorker, WorkerData } from './protocol';

/** What a WorkerPool task receives as its first argument. */
export interface WorkerTaskContext {
  /** Throws the task's CancelledError or TimeoutError once it is cancelled or past its deadline. */
  checkpoint(): void;
  /** Aborts on cancel or deadline, for async tasks (fetch, timers, streams). */
  readonly signal: AbortSignal;
  /** 1 for the first attempt (a task restarted after its worker was replaced counts on). */
  readonly attempt: number;
  /** True once cancel() or the deadline has reached the task (checkpoint() would throw). */
  readonly stopped: boolean;
  /** Marks ArrayBuffers of the result to move to the caller instead of copying them. */
  transfer(...buffers: ArrayBuffer[]): void;
}

const data = workerData as WorkerData;
const words = new Int32Array(data.stop); // [stop, state] per slot; state 0 waiting, 1 running, 2 done
const starts = new Float64Array(data.starts);
const port = parentPort!;

let tasks: Record<string, unknown> = {};
const shipped = new Map<string, (...args: unknown[]) => unknown>();

class Context implements WorkerTaskContext {
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  transfers: ArrayBuffer[] | undefined;

  constructor(
    readonly index: number, // of the stop word
    readonly attempt: number,
    readonly deadline: number, // epoch ms, Infinity for none
  ) {}

  checkpoint(): void {
    const stop = Atomics.load(words, this.index);
    if (stop !== 0 && (stop & STOP_RECALL) !== stop) throw this.reason(stop);
    if (this.deadline !== Infinity && performance.timeOrigin + performance.now() >= this.deadline) {
      Atomics.or(words, this.index, STOP_DEADLINE);
      throw this.reason(STOP_DEADLINE);
    }
  }

  get stopped(): boolean {
    try {
      this.checkpoint();
      return false;
    } catch {
      return true;
    }
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      const stop = Atomics.load(words, this.index);
      if (stop !== 0) this.#controller.abort(this.reason(stop));
      else if (this.deadline !== Infinity) {
        // The worker's own timer: an async task leaves this event loop free to fire it.
        const ms = Math.max(0, this.deadline - (performance.timeOrigin + performance.now()));
        this.#timer = setTimeout(() => this.abort(STOP_DEADLINE), Math.min(ms, 2 ** 31 - 1));
      }
    }
    return this.#controller.signal;
  }

  transfer(...buffers: ArrayBuffer[]): void {
    (this.transfers ??= []).push(...buffers);
  }

  /** The pool asked to cancel: raise the signal too (the stop word is already set). */
  abort(bit: number): void {
    Atomics.or(words, this.index, bit);
    if (this.#controller !== undefined && !this.#controller.signal.aborted) this.#controller.abort(this.reason(bit));
  }

  end(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  reason(stop: number): Error {
    return (stop & STOP_CANCEL) !== 0 ? new CancelledError('the task was cancelled') : new TimeoutError('the task passed its deadline');
  }
}

const running = new Map<number, Context>(); // by slot, for cancel messages
let queue: (TaskMessage & { receivedAt: number })[] = [];
let head = 0;
let outcomes: TaskOutcome[] = [];
let outcomeTransfers: ArrayBuffer[] = [];
let busy = false;
let batchStart = 0;

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

function flush(): void {
  if (outcomes.length === 0) return;
  const list = outcomes;
  const transfer = outcomeTransfers;
  outcomes = [];
  outcomeTransfers = [];
  try {
    post({ type: 'done', outcomes: list }, transfer);
  } catch {
    // A result that cannot be cloned (a function, a Proxy) fails its own task, not the batch.
    post({ type: 'done', outcomes: list.map(cloneable) });
  }
}

function cloneable(o: TaskOutcome): TaskOutcome {
  try {
    structuredClone(o.value);
    return o;
  } catch (error) {
    return { ...o, ok: false, value: serializeError(new TypeError(`the task's result cannot be sent to the main thread: ${(error as Error).message}`)) };
  }
}

/** Errors travel as plain objects so that their name (a subclass's too) and code survive. */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return { thrown: error };
  const e = error as Error & { code?: unknown };
  return { error: { name: e.name, message: e.message, stack: e.stack, code: typeof e.code === 'string' ? e.code : undefined } };
}

function resolveTask(task: TaskMessage): (...args: unknown[]) => unknown {
  if (task.name !== undefined) {
    const fn = tasks[task.name];
    if (typeof fn !== 'function') throw new TypeError(`the task module has no function export '${task.name}'`);
    return fn as (...args: unknown[]) => unknown;
  }
  let fn = shipped.get(task.source!);
  if (fn === undefined) {
    // Indirect eval: global scope, so the function sees only what any module sees.
    fn = (0, eval)(`(${task.source})`) as (...args: unknown[]) => unknown;
    if (typeof fn !== 'function') throw new TypeError('the shipped source is not a function expression');
    shipped.set(task.source!, fn);
  }
  return fn;
}

function explain(error: unknown, task: TaskMessage): unknown {
  if (task.source !== undefined && error instanceof ReferenceError) {
    error.message +=
      ' (a function submitted to a WorkerPool runs in another thread, shipped by its source: it cannot use variables it closes over; pass them as arguments or export it from the task module)';
  }
  return error;
}

/** Runs what the pool sent, in order. An async task does not hold up the ones behind it:
 * while it awaits, the next task starts, and its outcome goes back when it settles. */
function runQueue(): void {
  busy = true;
  batchStart = performance.now();
  while (head < queue.length) {
    const task = queue[head]!;
    queue[head++] = undefined as never;
    const index = task.slot * 2;
    // Outcomes finished a while ago go out before a task that may take long starts.
    if (outcomes.length > 0 && performance.now() - batchStart > 1) flush();
    const started = performance.now();
    const stop = Atomics.load(words, index);
    if (stop !== 0) {
      const bit = (stop & STOP_CANCEL) !== 0 ? STOP_CANCEL : (stop & STOP_DEADLINE) !== 0 ? STOP_DEADLINE : STOP_RECALL;
      finish(task, index, { slot: task.slot, ok: false, value: undefined, stop: bit, runNs: 0, waitNs: (started - task.receivedAt) * 1e6 });
      continue;
    }
    const startedAt = performance.timeOrigin + started;
    const ctx = new Context(index, task.attempt, Math.min(task.deadline, startedAt + task.runTimeout));
    starts[task.slot] = startedAt;
    Atomics.store(words, index + 1, 1);
    running.set(task.slot, ctx);
    let value: unknown;
    try {
      value = call(resolveTask(task), ctx, task);
    } catch (error) {
      settle(task, ctx, started, false, error);
      continue;
    }
    if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
      Promise.resolve(value).then(
        (v) => settle(task, ctx, started, true, v),
        (e: unknown) => settle(task, ctx, started, false, e),
      ).finally(() => {
        if (!busy) flush(); // settled after its batch ended: nothing else will send it
      });
    } else {
      settle(task, ctx, started, true, value);
    }
  }
  queue = [];
  head = 0;
  busy = false;
  flush();
}

function call(fn: (...args: unknown[]) => unknown, ctx: Context, task: TaskMessage): unknown {
  if (!task.chunk) return fn(ctx, ...task.args);
  const items = task.args[0] as unknown[];
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    const v = fn(ctx, items[i]);
    if (v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function') {
      // An async task in a chunk: the rest of the chunk goes on after it, in order.
      return (async () => {
        out[i] = await v;
        for (let k = i + 1; k < items.length; k++) out[k] = await fn(ctx, items[k]);
        return out;
      })();
    }
    out[i] = v;
  }
  return out;
}

function settle(task: TaskMessage & { receivedAt: number }, ctx: Context, started: number, ok: boolean, value: unknown): void {
  const outcome: TaskOutcome = { slot: task.slot, ok, value: undefined, stop: 0, runNs: (performance.now() - started) * 1e6, waitNs: (started - task.receivedAt) * 1e6 };
  if (ok) {
    outcome.value = value;
    if (ctx.transfers !== undefined) outcomeTransfers.push(...ctx.transfers);
  } else {
    const stop = Atomics.load(words, ctx.index) & ~STOP_RECALL;
    const error = value as Error | undefined;
    if (stop !== 0 && (error instanceof CancelledError || error instanceof TimeoutError || error?.name === 'AbortError')) {
      outcome.stop = (stop & STOP_CANCEL) !== 0 ? STOP_CANCEL : STOP_DEADLINE;
    } else {
      outcome.value = serializeError(explain(value, task));
    }
  }
  ctx.end();
  running.delete(task.slot);
  finish(task, ctx.index, outcome);
}

function finish(_task: TaskMessage, index: number, outcome: TaskOutcome): void {
  Atomics.store(words, index + 1, 2);
  outcomes.push(outcome);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    running.get(message.slot)?.abort(message.bit);
    return;
  }
  const receivedAt = performance.now();
  for (const t of message.tasks) queue.push({ ...t, receivedAt });
  if (!busy) runQueue();
});

// A real import() (ESM or CommonJS, through any registered loader hooks): compiled to
// CommonJS, a plain `import()` here would become require().
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

async function load(): Promise<void> {
  if (data.module === undefined) {
    post({ type: 'ready', exports: [] });
    return;
  }
  try {
    const url = data.module.startsWith('file:') ? data.module : pathToFileURL(data.module).href;
    const mod = (await importModule(url)) as Record<string, unknown>;
    // CommonJS through import(): the exports object is `default` (named ones may be missing).
    const defaults = mod.default;
    tasks = { ...(defaults !== null && typeof defaults === 'object' ? (defaults as Record<string, unknown>) : {}), ...mod };
    post({ type: 'ready', exports: Object.keys(tasks).filter((k) => typeof tasks[k] === 'function') });
  } catch (error) {
    post({ type: 'loadError', message: (error as Error)?.message ?? String(error), stack: (error as Error)?.stack });
  }
}

void load();
