"""benchlib.py: helpers of the whlc benchmark (stdlib only).

Disk accounting that counts each inode once, daemon memory from /proc, the machine's
description, tool versions, a whlcd process on a private socket and cache, and the corpus
selection (one wheel per project, installable by the target interpreter).
"""
import json
import os
import platform
import re
import shutil
import stat
import statistics
import subprocess
import time

PIP_PYTHON = "/root/.pyenv/versions/3.11.7/bin/python"
INSTALLER_PYTHON = "/usr/bin/python3"


def median(xs):
    """Median of a non-empty list of numbers."""
    return statistics.median(xs)


def disk_usage(roots):
    """Bytes under roots counting each (dev, ino) once: {'apparent', 'allocated', 'inodes'}.

    apparent sums st_size, allocated sums st_blocks*512 (what du counts). Symlinks are
    counted as themselves and never followed; directories count too.
    """
    seen = set()
    apparent = allocated = 0
    by_kind = {"dir": 0, "file": 0, "symlink": 0, "other": 0}
    for root in roots:
        stack = [root]
        while stack:
            path = stack.pop()
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            key = (st.st_dev, st.st_ino)
            isdir = stat.S_ISDIR(st.st_mode)
            if key not in seen:
                seen.add(key)
                apparent += st.st_size
                allocated += st.st_blocks * 512
                kind = "dir" if isdir else "file" if stat.S_ISREG(st.st_mode) else \
                    "symlink" if stat.S_ISLNK(st.st_mode) else "other"
                by_kind[kind] += st.st_blocks * 512
            if isdir:
                with os.scandir(path) as it:
                    stack.extend(e.path for e in it)
    return {"apparent": apparent, "allocated": allocated, "inodes": len(seen),
            "allocated_by_kind": by_kind}


def added_per_venv(roots):
    """Bytes each venv after the first adds, on average, counting shared inodes once.

    Returns {'first': usage of roots[0], 'all': usage of all roots, 'added_apparent',
    'added_allocated'} where added_* = (all - first) / (len(roots) - 1).
    """
    first = disk_usage(roots[:1])
    total = disk_usage(roots)
    n = max(len(roots) - 1, 1)
    kinds = {k: (total["allocated_by_kind"][k] - first["allocated_by_kind"][k]) / n
             for k in first["allocated_by_kind"]}
    return {"first": first, "all": total,
            "added_apparent": (total["apparent"] - first["apparent"]) / n,
            "added_allocated": (total["allocated"] - first["allocated"]) / n,
            "added_allocated_by_kind": kinds}


def proc_mem(pid):
    """{'rss': VmRSS bytes, 'hwm': VmHWM bytes} of a live process, from /proc/<pid>/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k[2:].lower()] = int(v.split()[0]) * 1024
    return out


def reset_peak(pid):
    """Reset a process's VmHWM to its current RSS (clear_refs 5); True when it worked."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _run_text(args, **kw):
    """stdout of a command, stripped, or '' when it fails."""
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, **kw)
        return r.stdout.decode("utf-8", "replace").strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine(venv_dir):
    """Description of this machine: CPU model, cores, memory, kernel, venv filesystem."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    fs = _run_text(["stat", "-f", "-c", "%T", venv_dir])
    df = _run_text(["df", "-T", venv_dir]).splitlines()
    dev = df[-1].split()[:2] if len(df) > 1 else []
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": mem,
            "kernel": platform.release(), "venv_dir": venv_dir,
            "filesystem": dev[1] if len(dev) > 1 else fs, "statfs_type": fs,
            "device": dev[0] if dev else ""}


def versions(whlc, whlcd):
    """Versions of everything measured."""
    v = {"pip": _run_text([PIP_PYTHON, "-m", "pip", "--version"]).split(" from ")[0],
         "python": _run_text([PIP_PYTHON, "-c", "import sys; print(sys.version.split()[0])"]),
         "installer": _run_text([INSTALLER_PYTHON, "-c",
                                 "import installer, sys; print(installer.__version__, "
                                 "'on Python', sys.version.split()[0])"]),
         "coreutils": _run_text(["cp", "--version"]).splitlines()[:1],
         "kernel": platform.release()}
    v["coreutils"] = v["coreutils"][0] if v["coreutils"] else ""
    v["whlc"] = _run_text([whlc, "--version"]) if whlc and os.path.exists(whlc) else ""
    v["whlcd"] = _run_text([whlcd, "--version"]) if whlcd and os.path.exists(whlcd) else ""
    return v


def make_venv(path, python=PIP_PYTHON):
    """A fresh venv without pip at path (replacing whatever was there)."""
    if os.path.lexists(path):
        shutil.rmtree(path)
    subprocess.run([python, "-I", "-m", "venv", "--without-pip", path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return path


def rmtree(path):
    """Remove a tree if present (rm -rf: several times faster than shutil.rmtree here)."""
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", path], check=True)


class Trash:
    """Deferred removal: trees are renamed into one directory and deleted at the end.

    Deleting tens of thousands of files right before a timed region slows that region down:
    on ext4 without a journal (this machine's /) every inode allocation skips inodes deleted in
    the last minutes (ext4 recently_deleted()), reading each one, so whoever creates the most
    files pays the most. Nothing is deleted until the benchmark is over.
    """

    def __init__(self, path):
        self.path = path
        self.n = 0
        os.makedirs(path, exist_ok=True)

    def put(self, path):
        """Move path (if present) into the trash."""
        if os.path.lexists(path):
            self.n += 1
            os.rename(path, os.path.join(self.path, "%d-%s" % (self.n, os.path.basename(path))))

    def empty(self):
        """Delete everything in the trash."""
        rmtree(self.path)


class Whlcd:
    """A whlcd on a private socket and cache, started in the foreground so its pid is known."""

    def __init__(self, whlc, whlcd, base):
        self.whlc, self.whlcd, self.base = whlc, whlcd, base
        self.socket = os.path.join(base, "sock", "whlcd.sock")
        self.cache = os.path.join(base, "cache")
        self.proc = None
        self.logf = None

    def env(self):
        """Environment for clients of this daemon (no auto-start of another one)."""
        e = dict(os.environ)
        e.update(WHLC_SOCKET=self.socket, WHLC_CACHE_DIR=self.cache, WHLC_DAEMON=self.whlcd)
        return e

    def start(self):
        """Start whlcd and wait until `whlc status` answers."""
        os.makedirs(os.path.dirname(self.socket), mode=0o700, exist_ok=True)
        os.chmod(os.path.dirname(self.socket), 0o700)
        os.makedirs(self.cache, exist_ok=True)
        self.logf = open(os.path.join(self.base, "whlcd.log"), "ab")
        self.proc = subprocess.Popen([self.whlcd, "--socket", self.socket, "--cache-dir",
                                      self.cache, "--foreground", "--idle-timeout", "0",
                                      "--log-level", "warn"],
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("whlcd exited with %s; see %s/whlcd.log"
                                   % (self.proc.returncode, self.base))
            if os.path.exists(self.socket):
                r = subprocess.run([self.whlc, "--socket", self.socket, "status"],
                                   env=self.env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                if r.returncode == 0:
                    return self
            if time.monotonic() > deadline:
                raise RuntimeError("whlcd did not answer within 20 s; see %s/whlcd.log" % self.base)
            time.sleep(0.02)

    def client(self, *args):
        """The argv of a whlc command aimed at this daemon."""
        return [self.whlc, "--socket", self.socket] + list(args)

    def stop(self, remove=False):
        """Stop the daemon (SIGTERM, then SIGKILL) and optionally remove its directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.logf:
            self.logf.close()
            self.logf = None
        if remove:
            rmtree(self.base)


_SELECT = r"""
import json, sys
from pip._vendor.packaging.tags import sys_tags
from pip._vendor.packaging.utils import parse_wheel_filename, canonicalize_name
sup = set(sys_tags())
out = []
for p in json.load(sys.stdin):
    try:
        name, ver, build, tags = parse_wheel_filename(p.rsplit('/', 1)[-1])
    except Exception:
        continue
    out.append([p, str(name), str(ver), bool(tags & sup)])
print(json.dumps(out))
"""

_SO = re.compile(r"\.so(\.|$)")


def wheel_members(path):
    """(files, native files, unpacked bytes) of a wheel."""
    import zipfile
    files = native = size = 0
    with zipfile.ZipFile(path) as zf:
        for i in zf.infolist():
            if i.filename.endswith("/"):
                continue
            files += 1
            size += i.file_size
            native += bool(_SO.search(i.filename))
    return files, native, size


def select_installable(wheels, python=PIP_PYTHON):
    """One wheel per project that python can install: the one with most files (then newest).

    A venv holds one version of each project, so pip and whlc could not install two wheels of
    the same project in one go. Uses pip's vendored packaging of python for tags and names.
    """
    r = subprocess.run([python, "-I", "-c", _SELECT], input=json.dumps(wheels).encode(),
                       stdout=subprocess.PIPE, check=True)
    best = {}
    for path, name, ver, ok in json.loads(r.stdout):
        if not ok:
            continue
        files = wheel_members(path)[0]
        key = (files, ver)
        if name not in best or key > best[name][0]:
            best[name] = (key, path)
    return sorted(p for _, p in best.values())


def corpus_stats(wheels):
    """{'wheels', 'files', 'native_files', 'native_wheels', 'bytes', 'unpacked_bytes'}."""
    files = native = native_wheels = unpacked = 0
    for w in wheels:
        f, n, s = wheel_members(w)
        files += f
        native += n
        native_wheels += bool(n)
        unpacked += s
    return {"wheels": len(wheels), "files": files, "native_files": native,
            "native_wheels": native_wheels, "bytes": sum(os.path.getsize(w) for w in wheels),
            "unpacked_bytes": unpacked}
