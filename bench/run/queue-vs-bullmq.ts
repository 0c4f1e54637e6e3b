// `corepool bench:queue`: QueuePool on a loopback Redis, beside plain BullMQ in the same
// run and on the same Redis.
//   overhead  a noop job's round trip (p50/p99, one at a time), and tiny-task throughput:
//             map(isPrime, chunksize) vs one BullMQ job per item (queue.addBulk +
//             job.waitUntilFinished), the workers in processes of their own
//   scale     countPrimes over a fixed range in 24 jobs, 1 vs 2 worker processes of one
//             thread each: speedup
//   cancel    cancel() of a running spin kernel on a worker process -> CANCELLED here
// Each figure is the median over --rounds rounds; the load average is printed beside.
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

import { corepool, fromSource } from '../contenders/corepool';
import { fmtMs, fmtRate, median, percentile } from '../harness/stats';
import { startRedis, startWorker, stopWorkers, WorkerProcess } from '../harness/queue-processes';

const { QueuePool, kernels } = corepool;

export const QUEUE_USAGE = `usage: corepool bench:queue [--redis URL] [--rounds 3] [--quick]

  --redis   a Redis to use (default: a redis-server of its own on a free loopback port)
  --rounds  rounds per figure; the median is reported (default 3, --quick 1)
  --quick   small sizes: a smoke test`;

interface Sizes {
  roundTrips: number;
  mapItems: number;
  perItemJobs: number;
  cancels: number;
  primesHi: number;
}

const sizes = (quick: boolean): Sizes =>
  quick
    ? { roundTrips: 40, mapItems: 20_000, perItemJobs: 400, cancels: 10, primesHi: 4_000_000 }
    : { roundTrips: 300, mapItems: 200_000, perItemJobs: 3000, cancels: 40, primesHi: 24_000_000 };

let queueSeq = 0;
const queueName = (label: string): string => `bench-${label}-${process.pid}-${queueSeq++}`;

async function startBullmqWorker(redis: string, queue: string, concurrency: number): Promise<WorkerProcess> {
  const file = path.join(__dirname, '..', 'contenders', fromSource ? 'bullmq-worker.ts' : 'bullmq-worker.js');
  const proc = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), file, redis, queue, String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`bullmq worker exited ${code}`)));
  });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (c, s) => resolve(c ?? s ?? -1)));
  return { proc, pid: proc.pid!, output: () => out, exited, kill: (signal = 'SIGTERM') => proc.kill(signal) };
}

async function roundTrips(redis: string, n: number): Promise<{ corepool: number[]; bullmq: number[] }> {
  const queue = queueName('rt');
  const worker = await startWorker(redis, queue, ['--threads', '1', '--concurrency', '1']);
  const qp = new QueuePool({ queue, connection: redis });
  const ours: number[] = [];
  try {
    for (let i = 0; i < 10; i++) await qp.submit(kernels.noop, []); // warm-up
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await qp.submit(kernels.noop, []);
      ours.push(performance.now() - t0);
    }
  } finally {
    await qp.shutdown();
    await stopWorkers([worker]);
  }
  const { Queue, QueueEvents } = require('bullmq') as typeof import('bullmq');
  const plainQueue = queueName('rt-plain');
  const plain = await startBullmqWorker(redis, plainQueue, 1);
  const q = new Queue(plainQueue, { connection: { url: redis } });
  const events = new QueueEvents(plainQueue, { connection: { url: redis } });
  const theirs: number[] = [];
  try {
    await events.waitUntilReady();
    for (let i = 0; i < 10 + n; i++) {
      const t0 = performance.now();
      const job = await q.add('noop', {}, { removeOnComplete: { age: 3600 } });
      await job.waitUntilFinished(events);
      if (i >= 10) theirs.push(performance.now() - t0);
    }
  } finally {
    await events.close();
    await q.close();
    await stopWorkers([plain]);
  }
  return { corepool: ours, bullmq: theirs };
}

async function throughput(redis: string, s: Sizes): Promise<{ chunked: number; perItem: number; bullmq: number }> {
  const queue = queueName('tp');
  const worker = await startWorker(redis, queue, ['--threads', '1', '--concurrency', '8']);
  const qp = new QueuePool({ queue, connection: redis });
  let chunked = 0;
  let perItem = 0;
  try {
    const run = async (n: number, chunksize: number): Promise<number> => {
      const t0 = performance.now();
      let primes = 0;
      for await (const r of qp.map(kernels.isPrime, Array.from({ length: n }, (_, i) => i), { chunksize })) if (r) primes++;
      if (primes === 0) throw new Error('no primes: wrong results');
      return n / ((performance.now() - t0) / 1000);
    };
    await run(2000, 1000);
    chunked = await run(s.mapItems, 1000);
    perItem = await run(s.perItemJobs, 1);
  } finally {
    await qp.shutdown();
    await stopWorkers([worker]);
  }
  const { Queue, QueueEvents } = require('bullmq') as typeof import('bullmq');
  const plainQueue = queueName('tp-plain');
  const plain = await startBullmqWorker(redis, plainQueue, 8);
  const q = new Queue(plainQueue, { connection: { url: redis } });
  q.setMaxListeners(0); // waitUntilFinished adds one 'closing' listener per job in flight
  const events = new QueueEvents(plainQueue, { connection: { url: redis } });
  let bullmq = 0;
  try {
    await events.waitUntilReady();
    const t0 = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let base = 0; base < s.perItemJobs; base += 500) {
      const batch = Array.from({ length: Math.min(500, s.perItemJobs - base) }, (_, i) => ({ name: 'isPrime', data: { n: base + i }, opts: { removeOnComplete: { age: 3600 } } }));
      const jobs = await q.addBulk(batch);
      for (const job of jobs) pending.push(job.waitUntilFinished(events));
    }
    await Promise.all(pending);
    bullmq = s.perItemJobs / ((performance.now() - t0) / 1000);
  } finally {
    await events.close();
    await q.close();
    await stopWorkers([plain]);
  }
  return { chunked, perItem, bullmq };
}

async function scale(redis: string, hi: number): Promise<{ one: number; two: number; count: number }> {
  const ranges = Array.from({ length: 24 }, (_, i): [number, number] => [Math.floor((hi * i) / 24), Math.floor((hi * (i + 1)) / 24)]);
  const timeWith = async (processes: number): Promise<{ ms: number; count: number }> => {
    const queue = queueName(`scale${processes}`);
    const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(redis, queue, ['--threads', '1', '--concurrency', '1'])));
    const qp = new QueuePool({ queue, connection: redis });
    try {
      const t0 = performance.now();
      let count = 0;
      for await (const c of qp.map(kernels.countPrimes, ranges, { chunksize: 1 })) count += c as number;
      return { ms: performance.now() - t0, count };
    } finally {
      await qp.shutdown();
      await stopWorkers(workers);
    }
  };
  const one = await timeWith(1);
  const two = await timeWith(2);
  if (one.count !== two.count) throw new Error(`countPrimes disagrees: ${one.count} vs ${two.count}`);
  return { one: one.ms, two: two.ms, count: one.count };
}

async function cancels(redis: string, n: number): Promise<number[]> {
  const queue = queueName('cancel');
  const worker = await startWorker(redis, queue, ['--threads', '1', '--concurrency', '1']);
  const qp = new QueuePool({ queue, connection: redis });
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const f = qp.submit(kernels.spin, [10_000]);
      while (f.state !== 'RUNNING') await new Promise((r) => setTimeout(r, 1));
      const t0 = performance.now();
      f.cancel();
      const e = await f.exception();
      out.push(performance.now() - t0);
      if (!f.cancelled()) throw new Error(`not cancelled: ${String(e)}`);
    }
  } finally {
    await qp.shutdown();
    await stopWorkers([worker]);
  }
  return out;
}

export async function runQueueBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      redis: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(QUEUE_USAGE);
    return 0;
  }
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be an integer >= 1, got '${values.rounds}'`);
  const s = sizes(values.quick);
  const own = values.redis === undefined ? await startRedis() : undefined;
  const redis = values.redis ?? own!.url;
  const log = (line: string): void => console.log(line);
  log(`corepool bench:queue on ${redis}, ${rounds} round(s), ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  try {
    const rt = { cp50: [] as number[], cp99: [] as number[], b50: [] as number[], b99: [] as number[] };
    const tp = { chunked: [] as number[], perItem: [] as number[], bullmq: [] as number[] };
    const sc = { one: [] as number[], two: [] as number[], speedup: [] as number[] };
    const cn = { p50: [] as number[], p99: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const a = await roundTrips(redis, s.roundTrips);
      rt.cp50.push(percentile(a.corepool, 50));
      rt.cp99.push(percentile(a.corepool, 99));
      rt.b50.push(percentile(a.bullmq, 50));
      rt.b99.push(percentile(a.bullmq, 99));
      const t = await throughput(redis, s);
      tp.chunked.push(t.chunked);
      tp.perItem.push(t.perItem);
      tp.bullmq.push(t.bullmq);
      const c = await scale(redis, s.primesHi);
      sc.one.push(c.one);
      sc.two.push(c.two);
      sc.speedup.push(c.one / c.two);
      const x = await cancels(redis, s.cancels);
      cn.p50.push(percentile(x, 50));
      cn.p99.push(percentile(x, 99));
      log(`  round ${r + 1}: rt p50 ${fmtMs(rt.cp50.at(-1)!)} vs ${fmtMs(rt.b50.at(-1)!)} ms, map ${fmtRate(t.chunked)}/s, speedup ${(c.one / c.two).toFixed(2)}x, cancel p50 ${fmtMs(cn.p50.at(-1)!)} ms`);
    }
    const m = median;
    log('');
    log('| measure | QueuePool | plain BullMQ | ratio |');
    log('| --- | --- | --- | --- |');
    log(`| noop round trip p50 (ms) | ${fmtMs(m(rt.cp50))} | ${fmtMs(m(rt.b50))} | ${(m(rt.b50) / m(rt.cp50)).toFixed(2)}x |`);
    log(`| noop round trip p99 (ms) | ${fmtMs(m(rt.cp99))} | ${fmtMs(m(rt.b99))} | ${(m(rt.b99) / m(rt.cp99)).toFixed(2)}x |`);
    log(`| tiny tasks (isPrime), items/s: map chunksize 1000 vs one job each | ${fmtRate(m(tp.chunked))} | ${fmtRate(m(tp.bullmq))} | ${(m(tp.chunked) / m(tp.bullmq)).toFixed(1)}x |`);
    log(`| tiny tasks, one job per item (map chunksize 1), items/s | ${fmtRate(m(tp.perItem))} | ${fmtRate(m(tp.bullmq))} | ${(m(tp.perItem) / m(tp.bullmq)).toFixed(2)}x |`);
    log(`| countPrimes [0, ${s.primesHi}) in 24 jobs: 1 worker process (ms) | ${fmtMs(m(sc.one))} | | |`);
    log(`| the same, 2 worker processes (ms) | ${fmtMs(m(sc.two))} | | speedup ${m(sc.speedup).toFixed(2)}x |`);
    log(`| cancel() of a running spin -> CANCELLED, p50 / p99 (ms) | ${fmtMs(m(cn.p50))} / ${fmtMs(m(cn.p99))} | | goal p50 < 10 |`);
    log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await own?.stop();
  }
  return 0;
}
