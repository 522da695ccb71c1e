#!/bin/bash
# bench/mpi_balance.sh BUILD STORES [RUNS]: how evenly does cas-mpi spread the work across its
# ranks? Files per rank for `stats` of a 1M-file V1 store, bytes per rank for `verify` of a
# 100k-file store of lognormal sizes (sigma 2.5), at 4 and 16 ranks, RUNS runs each (default
# 3). Makes the stores in STORES (required: a scratch directory on the disk to measure) when
# missing (v1_1m: cas-populate --size 0; lognormal_100k: bench/mpi_lognormal_store.py). Prints
# each run's max/mean line, its wall seconds, and for verify the size pass, on stdout; results:
# bench/results/mpi.md. BUILD ("" for this repository's build/) holds tools/cas_mpi/cas-mpi and
# bench/cas-populate (cmake --build build --target cas-mpi cas-populate; Open MPI installed).
#
#   bench/mpi_balance.sh "" /var/tmp/mpi-bench 3
if [ "$1" = -h ] || [ "$1" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
[ -n "$2" ] || { echo "usage: $0 BUILD STORES [RUNS] (--help for more)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
B=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}; S=$2; R=${3:-3}
M=$B/tools/cas_mpi/cas-mpi
mkdir -p "$S"
[ -d "$S/v1_1m" ] || $B/bench/cas-populate --layout v1 --files 1000000 --size 0 "$S/v1_1m" > /dev/null
[ -d "$S/lognormal_100k" ] || python3 "$(dirname "$0")/mpi_lognormal_store.py" "$S/lognormal_100k" 100000
for np in 4 16; do
  for store in v1_1m:stats lognormal_100k:verify; do
    for run in $(seq "$R"); do
      s=$(date +%s.%N)
      line=$(mpirun --oversubscribe -np $np $M --root "$S/${store%%:*}" ${store##*:} --stats-per-rank \
        | grep -E "^ranks:|^size pass:" | tr '\n' ' ')
      e=$(date +%s.%N)
      echo "np=$np store=${store%%:*} cmd=${store##*:} run=$run wall=$(echo "$e - $s" | bc) $line"
    done
  done
done
