# Sourced by native/fuzz/run.sh and native/sanitize/run.sh: finds clang++ and the
# compiler-rt runtime a run needs (Debian: apt-get install clang libclang-rt-14-dev).
#   find_clang OVERRIDE RUNTIME   (OVERRIDE: the compiler the user named, or empty for clang++)
# sets $cxx and $runtime (the runtime's full path); on failure sets $clang_error (what is
# missing and the command that installs it) and returns 1.
find_clang() {
  cxx="${1:-clang++}"
  clang_error=""
  if ! command -v "$cxx" >/dev/null; then
    clang_error="$cxx not found: apt-get install clang libclang-rt-14-dev"
    return 1
  fi
  runtime="$("$cxx" -print-file-name="$2")"
  if [[ ! -f "$runtime" ]]; then
    clang_error="no $2 beside $cxx (it printed '$runtime'): apt-get install libclang-rt-14-dev"
    return 1
  fi
}
