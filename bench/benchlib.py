"""What every Python script in bench/ shares: the repository's build directory as the default
--build, one command-line parser (--help shows the script's docstring), cold caches, device
counters from /proc/diskstats (the one parser of it in Python), and one timed run of a command
with its CPU and I/O. Results of the scripts go to bench/results/ (each script's docstring
names its files); this module writes nothing."""
import argparse
import os
import statistics
import subprocess
import time

# The repository holding this file, and its build directory as tools/setup.sh makes it: the
# default of every script's --build, whatever directory the script is started from.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BUILD = os.path.join(REPO, "build")


def argument_parser(doc):
    """An argparse parser whose --help prints `doc` (the script's docstring) as written: what
    the script answers, how to run it, where its results go."""
    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_build_option(parser):
    parser.add_argument("--build", default=DEFAULT_BUILD,
                        help="cas build directory (default: this repository's build/, "
                             "%(default)s)")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def drop_caches():
    """sync, then drop the page cache; False when not root (the run is then NOT cold)."""
    sh(["sync"])
    if os.geteuid() != 0:
        return False
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    return True


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def device_of(path):
    """(major, minor) of the block device holding `path`; for a partition or loop device this
    is the device whose counters the run moves."""
    st = os.stat(path)
    return os.major(st.st_dev), os.minor(st.st_dev)


def diskstats(device):
    """The /proc/diskstats fields of `device` ((major, minor)) as strings, or None when the
    kernel does not list it (tmpfs, btrfs's anonymous devices)."""
    with open("/proc/diskstats") as f:
        for line in f:
            x = line.split()
            if (int(x[0]), int(x[1])) == device:
                return x
    return None


def device_name(device):
    """The kernel's name of `device` ("vda"), or None when it is not a listed block device."""
    x = diskstats(device)
    return x[2] if x else None


def disk_counters(device):
    """Completed reads, writes and discards of `device` (0 for fields the kernel lacks, and all
    0 for a device it does not list)."""
    x = diskstats(device)
    if x is None:
        return {"reads": 0, "writes": 0, "discards": 0}
    return {"reads": int(x[3]), "writes": int(x[7]), "discards": int(x[14]) if len(x) > 14 else 0}


def count_newlines(stream):
    n = 0
    while chunk := stream.read(1 << 20):
        n += chunk.count(b"\n")
    return n


def run_measured(cmd, device, shell=False, sync_after=True, capture=False, count_lines=False):
    """Runs cmd (then `sync` when sync_after) and returns wall seconds, user+sys CPU seconds of
    cmd and its children, and the device's reads/writes/discards during the run (none when
    device is None; and stdout when capture; its number of lines, read as it comes and not
    kept, when count_lines). Raises on a non-zero exit."""
    before = disk_counters(device) if device is not None else {}
    t0 = time.perf_counter()
    piped = capture or count_lines
    proc = subprocess.Popen(cmd, shell=shell, text=capture,
                            stdout=subprocess.PIPE if piped else subprocess.DEVNULL)
    out = proc.stdout.read() if capture else None
    lines = count_newlines(proc.stdout) if count_lines else None
    _, status, usage = os.wait4(proc.pid, 0)
    if sync_after:
        sh(["sync"])
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd} failed with status {os.waitstatus_to_exitcode(status)}")
    after = disk_counters(device) if device is not None else {}
    run = {"s": wall, "cpu": usage.ru_utime + usage.ru_stime}
    run.update({k: after[k] - before[k] for k in before})
    if capture:
        run["out"] = out
    if count_lines:
        run["lines"] = lines
    return run


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)
