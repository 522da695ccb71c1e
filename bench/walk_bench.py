#!/usr/bin/env python3
"""Walk benchmark: pfind against fd (Debian fd-find) and GNU find on generated V0/V1 stores.

How much faster does pfind list a store than the tools people use, cold and warm, and how does
it scale with its thread count?

Generates (once, reused afterwards) a V0 store (h[0:2]/h[2:8]/h) and a V1 store (h[0:2]/h) of
N files of 100 bytes with sha256-like random hex names under --root (required: a directory on
the disk being measured, not tmpfs). Then, alternating the tools round by round so that machine
noise hits them alike:

  * cold runs: `sync; echo 3 > /proc/sys/vm/drop_caches` before each run (root only; otherwise
    the runs are labelled NOT cold), with the reads the device completed (/proc/diskstats);
  * warm runs: the same commands with the cache hot;
  * pfind's scaling with the thread count (cold and warm), and inode order on/off.

Prints markdown tables of medians (min-max), ratios and peak RSS on stdout (--json FILE also
writes the raw runs). Every tool prints one line per non-directory: pfind `<inode>\\t<path>`,
find -printf '%i\\t%p\\n', fd the path. Results: bench/results/walk.md (the tables, the
machine and the command).

As root, pfind built (cmake --build build --target pfind), fd-find installed:

  bench/walk_bench.py --root /var/tmp/cas-bench                      # everything, 5 rounds
  bench/walk_bench.py --root /var/tmp/cas-bench --rounds 3 --skip scaling
  bench/walk_bench.py --root /var/tmp/cas-walk-smoke --files 2000 --rounds 1 \\
      --threads 1,4 --memory-dirs 1000                               # a smoke test
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (DEFAULT_BUILD, argument_parser, device_name, device_of, disk_counters,
                      drop_caches)


def generate(path, layout, files, seed=1):
    """Creates the store at `path` unless it exists (built in path.partial, then renamed)."""
    if os.path.isdir(path):
        return
    tmp = path + ".partial"
    if os.path.exists(tmp):
        subprocess.run(["rm", "-rf", tmp], check=True)
    os.makedirs(tmp)
    rng = random.Random(seed)
    data = b"x" * 100
    made = set()
    t0 = time.time()
    for _ in range(files):
        h = "%064x" % rng.getrandbits(256)
        d = os.path.join(tmp, h[0:2]) if layout == "v1" else os.path.join(tmp, h[0:2], h[2:8])
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        fd = os.open(os.path.join(d, h), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)
    os.rename(tmp, path)
    subprocess.run(["sync"], check=True)
    print(f"generated {path} ({files} files) in {time.time() - t0:.1f} s", file=sys.stderr)


def generate_dirs(path, dirs):
    """A tree of `dirs` empty directories, 256 top-level (for the memory bound)."""
    if os.path.isdir(path):
        return
    tmp = path + ".partial"
    subprocess.run(["rm", "-rf", tmp], check=True)
    os.makedirs(tmp)
    per = (dirs + 255) // 256
    for a in range(256):
        top = os.path.join(tmp, "%02x" % a)
        os.mkdir(top)
        for b in range(per):
            os.mkdir(os.path.join(top, "%06x" % b))
    os.rename(tmp, path)


IS_ROOT = os.geteuid() == 0


def run_once(cmd, device, cold):
    if cold:
        drop_caches()
    # Peak RSS through GNU time: ru_maxrss of a child forked from this Python process would
    # count the interpreter's own pages from before the exec.
    with tempfile.NamedTemporaryFile("r") as rss:
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss.name] + cmd
        reads0 = disk_counters(device)["reads"]
        t0 = time.perf_counter()
        proc = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - t0
        reads = disk_counters(device)["reads"] - reads0
        fields = rss.read().split()
    if proc.returncode != 0:
        print(f"warning: {cmd[0]} exited {proc.returncode}: {proc.stderr[:200]!r}", file=sys.stderr)
    rss_kb, user, system = (int(fields[-3]), float(fields[-2]), float(fields[-1])) if len(fields) >= 3 else (0, 0, 0)
    return {"s": elapsed, "reads": reads, "rss_kb": rss_kb, "cpu": user + system}


def measure(commands, device, cold, rounds):
    """commands: {label: argv}. Runs them alternating, `rounds` times; returns {label: [runs]}."""
    results = {label: [] for label in commands}
    labels = list(commands)
    for r in range(rounds):
        # Rotate the order each round so no tool always runs first after the previous one.
        order = labels[r % len(labels):] + labels[: r % len(labels)]
        for label in order:
            results[label].append(run_once(commands[label], device, cold))
            last = results[label][-1]
            print(f"  {label:28s} {'cold' if cold else 'warm'} round {r + 1}: {last['s']:.3f} s, "
                  f"cpu {last['cpu']:.2f} s, {last['reads']} reads, {last['rss_kb']} KiB",
                  file=sys.stderr)
    return results


def med(runs, key="s"):
    return statistics.median(r[key] for r in runs)


def fmt_time(runs):
    xs = [r["s"] for r in runs]
    return f"{statistics.median(xs):.2f} s ({min(xs):.2f}–{max(xs):.2f})"


def table(title, results, ref, with_reads):
    lines = [f"**{title}**", ""]
    head = "| tool | median (min–max), n=%d | ratio to %s | CPU (user+sys) | peak RSS |" % (
        len(next(iter(results.values()))), ref)
    if with_reads:
        head += " device reads (median) |"
    lines.append(head)
    lines.append("|---|---|---|---|---|" + ("---|" if with_reads else ""))
    for label, runs in results.items():
        ratio = med(runs) / med(results[ref])
        row = (f"| {label} | {fmt_time(runs)} | {ratio:.2f}× | {med(runs, 'cpu'):.2f} s "
               f"| {med(runs, 'rss_kb') / 1024:.1f} MiB |")
        if with_reads:
            row += f" {int(med(runs, 'reads'))} |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def main():
    ap = argument_parser(__doc__)
    ap.add_argument("--pfind", default=os.path.join(DEFAULT_BUILD, "tools", "pfind"),
                    help="the pfind binary (default: this repository's, %(default)s)")
    ap.add_argument("--root", required=True,
                    help="where the stores are made and kept for later runs (on the disk to "
                         "measure, not tmpfs)")
    ap.add_argument("--files", type=int, default=200000, help="files per store (default 200k)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    ap.add_argument("--threads", default="1,2,4,8,16,32,64,128", help="scaling thread counts")
    ap.add_argument("--skip", default="", help="comma list of: v0,v1,cold,warm,scaling,order,memory")
    ap.add_argument("--memory-dirs", type=int, default=1000000,
                    help="directories of the peak-memory tree (default 1M)")
    ap.add_argument("--json", help="also write raw results here")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    pfind = os.path.abspath(args.pfind)

    os.makedirs(args.root, exist_ok=True)
    stores = {}
    for layout in ("v0", "v1"):
        if layout in skip:
            continue
        stores[layout] = os.path.join(args.root, f"{layout}-{args.files}")
        generate(stores[layout], layout, args.files)
    device = device_of(args.root)
    name = device_name(device)
    out = []
    raw = {}
    if not IS_ROOT:
        out.append("> Not root: the page cache could NOT be dropped; 'cold' runs below are warm.\n")
    threads = os.environ.get("CAS_WALK_THREADS", "built-in default")
    out.append(f"Machine: {os.cpu_count()} CPUs; stores under {args.root} on /dev/{name}; "
               f"{args.files} files of 100 bytes; `pfind` runs with {threads} threads; "
               f"{args.rounds} alternating rounds.\n")

    for layout, store in stores.items():
        commands = {
            "pfind": [pfind, store],
            "fd -uu (fd-find 8.6)": ["fdfind", "-uu", "--type", "f", ".", store],
            "find -printf '%i\\t%p\\n'": ["find", store, "!", "-type", "d", "-printf", "%i\t%p\n"],
        }
        for cold in (True, False):
            if ("cold" if cold else "warm") in skip:
                continue
            kind = "cold" if cold else "warm"
            print(f"{layout} {kind}", file=sys.stderr)
            if not cold:
                run_once(commands["pfind"], device, False)  # warm the cache
            res = measure(commands, device, cold, args.rounds)
            raw[f"{layout}-{kind}"] = res
            out.append(table(f"{layout.upper()} store, {args.files} files, {kind} cache", res, "pfind", cold))

    if "order" not in skip and "v0" in stores:
        print("inode order", file=sys.stderr)
        commands = {
            "pfind (inode order)": [pfind, stores["v0"]],
            "pfind --no-inode-order": [pfind, "--no-inode-order", stores["v0"]],
        }
        res = measure(commands, device, True, args.rounds)
        raw["order"] = res
        out.append(table("V0 cold: subdirectories in inode order vs readdir order", res,
                         "pfind (inode order)", True))

    if "scaling" not in skip and "v0" in stores:
        counts = [int(x) for x in args.threads.split(",")]
        for cold in (True, False):
            if ("cold" if cold else "warm") in skip:
                continue
            kind = "cold" if cold else "warm"
            print(f"scaling {kind}", file=sys.stderr)
            commands = {f"pfind -j {j}": [pfind, "-j", str(j), stores["v0"]] for j in counts}
            if not cold:
                run_once(commands[f"pfind -j {counts[-1]}"], device, False)
            res = measure(commands, device, cold, max(3, args.rounds - 2))
            raw[f"scaling-{kind}"] = res
            out.append(table(f"pfind thread scaling, V0 {kind}", res, f"pfind -j {counts[-1]}", cold))

    if "memory" not in skip:
        tree = os.path.join(args.root, f"dirs-{args.memory_dirs}")
        print(f"memory: generating {tree} if needed", file=sys.stderr)
        generate_dirs(tree, args.memory_dirs)
        commands = {f"pfind -j {j}": [pfind, "-j", str(j), tree] for j in (8, 64)}
        run_once(commands["pfind -j 64"], device, False)
        res = measure(commands, device, False, 1)
        raw["memory"] = res
        out.append(table(f"Peak memory, {args.memory_dirs} directories (warm)", res, "pfind -j 64", False))

    print("\n".join(out))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
