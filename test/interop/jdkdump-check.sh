#!/usr/bin/env bash
# Cross-checks JdkDump.java against DL4J's own reader (Nd4j.read) on archives.
#
#   test/interop/jdkdump-check.sh VERSION ARCHIVE...
#
# For each archive: JdkDump in both modes (zipfile, zipstream) must succeed and
# agree with each other (same lines, order aside), and its output must equal the
# dump that DumpCheck builds from the arrays DL4J VERSION reads.  Prints one
# PASS/FAIL line per archive and "N passed, N failed"; exits 1 on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 2 ]; then
    echo "usage: $0 VERSION ARCHIVE..." >&2
    exit 2
fi
version="$1"
shift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# DumpCheck names its outputs after the archive file name: refuse duplicates.
dups="$(for a in "$@"; do basename "$a"; done | sort | uniq -d)"
if [ -n "$dups" ]; then
    echo "jdkdump-check.sh: archive file names must be unique, duplicated: $dups" >&2
    exit 2
fi

if ! "$here/dl4j.sh" "$version" DumpCheck -o "$tmp/dl4j" "$@" 2>"$tmp/dumpcheck.err"; then
    grep -v SLF4J "$tmp/dumpcheck.err" >&2
fi

pass=0
fail=0
for a in "$@"; do
    b="$(basename "$a")"
    why=""
    if ! java "$here/JdkDump.java" zipfile "$a" >"$tmp/zf" 2>"$tmp/zf.err"; then
        why="JdkDump zipfile: $(tail -n 1 "$tmp/zf.err")"
    elif ! java "$here/JdkDump.java" zipstream "$a" >"$tmp/zs" 2>"$tmp/zs.err"; then
        why="JdkDump zipstream: $(tail -n 1 "$tmp/zs.err")"
    elif ! cmp -s <(sort "$tmp/zf") <(sort "$tmp/zs"); then
        why="zipfile and zipstream dumps differ"
    elif [ ! -f "$tmp/dl4j/$b.dump" ]; then
        why="DL4J could not read it: $(cat "$tmp/dl4j/$b.dump.err" 2>/dev/null)"
    elif ! cmp -s "$tmp/zs" "$tmp/dl4j/$b.dump"; then
        why="differs from DL4J: $(diff "$tmp/zs" "$tmp/dl4j/$b.dump" | head -n 3 | tr '\n' ' ')"
    fi
    if [ -z "$why" ]; then
        echo "PASS $a jdkdump"
        pass=$((pass + 1))
    else
        echo "FAIL $a jdkdump: $why"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
