#!/usr/bin/env bash
# Archives written by libdlz are read by the JDK the two ways DL4J reads them
# (ZipFile by name; ZipInputStream into a map; then DataInputStream), and
# every entry size and array element matches what was written.
set -u
gen=$1 dump_src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/classes" "$tmp/out"
javac -d "$tmp/classes" "$dump_src" || { echo "not ok - javac failed"; exit 1; }
"$gen" "$tmp/out" || { echo "not ok - writing archives failed"; exit 1; }
pass=0 fail=0
for zip in "$tmp"/out/*.zip; do
  name=$(basename "$zip" .zip)
  for mode in zipfile zipstream; do
    if java -cp "$tmp/classes" JdkDump "$mode" "$zip" > "$tmp/got" 2> "$tmp/err" &&
       cmp -s "$tmp/got" "$tmp/out/$name.expected"; then
      echo "ok - $name $mode"
      pass=$((pass + 1))
    else
      echo "not ok - $name $mode"
      head -3 "$tmp/err"
      diff "$tmp/out/$name.expected" "$tmp/got" | head -5
      fail=$((fail + 1))
    fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
