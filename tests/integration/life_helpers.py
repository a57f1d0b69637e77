"""life_helpers.py: a whlcd with a private config file and test mode, plus raw test requests.

    d = LifeDaemon(tmpdir, config={"grace-period": "0"}, args=["--max-size", "1M"]).start()
    wheels = d.make_wheels(3)
    d.test_plan(wheels[0])         # the installer's pre-link object check: {checked, rehashed, ...}
    d.pin(wheel_id) / d.pin(wheel_id, False)
"""
import hashlib
import os
import subprocess
import time

from cache_helpers import WHLC, Daemon

import mpack
import wheelfab

TEST_PIN = 20
TEST_PLAN = 21
VERSION = subprocess.run([WHLC, "--version"], stdout=subprocess.PIPE, text=True).stdout.split()[1]


class LifeDaemon(Daemon):
    """cache_helpers.Daemon with --test-mode, extra whlcd args and $XDG_CONFIG_HOME/whlc/config."""

    def __init__(self, tmpdir, config=None, args=(), env=None):
        super().__init__(tmpdir, env)
        self.args = list(args)
        self.xdg = os.path.join(tmpdir, "xdg")
        os.makedirs(os.path.join(self.xdg, "whlc"), exist_ok=True)
        self.write_config(config or {})

    def write_config(self, config):
        """Write the daemon's configuration file (read at the next start)."""
        with open(os.path.join(self.xdg, "whlc", "config"), "w") as f:
            f.write("# written by the test\n")
            for k, v in config.items():
                f.write("%s = %s\n" % (k, v))

    def env(self, extra=None):
        """cache_helpers.Daemon's environment with this daemon's configuration directory."""
        e = super().env()
        e["XDG_CONFIG_HOME"] = self.xdg
        e.update(extra or {})
        return e

    def start(self, env=None):
        """Start whlcd with --test-mode and this daemon's extra arguments."""
        return super().start(env, args=self.args, test_mode=True)

    # -- raw requests --------------------------------------------------------
    def raw(self, type_, body):
        """One request on a fresh connection; returns the final reply."""
        c = mpack.RawClient(self.socket)
        try:
            r = c.hello(VERSION)
            assert r["type"] == mpack.REPLY_OK, r
            return c.call(type_, body)[1]
        finally:
            c.close()

    def pin(self, wheel_id, pin=True):
        r = self.raw(TEST_PIN, {"wheel_id": wheel_id, "pin": pin})
        assert r["type"] == mpack.REPLY_OK, r

    def test_plan(self, path):
        r = self.raw(TEST_PLAN, {"path": path})
        assert r["type"] == mpack.REPLY_OK, (r, self.read_log()[-2000:])
        return r["body"]

    # -- catalog ------------------------------------------------------------
    def wheel_ids(self):
        """{filename: id} of the cataloged wheels."""
        with self.db() as c:
            return dict(c.execute("SELECT filename, id FROM wheels"))

    def set_last_used(self, filename, t):
        """Pretend a wheel was last used at unix time t (its LRU position)."""
        import sqlite3
        c = sqlite3.connect(os.path.join(self.cache, "catalog.db"), timeout=30)
        with c:
            c.execute("UPDATE wheels SET last_used_at = ? WHERE filename = ?", (t, filename))
        c.close()

    def objects_of(self, filename):
        """Store paths of the objects of a wheel."""
        with self.db() as c:
            rows = c.execute("SELECT o.sha256, o.exec FROM members m JOIN wheels w"
                             " ON w.id = m.wheel_id JOIN objects o ON o.id = m.object_id"
                             " WHERE w.filename = ?", (filename,)).fetchall()
        return sorted(set(self.object_path(s.hex(), e) for s, e in rows))

    def object_path(self, hexsha, exe):
        return os.path.join(self.cache, "store-v1", "objects", hexsha[:2],
                            hexsha[2:] + ("-x" if exe else ""))

    def wait_log(self, text, timeout=30, count=1):
        """Wait until text is in the log (count times)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.read_log().count(text) >= count:
                return
            time.sleep(0.05)
        raise AssertionError("no %r in the log:\n%s" % (text, self.read_log()[-3000:]))

    def make_wheels(self, n, size=200000, prefix="life"):
        """n wheels with distinct content (size random bytes each) and a shared file."""
        out = os.path.join(self.tmpdir, "w")
        return [wheelfab.build_wheel(out, "%s%d" % (prefix, i), "1.0",
                                     {"%s%d/__init__.py" % (prefix, i): b"X = %d\n" % i,
                                      "%s%d/blob.bin" % (prefix, i): os.urandom(size),
                                      "%s%d/shared.txt" % (prefix, i): b"shared by all\n",
                                      "%s%d/run.sh" % (prefix, i): (b"#!/bin/sh\necho %d\n" % i,
                                                                    0o755)})
                for i in range(n)]


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        h.update(f.read())
    return h.hexdigest()
