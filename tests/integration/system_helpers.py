"""system_helpers.py: a whlcd --system run as a service user, real users, venvs, wheels (issue 9).

The suite runs as root, so the tests create real unprivileged users: the
daemon runs as its own service user (like the `whlc` user) with only
CAP_SETUID, CAP_SETGID and CAP_FOWNER (setpriv --ambient-caps, as systemd's
AmbientCapabilities= does), or as root, and the clients run as users A, B and
C through setpriv.
"""
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from daemon import Daemon, WHLCD, wait_for  # noqa: E402
import wheelfab  # noqa: E402

PY = "/usr/bin/python3"
LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib")
WHLC = os.path.join(os.path.dirname(WHLCD), "..", "client", "whlc")
SVC, A, B, C = "whlcsys-svc", "whlcsys-a", "whlcsys-b", "whlcsys-c"
GROUP = "whlcsys-dev"
CAPS = "+setuid,+setgid,+fowner"


def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        subprocess.run(["groupadd", "--system", name], check=True)


def ensure_user(name, groups=()):
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        name], check=True)
    if groups:
        subprocess.run(["usermod", "-a", "-G", ",".join(groups), name], check=True)
    return pwd.getpwnam(name)


def as_user(name):
    pw = pwd.getpwnam(name)
    return ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--init-groups"]


class System(Daemon):
    """A whlcd --system under a temp dir, run as the service user with three capabilities."""

    def __init__(self, as_root=False):
        super().__init__()
        # as_root: the daemon keeps uid 0, so only its per-thread identity stands
        # between a user and other users' files (nothing else would refuse).
        self.as_root = as_root
        ensure_group(GROUP)
        self.svc = ensure_user(SVC)
        self.users = {A: ensure_user(A), B: ensure_user(B, [GROUP]), C: ensure_user(C)}
        self.config = os.path.join(self.dir, "config")
        with open(self.config, "w") as f:
            f.write("# test configuration\nallow-users = %s\nallow-groups = %s\nmax-size = 2G\n"
                    % (A, GROUP))
        os.makedirs(os.path.dirname(self.socket), mode=0o755)
        os.chown(os.path.dirname(self.socket), self.svc.pw_uid, self.svc.pw_gid)
        os.makedirs(self.cache_dir, mode=0o755)
        os.chown(self.cache_dir, self.svc.pw_uid, self.svc.pw_gid)
        self.homes = {}
        for u, pw in self.users.items():
            h = os.path.join(self.dir, "home", u)
            os.makedirs(h)
            os.chown(h, pw.pw_uid, pw.pw_gid)
            os.chmod(h, 0o755)
            self.homes[u] = h
        os.chmod(os.path.join(self.dir, "home"), 0o755)

    def start(self, *args, test_mode=False, wait=True, bind_cache=None):
        """Start the daemon; bind_cache False/True: in a private mount namespace, with the
        cache bind-mounted on itself when True (what systemd's ReadWritePaths= does)."""
        pre = [] if self.as_root else [
            "setpriv", "--reuid=%d" % self.svc.pw_uid, "--regid=%d" % self.svc.pw_gid,
            "--init-groups", "--inh-caps=" + CAPS, "--ambient-caps=" + CAPS]
        if self.as_root:
            os.chown(self.cache_dir, 0, 0)
            os.chown(os.path.dirname(self.socket), 0, 0)
        if bind_cache is not None:
            script = "mount --make-rprivate / && %s exec \"$@\"" % (
                "mount --bind %s %s &&" % (self.cache_dir, self.cache_dir) if bind_cache else "")
            pre = ["unshare", "-m", "sh", "-c", script, "sh"] + pre
        cmd = pre + [WHLCD, "--system", "--foreground", "--socket", self.socket, "--cache-dir",
               self.cache_dir, "--config", self.config, "--log-level", "debug"] + list(args)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=self.env(), stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=log)
        log.close()
        wait_for(lambda: self.connectable() or self.proc.poll() is not None, 30,
                 "whlcd --system to accept on %s" % self.socket)
        if self.proc.poll() is not None:
            raise AssertionError("whlcd exited with %s:\n%s" % (self.proc.returncode, self.log()))

    def pids(self):
        return [p for p in super().pids()]

    def client(self, user, args, env=None):
        e = {"HOME": self.homes[user], "WHLC_CACHE_DIR": os.path.join(self.homes[user], "c")}
        e.update(env or {})
        p = subprocess.run(as_user(user) + [os.path.join(os.path.dirname(WHLCD), "..", "client",
                                                         "whlc")] + list(args),
                           env=self.env(e), cwd=self.homes[user], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def venv(self, user, name="venv", mode=0o700):
        path = os.path.join(self.homes[user], name)
        subprocess.run(as_user(user) + [PY, "-m", "venv", "--without-pip", path], check=True,
                       cwd=self.homes[user])
        os.chmod(path, mode)
        return path

    def wheel(self, user, name="shared_pkg", version="1.0", mode=0o644, body=b"VALUE = 1\n"):
        tmp = tempfile.mkdtemp(dir=self.dir)
        src = wheelfab.build_wheel(tmp, name, version,
                                   {"%s/__init__.py" % name: body,
                                    "%s/data.txt" % name: b"data of %s\n" % name.encode()})
        dst = os.path.join(self.homes[user], os.path.basename(src))
        shutil.copy(src, dst)
        pw = self.users[user]
        os.chown(dst, pw.pw_uid, pw.pw_gid)
        os.chmod(dst, mode)
        shutil.rmtree(tmp)
        return dst

    def raw(self, user, script):
        """Run a raw-protocol Python snippet as user; it prints one JSON line."""
        pre = ("import json, os, socket, struct, sys\nsys.path.insert(0, %r)\nimport mpack\n"
               "c = mpack.RawClient(%r)\nc.hello(%r)\n" % (LIB, self.socket, self.version()))
        p = subprocess.run(as_user(user) + [PY, "-c", pre + script], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60, cwd="/")
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout.strip().splitlines()[-1])

    def version(self):
        out = subprocess.run([WHLCD, "--version"], stdout=subprocess.PIPE, text=True).stdout
        return out.split()[1]


def site(venv):
    return subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          stdout=subprocess.PIPE, text=True, check=True).stdout.strip()


def objects_ok(s):
    """`whlc cache verify` (as root: every object re-hashed by the daemon) exits 0 and finds
    nothing; every object and store directory is read-only and the daemon's. Object count."""
    p = subprocess.run([WHLC, "cache", "verify", "--json"], env=s.env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120, cwd="/")
    assert p.returncode == 0, ("cache verify", p.returncode, p.stdout, p.stderr, s.log())
    r = json.loads(p.stdout)
    assert r["problems"] == [], r
    root = None
    for dp, dns, _ in os.walk(s.cache_dir):
        if os.path.basename(dp) == "objects":
            root = dp
            break
    assert root, "no objects directory under %s" % s.cache_dir
    n = 0
    owner = os.stat(s.cache_dir).st_uid
    for dp, _, fns in os.walk(root):
        st = os.stat(dp)
        assert st.st_uid == owner and not st.st_mode & 0o022, dp
        for fn in fns:
            st = os.lstat(os.path.join(dp, fn))
            assert st.st_uid == owner and st.st_mode & 0o7777 in (0o444, 0o555), (
                dp, fn, oct(st.st_mode))
            n += 1
    assert r["objects"] == n, (r["objects"], n)
    return n


def install(s, user, venv, wheel, *extra):
    return s.client(user, ["install", "--venv", venv] + list(extra) + [wheel])


