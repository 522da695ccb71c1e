#!/usr/bin/env python3
"""Store-wide operations at scale: walk, verify, trim, purge and migrate of V0 and V1 stores of
1M+ files, each side by side with the tool people use for it today, cold cache.

How do cas's store-wide operations compare with the usual tools at 1M and 10M files, and is
each contender bound by the CPU or by the device?

For every size and layout (stores made by cas-populate: file i holds a 100-byte payload and
is named by its sha256), under --dir (required) on the filesystem being measured:

  walk     pfind                 vs  fdfind -uu --type f  and  find ! -type d
  verify   cas verify            vs  xargs -0 -P<cores> sha256sum over a list of the same files
                                     (made beforehand: sha256sum is not charged for the walk)
  trim     cas trim to half      vs  find -printf | sort -n | head | cut | xargs rm -f
           the bytes                 (the oldest half; cas-populate --age-spread 30 gives the files
                                     times over 30 days, the same for every run's fresh store)
  purge    cas purge             vs  rm -rf                 (a fresh store for every run)
  migrate  cas migrate (V0 only) vs  cas-ips-migrate: the IPS method, one thread, walk then
                                     rename each file (a fresh V0 store for every run)

Every run is cold (`sync; echo 3 > /proc/sys/vm/drop_caches` first; root), is timed up to and
including a `sync`, and records user+sys CPU and the device's completed reads, writes and
discards (/proc/diskstats): CPU near cores × wall says CPU-bound, reads/s near the device's
IOPS says I/O-bound. Contenders alternate, their order rotating each round; medians are
reported. Each contender's result is checked after its first timed run: the walkers must list
every file (their output is read through a pipe and its lines counted, every run), trim, purge
and migrate must leave what they should, and every command must exit 0. Results are written to
--out after every operation: bench/results/store-ops/<filesystem>-<size>.md (ext4-1M.md,
ext4-10M.md).

As root, with cas, pfind, cas-populate and cas-ips-migrate built in --build (cmake --build
build --target cas-cli pfind cas-populate cas-ips-migrate), fd-find installed:

  bench/scale_ops_bench.py --dir /var/tmp/cas-scale-ops --sizes 1000000 --rounds 3 \\
      --out bench/results/store-ops/ext4-1M.md
  bench/scale_ops_bench.py --dir /var/tmp/cas-scale-smoke --sizes 2000 --rounds 1 --warm
      # a smoke test: small, warm, the table on stdout

--make-fs ext4|xfs (root) runs on a filesystem made for the run instead: a sparse image of
--fs-size in --fs-image-dir (default: the directory holding --dir), on a direct-I/O loop
device, mounted at --dir and removed at the end, made as cas-bench makes it (ext4: no journal,
`inline_data`, 256-byte inodes, --fs-inodes inodes; xfs: mkfs defaults) but mounted without
`discard` (the loop device serializes them).
Stores of 10M files need it: a V0 store of 10M files takes 20M inodes, more than this machine's
/ has free.
"""
import atexit
import datetime
import os
import platform
import shlex
import signal
import subprocess
import sys
import time

from benchlib import (add_build_option, argument_parser, drop_caches, device_of, load, median_of,
                      run_measured, sh)

DAYS = 30


def count_files(args, path):
    """Files under path, counted by pfind: os.walk, one directory at a time, takes half an hour
    over a cold 10M-file V0 store (see write_list). pfind's own count is checked against
    find's and fd's in the walk comparison."""
    out = subprocess.run([args.pfind, "--count", "--type", "f", path], check=True,
                         capture_output=True, text=True).stdout
    return int(out.split()[0])


def remove_store(args, path):
    """Removes a store between runs: `cas purge` keeps many unlinks in flight, where `rm -rf` of a
    10M-file store would wait for each one's discard in turn (17 minutes here)."""
    if os.path.isdir(path):
        sh([args.cas, "--root", path, "--quiet", "purge"])
    sh(["rm", "-rf", path])


def leave(args, *paths):
    """Marks what an operation leaves behind, removed before the next store is made (or at the
    end): on a --make-fs filesystem the last one goes with the filesystem, unremoved."""
    args.leftovers += paths


def clear_leftovers(args):
    for path in args.leftovers:
        remove_store(args, path)
    args.leftovers = []


def populate(args, path, layout, files, age_days=0):
    clear_leftovers(args)
    remove_store(args, path)
    sh([args.populate, "--layout", layout, "--files", str(files), "--size", "100",
        "--threads", "16", "--age-spread", str(age_days), path], stdout=subprocess.DEVNULL)
    sh(["sync"])


def compare(args, title, contenders, prepare, check, count_lines=False):
    """contenders: [(label, make(path) -> (cmd, shell))]. prepare(label) -> path readied for
    one run; check(label, path, run) raises if that run's result is wrong (round 1 only);
    count_lines: the run's output is read and its lines counted into run["lines"]."""
    if args.contenders:
        args.known_labels |= {label for label, _ in contenders}
        contenders = [c for c in contenders if c[0] in args.contenders]
        if not contenders:
            return
    runs = {label: [] for label, _ in contenders}
    loads = [load().split()[0]]
    for r in range(args.rounds):
        order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
        for label, make in order:
            path = prepare(label)
            args.cold &= not args.warm and drop_caches()
            cmd, shell = make(path)
            run = run_measured(cmd, args.device, shell=shell, count_lines=count_lines)
            runs[label].append(run)
            print(f"  {title}, round {r + 1}: {label}: {run['s']:.2f} s, cpu {run['cpu']:.2f} s, "
                  f"reads {run['reads']}, discards {run['discards']}", file=sys.stderr)
            if r == 0:
                check(label, path, run)
    loads.append(load().split()[0])
    args.tables.append((title, runs, contenders[0][0], loads))
    write_report(args)


def write_list(args, store, listfile):
    """Lists the store's files for sha256sum (untimed), NUL-separated, in pfind's order (roughly
    the inodes' order, if anything kinder to sha256sum than find's): os.walk, one directory at
    a time, takes half an hour over a cold 10M-file V0 store."""
    out = subprocess.run([args.pfind, "-0", store], check=True, capture_output=True).stdout
    with open(listfile, "wb") as f:
        for record in out.split(b"\0"):
            if record:
                f.write(record.split(b"\t", 1)[1] + b"\0")


def walk_and_verify(args, files, layout, size):
    store = os.path.join(args.dir, f"ro-{layout}-{files}")
    populate(args, store, layout, files)
    listfile = store + ".list"
    if "verify" in args.ops:
        write_list(args, store, listfile)
    if "walk" in args.ops:
        walkers = [("pfind", lambda p: ([args.pfind, p], False)),
                   ("fd -uu", lambda p: (["fdfind", "-uu", "--type", "f", ".", p], False)),
                   ("find", lambda p: (["find", p, "!", "-type", "d"], False))]
        def check(label, _, run):  # each must list every file
            if run["lines"] != files:
                raise RuntimeError(f"{label} listed {run['lines']} of {files} files")

        compare(args, f"walk, {size}", walkers, lambda _: store, check, count_lines=True)
    if "verify" in args.ops:
        sha = f"xargs -0 -P{args.cores} -n 2000 sha256sum < {shlex.quote(listfile)}"
        verifiers = [("cas verify", lambda p: ([args.cas, "--root", p, "--quiet", "verify"], False)),
                     (f"xargs -P{args.cores} sha256sum", lambda p: (sha, True))]
        compare(args, f"verify, {size}", verifiers, lambda _: store, lambda *_: None)
    leave(args, store, listfile)


def trim(args, files, layout, size):
    run = os.path.join(args.dir, "trim-run")
    remove = files - files // 2
    shell = (f"find {{p}} -type f -printf '%T@ %s %p\\n' | sort -n | head -n {remove}"
             " | cut -d' ' -f3- | xargs -d '\\n' rm -f")
    trimmers = [("cas trim", lambda p: ([args.cas, "--root", p, "--quiet", "trim", "--max-size",
                                         str(files // 2 * 100), "--low-water", "100"], False)),
                ("find | sort | rm", lambda p: (shell.format(p=shlex.quote(p)), True))]

    def prepare(_):  # the same store each time: file i gets the same age
        populate(args, run, layout, files, age_days=DAYS)
        return run

    def check(label, p, _):
        left = count_files(args, p)
        if left != files // 2:
            raise RuntimeError(f"{label} left {left} files, not {files // 2}")

    compare(args, f"trim to half, {size}", trimmers, prepare, check)
    leave(args, run)


def destructive(args, files, layout, size, op):
    path = os.path.join(args.dir, f"{op}-run")
    cas = lambda *a: (lambda p: ([args.cas, "--root", p, "--quiet", *a], False))
    if op == "purge":
        contenders = [("cas purge", cas("purge")), ("rm -rf", lambda p: (["rm", "-rf", p], False))]
        want = 0
    else:
        contenders = [("cas migrate", cas("migrate")), ("IPS method", lambda p: ([args.ips, p], False))]
        want = files

    def prepare(_):
        populate(args, path, layout, files)
        return path

    def check(label, p, _):
        left = count_files(args, p) if os.path.exists(p) else 0
        if left != want:
            raise RuntimeError(f"{label} left {left} files, not {want}")
        if op == "migrate":
            deep = [d for d, _, fs in os.walk(p) if fs and d.count("/") != p.count("/") + 1]
            if deep:
                raise RuntimeError(f"{label} left files outside V1 buckets, e.g. in {deep[0]}")

    compare(args, f"{op}, {size}", contenders, prepare, check)
    leave(args, path)


def make_fs(args):
    """Makes, mounts at args.dir, and arranges to remove, the --make-fs filesystem."""
    image = os.path.join(args.fs_image_dir, f"cas-scale-ops-{os.getpid()}.img")
    sh(["truncate", "-s", args.fs_size, image])
    atexit.register(lambda: os.path.exists(image) and os.remove(image))
    if args.make_fs == "ext4":
        sh(["mkfs.ext4", "-q", "-F", "-I", "256", "-O", "^has_journal,inline_data", "-N",
            str(args.fs_inodes), "-E", "lazy_itable_init=1,nodiscard", image])
    else:
        sh(["mkfs.xfs", "-q", "-f", image])
    # The loop device does direct I/O: a buffered one reads through the image's page cache in its
    # worker, caching each block twice, and a parallel walker got half the reads/s of a direct-I/O
    # one here (pfind over a cold 300k-file V0 store: 9.9-11.0 s against 4.5-5.8 s). It is
    # mounted without `discard`: the loop device turns each discard into a punch-hole of the
    # image, one at a time, which would bound every contender alike (cas migrate of 100k V0
    # files: 12.3 s mounted `discard`, 3.8 s without).
    loop = subprocess.run(["losetup", "--find", "--show", "--direct-io=on", image], check=True,
                          capture_output=True, text=True).stdout.strip()
    atexit.register(lambda: subprocess.run(["losetup", "-d", loop]))
    os.makedirs(args.dir, exist_ok=True)
    sh(["mount", loop, args.dir])
    atexit.register(lambda: subprocess.run(["umount", args.dir]))
    for sig in (signal.SIGTERM, signal.SIGHUP):  # atexit runs on SystemExit, not on a signal
        signal.signal(sig, lambda *_, s=sig: sys.exit(128 + s))
    args.fs_note = f" (made for this run: {args.make_fs} on a sparse {args.fs_size} image, " \
                   "on a direct-I/O loop device, mounted without `discard`)"


def write_report(args):
    lines = [f"# Store-wide operations at scale, {args.started:%Y-%m-%d %H:%M} UTC", "",
             f"- machine: {args.machine}", f"- filesystem: {args.fs}",
             f"- command: `{args.command}`",
             f"- {args.rounds} rounds, contenders alternating; every run "
             + ("cold (page cache dropped before it)" if args.cold else "NOT cold (--warm, or not root)")
             + " and timed up to and including `sync`; medians", ""]
    lines += ["| operation | contender | wall s, median (min–max) | ÷ first | CPU s | CPU/wall "
              "| device reads | reads/s | discards | load (1 min) before → after |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for title, runs, ref, loads in args.tables:
        ref_s = median_of(runs[ref], "s")
        for label, rs in runs.items():
            s, cpu = median_of(rs, "s"), median_of(rs, "cpu")
            walls = [r["s"] for r in rs]
            name = label.replace("|", "\\|")
            lines.append(f"| {title} | {name} | {s:.2f} ({min(walls):.2f}–{max(walls):.2f}) "
                         f"| {s / ref_s:.2f}× | {cpu:.2f} | {cpu / s:.2f} "
                         f"| {median_of(rs, 'reads'):.0f} | {median_of(rs, 'reads') / s:.0f} "
                         f"| {median_of(rs, 'discards'):.0f} | {loads[0]} → {loads[1]} |")
    elapsed = time.time() - args.t0
    lines += ["", f"Run time so far: {elapsed / 60:.0f} min."]
    text = "\n".join(lines) + "\n"
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text)


def describe(args):
    with open("/proc/meminfo") as f:
        mem = f.readline().split()[1]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    args.machine = f"{args.cores} CPUs ({cpu}), {mem} kB RAM, Linux {platform.release()}"
    fs = subprocess.run(["findmnt", "-no", "FSTYPE,SOURCE,OPTIONS", "-T", args.dir],
                        capture_output=True, text=True).stdout.strip()
    args.fs = f"{args.dir}: {fs}{args.fs_note}"


def main():
    ap = argument_parser(__doc__)
    add_build_option(ap)
    ap.add_argument("--dir", required=True,
                    help="scratch directory on the filesystem to measure (with --make-fs: where "
                         "the filesystem is mounted)")
    ap.add_argument("--sizes", default="1000000", help="store sizes, comma-separated (default: 1M)")
    ap.add_argument("--layouts", default="v0,v1", help="v0, v1 or both (default: both)")
    ap.add_argument("--ops", default="walk,verify,trim,purge,migrate",
                    help="which operations (default: all)")
    ap.add_argument("--rounds", type=int, default=3, help="runs per contender (default 3)")
    ap.add_argument("--contenders", help="only these, by their label, comma-separated (e.g. "
                    "pfind,'cas verify'; default: all; a name no --ops has is an error, after the run): "
                    "to rerun one whose run was disturbed")
    ap.add_argument("--make-fs", choices=["ext4", "xfs"], help="run on a scratch filesystem (root)")
    ap.add_argument("--fs-size", default="60G", help="its image's size (default: %(default)s)")
    ap.add_argument("--fs-inodes", type=int, default=24_000_000,
                    help="inodes of a --make-fs ext4 (default: %(default)s)")
    ap.add_argument("--fs-image-dir",
                    help="where the --make-fs image lives (default: the directory holding --dir)")
    ap.add_argument("--warm", action="store_true",
                    help="do not drop the page cache (a smoke test; the report says NOT cold)")
    ap.add_argument("--out", help="markdown file for the results (default: stdout at the end)")
    args = ap.parse_args()
    args.fs_image_dir = args.fs_image_dir or os.path.dirname(os.path.abspath(args.dir))
    args.ops = set(args.ops.split(","))
    args.contenders = set(args.contenders.split(",")) if args.contenders else None
    args.known_labels = set()
    args.cas = os.path.join(args.build, "tools", "cas")
    args.pfind = os.path.join(args.build, "tools", "pfind")
    args.populate = os.path.join(args.build, "bench", "cas-populate")
    args.ips = os.path.join(args.build, "bench", "cas-ips-migrate")
    args.cores = os.cpu_count() or 1
    args.cold, args.tables, args.t0, args.leftovers = True, [], time.time(), []
    args.started = datetime.datetime.utcnow()
    args.command = " ".join(shlex.quote(a) for a in sys.argv)
    args.fs_note = ""
    if args.make_fs:
        make_fs(args)
    os.makedirs(args.dir, exist_ok=True)
    args.device = device_of(args.dir)
    describe(args)
    for files in (int(s) for s in args.sizes.split(",")):
        for layout in args.layouts.split(","):
            size = f"{layout.upper()} " + (f"{files // 10**6}M" if files >= 10**6 else f"{files // 1000}k")
            if args.ops & {"walk", "verify"}:
                walk_and_verify(args, files, layout, size)
            if "trim" in args.ops:
                trim(args, files, layout, size)
            if "purge" in args.ops:
                destructive(args, files, layout, size, "purge")
            if "migrate" in args.ops and layout == "v0":
                destructive(args, files, layout, size, "migrate")
    if not args.make_fs:
        clear_leftovers(args)
    write_report(args)
    if args.contenders and args.contenders - args.known_labels:
        sys.exit(f"scale_ops_bench: no contender named {', '.join(sorted(args.contenders - args.known_labels))}"
                 f" in --ops {','.join(sorted(args.ops))} (there: {', '.join(sorted(args.known_labels))})")


if __name__ == "__main__":
    main()
