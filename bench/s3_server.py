"""An S3 server for the remote benchmark: OpenStack Swift (Debian's swift-proxy, -account,
-container, -object) with s3api and tempauth on loopback, configured as tests/swift_server.cpp
configures it (a one-replica ring on DIR/swift/srv, one process per server, workers = 0), and
with Debian's memcached when it is installed (apt-get install memcached) as the proxy's cache.
Credentials: access key test:tester, secret testing, region us-east-1."""
import os
import pwd
import signal
import socket
import subprocess
import time

ACCESS_KEY = "test:tester"
SECRET = "testing"
REGION = "us-east-1"
SERVERS = ("account", "container", "object", "proxy")
PYTHON = "/usr/bin/python3"  # Debian's, where the swift module is
MEMCACHED = "/usr/bin/memcached"

RINGS = """
import sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for name, port in zip(('account', 'container', 'object'), sys.argv[2:5]):
    b = RingBuilder(6, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port),
               'device': 'd1', 'weight': 1})
    b.rebalance()
    b.get_ring().save(d + '/' + name + '.ring.gz')
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Swift:
    def __init__(self, work):
        if not os.path.exists("/etc/swift/swift.conf"):
            raise SystemExit("/etc/swift/swift.conf is missing (tests/swift_server.cpp writes one)")
        self.dir = d = os.path.join(work, "swift")
        os.makedirs(os.path.join(d, "srv", "d1"), exist_ok=True)
        ports = [free_port() for _ in SERVERS]
        self.endpoint = f"http://127.0.0.1:{ports[3]}"
        # Logs go to a UDP socket nobody reads: the kernel drops them, Swift never waits.
        self.log = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.log.bind(("127.0.0.1", 0))
        subprocess.run([PYTHON, "-c", RINGS, d] + [str(p) for p in ports[:3]], check=True)
        user = pwd.getpwuid(os.geteuid()).pw_name
        # With memcached (when installed), the proxy caches the account and container it checks
        # on every S3 request instead of asking their servers each time: about what a deployed
        # Swift does (a 1000-object pull took 3 s with it here, 20 s without).
        self.memcached = None
        cache = ""
        if os.path.exists(MEMCACHED):
            port = free_port()
            self.memcached = subprocess.Popen([MEMCACHED, "-l", "127.0.0.1", "-p", str(port),
                                               "-U", "0", "-u", user],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                              start_new_session=True)
            cache = f"memcache_servers = 127.0.0.1:{port}\n"
        common = (f"[DEFAULT]\nbind_ip = 127.0.0.1\nswift_dir = {d}\ndevices = {d}/srv\n"
                  f"mount_check = false\nuser = {user}\nworkers = 0\nlog_udp_host = 127.0.0.1\n"
                  f"log_udp_port = {self.log.getsockname()[1]}\n")
        for name, port in zip(SERVERS[:3], ports):
            with open(f"{d}/{name}-server.conf", "w") as f:
                f.write(common + f"bind_port = {port}\n[pipeline:main]\npipeline = {name}-server\n"
                        f"[app:{name}-server]\nuse = egg:swift#{name}\n")
        with open(f"{d}/proxy-server.conf", "w") as f:
            f.write(common + f"bind_port = {ports[3]}\n[pipeline:main]\npipeline = catch_errors "
                    "proxy-logging cache s3api tempauth proxy-logging proxy-server\n"
                    "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
                    f"[filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = {SECRET} .admin\n"
                    "[filter:s3api]\nuse = egg:swift#s3api\n[filter:cache]\nuse = egg:swift#memcache\n"
                    + cache +
                    "[filter:catch_errors]\nuse = egg:swift#catch_errors\n"
                    "[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n")
        self.netrc = os.path.join(d, "netrc")
        with open(self.netrc, "w") as f:  # curl's --user splits the key at its ':'
            f.write(f"machine 127.0.0.1 login {ACCESS_KEY} password {SECRET}\n")
        self.procs = [subprocess.Popen([f"/usr/bin/swift-{n}-server", f"{d}/{n}-server.conf"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True) for n in SERVERS]
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                        AWS_REGION=REGION, AWS_ENDPOINT_URL=self.endpoint)
        self.env.pop("AWS_SESSION_TOKEN", None)
        self.buckets = 0
        for _ in range(600):
            if self.create_bucket("ready", check=False):
                return
            time.sleep(0.1)
        self.stop()
        raise SystemExit("Swift did not start")

    def curl_sigv4(self):
        """The curl options that sign a request as cas does."""
        return ["--aws-sigv4", f"aws:amz:{REGION}:s3", "--netrc-file", self.netrc,
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]

    def create_bucket(self, name, check=True):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"]
                           + self.curl_sigv4() + [f"{self.endpoint}/{name}"],
                           capture_output=True, text=True)
        if check and r.stdout != "200":
            raise SystemExit(f"PUT {self.endpoint}/{name}: {r.stdout} {r.stderr}")
        return r.stdout == "200"

    def new_bucket(self):
        """An empty bucket, named anew: what "an empty server" is for a push."""
        self.buckets += 1
        name = f"bench-{self.buckets}"
        self.create_bucket(name)
        return name

    def pids(self):
        """The server processes, whose CPU time is the server's."""
        return [p.pid for p in self.procs + ([self.memcached] if self.memcached else [])]

    def stop(self):
        procs = self.procs + ([self.memcached] if self.memcached else [])
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait()
        self.log.close()
