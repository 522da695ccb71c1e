#!/usr/bin/python3
"""Benchmark: directory.pfind from Python against os.walk and an os.scandir walker.

How much faster does a Python program list a store through the `directory` module's pfind
than through os.walk or os.scandir, cold and warm?

Lists every non-directory of a V0 store (h[0:2]/h[2:8]/h: about one directory per file, the
layout where walking costs most), each tool in a fresh process, alternating tools round by
round so machine noise hits them alike:

  * cold: `sync; echo 3 > /proc/sys/vm/drop_caches` before each run (root only; otherwise the
    cold runs are skipped);
  * warm: the same listing with the cache hot (after one unmeasured warm-up walk).

Tools, each producing one item per non-directory:
  pfind     sum(1 for _ in directory.pfind(root))   (inode, path) tuples; the walker's default
            thread count unless --threads
  scandir   a stack of os.scandir() calls, yielding (entry.inode(), entry.path) for
            non-directories (d_type and d_ino, no stat)
  os.walk   os.walk(root), yielding os.path.join(dirpath, name) for each non-directory name
            (paths only: inodes would need an lstat per file)
  pfind-cli the C++ pfind tool writing `<inode>\\t<path>` lines to /dev/null (reference, with
            --pfind-cli)

The time is measured inside the child around the walk (interpreter start-up and import are
excluded). Prints markdown tables on stdout: medians (min-max) and the ratio to pfind.
Results: no file in bench/results/; the tables and the commands are kept in src/python/README.md
(its benchmark section).

With the Python module built (cmake --build build --target cas-python cas-populate pfind), as
root for the cold runs:

  build/bench/cas-populate --layout v0 --files 200000 /var/tmp/cas-pybench/v0-200k
  PYTHONPATH=build/python bench/pfind_python_bench.py /var/tmp/cas-pybench/v0-200k \\
      --rounds 3 --pfind-cli build/tools/pfind
"""
import os
import statistics
import subprocess
import sys
import time

from benchlib import argument_parser, drop_caches

CHILD = r"""
import os, sys, time
tool, root, threads = sys.argv[1], sys.argv[2], sys.argv[3]

def scandir_walk(top):
    stack = [top]
    while stack:
        path = stack.pop()
        try:
            it = os.scandir(path)
        except OSError:
            continue
        with it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    yield entry.inode(), entry.path

def os_walk(top):
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames:
            yield os.path.join(dirpath, name)

if tool == "pfind":
    import directory
    gen = directory.pfind(root, threads=int(threads) if threads != "default" else None)
elif tool == "scandir":
    gen = scandir_walk(root)
elif tool == "os.walk":
    gen = os_walk(root)
else:
    raise SystemExit("unknown tool " + tool)
t0 = time.perf_counter()
n = 0
for _ in gen:
    n += 1
print(n, time.perf_counter() - t0)
"""

# Other benchmarks on this machine drop caches too; never overlap with them.
OTHER_BENCHMARKS = ("cas-bench", "walk_bench", "ops_bench", "cas-benchmarks", "cas-ops-bench")


def wait_for_other_benchmarks():
    me = os.getpid()
    warned = False
    while True:
        busy = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) in (me, os.getppid()):
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(name in cmd for name in OTHER_BENCHMARKS) and "pfind_python_bench" not in cmd:
                busy.append(cmd.strip()[:80])
        if not busy:
            return
        if not warned:
            print("waiting for other benchmarks to finish: %s" % busy, file=sys.stderr)
            warned = True
        time.sleep(10)


def run_python(tool, root, threads):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, tool, root, threads],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout.split()
    return int(out[0]), float(out[1])


def run_cli(pfind, root, threads):
    cmd = [pfind, root] + ([] if threads == "default" else ["-j", threads])
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=null)
        elapsed = time.perf_counter() - t0
    count = int(subprocess.run(cmd + ["--count"], check=True, stdout=subprocess.PIPE).stdout)
    return count, elapsed


def measure(tool, args):
    if tool == "pfind-cli":
        return run_cli(args.pfind_cli, args.root, args.threads)
    return run_python(tool, args.root, args.threads)


def summary(times):
    return "%.2f s (%.2f-%.2f)" % (statistics.median(times), min(times), max(times))


def main():
    p = argument_parser(__doc__)
    p.add_argument("root", help="the store to walk (on the disk being measured)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", default="default", help="pfind threads (default: the walker's)")
    p.add_argument("--pfind-cli", help="also time this C++ pfind binary")
    p.add_argument("--skip", choices=["cold", "warm"], action="append", default=[])
    args = p.parse_args()

    import directory  # fail early if PYTHONPATH is wrong

    tools = ["pfind", "scandir", "os.walk"] + (["pfind-cli"] if args.pfind_cli else [])
    modes = [m for m in ("cold", "warm") if m not in args.skip]
    if "cold" in modes and os.geteuid() != 0:
        print("not root: cannot drop caches, skipping cold runs", file=sys.stderr)
        modes.remove("cold")

    threads = args.threads if args.threads != "default" else str(directory.default_walk_threads())
    print("# pfind from Python vs os.walk vs os.scandir: %s, %d rounds, pfind threads %s, "
          "Python %s" % (args.root, args.rounds, threads, sys.version.split()[0]))
    counts = {}
    for mode in modes:
        times = {t: [] for t in tools}
        if mode == "warm":
            run_python("scandir", args.root, args.threads)  # warm the cache
        for r in range(args.rounds):
            order = tools if r % 2 == 0 else list(reversed(tools))
            for tool in order:
                if mode == "cold":
                    wait_for_other_benchmarks()
                    drop_caches()
                count, elapsed = measure(tool, args)
                expected = counts.setdefault("any", count)
                if count != expected:
                    raise SystemExit("%s listed %d entries, expected %d" % (tool, count, expected))
                times[tool].append(elapsed)
                print("  %s round %d %-9s %.2f s" % (mode, r + 1, tool, elapsed), file=sys.stderr)
        base = statistics.median(times["pfind"])
        print("\n## %s cache (%d entries)\n" % (mode, counts["any"]))
        print("| tool | median (min-max) | time / pfind's |")
        print("|---|---|---|")
        for tool in tools:
            med = statistics.median(times[tool])
            print("| %s | %s | %.2fx |" % (tool, summary(times[tool]), med / base))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
