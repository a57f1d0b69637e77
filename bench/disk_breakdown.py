#!/usr/bin/env python3
"""disk_breakdown.py: what each extra whlc venv of the corpus adds on disk, by kind of file.

usage: python3 bench/disk_breakdown.py [--venvs N] [--work DIR] [--corpus DIR]
(WHLC_BUILDDIR=<build dir>). Installs the corpus into N venvs (default 3) from one warm daemon
and lists, for venvs 2..N, every inode that neither the first venv nor the cache holds (each
(dev, inode) counted once, du-style allocated blocks, as bench/run.py's disk section), grouped as
directories, each generated dist-info file, bin/ (launchers, rewritten scripts, the venv's own)
and anything else (a copied member would show up there).
"""
import argparse
import collections
import os
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))

import benchlib as bl  # noqa: E402

GENERATED = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


def kind(rel, st):
    """The group an inode of a venv belongs to."""
    if stat.S_ISDIR(st.st_mode):
        return "directory"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    if ".dist-info/" in rel:
        name = rel.rsplit("/", 1)[1]
        return "dist-info/" + (name if name in GENERATED else "(other)")
    return "bin/" if rel.startswith("bin/") else "other file"


def main():
    """Install, walk, print the table."""
    build = os.environ.get("WHLC_BUILDDIR", os.path.join(os.path.dirname(HERE), "build"))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--venvs", type=int, default=3)
    p.add_argument("--work", default="/var/tmp/whlc-disk-breakdown")
    p.add_argument("--corpus", default="/var/tmp/whlc-bench-corpus")
    a = p.parse_args()
    import realwheels
    os.environ.setdefault("WHLC_TEST_CACHE", os.path.join(a.corpus, ".fabcache"))
    wheels = bl.select_installable(realwheels.corpus(a.corpus, min_wheels=90,
                                                     min_files=25000)[0])
    bl.rmtree(a.work)
    os.makedirs(a.work)
    d = bl.Whlcd(os.path.join(build, "client", "whlc"), os.path.join(build, "daemon", "whlcd"),
                 os.path.join(a.work, "whlcd")).start()
    try:
        venvs = []
        for i in range(a.venvs):
            v = bl.make_venv(os.path.join(a.work, "venv-%d" % i))
            subprocess.run(d.client("install", "--venv", v, *wheels), check=True,
                           stdout=subprocess.DEVNULL)
            venvs.append(v)
    finally:
        d.stop()
    seen = set()
    for root in (d.cache, venvs[0]):
        for r, ds, fs in os.walk(root):
            for n in ds + fs:
                st = os.lstat(os.path.join(r, n))
                seen.add((st.st_dev, st.st_ino))
    alloc, count, apparent = collections.Counter(), collections.Counter(), collections.Counter()
    for v in venvs[1:]:
        for r, ds, fs in os.walk(v):
            for n in ds + fs:
                path = os.path.join(r, n)
                st = os.lstat(path)
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                k = kind(os.path.relpath(path, v), st)
                alloc[k] += st.st_blocks * 512
                count[k] += 1
                apparent[k] += st.st_size
    n = len(venvs) - 1
    print("per extra venv (%d wheels): %.2f MB allocated, %d inodes"
          % (len(wheels), sum(alloc.values()) / n / 1e6, sum(count.values()) // n))
    print("| kind | allocated | inodes | apparent |\n| --- | --- | --- | --- |")
    for k in sorted(alloc, key=lambda k: (-alloc[k], k)):
        print("| %s | %.3f MB | %d | %.3f MB |" % (k, alloc[k] / n / 1e6, count[k] // n,
                                                    apparent[k] / n / 1e6))
    bl.rmtree(a.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
