#!/usr/bin/env python3
"""ONNX export against DL4J: every fixture and corpus model that dlz exports
to ONNX must pass onnx.checker (full check) and give, in ONNX Runtime, the
output DL4J gives.

  check.py DLZ SOURCE_ROOT CORPUS_DIR [--dl4j]

With --dl4j, DL4J 1.0.0-M2.1 computes its output in this run
(test/interop/dl4j.sh m21 Output, on the same inputs); without it, the
outputs DL4J recorded in the fixtures' *.expected.json are the reference
(the inputs recorded there too), and models without recorded outputs are
only checked and run.  Tolerances: FLOAT 1e-5 relative + 1e-6 absolute,
DOUBLE 1e-9 relative + 1e-12 absolute.  Graphs ONNX Runtime has no kernel
for (DOUBLE Conv and LSTM) are run with onnx.reference instead.  Models the
export refuses are listed with the layer that stopped them.  Exit 77 when
onnx or onnxruntime is missing.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    import onnx.reference
    import onnxruntime as ort
except ImportError as e:
    print(f"skipped: {e} (pip install onnx onnxruntime numpy)")
    sys.exit(77)

TOL = {np.float32: (1e-5, 1e-6), np.float64: (1e-9, 1e-12)}


def fixture_array(d):
    dt = {"FLOAT": ">f4", "DOUBLE": ">f8"}[d["dtype"]]
    a = np.frombuffer(bytes.fromhex(d["values_hex"]), dtype=dt).reshape(d["shape"])
    return a.astype(dt[1:])


def models(root, corpus):
    out = []
    for d in ("dl4j-1.0.0-M2.1", "dl4j-1.0.0-beta7", "network-1.0.0-M2.1"):
        out += sorted(glob.glob(os.path.join(root, "fixtures", d, "*.zip")))
    if corpus and os.path.isdir(corpus):
        for dp, _, fs in sorted(os.walk(corpus)):
            for f in sorted(fs):
                if (f.endswith(".zip") or f.endswith(".bin")) and "_Input_" not in f \
                        and "_Output_" not in f:
                    out.append(os.path.join(dp, f))
    return out


def inputs_for(path, sess, dtype):
    """The inputs: DL4J's recorded ones, else random ones of the sizes the
    network was configured with, else of the model's declared sizes."""
    base = path[:-4]
    rng = np.random.default_rng(12345)
    if os.path.exists(base + ".expected.json"):
        o = json.load(open(base + ".expected.json")).get("output")
        if o and o.get("inputs"):
            return [fixture_array(i) for i in o["inputs"]], o.get("outputs")
    shapes = None
    if os.path.exists(base + ".truth.json"):
        shapes = [[2] + i["shape"][1:] for i in json.load(open(base + ".truth.json"))["inputs"]]
    else:
        shapes = []
        for i in sess.get_inputs():
            s = [d if isinstance(d, int) else None for d in i.shape]
            s[0] = 2
            if None in s:
                return None, None
            shapes.append(s)
    return [rng.uniform(-1, 1, s).astype(dtype) for s in shapes], None


def run_onnx(model_bytes, model, feeds):
    try:
        s = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        return s.run(None, feeds), "onnxruntime"
    except Exception as e:  # no kernel for this type
        if "double" not in str(e) and "NOT_IMPLEMENTED" not in str(e):
            raise
        return onnx.reference.ReferenceEvaluator(model).run(None, feeds), "onnx.reference"


def main():
    dlz, root, corpus = sys.argv[1], sys.argv[2], sys.argv[3]
    with_dl4j = "--dl4j" in sys.argv[4:]
    tmp = tempfile.mkdtemp(prefix="dlz-onnx-")
    failures, refused, compared, checked, pending = [], [], 0, 0, []
    for k, path in enumerate(models(root, corpus)):
        name = os.path.relpath(path, root) if path.startswith(root) else path
        out = os.path.join(tmp, f"m{k}.onnx")
        r = subprocess.run([dlz, "export", "--format", "onnx", path, out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            refused.append((name, r.stderr.strip().split(": ", 2)[-1]))
            continue
        model = onnx.load(out)
        try:
            onnx.checker.check_model(model, full_check=True)
        except Exception as e:
            failures.append(f"{name}: onnx.checker: {e}")
            continue
        checked += 1
        elem = model.graph.input[0].type.tensor_type.elem_type
        dtype = np.float64 if elem == onnx.TensorProto.DOUBLE else np.float32
        sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"]) \
            if dtype == np.float32 else None
        ins, recorded = inputs_for(path, sess or _Decl(model), dtype)
        if ins is None:
            refused.append((name, "exported and checked, not run: input sizes not recorded in the archive"))
            continue
        feeds = {i.name: v for i, v in zip(model.graph.input, ins)}
        got, runner = run_onnx(open(out, "rb").read(), model, feeds)
        if with_dl4j:
            d = os.path.join(tmp, f"d{k}")
            os.makedirs(d)
            open(os.path.join(d, "model"), "w").write(os.path.abspath(path))
            kind = json.loads(subprocess.run([dlz, "info", "--json", path],
                                             capture_output=True, text=True).stdout)["kind"]
            open(os.path.join(d, "kind"), "w").write("MLN" if kind == "MultiLayerNetwork" else "CG")
            for j, a in enumerate(ins):
                np.save(os.path.join(d, f"in{j}.npy"), a)
            pending.append((name, d, got, dtype, runner))
        elif recorded:
            compared += compare(name, got, [fixture_array(o) for o in recorded], dtype, runner,
                                failures)
        else:
            print(f"ok   {name}: checked and run ({runner}); no DL4J output recorded")
    if pending:
        r = subprocess.run(["bash", os.path.join(root, "test", "interop", "dl4j.sh"), "m21",
                            "Output"] + [p[1] for p in pending])
        if r.returncode != 0:
            failures.append("DL4J (test/interop/dl4j.sh m21 Output) failed")
        for name, d, got, dtype, runner in pending:
            if os.path.exists(os.path.join(d, "error.txt")):
                failures.append(f"{name}: DL4J cannot run it: {open(os.path.join(d, 'error.txt')).read()}")
                continue
            want = [np.load(os.path.join(d, f"out{j}.npy")) for j in range(len(got))]
            compared += compare(name, got, want, dtype, runner, failures)
    failures += readme_example(dlz, root, tmp)
    for name, why in refused:
        print(f"not compared: {name}: {why}")
    print(f"{checked} models exported and passed onnx.checker; {compared} compared with DL4J; "
          f"{len(refused)} not compared; {len(failures)} failures")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures or compared == 0 else 0


def readme_example(dlz, root, tmp):
    """Runs the README's ONNX Runtime example on a fixture."""
    d = os.path.join(tmp, "readme")
    os.makedirs(d)
    subprocess.run([sys.executable, os.path.join(root, "test", "readme_examples.py"),
                    os.path.join(root, "README.md"), d, "onnx_run.py"], check=True)
    import shutil
    shutil.copy(os.path.join(root, "fixtures", "dl4j-1.0.0-M2.1", "mln-dense-sgd-float.zip"),
                os.path.join(d, "model.zip"))
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(dlz)) + os.pathsep +
               os.environ.get("PATH", ""))
    r = subprocess.run([sys.executable, "onnx_run.py"], cwd=d, env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        return [f"README example onnx_run.py: {r.stderr.strip()[-300:]}"]
    print("ok   README example onnx_run.py")
    return []


class _Decl:
    """The declared inputs of a model, as ONNX Runtime lists them."""
    def __init__(self, model):
        self.model = model

    def get_inputs(self):
        class I:
            pass
        res = []
        for vi in self.model.graph.input:
            i = I()
            i.shape = [d.dim_value if d.HasField("dim_value") else None
                       for d in vi.type.tensor_type.shape.dim]
            res.append(i)
        return res


def compare(name, got, want, dtype, runner, failures):
    rtol, atol = TOL[dtype]
    if len(got) != len(want):
        failures.append(f"{name}: {len(got)} outputs, DL4J has {len(want)}")
        return 0
    for j, (g, w) in enumerate(zip(got, want)):
        w = np.asarray(w).astype(dtype)
        if g.shape != w.shape:
            failures.append(f"{name}: output {j} of shape {g.shape}, DL4J's {w.shape}")
            return 0
        if not np.allclose(g, w, rtol=rtol, atol=atol):
            failures.append(f"{name}: output {j} differs by up to {np.abs(g - w).max():.3g}")
            return 0
    print(f"ok   {name}: equal to DL4J ({runner}, {np.dtype(dtype).name}, "
          f"{sum(g.size for g in got)} values)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
