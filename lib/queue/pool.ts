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
//   periodic sweep that reads the jobs' own hashes; a job gone from Redis is JobLostError.
import { randomBytes } from 'node:crypto';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

import { JobLostError, KernelError, PoolShutdownError, QueueUnavailableError, RemoteTaskError, TimeoutError } from '../core/errors';
import type { Executor, MapOptions, ShutdownOptions, SubmitOptions } from '../core/executor';
import { Future } from '../core/future';
import { linkSignal } from '../core/link-signal';
import { orderedMap } from '../core/map';
import { checkItems, CommonStats, PoolCore } from '../core/pool-core';
import type { MapItem, TypedTask } from '../core/task-types';
import { checkCount, checkOptions, checkShutdownOptions, checkSubmitOptions, checkTimeout, describe, NO_ARGS } from '../core/validate';
import { Kernel } from '../native/kernel';
import { loadBullMQ, loadIORedis } from './load';
import { decode, encode, Wire } from './codec';
import {
  cancelChannel,
  cancelKey,
  CANCEL_KEY_TTL_S,
  checkQueueName,
  connectionOptions,
  describeConnection,
  JobData,
  parseFailure,
  PROTOCOL,
  QueueConnection,
} from './protocol';

export interface QueuePoolOptions {
  /** The BullMQ queue's name; workers serve the same name. */
  queue: string;
  /** Where Redis is: a redis:// or rediss:// URL, or ioredis options (AUTH/ACL, TLS, ...). */
  connection: QueueConnection;
  /** BullMQ's key prefix. Default 'bull'. */
  prefix?: string;
  /** Most ms a submit waits for Redis to take its job before its Future fails with
   * QueueUnavailableError. Default 10000: a Redis restart shorter than that loses nothing. */
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
  /** Futures failed with JobLostError. */
  lost: number;
}

/** A task a worker knows by name: an export of the module it was started with. */
export interface RemoteTask<A extends readonly unknown[], R> extends TypedTask<A, R> {
  readonly name: string;
}

/** What QueuePool runs: a native kernel (built-in or from loadKernels), a named task. */
export type QueueTask = Kernel<readonly unknown[], unknown> | RemoteTask<readonly unknown[], unknown> | string;

type TaskArgs<F> = F extends (ctx: never, ...args: infer A) => unknown ? A : readonly unknown[];
type TaskResult<F> = F extends (...args: never[]) => infer R ? Awaited<R> : unknown;
type ArgsOf<T> = T extends Kernel<infer A, unknown> ? A : T extends RemoteTask<infer A, unknown> ? A : readonly unknown[];
type ResultOf<T> = T extends Kernel<readonly unknown[], infer R> ? R : T extends RemoteTask<readonly unknown[], infer R> ? R : unknown;
/** map()'s item: a kernel's as NativePool.map takes it; a named task's one argument. */
type MapItemOf<T> = T extends Kernel<infer A, unknown> ? MapItem<A> : T extends RemoteTask<infer A, unknown> ? (A extends readonly [infer Only] ? Only : unknown) : unknown;

/** After the deadline, how long the client waits for a worker's own TimeoutError. */
const DEADLINE_GRACE_MS = 500;
/** How often the sweep reads the hashes of jobs that have been in flight a while. */
const SWEEP_MS = 2000;

interface Entry {
  future: Future<unknown>;
  jobId: string;
  name: string;
  kernel: Kernel<readonly unknown[], unknown> | undefined;
  chunk: boolean;
  data: JobData;
  submittedAt: number;
  sent: boolean;
  running: boolean;
  startedAt: number; // performance.now() at the 'active' event, -1 before
  timer: NodeJS.Timeout | undefined;
  missing: number; // sweeps in a row that found no job hash
}

export class QueuePool<M = Record<string, unknown>> implements Executor<QueueTask> {
  readonly queue: string;
  readonly prefix: string;
  readonly enqueueTimeout: number;
  readonly #connection: Record<string, unknown>;
  readonly #keepFinished: number;
  readonly #clientId = `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
  #seq = 0;
  readonly #entries = new Map<number, Entry>();
  #batch: Entry[] = [];
  #flushScheduled = false;
  #started: Promise<void> | undefined;
  #bull: Queue | undefined;
  #events: QueueEvents | undefined;
  #control: Redis | undefined;
  #lastError: Error | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  readonly #core: PoolCore;
  #closed: Promise<void> | undefined;
  #counters = { submitted: 0, stalled: 0, lost: 0 };

  constructor(options: QueuePoolOptions) {
    checkOptions(options, ['queue', 'connection', 'prefix', 'enqueueTimeout', 'keepFinished', 'name'], 'QueuePool');
    if (options === undefined) throw new TypeError('QueuePool: options { queue, connection } are required');
    this.queue = checkQueueName(options.queue, 'QueuePool');
    this.#core = new PoolCore(options.name, this.queue);
    this.#connection = connectionOptions(options.connection, 'QueuePool');
    const prefix = options.prefix ?? 'bull';
    if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError(`QueuePool: prefix must be a non-empty string, got ${describe(prefix)}`);
    this.prefix = prefix;
    this.enqueueTimeout = checkTimeout(options.enqueueTimeout, 'QueuePool: enqueueTimeout') ?? 10_000;
    this.#keepFinished = checkCount(options.keepFinished, 'QueuePool: keepFinished', 1, 3600);
    // Fails here, not at the first submit, when the optional packages are missing.
    loadBullMQ();
    loadIORedis();
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
    const resolved: ResolvedTask = resolveTask(task);
    const { kind, name } = resolved;
    const kernel: Kernel<readonly unknown[], unknown> | undefined = resolved.kernel;
    if (!Array.isArray(args)) throw new TypeError(`${name}: args must be an array, got ${describe(args)}`);
    if (kernel !== undefined) validateArgs(kernel, args);
    const opts = checkSubmitOptions(options);
    this.#core.checkOpen();
    const encoded = (args as readonly unknown[]).map((v, i) => encode(v, `${name}: args[${i}]`));
    if (opts.signal?.aborted) return this.#core.cancelledAtSubmit<ResultOf<T>>(name, opts.signal);
    const data: JobData = { v: PROTOCOL, k: kind, t: name, a: encoded };
    if (opts.timeout !== undefined && opts.timeout !== Infinity) data.d = Date.now() + opts.timeout;
    if (opts.runTimeout !== undefined && opts.runTimeout !== Infinity) data.r = opts.runTimeout;
    const future = this.#enqueue(name, kernel, data, false) as Future<ResultOf<T>>;
    linkSignal(future, opts.signal);
    return future;
  }

  /**
   * Python's map: results in input order, one job per chunk of `chunksize` items. An
   * item is the task's argument (for a kernel of several arguments, an array of them).
   */
  map<T extends QueueTask>(task: T, items: Iterable<MapItemOf<T>> | AsyncIterable<MapItemOf<T>>, options?: MapOptions): AsyncIterableIterator<ResultOf<T>> {
    const resolved: ResolvedTask = resolveTask(task);
    const { kind, name } = resolved;
    const kernel: Kernel<readonly unknown[], unknown> | undefined = resolved.kernel;
    checkItems(items);
    let index = 0;
    const toArgs = (item: unknown): Wire => {
      const where = `${name}: item ${index++}`;
      if (kernel !== undefined) {
        if (kernel.arity === 1 && !Array.isArray(item)) kernel.validateValue(item);
        else validateArgs(kernel, kernel.arity === 0 ? NO_ARGS : item);
        if (kernel.arity === 1 && Array.isArray(item)) item = item[0];
      }
      return encode(item, where);
    };
    const submitChunk = (chunk: Wire[], timeout: number | undefined): Future<ResultOf<T>[]> => {
      this.#core.checkOpen();
      const data: JobData = { v: PROTOCOL, k: kind, t: name, m: chunk };
      if (timeout !== undefined && timeout !== Infinity) data.d = Date.now() + timeout;
      return this.#enqueue(name, kernel, data, true) as Future<ResultOf<T>[]>;
    };
    return orderedMap(toArgs, submitChunk, items, options, 8);
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
      for (const entry of [...this.#entries.values()]) if (opts.cancelRunning || !entry.running) entry.future.cancel();
    }
    const idle = this.#core.whenIdle(this.#entries.size).then(() => this.#close());
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
    for (const e of this.#entries.values()) if (e.running) running++;
    const inFlight = this.#entries.size;
    return { ...this.#core.commonStats(running, inFlight - running), queue: this.queue, inFlight, ...this.#counters };
  }

  /** Worker processes connected to this queue now (BullMQ's CLIENT LIST). */
  async workerCount(): Promise<number> {
    await this.#start();
    return this.#bull!.getWorkersCount();
  }

  // ---- FutureOwner ----

  /** @internal */
  liveState(future: Future<unknown>): 'PENDING' | 'RUNNING' {
    return this.#entries.get(future._key)?.running === true ? 'RUNNING' : 'PENDING';
  }

  /** @internal */
  cancel(future: Future<unknown>): boolean {
    const entry = this.#entries.get(future._key);
    if (entry === undefined || entry.future !== future) return false;
    const index = this.#batch.indexOf(entry);
    if (index >= 0) {
      // Still in this tick's batch: it never reaches Redis.
      this.#batch.splice(index, 1);
      this.#settle(entry, 'cancelled');
      return true;
    }
    // On its way to Redis (addBulk in flight): #flush cancels it once it is there.
    if (entry.sent) void this.#cancelRemote(entry);
    return true;
  }

  // ---- internals ----

  #enqueue(name: string, kernel: Kernel<readonly unknown[], unknown> | undefined, data: JobData, chunk: boolean): Future<unknown> {
    const seq = ++this.#seq;
    const future = new Future<unknown>(name, this);
    future._key = seq;
    const entry: Entry = {
      future,
      jobId: `${this.#clientId}.${seq}`,
      name,
      kernel,
      chunk,
      data,
      submittedAt: performance.now(),
      sent: false,
      running: false,
      startedAt: -1,
      timer: undefined,
      missing: 0,
    };
    this.#entries.set(seq, entry);
    this.#counters.submitted++;
    if (data.d !== undefined) {
      entry.timer = setTimeout(() => this.#deadlinePassed(entry), Math.max(0, data.d - Date.now()) + DEADLINE_GRACE_MS);
      entry.timer.unref();
    }
    this.#batch.push(entry);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => void this.#flush());
    }
    return future;
  }

  /** Sends the tick's jobs in one addBulk, bounded by enqueueTimeout. */
  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) return;
    const keep = this.#keepFinished;
    const jobs = batch.map((e) => ({
      name: e.name,
      data: e.data,
      opts: { jobId: e.jobId, attempts: 1, removeOnComplete: { age: keep }, removeOnFail: { age: keep } },
    }));
    let timer: NodeJS.Timeout | undefined;
    const added = this.#start().then(() => this.#bull!.addBulk(jobs));
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.enqueueTimeout);
    });
    try {
      const outcome = await Promise.race([added, timedOut]);
      if (outcome === 'timeout') {
        const error = new QueueUnavailableError(
          `cannot enqueue on queue '${this.queue}': Redis at ${describeConnection(this.#connection)} did not take the job within ${this.enqueueTimeout} ms` +
            (this.#lastError ? ` (${this.#lastError.message})` : ''),
        );
        for (const e of batch) this.#settle(e, 'error', error);
        // Should Redis take them after all, no worker may run them.
        added.then(
          () => this.#markCancelled(batch.map((e) => e.jobId)),
          () => undefined,
        );
        return;
      }
    } catch (error) {
      const e2 = new QueueUnavailableError(`cannot enqueue on queue '${this.queue}': ${(error as Error).message}`);
      (e2 as { cause?: unknown }).cause = error;
      for (const e of batch) this.#settle(e, 'error', e2);
      return;
    } finally {
      clearTimeout(timer);
    }
    for (const e of batch) {
      e.sent = true;
      // cancel() while the add was on its way: it could not remove the job yet.
      if (e.future.cancelRequested && this.#entries.get(e.future._key) === e) void this.#cancelRemote(e);
    }
  }

  /** Connects once: the control connection, the Queue, and QueueEvents reading from
   * the stream's current end, so that no event of a job added after this is missed. */
  #start(): Promise<void> {
    if (this.#started !== undefined) return this.#started;
    this.#started = (async () => {
      const { Queue, QueueEvents } = loadBullMQ();
      const IORedis = loadIORedis();
      const onError = (error: Error): void => {
        this.#lastError = error;
      };
      const control = new IORedis({ ...this.#connection, maxRetriesPerRequest: null, connectionName: `corepool-client:${this.queue}` });
      control.on('error', onError);
      this.#control = control;
      const bull = new Queue(this.queue, { connection: { ...this.#connection }, prefix: this.prefix });
      bull.on('error', onError);
      this.#bull = bull;
      const last = (await control.xrevrange(`${this.prefix}:${this.queue}:events`, '+', '-', 'COUNT', 1)) as [string, string[]][];
      if (this.#closed !== undefined) throw new PoolShutdownError(`QueuePool '${this.queue}' was shut down`);
      const events = new QueueEvents(this.queue, {
        connection: { ...this.#connection },
        prefix: this.prefix,
        lastEventId: last.length > 0 ? last[0]![0] : '0-0',
      });
      events.on('error', onError);
      events.on('completed', ({ jobId, returnvalue }) => this.#onCompleted(jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => this.#onFailed(jobId, failedReason));
      events.on('active', ({ jobId }) => {
        const e = this.#own(jobId);
        if (e === undefined) return;
        e.running = true;
        e.startedAt = performance.now();
      });
      events.on('stalled', ({ jobId }) => {
        const e = this.#own(jobId);
        if (e === undefined) return;
        e.running = false;
        this.#counters.stalled++;
      });
      this.#events = events;
      await Promise.all([bull.waitUntilReady(), events.waitUntilReady()]);
      this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_MS);
      this.#sweepTimer.unref();
    })();
    // A failed start (bad options) fails the submits that wait for it; a later one retries.
    this.#started.catch(() => {
      this.#started = undefined;
    });
    return this.#started;
  }

  #own(jobId: string): Entry | undefined {
    if (!jobId.startsWith(this.#clientId) || jobId.charCodeAt(this.#clientId.length) !== 46 /* . */) return undefined;
    return this.#entries.get(Number(jobId.slice(this.#clientId.length + 1)));
  }

  #onCompleted(jobId: string, returnvalue: unknown): void {
    const e = this.#own(jobId);
    if (e === undefined) return;
    let value: unknown;
    try {
      value = decode(returnvalue, 'result');
    } catch (error) {
      this.#settle(e, 'error', new RemoteTaskError(e.name, jobId, 'DecodeError', (error as Error).message));
      return;
    }
    this.#settle(e, 'ok', value);
  }

  #onFailed(jobId: string, failedReason: string): void {
    const e = this.#own(jobId);
    if (e === undefined) return;
    const { kind, message } = parseFailure(String(failedReason));
    switch (kind) {
      case 'CancelledError':
        this.#settle(e, 'cancelled');
        return;
      case 'TimeoutError':
        this.#settle(e, 'timeout', new TimeoutError(message));
        return;
      case 'KernelError': {
        const colon = message.indexOf(': ');
        this.#settle(e, 'error', new KernelError(e.name, colon >= 0 ? message.slice(colon + 2) : message));
        return;
      }
      default:
        this.#settle(e, 'error', new RemoteTaskError(e.name, jobId, kind, message));
    }
  }

  #deadlinePassed(entry: Entry): void {
    entry.timer = undefined;
    if (this.#entries.get(entry.future._key) !== entry) return;
    // No worker said TimeoutError in time (none alive, or Redis away): the deadline holds anyway.
    this.#settle(entry, 'timeout', new TimeoutError(`task '${entry.name}' (job ${entry.jobId}) passed its deadline`));
    if (entry.sent) void this.#dropRemote(entry.jobId);
  }

  async #cancelRemote(entry: Entry): Promise<void> {
    try {
      await this.#markCancelled([entry.jobId]);
      // A waiting job is removed (1); a job a worker holds is locked (0): its worker,
      // told above, stops it and fails it as cancelled.
      if ((await this.#bull!.remove(entry.jobId)) === 1) this.#settle(entry, 'cancelled');
    } catch {
      // Redis away: the cancel key and the sweep settle it once Redis is back.
    }
  }

  async #dropRemote(jobId: string): Promise<void> {
    try {
      await this.#markCancelled([jobId]);
      await this.#bull!.remove(jobId);
    } catch {
      // best effort: the cancel key keeps a worker from running it
    }
  }

  /** Sets the jobs' cancel keys (a worker taking them later refuses them) and tells the
   * workers running them, in one round trip. */
  async #markCancelled(jobIds: string[]): Promise<void> {
    const control = this.#control!;
    const channel = cancelChannel(this.prefix, this.queue);
    const pipeline = control.pipeline();
    for (const id of jobIds) {
      pipeline.set(cancelKey(this.prefix, this.queue, id), '1', 'EX', CANCEL_KEY_TTL_S);
      pipeline.publish(channel, id);
    }
    await pipeline.exec();
  }

  /** Reads the hashes of jobs in flight a while: settles what an event missed told. */
  async #sweep(): Promise<void> {
    const now = performance.now();
    const due = [...this.#entries.values()].filter((e) => e.sent && now - e.submittedAt > SWEEP_MS);
    if (due.length === 0 || this.#control?.status !== 'ready') return;
    try {
      const pipeline = this.#control.pipeline();
      for (const e of due) pipeline.hmget(`${this.prefix}:${this.queue}:${e.jobId}`, 'finishedOn', 'returnvalue', 'failedReason', 'name');
      const replies = (await pipeline.exec()) ?? [];
      due.forEach((e, i) => {
        const [error, fields] = replies[i] ?? [];
        if (error || !Array.isArray(fields) || this.#entries.get(e.future._key) !== e) return;
        const [finishedOn, returnvalue, failedReason, name] = fields as (string | null)[];
        if (name === null) {
          // Two sweeps in a row: not a job in the middle of being written.
          if (++e.missing >= 2) {
            this.#settle(e, 'lost', new JobLostError(`task '${e.name}' (job ${e.jobId}) is gone from Redis before it settled (flushed, evicted, or Redis restarted without persistence); whether it ran is unknown`));
          }
          return;
        }
        e.missing = 0;
        if (finishedOn === null) return;
        if (failedReason !== null && failedReason !== '') this.#onFailed(e.jobId, failedReason);
        else this.#onCompleted(e.jobId, JSON.parse(returnvalue ?? 'null'));
      });
    } catch {
      // Redis away: try again next time.
    }
  }

  #settle(entry: Entry, how: 'ok' | 'error' | 'cancelled' | 'timeout' | 'lost', value?: unknown): void {
    if (this.#entries.get(entry.future._key) !== entry) return;
    this.#entries.delete(entry.future._key);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    if (entry.startedAt >= 0) this.#core.recordTimes((entry.startedAt - entry.submittedAt) * 1e6, (performance.now() - entry.startedAt) * 1e6);
    const f = entry.future;
    const counters = this.#core.counters;
    if (f.cancelRequested || how === 'cancelled') {
      counters.cancelled++;
      f._setCancelled();
    } else if (how === 'ok') {
      counters.completed++;
      f._setResult(value);
    } else {
      if (how === 'timeout') counters.timedOut++;
      else if (how === 'lost') this.#counters.lost++;
      else counters.failed++;
      f._setException(value as Error);
    }
    if (this.#entries.size === 0) this.#core.notifyIdle();
  }

  #close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
      // Not awaiting #started: with Redis away it never ends. Disconnecting the control
      // connection fails a start still on its way, which then creates nothing more.
      this.#control?.disconnect();
      await Promise.all([this.#events, this.#bull].map((c) => c && closeWithin(c, 2000)));
    })();
    return this.#closed;
  }
}

/** BullMQ's close() waits for Redis; with Redis away, give up and drop the sockets. */
async function closeWithin(c: Queue | QueueEvents, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([c.close().catch(() => undefined), late]);
  clearTimeout(timer);
  if (outcome === 'late') await c.disconnect().catch(() => undefined);
}

interface ResolvedTask {
  kind: 'k' | 'f';
  name: string;
  kernel: Kernel<readonly unknown[], unknown> | undefined;
}

function resolveTask(task: unknown): ResolvedTask {
  if (task instanceof Kernel) return { kind: 'k', name: task.name, kernel: task as Kernel<readonly unknown[], unknown> };
  if (typeof task === 'string') return { kind: 'f', name: checkTaskName(task), kernel: undefined };
  if (typeof task === 'object' && task !== null && typeof (task as { name?: unknown }).name === 'string') {
    return { kind: 'f', name: checkTaskName((task as { name: string }).name), kernel: undefined };
  }
  throw new TypeError(
    `task must be a corepool kernel (kernels.countPrimes, loadKernels(...)), a task name or pool.task(name), got ${describe(task)}`,
  );
}

/** Throws TypeError/RangeError naming the argument (the kernel's own check). */
export function validateArgs(kernel: Kernel<readonly unknown[], unknown>, args: unknown): void {
  kernel.validate(args);
}

function checkTaskName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new TypeError(`task name must be an identifier (an export of the worker's module), got ${describe(name)}`);
  }
  return name;
}
