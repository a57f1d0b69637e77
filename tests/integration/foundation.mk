# tests/integration/: foundation tests (daemon, client, protocol).
TESTS += tests/integration/test_foundation.py
EXTRA_DIST += tests/integration/test_foundation.py
