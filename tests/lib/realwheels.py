"""realwheels.py: real wheels from this machine, and wheels rebuilt from installed distributions.

    import realwheels
    realwheels.bundled()                     # [path]: ensurepip, /usr/share/python-wheels, test data
    res = realwheels.repack_installed("/root/.pyenv/versions/3.11.7/bin/python", "/tmp/rw",
                                      limit=10)
    res.wheels                               # [path] of verified repacked wheels
    res.skipped                              # [(distribution, reason)]
    wheels, stats = realwheels.corpus("/tmp/corpus", min_wheels=90, min_files=25000)
    stats                                    # {'wheels': N, 'files': M, 'native_wheels': K, ...}

Repacking takes the files a distribution's RECORD lists: site-packages files keep their
archive path, bin/ scripts that are not entry-point launchers go to .data/scripts (a shebang
naming a python is turned back into '#!python'), headers to .data/headers, other files under
the prefix to .data/data. RECORD, INSTALLER, REQUESTED, direct_url.json and pycs are dropped
(an installer writes them). The original WHEEL is kept (its tags and Root-Is-Purelib); a
distribution without WHEEL gets Root-Is-Purelib false and the interpreter's platform tag when it
ships .so files. Results are cached under wheelfab.cache_dir('repack') keyed by RECORD contents
and file stats, so repeated runs are fast.
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
import subprocess
import zipfile

import wheelfab
from wheelfab import Member, b64hash

BUNDLED_GLOBS = (
    "/root/.pyenv/versions/*/lib/python*/ensurepip/_bundled/*.whl",
    "/usr/lib/python3*/ensurepip/_bundled/*.whl",
    "/usr/share/python-wheels/*.whl",
    "/root/.pyenv/versions/*/lib/python*/test/*.whl",
    "/root/.pyenv/versions/*/lib/python*/test/wheeldata/*.whl",
    "/root/.pyenv/versions/*/lib/python*/test/test_importlib/data/*.whl",
    "/root/.pyenv/versions/*/lib/python*/test/test_importlib/metadata/data/*.whl",
    "/usr/lib/google-cloud-sdk/platform/bundledpythonunix/lib/python*/ensurepip/_bundled/*.whl",
    "/opt/wheels/*.whl",
)

RepackResult = collections.namedtuple("RepackResult", "wheels skipped")

_GENERATED = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "RECORD.jws", "RECORD.p7s")


def _sha256(path):
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bundled(extra_globs=()):
    """Real wheel files on this machine, deduplicated by sha256, sorted by file name."""
    seen, out = set(), []
    for pattern in tuple(BUNDLED_GLOBS) + tuple(extra_globs):
        for p in sorted(glob.glob(pattern)):
            if not zipfile.is_zipfile(p):
                continue
            h = _sha256(p)
            if h not in seen:
                seen.add(h)
                out.append(p)
    out.sort(key=lambda p: (os.path.basename(p), p))
    return out


_PROBE = r"""
import json, sys, sysconfig, os
try:
    import importlib.metadata as md
except ImportError:
    md = None
res = {"paths": sysconfig.get_paths(), "prefix": sys.prefix,
       "version": list(sys.version_info[:2]),
       "platform": sysconfig.get_platform().replace("-", "_").replace(".", "_"),
       "dists": []}
seen = set()
for d in (md.distributions() if md else []):
    path = getattr(d, "_path", None)
    if path is None or not str(path).endswith(".dist-info") or str(path) in seen:
        continue
    seen.add(str(path))
    eps = []
    try:
        eps = [e.name for e in d.entry_points if e.group in ("console_scripts", "gui_scripts")]
    except Exception:
        pass
    res["dists"].append({"name": d.metadata["Name"], "version": d.version,
                         "dist_info": str(path), "entry_points": eps})
print(json.dumps(res))
"""


def _probe(python):
    """Interpreter paths and installed dist-info distributions of python."""
    out = subprocess.run([python, "-I", "-c", _PROBE], check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)


def _within(path, root):
    """path relative to root ('/'-separated), or None when outside (segment-wise check)."""
    rel = os.path.relpath(path, root)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel.replace(os.sep, "/")


_PY_SHEBANG = re.compile(rb"^#!\S*python[0-9.]*w?(\s.*)?$")


def _unrewrite(data):
    """Turn a rewritten '#!/path/to/python' (or the /bin/sh trick) back into '#!python'."""
    if data.startswith(b"#!/bin/sh\n'''exec' "):
        lines = data.split(b"\n", 3)
        return b"#!python\n" + (lines[3] if len(lines) > 3 else b"")
    nl = data.find(b"\n")
    first = data[: nl if nl >= 0 else len(data)].rstrip(b"\r")
    if _PY_SHEBANG.match(first) and not first.startswith(b"#!/usr/bin/env"):
        return b"#!python\n" + (data[nl + 1:] if nl >= 0 else b"")
    return data


def _compress_tags(tags):
    """'py2-none-any','py3-none-any' -> 'py2.py3-none-any' when they form a product."""
    parts = [t.split("-") for t in tags]
    if not parts or any(len(p) != 3 for p in parts):
        return None
    sets = [list(dict.fromkeys(p[i] for p in parts)) for i in range(3)]
    if len(sets[0]) * len(sets[1]) * len(sets[2]) != len(set(tags)):
        return parts and "-".join(parts[0])
    return "-".join(".".join(s) for s in sets)


def _parse_wheel(data):
    """(tags, root_is_purelib, build) from WHEEL bytes."""
    tags, purelib, build = [], True, None
    for line in data.decode("utf-8", "replace").splitlines():
        k, _, v = line.partition(":")
        k, v = k.strip().lower(), v.strip()
        if k == "tag":
            tags.append(v)
        elif k == "root-is-purelib":
            purelib = v.lower() == "true"
        elif k == "build":
            build = v
    return tags, purelib, build


def _plan(info, dist):
    """[(archive path, source file, exec)] for dist, or a string saying why it cannot be packed."""
    di = dist["dist_info"]
    base = os.path.dirname(di)
    rec = os.path.join(di, "RECORD")
    if not os.path.isfile(rec):
        return "no RECORD"
    with open(rec, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    paths = info["paths"]
    di_name = os.path.basename(di)
    datadir = di_name[: -len(".dist-info")] + ".data"
    eps = set(dist["entry_points"])
    plan = []
    for row in rows:
        full = os.path.normpath(os.path.join(base, row[0]))
        parts = full.split(os.sep)
        if "__pycache__" in parts or full.endswith((".pyc", ".pyo")):
            continue
        rel = _within(full, base)
        if rel is not None and rel.startswith(di_name + "/") and \
                rel[len(di_name) + 1:] in _GENERATED:
            continue
        if not os.path.lexists(full):
            return "RECORD lists a missing file: %s" % row[0]
        if os.path.islink(full) or not os.path.isfile(full):
            return "not a regular file: %s" % row[0]
        scripts = _within(full, paths["scripts"])
        if rel is None and scripts is not None:
            if scripts in eps or "/" in scripts:
                continue  # a launcher the installer generates
            plan.append(("%s/scripts/%s" % (datadir, scripts), full, "script"))
            continue
        if rel is not None:
            plan.append((rel, full, None))
            continue
        hdr = None
        for key in ("include", "platinclude"):
            root = paths.get(key)
            if root and _within(full, root) is not None:
                hdr = _within(full, root)
                break
        if hdr is not None and "/" in hdr:
            # include/site/pythonX.Y/<name>/x.h or include/pythonX.Y/<name>/x.h
            plan.append(("%s/headers/%s" % (datadir, hdr.split("/", 1)[1]), full, None))
            continue
        data = _within(full, paths.get("data", info["prefix"]))
        if data is not None:
            plan.append(("%s/data/%s" % (datadir, data), full, None))
            continue
        return "file outside the prefix: %s" % row[0]
    return plan


def _cache_key(info, dist, plan):
    """Content key for a repack: RECORD bytes, WHEEL bytes, and the files' stats."""
    h = hashlib.sha256(repr((info["version"], info["platform"], dist["dist_info"], 3)).encode())
    with open(os.path.join(dist["dist_info"], "RECORD"), "rb") as f:
        h.update(f.read())
    for arc, src, _ in plan:
        st = os.stat(src)
        h.update(("%s\0%d\0%d\0%o\n" % (arc, st.st_size, st.st_mtime_ns, st.st_mode)).encode())
    return h.hexdigest()[:24]


def _build(info, dist, plan, outdir):
    """Write the wheel for dist from plan into outdir; returns its path."""
    di_name = os.path.basename(dist["dist_info"])
    members, has_so, wheel_bytes = [], False, None
    for arc, src, kind in plan:
        with open(src, "rb") as f:
            data = f.read()
        mode = 0o755 if os.stat(src).st_mode & 0o111 else 0o644
        if kind == "script":
            data = _unrewrite(data)
        if arc == di_name + "/WHEEL":
            wheel_bytes = data
        if re.search(r"\.so(\.|$)", arc):
            has_so = True
        members.append(Member(arc, data, mode))
    if wheel_bytes is not None:
        tags, purelib, build = _parse_wheel(wheel_bytes)
        tag = _compress_tags(tags)
    else:
        tag, build = None, None
    if tag is None:
        xy = "%d%d" % tuple(info["version"])
        tag = "cp%s-cp%s-%s" % (xy, xy, info["platform"]) if has_so else "py3-none-any"
        purelib = not has_so
        members.append(Member(di_name + "/WHEEL", wheelfab.wheel_text(tag, purelib)))
    # dist-info last, RECORD at the very end, as build backends write them.
    members.sort(key=lambda m: (m.name.startswith(di_name + "/"), m.name))
    rec = di_name + "/RECORD"
    members.append(Member(rec, wheelfab.record_for(members, rec)))
    fname = "%s%s-%s.whl" % (di_name[: -len(".dist-info")], "-" + build if build else "", tag)
    path = wheelfab.write_members(os.path.join(outdir, fname), members)
    verify(path)
    return path


def verify(path):
    """Check a wheel's zip CRCs and that RECORD lists every member with the right hash/size."""
    with zipfile.ZipFile(path) as zf:
        bad = zf.testzip()
        if bad:
            raise ValueError("%s: CRC error in %s" % (path, bad))
        names = zf.namelist()
        recs = [n for n in names if n.endswith(".dist-info/RECORD") and n.count("/") == 1]
        if len(recs) != 1:
            raise ValueError("%s: expected one RECORD, found %r" % (path, recs))
        rows = {r[0]: r for r in csv.reader(io.StringIO(zf.read(recs[0]).decode())) if r}
        for n in names:
            if n == recs[0] or n.endswith("/"):
                continue
            data = zf.read(n)
            r = rows.pop(n, None)
            if r is None or r[1] != b64hash(data) or r[2] != str(len(data)):
                raise ValueError("%s: RECORD row for %s is %r" % (path, n, r))
        rows.pop(recs[0], None)
        if rows:
            raise ValueError("%s: RECORD rows without member: %r" % (path, sorted(rows)[:5]))


def repack_installed(python, outdir, limit=None, names=None):
    """Rebuild wheels from python's installed distributions into outdir; RepackResult."""
    info = _probe(python)
    os.makedirs(outdir, exist_ok=True)
    wheels, skipped = [], []
    want = {wheelfab.normalize(n) for n in names} if names else None
    for dist in sorted(info["dists"], key=lambda d: wheelfab.normalize(d["name"] or "")):
        if limit is not None and len(wheels) >= limit:
            break
        label = "%s %s" % (dist["name"], dist["version"])
        if want is not None and wheelfab.normalize(dist["name"] or "") not in want:
            continue
        plan = _plan(info, dist)
        if isinstance(plan, str):
            skipped.append((label, plan))
            continue
        cached = os.path.join(wheelfab.cache_dir("repack"), _cache_key(info, dist, plan))
        if not os.path.isdir(cached):
            tmp = cached + ".tmp%d" % os.getpid()
            os.makedirs(tmp, exist_ok=True)
            try:
                _build(info, dist, plan, tmp)
                try:
                    os.rename(tmp, cached)
                except OSError:
                    if not os.path.isdir(cached):
                        raise  # not a concurrent publication of the same repack
            except (OSError, ValueError, UnicodeDecodeError) as e:
                skipped.append((label, "repack failed: %s" % e))
                continue
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        (whl,) = os.listdir(cached)
        dst = os.path.join(outdir, whl)
        if not os.path.exists(dst):
            try:
                os.link(os.path.join(cached, whl), dst)
            except OSError:
                shutil.copyfile(os.path.join(cached, whl), dst)
        wheels.append(dst)
    return RepackResult(wheels, skipped)


def count_files(wheels):
    """(total members that are files, wheels containing a .so) over wheels."""
    files, native = 0, 0
    for w in wheels:
        with zipfile.ZipFile(w) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
        files += len(names)
        native += any(re.search(r"\.so(\.|$)", n) for n in names)
    return files, native


def corpus(outdir, min_wheels=90, min_files=25000, pythons=None):
    """The benchmark corpus: bundled wheels plus repacks from every Python; (wheels, stats).

    Wheels are linked/copied into outdir; one wheel per file name (the first found wins).
    stats has wheels, files, native_wheels, bytes, met (both minimums reached), skipped.
    """
    import oracle
    os.makedirs(outdir, exist_ok=True)
    by_name = {}
    for p in bundled():
        by_name.setdefault(os.path.basename(p), p)
    skipped = []
    for py in pythons or [p.path for p in oracle.pythons()]:
        res = repack_installed(py, os.path.join(outdir, ".repack"))
        skipped += res.skipped
        for p in res.wheels:
            by_name.setdefault(os.path.basename(p), p)
    wheels = []
    for name, src in sorted(by_name.items()):
        dst = os.path.join(outdir, name)
        if not os.path.exists(dst):
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        wheels.append(dst)
    files, native = count_files(wheels)
    stats = {"wheels": len(wheels), "files": files, "native_wheels": native,
             "bytes": sum(os.path.getsize(w) for w in wheels), "skipped": skipped,
             "met": len(wheels) >= min_wheels and files >= min_files}
    return wheels, stats


if __name__ == "__main__":
    import sys
    ws, st = corpus(sys.argv[1])
    print(json.dumps({k: v for k, v in st.items() if k != "skipped"}))
    for s in st["skipped"]:
        print("skipped:", s)
