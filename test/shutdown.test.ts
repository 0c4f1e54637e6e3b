// shutdown(): stop taking tasks, then (by option) let queued and running work finish,
// cancel what is queued (Python's cancel_futures) or also stop what runs (shutdownNow).
import { strict as assert } from 'node:assert';

import { Future, kernels, NativePool, PoolShutdownError } from '../lib/index';
import { until } from './helpers';

// Two running sleeps and three queued behind them on a 2-worker pool.
async function busyPool(ms = 150): Promise<{ pool: NativePool; running: Future<undefined>[]; queued: Future<undefined>[] }> {
  const pool = new NativePool({ maxWorkers: 2, name: 'shut' });
  const running = [pool.submit(kernels.sleep, [ms]), pool.submit(kernels.sleep, [ms])];
  const queued = [pool.submit(kernels.sleep, [ms]), pool.submit(kernels.sleep, [ms]), pool.submit(kernels.sleep, [ms])];
  await until(() => running.every((f) => f.running()));
  return { pool, running, queued };
}

describe('shutdown', () => {
  it('by default waits for running and queued tasks, which all finish', async () => {
    const { pool, running, queued } = await busyPool(100);
    const t0 = performance.now();
    await pool.shutdown();
    const elapsed = performance.now() - t0;
    for (const f of [...running, ...queued]) assert.equal(f.state, 'FINISHED');
    assert.ok(elapsed >= 150, `resolved after ${elapsed.toFixed(0)} ms, before the queued work`);
    assert.equal(pool.stats().completed, 5);
    assert.equal(pool.isShutdown, true);
  });

  it('wait: false resolves at once; the work still finishes', async () => {
    const { pool, running, queued } = await busyPool(100);
    const t0 = performance.now();
    await pool.shutdown({ wait: false });
    assert.ok(running.every((f) => !f.done()), `resolved after ${(performance.now() - t0).toFixed(0)} ms, with the running tasks done`);
    await Promise.all([...running, ...queued]);
    for (const f of [...running, ...queued]) assert.equal(f.state, 'FINISHED');
  });

  it('cancelFutures cancels the queued tasks and lets the running ones finish', async () => {
    const { pool, running, queued } = await busyPool(150);
    const closing = pool.shutdown({ cancelFutures: true });
    // Queued tasks are cancelled at once, not when a worker frees up.
    for (const f of queued) assert.equal(f.state, 'CANCELLED');
    await closing;
    for (const f of running) assert.equal(f.state, 'FINISHED');
    const s = pool.stats();
    assert.equal(s.cancelled, 3);
    assert.equal(s.completed, 2);
  });

  it('cancelRunning also stops the running tasks at their next checkpoint', async () => {
    const pool = new NativePool({ maxWorkers: 2, name: 'shut' });
    const running = [pool.submit(kernels.spin, [10_000]), pool.submit(kernels.spin, [10_000])];
    const queued = [pool.submit(kernels.spin, [10_000]), pool.submit(kernels.spin, [10_000])];
    await until(() => running.every((f) => f.running()));
    const t0 = performance.now();
    await pool.shutdown({ cancelFutures: true, cancelRunning: true });
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 2000, `shutdown took ${elapsed.toFixed(0)} ms`);
    for (const f of [...running, ...queued]) assert.equal(f.state, 'CANCELLED');
    assert.equal(pool.stats().cancelled, 4);
  });

  it('cancelRunning alone is shutdownNow: running and queued tasks all end CANCELLED', async () => {
    const pool = new NativePool({ maxWorkers: 1, name: 'shut' });
    const running = pool.submit(kernels.spin, [10_000]);
    const queued = pool.submit(kernels.spin, [10_000]);
    await until(() => running.running());
    await pool.shutdown({ cancelRunning: true });
    assert.equal(running.state, 'CANCELLED');
    assert.equal(queued.state, 'CANCELLED');
  });

  it('work submitted in the same tick as shutdown is still run', async () => {
    const pool = new NativePool({ maxWorkers: 1, name: 'shut' });
    const f = pool.submit(kernels.sumRange, [100]);
    await pool.shutdown();
    assert.equal(await f, 4950);
  });

  it('submit, map and submitWhenReady after shutdown throw PoolShutdownError', async () => {
    const pool = new NativePool({ maxWorkers: 1, name: 'shut' });
    await pool.shutdown();
    assert.throws(() => pool.submit(kernels.noop, []), (e: Error) => e instanceof PoolShutdownError && /shut/.test(e.message));
    await assert.rejects(pool.map(kernels.isPrime, [1]).next(), PoolShutdownError);
    assert.throws(() => pool.submitWhenReady(kernels.noop, []), PoolShutdownError); // like submit: at once
  });

  it('submit throws PoolShutdownError as soon as shutdown() is called, before it resolves', async () => {
    const { pool, running, queued } = await busyPool(50);
    const closing = pool.shutdown();
    assert.throws(() => pool.submit(kernels.noop, []), PoolShutdownError);
    await closing;
    await Promise.all([...running, ...queued]);
  });

  it('a second shutdown() is harmless and also waits', async () => {
    const { pool, running } = await busyPool(80);
    const a = pool.shutdown();
    const b = pool.shutdown();
    await Promise.all([a, b]);
    assert.ok(running.every((f) => f.done()));
    await pool.shutdown();
  });

  it('an idle pool shuts down at once; stats still readable afterwards', async () => {
    const pool = new NativePool({ maxWorkers: 2, name: 'shut' });
    await pool.submit(kernels.noop, []);
    await pool.shutdown();
    const s = pool.stats();
    assert.equal(s.completed, 1);
    assert.equal(s.queued + s.active, 0);
  });

  it('refuses bad options', () => {
    const pool = new NativePool({ maxWorkers: 1, name: 'shut' });
    assert.throws(() => pool.shutdown(5 as never), (e: Error) => e instanceof TypeError && /options/.test(e.message));
    return pool.shutdown();
  });

  it('await using shuts the pool down on scope exit, waiting for its work', async () => {
    let outside: NativePool | undefined;
    let f: Future<undefined> | undefined;
    {
      await using pool = new NativePool({ maxWorkers: 1, name: 'shut' });
      outside = pool;
      f = pool.submit(kernels.sleep, [60]);
    }
    assert.equal(outside.isShutdown, true);
    assert.equal(f.state, 'FINISHED');
    assert.throws(() => outside!.submit(kernels.noop, []), PoolShutdownError);
  });

  it('[Symbol.asyncDispose] is shutdown()', async () => {
    const pool = new NativePool({ maxWorkers: 1, name: 'shut' });
    const f = pool.submit(kernels.sleep, [30]);
    await pool[Symbol.asyncDispose]();
    assert.equal(f.state, 'FINISHED');
    assert.equal(pool.isShutdown, true);
  });

  it('shutdown with thousands of queued tasks and cancelFutures', async () => {
    const pool = new NativePool({ maxWorkers: 2, name: 'shut' });
    const fs = Array.from({ length: 5000 }, () => pool.submit(kernels.spin, [5]));
    await until(() => pool.stats().active === 2);
    await pool.shutdown({ cancelFutures: true });
    assert.ok(fs.every((f) => f.done()));
    const s = pool.stats();
    assert.equal(s.completed + s.cancelled, 5000);
    assert.ok(s.cancelled >= 4990);
  });
});
