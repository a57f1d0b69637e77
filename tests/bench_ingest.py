#!/usr/bin/env python3
"""bench_ingest.py: report (not assert) ingestion throughput of whlcd on the largest real wheels.

usage: WHLC_BUILDDIR=/tmp/build python3 tests/bench_ingest.py [--top N] [--repack]

Cold: a fresh cache, `whlc cache add` of the N largest wheels (all at once, so the daemon
ingests them in parallel). Warm: the same files again (stat cache, no hashing). Reports MB/s
of wheel input and files/s. --repack also rebuilds wheels from installed distributions
(tests/lib/realwheels.py) to have bigger inputs. Not part of `make check`.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
from cache_helpers import Daemon  # noqa: E402

import realwheels  # noqa: E402


def main():
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 20
    wheels = set(realwheels.bundled())
    if "--repack" in sys.argv:
        res = realwheels.repack_installed("/root/.pyenv/versions/3.11.7/bin/python",
                                          os.path.join(tempfile.gettempdir(), "whlc-bench-rp"))
        wheels |= set(res.wheels)
    # One file per content: the cold run must ingest every wheel.
    by_size = {}
    for w in wheels:
        by_size.setdefault((os.path.getsize(w), os.path.basename(w)), w)
    chosen = sorted(by_size.values(), key=os.path.getsize, reverse=True)[:top]
    mb = sum(os.path.getsize(w) for w in chosen) / 1e6
    d = Daemon(tempfile.mkdtemp(prefix="whlc-bench-")).start()
    try:
        for label in ("cold", "warm"):
            t0 = time.monotonic()
            r = d.whlc("cache", "add", "--json", *chosen, check=0)
            dt = time.monotonic() - t0
            res = json.loads(r.stdout)["results"]
            files = sum(x["files"] for x in res)
            unpacked = sum(x["unpacked_size"] for x in res) / 1e6
            print("%-5s %3d wheels, %6.1f MB in (%6.1f MB unpacked), %6d files: %7.3f s, "
                  "%7.1f MB/s, %8.0f files/s, %d new objects"
                  % (label, len(res), mb, unpacked, files, dt, mb / dt, files / dt,
                     sum(x["new_objects"] for x in res)))
        st = json.loads(d.whlc("cache", "stats", "--json", check=0).stdout)
        print("store: %d objects, %.1f MB on disk, dedup ratio %.2f"
              % (st["objects"], st["disk_bytes"] / 1e6, st["dedup_ratio"]))
    finally:
        d.close()


if __name__ == "__main__":
    main()
