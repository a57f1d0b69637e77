#!/usr/bin/env python3
"""ab.py: A/B two whlc builds on one scenario, alternated run by run (issue 6 optimizations).

usage: python3 bench/ab.py --a BUILD_DIR --b BUILD_DIR [--scenario small|warm|idle|cold] [--runs N]
                           [--work DIR] [--corpus DIR] [--nice N]

small: one small wheel (six), warm, end to end, each run into a fresh venv.
warm:  the whole corpus, warm, each run into a fresh venv, with `cp -al` of an installed tree
       alongside (the hardlink floor) in the same rotation.
idle:  after --runs warm corpus installs, each daemon's VmRSS once it has been idle for 3 s.
cold:  the whole corpus into an empty cache: each run starts a fresh daemon on a new cache dir
       (untimed) before the timed install; pypa/installer (one process for the corpus) takes
       its turn in the same rotation.
Prints the medians, the paired ratios b/a, and the runs. Never part of `make check`.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))

import benchlib as bl  # noqa: E402
from run import Bench, timed  # noqa: E402


def _cpu_seconds(pid):
    """User + system CPU time of a live process and its reaped children, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[11..14]: utime stime cutime cstime (clock ticks)
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main():
    """Run the chosen scenario on builds a and b."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--a", required=True)
    p.add_argument("--b", required=True)
    p.add_argument("--scenario", default="small", choices=("small", "warm", "idle", "cold"))
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--work", default="/var/tmp/whlc-ab-work")
    p.add_argument("--corpus", default="/var/tmp/whlc-bench-corpus")
    p.add_argument("--nice", type=int, default=0)
    a = p.parse_args()
    if a.nice:
        os.nice(a.nice)
    import realwheels
    os.environ.setdefault("WHLC_TEST_CACHE", os.path.join(a.corpus, ".fabcache"))
    wheels = bl.select_installable(realwheels.corpus(a.corpus, 90, 25000)[0])
    if a.scenario == "small":
        wheels = [w for w in wheels if os.path.basename(w).startswith("six-")][:1]
    bl.rmtree(a.work)
    os.makedirs(a.work)
    trash = bl.Trash(os.path.join(a.work, "trash"))
    n = [0]

    def fresh(kind):
        n[0] += 1
        return os.path.join(a.work, "%s-%d" % (kind, n[0]))

    builds = {k: os.path.abspath(getattr(a, k)) for k in ("a", "b")}
    ds = {}
    cold = a.scenario == "cold"

    def daemon(k):
        """A fresh daemon of build k on an empty cache (untimed start)."""
        b = builds[k]
        return bl.Whlcd(os.path.join(b, "client", "whlc"), os.path.join(b, "daemon", "whlcd"),
                        fresh("whlcd-" + k)).start()

    for k in builds:
        ds[k] = daemon(k)
        if not cold:
            timed(ds[k].client("install", "--venv", bl.make_venv(fresh("venv")), *wheels))
    if not cold:
        ref = bl.make_venv(fresh("venv"))
        timed(ds["a"].client("install", "--venv", ref, *wheels))
    names = ["a", "b"] + (["cp_al"] if a.scenario == "warm" else []) \
        + (["installer"] if cold else [])
    times = {k: [] for k in names}
    cpu = {"a": [], "b": []}  # cold: the fresh daemon's user + system CPU time for its install
    print("load average at start: %.2f %.2f %.2f" % os.getloadavg())
    try:
        for i in range(a.runs):
            for k in names[i % len(names):] + names[:i % len(names)]:
                if k == "cp_al":
                    dst = fresh("copy")
                    times[k].append(timed(["cp", "-al", ref, dst]))
                    trash.put(dst)
                    continue
                v = bl.make_venv(fresh("venv"))
                if k == "installer":
                    times[k].append(timed(Bench.installer_argv(v, wheels)))
                    trash.put(v)
                    continue
                if cold and i > 0:
                    ds[k].stop()
                    ds[k] = daemon(k)
                times[k].append(timed(ds[k].client("install", "--venv", v, *wheels)))
                if cold:
                    cpu[k].append(_cpu_seconds(ds[k].proc.pid))
                trash.put(v)
        if a.scenario == "idle":
            time.sleep(3)
            for k in ("a", "b"):
                print("%s idle VmRSS after %d warm installs: %.1f MiB"
                      % (k, a.runs + 1, bl.proc_mem(ds[k].proc.pid)["rss"] / 2**20))
    finally:
        for d in ds.values():
            d.stop()
    for k in names:
        print("%-6s median %.4f s  runs %s" % (k, bl.median(times[k]),
                                               " ".join("%.4f" % x for x in times[k])))
    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    for k in ("a", "b"):
        if cpu[k]:
            print("%s daemon CPU (user+sys) median %.3f s  runs %s"
                  % (k, bl.median(cpu[k]), " ".join("%.3f" % x for x in cpu[k])))
    pr = [y / x for x, y in zip(times["a"], times["b"])]
    print("b/a: ratio of medians %.3f, median of paired ratios %.3f"
          % (bl.median(times["b"]) / bl.median(times["a"]), bl.median(pr)))
    for k in ("a", "b"):
        if "installer" in times:
            print("%s/installer: ratio of medians %.2f, paired %.2f"
                  % (k, bl.median(times[k]) / bl.median(times["installer"]),
                     bl.median([x / y for x, y in zip(times[k], times["installer"])])))
        if "cp_al" in times:
            print("%s/cp_al: ratio of medians %.2f, paired %.2f"
                  % (k, bl.median(times[k]) / bl.median(times["cp_al"]),
                     bl.median([x / y for x, y in zip(times[k], times["cp_al"])])))
    # The trees go in the background: their removal slows later inode allocations (BENCHMARKS.md).
    os.rename(a.work, a.work + ".old-%d" % os.getpid())
    os.system("nohup rm -rf '%s.old-%d' >/dev/null 2>&1 &" % (a.work, os.getpid()))


if __name__ == "__main__":
    main()
