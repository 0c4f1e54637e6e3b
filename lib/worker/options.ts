// What a WorkerPool user passes and gets back: the options, the typed task handle, the
// stats, and their checks at the boundary (each a TypeError/RangeError naming the option).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { types } from 'node:util';
import type { ResourceLimits } from 'node:worker_threads';

import type { SubmitOptions } from '../core/executor';
import type { CommonStats } from '../core/pool-core';
import type { TypedTask } from '../core/task-types';
import { checkArgsLength, checkCount, checkOptions, checkTimeout, describe, NO_ARGS } from '../core/validate';
import type { WorkerTaskContext } from './context';

export interface WorkerPoolOptions {
  /** Path or URL of an ESM or CommonJS module whose named function exports are the tasks.
   * Optional: without it the pool runs only self-contained functions. */
  module?: string | URL;
  /** Workers started at once and kept however idle. Default 1 (at most maxWorkers). */
  minWorkers?: number;
  /** Most workers, started on demand. Default os.availableParallelism(). */
  maxWorkers?: number;
  /** A worker beyond minWorkers idle this long (ms) is stopped. Default 10000; Infinity = never. */
  idleTimeout?: number;
  /** A task that ignores its stop bit this long (ms) after cancel or deadline has its worker
   * terminated and replaced. Default 1000; Infinity = never. */
  killAfter?: number;
  /** How many async tasks one worker runs at once (each awaiting, e.g. a fetch or a timer).
   * Default 1: a task that awaits holds its worker until it settles. Sync tasks always run
   * one at a time; each task keeps its own stop word, signal and deadline. A worker killed
   * for a task that ignored its stop bit (killAfter) ends the others awaiting there too:
   * they reject with WorkerCrashError saying so (started work is never silently rerun). */
  asyncTasksPerWorker?: number;
  /** The restart breaker: when `crashes` workers crash on their own (not killed by
   * killAfter) within `windowMs`, the pool stops restarting them and every queued and later
   * task rejects with WorkerCrashError. Default { crashes: 5, windowMs: 10000 };
   * `crashes: Infinity` never trips. */
  breaker?: { crashes?: number; windowMs?: number };
  /** Passed to each Worker (heap limits: a task over them crashes only its worker). */
  resourceLimits?: ResourceLimits;
  /** Worker thread names are `${name}-${n}`. Default 'worker-pool'. */
  name?: string;
}

export interface WorkerSubmitOptions extends SubmitOptions {
  /** ArrayBuffers moved to the worker instead of copied (they are detached here). */
  transfer?: ArrayBuffer[];
}

export interface WorkerPoolStats extends CommonStats {
  /** Workers alive now. */
  workers: number;
  /** Workers terminated because a task ignored its stop bit for killAfter ms. */
  killed: number;
  /** Workers that died on their own (uncaught exception, process.exit, out of memory). */
  crashed: number;
}

/** A typed handle on one export of the task module (pool.task('name')). */
export interface TaskHandle<A extends readonly unknown[], R> extends TypedTask<A, R> {
  readonly name: string;
}

export type AnyTaskFn = (ctx: WorkerTaskContext, ...args: never[]) => unknown;
/** The names of a module's exports that are tasks. */
export type TaskNames<M> = { [K in keyof M]: M[K] extends AnyTaskFn ? K : never }[keyof M] & string;
export type ArgsOf<F> = F extends (ctx: WorkerTaskContext, ...args: infer A) => unknown ? A : never;
export type ResultOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

/** The options once checked, with their defaults. */
export interface WorkerPoolConfig {
  module: string | undefined;
  minWorkers: number;
  maxWorkers: number;
  idleTimeout: number;
  killAfter: number;
  asyncTasksPerWorker: number;
  breakerCrashes: number;
  breakerWindowMs: number;
  resourceLimits: ResourceLimits | undefined;
}

const POOL_KEYS = ['module', 'minWorkers', 'maxWorkers', 'idleTimeout', 'killAfter', 'asyncTasksPerWorker', 'breaker', 'resourceLimits', 'name'];
export const SUBMIT_KEYS: readonly string[] = ['timeout', 'runTimeout', 'signal', 'transfer'];

export function checkWorkerPoolOptions(options: WorkerPoolOptions): WorkerPoolConfig {
  checkOptions(options, POOL_KEYS, 'WorkerPool');
  const maxWorkers = checkCount(options.maxWorkers, 'maxWorkers', 1, os.availableParallelism());
  if (maxWorkers === Infinity) throw new RangeError('maxWorkers must be finite');
  const minWorkers = checkCount(options.minWorkers, 'minWorkers', 0, Math.min(1, maxWorkers));
  if (minWorkers > maxWorkers) throw new RangeError(`minWorkers (${minWorkers}) must be <= maxWorkers (${maxWorkers})`);
  const asyncTasksPerWorker = checkCount(options.asyncTasksPerWorker, 'asyncTasksPerWorker', 1, 1);
  if (asyncTasksPerWorker === Infinity) throw new RangeError('asyncTasksPerWorker must be finite');
  if (options.resourceLimits !== undefined && (typeof options.resourceLimits !== 'object' || options.resourceLimits === null)) {
    throw new TypeError(`resourceLimits must be an object, got ${describe(options.resourceLimits)}`);
  }
  const breaker = checkOptions(options.breaker, ['crashes', 'windowMs'], 'WorkerPool breaker') ?? {};
  const breakerWindowMs = checkMs(breaker.windowMs, 'breaker.windowMs', 10_000);
  if (breakerWindowMs === 0) throw new RangeError('breaker.windowMs must be > 0, got 0');
  return {
    module: options.module === undefined ? undefined : resolveModule(options.module),
    minWorkers,
    maxWorkers,
    idleTimeout: checkIdleTimeout(options.idleTimeout),
    killAfter: checkMs(options.killAfter, 'killAfter', 1000),
    asyncTasksPerWorker,
    breakerCrashes: checkCount(breaker.crashes, 'breaker.crashes', 1, 5),
    breakerWindowMs,
    resourceLimits: options.resourceLimits,
  };
}

/** A duration in ms where Infinity means never (checkTimeout maps Infinity to undefined). */
function checkMs(value: unknown, name: string, fallback: number): number {
  if (value === Infinity) return Infinity;
  return checkTimeout(value, name) ?? fallback;
}

// The idle timer must not keep the process alive, and a timer chained past 2^31 ms
// (core/timers.ts) could not be unref'd: 24.8 days is the longest finite idleTimeout.
const MAX_IDLE_MS = 2 ** 31 - 1;

function checkIdleTimeout(value: unknown): number {
  const ms = checkMs(value, 'idleTimeout', 10_000);
  if (ms !== Infinity && ms > MAX_IDLE_MS) throw new RangeError(`idleTimeout must be <= ${MAX_IDLE_MS} ms (24.8 days) or Infinity, got ${ms}`);
  return ms;
}

function resolveModule(module: unknown): string {
  if (module instanceof URL) return checkFileUrl(module.href);
  if (typeof module !== 'string' || module.length === 0) {
    throw new TypeError(`module must be a path or URL of the task module, got ${describe(module)}`);
  }
  if (module.startsWith('file:')) return checkFileUrl(module);
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module; // data:, node:, ...
  let file: string;
  if (path.isAbsolute(module) || module.startsWith('.')) {
    file = path.resolve(module);
  } else {
    try {
      file = require.resolve(module, { paths: [process.cwd()] });
    } catch {
      throw new TypeError(`module: cannot find the task module '${module}' (from ${process.cwd()})`);
    }
  }
  if (!fs.existsSync(file)) throw new TypeError(`module: cannot find the task module ${file}`);
  return pathToFileURL(file).href;
}

function checkFileUrl(href: string): string {
  if (href.startsWith('file:') && !fs.existsSync(new URL(href))) throw new TypeError(`module: cannot find the task module ${href}`);
  return href;
}

/**
 * options.transfer, read once into a fresh array (what is sent is what was checked): each
 * item an ArrayBuffer that can still be transferred, none listed twice (postMessage would
 * fail the whole batch of the tick for either).
 */
export function checkTransfer(transfer: unknown): ArrayBuffer[] | undefined {
  if (transfer === undefined) return undefined;
  if (!Array.isArray(transfer)) throw new TypeError(`options.transfer must be an array of ArrayBuffers, got ${describe(transfer)}`);
  const length = transfer.length;
  if (length === 0) return undefined;
  const buffers: ArrayBuffer[] = [];
  for (let i = 0; i < length; i++) {
    const buffer: unknown = transfer[i];
    const where = `options.transfer[${i}]`;
    if (types.isSharedArrayBuffer(buffer)) {
      throw new TypeError(`${where} is a SharedArrayBuffer: shared memory needs no transfer (pass it, or a view of it, in the arguments: the worker uses the same memory)`);
    }
    if (!types.isArrayBuffer(buffer)) {
      const view = ArrayBuffer.isView(buffer) ? ' (pass its .buffer)' : '';
      throw new TypeError(`${where} must be an ArrayBuffer, got ${describe(buffer)}${view}`);
    }
    if (isDetached(buffer)) throw new TypeError(`${where} is a detached ArrayBuffer (transferred or detached already): it holds no memory to move`);
    const again = buffers.indexOf(buffer);
    if (again >= 0) throw new TypeError(`${where} is options.transfer[${again}] again: list each buffer once`);
    buffers.push(buffer);
  }
  return buffers;
}

// Node 20 has no ArrayBuffer.prototype.detached. A detached buffer has byteLength 0, and
// a view of it cannot be made: only a zero-length buffer pays for this check.
function isDetached(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** What can be known at once about arguments that cannot travel: functions and symbols. */
export function checkArgs(task: string, args: readonly unknown[]): void {
  for (let i = 0; i < args.length; i++) {
    const type = typeof args[i];
    if (type === 'function' || type === 'symbol') {
      throw new TypeError(`task '${task}': argument ${i} is a ${type}, which cannot be sent to a worker`);
    }
  }
}

/**
 * submit's arguments, read once into a fresh array and checked as checkArgs does: a caller
 * that writes its array again before the tick ends (a loop reusing one array) changes
 * nothing this task gets. Objects inside are not copied here: the structured clone of
 * postMessage reads them at the end of the tick (as NativePool copies buffers at flush).
 */
export function readArgs(task: string, args: readonly unknown[]): readonly unknown[] {
  const length = args.length;
  if (length === 0) return NO_ARGS;
  checkArgsLength(length, `submit of task '${task}'`);
  // Packed arrays of their exact size: a holey one (new Array(n)) leaves V8's dense path of
  // the structured clone at postMessage, and push() over-allocates; a literal of the common
  // short lengths is the cheapest copy (measured: ~0.02 us per submit of two arguments).
  let copy: unknown[];
  if (length === 1) copy = [args[0]];
  else if (length === 2) copy = [args[0], args[1]];
  else if (length === 3) copy = [args[0], args[1], args[2]];
  else {
    copy = [];
    for (let i = 0; i < length; i++) copy.push(args[i]);
  }
  checkArgs(task, copy);
  return copy;
}
