// setTimeout for any delay: Node's timers fire after 1 ms (with a TimeoutOverflowWarning)
// for delays of 2^31 ms or more, so a longer one is chained; Infinity arms nothing.
const MAX_DELAY = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

const NONE: LongTimer = { clear() {} };

/** Calls `fn` after `ms` (any finite value, honoured exactly); unref'd if `unref`. */
export function setLongTimeout(fn: () => void, ms: number, unref = false): LongTimer {
  if (ms === Infinity) return NONE;
  let timer: NodeJS.Timeout;
  const due = performance.now() + ms;
  const arm = (left: number): void => {
    timer = setTimeout(left > MAX_DELAY ? () => arm(due - performance.now()) : fn, Math.max(0, Math.min(left, MAX_DELAY)));
    if (unref) timer.unref();
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
