/* normalizer.c - normalizer.bin (FORMAT.md section C): decoding, encoding,
 * construction, JSON rendering and DL4J's transform / revert arithmetic.
 *
 * The codec follows NormalizerSerializer and its strategies (nd4j-api
 * org.nd4j.linalg.dataset.api.preprocessor.serializer): a header (UTF
 * "NORMALIZER", i32 version 1, UTF type name, UTF strategy class for CUSTOM)
 * and a body per type made of booleans, ints, doubles and ND4J array
 * records.  The arithmetic follows StandardizeStrategy, MinMaxStrategy,
 * ImagePreProcessingScaler, DistributionStats and MinMaxStats of DL4J
 * 1.0.0-beta7 and 1.0.0-M2.1 (identical there), with libnd4j's element-wise
 * operations: every step is one IEEE operation rounded to the array's type. */
/* See dlz-format(5), section NORMALIZER STREAMS. */
#include "internal.h"

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Nd4j.EPS_THRESHOLD */
#define EPS_THRESHOLD 1e-5

/* Each array of a standalone stream may take at most this many bytes. */
#define STANDALONE_ARRAY_LIMIT (UINT64_C(1) << 30)

/* No array record is shorter than this (two buffer headers), so a count of
   arrays can be checked against the bytes left before anything is allocated. */
#define MIN_RECORD 16

/* Entries a constructor or builder accepts per list or map. */
#define MAX_ENTRIES 65535

#define NUM_TYPES 9

static const char *const type_names[NUM_TYPES] = {
    "STANDARDIZE",   "MIN_MAX",      "IMAGE_MIN_MAX", "IMAGE_VGG16",    "MULTI_STANDARDIZE",
    "MULTI_MIN_MAX", "MULTI_HYBRID", "CUSTOM",        "JAVA_SERIALIZED"};

#define PKG "org.nd4j.linalg.dataset.api.preprocessor."

static const char *const java_classes[NUM_TYPES] = {PKG "NormalizerStandardize",
                                                    PKG "NormalizerMinMaxScaler",
                                                    PKG "ImagePreProcessingScaler",
                                                    PKG "VGG16ImagePreProcessor",
                                                    PKG "MultiNormalizerStandardize",
                                                    PKG "MultiNormalizerMinMaxScaler",
                                                    PKG "MultiNormalizerHybrid",
                                                    NULL,
                                                    NULL};

static const char *const strategy_names[3] = {"NULL", "STANDARDIZE", "MIN_MAX"};

/* MULTI_HYBRID: one entry of a statistics map and of a strategy map. */
typedef struct hyb_stats {
    int32_t index;
    int32_t kind; /* DLZ_NORM_STRATEGY_STANDARDIZE or _MIN_MAX */
    dlz_array *a, *b;
    unsigned char superseded; /* a later entry has the same index */
} hyb_stats;

typedef struct hyb_strat {
    int32_t index;
    int32_t kind;
    double lo, hi; /* MIN_MAX only */
    unsigned char superseded;
} hyb_strat;

/* One side (inputs or outputs) of a MULTI_HYBRID normalizer. */
typedef struct hyb_side {
    hyb_stats *stats;
    size_t nstats;
    int32_t global_kind;
    double global_lo, global_hi;
    hyb_strat *strat;
    size_t nstrat;
    /* Some index appears more than once (only in a decoded stream). */
    int stats_dups, strat_dups;
    /* A builder changed the map: encode it in Java's HashMap order. */
    int stats_java_order, strat_java_order;
} hyb_side;

struct dlz_normalizer {
    dlz_norm_type type;
    unsigned char fit_label; /* the stored byte; nonzero is true */
    double v[3];             /* targetMin, targetMax / minRange, maxRange, maxPixelVal */
    int32_t num_outputs;     /* MULTI_*: the stored numOutputs field */
    int nin, nout;           /* statistics pairs present */
    dlz_array **ia, **ib;    /* inputs: mean/std or min/max */
    dlz_array **oa, **ob;    /* outputs */
    hyb_side side[2];        /* MULTI_HYBRID inputs and outputs */
    char *cls;               /* CUSTOM strategy class, JAVA_SERIALIZED class */
    unsigned char *body;     /* CUSTOM body */
    size_t body_len;
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

/* Records "<what>: byte <at>: <message>" and returns code. */
static int bad(dlzi_err *err, int code, const char *what, int64_t at, const char *fmt, ...)
    DLZI_PRINTF(5, 6);
static int bad(dlzi_err *err, int code, const char *what, int64_t at, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlzi_err_set(err, code, "%s: byte %" PRId64 ": %s", what, at, msg);
}

static int is_floating(dlz_dtype t) {
    return t == DLZ_DTYPE_FLOAT || t == DLZ_DTYPE_DOUBLE || t == DLZ_DTYPE_HALF ||
           t == DLZ_DTYPE_BFLOAT16;
}

/* Java's Math.max(double, double). */
static double java_max(double a, double b) {
    if (a != a) {
        return a;
    }
    if (a == 0.0 && b == 0.0 && signbit(a)) {
        return b;
    }
    return a >= b ? a : b;
}

/* A double rounded to the nearest float (ties to even), overflow included. */
static float to_f32(double x) {
    /* FLT_MAX plus half of its unit in the last place: from there on the
       nearest float is infinity (the tie goes to the even infinity). */
    const double lim = (double)FLT_MAX + 0x1p103;
    if (x != x || fabs(x) <= (double)FLT_MAX) {
        return (float)x;
    }
    if (fabs(x) < lim) {
        return x < 0 ? -FLT_MAX : FLT_MAX;
    }
    return x < 0 ? -INFINITY : INFINITY;
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

/* 1e-5 rounded to a floating type (as Nd4j.scalar(type, 1e-5)), as a double. */
static double eps_of(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return EPS_THRESHOLD;
    case DLZ_DTYPE_HALF:
        return dlzi_half_to_float(dlzi_float_to_half((float)EPS_THRESHOLD));
    case DLZ_DTYPE_BFLOAT16:
        return dlzi_bf16_to_float(dlzi_float_to_bf16((float)EPS_THRESHOLD));
    default:
        return (float)EPS_THRESHOLD;
    }
}

/* a + s*b in the floating type t (s = +1 or -1): one operation rounded to t.
   HALF and BFLOAT16 are computed in float and rounded once more, which gives
   the correctly rounded result (float has more than twice their precision
   plus two bits), as libnd4j computes them. */
static double op_t(dlz_dtype t, double a, double b, int s) {
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
    double eps = eps_of(std->dtype);
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
static double minmax_pad(const dlz_array *lower, const dlz_array *upper, int64_t j) {
    dlz_dtype t = upper->dtype;
    double eps = eps_of(t);
    double lo = dlzi_array_get_f64(lower, j), up = dlzi_array_get_f64(upper, j);
    double diff = op_t(t, up, lo, -1);
    return op_t(t, diff > eps ? diff : eps, diff, -1);
}

/* 1 when MinMaxStats adds the pads to upper: their sum is > 0, i.e. some
   pad is positive and none is NaN (pads are never negative). */
static int minmax_padded(const dlz_array *lower, const dlz_array *upper) {
    int any_nan = 0, any_pos = 0;
    for (int64_t j = 0; j < upper->length; j++) {
        double pad = minmax_pad(lower, upper, j);
        any_nan |= pad != pad;
        any_pos |= pad > 0;
    }
    return any_pos && !any_nan;
}

/* MinMaxStats' constructor on a dense upper: upper += pad when padded. */
static void pad_upper(const dlz_array *lower, dlz_array *upper) {
    if (!minmax_padded(lower, upper)) {
        return;
    }
    for (int64_t j = 0; j < upper->length; j++) {
        double pad = minmax_pad(lower, upper, j);
        set_elem(upper, j, op_t(upper->dtype, dlzi_array_get_f64(upper, j), pad, +1));
    }
}

/* Checks a modified-UTF-8 name (writeUTF) and accepts only the subset that
   is also plain UTF-8: no NUL (C0 80), no surrogates, no overlong forms.
   Returns DLZ_OK, DLZ_EFORMAT (malformed, as Java's readUTF would throw) or
   DLZ_EUNSUPPORTED. */
static int check_name(const unsigned char *s, size_t n, const char **why) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        uint32_t cp;
        size_t k;
        if (c < 0x80) {
            cp = c;
            k = 1;
        } else if ((c & 0xe0) == 0xc0) {
            cp = c & 0x1f;
            k = 2;
        } else if ((c & 0xf0) == 0xe0) {
            cp = c & 0x0f;
            k = 3;
        } else {
            *why = "a malformed modified UTF-8 string";
            return DLZ_EFORMAT;
        }
        if (n - i < k) {
            *why = "a truncated modified UTF-8 sequence";
            return DLZ_EFORMAT;
        }
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) {
                *why = "a malformed modified UTF-8 string";
                return DLZ_EFORMAT;
            }
            cp = cp << 6 | (s[i + j] & 0x3fu);
        }
        if (cp == 0 || (k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            *why = "a name with NUL, surrogate or overlong characters (not supported)";
            return DLZ_EUNSUPPORTED;
        }
        i += k;
    }
    return DLZ_OK;
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
    return (unsigned)type < NUM_TYPES ? type_names[type] : NULL;
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
static int distinct_stats(const hyb_side *s) {
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

/* kp[0..n) sorted by (index, position). */
static void sort_keys(keypos *kp, size_t n) {
    if (n > 1) {
        qsort(kp, n, sizeof *kp, keypos_cmp);
    }
}

static keypos *stats_keys(const hyb_side *s) {
    keypos *kp = dlzi_calloc(s->nstats, sizeof *kp);
    for (size_t i = 0; kp != NULL && i < s->nstats; i++) {
        kp[i].index = s->stats[i].index;
        kp[i].pos = i;
    }
    if (kp != NULL) {
        sort_keys(kp, s->nstats);
    }
    return kp;
}

static keypos *strat_keys(const hyb_side *s) {
    keypos *kp = dlzi_calloc(s->nstrat, sizeof *kp);
    for (size_t i = 0; kp != NULL && i < s->nstrat; i++) {
        kp[i].index = s->strat[i].index;
        kp[i].pos = i;
    }
    if (kp != NULL) {
        sort_keys(kp, s->nstrat);
    }
    return kp;
}

/* Marks superseded entries; returns DLZ_OK or DLZ_ENOMEM. */
static int mark_dups(hyb_side *s) {
    keypos *a = stats_keys(s), *b = strat_keys(s);
    if (a == NULL || b == NULL) {
        dlzi_free(a);
        dlzi_free(b);
        return DLZ_ENOMEM;
    }
    for (size_t i = 0; i + 1 < s->nstats; i++) {
        if (a[i].index == a[i + 1].index) {
            s->stats[a[i].pos].superseded = 1;
            s->stats_dups = 1;
        }
    }
    for (size_t i = 0; i + 1 < s->nstrat; i++) {
        if (b[i].index == b[i + 1].index) {
            s->strat[b[i].pos].superseded = 1;
            s->strat_dups = 1;
        }
    }
    dlzi_free(a);
    dlzi_free(b);
    return DLZ_OK;
}

/* Merges repeated indices as Java does (first position, last value), with
   kp from stats_keys(); never fails. */
static void merge_stats(hyb_side *s, const keypos *kp) {
    for (size_t g = 0; g < s->nstats;) {
        size_t e = g + 1;
        while (e < s->nstats && kp[e].index == kp[g].index) {
            e++;
        }
        if (e - g > 1) {
            hyb_stats *first = &s->stats[kp[g].pos], *last = &s->stats[kp[e - 1].pos];
            for (size_t k = g; k + 1 < e; k++) {
                dlz_array_free(s->stats[kp[k].pos].a);
                dlz_array_free(s->stats[kp[k].pos].b);
                s->stats[kp[k].pos].a = s->stats[kp[k].pos].b = NULL;
            }
            first->kind = last->kind;
            first->a = last->a;
            first->b = last->b;
            for (size_t k = g + 1; k < e; k++) {
                s->stats[kp[k].pos].superseded = 2; /* to be removed */
            }
            first->superseded = 0;
        }
        g = e;
    }
    size_t w = 0;
    for (size_t i = 0; i < s->nstats; i++) {
        if (s->stats[i].superseded != 2) {
            s->stats[w++] = s->stats[i];
        }
    }
    s->nstats = w;
    s->stats_dups = 0;
}

static void merge_strat(hyb_side *s, const keypos *kp) {
    for (size_t g = 0; g < s->nstrat;) {
        size_t e = g + 1;
        while (e < s->nstrat && kp[e].index == kp[g].index) {
            e++;
        }
        if (e - g > 1) {
            hyb_strat *first = &s->strat[kp[g].pos], *last = &s->strat[kp[e - 1].pos];
            first->kind = last->kind;
            first->lo = last->lo;
            first->hi = last->hi;
            for (size_t k = g + 1; k < e; k++) {
                s->strat[kp[k].pos].superseded = 2;
            }
            first->superseded = 0;
        }
        g = e;
    }
    size_t w = 0;
    for (size_t i = 0; i < s->nstrat; i++) {
        if (s->strat[i].superseded != 2) {
            s->strat[w++] = s->strat[i];
        }
    }
    s->nstrat = w;
    s->strat_dups = 0;
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

static dlz_norm_strategy pair_kind(const dlz_normalizer *n) {
    return n->type == DLZ_NORM_STANDARDIZE || n->type == DLZ_NORM_MULTI_STANDARDIZE
               ? DLZ_NORM_STRATEGY_STANDARDIZE
               : DLZ_NORM_STRATEGY_MIN_MAX;
}

/* The last statistics entry with that index, or NULL. */
static const hyb_stats *find_stats(const hyb_side *s, int32_t index) {
    for (size_t i = s->nstats; i > 0; i--) {
        if (s->stats[i - 1].index == index) {
            return &s->stats[i - 1];
        }
    }
    return NULL;
}

static const hyb_strat *find_strat(const hyb_side *s, int32_t index) {
    for (size_t i = s->nstrat; i > 0; i--) {
        if (s->strat[i - 1].index == index) {
            return &s->strat[i - 1];
        }
    }
    return NULL;
}

int dlz_normalizer_stats(const dlz_normalizer *n, int labels, int index, dlz_norm_strategy *kind,
                         const dlz_array **a, const dlz_array **b) {
    if (n == NULL) {
        return DLZ_EMISUSE;
    }
    const dlz_array *x, *y;
    dlz_norm_strategy k;
    if (n->type == DLZ_NORM_MULTI_HYBRID) {
        const hyb_stats *st = find_stats(&n->side[labels != 0], index);
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
        k = pair_kind(n);
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
    const hyb_stats *st = &n->side[labels != 0].stats[i];
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
    const hyb_strat *st = &n->side[labels != 0].strat[i];
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
    const hyb_side *s = &n->side[labels != 0];
    put_strategy(s->global_kind, s->global_lo, s->global_hi, kind, min_range, max_range);
    return DLZ_OK;
}

int dlz_normalizer_hybrid_strategy_for(const dlz_normalizer *n, int labels, int index,
                                       dlz_norm_strategy *kind, double *min_range,
                                       double *max_range) {
    if (n == NULL || n->type != DLZ_NORM_MULTI_HYBRID) {
        return DLZ_EMISUSE;
    }
    const hyb_side *s = &n->side[labels != 0];
    const hyb_strat *st = find_strat(s, index);
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
/* Decoding                                                                  */

typedef struct dec {
    dlzi_rd rd;
    uint64_t max_bytes;
    const char *what;
    dlzi_err *err;
} dec;

static int64_t left(const dec *d) {
    return dlzi_rd_remaining(&d->rd);
}

/* A writeUTF string: *at is where its length starts; at most cap-1 bytes
   are accepted (longer is reported as a DLZ_EFORMAT naming `expected`). */
static int read_utf(dec *d, const char *expected, char *buf, size_t cap, size_t *n, int64_t *at) {
    *at = d->rd.off;
    uint16_t len;
    int rc = dlzi_rd_u16(&d->rd, &len);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (len > left(d)) {
        return bad(d->err, DLZ_EFORMAT, d->what, *at,
                   "expected %s of %u bytes, found only %" PRId64 " bytes left", expected,
                   (unsigned)len, left(d));
    }
    if (len >= cap) {
        return bad(d->err, DLZ_EFORMAT, d->what, *at, "expected %s, found a string of %u bytes",
                   expected, (unsigned)len);
    }
    rc = dlzi_rd_read(&d->rd, buf, len);
    if (rc != DLZ_OK) {
        return rc;
    }
    buf[len] = '\0';
    *n = len;
    return DLZ_OK;
}

/* A name from the stream for a message: printable ASCII kept, the rest \xNN. */
static const char *quote(const char *s, size_t n, char *buf, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[o++] = (char)c;
        } else {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        }
    }
    buf[o] = '\0';
    return buf;
}

static int read_i32(dec *d, int32_t *v, int64_t *at) {
    *at = d->rd.off;
    return dlzi_rd_i32(&d->rd, v);
}

/* A count of items of at least `unit` bytes each. */
static int read_count(dec *d, const char *name, int64_t unit, int32_t *v) {
    int64_t at;
    int rc = read_i32(d, v, &at);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (*v < 0) {
        return bad(d->err, DLZ_EFORMAT, d->what, at, "expected %s >= 0, found %" PRId32, name, *v);
    }
    if (*v > left(d) / unit) {
        return bad(d->err, DLZ_EFORMAT, d->what, at,
                   "expected %s of at most %" PRId64 " (%" PRId64 " bytes left), found %" PRId32,
                   name, left(d) / unit, left(d), *v);
    }
    return DLZ_OK;
}

static int read_array(dec *d, dlz_array **a) {
    return dlzi_array_decode(&d->rd, d->max_bytes, a);
}

/* n pairs of arrays into new pointer arrays. */
static int read_pairs(dec *d, int n, dlz_array ***pa, dlz_array ***pb) {
    *pa = dlzi_calloc((size_t)n, sizeof **pa);
    *pb = dlzi_calloc((size_t)n, sizeof **pb);
    if (*pa == NULL || *pb == NULL) {
        return bad(d->err, DLZ_ENOMEM, d->what, d->rd.off, "out of memory");
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
    int rc = dlzi_rd_u8(&d->rd, &b);
    n->fit_label = b;
    return rc;
}

static int read_f64s(dec *d, double *v, int k) {
    for (int i = 0; i < k; i++) {
        int rc = dlzi_rd_f64(&d->rd, &v[i]);
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
            return bad(d->err, DLZ_EFORMAT, d->what, at,
                       "expected numOutputs >= 0 (fitLabel is true), found %" PRId32, nout);
        }
        if (nout > left(d) / (2 * MIN_RECORD)) {
            return bad(d->err, DLZ_EFORMAT, d->what, at,
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
        return bad(d->err, DLZ_EFORMAT, d->what, at,
                   "expected a %s ordinal (%s1 STANDARDIZE, 2 MIN_MAX), found %" PRId32,
                   allow_null ? "strategy" : "statistics", allow_null ? "0 NULL, " : "", *kind);
    }
    return DLZ_OK;
}

static int read_strategy(dec *d, int32_t *kind, double *lo, double *hi) {
    int rc = read_kind(d, 1, kind);
    *lo = *hi = 0.0;
    if (rc == DLZ_OK && *kind == DLZ_NORM_STRATEGY_MIN_MAX) {
        if ((rc = dlzi_rd_f64(&d->rd, lo)) == DLZ_OK) {
            rc = dlzi_rd_f64(&d->rd, hi);
        }
    }
    return rc;
}

static int read_stats_map(dec *d, hyb_side *s) {
    int32_t cnt;
    int rc = read_count(d, "the number of statistics entries", 8 + 2 * MIN_RECORD, &cnt);
    if (rc != DLZ_OK) {
        return rc;
    }
    s->stats = dlzi_calloc((size_t)cnt, sizeof *s->stats);
    if (s->stats == NULL) {
        return bad(d->err, DLZ_ENOMEM, d->what, d->rd.off, "out of memory");
    }
    for (int32_t i = 0; i < cnt; i++) {
        hyb_stats *e = &s->stats[i];
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

static int read_strat_map(dec *d, hyb_side *s) {
    int32_t cnt;
    int rc = read_count(d, "the number of strategy entries", 8, &cnt);
    if (rc != DLZ_OK) {
        return rc;
    }
    s->strat = dlzi_calloc((size_t)cnt, sizeof *s->strat);
    if (s->strat == NULL) {
        return bad(d->err, DLZ_ENOMEM, d->what, d->rd.off, "out of memory");
    }
    for (int32_t i = 0; i < cnt; i++) {
        hyb_strat *e = &s->strat[i];
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
        hyb_side *h = &n->side[s];
        if ((rc = read_strategy(d, &h->global_kind, &h->global_lo, &h->global_hi)) != DLZ_OK) {
            return rc;
        }
    }
    if ((rc = read_strat_map(d, &n->side[0])) != DLZ_OK ||
        (rc = read_strat_map(d, &n->side[1])) != DLZ_OK) {
        return rc;
    }
    for (int s = 0; s < 2; s++) {
        if (mark_dups(&n->side[s]) != DLZ_OK) {
            return bad(d->err, DLZ_ENOMEM, d->what, d->rd.off, "out of memory");
        }
    }
    return DLZ_OK;
}

/* The deprecated form: a Java serialization stream whose first object is the
   normalizer.  Only the class name of its descriptor is read. */
static int decode_java(const unsigned char *p, size_t len, const char *what, dlz_normalizer *n,
                       dlzi_err *err) {
    if (len < 4 || p[2] != 0x00 || p[3] != 0x05) {
        return bad(err, DLZ_EFORMAT, what, 0,
                   "expected the Java serialization header AC ED 00 05, found %s",
                   len < 4 ? "the end of the data" : "another version");
    }
    if (len < 5 || p[4] != 0x73) {
        return bad(err, DLZ_EFORMAT, what, 4,
                   "expected TC_OBJECT (0x73) for a Java-serialized normalizer, found %s",
                   len < 5 ? "the end of the data" : "another item");
    }
    if (len < 6 || p[5] != 0x72) {
        return bad(err, DLZ_EFORMAT, what, 5, "expected TC_CLASSDESC (0x72), found %s",
                   len < 6 ? "the end of the data" : "another item");
    }
    if (len < 8) {
        return bad(err, DLZ_EFORMAT, what, 6, "truncated class name length");
    }
    size_t cl = dlzi_get_be16(p + 6);
    if (cl == 0 || cl > len - 8) {
        return bad(err, DLZ_EFORMAT, what, 6,
                   "expected a class name of 1..%zu bytes, found a length of %zu", len - 8, cl);
    }
    const char *why = NULL;
    int rc = check_name(p + 8, cl, &why);
    if (rc != DLZ_OK) {
        return bad(err, rc, what, 8, "expected a Java class name, found %s", why);
    }
    n->cls = dlzi_malloc(cl + 1);
    if (n->cls == NULL) {
        return bad(err, DLZ_ENOMEM, what, 8, "out of memory");
    }
    memcpy(n->cls, p + 8, cl);
    n->cls[cl] = '\0';
    n->type = DLZ_NORM_JAVA_SERIALIZED;
    return DLZ_OK;
}

static int decode_body(dec *d, dlz_normalizer *n) {
    char buf[128], q[600];
    size_t len;
    int64_t at;
    int rc = read_utf(d, "the header \"NORMALIZER\"", buf, sizeof buf, &len, &at);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (len != 10 || memcmp(buf, "NORMALIZER", 10) != 0) {
        return bad(d->err, DLZ_EFORMAT, d->what, at,
                   "expected the header \"NORMALIZER\", found \"%s\"",
                   quote(buf, len, q, sizeof q));
    }
    int32_t version;
    if ((rc = read_i32(d, &version, &at)) != DLZ_OK) {
        return rc;
    }
    if (version != 1) {
        return bad(d->err, DLZ_EUNSUPPORTED, d->what, at,
                   "expected normalizer format version 1 (the only one DL4J writes and reads), "
                   "found %" PRId32,
                   version);
    }
    if ((rc = read_utf(d, "a normalizer type name", buf, sizeof buf, &len, &at)) != DLZ_OK) {
        return rc;
    }
    int t;
    for (t = 0; t < DLZ_NORM_JAVA_SERIALIZED; t++) {
        if (strlen(type_names[t]) == len && memcmp(buf, type_names[t], len) == 0) {
            break;
        }
    }
    if (t == DLZ_NORM_JAVA_SERIALIZED) {
        return bad(d->err, DLZ_EFORMAT, d->what, at,
                   "expected a normalizer type (STANDARDIZE, MIN_MAX, IMAGE_MIN_MAX, "
                   "MULTI_STANDARDIZE, MULTI_MIN_MAX, MULTI_HYBRID or CUSTOM), found \"%s\"",
                   quote(buf, len, q, sizeof q));
    }
    if (t == DLZ_NORM_IMAGE_VGG16) {
        return bad(d->err, DLZ_EUNSUPPORTED, d->what, at,
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
        at = d->rd.off;
        if ((rc = dlzi_rd_u16(&d->rd, &cl)) != DLZ_OK) {
            return rc;
        }
        if (cl == 0 || cl > left(d)) {
            return bad(d->err, DLZ_EFORMAT, d->what, at,
                       "expected a strategy class name of 1..%" PRId64 " bytes, found %u", left(d),
                       (unsigned)cl);
        }
        n->cls = dlzi_malloc((size_t)cl + 1);
        if (n->cls == NULL) {
            return bad(d->err, DLZ_ENOMEM, d->what, at, "out of memory");
        }
        if ((rc = dlzi_rd_read(&d->rd, n->cls, cl)) != DLZ_OK) {
            return rc;
        }
        n->cls[cl] = '\0';
        const char *why = NULL;
        if ((rc = check_name((const unsigned char *)n->cls, cl, &why)) != DLZ_OK) {
            return bad(d->err, rc, d->what, at + 2, "expected a Java class name, found %s", why);
        }
        n->body_len = (size_t)left(d);
        n->body = dlzi_malloc(n->body_len);
        if (n->body == NULL) {
            return bad(d->err, DLZ_ENOMEM, d->what, d->rd.off, "out of memory");
        }
        return dlzi_rd_read(&d->rd, n->body, n->body_len);
    }
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    if (left(d) > 0) {
        return bad(d->err, DLZ_EFORMAT, d->what, d->rd.off,
                   "expected the end of the %s normalizer, found %" PRId64 " more bytes",
                   type_names[n->type], left(d));
    }
    return DLZ_OK;
}

int dlzi_normalizer_decode(const void *bytes, size_t len, uint64_t max_bytes, const char *what,
                           dlz_normalizer **out, dlzi_err *err) {
    const unsigned char *p = bytes;
    dlz_normalizer *n = dlzi_calloc(1, sizeof *n);
    if (n == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "%s: out of memory", what);
    }
    int rc;
    if (len >= 2 && p[0] == 0xac && p[1] == 0xed) {
        rc = decode_java(p, len, what, n, err);
    } else {
        dec *d = dlzi_malloc(sizeof *d);
        if (d == NULL) {
            dlz_normalizer_free(n);
            return dlzi_err_set(err, DLZ_ENOMEM, "%s: out of memory", what);
        }
        dlzi_memin m;
        dlzi_memin_init(&m, bytes, len, err);
        dlzi_rd_init(&d->rd, &m.in, (int64_t)len, what, err);
        d->max_bytes = max_bytes;
        d->what = what;
        d->err = err;
        rc = decode_body(d, n);
        dlzi_free(d);
    }
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
/* Java's HashMap<Integer, ?> iteration order                                */

static uint32_t spread(int32_t key) {
    uint32_t h = (uint32_t)key;
    return h ^ (h >> 16);
}

typedef struct slot {
    uint32_t bucket;
    size_t pos;
} slot;

static int slot_cmp(const void *x, const void *y) {
    const slot *a = x, *b = y;
    if (a->bucket != b->bucket) {
        return a->bucket < b->bucket ? -1 : 1;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The order in which a HashMap filled by put() with the n distinct keys (in
   this order) iterates them: order[i] = position of the i-th key.  Capacity
   as java.util.HashMap reaches it: 16 buckets at first, doubling when the
   size passes 3/4 of the buckets and, below 64 buckets, instead of turning
   a bucket of more than 8 entries into a tree. */
static int hashmap_order(const int32_t *keys, size_t n, size_t *order) {
    size_t cap = 16, cnt_cap = 16;
    uint32_t *cnt = dlzi_calloc(cnt_cap, sizeof *cnt);
    slot *sl = dlzi_calloc(n, sizeof *sl);
    if (cnt == NULL || sl == NULL) {
        dlzi_free(cnt);
        dlzi_free(sl);
        return DLZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t before = cnt[spread(keys[i]) & (cap - 1)]++;
        int grow = before >= 8 && cap < 64;
        for (int pass = 0; pass < 2; pass++) {
            /* pass 0: the resize instead of a tree; pass 1: the size threshold */
            if (pass == 1) {
                grow = i + 1 > cap / 4 * 3;
            }
            if (!grow) {
                continue;
            }
            cap *= 2;
            if (cap > cnt_cap) {
                uint32_t *nc = dlzi_realloc(cnt, cap * sizeof *nc);
                if (nc == NULL) {
                    dlzi_free(cnt);
                    dlzi_free(sl);
                    return DLZ_ENOMEM;
                }
                cnt = nc;
                cnt_cap = cap;
            }
            memset(cnt, 0, cap * sizeof *cnt);
            for (size_t j = 0; j <= i; j++) {
                cnt[spread(keys[j]) & (cap - 1)]++;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        sl[i].bucket = spread(keys[i]) & (uint32_t)(cap - 1);
        sl[i].pos = i;
    }
    if (n > 1) {
        qsort(sl, n, sizeof *sl, slot_cmp);
    }
    for (size_t i = 0; i < n; i++) {
        order[i] = sl[i].pos;
    }
    dlzi_free(cnt);
    dlzi_free(sl);
    return DLZ_OK;
}

/* Entries of a map as DL4J writes it: the positions of the entries to
   write, in order.  In stream order unless the map was changed by a builder
   (then repeated indices were already merged, see merge_stats()). */
static int map_order(const int32_t *keys, size_t n, int java, size_t *order) {
    if (!java) {
        for (size_t i = 0; i < n; i++) {
            order[i] = i;
        }
        return DLZ_OK;
    }
    return hashmap_order(keys, n, order);
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

/* The order in which DL4J writes the entries of a HashMap<Integer, ...>:
   *order (yours, dlzi_free) lists item positions; each item of @p size
   bytes holds its int32 key at @p key_offset. */
static int entry_order(enc *e, const void *items, size_t size, size_t key_offset, size_t n,
                       int java, size_t **order) {
    int32_t *keys = dlzi_calloc(n, sizeof *keys);
    *order = dlzi_calloc(n, sizeof **order);
    int rc = DLZ_OK;
    if (keys == NULL || *order == NULL) {
        rc = nomem(e->err);
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        memcpy(&keys[i], (const char *)items + i * size + key_offset, sizeof keys[i]);
    }
    if (rc == DLZ_OK && map_order(keys, n, java, *order) != DLZ_OK) {
        rc = nomem(e->err);
    }
    dlzi_free(keys);
    if (rc != DLZ_OK) {
        dlzi_free(*order);
        *order = NULL;
    }
    return rc;
}

static int e_stats_map(enc *e, const hyb_side *s) {
    size_t n = s->nstats, *order;
    int rc = entry_order(e, s->stats, sizeof *s->stats, offsetof(hyb_stats, index), n,
                         s->stats_java_order, &order);
    if (rc == DLZ_OK) {
        rc = e_i32(e, (int32_t)n);
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        const hyb_stats *st = &s->stats[order[i]];
        if ((rc = e_i32(e, st->index)) == DLZ_OK && (rc = e_i32(e, st->kind)) == DLZ_OK &&
            (rc = e_array(e, st->a)) == DLZ_OK) {
            rc = e_array(e, st->b);
        }
    }
    dlzi_free(order);
    return rc;
}

static int e_strat_map(enc *e, const hyb_side *s) {
    size_t n = s->nstrat, *order;
    int rc = entry_order(e, s->strat, sizeof *s->strat, offsetof(hyb_strat, index), n,
                         s->strat_java_order, &order);
    if (rc == DLZ_OK) {
        rc = e_i32(e, (int32_t)n);
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        const hyb_strat *st = &s->strat[order[i]];
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
        (rc = e_utf(e, type_names[n->type])) != DLZ_OK) {
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
            const hyb_side *h = &n->side[s];
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
        if (!is_floating(x[k]->dtype)) {
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
        n->v[1] = java_max(tmax, tmin + EPS_THRESHOLD);
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
    if (check_name((const unsigned char *)strategy_class, cl, &why) != DLZ_OK) {
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
    hyb_side *s = &n->side[labels != 0];
    int exists = find_stats(s, index) != NULL;
    if (!exists && s->nstats >= MAX_ENTRIES) {
        return dlzi_err_set(err, DLZ_EMISUSE, "more than 65535 statistics entries");
    }
    /* Everything that can fail comes first: the normalizer stays unchanged. */
    dlz_array *ca, *cb;
    rc = copy_pair(a, b, kind, &ca, &cb);
    if (rc != DLZ_OK) {
        return dlzi_err_set(err, rc, "out of memory");
    }
    keypos *kp = s->stats_dups ? stats_keys(s) : NULL;
    if (s->stats_dups && kp == NULL) {
        rc = DLZ_ENOMEM;
    }
    if (rc == DLZ_OK && !exists) {
        hyb_stats *ns = dlzi_realloc(s->stats, (s->nstats + 1) * sizeof *ns);
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
        merge_stats(s, kp);
        dlzi_free(kp);
    }
    hyb_stats *st = (hyb_stats *)find_stats(s, index);
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
    hyb_side *s = &n->side[labels != 0];
    s->global_kind = kind;
    s->global_lo = kind == DLZ_NORM_STRATEGY_MIN_MAX ? min_range : 0.0;
    s->global_hi =
        kind == DLZ_NORM_STRATEGY_MIN_MAX ? java_max(max_range, min_range + EPS_THRESHOLD) : 0.0;
    return DLZ_OK;
}

static int hybrid_set_strategy(dlz_normalizer *n, int labels, int index, dlz_norm_strategy kind,
                               double min_range, double max_range, dlzi_err *err) {
    int rc = check_hybrid(n, kind, 1, err);
    if (rc != DLZ_OK) {
        return rc;
    }
    hyb_side *s = &n->side[labels != 0];
    int exists = find_strat(s, index) != NULL;
    if (!exists && s->nstrat >= MAX_ENTRIES) {
        return dlzi_err_set(err, DLZ_EMISUSE, "more than 65535 strategy entries");
    }
    keypos *kp = NULL;
    if (s->strat_dups && (kp = strat_keys(s)) == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    if (!exists) {
        hyb_strat *ns = dlzi_realloc(s->strat, (s->nstrat + 1) * sizeof *ns);
        if (ns == NULL) {
            dlzi_free(kp);
            return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
        }
        s->strat = ns;
    }
    if (kp != NULL) {
        merge_strat(s, kp);
        dlzi_free(kp);
    }
    hyb_strat *st = (hyb_strat *)find_strat(s, index);
    if (st == NULL) {
        st = &s->strat[s->nstrat++];
        memset(st, 0, sizeof *st);
        st->index = index;
    }
    st->kind = kind;
    st->lo = kind == DLZ_NORM_STRATEGY_MIN_MAX ? min_range : 0.0;
    st->hi =
        kind == DLZ_NORM_STRATEGY_MIN_MAX ? java_max(max_range, min_range + EPS_THRESHOLD) : 0.0;
    s->strat_java_order = 1;
    return DLZ_OK;
}

int dlz_normalizer_hybrid_set_strategy(dlz_normalizer *n, int labels, int index,
                                       dlz_norm_strategy kind, double min_range, double max_range,
                                       char *errbuf, size_t errbuf_size) {
    CONSTRUCT(hybrid_set_strategy(n, labels, index, kind, min_range, max_range, &err_));
}

/* ------------------------------------------------------------------------ */
/* Transform and revert                                                      */

enum { SRC_CONST, SRC_P1, SRC_P2 };

/* One element-wise step: x = x op operand. */
typedef struct step {
    char op; /* '+', '-', '*', '/' */
    int src;
    double c; /* SRC_CONST operand, already rounded to the array's type */
} step;

typedef struct plan {
    int nsteps;
    step s[4];
    int per_feature;
    double *p1, *p2; /* per-feature operands, rounded to the array's type */
} plan;

static void add_step(plan *p, char op, int src, double c) {
    p->s[p->nsteps].op = op;
    p->s[p->nsteps].src = src;
    p->s[p->nsteps].c = c;
    p->nsteps++;
}

/* Rounds a value to the array's type. */
static double to_a(dlz_dtype at, double x) {
    return at == DLZ_DTYPE_FLOAT ? (double)to_f32(x) : x;
}

/* Element-wise loops over every element of a, in logical order, with the
   feature index j taken from dimension fdim. */
#define APPLY_LOOP(T)                                                                              \
    do {                                                                                           \
        T *d_ = a->data;                                                                           \
        int64_t idx_[DLZ_MAX_RANK] = {0};                                                          \
        int64_t pos_ = 0;                                                                          \
        for (int64_t e_ = 0; e_ < a->length; e_++) {                                               \
            int64_t j_ = fdim >= 0 ? idx_[fdim] : 0;                                               \
            T v_ = d_[pos_];                                                                       \
            for (int s_ = 0; s_ < p->nsteps; s_++) {                                               \
                const step *st_ = &p->s[s_];                                                       \
                T o_ = (T)(st_->src == SRC_CONST ? st_->c                                          \
                           : st_->src == SRC_P1  ? p->p1[j_]                                       \
                                                 : p->p2[j_]);                                      \
                switch (st_->op) {                                                                 \
                case '+':                                                                          \
                    v_ = v_ + o_;                                                                  \
                    break;                                                                         \
                case '-':                                                                          \
                    v_ = v_ - o_;                                                                  \
                    break;                                                                         \
                case '*':                                                                          \
                    v_ = v_ * o_;                                                                  \
                    break;                                                                         \
                default:                                                                           \
                    v_ = v_ / o_;                                                                  \
                    break;                                                                         \
                }                                                                                  \
            }                                                                                      \
            d_[pos_] = v_;                                                                         \
            for (int k_ = a->rank - 1; k_ >= 0; k_--) {                                            \
                pos_ += a->strides[k_];                                                            \
                if (++idx_[k_] < a->shape[k_]) {                                                   \
                    break;                                                                         \
                }                                                                                  \
                pos_ -= a->strides[k_] * a->shape[k_];                                             \
                idx_[k_] = 0;                                                                      \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void run_f32(dlz_array *a, int fdim, const plan *p) {
    APPLY_LOOP(float);
}

static void run_f64(dlz_array *a, int fdim, const plan *p) {
    APPLY_LOOP(double);
}

/* 1 if no two elements of a share a buffer position: with the dimensions
   of size > 1 sorted by stride, each stride must exceed the reach of the
   smaller ones (true for every dense, permuted or sliced layout). */
static int disjoint(const dlz_array *a) {
    int64_t sh[DLZ_MAX_RANK], st[DLZ_MAX_RANK];
    int m = 0;
    if (a->length <= 1) {
        return 1;
    }
    for (int k = 0; k < a->rank; k++) {
        if (a->shape[k] > 1) {
            int i = m++;
            while (i > 0 && st[i - 1] > a->strides[k]) {
                sh[i] = sh[i - 1];
                st[i] = st[i - 1];
                i--;
            }
            sh[i] = a->shape[k];
            st[i] = a->strides[k];
        }
    }
    int64_t reach = 0; /* largest offset of the smaller dimensions */
    for (int i = 0; i < m; i++) {
        if (st[i] <= reach) {
            return 0;
        }
        reach += (sh[i] - 1) * st[i]; /* bounded: the array's buffer holds it */
    }
    return 1;
}

typedef struct target {
    const dlz_array *sa, *sb; /* statistics pair, or NULL for IMAGE_MIN_MAX */
    int kind;                 /* DLZ_NORM_STRATEGY_* of the pair */
    double lo, hi;            /* MinMaxStrategy minRange, maxRange */
} target;

static const char *side_name(int labels) {
    return labels ? "output" : "input";
}

/* Works out what applies to input/output `index`: *noop when nothing does. */
static int resolve(const dlz_normalizer *n, int labels, int index, const dlz_array *a, target *t,
                   int *noop, dlzi_err *err) {
    memset(t, 0, sizeof *t);
    *noop = 0;
    switch (n->type) {
    case DLZ_NORM_IMAGE_MIN_MAX:
        if (index != 0) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "IMAGE_MIN_MAX has a single input: index %d is out of range",
                                index);
        }
        if (labels && a->rank != 4) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "IMAGE_MIN_MAX scales only labels of rank 4 (segmentation "
                                "masks), found rank %d",
                                a->rank);
        }
        return DLZ_OK;
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX: {
        if (labels && !n->fit_label) {
            *noop = 1;
            return DLZ_OK;
        }
        int count = labels ? n->nout : n->nin;
        if (index < 0 || index >= count) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "%s index %d is out of range: the normalizer has %d %ss",
                                side_name(labels), index, count, side_name(labels));
        }
        t->sa = labels ? n->oa[index] : n->ia[index];
        t->sb = labels ? n->ob[index] : n->ib[index];
        t->kind = pair_kind(n);
        t->lo = n->v[0];
        t->hi = java_max(n->v[1], n->v[0] + EPS_THRESHOLD);
        return DLZ_OK;
    }
    case DLZ_NORM_MULTI_HYBRID: {
        dlz_norm_strategy k;
        double lo, hi;
        dlz_normalizer_hybrid_strategy_for(n, labels, index, &k, &lo, &hi);
        if (k == DLZ_NORM_STRATEGY_NONE) {
            *noop = 1;
            return DLZ_OK;
        }
        const hyb_stats *st = find_stats(&n->side[labels != 0], index);
        if (st == NULL) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "%s %d has the strategy %s but the normalizer has no statistics "
                                "for it",
                                side_name(labels), index, strategy_names[k]);
        }
        if (st->kind != (int32_t)k) {
            return dlzi_err_set(err, DLZ_EFORMAT, "%s %d has the strategy %s but %s statistics",
                                side_name(labels), index, strategy_names[k],
                                strategy_names[st->kind]);
        }
        t->sa = st->a;
        t->sb = st->b;
        t->kind = k;
        t->lo = lo;
        t->hi = java_max(hi, lo + EPS_THRESHOLD);
        return DLZ_OK;
    }
    default:
        return dlzi_err_set(err, DLZ_EUNSUPPORTED, "cannot apply a %s normalizer%s%s",
                            type_names[n->type], n->cls != NULL ? " of class " : "",
                            n->cls != NULL ? n->cls : "");
    }
}

/* The per-feature operands of a statistics pair, adjusted as DL4J's
   DistributionStats / MinMaxStats / StandardizeStrategy do, in the
   statistics' type, then rounded to the array's type. */
static int stats_operands(const target *t, dlz_dtype at, plan *p, dlzi_err *err) {
    const dlz_array *sa = t->sa, *sb = t->sb;
    int64_t nf = sa->length;
    p->p1 = dlzi_calloc((size_t)nf, sizeof *p->p1);
    p->p2 = dlzi_calloc((size_t)nf, sizeof *p->p2);
    if (p->p1 == NULL || p->p2 == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    if (t->kind == DLZ_NORM_STRATEGY_STANDARDIZE) {
        /* std = max(std, eps) (DistributionStats), then values within eps of
           0 become 1 (StandardizeStrategy.filteredStd): std > eps ? std : 1 */
        double eps = eps_of(sb->dtype);
        for (int64_t j = 0; j < nf; j++) {
            double s = dlzi_array_get_f64(sb, j);
            p->p1[j] = to_a(at, dlzi_array_get_f64(sa, j));
            p->p2[j] = to_a(at, s > eps ? s : 1.0);
        }
        return DLZ_OK;
    }
    /* MinMaxStats pads max (as DL4J does when it reads the normalizer), then
       range = max - min, in the type of max. */
    dlz_dtype ut = sb->dtype;
    int padded = minmax_padded(sa, sb);
    for (int64_t j = 0; j < nf; j++) {
        double lo = dlzi_array_get_f64(sa, j), up = dlzi_array_get_f64(sb, j);
        if (padded) {
            up = op_t(ut, up, minmax_pad(sa, sb, j), +1);
        }
        p->p1[j] = to_a(at, lo);
        p->p2[j] = to_a(at, op_t(ut, up, lo, -1));
    }
    return DLZ_OK;
}

static int apply(const dlz_normalizer *n, int labels, int index, dlz_array *a, int rev,
                 char *errbuf, size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = DLZ_OK, noop = 0;
    target t;
    plan p;
    memset(&p, 0, sizeof p);
    if (n == NULL || a == NULL) {
        rc = dlzi_err_set(&err, DLZ_EMISUSE, "NULL normalizer or array");
    } else if (a->dtype != DLZ_DTYPE_FLOAT && a->dtype != DLZ_DTYPE_DOUBLE) {
        rc = dlzi_err_set(&err, DLZ_EMISUSE,
                          "expected a FLOAT or DOUBLE array to normalize, found %s",
                          dlz_dtype_name(a->dtype) ? dlz_dtype_name(a->dtype) : "?");
    } else if (a->length > 0 && a->data == NULL) {
        rc = dlzi_err_set(&err, DLZ_EMISUSE, "array without data");
    } else if (!disjoint(a)) {
        rc = dlzi_err_set(&err, DLZ_EMISUSE,
                          "the array's strides make elements share memory: it cannot be "
                          "normalized in place");
    }
    if (rc == DLZ_OK) {
        rc = resolve(n, labels, index, a, &t, &noop, &err);
    }
    int fdim = -1;
    dlz_dtype at = a != NULL ? a->dtype : DLZ_DTYPE_FLOAT;
    if (rc == DLZ_OK && !noop && t.sa != NULL) {
        if (!is_floating(t.sa->dtype) || !is_floating(t.sb->dtype)) {
            rc = dlzi_err_set(&err, DLZ_EUNSUPPORTED,
                              "statistics of type %s cannot be applied (floating types only)",
                              dlz_dtype_name(is_floating(t.sa->dtype) ? t.sb->dtype : t.sa->dtype));
        } else if (t.sa->length != t.sb->length) {
            rc = dlzi_err_set(&err, DLZ_EFORMAT,
                              "the statistics of %s %d differ in length (%" PRId64 " and %" PRId64
                              ")",
                              side_name(labels), index, t.sa->length, t.sb->length);
        } else if (a->rank == 0) {
            rc = dlzi_err_set(&err, DLZ_EMISUSE,
                              "expected an array of rank 1 or more to normalize, found a scalar");
        } else {
            fdim = a->rank == 1 ? 0 : 1;
            if (a->shape[fdim] != t.sa->length) {
                rc = dlzi_err_set(&err, DLZ_EMISUSE,
                                  "expected %" PRId64 " features in dimension %d of the %s "
                                  "array (the length of the statistics of %s %d), found %" PRId64,
                                  t.sa->length, fdim, labels ? "label" : "feature",
                                  side_name(labels), index, a->shape[fdim]);
            }
        }
        if (rc == DLZ_OK) {
            rc = stats_operands(&t, at, &p, &err);
        }
    }
    if (rc == DLZ_OK && !noop) {
        if (t.sa == NULL) {
            /* ImagePreProcessingScaler */
            double range = n->v[1] - n->v[0], pix = to_a(at, n->v[2]);
            if (!rev) {
                add_step(&p, '/', SRC_CONST, pix);
                if (range != 1.0) {
                    add_step(&p, '*', SRC_CONST, to_a(at, range));
                }
                if (n->v[0] != 0.0) {
                    add_step(&p, '+', SRC_CONST, to_a(at, n->v[0]));
                }
            } else {
                if (n->v[0] != 0.0) {
                    add_step(&p, '-', SRC_CONST, to_a(at, n->v[0]));
                }
                if (range != 1.0) {
                    add_step(&p, '/', SRC_CONST, to_a(at, range));
                }
                add_step(&p, '*', SRC_CONST, pix);
            }
        } else if (t.kind == DLZ_NORM_STRATEGY_STANDARDIZE) {
            if (!rev) {
                add_step(&p, '-', SRC_P1, 0);
                add_step(&p, '/', SRC_P2, 0);
            } else {
                add_step(&p, '*', SRC_P2, 0);
                add_step(&p, '+', SRC_P1, 0);
            }
        } else {
            double scale = to_a(at, t.hi - t.lo), off = to_a(at, t.lo);
            if (!rev) {
                add_step(&p, '-', SRC_P1, 0);
                add_step(&p, '/', SRC_P2, 0);
                add_step(&p, '*', SRC_CONST, scale);
                add_step(&p, '+', SRC_CONST, off);
            } else {
                add_step(&p, '-', SRC_CONST, off);
                add_step(&p, '/', SRC_CONST, scale);
                add_step(&p, '*', SRC_P2, 0);
                add_step(&p, '+', SRC_P1, 0);
            }
        }
        if (at == DLZ_DTYPE_FLOAT) {
            run_f32(a, fdim, &p);
        } else {
            run_f64(a, fdim, &p);
        }
    }
    dlzi_free(p.p1);
    dlzi_free(p.p2);
    if (rc != DLZ_OK) {
        (void)dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
    } else if (errbuf != NULL && errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    return rc;
}

int dlz_normalizer_transform(const dlz_normalizer *n, int index, dlz_array *a, char *errbuf,
                             size_t errbuf_size) {
    return apply(n, 0, index, a, 0, errbuf, errbuf_size);
}

int dlz_normalizer_revert(const dlz_normalizer *n, int index, dlz_array *a, char *errbuf,
                          size_t errbuf_size) {
    return apply(n, 0, index, a, 1, errbuf, errbuf_size);
}

int dlz_normalizer_transform_labels(const dlz_normalizer *n, int index, dlz_array *a, char *errbuf,
                                    size_t errbuf_size) {
    return apply(n, 1, index, a, 0, errbuf, errbuf_size);
}

int dlz_normalizer_revert_labels(const dlz_normalizer *n, int index, dlz_array *a, char *errbuf,
                                 size_t errbuf_size) {
    return apply(n, 1, index, a, 1, errbuf, errbuf_size);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

#define JS_MAX_DEPTH 16

typedef struct js {
    char *p;
    size_t len, cap;
    int oom;
    int pretty;
    int depth;
    int after_key;                  /* a key was written: the value follows directly */
    int items[JS_MAX_DEPTH + 1];    /* values written in the open container */
    int one_line[JS_MAX_DEPTH + 1]; /* the container is written on one line */
} js;

static void js_raw(js *j, const char *s, size_t n) {
    if (j->oom) {
        return;
    }
    if (n + 1 > j->cap - j->len) {
        size_t nc = j->cap ? j->cap : 256;
        while (n + 1 > nc - j->len) {
            if (nc > SIZE_MAX / 2) {
                j->oom = 1;
                return;
            }
            nc *= 2;
        }
        char *np = dlzi_realloc(j->p, nc);
        if (np == NULL) {
            j->oom = 1;
            return;
        }
        j->p = np;
        j->cap = nc;
    }
    memcpy(j->p + j->len, s, n);
    j->len += n;
    j->p[j->len] = '\0';
}

static void js_puts(js *j, const char *s) {
    js_raw(j, s, strlen(s));
}

static void js_newline(js *j) {
    js_puts(j, "\n");
    for (int i = 0; i < j->depth; i++) {
        js_puts(j, "  ");
    }
}

/* Whatever goes before a value or a key in the open container. */
static void js_sep(js *j) {
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth == 0) {
        return;
    }
    if (j->items[j->depth]++ > 0) {
        js_puts(j, j->one_line[j->depth] && j->pretty ? ", " : ",");
    }
    if (j->pretty && !j->one_line[j->depth]) {
        js_newline(j);
    }
}

static void js_open(js *j, const char *bracket, int one_line) {
    js_sep(j);
    js_puts(j, bracket);
    if (j->depth == JS_MAX_DEPTH) {
        j->oom = 1; /* cannot happen: normalizers nest 4 levels */
        return;
    }
    j->depth++;
    j->items[j->depth] = 0;
    j->one_line[j->depth] = one_line || j->one_line[j->depth - 1];
}

static void js_close(js *j, const char *bracket) {
    int had = j->items[j->depth], one_line = j->one_line[j->depth];
    j->depth--;
    if (j->pretty && had && !one_line) {
        js_newline(j);
    }
    js_puts(j, bracket);
}

static void js_str(js *j, const char *s) {
    js_sep(j);
    js_puts(j, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            js_raw(j, esc, 2);
        } else if (*c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *c);
            js_puts(j, esc);
        } else {
            js_raw(j, (const char *)c, 1);
        }
    }
    js_puts(j, "\"");
}

static void js_key(js *j, const char *k) {
    js_str(j, k);
    js_puts(j, j->pretty ? ": " : ":");
    j->after_key = 1;
}

static void js_lit(js *j, const char *s) {
    js_sep(j);
    js_puts(j, s);
}

/* The shortest decimal that reads back to d (to the float d when is_float),
   with '.' whatever the locale, and a '.' or an exponent always present;
   NaN and the infinities as strings. */
static void fmt_real(char *out, size_t cap, double d, int is_float) {
    if (d != d) {
        snprintf(out, cap, "\"NaN\"");
        return;
    }
    if (isinf(d)) {
        snprintf(out, cap, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        double back = strtod(tmp, NULL);
        if (is_float ? to_f32(back) == (float)d : back == d) {
            break;
        }
    }
    /* The locale's decimal point (any run of other characters) becomes '.'. */
    size_t o = 0;
    int point = 0;
    for (size_t i = 0; tmp[i] != '\0' && o + 3 < cap; i++) {
        char c = tmp[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E') {
            out[o++] = c;
            point |= c == 'e' || c == 'E';
        } else if (o == 0 || out[o - 1] != '.') {
            out[o++] = '.';
            point = 1;
        }
    }
    if (!point) {
        out[o++] = '.';
        out[o++] = '0';
    }
    out[o] = '\0';
}

static void js_real(js *j, double d) {
    char buf[64];
    fmt_real(buf, sizeof buf, d, 0);
    js_lit(j, buf);
}

static void js_int(js *j, int64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    js_lit(j, buf);
}

/* {"dtype", "shape", "values"} */
static void js_array(js *j, const dlz_array *a) {
    if (a == NULL) {
        js_lit(j, "null");
        return;
    }
    js_open(j, "{", 0);
    js_key(j, "dtype");
    js_str(j, dlz_dtype_name(a->dtype));
    js_key(j, "shape");
    js_open(j, "[", 1);
    for (int k = 0; k < a->rank; k++) {
        js_int(j, a->shape[k]);
    }
    js_close(j, "]");
    js_key(j, "values");
    js_open(j, "[", 1);
    const unsigned char *d = a->data;
    size_t esz = dlz_dtype_size(a->dtype);
    for (int64_t i = 0; i < a->length && !j->oom; i++) {
        const unsigned char *e = d + (size_t)elem_pos(a, i) * esz;
        char buf[64];
        switch (a->dtype) {
        case DLZ_DTYPE_DOUBLE:
        case DLZ_DTYPE_FLOAT:
        case DLZ_DTYPE_HALF:
        case DLZ_DTYPE_BFLOAT16:
            fmt_real(buf, sizeof buf, dlzi_array_get_f64(a, i), a->dtype != DLZ_DTYPE_DOUBLE);
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
        js_lit(j, buf);
    }
    js_close(j, "]");
    js_close(j, "}");
}

static void js_array_list(js *j, dlz_array *const *a, int n, int present) {
    if (!present) {
        js_lit(j, "null");
        return;
    }
    js_open(j, "[", 0);
    for (int i = 0; i < n; i++) {
        js_array(j, a[i]);
    }
    js_close(j, "]");
}

static void js_strategy(js *j, int32_t kind, double lo, double hi) {
    if (kind == DLZ_NORM_STRATEGY_NONE) {
        js_lit(j, "null");
        return;
    }
    js_open(j, "{", 0);
    js_key(j, "kind");
    js_str(j, strategy_names[kind]);
    if (kind == DLZ_NORM_STRATEGY_MIN_MAX) {
        js_key(j, "minRange");
        js_real(j, lo);
        js_key(j, "maxRange");
        js_real(j, hi);
    }
    js_close(j, "}");
}

/* A hybrid map as an object keyed by index; a repeated index shows only its
   last entry (the one that counts). */
static void js_hybrid_map(js *j, const hyb_side *s, int stats) {
    size_t count = stats ? s->nstats : s->nstrat;
    js_open(j, "{", 0);
    for (size_t i = 0; i < count; i++) {
        int32_t idx = stats ? s->stats[i].index : s->strat[i].index;
        if (stats ? s->stats[i].superseded : s->strat[i].superseded) {
            continue;
        }
        char key[16];
        snprintf(key, sizeof key, "%" PRId32, idx);
        js_key(j, key);
        if (!stats) {
            js_strategy(j, s->strat[i].kind, s->strat[i].lo, s->strat[i].hi);
            continue;
        }
        const hyb_stats *st = &s->stats[i];
        int std = st->kind == DLZ_NORM_STRATEGY_STANDARDIZE;
        js_open(j, "{", 0);
        js_key(j, "kind");
        js_str(j, strategy_names[st->kind]);
        js_key(j, std ? "mean" : "lower");
        js_array(j, st->a);
        js_key(j, std ? "std" : "upper");
        js_array(j, st->b);
        js_close(j, "}");
    }
    js_close(j, "}");
}

static void js_normalizer(js *j, const dlz_normalizer *n) {
    int fit = n->fit_label != 0;
    int std = n->type == DLZ_NORM_STANDARDIZE || n->type == DLZ_NORM_MULTI_STANDARDIZE;
    js_open(j, "{", 0);
    js_key(j, "type");
    js_str(j, type_names[n->type]);
    js_key(j, "javaClass");
    js_str(j, dlz_normalizer_java_class(n));
    switch (n->type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
        js_key(j, "fitLabel");
        js_lit(j, fit ? "true" : "false");
        if (!std) {
            js_key(j, "targetMin");
            js_real(j, n->v[0]);
            js_key(j, "targetMax");
            js_real(j, n->v[1]);
        }
        js_key(j, std ? "mean" : "min");
        js_array(j, n->ia[0]);
        js_key(j, std ? "std" : "max");
        js_array(j, n->ib[0]);
        js_key(j, std ? "labelMean" : "labelMin");
        js_array(j, n->nout ? n->oa[0] : NULL);
        js_key(j, std ? "labelStd" : "labelMax");
        js_array(j, n->nout ? n->ob[0] : NULL);
        break;
    case DLZ_NORM_IMAGE_MIN_MAX:
        js_key(j, "minRange");
        js_real(j, n->v[0]);
        js_key(j, "maxRange");
        js_real(j, n->v[1]);
        js_key(j, "maxPixelVal");
        js_real(j, n->v[2]);
        break;
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        js_key(j, "fitLabel");
        js_lit(j, fit ? "true" : "false");
        js_key(j, "numInputs");
        js_int(j, n->nin);
        if (!std) {
            js_key(j, "targetMin");
            js_real(j, n->v[0]);
            js_key(j, "targetMax");
            js_real(j, n->v[1]);
        }
        js_key(j, std ? "featureMean" : "featureMin");
        js_array_list(j, n->ia, n->nin, 1);
        js_key(j, std ? "featureStd" : "featureMax");
        js_array_list(j, n->ib, n->nin, 1);
        js_key(j, "numOutputs");
        if (fit) {
            js_int(j, n->nout);
        } else {
            js_lit(j, "null");
        }
        js_key(j, std ? "labelMean" : "labelMin");
        js_array_list(j, n->oa, n->nout, fit);
        js_key(j, std ? "labelStd" : "labelMax");
        js_array_list(j, n->ob, n->nout, fit);
        break;
    case DLZ_NORM_MULTI_HYBRID:
        js_key(j, "inputStats");
        js_hybrid_map(j, &n->side[0], 1);
        js_key(j, "outputStats");
        js_hybrid_map(j, &n->side[1], 1);
        js_key(j, "globalInputStrategy");
        js_strategy(j, n->side[0].global_kind, n->side[0].global_lo, n->side[0].global_hi);
        js_key(j, "globalOutputStrategy");
        js_strategy(j, n->side[1].global_kind, n->side[1].global_lo, n->side[1].global_hi);
        js_key(j, "perInputStrategies");
        js_hybrid_map(j, &n->side[0], 0);
        js_key(j, "perOutputStrategies");
        js_hybrid_map(j, &n->side[1], 0);
        break;
    case DLZ_NORM_CUSTOM:
        js_key(j, "bodyLength");
        js_int(j, (int64_t)n->body_len);
        break;
    default:
        break;
    }
    js_close(j, "}");
}

int dlz_normalizer_to_json(const dlz_normalizer *n, unsigned flags, char **json, size_t *len) {
    if (json != NULL) {
        *json = NULL;
    }
    if (len != NULL) {
        *len = 0;
    }
    if (n == NULL || json == NULL || (flags & ~(unsigned)DLZ_JSON_PRETTY) != 0) {
        return DLZ_EMISUSE;
    }
    js *j = dlzi_calloc(1, sizeof *j);
    if (j == NULL) {
        return DLZ_ENOMEM;
    }
    j->pretty = (flags & DLZ_JSON_PRETTY) != 0;
    js_normalizer(j, n);
    if (j->oom || j->p == NULL) {
        dlzi_free(j->p);
        dlzi_free(j);
        return DLZ_ENOMEM;
    }
    *json = j->p;
    if (len != NULL) {
        *len = j->len;
    }
    dlzi_free(j);
    return DLZ_OK;
}
