"""report.py: targets of issue 6 and the markdown rendering of benchmark results."""

MiB = 1024 * 1024


def _get(d, *keys):
    """d[k1][k2]... or None when any level is missing."""
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def _target(name, value, limit, fmt, ok):
    """One target row: {name, value, limit, status}."""
    if value is None:
        return {"target": name, "measured": "n/a", "limit": limit, "status": "not measured"}
    return {"target": name, "measured": fmt % value, "limit": limit,
            "status": "met" if ok(value) else "NOT MET"}


def targets(res):
    """The targets of issue 6 evaluated on res (each met, NOT MET or not measured)."""
    inst = res.get("install", {})
    warm = _get(inst, "whlc_warm", "median")
    cold = _get(inst, "whlc_cold", "median")
    cpal = _get(inst, "cp_al", "median")
    pip = _get(inst, "pip", "median")
    installer = _get(inst, "installer", "median")
    out = [
        _target("warm corpus install / cp -al", warm / cpal if warm and cpal else None,
                "<= 0.80", "%.2fx", lambda v: v <= 0.8),
        _target("pip time / warm corpus install", pip / warm if warm and pip else None,
                ">= 15", "%.1fx", lambda v: v >= 15),
        _target("cold corpus install / pypa/installer", cold / installer if cold and installer
                else None, "<= 0.50", "%.2fx", lambda v: v <= 0.5),
        _target("one small wheel, warm, end to end",
                None if _get(res, "small", "whlc", "median") is None
                else _get(res, "small", "whlc", "median") * 1000,
                "<= 15 ms", "%.1f ms", lambda v: v <= 15),
        _target("bytes added per extra venv / corpus installed size",
                None if _get(res, "disk", "whlc", "added_fraction") is None
                else _get(res, "disk", "whlc", "added_fraction") * 100,
                "<= 3%", "%.2f%%", lambda v: v <= 3.0),
        _target("daemon RSS idle", _mib(_get(res, "memory", "idle_rss_max")),
                "<= 20 MiB", "%.1f MiB", lambda v: v <= 20),
        _target("daemon peak RSS during corpus install", _mib(_get(res, "memory", "peak_rss")),
                "<= 100 MiB", "%.1f MiB", lambda v: v <= 100),
        _target("8 concurrent / 8 sequential warm installs",
                _get(res, "concurrency", "ratio"), "<= 0.70", "%.2fx", lambda v: v <= 0.7),
    ]
    return out


def _mib(v):
    """Bytes to MiB, None stays None."""
    return None if v is None else v / MiB


def _s(x):
    """Seconds of a timing entry as text."""
    if not x or x.get("median") is None:
        return x.get("skipped", "n/a") if x else "n/a"
    return "%.3f s" % x["median"]


def _ms(x):
    """Milliseconds of a timing entry as text."""
    if not x or x.get("median") is None:
        return x.get("skipped", "n/a") if x else "n/a"
    return "%.1f ms" % (x["median"] * 1000)


def markdown(res):
    """The results as markdown."""
    L = []
    m, v, c = res["machine"], res["versions"], res["corpus"]
    L.append("Run %s, %d runs per measurement (median), `%s`." % (res["date"], res["runs"],
                                                                 res["command"]))
    L.append("")
    L.append("Machine: %s, %s cores, %.1f GiB RAM, kernel %s; venvs and cache on %s (%s)."
             % (m["cpu"], m["cores"], m["memory_bytes"] / 2**30, m["kernel"], m["filesystem"],
                m["device"]))
    L.append("Versions: %s; %s; pypa/installer %s; pip: %s (Python %s); %s."
             % (v.get("whlc") or "whlc n/a", v.get("whlcd") or "whlcd n/a", v["installer"],
                v["pip"], v["python"], v["coreutils"]))
    L.append("")
    L.append("Corpus: %d wheels (%d native), %d files (%d native .so), %.1f MB of wheels, "
             "%.1f MB unpacked." % (c["wheels"], c["native_wheels"], c["files"],
                                     c["native_files"], c["bytes"] / 1e6,
                                     c["unpacked_bytes"] / 1e6))
    if res.get("notes"):
        L.append("")
        for n in res["notes"]:
            L.append("- " + n)
    inst = res.get("install")
    if inst:
        L += ["", "### Whole-corpus install into a fresh venv", "",
              "| | whlc warm | whlc cold | pip | pypa/installer | cp -al | cp -a |",
              "| --- | --- | --- | --- | --- | --- | --- |",
              "| median | %s |" % " | ".join(_s(inst.get(k)) for k in
                                              ("whlc_warm", "whlc_cold", "pip", "installer",
                                               "cp_al", "cp_a")),
              "| fastest run | %s |" % " | ".join(
                  "%.3f s" % inst[k]["min"] if inst.get(k, {}).get("min") else "n/a"
                  for k in ("whlc_warm", "whlc_cold", "pip", "installer", "cp_al", "cp_a"))]
        if inst.get("ratios"):
            L += ["", "Ratios of the medians: " + ", ".join(
                "%s %.2fx" % (k, r) for k, r in inst["ratios"].items()) + "."]
        if inst.get("paired_ratios"):
            L += ["", "Medians of the per-run ratios (the two ran back to back in each run): " +
                  ", ".join("%s %.2fx" % (k, r) for k, r in inst["paired_ratios"].items()) + "."]
    sm = res.get("small")
    if sm:
        L += ["", "### One small wheel (%s), end to end (median)" % sm["wheel"], "",
              "| whlc warm | pip | pypa/installer |", "| --- | --- | --- |",
              "| %s |" % " | ".join(_ms(sm.get(k)) for k in ("whlc", "pip", "installer"))]
    dk = res.get("disk")
    if dk:
        L += ["", "### Disk: bytes each additional venv adds (each inode counted once)", "",
              "| installer | venvs | first venv (du) | added per extra venv (du) | "
              "added (apparent) | % of corpus installed size |",
              "| --- | --- | --- | --- | --- | --- |"]
        for k in ("whlc", "pip"):
            d = dk.get(k)
            if not d or d.get("skipped"):
                L.append("| %s | %s | | | | |" % (k, d.get("skipped") if d else "n/a"))
                continue
            L.append("| %s | %d | %.1f MB | %.2f MB | %.2f MB | %.2f%% |"
                     % (k, d["venvs"], d["first"]["allocated"] / 1e6,
                        d["added_allocated"] / 1e6, d["added_apparent"] / 1e6,
                        d["added_fraction"] * 100))
        w = dk.get("whlc") or {}
        if w.get("added_allocated_by_kind") and dk.get("corpus_installed"):
            L += ["", "whlc's added bytes per extra venv by kind (du): " + ", ".join(
                "%s %.2f MB (%.2f%%)" % (k, v / 1e6, 100 * v / dk["corpus_installed"])
                for k, v in sorted(w["added_allocated_by_kind"].items()) if v) +
                ". A directory cannot be hardlinked: every venv needs its own directory blocks."]
        if dk.get("corpus_installed"):
            L += ["", "Corpus installed size (pip venv minus an empty venv, du): %.1f MB; "
                  "whlc cache on disk: %s." % (dk["corpus_installed"] / 1e6,
                                               "%.1f MB" % (dk["cache_bytes"] / 1e6)
                                               if dk.get("cache_bytes") else "n/a")]
    imgs = (dk or {}).get("images")
    if imgs:
        L += ["", "#### Disk on fresh loop-mounted ext4 images (`--disk-images`)", "",
              "| filesystem | whlc: added per extra venv | of which directories | of which files "
              "| pip: added per extra venv | corpus installed size |",
              "| --- | --- | --- | --- | --- | --- |"]
        for label, d in imgs.items():
            w, ci = d.get("whlc") or {}, d.get("corpus_installed") or 0
            if not ci or w.get("skipped"):
                continue
            kinds = w.get("added_allocated_by_kind", {})
            files = sum(v for k, v in kinds.items() if k != "dir")
            L.append("| `%s` | %.2f MB (%.2f%%) | %.2f MB (%.2f%%) | %.2f MB (%.2f%%) | %.2f%% | "
                     "%.1f MB |" % (d.get("mkfs", label), w["added_allocated"] / 1e6,
                                    100 * w["added_fraction"], kinds.get("dir", 0) / 1e6,
                                    100 * kinds.get("dir", 0) / ci, files / 1e6, 100 * files / ci,
                                    100 * d["pip"]["added_fraction"], ci / 1e6))
    mem = res.get("memory")
    if mem:
        L += ["", "### whlcd memory", "", "| idle (fresh) | idle (after installs) | "
              "peak, cold corpus install | peak, warm corpus install |",
              "| --- | --- | --- | --- |",
              "| %s |" % " | ".join("%.1f MiB" % _mib(mem[k]) if mem.get(k) else "n/a" for k in
                                   ("idle_rss", "idle_rss_after", "peak_cold", "peak_warm"))]
    cc = res.get("concurrency")
    if cc:
        L += ["", "### 8 warm installs of the corpus into 8 venvs (median)", "",
              "| at once | one after another | ratio |", "| --- | --- | --- |",
              "| %s | %s | %s |" % (_s(cc.get("concurrent")), _s(cc.get("sequential")),
                                    "%.2fx" % cc["ratio"] if cc.get("ratio") else "n/a")]
    ig = res.get("ingest")
    if ig:
        if ig.get("skipped"):
            L += ["", "### Ingestion: " + ig["skipped"]]
        else:
            L += ["", "### Ingestion of the %d largest wheels into an empty cache (median)"
                  % ig["wheels"], "", "| time | wheel input | files | MB/s | files/s |",
                  "| --- | --- | --- | --- | --- |",
                  "| %.3f s | %.1f MB | %d | %.1f | %.0f |"
                  % (ig["median"], ig["bytes"] / 1e6, ig["files"], ig["mb_per_s"],
                     ig["files_per_s"])]
    if res.get("load"):
        L += ["", "Load average (1 min) at the start and end of each section: " +
              ", ".join("%s %.1f/%.1f" % (k, a, b) for k, (a, b) in res["load"].items()) +
              " (on %s cores; above that, other processes competed for the CPU)." % m["cores"]]
    L += ["", "### Targets (issue 6)", "", "| target | measured | limit | status |",
          "| --- | --- | --- | --- |"]
    for t in res["targets"]:
        L.append("| %s | %s | %s | %s |" % (t["target"], t["measured"], t["limit"], t["status"]))
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    import json
    import sys
    with open(sys.argv[1]) as f:
        r = json.load(f)
    r["targets"] = targets(r)
    sys.stdout.write(markdown(r))
