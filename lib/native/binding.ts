// Loads the compiled addon (a prebuilt binary from prebuilds/, or build/Release from a
// source build) with node-gyp-build, and declares the raw binding's shape.
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;

/** Argument kinds, as in native/include/corepool.h. */
export enum ArgKind {
  Number = 1,
  Int = 2,
  Bool = 3,
  Bytes = 4,
  Float64s = 5,
  Int32s = 6,
  String = 7,
  Size = 8,
}

/** Result kinds, as in native/include/corepool.h. */
export enum ResultKind {
  Undefined = 0,
  Number = 1,
  Bool = 2,
  Bytes = 3,
  BigInt = 4,
  Float64s = 5,
  Int32s = 6,
  Uint16s = 7,
  Uint32s = 8,
}

/** Final task statuses in completion records (native/src/task.h TaskStatus). */
export enum Status {
  Queued = 0,
  Running = 1,
  Ok = 2,
  Error = 3,
  Cancelled = 4,
  TimedOut = 5,
}

export interface RawArgSpec {
  name: string;
  kind: ArgKind;
  min: number;
  max: number;
}

export interface RawKernel {
  id: number;
  name: string;
  args: RawArgSpec[];
  result: ResultKind;
}

export interface RawLockStats {
  switches: number;
  dropRequests: number;
  forcedWaits: number;
  acquisitions: number;
  waitNsTotal: number;
  waitNsMax: number;
}

/** Fields of one completion record: [id, status, value, queueWaitNs, runNs]. */
export const COMPLETION_FIELDS = 5;
/** Header of one submission record: [id, kernelId, items, timeoutMs, runTimeoutMs]. */
export const SUBMIT_HEADER = 5;

export interface RawPool {
  submit(records: Float64Array, length: number, objects: unknown[]): void;
  /** 0 removed from the queue, 1 running (flag raised), 2 finished, 3 unknown id. */
  cancel(id: number): number;
  takeOldest(): number;
  cancelQueued(): number[];
  cancelRunning(): void;
  /** -1 unknown id, Status.Queued not taken by a worker (yet), Status.Running taken (running, or finished since). */
  state(id: number): number;
  counts(): [queued: number, active: number, workers: number];
  lockStats(): RawLockStats;
  requestStop(): void;
  close(): void;
}

export interface RawBinding {
  abiVersion: number;
  kernels(): RawKernel[];
  runSync(kernelId: number, args: unknown[]): unknown;
  loadKernelTable(table: unknown): RawKernel[];
  setSwitchInterval(ms: number): void;
  getSwitchInterval(): number;
  setCheckInterval(ticks: number): void;
  getCheckInterval(): number;
  globalLockStats(): RawLockStats;
  NativePoolBinding: new (
    workers: number,
    name: string,
    lockMode: number,
    onComplete: (count: number, objects: unknown[]) => void,
    records: Float64Array,
  ) => RawPool;
}

export const binding = nodeGypBuild(path.join(__dirname, '..', '..')) as RawBinding;
