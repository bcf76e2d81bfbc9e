/* model.c - the model layer: the reader, writer and editor entry points that
 * take or give decoded normalizers, Java values, the parameter table and the
 * network description.
 *
 * Layers, from the bottom: streams (in.c, out.c; java.c, json.c) -> record
 * codecs (array.c, normalizer*.c, jser_*.c, params.c), which know nothing of
 * archives -> container (reader.c, writer.c, edit.c, zipwrite.c), which moves
 * entries as bytes -> this file, which joins the two -> the CLI.  Each function here
 * moves the entry as bytes through the container's _raw function and runs
 * the codec on them; failures of either are reported on the handle. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

int dlz_reader_read_normalizer(dlz_reader *r, dlz_normalizer **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (out == NULL) {
        return dlzi_reader_fail(r, DLZ_EMISUSE, "dlz_reader_read_normalizer: NULL out");
    }
    /* Decoded as it is read: the bytes are never held, only the arrays. */
    dlzi_entry_stream *s;
    dlzi_rd *rd;
    int rc = dlzi_reader_stream_open(r, "normalizer.bin", &s, &rd);
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t lim = dlz_reader_get_limit(r, DLZ_LIMIT_ARRAY_BYTES);
    rc = dlzi_normalizer_decode_rd(rd, lim >= 0 ? (uint64_t)lim : 0, out);
    rc = dlzi_reader_stream_close(r, s, rc);
    if (rc != DLZ_OK && *out != NULL) {
        dlz_normalizer_free(*out);
        *out = NULL;
    }
    return rc;
}

int dlz_reader_read_object(dlz_reader *r, const char *key, dlz_value **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (out == NULL) {
        return dlzi_reader_fail(r, DLZ_EMISUSE, "dlz_reader_read_object: NULL out");
    }
    void *buf = NULL;
    size_t len = 0;
    int rc = dlz_reader_read_object_raw(r, key, &buf, &len);
    if (rc != DLZ_OK) {
        return rc;
    }
    char msg[400];
    rc = dlz_value_decode(buf, len, 0, out, msg, sizeof msg);
    dlz_free(buf);
    if (rc != DLZ_OK) {
        return dlzi_reader_fail(r, rc, "objects/%s: %s", key, msg);
    }
    return DLZ_OK;
}

/* A codec of configuration.json run on the open archive's configuration,
   within the reader's JSON budget. */
typedef int (*config_codec)(const char *json, size_t len, unsigned flags,
                            const dlzi_json_budget *budget, void *out, dlzi_err *err);

static int read_config(dlz_reader *r, unsigned flags, config_codec codec, void *out) {
    const char *json;
    size_t len;
    int rc = dlz_reader_configuration(r, &json, &len);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_err err;
    dlzi_err_clear(&err);
    dlzi_json_budget budget = dlzi_reader_json_budget(r);
    rc = codec(json, len, flags, &budget, out, &err);
    if (rc != DLZ_OK) {
        return dlzi_reader_fail(r, rc, "%s", err.msg);
    }
    return DLZ_OK;
}

static int params_codec(const char *json, size_t len, unsigned flags,
                        const dlzi_json_budget *budget, void *out, dlzi_err *err) {
    return dlzi_params_parse(json, len, flags, budget, (dlz_params **)out, err);
}

static int network_codec(const char *json, size_t len, unsigned flags,
                         const dlzi_json_budget *budget, void *out, dlzi_err *err) {
    (void)flags;
    return dlzi_network_parse(json, len, budget, (dlz_network **)out, err);
}

int dlz_reader_read_params(dlz_reader *r, unsigned flags, dlz_params **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (out == NULL) {
        return dlzi_reader_fail(r, DLZ_EMISUSE, "dlz_reader_read_params: NULL out");
    }
    return read_config(r, flags, params_codec, out);
}

int dlz_reader_read_network(dlz_reader *r, dlz_network **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (out == NULL) {
        return dlzi_reader_fail(r, DLZ_EMISUSE, "dlz_reader_read_network: NULL out");
    }
    return read_config(r, 0, network_codec, out);
}

int dlz_writer_put_normalizer(dlz_writer *w, const dlz_normalizer *n) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (n == NULL) {
        return dlzi_writer_fail(w, DLZ_EMISUSE, "dlz_writer_put_normalizer: NULL normalizer");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_normalizer_encode(n, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_writer_fail(w, rc, "normalizer.bin: %s", msg);
    }
    rc = dlz_writer_put_normalizer_raw(w, buf, len);
    dlz_free(buf);
    return rc;
}

int dlz_writer_put_object(dlz_writer *w, const char *key, const dlz_value *v) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (v == NULL) {
        return dlzi_writer_fail(w, DLZ_EMISUSE, "dlz_writer_put_object: NULL value");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_value_encode(v, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_writer_fail(w, rc, "objects/%s: %s", key ? key : "(null)", msg);
    }
    rc = dlz_writer_put_object_raw(w, key, buf, len);
    dlz_free(buf);
    return rc;
}

int dlz_editor_set_normalizer(dlz_editor *e, const dlz_normalizer *n) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (n == NULL) {
        return dlzi_editor_fail(e, DLZ_EMISUSE, "dlz_editor_set_normalizer: NULL normalizer");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_normalizer_encode(n, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_editor_fail(e, rc, "normalizer.bin: %s", msg);
    }
    rc = dlz_editor_set_normalizer_raw(e, buf, len);
    dlz_free(buf);
    return rc;
}

int dlz_editor_put_object(dlz_editor *e, const char *key, const dlz_value *v) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (v == NULL) {
        return dlzi_editor_fail(e, DLZ_EMISUSE, "dlz_editor_put_object: NULL value");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_value_encode(v, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_editor_fail(e, rc, "objects/%s: %s", key ? key : "(null)", msg);
    }
    rc = dlz_editor_put_object_raw(e, key, buf, len);
    dlz_free(buf);
    return rc;
}

/* ---- dlz_export_put_model ---------------------------------------------------- */

/* One tensor of a model export: a parameter, a state sub-array, or an array
   (the normalizer's, or a 0-d range value). */
typedef enum mt_source { MT_PARAM, MT_STATE, MT_ARRAY } mt_source;

typedef struct mtensor {
    char *name;
    mt_source src;
    size_t param;           /* MT_PARAM, MT_STATE: table index */
    int state;              /* MT_STATE: state sub-array */
    const dlz_array *array; /* MT_ARRAY */
    dlz_dtype dtype;        /* as written */
    int rank;
    int64_t shape[DLZ_MAX_RANK];
} mtensor;

/* What a model export reads; kept by the export until its tensors are
   written (safetensors: until close). */
typedef struct mexport {
    dlz_export *e;
    dlz_reader *r;
    int widen; /* .npz: BFLOAT16 is written as FLOAT */
    dlz_params *p;
    dlz_array *coef;  /* NULL: no parameters */
    dlz_array *state; /* NULL: no updater state (or not asked for) */
    dlz_normalizer *norm;
    dlz_array **scalars;
    size_t nscalars;
    mtensor *t;
    size_t nt, cap;
} mexport;

static void mexport_free(void *ctx) {
    mexport *m = ctx;
    for (size_t i = 0; i < m->nt; i++) {
        dlzi_free(m->t[i].name);
    }
    dlzi_free(m->t);
    for (size_t i = 0; i < m->nscalars; i++) {
        dlz_array_free(m->scalars[i]);
    }
    dlzi_free(m->scalars);
    dlz_normalizer_free(m->norm);
    dlz_array_free(m->state);
    dlz_array_free(m->coef);
    dlz_params_free(m->p);
    dlzi_free(m);
}

static int m_oom(mexport *m) {
    return dlzi_export_fail(m->e, DLZ_ENOMEM, "out of memory");
}

static int m_reader_failed(mexport *m, int rc) {
    return dlzi_export_fail(m->e, rc, "%s", dlz_reader_errmsg(m->r));
}

static int m_params_failed(mexport *m, int rc) {
    return dlzi_export_fail(m->e, rc, "%s", dlz_params_errmsg(m->p));
}

/* Appends a tensor named by fmt with its source, type and shape. */
static int m_add(mexport *m, mt_source src, dlz_dtype dtype, int rank, const int64_t *shape,
                 const char *fmt, ...) DLZI_PRINTF(6, 7);

static int m_add(mexport *m, mt_source src, dlz_dtype dtype, int rank, const int64_t *shape,
                 const char *fmt, ...) {
    if (m->nt == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 32;
        mtensor *t = dlzi_realloc(m->t, cap * sizeof *t);
        if (t == NULL) {
            return m_oom(m);
        }
        m->t = t;
        m->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *name = n >= 0 ? dlzi_malloc((size_t)n + 1) : NULL;
    if (name == NULL) {
        return m_oom(m);
    }
    va_start(ap, fmt);
    vsnprintf(name, (size_t)n + 1, fmt, ap);
    va_end(ap);
    mtensor *t = &m->t[m->nt++];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->src = src;
    t->dtype = m->widen && dtype == DLZ_DTYPE_BFLOAT16 ? DLZ_DTYPE_FLOAT : dtype;
    t->rank = rank;
    uint64_t len = 1;
    for (int d = 0; d < rank; d++) {
        t->shape[d] = shape[d];
        if (shape[d] < 0 || (shape[d] > 0 && len > UINT64_MAX / 8 / (uint64_t)shape[d])) {
            return dlzi_export_fail(m->e, DLZ_EFORMAT, "tensor '%s': its sizes overflow", name);
        }
        len *= (uint64_t)shape[d];
    }
    return DLZ_OK;
}

static int m_add_params(mexport *m) {
    size_t n = dlz_params_count(m->p);
    for (size_t i = 0; i < n; i++) {
        dlz_param_info pi;
        int rc = dlz_params_get(m->p, i, &pi);
        if (rc != DLZ_OK) {
            return m_params_failed(m, rc);
        }
        rc = m_add(m, MT_PARAM, dlz_array_dtype(m->coef), pi.rank, pi.shape, "%s", pi.name);
        if (rc != DLZ_OK) {
            return rc;
        }
        m->t[m->nt - 1].param = i;
    }
    return DLZ_OK;
}

/* updater/LAYER/KEY/STATE, block by block. */
static int m_add_state(mexport *m) {
    size_t nb = dlz_params_updater_block_count(m->p);
    for (size_t b = 0; b < nb; b++) {
        dlz_updater_block blk;
        int rc = dlz_params_updater_block(m->p, b, &blk);
        if (rc != DLZ_OK) {
            return m_params_failed(m, rc);
        }
        for (size_t i = blk.first_param; i < blk.first_param + blk.param_count; i++) {
            dlz_param_info pi;
            if ((rc = dlz_params_get(m->p, i, &pi)) != DLZ_OK) {
                return m_params_failed(m, rc);
            }
            for (int k = 0; k < blk.state_count; k++) {
                rc = m_add(m, MT_STATE, dlz_array_dtype(m->state), pi.rank, pi.shape,
                           "updater/%s/%s", pi.name, blk.state_names[k]);
                if (rc != DLZ_OK) {
                    return rc;
                }
                m->t[m->nt - 1].param = i;
                m->t[m->nt - 1].state = k;
            }
        }
    }
    return DLZ_OK;
}

/* normalizer/FIELD, or normalizer/FIELD/INDEX when @p index >= 0. */
static int m_add_array(mexport *m, const dlz_array *a, const char *field, int index) {
    int rc = index < 0 ? m_add(m, MT_ARRAY, a->dtype, a->rank, a->shape, "normalizer/%s", field)
                       : m_add(m, MT_ARRAY, a->dtype, a->rank, a->shape, "normalizer/%s/%d", field,
                               index);
    if (rc == DLZ_OK) {
        m->t[m->nt - 1].array = a;
    }
    return rc;
}

/* normalizer/FIELD as a 0-d DOUBLE tensor. */
static int m_add_scalar(mexport *m, const char *field, double v) {
    dlz_array **s = dlzi_realloc(m->scalars, (m->nscalars + 1) * sizeof *s);
    if (s == NULL) {
        return m_oom(m);
    }
    m->scalars = s;
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_array_new(DLZ_DTYPE_DOUBLE, 0, NULL, 'c', &s[m->nscalars], &err);
    if (rc != DLZ_OK) {
        return dlzi_export_fail(m->e, rc, "%s", err.msg);
    }
    dlz_array *a = s[m->nscalars++];
    memcpy(a->data, &v, sizeof v);
    return m_add_array(m, a, field, -1);
}

static int m_stats_failed(mexport *m) {
    return dlzi_export_fail(m->e, DLZ_EFORMAT, "normalizer statistics cannot be read");
}

/* The statistics pair of input/output @p index: names[0] and names[1] for
   standardize statistics, names[2] and names[3] for min-max.  @p index -1:
   single normalizers (statistics index 0, no index in the name). */
static int m_add_pair(mexport *m, int labels, int index, const char *const names[4]) {
    dlz_norm_strategy kind;
    const dlz_array *a, *b;
    int rc = dlz_normalizer_stats(m->norm, labels, index < 0 ? 0 : index, &kind, &a, &b);
    if (rc == DLZ_ENOTFOUND) {
        return DLZ_OK;
    }
    if (rc != DLZ_OK) {
        return m_stats_failed(m);
    }
    int mm = kind == DLZ_NORM_STRATEGY_MIN_MAX;
    rc = m_add_array(m, a, names[mm ? 2 : 0], index);
    return rc == DLZ_OK ? m_add_array(m, b, names[mm ? 3 : 1], index) : rc;
}

static int m_add_range(mexport *m, const char *lo_name, const char *hi_name) {
    double lo, hi;
    if (dlz_normalizer_range(m->norm, &lo, &hi) != DLZ_OK) {
        return dlzi_export_fail(m->e, DLZ_EFORMAT, "normalizer range cannot be read");
    }
    int rc = m_add_scalar(m, lo_name, lo);
    return rc == DLZ_OK ? m_add_scalar(m, hi_name, hi) : rc;
}

/* MULTI_HYBRID: the statistics of every index of one side, in stream order
   (an index a stream repeats once, with the entry that counts). */
static int m_add_hybrid_side(mexport *m, int outputs) {
    static const char *const stat_names[4] = {"mean", "std", "lower", "upper"};
    const char *side = outputs ? "outputStats" : "inputStats";
    int n = dlz_normalizer_hybrid_stats_count(m->norm, outputs);
    for (int i = 0; i < n; i++) {
        int index, seen = 0;
        if (dlz_normalizer_hybrid_stats_entry(m->norm, outputs, i, &index, NULL, NULL, NULL) !=
            DLZ_OK) {
            return m_stats_failed(m);
        }
        for (int k = 0; k < i && !seen; k++) {
            int other;
            seen = dlz_normalizer_hybrid_stats_entry(m->norm, outputs, k, &other, NULL, NULL,
                                                     NULL) == DLZ_OK &&
                   other == index;
        }
        if (seen) {
            continue;
        }
        dlz_norm_strategy kind;
        const dlz_array *ab[2];
        if (dlz_normalizer_stats(m->norm, outputs, index, &kind, &ab[0], &ab[1]) != DLZ_OK) {
            return m_stats_failed(m);
        }
        const char *const *names = kind == DLZ_NORM_STRATEGY_MIN_MAX ? stat_names + 2 : stat_names;
        for (int k = 0; k < 2; k++) {
            int rc = m_add(m, MT_ARRAY, ab[k]->dtype, ab[k]->rank, ab[k]->shape,
                           "normalizer/%s/%d/%s", side, index, names[k]);
            if (rc != DLZ_OK) {
                return rc;
            }
            m->t[m->nt - 1].array = ab[k];
        }
    }
    return DLZ_OK;
}

static int m_add_multi(mexport *m, const char *const feature[4], const char *const label[4]) {
    int nin = dlz_normalizer_num_inputs(m->norm);
    int nout = dlz_normalizer_num_outputs(m->norm);
    int rc = DLZ_OK;
    for (int i = 0; rc == DLZ_OK && i < nin; i++) {
        rc = m_add_pair(m, 0, i, feature);
    }
    for (int i = 0; rc == DLZ_OK && i < nout; i++) {
        rc = m_add_pair(m, 1, i, label);
    }
    return rc;
}

static int m_add_normalizer(mexport *m) {
    static const char *const single[4] = {"mean", "std", "min", "max"};
    static const char *const single_label[4] = {"labelMean", "labelStd", "labelMin", "labelMax"};
    static const char *const feature[4] = {"featureMean", "featureStd", "featureMin", "featureMax"};
    dlz_norm_type type = dlz_normalizer_type(m->norm);
    double v;
    int rc;
    switch (type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
        rc = m_add_pair(m, 0, -1, single);
        if (rc == DLZ_OK) {
            rc = m_add_pair(m, 1, -1, single_label);
        }
        return rc == DLZ_OK && type == DLZ_NORM_MIN_MAX ? m_add_range(m, "targetMin", "targetMax")
                                                        : rc;
    case DLZ_NORM_IMAGE_MIN_MAX:
        if ((rc = m_add_range(m, "minRange", "maxRange")) != DLZ_OK) {
            return rc;
        }
        if (dlz_normalizer_max_pixel_value(m->norm, &v) != DLZ_OK) {
            return dlzi_export_fail(m->e, DLZ_EFORMAT, "normalizer maxPixelVal cannot be read");
        }
        return m_add_scalar(m, "maxPixelVal", v);
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        rc = m_add_multi(m, feature, single_label);
        return rc == DLZ_OK && type == DLZ_NORM_MULTI_MIN_MAX
                   ? m_add_range(m, "targetMin", "targetMax")
                   : rc;
    case DLZ_NORM_MULTI_HYBRID:
        rc = m_add_hybrid_side(m, 0);
        return rc == DLZ_OK ? m_add_hybrid_side(m, 1) : rc;
    default:
        break;
    }
    const char *name = dlz_normalizer_type_name(type);
    return dlzi_export_fail(m->e, DLZ_EUNSUPPORTED,
                            "the normalizer (%s) has no statistics to export",
                            name != NULL ? name : "of an unknown type");
}

static int m_read_updater(mexport *m) {
    int rc = dlz_params_updater_status(m->p);
    if (rc != DLZ_OK) {
        return m_params_failed(m, rc);
    }
    rc = dlz_reader_read_updater(m->r, &m->state);
    if (rc == DLZ_ENOTFOUND) {
        if (dlz_params_updater_total(m->p) > 0) {
            return dlzi_export_fail(m->e, DLZ_ENOTFOUND,
                                    "no updaterState.bin: the model was saved without its "
                                    "updater state");
        }
        return DLZ_OK; /* stateless updaters (Sgd, NoOp) */
    }
    if (rc != DLZ_OK) {
        return m_reader_failed(m, rc);
    }
    rc = dlz_params_updater_check(m->p, m->state);
    return rc == DLZ_OK ? DLZ_OK : m_params_failed(m, rc);
}

static int m_read_normalizer(mexport *m) {
    int rc = dlz_reader_read_normalizer(m->r, &m->norm);
    if (rc == DLZ_ENOTFOUND) {
        return dlzi_export_fail(m->e, DLZ_ENOTFOUND,
                                "no normalizer.bin: the model has no normalizer");
    }
    return rc == DLZ_OK ? DLZ_OK : m_reader_failed(m, rc);
}

static int m_compare_names(const void *a, const void *b) {
    const mtensor *const *x = a;
    const mtensor *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Two tensors with one name cannot be stored (a graph vertex named
   "updater/..." or "normalizer" could make one); every name must also be
   new to the export and every type one the format holds. */
static int m_check_names(mexport *m) {
    for (size_t i = 0; i < m->nt; i++) {
        int rc = dlzi_export_check(m->e, m->t[i].name, m->t[i].dtype);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    if (m->nt < 2) {
        return DLZ_OK;
    }
    const mtensor **v = dlzi_malloc(m->nt * sizeof *v);
    if (v == NULL) {
        return m_oom(m);
    }
    for (size_t i = 0; i < m->nt; i++) {
        v[i] = &m->t[i];
    }
    qsort(v, m->nt, sizeof *v, m_compare_names);
    int rc = DLZ_OK;
    for (size_t i = 1; i < m->nt && rc == DLZ_OK; i++) {
        if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
            rc = dlzi_export_fail(m->e, DLZ_EUNSUPPORTED, "two tensors would be named '%s'",
                                  v[i]->name);
        }
    }
    dlzi_free(v);
    return rc;
}

/* Reads and checks everything, and lists the tensors; nothing is staged. */
static int m_gather(mexport *m, unsigned flags) {
    if (dlz_reader_kind(m->r) == DLZ_KIND_ARRAY) {
        return dlzi_export_fail(m->e, DLZ_EMISUSE,
                                "a bare ND4J array file, not a model archive; it has no named "
                                "parameters");
    }
    int rc = dlz_reader_read_params(m->r, flags & DLZ_PARAMS_ASSUME_DENSE, &m->p);
    if (rc == DLZ_OK) {
        rc = dlz_reader_read_coefficients(m->r, &m->coef);
    }
    if (rc != DLZ_OK) {
        return m_reader_failed(m, rc);
    }
    if ((rc = dlz_params_check(m->p, m->coef)) != DLZ_OK) {
        return m_params_failed(m, rc);
    }
    if ((flags & DLZ_EXPORT_UPDATER) && (rc = m_read_updater(m)) != DLZ_OK) {
        return rc;
    }
    if ((flags & DLZ_EXPORT_NORMALIZER) && (rc = m_read_normalizer(m)) != DLZ_OK) {
        return rc;
    }
    if ((rc = m_add_params(m)) != DLZ_OK || (m->state != NULL && (rc = m_add_state(m)) != DLZ_OK) ||
        (m->norm != NULL && (rc = m_add_normalizer(m)) != DLZ_OK)) {
        return rc;
    }
    return m_check_names(m);
}

/* dlzi_export_source_fn of parameters and state sub-arrays: tag is the
   index of the tensor. */
static int m_source(void *ctx, size_t tag, dlz_array **out, dlzi_err *err) {
    mexport *m = ctx;
    const mtensor *t = &m->t[tag];
    int rc = t->src == MT_PARAM
                 ? dlz_params_extract(m->p, t->param, m->coef, 'c', out)
                 : dlz_params_extract_state(m->p, t->param, t->state, m->state, 'c', out);
    return rc == DLZ_OK ? DLZ_OK : dlzi_err_set(err, rc, "%s", dlz_params_errmsg(m->p));
}

/* configuration.json as metadata text: as it is when it is UTF-8, else with
   every byte read as Latin-1 (older DL4J wrote the platform charset). */
static int m_set_configuration(mexport *m) {
    const char *text;
    size_t len;
    int rc = dlz_reader_configuration(m->r, &text, &len);
    if (rc != DLZ_OK) {
        return m_reader_failed(m, rc);
    }
    if (dlzi_utf8_valid(text, len, NULL)) {
        return dlzi_export_set_metadata(m->e, "dl4j_configuration", text, len);
    }
    char *u = len <= (SIZE_MAX - 1) / 2 ? dlzi_malloc(2 * len + 1) : NULL;
    if (u == NULL) {
        return m_oom(m);
    }
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80) {
            u[k++] = (char)c;
        } else {
            u[k++] = (char)(0xC0 | c >> 6);
            u[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    rc = dlzi_export_set_metadata(m->e, "dl4j_configuration", u, k);
    dlzi_free(u);
    return rc;
}

static int m_set_metadata(mexport *m) {
    int rc = dlz_export_set_metadata(m->e, "source", "dl4j");
    if (rc == DLZ_OK) {
        rc = dlz_export_set_metadata(m->e, "kind", dlz_kind_name(dlz_params_kind(m->p)));
    }
    if (rc == DLZ_OK) {
        rc = m_set_configuration(m);
    }
    if (rc == DLZ_OK && m->norm != NULL) {
        char *text = NULL;
        rc = dlz_normalizer_to_json(m->norm, 0, &text, NULL);
        rc = rc == DLZ_OK ? dlz_export_set_metadata(m->e, "dl4j_normalizer", text) : m_oom(m);
        dlz_free(text);
    }
    return rc;
}

int dlz_export_put_model(dlz_export *e, dlz_reader *r, unsigned flags) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    int rc = dlzi_export_check_open(e, "dlz_export_put_model");
    if (rc != DLZ_OK) {
        return rc;
    }
    int format = dlzi_export_format(e);
    if (r == NULL ||
        (flags & ~(DLZ_PARAMS_ASSUME_DENSE | DLZ_EXPORT_UPDATER | DLZ_EXPORT_NORMALIZER)) != 0) {
        return dlzi_export_fail(e, DLZ_EMISUSE, "dlz_export_put_model: %s",
                                r == NULL ? "NULL reader" : "unknown flags");
    }
    if (format != DLZ_EXPORT_SAFETENSORS && format != DLZ_EXPORT_NPZ && format != DLZ_EXPORT_ONNX) {
        return dlzi_export_fail(e, DLZ_EMISUSE,
                                "%s holds one array: export a model to safetensors or .npz",
                                format == DLZ_EXPORT_NPY ? "a .npy file" : "an ND4J array file");
    }
    if (format == DLZ_EXPORT_ONNX) {
        if (flags != 0) {
            return dlzi_export_fail(e, DLZ_EMISUSE,
                                    "an ONNX export takes no flags (the network and its weights)");
        }
        dlzi_err err = {0};
        dlzi_pb model;
        rc = dlzi_onnx_model(r, &model, &err);
        if (rc != DLZ_OK) {
            return dlzi_export_fail(e, rc, "%s", err.msg);
        }
        return dlzi_export_put_onnx(e, &model);
    }
    mexport *m = dlzi_calloc(1, sizeof *m);
    if (m == NULL) {
        return dlzi_export_fail(e, DLZ_ENOMEM, "out of memory");
    }
    m->e = e;
    m->r = r;
    m->widen = format == DLZ_EXPORT_NPZ;
    rc = m_gather(m, flags);
    if (rc != DLZ_OK) {
        mexport_free(m);
        return rc;
    }
    /* From here on a failure cannot be taken back: the export fails.  A
       safetensors export keeps m until close, when it writes the data. */
    int staged = format == DLZ_EXPORT_SAFETENSORS;
    if (staged && (rc = dlzi_export_keep(e, m, mexport_free)) != DLZ_OK) {
        return rc; /* m is released, nothing staged yet */
    }
    for (size_t i = 0; rc == DLZ_OK && i < m->nt; i++) {
        const mtensor *t = &m->t[i];
        rc = dlzi_export_put(e, t->name, t->dtype, t->rank, t->shape, t->array,
                             t->array != NULL ? NULL : m_source, m, i);
    }
    if (rc == DLZ_OK && staged) {
        rc = m_set_metadata(m);
    }
    m->r = NULL; /* the export must not use the reader later */
    if (!staged) {
        mexport_free(m);
    }
    return rc == DLZ_OK ? DLZ_OK : dlzi_export_abort(e, rc);
}
