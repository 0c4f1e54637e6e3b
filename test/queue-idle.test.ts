// An idle QueuePool never keeps the process alive, and a pending Future always does. Each
// case is a client in a child process of its own that never calls shutdown(): it must
// print its results and then exit by itself, with Redis up, restarted while the pool is
// idle, or gone.
import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

import { until } from './helpers';
import { fixtures, freePort, redisOrSkip, RedisProcess, root, startRedis, startWorker, stopWorkers, uniqueQueue, WorkerProcess } from './queue-helpers';

const tasksModule = path.join(fixtures, 'queue-tasks.mjs');

interface Client {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
}

/** Runs `body` (with `qp`, `kernels`, `say(line)` and `hold(ms)` in scope) in a child. */
function client(redis: string, queue: string, body: string, enqueueTimeout = 30_000): Client {
  const script = `
    const { QueuePool, kernels } = require(${JSON.stringify(path.join(root, 'lib', 'index.ts'))});
    const qp = new QueuePool({ queue: ${JSON.stringify(queue)}, connection: ${JSON.stringify(redis)}, enqueueTimeout: ${enqueueTimeout} });
    const say = (line) => console.log(line);
    // Keeps the process alive for ms (something else the user's program is doing).
    const hold = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    (async () => { ${body} })().catch((e) => { console.log('error ' + e.message); process.exitCode = 3; });`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { proc, output: () => out, exited };
}

/** The exit code, or fails if the child is still alive `ms` after `from`. */
async function exitsWithin(c: Client, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'alive'>((resolve) => (timer = setTimeout(() => resolve('alive'), ms)));
  const outcome = await Promise.race([c.exited, late]);
  clearTimeout(timer);
  if (outcome === 'alive') {
    c.proc.kill('SIGKILL');
    assert.fail(`the client process is still alive ${ms} ms later, idle:\n${c.output()}`);
  }
  return outcome;
}

describe('an idle QueuePool does not keep the process alive (child processes)', function () {
  this.timeout(90_000);
  let redis: RedisProcess;
  let workers: WorkerProcess[] = [];

  before(async function () {
    await redisOrSkip(this);
    redis = await startRedis(); // of its own: these cases restart and stop it
  });

  afterEach(async () => {
    await stopWorkers(workers);
    workers = [];
  });

  after(async () => {
    await redis?.stop();
  });

  it('a pending Future keeps it alive until it settles; once idle, the process exits by itself', async () => {
    const queue = uniqueQueue('idle');
    workers.push(await startWorker(redis.url, queue, ['--module', tasksModule]));
    // Nothing but the pending job keeps this client alive for 1.5 s.
    const c = client(redis.url, queue, `
      say('slept ' + await qp.submit('sleep', [1500]));
      say('workers ' + await qp.workerCount());
      const all = [];
      for await (const r of qp.map(kernels.isPrime, [2, 3, 4], { chunksize: 2 })) all.push(r);
      say('map ' + all.join(','));`);
    assert.equal(await exitsWithin(c, 20_000), 0, c.output());
    assert.deepEqual(c.output().trim().split('\n'), ['slept 1500', 'workers 1', 'map true,true,false']);
  });

  it('Redis restarted while the pool is idle: the next submit reconnects, and the process still exits', async () => {
    const queue = uniqueQueue('idle-restart');
    workers.push(await startWorker(redis.url, queue, ['--module', tasksModule]));
    const c = client(redis.url, queue, `
      say('first ' + await qp.submit('add', [1, 2]));
      say('idle');
      await hold(3000);
      say('second ' + await qp.submit('add', [3, 4]));`);
    await until(() => c.output().includes('idle'), 'the client idle', 20_000);
    await redis.stop();
    await redis.start();
    assert.equal(await exitsWithin(c, 30_000), 0, c.output());
    assert.deepEqual(c.output().trim().split('\n'), ['first 3', 'idle', 'second 7']);
  });

  it('Redis gone while the pool is idle: no reconnect attempt keeps the process alive', async () => {
    const queue = uniqueQueue('idle-gone');
    workers.push(await startWorker(redis.url, queue, ['--module', tasksModule]));
    const c = client(redis.url, queue, `
      say('first ' + await qp.submit('add', [1, 2]));
      say('idle');
      await hold(1000);
      say('done');`);
    await until(() => c.output().includes('idle'), 'the client idle', 20_000);
    await redis.stop();
    try {
      // Its own hold ends after 1 s; ioredis' reconnect timers must not hold it longer. It
      // exits ~2 s after Redis went away, but about 1 run in 10 only after ~11 s: a close
      // racing BullMQ's blocking read waits out its 10 s watchdog timer (ref'd, out of our
      // reach). Bounded either way; the bound here says so.
      assert.equal(await exitsWithin(c, 15_000), 0, c.output());
      assert.deepEqual(c.output().trim().split('\n'), ['first 3', 'idle', 'done']);
    } finally {
      await redis.start(); // only once stopped: start() on a running one would orphan it
    }
  });

  it('Redis unreachable: the Future fails with QueueUnavailableError, and the process then exits by itself', async () => {
    const port = await freePort(); // nothing listens there
    const c = client(`redis://127.0.0.1:${port}`, uniqueQueue('idle-unreachable'), `
      const e = await qp.submit(kernels.noop, []).exception();
      say(e.name);`, 500);
    assert.equal(await exitsWithin(c, 40_000), 0, c.output());
    assert.deepEqual(c.output().trim().split('\n'), ['QueueUnavailableError']);
  });
});
