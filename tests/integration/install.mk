# tests/integration/: install tests.
INSTALL_ITESTS = tests/integration/test_install_basic.py tests/integration/test_install_upgrade.py \
	tests/integration/test_install_native.py tests/integration/test_install_modes.py
TESTS += $(INSTALL_ITESTS)
EXTRA_DIST += $(INSTALL_ITESTS) tests/integration/install_helpers.py
