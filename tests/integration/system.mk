# tests/integration/: system mode (issue 9).
TESTS += tests/integration/test_system.py
EXTRA_DIST += tests/integration/test_system.py
