// IoPool with others: nested submission without deadlock, IoPool tasks awaiting
// NativePool work (and cancelling it), TaskGroup fail-fast across both pools, and the
// crawl-and-hash example end to end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

import { CancelledError, IoPool, kernels, NativePool, TaskGroup, TimeoutError, type Future, type TaskContext } from '../lib/index';
import { sleep, until, untilAborted } from './helpers';


describe('IoPool nested submission', () => {
  it('parents holding every slot lend them to the children they wait for (no deadlock)', async () => {
    const io = new IoPool({ maxConcurrency: 2 });
    let childrenRunning = 0;
    let childPeak = 0;
    const child = async (_ctx: TaskContext, v: number): Promise<number> => {
      childrenRunning++;
      childPeak = Math.max(childPeak, childrenRunning);
      await sleep(2);
      childrenRunning--;
      return v;
    };
    const parent = async (ctx: TaskContext, p: number): Promise<number[]> => {
      await sleep(1); // both parents now hold both slots
      const kids = [1, 2, 3].map((k) => ctx.submit(child, [p * 10 + k]));
      return Promise.all(kids);
    };
    const results = await Promise.all([io.submit(parent, [1]), io.submit(parent, [2])]);
    assert.deepEqual(results, [
      [11, 12, 13],
      [21, 22, 23],
    ]);
    assert.ok(childPeak <= 2, `one child per waiting parent at a time, peak ${childPeak}`);
    assert.equal(io.stats().active, 0);
    assert.equal(io.stats().queued, 0);
  });

  it('works three levels deep with one slot', async () => {
    const io = new IoPool({ maxConcurrency: 1 });
    const leaf = async (_ctx: TaskContext, v: number): Promise<number> => v;
    const mid = async (ctx: TaskContext, v: number): Promise<number> => {
      const xs = await Promise.all([ctx.submit(leaf, [v]), ctx.submit(leaf, [v + 1])]);
      return xs[0]! + xs[1]!;
    };
    const top = async (ctx: TaskContext): Promise<number> => {
      const xs = await Promise.all([ctx.submit(mid, [1]), ctx.submit(mid, [10])]);
      return xs[0]! + xs[1]!;
    };
    assert.equal(await io.submit(top, [], { timeout: 5000 }), 1 + 2 + 10 + 11);
  });

  it('cancelling a parent cancels its queued and running children', async () => {
    const io = new IoPool({ maxConcurrency: 1 });
    const kids: Future<never>[] = [];
    const parent = io.submit(async (ctx: TaskContext) => {
      for (let i = 0; i < 3; i++) kids.push(ctx.submit((c: TaskContext) => untilAborted(c.signal), []));
      return Promise.all(kids);
    }, []);
    await until(() => kids.length === 3 && kids[0]!.running(), 'the first child to borrow the slot');
    assert.equal(kids[1]!.state, 'PENDING');
    parent.cancel();
    assert.deepEqual(kids.map((k) => k.state), ['CANCELLED', 'CANCELLED', 'CANCELLED']);
    await io.onIdle();
  });
});

describe('IoPool with NativePool', () => {
  let native: NativePool;
  before(() => {
    native = new NativePool({ maxWorkers: 2, name: 'mixed' });
  });
  after(() => native.shutdown({ cancelRunning: true, cancelFutures: true }));

  it('an IoPool task awaits NativePool futures', async () => {
    const io = new IoPool();
    const f = io.submit(async (ctx: TaskContext, hi: number) => {
      await sleep(1);
      return native.submit(kernels.countPrimes, [0, hi], { signal: ctx.signal });
    }, [100]);
    assert.equal(await f, 25);
  });

  it('cancelling the IoPool task cancels the native work it started with ctx.signal', async () => {
    const io = new IoPool();
    let nf: Future<number> | undefined;
    const f = io.submit(async (ctx: TaskContext) => {
      nf = native.submit(kernels.spin, [10_000], { signal: ctx.signal });
      return nf;
    }, []);
    await until(() => nf?.running() === true, 'the native spin to start');
    const t0 = performance.now();
    assert.equal(f.cancel(), true);
    await assert.rejects(nf!.result(), CancelledError);
    assert.ok(performance.now() - t0 < 3000, 'the native kernel stopped long before its 10 s');
    assert.equal(f.state, 'CANCELLED');
    assert.equal(nf!.state, 'CANCELLED');
  });

  it('TaskGroup: an IoPool failure cancels siblings in both pools', async () => {
    const io = new IoPool();
    const group = new TaskGroup();
    const ioSibling = group.submit(io, (ctx: TaskContext) => untilAborted(ctx.signal), []);
    const nativeSibling = group.submit(native, kernels.spin, [10_000]);
    const failing = group.submit(io, async () => {
      await sleep(20);
      throw new Error('page 7 is gone');
    }, []);
    await assert.rejects(group.wait(), /page 7 is gone/);
    assert.equal(failing.state, 'FINISHED');
    assert.equal(ioSibling.state, 'CANCELLED');
    await nativeSibling.exception();
    assert.equal(nativeSibling.state, 'CANCELLED');
  });

  it('TaskGroup: a NativePool failure cancels the IoPool siblings too', async () => {
    const io = new IoPool({ maxConcurrency: 1 });
    const group = new TaskGroup();
    const running = group.submit(io, (ctx: TaskContext) => untilAborted(ctx.signal), []);
    const queued = group.submit(io, () => 'never', []);
    const failing = group.submit(native, kernels.spin, [10_000], { timeout: 30 });
    const error = await group.wait().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof TimeoutError, String(error));
    assert.equal((await failing.exception()) instanceof TimeoutError, true);
    assert.equal(running.state, 'CANCELLED');
    assert.equal(queued.state, 'CANCELLED');
    await io.onIdle();
    assert.equal(io.stats().runaway, 0);
  });
});

describe('examples/crawl-and-hash.ts', () => {
  it('crawls a local server through IoPool, hashes and counts on a NativePool, and exits on its own', async function () {
    this.timeout(60_000);
    const root = path.join(__dirname, '..');
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', 'examples/crawl-and-hash.ts', '30'], { cwd: root, timeout: 50_000 }, (error, out, err) => {
        if (error) reject(new Error(`example failed: ${error.message}\n${err}`));
        else resolve({ stdout: out });
      });
    });
    assert.match(stdout, /^pages: 30 fetched, \d+ bytes/m);
    assert.match(stdout, /^retried: 6 pages \(6 retries\)/m, 'pages 0, 5, ..., 25 fail once with 503');
    assert.match(stdout, /^sha256 verified: 30\/30; digest of digests [0-9a-f]{64}$/m);
    // The prime counts, checked against a JS sieve over the same ranges.
    const { primeRange } = (await import('../examples/crawl-and-hash')) as typeof import('../examples/crawl-and-hash');
    const sieveMax = primeRange(29)[1];
    const composite = new Uint8Array(sieveMax);
    const below = new Uint32Array(sieveMax + 1);
    for (let n = 2; n < sieveMax; n++) {
      if (!composite[n]) for (let m = n * n; m < sieveMax; m += n) composite[m] = 1;
    }
    for (let n = 0; n < sieveMax; n++) below[n + 1] = below[n]! + (n >= 2 && !composite[n] ? 1 : 0);
    let expected = 0;
    for (let i = 0; i < 30; i++) expected += below[primeRange(i)[1]]!;
    assert.match(stdout, new RegExp(`^primes: ${expected} counted over 30 ranges$`, 'm'));
    assert.match(stdout, /^io pool: 30 completed, 0 failed/m);
  });
});
