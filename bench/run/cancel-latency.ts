// npm run bench:cancel: how fast cancellation and deadlines take effect on a running
// native task. (a) cancel(): from the call until the Future is CANCELLED; (b) timeout:
// from the task's deadline until its Future rejects with TimeoutError. Both for a
// spin(10000) task, which checkpoints every 256 iterations, over ~30 runs. (c) The floor
// both stand on: an idle pool's round trip, submit(noop) -> result (one wake-up of a
// worker, its completion queue -> uv_async -> JS), measured in the same runs, interleaved.
import { CancelledError, kernels, NativePool, TimeoutError } from '../contenders/corepool';
import { loadAverage, machineLine } from '../harness/machine';
import { percentile } from '../harness/stats';

const RUNS = Number(process.env.RUNS ?? 30);
const TIMEOUT_MS = 50;

async function untilRunning(f: { running(): boolean; done(): boolean }): Promise<void> {
  while (!f.running() && !f.done()) await new Promise((r) => setImmediate(r));
}

/** How the cancels of running tasks settled: at once, inside cancel() (the task stopped
 * within the pool's short wait), or later, through the completion queue. */
const settled = { inCancel: 0, byCompletion: 0 };

async function cancelLatency(pool: NativePool): Promise<number> {
  const f = pool.submit(kernels.spin, [10_000]);
  await untilRunning(f);
  // Let it run a little, so the cancel hits a task deep in its loop.
  await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  f.cancel();
  if (f.state === 'CANCELLED') settled.inCancel++;
  else settled.byCompletion++;
  const e = await f.exception();
  const ms = performance.now() - t0;
  if (!(e instanceof CancelledError) || f.state !== 'CANCELLED') throw new Error(`expected CANCELLED, got ${f.state}`);
  return ms;
}

async function timeoutOverrun(pool: NativePool): Promise<number> {
  const t0 = performance.now();
  const f = pool.submit(kernels.spin, [10_000], { timeout: TIMEOUT_MS });
  const e = await f.exception();
  const ms = performance.now() - t0 - TIMEOUT_MS;
  if (!(e instanceof TimeoutError)) throw new Error(`expected TimeoutError, got ${String(e)}`);
  return ms;
}

async function idleRoundTrip(pool: NativePool): Promise<number> {
  await new Promise((r) => setTimeout(r, 5)); // idle as before a cancel: threads asleep
  const t0 = performance.now();
  await pool.submit(kernels.noop, []);
  return performance.now() - t0;
}

export const USAGE = `usage: corepool bench:cancel

  latency from cancel() of a running kernel to its CANCELLED Future, and from a submit
  timeout's deadline to the rejection (median, p90, max of RUNS=${RUNS} runs; env RUNS)`;

export async function run(argv: string[]): Promise<number> {
  if (argv.length > 0) throw new RangeError(`corepool bench:cancel takes no arguments, got '${argv.join(' ')}'\n${USAGE}`);
  const pool = new NativePool({ maxWorkers: 2, name: 'bench-cancel' });
  await pool.submit(kernels.noop, []); // threads up
  const cancels: number[] = [];
  const overruns: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    cancels.push(await cancelLatency(pool));
    overruns.push(await timeoutOverrun(pool));
    roundTrips.push(await idleRoundTrip(pool));
  }
  await pool.shutdown();
  const rows = [
    ['cancel() of running spin(10000) -> CANCELLED', cancels],
    [`timeout ${TIMEOUT_MS} ms of spin(10000): deadline -> rejection`, overruns],
    ['idle submit(noop) -> result (wakes a worker, then JS)', roundTrips],
  ] as const;
  const fmt = (ms: number): string => `${ms.toFixed(3)} ms`.padStart(11);
  console.log(`corepool cancel latency, ${RUNS} runs each, interleaved; ${machineLine()}`);
  console.log(`${'measure'.padEnd(52)} ${'median'.padStart(11)} ${'p90'.padStart(11)} ${'max'.padStart(11)}`);
  for (const [name, xs] of rows) {
    const sorted = [...xs].sort((a, b) => a - b);
    console.log(`${name.padEnd(52)} ${fmt(percentile(sorted, 50))} ${fmt(percentile(sorted, 90))} ${fmt(sorted[sorted.length - 1]!)}`);
  }
  console.log(`cancels of a running spin settled inside cancel(): ${settled.inCancel}, through the completion queue: ${settled.byCompletion}`);
  console.log(`load average at end: ${loadAverage()}`);
  return 0;
}
