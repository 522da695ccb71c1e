#!/usr/bin/env bash
# Runs the whole test suite: installs/builds as tools/setup.sh does, runs every test with
# ctest, then the suite again under AddressSanitizer + UndefinedBehaviorSanitizer, the
# concurrency tests under ThreadSanitizer, and the libFuzzer harness for CAS_FUZZ_SECONDS
# (default 45) with Clang (each in its own build directory).
#
# usage: tools/test.sh [--quick]   (--quick: the Release suite only, no sanitizer or fuzz builds)
set -euo pipefail

quick=0
for arg in "$@"; do
  case "$arg" in
    -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --quick) quick=1 ;;
    *) echo "test.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="$(nproc)"
# The sanitizer and fuzz builds compile at -O1 with line tables only (-g1): what the sanitizers'
# reports need (function, file, line), at 40% less compile time than RelWithDebInfo's -O2 -g,
# which keeps the whole run well inside CI's time.
san_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

"$src_dir/tools/setup.sh" "$src_dir/build"
echo "== tests (Release)"
ctest --test-dir "$src_dir/build" -j"$jobs" --output-on-failure

if ((quick)); then exit 0; fi

echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S "$src_dir" -B "$src_dir/build-asan" "${san_flags[@]}" \
  -DCAS_SANITIZE="address;undefined" -DCAS_BUILD_BENCHMARKS=OFF -DCAS_INSTALL=OFF >/dev/null
cmake --build "$src_dir/build-asan" -j"$jobs"
ctest --test-dir "$src_dir/build-asan" -j"$jobs" --output-on-failure

echo "== concurrency tests (ThreadSanitizer)"
# Only what the `concurrency` label runs: cas-tests and the tools it drives (cas, pfind).
cmake -S "$src_dir" -B "$src_dir/build-tsan" "${san_flags[@]}" -DCAS_SANITIZE=thread \
  -DCAS_BUILD_BENCHMARKS=OFF -DCAS_PYTHON=OFF -DCAS_INSTALL=OFF >/dev/null
cmake --build "$src_dir/build-tsan" -j"$jobs" --target cas-tests
ctest --test-dir "$src_dir/build-tsan" -j"$jobs" --output-on-failure -L concurrency

echo "== fuzzing (libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer)"
# Clang only, in its own build directory: the library is instrumented for the fuzzer. Only the
# library and the harness are built. The fuzzer runs over a scratch copy of the seed corpus
# (the committed corpus never grows); a crash input is kept in build-fuzz/fuzz-artifacts.
fuzz_build="$src_dir/build-fuzz"
CC=clang CXX=clang++ cmake -S "$src_dir" -B "$fuzz_build" "${san_flags[@]}" \
  -DCAS_FUZZ=ON -DCAS_BUILD_TESTS=OFF -DCAS_BUILD_BENCHMARKS=OFF -DCAS_BUILD_TOOLS=OFF \
  -DCAS_PYTHON=OFF -DCAS_INSTALL=OFF >/dev/null
cmake --build "$fuzz_build" -j"$jobs" --target cas-fuzz-layouts
fuzz_scratch="$(mktemp -d)"
trap 'rm -rf "$fuzz_scratch"' EXIT
cp -R "$src_dir/tests/fuzz/corpus" "$fuzz_scratch/corpus"
mkdir -p "$fuzz_build/fuzz-artifacts"
if ! "$fuzz_build/tests/fuzz/cas-fuzz-layouts" -max_total_time="${CAS_FUZZ_SECONDS:-45}" \
  -max_len=512 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$src_dir/tests/fuzz/layout_fuzz.dict" -artifact_prefix="$fuzz_build/fuzz-artifacts/" \
  "$fuzz_scratch/corpus" >"$fuzz_build/fuzz.log" 2>&1; then
  tail -n 60 "$fuzz_build/fuzz.log" >&2
  echo "test.sh: the fuzzer found a failure (log: $fuzz_build/fuzz.log," \
    "input in $fuzz_build/fuzz-artifacts/)" >&2
  exit 1
fi
grep -E '^#[0-9]+.*DONE|^stat::(number_of_executed_units|average_exec_per_sec)' \
  "$fuzz_build/fuzz.log" || true
