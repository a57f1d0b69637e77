# tests/integration/: concurrency stress (issue 8): 32 clients at once against one whlcd.
TESTS += tests/integration/test_stress.py
EXTRA_DIST += tests/integration/test_stress.py
