"""test_install_modes.py: link modes, and the copy fallback across filesystems."""
import json
import os
import shutil
import tempfile

from install_helpers import PY, daemon, install, run, simple_wheel, site, store_object, venv
from tap import Skip, main, test

import wheelfab


def _works(d, v):
    """The install runs from v and verify is clean."""
    py = os.path.join(v, "bin/python")
    assert run([py, "-c", "import fab_simple; print(fab_simple.VALUE)"]).stdout == "1.0\n"
    assert run([os.path.join(v, "bin/fab-cli")]).stdout == "cli ok\n"
    d.whlc("verify", "--venv", v, check=0)


@test(timeout=300)
def venv_on_another_filesystem_falls_back_to_copy_once():
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(tempfile.gettempdir()).st_dev:
        raise Skip("/dev/shm is not another filesystem here")
    d = daemon()
    base = tempfile.mkdtemp(prefix="whlc-shm-", dir="/dev/shm")
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"),
                         extra={"fab_simple/m%d.py" % i: b"" for i in range(20)})
        v = venv(d, "venv", base=base)
        r = install(d, v, w)
        notes = [ln for ln in r.stderr.splitlines() if "falling back to copy" in ln]
        assert len(notes) == 1 and "EXDEV" in notes[0], r.stderr
        assert "(copy)" in r.stdout, r.stdout
        init = os.path.join(site(v), "fab_simple/__init__.py")
        assert os.stat(init).st_nlink == 1 and os.stat(init).st_mode & 0o777 == 0o644
        _works(d, v)
        j = json.loads(install(d, v, w, args=("--reinstall", "--json")).stdout)
        assert j["link_mode"] == "copy" and "EXDEV" in j["fallback"], j
    finally:
        d.close()
        shutil.rmtree(base, ignore_errors=True)


@test(timeout=300)
def copy_and_symlink_modes_and_environment_variable():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        v = venv(d, "copy")
        r = install(d, v, w, args=("--link-mode", "copy"))
        assert "(copy)" in r.stdout and "falling back" not in r.stderr, (r.stdout, r.stderr)
        init = os.path.join(site(v), "fab_simple/__init__.py")
        assert os.stat(init).st_ino != os.stat(store_object(d, init)).st_ino
        _works(d, v)
        v = venv(d, "sym")
        r = install(d, v, w, args=("--link-mode", "symlink"))
        assert "(symlink)" in r.stdout
        init = os.path.join(site(v), "fab_simple/__init__.py")
        assert os.path.islink(init) and os.path.realpath(init) == os.path.realpath(store_object(d, init))
        _works(d, v)
        v = venv(d, "env")
        env = d.env()
        env["WHLC_LINK_MODE"] = "copy"
        import cache_helpers
        r = run([cache_helpers.WHLC, "install", "--venv", v, w], env=env)
        assert r.returncode == 0 and "(copy)" in r.stdout, r.stdout + r.stderr
        r = d.whlc("install", "--venv", v, "--link-mode", "bogus", w, check=2)
        # clone: reflinks or a clear error, never a silent copy.
        v = venv(d, "clone")
        r = d.whlc("install", "--venv", v, "--link-mode", "clone", w)
        if r.returncode == 0:
            assert "(clone)" in r.stdout
            _works(d, v)
        else:
            assert "clone" in r.stderr and "--link-mode copy" in r.stderr, r.stderr
            assert not os.path.exists(os.path.join(site(v), "fab_simple"))
    finally:
        d.close()


if __name__ == "__main__":
    main()
