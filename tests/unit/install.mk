# tests/unit/: install tests.
# Daemon modules are compiled into each test directly (they are not in libwhlc.a).
TH_IHELP = tests/unit/test_ihelp.c tests/unit/test_ihelp.h

check_PROGRAMS += tests/unit/test_interp
TESTS += tests/unit/test_interp
tests_unit_test_interp_SOURCES = tests/unit/test_interp.c daemon/interp.c $(TH_IHELP)
tests_unit_test_interp_LDADD = $(WHLC_UNIT_LIBS)

check_PROGRAMS += tests/unit/test_tags
TESTS += tests/unit/test_tags
tests_unit_test_tags_SOURCES = tests/unit/test_tags.c daemon/tags.c daemon/interp.c $(TH_IHELP)
tests_unit_test_tags_LDADD = $(WHLC_UNIT_LIBS)
