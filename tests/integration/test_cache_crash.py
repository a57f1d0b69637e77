"""test_cache_crash.py: kill the daemon inside an ingest, restart: the store stays consistent."""
import os
import tempfile

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from cache_helpers import Daemon
from tap import main, test

import wheelfab


def _wheels(d):
    """Two wheels with a few files each."""
    out = os.path.join(d.tmpdir, "w")
    return [wheelfab.build_wheel(out, "crash%d" % i, "1.0",
                                 {"crash%d/__init__.py" % i: b"X = %d\n" % i,
                                  "crash%d/data.bin" % i: os.urandom(300000),
                                  "crash%d/run.sh" % i: (b"#!/bin/sh\n", 0o755)})
            for i in range(2)]


def _crash_and_recover(point):
    """Ingest with a kill failure point, restart, check consistency and re-add."""
    d = Daemon(tempfile.mkdtemp(prefix="whlc-crash-"))
    d.start()
    wheels = _wheels(d)
    d.whlc("cache", "add", wheels[0], check=0)
    before = d.counts()
    d.stop()
    d.start(env={"WHLCD_FAILPOINT": point + ":kill"})
    r = d.whlc("cache", "add", wheels[1])
    assert r.returncode != 0, r.stdout
    assert d.wait_dead() != 0
    # Died inside the ingest: the catalog did not change.
    assert d.counts() == before, (before, d.counts())
    d.start(env={})
    assert d.tmp_files() == [], d.tmp_files()
    assert "leftover temporary" in d.read_log() or point != "ingest-before-publish"
    d.check_objects()  # the catalog names no missing object
    r = d.whlc("cache", "add", wheels[1], check=0)
    assert r.stdout.startswith("added crash1==1.0"), r.stdout
    assert d.counts()["wheels"] == before["wheels"] + 1
    assert d.whlc("cache", "add", wheels[0], check=0).stdout == "cached crash0==1.0\n"
    d.check_objects()
    d.close()


@test
def kill_before_commit():
    _crash_and_recover("ingest-before-commit")


@test
def kill_before_publish_leaves_temporaries_that_restart_removes():
    _crash_and_recover("ingest-before-publish")


@test
def error_failpoint_reports_and_keeps_serving():
    d = Daemon(tempfile.mkdtemp(prefix="whlc-crash-"),
               env={"WHLCD_FAILPOINT": "ingest-before-commit:error"}).start()
    try:
        w = _wheels(d)[0]
        r = d.whlc("cache", "add", w, check=1)
        assert "ingest-before-commit" in r.stderr, r.stderr
        assert d.counts()["wheels"] == 0 and d.tmp_files() == []
        assert d.alive()
    finally:
        d.close()


if __name__ == "__main__":
    main()
