# bench/: the benchmark of issue 6. `make bench` runs it on demand; never part of `make check`.
# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS='--quick' or '--only install,small --runs 7'.
EXTRA_DIST += bench/run.py bench/benchlib.py bench/report.py bench/installer_driver.py bench/profile.py \
	bench/disk_breakdown.py
BENCH_ARGS =

bench: all
	WHLC_BUILDDIR='$(abs_top_builddir)' $(PYTHON) $(abs_top_srcdir)/bench/run.py \
	  --out '$(abs_top_builddir)' $(BENCH_ARGS)

.PHONY: bench
