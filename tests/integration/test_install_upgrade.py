"""test_install_upgrade.py: replacing versions, rollback on failure, shared files, concurrency."""
import os
import subprocess

from install_helpers import PY, daemon, install, run, simple_wheel, site, venv, tree
from tap import main, test

import cache_helpers
import wheelfab


@test(timeout=300)
def upgrade_replaces_old_files_pycs_and_launchers():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        old = simple_wheel(out, "1.0", extra={"fab_simple/old_only/mod.py": b"OLD = 1\n"})
        new = simple_wheel(os.path.join(out, "n"), "2.0", entry=False)
        v = venv(d)
        install(d, v, old)
        sp = site(v)
        py = os.path.join(v, "bin", "python")
        run([py, "-m", "compileall", "-q", os.path.join(sp, "fab_simple")], check=True)
        assert os.listdir(os.path.join(sp, "fab_simple/old_only/__pycache__"))
        r = install(d, v, new)
        assert r.stdout.splitlines()[:2] == ["- fab-simple==1.0", "+ fab-simple==2.0"], r.stdout
        assert not os.path.exists(os.path.join(sp, "fab_simple/old_only")), "emptied dir not pruned"
        assert not os.path.exists(os.path.join(sp, "fab_simple-1.0.dist-info"))
        assert not os.path.exists(os.path.join(v, "bin", "fab-cli")), "old launcher left"
        pyc = os.path.join(sp, "fab_simple/__pycache__")
        assert not os.path.exists(pyc) or not [x for x in os.listdir(pyc) if x.startswith("cli.")]
        assert run([py, "-c", "import fab_simple; print(fab_simple.VALUE)"]).stdout == "2.0\n"
        assert not [x for x in os.listdir(v) if x.startswith(".whlc-stash")]
        d.whlc("verify", "--venv", v, check=0)
        assert d.whlc("list", "--venv", v, check=0).stdout == "fab-simple==2.0 (whlc)\n"
    finally:
        d.close()


@test(timeout=300)
def failed_upgrade_leaves_the_old_version_intact():
    out = None
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        old = simple_wheel(out, "1.0", extra={"fab_simple/old_only.py": b"OLD = 1\n"})
        new = simple_wheel(os.path.join(out, "n"), "2.0", extra={"fab_simple/new_only.py": b""})
        v = venv(d)
        install(d, v, old)
        before = {p: open(os.path.join(v, p), "rb").read() for p in tree(v)}
        d.stop()
        d.extra_env = {"WHLCD_FAILPOINT": "install-before-commit:error"}
        d.start()
        r = install(d, v, new, check=1)
        assert "install-before-commit" in r.stderr, r.stderr
        after = {p: open(os.path.join(v, p), "rb").read() for p in tree(v)}
        assert after == before, sorted(set(after) ^ set(before))
        assert run([os.path.join(v, "bin/python"), "-c",
                    "import fab_simple; print(fab_simple.VALUE)"]).stdout == "1.0\n"
        assert run([os.path.join(v, "bin/fab-cli")]).stdout == "cli ok\n"
        d.whlc("verify", "--venv", v, check=0)
    finally:
        d.close()


@test(timeout=300)
def killed_upgrade_is_rolled_back_by_the_next_install():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        old = simple_wheel(out, "1.0")
        new = simple_wheel(os.path.join(out, "n"), "2.0")
        v = venv(d)
        install(d, v, old)
        d.stop()
        d.extra_env = {"WHLCD_FAILPOINT": "install-before-commit:kill"}
        d.start()
        r = install(d, v, new, check=None)
        assert r.returncode != 0
        assert [x for x in os.listdir(v) if x.startswith(".whlc-stash")]
        d.proc.wait(timeout=30)
        d.stop()
        d.extra_env = {}
        d.start()
        r = d.whlc("list", "--venv", v, check=0)
        r = install(d, v, old, check=0)  # recovery runs under the lock, then: already there
        assert "restored" in r.stderr, r.stderr
        assert run([os.path.join(v, "bin/python"), "-c",
                    "import fab_simple; print(fab_simple.VALUE)"]).stdout == "1.0\n"
    finally:
        d.close()


@test(timeout=300)
def overwriting_another_distributions_file_warns_naming_both():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        a = wheelfab.build_wheel(out, "fab-a", "1.0", {"shared/common.py": b"A = 1\n"})
        b = wheelfab.build_wheel(out, "fab-b", "1.0", {"shared/common.py": b"B = 1\n"})
        v = venv(d)
        install(d, v, a)
        r = install(d, v, b)
        assert "warning: " in r.stderr and "fab-a" in r.stderr and "fab_b-1.0" in r.stderr, r.stderr
        assert open(os.path.join(site(v), "shared/common.py")).read() == "B = 1\n"
    finally:
        d.close()


@test(timeout=300)
def failed_install_restores_another_distributions_overwritten_file():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        a = wheelfab.build_wheel(out, "fab-a", "1.0", {"shared/common.py": b"A = 1\n"})
        b = wheelfab.build_wheel(out, "fab-b", "1.0", {"shared/common.py": b"B = 1\n",
                                                        "fab_b.py": b""})
        v = venv(d)
        install(d, v, a)
        before = {p: open(os.path.join(v, p), "rb").read() for p in tree(v)}
        d.stop()
        d.extra_env = {"WHLCD_FAILPOINT": "install-before-commit:error"}
        d.start()
        install(d, v, b, check=1)
        after = {p: open(os.path.join(v, p), "rb").read() for p in tree(v)}
        assert after == before, sorted(set(after) ^ set(before))
        assert open(os.path.join(site(v), "shared/common.py")).read() == "A = 1\n"
        d.whlc("verify", "--venv", v, check=0)
        assert not [x for x in os.listdir(v) if x.startswith(".whlc-")]
    finally:
        d.close()


@test(timeout=600)
def concurrent_installs_same_venv_serialize_and_different_venvs_run():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        big = {"fab_big/m%04d.py" % i: b"X = %d\n" % i for i in range(3000)}
        w1 = wheelfab.build_wheel(out, "fab-big", "1.0", big)
        w2 = wheelfab.build_wheel(out, "fab-other", "1.0", {"fab_other.py": b""})
        d.whlc("cache", "add", w1, w2, check=0)
        v = venv(d)
        v2 = venv(d, "venv2")
        # The venv's .lock is held by someone else: the install waits for it.
        import fcntl
        lock = open(os.path.join(v, ".lock"), "a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        p1 = subprocess.Popen([cache_helpers.WHLC, "install", "--venv", v, w1], env=d.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p2 = subprocess.Popen([cache_helpers.WHLC, "install", "--venv", v, w2], env=d.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Another venv is not blocked by that lock.
        install(d, v2, w1, w2)
        assert p1.poll() is None and p2.poll() is None
        assert not os.path.exists(os.path.join(site(v), "fab_big"))
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        assert p1.wait(120) == 0 and p2.wait(120) == 0, (p1.stderr.read(), p2.stderr.read())
        r = d.whlc("list", "--venv", v, check=0)
        assert r.stdout == "fab-big==1.0 (whlc)\nfab-other==1.0 (whlc)\n", r.stdout
        d.whlc("verify", "--venv", v, check=0)
        d.whlc("verify", "--venv", v2, check=0)
    finally:
        d.close()


if __name__ == "__main__":
    main()
