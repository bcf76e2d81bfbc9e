#!/usr/bin/env bash
# DL4J restores what libdlz writes: every DL4J fixture converted by `dlz
# convert` (MIXED_DATA_TYPES and JAVACPP records), and archives built from
# scratch through the C API (parameters, updater state, a normalizer and
# objects all created in C), are restored by real DL4J (1.0.0-M2.1 and
# 1.0.0-beta7) with the verifier in test/interop, which checks every value.
# Network outputs and normalizer transforms of converted and edited archives
# are compared bit-exactly with those DL4J computes in the same run from the
# original fixture (--reference), and with the recorded values within the
# tolerance the verifier names (they depend on the CPU).  A converted archive
# with one parameter byte changed must fail those checks (a negative control).
#
#   test_interop.sh DLZ_CLI INTEROP_BUILD SOURCE_ROOT
set -u
cli=$1 build=$2 root=$3
dl4j="$root/test/interop/dl4j.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total_pass=0 total_fail=0 status=0

run_verify() { # version dir label [verifier options...]
  local log="$tmp/verify.log" version=$1 dir=$2 label=$3
  shift 3
  if ! "$dl4j" "$version" Verify "$@" "$dir" > "$log" 2>&1; then status=1; fi
  grep -E '^(FAIL|PENDING)' "$log" | head -20
  grep -m1 -oE 'tolerance [^;]*' "$log" | sed 's/^/# recorded results compared within the /'
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "not ok - $label: the verifier did not run (DL4J $version)"; tail -20 "$log"
    status=1 total_fail=$((total_fail + 1))
    return
  fi
  local p f
  p=$(echo "$line" | awk '{print $1}') f=$(echo "$line" | awk '{print $3}')
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
  if [ "$f" = 0 ] && [ "$p" -gt 0 ]; then echo "ok - $label: DL4J $version accepts ($line)"
  else echo "not ok - $label: DL4J $version ($line)"; status=1; fi
}

for version in 1.0.0-M2.1 1.0.0-beta7; do
  src="$root/fixtures/dl4j-$version"
  for gen in mixed javacpp; do
    out="$tmp/$version-convert-$gen"
    mkdir -p "$out"
    n=0
    for zip in "$src"/*.zip; do
      name=$(basename "$zip" .zip)
      if ! "$cli" convert --generation "$gen" "$zip" "$out/$name.zip"; then
        echo "not ok - dlz convert --generation $gen $name"; status=1; continue
      fi
      # A model without parameters is written in the form every DL4J reads
      # (empty coefficients.bin + noParams.marker), also where M2.1 itself
      # wrote an empty array record without the marker.
      python3 - "$src/$name.expected.json" "$out/$name.expected.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
c = e.get("coefficients")
if (c is None or c.get("length") == 0) and "noParams.marker" not in e["entries"]:
    e["entries"].insert(e["entries"].index("coefficients.bin") + 1, "noParams.marker")
json.dump(e, open(sys.argv[2], "w"), indent=1)
PY
      n=$((n + 1))
    done
    run_verify "$version" "$out" "$n fixtures converted by dlz ($gen records)" --reference "$src"

    if [ "$gen" = mixed ]; then
      # Negative control: one byte of one parameter changed (CRC recomputed,
      # so the zip is valid) must make the bit-exact output check fail.
      mut="$tmp/$version-mutated"
      mkdir -p "$mut"
      name=mln-cnn-bn-nesterovs-double
      python3 - "$out/$name.zip" "$mut/$name.zip" "$src/$name.expected.json" <<'PY'
import json, sys, zipfile
src, dst, expected = sys.argv[1:4]
n = json.load(open(expected))["coefficients"]["length"]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
    for info in zin.infolist():
        data = zin.read(info.filename)
        if info.filename == "coefficients.bin":
            b = bytearray(data)
            # The n big-endian DOUBLE elements end the record.  Element 3 is
            # the first weight of the convolution (its 3 biases come first):
            # flip the lowest bit of its second byte, which changes the
            # weight by about 6 %.
            b[len(b) - 8 * n + 8 * 3 + 1] ^= 0x01
            data = bytes(b)
        zout.writestr(info.filename, data)
PY
      cp "$src/$name.expected.json" "$mut/"
      if "$dl4j" "$version" Verify --reference "$src" "$mut" > "$tmp/mut.log" 2>&1; then
        echo "not ok - negative control: DL4J $version accepted $name with a changed parameter"; status=1
      elif grep -qE "^FAIL $name.zip output\(loadUpdater=(true|false)\)" "$tmp/mut.log"; then
        echo "ok - negative control: a changed parameter byte fails the output check (DL4J $version)"
      else
        echo "not ok - negative control: the output check did not catch a changed parameter (DL4J $version)"
        grep -E '^(FAIL|PASS).*output' "$tmp/mut.log" | head -5
        status=1
      fi
    fi

    if [ "$gen" = mixed ]; then
      # Normalizers and objects re-attached by dlz's editor: each one is
      # removed, then put back from DL4J's bytes with `dlz normalizer set`
      # and `dlz objects put`.
      out="$tmp/$version-edited"
      mkdir -p "$out"
      n=0
      for zip in "$src"/*.zip; do
        name=$(basename "$zip" .zip)
        keys=$("$cli" objects ls "$zip")
        has_norm=$("$cli" normalizer show "$zip")
        [ -z "$keys" ] && [ "$has_norm" = none ] && continue
        cp "$zip" "$out/$name.zip"
        ok=1
        if [ "$has_norm" != none ]; then
          "$cli" normalizer rm "$out/$name.zip" && "$cli" normalizer set "$out/$name.zip" --from "$zip" || ok=0
        fi
        while IFS= read -r key; do
          [ -z "$key" ] && continue
          "$cli" objects get "$zip" "$key" > "$tmp/obj" &&
            "$cli" objects rm "$out/$name.zip" "$key" &&
            "$cli" objects put "$out/$name.zip" "$key" --raw-file "$tmp/obj" || ok=0
        done <<< "$keys"
        if [ $ok = 0 ]; then echo "not ok - editing $name"; status=1; fi
        cp "$src/$name.expected.json" "$out/"
        n=$((n + 1))
      done
      run_verify "$version" "$out" "$n archives whose normalizer and objects dlz re-attached" --reference "$src"
    fi

    out="$tmp/$version-scratch-$gen"
    mkdir -p "$out"
    "$build" "$src" "$out" "$gen" || status=1
    run_verify "$version" "$out" "archives built from scratch through the C API ($gen records)"
  done
done
echo "# DL4J checks: $total_pass passed, $total_fail failed"
exit $status
