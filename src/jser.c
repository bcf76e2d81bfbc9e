/* jser.c - the Java Object Serialization subset of objects/<key> entries
 * (FORMAT.md section D): value trees, decoder, encoder, JSON rendering and
 * the archive glue.
 *
 * The decoder is a structural parser of the whole serialization grammar.
 * Supported classes are recognised by descriptor (name, serialVersionUID,
 * flags, fields, superclass) and turned into nodes; any other class is only
 * delimited, using the field list and flags of its descriptors, and makes the
 * result opaque.  Every node the decoder creates is recorded in a list, so
 * that whatever is not part of the returned tree (a failure, an opaque
 * result, strings inside class descriptors) is released by freeing the nodes
 * that no container holds. */
/* See dlz-format(5), section JAVA OBJECT STREAMS. */
#include "internal.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------ */
/* Value nodes                                                               */

struct dlz_value {
    dlz_value_type type;
    unsigned height;            /* 1 for a leaf, 1 + the highest item for a container */
    unsigned char in_box;       /* held by a container */
    unsigned char access_order; /* LinkedHashMap's accessOrder field */
    size_t n;                   /* string bytes, elements, items, map entries, opaque bytes */
    size_t cap;                 /* allocated item slots of a container (two per map entry) */
    union {
        int64_t i;
        double d;
        float f;
        char *s;
        void *a;
        dlz_value **items; /* maps: key, value, key, value, ... */
        struct {
            char *cls;
            unsigned char *bytes;
        } op;
    } u;
};

#define JAVA_MAX_LEN 2147483647u

static int is_prim_array(dlz_value_type t) {
    return t >= DLZ_VALUE_BYTE_ARRAY && t <= DLZ_VALUE_CHAR_ARRAY;
}

static int is_seq(dlz_value_type t) {
    return t == DLZ_VALUE_STRING_ARRAY || t == DLZ_VALUE_OBJECT_ARRAY || t == DLZ_VALUE_LIST;
}

static int is_map(dlz_value_type t) {
    return t == DLZ_VALUE_MAP || t == DLZ_VALUE_LINKED_MAP;
}

static size_t elem_size(dlz_value_type t) {
    switch (t) {
    case DLZ_VALUE_BYTE_ARRAY:
    case DLZ_VALUE_BOOLEAN_ARRAY:
        return 1;
    case DLZ_VALUE_SHORT_ARRAY:
    case DLZ_VALUE_CHAR_ARRAY:
        return 2;
    case DLZ_VALUE_INT_ARRAY:
    case DLZ_VALUE_FLOAT_ARRAY:
        return 4;
    case DLZ_VALUE_LONG_ARRAY:
    case DLZ_VALUE_DOUBLE_ARRAY:
        return 8;
    default:
        return 0;
    }
}

const char *dlz_value_type_name(dlz_value_type type) {
    static const char *const names[] = {
        "null",
        "java.lang.String",
        "java.lang.Integer",
        "java.lang.Long",
        "java.lang.Double",
        "java.lang.Float",
        "java.lang.Short",
        "java.lang.Byte",
        "java.lang.Boolean",
        "java.lang.Character",
        "[B",
        "[S",
        "[I",
        "[J",
        "[F",
        "[D",
        "[Z",
        "[C",
        "[Ljava.lang.String;",
        "[Ljava.lang.Object;",
        "java.util.ArrayList",
        "java.util.HashMap",
        "java.util.LinkedHashMap",
        "opaque",
    };
    if ((int)type < 0 || (size_t)type >= sizeof names / sizeof names[0]) {
        return NULL;
    }
    return names[type];
}

static dlz_value *node_new(dlz_value_type t) {
    dlz_value *v = dlzi_calloc(1, sizeof *v);
    if (v != NULL) {
        v->type = t;
        v->height = 1;
    }
    return v;
}

/* Frees what the node itself holds, not its items. */
static void node_free_shallow(dlz_value *v) {
    if (v->type == DLZ_VALUE_STRING) {
        dlzi_free(v->u.s);
    } else if (is_prim_array(v->type)) {
        dlzi_free(v->u.a);
    } else if (is_seq(v->type) || is_map(v->type)) {
        dlzi_free(v->u.items);
    } else if (v->type == DLZ_VALUE_OPAQUE) {
        dlzi_free(v->u.op.cls);
        dlzi_free(v->u.op.bytes);
    }
    dlzi_free(v);
}

/* Recursion is bounded by the height limit every tree obeys. */
static void node_free_deep(dlz_value *v) {
    if (v == NULL) {
        return;
    }
    if (is_seq(v->type) || is_map(v->type)) {
        size_t k = is_map(v->type) ? 2 * v->n : v->n;
        for (size_t i = 0; i < k; i++) {
            node_free_deep(v->u.items[i]);
        }
    }
    node_free_shallow(v);
}

void dlz_value_free(dlz_value *v) {
    node_free_deep(v);
}

/* Makes room for @p more item slots. */
static int items_reserve(dlz_value *c, size_t more) {
    size_t used = is_map(c->type) ? 2 * c->n : c->n;
    if (more <= c->cap - used) {
        return DLZ_OK;
    }
    size_t want = c->cap ? c->cap : 4;
    while (want - used < more) {
        if (want > SIZE_MAX / 2 / sizeof(dlz_value *)) {
            return DLZ_ENOMEM;
        }
        want *= 2;
    }
    dlz_value **p = dlzi_realloc(c->u.items, want * sizeof *p);
    if (p == NULL) {
        return DLZ_ENOMEM;
    }
    c->u.items = p;
    c->cap = want;
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* UTF-8 (with 3-byte surrogates allowed) and modified UTF-8                 */

/* Decodes one code point at s[*i]; surrogates (3 bytes) are accepted.
   Returns 0, or -1 for anything that is not UTF-8. */
static int utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp) {
    unsigned c = s[*i];
    size_t k;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        *i += 1;
        return 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        v = c & 0x1Fu;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        v = c & 0x0Fu;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        v = c & 0x07u;
        min = 0x10000;
    } else {
        return -1;
    }
    if (n - *i < k) {
        return -1;
    }
    for (size_t j = 1; j < k; j++) {
        unsigned cc = s[*i + j];
        if ((cc & 0xC0u) != 0x80u) {
            return -1;
        }
        v = v << 6 | (cc & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF) {
        return -1;
    }
    *cp = v;
    *i += k;
    return 0;
}

/* 1 when s[0..n) is UTF-8 (3-byte surrogates allowed); else 0 and *bad (may
   be NULL) is the offset of the first invalid sequence. */
static int utf8_valid_at(const char *s, size_t n, size_t *bad) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t at = i;
        if (utf8_next(u, n, &i, &cp) != 0) {
            if (bad != NULL) {
                *bad = at;
            }
            return 0;
        }
    }
    return 1;
}

static size_t utf8_put(unsigned char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Calls fn for each UTF-16 code unit of a (valid) string. */
#define FOR_EACH_UNIT(s, n, unit, body)                                                            \
    do {                                                                                           \
        size_t i_ = 0;                                                                             \
        uint32_t cp_;                                                                              \
        while (i_ < (n) && utf8_next((const unsigned char *)(s), (n), &i_, &cp_) == 0) {           \
            if (cp_ >= 0x10000) {                                                                  \
                uint32_t unit = 0xD800 + ((cp_ - 0x10000) >> 10);                                  \
                body;                                                                              \
                unit = 0xDC00 + ((cp_ - 0x10000) & 0x3FF);                                         \
                body;                                                                              \
            } else {                                                                               \
                uint32_t unit = cp_;                                                               \
                body;                                                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Constructors and mutators                                                 */

dlz_value *dlz_value_new_null(void) {
    return node_new(DLZ_VALUE_NULL);
}

static dlz_value *new_string_raw(const char *s, size_t len) {
    dlz_value *v = node_new(DLZ_VALUE_STRING);
    if (v == NULL) {
        return NULL;
    }
    v->u.s = dlzi_malloc(len + 1);
    if (v->u.s == NULL) {
        dlzi_free(v);
        return NULL;
    }
    if (len > 0) {
        memcpy(v->u.s, s, len);
    }
    v->u.s[len] = '\0';
    v->n = len;
    return v;
}

/* Writes a constructor's failure to the caller's buffer; returns code. */
static int new_fail(int code, char *errbuf, size_t errbuf_size, const char *fmt, ...)
    DLZI_PRINTF(4, 5);
static int new_fail(int code, char *errbuf, size_t errbuf_size, const char *fmt, ...) {
    dlzi_err err;
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vset(&err, code, fmt, ap);
    va_end(ap);
    return dlzi_err_to_buf(&err, code, errbuf, errbuf_size);
}

int dlz_value_new_string(const char *utf8, size_t len, dlz_value **out, char *errbuf,
                         size_t errbuf_size) {
    if (out == NULL || (utf8 == NULL && len > 0) || len == SIZE_MAX) {
        if (out != NULL) {
            *out = NULL;
        }
        return new_fail(DLZ_EMISUSE, errbuf, errbuf_size, "dlz_value_new_string: %s",
                        out == NULL ? "NULL out" : "NULL text or bad length");
    }
    *out = NULL;
    size_t bad;
    if (!utf8_valid_at(utf8, len, &bad)) {
        return new_fail(DLZ_EFORMAT, errbuf, errbuf_size,
                        "string: byte %zu: not UTF-8 (overlong, truncated or above U+10FFFF)", bad);
    }
    *out = new_string_raw(utf8, len);
    return *out != NULL ? DLZ_OK : new_fail(DLZ_ENOMEM, errbuf, errbuf_size, "out of memory");
}

static dlz_value *new_scalar(dlz_value_type t, int64_t i) {
    dlz_value *v = node_new(t);
    if (v != NULL) {
        v->u.i = i;
    }
    return v;
}

dlz_value *dlz_value_new_int(int32_t v) {
    return new_scalar(DLZ_VALUE_INT, v);
}

dlz_value *dlz_value_new_long(int64_t v) {
    return new_scalar(DLZ_VALUE_LONG, v);
}

dlz_value *dlz_value_new_short(int16_t v) {
    return new_scalar(DLZ_VALUE_SHORT, v);
}

dlz_value *dlz_value_new_byte(int8_t v) {
    return new_scalar(DLZ_VALUE_BYTE, v);
}

dlz_value *dlz_value_new_boolean(int v) {
    return new_scalar(DLZ_VALUE_BOOLEAN, v != 0);
}

dlz_value *dlz_value_new_char(uint16_t v) {
    return new_scalar(DLZ_VALUE_CHAR, v);
}

dlz_value *dlz_value_new_double(double d) {
    dlz_value *v = node_new(DLZ_VALUE_DOUBLE);
    if (v != NULL) {
        v->u.d = d;
    }
    return v;
}

dlz_value *dlz_value_new_float(float f) {
    dlz_value *v = node_new(DLZ_VALUE_FLOAT);
    if (v != NULL) {
        v->u.f = f;
    }
    return v;
}

dlz_value *dlz_value_new_list(void) {
    return node_new(DLZ_VALUE_LIST);
}

dlz_value *dlz_value_new_map(int linked) {
    return node_new(linked ? DLZ_VALUE_LINKED_MAP : DLZ_VALUE_MAP);
}

static dlz_value *new_prim_array(dlz_value_type type, const void *elems, size_t n) {
    size_t es = elem_size(type);
    dlz_value *v = node_new(type);
    if (v == NULL) {
        return NULL;
    }
    v->u.a = dlzi_malloc(n * es);
    if (v->u.a == NULL) {
        dlzi_free(v);
        return NULL;
    }
    if (n > 0 && elems != NULL) {
        memcpy(v->u.a, elems, n * es);
    }
    v->n = n;
    if (type == DLZ_VALUE_BOOLEAN_ARRAY) {
        unsigned char *b = v->u.a;
        for (size_t i = 0; i < n; i++) {
            b[i] = b[i] != 0;
        }
    }
    return v;
}

static dlz_value *new_string_array(const char *const *strs, size_t n) {
    dlz_value *v = node_new(DLZ_VALUE_STRING_ARRAY);
    if (v == NULL || items_reserve(v, n) != DLZ_OK) {
        dlzi_free(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        dlz_value *s =
            strs[i] ? new_string_raw(strs[i], strlen(strs[i])) : node_new(DLZ_VALUE_NULL);
        if (s == NULL) {
            node_free_deep(v);
            return NULL;
        }
        s->in_box = 1;
        v->u.items[v->n++] = s;
    }
    if (n > 0) {
        v->height = 2;
    }
    return v;
}

int dlz_value_new_array(dlz_value_type type, const void *elems, size_t n, dlz_value **out,
                        char *errbuf, size_t errbuf_size) {
    if (out == NULL) {
        return new_fail(DLZ_EMISUSE, errbuf, errbuf_size, "dlz_value_new_array: NULL out");
    }
    *out = NULL;
    int is_strings = type == DLZ_VALUE_STRING_ARRAY;
    if (!is_prim_array(type) && !is_strings && type != DLZ_VALUE_OBJECT_ARRAY) {
        return new_fail(DLZ_EMISUSE, errbuf, errbuf_size,
                        "dlz_value_new_array: type %d is not an array type", (int)type);
    }
    if (n > JAVA_MAX_LEN) {
        return new_fail(DLZ_ELIMIT, errbuf, errbuf_size,
                        "dlz_value_new_array: %zu elements, Java allows 2147483647", n);
    }
    if ((elems == NULL && n > 0) || (type == DLZ_VALUE_OBJECT_ARRAY && n > 0)) {
        return new_fail(DLZ_EMISUSE, errbuf, errbuf_size, "dlz_value_new_array: %s",
                        type == DLZ_VALUE_OBJECT_ARRAY
                            ? "an Object[] starts empty: add items with dlz_value_append()"
                            : "NULL elements");
    }
    if (is_strings) {
        const char *const *strs = elems;
        for (size_t i = 0; i < n; i++) {
            size_t bad;
            if (strs[i] != NULL && !utf8_valid_at(strs[i], strlen(strs[i]), &bad)) {
                return new_fail(DLZ_EFORMAT, errbuf, errbuf_size,
                                "String[] item %zu: byte %zu: not UTF-8", i, bad);
            }
        }
    }
    *out = is_strings            ? new_string_array(elems, n)
           : is_prim_array(type) ? new_prim_array(type, elems, n)
                                 : node_new(type);
    return *out != NULL ? DLZ_OK : new_fail(DLZ_ENOMEM, errbuf, errbuf_size, "out of memory");
}

int dlz_value_append(dlz_value *c, dlz_value *item) {
    if (c == NULL || item == NULL || item == c || item->in_box || !is_seq(c->type)) {
        return DLZ_EMISUSE;
    }
    if (c->type == DLZ_VALUE_STRING_ARRAY && item->type != DLZ_VALUE_STRING &&
        item->type != DLZ_VALUE_NULL) {
        return DLZ_EMISUSE;
    }
    if (item->height + 1 > DLZ_VALUE_MAX_DEPTH || c->n >= JAVA_MAX_LEN) {
        return DLZ_ELIMIT;
    }
    if (items_reserve(c, 1) != DLZ_OK) {
        return DLZ_ENOMEM;
    }
    c->u.items[c->n++] = item;
    item->in_box = 1;
    if (item->height + 1 > c->height) {
        c->height = item->height + 1;
    }
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* Java's equals() and hashCode()                                            */

static uint64_t canon_double_bits(double d) {
    uint64_t b;
    if (isnan(d)) {
        return UINT64_C(0x7ff8000000000000);
    }
    memcpy(&b, &d, 8);
    return b;
}

static uint32_t canon_float_bits(float f) {
    uint32_t b;
    if (isnan(f)) {
        return 0x7fc00000u;
    }
    memcpy(&b, &f, 4);
    return b;
}

static ptrdiff_t map_find(const dlz_value *m, const dlz_value *key);

/* Java's equals() for the supported classes; arrays and opaque values compare
   by identity, as Java's arrays do. */
static int java_equal(const dlz_value *a, const dlz_value *b) {
    if (a == b) {
        return 1;
    }
    if (a->type != b->type && !(is_map(a->type) && is_map(b->type))) {
        return 0;
    }
    switch (a->type) {
    case DLZ_VALUE_NULL:
        return 1;
    case DLZ_VALUE_STRING:
        return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_BOOLEAN:
    case DLZ_VALUE_CHAR:
        return a->u.i == b->u.i;
    case DLZ_VALUE_DOUBLE:
        return canon_double_bits(a->u.d) == canon_double_bits(b->u.d);
    case DLZ_VALUE_FLOAT:
        return canon_float_bits(a->u.f) == canon_float_bits(b->u.f);
    case DLZ_VALUE_LIST:
        if (a->n != b->n) {
            return 0;
        }
        for (size_t i = 0; i < a->n; i++) {
            if (!java_equal(a->u.items[i], b->u.items[i])) {
                return 0;
            }
        }
        return 1;
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP:
        if (a->n != b->n) {
            return 0;
        }
        for (size_t i = 0; i < a->n; i++) {
            ptrdiff_t j = map_find(b, a->u.items[2 * i]);
            if (j < 0 || !java_equal(a->u.items[2 * i + 1], b->u.items[2 * j + 1])) {
                return 0;
            }
        }
        return 1;
    default:
        return 0;
    }
}

static ptrdiff_t map_find(const dlz_value *m, const dlz_value *key) {
    for (size_t i = 0; i < m->n; i++) {
        if (java_equal(m->u.items[2 * i], key)) {
            return (ptrdiff_t)i;
        }
    }
    return -1;
}

/* Java's hashCode(); returns -1 when it is an identity hash (arrays, opaque
   values), which nothing outside the JVM can know. */
static int java_hash(const dlz_value *v, uint32_t *h) {
    uint64_t b;
    switch (v->type) {
    case DLZ_VALUE_NULL:
        *h = 0;
        return 0;
    case DLZ_VALUE_STRING: {
        uint32_t x = 0;
        FOR_EACH_UNIT(v->u.s, v->n, u, x = 31 * x + u);
        *h = x;
        return 0;
    }
    case DLZ_VALUE_INT:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_CHAR:
        *h = (uint32_t)v->u.i;
        return 0;
    case DLZ_VALUE_LONG:
        b = (uint64_t)v->u.i;
        *h = (uint32_t)(b ^ b >> 32);
        return 0;
    case DLZ_VALUE_BOOLEAN:
        *h = v->u.i ? 1231 : 1237;
        return 0;
    case DLZ_VALUE_DOUBLE:
        b = canon_double_bits(v->u.d);
        *h = (uint32_t)(b ^ b >> 32);
        return 0;
    case DLZ_VALUE_FLOAT:
        *h = canon_float_bits(v->u.f);
        return 0;
    case DLZ_VALUE_LIST: {
        uint32_t x = 1, e;
        for (size_t i = 0; i < v->n; i++) {
            if (java_hash(v->u.items[i], &e) != 0) {
                return -1;
            }
            x = 31 * x + e;
        }
        *h = x;
        return 0;
    }
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP: {
        uint32_t x = 0, k, e;
        for (size_t i = 0; i < v->n; i++) {
            if (java_hash(v->u.items[2 * i], &k) != 0 ||
                java_hash(v->u.items[2 * i + 1], &e) != 0) {
                return -1;
            }
            x += k ^ e;
        }
        *h = x;
        return 0;
    }
    default:
        return -1;
    }
}

int dlz_value_map_put(dlz_value *m, dlz_value *key, dlz_value *value) {
    if (m == NULL || key == NULL || value == NULL || !is_map(m->type) || key == m || value == m ||
        key == value || key->in_box || value->in_box) {
        return DLZ_EMISUSE;
    }
    unsigned hk = key->height > value->height ? key->height : value->height;
    if (hk + 1 > DLZ_VALUE_MAX_DEPTH) {
        return DLZ_ELIMIT;
    }
    ptrdiff_t j = map_find(m, key);
    if (j >= 0) {
        node_free_deep(m->u.items[2 * j + 1]);
        m->u.items[2 * j + 1] = value;
        value->in_box = 1;
        node_free_deep(key);
    } else {
        if (m->n >= JAVA_MAX_LEN) {
            return DLZ_ELIMIT;
        }
        if (items_reserve(m, 2) != DLZ_OK) {
            return DLZ_ENOMEM;
        }
        m->u.items[2 * m->n] = key;
        m->u.items[2 * m->n + 1] = value;
        m->n++;
        key->in_box = value->in_box = 1;
    }
    if (hk + 1 > m->height) {
        m->height = hk + 1;
    }
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* Copy, equality, accessors                                                 */

/* Copies one node without its items (items array allocated, left empty);
   @p charge, when set, is told each allocation's size first. */
typedef int (*charge_fn)(void *ctx, size_t bytes);

static dlz_value *copy_shallow(const dlz_value *v, charge_fn charge, void *ctx, int *rc) {
    size_t payload = 0;
    if (v->type == DLZ_VALUE_STRING) {
        payload = v->n + 1;
    } else if (is_prim_array(v->type)) {
        payload = v->n * elem_size(v->type);
    } else if (is_seq(v->type) || is_map(v->type)) {
        payload = (is_map(v->type) ? 2 * v->n : v->n) * sizeof(dlz_value *);
    } else if (v->type == DLZ_VALUE_OPAQUE) {
        payload = v->n + strlen(v->u.op.cls) + 1;
    }
    if (charge != NULL && (*rc = charge(ctx, sizeof(dlz_value) + payload)) != DLZ_OK) {
        return NULL;
    }
    *rc = DLZ_ENOMEM;
    dlz_value *c = node_new(v->type);
    if (c == NULL) {
        return NULL;
    }
    c->height = v->height;
    c->access_order = v->access_order;
    if (v->type == DLZ_VALUE_STRING) {
        c->u.s = dlzi_malloc(v->n + 1);
        if (c->u.s == NULL) {
            goto fail;
        }
        memcpy(c->u.s, v->u.s, v->n + 1);
        c->n = v->n;
    } else if (is_prim_array(v->type)) {
        c->u.a = dlzi_malloc(payload);
        if (c->u.a == NULL) {
            goto fail;
        }
        if (payload > 0) {
            memcpy(c->u.a, v->u.a, payload);
        }
        c->n = v->n;
    } else if (is_seq(v->type) || is_map(v->type)) {
        if (v->n > 0) {
            c->u.items = dlzi_malloc(payload);
            if (c->u.items == NULL) {
                goto fail;
            }
            c->cap = payload / sizeof(dlz_value *);
        }
    } else if (v->type == DLZ_VALUE_OPAQUE) {
        c->u.op.cls = dlzi_strdup(v->u.op.cls);
        c->u.op.bytes = dlzi_malloc(v->n);
        if (c->u.op.cls == NULL || c->u.op.bytes == NULL) {
            goto fail;
        }
        memcpy(c->u.op.bytes, v->u.op.bytes, v->n);
        c->n = v->n;
    } else {
        c->u = v->u;
    }
    *rc = DLZ_OK;
    return c;
fail:
    node_free_shallow(c);
    return NULL;
}

/* Deep copy.  With @p reg set, every new node is handed to it (and then owned
   by the caller's bookkeeping: on failure nothing is freed here). */
typedef int (*reg_fn)(void *ctx, dlz_value *v);

static int copy_deep(const dlz_value *v, dlz_value **out, charge_fn charge, reg_fn reg, void *ctx) {
    int rc;
    dlz_value *c = copy_shallow(v, charge, ctx, &rc);
    *out = NULL;
    if (c == NULL) {
        return rc;
    }
    if (reg != NULL && (rc = reg(ctx, c)) != DLZ_OK) {
        node_free_shallow(c);
        return rc;
    }
    if (is_seq(v->type) || is_map(v->type)) {
        size_t per = is_map(v->type) ? 2 : 1; /* a map entry is copied whole */
        for (size_t i = 0; i < v->n; i++) {
            dlz_value *ci[2] = {NULL, NULL};
            for (size_t k = 0; k < per && rc == DLZ_OK; k++) {
                rc = copy_deep(v->u.items[per * i + k], &ci[k], charge, reg, ctx);
            }
            if (rc != DLZ_OK) {
                if (reg == NULL) { /* else the caller's bookkeeping frees them */
                    node_free_deep(ci[0]);
                    node_free_deep(c);
                }
                return rc;
            }
            for (size_t k = 0; k < per; k++) {
                ci[k]->in_box = 1;
                c->u.items[per * i + k] = ci[k];
            }
            c->n = i + 1;
        }
    }
    *out = c;
    return DLZ_OK;
}

dlz_value *dlz_value_copy(const dlz_value *v) {
    dlz_value *c = NULL;
    if (v != NULL) {
        copy_deep(v, &c, NULL, NULL, NULL);
    }
    return c;
}

int dlz_value_equal(const dlz_value *a, const dlz_value *b) {
    if (a == NULL || b == NULL) {
        return a == b;
    }
    if (a->type != b->type || a->n != b->n) {
        return 0;
    }
    switch (a->type) {
    case DLZ_VALUE_NULL:
        return 1;
    case DLZ_VALUE_STRING:
        return memcmp(a->u.s, b->u.s, a->n) == 0;
    case DLZ_VALUE_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0;
    case DLZ_VALUE_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case DLZ_VALUE_OPAQUE:
        return strcmp(a->u.op.cls, b->u.op.cls) == 0 &&
               memcmp(a->u.op.bytes, b->u.op.bytes, a->n) == 0;
    default:
        break;
    }
    if (is_prim_array(a->type)) {
        return a->n == 0 || memcmp(a->u.a, b->u.a, a->n * elem_size(a->type)) == 0;
    }
    if (is_seq(a->type) || is_map(a->type)) {
        size_t k = is_map(a->type) ? 2 * a->n : a->n;
        for (size_t i = 0; i < k; i++) {
            if (!dlz_value_equal(a->u.items[i], b->u.items[i])) {
                return 0;
            }
        }
        return 1;
    }
    return a->u.i == b->u.i;
}

dlz_value_type dlz_value_type_of(const dlz_value *v) {
    return v != NULL ? v->type : DLZ_VALUE_NULL;
}

const char *dlz_value_string(const dlz_value *v, size_t *len) {
    if (v == NULL || v->type != DLZ_VALUE_STRING) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = v->n;
    }
    return v->u.s;
}

int64_t dlz_value_integer(const dlz_value *v) {
    if (v == NULL) {
        return 0;
    }
    switch (v->type) {
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_BOOLEAN:
    case DLZ_VALUE_CHAR:
        return v->u.i;
    default:
        return 0;
    }
}

double dlz_value_real(const dlz_value *v) {
    if (v != NULL && v->type == DLZ_VALUE_DOUBLE) {
        return v->u.d;
    }
    if (v != NULL && v->type == DLZ_VALUE_FLOAT) {
        return (double)v->u.f;
    }
    return 0.0;
}

const void *dlz_value_array_data(const dlz_value *v, size_t *n) {
    if (v == NULL || !is_prim_array(v->type)) {
        if (n != NULL) {
            *n = 0;
        }
        return NULL;
    }
    if (n != NULL) {
        *n = v->n;
    }
    return v->u.a;
}

size_t dlz_value_count(const dlz_value *v) {
    if (v == NULL || !(is_prim_array(v->type) || is_seq(v->type) || is_map(v->type))) {
        return 0;
    }
    return v->n;
}

const dlz_value *dlz_value_item(const dlz_value *v, size_t i) {
    if (v == NULL || !is_seq(v->type) || i >= v->n) {
        return NULL;
    }
    return v->u.items[i];
}

const dlz_value *dlz_value_map_key(const dlz_value *v, size_t i) {
    if (v == NULL || !is_map(v->type) || i >= v->n) {
        return NULL;
    }
    return v->u.items[2 * i];
}

const dlz_value *dlz_value_map_value(const dlz_value *v, size_t i) {
    if (v == NULL || !is_map(v->type) || i >= v->n) {
        return NULL;
    }
    return v->u.items[2 * i + 1];
}

const dlz_value *dlz_value_map_get(const dlz_value *m, const dlz_value *key) {
    if (m == NULL || key == NULL || !is_map(m->type)) {
        return NULL;
    }
    ptrdiff_t j = map_find(m, key);
    return j >= 0 ? m->u.items[2 * j + 1] : NULL;
}

const char *dlz_value_opaque_class(const dlz_value *v) {
    return v != NULL && v->type == DLZ_VALUE_OPAQUE ? v->u.op.cls : NULL;
}

const void *dlz_value_opaque_bytes(const dlz_value *v, size_t *len) {
    if (v == NULL || v->type != DLZ_VALUE_OPAQUE) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = v->n;
    }
    return v->u.op.bytes;
}

/* ------------------------------------------------------------------------ */
/* The supported classes                                                     */

#define TC_NULL 0x70
#define TC_REFERENCE 0x71
#define TC_CLASSDESC 0x72
#define TC_OBJECT 0x73
#define TC_STRING 0x74
#define TC_ARRAY 0x75
#define TC_CLASS 0x76
#define TC_BLOCKDATA 0x77
#define TC_ENDBLOCKDATA 0x78
#define TC_RESET 0x79
#define TC_BLOCKDATALONG 0x7A
#define TC_EXCEPTION 0x7B
#define TC_LONGSTRING 0x7C
#define TC_PROXYCLASSDESC 0x7D
#define TC_ENUM 0x7E

#define SC_WRITE_METHOD 0x01
#define SC_SERIALIZABLE 0x02
#define SC_EXTERNALIZABLE 0x04
#define SC_BLOCK_DATA 0x08
#define SC_ENUM 0x10

#define BASE_HANDLE 0x7E0000

enum {
    C_INTEGER,
    C_LONG,
    C_DOUBLE,
    C_FLOAT,
    C_SHORT,
    C_BYTE,
    C_BOOLEAN,
    C_CHAR,
    C_NUMBER,
    C_ARRAYLIST,
    C_HASHMAP,
    C_LINKEDHASHMAP,
    C_BYTES,
    C_SHORTS,
    C_INTS,
    C_LONGS,
    C_FLOATS,
    C_DOUBLES,
    C_BOOLEANS,
    C_CHARS,
    C_STRINGS,
    C_OBJECTS,
    N_CLS,
    C_OTHER = N_CLS,
    C_PROXY
};

typedef struct cls_spec {
    const char *name;
    uint64_t uid;
    unsigned char flags;
    int nfields;
    char ftype[2];
    const char *fname[2];
    int super;
    dlz_value_type type;
} cls_spec;

#define BOX(n, u, t, s, ty)                                                                        \
    { n, UINT64_C(u), SC_SERIALIZABLE, 1, {t, 0}, {"value", NULL}, s, ty }
#define ARR(n, u, ty)                                                                              \
    { n, UINT64_C(u), SC_SERIALIZABLE, 0, {0, 0}, {NULL, NULL}, -1, ty }

static const cls_spec CLASSES[N_CLS] = {
    BOX("java.lang.Integer", 0x12E2A0A4F7818738, 'I', C_NUMBER, DLZ_VALUE_INT),
    BOX("java.lang.Long", 0x3B8BE490CC8F23DF, 'J', C_NUMBER, DLZ_VALUE_LONG),
    BOX("java.lang.Double", 0x80B3C24A296BFB04, 'D', C_NUMBER, DLZ_VALUE_DOUBLE),
    BOX("java.lang.Float", 0xDAEDC9A2DB3CF0EC, 'F', C_NUMBER, DLZ_VALUE_FLOAT),
    BOX("java.lang.Short", 0x684D37133460DA52, 'S', C_NUMBER, DLZ_VALUE_SHORT),
    BOX("java.lang.Byte", 0x9C4E6084EE50F51C, 'B', C_NUMBER, DLZ_VALUE_BYTE),
    BOX("java.lang.Boolean", 0xCD207280D59CFAEE, 'Z', -1, DLZ_VALUE_BOOLEAN),
    BOX("java.lang.Character", 0x348B47D96B1A2678, 'C', -1, DLZ_VALUE_CHAR),
    {"java.lang.Number",
     UINT64_C(0x86AC951D0B94E08B),
     SC_SERIALIZABLE,
     0,
     {0, 0},
     {NULL, NULL},
     -1,
     DLZ_VALUE_NULL},
    {"java.util.ArrayList",
     UINT64_C(0x7881D21D99C7619D),
     SC_SERIALIZABLE | SC_WRITE_METHOD,
     1,
     {'I', 0},
     {"size", NULL},
     -1,
     DLZ_VALUE_LIST},
    {"java.util.HashMap",
     UINT64_C(0x0507DAC1C31660D1),
     SC_SERIALIZABLE | SC_WRITE_METHOD,
     2,
     {'F', 'I'},
     {"loadFactor", "threshold"},
     -1,
     DLZ_VALUE_MAP},
    {"java.util.LinkedHashMap",
     UINT64_C(0x34C04E5C106CC0FB),
     SC_SERIALIZABLE,
     1,
     {'Z', 0},
     {"accessOrder", NULL},
     C_HASHMAP,
     DLZ_VALUE_LINKED_MAP},
    ARR("[B", 0xACF317F8060854E0, DLZ_VALUE_BYTE_ARRAY),
    ARR("[S", 0xEF832E06E55DB0FA, DLZ_VALUE_SHORT_ARRAY),
    ARR("[I", 0x4DBA602676EAB2A5, DLZ_VALUE_INT_ARRAY),
    ARR("[J", 0x782004B512B17593, DLZ_VALUE_LONG_ARRAY),
    ARR("[F", 0x0B9C818922E00C42, DLZ_VALUE_FLOAT_ARRAY),
    ARR("[D", 0x3EA68C14AB635A1E, DLZ_VALUE_DOUBLE_ARRAY),
    ARR("[Z", 0x578F203914B85DE2, DLZ_VALUE_BOOLEAN_ARRAY),
    ARR("[C", 0xB02666B0E25D84AC, DLZ_VALUE_CHAR_ARRAY),
    ARR("[Ljava.lang.String;", 0xADD256E7E91D7B47, DLZ_VALUE_STRING_ARRAY),
    ARR("[Ljava.lang.Object;", 0x90CE589F1073296C, DLZ_VALUE_OBJECT_ARRAY),
};

static int cls_of_name(const char *name, size_t len) {
    for (int i = 0; i < N_CLS; i++) {
        if (strlen(CLASSES[i].name) == len && memcmp(CLASSES[i].name, name, len) == 0) {
            return i;
        }
    }
    return C_OTHER;
}

static int cls_of_type(dlz_value_type t) {
    for (int i = 0; i < N_CLS; i++) {
        if (CLASSES[i].type == t && i != C_NUMBER) {
            return i;
        }
    }
    return -1;
}

static size_t prim_size(unsigned char tc) {
    switch (tc) {
    case 'B':
    case 'Z':
        return 1;
    case 'C':
    case 'S':
        return 2;
    case 'F':
    case 'I':
        return 4;
    case 'D':
    case 'J':
        return 8;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Decoder                                                                   */

typedef struct jdesc {
    char *name;
    int cls; /* index into CLASSES, C_OTHER or C_PROXY */
    unsigned char flags;
    size_t nfields;
    unsigned char *ftypes;
    int64_t super; /* handle index of the superclass descriptor, or -1 */
} jdesc;

enum { H_DESC, H_VALUE, H_OTHER };

typedef struct jhandle {
    unsigned char kind;
    unsigned char done; /* the object was read completely */
    dlz_value *node;    /* H_VALUE */
    jdesc *desc;        /* H_DESC */
} jhandle;

#define DESC_NESTING_MAX 128
#define CHAIN_MAX 64

typedef struct dec {
    const unsigned char *p;
    size_t len, pos;
    int max_depth, depth, ddepth;
    jhandle *h;
    size_t nh, caph;
    dlz_value **all; /* every node created, for cleanup */
    size_t nall, capall;
    uint64_t budget, used;
    char *opaque; /* first unsupported class */
    int cyclic;   /* a reference to an object still being read */
    size_t cyclic_off;
    int stop; /* opaque, and the rest cannot be delimited */
    char *errbuf;
    size_t errbuf_size;
} dec;

static int dfail(dec *d, int code, size_t off, const char *fmt, ...) DLZI_PRINTF(4, 5);

static int dfail(dec *d, int code, size_t off, const char *fmt, ...) {
    if (d->errbuf != NULL && d->errbuf_size > 0) {
        int n = snprintf(d->errbuf, d->errbuf_size, "byte %zu: ", off);
        if (n >= 0 && (size_t)n < d->errbuf_size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(d->errbuf + n, d->errbuf_size - (size_t)n, fmt, ap);
            va_end(ap);
            dlzi_err_one_line(d->errbuf); /* class and field names come from the stream */
        }
    }
    return code;
}

static int nomem(dec *d) {
    return dfail(d, DLZ_ENOMEM, d->pos, "out of memory");
}

static int discarding(const dec *d) {
    return d->opaque != NULL || d->cyclic;
}

static int charge(void *ctx, size_t bytes) {
    dec *d = ctx;
    d->used += bytes;
    if (d->used > d->budget) {
        return dfail(d, DLZ_ELIMIT, d->pos,
                     "the decoded value would take more than %llu bytes of memory",
                     (unsigned long long)d->budget);
    }
    return DLZ_OK;
}

static int reg_node(void *ctx, dlz_value *v) {
    dec *d = ctx;
    if (d->nall == d->capall) {
        size_t cap = d->capall ? 2 * d->capall : 64;
        dlz_value **a = dlzi_realloc(d->all, cap * sizeof *a);
        if (a == NULL) {
            return nomem(d);
        }
        d->all = a;
        d->capall = cap;
    }
    d->all[d->nall++] = v;
    return DLZ_OK;
}

/* A new node, charged and recorded. */
static int dnode(dec *d, dlz_value_type t, dlz_value **out) {
    int rc = charge(d, sizeof(dlz_value) + sizeof(dlz_value *));
    if (rc != DLZ_OK) {
        return rc;
    }
    dlz_value *v = node_new(t);
    if (v == NULL) {
        return nomem(d);
    }
    if ((rc = reg_node(d, v)) != DLZ_OK) {
        dlzi_free(v);
        return rc;
    }
    *out = v;
    return DLZ_OK;
}

/* Puts an item into a reserved slot of a container. */
static void attach(dlz_value *c, size_t slot, dlz_value *item) {
    c->u.items[slot] = item;
    item->in_box = 1;
    if (item->height + 1 > c->height) {
        c->height = item->height + 1;
    }
}

/* Reserves room for n items, n already checked against the bytes left. */
static int dreserve(dec *d, dlz_value *c, size_t n) {
    int rc = charge(d, n * sizeof(dlz_value *));
    if (rc != DLZ_OK) {
        return rc;
    }
    return items_reserve(c, n) == DLZ_OK ? DLZ_OK : nomem(d);
}

static size_t left(const dec *d) {
    return d->len - d->pos;
}

static int need(dec *d, size_t n, const char *what) {
    if (left(d) < n) {
        return dfail(d, DLZ_EFORMAT, d->pos, "truncated: expected %s (%zu byte%s), %zu left", what,
                     n, n == 1 ? "" : "s", left(d));
    }
    return DLZ_OK;
}

static int rd_u8(dec *d, const char *what, unsigned char *v) {
    int rc = need(d, 1, what);
    if (rc == DLZ_OK) {
        *v = d->p[d->pos++];
    }
    return rc;
}

static int rd_u16(dec *d, const char *what, uint16_t *v) {
    int rc = need(d, 2, what);
    if (rc == DLZ_OK) {
        *v = dlzi_get_be16(d->p + d->pos);
        d->pos += 2;
    }
    return rc;
}

static int rd_i32(dec *d, const char *what, int32_t *v) {
    int rc = need(d, 4, what);
    if (rc == DLZ_OK) {
        *v = (int32_t)dlzi_get_be32(d->p + d->pos);
        d->pos += 4;
    }
    return rc;
}

static int rd_u64(dec *d, const char *what, uint64_t *v) {
    int rc = need(d, 8, what);
    if (rc == DLZ_OK) {
        *v = dlzi_get_be64(d->p + d->pos);
        d->pos += 8;
    }
    return rc;
}

/* Modified UTF-8 of n bytes at the current position: checked as
   DataInputStream.readUTF() does, and, when out is set, converted to UTF-8
   (surrogate pairs joined, lone surrogates kept as 3 bytes) into a new
   NUL-terminated buffer (at most n + 1 bytes). */
static int rd_mutf(dec *d, size_t n, char **out, size_t *outlen) {
    const unsigned char *s = d->p + d->pos;
    unsigned char *o = NULL;
    size_t k = 0;
    if (out != NULL) {
        int rc = charge(d, n + 1);
        if (rc != DLZ_OK) {
            return rc;
        }
        o = dlzi_malloc(n + 1);
        if (o == NULL) {
            return nomem(d);
        }
    }
    uint32_t pending = 0; /* a high surrogate waiting for its pair */
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        uint32_t u;
        if (c < 0x80) {
            u = c;
            i += 1;
        } else if ((c & 0xE0) == 0xC0 && n - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
            u = (c & 0x1Fu) << 6 | (s[i + 1] & 0x3Fu);
            i += 2;
        } else if ((c & 0xF0) == 0xE0 && n - i >= 3 && (s[i + 1] & 0xC0) == 0x80 &&
                   (s[i + 2] & 0xC0) == 0x80) {
            u = (c & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu);
            i += 3;
        } else {
            dlzi_free(o);
            return dfail(d, DLZ_EFORMAT, d->pos + i, "malformed modified UTF-8 (byte 0x%02x)", c);
        }
        if (o == NULL) {
            continue;
        }
        if (pending != 0) {
            if (u >= 0xDC00 && u <= 0xDFFF) {
                k += utf8_put(o + k, 0x10000 + ((pending - 0xD800) << 10) + (u - 0xDC00));
                pending = 0;
                continue;
            }
            k += utf8_put(o + k, pending);
            pending = 0;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            pending = u;
        } else {
            k += utf8_put(o + k, u);
        }
    }
    if (o != NULL) {
        if (pending != 0) {
            k += utf8_put(o + k, pending);
        }
        o[k] = 0;
        *out = (char *)o;
        *outlen = k;
    }
    d->pos += n;
    return DLZ_OK;
}

/* A writeUTF string (u16 length + modified UTF-8). */
static int rd_utf(dec *d, const char *what, char **out, size_t *outlen) {
    uint16_t n;
    int rc = rd_u16(d, what, &n);
    if (rc == DLZ_OK) {
        rc = need(d, n, what);
    }
    return rc != DLZ_OK ? rc : rd_mutf(d, n, out, outlen);
}

static int set_opaque(dec *d, const char *name) {
    if (d->opaque == NULL) {
        d->opaque = dlzi_strdup(name);
        if (d->opaque == NULL) {
            return nomem(d);
        }
    }
    return DLZ_OK;
}

static int hnew(dec *d, unsigned char kind, size_t *idx) {
    if (d->nh == d->caph) {
        size_t cap = d->caph ? 2 * d->caph : 32;
        int rc = charge(d, (cap - d->caph) * sizeof(jhandle));
        if (rc != DLZ_OK) {
            return rc;
        }
        jhandle *h = dlzi_realloc(d->h, cap * sizeof *h);
        if (h == NULL) {
            return nomem(d);
        }
        d->h = h;
        d->caph = cap;
    }
    memset(&d->h[d->nh], 0, sizeof d->h[0]);
    d->h[d->nh].kind = kind;
    *idx = d->nh++;
    return DLZ_OK;
}

static int hnew_value(dec *d, dlz_value *node, size_t *idx) {
    int rc = hnew(d, H_VALUE, idx);
    if (rc == DLZ_OK) {
        d->h[*idx].node = node;
    }
    return rc;
}

static void desc_free(jdesc *ds) {
    if (ds != NULL) {
        dlzi_free(ds->name);
        dlzi_free(ds->ftypes);
        dlzi_free(ds);
    }
}

static void handles_clear(dec *d) {
    for (size_t i = 0; i < d->nh; i++) {
        desc_free(d->h[i].desc);
    }
    d->nh = 0;
}

/* A handle number read at the current position, as an index. */
static int rd_handle(dec *d, size_t *idx) {
    size_t off = d->pos;
    int32_t raw;
    int rc = rd_i32(d, "a handle", &raw);
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t i = (int64_t)raw - BASE_HANDLE;
    if (i < 0 || (uint64_t)i >= d->nh) {
        return dfail(d, DLZ_EFORMAT, off,
                     "reference to handle 0x%08x, but only handles 0x7e0000..0x%08llx exist",
                     (unsigned)raw, (unsigned long long)(BASE_HANDLE + (int64_t)d->nh - 1));
    }
    *idx = (size_t)i;
    return DLZ_OK;
}

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != DLZ_OK) {                                                                       \
            return rc_;                                                                            \
        }                                                                                          \
        if (d->stop) {                                                                             \
            return DLZ_OK;                                                                         \
        }                                                                                          \
    } while (0)

static int read_content(dec *d, dlz_value **out);
static int read_classdesc(dec *d, int64_t *out);

/* content* TC_ENDBLOCKDATA, contents read and dropped. */
static int read_annotation(dec *d) {
    for (;;) {
        TRY(need(d, 1, "annotation contents or end of block data (0x78)"));
        unsigned char tc = d->p[d->pos];
        if (tc == TC_ENDBLOCKDATA) {
            d->pos++;
            return DLZ_OK;
        } else if (tc == TC_BLOCKDATA) {
            unsigned char n;
            d->pos++;
            TRY(rd_u8(d, "a block data length", &n));
            TRY(need(d, n, "block data"));
            d->pos += n;
        } else if (tc == TC_BLOCKDATALONG) {
            int32_t n;
            size_t off = ++d->pos;
            TRY(rd_i32(d, "a block data length", &n));
            if (n < 0) {
                return dfail(d, DLZ_EFORMAT, off, "negative block data length %d", (int)n);
            }
            TRY(need(d, (size_t)n, "block data"));
            d->pos += (size_t)n;
        } else {
            dlz_value *v;
            TRY(read_content(d, &v));
        }
    }
}

/* Primitive data read from the block data of an annotation, which may be
   split into blocks anywhere. */
typedef struct blk {
    size_t left; /* bytes left in the current block */
} blk;

static int blk_read(dec *d, blk *b, unsigned char *dst, size_t n) {
    while (n > 0) {
        if (b->left == 0) {
            size_t off = d->pos;
            unsigned char tc;
            TRY(rd_u8(d, "block data (0x77 or 0x7A)", &tc));
            if (tc == TC_BLOCKDATA) {
                unsigned char k;
                TRY(rd_u8(d, "a block data length", &k));
                b->left = k;
            } else if (tc == TC_BLOCKDATALONG) {
                int32_t k;
                TRY(rd_i32(d, "a block data length", &k));
                if (k < 0) {
                    return dfail(d, DLZ_EFORMAT, off, "negative block data length %d", (int)k);
                }
                b->left = (size_t)k;
            } else {
                return dfail(d, DLZ_EFORMAT, off,
                             "expected block data (0x77 or 0x7A) holding %zu more bytes, found "
                             "0x%02x",
                             n, tc);
            }
            TRY(need(d, b->left, "block data"));
        }
        size_t k = n < b->left ? n : b->left;
        memcpy(dst, d->p + d->pos, k);
        d->pos += k;
        dst += k;
        n -= k;
        b->left -= k;
    }
    return DLZ_OK;
}

/* Objects may follow only once the block is used up (Java throws
   OptionalDataException otherwise). */
static int blk_done(dec *d, const blk *b) {
    if (b->left > 0) {
        return dfail(d, DLZ_EFORMAT, d->pos, "%zu unexpected bytes of block data", b->left);
    }
    return DLZ_OK;
}

/* The rest of an annotation whose expected data was read: leftover block
   data and extra contents are skipped, as Java does. */
static int annotation_rest(dec *d, blk *b) {
    d->pos += b->left;
    b->left = 0;
    return read_annotation(d);
}

/* TC_STRING / TC_LONGSTRING (type code already read). */
static int read_string(dec *d, unsigned char tc, dlz_value **out) {
    size_t off = d->pos;
    uint64_t n;
    if (tc == TC_STRING) {
        uint16_t n16;
        TRY(rd_u16(d, "a string length", &n16));
        n = n16;
    } else {
        TRY(rd_u64(d, "a long string length", &n));
        if (n > INT64_MAX) {
            return dfail(d, DLZ_EFORMAT, off, "negative string length");
        }
    }
    if (n > left(d)) {
        return dfail(d, DLZ_EFORMAT, d->pos, "truncated: string of %llu bytes, %zu left",
                     (unsigned long long)n, left(d));
    }
    dlz_value *v = NULL;
    TRY(dnode(d, DLZ_VALUE_STRING, &v));
    TRY(rd_mutf(d, (size_t)n, &v->u.s, &v->n));
    size_t h;
    TRY(hnew_value(d, v, &h));
    d->h[h].done = 1;
    *out = v;
    return DLZ_OK;
}

/* A field type string or an enum constant name: a string or a reference to
   one (Java's readTypeString / readString). */
static int read_string_only(dec *d, const char *what) {
    size_t off = d->pos;
    unsigned char tc;
    dlz_value *v = NULL;
    TRY(rd_u8(d, what, &tc));
    if (tc == TC_STRING || tc == TC_LONGSTRING) {
        return read_string(d, tc, &v);
    }
    if (tc == TC_REFERENCE) {
        size_t h;
        TRY(rd_handle(d, &h));
        if (d->h[h].kind != H_VALUE || d->h[h].node->type != DLZ_VALUE_STRING) {
            return dfail(d, DLZ_EFORMAT, off, "expected %s, found a reference to a non-string",
                         what);
        }
        return DLZ_OK;
    }
    return dfail(d, DLZ_EFORMAT, off, "expected %s (0x74, 0x7C or 0x71), found 0x%02x", what, tc);
}

static const cls_spec *spec_of(const jdesc *ds) {
    return ds->cls < N_CLS ? &CLASSES[ds->cls] : NULL;
}

/* TC_CLASSDESC / TC_PROXYCLASSDESC (type code already read). */
static int read_new_desc(dec *d, int proxy, size_t tc_off, int64_t *out) {
    size_t h;
    jdesc *ds;
    if (proxy) {
        TRY(charge(d, sizeof *ds));
        TRY(hnew(d, H_DESC, &h));
        ds = dlzi_calloc(1, sizeof *ds);
        if (ds == NULL) {
            return nomem(d);
        }
        d->h[h].desc = ds;
        ds->cls = C_PROXY;
        ds->flags = SC_SERIALIZABLE;
        ds->super = -1;
        int32_t n;
        size_t off = d->pos;
        TRY(rd_i32(d, "a proxy interface count", &n));
        if (n < 0 || n > 65535) {
            return dfail(d, DLZ_EFORMAT, off, "proxy interface count %d out of range", (int)n);
        }
        for (int32_t i = 0; i < n; i++) {
            TRY(rd_utf(d, "a proxy interface name", NULL, NULL));
        }
    } else {
        char *name;
        size_t nlen;
        uint64_t uid;
        TRY(rd_utf(d, "a class name", &name, &nlen));
        int cls = cls_of_name(name, nlen);
        int rc = charge(d, sizeof *ds);
        if (rc == DLZ_OK) {
            rc = rd_u64(d, "a serialVersionUID", &uid);
        }
        if (rc == DLZ_OK) {
            rc = hnew(d, H_DESC, &h);
        }
        ds = rc == DLZ_OK ? dlzi_calloc(1, sizeof *ds) : NULL;
        if (ds == NULL) {
            dlzi_free(name);
            return rc != DLZ_OK ? rc : nomem(d);
        }
        d->h[h].desc = ds;
        ds->name = name;
        ds->cls = cls;
        ds->super = -1;
        const cls_spec *sp = spec_of(ds);
        uint16_t nf;
        size_t off = d->pos;
        TRY(rd_u8(d, "class descriptor flags", &ds->flags));
        if ((ds->flags & SC_SERIALIZABLE) && (ds->flags & SC_EXTERNALIZABLE)) {
            return dfail(d, DLZ_EFORMAT, off,
                         "class %s is flagged both serializable and externalizable", name);
        }
        if (sp != NULL && (uid != sp->uid || ds->flags != sp->flags)) {
            return dfail(d, DLZ_EFORMAT, tc_off,
                         "descriptor of %s: expected serialVersionUID 0x%016llx and flags 0x%02x, "
                         "found 0x%016llx and 0x%02x",
                         name, (unsigned long long)sp->uid, sp->flags, (unsigned long long)uid,
                         ds->flags);
        }
        off = d->pos;
        TRY(rd_u16(d, "a field count", &nf));
        if ((size_t)nf * 3 > left(d)) {
            return dfail(d, DLZ_EFORMAT, off, "truncated: %u fields cannot fit in %zu bytes",
                         (unsigned)nf, left(d));
        }
        if (sp != NULL && nf != sp->nfields) {
            return dfail(d, DLZ_EFORMAT, off, "descriptor of %s: expected %d fields, found %u",
                         name, sp->nfields, (unsigned)nf);
        }
        TRY(charge(d, nf));
        ds->ftypes = dlzi_malloc(nf);
        if (ds->ftypes == NULL) {
            return nomem(d);
        }
        ds->nfields = nf;
        for (unsigned i = 0; i < nf; i++) {
            unsigned char t;
            off = d->pos;
            TRY(rd_u8(d, "a field type code", &t));
            if (prim_size(t) == 0 && t != 'L' && t != '[') {
                return dfail(d, DLZ_EFORMAT, off, "invalid field type code 0x%02x", t);
            }
            ds->ftypes[i] = t;
            uint16_t fl;
            TRY(rd_u16(d, "a field name", &fl));
            TRY(need(d, fl, "a field name"));
            if (sp != NULL && (t != (unsigned char)sp->ftype[i] || fl != strlen(sp->fname[i]) ||
                               memcmp(d->p + d->pos, sp->fname[i], fl) != 0)) {
                return dfail(d, DLZ_EFORMAT, off, "descriptor of %s: expected field %c %s", name,
                             sp->ftype[i], sp->fname[i]);
            }
            TRY(rd_mutf(d, fl, NULL, NULL));
            if (t == 'L' || t == '[') {
                TRY(read_string_only(d, "a field type name"));
            }
        }
    }
    TRY(read_annotation(d));
    int64_t sup;
    size_t sup_off = d->pos;
    TRY(read_classdesc(d, &sup));
    ds->super = sup;
    const cls_spec *sp = spec_of(ds);
    if (sp != NULL) {
        int got = sup >= 0 ? d->h[sup].desc->cls : -1;
        if (got != sp->super) {
            return dfail(d, DLZ_EFORMAT, sup_off, "descriptor of %s: expected superclass %s",
                         ds->name, sp->super >= 0 ? CLASSES[sp->super].name : "none");
        }
    }
    *out = (int64_t)h;
    return DLZ_OK;
}

static int read_classdesc(dec *d, int64_t *out) {
    size_t off = d->pos;
    unsigned char tc;
    TRY(rd_u8(d, "a class descriptor", &tc));
    if (tc == TC_NULL) {
        *out = -1;
        return DLZ_OK;
    }
    if (tc == TC_REFERENCE) {
        size_t h;
        TRY(rd_handle(d, &h));
        if (d->h[h].kind != H_DESC) {
            return dfail(d, DLZ_EFORMAT, off,
                         "expected a class descriptor, found a reference to an object");
        }
        *out = (int64_t)h;
        return DLZ_OK;
    }
    if (tc != TC_CLASSDESC && tc != TC_PROXYCLASSDESC) {
        return dfail(d, DLZ_EFORMAT, off,
                     "expected a class descriptor (0x70, 0x71, 0x72 or 0x7D), found 0x%02x", tc);
    }
    if (++d->ddepth > DESC_NESTING_MAX) {
        return dfail(d, DLZ_ELIMIT, off, "class descriptors nested deeper than %d",
                     DESC_NESTING_MAX);
    }
    int rc = read_new_desc(d, tc == TC_PROXYCLASSDESC, off, out);
    d->ddepth--;
    return rc;
}

/* Class data of an unsupported class: delimited by its descriptors. */
static int read_classdata_other(dec *d, size_t di) {
    size_t n = 0;
    int64_t cur = (int64_t)di;
    const jdesc *chain[CHAIN_MAX];
    while (cur >= 0) {
        if (n == CHAIN_MAX) {
            return dfail(d, DLZ_ELIMIT, d->pos,
                         "the class hierarchy of %s is deeper than %d classes (or loops)",
                         d->h[di].desc->name ? d->h[di].desc->name : "a proxy", CHAIN_MAX);
        }
        chain[n++] = d->h[cur].desc;
        cur = d->h[cur].desc->super;
    }
    for (size_t level = n; level-- > 0;) {
        const jdesc *ds = chain[level];
        if (ds->flags & SC_EXTERNALIZABLE) {
            if (!(ds->flags & SC_BLOCK_DATA)) {
                d->stop = 1; /* protocol 1: the data has no delimiter */
                return DLZ_OK;
            }
            TRY(read_annotation(d));
        } else if (ds->flags & SC_SERIALIZABLE) {
            for (size_t i = 0; i < ds->nfields; i++) {
                size_t sz = prim_size(ds->ftypes[i]);
                if (sz > 0) {
                    TRY(need(d, sz, "a field value"));
                    d->pos += sz;
                } else {
                    dlz_value *v;
                    TRY(read_content(d, &v));
                }
            }
            if (ds->flags & SC_WRITE_METHOD) {
                TRY(read_annotation(d));
            }
        }
    }
    return DLZ_OK;
}

static int read_list(dec *d, dlz_value **out) {
    dlz_value *v = NULL;
    size_t h, off = d->pos;
    int32_t size;
    unsigned char cap[4];
    blk b = {0};
    TRY(dnode(d, DLZ_VALUE_LIST, &v));
    TRY(hnew_value(d, v, &h));
    TRY(rd_i32(d, "the ArrayList size", &size));
    if (size < 0 || (size_t)size > left(d)) {
        return dfail(d, DLZ_EFORMAT, off, "ArrayList size %d out of range (%zu bytes left)",
                     (int)size, left(d));
    }
    TRY(blk_read(d, &b, cap, 4));
    if (size > 0) {
        TRY(blk_done(d, &b));
    }
    TRY(dreserve(d, v, (size_t)size));
    for (int32_t i = 0; i < size; i++) {
        dlz_value *item;
        TRY(read_content(d, &item));
        if (item != NULL) {
            attach(v, v->n++, item);
        }
    }
    TRY(annotation_rest(d, &b));
    d->h[h].done = 1;
    *out = v;
    return DLZ_OK;
}

static int read_map(dec *d, int linked, dlz_value **out) {
    dlz_value *v = NULL;
    size_t h, off = d->pos;
    unsigned char f[8];
    blk b = {0};
    TRY(dnode(d, linked ? DLZ_VALUE_LINKED_MAP : DLZ_VALUE_MAP, &v));
    TRY(hnew_value(d, v, &h));
    TRY(need(d, 8, "the HashMap fields"));
    uint32_t lfbits = dlzi_get_be32(d->p + d->pos);
    float lf;
    memcpy(&lf, &lfbits, 4);
    if (!(lf > 0.0f)) {
        return dfail(d, DLZ_EFORMAT, off, "HashMap load factor %g is not positive", (double)lf);
    }
    d->pos += 8;
    off = d->pos;
    TRY(blk_read(d, &b, f, 8));
    int32_t size = (int32_t)dlzi_get_be32(f + 4);
    if (size < 0 || (size_t)size > left(d) / 2) {
        return dfail(d, DLZ_EFORMAT, off, "HashMap size %d out of range (%zu bytes left)",
                     (int)size, left(d));
    }
    if (size > 0) {
        TRY(blk_done(d, &b));
    }
    TRY(dreserve(d, v, 2 * (size_t)size));
    for (int32_t i = 0; i < size; i++) {
        dlz_value *k, *val;
        TRY(read_content(d, &k));
        TRY(read_content(d, &val));
        if (k != NULL && val != NULL) {
            attach(v, 2 * v->n, k);
            attach(v, 2 * v->n + 1, val);
            v->n++;
        }
    }
    TRY(annotation_rest(d, &b));
    if (linked) {
        unsigned char ao;
        TRY(rd_u8(d, "the LinkedHashMap accessOrder field", &ao));
        v->access_order = ao != 0;
    }
    d->h[h].done = 1;
    *out = v;
    return DLZ_OK;
}

/* A boxed primitive: the one field "value". */
static int read_boxed(dec *d, int cls, dlz_value **out) {
    dlz_value *v = NULL;
    size_t h;
    unsigned char t = (unsigned char)CLASSES[cls].ftype[0];
    size_t sz = prim_size(t);
    TRY(dnode(d, CLASSES[cls].type, &v));
    TRY(hnew_value(d, v, &h));
    TRY(need(d, sz, "the boxed value"));
    const unsigned char *p = d->p + d->pos;
    d->pos += sz;
    switch (t) {
    case 'I':
        v->u.i = (int32_t)dlzi_get_be32(p);
        break;
    case 'J':
        v->u.i = (int64_t)dlzi_get_be64(p);
        break;
    case 'S':
        v->u.i = (int16_t)dlzi_get_be16(p);
        break;
    case 'C':
        v->u.i = dlzi_get_be16(p);
        break;
    case 'B':
        v->u.i = (int8_t)p[0];
        break;
    case 'Z':
        v->u.i = p[0] != 0;
        break;
    case 'F': {
        uint32_t bits = dlzi_get_be32(p);
        memcpy(&v->u.f, &bits, 4);
        break;
    }
    default: {
        uint64_t bits = dlzi_get_be64(p);
        memcpy(&v->u.d, &bits, 8);
        break;
    }
    }
    d->h[h].done = 1;
    *out = v;
    return DLZ_OK;
}

static int read_object(dec *d, size_t tc_off, dlz_value **out) {
    int64_t di;
    TRY(read_classdesc(d, &di));
    if (di < 0) {
        return dfail(d, DLZ_EFORMAT, tc_off, "object with a null class descriptor");
    }
    const jdesc *ds = d->h[di].desc;
    int cls = ds->cls;
    if (cls <= C_CHAR) {
        return read_boxed(d, cls, out);
    }
    if (cls == C_ARRAYLIST) {
        return read_list(d, out);
    }
    if (cls == C_HASHMAP || cls == C_LINKEDHASHMAP) {
        return read_map(d, cls == C_LINKEDHASHMAP, out);
    }
    if (cls < N_CLS) {
        return dfail(d, DLZ_EFORMAT, tc_off, "object of class %s, which cannot be instantiated",
                     ds->name);
    }
    size_t h;
    TRY(set_opaque(d, cls == C_PROXY ? "java.lang.reflect.Proxy" : ds->name));
    TRY(hnew(d, H_OTHER, &h));
    TRY(read_classdata_other(d, (size_t)di));
    d->h[h].done = 1;
    return DLZ_OK;
}

static int read_array(dec *d, size_t tc_off, dlz_value **out) {
    int64_t di;
    TRY(read_classdesc(d, &di));
    if (di < 0 || d->h[di].desc->name == NULL || d->h[di].desc->name[0] != '[') {
        return dfail(d, DLZ_EFORMAT, tc_off, "array whose class is not an array class");
    }
    const jdesc *ds = d->h[di].desc;
    size_t off = d->pos, h;
    int32_t n32;
    TRY(rd_i32(d, "an array length", &n32));
    if (n32 < 0) {
        return dfail(d, DLZ_EFORMAT, off, "negative array length %d", (int)n32);
    }
    size_t n = (size_t)n32;
    int cls = ds->cls;
    unsigned char comp = (unsigned char)ds->name[1];
    size_t es = cls < N_CLS ? elem_size(CLASSES[cls].type) : prim_size(comp);
    if ((es > 0 && n > left(d) / es) || n > left(d)) {
        return dfail(d, DLZ_EFORMAT, off,
                     "truncated: array of %zu elements cannot fit in %zu bytes", n, left(d));
    }
    if (cls >= N_CLS) {
        TRY(set_opaque(d, ds->name));
        TRY(hnew(d, H_OTHER, &h));
        if (es > 0) {
            d->pos += n * es;
        } else if (comp == 'L' || comp == '[') {
            for (size_t i = 0; i < n; i++) {
                dlz_value *v;
                TRY(read_content(d, &v));
            }
        } else {
            return dfail(d, DLZ_EFORMAT, tc_off, "invalid array class name %s", ds->name);
        }
        d->h[h].done = 1;
        return DLZ_OK;
    }
    dlz_value_type t = CLASSES[cls].type;
    dlz_value *v = NULL;
    TRY(dnode(d, t, &v));
    TRY(hnew_value(d, v, &h));
    if (is_prim_array(t)) {
        TRY(charge(d, n * es));
        v->u.a = dlzi_malloc(n * es);
        if (v->u.a == NULL) {
            return nomem(d);
        }
        const unsigned char *p = d->p + d->pos;
        for (size_t i = 0; i < n; i++, p += es) {
            switch (t) {
            case DLZ_VALUE_BYTE_ARRAY:
                ((unsigned char *)v->u.a)[i] = p[0];
                break;
            case DLZ_VALUE_BOOLEAN_ARRAY:
                ((unsigned char *)v->u.a)[i] = p[0] != 0;
                break;
            case DLZ_VALUE_SHORT_ARRAY:
            case DLZ_VALUE_CHAR_ARRAY:
                ((uint16_t *)v->u.a)[i] = dlzi_get_be16(p);
                break;
            case DLZ_VALUE_INT_ARRAY:
            case DLZ_VALUE_FLOAT_ARRAY:
                ((uint32_t *)v->u.a)[i] = dlzi_get_be32(p);
                break;
            default:
                ((uint64_t *)v->u.a)[i] = dlzi_get_be64(p);
                break;
            }
        }
        v->n = n;
        d->pos += n * es;
    } else {
        TRY(dreserve(d, v, n));
        for (size_t i = 0; i < n; i++) {
            dlz_value *item;
            size_t ioff = d->pos;
            TRY(read_content(d, &item));
            if (item == NULL) {
                continue;
            }
            if (t == DLZ_VALUE_STRING_ARRAY && item->type != DLZ_VALUE_STRING &&
                item->type != DLZ_VALUE_NULL) {
                return dfail(d, DLZ_EFORMAT, ioff, "String[] element of class %s",
                             dlz_value_type_name(item->type));
            }
            attach(v, v->n++, item);
        }
    }
    d->h[h].done = 1;
    *out = v;
    return DLZ_OK;
}

static int read_ref(dec *d, size_t tc_off, dlz_value **out) {
    size_t h;
    TRY(rd_handle(d, &h));
    const jhandle *e = &d->h[h];
    if (e->kind == H_DESC) {
        return set_opaque(d, "java.io.ObjectStreamClass");
    }
    if (e->kind == H_OTHER) {
        return DLZ_OK;
    }
    if (!e->done) {
        if (!discarding(d)) {
            d->cyclic = 1;
            d->cyclic_off = tc_off;
        }
        return DLZ_OK;
    }
    if (discarding(d)) {
        return DLZ_OK;
    }
    if ((unsigned)d->depth - 1 + e->node->height > (unsigned)d->max_depth) {
        return dfail(d, DLZ_ELIMIT, tc_off,
                     "a reference puts a value of %u levels at level %d (limit %d)",
                     e->node->height, d->depth, d->max_depth);
    }
    int rc = copy_deep(e->node, out, charge, reg_node, d);
    if (rc == DLZ_ENOMEM) {
        return nomem(d);
    }
    return rc;
}

static int read_content(dec *d, dlz_value **out) {
    *out = NULL;
    size_t off = d->pos;
    unsigned char tc;
    TRY(rd_u8(d, "an object", &tc));
    if (++d->depth > d->max_depth) {
        return dfail(d, DLZ_ELIMIT, off, "values nested deeper than %d levels", d->max_depth);
    }
    int rc;
    int64_t di;
    switch (tc) {
    case TC_NULL:
        rc = dnode(d, DLZ_VALUE_NULL, out);
        break;
    case TC_REFERENCE:
        rc = read_ref(d, off, out);
        break;
    case TC_STRING:
    case TC_LONGSTRING:
        rc = read_string(d, tc, out);
        break;
    case TC_OBJECT:
        rc = read_object(d, off, out);
        break;
    case TC_ARRAY:
        rc = read_array(d, off, out);
        break;
    case TC_ENUM: {
        size_t h;
        rc = read_classdesc(d, &di);
        if (rc == DLZ_OK && !d->stop && di < 0) {
            rc = dfail(d, DLZ_EFORMAT, off, "enum constant with a null class descriptor");
        }
        if (rc == DLZ_OK && !d->stop) {
            const jdesc *ds = d->h[di].desc;
            if (!(ds->flags & SC_ENUM) || ds->name == NULL) {
                rc = dfail(d, DLZ_EFORMAT, off, "enum constant of class %s, which is not an enum",
                           ds->name ? ds->name : "(proxy)");
            } else {
                rc = set_opaque(d, ds->name);
            }
        }
        if (rc == DLZ_OK && !d->stop && (rc = hnew(d, H_OTHER, &h)) == DLZ_OK) {
            rc = read_string_only(d, "an enum constant name");
            d->h[h].done = 1;
        }
        break;
    }
    case TC_CLASS: {
        size_t h;
        rc = read_classdesc(d, &di);
        if (rc == DLZ_OK && !d->stop && di < 0) {
            rc = dfail(d, DLZ_EFORMAT, off, "class object with a null class descriptor");
        }
        if (rc == DLZ_OK && !d->stop && (rc = set_opaque(d, "java.lang.Class")) == DLZ_OK &&
            (rc = hnew(d, H_OTHER, &h)) == DLZ_OK) {
            d->h[h].done = 1;
        }
        break;
    }
    case TC_CLASSDESC:
    case TC_PROXYCLASSDESC:
        d->pos--;
        rc = set_opaque(d, "java.io.ObjectStreamClass");
        if (rc == DLZ_OK) {
            rc = read_classdesc(d, &di);
        }
        break;
    case TC_BLOCKDATA:
    case TC_BLOCKDATALONG:
        rc = dfail(d, DLZ_EFORMAT, off, "expected an object, found block data (0x%02x)", tc);
        break;
    case TC_ENDBLOCKDATA:
        rc = dfail(d, DLZ_EFORMAT, off, "expected an object, found end of block data (0x78)");
        break;
    case TC_RESET:
        rc = dfail(d, DLZ_EFORMAT, off, "reset (0x79) inside an object");
        break;
    case TC_EXCEPTION:
        rc = dfail(d, DLZ_EFORMAT, off,
                   "the stream records an exception thrown while it was written (0x7B)");
        break;
    default:
        rc = dfail(d, DLZ_EFORMAT, off, "expected an object (0x70..0x7E), found 0x%02x", tc);
        break;
    }
    d->depth--;
    return rc;
}

/* Frees every recorded node that no container holds (and, with it, what it
   holds), except @p keep. */
static void dec_cleanup(dec *d, const dlz_value *keep) {
    size_t roots = 0;
    for (size_t i = 0; i < d->nall; i++) { /* first find them all, then free */
        if (!d->all[i]->in_box && d->all[i] != keep) {
            d->all[roots++] = d->all[i];
        }
    }
    for (size_t i = 0; i < roots; i++) {
        node_free_deep(d->all[i]);
    }
    dlzi_free(d->all);
    handles_clear(d);
    dlzi_free(d->h);
    dlzi_free(d->opaque);
}

int dlz_value_decode(const void *bytes, size_t len, int max_depth, dlz_value **out, char *errbuf,
                     size_t errbuf_size) {
    dec d;
    memset(&d, 0, sizeof d);
    d.errbuf = errbuf;
    d.errbuf_size = errbuf_size;
    if (errbuf != NULL && errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    if (out == NULL || (bytes == NULL && len > 0) || max_depth < 0 ||
        max_depth > DLZ_VALUE_MAX_DEPTH) {
        if (out != NULL) {
            *out = NULL;
        }
        return dfail(&d, DLZ_EMISUSE, 0, "dlz_value_decode: bad arguments");
    }
    *out = NULL;
    d.p = bytes;
    d.len = len;
    d.max_depth = max_depth ? max_depth : DLZ_VALUE_DEFAULT_DEPTH;
    d.budget = (uint64_t)64 << 20;
    d.budget += len > (UINT64_MAX - d.budget) / 64 ? UINT64_MAX - d.budget : (uint64_t)len * 64;

    dlz_value *root = NULL;
    int rc = need(&d, 4, "the stream header AC ED 00 05");
    if (rc == DLZ_OK && memcmp(d.p, "\xAC\xED\x00\x05", 4) != 0) {
        rc = dfail(&d, DLZ_EFORMAT, 0,
                   "expected the stream header AC ED 00 05, found %02X %02X %02X %02X", d.p[0],
                   d.p[1], d.p[2], d.p[3]);
    }
    if (rc == DLZ_OK) {
        d.pos = 4;
        while (d.pos < d.len && d.p[d.pos] == TC_RESET) {
            d.pos++;
            handles_clear(&d);
        }
        rc = read_content(&d, &root);
    }
    if (rc == DLZ_OK && !d.stop && d.pos != d.len) {
        rc = dfail(&d, DLZ_EFORMAT, d.pos, "%zu bytes after the object", d.len - d.pos);
    }
    if (rc == DLZ_OK && d.opaque != NULL) {
        dlz_value *v = node_new(DLZ_VALUE_OPAQUE);
        if (v != NULL) {
            v->u.op.cls = d.opaque;
            d.opaque = NULL;
            v->u.op.bytes = dlzi_malloc(len);
            v->n = len;
            if (v->u.op.bytes == NULL) {
                node_free_shallow(v);
                v = NULL;
            } else {
                memcpy(v->u.op.bytes, bytes, len);
            }
        }
        dec_cleanup(&d, NULL);
        *out = v;
        return v != NULL ? DLZ_OK : dfail(&d, DLZ_ENOMEM, 0, "out of memory");
    }
    if (rc == DLZ_OK && d.cyclic) {
        rc = dfail(&d, DLZ_EUNSUPPORTED, d.cyclic_off,
                   "cyclic reference: an object refers to a container that holds it");
    }
    dec_cleanup(&d, rc == DLZ_OK ? root : NULL);
    if (rc == DLZ_OK) {
        *out = root;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Encoder                                                                   */

/* Slots of the valueOf() caches: Boolean 2, Byte 256, Short, Integer and Long
   -128..127, Character 0..127. */
#define BOX_SLOTS (2 + 256 * 4 + 128)

typedef struct strent {
    const dlz_value *s;
    uint32_t hash;
    uint32_t handle;
} strent;

typedef struct enc {
    unsigned char *p;
    size_t n, cap;
    uint32_t next; /* next handle index */
    int64_t cls_h[N_CLS];
    int64_t box_h[BOX_SLOTS];
    strent *st;
    size_t st_n, st_cap;
    char *errbuf;
    size_t errbuf_size;
} enc;

static int efail(enc *e, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);

static int efail(enc *e, int code, const char *fmt, ...) {
    if (e->errbuf != NULL && e->errbuf_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->errbuf, e->errbuf_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Makes room for n more bytes. */
static int egrow(enc *e, size_t n) {
    if (n > e->cap - e->n) {
        size_t cap = e->cap ? e->cap : 256;
        while (cap - e->n < n) {
            if (cap > SIZE_MAX / 2) {
                return efail(e, DLZ_ENOMEM, "out of memory");
            }
            cap *= 2;
        }
        unsigned char *q = dlzi_realloc(e->p, cap);
        if (q == NULL) {
            return efail(e, DLZ_ENOMEM, "out of memory");
        }
        e->p = q;
        e->cap = cap;
    }
    return DLZ_OK;
}

static int put(enc *e, const void *p, size_t n) {
    int rc = egrow(e, n);
    if (rc == DLZ_OK && n > 0) {
        memcpy(e->p + e->n, p, n);
        e->n += n;
    }
    return rc;
}

static int put_u8(enc *e, unsigned v) {
    unsigned char b = (unsigned char)v;
    return put(e, &b, 1);
}

static int put_u16(enc *e, uint16_t v) {
    unsigned char b[2];
    dlzi_put_be16(b, v);
    return put(e, b, 2);
}

static int put_u32(enc *e, uint32_t v) {
    unsigned char b[4];
    dlzi_put_be32(b, v);
    return put(e, b, 4);
}

static int put_u64(enc *e, uint64_t v) {
    unsigned char b[8];
    dlzi_put_be64(b, v);
    return put(e, b, 8);
}

static int put_ref(enc *e, int64_t h) {
    int rc = put_u8(e, TC_REFERENCE);
    return rc != DLZ_OK ? rc : put_u32(e, (uint32_t)(BASE_HANDLE + h));
}

static int put_ascii_utf(enc *e, const char *s) {
    size_t n = strlen(s);
    int rc = put_u16(e, (uint16_t)n);
    return rc != DLZ_OK ? rc : put(e, s, n);
}

#define ETRY(expr)                                                                                 \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != DLZ_OK) {                                                                       \
            return rc_;                                                                            \
        }                                                                                          \
    } while (0)

static int write_desc(enc *e, int cls) {
    if (e->cls_h[cls] >= 0) {
        return put_ref(e, e->cls_h[cls]);
    }
    const cls_spec *sp = &CLASSES[cls];
    ETRY(put_u8(e, TC_CLASSDESC));
    ETRY(put_ascii_utf(e, sp->name));
    ETRY(put_u64(e, sp->uid));
    e->cls_h[cls] = e->next++;
    ETRY(put_u8(e, sp->flags));
    ETRY(put_u16(e, (uint16_t)sp->nfields));
    for (int i = 0; i < sp->nfields; i++) {
        ETRY(put_u8(e, (unsigned char)sp->ftype[i]));
        ETRY(put_ascii_utf(e, sp->fname[i]));
    }
    ETRY(put_u8(e, TC_ENDBLOCKDATA));
    return sp->super >= 0 ? write_desc(e, sp->super) : put_u8(e, TC_NULL);
}

/* Length of a string in modified UTF-8 and in UTF-16 units. */
static void mutf_len(const dlz_value *s, uint64_t *bytes, uint64_t *units) {
    uint64_t b = 0, u = 0;
    FOR_EACH_UNIT(s->u.s, s->n, unit, {
        b += unit == 0 ? 2 : unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
        u++;
    });
    *bytes = b;
    *units = u;
}

static int write_string_body(enc *e, const dlz_value *s) {
    uint64_t bytes, units;
    mutf_len(s, &bytes, &units);
    if (units > JAVA_MAX_LEN) {
        return efail(e, DLZ_ELIMIT, "a string of %llu UTF-16 units is longer than Java allows",
                     (unsigned long long)units);
    }
    if (bytes <= 0xFFFF) {
        ETRY(put_u8(e, TC_STRING));
        ETRY(put_u16(e, (uint16_t)bytes));
    } else {
        ETRY(put_u8(e, TC_LONGSTRING));
        ETRY(put_u64(e, bytes));
    }
    if (bytes > SIZE_MAX) {
        return efail(e, DLZ_ENOMEM, "out of memory");
    }
    ETRY(egrow(e, (size_t)bytes));
    unsigned char *o = e->p + e->n;
    FOR_EACH_UNIT(s->u.s, s->n, unit, {
        if (unit == 0) {
            *o++ = 0xC0;
            *o++ = 0x80;
        } else {
            o += utf8_put(o, unit);
        }
    });
    e->n = (size_t)(o - e->p);
    return DLZ_OK;
}

static uint32_t str_hash(const dlz_value *s) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s->n; i++) {
        h = (h ^ (unsigned char)s->u.s[i]) * 16777619u;
    }
    return h;
}

/* Writes a string, or a reference to an equal one written before. */
static int write_string(enc *e, const dlz_value *s) {
    uint32_t hash = str_hash(s);
    if (e->st_cap > 0) {
        for (size_t i = hash & (e->st_cap - 1);; i = (i + 1) & (e->st_cap - 1)) {
            const strent *t = &e->st[i];
            if (t->s == NULL) {
                break;
            }
            if (t->hash == hash && t->s->n == s->n && memcmp(t->s->u.s, s->u.s, s->n) == 0) {
                return put_ref(e, t->handle);
            }
        }
    }
    if (2 * (e->st_n + 1) > e->st_cap) {
        size_t cap = e->st_cap ? 2 * e->st_cap : 64;
        strent *t = dlzi_calloc(cap, sizeof *t);
        if (t == NULL) {
            return efail(e, DLZ_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < e->st_cap; i++) {
            if (e->st[i].s != NULL) {
                size_t j = e->st[i].hash & (cap - 1);
                while (t[j].s != NULL) {
                    j = (j + 1) & (cap - 1);
                }
                t[j] = e->st[i];
            }
        }
        dlzi_free(e->st);
        e->st = t;
        e->st_cap = cap;
    }
    size_t j = hash & (e->st_cap - 1);
    while (e->st[j].s != NULL) {
        j = (j + 1) & (e->st_cap - 1);
    }
    e->st[j].s = s;
    e->st[j].hash = hash;
    e->st[j].handle = e->next++;
    e->st_n++;
    return write_string_body(e, s);
}

/* Cache slot of a boxed value Java's valueOf() shares, or -1. */
static int box_slot(const dlz_value *v) {
    int64_t i = v->u.i;
    switch (v->type) {
    case DLZ_VALUE_BOOLEAN:
        return i ? 1 : 0;
    case DLZ_VALUE_BYTE:
        return 2 + (int)(i + 128);
    case DLZ_VALUE_SHORT:
        return i >= -128 && i <= 127 ? 2 + 256 + (int)(i + 128) : -1;
    case DLZ_VALUE_INT:
        return i >= -128 && i <= 127 ? 2 + 512 + (int)(i + 128) : -1;
    case DLZ_VALUE_LONG:
        return i >= -128 && i <= 127 ? 2 + 768 + (int)(i + 128) : -1;
    case DLZ_VALUE_CHAR:
        return i <= 127 ? 2 + 1024 + (int)i : -1;
    default:
        return -1;
    }
}

static int write_boxed(enc *e, const dlz_value *v) {
    int slot = box_slot(v);
    if (slot >= 0 && e->box_h[slot] >= 0) {
        return put_ref(e, e->box_h[slot]);
    }
    ETRY(put_u8(e, TC_OBJECT));
    ETRY(write_desc(e, cls_of_type(v->type)));
    if (slot >= 0) {
        e->box_h[slot] = e->next;
    }
    e->next++;
    switch (v->type) {
    case DLZ_VALUE_INT:
        return put_u32(e, (uint32_t)v->u.i);
    case DLZ_VALUE_LONG:
        return put_u64(e, (uint64_t)v->u.i);
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_CHAR:
        return put_u16(e, (uint16_t)v->u.i);
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_BOOLEAN:
        return put_u8(e, (unsigned)v->u.i & 0xFFu);
    case DLZ_VALUE_FLOAT:
        return put_u32(e, canon_float_bits(v->u.f));
    default:
        return put_u64(e, canon_double_bits(v->u.d));
    }
}

static int write_prim_array(enc *e, const dlz_value *v) {
    size_t es = elem_size(v->type);
    ETRY(put_u8(e, TC_ARRAY));
    ETRY(write_desc(e, cls_of_type(v->type)));
    e->next++;
    ETRY(put_u32(e, (uint32_t)v->n));
    if (v->n > (SIZE_MAX - e->n) / es) {
        return efail(e, DLZ_ENOMEM, "out of memory");
    }
    ETRY(egrow(e, v->n * es));
    unsigned char *o = e->p + e->n;
    e->n += v->n * es;
    for (size_t i = 0; i < v->n; i++, o += es) {
        switch (v->type) {
        case DLZ_VALUE_BYTE_ARRAY:
        case DLZ_VALUE_BOOLEAN_ARRAY:
            o[0] = ((const unsigned char *)v->u.a)[i];
            break;
        case DLZ_VALUE_SHORT_ARRAY:
        case DLZ_VALUE_CHAR_ARRAY:
            dlzi_put_be16(o, ((const uint16_t *)v->u.a)[i]);
            break;
        case DLZ_VALUE_INT_ARRAY:
            dlzi_put_be32(o, ((const uint32_t *)v->u.a)[i]);
            break;
        case DLZ_VALUE_FLOAT_ARRAY:
            dlzi_put_be32(o, canon_float_bits(((const float *)v->u.a)[i]));
            break;
        case DLZ_VALUE_LONG_ARRAY:
            dlzi_put_be64(o, ((const uint64_t *)v->u.a)[i]);
            break;
        default:
            dlzi_put_be64(o, canon_double_bits(((const double *)v->u.a)[i]));
            break;
        }
    }
    return DLZ_OK;
}

/* What HashMap's put() leads to for these keys in this order: its capacity
   and threshold, and (for a HashMap, when every key's hashCode() is known)
   the iteration order, by bucket and within a bucket by insertion. */
typedef struct map_shape {
    uint32_t buckets, threshold;
    size_t *order; /* NULL: tree order */
} map_shape;

static uint32_t spread(uint32_t h) {
    return h ^ (h >> 16);
}

static int map_shape_of(const dlz_value *m, map_shape *ms) {
    size_t n = m->n;
    ms->order = NULL;
    if (n == 0) {
        ms->buckets = 16;
        ms->threshold = 0;
        return DLZ_OK;
    }
    uint32_t *h = dlzi_malloc(n * sizeof *h);
    unsigned char *known = dlzi_malloc(n);
    uint32_t *cnt = NULL;
    int rc = DLZ_ENOMEM, all_known = 1;
    if (h == NULL || known == NULL) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        known[i] = java_hash(m->u.items[2 * i], &h[i]) == 0;
        all_known &= known[i];
        h[i] = spread(h[i]);
    }
    uint32_t cap = 16, thr = 12;
    cnt = dlzi_calloc(cap, sizeof *cnt);
    if (cnt == NULL) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int grow = 0;
        if (known[i] && ++cnt[h[i] & (cap - 1)] >= 9 && cap < 64) {
            grow = 1; /* treeifyBin() resizes small tables instead */
        }
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                grow = i + 1 > thr;
            }
            if (!grow || cap >= (1u << 30)) {
                continue;
            }
            cap *= 2;
            thr = cap >= (1u << 30) ? 0x7FFFFFFFu : thr * 2;
            uint32_t *c2 = dlzi_calloc(cap, sizeof *c2);
            if (c2 == NULL) {
                goto out;
            }
            dlzi_free(cnt);
            cnt = c2;
            for (size_t j = 0; j <= i; j++) {
                if (known[j]) {
                    cnt[h[j] & (cap - 1)]++;
                }
            }
        }
    }
    ms->buckets = cap;
    ms->threshold = thr;
    if (m->type == DLZ_VALUE_MAP && all_known) {
        /* stable counting sort by bucket; cnt becomes the bucket starts */
        ms->order = dlzi_malloc(n * sizeof *ms->order);
        if (ms->order == NULL) {
            goto out;
        }
        memset(cnt, 0, cap * sizeof *cnt);
        for (size_t i = 0; i < n; i++) {
            cnt[h[i] & (cap - 1)]++;
        }
        uint32_t sum = 0;
        for (uint32_t b = 0; b < cap; b++) {
            uint32_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            ms->order[cnt[h[i] & (cap - 1)]++] = i;
        }
    }
    rc = DLZ_OK;
out:
    dlzi_free(h);
    dlzi_free(known);
    dlzi_free(cnt);
    return rc;
}

static int write_value(enc *e, const dlz_value *v);

static int write_map(enc *e, const dlz_value *v) {
    map_shape ms;
    if (map_shape_of(v, &ms) != DLZ_OK) {
        return efail(e, DLZ_ENOMEM, "out of memory");
    }
    int rc = put_u8(e, TC_OBJECT);
    if (rc == DLZ_OK) {
        rc = write_desc(e, v->type == DLZ_VALUE_MAP ? C_HASHMAP : C_LINKEDHASHMAP);
    }
    e->next++;
    unsigned char hdr[] = {0x3F, 0x40, 0x00, 0x00, 0, 0, 0, 0, TC_BLOCKDATA,
                           8,    0,    0,    0,    0, 0, 0, 0, 0};
    dlzi_put_be32(hdr + 4, ms.threshold);
    dlzi_put_be32(hdr + 10, ms.buckets);
    dlzi_put_be32(hdr + 14, (uint32_t)v->n);
    if (rc == DLZ_OK) {
        rc = put(e, hdr, sizeof hdr);
    }
    for (size_t i = 0; rc == DLZ_OK && i < v->n; i++) {
        size_t k = ms.order ? ms.order[i] : i;
        rc = write_value(e, v->u.items[2 * k]);
        if (rc == DLZ_OK) {
            rc = write_value(e, v->u.items[2 * k + 1]);
        }
    }
    dlzi_free(ms.order);
    ETRY(rc);
    ETRY(put_u8(e, TC_ENDBLOCKDATA));
    if (v->type == DLZ_VALUE_LINKED_MAP) {
        ETRY(put_u8(e, v->access_order));
    }
    return DLZ_OK;
}

static int write_value(enc *e, const dlz_value *v) {
    switch (v->type) {
    case DLZ_VALUE_NULL:
        return put_u8(e, TC_NULL);
    case DLZ_VALUE_STRING:
        return write_string(e, v);
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
    case DLZ_VALUE_DOUBLE:
    case DLZ_VALUE_FLOAT:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_BOOLEAN:
    case DLZ_VALUE_CHAR:
        return write_boxed(e, v);
    case DLZ_VALUE_STRING_ARRAY:
    case DLZ_VALUE_OBJECT_ARRAY:
        ETRY(put_u8(e, TC_ARRAY));
        ETRY(write_desc(e, cls_of_type(v->type)));
        e->next++;
        ETRY(put_u32(e, (uint32_t)v->n));
        for (size_t i = 0; i < v->n; i++) {
            ETRY(write_value(e, v->u.items[i]));
        }
        return DLZ_OK;
    case DLZ_VALUE_LIST: {
        unsigned char bd[6] = {TC_BLOCKDATA, 4};
        ETRY(put_u8(e, TC_OBJECT));
        ETRY(write_desc(e, C_ARRAYLIST));
        e->next++;
        ETRY(put_u32(e, (uint32_t)v->n));
        dlzi_put_be32(bd + 2, (uint32_t)v->n);
        ETRY(put(e, bd, sizeof bd));
        for (size_t i = 0; i < v->n; i++) {
            ETRY(write_value(e, v->u.items[i]));
        }
        return put_u8(e, TC_ENDBLOCKDATA);
    }
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP:
        return write_map(e, v);
    case DLZ_VALUE_OPAQUE:
        return efail(e, DLZ_EUNSUPPORTED,
                     "an opaque value (class %s) can only be encoded on its own, not inside "
                     "another value",
                     v->u.op.cls);
    default:
        if (is_prim_array(v->type)) {
            return write_prim_array(e, v);
        }
        return efail(e, DLZ_EMISUSE, "not a value");
    }
}

int dlz_value_encode(const dlz_value *v, void **bytes, size_t *len, char *errbuf,
                     size_t errbuf_size) {
    enc e;
    memset(&e, 0, sizeof e);
    e.errbuf = errbuf;
    e.errbuf_size = errbuf_size;
    if (errbuf != NULL && errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    if (bytes != NULL) {
        *bytes = NULL;
    }
    if (len != NULL) {
        *len = 0;
    }
    if (v == NULL || bytes == NULL || len == NULL) {
        return efail(&e, DLZ_EMISUSE, "dlz_value_encode: NULL argument");
    }
    int rc;
    if (v->type == DLZ_VALUE_OPAQUE) {
        rc = put(&e, v->u.op.bytes, v->n);
    } else {
        for (int i = 0; i < N_CLS; i++) {
            e.cls_h[i] = -1;
        }
        for (int i = 0; i < BOX_SLOTS; i++) {
            e.box_h[i] = -1;
        }
        rc = put(&e, "\xAC\xED\x00\x05", 4);
        if (rc == DLZ_OK) {
            rc = write_value(&e, v);
        }
    }
    dlzi_free(e.st);
    if (rc != DLZ_OK) {
        dlzi_free(e.p);
        return rc;
    }
    *bytes = e.p;
    *len = e.n;
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

typedef struct jout {
    char *p;
    size_t n, cap;
    int fail;
} jout;

static void jput(jout *o, const char *s, size_t n) {
    if (o->fail) {
        return;
    }
    if (n + 1 > o->cap - o->n) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap - o->n < n + 1) {
            if (cap > SIZE_MAX / 2) {
                o->fail = 1;
                return;
            }
            cap *= 2;
        }
        char *q = dlzi_realloc(o->p, cap);
        if (q == NULL) {
            o->fail = 1;
            return;
        }
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = '\0';
}

static void jputs(jout *o, const char *s) {
    jput(o, s, strlen(s));
}

static void jnewline(jout *o, unsigned flags, int level) {
    if (flags & DLZ_JSON_PRETTY) {
        jput(o, "\n", 1);
        for (int i = 0; i < level; i++) {
            jput(o, "  ", 2);
        }
    }
}

static void junit_escape(jout *o, uint32_t u) {
    char b[8];
    snprintf(b, sizeof b, "\\u%04x", (unsigned)u);
    jput(o, b, 6);
}

/* A JSON string from UTF-8 (lone surrogates become escapes). */
static void jstring(jout *o, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    jput(o, "\"", 1);
    while (i < n) {
        size_t at = i;
        uint32_t cp;
        if (utf8_next(u, n, &i, &cp) != 0) {
            i = at + 1;
            cp = 0xFFFD;
        }
        if (cp == '"' || cp == '\\') {
            char b[2] = {'\\', (char)cp};
            jput(o, b, 2);
        } else if (cp == '\n') {
            jput(o, "\\n", 2);
        } else if (cp == '\t') {
            jput(o, "\\t", 2);
        } else if (cp == '\r') {
            jput(o, "\\r", 2);
        } else if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            junit_escape(o, cp);
        } else if (cp == 0xFFFD && i == at + 1) {
            jput(o, "\xEF\xBF\xBD", 3);
        } else {
            jput(o, s + at, i - at);
        }
    }
    jput(o, "\"", 1);
}

static void jchar(jout *o, uint32_t unit) {
    if (unit >= 0xD800 && unit <= 0xDFFF) {
        jput(o, "\"", 1);
        junit_escape(o, unit);
        jput(o, "\"", 1);
    } else {
        unsigned char b[4];
        size_t k = utf8_put(b, unit);
        jstring(o, (const char *)b, k);
    }
}

/* Shortest decimal that reads back to the same value, with '.' whatever the
   locale, and always recognisable as a real number. */
static void jreal(jout *o, double x, int is_float) {
    char b[64];
    if (isnan(x)) {
        jputs(o, "\"NaN\"");
        return;
    }
    if (isinf(x)) {
        jputs(o, x > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, x);
        if (is_float ? strtof(b, NULL) == (float)x : strtod(b, NULL) == x) {
            break;
        }
    }
    char c[72];
    size_t k = 0;
    int real = 0;
    for (const char *p = b; *p != '\0'; p++) {
        if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+') {
            c[k++] = *p;
        } else if (*p == 'e' || *p == 'E') {
            c[k++] = 'e';
            real = 1;
        } else if (k == 0 || c[k - 1] != '.') {
            c[k++] = '.'; /* the locale's decimal point, which may be several bytes */
            real = 1;
        }
    }
    if (!real) {
        c[k++] = '.';
        c[k++] = '0';
    }
    jput(o, c, k);
}

static void jinteger(jout *o, int64_t i) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)i);
    jputs(o, b);
}

static void jvalue(jout *o, const dlz_value *v, unsigned flags, int level);

static void jopen(jout *o, const char *br, size_t n, unsigned flags, int level, size_t i) {
    if (i == 0) {
        jput(o, br, 1);
    } else {
        jput(o, ",", 1);
    }
    if (n > 0) {
        jnewline(o, flags, level + 1);
    }
}

static void jclose(jout *o, const char *br, size_t n, unsigned flags, int level) {
    if (n == 0) {
        jput(o, br, 2);
        return;
    }
    jnewline(o, flags, level);
    jput(o, br + 1, 1);
}

static void jvalue(jout *o, const dlz_value *v, unsigned flags, int level) {
    size_t n = v->n;
    switch (v->type) {
    case DLZ_VALUE_NULL:
        jputs(o, "null");
        return;
    case DLZ_VALUE_STRING:
        jstring(o, v->u.s, v->n);
        return;
    case DLZ_VALUE_BOOLEAN:
        jputs(o, v->u.i ? "true" : "false");
        return;
    case DLZ_VALUE_CHAR:
        jchar(o, (uint32_t)v->u.i);
        return;
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
        jinteger(o, v->u.i);
        return;
    case DLZ_VALUE_DOUBLE:
        jreal(o, v->u.d, 0);
        return;
    case DLZ_VALUE_FLOAT:
        jreal(o, (double)v->u.f, 1);
        return;
    case DLZ_VALUE_OPAQUE:
        jputs(o, (flags & DLZ_JSON_PRETTY) ? "{\"opaque\": " : "{\"opaque\":");
        jstring(o, v->u.op.cls, strlen(v->u.op.cls));
        jputs(o, (flags & DLZ_JSON_PRETTY) ? ", \"length\": " : ",\"length\":");
        jinteger(o, (int64_t)v->n);
        jputs(o, "}");
        return;
    default:
        break;
    }
    if (is_prim_array(v->type)) {
        for (size_t i = 0; i < n; i++) {
            jopen(o, "[]", n, flags, level, i);
            const void *a = v->u.a;
            switch (v->type) {
            case DLZ_VALUE_BYTE_ARRAY:
                jinteger(o, ((const int8_t *)a)[i]);
                break;
            case DLZ_VALUE_SHORT_ARRAY:
                jinteger(o, ((const int16_t *)a)[i]);
                break;
            case DLZ_VALUE_INT_ARRAY:
                jinteger(o, ((const int32_t *)a)[i]);
                break;
            case DLZ_VALUE_LONG_ARRAY:
                jinteger(o, ((const int64_t *)a)[i]);
                break;
            case DLZ_VALUE_FLOAT_ARRAY:
                jreal(o, (double)((const float *)a)[i], 1);
                break;
            case DLZ_VALUE_DOUBLE_ARRAY:
                jreal(o, ((const double *)a)[i], 0);
                break;
            case DLZ_VALUE_BOOLEAN_ARRAY:
                jputs(o, ((const unsigned char *)a)[i] ? "true" : "false");
                break;
            default:
                jchar(o, ((const uint16_t *)a)[i]);
                break;
            }
        }
        jclose(o, "[]", n, flags, level);
        return;
    }
    if (is_seq(v->type)) {
        for (size_t i = 0; i < n; i++) {
            jopen(o, "[]", n, flags, level, i);
            jvalue(o, v->u.items[i], flags, level + 1);
        }
        jclose(o, "[]", n, flags, level);
        return;
    }
    int keys_are_strings = 1;
    for (size_t i = 0; i < n; i++) {
        keys_are_strings &= v->u.items[2 * i]->type == DLZ_VALUE_STRING;
    }
    for (size_t i = 0; i < n; i++) {
        const dlz_value *k = v->u.items[2 * i], *val = v->u.items[2 * i + 1];
        if (keys_are_strings) {
            jopen(o, "{}", n, flags, level, i);
            jstring(o, k->u.s, k->n);
            jputs(o, (flags & DLZ_JSON_PRETTY) ? ": " : ":");
            jvalue(o, val, flags, level + 1);
        } else {
            jopen(o, "[]", n, flags, level, i);
            jput(o, "[", 1);
            jvalue(o, k, flags & ~DLZ_JSON_PRETTY, level + 1);
            jputs(o, (flags & DLZ_JSON_PRETTY) ? ", " : ",");
            jvalue(o, val, flags & ~DLZ_JSON_PRETTY, level + 1);
            jput(o, "]", 1);
        }
    }
    jclose(o, keys_are_strings ? "{}" : "[]", n, flags, level);
}

int dlz_value_to_json(const dlz_value *v, unsigned flags, char **json, size_t *len) {
    if (json != NULL) {
        *json = NULL;
    }
    if (len != NULL) {
        *len = 0;
    }
    if (v == NULL || json == NULL || (flags & ~DLZ_JSON_PRETTY) != 0) {
        return DLZ_EMISUSE;
    }
    jout o = {NULL, 0, 0, 0};
    jvalue(&o, v, flags, 0);
    jput(&o, "", 0);
    if (o.fail) {
        dlzi_free(o.p);
        return DLZ_ENOMEM;
    }
    *json = o.p;
    if (len != NULL) {
        *len = o.n;
    }
    return DLZ_OK;
}

static int from_json(json_t *j, int depth, dlz_value **out) {
    dlz_value *v = NULL;
    int rc = DLZ_OK;
    *out = NULL;
    if (depth > DLZ_VALUE_MAX_DEPTH) {
        return DLZ_ELIMIT;
    }
    switch (json_typeof(j)) {
    case JSON_NULL:
        v = dlz_value_new_null();
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v = dlz_value_new_boolean(json_is_true(j));
        break;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(j);
        v = i >= INT32_MIN && i <= INT32_MAX ? dlz_value_new_int((int32_t)i)
                                             : dlz_value_new_long((int64_t)i);
        break;
    }
    case JSON_REAL:
        v = dlz_value_new_double(json_real_value(j));
        break;
    case JSON_STRING:
        v = new_string_raw(json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY: {
        v = dlz_value_new_list();
        size_t i;
        json_t *item;
        json_array_foreach(j, i, item) {
            dlz_value *c;
            if (v == NULL || (rc = from_json(item, depth + 1, &c)) != DLZ_OK) {
                break;
            }
            if ((rc = dlz_value_append(v, c)) != DLZ_OK) {
                dlz_value_free(c);
                break;
            }
        }
        break;
    }
    case JSON_OBJECT: {
        v = dlz_value_new_map(1);
        const char *key;
        json_t *item;
        json_object_foreach(j, key, item) {
            dlz_value *k, *c;
            if (v == NULL || (rc = from_json(item, depth + 1, &c)) != DLZ_OK) {
                break;
            }
            k = new_string_raw(key, strlen(key));
            if (k == NULL || items_reserve(v, 2) != DLZ_OK) {
                dlz_value_free(k);
                dlz_value_free(c);
                rc = DLZ_ENOMEM;
                break;
            }
            /* keys are unique: JSON_REJECT_DUPLICATES */
            v->u.items[2 * v->n] = k;
            v->u.items[2 * v->n + 1] = c;
            v->n++;
            k->in_box = c->in_box = 1;
            if (c->height + 1 > v->height) {
                v->height = c->height + 1;
            }
        }
        break;
    }
    }
    if (v == NULL && rc == DLZ_OK) {
        rc = DLZ_ENOMEM;
    }
    if (rc != DLZ_OK) {
        dlz_value_free(v);
        return rc;
    }
    *out = v;
    return DLZ_OK;
}

int dlz_value_from_json(const char *json, size_t len, dlz_value **out, char *errbuf,
                        size_t errbuf_size) {
    if (errbuf != NULL && errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL || (json == NULL && len > 0)) {
        if (errbuf != NULL && errbuf_size > 0) {
            snprintf(errbuf, errbuf_size, "dlz_value_from_json: NULL argument");
        }
        return DLZ_EMISUSE;
    }
    json_error_t jerr;
    json_t *root = json_loadb(json ? json : "", len,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (errbuf != NULL && errbuf_size > 0) {
            snprintf(errbuf, errbuf_size, "line %d, column %d: %s", jerr.line, jerr.column,
                     jerr.text);
            dlzi_err_one_line(errbuf); /* jansson quotes the offending token */
        }
        return DLZ_EFORMAT;
    }
    int rc = from_json(root, 1, out);
    json_decref(root);
    if (rc != DLZ_OK && errbuf != NULL && errbuf_size > 0) {
        snprintf(errbuf, errbuf_size, "%s",
                 rc == DLZ_ELIMIT ? "JSON nested deeper than 256 levels" : "out of memory");
    }
    return rc;
}
