/* h_life.h: lifecycle fields of cache-stats (filled on a worker, added on the loop). */
#ifndef WHLC_H_LIFE_H
#define WHLC_H_LIFE_H

#include <stdint.h>

#include "catalog.h"
#include "msg.h"

struct cache;

struct h_life_stats {
	size_t n;
	char **names; /* counters */
	int64_t *values;
	int64_t last_eviction; /* unix s, 0 never */
	uint64_t live_bytes;
	uint64_t max_size;
	int64_t grace_s;
	uint64_t pinned;
};

/* Worker: read counters and meta. */
int h_life_stats_fill(struct cache *c, struct catalog_conn *cc, struct h_life_stats *s,
		      struct err *err);
/* Loop: add the fields to a cache-stats reply and free s. */
void h_life_stats_add(struct h_life_stats *s, struct msg_map *m);

#endif
