"""Fixtures for the tests of the Python module `directory`.

ctest runs these with PYTHONPATH set to the module's build directory (build/python); run by
hand, they fall back to <source>/build/python:

    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q tests/python
"""
import contextlib
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

import pytest

_SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import directory  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(_SOURCE_DIR, "build", "python"))
    import directory  # noqa: F401

IS_ROOT = os.geteuid() == 0
NOBODY_UID = 65534
NOBODY_GID = 65534


@contextlib.contextmanager
def unprivileged():
    """Runs the block without root's permission bypass: as root, with the effective uid/gid of
    nobody (glibc applies seteuid to every thread, so the walker's threads too); otherwise as is.
    Only the effective ids change, so root is restored afterwards."""
    if not IS_ROOT:
        yield
        return
    os.setegid(NOBODY_GID)
    os.seteuid(NOBODY_UID)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def public_tmp():
    """A scratch directory that nobody can traverse (pytest's tmp_path lives under a 0700
    directory, which would refuse access above the entry under test)."""
    path = tempfile.mkdtemp(prefix="cas-pytest-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    # Tests may leave unreadable directories behind.
    for dirpath, dirnames, _ in os.walk(path):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
    shutil.rmtree(path)


def make_awkward_tree(root):
    """A tree with every kind of entry and name find must cope with. Returns the root (bytes
    names are created through os.fsencode'd paths)."""
    os.makedirs(root, exist_ok=True)
    rb = os.fsencode(root)

    def touch(rel, data=b"x"):
        path = os.path.join(rb, rel if isinstance(rel, bytes) else os.fsencode(rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    touch("plain.txt")
    touch("with space.txt")
    touch("new\nline")
    touch("tab\tname")
    touch("-leading-dash")
    touch("*glob?[x]")
    touch(".hidden")
    touch("ünïcödé.txt")
    touch(b"latin1-\xe9t\xe9")  # not UTF-8
    touch(b"bad-\xff\xfe/inside")  # a directory whose name is not UTF-8
    touch("a/b/c/deep.txt")
    for i in range(25):
        touch("deep/" + "/".join("d%d" % j for j in range(i + 1)) + "/f")
    for i in range(300):
        touch("many/file%03d" % i)
    os.makedirs(os.path.join(root, "empty"))
    os.makedirs(os.path.join(root, "a", "b", "empty"))
    os.link(os.path.join(root, "plain.txt"), os.path.join(root, "hard link"))
    os.symlink("plain.txt", os.path.join(root, "link-to-file"))
    os.symlink("a", os.path.join(root, "link-to-dir"))
    os.symlink("nowhere", os.path.join(root, "dangling"))
    os.symlink(".", os.path.join(root, "a", "loop"))
    os.mkfifo(os.path.join(root, "fifo"))
    os.mkfifo(os.path.join(root, "a", "b", "fifo in dir"))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(root, "sock"))
    sock.close()
    return root


@pytest.fixture
def awkward_tree(tmp_path):
    return make_awkward_tree(str(tmp_path / "tree"))


def find_listing(root, *args, options=()):
    """find's answer: {(inode, path bytes)} for `find OPTIONS ROOT ARGS ! -type d`."""
    out = subprocess.run(
        ["find", *options, root, *args, "!", "-type", "d", "-printf", "%i\\t%p\\0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ).stdout
    result = set()
    for record in out.split(b"\0")[:-1]:
        ino, path = record.split(b"\t", 1)
        result.add((int(ino), path))
    return result


def as_bytes(listing):
    return {(ino, os.fsencode(path)) for ino, path in listing}


def dt_of(mode):
    """The DT_* value of an lstat mode."""
    return {
        stat.S_IFDIR: 4,
        stat.S_IFREG: 8,
        stat.S_IFLNK: 10,
        stat.S_IFIFO: 1,
        stat.S_IFSOCK: 12,
        stat.S_IFCHR: 2,
        stat.S_IFBLK: 6,
    }[stat.S_IFMT(mode)]
