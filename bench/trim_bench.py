#!/usr/bin/env python3
"""Trim benchmark: cas::trim against the shell way, its peak memory, and the cost of a lookup.

How much faster than `find | sort | rm` does cas::trim bring a cold store to half its size,
how much memory does it take as the store grows, and what does marking a file used add to a
lookup hit? Three parts, each run side by side with its contenders alternating run by run:

  time    Trim a COLD V1 store (default 200k files of 100 bytes, mtimes random over 30 days) to
          half its size: `cas-trim-bench --max-bytes HALF --low-water 1.0 RUN` against
            find RUN -type f -printf '%T@ %s %p\\n' | sort -n | head -n K | cut -d' ' -f3- |
                xargs -d '\\n' rm -f
          (K = half the files), both followed by `sync` inside the timing. Before each run the
          store is reset from a master copy (--reset link: `cp -al master run`, hard links, so
          an unlink frees no blocks; --reset copy: `cp -a master run`, real files, so each
          unlink frees blocks and, on a `discard` mount, sends a discard), then `sync` and
          drop_caches. The first round checks that both leave the same files. Reports wall
          time, user+sys CPU, device reads and discards (/proc/diskstats).
  rss     Peak RSS (/usr/bin/time -f '%M KB %e s') of the same trim at several store sizes.
  lookup  Store::lookup hit, warm, V1 store of 10k files: the library before the cache policy
          (--old-include/--old-lib), after it with fresh files (no touch) and with stale files
          (each lookup touches), and the syscall floors (lstat, utimensat, both). Each contender
          is a process (bench/lookup_cost.cpp, built against each library with the same flags)
          doing --passes passes over the store; the processes alternate.

Each part prints a markdown table on stdout (the rounds on stderr). Results:
bench/results/trim.md (every part's tables, with the commands that made them).

As root (drop_caches), with cas-populate, cas-trim-bench and libcas.a built in --build
(cmake --build build --target cas-populate cas-trim-bench cas), in a scratch --dir on the
disk to measure:

  bench/trim_bench.py time --dir /var/tmp/cas-trim --rounds 5
  bench/trim_bench.py time --dir /var/tmp/cas-trim --rounds 3 --reset copy
  bench/trim_bench.py rss --dir /var/tmp/cas-trim --sizes 100000,200000,1000000
  bench/trim_bench.py lookup --dir /var/tmp/cas-trim --old-include OLD/include \\
      --old-lib OLD/build/libcas.a --rounds 9     # OLD: a checkout of the code before
  bench/trim_bench.py time --dir /var/tmp/cas-trim-smoke --files 2000 --rounds 1   # smoke
"""
import os
import random
import statistics
import subprocess
import sys
import time

from benchlib import (add_build_option, argument_parser, device_of, drop_caches, load,
                      run_measured, sh)

DAYS = 30


def set_random_mtimes(root, seed):
    """Gives every file under root a random mtime (ns resolution) within the last DAYS days."""
    rng = random.Random(seed)
    now = time.time_ns()
    span = DAYS * 86400 * 10**9
    n = 0
    for d in sorted(os.listdir(root)):
        sub = os.path.join(root, d)
        for name in sorted(os.listdir(sub)):
            t = now - rng.randrange(span)
            os.utime(os.path.join(sub, name), ns=(t, t))
            n += 1
    return n


def master(args, files):
    """The master V1 store of `files` files with random mtimes, built once."""
    path = os.path.join(args.dir, f"master-v1-{files}")
    done = path + ".done"
    if not os.path.exists(done):
        sh(["rm", "-rf", path])
        sh([os.path.join(args.build, "bench/cas-populate"), "--layout", "v1", "--files",
            str(files), "--size", "100", "--threads", "16", path])
        set_random_mtimes(path, seed=files)
        sh(["sync"])
        open(done, "w").close()
    return path


def reset(args, src, run):
    if os.path.exists(run):
        sh(["rm", "-rf", run])
    sh(["cp", "-al" if args.reset == "link" else "-a", src, run])
    if not drop_caches():
        sys.exit("trim_bench: dropping the page cache needs root")


def listing(root):
    out = []
    for d in sorted(os.listdir(root)):
        out += [f"{d}/{n}" for n in sorted(os.listdir(os.path.join(root, d)))]
    return out


def contenders(args, files):
    half_bytes = files * 100 // 2
    keep = files // 2
    trim = [os.path.join(args.build, "bench/cas-trim-bench"), "--max-bytes", str(half_bytes),
            "--low-water", "1.0"]
    shell = ("find {run} -type f -printf '%T@ %s %p\\n' | sort -n | head -n " + str(files - keep)
             + " | cut -d' ' -f3- | xargs -d '\\n' rm -f")
    return [("cas trim", lambda run: (trim + [run], False)),
            ("find | sort | rm", lambda run: (shell.format(run=run), True))]


def time_part(args):
    files = args.files
    src = master(args, files)
    run = os.path.join(args.dir, "run")
    device = device_of(args.dir)
    results = {}
    leftovers = {}
    loads = [load()]
    for r in range(args.rounds):
        cs = contenders(args, files)
        for label, make in (cs if r % 2 == 0 else list(reversed(cs))):
            reset(args, src, run)
            cmd, shell = make(run)
            m = run_measured(cmd, device, shell=shell, capture=True)
            left = sum(len(os.listdir(os.path.join(run, d))) for d in os.listdir(run))
            results.setdefault(label, []).append((m["s"], m["cpu"], m["reads"], m["discards"],
                                                  left))
            if r == 0:
                leftovers[label] = listing(run)
            removed = m["out"].split("\n")[2] if m["out"] else ""
            print(f"round {r + 1} {label}: {m['s']:.2f} s, cpu {m['cpu']:.2f} s, reads "
                  f"{m['reads']}, discards {m['discards']}, left {left} {removed}",
                  file=sys.stderr)
    loads.append(load())
    same = leftovers["cas trim"] == leftovers["find | sort | rm"]
    print_time(args, results, loads, same, len(leftovers["cas trim"]))


def med(values, digits=2):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–" \
           f"{max(values):.{digits}f})"


def print_time(args, results, loads, same, left):
    print(f"\ntrim a cold V1 store of {args.files} files to half, reset by "
          f"{'cp -al (hard links)' if args.reset == 'link' else 'cp -a (copies)'}, "
          f"{args.rounds} alternating rounds, load {loads}")
    print(f"same files left by both (round 1): {same} ({left} files)\n")
    print("| contender | wall s incl. sync, median (min–max) | ratio to cas trim | CPU s "
          "(user+sys) | device reads | discards | files left |")
    print("|---|---|---:|---|---:|---:|---:|")
    base = statistics.median(x[0] for x in results["cas trim"])
    for label, rows in results.items():
        cols = list(zip(*rows))
        print(f"| {label} | {med(cols[0])} | {statistics.median(cols[0]) / base:.2f} | "
              f"{med(cols[1])} | {statistics.median(cols[2]):.0f} | "
              f"{statistics.median(cols[3]):.0f} | {statistics.median(cols[4]):.0f} |")


def rss_part(args):
    run = os.path.join(args.dir, "run")
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = {s: [] for s in sizes}
    for s in sizes:
        master(args, s)
    for r in range(args.rounds):
        for s in (sizes if r % 2 == 0 else list(reversed(sizes))):
            reset(args, master(args, s), run)
            cmd = ["/usr/bin/time", "-f", "%M KB %e s", os.path.join(args.build,
                   "bench/cas-trim-bench"), "--max-bytes", str(s * 100 // 2), "--low-water",
                   "1.0", run]
            p = subprocess.run(cmd, check=True, capture_output=True, text=True)
            kb, secs = p.stderr.strip().split("\n")[-1].split(" KB ")
            removed = [l for l in p.stdout.split("\n") if l.startswith("removed_files")][0]
            rows[s].append((int(kb) / 1024, float(secs.split()[0])))
            print(f"round {r + 1} {s}: {int(kb) / 1024:.1f} MiB, {secs}, {removed}",
                  file=sys.stderr)
    sh(["rm", "-rf", run])
    print(f"\npeak RSS of cas-trim-bench (trim to half, cold), {args.rounds} rounds, load "
          f"{load()}\n")
    print("| store files | peak RSS MiB, median (min–max) | wall s, median |")
    print("|---:|---|---:|")
    for s in sizes:
        cols = list(zip(*rows[s]))
        print(f"| {s} | {med(cols[0], 1)} | {statistics.median(cols[1]):.2f} |")


def build_lookup_cost(args, name, include, lib):
    out = os.path.join(args.dir, name)
    here = os.path.dirname(os.path.abspath(__file__))
    sh(["c++", "-O3", "-DNDEBUG", "-std=gnu++20", f"-I{include}",
        f"-I{os.path.join(here, '../tools/common')}", f'-DCAS_VERSION="{name}"',
        os.path.join(here, "lookup_cost.cpp"), "-o", out, lib, "-lboost_filesystem",
        "-lcrypto"])
    return out


def lookup_part(args):
    here = os.path.dirname(os.path.abspath(__file__))
    old = build_lookup_cost(args, "lookup-cost-old", args.old_include, args.old_lib)
    new = build_lookup_cost(args, "lookup-cost-new", os.path.join(here, "../include"),
                            os.path.join(args.build, "libcas.a"))
    store = os.path.join(args.dir, "lookup-v1-10000")
    sh(["rm", "-rf", store])
    sh([os.path.join(args.build, "bench/cas-populate"), "--files", "10000", store])
    sh(["sync"])
    cs = [("old lookup", old, "lookup"), ("new lookup, fresh files", new, "lookup"),
          ("new lookup, stale files (touch)", new, "lookup-stale"),
          ("floor: lstat", new, "lstat"), ("floor: utimensat", new, "utimensat"),
          ("floor: lstat + utimensat", new, "lstat+utimensat")]
    results = {c[0]: [] for c in cs}
    for r in range(args.rounds):
        # Rotate the order each round; "fresh" always follows a contender that leaves the
        # files fresh (every mode but the old lookup does; the old one leaves them as found).
        order = cs[r % len(cs):] + cs[:r % len(cs)]
        for label, exe, mode in order:
            p = subprocess.run([exe, "--mode", mode, "--passes", str(args.passes), store],
                               check=True, capture_output=True, text=True)
            f = p.stdout.split()
            results[label].append(float(f[f.index("median_us") + 1]))
            print(f"round {r + 1} {label}: {p.stdout.strip()}", file=sys.stderr)
    print_lookup(args, results)


def print_lookup(args, results):
    print(f"\nlookup hit, warm, V1 store of 10000 files, {args.rounds} alternating processes "
          f"of {args.passes} passes each (median of each process's passes), load {load()}\n")
    print("| contender | µs per op, median (min–max) | ratio to old lookup |")
    print("|---|---|---:|")
    base = statistics.median(results["old lookup"])
    for label, us in results.items():
        print(f"| {label} | {med(us)} | {statistics.median(us) / base:.2f} |")


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("part", choices=["time", "rss", "lookup"])
    add_build_option(parser)
    parser.add_argument("--dir", required=True,
                        help="work directory on the disk to measure (stores are kept there)")
    parser.add_argument("--files", type=int, default=200000, help="time: store size")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reset", choices=["link", "copy"], default="link")
    parser.add_argument("--sizes", default="100000,200000,1000000", help="rss: store sizes")
    parser.add_argument("--passes", type=int, default=5, help="lookup: passes per process")
    parser.add_argument("--old-include", help="lookup (required): include/ of the code before")
    parser.add_argument("--old-lib", help="lookup (required): libcas.a of the code before")
    args = parser.parse_args()
    if args.part == "lookup" and not (args.old_include and args.old_lib):
        parser.error("lookup needs --old-include and --old-lib (the code before)")
    os.makedirs(args.dir, exist_ok=True)
    {"time": time_part, "rss": rss_part, "lookup": lookup_part}[args.part](args)


if __name__ == "__main__":
    main()
