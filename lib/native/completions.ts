// What a completion record means for its Future: the result of a finished task (a
// number, boolean, object or a map chunk's results) or the error it ended with. The
// record layout is wire.ts's COMPLETION_FIELDS: [id, status, value, queueWaitNs, runNs].
import { KernelError, TimeoutError } from '../core/errors';
import { CHUNK, WRAP } from './slots';
import { ResultKind, Status } from './wire';

// Local constants: module imports are getters under some loaders, and these are per task.
const R_NUMBER = ResultKind.Number;
const R_BOOL = ResultKind.Bool;
const R_UNDEFINED = ResultKind.Undefined;
const ERROR = Status.Error;

/** The result of a task that ended OK. `value` is the number or boolean the record
 * carries, or the index of the result in `objects`. */
export function resultOf(kind: ResultKind, shape: number, value: number, objects: unknown[] | undefined): unknown {
  if (shape === CHUNK) return kind === R_UNDEFINED ? new Array<undefined>(value).fill(undefined) : chunkResults(kind, objects![value]);
  let result: unknown;
  if (kind === R_NUMBER) result = value;
  else if (kind === R_BOOL) result = value !== 0;
  else if (kind === R_UNDEFINED) result = undefined;
  else result = objects![value];
  return shape === WRAP ? [result] : result;
}

/** The error of a task that failed (its message is in `objects`, or the error itself for
 * a task the native side refused when it was sent: an argument detached meanwhile) or
 * passed its deadline. */
export function errorOf(status: Status, kernel: string, value: number, objects: unknown[] | undefined): Error {
  if (status === ERROR) {
    const reason = objects![value];
    return reason instanceof Error ? reason : new KernelError(kernel, String(reason));
  }
  return new TimeoutError(`task '${kernel}' passed its deadline`);
}

/** A chunk's results: numbers arrive as one Float64Array, booleans as one Uint8Array of
 * 0/1 (see pool_object.cc), other kinds as an array of values; undefined ones only as a count. */
function chunkResults(kind: ResultKind, raw: unknown): unknown[] {
  if (kind === R_NUMBER && raw instanceof Float64Array) {
    const out = new Array<number>(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw[i]!;
    return out;
  }
  if (kind === R_BOOL && raw instanceof Uint8Array) {
    const out = new Array<boolean>(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw[i] !== 0;
    return out;
  }
  return raw as unknown[];
}
