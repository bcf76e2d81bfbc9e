"""The stubs (__init__.pyi, _java.pyi, py.typed) type-check a program
that uses the API (typing_use.py) under mypy --strict; skipped, saying so,
when mypy is not installed."""
import os
import shutil
import subprocess
import sys

import pytest

import dlz

HERE = os.path.dirname(os.path.abspath(__file__))


def test_stubs_type_check(tmp):
    pytest.importorskip("mypy", reason="mypy is not installed: the stubs are not type-checked")
    pkg = os.path.dirname(dlz.__file__)
    for f in ("__init__.pyi", "_java.pyi", "py.typed"):
        assert os.path.exists(os.path.join(pkg, f)), f
    shutil.copytree(pkg, tmp / "dlz", ignore=shutil.ignore_patterns("*.p", "__pycache__"))
    shutil.copy(os.path.join(HERE, "typing_use.py"), tmp / "use.py")
    p = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use.py"],
                       cwd=tmp, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr


def test_stub_detects_misuse(tmp):
    """A wrong use fails the check (negative control)."""
    pytest.importorskip("mypy", reason="mypy is not installed: the stubs are not type-checked")
    pkg = os.path.dirname(dlz.__file__)
    shutil.copytree(pkg, tmp / "dlz", ignore=shutil.ignore_patterns("*.p", "__pycache__"))
    (tmp / "bad.py").write_text("import dlz\nx: int = dlz.load('a.zip').params\n")
    p = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "bad.py"],
                       cwd=tmp, capture_output=True, text=True, timeout=600)
    assert p.returncode != 0 and "Incompatible types" in p.stdout
