// How a Future prints: `<Future task=isPrime state=FINISHED returned boolean true>`, as
// Python prints one: the task, the state and what it returned or raised (an object by
// its class and length).
import type { FutureState } from './future';
import { describe, safely } from './validate';

export function futureLine(task: string, state: FutureState, value: unknown, error: Error | undefined): string {
  let outcome = '';
  if (state === 'FINISHED') {
    outcome = error === undefined ? ` returned ${safely(() => shortValue(value), 'an object')}` : ` raised ${safely(() => `${error.name}: ${error.message}`, 'an Error that cannot be printed')}`;
  }
  return `<Future task=${task} state=${state}${outcome}>`;
}

/** A value in a line: its type and a short form (an object by its class and size). */
function shortValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value} ${String(value)}`;
  const length = (value as { length?: unknown }).length;
  return `${describe(value)}${typeof length === 'number' ? `(${length})` : ''}`;
}
