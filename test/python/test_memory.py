"""Reference counting: 10,000 load/free cycles (every part of a model
touched), in a fresh process, do not grow its resident memory; threads may
share one model."""
import os
import subprocess
import sys
import threading

import dlz
from conftest import archives

CYCLES = 10000
# Bound on growth over the measured cycles: a leak of 256 bytes per cycle
# (one small decoded array with its header, one reader's message buffer)
# adds 2.4 MiB or more; the allocators' noise is well under 1 MiB (48 KiB
# measured).
BOUND = 2 << 20
HERE = os.path.dirname(os.path.abspath(__file__))


def growth_kib(leak=0):
    path = [p for p in archives()
            if p.endswith("M2.1/mln-dense-adam-float-wm-standardize-objects.zip")][0]
    p = subprocess.run([sys.executable, os.path.join(HERE, "leak_cycles.py"), path, str(CYCLES),
                        str(leak)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return int(p.stdout.split()[-1])


def test_no_growth_over_10000_cycles():
    grown = growth_kib()
    print("RSS growth over %d load/free cycles: %d KiB (bound %d KiB)" %
          (CYCLES, grown, BOUND >> 10))
    assert grown < BOUND >> 10


def test_leak_is_detected():
    """The measurement sees a leak of the size the bound is made for
    (negative control): 256 bytes kept per cycle grow the RSS past it."""
    assert growth_kib(leak=256) > BOUND >> 10


def test_threads_share_a_model():
    path = [p for p in archives() if p.endswith("M2.1/mln-dense-sgd-float-objects.zip")][0]
    m = dlz.load(path)
    want = {k: m.object_bytes(k) for k in m.objects}
    errors = []

    def work():
        try:
            for _ in range(50):
                for k, v in want.items():
                    assert m.object_bytes(k) == v
                m.to_npz()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
