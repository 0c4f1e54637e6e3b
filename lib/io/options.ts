// IoPool's public option and stats types, and the check of its per-task options.
import type { SubmitOptions } from '../core/executor';
import type { CommonStats } from '../core/pool-core';
import { checkSubmitOptions, describe } from '../core/validate';
import type { RateLimit } from './rate-limit';
import { checkRetryOptions, RetryOptions, RetryPolicy } from './retry';

/**
 * Default maxConcurrency. Python's thread default min(32, cpus + 4) bounds threads, which
 * cost memory and switches; an in-flight async task costs a few hundred bytes, so the
 * bound here protects the other side (sockets, file descriptors, the remote server)
 * instead. 100 matches aiohttp's connection limit, stays far below the usual 1024
 * descriptor ulimit, and gives 20k tasks/s at 5 ms latency; bench/run/async-limiters.ts measures
 * that throughput grows ~linearly with the limit up to there (see its concurrency sweep).
 */
export const DEFAULT_IO_CONCURRENCY = 100;

/** When the queue is full: throw QueueFullError, or cancel the task that would run next. */
export type IoOnFull = 'reject' | 'discardOldest';

export interface IoPoolOptions {
  /** Most tasks running at once. Default DEFAULT_IO_CONCURRENCY (100). */
  maxConcurrency?: number;
  /** Most tasks waiting for a slot; beyond it `onFull` decides. Default unbounded. */
  maxQueue?: number;
  /** Default 'reject' (QueueFullError). 'discardOldest' cancels the queued task that would run next. */
  onFull?: IoOnFull;
  /** At most `count` task starts (retries included) in any window of `intervalMs`. */
  rateLimit?: RateLimit;
  /** Default retry policy of every task (per-task `retry` overrides it). */
  retry?: RetryOptions;
  /** For messages and stats. Default 'io-pool'. */
  name?: string;
}

export interface IoSubmitOptions extends SubmitOptions {
  /** Higher runs first among queued tasks; FIFO within a priority. Default 0. */
  priority?: number;
  /** Retry policy of this task; `false` turns off the pool's default. */
  retry?: RetryOptions | false;
}

/** `active` counts children on a borrowed slot; `queued` those waiting for a slot or a
 * rate-limit token; `queueWait` runs from submit to the first start, `runTime` from there
 * to the end. */
export interface IoPoolStats extends CommonStats {
  maxConcurrency: number;
  /** Retries started or scheduled (attempts after the first). */
  retries: number;
  /** Attempts abandoned by a timeout or cancel that have not settled yet: a leak if it grows. */
  runaway: number;
  paused: boolean;
}

const IO_SUBMIT_OPTION_KEYS: readonly string[] = ['timeout', 'runTimeout', 'signal', 'priority', 'retry'];

export interface CheckedIoSubmitOptions {
  timeout: number | undefined;
  runTimeout: number | undefined;
  signal: AbortSignal | undefined;
  priority: number;
  retry: RetryPolicy | undefined;
}

/** Checks one task's options; `defaultRetry` is the pool's policy, which `retry` overrides. */
export function checkIoSubmitOptions(options: IoSubmitOptions | undefined, defaultRetry: RetryPolicy | undefined): CheckedIoSubmitOptions {
  if (options === undefined) return { timeout: undefined, runTimeout: undefined, signal: undefined, priority: 0, retry: defaultRetry };
  const { timeout, runTimeout, signal } = checkSubmitOptions(options, IO_SUBMIT_OPTION_KEYS);
  let priority = 0;
  const p = options.priority;
  if (p !== undefined) {
    if (typeof p !== 'number' || Number.isNaN(p)) throw new TypeError(`options.priority must be a number, got ${describe(p)}`);
    if (!Number.isFinite(p)) throw new RangeError(`options.priority must be finite, got ${p}`);
    priority = p;
  }
  let retry = defaultRetry;
  if (options.retry !== undefined) retry = options.retry === false ? undefined : checkRetryOptions(options.retry, 'options.retry');
  return { timeout, runTimeout, signal, priority, retry };
}
