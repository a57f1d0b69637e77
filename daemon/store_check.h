/*
 * store_check.h: integrity of store objects (issue 7, "the hardlink problem").
 *
 * Objects are read-only, but root or an editor writing in place through a
 * venv's hardlink can still change one. The catalog records each object's
 * size and mtime when it was last verified; store_object_check compares them
 * with one fstatat and re-hashes only when they differ.
 *
 * mtime comparison: equal to the nanosecond, or equal to the second when the
 * file's nanoseconds are 0 (a cache restored from a tar archive with
 * one-second timestamps, the GNU tar default). Nothing keys on inode numbers,
 * so a restored cache (new inodes) verifies without re-hashing.
 *
 * An object never verified yet is trusted without hashing when its mtime is
 * not after the moment its catalog row was added (ingestion wrote it then and
 * hashed every byte on the way in); otherwise it is hashed once.
 */
#ifndef WHLC_STORE_CHECK_H
#define WHLC_STORE_CHECK_H

#include <stdint.h>
#include <sys/stat.h>

#include "err.h"
#include "store.h"

enum store_check_status {
	STORE_CHECK_OK = 0,
	STORE_CHECK_MISSING, /* no file under the object's name */
	STORE_CHECK_CORRUPT, /* content does not hash to the name, or not a regular file */
	STORE_CHECK_BADMODE, /* content intact, mode is not 0444/0555 */
};

struct store_check {
	enum store_check_status status;
	int rehashed;		/* the content was read and hashed by this check */
	int record;		/* OK/BADMODE: store size and mtime_ns as the new verification */
	int64_t size, mtime_ns; /* of the file (when it exists) */
	unsigned mode;		/* permission bits found */
};

/*
 * Check one object before linking it: one fstatat when size and mtime match
 * the verification record (verified_size/verified_mtime_ns, -1 for none),
 * else a re-hash. trusted_before: unix seconds the catalog row was added
 * (never-verified objects with an mtime not after it are taken as ingested).
 * Returns 0 with out->status filled, or a negative code for an I/O error.
 */
int store_object_check(const struct store *s, const uint8_t sha256[32], int exec,
		       int64_t verified_size, int64_t verified_mtime_ns, int64_t trusted_before,
		       struct store_check *out, struct err *err);

/* Hash an object file completely (no shortcut); fills out like store_object_check. */
int store_object_rehash(const struct store *s, const uint8_t sha256[32], int exec,
			struct store_check *out, struct err *err);

/* Open dirpath/name (through dirfd) and hash it completely; fills out like store_object_rehash. */
int store_rehash_at(int dirfd, const char *dirpath, const char *name, const uint8_t sha256[32],
		    int exec, struct store_check *out, struct err *err);

/* Hash an open file; st gets its fstat. */
int store_hash_fd(int fd, uint8_t sha256[32], struct stat *st);

/* Move an object out of objects/ into store-v1/quarantine/ (never linked again). */
int store_quarantine(const struct store *s, const char *relpath, struct err *err);

/* Restore an object's mode (0444, or 0555 when exec); the content must be intact. */
int store_fix_mode(const struct store *s, const uint8_t sha256[32], int exec, struct err *err);

/* st_mtim in nanoseconds. */
int64_t store_mtime_ns(const struct stat *st);
/* 1 when (size, mtime_ns) still match a verification record (see the comment above). */
int store_stat_matches(const struct stat *st, int64_t verified_size, int64_t verified_mtime_ns);

/* Parse "ab/<62 hex>[-x]" (fan-out dir name + file name) into sha and exec; 0 or -EINVAL. */
int store_parse_name(const char *fan, const char *file, uint8_t sha256[32], int *exec);

#endif
