# tests/unit/: core tests (frame codec, msg helpers, request table).
check_PROGRAMS += tests/unit/test_frame
TESTS += tests/unit/test_frame
tests_unit_test_frame_LDADD = $(WHLC_UNIT_LIBS)
check_PROGRAMS += tests/unit/test_request
TESTS += tests/unit/test_request
tests_unit_test_request_LDADD = $(WHLCD_UNIT_LIBS)
