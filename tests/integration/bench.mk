# tests/integration/: self-tests of the benchmark harness (bench/benchlib.py, report.py, installer driver).
TESTS += tests/integration/test_bench_lib.py
EXTRA_DIST += tests/integration/test_bench_lib.py
