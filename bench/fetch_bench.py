#!/usr/bin/env python3
"""Fetch benchmark: cas fetch against curl and the shell way, on loopback, against one nginx.

Does `cas fetch` (download, hash while writing, publish only verified content, one download per
hash across processes) cost more than curl writing the same bytes without checking them?

Starts its own nginx (Debian nginx-light, access log in DIR/fetch-bench/access.log) on
127.0.0.1 with a configuration in DIR/fetch-bench (--dir, required; made afresh, removed after
a full run), serves random files named by their sha256, and times, round by round with the
contenders' order alternating (wall time and the commands' user+sys CPU):

  list   --objects files of --size bytes (default 1000 x 64 KiB), 16 in flight:
           `cas fetch --list LIST -j16` into an empty store (each body hashed as it arrives,
           published under its name; one syncfs at the end)
           vs `curl --parallel --parallel-max 16 -K CONFIG` into plain files (checks nothing)
           and the same followed by `sync -f` (one syncfs: the floor of a durable download)
           vs the shell way, one file after the other: `curl -o TMP URL`,
           `sha256sum -c` of it, `mv` into place (a bash loop; and the same loop run 16 at
           once by `xargs -P16`)
  large  one file of --large-mib MiB (default 1024): `cas fetch HASH URL` (hashes while it
         writes, fsyncs the file before publishing it: the store's default durability) vs
         the same through the Python module with durability='none' (no fsync, as curl) vs
         `curl -o FILE URL` (no hash, no fsync) vs `curl -o FILE URL && sync FILE` (its fsync:
         the floor of a durable download) vs `curl -o FILE URL && sha256sum FILE`.
         Throughput = size / wall time.
  same   one file of --same-mib MiB (default 100) fetched by 8 `cas fetch` processes started
         at once into one empty store, vs one process alone; the GETs nginx logged for it are
         counted (the target: one).

Prints a markdown table of medians (min-max) and ratios; --out FILE also writes it there.
Results: bench/results/fetch.md.

With cas built in --build (cmake --build build --target cas-cli), nginx and curl installed:

  bench/fetch_bench.py --dir /var/tmp --rounds 5 --out bench/results/fetch.md
  bench/fetch_bench.py --dir /var/tmp --objects 100 --large-mib 64 --rounds 1   # smoke test
"""
import hashlib
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

from benchlib import add_build_option, argument_parser
from remote_bench import CPU, Nginx, fmt, fresh, make_objects, run_rounds, timed


def set_aside(path):
    """An empty directory at `path`, what was there renamed into DIR/fetch-bench/trash rather than
    deleted: ext4 without a journal scans past recently deleted inodes when it allocates one
    (recently_deleted()), so deleting each round's 1000 files between rounds made every later
    round slower, for curl as for cas."""
    trash = os.path.join(os.path.dirname(path), "trash")
    os.makedirs(trash, exist_ok=True)
    if os.path.exists(path):
        os.rename(path, os.path.join(trash, f"{os.path.basename(path)}.{time.monotonic_ns()}"))
    os.makedirs(path)
    subprocess.run(["sync"], check=True)


def write_list(path, url, objects):
    with open(path, "w") as f:
        for h, _ in objects:
            f.write(f"{h} {url}/cas/{h}\n")


SHELL_ONE = r"""set -e
h=$1; url=$2; dest=$3
tmp=$(mktemp -p "$dest" .part.XXXXXX)
curl -sS --fail -o "$tmp" "$url"
echo "$h  $tmp" | sha256sum -c --quiet -
mv "$tmp" "$dest/$h"
"""


def bench_list(args, nginx, work):
    objects = make_objects(os.path.join(work, "list-src"), args.objects, args.size)
    nginx.fill(objects)
    listing = os.path.join(work, "list.txt")
    write_list(listing, nginx.url, objects)
    store, out = os.path.join(work, "list-store"), os.path.join(work, "list-out")
    config = os.path.join(work, "get.curl")
    with open(config, "w") as f:
        for h, _ in objects:
            f.write(f'url = "{nginx.url}/cas/{h}"\noutput = "{out}/{h}"\n')
    one = os.path.join(work, "fetch-one.sh")
    with open(one, "w") as f:
        f.write(SHELL_ONE)
    loop = (f'while read -r h url; do bash {one} "$h" "$url" {out}; done < {listing}')
    xargs = f"xargs -P16 -n2 sh -c 'bash {one} \"$0\" \"$1\" {out}' < {listing}"
    contenders = {
        "cas fetch --list -j16": lambda: timed([args.cas, "--root", store, "-q", "fetch", "--list",
                                                listing, "-j", "16"]),
        "curl --parallel-max 16": lambda: timed(["curl", "-sS", "--no-progress-meter", "--fail",
                                                 "--parallel", "--parallel-max", "16", "-K",
                                                 config]),
        "curl --parallel-max 16, sync -f": lambda: timed(
            ["bash", "-c", f"curl -sS --no-progress-meter --fail --parallel --parallel-max 16 "
                           f"-K {config} && sync -f {out}"]),
        "shell: curl, sha256sum -c, mv": lambda: timed(["bash", "-c", loop]),
        "shell, xargs -P16": lambda: timed(["bash", "-c", xargs]),
    }
    return run_rounds(args, contenders, lambda: (set_aside(store), set_aside(out)))


def one_big_file(work, name, mib):
    """A file of `mib` MiB of random bytes; returns (hash, path)."""
    path = os.path.join(work, name)
    rng = random.Random(mib)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(mib):
            block = rng.randbytes(1 << 20)
            digest.update(block)
            f.write(block)
    return digest.hexdigest(), path


def bench_large(args, nginx, work):
    h, path = one_big_file(work, "large", args.large_mib)
    nginx.fill([(h, path)])
    os.remove(path)
    url = f"{nginx.url}/cas/{h}"
    store, out = os.path.join(work, "large-store"), os.path.join(work, "large-out")
    target = os.path.join(out, h)
    # cas::fetch without the fsync (Durability::none), through the Python module: curl does not
    # sync either.
    unsynced = (f"import directory; directory.Store({store!r}, durability='none')"
                f".fetch({h!r}, [{url!r}])")
    env = dict(os.environ, PYTHONPATH=os.path.join(args.build, "python"))
    contenders = {
        "cas fetch": lambda: timed([args.cas, "--root", store, "fetch", h, url]),
        "Store.fetch, durability none": lambda: timed([sys.executable, "-c", unsynced], env=env),
        "curl -o": lambda: timed(["curl", "-sS", "--fail", "-o", target, url]),
        "curl -o, sync FILE": lambda: timed(["bash", "-c", f"curl -sS --fail -o {target} {url} "
                                             f"&& sync {target}"]),
        "curl -o, sha256sum": lambda: timed(["bash", "-c", f"curl -sS --fail -o {target} {url} "
                                             f"&& sha256sum {target}"]),
    }
    return run_rounds(args, contenders, lambda: (fresh(store), fresh(out)))


def gets_logged(log, since, h):
    with open(log) as f:
        f.seek(since)
        return sum(1 for line in f if f"GET /cas/{h} " in line)


def bench_same(args, nginx, work, log):
    h, path = one_big_file(work, "same", args.same_mib)
    nginx.fill([(h, path)])
    os.remove(path)
    url = f"{nginx.url}/cas/{h}"
    store = os.path.join(work, "same-store")
    cmd = [args.cas, "--root", store, "fetch", h, url]
    gets = []

    def eight():
        since = os.path.getsize(log)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL) for _ in range(8)]
        if any([p.wait() != 0 for p in procs]):
            raise SystemExit("a cas fetch of the eight failed")
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the eight together
        timed.last_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        time.sleep(0.05)  # nginx writes its log line after the response
        gets.append(gets_logged(log, since, h))
        return wall

    contenders = {"one process": lambda: timed(cmd), "8 processes at once": eight}
    return run_rounds(args, contenders, lambda: fresh(store)), gets


def table(title, times, base_name, rate=None):
    lines = [title, "", "| contender | wall time | ratio to cas | CPU (user+sys) |" +
             (" throughput |" if rate else ""),
             "|---|---:|---:|---:|" + ("---:|" if rate else "")]
    base = statistics.median(times[base_name])
    for name, values in times.items():
        row = (f"| `{name}` | {fmt(values)} | {statistics.median(values) / base:.2f}x | "
               f"{statistics.median(CPU[name]):.2f} s |")
        if rate:
            row += f" {rate / statistics.median(values):.0f} MiB/s |"
        lines.append(row)
    return lines + [""]


def report(args, listed, large, same, gets):
    lines = []
    if listed:
        lines += table(f"### {args.objects} files of {args.size} bytes, 16 in flight "
                       f"(medians of {args.rounds}, min-max)", listed, "cas fetch --list -j16")
    if large:
        lines += table(f"### One file of {args.large_mib} MiB (medians of {args.rounds}, min-max)",
                       large, "cas fetch", rate=args.large_mib)
    if same:
        lines += table(f"### One file of {args.same_mib} MiB, 8 processes at once vs one alone "
                       f"(medians of {args.rounds}, min-max)", same, "one process")
        lines += [f"GETs of that file nginx logged per run of the eight: {gets}", ""]
    lines.append(f"Load average when the run ended: {os.getloadavg()[0]:.1f} (2 cores).")
    return "\n".join(lines) + "\n"


def main():
    p = argument_parser(__doc__)
    add_build_option(p)
    p.add_argument("--dir", required=True,
                   help="scratch directory: the run works in DIR/fetch-bench, made afresh")
    p.add_argument("--objects", type=int, default=1000, help="files of the list part")
    p.add_argument("--size", type=int, default=65536, help="bytes per file of the list part")
    p.add_argument("--large-mib", type=int, default=1024, help="MiB of the large part's file")
    p.add_argument("--same-mib", type=int, default=100, help="MiB of the eight processes' file")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", choices=("list", "large", "same"), help="one part only")
    p.add_argument("--out", help="also write the markdown table to this file")
    args = p.parse_args()
    work = os.path.join(args.dir, "fetch-bench")
    args.cas = os.path.join(args.build, "tools", "cas")
    fresh(work)
    log = os.path.join(work, "access.log")
    nginx = Nginx(work, access_log=log)
    listed = large = same = {}
    gets = []
    try:
        if args.only in (None, "list"):
            listed = bench_list(args, nginx, work)
        if args.only in (None, "large"):
            large = bench_large(args, nginx, work)
        if args.only in (None, "same"):
            same, gets = bench_same(args, nginx, work, log)
    finally:
        nginx.stop()
    text = report(args, listed, large, same, gets)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if not args.only:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
