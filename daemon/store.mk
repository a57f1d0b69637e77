# daemon/: content-addressed store, SQLite catalog, wheel ingestion.
# STORE_SRCS is also compiled into the unit tests (tests/unit/store.mk).
STORE_SRCS = daemon/cache.c daemon/cache.h daemon/h_cache.c daemon/store.c daemon/store.h daemon/store_reserve.c daemon/catalog.c daemon/catalog.h \
	daemon/catalog_int.h daemon/catalog_install.c daemon/catalog_stats.c \
	daemon/catalog_schema.c daemon/catalog_schema.h daemon/failpoint.c daemon/failpoint.h \
	daemon/crc32.c daemon/crc32.h daemon/ingest.c daemon/ingest.h daemon/ingest_int.h \
	daemon/ingest_publish.c daemon/ingest_check.c \
	daemon/ingest_check.h
WHLCD_SRCS += $(STORE_SRCS)
WHLC_SRCS += client/cmd_cache.c
