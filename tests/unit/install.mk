# tests/unit/: install tests.
# Daemon modules are compiled into each test directly (they are not in libwhlc.a).
TH_IHELP = tests/unit/test_ihelp.c tests/unit/test_ihelp.h

check_PROGRAMS += tests/unit/test_interp
TESTS += tests/unit/test_interp
tests_unit_test_interp_SOURCES = tests/unit/test_interp.c daemon/interp.c $(TH_IHELP)
tests_unit_test_interp_LDADD = $(WHLC_UNIT_LIBS)

check_PROGRAMS += tests/unit/test_tags
TESTS += tests/unit/test_tags
tests_unit_test_tags_SOURCES = tests/unit/test_tags.c daemon/tags.c daemon/interp.c $(TH_IHELP)
tests_unit_test_tags_LDADD = $(WHLC_UNIT_LIBS)

check_PROGRAMS += tests/unit/test_script
TESTS += tests/unit/test_script
tests_unit_test_script_SOURCES = tests/unit/test_script.c daemon/script.c $(TH_IHELP)
tests_unit_test_script_LDADD = $(WHLC_UNIT_LIBS)

check_PROGRAMS += tests/unit/test_launcher
TESTS += tests/unit/test_launcher
tests_unit_test_launcher_SOURCES = tests/unit/test_launcher.c daemon/launcher.c daemon/script.c $(TH_IHELP)
tests_unit_test_launcher_LDADD = $(WHLC_UNIT_LIBS)

check_PROGRAMS += tests/unit/test_venv
TESTS += tests/unit/test_venv
tests_unit_test_venv_SOURCES = tests/unit/test_venv.c daemon/venv.c $(TH_IHELP)
tests_unit_test_venv_LDADD = $(WHLC_UNIT_LIBS)

check_PROGRAMS += tests/unit/test_layout
TESTS += tests/unit/test_layout
tests_unit_test_layout_SOURCES = tests/unit/test_layout.c daemon/layout.c daemon/venv.c daemon/interp.c $(TH_IHELP)
tests_unit_test_layout_LDADD = $(WHLC_UNIT_LIBS)

check_PROGRAMS += tests/unit/test_installed
TESTS += tests/unit/test_installed
tests_unit_test_installed_SOURCES = tests/unit/test_installed.c daemon/installed.c daemon/layout.c daemon/venv.c daemon/interp.c $(TH_IHELP)
tests_unit_test_installed_LDADD = $(WHLC_UNIT_LIBS)
