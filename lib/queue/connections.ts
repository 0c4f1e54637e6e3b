// A QueuePool's links to Redis: a control connection (cancel keys and pub/sub, the
// sweep), the BullMQ Queue (addBulk, remove) and QueueEvents (the event stream). They are
// opened on first use and, because an idle pool must never keep the process alive, hold
// the process only while work is pending (hold() .. release()):
// - control and Queue are clients of our own: idle, their sockets are unref'd;
// - QueueEvents is closed IDLE_CLOSE_MS after the pool went idle (its blocking read
//   re-arms a ref'd watchdog timer of BullMQ's every 10 s, which nothing outside can
//   unref) and opened again, at the stream's end, before the next job is added;
// - idle and a connection drops (Redis went away): all are closed at once, so that no
//   reconnect timer keeps the process alive either; the next submit opens them again.
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

import { PoolShutdownError } from '../core/errors';
import { loadBullMQ, loadIORedis } from './load';

/** How long an idle pool keeps its event stream open (a burst's next job reuses it). */
const IDLE_CLOSE_MS = 300;

/** What the pool hears on the event stream. */
export interface EventHandlers {
  completed(jobId: string, returnvalue: unknown): void;
  failed(jobId: string, failedReason: string): void;
  active(jobId: string): void;
  stalled(jobId: string): void;
}

export interface Links {
  readonly control: Redis;
  readonly queue: Queue;
}

interface Base extends Links {
  readonly queueClient: Redis;
}

export class Connections {
  #base: Promise<Base> | undefined;
  #open: Base | undefined;
  #events: Promise<QueueEvents> | undefined;
  #eventsClosing: Promise<void> | undefined;
  #eventsGeneration = 0; // bumped at each close: an open of an older one gives up
  #eventsOpening: QueueEvents | undefined; // made, not ready yet: closed by a disconnect
  #idleTimer: NodeJS.Timeout | undefined;
  #held = 0;
  #closed = false;
  /** The last connection error since Redis last took a batch, for QueueUnavailableError's message. */
  lastError: Error | undefined;
  readonly #onError = (error: Error): void => {
    this.lastError = error;
  };

  constructor(
    private readonly queueName: string,
    private readonly prefix: string,
    private readonly options: Record<string, unknown>,
    private readonly handlers: EventHandlers,
  ) {}

  /** The links with the event stream open, connecting first if need be. */
  async open(): Promise<Links> {
    if (this.#closed) throw new PoolShutdownError(`QueuePool '${this.queueName}' was shut down`);
    const base = await (this.#base ??= this.#connectBase());
    let events = this.#events;
    if (events === undefined) {
      const opening = this.#openEvents(base);
      events = this.#events = opening;
      // A failed open fails the submits waiting for it; the next one tries again.
      opening.catch(() => {
        if (this.#events === opening) this.#events = undefined;
      });
    }
    await events;
    return base;
  }

  /** The links if they are open now (the sweep and remote cancels never connect). */
  get current(): Links | undefined {
    return this.#open;
  }

  /** Work is pending: the connections keep the process alive until the matching release(). */
  hold(): void {
    if (this.#held++ > 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#applyRef();
  }

  release(): void {
    if (--this.#held > 0) return;
    const open = this.#open;
    // Gone idle while Redis is away (its reconnect timers would hold the process): close.
    if (open !== undefined && (open.control.status !== 'ready' || open.queueClient.status !== 'ready') && this.#base !== undefined) {
      void this.#disconnect();
      return;
    }
    this.#applyRef();
    if (this.#events !== undefined) {
      this.#idleTimer = setTimeout(() => void this.#closeEvents(), IDLE_CLOSE_MS);
      this.#idleTimer.unref();
    }
  }

  /** For good (shutdown): closes the links and refuses to open them again. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    await this.#disconnect();
  }

  async #connectBase(): Promise<Base> {
    const { Queue } = loadBullMQ();
    const IORedis = loadIORedis();
    const control = new IORedis({ ...this.options, maxRetriesPerRequest: null, connectionName: `corepool-client:${this.queueName}` });
    // The Queue shares a client we own (BullMQ leaves a passed-in client to its owner).
    const queueClient = new IORedis({ ...this.options, maxRetriesPerRequest: null });
    const queue = new Queue(this.queueName, { connection: queueClient, prefix: this.prefix });
    const base: Base = { control, queueClient, queue };
    for (const emitter of [control, queueClient, queue]) emitter.on('error', this.#onError);
    for (const client of [control, queueClient]) {
      client.on('connect', () => this.#applyRef());
      client.on('close', () => {
        if (this.#held === 0 && this.#open === base) void this.#disconnect();
      });
    }
    this.#open = base;
    this.#applyRef();
    try {
      await queue.waitUntilReady();
    } catch (error) {
      if (this.#open === base) void this.#disconnect();
      throw error;
    }
    return base;
  }

  async #openEvents(base: Base): Promise<QueueEvents> {
    const generation = this.#eventsGeneration;
    await this.#eventsClosing;
    const { QueueEvents } = loadBullMQ();
    // From the stream's current end: no event of a job added after this is missed.
    const last = (await base.control.xrevrange(`${this.prefix}:${this.queueName}:events`, '+', '-', 'COUNT', 1)) as [string, string[]][];
    if (generation !== this.#eventsGeneration) throw new PoolShutdownError(`QueuePool '${this.queueName}': closed while connecting`);
    const events = new QueueEvents(this.queueName, { connection: { ...this.options }, prefix: this.prefix, lastEventId: last.length > 0 ? last[0]![0] : '0-0' });
    events.on('error', this.#onError);
    const h = this.handlers;
    events.on('completed', ({ jobId, returnvalue }) => h.completed(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => h.failed(jobId, failedReason));
    events.on('active', ({ jobId }) => h.active(jobId));
    events.on('stalled', ({ jobId }) => h.stalled(jobId));
    this.#eventsOpening = events;
    try {
      await events.waitUntilReady();
    } catch (error) {
      void closeWithin(events);
      throw error;
    } finally {
      if (this.#eventsOpening === events) this.#eventsOpening = undefined;
    }
    return events;
  }

  #applyRef(): void {
    const open = this.#open;
    if (open === undefined) return;
    for (const client of [open.control, open.queueClient]) {
      if (this.#held > 0) client.stream?.ref();
      else client.stream?.unref();
    }
  }

  #closeEvents(): Promise<void> {
    const events = this.#events;
    this.#events = undefined;
    this.#idleTimer = undefined;
    this.#eventsGeneration++;
    if (events === undefined) return this.#eventsClosing ?? Promise.resolve();
    const opening = this.#eventsOpening;
    this.#eventsOpening = undefined;
    // One still connecting is closed now (with Redis away its ready may never come).
    const closing = opening !== undefined ? closeWithin(opening) : events.then(closeWithin, () => undefined);
    this.#eventsClosing = closing;
    return closing;
  }

  /** Closes everything; a connect on its way fails (its clients are disconnected). */
  async #disconnect(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    this.#base = undefined;
    const events = this.#closeEvents();
    if (open !== undefined) {
      await closeWithin(open.queue);
      open.control.disconnect();
      open.queueClient.disconnect();
    }
    await events;
  }
}

/**
 * BullMQ's close() waits for Redis; with Redis away, give up after 2 s and drop the sockets.
 * disconnect() can wait forever too (seen after a Redis restart while a QueueEvents was
 * closing: the next open waited on this close, and every submit after it hung): bounded as
 * well, so that a close always ends.
 */
async function closeWithin(c: Queue | QueueEvents): Promise<void> {
  if ((await within(c.close(), 2000)) === 'late') await within(c.disconnect(), 1000);
}

/** `work`'s end, or 'late' after `ms` (what it throws counts as its end). */
async function within(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
    timer.unref(); // a bound on waiting: never what keeps an idle process alive
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
