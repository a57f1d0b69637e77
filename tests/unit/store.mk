# tests/unit/: store tests.
check_PROGRAMS += tests/unit/test_store tests/unit/test_catalog
TESTS += tests/unit/test_store tests/unit/test_catalog
tests_unit_test_store_SOURCES = tests/unit/test_store.c daemon/store.c daemon/failpoint.c
tests_unit_test_store_LDADD = $(WHLC_UNIT_LIBS)
tests_unit_test_catalog_SOURCES = tests/unit/test_catalog.c daemon/catalog.c daemon/catalog_schema.c
tests_unit_test_catalog_LDADD = $(WHLC_UNIT_LIBS)
