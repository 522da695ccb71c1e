#!/usr/bin/env python3
"""Makes the heavy-tailed store of cas-mpi's verify balance measurement (bench/mpi_balance.sh).

How evenly does cas-mpi spread the bytes to hash when a few files hold most of them? This script
makes the store that asks it: N files named by their sha256 in a V1 store at ROOT, sizes
lognormal (median 256 B, sigma 2.5, seed 14), capped at 64 MiB. It measures nothing itself;
bench/mpi_balance.sh makes this store when missing and writes to stdout what its results in
bench/results/mpi.md come from.

  bench/mpi_lognormal_store.py /var/tmp/mpi-bench/lognormal_100k 100000
"""
import hashlib
import os
import random

from benchlib import argument_parser


def main():
    p = argument_parser(__doc__)
    p.add_argument("root", help="the store to make (V1 layout)")
    p.add_argument("n", type=int, help="number of files")
    args = p.parse_args()
    rng = random.Random(14)
    for i in range(args.n):
        size = min(int(rng.lognormvariate(5.545, 2.5)), 64 << 20)
        data = (str(i).encode() * (size // max(1, len(str(i))) + 1))[:size]
        h = hashlib.sha256(data).hexdigest()
        d = os.path.join(args.root, h[:2])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, h), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
