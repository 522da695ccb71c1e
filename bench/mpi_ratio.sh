#!/bin/bash
# bench/mpi_ratio.sh BUILD STORES [ROUNDS]: is mpirun -np 4 cas-mpi faster than cas on one
# machine, and what does an MPI job cost before it does anything? cas against cas-mpi,
# alternating per round (default 5), store and command (cas, then cas-mpi, then cas-mpi on an
# empty store: the fixed cost of every job, mpirun's start of 4 ranks and one empty walk per
# bucket), for stats and verify. STORES (required) holds v1_200k and v0_200k, made beforehand
# (cas-populate --layout v1|v0 --files 200000 --size 100 STORES/v1_200k). Then migrate and
# purge, which change their store: each run gets a fresh V0 store of 200k files (made by
# cas-populate in STORES/scratch-*, not timed), migrates it, and purges it. Prints wall seconds
# per run and, at the end, the medians, on stdout; results: bench/results/mpi.md. BUILD ("" for
# this repository's build/) holds tools/cas, tools/cas_mpi/cas-mpi and bench/cas-populate
# (cmake --build build --target cas-cli cas-mpi cas-populate; Open MPI installed). MPI settings
# come from the environment (OMPI_MCA_pml=ob1 on one host: bench/results/mpi.md).
#
#   OMPI_MCA_pml=ob1 bench/mpi_ratio.sh "" /var/tmp/mpi-bench 3
if [ "$1" = -h ] || [ "$1" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
[ -n "$2" ] || { echo "usage: $0 BUILD STORES [ROUNDS] (--help for more)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
B=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}; S=$2; R=${3:-5}
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
