"""directory.pfind: the C++ walker as a Python iterator, checked against find."""
import errno
import gc
import os
import pathlib
import time

import pytest

import directory
from conftest import as_bytes, find_listing, make_awkward_tree, unprivileged
from directory import pfind


def thread_count():
    return len(os.listdir("/proc/self/task"))


def settled_thread_count(expected, timeout=5.0):
    """The thread count once it reaches `expected` (or after `timeout`): a joined thread can
    linger in /proc/self/task for a moment after pthread_join returns."""
    deadline = time.monotonic() + timeout
    while thread_count() != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread_count()


@pytest.mark.parametrize("threads", [1, 2, 8, None])
def test_matches_find_on_an_awkward_tree(awkward_tree, threads):
    got = list(pfind(awkward_tree, threads=threads))
    assert len(got) == len(set(got)), "duplicates"
    assert as_bytes(got) == find_listing(awkward_tree)


@pytest.mark.parametrize("batch_size,max_batches", [(1, 1), (7, 2), (100000, None)])
def test_batching_does_not_change_the_result(awkward_tree, batch_size, max_batches):
    got = pfind(awkward_tree, threads=4, batch_size=batch_size, max_batches=max_batches)
    assert as_bytes(got) == find_listing(awkward_tree)


def test_paths_are_joined_as_find_joins_them(awkward_tree, monkeypatch):
    monkeypatch.chdir(awkward_tree)
    assert as_bytes(pfind(".")) == find_listing(".")
    assert as_bytes(pfind("a/")) == find_listing("a/")
    assert as_bytes(pfind(awkward_tree + "/")) == find_listing(awkward_tree + "/")
    assert {p for _, p in pfind("a")} == {"a/b/c/deep.txt", "a/b/fifo in dir", "a/loop"}


def test_accepts_bytes_and_pathlike_and_returns_str(awkward_tree):
    expected = find_listing(awkward_tree)
    for root in (os.fsencode(awkward_tree), pathlib.Path(awkward_tree)):
        got = list(pfind(root))
        assert all(isinstance(p, str) and isinstance(i, int) for i, p in got)
        assert as_bytes(got) == expected


def test_a_non_directory_root_is_the_one_result(awkward_tree):
    for name in ("plain.txt", "fifo", "link-to-dir", "dangling"):
        path = os.path.join(awkward_tree, name)
        assert as_bytes(pfind(path)) == find_listing(path) != set()


def test_follow_symlinks_matches_find_L(awkward_tree):
    errors = []
    got = pfind(awkward_tree, follow_symlinks=True, onerror=errors.append)
    assert as_bytes(got) == find_listing(awkward_tree, options=["-L"])
    # a/loop -> . leads to one of its own ancestors (as seen from the root and through link-to-dir).
    assert errors and all(e.errno == errno.ELOOP for e in errors)
    assert any(e.filename.endswith("/a/loop") for e in errors)


@pytest.mark.parametrize("depth", [0, 1, 2, 5])
def test_max_depth_matches_find_maxdepth(awkward_tree, depth):
    got = pfind(awkward_tree, max_depth=depth)
    assert as_bytes(got) == find_listing(awkward_tree, "-maxdepth", str(depth))


def test_many_files_across_many_workers(tmp_path):
    root = tmp_path / "wide"
    for d in range(40):
        sub = root / ("%02x" % d)
        sub.mkdir(parents=True)
        for f in range(50):
            (sub / ("%04d" % f)).touch()
    it = pfind(root, threads=8, batch_size=16)
    got = list(it)
    assert len(got) == 2000
    assert as_bytes(got) == find_listing(str(root))
    assert it.stats == {"directories": 41, "entries": 2000, "errors": 0, "stopped": False}


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    for d in range(60):
        sub = root / ("%03d" % d)
        sub.mkdir()
        for f in range(50):
            (sub / str(f)).touch()
    return str(root)


def test_early_break_stops_the_walk_and_joins_its_threads(big_tree):
    before = thread_count()
    it = pfind(big_tree, threads=8, batch_size=4, max_batches=1)
    taken = []
    for item in it:
        taken.append(item)
        if len(taken) == 10:
            break
    # The walk (3000 files) is parked on the full queue: its threads are still there.
    assert thread_count() > before
    start = time.monotonic()
    del it
    gc.collect()
    assert settled_thread_count(before) == before
    assert time.monotonic() - start < 5
    assert len(taken) == 10


def test_close_stops_the_walk_and_ends_the_iteration(big_tree):
    before = thread_count()
    it = pfind(big_tree, threads=4, batch_size=4, max_batches=1)
    next(it)
    it.close()
    assert settled_thread_count(before) == before
    assert list(it) == []
    it.close()  # idempotent
    assert it.stats is not None and it.stats["stopped"]


def test_with_block_closes_the_iterator(big_tree):
    before = thread_count()
    with pfind(big_tree, threads=4, batch_size=4, max_batches=1) as it:
        next(it)
    assert settled_thread_count(before) == before


def test_close_from_another_thread_ends_the_consumer(big_tree):
    import threading

    before = thread_count()
    it = pfind(big_tree, threads=4, batch_size=1, max_batches=1)
    got = []

    def consume():
        for item in it:
            got.append(item)
            time.sleep(0.001)

    consumer = threading.Thread(target=consume)
    consumer.start()
    while not got:
        time.sleep(0.001)
    it.close()
    consumer.join(30)
    assert not consumer.is_alive()
    assert 0 < len(got) < 3000
    assert settled_thread_count(before) == before


def test_abandoning_many_iterators_leaks_no_threads(big_tree):
    before = thread_count()
    for _ in range(20):
        it = pfind(big_tree, threads=4, batch_size=1, max_batches=1)
        next(it)
    del it
    assert settled_thread_count(before) == before


def test_stats_appear_when_the_walk_is_over(awkward_tree):
    it = pfind(awkward_tree)
    assert it.stats is None
    n = len(list(it))
    assert it.stats["entries"] >= n and not it.stats["stopped"]


def test_missing_root_raises_file_not_found_at_the_call(tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError) as info:
        pfind(missing)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == missing


def test_unreadable_root_raises_permission_error_at_the_call(public_tmp):
    locked = os.path.join(public_tmp, "locked")
    os.mkdir(locked, 0o000)
    with unprivileged():
        with pytest.raises(PermissionError) as info:
            pfind(locked)
    assert info.value.errno == errno.EACCES
    assert info.value.filename == locked


def make_tree_with_locked_dir(root):
    make_awkward_tree(root)
    locked = os.path.join(root, "a", "locked")
    os.mkdir(locked)
    open(os.path.join(locked, "secret"), "w").close()
    os.chmod(locked, 0o000)
    return locked


def test_unreadable_subdirectory_goes_to_onerror_and_the_walk_goes_on(public_tmp):
    root = os.path.join(public_tmp, "tree")
    locked = make_tree_with_locked_dir(root)
    errors = []
    with unprivileged():
        got = as_bytes(pfind(root, threads=4, onerror=errors.append))
        expected = find_listing(root)
    assert got == expected
    assert not any(p.endswith(b"/secret") for _, p in got)
    assert len(errors) == 1
    assert isinstance(errors[0], PermissionError)
    assert errors[0].errno == errno.EACCES
    assert errors[0].filename == locked
    assert errors[0].operation


def test_without_onerror_errors_are_ignored_like_os_walk(public_tmp):
    root = os.path.join(public_tmp, "tree")
    make_tree_with_locked_dir(root)
    with unprivileged():
        got = as_bytes(pfind(root))
        assert got == find_listing(root)


def test_an_exception_from_onerror_stops_the_walk(public_tmp):
    root = os.path.join(public_tmp, "tree")
    make_tree_with_locked_dir(root)
    before = thread_count()

    def fail(error):
        raise RuntimeError("stop here") from error

    with unprivileged():
        it = pfind(root, threads=4, onerror=fail)
        with pytest.raises(RuntimeError, match="stop here"):
            list(it)
    assert settled_thread_count(before) == before
    assert list(it) == []


def test_onerror_must_be_callable(tmp_path):
    with pytest.raises(TypeError):
        pfind(tmp_path, onerror=42)


def test_the_consumer_may_be_another_thread(awkward_tree):
    import threading

    result = []
    it = pfind(awkward_tree, threads=4, batch_size=2, max_batches=1)
    worker = threading.Thread(target=lambda: result.extend(it))
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    assert as_bytes(result) == find_listing(awkward_tree)


def test_default_threads_is_positive():
    assert directory.default_walk_threads() >= 1
