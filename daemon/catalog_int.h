/*
 * catalog_int.h: what catalog.c shares with catalog_install.c and catalog_stats.c:
 * the connection, its prepared statements and the SQLite helpers. Internal to the catalog.
 */
#ifndef WHLC_CATALOG_INT_H
#define WHLC_CATALOG_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"

enum catalog__st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_WHEEL_BY_SHA,
	ST_WHEEL_BY_ID,
	ST_WHEEL_INSERT,
	ST_WHEEL_TOUCH,
	ST_STAT_GET,
	ST_STAT_PUT,
	ST_OBJ_GET,
	ST_OBJ_INSERT,
	ST_OBJ_HEAL,
	ST_MEMBER_INSERT,
	ST_PLAN,
	ST_COUNTER_ADD,
	ST__COUNT
};

struct catalog_conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT]; /* prepared lazily */
	struct catalog_conn *next;
};

/* Record an SQLite error as -WHLC_ECORRUPT (or -EBUSY/-ENOSPC) with context. */
int catalog__err(sqlite3 *db, int rc, struct err *err, const char *what);
/* Current time in unix seconds. */
int64_t catalog__now(void);
/* Get (preparing on first use) a statement, reset and with bindings cleared. */
sqlite3_stmt *catalog__st(struct catalog_conn *cc, enum catalog__st which, struct err *err);
/* Step a statement that returns no rows; resets it. */
int catalog__exec_st(struct catalog_conn *cc, sqlite3_stmt *st, struct err *err, const char *what);
/* Run a script of statements without results. */
int catalog__exec(sqlite3 *db, const char *sql, struct err *err, const char *what);
/* Copy a text column (NULL stays NULL). */
char *catalog__text(sqlite3_stmt *st, int col);
/* Copy a 32-byte blob column; -WHLC_ECORRUPT when it has another size. */
int catalog__sha(sqlite3_stmt *st, int col, uint8_t out[32]);

#endif
