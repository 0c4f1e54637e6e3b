// The addon is context-aware: it loads and runs kernels inside worker_threads, and when a
// worker's environment ends (on its own or terminated mid-task) its cleanup hook stops
// and joins the pool's threads, so none outlive the worker.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { kernels, NativePool } from '../lib/index';

const entry = path.resolve(__dirname, '../lib/index.ts');
// An eval'd worker is CommonJS; tsx's CommonJS hook, registered in the worker, lets it
// require the TypeScript sources (a '--import tsx' execArgv does not reach eval'd code).
const tsxCjs = require.resolve('tsx/cjs/api');

function startWorker(body: string): Worker {
  const code = `
    require(${JSON.stringify(tsxCjs)}).register();
    const { parentPort } = require('node:worker_threads');
    const { NativePool, kernels } = require(${JSON.stringify(entry)});
    ${body}`;
  return new Worker(code, { eval: true });
}

function threadNames(): string[] {
  const dir = '/proc/self/task';
  const names: string[] = [];
  for (const tid of fs.readdirSync(dir)) {
    try {
      names.push(fs.readFileSync(path.join(dir, tid, 'comm'), 'utf8').trim());
    } catch {
      // the thread ended between readdir and read
    }
  }
  return names;
}

function messages(worker: Worker): { next(): Promise<unknown>; exit: Promise<number> } {
  const queue: unknown[] = [];
  const waiters: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  worker.on('message', (m) => (waiters.length > 0 ? waiters.shift()!.resolve(m) : queue.push(m)));
  const exit = new Promise<number>((resolve, reject) => {
    worker.once('exit', (code) => {
      for (const w of waiters.splice(0)) w.reject(failure ?? new Error(`worker exited (${code}) before posting`));
      resolve(code);
    });
    worker.once('error', (e) => {
      failure = e;
      reject(e);
    });
  });
  exit.catch(() => undefined); // observed through next() or by the test awaiting it
  return {
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift())
        : new Promise((resolve, reject) => waiters.push({ resolve, reject })),
    exit,
  };
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('worker_threads', function () {
  this.timeout(30_000);

  it('loads the addon and runs kernels on a pool and with runSync inside a worker', async () => {
    const w = startWorker(`
      const pool = new NativePool({ maxWorkers: 2, name: 'wt-a' });
      Promise.all([
        pool.submit(kernels.countPrimes, [0, 10000]),
        pool.submit(kernels.sha256, [new Uint8Array(3)]),
        pool.submit(kernels.sumRange, [100]),
      ]).then(([c, h, s]) => {
        parentPort.postMessage({ c, h: Buffer.from(h).toString('hex'), s, sync: kernels.isPrime.runSync([7919]) });
        return pool.shutdown();
      });`);
    const m = messages(w);
    const got = (await m.next()) as { c: number; h: string; s: number; sync: boolean };
    assert.equal(got.c, 1229);
    assert.equal(got.h, '709e80c88487a2411e1ee4dfb9f22a861492d20c4765150c0c794abd70f8147c');
    assert.equal(got.s, 4950);
    assert.equal(got.sync, true);
    assert.equal(await m.exit, 0);
  });

  it('a worker with an idle pool it never shut down exits on its own, and its threads end', async () => {
    const w = startWorker(`
      const pool = new NativePool({ maxWorkers: 2, name: 'wt-idle' });
      pool.submit(kernels.spin, [10]).then((n) => parentPort.postMessage(n > 0));`);
    const m = messages(w);
    assert.equal(await m.next(), true);
    assert.equal(await m.exit, 0);
    assert.ok(await until(() => !threadNames().some((n) => n.startsWith('wt-idle')), 5000), `threads left: ${threadNames().join(',')}`);
  });

  it('terminate() during a running spin(60000) returns quickly and joins the pool threads', async () => {
    const w = startWorker(`
      const pool = new NativePool({ maxWorkers: 2, name: 'wt-term' });
      pool.submit(kernels.spin, [60000]);
      pool.submit(kernels.spin, [60000]);
      pool.submit(kernels.sleep, [60000]); // queued behind them
      const check = () => pool.stats().active === 2 ? parentPort.postMessage('running') : setTimeout(check, 5);
      check();`);
    const m = messages(w);
    assert.equal(await m.next(), 'running');
    assert.ok(threadNames().filter((n) => n.startsWith('wt-term')).length === 2, `threads: ${threadNames().join(',')}`);
    const t0 = performance.now();
    const code = await w.terminate();
    const elapsed = performance.now() - t0;
    assert.equal(code, 1);
    // The cleanup hook raised the cancel flags: the spins stop at their next checkpoint,
    // not after a minute.
    assert.ok(elapsed < 5000, `terminate took ${elapsed.toFixed(0)} ms`);
    assert.ok(await until(() => !threadNames().some((n) => n.startsWith('wt-term')), 5000), `threads left: ${threadNames().join(',')}`);
  });

  it('a worker that throws with work running still exits and joins', async () => {
    const w = startWorker(`
      const pool = new NativePool({ maxWorkers: 1, name: 'wt-throw' });
      pool.submit(kernels.spin, [60000]);
      setTimeout(() => { throw new Error('boom in worker'); }, 50);`);
    const m = messages(w);
    await assert.rejects(m.exit, /boom in worker/);
    assert.ok(await until(() => !threadNames().some((n) => n.startsWith('wt-throw')), 5000), `threads left: ${threadNames().join(',')}`);
  });

  it('pools in several workers and the main thread run side by side', async () => {
    const main = new NativePool({ maxWorkers: 1, name: 'wt-main' });
    try {
      const workers = Array.from({ length: 3 }, (_, i) =>
        startWorker(`
          const pool = new NativePool({ maxWorkers: 1, name: 'wt-m${i}' });
          pool.submit(kernels.countPrimes, [0, ${(i + 1) * 1000}]).then((c) => { parentPort.postMessage(c); return pool.shutdown(); });`),
      );
      const ms = workers.map(messages);
      const mainResult = main.submit(kernels.countPrimes, [0, 100]);
      const got = await Promise.all(ms.map((m) => m.next()));
      assert.deepEqual(got, [168, 303, 430]);
      assert.equal(await mainResult, 25);
      assert.deepEqual(await Promise.all(ms.map((m) => m.exit)), [0, 0, 0]);
    } finally {
      await main.shutdown();
    }
    // The main thread's kernels still work after the workers' environments were torn down.
    assert.equal(kernels.isPrime.runSync([97]), true);
  });
});
