// A QueuePool's links to Redis: a control connection (cancel keys and pub/sub, the
// sweep), the BullMQ Queue (addBulk, remove) and QueueEvents (the event stream). They are
// opened on first use and, because an idle pool must never keep the process alive, held
// ref'd only while work is pending:
// - busy (hold() > release()): every socket is ref'd, as ioredis makes them;
// - idle: every socket is unref'd, so the process may exit with the pool still open;
// - idle and a connection drops (Redis went away): all are closed at once, so that no
//   reconnect timer keeps the process alive either; the next submit opens them again.
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

import { PoolShutdownError } from '../core/errors';
import { loadBullMQ, loadIORedis } from './load';

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
  readonly events: QueueEvents;
}

/** The part of an ioredis client this file touches (the raw client behind BullMQ's proxy). */
interface SocketOwner {
  readonly stream?: { ref(): void; unref(): void };
  on(event: 'connect' | 'close', listener: () => void): unknown;
}

interface Partial {
  control: Redis;
  queueClient: Redis;
  queue: Queue;
  events: QueueEvents | undefined;
}

interface Opened {
  links: Links;
  /** The clients we made (BullMQ closes only the events' own): disconnected at close. */
  clients: Redis[];
}

export class Connections {
  #links: Promise<Links> | undefined;
  #open: Opened | undefined;
  #generation = 0; // bumped by every disconnect: a connect of an older one is dropped
  #sockets: SocketOwner[] = [];
  #connecting: Partial | undefined; // what a connect on its way has made so far
  #held = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The last connection error, for QueueUnavailableError's message. */
  lastError: Error | undefined;

  constructor(
    private readonly queueName: string,
    private readonly prefix: string,
    private readonly options: Record<string, unknown>,
    private readonly handlers: EventHandlers,
  ) {}

  /** The open links, connecting first if need be (after a close when idle, again). */
  open(): Promise<Links> {
    if (this.#closed) return Promise.reject(new PoolShutdownError(`QueuePool '${this.queueName}' was shut down`));
    if (this.#links !== undefined) return this.#links;
    const links = this.#connect();
    this.#links = links;
    // A failed connect (bad options) fails the submits waiting for it; the next one retries.
    links.catch(() => {
      if (this.#links === links) this.#links = undefined;
    });
    return links;
  }

  /** The links if they are open now (the sweep and remote cancels never connect). */
  get current(): Links | undefined {
    return this.#open?.links;
  }

  /** Work is pending: the sockets keep the process alive until the matching release(). */
  hold(): void {
    if (this.#held++ === 0) this.#applyRef();
  }

  release(): void {
    if (--this.#held === 0) this.#applyRef();
  }

  /** For good (shutdown): closes the links and refuses to open them again. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#disconnect();
  }

  async #connect(): Promise<Links> {
    // Closing after an idle drop still on its way: let it finish before connecting anew.
    const generation = this.#generation;
    await this.#closing;
    const { Queue, QueueEvents } = loadBullMQ();
    const IORedis = loadIORedis();
    const onError = (error: Error): void => {
      this.lastError = error;
    };
    const control = new IORedis({ ...this.options, maxRetriesPerRequest: null, connectionName: `corepool-client:${this.queueName}` });
    control.on('error', onError);
    // The Queue shares a connection we own (BullMQ leaves a passed-in client to its owner).
    const queueClient = new IORedis({ ...this.options, maxRetriesPerRequest: null });
    queueClient.on('error', onError);
    const queue = new Queue(this.queueName, { connection: queueClient, prefix: this.prefix });
    queue.on('error', onError);
    const partial: Partial = { control, queueClient, queue, events: undefined };
    this.#connecting = partial;
    try {
      // From the stream's current end: no event of a job added after this is missed.
      const last = (await control.xrevrange(`${this.prefix}:${this.queueName}:events`, '+', '-', 'COUNT', 1)) as [string, string[]][];
      const stale = (): void => {
        if (this.#closed) throw new PoolShutdownError(`QueuePool '${this.queueName}' was shut down`);
        if (generation !== this.#generation) throw new Error('disconnected while connecting');
      };
      stale();
      const events = new QueueEvents(this.queueName, {
        connection: { ...this.options },
        prefix: this.prefix,
        lastEventId: last.length > 0 ? last[0]![0] : '0-0',
      });
      partial.events = events;
      events.on('error', onError);
      const h = this.handlers;
      events.on('completed', ({ jobId, returnvalue }) => h.completed(jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => h.failed(jobId, failedReason));
      events.on('active', ({ jobId }) => h.active(jobId));
      events.on('stalled', ({ jobId }) => h.stalled(jobId));
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      // BullMQ's documented escape hatch to the raw client of the events' blocking connection.
      const eventsClient = (await events.getBackend().client) as unknown as SocketOwner;
      stale();
      this.#sockets = [control, queueClient, eventsClient];
      for (const socket of this.#sockets) {
        socket.on('connect', () => this.#applyRef());
        socket.on('close', () => {
          if (this.#held === 0 && this.#open !== undefined) void this.#disconnect();
        });
      }
      const links: Links = { control, queue, events };
      this.#open = { links, clients: [control, queueClient] };
      this.#applyRef();
      return links;
    } catch (error) {
      if (this.#connecting === partial) void closeAll(partial.events, queue, [control, queueClient]);
      throw error;
    } finally {
      if (this.#connecting === partial) this.#connecting = undefined;
    }
  }

  #applyRef(): void {
    const busy = this.#held > 0;
    for (const socket of this.#sockets) {
      if (busy) socket.stream?.ref();
      else socket.stream?.unref();
    }
  }

  #disconnect(): Promise<void> {
    const open = this.#open;
    const connecting = this.#links !== undefined && open === undefined;
    this.#links = undefined;
    this.#open = undefined;
    this.#sockets = [];
    this.#generation++;
    if (open === undefined) {
      // Still connecting (Redis away, its commands waiting): disconnecting its clients
      // fails it, and it closes what it made (not awaited: BullMQ's part may take 2 s).
      const partial = this.#connecting;
      this.#connecting = undefined;
      if (connecting && partial !== undefined) void closeAll(partial.events, partial.queue, [partial.control, partial.queueClient]);
      return this.#closing ?? Promise.resolve();
    }
    const closing = closeAll(open.links.events, open.links.queue, open.clients);
    this.#closing = closing;
    return closing;
  }
}

/** BullMQ's close() waits for Redis; with Redis away, give up after 2 s and drop the sockets. */
async function closeAll(events: QueueEvents | undefined, queue: Queue, clients: Redis[]): Promise<void> {
  await Promise.all([events, queue].map((c) => c && closeWithin(c, 2000)));
  for (const client of clients) client.disconnect();
}

async function closeWithin(c: Queue | QueueEvents, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([c.close().catch(() => undefined), late]);
  clearTimeout(timer);
  if (outcome === 'late') await c.disconnect().catch(() => undefined);
}
