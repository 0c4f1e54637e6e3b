#!/usr/bin/env bash
# Builds the core's C++ tests three times (optimized, ThreadSanitizer, AddressSanitizer +
# UndefinedBehaviorSanitizer) and runs ctest on each. Exits non-zero if any build or test
# fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jobs="${JOBS:-2}"
status=0

run_build() {
  local name="$1"; shift
  local dir="$here/build-$name"
  echo "== $name build ($dir)"
  cmake -S "$here" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  # Tests measure timings: run them one at a time so they do not share 2 cores.
  if ! (cd "$dir" && ctest --output-on-failure); then
    status=1
  fi
}

# halt_on_error makes any data race a failure of the test that hit it.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
run_build release -DCMAKE_BUILD_TYPE=Release -DCOREPOOL_SANITIZE= || status=1
run_build tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOREPOOL_SANITIZE=thread || status=1
# Any ASan report or UB finding ends the test that hit it (-fno-sanitize-recover, below).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1 abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1 halt_on_error=1}"
run_build asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOREPOOL_SANITIZE=address,undefined || status=1
exit $status
