"""test_install_crash.py: a daemon killed in the middle of an install (SIGKILL at a failure
point): the next operation on the venv (install, uninstall, verify) first undoes it exactly,
and running the install again gives what an uninterrupted run gives."""
import json
import os
import re
import stat

from install_helpers import daemon, install, run, simple_wheel, site, venv
from tap import main, test

import wheelfab

N_FILES = 400  # linked by one thread: install-mid-link fires after 200


def _snapshot(v):
    """{relpath: (bytes with the venv path neutralized, exec bit)}; pycache and .lock left out."""
    out = {}
    for root, dirs, files in os.walk(v):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, v)
            if rel == ".lock":
                continue
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p).replace(v, "VENV"))
                continue
            data = open(p, "rb").read().replace(v.encode(), b"VENV")
            if rel.endswith(".dist-info/RECORD"):
                # launchers embed the venv path: their hash and size differ per venv
                data = re.sub(rb"(?m)^(\.\./\.\./\.\./bin/[^,]*),[^,]*,[0-9]*", rb"\1,H,S", data)
            out[rel] = (data, bool(os.stat(p).st_mode & stat.S_IXUSR))
    return out


def _leftovers(v):
    """Names whlc uses for work in progress, anywhere in the venv."""
    bad = []
    for root, dirs, files in os.walk(v):
        bad += [os.path.join(root, x) for x in dirs + files if x.startswith(".whlc-")]
    return bad


def _wheels(out):
    """fab-big 1.0 and 2.0: N_FILES modules each, some shared, some only in one version."""
    def files(ver):
        f = {"fab_big/__init__.py": b"V = %r\n" % ver.encode()}
        for i in range(N_FILES):
            f["fab_big/m%03d.py" % i] = b"X = %d\n" % i if i % 2 else b"Y = %r\n" % ver.encode()
        f["fab_big/only_%s.py" % ver.replace(".", "_")] = b""
        return f
    return [wheelfab.build_wheel(os.path.join(out, ver), "fab-big", ver, files(ver),
                                 entry_points={"console_scripts":
                                               {"fab-big-%s" % ver[0]: "fab_big:main"}})
            for ver in ("1.0", "2.0")]


def _killed(d, v, wheel, point):
    """Run an install that the daemon dies in, then restart the daemon normally."""
    d.stop()
    d.extra_env = {"WHLCD_FAILPOINT": point + ":kill"}
    d.start()
    r = install(d, v, wheel, check=None)
    assert r.returncode != 0, r.stdout
    d.wait_dead()
    d.extra_env = {}
    d.start()


def _check_recovered(d, v, expected):
    """The venv is exactly the snapshot, nothing of ours left, verify clean."""
    assert not _leftovers(v), _leftovers(v)
    now = _snapshot(v)
    assert now == expected, sorted(set(now) ^ set(expected))[:20] or \
        [k for k in now if now[k] != expected[k]][:20]
    d.whlc("verify", "--venv", v, check=0)


@test(timeout=600)
def fresh_install_killed_mid_link_is_removed_by_the_next_verify():
    d = daemon()
    try:
        w1, _ = _wheels(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        before = _snapshot(v)
        _killed(d, v, w1, "install-mid-link")
        assert os.path.exists(os.path.join(site(v), "fab_big", "m000.py")), "nothing linked?"
        assert [x for x in os.listdir(site(v)) if x.startswith(".whlc-tmp-")]
        r = d.whlc("verify", "--venv", v, check=0)
        assert "0 distributions verified" in r.stdout, r.stdout
        _check_recovered(d, v, before)
        assert "restored" in d.read_log()
        # Re-running gives what an uninterrupted install gives.
        install(d, v, w1, check=0)
        ref = venv(d, base=os.path.join(d.tmpdir, "ref"))  # same basename: same prompt
        install(d, ref, w1, check=0)
        assert _snapshot(v) == _snapshot(ref)
        d.whlc("verify", "--venv", v, check=0)
    finally:
        d.close()


def _upgrade_killed(point, recover):
    d = daemon()
    try:
        w1, w2 = _wheels(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        install(d, v, w1, check=0)
        before = _snapshot(v)
        _killed(d, v, w2, point)
        if recover == "install":
            r = install(d, v, w1, check=0)  # recovery, then: already installed
            assert "restored" in r.stderr, r.stderr
        elif recover == "verify":
            d.whlc("verify", "--venv", v, check=0)
        _check_recovered(d, v, before)
        assert run([os.path.join(v, "bin/python"), "-c",
                    "import fab_big; print(fab_big.V)"]).stdout == "b'1.0'\n"
        assert os.path.exists(os.path.join(v, "bin", "fab-big-1"))
        assert not os.path.exists(os.path.join(v, "bin", "fab-big-2"))
        # The interrupted upgrade, run again, equals an uninterrupted one.
        install(d, v, w2, check=0)
        ref = venv(d, base=os.path.join(d.tmpdir, "ref"))  # same basename: same prompt
        install(d, ref, w1, check=0)
        install(d, ref, w2, check=0)
        got, want = _snapshot(v), _snapshot(ref)
        assert got == want, (sorted(set(got) ^ set(want)),
                             [(k, got[k], want[k]) for k in got if k in want and got[k] != want[k]])
        d.whlc("verify", "--venv", v, check=0)
    finally:
        d.close()


@test(timeout=600)
def upgrade_killed_mid_link_is_undone_by_the_next_verify():
    _upgrade_killed("install-mid-link", "verify")


@test(timeout=600)
def upgrade_killed_before_commit_is_undone_by_the_next_install():
    _upgrade_killed("install-before-commit", "install")


@test(timeout=600)
def upgrade_killed_mid_link_is_undone_by_the_next_uninstall():
    d = daemon()
    try:
        w1, w2 = _wheels(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        base = _snapshot(v)
        install(d, v, w1, check=0)
        _killed(d, v, w2, "install-mid-link")
        # Uninstall first restores 1.0 (the recovery), then removes it completely.
        r = d.whlc("uninstall", "--venv", v, "fab-big", check=0)
        assert r.stdout == "- fab-big==1.0\n", r.stdout
        _check_recovered(d, v, base)
        assert json.loads(d.whlc("list", "--venv", v, "--json", check=0).stdout)["dists"] == []
    finally:
        d.close()


@test(timeout=600)
def killed_install_over_another_distributions_file_restores_it():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        a = wheelfab.build_wheel(out, "fab-a", "1.0", {"shared/common.py": b"A = 1\n",
                                                        "fab_a.py": b""})
        b = simple_wheel(out, "1.0", extra={"shared/common.py": b"B = 1\n"})
        v = venv(d)
        install(d, v, a, check=0)
        before = _snapshot(v)
        _killed(d, v, b, "install-before-commit")
        d.whlc("verify", "--venv", v, check=0)
        _check_recovered(d, v, before)
        assert open(os.path.join(site(v), "shared/common.py")).read() == "A = 1\n"
    finally:
        d.close()


if __name__ == "__main__":
    main()
