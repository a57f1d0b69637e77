# tests/integration/: fidelity against pip 23.2.1 (issue 5): fixtures x 3 Pythons, real wheels.
# The three scripts are independent (own daemon, own work dir) so `make -j2 check` runs them
# side by side.
TESTS += tests/integration/test_fidelity_fixtures.py tests/integration/test_fidelity_bundled.py \
	tests/integration/test_fidelity_repacked.py
EXTRA_DIST += tests/integration/fidelity_behaviour.py tests/integration/test_fidelity_fixtures.py tests/integration/test_fidelity_bundled.py \
	tests/integration/test_fidelity_repacked.py tests/integration/fidelity_helpers.py
