#!/usr/bin/env python3
"""test_foundation.py: the real whlcd and whlc over the protocol (issue 3)."""
import json
import os
import pwd
import signal
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import mpack  # noqa: E402
from daemon import WHLC, WHLCD, Daemon, pid_alive, wait_for  # noqa: E402
from tap import main, test  # noqa: E402

VERSION = subprocess.run([WHLC, "--version"], stdout=subprocess.PIPE, text=True).stdout.split()[1]


def expect_closed(sock):
    """The daemon closes the connection (EOF) after its error reply."""
    sock.settimeout(30)
    assert sock.recv(1) == b"", "connection still open"


@test
def hello_ok_and_version_mismatch():
    with Daemon() as d:
        d.start()
        c = mpack.RawClient(d.socket)
        r = c.hello("0.0.0-other")
        assert r["type"] == mpack.REPLY_ERROR and r["code"] == "version-mismatch", r
        assert "0.0.0-other" in r["message"] and VERSION in r["message"], r["message"]
        assert r["body"]["version"] == VERSION and r["body"]["proto"] == mpack.PROTO_VERSION
        expect_closed(c.sock)
        c = mpack.RawClient(d.socket)
        r = c.hello(VERSION, proto=mpack.PROTO_VERSION + 1)
        assert r["code"] == "version-mismatch", r
        assert "protocol %d" % (mpack.PROTO_VERSION + 1) in r["message"], r["message"]
        c = mpack.RawClient(d.socket)
        r = c.hello(VERSION)
        assert r["type"] == mpack.REPLY_OK and r["id"] == 1, r
        assert r["body"]["pid"] == d.proc.pid
        # A second hello on a ready connection is refused.
        _, r = c.call(mpack.HELLO, {"proto": 1, "version": VERSION})
        assert r["code"] == "bad-state", r


@test
def status_reports_pid_version_paths_counters():
    with Daemon() as d:
        d.start()
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err
        s = json.loads(out)
        assert s["pid"] == d.proc.pid and s["version"] == VERSION
        assert s["socket"] == d.socket and s["cache_dir"] == d.cache_dir
        assert s["uptime_s"] >= 0
        assert s["counters"]["connections_total"] >= 1 and s["counters"]["requests"] >= 2
        for lib in ("libuv", "sqlite", "libarchive", "msgpack"):
            assert s["libraries"][lib], lib
        rc, out, err = d.run_client(["status"])
        assert rc == 0, err
        assert "pid %d" % d.proc.pid in out and d.socket in out and d.cache_dir in out, out
        assert "connections:" in out and "errors:" in out, out
        log = d.log()
        assert "libuv" in log and "SQLite" in log and "msgpack-c" in log, log


@test
def client_replaces_autostarted_daemon_of_other_version():
    with Daemon() as d:
        old = d.start("--auto-started", "--test-version", "0.0.1-old")
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err + d.log()
        s = json.loads(out)
        assert s["version"] == VERSION and s["pid"] != old.pid, s
        assert old.wait(30) == 0
        assert d.pids() == [s["pid"]]


@test
def client_leaves_manual_daemon_of_other_version():
    with Daemon() as d:
        old = d.start("--test-version", "0.0.1-old")
        rc, out, err = d.run_client(["status"])
        assert rc == 3, (rc, out, err)
        assert "0.0.1-old" in err and "whlc daemon stop" in err, err
        assert old.poll() is None
        rc, out, err = d.run_client(["daemon", "stop"])
        assert rc == 0, err
        assert old.wait(30) == 0


@test
def eight_clients_start_exactly_one_daemon():
    with Daemon() as d:
        procs = [d.popen_client(["status", "--json"]) for _ in range(8)]
        results = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
        pids = set()
        for out, err, rc in results:
            assert rc == 0, err + d.log()
            pids.add(json.loads(out)["pid"])
        assert len(pids) == 1, pids
        assert d.pids() == sorted(pids), (d.pids(), pids)
        assert os.path.exists(os.path.join(d.cache_dir, "whlcd.log"))


def _hello_frame():
    return mpack.frame({"type": mpack.HELLO, "id": 1, "body": {"proto": 1, "version": VERSION}})


def _bad_inputs():
    hello = _hello_frame()
    return [
        ("garbage", b"\x00\x00\x00\x10GET / HTTP/1.1\r\n\r\n", "protocol-error"),
        ("oversize", struct.pack(">I", 0xFFFFFFF0), "limit-exceeded"),
        ("just-over-limit", struct.pack(">I", 16 * 1024 * 1024 + 1), "limit-exceeded"),
        ("not-a-map", mpack.frame([1, 2, 3]), "protocol-error"),
        ("type-is-string", mpack.frame({"type": "hello", "id": 1}), "protocol-error"),
        ("lying-count", b"\x00\x00\x00\x05\xdf\xff\xff\xff\xff", "protocol-error"),
        ("unknown-request", mpack.frame({"type": 999, "id": 7}), "unknown-request"),
        ("unassigned-id", mpack.frame({"type": 250, "id": 7}), "unknown-request"),
        ("before-hello", mpack.frame({"type": mpack.STATUS, "id": 3}), "bad-state"),
        ("hello-bad-body", mpack.frame({"type": mpack.HELLO, "id": 2, "body": {"proto": "x"}}),
         "protocol-error"),
        ("after-hello-garbage", hello + b"\x00\x00\x00\x01\xc1", "protocol-error"),
    ]


@test
def malformed_frames_get_error_then_close_and_daemon_survives():
    with Daemon() as d:
        d.start()
        for name, data, code in _bad_inputs():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            s.connect(d.socket)
            s.sendall(data)
            m = mpack.recv_frame(s)
            if name == "after-hello-garbage":
                assert m["type"] == mpack.REPLY_OK, m
                m = mpack.recv_frame(s)
            assert m["type"] == mpack.REPLY_ERROR and m["code"] == code, (name, m)
            assert m["message"], name
            expect_closed(s)
            s.close()
            rc, out, err = d.run_client(["status", "--json"])
            assert rc == 0 and json.loads(out)["pid"] == d.proc.pid, (name, err)
        # A frame cut short by the client closing: the daemon logs it and goes on.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(_hello_frame()[:-3])
        s.shutdown(socket.SHUT_WR)
        m = mpack.recv_frame(s)
        assert m["code"] == "protocol-error" and "truncated" in m["message"], m
        s.close()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(b"\x00\x00")
        s.close()
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err
        s = json.loads(out)
        assert s["counters"]["errors"] >= len(_bad_inputs()), s
        assert d.proc.poll() is None


@test
def peer_with_other_uid_is_refused():
    user = "whlc-test-peer"
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        user], check=True)
    pw = pwd.getpwnam(user)
    with Daemon() as d:
        d.start()
        # Open the way to the socket so that only SO_PEERCRED stands between.
        os.chmod(os.path.dirname(d.socket), 0o711)
        os.chmod(d.socket, 0o777)
        prefix = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups"]
        rc, out, err = d.run_client(["status"], prefix=prefix,
                                    env={"HOME": "/nonexistent"})
        assert rc == 3, (rc, out, err)
        assert "serves only uid 0" in err and "uid %d" % pw.pw_uid in err, err
        assert d.proc.poll() is None
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err
        assert "refused" in d.log()


@test
def sigterm_during_request_finishes_it_then_exits():
    with Daemon() as d:
        d.start()
        c = mpack.RawClient(d.socket)
        assert c.hello(VERSION)["type"] == mpack.REPLY_OK
        id_ = c.send(mpack.TEST_SLEEP, {"ms": 1500, "events": 3})
        first = c.recv()
        assert first["type"] == mpack.EVENT and first["id"] == id_, first
        d.proc.send_signal(signal.SIGTERM)
        msgs = [first]
        while msgs[-1]["type"] == mpack.EVENT:
            msgs.append(c.recv())
        final = msgs[-1]
        assert final["type"] == mpack.REPLY_OK and final["body"]["slept_ms"] == 1500, final
        assert [m["body"]["done"] for m in msgs[:-1]] == [1, 2, 3], msgs
        assert d.proc.wait(30) == 0
        assert not os.path.exists(d.socket)
        assert "SIGTERM" in d.log()


@test
def request_after_sigterm_on_open_connection_is_refused():
    with Daemon() as d:
        d.start()
        busy = mpack.RawClient(d.socket)
        busy.hello(VERSION)
        busy.send(mpack.TEST_SLEEP, {"ms": 1500})
        other = mpack.RawClient(d.socket)
        other.hello(VERSION)
        wait_for(lambda: "request 2 test-sleep" in d.log(), 30, "the sleep to start")
        d.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping (SIGTERM)" in d.log(), 30, "the daemon to stop")
        _, r = other.call(mpack.STATUS)
        assert r["code"] == "shutting-down", r
        assert busy.recv()["type"] == mpack.REPLY_OK
        assert d.proc.wait(30) == 0


@test
def client_during_graceful_stop_gets_a_new_daemon():
    with Daemon() as d:
        d.start()
        busy = mpack.RawClient(d.socket)
        busy.hello(VERSION)
        busy.send(mpack.TEST_SLEEP, {"ms": 1500})
        wait_for(lambda: "request 2 test-sleep" in d.log(), 30, "the sleep to start")
        d.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: not os.path.exists(d.socket), 30, "the socket to go")
        # The old daemon still holds the lock: the new one waits for it, then serves.
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err + d.log()
        assert json.loads(out)["pid"] != d.proc.pid
        assert busy.recv()["type"] == mpack.REPLY_OK
        assert d.proc.wait(30) == 0


@test
def idle_daemon_exits_but_never_during_a_request():
    with Daemon() as d:
        d.start("--idle-timeout", "1")
        c = mpack.RawClient(d.socket)
        c.hello(VERSION)
        _, r = c.call(mpack.TEST_SLEEP, {"ms": 2500})
        assert r["type"] == mpack.REPLY_OK, r
        assert d.proc.wait(30) == 0
        assert "idle timeout" in d.log()
        assert not os.path.exists(d.socket)


@test
def autostarted_daemon_is_detached_and_idle_exits():
    with Daemon() as d:
        rc, out, err = d.run_client(["status", "--json"], env={"WHLC_DAEMON_ARGS": "--idle-timeout 1"})
        assert rc == 0, err
        s = json.loads(out)
        assert s["auto_started"] and s["log_file"] == os.path.join(d.cache_dir, "whlcd.log")
        pid = s["pid"]
        wait_for(lambda: not pid_alive(pid), 30, "the idle daemon to exit")
        assert "idle timeout" in d.log()


@test
def stale_socket_of_killed_daemon_is_replaced():
    with Daemon() as d:
        d.start()
        old = d.proc.pid
        d.proc.kill()
        d.proc.wait()
        assert os.path.exists(d.socket)  # left behind
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err + d.log()
        assert json.loads(out)["pid"] != old
        # A manually started daemon replaces it too.
        subprocess.run([WHLC, "daemon", "stop"], env=d.env(), check=True, timeout=60)
        d.start()
        d.proc.kill()
        d.proc.wait()
        d.start()
        assert d.proc.poll() is None


@test
def daemon_stop_and_not_running():
    with Daemon() as d:
        rc, out, err = d.run_client(["daemon", "stop"])
        assert rc == 0 and "not running" in out, (rc, out, err)
        d.start()
        rc, out, err = d.run_client(["daemon", "stop"])
        assert rc == 0, err
        assert d.proc.wait(30) == 0
        assert not os.path.exists(d.socket)


@test
def unreachable_and_usage_exit_codes():
    with Daemon() as d:
        rc, out, err = d.run_client(["status"], env={"WHLC_DAEMON": "/nonexistent/whlcd"})
        assert rc == 3 and "/nonexistent/whlcd" in err, (rc, err)
        long_sock = os.path.join(d.dir, "x" * 120, "s.sock")
        rc, out, err = d.run_client(["--socket", long_sock, "status"])
        assert rc == 3 and "at most" in err, (rc, err)
        p = subprocess.run([WHLCD, "--foreground", "--socket", long_sock], stderr=subprocess.PIPE,
                           text=True, timeout=30)
        assert p.returncode == 1 and "at most" in p.stderr, p.stderr
        assert d.run_client(["no-such-command"])[0] == 2
        assert d.run_client([])[0] == 2
        assert d.run_client(["status", "--bogus"])[0] == 2
        rc, out, _ = d.run_client(["--help"])
        assert rc == 0 and "exit status" in out and "status" in out
        section = out.split("commands:")[1].split("options:")[0]
        commands = [line.split()[0] for line in section.splitlines() if line.strip()]
        assert "status" in commands and "daemon" in commands, out
        # No command pretends: every command listed answers its own --help.
        for c in commands:
            crc, cout, cerr = d.run_client([c, "--help"])
            assert crc == 0 and cout.strip(), (c, crc, cout, cerr)
        rc, out, _ = d.run_client(["status", "--help"])
        assert rc == 0 and "--json" in out
        rc, out, _ = d.run_client(["--version"])
        assert rc == 0 and VERSION in out


@test
def socket_directory_must_be_private():
    with Daemon() as d:
        os.makedirs(os.path.dirname(d.socket), mode=0o755)
        os.chmod(os.path.dirname(d.socket), 0o755)
        p = subprocess.run([WHLCD, "--foreground", "--socket", d.socket, "--cache-dir", d.cache_dir],
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert p.returncode == 1 and "chmod 700" in p.stderr, p.stderr
        os.rmdir(os.path.dirname(d.socket))
        os.symlink("/tmp", os.path.dirname(d.socket))
        p = subprocess.run([WHLCD, "--foreground", "--socket", d.socket, "--cache-dir", d.cache_dir],
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert p.returncode == 1 and "symlink" in p.stderr, p.stderr


@test
def systemd_socket_activation():
    with Daemon() as d:
        os.makedirs(os.path.dirname(d.socket), mode=0o700)
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(d.socket)
        ls.listen(16)
        fd = ls.fileno()
        # LISTEN_PID must be whlcd's own pid: the shell execs it, keeping its pid.
        move = "" if fd == 3 else "exec 3<&%d %d<&-; " % (fd, fd)
        script = move + 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"'
        log = open(d.log_path, "ab")
        d.proc = subprocess.Popen(["sh", "-c", script, "sh", WHLCD, "--foreground", "--socket",
                                   d.socket, "--cache-dir", d.cache_dir],
                                  pass_fds=[fd], stdout=log, stderr=log, env=d.env())
        log.close()
        ls.close()
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err + d.log()
        s = json.loads(out)
        assert s["socket_activated"] is True and s["pid"] == d.proc.pid, s
        assert d.stop() == 0
        assert os.path.exists(d.socket)  # systemd owns the socket file


@test
def concurrent_requests_from_threads_with_events():
    with Daemon() as d:
        d.start()
        errors = []

        def worker():
            try:
                c = mpack.RawClient(d.socket)
                c.hello(VERSION)
                ev, r = c.call(mpack.TEST_SLEEP, {"ms": 200, "events": 4})
                assert len(ev) == 4 and r["type"] == mpack.REPLY_OK, (ev, r)
                c.close()
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=worker) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        # A client that disconnects mid-request does not disturb the daemon.
        c = mpack.RawClient(d.socket)
        c.hello(VERSION)
        c.send(mpack.TEST_SLEEP, {"ms": 300, "events": 3})
        c.close()
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err
        wait_for(lambda: json.loads(d.run_client(["status", "--json"])[1])["counters"]["inflight"] == 1,
                 30, "the abandoned request to finish")


if __name__ == "__main__":
    main()
