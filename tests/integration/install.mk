# tests/integration/: install tests.
