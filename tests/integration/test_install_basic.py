"""test_install_basic.py: whlc install of pure wheels: layout, generated files, RECORD, links."""
import json
import os
import stat

from install_helpers import (PY, b64sha, daemon, install, record_rows, run, simple_wheel, site,
                             store_object, venv)
from tap import main, test

import wheelfab


@test(timeout=300)
def layout_scripts_launchers_and_generated_files():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        r = install(d, v, w)
        assert "+ fab-simple==1.0" in r.stdout.splitlines(), r.stdout
        assert "Installed 1 packages in" in r.stdout and "(hardlink)" in r.stdout, r.stdout
        sp = site(v)
        # Layout: root and .data/purelib in purelib, scripts in bin, headers, data.
        for p in ("fab_simple/__init__.py", "fab_simple_pure.py"):
            assert os.path.isfile(os.path.join(sp, p)), p
        assert open(os.path.join(v, "include/site/python3.11/fab-simple/fab.h")).read() == "#define FAB 1\n"
        assert open(os.path.join(v, "share/fab/data.txt")).read() == "data\n"
        assert not [x for x in os.listdir(sp) if x.endswith(".data") or x.startswith(".whlc")]
        # #!python script rewritten to the venv's interpreter, fresh file (not a store link).
        s = os.path.join(v, "bin", "fab-script")
        assert open(s).readline() == "#!%s/bin/python\n" % v
        assert os.stat(s).st_nlink == 1 and os.stat(s).st_mode & 0o111
        assert run([s]).stdout == "script ok\n"
        # A script without #!python is the store object itself (hardlink).
        p = os.path.join(v, "bin", "plain.sh")
        assert os.stat(p).st_ino == os.stat(store_object(d, p)).st_ino
        assert run([p]).stdout == "plain\n"
        # Launcher: written fresh, 0755, runs.
        cli = os.path.join(v, "bin", "fab-cli")
        assert stat.S_IMODE(os.stat(cli).st_mode) == 0o755 and os.stat(cli).st_nlink == 1
        assert run([cli]).stdout == "cli ok\n"
        # Hardlinks share inodes with the store objects; exec bits from the object.
        init = os.path.join(sp, "fab_simple/__init__.py")
        assert os.stat(init).st_ino == os.stat(store_object(d, init)).st_ino
        assert not os.stat(init).st_mode & 0o111
        # Generated dist-info files.
        di = os.path.join(sp, "fab_simple-1.0.dist-info")
        assert open(os.path.join(di, "INSTALLER")).read() == "whlc\n"
        assert open(os.path.join(di, "REQUESTED")).read() == ""
        sha = __import__("hashlib").sha256(open(w, "rb").read()).hexdigest()
        assert open(os.path.join(di, "direct_url.json")).read() == (
            '{"archive_info": {"hash": "sha256=%s", "hashes": {"sha256": "%s"}}, '
            '"url": "file://%s"}' % (sha, sha, w))
        # RECORD covers every installed file, hashes and sizes right, own row empty.
        rows = record_rows(v, "fab_simple-1.0.dist-info")
        paths = [r[0] for r in rows]
        assert paths == sorted(paths)
        assert ["fab_simple-1.0.dist-info/RECORD", "", ""] in rows
        for path, h, size in rows:
            if path.endswith("/RECORD"):
                continue
            data = open(os.path.normpath(os.path.join(sp, path)), "rb").read()
            assert h == b64sha(data) and int(size) == len(data), path
        for must in ("../../../bin/fab-cli", "../../../bin/fab-script",
                     "fab_simple-1.0.dist-info/INSTALLER", "fab_simple-1.0.dist-info/REQUESTED",
                     "fab_simple-1.0.dist-info/direct_url.json",
                     "../../../include/site/python3.11/fab-simple/fab.h",
                     "../../../share/fab/data.txt"):
            assert must in paths, must
        assert b"\r\n" in open(os.path.join(di, "RECORD"), "rb").read()
        # It imports with the venv's python, and verify is clean.
        assert run([os.path.join(v, "bin/python"), "-c", "import fab_simple; print(fab_simple.VALUE)"]).stdout == "1.0\n"
        d.whlc("verify", "--venv", v, check=0)
    finally:
        d.close()


@test(timeout=300)
def same_version_skipped_unless_reinstall_and_json():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        install(d, v, w)
        r = install(d, v, w)
        assert "+ " not in r.stdout and "already installed" in r.stderr, (r.stdout, r.stderr)
        r = install(d, v, w, args=("--reinstall",))
        assert r.stdout.splitlines()[:2] == ["- fab-simple==1.0", "+ fab-simple==1.0"], r.stdout
        r = install(d, v, w, args=("--reinstall", "--json"))
        j = json.loads(r.stdout)
        assert j["installed"] == [{"name": "fab-simple", "version": "1.0"}], j
        assert j["removed"] == [{"name": "fab-simple", "version": "1.0"}], j
        assert j["link_mode"] == "hardlink" and j["fallback"] is None and "elapsed_ms" in j
        assert isinstance(j["warnings"], list)
        r = install(d, v, w, args=("--reinstall", "--quiet"))
        assert r.stdout == "" and r.stderr == ""
        d.whlc("verify", "--venv", v, check=0)
    finally:
        d.close()


@test(timeout=300)
def dry_run_changes_nothing_and_venv_from_environment():
    d = daemon()
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        before = sorted(os.listdir(site(v)))
        r = install(d, v, w, args=("--dry-run",))
        assert "+ fab-simple==1.0" in r.stdout and sorted(os.listdir(site(v))) == before
        # $VIRTUAL_ENV, then ./.venv relative to the client's cwd.
        env = d.env()
        env["VIRTUAL_ENV"] = v
        r = run([cache_whlc(), "install", w], env=env)
        assert r.returncode == 0 and os.path.isdir(os.path.join(site(v), "fab_simple")), r.stderr
        v2 = venv(d, ".venv", base=os.path.join(d.tmpdir, "proj"))
        env.pop("VIRTUAL_ENV")
        r = run([cache_whlc(), "install", w], env=env, cwd=os.path.dirname(v2))
        assert r.returncode == 0 and os.path.isdir(os.path.join(site(v2), "fab_simple")), r.stderr
        # Not a venv: an error naming pyvenv.cfg.
        r = d.whlc("install", "--venv", d.tmpdir, w, check=1)
        assert "pyvenv.cfg" in r.stderr, r.stderr
    finally:
        d.close()


def cache_whlc():
    """The client binary."""
    import cache_helpers
    return cache_helpers.WHLC


@test(timeout=300)
def incompatible_wheel_is_an_error_listing_tags():
    d = daemon()
    try:
        w = wheelfab.build_wheel(os.path.join(d.tmpdir, "w"), "fab-win", "1.0",
                                 {"fab_win.py": b""}, tag="cp311-cp311-win_amd64")
        v = venv(d)
        r = install(d, v, w, check=1)
        assert "cp311-cp311-win_amd64" in r.stderr and "most specific tag is cp311-cp311-" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(site(v), "fab_win.py"))
    finally:
        d.close()


@test(timeout=300)
def dist_info_appears_only_when_complete():
    # The failure point sits after every file is written, before the dist-info's rename:
    # nothing of the distribution may remain visible.
    d = daemon(env={"WHLCD_FAILPOINT": "install-before-commit:error"})
    try:
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        v = venv(d)
        before = set(os.listdir(site(v)))
        r = install(d, v, w, check=1)
        assert "install-before-commit" in r.stderr, r.stderr
        assert set(os.listdir(site(v))) == before, os.listdir(site(v))
        assert not os.path.exists(os.path.join(v, "bin", "fab-cli"))
        r = d.whlc("list", "--venv", v, check=0)
        assert r.stdout == "", r.stdout
    finally:
        d.close()


@test(timeout=300)
def list_verify_and_uninstall_with_pip_installed_dists():
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        w = simple_wheel(out)
        other = wheelfab.build_wheel(out, "Fab.Other", "2.0", {"fab_other.py": b"Y = 2\n"})
        v = venv(d)
        install(d, v, w)
        import oracle
        oracle.pip_install(v, [other])
        r = d.whlc("list", "--venv", v, check=0)
        assert r.stdout.splitlines() == ["fab-other==2.0 (pip)", "fab-simple==1.0 (whlc)"], r.stdout
        d.whlc("verify", "--venv", v, check=0)
        sp = site(v)
        # A modified file (same size), a removed file, a changed exec bit.
        mod = os.path.join(sp, "fab_simple/cli.py")
        data = open(mod, "rb").read()
        os.unlink(mod)  # never write through a store link
        open(mod, "wb").write(data.replace(b"cli ok", b"cli KO"))
        os.unlink(os.path.join(sp, "fab_simple_pure.py"))
        plain = os.path.join(v, "bin", "plain.sh")
        data = open(plain, "rb").read()
        os.unlink(plain)
        open(plain, "wb").write(data)
        os.chmod(plain, 0o644)
        r = d.whlc("verify", "--venv", v, check=1)
        lines = r.stdout.splitlines()
        assert "fab-simple: modified fab_simple/cli.py" in lines, lines
        assert "fab-simple: missing fab_simple_pure.py" in lines, lines
        assert "fab-simple: mode ../../../bin/plain.sh" in lines, lines
        assert not [x for x in lines if x.startswith("fab-other")], lines
        # Uninstall: files, launchers gone; the pip one stays; unknown name is an error.
        r = d.whlc("uninstall", "--venv", v, "FAB_simple", check=0)
        assert r.stdout == "- fab-simple==1.0\n", r.stdout
        assert not os.path.exists(os.path.join(sp, "fab_simple"))
        assert not os.path.exists(os.path.join(v, "bin", "fab-cli"))
        assert os.path.exists(os.path.join(sp, "fab_other.py"))
        r = d.whlc("uninstall", "--venv", v, "fab-simple", check=1)
        assert "not installed" in r.stderr, r.stderr
        # No RECORD: uninstall and replace refused, naming the installer.
        os.unlink(os.path.join(sp, "Fab.Other-2.0.dist-info", "RECORD")
                  if os.path.isdir(os.path.join(sp, "Fab.Other-2.0.dist-info"))
                  else os.path.join(sp, "fab_other-2.0.dist-info", "RECORD"))
        r = d.whlc("uninstall", "--venv", v, "fab-other", check=1)
        assert "pip" in r.stderr and "RECORD" in r.stderr, r.stderr
        w3 = wheelfab.build_wheel(out, "Fab.Other", "3.0", {"fab_other.py": b"Y = 3\n"})
        r = install(d, v, w3, check=1)
        assert "pip" in r.stderr and "RECORD" in r.stderr, r.stderr
        assert open(os.path.join(sp, "fab_other.py")).read() == "Y = 2\n"
    finally:
        d.close()


if __name__ == "__main__":
    main()
