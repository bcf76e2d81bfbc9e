/* normalizer.c - normalizer.bin (FORMAT.md section C): the object, its
 * constructors, builders and accessors, and its JSON rendering.  The codec
 * is normalizer_codec.c, the arithmetic normalizer_transform.c.
 *
 * The statistics follow DistributionStats and MinMaxStats of DL4J
 * 1.0.0-beta7 and 1.0.0-M2.1 (identical there), with libnd4j's element-wise
 * operations: every step is one IEEE operation rounded to the array's type. */
/* See dlz-format(5), section NORMALIZER STREAMS. */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Entries a constructor or builder accepts per list or map. */
#define MAX_ENTRIES 65535

const char *const dlzi_norm_type_names[DLZI_NORM_TYPES] = {
    "STANDARDIZE",   "MIN_MAX",      "IMAGE_MIN_MAX", "IMAGE_VGG16",    "MULTI_STANDARDIZE",
    "MULTI_MIN_MAX", "MULTI_HYBRID", "CUSTOM",        "JAVA_SERIALIZED"};

#define PKG "org.nd4j.linalg.dataset.api.preprocessor."

static const char *const java_classes[DLZI_NORM_TYPES] = {PKG "NormalizerStandardize",
                                                          PKG "NormalizerMinMaxScaler",
                                                          PKG "ImagePreProcessingScaler",
                                                          PKG "VGG16ImagePreProcessor",
                                                          PKG "MultiNormalizerStandardize",
                                                          PKG "MultiNormalizerMinMaxScaler",
                                                          PKG "MultiNormalizerHybrid",
                                                          NULL,
                                                          NULL};

const char *const dlzi_norm_strategy_names[3] = {"NULL", "STANDARDIZE", "MIN_MAX"};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

int dlzi_norm_is_floating(dlz_dtype t) {
    return t == DLZ_DTYPE_FLOAT || t == DLZ_DTYPE_DOUBLE || t == DLZ_DTYPE_HALF ||
           t == DLZ_DTYPE_BFLOAT16;
}

/* Buffer position of element i (logical row-major order) of a. */
static int64_t elem_pos(const dlz_array *a, int64_t i) {
    int64_t pos = 0;
    for (int k = a->rank - 1; k >= 0; k--) {
        if (a->shape[k] > 0) {
            pos += i % a->shape[k] * a->strides[k];
            i /= a->shape[k];
        }
    }
    return pos;
}

double dlzi_norm_eps(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return DLZI_EPS_THRESHOLD;
    case DLZ_DTYPE_HALF:
        return dlzi_half_to_float(dlzi_float_to_half((float)DLZI_EPS_THRESHOLD));
    case DLZ_DTYPE_BFLOAT16:
        return dlzi_bf16_to_float(dlzi_float_to_bf16((float)DLZI_EPS_THRESHOLD));
    default:
        return (float)DLZI_EPS_THRESHOLD;
    }
}

/* a + s*b in the floating type t (s = +1 or -1): one operation rounded to t.
   HALF and BFLOAT16 are computed in float and rounded once more, which gives
   the correctly rounded result (float has more than twice their precision
   plus two bits), as libnd4j computes them. */
double dlzi_norm_op(dlz_dtype t, double a, double b, int s) {
    if (t == DLZ_DTYPE_DOUBLE) {
        return s > 0 ? a + b : a - b;
    }
    float fa = (float)a, fb = (float)b;
    float r = s > 0 ? fa + fb : fa - fb;
    if (t == DLZ_DTYPE_HALF) {
        return dlzi_half_to_float(dlzi_float_to_half(r));
    }
    if (t == DLZ_DTYPE_BFLOAT16) {
        return dlzi_bf16_to_float(dlzi_float_to_bf16(r));
    }
    return r;
}

/* Stores v (a value of type t) as element i of the dense array a. */
static void set_elem(dlz_array *a, int64_t i, double v) {
    switch (a->dtype) {
    case DLZ_DTYPE_DOUBLE:
        ((double *)a->data)[i] = v;
        break;
    case DLZ_DTYPE_FLOAT:
        ((float *)a->data)[i] = (float)v;
        break;
    case DLZ_DTYPE_HALF:
        ((uint16_t *)a->data)[i] = dlzi_float_to_half((float)v);
        break;
    case DLZ_DTYPE_BFLOAT16:
        ((uint16_t *)a->data)[i] = dlzi_float_to_bf16((float)v);
        break;
    default:
        break;
    }
}

/* DistributionStats: std = max(std, eps) in place (Transforms.max(std, eps,
   false); libnd4j's max(x, eps) is x > eps ? x : eps, so NaN becomes eps). */
static void clamp_std(dlz_array *std) {
    double eps = dlzi_norm_eps(std->dtype);
    for (int64_t i = 0; i < std->length; i++) {
        double s = dlzi_array_get_f64(std, i);
        if (!(s > eps)) {
            set_elem(std, i, eps);
        }
    }
}

/* MinMaxStats(lower, upper): pad_j = max(upper - lower, eps) - (upper -
   lower), in the type of upper (upper.sub(lower), Transforms.max, subi);
   libnd4j's max(x, eps) is x > eps ? x : eps. */
double dlzi_norm_minmax_pad(const dlz_array *lower, const dlz_array *upper, int64_t j) {
    dlz_dtype t = upper->dtype;
    double eps = dlzi_norm_eps(t);
    double lo = dlzi_array_get_f64(lower, j), up = dlzi_array_get_f64(upper, j);
    double diff = dlzi_norm_op(t, up, lo, -1);
    return dlzi_norm_op(t, diff > eps ? diff : eps, diff, -1);
}

/* 1 when MinMaxStats adds the pads to upper: their sum is > 0, i.e. some
   pad is positive and none is NaN (pads are never negative). */
int dlzi_norm_minmax_padded(const dlz_array *lower, const dlz_array *upper) {
    int any_nan = 0, any_pos = 0;
    for (int64_t j = 0; j < upper->length; j++) {
        double pad = dlzi_norm_minmax_pad(lower, upper, j);
        any_nan |= pad != pad;
        any_pos |= pad > 0;
    }
    return any_pos && !any_nan;
}

/* MinMaxStats' constructor on a dense upper: upper += pad when padded. */
static void pad_upper(const dlz_array *lower, dlz_array *upper) {
    if (!dlzi_norm_minmax_padded(lower, upper)) {
        return;
    }
    for (int64_t j = 0; j < upper->length; j++) {
        double pad = dlzi_norm_minmax_pad(lower, upper, j);
        set_elem(upper, j, dlzi_norm_op(upper->dtype, dlzi_array_get_f64(upper, j), pad, +1));
    }
}

/* ------------------------------------------------------------------------ */
/* Lifetime and accessors                                                    */

static void free_pairs(dlz_array **a, dlz_array **b, int n) {
    for (int i = 0; i < n; i++) {
        if (a != NULL) {
            dlz_array_free(a[i]);
        }
        if (b != NULL) {
            dlz_array_free(b[i]);
        }
    }
    dlzi_free(a);
    dlzi_free(b);
}

void dlz_normalizer_free(dlz_normalizer *n) {
    if (n == NULL) {
        return;
    }
    free_pairs(n->ia, n->ib, n->nin);
    free_pairs(n->oa, n->ob, n->nout);
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < n->side[s].nstats; i++) {
            dlz_array_free(n->side[s].stats[i].a);
            dlz_array_free(n->side[s].stats[i].b);
        }
        dlzi_free(n->side[s].stats);
        dlzi_free(n->side[s].strat);
    }
    dlzi_free(n->cls);
    dlzi_free(n->body);
    dlzi_free(n);
}

const char *dlz_normalizer_type_name(dlz_norm_type type) {
    return (unsigned)type < DLZI_NORM_TYPES ? dlzi_norm_type_names[type] : NULL;
}

dlz_norm_type dlz_normalizer_type(const dlz_normalizer *n) {
    return n != NULL ? n->type : DLZ_NORM_STANDARDIZE;
}

const char *dlz_normalizer_java_class(const dlz_normalizer *n) {
    if (n == NULL) {
        return NULL;
    }
    return n->cls != NULL ? n->cls : java_classes[n->type];
}

static int has_fit_label(const dlz_normalizer *n) {
    switch (n->type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        return 1;
    default:
        return 0;
    }
}

int dlz_normalizer_fit_label(const dlz_normalizer *n) {
    return n != NULL && has_fit_label(n) && n->fit_label != 0;
}

/* Number of distinct indices of a hybrid statistics map. */
static int distinct_stats(const dlzi_norm_side *s) {
    int count = 0;
    for (size_t i = 0; i < s->nstats; i++) {
        count += !s->stats[i].superseded;
    }
    return count;
}

/* ------------------------------------------------------------------------ */
/* Repeated indices in MULTI_HYBRID maps                                     */

/* A stream may repeat an index; Java's HashMap keeps the entry at its first
   position with the last value.  Entries are kept as read (for a
   byte-identical re-encoding); `superseded` marks all but the last of each
   index, and a builder merges them before changing the map. */

/* The entries of one map: n items of `size` bytes, each with its int32
   index and its `superseded` byte at the given offsets. */
typedef struct entries {
    unsigned char *p;
    size_t n, size, index_off, sup_off;
} entries;

static entries stats_entries(dlzi_norm_side *s) {
    entries t = {(unsigned char *)s->stats, s->nstats, sizeof *s->stats,
                 offsetof(dlzi_norm_stats, index), offsetof(dlzi_norm_stats, superseded)};
    return t;
}

static entries strat_entries(dlzi_norm_side *s) {
    entries t = {(unsigned char *)s->strat, s->nstrat, sizeof *s->strat,
                 offsetof(dlzi_norm_strat, index), offsetof(dlzi_norm_strat, superseded)};
    return t;
}

static void *item(const entries *t, size_t i) {
    return t->p + i * t->size;
}

static int32_t index_of(const entries *t, size_t i) {
    int32_t x;
    memcpy(&x, t->p + i * t->size + t->index_off, sizeof x);
    return x;
}

static unsigned char *superseded(const entries *t, size_t i) {
    return t->p + i * t->size + t->sup_off;
}

typedef struct keypos {
    int32_t index;
    size_t pos;
} keypos;

static int keypos_cmp(const void *x, const void *y) {
    const keypos *a = x, *b = y;
    if (a->index != b->index) {
        return a->index < b->index ? -1 : 1;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The entries' indices and positions sorted by (index, position); NULL when
   out of memory. */
static keypos *sorted_keys(const entries *t) {
    keypos *kp = dlzi_calloc(t->n + 1, sizeof *kp);
    for (size_t i = 0; kp != NULL && i < t->n; i++) {
        kp[i].index = index_of(t, i);
        kp[i].pos = i;
    }
    if (kp != NULL && t->n > 1) {
        qsort(kp, t->n, sizeof *kp, keypos_cmp);
    }
    return kp;
}

/* Marks all but the last entry of each index; returns 1 if any was marked. */
static int mark(const entries *t, const keypos *kp) {
    int dups = 0;
    for (size_t i = 0; i + 1 < t->n; i++) {
        if (kp[i].index == kp[i + 1].index) {
            *superseded(t, kp[i].pos) = 1;
            dups = 1;
        }
    }
    return dups;
}

int dlzi_norm_mark_dups(dlzi_norm_side *s) {
    entries a = stats_entries(s), b = strat_entries(s);
    keypos *ka = sorted_keys(&a), *kb = sorted_keys(&b);
    if (ka != NULL && kb != NULL) {
        s->stats_dups = mark(&a, ka);
        s->strat_dups = mark(&b, kb);
    }
    dlzi_free(ka);
    dlzi_free(kb);
    return ka != NULL && kb != NULL ? DLZ_OK : DLZ_ENOMEM;
}

/* Merges repeated indices as Java does (first position, last value), with
   kp from sorted_keys(): drop releases what an older entry holds, take gives
   the first entry the last one's value; returns the new count. */
static size_t merge(entries *t, const keypos *kp, void (*drop)(void *older),
                    void (*take)(void *first, const void *last)) {
    for (size_t g = 0; g < t->n;) {
        size_t e = g + 1;
        while (e < t->n && kp[e].index == kp[g].index) {
            e++;
        }
        if (e - g > 1) {
            for (size_t k = g; drop != NULL && k + 1 < e; k++) {
                drop(item(t, kp[k].pos));
            }
            take(item(t, kp[g].pos), item(t, kp[e - 1].pos));
            for (size_t k = g + 1; k < e; k++) {
                *superseded(t, kp[k].pos) = 2; /* to be removed */
            }
            *superseded(t, kp[g].pos) = 0;
        }
        g = e;
    }
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (*superseded(t, i) != 2) {
            memmove(item(t, w++), item(t, i), t->size);
        }
    }
    return w;
}

static void stats_drop(void *older) {
    dlzi_norm_stats *st = older;
    dlz_array_free(st->a);
    dlz_array_free(st->b);
    st->a = st->b = NULL;
}

static void stats_take(void *first, const void *last) {
    dlzi_norm_stats *f = first;
    const dlzi_norm_stats *l = last;
    f->kind = l->kind;
    f->a = l->a;
    f->b = l->b;
}

static void strat_take(void *first, const void *last) {
    dlzi_norm_strat *f = first;
    const dlzi_norm_strat *l = last;
    f->kind = l->kind;
    f->lo = l->lo;
    f->hi = l->hi;
}

int dlz_normalizer_num_inputs(const dlz_normalizer *n) {
    if (n == NULL) {
        return 0;
    }
    return n->type == DLZ_NORM_MULTI_HYBRID ? distinct_stats(&n->side[0]) : n->nin;
}

int dlz_normalizer_num_outputs(const dlz_normalizer *n) {
    if (n == NULL) {
        return 0;
    }
    return n->type == DLZ_NORM_MULTI_HYBRID ? distinct_stats(&n->side[1]) : n->nout;
}

int dlz_normalizer_range(const dlz_normalizer *n, double *min, double *max) {
    if (n == NULL || (n->type != DLZ_NORM_MIN_MAX && n->type != DLZ_NORM_MULTI_MIN_MAX &&
                      n->type != DLZ_NORM_IMAGE_MIN_MAX)) {
        return DLZ_EMISUSE;
    }
    if (min != NULL) {
        *min = n->v[0];
    }
    if (max != NULL) {
        *max = n->v[1];
    }
    return DLZ_OK;
}

int dlz_normalizer_max_pixel_value(const dlz_normalizer *n, double *v) {
    if (n == NULL || n->type != DLZ_NORM_IMAGE_MIN_MAX) {
        return DLZ_EMISUSE;
    }
    if (v != NULL) {
        *v = n->v[2];
    }
    return DLZ_OK;
}

dlz_norm_strategy dlzi_norm_pair_kind(const dlz_normalizer *n) {
    return n->type == DLZ_NORM_STANDARDIZE || n->type == DLZ_NORM_MULTI_STANDARDIZE
               ? DLZ_NORM_STRATEGY_STANDARDIZE
               : DLZ_NORM_STRATEGY_MIN_MAX;
}

/* The last entry with that index, or NULL. */
static void *find(const entries *t, int32_t index) {
    for (size_t i = t->n; i > 0; i--) {
        if (index_of(t, i - 1) == index) {
            return item(t, i - 1);
        }
    }
    return NULL;
}

const dlzi_norm_stats *dlzi_norm_find_stats(const dlzi_norm_side *s, int32_t index) {
    entries t = stats_entries((dlzi_norm_side *)s);
    return find(&t, index);
}

static const dlzi_norm_strat *find_strat(const dlzi_norm_side *s, int32_t index) {
    entries t = strat_entries((dlzi_norm_side *)s);
    return find(&t, index);
}

int dlz_normalizer_stats(const dlz_normalizer *n, int labels, int index, dlz_norm_strategy *kind,
                         const dlz_array **a, const dlz_array **b) {
    if (n == NULL) {
        return DLZ_EMISUSE;
    }
    const dlz_array *x, *y;
    dlz_norm_strategy k;
    if (n->type == DLZ_NORM_MULTI_HYBRID) {
        const dlzi_norm_stats *st = dlzi_norm_find_stats(&n->side[labels != 0], index);
        if (st == NULL) {
            return DLZ_ENOTFOUND;
        }
        k = (dlz_norm_strategy)st->kind;
        x = st->a;
        y = st->b;
    } else if (n->type == DLZ_NORM_STANDARDIZE || n->type == DLZ_NORM_MIN_MAX ||
               n->type == DLZ_NORM_MULTI_STANDARDIZE || n->type == DLZ_NORM_MULTI_MIN_MAX) {
        int count = labels ? n->nout : n->nin;
        if (index < 0 || index >= count) {
            return DLZ_ENOTFOUND;
        }
        k = dlzi_norm_pair_kind(n);
        x = labels ? n->oa[index] : n->ia[index];
        y = labels ? n->ob[index] : n->ib[index];
    } else {
        return DLZ_EMISUSE;
    }
    if (kind != NULL) {
        *kind = k;
    }
    if (a != NULL) {
        *a = x;
    }
    if (b != NULL) {
        *b = y;
    }
    return DLZ_OK;
}

int dlz_normalizer_hybrid_stats_count(const dlz_normalizer *n, int labels) {
    return n != NULL && n->type == DLZ_NORM_MULTI_HYBRID ? (int)n->side[labels != 0].nstats : 0;
}

int dlz_normalizer_hybrid_stats_entry(const dlz_normalizer *n, int labels, int i, int *index,
                                      dlz_norm_strategy *kind, const dlz_array **a,
                                      const dlz_array **b) {
    if (n == NULL || n->type != DLZ_NORM_MULTI_HYBRID || i < 0 ||
        (size_t)i >= n->side[labels != 0].nstats) {
        return DLZ_EMISUSE;
    }
    const dlzi_norm_stats *st = &n->side[labels != 0].stats[i];
    if (index != NULL) {
        *index = st->index;
    }
    if (kind != NULL) {
        *kind = (dlz_norm_strategy)st->kind;
    }
    if (a != NULL) {
        *a = st->a;
    }
    if (b != NULL) {
        *b = st->b;
    }
    return DLZ_OK;
}

int dlz_normalizer_hybrid_strategy_count(const dlz_normalizer *n, int labels) {
    return n != NULL && n->type == DLZ_NORM_MULTI_HYBRID ? (int)n->side[labels != 0].nstrat : 0;
}

static void put_strategy(int32_t k, double lo, double hi, dlz_norm_strategy *kind,
                         double *min_range, double *max_range) {
    if (kind != NULL) {
        *kind = (dlz_norm_strategy)k;
    }
    if (min_range != NULL) {
        *min_range = k == DLZ_NORM_STRATEGY_MIN_MAX ? lo : 0.0;
    }
    if (max_range != NULL) {
        *max_range = k == DLZ_NORM_STRATEGY_MIN_MAX ? hi : 0.0;
    }
}

int dlz_normalizer_hybrid_strategy_entry(const dlz_normalizer *n, int labels, int i, int *index,
                                         dlz_norm_strategy *kind, double *min_range,
                                         double *max_range) {
    if (n == NULL || n->type != DLZ_NORM_MULTI_HYBRID || i < 0 ||
        (size_t)i >= n->side[labels != 0].nstrat) {
        return DLZ_EMISUSE;
    }
    const dlzi_norm_strat *st = &n->side[labels != 0].strat[i];
    if (index != NULL) {
        *index = st->index;
    }
    put_strategy(st->kind, st->lo, st->hi, kind, min_range, max_range);
    return DLZ_OK;
}

int dlz_normalizer_hybrid_global(const dlz_normalizer *n, int labels, dlz_norm_strategy *kind,
                                 double *min_range, double *max_range) {
    if (n == NULL || n->type != DLZ_NORM_MULTI_HYBRID) {
        return DLZ_EMISUSE;
    }
    const dlzi_norm_side *s = &n->side[labels != 0];
    put_strategy(s->global_kind, s->global_lo, s->global_hi, kind, min_range, max_range);
    return DLZ_OK;
}

int dlz_normalizer_hybrid_strategy_for(const dlz_normalizer *n, int labels, int index,
                                       dlz_norm_strategy *kind, double *min_range,
                                       double *max_range) {
    if (n == NULL || n->type != DLZ_NORM_MULTI_HYBRID) {
        return DLZ_EMISUSE;
    }
    const dlzi_norm_side *s = &n->side[labels != 0];
    const dlzi_norm_strat *st = find_strat(s, index);
    if (st != NULL) {
        put_strategy(st->kind, st->lo, st->hi, kind, min_range, max_range);
    } else {
        put_strategy(s->global_kind, s->global_lo, s->global_hi, kind, min_range, max_range);
    }
    return DLZ_OK;
}

const char *dlz_normalizer_custom_class(const dlz_normalizer *n) {
    return n != NULL && n->type == DLZ_NORM_CUSTOM ? n->cls : NULL;
}

const void *dlz_normalizer_custom_body(const dlz_normalizer *n, size_t *len) {
    if (n == NULL || n->type != DLZ_NORM_CUSTOM) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = n->body_len;
    }
    return n->body != NULL ? n->body : (const void *)"";
}

/* ------------------------------------------------------------------------ */
/* Construction                                                              */

/* DLZ_OK when a and b can be a pair of statistics, else DLZ_EMISUSE with the
   reason in err ("what" names the pair). */
static int check_pair(const dlz_array *a, const dlz_array *b, const char *what, dlzi_err *err) {
    const dlz_array *x[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        if (x[k] == NULL) {
            return dlzi_err_set(err, DLZ_EMISUSE, "%s: NULL array", what);
        }
        if (!dlzi_norm_is_floating(x[k]->dtype)) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "%s: %s statistics (FLOAT, DOUBLE, HALF or "
                                "BFLOAT16 needed)",
                                what,
                                dlz_dtype_name(x[k]->dtype) ? dlz_dtype_name(x[k]->dtype) : "?");
        }
        if (x[k]->length == 0 || x[k]->data == NULL) {
            return dlzi_err_set(err, DLZ_EMISUSE, "%s: an empty array", what);
        }
    }
    if (a->length != b->length) {
        return dlzi_err_set(err, DLZ_EMISUSE,
                            "%s: the arrays have %" PRId64 " and %" PRId64 " values", what,
                            a->length, b->length);
    }
    return DLZ_OK;
}

/* Copies a pair, adjusted as DL4J's constructors adjust it: std clamped
   (DistributionStats), max padded (MinMaxStats). */
static int copy_pair(const dlz_array *a, const dlz_array *b, int kind, dlz_array **pa,
                     dlz_array **pb) {
    int rc = dlzi_array_copy(a, pa, NULL);
    if (rc == DLZ_OK) {
        rc = dlzi_array_copy(b, pb, NULL);
        if (rc != DLZ_OK) {
            dlz_array_free(*pa);
            *pa = NULL;
        }
    }
    if (rc == DLZ_OK && kind == DLZ_NORM_STRATEGY_STANDARDIZE) {
        clamp_std(*pb);
    } else if (rc == DLZ_OK) {
        pad_upper(*pa, *pb);
    }
    return rc;
}

static int copy_pairs(int n, const dlz_array *const *a, const dlz_array *const *b, int kind,
                      dlz_array ***pa, dlz_array ***pb) {
    *pa = dlzi_calloc((size_t)n, sizeof **pa);
    *pb = dlzi_calloc((size_t)n, sizeof **pb);
    if (*pa == NULL || *pb == NULL) {
        return DLZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        int rc = copy_pair(a[i], b[i], kind, &(*pa)[i], &(*pb)[i]);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

static int check_pairs(int n, const dlz_array *const *a, const dlz_array *const *b,
                       const char *side, dlzi_err *err) {
    if (n > 0 && (a == NULL || b == NULL)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL %s statistics", side);
    }
    for (int i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s %d", side, i);
        int rc = check_pair(a[i], b[i], what, err);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

/* Builds a normalizer with statistics pairs; multi selects the MULTI_ form. */
static int new_pairs(dlz_normalizer **out, dlz_norm_type type, double tmin, double tmax, int nin,
                     const dlz_array *const *ia, const dlz_array *const *ib, int nout,
                     const dlz_array *const *oa, const dlz_array *const *ob, dlzi_err *err) {
    if (out == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL out");
    }
    *out = NULL;
    int labels = oa != NULL || ob != NULL;
    if (nin < 1 || nin > MAX_ENTRIES || nout < 0 || nout > MAX_ENTRIES) {
        return dlzi_err_set(err, DLZ_EMISUSE,
                            "%d inputs and %d outputs (1..65535 inputs, "
                            "0..65535 outputs)",
                            nin, nout);
    }
    if ((labels && (oa == NULL || ob == NULL)) || (!labels && nout != 0)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "label statistics need both arrays of each pair");
    }
    int rc = check_pairs(nin, ia, ib, "input", err);
    if (rc == DLZ_OK) {
        rc = check_pairs(nout, oa, ob, "output", err);
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    dlz_normalizer *n = dlzi_calloc(1, sizeof *n);
    if (n == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    n->type = type;
    n->fit_label = (unsigned char)labels;
    n->num_outputs = labels ? nout : -1;
    if (type == DLZ_NORM_MIN_MAX || type == DLZ_NORM_MULTI_MIN_MAX) {
        n->v[0] = tmin;
        n->v[1] = dlzi_java_max(tmax, tmin + DLZI_EPS_THRESHOLD);
    }
    int kind = type == DLZ_NORM_STANDARDIZE || type == DLZ_NORM_MULTI_STANDARDIZE
                   ? DLZ_NORM_STRATEGY_STANDARDIZE
                   : DLZ_NORM_STRATEGY_MIN_MAX;
    n->nin = nin;
    rc = copy_pairs(nin, ia, ib, kind, &n->ia, &n->ib);
    if (rc == DLZ_OK) {
        n->nout = nout;
        rc = copy_pairs(nout, oa, ob, kind, &n->oa, &n->ob);
    }
    if (rc != DLZ_OK) {
        dlz_normalizer_free(n);
        return dlzi_err_set(err, rc, "out of memory");
    }
    *out = n;
    return DLZ_OK;
}

/* The public constructors: the failure's message goes to the caller's buffer. */
#define CONSTRUCT(call)                                                                            \
    do {                                                                                           \
        dlzi_err err_;                                                                             \
        dlzi_err_clear(&err_);                                                                     \
        int rc_ = (call);                                                                          \
        return rc_ == DLZ_OK ? rc_ : dlzi_err_to_buf(&err_, rc_, errbuf, errbuf_size);             \
    } while (0)

int dlz_normalizer_new_standardize(const dlz_array *mean, const dlz_array *std,
                                   const dlz_array *label_mean, const dlz_array *label_std,
                                   dlz_normalizer **out, char *errbuf, size_t errbuf_size) {
    const dlz_array *ia[1] = {mean}, *ib[1] = {std}, *oa[1] = {label_mean}, *ob[1] = {label_std};
    int labels = label_mean != NULL || label_std != NULL;
    CONSTRUCT(new_pairs(out, DLZ_NORM_STANDARDIZE, 0, 0, 1, ia, ib, labels,
                        labels && label_mean ? oa : NULL, labels && label_std ? ob : NULL, &err_));
}

int dlz_normalizer_new_min_max(double target_min, double target_max, const dlz_array *min,
                               const dlz_array *max, const dlz_array *label_min,
                               const dlz_array *label_max, dlz_normalizer **out, char *errbuf,
                               size_t errbuf_size) {
    const dlz_array *ia[1] = {min}, *ib[1] = {max}, *oa[1] = {label_min}, *ob[1] = {label_max};
    int labels = label_min != NULL || label_max != NULL;
    CONSTRUCT(new_pairs(out, DLZ_NORM_MIN_MAX, target_min, target_max, 1, ia, ib, labels,
                        labels && label_min ? oa : NULL, labels && label_max ? ob : NULL, &err_));
}

int dlz_normalizer_new_multi_standardize(int num_inputs, const dlz_array *const *means,
                                         const dlz_array *const *stds, int num_outputs,
                                         const dlz_array *const *label_means,
                                         const dlz_array *const *label_stds, dlz_normalizer **out,
                                         char *errbuf, size_t errbuf_size) {
    CONSTRUCT(new_pairs(out, DLZ_NORM_MULTI_STANDARDIZE, 0, 0, num_inputs, means, stds, num_outputs,
                        label_means, label_stds, &err_));
}

int dlz_normalizer_new_multi_min_max(double target_min, double target_max, int num_inputs,
                                     const dlz_array *const *mins, const dlz_array *const *maxs,
                                     int num_outputs, const dlz_array *const *label_mins,
                                     const dlz_array *const *label_maxs, dlz_normalizer **out,
                                     char *errbuf, size_t errbuf_size) {
    CONSTRUCT(new_pairs(out, DLZ_NORM_MULTI_MIN_MAX, target_min, target_max, num_inputs, mins, maxs,
                        num_outputs, label_mins, label_maxs, &err_));
}

static int new_image(double min_range, double max_range, double max_pixel_value,
                     dlz_normalizer **out, dlzi_err *err) {
    if (out == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL out");
    }
    *out = NULL;
    dlz_normalizer *n = dlzi_calloc(1, sizeof *n);
    if (n == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    n->type = DLZ_NORM_IMAGE_MIN_MAX;
    n->v[0] = min_range;
    n->v[1] = max_range;
    n->v[2] = max_pixel_value;
    *out = n;
    return DLZ_OK;
}

int dlz_normalizer_new_image_min_max(double min_range, double max_range, double max_pixel_value,
                                     dlz_normalizer **out, char *errbuf, size_t errbuf_size) {
    CONSTRUCT(new_image(min_range, max_range, max_pixel_value, out, &err_));
}

static int new_custom(const char *strategy_class, const void *body, size_t len,
                      dlz_normalizer **out, dlzi_err *err) {
    if (out == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL out");
    }
    *out = NULL;
    const char *why;
    if (strategy_class == NULL || (body == NULL && len > 0)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL class name or body");
    }
    size_t cl = strlen(strategy_class);
    if (cl == 0 || cl > 65535) {
        return dlzi_err_set(err, DLZ_EMISUSE, "the class name has %zu bytes (1..65535)", cl);
    }
    if (dlzi_java_mutf_check_plain((const unsigned char *)strategy_class, cl, &why) != DLZ_OK) {
        return dlzi_err_set(err, DLZ_EMISUSE, "class name: %s", why);
    }
    dlz_normalizer *n = dlzi_calloc(1, sizeof *n);
    if (n == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    n->type = DLZ_NORM_CUSTOM;
    n->cls = dlzi_strdup(strategy_class);
    n->body = dlzi_malloc(len);
    if (n->cls == NULL || n->body == NULL) {
        dlz_normalizer_free(n);
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    if (len > 0) {
        memcpy(n->body, body, len);
    }
    n->body_len = len;
    *out = n;
    return DLZ_OK;
}

int dlz_normalizer_new_custom(const char *strategy_class, const void *body, size_t len,
                              dlz_normalizer **out, char *errbuf, size_t errbuf_size) {
    CONSTRUCT(new_custom(strategy_class, body, len, out, &err_));
}

dlz_normalizer *dlz_normalizer_new_hybrid(void) {
    dlz_normalizer *n = dlzi_calloc(1, sizeof *n);
    if (n != NULL) {
        n->type = DLZ_NORM_MULTI_HYBRID;
    }
    return n;
}

/* DLZ_OK for a MULTI_HYBRID normalizer and a valid kind, else the reason. */
static int check_hybrid(const dlz_normalizer *n, dlz_norm_strategy kind, int allow_none,
                        dlzi_err *err) {
    if (n == NULL || n->type != DLZ_NORM_MULTI_HYBRID) {
        return dlzi_err_set(err, DLZ_EMISUSE, "%s",
                            n == NULL ? "NULL normalizer" : "not a MULTI_HYBRID normalizer");
    }
    if (!((allow_none && kind == DLZ_NORM_STRATEGY_NONE) || kind == DLZ_NORM_STRATEGY_STANDARDIZE ||
          kind == DLZ_NORM_STRATEGY_MIN_MAX)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "strategy %d is not %s", (int)kind,
                            allow_none ? "NONE, STANDARDIZE or MIN_MAX" : "STANDARDIZE or MIN_MAX");
    }
    return DLZ_OK;
}

static int hybrid_set_stats(dlz_normalizer *n, int labels, int index, dlz_norm_strategy kind,
                            const dlz_array *a, const dlz_array *b, dlzi_err *err) {
    int rc = check_hybrid(n, kind, 0, err);
    if (rc == DLZ_OK) {
        rc = check_pair(a, b, "statistics", err);
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_norm_side *s = &n->side[labels != 0];
    int exists = dlzi_norm_find_stats(s, index) != NULL;
    if (!exists && s->nstats >= MAX_ENTRIES) {
        return dlzi_err_set(err, DLZ_EMISUSE, "more than 65535 statistics entries");
    }
    /* Everything that can fail comes first: the normalizer stays unchanged. */
    dlz_array *ca, *cb;
    rc = copy_pair(a, b, kind, &ca, &cb);
    if (rc != DLZ_OK) {
        return dlzi_err_set(err, rc, "out of memory");
    }
    entries t = stats_entries(s);
    keypos *kp = s->stats_dups ? sorted_keys(&t) : NULL;
    if (s->stats_dups && kp == NULL) {
        rc = DLZ_ENOMEM;
    }
    if (rc == DLZ_OK && !exists) {
        dlzi_norm_stats *ns = dlzi_realloc(s->stats, (s->nstats + 1) * sizeof *ns);
        if (ns == NULL) {
            rc = DLZ_ENOMEM;
        } else {
            s->stats = ns;
        }
    }
    if (rc != DLZ_OK) {
        dlzi_free(kp);
        dlz_array_free(ca);
        dlz_array_free(cb);
        return dlzi_err_set(err, rc, "out of memory");
    }
    if (kp != NULL) {
        t = stats_entries(s);
        s->nstats = merge(&t, kp, stats_drop, stats_take);
        s->stats_dups = 0;
        dlzi_free(kp);
    }
    dlzi_norm_stats *st = (dlzi_norm_stats *)dlzi_norm_find_stats(s, index);
    if (st == NULL) {
        st = &s->stats[s->nstats++];
        memset(st, 0, sizeof *st);
        st->index = index;
    }
    dlz_array_free(st->a);
    dlz_array_free(st->b);
    st->kind = kind;
    st->a = ca;
    st->b = cb;
    s->stats_java_order = 1;
    return DLZ_OK;
}

int dlz_normalizer_hybrid_set_stats(dlz_normalizer *n, int labels, int index,
                                    dlz_norm_strategy kind, const dlz_array *a, const dlz_array *b,
                                    char *errbuf, size_t errbuf_size) {
    CONSTRUCT(hybrid_set_stats(n, labels, index, kind, a, b, &err_));
}

int dlz_normalizer_hybrid_set_global(dlz_normalizer *n, int labels, dlz_norm_strategy kind,
                                     double min_range, double max_range, char *errbuf,
                                     size_t errbuf_size) {
    dlzi_err err;
    int rc = check_hybrid(n, kind, 1, &err);
    if (rc != DLZ_OK) {
        return dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
    }
    dlzi_norm_side *s = &n->side[labels != 0];
    s->global_kind = kind;
    s->global_lo = kind == DLZ_NORM_STRATEGY_MIN_MAX ? min_range : 0.0;
    s->global_hi = kind == DLZ_NORM_STRATEGY_MIN_MAX
                       ? dlzi_java_max(max_range, min_range + DLZI_EPS_THRESHOLD)
                       : 0.0;
    return DLZ_OK;
}

static int hybrid_set_strategy(dlz_normalizer *n, int labels, int index, dlz_norm_strategy kind,
                               double min_range, double max_range, dlzi_err *err) {
    int rc = check_hybrid(n, kind, 1, err);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_norm_side *s = &n->side[labels != 0];
    int exists = find_strat(s, index) != NULL;
    if (!exists && s->nstrat >= MAX_ENTRIES) {
        return dlzi_err_set(err, DLZ_EMISUSE, "more than 65535 strategy entries");
    }
    entries t = strat_entries(s);
    keypos *kp = NULL;
    if (s->strat_dups && (kp = sorted_keys(&t)) == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    if (!exists) {
        dlzi_norm_strat *ns = dlzi_realloc(s->strat, (s->nstrat + 1) * sizeof *ns);
        if (ns == NULL) {
            dlzi_free(kp);
            return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
        }
        s->strat = ns;
    }
    if (kp != NULL) {
        t = strat_entries(s);
        s->nstrat = merge(&t, kp, NULL, strat_take);
        s->strat_dups = 0;
        dlzi_free(kp);
    }
    dlzi_norm_strat *st = (dlzi_norm_strat *)find_strat(s, index);
    if (st == NULL) {
        st = &s->strat[s->nstrat++];
        memset(st, 0, sizeof *st);
        st->index = index;
    }
    st->kind = kind;
    st->lo = kind == DLZ_NORM_STRATEGY_MIN_MAX ? min_range : 0.0;
    st->hi = kind == DLZ_NORM_STRATEGY_MIN_MAX
                 ? dlzi_java_max(max_range, min_range + DLZI_EPS_THRESHOLD)
                 : 0.0;
    s->strat_java_order = 1;
    return DLZ_OK;
}

int dlz_normalizer_hybrid_set_strategy(dlz_normalizer *n, int labels, int index,
                                       dlz_norm_strategy kind, double min_range, double max_range,
                                       char *errbuf, size_t errbuf_size) {
    CONSTRUCT(hybrid_set_strategy(n, labels, index, kind, min_range, max_range, &err_));
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

static void json_key(dlzi_json *j, const char *k) {
    dlzi_json_key(j, k, strlen(k));
}

static void json_str(dlzi_json *j, const char *s) {
    dlzi_json_string(j, s, strlen(s));
}

/* {"dtype", "shape", "values"}, or {"dtype", "shape", "length", "values"} with
   the first j->max_values values. */
static void js_array(dlzi_json *j, const dlz_array *a) {
    if (a == NULL) {
        dlzi_json_literal(j, "null");
        return;
    }
    dlzi_json_open(j, '{', DLZI_JSON_BLOCK);
    json_key(j, "dtype");
    json_str(j, dlz_dtype_name(a->dtype));
    json_key(j, "shape");
    dlzi_json_open(j, '[', DLZI_JSON_LINE);
    for (int k = 0; k < a->rank; k++) {
        dlzi_json_int(j, a->shape[k]);
    }
    dlzi_json_close(j);
    int64_t shown = a->length;
    if (j->max_values > 0) {
        json_key(j, "length");
        dlzi_json_int(j, a->length);
        shown = a->length < j->max_values ? a->length : j->max_values;
    }
    json_key(j, "values");
    dlzi_json_open(j, '[', DLZI_JSON_LINE);
    const unsigned char *d = a->data;
    size_t esz = dlz_dtype_size(a->dtype);
    for (int64_t i = 0; i < shown && !j->oom; i++) {
        const unsigned char *e = d + (size_t)elem_pos(a, i) * esz;
        char buf[64];
        switch (a->dtype) {
        case DLZ_DTYPE_DOUBLE:
        case DLZ_DTYPE_FLOAT:
        case DLZ_DTYPE_HALF:
        case DLZ_DTYPE_BFLOAT16:
            dlzi_format_real(buf, sizeof buf, dlzi_array_get_f64(a, i),
                             a->dtype != DLZ_DTYPE_DOUBLE);
            break;
        case DLZ_DTYPE_UINT64: {
            uint64_t u;
            memcpy(&u, e, sizeof u);
            snprintf(buf, sizeof buf, "%" PRIu64, u);
            break;
        }
        case DLZ_DTYPE_LONG: {
            int64_t v;
            memcpy(&v, e, sizeof v);
            snprintf(buf, sizeof buf, "%" PRId64, v);
            break;
        }
        case DLZ_DTYPE_BOOL:
            snprintf(buf, sizeof buf, "%s", *e ? "true" : "false");
            break;
        default: /* the other integer types are exact as doubles */
            snprintf(buf, sizeof buf, "%.0f", dlzi_array_get_f64(a, i));
            break;
        }
        dlzi_json_literal(j, buf);
    }
    dlzi_json_close(j);
    dlzi_json_close(j);
}

static void js_array_list(dlzi_json *j, dlz_array *const *a, int n, int present) {
    if (!present) {
        dlzi_json_literal(j, "null");
        return;
    }
    dlzi_json_open(j, '[', DLZI_JSON_BLOCK);
    for (int i = 0; i < n; i++) {
        js_array(j, a[i]);
    }
    dlzi_json_close(j);
}

static void js_strategy(dlzi_json *j, int32_t kind, double lo, double hi) {
    if (kind == DLZ_NORM_STRATEGY_NONE) {
        dlzi_json_literal(j, "null");
        return;
    }
    dlzi_json_open(j, '{', DLZI_JSON_BLOCK);
    json_key(j, "kind");
    json_str(j, dlzi_norm_strategy_names[kind]);
    if (kind == DLZ_NORM_STRATEGY_MIN_MAX) {
        json_key(j, "minRange");
        dlzi_json_real(j, lo, 0);
        json_key(j, "maxRange");
        dlzi_json_real(j, hi, 0);
    }
    dlzi_json_close(j);
}

/* A hybrid map as an object keyed by index; a repeated index shows only its
   last entry (the one that counts). */
static void js_hybrid_map(dlzi_json *j, const dlzi_norm_side *s, int stats) {
    size_t count = stats ? s->nstats : s->nstrat;
    dlzi_json_open(j, '{', DLZI_JSON_BLOCK);
    for (size_t i = 0; i < count; i++) {
        int32_t idx = stats ? s->stats[i].index : s->strat[i].index;
        if (stats ? s->stats[i].superseded : s->strat[i].superseded) {
            continue;
        }
        char key[16];
        snprintf(key, sizeof key, "%" PRId32, idx);
        json_key(j, key);
        if (!stats) {
            js_strategy(j, s->strat[i].kind, s->strat[i].lo, s->strat[i].hi);
            continue;
        }
        const dlzi_norm_stats *st = &s->stats[i];
        int std = st->kind == DLZ_NORM_STRATEGY_STANDARDIZE;
        dlzi_json_open(j, '{', DLZI_JSON_BLOCK);
        json_key(j, "kind");
        json_str(j, dlzi_norm_strategy_names[st->kind]);
        json_key(j, std ? "mean" : "lower");
        js_array(j, st->a);
        json_key(j, std ? "std" : "upper");
        js_array(j, st->b);
        dlzi_json_close(j);
    }
    dlzi_json_close(j);
}

static void js_normalizer(dlzi_json *j, const dlz_normalizer *n) {
    int fit = n->fit_label != 0;
    int std = n->type == DLZ_NORM_STANDARDIZE || n->type == DLZ_NORM_MULTI_STANDARDIZE;
    dlzi_json_open(j, '{', DLZI_JSON_BLOCK);
    json_key(j, "type");
    json_str(j, dlzi_norm_type_names[n->type]);
    json_key(j, "javaClass");
    json_str(j, dlz_normalizer_java_class(n));
    switch (n->type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
        json_key(j, "fitLabel");
        dlzi_json_literal(j, fit ? "true" : "false");
        if (!std) {
            json_key(j, "targetMin");
            dlzi_json_real(j, n->v[0], 0);
            json_key(j, "targetMax");
            dlzi_json_real(j, n->v[1], 0);
        }
        json_key(j, std ? "mean" : "min");
        js_array(j, n->ia[0]);
        json_key(j, std ? "std" : "max");
        js_array(j, n->ib[0]);
        json_key(j, std ? "labelMean" : "labelMin");
        js_array(j, n->nout ? n->oa[0] : NULL);
        json_key(j, std ? "labelStd" : "labelMax");
        js_array(j, n->nout ? n->ob[0] : NULL);
        break;
    case DLZ_NORM_IMAGE_MIN_MAX:
        json_key(j, "minRange");
        dlzi_json_real(j, n->v[0], 0);
        json_key(j, "maxRange");
        dlzi_json_real(j, n->v[1], 0);
        json_key(j, "maxPixelVal");
        dlzi_json_real(j, n->v[2], 0);
        break;
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        json_key(j, "fitLabel");
        dlzi_json_literal(j, fit ? "true" : "false");
        json_key(j, "numInputs");
        dlzi_json_int(j, n->nin);
        if (!std) {
            json_key(j, "targetMin");
            dlzi_json_real(j, n->v[0], 0);
            json_key(j, "targetMax");
            dlzi_json_real(j, n->v[1], 0);
        }
        json_key(j, std ? "featureMean" : "featureMin");
        js_array_list(j, n->ia, n->nin, 1);
        json_key(j, std ? "featureStd" : "featureMax");
        js_array_list(j, n->ib, n->nin, 1);
        json_key(j, "numOutputs");
        if (fit) {
            dlzi_json_int(j, n->nout);
        } else {
            dlzi_json_literal(j, "null");
        }
        json_key(j, std ? "labelMean" : "labelMin");
        js_array_list(j, n->oa, n->nout, fit);
        json_key(j, std ? "labelStd" : "labelMax");
        js_array_list(j, n->ob, n->nout, fit);
        break;
    case DLZ_NORM_MULTI_HYBRID:
        json_key(j, "inputStats");
        js_hybrid_map(j, &n->side[0], 1);
        json_key(j, "outputStats");
        js_hybrid_map(j, &n->side[1], 1);
        json_key(j, "globalInputStrategy");
        js_strategy(j, n->side[0].global_kind, n->side[0].global_lo, n->side[0].global_hi);
        json_key(j, "globalOutputStrategy");
        js_strategy(j, n->side[1].global_kind, n->side[1].global_lo, n->side[1].global_hi);
        json_key(j, "perInputStrategies");
        js_hybrid_map(j, &n->side[0], 0);
        json_key(j, "perOutputStrategies");
        js_hybrid_map(j, &n->side[1], 0);
        break;
    case DLZ_NORM_CUSTOM:
        json_key(j, "bodyLength");
        dlzi_json_int(j, (int64_t)n->body_len);
        break;
    default:
        break;
    }
    dlzi_json_close(j);
}

int dlz_normalizer_to_json(const dlz_normalizer *n, unsigned flags, char **json, size_t *len) {
    if (json != NULL) {
        *json = NULL;
    }
    if (len != NULL) {
        *len = 0;
    }
    if (n == NULL || json == NULL ||
        (flags & ~(unsigned)(DLZ_JSON_PRETTY | DLZ_JSON_SUMMARY)) != 0) {
        return DLZ_EMISUSE;
    }
    dlzi_json j;
    dlzi_json_init(&j, (flags & DLZ_JSON_PRETTY) != 0);
    j.max_values = (flags & DLZ_JSON_SUMMARY) != 0 ? DLZ_JSON_SUMMARY_VALUES : 0;
    j.short_escapes = 0; /* a class name's tab is \u0009, as it always was */
    js_normalizer(&j, n);
    return dlzi_json_finish(&j, json, len);
}
