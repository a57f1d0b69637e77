#!/usr/bin/env python3
"""test_disk_full.py: ingestion on a full filesystem (a size-limited tmpfs as the cache).

Each case mounts a small tmpfs on the cache directory (the tests run as root), starts
a real whlcd on it and runs `whlc cache add` on a real wheel. Whatever the point the
space runs out at (a temporary file's data, creating a temporary, the catalog), the
command fails with a "No space left on device" error naming the wheel (and the member
being written), the catalog is unchanged, no temporary remains, every object on disk
is complete, and the daemon keeps serving. After the filesystem grows, the very same
command succeeds.
"""
import glob
import json
import os
import subprocess
import tempfile

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from cache_helpers import Daemon
from tap import Skip, main, test

import wheelfab

REAL = sorted(glob.glob("/usr/share/python-wheels/pip-*.whl") +
              glob.glob("/usr/share/python-wheels/setuptools-*.whl"))


class SmallCache:
    """A Daemon whose cache directory is a tmpfs of the given mount options."""

    def __init__(self, opts):
        self.d = Daemon(tempfile.mkdtemp(prefix="whlc-full-"))
        os.makedirs(self.d.cache)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "whlc-test-full", self.d.cache],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.d.close()
            raise Skip("cannot mount a tmpfs (needs root): " + r.stderr.strip())

    def grow(self, opts="size=256m,nr_inodes=100000"):
        subprocess.run(["mount", "-o", "remount," + opts, self.d.cache], check=True)

    def __enter__(self):
        return self.d

    def __exit__(self, *exc):
        self.d.stop()
        subprocess.run(["umount", "-l", self.d.cache])
        self.d.close()
        return False


def counts(d):
    """Wheels, objects and files in the catalog, as the daemon reports them. (Reading a
    brand-new WAL catalog read-only from Python can miss its schema.)"""
    st = json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)
    return {k: st[k] for k in ("wheels", "objects", "files", "logical_bytes")}


def check_clean_failure(d, wheel, r, before):
    """The add failed cleanly: a clear message, catalog unchanged, no temporaries."""
    base = os.path.basename(wheel)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert base in r.stderr and "(ENOSPC)" in r.stderr, r.stderr
    # The store says so in strerror's words, SQLite in its own.
    assert "No space left on device" in r.stderr or "disk is full" in r.stderr, r.stderr
    assert "free space" in r.stderr, r.stderr
    assert counts(d) == before, (before, counts(d))
    assert d.tmp_files() == [], d.tmp_files()
    d.check_objects()  # every object file complete and named by its content
    assert d.alive(), d.read_log()[-3000:]
    d.whlc("status", check=0)


def add_after_freeing(sc, d, wheel):
    """After space is freed the same command succeeds and the store is consistent."""
    sc.grow()
    d.whlc("cache", "add", wheel, check=0)
    assert counts(d)["wheels"] >= 1
    d.check_objects()
    assert d.tmp_files() == []


@test(timeout=300)
def data_does_not_fit():
    if not REAL:
        raise Skip("no real wheel in /usr/share/python-wheels")
    wheel = REAL[0]
    sc = SmallCache("size=2m")
    with sc as d:
        d.start()
        before = counts(d)
        r = d.whlc("cache", "add", wheel)
        check_clean_failure(d, wheel, r, before)
        assert "member '" in r.stderr, r.stderr  # names what was being written
        print("# " + r.stderr.strip())
        add_after_freeing(sc, d, wheel)


@test(timeout=600)
def space_runs_out_at_every_stage():
    """Sizes from too small for the first member to almost enough: each fails cleanly
    (or succeeds), and the same command succeeds once the filesystem grows."""
    if not REAL:
        raise Skip("no real wheel in /usr/share/python-wheels")
    wheel = REAL[0]
    # The space one successful ingest takes on tmpfs, to sweep below it.
    with SmallCache("size=256m") as d:
        d.start()
        d.whlc("cache", "add", wheel, check=0)
        used = int(subprocess.check_output(["df", "--output=used", "-k", d.cache],
                                           text=True).split()[-1])
    failures = successes = 0
    messages = set()
    for frac in (5, 20, 40, 60, 75, 85, 90, 94, 97, 99, 100, 102):
        size_k = max(used * frac // 100, 64)
        sc = SmallCache("size=%dk" % size_k)
        with sc as d:
            try:
                d.start()
                started = d.whlc("status").returncode == 0 and d.alive()
            except AssertionError:
                started = False
            if not started:
                # Not even room for an empty catalog: whlcd refuses to start (it says so).
                assert "database or disk is full" in d.read_log(), d.read_log()[-2000:]
                continue
            before = counts(d)
            r = d.whlc("cache", "add", wheel)
            if r.returncode == 0:
                successes += 1
            else:
                check_clean_failure(d, wheel, r, before)
                failures += 1
                messages.add(r.stderr.split(": ", 2)[-1][:80])
            add_after_freeing(sc, d, wheel)
    print("# %d sizes failed cleanly, %d fit; messages: %s" % (failures, successes, sorted(messages)))
    assert failures >= 3, (failures, successes)


@test(timeout=300)
def out_of_inodes_and_daemon_keeps_serving():
    with tempfile.TemporaryDirectory() as t:
        wheel = wheelfab.build_wheel(t, "manyfiles", "1.0",
                                     {"manyfiles/m%03d.py" % i: b"X = %d\n" % i for i in range(400)})
        sc = SmallCache("size=64m")
        with sc as d:
            d.start()
            d.whlc("status", check=0)
            # Leave room for 100 more files: the catalog and store exist, the wheel's 400 do not fit.
            used = int(subprocess.check_output(["df", "--output=iused", d.cache], text=True).split()[-1])
            sc.grow("size=64m,nr_inodes=%d" % (used + 100))
            before = counts(d)
            r = d.whlc("cache", "add", wheel)
            check_clean_failure(d, wheel, r, before)
            print("# " + r.stderr.strip())
            add_after_freeing(sc, d, wheel)


if __name__ == "__main__":
    main()
