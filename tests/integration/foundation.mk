# tests/integration/: foundation tests.
