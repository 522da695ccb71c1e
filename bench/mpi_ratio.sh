#!/bin/bash
# bench/mpi_ratio.sh [BUILD] [STORES] [ROUNDS]: cas against mpirun -np 4 cas-mpi
# (bench/results/mpi.md), alternating per round, store and command (cas, then cas-mpi, then
# cas-mpi on an empty store: the fixed cost of every job, mpirun's start of 4 ranks and one
# empty walk per bucket). Prints wall seconds per run and, at the end, the medians.
# STORES holds v1_200k and v0_200k (cas-populate --layout v1|v0 --files 200000 --size 100).
# Then migrate and purge, which change their store: each run gets a fresh V0 store of 200k
# files (made by cas-populate in STORES/scratch-*, not timed), migrates it, and purges it.
# MPI settings come from the environment (OMPI_MCA_pml=ob1 on one host: bench/results/mpi.md).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
B=${1:-build}; S=${2:-/var/tmp/mpi-bench}; R=${3:-5}
C=$B/tools/cas; M=$B/tools/cas_mpi/cas-mpi
E=$(mktemp -d)
t() { local s=$(date +%s.%N); "$@" > /dev/null 2>&1; local e=$(date +%s.%N); echo "$e - $s" | bc; }
out=$(mktemp)
for round in $(seq "$R"); do
  for store in v1_200k v0_200k; do
    for cmd in stats verify; do
      a=$(t $C --root $S/$store $cmd)
      b=$(t mpirun --oversubscribe -np 4 $M --root $S/$store $cmd)
      f=$(t mpirun --oversubscribe -np 4 $M --root $E $cmd)
      echo "round=$round store=$store cmd=$cmd cas=$a mpi=$b empty=$f load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
    done
  done
done
P=$B/bench/cas-populate
for round in $(seq "$R"); do
  for tool in cas mpi; do
    d=$S/scratch-$tool; rm -rf "$d"; $P --layout v0 --files 200000 --size 100 "$d" > /dev/null
    if [ $tool = cas ]; then run=($C --root "$d"); else run=(mpirun --oversubscribe -np 4 $M --root "$d"); fi
    m=$(t "${run[@]}" migrate); p=$(t "${run[@]}" purge)
    echo "round=$round tool=$tool migrate=$m purge=$p load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out.w"
    rm -rf "$d"
  done
done
python3 - "$out" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    f = dict(kv.split('=') for kv in line.split())
    for k in ('cas', 'mpi', 'empty'):
        runs[(f['store'], f['cmd'])][k].append(float(f[k]))
print('store cmd cas mpi empty mpi/cas (mpi-empty)/cas')
for (store, cmd), r in runs.items():
    c, m, e = (statistics.median(r[k]) for k in ('cas', 'mpi', 'empty'))
    print(f'{store} {cmd} {c:.2f} {m:.2f} {e:.2f} {m / c:.2f} {(m - e) / c:.2f}')
PY
python3 - "$out.w" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    f = dict(kv.split('=') for kv in line.split())
    for k in ('migrate', 'purge'):
        runs[k][f['tool']].append(float(f[k]))
for cmd, r in runs.items():
    c, m = statistics.median(r['cas']), statistics.median(r['mpi'])
    print(f'v0_200k {cmd} cas {c:.2f} mpi {m:.2f} mpi/cas {m / c:.2f}')
PY
rm -rf "$E" "$out" "$out.w"
