// QueuePool's options, checked once at construction (the types are in pool.ts, where the
// published declarations have them).
import { checkPoolName } from '../core/pool-core';
import { checkCount, checkOptions, checkTimeout, describe } from '../core/validate';
import type { QueuePoolOptions } from './pool';
import { checkQueueName, connectionOptions } from './protocol';

/** The options once checked, with their defaults. */
export interface QueuePoolConfig {
  queue: string;
  /** For messages and stats (the queue's name unless given). */
  name: string;
  connection: Record<string, unknown>;
  prefix: string;
  enqueueTimeout: number;
  keepFinished: number;
}

export function checkQueuePoolOptions(options: QueuePoolOptions): QueuePoolConfig {
  checkOptions(options, ['queue', 'connection', 'prefix', 'enqueueTimeout', 'keepFinished', 'name'], 'QueuePool');
  if (options === undefined) throw new TypeError('QueuePool: options { queue, connection } are required');
  const queue = checkQueueName(options.queue, 'QueuePool');
  const name = checkPoolName(options.name, queue);
  const connection = connectionOptions(options.connection, 'QueuePool');
  const prefix = options.prefix ?? 'bull';
  if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError(`QueuePool: prefix must be a non-empty string, got ${describe(prefix)}`);
  const enqueueTimeout = checkTimeout(options.enqueueTimeout, 'QueuePool: enqueueTimeout') ?? 10_000;
  const keepFinished = checkCount(options.keepFinished, 'QueuePool: keepFinished', 1, 3600);
  return { queue, name, connection, prefix, enqueueTimeout, keepFinished };
}
