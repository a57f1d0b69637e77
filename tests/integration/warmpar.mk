# tests/integration/: the wheels of one request installed in parallel (daemon/install_par.c).
TESTS += tests/integration/test_install_par.py
EXTRA_DIST += tests/integration/test_install_par.py
