/* jser_decode.c - the Java Object Serialization subset of objects/<key>
 * entries: the classes libdlz supports and the decoder.
 *
 * The decoder is a structural parser of the whole serialization grammar.
 * Supported classes are recognised by descriptor (name, serialVersionUID,
 * flags, fields, superclass) and turned into nodes; any other class is only
 * delimited, using the field list and flags of its descriptors, and makes the
 * result opaque.  Every node the decoder creates is recorded in a list, so
 * that whatever is not part of the returned tree (a failure, an opaque
 * result, strings inside class descriptors) is released by freeing the nodes
 * that no container holds.  Also here: the stream header and first class
 * descriptor, which is all a normalizer stored the deprecated way needs. */
/* See dlz-format(5), section JAVA OBJECT STREAMS. */
#include "internal.h"

#include <stdio.h>

/* ------------------------------------------------------------------------ */
/* The supported classes                                                     */

/* Classes the decoder recognises beyond the supported ones. */
enum { C_OTHER = DLZI_C_COUNT, C_PROXY };

#define BOX(n, u, t, s, ty)                                                                        \
    { n, UINT64_C(u), DLZI_SC_SERIALIZABLE, 1, {t, 0}, {"value", NULL}, s, ty }
#define ARR(n, u, ty)                                                                              \
    { n, UINT64_C(u), DLZI_SC_SERIALIZABLE, 0, {0, 0}, {NULL, NULL}, -1, ty }

const dlzi_jclass dlzi_jser_classes[DLZI_C_COUNT] = {
    BOX("java.lang.Integer", 0x12E2A0A4F7818738, 'I', DLZI_C_NUMBER, DLZ_VALUE_INT),
    BOX("java.lang.Long", 0x3B8BE490CC8F23DF, 'J', DLZI_C_NUMBER, DLZ_VALUE_LONG),
    BOX("java.lang.Double", 0x80B3C24A296BFB04, 'D', DLZI_C_NUMBER, DLZ_VALUE_DOUBLE),
    BOX("java.lang.Float", 0xDAEDC9A2DB3CF0EC, 'F', DLZI_C_NUMBER, DLZ_VALUE_FLOAT),
    BOX("java.lang.Short", 0x684D37133460DA52, 'S', DLZI_C_NUMBER, DLZ_VALUE_SHORT),
    BOX("java.lang.Byte", 0x9C4E6084EE50F51C, 'B', DLZI_C_NUMBER, DLZ_VALUE_BYTE),
    BOX("java.lang.Boolean", 0xCD207280D59CFAEE, 'Z', -1, DLZ_VALUE_BOOLEAN),
    BOX("java.lang.Character", 0x348B47D96B1A2678, 'C', -1, DLZ_VALUE_CHAR),
    {"java.lang.Number",
     UINT64_C(0x86AC951D0B94E08B),
     DLZI_SC_SERIALIZABLE,
     0,
     {0, 0},
     {NULL, NULL},
     -1,
     DLZ_VALUE_NULL},
    {"java.util.ArrayList",
     UINT64_C(0x7881D21D99C7619D),
     DLZI_SC_SERIALIZABLE | DLZI_SC_WRITE_METHOD,
     1,
     {'I', 0},
     {"size", NULL},
     -1,
     DLZ_VALUE_LIST},
    {"java.util.HashMap",
     UINT64_C(0x0507DAC1C31660D1),
     DLZI_SC_SERIALIZABLE | DLZI_SC_WRITE_METHOD,
     2,
     {'F', 'I'},
     {"loadFactor", "threshold"},
     -1,
     DLZ_VALUE_MAP},
    {"java.util.LinkedHashMap",
     UINT64_C(0x34C04E5C106CC0FB),
     DLZI_SC_SERIALIZABLE,
     1,
     {'Z', 0},
     {"accessOrder", NULL},
     DLZI_C_HASHMAP,
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
    for (int i = 0; i < DLZI_C_COUNT; i++) {
        if (strlen(dlzi_jser_classes[i].name) == len &&
            memcmp(dlzi_jser_classes[i].name, name, len) == 0) {
            return i;
        }
    }
    return C_OTHER;
}

int dlzi_jser_class_of_type(dlz_value_type t) {
    for (int i = 0; i < DLZI_C_COUNT; i++) {
        if (dlzi_jser_classes[i].type == t && i != DLZI_C_NUMBER) {
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
    int cls; /* index into dlzi_jser_classes, C_OTHER or C_PROXY */
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
    dlz_value *v = dlzi_value_node(t);
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
    return dlzi_value_reserve(c, n) == DLZ_OK ? DLZ_OK : nomem(d);
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

/* A big-endian integer of w bytes; *v is set only on success. */
static int rd_be(dec *d, const char *what, size_t w, uint64_t *v) {
    int rc = need(d, w, what);
    if (rc == DLZ_OK) {
        uint64_t x = 0;
        for (size_t i = 0; i < w; i++) {
            x = x << 8 | d->p[d->pos + i];
        }
        d->pos += w;
        *v = x;
    }
    return rc;
}

static int rd_u8(dec *d, const char *what, unsigned char *v) {
    uint64_t x;
    int rc = rd_be(d, what, 1, &x);
    if (rc == DLZ_OK) {
        *v = (unsigned char)x;
    }
    return rc;
}

static int rd_u16(dec *d, const char *what, uint16_t *v) {
    uint64_t x;
    int rc = rd_be(d, what, 2, &x);
    if (rc == DLZ_OK) {
        *v = (uint16_t)x;
    }
    return rc;
}

static int rd_i32(dec *d, const char *what, int32_t *v) {
    uint64_t x;
    int rc = rd_be(d, what, 4, &x);
    if (rc == DLZ_OK) {
        *v = (int32_t)(uint32_t)x;
    }
    return rc;
}

/* Modified UTF-8 of n bytes at the current position: checked as
   DataInputStream.readUTF() does, and, when out is set, converted to UTF-8
   (surrogate pairs joined, lone surrogates kept as 3 bytes) into a new
   NUL-terminated buffer (at most n + 1 bytes). */
static int rd_mutf(dec *d, size_t n, char **out, size_t *outlen) {
    char *o = NULL;
    size_t bad = 0;
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
    if (dlzi_java_mutf_decode(d->p + d->pos, n, o, outlen, &bad) != DLZI_UTF8_OK) {
        dlzi_free(o);
        return dfail(d, DLZ_EFORMAT, d->pos + bad, "malformed modified UTF-8 (byte 0x%02x)",
                     d->p[d->pos + bad]);
    }
    if (out != NULL) {
        *out = o;
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
    int64_t i = (int64_t)raw - DLZI_BASE_HANDLE;
    if (i < 0 || (uint64_t)i >= d->nh) {
        return dfail(d, DLZ_EFORMAT, off,
                     "reference to handle 0x%08x, but only handles 0x7e0000..0x%08llx exist",
                     (unsigned)raw, (unsigned long long)(DLZI_BASE_HANDLE + (int64_t)d->nh - 1));
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

/* content* DLZI_TC_ENDBLOCKDATA, contents read and dropped. */
static int read_annotation(dec *d) {
    for (;;) {
        TRY(need(d, 1, "annotation contents or end of block data (0x78)"));
        unsigned char tc = d->p[d->pos];
        if (tc == DLZI_TC_ENDBLOCKDATA) {
            d->pos++;
            return DLZ_OK;
        } else if (tc == DLZI_TC_BLOCKDATA) {
            unsigned char n;
            d->pos++;
            TRY(rd_u8(d, "a block data length", &n));
            TRY(need(d, n, "block data"));
            d->pos += n;
        } else if (tc == DLZI_TC_BLOCKDATALONG) {
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
            if (tc == DLZI_TC_BLOCKDATA) {
                unsigned char k;
                TRY(rd_u8(d, "a block data length", &k));
                b->left = k;
            } else if (tc == DLZI_TC_BLOCKDATALONG) {
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

/* DLZI_TC_STRING / DLZI_TC_LONGSTRING (type code already read). */
static int read_string(dec *d, unsigned char tc, dlz_value **out) {
    size_t off = d->pos;
    uint64_t n;
    if (tc == DLZI_TC_STRING) {
        uint16_t n16;
        TRY(rd_u16(d, "a string length", &n16));
        n = n16;
    } else {
        TRY(rd_be(d, "a long string length", 8, &n));
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
    if (tc == DLZI_TC_STRING || tc == DLZI_TC_LONGSTRING) {
        return read_string(d, tc, &v);
    }
    if (tc == DLZI_TC_REFERENCE) {
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

static const dlzi_jclass *spec_of(const jdesc *ds) {
    return ds->cls < DLZI_C_COUNT ? &dlzi_jser_classes[ds->cls] : NULL;
}

/* DLZI_TC_CLASSDESC / DLZI_TC_PROXYCLASSDESC (type code already read). */
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
        ds->flags = DLZI_SC_SERIALIZABLE;
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
            rc = rd_be(d, "a serialVersionUID", 8, &uid);
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
        const dlzi_jclass *sp = spec_of(ds);
        uint16_t nf;
        size_t off = d->pos;
        TRY(rd_u8(d, "class descriptor flags", &ds->flags));
        if ((ds->flags & DLZI_SC_SERIALIZABLE) && (ds->flags & DLZI_SC_EXTERNALIZABLE)) {
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
    const dlzi_jclass *sp = spec_of(ds);
    if (sp != NULL) {
        int got = sup >= 0 ? d->h[sup].desc->cls : -1;
        if (got != sp->super) {
            return dfail(d, DLZ_EFORMAT, sup_off, "descriptor of %s: expected superclass %s",
                         ds->name, sp->super >= 0 ? dlzi_jser_classes[sp->super].name : "none");
        }
    }
    *out = (int64_t)h;
    return DLZ_OK;
}

static int read_classdesc(dec *d, int64_t *out) {
    size_t off = d->pos;
    unsigned char tc;
    TRY(rd_u8(d, "a class descriptor", &tc));
    if (tc == DLZI_TC_NULL) {
        *out = -1;
        return DLZ_OK;
    }
    if (tc == DLZI_TC_REFERENCE) {
        size_t h;
        TRY(rd_handle(d, &h));
        if (d->h[h].kind != H_DESC) {
            return dfail(d, DLZ_EFORMAT, off,
                         "expected a class descriptor, found a reference to an object");
        }
        *out = (int64_t)h;
        return DLZ_OK;
    }
    if (tc != DLZI_TC_CLASSDESC && tc != DLZI_TC_PROXYCLASSDESC) {
        return dfail(d, DLZ_EFORMAT, off,
                     "expected a class descriptor (0x70, 0x71, 0x72 or 0x7D), found 0x%02x", tc);
    }
    if (++d->ddepth > DESC_NESTING_MAX) {
        return dfail(d, DLZ_ELIMIT, off, "class descriptors nested deeper than %d",
                     DESC_NESTING_MAX);
    }
    int rc = read_new_desc(d, tc == DLZI_TC_PROXYCLASSDESC, off, out);
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
        if (ds->flags & DLZI_SC_EXTERNALIZABLE) {
            if (!(ds->flags & DLZI_SC_BLOCK_DATA)) {
                d->stop = 1; /* protocol 1: the data has no delimiter */
                return DLZ_OK;
            }
            TRY(read_annotation(d));
        } else if (ds->flags & DLZI_SC_SERIALIZABLE) {
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
            if (ds->flags & DLZI_SC_WRITE_METHOD) {
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
    unsigned char t = (unsigned char)dlzi_jser_classes[cls].ftype[0];
    size_t sz = prim_size(t);
    TRY(dnode(d, dlzi_jser_classes[cls].type, &v));
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
    if (cls <= DLZI_C_CHAR) {
        return read_boxed(d, cls, out);
    }
    if (cls == DLZI_C_ARRAYLIST) {
        return read_list(d, out);
    }
    if (cls == DLZI_C_HASHMAP || cls == DLZI_C_LINKEDHASHMAP) {
        return read_map(d, cls == DLZI_C_LINKEDHASHMAP, out);
    }
    if (cls < DLZI_C_COUNT) {
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
    size_t es =
        cls < DLZI_C_COUNT ? dlzi_value_elem_size(dlzi_jser_classes[cls].type) : prim_size(comp);
    if ((es > 0 && n > left(d) / es) || n > left(d)) {
        return dfail(d, DLZ_EFORMAT, off,
                     "truncated: array of %zu elements cannot fit in %zu bytes", n, left(d));
    }
    if (cls >= DLZI_C_COUNT) {
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
    dlz_value_type t = dlzi_jser_classes[cls].type;
    dlz_value *v = NULL;
    TRY(dnode(d, t, &v));
    TRY(hnew_value(d, v, &h));
    if (dlzi_value_is_prim_array(t)) {
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
    int rc = dlzi_value_copy_deep(e->node, out, charge, reg_node, d);
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
    case DLZI_TC_NULL:
        rc = dnode(d, DLZ_VALUE_NULL, out);
        break;
    case DLZI_TC_REFERENCE:
        rc = read_ref(d, off, out);
        break;
    case DLZI_TC_STRING:
    case DLZI_TC_LONGSTRING:
        rc = read_string(d, tc, out);
        break;
    case DLZI_TC_OBJECT:
        rc = read_object(d, off, out);
        break;
    case DLZI_TC_ARRAY:
        rc = read_array(d, off, out);
        break;
    case DLZI_TC_ENUM: {
        size_t h;
        rc = read_classdesc(d, &di);
        if (rc == DLZ_OK && !d->stop && di < 0) {
            rc = dfail(d, DLZ_EFORMAT, off, "enum constant with a null class descriptor");
        }
        if (rc == DLZ_OK && !d->stop) {
            const jdesc *ds = d->h[di].desc;
            if (!(ds->flags & DLZI_SC_ENUM) || ds->name == NULL) {
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
    case DLZI_TC_CLASS: {
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
    case DLZI_TC_CLASSDESC:
    case DLZI_TC_PROXYCLASSDESC:
        d->pos--;
        rc = set_opaque(d, "java.io.ObjectStreamClass");
        if (rc == DLZ_OK) {
            rc = read_classdesc(d, &di);
        }
        break;
    case DLZI_TC_BLOCKDATA:
    case DLZI_TC_BLOCKDATALONG:
        rc = dfail(d, DLZ_EFORMAT, off, "expected an object, found block data (0x%02x)", tc);
        break;
    case DLZI_TC_ENDBLOCKDATA:
        rc = dfail(d, DLZ_EFORMAT, off, "expected an object, found end of block data (0x78)");
        break;
    case DLZI_TC_RESET:
        rc = dfail(d, DLZ_EFORMAT, off, "reset (0x79) inside an object");
        break;
    case DLZI_TC_EXCEPTION:
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
        dlz_value_free(d->all[i]);
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
    if (rc == DLZ_OK && memcmp(d.p, DLZI_JSER_MAGIC, 4) != 0) {
        rc = dfail(&d, DLZ_EFORMAT, 0,
                   "expected the stream header AC ED 00 05, found %02X %02X %02X %02X", d.p[0],
                   d.p[1], d.p[2], d.p[3]);
    }
    if (rc == DLZ_OK) {
        d.pos = 4;
        while (d.pos < d.len && d.p[d.pos] == DLZI_TC_RESET) {
            d.pos++;
            handles_clear(&d);
        }
        rc = read_content(&d, &root);
    }
    if (rc == DLZ_OK && !d.stop && d.pos != d.len) {
        rc = dfail(&d, DLZ_EFORMAT, d.pos, "%zu bytes after the object", d.len - d.pos);
    }
    if (rc == DLZ_OK && d.opaque != NULL) {
        dlz_value *v = dlzi_value_node(DLZ_VALUE_OPAQUE);
        if (v != NULL) {
            v->u.op.cls = d.opaque;
            d.opaque = NULL;
            v->u.op.bytes = dlzi_malloc(len);
            v->n = len;
            if (v->u.op.bytes == NULL) {
                dlzi_value_free_shallow(v);
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
/* The first class of a stream                                               */

int dlzi_jser_sniff(const void *bytes, size_t len) {
    const unsigned char *p = bytes;
    return len >= 2 && p[0] == 0xAC && p[1] == 0xED;
}

int dlzi_jser_peek_class(const void *bytes, size_t len, const char *what, const char *object,
                         char **cls, dlzi_err *err) {
    const unsigned char *p = bytes;
    *cls = NULL;
    if (len < 4 || memcmp(p, DLZI_JSER_MAGIC, 4) != 0) {
        return dlzi_err_at(err, DLZ_EFORMAT, what, 0,
                           "expected the Java serialization header AC ED 00 05, found %s",
                           len < 4 ? "the end of the data" : "another version");
    }
    if (len < 5 || p[4] != DLZI_TC_OBJECT) {
        return dlzi_err_at(err, DLZ_EFORMAT, what, 4,
                           "expected TC_OBJECT (0x73) for a Java-serialized %s, found %s", object,
                           len < 5 ? "the end of the data" : "another item");
    }
    if (len < 6 || p[5] != DLZI_TC_CLASSDESC) {
        return dlzi_err_at(err, DLZ_EFORMAT, what, 5, "expected TC_CLASSDESC (0x72), found %s",
                           len < 6 ? "the end of the data" : "another item");
    }
    if (len < 8) {
        return dlzi_err_at(err, DLZ_EFORMAT, what, 6, "truncated class name length");
    }
    size_t cl = dlzi_get_be16(p + 6);
    if (cl == 0 || cl > len - 8) {
        return dlzi_err_at(err, DLZ_EFORMAT, what, 6,
                           "expected a class name of 1..%zu bytes, found a length of %zu", len - 8,
                           cl);
    }
    const char *why = NULL;
    int rc = dlzi_java_mutf_check_plain(p + 8, cl, &why);
    if (rc != DLZ_OK) {
        return dlzi_err_at(err, rc, what, 8, "expected a Java class name, found %s", why);
    }
    *cls = dlzi_malloc(cl + 1);
    if (*cls == NULL) {
        return dlzi_err_at(err, DLZ_ENOMEM, what, 8, "out of memory");
    }
    memcpy(*cls, p + 8, cl);
    (*cls)[cl] = '\0';
    return DLZ_OK;
}
