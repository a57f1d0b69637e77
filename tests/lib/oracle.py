"""oracle.py: pip as the fidelity oracle, venv snapshots and readable comparisons.

    import oracle
    py = oracle.pythons()[0]                      # Python(path, version) objects
    base = oracle.make_venv(py.path, "/tmp/t/pip")
    oracle.pip_install("/tmp/t/pip", [whl])       # pip 23.2.1 --no-deps --no-index --no-compile
    oracle.make_venv(py.path, "/tmp/t/whlc"); <whlc install into /tmp/t/whlc>
    diffs = oracle.compare_venvs("/tmp/t/pip", "/tmp/t/whlc")
    assert not diffs, oracle.format_diffs(diffs)

Lower level: snapshot(venv, baseline=None) -> {relpath: Entry(sha256, exec_bit, size, is_symlink)},
compare(pip_snap, whlc_snap, generated=..., pip_venv=..., whlc_venv=...) -> [str].
Paths are relative to the venv root and always '/'-separated. The two venvs may live at
different paths: files whose content mentions the venv path (rewritten scripts, launchers,
direct_url.json) are compared with each venv's root replaced by '<VENV>'.
"""
import collections
import csv
import glob
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys

PIP_PYTHON = "/root/.pyenv/versions/3.11.7/bin/python"
PIP_ARGS = ["-m", "pip", "--isolated", "--disable-pip-version-check", "install", "--no-deps",
            "--no-index", "--no-compile", "--no-cache-dir"]

Python = collections.namedtuple("Python", "path version")
Entry = collections.namedtuple("Entry", "sha256 exec_bit size is_symlink")

# Files venv creation writes with the venv's name or path inside; ignored when in the baseline.
VENV_OWN = ("pyvenv.cfg", "bin/activate", "bin/activate.csh", "bin/activate.fish",
            "bin/Activate.ps1")

# dist-info files written by the installer rather than taken from the wheel.
GENERATED_DIST_INFO = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


def pythons(min_version=(3, 8), max_version=(3, 13)):
    """Available CPythons (pyenv 3.8-3.13 and Debian's python3), sorted by version."""
    cands = sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python")) + ["/usr/bin/python3"]
    out, seen = [], set()
    for p in cands:
        if not os.access(p, os.X_OK):
            continue
        try:
            r = subprocess.run([p, "-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode:
            continue
        v = tuple(int(x) for x in r.stdout.decode().strip().split("."))
        real = os.path.realpath(p)
        if min_version <= v[:2] <= max_version and real not in seen:
            seen.add(real)
            out.append(Python(p, v))
    out.sort(key=lambda x: (x.version, x.path))
    return out


def make_venv(python, path, clear=True):
    """Create a venv at path with python, without pip; returns path."""
    if clear and os.path.lexists(path):
        shutil.rmtree(path)
    subprocess.run([python, "-I", "-m", "venv", "--without-pip", path], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return path


def venv_python(venv):
    """The venv's interpreter path."""
    return os.path.join(venv, "bin", "python")


def pip_install(venv, wheels, extra_args=(), check=True):
    """Install wheels into venv with the oracle pip; returns the CompletedProcess.

    Raises RuntimeError with pip's output when check is set and pip fails.
    """
    cmd = [PIP_PYTHON] + PIP_ARGS[:2] + ["--python", venv_python(venv)] + PIP_ARGS[2:]
    cmd += list(extra_args) + [os.path.abspath(w) for w in wheels]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    if check and r.returncode:
        raise RuntimeError("pip install failed (%d): %s\n%s"
                           % (r.returncode, " ".join(cmd), r.stdout.decode(errors="replace")))
    return r


def _sha256_file(path):
    """Hex SHA-256 of a file's contents."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def snapshot(venv, baseline=None, skip_pycache=True):
    """{relpath: Entry} for every file and symlink under venv.

    baseline: from baseline_of() on a freshly created venv (of the same Python, any path);
    files whose content, with the venv root normalized, equals the baseline's are dropped,
    so what remains is what an install added or changed. __pycache__ is skipped by default.
    """
    snap = {}
    for root, dirs, files in os.walk(venv):
        if skip_pycache:
            dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, venv).replace(os.sep, "/")
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = Entry(os.readlink(full), False, 0, True)
            elif stat.S_ISREG(st.st_mode):
                snap[rel] = Entry(_sha256_file(full), bool(st.st_mode & 0o111), st.st_size, False)
    if baseline:
        for rel in [r for r in snap if r in baseline]:
            if rel in VENV_OWN:
                del snap[rel]  # embeds the venv's name: its content is venv creation's business
                continue
            e = snap[rel]
            if not e.is_symlink:
                norm = hashlib.sha256(_normalized_bytes(os.path.join(venv, rel), venv)).hexdigest()
                e = e._replace(sha256=norm)
            if baseline[rel] == e._replace(size=baseline[rel].size):
                del snap[rel]
    return snap


def baseline_of(venv):
    """Snapshot of venv with venv-root-normalized hashes, for snapshot(..., baseline=)."""
    out = {}
    for rel, e in snapshot(venv).items():
        if not e.is_symlink:
            norm = hashlib.sha256(_normalized_bytes(os.path.join(venv, rel), venv)).hexdigest()
            e = e._replace(sha256=norm)
        out[rel] = e
    return out


def fresh_baseline(python, workdir):
    """Baseline of a fresh venv made by python (what venv creation itself writes)."""
    path = make_venv(python, os.path.join(workdir, "baseline-venv"))
    snap = baseline_of(path)
    shutil.rmtree(path)
    return snap


def parse_record(data):
    """RECORD bytes -> list of [path, hash, size] rows (csv, LF or CRLF)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return [row for row in csv.reader(io.StringIO(text)) if row]


def record_paths(venv, snap, existing_only=False):
    """{dist-info dir: set of venv-relative paths its RECORD lists}.

    existing_only drops rows naming files that do not exist: pip 23.2.1 lists the
    `.data/scripts/X` path of a script it skipped because an entry point X replaces it.
    """
    out = {}
    for rel in snap:
        if rel.endswith(".dist-info/RECORD") and rel.count("/") >= 1:
            di = rel.rsplit("/", 1)[0]
            base = os.path.dirname(os.path.join(venv, di))
            with open(os.path.join(venv, rel), "rb") as f:
                rows = parse_record(f.read())
            paths = set()
            for row in rows:
                p = os.path.normpath(os.path.join(base, row[0]))
                if existing_only and not os.path.lexists(p):
                    continue
                paths.add(os.path.relpath(p, venv).replace(os.sep, "/"))
            out[di] = paths
    return out


def is_generated(rel, snap=None):
    """True for files an installer writes itself: launchers, rewritten scripts, RECORD & co."""
    if "/" in rel and rel.rsplit("/", 1)[0].endswith(".dist-info"):
        return rel.rsplit("/", 1)[1] in GENERATED_DIST_INFO
    return rel.startswith("bin/")


def _normalized_bytes(path, venv):
    """File bytes with the venv root (and its realpath) replaced by <VENV>."""
    with open(path, "rb") as f:
        data = f.read()
    for root in {os.path.abspath(venv), os.path.realpath(venv)}:
        data = data.replace(root.encode(), b"<VENV>")
    return data


def _direct_url_norm(data):
    """direct_url.json with the url's directory dropped (the wheels may sit in different dirs)."""
    try:
        d = json.loads(data)
    except ValueError:
        return data
    if isinstance(d, dict) and "url" in d:
        d["url"] = os.path.basename(d["url"])
    return json.dumps(d, sort_keys=True).encode()


def compare(pip_snap, whlc_snap, generated=is_generated, pip_venv=None, whlc_venv=None,
            check_records=True, strict_whlc_record=True):
    """Differences between a pip-installed and a whlc-installed snapshot, as readable lines.

    - the file sets must be equal;
    - non-generated files must have the same bytes; generated ones (generated(rel) is True)
      are compared after replacing each venv's root by <VENV> when both venvs are given;
    - exec bits must be equal, symlinks must match;
    - each RECORD must list the same set of paths (when both venvs are given), except rows
      of pip's RECORD naming files pip did not install (a pip 23.2.1 quirk, see record_paths;
      strict_whlc_record=False forgives the same rows on the second side too);
    An empty list means identical.
    """
    diffs = []
    only_pip = sorted(set(pip_snap) - set(whlc_snap))
    only_whlc = sorted(set(whlc_snap) - set(pip_snap))
    diffs += ["missing (pip has it, whlc does not): %s" % p for p in only_pip]
    diffs += ["extra (whlc has it, pip does not): %s" % p for p in only_whlc]
    for rel in sorted(set(pip_snap) & set(whlc_snap)):
        a, b = pip_snap[rel], whlc_snap[rel]
        if a.is_symlink != b.is_symlink:
            diffs.append("%s: symlink in one venv only (pip %s, whlc %s)" % (rel, a.is_symlink,
                                                                             b.is_symlink))
            continue
        if a.exec_bit != b.exec_bit:
            diffs.append("%s: exec bit pip=%s whlc=%s" % (rel, a.exec_bit, b.exec_bit))
        if a.sha256 == b.sha256:
            continue
        if generated(rel) and pip_venv and whlc_venv:
            da = _normalized_bytes(os.path.join(pip_venv, rel), pip_venv)
            db = _normalized_bytes(os.path.join(whlc_venv, rel), whlc_venv)
            name = rel.rsplit("/", 1)[-1]
            if name == "direct_url.json":
                da, db = _direct_url_norm(da), _direct_url_norm(db)
            if name == "RECORD":
                continue  # compared as path sets below; hashes of generated files differ
            if name == "INSTALLER":
                continue  # pip writes 'pip', whlc 'whlc'
            if da != db:
                diffs.append("%s: generated file differs (venv paths normalized):\n%s"
                             % (rel, _short_diff(da, db)))
        elif generated(rel):
            continue
        else:
            diffs.append("%s: content differs (pip sha256 %s size %d, whlc sha256 %s size %d)"
                         % (rel, a.sha256[:16], a.size, b.sha256[:16], b.size))
    if check_records and pip_venv and whlc_venv:
        ra = record_paths(pip_venv, pip_snap, existing_only=True)
        rb = record_paths(whlc_venv, whlc_snap, existing_only=not strict_whlc_record)
        for di in sorted(set(ra) & set(rb)):
            for p in sorted(ra[di] - rb[di]):
                diffs.append("%s/RECORD: pip lists %s, whlc does not" % (di, p))
            for p in sorted(rb[di] - ra[di]):
                diffs.append("%s/RECORD: whlc lists %s, pip does not" % (di, p))
    return diffs


def _short_diff(a, b):
    """A compact unified diff of two byte strings."""
    import difflib
    la = a.decode("utf-8", "replace").splitlines()
    lb = b.decode("utf-8", "replace").splitlines()
    return "\n".join(list(difflib.unified_diff(la, lb, "pip", "whlc", lineterm=""))[:40])


def launcher_target(path):
    """(module, attr) a pip-style launcher imports and calls, or None if it is not one."""
    with open(path, "rb") as f:
        text = f.read(4096).decode("utf-8", "replace")
    m = re.search(r"^from (\S+) import (\S+)$", text, re.M)
    c = re.search(r"sys\.exit\((.+)\(\)\)", text)
    if not m or not c:
        return None
    return m.group(1), c.group(1)


def compare_launchers(pip_venv, whlc_venv, names=None, args=()):
    """Run each bin/ launcher of both venvs (names: all pip launchers by default) and compare.

    Returns readable differences: target callable, exit status and stdout (venv paths
    normalized) must agree.
    """
    diffs = []
    bindir_a, bindir_b = os.path.join(pip_venv, "bin"), os.path.join(whlc_venv, "bin")
    if names is None:
        names = [n for n in sorted(os.listdir(bindir_a))
                 if launcher_target(os.path.join(bindir_a, n)) is not None]
    for n in names:
        pa, pb = os.path.join(bindir_a, n), os.path.join(bindir_b, n)
        if not os.path.exists(pb):
            diffs.append("launcher %s: missing in whlc venv" % n)
            continue
        ta, tb = launcher_target(pa), launcher_target(pb)
        if ta != tb:
            diffs.append("launcher %s: pip calls %s, whlc calls %s" % (n, ta, tb))
        ra = _run(pa, args, pip_venv)
        rb = _run(pb, args, whlc_venv)
        if ra != rb:
            diffs.append("launcher %s: run differs: pip %r, whlc %r" % (n, ra, rb))
    return diffs


def _run(path, args, venv):
    """(exit status, normalized output) of running path."""
    try:
        r = subprocess.run([path] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60, env=dict(os.environ, DISPLAY=""))
    except subprocess.TimeoutExpired:
        return ("timeout", b"")
    out = r.stdout
    for root in {os.path.abspath(venv), os.path.realpath(venv)}:
        out = out.replace(root.encode(), b"<VENV>")
    return (r.returncode, out)


def compare_venvs(pip_venv, whlc_venv, baseline=None, run_launchers=True,
                  strict_whlc_record=True):
    """Snapshot both venvs and compare them; returns readable differences (empty: same).

    baseline: fresh_baseline() of the venvs' Python; by default the files of pip_venv's own
    creation are recognised by making a fresh venv with the same interpreter.
    """
    if baseline is None:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            cfg = _pyvenv_cfg(pip_venv)
            baseline = fresh_baseline(cfg, tmp)
    sa = snapshot(pip_venv, baseline)
    sb = snapshot(whlc_venv, baseline)
    diffs = compare(sa, sb, pip_venv=pip_venv, whlc_venv=whlc_venv,
                    strict_whlc_record=strict_whlc_record)
    if run_launchers:
        diffs += compare_launchers(pip_venv, whlc_venv)
    return diffs


def _pyvenv_cfg(venv):
    """The base interpreter a venv was made from (pyvenv.cfg 'executable', else 'home')."""
    conf = {}
    with open(os.path.join(venv, "pyvenv.cfg")) as f:
        for line in f:
            k, _, v = line.partition("=")
            conf[k.strip()] = v.strip()
    if "executable" in conf:
        return conf["executable"]
    home = conf["home"]
    for n in ("python3", "python"):
        if os.path.exists(os.path.join(home, n)):
            return os.path.join(home, n)
    raise RuntimeError("cannot find the base interpreter of %s" % venv)


def format_diffs(diffs, limit=60):
    """Join differences for an assertion message."""
    lines = list(diffs[:limit])
    if len(diffs) > limit:
        lines.append("... and %d more" % (len(diffs) - limit))
    return "%d difference(s):\n  " % len(diffs) + "\n  ".join(lines)


if __name__ == "__main__":
    for p in pythons():
        print(p.path, ".".join(map(str, p.version)))
    if len(sys.argv) == 3:
        print(format_diffs(compare_venvs(sys.argv[1], sys.argv[2])))
