#!/usr/bin/env bash
# Runs the whole test suite: installs/builds as tools/setup.sh does, runs every test with
# ctest, then the suite again under AddressSanitizer + UndefinedBehaviorSanitizer and the
# concurrency tests under ThreadSanitizer (each in its own build directory).
#
# usage: tools/test.sh [--quick]   (--quick: the Release suite only, no sanitizer builds)
set -euo pipefail

quick=0
for arg in "$@"; do
  case "$arg" in
    -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --quick) quick=1 ;;
    *) echo "test.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="$(nproc)"

"$src_dir/tools/setup.sh" "$src_dir/build"
echo "== tests (Release)"
ctest --test-dir "$src_dir/build" -j"$jobs" --output-on-failure

if ((quick)); then exit 0; fi

echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S "$src_dir" -B "$src_dir/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCAS_SANITIZE="address;undefined" -DCAS_BUILD_BENCHMARKS=OFF -DCAS_INSTALL=OFF >/dev/null
cmake --build "$src_dir/build-asan" -j"$jobs"
ctest --test-dir "$src_dir/build-asan" -j"$jobs" --output-on-failure

echo "== concurrency tests (ThreadSanitizer)"
cmake -S "$src_dir" -B "$src_dir/build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCAS_SANITIZE=thread -DCAS_BUILD_BENCHMARKS=OFF -DCAS_INSTALL=OFF >/dev/null
cmake --build "$src_dir/build-tsan" -j"$jobs"
ctest --test-dir "$src_dir/build-tsan" -j"$jobs" --output-on-failure -R 'Concurrency|Walker|Pfind|Thread'
