#!/usr/bin/env bash
# test_export.sh - tests of "dlz params" and "dlz export".
#
# Environment:
#   DLZ_CLI          the dlz binary (default: $DLZ_BUILD_ROOT/dlz)
#   DLZ_SOURCE_ROOT  the source tree (fixtures/ and test/export_check.py)
#   DLZ_CORPUS       folder of DL4J-written files (CustomLayerExample archives)
#
# Every archive in fixtures/dl4j-1.0.0-M2.1 and fixtures/dl4j-1.0.0-beta7 is
# listed, printed and exported in both formats, and export_check.py reads
# the results back with NumPy and the safetensors package and compares every
# value, bit for bit, with what DL4J held in memory (X.expected.json).
# Needs python3 with numpy and safetensors ("pip install numpy safetensors");
# without them the test is skipped (exit status 77).
#
# Output is TAP: "ok N - ..." / "not ok N - ..." lines, the plan "1..N" at the
# end, then "# N passed, N failed"; the exit status is 1 if anything failed.

set -u

DLZ=${DLZ_CLI:-${DLZ_BUILD_ROOT:-.}/dlz}
SRC=${DLZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
CORPUS=${DLZ_CORPUS:-$SRC/../shared/corpus}
PY=${PYTHON:-python3}
CHECK=$SRC/test/export_check.py

if [ ! -x "$DLZ" ]; then
    echo "Bail out! dlz binary not found (set DLZ_CLI): $DLZ"
    exit 1
fi
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 is needed"
    exit 77
fi
if ! why=$("$PY" -c 'import numpy, safetensors' 2>&1); then
    echo "1..0 # SKIP numpy and safetensors are needed (pip install numpy safetensors): $(echo "$why" | tail -n 1)"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/dlz-export-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export TZ=UTC LC_ALL=C

# ok, not_ok, skip, check, run, tap_summary
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

status_is() {
    [ "$rc" -eq "$1" ]
}

# One line on stderr, starting with "dlz: " and, if given, "dlz: PREFIX: ".
one_error_line() {
    [ "$(wc -l <"$T/err")" -eq 1 ] || return 1
    head -c 5 "$T/err" | grep -q '^dlz: ' || return 1
    if [ $# -gt 0 ]; then
        grep -qF "dlz: $1: " "$T/err" || return 1
    fi
    return 0
}

no_stdout() {
    [ ! -s "$T/out" ]
}

usage_error() {
    status_is 2 && one_error_line && no_stdout
}

data_error() { # [FILE]
    status_is 1 && one_error_line "$@" && no_stdout
}

success() {
    status_is 0 && [ ! -s "$T/err" ]
}

# No file in DIR but the ones named (no temporary file left behind).
only_files() { # DIR NAME...
    local dir=$1
    shift
    [ "$(cd "$dir" && ls -A | sort | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')" ]
}

# pycheck ARGS...: runs export_check.py, turning its "ok ..." / "not ok ..."
# lines into numbered TAP results.
pycheck() {
    local line out status seen=0
    out=$("$PY" "$CHECK" "$@" 2>&1)
    status=$?
    : >"$T/err"
    while IFS= read -r line; do
        case $line in
        "ok "*)
            ok "${line#ok }"
            seen=1
            ;;
        "not ok "*)
            not_ok "${line#not ok }"
            seen=1
            ;;
        *) echo "#   $line" ;;
        esac
    done <<<"$out"
    if [ "$seen" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; }; then
        not_ok "export_check.py $1 ran (exit status $status)"
    fi
}

# ---- every DL4J-written archive ------------------------------------------------

# export_ok DESC ARGS...: dlz export succeeds quietly and writes its OUT (the
# last argument).
export_ok() {
    local desc=$1
    shift
    local out=${*: -1}
    run export "$@"
    check "$desc" eval 'success && no_stdout && [ -s "$out" ]'
}

fixture() { # ZIP
    local zip=$1 exp=${1%.zip}.expected.json
    local dir name d first grid updater normalizer
    dir=$(basename "$(dirname "$zip")")
    name=$dir/$(basename "$zip" .zip)
    d=$T/$dir/$(basename "$zip" .zip)
    mkdir -p "$d"

    run params --json "$zip"
    check "$name: params --json" success
    cp "$T/out" "$d/params.json"
    first='' grid='' updater=none normalizer=0
    eval "$("$PY" "$CHECK" plan "$exp" "$d/params.json")"

    run params "$zip"
    check "$name: params (text table)" eval 'success && tail -n 1 "$T/out" | grep -q "parameter"'
    if [ -n "$first" ]; then
        printf '%s' "$first" >"$d/first.name"
        run params "$zip" "$first"
        check "$name: params FILE $first" success
        cp "$T/out" "$d/first.txt"
    fi
    if [ -n "$grid" ]; then
        printf '%s' "$grid" >"$d/grid.name"
        run params --order f "$zip" "$grid"
        check "$name: params --order f FILE $grid" success
        cp "$T/out" "$d/grid_f.txt"
    fi

    export_ok "$name: export --format safetensors" --format safetensors "$zip" "$d/p.safetensors"
    export_ok "$name: export --format npz" --format=npz "$zip" "$d/p.npz"
    case $updater in
    tensors | none)
        export_ok "$name: export --with-updater (safetensors)" --with-updater "$zip" "$d/u.safetensors"
        export_ok "$name: export --with-updater (npz)" --with-updater "$zip" "$d/u.npz"
        ;;
    error)
        run export --with-updater "$zip" "$d/u.safetensors"
        check "$name: export --with-updater without updaterState.bin: exit 1, one line, no OUT" \
            eval 'data_error "$zip" && grep -q updaterState.bin "$T/err" && [ ! -e "$d/u.safetensors" ]'
        ;;
    esac
    if [ "$normalizer" = 1 ]; then
        export_ok "$name: export --with-normalizer (safetensors)" --with-normalizer "$zip" "$d/n.safetensors"
        export_ok "$name: export --with-normalizer (npz)" --with-normalizer "$zip" "$d/n.npz"
    else
        run export --with-normalizer "$zip" "$d/n.npz"
        check "$name: export --with-normalizer without normalizer.bin: exit 1, no OUT" \
            eval 'data_error "$zip" && [ ! -e "$d/n.npz" ]'
    fi
    pycheck archive "$zip" "$exp" "$d"
}

count=0
for dir in dl4j-1.0.0-M2.1 dl4j-1.0.0-beta7; do
    for zip in "$SRC/fixtures/$dir"/*.zip; do
        [ -e "$zip" ] || continue
        fixture "$zip"
        count=$((count + 1))
    done
done
check "fixture archives were found ($count)" [ "$count" -gt 0 ]

# ---- output files ----------------------------------------------------------------------

F=$SRC/fixtures/dl4j-1.0.0-M2.1
mkdir -p "$T/o"

run export --format npz "$F/mln-dense-adam-float.zip" -
cp "$T/out" "$T/stdout.npz"
check "export OUT '-' writes standard output" eval 'success && [ -s "$T/stdout.npz" ]'
run export --format npz "$F/mln-dense-adam-float.zip" "$T/o/a.npz"
check "... the same bytes as a file (output is deterministic)" \
    eval 'success && cmp -s "$T/stdout.npz" "$T/o/a.npz"'
run export "$F/mln-dense-adam-float.zip" "$T/o/a.safetensors"
cp "$T/o/a.safetensors" "$T/a1.safetensors"
run export "$F/mln-dense-adam-float.zip" "$T/o/a.safetensors"
check "safetensors output is deterministic; the format follows OUT's suffix" \
    eval 'success && cmp -s "$T/a1.safetensors" "$T/o/a.safetensors"'

chmod 640 "$T/o/a.npz"
run export --format npz "$F/mln-dense-nesterovs-double.zip" "$T/o/a.npz"
check "replacing OUT keeps its permissions" \
    eval 'success && [ "$(stat -c %a "$T/o/a.npz")" = 640 ]'
check "... and leaves no temporary file" only_files "$T/o" a.npz a.safetensors

head -c 700 "$F/mln-dense-adam-float.zip" >"$T/trunc.zip"
printf 'old' >"$T/o/keep.npz"
run export --format npz "$T/trunc.zip" "$T/o/keep.npz"
check "export of a truncated archive: exit 1, one line" data_error "$T/trunc.zip"
check "... the existing OUT is unchanged and no temporary file is left" \
    eval '[ "$(cat "$T/o/keep.npz")" = old ] && only_files "$T/o" a.npz a.safetensors keep.npz'
run params "$T/trunc.zip"
check "params of a truncated archive: exit 1, one line" data_error "$T/trunc.zip"
run params "$T/missing.zip"
check "params of a missing file: exit 1, one line" data_error "$T/missing.zip"
run export "$T/missing.zip" "$T/o/x.npz"
check "export of a missing file: exit 1, one line, no OUT" \
    eval 'data_error "$T/missing.zip" && [ ! -e "$T/o/x.npz" ]'
run export "$F/mln-dense-adam-float.zip" "$T/nodir/x.npz"
check "export into a missing directory: exit 1, one line" data_error "$T/nodir/x.npz"
run export --format npz "$F/mln-dense-adam-float.zip" "$T/o"
check "export to a directory: exit 1, one line" data_error "$T/o"
run params "$F/mln-dense-adam-float.zip" 0/nope
check "params FILE with an unknown LAYER/KEY: exit 1, one line" \
    eval 'data_error "$F/mln-dense-adam-float.zip" && grep -q "0/nope" "$T/err"'
run params - <"$F/mln-dense-adam-float.zip"
check "params reads standard input ('-')" eval 'success && grep -q "^0/W " "$T/out"'

# Coefficients that do not fit the table: the check's one-line message.
"$PY" - "$F/mln-dense-sgd-float.zip" "$SRC/fixtures/dl4j-1.0.0-M2.1/mln-cnn-bn-adam-float.zip" \
    "$T/mismatch.zip" <<'PY'
import sys, zipfile
conf_from, coef_from, out = sys.argv[1:4]
with zipfile.ZipFile(conf_from) as a, zipfile.ZipFile(coef_from) as b, \
        zipfile.ZipFile(out, "w") as z:
    z.writestr("configuration.json", a.read("configuration.json"))
    z.writestr("coefficients.bin", b.read("coefficients.bin"))
PY
run params "$T/mismatch.zip"
check "params: coefficients that do not fit the table: exit 1, one line naming a layer" \
    eval 'data_error "$T/mismatch.zip" && grep -q "coefficients have 126 values" "$T/err" &&
          grep -q "layer" "$T/err"'
run export "$T/mismatch.zip" "$T/o/m.safetensors"
check "export: the same check, no OUT" \
    eval 'data_error "$T/mismatch.zip" && [ ! -e "$T/o/m.safetensors" ]'

# ---- a custom layer (DL4J corpus) ----------------------------------------------------------

custom=$CORPUS/dl4j/100b6/CustomLayerExample_100b6_float.bin
if [ -f "$custom" ]; then
    run params "$custom"
    check "params of a model with a custom layer: exit 1, one line naming the layer" \
        eval 'data_error "$custom" && grep -q "CustomLayer" "$T/err"'
    run export --format safetensors "$custom" "$T/o/custom.safetensors"
    check "export of a model with a custom layer: exit 1, one line naming the layer, no OUT" \
        eval 'data_error "$custom" && grep -q "CustomLayer" "$T/err" &&
              [ ! -e "$T/o/custom.safetensors" ]'
    # With the explicit opt-in the layer is assumed dense (W [nIn,nOut] f,
    # b [1,nOut]): the table then covers every coefficient, and a note names
    # the assumed layer.
    run params --assume-dense --json "$custom"
    check "params --assume-dense of a custom layer: the table covers the coefficients" \
        eval '[ "$rc" -eq 0 ] && grep -q "assumed dense" "$T/err" && grep -q CustomLayer "$T/err" &&
              python3 -c "
import json, sys
t = json.load(open(sys.argv[1]))
ps = t[\"params\"]
assert sum(p[\"length\"] for p in ps) == t[\"total\"] == 149, t[\"total\"]
assert [p[\"name\"] for p in ps if p.get(\"assumed\")] == [\"1/W\", \"1/b\"], ps
" "$T/out"'
else
    skip "params of a model with a custom layer" "corpus not found: $custom"
    skip "export of a model with a custom layer" "corpus not found: $custom"
fi

# ---- usage -------------------------------------------------------------------------------------

Z=$F/mln-dense-adam-float.zip
run params
check "params without FILE: exit 2" usage_error
run params --bogus "$Z"
check "params --bogus: exit 2" usage_error
run params "$Z" 0/W 0/b
check "params with too many arguments: exit 2" usage_error
run params --order x "$Z" 0/W
check "params --order x: exit 2" usage_error
run params --order f "$Z"
check "params --order without LAYER/KEY: exit 2" usage_error
run params --json "$Z" 0/W
check "params --json with LAYER/KEY: exit 2" usage_error
run export "$Z"
check "export without OUT: exit 2" usage_error
run export "$Z" "$T/o/x.bin"
check "export without --format to an unknown suffix: exit 2, no OUT" \
    eval 'usage_error && [ ! -e "$T/o/x.bin" ]'
run export --format=tflite "$Z" "$T/o/x.npz"
check "export --format=tflite (unknown): exit 2" usage_error
run export --format "$Z"
check "export --format without a value: exit 2" usage_error
run export --with-updater=yes "$Z" "$T/o/x.npz"
check "export --with-updater=yes: exit 2" usage_error
run export --bogus "$Z" "$T/o/x.npz"
check "export --bogus: exit 2" usage_error
run export "$Z" "$T/o/x.npz" extra
check "export with too many arguments: exit 2" usage_error
run params --help
check "params --help: usage on stdout, exit 0" eval 'success && grep -q "^Usage: dlz params" "$T/out"'
run export --help
check "export --help: usage on stdout, exit 0" eval 'success && grep -q "^Usage: dlz export" "$T/out"'
run help export
check "dlz help export" eval 'success && grep -q "^Usage: dlz export" "$T/out"'
run --help
check "dlz --help lists params and export" \
    eval 'success && grep -q "^  params " "$T/out" && grep -q "^  export " "$T/out"'

# ---- summary ----------------------------------------------------------------------------------

tap_summary
