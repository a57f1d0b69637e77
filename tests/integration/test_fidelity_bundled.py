"""Fidelity, real wheels shipped on this machine: the ensurepip bundles of every pyenv Python,
/usr/share/python-wheels and the test-suite wheels (pip 18.1 to 25.0.1, setuptools 40 to 67,
wheel 0.38 to 0.43...), installed by whlc and by pip 23.2.1 into identical fresh venvs of
Python 3.12 and 3.8 (issue 5, "Fidelity"). pip installs one version of a project per venv, so
the wheels are split into layers holding one version of each project; each layer is one
pip venv and one whlc venv, compared wheel by wheel.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fidelity_helpers as fh  # noqa: E402
from fidelity_helpers import realwheels  # noqa: E402


def label(info):
    """TAP label of a real wheel: its file name (and where it came from when ambiguous)."""
    base = os.path.basename(info.path)
    if info.path.startswith("/usr/share/python-wheels/"):
        return "debian:" + base
    return base


def groups_for(run, python, infos):
    """Register one group per layer of infos (wheels admitted by python's Requires-Python)."""
    key = fh.short(python)
    admitted = fh.filter_requires_python(infos, python)
    for n, layer in enumerate(fh.layers(admitted), 1):
        g = fh.Group(run, "%s-bundled-%d" % (key, n), python,
                     [(label(i), i.path) for i in layer])
        # Real tools are not run (some are interactive or slow): their launchers must exist
        # and name a callable that resolves in the whlc venv as in pip's.
        fh.register_group(g, lambda lab: {"run_launchers": False})


def build():
    """The run and its TAP cases."""
    run = fh.Run("bundled")
    infos = [fh.WheelInfo(p) for p in realwheels.bundled()]
    for py in (fh.PY312, fh.PY38):
        if fh.have(py):
            groups_for(run, py, infos)
    fh.register_daemon_check(run)
    return run


if __name__ == "__main__":
    fh.main(build())
