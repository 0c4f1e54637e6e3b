// What waits to start in an IoPool, and the one loop that starts it: queued records in
// priority order (priority-queue.ts), the bound of maxQueue, the pause, and the rate
// limit's tokens and timer. drain() is the only place a task starts; it takes a slot
// by the lending rule (slots.ts) and hands the record to the attempt lifecycle.
import { clearLongTimeout, LongTimer, setLongTimeout } from '../core/timers';
import { PriorityQueue } from './priority-queue';
import type { SlidingWindow } from './rate-limit';
import type { SlotLedger } from './slots';
import { isQueued, QUEUED, RUNNING, TaskRecord } from './task-record';

export class RunQueue {
  /** Records waiting for a slot or a rate-limit token (a record once, however many entries it has). */
  queued = 0;
  paused = false;
  private readonly queue = new PriorityQueue<TaskRecord>();
  private draining = false;
  private drainScheduled = false;
  private rateTimer: LongTimer | undefined = undefined;
  private emptyWaiters: (() => void)[] = [];

  constructor(
    readonly maxQueue: number,
    private readonly slots: SlotLedger,
    private readonly rate: SlidingWindow | undefined,
    /** Starts an attempt of a record that now holds a slot and a rate token. */
    private readonly start: (rec: TaskRecord) => void,
    /** Called after every drain: whoever waits for idleness or for room may go on. */
    private readonly afterDrain: () => void,
  ) {}

  /** Would a task submitted now have to wait? */
  wouldQueue(): boolean {
    return this.queued > 0 || this.paused || this.slots.full || (this.rate !== undefined && this.rate.wait(performance.now()) > 0);
  }

  /** Would one more task have to wait beyond maxQueue? */
  get full(): boolean {
    return this.queued >= this.maxQueue && this.wouldQueue();
  }

  push(rec: TaskRecord): void {
    rec.state = QUEUED;
    this.queued++;
    this.queue.push(rec);
    const parent = rec.parent;
    if (parent !== undefined && parent.state === RUNNING) {
      (parent.children ??= []).push(rec);
      (parent.childQueue ??= new PriorityQueue<TaskRecord>()).push(rec);
      parent.queuedChildren++;
      rec.inParentQueue = true;
      this.slots.offer(parent);
    }
  }

  /** Takes a record out of the queued count (it started, or was cancelled or timed out there). */
  unqueue(rec: TaskRecord): void {
    this.queued--;
    if (rec.inParentQueue) {
      rec.inParentQueue = false;
      const parent = rec.parent!;
      if (parent.queuedChildren > 0) parent.queuedChildren--;
    }
  }

  /** The queued record that would start next, taken out of the queue (onFull 'discardOldest'). */
  takeNext(): TaskRecord | undefined {
    return this.queue.shift(isQueued);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.drain();
  }

  /** Resolves when nothing is queued (every task has started; some may still run). */
  onEmpty(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Starts queued tasks while slots (own or lent), rate tokens and the pause allow. */
  drain(): void {
    if (this.draining) return; // the outer loop picks up whatever a task started or freed
    this.draining = true;
    try {
      while (this.queued > 0 && !this.paused) {
        let now = 0;
        if (this.rate !== undefined) {
          now = performance.now();
          const wait = this.rate.wait(now);
          if (wait > 0) {
            this.armRateTimer(wait);
            break;
          }
        }
        const rec = this.slots.take(this.queue);
        if (rec === undefined) break;
        this.unqueue(rec);
        // Every attempt, retries included, takes a token as it starts.
        if (this.rate !== undefined) this.rate.take(now);
        this.start(rec);
      }
    } finally {
      this.draining = false;
    }
    if (this.queued === 0) {
      // Nothing waits for a token any more (the rest were cancelled or timed out): a timer
      // left armed would keep an idle process alive for up to a whole window.
      if (this.rateTimer !== undefined) {
        clearLongTimeout(this.rateTimer);
        this.rateTimer = undefined;
      }
      if (this.emptyWaiters.length > 0) for (const wake of this.emptyWaiters.splice(0)) wake();
    }
    this.afterDrain();
  }

  /** drain(), after the current call: for callers that end several tasks in a loop (cancel). */
  drainSoon(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private armRateTimer(wait: number): void {
    if (this.rateTimer !== undefined) return;
    this.rateTimer = setLongTimeout(() => {
      this.rateTimer = undefined;
      this.drain();
    }, Math.ceil(wait));
  }
}
