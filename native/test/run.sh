#!/usr/bin/env bash
# Builds the core's C++ tests twice (optimized, and with ThreadSanitizer) and runs
# ctest on both. Exits non-zero if either build or any test fails.
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
exit $status
