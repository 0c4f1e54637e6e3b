// Small waits shared by the test files.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `cond` every millisecond; throws naming `what` if it is not true within `ms`. */
export async function until(cond: () => boolean, what = 'condition', ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(1);
  }
}

/** Never resolves; rejects with the signal's reason once it aborts. */
export const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

/**
 * Runs `fn` with process warnings caught instead of printed, and returns them: a test that
 * triggers a warning asserts it, and `npm test` stays free of stray stderr. Node's own
 * printer (its 'warning' listener) is detached meanwhile and put back after. `settle` is
 * called after `fn` until it returns true (up to 20 turns of the event loop with a full GC
 * each, since `--expose-gc`), for warnings that come later: process.emitWarning emits on the
 * next tick, a FinalizationRegistry callback only after a collection.
 */
export async function catchWarnings(fn: () => unknown, settle: (caught: Error[]) => boolean = () => true): Promise<Error[]> {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  const caught: Error[] = [];
  const onWarning = (w: Error): void => void caught.push(w);
  process.on('warning', onWarning);
  try {
    await fn();
    await sleep(1);
    for (let i = 0; i < 20 && !settle(caught); i++) {
      globalThis.gc?.();
      await sleep(5);
    }
  } finally {
    process.off('warning', onWarning);
    for (const printer of printers) process.on('warning', printer);
  }
  return caught;
}
