// The records and codes that cross the N-API boundary between pool_object.cc and
// lib/native/wire.ts, defined once on this side. module.cc exports them as `wire`, and
// wire.ts compares them with its own at load: a drift is a load error, not a silent
// misreading of records.
#pragma once

#include <napi.h>

#include <cstdint>

#include "../global_lock.h"
#include "../task.h"
#include "corepool.h"

namespace corepool::wire {

// A submission record: [id, kernelId, items, timeoutMs, runTimeoutMs, args...], where a
// typed-array, string or size argument is its index in the batch's `objects`. A negative
// id (-1 - id) marks a record cancelled in JS before the batch was sent.
constexpr uint32_t kSubmitHeader = 5;
// A completion record: [id, status, value, queueWaitNs, runNs].
constexpr uint32_t kCompletionFields = 5;

// The lockMode argument of new NativePoolBinding().
constexpr int kLockNone = -1;
constexpr int kLockModern = static_cast<int>(LockMode::Modern);
constexpr int kLockLegacy = static_cast<int>(LockMode::Legacy);

// What PoolObject::Cancel answers.
enum class CancelOutcome : int { Removed = 0, Running = 1, Finished = 2, Unknown = 3 };

inline Napi::Object Constants(Napi::Env env) {
  Napi::Object w = Napi::Object::New(env);
  auto set = [&](const char* name, double v) { w.Set(name, Napi::Number::New(env, v)); };
  set("submitHeader", kSubmitHeader);
  set("completionFields", kCompletionFields);
  set("lockNone", kLockNone);
  set("lockModern", kLockModern);
  set("lockLegacy", kLockLegacy);
  set("cancelRemoved", static_cast<int>(CancelOutcome::Removed));
  set("cancelRunning", static_cast<int>(CancelOutcome::Running));
  set("cancelFinished", static_cast<int>(CancelOutcome::Finished));
  set("cancelUnknown", static_cast<int>(CancelOutcome::Unknown));
  set("statusQueued", static_cast<int>(TaskStatus::Queued));
  set("statusRunning", static_cast<int>(TaskStatus::Running));
  set("statusOk", static_cast<int>(TaskStatus::Ok));
  set("statusError", static_cast<int>(TaskStatus::Error));
  set("statusCancelled", static_cast<int>(TaskStatus::Cancelled));
  set("statusTimedOut", static_cast<int>(TaskStatus::TimedOut));
  set("argNumber", COREPOOL_ARG_NUMBER);
  set("argInt", COREPOOL_ARG_INT);
  set("argBool", COREPOOL_ARG_BOOL);
  set("argBytes", COREPOOL_ARG_BYTES);
  set("argFloat64s", COREPOOL_ARG_FLOAT64S);
  set("argInt32s", COREPOOL_ARG_INT32S);
  set("argString", COREPOOL_ARG_STRING);
  set("argSize", COREPOOL_ARG_SIZE);
  set("resultUndefined", COREPOOL_RESULT_UNDEFINED);
  set("resultNumber", COREPOOL_RESULT_NUMBER);
  set("resultBool", COREPOOL_RESULT_BOOL);
  set("resultBytes", COREPOOL_RESULT_BYTES);
  set("resultBigInt", COREPOOL_RESULT_BIGINT);
  set("resultFloat64s", COREPOOL_RESULT_FLOAT64S);
  set("resultInt32s", COREPOOL_RESULT_INT32S);
  set("resultUint16s", COREPOOL_RESULT_UINT16S);
  set("resultUint32s", COREPOOL_RESULT_UINT32S);
  return w;
}

}  // namespace corepool::wire
