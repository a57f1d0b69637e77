# tests/unit/: core tests.
