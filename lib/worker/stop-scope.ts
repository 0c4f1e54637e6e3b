// Which task's stop word a native kernel run from JS inside a worker reads
// (kernel.runSync reads native/sync-stop.ts's `syncStop`): the task whose code is calling,
// also after an await, so that cancel and deadlines stop the kernel with its task.
//
// - One async task per worker (the default): while a task runs or awaits, no other task
//   runs in this worker, so `syncStop` simply names it from its start until it settles.
//   No cost per task beyond two stores.
// - Several async tasks per worker: their continuations interleave, so the calling task is
//   found through an AsyncLocalStorage that each task runs in; `syncStop`'s fields become
//   getters over it. That costs an AsyncLocalStorage.run per task, paid only by pools that
//   ask for asyncTasksPerWorker > 1.
// A task that has settled never stops a kernel: a stray continuation of it reads no word.
import { AsyncLocalStorage } from 'node:async_hooks';

import { syncStop } from '../native/sync-stop';
import type { Context } from './context';

export interface StopScope {
  /** Calls `fn(task, ctx, args)` as task `ctx`'s code (its sync part and every continuation);
   * no closure per task. */
  run<T, A>(ctx: Context, fn: (task: T, ctx: Context, args: A) => unknown, task: T, args: A): unknown;
  /** Task `ctx` settled. */
  end(ctx: Context): void;
}

export function stopScope(words: Int32Array, concurrent: boolean): StopScope {
  if (!concurrent) {
    let current: Context | undefined;
    return {
      run(ctx, fn, task, args) {
        current = ctx;
        syncStop.words = words;
        syncStop.index = ctx.slot;
        return fn(task, ctx, args);
      },
      end(ctx) {
        if (current !== ctx) return;
        current = undefined;
        syncStop.words = undefined;
      },
    };
  }
  const storage = new AsyncLocalStorage<Context>();
  Object.defineProperty(syncStop, 'words', {
    get: () => {
      const ctx = storage.getStore();
      return ctx === undefined || ctx.finished ? undefined : words;
    },
    set: () => undefined,
  });
  Object.defineProperty(syncStop, 'index', { get: () => storage.getStore()?.slot ?? 0, set: () => undefined });
  return {
    run: (ctx, fn, task, args) => storage.run(ctx, fn, task, ctx, args),
    end: () => undefined, // ctx.finished already hides its word
  };
}
