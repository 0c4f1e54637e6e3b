#!/usr/bin/env bash
# `npm run test:sanitize`: builds the addon itself with clang's AddressSanitizer and
# UndefinedBehaviorSanitizer (Debian: apt-get install clang libclang-rt-14-dev), loads it
# into an ordinary Node with the ASan runtime preloaded (LD_PRELOAD), and runs the public
# API hard against it (stress.ts). Any memory error or undefined behaviour aborts the run.
# Prints "sanitize: passed" or "sanitize: failed (...)" as its last line.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
out="$here/build"
jobs="${JOBS:-2}"
fail() { echo "sanitize: failed ($*)"; exit 1; }
# shellcheck source=../find-clang.sh
source "$here/../find-clang.sh"
find_clang "${SANITIZE_CXX:-}" libclang_rt.asan-x86_64.so || fail "$clang_error"

cd "$root" || exit 1
# The sources and include directories of the real build (binding.gyp), uv.h from Node's headers.
mapfile -t sources < <(node -e "
  const text = require('fs').readFileSync('binding.gyp', 'utf8').replace(/^\\s*#.*$/gm, '');
  const gyp = new Function('return (' + text + ')')();
  console.log(gyp.targets.find((t) => t.target_name === 'corepool').sources.join('\n'));")
addon_api="$(node -p "require('node-addon-api').include_dir")"
napi_headers="$(node -p "require('node-api-headers').include_dir")"
uv_dir=""
for d in "${npm_config_nodedir:-/nonexistent}/include/node" "$(node -p "require('path').resolve(process.execPath, '../../include/node')")" \
         "$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
  [[ -f "$d/uv.h" ]] && { uv_dir="$d"; break; }
done
[[ -n "$uv_dir" ]] || fail "uv.h not found (Node's headers: npx node-gyp install)"

# -fno-sanitize=vptr: node-addon-api's ObjectWrap<T> constructor casts `this` to T* before T
# is constructed (napi-inl.h, ObjectWrap::ObjectWrap), which the vptr check reports on
# every `new NativePoolBinding`; it is node-addon-api's pattern, not corepool's code.
flags=(-std=c++17 -O1 -g -fPIC -fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all
       -fno-omit-frame-pointer -fvisibility=hidden -ffp-contract=off
       -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED
       -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -DBUILDING_NODE_EXTENSION
       -I"$addon_api" -I"$napi_headers" -I"$uv_dir" -Inative/include)
# node-gyp-build loads $COREPOOL_PREBUILD/build/Release/*.node before anything else.
mkdir -p "$out/obj" "$out/build/Release"
echo "== sanitize: building the addon with $cxx -fsanitize=address,undefined (${#sources[@]} files)"
export cxx out
# Always rebuilt (about 30 s): an object older than a header it includes would be stale.
printf '%s\n' "${sources[@]}" | xargs -P "$jobs" -I{} bash -c '
  "$cxx" "$@" -c "{}" -o "$out/obj/$(echo "{}" | tr / _).o"' _ "${flags[@]}" || fail "build"
objects=()
for s in "${sources[@]}"; do objects+=("$out/obj/$(echo "$s" | tr / _).o"); done
"$cxx" -shared -shared-libasan -fsanitize=address,undefined "${objects[@]}" -pthread \
  -o "$out/build/Release/corepool.node" || fail "link"

echo "== sanitize: stress run (LD_PRELOAD=$runtime)"
# detect_leaks=0: Node itself is not built for LeakSanitizer and keeps memory to the end.
# The asserts on results live in stress.ts; ASan/UBSan findings abort with their report.
LD_PRELOAD="$runtime" COREPOOL_PREBUILD="$out" \
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86${ASAN_EXTRA:+:$ASAN_EXTRA}" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87" \
  node --expose-gc --import tsx "$here/stress.ts"
rc=$?
((rc == 0)) || fail "stress exited $rc (86: ASan report, 87: UBSan report)"
echo "sanitize: passed"
