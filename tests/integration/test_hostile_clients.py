#!/usr/bin/env python3
"""test_hostile_clients.py: protocol attacks on the real whlcd while `whlc status` keeps answering.

Each test starts a private daemon, runs one kind of attack from many raw sockets,
and meanwhile runs `whlc status --json` in a loop (StatusProbe). It asserts that
every status call succeeded with the daemon's pid, that the attackers were dropped
(or answered with the right error), and that the daemon is still alive at the end.
Latency of status under attack is printed as TAP diagnostics (never asserted);
RELIABILITY.md records the numbers.
"""
import json
import os
import random
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mpack  # noqa: E402
from daemon import WHLC, Daemon, wait_for  # noqa: E402
from tap import main, test  # noqa: E402

VERSION = subprocess.run([WHLC, "--version"], stdout=subprocess.PIPE, text=True).stdout.split()[1]
FRAME_MAX = 16 * 1024 * 1024
SEED = int(os.environ.get("WHLC_HOSTILE_SEED", "1234"))


class StatusProbe:
    """Runs `whlc status --json` back to back in a thread; records latencies and failures."""

    def __init__(self, d, label):
        self.d, self.label = d, label
        self.lat, self.failures = [], []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            t0 = time.monotonic()
            rc, out, err = self.d.run_client(["status", "--json"], timeout=60)
            dt = time.monotonic() - t0
            if rc != 0 or json.loads(out)["pid"] != self.d.proc.pid:
                self.failures.append((rc, err))
            else:
                self.lat.append(dt)
            time.sleep(0.01)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(120)
        return False

    def check(self, min_calls=1):
        """Assert every call answered; print median and p99 latency (ms)."""
        assert not self.failures, "status failed under %s: %s" % (self.label, self.failures[:3])
        assert len(self.lat) >= min_calls, "only %d status calls under %s" % (len(self.lat), self.label)
        lat = sorted(self.lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print("# latency under %s: %d status calls, median %.1f ms, p99 %.1f ms, max %.1f ms"
              % (self.label, len(lat), statistics.median(lat) * 1e3, p99 * 1e3, lat[-1] * 1e3))
        sys.stdout.flush()


def short(obj, n=300):
    """repr of obj cut to n characters (assertion messages of huge requests)."""
    r = repr(obj)
    return r if len(r) <= n else r[:n] + "...(%d chars)" % len(r)


def connect(d, timeout=30):
    """A connected socket. connect() is blocking, as in whlc: with a timeout set, Python
    makes the socket non-blocking and a full listen backlog fails with EAGAIN instead of
    waiting for the daemon to accept."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.socket)
    s.settimeout(timeout)
    return s


def hello_frame(id_=1):
    return mpack.frame({"type": mpack.HELLO, "id": id_,
                        "body": {"proto": 1, "version": VERSION, "program": "hostile"}})


def read_until_closed(s, limit=1 << 20):
    """Read everything until the daemon closes; returns the bytes (raises on timeout)."""
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def frames_in(data):
    """Decode the complete frames in data."""
    out, p = [], 0
    while p + 4 <= len(data):
        n = struct.unpack(">I", data[p:p + 4])[0]
        if p + 4 + n > len(data):
            break
        out.append(mpack.unpack(data[p + 4:p + 4 + n]))
        p += 4 + n
    return out


def daemon_alive(d):
    assert d.proc.poll() is None, "whlcd died:\n" + d.log()[-4000:]
    rc, out, err = d.run_client(["status", "--json"])
    assert rc == 0 and json.loads(out)["pid"] == d.proc.pid, err


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@test(timeout=300)
def random_bytes_are_rejected():
    rng = random.Random(SEED)
    tried = 0
    with Daemon() as d:
        d.start()
        with StatusProbe(d, "random bytes") as probe:
            for i in range(300):
                s = connect(d)
                # Half start with a plausible small header, so the payload is parsed as msgpack.
                body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2048)))
                if i % 2:
                    body = struct.pack(">I", len(body)) + body
                try:
                    s.sendall(body)
                    s.shutdown(socket.SHUT_WR)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # already dropped: fine
                replies = frames_in(read_until_closed(s))
                s.close()
                for m in replies:
                    assert m["type"] in (mpack.REPLY_ERROR, mpack.REPLY_OK), m
                tried += 1
        probe.check()
        daemon_alive(d)
    print("# %d random inputs" % tried)


@test(timeout=300)
def huge_declared_lengths_are_refused_before_allocation():
    with Daemon() as d:
        d.start()
        with StatusProbe(d, "huge lengths") as probe:
            for n in (0xFFFFFFFF, 0x80000000, FRAME_MAX + 1, 1 << 30):
                for prefix in (b"", hello_frame()):
                    s = connect(d)
                    s.sendall(prefix + struct.pack(">I", n))
                    ms = frames_in(read_until_closed(s))
                    s.close()
                    assert ms and ms[-1]["code"] == "limit-exceeded", (n, ms)
            # Frames at the limit that never complete: 64 connections announce 16 MiB and
            # send 64 KiB. The daemon must not be made to hold 64 x 16 MiB.
            before = rss_kib(d.proc.pid)
            held = []
            for _ in range(64):
                s = connect(d)
                s.sendall(struct.pack(">I", FRAME_MAX) + b"\x00" * 65536)
                held.append(s)
            time.sleep(0.5)
            grown = rss_kib(d.proc.pid) - before
            print("# RSS grew by %d KiB for 64 partial 16 MiB frames" % grown)
            assert grown < 256 * 1024, grown  # far below 64 x 16 MiB = 1 GiB
            for s in held:
                s.close()
        probe.check()
        daemon_alive(d)


@test(timeout=300)
def deeply_nested_and_lying_msgpack_is_rejected():
    cases = [
        ("nested-arrays", b"\x91" * 100000 + b"\xc0"),
        ("nested-maps", b"\x81\xa1k" * 50000 + b"\xc0"),
        ("array32-count-lies", b"\xdd\xff\xff\xff\xff" + b"\xc0" * 16),
        ("map32-count-lies", b"\xdf\xff\xff\xff\xff"),
        ("str32-length-lies", b"\x81\xdb\xff\xff\xff\xff" + b"x" * 10),
        ("bin32-length-lies", b"\x81\xa1k\xc6\x7f\xff\xff\xff"),
        ("ext-type", b"\x81\xa1k\xd4\x01\x02"),
        ("reserved-byte", b"\x81\xa1k\xc1"),
        ("two-objects", b"\x80\x80"),
        ("many-elements", b"\xdd\x00\x20\x00\x00" + b"\xc0" * (0x200000)),
    ]
    with Daemon() as d:
        d.start()
        with StatusProbe(d, "nested msgpack") as probe:
            for name, payload in cases:
                for prefix in (b"", hello_frame()):
                    s = connect(d)
                    try:
                        s.sendall(prefix + struct.pack(">I", len(payload)) + payload)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    ms = frames_in(read_until_closed(s))
                    s.close()
                    assert ms and ms[-1]["type"] == mpack.REPLY_ERROR, (name, ms)
                    assert ms[-1]["code"] in ("protocol-error", "limit-exceeded"), (name, ms[-1])
        probe.check()
        daemon_alive(d)


@test(timeout=300)
def wrongly_typed_fields_and_requests_out_of_order_get_errors():
    big = 2 ** 64 - 1
    hello_ok = {"type": mpack.HELLO, "id": 1, "body": {"proto": 1, "version": VERSION}}
    cases = [
        # (frames before, the bad message, expected code)
        ([], {"type": "16", "id": 1}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": -1}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1.5}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1, "body": [1, 2]}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1, "body": {"proto": 1, "version": 7}}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1, "body": {"proto": -1, "version": VERSION}}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1, "body": {"proto": 1, "version": "x" * 100000}}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1, "body": {"proto": 1, "version": "a\0b"}}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1, "body": {"proto": 1, "version": b"\xff\xfe"}}, "protocol-error"),
        ([], {"type": mpack.HELLO, "id": 1, "body": {"proto": big, "version": VERSION}}, "version-mismatch"),
        ([], {"type": big, "id": big}, "unknown-request"),
        ([], {"id": 1}, "protocol-error"),
        ([], {"type": mpack.HELLO}, "protocol-error"),
        # Out of order: requests before hello, hello twice, replies and events sent by a client.
        ([], {"type": mpack.STATUS, "id": 2}, "bad-state"),
        ([], {"type": mpack.SHUTDOWN, "id": 2}, "bad-state"),
        ([], {"type": 32, "id": 2, "body": {"paths": ["/nonexistent.whl"]}}, "bad-state"),
        ([hello_ok], hello_ok, "bad-state"),
        ([hello_ok], {"type": mpack.REPLY_OK, "id": 5, "body": {}}, "unknown-request"),
        ([hello_ok], {"type": mpack.REPLY_ERROR, "id": 5}, "unknown-request"),
        ([hello_ok], {"type": mpack.EVENT, "id": 5}, "unknown-request"),
        ([hello_ok], {"type": 32, "id": 3, "body": {"paths": "not-a-list"}}, "protocol-error"),
        ([hello_ok], {"type": 32, "id": 3, "body": {"paths": [1, 2]}}, "protocol-error"),
        ([hello_ok], {"type": 32, "id": 3, "body": {"paths": ["x"] * 100000}}, "protocol-error"),
        ([hello_ok], {"type": mpack.TEST_SLEEP, "id": 3, "body": {"ms": "soon"}}, "protocol-error"),
    ]
    with Daemon() as d:
        d.start()
        with StatusProbe(d, "wrong types") as probe:
            for before, bad, code in cases:
                s = connect(d)
                s.sendall(b"".join(mpack.frame(m) for m in before) + mpack.frame(bad))
                ms = frames_in(read_until_closed(s))
                s.close()
                what = short(bad)
                assert len(ms) == len(before) + 1, (what, short(ms))
                last = ms[-1]
                assert last["type"] == mpack.REPLY_ERROR, (what, last)
                assert last["code"] == code and last["message"], (what, last)
        probe.check()
        daemon_alive(d)


@test(timeout=300)
def slow_partial_frames_do_not_block_others():
    with Daemon() as d:
        d.start()
        frame = hello_frame() + mpack.frame({"type": mpack.STATUS, "id": 2})
        socks = [connect(d, timeout=60) for _ in range(50)]
        with StatusProbe(d, "slowloris (50 connections, 1 byte / 20 ms)") as probe:
            for i in range(len(frame)):
                for s in socks:
                    s.sendall(frame[i:i + 1])
                time.sleep(0.02)
        # The trickled requests were complete and valid: each is answered.
        for s in socks:
            hello = mpack.recv_frame(s)
            status = mpack.recv_frame(s)
            assert hello["type"] == mpack.REPLY_OK and status["type"] == mpack.REPLY_OK, (hello, status)
            s.close()
        # Stalled headers: 3 of 4 length bytes, then nothing, while status keeps answering.
        stalled = [connect(d) for _ in range(50)]
        with StatusProbe(d, "stalled headers (50 connections)") as probe2:
            for s in stalled:
                s.sendall(b"\x00\x00\x00")
            time.sleep(2)
        for s in stalled:
            s.close()
        probe.check()
        probe2.check()
        daemon_alive(d)


@test(timeout=300)
def hundreds_of_idle_connections():
    with Daemon() as d:
        d.start()
        idle = []
        with StatusProbe(d, "600 idle connections") as probe:
            for i in range(600):
                s = connect(d)
                if i % 2:
                    s.sendall(hello_frame())  # idle after a successful hello
                idle.append(s)
            time.sleep(1)
        probe.check()
        daemon_alive(d)
        # The daemon holds a bounded number of them: the oldest idle ones were dropped.
        dropped = 0
        for s in idle:
            s.settimeout(0.2)
            try:
                data = s.recv(65536)
                while data:
                    ms = frames_in(data)
                    if any(m["type"] == mpack.REPLY_ERROR for m in ms):
                        dropped += 1
                        break
                    data = s.recv(65536)
                else:
                    dropped += 1
            except socket.timeout:
                pass
            except ConnectionResetError:
                dropped += 1
            s.close()
        print("# %d of 600 idle connections were dropped by the daemon" % dropped)
        assert dropped >= 600 - 256, dropped
        # Dropped as idle, or refused while every held connection was recent.
        log = d.log()
        assert "at the connection limit" in log or "too many connections" in log, log[-3000:]


@test(timeout=300)
def client_that_never_reads_is_dropped():
    with Daemon() as d:
        d.start()
        before = rss_kib(d.proc.pid)
        with StatusProbe(d, "clients not reading replies") as probe:
            for kind in ("status flood", "event flood"):
                s = connect(d, timeout=120)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.sendall(hello_frame())
                if kind == "status flood":
                    req = mpack.frame({"type": mpack.STATUS, "id": 9})
                    batch = req * 1000
                else:
                    # Test-only request: streams 1000 events of 64 KiB each (64 MiB).
                    batch = b"".join(mpack.frame({"type": mpack.TEST_SLEEP, "id": 100 + i,
                                                  "body": {"ms": 1, "events": 1000,
                                                           "event_bytes": 65536}})
                                     for i in range(2))
                drops_before = d.log().count("unread output; closing")
                dropped = False
                sent = 0
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    try:
                        s.sendall(batch)
                        sent += len(batch)
                    except (BrokenPipeError, ConnectionResetError):
                        dropped = True
                        break
                    except socket.timeout:
                        break
                    if kind == "event flood":
                        time.sleep(0.5)
                if not dropped:
                    # Everything the daemon sent before dropping us is readable, then EOF.
                    s.settimeout(60)
                    read_until_closed(s, limit=1 << 40)
                    dropped = True
                s.close()
                print("# %s: %d bytes of requests sent before the daemon dropped the client"
                      % (kind, sent))
                # Dropped for its unread output, not for another reason.
                wait_for(lambda: d.log().count("unread output; closing") > drops_before, 30,
                         "the output cap to drop the %s client" % kind)
        probe.check()
        daemon_alive(d)
        grown = rss_kib(d.proc.pid) - before
        print("# RSS grew by %d KiB after the non-reading clients were dropped" % grown)


@test(timeout=300)
def connection_limit_refuses_when_every_connection_is_busy():
    with Daemon() as d:
        # Every sleep runs at once, so the busy phase lasts seconds, not minutes.
        os.environ["UV_THREADPOOL_SIZE"] = "300"
        d.start()
        # Start from no other connection (the fixture's readiness probe has closed).
        wait_for(lambda: json.loads(d.run_client(["status", "--json"])[1])["counters"]
                 ["connections_active"] == 1, 30, "only the status connection")
        busy = []
        for i in range(256):
            s = connect(d, timeout=60)
            s.sendall(hello_frame() + mpack.frame({"type": mpack.TEST_SLEEP, "id": 2,
                                                   "body": {"ms": 3000}}))
            busy.append(s)
        for s in busy:
            assert mpack.recv_frame(s)["type"] == mpack.REPLY_OK  # hello; the sleep is in flight
        s = connect(d)
        s.sendall(hello_frame())
        ms = frames_in(read_until_closed(s))
        s.close()
        assert ms and ms[-1]["code"] == "limit-exceeded" and "all busy" in ms[-1]["message"], ms
        # whlc waits for a free slot (within its start timeout) instead of failing.
        t0 = time.monotonic()
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err
        print("# whlc status waited %.1f s for a connection slot" % (time.monotonic() - t0))
        for s in busy:
            m = mpack.recv_frame(s)
            assert m["type"] == mpack.REPLY_OK and m["id"] == 2, m
            s.close()
        wait_for(lambda: d.run_client(["status", "--json"])[0] == 0, 30, "status after the limit")
        daemon_alive(d)


if __name__ == "__main__":
    main()
