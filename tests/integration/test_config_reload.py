#!/usr/bin/env python3
"""SIGHUP re-reads the configuration without a restart (daemon/reload.c), in system mode
(/etc/whlc/config: allow-lists and cache settings) and per user
($XDG_CONFIG_HOME/whlc/config); a file with an error keeps the current settings and the
log names the line."""
import json
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_helpers import A, C, GROUP, System, install, objects_ok, wait_for  # noqa: E402
from cache_helpers import Daemon  # noqa: E402
from tap import main, test  # noqa: E402


def hup(proc, log, marker):
    """SIGHUP proc and wait until log() holds one more marker line."""
    n = log().count(marker)
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: log().count(marker) > n, 30, "'%s' after SIGHUP" % marker)


def status(s, user):
    rc, out, err = s.client(user, ["status", "--json"])
    return rc, (json.loads(out) if rc == 0 else err)


@test(timeout=300)
def system_allow_list_and_size_limit_reload_on_sighup():
    with System() as s:
        s.start()
        rc, r = status(s, C)
        assert rc == 3 and C in r, (rc, r)
        # The administrator allows C and raises the limit: no restart.
        with open(s.config, "w") as f:
            f.write("allow-users = %s, %s\nallow-groups = %s\nmax-size = 3G\n" % (A, C, GROUP))
        hup(s.proc, s.log, "configuration reloaded")
        rc, r = status(s, C)
        assert rc == 0 and r["max_size"] == 3 << 30, (rc, r)
        vc = s.venv(C)
        rc, out, err = install(s, C, vc, s.wheel(C))
        assert rc == 0, (out, err, s.log())
        # A broken file: the error names the line, the current settings stay.
        with open(s.config, "w") as f:
            f.write("allow-users = %s\nmax-size = lots\n" % A)
        hup(s.proc, s.log, "configuration not reloaded")
        assert "%s:2: bad value 'lots' for max-size" % s.config in s.log(), s.log()
        rc, r = status(s, C)
        assert rc == 0 and r["max_size"] == 3 << 30, (rc, r)
        with open(s.config, "w") as f:
            f.write("allow-users = %s\nwhat is this\n" % A)
        hup(s.proc, s.log, "configuration not reloaded")
        assert "%s:2:" % s.config in s.log().split("configuration not reloaded")[-1], s.log()
        assert status(s, C)[0] == 0
        # A good file again: C is no longer allowed, A still is.
        with open(s.config, "w") as f:
            f.write("allow-users = %s\n" % A)
        hup(s.proc, s.log, "configuration reloaded")
        rc, r = status(s, C)
        assert rc == 3 and C in r, (rc, r)
        rc, r = status(s, A)
        assert rc == 0 and r["max_size"] == 0, (rc, r)
        assert s.proc.poll() is None
        objects_ok(s)


@test(timeout=120)
def user_settings_reload_on_sighup():
    tmp = tempfile.mkdtemp(prefix="whlc-reload-")
    xdg = os.path.join(tmp, "xdg")
    cfg = os.path.join(xdg, "whlc", "config")
    os.makedirs(os.path.dirname(cfg))
    with open(cfg, "w") as f:
        f.write("max-size = 1G\n")
    d = Daemon(tmp, env={"XDG_CONFIG_HOME": xdg}).start()
    try:
        def max_size():
            return json.loads(d.whlc("status", "--json", check=0).stdout)["max_size"]
        assert max_size() == 1 << 30
        with open(cfg, "w") as f:
            f.write("# bigger\nmax-size = 2G\ngrace-period = 2h\n")
        hup(d.proc, d.read_log, "configuration reloaded")
        assert max_size() == 2 << 30
        with open(cfg, "w") as f:
            f.write("max-size = 5G\nallow-users = me\n")  # not a per-user key
        hup(d.proc, d.read_log, "configuration not reloaded")
        assert "%s:2: unknown key 'allow-users'" % cfg in d.read_log(), d.read_log()
        assert max_size() == 2 << 30
        os.unlink(cfg)  # no file: the defaults, like at start
        hup(d.proc, d.read_log, "configuration reloaded")
        assert max_size() == 0
    finally:
        d.close()


@test(timeout=180)
def zip_bomb_limits_come_from_the_configuration():
    """max-unpacked and max-ratio (README, Configuration): read at start, applied on SIGHUP."""
    import random
    import wheelfab
    tmp = tempfile.mkdtemp(prefix="whlc-limits-")
    xdg = os.path.join(tmp, "xdg")
    cfg = os.path.join(xdg, "whlc", "config")
    os.makedirs(os.path.dirname(cfg))
    rnd = random.Random(7)
    big = wheelfab.build_wheel(os.path.join(tmp, "w"), "lim-big", "1.0",
                               {"lim_big/data.bin": os.urandom(300 << 10)})
    # 2 MiB from a 4-letter alphabet: deflate gets it to about a quarter (ratio about 4).
    squeezy = wheelfab.build_wheel(os.path.join(tmp, "w"), "lim-ratio", "1.0",
                                   {"lim_ratio/data.txt": bytes(rnd.choice(b"ACGT")
                                                                for _ in range(2 << 20))})
    with open(cfg, "w") as f:
        f.write("max-unpacked = 100K\nmax-ratio = 2\n")
    d = Daemon(tmp, env={"XDG_CONFIG_HOME": xdg}).start()
    try:
        r = d.whlc("cache", "add", big, check=1)
        assert "exceeds the limit of 102400 bytes" in r.stderr, r.stderr
        r = d.whlc("cache", "add", squeezy, check=1)
        assert "compression ratio above 2" in r.stderr, r.stderr
        with open(cfg, "w") as f:
            f.write("max-unpacked = 0\n")  # not a size limit: refused, the old limits stay
        hup(d.proc, d.read_log, "configuration not reloaded")
        assert "%s:1: bad value '0' for max-unpacked" % cfg in d.read_log(), d.read_log()
        assert "exceeds the limit" in d.whlc("cache", "add", big, check=1).stderr
        os.unlink(cfg)  # the defaults (8G, 500)
        hup(d.proc, d.read_log, "configuration reloaded")
        d.whlc("cache", "add", big, squeezy, check=0)
    finally:
        d.close()


if __name__ == "__main__":
    main()
