#!/usr/bin/env bash
# DL4J 1.0.0-M2.1 restores what `dlz convert --dtype` writes and computes
# with it what the original computes, within the precision of the new type
# (TAP).  Every M2.1 fixture is converted to each data type, with and without
# its updater state converted too; test/interop's DtypeOutput restores the
# original and the converted archive in one run, checks that the network and
# its parameters have the new type, and compares output() on the inputs the
# fixture records: max |converted - original| <= TOLERANCE * max |original|,
# TOLERANCE that of the coarser of the two types: DOUBLE and FLOAT 1e-5
# (FLOAT to DOUBLE is exact; what differs is the arithmetic), HALF 2e-2
# (binary16 keeps 11 bits, a relative 4.9e-4 per value, summed over layers),
# BFLOAT16 6e-2 (8 bits, 3.9e-3 per value).  A negative control asks for
# 1e-7 and must fail for the FLOAT and DOUBLE originals converted to HALF.
#
#   test_interop_convert.sh DLZ_CLI SOURCE_ROOT
set -u
DLZ=$1 ROOT=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/test/tap.sh"
SRC=$ROOT/fixtures/dl4j-1.0.0-M2.1
dl4j=$ROOT/test/interop/dl4j.sh

# convert_all DIR OPTIONS...: every fixture with recorded inputs into DIR.
convert_all() {
  local dir=$1
  shift
  mkdir -p "$dir"
  local bad=
  for zip in "$SRC"/*.zip; do
    name=$(basename "$zip" .zip)
    grep -q '"inputs"' "$SRC/$name.expected.json" || continue
    "$DLZ" convert "$@" "$zip" "$dir/$name.zip" 2> "$T/err" || bad="$bad $name: $(head -1 "$T/err")"
  done
  if [ -z "$bad" ]; then ok "dlz convert $* of $(ls "$dir" | wc -l) fixtures"
  else not_ok "dlz convert $*" "$bad"; fi
}

# dl4j_agrees LABEL DTYPE TOLERANCE DIR
dl4j_agrees() {
  "$dl4j" m21 DtypeOutput "$2" "$3" "$SRC" "$4" > "$T/log" 2>&1
  local rc=$? line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T/log" | tail -1)
  if [ "$rc" = 0 ] && [ -n "$line" ]; then
    ok "$1: DL4J restores them, output within tolerance ($line; worst $(grep -oE 'within [^ ]+' "$T/log" | sort -t' ' -k2 -g | tail -1))"
  else
    not_ok "$1: DL4J restores them, output within tolerance" "${line:-the checker did not run}" \
      "$(grep -E '^FAIL' "$T/log" | head -5)" "$(tail -3 "$T/log")"
  fi
}

TOLS=FLOAT=1e-5,DOUBLE=1e-5,HALF=2e-2,BFLOAT16=6e-2
for t in float double half bfloat16; do
  convert_all "$T/$t" --dtype="$t" --updater-dtype="$t"
  dl4j_agrees "--dtype=$t --updater-dtype=$t" "$(echo "$t" | tr a-z A-Z)" "$TOLS" "$T/$t"
done
convert_all "$T/half-keep" --dtype=half
dl4j_agrees "--dtype=half (updater state kept as it was)" HALF "$TOLS" "$T/half-keep"

# Negative control: the comparison sees HALF's rounding.
"$dl4j" m21 DtypeOutput HALF FLOAT=1e-7,DOUBLE=1e-7,HALF=1e-7 "$SRC" "$T/half" > "$T/log" 2>&1
nf=$(grep -c '^FAIL .*above 1.0E-7' "$T/log")
nfloat=$(ls "$T/half" | grep -vc -- '-half\.zip$')
if [ "$nf" -ge $((nfloat - 1)) ] && [ "$nf" -gt 0 ]; then
  ok "negative control: HALF outputs are not within 1e-7 of the original ($nf of $nfloat FLOAT/DOUBLE originals fail)"
else
  not_ok "negative control: HALF outputs are not within 1e-7 of the original" "$(tail -3 "$T/log")"
fi
tap_summary
