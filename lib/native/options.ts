// NativePool's options and stats types, and the checks at its boundary: the options
// object, and that a task is a corepool kernel (with a pointer to the right pool when
// it is a JS function or a worker file).
import * as os from 'node:os';

import { checkPoolName, CommonStats } from '../core/pool-core';
import { checkCount, checkOptions, describe } from '../core/validate';
import { isKernel } from './kernel';
import type { AnyKernel } from './slots';

export type OnFull = 'reject' | 'callerRuns' | 'discardOldest';

export interface GlobalLockOptions {
  /** 'modern': CPython >= 3.2 (switch interval, forced switching); 'legacy': the tick-based lock before it. */
  mode?: 'modern' | 'legacy';
}

export interface NativePoolOptions {
  /** Worker threads. Default os.availableParallelism(). */
  maxWorkers?: number;
  /** Most tasks waiting for a worker; beyond it `onFull` decides. Default unbounded. */
  maxQueue?: number;
  /** What submit does when the queue is full. Default 'reject'. */
  onFull?: OnFull;
  /** Thread names are `${name}-${index}` (seen in top -H and debuggers). Default 'corepool'. */
  name?: string;
  /** Run every task under one process-wide lock that emulates CPython's GIL. */
  globalLock?: boolean | GlobalLockOptions;
}

export interface PoolStats extends CommonStats {
  workers: number;
  /** Tasks run on the calling thread by onFull 'callerRuns' (also counted as completed, failed or timedOut). */
  callerRuns: number;
}

/** NativePoolOptions checked, with their defaults. */
export interface CheckedPoolOptions {
  readonly name: string;
  readonly maxWorkers: number;
  readonly maxQueue: number;
  readonly onFull: OnFull;
  readonly globalLock: false | 'modern' | 'legacy';
}

export function checkPoolOptions(options: NativePoolOptions): CheckedPoolOptions {
  if (typeof options === 'object' && options !== null && 'filename' in options) {
    throw new TypeError(
      "NativePool: unknown option 'filename': NativePool runs only native kernels (kernels.*, loadKernels()); " +
        'for a JS worker file use a WorkerPool, for async functions an IoPool',
    );
  }
  checkOptions(options, ['maxWorkers', 'maxQueue', 'onFull', 'name', 'globalLock'], 'NativePool');
  const name = checkPoolName(options.name, 'corepool');
  const maxWorkers = checkCount(options.maxWorkers, 'maxWorkers', 1, os.availableParallelism());
  if (maxWorkers > 1024) throw new RangeError(`maxWorkers must be <= 1024, got ${maxWorkers}`);
  const maxQueue = checkCount(options.maxQueue, 'maxQueue', 0, Infinity);
  const onFull = options.onFull ?? 'reject';
  if (onFull !== 'reject' && onFull !== 'callerRuns' && onFull !== 'discardOldest') {
    throw new TypeError(`onFull must be 'reject', 'callerRuns' or 'discardOldest', got ${describe(onFull)}`);
  }
  return { name, maxWorkers, maxQueue, onFull, globalLock: parseGlobalLock(options.globalLock) };
}

function parseGlobalLock(value: NativePoolOptions['globalLock']): false | 'modern' | 'legacy' {
  if (value === undefined || value === false) return false;
  if (value === true) return 'modern';
  if (typeof value === 'object' && value !== null) {
    checkOptions(value, ['mode'], 'globalLock');
    const mode = value.mode ?? 'modern';
    if (mode === 'modern' || mode === 'legacy') return mode;
    throw new TypeError(`globalLock.mode must be 'modern' or 'legacy', got ${describe(mode)}`);
  }
  throw new TypeError(`globalLock must be a boolean or { mode }, got ${describe(value)}`);
}

export function checkKernel(kernel: unknown, caller: string): asserts kernel is AnyKernel {
  if (isKernel(kernel)) return;
  if (typeof kernel === 'function') {
    throw new TypeError(
      `NativePool.${caller}: NativePool runs only native kernels (kernels.isPrime, loadKernels()), got a JS function; ` +
        'run async functions on an IoPool, and JS on threads on a WorkerPool',
    );
  }
  throw new TypeError(`NativePool.${caller}: kernel must be a corepool kernel (e.g. kernels.isPrime, or one from loadKernels()), got ${describe(kernel)}`);
}
