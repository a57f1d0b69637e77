# tests/fuzz/: libFuzzer harnesses (--enable-fuzzing, clang) and corpus replay in every build.
# Each harness X is tests/fuzz/fuzz_X.c. With --enable-fuzzing, tests/fuzz/fuzz_X
# is the libFuzzer binary (run by .ci/fuzz); in every build, tests/fuzz/replay_X
# runs the committed corpus tests/fuzz/corpus/X/ in `make check`
# (tests/fuzz/test_corpus.py), so regression inputs stay fixed under ASan too.
FUZZ_LIBS = daemon/libwhlcd.a common/libwhlc.a $(DEP_LIBS) -lpthread
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzz_text.h
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/test_corpus.py
TESTS += tests/fuzz/test_corpus.py

check_PROGRAMS += tests/fuzz/replay_frame tests/fuzz/replay_wheel_name tests/fuzz/replay_rfc822 \
	tests/fuzz/replay_record tests/fuzz/replay_entrypoints tests/fuzz/replay_zipindex \
	tests/fuzz/replay_ingest
tests_fuzz_replay_frame_SOURCES = tests/fuzz/fuzz_frame.c tests/fuzz/replay.c $(FUZZ_COMMON)
tests_fuzz_replay_frame_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_wheel_name_SOURCES = tests/fuzz/fuzz_wheel_name.c tests/fuzz/replay.c $(FUZZ_COMMON)
tests_fuzz_replay_wheel_name_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_rfc822_SOURCES = tests/fuzz/fuzz_rfc822.c tests/fuzz/replay.c $(FUZZ_COMMON)
tests_fuzz_replay_rfc822_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_record_SOURCES = tests/fuzz/fuzz_record.c tests/fuzz/replay.c $(FUZZ_COMMON)
tests_fuzz_replay_record_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_entrypoints_SOURCES = tests/fuzz/fuzz_entrypoints.c tests/fuzz/replay.c $(FUZZ_COMMON)
tests_fuzz_replay_entrypoints_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_zipindex_SOURCES = tests/fuzz/fuzz_zipindex.c tests/fuzz/replay.c $(FUZZ_COMMON)
tests_fuzz_replay_zipindex_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_ingest_SOURCES = tests/fuzz/fuzz_ingest.c tests/fuzz/replay.c $(FUZZ_COMMON)
tests_fuzz_replay_ingest_LDADD = $(FUZZ_LIBS)

if ENABLE_FUZZING
FUZZ_LINK = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_frame tests/fuzz/fuzz_wheel_name tests/fuzz/fuzz_rfc822 \
	tests/fuzz/fuzz_record tests/fuzz/fuzz_entrypoints tests/fuzz/fuzz_zipindex \
	tests/fuzz/fuzz_ingest
tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c $(FUZZ_COMMON)
tests_fuzz_fuzz_frame_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_frame_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_wheel_name_SOURCES = tests/fuzz/fuzz_wheel_name.c $(FUZZ_COMMON)
tests_fuzz_fuzz_wheel_name_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_wheel_name_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_rfc822_SOURCES = tests/fuzz/fuzz_rfc822.c $(FUZZ_COMMON)
tests_fuzz_fuzz_rfc822_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_rfc822_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_record_SOURCES = tests/fuzz/fuzz_record.c $(FUZZ_COMMON)
tests_fuzz_fuzz_record_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_record_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_entrypoints_SOURCES = tests/fuzz/fuzz_entrypoints.c $(FUZZ_COMMON)
tests_fuzz_fuzz_entrypoints_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_entrypoints_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_zipindex_SOURCES = tests/fuzz/fuzz_zipindex.c $(FUZZ_COMMON)
tests_fuzz_fuzz_zipindex_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_zipindex_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_ingest_SOURCES = tests/fuzz/fuzz_ingest.c $(FUZZ_COMMON)
tests_fuzz_fuzz_ingest_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_ingest_LDADD = $(FUZZ_LIBS)
endif
