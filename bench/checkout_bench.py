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
hardlink and copy pairs run; with --xfs or --btrfs (root) the tree, store and destination are
on a loop-mounted XFS (made with reflink=1) or btrfs on a sparse image in --dir, and all three
pairs run there. (coreutils 9's `cp -r` clones where the filesystem can: on XFS and btrfs the
copy pair is a clone against a clone, copy_file_range cloning too.)
Prints a markdown table of medians (min-max) and the ratio cas / cp; --out FILE appends it.

--space measures instead what a checkout of --space-mib MiB of content (files of 16 MiB) costs
in data blocks: the filesystem's used blocks (statvfs, after sync) before and after a checkout
by each mode, which for a reflink or a hard link should be nothing but metadata.
Results: bench/results/checkout.md.

  bench/checkout_bench.py --dir /var/tmp --rounds 5 --out bench/results/checkout.md
  bench/checkout_bench.py --dir /var/tmp --rounds 5 --xfs --out bench/results/checkout.md
  bench/checkout_bench.py --dir /var/tmp --rounds 5 --btrfs --out bench/results/checkout.md
  bench/checkout_bench.py --dir /var/tmp --xfs --space --out bench/results/checkout.md
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


def mount_scratch(base, fs):
    """A loop-mounted XFS (reflink=1) or btrfs on a sparse image in `base`."""
    image, point = os.path.join(base, fs + ".img"), os.path.join(base, fs)
    os.makedirs(point)
    subprocess.run(["truncate", "-s", "4G", image], check=True)
    mkfs = ["mkfs.xfs", "-q", "-m", "reflink=1"] if fs == "xfs" else ["mkfs.btrfs", "-q"]
    subprocess.run(mkfs + [image], check=True)
    subprocess.run(["mount", "-o", "loop", image, point], check=True)
    return point


def used_bytes(path):
    subprocess.run(["sync"], check=True)
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def space(cas, work, mib, modes):
    """Used bytes of the filesystem before and after a checkout of `mib` MiB by each mode."""
    src, store, dest = (os.path.join(work, n) for n in ("space-src", "space-store", "space-dest"))
    manifest = os.path.join(work, "space-manifest")
    put_all(cas, store, src, make_tree(src, mib // 16, 4, 16 << 20), manifest)
    rows = ["| mode | content MiB | used before MiB | used after MiB | cost MiB |",
            "|---|---|---|---|---|"]
    for mode in modes:
        before = used_bytes(work)
        subprocess.run([cas, "--root", store, "checkout", "--manifest", manifest, dest, "--link",
                        mode], check=True, stdout=subprocess.DEVNULL)
        after = used_bytes(work)
        rows.append("| %s | %d | %.1f | %.1f | %.1f |" % (mode, mib, before / 2**20,
                                                          after / 2**20, (after - before) / 2**20))
        shutil.rmtree(dest)
    return "\n".join(rows)


def main():
    p = argument_parser(__doc__)
    add_build_option(p)
    p.add_argument("--dir", default="/var/tmp", help="scratch directory (default %(default)s)")
    p.add_argument("--files", type=int, default=10000)
    p.add_argument("--dirs", type=int, default=700)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--xfs", action="store_true", help="on a loop-mounted XFS with reflink (root)")
    p.add_argument("--btrfs", action="store_true", help="on a loop-mounted btrfs (root)")
    p.add_argument("--space", action="store_true", help="measure data blocks, not time")
    p.add_argument("--space-mib", type=int, default=1024, help="content for --space (MiB)")
    p.add_argument("--out", help="append the table to this file")
    a = p.parse_args()
    cas = os.path.abspath(os.path.join(a.build, "tools", "cas"))
    base = tempfile.mkdtemp(prefix="checkout-bench-", dir=a.dir)
    scratch = "xfs" if a.xfs else "btrfs" if a.btrfs else None
    work = mount_scratch(base, scratch) if scratch else base
    try:
        if a.space:
            text = ("Space: %d MiB of content in files of 16 MiB on %s.\n\n" %
                    (a.space_mib, scratch or a.dir) +
                    space(cas, work, a.space_mib,
                          ["reflink", "hardlink", "copy"] if scratch else ["hardlink", "copy"]))
            report(text, a.out)
            return
        src, store, dest = (os.path.join(work, n) for n in ("src", "store", "dest"))
        manifest = os.path.join(work, "manifest")
        put_all(cas, store, src, make_tree(src, a.files, a.dirs, a.size), manifest)
        pairs = [("hardlink", ["cp", "-al"]), ("copy", ["cp", "-r"])]
        if scratch:
            pairs.append(("reflink", ["cp", "-r", "--reflink=always"]))
        runs = contenders(cas, store, src, manifest, dest, pairs)
        before = load()
        times = run_rounds(runs, dest, a.rounds)
        fs_name = {"xfs": "xfs (reflink=1, loop)", "btrfs": "btrfs (loop)"}.get(
            scratch, "ext4 (" + a.dir + ")")
        text = ("%d files of %d bytes in %d directories, warm cache, %d rounds alternating; "
                "load before %s, after %s.\n\n" % (a.files, a.size, a.dirs, a.rounds, before,
                                                   load()) + table(fs_name, runs, times) + "\n")
        report(text, a.out)
    finally:
        if scratch:
            subprocess.run(["umount", work], check=False)
        shutil.rmtree(base, ignore_errors=True)


def report(text, out):
    print(text)
    if out:
        with open(out, "a") as f:
            f.write("\n```\n" + " ".join(sys.argv) + "\n```\n\n" + text + "\n")


if __name__ == "__main__":
    main()
