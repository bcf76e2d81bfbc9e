/* fuzz_normalizer.c - libFuzzer target for normalizer.bin: decode any bytes
 * (arrays limited to 64 MiB); on success read every accessor, render JSON,
 * check that the encoding decodes to a normalizer that encodes and renders
 * identically, and apply every transform to small arrays sized to match the
 * statistics. */
#include <jansson.h>

#include "fuzz.h"
#include "internal.h"

int dlz_fuzz_wants_entry(const char *name) {
    return strcmp(name, "normalizer.bin") == 0;
}

/* Largest feature count the transforms are tried on. */
#define MAX_FEATURES 4096

static char *render(const dlz_normalizer *n, unsigned flags) {
    char *json = NULL;
    size_t len = 0;
    int rc = dlz_normalizer_to_json(n, flags, &json, &len);
    FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
    if (rc == DLZ_OK) {
        FUZZ_CHECK(json != NULL && strlen(json) == len);
        fuzz_check_json_text(json, len);
    }
    return json;
}

typedef int (*apply_fn)(const dlz_normalizer *, int, dlz_array *, char *, size_t);

/* Applies fn to a FLOAT or DOUBLE array of @p rank with @p nf features in
   dimension 1 (dimension 0 for rank 1), filled from a simple pattern. */
static void try_apply(const dlz_normalizer *n, apply_fn fn, int index, dlz_dtype dt, int rank,
                      int64_t nf) {
    int64_t shape[4] = {2, nf, 3, 2};
    if (rank == 1) {
        shape[0] = nf;
    }
    dlz_array *a = NULL;
    if (dlz_array_new(dt, rank, shape, rank == 3 ? 'f' : 'c', &a, NULL, 0) != DLZ_OK) {
        return;
    }
    int64_t len = dlz_array_length(a);
    for (int64_t i = 0; i < len; i++) {
        double v = (double)(i % 7) * 0.75 - 2.0;
        if (dt == DLZ_DTYPE_FLOAT) {
            ((float *)dlz_array_data(a))[i] = (float)v;
        } else {
            ((double *)dlz_array_data(a))[i] = v;
        }
    }
    char msg[256];
    int rc = fn(n, index, a, msg, sizeof msg);
    if (rc != DLZ_OK) {
        FUZZ_CHECK(rc == DLZ_EMISUSE || rc == DLZ_EFORMAT || rc == DLZ_EUNSUPPORTED ||
                   rc == DLZ_ENOMEM);
        FUZZ_CHECK(fuzz_one_line(msg));
    }
    dlz_array_free(a);
}

/* Every transform for input or output @p index whose statistics have @p nf
   features. */
static void try_index(const dlz_normalizer *n, int labels, int index, int64_t nf) {
    if (nf < 0 || nf > MAX_FEATURES) {
        return;
    }
    apply_fn t = labels ? dlz_normalizer_transform_labels : dlz_normalizer_transform;
    apply_fn r = labels ? dlz_normalizer_revert_labels : dlz_normalizer_revert;
    try_apply(n, t, index, DLZ_DTYPE_FLOAT, 2, nf);
    try_apply(n, r, index, DLZ_DTYPE_FLOAT, 2, nf);
    try_apply(n, t, index, DLZ_DTYPE_DOUBLE, 3, nf);
    try_apply(n, r, index, DLZ_DTYPE_DOUBLE, 1, nf);
    try_apply(n, t, index, DLZ_DTYPE_FLOAT, 4, nf);
    /* A feature count that does not match. */
    try_apply(n, t, index, DLZ_DTYPE_DOUBLE, 2, nf + 1);
}

static void check_pair(const dlz_array *a, const dlz_array *b) {
    FUZZ_CHECK(a != NULL && b != NULL);
    FUZZ_CHECK(dlz_dtype_name(dlz_array_dtype(a)) != NULL);
    FUZZ_CHECK(dlz_dtype_name(dlz_array_dtype(b)) != NULL);
}

static void accessors(const dlz_normalizer *n) {
    dlz_norm_type t = dlz_normalizer_type(n);
    FUZZ_CHECK(dlz_normalizer_type_name(t) != NULL);
    FUZZ_CHECK(dlz_normalizer_java_class(n) != NULL);
    int fit = dlz_normalizer_fit_label(n);
    FUZZ_CHECK(fit == 0 || fit == 1);
    int nin = dlz_normalizer_num_inputs(n), nout = dlz_normalizer_num_outputs(n);
    FUZZ_CHECK(nin >= 0 && nout >= 0);
    double lo, hi, px;
    int rc = dlz_normalizer_range(n, &lo, &hi);
    FUZZ_CHECK((rc == DLZ_OK) == (t == DLZ_NORM_MIN_MAX || t == DLZ_NORM_MULTI_MIN_MAX ||
                                  t == DLZ_NORM_IMAGE_MIN_MAX));
    rc = dlz_normalizer_max_pixel_value(n, &px);
    FUZZ_CHECK((rc == DLZ_OK) == (t == DLZ_NORM_IMAGE_MIN_MAX));
    size_t blen = 0;
    const char *cc = dlz_normalizer_custom_class(n);
    const void *body = dlz_normalizer_custom_body(n, &blen);
    FUZZ_CHECK((cc != NULL) == (t == DLZ_NORM_CUSTOM) && (body != NULL) == (t == DLZ_NORM_CUSTOM));

    if (t == DLZ_NORM_MULTI_HYBRID) {
        for (int labels = 0; labels < 2; labels++) {
            dlz_norm_strategy k;
            double a, b;
            FUZZ_CHECK(dlz_normalizer_hybrid_global(n, labels, &k, &a, &b) == DLZ_OK);
            int ns = dlz_normalizer_hybrid_stats_count(n, labels);
            int nst = dlz_normalizer_hybrid_strategy_count(n, labels);
            FUZZ_CHECK(ns >= 0 && nst >= 0);
            for (int i = 0; i < ns; i++) {
                int index;
                const dlz_array *x, *y;
                FUZZ_CHECK(dlz_normalizer_hybrid_stats_entry(n, labels, i, &index, &k, &x, &y) ==
                           DLZ_OK);
                FUZZ_CHECK(k == DLZ_NORM_STRATEGY_STANDARDIZE || k == DLZ_NORM_STRATEGY_MIN_MAX);
                check_pair(x, y);
                const dlz_array *x2, *y2;
                FUZZ_CHECK(dlz_normalizer_stats(n, labels, index, NULL, &x2, &y2) == DLZ_OK);
                FUZZ_CHECK(dlz_normalizer_hybrid_strategy_for(n, labels, index, &k, &a, &b) ==
                           DLZ_OK);
                if (i < 8) {
                    try_index(n, labels, index, dlz_array_length(x2));
                }
            }
            FUZZ_CHECK(dlz_normalizer_hybrid_stats_entry(n, labels, ns, NULL, NULL, NULL, NULL) ==
                       DLZ_EMISUSE);
            for (int i = 0; i < nst; i++) {
                int index;
                FUZZ_CHECK(dlz_normalizer_hybrid_strategy_entry(n, labels, i, &index, &k, &a, &b) ==
                           DLZ_OK);
                FUZZ_CHECK(k == DLZ_NORM_STRATEGY_NONE || k == DLZ_NORM_STRATEGY_STANDARDIZE ||
                           k == DLZ_NORM_STRATEGY_MIN_MAX);
                if (i < 8) {
                    try_index(n, labels, index, 1);
                }
            }
        }
        return;
    }
    FUZZ_CHECK(dlz_normalizer_hybrid_stats_count(n, 0) == 0 &&
               dlz_normalizer_hybrid_global(n, 0, NULL, NULL, NULL) == DLZ_EMISUSE);
    if (t == DLZ_NORM_IMAGE_MIN_MAX) {
        int64_t shape[4] = {1, 2, 2, 2};
        dlz_array *a = NULL;
        if (dlz_array_new(DLZ_DTYPE_FLOAT, 4, shape, 'c', &a, NULL, 0) == DLZ_OK) {
            FUZZ_CHECK(dlz_normalizer_transform(n, 0, a, NULL, 0) == DLZ_OK);
            FUZZ_CHECK(dlz_normalizer_revert(n, 0, a, NULL, 0) == DLZ_OK);
            FUZZ_CHECK(dlz_normalizer_transform_labels(n, 0, a, NULL, 0) == DLZ_OK);
            dlz_array_free(a);
        }
        try_index(n, 1, 0, 3);
        return;
    }
    if (t == DLZ_NORM_STANDARDIZE || t == DLZ_NORM_MIN_MAX || t == DLZ_NORM_MULTI_STANDARDIZE ||
        t == DLZ_NORM_MULTI_MIN_MAX) {
        for (int labels = 0; labels < 2; labels++) {
            int count = labels ? nout : nin;
            for (int i = 0; i < count; i++) {
                dlz_norm_strategy k;
                const dlz_array *x, *y;
                FUZZ_CHECK(dlz_normalizer_stats(n, labels, i, &k, &x, &y) == DLZ_OK);
                check_pair(x, y);
                if (i < 8) {
                    try_index(n, labels, i, dlz_array_length(x));
                }
            }
            FUZZ_CHECK(dlz_normalizer_stats(n, labels, count, NULL, NULL, NULL) == DLZ_ENOTFOUND);
        }
        try_index(n, 0, nin, 1);
        return;
    }
    /* CUSTOM, JAVA_SERIALIZED: no statistics, no transform. */
    FUZZ_CHECK(dlz_normalizer_stats(n, 0, 0, NULL, NULL, NULL) == DLZ_EMISUSE);
    try_index(n, 0, 0, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    dlzi_err err;
    dlzi_err_clear(&err);
    dlz_normalizer *n = NULL;
    int rc = dlzi_normalizer_decode(data, size, FUZZ_ARRAY_LIMIT, "normalizer", &n, &err);
    if (rc != DLZ_OK) {
        FUZZ_CHECK(n == NULL);
        FUZZ_CHECK(rc == DLZ_EFORMAT || rc == DLZ_EUNSUPPORTED || rc == DLZ_ELIMIT ||
                   rc == DLZ_ENOMEM);
        FUZZ_CHECK(err.code == rc && fuzz_one_line(err.msg));
        return 0;
    }
    FUZZ_CHECK(n != NULL);
    accessors(n);
    char *j1 = render(n, 0);
    dlz_free(render(n, DLZ_JSON_PRETTY));

    void *b1 = NULL;
    size_t l1 = 0;
    char msg[256];
    rc = dlz_normalizer_encode(n, &b1, &l1, msg, sizeof msg);
    if (rc == DLZ_OK) {
        dlz_normalizer *m = NULL;
        dlzi_err_clear(&err);
        rc = dlzi_normalizer_decode(b1, l1, FUZZ_ARRAY_LIMIT, "re-encoded", &m, &err);
        if (rc != DLZ_OK) {
            fprintf(stderr, "re-decoding failed: %s\n", err.msg);
        }
        FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
        if (m != NULL) {
            char *j2 = render(m, 0);
            if (j1 != NULL && j2 != NULL && strcmp(j1, j2) != 0) {
                fprintf(stderr, "renderings differ:\n%.500s\n%.500s\n", j1, j2);
                FUZZ_CHECK(0);
            }
            dlz_free(j2);
            void *b2 = NULL;
            size_t l2 = 0;
            rc = dlz_normalizer_encode(m, &b2, &l2, msg, sizeof msg);
            FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
            FUZZ_CHECK(rc != DLZ_OK || (l1 == l2 && memcmp(b1, b2, l1) == 0));
            dlz_free(b2);
            dlz_normalizer_free(m);
        }
        dlz_free(b1);
    } else {
        FUZZ_CHECK(rc == DLZ_EUNSUPPORTED || rc == DLZ_ELIMIT || rc == DLZ_ENOMEM);
        FUZZ_CHECK(fuzz_one_line(msg));
        FUZZ_CHECK(rc != DLZ_EUNSUPPORTED || dlz_normalizer_type(n) == DLZ_NORM_JAVA_SERIALIZED ||
                   dlz_normalizer_type(n) == DLZ_NORM_IMAGE_VGG16);
    }
    dlz_free(j1);
    dlz_normalizer_free(n);
    return 0;
}
