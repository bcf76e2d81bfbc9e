#!/usr/bin/env bash
# test_cli.sh - tests of the dlz command-line tool.
#
# Environment:
#   DLZ_CLI          the dlz binary (default: $DLZ_BUILD_ROOT/dlz)
#   DLZ_CORPUS       folder of DL4J-written files (searched recursively)
#   DLZ_SOURCE_ROOT  the source tree (for the project version)
#
# Values that dlz reports are checked against a small decoder written here
# in Python from the format description (zipfile + struct), independent of
# the library.  Output is TAP: "ok N - ..." / "not ok N - ..." lines, the
# plan "1..N" at the end, then "# N passed, N failed"; the exit status is 1 if
# anything failed.

set -u

DLZ=${DLZ_CLI:-${DLZ_BUILD_ROOT:-.}/dlz}
CORPUS=${DLZ_CORPUS:-${DLZ_SOURCE_ROOT:-.}/../shared/corpus}
SRC=${DLZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
PY=${PYTHON:-python3}

if [ ! -x "$DLZ" ]; then
    echo "Bail out! dlz binary not found (set DLZ_CLI): $DLZ"
    exit 1
fi
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "Bail out! python3 is needed"
    exit 1
fi
# The interpreter itself, not a wrapper script: it starts many times.
PY=$("$PY" -c 'import sys; print(sys.executable)') || exit 1

T=$(mktemp -d "${TMPDIR:-/tmp}/dlz-cli-test.XXXXXX") || exit 1
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

# ---- the independent decoder ------------------------------------------------------

cat >"$T/check.py" <<'PY'
"""Independent checks for test_cli.sh: ND4J array records and zip entries
decoded with zipfile + struct, following the format description."""
import itertools, json, math, struct, sys, time, zipfile

TYPES = {"DOUBLE": (8, "d"), "FLOAT": (4, "f"), "HALF": (2, "e"), "LONG": (8, "q"),
         "INT": (4, "i"), "SHORT": (2, "h"), "BYTE": (1, "b"), "UBYTE": (1, "B"),
         "BOOL": (1, "B"), "UINT16": (2, "H"), "UINT32": (4, "I"), "UINT64": (8, "Q"),
         "BFLOAT16": (2, "H")}
INT_MODES = ("DIRECT", "HEAP", "JAVACPP")
LONG_MODES = ("LONG_SHAPE", "MIXED_DATA_TYPES")


def utf(b, p):
    (n,) = struct.unpack_from(">H", b, p)
    return b[p + 2:p + 2 + n].decode("ascii"), p + 2 + n


def data_buffer(b, p):
    mode, p = utf(b, p)
    if mode in INT_MODES:
        (n,) = struct.unpack_from(">i", b, p)
        p += 4
    elif mode in LONG_MODES:
        (n,) = struct.unpack_from(">q", b, p)
        p += 8
    else:
        raise ValueError("bad allocation mode %r" % mode)
    dtype, p = utf(b, p)
    size, fmt = TYPES[dtype]
    vals = list(struct.unpack_from(">%d%s" % (n, fmt), b, p))
    if dtype == "BFLOAT16":
        vals = [struct.unpack(">f", struct.pack(">I", v << 16))[0] for v in vals]
    return mode, dtype, [float(v) for v in vals], p + n * size


def decode(b):
    """Summary of one array record, as dlz info reports it."""
    _, stype, sinfo, p = data_buffer(b, 0)
    assert stype in ("INT", "LONG"), stype
    sinfo = [int(v) for v in sinfo]
    r = sinfo[0]
    mode, dtype, vals, _ = data_buffer(b, p)
    finite = [v for v in vals if not math.isnan(v)]
    out = {"dtype": dtype, "shape": sinfo[1:1 + r], "strides": sinfo[1 + r:1 + 2 * r],
           "order": chr(sinfo[-1]), "length": len(vals), "generation": mode,
           "nan_count": len(vals) - len(finite)}
    if out["nan_count"] == 0:
        out["sum"] = math.fsum(finite)
        out["min"] = min(finite) if finite else None
        out["max"] = max(finite) if finite else None
        out["abs_sum"] = math.fsum(abs(v) for v in finite)
    return out


def compare_summary(what, got, want):
    """Differences between dlz's summary and the decoder's, as text."""
    errs = []
    if got is None:
        return ["%s: dlz reports null" % what]
    for k in ("dtype", "shape", "strides", "order", "length", "generation"):
        if got.get(k) != want[k]:
            errs.append("%s.%s: dlz %r, decoder %r" % (what, k, got.get(k), want[k]))
    if want["nan_count"]:
        if got.get("nan_count") != want["nan_count"] or got.get("sum") is not None:
            errs.append("%s: NaN handling: %r" % (what, got))
        return errs
    if got.get("min") != want["min"] or got.get("max") != want["max"]:
        errs.append("%s: min/max dlz %r/%r, decoder %r/%r"
                    % (what, got.get("min"), got.get("max"), want["min"], want["max"]))
    tol = 1e-12 * max(1.0, want["abs_sum"])
    if got.get("sum") is None or abs(got["sum"] - want["sum"]) > tol:
        errs.append("%s: sum dlz %r, decoder %r" % (what, got.get("sum"), want["sum"]))
    if got.get("compressed") is not False:
        errs.append("%s: compressed should be false" % what)
    return errs


def load(path):
    with open(path) as f:
        return json.load(f)


def kind_of(config):
    c = json.loads(config)
    if "confs" in c:
        return "MultiLayerNetwork"
    if "vertices" in c:
        return "ComputationGraph"
    return "unknown"


def method_name(m):
    return {0: "store", 8: "deflate"}.get(m, m)


def cmd_archive(info_path, path):
    """dlz info --json of an archive agrees with zipfile and the decoder."""
    info = load(info_path)
    z = zipfile.ZipFile(path)
    errs = []
    if info["file"] != path:
        errs.append("file: %r" % info["file"])
    want_kind = kind_of(z.read("configuration.json"))
    if info["kind"] != want_kind:
        errs.append("kind: dlz %r, config says %r" % (info["kind"], want_kind))
    want = [{"name": i.filename, "size": i.file_size, "compressed_size": i.compress_size,
             "method": method_name(i.compress_type)} for i in z.infolist()]
    if info["entries"] != want:
        errs.append("entries: dlz %r, zipfile %r" % (info["entries"], want))
    names = z.namelist()
    for entry, key in (("coefficients.bin", "coefficients"), ("updaterState.bin", "updater")):
        if entry in names and z.getinfo(entry).file_size > 0:
            errs += compare_summary(key, info[key], decode(z.read(entry)))
        elif info[key] is not None:
            errs.append("%s: expected null" % key)
    objects = [n[8:] for n in names if n.startswith("objects/") and not n.endswith("/")]
    if info["objects"] != objects:
        errs.append("objects: dlz %r, zipfile %r" % (info["objects"], objects))
    if ("normalizer.bin" in names) != (info["normalizer"] is not None):
        errs.append("normalizer: %r" % info["normalizer"])
    if info.get("array") is not None:
        errs.append("array: expected null for an archive")
    return errs + params_errors(info) + network_errors(info)


def network_errors(info):
    """The versioned schema; the network description is null with a
    message, or lists layers whose parameters are exactly the table's."""
    errs = [] if info.get("schema") == "dlz-info-1" else ["schema %r" % info.get("schema")]
    net = info.get("network", "missing")
    if net is None:
        if not isinstance(info.get("network_error"), str):
            errs.append("network null without network_error")
        return errs
    if not isinstance(net, dict) or not isinstance(net.get("layers"), list):
        return errs + ["network: %r" % (net,)]
    keys = ["name", "layer_name", "index", "type", "base_type", "class", "known",
            "preprocessor", "inputs", "attributes", "unknown", "input_shape", "output_shape",
            "params"]
    listed = []
    for layer in net["layers"]:
        if list(layer) != keys:
            errs.append("layer members %r" % list(layer))
            continue
        if layer["params"] is not None:
            listed += layer["params"]
        for s in (layer["input_shape"], layer["output_shape"]):
            if s is not None and (len(s["shape"]) < 2 or s["shape"][0] != -1):
                errs.append("layer %s: shape %r" % (layer["name"], s))
    if info.get("params") is not None and listed != info["params"]:
        errs.append("the layers' params differ from the parameter table")
    if info.get("params") is not None and any(l["params"] is None for l in net["layers"]):
        errs.append("a layer without its params")
    return errs


def params_errors(info):
    """The parameter table is null with a message, or covers the
    coefficients exactly: no gap, no overlap, params_total values."""
    params = info.get("params", "missing")
    if params is None:
        err = info.get("params_error")
        if not isinstance(err, str) or not err or info.get("params_total", 0) is not None:
            return ["params null, but params_error %r, params_total %r"
                    % (err, info.get("params_total", "missing"))]
        return []
    if not isinstance(params, list):
        return ["params: %r" % (params,)]
    errs = []
    # The members of dlz params --json (the object both commands share).
    keys = ["name", "layer", "layer_index", "key", "layer_type", "shape", "order", "offset",
            "length", "updater", "state_count"]
    end = 0
    for p in sorted(params, key=lambda p: p.get("offset", -1)):
        if list(p) != keys:
            errs.append("param members %r" % list(p))
            continue
        if p["name"] != p["layer"] + "/" + p["key"] or p["order"] not in ("c", "f"):
            errs.append("param %r" % p)
        if math.prod(p["shape"]) != p["length"] or p["offset"] != end:
            errs.append("param %s: shape %r, offset %r, length %r after %d values"
                        % (p["name"], p["shape"], p["offset"], p["length"], end))
        end = p["offset"] + p["length"]
    have = (info["coefficients"] or {}).get("length", 0)
    if info.get("params_total") != end or end != have:
        errs.append("params_total %r, parameters cover %d values, the coefficients have %d"
                    % (info.get("params_total"), end, have))
    return errs


def row_major(flat, shape, order):
    """The values of an array stored in ORDER, listed in row-major order."""
    strides, step = [0] * len(shape), 1
    dims = range(len(shape)) if order == "f" else reversed(range(len(shape)))
    for k in dims:
        strides[k] = step
        step *= shape[k]
    return [flat[sum(i * s for i, s in zip(idx, strides))]
            for idx in itertools.product(*[range(d) for d in shape])]


def cmd_params_fixture(info_path, expected_path):
    """dlz's parameter table cuts the coefficients (decoded here from
    expected.json) into exactly the parameters DL4J reports there."""
    info, want = load(info_path), load(expected_path)
    errs = params_errors(info)
    if info["params"] is None:
        return errs + ["no parameter table: %s" % info.get("params_error")]
    wp = want.get("params") or {}
    if len(info["params"]) != len(wp):
        errs.append("%d parameters, expected %d" % (len(info["params"]), len(wp)))
    if not wp:
        return errs
    c = want["coefficients"]
    size, fmt = {"FLOAT": (4, ">f"), "DOUBLE": (8, ">d"), "HALF": (2, ">e")}[c["dtype"]]
    raw = bytes.fromhex(c["values_hex"])
    flat = [raw[i:i + size] for i in range(0, len(raw), size)]
    for p in info["params"]:
        w = wp.get(p["layer"] + "_" + p["key"])
        if w is None:
            errs.append("%s: not in expected.json" % p["name"])
            continue
        squeeze = lambda shape: [d for d in shape if d != 1]
        if squeeze(p["shape"]) != squeeze(w["shape"]) or p["length"] != w["length"]:
            errs.append("%s: shape %r, DL4J %r" % (p["name"], p["shape"], w["shape"]))
            continue
        got = b"".join(row_major(flat[p["offset"]:p["offset"] + p["length"]], p["shape"],
                                 p["order"]))
        if got.hex() != w["values_hex"]:
            errs.append("%s: the values at offset %d in order %s differ from DL4J's"
                        % (p["name"], p["offset"], p["order"]))
    return errs


def cmd_array(info_path, path):
    """dlz info --json of a bare array file agrees with the decoder."""
    info = load(info_path)
    errs = []
    if info["kind"] != "array":
        errs.append("kind: %r" % info["kind"])
    for k, v in (("entries", []), ("objects", []), ("coefficients", None),
                 ("updater", None), ("normalizer", None)):
        if info.get(k, "missing") != v:
            errs.append("%s: %r" % (k, info.get(k, "missing")))
    with open(path, "rb") as f:
        errs += compare_summary("array", info.get("array"), decode(f.read()))
    return errs


def cmd_coefficients_050(info_path, path):
    """The 0.5.0 MLP: FLOAT [1,41] JAVACPP, values from the raw bytes."""
    info = load(info_path)
    raw = zipfile.ZipFile(path).read("coefficients.bin")
    # Fixed layout of this record: JAVACPP shape buffer of 8 INT, then the
    # JAVACPP FLOAT data buffer of 41 elements.
    p = 2 + 7 + 4 + 2 + 3 + 8 * 4
    assert raw[p:p + 9] == b"\x00\x07JAVACPP", raw[p:p + 9]
    (n,) = struct.unpack_from(">i", raw, p + 9)
    assert raw[p + 13:p + 20] == b"\x00\x05FLOAT" and n == 41
    vals = struct.unpack_from(">41f", raw, p + 20)
    c = info["coefficients"]
    errs = []
    for k, v in (("dtype", "FLOAT"), ("shape", [1, 41]), ("strides", [1, 1]), ("order", "c"),
                 ("length", 41), ("generation", "JAVACPP"), ("compressed", False)):
        if c.get(k) != v:
            errs.append("%s: %r, expected %r" % (k, c.get(k), v))
    if c.get("min") != min(vals) or c.get("max") != max(vals):
        errs.append("min/max %r/%r, expected %r/%r" % (c.get("min"), c.get("max"),
                                                        min(vals), max(vals)))
    if abs(c.get("sum") - math.fsum(vals)) > 1e-9:
        errs.append("sum %r, expected %r" % (c.get("sum"), math.fsum(vals)))
    return errs


def strip_generation(s):
    if isinstance(s, dict):
        s = dict(s)
        s.pop("generation", None)
    return s


def cmd_roundtrip(orig_info, new_info, orig, new, generation, method):
    """A converted archive has the same summaries (but the generation),
    the same configuration text and entries written with METHOD ("default":
    the library's defaults)."""
    a, b = load(orig_info), load(new_info)
    errs = []
    for k in ("kind", "coefficients", "updater", "normalizer", "objects"):
        x, y = strip_generation(a[k]), strip_generation(b[k])
        if isinstance(x, dict) and isinstance(y, dict):
            errs += ["%s.%s: %r, then %r" % (k, f, x.get(f), y.get(f))
                     for f in sorted(set(x) | set(y)) if x.get(f) != y.get(f)]
        elif x != y:
            errs.append("%s: %r, then %r" % (k, x, y))
    for k in ("coefficients", "updater"):
        if b[k] is not None and b[k]["generation"] != generation:
            errs.append("%s generation %r, expected %r" % (k, b[k]["generation"], generation))
    za, zb = zipfile.ZipFile(orig), zipfile.ZipFile(new)
    if zb.testzip() is not None:
        errs.append("bad CRC in the output")
    if za.read("configuration.json") != zb.read("configuration.json"):
        errs.append("configuration.json differs")
    for i in zb.infolist():
        want = method
        if method == "default":  # the library's: arrays stored, the rest deflated
            arrays = ("coefficients.bin", "updaterState.bin")
            want = "store" if i.filename in arrays else "deflate"
        if method_name(i.compress_type) != want:
            errs.append("%s written with %r" % (i.filename, method_name(i.compress_type)))
    return errs


def cmd_entries(path, *names):
    """The archive has exactly these entries, in this order."""
    got = zipfile.ZipFile(path).namelist()
    return [] if got == list(names) else ["entries %r, expected %r" % (got, list(names))]


def cmd_same_entries(a, b, *names):
    """Entries NAMES hold the same bytes in both archives."""
    za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
    return ["%s differs" % n for n in names if za.read(n) != zb.read(n)]


def cmd_mtime(path, seconds):
    want = time.gmtime(int(seconds))[:6]
    return ["%s: %r, expected %r" % (i.filename, i.date_time, want)
            for i in zipfile.ZipFile(path).infolist() if i.date_time != want]


def cmd_field(info_path, expr, expected):
    """json.loads(expected) == eval(expr) on the info object."""
    info = load(info_path)
    got = eval(expr, {"info": info})
    want = json.loads(expected)
    return [] if got == want else ["%s: %r, expected %r" % (expr, got, want)]


def cmd_valid_json(path):
    load(path)
    return []


# ---- building test archives ----

def jutf(s):
    b = s.encode("ascii")
    return struct.pack(">H", len(b)) + b


def record(vals):
    """A JAVACPP FLOAT row vector record."""
    n = len(vals)
    shape = jutf("JAVACPP") + struct.pack(">i", 8) + jutf("INT")
    shape += struct.pack(">8i", 2, 1, n, 1, 1, 0, 1, 99)
    data = jutf("JAVACPP") + struct.pack(">i", n) + jutf("FLOAT") + struct.pack(">%df" % n, *vals)
    return shape + data


def normalizer(kind):
    if kind == "java":
        return b"\xac\xed\x00\x05sr\x00\x10SomeJavaClass"
    if kind == "junk":
        return b"not a normalizer"
    body = jutf("NORMALIZER") + struct.pack(">i", 1) + jutf(kind)
    if kind == "CUSTOM":
        body += jutf("com.example.MyStrategy")
    return body + b"\x00" + record([0.5, 0.25]) + record([1.0, 2.0])


CONFIG = b'{"confs": [], "backprop": true}'
# One OutputLayer 2 -> 1: parameters W [2,1] and b [1,1], three values.
CONFIG_FULL = (b'{"confs": [{"layer": {"@class": '
               b'"org.deeplearning4j.nn.conf.layers.OutputLayer", "nIn": 2, "nOut": 1}}]}')


def cmd_make(path, what):
    """Writes a small archive for one scenario."""
    nan, inf = float("nan"), float("inf")
    entries = [("configuration.json", CONFIG)]
    if what == "noparams":
        entries += [("coefficients.bin", b""), ("noParams.marker", b"")]
    elif what == "nan":
        entries += [("coefficients.bin", record([1.0, nan, 2.0, nan]))]
    elif what == "inf":
        entries += [("coefficients.bin", record([1.0, inf, -2.0]))]
    elif what == "badupdater":
        entries += [("coefficients.bin", record([1.0, 2.0])),
                    ("updaterState.bin", b"\x00\x07JAVACPP garbage")]
    elif what == "extra":
        entries += [("coefficients.bin", record([1.0, 2.0])),
                    ("preprocessor.bin", b"\xac\xed\x00\x05")]
    elif what.startswith("norm-"):
        entries += [("coefficients.bin", record([1.0, 2.0])),
                    ("normalizer.bin", normalizer(what[5:]))]
    elif what == "full":
        entries = [("configuration.json", CONFIG_FULL)]
        entries += [("coefficients.bin", record([1.5, -2.0, 3.25])),
                    ("updaterState.bin", record([0.0, 0.125, 0.0, 0.5, 0.0, 1.0])),
                    ("normalizer.bin", normalizer("STANDARDIZE")),
                    ("objects/labels", b"\xac\xed\x00\x05t\x00\x03abc"),
                    ("objects/nested/key", b"\xac\xed\x00\x05t\x00\x01x")]
    elif what == "unknown":
        entries = [("configuration.json", b'{"something": "else"}'),
                   ("coefficients.bin", record([4.0]))]
    else:
        raise SystemExit("unknown scenario " + what)
    # "full" is stored, so that its sizes (in the golden output) do not
    # depend on the zlib version.
    method = zipfile.ZIP_STORED if what == "full" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in entries:
            z.writestr(name, data)
    return []


def cmd_is_zip(path):
    return [] if zipfile.is_zipfile(path) else ["not a zip"]


def run_check(cmd, args):
    try:
        return globals()["cmd_" + cmd.replace("-", "_")](*args)
    except Exception as e:  # a crash is a failed check, with its reason
        return ["%s: %s" % (type(e).__name__, e)]


def cmd_batch(queue):
    """Runs queued checks (DESC TAB CHECK TAB ARGS... per line); prints
    PASS or FAIL, TAB, DESC [, TAB, reasons] per check."""
    with open(queue) as f:
        for line in f:
            desc, cmd, *args = line.rstrip("\n").split("\t")
            errs = run_check(cmd, args)
            print("%s\t%s\t%s" % ("FAIL" if errs else "PASS", desc, "; ".join(errs)[:2000]))
    return []


def main():
    errs = run_check(sys.argv[1], sys.argv[2:])
    for e in errs:
        print(e)
    sys.exit(1 if errs else 0)


main()
PY

# py CHECK ARGS...: runs a check of check.py; its complaints go to $T/py.
py() {
    "$PY" "$T/check.py" "$@" >"$T/py" 2>&1
}

# pycheck DESC CHECK ARGS...
pycheck() {
    local desc=$1
    shift
    if py "$@"; then
        ok "$desc"
    else
        local msgs=()
        while IFS= read -r line; do
            msgs+=("$line")
        done < <(head -n 8 "$T/py")
        not_ok "$desc" "${msgs[@]}"
    fi
}

# queue DESC CHECK ARGS...: a check of check.py to run at the next flush
# (one interpreter for many checks).  ARGS must not contain tabs or newlines
# and their files must stay unchanged until then.
queue() {
    local IFS=$'\t'
    printf '%s\n' "$*" >>"$T/queue"
    queued=$((queued + 1))
}
queued=0

flush() {
    [ "$queued" -gt 0 ] || return 0
    "$PY" "$T/check.py" batch "$T/queue" >"$T/results" 2>"$T/err"
    local got=0 verdict desc msg
    while IFS=$'\t' read -r verdict desc msg; do
        got=$((got + 1))
        if [ "$verdict" = PASS ]; then
            ok "$desc"
        else
            not_ok "$desc" "$msg"
        fi
    done <"$T/results"
    if [ "$got" -ne "$queued" ]; then
        not_ok "the checker ran $got of $queued queued checks"
    fi
    : >"$T/queue"
    queued=0
}

# ---- usage, --help, --version ------------------------------------------------------

run --help
check "--help prints the usage on stdout and exits 0" \
    eval 'success && grep -q "^Usage: dlz" "$T/out" && grep -q "convert" "$T/out"'
run -h
check "-h is --help" eval 'success && grep -q "^Usage: dlz" "$T/out"'
for cmd in info convert; do
    run "$cmd" --help
    check "$cmd --help prints its usage and exits 0" \
        eval 'success && grep -q "^Usage: dlz $cmd" "$T/out"'
    run help "$cmd"
    check "help $cmd prints the same usage" eval 'success && grep -q "^Usage: dlz $cmd" "$T/out"'
done
run convert in out --help
check "--help after other arguments still shows the usage" \
    eval 'success && grep -q "^Usage: dlz convert" "$T/out"'

run --version
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -n 1)
check "--version prints 'dlz VERSION (libdlz VERSION)'" \
    eval 'success && grep -Eq "^dlz ${version:-[0-9.]+} \(libdlz ${version:-[0-9.]+}\)$" "$T/out" &&
          [ "$(wc -l <"$T/out")" -eq 1 ]'

usage_cases=(
    ""
    "frobnicate"
    "--frobnicate"
    "help frobnicate"
    "info"
    "info --frobnicate x"
    "info --json=yes x"
    "convert"
    "convert onlyin"
    "convert a b c"
    "convert --generation"
    "convert --generation=long a b"
    "convert --deflate=0 a b"
    "convert --deflate=10 a b"
    "convert --deflate=x a b"
    "convert --store=1 a b"
    "convert --mtime a"
    "convert --mtime=soon a b"
    "convert --mtime=12x a b"
    "convert --verbose=1 a b"
    "convert --bogus a b"
)
for args in "${usage_cases[@]}"; do
    # shellcheck disable=SC2086
    run $args
    check "usage error 'dlz $args': exit 2, one stderr line" usage_error
done

# ---- corpus ----------------------------------------------------------------------

archives=()
arrays=()
if [ -d "$CORPUS" ]; then
    while IFS= read -r f; do
        if [ "$(head -c 2 "$f" | tr -d '\000')" = PK ]; then
            archives+=("$f")
        else
            arrays+=("$f")
        fi
    done < <(find "$CORPUS" -type f \( -name '*.zip' -o -name '*.bin' \) | LC_ALL=C sort)
fi

if [ ${#archives[@]} -eq 0 ]; then
    skip "corpus archives" "no corpus at $CORPUS"
fi

mlp050=$(printf '%s\n' "${archives[@]}" | grep '050_ModelSerializer_Regression_MLP_1' | head -n 1)
if [ -n "$mlp050" ]; then
    run info --json "$mlp050"
    cp "$T/out" "$T/mlp050.json"
    check "info --json on the 0.5.0 MLP succeeds" success
    pycheck "0.5.0 MLP coefficients: FLOAT [1,41] JAVACPP, sum/min/max from the raw bytes" \
        coefficients-050 "$T/mlp050.json" "$mlp050"

    run info "$mlp050"
    check "info (text) names the kind, the entries and the coefficients" \
        eval 'success && grep -q "^kind: *MultiLayerNetwork" "$T/out" &&
              grep -q "coefficients.bin" "$T/out" && grep -q "^coefficients: *FLOAT \[1,41\]" "$T/out"'

    run info --no-updater --json "$mlp050"
    cp "$T/out" "$T/noupd.json"
    check "info --no-updater succeeds" success
    pycheck "info --no-updater reports the updater as {\"present\": true}" \
        field "$T/noupd.json" 'info["updater"]' '{"present": true}'

    run info --json - <"$mlp050"
    cp "$T/out" "$T/stdin.json"
    pycheck "info --json - reads standard input" field "$T/stdin.json" \
        '[info["file"], info["coefficients"]["length"]]' '["-", 41]'

    cat "$mlp050" | "$DLZ" info --json - >"$T/out" 2>"$T/err"
    rc=$?
    check "info - reads a pipe" eval 'success && cmp -s "$T/out" "$T/stdin.json"'
else
    skip "0.5.0 MLP checks" "050_ModelSerializer_Regression_MLP_1.zip not in the corpus"
fi

i=0
for f in "${archives[@]}"; do
    i=$((i + 1))
    name=${f#"$CORPUS"/}
    run info --json "$f"
    if success; then
        cp "$T/out" "$T/archive$i.json"
        queue "info --json $name agrees with zipfile and the decoder" \
            archive "$T/archive$i.json" "$f"
    else
        not_ok "info --json $name succeeds"
    fi
done
flush

i=0
for f in "${arrays[@]}"; do
    i=$((i + 1))
    name=${f#"$CORPUS"/}
    run info --json "$f"
    if success; then
        cp "$T/out" "$T/array$i.json"
        queue "info --json $name: kind array, summary agrees with the decoder" \
            array "$T/array$i.json" "$f"
    else
        not_ok "info --json $name succeeds"
    fi
done
flush

# A custom layer: the parameter table is unknown, info still succeeds.
custom=$(printf '%s\n' "${archives[@]}" | grep '/CustomLayerExample_100b[0-9]*_[a-z]*\.bin$' | head -n 1)
if [ -n "$custom" ]; then
    run info --json "$custom"
    cp "$T/out" "$T/custom.json"
    check "info --json on a model with a custom layer succeeds" success
    pycheck "... params null, params_total null and params_error naming the layer class" \
        field "$T/custom.json" \
        '[info["params"], info["params_total"], "CustomLayer" in info["params_error"]]' \
        '[null, null, true]'
    run info "$custom"
    check "info (text) on it: one line 'parameters: unknown (...)'" \
        eval 'success && [ "$(grep -c "^parameters: *unknown (.*CustomLayer.*)$" "$T/out")" -eq 1 ] &&
              [ "$(sed -n "/^parameters:/,/^network:/p" "$T/out" | grep -vc "^network:")" -eq 1 ]'
    check "info (text) on it: the network shows the custom layer, its class as unknown" \
        eval 'success && grep -q "^  1 .* CustomLayer: " "$T/out" &&
              grep -q "^      unknown: class .*\.CustomLayer$" "$T/out"'
else
    skip "custom layer checks" "CustomLayerExample_100b*.bin not in the corpus"
fi

# ---- bad input -----------------------------------------------------------------------

run info "$T/does-not-exist.zip"
check "info on a missing file: exit 1, one line naming the file" data_error "$T/does-not-exist.zip"
: >"$T/empty.zip"
run info "$T/empty.zip"
check "info on an empty file: exit 1, one line naming the file" data_error "$T/empty.zip"
printf 'hello, world\n' >"$T/text.txt"
run info "$T/text.txt"
check "info on a text file: exit 1, one line naming the file" data_error "$T/text.txt"
run info "$T"
check "info on a directory: exit 1, one line" data_error "$T"

if [ -n "${mlp050:-}" ]; then
    size=$(wc -c <"$mlp050")
    for cut in $((size / 2)) $((size - 10)) 30; do
        head -c "$cut" "$mlp050" >"$T/truncated.zip"
        run info "$T/truncated.zip"
        check "info on an archive cut to $cut bytes: exit 1, one line naming the file" \
            data_error "$T/truncated.zip"
    done
fi
if [ ${#arrays[@]} -gt 0 ]; then
    size=$(wc -c <"${arrays[0]}")
    head -c $((size - 3)) "${arrays[0]}" >"$T/truncated.bin"
    run info "$T/truncated.bin"
    check "info on a truncated array file: exit 1, one line naming the file" \
        data_error "$T/truncated.bin"
fi

# ---- convert over the corpus ------------------------------------------------------------

# The data type of the coefficients, from dlz's JSON (checked above).
coefficient_dtype() {
    sed -n '/"coefficients": {/{n;s/.*"dtype": "\([A-Z0-9]*\)".*/\1/p;}' "$1"
}

i=0
for f in "${archives[@]}"; do
    i=$((i + 1))
    name=${f#"$CORPUS"/}
    orig="$T/archive$i.json"
    dtype=$(coefficient_dtype "$orig")
    for gen in mixed javacpp; do
        [ "$gen" = mixed ] && gname=MIXED_DATA_TYPES || gname=JAVACPP
        for comp in --store --deflate=6; do
            [ "$comp" = --store ] && method=store || method=deflate
            out="$T/conv-$i-$gen$comp.zip"
            rm -f "$out"
            run convert --generation "$gen" "$comp" "$f" "$out"
            desc="convert $gen $comp $name"
            if [ "$rc" -ne 0 ] && [ "$gen" = javacpp ] &&
                [ "$dtype" != FLOAT ] && [ "$dtype" != DOUBLE ]; then
                # JAVACPP records are only promised for FLOAT and DOUBLE.
                check "$desc: $dtype refused cleanly" eval 'data_error && [ ! -e "$out" ]'
                continue
            fi
            if ! success; then
                not_ok "$desc succeeds"
                continue
            fi
            "$DLZ" info --json "$out" >"$out.json" 2>"$T/err"
            queue "$desc: same summaries and configuration" \
                roundtrip "$orig" "$out.json" "$f" "$out" "$gname" "$method"
        done
    done
    flush
    rm -f "$T"/conv-"$i"-*
done

# ---- convert: options, streams, failures ------------------------------------------------------

if [ -n "${mlp050:-}" ]; then
    run convert --no-updater "$mlp050" "$T/noupd.zip"
    check "convert --no-updater succeeds" success
    pycheck "convert --no-updater drops updaterState.bin" \
        entries "$T/noupd.zip" configuration.json coefficients.bin

    run convert "$mlp050" "$T/default.zip"
    pycheck "convert keeps DL4J's entry order" \
        entries "$T/default.zip" configuration.json coefficients.bin updaterState.bin

    "$DLZ" convert "$mlp050" - >"$T/stdout.zip" 2>"$T/err"
    rc=$?
    check "convert IN - writes the archive to stdout" success
    "$DLZ" info --json "$T/stdout.zip" >"$T/stdout.json" 2>"$T/err"
    pycheck "the archive written to stdout is valid and complete" \
        roundtrip "$T/mlp050.json" "$T/stdout.json" "$mlp050" "$T/stdout.zip" \
        MIXED_DATA_TYPES default

    "$DLZ" convert --generation=javacpp - "$T/fromstdin.zip" <"$mlp050" >"$T/out" 2>"$T/err"
    rc=$?
    check "convert - OUT reads stdin" success
    "$DLZ" info --json "$T/fromstdin.zip" >"$T/fromstdin.json" 2>"$T/err"
    pycheck "the archive read from stdin converts faithfully" \
        roundtrip "$T/mlp050.json" "$T/fromstdin.json" "$mlp050" "$T/fromstdin.zip" \
        JAVACPP default

    cat "$mlp050" | "$DLZ" convert --store - - | "$DLZ" info --json - >"$T/pipe.json" 2>"$T/err"
    check "convert - - works in a pipeline" py valid-json "$T/pipe.json"

    run convert --mtime=1700000000 "$mlp050" "$T/m1.zip"
    run convert --mtime 1700000000 "$mlp050" "$T/m2.zip"
    check "convert --mtime gives byte-identical archives" cmp -s "$T/m1.zip" "$T/m2.zip"
    pycheck "convert --mtime sets every entry's time stamp" mtime "$T/m1.zip" 1700000000

    run convert --verbose --mtime=1700000000 "$mlp050" "$T/verbose.zip"
    check "convert --verbose lists the entries and the total" \
        eval 'status_is 0 && grep -q "^coefficients.bin " "$T/out" &&
              grep -q "3 entries, [0-9]* bytes, saved " "$T/out"'
    "$DLZ" convert --verbose --mtime=1700000000 "$mlp050" - >"$T/verbose2.zip" 2>"$T/err"
    rc=$?
    check "convert --verbose to stdout puts the summary on stderr" \
        eval 'status_is 0 && grep -q "3 entries" "$T/err" && cmp -s "$T/verbose2.zip" "$T/verbose.zip"'

    cp "$mlp050" "$T/inplace.zip"
    chmod u+w "$T/inplace.zip"
    run convert --store "$T/inplace.zip" "$T/inplace.zip"
    "$DLZ" info --json "$T/inplace.zip" >"$T/inplace.json" 2>"$T/err"
    pycheck "convert can replace its own input" \
        roundtrip "$T/mlp050.json" "$T/inplace.json" "$mlp050" "$T/inplace.zip" \
        MIXED_DATA_TYPES store

    # Failed conversions leave no output and keep an existing OUT.
    head -c 700 "$mlp050" >"$T/cut.zip"
    mkdir -p "$T/outdir"
    run convert "$T/cut.zip" "$T/outdir/new.zip"
    check "convert of a truncated archive: exit 1, one line naming IN" data_error "$T/cut.zip"
    check "... and no OUT file (nor temporary file) is left" \
        eval '[ -z "$(ls -A "$T/outdir")" ]'
    printf 'precious' >"$T/outdir/keep.zip"
    cp "$T/outdir/keep.zip" "$T/keep.orig"
    run convert "$T/cut.zip" "$T/outdir/keep.zip"
    check "convert of a truncated archive over an existing OUT: exit 1" data_error
    check "... the existing OUT is byte-identical, nothing else left" \
        eval 'cmp -s "$T/outdir/keep.zip" "$T/keep.orig" && [ "$(ls -A "$T/outdir")" = keep.zip ]'

    run convert "$mlp050" "$T/no/such/dir/out.zip"
    check "convert into a missing folder: exit 1, one line naming OUT" \
        data_error "$T/no/such/dir/out.zip"

    if [ -w /dev/full ]; then
        "$DLZ" info --json "$mlp050" >/dev/full 2>"$T/err"
        rc=$?
        check "info to a full device: exit 1, one line" eval 'status_is 1 && one_error_line'
    fi
fi

if [ ${#arrays[@]} -gt 0 ]; then
    run info "${arrays[0]}"
    check "info (text) on a bare array file" \
        eval 'success && grep -q "^kind: *array$" "$T/out" && grep -q "^array: " "$T/out"'
    rm -f "$T/array-out.zip"
    run convert "${arrays[0]}" "$T/array-out.zip"
    check "convert of a bare array file: exit 1, one line naming it" data_error "${arrays[0]}"
    check "... and no OUT file" test ! -e "$T/array-out.zip"
fi

# ---- parameter tables of the fixtures ---------------------------------------------------------

# Every fixture's table covers its coefficients (params_total is their
# length) and cuts them into the parameters DL4J reported in expected.json.
for f in "$SRC"/fixtures/dl4j-*/*.zip; do
    name=${f#"$SRC"/fixtures/}
    run info --json "$f"
    if success; then
        cp "$T/out" "$T/fixture-${name//\//-}.json"
        queue "info --json $name: params_total is the coefficients' length, parameters as DL4J's" \
            params-fixture "$T/fixture-${name//\//-}.json" "${f%.zip}.expected.json"
    else
        not_ok "info --json $name succeeds"
    fi
done
flush
f="$SRC/fixtures/dl4j-1.0.0-M2.1/cg-merge-adam-float.zip"
run info "$f"
check "info (text) lists a graph's parameters by vertex name" \
    eval 'success && grep -q "^parameters: *8 in 4 layers, 65 values$" "$T/out" &&
          grep -Eq "^  dense1 +DenseLayer +W +\[3,4\] +f +0 +12$" "$T/out" &&
          grep -Eq "^  out2 +OutputLayer +b +\[1,2\] +f +63 +2$" "$T/out"'

f="$SRC/fixtures/network-1.0.0-M2.1/cnn-nchw.zip"
run info "$f"
check "info (text) shows every layer of a CNN, the parameterless ones too" \
    eval 'success && [ "$(sed -n "/^network:/,\$p" "$T/out" | grep -c "^  [0-9]")" -eq 11 ] &&
          grep -q "^  1 .layer1. SubsamplingLayer: " "$T/out" &&
          grep -q "^  2 .layer2. DropoutLayer: " "$T/out" &&
          grep -q "^  9 .layer9. DenseLayer: (CnnToFeedForwardPreProcessor) \[?,288\] FF -> \[?,5\] FF$" "$T/out"'
f="$SRC/fixtures/network-1.0.0-M2.1/graph.zip"
run info "$f"
check "info (text) shows a graph's vertices with their inputs in order" \
    eval 'success && grep -q "^network: *ComputationGraph, 6 vertices; inputs \[a, b\], outputs \[out\]$" "$T/out" &&
          grep -q "^  merge MergeVertex <- sum, a: \[?,4\] FF -> \[?,7\] FF$" "$T/out"'

# ---- archives built here: normalizer, objects, no parameters, NaN ------------------------------

py make "$T/full.zip" full
run info --json "$T/full.zip"
cp "$T/out" "$T/full.json"
check "info on an archive with normalizer and objects succeeds" success
pycheck "... agrees with zipfile and the decoder" archive "$T/full.json" "$T/full.zip"
pycheck "... reports the normalizer type and the object keys" field "$T/full.json" \
    '[info["normalizer"]["type"], info["objects"]]' '["STANDARDIZE", ["labels", "nested/key"]]'
for gen in mixed javacpp; do
    run convert --generation=$gen "$T/full.zip" "$T/full2.zip"
    check "convert --generation=$gen keeps normalizer and objects" success
    pycheck "... in DL4J's order" entries "$T/full2.zip" configuration.json coefficients.bin \
        updaterState.bin normalizer.bin objects/labels objects/nested/key
    pycheck "... byte for byte" same-entries "$T/full.zip" "$T/full2.zip" normalizer.bin \
        objects/labels objects/nested/key configuration.json
done

# Golden output (run from $T so that the file name is the same everywhere).
for form in txt json; do
    flag=
    [ "$form" = json ] && flag=--json
    (cd "$T" && "$DLZ" info $flag full.zip) >"$T/golden.out" 2>"$T/err"
    rc=$?
    check "info${flag:+ $flag} full.zip matches test/cli/info-full.$form" \
        eval 'success && diff -u "$SRC/test/cli/info-full.$form" "$T/golden.out" >"$T/diff"'
    [ -s "$T/diff" ] && sed 's/^/#   /' "$T/diff" | head -n 20
done

py make "$T/unknown.zip" unknown
run info --json "$T/unknown.zip"
cp "$T/out" "$T/unknown.json"
check "info on an archive of neither kind succeeds" success
pycheck "... reports kind unknown and agrees with the decoder" archive "$T/unknown.json" \
    "$T/unknown.zip"

for kind in CUSTOM MIN_MAX java junk; do
    py make "$T/norm.zip" "norm-$kind"
    run info --json "$T/norm.zip"
    cp "$T/out" "$T/norm.json"
    case $kind in
    java) want='"JAVA_SERIALIZED"' ;;
    junk) want='"UNKNOWN"' ;;
    *) want="\"$kind\"" ;;
    esac
    pycheck "normalizer $kind is reported as $want" field "$T/norm.json" \
        'info["normalizer"]["type"]' "$want"
done
py make "$T/norm.zip" norm-CUSTOM
"$DLZ" info --json "$T/norm.zip" >"$T/norm.json" 2>"$T/err"
pycheck "a CUSTOM normalizer names its strategy class" field "$T/norm.json" \
    'info["normalizer"]["class"]' '"com.example.MyStrategy"'

py make "$T/noparams.zip" noparams
run info --json "$T/noparams.zip"
cp "$T/out" "$T/noparams.json"
pycheck "a model without parameters has null coefficients" field "$T/noparams.json" \
    '[info["coefficients"], info["updater"]]' '[null, null]'
run convert "$T/noparams.zip" "$T/noparams2.zip"
check "convert of a model without parameters succeeds" success
pycheck "... and writes the noParams.marker form" \
    entries "$T/noparams2.zip" configuration.json coefficients.bin noParams.marker

py make "$T/nan.zip" nan
run info --json "$T/nan.zip"
cp "$T/out" "$T/nan.json"
pycheck "NaN values: sum/min/max null and nan_count 2" field "$T/nan.json" \
    '[info["coefficients"][k] for k in ("sum", "min", "max", "nan_count")]' '[null, null, null, 2]'
run info "$T/nan.zip"
check "NaN values in the text output" eval 'success && grep -q "2 NaN" "$T/out"'

py make "$T/inf.zip" inf
run info --json "$T/inf.zip"
cp "$T/out" "$T/inf.json"
pycheck "infinite values: JSON stays valid (null) with inf_count" field "$T/inf.json" \
    '[info["coefficients"][k] for k in ("sum", "min", "max", "inf_count")]' '[null, -2.0, null, 1]'

py make "$T/bad.zip" badupdater
run info --json "$T/bad.zip"
check "info reads updaterState.bin (a broken one fails: exit 1, one line)" data_error "$T/bad.zip"
run info --json --no-updater "$T/bad.zip"
cp "$T/out" "$T/bad.json"
check "info --no-updater never reads updaterState.bin" success
pycheck "... and reports it present" field "$T/bad.json" 'info["updater"]' '{"present": true}'
rm -f "$T/bad2.zip"
run convert "$T/bad.zip" "$T/bad2.zip"
check "convert with a broken updaterState.bin: exit 1, no OUT" \
    eval 'data_error "$T/bad.zip" && [ ! -e "$T/bad2.zip" ]'
run convert --no-updater "$T/bad.zip" "$T/bad2.zip"
check "convert --no-updater never reads updaterState.bin" success
pycheck "... and leaves it out" entries "$T/bad2.zip" configuration.json coefficients.bin

py make "$T/extra.zip" extra
run convert "$T/extra.zip" "$T/extra2.zip"
check "convert warns once about an entry it cannot copy" \
    eval 'status_is 0 && one_error_line "$T/extra.zip" && grep -q "preprocessor.bin" "$T/err"'

# ---- info of several files and of a bare normalizer.bin --------------------------------------

NORM_ZIP=$SRC/fixtures/dl4j-1.0.0-M2.1/mln-dense-adam-float-wm-standardize-objects.zip
NORM_EXP=$SRC/fixtures/dl4j-1.0.0-M2.1/mln-dense-adam-float-wm-standardize-objects.expected.json
unzip -p "$NORM_ZIP" normalizer.bin >"$T/normalizer.bin"
unzip -p "$NORM_ZIP" coefficients.bin >"$T/coefficients.bin"
run info "$T/normalizer.bin"
check "info of a bare normalizer.bin: kind normalizer, its type and fields" \
    eval 'success && grep -q "^kind: *normalizer$" "$T/out" && grep -q "^normalizer: *STANDARDIZE" "$T/out" &&
          grep -q "^  mean: *FLOAT \[1,4\]" "$T/out"'
# The mean DL4J held (expected.json, written by DL4J) is what info --json shows.
run info --json "$T/normalizer.bin"
check "info --json of a bare normalizer.bin has the mean DL4J wrote" \
    eval 'success && python3 - "$T/out" "$NORM_EXP" <<"PY"
import json, struct, sys
got = json.load(open(sys.argv[1]))
exp = json.load(open(sys.argv[2]))["normalizer"]
assert got["kind"] == "normalizer" and got["normalizer"]["type"] == "STANDARDIZE"
hexv = exp["mean"]["values_hex"]
got_bits = b"".join(struct.pack(">f", v) for v in got["normalizer"]["mean"]["values"])
assert got_bits.hex() == hexv, (got_bits.hex(), hexv)
PY'
run info "$T/normalizer.bin" "$T/coefficients.bin" "$NORM_ZIP"
check "info of three files: three blocks, blank-line separated, exit 0" \
    eval 'success && [ "$(grep -c "^file:" "$T/out")" = 3 ] && [ "$(grep -c "^$" "$T/out")" -ge 2 ] &&
          grep -q "^kind: *array$" "$T/out" && grep -q "^kind: *MultiLayerNetwork$" "$T/out"'
run info --json "$T/normalizer.bin" "$T/missing.bin" "$T/coefficients.bin"
check "info --json of three files, one missing: an array of two objects, one error, exit 1" \
    eval 'status_is 1 && one_error_line "$T/missing.bin" &&
          python3 -c "import json,sys; d = json.load(open(sys.argv[1])); assert [x[\"kind\"] for x in d] == [\"normalizer\", \"array\"], d" "$T/out"'

# ---- summary ----------------------------------------------------------------------------------

tap_summary
