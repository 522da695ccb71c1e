#!/usr/bin/env python3
"""Store-wide operations benchmark: cas purge / migrate / verify against the usual tools.

Is `cas purge` faster than `rm -rf`, `cas migrate` than the IPS method, `cas verify` than
sha256sum, on stores of 100k-200k files, and by the targets set for them?

Side by side, alternating the two contenders round by round so machine noise hits both alike,
on stores generated fresh for every run by cas-populate (file i holds a 100-byte payload and
is named by its sha256) under --dir (required: a scratch directory on the disk being measured,
not tmpfs):

  purge-v1   `cas purge` + sync          vs  `rm -rf` + sync        V1 store (default 200k)
  purge-v0   `cas purge` + sync          vs  `rm -rf` + sync        V0 store (default 100k)
  migrate    `cas migrate` + sync        vs  the IPS method + sync  V0 store (default 100k)
             (cas-ips-migrate: one thread, walk everything, then look up = rename each file
             and prune its directories)
  verify     `cas verify` (all cores)    vs  sha256sum (one process) and `xargs -P<cores>`
             warm cache, 4000 files of 256 KiB (hashing throughput, not metadata)

Cold runs: `sync; echo 3 > /proc/sys/vm/drop_caches` before each timed command (root only;
otherwise the table says the runs were NOT cold). Prints a markdown table of medians
(min-max) and ratios; --out FILE also writes it there. Results: bench/results/ops.md.

As root, with cas, cas-populate and cas-ips-migrate built in --build (cmake --build build
--target cas-cli cas-populate cas-ips-migrate):

  bench/ops_bench.py --dir /var/tmp/cas-ops-bench --rounds 3 --out bench/results/ops.md
  bench/ops_bench.py --dir /var/tmp/cas-ops-bench --only migrate --files-v0 20000 --rounds 1
"""
import os
import statistics
import subprocess
import sys
import time

from benchlib import add_build_option, argument_parser, drop_caches, sh


def timed(cmd, sync_after=True):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    if sync_after:
        sh(["sync"])
    return time.perf_counter() - t0


def populate(args, path, layout, files, size=100):
    if os.path.exists(path):
        sh(["rm", "-rf", path])
    sh([args.populate, "--layout", layout, "--files", str(files), "--size", str(size),
        "--threads", "16", path])
    sh(["sync"])


def fmt(times):
    med = statistics.median(times)
    return f"{med:.2f} s ({min(times):.2f}–{max(times):.2f})", med


def compare(args, name, layout, files, contenders):
    """contenders: list of (label, function(path) -> cmd). Returns result rows."""
    results = {label: [] for label, _ in contenders}
    cold = True
    for r in range(args.rounds):
        order = contenders if r % 2 == 0 else list(reversed(contenders))
        for label, make_cmd in order:
            path = os.path.join(args.dir, name)
            populate(args, path, layout, files)
            cold = drop_caches() and cold
            t = timed(make_cmd(path))
            results[label].append(t)
            print(f"  {name} round {r + 1}: {label}: {t:.2f} s", file=sys.stderr)
    sh(["rm", "-rf", os.path.join(args.dir, name)])
    return results, cold


def main():
    ap = argument_parser(__doc__)
    add_build_option(ap)
    ap.add_argument("--dir", required=True, help="scratch directory on the disk to measure")
    ap.add_argument("--rounds", type=int, default=3, help="runs per contender (default 3)")
    ap.add_argument("--files-v1", type=int, default=200000)
    ap.add_argument("--files-v0", type=int, default=100000)
    ap.add_argument("--only", action="append", choices=["purge-v1", "purge-v0", "migrate", "verify"])
    ap.add_argument("--out", help="also write the markdown table to this file")
    args = ap.parse_args()
    args.cas = os.path.join(args.build, "tools", "cas")
    args.populate = os.path.join(args.build, "bench", "cas-populate")
    args.ips = os.path.join(args.build, "bench", "cas-ips-migrate")
    os.makedirs(args.dir, exist_ok=True)
    only = set(args.only or ["purge-v1", "purge-v0", "migrate", "verify"])
    cores = os.cpu_count() or 1
    rows = []
    all_cold = True

    def cas(*a):
        return lambda p: [args.cas, "--root", p, "--quiet", *a]

    rm = lambda p: ["rm", "-rf", p]
    if "purge-v1" in only:
        res, cold = compare(args, "purge-v1", "v1", args.files_v1,
                            [("cas purge", cas("purge")), ("rm -rf", rm)])
        rows.append(("purge, V1 %dk, cold, + sync" % (args.files_v1 // 1000), res, "rm -rf", "cas purge", 3.5))
        all_cold &= cold
    if "purge-v0" in only:
        res, cold = compare(args, "purge-v0", "v0", args.files_v0,
                            [("cas purge", cas("purge")), ("rm -rf", rm)])
        rows.append(("purge, V0 %dk, cold, + sync" % (args.files_v0 // 1000), res, "rm -rf", "cas purge", 2.5))
        all_cold &= cold
    if "migrate" in only:
        res, cold = compare(args, "migrate", "v0", args.files_v0,
                            [("cas migrate", cas("migrate")), ("IPS method", lambda p: [args.ips, p])])
        rows.append(("migrate V0→V1, %dk, cold, + sync" % (args.files_v0 // 1000), res, "IPS method", "cas migrate", 1.5))
        all_cold &= cold
    if "verify" in only:
        path = os.path.join(args.dir, "verify")
        populate(args, path, "v1", 4000, size=256 * 1024)
        files = [os.path.join(dp, f) for dp, _, fs in os.walk(path) for f in fs]
        listfile = os.path.join(args.dir, "verify.list")
        with open(listfile, "wb") as f:
            f.write(b"\0".join(os.fsencode(x) for x in files) + b"\0")
        timed(["cat"] + files[:1])  # warm: read everything once
        sh(["sh", "-c", f"xargs -0 cat < {listfile} > /dev/null"])
        res = {"cas verify": [], "sha256sum": [], f"xargs -P{cores} sha256sum": []}
        for r in range(args.rounds):
            res["cas verify"].append(timed([args.cas, "--root", path, "--quiet", "verify"], False))
            res["sha256sum"].append(timed(["sh", "-c", f"xargs -0 sha256sum < {listfile}"], False))
            res[f"xargs -P{cores} sha256sum"].append(
                timed(["sh", "-c", f"xargs -0 -P{cores} -n 500 sha256sum < {listfile}"], False))
        rows.append(("verify, 4000 × 256 KiB, warm", res, "sha256sum", "cas verify", None))
        sh(["rm", "-rf", path, listfile])

    lines = ["| operation | contender | median (min–max) | ratio (baseline / cas) | target |",
             "|---|---|---|---|---|"]
    for title, res, base, ours, target in rows:
        base_med = statistics.median(res[base])
        ours_med = statistics.median(res[ours])
        for label, times in res.items():
            text, med = fmt(times)
            ratio = f"{base_med / ours_med:.2f}×" if label == ours else ""
            tgt = ""
            if label == ours and target:
                tgt = f"≥ {target}× {'met' if base_med / ours_med >= target else 'MISSED'}"
            if label == ours and title.startswith("verify"):
                eff = (base_med / cores) / ours_med
                tgt = f"{eff * 100:.0f}% of sha256sum × {cores} cores (target ≥ 80%)"
            lines.append(f"| {title} | {label} | {text} | {ratio} | {tgt} |")
    lines.append("")
    lines.append(f"{args.rounds} alternating rounds per contender; "
                 f"{'page cache dropped before each cold run' if all_cold else 'NOT cold: not root, caches not dropped'}.")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
