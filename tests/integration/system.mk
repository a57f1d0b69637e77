# tests/integration/: system mode (issue 9).
TESTS += tests/integration/test_system.py
EXTRA_DIST += tests/integration/test_system.py
TESTS += tests/integration/test_venv_beneath.py
EXTRA_DIST += tests/integration/test_venv_beneath.py tests/integration/system_helpers.py
TESTS += tests/integration/test_config_reload.py
EXTRA_DIST += tests/integration/test_config_reload.py
