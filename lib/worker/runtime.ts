// The worker side of WorkerPool: loads the task module, runs the tasks of each batch the
// pool sends in order, sync tasks one at a time and up to asyncTasksPerWorker async tasks
// awaiting at once, and sends their results back in batches.
//
// - Between tasks it checks the task's stop word: a task cancelled while it waited here
//   is skipped, never started.
// - A run of sync tasks yields to the event loop every SLICE_MS, so this worker's own
//   timers and messages are never frozen for longer than one task (piscina#331).
// - Results of one slice go back in one message; an async task flushes them before it
//   waits, so a long await never holds back results that are ready.
import { types } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

import { Context } from './context';
import {
  DEADLINE,
  DeadlineRequest,
  epochNow,
  GEN_SHIFT,
  Outcome,
  RESULT_FIELDS,
  RunBatch,
  SLOTS_PER_WORKER,
  STARTED,
  STOP_BITS,
  TASK_FIELDS,
  WorkerData,
  WorkerMessage,
} from './protocol';
import { stopScope } from './stop-scope';
import { sendableFailure, toCloneableError } from './task-error';
import { define, loadTaskModule, Resolved, resolveTask, TaskFn } from './task-module';

const SLICE_MS = 5;
// eslint-disable-next-line @typescript-eslint/unbound-method
const PROMISE_THEN = Promise.prototype.then;

const port = parentPort!;
const data = workerData as WorkerData;
const words = new Int32Array(data.words);

let deadlinePort: MessagePort | undefined;

// The tasks received and not yet started, flat (TASK_FIELDS each), consumed from `head`.
let queue: unknown[] = [];
let head = 0;
let running = false; // the sync loop runs or is due (setImmediate)
let resumeQueued = false;
/** Async tasks started and not yet settled; at most asyncLimit. */
let awaiting = 0;
const asyncLimit = data.asyncTasksPerWorker;
const scope = stopScope(words, asyncLimit > 1);
let loaded = false; // tasks that arrive before the module is loaded wait in the queue
let results: unknown[] = [];
let transfers: ArrayBuffer[] = [];

function post(message: WorkerMessage, transferList?: ArrayBuffer[]): void {
  port.postMessage(message, transferList);
}

function flush(): void {
  sendDeadlines();
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
  if (armed[slot] === 1) {
    // Still this task's generation: the pool gives the slot away only once this result is back.
    armed[slot] = 0;
    deadlineRequests.push(slot, Atomics.load(words, slot) >>> GEN_SHIFT, 0);
  }
}

function stopOutcome(bits: number): Outcome {
  return bits & DEADLINE && !(bits & 1) ? Outcome.TimedOut : Outcome.Cancelled;
}

// What the deadline thread is told, in batches: [slot, generation, epoch ms (0: ended)].
// A `timeout` is armed when its batch arrives, one message per batch; a runTimeout, which
// counts from the start, when its task starts; an armed task's entry is cleared with the
// results of its slice. One port, so an arm always reaches the thread before its clear.
let deadlineRequests: number[] = [];
const armed = new Uint8Array(SLOTS_PER_WORKER);

function armDeadline(slot: number, at: number): void {
  if (deadlinePort === undefined) return; // the pool starts the thread before it sends a deadline
  armed[slot] = 1;
  deadlineRequests.push(slot, Atomics.load(words, slot) >>> GEN_SHIFT, at);
}

function sendDeadlines(): void {
  if (deadlineRequests.length === 0) return;
  deadlinePort!.postMessage({ at: deadlineRequests } satisfies DeadlineRequest);
  deadlineRequests = [];
}

/** Runs queued tasks until the queue is empty, the worker has asyncTasksPerWorker tasks
 * awaiting, or the slice ends. */
function run(): void {
  running = true;
  const sliceEnd = performance.now() + SLICE_MS;
  while (head < queue.length) {
    if (awaiting >= asyncLimit) break; // resumed when one of them settles
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
    let at = 0;
    if (deadlineAt !== 0 || runTimeout !== 0) {
      const now = epochNow();
      at = runTimeout === 0 ? deadlineAt : Math.min(deadlineAt || Infinity, now + runTimeout);
      if (at <= now) {
        // Its deadline passed while it waited here (timeout: 0 too): it never starts, as a
        // queued task past its deadline in every pool.
        Atomics.or(words, slot, DEADLINE);
        report(slot, Outcome.TimedOut, undefined, 0);
        continue;
      }
      if (at !== deadlineAt) {
        armDeadline(slot, at); // a runTimeout earlier than the timeout armed at arrival
        sendDeadlines(); // before the task runs: a sync task holds this thread until it ends
      }
    }
    const ctx = new Context(words, slot, task.name, at);
    const started = performance.now();
    let result: unknown;
    let then: unknown;
    try {
      result = scope.run(ctx, callTask, task, args);
      // Read once, inside the try: a hostile getter fails only its task.
      then = result !== null && (typeof result === 'object' || typeof result === 'function') ? (result as PromiseLike<unknown>).then : undefined;
    } catch (error) {
      finish(ctx, slot, error, true, started);
      continue;
    }
    if (typeof then === 'function') {
      awaiting++;
      const ok = (value: unknown): void => settled(ctx, slot, value, false, started);
      const failed = (error: unknown): void => settled(ctx, slot, error, true, started);
      if (then === PROMISE_THEN && types.isPromise(result)) (result as Promise<unknown>).then(ok, failed);
      // A foreign thenable: the Promise constructor settles once and turns a throw into a rejection.
      else new Promise<unknown>((resolve, reject) => (then as PromiseLike<unknown>['then']).call(result, resolve, reject)).then(ok, failed);
      continue;
    }
    finish(ctx, slot, result, false, started);
    if (performance.now() >= sliceEnd && head < queue.length) {
      flush();
      setImmediate(run);
      return;
    }
  }
  if (head >= queue.length) {
    queue = [];
    head = 0;
  }
  running = false;
  flush(); // before waiting: a long await never holds back results that are ready
}

/** An async task settled: report it and go on, once per turn however many settle together. */
function settled(ctx: Context, slot: number, value: unknown, failed: boolean, started: number): void {
  awaiting--;
  finish(ctx, slot, value, failed, started);
  if (running || resumeQueued) return; // the running loop flushes it
  resumeQueued = true;
  queueMicrotask(resume);
}

function resume(): void {
  resumeQueued = false;
  if (!running && loaded) run();
}

function callTask(task: Resolved, ctx: Context, args: unknown[]): unknown {
  if (task.chunk) return runChunk(task.fn, ctx, args[0] as unknown[][]);
  return args.length === 0 ? task.fn(ctx) : task.fn(ctx, ...args);
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
  ctx.end();
  scope.end(ctx);
  const ended = performance.now();
  const runNs = (ended - started) * 1e6;
  let bits = Atomics.load(words, slot) & STOP_BITS;
  // The deadline wins over a result that comes after it, as in NativePool: also when the
  // deadline thread's timer is late (the clock was read anyway, for runNs).
  if (bits === 0 && ctx.deadlineAt !== 0 && performance.timeOrigin + ended >= ctx.deadlineAt) bits = DEADLINE;
  if (bits !== 0) {
    // A task that throws after its stop bit was set stopped because of it (its checkpoint,
    // an aborted signal, a native kernel that obeyed the word); one that returns after it
    // ignored it: either way the stop is the outcome and its value is dropped.
    report(slot, stopOutcome(bits), undefined, runNs);
    return;
  }
  if (failed) {
    const [outcome, sent] = sendableFailure(value);
    report(slot, outcome, sent, runNs);
    return;
  }
  if (ctx.transferList !== undefined) transfers.push(...ctx.transferList);
  report(slot, Outcome.Ok, value, runNs);
}

port.on('message', (message: RunBatch) => {
  if (message.deadlines !== undefined) deadlinePort = message.deadlines;
  if (message.defs !== undefined) define(message.defs);
  const tasks = message.tasks;
  if (tasks.length === 0) return;
  for (let i = 0; i < tasks.length; i += TASK_FIELDS) {
    const deadlineAt = tasks[i + 3] as number;
    if (deadlineAt !== 0) armDeadline(tasks[i] as number, deadlineAt);
  }
  sendDeadlines();
  if (head === queue.length) {
    queue = message.tasks;
    head = 0;
  } else {
    for (const item of message.tasks) queue.push(item);
  }
  if (!running && loaded) run();
});

async function load(): Promise<void> {
  let names: string[] = [];
  if (data.module !== null) {
    try {
      names = await loadTaskModule(data.module);
    } catch (error) {
      post({ loadError: toCloneableError(error) });
      return;
    }
  }
  post({ ready: names });
  loaded = true;
  if (head < queue.length) run();
}

void load();
