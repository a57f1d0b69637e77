# tests/unit/: store tests.
check_PROGRAMS += tests/unit/test_store tests/unit/test_catalog tests/unit/test_ingest
TESTS += tests/unit/test_store tests/unit/test_catalog tests/unit/test_ingest
tests_unit_test_store_LDADD = $(WHLCD_UNIT_LIBS)
tests_unit_test_catalog_LDADD = $(WHLCD_UNIT_LIBS)
tests_unit_test_ingest_LDADD = $(WHLCD_UNIT_LIBS)
check_PROGRAMS += tests/unit/test_store_copy
TESTS += tests/unit/test_store_copy
tests_unit_test_store_copy_LDADD = $(WHLCD_UNIT_LIBS)
