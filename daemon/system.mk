# daemon/: system mode (issue 9): configuration, allow-list, per-thread user identity,
# descriptors passed by clients.
# ident.c goes into libwhlc.a: catalog.c and interp.c call it, and unit tests
# compile those directly against libwhlc.a (outside a thread acting as a user
# every ident_* call is a no-op).
LIBWHLC_SRCS += daemon/ident.h daemon/ident.c
WHLCD_SRCS += daemon/sysmode.h daemon/sysmode.c daemon/userfile.h daemon/userfile.c
EXTRA_DIST += SECURITY.md
# venv_at.c goes into libwhlc.a too: installed.c (compiled into unit tests) uses it.
LIBWHLC_SRCS += daemon/venv_at.h daemon/venv_at.c
WHLCD_SRCS += daemon/reload.h daemon/reload.c
# Unit test of venv_at.c (in libwhlc.a).
check_PROGRAMS += tests/unit/test_venv_at
TESTS += tests/unit/test_venv_at
tests_unit_test_venv_at_LDADD = $(WHLC_UNIT_LIBS)
