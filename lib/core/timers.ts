// Timers for any length of time. setTimeout takes at most 2^31 - 1 ms (24.8 days): a
// longer delay fires after 1 ms with a TimeoutOverflowWarning. Every corepool timer
// (timeouts, retry delays, rate-limit windows) goes through here, so that any finite
// delay is honoured exactly, by chaining timers, and Infinity means no timer at all.
import { TimeoutError } from './errors';

/** The longest delay one setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay longer than one setTimeout can hold: re-armed until its end. */
class ChainedTimer {
  timer: NodeJS.Timeout;
  private readonly end: number;

  constructor(
    private readonly fn: () => void,
    ms: number,
    private readonly unref: boolean,
  ) {
    this.end = performance.now() + ms;
    this.timer = this.arm();
  }

  private arm(): NodeJS.Timeout {
    const left = this.end - performance.now();
    const timer = left > MAX_TIMER_MS ? setTimeout(() => (this.timer = this.arm()), MAX_TIMER_MS) : setTimeout(this.fn, Math.max(0, left));
    if (this.unref) timer.unref();
    return timer;
  }
}

export type LongTimer = NodeJS.Timeout | ChainedTimer;

/** setTimeout for any `ms` >= 0: undefined (no timer) for Infinity. `unref`: the timer
 * (each of a chain) does not keep the process alive. */
export function setLongTimeout(fn: () => void, ms: number, unref = false): LongTimer | undefined {
  if (ms === Infinity) return undefined;
  if (ms <= MAX_TIMER_MS) {
    const timer = setTimeout(fn, ms);
    if (unref) timer.unref();
    return timer;
  }
  return new ChainedTimer(fn, ms, unref);
}

export function clearLongTimeout(timer: LongTimer | undefined): void {
  if (timer === undefined) return;
  clearTimeout(timer instanceof ChainedTimer ? timer.timer : timer);
}

/** `p`, or a rejection with TimeoutError if `ms` pass first (`what` timed out). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setLongTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearLongTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearLongTimeout(timer);
        reject(e);
      },
    );
  });
}
