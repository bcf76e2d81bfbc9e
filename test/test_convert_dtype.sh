#!/usr/bin/env bash
# test_convert_dtype.sh - "dlz convert --dtype" and "--updater-dtype" (TAP).
#
# Every archive in fixtures/ is converted to FLOAT, DOUBLE and HALF (and
# BFLOAT16 for its configuration), then checked against independent
# computations in Python:
#   - configuration.json: parsed with Python's json, it equals the original
#     with "dataType" set to the new type at the top level, in every element
#     of "confs", in "defaultConfiguration" and in every vertex's
#     "layerConf", and nothing else changed (the text outside those strings
#     is byte for byte the original's);
#   - coefficients and updater state, exported with "dlz export" from the
#     original and the converted archive: NumPy's astype() of the original
#     values equals the converted values bit for bit (FLOAT, DOUBLE, HALF);
#   - the updater state keeps its type without --updater-dtype.
# Bad values are usage errors (exit 2).  Needs python3 with numpy and
# safetensors, else skipped (77).  See test_interop_convert.sh for what DL4J
# computes with the converted archives.
set -u
DLZ=${DLZ_CLI:-${DLZ_BUILD_ROOT:-.}/dlz}
SRC=${DLZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
PY=${PYTHON:-python3}
if ! "$PY" -c 'import numpy, safetensors' >/dev/null 2>&1; then
    echo "1..0 # SKIP numpy and safetensors are needed"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/dlz-dtype-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
. "$SRC/test/tap.sh"

cat > "$T/check.py" <<'PY'
import json, re, sys, zipfile
import numpy as np
from safetensors.numpy import load_file

def config(p):
    with zipfile.ZipFile(p) as z:
        return z.read("configuration.json").decode("ascii")
def check(orig, conv, dtype, orig_st, conv_st, upd):
    a, b = config(orig), config(conv)
    ja, jb = json.loads(a), json.loads(b)
    paths = []
    def setdt(o, where):
        if isinstance(o, dict) and isinstance(o.get("dataType"), str):
            o["dataType"] = dtype
            paths.append(where)
    setdt(ja, "/")
    for i, c in enumerate(ja.get("confs") or []):
        setdt(c, "/confs/%d" % i)
    setdt(ja.get("defaultConfiguration"), "/defaultConfiguration")
    for k, v in (ja.get("vertices") or {}).items():
        if isinstance(v, dict):
            setdt(v.get("layerConf"), "/vertices/%s/layerConf" % k)
            if isinstance(v.get("LayerVertex"), dict):
              setdt(v["LayerVertex"].get("layerConf"), "/vertices/%s/LayerVertex/layerConf" % k)
    if json.dumps(ja, sort_keys=True) != json.dumps(jb, sort_keys=True):  # NaN != NaN
        raise ValueError("configuration differs from the original with dataType = %s" % dtype)
    # Outside the dataType strings the text is the original's.
    pat = re.compile(r'("dataType"\s*:\s*)"[A-Z0-9]*"')
    if pat.sub(r'\1""', a) != pat.sub(r'\1""', b):
        raise ValueError("configuration text changed outside dataType")
    if len(pat.findall(b)) != len(pat.findall(a)):
        raise ValueError("a different number of dataType fields")
    np_t = {"FLOAT": np.float32, "DOUBLE": np.float64, "HALF": np.float16}.get(dtype)
    ta, tb = load_file(orig_st), load_file(conv_st)
    if sorted(ta) != sorted(tb):
        raise ValueError("other tensors: %s" % sorted(set(ta) ^ set(tb)))
    for name in ta:
        x, y = ta[name], tb[name]
        is_upd = name.startswith("updater/")
        want_t = (np_t if upd == "yes" else x.dtype.type) if is_upd else np_t
        if want_t is None:
            continue
        want = x.astype(want_t)
        if y.dtype != want.dtype or y.shape != want.shape or want.tobytes() != y.tobytes():
            raise ValueError("%s: %s %s, expected %s %s (first values %s vs %s)"
                   % (name, y.dtype, y.shape, want.dtype, want.shape, y.ravel()[:3], want.ravel()[:3]))
    return "%d dataType fields (%s), %d tensors" % (len(paths), " ".join(paths[:3]), len(ta))

for line in open(sys.argv[1]):
    name, *args = line.split()
    try:
        print("PASS %s: %s" % (name, check(*args)))
    except Exception as e:
        print("FAIL %s: %s" % (name, e))
PY

for zip in "$SRC"/fixtures/*/*.zip; do
    name=$(basename "$(dirname "$zip")")/$(basename "$zip" .zip)
    base=$T/$(basename "$(dirname "$zip")")-$(basename "$zip" .zip)
    if ! "$DLZ" export --with-updater "$zip" "$base.orig.safetensors" 2>"$T/err"; then
        : >"$T/err"
        continue # no parameter table (a custom layer): nothing to compare
    fi
    for t in float double half bfloat16; do
        T_UP=$(echo "$t" | tr a-z A-Z)
        upd=yes
        opts=(--dtype="$t" --updater-dtype="$t")
        [ "$t" = half ] && { upd=no; opts=(--dtype="$t"); }
        if ! "$DLZ" convert "${opts[@]}" "$zip" "$base.$t.zip" 2>"$T/err"; then
            not_ok "$name: convert ${opts[*]}"
            continue
        fi
        if [ "$t" = bfloat16 ]; then
            # NumPy has no bfloat16: the configuration only (tensors: test_array).
            "$PY" - "$zip" "$base.$t.zip" <<'PY' >"$T/out" 2>&1 && ok "$name: ${opts[*]}: configuration" || not_ok "$name: ${opts[*]}: configuration" "$(tail -1 "$T/out")"
import json, re, sys, zipfile
a, b = (zipfile.ZipFile(p).read("configuration.json").decode() for p in sys.argv[1:3])
pat = re.compile(r'("dataType"\s*:\s*)"[A-Z0-9]*"')
assert pat.sub(r'\1""', a) == pat.sub(r'\1""', b), "text changed outside dataType"
assert all(v == "BFLOAT16" for v in re.findall(r'"dataType"\s*:\s*"([A-Z0-9]*)"', b))
PY
            continue
        fi
        if ! "$DLZ" export --with-updater "$base.$t.zip" "$base.$t.safetensors" 2>"$T/err"; then
            not_ok "$name: export of the $t archive"
            continue
        fi
        echo "$name:$t$([ $upd = yes ] && echo +updater) $zip $base.$t.zip $T_UP $base.orig.safetensors $base.$t.safetensors $upd" >>"$T/jobs"
    done
done
"$PY" "$T/check.py" "$T/jobs" >"$T/results" 2>"$T/err"
[ -s "$T/results" ] || not_ok "the NumPy check ran"
while IFS= read -r line; do
    case $line in
    PASS*) ok "${line#PASS }" ;;
    *) not_ok "${line#FAIL }" ;;
    esac
done <"$T/results"
: >"$T/err"

# Usage errors.
f=$SRC/fixtures/dl4j-1.0.0-M2.1/mln-dense-adam-float.zip
for bad in --dtype=int --dtype= --updater-dtype=FLOAT16; do
    "$DLZ" convert "$bad" "$f" "$T/x.zip" 2>"$T/err"
    rc=$?
    if [ $rc = 2 ] && grep -q "unknown data type" "$T/err"; then
        ok "convert $bad: usage error (exit 2)"
        : >"$T/err"
    else
        not_ok "convert $bad: usage error (exit 2)" "exit $rc"
    fi
done
# BFLOAT16 has no JAVACPP record: refused, OUT not created.
"$DLZ" convert --dtype=bfloat16 --generation=javacpp "$f" "$T/j.zip" 2>"$T/err"
rc=$?
if [ $rc = 1 ] && [ ! -e "$T/j.zip" ] && grep -q BFLOAT16 "$T/err"; then
    ok "convert --dtype=bfloat16 --generation=javacpp is refused: $(head -1 "$T/err")"
    : >"$T/err"
else
    not_ok "convert --dtype=bfloat16 --generation=javacpp is refused" "exit $rc"
fi
tap_summary
