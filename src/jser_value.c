/* jser_value.c - the value trees of objects/<key> entries (the Java
 * serialization subset, see jser_decode.c): node lifetime, constructors and
 * mutators, Java's equals() and hashCode() of the supported classes (which
 * decide HashMap keys and their order), copies, structural equality and the
 * accessors. */
/* See dlz-format(5), section JAVA OBJECT STREAMS. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------ */
/* Value nodes                                                               */

size_t dlzi_value_elem_size(dlz_value_type t) {
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

dlz_value *dlzi_value_node(dlz_value_type t) {
    dlz_value *v = dlzi_calloc(1, sizeof *v);
    if (v != NULL) {
        v->type = t;
        v->height = 1;
    }
    return v;
}

/* Frees what the node itself holds, not its items. */
void dlzi_value_free_shallow(dlz_value *v) {
    if (v->type == DLZ_VALUE_STRING) {
        dlzi_free(v->u.s);
    } else if (dlzi_value_is_prim_array(v->type)) {
        dlzi_free(v->u.a);
    } else if (dlzi_value_is_seq(v->type) || dlzi_value_is_map(v->type)) {
        dlzi_free(v->u.items);
    } else if (v->type == DLZ_VALUE_OPAQUE) {
        dlzi_free(v->u.op.cls);
        dlzi_free(v->u.op.bytes);
    }
    dlzi_free(v);
}

/* Recursion is bounded by the height limit every tree obeys. */
void dlz_value_free(dlz_value *v) {
    if (v == NULL) {
        return;
    }
    if (dlzi_value_is_seq(v->type) || dlzi_value_is_map(v->type)) {
        size_t k = dlzi_value_is_map(v->type) ? 2 * v->n : v->n;
        for (size_t i = 0; i < k; i++) {
            dlz_value_free(v->u.items[i]);
        }
    }
    dlzi_value_free_shallow(v);
}

/* Makes room for @p more item slots. */
int dlzi_value_reserve(dlz_value *c, size_t more) {
    size_t used = dlzi_value_is_map(c->type) ? 2 * c->n : c->n;
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
/* Constructors and mutators                                                 */

dlz_value *dlz_value_new_null(void) {
    return dlzi_value_node(DLZ_VALUE_NULL);
}

dlz_value *dlzi_value_string_raw(const char *s, size_t len) {
    dlz_value *v = dlzi_value_node(DLZ_VALUE_STRING);
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
    if (dlzi_utf8_check(utf8, len, DLZI_UTF8_SURROGATES, &bad) != DLZI_UTF8_OK) {
        return new_fail(DLZ_EFORMAT, errbuf, errbuf_size,
                        "string: byte %zu: not UTF-8 (overlong, truncated or above U+10FFFF)", bad);
    }
    *out = dlzi_value_string_raw(utf8, len);
    return *out != NULL ? DLZ_OK : new_fail(DLZ_ENOMEM, errbuf, errbuf_size, "out of memory");
}

static dlz_value *new_scalar(dlz_value_type t, int64_t i) {
    dlz_value *v = dlzi_value_node(t);
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
    dlz_value *v = dlzi_value_node(DLZ_VALUE_DOUBLE);
    if (v != NULL) {
        v->u.d = d;
    }
    return v;
}

dlz_value *dlz_value_new_float(float f) {
    dlz_value *v = dlzi_value_node(DLZ_VALUE_FLOAT);
    if (v != NULL) {
        v->u.f = f;
    }
    return v;
}

dlz_value *dlz_value_new_list(void) {
    return dlzi_value_node(DLZ_VALUE_LIST);
}

dlz_value *dlz_value_new_map(int linked) {
    return dlzi_value_node(linked ? DLZ_VALUE_LINKED_MAP : DLZ_VALUE_MAP);
}

static dlz_value *new_prim_array(dlz_value_type type, const void *elems, size_t n) {
    size_t es = dlzi_value_elem_size(type);
    dlz_value *v = dlzi_value_node(type);
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
    dlz_value *v = dlzi_value_node(DLZ_VALUE_STRING_ARRAY);
    if (v == NULL || dlzi_value_reserve(v, n) != DLZ_OK) {
        dlzi_free(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        dlz_value *s = strs[i] ? dlzi_value_string_raw(strs[i], strlen(strs[i]))
                               : dlzi_value_node(DLZ_VALUE_NULL);
        if (s == NULL) {
            dlz_value_free(v);
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
    if (!dlzi_value_is_prim_array(type) && !is_strings && type != DLZ_VALUE_OBJECT_ARRAY) {
        return new_fail(DLZ_EMISUSE, errbuf, errbuf_size,
                        "dlz_value_new_array: type %d is not an array type", (int)type);
    }
    if (n > DLZI_JAVA_MAX_LEN) {
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
            if (strs[i] != NULL &&
                dlzi_utf8_check(strs[i], strlen(strs[i]), DLZI_UTF8_SURROGATES, &bad) != 0) {
                return new_fail(DLZ_EFORMAT, errbuf, errbuf_size,
                                "String[] item %zu: byte %zu: not UTF-8", i, bad);
            }
        }
    }
    *out = is_strings                       ? new_string_array(elems, n)
           : dlzi_value_is_prim_array(type) ? new_prim_array(type, elems, n)
                                            : dlzi_value_node(type);
    return *out != NULL ? DLZ_OK : new_fail(DLZ_ENOMEM, errbuf, errbuf_size, "out of memory");
}

int dlz_value_append(dlz_value *c, dlz_value *item) {
    if (c == NULL || item == NULL || item == c || item->in_box || !dlzi_value_is_seq(c->type)) {
        return DLZ_EMISUSE;
    }
    if (c->type == DLZ_VALUE_STRING_ARRAY && item->type != DLZ_VALUE_STRING &&
        item->type != DLZ_VALUE_NULL) {
        return DLZ_EMISUSE;
    }
    if (item->height + 1 > DLZ_VALUE_MAX_DEPTH || c->n >= DLZI_JAVA_MAX_LEN) {
        return DLZ_ELIMIT;
    }
    if (dlzi_value_reserve(c, 1) != DLZ_OK) {
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

static ptrdiff_t map_find(const dlz_value *m, const dlz_value *key);

/* Java's equals() for the supported classes; arrays and opaque values compare
   by identity, as Java's arrays do. */
static int java_equal(const dlz_value *a, const dlz_value *b) {
    if (a == b) {
        return 1;
    }
    if (a->type != b->type && !(dlzi_value_is_map(a->type) && dlzi_value_is_map(b->type))) {
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
        return dlzi_java_double_bits(a->u.d) == dlzi_java_double_bits(b->u.d);
    case DLZ_VALUE_FLOAT:
        return dlzi_java_float_bits(a->u.f) == dlzi_java_float_bits(b->u.f);
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
int dlzi_value_hash(const dlz_value *v, uint32_t *h) {
    switch (v->type) {
    case DLZ_VALUE_NULL:
        *h = 0;
        return 0;
    case DLZ_VALUE_STRING:
        *h = dlzi_java_string_hash(v->u.s, v->n);
        return 0;
    case DLZ_VALUE_INT:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
    case DLZ_VALUE_CHAR:
        *h = dlzi_java_int_hash((int32_t)v->u.i);
        return 0;
    case DLZ_VALUE_LONG:
        *h = dlzi_java_long_hash(v->u.i);
        return 0;
    case DLZ_VALUE_BOOLEAN:
        *h = dlzi_java_boolean_hash((int)v->u.i);
        return 0;
    case DLZ_VALUE_DOUBLE:
        *h = dlzi_java_double_hash(v->u.d);
        return 0;
    case DLZ_VALUE_FLOAT:
        *h = dlzi_java_float_hash(v->u.f);
        return 0;
    case DLZ_VALUE_LIST: {
        uint32_t x = 1, e;
        for (size_t i = 0; i < v->n; i++) {
            if (dlzi_value_hash(v->u.items[i], &e) != 0) {
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
            if (dlzi_value_hash(v->u.items[2 * i], &k) != 0 ||
                dlzi_value_hash(v->u.items[2 * i + 1], &e) != 0) {
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

/* 1 for the classes whose compareTo() HashMap uses in a tree bucket (each
   implements Comparable of itself). */
static int comparable(dlz_value_type t) {
    return t == DLZ_VALUE_STRING || (t >= DLZ_VALUE_INT && t <= DLZ_VALUE_CHAR);
}

static int sign(int64_t d) {
    return d < 0 ? -1 : d > 0;
}

int dlzi_value_tree_compare(const dlz_value *k, const dlz_value *pk) {
    /* tieBreakOrder() puts null first: identityHashCode(null) is 0 and
       HotSpot's identity hashes are positive */
    if (k->type == DLZ_VALUE_NULL || pk->type == DLZ_VALUE_NULL) {
        return k->type == DLZ_VALUE_NULL ? -1 : 1;
    }
    if (k->type != pk->type) {
        /* compareComparables() gives 0: then the class names */
        return sign(strcmp(dlz_value_type_name(k->type), dlz_value_type_name(pk->type)));
    }
    if (!comparable(k->type)) {
        return 0; /* identityHashCode() */
    }
    switch (k->type) {
    case DLZ_VALUE_STRING:
        return dlzi_java_string_compare(k->u.s, k->n, pk->u.s, pk->n);
    case DLZ_VALUE_DOUBLE:
        return dlzi_java_double_compare(k->u.d, pk->u.d);
    case DLZ_VALUE_FLOAT:
        return dlzi_java_float_compare(k->u.f, pk->u.f);
    default: /* Integer, Long, Short, Byte, Boolean, Character */
        return k->u.i < pk->u.i ? -1 : k->u.i > pk->u.i;
    }
}

int dlz_value_map_put(dlz_value *m, dlz_value *key, dlz_value *value) {
    if (m == NULL || key == NULL || value == NULL || !dlzi_value_is_map(m->type) || key == m ||
        value == m || key == value || key->in_box || value->in_box) {
        return DLZ_EMISUSE;
    }
    unsigned hk = key->height > value->height ? key->height : value->height;
    if (hk + 1 > DLZ_VALUE_MAX_DEPTH) {
        return DLZ_ELIMIT;
    }
    ptrdiff_t j = map_find(m, key);
    if (j >= 0) {
        dlz_value_free(m->u.items[2 * j + 1]);
        m->u.items[2 * j + 1] = value;
        value->in_box = 1;
        dlz_value_free(key);
    } else {
        if (m->n >= DLZI_JAVA_MAX_LEN) {
            return DLZ_ELIMIT;
        }
        if (dlzi_value_reserve(m, 2) != DLZ_OK) {
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
static dlz_value *copy_shallow(const dlz_value *v, dlzi_charge_fn charge, void *ctx, int *rc) {
    size_t payload = 0;
    if (v->type == DLZ_VALUE_STRING) {
        payload = v->n + 1;
    } else if (dlzi_value_is_prim_array(v->type)) {
        payload = v->n * dlzi_value_elem_size(v->type);
    } else if (dlzi_value_is_seq(v->type) || dlzi_value_is_map(v->type)) {
        payload = (dlzi_value_is_map(v->type) ? 2 * v->n : v->n) * sizeof(dlz_value *);
    } else if (v->type == DLZ_VALUE_OPAQUE) {
        payload = v->n + strlen(v->u.op.cls) + 1;
    }
    if (charge != NULL && (*rc = charge(ctx, sizeof(dlz_value) + payload)) != DLZ_OK) {
        return NULL;
    }
    *rc = DLZ_ENOMEM;
    dlz_value *c = dlzi_value_node(v->type);
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
    } else if (dlzi_value_is_prim_array(v->type)) {
        c->u.a = dlzi_malloc(payload);
        if (c->u.a == NULL) {
            goto fail;
        }
        if (payload > 0) {
            memcpy(c->u.a, v->u.a, payload);
        }
        c->n = v->n;
    } else if (dlzi_value_is_seq(v->type) || dlzi_value_is_map(v->type)) {
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
    dlzi_value_free_shallow(c);
    return NULL;
}

int dlzi_value_copy_deep(const dlz_value *v, dlz_value **out, dlzi_charge_fn charge,
                         dlzi_reg_fn reg, void *ctx) {
    int rc;
    dlz_value *c = copy_shallow(v, charge, ctx, &rc);
    *out = NULL;
    if (c == NULL) {
        return rc;
    }
    if (reg != NULL && (rc = reg(ctx, c)) != DLZ_OK) {
        dlzi_value_free_shallow(c);
        return rc;
    }
    if (dlzi_value_is_seq(v->type) || dlzi_value_is_map(v->type)) {
        size_t per = dlzi_value_is_map(v->type) ? 2 : 1; /* a map entry is copied whole */
        for (size_t i = 0; i < v->n; i++) {
            dlz_value *ci[2] = {NULL, NULL};
            for (size_t k = 0; k < per && rc == DLZ_OK; k++) {
                rc = dlzi_value_copy_deep(v->u.items[per * i + k], &ci[k], charge, reg, ctx);
            }
            if (rc != DLZ_OK) {
                if (reg == NULL) { /* else the caller's bookkeeping frees them */
                    dlz_value_free(ci[0]);
                    dlz_value_free(c);
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
        dlzi_value_copy_deep(v, &c, NULL, NULL, NULL);
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
    if (dlzi_value_is_prim_array(a->type)) {
        return a->n == 0 || memcmp(a->u.a, b->u.a, a->n * dlzi_value_elem_size(a->type)) == 0;
    }
    if (dlzi_value_is_seq(a->type) || dlzi_value_is_map(a->type)) {
        size_t k = dlzi_value_is_map(a->type) ? 2 * a->n : a->n;
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
    if (v == NULL || !dlzi_value_is_prim_array(v->type)) {
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
    if (v == NULL || !(dlzi_value_is_prim_array(v->type) || dlzi_value_is_seq(v->type) ||
                       dlzi_value_is_map(v->type))) {
        return 0;
    }
    return v->n;
}

const dlz_value *dlz_value_item(const dlz_value *v, size_t i) {
    if (v == NULL || !dlzi_value_is_seq(v->type) || i >= v->n) {
        return NULL;
    }
    return v->u.items[i];
}

const dlz_value *dlz_value_map_key(const dlz_value *v, size_t i) {
    if (v == NULL || !dlzi_value_is_map(v->type) || i >= v->n) {
        return NULL;
    }
    return v->u.items[2 * i];
}

const dlz_value *dlz_value_map_value(const dlz_value *v, size_t i) {
    if (v == NULL || !dlzi_value_is_map(v->type) || i >= v->n) {
        return NULL;
    }
    return v->u.items[2 * i + 1];
}

const dlz_value *dlz_value_map_get(const dlz_value *m, const dlz_value *key) {
    if (m == NULL || key == NULL || !dlzi_value_is_map(m->type)) {
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
