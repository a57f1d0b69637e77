"""hostile.py: malformed and malicious wheels, one per bad-input rule (spec A, B, F, K).

    import hostile
    for case in hostile.generate("/tmp/hostile"):
        # case.label  e.g. "dotdot-segment"
        # case.path   the .whl file
        # case.code   the err_code_name() whlc must report: "bad-wheel", "hostile-wheel",
        #             "bad-record" or "limit-exceeded"
        # case.member a string the error message must contain (the offending member), or None
        # case.stage  where whlc can first see the problem:
        #             "zip"     central directory / local header checks (zip_index_read),
        #             "inflate" only while reading member data (CRC, real size),
        #             "wheel"   wheel rules (file name, dist-info, WHEEL, METADATA, RECORD),
        #             "install" only when installing into a venv (entry points, data targets)
        ...

generate(outdir, bomb=True): the 1 GiB bomb is built once by streaming zlib (never held in
memory) and cached under wheelfab.cache_dir("hostile"). The raw zip writer (RawEntry,
write_raw) produces archives zipfile refuses to write: headers that disagree, overlaps,
bad flags, unknown methods, arbitrary byte names and file types.
"""
import collections
import hashlib
import os
import stat
import struct
import zlib

import wheelfab
from wheelfab import b64hash

HostileCase = collections.namedtuple("HostileCase", "label path code member stage note")

BAD_WHEEL, HOSTILE, BAD_RECORD, LIMIT = "bad-wheel", "hostile-wheel", "bad-record", "limit-exceeded"

BOMB_SIZE = 1 << 30  # inflates to 1 GiB
_CHUNK = 1 << 20
_DOSTIME, _DOSDATE = 0, (40 << 9) | (2 << 5) | 2  # 2020-02-02 00:00


class RawEntry:
    """One member for write_raw: what the central directory says, with optional lies.

    local: overrides for the local header only ('name', 'crc', 'csize', 'usize', 'method',
    'flags'). local_of: index of an earlier entry whose local header this central entry
    points at (overlap). compressed: the exact bytes stored (default: deflate or store data).
    crc/csize/usize: central (and, unless overridden, local) values; default: computed.
    """

    def __init__(self, name, data, method=8, mode=0o644, ftype=stat.S_IFREG, flags=None,
                 create_system=3, external_attr=None, crc=None, csize=None, usize=None,
                 compressed=None, local=None, local_of=None, descriptor=None):
        self.name = name.encode("utf-8") if isinstance(name, str) else name
        self.data = data
        self.method = method
        if flags is None:
            flags = 0 if all(b < 0x80 for b in self.name) else 0x800
        self.flags = flags
        self.create_system = create_system
        if external_attr is None:
            external_attr = ((ftype | mode) & 0xFFFF) << 16 if create_system == 3 else 0
        self.external_attr = external_attr
        if compressed is None:
            if method == 8:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                compressed = c.compress(data) + c.flush()
            else:
                compressed = data
        self.compressed = compressed
        self.crc = zlib.crc32(data) & 0xFFFFFFFF if crc is None else crc
        self.csize = len(compressed) if csize is None else csize
        self.usize = len(data) if usize is None else usize
        self.local = dict(local or {})
        self.local_of = local_of
        self.descriptor = descriptor  # None, or (crc, csize, usize) written after the data


def write_raw(path, entries, prepend=b"", append=b"", comment=b"", junk_between=None):
    """Write entries as a zip at path, byte by byte; returns path.

    prepend: bytes before the first local header (offsets account for them). append: bytes
    after the EOCD record (outside the comment). junk_between: (index, bytes) inserted
    before entry index's local header without any central entry naming it.
    """
    out = bytearray(prepend)
    offsets = []
    for i, e in enumerate(entries):
        if junk_between and junk_between[0] == i:
            out += junk_between[1]
        if e.local_of is not None:
            offsets.append(offsets[e.local_of])
            continue
        offsets.append(len(out))
        lo = e.local
        name = lo.get("name", e.name)
        flags = lo.get("flags", e.flags | (0x8 if e.descriptor else 0))
        crc, csize, usize = lo.get("crc", e.crc), lo.get("csize", e.csize), lo.get("usize", e.usize)
        if e.descriptor:
            crc, csize, usize = 0, 0, 0
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, lo.get("method", e.method),
                           _DOSTIME, _DOSDATE, crc, csize, usize, len(name), 0)
        out += name + e.compressed
        if e.descriptor:
            out += struct.pack("<IIII", 0x08074B50, *e.descriptor)
    cd_start = len(out)
    for e, off in zip(entries, offsets):
        flags = e.flags | (0x8 if e.descriptor else 0)
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (e.create_system << 8) | 20, 20,
                           flags, e.method, _DOSTIME, _DOSDATE, e.crc, e.csize, e.usize,
                           len(e.name), 0, 0, 0, 0, e.external_attr, off)
        out += e.name
    cd_size = len(out) - cd_start
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), cd_size,
                       cd_start, len(comment))
    out += comment + append
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)
    return path


def _record(rows, di):
    """RECORD bytes (csv quoting) from (path, data) pairs; byte names are kept byte for byte."""
    import csv
    import io
    out = io.StringIO()
    wr = csv.writer(out, lineterminator="\n")
    for p, d in rows:
        if isinstance(p, bytes):
            p = p.decode("utf-8", "surrogateescape")
        wr.writerow([p, b64hash(d), len(d)])
    wr.writerow([di + "/RECORD", "", ""])
    return out.getvalue().encode("utf-8", "surrogateescape")


class _Wheel:
    """A small valid wheel as a list of RawEntry, to be broken in one way by each case."""

    def __init__(self, label, version="1.0", tag="py3-none-any"):
        self.name = "hostile_" + label.replace("-", "_").replace(".", "_")
        self.version = version
        self.di = "%s-%s.dist-info" % (self.name, version)
        self.datadir = "%s-%s.data" % (self.name, version)
        self.filename = "%s-%s-%s.whl" % (self.name, version, tag)
        self.pkg = self.name
        self.files = [("%s/__init__.py" % self.pkg, b"X = 1\n"),
                      ("%s/mod.py" % self.pkg, b"def f():\n    return 2\n")]
        self.meta = [(self.di + "/METADATA", wheelfab.metadata_text(self.name, version)),
                     (self.di + "/WHEEL", wheelfab.wheel_text(tag))]

    def rows(self, extra=(), drop=()):
        """(path, data) of the files, extra members and dist-info (without RECORD)."""
        rows = self.files + list(extra) + self.meta
        return [(p, d) for p, d in rows if p not in drop]

    def entries(self, extra=(), drop=(), record=True, record_rows=None):
        """RawEntry list with a correct RECORD (or record_rows' RECORD, or none)."""
        rows = self.rows(extra, drop)
        ents = [RawEntry(p, d) for p, d in rows]
        if record:
            rec = _record(record_rows if record_rows is not None else rows, self.di)
            ents.append(RawEntry(self.di + "/RECORD", rec))
        return ents


def _record_text(rows, di):
    """RECORD from explicit (path, hash, size) rows plus RECORD's own row."""
    lines = ["%s,%s,%s" % r for r in rows] + ["%s/RECORD,," % di]
    return ("\n".join(lines) + "\n").encode()


def _bomb_stream(cache):
    """(compressed bytes, crc32, b64 sha256) of BOMB_SIZE zeros, cached; never all in memory."""
    path = os.path.join(cache, "bomb-%d.deflate" % BOMB_SIZE)
    meta = path + ".meta"
    if not (os.path.exists(path) and os.path.exists(meta)):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        zeros = bytes(_CHUNK)
        crc, h = 0, hashlib.sha256()
        tmp = path + ".tmp%d" % os.getpid()
        with open(tmp, "wb") as f:
            for _ in range(BOMB_SIZE // _CHUNK):
                f.write(c.compress(zeros))
                crc = zlib.crc32(zeros, crc)
                h.update(zeros)
            f.write(c.flush())
        with open(meta + ".tmp%d" % os.getpid(), "w") as f:
            f.write("%d %s\n" % (crc & 0xFFFFFFFF, b64hash_digest(h.digest())))
        os.replace(meta + ".tmp%d" % os.getpid(), meta)
        os.replace(tmp, path)
    with open(path, "rb") as f:
        comp = f.read()
    with open(meta) as f:
        crc, h = f.read().split()
    return comp, int(crc), h


def b64hash_digest(digest):
    """'sha256=<urlsafe b64>' from a raw sha256 digest."""
    import base64
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _archive_cases(outdir):
    """Structure attacks and archive damage (spec K.47-K.52, issue 4 'the archive')."""
    cases = []

    def raw(label, code, member, stage, note, build, **kw):
        w = _Wheel(label)
        ents = build(w)
        path = write_raw(os.path.join(outdir, w.filename), ents, **kw)
        cases.append(HostileCase(label, path, code, member, stage, note))

    def with_member(name, data=b"evil = 1\n", **kw):
        """Builder: the base wheel plus one member (listed correctly in RECORD)."""
        def build(w):
            ents = w.entries(extra=[(name, data)])
            for e in ents:
                if e.name == (name.encode() if isinstance(name, str) else name):
                    e.__init__(name, data, **kw)
            return ents
        return build

    # Not a zip / truncated / empty.
    w = _Wheel("not-a-zip")
    p = os.path.join(outdir, w.filename)
    with open(p, "wb") as f:
        f.write(b"This is a text file, not a zip archive.\n" * 20)
    cases.append(HostileCase("not-a-zip", p, BAD_WHEEL, None, "zip", "no EOCD"))
    w = _Wheel("empty-file")
    p = os.path.join(outdir, w.filename)
    open(p, "wb").close()
    cases.append(HostileCase("empty-file", p, BAD_WHEEL, None, "zip", "zero bytes"))
    w = _Wheel("truncated")
    p = write_raw(os.path.join(outdir, w.filename), w.entries())
    with open(p, "rb") as f:
        data = f.read()
    with open(p, "wb") as f:
        f.write(data[: len(data) // 2])
    cases.append(HostileCase("truncated", p, BAD_WHEEL, None, "zip", "second half missing"))

    # Data damage: headers agree with each other, not with the data.
    def crc_bad(w):
        ents = w.entries()
        e = ents[1]
        e.crc ^= 0xDEADBEEF
        return ents
    raw("crc-mismatch", HOSTILE, "hostile_crc_mismatch/mod.py", "inflate",
        "local and central CRC agree, data does not match", crc_bad)

    def size_bad(w):
        ents = w.entries()
        ents[1].usize += 7
        return ents
    raw("size-mismatch", HOSTILE, "hostile_size_mismatch/mod.py", "inflate",
        "declared uncompressed size is 7 bytes more than the data inflates to", size_bad)

    def encrypted(w):
        ents = w.entries()
        ents[1].flags |= 1
        return ents
    raw("encrypted-member", HOSTILE, "hostile_encrypted_member/mod.py", "zip",
        "general purpose flag bit 0 (traditional PKWARE encryption)", encrypted)

    def method99(w):
        ents = w.entries()
        e = ents[1]
        e.__init__(e.name, e.data, method=99)
        return ents
    raw("unknown-method", HOSTILE, "hostile_unknown_method/mod.py", "zip",
        "compression method 99 (AES marker, unsupported)", method99)

    # Member names (K.47).
    raw("dotdot-segment", HOSTILE, "../evil.py", "zip", "escapes the target directory",
        with_member("../evil.py"))
    raw("dotdot-inner", HOSTILE, "hostile_dotdot_inner/../../evil.py", "zip",
        "'..' in the middle of the path", with_member("hostile_dotdot_inner/../../evil.py"))
    raw("absolute-path", HOSTILE, "/tmp/whlc-evil.py", "zip", "absolute member name",
        with_member("/tmp/whlc-evil.py"))
    raw("backslash", HOSTILE, "hostile_backslash", "zip", "Windows separator",
        with_member("hostile_backslash\\evil.py"))
    raw("nul-in-name", HOSTILE, "nulname", "zip", "NUL byte inside the name",
        with_member(b"nulname/ev\x00il.py"))
    raw("control-char", HOSTILE, "ctrlname", "zip", "\\x01 inside the name",
        with_member(b"ctrlname/ev\x01il.py"))
    raw("newline-in-name", HOSTILE, "nlname", "zip", "newline inside the name (log injection)",
        with_member(b"nlname/ev\nil.py"))
    raw("invalid-utf8", HOSTILE, "badutf8", "zip", "\\xff\\xfe is not UTF-8 (flag bit 11 set)",
        with_member(b"badutf8/\xff\xfe.py", flags=0x800))
    raw("dot-segment", HOSTILE, "hostile_dot_segment/./evil.py", "zip", "'.' segment",
        with_member("hostile_dot_segment/./evil.py"))
    raw("empty-segment", HOSTILE, "hostile_empty_segment//evil.py", "zip", "'//' in the name",
        with_member("hostile_empty_segment//evil.py"))

    # File types (K.49).
    for label, ftype, data in (("symlink-member", stat.S_IFLNK, b"../../../../etc/passwd"),
                               ("chardev-member", stat.S_IFCHR, b""),
                               ("blockdev-member", stat.S_IFBLK, b""),
                               ("fifo-member", stat.S_IFIFO, b""),
                               ("socket-member", stat.S_IFSOCK, b"")):
        pkg = "hostile_" + label.replace("-", "_")
        raw(label, HOSTILE, pkg + "/special", "zip", "external_attr file type %o" % ftype,
            with_member(pkg + "/special", data, ftype=ftype, mode=0o777 if ftype ==
                        stat.S_IFLNK else 0o644))
    raw("symlink-in-scripts", HOSTILE, "hostile_symlink_in_scripts-1.0.data/scripts/tool", "zip",
        ".data/scripts entry that is a symlink to /bin/sh",
        with_member("hostile_symlink_in_scripts-1.0.data/scripts/tool", b"/bin/sh",
                    ftype=stat.S_IFLNK, mode=0o777))

    # Duplicates (K.50).
    def dup(w):
        name = w.pkg + "/dup.py"
        ents = w.entries(extra=[(name, b"second = 2\n")])
        ents.insert(0, RawEntry(name, b"first = 1\n"))
        return ents
    raw("duplicate-name", HOSTILE, "hostile_duplicate_name/dup.py", "zip",
        "two central entries with the same name, RECORD matches the second", dup)

    def case_dup(w):
        return w.entries(extra=[(w.pkg + "/Case.py", b"A = 1\n"), (w.pkg + "/case.py", b"B = 2\n")])
    raw("case-duplicate", HOSTILE, "hostile_case_duplicate/", "zip",
        "names differing only by case collide on case-insensitive filesystems", case_dup)

    def dup_distinfo_case(w):
        return w.entries(extra=[(w.di + "/metadata", b"Name: other\n")])
    raw("case-duplicate-metadata", HOSTILE, "hostile_case_duplicate_metadata-1.0.dist-info/", "zip",
        "METADATA and metadata in the same dist-info", dup_distinfo_case)

    # Local header disagreements (K.51).
    def local_name(w):
        ents = w.entries()
        ents[1].local["name"] = (w.pkg + "/MOD.py").encode()
        return ents
    raw("local-name-differs", HOSTILE, "hostile_local_name_differs/mod.py", "zip",
        "local header names MOD.py, central directory mod.py", local_name)

    def local_name_traversal(w):
        ents = w.entries()
        ents[1].local["name"] = b"../../../../tmp/evil.py"
        return ents
    raw("local-name-traversal", HOSTILE, "hostile_local_name_traversal/mod.py", "zip",
        "a streaming reader would see a traversal the central directory hides",
        local_name_traversal)

    def local_sizes(w):
        ents = w.entries()
        ents[1].local["usize"] = ents[1].usize + 100
        return ents
    raw("local-size-differs", HOSTILE, "hostile_local_size_differs/mod.py", "zip",
        "local uncompressed size differs from central", local_sizes)

    def local_csize(w):
        ents = w.entries()
        ents[1].local["csize"] = ents[1].csize + 1
        return ents
    raw("local-csize-differs", HOSTILE, "hostile_local_csize_differs/mod.py", "zip",
        "local compressed size differs from central", local_csize)

    def local_crc(w):
        ents = w.entries()
        ents[1].local["crc"] = ents[1].crc ^ 1
        return ents
    raw("local-crc-differs", HOSTILE, "hostile_local_crc_differs/mod.py", "zip",
        "local CRC differs from central", local_crc)

    def local_method(w):
        ents = w.entries()
        ents[1].local["method"] = 0
        return ents
    raw("local-method-differs", HOSTILE, "hostile_local_method_differs/mod.py", "zip",
        "local says stored, central says deflate", local_method)

    def descriptor_bad(w):
        ents = w.entries()
        e = ents[1]
        e.descriptor = (e.crc ^ 0xFFFF, e.csize, e.usize)
        return ents
    raw("descriptor-crc-differs", HOSTILE, "hostile_descriptor_crc_differs/mod.py", "zip",
        "data descriptor (flag bit 3) CRC differs from central", descriptor_bad)

    # Overlaps and entries on one side only.
    def overlap_same(w):
        ents = w.entries()
        twin = RawEntry(w.pkg + "/twin.py", ents[1].data, local_of=1)
        ents.insert(2, twin)
        rows = w.rows(extra=[(w.pkg + "/twin.py", ents[1].data)])
        ents[-1] = RawEntry(w.di + "/RECORD", _record(rows, w.di))
        return ents
    raw("overlap-same-local", HOSTILE, "hostile_overlap_same_local/twin.py", "zip",
        "two central entries point at one local header (the classic overlap bomb shape)",
        overlap_same)

    def overlap_inner(w):
        ents = w.entries()
        # mod.py's central entry points into the middle of __init__.py's data: compute below.
        ents[1].local_of = 0
        return ents
    raw("overlap-shared-data", HOSTILE, "hostile_overlap_shared_data/mod.py", "zip",
        "mod.py's central entry reuses __init__.py's local header and data", overlap_inner)

    raw("local-only-entry", HOSTILE, None, "zip",
        "a local file header that no central entry names (hidden member)",
        lambda w: w.entries(),
        junk_between=(1, _local_only(b"hidden/evil.py", b"import os\n")))
    raw("trailing-data", HOSTILE, None, "zip", "bytes after the EOCD record",
        lambda w: w.entries(), append=b"TRAILING-GARBAGE" * 4)
    inner = _Wheel("inner")
    inner_path = write_raw(os.path.join(outdir, ".inner.zip"), inner.entries())
    with open(inner_path, "rb") as f:
        inner_bytes = f.read()
    os.unlink(inner_path)
    raw("zip-in-comment", HOSTILE, None, "zip",
        "the EOCD comment holds a complete second zip (parser differential)",
        lambda w: w.entries(), comment=inner_bytes)
    raw("prepended-data", HOSTILE, None, "zip",
        "bytes before the first local header (self-extractor shape)",
        lambda w: w.entries(), prepend=b"#!/bin/sh\nexit 0\n" + b"\0" * 100)
    return cases


def _local_only(name, data):
    """A stored local file header plus data, for hiding between members."""
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, _DOSTIME, _DOSDATE,
                       zlib.crc32(data) & 0xFFFFFFFF, len(data), len(data), len(name), 0) \
        + name + data


def _bomb_cases(outdir, cache):
    """Zip bombs (K.52): a real 1 GiB-of-zeros member, and one whose header lies."""
    comp, crc, sha = _bomb_stream(cache)
    cases = []
    for label, usize, code, stage, note in (
            ("zip-bomb", BOMB_SIZE, LIMIT, "zip",
             "one member inflating to 1 GiB from about 1 MiB (ratio ~1000)"),
            ("zip-bomb-lying-size", 1 << 20, HOSTILE, "inflate",
             "central directory claims 1 MiB, the stream inflates to 1 GiB")):
        w = _Wheel(label)
        name = w.pkg + "/bomb.bin"
        path = os.path.join(outdir, w.filename)
        rows = [(p, b64hash(d), len(d)) for p, d in w.rows()]
        rows.insert(2, (name, sha, usize))
        ents = [RawEntry(p, d) for p, d in w.rows()]
        ents.insert(2, RawEntry(name, b"", compressed=comp, crc=crc, usize=usize))
        ents.append(RawEntry(w.di + "/RECORD", _record_text(rows, w.di)))
        write_raw(path, ents)
        cases.append(HostileCase(label, path, code, name, stage, note))
    return cases


def _record_cases(outdir):
    """RECORD problems (spec F.23-F.26)."""
    cases = []

    def add(label, member, note, build, code=BAD_RECORD):
        w = _Wheel(label)
        path = write_raw(os.path.join(outdir, w.filename), build(w))
        cases.append(HostileCase(label, path, code, member, "wheel", note))

    add("record-missing", "RECORD", "no RECORD in the dist-info", lambda w: w.entries(record=False))
    add("record-unlisted-member", "hostile_record_unlisted_member/unlisted.py",
        "a member RECORD does not list",
        lambda w: w.entries(extra=[(w.pkg + "/unlisted.py", b"x = 1\n")], record_rows=w.rows()))

    def rows_edit(edit):
        def build(w):
            rows = [(p, b64hash(d), len(d)) for p, d in w.rows()]
            rows = edit(w, rows)
            ents = [RawEntry(p, d) for p, d in w.rows()]
            ents.append(RawEntry(w.di + "/RECORD", _record_text(rows, w.di)))
            return ents
        return build

    def modrow(fn):
        def edit(w, rows):
            return [fn(w, r) if r[0].endswith("/mod.py") else r for r in rows]
        return edit

    def weak(algo):
        return lambda w, r: (r[0], b64hash(dict(w.rows())[r[0]], algo), r[2])

    add("record-hash-mismatch", "hostile_record_hash_mismatch/mod.py", "sha256 of other bytes",
        rows_edit(modrow(lambda w, r: (r[0], b64hash(b"other"), r[2]))))
    add("record-size-mismatch", "hostile_record_size_mismatch/mod.py", "size off by one",
        rows_edit(modrow(lambda w, r: (r[0], r[1], r[2] + 1))))
    add("record-md5", "hostile_record_md5/mod.py", "md5 hash (correct, but too weak)",
        rows_edit(modrow(weak("md5"))))
    add("record-sha1", "hostile_record_sha1/mod.py", "sha1 hash (correct, but too weak)",
        rows_edit(modrow(weak("sha1"))))
    add("record-ghost-row", "hostile_record_ghost_row/ghost.py",
        "RECORD names a file the archive lacks",
        rows_edit(lambda w, rows: rows + [(w.pkg + "/ghost.py", b64hash(b"boo\n"), 4)]))
    add("record-ghost-outside", "../../../../etc/whlc-ghost",
        "RECORD row outside site-packages for a file the archive lacks (uninstall would delete it)",
        rows_edit(lambda w, rows: rows + [("../../../../etc/whlc-ghost", b64hash(b"x"), 1)]))
    add("record-malformed-hash", "hostile_record_malformed_hash/mod.py",
        "hash field without 'algo='",
        rows_edit(modrow(lambda w, r: (r[0], "sha256", r[2]))))
    add("record-bad-base64", "hostile_record_bad_base64/mod.py", "hash is not urlsafe base64",
        rows_edit(modrow(lambda w, r: (r[0], "sha256=!!!not*base64!!!", r[2]))))
    add("record-size-not-number", "hostile_record_size_not_number/mod.py", "size 'abc'",
        rows_edit(modrow(lambda w, r: (r[0], r[1], "abc"))))
    return cases


def _wheel_cases(outdir):
    """Wheel rules: file name, dist-info, METADATA, WHEEL, .data layout (spec A, B, C.11, C.13)."""
    cases = []

    def add(label, code, member, note, build, filename=None, stage="wheel"):
        w = _Wheel(label)
        path = write_raw(os.path.join(outdir, filename or w.filename), build(w))
        cases.append(HostileCase(label, path, code, member, stage, note))

    def meta_edit(name, data):
        def build(w):
            w.meta = [(p, data if p.endswith("/" + name) else d) for p, d in w.meta]
            return w.entries()
        return build

    add("no-dist-info", BAD_WHEEL, ".dist-info", "no .dist-info directory at all",
        lambda w: [RawEntry(p, d) for p, d in w.files])

    def two_di(w):
        other = "%s-%s.dist-info" % (w.name + "_other", w.version)
        return w.entries(extra=[(other + "/METADATA", wheelfab.metadata_text(w.name + "_other",
                                                                             "1.0")),
                                (other + "/WHEEL", wheelfab.wheel_text("py3-none-any"))])
    add("two-dist-infos", BAD_WHEEL, "hostile_two_dist_infos_other-1.0.dist-info",
        "a second dist-info (for another project) at the top level", two_di)

    def two_di_same(w):
        other = "%s-2.0.dist-info" % w.name
        return w.entries(extra=[(other + "/METADATA", wheelfab.metadata_text(w.name, "2.0"))])
    add("two-dist-infos-same-project", BAD_WHEEL, "hostile_two_dist_infos_same_project-2.0.dist-info",
        "two dist-infos for one project, different versions", two_di_same)

    def di_mismatch(w):
        w.di = "somethingelse-1.0.dist-info"
        w.meta = [(w.di + "/" + p.rsplit("/", 1)[1], d) for p, d in w.meta]
        return w.entries()
    add("dist-info-name-mismatch", BAD_WHEEL, "somethingelse-1.0.dist-info",
        "dist-info names another project than the file name", di_mismatch)

    add("metadata-name-mismatch", BAD_WHEEL, "METADATA", "METADATA Name: other-project",
        lambda w: meta_edit("METADATA", wheelfab.metadata_text("other-project", w.version))(w))
    add("metadata-version-mismatch", BAD_WHEEL, "METADATA", "METADATA Version: 9.9",
        lambda w: meta_edit("METADATA", wheelfab.metadata_text(w.name, "9.9"))(w))
    add("metadata-missing", BAD_WHEEL, "METADATA", "no METADATA",
        lambda w: w.entries(drop=(w.di + "/METADATA",)))
    add("wheel-missing", BAD_WHEEL, "WHEEL", "no WHEEL file",
        lambda w: w.entries(drop=(w.di + "/WHEEL",)))
    add("wheel-version-2", BAD_WHEEL, "WHEEL", "Wheel-Version: 2.0 (major too new)",
        lambda w: meta_edit("WHEEL", wheelfab.wheel_text("py3-none-any", wheel_version="2.0"))(w))
    add("wheel-version-missing", BAD_WHEEL, "WHEEL", "no Wheel-Version header",
        lambda w: meta_edit("WHEEL", b"Generator: x\nRoot-Is-Purelib: true\nTag: py3-none-any\n")(w))
    add("wheel-version-garbage", BAD_WHEEL, "WHEEL", "Wheel-Version: one.zero",
        lambda w: meta_edit("WHEEL", wheelfab.wheel_text("py3-none-any",
                                                         wheel_version="one.zero"))(w))
    for label, fname, note in (
            ("filename-4-fields", "hostile_filename_4_fields-1.0-py3-any.whl", "4 fields"),
            ("filename-7-fields", "hostile_filename_7_fields-1.0-1-x-py3-none-any.whl",
             "7 fields"),
            ("filename-build-not-digit", "hostile_filename_build_not_digit-1.0-abc-py3-none-any.whl",
             "build tag 'abc' does not start with a digit"),
            ("filename-no-whl", "hostile_filename_no_whl-1.0-py3-none-any.zip",
             "extension is not .whl"),
            ("filename-bad-version", "hostile_filename_bad_version-1.0~beta-py3-none-any.whl",
             "version is not PEP 440")):
        add(label, BAD_WHEEL, None, note, lambda w: w.entries(), filename=fname)

    add("data-unknown-key", BAD_WHEEL, "hostile_data_unknown_key-1.0.data/unknown/x.txt",
        ".data/unknown is not a scheme",
        lambda w: w.entries(extra=[(w.datadir + "/unknown/x.txt", b"x\n")]))
    add("data-file-directly", BAD_WHEEL, "hostile_data_file_directly-1.0.data/file.txt",
        "a file directly under .data/",
        lambda w: w.entries(extra=[(w.datadir + "/file.txt", b"x\n")]))
    add("data-phantom-dist-info", BAD_WHEEL, "phantom-1.0.dist-info",
        ".dist-info inside .data/purelib would create a phantom distribution",
        lambda w: w.entries(extra=[(w.datadir + "/purelib/phantom-1.0.dist-info/METADATA",
                                    wheelfab.metadata_text("phantom", "1.0"))]))
    add("data-phantom-dist-info-platlib", BAD_WHEEL, "phantom-1.0.dist-info",
        ".dist-info inside .data/platlib",
        lambda w: w.entries(extra=[(w.datadir + "/platlib/phantom-1.0.dist-info/RECORD", b"")]))
    add("data-onto-interpreter", HOSTILE, "hostile_data_onto_interpreter-1.0.data/data/bin/python",
        ".data/data/bin/python would replace the venv's interpreter (K.48)",
        lambda w: w.entries(extra=[(w.datadir + "/data/bin/python", b"#!/bin/sh\necho pwned\n")]),
        stage="install")

    def ep(text):
        def build(w):
            w.meta.append((w.di + "/entry_points.txt", text))
            return w.entries()
        return build
    add("entry-point-shadows-python", BAD_WHEEL, "python",
        "console_scripts entry named python would shadow the interpreter (H.38)",
        ep(b"[console_scripts]\npython = os:getcwd\n"), stage="install")
    add("entry-point-slash", BAD_WHEEL, "../evil",
        "console_scripts entry named ../evil leaves bin/ (H.38)",
        ep(b"[console_scripts]\n../evil = os:getcwd\n"), stage="install")
    add("entry-point-no-callable", BAD_WHEEL, "nocall",
        "console_scripts entry without ':callable' (H.36)",
        ep(b"[console_scripts]\nnocall = os.path\n"), stage="install")
    return cases


def generate(outdir, bomb=True):
    """Write every hostile case into outdir; returns [HostileCase]."""
    os.makedirs(outdir, exist_ok=True)
    cases = _archive_cases(outdir)
    if bomb:
        cases += _bomb_cases(outdir, wheelfab.cache_dir("hostile"))
    cases += _record_cases(outdir) + _wheel_cases(outdir)
    labels = [c.label for c in cases]
    assert len(labels) == len(set(labels)), "duplicate hostile labels"
    return cases


# ---------------------------------------------------------------------------
# A reference checker, independent of the writer above: used by the self-tests to prove
# that each case carries its defect and that good wheels carry none.

def _names_defects(names):
    """Defects of member names (bytes)."""
    out = []
    seen, folded = set(), {}
    for raw_name in names:
        try:
            n = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            out.append("invalid utf-8 name %r" % raw_name)
            continue
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in n):
            out.append("control character in %r" % n)
        if "\\" in n:
            out.append("backslash in %r" % n)
        if n.startswith("/"):
            out.append("absolute name %r" % n)
        segs = n.rstrip("/").split("/")
        if any(sg in ("..", ".", "") for sg in segs):
            out.append("bad segment in %r" % n)
        if n in seen:
            out.append("duplicate %r" % n)
        elif n.lower() in folded:
            out.append("case duplicate %r / %r" % (folded[n.lower()], n))
        seen.add(n)
        folded.setdefault(n.lower(), n)
    return out


def _central(data):
    """Parse EOCD and central directory: (entries, eocd_offset, comment) or raise ValueError."""
    pos = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if pos < 0 or len(data) - pos < 22:
        raise ValueError("no end of central directory")
    (_, _, _, n, total, cd_size, cd_off, clen) = struct.unpack_from("<IHHHHIIH", data, pos)
    ents, p = [], cd_off
    for _ in range(total):
        if data[p:p + 4] != b"PK\x01\x02":
            raise ValueError("bad central header at %d" % p)
        f = struct.unpack_from("<IHHHHHHIIIHHHHHII", data, p)
        name = data[p + 46:p + 46 + f[10]]
        ents.append({"name": name, "made_by": f[1], "flags": f[3], "method": f[4], "crc": f[7],
                     "csize": f[8], "usize": f[9], "attr": f[15], "off": f[16]})
        p += 46 + f[10] + f[11] + f[12]
    return ents, pos, cd_off, data[pos + 22:pos + 22 + clen], pos + 22 + clen


def find_defects(path, max_ratio=200, ratio_min_size=1 << 20):
    """Reasons (strings) why path is not a clean wheel; [] for a good one.

    Checks the archive structure (as zip_index_read must), member data (CRC and size, by
    inflating with a cap), and the wheel rules (file name, dist-info, METADATA, WHEEL, RECORD,
    .data layout). Install-stage rules (entry point names, .data/data targets) are included.
    """
    import csv
    import io
    import re
    with open(path, "rb") as f:
        data = f.read()
    try:
        ents, eocd, cd_off, comment, end = _central(data)
    except (ValueError, struct.error) as e:
        return ["not a zip: %s" % e]
    out = []
    if end != len(data):
        out.append("%d bytes after the EOCD" % (len(data) - end))
    if b"PK\x03\x04" in comment or b"PK\x05\x06" in comment:
        out.append("zip signature inside the comment")
    out += _names_defects([e["name"] for e in ents])
    spans = []
    for e in ents:
        n = e["name"].decode("utf-8", "replace")
        if e["flags"] & 1:
            out.append("encrypted %s" % n)
        if e["method"] not in (0, 8):
            out.append("method %d for %s" % (e["method"], n))
        ftype = (e["attr"] >> 16) & 0o170000
        if (e["made_by"] >> 8) == 3 and ftype not in (0, stat.S_IFREG, stat.S_IFDIR):
            out.append("file type %o for %s" % (ftype, n))
        if e["usize"] > ratio_min_size and e["usize"] > max_ratio * max(e["csize"], 1):
            out.append("ratio %d for %s" % (e["usize"] // max(e["csize"], 1), n))
        o = e["off"]
        if data[o:o + 4] != b"PK\x03\x04":
            out.append("no local header for %s" % n)
            continue
        lf = struct.unpack_from("<IHHHHHIIIHH", data, o)
        lname = data[o + 30:o + 30 + lf[9]]
        dstart = o + 30 + lf[9] + lf[10]
        lcrc, lcs, lus = lf[6], lf[7], lf[8]
        if lf[2] & 8:
            d = dstart + e["csize"]
            if data[d:d + 4] == b"PK\x07\x08":
                lcrc, lcs, lus = struct.unpack_from("<III", data, d + 4)
        if lname != e["name"]:
            out.append("local name differs for %s" % n)
        if lf[3] != e["method"] or (lcrc, lcs, lus) != (e["crc"], e["csize"], e["usize"]):
            out.append("local header differs for %s" % n)
        spans.append((o, dstart + e["csize"] + (16 if lf[2] & 8 else 0), n))
        if e["method"] == 8 and not e["flags"] & 1:
            d = zlib.decompressobj(-15)
            got, crc, src = 0, 0, data[dstart:dstart + e["csize"]]
            for i in range(0, len(src), 65536):
                chunk = d.decompress(src[i:i + 65536], e["usize"] + 1 - got)
                got += len(chunk)
                crc = zlib.crc32(chunk, crc)
                if got > e["usize"] or d.unconsumed_tail:
                    break
            if got != e["usize"] or d.unconsumed_tail:
                out.append("size differs for %s" % n)
            elif crc & 0xFFFFFFFF != e["crc"]:
                out.append("crc differs for %s" % n)
        elif e["method"] == 0 and zlib.crc32(data[dstart:dstart + e["csize"]]) != e["crc"]:
            out.append("crc differs for %s" % n)
    spans.sort()
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            out.append("overlap %s / %s" % (an, bn))
        elif b0 > a1:
            out.append("%d unaccounted bytes before %s" % (b0 - a1, bn))
    if spans and spans[0][0] != 0:
        out.append("%d bytes before the first local header" % spans[0][0])
    if spans and spans[-1][1] != cd_off:
        out.append("unaccounted bytes before the central directory")
    if out:
        return out
    return _wheel_defects(path, data, ents)


def _wheel_defects(path, data, ents):
    """Wheel-level rules on a structurally clean archive."""
    import csv
    import io
    import re
    out = []
    fname = os.path.basename(path)
    fields = fname[:-4].split("-") if fname.endswith(".whl") else []
    if len(fields) not in (5, 6):
        return ["bad file name %s" % fname]
    if len(fields) == 6 and not fields[2][:1].isdigit():
        return ["build tag %s" % fields[2]]
    if not re.match(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9.]+)?$",
                    fields[1], re.I):
        return ["version %s" % fields[1]]
    norm = wheelfab.normalize(fields[0])
    names = {e["name"].decode(): e for e in ents}

    def read(n):
        e = names[n]
        o = e["off"]
        lf = struct.unpack_from("<IHHHHHIIIHH", data, o)
        raw = data[o + 30 + lf[9] + lf[10]:o + 30 + lf[9] + lf[10] + e["csize"]]
        return zlib.decompress(raw, -15) if e["method"] == 8 else raw
    dis = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
    if len(dis) != 1:
        return ["%d dist-info directories: %s" % (len(dis), sorted(dis))]
    di = dis.pop()
    if wheelfab.normalize(di[:-len(".dist-info")].rsplit("-", 1)[0]) != norm:
        return ["dist-info %s does not match %s" % (di, fname)]
    for req in ("METADATA", "WHEEL", "RECORD"):
        if di + "/" + req not in names:
            out.append("%s missing" % req)
    if out:
        return out
    meta = read(di + "/METADATA").decode("utf-8", "replace")
    mname = re.search(r"^Name:\s*(.*)$", meta, re.M)
    mver = re.search(r"^Version:\s*(.*)$", meta, re.M)
    if not mname or wheelfab.normalize(mname.group(1).strip()) != norm:
        out.append("METADATA Name")
    if not mver or mver.group(1).strip() != fields[1]:
        out.append("METADATA Version")
    wv = re.search(r"^Wheel-Version:\s*(\d+)\.(\d+)\s*$", read(di + "/WHEEL").decode(), re.M)
    if not wv or int(wv.group(1)) != 1:
        out.append("WHEEL Wheel-Version")
    rows = list(csv.reader(io.StringIO(read(di + "/RECORD").decode("utf-8", "surrogateescape"))))
    listed = {}
    for r in rows:
        if r:
            listed[r[0]] = r
    for n in names:
        if n.endswith("/") or n in (di + "/RECORD", di + "/RECORD.jws", di + "/RECORD.p7s"):
            continue
        r = listed.pop(n, None)
        if r is None:
            out.append("%s not in RECORD" % n)
            continue
        body = read(n)
        algo = r[1].split("=", 1)[0] if "=" in r[1] else ""
        if algo not in ("sha256", "sha384", "sha512"):
            out.append("RECORD hash %r for %s" % (r[1], n))
        elif r[1] != b64hash(body, algo) or r[2] != str(len(body)):
            out.append("RECORD mismatch for %s" % n)
    listed.pop(di + "/RECORD", None)
    out += ["RECORD row without member: %s" % p for p in listed]
    datadir = di[:-len(".dist-info")] + ".data/"
    for n in names:
        if n.startswith(datadir):
            rest = n[len(datadir):].split("/")
            if len(rest) < 2 or rest[0] not in ("purelib", "platlib", "scripts", "headers", "data"):
                out.append(".data layout: %s" % n)
            elif rest[0] in ("purelib", "platlib") and rest[1].endswith(".dist-info"):
                out.append("phantom dist-info %s" % n)
            elif rest[0] == "data" and re.match(r"^bin/python", "/".join(rest[1:])):
                out.append("onto the interpreter: %s" % n)
    if di + "/entry_points.txt" in names:
        group = None
        for line in read(di + "/entry_points.txt").decode().splitlines():
            line = line.strip()
            if line.startswith("["):
                group = line.strip("[]")
            elif "=" in line and group in ("console_scripts", "gui_scripts"):
                k, v = (x.strip() for x in line.split("=", 1))
                if "/" in k or k.startswith(".") or re.match(r"^(python|pypy)", k) or ":" not in v:
                    out.append("entry point %s = %s" % (k, v))
    return out


if __name__ == "__main__":
    import sys
    for c in generate(sys.argv[1], bomb="--no-bomb" not in sys.argv):
        print("%-32s %-15s %-8s %r %s" % (c.label, c.code, c.stage, c.member,
                                           find_defects(c.path)[:1]))
