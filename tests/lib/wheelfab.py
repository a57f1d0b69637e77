"""wheelfab.py: build test wheels the way real build backends do (standard library only).

Pure wheels:

    import wheelfab
    path = wheelfab.build_wheel("/tmp/out", "demo", "1.0",
                                {"demo/__init__.py": b"X = 1\\n",
                                 "demo/tool.sh": (b"#!/bin/sh\\n", 0o755)},
                                entry_points={"console_scripts": {"demo": "demo:main"}},
                                data={"scripts/run": (b"#!python\\nprint(1)\\n", 0o755)})

Compiled extensions (real C compiled against the interpreter's headers, cached by content):

    path = wheelfab.build_ext_wheel("/tmp/out", "/usr/bin/python3", "extdemo", "1.0", "vendored")
    wheelfab.ext_expected("extdemo", "vendored")   # what extdemo.value() returns once installed

The whole fixture set (every spec rule that a good wheel can exercise):

    for label, path in wheelfab.fixture_corpus("/tmp/out", "/usr/bin/python3"): ...

Lower level, for hostile.py and custom cases: Member, write_members(), record_for(),
wheel_text(), metadata_text(), normalize(), escape_name(), expand_tags().
"""
import base64
import csv
import hashlib
import io
import itertools
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from zipfile import ZIP_DEFLATED, ZIP_STORED

__all__ = [
    "Member", "build_wheel", "build_ext_wheel", "ext_expected", "fixture_corpus",
    "pure_variants", "whlc_only_variants", "normalize", "escape_name", "expand_tags", "record_for",
    "write_members", "cache_dir", "python_info", "ZIP_DEFLATED", "ZIP_STORED",
]

# Fixed timestamp: the same inputs always give the same bytes (content caching, reproducibility).
DATE_TIME = (2020, 2, 2, 0, 0, 0)
GENERATOR = "wheelfab 1.0 (whlc tests)"


def normalize(name):
    """PEP 503 normalization: lowercase, runs of -_. become one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def escape_name(name):
    """The distribution name as modern tools write it in file and dist-info names."""
    return re.sub(r"[-_.]+", "_", name).lower()


def expand_tags(tag):
    """'py2.py3-none-any' -> ['py2-none-any', 'py3-none-any'] (product of the three sets)."""
    py, abi, plat = tag.split("-")
    return ["-".join(t) for t in itertools.product(py.split("."), abi.split("."), plat.split("."))]


def cache_dir(sub=""):
    """The test cache directory ($WHLC_TEST_CACHE or /tmp/whlc-test-cache), created on demand."""
    d = os.path.join(os.environ.get("WHLC_TEST_CACHE") or "/tmp/whlc-test-cache", sub)
    os.makedirs(d, exist_ok=True)
    return d


def b64hash(data, algo="sha256"):
    """RECORD hash field: algo=urlsafe-b64-without-padding."""
    h = hashlib.new(algo, data).digest()
    return "%s=%s" % (algo, base64.urlsafe_b64encode(h).rstrip(b"=").decode("ascii"))


class Member:
    """One archive member as it will be written.

    mode: Unix permission bits (0o644, 0o755...) or None for a Windows-built entry
    (create_system 0, external_attr 0). ftype: stat file type bits (S_IFREG by default).
    """

    def __init__(self, name, data, mode=0o644, compression=ZIP_DEFLATED, ftype=stat.S_IFREG):
        self.name = name
        self.data = data
        self.mode = mode
        self.compression = compression
        self.ftype = ftype

    def zipinfo(self):
        """A ZipInfo carrying this member's name, modes and compression."""
        zi = zipfile.ZipInfo(self.name, DATE_TIME)
        zi.compress_type = self.compression
        if self.mode is None:
            zi.create_system = 0
            zi.external_attr = 0
        else:
            zi.create_system = 3
            zi.external_attr = ((self.ftype | self.mode) & 0xFFFF) << 16
        return zi


def write_members(path, members):
    """Write members (in order) into a zip at path with zipfile; returns path."""
    tmp = path + ".tmp%d" % os.getpid()
    with zipfile.ZipFile(tmp, "w") as zf:
        for m in members:
            zi = m.zipinfo()
            zf.writestr(zi, m.data)
            # zipfile turns external_attr 0 into 0o600 << 16; the central directory is
            # written at close, so restore what a Windows tool writes.
            zi.external_attr = m.zipinfo().external_attr
    os.replace(tmp, path)
    return path


def record_for(members, record_name, algo="sha256"):
    """RECORD text (CSV, csv module quoting) for members, with RECORD's own row 'path,,'."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for m in members:
        if m.name.endswith("/") or m.name == record_name:
            continue
        w.writerow([m.name, b64hash(m.data, algo), str(len(m.data))])
    w.writerow([record_name, "", ""])
    return out.getvalue().encode("utf-8")


def metadata_text(name, version, extra=""):
    """A minimal METADATA (Metadata-Version 2.1)."""
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: whlc test fixture\n%s\n"
            % (name, version, extra)).encode("utf-8")


def wheel_text(tag, root_is_purelib=True, build=None, wheel_version="1.0", extra=""):
    """WHEEL file text with one Tag line per expanded tag."""
    lines = ["Wheel-Version: %s" % wheel_version, "Generator: %s" % GENERATOR,
             "Root-Is-Purelib: %s" % ("true" if root_is_purelib else "false")]
    lines += ["Tag: %s" % t for t in expand_tags(tag)]
    if build is not None:
        lines.append("Build: %s" % build)
    return ("\n".join(lines) + "\n" + extra + "\n").encode("utf-8")


def entry_points_text(entry_points):
    """entry_points.txt (INI) from {group: {name: 'mod:attr'}}."""
    parts = []
    for group, entries in entry_points.items():
        parts.append("[%s]\n" % group)
        parts += ["%s = %s\n" % (k, v) for k, v in entries.items()]
        parts.append("\n")
    return "".join(parts).encode("utf-8")


def _split(value, default_mode):
    """bytes, (bytes, mode) or (bytes, mode, ftype) -> (bytes, mode, ftype)."""
    if isinstance(value, tuple):
        return value[0], value[1], value[2] if len(value) > 2 else stat.S_IFREG
    return value, default_mode, stat.S_IFREG


def build_wheel(outdir, name, version, files, *, tag="py3-none-any", build=None,
                root_is_purelib=True, entry_points=None, data=None, metadata_extra="",
                wheel_extra="", dist_info_files=None, modes=None, compression=ZIP_DEFLATED,
                record=True, dist_info_name=None, filename=None, wheel_version="1.0",
                windows=False, metadata_name=None, stored=(), record_algo="sha256"):
    """Build a wheel in outdir and return its path.

    files: archive path -> bytes, (bytes, mode) or (bytes, mode, stat file type bits; 0 gives
    mode bits without S_IFREG, which do not make a file executable). data: '<key>/<path>' under the .data
    directory -> bytes or (bytes, mode). entry_points: {group: {name: 'mod:attr'}}.
    dist_info_files: extra dist-info files ('licenses/LICENSE' -> bytes). modes: archive
    path -> mode overrides. record: True writes a correct RECORD, False omits it, bytes are
    written as RECORD verbatim. dist_info_name: e.g. 'Foo.Bar-1.0' to write a non-normalized
    dist-info (the file name follows unless filename is given). windows: no Unix modes.
    stored: archive paths written with ZIP_STORED. record_algo: RECORD hash (sha256, sha512...).
    """
    esc = escape_name(name)
    base = dist_info_name or "%s-%s" % (esc, version)
    di = base + ".dist-info"
    datadir = base.rsplit("-", 1)[0] + "-" + version + ".data"
    if filename is None:
        filename = "%s%s-%s.whl" % (base, "-" + build if build else "", tag)
    modes = dict(modes or {})

    def member(path, value):
        body, mode, ftype = _split(value, 0o644)
        mode = modes.get(path, mode)
        comp = ZIP_STORED if path in stored else compression
        return Member(path, body, None if windows else mode, comp, ftype)

    members = [member(p, v) for p, v in files.items()]
    for p, v in (data or {}).items():
        members.append(member("%s/%s" % (datadir, p), v))
    meta = [("METADATA", metadata_text(metadata_name or name, version, metadata_extra)),
            ("WHEEL", wheel_text(tag, root_is_purelib, build, wheel_version, wheel_extra))]
    if entry_points:
        meta.append(("entry_points.txt", entry_points_text(entry_points)))
    for p, v in (dist_info_files or {}).items():
        meta.append((p, v))
    members += [member("%s/%s" % (di, p), v) for p, v in meta]
    rec = "%s/RECORD" % di
    if record is True:
        members.append(member(rec, record_for(members, rec, record_algo)))
    elif record:
        members.append(member(rec, record))
    os.makedirs(outdir, exist_ok=True)
    return write_members(os.path.join(outdir, filename), members)


# ---------------------------------------------------------------------------
# Compiled extensions

EXT_KINDS = ("simple", "abi3", "vendored", "missing")

_EXT_C = r"""
#include <Python.h>
%(decl)s
static PyObject *value(PyObject *self, PyObject *args)
{
	(void)self; (void)args;
	%(body)s
}
static PyMethodDef methods[] = {{"value", value, METH_NOARGS, "known value"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "%(modname)s", NULL, -1, methods,
				 NULL, NULL, NULL, NULL};
PyMODINIT_FUNC PyInit_%(modname)s(void) { return PyModule_Create(&mod); }
"""

_LIB_C = r"""
int %(sym)s(void) { return %(val)d; }
"""


def python_info(python):
    """Facts about an interpreter: version tuple, INCLUDEPY, EXT_SUFFIX, platlibdir, cache tag."""
    code = ("import sys, sysconfig, json; print(json.dumps({'version': list(sys.version_info[:3]),"
            "'include': sysconfig.get_config_var('INCLUDEPY'),"
            "'ext_suffix': sysconfig.get_config_var('EXT_SUFFIX'),"
            "'platlibdir': getattr(sys, 'platlibdir', 'lib'),"
            "'executable': sys.executable}))")
    import json
    out = subprocess.run([python, "-I", "-c", code], check=True, stdout=subprocess.PIPE).stdout
    info = json.loads(out)
    info["version"] = tuple(info["version"])
    return info


def ext_expected(name, kind):
    """The value <pkg>.value() returns once the extension wheel is installed."""
    if kind == "vendored":
        return 4200 + len(escape_name(name))
    return "%s:%s" % (escape_name(name), kind)


def _cc(args, cwd):
    """Run the system C compiler, raising with its output on failure."""
    r = subprocess.run(["cc"] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode:
        raise RuntimeError("cc %s failed:\n%s" % (" ".join(args), r.stdout.decode(errors="replace")))


def _ext_tree(stage, info, name, kind):
    """Compile the extension for kind into stage; returns (files dict, tag abi part)."""
    pkg = escape_name(name)
    xy = "%d%d" % info["version"][:2]
    inc = ["-I", info["include"]]
    files = {}
    os.makedirs(os.path.join(stage, pkg), exist_ok=True)
    if kind == "missing":
        files["%s/__init__.py" % pkg] = b"from ._ext import value  # the compiled part is missing\n"
        return files, "cp" + xy
    if kind == "abi3":
        sub = os.path.join(stage, pkg, "bindings")
        os.makedirs(sub, exist_ok=True)
        src = _EXT_C % {"decl": "", "modname": "_native",
                        "body": 'return PyUnicode_FromString("%s");' % ext_expected(name, kind)}
        with open(os.path.join(stage, "native.c"), "w") as f:
            f.write(src)
        out = "%s/bindings/_native.abi3.so" % pkg
        _cc(["-shared", "-fPIC", "-O1", "-DPy_LIMITED_API=0x030%d0000" % info["version"][1]]
            + inc + ["-o", out, "native.c"], stage)
        files["%s/__init__.py" % pkg] = (b"from %s.bindings._native import value\n" % pkg.encode())
        files["%s/bindings/__init__.py" % pkg] = b""
        files[out] = None
        return files, "abi3"
    modname = "_ext"
    out = "%s/_ext%s" % (pkg, info["ext_suffix"])
    files["%s/__init__.py" % pkg] = b"from ._ext import value\n"
    if kind == "simple":
        src = _EXT_C % {"decl": "", "modname": modname,
                        "body": 'return PyUnicode_FromString("%s");' % ext_expected(name, kind)}
        with open(os.path.join(stage, "ext.c"), "w") as f:
            f.write(src)
        _cc(["-shared", "-fPIC", "-O1"] + inc + ["-o", out, "ext.c"], stage)
    elif kind == "vendored":
        sym = "%s_foo_value" % pkg
        with open(os.path.join(stage, "libfoo.c"), "w") as f:
            f.write(_LIB_C % {"sym": sym, "val": ext_expected(name, kind)})
        libsrc = (_LIB_C % {"sym": sym, "val": ext_expected(name, kind)}).encode()
        libname = "libfoo-%s.so" % hashlib.sha256(libsrc).hexdigest()[:8]
        libdir = "%s.libs" % pkg
        os.makedirs(os.path.join(stage, libdir), exist_ok=True)
        _cc(["-shared", "-fPIC", "-O1", "-Wl,-soname," + libname, "-o",
             "%s/%s" % (libdir, libname), "libfoo.c"], stage)
        src = _EXT_C % {"decl": "int %s(void);" % sym, "modname": modname,
                        "body": "return PyLong_FromLong(%s());" % sym}
        with open(os.path.join(stage, "ext.c"), "w") as f:
            f.write(src)
        _cc(["-shared", "-fPIC", "-O1"] + inc + ["-o", out, "ext.c", "-L" + libdir,
             "-l:" + libname, "-Wl,-rpath,$ORIGIN/../" + libdir, "-Wl,--disable-new-dtags"],
            stage)
        files["%s/%s" % (libdir, libname)] = None
    else:
        raise ValueError("unknown extension kind %r (want one of %s)" % (kind, EXT_KINDS))
    files[out] = None
    return files, "cp" + xy


def _verify_ext(python, stage, name, kind):
    """Import the staged package with python and check value() (vendored: through $ORIGIN)."""
    pkg = escape_name(name)
    code = ("import sys; sys.path.insert(0, %r); import %s as m; v = m.value(); "
            "assert v == %r, v" % (stage, pkg, ext_expected(name, kind)))
    r = subprocess.run([python, "-I", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, LD_LIBRARY_PATH=""))
    if r.returncode:
        raise RuntimeError("staged %s extension does not work:\n%s" % (kind, r.stdout.decode()))


def build_ext_wheel(outdir, python, name, version, kind, plat="linux_x86_64"):
    """Build a platform wheel with real compiled code for python; returns its path.

    kind: 'simple' (pkg/_ext.<EXT_SUFFIX>), 'abi3' (pkg/bindings/_native.abi3.so imported by
    pkg/__init__.py), 'vendored' (auditwheel layout: <pkg>.libs/libfoo-<hash>.so found via
    rpath $ORIGIN/../<pkg>.libs), 'missing' (platform-tagged, no compiled code at all).
    plat may be a compressed set such as 'manylinux_2_17_x86_64.manylinux2014_x86_64'.
    Built wheels are cached under cache_dir('ext') keyed by every input.
    """
    info = python_info(python)
    cc_version = subprocess.run(["cc", "--version"], stdout=subprocess.PIPE).stdout
    key = hashlib.sha256(repr((_EXT_C, _LIB_C, info, name, version, kind, plat, cc_version,
                               GENERATOR, 2)).encode()).hexdigest()[:24]
    cached = os.path.join(cache_dir("ext"), key)
    if not os.path.isdir(cached):
        tmp = tempfile.mkdtemp(dir=cache_dir("ext"), prefix=".build-")
        try:
            stage = os.path.join(tmp, "stage")
            os.makedirs(stage)
            files, abi = _ext_tree(stage, info, name, kind)
            for p, body in files.items():
                if body is not None:
                    with open(os.path.join(stage, p), "wb") as f:
                        f.write(body)
            if kind != "missing":
                _verify_ext(python, stage, name, kind)
            for p in list(files):
                if files[p] is None:
                    with open(os.path.join(stage, p), "rb") as f:
                        files[p] = (f.read(), 0o755)
            tag = "cp%d%d-%s-%s" % (info["version"][0], info["version"][1], abi, plat)
            build_wheel(os.path.join(tmp, "out"), name, version, files, tag=tag,
                        root_is_purelib=False)
            try:
                os.rename(os.path.join(tmp, "out"), cached)
            except OSError:
                pass  # another process published the same build first
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    (whl,) = os.listdir(cached)
    os.makedirs(outdir, exist_ok=True)
    dst = os.path.join(outdir, whl)
    shutil.copyfile(os.path.join(cached, whl), dst)
    return dst


# ---------------------------------------------------------------------------
# The fixture set

CLI_PY = b"""import sys


def main():
    print("main", sys.argv[1:])
    return 0


def gui():
    print("gui")
    return 0


class obj:
    @staticmethod
    def method():
        print("method")
        return 0
"""


def pure_variants(outdir):
    """Pure-Python wheels covering spec rules C-H and the edge-case list; [(label, path)]."""
    out = []

    def add(label, *a, **kw):
        out.append((label, build_wheel(outdir, *a, **kw)))

    add("basic", "fab-basic", "1.0", {
        "fab_basic/__init__.py": b"VALUE = 'basic'\n",
        "fab_basic/sub/__init__.py": b"",
        "fab_basic/sub/mod.py": b"def f():\n    return 42\n",
        "fab_basic/empty.txt": b"",
        "fab_basic/data.json": b'{"a": 1}\n',
        "fab_basic/tool.sh": (b"#!/bin/sh\necho tool\n", 0o755),
        "fab_basic/big.bin": bytes(range(256)) * 4096,
    }, dist_info_files={"licenses/LICENSE": b"MIT\n", "licenses/sub/NOTICE": b"notice\n",
                        "top_level.txt": b"fab_basic\n"}, stored=("fab_basic/data.json",))
    add("scripts", "fab-scripts", "2.0", {
        "fab_scripts/__init__.py": b"",
        "fab_scripts/cli.py": CLI_PY,
        "fab_scripts/sub.py": b"from fab_scripts.cli import obj\n",
    }, data={
        "scripts/sc-plain": (b"#!python\nimport sys\nprint('plain', sys.executable)\n", 0o755),
        "scripts/sc-args": (b"#!python3 -u\nprint('args')\n", 0o755),
        "scripts/sc-crlf": (b"#!python\r\nprint('crlf')\r\n", 0o755),
        "scripts/sc-pythonw": (b"#!pythonw\nprint('w')\n", 0o755),
        "scripts/sc-py312": (b"#!python3.12\nprint('v')\n", 0o755),
        "scripts/sc-sh": (b"#!/bin/sh\necho sh\n", 0o755),
        "scripts/sc-noexec": (b"#!python\nprint('noexec')\n", 0o644),
        "scripts/sc-data.txt": (b"not a script\n", 0o644),
        "scripts/sc-env": (b"#!/usr/bin/env python\nprint('env')\n", 0o755),
        "scripts/sc-tool": (b"#!python\nprint('I lose to the entry point')\n", 0o755),
    }, entry_points={
        "console_scripts": {"sc-tool": "fab_scripts.cli:main", "sc-main": "fab_scripts.cli:main",
                            "sc-nested": "fab_scripts.sub:obj.method"},
        "gui_scripts": {"sc-gui": "fab_scripts.cli:gui"},
        "other.group": {"ignored": "fab_scripts.cli:main"},
    })
    add("data-schemes", "fab-data", "1.0", {"fab_data/__init__.py": b""}, data={
        "headers/fab_data.h": b"#define FAB_DATA 1\n",
        "headers/sub/inner.h": b"#define INNER 1\n",
        "data/share/fab-data/readme.txt": b"shared data\n",
        "data/etc/fab-data.conf": b"key = value\n",
        "purelib/fab_data_pure/__init__.py": b"WHERE = 'purelib'\n",
        "platlib/fab_data_plat/__init__.py": b"WHERE = 'platlib'\n",
    })
    add("platlib-root", "fab-platroot", "1.0", {"fab_platroot/__init__.py": b"X = 1\n"},
        root_is_purelib=False, data={"purelib/fab_platroot_pure.py": b"Y = 2\n"})
    add("namespace-a", "fab-ns-a", "1.0", {"fabns/a/__init__.py": b"NAME = 'a'\n",
                                          "fabns/shared.txt": b"same in both\n"})
    add("namespace-b", "fab-ns-b", "1.0", {"fabns/b/__init__.py": b"NAME = 'b'\n",
                                          "fabns/shared.txt": b"same in both\n"})
    add("odd-names", "fab-odd", "1.0", {
        "fab_odd/__init__.py": b"",
        "fab_odd/a,b.txt": b"comma\n",
        'fab_odd/q"uote.txt': b"quote\n",
        "fab_odd/sp ace.txt": b"space\n",
        "fab_odd/\u00fcn\u00efcode.txt": b"utf8\n",
        "fab_odd/zero": b"",
        "fab_odd/zero-exec": (b"", 0o755),
    })
    add("windows-built", "fab-win", "1.0", {"fab_win/__init__.py": b"def main():\n    return 0\n",
                                           "fab_win/tool.sh": b"#!/bin/sh\n"},
        data={"scripts/win-script": b"#!python\r\nprint('win')\r\n"},
        entry_points={"console_scripts": {"win-main": "fab_win:main"}}, windows=True)
    add("nonnormalized-dist-info", "Fab.Odd_Name", "1.0",
        {"fab_oddname/__init__.py": b""}, dist_info_name="Fab.Odd_Name-1.0")
    add("wheel-version-1.1", "fab-wv11", "1.0", {"fab_wv11/__init__.py": b""}, wheel_version="1.1")
    add("build-tag", "fab-build", "1.0", {"fab_build/__init__.py": b""}, build="7abc")
    add("multi-tag", "fab-multi", "1.0", {"fab_multi/__init__.py": b""}, tag="py2.py3-none-any")
    add("setuid-bits", "fab-suid", "1.0", {"fab_suid/__init__.py": b"",
                                          "fab_suid/run": (b"#!/bin/sh\n", 0o4755),
                                          "fab_suid/sticky": (b"x\n", 0o1644),
                                          "fab_suid/no-ifreg": (b"#!/bin/sh\n", 0o755, 0)})
    add("entry-point-syntax", "fab-eps", "1.0", {
        "fab_eps/__init__.py": b"def main():\n    print('top')\n",
        "fab_eps/cli.py": b"def main():\n    print('cli')\n",
    }, dist_info_files={"entry_points.txt": (
        b"[console_scripts]\neps-extra = fab_eps.cli:main [extra1,extra2]\n"
        b"eps-tight=fab_eps:main\n  eps-indented   =   fab_eps.cli:main\n"
        b"Eps-Camel = fab_eps:main\neps-camel = fab_eps.cli:main\n\n"
        b"[gui_scripts]\neps-gui = fab_eps:main\n")})
    add("record-sha512", "fab-sha512", "1.0", {"fab_sha512/__init__.py": b"X = 512\n"},
        record_algo="sha512")
    return out


def whlc_only_variants(outdir):
    """Valid per the spec but not installable by pip 23.2.1 (so not in the fidelity corpus).

    'entry-point-spaced-colon': spec H.34 tolerates spaces around ':', pip's distlib raises
    'Invalid specification' and exits 2.
    """
    return [("entry-point-spaced-colon", build_wheel(
        outdir, "fab-epspace", "1.0",
        {"fab_epspace/__init__.py": b"", "fab_epspace/cli.py": b"def main():\n    print('cli')\n"},
        entry_points={"console_scripts": {"epspace": "fab_epspace.cli : main [extra]"}}))]


def fixture_corpus(outdir, python):
    """Every fixture wheel for python (pure variants plus compiled ones); [(label, path)]."""
    out = pure_variants(outdir)
    for kind in EXT_KINDS:
        out.append(("ext-" + kind, build_ext_wheel(outdir, python, "fab-ext-" + kind, "1.0", kind)))
    out.append(("ext-manylinux", build_ext_wheel(
        outdir, python, "fab-ext-many", "1.0", "vendored",
        plat="manylinux_2_17_x86_64.manylinux2014_x86_64")))
    return out


if __name__ == "__main__":
    for label, p in fixture_corpus(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else sys.executable):
        print(label, p)
