"""The remote tier from Python: Store(root, remote=...) reads and writes through a real nginx
(WebDAV PUT) started on loopback for the test, and Store.push / Store.pull."""
import contextlib
import hashlib
import math
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

import directory
from directory import HttpRemote, Store

NGINX = next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
             None)
pytestmark = pytest.mark.skipif(NGINX is None,
                                reason="nginx is not installed (Debian: nginx-light)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(root):
    """An nginx serving root/data as BASE/cas/<hash> with PUT; yields (url, data_dir)."""
    data = root / "data"
    (data / "cas").mkdir(parents=True)
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    d = str(root)
    (root / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n"
        f"events {{ worker_connections 256; }}\nhttp {{\n access_log off;\n"
        f" client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n"
        f" fastcgi_temp_path {d}/fcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n"
        f" server {{\n  listen 127.0.0.1:{port};\n  root {data};\n"
        f"  location /cas/ {{ dav_methods PUT; create_full_put_path on; }}\n"
        f"  location /ro/ {{ alias {data}/; limit_except GET HEAD {{ deny all; }} }}\n }}\n}}\n")
    proc = subprocess.Popen([NGINX, "-p", d + "/", "-c", str(root / "nginx.conf"),
                             "-e", d + "/error.log"])
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.01)
        yield f"http://127.0.0.1:{port}", data
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()


@pytest.fixture
def nginx(tmp_path):
    with serve(tmp_path) as server:
        yield server


@pytest.fixture
def two_nginx(tmp_path):
    """Two servers: [(url, data_dir), (url, data_dir)]."""
    (tmp_path / "n0").mkdir()
    (tmp_path / "n1").mkdir()
    with serve(tmp_path / "n0") as first, serve(tmp_path / "n1") as second:
        yield [first, second]


def test_two_stores_share_one_server(nginx, tmp_path):
    url, data = nginx
    a = Store(tmp_path / "a", remote=url)
    b = Store(tmp_path / "b", remote=HttpRemote(url, connect_timeout=2))
    src = tmp_path / "src"
    src.write_bytes(b"shared")
    for algorithm in ("sha1", "sha256", "sha512"):
        h = a.put(src, algorithm)
        assert (data / "cas" / h).read_bytes() == b"shared"
        assert b.read(h) == b"shared"
        assert h in b
    assert a.remote_stats.uploaded == 3
    assert b.remote_stats.fetched == 3


def test_corrupt_body_is_a_miss_and_counted(nginx, tmp_path):
    url, data = nginx
    h = hashlib.sha256(b"real").hexdigest()
    (data / "cas" / h).write_bytes(b"fake")
    store = Store(tmp_path / "s", remote=url)
    assert store.lookup(h) is None
    assert not os.path.exists(store.preferred_path(h))
    stats = store.remote_stats
    assert stats.fetch_errors == 1
    assert url + "/cas/" + h in stats.last_error


def test_refused_upload_keeps_local_copy_and_hides_credentials(nginx, tmp_path):
    url, _ = nginx
    secret = url.replace("http://", "http://eve:s3cret-pw@") + "/ro"
    store = Store(tmp_path / "s", remote=secret)
    src = tmp_path / "src"
    src.write_bytes(b"x")
    h = store.put(src)
    assert store.lookup(h) is not None
    stats = store.remote_stats
    assert stats.upload_errors == 1
    assert "HTTP 403" in stats.last_error
    assert "s3cret" not in stats.last_error and "eve" not in stats.last_error


def test_read_only_remote_uploads_nothing(nginx, tmp_path):
    url, data = nginx
    store = Store(tmp_path / "s", remote=url, remote_read_only=True)
    src = tmp_path / "src"
    src.write_bytes(b"local")
    h = store.put(src)
    assert not (data / "cas" / h).exists()


def test_push_and_pull(nginx, tmp_path):
    url, _ = nginx
    a = Store(tmp_path / "a")
    hashes = []
    for i in range(20):
        src = tmp_path / f"f{i}"
        src.write_bytes(b"object %d" % i)
        hashes.append(a.put(src))
    remote = HttpRemote(url, max_in_flight=4)
    assert a.push(remote=remote, dry_run=True).uploaded == 20
    pushed = a.push(remote=remote)
    assert (pushed.checked, pushed.uploaded, pushed.failed) == (20, 20, 0)
    assert a.push(remote=remote).already_present == 20
    b = Store(tmp_path / "b", remote=remote)
    missing = hashlib.sha256(b"missing").hexdigest()
    pulled = b.pull(hashes + [missing])
    assert (pulled.fetched, pulled.missing, pulled.failed) == (20, 1, 0)
    assert all(b.lookup(h) for h in hashes)
    with pytest.raises(directory.InvalidHashError):
        b.pull(["../etc/passwd"])
    with pytest.raises(ValueError):
        Store(tmp_path / "c").push()
    with pytest.raises(ValueError):
        HttpRemote("ftp://host/")


def test_fetch_from_urls(nginx, tmp_path):
    url, data = nginx
    (data / "files").mkdir()
    (data / "files" / "a.txt").write_bytes(b"fetched from python\n")
    digest = hashlib.sha256(b"fetched from python\n").hexdigest()
    store = Store(tmp_path / "store")
    path = store.fetch(digest, [url + "/files/missing", url + "/files/a.txt"])
    assert open(path, "rb").read() == b"fetched from python\n"
    assert path == store.lookup(digest)
    with pytest.raises(directory.FetchError) as e:
        store.fetch(hashlib.sha256(b"other").hexdigest(), ["http://u:s3cret@" + url[7:] + "/files/a.txt"])
    assert digest in str(e.value) and "s3cret" not in str(e.value)
    assert len(e.value.attempts) == 1
    with pytest.raises(directory.InvalidHashError):
        store.fetch("../x", [url + "/files/a.txt"])
    with pytest.raises(ValueError):
        store.fetch(digest, ["ftp://host/x"])


def test_fetch_many_counts(nginx, tmp_path):
    url, data = nginx
    (data / "files").mkdir()
    requests = []
    for i in range(5):
        body = f"file {i}\n".encode()
        (data / "files" / str(i)).write_bytes(body)
        requests.append((hashlib.sha256(body).hexdigest(), [url + f"/files/{i}"]))
    requests.append((hashlib.sha256(b"absent").hexdigest(), [url + "/files/absent"]))
    r = Store(tmp_path / "store").fetch_many(requests, jobs=3)
    assert (r.fetched, r.already_present, r.failed) == (5, 0, 1)
    assert r.bytes == sum(len(f"file {i}\n") for i in range(5))
    assert "HTTP 404" in r.errors[0]


def place(h, shards):
    """The server (index into shards, (url, weight) pairs) that holds h: the highest
    weight / -ln(u), u from the first 53 bits of sha256(url + "\\n" + h)."""
    def score(url, weight):
        x = int.from_bytes(hashlib.sha256(f"{url}\n{h}".encode()).digest()[:8], "big") >> 11
        return weight / -math.log((x + 0.5) / 2 ** 53)
    return max(range(len(shards)), key=lambda i: score(*shards[i]))


def test_a_list_of_servers_shares_the_hashes(two_nginx, tmp_path):
    """remote=[...] is a sharded remote (cas::ShardedRemote): each hash on exactly one server,
    the same one whatever the order of the list, a weight following its server."""
    (url0, data0), (url1, data1) = two_nginx
    a = Store(tmp_path / "a", remote=[url0, (HttpRemote(url1), 2.0)])
    hashes = []
    for i in range(30):
        src = tmp_path / f"f{i}"
        src.write_bytes(b"sharded %d" % i)
        hashes.append(a.put(src))
    for h in hashes:  # where the documented formula (sharded_remote.hpp) places it
        home = place(h, [(url0, 1.0), (url1, 2.0)])
        assert [(d / "cas" / h).exists() for d in (data0, data1)] == [home == 0, home == 1]
    b = Store(tmp_path / "b", remote=[(url1, 2), url0])
    assert b.pull(hashes).fetched == 30
    with pytest.raises(ValueError):
        Store(tmp_path / "c", remote=[url0, url0])
    with pytest.raises(ValueError):
        Store(tmp_path / "c", remote=[(url0, 0)])
