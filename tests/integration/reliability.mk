# tests/integration/: reliability tests (issue 8).
TESTS += tests/integration/test_hostile_clients.py
EXTRA_DIST += tests/integration/test_hostile_clients.py
