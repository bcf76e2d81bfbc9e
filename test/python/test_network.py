"""Model.network against DL4J's own view of the networks in
fixtures/network-1.0.0-M2.1/ (written by the interop harness's NetTruth from
real DL4J 1.0.0-M2.1: layer classes, inputs and the output type of every
layer), and Model.to_onnx against the bytes `dlz export --format onnx`
writes and onnx.checker."""
import glob
import json
import os
import subprocess

import pytest

import dlz
from conftest import FIXTURES

NETS = sorted(glob.glob(os.path.join(FIXTURES, "network-1.0.0-M2.1", "*.zip")))


@pytest.mark.parametrize("path", NETS, ids=os.path.basename)
def test_network_matches_dl4j(path):
    with open(path[:-len(".zip")] + ".truth.json") as f:
        truth = json.load(f)
    net = dlz.load(path).network
    assert net["kind"] == truth["kind"]
    assert [n["name"] for n in net["nodes"]] == [l["name"] for l in truth["layers"]]
    for node, layer in zip(net["nodes"], truth["layers"]):
        # a wrapper (Bidirectional, LastTimeStep...) is named with what it wraps
        assert layer["class"] in (node["base_type"], node["type"].split("(")[0]), node["name"]
        if layer.get("inputs") is not None:
            assert node["inputs"] == layer["inputs"], node["name"]
        act = layer.get("activation")  # the shape of DL4J's real activations
        if act is not None and node["out_shape"] is not None:
            # Without the input type (configuration.json does not record it)
            # sizes may be unknown (-1); every known one is DL4J's.
            got = list(node["out_shape"]["shape"])
            assert len(got) == len(act), (node["name"], got, act)
            assert all(g in (-1, w) for g, w in zip(got[1:], act[1:])), (node["name"], got, act)
        for k, v in layer.get("attrs", {}).items():
            # (a wrapper's own nIn/nOut, such as Bidirectional's 2 x nOut,
            # are DL4J's getters of the wrapper, not attributes of the node)
            if k in ("nIn", "nOut") and "n_in" in node["attrs"] and node["base_type"] == layer["class"]:
                assert node["attrs"]["n_in" if k == "nIn" else "n_out"] == v, (node["name"], k)
    if truth["kind"] == "ComputationGraph":
        assert net["inputs"] == truth["networkInputs"]
        assert net["outputs"] == truth["networkOutputs"]


def test_network_unknown_layer_is_named():
    corpus = os.environ.get("DLZ_CORPUS", os.path.join(FIXTURES, "..", "..", "shared", "corpus"))
    path = os.path.join(corpus, "dl4j", "100b6", "CustomLayerExample_100b6_float.bin")
    if not os.path.exists(path):
        pytest.skip("DL4J corpus not found at " + corpus)
    nodes = dlz.load(path).network["nodes"]
    unknown = [n for n in nodes if not n["known"]]
    assert unknown and all(n["unknown"] for n in unknown)
    assert any("CustomLayer" in u for n in unknown for u in n["unknown"])


def test_to_onnx_is_the_exporter(tmp_path):
    cli = os.environ.get("DLZ_CLI")
    if not cli:
        pytest.skip("DLZ_CLI not set: the tool's output cannot be compared")
    path = os.path.join(FIXTURES, "dl4j-1.0.0-M2.1", "mln-dense-sgd-float.zip")
    m = dlz.load(path)
    data = m.to_onnx()
    out = tmp_path / "m.onnx"
    subprocess.run([cli, "export", "--format", "onnx", path, str(out)], check=True)
    assert data == out.read_bytes()
    m.to_onnx(str(tmp_path / "p.onnx"))
    assert (tmp_path / "p.onnx").read_bytes() == data
    try:
        import onnx
    except ImportError:
        return
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)


def test_to_onnx_unsupported_names_the_layer():
    path = os.path.join(FIXTURES, "network-1.0.0-M2.1", "attention.zip")
    with pytest.raises(dlz.Error) as e:
        dlz.load(path).to_onnx()
    assert "attention" in str(e.value).lower() or "Attention" in str(e.value)
