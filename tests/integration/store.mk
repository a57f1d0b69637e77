# tests/integration/: store tests.
TESTS += tests/integration/test_cache_add.py tests/integration/test_cache_hostile.py \
	tests/integration/test_cache_crash.py
EXTRA_DIST += tests/integration/test_cache_add.py tests/integration/test_cache_hostile.py \
	tests/integration/test_cache_crash.py tests/integration/cache_helpers.py \
	tests/bench_ingest.py
