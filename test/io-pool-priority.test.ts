// IoPool's priority order (higher first, FIFO within a priority) under many distinct
// priorities, with queued tasks cancelled in between, checked against a plain model:
// the queue is a heap of per-priority buckets, so the cases that matter are buckets
// emptied and made again, pushes between shifts, and dead (cancelled) entries skipped.
import assert from 'node:assert/strict';

import { IoPool, type Future, type TaskContext } from '../lib/index';

/** A small seeded PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Entry {
  id: number;
  priority: number;
  future: Future<void>;
}

/** The entry a priority queue must start next: highest priority, then earliest submitted. */
function next(model: Entry[]): Entry {
  let best = model[0]!;
  for (const e of model) if (e.priority > best.priority || (e.priority === best.priority && e.id < best.id)) best = e;
  return best;
}

describe('IoPool priorities', () => {
  it('many distinct and repeated priorities, some cancelled while queued, start in order', async () => {
    const rand = random(1);
    const io = new IoPool({ maxConcurrency: 1 });
    io.pause();
    const order: number[] = [];
    const model: Entry[] = [];
    const n = 5000;
    for (let id = 0; id < n; id++) {
      // Half from a few values (long FIFO runs), half nearly all distinct, fractions and negatives included.
      const priority = rand() < 0.5 ? Math.floor(rand() * 5) - 2 : Math.round((rand() - 0.5) * 1e6) / 8;
      model.push({ id, priority, future: io.submit(() => void order.push(id), [], { priority }) });
    }
    const cancelled = new Set<number>();
    for (const e of model) {
      if (rand() < 0.3) {
        assert.equal(e.future.cancel(), true);
        cancelled.add(e.id);
      }
    }
    assert.equal(io.stats().queued, n - cancelled.size);
    const expected = model
      .filter((e) => !cancelled.has(e.id))
      .sort((a, b) => b.priority - a.priority || a.id - b.id)
      .map((e) => e.id);
    io.resume();
    await Promise.all(model.filter((e) => !cancelled.has(e.id)).map((e) => e.future));
    assert.deepEqual(order, expected);
    for (const id of cancelled) assert.equal(model[id]!.future.state, 'CANCELLED');
    const s = io.stats();
    assert.deepEqual([s.completed, s.cancelled, s.queued, s.active], [n - cancelled.size, cancelled.size, 0, 0]);
    await io.shutdown();
  });

  it('pushes, cancels and starts interleaved: every start is the model queue head', async () => {
    const rand = random(7);
    const io = new IoPool({ maxConcurrency: 1 });
    io.pause();
    const started: number[] = [];
    // Each task pauses the pool again as it runs, so resume() starts exactly one.
    const task = (_ctx: TaskContext, id: number): void => {
      started.push(id);
      io.pause();
    };
    let model: Entry[] = [];
    let id = 0;
    for (let round = 0; round < 300; round++) {
      for (let k = Math.floor(rand() * 12); k > 0; k--) {
        // Few values, so buckets empty and are made again; sometimes -0, which is priority 0.
        const r = rand();
        const priority = r < 0.05 ? -0 : Math.floor(r * 9) - 4;
        model.push({ id, priority, future: io.submit(task, [id], { priority }) });
        id++;
      }
      for (const e of model) if (rand() < 0.1) e.future.cancel();
      model = model.filter((e) => e.future.state !== 'CANCELLED');
      for (let k = Math.floor(rand() * 10); k > 0 && model.length > 0; k--) {
        const expected = next(model);
        io.resume();
        assert.equal(started.at(-1), expected.id, `round ${round}: started ${started.at(-1)}, expected ${expected.id} (priority ${expected.priority})`);
        model = model.filter((e) => e !== expected);
      }
      assert.equal(io.stats().queued, model.length);
    }
    assert.ok(started.length > 500, `only ${started.length} starts checked`);
    io.resume();
    await io.shutdown({ cancelFutures: true });
  });

  it("children queued on a parent's slot start by priority too", async () => {
    const io = new IoPool({ maxConcurrency: 1 });
    const order: number[] = [];
    const n = 2000;
    const parent = io.submit(async (ctx: TaskContext) => {
      const child = (_c: TaskContext, p: number): void => void order.push(p);
      const fs: Future<void>[] = [];
      for (let i = 0; i < n; i++) fs.push(ctx.submit(child, [(i * 7919) % n], { priority: (i * 7919) % n }));
      await Promise.all(fs);
    }, []);
    await parent;
    // The parent runs inside the pool's start loop, so every child queues first; they then
    // run one at a time on the parent's slot, highest first.
    assert.deepEqual(order, Array.from({ length: n }, (_, i) => n - 1 - i));
    await io.shutdown();
  });
});
