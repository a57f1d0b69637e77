# tests/unit/: wheel-format tests (common/hash, wheel_name, rfc822, record, entrypoints, zipcheck).
check_PROGRAMS += tests/unit/test_hash tests/unit/test_wheel_name tests/unit/test_rfc822 \
	tests/unit/test_record tests/unit/test_entrypoints tests/unit/test_zipcheck \
	tests/unit/test_zipcheck_real
TESTS += tests/unit/test_hash tests/unit/test_wheel_name tests/unit/test_rfc822 \
	tests/unit/test_record tests/unit/test_entrypoints tests/unit/test_zipcheck \
	tests/unit/test_zipcheck_real
tests_unit_test_hash_LDADD = $(WHLC_UNIT_LIBS)
tests_unit_test_wheel_name_LDADD = $(WHLC_UNIT_LIBS)
tests_unit_test_rfc822_LDADD = $(WHLC_UNIT_LIBS)
tests_unit_test_record_LDADD = $(WHLC_UNIT_LIBS)
tests_unit_test_entrypoints_LDADD = $(WHLC_UNIT_LIBS)
tests_unit_test_zipcheck_SOURCES = tests/unit/test_zipcheck.c tests/unit/zipbuild.c
tests_unit_test_zipcheck_LDADD = $(WHLC_UNIT_LIBS)
tests_unit_test_zipcheck_real_LDADD = $(WHLC_UNIT_LIBS)

# Not a test: the integration tests run it on generated hostile wheels.
check_PROGRAMS += tests/unit/zipcheck-cli
tests_unit_zipcheck_cli_SOURCES = tests/unit/zipcheck-cli.c
tests_unit_zipcheck_cli_LDADD = $(WHLC_UNIT_LIBS)
EXTRA_DIST += tests/unit/unit_random.h tests/unit/zipbuild.h
