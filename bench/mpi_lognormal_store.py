# bench/mpi_lognormal_store.py ROOT N (cas-mpi verify balance, bench/results/mpi.md).
# Writes N files named by their sha256 into a v1 store, sizes lognormal(median 256 B, sigma 2.5),
# capped at 64 MiB: the heavy-tailed store of the verify balance measurement.
import hashlib, os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(14)
for i in range(n):
    size = min(int(rng.lognormvariate(5.545, 2.5)), 64 << 20)
    data = (str(i).encode() * (size // max(1, len(str(i))) + 1))[:size]
    h = hashlib.sha256(data).hexdigest()
    d = os.path.join(root, h[:2])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, h), "wb") as f:
        f.write(data)
