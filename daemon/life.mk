# daemon/: cache lifecycle (issue 7): settings, eviction, gc, verify, repair.
WHLCD_SRCS += daemon/settings.c daemon/settings.h daemon/catalog_life.c daemon/catalog_life.h \
	daemon/store_check.c daemon/store_check.h daemon/lifecycle.h daemon/evict.c \
	daemon/repair.c daemon/verify_store.c daemon/h_life.c daemon/h_life.h
WHLC_SRCS += client/cmd_cache_life.c
WHLCD_SRCS += daemon/store_copy.c daemon/store_copy.h
