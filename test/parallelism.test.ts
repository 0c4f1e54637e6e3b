// The pool really runs tasks at the same time on its own threads. These are bounds on a
// mechanism, not benchmarks: the machine has 2 cores and is shared, so margins are wide.
import { strict as assert } from 'node:assert';
import * as os from 'node:os';

import { kernels, NativePool } from '../lib/index';

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

describe('parallelism', () => {
  it('defaults maxWorkers to os.availableParallelism()', async () => {
    const pool = new NativePool();
    try {
      assert.equal(pool.maxWorkers, os.availableParallelism());
      assert.equal(pool.stats().workers, os.availableParallelism());
    } finally {
      await pool.shutdown();
    }
  });

  it('takes maxWorkers as given', async () => {
    const pool = new NativePool({ maxWorkers: 3 });
    try {
      assert.equal(pool.stats().workers, 3);
    } finally {
      await pool.shutdown();
    }
  });

  it('2 x spin(300) on 2 workers take well under 2x one task', async () => {
    const pool = new NativePool({ maxWorkers: 2, name: 'par' });
    try {
      await pool.submit(kernels.spin, [5]); // threads warm
      const [, one] = await timed(() => pool.submit(kernels.spin, [300]).result());
      const [, two] = await timed(() => Promise.all([pool.submit(kernels.spin, [300]), pool.submit(kernels.spin, [300])]));
      // Serial would be >= 600 ms; parallel is ~300 ms. 1.6x leaves room for a busy neighbour.
      assert.ok(two < 1.6 * one, `two tasks ${two.toFixed(0)} ms vs one ${one.toFixed(0)} ms`);
    } finally {
      await pool.shutdown();
    }
  });

  it('both tasks are RUNNING at the same time', async () => {
    const pool = new NativePool({ maxWorkers: 2, name: 'par2' });
    try {
      const a = pool.submit(kernels.sleep, [400]);
      const b = pool.submit(kernels.sleep, [400]);
      const deadline = performance.now() + 2000;
      let both = false;
      while (!both && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2));
        both = a.running() && b.running() && pool.stats().active === 2;
      }
      assert.ok(both, `states ${a.state}/${b.state}, active ${pool.stats().active}`);
      await Promise.all([a, b]);
    } finally {
      await pool.shutdown();
    }
  });

  it('1 worker runs tasks one after the other', async () => {
    const pool = new NativePool({ maxWorkers: 1, name: 'serial' });
    try {
      const a = pool.submit(kernels.sleep, [200]);
      const b = pool.submit(kernels.sleep, [200]);
      const [, elapsed] = await timed(() => Promise.all([a, b]));
      assert.ok(elapsed >= 395, `two sleep(200) on one worker took ${elapsed.toFixed(0)} ms`);
    } finally {
      await pool.shutdown();
    }
  });

  it('the event loop stays free while the pool computes', async () => {
    const pool = new NativePool({ maxWorkers: 2, name: 'free' });
    try {
      const work = Promise.all([pool.submit(kernels.spin, [300]), pool.submit(kernels.spin, [300])]);
      // Timers keep firing while both workers spin: the JS thread is not blocked.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      await work;
      clearInterval(timer);
      assert.ok(ticks >= 5, `only ${ticks} timer ticks during 300 ms of native work`);
    } finally {
      await pool.shutdown();
    }
  });
});
