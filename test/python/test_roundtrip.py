"""Archives and arrays written through the package read back with the same
values: every fixture saved again (parameters by name, the updater state
per parameter, the normalizer, the objects; both record generations; to a
path, a file object and bytes), bare ND4J arrays of every data type, the
exports read by NumPy, and the in-place edits."""
import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest

import dlz
from conftest import archives, expected, fixture_id, same_bits

ARCHIVES = archives()


def contents(m):
    """Everything a model holds, comparable with ==."""
    out = {
        "kind": m.kind,
        "config": m.config,
        "params": {k: (v.dtype.str, v.shape, v.tobytes()) for k, v in m.params.items()},
        "normalizer": m.normalizer_bytes,
        "objects": {k: m.object_bytes(k) for k in m.objects},
    }
    if m.has_updater_state:
        st = m.updater_state
        out["updater"] = st.vector.tobytes()
        out["states"] = {p: {s: a.tobytes() for s, a in d.items()} for p, d in st.items()}
    return out


@pytest.mark.parametrize("generation", ["mixed", "javacpp"])
@pytest.mark.parametrize("path", ARCHIVES, ids=fixture_id)
def test_save_again(path, generation, tmp):
    m = dlz.load(path, updater=True)
    if generation == "javacpp" and m.coefficients is not None and \
            m.coefficients.dtype not in (np.float16, np.float32, np.float64):
        pytest.skip("JAVACPP records hold floating types only")
    st = m.updater_state
    out = tmp / "out.zip"
    res = dlz.save(out, m.config, m.params,
                   updater_state=None if st is None else dict(st),
                   normalizer=m.normalizer if m.normalizer_bytes else None,
                   objects={k: m.objects[k] for k in m.objects}, generation=generation)
    assert res.total_bytes == os.path.getsize(out)
    assert [e.name for e in res.entries] == [n for n in (e.name for e in m.entries)
                                             if n != "noParams.marker"] or m.coefficients is None
    back = dlz.load(out, updater=True)
    assert contents(back) == contents(m)
    # what DL4J held, again
    exp = expected(path)
    if exp["coefficients"] and exp["coefficients"]["length"]:
        assert same_bits(back.coefficients, exp["coefficients"])
    if exp["updater"]:
        assert same_bits(back.updater_state.vector, exp["updater"])
    # to a file object and to bytes: the same archive
    buf = io.BytesIO()
    dlz.save(buf, m.config, m.coefficients, updater_state=st, normalizer=m.normalizer_bytes,
             objects={k: m.objects[k] for k in m.objects}, generation=generation, mtime=0)
    assert contents(dlz.load(buf.getvalue(), updater=True)) == contents(m)
    buf.seek(0)
    assert contents(dlz.load(buf, updater=True)) == contents(m)


def test_load_sources(tmp):
    path = [p for p in ARCHIVES if p.endswith("M2.1/mln-dense-adam-float.zip")][0]
    want = contents(dlz.load(path, updater=True))
    with open(path, "rb") as f:
        f.read(0)
        assert contents(dlz.load(f, updater=True)) == want
    data = open(path, "rb").read()
    assert contents(dlz.load(bytearray(data), updater=True)) == want
    assert contents(dlz.load(io.BytesIO(data), updater=True)) == want
    # a file object positioned at the archive (something before it)
    (tmp / "pre").write_bytes(b"x" * 100 + data)
    with open(tmp / "pre", "rb") as f:
        f.seek(100)
        assert contents(dlz.load(f, updater=True)) == want
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, data)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        assert contents(dlz.load(f, updater=True)) == want
    os.waitpid(pid, 0)


def test_views_outlive_the_model():
    path = ARCHIVES[0]
    m = dlz.load(path)
    w = next(iter(m.params.values()))
    copy = w.copy()
    m.close()
    del m
    import gc
    gc.collect()
    assert np.array_equal(w, copy)
    with pytest.raises(ValueError):
        w[...] = 0


def test_param_orders():
    path = [p for p in ARCHIVES if p.endswith("M2.1/mln-dense-adam-float.zip")][0]
    m = dlz.load(path)
    w = m.params["0/W"]  # [nIn, nOut], 'f' in the flat vector
    assert w.shape == (4, 5) and w.flags.f_contiguous
    assert np.shares_memory(w, m.coefficients)
    c = m.param("0/W")
    assert c.flags.c_contiguous and np.array_equal(c, w)
    assert m.param("0/W", order="f") is not None and np.shares_memory(m.param("0/W", "f"), w)
    assert m.param("0/W", order=None) is w
    # independent check: W[i][j] is at offset + i + j * nIn in the flat vector
    info = [p for p in m.param_info if p.name == "0/W"][0]
    flat = m.coefficients
    for i in range(4):
        for j in range(5):
            assert w[i, j] == flat[info.offset + i + j * 4]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "int16",
                                   "uint8", "int8", "bool", "uint16", "uint32", "uint64"])
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 4), (2, 3, 4)])
def test_bare_arrays(dtype, shape, tmp):
    rng = np.random.default_rng(7)
    a = (rng.standard_normal(shape) * 100).astype(dtype)
    path = tmp / "a.bin"
    dlz.write_array(path, a)
    b = dlz.read_array(path)
    assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)
    assert not b.flags.writeable
    buf = io.BytesIO()
    dlz.write_array(buf, a)
    assert buf.getvalue() == path.read_bytes()
    if dtype in ("float64", "float32", "float16"):
        dlz.write_array(path, a, generation="javacpp")
        assert np.array_equal(dlz.read_array(path), a)
    else:
        with pytest.raises(dlz.UnsupportedError):
            dlz.write_array(path, a, generation="javacpp")


def test_bare_array_strided_and_big_endian(tmp):
    a = np.arange(24, dtype=">f8").reshape(4, 6)[:, ::2].T  # non-contiguous, big-endian
    dlz.write_array(tmp / "a.bin", a)
    b = dlz.read_array(tmp / "a.bin")
    assert b.dtype == np.float64 and np.array_equal(a, b)


def test_bare_array_matches_dl4j_record():
    """A coefficients entry is an ND4J array record: written again from its
    values, the record has DL4J's bytes (MIXED_DATA_TYPES, a [1,N] 'c'
    vector as beta7 holds it)."""
    path = [p for p in ARCHIVES if p.endswith("beta7/mln-dense-adam-float.zip")][0]
    with zipfile.ZipFile(path) as z:
        record = z.read("coefficients.bin")
    m = dlz.load(path)
    buf = io.BytesIO()
    dlz.write_array(buf, m.coefficients.reshape(1, -1))
    assert buf.getvalue() == record


def safetensors_header(data):
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), 8 + n


def test_exports(tmp):
    path = [p for p in ARCHIVES if p.endswith("M2.1/cg-merge-adam-float-add-multistandardize.zip")][0]
    m = dlz.load(path, updater=True)
    m.to_npz(tmp / "m.npz", updater=True, normalizer=True)
    with np.load(tmp / "m.npz") as z:
        for name, v in m.params.items():
            assert np.array_equal(z[name], v)
        for pname, states in m.updater_state.items():
            for s, v in states.items():
                assert np.array_equal(z["updater/%s/%s" % (pname, s)], v)
        assert np.array_equal(z["normalizer/featureMean/0"], m.normalizer.stats(0)[1])
    data = m.to_safetensors()
    head, start = safetensors_header(data)
    assert head["__metadata__"]["kind"] == "ComputationGraph"
    for name, v in m.params.items():
        t = head[name]
        lo, hi = t["data_offsets"]
        got = np.frombuffer(data[start + lo:start + hi], dtype="<f4").reshape(t["shape"])
        assert t["dtype"] == "F32" and np.array_equal(got, v)
    with open(tmp / "m.safetensors", "wb") as f:
        m.to_safetensors(f)
    assert (tmp / "m.safetensors").read_bytes() == data


def test_edits(tmp):
    src = [p for p in ARCHIVES if p.endswith("M2.1/mln-dense-adam-float.zip")][0]
    norm_src = [p for p in ARCHIVES if p.endswith("M2.1/mln-dense-sgd-float-wm-minmax.zip")][0]
    path = tmp / "m.zip"
    path.write_bytes(open(src, "rb").read())
    n = dlz.load(norm_src).normalizer
    dlz.set_normalizer(path, n)
    dlz.put_object(path, "epoch", dlz.JavaLong(12))
    with dlz.edit(path) as e:
        e.put_object("labels", dlz.JavaStringArray(["a", "b", None]))
        e.put_object("hist", {"loss": np.array([0.5, 0.25])})
    m = dlz.load(path, updater=True)
    assert m.normalizer.encode() == n.encode()
    assert m.objects["epoch"] == 12 and type(m.objects["epoch"]) is dlz.JavaLong
    assert m.objects["labels"] == ["a", "b", None]
    assert np.array_equal(m.objects["hist"]["loss"], [0.5, 0.25])
    assert m.has_updater_state
    before = contents(m)
    dlz.strip_updater(path)
    dlz.remove_object(path, "epoch")
    dlz.remove_normalizer(path)
    m2 = dlz.load(path, updater=True)
    assert not m2.has_updater_state and m2.updater_state is None
    assert list(m2.objects) == ["labels", "hist"] and m2.normalizer is None
    assert contents(m2)["params"] == before["params"]
    with pytest.raises(dlz.NotFoundError):
        dlz.remove_normalizer(path)
    # commit to another path leaves the archive alone
    dlz.Editor(path).put_object("x", 1).commit(to=tmp / "other.zip")
    assert "x" not in dlz.load(path).objects and "x" in dlz.load(tmp / "other.zip").objects


JAVA_VALUES = [
    None, "text", "é € 😀 \x00", "\ud800 lone", True, False, 0, -5, 2**31, -2**63,
    dlz.JavaLong(3), dlz.JavaShort(-7), dlz.JavaByte(100), dlz.JavaFloat(1.5),
    dlz.JavaDouble(-0.0), float("inf"), dlz.JavaChar("x"), b"\x00\xff", bytearray(b"ab"),
    np.array([1, 2], dtype=np.int16), np.array([1, -1], dtype=np.int32),
    np.array([2**40], dtype=np.int64), np.array([0.5, np.nan], dtype=np.float32),
    np.array([1e-300], dtype=np.float64), np.array([True, False]),
    np.array([65, 0xffff], dtype=np.uint16), dlz.JavaStringArray(["a", None]),
    dlz.JavaObjectArray([1, "b", None]), [1, [2, [3]]], (1, 2), {"a": 1, "b": [1.0]},
    dlz.JavaLinkedHashMap([("z", 1), ("a", 2)]), {1: "one", "1": "string one"},
    dlz.JavaMapItems([(np.array([1], dtype=np.int32), "array key")]),
    np.int32(4), np.float32(0.25), np.int8(-1),
]


@pytest.mark.parametrize("value", JAVA_VALUES, ids=lambda v: type(v).__name__)
def test_java_values(value):
    data = dlz.encode_object(value)
    back = dlz.decode_object(data)
    assert dlz.encode_object(back) == data
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value, equal_nan=True)
    elif isinstance(value, (bytes, bytearray)):
        assert back == bytes(value)
    elif isinstance(value, (str, bool, type(None), dlz.JavaMapItems)):
        assert type(back) is type(value) or isinstance(value, dlz.JavaMapItems)
        if not isinstance(value, dlz.JavaMapItems):
            assert back == value
    elif isinstance(value, tuple):
        assert back == list(value)


def test_java_value_types():
    assert type(dlz.decode_object(dlz.encode_object(2**31))) is dlz.JavaLong
    assert type(dlz.decode_object(dlz.encode_object(5))) is dlz.JavaInteger
    assert type(dlz.decode_object(dlz.encode_object(np.float32(1)))) is dlz.JavaFloat
    assert type(dlz.decode_object(dlz.encode_object({"a": 1}))) is dict
    lm = dlz.decode_object(dlz.encode_object(dlz.JavaLinkedHashMap([("z", 1), ("a", 2)])))
    assert type(lm) is dlz.JavaLinkedHashMap and list(lm) == ["z", "a"]
    with pytest.raises(TypeError):
        dlz.encode_object(object())
    with pytest.raises(OverflowError):
        dlz.encode_object(2**63)
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError):
        dlz.encode_object(deep)
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises((ValueError, RecursionError)):
        dlz.encode_object(cyclic)


def test_new_normalizers_roundtrip(tmp):
    rng = np.random.default_rng(1)
    mean = rng.standard_normal((1, 4)).astype(np.float32)
    std = np.abs(rng.standard_normal((1, 4))).astype(np.float32) + 0.5
    x = rng.standard_normal((3, 4)).astype(np.float32)
    n = dlz.Normalizer.standardize(mean, std)
    # independent arithmetic: (x - mean) / std in float32, as DL4J does
    assert np.array_equal(n.transform(x), (x - mean) / std)
    assert dlz.Normalizer.decode(n.encode()).encode() == n.encode()
    mm = dlz.Normalizer.min_max(mean, mean + std, target_min=-1, target_max=1)
    assert mm.target_range == (-1.0, 1.0)
    img = dlz.Normalizer.image_min_max(0, 1, 255)
    assert np.allclose(img.transform(np.array([0.0, 255.0], dtype=np.float32)), [0, 1])
    ms = dlz.Normalizer.multi_standardize([mean, mean[:, :2]], [std, std[:, :2]])
    assert ms.num_inputs == 2 and ms.transform(x[:, :2], index=1).shape == (3, 2)
    h = dlz.Normalizer.hybrid(inputs={0: ("min_max", mean, mean + std)},
                              global_input=("min_max", 0.0, 1.0),
                              input_strategies={1: "none"})
    assert h.type == "MULTI_HYBRID" and dlz.Normalizer.decode(h.encode()).encode() == h.encode()
    with pytest.raises(dlz.MisuseError):
        n.transform(np.ones((2, 3), dtype=np.float32))  # 3 features, statistics of 4
