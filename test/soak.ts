// npm run soak: 1M mixed tasks through the public API (NativePool submit and map, cancel
// storms, timeouts, IoPool with timeouts and cancels), bounded in time. Every 100k tasks
// it prints RSS and heap (after a GC), so that a leak shows as a column that grows.
// Exits 1 if a Future failed to settle as it should, or the time bound was hit.
//   npm run soak [-- --tasks 1000000 --max-seconds 600]
import { parseArgs } from 'node:util';

import { CancelledError, Future, IoPool, kernels, NativePool, TimeoutError, wait } from '../lib/index';

const { values } = parseArgs({
  options: { tasks: { type: 'string', default: '1000000' }, 'max-seconds': { type: 'string', default: '600' } },
});
const TOTAL = Number(values.tasks);
const MAX_MS = Number(values['max-seconds']) * 1000;
const REPORT_EVERY = 100_000;
const ROUND = 5_000; // tasks per round: 60% submit, 20% map items, 10% cancel storm, 5% timeouts, 5%+ IoPool

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number): string => (n / 2 ** 20).toFixed(1).padStart(7);

function fail(message: string): never {
  console.error(`soak FAILED: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const pool = new NativePool({ name: 'soak' });
  const io = new IoPool({ maxConcurrency: 64 });
  const start = performance.now();
  let done = 0;
  let nextReport = REPORT_EVERY;
  const outcome = { ok: 0, cancelled: 0, timedOut: 0 };
  console.log(`soak: ${TOTAL} tasks, at most ${MAX_MS / 1000} s; rss and heap in MiB (heap after gc)`);
  console.log('   tasks     rss    heap   elapsed s');
  while (done < TOTAL) {
    if (performance.now() - start > MAX_MS) fail(`time bound hit after ${done} tasks`);
    const futures: Future<unknown>[] = [];
    // Plain submits of tiny kernels.
    for (let i = 0; i < ROUND * 0.6; i++) futures.push(i & 1 ? pool.submit(kernels.noop, []) : pool.submit(kernels.isPrime, [i + 1]));
    // map with chunks.
    const mapped = (async () => {
      let n = 0;
      for await (const r of pool.map(kernels.isPrime, Array.from({ length: ROUND * 0.2 }, (_, i) => i), { chunksize: 100 })) {
        if (typeof r !== 'boolean') fail('map gave a non-boolean');
        n++;
      }
      if (n !== ROUND * 0.2) fail(`map gave ${n} results`);
    })();
    // A cancel storm: half cancelled at once, half by a shared signal.
    const ac = new AbortController();
    for (let i = 0; i < ROUND * 0.1; i++) {
      const f = pool.submit(kernels.spin, [1], { signal: ac.signal });
      if (i % 2 === 0) f.cancel();
      futures.push(f);
    }
    ac.abort(new Error('storm'));
    // Timeouts: deadlines that pass (0 ms) and ones that do not.
    for (let i = 0; i < ROUND * 0.05; i++) futures.push(pool.submit(kernels.noop, [], { timeout: i % 2 ? 0 : 60_000 }));
    // IoPool: async tasks, some timed out, some cancelled.
    for (let i = 0; i < ROUND * 0.05; i++) {
      const f = io.submit(async (ctx, n: number) => (n % 3 === 0 ? await new Promise((r) => setTimeout(r, 2, n)) : n), [i], {
        timeout: i % 7 === 0 ? 1 : undefined,
      });
      if (i % 11 === 0) f.cancel();
      futures.push(f);
    }
    await mapped;
    const { notDone } = await wait(futures, { timeout: 60_000 });
    if (notDone.size > 0) fail(`${notDone.size} futures unsettled after 60 s`);
    for (const f of futures) {
      const e = await f.exception();
      if (e === undefined) outcome.ok++;
      else if (e instanceof CancelledError) outcome.cancelled++;
      else if (e instanceof TimeoutError) outcome.timedOut++;
      else fail(`unexpected error: ${e.name}: ${e.message}`);
    }
    done += ROUND;
    if (done >= nextReport) {
      nextReport += REPORT_EVERY;
      gc?.();
      const m = process.memoryUsage();
      console.log(`${String(done).padStart(8)} ${mb(m.rss)} ${mb(m.heapUsed)} ${((performance.now() - start) / 1000).toFixed(1).padStart(11)}`);
    }
  }
  await pool.shutdown();
  await io.shutdown();
  const s = pool.stats();
  console.log(`settled: ${outcome.ok} ok, ${outcome.cancelled} cancelled, ${outcome.timedOut} timed out (map items not counted: ${TOTAL * 0.2})`);
  console.log(`NativePool stats: completed ${s.completed}, cancelled ${s.cancelled}, timedOut ${s.timedOut}, failed ${s.failed}; IoPool: ${JSON.stringify({ ...io.stats(), queueWait: undefined, runTime: undefined })}`);
}

main().catch((error: unknown) => fail(String((error as Error)?.stack ?? error)));
