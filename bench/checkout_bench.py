#!/usr/bin/env python3
"""Checkout benchmark: `cas checkout --manifest` against cp, laying out a tree of stored files.

Is a checkout as fast as the plain tool that does the same system calls? A tree of --files
files of --size random bytes in --dirs directories is put into a store (`cas put`, whose output
is the manifest), then, round by round with the contenders' order alternating, the same tree is
laid out afresh (the previous one removed, untimed) by:

  hardlink  `cas checkout --manifest M DEST --link hardlink` vs `cp -al SRC DEST`
  copy      `cas checkout --manifest M DEST --link copy`     vs `cp -r SRC DEST`
  reflink   `cas checkout --manifest M DEST --link reflink`  vs `cp -r --reflink=always SRC DEST`
            (only on a filesystem that clones: --xfs)

with a warm cache (one untimed run of each first). On the disk's own filesystem (--dir) the
hardlink and copy pairs run; with --xfs (root) the tree, store and destination are on a
loop-mounted XFS made with reflink=1 on a sparse image in --dir, and all three pairs run there.
Prints a markdown table of medians (min-max) and the ratio cas / cp; --out FILE appends it.
Results: bench/results/checkout.md.

  bench/checkout_bench.py --dir /var/tmp --rounds 5 --out bench/results/checkout.md
  bench/checkout_bench.py --dir /var/tmp --rounds 5 --xfs --out bench/results/checkout.md
  bench/checkout_bench.py --dir /var/tmp --files 500 --dirs 20 --rounds 1   # smoke test
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import add_build_option, argument_parser, load


def make_tree(src, files, dirs, size):
    """--files files of random bytes, spread over --dirs directories two levels deep."""
    paths = []
    for i in range(files):
        d = i % dirs
        rel = os.path.join("d%02d" % (d % 25), "s%03d" % d, "f%05d" % i)
        os.makedirs(os.path.join(src, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(src, rel), "wb") as f:
            f.write(os.urandom(size))
        paths.append(rel)
    return paths


def put_all(cas, store, src, paths, manifest):
    """Puts every file; `cas put` prints "<hash>  <path>", the manifest's format."""
    with open(manifest, "w") as out:
        for start in range(0, len(paths), 2000):
            subprocess.run([cas, "--root", store, "put"] + paths[start:start + 2000], cwd=src,
                           stdout=out, check=True)


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def contenders(cas, store, src, manifest, dest, pairs):
    out = []
    for mode, cp in pairs:
        out.append(("cas --link " + mode,
                    [cas, "--root", store, "checkout", "--manifest", manifest, dest, "--link",
                     mode]))
        out.append((" ".join(cp), cp + [src, dest]))
    return out


def run_rounds(runs, dest, rounds):
    times = {name: [] for name, _ in runs}
    for r in range(rounds + 1):  # round 0 warms the cache, untimed
        order = runs if r % 2 == 0 else list(reversed(runs))
        for name, cmd in order:
            shutil.rmtree(dest, ignore_errors=True)
            subprocess.run(["sync"], check=True)
            t = timed(cmd)
            if r > 0:
                times[name].append(t)
    shutil.rmtree(dest, ignore_errors=True)
    return times


def table(fs_name, runs, times):
    rows = ["| filesystem | command | median s | min-max s | cas / cp |", "|---|---|---|---|---|"]
    for i in range(0, len(runs), 2):
        cas_name, cp_name = runs[i][0], runs[i + 1][0]
        m_cas, m_cp = statistics.median(times[cas_name]), statistics.median(times[cp_name])
        for name, m, ratio in ((cas_name, m_cas, "%.2f" % (m_cas / m_cp)), (cp_name, m_cp, "")):
            t = times[name]
            rows.append("| %s | `%s` | %.3f | %.3f-%.3f | %s |" % (fs_name, name, m, min(t),
                                                                   max(t), ratio))
    return "\n".join(rows)


def mount_xfs(base):
    image, point = os.path.join(base, "xfs.img"), os.path.join(base, "xfs")
    os.makedirs(point)
    subprocess.run(["truncate", "-s", "4G", image], check=True)
    subprocess.run(["mkfs.xfs", "-q", "-m", "reflink=1", image], check=True)
    subprocess.run(["mount", "-o", "loop", image, point], check=True)
    return point


def main():
    p = argument_parser(__doc__)
    add_build_option(p)
    p.add_argument("--dir", default="/var/tmp", help="scratch directory (default %(default)s)")
    p.add_argument("--files", type=int, default=10000)
    p.add_argument("--dirs", type=int, default=700)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--xfs", action="store_true", help="on a loop-mounted XFS with reflink (root)")
    p.add_argument("--out", help="append the table to this file")
    a = p.parse_args()
    cas = os.path.abspath(os.path.join(a.build, "tools", "cas"))
    base = tempfile.mkdtemp(prefix="checkout-bench-", dir=a.dir)
    work = mount_xfs(base) if a.xfs else base
    try:
        src, store, dest = (os.path.join(work, n) for n in ("src", "store", "dest"))
        manifest = os.path.join(work, "manifest")
        put_all(cas, store, src, make_tree(src, a.files, a.dirs, a.size), manifest)
        pairs = [("hardlink", ["cp", "-al"]), ("copy", ["cp", "-r"])]
        if a.xfs:
            pairs.append(("reflink", ["cp", "-r", "--reflink=always"]))
        runs = contenders(cas, store, src, manifest, dest, pairs)
        before = load()
        times = run_rounds(runs, dest, a.rounds)
        fs_name = "xfs (reflink=1, loop)" if a.xfs else "ext4 (" + a.dir + ")"
        text = ("%d files of %d bytes in %d directories, warm cache, %d rounds alternating; "
                "load before %s, after %s.\n\n" % (a.files, a.size, a.dirs, a.rounds, before,
                                                   load()) + table(fs_name, runs, times) + "\n")
        print(text)
        if a.out:
            with open(a.out, "a") as f:
                f.write("\n```\n" + " ".join(sys.argv) + "\n```\n\n" + text)
    finally:
        if a.xfs:
            subprocess.run(["umount", work], check=False)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
