#!/usr/bin/env bash
# dlz check agrees with DL4J 1.0.0-M2.1 on what it restores (TAP): every
# fixture (written by DL4J M2.1 and beta7) is restored by DL4J and passes
# dlz check; every file of the hostile set is refused by both, except the
# ones the manifest names, where dlz is stricter and says why.  DL4J's
# verdict comes from test/interop's Restore (restore with the updater, the
# normalizer, every object).
#
#   test_check_dl4j.sh DLZ_CLI SOURCE_ROOT
set -u
DLZ=$1 ROOT=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/test/tap.sh"

python3 "$ROOT/test/hostile_set.py" "$ROOT/fixtures" "$T/h"
files=("$ROOT"/fixtures/*/*.zip "$T"/h/*.zip)
if ! "$ROOT/test/interop/dl4j.sh" m21 Restore "${files[@]}" > "$T/dl4j" 2> "$T/err"; then
  not_ok "DL4J's Restore ran" "$(tail -5 "$T/err")"
  tap_summary
  exit
fi
for f in "${files[@]}"; do
  name=$(basename "$f")
  verdict=$(grep -m1 -E "^(RESTORED|REFUSED) $name(:|\$)" "$T/dl4j")
  "$DLZ" check --quiet "$f" > "$T/out" 2>&1
  crc=$?
  stricter=""
  if [ "${f#"$T"/h/}" != "$f" ]; then
    stricter=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]].get("dl4j_restores", ""))' \
      "$T/h/manifest.json" "$name")
  fi
  case "$verdict" in
    "RESTORED $name")
      if [ "$crc" = 0 ]; then ok "$name: DL4J restores it, dlz check passes it"
      elif [ -n "$stricter" ] && [ "$crc" = 1 ]; then
        ok "$name: DL4J restores it, dlz check refuses it on purpose ($stricter)"
      else not_ok "$name: DL4J restores it, dlz check exits $crc" "$(head -2 "$T/out")"; fi ;;
    "REFUSED $name:"*)
      if [ "$crc" = 1 ] && [ -z "$stricter" ]; then
        ok "$name: both refuse it (DL4J: ${verdict#"REFUSED $name: "} | dlz: $(head -1 "$T/out" | cut -c1-120))"
      else not_ok "$name: DL4J refuses it (${verdict#"REFUSED $name: "}), dlz check exits $crc"; fi ;;
    *) not_ok "$name: no verdict from DL4J" ;;
  esac
done
tap_summary
