#!/bin/bash
# bench/mpi_ratio.sh [BUILD] [STORES]: cas against cas-mpi -np 4 (bench/results/mpi.md), in
# alternating rounds (cas, then cas-mpi) per store and command; prints wall seconds.
# STORES holds v1_200k and v0_200k (cas-populate --layout v1|v0 --files 200000 --size 100).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
B=${1:-build}; S=${2:-/var/tmp/mpi2-bench}
C=$B/tools/cas; M=$B/tools/cas_mpi/cas-mpi
t() { local s=$(date +%s.%N); "$@" > /dev/null 2>&1; local e=$(date +%s.%N); echo "$(echo "$e - $s" | bc)"; }
for round in 1 2 3; do
  for store in v1_200k v0_200k; do
    for cmd in stats verify; do
      a=$(t nice -n 19 ionice -c3 $C --root $S/$store $cmd)
      b=$(t nice -n 19 ionice -c3 mpirun --oversubscribe -np 4 $M --root $S/$store $cmd)
      echo "round=$round store=$store cmd=$cmd cas=$a mpi=$b load=$(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
echo ALLDONE
