"""Uses the public API as a typed program would; test_typing.py checks it
with mypy --strict against the stubs (it is never run)."""
import io
import numpy as np
import dlz

m: dlz.Model = dlz.load("x.zip", updater=True)
w: np.ndarray = m.params["0/W"]
c = m.param("0/W", order="f")
st = m.updater_state
if st is not None:
    v: np.ndarray = st.vector
    ms: dict[str, np.ndarray] = st["0/W"]
n = m.normalizer
if n is not None:
    y: np.ndarray = n.transform(np.ones((2, 4), dtype=np.float32))
r: dlz.SaveResult = dlz.save(io.BytesIO(), m.config, dict(m.params), objects={"a": dlz.JavaLong(3)})
print(r.entries[0].name, r.total_bytes)
dlz.write_array("a.bin", np.zeros(3))
a: np.ndarray = dlz.read_array("a.bin")
with dlz.edit("x.zip") as e:
    e.put_object("k", 1).strip_updater()
try:
    dlz.load(b"")
except dlz.IoError as err:
    print(err.code, err.errno)
except dlz.Error as err:
    print(err.code, err.message)
