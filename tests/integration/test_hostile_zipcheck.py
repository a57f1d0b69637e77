"""Hostile wheels through tests/unit/zipcheck-cli (zip_index_read): each archive attack is
refused with its code and names its member; every real and fixture wheel passes."""
import os
import stat
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.join(os.environ.get("WHLC_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests", "lib"))

import hostile  # noqa: E402
import realwheels  # noqa: E402
import wheelfab  # noqa: E402
from tap import Skip, main, test  # noqa: E402


def _cli():
    """Path of zipcheck-cli in the build tree, or skip when it is not built."""
    builddir = os.environ.get("WHLC_BUILDDIR")
    if not builddir:
        raise Skip("WHLC_BUILDDIR not set (run through make check)")
    p = os.path.join(builddir, "tests", "unit", "zipcheck-cli")
    if not os.access(p, os.X_OK):
        raise Skip("%s not built (branch wheelfmt provides it)" % p)
    return p


def _check(path):
    """(exit status, stdout text) of zipcheck-cli on path."""
    r = subprocess.run([_cli(), path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    return r.returncode, r.stdout.decode("utf-8", "backslashreplace")


def _cases(tmp):
    """The hostile cases zip_index_read must refuse: archive stage only."""
    return [c for c in hostile.generate(tmp) if c.stage == "zip"]


@test(timeout=300)
def archive_attacks_are_refused_with_code_and_member():
    _cli()
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(tmp)
        assert len(cases) >= 30, len(cases)
        failures = []
        for c in cases:
            rc, out = _check(c.path)
            first = out.splitlines()[0] if out else ""
            want = "error %s:" % c.code
            if rc != 1 or not first.startswith(want):
                failures.append("%s: want %r, got rc=%d %r" % (c.label, want, rc, first))
            elif c.member is not None and c.member not in first:
                failures.append("%s: message does not name %r: %r" % (c.label, c.member, first))
        assert not failures, "\n".join(failures)


@test(timeout=300)
def wheel_level_cases_pass_the_index():
    # Cases whose problem only shows when inflating (CRC, real size) or at the wheel level must
    # get past the index: zip_index_read may not reject good structure.
    _cli()
    with tempfile.TemporaryDirectory() as tmp:
        later = [c for c in hostile.generate(tmp, bomb=False)
                 if c.stage in ("wheel", "install")]
        assert later
        bad = []
        for c in later:
            rc, out = _check(c.path)
            if rc != 0:
                bad.append("%s: %s" % (c.label, out.splitlines()[0] if out else rc))
        assert not bad, "structurally sound wheels refused:\n" + "\n".join(bad)


@test(timeout=300)
def real_and_fixture_wheels_pass_with_right_exec_bits():
    _cli()
    with tempfile.TemporaryDirectory() as tmp:
        wheels = realwheels.bundled()
        wheels += [p for _, p in wheelfab.fixture_corpus(tmp, sys.executable)]
        res = realwheels.repack_installed("/root/.pyenv/versions/3.11.7/bin/python",
                                          os.path.join(tmp, "repack"), limit=30)
        wheels += res.wheels
        bad = []
        for w in wheels:
            rc, out = _check(w)
            lines = out.splitlines()
            if rc != 0 or not lines or not lines[0].startswith("ok "):
                bad.append("%s: %s" % (w, lines[0] if lines else rc))
                continue
            with zipfile.ZipFile(w) as zf:
                want = {}
                for i in zf.infolist():
                    mode = i.external_attr >> 16
                    want[i.filename] = int(bool(mode and stat.S_ISREG(mode) and mode & 0o111))
            got = {}
            for line in lines[1:]:
                f = line.split("\t")
                got[f[0]] = int(f[5])
            if got != want:
                diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
                bad.append("%s: exec bits differ for %s" % (w, diff[:5]))
        assert len(wheels) >= 40, len(wheels)
        assert not bad, "\n".join(bad)


if __name__ == "__main__":
    main()
