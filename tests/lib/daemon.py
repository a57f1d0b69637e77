"""daemon.py: a fixture that runs the real whlcd and whlc on a private socket and cache.

Typical use in an integration test:

    from daemon import Daemon

    with Daemon() as d:          # private temp dir; nothing started yet
        d.start()                # whlcd --foreground on d.socket / d.cache_dir
        rc, out, err = d.run_client(["status", "--json"])
        assert rc == 0, err

Binaries come from $WHLC_BUILDDIR (daemon/whlcd, client/whlc). Leaving the
`with` block (or calling cleanup()) kills every whlcd that uses this fixture's
directory, including daemons auto-started by whlc, and removes the directory.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUILDDIR = os.environ.get("WHLC_BUILDDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
WHLCD = os.path.join(BUILDDIR, "daemon", "whlcd")
WHLC = os.path.join(BUILDDIR, "client", "whlc")


def _others_can_reach(path):
    """True when every directory above path is searchable by other users."""
    d = os.path.dirname(os.path.abspath(path))
    while True:
        if not os.stat(d).st_mode & 0o001:
            return False
        if d == "/":
            return True
        d = os.path.dirname(d)


def _stage_binaries():
    """Copy whlcd and whlc where other users can run them; returns (whlcd, whlc)."""
    # Some tests run the binaries as other users (setpriv): a build directory made by
    # `mktemp -d` (0700) or below /root would hide them. The copy keeps the
    # daemon/ + client/ layout, so whlc still finds whlcd beside it.
    stage = tempfile.mkdtemp(prefix="whlc-bin-")
    os.chmod(stage, 0o755)
    out = []
    for sub, name in (("daemon", "whlcd"), ("client", "whlc")):
        os.mkdir(os.path.join(stage, sub), 0o755)
        dst = os.path.join(stage, sub, name)
        shutil.copy2(os.path.join(BUILDDIR, sub, name), dst)
        os.chmod(dst, 0o755)
        out.append(dst)
    import atexit
    pid = os.getpid()
    atexit.register(lambda: os.getpid() == pid and shutil.rmtree(stage, ignore_errors=True))
    return tuple(out)


if os.path.exists(WHLCD) and not (_others_can_reach(WHLCD) and _others_can_reach(WHLC)):
    WHLCD, WHLC = _stage_binaries()


def wait_for(pred, timeout=30.0, what="condition"):
    """Poll pred with backoff until it is true; raise after timeout seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class Daemon:
    """A private whlcd: its own temp dir, socket and cache."""

    def __init__(self, base=None):
        self.dir = tempfile.mkdtemp(prefix="whlc-t-", dir=base)
        os.chmod(self.dir, 0o755)  # other users may need to traverse it (uid tests)
        self.socket = os.path.join(self.dir, "run", "whlcd.sock")
        self.cache_dir = os.path.join(self.dir, "cache")
        self.log_path = os.path.join(self.dir, "whlcd-foreground.log")
        self.proc = None

    # -- environment and commands -------------------------------------------
    def env(self, extra=None):
        """Environment for whlc/whlcd pointing at this fixture's socket and cache."""
        env = dict(os.environ)
        env.update({
            "WHLC_SOCKET": self.socket,
            "WHLC_CACHE_DIR": self.cache_dir,
            "WHLC_DAEMON": WHLCD,
        })
        if extra:
            env.update(extra)
        return env

    def run_client(self, args, env=None, input=None, timeout=60, prefix=()):
        """Run whlc ARGS; returns (rc, stdout, stderr). prefix wraps the command (e.g. setpriv)."""
        p = subprocess.run(list(prefix) + [WHLC] + list(args), env=self.env(env), input=input,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           text=True)
        return p.returncode, p.stdout, p.stderr

    def popen_client(self, args, env=None):
        """Start whlc ARGS without waiting (stdout/stderr piped)."""
        return subprocess.Popen([WHLC] + list(args), env=self.env(env), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    # -- daemon lifecycle ---------------------------------------------------
    def start(self, *args, test_mode=True, wait=True, env=None):
        """Start whlcd --foreground (debug log in self.log_path, env added to its
        environment); wait until it accepts."""
        cmd = [WHLCD, "--foreground", "--socket", self.socket, "--cache-dir", self.cache_dir,
               "--log-level", "debug"]
        if test_mode:
            cmd.append("--test-mode")
        cmd += list(args)
        log = open(self.log_path, "ab")
        offset = log.tell()
        self.proc = subprocess.Popen(cmd, env=self.env(env), stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log)
        log.close()
        if wait:
            # The socket accepts (backlog) before the cache is open and its leftover
            # temporaries are removed: ready is the "listening on" line, logged after both.
            wait_for(lambda: self._ready(offset) or self.proc.poll() is not None, 30,
                     "whlcd to accept on %s" % self.socket)
            if self.proc.poll() is not None:
                raise AssertionError("whlcd exited with %s:\n%s" % (self.proc.returncode, self.log()))
        return self.proc

    def _ready(self, offset):
        """True once this start's "listening on" line is in the log and the socket accepts."""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            if b" listening on " not in f.read():
                return False
        return self.connectable()

    def connectable(self):
        """True if something accepts on the socket."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.socket)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def stop(self, timeout=30):
        """SIGTERM the foreground daemon and return its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def pids(self):
        """Pids of every live whlcd using this fixture's socket (foreground or auto-started)."""
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv and os.path.basename(argv[0]) == b"whlcd" and self.socket.encode() in argv:
                if pid_alive(int(name)):
                    out.append(int(name))
        return sorted(out)

    def log(self):
        """Text of the daemon logs (foreground log and the detached log file)."""
        text = ""
        for p in (self.log_path, os.path.join(self.cache_dir, "whlcd.log")):
            try:
                with open(p, errors="replace") as f:
                    text += "== %s\n%s" % (p, f.read())
            except FileNotFoundError:
                pass
        return text

    def cleanup(self):
        """Kill every whlcd of this fixture and remove its directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def sanitizer_reports(self):
        """Lines of ASan/UBSan/LSan reports in the daemon logs (asan builds)."""
        return [l for l in self.log().splitlines()
                if "Sanitizer" in l or "runtime error:" in l]

    def __exit__(self, exc_type, *exc):
        # Stop gracefully first so that LeakSanitizer reports reach the log.
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop(10)
            except subprocess.TimeoutExpired:
                pass
        reports = self.sanitizer_reports()
        log = self.log()
        self.cleanup()
        if exc_type is None and reports:
            raise AssertionError("sanitizer reports in whlcd logs:\n" + log)
        return False
