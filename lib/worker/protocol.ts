// The messages between a WorkerPool and its workers, and the stop word's bits. Both sides
// import this file, so the two never disagree on a field.

/** Bits of a task's stop word (one Int32 in the pool's SharedArrayBuffer). */
export const STOP_CANCEL = 1;
export const STOP_DEADLINE = 2;
/** Not a stop: the pool takes back a task that has not started, for an idle worker. */
export const STOP_RECALL = 4;

/** Tasks a worker holds at most at once (running or waiting in its batch). */
export const WORKER_BATCH = 256;

export interface TaskMessage {
  /** The slot of the task's stop word in the pool's stop array. */
  slot: number;
  /** The module export to call, or undefined with `source`. */
  name: string | undefined;
  /** A self-contained function's source, shipped when `name` is undefined. */
  source: string | undefined;
  args: unknown[];
  /** map's chunk: call the task once per item of args[0] and return the results. */
  chunk: boolean;
  attempt: number;
  /** Epoch ms (performance.timeOrigin + now()), Infinity for none. */
  deadline: number;
  /** ms from the task's start, Infinity for none. */
  runTimeout: number;
}

export type ToWorker = { type: 'run'; tasks: TaskMessage[] } | { type: 'cancel'; slot: number; bit: number };

export interface TaskOutcome {
  slot: number;
  ok: boolean;
  /** The return value; for a failure { error: { name, message, stack, code } } or { thrown }. */
  value: unknown;
  /** Why it failed: the task threw, or it stopped at a checkpoint. */
  stop: 0 | typeof STOP_CANCEL | typeof STOP_DEADLINE | typeof STOP_RECALL;
  runNs: number;
  waitNs: number;
}

export type FromWorker =
  | { type: 'ready'; exports: string[] }
  | { type: 'loadError'; message: string; stack: string | undefined }
  | { type: 'done'; outcomes: TaskOutcome[] };

export interface WorkerData {
  module: string | undefined;
  /** [stop word, state] per slot; state 0 waiting, 1 running, 2 done. */
  stop: SharedArrayBuffer;
  /** Epoch ms each slot's task started (for the pool's runTimeout watch). */
  starts: SharedArrayBuffer;
  /** The runtime's path, and tsx's APIs to register first (a TypeScript parent). */
  runtime: string;
  tsx: { cjs: string; esm: string } | undefined;
}
