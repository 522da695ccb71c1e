"""directory.Store, the layouts and the error mapping, from Python."""
import errno
import hashlib
import io
import os

import pytest

import directory
from conftest import IS_ROOT, unprivileged
from directory import Store


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def v0_path(root, h):
    return os.path.join(root, h[0:2], h[2:8], h)


def v1_path(root, h):
    return os.path.join(root, h[0:2], h)


@pytest.fixture
def root(tmp_path):
    return str(tmp_path / "store")


def test_round_trip_put_lookup_open_read_walk_remove(root, tmp_path):
    store = Store(root)
    src = write(str(tmp_path / "src"), b"hello, store\n")
    h = store.put(src)
    assert h == sha256(b"hello, store\n")
    assert os.path.exists(src)  # put copies
    assert store.lookup(h) == v1_path(root, h)
    assert h in store
    assert store.read(h) == b"hello, store\n"
    with store.open(h) as f:
        assert isinstance(f, io.BufferedReader)
        assert f.read(5) == b"hello"
        f.seek(7)
        assert f.read() == b"store\n"
        f.seek(0)
        assert f.readline() == b"hello, store\n"
        assert f.tell() == 13
    assert f.closed
    assert store.walk() == [h]
    store.remove(h)
    assert store.lookup(h) is None
    assert h not in store
    assert store.open(h) is None
    assert store.read(h) is None
    assert store.walk() == []
    assert set(os.listdir(root)) <= {".cas-tmp"}  # emptied directories are pruned
    store.remove(h)  # absent: a no-op


def test_put_with_other_algorithms(root, tmp_path):
    src = write(str(tmp_path / "src"), b"data")
    assert Store(root).put(src, "sha1") == hashlib.sha1(b"data").hexdigest()
    assert Store(root).put(src, algorithm="sha512") == hashlib.sha512(b"data").hexdigest()
    with pytest.raises(ValueError):
        Store(root).put(src, "md5")


def test_insert_moves_and_copy_copies(root, tmp_path):
    store = Store(root)
    a = write(str(tmp_path / "a"), b"a")
    b = write(str(tmp_path / "b"), b"b")
    assert store.insert(sha256(b"a"), a) == v1_path(root, sha256(b"a"))
    assert not os.path.exists(a)
    assert store.copy(sha256(b"b"), b) == v1_path(root, sha256(b"b"))
    assert os.path.exists(b)
    assert sorted(store.walk()) == sorted([sha256(b"a"), sha256(b"b")])


def test_lookup_migrates_a_v0_file_to_v1(root):
    h = sha256(b"old")
    write(v0_path(root, h), b"old")
    store = Store(root)
    assert store.lookup(h) == v1_path(root, h)
    assert os.path.exists(v1_path(root, h))
    assert not os.path.exists(os.path.join(root, h[0:2], h[2:8]))  # old directory pruned
    assert store.read(h) == b"old"


def test_a_read_only_store_finds_v0_files_in_place_and_refuses_changes(root, tmp_path):
    h = sha256(b"old")
    write(v0_path(root, h), b"old")
    store = Store(root, read_only=True)
    assert store.read_only
    assert store.lookup(h) == v0_path(root, h)
    src = write(str(tmp_path / "src"), b"new")
    with pytest.raises(directory.ReadOnlyError) as info:
        store.put(src)
    # The store could not create the file: the error names the store, not the source.
    assert (info.value.operation, info.value.subject) == ("create", root)
    assert src not in str(info.value)
    assert isinstance(info.value, directory.Error)
    with pytest.raises(directory.ReadOnlyError) as info:
        store.remove(h)
    assert (info.value.operation, info.value.subject, info.value.hash) == ("remove", h, h)
    writable = Store(root)
    writable.set_read_only()
    with pytest.raises(directory.ReadOnlyError):
        writable.remove(h)


@pytest.mark.parametrize("bad", ["../x", "", "ABCDEF12", "0123456789abcdefg", "a/b", "a" * 129])
def test_invalid_hashes_raise_invalid_hash_error(root, bad):
    store = Store(root)
    for call in (store.lookup, store.remove, store.read, store.open, store.preferred_path):
        with pytest.raises(directory.InvalidHashError) as info:
            call(bad)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, directory.Error)
        assert info.value.hash == bad
    assert not os.path.exists(root)  # rejected before touching the disk


def test_invalid_hash_message_keeps_any_bytes(root):
    with pytest.raises(directory.InvalidHashError) as info:
        Store(root).lookup("x\u00e9\n")
    assert info.value.hash == "x\u00e9\n"
    assert "\\x0a" in str(info.value)


def test_insert_of_a_missing_source_raises_insertion_error(root, tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(directory.InsertionError) as info:
        Store(root).insert(sha256(b"x"), missing)
    assert info.value.source == missing
    with pytest.raises(directory.InsertionError):
        Store(root).put(str(tmp_path))  # a directory


def test_walk_reports_unrecognized_files_after_visiting(root, tmp_path):
    store = Store(root)
    h = store.put(write(str(tmp_path / "src"), b"x"))
    write(os.path.join(root, "stray.txt"), b"?")
    seen = []
    with pytest.raises(directory.UnrecognizedPathsError) as info:
        store.walk(seen.append)
    assert seen == [h]
    assert info.value.paths == ["stray.txt"]


def test_walk_visitor_may_use_the_store(root, tmp_path):
    store = Store(root)
    hashes = {store.put(write(str(tmp_path / str(i)), b"%d" % i)) for i in range(20)}
    store.walk(store.remove)
    assert store.walk() == []
    assert len(hashes) == 20


def test_walk_visitor_exceptions_propagate(root, tmp_path):
    store = Store(root)
    store.put(write(str(tmp_path / "a"), b"a"))

    def boom(h):
        raise KeyError(h)

    with pytest.raises(KeyError):
        store.walk(boom)


def make_v0_store(root, n):
    hashes = []
    for i in range(n):
        data = b"file %d" % i
        h = sha256(data)
        write(v0_path(root, h), data)
        hashes.append(h)
    return hashes


def test_migrate_moves_a_v0_store_to_v1(root):
    hashes = make_v0_store(root, 50)
    store = Store(root)
    assert store.migrate(dry_run=True).moved == 50
    assert store.stats().layouts["v0"].files == 50
    progress = []
    result = store.migrate(threads=4, progress=progress.append)
    assert (result.moved, result.failed, result.errors) == (50, 0, [])
    assert progress and progress[-1].done == 50
    stats = store.stats()
    assert (stats.layouts["v1"].files, stats.layouts["v0"].files, stats.hashes) == (50, 0, 50)
    # Its errors as every result has them (directory.OperationErrors).
    assert isinstance(stats, directory.OperationErrors)
    assert (stats.failed, stats.errors) == (0, [])
    assert all(os.path.exists(v1_path(root, h)) for h in hashes)
    assert "MigrateResult(moved=50" in repr(result)
    assert store.migrate(method="rename").already_in_place == 50


def test_an_exception_in_progress_is_raised_after_the_operation(root):
    make_v0_store(root, 10)

    def fail(p):
        raise RuntimeError("progress")

    with pytest.raises(RuntimeError, match="progress"):
        Store(root).migrate(progress=fail)
    assert Store(root).stats().layouts["v1"].files == 10  # the operation itself completed


def test_gc_purge_verify_sync(root, tmp_path):
    store = Store(root)
    hashes = [store.put(write(str(tmp_path / str(i)), b"%d" % i)) for i in range(10)]

    mirror = Store(str(tmp_path / "mirror"))
    synced = mirror.sync(store)
    assert synced.linked + synced.copied == 10
    assert sorted(mirror.walk()) == sorted(hashes)

    assert store.gc(hashes[:4]).removed == 6
    assert sorted(store.walk()) == sorted(hashes[:4])

    # Corrupt one file in place: verify finds it, quarantine moves it aside.
    os.chmod(store.lookup(hashes[0]), 0o644)
    write(store.lookup(hashes[0]), b"not what the name says")
    result = store.verify()
    assert (result.ok, result.corrupt) == (3, 1)
    assert result.corrupt_paths == [os.path.relpath(v1_path(root, hashes[0]), root)]
    assert store.verify(quarantine=True).quarantined == 1
    assert store.lookup(hashes[0]) is None

    write(os.path.join(root, "notes.txt"), b"not content")
    purged = store.purge()
    assert purged.files_removed >= 3
    assert purged.unrecognized == 1
    assert os.path.exists(os.path.join(root, "notes.txt"))
    with pytest.raises(directory.UnrecognizedPathsError):
        store.walk()
    assert store.purge(remove_unrecognized=True).files_removed == 1
    assert store.walk() == []


def test_layouts(root):
    h = sha256(b"x")
    assert directory.V0Layout().lookup(h) == "%s/%s/%s" % (h[0:2], h[2:8], h)
    assert directory.V1Layout().lookup(h) == "%s/%s" % (h[0:2], h)
    assert directory.V1Layout().path_to_hash("%s/%s" % (h[0:2], h)) == h
    fan = directory.layout_by_name("fanout:2,2")
    assert isinstance(fan, directory.FanoutLayout) and fan.widths == [2, 2]
    assert fan.lookup(h) == "%s/%s/%s" % (h[0:2], h[2:4], h)
    assert fan.contains("%s/%s/%s" % (h[0:2], h[2:4], h), h)
    assert [l.name for l in directory.default_layouts()] == ["v1", "v0"]
    with pytest.raises(ValueError):
        directory.layout_by_name("v9")
    with pytest.raises(directory.InvalidHashError):
        directory.V0Layout().lookup("abc")

    v0_only = Store(root, layouts="v0")
    assert v0_only.preferred_path(h) == os.path.join(root, directory.V0Layout().lookup(h))
    mixed = Store(root, layouts=[directory.V1Layout(), "v0"])
    assert [l.name for l in mixed.layouts] == ["v1", "v0"]
    assert "layouts='v1,v0'" in repr(mixed)
    with pytest.raises(ValueError):
        Store(root, layouts=[])
    with pytest.raises(ValueError):
        Store(root, durability="sometimes")


def test_layout_contains_takes_the_files_whole_relative_path():
    h = "584b" + "0" * 60
    v1, v0 = directory.V1Layout(), directory.V0Layout()
    assert v1.contains("58/" + h, h)
    assert v1.contains(rel_path="58/" + h, file_name=h)
    assert not v1.contains("58", h)  # the directory alone is not the file's path
    assert not v1.contains("58/", h)
    assert not v1.contains("58/4b0000/" + h, h)  # where V0 puts it
    assert v0.contains("58/4b0000/" + h, h)
    assert not v0.contains("58/4b0000", h)
    assert not v1.contains("58/" + h.upper(), h.upper())  # not a valid hash: False, no raise
    with pytest.raises(TypeError):
        v1.contains(rel_dir="58", file_name=h)


def test_hash_helpers_agree_with_hashlib(tmp_path):
    path = write(str(tmp_path / "f"), b"abc" * 100000)
    assert directory.hash_file(path) == sha256(b"abc" * 100000)
    assert directory.hash_file(path, "sha1") == hashlib.sha1(b"abc" * 100000).hexdigest()
    assert directory.hash_bytes(b"abc", "sha512") == hashlib.sha512(b"abc").hexdigest()
    assert directory.is_valid_hash("ab") and not directory.is_valid_hash("AB")
    with pytest.raises(FileNotFoundError):
        directory.hash_file(str(tmp_path / "missing"))


def test_verify_on_open_raises_corrupt_error(root, tmp_path):
    store = Store(root, verify_on_open=True)
    h = store.put(write(str(tmp_path / "src"), b"good"))
    path = store.lookup(h)
    os.chmod(path, 0o644)
    write(path, b"evil")
    with pytest.raises(directory.CorruptError) as info:
        store.open(h)
    assert (info.value.expected, info.value.actual) == (h, sha256(b"evil"))
    assert info.value.path == path
    # Moved aside, never served again: the next lookup misses and the caller fetches it anew.
    assert store.lookup(h) is None
    assert os.listdir(os.path.join(root, ".cas-quarantine")) == [h]


@pytest.mark.skipif(not IS_ROOT, reason="needs root to become nobody")
def test_os_errors_are_oserror_subclasses_with_errno_and_filename(public_tmp, tmp_path):
    root = os.path.join(public_tmp, "store")
    store = Store(root)
    h = store.put(write(str(tmp_path / "src"), b"x"))
    src = write(os.path.join(public_tmp, "src"), b"y")
    os.chmod(src, 0o644)
    with unprivileged():
        with pytest.raises(PermissionError) as info:
            store.put(src)
    assert info.value.errno in (errno.EACCES, errno.EPERM)
    assert info.value.filename.startswith(root)
    assert info.value.operation
    with unprivileged():
        with pytest.raises(PermissionError):
            store.remove(h)
    assert store.lookup(h)


@pytest.mark.skipif(not IS_ROOT, reason="needs root to become nobody")
def test_an_unreadable_stored_file_raises_permission_error_naming_it(public_tmp, tmp_path):
    store = Store(os.path.join(public_tmp, "store"))
    h = store.put(write(str(tmp_path / "src"), b"root's alone"))
    path = store.lookup(h)
    os.chmod(path, 0o600)
    with unprivileged():
        for call in (store.open, store.read):
            with pytest.raises(PermissionError) as info:
                call(h)
            assert (info.value.errno, info.value.filename) == (errno.EACCES, path)
            assert info.value.operation == "open"


def test_a_store_file_raises_the_real_errno_naming_the_path(root, tmp_path):
    store = Store(root)
    h = store.put(write(str(tmp_path / "src"), b"0123456789"))
    with store.open(h) as f:
        assert f.read(4) == b"0123"
        assert f.seek(-2, os.SEEK_END) == 8 and f.read() == b"89"
        with pytest.raises(OSError) as info:
            f.raw.seek(-1)
        assert (info.value.errno, info.value.filename) == (errno.EINVAL, store.lookup(h))


@pytest.mark.skipif(not IS_ROOT, reason="needs root to become nobody")
def test_permission_errors_come_from_the_right_subclass(public_tmp):
    locked = os.path.join(public_tmp, "locked")
    os.mkdir(locked, 0o000)
    with unprivileged():
        with pytest.raises(PermissionError) as info:
            Store(locked).walk()
    assert isinstance(info.value, OSError)
    assert not isinstance(info.value, directory.Error)


def test_reading_a_closed_file_raises_value_error(root, tmp_path):
    store = Store(root)
    h = store.put(write(str(tmp_path / "src"), b"x"))
    f = store.open(h)
    f.close()
    with pytest.raises(ValueError):
        f.read()


def test_verify_on_insert_refuses_mismatching_content(root, tmp_path):
    store = Store(root, verify_on_insert=True)
    src = write(str(tmp_path / "src"), b"content")
    with pytest.raises(directory.CorruptError):
        store.insert(sha256(b"something else"), src)
    assert os.path.exists(src)
    assert store.walk() == []
    assert store.insert(sha256(b"content"), src) == v1_path(root, sha256(b"content"))


def test_batch_durability_then_flush(root, tmp_path):
    store = Store(root, durability="batch")
    hashes = [store.put(write(str(tmp_path / str(i)), b"%d" % i)) for i in range(5)]
    store.flush()
    assert sorted(store.walk()) == sorted(hashes)
