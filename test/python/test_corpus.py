"""The DL4J corpus (-Dcorpus_dir, $DLZ_CORPUS: archives and array or
normalizer streams from many DL4J versions) through the package: every
archive loads and every part of it reads, or raises dlz.Error; every
bare array or normalizer stream decodes, or raises dlz.Error.  Skipped,
saying so, when the corpus is not there."""
import glob
import os

import numpy as np
import pytest

import dlz

CORPUS = os.environ.get("DLZ_CORPUS", "")
FILES = sorted(glob.glob(os.path.join(CORPUS, "**", "*.zip"), recursive=True) +
               glob.glob(os.path.join(CORPUS, "**", "*.bin"), recursive=True)) if CORPUS else []


def test_corpus_present():
    if not FILES:
        pytest.skip("no DL4J corpus at %r (set -Dcorpus_dir)" % CORPUS)
    assert len(FILES) > 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: os.path.relpath(p, CORPUS))
def test_corpus_file(path):
    data = open(path, "rb").read()
    if data[:2] == b"PK":
        with dlz.load(path, updater=True) as m:
            assert m.kind in ("MultiLayerNetwork", "ComputationGraph", "unknown")
            parts = 0
            for step in (lambda: dict(m.params), lambda: m.updater_state,
                         lambda: m.normalizer, lambda: [m.objects[k] for k in m.objects]):
                try:
                    step()
                    parts += 1
                except dlz.Error as e:
                    assert e.message and e.code < 0
            assert parts >= 1
        return
    try:
        a = dlz.read_array(data)
        assert isinstance(a, np.ndarray)
        return
    except dlz.MisuseError:
        raise
    except dlz.Error:
        pass
    try:
        dlz.Normalizer.decode(data).to_dict()
    except dlz.Error as e:
        assert e.message and e.code < 0
