// serve(): the worker side of QueuePool. A BullMQ Worker takes jobs from the queue and
// runs each on this machine's pool that fits it: a native kernel on a NativePool, a
// task function on an IoPool. It runs only what it was started with: a job names its
// task, and the name is looked up in this process's own table (never a path or code
// from the job). Cancels arrive on the queue's pub/sub channel and abort the task's
// signal, which reaches the native checkpoint; a deadline is handed to the local pool,
// whose deadline thread enforces it.
import * as os from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import { CancelledError, KernelError, TimeoutError } from '../core/errors';
import { checkCount, checkOptions, checkTimeout, describe } from '../core/validate';
import { IoPool, IoPoolStats, IoTask } from '../io/pool';
import { Kernel } from '../native/kernel';
import { kernels as builtins } from '../native/kernels';
import { NativePool, PoolStats } from '../native/pool';
import { loadBullMQ, loadIORedis } from './load';
import { decode, encode } from './codec';
import { validateArgs } from './pool';
import {
  cancelChannel,
  cancelKey,
  checkJobData,
  checkQueueName,
  connectionOptions,
  failureReason,
  JobData,
  QueueConnection,
} from './protocol';

type AnyKernel = Kernel<readonly unknown[], unknown>;
type AnyTask = IoTask<never[], unknown>;

export interface ServePools {
  /** Runs kernels. Default: a NativePool of os.availableParallelism() threads, owned by the server. */
  native?: NativePool;
  /** Runs task functions. Default: an IoPool, owned by the server. */
  io?: IoPool;
}

export interface ServeOptions {
  queue: string;
  connection: QueueConnection;
  /** BullMQ's key prefix. Default 'bull'. */
  prefix?: string;
  /** The local pools jobs run on. Pools passed in are not shut down by close(). */
  pools?: ServePools;
  /** Kernel sets (what loadKernels returns) served besides the built-in kernels. */
  kernels?: readonly Readonly<Record<string, AnyKernel>>[];
  /** Task functions by name, e.g. a module's exports: each is called as IoPool calls
   * its tasks, `fn(ctx, ...args)`, and its name is what clients submit. */
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

export interface QueueServerStats {
  queue: string;
  name: string;
  concurrency: number;
  /** Connected to Redis now. */
  connected: boolean;
  active: number;
  completed: number;
  failed: number;
  cancelled: number;
  timedOut: number;
  /** Jobs given back to the queue at close (grace passed). */
  handedBack: number;
  kernels: string[];
  tasks: string[];
  pools: { native: PoolStats; io: IoPoolStats };
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

interface Running {
  controller: AbortController;
  handBack: boolean;
}

/** Starts serving `queue`; resolves once connected and subscribed to cancels. */
export async function serve(options: ServeOptions): Promise<QueueServer> {
  checkOptions(
    options,
    ['queue', 'connection', 'prefix', 'pools', 'kernels', 'tasks', 'concurrency', 'lockDuration', 'stalledInterval', 'maxStalledCount', 'name'],
    'serve',
  );
  if (options === undefined) throw new TypeError('serve: options { queue, connection } are required');
  // Before any pool is made: without the optional packages nothing is left running.
  loadBullMQ();
  loadIORedis();
  const server = new Server(options);
  try {
    await server.start();
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
  readonly #io: IoPool;
  readonly #owned: (NativePool | IoPool)[] = [];
  readonly #kernels = new Map<string, AnyKernel>();
  readonly #tasks = new Map<string, AnyTask>();
  readonly #concurrency: number;
  readonly #name: string;
  readonly #workerOptions: Record<string, number>;
  readonly #running = new Map<string, Running>();
  #worker: Worker | undefined;
  #subscriber: Redis | undefined;
  #control: Redis | undefined;
  #closing: Promise<void> | undefined;
  #counters = { completed: 0, failed: 0, cancelled: 0, timedOut: 0, handedBack: 0 };

  constructor(options: ServeOptions) {
    this.#queue = checkQueueName(options.queue, 'serve');
    this.#connection = connectionOptions(options.connection, 'serve');
    this.#prefix = options.prefix ?? 'bull';
    if (typeof this.#prefix !== 'string' || this.#prefix === '') throw new TypeError(`serve: prefix must be a non-empty string, got ${describe(this.#prefix)}`);
    const pools = checkOptions(options.pools, ['native', 'io'], 'serve: pools') ?? {};
    if (pools.native !== undefined && !(pools.native instanceof NativePool)) throw new TypeError(`serve: pools.native must be a NativePool, got ${describe(pools.native)}`);
    if (pools.io !== undefined && !(pools.io instanceof IoPool)) throw new TypeError(`serve: pools.io must be an IoPool, got ${describe(pools.io)}`);
    for (const k of Object.values(builtins)) this.#kernels.set(k.name, k as AnyKernel);
    for (const [i, set] of (options.kernels ?? []).entries()) {
      if (typeof set !== 'object' || set === null) throw new TypeError(`serve: kernels[${i}] must be a kernel set (what loadKernels returns), got ${describe(set)}`);
      for (const k of Object.values(set)) {
        if (!(k instanceof Kernel)) throw new TypeError(`serve: kernels[${i}] holds ${describe(k)}, not a Kernel`);
        this.#kernels.set(k.name, k as AnyKernel);
      }
    }
    if (options.tasks !== undefined) {
      if (typeof options.tasks !== 'object' || options.tasks === null) throw new TypeError(`serve: tasks must be an object of functions (a module's exports), got ${describe(options.tasks)}`);
      for (const [name, fn] of Object.entries(options.tasks)) if (typeof fn === 'function') this.#tasks.set(name, fn as AnyTask);
    }
    this.#native = pools.native ?? this.#own(new NativePool({ name: `queue-${this.#queue}` }));
    this.#io = pools.io ?? this.#own(new IoPool({ name: `queue-${this.#queue}` }));
    this.#concurrency = checkCount(options.concurrency, 'serve: concurrency', 1, this.#native.maxWorkers);
    if (this.#concurrency === Infinity) throw new RangeError('serve: concurrency must be finite');
    this.#name = options.name ?? `corepool-worker@${os.hostname()}:${process.pid}`;
    this.#workerOptions = {};
    for (const key of ['lockDuration', 'stalledInterval', 'maxStalledCount'] as const) {
      const v = key === 'maxStalledCount' ? checkCount(options[key], `serve: ${key}`, 0, -1) : (checkTimeout(options[key], `serve: ${key}`) ?? -1);
      if (v !== -1) this.#workerOptions[key] = v;
    }
  }

  #own<P extends NativePool | IoPool>(pool: P): P {
    this.#owned.push(pool);
    return pool;
  }

  async start(): Promise<void> {
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
    const worker = new Worker(this.#queue, (job, token, signal) => this.#process(job, token, signal), {
      connection: { ...this.#connection },
      prefix: this.#prefix,
      concurrency: this.#concurrency,
      name: this.#name,
      ...this.#workerOptions,
    });
    worker.on('error', ignore);
    this.#worker = worker;
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
      kernels: [...this.#kernels.keys()],
      tasks: [...this.#tasks.keys()],
      pools: { native: this.#native.stats(), io: this.#io.stats() },
    };
  }

  close(options?: CloseOptions): Promise<void> {
    checkOptions(options, ['grace'], 'close');
    const grace = checkTimeout(options?.grace, 'close: options.grace') ?? Infinity;
    this.#closing ??= (async () => {
      const closed = this.#worker?.close() ?? Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      if (grace !== Infinity) {
        timer = setTimeout(() => {
          for (const r of this.#running.values()) {
            r.handBack = true;
            r.controller.abort();
          }
        }, grace);
      }
      await closed;
      clearTimeout(timer);
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

  async #process(job: Job, token: string | undefined, bullSignal: AbortSignal | undefined): Promise<unknown> {
    const { UnrecoverableError, WaitingError } = loadBullMQ();
    const fail = (kind: string, message: string): Error => new UnrecoverableError(failureReason(kind, message));
    let data: JobData;
    try {
      data = checkJobData(job.data);
    } catch (error) {
      this.#counters.failed++;
      throw fail('BadJob', (error as Error).message);
    }
    const kernel: AnyKernel | undefined = data.k === 'k' ? this.#kernels.get(data.t) : undefined;
    const task = data.k === 'f' ? this.#tasks.get(data.t) : undefined;
    if (kernel === undefined && task === undefined) {
      this.#counters.failed++;
      const known = data.k === 'k' ? [...this.#kernels.keys()] : [...this.#tasks.keys()];
      throw fail('TaskNotFound', `worker '${this.#name}' has no ${data.k === 'k' ? 'kernel' : 'task'} '${data.t}' (it serves: ${known.join(', ') || 'none'})`);
    }
    const jobId = job.id!;
    const running: Running = { controller: new AbortController(), handBack: false };
    // Registered before the cancel key is read: a cancel published meanwhile still lands.
    this.#running.set(jobId, running);
    const { signal } = running.controller;
    bullSignal?.addEventListener('abort', () => running.controller.abort(), { once: true });
    try {
      if ((await this.#control!.exists(cancelKey(this.#prefix, this.#queue, jobId))) === 1) running.controller.abort();
      if (signal.aborted && !running.handBack) throw new CancelledError(`task '${data.t}' was cancelled before it started`);
      let timeout: number | undefined;
      if (data.d !== undefined) {
        timeout = data.d - Date.now();
        if (timeout <= 0) throw new TimeoutError(`task '${data.t}' passed its deadline before a worker started it`);
      }
      const runTimeout = data.r;
      let result: unknown;
      if (data.a !== undefined) {
        const args = decode(data.a, 'args') as unknown[];
        if (kernel !== undefined) {
          validateArgs(kernel, args);
          result = await this.#native.submit(kernel, args, { timeout, runTimeout, signal });
        } else {
          result = await this.#io.submit(task!, args as never[], { timeout, runTimeout, signal });
        }
      } else {
        const items = decode(data.m, 'items') as unknown[];
        const out: unknown[] = [];
        const mapOptions = { chunksize: Math.max(1, items.length), timeout, signal };
        const results = kernel !== undefined ? this.#native.map(kernel, items, mapOptions) : this.#io.map(task! as IoTask<[unknown], unknown>, items, mapOptions);
        for await (const r of results) out.push(r);
        result = out;
      }
      this.#counters.completed++;
      try {
        return encode(result, `task '${data.t}': its result`);
      } catch (error) {
        this.#counters.completed--;
        throw fail('BadResult', (error as Error).message);
      }
    } catch (error) {
      if (running.handBack && token !== undefined) {
        // Closing past its grace: the job goes back to the queue for another worker.
        this.#counters.handedBack++;
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (error instanceof UnrecoverableError) throw error;
      if (error instanceof CancelledError) {
        this.#counters.cancelled++;
        throw fail('CancelledError', `task '${data.t}' was cancelled`);
      }
      if (error instanceof TimeoutError) {
        this.#counters.timedOut++;
        throw fail('TimeoutError', `task '${data.t}' passed its deadline`);
      }
      this.#counters.failed++;
      if (error instanceof KernelError) throw fail('KernelError', error.message);
      if (error instanceof TypeError || error instanceof RangeError) throw fail(error.name, error.message);
      // A task's own error: a plain failure (BullMQ attempts apply; QueuePool submits attempts: 1).
      const e = error as Error;
      throw new Error(failureReason(typeof e?.name === 'string' ? e.name.replace(/\W/g, '') || 'Error' : 'Error', e?.message ?? String(error)));
    } finally {
      this.#running.delete(jobId);
    }
  }
}
