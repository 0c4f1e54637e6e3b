// A bounded NativePool's queue (maxQueue): when one more task would have to wait beyond
// it, and what onFull does then: 'reject' throws, 'callerRuns' runs the task on the
// calling thread, 'discardOldest' cancels the oldest queued task to make room.
import { binding } from './binding';
import { KernelError, QueueFullError, TimeoutError } from '../core/errors';
import { Future } from '../core/future';
import type { CheckedSubmitOptions } from '../core/validate';
import type { NativeEngine } from './engine';
import type { AnyKernel } from './slots';
import { Status } from './wire';

/** Would one more task have to wait beyond maxQueue? Free workers take tasks first. */
export function queueFull(engine: NativeEngine): boolean {
  if (engine.maxQueue === Infinity || engine.closed) return false;
  // Queued + running tasks are at most `inflight`: while that fits, no need to ask.
  if (engine.slots.inflight + 1 - engine.maxWorkers <= engine.maxQueue) return false;
  const [queued, active] = engine.raw.counts();
  const freeWorkers = Math.max(0, engine.maxWorkers - active);
  return queued + engine.batch.count + 1 - freeWorkers > engine.maxQueue;
}

/** The onFull policy, for a task that found the queue full: a Future settled now, or
 * undefined once room was made (the task is then queued as usual). */
export function onQueueFull(engine: NativeEngine, kernel: AnyKernel, values: readonly unknown[], opts: CheckedSubmitOptions): Future<unknown> | undefined {
  switch (engine.onFull) {
    case 'reject':
      throw new QueueFullError(`pool '${engine.core.name}' has ${engine.maxQueue} task(s) queued (maxQueue); submit later, use submitWhenReady, or another onFull policy`);
    case 'callerRuns':
      return runInCaller(engine, kernel, values, opts);
    case 'discardOldest': {
      // The native queue's head is older than anything unsent; flush only if it is empty.
      let id = engine.raw.takeOldest();
      if (id < 0) {
        engine.flush();
        id = engine.raw.takeOldest();
      }
      if (id >= 0) engine.finishSlot(id, Status.Cancelled, 0, undefined, 0, 0);
      return undefined;
    }
  }
}

/**
 * onFull 'callerRuns': runs on the calling (event-loop) thread, blocking JS for the
 * task's duration, which slows the producer down exactly as much as the pool is behind.
 * It is counted like any task. The signal was checked at submit (it cannot abort while
 * the event loop is blocked); a timeout that passes while it runs makes it a TimeoutError
 * (the result is dropped, as for a pool task that passed its deadline), but runSync has
 * no checkpoint hook, so the kernel itself runs to its end.
 */
function runInCaller(engine: NativeEngine, kernel: AnyKernel, values: readonly unknown[], opts: CheckedSubmitOptions): Future<unknown> {
  engine.callerRuns++;
  const counters = engine.core.counters;
  const start = performance.now();
  const deadline = Math.min(opts.timeout ?? Infinity, opts.runTimeout ?? Infinity);
  let outcome: Future<unknown>;
  try {
    const result = binding.runSync(kernel.id, values as unknown[]);
    if (performance.now() - start > deadline) {
      counters.timedOut++;
      outcome = Future.failed(kernel.name, new TimeoutError(`task '${kernel.name}' passed its deadline (run in the caller: onFull 'callerRuns')`));
    } else {
      counters.completed++;
      outcome = Future.resolved(kernel.name, result);
    }
  } catch (error) {
    counters.failed++;
    outcome = Future.failed(kernel.name, new KernelError(kernel.name, (error as Error).message));
  }
  const runNs = (performance.now() - start) * 1e6;
  engine.runNsTotal += runNs;
  engine.core.recordTimes(1, runNs);
  return outcome;
}
