// Compiled (never run) by test/typing.test.ts with `tsc --noEmit --strict`: the idioms a
// user writes from the README must type-check with no cast, and the types must say what
// the values are at run time. Each `@ts-expect-error` line fails the compile if it ever
// stops being an error.
import { asCompleted, Future, FutureHandle, IoPool, kernels, NativePool, wait } from '../../lib/index';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

export async function idioms(): Promise<void> {
  const pool = new NativePool({ maxWorkers: 2, maxQueue: 4 });
  const numbers = [7, 8, 9];
  const futures = numbers.map((n) => pool.submit(kernels.isPrime, [n]));
  assertType<Equal<typeof futures, Future<boolean>[]>>();

  // await gives the result, as does Promise.all.
  const one = await pool.submit(kernels.isPrime, [7]);
  assertType<Equal<typeof one, boolean>>();
  const all = await Promise.all(futures);
  assertType<Equal<typeof all, boolean[]>>();
  // @ts-expect-error a result has no cancel(): `await` did unwrap the Future
  (await pool.submit(kernels.isPrime, [7])).cancel();

  // Python's as_completed: the loop variable is (a handle of) the Future, not its result.
  for await (const f of asCompleted(futures)) {
    assertType<Equal<typeof f, FutureHandle<boolean>>>();
    f.cancel();
    const value: boolean = await f.result();
    const index: number = futures.indexOf(f.future);
    const again: boolean = await f.future;
    void [value, index, again];
    // @ts-expect-error the handle is not thenable (so `await f` is not written by mistake)
    f.then;
  }

  // submitWhenReady resolves once there is room, with the Future's handle.
  const ready = await pool.submitWhenReady(kernels.isPrime, [7]);
  ready.cancel();
  assertType<Equal<typeof ready, FutureHandle<boolean>>>();
  const readyResult: boolean = await ready.future;
  void readyResult;
  const io = new IoPool({ maxQueue: 1 });
  const fetched = await io.submitWhenReady(async (_ctx, url: string) => url.length, ['https://example.org']);
  fetched.cancel();
  const length: number = await fetched.result();
  void length;

  // wait() gives Sets of the Futures themselves.
  const { done, notDone } = await wait(futures, { returnWhen: 'FIRST_COMPLETED' });
  for (const f of done) assertType<Equal<typeof f, Future<boolean>>>();
  for (const f of notDone) f.cancel();

  // map yields results.
  for await (const prime of pool.map(kernels.isPrime, numbers)) assertType<Equal<typeof prime, boolean>>();
  await io.shutdown();
  await pool.shutdown();
}
