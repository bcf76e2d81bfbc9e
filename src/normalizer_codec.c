/* normalizer_codec.c - normalizer.bin streams (FORMAT.md section C) to
 * normalizer objects and back.
 *
 * The codec follows NormalizerSerializer and its strategies (nd4j-api
 * org.nd4j.linalg.dataset.api.preprocessor.serializer): a header (UTF
 * "NORMALIZER", i32 version 1, UTF type name, UTF strategy class for CUSTOM)
 * and a body per type made of booleans, ints, doubles and ND4J array
 * records; the deprecated form is a Java serialization stream (jser). */
/* See dlz-format(5), section NORMALIZER STREAMS. */
#include "internal.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

/* Each array of a standalone stream may take at most this many bytes. */
#define STANDALONE_ARRAY_LIMIT (UINT64_C(1) << 30)

/* No array record is shorter than this (two buffer headers), so a count of
   arrays can be checked against the bytes left before anything is allocated. */
#define MIN_RECORD 16

typedef struct dec {
    dlzi_rd *rd;
    uint64_t max_bytes;
    const char *what;
    dlzi_err *err;
} dec;

static int64_t left(const dec *d) {
    return dlzi_rd_remaining(d->rd);
}

static int read_i32(dec *d, int32_t *v, int64_t *at) {
    *at = d->rd->off;
    return dlzi_rd_i32(d->rd, v);
}

/* A count of items of at least `unit` bytes each. */
static int read_count(dec *d, const char *name, int64_t unit, int32_t *v) {
    int64_t at;
    int rc = read_i32(d, v, &at);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (*v < 0) {
        return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, at, "expected %s >= 0, found %" PRId32,
                           name, *v);
    }
    if (*v > left(d) / unit) {
        return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, at,
                           "expected %s of at most %" PRId64 " (%" PRId64
                           " bytes left), found %" PRId32,
                           name, left(d) / unit, left(d), *v);
    }
    return DLZ_OK;
}

static int read_array(dec *d, dlz_array **a) {
    return dlzi_array_decode(d->rd, d->max_bytes, a);
}

/* n pairs of arrays into new pointer arrays. */
static int read_pairs(dec *d, int n, dlz_array ***pa, dlz_array ***pb) {
    *pa = dlzi_calloc((size_t)n, sizeof **pa);
    *pb = dlzi_calloc((size_t)n, sizeof **pb);
    if (*pa == NULL || *pb == NULL) {
        return dlzi_err_at(d->err, DLZ_ENOMEM, d->what, d->rd->off, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        int rc = read_array(d, &(*pa)[i]);
        if (rc == DLZ_OK) {
            rc = read_array(d, &(*pb)[i]);
        }
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

static int read_fit(dec *d, dlz_normalizer *n) {
    uint8_t b;
    int rc = dlzi_rd_u8(d->rd, &b);
    n->fit_label = b;
    return rc;
}

static int read_f64s(dec *d, double *v, int k) {
    for (int i = 0; i < k; i++) {
        int rc = dlzi_rd_f64(d->rd, &v[i]);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

/* STANDARDIZE and MIN_MAX. */
static int read_single(dec *d, dlz_normalizer *n) {
    int rc = read_fit(d, n);
    if (rc == DLZ_OK && n->type == DLZ_NORM_MIN_MAX) {
        rc = read_f64s(d, n->v, 2);
    }
    if (rc == DLZ_OK) {
        n->nin = 1;
        rc = read_pairs(d, 1, &n->ia, &n->ib);
    }
    if (rc == DLZ_OK && n->fit_label) {
        n->nout = 1;
        rc = read_pairs(d, 1, &n->oa, &n->ob);
    }
    return rc;
}

/* MULTI_STANDARDIZE and MULTI_MIN_MAX. */
static int read_multi(dec *d, dlz_normalizer *n) {
    int32_t nin, nout;
    int64_t at;
    int rc = read_fit(d, n);
    if (rc != DLZ_OK || (rc = read_count(d, "numInputs", 2 * MIN_RECORD, &nin)) != DLZ_OK ||
        (rc = read_i32(d, &nout, &at)) != DLZ_OK) {
        return rc;
    }
    n->num_outputs = nout;
    if (n->fit_label) {
        if (nout < 0) {
            return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, at,
                               "expected numOutputs >= 0 (fitLabel is true), found %" PRId32, nout);
        }
        if (nout > left(d) / (2 * MIN_RECORD)) {
            return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, at,
                               "expected numOutputs of at most %" PRId64 " (%" PRId64
                               " bytes left), found %" PRId32,
                               left(d) / (2 * MIN_RECORD), left(d), nout);
        }
    }
    if (n->type == DLZ_NORM_MULTI_MIN_MAX && (rc = read_f64s(d, n->v, 2)) != DLZ_OK) {
        return rc;
    }
    n->nin = nin;
    if ((rc = read_pairs(d, nin, &n->ia, &n->ib)) != DLZ_OK) {
        return rc;
    }
    if (n->fit_label) {
        n->nout = nout;
        rc = read_pairs(d, nout, &n->oa, &n->ob);
    }
    return rc;
}

/* A MultiHybridSerializerStrategy.Strategy ordinal. */
static int read_kind(dec *d, int allow_null, int32_t *kind) {
    int64_t at;
    int rc = read_i32(d, kind, &at);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (*kind < (allow_null ? 0 : 1) || *kind > 2) {
        return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, at,
                           "expected a %s ordinal (%s1 STANDARDIZE, 2 MIN_MAX), found %" PRId32,
                           allow_null ? "strategy" : "statistics", allow_null ? "0 NULL, " : "",
                           *kind);
    }
    return DLZ_OK;
}

static int read_strategy(dec *d, int32_t *kind, double *lo, double *hi) {
    int rc = read_kind(d, 1, kind);
    *lo = *hi = 0.0;
    if (rc == DLZ_OK && *kind == DLZ_NORM_STRATEGY_MIN_MAX) {
        if ((rc = dlzi_rd_f64(d->rd, lo)) == DLZ_OK) {
            rc = dlzi_rd_f64(d->rd, hi);
        }
    }
    return rc;
}

static int read_stats_map(dec *d, dlzi_norm_side *s) {
    int32_t cnt;
    int rc = read_count(d, "the number of statistics entries", 8 + 2 * MIN_RECORD, &cnt);
    if (rc != DLZ_OK) {
        return rc;
    }
    s->stats = dlzi_calloc((size_t)cnt, sizeof *s->stats);
    if (s->stats == NULL) {
        return dlzi_err_at(d->err, DLZ_ENOMEM, d->what, d->rd->off, "out of memory");
    }
    for (int32_t i = 0; i < cnt; i++) {
        dlzi_norm_stats *e = &s->stats[i];
        int64_t at;
        s->nstats++;
        if ((rc = read_i32(d, &e->index, &at)) != DLZ_OK ||
            (rc = read_kind(d, 0, &e->kind)) != DLZ_OK || (rc = read_array(d, &e->a)) != DLZ_OK ||
            (rc = read_array(d, &e->b)) != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

static int read_strat_map(dec *d, dlzi_norm_side *s) {
    int32_t cnt;
    int rc = read_count(d, "the number of strategy entries", 8, &cnt);
    if (rc != DLZ_OK) {
        return rc;
    }
    s->strat = dlzi_calloc((size_t)cnt, sizeof *s->strat);
    if (s->strat == NULL) {
        return dlzi_err_at(d->err, DLZ_ENOMEM, d->what, d->rd->off, "out of memory");
    }
    for (int32_t i = 0; i < cnt; i++) {
        dlzi_norm_strat *e = &s->strat[i];
        int64_t at;
        s->nstrat++;
        if ((rc = read_i32(d, &e->index, &at)) != DLZ_OK ||
            (rc = read_strategy(d, &e->kind, &e->lo, &e->hi)) != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

static int read_hybrid(dec *d, dlz_normalizer *n) {
    int rc;
    if ((rc = read_stats_map(d, &n->side[0])) != DLZ_OK ||
        (rc = read_stats_map(d, &n->side[1])) != DLZ_OK) {
        return rc;
    }
    for (int s = 0; s < 2; s++) {
        dlzi_norm_side *h = &n->side[s];
        if ((rc = read_strategy(d, &h->global_kind, &h->global_lo, &h->global_hi)) != DLZ_OK) {
            return rc;
        }
    }
    if ((rc = read_strat_map(d, &n->side[0])) != DLZ_OK ||
        (rc = read_strat_map(d, &n->side[1])) != DLZ_OK) {
        return rc;
    }
    for (int s = 0; s < 2; s++) {
        if (dlzi_norm_mark_dups(&n->side[s]) != DLZ_OK) {
            return dlzi_err_at(d->err, DLZ_ENOMEM, d->what, d->rd->off, "out of memory");
        }
    }
    return DLZ_OK;
}

static int decode_body(dec *d, dlz_normalizer *n) {
    char buf[128], q[600];
    size_t len;
    int64_t at;
    int rc = dlzi_rd_utf(d->rd, "the header \"NORMALIZER\"", buf, sizeof buf, &len, &at);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (len != 10 || memcmp(buf, "NORMALIZER", 10) != 0) {
        return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, at,
                           "expected the header \"NORMALIZER\", found \"%s\"",
                           dlzi_quote(buf, len, q, sizeof q));
    }
    int32_t version;
    if ((rc = read_i32(d, &version, &at)) != DLZ_OK) {
        return rc;
    }
    if (version != 1) {
        return dlzi_err_at(
            d->err, DLZ_EUNSUPPORTED, d->what, at,
            "expected normalizer format version 1 (the only one DL4J writes and reads), "
            "found %" PRId32,
            version);
    }
    if ((rc = dlzi_rd_utf(d->rd, "a normalizer type name", buf, sizeof buf, &len, &at)) != DLZ_OK) {
        return rc;
    }
    int t;
    for (t = 0; t < DLZ_NORM_JAVA_SERIALIZED; t++) {
        if (strlen(dlzi_norm_type_names[t]) == len &&
            memcmp(buf, dlzi_norm_type_names[t], len) == 0) {
            break;
        }
    }
    if (t == DLZ_NORM_JAVA_SERIALIZED) {
        return dlzi_err_at(
            d->err, DLZ_EFORMAT, d->what, at,
            "expected a normalizer type (STANDARDIZE, MIN_MAX, IMAGE_MIN_MAX, "
            "MULTI_STANDARDIZE, MULTI_MIN_MAX, MULTI_HYBRID or CUSTOM), found \"%s\"",
            dlzi_quote(buf, len, q, sizeof q));
    }
    if (t == DLZ_NORM_IMAGE_VGG16) {
        return dlzi_err_at(
            d->err, DLZ_EUNSUPPORTED, d->what, at,
            "IMAGE_VGG16 has no serializer strategy in any DL4J version, so DL4J can "
            "neither write nor read this normalizer");
    }
    n->type = (dlz_norm_type)t;
    switch (n->type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
        rc = read_single(d, n);
        break;
    case DLZ_NORM_IMAGE_MIN_MAX:
        rc = read_f64s(d, n->v, 3);
        break;
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        rc = read_multi(d, n);
        break;
    case DLZ_NORM_MULTI_HYBRID:
        rc = read_hybrid(d, n);
        break;
    default: { /* CUSTOM */
        uint16_t cl;
        at = d->rd->off;
        if ((rc = dlzi_rd_u16(d->rd, &cl)) != DLZ_OK) {
            return rc;
        }
        if (cl == 0 || cl > left(d)) {
            return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, at,
                               "expected a strategy class name of 1..%" PRId64 " bytes, found %u",
                               left(d), (unsigned)cl);
        }
        n->cls = dlzi_malloc((size_t)cl + 1);
        if (n->cls == NULL) {
            return dlzi_err_at(d->err, DLZ_ENOMEM, d->what, at, "out of memory");
        }
        if ((rc = dlzi_rd_read(d->rd, n->cls, cl)) != DLZ_OK) {
            return rc;
        }
        n->cls[cl] = '\0';
        const char *why = NULL;
        if ((rc = dlzi_java_mutf_check_plain((const unsigned char *)n->cls, cl, &why)) != DLZ_OK) {
            return dlzi_err_at(d->err, rc, d->what, at + 2, "expected a Java class name, found %s",
                               why);
        }
        n->body_len = (size_t)left(d);
        n->body = dlzi_malloc(n->body_len);
        if (n->body == NULL) {
            return dlzi_err_at(d->err, DLZ_ENOMEM, d->what, d->rd->off, "out of memory");
        }
        return dlzi_rd_read(d->rd, n->body, n->body_len);
    }
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    if (left(d) > 0) {
        return dlzi_err_at(d->err, DLZ_EFORMAT, d->what, d->rd->off,
                           "expected the end of the %s normalizer, found %" PRId64 " more bytes",
                           dlzi_norm_type_names[n->type], left(d));
    }
    return DLZ_OK;
}

int dlzi_normalizer_decode(const void *bytes, size_t len, uint64_t max_bytes, const char *what,
                           dlz_normalizer **out, dlzi_err *err) {
    dlz_normalizer *n = dlzi_calloc(1, sizeof *n);
    if (n == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "%s: out of memory", what);
    }
    int rc;
    if (dlzi_jser_sniff(bytes, len)) {
        /* the deprecated form: a Java serialization stream whose first
           object is the normalizer; only its class name is read */
        rc = dlzi_jser_peek_class(bytes, len, what, "normalizer", &n->cls, err);
        n->type = DLZ_NORM_JAVA_SERIALIZED;
    } else {
        dlzi_rd *rd = dlzi_malloc(sizeof *rd);
        if (rd == NULL) {
            dlz_normalizer_free(n);
            return dlzi_err_set(err, DLZ_ENOMEM, "%s: out of memory", what);
        }
        dlzi_memin m;
        dlzi_memin_init(&m, bytes, len, err);
        dlzi_rd_init(rd, &m.in, (int64_t)len, what, err);
        dec d = {rd, max_bytes, what, err};
        rc = decode_body(&d, n);
        dlzi_free(rd);
    }
    if (rc != DLZ_OK) {
        dlz_normalizer_free(n);
        return rc;
    }
    *out = n;
    return DLZ_OK;
}

int dlzi_normalizer_decode_rd(dlzi_rd *rd, uint64_t max_bytes, dlz_normalizer **out) {
    const unsigned char *head;
    int64_t got = dlzi_rd_peek(rd, 2, &head);
    if (got < 0) {
        return (int)got;
    }
    int rc;
    if (dlzi_jser_sniff(head, (size_t)got)) {
        /* The deprecated form is read as bytes: it is small, and only the
           class name of its first object is decoded. */
        if (rd->total < 0 || (uint64_t)rd->total > STANDALONE_ARRAY_LIMIT) {
            return dlzi_err_set(rd->err, DLZ_ELIMIT,
                                "%s: a Java-serialized normalizer of more than 1 GiB", rd->what);
        }
        size_t len = (size_t)rd->total;
        unsigned char *b = dlzi_malloc(len > 0 ? len : 1);
        if (b == NULL) {
            return dlzi_err_set(rd->err, DLZ_ENOMEM, "out of memory");
        }
        rc = dlzi_rd_read(rd, b, len);
        if (rc == DLZ_OK) {
            rc = dlzi_normalizer_decode(b, len, max_bytes, rd->what, out, rd->err);
        }
        dlzi_free(b);
        return rc;
    }
    dlz_normalizer *n = dlzi_calloc(1, sizeof *n);
    if (n == NULL) {
        return dlzi_err_set(rd->err, DLZ_ENOMEM, "out of memory");
    }
    dec d = {rd, max_bytes, rd->what, rd->err};
    rc = decode_body(&d, n);
    if (rc != DLZ_OK) {
        dlz_normalizer_free(n);
        return rc;
    }
    *out = n;
    return DLZ_OK;
}

int dlz_normalizer_decode(const void *bytes, size_t len, dlz_normalizer **out, char *errbuf,
                          size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL || (bytes == NULL && len > 0)) {
        dlzi_err_set(&err, DLZ_EMISUSE, "dlz_normalizer_decode: NULL argument");
        (void)dlzi_err_to_buf(&err, DLZ_EMISUSE, errbuf, errbuf_size);
        return DLZ_EMISUSE;
    }
    int rc = dlzi_normalizer_decode(bytes != NULL ? bytes : "", len, STANDALONE_ARRAY_LIMIT,
                                    "normalizer", out, &err);
    if (rc != DLZ_OK) {
        (void)dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
    } else if (errbuf != NULL && errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */

/* Output: counts bytes when p is NULL, else fills p (cap bytes). */
typedef struct enc {
    unsigned char *p;
    uint64_t len, cap;
    dlzi_err *err;
} enc;

static int e_bytes(enc *e, const void *s, size_t n) {
    if (e->p != NULL) {
        if (n > e->cap - e->len) {
            return dlzi_err_set(e->err, DLZ_EMISUSE, "normalizer: encoded size changed");
        }
        memcpy(e->p + e->len, s, n);
    }
    e->len += n;
    return DLZ_OK;
}

static int e_emit(void *ctx, const void *buf, size_t n) {
    return e_bytes(ctx, buf, n);
}

static int e_u8(enc *e, unsigned v) {
    unsigned char b = (unsigned char)v;
    return e_bytes(e, &b, 1);
}

static int e_i32(enc *e, int32_t v) {
    unsigned char b[4];
    dlzi_put_be32(b, (uint32_t)v);
    return e_bytes(e, b, 4);
}

static int e_f64(enc *e, double v) {
    unsigned char b[8];
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    dlzi_put_be64(b, u);
    return e_bytes(e, b, 8);
}

static int e_utf(enc *e, const char *s) {
    size_t n = strlen(s);
    unsigned char b[2];
    dlzi_put_be16(b, (uint16_t)n);
    int rc = e_bytes(e, b, 2);
    return rc == DLZ_OK ? e_bytes(e, s, n) : rc;
}

/* The generation an array is written in: the one it was read in where that
   can be written (JAVACPP for every record older than MIXED_DATA_TYPES,
   which every DL4J reads), else MIXED_DATA_TYPES. */
static dlz_generation gen_of(const dlz_array *a) {
    if (a->generation != DLZ_GEN_MIXED &&
        (a->dtype == DLZ_DTYPE_FLOAT || a->dtype == DLZ_DTYPE_DOUBLE ||
         a->dtype == DLZ_DTYPE_HALF) &&
        !(a->rank == 0 && a->length == 0)) {
        return DLZ_GEN_JAVACPP;
    }
    return DLZ_GEN_MIXED;
}

static int e_array(enc *e, const dlz_array *a) {
    if (e->p == NULL) {
        uint64_t size;
        int rc = dlzi_array_encoded_size(a, gen_of(a), 0, &size, e->err);
        if (rc == DLZ_OK) {
            e->len += size;
        }
        return rc;
    }
    return dlzi_array_encode(a, gen_of(a), 0, e_emit, e, e->err);
}

static int e_pairs(enc *e, dlz_array *const *a, dlz_array *const *b, int n) {
    for (int i = 0; i < n; i++) {
        int rc = e_array(e, a[i]);
        if (rc == DLZ_OK) {
            rc = e_array(e, b[i]);
        }
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

static int e_strategy(enc *e, int32_t kind, double lo, double hi) {
    int rc = e_i32(e, kind);
    if (rc == DLZ_OK && kind == DLZ_NORM_STRATEGY_MIN_MAX) {
        if ((rc = e_f64(e, lo)) == DLZ_OK) {
            rc = e_f64(e, hi);
        }
    }
    return rc;
}

static int nomem(dlzi_err *err) {
    return dlzi_err_set(err, DLZ_ENOMEM, "normalizer: out of memory");
}

/* The order in which DL4J writes the entries of a map: *order (yours,
   dlzi_free) lists item positions; each item of @p size bytes holds its
   int32 key at @p key_offset.  In stream order unless a builder changed the
   map (java): then in the order of Java's HashMap<Integer, ...> (repeated
   indices were merged first, see merge() in normalizer.c). */
static int entry_order(enc *e, const void *items, size_t size, size_t key_offset, size_t n,
                       int java, size_t **order) {
    uint32_t *hash = dlzi_calloc(n + 1, sizeof *hash);
    *order = dlzi_calloc(n + 1, sizeof **order);
    int rc = hash != NULL && *order != NULL ? DLZ_OK : DLZ_ENOMEM;
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        int32_t key;
        memcpy(&key, (const char *)items + i * size + key_offset, sizeof key);
        hash[i] = dlzi_java_int_hash(key);
        (*order)[i] = i;
    }
    if (rc == DLZ_OK && java) {
        dlzi_java_map jm; /* Integer keys: distinct hashes, no tree ties */
        rc = dlzi_java_hashmap(hash, NULL, n, NULL, NULL, *order, &jm);
    }
    dlzi_free(hash);
    if (rc != DLZ_OK) {
        dlzi_free(*order);
        *order = NULL;
        return nomem(e->err);
    }
    return DLZ_OK;
}

static int e_stats_map(enc *e, const dlzi_norm_side *s) {
    size_t n = s->nstats, *order;
    int rc = entry_order(e, s->stats, sizeof *s->stats, offsetof(dlzi_norm_stats, index), n,
                         s->stats_java_order, &order);
    if (rc == DLZ_OK) {
        rc = e_i32(e, (int32_t)n);
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        const dlzi_norm_stats *st = &s->stats[order[i]];
        if ((rc = e_i32(e, st->index)) == DLZ_OK && (rc = e_i32(e, st->kind)) == DLZ_OK &&
            (rc = e_array(e, st->a)) == DLZ_OK) {
            rc = e_array(e, st->b);
        }
    }
    dlzi_free(order);
    return rc;
}

static int e_strat_map(enc *e, const dlzi_norm_side *s) {
    size_t n = s->nstrat, *order;
    int rc = entry_order(e, s->strat, sizeof *s->strat, offsetof(dlzi_norm_strat, index), n,
                         s->strat_java_order, &order);
    if (rc == DLZ_OK) {
        rc = e_i32(e, (int32_t)n);
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        const dlzi_norm_strat *st = &s->strat[order[i]];
        if ((rc = e_i32(e, st->index)) == DLZ_OK) {
            rc = e_strategy(e, st->kind, st->lo, st->hi);
        }
    }
    dlzi_free(order);
    return rc;
}

static int encode_all(enc *e, const dlz_normalizer *n) {
    int rc;
    if ((rc = e_utf(e, "NORMALIZER")) != DLZ_OK || (rc = e_i32(e, 1)) != DLZ_OK ||
        (rc = e_utf(e, dlzi_norm_type_names[n->type])) != DLZ_OK) {
        return rc;
    }
    switch (n->type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
        if ((rc = e_u8(e, n->fit_label)) != DLZ_OK) {
            return rc;
        }
        if (n->type == DLZ_NORM_MIN_MAX &&
            ((rc = e_f64(e, n->v[0])) != DLZ_OK || (rc = e_f64(e, n->v[1])) != DLZ_OK)) {
            return rc;
        }
        if ((rc = e_pairs(e, n->ia, n->ib, n->nin)) != DLZ_OK) {
            return rc;
        }
        return e_pairs(e, n->oa, n->ob, n->nout);
    case DLZ_NORM_IMAGE_MIN_MAX:
        for (int i = 0; i < 3; i++) {
            if ((rc = e_f64(e, n->v[i])) != DLZ_OK) {
                return rc;
            }
        }
        return DLZ_OK;
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        if ((rc = e_u8(e, n->fit_label)) != DLZ_OK || (rc = e_i32(e, n->nin)) != DLZ_OK ||
            (rc = e_i32(e, n->num_outputs)) != DLZ_OK) {
            return rc;
        }
        if (n->type == DLZ_NORM_MULTI_MIN_MAX &&
            ((rc = e_f64(e, n->v[0])) != DLZ_OK || (rc = e_f64(e, n->v[1])) != DLZ_OK)) {
            return rc;
        }
        if ((rc = e_pairs(e, n->ia, n->ib, n->nin)) != DLZ_OK) {
            return rc;
        }
        return e_pairs(e, n->oa, n->ob, n->nout);
    case DLZ_NORM_MULTI_HYBRID:
        if ((rc = e_stats_map(e, &n->side[0])) != DLZ_OK ||
            (rc = e_stats_map(e, &n->side[1])) != DLZ_OK) {
            return rc;
        }
        for (int s = 0; s < 2; s++) {
            const dlzi_norm_side *h = &n->side[s];
            if ((rc = e_strategy(e, h->global_kind, h->global_lo, h->global_hi)) != DLZ_OK) {
                return rc;
            }
        }
        if ((rc = e_strat_map(e, &n->side[0])) != DLZ_OK) {
            return rc;
        }
        return e_strat_map(e, &n->side[1]);
    default: /* CUSTOM */
        if ((rc = e_utf(e, n->cls)) != DLZ_OK) {
            return rc;
        }
        return e_bytes(e, n->body, n->body_len);
    }
}

int dlz_normalizer_encode(const dlz_normalizer *n, void **bytes, size_t *len, char *errbuf,
                          size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = DLZ_OK;
    if (bytes != NULL) {
        *bytes = NULL;
    }
    if (len != NULL) {
        *len = 0;
    }
    if (n == NULL || bytes == NULL || len == NULL) {
        rc = dlzi_err_set(&err, DLZ_EMISUSE, "dlz_normalizer_encode: NULL argument");
    } else if (n->type == DLZ_NORM_JAVA_SERIALIZED) {
        rc = dlzi_err_set(&err, DLZ_EUNSUPPORTED,
                          "cannot encode the deprecated Java-serialized normalizer %s: DL4J "
                          "1.0.0-beta7 and later cannot read it (copy the raw entry instead)",
                          n->cls);
    } else if (n->type == DLZ_NORM_IMAGE_VGG16) {
        rc = dlzi_err_set(&err, DLZ_EUNSUPPORTED,
                          "cannot encode IMAGE_VGG16: DL4J has no serializer strategy for it, "
                          "so DL4J cannot read it");
    }
    unsigned char *buf = NULL;
    enc e = {NULL, 0, 0, &err};
    if (rc == DLZ_OK) {
        rc = encode_all(&e, n);
    }
    if (rc == DLZ_OK && e.len > SIZE_MAX) {
        rc = dlzi_err_set(&err, DLZ_ELIMIT, "normalizer: too large for memory");
    }
    if (rc == DLZ_OK) {
        buf = dlzi_malloc((size_t)e.len);
        if (buf == NULL) {
            rc = nomem(&err);
        }
    }
    if (rc == DLZ_OK) {
        e.p = buf;
        e.cap = e.len;
        e.len = 0;
        rc = encode_all(&e, n);
    }
    if (rc == DLZ_OK && e.len != e.cap) {
        rc = dlzi_err_set(&err, DLZ_EMISUSE, "normalizer: encoded size changed");
    }
    if (rc != DLZ_OK) {
        dlzi_free(buf);
        (void)dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
        return rc;
    }
    *bytes = buf;
    *len = (size_t)e.cap;
    if (errbuf != NULL && errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    return DLZ_OK;
}
