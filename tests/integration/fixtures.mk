# tests/integration/: fixtures tests (self-tests of tests/lib: wheelfab, hostile, realwheels, oracle).
TESTS += tests/integration/test_fixtures.py tests/integration/test_hostile_zipcheck.py
EXTRA_DIST += tests/integration/test_fixtures.py tests/integration/test_hostile_zipcheck.py
