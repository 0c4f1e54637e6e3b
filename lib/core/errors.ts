// Errors a user can act on: each names what failed and why.
import { describe, safely } from './validate';

/** Base class of every error corepool raises on purpose. */
export class CorepoolError extends Error {
  override name = 'CorepoolError';
}

/** The task was cancelled (by `cancel()`, an aborted signal, or shutdown). */
export class CancelledError extends CorepoolError {
  override name = 'CancelledError';
  constructor(message = 'the task was cancelled', options?: ErrorOptions) {
    super(message, options);
  }
}

/** A deadline passed: the task's own (`timeout`, `runTimeout`) or a wait's. */
export class TimeoutError extends CorepoolError {
  override name = 'TimeoutError';
  constructor(message = 'the deadline passed', options?: ErrorOptions) {
    super(message, options);
  }
}

/** `submit` after `shutdown()`. */
export class PoolShutdownError extends CorepoolError {
  override name = 'PoolShutdownError';
  constructor(message = 'cannot submit: the pool was shut down') {
    super(message);
  }
}

/** The bounded queue is full and the pool's `onFull` policy is `'reject'`. */
export class QueueFullError extends CorepoolError {
  override name = 'QueueFullError';
}

/** A kernel reported a failure; `.kernel` names it. */
export class KernelError extends CorepoolError {
  override name = 'KernelError';
  readonly kernel: string;
  constructor(kernel: string, message: string, options?: ErrorOptions) {
    super(`${kernel}: ${message}`, options);
    this.kernel = kernel;
  }
}

/** A task failed on every attempt: `.errors` holds each attempt's error in order, `.cause` the last. */
export class RetryError extends CorepoolError {
  override name = 'RetryError';
  readonly errors: Error[];
  constructor(task: string, errors: Error[]) {
    const last = errors[errors.length - 1];
    super(`task '${task}' failed after ${errors.length} attempts; last: ${last?.message ?? 'unknown'}`, { cause: last });
    this.errors = errors;
  }
}

/** A WorkerPool worker died (uncaught exception, process.exit, out of memory) while it held
 * the task, or the pool's workers cannot start; `.cause` says why. */
export class WorkerCrashError extends CorepoolError {
  override name = 'WorkerCrashError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** QueuePool: Redis could not be reached to enqueue the task within `enqueueTimeout`. */
export class QueueUnavailableError extends CorepoolError {
  override name = 'QueueUnavailableError';
}

/** QueuePool: the task failed on a worker; `.remoteName` is the error's name there. */
export class RemoteTaskError extends CorepoolError {
  override name = 'RemoteTaskError';
  readonly task: string;
  readonly jobId: string;
  readonly remoteName: string | undefined;
  constructor(task: string, jobId: string, remoteName: string | undefined, message: string) {
    super(`task '${task}' (job ${jobId}) failed on a worker: ${remoteName === undefined ? '' : `${remoteName}: `}${message}`);
    this.task = task;
    this.jobId = jobId;
    this.remoteName = remoteName;
  }
}

/** QueuePool: the job vanished from Redis before it settled (flushed, evicted, or a Redis
 * restart without persistence). Whether it ran is unknown. */
export class JobLostError extends CorepoolError {
  override name = 'JobLostError';
}

/**
 * The error of a cancelled task; `cause` (an AbortSignal's reason) is kept, as p-queue
 * keeps it. It carries no stack: it is made where corepool settles the Future (mostly a
 * completion callback, where the stack holds corepool's frames only), and capturing one
 * there cost 20-50 us on a busy box, half of what cancel() of a running task takes to
 * reach CANCELLED (npm run bench:cancel).
 */
export function cancelledError(task: string, cause: unknown): CancelledError {
  const message = `task '${task}' was cancelled`;
  if (cause === undefined) return withoutStack(() => new CancelledError(message));
  const why = safely(() => (cause instanceof Error ? `: ${String(cause.message)}` : ''), ''); // a revoked Proxy as reason too
  return withoutStack(() => new CancelledError(message + why, { cause }));
}

function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return make(); // a frozen Error (a hardened realm): then with a stack
  }
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** What a task threw, as an Error: an Error as it is, anything else (a string, a revoked
 * Proxy, a null-prototype object) wrapped with the value kept as `cause`. Every pool uses it,
 * and Future.then() for what its callbacks throw (`thrower` says who threw). */
export function errorFromThrown(thrown: unknown, task: string, thrower = `task '${task}'`): Error {
  let isError = false;
  try {
    isError = thrown instanceof Error;
  } catch {
    // a revoked Proxy: instanceof cannot even look at it
  }
  if (isError) return thrown as Error;
  return new Error(`${thrower} threw a non-Error value: ${describe(thrown)}`, { cause: thrown });
}
