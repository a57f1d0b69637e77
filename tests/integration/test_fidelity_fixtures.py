"""Fidelity, fixture corpus: every wheelfab fixture installed by whlc and by pip 23.2.1 into
identical fresh venvs must give the same files, bytes, exec bits and RECORD paths (issue 5,
"Fidelity"), for Python 3.12, 3.8 and Debian's python3, compiled extensions built for each.
Plus the spec D.17 cases (venv path with a space, interpreter path over 127 bytes), where
whlc deliberately differs from pip.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fidelity_helpers as fh  # noqa: E402
from fidelity_helpers import oracle, wheelfab  # noqa: E402

EXT = {"ext-simple": ("fab_ext_simple", "fab-ext-simple", "simple"),
       "ext-abi3": ("fab_ext_abi3", "fab-ext-abi3", "abi3"),
       "ext-vendored": ("fab_ext_vendored", "fab-ext-vendored", "vendored"),
       "ext-manylinux": ("fab_ext_many", "fab-ext-many", "vendored")}


def per_wheel(label):
    """check_wheel options per fixture."""
    if label == "ext-missing":
        # The wheel is broken by construction: its platform tag promises compiled code that
        # it does not ship. Importing it fails with pip and with whlc alike.
        return {"expect_import_failure": ("fab_ext_missing",)}
    return {}


def ext_value(label):
    """Check for an extension fixture: value() from the compiled code, in the whlc venv."""
    pkg, name, kind = EXT[label]

    def check(g):
        r = subprocess.run([oracle.venv_python(g.whlc_venv), "-c",
                            "import %s as m; print(repr(m.value()))" % pkg],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd="/",
                           env=dict(os.environ, LD_LIBRARY_PATH=""))
        want = repr(wheelfab.ext_expected(name, kind))
        assert r.stdout.decode().strip() == want, \
            "%s: %s.value() in the whlc venv: expected %s, got %r" % (label, pkg, want, r.stdout)
    return check


def missing_ext_warning(g):
    """Issue 5: a platform-tagged wheel without any ELF object gets a warning naming it and its
    tag (this is the wheel that silently lost its compiled extension)."""
    _, _, err = g.whlc_result("ext-missing")
    wheel = os.path.basename(g.wheels["ext-missing"])
    tag = wheel[:-4].split("-")[-1]
    lines = [l for l in err.splitlines() if l.startswith("warning: ")]
    assert any(("fab_ext_missing" in l or "fab-ext-missing" in l) and tag in l for l in lines), \
        "expected a 'warning: ' line naming %s and its tag %s; stderr was:\n%s" % (wheel, tag, err)


EXTRA = dict({lab: ext_value(lab) for lab in EXT}, **{"ext-missing": missing_ext_warning})


def d17_scripts(g, label):
    """Spec D.17 for #!python scripts: when the interpreter path has a space or the shebang
    would exceed 127 bytes, whlc writes the /bin/sh trick. pip 23.2.1 (fix_script) writes
    '#!' + interpreter verbatim: with a space that script cannot run, and over 127 bytes it
    relies on the kernel's longer limit. So these files differ on purpose: check pip's bytes
    are what pip always writes, whlc's are exactly the trick, and whlc's script runs like
    running the script body with pip's venv interpreter."""
    wi = g.info[label]

    def make(name):
        def check(pip_bytes, whlc_bytes):
            diffs = []
            first, _, rest = pip_bytes.partition(b"\n")
            interp = first[2:].replace(os.path.abspath(g.pip_venv).encode(),
                                       os.path.abspath(g.whlc_venv).encode())
            if not first.startswith(b"#!" + os.path.abspath(g.pip_venv).encode() + b"/bin/"):
                diffs.append("pip's first line is not '#!<venv python>': %r" % first)
            want = (b"#!/bin/sh\n'''exec' \"" + interp + b"\" \"$0\" \"$@\"\n' '''\n" + rest)
            # distlib's launchers leave a path without space unquoted; for such a path the
            # two forms are the same command to sh, so that form is accepted here too.
            alt = None if re.search(rb"[\s\"'$`\\]", interp) else \
                want.replace(b'"' + interp + b'"', interp, 1)
            if whlc_bytes != want and whlc_bytes != alt:
                diffs.append("whlc should write the /bin/sh trick (spec D.17):\n%s"
                             % fh.text_diff(want, whlc_bytes, "expected", "whlc"))
            if os.access(os.path.join(g.whlc_venv, "bin", name), os.X_OK):
                a = fh.run_prog([oracle.venv_python(g.pip_venv),
                                  os.path.join(g.pip_venv, "bin", name)], g.pip_venv)
                b = fh.run_prog([os.path.join(g.whlc_venv, "bin", name)], g.whlc_venv)
                if a != b:
                    diffs.append("running it: pip's body with pip's python %r, whlc %r" % (a, b))
            return diffs
        return check
    return {"bin/" + n: make(n) for n in wi.rewritten_scripts()}


def build():
    """The run, its groups and their TAP cases."""
    run = fh.Run("fixtures")
    pythons = [p for p in (fh.PY312, fh.PY38, fh.DEBIAN) if fh.have(p)]
    for py in pythons:
        key = fh.short(py)
        wheels = wheelfab.fixture_corpus(os.path.join(run.workdir, "wheels-" + key), py)
        g = fh.Group(run, key + "-fixtures", py, wheels)
        fh.register_group(g, per_wheel, extra=EXTRA)
    # Spec D.17: spaced and over-long interpreter paths (pip and whlc venvs of equal length).
    py = pythons[0]
    wdir = os.path.join(run.workdir, "wheels-" + fh.short(py))
    sel = [(lab, p) for lab, p in wheelfab.pure_variants(wdir)
           if lab in ("scripts", "windows-built")]
    for key, sub in (("spaced-venv-path", "sp ace"), ("long-venv-path", "l" * 110)):
        g = fh.Group(run, key, py, sel, subdir=sub)
        fh.register_group(g, lambda lab, g=g: {"script_overrides": d17_scripts(g, lab)})
    fh.register_daemon_check(run)
    return run


if __name__ == "__main__":
    fh.main(build())
