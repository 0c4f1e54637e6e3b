// The records and codes that cross the boundary to the native binding, defined once on
// this side (native/src/binding/wire.h is the other). checkWire() compares the two when
// the addon loads, so an addon built from other sources fails at once, by name, instead
// of misreading records.

/** Argument kinds, as in native/include/corepool.h. */
export enum ArgKind {
  Number = 1,
  Int = 2,
  Bool = 3,
  Bytes = 4,
  Float64s = 5,
  Int32s = 6,
  String = 7,
  Size = 8,
  // Input-only views: never copied back into a non-shared buffer (corepool.h).
  BytesIn = 9,
  Float64sIn = 10,
  Int32sIn = 11,
}

/** Result kinds, as in native/include/corepool.h. */
export enum ResultKind {
  Undefined = 0,
  Number = 1,
  Bool = 2,
  Bytes = 3,
  BigInt = 4,
  Float64s = 5,
  Int32s = 6,
  Uint16s = 7,
  Uint32s = 8,
}

/** Final task statuses in completion records (native/src/task.h TaskStatus). */
export enum Status {
  Queued = 0,
  Running = 1,
  Ok = 2,
  Error = 3,
  Cancelled = 4,
  TimedOut = 5,
}

/** Fields of one completion record: [id, status, value, queueWaitNs, runNs]. */
export const COMPLETION_FIELDS = 5;
/** Header of one submission record: [id, kernelId, items, timeoutMs, runTimeoutMs]. */
export const SUBMIT_HEADER = 5;

/** The lockMode argument of the binding's pool constructor. */
export const LockMode = { none: -1, modern: 0, legacy: 1 } as const;

/** What the binding's cancel(id) answers. */
export enum CancelOutcome {
  Removed = 0, // taken out of the queue: settle it CANCELLED now
  Running = 1, // its cancel bit is raised: the completion settles it
  Finished = 2, // already on its way back: the completion settles it
  Unknown = 3,
  Stopped = 4, // it was running and stopped within the binding's short wait: settle it CANCELLED now
}

/** The binding's own copy of all the above (module.cc exports it as `wire`). */
export type RawWire = Record<string, number>;

export function checkWire(raw: RawWire | undefined): void {
  const expected: Record<string, number> = {
    submitHeader: SUBMIT_HEADER,
    completionFields: COMPLETION_FIELDS,
    noDeadlineFromMs: NO_DEADLINE_FROM_MS,
    maxItemsPerTask: MAX_ITEMS_PER_TASK,
    lockNone: LockMode.none,
    lockModern: LockMode.modern,
    lockLegacy: LockMode.legacy,
    cancelRemoved: CancelOutcome.Removed,
    cancelRunning: CancelOutcome.Running,
    cancelFinished: CancelOutcome.Finished,
    cancelUnknown: CancelOutcome.Unknown,
    cancelStopped: CancelOutcome.Stopped,
  };
  const enums: [string, Record<string, string | number>][] = [
    ['status', Status],
    ['arg', ArgKind],
    ['result', ResultKind],
  ];
  for (const [prefix, e] of enums) {
    for (const [key, value] of Object.entries(e)) if (typeof value === 'number') expected[prefix + key] = value;
  }
  const drift: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (raw?.[key] !== value) drift.push(`${key}: JS ${value}, addon ${String(raw?.[key])}`);
  }
  if (drift.length > 0) {
    throw new Error(`corepool: the native addon does not match this version's wire format (${drift.join('; ')}); rebuild it (npm rebuild corepool)`);
  }
}

/** The most items one submission record may carry (pool_object.cc refuses more): map's chunksize bound. */
export const MAX_ITEMS_PER_TASK = 1e7;

/**
 * Timeouts at or above this many ms travel as "no deadline" (-1). No process lives the
 * 139 years it stands for, so the deadline is never reached either way, and the native
 * side never has to turn a huge double into a clock time (which overflows int64
 * nanoseconds past ~9.2e12 ms). Infinity never gets here: it is "no timeout" from the start.
 */
export const NO_DEADLINE_FROM_MS = 2 ** 42;
