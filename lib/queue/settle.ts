// How a QueuePool's Futures settle from what Redis says. Each job in flight is an Entry
// (also its Future's owner: live state and cancel); BullMQ's events settle it, and a
// periodic sweep reads the hashes of jobs in flight a while, for events that were missed
// (a reconnect beyond the stream's length, a Redis restart). A job gone from Redis on two
// sweeps in a row is JobLostError. Every Future settles once, through the public seam
// Future.withResolvers, and each pending one holds the connections ref'd.
import { JobLostError, KernelError, RemoteTaskError, TimeoutError } from '../core/errors';
import { Future, FutureOwner, FutureResolvers } from '../core/future';
import type { PoolCore } from '../core/pool-core';
import { clearLongTimeout, LongTimer } from '../core/timers';
import { decode } from './codec';
import type { Connections } from './connections';
import { JobData, parseFailure } from './protocol';

/** How often the sweep runs; a job is first read SWEEP_MS after its submit. */
const SWEEP_MS = 2000;
/** Each read of a job still unfinished doubles the wait before its next, up to this: a
 * backlog of waiting jobs costs Redis O(backlog / 30 s) reads, not O(backlog / 2 s). */
const SWEEP_MAX_INTERVAL_MS = 30_000;
/** The most jobs one sweep reads (the oldest due first; the rest wait for the next sweep). */
const SWEEP_MAX_JOBS = 1000;

export type Outcome = 'ok' | 'error' | 'cancelled' | 'timeout' | 'lost';

/** One job in flight, from submit until its Future settles. */
export class Entry implements FutureOwner {
  readonly future: Future<unknown>;
  readonly #resolvers: FutureResolvers<unknown>;
  readonly submittedAt = performance.now();
  /** In the tick's batch, not yet handed to addBulk (submit-batch.ts). */
  batched = false;
  /** addBulk took it: it is in Redis. */
  sent = false;
  /** A worker reported it active (and no stall since). */
  running = false;
  startedAt = -1; // performance.now() at the 'active' event
  timer: LongTimer | undefined = undefined; // the client's deadline (submit-batch.ts)
  missing = 0; // sweeps in a row that found no job hash
  /** When the sweep reads this job's hash next (performance.now()), and the wait after that. */
  checkAt: number;
  checkEvery = SWEEP_MS;

  constructor(
    readonly table: JobTable,
    readonly seq: number,
    readonly jobId: string,
    readonly name: string,
    readonly data: JobData,
  ) {
    this.#resolvers = Future.withResolvers<unknown>(name, this);
    this.future = this.#resolvers.future;
    this.checkAt = this.submittedAt + SWEEP_MS;
  }

  liveState(): 'PENDING' | 'RUNNING' {
    return this.running ? 'RUNNING' : 'PENDING';
  }

  cancel(): boolean {
    return this.table.live(this) && this.table.onCancel(this);
  }

  /** @internal only JobTable.settle calls it */
  resolve(how: Outcome, value: unknown): void {
    if (this.future.cancelRequested || how === 'cancelled') this.#resolvers.setCancelled();
    else if (how === 'ok') this.#resolvers.setResult(value);
    else this.#resolvers.setException(value as Error);
  }
}

export interface Extra {
  stalled: number;
  lost: number;
}

export class JobTable {
  readonly #entries = new Map<number, Entry>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping = false; // a sweep's pipeline has not answered yet: the next one waits
  readonly extra: Extra = { stalled: 0, lost: 0 };

  constructor(
    private readonly core: PoolCore,
    private readonly connections: Connections,
    private readonly clientId: string,
    private readonly jobKey: (jobId: string) => string,
    /** The pool's cancel(): true if the cancel was taken. */
    readonly onCancel: (entry: Entry) => boolean,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  entries(): IterableIterator<Entry> {
    return this.#entries.values();
  }

  add(seq: number, name: string, data: JobData): Entry {
    const entry = new Entry(this, seq, `${this.clientId}.${seq}`, name, data);
    this.#entries.set(seq, entry);
    this.connections.hold();
    if (this.#sweepTimer === undefined) {
      this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_MS);
      this.#sweepTimer.unref();
    }
    return entry;
  }

  live(entry: Entry): boolean {
    return this.#entries.get(entry.seq) === entry;
  }

  /** The entry of one of this client's jobs (other clients share the event stream). */
  own(jobId: string): Entry | undefined {
    const id = this.clientId;
    if (!jobId.startsWith(id) || jobId.charCodeAt(id.length) !== 46 /* . */) return undefined;
    return this.#entries.get(Number(jobId.slice(id.length + 1)));
  }

  // ---- BullMQ's events ----

  completed(jobId: string, returnvalue: unknown): void {
    const e = this.own(jobId);
    if (e === undefined) return;
    let value: unknown;
    try {
      value = decode(returnvalue, 'result');
    } catch (error) {
      this.settle(e, 'error', new RemoteTaskError(e.name, jobId, 'DecodeError', (error as Error).message));
      return;
    }
    this.settle(e, 'ok', value);
  }

  failed(jobId: string, failedReason: string): void {
    const e = this.own(jobId);
    if (e === undefined) return;
    const { kind, message } = parseFailure(String(failedReason));
    switch (kind) {
      case 'CancelledError':
        this.settle(e, 'cancelled');
        return;
      case 'TimeoutError':
        this.settle(e, 'timeout', new TimeoutError(message));
        return;
      case 'KernelError': {
        const colon = message.indexOf(': ');
        this.settle(e, 'error', new KernelError(e.name, colon >= 0 ? message.slice(colon + 2) : message));
        return;
      }
      default:
        this.settle(e, 'error', new RemoteTaskError(e.name, jobId, kind, message));
    }
  }

  active(jobId: string): void {
    const e = this.own(jobId);
    if (e === undefined) return;
    e.running = true;
    e.startedAt = performance.now();
  }

  stalled(jobId: string): void {
    const e = this.own(jobId);
    if (e === undefined) return;
    e.running = false;
    this.extra.stalled++;
  }

  /** Ends the entry's Future (once: a later call for the same entry does nothing). */
  settle(entry: Entry, how: Outcome, value?: unknown): void {
    if (!this.live(entry)) return;
    this.#entries.delete(entry.seq);
    clearLongTimeout(entry.timer);
    if (entry.startedAt >= 0) this.core.recordTimes((entry.startedAt - entry.submittedAt) * 1e6, (performance.now() - entry.startedAt) * 1e6);
    const counters = this.core.counters;
    if (entry.future.cancelRequested || how === 'cancelled') counters.cancelled++;
    else if (how === 'ok') counters.completed++;
    else if (how === 'timeout') counters.timedOut++;
    else {
      // A lost job failed its Future (JobLostError): counted there too, so that the four
      // outcome counters add up to the settled tasks; `lost` is the breakdown.
      if (how === 'lost') this.extra.lost++;
      counters.failed++;
    }
    entry.resolve(how, value);
    this.connections.release();
    if (this.#entries.size === 0) {
      clearInterval(this.#sweepTimer);
      this.#sweepTimer = undefined;
      this.core.notifyIdle();
    }
  }

  /** Reads the hashes of jobs in flight a while: settles what an event missed told. */
  async #sweep(): Promise<void> {
    const control = this.connections.current?.control;
    if (this.#sweeping || control?.status !== 'ready') return;
    const now = performance.now();
    const due: Entry[] = [];
    // Oldest first (the Map keeps submit order).
    for (const e of this.#entries.values()) {
      if (!e.sent || e.checkAt > now) continue;
      e.checkEvery = Math.min(e.checkEvery * 2, SWEEP_MAX_INTERVAL_MS);
      e.checkAt = now + e.checkEvery;
      if (due.push(e) === SWEEP_MAX_JOBS) break;
    }
    if (due.length === 0) return;
    this.#sweeping = true;
    try {
      const pipeline = control.pipeline();
      for (const e of due) pipeline.hmget(this.jobKey(e.jobId), 'finishedOn', 'returnvalue', 'failedReason', 'name');
      const replies = (await pipeline.exec()) ?? [];
      due.forEach((e, i) => {
        const [error, fields] = replies[i] ?? [];
        if (error || !Array.isArray(fields) || !this.live(e)) return;
        const [finishedOn, returnvalue, failedReason, name] = fields as (string | null)[];
        if (name === null) {
          // Two sweeps in a row: not a job in the middle of being written.
          if (++e.missing >= 2) {
            this.settle(e, 'lost', new JobLostError(`task '${e.name}' (job ${e.jobId}) is gone from Redis before it settled (flushed, evicted, or Redis restarted without persistence); whether it ran is unknown`));
          }
          return;
        }
        e.missing = 0;
        if (finishedOn === null) return;
        if (failedReason !== null && failedReason !== '') {
          this.failed(e.jobId, failedReason);
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(returnvalue ?? 'null');
        } catch (error) {
          // One corrupt hash fails its own Future, never the rest of the sweep.
          this.settle(e, 'error', new RemoteTaskError(e.name, e.jobId, 'DecodeError', (error as Error).message));
          return;
        }
        this.completed(e.jobId, value);
      });
    } catch {
      // Redis away: try again next time.
    } finally {
      this.#sweeping = false;
    }
  }
}
