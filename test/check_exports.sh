#!/usr/bin/env bash
# The exported symbols of libdlz.so, the version script and the header agree:
# every DLZ_API function in include/dlz.h is in src/dlz.map and exported, and
# nothing else is exported.
set -eu
lib=$1 map=$2 header=$3
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u)
mapped=$(sed -n 's/^ *\(dlz_[A-Za-z0-9_]*\);$/\1/p' "$map" | sort -u)
declared=$(tr '\n' ' ' < "$header" | grep -oE 'DLZ_API [^;{]*\bdlz_[A-Za-z0-9_]+\(' |
  grep -oE 'dlz_[A-Za-z0-9_]+\($' | tr -d '(' | sort -u)
status=0
if [ "$exported" != "$mapped" ]; then
  echo "exported symbols differ from src/dlz.map:"; diff <(echo "$exported") <(echo "$mapped") || true
  status=1
fi
if [ "$declared" != "$mapped" ]; then
  echo "DLZ_API declarations differ from src/dlz.map:"; diff <(echo "$declared") <(echo "$mapped") || true
  status=1
fi
[ $status = 0 ] && echo "$(echo "$exported" | wc -l) symbols: header, map and library agree"
exit $status
