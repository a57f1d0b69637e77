# tests/unit/: store tests.
