#!/usr/bin/env python3
"""Loading through the Python package against the C library, on the same
archive in the same run.

    PYTHONPATH=<build>/src/python bench_python.py DLZ_BENCH [ARCHIVE]

DLZ_BENCH is the C benchmark program (test/bench/bench.c, built with
-Dbench=true -Dbuildtype=release); the package must come from the same
release build (or a `pip install .`, which builds release too).  ARCHIVE
is the benchmark model of run.sh ($BENCH_DIR/model.zip, written by DL4J);
without it the script writes one of the same layout next to it
($BENCH_DIR/py-model.zip, see make_model): a MultiLayerNetwork of FLOAT
Dense layers (1000 inputs, three tanh hidden layers of equal width, 10
softmax outputs), SIZE (default 25000000, environment) parameters, Adam
state, every entry deflated at level 6 as DL4J's writeModel does.

Cases, best of RUNS (default 5) runs in each of ROUNDS (default 3)
rounds, the C and the Python side taking turns to go first:
  - C restore_no_updater / restore_with_updater: dlz_bench's (open,
    coefficients [and updater state], reader freed; the arrays are freed
    after the clock stops);
  - py load: dlz.load(path) (open, configuration, entries, coefficients),
    then the model is closed and freed, arrays included, within the time;
  - py load + updater: dlz.load(path, updater=True);
  - py load + params: dlz.load(path) and the mapping of every parameter
    (views).
Prints a table with the ratios Python / C."""
import gc
import json
import os
import subprocess
import sys
import time
import zipfile

import numpy as np

import dlz

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_model(path, size):
    """The benchmark model's layout, written through the package."""
    with zipfile.ZipFile(os.path.join(ROOT, "fixtures", "dl4j-1.0.0-M2.1",
                                      "mln-dense-adam-float.zip")) as z:
        cfg = json.loads(z.read("configuration.json"))
    dense, out = cfg["confs"][0], cfg["confs"][1]
    # 1000*h + h + 2*(h*h + h) + 10*h + 10 parameters
    h = int((-1013 + (1013 ** 2 + 8 * size) ** 0.5) / 4)
    sizes = [(1000, h), (h, h), (h, h), (h, 10)]
    confs = []
    for i, (nin, nout) in enumerate(sizes):
        c = json.loads(json.dumps(out if i == 3 else dense))
        c["layer"]["nin"], c["layer"]["nout"] = nin, nout
        c["layer"]["layerName"] = "layer%d" % i
        confs.append(c)
    cfg["confs"] = confs
    n = sum(a * b + b for a, b in sizes)
    rng = np.random.default_rng(12345)
    coef = (rng.standard_normal(n, dtype=np.float32) * 0.05).astype(np.float32)
    state = np.concatenate([rng.standard_normal(n, dtype=np.float32) * 1e-3,
                            np.abs(rng.standard_normal(n, dtype=np.float32)) * 1e-6])
    dlz.save(path, cfg, coef, updater_state=state, compression=6)
    return n


def c_side(dlz_bench, archive, runs):
    """dlz_bench's two restore lines; the save cases that follow are not
    waited for (the process is stopped)."""
    p = subprocess.Popen([dlz_bench, archive, archive + ".out", str(runs), "1"],
                         stdout=subprocess.PIPE, text=True)
    res = {}
    for line in p.stdout:
        f = line.split()
        if f and f[0].startswith("restore_"):
            res[f[0]] = float(f[1])
        if len(res) == 2:
            break
    p.kill()
    p.wait()
    try:
        os.unlink(archive + ".out")
    except FileNotFoundError:
        pass
    return res


def best(fn, runs):
    t = 1e30
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def py_side(archive, runs):
    def load():
        m = dlz.load(archive)
        assert m.coefficients is not None
        m.close()
        del m

    def load_updater():
        m = dlz.load(archive, updater=True)
        assert m._updater is not None
        m.close()
        del m

    def load_params():
        m = dlz.load(archive)
        assert len(m.params) == 8
        m.close()
        del m

    return {"py_load": best(load, runs), "py_load_updater": best(load_updater, runs),
            "py_load_params": best(load_params, runs)}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    dlz_bench = sys.argv[1]
    runs = int(os.environ.get("RUNS", "5"))
    rounds = int(os.environ.get("ROUNDS", "3"))
    if len(sys.argv) == 3:
        archive = sys.argv[2]
    else:
        d = os.environ.get("BENCH_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                     "dlz-bench"))
        os.makedirs(d, exist_ok=True)
        archive = os.path.join(d, "py-model.zip")
        if not os.path.exists(archive):
            print("# writing %s" % archive, file=sys.stderr)
            make_model(archive, int(os.environ.get("SIZE", "25000000")))
    m = dlz.load(archive, updater=True)
    n, u = m.coefficients.size, m._updater and np.asarray(memoryview(m._updater)).size
    m.close()
    print("# archive %s: %d bytes, %d %s parameters, updater state %d values" %
          (archive, os.path.getsize(archive), n, "FLOAT", u))
    c, py = {}, {}
    for r in range(rounds):
        # the side that goes first alternates, so that neither is favoured
        # by the page cache or by the load of the machine
        for side in ((0, 1) if r % 2 == 0 else (1, 0)):
            if side == 0:
                for k, v in c_side(dlz_bench, archive, runs).items():
                    c[k] = min(c.get(k, 1e30), v)
            else:
                for k, v in py_side(archive, runs).items():
                    py[k] = min(py.get(k, 1e30), v)
    rows = [("load, no updater", "restore_no_updater", "py_load"),
            ("load + updater", "restore_with_updater", "py_load_updater"),
            ("load, no updater, + params mapping", "restore_no_updater", "py_load_params")]
    print("| operation | C s | Python s | Python / C |")
    print("|---|---:|---:|---:|")
    for label, ck, pk in rows:
        print("| %s | %.3f | %.3f | %.3f |" % (label, c[ck], py[pk], py[pk] / c[ck]))


main()
