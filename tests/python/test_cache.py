"""directory.Store's cache policy: touch_on_use, the limits, trim, pins and leases, and the
last-use figures of stats."""
import datetime
import os
import time

import pytest

import directory
from directory import Store

HOUR = 3600
DAY = 24 * HOUR


@pytest.fixture
def root(tmp_path):
    return str(tmp_path / "store")


def fill(store, tmp_path, ages, size=100):
    """Puts one file of `size` bytes per age (seconds since last use) and sets its mtime to
    that long ago. Returns the hashes in the order of `ages`."""
    now = int(time.time())
    hashes = []
    for i, age in enumerate(ages):
        src = tmp_path / ("src%d" % i)
        src.write_bytes(b"%d-" % i + b"x" * (size - len(b"%d-" % i)))
        h = store.put(str(src))
        t = now - age
        os.utime(store.preferred_path(h), (t, t))  # preferred_path: no lookup, so no touch
        hashes.append(h)
    return hashes


def mtime(store, h):
    return os.stat(store.preferred_path(h)).st_mtime


def present(store, hashes):
    return [h for h in hashes if os.path.exists(store.preferred_path(h))]


def directories(root):
    return {d for d in os.listdir(root) if not d.startswith(".cas-")}


def test_trim_to_a_file_count_removes_the_least_recently_used(root, tmp_path):
    store = Store(root)
    hashes = fill(store, tmp_path, [10 * HOUR - 60 * i for i in range(10)])  # oldest first
    before = directories(root)
    result = store.trim(max_files=5, low_water=1.0, threads=2)
    assert isinstance(result, directory.TrimResult)
    assert (result.scanned_files, result.scanned_bytes) == (10, 1000)
    assert (result.removed_files, result.removed_bytes) == (5, 500)
    assert (result.pinned, result.failed, result.errors) == (0, 0, [])
    assert present(store, hashes) == hashes[5:]
    assert sorted(store.walk()) == sorted(hashes[5:])
    assert result.directories_removed == len(before - directories(root))
    assert "removed_files=5" in repr(result)


def test_trim_goes_down_to_the_low_water_mark_of_a_size_bound(root, tmp_path):
    store = Store(root)
    hashes = fill(store, tmp_path, [10 * HOUR - 60 * i for i in range(10)])
    # 1000 bytes over a bound of 800: down to 0.5 * 800 = 400 bytes, the 4 newest files.
    result = store.trim(max_bytes=800, low_water=0.5)
    assert (result.removed_files, result.removed_bytes) == (6, 600)
    assert present(store, hashes) == hashes[6:]
    # Within the bound: nothing more goes; the default low water is 0.9.
    assert store.trim(max_bytes=400).removed_files == 0
    result = store.trim(max_files=3)  # 4 files over 3: down to int(0.9 * 3) = 2
    assert result.removed_files == 2
    assert present(store, hashes) == hashes[8:]


def test_trim_removes_files_last_used_before_max_age(root, tmp_path):
    store = Store(root)
    hashes = fill(store, tmp_path, [3 * DAY, 2 * DAY, HOUR, 60])
    result = store.trim(max_age=DAY)
    assert (result.removed_files, result.removed_bytes) == (2, 200)
    assert present(store, hashes) == hashes[2:]
    assert store.trim(max_age=1.5 * DAY).removed_files == 0


def test_trim_dry_run_reports_without_removing(root, tmp_path):
    store = Store(root)
    hashes = fill(store, tmp_path, [5 * HOUR, 4 * HOUR, 3 * HOUR, 2 * HOUR])
    calls = []
    result = store.trim(max_files=2, low_water=1.0, dry_run=True, progress=calls.append)
    assert (result.scanned_files, result.removed_files, result.removed_bytes) == (4, 2, 200)
    assert result.directories_removed == 0
    assert present(store, hashes) == hashes
    assert calls and isinstance(calls[-1], directory.Progress)
    # A read-only store may be asked what a trim would do, but not trimmed.
    read_only = Store(root, read_only=True)
    assert read_only.trim(max_files=2, low_water=1.0, dry_run=True).removed_files == 2
    with pytest.raises(directory.ReadOnlyError) as info:
        read_only.trim(max_files=2)
    assert info.value.operation == "remove"
    assert present(store, hashes) == hashes


def test_trim_without_a_bound_or_with_bad_arguments_raises_value_error(root, tmp_path):
    store = Store(root)
    hashes = fill(store, tmp_path, [DAY])
    with pytest.raises(ValueError, match="at least one bound"):
        store.trim()
    with pytest.raises(ValueError, match="at least one bound"):
        store.trim(low_water=0.5, dry_run=True)
    for low_water in (0, -0.5, 1.5, float("nan")):
        with pytest.raises(ValueError):
            store.trim(max_files=1, low_water=low_water)
    with pytest.raises(ValueError):
        store.trim(max_bytes=-1)
    with pytest.raises(ValueError):
        store.trim(max_age=-60)
    with pytest.raises(ValueError):
        store.trim(max_age=float("inf"))
    with pytest.raises(TypeError):
        store.trim(max_files=2.5)
    assert present(store, hashes) == hashes


def test_pins_and_unexpired_leases_protect_from_trim_and_gc(root, tmp_path):
    store = Store(root)
    release, leased, lapsed, plain, fresh = fill(store, tmp_path, [5 * DAY, 4 * DAY, 3 * DAY,
                                                                  2 * DAY, 60])
    store.pin("release-1.0", [release])
    store.pin("job-42", [leased], ttl=HOUR)
    store.pin("job-41", [lapsed], ttl=0)  # a lease that has run out protects nothing
    result = store.trim(max_age=DAY)
    assert (result.removed_files, result.pinned) == (2, 2)
    assert present(store, [release, leased, lapsed, plain, fresh]) == [release, leased, fresh]
    # Over a count bound that only pinned files could meet: everything else goes.
    result = store.trim(max_files=1, low_water=1.0)
    assert (result.removed_files, result.pinned) == (1, 2)
    assert sorted(store.walk()) == sorted([release, leased])
    assert store.gc(keep=[]).removed == 0
    store.unpin("job-42")
    assert store.gc(keep=[]).removed == 1
    assert store.walk() == [release]


def test_pins_list_and_unpin_round_trip(root):
    store = Store(root)
    a, b, c = ("%064x" % n for n in (1, 2, 3))  # a pin need not hold present hashes
    assert store.pins() == [] and store.pinned_hashes() == set()
    before = datetime.datetime.now(datetime.timezone.utc)
    store.pin("nightly", iter([a, b]), ttl=2 * HOUR)
    store.pin("release", [b, c])
    store.pin("expired", [c], ttl=0)
    pins = store.pins()
    assert [p.name for p in pins] == ["expired", "nightly", "release"]  # sorted by name
    expired, nightly, release = pins
    assert isinstance(nightly, directory.PinInfo)
    assert (nightly.hashes, nightly.expired) == (2, False)
    assert nightly.expires.tzinfo is not None
    assert nightly.expires.utcoffset() == datetime.timedelta(0)
    lease = nightly.expires - before
    assert datetime.timedelta(hours=2) - datetime.timedelta(seconds=5) <= lease
    assert lease <= datetime.timedelta(hours=2, seconds=5)
    assert (release.hashes, release.expires, release.expired) == (2, None, False)
    assert (expired.hashes, expired.expired) == (1, True)
    assert expired.expires <= datetime.datetime.now(datetime.timezone.utc)
    assert "name='release'" in repr(release)
    assert store.pinned_hashes() == {a, b, c}
    assert Store(root, read_only=True).pinned_hashes() == {a, b, c}  # listing is read-only
    store.pin("release", [c])  # replaced whole
    assert store.pins()[2].hashes == 1
    assert store.pinned_hashes() == {a, b, c}
    assert store.unpin("nightly") is True
    assert store.unpin("nightly") is False
    assert store.pinned_hashes() == {c}
    assert [p.name for p in store.pins()] == ["expired", "release"]


def test_pin_rejects_bad_names_hashes_and_ttls(root):
    store = Store(root)
    h = "%064x" % 7
    for name in ("", ".hidden", "a/b", "x" * 201, "sp ace"):
        with pytest.raises(ValueError):
            store.pin(name, [h])
    with pytest.raises(ValueError):
        store.unpin("../x")
    with pytest.raises(directory.InvalidHashError):
        store.pin("p", ["../x"])
    with pytest.raises(TypeError):
        store.pin("p", h)  # a single str, not a list of hashes
    for ttl in (-1, -0.5, float("nan"), 1e12):
        with pytest.raises(ValueError):
            store.pin("p", [h], ttl=ttl)
    with pytest.raises(ValueError, match="never expires"):
        store.pin("p", [h], ttl=8e9)  # a lease is at most 100 years
    assert store.pins() == []
    read_only = Store(root, read_only=True)
    with pytest.raises(directory.ReadOnlyError) as info:
        read_only.pin("p", [h])
    assert (info.value.operation, info.value.subject) == ("pin", "p")
    with pytest.raises(directory.ReadOnlyError):
        read_only.unpin("p")


def test_a_malformed_pin_raises_oserror_rather_than_protecting_nothing(root):
    store = Store(root)
    store.pin("good", ["%064x" % 1])
    with open(os.path.join(root, ".cas-pins", "bad"), "w") as f:
        f.write("not a pin\n")
    for call in (store.pins, store.pinned_hashes, lambda: store.trim(max_files=0)):
        with pytest.raises(OSError):
            call()


def test_touch_on_use_refreshes_a_stale_file_on_lookup_open_and_read(root, tmp_path):
    h, half_hour, fresh = fill(Store(root), tmp_path, [2 * HOUR, 30 * 60, 30])
    fresh_mtime = mtime(Store(root), fresh)
    store = Store(root, touch_on_use=60)
    assert store.touch_on_use == 60.0
    for stale in (h, half_hour):  # half an hour: stale for 60 s, not for the default hour
        assert store.lookup(stale)
        assert mtime(store, stale) >= time.time() - 60
    assert store.lookup(fresh) and mtime(store, fresh) == fresh_mtime  # fresh: not touched
    for use in (lambda s: s.open(h).close(), lambda s: s.read(h), lambda s: h in s):
        os.utime(store.preferred_path(h), (time.time() - 2 * HOUR,) * 2)
        use(store)
        assert mtime(store, h) >= time.time() - 60
    assert Store(root).touch_on_use == 3600.0  # the default: an hour


def test_touch_on_use_never_touches_on_a_read_only_store_or_when_off(root, tmp_path):
    (h,) = fill(Store(root), tmp_path, [2 * DAY])
    old = mtime(Store(root), h)
    writable_then_read_only = Store(root, touch_on_use=60)
    writable_then_read_only.set_read_only()
    for store in (Store(root, read_only=True, touch_on_use=60), writable_then_read_only,
                  Store(root, touch_on_use=0)):
        assert store.lookup(h) and store.read(h) and h in store
        store.open(h).close()
        assert mtime(store, h) == old


def test_stats_report_pins_and_last_uses(root, tmp_path):
    os.makedirs(root)
    empty = Store(root).stats()
    assert (empty.pinned_hashes, empty.oldest_use, empty.median_use, empty.newest_use) == (
        0, 0, 0, 0)
    store = Store(root)
    now = int(time.time())
    ages = [50 * 60, 40 * 60, 30 * 60, 20 * 60, 10 * 60]  # within 18 hours: exact to the second
    hashes = fill(store, tmp_path, ages)
    store.pin("a", [hashes[0], hashes[1]])
    store.pin("b", [hashes[1], "%064x" % 9])  # an absent hash counts too
    store.pin("old", [hashes[2]], ttl=0)  # expired: not counted
    stats = store.stats()
    assert stats.pinned_hashes == 3
    ages = [now - stats.oldest_use, now - stats.median_use, now - stats.newest_use]
    for got, want in zip(ages, [50 * 60, 30 * 60, 10 * 60]):
        assert want - 5 <= got <= want  # fill read the clock a moment later
    assert "median_use=" in repr(stats)


def test_stats_of_a_root_that_is_not_there_raises(tmp_path):
    # As `cas stats` exits 2: a mistyped root must not read as an empty store.
    missing = str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError) as info:
        Store(missing).stats()
    assert (info.value.filename, info.value.operation) == (missing, "stats")
    assert not os.path.exists(missing)
    afile = str(tmp_path / "afile")
    open(afile, "w").close()
    with pytest.raises(NotADirectoryError):
        Store(afile).stats()


def test_store_takes_the_limits_as_keywords(root):
    limits = Store(root).limits
    assert isinstance(limits, directory.CacheLimits)
    assert (limits.max_bytes, limits.max_files, limits.max_age, limits.low_water) == (
        None, None, None, 0.9)
    assert not limits.any()
    store = Store(root, max_bytes=10 * 2**30, max_files=10**6, max_age=7 * DAY, low_water=0.8,
                  touch_on_use=600)
    limits = store.limits
    assert (limits.max_bytes, limits.max_files, limits.max_age, limits.low_water) == (
        10 * 2**30, 10**6, 7 * DAY, 0.8)
    assert limits.any() and store.touch_on_use == 600
    assert Store(root, max_age=90.9).limits.max_age == 90  # whole seconds
    assert "max_files=1000000" in repr(limits)
    with pytest.raises(ValueError):
        Store(root, max_files=-1)
    with pytest.raises(ValueError):
        Store(root, touch_on_use=float("inf"))
    with pytest.raises(TypeError):
        Store(root, None, False, "file", False, False, 60)  # the cache keywords are keyword-only


def test_min_free_is_bytes_or_a_fraction_and_a_floor_already_free_removes_nothing(root, tmp_path):
    store = Store(root, min_free=0.05)
    assert store.limits.min_free == 0.05
    assert Store(root, min_free=10 << 30).limits.min_free == 10 << 30
    hashes = fill(store, tmp_path, [DAY, 2 * DAY])
    assert store.trim(min_free=1).removed_files == 0  # one byte is free, surely
    for bad in (0, -1, 0.0, 1.0, 1.5, float("nan")):
        with pytest.raises(ValueError):
            store.trim(min_free=bad)
        with pytest.raises(ValueError):
            Store(root, min_free=bad)
    for wrong_type in (True, "10G", [1]):
        with pytest.raises(TypeError):
            store.trim(min_free=wrong_type)
    assert present(store, hashes) == hashes
