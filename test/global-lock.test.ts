// Global-lock mode: the API, then the fidelity properties F1-F7 of the issue (CPython's
// GIL, checked against published figures), then a stress test for hangs and lost waiters.
// Timing bounds are generous on purpose: this machine has 2 shared, noisy cores. The
// assertions aim at the mechanism (counters, orders of magnitude), not at exact figures;
// bench/run/gil-fidelity.ts (npm run bench:gil) prints the precise tables.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';

import {
  CancelledError,
  Future,
  getCheckInterval,
  getSwitchInterval,
  globalLockStats,
  kernels,
  NativePool,
  setCheckInterval,
  setSwitchInterval,
  TimeoutError,
} from '../lib/index';
import type { LockStats } from '../lib/index';
import { sleep } from './helpers';

const COUNTER_KEYS = ['switches', 'dropRequests', 'forcedWaits', 'acquisitions', 'waitNsTotal', 'waitNsMax'] as const;

// Fixed work for F1/F6/F7: ~75 ms of trial division, checkpointing every few microseconds.
const PRIMES_SPAN = 3000;
const primes = (pool: NativePool): Future<number> => pool.submit(kernels.countPrimes, [1e12, 1e12 + PRIMES_SPAN]);

async function elapsed(run: () => PromiseLike<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function median(times: number, run: () => PromiseLike<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await run());
  values.sort((a, b) => a - b);
  return values[values.length >> 1]!;
}

function diff(after: LockStats, before: LockStats): LockStats {
  const out = { ...after };
  for (const key of COUNTER_KEYS) if (key !== 'waitNsMax') out[key] = after[key] - before[key];
  return out;
}

// Pools made in a test are shut down after it, even when it fails.
let pools: NativePool[] = [];
function pool(options: ConstructorParameters<typeof NativePool>[0]): NativePool {
  const p = new NativePool(options);
  pools.push(p);
  return p;
}

describe('global lock', () => {
  afterEach(async () => {
    setSwitchInterval(5);
    setCheckInterval(100);
    const open = pools;
    pools = [];
    await Promise.all(open.map((p) => p.shutdown({ cancelFutures: true, cancelRunning: true })));
  });

  /** Starts `n` spinning tasks and waits until they run (and one of them holds the lock). */
  async function startSpinners(p: NativePool, n: number, ms = 30_000): Promise<Future<number>[]> {
    const spins = Array.from({ length: n }, () => p.submit(kernels.spin, [ms]));
    while (p.stats().active < n) await sleep(2);
    await sleep(20);
    return spins;
  }

  /** Whether two CPU-bound tasks without the lock run ~1.6x faster than one after the other now. */
  async function twoCoresFree(): Promise<boolean> {
    const one = new NativePool({ maxWorkers: 1, name: 'probe-1' });
    const two = new NativePool({ maxWorkers: 2, name: 'probe-2' });
    try {
      const seq = await median(3, () => elapsed(() => Promise.all([primes(one), primes(one)])));
      const par = await median(3, () => elapsed(() => Promise.all([primes(two), primes(two)])));
      return seq / par >= 1.6;
    } finally {
      await Promise.all([one.shutdown(), two.shutdown()]);
    }
  }

  async function stopSpinners(spins: Future<number>[]): Promise<void> {
    for (const s of spins) s.cancel();
    await Promise.allSettled(spins);
  }

  describe('global lock: API', () => {
    it('rejects bad globalLock options with a TypeError naming the option', () => {
      assert.throws(() => new NativePool({ globalLock: 'yes' as unknown as boolean }), { name: 'TypeError', message: /globalLock/ });
      assert.throws(() => new NativePool({ globalLock: null as unknown as boolean }), { name: 'TypeError', message: /globalLock/ });
      assert.throws(() => new NativePool({ globalLock: 1 as unknown as boolean }), { name: 'TypeError', message: /globalLock/ });
      assert.throws(() => new NativePool({ globalLock: { mode: 'old' as 'legacy' } }), { name: 'TypeError', message: /globalLock\.mode/ });
    });

    it('accepts true, false, {}, { mode } and reports the mode', () => {
      assert.equal(pool({ maxWorkers: 1, globalLock: true }).globalLock, 'modern');
      assert.equal(pool({ maxWorkers: 1, globalLock: {} }).globalLock, 'modern');
      assert.equal(pool({ maxWorkers: 1, globalLock: { mode: 'modern' } }).globalLock, 'modern');
      assert.equal(pool({ maxWorkers: 1, globalLock: { mode: 'legacy' } }).globalLock, 'legacy');
      assert.equal(pool({ maxWorkers: 1, globalLock: false }).globalLock, false);
      assert.equal(pool({ maxWorkers: 1 }).globalLock, false);
    });

    it('defaults to a 5 ms switch interval and 100 ticks, like sys.getswitchinterval() and Python 2', () => {
      // In a fresh process: in this one the tests' afterEach sets both values.
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "const c = require('./lib/index'); console.log(c.getSwitchInterval(), c.getCheckInterval())"], {
        cwd: path.resolve(__dirname, '..'),
        encoding: 'utf8',
        timeout: 15_000,
      });
      assert.equal(r.stdout.trim(), '5 100', r.stderr);
    });

    it('setSwitchInterval validates its argument and round-trips', () => {
      assert.throws(() => setSwitchInterval('5' as unknown as number), { name: 'TypeError', message: /ms/ });
      assert.throws(() => setSwitchInterval(Number.NaN), { name: 'TypeError', message: /ms/ });
      assert.throws(() => setSwitchInterval(undefined as unknown as number), { name: 'TypeError', message: /ms/ });
      assert.throws(() => setSwitchInterval(0), { name: 'RangeError', message: /ms/ });
      assert.throws(() => setSwitchInterval(-1), { name: 'RangeError', message: /ms/ });
      assert.throws(() => setSwitchInterval(10_001), { name: 'RangeError', message: /ms/ });
      assert.throws(() => setSwitchInterval(Infinity), { name: 'RangeError', message: /ms/ });
      assert.equal(getSwitchInterval(), 5, 'a rejected value leaves the interval alone');
      setSwitchInterval(2.5);
      assert.equal(getSwitchInterval(), 2.5);
      setSwitchInterval(10_000);
      assert.equal(getSwitchInterval(), 10_000);
      setSwitchInterval(0.001); // 1 us: the resolution of the native interval
      assert.equal(getSwitchInterval(), 0.001);
    });

    it('setCheckInterval (legacy mode) validates its argument, round-trips and defaults to 100 ticks', () => {
      assert.throws(() => setCheckInterval('10' as unknown as number), { name: 'TypeError', message: /ticks/ });
      assert.throws(() => setCheckInterval(Number.NaN), { name: 'TypeError', message: /ticks/ });
      assert.throws(() => setCheckInterval(0), { name: 'RangeError', message: /ticks/ });
      assert.throws(() => setCheckInterval(2.5), { name: 'RangeError', message: /ticks/ });
      assert.throws(() => setCheckInterval(1e6 + 1), { name: 'RangeError', message: /ticks/ });
      assert.equal(getCheckInterval(), 100, 'a rejected value leaves the interval alone');
      setCheckInterval(1);
      assert.equal(getCheckInterval(), 1);
      setCheckInterval(1e6);
      assert.equal(getCheckInterval(), 1e6);
    });

    it('globalLockStats() has overall counters and one entry per live lock pool, by name', async () => {
      const a = pool({ maxWorkers: 1, globalLock: true, name: 'gl-api-a' });
      const b = pool({ maxWorkers: 1, globalLock: { mode: 'legacy' }, name: 'gl-api-b' });
      const free = pool({ maxWorkers: 1, name: 'gl-api-free' });
      const before = globalLockStats().overall;
      await Promise.all([a.submit(kernels.sumRange, [1e6]), b.submit(kernels.sumRange, [1e6]), free.submit(kernels.sumRange, [1e6])]);
      const stats = globalLockStats();
      for (const counters of [stats.overall, stats.pools['gl-api-a']!, stats.pools['gl-api-b']!]) {
        assert.deepEqual(Object.keys(counters).sort(), [...COUNTER_KEYS].sort());
        for (const key of COUNTER_KEYS) assert.ok(Number.isInteger(counters[key]) && counters[key] >= 0, `${key} = ${counters[key]}`);
      }
      assert.ok(!('gl-api-free' in stats.pools), 'a pool without the lock is not listed');
      assert.ok(stats.pools['gl-api-a']!.acquisitions >= 1);
      assert.ok(stats.pools['gl-api-b']!.acquisitions >= 1);
      assert.deepEqual(stats.pools['gl-api-a'], a.lockStats());
      // Overall counts every lock pool's threads, these two included.
      assert.ok(stats.overall.acquisitions - before.acquisitions >= 2);
      await a.shutdown();
      assert.ok(!('gl-api-a' in globalLockStats().pools), 'a shut-down pool leaves the listing');
      assert.ok('gl-api-b' in globalLockStats().pools);
    });

    it('globalLockStats() sums the counters of pools that share a name', async () => {
      const a = pool({ maxWorkers: 1, globalLock: true, name: 'gl-same' });
      const b = pool({ maxWorkers: 1, globalLock: { mode: 'legacy' }, name: 'gl-same' });
      await Promise.all([a.submit(kernels.sumRange, [1e6]), b.submit(kernels.sumRange, [1e6])]);
      const [sa, sb, both] = [a.lockStats(), b.lockStats(), globalLockStats().pools['gl-same']!];
      assert.equal(both.acquisitions, sa.acquisitions + sb.acquisitions);
      assert.equal(both.waitNsTotal, sa.waitNsTotal + sb.waitNsTotal);
      assert.equal(both.waitNsMax, Math.max(sa.waitNsMax, sb.waitNsMax));
      assert.ok(sa.acquisitions >= 1 && sb.acquisitions >= 1);
    });

    it('pools without the lock never touch it, even while a lock pool is busy', async () => {
      const locked = pool({ maxWorkers: 2, globalLock: true, name: 'gl-busy' });
      const free = pool({ maxWorkers: 2, name: 'gl-free' });
      const spins = await startSpinners(locked, 2, 300);
      const before = globalLockStats().overall;
      const lockedBefore = locked.lockStats();
      const results = await Promise.all([
        ...Array.from({ length: 50 }, (_, i) => free.submit(kernels.isPrime, [1e9 + i])),
        free.submit(kernels.ioLoop, [20, 0]),
        free.submit(kernels.sleep, [2]),
      ]);
      assert.equal(results.length, 52);
      const zero = { switches: 0, dropRequests: 0, forcedWaits: 0, acquisitions: 0, waitNsTotal: 0, waitNsMax: 0 };
      assert.deepEqual(free.lockStats(), zero);
      assert.deepEqual(pool({ maxWorkers: 1 }).lockStats(), zero);
      await Promise.all(spins);
      // Only the locked pool's threads moved the overall counters.
      const moved = diff(globalLockStats().overall, before);
      assert.ok(moved.acquisitions >= 2, `the spinners took the lock (${moved.acquisitions})`);
      assert.equal(moved.acquisitions, diff(locked.lockStats(), lockedBefore).acquisitions);
    });
  });

  describe('global lock: fidelity with CPython (F1-F7)', function () {
    this.timeout(30_000);

    it('F1: two CPU-bound tasks under the lock take as long as running them one after the other', async () => {
      // Beazley, PyCon 2010: 24.0 s threaded vs 23.5 s sequential (ratio 1.02) under the new GIL.
      const seqPool = pool({ maxWorkers: 1, globalLock: true, name: 'f1-seq' });
      const parPool = pool({ maxWorkers: 2, globalLock: true, name: 'f1-par' });
      const seq = await median(3, () => elapsed(() => Promise.all([primes(seqPool), primes(seqPool)])));
      const before = parPool.lockStats();
      const par = await median(3, () => elapsed(() => Promise.all([primes(parPool), primes(parPool)])));
      const ratio = par / seq;
      assert.ok(ratio > 0.85 && ratio < 1.4, `lock 2 workers / sequential = ${ratio.toFixed(2)} (${par.toFixed(0)} / ${seq.toFixed(0)} ms)`);
      // Serialized by hand-offs on request, ~one per interval, not by luck.
      const moved = diff(parPool.lockStats(), before);
      assert.ok(moved.dropRequests >= 3 && moved.forcedWaits >= 3, JSON.stringify(moved));
      assert.ok(moved.switches <= (3 * 2 * par) / 5 + 20, `switches ${moved.switches} far above one per interval`);
    });

    it('F1: without the lock the same two tasks take about half as long', async function () {
      // The skip depends on the machine (fewer than 2 CPUs, or already more runnable threads
      // than CPUs before the test starts), never on the figure under test. Load that arrives
      // meanwhile only slows a round down, so the best of several interleaved rounds is the
      // estimate: a pool that serialized its tasks (ratio ~1) fails on any machine it runs on.
      const cpus = availableParallelism();
      if (cpus < 2 || loadavg()[0]! > cpus) this.skip();
      const seqPool = pool({ maxWorkers: 1, name: 'f1-free-seq' });
      const parPool = pool({ maxWorkers: 2, name: 'f1-free-par' });
      let seq = Infinity;
      let par = Infinity;
      for (let round = 0; round < 7; round++) {
        seq = Math.min(seq, await elapsed(() => Promise.all([primes(seqPool), primes(seqPool)])));
        par = Math.min(par, await elapsed(() => Promise.all([primes(parPool), primes(parPool)])));
      }
      const ratio = par / seq;
      assert.ok(ratio < 0.8, `no-lock 2 workers / sequential = ${ratio.toFixed(2)} (${par.toFixed(0)} / ${seq.toFixed(0)} ms), expected ~0.5`);
      assert.equal(parPool.lockStats().acquisitions, 0, 'a pool without the lock never takes it');
    });

    it('F2: two CPU-bound tasks for 1 s at 5 ms hand the lock over ~200 times, strictly alternating', async () => {
      const p = pool({ maxWorkers: 2, globalLock: true, name: 'f2' });
      await Promise.all([p.submit(kernels.spin, [1000]), p.submit(kernels.spin, [1000])]);
      const s = p.lockStats();
      // ~200 on a quiet machine (bench:gil prints it); a holder preempted by another process
      // reaches no checkpoint meanwhile and makes fewer: the order of magnitude is the check.
      assert.ok(s.switches >= 40 && s.switches <= 300, `switches ${s.switches} (expected ~200)`);
      // Every take is by the other thread (forced switching): takes == switches, and each
      // hand-off was a drop request answered by a forced wait.
      assert.ok(s.acquisitions - s.switches <= 2, `acquisitions ${s.acquisitions} vs switches ${s.switches}`);
      assert.ok(Math.abs(s.dropRequests - s.switches) <= 3, `drop requests ${s.dropRequests} vs switches ${s.switches}`);
      assert.ok(s.forcedWaits >= s.dropRequests - 3 && s.forcedWaits <= s.dropRequests, `forced waits ${s.forcedWaits}`);
      // Each take waited about one interval (the waiter's timeout), never much more.
      assert.ok(s.waitNsMax < 100e6, `longest wait ${(s.waitNsMax / 1e6).toFixed(1)} ms`);
    });

    it('F3: convoy effect: an IO loop beside a CPU-bound task slows down by orders of magnitude', async () => {
      // bpo-7946: each time the IO thread gives the lock away it waits an interval to get it back.
      const io = pool({ maxWorkers: 1, globalLock: true, name: 'f3-io' });
      const cpu = pool({ maxWorkers: 1, globalLock: true, name: 'f3-cpu' });

      // Zero-length blocking calls: the IO thread drops and re-takes the lock 200 times. The
      // CPU thread, woken at each drop, takes it only when it wins the race to it (the OS's
      // choice, as in CPython); each race it wins costs the IO thread one interval. How many
      // it wins depends on the scheduler, so the bounds are on the mechanism: at least the
      // first take costs an interval, and the time is one interval per request made.
      const alone = await median(3, () => elapsed(() => io.submit(kernels.ioLoop, [200, 0])));
      const spins = await startSpinners(cpu, 1);
      const before = io.lockStats();
      const beside = await elapsed(() => io.submit(kernels.ioLoop, [200, 0]));
      const moved = diff(io.lockStats(), before);
      await stopSpinners(spins);
      assert.ok(beside >= 4 && beside >= 5 * alone, `ioLoop(200, 0) beside spin ${beside.toFixed(1)} ms vs alone ${alone.toFixed(2)} ms`);
      assert.ok(moved.dropRequests >= 1, JSON.stringify(moved));
      const perRequest = beside / moved.dropRequests;
      assert.ok(perRequest > 2.5 && perRequest < 20, `${perRequest.toFixed(2)} ms per drop request at a 5 ms interval`);

      // Blocking calls that really wait (an echo server's recv until the client sends again):
      // the CPU thread takes the lock during every one, so every round costs an interval,
      // about K x interval in all, orders of magnitude above the loop alone.
      const k = 40;
      const blocking = await median(3, () => elapsed(() => io.submit(kernels.ioLoop, [k, 100])));
      const spins2 = await startSpinners(cpu, 1);
      const before2 = io.lockStats();
      const convoy = await elapsed(() => io.submit(kernels.ioLoop, [k, 100]));
      const moved2 = diff(io.lockStats(), before2);
      await stopSpinners(spins2);
      assert.ok(convoy >= 10 * blocking, `ioLoop(${k}, 100) beside spin ${convoy.toFixed(0)} ms vs alone ${blocking.toFixed(1)} ms: less than 10x`);
      assert.ok(convoy > 0.6 * k * 5 && convoy < 2.5 * k * 5 + blocking, `ioLoop(${k}, 100) beside spin ${convoy.toFixed(0)} ms, expected ~${k * 5} ms`);
      assert.ok(moved2.dropRequests >= 0.8 * k, `the IO thread asked for the lock back ${moved2.dropRequests} times in ${k} rounds`);
    });

    it('F3: without the lock the IO loop does not slow down beside a CPU-bound task (skips on a loaded machine)', async function () {
      const io = pool({ maxWorkers: 1, name: 'f3-free-io' });
      const cpu = pool({ maxWorkers: 1, name: 'f3-free-cpu' });
      const alone = await median(3, () => elapsed(() => io.submit(kernels.ioLoop, [200, 0])));
      const spins = await startSpinners(cpu, 1);
      const beside = await median(3, () => elapsed(() => io.submit(kernels.ioLoop, [200, 0])));
      await stopSpinners(spins);
      // Alone it takes ~1 ms. With the other core busy elsewhere, each of the loop's 200
      // zero-length calls (sched_yield) hands the shared core to another process: that is
      // the OS, not a lock, and this test cannot tell them apart.
      if (beside >= 30 && (await twoCoresFree()) === false) this.skip();
      assert.ok(beside < 30 || beside < 5 * alone, `no-lock ioLoop(200, 0) beside spin took ${beside.toFixed(1)} ms (alone ${alone.toFixed(1)} ms)`);
    });

    it('F4: IO throughput beside a CPU-bound task scales with 1/interval (10, 5, 1 ms)', async () => {
      const io = pool({ maxWorkers: 1, globalLock: true, name: 'f4-io' });
      const cpu = pool({ maxWorkers: 1, globalLock: true, name: 'f4-cpu' });
      const k = 30;
      const throughput: Record<number, number> = {};
      const spins = await startSpinners(cpu, 1);
      // Two passes, best of each: a CPU thread preempted by another process while it holds
      // the lock only ever adds time.
      for (let pass = 0; pass < 2; pass++) {
        for (const interval of [10, 5, 1]) {
          setSwitchInterval(interval);
          const ms = await elapsed(() => io.submit(kernels.ioLoop, [k, 100]));
          throughput[interval] = Math.max(throughput[interval] ?? 0, k / ms);
        }
      }
      await stopSpinners(spins);
      const r10to5 = throughput[5]! / throughput[10]!;
      const r5to1 = throughput[1]! / throughput[5]!;
      // Proportional would be 2x and 5x (the 100 us blocking call itself caps the 1 ms case);
      // a loaded machine scatters single runs, so this checks direction and magnitude only.
      assert.ok(r10to5 > 1.2 && r10to5 < 8, `5 ms vs 10 ms: ${r10to5.toFixed(2)}x (expected ~2x)`);
      assert.ok(r5to1 > 1.5 && r5to1 < 12, `1 ms vs 5 ms: ${r5to1.toFixed(2)}x (expected ~4-5x)`);
    });

    it('F5: IO throughput falls as CPU-bound tasks are added (1 vs 2, pool of 3 workers)', async () => {
      const p = pool({ maxWorkers: 3, globalLock: true, name: 'f5' });
      const k = 30;
      const run = async (cpuTasks: number): Promise<number> => {
        const spins = await startSpinners(p, cpuTasks);
        const ms = await elapsed(() => p.submit(kernels.ioLoop, [k, 100]));
        await stopSpinners(spins);
        return ms;
      };
      const one = await median(3, () => run(1));
      const two = await median(3, () => run(2));
      assert.ok(two > 1.2 * one, `IO loop with 2 CPU tasks ${two.toFixed(0)} ms vs 1 CPU task ${one.toFixed(0)} ms`);
    });

    it('F6: one task alone costs at most a few percent more under the lock', async () => {
      const locked = pool({ maxWorkers: 1, globalLock: true, name: 'f6-lock' });
      const free = pool({ maxWorkers: 1, name: 'f6-free' });
      const one = (p: NativePool) => () => elapsed(() => p.submit(kernels.sumRange, [2 ** 27]));
      // Alternate and keep the best of each: noise from other processes only adds time.
      let bestLocked = Infinity;
      let bestFree = Infinity;
      const before = locked.lockStats();
      for (let i = 0; i < 5; i++) {
        bestFree = Math.min(bestFree, await one(free)());
        bestLocked = Math.min(bestLocked, await one(locked)());
      }
      const moved = diff(locked.lockStats(), before);
      // The mechanism: one uncontended take per task, nothing else. Checkpoints cost the same
      // relaxed load with or without the lock, so the rest of the run is identical code.
      assert.equal(moved.acquisitions, 5, 'one take per task');
      assert.equal(moved.dropRequests, 0, 'nobody asked for the lock');
      assert.equal(moved.forcedWaits, 0, 'no hand-off');
      assert.ok(moved.waitNsTotal < 5e6, `waited ${(moved.waitNsTotal / 1e6).toFixed(2)} ms in take`);
      // The percentage (<= 2%) is measured by bench:gil; a shared machine moves single runs by
      // 20% either way, so the unit test only bounds the order of magnitude.
      assert.ok(bestLocked <= bestFree * 1.5, `alone: lock ${bestLocked.toFixed(1)} ms vs no lock ${bestFree.toFixed(1)} ms`);
    });

    it('F7: legacy mode: two CPU-bound tasks on two cores are slower than sequential (skips on a loaded machine)', async function () {
      // Beazley 2009: 45.5 s threaded vs 24.6 s sequential (1.8x) with the pre-3.2 lock.
      const free1 = pool({ maxWorkers: 1, name: 'f7-free-1' });
      const free2 = pool({ maxWorkers: 2, name: 'f7-free-2' });
      const speedup =
        (await median(3, () => elapsed(() => Promise.all([primes(free1), primes(free1)])))) /
        (await median(3, () => elapsed(() => Promise.all([primes(free2), primes(free2)]))));
      if (speedup < 1.6) this.skip(); // two cores are not really free now: the race cannot show
      const seqPool = pool({ maxWorkers: 1, globalLock: { mode: 'legacy' }, name: 'f7-seq' });
      const parPool = pool({ maxWorkers: 2, globalLock: { mode: 'legacy' }, name: 'f7-par' });
      const seq = await median(3, () => elapsed(() => Promise.all([primes(seqPool), primes(seqPool)])));
      const before = parPool.lockStats();
      const par = await median(3, () => elapsed(() => Promise.all([primes(parPool), primes(parPool)])));
      const moved = diff(parPool.lockStats(), before);
      // The old lock's mechanism: a release every 100 ticks (thousands per run), no drop
      // requests, and a holder that usually wins the race to take it back.
      assert.equal(moved.dropRequests, 0);
      assert.ok(moved.acquisitions > 1000, `legacy takes ${moved.acquisitions}`);
      // (CI on node 24 once saw 11% switches on a busy box: the bound is a clear majority.)
      assert.ok(moved.switches < moved.acquisitions / 5, `switches ${moved.switches} of ${moved.acquisitions} takes`);
      // Every release while the other thread waits costs a futex wake and, now and then, a
      // hand-over to a thread on the other core: measured 1.4-1.6x here (bench:gil), the
      // bound leaves room for a shared machine.
      const ratio = par / seq;
      assert.ok(ratio > 1.1, `legacy 2 workers / sequential = ${ratio.toFixed(2)} (no-lock speedup ${speedup.toFixed(2)}x)`);
      // The loser waits in take for the winner's whole turn: waits add up to about the run.
      assert.ok(moved.waitNsTotal / 1e6 > 0.3 * par * 3, `waited ${(moved.waitNsTotal / 1e6).toFixed(0)} ms in 3 runs of ${par.toFixed(0)} ms`);
    });
  });

  describe('global lock: legacy check interval', function () {
    this.timeout(30_000);

    it('a legacy holder releases once per check interval: 10x the ticks, about a tenth of the takes', async () => {
      const p = pool({ maxWorkers: 2, globalLock: { mode: 'legacy' }, name: 'ci-legacy' });
      const takes = async (ticks: number): Promise<number> => {
        setCheckInterval(ticks);
        const before = p.lockStats();
        const ms = await elapsed(() => Promise.all([primes(p), primes(p)]));
        return diff(p.lockStats(), before).acquisitions / ms;
      };
      // Takes are counted in holding time, so compare rates, not counts: the machine's speed
      // moves the run's length, not the number of takes per millisecond.
      const at100 = await takes(100);
      const at1000 = await takes(1000);
      assert.ok(at1000 < at100 / 3, `takes per ms: ${at1000.toFixed(1)} at 1000 ticks vs ${at100.toFixed(1)} at 100`);
    });
  });

  describe('global lock: modern and legacy pools together', function () {
    this.timeout(30_000);

    // The modes meet under the modern rule: turns of one switch interval each way, so a
    // task beside a long CPU-bound task of the other mode takes about twice its time alone
    // (the switch interval is small next to it), not until the other task ends.
    for (const [holderMode, waiterMode] of [['modern', 'legacy'], ['legacy', 'modern']] as const) {
      it(`a ${waiterMode} task beside a ${holderMode} CPU-bound task gets turns`, async () => {
        const holderPool = pool({ maxWorkers: 1, globalLock: { mode: holderMode }, name: `mix-${holderMode}` });
        const waiterPool = pool({ maxWorkers: 1, globalLock: { mode: waiterMode }, name: `mix-${waiterMode}` });
        const alone = await median(3, () => elapsed(() => primes(waiterPool)));
        const spins = await startSpinners(holderPool, 1, 20_000);
        const beside = await elapsed(() => primes(waiterPool));
        await stopSpinners(spins);
        // Starved, it would wait for the 20 s spin; fair turns give ~2x.
        assert.ok(beside < alone * 6 + 200, `${waiterMode} task: ${beside.toFixed(0)} ms beside the ${holderMode} spin, ${alone.toFixed(0)} ms alone`);
        assert.ok(beside > alone * 1.3, `${waiterMode} task: ${beside.toFixed(0)} ms beside the ${holderMode} spin, ${alone.toFixed(0)} ms alone: not serialized?`);
      });
    }

    it('a modern task beside two legacy CPU-bound tasks (ticking between them) gets turns', async () => {
      const legacy = pool({ maxWorkers: 2, globalLock: { mode: 'legacy' }, name: 'mix-legacy-2' });
      const modern = pool({ maxWorkers: 1, globalLock: true, name: 'mix-modern-1' });
      const alone = await median(3, () => elapsed(() => primes(modern)));
      const spins = await startSpinners(legacy, 2, 20_000);
      const beside = await elapsed(() => primes(modern));
      await stopSpinners(spins);
      // Legacy ticks release every 1.25 us without a switch: the modern waiter must still
      // ask for a drop after one interval instead of waiting for a race it rarely wins.
      assert.ok(beside < alone * 8 + 300, `modern task: ${beside.toFixed(0)} ms beside two legacy spins, ${alone.toFixed(0)} ms alone`);
    });
  });

  describe('global lock: stress', function () {
    this.timeout(60_000);

    it('10k short tasks across a modern and a legacy pool, with cancels and timeouts, all settle', async () => {
      // Deterministic pseudo-random choices (mulberry32): a failure reproduces.
      let seed = 0x5eed;
      const random = (): number => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      setSwitchInterval(0.2); // many hand-offs: more interleavings of takes, drops and cancels
      const modern = pool({ maxWorkers: 2, globalLock: true, name: 'stress-modern' });
      const legacy = pool({ maxWorkers: 2, globalLock: { mode: 'legacy' }, name: 'stress-legacy' });
      const before = globalLockStats().overall;
      const futures: Future<unknown>[] = [];
      const submitted = new Map<NativePool, number>([[modern, 0], [legacy, 0]]);
      const TOTAL = 10_000;
      for (let i = 0; i < TOTAL; i++) {
        const p = random() < 0.5 ? modern : legacy;
        const r = random();
        const options = r < 0.1 ? { timeout: random() * 3 } : r < 0.2 ? { runTimeout: random() * 0.5 } : undefined;
        const k = random();
        const f: Future<unknown> =
          k < 0.3 ? p.submit(kernels.sumRange, [Math.floor(random() * 200_000)], options)
          : k < 0.5 ? p.submit(kernels.isPrime, [1e12 + 39], options)
          : k < 0.65 ? p.submit(kernels.ioLoop, [1 + Math.floor(random() * 5), random() < 0.5 ? 0 : 20], options)
          : k < 0.8 ? p.submit(kernels.spin, [random() * 0.3], options)
          : k < 0.9 ? p.submit(kernels.sleep, [random() * 0.2], options)
          : p.submit(kernels.noop, [], options);
        submitted.set(p, submitted.get(p)! + 1);
        futures.push(f);
        const c = random();
        if (c < 0.05) f.cancel(); // before it is even sent
        else if (c < 0.15) setTimeout(() => f.cancel(), random() * 20); // queued, waiting for the lock, or running
        if (i % 500 === 499) await sleep(1); // let some run while more arrive
      }
      const settled = await Promise.allSettled(futures);
      let fulfilled = 0;
      for (const [i, s] of settled.entries()) {
        assert.ok(futures[i]!.done(), `future ${i} is ${futures[i]!.state}`);
        if (s.status === 'fulfilled') fulfilled++;
        else assert.ok(s.reason instanceof CancelledError || s.reason instanceof TimeoutError, `future ${i}: ${String(s.reason)}`);
      }
      assert.ok(fulfilled > TOTAL / 2, `only ${fulfilled} of ${TOTAL} finished`);
      for (const p of [modern, legacy]) {
        const st = p.stats();
        assert.equal(st.completed + st.failed + st.cancelled + st.timedOut, submitted.get(p), `${p.name}: every task accounted for`);
        assert.equal(st.active, 0);
        assert.equal(st.queued, 0);
        const ls = p.lockStats();
        assert.ok(ls.acquisitions > 0);
        assert.ok(ls.switches <= ls.acquisitions, `${p.name}: switches ${ls.switches} > takes ${ls.acquisitions}`);
        assert.ok(ls.waitNsMax <= ls.waitNsTotal);
      }
      // Requests are counted in the asking thread's pool and forced waits in the holder's
      // (a legacy waiter asks a modern holder), so this invariant holds only overall: every
      // forced wait answers at least one request.
      const moved = diff(globalLockStats().overall, before);
      assert.ok(moved.acquisitions >= modern.lockStats().acquisitions + legacy.lockStats().acquisitions, 'overall counts both pools');
      assert.ok(moved.forcedWaits <= moved.dropRequests, `forced waits ${moved.forcedWaits} > drop requests ${moved.dropRequests}`);
      assert.ok(moved.switches <= moved.acquisitions);
      // Nobody is left holding the lock: fresh work in both modes finishes at once.
      setSwitchInterval(5);
      const t = await elapsed(() => Promise.all([modern.submit(kernels.sumRange, [1e6]), legacy.submit(kernels.sumRange, [1e6])]));
      assert.ok(t < 1000, `after the stress, two small tasks took ${t.toFixed(0)} ms`);
    });
  });
});
