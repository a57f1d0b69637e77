# tests/integration/: store tests.
