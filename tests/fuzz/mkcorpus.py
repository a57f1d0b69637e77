#!/usr/bin/env python3
"""mkcorpus.py: (re)generate the seed corpus of tests/fuzz/corpus/<harness>/.

Seeds are small: protocol frames, names and headers of real wheels (the ones in
/usr/share/python-wheels and the CPython test data), and small fixture wheels
built with tests/lib/wheelfab.py. Regression inputs found by fuzzing are added
by hand as corpus/<harness>/regress-*; this script never removes them.
Usage: tests/fuzz/mkcorpus.py [CORPUS_DIR]
"""
import glob
import hashlib
import os
import struct
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import mpack  # noqa: E402
import wheelfab  # noqa: E402

REAL = sorted(glob.glob("/usr/share/python-wheels/*.whl") +
              glob.glob("/root/.pyenv/versions/3.1[23]*/lib/python3.1*/test/**/*.whl", recursive=True))
MAX_SEED = 16 << 10


def put(corpus, harness, label, data):
    """Write one seed, named by label and content hash, at most MAX_SEED bytes."""
    d = os.path.join(corpus, harness)
    os.makedirs(d, exist_ok=True)
    data = data[:MAX_SEED]
    name = "%s-%s" % (label, hashlib.sha256(data).hexdigest()[:12])
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames(corpus):
    """Request streams: hello then requests, in one frame or several, some malformed."""
    hello = {"type": mpack.HELLO, "id": 1, "body": {"proto": 1, "version": "0.1.0", "program": "fz"}}
    reqs = [
        hello,
        {"type": mpack.STATUS, "id": 2},
        {"type": mpack.STATUS, "id": 3, "body": {}},
        {"type": 32, "id": 4, "body": {"paths": ["/tmp/a-1.0-py3-none-any.whl", "b.whl"]}},
        {"type": 19, "id": 5, "body": {"ms": 10, "events": 3}},
        {"type": 1, "id": 6, "body": {"x": [1, -2, 3.5, None, True, b"\x00\xff", {"k": "v"}]}},
        {"type": 2**40, "id": 2**63, "body": {"paths": "notalist"}},
        {"id": 7},
        ["not", "a", "map"],
    ]
    stream = b"".join(mpack.frame(r) for r in reqs[:3])
    for chunk in (0, 3, 255):
        put(corpus, "frame", "stream", bytes([chunk]) + stream)
    for i, r in enumerate(reqs):
        put(corpus, "frame", "req%d" % i, bytes([i * 37 % 256]) + mpack.frame(r))
    put(corpus, "frame", "oversize", b"\x01" + struct.pack(">I", 0xFFFFFFF0) + b"\x80")
    put(corpus, "frame", "nested", b"\x00" + struct.pack(">I", 40) + b"\x91" * 39 + b"\xc0")
    put(corpus, "frame", "truncated", b"\x07" + mpack.frame(hello)[:-3])


def wheel_files(corpus):
    """Names, WHEEL, METADATA, RECORD and entry_points.txt of real wheels."""
    for path in REAL:
        base = os.path.basename(path)
        put(corpus, "wheel_name", "real", base.encode())
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                leaf = n.rsplit("/", 1)[-1]
                if ".dist-info/" not in n:
                    continue
                data = z.read(n)
                if leaf in ("WHEEL", "METADATA"):
                    # The headers are what is parsed: keep them and a bit of the body.
                    head = data.split(b"\n\n", 1)
                    put(corpus, "rfc822", leaf, head[0] + (b"\n\n" + head[1][:200] if len(head) > 1 else b""))
                elif leaf == "RECORD":
                    lines = data.splitlines(keepends=True)
                    put(corpus, "record", "real", b"".join(lines[:40]))
                elif leaf == "entry_points.txt":
                    put(corpus, "entrypoints", "real", data)
    for n in ["a-1.0-1-py3-none-any.whl", "A_b.c-2!1.0rc1.post2.dev3+loc.1-12abc-py2.py3-none-any.whl",
              "x-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "bad.whl", "a-b-c-d-e-f-g.whl",
              "a-1.0-py3-none-any.whl\x001.0.0"]:
        put(corpus, "wheel_name", "synthetic", n.encode())
    put(corpus, "record", "quoted", b'"a,b.py",sha256=AAAA,1\r\n"q""x",,\nx/RECORD,,\n')
    put(corpus, "record", "sha512", b"a.py,sha512=" + b"A" * 86 + b",5\n")
    put(corpus, "entrypoints", "synthetic",
        b"[console_scripts]\nfoo = pkg.mod:main [extra]\n; c\n# c\n[gui_scripts]\nbar=pkg : run\n")


def fixture_wheels(corpus):
    """Small wheels: plain, with data and scripts, stored, windows modes; plus a bad one."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [
            wheelfab.build_wheel(tmp, "pkg", "1.0", {"pkg/__init__.py": b"x = 1\n"}),
            wheelfab.build_wheel(tmp, "fz_ep", "2.0", {"fz_ep/m.py": b"def main(): pass\n"},
                                 entry_points={"console_scripts": {"fz": "fz_ep.m:main"}},
                                 data={"scripts/run": (b"#!python\nprint(1)\n", 0o755)}),
            wheelfab.build_wheel(tmp, "fz_st", "1.0", {"fz_st.py": b"", "fz_st/x.bin": (b"\x7fELF", 0o755)},
                                 stored=("fz_st.py",), windows=True),
            wheelfab.build_wheel(tmp, "fz_norec", "1.0", {"fz_norec.py": b"a\n"}, record=False),
        ]
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            base = os.path.basename(p)
            put(corpus, "zipindex", "fixture", data)
            put(corpus, "ingest", "fixture", base.encode() + b"\n" + data)
    for path in REAL:  # the small real wheels: CPython's test data
        if os.path.getsize(path) <= MAX_SEED:
            with open(path, "rb") as f:
                data = f.read()
            put(corpus, "zipindex", "real", data)
            put(corpus, "ingest", "real", os.path.basename(path).encode() + b"\n" + data)
    put(corpus, "zipindex", "notzip", b"PK\x05\x06" + b"\x00" * 18)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    frames(corpus)
    wheel_files(corpus)
    fixture_wheels(corpus)


if __name__ == "__main__":
    main()
