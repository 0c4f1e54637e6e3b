// The records and codes that cross the N-API boundary between pool_object.cc and
// lib/native/wire.ts, defined once on this side. module.cc exports them as `wire`
// (wire_js.h), and wire.ts compares them with its own at load: a drift is a load error,
// not a silent misreading of records. No N-API here: the record decoder and its fuzz
// target use these too.
#pragma once

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
// Timeouts at or above this many ms travel as -1 ("no deadline"); a record's timeout is
// -1 or in [0, kNoDeadlineFromMs), anything else is malformed.
constexpr double kNoDeadlineFromMs = 4398046511104.0;  // 2^42
// The most items one record may carry (map's chunksize bound), and the largest slot id
// (the most tasks in flight at once, far beyond what memory holds Futures for).
constexpr double kMaxItemsPerTask = 1e7;
constexpr uint32_t kMaxSlotId = (1u << 26) - 1;

// The lockMode argument of new NativePoolBinding().
constexpr int kLockNone = -1;
constexpr int kLockModern = static_cast<int>(LockMode::Modern);
constexpr int kLockLegacy = static_cast<int>(LockMode::Legacy);

// What PoolObject::Cancel answers.
enum class CancelOutcome : int { Removed = 0, Running = 1, Finished = 2, Unknown = 3, Stopped = 4 };

}  // namespace corepool::wire
