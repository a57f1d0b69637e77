# tests/integration/: self-tests of the benchmark harness (bench/benchlib.py, report.py, installer driver).
TESTS += tests/integration/test_bench_lib.py
EXTRA_DIST += tests/integration/test_bench_lib.py
# Tests of the optimizations of issue 6 (behaviour only, never timing).
TESTS += tests/integration/test_perf_facts.py
EXTRA_DIST += tests/integration/test_perf_facts.py
