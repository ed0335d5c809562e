# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers of the openmtp package tests (run by ctest with /usr/bin/python3).

Each test file is a script: run_tests() runs its test_* functions, prints one
line per test, exits 1 if any failed, 77 (ctest: skipped) if all were
skipped, 0 otherwise.  A test skips by raising Skip (data or tools absent)."""
import os
import sys
import traceback

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("OPENMTP_SHARED_DATA", os.path.join(SOURCE, "..", "shared", "data"))
POT_LI = os.path.join(SOURCE, "potentials", "mlearn-Li-L16", "mlearn-Li-L16.almtp")
POT_SIC = os.path.join(SOURCE, "potentials", "SiC-tersoff-standin", "SiC-10.almtp")
WORK = os.environ.get("OPENMTP_TEST_WORK", os.path.join(os.getcwd(), "python-test-work"))


class Skip(Exception):
    pass


def shared(*parts):
    """Path of a reference file in ../shared/data, or Skip when absent."""
    p = os.path.join(SHARED, *parts)
    if not os.path.exists(p):
        raise Skip("reference data %s not found (../shared/data absent)" % p)
    return p


def workdir(name):
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    return d


def li_bcc(rep=2, a=3.44, rattle=0.05, seed=1):
    from ase.build import bulk
    atoms = bulk("Li", "bcc", a=a, cubic=True).repeat(rep)
    if rattle:
        atoms.rattle(rattle, seed=seed)
    return atoms


def assert_close(a, b, rel=0.0, abs_=0.0, what=""):
    import numpy as np
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise AssertionError("%s: shapes %s and %s differ" % (what, a.shape, b.shape))
    tol = abs_ + rel * np.maximum(np.abs(a), np.abs(b))
    bad = np.abs(a - b) > tol
    if np.any(bad):
        i = np.unravel_index(np.argmax(np.abs(a - b) - tol), a.shape) if a.ndim else ()
        raise AssertionError("%s: %d of %d values differ beyond rel %g abs %g; worst at %s: %r vs %r"
                             % (what, int(bad.sum()), a.size, rel, abs_, i, a[i], b[i]))


def run_tests(namespace):
    try:
        import numpy  # noqa: F401
        import ase  # noqa: F401
    except ImportError as e:
        print("SKIP: %s (install python3-ase and python3-numpy; use /usr/bin/python3)" % e)
        sys.exit(77)
    tests = sorted((k, v) for k, v in namespace.items() if k.startswith("test_") and callable(v))
    only = sys.argv[1:]
    failed = skipped = 0
    for name, fn in tests:
        if only and name not in only:
            continue
        try:
            fn()
            print("PASS %s" % name)
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e))
        except Exception:
            failed += 1
            print("FAIL %s" % name)
            traceback.print_exc()
        sys.stdout.flush()
    ran = len(only) if only else len(tests)
    if failed:
        sys.exit(1)
    if skipped == ran:
        sys.exit(77)
    sys.exit(0)
