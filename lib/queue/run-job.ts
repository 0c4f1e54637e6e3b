// One job on a queue worker: its data checked, its task looked up, run on the local pool
// with the job's deadline and a signal that client cancels abort, and its outcome turned
// into what the client reads back: the encoded result, or a failedReason `[Kind] message`.
// Every outcome but a task's own error is unrecoverable: BullMQ never retries it.
import type { Job } from 'bullmq';

import { CancelledError, KernelError, TimeoutError } from '../core/errors';
import { decode, encode } from './codec';
import { loadBullMQ } from './load';
import { checkJobData, failureReason, JobCounters, JobData } from './protocol';
import type { TaskTable } from './task-table';

/** How the server lets a job run: its signal, whether it is being handed back. */
export interface JobControl {
  readonly controller: AbortController;
  handBack: boolean;
}

export interface JobRun {
  table: TaskTable;
  counters: JobCounters;
  workerName: string;
  /** Registers the job as running, so that a cancel published from now on reaches it. */
  begin(jobId: string): JobControl;
  /** True if the job's cancel key is set (a cancel published before begin()). */
  cancelledBefore(jobId: string): Promise<boolean>;
  end(jobId: string): void;
}

export async function runJob(run: JobRun, job: Job, token: string | undefined, bullSignal: AbortSignal | undefined): Promise<unknown> {
  const { UnrecoverableError, WaitingError } = loadBullMQ();
  const { counters } = run;
  const fail = (kind: string, message: string): Error => new UnrecoverableError(failureReason(kind, message));
  let data: JobData;
  try {
    data = checkJobData(job.data);
  } catch (error) {
    counters.failed++;
    throw fail('BadJob', (error as Error).message);
  }
  const runner = run.table.lookUp(data.k, data.t);
  if (runner === undefined) {
    counters.failed++;
    const known = data.k === 'k' ? run.table.kernelNames() : run.table.taskNames();
    throw fail('TaskNotFound', `worker '${run.workerName}' has no ${data.k === 'k' ? 'kernel' : 'task'} '${data.t}' (it serves: ${known.join(', ') || 'none'})`);
  }
  const jobId = job.id!;
  const control = run.begin(jobId);
  const { signal } = control.controller;
  bullSignal?.addEventListener('abort', () => control.controller.abort(), { once: true });
  try {
    if (await run.cancelledBefore(jobId)) control.controller.abort();
    if (signal.aborted && !control.handBack) throw new CancelledError(`task '${data.t}' was cancelled before it started`);
    let timeout: number | undefined;
    if (data.d !== undefined) {
      timeout = data.d - Date.now();
      if (timeout <= 0) throw new TimeoutError(`task '${data.t}' passed its deadline before a worker started it`);
    }
    let result: unknown;
    if (data.a !== undefined) {
      result = await runner.submit(decode(data.a, 'args') as unknown[], { timeout, runTimeout: data.r, signal });
    } else {
      const items = decode(data.m, 'items') as unknown[];
      const out: unknown[] = [];
      for await (const r of runner.map(items, { chunksize: Math.max(1, items.length), timeout, signal })) out.push(r);
      result = out;
    }
    let encoded: unknown;
    try {
      encoded = encode(result, `task '${data.t}': its result`);
    } catch (error) {
      throw fail('BadResult', (error as Error).message);
    }
    counters.completed++;
    return encoded;
  } catch (error) {
    if (control.handBack && token !== undefined) {
      // Closing past its grace: the job goes back to the queue for another worker.
      counters.handedBack++;
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw toFailure(error, data.t, counters, fail, UnrecoverableError);
  } finally {
    run.end(jobId);
  }
}

/** The error BullMQ records for a job that did not complete, counted. */
function toFailure(error: unknown, task: string, counters: JobCounters, fail: (kind: string, message: string) => Error, Unrecoverable: new (message?: string) => Error): Error {
  if (error instanceof Unrecoverable) {
    counters.failed++;
    return error;
  }
  if (error instanceof CancelledError) {
    counters.cancelled++;
    return fail('CancelledError', `task '${task}' was cancelled`);
  }
  if (error instanceof TimeoutError) {
    counters.timedOut++;
    return fail('TimeoutError', `task '${task}' passed its deadline`);
  }
  counters.failed++;
  if (error instanceof KernelError) return fail('KernelError', error.message);
  if (error instanceof TypeError || error instanceof RangeError) return fail(error.name, error.message);
  // A task's own error: a plain failure (BullMQ attempts apply; QueuePool submits attempts: 1).
  const e = error as Error;
  return new Error(failureReason(typeof e?.name === 'string' ? e.name.replace(/\W/g, '') || 'Error' : 'Error', e?.message ?? String(error)));
}
