#!/usr/bin/env bash
# libFuzzer runs of the parsers of untrusted layouts (issue 11): the submission-record
# decoder and the kernel-table checks, built with clang -fsanitize=fuzzer,address,undefined
# (Debian: apt-get install clang libclang-rt-14-dev). Each target runs FUZZ_SECONDS
# (default 60) from seeds written by seeds.mjs plus the corpus it grew before (in
# native/fuzz/build/, not committed). Prints one line per target,
#   fuzz <target>: <N> executions in <S> s, <crashes> crashes
# and exits non-zero if any target crashed or could not be built.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../src"
out="$here/build"
seconds="${FUZZ_SECONDS:-60}"
# shellcheck source=../find-clang.sh
source "$here/../find-clang.sh"
find_clang "${FUZZ_CXX:-}" libclang_rt.fuzzer-x86_64.a || { echo "fuzz: $clang_error"; exit 1; }
mkdir -p "$out"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -fno-omit-frame-pointer -I"$here/../include")
status=0
build() { # build NAME SOURCES...
  local name="$1"; shift
  if ! "$cxx" "${flags[@]}" "$@" -o "$out/fuzz_$name" 2>"$out/$name.build.log"; then
    cat "$out/$name.build.log"
    echo "fuzz $name: build failed"
    status=1
    return 1
  fi
}
node "$here/seeds.mjs" "$out/seeds" || status=1
build submit_records "$here/fuzz_submit_records.cc" "$src"/kernels/*.cc
build kernel_table "$here/fuzz_kernel_table.cc" "$src/binding/table_check.cc"
for name in submit_records kernel_table; do
  [[ -x "$out/fuzz_$name" ]] || continue
  corpus="$out/corpus/$name"
  mkdir -p "$corpus" "$out/crashes"
  log="$out/$name.log"
  # -rss_limit_mb: a chunk record may ask for 10^7 items; the decoder must not allocate.
  (cd "$out" && ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS=print_stacktrace=1 \
    "$out/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
      -artifact_prefix="$out/crashes/$name-" "$corpus" "$out/seeds/$name" >"$log" 2>&1)
  rc=$?
  execs="$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)"
  secs="$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' | tail -1)"
  crashes=0
  if ((rc != 0)); then
    crashes=1
    status=1
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -20
  fi
  echo "fuzz $name: ${execs:-0} executions in ${secs:-$seconds} s, $crashes crashes"
done
exit $status
