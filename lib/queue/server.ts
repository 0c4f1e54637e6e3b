// serve(): the worker side of QueuePool. A BullMQ Worker takes jobs from the queue and
// runs each on this machine's pool that fits it (task-table.ts says which: kernels on a
// NativePool, a task module's exports on a WorkerPool, in-process functions on an
// IoPool). It runs only what it was started with: a job names its task, and the name is
// looked up in this process's own table (never a path or code from the job). Cancels
// arrive on the queue's pub/sub channel and abort the task's signal, which reaches the
// task's checkpoint; a deadline is handed to the local pool, which enforces it.
import * as os from 'node:os';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import { clearLongTimeout, setLongTimeout } from '../core/timers';
import { checkCount, checkOptions, checkTimeout, describe } from '../core/validate';
import { IoPool, IoPoolStats } from '../io/pool';
import { NativePool, PoolStats } from '../native/pool';
import { WorkerPool, WorkerPoolStats } from '../worker/pool';
import { loadBullMQ, loadIORedis } from './load';
import { cancelChannel, cancelKey, checkQueueName, connectionOptions, QueueConnection } from './protocol';
import type { JobCounters } from './protocol';
import { JobControl, runJob } from './run-job';
import { exportNames, TaskTable } from './task-table';
import type { AnyKernel } from './tasks';

export interface ServePools {
  /** Runs kernels. Default: a NativePool of os.availableParallelism() threads, owned by the server. */
  native?: NativePool;
  /** Runs the exports of its task module (WorkerPool({ module })). Default: one made for
   * serve({ module }), owned by the server. */
  worker?: WorkerPool;
  /** Runs the in-process functions of serve({ tasks }). Default: an IoPool, owned by the server. */
  io?: IoPool;
}

export interface ServeOptions {
  queue: string;
  connection: QueueConnection;
  /** BullMQ's key prefix. Default 'bull'. */
  prefix?: string;
  /** A task module (path or URL): its function exports are the tasks, called as
   * `fn(ctx, ...args)` on a WorkerPool (ctx.checkpoint(), ctx.signal). Or pass pools.worker. */
  module?: string | URL;
  /** The local pools jobs run on. Pools passed in are not shut down by close(). */
  pools?: ServePools;
  /** Kernel sets (what loadKernels returns) served besides the built-in kernels. */
  kernels?: readonly Readonly<Record<string, AnyKernel>>[];
  /** Functions run in this process on the IoPool, by name, called `fn(ctx, ...args)` with
   * ctx.signal: for async, I/O-bound tasks that use this process's own clients. */
  tasks?: Readonly<Record<string, unknown>>;
  /** Jobs taken at once. Default: the native pool's worker count. */
  concurrency?: number;
  /** BullMQ: ms a job's lock lasts without renewal; a worker silent longer is stalled. Default 30000. */
  lockDuration?: number;
  /** BullMQ: ms between stall checks. Default 30000. */
  stalledInterval?: number;
  /** BullMQ: times a job may stall before it fails. Default 1. */
  maxStalledCount?: number;
  /** This worker's name in BullMQ's worker list. Default corepool-worker@host:pid. */
  name?: string;
}

export interface QueueServerStats extends JobCounters {
  queue: string;
  name: string;
  concurrency: number;
  /** Connected to Redis now. */
  connected: boolean;
  active: number;
  kernels: string[];
  /** The task module's exports and the in-process functions. */
  tasks: string[];
  pools: { native: PoolStats; worker: WorkerPoolStats | undefined; io: IoPoolStats | undefined };
}

export interface CloseOptions {
  /** ms to let running jobs finish; then they are stopped and handed back to the queue
   * for another worker. Default Infinity (finish them). */
  grace?: number;
}

export interface QueueServer {
  stats(): QueueServerStats;
  /** Stops taking jobs, finishes (or after `grace` hands back) the running ones, disconnects. */
  close(options?: CloseOptions): Promise<void>;
}

const SERVE_KEYS = ['queue', 'connection', 'prefix', 'module', 'pools', 'kernels', 'tasks', 'concurrency', 'lockDuration', 'stalledInterval', 'maxStalledCount', 'name'];

/** Starts serving `queue`; resolves once connected and subscribed to cancels. */
export async function serve(options: ServeOptions): Promise<QueueServer> {
  checkOptions(options, SERVE_KEYS, 'serve');
  if (options === undefined) throw new TypeError('serve: options { queue, connection } are required');
  // Before any pool is made: without the optional packages nothing is left running.
  loadBullMQ();
  loadIORedis();
  const server = new Server(options);
  try {
    await server.start(options);
  } catch (error) {
    await server.close().catch(() => undefined);
    throw error;
  }
  return server;
}

class Server implements QueueServer {
  readonly #queue: string;
  readonly #prefix: string;
  readonly #connection: Record<string, unknown>;
  readonly #native: NativePool;
  readonly #worker: WorkerPool | undefined;
  readonly #io: IoPool | undefined;
  readonly #owned: (NativePool | WorkerPool | IoPool)[] = [];
  readonly #table = new TaskTable();
  readonly #concurrency: number;
  readonly #name: string;
  readonly #workerOptions: Record<string, number> = {};
  readonly #running = new Map<string, JobControl>();
  #bullWorker: Worker | undefined;
  #subscriber: Redis | undefined;
  #control: Redis | undefined;
  #closing: Promise<void> | undefined;
  readonly #counters: JobCounters = { completed: 0, failed: 0, cancelled: 0, timedOut: 0, handedBack: 0 };

  constructor(options: ServeOptions) {
    this.#queue = checkQueueName(options.queue, 'serve');
    this.#connection = connectionOptions(options.connection, 'serve');
    this.#prefix = options.prefix ?? 'bull';
    if (typeof this.#prefix !== 'string' || this.#prefix === '') throw new TypeError(`serve: prefix must be a non-empty string, got ${describe(this.#prefix)}`);
    const pools = checkOptions(options.pools, ['native', 'worker', 'io'], 'serve: pools') ?? {};
    if (pools.native !== undefined && !(pools.native instanceof NativePool)) throw new TypeError(`serve: pools.native must be a NativePool, got ${describe(pools.native)}`);
    if (pools.worker !== undefined && !(pools.worker instanceof WorkerPool)) throw new TypeError(`serve: pools.worker must be a WorkerPool, got ${describe(pools.worker)}`);
    if (pools.io !== undefined && !(pools.io instanceof IoPool)) throw new TypeError(`serve: pools.io must be an IoPool, got ${describe(pools.io)}`);
    if (pools.worker !== undefined && options.module !== undefined) throw new TypeError('serve: pass either module or pools.worker (whose module is served), not both');
    if (options.tasks !== undefined && (typeof options.tasks !== 'object' || options.tasks === null)) {
      throw new TypeError(`serve: tasks must be an object of functions (a module's exports), got ${describe(options.tasks)}`);
    }
    this.#native = pools.native ?? this.#own(new NativePool({ name: `queue-${this.#queue}` }));
    this.#table.addKernels(this.#native, options.kernels ?? []);
    this.#concurrency = checkCount(options.concurrency, 'serve: concurrency', 1, this.#native.maxWorkers);
    if (this.#concurrency === Infinity) throw new RangeError('serve: concurrency must be finite');
    for (const key of ['lockDuration', 'stalledInterval', 'maxStalledCount'] as const) {
      const v = key === 'maxStalledCount' ? checkCount(options[key], `serve: ${key}`, 0, -1) : (checkTimeout(options[key], `serve: ${key}`) ?? -1);
      if (v !== -1) this.#workerOptions[key] = v;
    }
    this.#name = options.name ?? `corepool-worker@${os.hostname()}:${process.pid}`;
    // The other pools only when there is something for them to run.
    this.#worker = pools.worker ?? (options.module !== undefined ? this.#own(new WorkerPool({ module: options.module, maxWorkers: this.#native.maxWorkers, name: `queue-${this.#queue}` })) : undefined);
    this.#io = options.tasks === undefined ? pools.io : (pools.io ?? this.#own(new IoPool({ name: `queue-${this.#queue}` })));
  }

  #own<P extends NativePool | WorkerPool | IoPool>(pool: P): P {
    this.#owned.push(pool);
    return pool;
  }

  async start(options: ServeOptions): Promise<void> {
    // The module loads in a worker before anything connects: a module that fails to load
    // fails serve() with its own error.
    if (this.#worker !== undefined) this.#table.addExports(this.#worker, await exportNames(this.#worker));
    if (options.tasks !== undefined) this.#table.addFunctions(this.#io!, options.tasks);
    const { Worker } = loadBullMQ();
    const IORedis = loadIORedis();
    const ignore = (): void => undefined; // ioredis reconnects by itself; errors are transient
    this.#control = new IORedis({ ...this.#connection, maxRetriesPerRequest: null, connectionName: `corepool-control:${this.#queue}` });
    this.#control.on('error', ignore);
    const subscriber = new IORedis({ ...this.#connection, maxRetriesPerRequest: null, connectionName: `corepool-cancel:${this.#queue}` });
    subscriber.on('error', ignore);
    this.#subscriber = subscriber;
    subscriber.on('message', (_channel: string, jobId: string) => this.#running.get(jobId)?.controller.abort());
    // Cancels published while this subscriber was away are found by their keys.
    let readies = 0;
    subscriber.on('ready', () => {
      if (readies++ > 0) void this.#recheckCancels();
    });
    await subscriber.subscribe(cancelChannel(this.#prefix, this.#queue));
    const run = {
      table: this.#table,
      counters: this.#counters,
      workerName: this.#name,
      begin: (jobId: string): JobControl => {
        const control: JobControl = { controller: new AbortController(), handBack: false };
        this.#running.set(jobId, control);
        return control;
      },
      cancelledBefore: async (jobId: string) => (await this.#control!.exists(cancelKey(this.#prefix, this.#queue, jobId))) === 1,
      end: (jobId: string) => this.#running.delete(jobId),
    };
    const worker = new Worker(this.#queue, (job, token, signal) => runJob(run, job, token, signal), {
      connection: { ...this.#connection },
      prefix: this.#prefix,
      concurrency: this.#concurrency,
      name: this.#name,
      ...this.#workerOptions,
    });
    worker.on('error', ignore);
    this.#bullWorker = worker;
    await worker.waitUntilReady();
  }

  stats(): QueueServerStats {
    return {
      queue: this.#queue,
      name: this.#name,
      concurrency: this.#concurrency,
      connected: this.#control?.status === 'ready' && this.#subscriber?.status === 'ready',
      active: this.#running.size,
      ...this.#counters,
      kernels: this.#table.kernelNames(),
      tasks: this.#table.taskNames(),
      pools: { native: this.#native.stats(), worker: this.#worker?.stats(), io: this.#io?.stats() },
    };
  }

  close(options?: CloseOptions): Promise<void> {
    checkOptions(options, ['grace'], 'close');
    const grace = checkTimeout(options?.grace, 'close: options.grace') ?? Infinity;
    this.#closing ??= (async () => {
      const closed = this.#bullWorker?.close() ?? Promise.resolve();
      const timer = setLongTimeout(() => {
        for (const r of this.#running.values()) {
          r.handBack = true;
          r.controller.abort();
        }
      }, grace);
      await closed;
      clearLongTimeout(timer);
      await Promise.allSettled([this.#subscriber?.quit(), this.#control?.quit()]);
      await Promise.all(this.#owned.map((p) => p.shutdown({ cancelRunning: true })));
    })();
    return this.#closing;
  }

  async #recheckCancels(): Promise<void> {
    const ids = [...this.#running.keys()];
    if (ids.length === 0) return;
    try {
      const flags = await this.#control!.mget(...ids.map((id) => cancelKey(this.#prefix, this.#queue, id)));
      ids.forEach((id, i) => {
        if (flags[i] !== null) this.#running.get(id)?.controller.abort();
      });
    } catch {
      // Redis away again: the next 'ready' checks again.
    }
  }
}
