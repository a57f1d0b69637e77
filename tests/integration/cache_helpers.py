"""cache_helpers.py: a real whlcd on a private socket and cache (tests/lib/daemon.py), and
readers of its store.

    d = Daemon(tmpdir, env={"WHLCD_FAILPOINT": "ingest-before-commit:kill"})
    d.start()
    r = d.whlc("cache", "add", wheel)        # CompletedProcess (text)
    d.counts()                               # {'wheels': n, 'members': n, 'objects': n, ...}
    d.close()
"""
import hashlib
import os
import sqlite3
import stat
import subprocess
import sys

BUILDDIR = os.environ.get("WHLC_BUILDDIR", os.getcwd())
SRCDIR = os.environ.get("WHLC_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

import daemon as libdaemon  # noqa: E402

# The binaries tests/lib/daemon.py runs (a reachable copy when the build dir is private).
WHLC = libdaemon.WHLC
WHLCD = libdaemon.WHLCD


class Daemon(libdaemon.Daemon):
    """tests/lib/daemon.py's whlcd, on tmpdir/s/whlcd.sock with cache tmpdir/cache and
    env (e.g. a failure point) for the daemon only; no --test-mode."""

    def __init__(self, tmpdir, env=None):
        # Not super().__init__: the directory is the caller's, not a new mkdtemp.
        self.dir = self.tmpdir = tmpdir
        self.sockdir = os.path.join(tmpdir, "s")
        os.makedirs(self.sockdir, mode=0o700, exist_ok=True)
        os.chmod(self.sockdir, 0o700)
        self.socket = os.path.join(self.sockdir, "whlcd.sock")
        self.cache_dir = self.cache = os.path.join(tmpdir, "cache")
        self.log_path = os.path.join(tmpdir, "whlcd.log")
        self.extra_env = dict(env or {})
        self.proc = None

    def env(self, extra=None):
        """Environment for whlc: this socket and cache, never auto-start another binary;
        a failure point reaches only the daemon, through extra."""
        e = super().env()
        e.pop("WHLCD_FAILPOINT", None)
        e.update(extra or {})
        return e

    def start(self, env=None, args=(), test_mode=False):
        """Start whlcd in the foreground (env: instead of the constructor's) and wait
        until its socket accepts connections."""
        super().start(*args, test_mode=test_mode,
                      env=self.extra_env if env is None else env)
        return self

    def whlc(self, *args, check=None, timeout=600):
        """Run the client; check=0/1 asserts the exit code."""
        r = subprocess.run([WHLC] + list(args), env=self.env(), capture_output=True, text=True, errors="replace",
                           timeout=timeout)
        if check is not None and r.returncode != check:
            raise AssertionError("whlc %s: exit %d, expected %d\nstdout: %s\nstderr: %s\nlog:\n%s"
                                 % (" ".join(args), r.returncode, check, r.stdout, r.stderr,
                                    self.read_log()[-3000:]))
        return r

    def stop(self, timeout=60):
        """Stop the daemon (SIGTERM) and wait for it."""
        super().stop(timeout)
        self.proc = None

    def close(self):
        """Stop the daemon, kill any whlcd left on this socket, remove the directory."""
        self.stop()
        self.cleanup()

    def wait_dead(self, timeout=60):
        """Wait for the daemon to die on its own (failure point); returns its status."""
        return self.proc.wait(timeout=timeout)

    def alive(self):
        """True while the daemon process runs."""
        return self.proc is not None and self.proc.poll() is None

    def read_log(self):
        """The daemon's log so far."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- what is on disk ---------------------------------------------------

    def db(self):
        """A read-only sqlite3 connection to the catalog."""
        return sqlite3.connect("file:%s?mode=ro" % os.path.join(self.cache, "catalog.db"),
                               uri=True)

    def counts(self):
        """Row counts of the catalog tables that ingestion writes."""
        with self.db() as c:
            return {t: c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                    for t in ("wheels", "members", "objects", "wheel_files")}

    def object_files(self):
        """Paths of every object file in the store."""
        root = os.path.join(self.cache, "store-v1", "objects")
        out = []
        for d, _, files in os.walk(root):
            out += [os.path.join(d, f) for f in files]
        return out

    def tmp_files(self):
        """Files left in the store's tmp directory."""
        return os.listdir(os.path.join(self.cache, "store-v1", "tmp"))

    def check_objects(self):
        """Every object is read-only, its name is its content's SHA-256 (+ -x when 0555),
        and every catalog object exists on disk. Returns the number of objects checked."""
        files = self.object_files()
        for p in files:
            st = os.lstat(p)
            assert stat.S_ISREG(st.st_mode), p
            name = os.path.basename(os.path.dirname(p)) + os.path.basename(p)
            exe = name.endswith("-x")
            hexd = name[:-2] if exe else name
            assert stat.S_IMODE(st.st_mode) == (0o555 if exe else 0o444), (p, oct(st.st_mode))
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            assert h.hexdigest() == hexd, "object %s holds %s" % (p, h.hexdigest())
        on_disk = set(files)
        with self.db() as c:
            for sha, ex in c.execute("SELECT sha256, exec FROM objects"):
                hx = sha.hex()
                p = os.path.join(self.cache, "store-v1", "objects", hx[:2],
                                 hx[2:] + ("-x" if ex else ""))
                assert p in on_disk, "catalog names a missing object " + p
        return len(files)
