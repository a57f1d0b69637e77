# tests/integration/: fixtures tests.
