"""dlz: Deeplearning4j (DL4J) model archives in NumPy, without a JVM, and back.

A C extension over libdlz, the library the ``dlz`` tool uses::

    import dlz
    m = dlz.load("model.zip")            # the updater state only with updater=True
    m.kind, m.config                     # "MultiLayerNetwork", the parsed JSON
    m.params["0/W"]                      # NumPy, in the stored dtype, DL4J's shape
    dlz.save("copy.zip", m.config, m.params, normalizer=m.normalizer)

Arrays.  ND4J stores big-endian numbers; libdlz decodes each array record once
into a buffer in native byte order.  Every array the package returns from a
model (``coefficients``, ``params``, ``param(order=None)``, the updater
state vector, ``read_array``) is a read-only NumPy view of that buffer,
without a further copy, and keeps the buffer alive after the model is closed
or freed.  A copy is made only where a view cannot be: BFLOAT16 (NumPy has
no such type: widened exactly to float32), ``param(name, order=...)`` when
the stored order is not the one asked for, the per-parameter updater states
(copied out by the library), normalizer transforms (results are new arrays)
and decoded Java arrays.

Errors are ``dlz.Error`` subclasses with the library's ``code`` (a negative
``DLZ_E*`` number) and one-line ``message``.
"""

import io
import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from . import _dlz
from ._java import (JavaByte, JavaChar, JavaDouble, JavaFloat, JavaInteger, JavaLinkedHashMap,
                    JavaLong, JavaMapItems, JavaObjectArray, JavaOpaque, JavaShort,
                    JavaStringArray)
from . import _java

__version__ = _dlz.VERSION

__all__ = [
    "load", "save", "read_array", "write_array", "Model", "Normalizer", "UpdaterState",
    "ParamInfo", "LayerInfo", "EntryInfo", "SaveResult", "Editor", "edit", "set_normalizer",
    "remove_normalizer", "put_object", "remove_object", "strip_updater", "encode_object",
    "decode_object", "Error", "MisuseError", "IoError", "FormatError", "NotFoundError",
    "UnsupportedError", "LimitError", "OutOfMemoryError", "BusyError", "ConflictError",
    "JavaInteger", "JavaLong", "JavaShort", "JavaByte", "JavaDouble", "JavaFloat", "JavaChar",
    "JavaStringArray", "JavaObjectArray", "JavaLinkedHashMap", "JavaMapItems", "JavaOpaque",
]

# ---------------------------------------------------------------------------
# Errors


class Error(Exception):
    """A libdlz failure: ``code`` (DLZ_E*, negative) and ``message``."""
    code = 0

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self):
        return self.message


class MisuseError(Error, ValueError):
    """DLZ_EMISUSE: a bad argument, or a call not allowed in that state."""
    code = -1


class IoError(Error, OSError):
    """DLZ_EIO: input or output failed; ``errno`` is the system's error."""
    code = -2

    def __init__(self, message, code=None, errno=0):
        Error.__init__(self, message, code)
        self.errno = errno or None
        self.strerror = message


class FormatError(Error):
    """DLZ_EFORMAT: the data do not follow the format."""
    code = -3


class NotFoundError(Error, LookupError):
    """DLZ_ENOTFOUND: a required entry, or the one asked for, is missing."""
    code = -4


class UnsupportedError(Error):
    """DLZ_EUNSUPPORTED: valid data this version does not support."""
    code = -5


class LimitError(Error):
    """DLZ_ELIMIT: a limit was exceeded."""
    code = -6


class OutOfMemoryError(Error, MemoryError):
    """DLZ_ENOMEM: out of memory."""
    code = -7


class BusyError(Error):
    """DLZ_EBUSY: another process holds the archive's lock."""
    code = -8


class ConflictError(Error):
    """DLZ_ECONFLICT: the file changed since it was opened; nothing was written."""
    code = -9


_ERRORS = {c.code: c for c in (MisuseError, IoError, FormatError, NotFoundError,
                                UnsupportedError, LimitError, OutOfMemoryError, BusyError,
                                ConflictError)}


def _make_error(code, message, errno):
    cls = _ERRORS.get(code, Error)
    if cls is IoError:
        return IoError(message, code, errno)
    return cls(message, code)


_dlz.set_error_factory(_make_error)

# ---------------------------------------------------------------------------
# Arrays

_DTYPE_CODES = {
    "DOUBLE": 0, "FLOAT": 1, "HALF": 2, "LONG": 3, "INT": 4, "SHORT": 5, "UBYTE": 6, "BYTE": 7,
    "BOOL": 8, "BFLOAT16": 11, "UINT16": 12, "UINT32": 13, "UINT64": 14,
}
_NUMPY_CODES = {
    np.dtype(np.float64): 0, np.dtype(np.float32): 1, np.dtype(np.float16): 2,
    np.dtype(np.int64): 3, np.dtype(np.int32): 4, np.dtype(np.int16): 5,
    np.dtype(np.uint8): 6, np.dtype(np.int8): 7, np.dtype(np.bool_): 8,
    np.dtype(np.uint16): 12, np.dtype(np.uint32): 13, np.dtype(np.uint64): 14,
}


def _to_numpy(a):
    """An extension Array as a NumPy array: a read-only view (BFLOAT16: a
    float32 copy)."""
    if a is None:
        return None
    v = np.asarray(memoryview(a))
    if a.dtype == "BFLOAT16":
        v = (v.astype(np.uint32) << 16).view(np.float32)
        v.flags.writeable = False
    return v


def _from_numpy(x, what="array"):
    """A NumPy array as a new extension Array (one copy, row-major)."""
    x = np.asarray(x)
    dt = x.dtype.newbyteorder("=") if not x.dtype.isnative else x.dtype
    code = _NUMPY_CODES.get(dt)
    if code is None:
        raise TypeError("%s: no ND4J data type for NumPy dtype %s" % (what, x.dtype))
    a = _dlz.array_new(code, x.shape, "c")
    if x.size:
        np.copyto(np.asarray(memoryview(a)), x, casting="unsafe")
    return a


def _flat(a):
    """The 1-d view of a vector array (rank 1, or rank 2 with a dimension 1)."""
    return None if a is None else a.reshape(-1)


# ---------------------------------------------------------------------------
# Sources and targets


def _open(source, limits=None):
    """Opens a path (str or os.PathLike), a binary file object or the bytes
    of a file (bytes, bytearray, memoryview) as an extension Archive."""
    lim = list(limits.items()) if limits else None
    if isinstance(source, (str, os.PathLike)):
        return _dlz.open_archive(os.fspath(source), "path", lim)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _dlz.open_archive(source if isinstance(source, bytes) else bytes(source),
                                 "memory", lim)
    fileno = getattr(source, "fileno", None)
    if fileno is not None:
        try:
            fd = fileno()
            seekable = source.seekable()
        except (OSError, io.UnsupportedOperation, AttributeError):
            fd = None
        if fd is not None and seekable:
            # The library reads from the file's current position to its end
            # through a descriptor of its own; the file object is consumed.
            pos = source.tell()
            dup = os.open("/proc/self/fd/%d" % fd, os.O_RDONLY) if os.path.exists(
                "/proc/self/fd/%d" % fd) else os.dup(fd)
            try:
                os.lseek(dup, pos, os.SEEK_SET)
            except OSError:
                os.close(dup)
                raise
            archive = _dlz.open_archive(dup, "fd", lim)
            source.seek(0, os.SEEK_END)
            return archive
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError("expected a path, a binary file object or bytes, not %s" %
                        type(source).__name__)
    data = read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("the file object must be opened in binary mode")
    return _dlz.open_archive(bytes(data), "memory", lim)


def _target(target):
    """(path or None, file object or None) for a save target."""
    if isinstance(target, (str, os.PathLike)):
        return os.fspath(target), None
    if hasattr(target, "write"):
        return None, target
    raise TypeError("expected a path or a binary file object, not %s" % type(target).__name__)


# ---------------------------------------------------------------------------
# Tables


class ParamInfo(NamedTuple):
    """One parameter of the table: where it lives in the flat coefficients."""
    name: str
    layer: str
    layer_index: int
    layer_type: str
    key: str
    shape: tuple
    order: str
    offset: int
    length: int
    updater: object
    state_count: int
    assumed: bool


class LayerInfo(NamedTuple):
    """One layer (MultiLayerNetwork) or vertex (ComputationGraph)."""
    name: str
    layer_name: object
    layer_index: int
    type: str
    class_name: object
    first_param: int
    param_count: int
    offset: int
    length: int
    assumed: bool


class EntryInfo(NamedTuple):
    """One archive entry."""
    name: str
    size: int
    compressed_size: int
    method: int
    crc32: int


class SaveResult(NamedTuple):
    """What dlz.save wrote."""
    entries: list
    total_bytes: int
    saved_at_ms: int
    warnings: int


def _view(flat, info):
    """Parameter @info as a view of the flat coefficients (DL4J's shape and
    order, no copy)."""
    return flat[info.offset:info.offset + info.length].reshape(info.shape, order=info.order.upper())


def _place(flat, base, info, value, what):
    """Writes @value (any shape of the same size) where @info lives."""
    v = np.asarray(value)
    if v.size != info.length:
        raise MisuseError("%s %s: %d values, the table needs %s (%d values)" %
                          (what, info.name, v.size, list(info.shape), info.length), -1)
    flat[base:base + info.length] = v.reshape(info.shape).ravel(order=info.order.upper())


class UpdaterState(Mapping):
    """The optimizer state: a mapping "layer/key" -> {state name: array}
    ("m", "v" for Adam...), copied out by the library in each parameter's
    shape, and ``vector``, the flat state as stored (a read-only view)."""

    def __init__(self, vector, array, table):
        self.vector = vector
        self._array = array
        self._table = table
        self._items = None

    def _load(self):
        if self._items is None:
            items = OrderedDict()
            params = self._table.params()
            _, blocks = self._table.updater()
            for b in blocks:
                for i in range(b[1], b[1] + b[2]):
                    p = ParamInfo(*params[i])
                    items[p.name] = {s: _to_numpy(self._table.extract_state(i, k, self._array,
                                                                            p.order))
                                     for k, (s, _) in enumerate(b[5])}
            self._items = items
        return self._items

    def __getitem__(self, name):
        return self._load()[name]

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def __repr__(self):
        return "<dlz.UpdaterState %d values, %d parameters>" % (self.vector.size, len(self))


# ---------------------------------------------------------------------------
# Normalizers

_STRATEGIES = {0: None, 1: "standardize", 2: "min_max"}
_STRATEGY_CODES = {None: 0, "none": 0, "standardize": 1, "min_max": 2}
_NORM_TYPES = {"STANDARDIZE": 0, "MIN_MAX": 1, "IMAGE_MIN_MAX": 2, "MULTI_STANDARDIZE": 4,
               "MULTI_MIN_MAX": 5, "MULTI_HYBRID": 6, "CUSTOM": 7}


def _float_array(x, what):
    x = np.asarray(x)
    if x.dtype not in (np.float16, np.float32, np.float64):
        x = x.astype(np.float64)
    return _from_numpy(x, what)


class Normalizer:
    """A DL4J data normalizer (normalizer.bin): NormalizerStandardize,
    NormalizerMinMaxScaler, ImagePreProcessingScaler, the multi-input ones
    and MultiNormalizerHybrid.  ``transform``/``revert`` (and the
    ``_labels`` forms) apply DL4J's arithmetic to a NumPy array and return a
    new array; the statistics are read-only NumPy views."""

    def __init__(self, handle):
        self._n = handle
        self._info = handle.info()

    # construction -----------------------------------------------------
    @classmethod
    def decode(cls, data):
        """From normalizer.bin bytes."""
        return cls(_dlz.normalizer_decode(bytes(data)))

    @classmethod
    def standardize(cls, mean, std, label_mean=None, label_std=None):
        """NormalizerStandardize: (x - mean) / std."""
        arrs = [None if x is None else _float_array(x, "statistics")
                for x in (mean, std, label_mean, label_std)]
        return cls(_dlz.normalizer_new(0, *arrs))

    @classmethod
    def min_max(cls, min, max, label_min=None, label_max=None, target_min=0.0, target_max=1.0):
        """NormalizerMinMaxScaler: scales [min, max] to [target_min, target_max]."""
        arrs = [None if x is None else _float_array(x, "statistics")
                for x in (min, max, label_min, label_max)]
        return cls(_dlz.normalizer_new(1, *arrs, float(target_min), float(target_max)))

    @classmethod
    def image_min_max(cls, min_range=0.0, max_range=1.0, max_pixel_value=255.0):
        """ImagePreProcessingScaler(min_range, max_range) with maxPixelVal."""
        return cls(_dlz.normalizer_new(2, None, None, None, None, float(min_range),
                                       float(max_range), float(max_pixel_value)))

    @classmethod
    def multi_standardize(cls, means, stds, label_means=None, label_stds=None):
        """MultiNormalizerStandardize: one (mean, std) pair per input/output."""
        lists = [None if l is None else [_float_array(x, "statistics") for x in l]
                 for l in (means, stds, label_means, label_stds)]
        return cls(_dlz.normalizer_new(4, *lists))

    @classmethod
    def multi_min_max(cls, mins, maxs, label_mins=None, label_maxs=None, target_min=0.0,
                      target_max=1.0):
        """MultiNormalizerMinMaxScaler."""
        lists = [None if l is None else [_float_array(x, "statistics") for x in l]
                 for l in (mins, maxs, label_mins, label_maxs)]
        return cls(_dlz.normalizer_new(5, *lists, float(target_min), float(target_max)))

    @classmethod
    def hybrid(cls, inputs=None, outputs=None, global_input=None, global_output=None,
               input_strategies=None, output_strategies=None):
        """MultiNormalizerHybrid.  inputs/outputs: {index: ("standardize",
        mean, std) or ("min_max", min, max)}; global_*: None,
        "standardize" or ("min_max", min_range, max_range); *_strategies:
        {index: the same forms, or "none"}."""
        n = _dlz.normalizer_new(6)
        for labels, stats in ((0, inputs), (1, outputs)):
            for index, (kind, a, b) in (stats or {}).items():
                n.hybrid_set(0, labels, int(index), _STRATEGY_CODES[kind],
                             _float_array(a, "statistics"), _float_array(b, "statistics"), 0, 0)
        for labels, g in ((0, global_input), (1, global_output)):
            if g is not None:
                kind, lo, hi = (g, 0.0, 0.0) if isinstance(g, str) else g
                n.hybrid_set(1, labels, 0, _STRATEGY_CODES[kind], None, None, lo, hi)
        for labels, per in ((0, input_strategies), (1, output_strategies)):
            for index, s in (per or {}).items():
                kind, lo, hi = (s, 0.0, 0.0) if isinstance(s, str) else s
                n.hybrid_set(2, labels, int(index), _STRATEGY_CODES[kind], None, None, lo, hi)
        return cls(n)

    # fields -----------------------------------------------------------
    type = property(lambda self: self._info["type"],
                    doc='"STANDARDIZE", "MIN_MAX", "IMAGE_MIN_MAX", "MULTI_..." ...')
    java_class = property(lambda self: self._info["java_class"])
    fit_label = property(lambda self: self._info["fit_label"])
    num_inputs = property(lambda self: self._info["num_inputs"])
    num_outputs = property(lambda self: self._info["num_outputs"])

    @property
    def target_range(self):
        """(targetMin, targetMax) or (minRange, maxRange), or None."""
        return self._n.range()

    @property
    def max_pixel_value(self):
        return self._n.max_pixel_value()

    def stats(self, index=0, labels=False):
        """(kind, a, b) of input (output) @index: ("standardize", mean, std)
        or ("min_max", min, max); None when there are none."""
        s = self._n.stats(bool(labels), int(index))
        if s is None:
            return None
        return _STRATEGIES[s[0]], _to_numpy(s[1]), _to_numpy(s[2])

    def _stat(self, labels, which):
        s = self.stats(0, labels)
        return None if s is None else s[1 + which]

    mean = property(lambda self: self._stat(False, 0) if self.type == "STANDARDIZE" else None)
    std = property(lambda self: self._stat(False, 1) if self.type == "STANDARDIZE" else None)
    label_mean = property(lambda self: self._stat(True, 0) if self.type == "STANDARDIZE" else None)
    label_std = property(lambda self: self._stat(True, 1) if self.type == "STANDARDIZE" else None)
    min = property(lambda self: self._stat(False, 0) if self.type == "MIN_MAX" else None)
    max = property(lambda self: self._stat(False, 1) if self.type == "MIN_MAX" else None)
    label_min = property(lambda self: self._stat(True, 0) if self.type == "MIN_MAX" else None)
    label_max = property(lambda self: self._stat(True, 1) if self.type == "MIN_MAX" else None)

    @property
    def hybrid_maps(self):
        """MULTI_HYBRID: {"inputs"|"outputs": (stats, strategies, global)},
        entries as stored; None for other types."""
        h = self._n.hybrid()
        if h is None:
            return None
        out = {}
        for side, (stats, strat, glob) in h.items():
            out[side] = (
                [(i, _STRATEGIES[k], _to_numpy(a), _to_numpy(b)) for i, k, a, b in stats],
                [(i, _STRATEGIES[k] or "none", lo, hi) for i, k, lo, hi in strat],
                (_STRATEGIES[glob[0]], glob[1], glob[2]),
            )
        return out

    def to_dict(self):
        """The normalizer as the library renders it (dlz_normalizer_to_json)."""
        return json.loads(self._n.to_json())

    def encode(self):
        """normalizer.bin bytes, as DL4J's NormalizerSerializer writes them."""
        return self._n.encode()

    # transforms -------------------------------------------------------
    def _apply(self, op, x, index):
        x = np.asarray(x)
        if x.dtype not in (np.float32, np.float64):
            x = x.astype(np.float64)
        a = _from_numpy(x)
        self._n.apply(op, int(index), a)
        return np.asarray(memoryview(a))

    def transform(self, features, index=0):
        """DL4J's transform of features of input @index (a new array)."""
        return self._apply(0, features, index)

    def revert(self, features, index=0):
        """DL4J's revertFeatures."""
        return self._apply(1, features, index)

    def transform_labels(self, labels, index=0):
        """DL4J's transformLabel (unchanged when there are no label statistics)."""
        return self._apply(2, labels, index)

    def revert_labels(self, labels, index=0):
        """DL4J's revertLabels."""
        return self._apply(3, labels, index)

    def __repr__(self):
        return "<dlz.Normalizer %s>" % self.type


# ---------------------------------------------------------------------------
# Objects


def decode_object(data):
    """Java serialization bytes (an objects/<key> entry) -> a Python value."""
    return _java.from_tree(_dlz.value_decode(bytes(data)))


def encode_object(value):
    """A Python value -> Java serialization bytes, as ObjectOutputStream writes."""
    return _dlz.value_encode(_java.to_tree(value))


class _Objects(Mapping):
    """objects/<key> entries, decoded on first access."""

    def __init__(self, model, keys):
        self._model = model
        self._keys = keys
        self._cache = {}

    def __getitem__(self, key):
        if key not in self._cache:
            if key not in self._keys:
                raise KeyError(key)
            self._cache[key] = _java.from_tree(self._model._archive.read_object(key))
        return self._cache[key]

    def __iter__(self):
        return iter(self._keys)

    def __len__(self):
        return len(self._keys)

    def __repr__(self):
        return "<dlz objects %r>" % (self._keys,)


# ---------------------------------------------------------------------------
# Models


def _config_text(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class Model:
    """A DL4J model archive opened by dlz.load().  The archive stays open
    (one file descriptor) until close() or the model is freed, for the
    normalizer, the objects and the exports; the coefficients are read at
    load.  A model may be shared by threads."""

    def __init__(self, archive, updater):
        self._archive = archive
        kind, cfg, entries, keys = archive.header()
        if kind == "array":
            archive.close()
            raise MisuseError("a bare ND4J array file, not a model archive: use dlz.read_array()",
                              -1)
        self.kind = kind
        self.entries = [EntryInfo(*e) for e in entries]
        self._config_raw = cfg
        self._config = None
        self._coef = archive.read("coefficients")
        self.coefficients = _flat(_to_numpy(self._coef))
        self._updater_asked = updater
        self._updater = archive.read("updater") if updater else None
        self._updater_state = None
        self._object_keys = keys
        self._table = None
        self._network = None
        self._params = None
        self._normalizer = False
        self._objects = None

    # configuration ----------------------------------------------------
    @property
    def config_json(self):
        """configuration.json as text."""
        return _config_text(self._config_raw)

    @property
    def config(self):
        """configuration.json parsed (json.loads)."""
        if self._config is None:
            self._config = json.loads(self.config_json)
        return self._config

    @property
    def network(self):
        """The layer and graph description of the library (dlz_network_*):
        {"kind", "inputs", "outputs", "nodes"}, each node a dict with
        "name", "layer_name", "index", "type", "base_type", "class_name",
        "known", "preprocessor", "inputs" (names, in order), "attrs" (name:
        int, float, bool, str or a tuple), "unknown" (fields and classes not
        understood, by name), "in_shape" and "out_shape" (None, or
        {"shape": batch-first dims with -1 where unknown, "format"})."""
        if self._network is None:
            self._network = _dlz.network(self._config_raw)
        return self._network

    # parameters -------------------------------------------------------
    def _get_table(self):
        if self._table is None:
            t = _dlz.params_parse(self._config_raw, 0)
            t.check(self._coef)
            self._table = t
        return self._table

    @property
    def param_info(self):
        """The parameter table: a list of ParamInfo, in DL4J's order."""
        return [ParamInfo(*p) for p in self._get_table().params()]

    @property
    def layers(self):
        """Layers (vertices), parameterless ones included: LayerInfo."""
        return [LayerInfo(*l) for l in self._get_table().layers()]

    @property
    def params(self):
        """An ordered, read-only mapping "layer/key" -> NumPy array (DL4J's
        shape and order, the stored dtype): views of the coefficients."""
        if self._params is None:
            infos = self.param_info
            d = OrderedDict()
            for info in infos:
                d[info.name] = _view(self.coefficients, info)
            self._params = _ReadOnlyMapping(d)
        return self._params

    def param(self, name, order="c"):
        """Parameter @name: order "c" (row-major) or "f" (column-major)
        gives an array in that memory order (the view when it is already,
        else a copy); None gives the stored view."""
        v = self.params[name]
        if order is None:
            return v
        if order.lower() == "c":
            return np.ascontiguousarray(v)
        if order.lower() == "f":
            return np.asfortranarray(v)
        raise ValueError('order must be "c", "f" or None')

    # updater ----------------------------------------------------------
    @property
    def has_updater_state(self):
        """Whether the archive holds updaterState.bin."""
        return any(e.name == "updaterState.bin" for e in self.entries)

    @property
    def updater_state(self):
        """The optimizer state (UpdaterState), None when the archive has
        none.  Read only when the model was loaded with updater=True."""
        if not self._updater_asked:
            raise MisuseError("the updater state is read only when asked for: "
                              "dlz.load(..., updater=True)", -1)
        if self._updater is None:
            return None
        if self._updater_state is None:
            t = self._get_table()
            t.updater_check(self._updater)
            self._updater_state = UpdaterState(_flat(_to_numpy(self._updater)), self._updater, t)
        return self._updater_state

    # normalizer and objects -------------------------------------------
    @property
    def normalizer(self):
        """normalizer.bin decoded (Normalizer), or None."""
        if self._normalizer is False:
            n = self._archive.read_normalizer()
            self._normalizer = None if n is None else Normalizer(n)
        return self._normalizer

    @property
    def normalizer_bytes(self):
        """normalizer.bin as bytes, or None."""
        return self._archive.read_raw(None)

    @property
    def objects(self):
        """objects/<key> entries: a mapping key -> Python value, Java types
        kept (see dlz._java), decoded on first access."""
        if self._objects is None:
            self._objects = _Objects(self, list(self._object_keys))
        return self._objects

    def object_bytes(self, key):
        """objects/<key> as Java serialization bytes."""
        return self._archive.read_raw(key)

    # conversions ------------------------------------------------------
    def _export(self, path, fmt, updater, normalizer):
        flags = (_dlz.EXPORT_UPDATER if updater else 0) | (
            _dlz.EXPORT_NORMALIZER if normalizer else 0)
        p, f = _target(path) if path is not None else (None, None)
        data = self._archive.export(p, fmt, flags)
        if f is not None:
            f.write(data)
            return None
        return data

    def to_safetensors(self, path=None, *, updater=False, normalizer=False):
        """Writes the parameters (and the optimizer state, the normalizer's
        statistics) as safetensors, as `dlz export` does; to @path
        (atomically; a path or a binary file object) or, without one,
        returns the bytes."""
        return self._export(path, _dlz.FORMAT_SAFETENSORS, updater, normalizer)

    def to_npz(self, path=None, *, updater=False, normalizer=False):
        """As to_safetensors(), a NumPy .npz archive (numpy.load reads it)."""
        return self._export(path, _dlz.FORMAT_NPZ, updater, normalizer)

    def to_onnx(self, path=None):
        """The network as an ONNX model (opset 17), as `dlz export --format
        onnx` writes it: to @path (atomically) or, without one, the bytes.
        A layer the exporter does not translate exactly raises
        UnsupportedError naming it."""
        return self._export(path, _dlz.FORMAT_ONNX, False, False)

    # lifetime ---------------------------------------------------------
    def close(self):
        """Closes the archive; arrays already returned stay valid."""
        self._archive.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        n = 0 if self.coefficients is None else self.coefficients.size
        return "<dlz.Model %s, %d parameters>" % (self.kind, n)


class _ReadOnlyMapping(Mapping):
    def __init__(self, d):
        self._d = d

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __repr__(self):
        return "{%s}" % ", ".join("%r: %s%s" % (k, v.dtype, list(v.shape))
                                  for k, v in self._d.items())


_LIMITS = {"entry_size": 0, "array_bytes": 1, "config_size": 2, "entries": 3,
           "spool_memory": 4, "spool_total": 5, "raw_entry": 6, "json_nodes": 7,
           "json_depth": 8, "compression_ratio": 9}


def _limits(limits):
    return {_LIMITS[k]: int(v) for k, v in (limits or {}).items()}


def load(source, *, updater=False, limits=None):
    """Opens a model archive: a path, a binary file object or bytes.  The
    updater state is read only with updater=True.  limits: reader limits by
    name (array_bytes, entry_size, config_size, ...; see dlz_reader_set_limit)."""
    return Model(_open(source, _limits(limits)), updater)


def read_array(source, *, limits=None):
    """A bare ND4J array file (Nd4j.write) as a read-only NumPy array."""
    archive = _open(source, _limits(limits))
    try:
        kind = archive.header()[0]
        if kind != "array":
            raise MisuseError("a model archive, not a bare ND4J array file: use dlz.load()", -1)
        return _to_numpy(archive.read("array"))
    finally:
        archive.close()


_GENERATIONS = {"mixed": 4, "javacpp": 2}


def write_array(target, array, *, generation="mixed"):
    """Writes one NumPy array as a bare ND4J array file (what Nd4j.write
    writes; generation "javacpp" for DL4J before 1.0.0-beta4: float16,
    float32 and float64 only).  A path is replaced atomically."""
    fmt = {"mixed": _dlz.FORMAT_ND4J, "javacpp": _dlz.FORMAT_ND4J_JAVACPP}.get(generation)
    if fmt is None:
        raise ValueError('generation must be "mixed" or "javacpp"')
    path, f = _target(target)
    data = _dlz.write_array(path, _from_numpy(array), fmt)
    if f is not None:
        f.write(data)


_PARTS = {"configuration": 0x01, "coefficients": 0x02, "updater": 0x04, "normalizer": 0x08,
          "objects": 0x10, "all": 0x1f}


def _compression(c):
    """[(parts, method, level)] from None, "store", "deflate", a level 1..9
    or {part: "store" | "deflate" | level}."""
    def one(v):
        if v == "store" or v == 0:
            return 0, 0
        if v == "deflate":
            return 8, 6
        if isinstance(v, int) and 1 <= v <= 9:
            return 8, v
        raise ValueError('compression: "store", "deflate" or a level 1..9, not %r' % (v,))
    if c is None:
        return []
    if isinstance(c, Mapping):
        return [(_PARTS[p], *one(v)) for p, v in c.items()]
    return [(0x1f, *one(c))]


def _config_bytes(config):
    if isinstance(config, (bytes, bytearray)):
        return bytes(config)
    if isinstance(config, str):
        return config.encode("utf-8")
    return json.dumps(config, indent=2).encode("utf-8")


def _coefficients(table, params):
    """The flat coefficients from a vector or a mapping "layer/key" -> array."""
    if params is None:
        return None
    if not isinstance(params, Mapping):
        v = np.asarray(params)
        return v.reshape(-1)
    infos = [ParamInfo(*p) for p in table.params()]
    names = {i.name for i in infos}
    missing = [i.name for i in infos if i.name not in params]
    extra = [k for k in params if k not in names]
    if missing or extra:
        raise MisuseError("params do not match the configuration's table: missing %s, unknown %s"
                          % (missing, extra), -1)
    if not infos:
        return None
    dtypes = {np.asarray(params[i.name]).dtype for i in infos}
    if len(dtypes) != 1:
        raise MisuseError("params have several dtypes: %s" % sorted(map(str, dtypes)), -1)
    flat = np.empty(table.info()[1], dtype=dtypes.pop())
    for i in infos:
        _place(flat, i.offset, i, params[i.name], "parameter")
    return flat


def _updater_vector(table, state, dtype):
    """The flat updater state from a vector, an UpdaterState or a mapping
    "layer/key" -> {state name: array}."""
    if state is None:
        return None
    if isinstance(state, UpdaterState):
        return state.vector
    if not isinstance(state, Mapping):
        return np.asarray(state).reshape(-1)
    total, blocks = table.updater()
    params = table.params()
    flat = np.zeros(total, dtype=dtype)
    for b in blocks:
        for i in range(b[1], b[1] + b[2]):
            p = ParamInfo(*params[i])
            states = state[p.name]
            for name, offset in b[5]:
                _place(flat, offset + p.offset - b[3], p, states[name], "updater state")
    return flat


def save(target, config, params, *, updater_state=None, normalizer=None, objects=None,
         generation="mixed", compression=None, mtime=None):
    """Writes a model archive DL4J restores.

    target: a path (written atomically and durably: temporary file, fsync,
    rename) or a binary file object.  config: configuration.json as a dict
    (the parsed JSON), str or bytes.  params: a mapping "layer/key" ->
    array (every parameter of the configuration's table, in any shape of
    the right size), the flat coefficients vector, or None (no parameters).
    updater_state: a mapping "layer/key" -> {state: array}, an
    UpdaterState, the flat vector, or None.  normalizer: a Normalizer or
    normalizer.bin bytes.  objects: a mapping key -> Python value (see
    dlz._java) or bytes of a Java serialization stream wrapped in
    JavaOpaque.  generation: "mixed" (DL4J 1.0.0-beta4 and later) or
    "javacpp" (every DL4J).  compression: None (libdlz's defaults),
    "store", "deflate", a level 1..9 or {part: ...}.  Returns a SaveResult.
    """
    gen = _GENERATIONS.get(generation)
    if gen is None:
        raise ValueError('generation must be "mixed" or "javacpp"')
    cfg = _config_bytes(config)
    table = None
    if isinstance(params, Mapping) or isinstance(updater_state, Mapping) and not isinstance(
            updater_state, UpdaterState):
        table = _dlz.params_parse(cfg, 0)
    coef = _coefficients(table, params)
    upd = _updater_vector(table, updater_state, coef.dtype if coef is not None else np.float32)
    if isinstance(normalizer, Normalizer):
        norm = normalizer.encode()
    elif normalizer is None:
        norm = None
    else:
        norm = bytes(normalizer)
    objs = [(k, encode_object(v)) for k, v in (objects or {}).items()]
    path, f = _target(target)
    res, data = _dlz.save(path, cfg, None if coef is None else _from_numpy(coef, "coefficients"),
                          None if upd is None else _from_numpy(upd, "updater state"), norm, objs,
                          gen, _compression(compression), mtime)
    if f is not None:
        f.write(data)
    entries, total, at, warnings = res
    return SaveResult([EntryInfo(*e) for e in entries], total, at, warnings)


# ---------------------------------------------------------------------------
# Editing in place


class Editor:
    """Changes to an archive, staged and written at commit() atomically (the
    archive's lock is taken at commit; unchanged entries are copied as they
    are).  As a context manager it commits when the block ends without an
    exception.  Mirrors `dlz normalizer set/rm`, `dlz objects put/rm` and
    `dlz strip-updater`."""

    def __init__(self, path, *, lock_timeout=0, mtime=None):
        self.path = os.fspath(path)
        self.lock_timeout = int(lock_timeout * 1000) if lock_timeout >= 0 else -1
        self.mtime = mtime
        self._ops = []

    def set_normalizer(self, normalizer):
        data = normalizer.encode() if isinstance(normalizer, Normalizer) else bytes(normalizer)
        self._ops.append(("set_normalizer", data))
        return self

    def remove_normalizer(self):
        self._ops.append(("remove_normalizer",))
        return self

    def put_object(self, key, value):
        data = value.data if isinstance(value, JavaOpaque) else encode_object(value)
        self._ops.append(("put_object", key, data))
        return self

    def remove_object(self, key):
        self._ops.append(("remove_object", key))
        return self

    def set_updater(self, vector):
        self._ops.append(("set_updater", _from_numpy(np.asarray(vector).reshape(-1))))
        return self

    def strip_updater(self):
        self._ops.append(("remove_updater",))
        return self

    def commit(self, to=None):
        """Writes the changes over the archive (or to @to, leaving it alone)."""
        ops, self._ops = self._ops, []
        _dlz.edit(self.path, ops, None if to is None else os.fspath(to), self.lock_timeout,
                  self.mtime)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *rest):
        if exc_type is None:
            self.commit()


def edit(path, **kw):
    """An Editor for the archive at @path."""
    return Editor(path, **kw)


def set_normalizer(path, normalizer):
    """Attaches (or replaces) normalizer.bin in place."""
    Editor(path).set_normalizer(normalizer).commit()


def remove_normalizer(path):
    """Removes normalizer.bin in place."""
    Editor(path).remove_normalizer().commit()


def put_object(path, key, value):
    """Adds or replaces objects/<key> in place."""
    Editor(path).put_object(key, value).commit()


def remove_object(path, key):
    """Removes objects/<key> in place."""
    Editor(path).remove_object(key).commit()


def strip_updater(path):
    """Removes updaterState.bin in place."""
    Editor(path).strip_updater().commit()
