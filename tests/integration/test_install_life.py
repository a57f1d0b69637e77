"""test_install_life.py: installs and the cache lifecycle (issues 5 and 7): the object check
before linking, pins against eviction, re-ingestion of evicted wheels, install counters."""
import json
import os
import subprocess
import tempfile
import time

import cache_helpers
from install_helpers import daemon, install, run, simple_wheel, site, venv
from life_helpers import LifeDaemon
from tap import main, test

import wheelfab


def _stats(d):
    return json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)


@test(timeout=300)
def write_through_a_venv_hardlink_never_reaches_the_next_venv():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        a, b = venv(d, "a"), venv(d, "b")
        install(d, a, w, check=0)
        target = os.path.join(site(a), "fab_simple", "__init__.py")
        original = open(target, "rb").read()
        assert os.stat(target).st_nlink > 1, "not hardlinked from the store"
        # Root writes in place through the hardlink (same size: only mtime tells).
        damaged = original.replace(b"1.0", b"6.6")
        assert len(damaged) == len(original) and damaged != original
        fd = os.open(target, os.O_WRONLY)
        os.write(fd, damaged)
        os.close(fd)
        # Before any install notices, cache verify finds the object corrupt.
        r = d.whlc("cache", "verify", check=1)
        assert "corrupt:" in r.stdout, r.stdout
        r = install(d, b, w, check=0)
        assert "re-extracted" in r.stderr, r.stderr
        tb = os.path.join(site(b), "fab_simple", "__init__.py")
        assert open(tb, "rb").read() == original
        assert os.stat(tb).st_ino != os.stat(target).st_ino
        assert run([os.path.join(b, "bin/python"), "-c",
                    "import fab_simple; print(fab_simple.VALUE)"]).stdout == "1.0\n"
        # The install quarantined the damaged object and re-extracted the wheel: the cache is
        # intact again and the store holds the original bytes.
        r = d.whlc("cache", "verify", check=0)
        assert "all intact" in r.stdout, r.stdout
        assert os.listdir(os.path.join(d.cache, "store-v1", "quarantine"))
        d.check_objects()
        # Venv A is left as it is, and whlc verify reports its changed file.
        assert open(target, "rb").read() == damaged
        r = d.whlc("verify", "--venv", a, check=1)
        assert "fab-simple: modified fab_simple/__init__.py" in r.stdout, r.stdout
        d.whlc("verify", "--venv", b, check=0)
        st = _stats(d)
        assert st["installs"].get("hardlink") == 2, st
        assert st["bytes_saved"] > 0, st
    finally:
        d.close()


@test(timeout=300)
def eviction_never_breaks_an_install_in_progress():
    tmp = tempfile.mkdtemp(prefix="whlc-inst-")
    pause = os.path.join(tmp, "paused")
    d = LifeDaemon(tmp, config={"grace-period": "0"},
                   env={"WHLCD_FAILPOINT": "install-after-pin:pause:" + pause}).start()
    try:
        out = os.path.join(tmp, "w")
        files = {"fab_evict/m%03d.py" % i: b"X = %d\n" % i for i in range(200)}
        files["fab_evict/__init__.py"] = b"V = 1\n"
        w = wheelfab.build_wheel(out, "fab-evict", "1.0", files)
        v = venv(d)
        p = subprocess.Popen([cache_helpers.WHLC, "install", "--venv", v, w], env=d.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not os.path.exists(pause):
            assert time.time() < deadline and p.poll() is None, p.communicate()
            time.sleep(0.02)
        # The wheel is pinned: clear and prune keep it and its objects.
        d.whlc("cache", "clear", check=0)
        d.whlc("cache", "prune", "--max-size", "0", check=0)
        d.whlc("cache", "gc", check=0)
        assert os.path.basename(w) in d.wheel_ids()
        objs = d.objects_of(os.path.basename(w))
        assert len(objs) >= 200 and all(os.path.exists(o) for o in objs)
        os.unlink(pause)
        assert p.wait(120) == 0, p.communicate()
        d.whlc("verify", "--venv", v, check=0)
        assert len([f for f in os.listdir(os.path.join(site(v), "fab_evict"))
                    if f.endswith(".py")]) == 201
        # The install unpinned it: now it can go.
        d.whlc("cache", "clear", check=0)
        assert d.wheel_ids() == {}
        d.whlc("verify", "--venv", v, check=0)  # venvs keep their files
    finally:
        d.close()


@test(timeout=300)
def evicted_wheel_is_reingested_from_its_file_or_reported_gone():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        install(d, venv(d, "a"), w, check=0)
        d.whlc("cache", "clear", check=0)
        assert d.counts()["wheels"] == 0
        b = venv(d, "b")
        install(d, b, w, check=0)
        assert d.counts()["wheels"] == 1
        d.whlc("verify", "--venv", b, check=0)
        d.whlc("cache", "clear", check=0)
        os.unlink(w)
        r = install(d, venv(d, "c"), w, check=1)
        assert os.path.basename(w) in r.stderr and "No such file" in r.stderr, r.stderr
        assert d.alive()
    finally:
        d.close()


if __name__ == "__main__":
    main()
