#!/usr/bin/env python3
"""Refactor check: the same benchmarks run by the code before and after a change, side by side.

Did a change make pfind's walk or the layout benchmark's operations slower?

Two checks, each alternating the OLD and the NEW build run by run (the order flips every round,
so machine noise and cache state hit both alike):

  walk     pfind (OLD/tools/pfind, NEW/tools/pfind) on a warm store, stdout to /dev/null, after
           one warm-up run each; GNU find on the same tree as a reference. Wall time, and
           user+sys CPU from wait4.
  layout   cas-bench --quick (OLD/bench/cas-bench, NEW/bench/cas-bench), each run writing its
           own --out directory and both sharing one --bench-dir (the stores are built once and
           kept, also when a run fails, so a store that lost files can be examined). Per
           (operation, size, layout): the median across runs of each run's µs per operation,
           min-max, and the ratio new/old.

Prints a markdown table on stdout (the rounds on stderr). Results: the layout check in
bench/results/layout/refactor-check.md, the walk check at the end of bench/results/walk.md.

OLD is a checkout of the code before the change, built; --new is this repository's build by
default (cmake --build build --target pfind cas-bench in both). --tree is a store to walk
(e.g. one walk_bench.py made, or cas-populate's), warm; --dir a scratch directory for the
layout check:

  bench/refactor_check.py walk --old OLD/build --tree /var/tmp/cas-walk/v0 --rounds 15
  bench/refactor_check.py layout --old OLD/build --dir /var/tmp/cas-refactor --runs 3
"""
import csv
import os
import statistics
import subprocess
import sys
import time

from benchlib import DEFAULT_BUILD, argument_parser, load, run_measured


def run_timed(cmd):
    """Runs cmd with stdout to /dev/null; returns (wall s, user+sys s)."""
    run = run_measured(cmd, None, sync_after=False)
    return run["s"], run["cpu"]


def summary(values, digits=3):
    med = statistics.median(values)
    return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})", med


def walk(args):
    contenders = [
        ("pfind old", [os.path.join(args.old, "tools/pfind"), args.tree]),
        ("pfind new", [os.path.join(args.new, "tools/pfind"), args.tree]),
        ("find", ["find", args.tree, "!", "-type", "d", "-printf", "%i\t%p\n"]),
    ]
    for _, cmd in contenders:  # warm-up: the cache, and each binary's pages
        run_timed(cmd)
    wall = {label: [] for label, _ in contenders}
    cpu = {label: [] for label, _ in contenders}
    loads = [load()]
    for r in range(args.rounds):
        order = contenders if r % 2 == 0 else list(reversed(contenders))
        for label, cmd in order:
            w, c = run_timed(cmd)
            wall[label].append(w)
            cpu[label].append(c)
        print(f"round {r + 1}: " + ", ".join(f"{l} {wall[l][-1]:.3f}" for l, _ in contenders),
              file=sys.stderr)
    loads.append(load())
    old = statistics.median(wall["pfind old"])
    print(f"\nwarm walk of {args.tree}, {args.rounds} alternating rounds, load {loads}\n")
    print("| tool | wall s, median (min–max) | ratio to pfind old | CPU s (user+sys), median |")
    print("|---|---|---|---|")
    for label, _ in contenders:
        text, med = summary(wall[label])
        print(f"| {label} | {text} | {med / old:.3f} | {statistics.median(cpu[label]):.3f} |")


def read_csv(path):
    """{(operation, files, layout): us_per_op} of one cas-bench run."""
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            out[(row["operation"], int(row["files"]), row["layout"])] = float(row["us_per_op"])
    return out


def layout(args):
    builds = [("old", args.old), ("new", args.new)]
    runs = {"old": [], "new": []}
    loads = [load()]
    stores = os.path.join(args.dir, "stores")
    for r in range(args.runs):
        order = builds if r % 2 == 0 else list(reversed(builds))
        for label, build in order:
            out = os.path.join(args.dir, f"{label}-{r + 1}")
            cmd = [os.path.join(build, "bench/cas-bench"), "--quick", "--no-chart",
                   "--bench-dir", stores, "--out", out]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            print(f"run {r + 1} {label}: {time.perf_counter() - t0:.0f} s, load {load()}",
                  file=sys.stderr)
            runs[label].append(read_csv(os.path.join(out, "results.csv")))
    loads.append(load())
    print_layout(args, runs, loads)


def print_layout(args, runs, loads):
    ops = args.operations.split(",")
    keys = sorted({k for k in runs["old"][0] if k[0] in ops and k[2] in args.layouts.split(",")},
                  key=lambda k: (ops.index(k[0]), k[2], k[1]))
    print(f"\ncas-bench --quick, {args.runs} alternating runs each, load {loads}\n")
    print("| operation | layout | files | old µs/op, median (min–max) | new µs/op, median "
          "(min–max) | new/old |")
    print("|---|---|---:|---|---|---:|")
    for key in keys:
        old_text, old_med = summary([run[key] for run in runs["old"]], 1)
        new_text, new_med = summary([run[key] for run in runs["new"]], 1)
        print(f"| {key[0]} | {key[2]} | {key[1]} | {old_text} | {new_text} | "
              f"{new_med / old_med:.2f} |")


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("check", choices=["walk", "layout"])
    parser.add_argument("--old", required=True, help="build directory of the old code")
    parser.add_argument("--new", default=DEFAULT_BUILD,
                        help="build directory of the new code (default: this repository's, "
                             "%(default)s)")
    parser.add_argument("--tree", help="walk (required): the store to walk")
    parser.add_argument("--rounds", type=int, default=15, help="walk: alternating rounds")
    parser.add_argument("--dir", help="layout (required): work directory, the stores kept there")
    parser.add_argument("--runs", type=int, default=3, help="layout: runs of each build")
    parser.add_argument("--operations", default="insert,remove,open_hit,open_miss")
    parser.add_argument("--layouts", default="v1,v0")
    args = parser.parse_args()
    needed = {"walk": "tree", "layout": "dir"}[args.check]
    if getattr(args, needed) is None:
        parser.error(f"{args.check} needs --{needed}")
    walk(args) if args.check == "walk" else layout(args)


if __name__ == "__main__":
    main()
