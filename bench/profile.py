#!/usr/bin/env python3
"""profile.py: where whlcd's time goes during a corpus install (perf and strace summaries).

usage: python3 bench/profile.py [--scenario warm|cold|small] [--whlc PATH] [--whlcd PATH]
                                [--work DIR] [--out DIR]

Starts a private whlcd (warming its cache first for warm/small), then installs the benchmark
corpus (or six for small) into fresh venvs three times: once under `perf record -g -e cpu-clock`
attached to the daemon, once under `strace -c -f` attached to it, once plain (the time without
a tracer). Writes perf.data, perf-report.txt (by symbol, self time), perf-dso.txt and
strace-c.txt into --out and prints their heads. Hardware counters are not available on this VM,
so perf samples the cpu-clock software event; `valgrind --tool=callgrind` works too, on a
daemon started under it (see BENCHMARKS.md).
"""
import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))

import benchlib as bl  # noqa: E402


def _attach(argv):
    """Start a tracer attached to the daemon and give it time to attach."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return p


def _detach(p):
    """Stop a tracer (SIGINT lets perf and strace write their output)."""
    p.send_signal(signal.SIGINT)
    p.wait(timeout=120)


def _head(path, n=30):
    """The first n non-comment, non-empty lines of a text file."""
    with open(path, errors="replace") as f:
        return "".join([ln for ln in f if ln.strip() and not ln.startswith("#")][:n])


def _sync_summary(path):
    """Count and total wall time of each sync call in an `strace -T` log."""
    tot = {}
    with open(path, errors="replace") as f:
        for ln in f:
            m = re.search(r"\b(syncfs|fsync|fdatasync)\(.*<([0-9.]+)>\s*$", ln)
            if m:
                c, t = tot.get(m.group(1), (0, 0.0))
                tot[m.group(1)] = (c + 1, t + float(m.group(2)))
    return "\n".join("%-9s %5d calls %8.3f s" % (k, c, t) for k, (c, t) in sorted(tot.items()))


def main():
    """Profile one scenario."""
    build = os.environ.get("WHLC_BUILDDIR", os.path.join(os.path.dirname(HERE), "build"))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="warm", choices=("warm", "cold", "small"))
    p.add_argument("--whlc", default=os.path.join(build, "client", "whlc"))
    p.add_argument("--whlcd", default=os.path.join(build, "daemon", "whlcd"))
    p.add_argument("--corpus", default="/var/tmp/whlc-bench-corpus")
    p.add_argument("--work", default="/var/tmp/whlc-bench-profile")
    p.add_argument("--out", default="/tmp/whlc-bench-profile-out")
    a = p.parse_args()
    bl.rmtree(a.work)
    os.makedirs(a.work)
    os.makedirs(a.out, exist_ok=True)
    wheels = bl.select_installable(sorted(glob.glob(os.path.join(a.corpus, "*.whl"))))
    if a.scenario == "small":
        wheels = [w for w in wheels if os.path.basename(w).startswith("six-")][:1] or wheels[:1]
    d = bl.Whlcd(a.whlc, a.whlcd, os.path.join(a.work, "d")).start()
    n = [0]

    def install():
        """One install into a fresh venv through the current daemon; seconds."""
        n[0] += 1
        v = bl.make_venv(os.path.join(a.work, "v%d" % n[0]))
        t0 = time.perf_counter()
        subprocess.run(d.client("install", "-q", "--venv", v, *wheels), check=True)
        return time.perf_counter() - t0

    try:
        if a.scenario != "cold":
            install()  # warm the cache
        runs = {}
        for label in ("perf", "strace", "sync", "plain"):
            if a.scenario == "cold":
                d.stop()
                d = bl.Whlcd(a.whlc, a.whlcd, os.path.join(a.work, "d-" + label)).start()
            tracer = None
            if label == "perf":
                tracer = _attach(["perf", "record", "-g", "-e", "cpu-clock", "-p",
                                  str(d.proc.pid), "-o", os.path.join(a.out, "perf.data")])
            elif label == "strace":
                tracer = _attach(["strace", "-c", "-f", "-p", str(d.proc.pid), "-o",
                                  os.path.join(a.out, "strace-c.txt")])
            elif label == "sync":
                # Only the sync calls are traced, so the rest runs at full speed; -T gives
                # the wall time each one took.
                tracer = _attach(["strace", "-f", "-T", "-e", "trace=syncfs,fsync,fdatasync",
                                  "-p", str(d.proc.pid), "-o",
                                  os.path.join(a.out, "strace-sync.txt")])
            runs[label] = install()
            if tracer:
                _detach(tracer)
        for name, sort in (("perf-report.txt", "sym"), ("perf-dso.txt", "dso")):
            with open(os.path.join(a.out, name), "w") as f:
                subprocess.run(["perf", "report", "-i", os.path.join(a.out, "perf.data"),
                                "--no-children", "--sort", sort, "--stdio", "-g", "none"],
                               stdout=f, stderr=subprocess.DEVNULL)
        print("scenario %s, %d wheels; times: %s" % (a.scenario, len(wheels), ", ".join(
            "%s %.3f s" % kv for kv in runs.items())))
        for name in ("perf-dso.txt", "perf-report.txt", "strace-c.txt"):
            print("== %s" % name)
            print(_head(os.path.join(a.out, name), 40))
        print("== strace-sync.txt (wall time of each sync call, summed)")
        print(_sync_summary(os.path.join(a.out, "strace-sync.txt")))
    finally:
        d.stop()
        bl.rmtree(a.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
