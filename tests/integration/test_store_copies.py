"""test_store_copies.py: extra copies of a store object at ext4's link limit (EMLINK).

The limit is reached for real: the object is pre-linked until it has 65,000 links (ext4's
maximum) into a scratch directory on the cache's filesystem; the next install must then link
an extra copy (store-v1/copies/<hex>[-x].<k>) instead of copying the file into the venv.
"""
import errno
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
import install_helpers as ih
from life_helpers import LifeDaemon
from tap import Skip, main, test

import wheelfab

EXT4_LINK_MAX = 65000
EMPTY = b""
TOOL = b"#!/bin/sh\necho at the limit\n"
DATA = b"an ordinary object, far from the limit\n"


def _fstype(path):
    """The filesystem type of the mount holding path (longest matching mount point)."""
    path = os.path.realpath(path)
    best, kind = "", None
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            mnt = fields[1].replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                best, kind = mnt, fields[2]
    return kind


def _daemon():
    d = LifeDaemon(tempfile.mkdtemp(prefix="whlc-emlink-"), config={"grace-period": "0"})
    if _fstype(d.tmpdir) != "ext4":
        shutil.rmtree(d.tmpdir, ignore_errors=True)
        raise Skip("the link limit tested is ext4's (65,000); %s is on %s"
                   % (d.tmpdir, _fstype(d.tmpdir)))
    return d.start()


def _wheel(outdir):
    return wheelfab.build_wheel(outdir, "limit", "1.0", {
        "limit/__init__.py": EMPTY,
        "limit/tool": (TOOL, 0o755),
        "limit/data.txt": DATA})


def _obj(d, data, exec_):
    h = hashlib.sha256(data).hexdigest()
    return os.path.join(d.cache, "store-v1", "objects", h[:2], h[2:] + ("-x" if exec_ else ""))


def _copy(d, data, exec_, k=1):
    h = hashlib.sha256(data).hexdigest()
    return os.path.join(d.cache, "store-v1", "copies", "%s%s.%d" % (h, "-x" if exec_ else "", k))


def _fill(path, scratch):
    """Link path into scratch until it has ext4's maximum number of links."""
    os.makedirs(scratch, exist_ok=True)
    base = os.path.basename(path)
    i = 0
    while os.stat(path).st_nlink < EXT4_LINK_MAX:
        os.link(path, os.path.join(scratch, "%s.%d" % (base, i)))
        i += 1
    try:
        os.link(path, os.path.join(scratch, "one-more"))
        raise AssertionError("a link beyond %d was accepted" % EXT4_LINK_MAX)
    except OSError as e:
        assert e.errno == errno.EMLINK, e


def _stats(d):
    return json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)


def _verify_clean(d):
    r = d.whlc("cache", "verify")
    assert r.returncode == 0 and r.stdout.rstrip().endswith("all intact"), (r.stdout, r.stderr)
    return r


def _ls(dirpath):
    return sorted(os.listdir(dirpath)) if os.path.isdir(dirpath) else []


@test(timeout=300)
def install_at_the_link_limit_links_an_extra_copy():
    d = _daemon()
    scratch = os.path.join(d.tmpdir, "links")
    try:
        w = _wheel(d.tmpdir)
        v1 = ih.venv(d, "v1")
        r = ih.install(d, v1, w)
        assert "falling back" not in (r.stdout + r.stderr), (r.stdout, r.stderr)
        empty, tool, data = _obj(d, EMPTY, 0), _obj(d, TOOL, 1), _obj(d, DATA, 0)
        site1 = ih.site(v1)
        assert os.stat(os.path.join(site1, "limit", "tool")).st_ino == os.stat(tool).st_ino
        before = _stats(d)
        assert before["extra_copies"] == 0, before
        _fill(empty, scratch)
        _fill(tool, scratch)

        v2 = ih.venv(d, "v2")
        r = ih.install(d, v2, w)
        out = r.stdout + r.stderr
        assert "EMLINK" not in out and "falling back" not in out, out
        site2 = ih.site(v2)
        # Each file is a hardlink to a store inode: the copy for the objects at the limit,
        # the object itself for the others.
        for rel, want in (("limit/__init__.py", _copy(d, EMPTY, 0)),
                          ("limit/tool", _copy(d, TOOL, 1)), ("limit/data.txt", data)):
            st, ws = os.stat(os.path.join(site2, rel)), os.stat(want)
            assert st.st_ino == ws.st_ino and st.st_dev == ws.st_dev, (rel, want)
        for p, mode in ((_copy(d, EMPTY, 0), 0o444), (_copy(d, TOOL, 1), 0o555)):
            st = os.stat(p)
            assert st.st_mode & 0o7777 == mode and st.st_nlink == 2, (p, oct(st.st_mode), st)
        assert open(_copy(d, TOOL, 1), "rb").read() == TOOL
        assert os.stat(_copy(d, TOOL, 1)).st_mtime_ns == os.stat(tool).st_mtime_ns
        r = subprocess.run([os.path.join(site2, "limit", "tool")], capture_output=True)
        assert r.stdout == b"at the limit\n", r
        assert os.stat(empty).st_nlink == EXT4_LINK_MAX

        # A third venv links the same copies (no new copy while they have room).
        v3 = ih.venv(d, "v3")
        ih.install(d, v3, w)
        assert os.stat(_copy(d, EMPTY, 0)).st_nlink == 3
        assert _ls(os.path.join(d.cache, "store-v1", "copies")) == sorted(
            os.path.basename(_copy(d, x, e)) for x, e in ((EMPTY, 0), (TOOL, 1)))

        # Same objects: counted once as objects, their bytes on disk once more per copy.
        after = _stats(d)
        assert after["objects"] == before["objects"], (before, after)
        assert after["extra_copies"] == 2, after
        assert after["disk_bytes"] == before["disk_bytes"] + len(TOOL), (before, after)
        assert "2 extra copies" in d.whlc("cache", "stats", check=0).stdout
        _verify_clean(d)

        # clear removes the copies with their objects; the venvs keep their files.
        d.whlc("cache", "clear", check=0)
        assert _ls(os.path.join(d.cache, "store-v1", "copies")) == []
        assert not os.path.exists(tool)
        assert open(os.path.join(site2, "limit", "tool"), "rb").read() == TOOL
        _verify_clean(d)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        d.close()


@test(timeout=300)
def concurrent_installs_at_the_limit_and_gc():
    d = _daemon()
    scratch = os.path.join(d.tmpdir, "links")
    try:
        w = _wheel(d.tmpdir)
        ih.install(d, ih.venv(d, "v0"), w)
        _fill(_obj(d, EMPTY, 0), scratch)
        _fill(_obj(d, TOOL, 1), scratch)
        venvs = [ih.venv(d, "c%d" % i) for i in range(4)]
        procs = [d.popen_client(["install", "--venv", v, w]) for v in venvs]
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0 and "falling back" not in out + err, (out, err)
        copies = os.path.join(d.cache, "store-v1", "copies")
        inodes = {os.stat(os.path.join(copies, n)).st_ino for n in _ls(copies)}
        for v in venvs:
            for rel in ("limit/__init__.py", "limit/tool"):
                assert os.stat(os.path.join(ih.site(v), rel)).st_ino in inodes, (v, rel)
        # Racing installs made each copy once (EEXIST: the second uses the first's).
        assert len(_ls(copies)) == 2, _ls(copies)
        _verify_clean(d)

        # gc: the wheel evicted, its objects and their copies go together.
        r = d.whlc("cache", "prune", "--max-size", "1", check=0)
        assert "1 wheel(s) evicted" in r.stdout, r.stdout
        assert _ls(copies) == [] and not os.path.exists(_obj(d, TOOL, 1))
        _verify_clean(d)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        d.close()


@test(timeout=300)
def a_corrupt_copy_is_replaced_before_linking():
    d = _daemon()
    scratch = os.path.join(d.tmpdir, "links")
    try:
        w = _wheel(d.tmpdir)
        ih.install(d, ih.venv(d, "v0"), w)
        _fill(_obj(d, TOOL, 1), scratch)
        ih.install(d, ih.venv(d, "v1"), w)
        cp = _copy(d, TOOL, 1)
        old = os.stat(cp).st_ino
        # Changed in place through a venv's hardlink (root ignores the read-only mode).
        with open(os.path.join(ih.site(os.path.join(d.tmpdir, "v1")), "limit", "tool"), "r+b") as f:
            f.write(b"#!/bin/sh\necho tampered\n")
        v2 = ih.venv(d, "v2")
        ih.install(d, v2, w)
        st = os.stat(os.path.join(ih.site(v2), "limit", "tool"))
        assert st.st_ino == os.stat(cp).st_ino != old, (st.st_ino, old)
        assert open(cp, "rb").read() == TOOL
        q = os.path.join(d.cache, "store-v1", "quarantine")
        assert any(n.startswith("copies_" + os.path.basename(cp) + ".") for n in _ls(q)), _ls(q)
        _verify_clean(d)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        d.close()


@test(timeout=120)
def verify_repair_and_the_startup_scan_treat_copies_like_objects():
    d = _daemon()
    try:
        w = _wheel(d.tmpdir)
        ih.install(d, ih.venv(d, "v0"), w)
        copies = os.path.join(d.cache, "store-v1", "copies")

        def put(name, data, mode):
            p = os.path.join(copies, name)
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, mode)

        good = os.path.basename(_copy(d, DATA, 0))
        put(good, DATA, 0o444)
        _verify_clean(d)
        bad = os.path.basename(_copy(d, TOOL, 1))
        put(bad, b"not the tool\n", 0o555)
        mode = os.path.basename(_copy(d, DATA, 0, 2))
        put(mode, DATA, 0o644)
        orphan_data = b"an object nobody has\n"
        orphan = os.path.basename(_copy(d, orphan_data, 0))
        put(orphan, orphan_data, 0o444)
        put("not-a-copy", b"x", 0o444)
        r = d.whlc("cache", "verify", "--json")
        assert r.returncode != 0, r.stdout
        probs = {(p["kind"], os.path.basename(p["object"])) for p in json.loads(r.stdout)["problems"]}
        assert probs == {("corrupt", bad), ("mode", mode), ("unknown", orphan),
                         ("stray", "not-a-copy")}, probs
        r = d.whlc("cache", "verify", "--repair")
        _verify_clean(d)
        assert _ls(copies) == sorted([good, mode]), _ls(copies)
        assert os.stat(os.path.join(copies, mode)).st_mode & 0o7777 == 0o444

        # Orphans (a crash in gc between the rows and the files): gc and the startup scan.
        put(orphan, orphan_data, 0o444)
        d.whlc("cache", "gc", check=0)
        assert orphan not in _ls(copies)
        put(orphan, orphan_data, 0o444)
        d.stop()
        d.start()
        import daemon as libdaemon
        libdaemon.wait_for(lambda: orphan not in _ls(copies), 30, "startup scan")
        assert good in _ls(copies)
    finally:
        d.close()


if __name__ == "__main__":
    main()
