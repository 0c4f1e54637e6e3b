// `corepool worker`: serve a queue from the command line. Runs until SIGTERM or SIGINT,
// then stops taking jobs, lets the running ones finish within --grace ms (the rest go
// back to the queue for another worker) and exits 0.
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { loadKernels } from '../native/custom-kernels';
import { NativePool } from '../native/pool';
import { serve, ServeOptions } from './server';

export const WORKER_USAGE = `usage: corepool worker --redis URL --queue NAME [--module tasks.js] [--kernels addon.node]
                       [--concurrency N] [--threads N] [--grace ms] [--prefix bull]
                       [--lock-duration ms] [--stalled-interval ms] [--stats-interval ms]

  --redis      redis://[user:password@]host:port[/db], rediss:// for TLS
  --queue      the queue's name (the same as the clients' QueuePool({ queue }))
  --module     a module whose exported functions are tasks, called as fn(ctx, ...args) on a
               WorkerPool of --threads worker threads (ctx.checkpoint(), ctx.signal)
  --kernels    a kernel addon built against corepool.h (or a module exporting corepoolKernels);
               built-in kernels are always served
  --concurrency  jobs taken at once (default: --threads)
  --threads    threads of the native pool and of the module's WorkerPool (default: the cores)
  --grace      ms running jobs get to finish on SIGTERM before they are handed back (default 30000)
  --stats-interval  print stats() as one JSON line on stderr every ms`;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${flag} must be a non-negative number, got '${value}'`);
  return n;
}

export async function runWorkerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      redis: { type: 'string' },
      queue: { type: 'string' },
      module: { type: 'string' },
      kernels: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      threads: { type: 'string' },
      grace: { type: 'string' },
      prefix: { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'stats-interval': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(WORKER_USAGE);
    return 0;
  }
  if (values.redis === undefined || values.queue === undefined) {
    console.error(`corepool worker: --redis and --queue are required\n${WORKER_USAGE}`);
    return 1;
  }
  const kernelSets = (values.kernels ?? []).map((file) => loadKernels(require(path.resolve(file))));
  const threads = number(values.threads, '--threads');
  const native = new NativePool({ name: `worker-${values.queue}`, ...(threads !== undefined ? { maxWorkers: threads } : {}) });
  const options: ServeOptions = {
    queue: values.queue,
    connection: values.redis,
    pools: { native },
    kernels: kernelSets,
    module: values.module === undefined ? undefined : path.resolve(values.module),
    concurrency: number(values.concurrency, '--concurrency'),
    lockDuration: number(values['lock-duration'], '--lock-duration'),
    stalledInterval: number(values['stalled-interval'], '--stalled-interval'),
  };
  if (values.prefix !== undefined) options.prefix = values.prefix;
  // serve() waits for Redis (ioredis reconnects): say so instead of sitting silent.
  const waiting = setTimeout(() => console.error(`corepool worker: waiting for Redis at ${values.redis?.replace(/\/\/[^@/]*@/, '//***@')}`), 5000);
  const server = await serve(options).finally(() => clearTimeout(waiting));
  const s = server.stats();
  console.log(`corepool worker ready: queue '${s.queue}', ${s.concurrency} at once, kernels ${s.kernels.length}, tasks [${s.tasks.join(', ')}], pid ${process.pid}`);
  const statsEvery = number(values['stats-interval'], '--stats-interval');
  const statsTimer =
    statsEvery === undefined
      ? undefined
      : setInterval(() => {
          const { pools, ...rest } = server.stats();
          console.error(JSON.stringify({ ...rest, native: { active: pools.native.active, queued: pools.native.queued }, worker: pools.worker && { active: pools.worker.active, queued: pools.worker.queued, workers: pools.worker.workers } }));
        }, statsEvery);
  const grace = number(values.grace, '--grace') ?? 30_000;
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  if (statsTimer !== undefined) clearInterval(statsTimer);
  console.log('corepool worker: stopping (finishing running jobs)');
  await server.close({ grace });
  await native.shutdown();
  const end = server.stats();
  console.log(`corepool worker stopped: ${end.completed} completed, ${end.failed} failed, ${end.cancelled} cancelled, ${end.timedOut} timed out, ${end.handedBack} handed back`);
  return 0;
}
