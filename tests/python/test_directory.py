"""directory.Directory and directory.Entry: the Peloton `directory` extension's API on
cas::Directory."""
import errno
import os
import pathlib
import re

import pytest

import directory
from conftest import IS_ROOT, dt_of, unprivileged
from directory import Directory


def test_constants_are_the_dirent_values():
    assert (directory.DT_UNKNOWN, directory.DT_FIFO, directory.DT_CHR, directory.DT_DIR) == (0, 1, 2, 4)
    assert (directory.DT_BLK, directory.DT_REG, directory.DT_LNK, directory.DT_SOCK) == (6, 8, 10, 12)


def test_peloton_example_lists_every_entry_with_dot_and_dotdot(awkward_tree, monkeypatch):
    monkeypatch.chdir(awkward_tree)
    entries = list(Directory("."))
    names = [e.d_name() for e in entries]
    assert sorted(names) == sorted(os.listdir(".") + [".", ".."])
    for e in entries:
        st = os.lstat(e.d_name())
        assert e.d_ino() == st.st_ino, e
        assert e.d_type() == dt_of(st.st_mode), e
        assert e.path() == os.path.join(".", e.d_name())


def test_entry_types_cover_every_kind(awkward_tree):
    types = {e.d_name(): e.d_type() for e in Directory(awkward_tree)}
    assert types["plain.txt"] == directory.DT_REG
    assert types["a"] == directory.DT_DIR
    assert types["link-to-dir"] == directory.DT_LNK
    assert types["dangling"] == directory.DT_LNK
    assert types["fifo"] == directory.DT_FIFO
    assert types["sock"] == directory.DT_SOCK
    assert {e.d_name(): e.d_type() for e in Directory("/dev")}["null"] == directory.DT_CHR


def test_peloton_example_recursion_through_entry_directory(awkward_tree):
    def walk(d, out):
        for entry in d:
            if entry.d_name() in (".", ".."):
                continue
            sub = entry.directory()
            if sub is None:
                out.add(entry.path())
            else:
                walk(sub, out)
        return out

    expected = set()
    for dirpath, dirnames, filenames in os.walk(awkward_tree):
        expected.update(os.path.join(dirpath, n) for n in filenames)
        # os.walk lists symlinks to directories among dirnames but does not enter them.
        expected.update(os.path.join(dirpath, n) for n in dirnames if os.path.islink(os.path.join(dirpath, n)))
    assert walk(Directory(awkward_tree), set()) == expected


def test_directory_returns_none_for_non_directories_and_symlinks(awkward_tree):
    by_name = {e.d_name(): e for e in Directory(awkward_tree)}
    assert by_name["plain.txt"].directory() is None
    assert by_name["link-to-dir"].directory() is None
    assert by_name["fifo"].directory() is None
    sub = by_name["a"].directory()
    assert isinstance(sub, Directory)
    assert sub.path() == os.path.join(awkward_tree, "a")
    assert "b" in {e.d_name() for e in sub}
    # "." and ".." are directories too.
    assert {e.d_name() for e in by_name["."].directory()} == {e.d_name() for e in Directory(awkward_tree)}
    assert os.path.basename(awkward_tree) in {e.d_name() for e in by_name[".."].directory()}


def test_repr_shows_directory_inode_type_and_name(awkward_tree):
    entry = next(e for e in Directory(awkward_tree) if e.d_name() == "plain.txt")
    ino = os.lstat(os.path.join(awkward_tree, "plain.txt")).st_ino
    assert repr(entry) == "<Entry(path=%r, d_ino=%d, d_type=DT_REG, d_name='plain.txt')>" % (awkward_tree, ino)
    newline = next(e for e in Directory(awkward_tree) if e.d_name() == "new\nline")
    assert re.fullmatch(r"<Entry\(path='.*', d_ino=\d+, d_type=DT_REG, d_name='new\\nline'\)>", repr(newline))
    assert repr(Directory(awkward_tree)) == "<Directory(path=%r)>" % awkward_tree


def test_undecodable_names_are_surrogate_escaped_and_round_trip(awkward_tree):
    raw = {os.fsencode(e.d_name()) for e in Directory(awkward_tree)}
    assert b"latin1-\xe9t\xe9" in raw
    assert b"bad-\xff\xfe" in raw
    bad = next(e for e in Directory(awkward_tree) if os.fsencode(e.d_name()) == b"bad-\xff\xfe")
    assert bad.d_name() == os.fsdecode(b"bad-\xff\xfe")
    assert os.path.exists(bad.path())
    assert [e.d_name() for e in bad.directory() if e.d_name() not in (".", "..")] == ["inside"]
    assert "ünïcödé.txt" in {e.d_name() for e in Directory(awkward_tree)}


@pytest.mark.parametrize("convert", [str, os.fsencode, pathlib.Path], ids=["str", "bytes", "PathLike"])
def test_accepts_str_bytes_and_pathlike(awkward_tree, convert):
    d = Directory(convert(awkward_tree))
    assert d.path() == awkward_tree
    assert "plain.txt" in {e.d_name() for e in d}


def test_rejects_non_paths_and_nul_bytes():
    with pytest.raises(TypeError):
        Directory(42)
    with pytest.raises(ValueError):
        Directory("a\0b")


def test_each_iteration_restarts_the_listing(tmp_path):
    for i in range(500):  # several batches
        (tmp_path / ("f%d" % i)).touch()
    d = Directory(tmp_path)
    first = [e.d_name() for e in d]
    assert len(first) == 502
    assert [e.d_name() for e in d] == first


def test_an_older_iterator_is_invalidated_by_a_new_iteration(tmp_path):
    for i in range(500):
        (tmp_path / ("f%d" % i)).touch()
    d = Directory(tmp_path)
    old = iter(d)
    next(old)
    assert len(list(d)) == 502
    with pytest.raises(ValueError, match="iterated again"):
        list(old)


def test_missing_path_raises_file_not_found(tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError) as info:
        Directory(missing)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == missing
    assert info.value.operation == "opendir"


def test_a_file_raises_not_a_directory(awkward_tree):
    with pytest.raises(NotADirectoryError):
        Directory(os.path.join(awkward_tree, "plain.txt"))


def test_unreadable_directory_raises_permission_error(public_tmp):
    locked = os.path.join(public_tmp, "locked")
    os.mkdir(locked, 0o000)
    with unprivileged():
        with pytest.raises(PermissionError) as info:
            Directory(locked)
    assert info.value.errno == errno.EACCES
    assert info.value.filename == locked


def test_entry_directory_raises_when_the_subdirectory_is_unreadable(public_tmp):
    os.mkdir(os.path.join(public_tmp, "locked"), 0o000)
    with unprivileged():
        entry = next(e for e in Directory(public_tmp) if e.d_name() == "locked")
        with pytest.raises(PermissionError):
            entry.directory()


@pytest.mark.skipif(not IS_ROOT, reason="needs root to become nobody")
def test_unprivileged_helper_really_drops_privileges(public_tmp):
    os.mkdir(os.path.join(public_tmp, "locked"), 0o000)
    with unprivileged():
        assert os.geteuid() != 0
        with pytest.raises(PermissionError):
            os.listdir(os.path.join(public_tmp, "locked"))
    assert os.geteuid() == 0
