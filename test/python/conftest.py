"""Shared helpers of the package's tests: where the fixtures are, and the
array summaries of fixtures/README.md ("values_hex": big-endian bytes of
every element in row-major order of "shape") as NumPy arrays."""
import glob
import json
import os

import numpy as np
import pytest

ROOT = os.environ.get("DLZ_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "fixtures")
VERSIONS = ["dl4j-1.0.0-M2.1", "dl4j-1.0.0-beta7"]

# ND4J type names -> big-endian NumPy dtypes
BIG_ENDIAN = {"FLOAT": ">f4", "DOUBLE": ">f8", "HALF": ">f2", "INT": ">i4", "LONG": ">i8",
              "SHORT": ">i2", "BYTE": "i1", "UBYTE": "u1", "BOOL": "?"}


def archives():
    return sorted(glob.glob(os.path.join(FIXTURES, "dl4j-*", "*.zip")))


def normalizer_streams():
    return sorted(glob.glob(os.path.join(FIXTURES, "dl4j-*", "normalizer-*.bin")))


def fixture_id(path):
    return os.path.basename(os.path.dirname(path))[5:] + "/" + os.path.basename(path)


def expected(path):
    with open(os.path.splitext(path)[0] + ".expected.json") as f:
        return json.load(f)


def summary(s):
    """An array summary as a NumPy array in native byte order."""
    dt = np.dtype(BIG_ENDIAN[s["dtype"]])
    a = np.frombuffer(bytes.fromhex(s["values_hex"]), dtype=dt).reshape(s["shape"])
    return a.astype(dt.newbyteorder("="))


def same_bits(actual, s):
    """actual has exactly the values (bits, NaN included) and dtype of the
    summary, in row-major order of its shape; the shapes may differ only by
    dimensions of size 1 (DL4J 1.0.0-M2.1 holds vectors as [n], the table
    gives them as [1,n])."""
    want = summary(s)
    a = np.asarray(actual)
    if a.dtype != want.dtype:
        return False
    if a.shape != want.shape and (a.size != want.size or
                                  [d for d in a.shape if d != 1] != [d for d in want.shape
                                                                     if d != 1]):
        return False
    return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(want).tobytes()


def java_double(field):
    """A "double field" {"value", "bits"} of the expected files."""
    return np.frombuffer(bytes.fromhex(field["bits"]), dtype=">f8")[0].item()


@pytest.fixture
def tmp(tmp_path):
    return tmp_path
