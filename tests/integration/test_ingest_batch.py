"""test_ingest_batch.py: the wheels of an install request are ingested as one batch: two syncfs
per cold request (not two per wheel), nothing published when one wheel fails, and the crash
points of ingestion still leave a consistent cache (daemon/ingest_batch.h)."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from cache_helpers import Daemon
from install_helpers import install, site, venv
from tap import Skip, main, test

import wheelfab

N = 6


def _wheels(outdir, n=N, prefix="batch"):
    """n small wheels with distinct contents (a module, a 300 kB blob, an executable)."""
    return [wheelfab.build_wheel(outdir, "%s%d" % (prefix, i), "1.0",
                                 {"%s%d/__init__.py" % (prefix, i): b"X = %d\n" % i,
                                  "%s%d/data.bin" % (prefix, i): os.urandom(300000),
                                  "%s%d/run.sh" % (prefix, i): (b"#!/bin/sh\necho %d\n" % i,
                                                                0o755)})
            for i in range(n)]


def _daemon(env=None):
    return Daemon(tempfile.mkdtemp(prefix="whlc-batch-"), env=env).start()


class _Strace:
    """strace -f attached to a running daemon, tracing only the sync calls."""

    def __init__(self, pid, out):
        if shutil.which("strace") is None:
            raise Skip("strace is not installed")
        self.out = out
        self.p = subprocess.Popen(["strace", "-f", "-e", "trace=syncfs,fsync,fdatasync",
                                   "-o", out, "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Attached once every thread of the daemon reports a tracer (-f follows the threads
        # created later).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(self._traced(pid, t) for t in os.listdir("/proc/%d/task" % pid)):
                break
            time.sleep(0.02)

    @staticmethod
    def _traced(pid, tid):
        """Whether thread tid of pid has a tracer."""
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                return any(ln.startswith("TracerPid:") and ln.split()[1] != "0" for ln in f)
        except FileNotFoundError:
            return True  # the thread is gone

    def stop(self):
        """Detach; returns {syscall: count}."""
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=60)
        counts = {}
        with open(self.out) as f:
            for ln in f:
                for call in ("syncfs", "fdatasync", "fsync"):
                    if (" %s(" % call) in ln or ln.startswith(call + "("):
                        counts[call] = counts.get(call, 0) + 1
                        break
        return counts


def _pid(d):
    return d.proc.pid


@test(timeout=180)
def cold_install_of_six_wheels_syncs_the_cache_twice():
    d = _daemon()
    try:
        wheels = _wheels(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        tr = _Strace(_pid(d), os.path.join(d.tmpdir, "strace-cold.txt"))
        r = install(d, v, *wheels, check=None)
        cold = tr.stop()
        assert r.returncode == 0, r.stderr
        assert r.stdout.count("+ batch") == N, r.stdout
        # One syncfs before the objects get their names, one before the catalog names them:
        # per request. Ingesting wheel by wheel made it 2 per wheel (12 here).
        assert cold.get("syncfs", 0) == 2, cold
        assert d.counts()["wheels"] == N
        d.check_objects()
        for i in range(N):
            assert os.path.exists(os.path.join(site(v), "batch%d" % i, "data.bin"))
        # Warm: every object is already durable and in the catalog: no syncfs at all.
        v2 = venv(d, "venv2")
        tr = _Strace(_pid(d), os.path.join(d.tmpdir, "strace-warm.txt"))
        r = install(d, v2, *wheels, check=None)
        warm = tr.stop()
        assert r.returncode == 0, r.stderr
        assert warm.get("syncfs", 0) == 0, warm
        assert d.whlc("cache", "verify").returncode == 0
    finally:
        d.close()


@test(timeout=180)
def a_bad_wheel_publishes_nothing_of_the_request_and_the_first_error_is_reported():
    d = _daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        good = _wheels(out, 4)
        bad = [wheelfab.build_wheel(out, "broken%d" % i, "1.0",
                                    {"broken%d/__init__.py" % i: b"Y = 1\n"}, record=False)
               for i in range(2)]
        v = venv(d)
        # Given in this order, broken0 is the first failure whichever thread reads it.
        r = install(d, v, good[0], good[1], bad[0], good[2], bad[1], good[3], check=1)
        assert "broken0-1.0" in r.stderr and "broken1-1.0" not in r.stderr, r.stderr
        # Nothing of the request was published: no wheel, no object, no temporary.
        assert d.counts()["wheels"] == 0, d.counts()
        assert d.object_files() == [], d.object_files()
        assert d.tmp_files() == [], d.tmp_files()
        assert not [n for n in os.listdir(site(v)) if n.startswith("batch")]
        # Without the broken wheels the same request installs everything.
        r = install(d, v, *good)
        assert r.returncode == 0 and r.stdout.count("+ batch") == 4, r.stdout + r.stderr
        d.check_objects()
    finally:
        d.close()


def _crash(point):
    """Install N wheels through a daemon killed at point; return (daemon, wheels, venv)."""
    d = Daemon(tempfile.mkdtemp(prefix="whlc-batch-"))
    d.start(env={"WHLCD_FAILPOINT": point + ":kill"})
    wheels = _wheels(os.path.join(d.tmpdir, "w"))
    v = venv(d)
    r = install(d, v, *wheels, check=None)
    assert r.returncode != 0, r.stdout
    assert d.wait_dead() != 0
    assert d.counts()["wheels"] == 0, d.counts()  # died before any catalog transaction
    return d, wheels, v


def _recover(d, wheels, v):
    """Restart: no temporary left, every catalog object whole; the same install succeeds."""
    d.start(env={})
    assert d.tmp_files() == [], d.tmp_files()
    d.check_objects()
    r = install(d, v, *wheels)
    assert r.returncode == 0 and r.stdout.count("+ batch") == N, r.stdout + r.stderr
    assert d.counts()["wheels"] == N
    d.check_objects()
    assert d.whlc("cache", "verify").returncode == 0
    assert d.whlc("verify", "--venv", v).returncode == 0


@test(timeout=180)
def killed_before_publish_every_wheel_is_staged_and_nothing_is_named():
    d, wheels, v = _crash("ingest-before-publish")
    try:
        # The batch stops before its first sync: every wheel's members are temporaries
        # (3 distinct contents per wheel plus its dist-info files), no object has a name.
        assert d.object_files() == [], d.object_files()
        assert len(d.tmp_files()) >= 3 * N, d.tmp_files()
        _recover(d, wheels, v)
        assert "leftover temporary" in d.read_log()
    finally:
        d.close()


@test(timeout=180)
def killed_before_commit_every_object_is_named_and_whole_and_no_wheel_is_cataloged():
    d, wheels, v = _crash("ingest-before-commit")
    try:
        # Both syncs done: every object of every wheel is published, complete, and
        # referenced by no catalog row (cache gc material); no temporary remains.
        objs = d.object_files()
        assert len(objs) >= 3 * N, objs
        assert d.tmp_files() == [], d.tmp_files()
        _recover(d, wheels, v)
    finally:
        d.close()


@test(timeout=180)
def error_at_the_commit_point_reports_and_leaves_no_temporary():
    d = _daemon(env={"WHLCD_FAILPOINT": "ingest-before-commit:error"})
    try:
        wheels = _wheels(os.path.join(d.tmpdir, "w"), 3)
        v = venv(d)
        r = install(d, v, *wheels, check=1)
        assert "ingest-before-commit" in r.stderr, r.stderr
        assert d.counts()["wheels"] == 0 and d.tmp_files() == []
        assert not [n for n in os.listdir(site(v)) if n.startswith("batch")]
        assert d.alive()
    finally:
        d.close()


if __name__ == "__main__":
    main()
