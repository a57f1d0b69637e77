"""test_install_shared.py: generated files every venv gets alike (INSTALLER, direct_url.json,
the RECORD of a wheel without launchers or rewritten scripts) are hardlinked from the store
(issue 6: disk per extra venv), and only when they hold exactly the bytes pip would write."""
import hashlib
import os

import install_helpers as ih
from tap import main, test

import wheelfab

SHARED = ("INSTALLER", "direct_url.json", "RECORD")


def _plain(outdir):
    return wheelfab.build_wheel(outdir, "plain", "1.0", {"plain/__init__.py": b"X = 1\n",
                                                         "plain/data.txt": b"data\n"})


def _di(v, name):
    return os.path.join(ih.site(v), name)


def _obj_of(d, path):
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return os.path.join(d.cache, "store-v1", "objects", h[:2], h[2:])


@test(timeout=300)
def generated_files_alike_in_every_venv_are_store_links():
    d = ih.daemon()
    try:
        plain, simple = _plain(d.tmpdir), ih.simple_wheel(d.tmpdir)
        v1, v2 = ih.venv(d, "v1"), ih.venv(d, "v2")
        ih.install(d, v1, plain, simple)
        ih.install(d, v2, plain, simple)
        for name in SHARED:
            a, b = (os.path.join(_di(v, "plain-1.0.dist-info"), name) for v in (v1, v2))
            sa, sb = os.stat(a), os.stat(b)
            assert sa.st_ino == sb.st_ino == os.stat(_obj_of(d, a)).st_ino, name
            assert sa.st_mode & 0o111 == 0, name
        assert open(os.path.join(_di(v2, "plain-1.0.dist-info"), "INSTALLER")).read() == "whlc\n"
        # The RECORD of a wheel with a launcher names this venv's interpreter: its own file.
        a, b = (os.path.join(_di(v, "fab_simple-1.0.dist-info"), "RECORD") for v in (v1, v2))
        assert os.stat(a).st_ino != os.stat(b).st_ino and os.stat(a).st_nlink == 1
        # ... but its INSTALLER is the same object as everyone's.
        assert os.stat(os.path.join(_di(v2, "fab_simple-1.0.dist-info"), "INSTALLER")).st_ino \
            == os.stat(os.path.join(_di(v2, "plain-1.0.dist-info"), "INSTALLER")).st_ino
        # Known to the catalog (verify is clean), removed by gc when unused.
        r = d.whlc("cache", "verify")
        assert r.returncode == 0 and r.stdout.rstrip().endswith("all intact"), r.stdout
        # --link-mode copy links nothing from the cache.
        v3 = ih.venv(d, "v3")
        ih.install(d, v3, plain, args=("--link-mode", "copy"))
        for name in SHARED:
            assert os.stat(os.path.join(_di(v3, "plain-1.0.dist-info"), name)).st_nlink == 1
        # Uninstall removes the venv's link, not the object.
        rec = os.path.join(_di(v2, "plain-1.0.dist-info"), "RECORD")
        obj = _obj_of(d, rec)
        d.whlc("uninstall", "--venv", v2, "plain", check=0)
        assert not os.path.exists(rec) and os.path.exists(obj)
    finally:
        d.close()


@test(timeout=300)
def a_changed_shared_object_is_never_linked():
    d = ih.daemon()
    try:
        plain = _plain(d.tmpdir)
        v1 = ih.venv(d, "v1")
        ih.install(d, v1, plain)
        rec = os.path.join(_di(v1, "plain-1.0.dist-info"), "RECORD")
        good = open(rec, "rb").read()
        obj = _obj_of(d, rec)
        # Changed in place through the venv's hardlink (root ignores the read-only mode).
        with open(rec, "r+b") as f:
            f.write(good[:-3].upper() + good[-3:])
        v2 = ih.venv(d, "v2")
        ih.install(d, v2, plain)
        rec2 = os.path.join(_di(v2, "plain-1.0.dist-info"), "RECORD")
        assert open(rec2, "rb").read() == good
        assert os.stat(rec2).st_ino != os.stat(obj).st_ino
        r = d.whlc("cache", "verify")
        assert r.returncode == 1 and "corrupt" in r.stdout, r.stdout
    finally:
        d.close()


if __name__ == "__main__":
    main()
