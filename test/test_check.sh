#!/usr/bin/env bash
# dlz check and dlz cat (TAP).
#
#  1. every fixture and every corpus archive or array passes (exit 0, "OK");
#  2. every file of the hostile set (test/hostile_set.py) fails: exit 1, one
#     problem line naming the file, then "FAILED"; --json names the class of
#     checks the manifest expects;
#  3. --all goes on after the first failed class; --quiet prints problems
#     only; several files at once; usage errors exit 2;
#  4. dlz cat writes each entry byte for byte as Python's zipfile reads it,
#     fails with exit 1 on a damaged entry and refuses binary to a terminal
#     (exit 2, when script(1) provides one).
set -u
DLZ=${DLZ_CLI:-${DLZ_BUILD_ROOT:-.}/dlz}
ROOT=${DLZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
CORPUS=${DLZ_CORPUS:-$ROOT/../shared/corpus}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"

# 1. good files
good=0 bad_good=""
for f in "$ROOT"/fixtures/*/*.zip; do
  run check "$f"
  if [ "$rc" = 0 ] && [ "$(tail -1 "$T/out")" = "$f: OK" ]; then good=$((good + 1))
  else bad_good="$bad_good $(basename "$f")($rc)"; fi
done
if [ -z "$bad_good" ] && [ "$good" -gt 40 ]; then ok "dlz check passes all $good fixtures"
else not_ok "dlz check on the fixtures" "failed:$bad_good"; fi

if [ -d "$CORPUS" ]; then
  good=0 bad_good=""
  while IFS= read -r f; do
    run check "$f"
    if [ "$rc" = 0 ] && [ "$(tail -1 "$T/out")" = "$f: OK" ]; then good=$((good + 1))
    else bad_good="$bad_good $(basename "$f")($rc)"; fi
  done < <(find "$CORPUS" -type f \( -name '*.zip' -o -name '*.bin' \) | sort)
  if [ -z "$bad_good" ] && [ "$good" -gt 0 ]; then ok "dlz check passes all $good corpus files"
  else not_ok "dlz check on the corpus" "failed:$bad_good"; fi
else
  skip "dlz check on the corpus" "no corpus at $CORPUS"
fi

# 2. the hostile set
H=$T/hostile
python3 "$ROOT/test/hostile_set.py" "$ROOT/fixtures" "$H" || not_ok "hostile_set.py ran"
for f in "$H"/*.zip; do
  name=$(basename "$f")
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["check"])' \
    "$H/manifest.json" "$name")
  run check "$f"
  lines=$(wc -l < "$T/out")
  first=$(head -1 "$T/out")
  last=$(tail -1 "$T/out")
  if [ "$rc" != 1 ] || [ "$lines" != 2 ] || [ "$last" != "$f: FAILED" ] ||
     [ "${first#"$f: "}" = "$first" ] || [ ${#first} -le $((${#f} + 10)) ]; then
    not_ok "hostile $name: exit 1, one problem line" "exit $rc" "$(cat "$T/out")"
    continue
  fi
  run check --json "$f"
  got=$(python3 -c 'import json,sys; d=json.load(sys.stdin); f=d["files"][0]
assert d["schema"] == "dlz-check-1" and not f["ok"] and len(f["problems"]) == 1
print(f["problems"][0]["check"])' < "$T/out" 2>&1)
  if [ "$rc" = 1 ] && [ "$got" = "$want" ]; then ok "hostile $name: ${first#"$f: "}"
  else not_ok "hostile $name: --json reports class '$want'" "exit $rc, got '$got'"; fi
done

# 3. options
two="$H/coefficients-other-model.zip"
python3 - "$two" "$T/two.zip" <<'PY'
import sys, zipfile
# Breaks a second class too: the normalizer.
with zipfile.ZipFile(sys.argv[1]) as zin, zipfile.ZipFile(sys.argv[2], "w") as zout:
    for i in zin.infolist():
        data = zin.read(i.filename)
        zout.writestr(i.filename, b"\x00\x01x" if i.filename == "normalizer.bin" else data)
PY
run check "$T/two.zip"
a=$(grep -c -v ': FAILED$' "$T/out")
run check --all "$T/two.zip"
b=$(grep -c -v ': FAILED$' "$T/out")
if [ "$a" = 1 ] && [ "$b" = 2 ] && grep -q 'normalizer.bin' "$T/out"; then
  ok "--all shows the problems of every class (1 without, 2 with)"
else not_ok "--all" "without: $a, with: $b" "$(cat "$T/out")"; fi

good1=$ROOT/fixtures/dl4j-1.0.0-M2.1/mln-dense-sgd-float.zip
run check --quiet "$good1" "$H/crc-mismatch.zip"
if [ "$rc" = 1 ] && [ "$(wc -l < "$T/out")" = 1 ] && grep -q 'CRC-32 mismatch' "$T/out"; then
  ok "--quiet prints only the problem; one bad FILE of two makes exit 1"
else not_ok "--quiet with two files" "exit $rc" "$(cat "$T/out")"; fi

run check --json "$good1" "$H/empty.zip"
if [ "$rc" = 1 ] && python3 -c 'import json,sys; d=json.load(sys.stdin)
assert [f["ok"] for f in d["files"]] == [True, False], d
assert d["files"][0]["kind"] == "MultiLayerNetwork" and d["files"][1]["kind"] is None' < "$T/out"
then ok "--json with two files"; else not_ok "--json with two files" "$(head -c 400 "$T/out")"; fi

run check < "$good1"
r1=$rc
"$DLZ" check - < "$good1" > "$T/out" 2> "$T/err"
if [ "$r1" = 2 ] && [ "$?" = 0 ] && grep -q '^<stdin>: OK$' "$T/out"; then
  ok "no FILE is a usage error (2); '-' reads standard input"
else not_ok "check without FILE / with '-'" "$(cat "$T/out")"; fi
run check --bogus "$good1"
check "an unknown option exits 2" [ "$rc" = 2 ]

# 4. cat
src=$ROOT/fixtures/dl4j-1.0.0-M2.1/mln-dense-adam-float-wm-standardize-objects.zip
bad_cat=""
while IFS= read -r entry; do
  "$DLZ" cat "$src" "$entry" > "$T/entry" 2> "$T/err" || bad_cat="$bad_cat $entry(exit)"
  python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); sys.exit(z.read(sys.argv[2]) != open(sys.argv[3], "rb").read())' \
    "$src" "$entry" "$T/entry" || bad_cat="$bad_cat $entry(bytes)"
done < <(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$src")
if [ -z "$bad_cat" ]; then ok "dlz cat writes every entry as zipfile reads it"
else not_ok "dlz cat" "wrong:$bad_cat"; fi

run cat "$H/crc-mismatch.zip" coefficients.bin
if [ "$rc" = 1 ] && grep -q 'crc-mismatch.zip: coefficients.bin: damaged: CRC-32 mismatch' "$T/err"; then
  ok "dlz cat of a damaged entry: exit 1, the damage named"
else not_ok "dlz cat of a damaged entry" "exit $rc"; fi
run cat "$src" nope.bin
r1=$rc
run cat "$src"
if [ "$r1" = 1 ] && [ "$rc" = 2 ]; then ok "dlz cat: a missing entry exits 1, a missing argument 2"
else not_ok "dlz cat exit statuses" "missing entry $r1, missing argument $rc"; fi

if command -v script > /dev/null && script -qec true /dev/null > /dev/null 2>&1; then
  script -qec "'$DLZ' cat '$src' coefficients.bin; echo \"rc=\$?\"" /dev/null > "$T/tty" 2>&1
  script -qec "'$DLZ' cat '$src' configuration.json > /dev/null; echo \"rc=\$?\"" /dev/null \
    > "$T/tty2" 2>&1
  if grep -q 'rc=2' "$T/tty" && grep -q 'refusing to write' "$T/tty" && grep -q 'rc=0' "$T/tty2"
  then ok "dlz cat refuses binary to a terminal (exit 2), not JSON"
  else not_ok "dlz cat on a terminal" "$(tr -d '\r' < "$T/tty" | head -3)"; fi
else
  skip "dlz cat on a terminal" "script(1) cannot provide a terminal here"
fi

tap_summary
