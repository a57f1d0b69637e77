"""installer_driver.py: install many wheels into one venv with pypa/installer, in one process.

usage: python3 installer_driver.py SCHEME.json WHEEL...

SCHEME.json holds {"interpreter": <venv>/bin/python, "paths": sysconfig paths of the venv,
"include": its include dir}, computed before timing starts. No bytecode is compiled, like
pip --no-compile and whlc. The headers path is <include>/site/pythonX.Y/<dist>, as pip does.
"""
import json
import os
import sys

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile


def main(argv):
    """Install argv[2:] into the scheme described by argv[1]."""
    with open(argv[1]) as f:
        desc = json.load(f)
    paths = desc["paths"]
    for whl in argv[2:]:
        with WheelFile.open(whl) as source:
            scheme = {k: paths[k] for k in ("purelib", "platlib", "scripts", "data")}
            scheme["headers"] = os.path.join(desc["headers_base"], source.distribution)
            dest = SchemeDictionaryDestination(scheme_dict=scheme, interpreter=desc["interpreter"],
                                               script_kind="posix",
                                               bytecode_optimization_levels=[])
            install(source, dest, {"INSTALLER": b"installer\n"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
