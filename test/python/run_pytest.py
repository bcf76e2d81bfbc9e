"""The package's test suite, as meson runs it (suite 'python'):

    run_pytest.py PACKAGE_DIR JUNIT_XML [pytest arguments...]

PACKAGE_DIR holds the built package (<build>/src/python); JUNIT_XML
receives pytest's per-test results, which .ci/run counts.  Exits 77
(skipped) when NumPy or pytest is missing, 1 when pytest ran no test."""
import os
import sys

sys.path.insert(0, sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(1, here)
missing = []
for mod in ("numpy", "pytest"):
    try:
        __import__(mod)
    except ImportError:
        missing.append(mod)
if missing:
    print("skipped: %s not installed for %s" % (" and ".join(missing), sys.executable))
    sys.exit(77)

import pytest  # noqa: E402

os.environ["PYTHONPATH"] = os.pathsep.join(
    [sys.argv[1], here] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
rc = pytest.main(["-q", "-rs", "-p", "no:cacheprovider", "--junitxml=" + sys.argv[2],
                  "--rootdir", here, here] + sys.argv[3:])
sys.exit(1 if rc == 5 else int(rc))
