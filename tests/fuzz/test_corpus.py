#!/usr/bin/env python3
"""test_corpus.py: replay every fuzz harness over its committed corpus (tests/fuzz/corpus/<harness>/).

Runs in every build (plain and --enable-asan), so seeds and regression inputs found
by fuzzing stay fixed. A harness fails on a crash, a sanitizer report, or an
invariant it checks (abort).
"""
import os
import subprocess
import sys

SRC = os.environ.get("WHLC_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("WHLC_BUILDDIR", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from tap import main, test  # noqa: E402

HARNESSES = ["frame", "wheel_name", "rfc822", "record", "entrypoints", "zipindex", "ingest"]


def replay(harness):
    """Run replay_<harness> over its corpus; assert it ran every input cleanly."""
    corpus = os.path.join(SRC, "tests", "fuzz", "corpus", harness)
    n = len([f for f in os.listdir(corpus) if not f.startswith(".")])
    assert n > 0, "empty corpus " + corpus
    p = subprocess.run([os.path.join(BUILD, "tests", "fuzz", "replay_" + harness), corpus],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 0, "replay_%s failed (rc %d):\n%s" % (harness, p.returncode, p.stderr[-4000:])
    assert p.stdout.strip() == "%d inputs replayed" % n, p.stdout
    assert "runtime error" not in p.stderr, p.stderr[-4000:]


def _case(harness):
    """A named test case for one harness (tap.py reports the function name)."""
    def case():
        replay(harness)
    case.__name__ = "corpus_" + harness
    return case


for _h in HARNESSES:
    test(timeout=300)(_case(_h))

if __name__ == "__main__":
    main()
