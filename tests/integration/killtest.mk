# tests/integration/: kill tests (issue 8): the short run of tests/killtest.py, killed clients, uninstalls.
TESTS += tests/integration/test_killtest.py
EXTRA_DIST += tests/integration/test_killtest.py tests/killtest.py
