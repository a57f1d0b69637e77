# tests/integration/: cache lifecycle tests (issue 7).
TESTS += tests/integration/test_cache_life.py
EXTRA_DIST += tests/integration/test_cache_life.py tests/integration/life_helpers.py
TESTS += tests/integration/test_store_copies.py
EXTRA_DIST += tests/integration/test_store_copies.py
