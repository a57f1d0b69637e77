#!/usr/bin/env python3
"""killtest.py: SIGKILL whlcd (or its client) at random moments and check that nothing breaks.

    tests/killtest.py --iterations 200 --seed 1 --venvs 3 [--builddir DIR] [--keep] [--json FILE]

Each iteration picks an operation, runs it once without interruption into a reference
(a reference venv kept in lockstep, or a copy of the cache for eviction) to learn its
duration, then runs it again against the real target and SIGKILLs the daemon (or, one time in
four, the client) after a random delay within that duration. After each kill it restarts the
daemon and checks (issue 8, "Crashes and kills"):
  - `whlc cache verify` exits 0;
  - the catalog names no missing object; store-v1/tmp holds no temporary after startup;
  - in every venv, every dist-info has its RECORD and every RECORD file is present with the
    recorded hash; a distribution being upgraded is at the old version or the new one, with
    no file that only the other version has;
  - the interrupted command, run again, succeeds, and the result equals the uninterrupted
    run: venv snapshots (files, bytes, exec bits, symlinks, directories; RECORD path sets;
    the venv path normalized) or, for the cache, the set of wheels in the catalog.
Operations: cold ingestion (`cache clear`, then `cache add` of the corpus), warm installs,
upgrades and downgrades (fixture pair kt-upg 1.0/2.0 sharing files; real pip 23.0.1/23.2.1),
uninstalls, eviction (`cache prune --max-size`, `cache gc`).

Prints a summary; exit status 1 on any violation (each names the iteration and the seed).
`run(iterations, seed, venvs, ...)` is the API tests/integration/test_killtest.py uses.
"""
import argparse
import base64
import csv
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import wheelfab  # noqa: E402

PY = "/root/.pyenv/versions/3.11.7/bin/python"
SITE = os.path.join("lib", "python3.11", "site-packages")
PIP_OLD = "/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl"
PIP_NEW = "/root/.pyenv/versions/3.11.7/lib/python3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl"
SETUPTOOLS = "/usr/share/python-wheels/setuptools-66.1.1-py3-none-any.whl"
# An upgrade killed midway: the old dist-info lost its RECORD to the stash, which the next
# operation on the venv undoes (lazy recovery, branch installer2). Counted apart with
# --tolerate-pending-recovery.
PENDING = "(upgrade stash pending recovery)"
KINDS = ("ingest", "install", "upgrade", "uninstall", "evict")


class Violation(Exception):
    """An invariant did not hold."""


# -- daemon ------------------------------------------------------------------

class Whlcd:
    """A foreground whlcd on a private socket and cache (grace period 0, so gc removes files)."""

    def __init__(self, builddir, root, cache):
        self.whlcd = os.path.join(builddir, "daemon", "whlcd")
        self.whlc_bin = os.path.join(builddir, "client", "whlc")
        self.root = root
        self.cache = cache
        self.socket = os.path.join(root, "s", "whlcd.sock")
        os.makedirs(os.path.dirname(self.socket), mode=0o700, exist_ok=True)
        self.log = os.path.join(root, "whlcd.log")
        self.xdg = os.path.join(root, "xdg")
        os.makedirs(os.path.join(self.xdg, "whlc"), exist_ok=True)
        with open(os.path.join(self.xdg, "whlc", "config"), "w") as f:
            f.write("grace-period = 0\n")
        self.proc = None
        self.wrapper = os.environ.get("KILLTEST_DAEMON_WRAPPER", "").split()

    def env(self):
        """Client environment: this socket and cache; never auto-start another daemon."""
        e = dict(os.environ)
        e.update(WHLC_SOCKET=self.socket, WHLC_CACHE_DIR=self.cache, WHLC_DAEMON="/bin/false",
                 XDG_CONFIG_HOME=self.xdg, WHLC_START_TIMEOUT="1")
        e.pop("WHLCD_FAILPOINT", None)
        return e

    def start(self):
        """Start whlcd and wait until it accepts."""
        logf = open(self.log, "ab")
        self.log_offset = logf.tell()
        self.proc = subprocess.Popen(self.wrapper + [self.whlcd, "--foreground", "--socket",
                                                     self.socket, "--cache-dir", self.cache,
                                                     "--log-level", "debug"],
                                     env=self.env(), stdout=logf, stderr=logf,
                                     stdin=subprocess.DEVNULL)
        logf.close()
        deadline = time.monotonic() + (120 if self.wrapper else 30)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Violation("whlcd exited at startup (%s):\n%s" % (self.proc.returncode,
                                                                       self.tail()))
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.socket)
                # The socket listens before the cache is open: ready once status answers.
                if self.whlc("status", timeout=60).returncode == 0:
                    return
                time.sleep(0.01)
            except OSError:
                time.sleep(0.01)
            finally:
                s.close()
        raise Violation("whlcd did not start:\n" + self.tail())

    def wait_scan(self, timeout=30):
        """Wait for the background startup scan of the store to reach its last slice."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log, "rb") as f:
                f.seek(self.log_offset)
                if b"store scan of fan-outs f0..ff" in f.read():
                    return True
            time.sleep(0.02)
        return False

    def kill(self):
        """SIGKILL the daemon and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()

    def stop(self):
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
        rc = self.proc.wait(timeout=120)
        self.proc = None
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=3000):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def whlc(self, *args, timeout=300):
        """Run whlc; returns CompletedProcess."""
        return subprocess.run([self.whlc_bin] + list(args), env=self.env(), capture_output=True,
                              text=True, errors="replace", timeout=timeout)

    def popen(self, *args):
        return subprocess.Popen([self.whlc_bin] + list(args), env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ok(self, *args):
        """Run whlc and require exit 0."""
        r = self.whlc(*args)
        if r.returncode != 0:
            raise Violation("whlc %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                         r.stderr))
        return r


# -- what is on disk ----------------------------------------------------------

def b64sha(data, algo="sha256"):
    return algo + "=" + base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(
        b"=").decode()


def catalog_check(cache):
    """The catalog names no missing object; returns ({wheel sha}, counts)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(cache, "catalog.db"), uri=True)
    try:
        missing = []
        for sha, ex in db.execute("SELECT sha256, exec FROM objects"):
            hx = sha.hex()
            p = os.path.join(cache, "store-v1", "objects", hx[:2], hx[2:] + ("-x" if ex else ""))
            if not os.path.isfile(p):
                missing.append(p)
        if missing:
            raise Violation("catalog names %d missing object(s), e.g. %s" % (len(missing),
                                                                           missing[0]))
        wheels = {r[0].hex() for r in db.execute("SELECT sha256 FROM wheels")}
        counts = {t: db.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                  for t in ("wheels", "members", "objects")}
        return wheels, counts
    finally:
        db.close()


def tmp_files(cache):
    try:
        return os.listdir(os.path.join(cache, "store-v1", "tmp"))
    except FileNotFoundError:
        return []


def read_record(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f) if r]


def check_venv(v, versions):
    """Every dist-info complete (RECORD files present, hashes right); versions: project ->
    {version: set of site-relative files only that version has}. Returns {dist-info: version}."""
    site = os.path.join(v, SITE)
    found = {}
    if not os.path.isdir(site):
        return found
    for di in sorted(os.listdir(site)):
        if not di.endswith(".dist-info"):  # pending uninstalls (.whlc-uninstall-*) are not
            continue
        rec = os.path.join(site, di, "RECORD")
        if not os.path.isfile(rec):
            if glob.glob(os.path.join(v, ".whlc-stash-*")):
                raise Violation("%s: %s has no RECORD %s" % (v, di, PENDING))
            raise Violation("%s: %s has no RECORD" % (v, di))
        for row in read_record(rec):
            p = os.path.normpath(os.path.join(site, row[0]))
            if not os.path.lexists(p):
                raise Violation("%s: %s lists %s, which is missing" % (v, di, row[0]))
            if len(row) > 1 and row[1]:
                algo = row[1].split("=", 1)[0]
                with open(p, "rb") as f:
                    if b64sha(f.read(), algo) != row[1]:
                        raise Violation("%s: %s: %s does not match its RECORD hash" % (v, di,
                                                                                     row[0]))
        name, ver = di[: -len(".dist-info")].rsplit("-", 1)
        with open(os.path.join(site, di, "METADATA"), encoding="utf-8", errors="replace") as f:
            meta = dict(l.split(": ", 1) for l in f.read().split("\n\n")[0].splitlines()
                        if ": " in l)
        if meta.get("Version", "").strip() != ver:
            raise Violation("%s: %s holds METADATA of version %s" % (v, di, meta.get("Version")))
        key = wheelfab.normalize(name)
        if key in found:
            raise Violation("%s: two dist-infos of %s: %s and %s" % (v, key, found[key], di))
        found[key] = ver
        for other, only in versions.get(key, {}).items():
            if other == ver:
                continue
            for rel in only:
                if os.path.lexists(os.path.join(site, rel)) and rel not in \
                        versions[key].get(ver, set()):
                    raise Violation("%s: %s %s is installed but %s of version %s is present"
                                    % (v, key, ver, rel, other))
    return found


def snapshot(v):
    """{relative path: description}, with the venv's own path replaced in file contents."""
    out = {}
    venv_b = os.path.abspath(v).encode()
    for root, dirs, files in os.walk(v):
        for name in dirs + files:
            p = os.path.join(root, name)
            rel = os.path.relpath(p, v)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p).replace(os.path.abspath(v), "<V>"))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            elif name == "RECORD" and root.endswith(".dist-info"):
                out[rel] = ("record", frozenset(r[0] for r in read_record(p)))
            else:
                with open(p, "rb") as f:
                    data = f.read().replace(venv_b, b"<V>")
                out[rel] = ("file", hashlib.sha256(data).hexdigest(), bool(st.st_mode & 0o111))
    return out


def diff_snapshots(a, b):
    """Short description of how snapshot a differs from b (empty when equal)."""
    lines = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            lines.append("  %s: %s != %s" % (k, a.get(k, "absent"), b.get(k, "absent")))
    return "\n".join(lines[:20]) + ("\n  ... %d more" % (len(lines) - 20) if len(lines) > 20 else "")


# -- the workload ---------------------------------------------------------------

def wheel_info(path):
    """(normalized project, version, set of site-relative files of a purelib wheel)."""
    base = os.path.basename(path)
    name, ver = base.split("-")[:2]
    with zipfile.ZipFile(path) as z:
        files = {n for n in z.namelist() if not n.endswith("/") and ".dist-info/" not in n
                 and ".data/" not in n}
    return wheelfab.normalize(name), ver, files


def build_corpus(out):
    """Fixture corpus (pure and compiled), the kt-upg pair, real wheels."""
    fx = [p for _, p in wheelfab.fixture_corpus(os.path.join(out, "fx"), PY)]
    rnd = random.Random(7)
    big = bytes(rnd.getrandbits(8) for _ in range(1 << 20))
    common = {"kt_upg/shared%d.py" % i: ("# shared %d\n" % i).encode() * 50 for i in range(40)}
    common["kt_upg/big.bin"] = big
    v1 = dict(common, **{"kt_upg/__init__.py": b"V = 1\n", "kt_upg/old_only.py": b"OLD = 1\n",
                          "kt_upg/old/%s.py" % "x": b"x = 1\n"})
    v2 = dict(common, **{"kt_upg/__init__.py": b"V = 2\n", "kt_upg/new_only.py": b"NEW = 1\n",
                          "kt_upg/new/y.py": b"y = 2\n",
                          "kt_upg/big2.bin": big[::-1]})
    for i in range(20):
        v1["kt_upg/mod%d.py" % i] = b"A = %d\n" % i
        v2["kt_upg/mod%d.py" % i] = b"A = %d\n" % (i + 100)
    eps = {"console_scripts": {"kt-upg": "kt_upg:main"}}
    upg = os.path.join(out, "upg")
    u1 = wheelfab.build_wheel(upg, "kt-upg", "1.0", v1, entry_points=eps)
    u2 = wheelfab.build_wheel(upg, "kt-upg", "2.0", v2, entry_points=eps)
    real = [p for p in (SETUPTOOLS,) if os.path.exists(p)]
    pairs = [(u1, u2)]
    if os.path.exists(PIP_OLD) and os.path.exists(PIP_NEW):
        pairs.append((PIP_OLD, PIP_NEW))
    return fx + real, pairs


class Run:
    """One kill-test run: a daemon, K venvs with reference twins, the corpus."""

    def __init__(self, builddir, seed, nvenvs, work, log=print, client_kill_rate=0.25):
        self.rng = random.Random(seed)
        self.seed = seed
        self.log = log
        self.work = work
        self.client_kill_rate = client_kill_rate
        self.d = Whlcd(builddir, os.path.join(work, "d"), os.path.join(work, "d", "cache"))
        self.plain, self.pairs = build_corpus(os.path.join(work, "wheels"))
        self.info = {p: wheel_info(p) for p in self.plain + [w for pr in self.pairs for w in pr]}
        self.versions = {}
        for a, b in self.pairs:
            na, va, fa = self.info[a]
            _, vb, fb = self.info[b]
            self.versions[na] = {va: fa - fb, vb: fb - fa}
        tmpl = os.path.join(work, "template")
        subprocess.run([PY, "-I", "-m", "venv", "--without-pip", tmpl], check=True)
        # Same-length names, so that launchers and RECORD sizes match between twins.
        self.venvs = []
        for i in range(nvenvs):
            t, r = os.path.join(work, "t%02d" % i), os.path.join(work, "r%02d" % i)
            for p in (t, r):
                shutil.copytree(tmpl, p, symlinks=True)
                with open(os.path.join(p, "pyvenv.cfg")) as f:
                    cfg = f.read().replace(tmpl, p)
                with open(os.path.join(p, "pyvenv.cfg"), "w") as f:
                    f.write(cfg)
            self.venvs.append({"t": t, "r": r, "installed": {}})  # project -> wheel path
        self.tmpl = tmpl
        self.kills = {k: 0 for k in KINDS}
        self.client_kills = {k: 0 for k in KINDS}
        self.no_kill = {k: 0 for k in KINDS}
        self.failures = []
        self.durations = {}
        self.lock_waits = []
        self.iterations = 0
        self.tolerate_pending = False
        self.pending = []

    def setup(self):
        """Start the daemon; drop fixture wheels whlc refuses (bad-wheel fixtures) or that
        clash with another one (same files), by installing each once into the template."""
        self.d.start()
        keep = []
        for p in self.plain:
            r = self.d.whlc("install", "--venv", self.tmpl, p)
            if r.returncode == 0:
                keep.append(p)
        # Wheels sharing a file (namespace fixtures) break each other on uninstall, with pip
        # too: keep the first of each such group.
        self.plain, seen = [], set()
        for p in keep:
            if not self.info[p][2] & seen:
                self.plain.append(p)
                seen |= self.info[p][2]
        self.d.ok("cache", "clear")

    # -- one operation ---------------------------------------------------------
    def plan(self):
        """(kind, args, venv index or None, what the model becomes)."""
        kind = self.rng.choice(KINDS)
        vi = self.rng.randrange(len(self.venvs))
        v = self.venvs[vi]
        inst = v["installed"]
        if kind == "install":
            free = [p for p in self.plain if self.info[p][0] not in inst]
            if not free:
                kind = "uninstall"
            else:
                pick = self.rng.sample(free, min(len(free), self.rng.randint(1, 6)))
                return kind, ["install", "--venv", "{V}"] + pick, vi, pick
        if kind == "upgrade":
            a, b = self.rng.choice(self.pairs)
            name = self.info[a][0]
            cur = inst.get(name)
            if cur is None:  # install the old one first, uninterrupted
                self.both(vi, ["install", "--venv", "{V}", a])
                inst[name] = a
                cur = a
            new = b if cur == a else a
            return kind, ["install", "--venv", "{V}", new], vi, [new]
        if kind == "uninstall":
            if not inst:
                pick = self.rng.sample(self.plain, 3)
                self.both(vi, ["install", "--venv", "{V}"] + pick)
                for p in pick:
                    inst[self.info[p][0]] = p
            names = self.rng.sample(sorted(inst), self.rng.randint(1, min(4, len(inst))))
            return kind, ["uninstall", "--venv", "{V}"] + names, vi, names
        if kind == "ingest":
            return kind, ["cache", "add"] + self.plain + [w for pr in self.pairs for w in pr], \
                None, None
        if self.rng.random() < 0.5:
            return "evict", ["cache", "gc"], None, None
        _, counts = catalog_check(self.d.cache)
        size = self.rng.choice(["0", "100K", "1M", "3M"])
        return "evict", ["cache", "prune", "--max-size", size], None, None

    def both(self, vi, args):
        """Run an install/uninstall into both twins, uninterrupted."""
        for key in ("r", "t"):
            self.d.ok(*[a.replace("{V}", self.venvs[vi][key]) for a in args])

    def reference(self, kind, args, vi):
        """Run the operation uninterrupted where it does not touch the target; returns
        (duration, expected result)."""
        if vi is not None:
            ra = [a.replace("{V}", self.venvs[vi]["r"]) for a in args]
            t0 = time.monotonic()
            self.d.ok(*ra)
            return time.monotonic() - t0, snapshot(self.venvs[vi]["r"])
        if kind == "ingest":
            self.d.ok("cache", "clear")
            t0 = time.monotonic()
            self.d.ok(*args)
            dt = time.monotonic() - t0
            wheels, counts = catalog_check(self.d.cache)
            self.d.ok("cache", "clear")
            return dt, (wheels, counts)
        # eviction: on a copy of the cache, with its own daemon
        self.d.stop()
        ref = os.path.join(self.work, "evref")
        shutil.rmtree(ref, ignore_errors=True)
        os.makedirs(ref)
        shutil.copytree(self.d.cache, os.path.join(ref, "cache"), symlinks=True)
        rd = Whlcd(os.path.dirname(os.path.dirname(self.d.whlcd)), ref, os.path.join(ref, "cache"))
        rd.wrapper = []
        try:
            rd.start()
            t0 = time.monotonic()
            rd.ok(*args)
            dt = time.monotonic() - t0
            rd.stop()
            res = catalog_check(rd.cache)[0]
        finally:
            rd.kill()
            shutil.rmtree(ref, ignore_errors=True)
        self.d.start()
        return dt, res

    def iteration(self, it):
        kind, args, vi, _ = self.plan()
        dur, expected = self.reference(kind, args, vi)
        self.durations.setdefault(kind, []).append(dur)
        ta = [a.replace("{V}", self.venvs[vi]["t"]) for a in args] if vi is not None else list(args)
        if kind == "ingest":
            self.d.ok("cache", "clear")
        client_kill = self.rng.random() < self.client_kill_rate
        delay = self.rng.uniform(0, dur * 0.9)
        p = self.d.popen(*ta)
        try:
            p.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        if client_kill:
            p.kill()
        else:
            self.d.kill()
        out, err = p.communicate()
        what = "%s (%s killed after %.3f s of ~%.3f s)" % (" ".join(ta[:4]) + (
            " ..." if len(ta) > 4 else ""), "client" if client_kill else "daemon", delay, dur)
        if finished:
            self.no_kill[kind] += 1
        elif client_kill:
            self.client_kills[kind] += 1
        else:
            self.kills[kind] += 1
        try:
            self.after_kill(kind, ta, vi, expected, client_kill)
        except Violation as e:
            msg = "iteration %d (seed %d), %s: %s" % (it, self.seed, what, e)
            if self.tolerate_pending and PENDING in str(e):
                self.pending.append(msg)
                self.log("PENDING-RECOVERY " + msg)
                self.recover_model(vi)
                return
            self.failures.append(msg)
            self.log("FAIL " + msg)
            self.recover_model(vi)
            return
        self.apply_model(kind, args, vi)

    def after_kill(self, kind, ta, vi, expected, client_kill):
        d = self.d
        if client_kill:
            if not d.alive():
                raise Violation("the daemon died when its client was killed:\n" + d.tail())
            # The daemon may still be finishing the request: the rerun comes first (it waits
            # for the venv lock or the lifecycle lock, which must have been released).
            self.rerun(kind, ta, vi, True)
            self.check_all()
        else:
            d.start()
            # No wait for the background startup scan: verify must be right while it runs.
            if tmp_files(d.cache):
                raise Violation("temporaries left in store-v1/tmp after startup: %s"
                                % tmp_files(d.cache)[:5])
            self.check_all()
            self.rerun(kind, ta, vi, False)
        if vi is not None:
            got = snapshot(self.venvs[vi]["t"])
            if got != expected:
                raise Violation("venv differs from the uninterrupted run:\n"
                                + diff_snapshots(got, expected))
        else:
            wheels, counts = catalog_check(d.cache)
            exp = expected if kind == "evict" else expected[0]
            if wheels != exp:
                raise Violation("catalog wheels differ from the uninterrupted run: "
                                "%d extra, %d missing" % (len(wheels - exp), len(exp - wheels)))
            if kind == "ingest" and counts != expected[1]:
                raise Violation("catalog counts %s != uninterrupted %s" % (counts, expected[1]))
        self.check_all()
        r = d.whlc("status")
        if r.returncode != 0:
            raise Violation("whlc status after the rerun: exit %d %s" % (r.returncode, r.stderr))

    def check_all(self):
        """cache verify is clean, the catalog names no missing object, every venv is whole."""
        r = self.d.whlc("cache", "verify")
        if r.returncode != 0:
            raise Violation("whlc cache verify: exit %d\n%s%s" % (
                r.returncode, "\n".join(r.stdout.splitlines()[:10]), r.stderr))
        catalog_check(self.d.cache)
        for v in self.venvs:
            check_venv(v["t"], self.versions)

    def rerun(self, kind, ta, vi, client_kill):
        """Run the interrupted command again; it must succeed."""
        t0 = time.monotonic()
        r = self.d.whlc(*ta, timeout=120)
        if client_kill and vi is not None:
            self.lock_waits.append(time.monotonic() - t0)
        if r.returncode != 0:
            if not (kind == "uninstall" and self.only_not_installed(r, vi, ta)):
                raise Violation("rerun whlc %s: exit %d\n%s%s" % (" ".join(ta), r.returncode,
                                                                   r.stdout, r.stderr))

    def only_not_installed(self, r, vi, ta):
        """A rerun uninstall may only fail for names the interrupted run already removed."""
        text = r.stdout + r.stderr
        return "not installed" in text and all(
            wheelfab.normalize(n) not in check_venv(self.venvs[vi]["t"], self.versions)
            for n in ta[3:])

    def apply_model(self, kind, args, vi):
        if vi is None:
            return
        inst = self.venvs[vi]["installed"]
        if args[0] == "install":
            for p in args[3:]:
                inst[self.info[p][0]] = p
        else:
            for n in args[3:]:
                inst.pop(n, None)

    def recover_model(self, vi):
        """After a failure: make the target and reference venv equal again (fresh twins)."""
        if not self.d.alive():
            try:
                self.d.start()
            except Violation:
                pass
        if vi is None:
            return
        v = self.venvs[vi]
        for key in ("t", "r"):
            site = os.path.join(v[key], SITE)
            shutil.rmtree(site, ignore_errors=True)
            os.makedirs(site)
            for leftover in glob.glob(os.path.join(v[key], ".whlc*")):
                shutil.rmtree(leftover, ignore_errors=True)
            for b in os.listdir(os.path.join(v[key], "bin")):
                if not b.startswith(("python", "activate", "Activate")):
                    os.unlink(os.path.join(v[key], "bin", b))
        v["installed"] = {}

    def summary(self):
        lines = ["killtest: seed %d, %d iterations, %d venvs" % (self.seed, self.iterations,
                                                              len(self.venvs)),
                 "  %-10s %8s %8s %8s %10s" % ("operation", "daemon", "client", "finished",
                                               "median op")]
        for k in KINDS:
            ds = sorted(self.durations.get(k, []))
            med = "%.3f s" % ds[len(ds) // 2] if ds else "-"
            lines.append("  %-10s %8d %8d %8d %10s" % (k, self.kills[k], self.client_kills[k],
                                                       self.no_kill[k], med))
        lines.append("  daemon kills %d, client kills %d, ops that finished before the kill %d"
                     % (sum(self.kills.values()), sum(self.client_kills.values()),
                        sum(self.no_kill.values())))
        if self.lock_waits:
            w = sorted(self.lock_waits)
            lines.append("  rerun after a client kill: median %.3f s, max %.3f s" % (
                w[len(w) // 2], w[-1]))
        lines.append("  mid-upgrade states without RECORD before recovery (%s): %d"
                     % ("tolerated" if self.tolerate_pending else "failures", len(self.pending)))
        lines.append("  failures: %d" % len(self.failures))
        for f in self.failures:
            lines.append("  - " + f.splitlines()[0])
        return "\n".join(lines)

    def as_dict(self):
        return {"seed": self.seed, "iterations": self.iterations, "kills": self.kills,
                "client_kills": self.client_kills, "finished": self.no_kill,
                "pending_recovery": self.pending, "failures": self.failures}


def run(iterations, seed, venvs=3, builddir=None, keep=False, log=print, work=None,
        tolerate_pending=False):
    """Run the kill test; returns the Run (failures in .failures)."""
    builddir = builddir or os.environ.get("WHLC_BUILDDIR") or os.getcwd()
    work = work or tempfile.mkdtemp(prefix="whlc-kill-")
    r = Run(builddir, seed, venvs, work, log=log)
    r.tolerate_pending = tolerate_pending
    try:
        r.setup()
        for it in range(iterations):
            r.iteration(it)
            r.iterations = it + 1
    finally:
        r.d.kill()
        if not keep and not r.failures:
            shutil.rmtree(work, ignore_errors=True)
        elif r.failures:
            log("work directory kept: " + work)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--venvs", type=int, default=3)
    ap.add_argument("--builddir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--tolerate-pending-recovery", action="store_true",
                    help="count an upgrade's old dist-info without RECORD while its stash "
                    "awaits recovery apart instead of as a failure")
    ap.add_argument("--json", default=None, help="write the counts as JSON to this file")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    r = run(a.iterations, seed, a.venvs, a.builddir, a.keep,
            tolerate_pending=a.tolerate_pending_recovery)
    print(r.summary())
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r.as_dict(), f, indent=1)
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.exit(main())
