# tests/: unit tests (tests/unit/*.mk) and integration tests (tests/integration/*.mk).
EXTRA_DIST += tests/lib
include tests/unit/core.mk
include tests/unit/wheel.mk
include tests/unit/store.mk
include tests/unit/install.mk
include tests/integration/foundation.mk
include tests/integration/store.mk
include tests/integration/install.mk
include tests/integration/fixtures.mk
include tests/integration/life.mk
include tests/integration/system.mk
include tests/fuzz/fuzz.mk
include tests/integration/reliability.mk
include tests/integration/fidelity.mk
include tests/integration/bench.mk
include tests/integration/killtest.mk
include tests/integration/stress.mk
include tests/integration/batch.mk
include tests/integration/warmpar.mk
