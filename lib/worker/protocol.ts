import type { MessagePort } from 'node:worker_threads';

// What the pool (main thread), its workers and the deadline thread say to each other,
// defined once for all three sides.
//
// Each worker owns a table of stop words in a SharedArrayBuffer, one Int32 per slot; a
// task dispatched to the worker holds one slot until its result is back. A word is
//   (generation << GEN_SHIFT) | STARTED? | DEADLINE? | CANCEL?
// The generation changes each time the slot is given to a new task, so that a late
// deadline (the deadline thread compares it before setting its bit) never stops the
// slot's next task. CANCEL and DEADLINE are the native corepool.h bits, so a native
// kernel run inside a task (kernel.runSync) reads the very same word.

/** corepool.h's COREPOOL_INTERRUPT_CANCEL. */
export const CANCEL = 1;
/** corepool.h's COREPOOL_INTERRUPT_DEADLINE. */
export const DEADLINE = 2;
export const STOP_BITS = CANCEL | DEADLINE;
/** Set by the worker when the task starts; a task whose word had a stop bit is skipped. */
export const STARTED = 16;
export const GEN_SHIFT = 5;
export const GEN_MASK = (1 << (31 - GEN_SHIFT)) - 1;

/** Slots (tasks dispatched, not yet reported) per worker. */
export const SLOTS_PER_WORKER = 1024;

/** How a task ended, as the worker reports it. */
export const enum Outcome {
  Ok = 0,
  Error = 1,
  Cancelled = 2,
  TimedOut = 3,
  /** A failure whose value is [name, error]: an Error whose name the clone would lose (task-error.ts). */
  ErrorNamed = 4,
}

// One dispatched task in a batch, flat: slot, what to run, arguments, absolute deadline
// (epoch ms from submit's `timeout`, 0 = none), runTimeout ms (0 = none).
export const TASK_FIELDS = 5;
/** What to run: an export's name, or (a number) the id of a function shipped by source;
 * a negative number is the id of a chunk (map) of that function, -(id + 1); a string
 * starting with CHUNK_PREFIX is a chunk of that export. */
export type TaskKey = string | number;
export const CHUNK_PREFIX = '\u0000chunk:';

/** main -> worker */
export interface RunBatch {
  /** Functions shipped by source that this worker has not seen yet: [id, source, ...]. */
  defs?: (number | string)[];
  tasks: unknown[];
  /** Given once, when the pool starts its deadline thread. */
  deadlines?: MessagePort;
}

// One result in a batch, flat: slot, Outcome, value (or error), run time in ns.
export const RESULT_FIELDS = 4;

/** worker -> main */
export type WorkerMessage =
  | { ready: string[] } // the module's export names (functions only)
  | { loadError: unknown }
  | { results: unknown[] };

/** main -> deadline thread, once per worker: the port the worker will send deadlines on. */
export interface DeadlineConnect {
  port: MessagePort;
  words: SharedArrayBuffer;
  key: number;
}

/** worker -> deadline thread, one message per batch or slice: [slot, generation, epoch ms,
 * ...]; epoch ms 0 says that task ended (its deadline is forgotten). */
export interface DeadlineRequest {
  at: number[];
}

/** deadline thread -> main: it raised DEADLINE on [key, slot, generation, ...]. */
export interface DeadlineHits {
  hits: number[];
}

export interface WorkerData {
  module: string | null; // a URL to import()
  words: SharedArrayBuffer;
  /** Async tasks this worker may have awaiting at once. */
  asyncTasksPerWorker: number;
}

/** Epoch milliseconds, comparable across threads (each thread's timeOrigin differs). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
