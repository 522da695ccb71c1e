"""Store.checkout and Store.checkout_tree: files handed out by hard link, copy or symlink."""
import os
import stat

import pytest

import directory
from directory import Store


def put(store, tmp_path, data):
    src = tmp_path / ("src-%d" % len(data))
    src.write_bytes(data)
    return store.put(str(src))


def test_checkout_one_file_by_hard_link_makes_the_stored_file_read_only(tmp_path):
    store = Store(str(tmp_path / "store"))
    h = put(store, tmp_path, b"linked\n")
    dest = tmp_path / "out" / "f"
    assert store.checkout(h, dest, link="hardlink") == "hardlinked"
    stored = store.lookup(h)
    assert os.stat(dest).st_ino == os.stat(stored).st_ino
    assert os.stat(stored).st_mode & 0o222 == 0
    assert store.checkout(h, dest, link="hardlink") == "already_there"
    assert store.checkout(h, tmp_path / "copy", link="copy") == "copied"
    assert os.stat(tmp_path / "copy").st_ino != os.stat(stored).st_ino
    with pytest.raises(ValueError):
        store.checkout(h, tmp_path / "x", link="clone")


def test_checkout_tree_counts_each_kind_and_a_missing_hash(tmp_path):
    store = Store(str(tmp_path / "store"))
    h = put(store, tmp_path, b"abc\n")
    missing = "0" * 64
    result = store.checkout_tree(
        [(h, "a/x"), (h, "b/y", True), (missing, "c")], tmp_path / "tree", link="hardlink", jobs=2
    )
    assert (result.hardlinked, result.copied, result.failed) == (1, 1, 1)
    assert result.bytes == 8
    assert "not in the store" in result.errors[0]
    assert os.stat(tmp_path / "tree" / "b" / "y").st_mode & stat.S_IXUSR
    assert not os.path.exists(tmp_path / "tree" / "c")
    assert "hardlinked=1" in repr(result)


def test_checkout_tree_refuses_hostile_paths_before_writing(tmp_path):
    store = Store(str(tmp_path / "store"))
    h = put(store, tmp_path, b"abc\n")
    for bad in ["../x", "/etc/passwd", "a//b", ""]:
        with pytest.raises(ValueError):
            store.checkout_tree([(h, "fine"), (h, bad)], tmp_path / "tree")
    with pytest.raises(directory.InvalidHashError):
        store.checkout_tree([("../x", "a")], tmp_path / "tree")
    assert not os.path.exists(tmp_path / "tree")
