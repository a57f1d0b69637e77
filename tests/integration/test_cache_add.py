"""test_cache_add.py: whlc cache add/stats/dir through a real daemon and client."""
import json
import os
import tempfile

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from cache_helpers import Daemon
from tap import Skip, main, test

import realwheels
import wheelfab


def _daemon():
    """A fresh daemon in a fresh temporary directory."""
    return Daemon(tempfile.mkdtemp(prefix="whlc-cache-")).start()


def _lines(out, prefix):
    """Lines of out starting with prefix."""
    return [ln for ln in out.splitlines() if ln.startswith(prefix)]


@test(timeout=300)
def fixture_wheels_are_added():
    d = _daemon()
    try:
        out = os.path.join(d.tmpdir, "wheels")
        wheels = [p for _, p in wheelfab.fixture_corpus(out, "/usr/bin/python3")]
        r = d.whlc("cache", "add", *wheels, check=0)
        assert len(_lines(r.stdout, "added ")) + len(_lines(r.stdout, "cached ")) == len(wheels)
        c = d.counts()
        assert c["wheels"] == len(set(open(w, "rb").read() for w in wheels)), c
        assert d.check_objects() == c["objects"] > 0
        assert d.tmp_files() == []
        # Every wheel's members have objects; exec bits survive.
        with d.db() as db:
            n_exec = db.execute("SELECT count(*) FROM members WHERE exec = 1").fetchone()[0]
            assert n_exec > 0
            bad = db.execute("SELECT count(*) FROM members m LEFT JOIN objects o"
                             " ON o.id = m.object_id WHERE o.id IS NULL").fetchone()[0]
            assert bad == 0
    finally:
        d.close()


@test(timeout=600)
def real_wheels_are_added():
    wheels = realwheels.bundled()
    if not wheels:
        raise Skip("no real wheels on this machine")
    d = _daemon()
    try:
        r = d.whlc("cache", "add", *wheels, check=0)
        assert len(r.stdout.splitlines()) == len(wheels), r.stdout
        names = {ln.split()[1].split("==")[0] for ln in r.stdout.splitlines()}
        assert "pip" in names and "setuptools" in names, names
        assert d.check_objects() > 100
        assert d.tmp_files() == []
    finally:
        d.close()


@test
def same_wheel_twice_is_not_rehashed():
    d = _daemon()
    try:
        w = wheelfab.build_wheel(os.path.join(d.tmpdir, "w"), "twice", "1.0",
                                 {"twice/__init__.py": b"X = 1\n",
                                  "twice/run.sh": (b"#!/bin/sh\necho hi\n", 0o755)})
        r = d.whlc("cache", "add", w, check=0)
        assert r.stdout.startswith("added twice==1.0 ("), r.stdout
        before = d.counts()
        objs = sorted(d.object_files())
        r = d.whlc("cache", "add", "--json", w, check=0)
        res = json.loads(r.stdout)["results"][0]
        assert res["status"] == "cached" and res["stat_hit"] is True, res
        assert res["bytes_read"] == 0 and res["new_objects"] == 0, res
        assert d.counts() == before
        assert sorted(d.object_files()) == objs
        st = json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)
        assert st["hits"] == 1 and st["misses"] == 1, st
        # A copy (new inode) is hashed once, recognised, and not re-extracted.
        copy = os.path.join(d.tmpdir, "copy")
        os.makedirs(copy)
        cp = os.path.join(copy, os.path.basename(w))
        with open(w, "rb") as a, open(cp, "wb") as b:
            b.write(a.read())
        r = d.whlc("cache", "add", "--json", cp, check=0)
        res = json.loads(r.stdout)["results"][0]
        assert res["status"] == "cached" and res["stat_hit"] is False, res
        assert res["bytes_read"] == 0, res
        r = d.whlc("cache", "add", cp, check=0)
        assert r.stdout == "cached twice==1.0\n", r.stdout
        assert d.counts()["objects"] == before["objects"]
    finally:
        d.close()


@test
def two_versions_share_objects():
    d = _daemon()
    try:
        files = {"share/__init__.py": b"SHARED = True\n" * 100,
                 "share/big.txt": b"data " * 10000,
                 "share/tool.sh": (b"#!/bin/sh\n", 0o755)}
        w1 = wheelfab.build_wheel(os.path.join(d.tmpdir, "w"), "share", "1.0",
                                  dict(files, **{"share/v.py": b"V = 1\n"}))
        w2 = wheelfab.build_wheel(os.path.join(d.tmpdir, "w"), "share", "2.0",
                                  dict(files, **{"share/v.py": b"V = 2\n"}))
        d.whlc("cache", "add", w1, check=0)
        n1 = d.counts()["objects"]
        r = d.whlc("cache", "add", "--json", w2, check=0)
        res = json.loads(r.stdout)["results"][0]
        # Only v.py, METADATA and RECORD differ (WHEEL is identical).
        assert res["new_objects"] == 3, res
        assert d.counts()["objects"] == n1 + 3
        with d.db() as db:
            shared = db.execute(
                "SELECT count(*) FROM members a JOIN members b ON a.object_id = b.object_id"
                " WHERE a.wheel_id < b.wheel_id").fetchone()[0]
        assert shared == 4, shared  # __init__.py, big.txt, tool.sh, WHEEL
        st = json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)
        assert st["wheels"] == 2 and st["logical_bytes"] > st["disk_bytes"], st
        assert st["dedup_ratio"] > 1.5, st
        d.check_objects()
    finally:
        d.close()


@test
def exec_bit_makes_a_separate_object():
    d = _daemon()
    try:
        w = wheelfab.build_wheel(os.path.join(d.tmpdir, "w"), "modes", "1.0",
                                 {"modes/a.sh": (b"#!/bin/sh\n", 0o755),
                                  "modes/b.sh": (b"#!/bin/sh\n", 0o644)})
        d.whlc("cache", "add", w, check=0)
        with d.db() as db:
            rows = db.execute("SELECT exec FROM objects WHERE sha256 IN"
                              " (SELECT sha256 FROM objects GROUP BY sha256"
                              " HAVING count(*) = 2)").fetchall()
        assert sorted(rows) == [(0,), (1,)], rows
        d.check_objects()
    finally:
        d.close()


@test
def one_bad_wheel_does_not_stop_the_others():
    d = _daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        good = [wheelfab.build_wheel(out, "good%d" % i, "1.0", {"good%d/x.py" % i: b"%d" % i})
                for i in range(4)]
        bad = wheelfab.build_wheel(out, "badrec", "1.0", {"badrec/x.py": b"x"}, record=False)
        r = d.whlc("cache", "add", good[0], bad, *good[1:], check=1)
        assert len(_lines(r.stdout, "added ")) == 4, r.stdout
        err = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
        assert len(err) == 1 and "badrec-1.0-py3-none-any.whl" in err[0], r.stderr
        assert "RECORD" in err[0] and "(bad-record)" in err[0], err
        assert d.counts()["wheels"] == 4
        missing = d.whlc("cache", "add", os.path.join(out, "nope-1.0-py3-none-any.whl"),
                         check=1)
        assert "nope-1.0-py3-none-any.whl" in missing.stderr
    finally:
        d.close()


@test
def newer_wheel_minor_version_warns():
    d = _daemon()
    try:
        w = wheelfab.build_wheel(os.path.join(d.tmpdir, "w"), "newer", "1.0",
                                 {"newer/x.py": b"x"}, wheel_version="1.9")
        r = d.whlc("cache", "add", w, check=0)
        assert r.stdout.startswith("added newer==1.0"), r.stdout
        assert "warning" in r.stderr and "Wheel-Version" in r.stderr, r.stderr
    finally:
        d.close()


@test
def stats_and_dir():
    d = _daemon()
    try:
        r = d.whlc("cache", "dir", check=0)
        assert r.stdout.strip() == d.cache
        assert os.path.isfile(os.path.join(d.cache, "CACHEDIR.TAG"))
        st = json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)
        for k in ("wheels", "objects", "logical_bytes", "disk_bytes", "dedup_ratio", "hits",
                  "misses"):
            assert k in st, k
        assert st["wheels"] == 0
        r = d.whlc("cache", "stats", check=0)
        assert "dedup ratio:" in r.stdout and "on disk:" in r.stdout, r.stdout
        assert d.whlc("cache", "bogus").returncode == 2
        assert d.whlc("cache", "add").returncode == 2
    finally:
        d.close()


if __name__ == "__main__":
    main()
