#!/usr/bin/env python3
"""test_install_par.py: the wheels of one request installed in parallel (daemon/install_par.c),
with pip's sequential result: a later wheel overwrites an earlier one's file, upgrades run
alone, the first failure keeps the wheels before it and leaves no trace of the ones after it,
and the wheels really are linked at the same time (a pause failure point holds one wheel
while another one's files appear)."""
import json
import os
import subprocess
import tempfile
import time

import cache_helpers
from install_helpers import daemon, install, site, venv
from tap import main, test

import oracle
import wheelfab


def _wait(pred, what, proc=None, timeout=60):
    """Wait until pred() holds (no timing assertion: the timeout only bounds a hang)."""
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        assert proc is None or proc.poll() is None, \
            "the install ended first: %s" % (proc.communicate(),)
        time.sleep(0.01)


def _pkg(name, n, extra=None, entry=None):
    """Files of a package with n modules, plus extra."""
    mod = name.replace("-", "_")
    f = {"%s/__init__.py" % mod: b"NAME = %r\n" % name.encode()}
    for i in range(n):
        f["%s/m%03d.py" % (mod, i)] = b"I = %d\n" % i
    f.update(extra or {})
    return f


def _overlapping(out):
    """Wheels that share paths in several ways, and one of them in two versions.

    pip 23.2.1 installs the wheels of a command in reverse order of their project names
    (resolver.get_installation_order sorts by dependency weight, then name, reversed), whlc
    in the order given: the names below make both orders the same."""
    w = {}
    w["zz"] = wheelfab.build_wheel(out, "par-zz", "1.0", _pkg("par-zz", 60))
    # Big, then small: a wrong scheduler would let the small later one finish first.
    w["z"] = wheelfab.build_wheel(out, "par-z", "1.0", _pkg("par-z", 300, {
        "shared/common.py": b"OWNER = 'z'\n", "par_top.py": b"T = 'z'\n"}),
        entry_points={"console_scripts": {"par-tool": "par_z:NAME"}})
    w["y"] = wheelfab.build_wheel(out, "par-y", "1.0", _pkg("par-y", 3, {
        "shared/common.py": b"OWNER = 'y'\n"}))
    w["u1"] = wheelfab.build_wheel(os.path.join(out, "u1"), "par-u", "1.0", _pkg("par-u", 20, {
        "par_u/only_1.py": b""}))
    w["u2"] = wheelfab.build_wheel(os.path.join(out, "u2"), "par-u", "2.0", _pkg("par-u", 25, {
        "par_u/only_2.py": b"", "shared/common.py": b"OWNER = 'u2'\n"}))
    w["t"] = wheelfab.build_wheel(out, "par-t", "1.0", _pkg("par-t", 40),
                                  entry_points={"console_scripts": {"par-tool": "par_t:NAME"}})
    w["s"] = wheelfab.build_wheel(out, "par-s", "1.0", _pkg("par-s", 5, {
        "par_top.py": b"T = 's'\n", "shared/other.py": b"S = 1\n"}))
    return w


@test(timeout=600)
def overlapping_wheels_give_exactly_pips_venv():
    d = daemon()
    try:
        w = _overlapping(os.path.join(d.tmpdir, "w"))
        base = os.path.join(d.tmpdir, "oracle")
        pv = oracle.make_venv(oracle.PIP_PYTHON, os.path.join(base, "pip"))
        wv = oracle.make_venv(oracle.PIP_PYTHON, os.path.join(base, "whlc"))
        # An installed version to upgrade in the middle of the request.
        oracle.pip_install(pv, [w["u1"]])
        install(d, wv, w["u1"], check=0)
        order = [w["zz"], w["z"], w["y"], w["u2"], w["t"], w["s"]]
        oracle.pip_install(pv, order)
        r = install(d, wv, *order, check=0)
        lines = [ln for ln in r.stdout.splitlines() if ln[:2] in ("+ ", "- ")]
        assert lines == ["+ par-zz==1.0", "+ par-z==1.0", "+ par-y==1.0", "- par-u==1.0",
                         "+ par-u==2.0", "+ par-t==1.0", "+ par-s==1.0"], r.stdout
        open(os.path.join(pv, ".lock"), "a").close()  # whlc's (and uv's) venv lock file
        diffs = oracle.compare_venvs(pv, wv)
        assert not diffs, oracle.format_diffs(diffs)
        sp = site(wv)
        assert open(os.path.join(sp, "shared", "common.py")).read() == "OWNER = 'u2'\n"
        assert open(os.path.join(sp, "par_top.py")).read() == "T = 's'\n"
        assert "par_t" in open(os.path.join(wv, "bin", "par-tool")).read()
        # The overwritten files no longer match the earlier wheels' RECORDs, in both venvs.
        vp, vw = (d.whlc("verify", "--venv", x, check=1).stdout for x in (pv, wv))
        assert vp == vw and "par-z: modified par_top.py" in vw, (vp, vw)
    finally:
        d.close()


@test(timeout=300)
def wheels_given_out_of_pips_order_end_as_pips():
    """pip installs a command's wheels in reverse order of their project names, whatever the
    order given: two wheels writing one file leave the alphabetically first one's bytes."""
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        aa = wheelfab.build_wheel(out, "par-aa", "1.0", _pkg("par-aa", 2, {
            "shared/one.py": b"OWNER = 'aa'\n"}))
        bb = wheelfab.build_wheel(out, "par-bb", "1.0", _pkg("par-bb", 2, {
            "shared/one.py": b"OWNER = 'bb'\n"}))
        base = os.path.join(d.tmpdir, "oracle")
        pv = oracle.make_venv(oracle.PIP_PYTHON, os.path.join(base, "pip"))
        wv = oracle.make_venv(oracle.PIP_PYTHON, os.path.join(base, "whlc"))
        oracle.pip_install(pv, [aa, bb])
        install(d, wv, aa, bb, check=0)
        open(os.path.join(pv, ".lock"), "a").close()  # whlc's (and uv's) venv lock file
        diffs = oracle.compare_venvs(pv, wv)
        assert not diffs, oracle.format_diffs(diffs)
        assert open(os.path.join(site(wv), "shared", "one.py")).read() == "OWNER = 'aa'\n"
    finally:
        d.close()


@test(timeout=600)
def first_failure_keeps_earlier_wheels_and_leaves_no_trace_of_later_ones():
    # The names give pip's order (project names descending): ok1, then bad, then the others.
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        ok1 = wheelfab.build_wheel(out, "par-z-ok1", "1.0", _pkg("par-z-ok1", 30))
        bad = wheelfab.build_wheel(out, "par-m-bad", "1.0", _pkg("par-m-bad", 30, {
            "par_blocked.py": b"X = 1\n"}))
        later = [wheelfab.build_wheel(out, "par-a-later%d" % i, "1.0",
                                      _pkg("par-a-later%d" % i, 200),
                                      entry_points={"console_scripts":
                                                    {"par-a-later%d" % i: "par_a_later%d:NAME" % i}})
                 for i in range(3)]
        v = venv(d)
        before_bin = sorted(os.listdir(os.path.join(v, "bin")))
        # A directory where par-bad puts a file: linking over it fails (pip fails too).
        os.makedirs(os.path.join(site(v), "par_blocked.py", "keep"))
        r = install(d, v, ok1, bad, *later, check=None)
        assert r.returncode != 0, r.stdout
        assert "par_blocked.py" in r.stderr, r.stderr
        assert r.stdout.splitlines()[:1] == ["+ par-z-ok1==1.0"], r.stdout
        assert "par-a-later" not in r.stdout, r.stdout
        listing = sorted(os.listdir(site(v)))
        assert listing == ["par_blocked.py", "par_z_ok1", "par_z_ok1-1.0.dist-info"], listing
        assert sorted(os.listdir(os.path.join(v, "bin"))) == before_bin
        assert not [x for x in os.listdir(v) if x.startswith(".whlc-")], os.listdir(v)
        listed = json.loads(d.whlc("list", "--venv", v, "--json", check=0).stdout)["dists"]
        assert [x["name"] for x in listed] == ["par-z-ok1"], listed
        # Unblocked, the same request installs the rest.
        os.rmdir(os.path.join(site(v), "par_blocked.py", "keep"))
        os.rmdir(os.path.join(site(v), "par_blocked.py"))
        r = install(d, v, ok1, bad, *later, check=0)
        assert "+ par-a-later2==1.0" in r.stdout, r.stdout
        d.whlc("verify", "--venv", v, check=0)
    finally:
        d.close()


@test(timeout=300)
def wheels_of_one_request_are_linked_at_the_same_time():
    pause = tempfile.mktemp(prefix="whlc-pause-")
    d = daemon(env={"WHLCD_FAILPOINT": "install-mid-link:pause:" + pause})
    p = None
    try:
        out = os.path.join(d.tmpdir, "w")
        a = wheelfab.build_wheel(out, "par-x", "1.0", _pkg("par-x", 40))
        b = wheelfab.build_wheel(out, "par-y", "1.0", _pkg("par-y", 40))
        v = venv(d)
        sp = site(v)

        def linked(mod):
            dd = os.path.join(sp, mod)
            return os.path.isdir(dd) and any(f.startswith("m") for f in os.listdir(dd))

        p = subprocess.Popen([cache_helpers.WHLC, "install", "--venv", v, a, b], env=d.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait(lambda: os.path.exists(pause), "the pause point", p)
        # One wheel stands at the pause point: the other one's files appear meanwhile (one
        # after another, the second wheel would not start before the first is released).
        _wait(lambda: linked("par_x") and linked("par_y"), "files of both wheels", p)
        assert os.path.exists(pause) and p.poll() is None
        while p.poll() is None:  # release each wheel that reaches the point
            if os.path.exists(pause):
                os.unlink(pause)
            time.sleep(0.01)
        o, e = p.communicate()
        assert p.returncode == 0, o + e
        assert o.splitlines()[:2] == ["+ par-y==1.0", "+ par-x==1.0"], o  # pip's order
        d.whlc("verify", "--venv", v, check=0)
    finally:
        if p is not None and p.poll() is None:
            p.kill()
        if os.path.exists(pause):
            os.unlink(pause)
        d.close()


@test(timeout=120)
def stash_of_a_fresh_install_killed_while_removed_is_cleaned_up():
    # A fresh install's stash holds only its journal: removed journal first, then the
    # directory; a kill in between leaves an empty stash, which the next operation removes.
    d = daemon()
    try:
        out = os.path.join(d.tmpdir, "w")
        a = wheelfab.build_wheel(out, "par-a", "1.0", _pkg("par-a", 3))
        v = venv(d)
        os.mkdir(os.path.join(v, ".whlc-stash-Xk3q9Z"))
        r = install(d, v, a, check=0)
        assert "+ par-a==1.0" in r.stdout, r.stdout
        assert not [x for x in os.listdir(v) if x.startswith(".whlc-")], os.listdir(v)
        d.whlc("verify", "--venv", v, check=0)
    finally:
        d.close()


if __name__ == "__main__":
    main()
