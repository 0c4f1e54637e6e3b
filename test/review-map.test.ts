// Review findings (s3-review) on map, through the public API.
import assert from 'node:assert/strict';

import { kernels, NativePool } from '../lib/index';

describe('review: map', () => {
  let pool: NativePool;
  before(() => {
    pool = new NativePool({ maxWorkers: 2 });
  });
  after(async () => {
    await pool.shutdown({ cancelRunning: true });
  });

  // map's iterator is hand-written (core/map.ts flatten), but return() awaits the inner
  // async generator's return(), which an async generator queues behind the next() in
  // flight: a consumer that gives up while a next() is pending (Promise.race with its own
  // timer, Readable.from(it).destroy(), an abandoned for-await in another task) waits for
  // the running chunk to finish, and nothing is cancelled meanwhile.
  it('return() while a next() is pending cancels the outstanding tasks at once', async () => {
    const it = pool.map(kernels.spin, [2000, 2000, 2000]);
    const pending = it.next();
    pending.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100)); // the tasks are running
    const t0 = performance.now();
    await it.return!(undefined);
    const took = Math.round(performance.now() - t0);
    // Counted, not timed: with the tasks cancelled by return(), none ran to its end.
    assert.equal(pool.stats().completed, 0, `return() took ${took} ms and a spin(2000) ran to its end: it waited for the running chunk instead of cancelling it`);
  });
});

// map's fill loop (core/map.ts mapInOrder) awaits the async source's next() until the
// buffer (default >= 4096 items) is full or the source ends, before it waits on any result:
// an async source that produces slowly (events, a socket, a paginated API) gets no result
// at all until then, so an endless one never yields ("yields from the start" in
// executor.ts's MapOptions). And while it awaits the source, the map's signal and timeout
// are not looked at.
describe('review: map over a slow async source', () => {
  let pool: NativePool;
  before(() => {
    pool = new NativePool({ maxWorkers: 1 });
  });
  after(async () => {
    await pool.shutdown({ cancelRunning: true });
  });

  it('yields the first result before the source has ended', async () => {
    let produced = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        produced++;
        yield i + 2;
      }
    }
    let producedAtFirst = -1;
    for await (const _ of pool.map(kernels.isPrime, source())) {
      if (producedAtFirst < 0) producedAtFirst = produced;
    }
    assert.ok(producedAtFirst < 6, `the first result came only after the source had produced all ${producedAtFirst} items`);
  });

  it("aborting the map's signal ends the iteration while the source is stalled", async () => {
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    async function* source(): AsyncGenerator<number> {
      yield 2;
      await stalled;
      yield 3;
    }
    const ac = new AbortController();
    const iteration = (async () => {
      for await (const _ of pool.map(kernels.isPrime, source(), { signal: ac.signal })) {
        // nothing
      }
    })();
    setTimeout(() => ac.abort(), 50);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      iteration.then(
        () => 'ended normally',
        (e: Error) => e.name,
      ),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting on the source'), 1500))),
    ]);
    clearTimeout(timer);
    release();
    await iteration.catch(() => undefined);
    assert.equal(outcome, 'CancelledError');
  });
});

// IoPool.map runs a chunk's items one after another in one task (io/pool.ts runChunk) and
// never looks at ctx.signal between them: after a break (or an error, abort, timeout)
// cancels the chunk, it goes on calling the user's function for every item left in it.
// WorkerPool's chunks checkpoint between items.
describe('review: IoPool.map stops a cancelled chunk between items', () => {
  it('no item starts after the loop broke out', async () => {
    const { IoPool } = await import('../lib/index');
    const io = new IoPool({ maxConcurrency: 2 });
    try {
      let calls = 0;
      const task = async (_ctx: unknown, x: number): Promise<number> => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return x;
      };
      for await (const v of io.map(task, Array.from({ length: 40 }, (_, i) => i), { chunksize: 10 })) {
        if (v === 0) break;
      }
      const atBreak = calls;
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(calls, atBreak, `${calls - atBreak} items of cancelled chunks started after the break`);
    } finally {
      await io.shutdown();
    }
  });
});

// map's hand-written iterator (core/map.ts flatten) keeps one buffer and index for all
// callers: next() calls made before the previous one settled (Promise.all over next(), a
// prefetching consumer) each pull a batch from the inner generator, and a later batch (or
// its `done`) replaces what an earlier one left in the buffer. An async generator queues
// such calls; asCompleted handles them (lib-items.test.ts "concurrent next() calls each get
// their own Future"); map loses results silently.
describe('review: map with concurrent next() calls', () => {
  it('each next() gets the next result in order, none is lost', async () => {
    const pool = new NativePool({ maxWorkers: 2 });
    try {
      const items = Array.from({ length: 100 }, (_, i) => i);
      const it = pool.map(kernels.sumRange, items, { chunksize: 10 });
      const steps = await Promise.all(items.map(() => it.next()));
      const got = steps.map((s) => (s.done === true ? 'done' : s.value));
      assert.deepEqual(got, items.map((n) => (n * (n - 1)) / 2 + 0)); // + 0: sumRange(0) is 0, not -0
    } finally {
      await pool.shutdown();
    }
  });
});
