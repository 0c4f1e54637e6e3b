// QueuePool: the Executor API over BullMQ on Redis. submit() puts a job on the queue
// (all of a tick's jobs in one addBulk), and the Future settles when a worker process
// anywhere reports the job's outcome through BullMQ's event stream (QueueEvents). Tasks
// travel by name and are resolved by the worker in the table it was started with.
//
// Decisions worth knowing (the README's "From one machine to many" repeats them):
// - Delivery is at-least-once (BullMQ): a worker killed mid-job has its job taken again
//   after stall detection, so a task may start twice; the Future settles once.
// - cancel() removes a waiting job at once (CANCELLED); for a running one it publishes
//   the job id on the queue's cancel channel and sets the job's cancel key, so the
//   worker's task stops at its next checkpoint, and a worker taking the job later (after
//   a stall) never runs it. The job then fails unrecoverably: never retried.
// - `timeout` is one absolute deadline (epoch ms) carried by the job and enforced
//   natively by the worker's pool; the client also settles TimeoutError a grace period
//   after it, so a deadline holds even when no worker is alive.
// - Redis unreachable: a submit that cannot be enqueued within `enqueueTimeout` fails
//   with QueueUnavailableError; its job, if Redis accepts it later, is marked cancelled.
// - Events missed (a reconnect beyond the stream's length, a restart) are caught by a
//   periodic sweep that reads the jobs' own hashes; a job gone from Redis is JobLostError
//   (settle.ts).
// - An idle pool (no Future pending) never keeps the process alive: its sockets are
//   unref'd, and closed if Redis goes away meanwhile (connections.ts).
// - A client that dies with jobs in flight leaves them to run: their results stay in
//   Redis `keepFinished` seconds (BullMQ removes them by age), nobody reads them.
import { randomBytes } from 'node:crypto';

import type { Executor, MapOptions, ShutdownOptions, SubmitOptions } from '../core/executor';
import type { Future } from '../core/future';
import { linkSignal } from '../core/link-signal';
import { orderedMap } from '../core/map';
import { checkItems, CommonStats, PoolCore } from '../core/pool-core';
import { checkShutdownOptions, checkSubmitOptions, describe } from '../core/validate';
import { loadBullMQ, loadIORedis } from './load';
import { encode, Wire } from './codec';
import { Connections } from './connections';
import { checkQueuePoolOptions } from './options';
import { RemoteCancel } from './remote-cancel';
import { JobData, PROTOCOL, QueueConnection } from './protocol';
import { JobTable } from './settle';
import { SubmitBatch } from './submit-batch';
import { ArgsOf, checkKernelArgs, checkKernelItem, checkTaskName, MapItemOf, QueueTask, RemoteTask, resolveTask, ResultOf, TaskArgs, TaskResult } from './tasks';

export type { QueueTask, RemoteTask } from './tasks';

export interface QueuePoolOptions {
  /** The BullMQ queue's name; workers serve the same name. */
  queue: string;
  /** Where Redis is: a redis:// or rediss:// URL, or ioredis options (AUTH/ACL, TLS, ...). */
  connection: QueueConnection;
  /** BullMQ's key prefix. Default 'bull'. */
  prefix?: string;
  /** Most ms a submit waits for Redis to take its job before its Future fails with
   * QueueUnavailableError. Default 10000: a Redis restart shorter than that loses nothing;
   * Infinity: no bound. */
  enqueueTimeout?: number;
  /** For messages and stats. Default: the queue's name. */
  name?: string;
  /** How long finished jobs stay in Redis, in seconds (BullMQ removeOnComplete/Fail age).
   * The sweep that catches missed events reads them. Default 3600. */
  keepFinished?: number;
}

/** stats(): `active` are jobs a worker reported running, `queued` the others in flight;
 * `queueWait` is submit -> a worker started it, `runTime` start -> settled here (ns). */
export interface QueuePoolStats extends CommonStats {
  queue: string;
  /** Submitted and not yet settled (active + queued). */
  inFlight: number;
  submitted: number;
  /** Jobs taken again after a worker stalled (was killed, or blocked its event loop). */
  stalled: number;
  /** Futures failed with JobLostError (also counted in `failed`). */
  lost: number;
}

export class QueuePool<M = Record<string, unknown>> implements Executor<QueueTask> {
  readonly queue: string;
  readonly prefix: string;
  readonly enqueueTimeout: number;
  readonly #core: PoolCore;
  readonly #links: Connections;
  readonly #jobs: JobTable;
  readonly #batch: SubmitBatch;
  #closed: Promise<void> | undefined;

  constructor(options: QueuePoolOptions) {
    const config = checkQueuePoolOptions(options);
    const { queue, prefix } = config;
    this.queue = queue;
    this.prefix = prefix;
    this.enqueueTimeout = config.enqueueTimeout;
    this.#core = new PoolCore(config.name, queue);
    // Fails here, not at the first submit, when the optional packages are missing.
    loadBullMQ();
    loadIORedis();
    const clientId = `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
    const jobs: JobTable = new JobTable(this.#core, (this.#links = new Connections(queue, prefix, config.connection, {
      completed: (id, value) => jobs.completed(id, value),
      failed: (id, reason) => jobs.failed(id, reason),
      active: (id) => jobs.active(id),
      stalled: (id) => jobs.stalled(id),
    })), clientId, (jobId) => `${prefix}:${queue}:${jobId}`, (entry) => this.#batch.cancel(entry));
    this.#jobs = jobs;
    this.#batch = new SubmitBatch(config, this.#links, jobs, new RemoteCancel(this.#links, jobs, prefix, queue));
  }

  /** A typed handle on the worker's task `name` (an export of its --module). */
  task<N extends keyof M & string>(name: N): RemoteTask<TaskArgs<M[N]>, TaskResult<M[N]>> {
    checkTaskName(name);
    return Object.freeze({ name });
  }

  /**
   * Enqueues `task(...args)` and returns its Future. Arguments are checked (a kernel's
   * against its schema) and encoded here: one that cannot travel throws a TypeError
   * naming it. A Redis that cannot be reached fails the Future, it never hangs.
   */
  submit<T extends QueueTask>(task: T, args: ArgsOf<T>, options?: SubmitOptions): Future<ResultOf<T>> {
    const { kind, name, kernel } = resolveTask(task);
    if (!Array.isArray(args)) throw new TypeError(`${name}: args must be an array, got ${describe(args)}`);
    if (kernel !== undefined) checkKernelArgs(kernel, args);
    const opts = checkSubmitOptions(options);
    this.#core.checkOpen();
    const encoded = (args as readonly unknown[]).map((v, i) => encode(v, `${name}: args[${i}]`));
    if (opts.signal?.aborted) return this.#core.cancelledAtSubmit<ResultOf<T>>(name, opts.signal);
    const data: JobData = { v: PROTOCOL, k: kind, t: name, a: encoded };
    if (opts.timeout !== undefined && opts.timeout !== Infinity) data.d = Date.now() + opts.timeout;
    if (opts.runTimeout !== undefined && opts.runTimeout !== Infinity) data.r = opts.runTimeout;
    const future = this.#batch.add(name, data) as Future<ResultOf<T>>;
    linkSignal(future, opts.signal);
    return future;
  }

  /**
   * Python's map: results in input order, one job per chunk of `chunksize` items. An
   * item is the task's argument (for a kernel of several arguments, an array of them).
   */
  map<T extends QueueTask>(task: T, items: Iterable<MapItemOf<T>> | AsyncIterable<MapItemOf<T>>, options?: MapOptions): AsyncIterableIterator<ResultOf<T>> {
    return this.#map(task, items, options, false) as AsyncIterableIterator<ResultOf<T>>;
  }

  /** map, yielding each chunk's results as one array, in input order. */
  mapChunks<T extends QueueTask>(task: T, items: Iterable<MapItemOf<T>> | AsyncIterable<MapItemOf<T>>, options?: MapOptions): AsyncIterableIterator<ResultOf<T>[]> {
    return this.#map(task, items, options, true) as AsyncIterableIterator<ResultOf<T>[]>;
  }

  #map<T extends QueueTask>(task: T, items: Iterable<MapItemOf<T>> | AsyncIterable<MapItemOf<T>>, options: MapOptions | undefined, chunks: boolean): AsyncIterableIterator<unknown> {
    const { kind, name, kernel } = resolveTask(task);
    checkItems(items, chunks ? 'mapChunks' : 'map');
    let index = 0;
    const toArgs = (item: unknown): Wire => {
      const where = `${name}: item ${index++}`;
      if (kernel !== undefined) item = checkKernelItem(kernel, item);
      return encode(item, where);
    };
    const submitChunk = (chunk: Wire[], timeout: number | undefined): Future<ResultOf<T>[]> => {
      this.#core.checkOpen();
      const data: JobData = { v: PROTOCOL, k: kind, t: name, m: chunk };
      if (timeout !== undefined && timeout !== Infinity) data.d = Date.now() + timeout;
      return this.#batch.add(name, data) as Future<ResultOf<T>[]>;
    };
    return orderedMap(toArgs, submitChunk, items, options, 8, Infinity, chunks);
  }

  /**
   * Stops taking tasks. `cancelFutures` cancels jobs no worker has taken yet,
   * `cancelRunning` also the running ones (at their next checkpoint). With `wait`
   * (default) resolves once every Future has settled and the connections are closed.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    const opts = checkShutdownOptions(options);
    this.#core.beginShutdown();
    if (opts.cancelFutures || opts.cancelRunning) {
      for (const entry of [...this.#jobs.entries()]) if (opts.cancelRunning || !entry.running) entry.future.cancel();
    }
    const idle = this.#core.whenIdle(this.#jobs.size).then(() => (this.#closed ??= this.#links.close()));
    return opts.wait ? idle : Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  get isShutdown(): boolean {
    return this.#core.shuttingDown;
  }

  stats(): QueuePoolStats {
    let running = 0;
    for (const e of this.#jobs.entries()) if (e.running) running++;
    const inFlight = this.#jobs.size;
    return { ...this.#core.commonStats(running, inFlight - running), queue: this.queue, inFlight, submitted: this.#batch.submitted, ...this.#jobs.extra };
  }

  /** Worker processes connected to this queue now (BullMQ's CLIENT LIST). */
  async workerCount(): Promise<number> {
    this.#links.hold(); // connecting, and until the answer: not idle
    try {
      return await (await this.#links.open()).queue.getWorkersCount();
    } finally {
      this.#links.release();
    }
  }
}
