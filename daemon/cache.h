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

#include <pthread.h>
#include <stdbool.h>

#include <uv.h>

#include "catalog.h"
#include "err.h"
#include "failpoint.h"
#include "ingest.h"
#include "settings.h"
#include "store.h"

struct daemon;

/* One pinned wheel (see lifecycle.h). */
struct cache_pin {
	int64_t wheel_id;
	unsigned count;
};

struct cache {
	struct store store;
	struct catalog catalog;
	struct failpoint fp;
	struct ingest_ctx ingest;
	char *catalog_path;
	struct settings cfg; /* config file + whlcd options */

	/* Pins: wheels being installed (lifecycle.h). */
	pthread_mutex_t pin_mu;
	struct cache_pin *pins;
	size_t n_pins, cap_pins;
	/* Serializes operations that remove files (prune, gc, clear, repair, scan). */
	pthread_mutex_t life_mu;

	/* Background work (loop thread only, except the work functions). */
	struct daemon *d;
	uv_work_t bg_work;
	bool bg_running;    /* bg_work queued or running */
	bool bg_again;	    /* growth noted while running: check again */
	bool scan_pending;  /* startup scan not finished */
	unsigned scan_next; /* next fan-out directory of the startup scan */
	/* Fan-out directory mtimes of the clean-shutdown snapshot (-1: scan it). */
	int64_t snap[256];
	bool scan_complete; /* every fan-out consistent: a snapshot may be saved */
	void *bg_state;	    /* result of the background work item (evict.c) */
};

/* Open the store and catalog under d->cache_dir and hang them off d. */
int cache_open(struct daemon *d, struct err *err);
/* Close what cache_open opened (no request may be running). */
void cache_close(struct daemon *d);
/* Apply the configured zip bomb limits (0: the default) to ingestion; any thread may read them. */
void cache_apply_limits(struct cache *c, uint64_t max_unpacked, uint64_t max_ratio);
/* Give back what the cache keeps for speed while busy (the catalog's page caches). */
void cache_release_memory(struct daemon *d);

#endif
