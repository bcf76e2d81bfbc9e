"""Every archive and normalizer stream DL4J wrote into fixtures/ loads
through the package with the values DL4J held (X.expected.json): kind,
entries, coefficients, every parameter of paramTable(), the updater state,
the normalizer (fields, bytes, transforms) and the objects."""
import hashlib

import numpy as np
import pytest

import dlz
from conftest import (archives, expected, fixture_id, java_double, normalizer_streams, same_bits,
                      summary)

ARCHIVES = archives()


def test_fixtures_present():
    assert len(ARCHIVES) >= 60 and len(normalizer_streams()) >= 20


def find_param(params, key):
    """DL4J's paramTable() key "<layer>_<param>" (layer names may hold '_')."""
    for i in range(len(key)):
        if key[i] == "_" and key[:i] + "/" + key[i + 1:] in params:
            return params[key[:i] + "/" + key[i + 1:]]
    raise KeyError(key)


@pytest.mark.parametrize("path", ARCHIVES, ids=fixture_id)
def test_archive(path):
    exp = expected(path)
    with dlz.load(path, updater=True) as m:
        assert m.kind == exp["kind"]
        assert [e.name for e in m.entries] == exp["entries"]
        assert m.config["confs" if m.kind == "MultiLayerNetwork" else "vertices"]
        coef = exp["coefficients"]
        if coef is None or coef["length"] == 0:
            assert m.coefficients is None and len(m.params) == 0
        else:
            assert same_bits(m.coefficients, coef)
            assert hashlib.sha256(
                m.coefficients.astype(m.coefficients.dtype.newbyteorder(">")).tobytes()
            ).hexdigest() == coef["sha256"]
        assert len(m.params) == len(exp["params"])
        for key, s in exp["params"].items():
            v = find_param(m.params, key)
            assert same_bits(v, s), key
            assert v.base is not None and not v.flags.writeable  # a view
            assert same_bits(m.param(find_name(m, key), order="f"), s)
        upd = exp["updater"]
        assert m.has_updater_state == (upd is not None)
        if upd is None:
            assert m.updater_state is None
        else:
            st = m.updater_state
            assert same_bits(st.vector, upd)
            assert set(st) <= set(m.params)
        norm = exp["normalizer"]
        if norm is None:
            assert m.normalizer is None and m.normalizer_bytes is None
        else:
            check_normalizer(m.normalizer, norm)
            assert m.normalizer.encode() == m.normalizer_bytes
            check_transform(m.normalizer, exp["normalizer_transform"])
        objs = exp["objects"] or {}
        assert list(m.objects) == list(objs)
        for key, o in objs.items():
            raw = m.object_bytes(key)
            assert hashlib.sha256(raw).hexdigest() == o["sha256_bytes"]
            assert len(raw) == o["size_bytes"]
            value = m.objects[key]
            assert java_class(value) == o["java_class"], key
            assert matches(value, o["value"]), key
            assert dlz.encode_object(value) == raw, key


def find_name(m, key):
    for name in m.params:
        if name.replace("/", "_", 1) == key:
            return name
    raise KeyError(key)


def test_updater_per_parameter_equals_vector():
    """The per-parameter states, put back where the table says, give the
    stored vector (Adam: m and v of every parameter)."""
    path = [p for p in ARCHIVES if p.endswith("M2.1/cg-merge-adam-float.zip")][0]
    m = dlz.load(path, updater=True)
    st = m.updater_state
    assert set(st["dense1/W"]) == {"m", "v"}
    assert st["dense1/W"]["m"].shape == m.params["dense1/W"].shape
    out = dlz.save(__import__("io").BytesIO(), m.config, m.params, updater_state=dict(st))
    assert out.entries[2].name == "updaterState.bin"


@pytest.mark.parametrize("path", normalizer_streams(), ids=fixture_id)
def test_normalizer_stream(path):
    exp = expected(path)
    data = open(path, "rb").read()
    assert hashlib.sha256(data).hexdigest() == exp["sha256_bytes"]
    n = dlz.Normalizer.decode(data)
    check_normalizer(n, exp["normalizer"])
    assert n.encode() == data
    check_transform(n, exp["normalizer_transform"])


# ---- normalizers -------------------------------------------------------------

SINGLE = {"mean": "mean", "std": "std", "labelMean": "label_mean", "labelStd": "label_std",
          "min": "min", "max": "max", "labelMin": "label_min", "labelMax": "label_max"}


def check_normalizer(n, exp):
    assert n.type == exp["type"]
    assert n.java_class == exp["java_class"]
    if "fitLabel" in exp:
        assert n.fit_label == exp["fitLabel"]
    for key, attr in SINGLE.items():
        if key in exp and not n.type.startswith("MULTI_"):
            if exp[key] is None:
                assert getattr(n, attr) is None
            else:
                assert same_bits(getattr(n, attr), exp[key]), key
    if "targetMin" in exp:
        assert n.target_range == (java_double(exp["targetMin"]), java_double(exp["targetMax"]))
    if "minRange" in exp:
        assert n.target_range == (java_double(exp["minRange"]), java_double(exp["maxRange"]))
        assert n.max_pixel_value == java_double(exp["maxPixelVal"])
    for a, b, labels in (("featureMean", "featureStd", False), ("labelMean", "labelStd", True),
                         ("featureMin", "featureMax", False), ("labelMin", "labelMax", True)):
        if n.type.startswith("MULTI_") and isinstance(exp.get(a), list):
            assert (n.num_outputs if labels else n.num_inputs) == len(exp[a])
            for i in range(len(exp[a])):
                kind, x, y = n.stats(i, labels=labels)
                assert same_bits(x, exp[a][i]) and same_bits(y, exp[b][i])
    if n.type == "MULTI_HYBRID":
        maps = n.hybrid_maps
        for side, key in (("inputs", "inputStats"), ("outputs", "outputStats")):
            stats = {i: (k, a, b) for i, k, a, b in maps[side][0]}
            assert sorted(stats) == sorted(int(i) for i in exp[key])
            for i, s in exp[key].items():
                kind, a, b = stats[int(i)]
                assert kind == s["kind"].lower()
                names = ("mean", "std") if kind == "standardize" else ("lower", "upper")
                assert same_bits(a, s[names[0]]) and same_bits(b, s[names[1]])
        for side, key in (("inputs", "globalInputStrategy"), ("outputs", "globalOutputStrategy")):
            g = exp[key]
            kind = maps[side][2][0]
            assert kind == (None if g is None else g["kind"].lower())


def check_transform(n, t):
    if t is None:
        return
    for i, (x, want, back) in enumerate(zip(t["features_in"], t["features_transformed"],
                                            t["features_reverted"])):
        y = n.transform(summary(x), index=i)
        assert same_bits(y, want), "features %d" % i
        assert same_bits(n.revert(y, index=i), back), "reverted features %d" % i
    if t.get("labels_in") is not None:
        for i, (x, want, back) in enumerate(zip(t["labels_in"], t["labels_transformed"],
                                                t["labels_reverted"])):
            y = n.transform_labels(summary(x), index=i)
            assert same_bits(y, want), "labels %d" % i
            assert same_bits(n.revert_labels(y, index=i), back), "reverted labels %d" % i


def test_transform_leaves_the_input_alone():
    path = normalizer_streams()[0]
    n = dlz.Normalizer.decode(open(path, "rb").read())
    x = np.ones((2, n.stats()[1].size), dtype=np.float32)
    y = n.transform(x)
    assert (x == 1).all() and y.shape == x.shape and y.flags.writeable


# ---- objects -----------------------------------------------------------------

JAVA_CLASS = [
    (dlz.JavaInteger, "java.lang.Integer"), (dlz.JavaLong, "java.lang.Long"),
    (dlz.JavaShort, "java.lang.Short"), (dlz.JavaByte, "java.lang.Byte"),
    (dlz.JavaDouble, "java.lang.Double"), (dlz.JavaFloat, "java.lang.Float"),
    (dlz.JavaChar, "java.lang.Character"), (bool, "java.lang.Boolean"),
    (str, "java.lang.String"), (bytes, "[B"), (dlz.JavaStringArray, "[Ljava.lang.String;"),
    (dlz.JavaObjectArray, "[Ljava.lang.Object;"), (dlz.JavaLinkedHashMap, "java.util.LinkedHashMap"),
    (dict, "java.util.HashMap"), (list, "java.util.ArrayList"),
]
ARRAY_CLASS = {"int16": "[S", "int32": "[I", "int64": "[J", "float32": "[F", "float64": "[D",
               "bool": "[Z", "uint16": "[C"}


def java_class(v):
    if isinstance(v, np.ndarray):
        return ARRAY_CLASS[str(v.dtype)]
    for cls, name in JAVA_CLASS:
        if isinstance(v, cls):
            return name
    return None if v is None else type(v).__name__


def bits_hex(x, dtype):
    return np.array([x], dtype=dtype).astype(np.dtype(dtype).newbyteorder(">")).tobytes().hex()


def matches(v, r):
    """v equals the generator's rendering r of the Java value (fixtures/README.md)."""
    if r is None:
        return v is None
    cls = r["class"]
    if java_class(v) != cls and not (cls == "java.util.HashMap" and isinstance(v, dict)):
        return False
    if cls in ("java.lang.String", "java.lang.Integer", "java.lang.Short", "java.lang.Byte",
               "java.lang.Boolean", "java.lang.Character"):
        return v == r["value"]
    if cls == "java.lang.Long":
        return str(int(v)) == r["value"]
    if cls in ("java.lang.Double", "java.lang.Float"):
        return bits_hex(v, ">f8" if cls.endswith("Double") else ">f4") == r["bits"]
    if cls == "[B":
        return v.hex() == r["hex"]
    if cls in ("[I", "[S", "[Z"):
        return v.tolist() == r["value"]
    if cls == "[J":
        return [str(x) for x in v.tolist()] == r["value"]
    if cls in ("[F", "[D"):
        dt = ">f4" if cls == "[F" else ">f8"
        return [bits_hex(x, dt) for x in v] == r["bits"]
    if cls.startswith("[L") or cls.endswith("List"):
        return len(v) == len(r["value"]) and all(matches(a, b) for a, b in zip(v, r["value"]))
    if cls.endswith("Map"):
        items = list(v.items())
        return len(items) == len(r["entries"]) and all(
            any(matches(k, rk) and matches(x, rv) for k, x in items) for rk, rv in r["entries"])
    return False
