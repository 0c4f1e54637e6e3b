// A sliding-window rate limit: at most `count` starts in any `intervalMs` window. It keeps
// the times of the last `count` starts in a ring; a start is allowed once the oldest of
// them has left the window. Exact over every window (a fixed-window counter lets 2x
// through around a window edge), and O(1) per start.
import { describe } from '../core/validate';

export interface RateLimit {
  /** Most task starts (attempts, retries included) in any window of `intervalMs`. */
  count: number;
  /** The window, in milliseconds. */
  intervalMs: number;
}

export class SlidingWindow {
  private readonly starts: Float64Array;
  private head = 0;

  constructor(
    readonly count: number,
    readonly intervalMs: number,
  ) {
    this.starts = new Float64Array(count).fill(-Infinity);
  }

  /** Milliseconds until a start is allowed; 0 if one is allowed now. */
  wait(now: number): number {
    return Math.max(0, this.starts[this.head]! + this.intervalMs - now);
  }

  /** Records a start at `now` (the caller checked `wait(now) === 0`). */
  take(now: number): void {
    this.starts[this.head] = now;
    this.head = this.head + 1 === this.count ? 0 : this.head + 1;
  }
}

export function checkRateLimit(value: unknown): SlidingWindow | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`rateLimit must be an object { count, intervalMs }, got ${describe(value)}`);
  }
  const { count, intervalMs } = value as Partial<RateLimit>;
  if (typeof count !== 'number' || Number.isNaN(count)) throw new TypeError(`rateLimit.count must be a number, got ${describe(count)}`);
  if (!Number.isInteger(count) || count < 1 || count > 1e6) throw new RangeError(`rateLimit.count must be an integer in 1..1e6, got ${count}`);
  if (typeof intervalMs !== 'number' || Number.isNaN(intervalMs)) {
    throw new TypeError(`rateLimit.intervalMs must be a number of milliseconds, got ${describe(intervalMs)}`);
  }
  if (!(intervalMs > 0) || intervalMs === Infinity) throw new RangeError(`rateLimit.intervalMs must be > 0 and finite, got ${intervalMs}`);
  return new SlidingWindow(count, intervalMs);
}
