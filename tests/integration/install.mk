# tests/integration/: install tests.
INSTALL_ITESTS = tests/integration/test_install_basic.py tests/integration/test_install_upgrade.py \
	tests/integration/test_install_native.py tests/integration/test_install_modes.py \
	tests/integration/test_install_life.py tests/integration/test_install_crash.py \
	tests/integration/test_install_edge.py
TESTS += $(INSTALL_ITESTS)
EXTRA_DIST += $(INSTALL_ITESTS) tests/integration/install_helpers.py
TESTS += tests/integration/test_install_shared.py
EXTRA_DIST += tests/integration/test_install_shared.py
