"""test_cache_hostile.py: every hostile wheel is refused with its exact error, changing nothing."""
import os
import tempfile

import cache_helpers  # noqa: F401  (sets sys.path for tests/lib)
from cache_helpers import Daemon
from tap import main, test

import hostile
import wheelfab

# The hostile corpus is generated once per run (the 1 GiB bomb is cached by hostile.py).
OUTDIR = os.path.join(tempfile.gettempdir(), "whlc-hostile-corpus-%d" % os.getuid())
CASES = [c for c in hostile.generate(OUTDIR) if c.stage != "install"]


def _check(case):
    """Add one hostile wheel next to a good one: exact error, nothing changed, still serving."""
    d = Daemon(tempfile.mkdtemp(prefix="whlc-hostile-")).start()
    try:
        good = wheelfab.build_wheel(os.path.join(d.tmpdir, "good"), "goodone", "1.0",
                                    {"goodone/__init__.py": b"X = 1\n"})
        d.whlc("cache", "add", good, check=0)
        before, objs = d.counts(), sorted(d.object_files())
        r = d.whlc("cache", "add", case.path, check=1)
        err = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
        assert len(err) == 1, r.stderr
        assert err[0].endswith("(%s)" % case.code), "%s: expected %s, got: %s" % (
            case.label, case.code, err[0])
        assert os.path.basename(case.path) in err[0], err[0]
        if case.member is not None:
            # zipcheck writes a backslash in a name as \x5c (unambiguous in messages).
            named = case.member in err[0] or case.member.replace("\\", "\\x5c") in err[0]
            assert named, "%s: %r not named in: %s" % (case.label, case.member, err[0])
        assert d.counts() == before, (before, d.counts())
        assert sorted(d.object_files()) == objs, "stray objects"
        assert d.tmp_files() == [], d.tmp_files()
        # Still serving, and the good wheel is still fine.
        assert d.whlc("cache", "add", good, check=0).stdout == "cached goodone==1.0\n"
        assert d.alive()
    finally:
        d.close()


def _register(case):
    """One TAP test per hostile case."""
    def fn():
        _check(case)
    fn.__name__ = "refuses_" + case.label.replace("-", "_")
    test(fn, timeout=300)


for _c in CASES:
    _register(_c)


@test
def at_least_25_cases():
    assert len(CASES) >= 25, len(CASES)


if __name__ == "__main__":
    main()
