/* catalog_schema.h: the catalog's schema migrations (internal to catalog.c). */
#ifndef WHLC_CATALOG_SCHEMA_H
#define WHLC_CATALOG_SCHEMA_H

#include <stddef.h>

/* catalog__migrations[i] takes user_version i to i+1. */
extern const char *const catalog__migrations[];
extern const size_t catalog__n_migrations;

#endif
