# tests/unit/: install tests.
