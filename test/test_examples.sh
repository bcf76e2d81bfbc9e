#!/usr/bin/env bash
# Runs the README examples: write a model, then read it back.
set -eu
write=$1 read=$2
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
echo ok
