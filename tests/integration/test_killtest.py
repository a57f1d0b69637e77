#!/usr/bin/env python3
"""test_killtest.py: kills and crashes (issue 8): the short kill test, killed clients, uninstalls.

The install-side power-loss equivalent of test_cache_crash.py (a crash between the links and
the commit point, failure points install-before-commit and install-mid-link) is
tests/integration/test_install_crash.py.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from install_helpers import PY, daemon, install, site, venv
from tap import main, test

sys.path.insert(0, os.path.join(cache_helpers.SRCDIR, "tests"))
import killtest  # noqa: E402

PIP = killtest.PIP_NEW


def _wait_file(path, proc=None, timeout=60):
    """Wait until path exists (a pause failure point was reached)."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "the failure point was not reached"
        assert proc is None or proc.poll() is None or os.path.exists(path), \
            "the client ended before the failure point: %s" % (proc.communicate(),)
        time.sleep(0.01)


def _run_releasing(d, args, pause):
    """Run whlc ARGS to completion (exit 0), releasing the still armed pause point each time
    it holds this command too."""
    p = subprocess.Popen([cache_helpers.WHLC] + args, env=d.env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    while p.poll() is None:
        if os.path.exists(pause):
            os.unlink(pause)
        time.sleep(0.01)
    out, err = p.communicate()
    assert p.returncode == 0, out + err
    return subprocess.CompletedProcess(args, 0, out, err)


def _whole(v):
    """Every distribution in v complete; returns {project: version}."""
    return killtest.check_venv(v, {})


@test(timeout=400)
def kill_daemon_and_client_20_iterations():
    # Tolerated until the upgrade stash keeps the old dist-info whole (branch installer2).
    r = killtest.run(20, seed=20261125, venvs=2, builddir=cache_helpers.BUILDDIR,
                     log=lambda s: print("# " + s), tolerate_pending=True)
    for line in r.summary().splitlines():
        print("# " + line)
    assert not r.failures, "\n".join(r.failures)
    assert sum(r.kills.values()) + sum(r.client_kills.values()) > 0


@test(timeout=120)
def client_killed_mid_install_releases_the_venv_lock():
    pause = tempfile.mktemp(prefix="whlc-pause-")
    d = daemon(env={"WHLCD_FAILPOINT": "install-mid-link:pause:" + pause})
    try:
        v = venv(d)
        p = subprocess.Popen([cache_helpers.WHLC, "install", "--venv", v, PIP], env=d.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_file(pause, p)
        p.send_signal(signal.SIGKILL)
        p.wait()
        os.unlink(pause)  # the daemon finishes (or rolls back) the orphaned install
        assert d.alive()
        # The next install into the same venv gets the lock and succeeds (the failure point
        # is still armed: release it each time it holds this install too).
        r = _run_releasing(d, ["install", "--venv", v, PIP], pause)
        # "+ pip==..." when the orphaned install was rolled back; the note "already installed"
        # (on stderr) when it was finished.
        assert "pip" in r.stdout or "already" in r.stderr, r.stdout + r.stderr
        assert _whole(v) == {"pip": "23.2.1"}
        assert d.whlc("verify", "--venv", v).returncode == 0
        assert d.whlc("cache", "verify").returncode == 0
        assert d.whlc("status").returncode == 0 and d.alive()
    finally:
        d.close()


@test(timeout=120)
def client_killed_mid_cache_add_leaves_a_clean_cache():
    pause = tempfile.mktemp(prefix="whlc-pause-")
    d = daemon(env={"WHLCD_FAILPOINT": "ingest-before-commit:pause:" + pause})
    try:
        p = subprocess.Popen([cache_helpers.WHLC, "cache", "add", PIP], env=d.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_file(pause, p)
        p.send_signal(signal.SIGKILL)
        p.wait()
        os.unlink(pause)
        assert d.alive()
        r = _run_releasing(d, ["cache", "add", PIP], pause)
        assert r.stdout.startswith(("added pip==23.2.1", "cached pip==23.2.1")), r.stdout
        d.check_objects()
        assert d.tmp_files() == [], d.tmp_files()
        assert d.whlc("cache", "verify").returncode == 0
        v = venv(d)
        install(d, v, PIP, check=0)
        assert _whole(v) == {"pip": "23.2.1"}
    finally:
        d.close()


@test(timeout=300)
def uninstall_killed_anywhere_leaves_the_distribution_whole_or_gone():
    d = daemon()
    try:
        v = venv(d)
        install(d, v, PIP, check=0)
        t0 = time.monotonic()
        d.whlc("uninstall", "--venv", v, "pip", check=0)
        dur = time.monotonic() - t0
        states = set()
        for i in range(6):
            install(d, v, PIP, check=0)
            # A client that finds the daemon already dead must not start another one.
            p = subprocess.Popen([cache_helpers.WHLC, "uninstall", "--venv", v, "pip"],
                                 env=d.env({"WHLC_DAEMON": "/bin/false"}),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(dur * i / 6)
            d.proc.kill()
            d.proc.wait()
            p.communicate()
            # A client that reached no daemon auto-started one (in the cache dir): stop it,
            # so that the fixture's daemon serves the rest.
            for pid in d.pids():
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while d.pids():  # its lock goes with the process
                assert time.monotonic() < deadline, d.pids()
                time.sleep(0.01)
            states.add(tuple(_whole(v)))  # RECORD complete, or no dist-info
            d.start(env={})
            r = d.whlc("uninstall", "--venv", v, "pip")
            assert r.returncode == 0 or "not installed" in r.stderr, r.stderr
            left = [f for f in os.listdir(site(v))]
            assert left == [], left
            assert sorted(os.listdir(os.path.join(v, "bin"))) == sorted(
                f for f in os.listdir(os.path.join(v, "bin")) if not f.startswith("pip")), v
        print("# states seen after the kills: %s" % sorted(states))
    finally:
        d.close()


@test(timeout=120)
def interrupted_uninstall_is_finished_by_the_next_operation():
    d = daemon()
    try:
        v = venv(d)
        install(d, v, PIP, check=0)
        sp = site(v)
        # The state of a daemon killed after the commit point: dist-info renamed, some files gone.
        os.rename(os.path.join(sp, "pip-23.2.1.dist-info"),
                  os.path.join(sp, ".whlc-uninstall-pip-23.2.1.dist-info.pending"))
        os.unlink(os.path.join(sp, "pip", "__init__.py"))
        assert _whole(v) == {}
        assert "pip" not in d.whlc("list", "--venv", v).stdout
        install(d, v, killtest.PIP_OLD, check=0)  # the next operation finishes it first
        assert _whole(v) == {"pip": "23.0.1"}
        assert not [f for f in os.listdir(sp) if f.startswith(".whlc")], os.listdir(sp)
        r = d.whlc("verify", "--venv", v)
        assert r.returncode == 0, r.stdout + r.stderr
        # pip 23.2.1 files that 23.0.1 does not have are gone.
        assert not os.path.exists(os.path.join(sp, "pip", "_internal", "utils",
                                               "_jaraco_text.py"))
    finally:
        d.close()


@test(timeout=120)
def interrupted_uninstall_prunes_directories_whose_subdirectories_are_gone():
    import shutil
    from install_helpers import simple_wheel
    d = daemon()
    try:
        v = venv(d)
        w = simple_wheel(os.path.join(d.tmpdir, "w"))
        install(d, v, w, check=0)
        sp = site(v)
        di = [f for f in os.listdir(sp) if f.endswith(".dist-info")][0]
        # Killed while pruning: share/fab was removed, share (now empty) was not yet.
        os.rename(os.path.join(sp, di), os.path.join(sp, ".whlc-uninstall-%s.pending" % di))
        shutil.rmtree(os.path.join(v, "share", "fab"))
        r = d.whlc("uninstall", "--venv", v, "fab-simple")
        assert "not installed" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(v, "share")), os.listdir(os.path.join(v, "share"))
        assert not os.path.exists(os.path.join(sp, "fab_simple"))
        assert not [f for f in os.listdir(sp) if f.startswith(".whlc")], os.listdir(sp)
    finally:
        d.close()


@test(timeout=120)
def verify_right_after_a_crash_in_an_eviction_is_clean():
    import sqlite3
    d = daemon()
    try:
        d.whlc("cache", "add", PIP, killtest.PIP_OLD, killtest.SETUPTOOLS, check=0)
        d.proc.kill()
        d.proc.wait()
        # A prune killed after its commit and before unlinking: files without rows.
        db = sqlite3.connect(os.path.join(d.cache, "catalog.db"))
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM wheels")
        db.execute("DELETE FROM objects")
        db.commit()
        db.close()
        d.start(env={})
        r = d.whlc("cache", "verify")  # while the startup scan may still be adopting them
        assert r.returncode == 0, r.stdout[:2000] + r.stderr
        d.check_objects()
    finally:
        d.close()


@test(timeout=300)
def verify_during_eviction_reports_no_false_problems():
    from life_helpers import LifeDaemon
    d = LifeDaemon(tempfile.mkdtemp(prefix="whlc-kt-"), config={"grace-period": "0"}).start()
    try:
        wheels = [PIP, killtest.PIP_OLD, killtest.SETUPTOOLS]
        bad = []
        for _ in range(6):
            d.whlc("cache", "add", *wheels, check=0)
            p = subprocess.Popen([cache_helpers.WHLC, "cache", "prune", "--max-size", "0"],
                                 env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            while p.poll() is None:
                r = d.whlc("cache", "verify")
                if r.returncode != 0:
                    bad.append(r.stdout.splitlines()[:3])
            assert p.wait() == 0, p.communicate()
        assert not bad, bad
        assert d.whlc("cache", "verify").returncode == 0
    finally:
        d.close()


@test(timeout=180)
def verify_during_an_ingest_reports_no_false_problems():
    """With no grace period, the temporaries an ingest is writing and the objects it published
    but has not committed yet are the ingest's, not leftovers: verify stays clean. Once the
    ingest fails, what it leaves is reported (and repaired)."""
    from life_helpers import LifeDaemon
    for point in ("ingest-before-publish", "ingest-before-commit"):
        pause = tempfile.mktemp(prefix="whlc-pause-")
        d = LifeDaemon(tempfile.mkdtemp(prefix="whlc-kt-"), config={"grace-period": "0"},
                       env={"WHLCD_FAILPOINT": "%s:pause:%s" % (point, pause)}).start()
        try:
            p = subprocess.Popen([cache_helpers.WHLC, "cache", "add", PIP], env=d.env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _wait_file(pause, p)
            held = d.tmp_files() if point == "ingest-before-publish" else d.object_files()
            assert held, "the paused ingest holds nothing at %s" % point
            r = d.whlc("cache", "verify")
            assert r.returncode == 0, (point, r.stdout[:2000] + r.stderr)
            p.send_signal(signal.SIGKILL)  # the client goes; the daemon finishes the ingest
            p.wait()
            os.unlink(pause)
            deadline = time.monotonic() + 60
            while d.counts()["wheels"] == 0:
                assert time.monotonic() < deadline, "the orphaned ingest never committed"
                time.sleep(0.05)
            r = d.whlc("cache", "verify")
            assert r.returncode == 0, (point, r.stdout[:2000] + r.stderr)
            assert d.tmp_files() == [], d.tmp_files()
        finally:
            if os.path.exists(pause):
                os.unlink(pause)  # a paused worker would hold up the daemon's exit
            d.close()


if __name__ == "__main__":
    main()
