/*
 * cache.h: the daemon's cache module: store + catalog + ingestion settings,
 * opened at startup (after detaching: SQLite handles must not cross fork)
 * and closed at exit. Handlers reach it as req_daemon(req)->cache.
 *
 * Environment read once at startup (test and tuning facilities):
 *   WHLCD_FAILPOINT=name[:kill|error]  see failpoint.h
 *   WHLCD_MAX_UNPACKED=BYTES           zip bomb limit: total uncompressed size of a wheel
 *   WHLCD_MAX_RATIO=N                  zip bomb limit: compression ratio
 */
#ifndef WHLC_CACHE_H
#define WHLC_CACHE_H

#include "catalog.h"
#include "err.h"
#include "failpoint.h"
#include "ingest.h"
#include "store.h"

struct daemon;

struct cache {
	struct store store;
	struct catalog catalog;
	struct failpoint fp;
	struct ingest_ctx ingest;
	char *catalog_path;
};

/* Open the store and catalog under d->cache_dir and hang them off d. */
int cache_open(struct daemon *d, struct err *err);
/* Close what cache_open opened (no request may be running). */
void cache_close(struct daemon *d);

#endif
