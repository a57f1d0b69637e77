# tests/integration/: the wheels of an install request ingested as one batch.
TESTS += tests/integration/test_ingest_batch.py
EXTRA_DIST += tests/integration/test_ingest_batch.py
