# tests/integration/: reliability tests (issue 8).
TESTS += tests/integration/test_hostile_clients.py tests/integration/test_disk_full.py
EXTRA_DIST += tests/integration/test_hostile_clients.py tests/integration/test_disk_full.py
