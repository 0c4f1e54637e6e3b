// Compiled (never run) by test/typing.test.ts: TaskGroup, map and loadKernels are typed as
// tightly as each pool's submit. Every `@ts-expect-error` line must stay an error.
import {
  Future,
  IoPool,
  type KernelArities,
  kernels,
  loadKernels,
  NativePool,
  QueuePool,
  TaskGroup,
  WorkerPool,
  type TaskContext,
  type WorkerTaskContext,
} from '../../lib/index';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

interface Tasks {
  add(ctx: WorkerTaskContext, a: number, b: number): number;
  fetchTitle(ctx: WorkerTaskContext, url: string): Promise<string>;
}

export async function taskGroup(native: NativePool, io: IoPool, workers: WorkerPool<Tasks>, queue: QueuePool<Tasks>): Promise<void> {
  const group = new TaskGroup();
  // Each submit gives what the pool's own submit gives.
  const count = group.submit(native, kernels.countPrimes, [0, 100]);
  assertType<Equal<typeof count, Future<number>>>();
  assertType<Equal<typeof count, ReturnType<typeof native.submit<typeof kernels.countPrimes>>>>();
  const length = group.submit(io, async (ctx, url: string) => (await fetch(url, { signal: ctx.signal })).status, ['http://127.0.0.1/']);
  assertType<Equal<typeof length, Future<number>>>();
  const sum = group.submit(workers, workers.task('add'), [1, 2]);
  assertType<Equal<typeof sum, Future<number>>>();
  const title = group.submit(workers, workers.task('fetchTitle'), ['http://127.0.0.1/']);
  assertType<Equal<typeof title, Future<string>>>();
  const shipped = group.submit(workers, (_ctx, n: number) => n * 2, [21]);
  assertType<Equal<typeof shipped, Future<number>>>();
  const remote = group.submit(queue, queue.task('add'), [1, 2]);
  assertType<Equal<typeof remote, Future<number>>>();
  const prime = group.submit(queue, kernels.isPrime, [7]);
  assertType<Equal<typeof prime, Future<boolean>>>();
  // The context of a function task is the pool's: IoPool's TaskContext.
  group.submit(io, async (ctx) => {
    assertType<Equal<typeof ctx, TaskContext>>();
  }, []);
  // IoPool's own options pass through.
  group.submit(io, async () => 1, [], { retry: { retries: 3 } });

  // @ts-expect-error countPrimes takes two numbers
  group.submit(native, kernels.countPrimes, ['a', 'b']);
  // @ts-expect-error one argument too few
  group.submit(native, kernels.countPrimes, [0]);
  // @ts-expect-error a NativePool runs kernels, not JS functions
  group.submit(native, async () => 1, []);
  // @ts-expect-error an IoPool runs functions, not kernels
  group.submit(io, kernels.isPrime, [7]);
  // @ts-expect-error the function's argument is a string
  group.submit(io, async (_ctx, url: string) => url, [42]);
  // @ts-expect-error add takes numbers
  group.submit(workers, workers.task('add'), ['1', '2']);
  // @ts-expect-error retry is an IoPool option, not a NativePool one
  group.submit(native, kernels.isPrime, [7], { retry: { retries: 3 } });
  // @ts-expect-error not a pool
  group.submit({}, kernels.isPrime, [7]);

  // wait() gives the group's result type: unknown[] when the group is mixed...
  const mixed = await group.wait();
  assertType<Equal<typeof mixed, unknown[]>>();
  // ... and R[] for a TaskGroup<R>, which takes only tasks that give an R.
  const counts = new TaskGroup<number>();
  counts.submit(native, kernels.countPrimes, [0, 100]);
  counts.submit(workers, workers.task('add'), [1, 2]);
  // @ts-expect-error isPrime gives a boolean, not a number
  counts.submit(native, kernels.isPrime, [7]);
  const all = await counts.wait();
  assertType<Equal<typeof all, number[]>>();
}

export async function map(native: NativePool, queue: QueuePool<Tasks>): Promise<void> {
  // A one-argument kernel takes bare values (or one-element arrays), several an array each.
  for await (const p of native.map(kernels.isPrime, [7, [11]])) assertType<Equal<typeof p, boolean>>();
  for await (const c of native.map(kernels.countPrimes, [[0, 10], [10, 20]])) assertType<Equal<typeof c, number>>();
  const ranges: [lo: number, hi: number][] = [[0, 10]];
  for await (const c of queue.map(kernels.countPrimes, ranges)) assertType<Equal<typeof c, number>>();
  for await (const t of queue.map(queue.task('fetchTitle'), ['http://127.0.0.1/'])) assertType<Equal<typeof t, string>>();
  // @ts-expect-error isPrime's argument is a number
  native.map(kernels.isPrime, ['a']);
  // @ts-expect-error countPrimes takes [lo, hi] per item
  native.map(kernels.countPrimes, [1, 2]);
  // @ts-expect-error the same on a QueuePool
  queue.map(kernels.isPrime, ['a']);
  // @ts-expect-error fetchTitle's argument is a string
  queue.map(queue.task('fetchTitle'), [1]);
  // mapChunks: the same items, each chunk's results as one array; a typed array of numbers too.
  for await (const chunk of native.mapChunks(kernels.isPrime, new Int32Array(8), { chunksize: 4 })) assertType<Equal<typeof chunk, boolean[]>>();
  for await (const p of native.map(kernels.isPrime, new Float64Array(8))) assertType<Equal<typeof p, boolean>>();
  for await (const chunk of queue.mapChunks(kernels.countPrimes, ranges)) assertType<Equal<typeof chunk, number[]>>();
  // @ts-expect-error countPrimes takes [lo, hi] per item, not numbers
  native.mapChunks(kernels.countPrimes, new Int32Array(8));
  // @ts-expect-error a BigInt64Array's items are bigints, not numbers
  native.mapChunks(kernels.isPrime, new BigInt64Array(8));
}

type Example = {
  collatzMax: [[lo: number, hi: number], number];
  scale: [[values: Float64Array, factor: number], number];
};

export function custom(addon: unknown, native: NativePool): void {
  const k = loadKernels<Example>(addon, { collatzMax: 2, scale: 2 });
  const best = native.submit(k.collatzMax, [1, 1000]);
  assertType<Equal<typeof best, Future<number>>>();
  const expected: KernelArities<Example> = { collatzMax: 2, scale: 2 };
  void expected;
  // Untyped, every kernel is a Kernel of unknown arguments and result.
  const any = loadKernels(addon);
  void native.submit(any.whatever!, [1, 'x']);
  // @ts-expect-error typed, the declared names are required: a declared kernel the table lacks must fail at load
  loadKernels<Example>(addon);
  // @ts-expect-error every declared kernel must be listed
  loadKernels<Example>(addon, { collatzMax: 2 });
  // @ts-expect-error and its argument count is its tuple's length
  loadKernels<Example>(addon, { collatzMax: 3, scale: 2 });
  // @ts-expect-error a name that is not declared
  loadKernels<Example>(addon, { collatzMax: 2, scale: 2, other: 1 });
  // @ts-expect-error collatzMax takes two numbers
  native.submit(k.collatzMax, ['1', 1000]);
}
