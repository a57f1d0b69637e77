"""mpack.py: a tiny msgpack encoder/decoder and whlc frame helpers for tests.

Python's msgpack module is not installed on the test machines, so tests that
speak the protocol directly use this. It covers the types the protocol uses:
nil, bool, int, float, str, bin, array, map.
"""
import socket
import struct


def pack(obj):
    """Encode obj as msgpack bytes."""
    if obj is None:
        return b"\xc0"
    if obj is True:
        return b"\xc3"
    if obj is False:
        return b"\xc2"
    if isinstance(obj, int):
        if 0 <= obj <= 0x7F:
            return bytes([obj])
        if -32 <= obj < 0:
            return struct.pack(">b", obj)
        if 0 <= obj < 2**64:
            return b"\xcf" + struct.pack(">Q", obj)
        return b"\xd3" + struct.pack(">q", obj)
    if isinstance(obj, float):
        return b"\xcb" + struct.pack(">d", obj)
    if isinstance(obj, str):
        b = obj.encode("utf-8")
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(obj, (bytes, bytearray)):
        return b"\xc6" + struct.pack(">I", len(obj)) + bytes(obj)
    if isinstance(obj, (list, tuple)):
        return b"\xdd" + struct.pack(">I", len(obj)) + b"".join(pack(x) for x in obj)
    if isinstance(obj, dict):
        out = b"\xdf" + struct.pack(">I", len(obj))
        for k, v in obj.items():
            out += pack(k) + pack(v)
        return out
    raise TypeError("cannot pack %r" % (obj,))


def unpack(data):
    """Decode one msgpack object that must fill data exactly."""
    obj, pos = _unpack(data, 0)
    if pos != len(data):
        raise ValueError("trailing bytes after msgpack object")
    return obj


def _unpack(d, p):
    b = d[p]
    p += 1
    if b <= 0x7F:
        return b, p
    if b >= 0xE0:
        return b - 256, p
    if 0x80 <= b <= 0x8F:
        return _map(d, p, b & 0x0F)
    if 0x90 <= b <= 0x9F:
        return _array(d, p, b & 0x0F)
    if 0xA0 <= b <= 0xBF:
        n = b & 0x1F
        return d[p:p + n].decode("utf-8"), p + n
    if b == 0xC0:
        return None, p
    if b == 0xC2:
        return False, p
    if b == 0xC3:
        return True, p
    fixed = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h",
             0xD2: ">i", 0xD3: ">q", 0xCA: ">f", 0xCB: ">d"}
    if b in fixed:
        fmt = fixed[b]
        n = struct.calcsize(fmt)
        return struct.unpack(fmt, d[p:p + n])[0], p + n
    lens = {0xD9: (">B", "str"), 0xDA: (">H", "str"), 0xDB: (">I", "str"),
            0xC4: (">B", "bin"), 0xC5: (">H", "bin"), 0xC6: (">I", "bin"),
            0xDC: (">H", "arr"), 0xDD: (">I", "arr"), 0xDE: (">H", "map"), 0xDF: (">I", "map")}
    if b in lens:
        fmt, kind = lens[b]
        k = struct.calcsize(fmt)
        n = struct.unpack(fmt, d[p:p + k])[0]
        p += k
        if kind == "str":
            return d[p:p + n].decode("utf-8"), p + n
        if kind == "bin":
            return bytes(d[p:p + n]), p + n
        if kind == "arr":
            return _array(d, p, n)
        return _map(d, p, n)
    raise ValueError("unsupported msgpack byte 0x%02x" % b)


def _array(d, p, n):
    out = []
    for _ in range(n):
        v, p = _unpack(d, p)
        out.append(v)
    return out, p


def _map(d, p, n):
    out = {}
    for _ in range(n):
        k, p = _unpack(d, p)
        v, p = _unpack(d, p)
        out[k] = v
    return out, p


def frame(obj):
    """A whlc frame: 4-byte big-endian length + msgpack payload."""
    payload = pack(obj)
    return struct.pack(">I", len(payload)) + payload


def recv_exact(sock, n):
    """Read exactly n bytes or raise EOFError."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_frame(sock):
    """Read one frame and decode it."""
    (n,) = struct.unpack(">I", recv_exact(sock, 4))
    return unpack(recv_exact(sock, n))


# Message type ids (common/proto.h).
REPLY_OK, REPLY_ERROR, EVENT = 1, 2, 3
HELLO, STATUS, SHUTDOWN, TEST_SLEEP = 16, 17, 18, 19
PROTO_VERSION = 1


class RawClient:
    """A raw protocol client over a Unix socket (no whlc binary involved)."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.next_id = 1

    def send(self, type_, body=None, id_=None):
        if id_ is None:
            id_ = self.next_id
            self.next_id += 1
        msg = {"type": type_, "id": id_}
        if body is not None:
            msg["body"] = body
        self.sock.sendall(frame(msg))
        return id_

    def recv(self):
        return recv_frame(self.sock)

    def call(self, type_, body=None):
        """Send a request and return (events, final reply)."""
        id_ = self.send(type_, body)
        events = []
        while True:
            m = self.recv()
            assert m["id"] == id_, m
            if m["type"] == EVENT:
                events.append(m["body"])
                continue
            return events, m

    def hello(self, version, proto=PROTO_VERSION):
        return self.call(HELLO, {"proto": proto, "version": version, "program": "test"})[1]

    def close(self):
        self.sock.close()
