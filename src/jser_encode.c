/* jser_encode.c - value trees to Java serialization streams, written as
 * ObjectOutputStream writes the same value built in Java (see
 * dlz_value_encode() in dlz.h): class descriptors once, then references;
 * references to equal Strings and to the boxed values valueOf() shares; a
 * HashMap with the capacity, threshold and order java.util.HashMap reaches
 * (java.c). */
/* See dlz-format(5), section JAVA OBJECT STREAMS. */
#include "internal.h"

#include <stdio.h>

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
    int64_t cls_h[DLZI_C_COUNT];
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
    int rc = put_u8(e, DLZI_TC_REFERENCE);
    return rc != DLZ_OK ? rc : put_u32(e, (uint32_t)(DLZI_BASE_HANDLE + h));
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
    const dlzi_jclass *sp = &dlzi_jser_classes[cls];
    ETRY(put_u8(e, DLZI_TC_CLASSDESC));
    ETRY(put_ascii_utf(e, sp->name));
    ETRY(put_u64(e, sp->uid));
    e->cls_h[cls] = e->next++;
    ETRY(put_u8(e, sp->flags));
    ETRY(put_u16(e, (uint16_t)sp->nfields));
    for (int i = 0; i < sp->nfields; i++) {
        ETRY(put_u8(e, (unsigned char)sp->ftype[i]));
        ETRY(put_ascii_utf(e, sp->fname[i]));
    }
    ETRY(put_u8(e, DLZI_TC_ENDBLOCKDATA));
    return sp->super >= 0 ? write_desc(e, sp->super) : put_u8(e, DLZI_TC_NULL);
}

static int write_string_body(enc *e, const dlz_value *s) {
    uint64_t bytes, units;
    dlzi_java_mutf_size(s->u.s, s->n, &bytes, &units);
    if (units > DLZI_JAVA_MAX_LEN) {
        return efail(e, DLZ_ELIMIT, "a string of %llu UTF-16 units is longer than Java allows",
                     (unsigned long long)units);
    }
    if (bytes <= 0xFFFF) {
        ETRY(put_u8(e, DLZI_TC_STRING));
        ETRY(put_u16(e, (uint16_t)bytes));
    } else {
        ETRY(put_u8(e, DLZI_TC_LONGSTRING));
        ETRY(put_u64(e, bytes));
    }
    if (bytes > SIZE_MAX) {
        return efail(e, DLZ_ENOMEM, "out of memory");
    }
    ETRY(egrow(e, (size_t)bytes));
    e->n += dlzi_java_mutf_encode(s->u.s, s->n, e->p + e->n);
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
    ETRY(put_u8(e, DLZI_TC_OBJECT));
    ETRY(write_desc(e, dlzi_jser_class_of_type(v->type)));
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
        return put_u32(e, dlzi_java_float_bits(v->u.f));
    default:
        return put_u64(e, dlzi_java_double_bits(v->u.d));
    }
}

static int write_prim_array(enc *e, const dlz_value *v) {
    size_t es = dlzi_value_elem_size(v->type);
    ETRY(put_u8(e, DLZI_TC_ARRAY));
    ETRY(write_desc(e, dlzi_jser_class_of_type(v->type)));
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
            dlzi_put_be32(o, dlzi_java_float_bits(((const float *)v->u.a)[i]));
            break;
        case DLZ_VALUE_LONG_ARRAY:
            dlzi_put_be64(o, ((const uint64_t *)v->u.a)[i]);
            break;
        default:
            dlzi_put_be64(o, dlzi_java_double_bits(((const double *)v->u.a)[i]));
            break;
        }
    }
    return DLZ_OK;
}

/* What HashMap's put() leads to for these keys in this order: its capacity
   and threshold, and (for a HashMap, when every key's hashCode() is known)
   the iteration order. */
typedef struct map_shape {
    uint32_t buckets, threshold;
    size_t *order; /* NULL: insertion order */
} map_shape;

static int key_compare(void *ctx, size_t a, size_t b) {
    const dlz_value *m = ctx;
    return dlzi_value_tree_compare(m->u.items[2 * a], m->u.items[2 * b]);
}

static int map_shape_of(const dlz_value *m, map_shape *ms) {
    size_t n = m->n;
    ms->order = NULL;
    uint32_t *h = dlzi_malloc(n * sizeof *h + 1);
    unsigned char *known = dlzi_malloc(n + 1);
    size_t *order = m->type == DLZ_VALUE_MAP ? dlzi_malloc(n * sizeof *order + 1) : NULL;
    int rc = DLZ_ENOMEM;
    if (h != NULL && known != NULL && (order != NULL || m->type != DLZ_VALUE_MAP)) {
        for (size_t i = 0; i < n; i++) {
            known[i] = dlzi_value_hash(m->u.items[2 * i], &h[i]) == 0;
        }
        dlzi_java_map jm;
        rc = dlzi_java_hashmap(h, known, n, key_compare, (void *)m, order, &jm);
        ms->buckets = jm.buckets;
        ms->threshold = jm.threshold;
        if (rc == DLZ_OK && order != NULL && jm.ordered) {
            ms->order = order;
            order = NULL;
        }
    }
    dlzi_free(h);
    dlzi_free(known);
    dlzi_free(order);
    return rc;
}

static int write_value(enc *e, const dlz_value *v);

static int write_map(enc *e, const dlz_value *v) {
    map_shape ms;
    if (map_shape_of(v, &ms) != DLZ_OK) {
        return efail(e, DLZ_ENOMEM, "out of memory");
    }
    int rc = put_u8(e, DLZI_TC_OBJECT);
    if (rc == DLZ_OK) {
        rc = write_desc(e, v->type == DLZ_VALUE_MAP ? DLZI_C_HASHMAP : DLZI_C_LINKEDHASHMAP);
    }
    e->next++;
    unsigned char hdr[] = {0x3F, 0x40, 0x00, 0x00, 0, 0, 0, 0, DLZI_TC_BLOCKDATA,
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
    ETRY(put_u8(e, DLZI_TC_ENDBLOCKDATA));
    if (v->type == DLZ_VALUE_LINKED_MAP) {
        ETRY(put_u8(e, v->access_order));
    }
    return DLZ_OK;
}

static int write_value(enc *e, const dlz_value *v) {
    switch (v->type) {
    case DLZ_VALUE_NULL:
        return put_u8(e, DLZI_TC_NULL);
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
        ETRY(put_u8(e, DLZI_TC_ARRAY));
        ETRY(write_desc(e, dlzi_jser_class_of_type(v->type)));
        e->next++;
        ETRY(put_u32(e, (uint32_t)v->n));
        for (size_t i = 0; i < v->n; i++) {
            ETRY(write_value(e, v->u.items[i]));
        }
        return DLZ_OK;
    case DLZ_VALUE_LIST: {
        unsigned char bd[6] = {DLZI_TC_BLOCKDATA, 4};
        ETRY(put_u8(e, DLZI_TC_OBJECT));
        ETRY(write_desc(e, DLZI_C_ARRAYLIST));
        e->next++;
        ETRY(put_u32(e, (uint32_t)v->n));
        dlzi_put_be32(bd + 2, (uint32_t)v->n);
        ETRY(put(e, bd, sizeof bd));
        for (size_t i = 0; i < v->n; i++) {
            ETRY(write_value(e, v->u.items[i]));
        }
        return put_u8(e, DLZI_TC_ENDBLOCKDATA);
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
        if (dlzi_value_is_prim_array(v->type)) {
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
        for (int i = 0; i < DLZI_C_COUNT; i++) {
            e.cls_h[i] = -1;
        }
        for (int i = 0; i < BOX_SLOTS; i++) {
            e.box_h[i] = -1;
        }
        rc = put(&e, DLZI_JSER_MAGIC, 4);
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
