"""test_cache_life.py: cache lifecycle (issue 7): prune, gc, clear, pins, verify, repair,
integrity before linking, startup scan, tar round trip, background eviction."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from life_helpers import LifeDaemon, sha256_file
from tap import main, test

NOGRACE = {"grace-period": "0"}


def _daemon(config=None, args=()):
    return LifeDaemon(tempfile.mkdtemp(prefix="whlc-life-"), config=config, args=args).start()


def _stats(d):
    return json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)


def _names(wheels):
    return [os.path.basename(w) for w in wheels]


@test
def prune_by_size_evicts_least_recently_used_first():
    d = _daemon(NOGRACE)
    try:
        wheels = d.make_wheels(3)
        d.whlc("cache", "add", *wheels, check=0)
        names = _names(wheels)
        now = int(time.time())
        # life1 is the oldest, then life0, life2 the most recent.
        for name, age in zip(names, (200, 300, 100)):
            d.set_last_used(name, now - age)
        objs = {n: d.objects_of(n) for n in names}
        blobs = {n: [p for p in objs[n] if os.path.getsize(p) == 200000][0] for n in names}
        r = d.whlc("cache", "prune", "--max-size", "250K", check=0)
        assert "2 wheel(s) evicted" in r.stdout, r.stdout
        assert list(d.wheel_ids()) == [names[2]], d.wheel_ids()
        for n in names[:2]:
            assert not os.path.exists(blobs[n]), n
        # The shared file is still referenced by the remaining wheel.
        assert all(os.path.exists(p) for p in objs[names[2]])
        d.check_objects()
        st = _stats(d)
        assert st["last_eviction"] >= now and st["referenced_bytes"] <= 250 * 1024, st
        # An evicted wheel is ingested again from its file.
        r = d.whlc("cache", "add", wheels[0], check=0)
        assert r.stdout.startswith("added life0==1.0"), r.stdout
    finally:
        d.close()


@test
def prune_older_than_keeps_recent_wheels():
    d = _daemon(NOGRACE)
    try:
        wheels = d.make_wheels(3)
        d.whlc("cache", "add", *wheels, check=0)
        names = _names(wheels)
        d.set_last_used(names[1], int(time.time()) - 10 * 86400)
        r = d.whlc("cache", "prune", "--older-than", "7d", check=0)
        assert "1 wheel(s) evicted" in r.stdout, r.stdout
        assert sorted(d.wheel_ids()) == sorted([names[0], names[2]])
        d.check_objects()
        r = d.whlc("cache", "prune", "--older-than", "soon", check=1)
        assert "--older-than wants a duration" in r.stderr, r.stderr
    finally:
        d.close()


@test
def gc_removes_only_unreferenced_objects_after_the_grace_period():
    d = _daemon()  # default grace period: 1 hour
    try:
        wheels = d.make_wheels(2)
        d.whlc("cache", "add", *wheels, check=0)
        names = _names(wheels)
        gone = [p for p in d.objects_of(names[0]) if p not in d.objects_of(names[1])]
        d.set_last_used(names[0], int(time.time()) - 86400)
        r = d.whlc("cache", "prune", "--older-than", "1h", check=0)
        assert "1 wheel(s) evicted, 0 object(s) removed" in r.stdout, r.stdout
        assert "kept (grace period)" in r.stdout, r.stdout
        assert all(os.path.exists(p) for p in gone)
        r = d.whlc("cache", "gc", check=0)
        assert "0 object(s) removed" in r.stdout, r.stdout
        d.stop()
        d.write_config(NOGRACE)
        d.start()
        r = d.whlc("cache", "gc", check=0)
        assert "%d object(s) removed" % len(gone) in r.stdout, (r.stdout, gone)
        assert not any(os.path.exists(p) for p in gone)
        assert all(os.path.exists(p) for p in d.objects_of(names[1]))
        d.check_objects()
    finally:
        d.close()


@test
def clear_empties_the_cache():
    d = _daemon()
    try:
        wheels = d.make_wheels(2)
        d.whlc("cache", "add", *wheels, check=0)
        d.whlc("cache", "clear", check=0)
        assert d.object_files() == [] and d.counts()["wheels"] == 0, d.object_files()
        assert d.counts()["objects"] == 0
        d.whlc("cache", "add", wheels[0], check=0)
        d.check_objects()
    finally:
        d.close()


@test
def pinned_wheel_is_not_evicted():
    d = _daemon(NOGRACE)
    try:
        wheels = d.make_wheels(2)
        d.whlc("cache", "add", *wheels, check=0)
        names = _names(wheels)
        ids = d.wheel_ids()
        d.set_last_used(names[0], int(time.time()) - 1000)  # the LRU victim
        d.pin(ids[names[0]])
        r = d.whlc("cache", "prune", "--max-size", "1", check=0)
        assert "1 wheel(s) evicted" in r.stdout and "in use kept" in r.stdout, r.stdout
        assert list(d.wheel_ids()) == [names[0]]
        assert all(os.path.exists(p) for p in d.objects_of(names[0]))
        d.whlc("cache", "clear", check=0)
        assert list(d.wheel_ids()) == [names[0]]
        d.check_objects()
        d.pin(ids[names[0]], False)
        d.whlc("cache", "prune", "--max-size", "1", check=0)
        assert d.wheel_ids() == {}
    finally:
        d.close()


def _write_object(d, data, exe=False, name_of=None):
    """Write a file into the store under the name of name_of's hash (default data's)."""
    import hashlib
    hx = hashlib.sha256(name_of if name_of is not None else data).hexdigest()
    p = d.object_path(hx, exe)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, 0o555 if exe else 0o444)
    return p


@test
def verify_finds_each_kind_of_inconsistency_and_repair_fixes_them():
    d = _daemon(NOGRACE)
    try:
        wheels = d.make_wheels(2)
        d.whlc("cache", "add", *wheels, check=0)
        r = d.whlc("cache", "verify", check=0)
        assert "all intact" in r.stdout, r.stdout
        objs = [p for p in d.objects_of(_names(wheels)[0]) if "-x" not in p]
        big = [p for p in objs if os.path.getsize(p) == 200000][0]
        small = [p for p in objs if p != big]
        # corrupted bytes (written in place, as through a hardlink)
        os.chmod(big, 0o644)
        with open(big, "r+b") as f:
            f.write(b"EVIL")
        os.chmod(big, 0o444)
        # wrong mode
        os.chmod(small[0], 0o644)
        # missing object
        missing = d.objects_of(_names(wheels)[1])[0]
        os.unlink(missing)
        # unknown objects: one valid, one whose content is not its name
        unknown = _write_object(d, b"nobody references me\n")
        bogus = _write_object(d, b"wrong content\n", name_of=b"something else")
        # a catalog row naming a missing object
        import sqlite3
        c = sqlite3.connect(os.path.join(d.cache, "catalog.db"), timeout=30)
        with c:
            c.execute("INSERT INTO objects (sha256, exec, size, added_at) VALUES (?, 0, 5, 0)",
                      (b"\x42" * 32,))
        c.close()
        # a stray temporary and a stray name in objects/
        tmpf = os.path.join(d.cache, "store-v1", "tmp", "t1.1")
        with open(tmpf, "w") as f:
            f.write("partial")
        old = time.time() - 7200
        os.utime(tmpf, (old, old))
        with open(os.path.join(d.cache, "store-v1", "objects", "README"), "w") as f:
            f.write("stray")

        r = d.whlc("cache", "verify", "--json", check=1)
        probs = json.loads(r.stdout)["problems"]
        kinds = sorted(p["kind"] for p in probs)
        assert kinds == ["corrupt", "missing", "missing", "mode", "stray", "temporary",
                         "unknown", "unknown"], (kinds, probs)
        assert not any(p["repaired"] for p in probs)
        r = d.whlc("cache", "verify", check=1)
        assert "corrupt: " + os.path.relpath(big, os.path.join(d.cache, "store-v1", "objects")) \
            in r.stdout, r.stdout

        r = d.whlc("cache", "verify", "--repair", check=1)
        assert r.stdout.count("[repaired]") == 8, r.stdout
        assert "repair: re-extracted life0-1.0-py3-none-any.whl" in r.stdout, r.stdout
        assert "repair: re-extracted life1-1.0-py3-none-any.whl" in r.stdout, r.stdout
        r = d.whlc("cache", "verify", check=0)
        assert "all intact" in r.stdout, r.stdout
        assert sorted(d.wheel_ids()) == sorted(_names(wheels))
        assert os.path.exists(unknown) and not os.path.exists(bogus)
        assert os.path.exists(missing) and not os.path.exists(tmpf)
        assert os.listdir(os.path.join(d.cache, "store-v1", "quarantine"))
        d.check_objects()
    finally:
        d.close()


@test
def write_through_a_hardlink_is_detected_before_linking_and_the_next_plan_gets_original_bytes():
    d = _daemon()
    try:
        w = d.make_wheels(1)[0]
        d.whlc("cache", "add", w, check=0)
        r = d.test_plan(w)
        assert r["damaged"] == 0 and r["rehashed"] == 0 and r["checked"] == r["members"], r
        big = [p for p in d.objects_of(os.path.basename(w)) if os.path.getsize(p) == 200000][0]
        original = open(big, "rb").read()
        venv = os.path.join(d.tmpdir, "venv")
        os.makedirs(venv)
        link = os.path.join(venv, "blob.bin")
        os.link(big, link)  # what an install does
        time.sleep(0.01)
        os.chmod(link, 0o644)  # root, a careless chmod or an editor
        with open(link, "r+b") as f:
            f.write(b"DAMAGED")
        r = d.whlc("cache", "verify", check=1)
        assert "corrupt:" in r.stdout, r.stdout
        r = d.test_plan(w)
        assert r["damaged"] == 1 and "blob.bin" in r["first_damage"], r
        # The store has the original bytes again, in a new inode.
        assert open(big, "rb").read() == original
        assert os.stat(big).st_ino != os.stat(link).st_ino
        assert stat.S_IMODE(os.stat(big).st_mode) == 0o444
        assert open(link, "rb").read().startswith(b"DAMAGED")  # the venv's file is its own
        r = d.test_plan(w)
        assert r["damaged"] == 0, r
        d.whlc("cache", "verify", check=0)
    finally:
        d.close()


@test
def startup_scan_adopts_unknown_objects_and_marks_missing_ones():
    d = _daemon(NOGRACE)
    try:
        w = d.make_wheels(1)[0]
        d.whlc("cache", "add", w, check=0)
        time.sleep(2.1)  # let the clean-stop snapshot record these directories
        d.stop()
        gone = d.objects_of(os.path.basename(w))[0]
        os.unlink(gone)
        unknown = _write_object(d, b"left by a crashed ingest\n")
        bogus = _write_object(d, b"garbage\n", name_of=b"other")
        d.start()
        d.wait_log("startup scan finished", count=2)
        with d.db() as c:
            states = dict(((s.hex(), e), st) for s, e, st in
                          c.execute("SELECT sha256, exec, state FROM objects"))
        rel = os.path.relpath(gone, os.path.join(d.cache, "store-v1", "objects")).replace("/", "")
        key = (rel[:64], rel.endswith("-x"))
        assert states[key] == 1, states  # marked missing
        assert os.path.exists(unknown) and not os.path.exists(bogus)
        assert (sha256_file(unknown), False) in states
        # Repaired on next use: the pre-link check re-extracts the wheel.
        r = d.test_plan(w)
        assert r["damaged"] == 1, r
        assert os.path.exists(gone)
        d.check_objects()
        # A clean stop records a snapshot: the next start scans nothing.
        d.stop()
        d.start()
        d.wait_log("startup scan finished", count=3)
        time.sleep(2.1)  # directories changed in the last seconds are always rescanned
        d.stop()
        d.start()
        d.wait_log("startup scan finished", count=4)
        last = d.read_log().split("listening on")[-1]
        assert "store scan of fan-outs" not in last, last
    finally:
        d.close()


@test
def tar_round_trip_keeps_the_cache_usable_without_rehashing():
    d = _daemon()
    try:
        wheels = d.make_wheels(3)
        d.whlc("cache", "add", *wheels, check=0)
        for w in wheels:
            d.test_plan(w)  # records verification (size, mtime) like an install
        time.sleep(2.1)  # directories changed in the last seconds are always rescanned
        venv = os.path.join(d.tmpdir, "oldvenv")
        os.makedirs(venv)
        obj0 = d.object_files()[0]
        os.link(obj0, os.path.join(venv, "f"))
        d.stop()
        tarball = os.path.join(d.tmpdir, "cache.tar")
        subprocess.run(["tar", "-C", d.tmpdir, "-cf", tarball, "cache"], check=True)
        inodes = {p: os.stat(p).st_ino for p in d.object_files()}
        restore = os.path.join(d.tmpdir, "restore")
        os.makedirs(restore)
        subprocess.run(["tar", "-C", restore, "-xf", tarball], check=True)
        shutil.rmtree(d.cache)
        shutil.rmtree(venv)
        os.rename(os.path.join(restore, "cache"), d.cache)
        assert all(os.stat(p).st_ino != inodes[p] for p in d.object_files()[:20])
        d.start()
        d.wait_log("startup scan finished", count=2)
        last = d.read_log().split("listening on")[-1]
        assert "store scan of fan-outs" not in last, last
        for w in wheels:
            r = d.test_plan(w)
            assert r["rehashed"] == 0 and r["damaged"] == 0, r
        r = d.whlc("cache", "add", *wheels, check=0)
        assert r.stdout.count("cached ") == 3, r.stdout
        d.whlc("cache", "verify", check=0)
    finally:
        d.close()


@test
def background_eviction_keeps_the_cache_under_the_limit():
    d = _daemon({"grace-period": "0", "evict-batch": "1"}, args=["--max-size", "500K"])
    try:
        wheels = d.make_wheels(4)
        for w in wheels:
            d.whlc("cache", "add", w, check=0)
        d.wait_log("background eviction")
        deadline = time.time() + 30
        while _stats(d)["referenced_bytes"] > 500 * 1024 and time.time() < deadline:
            time.sleep(0.05)
        st = _stats(d)
        assert st["referenced_bytes"] <= 500 * 1024 and st["max_size"] == 500 * 1024, st
        assert st["last_eviction"] > 0 and 1 <= st["wheels"] < 4, st
        assert os.path.basename(wheels[-1]) in d.wheel_ids()
        d.check_objects()
        r = d.whlc("cache", "stats", check=0)
        assert "size limit:    500.0 KiB" in r.stdout, r.stdout
    finally:
        d.close()


@test
def bad_config_file_is_an_error_naming_the_line():
    d = LifeDaemon(tempfile.mkdtemp(prefix="whlc-life-"), config={"max-sise": "1G"})
    try:
        try:
            d.start()
            assert False, "whlcd started with a bad config"
        except AssertionError as e:
            assert "unknown key 'max-sise'" in str(e), str(e)
    finally:
        d.close()


if __name__ == "__main__":
    main()
