#!/usr/bin/env python3
"""Remote tier benchmark: cas pull / cas push against curl, on loopback, against one nginx.

Does cas pull or push objects as fast as curl does, and what does a read-through miss cost
beside the GET and the local publish it is made of?

Starts its own nginx (Debian nginx-light, WebDAV PUT, access log off) on 127.0.0.1 with a
configuration in DIR/remote-bench (--dir, required; made afresh at the start, removed after a
full run), generates --objects files of --size random bytes named by their sha256, and times,
round by round with the contenders' order alternating:

  pull   `cas pull -j16 --keep LIST` into an empty store (verifies every body, publishes each
         through the store's temp area, one syncfs at the end)
         vs `curl --parallel --parallel-max 16 -K CONFIG` into plain files (verifies nothing)
         vs one sequential `curl -K CONFIG` process over the same list
  push   `cas push -j16` of a store holding the objects into an empty server (HEADs the first
         64, then PUTs the rest with a HEAD for a sample of 16 per batch of 512: PushAsk)
         vs `curl --parallel --parallel-max 16 -K CONFIG` uploading the same files (-T)
  miss   one read-through miss (Store::open of a hash only the remote has) beside the GET alone
         and the local publish alone (bench/remote_miss.cpp, medians per object), with the
         default durability (fsync per file) and with none

Beside each contender's CPU time it reads the server's (nginx's master and workers, or the Swift
and memcached processes, from /proc) and prints the CPU floor: both CPU times over the machine's
CPUs, the shortest wall time the work allows when client and server share this machine.

Prints a markdown table of medians (min-max) and ratios; --out FILE also appends it there.
Run it in tmpfs (--dir /dev/shm) to compare the clients: on a disk, the cost of creating and
deleting 10k files moves every contender's time 2-3x from round to round.
Results: bench/results/remote.md.

With cas and cas-remote-miss built in --build (cmake --build build --target cas-cli
cas-remote-miss), nginx and curl installed:

  bench/remote_bench.py --dir /dev/shm --rounds 5 --out bench/results/remote.md
  bench/remote_bench.py --dir /var/tmp --objects 200 --rounds 1 --miss-count 20   # smoke test

--server s3 runs pull and push against an S3 bucket instead: OpenStack Swift's s3api on
loopback (bench/s3_server.py, Debian's swift-* packages), cas with --remote s3://BUCKET and the
AWS_* variables, curl with --aws-sigv4 and the same key (from a netrc: curl's --user would split
the access key test:tester at its ':'); a push's "empty server" is a new bucket. No miss part.

  bench/remote_bench.py --dir /dev/shm --server s3 --objects 10000 --rounds 3
"""
import hashlib
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

from benchlib import add_build_option, argument_parser


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx serving DIR/nginx/data on a free loopback port; access_log: a path to log every
    request to (what the fetch benchmark counts requests with), else no log; limit_rate: nginx's
    limit_rate (bytes/s per response, e.g. "1m"), to stand for a server slower than loopback."""

    def __init__(self, work, access_log=None, limit_rate=None):
        self.dir = os.path.join(work, "nginx")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(os.path.join(self.data, "cas"), exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        d = self.dir
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(f"""{user}daemon off;
worker_processes auto;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log {access_log or "off"};
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  keepalive_requests 1000000;
  client_max_body_size 0;
  server {{
    listen 127.0.0.1:{self.port};
    root {self.data};
    {f"limit_rate {limit_rate};" if limit_rate else ""}
    location /cas/ {{ dav_methods PUT; create_full_put_path on; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", d + "/", "-c", d + "/nginx.conf",
                                      "-e", d + "/error.log"])
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.01)
        raise SystemExit("nginx did not start: see " + d + "/error.log")

    def empty(self):
        shutil.rmtree(os.path.join(self.data, "cas"))
        os.makedirs(os.path.join(self.data, "cas"))

    def fill(self, objects):
        for h, path in objects:
            shutil.copyfile(path, os.path.join(self.data, "cas", h))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()


class NginxTarget:
    """The plain HTTP remote: nginx, addressed as BASE/cas/<hash>, no signing."""

    def __init__(self, work):
        self.nginx = Nginx(work)
        self.curl_opts = []
        self.env = None

    def base(self):
        return self.nginx.url

    def remote(self):
        return self.nginx.url

    def empty(self):
        self.nginx.empty()

    def fill(self, objects):
        self.nginx.fill(objects)

    def pids(self):
        return [self.nginx.proc.pid] + children_of(self.nginx.proc.pid)

    def stop(self):
        self.nginx.stop()


class S3Target:
    """An S3 bucket on OpenStack Swift (bench/s3_server.py): cas signs with the AWS_* variables,
    curl with --aws-sigv4 and the same key; "empty" is a new bucket."""

    def __init__(self, work):
        from s3_server import Swift
        self.swift = Swift(work)
        self.curl_opts = self.swift.curl_sigv4()
        self.env = self.swift.env
        self.bucket = self.swift.new_bucket()

    def base(self):
        return f"{self.swift.endpoint}/{self.bucket}"

    def remote(self):
        return f"s3://{self.bucket}"

    def empty(self):
        self.bucket = self.swift.new_bucket()

    def fill(self, objects):
        self.empty()
        config = os.path.join(self.swift.dir, "fill.curl")
        with open(config, "w") as f:
            for h, p in objects:
                f.write(f'upload-file = "{p}"\nurl = "{self.base()}/cas/{h}"\n')
        subprocess.run(["curl", "-sS", "--no-progress-meter", "--fail", "--parallel",
                        "--parallel-max", "16", "-K", config] + self.curl_opts,
                       check=True, stdout=subprocess.DEVNULL)

    def pids(self):
        return self.swift.pids()

    def stop(self):
        self.swift.stop()


CPU = {}  # contender -> CPU seconds (user + sys) of each run, beside the wall times
SERVER_CPU = {}  # contender -> CPU seconds the server's processes spent during each run


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def process_cpu(pids):
    """CPU seconds (user + sys) the processes have spent so far."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(cmd, env=None):
    """Wall seconds of cmd; its CPU seconds (and the server's, timed.server_pids) go to CPU and
    SERVER_CPU[cmd's contender] via run_rounds."""
    pids = timed.server_pids()
    s0 = process_cpu(pids)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed.last_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    timed.last_server_cpu = process_cpu(pids) - s0
    return wall


timed.server_pids = list


def fresh(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    subprocess.run(["sync"], check=True)


def make_objects(src, count, size):
    fresh(src)
    rng = random.Random(1)
    objects = []
    for i in range(count):
        data = rng.randbytes(size)
        path = os.path.join(src, str(i))
        with open(path, "wb") as f:
            f.write(data)
        objects.append((hashlib.sha256(data).hexdigest(), path))
    return objects


def fmt(values):
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def bench_pull(args, server, objects, work):
    server.empty()
    server.fill(objects)
    keep = os.path.join(work, "keep.txt")
    with open(keep, "w") as f:
        f.writelines(h + "\n" for h, _ in objects)
    out = os.path.join(work, "curl-out")
    config = os.path.join(work, "get.curl")
    with open(config, "w") as f:
        for h, _ in objects:
            f.write(f'url = "{server.base()}/cas/{h}"\noutput = "{out}/{h}"\n')
    store = os.path.join(work, "pulled")
    curl = ["curl", "-sS", "--no-progress-meter", "--fail"] + server.curl_opts
    contenders = {
        "cas pull -j16": lambda: timed([args.cas, "--root", store, "--remote", server.remote(),
                                        "pull", "-j", "16", "--keep", keep], env=server.env),
        "curl --parallel-max 16": lambda: timed(curl + ["--parallel", "--parallel-max", "16",
                                                        "-K", config]),
        "curl sequential": lambda: timed(curl + ["-K", config]),
    }
    return run_rounds(args, contenders, lambda: (fresh(store), fresh(out)))


def bench_push(args, server, objects, work):
    store = os.path.join(work, "pushing")
    fresh(store)
    paths = [p for _, p in objects]
    for i in range(0, len(paths), 1000):
        subprocess.run([args.cas, "--root", store, "put"] + paths[i:i + 1000], check=True,
                       stdout=subprocess.DEVNULL)
    config = os.path.join(work, "put.curl")

    def reset():  # an empty server; curl's list names its (S3: new) base
        server.empty()
        with open(config, "w") as f:
            for h, p in objects:
                f.write(f'upload-file = "{p}"\nurl = "{server.base()}/cas/{h}"\n')
        subprocess.run(["sync"])

    contenders = {
        "cas push -j16": lambda: timed([args.cas, "--root", store, "--remote", server.remote(),
                                        "push", "-j", "16"], env=server.env),
        "curl --parallel-max 16 -T": lambda: timed(
            ["curl", "-sS", "--no-progress-meter", "--fail", "--parallel", "--parallel-max", "16",
             "-K", config] + server.curl_opts),
    }
    return run_rounds(args, contenders, reset)


def run_rounds(args, contenders, reset):
    times = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            reset()
            times[name].append(contenders[name]())
            CPU.setdefault(name, []).append(timed.last_cpu)
            SERVER_CPU.setdefault(name, []).append(timed.last_server_cpu)
            print(f"  round {r + 1}: {name}: {times[name][-1]:.2f} s "
                  f"(cpu {timed.last_cpu:.2f} s, server cpu {timed.last_server_cpu:.2f} s)",
                  file=sys.stderr)
    return times


def bench_miss(args, server, work):
    rows = []
    for durability in ("file", "none"):
        server.empty()
        out = subprocess.run([args.miss, "--url", server.base(), "--dir", os.path.join(work, "miss"),
                              "--count", str(args.miss_count), "--durability", durability],
                             check=True, capture_output=True, text=True).stdout
        fields = dict(kv.split("=") for kv in out.split())
        rows.append((durability, {k: float(v) for k, v in fields.items()}))
    return rows


def report(args, pull, push, miss):
    n, size = args.objects, args.size
    where = "loopback nginx" if args.server == "nginx" else "S3 (Swift s3api) on loopback"
    lines = [f"### cas pull / push of {n} objects of {size} bytes, {where} "
             f"(medians of {args.rounds}, min-max)", "",
             "| operation | contender | wall time | ratio to cas | CPU (user+sys) | server CPU "
             "| CPU floor |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for op, times, cas_name in (("pull", pull, "cas pull -j16"), ("push", push, "cas push -j16")):
        if not times:
            continue
        base = statistics.median(times[cas_name])
        for name, values in times.items():
            ratio = statistics.median(values) / base
            cpu = statistics.median(CPU[name])
            server = statistics.median(SERVER_CPU[name])
            floor = (cpu + server) / os.cpu_count()
            lines.append(f"| {op} | `{name}` | {fmt(values)} | {ratio:.2f}x | {cpu:.2f} s | "
                         f"{server:.2f} s | {floor:.2f} s |")
    lines += ["", "CPU floor: (the client's CPU + the server's) / the CPUs: the shortest wall time "
              f"those CPU seconds allow on this machine's {os.cpu_count()} CPUs, client and server "
              "sharing them."]
    lines += ["", f"Load average when the run ended: {os.getloadavg()[0]:.1f} (2 cores)."]
    if not miss:
        return "\n".join(lines) + "\n"
    lines += ["", f"### One read-through miss, {size} bytes (medians of {args.miss_count - 1} "
              "objects, µs)", "",
              "| durability | GET alone | local publish (put) | GET + publish | read-through miss |",
              "|---|---:|---:|---:|---:|"]
    for durability, f in miss:
        lines.append(f"| {durability} | {f['get']:.0f} | {f['publish']:.0f} | "
                     f"{f['get'] + f['publish']:.0f} | {f['read_through']:.0f} |")
    return "\n".join(lines) + "\n"


def main():
    p = argument_parser(__doc__)
    add_build_option(p)
    p.add_argument("--dir", required=True,
                   help="scratch directory on the disk to measure: the run works in "
                        "DIR/remote-bench, made afresh")
    p.add_argument("--objects", type=int, default=10000, help="objects pulled and pushed")
    p.add_argument("--size", type=int, default=4096, help="bytes per object")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--miss-count", type=int, default=300, help="objects of the miss part")
    p.add_argument("--only", choices=("pull", "push", "miss"),
                   help="one part only")
    p.add_argument("--out", help="also append the markdown table to this file")
    p.add_argument("--server", choices=("nginx", "s3"), default="nginx",
                   help="the remote: nginx (plain HTTP), or an S3 bucket on OpenStack Swift "
                        "(bench/s3_server.py; cas and curl both sign with SigV4; no miss part)")
    args = p.parse_args()
    args.dir = os.path.join(args.dir, "remote-bench")
    args.cas = os.path.join(args.build, "tools", "cas")
    args.miss = os.path.join(args.build, "bench", "cas-remote-miss")
    fresh(args.dir)
    server = NginxTarget(args.dir) if args.server == "nginx" else S3Target(args.dir)
    timed.server_pids = server.pids
    miss_part = args.server == "nginx" and args.only in (None, "miss")
    try:
        objects = make_objects(os.path.join(args.dir, "src"), args.objects, args.size)
        pull = bench_pull(args, server, objects, args.dir) if args.only in (None, "pull") else {}
        push = bench_push(args, server, objects, args.dir) if args.only in (None, "push") else {}
        miss = bench_miss(args, server, args.dir) if miss_part else []
    finally:
        server.stop()
    text = report(args, pull, push, miss)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write(text)
    shutil.rmtree(args.dir)


if __name__ == "__main__":
    main()
