#!/usr/bin/env python3
"""System mode (issue 9): one whlcd for every user, and the privilege boundary.

The suite runs as root, so the test creates real unprivileged users: the
daemon runs as its own service user (like the `whlc` user) with only
CAP_SETUID, CAP_SETGID and CAP_FOWNER (setpriv --ambient-caps, as systemd's
AmbientCapabilities= does), and the clients run as users A, B and C through
setpriv. Venvs are 0700 and owned by their users, so every refusal below is a
refusal of the kernel's permission checks, not of root. Helpers:
system_helpers.py.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_helpers import (A, B, C, PY, WHLC, WHLCD, System, as_user,  # noqa: E402
                            install, objects_ok, site)
from tap import main, test  # noqa: E402
import wheelfab  # noqa: E402


@test(timeout=300)
def two_users_share_store_inodes_and_own_what_is_created():
    with System() as s:
        s.start()
        va, vb = s.venv(A), s.venv(B)
        wa, wb = s.wheel(A), s.wheel(B)
        rc, out, err = install(s, A, va, wa)
        assert rc == 0, (out, err, s.log())
        rc, out, err = install(s, B, vb, wb)
        assert rc == 0, (out, err, s.log())
        fa = os.path.join(site(va), "shared_pkg", "__init__.py")
        fb = os.path.join(site(vb), "shared_pkg", "__init__.py")
        sa, sb = os.stat(fa), os.stat(fb)
        assert (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino), "not hardlinked to one object"
        assert sa.st_uid == s.svc.pw_uid and sa.st_mode & 0o7777 == 0o444
        for user, v in ((A, va), (B, vb)):
            uid = s.users[user].pw_uid
            for dp, dns, fns in os.walk(v):
                for n in dns + fns:
                    st = os.lstat(os.path.join(dp, n))
                    if st.st_nlink > 1 and st.st_uid == s.svc.pw_uid:
                        continue  # a store object, linked
                    assert st.st_uid == uid, "%s is owned by uid %d" % (os.path.join(dp, n),
                                                                       st.st_uid)
            di = os.path.join(site(v), "shared_pkg-1.0.dist-info")
            for n in ("RECORD", "INSTALLER"):
                assert os.stat(os.path.join(di, n)).st_uid == uid
            p = subprocess.run(as_user(user) + [os.path.join(v, "bin", "python"), "-c",
                                                "import shared_pkg; print(shared_pkg.VALUE)"],
                               stdout=subprocess.PIPE, text=True)
            assert p.stdout.strip() == "1"
        rc, out, err = s.client(A, ["verify", "--venv", va])
        assert rc == 0, (out, err)
        # A user cannot change the shared object through their hardlink.
        p = subprocess.run(as_user(B) + [PY, "-c", "open(%r, 'a').write('x')" % fb],
                           stderr=subprocess.PIPE, text=True)
        assert p.returncode != 0 and "Permission denied" in p.stderr
        p = subprocess.run(as_user(B) + ["chmod", "u+w", fb], stderr=subprocess.PIPE, text=True)
        assert p.returncode != 0
        assert objects_ok(s) > 0


@test(timeout=300)
def other_user_cannot_install_into_or_uninstall_from_a_venv():
    with System(as_root=True) as s:
        s.start()
        va = s.venv(A)
        rc, out, err = install(s, A, va, s.wheel(A))
        assert rc == 0, (out, err, s.log())
        before = sorted(os.listdir(site(va)))
        wb = s.wheel(B, name="intruder")
        # 0700 venv: B cannot even open it.
        rc, out, err = install(s, B, va, wb)
        assert rc == 1 and "Permission denied" in err, (rc, out, err)
        rc, out, err = s.client(B, ["uninstall", "--venv", va, "shared_pkg"])
        assert rc == 1 and "Permission denied" in err, (rc, out, err)
        # 0755 venv: B can open it, so the daemon's per-user identity must refuse.
        os.chmod(va, 0o755)
        rc, out, err = install(s, B, va, wb)
        assert rc == 1 and "Permission denied" in err, (rc, out, err)
        rc, out, err = s.client(B, ["uninstall", "--venv", va, "shared_pkg"])
        assert rc == 1 and "ermission denied" in err, (rc, out, err)
        assert sorted(os.listdir(site(va))) == before
        assert not os.path.exists(os.path.join(va, ".lock")) or \
            os.stat(os.path.join(va, ".lock")).st_uid == s.users[A].pw_uid
        # A path without a descriptor, or another directory's descriptor, is refused.
        vb = s.venv(B)
        r = s.raw(B, "_, r = c.call(mpack.INSTALL if hasattr(mpack, 'INSTALL') else 48, "
                     "{'venv': %r, 'cwd': '/', 'wheels': [%r]})\nprint(json.dumps(r))"
                  % (va, wb))
        assert r["type"] == 2 and "opens no directory" in r["message"], r
        r = s.raw(B, "fd = os.open(%r, os.O_RDONLY | os.O_DIRECTORY)\n"
                     "m = {'type': 49, 'id': 7, 'fds': 1, 'body': {'venv': %r, 'venv_fd': 0, "
                     "'cwd': '/', 'names': ['shared_pkg']}}\n"
                     "c.sock.sendmsg([mpack.frame(m)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, "
                     "struct.pack('i', fd))])\nprint(json.dumps(c.recv()))" % (vb, va))
        assert r["type"] == 2 and "not the directory the client opened" in r["message"], r
        assert sorted(os.listdir(site(va))) == before
        objects_ok(s)


@test(timeout=300)
def other_user_cannot_read_a_private_wheel():
    with System() as s:
        s.start()
        secret = b"SECRET = 'only for A %s'\n" % os.urandom(8).hex().encode()
        wa = s.wheel(A, name="private_pkg", mode=0o600, body=secret)
        vb = s.venv(B)
        rc, out, err = s.client(B, ["cache", "add", wa])
        assert rc == 1 and ("ermission denied" in err + out or "could not open" in err + out), \
            (rc, out, err)
        rc, out, err = install(s, B, vb, wa)
        assert rc == 1, (rc, out, err)
        # Sending the path alone: the system daemon opens nothing for its clients.
        r = s.raw(B, "_, r = c.call(32, {'paths': [%r]})\nprint(json.dumps(r))" % wa)
        assert r["body"]["failed"] == 1 and "opens no file" in json.dumps(r), r
        digest = hashlib.sha256(secret).hexdigest()
        assert not any(digest[2:] in fn for _, _, fns in os.walk(s.cache_dir) for fn in fns)
        # A can, of course.
        rc, out, err = s.client(A, ["cache", "add", wa])
        assert rc == 0, (out, err, s.log())
        objects_ok(s)


@test(timeout=300)
def forged_record_and_planted_symlinks_reach_nothing_of_a():
    with System(as_root=True) as s:
        s.start()
        os.chmod(s.homes[A], 0o755)
        va, vb = s.venv(A, mode=0o755), s.venv(B)
        assert install(s, A, va, s.wheel(A))[0] == 0
        assert install(s, B, vb, s.wheel(B, name="bpkg"))[0] == 0
        a_site = site(va)
        a_file = os.path.join(a_site, "shared_pkg", "__init__.py")
        victim = os.path.join(s.homes[A], "notes.txt")
        with open(victim, "w") as f:
            f.write("A's notes\n")
        os.chown(victim, s.users[A].pw_uid, s.users[A].pw_gid)
        b_site = site(vb)
        di = os.path.join(b_site, "bpkg-1.0.dist-info")
        # B forges its RECORD to name A's files, and plants symlinks into A's venv.
        link = os.path.join(b_site, "evil")
        subprocess.run(as_user(B) + ["ln", "-s", os.path.join(a_site, "shared_pkg"), link],
                       check=True)
        rel = os.path.relpath(victim, b_site)
        rows = "%s,,\n%s,,\nevil/__init__.py,,\nevil,,\n" % (rel, a_file)
        subprocess.run(as_user(B) + ["sh", "-c", "printf '%%s' \"$1\" >> %s" %
                                     os.path.join(di, "RECORD"), "_", rows], check=True)
        rc, out, err = s.client(B, ["uninstall", "--venv", vb, "bpkg"])
        assert os.path.exists(victim) and os.path.exists(a_file), (rc, out, err)
        # A planted directory symlink in B's site-packages: installing through it would
        # write into A's venv; acting as B, the kernel refuses.
        subprocess.run(as_user(B) + ["ln", "-s", os.path.join(a_site, "shared_pkg"),
                                     os.path.join(b_site, "shared_pkg")], check=True)
        before = sorted(os.listdir(os.path.join(a_site, "shared_pkg")))
        rc, out, err = install(s, B, vb, s.wheel(B, name="shared_pkg", version="2.0",
                                                 body=b"VALUE = 666\n"))
        assert rc == 1, (rc, out, err)
        assert sorted(os.listdir(os.path.join(a_site, "shared_pkg"))) == before
        p = subprocess.run([os.path.join(va, "bin", "python"), "-c",
                            "import shared_pkg; print(shared_pkg.VALUE)"], stdout=subprocess.PIPE,
                           text=True)
        assert p.stdout.strip() == "1"
        objects_ok(s)


@test(timeout=120)
def user_not_allowed_is_refused_and_status_says_system():
    with System() as s:
        s.start()
        rc, out, err = s.client(C, ["status"])
        assert rc == 3 and C in err and "allow-users" in err and s.config in err, (rc, out, err)
        assert "refused" in s.log()
        # The client prefers the system socket when it exists (no WHLC_SOCKET).
        env = s.env({"WHLC_SYSTEM_SOCKET": s.socket, "HOME": s.homes[A]})
        del env["WHLC_SOCKET"]
        p = subprocess.run(as_user(A) + [os.path.join(os.path.dirname(WHLCD), "..", "client",
                                                      "whlc"), "status", "--json"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
        assert p.returncode == 0, p.stderr
        st = json.loads(p.stdout)
        assert st["mode"] == "system" and st["caller_uid"] == s.users[A].pw_uid
        assert st["max_size"] == 2 << 30
        rc, out, err = s.client(B, ["status"])  # B is allowed through its group
        assert rc == 0 and "system" in out, (out, err)


@test(timeout=120)
def only_administrators_stop_or_shrink_the_system_cache():
    with System() as s:
        s.start()
        assert install(s, A, s.venv(A), s.wheel(A))[0] == 0
        for args in (["daemon", "stop"], ["cache", "gc"], ["cache", "prune", "--max-size", "0"],
                     ["cache", "clear"]):
            rc, out, err = s.client(A, args)
            assert rc == 1 and "for administrators" in err, (args, rc, out, err)
        assert s.proc.poll() is None
        assert objects_ok(s) > 0  # nothing was evicted
        assert s.client(A, ["status"])[0] == 0
        # root may (and so may the daemon's user).
        p = subprocess.run([WHLC, "cache", "prune", "--max-size", "0"], env=s.env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
        assert p.returncode == 0, p.stderr
        p = subprocess.run([WHLC, "daemon", "stop"], env=s.env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd="/")
        assert p.returncode == 0 and "stopped" in p.stdout, (p.stdout, p.stderr)
        s.proc.wait(timeout=60)


@test(timeout=300)
def per_user_daemon_keeps_working_beside_the_system_one():
    with System() as s:
        s.start()
        va = s.venv(A)
        w = s.wheel(A)
        private_sock = os.path.join(s.homes[A], "run", "whlcd.sock")
        env = {"WHLC_SOCKET": private_sock, "WHLC_SYSTEM_SOCKET": s.socket}
        try:
            rc, out, err = s.client(A, ["status"], env)
            assert rc == 0 and "user" in out, (out, err)
            rc, out, err = s.client(A, ["install", "--venv", va, w], env)
            assert rc == 0, (out, err)
            st = os.stat(os.path.join(site(va), "shared_pkg", "__init__.py"))
            assert st.st_uid == s.users[A].pw_uid  # A's own cache, A's own objects
        finally:
            s.client(A, ["daemon", "stop"], env)


@test(timeout=120)
def descriptor_protocol_limits():
    with System() as s:
        s.start()
        # Announcing descriptors that never came is a protocol error for that client only.
        r = s.raw(A, "m = {'type': 17, 'id': 5, 'fds': 3}\nc.sock.sendall(mpack.frame(m))\n"
                     "print(json.dumps(c.recv()))")
        assert r["type"] == 2 and "3 file descriptors" in r["message"], r
        # Too many at once.
        r = s.raw(A, "fds = [os.open('/', os.O_RDONLY) for _ in range(%d)]\n"
                     "m = {'type': 17, 'id': 6}\n"
                     "c.sock.sendmsg([mpack.frame(m)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, "
                     "struct.pack('%di', *fds))])\nprint(json.dumps(c.recv()))" % (251, 251))
        assert r["type"] == 2, r
        rc, out, err = s.client(A, ["status"])
        assert rc == 0, err


@test(timeout=300)
def bind_mounted_cache_turns_hardlinks_into_exdev_copies():
    """Why whlcd-system.service avoids ProtectSystem=strict + ReadWritePaths= (SECURITY.md)."""
    for bind, mode in ((False, "hardlink"), (True, "copy")):
        with System() as s:
            s.start(bind_cache=bind)
            va = s.venv(A)
            rc, out, err = s.client(A, ["install", "--json", "--venv", va, s.wheel(A)])
            assert rc == 0, (out, err, s.log())
            r = json.loads(out)
            assert r["link_mode"] == mode, (bind, r)
            if bind:
                assert "EXDEV" in (r.get("fallback") or ""), r
            st = os.stat(os.path.join(site(va), "shared_pkg", "__init__.py"))
            assert (st.st_nlink > 1) == (not bind), (bind, st)


@test(timeout=300)
def wheels_installed_in_parallel_act_as_the_user():
    """The threads of one request (wheels in parallel; a large wheel's linking threads) act as
    its user: links, not EPERM copies; new files the user's; the catalog still the daemon's."""
    with System() as s:
        s.start()
        va = s.venv(A)
        pw = s.users[A]
        tmp = tempfile.mkdtemp(dir=s.dir)
        big = {"par_big/m%04d.py" % i: b"X = %d\n" % i for i in range(1600)}
        wheels = [wheelfab.build_wheel(tmp, "par-big", "1.0", big)]
        for i in range(4):
            wheels.append(wheelfab.build_wheel(
                tmp, "par-small%d" % i, "1.0",
                {"par_small%d/__init__.py" % i: b"V = %d\n" % i,
                 "par_small%d/data.txt" % i: b"x\n"},
                entry_points={"console_scripts": {"par-small%d" % i: "par_small%d:V" % i}}))
        for w in wheels:
            os.chown(w, pw.pw_uid, pw.pw_gid)
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        rc, out, err = s.client(A, ["install", "--json", "--venv", va] + wheels)
        assert rc == 0, (out, err, s.log())
        r = json.loads(out)
        assert r["link_mode"] == "hardlink" and not r.get("fallback"), r
        assert [x["name"] for x in r["installed"]] == [  # pip's order: names descending
            "par-small%d" % i for i in range(3, -1, -1)] + ["par-big"], r
        sp = site(va)
        st = os.stat(os.path.join(sp, "par_big", "m1599.py"))
        assert st.st_nlink > 1 and st.st_uid == s.svc.pw_uid, st
        for i in range(4):
            assert os.stat(os.path.join(sp, "par_small%d-1.0.dist-info" % i,
                                        "RECORD")).st_uid == pw.pw_uid
            assert os.stat(os.path.join(va, "bin", "par-small%d" % i)).st_uid == pw.pw_uid
            assert os.stat(os.path.join(sp, "par_small%d" % i)).st_uid == pw.pw_uid
        for dp, dns, fns in os.walk(s.cache_dir):
            for n in dns + fns:
                st = os.lstat(os.path.join(dp, n))
                assert st.st_uid == s.svc.pw_uid, "%s owned by %d" % (os.path.join(dp, n),
                                                                    st.st_uid)
        rc, out, err = s.client(A, ["verify", "--venv", va])
        assert rc == 0, (out, err)


if __name__ == "__main__":
    main()
