#!/usr/bin/env bash
# The in-place editing commands: strip-updater, normalizer, objects.
set -u
dlz=$DLZ_CLI
fx="$DLZ_SOURCE_ROOT/fixtures/dl4j-1.0.0-M2.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
t() { # description, then a command that must succeed
  local d=$1; shift
  n=$((n + 1))
  if "$@" > "$tmp/out" 2> "$tmp/err"; then echo "ok $n - $d"
  else echo "not ok $n - $d"; sed 's/^/# /' "$tmp/err" | head -3; failed=$((failed + 1)); fi
}
fails() { # description, expected exit status, command
  local d=$1 want=$2; shift 2
  n=$((n + 1))
  "$@" > "$tmp/out" 2> "$tmp/err"
  local got=$?
  if [ "$got" = "$want" ] && [ "$(wc -l < "$tmp/err")" = 1 ]; then echo "ok $n - $d"
  else echo "not ok $n - $d (exit $got, want $want)"; sed 's/^/# /' "$tmp/err" | head -3; failed=$((failed + 1)); fi
}
entries() { python3 -c 'import sys, zipfile; print(",".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
entry() { python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2"; }

m="$tmp/m.zip"
cp "$fx/mln-dense-adam-float.zip" "$m"
orig=$(sha256sum < "$m")

t "strip-updater to OUT" "$dlz" strip-updater "$m" "$tmp/s.zip"
t "OUT has no updaterState.bin" test "$(entries "$tmp/s.zip")" = "configuration.json,coefficients.bin"
t "FILE untouched by strip-updater FILE OUT" test "$(sha256sum < "$m")" = "$orig"
t "coefficients copied byte for byte" cmp <(entry "$m" coefficients.bin) <(entry "$tmp/s.zip" coefficients.bin)
cp "$m" "$tmp/m2.zip"
t "strip-updater in place" "$dlz" strip-updater "$tmp/m2.zip"
t "in place: no updaterState.bin" test "$(entries "$tmp/m2.zip")" = "configuration.json,coefficients.bin"
t "strip-updater without an updater is a no-op" "$dlz" strip-updater "$tmp/m2.zip"

t "normalizer show: none" test "$("$dlz" normalizer show "$m")" = none
t "normalizer set from a stream" "$dlz" normalizer set "$m" --from "$fx/normalizer-standardize.bin"
t "normalizer.bin equals the stream" cmp <(entry "$m" normalizer.bin) "$fx/normalizer-standardize.bin"
t "normalizer show: STANDARDIZE" test "$("$dlz" normalizer show "$m")" = STANDARDIZE
t "normalizer set from an archive replaces it" "$dlz" normalizer set "$m" --from "$fx/mln-dense-sgd-float-wm-minmax.zip"
t "normalizer.bin equals the archive's" cmp <(entry "$m" normalizer.bin) <(entry "$fx/mln-dense-sgd-float-wm-minmax.zip" normalizer.bin)
t "entry order after set" test "$(entries "$m")" = "configuration.json,coefficients.bin,updaterState.bin,normalizer.bin"
t "normalizer rm" "$dlz" normalizer rm "$m"
fails "normalizer rm again: not found" 1 "$dlz" normalizer rm "$m"
fails "normalizer set from an archive without one" 1 "$dlz" normalizer set "$m" --from "$fx/mln-dense-sgd-float.zip"
fails "normalizer set without --from" 2 "$dlz" normalizer set "$m"
fails "normalizer unknown action" 2 "$dlz" normalizer frob "$m"

printf '\xac\xed\x00\x05t\x00\x02hi' > "$tmp/str.ser"
t "objects put" "$dlz" objects put "$m" "a/b" --raw-file "$tmp/str.ser"
t "objects put second key" "$dlz" objects put "$m" "c" --raw-file "$tmp/str.ser"
t "objects ls" test "$("$dlz" objects ls "$m" | tr '\n' ,)" = "a/b,c,"
t "objects get (raw bytes)" cmp <("$dlz" objects get "$m" a/b) "$tmp/str.ser"
printf '\xac\xed\x00\x05t\x00\x03bye' > "$tmp/str2.ser"
t "objects put replaces a key" "$dlz" objects put "$m" "a/b" --raw-file "$tmp/str2.ser"
t "replaced in place" test "$("$dlz" objects ls "$m" | tr '\n' ,)" = "a/b,c,"
t "replaced value" cmp <("$dlz" objects get "$m" a/b) "$tmp/str2.ser"
t "objects rm" "$dlz" objects rm "$m" a/b
t "after rm" test "$("$dlz" objects ls "$m" | tr '\n' ,)" = "c,"
fails "objects rm missing key" 1 "$dlz" objects rm "$m" a/b
fails "objects get missing key" 1 "$dlz" objects get "$m" nope
fails "objects put bad key" 1 "$dlz" objects put "$m" "../x" --raw-file "$tmp/str.ser"
fails "objects put without --raw-file" 2 "$dlz" objects put "$m" k
fails "objects on a bare array" 1 "$dlz" objects put "$fx/../dl4j-1.0.0-M2.1/normalizer-minmax.bin" k --raw-file "$tmp/str.ser"
t "the archive still reads" "$dlz" info "$m"

# A failing edit leaves the file byte for byte and no temporary file.
cp "$fx/mln-dense-adam-float.zip" "$tmp/d/" 2>/dev/null || { mkdir "$tmp/d"; cp "$fx/mln-dense-adam-float.zip" "$tmp/d/"; }
python3 - "$tmp/d/mln-dense-adam-float.zip" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"updaterState.bin") + len("updaterState.bin") + 40  # inside its data
b[i] ^= 0xff
open(p, "wb").write(b)
PY
before=$(sha256sum < "$tmp/d/mln-dense-adam-float.zip")
fails "edit of a damaged archive fails" 1 "$dlz" objects put "$tmp/d/mln-dense-adam-float.zip" k --raw-file "$tmp/str.ser"
t "damaged archive untouched" test "$(sha256sum < "$tmp/d/mln-dense-adam-float.zip")" = "$before"
t "no temporary file left" test "$(ls -A "$tmp/d" | wc -l)" = 1

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
