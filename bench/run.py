#!/usr/bin/env python3
"""run.py: the whlc benchmark of issue 6 (stdlib only; `make bench` runs it).

usage: python3 bench/run.py [--runs N] [--quick] [--only SECTIONS] [--out DIR] [--nice N]
                            [--whlc PATH] [--whlcd PATH] [--corpus DIR] [--work DIR]
                            [--disk-images]

Sections (--only, comma-separated): install (whole corpus: whlc warm and cold, pip,
pypa/installer, cp -al, cp -a, alternated per run), small (one small wheel, end to end),
disk (10 venvs, each inode counted once), memory (whlcd RSS idle and peak), concurrency
(8 warm installs at once vs one after another), ingest (`whlc cache add` of the largest
wheels into an empty cache). Venvs are created before and removed after each timed region.
--disk-images (root) runs the disk section again on loop-mounted ext4 images made with the
defaults, with `-O inline_data` (small directories live in their inode) and with inline_data
and 1 KiB inodes.
Writes bench-results.json and bench-results.md into --out (default: the current directory).
"""
import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

import benchlib as bl  # noqa: E402
import report  # noqa: E402

SECTIONS = ("install", "small", "disk", "memory", "concurrency", "ingest")
NO_INSTALL = "whlc install not available"


def timed(argv, env=None):
    """Run argv with output discarded; seconds taken. Raises on a non-zero exit."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if r.returncode:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv[:6]) + " ...", r.returncode,
                                                 r.stderr.decode("utf-8", "replace")[-2000:]))
    return dt


def summary(xs):
    """{'median', 'runs': [...], 'min', 'max'} of timings."""
    return {"median": bl.median(xs), "min": min(xs), "max": max(xs), "runs": xs}


class Bench:
    """State of one benchmark run: tools, corpus, work directory, results."""

    def __init__(self, a):
        self.a = a
        self.work = a.work
        # Leftovers of an earlier run are deleted now, before anything is measured; a removal
        # still running in the background would compete with the measurements.
        bl.rmtree(self.work)
        t0 = time.monotonic()
        while glob.glob(self.work + ".old-*"):
            if time.monotonic() - t0 > 1800:
                break
            print("waiting for the removal of %s.old-* (an earlier run)" % self.work, flush=True)
            time.sleep(10)
        os.makedirs(self.work)
        self.trash = bl.Trash(os.path.join(self.work, "trash"))
        self.n = 0
        self.res = {"notes": []}
        self.whlc_ok = self._probe_install()
        self.warmd = None
        self.kept = {"whlc": [], "pip": []}
        self.on_image = False

    def note(self, text):
        """Record and print a note."""
        self.res["notes"].append(text)
        print("note:", text, flush=True)

    def _probe_install(self):
        """True when whlc and whlcd exist and `whlc install --help` works."""
        if not (os.access(self.a.whlc, os.X_OK) and os.access(self.a.whlcd, os.X_OK)):
            return False
        r = subprocess.run([self.a.whlc, "install", "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        return r.returncode == 0

    def path(self, kind):
        """A fresh, unused path in the work directory."""
        self.n += 1
        return os.path.join(self.work, "%s-%d" % (kind, self.n))

    def venv(self):
        """A fresh venv (created now, outside any timed region)."""
        return bl.make_venv(self.path("venv"))

    def daemon(self):
        """A started whlcd with an empty cache."""
        return bl.Whlcd(self.a.whlc, self.a.whlcd, self.path("whlcd")).start()

    # --- the competitors: argv that installs wheels into venv ---------------------------

    def whlc_argv(self, d, venv, wheels):
        """whlc install into venv through daemon d."""
        return d.client("install", "--venv", venv, *wheels)

    @staticmethod
    def pip_argv(venv, wheels):
        """pip 23.2.1 installing into venv's interpreter."""
        return [bl.PIP_PYTHON, "-m", "pip", "--python", os.path.join(venv, "bin", "python"),
                "install", "--no-deps", "--no-index", "--no-compile",
                "--disable-pip-version-check"] + list(wheels)

    @staticmethod
    def installer_argv(venv, wheels):
        """pypa/installer, one process for all wheels (scheme file written now, untimed)."""
        py = os.path.join(venv, "bin", "python")
        out = subprocess.run([py, "-I", "-c", "import json, sysconfig, sys; print(json.dumps("
                              "{'paths': sysconfig.get_paths(), 'interpreter': sys.executable}))"],
                             check=True, stdout=subprocess.PIPE).stdout
        desc = json.loads(out)
        # pip's headers dir for a venv: <venv>/include/site/pythonX.Y/<dist>
        desc["headers_base"] = os.path.join(venv, "include", "site",
                                            os.path.basename(desc["paths"]["include"]))
        scheme = venv + ".scheme.json"
        with open(scheme, "w") as f:
            json.dump(desc, f)
        return [bl.INSTALLER_PYTHON, os.path.join(HERE, "installer_driver.py"), scheme] \
            + list(wheels)

    def warm_daemon(self):
        """The shared daemon whose cache holds the whole corpus (warmed once, untimed)."""
        if self.warmd is None:
            self.warmd = self.daemon()
            v = self.venv()
            timed(self.whlc_argv(self.warmd, v, self.wheels))
            self.kept["whlc"].append(v)
        return self.warmd

    # --- sections ----------------------------------------------------------------------

    def corpus(self):
        """Build (or reuse) the corpus and select the installable set."""
        import realwheels
        os.environ.setdefault("WHLC_TEST_CACHE", os.path.join(self.a.corpus, ".fabcache"))
        allw, st = realwheels.corpus(self.a.corpus, min_wheels=90, min_files=25000)
        wheels = bl.select_installable(allw)
        if self.a.quick:
            # every 6th wheel plus the smallest native one: quick, yet with a .so
            native = [w for w in wheels if bl.wheel_members(w)[1]]
            wheels = sorted(set(wheels[::6]) | set(sorted(native, key=os.path.getsize)[:1]))
        self.wheels = wheels
        cs = bl.corpus_stats(wheels)
        cs["built"] = {k: st[k] for k in ("wheels", "files", "native_wheels", "bytes")}
        cs["dir"] = self.a.corpus
        cs["list"] = [os.path.basename(w) for w in wheels]
        self.res["corpus"] = cs
        print("corpus: %d wheels, %d files (%d native .so in %d wheels), %.1f MB"
              % (cs["wheels"], cs["files"], cs["native_files"], cs["native_wheels"],
                 cs["bytes"] / 1e6), flush=True)

    def sec_install(self):
        """Whole-corpus installs, competitors alternated (rotated) in each run."""
        names = ["pip", "installer", "cp_al", "cp_a"]
        if self.whlc_ok:
            names = ["whlc_warm", "whlc_cold"] + names
        times = {k: [] for k in names}
        peaks = {"cold": [], "warm": []}
        # The tree the floors copy: one installed by whlc (else pip), untimed.
        ref = self.venv()
        if self.whlc_ok:
            timed(self.whlc_argv(self.warm_daemon(), ref, self.wheels))
        else:
            timed(self.pip_argv(ref, self.wheels))
        for i in range(self.a.runs):
            order = names[i % len(names):] + names[:i % len(names)]
            for k in order:
                print("  install run %d: %s" % (i + 1, k), end="", flush=True)
                if k.startswith("cp_"):
                    dst = self.path("copy")
                    flags = "-al" if k == "cp_al" else "-a"
                    dt = timed(["cp", flags, ref, dst])
                    self.trash.put(dst)
                elif k == "whlc_cold":
                    d, v = self.daemon(), self.venv()
                    if self.res.setdefault("memory", {}).get("idle_rss") is None:
                        self.res["memory"]["idle_rss"] = bl.proc_mem(d.proc.pid)["rss"]
                    dt = timed(self.whlc_argv(d, v, self.wheels))
                    peaks["cold"].append(bl.proc_mem(d.proc.pid)["hwm"])
                    d.stop()
                    self.trash.put(d.base)
                    self.trash.put(v)
                else:
                    v = self.venv()
                    if k == "whlc_warm":
                        d = self.warm_daemon()
                        bl.reset_peak(d.proc.pid)
                        dt = timed(self.whlc_argv(d, v, self.wheels))
                        peaks["warm"].append(bl.proc_mem(d.proc.pid)["hwm"])
                    elif k == "pip":
                        dt = timed(self.pip_argv(v, self.wheels))
                    else:
                        dt = timed(self.installer_argv(v, self.wheels))
                    keep = {"whlc_warm": "whlc", "pip": "pip"}.get(k)
                    if keep and "disk" in self.only and len(self.kept[keep]) < 10:
                        self.kept[keep].append(v)
                    else:
                        self.trash.put(v)
                times[k].append(dt)
                print(": %.3f s" % dt, flush=True)
        out = {k: summary(v) for k, v in times.items()}
        if not self.whlc_ok:
            out["whlc_warm"] = out["whlc_cold"] = {"skipped": NO_INSTALL}
        med = {k: v["median"] for k, v in out.items() if "median" in v}
        ratios, paired = {}, {}
        for a_, b_ in (("whlc_warm", "cp_al"), ("whlc_warm", "cp_a"), ("pip", "whlc_warm"),
                       ("whlc_cold", "installer"), ("whlc_cold", "pip"), ("pip", "installer"),
                       ("cp_al", "cp_a")):
            if a_ in med and b_ in med:
                ratios["%s/%s" % (a_, b_)] = med[a_] / med[b_]
                # Median of the per-run ratios: each pair ran back to back in the same run.
                paired["%s/%s" % (a_, b_)] = bl.median(
                    [x / y for x, y in zip(times[a_], times[b_])])
        out["ratios"] = ratios
        out["paired_ratios"] = paired
        out["floor_tree"] = "whlc" if self.whlc_ok else "pip"
        self.res["install"] = out
        if peaks["cold"]:
            self.res["memory"]["peak_cold"] = max(peaks["cold"])
        if peaks["warm"]:
            self.res["memory"]["peak_warm"] = max(peaks["warm"])
        self.trash.put(ref)

    def small_wheel(self):
        """The small wheel of section 'small': six if present, else the smallest."""
        for w in self.wheels:
            if os.path.basename(w).startswith("six-"):
                return w
        return min(self.wheels, key=os.path.getsize)

    def sec_small(self):
        """One small wheel, warm, end to end (process start included), alternated."""
        w = self.small_wheel()
        names = (["whlc"] if self.whlc_ok else []) + ["pip", "installer"]
        runs = max(self.a.runs * 3, 5)
        times = {k: [] for k in names}
        for i in range(runs):
            for k in names[i % len(names):] + names[:i % len(names)]:
                v = self.venv()
                if k == "whlc":
                    argv = self.whlc_argv(self.warm_daemon(), v, [w])
                elif k == "pip":
                    argv = self.pip_argv(v, [w])
                else:
                    argv = self.installer_argv(v, [w])
                times[k].append(timed(argv))
                self.trash.put(v)
        out = {k: summary(v) for k, v in times.items()}
        if not self.whlc_ok:
            out["whlc"] = {"skipped": NO_INSTALL}
        out["wheel"] = os.path.basename(w)
        self.res["small"] = out
        print("small: " + ", ".join("%s %.1f ms" % (k, out[k]["median"] * 1000) for k in names),
              flush=True)

    def sec_disk(self):
        """Bytes each extra venv adds, for 10 whlc venvs; pip venvs for comparison."""
        out = {}
        empty = bl.disk_usage([self.venv()])
        while len(self.kept["pip"]) < 2:
            v = self.venv()
            timed(self.pip_argv(v, self.wheels))
            self.kept["pip"].append(v)
        pipd = bl.added_per_venv(self.kept["pip"])
        installed = pipd["first"]["allocated"] - empty["allocated"]
        out["corpus_installed"] = installed
        out["corpus_installed_apparent"] = pipd["first"]["apparent"] - empty["apparent"]
        out["empty_venv"] = empty
        pipd.update(venvs=len(self.kept["pip"]), added_fraction=pipd["added_allocated"] / installed)
        out["pip"] = pipd
        if self.whlc_ok:
            d = self.warm_daemon()
            while len(self.kept["whlc"]) < 10:
                v = self.venv()
                timed(self.whlc_argv(d, v, self.wheels))
                self.kept["whlc"].append(v)
            wd = bl.added_per_venv(self.kept["whlc"][:10])
            wd.update(venvs=len(self.kept["whlc"][:10]),
                      added_fraction=wd["added_allocated"] / installed)
            out["whlc"] = wd
            out["cache_bytes"] = bl.disk_usage([d.cache])["allocated"]
        else:
            out["whlc"] = {"skipped": NO_INSTALL}
        for k in ("whlc", "pip"):
            for v in self.kept[k]:
                self.trash.put(v)
            self.kept[k] = []
        self.res["disk"] = out
        print("disk: %s" % json.dumps({k: out[k].get("added_fraction") for k in ("whlc", "pip")}),
              flush=True)
        if self.a.disk_images and not self.on_image:
            self.disk_images()

    # ext4 images of --disk-images: label -> mkfs.ext4 options (same size and inode count).
    # -I 1024: room for directories of up to ~800 bytes of entries inside the inode.
    DISK_IMAGES = (("ext4", []), ("ext4 -O inline_data", ["-O", "inline_data"]),
                   ("ext4 -O inline_data -I 1024", ["-O", "inline_data", "-I", "1024"]))

    def disk_images(self):
        """The disk section on fresh loop-mounted ext4 images (root only)."""
        imgs = self.res["disk"].setdefault("images", {})
        if os.geteuid() != 0:
            self.note("--disk-images needs root (mount -o loop): skipped")
            return
        saved = (self.work, self.trash, self.warmd, self.kept, self.res["disk"])
        for label, opts in self.DISK_IMAGES:
            img, mnt = self.path("image") + ".ext4", self.path("mnt")
            os.makedirs(mnt)
            subprocess.run(["truncate", "-s", "6G", img], check=True)
            subprocess.run(["mkfs.ext4", "-q", "-F", "-N", "600000"] + opts + [img], check=True)
            subprocess.run(["mount", "-o", "loop", img, mnt], check=True)
            self.on_image = True
            try:
                self.work, self.warmd = mnt, None
                self.trash = bl.Trash(os.path.join(mnt, "trash"))
                self.kept = {"whlc": [], "pip": []}
                print("== disk on a %s image (%s)" % (label, img), flush=True)
                self.sec_disk()
                imgs[label] = self.res["disk"]
                imgs[label]["mkfs"] = "mkfs.ext4 " + " ".join(opts)
            finally:
                if self.warmd:
                    self.warmd.stop()
                self.on_image = False
                self.work, self.trash, self.warmd, self.kept, self.res["disk"] = saved
                subprocess.run(["umount", mnt])
                os.unlink(img)

    def sec_memory(self):
        """Idle RSS of a fresh daemon and of the warm one; peaks if install did not run."""
        mem = self.res.setdefault("memory", {})
        if mem.get("idle_rss") is None and os.access(self.a.whlcd, os.X_OK):
            d = self.daemon()
            time.sleep(0.5)
            mem["idle_rss"] = bl.proc_mem(d.proc.pid)["rss"]
            d.stop()
            self.trash.put(d.base)
        if not self.whlc_ok:
            mem["skipped"] = NO_INSTALL + " (peaks not measured)"
            if mem.get("idle_rss"):
                mem["idle_rss_max"] = mem["idle_rss"]
            return
        if "peak_cold" not in mem:
            d, v = self.daemon(), self.venv()
            mem["idle_rss"] = bl.proc_mem(d.proc.pid)["rss"]
            timed(self.whlc_argv(d, v, self.wheels))
            mem["peak_cold"] = bl.proc_mem(d.proc.pid)["hwm"]
            d.stop()
            self.trash.put(d.base)
            self.trash.put(v)
        if "peak_warm" not in mem:
            d, v = self.warm_daemon(), self.venv()
            bl.reset_peak(d.proc.pid)
            timed(self.whlc_argv(d, v, self.wheels))
            mem["peak_warm"] = bl.proc_mem(d.proc.pid)["hwm"]
            self.trash.put(v)
        # Idle means past whlcd's trim delay (DAEMON_TRIM_DELAY_MS, 1 s): freed heap returned.
        time.sleep(3.0)
        mem["idle_rss_after"] = bl.proc_mem(self.warm_daemon().proc.pid)["rss"]
        mem["idle_rss_max"] = max(mem["idle_rss"], mem["idle_rss_after"])
        mem["peak_rss"] = max(mem["peak_cold"], mem["peak_warm"])
        print("memory: " + ", ".join("%s %.1f MiB" % (k, v / 2**20) for k, v in mem.items()),
              flush=True)

    def sec_concurrency(self):
        """8 warm corpus installs started at once vs one after another, alternated."""
        if not self.whlc_ok:
            self.res["concurrency"] = {"skipped": NO_INSTALL}
            return
        times = {"concurrent": [], "sequential": []}
        for i in range(self.a.runs):
            # A fresh cache per run, warmed untimed: removals are deferred, and one cached file
            # linked into too many venvs hits the filesystem's link limit (ext4: 65000; the
            # corpus has 2347 empty files, all one object), where whlc falls back to copying.
            d = self.daemon()
            w = self.venv()
            timed(self.whlc_argv(d, w, self.wheels))
            self.trash.put(w)
            for k in (("concurrent", "sequential") if i % 2 == 0 else ("sequential", "concurrent")):
                vs = [self.venv() for _ in range(8)]
                argvs = [self.whlc_argv(d, v, self.wheels) for v in vs]
                t0 = time.perf_counter()
                if k == "sequential":
                    for argv in argvs:
                        timed(argv)
                else:
                    ps = [subprocess.Popen(a_, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL) for a_ in argvs]
                    rcs = [p.wait() for p in ps]
                    if any(rcs):
                        raise RuntimeError("concurrent whlc install exited %r" % rcs)
                times[k].append(time.perf_counter() - t0)
                for v in vs:
                    self.trash.put(v)
                print("  concurrency run %d: %s %.3f s" % (i + 1, k, times[k][-1]), flush=True)
            d.stop()
            self.trash.put(d.base)
        out = {k: summary(v) for k, v in times.items()}
        out["ratio"] = out["concurrent"]["median"] / out["sequential"]["median"]
        self.res["concurrency"] = out

    def sec_ingest(self):
        """`whlc cache add` of the largest wheels into an empty cache, MB/s and files/s."""
        if not (os.access(self.a.whlc, os.X_OK) and os.access(self.a.whlcd, os.X_OK)):
            self.res["ingest"] = {"skipped": "whlc/whlcd not built"}
            return
        top = 3 if self.a.quick else 10
        wheels = sorted(self.wheels, key=os.path.getsize, reverse=True)[:top]
        st = bl.corpus_stats(wheels)
        times = []
        for i in range(self.a.runs):
            d = self.daemon()
            times.append(timed(d.client("cache", "add", *wheels)))
            d.stop()
            self.trash.put(d.base)
        med = bl.median(times)
        self.res["ingest"] = {"wheels": len(wheels), "list": [os.path.basename(w) for w in wheels],
                              "bytes": st["bytes"], "files": st["files"],
                              "unpacked_bytes": st["unpacked_bytes"], "median": med,
                              "runs": times, "mb_per_s": st["bytes"] / 1e6 / med,
                              "files_per_s": st["files"] / med}
        print("ingest: %.1f MB/s, %.0f files/s" % (st["bytes"] / 1e6 / med, st["files"] / med),
              flush=True)

    def run(self):
        """Run the selected sections and write the results."""
        self.only = self.a.only
        self.res.update(date=datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"), runs=self.a.runs, command=" ".join(sys.argv),
            nice=os.nice(0), machine=bl.machine(self.work), versions=bl.versions(self.a.whlc, self.a.whlcd))
        if not self.whlc_ok:
            self.note(NO_INSTALL + " (%s): whlc measurements skipped; floors copy pip's tree"
                      % self.a.whlc)
        self.corpus()
        try:
            for s in SECTIONS:
                if s in self.only:
                    print("== %s" % s, flush=True)
                    load0 = os.getloadavg()[0]
                    getattr(self, "sec_" + s)()
                    # Other work on the machine skews every number: keep the load with them.
                    self.res.setdefault("load", {})[s] = [load0, os.getloadavg()[0]]
        finally:
            if self.warmd:
                self.warmd.stop()
            # Removing a million inodes takes minutes: done in the background.
            old = "%s.old-%d" % (self.work, os.getpid())
            os.rename(self.work, old)
            subprocess.Popen(["rm", "-rf", "--", old], start_new_session=True)
            print("removing %s in the background (deferred removals)" % old, flush=True)
        self.res["targets"] = report.targets(self.res)
        os.makedirs(self.a.out, exist_ok=True)
        with open(os.path.join(self.a.out, "bench-results.json"), "w") as f:
            json.dump(self.res, f, indent=1, sort_keys=True)
        md = report.markdown(self.res)
        with open(os.path.join(self.a.out, "bench-results.md"), "w") as f:
            f.write(md)
        print()
        print(md)


def main():
    """Parse options and run the benchmark."""
    build = os.environ.get("WHLC_BUILDDIR", os.path.join(SRCDIR, "build"))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=None, help="runs per measurement (default 5)")
    p.add_argument("--quick", action="store_true", help="small corpus subset, 3 runs")
    p.add_argument("--only", default=",".join(SECTIONS), help="sections: " + ",".join(SECTIONS))
    p.add_argument("--out", default=".", help="directory for bench-results.{json,md}")
    p.add_argument("--whlc", default=os.path.join(build, "client", "whlc"))
    p.add_argument("--whlcd", default=os.path.join(build, "daemon", "whlcd"))
    p.add_argument("--corpus", default="/var/tmp/whlc-bench-corpus")
    p.add_argument("--work", default="/var/tmp/whlc-bench-work",
                   help="venvs, caches and copies (same filesystem for hardlinks)")
    p.add_argument("--disk-images", action="store_true",
                   help="also run the disk section on loop-mounted ext4 images, default and "
                        "-O inline_data (root)")
    p.add_argument("--nice", type=int, default=0,
                   help="niceness increment for the benchmark and everything it starts "
                        "(negative, as root: less disturbed by other load)")
    a = p.parse_args()
    if a.nice:
        os.nice(a.nice)
    a.runs = a.runs or (3 if a.quick else 5)
    a.only = [s.strip() for s in a.only.split(",") if s.strip()]
    bad = [s for s in a.only if s not in SECTIONS]
    if bad:
        p.error("unknown section(s) %s; choose from %s" % (",".join(bad), ",".join(SECTIONS)))
    Bench(a).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
