// wire.h's constants as a JS object (module.cc exports it as `wire`), for wire.ts's
// checkWire() to compare with its own when the addon loads.
#pragma once

#include <napi.h>

#include "wire.h"

namespace corepool::wire {

inline Napi::Object Constants(Napi::Env env) {
  Napi::Object w = Napi::Object::New(env);
  auto set = [&](const char* name, double v) { w.Set(name, Napi::Number::New(env, v)); };
  set("submitHeader", kSubmitHeader);
  set("completionFields", kCompletionFields);
  set("noDeadlineFromMs", kNoDeadlineFromMs);
  set("maxItemsPerTask", kMaxItemsPerTask);
  set("lockNone", kLockNone);
  set("lockModern", kLockModern);
  set("lockLegacy", kLockLegacy);
  set("cancelRemoved", static_cast<int>(CancelOutcome::Removed));
  set("cancelRunning", static_cast<int>(CancelOutcome::Running));
  set("cancelFinished", static_cast<int>(CancelOutcome::Finished));
  set("cancelUnknown", static_cast<int>(CancelOutcome::Unknown));
  set("cancelStopped", static_cast<int>(CancelOutcome::Stopped));
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
  set("argBytesIn", COREPOOL_ARG_BYTES_IN);
  set("argFloat64sIn", COREPOOL_ARG_FLOAT64S_IN);
  set("argInt32sIn", COREPOOL_ARG_INT32S_IN);
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
