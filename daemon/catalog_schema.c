/*
 * catalog_schema.c: the catalog's schema, as a list of migrations.
 *
 * Migration i takes PRAGMA user_version from i to i+1 and runs inside the
 * same transaction that bumps the version. Never edit a released migration:
 * append a new one.
 *
 * v1 tables:
 *  objects      one row per store object (sha256, exec); verified_size and
 *               verified_mtime_ns are the object file's stat when last
 *               verified (the cheap check before linking, issue 7); state is
 *               ok / missing / quarantined.
 *  wheels       one row per .whl file content (sha256 of the file); the
 *               parsed file name, Root-Is-Purelib, dist-info directory name,
 *               last source path (re-ingestion after eviction), usage times.
 *  members      every file of a wheel: path in the archive -> object. The
 *               install plan is one range scan of the primary key.
 *  wheel_files  stat cache: (dev, ino) with size and mtime_ns -> wheel
 *               sha256, so a wheel file seen before is not re-hashed.
 *  counters     named counters (hits, misses, installs by link mode...).
 *  meta         key/value settings and timestamps (last eviction...).
 *  interpreters facts of a venv's interpreter, keyed by path and mtime_ns.
 *  venvs        venvs whlc installed into; installs: which wheel is in
 *               which venv (usage, for eviction and stats).
 */
#include "config.h"

#include "catalog_schema.h"

static const char catalog__v1[] =
    "CREATE TABLE objects ("
    " id INTEGER PRIMARY KEY,"
    " sha256 BLOB NOT NULL,"
    " exec INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " verified_size INTEGER,"
    " verified_mtime_ns INTEGER,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " added_at INTEGER NOT NULL,"
    " UNIQUE (sha256, exec));"
    "CREATE TABLE wheels ("
    " id INTEGER PRIMARY KEY,"
    " sha256 BLOB NOT NULL UNIQUE,"
    " filename TEXT NOT NULL,"
    " norm_name TEXT NOT NULL,"
    " version TEXT NOT NULL,"
    " build_tag TEXT,"
    " tags TEXT NOT NULL,"
    " root_is_purelib INTEGER NOT NULL,"
    " dist_info TEXT NOT NULL,"
    " source_path TEXT,"
    " size INTEGER NOT NULL,"
    " n_members INTEGER NOT NULL,"
    " unpacked_size INTEGER NOT NULL,"
    " added_at INTEGER NOT NULL,"
    " last_used_at INTEGER NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX wheels_name ON wheels (norm_name, version);"
    "CREATE INDEX wheels_lru ON wheels (last_used_at);"
    "CREATE TABLE members ("
    " wheel_id INTEGER NOT NULL REFERENCES wheels (id) ON DELETE CASCADE,"
    " path TEXT NOT NULL,"
    " object_id INTEGER NOT NULL REFERENCES objects (id),"
    " size INTEGER NOT NULL,"
    " exec INTEGER NOT NULL,"
    " PRIMARY KEY (wheel_id, path)) WITHOUT ROWID;"
    "CREATE INDEX members_object ON members (object_id);"
    "CREATE TABLE wheel_files ("
    " dev INTEGER NOT NULL,"
    " ino INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " mtime_ns INTEGER NOT NULL,"
    " path TEXT NOT NULL,"
    " wheel_sha256 BLOB NOT NULL,"
    " seen_at INTEGER NOT NULL,"
    " PRIMARY KEY (dev, ino)) WITHOUT ROWID;"
    "CREATE INDEX wheel_files_sha ON wheel_files (wheel_sha256);"
    "CREATE TABLE counters ("
    " name TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY,"
    " value) WITHOUT ROWID;"
    "CREATE TABLE interpreters ("
    " path TEXT PRIMARY KEY,"
    " mtime_ns INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " facts TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE venvs ("
    " id INTEGER PRIMARY KEY,"
    " path TEXT NOT NULL UNIQUE,"
    " interpreter TEXT,"
    " created_at INTEGER NOT NULL,"
    " last_used_at INTEGER NOT NULL);"
    "CREATE TABLE installs ("
    " venv_id INTEGER NOT NULL REFERENCES venvs (id) ON DELETE CASCADE,"
    " wheel_id INTEGER NOT NULL REFERENCES wheels (id) ON DELETE CASCADE,"
    " link_mode TEXT NOT NULL,"
    " installed_at INTEGER NOT NULL,"
    " PRIMARY KEY (venv_id, wheel_id)) WITHOUT ROWID;"
    "CREATE INDEX installs_wheel ON installs (wheel_id);"
    "INSERT INTO counters (name, value) VALUES ('hits', 0), ('misses', 0);";

const char *const catalog__migrations[] = {
    catalog__v1,
};
const size_t catalog__n_migrations = sizeof(catalog__migrations) / sizeof(catalog__migrations[0]);
