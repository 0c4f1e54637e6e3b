// What a QueuePool client and a corepool worker agree on: the job's data, how an
// outcome other than a result travels (BullMQ's failedReason), the Redis names of the
// cancel channel and keys, and the connection option. Nothing here loads bullmq.
import { describe } from '../core/validate';
import type { Wire } from './codec';

/** The version of the job layout below; a worker refuses jobs of another. */
export const PROTOCOL = 1;

/** A job's data: which task, its arguments, its deadline. Read from Redis, so checked. */
export interface JobData {
  v: typeof PROTOCOL;
  /** 'k': a native kernel (built-in or from a kernel set); 'f': a task function by export name. */
  k: 'k' | 'f';
  /** The task's name, looked up in the worker's own table: never a path or code. */
  t: string;
  /** Arguments (a single task) or undefined. */
  a?: Wire[];
  /** A map chunk: one entry per item (an argument, or an argument array for kernels of several). */
  m?: Wire[];
  /** Absolute deadline, ms since the epoch (clocks of client and worker must agree, NTP). */
  d?: number;
  /** Run deadline in ms from the task's start on the worker. */
  r?: number;
}

export function checkJobData(data: unknown): JobData {
  const d = data as Partial<JobData> | null;
  if (typeof d !== 'object' || d === null) throw new TypeError(`job data must be an object, got ${describe(data)}`);
  if (d.v !== PROTOCOL) throw new TypeError(`job data is of protocol ${String(d.v)}, this worker speaks ${PROTOCOL} (mixed corepool versions?)`);
  if (d.k !== 'k' && d.k !== 'f') throw new TypeError(`job data: unknown task kind ${describe(d.k)}`);
  if (typeof d.t !== 'string') throw new TypeError(`job data: task name must be a string, got ${describe(d.t)}`);
  if ((d.a === undefined) === (d.m === undefined)) throw new TypeError('job data: exactly one of args and chunk items expected');
  if (d.a !== undefined && !Array.isArray(d.a)) throw new TypeError('job data: args must be an array');
  if (d.m !== undefined && !Array.isArray(d.m)) throw new TypeError('job data: chunk items must be an array');
  if (d.d !== undefined && typeof d.d !== 'number') throw new TypeError('job data: deadline must be a number');
  if (d.r !== undefined && typeof d.r !== 'number') throw new TypeError('job data: runTimeout must be a number');
  return d as JobData;
}

/**
 * Outcomes other than a result travel as the job's failedReason `[Kind] message`, which
 * stays readable in any BullMQ dashboard. Kinds the client turns back into its own errors.
 */
export type FailureKind = 'CancelledError' | 'TimeoutError' | 'KernelError' | 'TaskNotFound' | 'BadJob' | string;

export function failureReason(kind: FailureKind, message: string): string {
  return `[${kind}] ${message}`;
}

export function parseFailure(reason: string): { kind: FailureKind | undefined; message: string } {
  const m = /^\[([A-Za-z0-9_]+)\] ([\s\S]*)$/.exec(reason);
  return m ? { kind: m[1], message: m[2]! } : { kind: undefined, message: reason };
}

/** The pub/sub channel a worker hears cancels on: one per queue, message = job id. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:corepool:cancel`;
}

/** Set when a job is cancelled, so that a worker taking it later (or again after a
 * stall) never runs it. Expires: a job older than this is long settled. */
export function cancelKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:corepool:cancelled:${jobId}`;
}
export const CANCEL_KEY_TTL_S = 7 * 24 * 3600;

/**
 * Where Redis is: a URL (`redis://user:pass@host:port/db`, `rediss://` for TLS) or the
 * options BullMQ passes to ioredis (host, port, username, password for AUTH/ACL, db,
 * tls, ...; see ioredis' RedisOptions).
 */
export type QueueConnection = string | QueueConnectionOptions;

export interface QueueConnectionOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  /** TLS options as Node's tls.connect takes them; `{}` for TLS with the defaults. */
  tls?: object;
  /** Any other ioredis option, passed through unchanged. */
  [option: string]: unknown;
}

/** Turns the user's connection option into ioredis options, checked. */
export function connectionOptions(connection: unknown, what: string): Record<string, unknown> {
  if (typeof connection === 'string') {
    let url: URL;
    try {
      url = new URL(connection);
    } catch {
      throw new TypeError(`${what}: connection must be a redis:// or rediss:// URL, got ${describe(connection)}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new TypeError(`${what}: connection URL must start with redis:// or rediss://, got ${url.protocol}//`);
    }
    const options: Record<string, unknown> = { host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: url.port === '' ? 6379 : Number(url.port) };
    if (url.username !== '') options.username = decodeURIComponent(url.username);
    if (url.password !== '') options.password = decodeURIComponent(url.password);
    const db = url.pathname.replace(/^\//, '');
    if (db !== '') {
      if (!/^\d+$/.test(db)) throw new TypeError(`${what}: the URL's path must be a database number, got '/${db}'`);
      options.db = Number(db);
    }
    if (url.protocol === 'rediss:') options.tls = {};
    return options;
  }
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new TypeError(`${what}: connection must be a redis:// URL or an options object ({ host, port, ... }), got ${describe(connection)}`);
  }
  return { ...(connection as Record<string, unknown>) };
}

/** host:port for messages (never the password). */
export function describeConnection(options: Record<string, unknown>): string {
  return `${String(options.host ?? '127.0.0.1')}:${String(options.port ?? 6379)}`;
}

export function checkQueueName(queue: unknown, what: string): string {
  if (typeof queue !== 'string' || queue.length === 0) throw new TypeError(`${what}: queue must be a non-empty string, got ${describe(queue)}`);
  if (queue.includes(':')) throw new TypeError(`${what}: queue must not contain ':' (BullMQ's key separator), got ${describe(queue)}`);
  return queue;
}

/** What a server counts of the jobs it ran (part of its stats()). Here, not in run-job.ts,
 * because the public .d.ts must not reach a file that imports bullmq's types (an optional
 * dependency a user may not have installed). */
export interface JobCounters {
  completed: number;
  failed: number;
  cancelled: number;
  timedOut: number;
  handedBack: number;
}
