"""Load/free cycles in a fresh process, resident memory measured (run by
test_memory.py):

    leak_cycles.py ARCHIVE CYCLES [LEAK_BYTES]

Every part of the model is touched in each cycle (parameters, updater
state, normalizer transform and encoding, objects, an export, a load from
bytes and a failing load).  LEAK_BYTES > 0 keeps that many bytes per cycle
on purpose (the negative control).  Prints "growth KIB" after a warm-up."""
import gc
import os
import sys

import numpy as np

import dlz


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_cycle(path, data):
    m = dlz.load(path, updater=True)
    dict(m.params)
    m.param("0/W")
    st = m.updater_state
    if st is not None:
        dict(st)
    n = m.normalizer
    if n is not None:
        n.transform(np.ones((1, n.stats()[1].size), dtype=np.float32))
        n.encode()
    [m.objects[k] for k in m.objects]
    m.to_npz()
    m.close()
    dlz.load(data).coefficients
    try:
        dlz.load(data[:-30])
    except dlz.Error:
        pass


def main():
    path, cycles = sys.argv[1], int(sys.argv[2])
    leak = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    data = open(path, "rb").read()
    kept = []
    for _ in range(500):  # warm-up: caches, arenas, interned strings
        one_cycle(path, data)
    gc.collect()
    before = rss()
    for _ in range(cycles):
        one_cycle(path, data)
        if leak:
            kept.append(b"x" * leak)
    gc.collect()
    print("growth %d" % ((rss() - before) >> 10))


main()
