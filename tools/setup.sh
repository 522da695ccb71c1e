#!/usr/bin/env bash
# Installs what cas needs from Debian's packages (when run as root), then configures and
# builds it (Release) in ./build. Safe to run again: it installs only what is missing.
#
# usage: tools/setup.sh [--no-build] [BUILD_DIR]
set -euo pipefail

usage() {
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
}

build=1
build_dir=""
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    --no-build) build=0 ;;
    -*) echo "setup.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *) build_dir="$arg" ;;
  esac
done

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${build_dir:-$src_dir/build}"

# Build: compiler, CMake, OpenSSL, Boost.Filesystem, GoogleTest, Google Benchmark, CLI11 (every
# command line), nlohmann-json3-dev (the JSON that `cas stats --json` writes; header-only).
# Tools used by tests and benchmarks: fd-find and findutils (walker comparisons),
# gnuplot-nox (the benchmark chart), util-linux (runuser, mount), coreutils (sha256sum),
# e2fsprogs, xfsprogs and btrfs-progs (cas-bench --make-fs formats scratch filesystems),
# bindfs (a FUSE mount: the tests' filesystem without O_TMPFILE, as network filesystems are).
# The Python module and its tests: pybind11-dev, python3-dev, python3-pytest.
# The fuzz step of tools/test.sh: clang (its resource directory ships libFuzzer).
# cas-mpi (store-wide jobs across ranks) and its `mpi` tests: openmpi-bin (mpirun) and
# libopenmpi-dev (the headers and libmpi that CMake's FindMPI looks for); without them cas-mpi
# is simply not built.
# The remote tier: libcurl4-openssl-dev (the HTTP client), nginx-light (its WebDAV PUT module
# serves BASE/cas/<hash> to the remote tests on loopback), openssl (the tests' https
# certificate) and curl (bench/remote_bench.py's baseline; the S3 tests create buckets with it).
# The S3 remote's tests need a real S3 server: OpenStack Swift (swift-proxy with its s3api
# middleware, swift-account, swift-container, swift-object; tests/swift_server.cpp starts one on
# loopback, ~280 MiB and 3-20 s). Without them those tests skip.
packages=(g++ cmake make libssl-dev libboost-filesystem-dev googletest libgtest-dev
  libbenchmark-dev libcli11-dev nlohmann-json3-dev fd-find findutils gnuplot-nox util-linux
  coreutils e2fsprogs xfsprogs btrfs-progs bindfs python3 pybind11-dev python3-dev python3-pytest clang
  openmpi-bin libopenmpi-dev libcurl4-openssl-dev nginx-light openssl curl
  swift-proxy swift-account swift-container swift-object)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup.sh: missing Debian packages: ${missing[*]}" >&2
    echo "setup.sh: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ((build)); then
  cmake -S "$src_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" -j"$(nproc)"
fi
