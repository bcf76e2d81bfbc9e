#!/usr/bin/env python3
"""export_check.py - checks of "dlz params" and "dlz export" against what
DL4J itself held in memory (fixtures/*/X.expected.json, see fixtures/README.md).

Used by test_export.sh:

  export_check.py plan EXPECTED PARAMS_JSON
      prints shell assignments: first=<a parameter to print (0/W when there
      is one)>, grid=<a parameter with two dimensions above 1, or empty>,
      updater=tensors|none|error (what --with-updater must give),
      normalizer=0|1 (whether --with-normalizer applies)
  export_check.py archive ARCHIVE EXPECTED DIR
      checks the outputs test_export.sh left in DIR (params.json, first.txt,
      grid_f.txt, p.safetensors, p.npz, u.*, n.*) and prints one line per
      check: "ok DESCRIPTION" or "not ok DESCRIPTION", details as "# ..." lines
  export_check.py arrays MANIFEST
      checks the files test_export.c wrote with the export API against the
      values they must hold (see value_formula()), as the "archive" mode
      does; exit status 77 when numpy or safetensors is missing

Tensors are read back with the safetensors package (safetensors.numpy) and
numpy.load; every value is compared bit by bit with DL4J's values_hex.  The
exit status is 0 when every check passed, 1 otherwise.
"""
import json
import os
import struct
import sys
import traceback
import zipfile

try:
    import numpy as np
    import safetensors.numpy
    from safetensors import safe_open
except ImportError as e:  # test_export.c skips the read-back
    print(f"# {e}", file=sys.stderr)
    sys.exit(77)

NP_TYPES = {"FLOAT": np.float32, "DOUBLE": np.float64, "HALF": np.float16}
ST_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}

failures = 0


def report(ok, desc, details=()):
    global failures
    if ok:
        print(f"ok {desc}")
    else:
        failures += 1
        print(f"not ok {desc}")
        for d in details:
            print(f"# {d}")


def expected_values(summary):
    """DL4J's values (C order of its shape) as a flat array of its dtype."""
    t = np.dtype(NP_TYPES[summary["dtype"]]).newbyteorder(">")
    return np.frombuffer(bytes.fromhex(summary["values_hex"]), dtype=t).astype(t.newbyteorder("="))


def bits(a):
    """Big-endian bytes of an array in C order, as hex (comparable to values_hex)."""
    a = np.ascontiguousarray(a)
    return a.astype(a.dtype.newbyteorder(">")).tobytes().hex()


def same_shape(dlz_shape, dl4j_shape):
    """Equal, or DL4J 1.0.0-M2.1's rank-1 [n] for dlz's row vector [1,n]."""
    return list(dlz_shape) == list(dl4j_shape) or (
        len(dl4j_shape) == 1 and list(dlz_shape) == [1, dl4j_shape[0]]
    )


def compare(desc, tensor, summary):
    """A tensor read back against a DL4J summary: type, shape, bits."""
    problems = []
    if tensor.dtype != np.dtype(NP_TYPES[summary["dtype"]]):
        problems.append(f"dtype {tensor.dtype}, DL4J {summary['dtype']}")
    if not same_shape(tensor.shape, summary["shape"]):
        problems.append(f"shape {list(tensor.shape)}, DL4J {summary['shape']}")
    if tensor.size != summary["length"]:
        problems.append(f"length {tensor.size}, DL4J {summary['length']}")
    elif not problems and bits(tensor) != summary["values_hex"]:
        problems.append("values differ from DL4J's")
    return problems


def dl4j_key(param):
    return f"{param['layer']}_{param['key']}"


# ---- plan ------------------------------------------------------------------------------


def plan(expected_path, params_path):
    exp = json.load(open(expected_path))
    table = json.load(open(params_path))
    names = [p["name"] for p in table["params"]]
    first = "0/W" if "0/W" in names else (names[0] if names else "")
    grid = ""
    for p in table["params"]:
        if sum(1 for d in p["shape"] if d > 1) >= 2:
            grid = p["name"]
            break
    if exp["updater"] is not None:
        updater = "tensors"
    elif any(p["state_count"] > 0 for p in table["params"]):
        updater = "error"  # saved without the state it needs
    else:
        updater = "none"  # stateless updaters (Sgd)
    print(f"first='{first}'")
    print(f"grid='{grid}'")
    print(f"updater={updater}")
    print(f"normalizer={1 if exp['normalizer'] is not None else 0}")


# ---- the parameter table -------------------------------------------------------------------


def check_table(name, exp, table):
    params = table["params"]
    keys = [dl4j_key(p) for p in params]
    report(
        keys == list(exp["params"]),
        f"{name}: params --json lists DL4J's paramTable() keys in its order",
        [f"dlz {keys}", f"DL4J {list(exp['params'])}"],
    )
    bad = [
        f"{p['name']}: {p['shape']} vs {exp['params'][dl4j_key(p)]['shape']}"
        for p in params
        if dl4j_key(p) in exp["params"]
        and (
            not same_shape(p["shape"], exp["params"][dl4j_key(p)]["shape"])
            or p["length"] != exp["params"][dl4j_key(p)]["length"]
        )
    ]
    report(not bad, f"{name}: params --json shapes and lengths are DL4J's", bad)
    coef = exp["coefficients"]
    total = coef["length"] if coef else 0
    spans = sorted((p["offset"], p["offset"] + p["length"]) for p in params)
    at, holes = 0, []
    for b, e in spans:
        if b != at:
            holes.append(f"gap or overlap at {at}..{b}")
        at = e
    if at != total:
        holes.append(f"parameters end at {at}, coefficients have {total} values")
    report(
        table["total"] == total and not holes,
        f"{name}: offsets and lengths tile the coefficients exactly",
        holes + [f"total {table['total']}"],
    )
    # Each parameter's slice of the flat vector, read in its order, is DL4J's view.
    bad = []
    if coef:
        flat = expected_values(coef)
        for p in params:
            want = exp["params"].get(dl4j_key(p))
            if want is None:
                continue
            seg = flat[p["offset"] : p["offset"] + p["length"]]
            view = seg.reshape(p["shape"], order=p["order"].upper())
            if bits(view) != want["values_hex"]:
                bad.append(f"{p['name']}: slice at {p['offset']} in order {p['order']}")
    report(not bad, f"{name}: offset and order select DL4J's values in the coefficients", bad)
    report(
        table["dtype"] == (exp["dtype"] if total > 0 else None),
        f"{name}: params --json dtype",
        [f"dlz {table['dtype']}, DL4J {exp['dtype']}"],
    )


def check_printed(name, exp, table, path, param, order):
    p = next(q for q in table["params"] if q["name"] == param)
    summary = exp["params"][dl4j_key(p)]
    t = NP_TYPES[summary["dtype"]]
    with open(path) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    want = expected_values(summary).reshape(summary["shape"]).ravel(order=order)
    problems = []
    if len(lines) != want.size:
        problems.append(f"{len(lines)} lines, {want.size} values")
    else:
        got = np.array([float(x) for x in lines], dtype=np.float64).astype(t)
        if bits(got) != bits(want):
            problems.append("printed values differ from DL4J's")
    which = "row-major" if order == "C" else "--order f, column-major"
    report(not problems, f"{name}: params FILE {param} prints DL4J's values ({which})", problems)


# ---- safetensors and npz files ------------------------------------------------------------


def safetensors_layout(path):
    """Problems with the file's layout: header size and padding, contiguous,
    aligned data, string metadata."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = data[8 : 8 + n]
    problems = []
    if n % 8 != 0:
        problems.append(f"header size {n} is not a multiple of 8")
    if not header.startswith(b"{") or header.rstrip(b" ") != header.rstrip():
        problems.append("header does not start with '{' or is padded with other than spaces")
    meta = json.loads(header)
    info = meta.pop("__metadata__", None)
    if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
        problems.append("__metadata__ is missing or holds non-string values")
    at = 0
    for key, t in sorted(meta.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = t["data_offsets"]
        if b != at:
            problems.append(f"{key}: begins at {b}, previous tensor ended at {at}")
        if b % ST_SIZES[t["dtype"]] != 0:
            problems.append(f"{key}: offset {b} not aligned to {t['dtype']}")
        count = int(np.prod(t["shape"], dtype=np.int64))
        if e - b != count * ST_SIZES[t["dtype"]]:
            problems.append(f"{key}: {e - b} bytes for shape {t['shape']}")
        at = e
    if 8 + n + at != len(data):
        problems.append(f"data ends at {8 + n + at}, file has {len(data)} bytes")
    return problems, info or {}


def npz_layout(path):
    problems = []
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            problems.append(f"CRC mismatch in {bad}")
        for i in z.infolist():
            if i.compress_type != zipfile.ZIP_STORED:
                problems.append(f"{i.filename} is compressed")
            if not i.filename.endswith(".npy"):
                problems.append(f"{i.filename} does not end in .npy")
            head = z.read(i.filename)[:12]
            if head[:8] != b"\x93NUMPY\x01\x00":
                problems.append(f"{i.filename}: not a version 1.0 .npy file")
            elif (10 + struct.unpack("<H", head[8:10])[0]) % 64 != 0:
                problems.append(f"{i.filename}: data not aligned to 64 bytes")
    return problems


def load_tensors(path):
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    return safetensors.numpy.load_file(path)


def check_params_file(name, exp, table, path, kind):
    tensors = load_tensors(path)
    params = {p["name"]: p for p in table["params"]}
    plain = {k: v for k, v in tensors.items() if not k.startswith(("updater/", "normalizer/"))}
    report(
        sorted(plain) == sorted(params),
        f"{name}: {kind} holds one tensor per parameter, named LAYER/KEY",
        [f"tensors {sorted(plain)}", f"params {sorted(params)}"],
    )
    bad = []
    for key, t in plain.items():
        if key in params:
            for problem in compare(key, t, exp["params"][dl4j_key(params[key])]):
                bad.append(f"{key}: {problem}")
    report(not bad, f"{name}: {kind} tensors equal DL4J's parameters bit for bit", bad)
    return tensors


def check_metadata(name, exp, archive, info):
    with zipfile.ZipFile(archive) as z:
        conf = z.read("configuration.json").decode("utf-8")
    problems = []
    if info.get("source") != "dl4j":
        problems.append(f"source {info.get('source')!r}")
    if info.get("kind") != exp["kind"]:
        problems.append(f"kind {info.get('kind')!r}, DL4J {exp['kind']}")
    if info.get("dl4j_configuration") != conf:
        problems.append("dl4j_configuration differs from configuration.json")
    report(not problems, f"{name}: safetensors __metadata__ (source, kind, configuration)", problems)


def check_updater(name, exp, table, path, kind):
    tensors = load_tensors(path)
    state = {k: v for k, v in tensors.items() if k.startswith("updater/")}
    want = exp["updater"]
    total = sum(v.size for v in state.values())
    report(
        total == (want["length"] if want else 0),
        f"{name}: {kind} --with-updater: updater tensors hold the updater state's length",
        [f"{total} values, DL4J {want['length'] if want else 0}"],
    )
    problems = []
    for p in table["params"]:
        mine = [k for k in state if k.startswith(f"updater/{p['name']}/")]
        if len(mine) != p["state_count"]:
            problems.append(f"{p['name']}: {len(mine)} tensors, state_count {p['state_count']}")
        for k in mine:
            if list(state[k].shape) != p["shape"]:
                problems.append(f"{k}: shape {list(state[k].shape)}, parameter {p['shape']}")
    report(not problems, f"{name}: {kind} --with-updater: STATE tensors per parameter", problems)
    if want and "values_hex" in want:
        t = np.dtype(NP_TYPES[want["dtype"]])
        wrong = sorted(k for k, v in state.items() if v.dtype != t)
        report(
            not wrong and np.array_equal(sorted_bits(list(state.values()), t),
                                         sorted_bits([expected_values(want)], t)),
            f"{name}: {kind} --with-updater: the values are DL4J's state values",
            [f"not {want['dtype']}: {wrong}"] if wrong else ["the multisets of bit patterns differ"],
        )


def sorted_bits(arrays, t):
    """The bit patterns of all values, sorted (a multiset: the layout of the
    state vector is not needed to compare its values)."""
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[t.itemsize]
    flat = [np.ascontiguousarray(a, dtype=t).ravel() for a in arrays]
    return np.sort(np.concatenate(flat).view(u)) if flat else np.array([], dtype=u)


def expected_normalizer(norm):
    """Tensor name -> DL4J summary or double field, for what export writes."""
    out = {}
    t = norm["type"]

    def add(field, value, index=None):
        if value is not None:
            out[f"normalizer/{field}" + ("" if index is None else f"/{index}")] = value

    if t in ("STANDARDIZE", "MIN_MAX"):
        for f in ("mean", "std", "labelMean", "labelStd", "min", "max", "labelMin", "labelMax"):
            add(f, norm.get(f))
    if t in ("MULTI_STANDARDIZE", "MULTI_MIN_MAX"):
        for f in ("featureMean", "featureStd", "featureMin", "featureMax", "labelMean", "labelStd",
                  "labelMin", "labelMax"):
            for i, v in enumerate(norm.get(f) or []):
                add(f, v, i)
    if t in ("MIN_MAX", "MULTI_MIN_MAX"):
        add("targetMin", norm["targetMin"])
        add("targetMax", norm["targetMax"])
    if t == "IMAGE_MIN_MAX":
        for f in ("minRange", "maxRange", "maxPixelVal"):
            add(f, norm[f])
    if t == "MULTI_HYBRID":
        for side in ("inputStats", "outputStats"):
            for index, stats in norm[side].items():
                for f in ("mean", "std", "lower", "upper"):
                    if f in stats:
                        out[f"normalizer/{side}/{index}/{f}"] = stats[f]
    return out


def check_normalizer(name, exp, path, kind):
    tensors = load_tensors(path)
    got = {k: v for k, v in tensors.items() if k.startswith("normalizer/")}
    want = expected_normalizer(exp["normalizer"])
    report(
        sorted(got) == sorted(want),
        f"{name}: {kind} --with-normalizer: one tensor per {exp['normalizer']['type']} statistic",
        [f"tensors {sorted(got)}", f"DL4J {sorted(want)}"],
    )
    bad = []
    for key, t in got.items():
        w = want.get(key)
        if w is None:
            continue
        if "bits" in w:  # a double field
            ok = t.dtype == np.float64 and t.shape == () and t.view(np.uint64) == int(w["bits"], 16)
            if not ok:
                bad.append(f"{key}: {t!r}, DL4J bits {w['bits']}")
        else:
            bad.extend(f"{key}: {p}" for p in compare(key, t, w))
    report(not bad, f"{name}: {kind} --with-normalizer: values equal DL4J's", bad)


def archive(archive_path, expected_path, d):
    exp = json.load(open(expected_path))
    name = f"{os.path.basename(os.path.dirname(archive_path))}/{exp['name']}"
    table = json.load(open(os.path.join(d, "params.json")))
    report(table["kind"] == exp["kind"], f"{name}: params --json kind", [table["kind"]])
    check_table(name, exp, table)
    first = os.path.join(d, "first.txt")
    if os.path.exists(first):
        check_printed(name, exp, table, first, open(os.path.join(d, "first.name")).read(), "C")
    grid = os.path.join(d, "grid_f.txt")
    if os.path.exists(grid):
        check_printed(name, exp, table, grid, open(os.path.join(d, "grid.name")).read(), "F")
    st = os.path.join(d, "p.safetensors")
    problems, info = safetensors_layout(st)
    report(not problems, f"{name}: safetensors layout (header, padding, contiguous aligned data)",
           problems)
    check_metadata(name, exp, archive_path, info)
    check_params_file(name, exp, table, st, "safetensors")
    npz = os.path.join(d, "p.npz")
    report(not npz_layout(npz), f"{name}: npz layout (stored .npy v1.0 entries, CRCs)",
           npz_layout(npz))
    check_params_file(name, exp, table, npz, "npz")
    for ext in ("safetensors", "npz"):
        u = os.path.join(d, f"u.{ext}")
        if os.path.exists(u):
            if ext == "safetensors":
                problems, _ = safetensors_layout(u)
                report(not problems, f"{name}: safetensors --with-updater layout", problems)
            check_updater(name, exp, table, u, ext)
        n = os.path.join(d, f"n.{ext}")
        if os.path.exists(n):
            if ext == "safetensors":
                problems, info = safetensors_layout(n)
                norm = json.loads(info.get("dl4j_normalizer", "{}"))
                if norm.get("type") != exp["normalizer"]["type"]:
                    problems.append(f"dl4j_normalizer type {norm.get('type')!r}")
                report(not problems, f"{name}: safetensors --with-normalizer layout and metadata",
                       problems)
            check_normalizer(name, exp, n, ext)


# ---- files of the export API (test_export.c) ------------------------------------------

NP_OF_CODE = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
              "I8": "|i1", "U8": "|u1", "BOOL": "|b1", "U16": "<u2", "U32": "<u4", "U64": "<u8"}
CODE_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
              "U8": 1, "BOOL": 1, "U16": 2, "U32": 4, "U64": 8}


def value_formula(code, shape, seed):
    """The little-endian bytes, in C order, of the tensor test_export.c made:
    element i holds v(i + seed) (the same formula as its store())."""
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.int64) + seed
    k = i * 7919
    s = k % 251 - 125
    u = (k % 251).astype(np.uint64)
    f = ((k % 61) - 30) * 0.5
    if code in ("F64", "F32", "F16"):
        v = f.astype(NP_OF_CODE[code])
    elif code == "BF16":
        v = (f.astype("<f4").view("<u4") >> 16).astype("<u2")  # exact: few significant bits
    elif code == "I64":
        v = (s * 1099511627791).astype("<i8")
    elif code == "I32":
        v = (s * 16777213).astype("<i4")
    elif code == "I16":
        v = (s * 251).astype("<i2")
    elif code == "I8":
        v = s.astype("|i1")
    elif code == "U8":
        v = u.astype("|u1")
    elif code == "U16":
        v = (u * np.uint64(257)).astype("<u2")
    elif code == "U32":
        v = (u * np.uint64(16777217)).astype("<u4")
    elif code == "U64":
        v = (u * np.uint64(72057594037927941)).astype("<u8")
    elif code == "BOOL":
        v = (k % 3 == 0).astype("|u1")  # the bytes: 0 or 1
    else:
        raise ValueError(code)
    return v.tobytes()


def loaded_bytes(a):
    """Bytes of an array NumPy or safetensors returned, C order, little-endian."""
    a = np.ascontiguousarray(a)
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


def check_st_file(f):
    path, want = f["path"], f["tensors"]
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    pairs = json.loads(data[8 : 8 + n], object_pairs_hook=list)
    problems = []
    if n % 8 or data[8 : 8 + n].rstrip(b" ") != data[8 : 8 + n].rstrip():
        problems.append(f"header of {n} bytes: not padded with spaces to a multiple of 8")
    meta = [v for k, v in pairs if k == "__metadata__"]
    header = [(k, dict(v)) for k, v in pairs if k != "__metadata__"]
    if "metadata" in f:
        got = dict(meta[0]) if meta else None
        if got != f["metadata"] or (pairs and pairs[0][0] != "__metadata__"):
            problems.append(f"__metadata__ {meta} (want {f['metadata']}, first in the header)")
        elif [k for k, _ in meta[0]] != list(f["metadata"]):
            problems.append(f"metadata keys in the order {[k for k, _ in meta[0]]}")
    elif meta:
        problems.append("__metadata__ although none was set")
    # Data order: decreasing element size, then put order; the header in that order.
    order = sorted(range(len(want)), key=lambda j: -CODE_SIZES[want[j]["dtype"]])
    expect_names = [want[j]["name"] for j in order]
    if [k for k, _ in header] != expect_names:
        problems.append("header order is not by decreasing element size, then put order")
    at = 0
    by_name = {t["name"]: t for t in want}
    for name, t in header:
        w = by_name.get(name)
        if w is None:
            problems.append(f"{name}: not put")
            continue
        b, e = t["data_offsets"]
        if b != at or b % CODE_SIZES[w["dtype"]]:
            problems.append(f"{name}: begins at {b} (previous ended at {at})")
        at = e
        if t["dtype"] != w["dtype"] or t["shape"] != w["shape"]:
            problems.append(f"{name}: {t['dtype']} {t['shape']}, want {w['dtype']} {w['shape']}")
        elif data[8 + n + b : 8 + n + e] != value_formula(w["dtype"], w["shape"], w["seed"]):
            problems.append(f"{name}: values differ")
    if 8 + n + at != len(data):
        problems.append(f"data end at {8 + n + at}, file has {len(data)} bytes")
    report(not problems, f"{path}: safetensors header, order, alignment and values (own reader)",
           problems)
    # The safetensors package itself.
    problems = []
    with safe_open(path, framework="numpy") as st:
        if sorted(st.keys()) != sorted(by_name):
            problems.append(f"keys {sorted(st.keys())}")
        if (st.metadata() or None) != f.get("metadata"):
            problems.append(f"metadata {st.metadata()}")
    if f.get("numpy"):
        got = safetensors.numpy.load_file(path)
        for name, w in by_name.items():
            a = got.get(name)
            if a is None or list(a.shape) != w["shape"] or a.dtype != np.dtype(NP_OF_CODE[w["dtype"]]):
                problems.append(f"{name}: {None if a is None else (a.dtype, a.shape)}")
            elif loaded_bytes(a) != value_formula(w["dtype"], w["shape"], w["seed"]):
                problems.append(f"{name}: values differ")
    report(not problems, f"{path}: the safetensors package reads it"
           + (" (safetensors.numpy.load_file)" if f.get("numpy") else ""), problems)


def check_npy_array(desc, a, w, problems):
    if list(a.shape) != w["shape"] or a.dtype != np.dtype(NP_OF_CODE[w["dtype"]]):
        problems.append(f"{desc}: {a.dtype} {list(a.shape)}, want {w['dtype']} {w['shape']}")
    elif loaded_bytes(a) != value_formula(w["dtype"], w["shape"], w["seed"]):
        problems.append(f"{desc}: values differ")


def npy_header_problems(desc, head):
    if head[:8] != b"\x93NUMPY\x01\x00":
        return [f"{desc}: not a version 1.0 .npy file"]
    (hl,) = struct.unpack("<H", head[8:10])
    problems = []
    if (10 + hl) % 64:
        problems.append(f"{desc}: data not aligned to 64 bytes")
    if b"'fortran_order': False" not in head[: 10 + hl]:
        problems.append(f"{desc}: fortran_order is not False")
    return problems


def zip64_problems(raw, count):
    """With every limit lowered (test_export.c): the end record defers to the
    ZIP64 one, and every size and every offset but 0 is in ZIP64 extra
    fields, in the central directory and the local headers."""
    eocd = raw.rfind(b"PK\x05\x06")
    end64 = raw.rfind(b"PK\x06\x06")
    if eocd < 0 or end64 < 0 or raw.rfind(b"PK\x06\x07") < end64:
        return ["no ZIP64 end of central directory record and locator"]
    problems = []
    if raw[eocd + 8 : eocd + 12] != b"\xff\xff\xff\xff":
        problems.append("the end record does not defer its counts to ZIP64")
    n64, cd_size, cd_at = struct.unpack("<QQQ", raw[end64 + 32 : end64 + 56])
    if n64 != count or cd_at + cd_size != end64:
        problems.append(f"ZIP64 end record: {n64} entries, directory {cd_at}+{cd_size}")
    at = cd_at
    for _ in range(n64):
        if raw[at : at + 4] != b"PK\x01\x02":
            problems.append(f"no central header at {at}")
            break
        csize, size, nlen, xlen, clen = struct.unpack("<IIHHH", raw[at + 20 : at + 34])
        (off,) = struct.unpack("<I", raw[at + 42 : at + 46])
        name = raw[at + 46 : at + 46 + nlen].decode()
        x = raw[at + 46 + nlen : at + 46 + nlen + xlen]
        big_off = off == 0xFFFFFFFF
        want_x = 16 + (8 if big_off else 0)
        if csize != 0xFFFFFFFF or size != 0xFFFFFFFF or x[:4] != struct.pack("<HH", 1, want_x):
            problems.append(f"{name}: central sizes {csize:#x} {size:#x}, extra {x[:4].hex()}")
        else:
            usize, csz = struct.unpack("<QQ", x[4:20])
            loc = struct.unpack("<Q", x[20:28])[0] if big_off else off
            if (loc != 0) != big_off:
                problems.append(f"{name}: offset {loc} in the {'extra' if big_off else 'header'}")
            lh = raw[loc : loc + 30]
            lsize, lusize, lnlen, lxlen = struct.unpack("<IIHH", lh[18:30])
            lx = raw[loc + 30 + lnlen : loc + 30 + lnlen + lxlen]
            if (lh[:4] != b"PK\x03\x04" or lh[4] != 45 or lsize != 0xFFFFFFFF
                    or lusize != 0xFFFFFFFF or lx != struct.pack("<HHQQ", 1, 16, usize, csz)):
                problems.append(f"{name}: local header without ZIP64 sizes")
        at += 46 + nlen + xlen + clen
    return problems


def check_npz_file(f):
    path, want = f["path"], f["tensors"]
    problems = []
    with zipfile.ZipFile(path) as z:
        if z.testzip() is not None:
            problems.append("CRC mismatch")
        infos = z.infolist()
        if [i.filename for i in infos] != [t["name"] + ".npy" for t in want]:
            problems.append(f"members {[i.filename for i in infos]}")
        for i in infos:
            if (i.compress_type != zipfile.ZIP_STORED or i.create_system != 3
                    or i.external_attr >> 16 != 0o100644 or i.date_time != (1980, 1, 1, 0, 0, 0)
                    or i.flag_bits & 0x800):
                problems.append(f"{i.filename}: method {i.compress_type}, system "
                                f"{i.create_system}, mode {oct(i.external_attr >> 16)}, "
                                f"{i.date_time}, flags {i.flag_bits:#x}")
            problems += npy_header_problems(i.filename, z.read(i.filename)[:1024])
    raw = open(path, "rb").read()
    if f.get("zip64"):
        problems += zip64_problems(raw, len(want))
    elif b"PK\x06\x06" in raw:
        problems.append("a ZIP64 record in a small archive")
    with np.load(path, allow_pickle=False) as z:
        for w in want:
            check_npy_array(w["name"], z[w["name"]], w, problems)
    report(not problems, f"{path}: .npz members, layout{' (ZIP64)' if f.get('zip64') else ''} "
           "and values (zipfile, numpy.load)", problems)


def check_npy_file(f):
    path, (w,) = f["path"], f["tensors"]
    problems = npy_header_problems(path, open(path, "rb").read(1024))
    check_npy_array(path, np.load(path, allow_pickle=False), w, problems)
    report(not problems, f"{path}: .npy header and values (numpy.load)", problems)


def arrays(manifest_path):
    for f in json.load(open(manifest_path))["files"]:
        {"safetensors": check_st_file, "npz": check_npz_file, "npy": check_npy_file}[
            f["format"]](f)


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "plan":
            plan(argv[2], argv[3])
            return 0
        if len(argv) == 3 and argv[1] == "arrays":
            arrays(argv[2])
            return 1 if failures else 0
        if len(argv) == 5 and argv[1] == "archive":
            archive(argv[2], argv[3], argv[4])
            return 1 if failures else 0
    except Exception:  # report, do not hide: the shell counts it as a failure
        report(False, f"export_check.py {' '.join(argv[1:2])} raised an exception",
               traceback.format_exc().splitlines())
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
