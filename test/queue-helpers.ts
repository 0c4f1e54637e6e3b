// Real parts for the QueuePool tests: a Redis (the one .ci/run started, named by
// COREPOOL_TEST_REDIS_URL, or one started here from redis-server on PATH) and worker
// processes (`corepool worker`, run from source). No mock of Redis or BullMQ anywhere.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

import { redisServerBinary, startRedis } from '../bench/harness/queue-processes';

export { freePort, startRedis, startWorker, stopWorkers } from '../bench/harness/queue-processes';
export type { RedisProcess, WorkerProcess } from '../bench/harness/queue-processes';

export const root = path.resolve(__dirname, '..');
export const fixtures = path.join(__dirname, 'fixtures');

let shared: Promise<string | undefined> | undefined;

/**
 * The Redis the tests use: COREPOOL_TEST_REDIS_URL (set by .ci/run), else one started
 * here for the whole run. Undefined (the suite skips) only outside CI: with CI=true a
 * missing Redis fails the suite.
 */
export function testRedisUrl(): Promise<string | undefined> {
  shared ??= (async () => {
    const url = process.env.COREPOOL_TEST_REDIS_URL;
    if (url !== undefined && url !== '') return url;
    if (redisServerBinary() === undefined) {
      if (process.env.CI === 'true') throw new Error('CI=true but no Redis: set COREPOOL_TEST_REDIS_URL or install redis-server');
      return undefined;
    }
    return (await startRedis()).url;
  })();
  return shared;
}

/** In a describe's before(): the Redis URL, or skips the suite (never with CI=true). */
export async function redisOrSkip(ctx: Mocha.Context): Promise<string> {
  const url = await testRedisUrl();
  if (url === undefined) {
    console.warn('      (no redis-server on PATH: QueuePool tests skipped; apt-get install -y redis-server)');
    ctx.skip();
  }
  return url!;
}

export const uniqueQueue = (label: string): string => `${label}-${randomBytes(4).toString('hex')}`;

