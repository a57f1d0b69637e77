/* catalog_stats.c: hit/miss counters and the totals of `whlc cache stats`. */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "catalog.h"
#include "catalog_int.h"

/* Add delta to a named counter ("hits", "misses", ...). */
int catalog_counter_add(struct catalog_conn *cc, const char *name, int64_t delta, struct err *err)
{
	sqlite3_stmt *st = catalog__st(cc, ST_COUNTER_ADD, err);

	if (st == NULL)
		return -WHLC_ECORRUPT;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	return catalog__exec_st(cc, st, err, "counter");
}

/* Run a one-row, one-column integer query. */
static int catalog__count(struct catalog_conn *cc, const char *sql, uint64_t *out, struct err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(cc->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return catalog__err(cc->db, rc, err, "stats");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : catalog__err(cc->db, rc, err, "stats");
}

/* Totals for `whlc cache stats`, read in one snapshot. */
int catalog_stats(struct catalog_conn *cc, struct catalog_stats *out, struct err *err)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = catalog__exec(cc->db, "BEGIN", err, "stats")) < 0)
		return ret;
	if ((ret = catalog__count(cc, "SELECT count(*) FROM wheels", &out->wheels, err)) < 0 ||
	    (ret = catalog__count(cc, "SELECT count(*), coalesce(sum(size), 0) FROM objects",
				  &out->objects, err)) < 0 ||
	    (ret = catalog__count(cc, "SELECT coalesce(sum(size), 0) FROM objects",
				  &out->disk_bytes, err)) < 0 ||
	    (ret = catalog__count(cc, "SELECT coalesce(sum(unpacked_size), 0) FROM wheels",
				  &out->logical_bytes, err)) < 0 ||
	    (ret = catalog__count(cc, "SELECT coalesce(sum(n_members), 0) FROM wheels",
				  &out->members, err)) < 0 ||
	    (ret = catalog__count(cc, "SELECT value FROM counters WHERE name = 'hits'", &out->hits,
				  err)) < 0 ||
	    (ret = catalog__count(cc, "SELECT value FROM counters WHERE name = 'misses'",
				  &out->misses, err)) < 0) {
		catalog__exec(cc->db, "ROLLBACK", NULL, "stats");
		return ret;
	}
	catalog__exec(cc->db, "COMMIT", NULL, "stats");
	return 0;
}
