/*
 * _dlz.c - the C extension module under the Python package dlz.
 *
 * A thin layer over the public API of libdlz (dlz.h only, like the tool):
 * the Python package (dlz/__init__.py) builds the Pythonic interface on it.
 *
 *  - Array: owns (or borrows from an owner object) a dlz_array and exports
 *    its buffer through the buffer protocol, read-only unless the array was
 *    made here to be filled; numpy.asarray(memoryview(a)) views it without
 *    a copy.  BFLOAT16 is exported as uint16 bits ("H").
 *  - Archive: an open dlz_reader.  Every call on it takes the archive's
 *    lock with the GIL released, so threads may share a model.
 *  - Params: a parameter table (dlz_params).
 *  - Normalizer: a dlz_normalizer, decoded or constructed.
 *  - save(), edit(), write_array(), value_decode(), value_encode(): one call
 *    each, the GIL released around the library's I/O.
 *
 * Errors are raised through the factory the package registers
 * (set_error_factory): factory(code, message, errno) returns the exception.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "dlz.h"

#define ERRLEN 512

static PyObject *error_factory;

/* Raises the package's exception for @p code with @p msg; returns NULL. */
static PyObject *raise_code(int code, const char *msg, int sys) {
    if (code == DLZ_ENOMEM) {
        msg = "out of memory";
    }
    if (msg == NULL || msg[0] == '\0') {
        msg = dlz_strerror(code);
    }
    if (error_factory == NULL) {
        PyErr_SetString(PyExc_RuntimeError, msg);
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(error_factory, "isi", code, msg, sys);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static PyObject *set_error_factory(PyObject *self, PyObject *f) {
    (void)self;
    Py_XINCREF(f);
    Py_XSETREF(error_factory, f);
    Py_RETURN_NONE;
}

/* Bytes the library handed over (released here, also on failure). */
static PyObject *take_bytes(void *buf, size_t len) {
    PyObject *r = PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
    dlz_free(buf);
    return r;
}

/* Copies a handle's message (valid only until the next call on it). */
static void keep_msg(char *dst, const char *src) {
    snprintf(dst, ERRLEN, "%s", src != NULL ? src : "");
}

/* ------------------------------------------------------------------------ */
/* Array                                                                     */

typedef struct {
    PyObject_HEAD dlz_array *a; /* owned unless owner is set */
    PyObject *owner;            /* keeps a borrowed array alive */
    int writable;
    Py_ssize_t shape[DLZ_MAX_RANK];
    Py_ssize_t strides[DLZ_MAX_RANK];
} ArrayObject;

static PyTypeObject ArrayType;

static const char *dtype_format(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return "d";
    case DLZ_DTYPE_FLOAT:
        return "f";
    case DLZ_DTYPE_HALF:
        return "e";
    case DLZ_DTYPE_LONG:
        return "q";
    case DLZ_DTYPE_INT:
        return "i";
    case DLZ_DTYPE_SHORT:
        return "h";
    case DLZ_DTYPE_UBYTE:
        return "B";
    case DLZ_DTYPE_BYTE:
        return "b";
    case DLZ_DTYPE_BOOL:
        return "?";
    case DLZ_DTYPE_BFLOAT16:
    case DLZ_DTYPE_UINT16:
        return "H";
    case DLZ_DTYPE_UINT32:
        return "I";
    case DLZ_DTYPE_UINT64:
        return "Q";
    }
    return NULL;
}

/* Wraps @p a: owned when @p owner is NULL (freed with the object, also when
   this fails), else borrowed from @p owner. */
static PyObject *array_wrap(dlz_array *a, PyObject *owner, int writable) {
    ArrayObject *o = PyObject_New(ArrayObject, &ArrayType);
    if (o == NULL) {
        if (owner == NULL) {
            dlz_array_free(a);
        }
        return NULL;
    }
    o->a = a;
    o->owner = owner;
    Py_XINCREF(owner);
    o->writable = writable;
    size_t w = dlz_dtype_size(dlz_array_dtype(a));
    int rank = dlz_array_rank(a);
    for (int k = 0; k < rank; k++) {
        o->shape[k] = (Py_ssize_t)dlz_array_shape(a)[k];
        o->strides[k] = (Py_ssize_t)(dlz_array_strides(a)[k] * (int64_t)w);
    }
    return (PyObject *)o;
}

static void array_dealloc(ArrayObject *o) {
    if (o->owner == NULL) {
        dlz_array_free(o->a);
    }
    Py_XDECREF(o->owner);
    PyObject_Free(o);
}

/* 1 when the array's elements are laid out densely in row-major order. */
static int array_c_contiguous(const ArrayObject *o, Py_ssize_t itemsize) {
    Py_ssize_t want = itemsize;
    for (int k = dlz_array_rank(o->a) - 1; k >= 0; k--) {
        if (o->shape[k] > 1 && o->strides[k] != want) {
            return 0;
        }
        want *= o->shape[k];
    }
    return 1;
}

static int array_getbuffer(ArrayObject *o, Py_buffer *view, int flags) {
    if ((flags & PyBUF_WRITABLE) && !o->writable) {
        PyErr_SetString(PyExc_BufferError, "dlz arrays read from files are read-only");
        return -1;
    }
    int contiguous = array_c_contiguous(o, (Py_ssize_t)dlz_dtype_size(dlz_array_dtype(o->a)));
    if (!contiguous && ((flags & PyBUF_STRIDES) != PyBUF_STRIDES ||
                        (flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS ||
                        (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS ||
                        (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS)) {
        PyErr_SetString(PyExc_BufferError, "the array is not contiguous: ask for strides");
        return -1;
    }
    dlz_dtype t = dlz_array_dtype(o->a);
    view->obj = (PyObject *)o;
    Py_INCREF(o);
    view->buf = dlz_array_data(o->a);
    view->itemsize = (Py_ssize_t)dlz_dtype_size(t);
    view->len = (Py_ssize_t)dlz_array_length(o->a) * view->itemsize;
    view->readonly = !o->writable;
    view->format = (flags & PyBUF_FORMAT) ? (char *)dtype_format(t) : NULL;
    view->ndim = dlz_array_rank(o->a);
    view->shape = view->ndim > 0 && (flags & PyBUF_ND) == PyBUF_ND ? o->shape : NULL;
    view->strides = view->ndim > 0 && (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? o->strides : NULL;
    if ((flags & PyBUF_ND) != PyBUF_ND) {
        view->ndim = 1;
    }
    view->suboffsets = NULL;
    view->internal = NULL;
    if (view->buf == NULL) {
        /* an empty array: any valid pointer */
        view->buf = (void *)&view->len;
    }
    return 0;
}

static PyObject *array_get_dtype(ArrayObject *o, void *c) {
    (void)c;
    return PyUnicode_FromString(dlz_dtype_name(dlz_array_dtype(o->a)));
}

static PyObject *array_get_order(ArrayObject *o, void *c) {
    (void)c;
    char ord = dlz_array_order(o->a);
    return PyUnicode_FromStringAndSize(&ord, 1);
}

static PyObject *array_get_generation(ArrayObject *o, void *c) {
    (void)c;
    return PyUnicode_FromString(dlz_generation_name(dlz_array_generation(o->a)));
}

static PyObject *array_get_compressed(ArrayObject *o, void *c) {
    (void)c;
    return PyBool_FromLong(dlz_array_was_compressed(o->a));
}

static PyGetSetDef array_getset[] = {
    {"dtype", (getter)array_get_dtype, NULL, "DL4J's name of the data type", NULL},
    {"order", (getter)array_get_order, NULL, "order letter recorded in the file", NULL},
    {"generation", (getter)array_get_generation, NULL, "record generation", NULL},
    {"was_compressed", (getter)array_get_compressed, NULL, "stored GZIP-compressed", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyBufferProcs array_as_buffer = {(getbufferproc)array_getbuffer, NULL};

static PyTypeObject ArrayType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dlz._dlz.Array",
    .tp_basicsize = sizeof(ArrayObject),
    .tp_dealloc = (destructor)array_dealloc,
    .tp_as_buffer = &array_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A libdlz array (buffer protocol; use numpy.asarray(memoryview(a)))",
    .tp_getset = array_getset,
};

static dlz_array *as_array(PyObject *o) {
    if (!PyObject_TypeCheck(o, &ArrayType)) {
        PyErr_SetString(PyExc_TypeError, "expected a dlz._dlz.Array");
        return NULL;
    }
    return ((ArrayObject *)o)->a;
}

/* array_new(dtype, shape, order) -> a new zeroed, writable Array. */
static PyObject *py_array_new(PyObject *self, PyObject *args) {
    (void)self;
    int dtype, order;
    PyObject *shape;
    if (!PyArg_ParseTuple(args, "iOC", &dtype, &shape, &order)) {
        return NULL;
    }
    PyObject *seq = PySequence_Fast(shape, "shape must be a sequence");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t rank = PySequence_Fast_GET_SIZE(seq);
    int64_t dims[DLZ_MAX_RANK];
    if (rank > DLZ_MAX_RANK) {
        Py_DECREF(seq);
        return raise_code(DLZ_EMISUSE, "rank above 32", 0);
    }
    for (Py_ssize_t k = 0; k < rank; k++) {
        dims[k] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, k));
        if (dims[k] == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    char err[ERRLEN];
    dlz_array *a = NULL;
    int rc = dlz_array_new((dlz_dtype)dtype, (int)rank, dims, (char)order, &a, err, sizeof err);
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    return array_wrap(a, NULL, 1);
}

/* ------------------------------------------------------------------------ */
/* Java values: trees <-> (type, payload) tuples                             */

static PyObject *value_to_py(const dlz_value *v) {
    dlz_value_type t = dlz_value_type_of(v);
    PyObject *payload = NULL;
    size_t n = 0;
    switch (t) {
    case DLZ_VALUE_NULL:
        payload = Py_None;
        Py_INCREF(payload);
        break;
    case DLZ_VALUE_STRING: {
        const char *s = dlz_value_string(v, &n);
        payload = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "surrogatepass");
        break;
    }
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_BOOLEAN:
    case DLZ_VALUE_CHAR:
        payload = PyLong_FromLongLong(dlz_value_integer(v));
        break;
    case DLZ_VALUE_DOUBLE:
    case DLZ_VALUE_FLOAT:
        payload = PyFloat_FromDouble(dlz_value_real(v));
        break;
    case DLZ_VALUE_BYTE_ARRAY:
    case DLZ_VALUE_SHORT_ARRAY:
    case DLZ_VALUE_INT_ARRAY:
    case DLZ_VALUE_LONG_ARRAY:
    case DLZ_VALUE_FLOAT_ARRAY:
    case DLZ_VALUE_DOUBLE_ARRAY:
    case DLZ_VALUE_BOOLEAN_ARRAY:
    case DLZ_VALUE_CHAR_ARRAY: {
        static const size_t width[] = {1, 2, 4, 8, 4, 8, 1, 2};
        const void *d = dlz_value_array_data(v, &n);
        payload =
            PyByteArray_FromStringAndSize(d, (Py_ssize_t)(n * width[t - DLZ_VALUE_BYTE_ARRAY]));
        break;
    }
    case DLZ_VALUE_STRING_ARRAY:
    case DLZ_VALUE_OBJECT_ARRAY:
    case DLZ_VALUE_LIST:
        n = dlz_value_count(v);
        payload = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; payload != NULL && i < n; i++) {
            PyObject *item = value_to_py(dlz_value_item(v, i));
            if (item == NULL) {
                Py_CLEAR(payload);
                break;
            }
            PyList_SET_ITEM(payload, (Py_ssize_t)i, item);
        }
        break;
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP:
        n = dlz_value_count(v);
        payload = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; payload != NULL && i < n; i++) {
            PyObject *k = value_to_py(dlz_value_map_key(v, i));
            PyObject *val = k != NULL ? value_to_py(dlz_value_map_value(v, i)) : NULL;
            PyObject *pair = val != NULL ? PyTuple_Pack(2, k, val) : NULL;
            Py_XDECREF(k);
            Py_XDECREF(val);
            if (pair == NULL) {
                Py_CLEAR(payload);
                break;
            }
            PyList_SET_ITEM(payload, (Py_ssize_t)i, pair);
        }
        break;
    case DLZ_VALUE_OPAQUE: {
        const void *b = dlz_value_opaque_bytes(v, &n);
        payload = Py_BuildValue("(sy#)", dlz_value_opaque_class(v), b, (Py_ssize_t)n);
        break;
    }
    }
    if (payload == NULL) {
        return NULL;
    }
    PyObject *r = Py_BuildValue("(iN)", (int)t, payload);
    return r;
}

/* Builds a tree from (type, payload) tuples; depth-limited. */
static dlz_value *value_from_py(PyObject *o, int depth) {
    char err[ERRLEN];
    if (depth > DLZ_VALUE_MAX_DEPTH) {
        raise_code(DLZ_ELIMIT, "value nested deeper than 256 levels", 0);
        return NULL;
    }
    int t;
    PyObject *p;
    if (!PyTuple_Check(o) || !PyArg_ParseTuple(o, "iO", &t, &p)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "expected a (type, payload) tuple");
        }
        return NULL;
    }
    dlz_value *v = NULL;
    int rc = DLZ_OK;
    switch (t) {
    case DLZ_VALUE_NULL:
        v = dlz_value_new_null();
        break;
    case DLZ_VALUE_STRING: {
        PyObject *b = PyUnicode_AsEncodedString(p, "utf-8", "surrogatepass");
        if (b == NULL) {
            return NULL;
        }
        rc = dlz_value_new_string(PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b), &v, err,
                                  sizeof err);
        Py_DECREF(b);
        break;
    }
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_BOOLEAN:
    case DLZ_VALUE_CHAR: {
        long long x = PyLong_AsLongLong(p);
        if (x == -1 && PyErr_Occurred()) {
            return NULL;
        }
        static const long long lo[] = {INT32_MIN, INT64_MIN, 0, 0, INT16_MIN, INT8_MIN, 0, 0};
        static const long long hi[] = {INT32_MAX, INT64_MAX, 0, 0, INT16_MAX, INT8_MAX, 1, 0xFFFF};
        if (x < lo[t - DLZ_VALUE_INT] || x > hi[t - DLZ_VALUE_INT]) {
            PyErr_Format(PyExc_OverflowError, "%lld does not fit in a %s", x,
                         dlz_value_type_name((dlz_value_type)t));
            return NULL;
        }
        v = t == DLZ_VALUE_INT       ? dlz_value_new_int((int32_t)x)
            : t == DLZ_VALUE_LONG    ? dlz_value_new_long((int64_t)x)
            : t == DLZ_VALUE_SHORT   ? dlz_value_new_short((int16_t)x)
            : t == DLZ_VALUE_BYTE    ? dlz_value_new_byte((int8_t)x)
            : t == DLZ_VALUE_BOOLEAN ? dlz_value_new_boolean((int)x)
                                     : dlz_value_new_char((uint16_t)x);
        break;
    }
    case DLZ_VALUE_DOUBLE:
    case DLZ_VALUE_FLOAT: {
        double d = PyFloat_AsDouble(p);
        if (d == -1.0 && PyErr_Occurred()) {
            return NULL;
        }
        v = t == DLZ_VALUE_DOUBLE ? dlz_value_new_double(d) : dlz_value_new_float((float)d);
        break;
    }
    case DLZ_VALUE_BYTE_ARRAY:
    case DLZ_VALUE_SHORT_ARRAY:
    case DLZ_VALUE_INT_ARRAY:
    case DLZ_VALUE_LONG_ARRAY:
    case DLZ_VALUE_FLOAT_ARRAY:
    case DLZ_VALUE_DOUBLE_ARRAY:
    case DLZ_VALUE_BOOLEAN_ARRAY:
    case DLZ_VALUE_CHAR_ARRAY: {
        static const size_t width[] = {1, 2, 4, 8, 4, 8, 1, 2};
        size_t w = width[t - DLZ_VALUE_BYTE_ARRAY];
        Py_buffer buf;
        if (PyObject_GetBuffer(p, &buf, PyBUF_C_CONTIGUOUS) != 0) {
            return NULL;
        }
        if ((size_t)buf.len % w != 0) {
            PyBuffer_Release(&buf);
            PyErr_SetString(PyExc_ValueError, "array payload is not a whole number of elements");
            return NULL;
        }
        rc = dlz_value_new_array((dlz_value_type)t, buf.len ? buf.buf : NULL, (size_t)buf.len / w,
                                 &v, err, sizeof err);
        PyBuffer_Release(&buf);
        break;
    }
    case DLZ_VALUE_STRING_ARRAY:
    case DLZ_VALUE_OBJECT_ARRAY:
    case DLZ_VALUE_LIST:
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP: {
        PyObject *seq = PySequence_Fast(p, "container payload must be a sequence");
        if (seq == NULL) {
            return NULL;
        }
        if (t == DLZ_VALUE_LIST) {
            v = dlz_value_new_list();
        } else if (t == DLZ_VALUE_MAP || t == DLZ_VALUE_LINKED_MAP) {
            v = dlz_value_new_map(t == DLZ_VALUE_LINKED_MAP);
        } else {
            rc = dlz_value_new_array((dlz_value_type)t, NULL, 0, &v, err, sizeof err);
        }
        if (v == NULL) {
            Py_DECREF(seq);
            return rc != DLZ_OK ? (raise_code(rc, err, 0), NULL)
                                : (raise_code(DLZ_ENOMEM, NULL, 0), NULL);
        }
        int is_map = t == DLZ_VALUE_MAP || t == DLZ_VALUE_LINKED_MAP;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
            if (is_map) {
                PyObject *ko, *vo;
                if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "OO", &ko, &vo)) {
                    if (!PyErr_Occurred()) {
                        PyErr_SetString(PyExc_TypeError, "map entries are (key, value) pairs");
                    }
                    goto container_fail;
                }
                dlz_value *k = value_from_py(ko, depth + 1);
                dlz_value *val = k != NULL ? value_from_py(vo, depth + 1) : NULL;
                if (val == NULL) {
                    dlz_value_free(k);
                    goto container_fail;
                }
                rc = dlz_value_map_put(v, k, val);
                if (rc != DLZ_OK) {
                    dlz_value_free(k);
                    dlz_value_free(val);
                    raise_code(rc, "cannot put the map entry", 0);
                    goto container_fail;
                }
            } else {
                dlz_value *c = value_from_py(item, depth + 1);
                if (c == NULL) {
                    goto container_fail;
                }
                rc = dlz_value_append(v, c);
                if (rc != DLZ_OK) {
                    dlz_value_free(c);
                    raise_code(rc,
                               rc == DLZ_EMISUSE ? "a String[] item must be a str or None"
                                                 : "cannot append the item",
                               0);
                    goto container_fail;
                }
            }
        }
        Py_DECREF(seq);
        return v;
    container_fail:
        Py_DECREF(seq);
        dlz_value_free(v);
        return NULL;
    }
    case DLZ_VALUE_OPAQUE: {
        /* (class, bytes): only a whole stream can be kept verbatim, so the
           bytes are decoded again (and give the same opaque node) */
        const char *cls;
        Py_buffer buf;
        if (!PyArg_ParseTuple(p, "sy*", &cls, &buf)) {
            return NULL;
        }
        rc = dlz_value_decode(buf.buf, (size_t)buf.len, DLZ_VALUE_MAX_DEPTH, &v, err, sizeof err);
        PyBuffer_Release(&buf);
        if (rc == DLZ_OK && dlz_value_type_of(v) != DLZ_VALUE_OPAQUE) {
            dlz_value_free(v);
            v = NULL;
            rc = DLZ_EMISUSE;
            snprintf(err, sizeof err, "the bytes of an opaque value hold only supported classes");
        }
        break;
    }
    default:
        PyErr_Format(PyExc_ValueError, "unknown Java value type %d", t);
        return NULL;
    }
    if (rc != DLZ_OK) {
        raise_code(rc, err, 0);
        return NULL;
    }
    if (v == NULL) {
        raise_code(DLZ_ENOMEM, NULL, 0);
    }
    return v;
}

/* value_decode(bytes) -> tree */
static PyObject *py_value_decode(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) {
        return NULL;
    }
    char err[ERRLEN];
    dlz_value *v = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = dlz_value_decode(buf.buf, (size_t)buf.len, 0, &v, err, sizeof err);
    Py_END_ALLOW_THREADS PyBuffer_Release(&buf);
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    PyObject *r = value_to_py(v);
    dlz_value_free(v);
    return r;
}

/* value_encode(tree) -> bytes */
static PyObject *py_value_encode(PyObject *self, PyObject *tree) {
    (void)self;
    dlz_value *v = value_from_py(tree, 1);
    if (v == NULL) {
        return NULL;
    }
    char err[ERRLEN];
    void *bytes = NULL;
    size_t len = 0;
    int rc = dlz_value_encode(v, &bytes, &len, err, sizeof err);
    dlz_value_free(v);
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    return take_bytes(bytes, len);
}

/* ------------------------------------------------------------------------ */
/* Normalizer                                                                */

typedef struct {
    PyObject_HEAD dlz_normalizer *n;
} NormalizerObject;

static PyTypeObject NormalizerType;

static PyObject *normalizer_wrap(dlz_normalizer *n) {
    NormalizerObject *o = PyObject_New(NormalizerObject, &NormalizerType);
    if (o == NULL) {
        dlz_normalizer_free(n);
        return NULL;
    }
    o->n = n;
    return (PyObject *)o;
}

static void normalizer_dealloc(NormalizerObject *o) {
    dlz_normalizer_free(o->n);
    PyObject_Free(o);
}

/* normalizer_decode(bytes) -> Normalizer */
static PyObject *py_normalizer_decode(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) {
        return NULL;
    }
    char err[ERRLEN];
    dlz_normalizer *n = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc =
        dlz_normalizer_decode(buf.buf, (size_t)buf.len, &n, err, sizeof err);
    Py_END_ALLOW_THREADS PyBuffer_Release(&buf);
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    return normalizer_wrap(n);
}

static PyObject *norm_encode(NormalizerObject *o, PyObject *unused) {
    (void)unused;
    char err[ERRLEN];
    void *bytes = NULL;
    size_t len = 0;
    int rc = dlz_normalizer_encode(o->n, &bytes, &len, err, sizeof err);
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    return take_bytes(bytes, len);
}

static PyObject *norm_info(NormalizerObject *o, PyObject *unused) {
    (void)unused;
    const char *custom = dlz_normalizer_custom_class(o->n);
    return Py_BuildValue("{s:s,s:s,s:O,s:i,s:i,s:z}", "type",
                         dlz_normalizer_type_name(dlz_normalizer_type(o->n)), "java_class",
                         dlz_normalizer_java_class(o->n), "fit_label",
                         dlz_normalizer_fit_label(o->n) ? Py_True : Py_False, "num_inputs",
                         dlz_normalizer_num_inputs(o->n), "num_outputs",
                         dlz_normalizer_num_outputs(o->n), "custom_class", custom);
}

static PyObject *norm_range(NormalizerObject *o, PyObject *unused) {
    (void)unused;
    double lo, hi;
    if (dlz_normalizer_range(o->n, &lo, &hi) != DLZ_OK) {
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(dd)", lo, hi);
}

static PyObject *norm_max_pixel(NormalizerObject *o, PyObject *unused) {
    (void)unused;
    double v;
    if (dlz_normalizer_max_pixel_value(o->n, &v) != DLZ_OK) {
        Py_RETURN_NONE;
    }
    return PyFloat_FromDouble(v);
}

/* A borrowed array of the normalizer as an Array that keeps it alive. */
static PyObject *norm_array(NormalizerObject *o, const dlz_array *a) {
    if (a == NULL) {
        Py_RETURN_NONE;
    }
    return array_wrap((dlz_array *)a, (PyObject *)o, 0);
}

/* stats(labels, index) -> (kind, a, b) or None */
static PyObject *norm_stats(NormalizerObject *o, PyObject *args) {
    int labels, index;
    if (!PyArg_ParseTuple(args, "pi", &labels, &index)) {
        return NULL;
    }
    dlz_norm_strategy kind;
    const dlz_array *a = NULL, *b = NULL;
    if (dlz_normalizer_stats(o->n, labels, index, &kind, &a, &b) != DLZ_OK) {
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(iNN)", (int)kind, norm_array(o, a), norm_array(o, b));
}

/* hybrid() -> dict of the MULTI_HYBRID maps, or None */
static PyObject *norm_hybrid(NormalizerObject *o, PyObject *unused) {
    (void)unused;
    if (dlz_normalizer_type(o->n) != DLZ_NORM_MULTI_HYBRID) {
        Py_RETURN_NONE;
    }
    PyObject *d = PyDict_New();
    for (int labels = 0; d != NULL && labels < 2; labels++) {
        PyObject *stats = PyList_New(0), *strat = PyList_New(0);
        int cs = dlz_normalizer_hybrid_stats_count(o->n, labels);
        for (int i = 0; stats != NULL && i < cs; i++) {
            int index;
            dlz_norm_strategy kind;
            const dlz_array *a, *b;
            dlz_normalizer_hybrid_stats_entry(o->n, labels, i, &index, &kind, &a, &b);
            PyObject *e =
                Py_BuildValue("(iiNN)", index, (int)kind, norm_array(o, a), norm_array(o, b));
            if (e == NULL || PyList_Append(stats, e) != 0) {
                Py_XDECREF(e);
                Py_CLEAR(stats);
                break;
            }
            Py_DECREF(e);
        }
        int cn = dlz_normalizer_hybrid_strategy_count(o->n, labels);
        for (int i = 0; strat != NULL && i < cn; i++) {
            int index;
            dlz_norm_strategy kind;
            double lo, hi;
            dlz_normalizer_hybrid_strategy_entry(o->n, labels, i, &index, &kind, &lo, &hi);
            PyObject *e = Py_BuildValue("(iidd)", index, (int)kind, lo, hi);
            if (e == NULL || PyList_Append(strat, e) != 0) {
                Py_XDECREF(e);
                Py_CLEAR(strat);
                break;
            }
            Py_DECREF(e);
        }
        dlz_norm_strategy gk;
        double glo, ghi;
        dlz_normalizer_hybrid_global(o->n, labels, &gk, &glo, &ghi);
        PyObject *g = Py_BuildValue("(idd)", (int)gk, glo, ghi);
        PyObject *entry = (stats && strat && g) ? Py_BuildValue("(OOO)", stats, strat, g) : NULL;
        Py_XDECREF(stats);
        Py_XDECREF(strat);
        Py_XDECREF(g);
        if (entry == NULL || PyDict_SetItemString(d, labels ? "outputs" : "inputs", entry) != 0) {
            Py_XDECREF(entry);
            Py_CLEAR(d);
            break;
        }
        Py_DECREF(entry);
    }
    return d;
}

static PyObject *norm_to_json(NormalizerObject *o, PyObject *unused) {
    (void)unused;
    char *json = NULL;
    size_t len = 0;
    int rc = dlz_normalizer_to_json(o->n, 0, &json, &len);
    if (rc != DLZ_OK) {
        return raise_code(rc, NULL, 0);
    }
    PyObject *r = PyUnicode_DecodeUTF8(json, (Py_ssize_t)len, "surrogatepass");
    dlz_free(json);
    return r;
}

/* apply(op, index, array): op 0 transform, 1 revert, 2 transform labels,
   3 revert labels; in place on a writable Array. */
static PyObject *norm_apply(NormalizerObject *o, PyObject *args) {
    int op, index;
    PyObject *ao;
    if (!PyArg_ParseTuple(args, "iiO!", &op, &index, &ArrayType, &ao)) {
        return NULL;
    }
    if (!((ArrayObject *)ao)->writable) {
        return raise_code(DLZ_EMISUSE, "the array is read-only", 0);
    }
    dlz_array *a = ((ArrayObject *)ao)->a;
    char err[ERRLEN];
    int rc;
    Py_BEGIN_ALLOW_THREADS switch (op) {
    case 0:
        rc = dlz_normalizer_transform(o->n, index, a, err, sizeof err);
        break;
    case 1:
        rc = dlz_normalizer_revert(o->n, index, a, err, sizeof err);
        break;
    case 2:
        rc = dlz_normalizer_transform_labels(o->n, index, a, err, sizeof err);
        break;
    default:
        rc = dlz_normalizer_revert_labels(o->n, index, a, err, sizeof err);
        break;
    }
    Py_END_ALLOW_THREADS if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    Py_RETURN_NONE;
}

/* hybrid_set(what, labels, index, kind, a, b, min_range, max_range):
   what 0 stats, 1 global, 2 per-index strategy. */
static PyObject *norm_hybrid_set(NormalizerObject *o, PyObject *args) {
    int what, labels, index, kind;
    PyObject *ao, *bo;
    double lo, hi;
    if (!PyArg_ParseTuple(args, "ipiiOOdd", &what, &labels, &index, &kind, &ao, &bo, &lo, &hi)) {
        return NULL;
    }
    char err[ERRLEN];
    int rc;
    if (what == 0) {
        dlz_array *a = as_array(ao), *b = a != NULL ? as_array(bo) : NULL;
        if (b == NULL) {
            return NULL;
        }
        rc = dlz_normalizer_hybrid_set_stats(o->n, labels, index, (dlz_norm_strategy)kind, a, b,
                                             err, sizeof err);
    } else if (what == 1) {
        rc = dlz_normalizer_hybrid_set_global(o->n, labels, (dlz_norm_strategy)kind, lo, hi, err,
                                              sizeof err);
    } else {
        rc = dlz_normalizer_hybrid_set_strategy(o->n, labels, index, (dlz_norm_strategy)kind, lo,
                                                hi, err, sizeof err);
    }
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    Py_RETURN_NONE;
}

static PyMethodDef norm_methods[] = {
    {"encode", (PyCFunction)norm_encode, METH_NOARGS, NULL},
    {"info", (PyCFunction)norm_info, METH_NOARGS, NULL},
    {"range", (PyCFunction)norm_range, METH_NOARGS, NULL},
    {"max_pixel_value", (PyCFunction)norm_max_pixel, METH_NOARGS, NULL},
    {"stats", (PyCFunction)norm_stats, METH_VARARGS, NULL},
    {"hybrid", (PyCFunction)norm_hybrid, METH_NOARGS, NULL},
    {"to_json", (PyCFunction)norm_to_json, METH_NOARGS, NULL},
    {"apply", (PyCFunction)norm_apply, METH_VARARGS, NULL},
    {"hybrid_set", (PyCFunction)norm_hybrid_set, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject NormalizerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dlz._dlz.Normalizer",
    .tp_basicsize = sizeof(NormalizerObject),
    .tp_dealloc = (destructor)normalizer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A libdlz normalizer",
    .tp_methods = norm_methods,
};

/* Arrays of a list argument (None allowed for the whole list). */
static int array_list(PyObject *o, const dlz_array **out, int max, int *count) {
    *count = 0;
    if (o == Py_None) {
        return 0;
    }
    PyObject *seq = PySequence_Fast(o, "expected a list of arrays");
    if (seq == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > max) {
        Py_DECREF(seq);
        raise_code(DLZ_EMISUSE, "too many arrays", 0);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        out[i] = as_array(PySequence_Fast_GET_ITEM(seq, i));
        if (out[i] == NULL) {
            Py_DECREF(seq);
            return -1;
        }
    }
    *count = (int)n;
    Py_DECREF(seq);
    return 0;
}

#define MAX_MULTI 256

/* normalizer_new(type, args...) -> Normalizer.  Arrays are Array objects
   or None; multi types take lists. */
static PyObject *py_normalizer_new(PyObject *self, PyObject *args) {
    (void)self;
    int type;
    PyObject *a = Py_None, *b = Py_None, *la = Py_None, *lb = Py_None;
    double lo = 0, hi = 1, px = 255;
    const char *cls = NULL;
    Py_buffer body = {0};
    if (!PyArg_ParseTuple(args, "i|OOOOdddz", &type, &a, &b, &la, &lb, &lo, &hi, &px, &cls)) {
        return NULL;
    }
    char err[ERRLEN] = "";
    dlz_normalizer *n = NULL;
    int rc = DLZ_EMISUSE;
    const dlz_array *va[MAX_MULTI], *vb[MAX_MULTI], *vla[MAX_MULTI], *vlb[MAX_MULTI];
    int na, nb, nla, nlb;
    switch (type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX: {
        const dlz_array *x[4] = {NULL, NULL, NULL, NULL};
        PyObject *in[4] = {a, b, la, lb};
        for (int i = 0; i < 4; i++) {
            if (in[i] != Py_None && (x[i] = as_array(in[i])) == NULL) {
                return NULL;
            }
        }
        rc = type == DLZ_NORM_STANDARDIZE
                 ? dlz_normalizer_new_standardize(x[0], x[1], x[2], x[3], &n, err, sizeof err)
                 : dlz_normalizer_new_min_max(lo, hi, x[0], x[1], x[2], x[3], &n, err, sizeof err);
        break;
    }
    case DLZ_NORM_IMAGE_MIN_MAX:
        rc = dlz_normalizer_new_image_min_max(lo, hi, px, &n, err, sizeof err);
        break;
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        if (array_list(a, va, MAX_MULTI, &na) || array_list(b, vb, MAX_MULTI, &nb) ||
            array_list(la, vla, MAX_MULTI, &nla) || array_list(lb, vlb, MAX_MULTI, &nlb)) {
            return NULL;
        }
        if (na != nb || nla != nlb) {
            return raise_code(DLZ_EMISUSE, "the lists of a pair must have the same length", 0);
        }
        rc = type == DLZ_NORM_MULTI_STANDARDIZE
                 ? dlz_normalizer_new_multi_standardize(na, va, vb, nla, nla ? vla : NULL,
                                                        nlb ? vlb : NULL, &n, err, sizeof err)
                 : dlz_normalizer_new_multi_min_max(lo, hi, na, va, vb, nla, nla ? vla : NULL,
                                                    nlb ? vlb : NULL, &n, err, sizeof err);
        break;
    case DLZ_NORM_MULTI_HYBRID:
        n = dlz_normalizer_new_hybrid();
        rc = n != NULL ? DLZ_OK : DLZ_ENOMEM;
        break;
    case DLZ_NORM_CUSTOM:
        if (cls == NULL || a == Py_None || PyObject_GetBuffer(a, &body, PyBUF_SIMPLE) != 0) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "a custom normalizer needs a class and bytes");
            }
            return NULL;
        }
        rc = dlz_normalizer_new_custom(cls, body.buf, (size_t)body.len, &n, err, sizeof err);
        PyBuffer_Release(&body);
        break;
    default:
        snprintf(err, sizeof err, "cannot construct a normalizer of type %d", type);
        break;
    }
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    return normalizer_wrap(n);
}

/* ------------------------------------------------------------------------ */
/* Params                                                                    */

typedef struct {
    PyObject_HEAD dlz_params *p;
} ParamsObject;

static PyTypeObject ParamsType;

static PyObject *params_wrap(dlz_params *p) {
    ParamsObject *o = PyObject_New(ParamsObject, &ParamsType);
    if (o == NULL) {
        dlz_params_free(p);
        return NULL;
    }
    o->p = p;
    return (PyObject *)o;
}

static void params_dealloc(ParamsObject *o) {
    dlz_params_free(o->p);
    PyObject_Free(o);
}

static PyObject *shape_tuple(int rank, const int64_t *shape) {
    PyObject *t = PyTuple_New(rank);
    for (int k = 0; t != NULL && k < rank; k++) {
        PyObject *x = PyLong_FromLongLong(shape[k]);
        if (x == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, k, x);
    }
    return t;
}

/* params_parse(json_bytes, flags) -> Params */
static PyObject *py_params_parse(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    unsigned flags;
    if (!PyArg_ParseTuple(args, "y*I", &buf, &flags)) {
        return NULL;
    }
    char err[ERRLEN];
    dlz_params *p = NULL;
    int rc = dlz_params_parse(buf.buf, (size_t)buf.len, flags, &p, err, sizeof err);
    PyBuffer_Release(&buf);
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    return params_wrap(p);
}

/* params() -> list of (name, layer, layer_index, layer_type, key, shape,
   order, offset, length, updater, state_count, assumed) */
static PyObject *params_list(ParamsObject *o, PyObject *unused) {
    (void)unused;
    size_t n = dlz_params_count(o->p);
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l != NULL && i < n; i++) {
        dlz_param_info pi;
        dlz_params_get(o->p, i, &pi);
        PyObject *e = Py_BuildValue("(ssLssNCLLziO)", pi.name, pi.layer, (long long)pi.layer_index,
                                    pi.layer_type, pi.key, shape_tuple(pi.rank, pi.shape), pi.order,
                                    (long long)pi.offset, (long long)pi.length, pi.updater,
                                    pi.state_count, pi.assumed ? Py_True : Py_False);
        if (e == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, e);
    }
    return l;
}

/* layers() -> list of (name, layer_name, index, type, class_name,
   first_param, param_count, offset, length, assumed) */
static PyObject *params_layers(ParamsObject *o, PyObject *unused) {
    (void)unused;
    size_t n = dlz_params_layer_count(o->p);
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l != NULL && i < n; i++) {
        dlz_layer_info li;
        dlz_params_layer(o->p, i, &li);
        PyObject *e = Py_BuildValue("(szLsznnLLO)", li.name, li.layer_name, (long long)li.index,
                                    li.type, li.class_name, (Py_ssize_t)li.first_param,
                                    (Py_ssize_t)li.param_count, (long long)li.offset,
                                    (long long)li.length, li.assumed ? Py_True : Py_False);
        if (e == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, e);
    }
    return l;
}

static PyObject *params_info(ParamsObject *o, PyObject *unused) {
    (void)unused;
    return Py_BuildValue("(sL)", dlz_kind_name(dlz_params_kind(o->p)),
                         (long long)dlz_params_total(o->p));
}

/* check(coefficients or None), updater_check(state or None): the lengths
   the table expects. */
static PyObject *params_check_either(ParamsObject *o, PyObject *ao, int updater) {
    const dlz_array *a = NULL;
    if (ao != Py_None && (a = as_array(ao)) == NULL) {
        return NULL;
    }
    int rc = updater ? dlz_params_updater_check(o->p, a) : dlz_params_check(o->p, a);
    if (rc != DLZ_OK) {
        return raise_code(rc, dlz_params_errmsg(o->p), 0);
    }
    Py_RETURN_NONE;
}

static PyObject *params_check(ParamsObject *o, PyObject *ao) {
    return params_check_either(o, ao, 0);
}

static PyObject *params_updater_check(ParamsObject *o, PyObject *ao) {
    return params_check_either(o, ao, 1);
}

/* updater() -> (total, [blocks]) where a block is (updater, first_param,
   param_count, param_offset, param_length, [(state, offset)], state_length);
   raises the status when the layout is unknown. */
static PyObject *params_updater(ParamsObject *o, PyObject *unused) {
    (void)unused;
    int rc = dlz_params_updater_status(o->p);
    if (rc != DLZ_OK) {
        return raise_code(rc, dlz_params_errmsg(o->p), 0);
    }
    size_t n = dlz_params_updater_block_count(o->p);
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l != NULL && i < n; i++) {
        dlz_updater_block b;
        dlz_params_updater_block(o->p, i, &b);
        PyObject *states = PyList_New(0);
        for (int k = 0; states != NULL && k < b.state_count; k++) {
            PyObject *s = Py_BuildValue("(sL)", b.state_names[k], (long long)b.state_offset[k]);
            if (s == NULL || PyList_Append(states, s) != 0) {
                Py_CLEAR(states);
            }
            Py_XDECREF(s);
        }
        PyObject *e =
            states ? Py_BuildValue("(snnLLNL)", b.updater, (Py_ssize_t)b.first_param,
                                   (Py_ssize_t)b.param_count, (long long)b.param_offset,
                                   (long long)b.param_length, states, (long long)b.state_length)
                   : NULL;
        if (e == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, e);
    }
    if (l == NULL) {
        return NULL;
    }
    return Py_BuildValue("(LN)", (long long)dlz_params_updater_total(o->p), l);
}

/* extract_state(i, k, state Array, order) -> Array */
static PyObject *params_extract_state(ParamsObject *o, PyObject *args) {
    Py_ssize_t i;
    int k, order;
    PyObject *ao;
    if (!PyArg_ParseTuple(args, "niO!C", &i, &k, &ArrayType, &ao, &order)) {
        return NULL;
    }
    dlz_array *out = NULL;
    int rc =
        dlz_params_extract_state(o->p, (size_t)i, k, ((ArrayObject *)ao)->a, (char)order, &out);
    if (rc != DLZ_OK) {
        return raise_code(rc, dlz_params_errmsg(o->p), 0);
    }
    return array_wrap(out, NULL, 0);
}

static PyMethodDef params_methods[] = {
    {"params", (PyCFunction)params_list, METH_NOARGS, NULL},
    {"layers", (PyCFunction)params_layers, METH_NOARGS, NULL},
    {"info", (PyCFunction)params_info, METH_NOARGS, NULL},
    {"check", (PyCFunction)params_check, METH_O, NULL},
    {"updater", (PyCFunction)params_updater, METH_NOARGS, NULL},
    {"updater_check", (PyCFunction)params_updater_check, METH_O, NULL},
    {"extract_state", (PyCFunction)params_extract_state, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ParamsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dlz._dlz.Params",
    .tp_basicsize = sizeof(ParamsObject),
    .tp_dealloc = (destructor)params_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A libdlz parameter table",
    .tp_methods = params_methods,
};

/* ------------------------------------------------------------------------ */
/* Archive (an open reader)                                                  */

typedef struct {
    PyObject_HEAD dlz_reader *r;
    PyThread_type_lock lock;
    PyObject *memory; /* the buffer of an archive opened from memory */
    Py_buffer view;
    int has_view;
} ArchiveObject;

static PyTypeObject ArchiveType;

/* Runs STMT on the archive with the GIL released and the lock held; the
   reader's message is copied to msg, its errno to sys. */
#define ON_ARCHIVE(o, rc, msg, sys, ...)                                                           \
    do {                                                                                           \
        Py_BEGIN_ALLOW_THREADS PyThread_acquire_lock((o)->lock, WAIT_LOCK);                        \
        if ((o)->r == NULL) {                                                                      \
            rc = DLZ_EMISUSE;                                                                      \
            keep_msg(msg, "the model is closed");                                                  \
        } else {                                                                                   \
            __VA_ARGS__;                                                                           \
            keep_msg(msg, dlz_reader_errmsg((o)->r));                                              \
            sys = dlz_reader_syserr((o)->r);                                                       \
        }                                                                                          \
        PyThread_release_lock((o)->lock);                                                          \
        Py_END_ALLOW_THREADS                                                                       \
    } while (0)

static void archive_release(ArchiveObject *o) {
    dlz_reader_free(o->r);
    o->r = NULL;
    if (o->has_view) {
        PyBuffer_Release(&o->view);
        o->has_view = 0;
    }
    Py_CLEAR(o->memory);
}

static void archive_dealloc(ArchiveObject *o) {
    archive_release(o);
    if (o->lock != NULL) {
        PyThread_free_lock(o->lock);
    }
    PyObject_Free(o);
}

/* open_archive(source, how, limits): how "path" (str or bytes), "fd" (int,
   owned from then on), "memory" (buffer, kept). limits: list of (which,
   value). */
static PyObject *py_open_archive(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *src, *limits = Py_None;
    const char *how;
    if (!PyArg_ParseTuple(args, "Os|O", &src, &how, &limits)) {
        return NULL;
    }
    ArchiveObject *o = PyObject_New(ArchiveObject, &ArchiveType);
    if (o == NULL) {
        return NULL;
    }
    o->r = NULL;
    o->memory = NULL;
    o->has_view = 0;
    o->lock = PyThread_allocate_lock();
    PyObject *path = NULL;
    int fd = -1;
    if (strcmp(how, "path") == 0) {
        if (!PyUnicode_FSConverter(src, &path)) {
            Py_DECREF(o);
            return NULL;
        }
    } else if (strcmp(how, "fd") == 0) {
        long l = PyLong_AsLong(src);
        if ((l == -1 && PyErr_Occurred()) || l < 0 || l > INT32_MAX) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "bad file descriptor");
            }
            Py_DECREF(o);
            return NULL;
        }
        fd = (int)l;
    } else {
        if (PyObject_GetBuffer(src, &o->view, PyBUF_SIMPLE) != 0) {
            Py_DECREF(o);
            return NULL;
        }
        o->has_view = 1;
        o->memory = src;
        Py_INCREF(src);
    }
    o->r = o->lock != NULL ? dlz_reader_new() : NULL;
    if (o->r == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        Py_XDECREF(path);
        Py_DECREF(o);
        return raise_code(DLZ_ENOMEM, NULL, 0);
    }
    if (limits != Py_None) {
        PyObject *seq = PySequence_Fast(limits, "limits must be a list");
        for (Py_ssize_t i = 0; seq != NULL && i < PySequence_Fast_GET_SIZE(seq); i++) {
            int which;
            long long value;
            if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "iL", &which, &value)) {
                Py_CLEAR(seq);
                break;
            }
            if (dlz_reader_set_limit(o->r, (dlz_limit)which, value) != DLZ_OK) {
                Py_CLEAR(seq);
                raise_code(DLZ_EMISUSE, "bad limit", 0);
                break;
            }
        }
        if (seq == NULL) {
            if (fd >= 0) {
                close(fd); /* owned from the call on, as by the library */
            }
            Py_XDECREF(path);
            Py_DECREF(o);
            return NULL;
        }
        Py_DECREF(seq);
    }
    char msg[ERRLEN];
    int rc, sys = 0;
    Py_BEGIN_ALLOW_THREADS if (path != NULL) {
        rc = dlz_reader_open_path(o->r, PyBytes_AS_STRING(path));
    }
    else if (fd >= 0) {
        rc = dlz_reader_open_fd(o->r, fd, 0);
    }
    else {
        rc = dlz_reader_open_memory(o->r, o->view.buf, (size_t)o->view.len);
    }
    keep_msg(msg, dlz_reader_errmsg(o->r));
    sys = dlz_reader_syserr(o->r);
    Py_END_ALLOW_THREADS Py_XDECREF(path);
    if (rc != DLZ_OK) {
        Py_DECREF(o);
        return raise_code(rc, msg, sys);
    }
    return (PyObject *)o;
}

static PyObject *archive_close(ArchiveObject *o, PyObject *unused) {
    (void)unused;
    Py_BEGIN_ALLOW_THREADS PyThread_acquire_lock(o->lock, WAIT_LOCK);
    dlz_reader_free(o->r);
    o->r = NULL;
    PyThread_release_lock(o->lock);
    Py_END_ALLOW_THREADS archive_release(o);
    Py_RETURN_NONE;
}

/* header() -> (kind, configuration bytes or None, [(name, size, csize,
   method, crc32)], [object keys]) */
static PyObject *archive_header(ArchiveObject *o, PyObject *unused) {
    (void)unused;
    char msg[ERRLEN];
    int rc = DLZ_OK, sys = 0;
    dlz_kind kind = DLZ_KIND_UNKNOWN;
    const char *json = NULL;
    size_t jlen = 0;
    ON_ARCHIVE(o, rc, msg, sys, {
        kind = dlz_reader_kind(o->r);
        if (kind != DLZ_KIND_ARRAY) {
            rc = dlz_reader_configuration(o->r, &json, &jlen);
        }
    });
    if (rc != DLZ_OK) {
        return raise_code(rc, msg, sys);
    }
    /* the rest only reads the central directory already in memory */
    PyObject *entries = PyList_New(0), *keys = PyList_New(0);
    PyThread_acquire_lock(o->lock, WAIT_LOCK);
    if (o->r == NULL) {
        PyThread_release_lock(o->lock);
        Py_XDECREF(entries);
        Py_XDECREF(keys);
        return raise_code(DLZ_EMISUSE, "the model is closed", 0);
    }
    int64_t n = dlz_reader_entry_count(o->r);
    for (int64_t i = 0; entries != NULL && i < n; i++) {
        dlz_entry_info e;
        if (dlz_reader_entry_info(o->r, i, &e) != DLZ_OK) {
            continue;
        }
        PyObject *t = Py_BuildValue(
            "(NKKik)", PyUnicode_DecodeUTF8(e.name, (Py_ssize_t)strlen(e.name), "surrogateescape"),
            (unsigned long long)e.size, (unsigned long long)e.compressed_size, e.method,
            (unsigned long)e.crc32);
        if (t == NULL || PyList_Append(entries, t) != 0) {
            Py_CLEAR(entries);
        }
        Py_XDECREF(t);
    }
    int64_t nk = kind == DLZ_KIND_ARRAY ? 0 : dlz_reader_object_count(o->r);
    for (int64_t i = 0; keys != NULL && i < nk; i++) {
        const char *k = dlz_reader_object_key(o->r, i);
        PyObject *s = k ? PyUnicode_DecodeUTF8(k, (Py_ssize_t)strlen(k), "surrogateescape") : NULL;
        if (s == NULL || PyList_Append(keys, s) != 0) {
            Py_CLEAR(keys);
        }
        Py_XDECREF(s);
    }
    PyObject *cfg = json != NULL ? PyBytes_FromStringAndSize(json, (Py_ssize_t)jlen) : Py_None;
    if (json == NULL) {
        Py_INCREF(cfg);
    }
    PyThread_release_lock(o->lock);
    if (entries == NULL || keys == NULL || cfg == NULL) {
        Py_XDECREF(entries);
        Py_XDECREF(keys);
        Py_XDECREF(cfg);
        return NULL;
    }
    return Py_BuildValue("(sNNN)", dlz_kind_name(kind), cfg, entries, keys);
}

/* read(what): "coefficients", "updater", "array" -> Array or None
   (None: no parameters, or no updater state) */
static PyObject *archive_read(ArchiveObject *o, PyObject *arg) {
    const char *what = PyUnicode_AsUTF8(arg);
    if (what == NULL) {
        return NULL;
    }
    int which = strcmp(what, "coefficients") == 0 ? 0 : strcmp(what, "updater") == 0 ? 1 : 2;
    char msg[ERRLEN];
    int rc = DLZ_OK, sys = 0;
    dlz_array *a = NULL;
    ON_ARCHIVE(o, rc, msg, sys, {
        rc = which == 0   ? dlz_reader_read_coefficients(o->r, &a)
             : which == 1 ? dlz_reader_read_updater(o->r, &a)
                          : dlz_reader_read_array(o->r, &a);
    });
    if (which == 1 && rc == DLZ_ENOTFOUND) {
        Py_RETURN_NONE;
    }
    if (rc != DLZ_OK) {
        return raise_code(rc, msg, sys);
    }
    if (a == NULL) {
        Py_RETURN_NONE;
    }
    return array_wrap(a, NULL, 0);
}

/* read_raw(key or None): an object entry's bytes, or normalizer.bin's (None
   when there is none) */
static PyObject *archive_read_raw(ArchiveObject *o, PyObject *arg) {
    PyObject *kb = NULL;
    if (arg != Py_None && !PyUnicode_FSConverter(arg, &kb)) {
        return NULL;
    }
    char msg[ERRLEN];
    int rc = DLZ_OK, sys = 0;
    void *buf = NULL;
    size_t len = 0;
    ON_ARCHIVE(o, rc, msg, sys, {
        rc = kb != NULL ? dlz_reader_read_object_raw(o->r, PyBytes_AS_STRING(kb), &buf, &len)
                        : dlz_reader_read_normalizer_raw(o->r, &buf, &len);
    });
    Py_XDECREF(kb);
    if (arg == Py_None && rc == DLZ_ENOTFOUND) {
        Py_RETURN_NONE;
    }
    if (rc != DLZ_OK) {
        return raise_code(rc, msg, sys);
    }
    return take_bytes(buf, len);
}

/* read_normalizer() -> Normalizer or None (decoded with the reader's
   array limit) */
static PyObject *archive_read_normalizer(ArchiveObject *o, PyObject *unused) {
    (void)unused;
    char msg[ERRLEN];
    int rc = DLZ_OK, sys = 0;
    dlz_normalizer *n = NULL;
    ON_ARCHIVE(o, rc, msg, sys, { rc = dlz_reader_read_normalizer(o->r, &n); });
    if (rc == DLZ_ENOTFOUND) {
        Py_RETURN_NONE;
    }
    if (rc != DLZ_OK) {
        return raise_code(rc, msg, sys);
    }
    return normalizer_wrap(n);
}

/* read_object(key) -> tree */
static PyObject *archive_read_object(ArchiveObject *o, PyObject *arg) {
    PyObject *kb = NULL;
    if (!PyUnicode_FSConverter(arg, &kb)) {
        return NULL;
    }
    char msg[ERRLEN];
    int rc = DLZ_OK, sys = 0;
    dlz_value *v = NULL;
    ON_ARCHIVE(o, rc, msg, sys, { rc = dlz_reader_read_object(o->r, PyBytes_AS_STRING(kb), &v); });
    Py_DECREF(kb);
    if (rc != DLZ_OK) {
        return raise_code(rc, msg, sys);
    }
    PyObject *r = value_to_py(v);
    dlz_value_free(v);
    return r;
}

/* read_params(flags) -> Params */
static PyObject *archive_read_params(ArchiveObject *o, PyObject *args) {
    unsigned flags = 0;
    if (!PyArg_ParseTuple(args, "|I", &flags)) {
        return NULL;
    }
    char msg[ERRLEN];
    int rc = DLZ_OK, sys = 0;
    dlz_params *p = NULL;
    ON_ARCHIVE(o, rc, msg, sys, { rc = dlz_reader_read_params(o->r, flags, &p); });
    if (rc != DLZ_OK) {
        return raise_code(rc, msg, sys);
    }
    return params_wrap(p);
}

/* Finishes an export: close, then the memory bytes (or None). */
static PyObject *export_finish(dlz_export *e, int rc, const char *path, char *msg, int sys) {
    if (rc == DLZ_OK) {
        Py_BEGIN_ALLOW_THREADS rc = dlz_export_close(e);
        if (rc != DLZ_OK) {
            keep_msg(msg, dlz_export_errmsg(e));
            sys = dlz_export_syserr(e);
        }
        Py_END_ALLOW_THREADS
    }
    if (rc != DLZ_OK) {
        dlz_export_free(e);
        return raise_code(rc, msg, sys);
    }
    PyObject *r = Py_None;
    if (path == NULL) {
        const void *buf = NULL;
        size_t len = 0;
        dlz_export_memory(e, &buf, &len);
        r = PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
    } else {
        Py_INCREF(r);
    }
    dlz_export_free(e);
    return r;
}

static int export_open(dlz_export *e, int format, const char *path) {
    int rc;
    if (path != NULL) {
        rc = dlz_export_open_path(e, (dlz_export_format)format, path);
    } else {
        rc = dlz_export_open_memory(e, (dlz_export_format)format);
    }
    return rc;
}

/* export(path or None, format, flags) -> bytes (memory) or None */
static PyObject *archive_export(ArchiveObject *o, PyObject *args) {
    PyObject *po;
    int format;
    unsigned flags;
    if (!PyArg_ParseTuple(args, "OiI", &po, &format, &flags)) {
        return NULL;
    }
    PyObject *pb = NULL;
    if (po != Py_None && !PyUnicode_FSConverter(po, &pb)) {
        return NULL;
    }
    const char *path = pb != NULL ? PyBytes_AS_STRING(pb) : NULL;
    dlz_export *e = dlz_export_new();
    if (e == NULL) {
        Py_XDECREF(pb);
        return raise_code(DLZ_ENOMEM, NULL, 0);
    }
    char msg[ERRLEN];
    int rc = DLZ_OK, sys = 0;
    ON_ARCHIVE(o, rc, msg, sys, {
        rc = export_open(e, format, path);
        if (rc == DLZ_OK) {
            rc = dlz_export_put_model(e, o->r, flags);
        }
    });
    if (rc != DLZ_OK && o->r != NULL) {
        keep_msg(msg, dlz_export_errmsg(e));
        sys = dlz_export_syserr(e);
    }
    PyObject *r = export_finish(e, rc, path, msg, sys);
    Py_XDECREF(pb);
    return r;
}

static PyMethodDef archive_methods[] = {
    {"close", (PyCFunction)archive_close, METH_NOARGS, NULL},
    {"header", (PyCFunction)archive_header, METH_NOARGS, NULL},
    {"read", (PyCFunction)archive_read, METH_O, NULL},
    {"read_raw", (PyCFunction)archive_read_raw, METH_O, NULL},
    {"read_normalizer", (PyCFunction)archive_read_normalizer, METH_NOARGS, NULL},
    {"read_object", (PyCFunction)archive_read_object, METH_O, NULL},
    {"read_params", (PyCFunction)archive_read_params, METH_VARARGS, NULL},
    {"export", (PyCFunction)archive_export, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ArchiveType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dlz._dlz.Archive",
    .tp_basicsize = sizeof(ArchiveObject),
    .tp_dealloc = (destructor)archive_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An open libdlz reader",
    .tp_methods = archive_methods,
};

/* ------------------------------------------------------------------------ */
/* Saving, editing, bare arrays                                              */

static PyObject *save_result(const dlz_save_result *res) {
    PyObject *entries = PyList_New((Py_ssize_t)res->entry_count);
    for (size_t i = 0; entries != NULL && i < res->entry_count; i++) {
        const dlz_entry_info *e = &res->entries[i];
        PyObject *t = Py_BuildValue("(sKKik)", e->name, (unsigned long long)e->size,
                                    (unsigned long long)e->compressed_size, e->method,
                                    (unsigned long)e->crc32);
        if (t == NULL) {
            Py_CLEAR(entries);
            break;
        }
        PyList_SET_ITEM(entries, (Py_ssize_t)i, t);
    }
    if (entries == NULL) {
        return NULL;
    }
    return Py_BuildValue("(NKLI)", entries, (unsigned long long)res->total_bytes,
                         (long long)res->saved_at_ms, res->warnings);
}

/* save(path or None, config bytes, coefficients Array or None, updater Array
   or None, normalizer bytes or None, [(key, bytes)], generation,
   [(parts, method, level)], mtime or None)
   -> (result, bytes or None) */
static PyObject *py_save(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *po, *co, *uo, *no, *objs, *comp, *mt;
    Py_buffer cfg;
    int gen;
    if (!PyArg_ParseTuple(args, "Oy*OOOOiOO", &po, &cfg, &co, &uo, &no, &objs, &gen, &comp, &mt)) {
        return NULL;
    }
    PyObject *pb = NULL, *oseq = NULL, *cseq = NULL;
    const dlz_array *coef = NULL, *upd = NULL;
    Py_buffer norm = {0};
    int has_norm = 0;
    dlz_writer *w = NULL;
    PyObject *result = NULL;
    Py_buffer *obufs = NULL;
    const char **okeys = NULL;
    Py_ssize_t nobj = 0, ngot = 0;
    if ((po != Py_None && !PyUnicode_FSConverter(po, &pb)) ||
        (co != Py_None && (coef = as_array(co)) == NULL) ||
        (uo != Py_None && (upd = as_array(uo)) == NULL)) {
        goto done;
    }
    if (no != Py_None) {
        if (PyObject_GetBuffer(no, &norm, PyBUF_SIMPLE) != 0) {
            goto done;
        }
        has_norm = 1;
    }
    oseq = PySequence_Fast(objs, "objects must be a list of (key, bytes)");
    cseq = oseq ? PySequence_Fast(comp, "compression must be a list") : NULL;
    if (cseq == NULL) {
        goto done;
    }
    nobj = PySequence_Fast_GET_SIZE(oseq);
    obufs = PyMem_Calloc((size_t)nobj + 1, sizeof *obufs);
    okeys = PyMem_Calloc((size_t)nobj + 1, sizeof *okeys);
    if (obufs == NULL || okeys == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; ngot < nobj; ngot++) {
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(oseq, ngot), "sy*", &okeys[ngot],
                              &obufs[ngot])) {
            goto done;
        }
    }
    w = dlz_writer_new();
    if (w == NULL) {
        raise_code(DLZ_ENOMEM, NULL, 0);
        goto done;
    }
    int rc = dlz_writer_set_generation(w, (dlz_generation)gen);
    for (Py_ssize_t i = 0; rc == DLZ_OK && i < PySequence_Fast_GET_SIZE(cseq); i++) {
        unsigned parts;
        int method, level;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(cseq, i), "Iii", &parts, &method, &level)) {
            goto done;
        }
        rc = dlz_writer_set_compression(w, parts, method, level);
    }
    if (rc == DLZ_OK && mt != Py_None) {
        long long t = PyLong_AsLongLong(mt);
        if (t == -1 && PyErr_Occurred()) {
            goto done;
        }
        rc = dlz_writer_set_mtime(w, t);
    }
    if (rc != DLZ_OK) {
        raise_code(rc, dlz_writer_errmsg(w), 0);
        goto done;
    }
    char msg[ERRLEN] = "";
    int sys = 0;
    const char *path = pb != NULL ? PyBytes_AS_STRING(pb) : NULL;
    Py_BEGIN_ALLOW_THREADS rc =
        path != NULL ? dlz_writer_open_path(w, path) : dlz_writer_open_memory(w);
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_configuration(w, cfg.buf, (size_t)cfg.len);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_put_coefficients(w, coef);
    }
    if (rc == DLZ_OK && upd != NULL) {
        rc = dlz_writer_put_updater(w, upd);
    }
    if (rc == DLZ_OK && has_norm) {
        rc = dlz_writer_put_normalizer_raw(w, norm.buf, (size_t)norm.len);
    }
    for (Py_ssize_t i = 0; rc == DLZ_OK && i < nobj; i++) {
        rc = dlz_writer_put_object_raw(w, okeys[i], obufs[i].buf, (size_t)obufs[i].len);
    }
    if (rc == DLZ_OK) {
        rc = dlz_writer_close(w);
    }
    if (rc != DLZ_OK) {
        keep_msg(msg, dlz_writer_errmsg(w));
        sys = dlz_writer_syserr(w);
    }
    Py_END_ALLOW_THREADS if (rc != DLZ_OK) {
        raise_code(rc, msg, sys);
        goto done;
    }
    PyObject *res = save_result(dlz_writer_result(w));
    PyObject *mem = Py_None;
    if (res != NULL && path == NULL) {
        const void *buf = NULL;
        size_t len = 0;
        dlz_writer_memory(w, &buf, &len);
        mem = PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
    } else {
        Py_INCREF(mem);
    }
    result = (res != NULL && mem != NULL) ? Py_BuildValue("(NN)", res, mem) : NULL;
    if (result == NULL) {
        Py_XDECREF(res);
        Py_XDECREF(mem);
    }
done:
    dlz_writer_free(w);
    for (Py_ssize_t i = 0; i < ngot; i++) {
        PyBuffer_Release(&obufs[i]);
    }
    PyMem_Free(obufs);
    PyMem_Free(okeys);
    Py_XDECREF(oseq);
    Py_XDECREF(cseq);
    if (has_norm) {
        PyBuffer_Release(&norm);
    }
    Py_XDECREF(pb);
    PyBuffer_Release(&cfg);
    return result;
}

/* One staged change of edit(): a DLZ code, or 1 when a Python exception
   is set. */
static int edit_stage(dlz_editor *e, PyObject *op) {
    const char *what;
    PyObject *a = NULL, *b = NULL;
    if (!PyArg_ParseTuple(op, "s|OO", &what, &a, &b)) {
        return 1;
    }
    Py_buffer buf;
    PyObject *kb = NULL;
    int rc;
    if (strcmp(what, "set_normalizer") == 0 || strcmp(what, "put_object") == 0) {
        PyObject *data = strcmp(what, "put_object") == 0 ? b : a;
        if (data == NULL || PyObject_GetBuffer(data, &buf, PyBUF_SIMPLE) != 0) {
            return 1;
        }
        if (data == b && !PyUnicode_FSConverter(a, &kb)) {
            PyBuffer_Release(&buf);
            return 1;
        }
        rc = kb != NULL
                 ? dlz_editor_put_object_raw(e, PyBytes_AS_STRING(kb), buf.buf, (size_t)buf.len)
                 : dlz_editor_set_normalizer_raw(e, buf.buf, (size_t)buf.len);
        PyBuffer_Release(&buf);
    } else if (strcmp(what, "remove_object") == 0) {
        if (a == NULL || !PyUnicode_FSConverter(a, &kb)) {
            return 1;
        }
        rc = dlz_editor_remove_object(e, PyBytes_AS_STRING(kb));
    } else if (strcmp(what, "set_updater") == 0) {
        dlz_array *arr = a != NULL ? as_array(a) : NULL;
        if (arr == NULL) {
            return 1;
        }
        rc = dlz_editor_set_updater(e, arr);
    } else if (strcmp(what, "remove_normalizer") == 0) {
        rc = dlz_editor_remove_normalizer(e);
    } else if (strcmp(what, "remove_updater") == 0) {
        rc = dlz_editor_remove_updater(e);
    } else {
        PyErr_Format(PyExc_ValueError, "unknown edit %s", what);
        return 1;
    }
    Py_XDECREF(kb);
    return rc;
}

/* edit(path, [ops], commit_to or None, lock_timeout_ms, mtime or None) */
static PyObject *py_edit(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *po, *ops, *to, *mt;
    long long timeout;
    if (!PyArg_ParseTuple(args, "OOOLO", &po, &ops, &to, &timeout, &mt)) {
        return NULL;
    }
    PyObject *pb = NULL, *tb = NULL, *seq = NULL, *result = NULL;
    dlz_editor *e = NULL;
    char msg[ERRLEN] = "";
    int rc = DLZ_OK, sys = 0;
    if (!PyUnicode_FSConverter(po, &pb) || (to != Py_None && !PyUnicode_FSConverter(to, &tb)) ||
        (seq = PySequence_Fast(ops, "ops must be a list")) == NULL) {
        goto done;
    }
    e = dlz_editor_new();
    if (e == NULL) {
        raise_code(DLZ_ENOMEM, NULL, 0);
        goto done;
    }
    rc = dlz_editor_set_lock_timeout(e, timeout);
    if (rc == DLZ_OK && mt != Py_None) {
        long long t = PyLong_AsLongLong(mt);
        if (t == -1 && PyErr_Occurred()) {
            goto done;
        }
        rc = dlz_editor_set_mtime(e, t);
    }
    if (rc == DLZ_OK) {
        Py_BEGIN_ALLOW_THREADS rc = dlz_editor_open(e, PyBytes_AS_STRING(pb));
        Py_END_ALLOW_THREADS
    }
    for (Py_ssize_t i = 0; rc == DLZ_OK && i < PySequence_Fast_GET_SIZE(seq); i++) {
        rc = edit_stage(e, PySequence_Fast_GET_ITEM(seq, i));
        if (rc == 1) {
            goto done;
        }
    }
    if (rc == DLZ_OK) {
        Py_BEGIN_ALLOW_THREADS rc =
            tb != NULL ? dlz_editor_commit_to(e, PyBytes_AS_STRING(tb)) : dlz_editor_commit(e);
        Py_END_ALLOW_THREADS
    }
    if (rc != DLZ_OK) {
        keep_msg(msg, dlz_editor_errmsg(e));
        sys = dlz_editor_syserr(e);
        raise_code(rc, msg, sys);
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    dlz_editor_free(e);
    Py_XDECREF(seq);
    Py_XDECREF(pb);
    Py_XDECREF(tb);
    return result;
}

/* write_array(path or None, Array, format) -> bytes (memory) or None */
static PyObject *py_write_array(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *po, *ao;
    int format;
    if (!PyArg_ParseTuple(args, "OO!i", &po, &ArrayType, &ao, &format)) {
        return NULL;
    }
    PyObject *pb = NULL;
    if (po != Py_None && !PyUnicode_FSConverter(po, &pb)) {
        return NULL;
    }
    const char *path = pb != NULL ? PyBytes_AS_STRING(pb) : NULL;
    dlz_export *e = dlz_export_new();
    if (e == NULL) {
        Py_XDECREF(pb);
        return raise_code(DLZ_ENOMEM, NULL, 0);
    }
    char msg[ERRLEN] = "";
    int rc, sys = 0;
    Py_BEGIN_ALLOW_THREADS rc = export_open(e, format, path);
    if (rc == DLZ_OK) {
        rc = dlz_export_put(e, NULL, ((ArrayObject *)ao)->a);
    }
    if (rc != DLZ_OK) {
        keep_msg(msg, dlz_export_errmsg(e));
        sys = dlz_export_syserr(e);
    }
    Py_END_ALLOW_THREADS PyObject *r = export_finish(e, rc, path, msg, sys);
    Py_XDECREF(pb);
    return r;
}

static PyObject *py_version(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyUnicode_FromString(dlz_version());
}

/* ---- network description ------------------------------------------------- */

/* None when nothing is known, else {"shape": (dims, -1 unknown), "format"}. */
static PyObject *net_shape(const dlz_net_shape *sh) {
    if (sh->rank == 0) {
        Py_RETURN_NONE;
    }
    PyObject *dims = PyTuple_New(sh->rank);
    for (int k = 0; dims != NULL && k < sh->rank; k++) {
        PyObject *d = PyLong_FromLongLong((long long)sh->dims[k]);
        if (d == NULL) {
            Py_CLEAR(dims);
            break;
        }
        PyTuple_SET_ITEM(dims, k, d);
    }
    return dims == NULL ? NULL : Py_BuildValue("{s:N,s:s}", "shape", dims, "format", sh->format);
}

static PyObject *net_attr_value(const dlz_net_attr *a) {
    switch (a->type) {
    case DLZ_ATTR_INT:
        return PyLong_FromLongLong((long long)a->ints[0]);
    case DLZ_ATTR_BOOL:
        return PyBool_FromLong(a->ints[0] != 0);
    case DLZ_ATTR_REAL:
        return PyFloat_FromDouble(a->reals[0]);
    case DLZ_ATTR_TEXT:
        return PyUnicode_DecodeUTF8(a->text, (Py_ssize_t)strlen(a->text), "replace");
    case DLZ_ATTR_INTS:
    case DLZ_ATTR_REALS: {
        PyObject *t = PyTuple_New((Py_ssize_t)a->count);
        for (size_t k = 0; t != NULL && k < a->count; k++) {
            PyObject *v = a->type == DLZ_ATTR_INTS ? PyLong_FromLongLong((long long)a->ints[k])
                                                   : PyFloat_FromDouble(a->reals[k]);
            if (v == NULL) {
                Py_CLEAR(t);
                break;
            }
            PyTuple_SET_ITEM(t, (Py_ssize_t)k, v);
        }
        return t;
    }
    }
    Py_RETURN_NONE;
}

static PyObject *str_list(size_t n, const char *(*get)(const dlz_network *, size_t),
                          const dlz_network *net) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l != NULL && i < n; i++) {
        PyObject *v = PyUnicode_DecodeUTF8(get(net, i), (Py_ssize_t)strlen(get(net, i)), "replace");
        if (v == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, v);
    }
    return l;
}

/* One node as a dict (see Model.network). */
static PyObject *net_node(const dlz_network *net, size_t i) {
    dlz_net_node nd;
    if (dlz_network_node(net, i, &nd) != DLZ_OK) {
        return raise_code(DLZ_EMISUSE, "network node out of range", 0);
    }
    PyObject *inputs = PyList_New((Py_ssize_t)nd.input_count);
    for (size_t k = 0; inputs != NULL && k < nd.input_count; k++) {
        PyObject *v =
            PyUnicode_DecodeUTF8(nd.inputs[k], (Py_ssize_t)strlen(nd.inputs[k]), "replace");
        if (v == NULL) {
            Py_CLEAR(inputs);
            break;
        }
        PyList_SET_ITEM(inputs, (Py_ssize_t)k, v);
    }
    PyObject *attrs = inputs != NULL ? PyDict_New() : NULL;
    for (size_t k = 0; attrs != NULL && k < nd.attr_count; k++) {
        dlz_net_attr a;
        PyObject *v = NULL;
        if (dlz_network_attr(net, i, k, &a) != DLZ_OK || (v = net_attr_value(&a)) == NULL ||
            PyDict_SetItemString(attrs, a.name, v) != 0) {
            Py_XDECREF(v);
            Py_CLEAR(attrs);
            break;
        }
        Py_DECREF(v);
    }
    PyObject *unknown = attrs != NULL ? PyList_New((Py_ssize_t)nd.unknown_count) : NULL;
    for (size_t k = 0; unknown != NULL && k < nd.unknown_count; k++) {
        const char *u = dlz_network_unknown(net, i, k);
        PyObject *v = PyUnicode_DecodeUTF8(u, (Py_ssize_t)strlen(u), "replace");
        if (v == NULL) {
            Py_CLEAR(unknown);
            break;
        }
        PyList_SET_ITEM(unknown, (Py_ssize_t)k, v);
    }
    if (unknown == NULL) {
        Py_XDECREF(inputs);
        Py_XDECREF(attrs);
        return NULL;
    }
    return Py_BuildValue("{s:s,s:z,s:L,s:s,s:s,s:s,s:O,s:z,s:N,s:N,s:N,s:N,s:N}", "name", nd.name,
                         "layer_name", nd.layer_name, "index", (long long)nd.index, "type", nd.type,
                         "base_type", nd.base_type, "class_name", nd.class_name, "known",
                         nd.known ? Py_True : Py_False, "preprocessor", nd.preprocessor, "inputs",
                         inputs, "attrs", attrs, "unknown", unknown, "in_shape",
                         net_shape(&nd.in_shape), "out_shape", net_shape(&nd.out_shape));
}

/* network(config_bytes) -> {"kind", "inputs", "outputs", "nodes"} */
static PyObject *py_network(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) {
        return NULL;
    }
    char err[ERRLEN];
    dlz_network *net = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = dlz_network_parse(buf.buf, (size_t)buf.len, &net, err, sizeof err);
    Py_END_ALLOW_THREADS PyBuffer_Release(&buf);
    if (rc != DLZ_OK) {
        return raise_code(rc, err, 0);
    }
    size_t n = dlz_network_node_count(net);
    PyObject *nodes = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; nodes != NULL && i < n; i++) {
        PyObject *v = net_node(net, i);
        if (v == NULL) {
            Py_CLEAR(nodes);
            break;
        }
        PyList_SET_ITEM(nodes, (Py_ssize_t)i, v);
    }
    PyObject *r = NULL;
    if (nodes != NULL) {
        r = Py_BuildValue(
            "{s:s,s:N,s:N,s:N}", "kind", dlz_kind_name(dlz_network_kind(net)), "inputs",
            str_list(dlz_network_input_count(net), dlz_network_input, net), "outputs",
            str_list(dlz_network_output_count(net), dlz_network_output, net), "nodes", nodes);
    }
    dlz_network_free(net);
    return r;
}

static PyMethodDef module_methods[] = {
    {"set_error_factory", set_error_factory, METH_O, NULL},
    {"version", py_version, METH_NOARGS, NULL},
    {"array_new", py_array_new, METH_VARARGS, NULL},
    {"open_archive", py_open_archive, METH_VARARGS, NULL},
    {"params_parse", py_params_parse, METH_VARARGS, NULL},
    {"network", py_network, METH_VARARGS, NULL},
    {"normalizer_decode", py_normalizer_decode, METH_VARARGS, NULL},
    {"normalizer_new", py_normalizer_new, METH_VARARGS, NULL},
    {"value_decode", py_value_decode, METH_VARARGS, NULL},
    {"value_encode", py_value_encode, METH_O, NULL},
    {"save", py_save, METH_VARARGS, NULL},
    {"edit", py_edit, METH_VARARGS, NULL},
    {"write_array", py_write_array, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "_dlz",
    "libdlz bindings (use the package dlz)",
    -1,
    module_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__dlz(void);
PyMODINIT_FUNC PyInit__dlz(void) {
    PyTypeObject *types[] = {&ArrayType, &ArchiveType, &ParamsType, &NormalizerType};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (PyType_Ready(types[i]) < 0) {
            return NULL;
        }
    }
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "PARAMS_ASSUME_DENSE", DLZ_PARAMS_ASSUME_DENSE) ||
        PyModule_AddIntConstant(m, "EXPORT_UPDATER", DLZ_EXPORT_UPDATER) ||
        PyModule_AddIntConstant(m, "FORMAT_SAFETENSORS", DLZ_EXPORT_SAFETENSORS) ||
        PyModule_AddIntConstant(m, "FORMAT_NPZ", DLZ_EXPORT_NPZ) ||
        PyModule_AddIntConstant(m, "FORMAT_ONNX", DLZ_EXPORT_ONNX) ||
        PyModule_AddIntConstant(m, "FORMAT_ND4J", DLZ_EXPORT_ND4J) ||
        PyModule_AddIntConstant(m, "FORMAT_ND4J_JAVACPP", DLZ_EXPORT_ND4J_JAVACPP) ||
        PyModule_AddIntConstant(m, "EXPORT_NORMALIZER", DLZ_EXPORT_NORMALIZER) ||
        PyModule_AddStringConstant(m, "VERSION", DLZ_VERSION_STRING)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
