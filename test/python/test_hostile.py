"""Corrupt, truncated and hostile files raise dlz.Error, never crash the
interpreter; errors carry the library's code and message."""
import errno
import os
import subprocess
import sys

import numpy as np
import pytest

import dlz
from conftest import FIXTURES, archives

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize("name,norm", [
    ("dl4j-1.0.0-M2.1/mln-dense-adam-float-wm-standardize-objects.zip", "normalizer-hybrid.bin"),
    ("dl4j-1.0.0-beta7/mln-dense-sgd-float-objects.zip", "normalizer-minmax-labels.bin"),
    ("dl4j-1.0.0-M2.1/cg-merge-adam-float-add-hybrid.zip", "normalizer-multistandardize.bin"),
])
def test_hostile_inputs_in_a_child(name, norm):
    p = subprocess.run([sys.executable, os.path.join(HERE, "hostile_inputs.py"),
                        os.path.join(FIXTURES, name),
                        os.path.join(FIXTURES, name.split("/")[0], norm)],
                       capture_output=True, text=True, timeout=600)
    print(p.stdout, p.stderr)
    assert p.returncode == 0, "child exited with %d (negative: a signal)" % p.returncode
    assert " inputs: " in p.stdout


def test_crash_is_detected():
    """The child-process check above sees a crash (negative control)."""
    p = subprocess.run([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"])
    assert p.returncode == -11


def test_error_codes(tmp):
    with pytest.raises(dlz.IoError) as e:
        dlz.load(tmp / "missing.zip")
    assert e.value.code == -2 and e.value.errno == errno.ENOENT and "missing.zip" in str(e.value)
    assert isinstance(e.value, OSError) and isinstance(e.value, dlz.Error)
    with pytest.raises(dlz.FormatError) as e:
        dlz.load(b"not a zip at all, not an array either")
    assert e.value.code == -3 and e.value.message
    (tmp / "nocfg.zip").write_bytes(__import__("zipfile").ZipFile(
        tmp / "nocfg.zip", "w").close() or (tmp / "nocfg.zip").read_bytes())
    with pytest.raises(dlz.Error):
        dlz.load(tmp / "nocfg.zip")
    m = dlz.load(archives()[0])
    with pytest.raises(dlz.NotFoundError) as e:
        m.object_bytes("no such key")
    assert e.value.code == -4
    with pytest.raises(dlz.MisuseError):
        m.updater_state  # not asked for at load
    with pytest.raises(dlz.MisuseError):
        dlz.read_array(archives()[0])
    m.close()
    with pytest.raises(dlz.MisuseError):
        m.object_bytes("x")  # closed
    dlz.write_array(tmp / "a.bin", np.zeros(3))
    with pytest.raises(dlz.MisuseError):
        dlz.load(tmp / "a.bin")
    with pytest.raises(dlz.LimitError) as e:
        dlz.load(archives()[0], limits={"config_size": 10})
    assert e.value.code == -6
    with pytest.raises(dlz.MisuseError):
        dlz.save(tmp / "x.zip", m.config, {"0/W": np.zeros((4, 5))})  # parameters missing
    with pytest.raises(dlz.IoError):
        dlz.save(tmp / "no" / "dir" / "x.zip", m.config, None)
    assert not os.path.exists(tmp / "x.zip")


def test_failed_save_leaves_the_file(tmp):
    path = tmp / "m.zip"
    path.write_bytes(b"old")
    m = dlz.load(archives()[0])
    with pytest.raises(dlz.Error):
        dlz.save(path, m.config, m.coefficients, objects={"": 1})  # an empty key
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp) == ["m.zip"]
