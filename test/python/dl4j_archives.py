"""Writes every DL4J fixture again through the Python package, for real
DL4J to restore (test_dl4j.sh runs the verifier of test/interop on them):

    dl4j_archives.py FIXTURE_DIR OUT_DIR mixed|javacpp

Each archive is loaded with its updater state and saved with dlz.save from
Python values: the parsed configuration, the parameters by name, the
updater state per parameter, the normalizer as a dlz.Normalizer and the
objects as decoded Python values, so that every part goes through the
package's conversions both ways.  X.expected.json is copied (DL4J's own
record of the values), with noParams.marker added to the entries where
dlz writes the no-parameter form every DL4J reads."""
import glob
import json
import os
import sys

import dlz

src, out, generation = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
n = 0
for path in sorted(glob.glob(os.path.join(src, "*.zip"))):
    name = os.path.basename(path)[:-4]
    m = dlz.load(path, updater=True)
    st = m.updater_state
    dlz.save(os.path.join(out, name + ".zip"), m.config, dict(m.params),
             updater_state=None if st is None else {k: dict(v) for k, v in st.items()},
             normalizer=m.normalizer, objects={k: m.objects[k] for k in m.objects},
             generation=generation)
    with open(os.path.join(src, name + ".expected.json")) as f:
        exp = json.load(f)
    c = exp.get("coefficients")
    if (c is None or c.get("length") == 0) and "noParams.marker" not in exp["entries"]:
        exp["entries"].insert(exp["entries"].index("coefficients.bin") + 1, "noParams.marker")
    with open(os.path.join(out, name + ".expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
    n += 1
print("%d archives written from Python (%s records)" % (n, generation))
