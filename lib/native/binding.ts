// Loads the compiled addon (a prebuilt binary from prebuilds/, or build/Release from a
// source build) with node-gyp-build, and declares the raw binding's shape.
import * as path from 'node:path';

import type { LockStats } from './global-lock';
import { ArgKind, checkWire, RawWire, ResultKind } from './wire';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;

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

export interface RawPool {
  submit(records: Float64Array, length: number, objects: unknown[]): void;
  /** A CancelOutcome (wire.ts). `wait`: a running task gets a few tens of microseconds to
   * stop, and if it does, the answer is Stopped and `times` receives [queueWaitNs, runNs]. */
  cancel(id: number, times: Float64Array, wait: boolean): number;
  takeOldest(): number;
  cancelQueued(): number[];
  /** [id, queueWaitNs, runNs, ...] of the running tasks that stopped within the short wait. */
  cancelRunning(): number[];
  /** -1 unknown id, Status.Queued not taken by a worker (yet), Status.Running taken (running, or finished since). */
  state(id: number): number;
  counts(): [queued: number, active: number, workers: number];
  lockStats(): LockStats;
  requestStop(): void;
  close(): void;
}

export interface RawBinding {
  abiVersion: number;
  wire: RawWire;
  /** The code the sha256 kernel runs: the host process's OpenSSL, or corepool's own. */
  sha256Backend: 'openssl' | 'sha-ni' | 'portable';
  kernels(): RawKernel[];
  runSync(kernelId: number, args: unknown[], stopWords?: Int32Array, index?: number): unknown;
  loadKernelTable(table: unknown): RawKernel[];
  setSwitchInterval(ms: number): void;
  getSwitchInterval(): number;
  setCheckInterval(ticks: number): void;
  getCheckInterval(): number;
  globalLockStats(): LockStats;
  NativePoolBinding: new (
    workers: number,
    name: string,
    lockMode: number,
    /** `objects` is undefined when no record of the batch refers to one. */
    onComplete: (count: number, objects: unknown[] | undefined) => void,
    records: Float64Array,
  ) => RawPool;
}

export const binding = nodeGypBuild(path.join(__dirname, '..', '..')) as RawBinding;
checkWire(binding.wire);
