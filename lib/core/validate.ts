// Argument and option checks every pool shares: each throws a TypeError or RangeError
// that names the argument and what was expected, at the boundary, before any work starts.
import type { ShutdownOptions, SubmitOptions } from './executor';

export function checkTimeout(timeout: unknown, name = 'timeout'): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(`${name} must be a number of milliseconds, got ${describe(timeout)}`);
  }
  if (timeout < 0) throw new RangeError(`${name} must be >= 0, got ${timeout}`);
  // Infinity means no timeout: every caller then arms nothing (see timers.ts for long ones).
  return timeout === Infinity ? undefined : timeout;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'object') {
    try {
      return (value as object).constructor?.name ?? 'an object';
    } catch {
      return 'an object'; // a revoked Proxy, a throwing 'constructor' getter
    }
  }
  return typeof value;
}

export interface CheckedSubmitOptions {
  timeout: number | undefined;
  runTimeout: number | undefined;
  signal: AbortSignal | undefined;
}

const NO_OPTIONS: CheckedSubmitOptions = Object.freeze({ timeout: undefined, runTimeout: undefined, signal: undefined });

/**
 * Checks that `options` is undefined or an object with only `known` keys: a misspelt
 * option (`timout`) must be a TypeError that names it, not silently ignored.
 */
export function checkOptions<T>(options: T | undefined, known: readonly string[], what: string): T | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${what} options must be an object, got ${describe(options)}`);
  }
  for (const key in options) {
    if (!known.includes(key)) {
      throw new TypeError(`${what}: unknown option '${key}' (expected ${known.map((k) => `'${k}'`).join(', ')})`);
    }
  }
  return options;
}

export const SUBMIT_OPTION_KEYS: readonly string[] = ['timeout', 'runTimeout', 'signal'];

export function checkSubmitOptions(options: SubmitOptions | undefined, known = SUBMIT_OPTION_KEYS): CheckedSubmitOptions {
  options = checkOptions(options, known, 'submit');
  if (options === undefined) return NO_OPTIONS;
  const signal = checkSignal(options.signal);
  return {
    timeout: checkTimeout(options.timeout, 'options.timeout'),
    runTimeout: checkTimeout(options.runTimeout, 'options.runTimeout'),
    signal,
  };
}

export function checkCount(value: unknown, name: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (value !== Infinity && !Number.isInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  if (value < min) throw new RangeError(`${name} must be >= ${min}, got ${value}`);
  return value;
}

export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return signal;
}

/** The arguments of a task that takes none; shared, never written. */
export const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** The most arguments a JS task takes (`fn(ctx, ...args)`): engines refuse calls far
 * beyond it, and an args array of a huge length (`a.length = 2 ** 32 - 1`, free to make)
 * would otherwise be walked index by index at submit. */
export const MAX_TASK_ARGS = 65_535;

/** Throws RangeError for an args array longer than MAX_TASK_ARGS. */
export function checkArgsLength(length: number, what: string): void {
  if (length > MAX_TASK_ARGS) {
    throw new RangeError(`${what}: args has ${length} items; a task takes at most ${MAX_TASK_ARGS} arguments`);
  }
}

export function checkShutdownOptions(options: ShutdownOptions | undefined): Required<ShutdownOptions> {
  checkOptions(options, ['wait', 'cancelFutures', 'cancelRunning'], 'shutdown');
  const flag = (name: keyof ShutdownOptions, fallback: boolean): boolean => {
    const value = options?.[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new TypeError(`shutdown: options.${name} must be a boolean, got ${describe(value)}`);
    return value;
  };
  return { wait: flag('wait', true), cancelFutures: flag('cancelFutures', false), cancelRunning: flag('cancelRunning', false) };
}

/** Reads a property of an error or a value for a message; a throwing getter or Proxy trap gives `fallback`. */
export function safely<V>(read: () => V, fallback: V): V {
  try {
    return read();
  } catch {
    return fallback;
  }
}
