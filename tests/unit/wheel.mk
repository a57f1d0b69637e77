# tests/unit/: wheel tests.
