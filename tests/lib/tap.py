"""tap.py: a tiny TAP producer; each test runs in its own forked process with a timeout.

Usage in a test script:

    from tap import test, main

    @test(timeout=60)
    def hello_works():
        assert 1 + 1 == 2

    if __name__ == "__main__":
        main()

A test passes when it returns normally, fails on any exception (the traceback is
printed as TAP diagnostics), and is skipped when it raises tap.Skip("why").
"""
import os
import signal
import sys
import traceback

_TESTS = []


class Skip(Exception):
    """Raise to skip the current test with a reason."""


def test(fn=None, *, timeout=120):
    """Register fn as a test case (optionally with a timeout in seconds)."""
    def register(f):
        _TESTS.append((f.__name__, f, timeout))
        return f
    if fn is not None:
        return register(fn)
    return register


def _diag(text):
    for line in text.rstrip("\n").splitlines():
        sys.stdout.write("# " + line + "\n")


def _run_one(name, fn, timeout):
    """Fork, run fn in the child, and return (status, message)."""
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.setpgid(0, 0)
        status, msg = "ok", ""
        try:
            fn()
        except Skip as e:
            status, msg = "skip", str(e)
        except BaseException:  # noqa: B902 - report everything, including SystemExit
            status, msg = "fail", traceback.format_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(w, (status + "\n" + msg).encode("utf-8", "replace"))
        os._exit(0)
    os.close(w)

    def on_alarm(signum, frame):
        raise TimeoutError

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(timeout)
    data = b""
    try:
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
        os.waitpid(pid, 0)
    except TimeoutError:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        return "fail", "timed out after %d s" % timeout
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        os.close(r)
    # The child's process group may have left daemons behind: kill them.
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if not data:
        return "fail", "test process died without reporting"
    text = data.decode("utf-8", "replace")
    status, _, msg = text.partition("\n")
    return status, msg


def main():
    """Run the registered tests (or those named on the command line) and print TAP."""
    only = set(sys.argv[1:])
    tests = [t for t in _TESTS if not only or t[0] in only]
    sys.stdout.write("1..%d\n" % len(tests))
    failed = 0
    for i, (name, fn, timeout) in enumerate(tests, 1):
        status, msg = _run_one(name, fn, timeout)
        if status == "ok":
            sys.stdout.write("ok %d - %s\n" % (i, name))
        elif status == "skip":
            sys.stdout.write("ok %d - %s # SKIP %s\n" % (i, name, msg))
        else:
            failed += 1
            sys.stdout.write("not ok %d - %s\n" % (i, name))
            _diag(msg)
        sys.stdout.flush()
    sys.exit(1 if failed else 0)
