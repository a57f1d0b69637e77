"""test_perf_facts.py: one interpreter probe serves every venv of a base interpreter (issue 6)."""
import os
import shutil

from install_helpers import PY, daemon, install, run, simple_wheel, venv
from tap import main, test

import oracle

PY38 = "/root/.pyenv/versions/3.8.18/bin/python"
PY312 = "/root/.pyenv/versions/3.12.1/bin/python"
DEBIAN = "/usr/bin/python3"


def facts_keys(d):
    """The keys of the catalog's interpreter facts cache."""
    with d.db() as c:
        return sorted(r[0] for r in c.execute("SELECT path FROM interpreters"))


def check_installed(v, xy):
    """The simple wheel landed in venv v (python xy), naming v and nothing else."""
    sp = os.path.join(v, "lib", "python" + xy, "site-packages")
    assert os.path.isfile(os.path.join(sp, "fab_simple", "__init__.py")), os.listdir(v)
    with open(os.path.join(v, "bin", "fab-script")) as f:
        head = f.read(400)
    assert ("%s/bin/python" % v) in head, head  # #!path, or the /bin/sh form for spaces
    assert run([os.path.join(v, "bin", "fab-script")]).stdout == "script ok\n"
    with open(os.path.join(v, "bin", "fab-cli"), "rb") as f:
        assert (v + "/bin/python").encode() in f.read()
    r = run([os.path.join(v, "bin", "fab-cli")])
    assert r.stdout == "cli ok\n", r
    assert open(os.path.join(v, "include", "site", "python" + xy, "fab-simple", "fab.h")).read()


@test(timeout=300)
def two_venvs_of_one_python_one_probe():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        v1 = venv(d, "first")
        install(d, v1, w, check=0)
        check_installed(v1, "3.11")
        keys = facts_keys(d)
        assert len(keys) == 1 and keys[0].startswith("interp2 ") and keys[0].endswith(
            os.path.realpath(PY)), keys
        # A second venv, with spaces in its path: the cached facts, re-rooted, are its own.
        v2 = venv(d, "second venv", base=os.path.join(d.tmpdir, "a dir"))
        install(d, v2, w, check=0)
        check_installed(v2, "3.11")
        assert facts_keys(d) == keys, facts_keys(d)
        for root, _, files in os.walk(v2):
            for f in files:
                if f in ("RECORD", "fab-script", "fab-cli"):
                    assert v1.encode() not in open(os.path.join(root, f), "rb").read(), f
    finally:
        d.close()


@test(timeout=300)
def other_pythons_and_a_recreated_venv_probe_again():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        v = venv(d, "v")
        install(d, v, w, check=0)
        n = 1
        for py, xy in ((PY38, "3.8"), (DEBIAN, "3.11")):
            if not os.path.exists(py):
                continue
            o = venv(d, "v" + xy + os.path.basename(py), python=py)
            install(d, o, w, check=0)
            check_installed(o, xy)
            n += 1
            assert len(facts_keys(d)) == n, facts_keys(d)
        # The same path recreated by another interpreter: its own facts, not the cached ones.
        if os.path.exists(PY312):
            shutil.rmtree(v)
            oracle.make_venv(PY312, v)
            install(d, v, w, check=0)
            check_installed(v, "3.12")
            assert len(facts_keys(d)) == n + 1, facts_keys(d)
    finally:
        d.close()


if __name__ == "__main__":
    main()
