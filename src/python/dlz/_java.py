"""Java values of objects/<key> entries as Python values, and back.

Decoding keeps the Java type of every value:

=====================  =========================================
Java                   Python
=====================  =========================================
null                   None
String                 str
Boolean                bool
Integer, Long          JavaInteger, JavaLong (int subclasses)
Short, Byte            JavaShort, JavaByte (int subclasses)
Double, Float          JavaDouble, JavaFloat (float subclasses)
Character              JavaChar (a str of one UTF-16 code unit)
byte[]                 bytes
short[] int[] long[]   numpy arrays int16, int32, int64
float[] double[]       numpy arrays float32, float64
boolean[] char[]       numpy arrays bool, uint16
String[], Object[]     JavaStringArray, JavaObjectArray (lists)
ArrayList              list
HashMap                dict
LinkedHashMap          JavaLinkedHashMap (a dict)
other classes          JavaOpaque (class name and stream bytes)
=====================  =========================================

A map whose keys Python cannot hold in a dict (arrays, lists, or keys that
are equal in Python but not in Java, such as Integer 1 and Long 1) decodes
to JavaMapItems, a list of (key, value) pairs.

Encoding takes the same types, and also: int (Integer when it fits in 32
bits, else Long), float (Double), bytearray (byte[]), tuple (ArrayList),
numpy scalars (int8 Byte, int16 Short, int32 Integer, int64 Long, float32
Float, float64 Double, bool Boolean) and 1-d numpy arrays of the dtypes
above.
"""

import numpy as np

__all__ = [
    "JavaInteger", "JavaLong", "JavaShort", "JavaByte", "JavaDouble", "JavaFloat", "JavaChar",
    "JavaStringArray", "JavaObjectArray", "JavaLinkedHashMap", "JavaMapItems", "JavaOpaque",
]

# dlz_value_type codes (dlz.h)
T_NULL, T_STRING, T_INT, T_LONG, T_DOUBLE, T_FLOAT, T_SHORT, T_BYTE, T_BOOLEAN, T_CHAR = range(10)
T_BYTE_ARRAY, T_SHORT_ARRAY, T_INT_ARRAY, T_LONG_ARRAY = 10, 11, 12, 13
T_FLOAT_ARRAY, T_DOUBLE_ARRAY, T_BOOLEAN_ARRAY, T_CHAR_ARRAY = 14, 15, 16, 17
T_STRING_ARRAY, T_OBJECT_ARRAY, T_LIST, T_MAP, T_LINKED_MAP, T_OPAQUE = 18, 19, 20, 21, 22, 23
MAX_DEPTH = 256


class _JavaInt(int):
    java_class = ""

    def __repr__(self):
        return "%s(%d)" % (type(self).__name__, int(self))


class JavaInteger(_JavaInt):
    """java.lang.Integer"""
    java_class = "java.lang.Integer"


class JavaLong(_JavaInt):
    """java.lang.Long"""
    java_class = "java.lang.Long"


class JavaShort(_JavaInt):
    """java.lang.Short"""
    java_class = "java.lang.Short"


class JavaByte(_JavaInt):
    """java.lang.Byte"""
    java_class = "java.lang.Byte"


class JavaDouble(float):
    """java.lang.Double"""
    java_class = "java.lang.Double"

    def __repr__(self):
        return "JavaDouble(%r)" % float(self)


class JavaFloat(float):
    """java.lang.Float (the value is a float32 held as a Python float)"""
    java_class = "java.lang.Float"

    def __repr__(self):
        return "JavaFloat(%r)" % float(self)


class JavaChar(str):
    """java.lang.Character: one UTF-16 code unit"""
    java_class = "java.lang.Character"

    def __new__(cls, value):
        s = chr(value) if isinstance(value, int) else str(value)
        if len(s) != 1 or ord(s) > 0xFFFF:
            raise ValueError("a Java char is one UTF-16 code unit")
        return super().__new__(cls, s)


class JavaStringArray(list):
    """String[] (items str or None)"""
    java_class = "[Ljava.lang.String;"


class JavaObjectArray(list):
    """Object[]"""
    java_class = "[Ljava.lang.Object;"


class JavaLinkedHashMap(dict):
    """java.util.LinkedHashMap (a dict, in the map's order)"""
    java_class = "java.util.LinkedHashMap"


class JavaMapItems(list):
    """A HashMap (linked=False) or LinkedHashMap (linked=True) whose keys a
    dict cannot hold: a list of (key, value) pairs in the map's order."""

    def __init__(self, items=(), linked=False):
        super().__init__(items)
        self.linked = linked

    @property
    def java_class(self):
        return "java.util.LinkedHashMap" if self.linked else "java.util.HashMap"


class JavaOpaque:
    """A serialization stream holding a class dlz does not decode, kept as
    bytes: java_class names the first such class, data is the whole stream
    (written back verbatim, only as a whole object entry)."""

    def __init__(self, java_class, data):
        self.java_class = java_class
        self.data = bytes(data)

    def __eq__(self, other):
        return (isinstance(other, JavaOpaque) and other.java_class == self.java_class and
                other.data == self.data)

    def __hash__(self):
        return hash((self.java_class, self.data))

    def __repr__(self):
        return "JavaOpaque(%r, <%d bytes>)" % (self.java_class, len(self.data))


_ARRAY_DTYPES = {
    T_SHORT_ARRAY: np.int16, T_INT_ARRAY: np.int32, T_LONG_ARRAY: np.int64,
    T_FLOAT_ARRAY: np.float32, T_DOUBLE_ARRAY: np.float64, T_BOOLEAN_ARRAY: np.bool_,
    T_CHAR_ARRAY: np.uint16,
}
_DTYPE_ARRAYS = {np.dtype(v): k for k, v in _ARRAY_DTYPES.items()}
_DTYPE_ARRAYS[np.dtype(np.int8)] = T_BYTE_ARRAY
_SCALARS = {
    T_INT: JavaInteger, T_LONG: JavaLong, T_SHORT: JavaShort, T_BYTE: JavaByte,
    T_DOUBLE: JavaDouble, T_FLOAT: JavaFloat,
}
_SCALAR_TYPES = {cls: code for code, cls in _SCALARS.items()}
_NP_SCALARS = {
    np.dtype(np.int8): T_BYTE, np.dtype(np.int16): T_SHORT, np.dtype(np.int32): T_INT,
    np.dtype(np.int64): T_LONG, np.dtype(np.float32): T_FLOAT, np.dtype(np.float64): T_DOUBLE,
}


def from_tree(tree):
    """(type, payload) tuples of the extension -> Python values."""
    t, p = tree
    if t == T_NULL:
        return None
    if t == T_STRING:
        return p
    if t in _SCALARS:
        return _SCALARS[t](p)
    if t == T_BOOLEAN:
        return bool(p)
    if t == T_CHAR:
        return JavaChar(p)
    if t == T_BYTE_ARRAY:
        return bytes(p)
    if t in _ARRAY_DTYPES:
        return np.frombuffer(p, dtype=_ARRAY_DTYPES[t])
    if t == T_STRING_ARRAY:
        return JavaStringArray(from_tree(x) for x in p)
    if t == T_OBJECT_ARRAY:
        return JavaObjectArray(from_tree(x) for x in p)
    if t == T_LIST:
        return [from_tree(x) for x in p]
    if t in (T_MAP, T_LINKED_MAP):
        pairs = [(from_tree(k), from_tree(v)) for k, v in p]
        d = JavaLinkedHashMap() if t == T_LINKED_MAP else {}
        try:
            for k, v in pairs:
                d[k] = v
        except TypeError:
            d = None
        if d is None or len(d) != len(pairs):
            return JavaMapItems(pairs, linked=(t == T_LINKED_MAP))
        return d
    if t == T_OPAQUE:
        return JavaOpaque(p[0], p[1])
    raise ValueError("unknown Java value type %d" % t)


def to_tree(v, depth=1):
    """Python values -> (type, payload) tuples for the extension."""
    if depth > MAX_DEPTH:
        raise ValueError("a Java value nests at most %d levels" % MAX_DEPTH)
    if v is None:
        return (T_NULL, None)
    if isinstance(v, (bool, np.bool_)):
        return (T_BOOLEAN, int(bool(v)))
    if isinstance(v, JavaChar):
        return (T_CHAR, ord(v))
    if isinstance(v, str):
        return (T_STRING, v)
    for cls, code in _SCALAR_TYPES.items():
        if isinstance(v, cls):
            return (code, float(v) if code in (T_DOUBLE, T_FLOAT) else int(v))
    if isinstance(v, np.generic):
        code = _NP_SCALARS.get(v.dtype)
        if code is None:
            raise TypeError("no Java type for a numpy %s scalar" % v.dtype)
        return (code, v.item())
    if isinstance(v, int):
        return (T_INT if -2**31 <= v < 2**31 else T_LONG, v)
    if isinstance(v, float):
        return (T_DOUBLE, v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return (T_BYTE_ARRAY, bytes(v))
    if isinstance(v, np.ndarray):
        code = _DTYPE_ARRAYS.get(v.dtype.newbyteorder("=")) if v.dtype.isnative else None
        if v.ndim != 1 or code is None:
            raise TypeError("no Java array type for a numpy array of dtype %s and %d dims" %
                            (v.dtype, v.ndim))
        return (code, np.ascontiguousarray(v).tobytes())
    if isinstance(v, JavaOpaque):
        return (T_OPAQUE, (v.java_class, v.data))
    if isinstance(v, JavaMapItems):
        return (T_LINKED_MAP if v.linked else T_MAP,
                [(to_tree(k, depth + 1), to_tree(x, depth + 1)) for k, x in v])
    if isinstance(v, dict):
        return (T_LINKED_MAP if isinstance(v, JavaLinkedHashMap) else T_MAP,
                [(to_tree(k, depth + 1), to_tree(x, depth + 1)) for k, x in v.items()])
    if isinstance(v, JavaStringArray):
        return (T_STRING_ARRAY, [to_tree(x, depth + 1) for x in v])
    if isinstance(v, JavaObjectArray):
        return (T_OBJECT_ARRAY, [to_tree(x, depth + 1) for x in v])
    if isinstance(v, (list, tuple)):
        return (T_LIST, [to_tree(x, depth + 1) for x in v])
    raise TypeError("no Java type for a %s" % type(v).__name__)
