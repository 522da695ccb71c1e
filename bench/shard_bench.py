#!/usr/bin/env python3
"""Sharded remote benchmark: how evenly weighted rendezvous hashing spreads hashes over servers,
how many move when a server is added, and whether `cas pull` gets faster with more servers.

  placement  100k sha256 hashes over 2, 3 and 4 equal servers: each shard's size against an
             even share (target: within 10%); then over 1:2:3 weights against weight/sum; the
             fraction of hashes that move when a 4th server joins 3 (target: at most 30%, all
             onto the new one). The placement is the documented formula
             (include/cas/sharded_remote.hpp: sha256("URL\\nhash"), 53 bits, weight / -ln u),
             computed here with hashlib; the pull part checks that cas places as this script
             does (a hash placed elsewhere would be missing).
  pull       `cas pull -j16 --keep LIST` of --objects objects of --size bytes into an empty
             store from 1, 2 and 3 loopback nginx servers (--remote given once per server), each
             server holding its share as placed above; wall and CPU (user+sys) time per round,
             the orders alternating. On loopback the servers share the client's cores: this
             shows whether the client scales until its own CPU bounds it. --server-rate R
             limits each nginx (limit_rate R per response), standing for servers slower than
             loopback: objects larger than R bytes are slowed (nginx lets a second's worth go
             at once).

Uses remote_bench.py's nginx (WebDAV, access log off). Prints a markdown section; --out FILE
appends it to FILE (bench/results/remote.md, under "Shards"). With cas-cli built in --build:

  bench/shard_bench.py --dir /var/tmp --rounds 5 --out bench/results/remote.md
  bench/shard_bench.py --dir /var/tmp --objects 500 --rounds 1       # smoke test
  bench/shard_bench.py --dir /dev/shm --rounds 3 --servers 4 --objects 100 --size 16777216 \
      --server-rate 4m                                                  # servers as the bound
"""
import datetime
import hashlib
import math
import os
import shutil
import statistics
import subprocess
import sys

from benchlib import add_build_option, argument_parser, load
from remote_bench import Nginx, fresh, make_objects, timed


def draw(name, h):
    """u in (0, 1): the first 53 bits of sha256(name + "\\n" + h), centred."""
    x = int.from_bytes(hashlib.sha256(f"{name}\n{h}".encode()).digest()[:8], "big") >> 11
    return (x + 0.5) / 2 ** 53


def place(h, shards):
    """Index of the shard (name, weight) that holds h: the highest weight / -ln(u)."""
    best, best_score = 0, -1.0
    for i, (name, weight) in enumerate(shards):
        score = weight / -math.log(draw(name, h))
        if score > best_score or (score == best_score and name < shards[best][0]):
            best, best_score = i, score
    return best


def placement_rows(count):
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(count)]
    rows = []
    for weights in ([1, 1], [1, 1, 1], [1, 1, 1, 1], [1, 2, 3]):
        shards = [(f"http://cache-{i}:8080", w) for i, w in enumerate(weights)]
        sizes = [0] * len(shards)
        for h in hashes:
            sizes[place(h, shards)] += 1
        expected = [count * w / sum(weights) for w in weights]
        worst = max(abs(s - e) / e for s, e in zip(sizes, expected))
        rows.append((":".join(map(str, weights)), sizes, worst))
    three = [(f"http://cache-{i}:8080", 1) for i in range(3)]
    four = three + [("http://cache-3:8080", 1)]
    moved = onto_new = 0
    for h in hashes:
        before, after = place(h, three), place(h, four)
        if before != after:
            moved += 1
            onto_new += after == 3
    return rows, moved / count, onto_new == moved


def bench_pull(args, servers, objects):
    keep = os.path.join(args.dir, "keep.txt")
    with open(keep, "w") as f:
        f.writelines(h + "\n" for h, _ in objects)
    store = os.path.join(args.dir, "pulled")
    counts = list(range(1, len(servers) + 1))
    wall = {n: [] for n in counts}
    cpu = {n: [] for n in counts}
    for r in range(args.rounds):
        for n in (counts if r % 2 == 0 else counts[::-1]):
            shards = [(s.url, 1) for s in servers[:n]]
            for s in servers:
                s.empty()
            for h, path in objects:  # hard links: emptying a server then trims no blocks
                os.link(path, os.path.join(servers[place(h, shards)].data, "cas", h))
            fresh(store)
            cmd = [args.cas, "--root", store]
            for s in servers[:n]:
                cmd += ["--remote", s.url]
            wall[n].append(timed(cmd + ["pull", "-j", "16", "--keep", keep]))
            cpu[n].append(timed.last_cpu)
            # timed() exits on a failed pull; this checks that cas placed every hash where this
            # script put it (asking again finds them all in the store, and requests nothing).
            again = subprocess.run(cmd + ["pull", "--keep", keep], check=True,
                                   capture_output=True, text=True).stdout
            if f"already_present={len(objects)} " not in again:
                raise SystemExit(f"{n} servers: not every object was fetched: {again}")
            print(f"  round {r + 1}: {n} servers: {wall[n][-1]:.2f} s (cpu {cpu[n][-1]:.2f} s)",
                  file=sys.stderr)
    return wall, cpu


def report(args, placement, pull, load_before):
    rows, moved, all_onto_new = placement
    lines = [f"## Shards ({datetime.date.today().isoformat()})", "",
             f"`bench/shard_bench.py {' '.join(sys.argv[1:])}`", "",
             f"### Placement of {args.hashes} sha256 hashes (weighted rendezvous hashing)", "",
             "| weights | shard sizes | worst deviation from weight/sum | target |",
             "|---|---|---:|---|"]
    for weights, sizes, worst in rows:
        lines.append(f"| {weights} | {', '.join(map(str, sizes))} | {worst * 100:.1f}% | "
                     f"<= 10%: {'met' if worst <= 0.10 else 'MISSED'} |")
    lines += ["", f"Adding a 4th server to 3 moved {moved * 100:.1f}% of the hashes "
              f"({'all' if all_onto_new else 'NOT all'} onto the new server; target <= 30%, "
              f"expected 25%).", ""]
    if pull:
        wall, cpu = pull
        base = statistics.median(wall[1])
        rate = f", each sending at most {args.server_rate}B/s per response" if args.server_rate else ""
        lines += [f"### `cas pull -j16` of {args.objects} objects of {args.size} bytes from 1-"
                  f"{args.servers} loopback nginx servers{rate} (medians of {args.rounds}, "
                  "min-max)", "",
                  "| servers | wall time | speed-up over 1 | CPU (user+sys) of cas |",
                  "|---:|---:|---:|---:|"]
        for n in wall:
            w = statistics.median(wall[n])
            lines.append(f"| {n} | {w:.2f} s ({min(wall[n]):.2f}-{max(wall[n]):.2f}) | "
                         f"{base / w:.2f}x | {statistics.median(cpu[n]):.2f} s |")
    lines += ["", f"Load average (1, 5, 15 min) before: {load_before}; after: {load()} "
              f"(2 cores, {os.cpu_count()} CPUs seen).", ""]
    return "\n".join(lines)


def main():
    p = argument_parser(__doc__)
    add_build_option(p)
    p.add_argument("--dir", required=True,
                   help="scratch directory: the run works in DIR/shard-bench, made afresh")
    p.add_argument("--hashes", type=int, default=100000, help="hashes of the placement part")
    p.add_argument("--objects", type=int, default=10000, help="objects pulled")
    p.add_argument("--size", type=int, default=4096, help="bytes per object")
    p.add_argument("--servers", type=int, default=3, help="pull from 1..N servers")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--server-rate", metavar="RATE",
                   help="nginx limit_rate of each server (bytes/s per response, e.g. 1m): servers "
                        "slower than loopback, as remote ones are, so that adding one adds speed "
                        "until the client's CPU bounds the pull")
    p.add_argument("--no-pull", action="store_true", help="the placement part only")
    p.add_argument("--out", help="also append the markdown section to this file")
    args = p.parse_args()
    args.dir = os.path.join(args.dir, "shard-bench")
    args.cas = os.path.join(args.build, "tools", "cas")
    load_before = load()
    placement = placement_rows(args.hashes)
    pull = None
    if not args.no_pull:
        fresh(args.dir)
        servers = [Nginx(os.path.join(args.dir, f"s{i}"), limit_rate=args.server_rate)
                   for i in range(args.servers)]
        try:
            objects = make_objects(os.path.join(args.dir, "src"), args.objects, args.size)
            pull = bench_pull(args, servers, objects)
        finally:
            for s in servers:
                s.stop()
        shutil.rmtree(args.dir)
    text = report(args, placement, pull, load_before)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
