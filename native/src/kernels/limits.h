// Shared argument bounds of the built-in kernels.
#pragma once

namespace corepool {
constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER
constexpr double kOneHourMs = 3600000.0;
}  // namespace corepool
