"""install_helpers.py: a daemon, venvs and wheels for the install tests (real parts only)."""
import base64
import csv
import hashlib
import io
import os
import subprocess
import tempfile

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from cache_helpers import Daemon

import oracle
import wheelfab

PY = "/root/.pyenv/versions/3.11.7/bin/python"
SITE = os.path.join("lib", "python3.11", "site-packages")


def daemon(env=None):
    """A started daemon in a fresh temporary directory (close() it)."""
    return Daemon(tempfile.mkdtemp(prefix="whlc-inst-"), env=env).start()


def venv(d, name="venv", base=None, python=PY):
    """A fresh venv without pip under the daemon's tmpdir (or base)."""
    return oracle.make_venv(python, os.path.join(base or d.tmpdir, name))


def site(v):
    """The venv's site-packages (CPython 3.11)."""
    return os.path.join(v, SITE)


def install(d, v, *wheels, check=0, args=()):
    """whlc install --venv v wheels; returns the CompletedProcess."""
    return d.whlc("install", "--venv", v, *args, *wheels, check=check)


def simple_wheel(outdir, version="1.0", extra=None, name="fab-simple", entry=True):
    """A small pure wheel with a package, a #!python script, a plain script and a launcher."""
    files = {"fab_simple/__init__.py": ("VALUE = %r\n" % version).encode(),
             "fab_simple/cli.py": b"def main():\n    print('cli ok')\n    return 0\n"}
    files.update(extra or {})
    return wheelfab.build_wheel(
        outdir, name, version, files,
        data={"scripts/fab-script": (b"#!python -u\nprint('script ok')\n", 0o755),
              "scripts/plain.sh": (b"#!/bin/sh\necho plain\n", 0o755),
              "purelib/fab_simple_pure.py": b"X = 1\n",
              "headers/fab.h": b"#define FAB 1\n",
              "data/share/fab/data.txt": b"data\n"},
        entry_points={"console_scripts": {"fab-cli": "fab_simple.cli:main"}} if entry else None)


def record_rows(v, dist_info):
    """The rows of an installed RECORD."""
    with open(os.path.join(site(v), dist_info, "RECORD"), newline="") as f:
        return list(csv.reader(f))


def b64sha(data):
    """RECORD's hash of data."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def store_object(d, path):
    """The store object a file's bytes and exec bit map to."""
    data = open(path, "rb").read()
    h = hashlib.sha256(data).hexdigest()
    x = "-x" if os.stat(path).st_mode & 0o100 else ""
    return os.path.join(d.cache, "store-v1", "objects", h[:2], h[2:] + x)


def run(argv, **kw):
    """Run a command; returns CompletedProcess (text)."""
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def tree(v):
    """Set of relative file paths under a venv (pycache ignored)."""
    out = set()
    for root, dirs, files in os.walk(v):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            out.add(os.path.relpath(os.path.join(root, f), v))
    return out
