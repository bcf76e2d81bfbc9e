/* normalizer_transform.c - DL4J's normalizer arithmetic: transform and
 * revert of features and labels in place, as StandardizeStrategy,
 * MinMaxStrategy and ImagePreProcessingScaler of DL4J 1.0.0-beta7 and
 * 1.0.0-M2.1 compute them, every step one IEEE operation rounded to the
 * array's type. */
/* See dlz-format(5), section NORMALIZER STREAMS. */
#include "internal.h"

#include <inttypes.h>

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
    return at == DLZ_DTYPE_FLOAT ? (double)dlzi_double_to_float(x) : x;
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
        t->kind = dlzi_norm_pair_kind(n);
        t->lo = n->v[0];
        t->hi = dlzi_java_max(n->v[1], n->v[0] + DLZI_EPS_THRESHOLD);
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
        const dlzi_norm_stats *st = dlzi_norm_find_stats(&n->side[labels != 0], index);
        if (st == NULL) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "%s %d has the strategy %s but the normalizer has no statistics "
                                "for it",
                                side_name(labels), index, dlzi_norm_strategy_names[k]);
        }
        if (st->kind != (int32_t)k) {
            return dlzi_err_set(err, DLZ_EFORMAT, "%s %d has the strategy %s but %s statistics",
                                side_name(labels), index, dlzi_norm_strategy_names[k],
                                dlzi_norm_strategy_names[st->kind]);
        }
        t->sa = st->a;
        t->sb = st->b;
        t->kind = k;
        t->lo = lo;
        t->hi = dlzi_java_max(hi, lo + DLZI_EPS_THRESHOLD);
        return DLZ_OK;
    }
    default:
        return dlzi_err_set(err, DLZ_EUNSUPPORTED, "cannot apply a %s normalizer%s%s",
                            dlzi_norm_type_names[n->type], n->cls != NULL ? " of class " : "",
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
        double eps = dlzi_norm_eps(sb->dtype);
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
    int padded = dlzi_norm_minmax_padded(sa, sb);
    for (int64_t j = 0; j < nf; j++) {
        double lo = dlzi_array_get_f64(sa, j), up = dlzi_array_get_f64(sb, j);
        if (padded) {
            up = dlzi_norm_op(ut, up, dlzi_norm_minmax_pad(sa, sb, j), +1);
        }
        p->p1[j] = to_a(at, lo);
        p->p2[j] = to_a(at, dlzi_norm_op(ut, up, lo, -1));
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
        if (!dlzi_norm_is_floating(t.sa->dtype) || !dlzi_norm_is_floating(t.sb->dtype)) {
            rc = dlzi_err_set(
                &err, DLZ_EUNSUPPORTED,
                "statistics of type %s cannot be applied (floating types only)",
                dlz_dtype_name(dlzi_norm_is_floating(t.sa->dtype) ? t.sb->dtype : t.sa->dtype));
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
