/*
 * ingest.h: verify a wheel file and add it to the store and catalog.
 *
 * ingest_wheel() runs on a worker thread (it blocks on I/O and hashing) and
 * is safe to call concurrently for different or identical wheels:
 *  1. fstat; the stat cache (dev, ino, size, mtime_ns) names a cached wheel:
 *     hit, nothing is read.
 *  2. parse the file name; validate the zip structure (zip_index_read); hash
 *     the whole file; a wheel with that SHA-256 already cataloged: hit.
 *  3. otherwise read every member once with libarchive's seekable zip reader
 *     (central directory authoritative): inflate, SHA-256, CRC-32 and size
 *     checks, bytes to a store temporary unless the object already exists.
 *  4. validate layout, METADATA, WHEEL and RECORD (see ingest_check.h).
 *  5. publish objects, make them durable, then one catalog transaction adds
 *     the wheel, its members, new objects and the stat-cache row.
 * Any failure before step 5 leaves the store and catalog untouched and
 * removes every temporary.
 */
#ifndef WHLC_INGEST_H
#define WHLC_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "failpoint.h"
#include "store.h"
#include "zipcheck.h"

/* Shared, read-only configuration of ingestion (one per daemon). */
struct ingest_ctx {
	struct store *store;
	struct catalog *catalog;
	const struct failpoint *fp; /* may be NULL */
	struct zip_limits limits;   /* zip_limits_default() unless configured */
	size_t mem_member_max;	    /* members up to this size are hashed in memory before
				       any write (default 1 MiB, 0 = default) */
};

struct ingest_result {
	struct catalog_wheel wheel; /* the catalog row (id, sha256, names, tags, purelib,
				       dist_info, size, n_members...) */
	int cached;		    /* 1: the wheel was already in the catalog */
	int stat_hit;		    /* 1: recognised by the stat cache, not even hashed */
	uint64_t new_objects;	    /* objects this call created in the store */
	uint64_t bytes_read;	    /* uncompressed bytes inflated and hashed */
	size_t n_warnings;
	char **warnings; /* e.g. "WHEEL: Wheel-Version 1.1 is newer than 1.0 ..." */
};

/* Fill a ctx with defaults for store/catalog (limits and memory threshold). */
void ingest_ctx_init(struct ingest_ctx *ix, struct store *s, struct catalog *c,
		     const struct failpoint *fp);

/*
 * Ingest the wheel at path (absolute, or relative to the daemon's cwd). On
 * error the message names the wheel file and, where there is one, the
 * offending member; the code is -WHLC_EBADWHEEL, -WHLC_EHOSTILE,
 * -WHLC_ERECORD, -WHLC_ELIMIT, or -errno.
 */
int ingest_wheel(const struct ingest_ctx *ix, const char *path, struct ingest_result *res,
		 struct err *err);
void ingest_result_free(struct ingest_result *res);

/* Flags of ingest_wheel_fd. */
enum {
	/*
	 * Neither consult nor fill the stat cache: the file is a private snapshot
	 * (system mode) whose dev/ino/mtime say nothing about its contents later.
	 */
	INGEST_NO_STATCACHE = 1 << 0,
};

/*
 * Ingest the wheel open on fd (read from its current description; the fd
 * stays open); path names it in messages and the catalog (its last component
 * must be the wheel's file name).
 */
int ingest_wheel_fd(const struct ingest_ctx *ix, int fd, const char *path, unsigned flags,
		    struct ingest_result *res, struct err *err);

#endif
