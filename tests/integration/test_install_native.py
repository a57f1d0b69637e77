"""test_install_native.py: compiled extensions hardlinked from the store and imported from the venv."""
import os

from install_helpers import PY, daemon, install, run, site, store_object, venv
from tap import main, test

import wheelfab


def _check(kind, pkg):
    d = daemon()
    try:
        w = wheelfab.build_ext_wheel(os.path.join(d.tmpdir, "w"), PY, pkg, "1.0", kind)
        v = venv(d)
        r = install(d, v, w)
        assert "warning" not in r.stderr, r.stderr
        mod = wheelfab.escape_name(pkg)
        code = "import %s; print(%s.value())" % (mod, mod)
        got = run([os.path.join(v, "bin/python"), "-c", code], cwd="/")
        assert got.returncode == 0, got.stderr
        assert got.stdout.strip() == str(wheelfab.ext_expected(pkg, kind)), got.stdout
        sos = []
        for root, _, files in os.walk(site(v)):
            sos += [os.path.join(root, f) for f in files if ".so" in f]
        assert sos, "no shared object installed"
        for so in sos:  # native code is hardlinked from the store too
            assert os.stat(so).st_ino == os.stat(store_object(d, so)).st_ino, so
        d.whlc("verify", "--venv", v, check=0)
        return sos
    finally:
        d.close()


@test(timeout=600)
def simple_extension_imported_by_its_package():
    _check("simple", "fab-ext-simple")


@test(timeout=600)
def abi3_mixed_layout_bindings_native():
    sos = _check("abi3", "fab-ext-abi3")
    assert any(s.endswith("bindings/_native.abi3.so") for s in sos), sos


@test(timeout=600)
def vendored_libs_through_origin_rpath():
    sos = _check("vendored", "fab-ext-vend")
    assert any(".libs/" in s for s in sos), sos


@test(timeout=600)
def platform_wheel_without_compiled_code_warns():
    d = daemon()
    try:
        w = wheelfab.build_ext_wheel(os.path.join(d.tmpdir, "w"), PY, "fab-ext-missing", "1.0",
                                     "missing")
        v = venv(d)
        r = install(d, v, w)
        warn = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: ")]
        assert warn and os.path.basename(w) in warn[0] and "linux_x86_64" in warn[0], r.stderr
        assert "probably broken" in warn[0], warn
        # A pure wheel never gets it.
        p = wheelfab.build_wheel(os.path.join(d.tmpdir, "w"), "fab-pure", "1.0", {"fab_pure.py": b""})
        assert "warning" not in install(d, v, p).stderr
    finally:
        d.close()


if __name__ == "__main__":
    main()
