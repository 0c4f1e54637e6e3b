// Cancel across processes, the client's side: a job's cancel key (a worker taking the job
// later, or again after a stall, refuses it) and a message on the queue's cancel channel
// (the worker running it aborts the task's signal, which reaches its checkpoint).
import type { Connections } from './connections';
import { cancelChannel, cancelKey, CANCEL_KEY_TTL_S } from './protocol';
import type { Entry, JobTable } from './settle';

export class RemoteCancel {
  constructor(
    private readonly links: Connections,
    private readonly jobs: JobTable,
    private readonly prefix: string,
    private readonly queue: string,
  ) {}

  /** cancel() of a job in Redis: a waiting one is removed (CANCELLED now); a running one
   * ends CANCELLED when its worker reports it stopped. */
  async cancel(entry: Entry): Promise<void> {
    try {
      await this.mark([entry.jobId]);
      // A waiting job is removed (1); a job a worker holds is locked (0): its worker,
      // told above, stops it and fails it as cancelled.
      const links = this.links.current;
      if (links !== undefined && (await links.queue.remove(entry.jobId)) === 1) this.jobs.settle(entry, 'cancelled');
    } catch {
      // Redis away: the cancel key and the sweep settle it once Redis is back.
    }
  }

  /** A job whose Future already settled (its deadline passed here): no worker may run it. */
  async drop(jobId: string): Promise<void> {
    this.links.hold();
    try {
      await this.mark([jobId]);
      await this.links.current?.queue.remove(jobId);
    } catch {
      // best effort: the cancel key keeps a worker from running it
    } finally {
      this.links.release();
    }
  }

  /** Sets the jobs' cancel keys and tells the workers running them, in one round trip. */
  async mark(jobIds: string[]): Promise<void> {
    const control = (await this.links.open()).control;
    const channel = cancelChannel(this.prefix, this.queue);
    const pipeline = control.pipeline();
    for (const id of jobIds) {
      pipeline.set(cancelKey(this.prefix, this.queue, id), '1', 'EX', CANCEL_KEY_TTL_S);
      pipeline.publish(channel, id);
    }
    await pipeline.exec();
  }
}
