// Hostile tests (session 3): map/mapChunks on NativePool against hostile inputs.
import { strict as assert } from 'node:assert';

import { kernels, NativePool } from '../lib/index';

const sumRange = (n: number): number => (n * (n - 1)) / 2 + 0; // + 0: 0, not -0, for n = 0

/** An iterator of 0..n-1 whose next() throws at `throwAt` and that counts return() calls;
 * its return() throws when `returnThrows`. */
function brokenSource(n: number, throwAt: number, returnThrows: boolean): Iterable<number> & { returns: number } {
  const source = {
    returns: 0,
    [Symbol.iterator]() {
      let i = 0;
      return {
        next(): IteratorResult<number> {
          if (i === throwAt) throw new Error(`next() threw at ${i}`);
          return i < n ? { value: i++, done: false } : { value: undefined, done: true };
        },
        return(): IteratorResult<number> {
          source.returns++;
          if (returnThrows) throw new Error('return() threw');
          return { value: undefined, done: true };
        },
      };
    },
  };
  return source;
}

describe('hostile s3: map over hostile sources (NativePool)', function () {
  this.timeout(20_000);
  let pool: NativePool;
  beforeEach(() => {
    pool = new NativePool({ maxWorkers: 2, name: 'hostile-map' });
  });
  afterEach(() => pool.shutdown({ cancelFutures: true, cancelRunning: true }));

  // 64748d1 grows map's default chunks 1, 2, 4, ... on NativePool, also over a source of
  // unknown length; itemSource's take (lib/core/map.ts) waits until it has `room` items. A
  // live source that pauses (a socket, a queue consumer) then holds items it has already
  // handed over: after 0 (chunk of 1) and 1, 2 (chunk of 2), items 3 and 4 wait in a take of
  // 4 for items that do not come yet, and their results are withheld until the source
  // yields again, maybe never. With chunksize: 1 all five results come at once (review #3:
  // "a stalled source no longer holds results").
  it('map over an async source that pauses after 5 items: all 5 results come while it waits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* live(): AsyncGenerator<number> {
      for (let i = 0; i < 5; i++) yield i;
      await gate;
      yield 5;
    }
    const seen: number[] = [];
    const run = (async () => {
      for await (const v of pool.map(kernels.sumRange, live())) seen.push(v);
    })();
    const end = performance.now() + 2000;
    while (seen.length < 5 && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
    const before = seen.slice();
    release();
    await run;
    assert.deepEqual(before, [0, 1, 2, 3, 4].map(sumRange), 'results of the items read before the pause, 2 s after it began');
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5].map(sumRange));
  });

  // for-of (and Python's map) do not call return() on an iterator whose next() threw: it is
  // done, and its error is what the loop throws. map calls source.close() in its finally
  // (lib/core/map.ts mapInOrder: `else if (!exhausted) await source.close()`), so a
  // return() that throws (or that does anything) replaces the input's own error.
  for (const at of [0, 1, 5, 50]) {
    it(`an input whose next() throws at item ${at}: that error, and no return() call`, async () => {
      for (const returnThrows of [false, true]) {
        const source = brokenSource(100, at, returnThrows);
        const seen: number[] = [];
        await assert.rejects(
          (async () => {
            for await (const v of pool.map(kernels.sumRange, source)) seen.push(v);
          })(),
          (error: Error) => {
            assert.equal(error.message, `next() threw at ${at}`, `returnThrows ${returnThrows}: the input's own error`);
            return true;
          },
        );
        assert.equal(source.returns, 0, `returnThrows ${returnThrows}: return() was called on an iterator whose next() threw`);
        assert.ok(seen.every((v, i) => v === sumRange(i)));
      }
    });
  }

  // README (mapChunks, typed arrays in): "a bad number fails with that path's error plus its
  // index: `isPrime: ... got -5 (items[250])`, after the results of the chunks before." With
  // the default buffersize the bad chunk is read in the first fill, before anything is
  // yielded, so the results of the two good chunks before it never come out.
  it('mapChunks over an Int32Array with a bad item at 250 (chunksize 100): the read-ahead fails first; with buffersize 100, the two chunks before it come first', async () => {
    const items = Int32Array.from({ length: 1000 }, (_, i) => i);
    items[250] = -5;
    for (const [buffersize, before] of [[undefined, 0], [100, 2]] as const) {
      const chunks: boolean[][] = [];
      await assert.rejects(
        (async () => {
          for await (const chunk of pool.mapChunks(kernels.isPrime, items, { chunksize: 100, buffersize })) chunks.push(chunk);
        })(),
        /got -5 \(items\[250\]\)/,
      );
      assert.equal(chunks.length, before, `buffersize ${buffersize}: ${chunks.length} chunks came before the error`);
    }
  });
});
