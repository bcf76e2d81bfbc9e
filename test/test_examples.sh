#!/usr/bin/env bash
# Runs the README examples: write a model, then read it back.
set -eu
write=$1 read=$2 infer=$3 fixtures=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"confs":[{"layer":{"@class":"org.deeplearning4j.nn.conf.layers.OutputLayer"}}]}' > "$tmp/conf.json"
out=$("$write" "$tmp/conf.json" "$tmp/model.zip")
echo "$out"
[[ "$out" =~ ^[0-9]+\ bytes$ ]]
got=$("$read" "$tmp/model.zip")
echo "$got"
[ "$got" = "$(printf 'MultiLayerNetwork\n41 FLOAT parameters, first 0')" ]
# errors: usage and a missing file
if "$read" 2>/dev/null; then exit 1; fi
if "$read" "$tmp/none.zip" 2>/dev/null; then exit 1; fi
# parameters and normalizer of a DL4J-written archive: Dense(4->5) +
# Output(5->3), MinMax normalizer; the table is DL4J's (0/W [4,5] ...)
got=$("$infer" "$fixtures/dl4j-1.0.0-M2.1/mln-dense-sgd-float-wm-minmax.zip")
echo "$got"
[ "$(echo "$got" | head -4)" = "$(printf '0/W DenseLayer 20 values\n0/b DenseLayer 5 values\n1/W OutputLayer 15 values\n1/b OutputLayer 3 values')" ]
# the transformed row, recomputed from DL4J's statistics in expected.json
python3 - "$fixtures/dl4j-1.0.0-M2.1/mln-dense-sgd-float-wm-minmax.expected.json" "$(echo "$got" | tail -1)" <<'PY'
import json, struct, sys
n = json.load(open(sys.argv[1]))["normalizer"]
vals = lambda a: struct.unpack(">%df" % a["length"], bytes.fromhex(a["values_hex"]))
lo, hi = vals(n["min"]), vals(n["max"])
tmin, tmax = n["targetMin"]["value"], n["targetMax"]["value"]
want = [(x - lo[k]) / (hi[k] - lo[k]) * (tmax - tmin) + tmin for k, x in enumerate(range(4))]
label, got = sys.argv[2].split(": ")
got = [float(g) for g in got.split()]
assert label == "MIN_MAX", label
assert all(abs(g - w) <= 1e-5 * max(1, abs(w)) for g, w in zip(got, want)), (got, want)
PY
echo ok
