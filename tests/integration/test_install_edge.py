"""test_install_edge.py: uninstall with a failing name, RECORD signatures (RECORD.jws and
RECORD.p7s) like pip, and a full disk during an install."""
import json
import os
import subprocess
import zipfile

from install_helpers import daemon, install, run, simple_wheel, site, venv
from tap import main, test

import oracle
import wheelfab


@test(timeout=300)
def uninstall_reports_each_name_when_one_fails():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        a = wheelfab.build_wheel(out, "fab-a", "1.0", {"fab_a.py": b""})
        b = wheelfab.build_wheel(out, "fab-b", "2.0", {"fab_b.py": b""})
        v = venv(d)
        install(d, v, a, b, check=0)
        os.unlink(os.path.join(site(v), "fab_b-2.0.dist-info", "RECORD"))
        r = d.whlc("uninstall", "--venv", v, "fab-a", "fab-b", "fab-nope", check=1)
        assert r.stdout == "- fab-a==1.0\n", r.stdout
        err = r.stderr.splitlines()
        assert any(x.startswith("whlc: cannot uninstall fab-b: ") and "RECORD" in x
                   for x in err), r.stderr
        assert any(x.startswith("whlc: cannot uninstall fab-nope: ") and "not installed" in x
                   for x in err), r.stderr
        assert not os.path.exists(os.path.join(site(v), "fab_a.py"))
        assert os.path.exists(os.path.join(site(v), "fab_b.py"))
        # --json: the same body, machine readable, still exit 1.
        install(d, v, a, check=0)
        r = d.whlc("uninstall", "--venv", v, "--json", "fab-a", "fab-b", check=1)
        body = json.loads(r.stdout)
        assert body["removed"] == [{"name": "fab-a", "version": "1.0"}], body
        assert [f["name"] for f in body["failed"]] == ["fab-b"], body
        assert d.alive()
    finally:
        d.close()


@test(timeout=300)
def record_signatures_are_installed_and_recorded_like_pip():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        w = wheelfab.build_wheel(out, "fab-jws", "1.0", {"fab_jws.py": b"X = 1\n"})
        with zipfile.ZipFile(w, "a") as z:  # signatures are never listed in RECORD
            z.writestr("fab_jws-1.0.dist-info/RECORD.jws", b'{"signatures": []}\n')
            z.writestr("fab_jws-1.0.dist-info/RECORD.p7s", b"p7s\n")
        base = os.path.join(d.tmpdir, "oracle")
        pv = oracle.make_venv(oracle.PIP_PYTHON, os.path.join(base, "pip"))
        oracle.pip_install(pv, [w])
        wv = oracle.make_venv(oracle.PIP_PYTHON, os.path.join(base, "whlc"))
        install(d, wv, w, check=0)
        open(os.path.join(pv, ".lock"), "a").close()  # whlc's (and uv's) venv lock file
        diffs = oracle.compare_venvs(pv, wv)
        assert not diffs, oracle.format_diffs(diffs)
        rows = open(os.path.join(site(wv), "fab_jws-1.0.dist-info", "RECORD")).read()
        assert "fab_jws-1.0.dist-info/RECORD.jws,,\n" in rows, rows
        assert "fab_jws-1.0.dist-info/RECORD.p7s,,\n" in rows, rows
        d.whlc("verify", "--venv", wv, check=0)
        d.whlc("uninstall", "--venv", wv, "fab-jws", check=0)
        assert not os.path.exists(os.path.join(site(wv), "fab_jws-1.0.dist-info"))
    finally:
        d.close()


@test(timeout=300)
def disk_full_leaves_the_old_version_and_a_later_install_succeeds():
    d = daemon()
    mnt = os.path.join(d.tmpdir, "small")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], check=True)
    try:
        out = os.path.join(d.tmpdir, "w")
        old = simple_wheel(out, "1.0")
        new = simple_wheel(os.path.join(out, "n"), "2.0",
                           extra={"fab_simple/blob.bin": os.urandom(3 << 20)})
        v = venv(d, base=mnt)
        install(d, v, old, check=0)
        before = {p: open(os.path.join(v, p), "rb").read() for p in _files(v)}
        filler = os.path.join(mnt, "filler")
        st = os.statvfs(mnt)
        with open(filler, "wb") as f:  # leave about 1 MB free
            f.write(b"\0" * (st.f_bavail * st.f_frsize - (1 << 20)))
        r = install(d, v, new, check=1)
        assert "no space left" in r.stderr.lower(), r.stderr
        assert v in r.stderr and "fab_simple/blob.bin" in r.stderr, r.stderr
        after = {p: open(os.path.join(v, p), "rb").read() for p in _files(v)}
        assert after == before, sorted(set(after) ^ set(before))
        assert not [p for p in _files(v) if ".whlc-" in p]
        d.whlc("verify", "--venv", v, check=0)
        assert d.whlc("list", "--venv", v, check=0).stdout == "fab-simple==1.0 (whlc)\n"
        d.whlc("cache", "stats", check=0)  # still serving
        os.unlink(filler)
        r = install(d, v, new, check=0)
        assert "+ fab-simple==2.0" in r.stdout, r.stdout
        d.whlc("verify", "--venv", v, check=0)
        assert run([os.path.join(v, "bin/python"), "-c",
                    "import fab_simple; print(fab_simple.VALUE)"]).stdout == "2.0\n"
    finally:
        d.stop()
        subprocess.run(["umount", "-l", mnt])
        d.close()


def _files(v):
    """Relative paths of the files under v (pycache and .lock left out)."""
    out = set()
    for root, dirs, files in os.walk(v):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        out |= {os.path.relpath(os.path.join(root, f), v) for f in files if f != ".lock"}
    return out


if __name__ == "__main__":
    main()
