// How a QueuePool's jobs reach Redis: each submit adds an Entry to the tick's batch, and
// one addBulk per tick sends them, bounded by `enqueueTimeout` (then the batch's Futures fail
// with QueueUnavailableError, and the jobs are marked cancelled should Redis take them
// later). The client's own deadline timer is set here too: it settles TimeoutError a grace
// period after a job's deadline, so a deadline holds even when no worker is alive.
import { QueueUnavailableError, TimeoutError } from '../core/errors';
import type { Future } from '../core/future';
import { clearLongTimeout, LongTimer, setLongTimeout } from '../core/timers';
import type { Connections } from './connections';
import type { QueuePoolConfig } from './options';
import { describeConnection, JobData } from './protocol';
import type { RemoteCancel } from './remote-cancel';
import type { Entry, JobTable } from './settle';

/** After the deadline, how long the client waits for a worker's own TimeoutError. */
const DEADLINE_GRACE_MS = 500;

export class SubmitBatch {
  /** Jobs submitted since the pool was made. */
  submitted = 0;
  #seq = 0;
  #batch: Entry[] = [];
  #flushScheduled = false;

  constructor(
    private readonly config: QueuePoolConfig,
    private readonly links: Connections,
    private readonly jobs: JobTable,
    private readonly remote: RemoteCancel,
  ) {}

  /** A new job for `data`, sent at the end of the tick; its Future. */
  add(name: string, data: JobData): Future<unknown> {
    const entry = this.jobs.add(++this.#seq, name, data);
    this.submitted++;
    if (data.d !== undefined) {
      entry.timer = setLongTimeout(() => this.#deadlinePassed(entry), Math.max(0, data.d - Date.now()) + DEADLINE_GRACE_MS, true);
    }
    entry.batched = true;
    this.#batch.push(entry);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => void this.#flush());
    }
    return entry.future;
  }

  /** An Entry's cancel(): true if taken (the Future will end CANCELLED). */
  cancel(entry: Entry): boolean {
    if (entry.batched) {
      // Still in this tick's batch: settled now, and #flush leaves it out (O(1): a
      // shutdown cancelling n unsent jobs is O(n)), so it never reaches Redis.
      this.jobs.settle(entry, 'cancelled');
      return true;
    }
    // On its way to Redis (addBulk in flight): #flush cancels it once it is there.
    if (entry.sent) void this.remote.cancel(entry);
    return true;
  }

  /** Sends the tick's jobs in one addBulk, bounded by enqueueTimeout. */
  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const taken = this.#batch;
    this.#batch = [];
    const batch: Entry[] = [];
    for (const e of taken) {
      e.batched = false;
      if (this.jobs.live(e)) batch.push(e); // not cancelled (nor past its deadline) meanwhile
    }
    if (batch.length === 0) return;
    const { queue, connection, enqueueTimeout, keepFinished: keep } = this.config;
    const jobs = batch.map((e) => ({
      name: e.name,
      data: e.data,
      opts: { jobId: e.jobId, attempts: 1, removeOnComplete: { age: keep }, removeOnFail: { age: keep } },
    }));
    let timer: LongTimer | undefined;
    // Held until Redis answers or enqueueTimeout passes.
    this.links.hold();
    const added = this.links.open().then((links) => links.queue.addBulk(jobs));
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setLongTimeout(() => resolve('timeout'), enqueueTimeout); // none for Infinity
    });
    try {
      const outcome = await Promise.race([added, timedOut]);
      if (outcome === 'timeout') {
        const lastError = this.links.lastError;
        const error = new QueueUnavailableError(
          `cannot enqueue on queue '${queue}': Redis at ${describeConnection(connection)} did not take the job within ${enqueueTimeout} ms` +
            (lastError ? ` (${lastError.message})` : ''),
        );
        for (const e of batch) this.jobs.settle(e, 'error', error);
        // Should Redis take them after all, no worker may run them. (Not held: a pool
        // that goes idle with Redis away disconnects, and the add then fails for good.)
        added.then(() => this.remote.mark(batch.map((e) => e.jobId))).catch(() => undefined);
        return;
      }
    } catch (error) {
      const e2 = new QueueUnavailableError(`cannot enqueue on queue '${queue}': ${(error as Error).message}`, { cause: error });
      for (const e of batch) this.jobs.settle(e, 'error', e2);
      return;
    } finally {
      clearLongTimeout(timer);
      this.links.release();
    }
    // Redis took the jobs: an error from before is no longer why a later enqueue fails.
    this.links.lastError = undefined;
    for (const e of batch) {
      e.sent = true;
      // cancel() while the add was on its way: it could not remove the job yet.
      if (e.future.cancelRequested && this.jobs.live(e)) void this.remote.cancel(e);
    }
  }

  #deadlinePassed(entry: Entry): void {
    entry.timer = undefined;
    if (!this.jobs.live(entry)) return;
    // No worker said TimeoutError in time (none alive, or Redis away): the deadline holds anyway.
    this.jobs.settle(entry, 'timeout', new TimeoutError(`task '${entry.name}' (job ${entry.jobId}) passed its deadline`));
    if (entry.sent) void this.remote.drop(entry.jobId);
  }
}
