// Retry policy for IoPool tasks (the retrying runner pattern): exponential backoff with
// jitter, a predicate deciding which errors are worth another attempt, and the error
// (RetryError, in core/errors.ts) that reports every failed attempt when they run out.
import { describe } from '../core/validate';

export interface RetryOptions {
  /** Attempts after the first. Default 3. */
  retries?: number;
  /** Delay before the first retry, ms. Default 100. */
  minDelayMs?: number;
  /** Cap on any one delay, ms. Default 10000. */
  maxDelayMs?: number;
  /** Each delay is the previous one times `factor`. Default 2. */
  factor?: number;
  /**
   * Randomizes each delay down by up to this fraction: `delay * (1 - jitter * random())`.
   * `true` is 1 ("full jitter"), `false` is 0. Default true: many tasks failing together
   * (a server restart) then do not come back together.
   */
  jitter?: boolean | number;
  /** Whether `error` of attempt `attempt` (1-based) is worth a retry. Default: every error. */
  retryOn?: (error: Error, attempt: number) => boolean;
}

export interface RetryPolicy {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: number;
  retryOn: ((error: Error, attempt: number) => boolean) | undefined;
}

export function checkRetryOptions(value: unknown, name = 'retry'): RetryPolicy | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  const o = value as RetryOptions;
  const num = (v: unknown, field: string, fallback: number, min: number, integer = false): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${name}.${field} must be a number, got ${describe(v)}`);
    if (v < min || (integer && !Number.isInteger(v)) || (integer && v === Infinity)) {
      throw new RangeError(`${name}.${field} must be ${integer ? 'an integer ' : ''}>= ${min}, got ${v}`);
    }
    return v;
  };
  const retries = num(o.retries, 'retries', 3, 0, true);
  const minDelayMs = num(o.minDelayMs, 'minDelayMs', 100, 0);
  const maxDelayMs = num(o.maxDelayMs, 'maxDelayMs', Math.max(10_000, minDelayMs), minDelayMs);
  const factor = num(o.factor, 'factor', 2, 1);
  let jitter: number;
  if (o.jitter === undefined || o.jitter === true) jitter = 1;
  else if (o.jitter === false) jitter = 0;
  else {
    jitter = num(o.jitter, 'jitter', 1, 0);
    if (jitter > 1) throw new RangeError(`${name}.jitter must be a boolean or a number in 0..1, got ${jitter}`);
  }
  if (o.retryOn !== undefined && typeof o.retryOn !== 'function') {
    throw new TypeError(`${name}.retryOn must be a function (error, attempt) => boolean, got ${describe(o.retryOn)}`);
  }
  return { retries, minDelayMs, maxDelayMs, factor, jitter, retryOn: o.retryOn };
}

/** The delay before retry number `retry` (1 for the first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** (retry - 1));
  return policy.jitter === 0 ? base : base * (1 - policy.jitter * random());
}
