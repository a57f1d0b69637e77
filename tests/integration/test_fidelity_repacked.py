"""Fidelity, real installed distributions repacked into wheels (tests/lib/realwheels.py):
every distribution of pyenv 3.11.7 (about 90 wheels, 28k files, native ones such as
cryptography, pydantic_core, orjson, regex) installed at once by whlc and by pip 23.2.1 into
two identical fresh venvs, plus Debian's python3 with /usr/share/python-wheels and its own
repacked distributions (cryptography 38, PyYAML), and the repacks of pyenv 3.8.18. Compared
wheel by wheel (issue 5, "Fidelity").
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fidelity_helpers as fh  # noqa: E402
from fidelity_helpers import realwheels  # noqa: E402


def register(run, key, python, paths):
    """Register one group per layer of wheels (one version of each project per venv)."""
    infos = fh.filter_requires_python([fh.WheelInfo(p) for p in paths], python)
    for n, layer in enumerate(fh.layers(infos), 1):
        g = fh.Group(run, "%s-%d" % (key, n), python,
                     [(os.path.basename(i.path), i.path) for i in layer])
        fh.register_group(g, lambda lab: {"run_launchers": False})


def build():
    """The run and its TAP cases."""
    run = fh.Run("repacked")
    wdir = os.path.join(run.workdir, "wheels")
    if fh.have(fh.PY311):
        res = realwheels.repack_installed(fh.PY311, os.path.join(wdir, "py311"))
        register(run, "py311-repacked", fh.PY311, res.wheels)
    if fh.have(fh.DEBIAN):
        res = realwheels.repack_installed(fh.DEBIAN, os.path.join(wdir, "deb"))
        deb = sorted(p for p in realwheels.bundled() if p.startswith("/usr/share/python-wheels/"))
        register(run, "deb311-repacked", fh.DEBIAN, deb + res.wheels)
    if fh.have(fh.PY38):
        res = realwheels.repack_installed(fh.PY38, os.path.join(wdir, "py38"))
        register(run, "py38-repacked", fh.PY38, res.wheels)
    fh.register_daemon_check(run)
    return run


if __name__ == "__main__":
    fh.main(build())
