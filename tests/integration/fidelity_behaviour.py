"""fidelity_behaviour.py: how installed wheels behave, compared between the pip and whlc venvs:
imports of every top-level package, launchers run or resolved, scripts run.

    import_outcomes(venv, ["pkg", "other"])     # {'pkg': 'ok', 'other': 'ImportError: ...'}
    check_imports(pip_outcomes, whlc_outcomes, names, expect_failure=())   # [difference]
    run_and_compare(pip_venv, whlc_venv, ["tool"])                          # [difference]
    resolve_and_compare(whlc_venv, {"tool": "mod:main"}, res_pip, res_whlc)  # [difference]
"""
import json
import os
import subprocess

import oracle


def text_diff(a, b, name_a, name_b):
    """A compact unified diff of two byte strings."""
    import difflib
    la = a.decode("utf-8", "replace").splitlines()
    lb = b.decode("utf-8", "replace").splitlines()
    return "\n".join(list(difflib.unified_diff(la, lb, name_a, name_b, lineterm=""))[:40])


_IMPORT_DRIVER = r"""
import json, os, sys
res = {}
for name in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            __import__(name)
            msg = "ok"
        except BaseException as e:
            msg = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        os.write(w, msg.encode("utf-8", "replace"))
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        c = os.read(r, 65536)
        if not c:
            break
        data += c
    os.close(r)
    os.waitpid(pid, 0)
    res[name] = data.decode("utf-8", "replace") or "crashed"
print(json.dumps(res))
"""


def import_outcomes(venv, names):
    """{name: 'ok' | 'ExcType: message'} of importing each name in venv's interpreter."""
    if not names:
        return {}
    r = subprocess.run([oracle.venv_python(venv), "-c", _IMPORT_DRIVER] + list(names),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/", timeout=600,
                       env=dict(os.environ, LD_LIBRARY_PATH="", PYTHONDONTWRITEBYTECODE="1"))
    if r.returncode:
        return {n: "driver failed: %s" % r.stderr.decode(errors="replace")[-500:] for n in names}
    res = json.loads(r.stdout)
    root = os.path.abspath(venv)
    return {k: v.replace(root, "<VENV>") for k, v in res.items()}


def check_imports(a, b, names, expect_failure=()):
    """Issue 5: after a whlc install `import pkg` works for every package installed (a, b:
    import_outcomes of the pip and whlc venvs). Names in
    expect_failure must fail in both venvs; any other name must import in the whlc venv unless
    it also fails the same way in the pip venv (a real wheel missing a dependency we do not
    install, e.g. old setuptools needing distutils on 3.12)."""
    out = []
    for n in names:
        if n in expect_failure:
            if b.get(n) == "ok" or a.get(n) == "ok":
                out.append("import %s: expected to fail in both venvs (pip: %s, whlc: %s)"
                           % (n, a.get(n), b.get(n)))
        elif b.get(n) != "ok":
            if a.get(n) == "ok":
                out.append("import %s: works in pip's venv, fails in whlc's: %s" % (n, b.get(n)))
            elif a.get(n, "").split(":")[0] != b.get(n, "").split(":")[0]:
                out.append("import %s: pip %s, whlc %s" % (n, a.get(n), b.get(n)))
    return out


def run_prog(argv, venv):
    """(exit status, output with the venv root normalized) of argv."""
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=60,
                           env=dict(os.environ, DISPLAY="", LD_LIBRARY_PATH=""))
    except subprocess.TimeoutExpired:
        return ("timeout", b"")
    except OSError as e:
        return ("exec failed: %s" % e.strerror, b"")
    out = r.stdout.replace(os.path.abspath(venv).encode(), b"<VENV>")
    return (r.returncode, out)


def run_and_compare(pip_venv, whlc_venv, names, args=("arg1",)):
    """Run bin/NAME ARGS in both venvs; exit status and output must agree."""
    out = []
    for n in names:
        a = run_prog([os.path.join(pip_venv, "bin", n)] + list(args), pip_venv)
        b = run_prog([os.path.join(whlc_venv, "bin", n)] + list(args), whlc_venv)
        if a != b:
            out.append("launcher %s: pip %r, whlc %r" % (n, a, b))
    return out


def run_scripts_and_compare(pip_venv, whlc_venv, names):
    """Run each bin/NAME (no args) in both venvs; exit status and output must agree."""
    return [d.replace("launcher", "script", 1) for d in run_and_compare(pip_venv, whlc_venv,
                                                                         names, ())]


_RESOLVE = r"""
import importlib, json, sys
res = {}
for name, target in json.loads(sys.argv[1]).items():
    mod, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(mod.strip())
        for part in attr.strip().split("."):
            obj = getattr(obj, part)
        res[name] = "callable" if callable(obj) else "not callable"
    except BaseException as e:
        res[name] = type(e).__name__
print(json.dumps(res))
"""


def resolve_launchers(venv, launchers):
    """{name: 'callable' | error type} of resolving each launcher's target in venv."""
    if not launchers:
        return {}
    r = subprocess.run([oracle.venv_python(venv), "-c", _RESOLVE, json.dumps(launchers)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/", timeout=600)
    if r.returncode:
        return {n: "driver failed" for n in launchers}
    return json.loads(r.stdout)


def resolve_and_compare(whlc_venv, launchers, res_pip, res_whlc):
    """For real wheels: each launcher exists and is executable in the whlc venv, and the
    callable it names resolves the same way in both venvs (running every real tool is too slow
    and some are interactive)."""
    out = []
    for n in sorted(launchers):
        p = os.path.join(whlc_venv, "bin", n)
        if not os.access(p, os.X_OK):
            out.append("launcher %s: missing or not executable in the whlc venv" % n)
        if res_pip.get(n) != res_whlc.get(n):
            out.append("launcher %s -> %s: pip venv %s, whlc venv %s"
                       % (n, launchers[n], res_pip.get(n), res_whlc.get(n)))
    return out
