#!/usr/bin/env python3
"""Every operation in a venv stays beneath the venv directory (issue 9, SECURITY.md rule 6).

The installer resolves paths in a venv from the venv's directory descriptor with
openat2(RESOLVE_BENEATH): symlinks that stay inside the venv are followed like pip
follows them, one that leads out of it is refused ("leads outside the venv"), and a
directory swapped for such a symlink while an install runs is never followed out.
The targets outside are directories the attacker can write: only the beneath rule,
not the kernel's permission checks, keeps the daemon out of them.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_helpers import (A, B, PY, System, WHLCD, as_user, install, objects_ok,  # noqa: E402
                            site)
import install_helpers as ih  # noqa: E402
import oracle  # noqa: E402
from tap import main, test  # noqa: E402
import wheelfab  # noqa: E402

SWAPPER = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
pairs = [(a.encode(), b.encode()) for a, b in zip(sys.argv[2::2], sys.argv[3::2])]
stop = sys.argv[1]
n = 0
while not os.path.exists(stop):
    for a, b in pairs:
        if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0:
            n += 1
print(n)
"""
# One exchange of each pair whose first path is a symlink: the venv put straight.
UNSWAP = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for a in sys.argv[1:]:
    if os.path.islink(a):
        libc.renameat2(-100, a.encode(), -100, (a + ".swap").encode(), 2)
"""


def as_b(s, *argv):
    subprocess.run(as_user(B) + list(argv), check=True)


def b_dir(s, name):
    """A directory B owns and can write, outside every venv."""
    p = os.path.join(s.homes[B], name)
    as_b(s, "mkdir", "-p", p)
    return p


def listing(d):
    return sorted(os.path.relpath(os.path.join(dp, n), d)
                  for dp, dns, fns in os.walk(d) for n in dns + fns)


def race_wheel(s, user):
    """A wheel with 400 files in 8 directories (the install opens each directory)."""
    tmp = tempfile.mkdtemp(dir=s.dir)
    files = {"racepkg/__init__.py": b"VALUE = 1\n"}
    for d in range(8):
        for i in range(50):
            files["racepkg/sub%d/m%d.py" % (d, i)] = b"X = %d\n" % (d * 100 + i)
    src = wheelfab.build_wheel(tmp, "racepkg", "1.0", files)
    dst = os.path.join(s.homes[user], os.path.basename(src))
    shutil.copy(src, dst)
    os.chown(dst, s.users[user].pw_uid, s.users[user].pw_gid)
    shutil.rmtree(tmp)
    return dst


@test(timeout=300)
def symlinks_out_of_the_venv_are_refused_by_the_system_daemon():
    for as_root in (True, False):
        with System(as_root=as_root) as s:
            s.start()
            vb = s.venv(B)
            sp = site(vb)
            out = b_dir(s, "outside")
            # A package directory planted as a symlink to a directory B can write.
            as_b(s, "ln", "-s", out, os.path.join(sp, "shared_pkg"))
            rc, o, err = install(s, B, vb, s.wheel(B))
            assert rc == 1 and "leads outside the venv" in err, (as_root, rc, o, err)
            assert "shared_pkg" in err, err
            assert listing(out) == [], listing(out)
            # site-packages itself a symlink out of the venv (pip would follow it).
            os.unlink(os.path.join(sp, "shared_pkg"))
            as_b(s, "mv", sp, sp + ".moved")
            as_b(s, "ln", "-s", out, sp)
            rc, o, err = install(s, B, vb, s.wheel(B))
            assert rc == 1 and "leads outside the venv" in err, (as_root, rc, o, err)
            assert listing(out) == [], listing(out)
            rc, o, err = s.client(B, ["uninstall", "--venv", vb, "shared_pkg"])
            assert rc != 0 and listing(out) == [], (rc, o, err)
            # An in-venv relative symlink (like lib64 -> lib) is followed.
            os.unlink(sp)
            as_b(s, "ln", "-s", os.path.basename(sp) + ".moved", sp)
            rc, o, err = install(s, B, vb, s.wheel(B))
            assert rc == 0, (as_root, rc, o, err, s.log())
            f = os.path.join(sp + ".moved", "shared_pkg", "__init__.py")
            assert os.path.isfile(f) and os.stat(os.path.dirname(f)).st_uid == s.users[B].pw_uid
            rc, o, err = s.client(B, ["verify", "--venv", vb])
            assert rc == 0, (o, err)
            objects_ok(s)


@test(timeout=600)
def race_swapping_directories_for_symlinks_reaches_nothing_outside():
    """B swaps (renameat2 RENAME_EXCHANGE) package directories of its venv with symlinks to
    a directory B can write and to A's package while the root daemon installs and upgrades:
    nothing outside B's venv is ever created or changed."""
    with System(as_root=True) as s:
        s.start()
        os.chmod(s.homes[A], 0o755)
        va, vb = s.venv(A, mode=0o755), s.venv(B)
        assert install(s, A, va, s.wheel(A))[0] == 0
        a_pkg = os.path.join(site(va), "shared_pkg")
        a_before = {n: open(os.path.join(a_pkg, n), "rb").read() for n in os.listdir(a_pkg)
                    if n.endswith((".py", ".txt"))}
        wb = race_wheel(s, B)
        rc, o, err = install(s, B, vb, wb)
        assert rc == 0, (o, err, s.log())
        out = b_dir(s, "outside")
        pkg = os.path.join(site(vb), "racepkg")
        as_b(s, "ln", "-s", out, pkg + ".swap")
        as_b(s, "ln", "-s", a_pkg, os.path.join(pkg, "sub3.swap"))
        stop = os.path.join(s.dir, "stop-swapper")
        sw = subprocess.Popen(as_user(B) + [PY, "-c", SWAPPER, stop, pkg,
                                            pkg + ".swap", os.path.join(pkg, "sub3"),
                                            os.path.join(pkg, "sub3.swap")],
                              stdout=subprocess.PIPE, text=True)
        results = []
        try:
            t0 = time.monotonic()
            while len(results) < 40 and (len(results) < 8 or time.monotonic() - t0 < 60):
                rc, o, err = install(s, B, vb, "--reinstall", wb)
                results.append((rc, err.strip().splitlines()[-1:] if err else ""))
                assert s.proc.poll() is None, s.log()
        finally:
            open(stop, "w").close()
            swaps = int(sw.communicate(timeout=30)[0].strip() or 0)
        assert swaps > 0
        # The race was on: installs ran into swapped symlinks.
        assert any(rc != 0 and "leads outside the venv" in "".join(e) for rc, e in results), \
            results
        assert listing(out) == [], (listing(out), results)
        assert {n: open(os.path.join(a_pkg, n), "rb").read() for n in a_before} == a_before
        assert sorted(n for n in os.listdir(a_pkg) if n != "__pycache__") == sorted(a_before)
        # Put the venv straight (whichever way the last swap left it) and install again.
        as_b(s, PY, "-c", UNSWAP, pkg)
        as_b(s, PY, "-c", UNSWAP, os.path.join(pkg, "sub3"))
        for p in (pkg + ".swap", os.path.join(pkg, "sub3.swap")):
            if os.path.lexists(p) and os.path.islink(p):
                os.unlink(p)
        rc, o, err = install(s, B, vb, "--reinstall", wb)
        assert rc == 0, (o, err, results, s.log())
        rc, o, err = s.client(B, ["verify", "--venv", vb])
        assert rc == 0, (o, err)
        assert listing(out) == []
        objects_ok(s)


@test(timeout=300)
def user_mode_in_venv_symlinks_install_like_pip():
    """Per-user daemon: site-packages reached through a relative symlink inside the venv
    (like lib64 -> lib) gives exactly pip's venv; one leading out is refused (pip would
    follow it: documented in SECURITY.md)."""
    d = ih.daemon()
    try:
        w = ih.simple_wheel(d.tmpdir)
        vs = []
        for name in ("pip", "whlc"):
            v = ih.venv(d, name)
            lib = os.path.join(v, "lib")
            os.rename(os.path.join(lib, "python3.11"), os.path.join(lib, "py311-real"))
            os.symlink("py311-real", os.path.join(lib, "python3.11"))
            vs.append(v)
        oracle.pip_install(vs[0], [w])
        r = ih.install(d, vs[1], w)
        assert r.returncode == 0, (r.stdout, r.stderr)
        open(os.path.join(vs[0], ".lock"), "a").close()  # whlc's (and uv's) venv lock file
        diffs = oracle.compare_venvs(vs[0], vs[1])
        assert not diffs, oracle.format_diffs(diffs)
        assert os.path.isfile(os.path.join(vs[1], "lib", "py311-real", "site-packages",
                                           "fab_simple", "__init__.py"))
        r = d.whlc("verify", "--venv", vs[1])
        assert r.returncode == 0, (r.stdout, r.stderr)
        r = d.whlc("uninstall", "--venv", vs[1], "fab-simple")
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert not os.path.exists(os.path.join(vs[1], "lib", "py311-real", "site-packages",
                                               "fab_simple"))
        # Out of the venv: refused, nothing written there.
        out = os.path.join(d.tmpdir, "outside")
        os.mkdir(out)
        sp = ih.site(vs[1])
        os.rename(sp, sp + ".moved")
        os.symlink(out, sp)
        r = ih.install(d, vs[1], w, check=1)
        assert "leads outside the venv" in r.stderr, (r.stdout, r.stderr)
        assert os.listdir(out) == []
    finally:
        d.close()


if __name__ == "__main__":
    assert os.path.exists(WHLCD)
    main()
