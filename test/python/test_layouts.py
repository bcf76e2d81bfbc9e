"""The PyTorch layouts the README documents, checked against DL4J's own
outputs (output() recorded in X.expected.json) with a forward pass written
in NumPy from the standard equations, in PyTorch's conventions:

  - Dense / Output: DL4J's W is [nIn, nOut], so Linear.weight = W.T;
  - LSTM: DL4J's gate blocks (W [nIn, 4n], RW [n, 4n], b [1, 4n]) are
    (cell input, forget, output, input); PyTorch's are (input, forget,
    cell, output), weight_ih = W.T and weight_hh = RW.T, reordered;
  - Convolution: W [nOut, nIn, kH, kW] is Conv2d.weight as it is;
  - BatchNormalization with useLogStd: running_var = (10**log10stdev)**2,
    with eps (DL4J divides by sqrt(var + eps), as PyTorch does).

The PyTorch example of the README runs in test_readme.py when torch is
installed (and is skipped, saying so, when it is not)."""
import numpy as np
import pytest

import dlz
from conftest import FIXTURES, expected, summary


def fixture(version, name):
    path = "%s/dl4j-%s/%s.zip" % (FIXTURES, version, name)
    return dlz.load(path), expected(path)


def softmax(z, axis):
    z = np.exp(z - z.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def linear(x, weight, bias):
    """torch.nn.functional.linear"""
    return x @ weight.T + bias


def torch_gates(a):
    """DL4J's (cell input, forget, output, input) blocks of the last axis
    in PyTorch's order (input, forget, cell, output)."""
    g, f, o, i = np.split(np.asarray(a, dtype=np.float64), 4, axis=-1)
    return np.concatenate([i, f, g, o], axis=-1)


def lstm(x, weight_ih, weight_hh, bias):
    """torch.nn.LSTM's equations, batch-first input [N, T, C]."""
    n = weight_hh.shape[1]
    h = np.zeros((x.shape[0], n))
    c = np.zeros((x.shape[0], n))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    out = []
    for t in range(x.shape[1]):
        z = x[:, t] @ weight_ih.T + h @ weight_hh.T + bias
        i, f, g, o = np.split(z, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def close(y, s):
    want = summary(s).astype(np.float64)
    tol = {"FLOAT": (1e-5, 1e-6), "DOUBLE": (1e-10, 1e-12), "HALF": (1e-2, 1e-3)}[s["dtype"]]
    return y.shape == want.shape and np.allclose(y, want, rtol=tol[0], atol=tol[1])


@pytest.mark.parametrize("version", ["1.0.0-M2.1", "1.0.0-beta7"])
@pytest.mark.parametrize("name", ["mln-dense-adam-float", "mln-dense-nesterovs-double"])
def test_dense(version, name):
    m, e = fixture(version, name)
    p = {k: v.astype(np.float64) for k, v in m.params.items()}
    x = summary(e["output"]["inputs"][0]).astype(np.float64)
    h = np.tanh(linear(x, p["0/W"].T, p["0/b"].reshape(-1)))
    y = softmax(linear(h, p["1/W"].T, p["1/b"].reshape(-1)), axis=1)
    assert close(y, e["output"]["outputs"][0])
    # the negative control: W used as Linear.weight without the transpose
    # does not even fit (4x5 against 5 features)
    with pytest.raises(ValueError):
        linear(h, p["1/W"], p["1/b"].reshape(-1))


@pytest.mark.parametrize("version", ["1.0.0-M2.1", "1.0.0-beta7"])
def test_lstm(version):
    m, e = fixture(version, "mln-lstm-rmsprop-float")
    p = {k: v.astype(np.float64) for k, v in m.params.items()}
    x = summary(e["output"]["inputs"][0]).astype(np.float64)  # NCW: [N, C, T]
    h = lstm(x.transpose(0, 2, 1), torch_gates(p["0/W"]).T, torch_gates(p["0/RW"]).T,
             torch_gates(p["0/b"]).reshape(-1))
    y = softmax(linear(h, p["1/W"].T, p["1/b"].reshape(-1)), axis=2).transpose(0, 2, 1)
    assert close(y, e["output"]["outputs"][0])
    # without the reordering the outputs differ
    h2 = lstm(x.transpose(0, 2, 1), p["0/W"].T, p["0/RW"].T, p["0/b"].reshape(-1))
    y2 = softmax(linear(h2, p["1/W"].T, p["1/b"].reshape(-1)), axis=2).transpose(0, 2, 1)
    assert not close(y2, e["output"]["outputs"][0])


@pytest.mark.parametrize("version", ["1.0.0-M2.1", "1.0.0-beta7"])
@pytest.mark.parametrize("name", ["mln-cnn-bn-adam-float", "mln-cnn-bn-nesterovs-double"])
def test_conv_batchnorm(version, name):
    m, e = fixture(version, name)
    p = {k: v.astype(np.float64) for k, v in m.params.items()}
    cfg = [c["layer"] for c in m.config["confs"]]
    assert cfg[2]["useLogStd"] and cfg[1]["poolingType"] == "MAX"
    x = summary(e["output"]["inputs"][0]).astype(np.float64)  # NCHW
    w, b = p["0/W"], p["0/b"].reshape(-1)  # Conv2d.weight [out, in, kH, kW]
    kh, kw = w.shape[2:]
    n, _, hi, wi = x.shape
    conv = np.zeros((n, w.shape[0], hi - kh + 1, wi - kw + 1))
    for i in range(conv.shape[2]):
        for j in range(conv.shape[3]):
            conv[:, :, i, j] = np.einsum("nchw,ochw->no", x[:, :, i:i + kh, j:j + kw], w) + b
    conv = np.maximum(conv, 0)
    s = conv.shape
    pool = conv.reshape(s[0], s[1], s[2] // 2, 2, s[3] // 2, 2).max(axis=(3, 5))
    running_var = (10.0 ** p["2/log10stdev"].reshape(1, -1, 1, 1)) ** 2
    bn = (p["2/gamma"].reshape(1, -1, 1, 1) * (pool - p["2/mean"].reshape(1, -1, 1, 1)) /
          np.sqrt(running_var + cfg[2]["eps"]) + p["2/beta"].reshape(1, -1, 1, 1))
    y = softmax(linear(bn.reshape(n, -1), p["3/W"].T, p["3/b"].reshape(-1)), axis=1)
    assert close(y, e["output"]["outputs"][0])
