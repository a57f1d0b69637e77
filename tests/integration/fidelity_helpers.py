"""fidelity_helpers.py: whlc against the pip oracle, wheel by wheel (issue 5, "Fidelity").

A Group is one comparison: the same wheels installed by pip 23.2.1 into <root>/a/venv and by
whlc into <root>/b/venv (same interpreter, same path length, so shebangs and the /bin/sh trick
decision agree). Group.install() runs both tools once for all its wheels and records what
happened in <root>/state.json; check_wheel() then compares only the files one wheel owns
(the union of what its RECORD in either venv lists and its dist-info directory holds), so one
TAP case per wheel names exactly what differs. check_group() covers what belongs to no wheel
(stray files), `whlc verify` and `whlc list` on both venvs.

Differences between whlc and pip that the spec or the issue mandate are encoded where they
apply, each with the rule it follows; the comparison is never loosened globally.

    import fidelity_helpers as fh
    run = fh.Run("fixtures")               # work dir (tmpfs when roomy) and a private whlcd
    g = fh.Group(run, "py312-fixtures", fh.PY312, [("basic", "/path/fab_basic-1.0-...whl")])
    fh.register_group(g)                   # TAP cases: install, one per wheel, verify/list/stray
    fh.register_daemon_check(run)
    fh.main(run)                           # start whlcd, run the cases, clean up

Environment: WHLC_FIDELITY_TMP (scratch base), WHLC_FIDELITY_KEEP=1 (keep the venvs).
"""
import configparser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

SRCDIR = os.environ.get("WHLC_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))

import oracle  # noqa: E402
import realwheels  # noqa: E402,F401 (used by the test scripts)
from fidelity_behaviour import (run_prog, check_imports, import_outcomes,  # noqa: E402,F401
                                resolve_and_compare, resolve_launchers, run_and_compare,
                                run_scripts_and_compare, text_diff)
import wheelfab  # noqa: E402
from daemon import Daemon, pid_alive, wait_for  # noqa: E402

PYENV = "/root/.pyenv/versions"
PY312 = PYENV + "/3.12.1/bin/python"
PY38 = PYENV + "/3.8.18/bin/python"
PY311 = PYENV + "/3.11.7/bin/python"
DEBIAN = "/usr/bin/python3"

# Issue 5, "Concurrency and output": installs into one venv are serialized with an flock on
# <venv>/.lock (the file uv uses). pip has no such file; it is whlc's only legitimate extra.
# (The pip venv gets one too: whlc verify and whlc list, run on it, take the same lock.)
WHLC_ONLY_FILES = (".lock",)

VERIFY_KINDS = ("missing", "not a regular file", "size differs", "hash differs",
                "outside the venv", "no RECORD")
_VERIFY_LINE = re.compile(r"^(?P<dist>.+?): (?P<kind>%s)(?: (?P<path>.*))?$"
                          % "|".join(re.escape(k) for k in VERIFY_KINDS))
_LIST_LINE = re.compile(r"^(?P<name>\S+)==(?P<version>\S+) \((?P<installer>[^)]*)\)$")
_SUMMARY = re.compile(r"Installed (\d+) packages? in ([0-9.]+) ?m?s \((\w+)\)")


def have(python):
    """True when the interpreter exists on this machine."""
    return os.access(python, os.X_OK)


def short(python):
    """A short key for an interpreter: py312, py38, deb311..."""
    info = wheelfab.python_info(python)
    xy = "%d%d" % info["version"][:2]
    return ("deb" if python.startswith("/usr/") else "py") + xy


# ---------------------------------------------------------------------------
# What a wheel is, read from the archive alone (independent of both installers)

class WheelInfo:
    """Name, version, dist-info, entry points, scripts and import names of one wheel file."""

    def __init__(self, path):
        self.path = path
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            dis = {n.split("/", 1)[0] for n in names
                   if n.split("/", 1)[0].endswith(".dist-info") and "/" in n}
            assert len(dis) == 1, "%s: dist-info dirs %r" % (path, sorted(dis))
            self.dist_info = dis.pop()
            meta = zf.read(self.dist_info + "/METADATA").decode("utf-8", "replace")
            eps = self.dist_info + "/entry_points.txt"
            ep_text = zf.read(eps).decode("utf-8", "replace") if eps in names else ""
            self.data_dir = None
            self.scripts = {}  # script name -> first bytes (to know which get rewritten)
            for n in names:
                top = n.split("/", 1)[0]
                if top.endswith(".data") and n.count("/") >= 2:
                    self.data_dir = top
                    key, rest = n.split("/", 2)[1:]
                    if key == "scripts":
                        with zf.open(n) as f:
                            self.scripts[rest] = f.read(64)
            self.members = names
        self.name = _header(meta, "Name")
        self.version = _header(meta, "Version")
        self.requires_python = _header(meta, "Requires-Python")
        self.launchers = _launchers(ep_text)
        self.import_names = _import_names(self.members, self.dist_info, self.data_dir)
        self.key = wheelfab.normalize(self.name)

    def rewritten_scripts(self):
        """Names of .data/scripts the installer rewrites (#!python), minus shadowed ones."""
        return sorted(n for n, head in self.scripts.items()
                      if head.startswith(b"#!python") and n not in self.launchers)


def pip_launchers(launchers, xy):
    """The launcher set pip 23.2.1 generates from a wheel's entry points for Python xy
    ('3.12'): pip and easy_install get pipX/pipX.Y and easy_install-X.Y for the target Python
    in place of the versioned names the wheel declares (whlc's daemon/launcher.c does the
    same, so this is the expectation for both venvs)."""
    out = dict(launchers)
    for base, pat, names in (("pip", r"pip(\d+(\.\d+)?)?$", ("pip", "pip" + xy[0], "pip" + xy)),
                             ("easy_install", r"easy_install(-\d+\.\d+)?$",
                              ("easy_install", "easy_install-" + xy))):
        target = out.pop(base, None)
        if target is None:
            continue
        for k in [k for k in out if re.match(pat, k)]:
            del out[k]
        for n in names:
            out[n] = target
    return out


def _header(meta, key):
    """First value of an RFC 822 header in METADATA ('' when absent)."""
    for line in meta.splitlines():
        if not line.strip():
            break
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() == key.lower():
            return v.strip()
    return ""


def _launchers(text):
    """{name: 'mod:attr'} of console_scripts and gui_scripts (spec H.34: '=' only, case kept)."""
    if not text:
        return {}
    cp = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    cp.optionxform = str
    # pip reads the file through importlib.metadata / pkg_resources, which strip every
    # line: an indented entry is an entry, not a configparser continuation.
    cp.read_string("\n".join(line.strip() for line in text.splitlines()))
    out = {}
    for group in ("console_scripts", "gui_scripts"):
        if cp.has_section(group):
            for k, v in cp.items(group):
                out[k] = re.sub(r"\[.*\]\s*$", "", v).strip()
    return out


def _import_names(members, dist_info, data_dir):
    """Top-level module and package names a wheel installs into site-packages."""
    out = set()
    for n in members:
        top, _, rest = n.partition("/")
        if top == dist_info:
            continue
        if top == data_dir:
            key, _, rest = rest.partition("/")
            if key not in ("purelib", "platlib"):
                continue
            n = rest
            top, _, rest = n.partition("/")
        if rest:  # a package directory (namespace packages included)
            cand = top
        elif top.endswith(".py"):
            cand = top[:-3]
        elif re.search(r"\.so$", top):
            cand = top.split(".", 1)[0]
        else:
            continue
        if cand.isidentifier() and cand != "__pycache__":
            out.add(cand)
    return sorted(out)


def filter_requires_python(infos, python):
    """The WheelInfos whose Requires-Python admits python (evaluated by pip's packaging)."""
    version = "%d.%d.%d" % wheelfab.python_info(python)["version"]
    specs = [i.requires_python for i in infos]
    code = ("import json, sys\nfrom pip._vendor.packaging.specifiers import SpecifierSet\n"
            "specs, v = json.loads(sys.stdin.read())\n"
            "print(json.dumps([(not s) or SpecifierSet(s).contains(v, prereleases=True)"
            " for s in specs]))\n")
    r = subprocess.run([oracle.PIP_PYTHON, "-I", "-c", code], input=json.dumps([specs, version]),
                       stdout=subprocess.PIPE, text=True, check=True)
    ok = json.loads(r.stdout)
    return [i for i, good in zip(infos, ok) if good]


def layers(infos):
    """Split wheels into lists holding at most one wheel per project (pip installs one version
    of a project per venv), keeping the order given."""
    out = []
    for i in infos:
        for layer in out:
            if all(j.key != i.key for j in layer):
                layer.append(i)
                break
        else:
            out.append([i])
    return out


def scratch_base():
    """Where venvs and the cache go: $WHLC_FIDELITY_TMP, else /dev/shm when it has room (the
    real-wheel venvs write ~1 GB; on a slow disk writeback dominated the runtime), else /tmp."""
    if os.environ.get("WHLC_FIDELITY_TMP"):
        return os.environ["WHLC_FIDELITY_TMP"]
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize >= (4 << 30) and os.access("/dev/shm", os.W_OK):
            return "/dev/shm"
    except OSError:
        pass
    return tempfile.gettempdir()


# ---------------------------------------------------------------------------
# A run: work directory and one private daemon shared by all groups of a test script

class Run:
    """Work dir (removed at the end unless WHLC_FIDELITY_KEEP is set) and a private whlcd."""

    def __init__(self, name):
        base = scratch_base()
        self.workdir = tempfile.mkdtemp(prefix="whlc-fid-%s-" % name, dir=base)
        os.chmod(self.workdir, 0o755)
        # Cache and venvs on the same filesystem: the default hardlink mode is what we test.
        self.daemon = Daemon(base=base)
        self.t0 = time.monotonic()

    def start(self):
        """Start the daemon in this (parent) process so that it outlives each TAP case."""
        self.daemon.start()

    def whlc(self, args, timeout=600):
        """(rc, stdout, stderr) of whlc ARGS against this run's daemon."""
        return self.daemon.run_client(args, timeout=timeout)

    def stop_daemon_and_check(self):
        """SIGTERM the daemon (from a TAP child: poll, do not wait) and check its logs."""
        pids = self.daemon.pids()
        for pid in pids:
            os.kill(pid, 15)
        for pid in pids:
            wait_for(lambda: not pid_alive(pid), 60, "whlcd %d to exit" % pid)
        reports = self.daemon.sanitizer_reports()
        assert not reports, "sanitizer reports in whlcd logs:\n" + "\n".join(reports[:40])

    def finish(self):
        """Kill the daemon and remove the work dir."""
        self.daemon.cleanup()
        if not os.environ.get("WHLC_FIDELITY_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            sys.stdout.write("# kept %s\n" % self.workdir)


# ---------------------------------------------------------------------------
# A group: one pip venv and one whlc venv holding the same wheels

class Group:
    """Wheels [(label, path)] installed by pip into a/venv and by whlc into b/venv."""

    def __init__(self, run, key, python, wheels, subdir=None):
        self.run, self.key, self.python = run, key, python
        self.root = os.path.join(run.workdir, subdir or key)
        self.pip_venv = os.path.join(self.root, "a", "venv")
        self.whlc_venv = os.path.join(self.root, "b", "venv")
        self.labels = [lab for lab, _ in wheels]
        self.wheels = dict(wheels)
        self.info = {lab: WheelInfo(p) for lab, p in wheels}
        self.state_path = os.path.join(self.root, "state.json")
        self.xy = "%d.%d" % wheelfab.python_info(python)["version"][:2]

    def launchers(self, label):
        """{name: target} of the launchers installing label generates (pip's set)."""
        return pip_launchers(self.info[label].launchers, self.xy)

    # -- installing ---------------------------------------------------------
    def install(self):
        """Make both venvs, install with pip then whlc, record the outcome in state.json."""
        os.makedirs(self.root, exist_ok=True)
        st = {"whlc": {}, "per_wheel": {}}
        oracle.make_venv(self.python, self.pip_venv)
        oracle.make_venv(self.python, self.whlc_venv)
        paths = [self.wheels[lab] for lab in self.labels]
        t = time.monotonic()
        oracle.pip_install(self.pip_venv, paths)
        st["pip_seconds"] = time.monotonic() - t
        t = time.monotonic()
        rc, out, err = self.run.whlc(["install", "--venv", self.whlc_venv] + paths)
        st["whlc_seconds"] = time.monotonic() - t
        st["whlc"] = {"rc": rc, "out": out, "err": err}
        if rc != 0:
            # Attribute the failure: install the wheels one by one into a fresh venv (a wheel
            # the failed batch installed would otherwise be "already installed").
            oracle.make_venv(self.python, self.whlc_venv)
            for lab in self.labels:
                r = self.run.whlc(["install", "--venv", self.whlc_venv, self.wheels[lab]])
                st["per_wheel"][lab] = {"rc": r[0], "out": r[1], "err": r[2]}
        for venv, tag in ((self.whlc_venv, "whlc"), (self.pip_venv, "pip")):
            rc, out, err = self.run.whlc(["verify", "--venv", venv])
            st["verify_" + tag] = {"rc": rc, "out": out, "err": err}
            rc, out, err = self.run.whlc(["list", "--venv", venv])
            st["list_" + tag] = {"rc": rc, "out": out, "err": err}
        # Behaviour of every wheel at once (one interpreter per venv, not one per wheel).
        names = sorted({n for wi in self.info.values() for n in wi.import_names})
        eps = {}
        for lab in self.labels:
            eps.update(self.launchers(lab))
        for venv, tag in ((self.whlc_venv, "whlc"), (self.pip_venv, "pip")):
            st["imports_" + tag] = import_outcomes(venv, names)
            st["resolve_" + tag] = resolve_launchers(venv, eps)
        with open(self.state_path, "w") as f:
            json.dump(st, f)
        return st

    def state(self):
        """The outcome recorded by install()."""
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except FileNotFoundError:
            raise AssertionError("group %s was not installed (its install case failed)" % self.key)

    def whlc_result(self, label):
        """(rc, out, err) of the whlc install that covered label."""
        st = self.state()
        r = st["per_wheel"].get(label) or st["whlc"]
        return r["rc"], r["out"], r["err"]

    def link_mode(self, label):
        """The link mode named by the summary of the whlc install that covered label."""
        m = _SUMMARY.search(self.whlc_result(label)[1])
        return m.group(3) if m else None

    # -- per-wheel comparison -------------------------------------------------
    def check_wheel(self, label, run_launchers=True, expect_import_failure=(),
                    script_overrides=None):
        """Compare what pip and whlc installed for one wheel; AssertionError listing every
        difference. expect_import_failure: import names that fail in both venvs by design.
        script_overrides: {bin/name: callable(pip_bytes, whlc_bytes) -> [diffs]} replacing the
        byte comparison of specific rewritten scripts (spec D.17 cases)."""
        wi = self.info[label]
        rc, out, err = self.whlc_result(label)
        problems = []
        if rc != 0:
            problems.append("whlc install exited %d:\n%s%s" % (rc, out, err))
        elif not re.search(r"^\+ %s==%s$" % (re.escape(wi.name), re.escape(wi.version)), out,
                           re.M | re.I) and not _plus_line(out, wi):
            problems.append("whlc install printed no '+ %s==%s' line:\n%s" % (wi.name, wi.version,
                                                                              out))
        owned = self.owned(wi)
        sa = snap_paths(self.pip_venv, owned)
        sb = snap_paths(self.whlc_venv, owned)
        eps = self.launchers(label)
        launchers = ["bin/" + n for n in eps]
        for rel in launchers:
            # Issue 5: launchers are compared by running them, not by their bytes.
            if rel in sa and rel in sb:
                sa[rel] = sa[rel]._replace(sha256="<launcher>")
                sb[rel] = sb[rel]._replace(sha256="<launcher>")
        extra = {}
        for rel, fn in (script_overrides or {}).items():
            if rel in sa and rel in sb:
                extra[rel] = fn(_read(self.pip_venv, rel), _read(self.whlc_venv, rel))
                sa[rel] = sa[rel]._replace(sha256="<override>")
                sb[rel] = sb[rel]._replace(sha256="<override>")
        problems += oracle.compare(sa, sb, pip_venv=self.pip_venv, whlc_venv=self.whlc_venv)
        for rel in sorted(extra):
            problems += ["%s: %s" % (rel, d) for d in extra[rel]]
        problems += self._check_links(label, wi, sb, launchers)
        problems += self._check_verify(wi)
        st = self.state()
        problems += check_imports(st["imports_pip"], st["imports_whlc"], wi.import_names,
                                  expect_import_failure)
        if run_launchers:
            problems += run_and_compare(self.pip_venv, self.whlc_venv, sorted(eps))
            scripts = [n for n in sorted(wi.scripts) if n not in eps
                       and "bin/" + n not in (script_overrides or {})
                       and os.access(os.path.join(self.pip_venv, "bin", n), os.X_OK)]
            problems += run_scripts_and_compare(self.pip_venv, self.whlc_venv, scripts)
        else:
            problems += resolve_and_compare(self.whlc_venv, eps, st["resolve_pip"],
                                            st["resolve_whlc"])
        assert not problems, "%s (%s):\n%s" % (label, os.path.basename(wi.path),
                                               oracle.format_diffs(problems))

    def owned(self, wi):
        """Venv-relative paths belonging to wheel wi in either venv."""
        out = set()
        for venv in (self.pip_venv, self.whlc_venv):
            di = find_dist_info(venv, wi.name, wi.version)
            if di is None:
                continue
            for root, _, files in os.walk(os.path.join(venv, di)):
                for n in files:
                    out.add(os.path.relpath(os.path.join(root, n), venv))
            out |= record_rel_paths(venv, di)
        # pip 23.2.1 lists the .data/scripts path of a script it skipped because a launcher
        # of the same name replaces it (spec H.12); nothing exists there in either venv.
        return sorted(p for p in out
                      if os.path.lexists(os.path.join(self.pip_venv, p))
                      or os.path.lexists(os.path.join(self.whlc_venv, p)))

    def _check_links(self, label, wi, sb, launchers):
        """Spec E.22 and issue 5: wheel files are hardlinks from the store, generated ones are
        written fresh (a linked inode is never written or chmod-ed), except the generated
        dist-info files that are alike in every venv, which may be store objects (issue 6)."""
        mode = self.link_mode(label)
        if self.whlc_result(label)[0] != 0:
            return []  # the install error is reported already
        if mode != "hardlink":
            # Same filesystem for cache and venvs: anything else is a fallback to explain.
            return ["whlc install used link mode %r, expected 'hardlink'" % mode]
        di = find_dist_info(self.whlc_venv, wi.name, wi.version)
        fresh = set(launchers) | {"bin/" + n for n in wi.rewritten_scripts()}
        if di:
            fresh |= {"%s/%s" % (di, n) for n in oracle.GENERATED_DIST_INFO}
        out = []
        for rel in sorted(sb):
            if rel in WHLC_ONLY_FILES:
                continue
            n = os.lstat(os.path.join(self.whlc_venv, rel)).st_nlink
            if rel in fresh and n != 1 and not self._store_shared(rel):
                out.append("%s: generated file has %d links (must be written fresh)" % (rel, n))
            elif rel not in fresh and n < 2:
                out.append("%s: wheel file is not linked from the store (1 link)" % rel)
        return out

    def _store_shared(self, rel):
        """True for a generated dist-info file that every venv gets alike (INSTALLER,
        direct_url.json, a RECORD without launchers) linked from the store: the inode of the
        non-executable store object its bytes name (daemon/install_share.c)."""
        if rel.rsplit("/", 1)[-1] not in ("INSTALLER", "direct_url.json", "RECORD"):
            return False
        path = os.path.join(self.whlc_venv, rel)
        with open(path, "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        obj = os.path.join(self.run.daemon.cache_dir, "store-v1", "objects", h[:2], h[2:])
        try:
            return os.path.samefile(path, obj) and not os.stat(obj).st_mode & 0o111
        except OSError:
            return False

    def _check_verify(self, wi):
        """`whlc verify` of the whlc venv reports nothing about this distribution."""
        st = self.state()
        lines = [l for l in st["verify_whlc"]["out"].splitlines() if _VERIFY_LINE.match(l)]
        mine = [l for l in lines if _dist_matches(_VERIFY_LINE.match(l).group("dist"), wi)]
        return ["whlc verify: %s" % l for l in mine]

    # -- whole-group checks -----------------------------------------------------
    def check_group(self):
        """Stray files, `whlc verify` and `whlc list` on both venvs."""
        st = self.state()
        problems = []
        owned = set()
        for wi in self.info.values():
            owned |= set(self.owned(wi))
        baseline = oracle.fresh_baseline(self.python, self.root)
        sa = {k: v for k, v in oracle.snapshot(self.pip_venv, baseline).items()
              if k not in owned and k not in WHLC_ONLY_FILES}
        sb = {k: v for k, v in oracle.snapshot(self.whlc_venv, baseline).items()
              if k not in owned and k not in WHLC_ONLY_FILES}
        for rel in sorted(sa):
            problems.append("pip venv has %s, listed by no RECORD" % rel)
        for rel in sorted(sb):
            problems.append("whlc venv has %s, listed by no RECORD" % rel)
        # verify: the whlc venv is clean.
        v = st["verify_whlc"]
        if v["rc"] != 0:
            problems.append("whlc verify (whlc venv) exited %d:\n%s%s" % (v["rc"], v["out"],
                                                                         v["err"]))
        # verify: the pip venv is clean except for rows pip 23.2.1 writes for a .data script
        # it did not install (spec H.12: the launcher wins) - those files are really missing.
        want, may = expected_pip_verify(self.pip_venv)
        v = st["verify_pip"]
        got = set()
        for l in v["out"].splitlines():
            m = _VERIFY_LINE.match(l)
            if m:
                got.add((m.group("kind"), m.group("path") or ""))
        if not want <= got or not got <= want | may or v["rc"] != (1 if got else 0) \
                or v["err"].strip():
            problems.append("whlc verify (pip venv) exited %d, reported %s, expected %s "
                            "(tolerated: %s):\n%s%s" % (v["rc"], sorted(got), sorted(want),
                                                        sorted(may), v["out"], v["err"]))
        # list: every wheel with its installer.
        for tag, venv, installer in (("pip", self.pip_venv, "pip"),
                                     ("whlc", self.whlc_venv, "whlc")):
            r = st["list_" + tag]
            got = set()
            for l in r["out"].splitlines():
                m = _LIST_LINE.match(l.strip())
                if m:
                    got.add((wheelfab.normalize(m.group("name")), m.group("version"),
                             m.group("installer")))
            want = {(wi.key, wi.version, installer) for wi in self.info.values()}
            if r["rc"] != 0 or got != want:
                problems.append("whlc list (%s venv) exited %d; missing %s; unexpected %s:\n%s%s"
                                % (tag, r["rc"], sorted(want - got), sorted(got - want),
                                   r["out"], r["err"]))
        assert not problems, "group %s:\n%s" % (self.key, oracle.format_diffs(problems))

    def cleanup(self):
        """Remove both venvs (keeps disk use bounded across groups)."""
        if not os.environ.get("WHLC_FIDELITY_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)


def _plus_line(out, wi):
    """True if out has a '+ name==version' line for wi (names compared normalized)."""
    for l in out.splitlines():
        m = re.match(r"^\+ (\S+)==(\S+)$", l.strip())
        if m and wheelfab.normalize(m.group(1)) == wi.key and m.group(2) == wi.version:
            return True
    return False


def _dist_matches(label, wi):
    """True if a verify line's distribution label names wi ('name', 'name==ver', dist-info)."""
    s = label.strip()
    s = s[:-len(".dist-info")] if s.endswith(".dist-info") else s
    s = re.split(r"==| |-(?=\d)", s, 1)[0]
    return wheelfab.normalize(s) == wi.key


def _read(venv, rel):
    """Bytes of venv/rel."""
    with open(os.path.join(venv, rel), "rb") as f:
        return f.read()


def find_dist_info(venv, name, version):
    """Venv-relative path of the dist-info of (name, version) in venv's site dirs, or None."""
    key = wheelfab.normalize(name)
    for libdir in ("lib", "lib64"):
        base = os.path.join(venv, libdir)
        if not os.path.isdir(base) or os.path.islink(base):
            continue
        for pyd in sorted(os.listdir(base)):
            site = os.path.join(base, pyd, "site-packages")
            if not os.path.isdir(site):
                continue
            for d in sorted(os.listdir(site)):
                if not d.endswith(".dist-info"):
                    continue
                n, _, v = d[:-len(".dist-info")].rpartition("-")
                if wheelfab.normalize(n) == key and v == version:
                    return os.path.relpath(os.path.join(site, d), venv)
    return None


def record_rel_paths(venv, di):
    """Venv-relative paths a dist-info's RECORD lists (rows leaving the venv dropped)."""
    rec = os.path.join(venv, di, "RECORD")
    if not os.path.isfile(rec):
        return set()
    base = os.path.dirname(os.path.join(venv, di))
    out = set()
    with open(rec, "rb") as f:
        for row in oracle.parse_record(f.read()):
            p = os.path.relpath(os.path.normpath(os.path.join(base, row[0])), venv)
            if not p.startswith(".."):
                out.add(p)
    return out


def snap_paths(venv, rels):
    """oracle.snapshot restricted to the given venv-relative paths (those that exist)."""
    out = {}
    for rel in rels:
        full = os.path.join(venv, rel)
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            continue
        if os.path.islink(full):
            out[rel] = oracle.Entry(os.readlink(full), False, 0, True)
        elif os.path.isfile(full):
            out[rel] = oracle.Entry(oracle._sha256_file(full), bool(st.st_mode & 0o111),
                                    st.st_size, False)
    return out


def expected_pip_verify(venv):
    """(must, may) sets of (kind, RECORD path) `whlc verify` reports on a pip venv.

    must: ('missing', path) for pip RECORD rows naming files pip did not install (spec H.12,
    a .data script replaced by a launcher of the same name). may: ('hash differs' / 'size
    differs', path) for a path pip lists twice with different hashes (a .data script and then
    the launcher that overwrote it: the first row is stale); everything else must be clean."""
    want, may = set(), set()
    for libdir in ("lib", "lib64"):
        for site in sorted(_glob(os.path.join(venv, libdir, "python*", "site-packages"))):
            for d in sorted(os.listdir(site)):
                rec = os.path.join(site, d, "RECORD")
                if not d.endswith(".dist-info") or not os.path.isfile(rec):
                    continue
                seen = {}
                with open(rec, "rb") as f:
                    for row in oracle.parse_record(f.read()):
                        if not os.path.lexists(os.path.normpath(os.path.join(site, row[0]))):
                            want.add(("missing", row[0]))
                        if row[0] in seen and seen[row[0]] != row[1:]:
                            may |= {("hash differs", row[0]), ("size differs", row[0])}
                        seen[row[0]] = row[1:]
    return want, may


def _glob(pattern):
    import glob
    return [p for p in glob.glob(pattern) if not os.path.islink(os.path.dirname(
        os.path.dirname(p)))]


# ---------------------------------------------------------------------------
# Registering TAP cases

def register(name, fn, timeout=300):
    """Register fn as a TAP case called name."""
    import tap
    fn.__name__ = re.sub(r"[^A-Za-z0-9_.+-]", "_", name)
    tap.test(timeout=timeout)(fn)


def register_group(g, per_wheel=None, install_timeout=900, extra=None):
    """Cases for a group: install, one per wheel, then the whole-group checks.

    per_wheel: callable(label) -> kwargs for check_wheel. extra: {label: callable(g)} run
    after check_wheel for that wheel (fixture-specific behaviour)."""
    per_wheel = per_wheel or (lambda label: {})
    extra = extra or {}

    def install():
        st = g.install()
        w = st["whlc"]
        sys.stdout.write("# %s: pip %.1f s, whlc %.1f s (%d wheels)\n"
                         % (g.key, st["pip_seconds"], st["whlc_seconds"], len(g.labels)))
        assert w["rc"] == 0, "whlc install of %d wheels exited %d:\n%s%s" % (
            len(g.labels), w["rc"], w["out"][-3000:], w["err"][-3000:])
        m = _SUMMARY.search(w["out"])
        assert m and int(m.group(1)) == len(g.labels), \
            "summary should say 'Installed %d packages in X ms (MODE)':\n%s" % (len(g.labels),
                                                                               w["out"][-2000:])
    register("%s.install" % g.key, install, install_timeout)
    for lab in g.labels:
        def case(lab=lab):
            errs = []
            try:
                g.check_wheel(lab, **per_wheel(lab))
            except AssertionError as e:
                errs.append(str(e))
            if lab in extra:
                try:
                    extra[lab](g)
                except AssertionError as e:
                    errs.append(str(e))
            assert not errs, "\n".join(errs)
        register("%s.%s" % (g.key, lab), case)

    def group():
        try:
            g.check_group()
        finally:
            g.cleanup()
    register("%s.verify-list-stray" % g.key, group, 600)


def register_daemon_check(run):
    """Last case: the daemon stops cleanly and its logs hold no sanitizer report."""
    def daemon_stops_cleanly():
        sys.stdout.write("# total so far %.1f s\n" % (time.monotonic() - run.t0))
        for pid in run.daemon.pids():
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            sys.stdout.write("# whlcd %d used %.1f s CPU\n" % (pid, cpu))
        run.stop_daemon_and_check()
    register("daemon_stops_cleanly", daemon_stops_cleanly, 120)


def main(run):
    """Start the daemon, run the TAP cases, clean up."""
    import tap
    run.start()
    try:
        tap.main()
    finally:
        sys.stdout.write("# %s: %.1f s\n" % (os.path.basename(sys.argv[0]),
                                              time.monotonic() - run.t0))
        sys.stdout.flush()
        run.finish()
