// QueuePool's failure semantics against real processes: a worker SIGKILLed mid-job, a
// Redis restarted under load, a worker stopped with SIGTERM, a cancelled job that stalls.
// Each uses a Redis of its own with an append-only file, so that a restart keeps the
// queue (as a production Redis for BullMQ is configured), and workers with short lock
// and stall intervals so that stall detection takes a second, not thirty.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawn } from 'node:child_process';

import { CancelledError, Future, JobLostError, kernels, PoolShutdownError, QueuePool } from '../lib/index';
import { loadBullMQ, loadIORedis } from '../lib/queue/load';
import { sleep, until } from './helpers';
import { fixtures, root, redisOrSkip, RedisProcess, startRedis, startWorker, stopWorkers, uniqueQueue, WorkerProcess } from './queue-helpers';

const tasksModule = path.join(fixtures, 'queue-tasks.mjs');
const FAST_STALL = ['--lock-duration', '1000', '--stalled-interval', '500'];

interface LogLine {
  what: 'start' | 'end';
  tag: string;
  pid: number;
}

function readLog(file: string): LogLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [what, tag, pid] = line.split(' ');
      return { what: what as 'start' | 'end', tag: tag!, pid: Number(pid) };
    });
}

function countSettles(futures: Future<unknown>[]): number[] {
  const counts = futures.map(() => 0);
  futures.forEach((f, i) => f.addDoneCallback(() => counts[i]!++));
  return counts;
}

describe('QueuePool failure semantics (real processes)', function () {
  this.timeout(120_000);
  let redis: RedisProcess;
  let workers: WorkerProcess[] = [];
  let dir: string;

  before(async function () {
    await redisOrSkip(this); // with CI=true a missing Redis fails here instead of skipping
    redis = await startRedis({ appendonly: true });
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-qf-'));
  });

  afterEach(async () => {
    await stopWorkers(workers);
    workers = [];
  });

  after(async () => {
    await redis?.stop();
  });

  it('a worker SIGKILLed mid-job: another takes the job after stall detection, the Future settles once', async () => {
    const queue = uniqueQueue('kill');
    const log = path.join(dir, 'runs.log');
    workers.push(...(await Promise.all([1, 2].map(() => startWorker(redis.url, queue, ['--module', tasksModule, ...FAST_STALL])))));
    const qp = new QueuePool({ queue, connection: redis.url });
    try {
      const f = qp.submit('logged', [log, 'job', 1500]);
      const count = countSettles([f]);
      await until(() => readLog(log).length === 1, 'a worker started the job', 20_000);
      const first = workers.find((w) => w.pid === readLog(log)[0]!.pid)!;
      first.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
      assert.equal(await f, 'job');
      const lines = readLog(log);
      // At-least-once: it started on both, and finished once, on the other.
      assert.deepEqual(lines.map((l) => `${l.what}@${l.pid === first.pid ? 'killed' : 'other'}`), ['start@killed', 'start@other', 'end@other']);
      await sleep(1500); // two more stall checks: nothing settles it again
      assert.deepEqual(count, [1]);
      assert.equal(qp.stats().stalled, 1);
      assert.equal(qp.stats().completed, 1);
    } finally {
      await qp.shutdown();
    }
  });

  it('Redis restarted under load: clients and workers reconnect, every Future settles once with its result', async () => {
    const queue = uniqueQueue('restart');
    workers.push(...(await Promise.all([1, 2].map(() => startWorker(redis.url, queue, ['--module', tasksModule, '--concurrency', '8', ...FAST_STALL])))));
    const qp = new QueuePool({ queue, connection: redis.url, enqueueTimeout: 30_000 });
    try {
      const futures: Future<unknown>[] = [];
      const expected: number[] = [];
      let submitting = true;
      const producer = (async () => {
        for (let i = 0; submitting; i++) {
          futures.push(qp.submit('add', [i, 1000]));
          expected.push(i + 1000);
          await sleep(5);
        }
      })();
      await until(() => qp.stats().completed > 50, 'load running', 30_000);
      const atRestart = qp.stats().completed;
      await redis.stop();
      await sleep(500); // submits go on meanwhile: they wait for Redis (enqueueTimeout)
      await redis.start();
      await until(() => qp.stats().completed > atRestart + 150, 'load running again after the restart', 60_000);
      submitting = false;
      await producer;
      const counts = countSettles(futures);
      const results = await Promise.all(futures.map((f) => f.result()));
      assert.deepEqual(results, expected);
      await sleep(500);
      assert.ok(counts.every((c) => c === 1), 'each settled exactly once');
      const s = qp.stats();
      assert.equal(s.completed, futures.length);
      assert.equal(s.lost + s.failed, 0);
      assert.ok(futures.length > 200, `${futures.length} tasks submitted across the restart`);
    } finally {
      await qp.shutdown();
    }
  });

  it('SIGTERM: the worker stops taking jobs, finishes the running one and exits 0', async () => {
    const queue = uniqueQueue('term');
    const log = path.join(dir, 'runs.log');
    const a = await startWorker(redis.url, queue, ['--module', tasksModule]);
    workers.push(a);
    const qp = new QueuePool({ queue, connection: redis.url });
    try {
      const f = qp.submit('logged', [log, 'finish', 800]);
      await until(() => readLog(log).length === 1, 'started', 20_000);
      a.kill('SIGTERM');
      assert.equal(await f, 'finish');
      assert.equal(await a.exited, 0);
      assert.match(a.output(), /corepool worker stopped: 1 completed/);
      // Submitted after it stopped: waits for a worker, none takes it.
      const g = qp.submit('add', [1, 2]);
      await sleep(300);
      assert.equal(g.state, 'PENDING');
      workers.push(await startWorker(redis.url, queue, ['--module', tasksModule]));
      assert.equal(await g, 3);
    } finally {
      await qp.shutdown();
    }
  });

  it('SIGTERM past --grace: the running job is handed back and finished by another worker', async () => {
    const queue = uniqueQueue('grace');
    const log = path.join(dir, 'runs.log');
    workers.push(...(await Promise.all([1, 2].map(() => startWorker(redis.url, queue, ['--module', tasksModule, '--grace', '200'])))));
    const qp = new QueuePool({ queue, connection: redis.url });
    try {
      const f = qp.submit('logged', [log, 'long', 3000]);
      const count = countSettles([f]);
      await until(() => readLog(log).length === 1, 'a worker started it', 20_000);
      const first = workers.find((w) => w.pid === readLog(log)[0]!.pid)!;
      first.kill('SIGTERM');
      assert.equal(await first.exited, 0);
      assert.match(first.output(), /1 handed back/);
      assert.equal(await f, 'long');
      assert.deepEqual(readLog(log).map((l) => `${l.what}@${l.pid === first.pid ? 'stopped' : 'other'}`), ['start@stopped', 'start@other', 'end@other']);
      assert.deepEqual(count, [1]);
    } finally {
      await qp.shutdown();
    }
  });

  it('a cancelled job is never run again: not after its worker is killed, not by stall recovery', async () => {
    const queue = uniqueQueue('cancel-kill');
    const log = path.join(dir, 'runs.log');
    const a = await startWorker(redis.url, queue, ['--module', tasksModule, ...FAST_STALL]);
    workers.push(a);
    const qp = new QueuePool({ queue, connection: redis.url });
    try {
      const f = qp.submit('logged', [log, 'cancelled', 5000]);
      await until(() => readLog(log).length === 1, 'started on A', 20_000);
      // Killed first, then cancelled: no worker hears the cancel; the job stalls, goes
      // back to wait, and B must refuse it by its cancel key.
      a.kill('SIGKILL');
      await a.exited;
      assert.equal(f.cancel(), true);
      const b = await startWorker(redis.url, queue, ['--module', tasksModule, ...FAST_STALL]);
      workers.push(b);
      await assert.rejects(f.result(), CancelledError);
      await sleep(2000); // stall checks come and go
      assert.deepEqual(readLog(log).map((l) => l.what), ['start'], 'it never started again');
      // B is fine and serves the next job.
      assert.equal(await qp.submit(kernels.isPrime, [11]), true);
    } finally {
      await qp.shutdown();
    }
  });

  it('shutdown({ cancelFutures }) while a large addBulk is on its way: every Future settles once, no cancelled job is left to run', async () => {
    const queue = uniqueQueue('bulk');
    const qp = new QueuePool({ queue, connection: redis.url });
    const { Queue } = loadBullMQ();
    const inspect = new Queue(queue, { connection: { url: redis.url } });
    assert.equal(await qp.workerCount(), 0); // connected; no worker yet
    try {
      // One tick: one addBulk of 5000 jobs; shutdown comes before Redis has answered.
      const futures = Array.from({ length: 5000 }, (_, i) => qp.submit(kernels.isPrime, [i]));
      const counts = countSettles(futures);
      const closed = qp.shutdown({ cancelFutures: true });
      assert.throws(() => qp.submit(kernels.noop, []), PoolShutdownError);
      await closed;
      assert.ok(futures.every((f) => f.cancelled()), 'no worker took any: all CANCELLED');
      assert.ok(counts.every((c) => c === 1));
      // Left in Redis: nothing a worker would run (removed, or refused by its cancel key).
      const waiting = await inspect.getWaiting(0, -1);
      const worker = await startWorker(redis.url, queue, ['--threads', '1']);
      workers.push(worker);
      await sleep(1000);
      const counts2 = await inspect.getJobCounts('completed', 'waiting', 'active');
      assert.equal(counts2.completed, 0, `no cancelled job ran (${waiting.length} were still waiting at shutdown)`);
      assert.equal(counts2.waiting + counts2.active, 0);
    } finally {
      await inspect.close();
    }
  });

  it('shutdown() in the middle of a large map: the iteration ends with an error, every chunk submitted settles', async () => {
    const queue = uniqueQueue('bigmap');
    workers.push(await startWorker(redis.url, queue, ['--threads', '1']));
    const qp = new QueuePool({ queue, connection: redis.url });
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    let seen = 0;
    let closed: Promise<void> | undefined;
    await assert.rejects(async () => {
      for await (const r of qp.map(kernels.isPrime, items, { chunksize: 1 })) {
        assert.equal(typeof r, 'boolean');
        if (++seen === 10) closed = qp.shutdown({ cancelFutures: true });
      }
    }, (e: Error) => e instanceof CancelledError || e instanceof PoolShutdownError);
    await closed;
    const s = qp.stats();
    assert.equal(s.inFlight, 0);
    assert.equal(s.completed + s.cancelled + s.failed + s.timedOut, s.submitted, JSON.stringify({ ...s, queueWait: undefined, runTime: undefined }));
    assert.ok(s.submitted < items.length, 'the map stopped submitting');
  });

  it('a job deleted from Redis while its client waits: the Future fails with JobLostError, counted as failed and as lost', async () => {
    const queue = uniqueQueue('lost');
    const qp = new QueuePool({ queue, connection: redis.url });
    const { Queue } = loadBullMQ();
    const inspect = new Queue(queue, { connection: { url: redis.url } });
    try {
      // No worker: the job waits in Redis until it is removed under the client.
      const f = qp.submit('add', [1, 2]);
      for (const end = performance.now() + 10_000; (await inspect.getJobCounts('wait')).wait !== 1; await sleep(20)) {
        if (performance.now() > end) throw new Error('the job never reached Redis');
      }
      await inspect.obliterate({ force: true });
      const error = await f.exception({ timeout: 20_000 });
      assert.ok(error instanceof JobLostError, `got ${String(error)}`);
      const s = qp.stats();
      assert.equal(s.lost, 1);
      assert.equal(s.failed, 1);
      assert.equal(s.completed + s.cancelled + s.failed + s.timedOut, s.submitted);
    } finally {
      await inspect.close();
      await qp.shutdown();
    }
  });

  it('the client SIGKILLed with jobs in flight: the jobs still run once, their results expire from Redis after keepFinished', async () => {
    const queue = uniqueQueue('client-kill');
    const log = path.join(dir, 'runs.log');
    workers.push(await startWorker(redis.url, queue, ['--module', tasksModule, '--concurrency', '4']));
    const { Queue } = loadBullMQ();
    const inspect = new Queue(queue, { connection: { url: redis.url } });
    const IORedis = loadIORedis();
    const raw = new IORedis(redis.url);
    try {
      const script = `
        const { QueuePool } = require(${JSON.stringify(path.join(root, 'lib', 'index.ts'))});
        const qp = new QueuePool({ queue: ${JSON.stringify(queue)}, connection: ${JSON.stringify(redis.url)}, keepFinished: 15 });
        for (let i = 0; i < 20; i++) qp.submit('logged', [${JSON.stringify(log)}, 'job' + i, 300]);
        setInterval(() => {}, 1000); // alive until killed`;
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
      await until(() => readLog(log).length > 0, 'jobs running', 20_000);
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      // Nobody waits for them now; they run to the end, each once.
      await until(() => readLog(log).filter((l) => l.what === 'end').length === 20, 'all 20 jobs finished', 30_000);
      const ran = readLog(log).filter((l) => l.what === 'start').map((l) => l.tag);
      assert.equal(new Set(ran).size, 20);
      assert.equal(ran.length, 20, 'each ran once');
      // A task's 'end' line is written before its worker marks the job completed in Redis.
      let completed = 0;
      for (const end = performance.now() + 10_000; completed < 20 && performance.now() < end; await sleep(50)) {
        completed = (await inspect.getJobCounts('completed')).completed ?? 0;
      }
      assert.equal(completed, 20, 'their results are in Redis');
      // keepFinished (15 s: the 20 finish within it even on a loaded machine) later, BullMQ
      // drops them by age when the next job finishes.
      await sleep(15_500);
      const qp = new QueuePool({ queue, connection: redis.url, keepFinished: 15 });
      try {
        assert.equal(await qp.submit('add', [1, 2]), 3);
      } finally {
        await qp.shutdown();
      }
      assert.ok((await inspect.getJobCounts('completed')).completed <= 1, 'only the last job is kept');
      // The event stream is capped by BullMQ (maxLenEvents, 10000 by default): bounded.
      assert.ok((await raw.xlen(`bull:${queue}:events`)) <= 10_000);
      assert.deepEqual(await raw.keys(`bull:${queue}:corepool:*`), [], 'no cancel key was left');
    } finally {
      await inspect.close();
      raw.disconnect();
    }
  });
});
