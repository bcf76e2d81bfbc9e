#!/usr/bin/env bash
# DL4J restores what the Python package writes: every DL4J fixture saved
# again from Python (dl4j_archives.py; MIXED_DATA_TYPES and JAVACPP
# records) is restored by real DL4J 1.0.0-M2.1 and 1.0.0-beta7 with the
# verifier of test/interop, which checks every parameter, updater value,
# normalizer field and object, and compares output() and the normalizer's
# transforms bit-exactly with those of the original fixture in the same
# run (--reference).  TAP.
#
#   test_dl4j.sh PYTHON PACKAGE_DIR SOURCE_ROOT
set -u
py=$1 pkg=$2 root=$3
dl4j="$root/test/interop/dl4j.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 status=0 total_pass=0 total_fail=0
for version in 1.0.0-M2.1 1.0.0-beta7; do
  src="$root/fixtures/dl4j-$version"
  for gen in mixed javacpp; do
    out="$tmp/$version-$gen"
    n=$((n + 1))
    if ! PYTHONPATH="$pkg" "$py" "$root/test/python/dl4j_archives.py" "$src" "$out" "$gen" > "$tmp/py.log" 2>&1; then
      echo "not ok $n - writing the fixtures from Python ($gen)"; cat "$tmp/py.log"; status=1; continue
    fi
    "$dl4j" "$version" Verify --reference "$src" "$out" > "$tmp/verify.log" 2>&1
    rc=$?
    grep -E '^(FAIL|PENDING)' "$tmp/verify.log" | head -20 | sed 's/^/# /'
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/verify.log" | tail -1)
    if [ -z "$line" ]; then
      echo "not ok $n - DL4J $version: the verifier did not run"; tail -20 "$tmp/verify.log" | sed 's/^/# /'
      status=1; continue
    fi
    p=${line%% passed*} f=${line#*passed, }; f=${f%% failed*}
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
    if [ "$rc" = 0 ] && [ "$f" = 0 ] && [ "$p" -gt 0 ]; then
      echo "ok $n - $(cat "$tmp/py.log"): DL4J $version restores them ($line)"
    else
      echo "not ok $n - archives written from Python ($gen): DL4J $version ($line)"; status=1
    fi
  done
done
# Negative control: one weight changed by about 6 % before the save from
# Python must fail the bit-exact output check against the original.
n=$((n + 1))
src="$root/fixtures/dl4j-1.0.0-M2.1" mut="$tmp/mutated" name=mln-cnn-bn-nesterovs-double
mkdir -p "$mut" && cp "$src/$name.expected.json" "$mut/"
PYTHONPATH="$pkg" "$py" - "$src/$name.zip" "$mut/$name.zip" <<'PY'
import sys
import numpy as np
import dlz
m = dlz.load(sys.argv[1], updater=True)
params = {k: np.array(v) for k, v in m.params.items()}
params["0/W"][0, 0, 0, 0] *= 1.06
dlz.save(sys.argv[2], m.config, params, updater_state=m.updater_state)
PY
if "$dl4j" 1.0.0-M2.1 Verify --reference "$src" "$mut" > "$tmp/mut.log" 2>&1; then
  echo "not ok $n - negative control: DL4J accepted $name with a changed weight"; status=1
elif grep -qE "^FAIL $name.zip output\(loadUpdater=(true|false)\)" "$tmp/mut.log"; then
  echo "ok $n - negative control: a weight changed in Python fails the output check"
else
  echo "not ok $n - negative control: the output check did not catch a changed weight"; status=1
fi
echo "1..$n"
echo "# DL4J checks: $total_pass passed, $total_fail failed"
exit $status
