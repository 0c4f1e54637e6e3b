// pool.stats(), utilization() and thread names: what an operator looks at.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { kernels, NativePool } from '../lib/index';
import { until } from './helpers';

function threadNames(): string[] {
  const names: string[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      names.push(fs.readFileSync(path.join('/proc/self/task', tid, 'comm'), 'utf8').trim());
    } catch {
      // the thread ended meanwhile
    }
  }
  return names;
}

describe('stats', () => {
  let pool: NativePool;
  afterEach(() => pool.shutdown({ cancelFutures: true, cancelRunning: true }));

  it('a new pool: zero counters, empty histograms, utilization 0', () => {
    pool = new NativePool({ maxWorkers: 3, name: 'st' });
    const s = pool.stats();
    assert.equal(s.name, 'st');
    assert.equal(s.workers, 3);
    assert.deepEqual([s.active, s.queued, s.completed, s.failed, s.cancelled, s.timedOut], [0, 0, 0, 0, 0, 0]);
    assert.equal(s.queueWait.count, 0);
    assert.equal(s.runTime.count, 0);
    assert.equal(pool.utilization(), 0);
  });

  it('counts completed, cancelled and timed-out tasks', async () => {
    pool = new NativePool({ maxWorkers: 1, name: 'st' });
    await Promise.all(Array.from({ length: 10 }, () => pool.submit(kernels.noop, [])));
    const c = pool.submit(kernels.spin, [10_000]);
    await until(() => c.running());
    c.cancel();
    await c.exception();
    await pool.submit(kernels.spin, [10_000], { timeout: 20 }).exception();
    const s = pool.stats();
    assert.equal(s.completed, 10);
    assert.equal(s.cancelled, 1);
    assert.equal(s.timedOut, 1);
    assert.equal(s.failed, 0);
  });

  it('active and queued reflect running and waiting tasks', async () => {
    pool = new NativePool({ maxWorkers: 2, name: 'st' });
    const fs = Array.from({ length: 5 }, () => pool.submit(kernels.sleep, [150]));
    assert.equal(pool.stats().queued, 5); // not sent yet: still counted
    await until(() => pool.stats().active === 2);
    assert.equal(pool.stats().queued, 3);
    await Promise.all(fs);
    await until(() => pool.stats().active === 0);
    assert.equal(pool.stats().queued, 0);
  });

  it('histograms of queue wait and run time, in nanoseconds', async () => {
    pool = new NativePool({ maxWorkers: 1, name: 'st' });
    await Promise.all([pool.submit(kernels.sleep, [50]), pool.submit(kernels.sleep, [50])]);
    const { runTime, queueWait } = pool.stats();
    assert.equal(runTime.count, 2);
    assert.equal(queueWait.count, 2);
    // ~50 ms each: between 45 ms and 5 s, in ns.
    assert.ok(runTime.min >= 45e6 && runTime.max < 5e9, `runTime ${runTime.min}..${runTime.max}`);
    // The second waited for the first: ~50 ms in the queue.
    assert.ok(queueWait.max >= 40e6 && queueWait.max < 5e9, `queueWait max ${queueWait.max}`);
  });

  it('a task that timed out in the queue adds no run time', async () => {
    pool = new NativePool({ maxWorkers: 1, name: 'st' });
    const blocker = pool.submit(kernels.sleep, [200]);
    const late = pool.submit(kernels.spin, [10], { timeout: 30 });
    await late.exception();
    await blocker;
    const { runTime } = pool.stats();
    // Only the blocker ran; a task that never started has no run time to record.
    assert.equal(runTime.count, 1);
    assert.ok(runTime.max >= 150e6, `the blocker's run time: ${runTime.max} ns`);
  });

  it('utilization stays in 0..1 and rises when the workers are busy', async () => {
    pool = new NativePool({ maxWorkers: 2, name: 'st' });
    await new Promise((r) => setTimeout(r, 20));
    const idle = pool.utilization();
    await Promise.all([pool.submit(kernels.spin, [200]), pool.submit(kernels.spin, [200])]);
    const busy = pool.utilization();
    assert.ok(idle >= 0 && idle <= 1);
    assert.ok(busy >= 0 && busy <= 1);
    assert.ok(busy > idle);
    assert.ok(busy > 0.5, `utilization ${busy.toFixed(2)} after both workers spun ~200 of ~220 ms`);
  });

  it('threads carry the pool name and their index', async () => {
    pool = new NativePool({ maxWorkers: 2, name: 'statnm' });
    await pool.submit(kernels.noop, []);
    const names = threadNames();
    assert.ok(names.includes('statnm-0'), `threads: ${names.join(', ')}`);
    assert.ok(names.includes('statnm-1'), `threads: ${names.join(', ')}`);
  });

  it('long names are cut to fit the 15-character limit, keeping the index', async () => {
    pool = new NativePool({ maxWorkers: 1, name: 'a-rather-long-pool-name' });
    await pool.submit(kernels.noop, []);
    // Linux keeps 15 characters of a thread name; whichever part is kept, the index stays.
    const full = 'a-rather-long-pool-name-0';
    const ours = threadNames().filter((n) => n.length === 15 && full.includes(n));
    assert.ok(ours.some((n) => n.endsWith('-0')), `threads: ${threadNames().join(', ')}`);
  });
});
