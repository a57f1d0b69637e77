"""Self-tests of the benchmark harness (bench/): disk accounting, daemon memory, installer driver,
target evaluation. Fast, no timing assertions; the benchmark itself runs with `make bench`."""
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("WHLC_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "bench"))

import benchlib  # noqa: E402
import report  # noqa: E402
from tap import Skip, main, test  # noqa: E402


def _tmp(name):
    """A fresh private directory for one test."""
    return tempfile.mkdtemp(prefix="whlc-benchlib-%s-" % name)


def _write(path, size):
    """A file of size bytes (real data, so blocks are allocated)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(os.urandom(size))


@test
def disk_usage_counts_hardlinked_inodes_once():
    d = _tmp("disk")
    try:
        a, b = os.path.join(d, "a"), os.path.join(d, "b")
        _write(os.path.join(a, "pkg", "big.bin"), 64 * 1024)
        _write(os.path.join(a, "small.txt"), 100)
        os.symlink("pkg/big.bin", os.path.join(a, "link"))
        subprocess.run(["cp", "-al", a, b], check=True)  # b: new dirs, same file inodes
        _write(os.path.join(b, "own.bin"), 8192)
        ua = benchlib.disk_usage([a])
        both = benchlib.disk_usage([a, b])
        st_dir = os.lstat(os.path.join(b, "pkg"))
        dirs_b = os.lstat(b).st_size + st_dir.st_size
        # b adds its two directories and own.bin; the hardlinks (cp -al links the symlink
        # too) are free.
        assert both["apparent"] - ua["apparent"] == dirs_b + 8192, (ua, both)
        assert both["inodes"] - ua["inodes"] == 3, (ua, both)
        assert ua["apparent"] >= 64 * 1024 + 100
        assert ua["allocated"] >= 64 * 1024
        # The same tree listed twice counts once; a symlink to a big file is not followed.
        assert benchlib.disk_usage([a, a]) == ua
        per = benchlib.added_per_venv([a, b])
        assert per["added_apparent"] == dirs_b + 8192
        kinds = per["added_allocated_by_kind"]
        assert kinds["dir"] == (os.lstat(b).st_blocks + st_dir.st_blocks) * 512, kinds
        assert kinds["file"] == os.lstat(os.path.join(b, "own.bin")).st_blocks * 512, kinds
        assert kinds["symlink"] == 0, kinds
        # A copy is not free: cp -a duplicates every byte.
        c = os.path.join(d, "c")
        subprocess.run(["cp", "-a", a, c], check=True)
        assert benchlib.added_per_venv([a, c])["added_apparent"] == ua["apparent"]
    finally:
        shutil.rmtree(d)


@test
def proc_mem_reads_rss_and_peak_and_reset_lowers_peak():
    # A child that touches 96 MiB, frees it, then waits: peak >= 96 MiB, RSS far below.
    code = ("import sys\nb = b'x' * (96 << 20)\ndel b\nsys.stdout.write('ok\\n')\n"
            "sys.stdout.flush()\nsys.stdin.read()\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ok\n"
        m = benchlib.proc_mem(p.pid)
        assert m["hwm"] >= 96 << 20, m
        assert m["rss"] < m["hwm"] - (64 << 20), m
        if not benchlib.reset_peak(p.pid):
            raise Skip("/proc/PID/clear_refs not writable")
        m2 = benchlib.proc_mem(p.pid)
        assert m2["hwm"] < 64 << 20, m2
    finally:
        p.stdin.close()
        p.wait()


@test(timeout=120)
def installer_driver_installs_like_pip():
    import oracle
    import wheelfab
    if subprocess.run([benchlib.INSTALLER_PYTHON, "-c", "import installer"]).returncode:
        raise Skip("pypa/installer not importable by %s" % benchlib.INSTALLER_PYTHON)
    if not os.access(benchlib.PIP_PYTHON, os.X_OK):
        raise Skip("no %s" % benchlib.PIP_PYTHON)
    d = _tmp("driver")
    try:
        whl = wheelfab.build_wheel(d, "demo", "1.0",
                                   {"demo/__init__.py": b"X = 1\n",
                                    "demo/tool.sh": (b"#!/bin/sh\necho hi\n", 0o755)},
                                   entry_points={"console_scripts": {"demo": "demo:main"}},
                                   data={"scripts/run": (b"#!python\nprint(1)\n", 0o755)})
        whl2 = wheelfab.build_wheel(d, "other", "2.0", {"other.py": b"Y = 2\n"})
        pipv = benchlib.make_venv(os.path.join(d, "pip"))
        instv = benchlib.make_venv(os.path.join(d, "inst"))
        base, ibase = oracle.baseline_of(pipv), oracle.baseline_of(instv)
        oracle.pip_install(pipv, [whl, whl2])
        import run
        argv = run.Bench.installer_argv(instv, [whl, whl2])
        subprocess.run(argv, check=True)
        ps, ins = oracle.snapshot(pipv, base), oracle.snapshot(instv, ibase)
        gen = ("/INSTALLER", "/REQUESTED", "/direct_url.json")
        names = lambda s: sorted(k for k in s if not k.endswith(gen))  # noqa: E731
        # The same files land in the same places (launcher and RECORD bytes differ by tool).
        assert names(ps) == names(ins), (names(ps), names(ins))
        assert os.access(os.path.join(instv, "bin", "run"), os.X_OK)
        assert not any(k.endswith(".pyc") for k in ins), "the driver must not compile"
    finally:
        shutil.rmtree(d)


@test
def targets_report_met_and_not_met():
    res = {"install": {"whlc_warm": {"median": 1.0}, "cp_al": {"median": 1.0},
                       "pip": {"median": 20.0}, "whlc_cold": {"median": 2.0},
                       "installer": {"median": 10.0}},
           "small": {"whlc": {"median": 0.020}},
           "memory": {"idle_rss_max": 5 << 20, "peak_rss": 200 << 20},
           "concurrency": {"ratio": 0.5}}
    st = {t["target"]: t["status"] for t in report.targets(res)}
    assert st["warm corpus install / cp -al"] == "NOT MET"
    assert st["pip time / warm corpus install"] == "met"
    assert st["cold corpus install / pypa/installer"] == "met"
    assert st["one small wheel, warm, end to end"] == "NOT MET"
    assert st["bytes added per extra venv / corpus installed size"] == "not measured"
    assert st["daemon RSS idle"] == "met"
    assert st["daemon peak RSS during corpus install"] == "NOT MET"
    assert st["8 concurrent / 8 sequential warm installs"] == "met"


if __name__ == "__main__":
    main()
