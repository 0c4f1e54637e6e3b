// How a task's error crosses from a worker to the pool. The structured clone keeps an
// Error's message and stack but knows only the built-in classes' names: a custom error
// class (`class OutOfStock extends Error`, or `error.name = 'OutOfStock'`) would arrive
// as a plain 'Error'. Such an error is sent with its name beside it (Outcome.ErrorNamed)
// and the pool puts the name back on the clone: an Error (not an instance of the user's
// class, which exists only in the worker) whose `name` says what was thrown.
import { safely } from '../core/validate';
import { Outcome } from './protocol';

// The names V8's serializer keeps (it reads `name` and maps these to their classes).
const CLONED_NAMES = new Set(['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError']);

/** Worker side: what to report for a thrown value, and how. */
export function sendableFailure(thrown: unknown): [Outcome, unknown] {
  const error = toCloneableError(thrown);
  if (error instanceof Error) {
    const name = safely(() => error.name, 'Error'); // a throwing getter: the clone says 'Error'
    if (typeof name === 'string' && !CLONED_NAMES.has(name)) return [Outcome.ErrorNamed, [name, error]];
  }
  return [Outcome.Error, error];
}

/** Main side: the Error of an Outcome.ErrorNamed report, its name back on it. */
export function receivedNamedError(value: unknown): Error {
  const [name, error] = value as [string, Error];
  error.name = name;
  return error;
}

export function toCloneableError(value: unknown): unknown {
  try {
    if (value instanceof Error) return value;
    structuredClone(value);
    return value;
  } catch {
    // Not cloneable (a symbol, a function, a revoked Proxy whose instanceof throws too): a
    // throw of the user's must fail its task, never crash this worker.
    return new Error(safely(() => String(value), 'a value that cannot be sent to the caller'));
  }
}
