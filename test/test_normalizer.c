/* test_normalizer.c - normalizer.bin: every normalizer DL4J wrote into
 * fixtures/dl4j-<version>/ (standalone normalizer-*.bin streams and the
 * normalizer.bin entries of the archives) decoded field by field against
 * X.expected.json, re-encoded to the same bytes, rebuilt from scratch with
 * the constructors to the same bytes, and applied to DL4J's fixed inputs:
 * transform and revert must give DL4J's results bit for bit (every fixture
 * case is exact; the largest difference in ULPs is printed anyway).  Then
 * DL4J's edge cases (zero std, zero range, targetMax below targetMin),
 * shapes and strides, hostile streams (every prefix, forged counts, unknown
 * names, wrong version), allocation failures, JSON and the archive glue.
 * Fixtures: $DLZ_SOURCE_ROOT/fixtures (default ./fixtures). */
#include "testutil.h"

#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const versions[] = {"dl4j-1.0.0-M2.1", "dl4j-1.0.0-beta7"};
#define NVERSIONS 2

static char *fixture_dir(const char *version) {
    static char buf[4096];
    const char *root = getenv("DLZ_SOURCE_ROOT");
    snprintf(buf, sizeof buf, "%s/fixtures/%s", root != NULL ? root : ".", version);
    return buf;
}

static json_t *load_json(const char *path) {
    json_error_t jerr;
    json_t *j = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (j == NULL) {
        fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
    }
    return j;
}

/* The expected.json next to a fixture (X.bin or X.zip). */
static json_t *expected_for(const char *path) {
    char jp[4200];
    size_t l = strlen(path);
    snprintf(jp, sizeof jp, "%.*s.expected.json", (int)(l - 4), path);
    return load_json(jp);
}

static const char *base(const char *path) {
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

/* ------------------------------------------------------------------------ */
/* Arrays and doubles from expected.json                                     */

static dlz_dtype dtype_named(const char *s) {
    for (int t = 0; t < 16; t++) {
        const char *n = dlz_dtype_name((dlz_dtype)t);
        if (n != NULL && strcmp(n, s) == 0) {
            return (dlz_dtype)t;
        }
    }
    fail_msg("unknown dtype %s", s);
    return DLZ_DTYPE_FLOAT;
}

/* Big-endian bytes of all elements in logical C order, as hex (malloc'ed). */
static char *hex_of(const dlz_array *a) {
    size_t w = dlz_dtype_size(dlz_array_dtype(a));
    int64_t n = dlz_array_length(a);
    char *hex = malloc((size_t)n * w * 2 + 1);
    const unsigned char *d = dlz_array_cdata(a);
    for (int64_t i = 0; i < n; i++) {
        int64_t pos = 0, rest = i;
        for (int k = dlz_array_rank(a) - 1; k >= 0; k--) {
            pos += rest % dlz_array_shape(a)[k] * dlz_array_strides(a)[k];
            rest /= dlz_array_shape(a)[k];
        }
        for (size_t j = 0; j < w; j++) {
            snprintf(hex + ((size_t)i * w + j) * 2, 3, "%02x", d[(size_t)pos * w + w - 1 - j]);
        }
    }
    hex[(size_t)n * w * 2] = '\0';
    return hex;
}

/* A new dense 'c' array from an array summary (dtype, shape, values_hex). */
static dlz_array *array_from(json_t *s) {
    json_t *shape = json_object_get(s, "shape");
    int64_t sh[DLZ_MAX_RANK];
    int rank = (int)json_array_size(shape);
    for (int k = 0; k < rank; k++) {
        sh[k] = json_integer_value(json_array_get(shape, (size_t)k));
    }
    dlz_dtype t = dtype_named(json_string_value(json_object_get(s, "dtype")));
    dlz_array *a;
    assert_int_equal(dlz_array_new(t, rank, sh, 'c', &a, NULL, 0), DLZ_OK);
    size_t nb;
    unsigned char *b = tu_unhex(json_string_value(json_object_get(s, "values_hex")), &nb);
    size_t w = dlz_dtype_size(t);
    assert_int_equal(nb, dlz_array_nbytes(a));
    unsigned char *d = dlz_array_data(a);
    for (size_t i = 0; i < nb / w; i++) {
        for (size_t j = 0; j < w; j++) {
            d[i * w + j] = b[i * w + w - 1 - j];
        }
    }
    free(b);
    return a;
}

static void check_array(const char *what, json_t *exp, const dlz_array *a) {
    if (exp == NULL || json_is_null(exp)) {
        if (a != NULL) {
            fail_msg("%s: expected no array", what);
        }
        return;
    }
    if (a == NULL) {
        fail_msg("%s: array missing", what);
    }
    assert_string_equal(dlz_dtype_name(dlz_array_dtype(a)),
                        json_string_value(json_object_get(exp, "dtype")));
    json_t *shape = json_object_get(exp, "shape");
    assert_int_equal(dlz_array_rank(a), json_array_size(shape));
    for (int k = 0; k < dlz_array_rank(a); k++) {
        assert_int_equal(dlz_array_shape(a)[k],
                         json_integer_value(json_array_get(shape, (size_t)k)));
    }
    char *hex = hex_of(a);
    if (strcmp(hex, json_string_value(json_object_get(exp, "values_hex"))) != 0) {
        fail_msg("%s: values differ: %s vs %s", what, hex,
                 json_string_value(json_object_get(exp, "values_hex")));
    }
    free(hex);
}

static double bits_of(json_t *field) {
    size_t n;
    unsigned char *b = tu_unhex(json_string_value(json_object_get(field, "bits")), &n);
    assert_int_equal(n, 8);
    uint64_t u = dlzi_get_be64(b);
    free(b);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void check_double(const char *what, json_t *field, double v) {
    double want = bits_of(field);
    if (memcmp(&want, &v, sizeof v) != 0) {
        fail_msg("%s: %.17g, expected %.17g", what, v, want);
    }
}

/* ------------------------------------------------------------------------ */
/* Field-by-field comparison                                                 */

static void check_pairs(const dlz_normalizer *n, int labels, json_t *la, json_t *lb, int count) {
    assert_int_equal(json_array_size(la), count);
    for (int i = 0; i < count; i++) {
        const dlz_array *a, *b;
        assert_int_equal(dlz_normalizer_stats(n, labels, i, NULL, &a, &b), DLZ_OK);
        check_array("a", json_array_get(la, (size_t)i), a);
        check_array("b", json_array_get(lb, (size_t)i), b);
    }
    assert_int_equal(dlz_normalizer_stats(n, labels, count, NULL, NULL, NULL), DLZ_ENOTFOUND);
}

static dlz_norm_strategy kind_named(const char *s) {
    if (strcmp(s, "STANDARDIZE") == 0) {
        return DLZ_NORM_STRATEGY_STANDARDIZE;
    }
    assert_string_equal(s, "MIN_MAX");
    return DLZ_NORM_STRATEGY_MIN_MAX;
}

static void check_strategy(json_t *exp, dlz_norm_strategy k, double lo, double hi) {
    if (json_is_null(exp)) {
        assert_int_equal(k, DLZ_NORM_STRATEGY_NONE);
        return;
    }
    assert_int_equal(k, kind_named(json_string_value(json_object_get(exp, "kind"))));
    if (k == DLZ_NORM_STRATEGY_MIN_MAX) {
        check_double("minRange", json_object_get(exp, "minRange"), lo);
        check_double("maxRange", json_object_get(exp, "maxRange"), hi);
    }
}

static void check_hybrid(const dlz_normalizer *n, json_t *e) {
    static const char *const stats_keys[2] = {"inputStats", "outputStats"};
    static const char *const glob_keys[2] = {"globalInputStrategy", "globalOutputStrategy"};
    static const char *const per_keys[2] = {"perInputStrategies", "perOutputStrategies"};
    for (int side = 0; side < 2; side++) {
        json_t *st = json_object_get(e, stats_keys[side]);
        assert_int_equal(dlz_normalizer_hybrid_stats_count(n, side), json_object_size(st));
        assert_int_equal(side ? dlz_normalizer_num_outputs(n) : dlz_normalizer_num_inputs(n),
                         json_object_size(st));
        const char *key;
        json_t *v;
        json_object_foreach(st, key, v) {
            dlz_norm_strategy k;
            const dlz_array *a, *b;
            assert_int_equal(dlz_normalizer_stats(n, side, atoi(key), &k, &a, &b), DLZ_OK);
            assert_int_equal(k, kind_named(json_string_value(json_object_get(v, "kind"))));
            int std = k == DLZ_NORM_STRATEGY_STANDARDIZE;
            check_array("stats a", json_object_get(v, std ? "mean" : "lower"), a);
            check_array("stats b", json_object_get(v, std ? "std" : "upper"), b);
        }
        dlz_norm_strategy k;
        double lo, hi;
        assert_int_equal(dlz_normalizer_hybrid_global(n, side, &k, &lo, &hi), DLZ_OK);
        check_strategy(json_object_get(e, glob_keys[side]), k, lo, hi);
        json_t *per = json_object_get(e, per_keys[side]);
        int cnt = dlz_normalizer_hybrid_strategy_count(n, side);
        assert_int_equal(cnt, json_object_size(per));
        for (int i = 0; i < cnt; i++) {
            int idx;
            char ks[16];
            assert_int_equal(dlz_normalizer_hybrid_strategy_entry(n, side, i, &idx, &k, &lo, &hi),
                             DLZ_OK);
            snprintf(ks, sizeof ks, "%d", idx);
            json_t *exp = json_object_get(per, ks);
            assert_non_null(exp);
            check_strategy(exp, k, lo, hi);
        }
    }
}

static void check_fields(const dlz_normalizer *n, json_t *e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    assert_string_equal(dlz_normalizer_type_name(dlz_normalizer_type(n)), type);
    assert_string_equal(dlz_normalizer_java_class(n),
                        json_string_value(json_object_get(e, "java_class")));
    dlz_norm_type t = dlz_normalizer_type(n);
    int fit = json_is_true(json_object_get(e, "fitLabel"));
    double lo, hi, pix;
    switch (t) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX: {
        int std = t == DLZ_NORM_STANDARDIZE;
        assert_int_equal(dlz_normalizer_fit_label(n), fit);
        assert_int_equal(dlz_normalizer_num_inputs(n), 1);
        assert_int_equal(dlz_normalizer_num_outputs(n), fit);
        if (!std) {
            assert_int_equal(dlz_normalizer_range(n, &lo, &hi), DLZ_OK);
            check_double("targetMin", json_object_get(e, "targetMin"), lo);
            check_double("targetMax", json_object_get(e, "targetMax"), hi);
        } else {
            assert_int_equal(dlz_normalizer_range(n, &lo, &hi), DLZ_EMISUSE);
        }
        dlz_norm_strategy k;
        const dlz_array *a, *b;
        assert_int_equal(dlz_normalizer_stats(n, 0, 0, &k, &a, &b), DLZ_OK);
        assert_int_equal(k, std ? DLZ_NORM_STRATEGY_STANDARDIZE : DLZ_NORM_STRATEGY_MIN_MAX);
        check_array("mean/min", json_object_get(e, std ? "mean" : "min"), a);
        check_array("std/max", json_object_get(e, std ? "std" : "max"), b);
        a = b = NULL;
        int rc = dlz_normalizer_stats(n, 1, 0, &k, &a, &b);
        assert_int_equal(rc, fit ? DLZ_OK : DLZ_ENOTFOUND);
        check_array("labelMean/labelMin", json_object_get(e, std ? "labelMean" : "labelMin"), a);
        check_array("labelStd/labelMax", json_object_get(e, std ? "labelStd" : "labelMax"), b);
        break;
    }
    case DLZ_NORM_IMAGE_MIN_MAX:
        assert_int_equal(dlz_normalizer_range(n, &lo, &hi), DLZ_OK);
        assert_int_equal(dlz_normalizer_max_pixel_value(n, &pix), DLZ_OK);
        check_double("minRange", json_object_get(e, "minRange"), lo);
        check_double("maxRange", json_object_get(e, "maxRange"), hi);
        check_double("maxPixelVal", json_object_get(e, "maxPixelVal"), pix);
        assert_int_equal(dlz_normalizer_stats(n, 0, 0, NULL, NULL, NULL), DLZ_EMISUSE);
        break;
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX: {
        int std = t == DLZ_NORM_MULTI_STANDARDIZE;
        int nin = (int)json_integer_value(json_object_get(e, "numInputs"));
        assert_int_equal(dlz_normalizer_fit_label(n), fit);
        assert_int_equal(dlz_normalizer_num_inputs(n), nin);
        if (!std) {
            assert_int_equal(dlz_normalizer_range(n, &lo, &hi), DLZ_OK);
            check_double("targetMin", json_object_get(e, "targetMin"), lo);
            check_double("targetMax", json_object_get(e, "targetMax"), hi);
        }
        check_pairs(n, 0, json_object_get(e, std ? "featureMean" : "featureMin"),
                    json_object_get(e, std ? "featureStd" : "featureMax"), nin);
        json_t *nout = json_object_get(e, "numOutputs");
        if (fit) {
            assert_int_equal(dlz_normalizer_num_outputs(n), json_integer_value(nout));
            check_pairs(n, 1, json_object_get(e, std ? "labelMean" : "labelMin"),
                        json_object_get(e, std ? "labelStd" : "labelMax"),
                        (int)json_integer_value(nout));
        } else {
            assert_true(json_is_null(nout));
            assert_true(json_is_null(json_object_get(e, std ? "labelMean" : "labelMin")));
            assert_int_equal(dlz_normalizer_num_outputs(n), 0);
        }
        break;
    }
    case DLZ_NORM_MULTI_HYBRID:
        check_hybrid(n, e);
        break;
    default:
        fail_msg("unexpected type %s", type);
    }
}

/* ------------------------------------------------------------------------ */
/* DL4J's transform / revert results                                         */

/* Distance in units in the last place between two values of the same type. */
static uint64_t ulp_diff(dlz_dtype t, const unsigned char *x, const unsigned char *y) {
    int64_t a, b;
    if (t == DLZ_DTYPE_FLOAT) {
        int32_t u, v;
        memcpy(&u, x, 4);
        memcpy(&v, y, 4);
        a = u < 0 ? (int64_t)INT32_MIN - u : u;
        b = v < 0 ? (int64_t)INT32_MIN - v : v;
    } else {
        memcpy(&a, x, 8);
        memcpy(&b, y, 8);
        a = a < 0 ? INT64_MIN - a : a;
        b = b < 0 ? INT64_MIN - b : b;
    }
    return a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static int64_t n_values, n_exact;
static uint64_t max_ulp;

/* Applies one of the four functions to every array in `in` and compares the
   results with `out`, element by element. */
typedef int (*apply_fn)(const dlz_normalizer *, int, dlz_array *, char *, size_t);

static void check_apply(const char *name, const dlz_normalizer *n, apply_fn fn, const char *what,
                        json_t *in, json_t *out) {
    assert_int_equal(json_array_size(in), json_array_size(out));
    for (size_t i = 0; i < json_array_size(in); i++) {
        dlz_array *a = array_from(json_array_get(in, i));
        dlz_array *want = array_from(json_array_get(out, i));
        char msg[512];
        int rc = fn(n, (int)i, a, msg, sizeof msg);
        if (rc != DLZ_OK) {
            fail_msg("%s %s[%zu]: %s", name, what, i, msg);
        }
        size_t w = dlz_dtype_size(dlz_array_dtype(a));
        const unsigned char *x = dlz_array_cdata(a), *y = dlz_array_cdata(want);
        uint64_t worst = 0;
        for (int64_t k = 0; k < dlz_array_length(a); k++) {
            uint64_t d = ulp_diff(dlz_array_dtype(a), x + (size_t)k * w, y + (size_t)k * w);
            worst = d > worst ? d : worst;
            n_values++;
            n_exact += d == 0;
        }
        max_ulp = worst > max_ulp ? worst : max_ulp;
        if (worst != 0) {
            fail_msg("%s %s[%zu]: differs from DL4J by up to %llu ULP", name, what, i,
                     (unsigned long long)worst);
        }
        dlz_array_free(a);
        dlz_array_free(want);
    }
}

static void check_transforms(const char *name, const dlz_normalizer *n, json_t *t) {
    if (t == NULL || json_is_null(t)) {
        return;
    }
    check_apply(name, n, dlz_normalizer_transform, "transform", json_object_get(t, "features_in"),
                json_object_get(t, "features_transformed"));
    check_apply(name, n, dlz_normalizer_revert, "revert",
                json_object_get(t, "features_transformed"),
                json_object_get(t, "features_reverted"));
    json_t *lin = json_object_get(t, "labels_in");
    if (!json_is_null(lin)) {
        check_apply(name, n, dlz_normalizer_transform_labels, "transform_labels", lin,
                    json_object_get(t, "labels_transformed"));
        check_apply(name, n, dlz_normalizer_revert_labels, "revert_labels",
                    json_object_get(t, "labels_transformed"),
                    json_object_get(t, "labels_reverted"));
    }
}

/* ------------------------------------------------------------------------ */
/* Building DL4J's normalizers from scratch                                  */

static dlz_normalizer *rebuild(json_t *e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    int fit = json_is_true(json_object_get(e, "fitLabel"));
    dlz_normalizer *n = NULL;
    if (strcmp(type, "STANDARDIZE") == 0 || strcmp(type, "MIN_MAX") == 0) {
        int std = type[0] == 'S';
        dlz_array *a = array_from(json_object_get(e, std ? "mean" : "min"));
        dlz_array *b = array_from(json_object_get(e, std ? "std" : "max"));
        dlz_array *la = fit ? array_from(json_object_get(e, std ? "labelMean" : "labelMin")) : NULL;
        dlz_array *lb = fit ? array_from(json_object_get(e, std ? "labelStd" : "labelMax")) : NULL;
        if (std) {
            assert_int_equal(dlz_normalizer_new_standardize(a, b, la, lb, &n, NULL, 0), DLZ_OK);
        } else {
            assert_int_equal(dlz_normalizer_new_min_max(bits_of(json_object_get(e, "targetMin")),
                                                        bits_of(json_object_get(e, "targetMax")), a,
                                                        b, la, lb, &n, NULL, 0),
                             DLZ_OK);
        }
        dlz_array_free(a);
        dlz_array_free(b);
        dlz_array_free(la);
        dlz_array_free(lb);
    } else if (strcmp(type, "IMAGE_MIN_MAX") == 0) {
        assert_int_equal(dlz_normalizer_new_image_min_max(
                             bits_of(json_object_get(e, "minRange")),
                             bits_of(json_object_get(e, "maxRange")),
                             bits_of(json_object_get(e, "maxPixelVal")), &n, NULL, 0),
                         DLZ_OK);
    } else if (strncmp(type, "MULTI_", 6) == 0 && strcmp(type, "MULTI_HYBRID") != 0) {
        int std = strcmp(type, "MULTI_STANDARDIZE") == 0;
        json_t *fa = json_object_get(e, std ? "featureMean" : "featureMin");
        json_t *fb = json_object_get(e, std ? "featureStd" : "featureMax");
        json_t *la = json_object_get(e, std ? "labelMean" : "labelMin");
        json_t *lb = json_object_get(e, std ? "labelStd" : "labelMax");
        int nin = (int)json_array_size(fa), nout = fit ? (int)json_array_size(la) : 0;
        dlz_array *ia[8], *ib[8], *oa[8], *ob[8];
        for (int i = 0; i < nin; i++) {
            ia[i] = array_from(json_array_get(fa, (size_t)i));
            ib[i] = array_from(json_array_get(fb, (size_t)i));
        }
        for (int i = 0; i < nout; i++) {
            oa[i] = array_from(json_array_get(la, (size_t)i));
            ob[i] = array_from(json_array_get(lb, (size_t)i));
        }
        const dlz_array *const *cia = (const dlz_array *const *)ia;
        const dlz_array *const *cib = (const dlz_array *const *)ib;
        const dlz_array *const *coa = fit ? (const dlz_array *const *)oa : NULL;
        const dlz_array *const *cob = fit ? (const dlz_array *const *)ob : NULL;
        if (std) {
            assert_int_equal(
                dlz_normalizer_new_multi_standardize(nin, cia, cib, nout, coa, cob, &n, NULL, 0),
                DLZ_OK);
        } else {
            assert_int_equal(
                dlz_normalizer_new_multi_min_max(bits_of(json_object_get(e, "targetMin")),
                                                 bits_of(json_object_get(e, "targetMax")), nin, cia,
                                                 cib, nout, coa, cob, &n, NULL, 0),
                DLZ_OK);
        }
        for (int i = 0; i < nin; i++) {
            dlz_array_free(ia[i]);
            dlz_array_free(ib[i]);
        }
        for (int i = 0; i < nout; i++) {
            dlz_array_free(oa[i]);
            dlz_array_free(ob[i]);
        }
    } else {
        assert_string_equal(type, "MULTI_HYBRID");
        assert_non_null(n = dlz_normalizer_new_hybrid());
        static const char *const stats_keys[2] = {"inputStats", "outputStats"};
        static const char *const glob_keys[2] = {"globalInputStrategy", "globalOutputStrategy"};
        static const char *const per_keys[2] = {"perInputStrategies", "perOutputStrategies"};
        for (int side = 0; side < 2; side++) {
            const char *key;
            json_t *v;
            /* DL4J's builder: strategies first, statistics come from fit() */
            json_t *g = json_object_get(e, glob_keys[side]);
            if (!json_is_null(g)) {
                dlz_norm_strategy k = kind_named(json_string_value(json_object_get(g, "kind")));
                double lo =
                    k == DLZ_NORM_STRATEGY_MIN_MAX ? bits_of(json_object_get(g, "minRange")) : 0;
                double hi =
                    k == DLZ_NORM_STRATEGY_MIN_MAX ? bits_of(json_object_get(g, "maxRange")) : 0;
                assert_int_equal(dlz_normalizer_hybrid_set_global(n, side, k, lo, hi, NULL, 0),
                                 DLZ_OK);
            }
            json_object_foreach(json_object_get(e, per_keys[side]), key, v) {
                dlz_norm_strategy k = kind_named(json_string_value(json_object_get(v, "kind")));
                double lo =
                    k == DLZ_NORM_STRATEGY_MIN_MAX ? bits_of(json_object_get(v, "minRange")) : 0;
                double hi =
                    k == DLZ_NORM_STRATEGY_MIN_MAX ? bits_of(json_object_get(v, "maxRange")) : 0;
                assert_int_equal(
                    dlz_normalizer_hybrid_set_strategy(n, side, atoi(key), k, lo, hi, NULL, 0),
                    DLZ_OK);
            }
            json_object_foreach(json_object_get(e, stats_keys[side]), key, v) {
                dlz_norm_strategy k = kind_named(json_string_value(json_object_get(v, "kind")));
                int std = k == DLZ_NORM_STRATEGY_STANDARDIZE;
                dlz_array *a = array_from(json_object_get(v, std ? "mean" : "lower"));
                dlz_array *b = array_from(json_object_get(v, std ? "std" : "upper"));
                assert_int_equal(
                    dlz_normalizer_hybrid_set_stats(n, side, atoi(key), k, a, b, NULL, 0), DLZ_OK);
                dlz_array_free(a);
                dlz_array_free(b);
            }
        }
    }
    return n;
}

static void check_encode(const char *name, const dlz_normalizer *n, const void *bytes, size_t len) {
    void *out;
    size_t olen;
    char msg[512];
    int rc = dlz_normalizer_encode(n, &out, &olen, msg, sizeof msg);
    if (rc != DLZ_OK) {
        fail_msg("%s: encode: %s", name, msg);
    }
    char s1[65], s2[65];
    tu_sha256_hex(bytes, len, s1);
    tu_sha256_hex(out, olen, s2);
    if (olen != len || memcmp(out, bytes, len) != 0) {
        fail_msg("%s: encoded %zu bytes (sha256 %s), DL4J wrote %zu (sha256 %s)", name, olen, s2,
                 len, s1);
    }
    dlz_free(out);
}

/* ------------------------------------------------------------------------ */
/* The fixtures                                                              */

static int n_streams, n_archives, n_rebuilt;

static void fixture_stream(const char *path) {
    size_t len;
    unsigned char *bytes = tu_read_file(path, &len);
    assert_non_null(bytes);
    json_t *exp = expected_for(path);
    char sha[65];
    tu_sha256_hex(bytes, len, sha);
    assert_string_equal(sha, json_string_value(json_object_get(exp, "sha256_bytes")));

    dlz_normalizer *n = NULL;
    char msg[512];
    int rc = dlz_normalizer_decode(bytes, len, &n, msg, sizeof msg);
    if (rc != DLZ_OK) {
        fail_msg("%s: %s", path, msg);
    }
    assert_string_equal(msg, "");
    check_fields(n, json_object_get(exp, "normalizer"));
    check_encode(path, n, bytes, len);
    check_transforms(base(path), n, json_object_get(exp, "normalizer_transform"));
    dlz_normalizer_free(n);

    n = rebuild(json_object_get(exp, "normalizer"));
    check_fields(n, json_object_get(exp, "normalizer"));
    check_encode(path, n, bytes, len);
    check_transforms(base(path), n, json_object_get(exp, "normalizer_transform"));
    dlz_normalizer_free(n);
    n_rebuilt++;

    json_decref(exp);
    free(bytes);
    n_streams++;
}

static void fixture_archive(const char *path) {
    json_t *exp = expected_for(path);
    json_t *e = json_object_get(exp, "normalizer");
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, path));
    dlz_normalizer *n = NULL;
    int rc = dlz_reader_read_normalizer(r, &n);
    if (e == NULL || json_is_null(e)) {
        assert_int_equal(rc, DLZ_ENOTFOUND);
        assert_null(n);
    } else {
        TU_OK_R(r, rc);
        void *raw;
        size_t len;
        TU_OK_R(r, dlz_reader_read_normalizer_raw(r, &raw, &len));
        check_fields(n, e);
        check_encode(path, n, raw, len);
        check_transforms(base(path), n, json_object_get(exp, "normalizer_transform"));
        dlz_free(raw);
        dlz_normalizer_free(n);
        n_archives++;
    }
    dlz_reader_free(r);
    json_decref(exp);
}

static void test_fixtures(void **state) {
    (void)state;
    for (int v = 0; v < NVERSIONS; v++) {
        const char *dir = fixture_dir(versions[v]);
        char *names[256];
        int cnt = tu_list_dir(dir, ".bin", names, 256);
        for (int i = 0; i < cnt; i++) {
            if (strncmp(base(names[i]), "normalizer-", 11) == 0) {
                fixture_stream(names[i]);
            }
            free(names[i]);
        }
        cnt = tu_list_dir(dir, ".zip", names, 256);
        for (int i = 0; i < cnt; i++) {
            fixture_archive(names[i]);
            free(names[i]);
        }
    }
    print_message("%d normalizer streams and %d archive normalizers decoded, checked field by "
                  "field and re-encoded to DL4J's bytes; %d rebuilt from scratch to DL4J's "
                  "bytes\n",
                  n_streams, n_archives, n_rebuilt);
    print_message("transform/revert: %lld values, %lld bit-identical to DL4J, max %llu ULP "
                  "(every fixture case is exact)\n",
                  (long long)n_values, (long long)n_exact, (unsigned long long)max_ulp);
    assert_int_equal(n_streams, 24);
    assert_int_equal(n_archives, 34);
    assert_int_equal(n_values, n_exact);
}

/* ------------------------------------------------------------------------ */
/* Hostile streams                                                           */

static unsigned char *fixture_bytes(const char *name, size_t *len) {
    char p[4300];
    snprintf(p, sizeof p, "%s/%s", fixture_dir(versions[0]), name);
    unsigned char *b = tu_read_file(p, len);
    assert_non_null(b);
    return b;
}

static int decode_rc(const void *b, size_t len, char *msg, size_t cap) {
    dlz_normalizer *n = (dlz_normalizer *)&n; /* must be reset to NULL on failure */
    int rc = dlz_normalizer_decode(b, len, &n, msg, cap);
    if (rc != DLZ_OK) {
        assert_null(n);
    }
    dlz_normalizer_free(n);
    return rc;
}

static void test_every_prefix(void **state) {
    (void)state;
    long tried = 0;
    for (int v = 0; v < NVERSIONS; v++) {
        char *names[256];
        int cnt = tu_list_dir(fixture_dir(versions[v]), ".bin", names, 256);
        for (int i = 0; i < cnt; i++) {
            if (strncmp(base(names[i]), "normalizer-", 11) != 0) {
                free(names[i]);
                continue;
            }
            size_t len;
            unsigned char *b = tu_read_file(names[i], &len);
            for (size_t k = 0; k < len; k++) {
                /* a copy of exactly k bytes, so ASan sees any overread */
                unsigned char *p = malloc(k + 1);
                memcpy(p, b, k);
                char msg[512];
                int rc = decode_rc(p, k, msg, sizeof msg);
                if (rc != DLZ_EFORMAT) {
                    fail_msg("%s: prefix of %zu bytes: %d (%s)", names[i], k, rc, msg);
                }
                assert_true(strncmp(msg, "normalizer: ", 12) == 0);
                free(p);
                tried++;
            }
            free(b);
            free(names[i]);
        }
    }
    print_message("%ld prefixes: all DLZ_EFORMAT\n", tried);
}

/* A stream made of a header and raw body bytes. */
static size_t make_stream(unsigned char *out, const char *header, int32_t version, const char *type,
                          const void *body, size_t blen) {
    size_t o = 0;
    size_t hl = strlen(header), tl = strlen(type);
    dlzi_put_be16(out + o, (uint16_t)hl);
    memcpy(out + o + 2, header, hl);
    o += 2 + hl;
    dlzi_put_be32(out + o, (uint32_t)version);
    o += 4;
    dlzi_put_be16(out + o, (uint16_t)tl);
    memcpy(out + o + 2, type, tl);
    o += 2 + tl;
    memcpy(out + o, body, blen);
    return o + blen;
}

static void expect_rc(const void *b, size_t len, int want, const char *needle) {
    char msg[512];
    int rc = decode_rc(b, len, msg, sizeof msg);
    if (rc != want || (needle != NULL && strstr(msg, needle) == NULL)) {
        fail_msg("decode: %d (%s), expected %d with \"%s\"", rc, msg, want,
                 needle != NULL ? needle : "");
    }
}

static void test_hostile_headers(void **state) {
    (void)state;
    unsigned char b[256];
    unsigned char img[24] = {0};
    size_t n = make_stream(b, "NORMALIZER", 1, "IMAGE_MIN_MAX", img, sizeof img);
    expect_rc(b, n, DLZ_OK, NULL);
    n = make_stream(b, "NORMALIZEX", 1, "IMAGE_MIN_MAX", img, sizeof img);
    expect_rc(b, n, DLZ_EFORMAT, "byte 0: expected the header \"NORMALIZER\"");
    n = make_stream(b, "NORMALIZER", 2, "IMAGE_MIN_MAX", img, sizeof img);
    expect_rc(b, n, DLZ_EUNSUPPORTED, "byte 12: expected normalizer format version 1");
    n = make_stream(b, "NORMALIZER", -1, "IMAGE_MIN_MAX", img, sizeof img);
    expect_rc(b, n, DLZ_EUNSUPPORTED, "found -1");
    n = make_stream(b, "NORMALIZER", 1, "BOGUS", img, sizeof img);
    expect_rc(b, n, DLZ_EFORMAT, "byte 16: expected a normalizer type");
    n = make_stream(b, "NORMALIZER", 1, "IMAGE_VGG16", "", 0);
    expect_rc(b, n, DLZ_EUNSUPPORTED, "DL4J can neither write nor read");
    n = make_stream(b, "NORMALIZER", 1, "JAVA_SERIALIZED", "", 0);
    expect_rc(b, n, DLZ_EFORMAT, "expected a normalizer type");
    n = make_stream(b, "NORMALIZER", 1, "IMAGE_MIN_MAX", img, sizeof img);
    b[n] = 0;
    expect_rc(b, n + 1, DLZ_EFORMAT, "expected the end of the IMAGE_MIN_MAX normalizer");
    /* a type name longer than anything legal, and one longer than the data */
    memset(b, 'A', sizeof b);
    dlzi_put_be16(b, 10);
    memcpy(b + 2, "NORMALIZER", 10);
    dlzi_put_be32(b + 12, 1);
    dlzi_put_be16(b + 16, 200);
    expect_rc(b, sizeof b, DLZ_EFORMAT, "found a string of 200 bytes");
    dlzi_put_be16(b + 16, 60000);
    expect_rc(b, sizeof b, DLZ_EFORMAT, "found only");
    expect_rc("", 0, DLZ_EFORMAT, "truncated");
    expect_rc(NULL, 0, DLZ_EFORMAT, NULL);
    dlz_normalizer *out;
    assert_int_equal(dlz_normalizer_decode(NULL, 3, &out, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_decode("x", 1, NULL, NULL, 0), DLZ_EMISUSE);
}

static void test_hostile_counts(void **state) {
    (void)state;
    size_t len;
    /* MULTI_STANDARDIZE: fitLabel at 35, numInputs at 36, numOutputs at 40 */
    unsigned char *b = fixture_bytes("normalizer-multistandardize-labels.bin", &len);
    expect_rc(b, len, DLZ_OK, NULL);
    unsigned char *c = malloc(len);
    const int32_t bad_in[] = {-1, INT32_MIN, INT32_MAX, 1000, 3};
    for (size_t i = 0; i < sizeof bad_in / sizeof bad_in[0]; i++) {
        memcpy(c, b, len);
        dlzi_put_be32(c + 36, (uint32_t)bad_in[i]);
        expect_rc(c, len, DLZ_EFORMAT, bad_in[i] < 0 ? "expected numInputs >= 0" : "byte");
    }
    memcpy(c, b, len);
    dlzi_put_be32(c + 40, (uint32_t)-1);
    expect_rc(c, len, DLZ_EFORMAT, "expected numOutputs >= 0 (fitLabel is true)");
    memcpy(c, b, len);
    dlzi_put_be32(c + 40, 0x10000000u);
    expect_rc(c, len, DLZ_EFORMAT, "expected numOutputs of at most");
    memcpy(c, b, len);
    dlzi_put_be32(c + 40, 3);
    expect_rc(c, len, DLZ_EFORMAT, NULL);
    /* fitLabel false: numOutputs is not used (DL4J writes -1), kept as stored */
    free(b);
    free(c);
    b = fixture_bytes("normalizer-multistandardize.bin", &len);
    c = malloc(len);
    memcpy(c, b, len);
    dlzi_put_be32(c + 40, 77);
    dlz_normalizer *n;
    assert_int_equal(dlz_normalizer_decode(c, len, &n, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_num_outputs(n), 0);
    void *enc;
    size_t elen;
    assert_int_equal(dlz_normalizer_encode(n, &enc, &elen, NULL, 0), DLZ_OK);
    assert_true(elen == len && memcmp(enc, c, len) == 0);
    dlz_free(enc);
    dlz_normalizer_free(n);
    /* a forged element count inside the first array record */
    memcpy(c, b, len);
    c[44 + 2 + 16 + 7] = 0x7f; /* shape-info length */
    expect_rc(c, len, DLZ_EFORMAT, NULL);
    free(b);
    free(c);

    /* MULTI_HYBRID: input statistics count at 30 */
    b = fixture_bytes("normalizer-hybrid.bin", &len);
    c = malloc(len);
    const int32_t bad_map[] = {-5, INT32_MAX, 100};
    for (size_t i = 0; i < sizeof bad_map / sizeof bad_map[0]; i++) {
        memcpy(c, b, len);
        dlzi_put_be32(c + 30, (uint32_t)bad_map[i]);
        expect_rc(c, len, DLZ_EFORMAT, "the number of statistics entries");
    }
    /* the kind of the first statistics entry (after its index) */
    memcpy(c, b, len);
    dlzi_put_be32(c + 38, 0);
    expect_rc(c, len, DLZ_EFORMAT, "expected a statistics ordinal");
    memcpy(c, b, len);
    dlzi_put_be32(c + 38, 7);
    expect_rc(c, len, DLZ_EFORMAT, "expected a statistics ordinal");
    /* the global output strategy (NULL in the fixture) sits before the two
       strategy maps at the end: perInput {1: STANDARDIZE} = 4+8, perOutput
       {0: STANDARDIZE, 1: MIN_MAX} = 4+8+24 */
    size_t g = len - (4 + 8) - (4 + 8 + 24) - 4;
    assert_int_equal(dlzi_get_be32(b + g), 0);
    memcpy(c, b, len);
    dlzi_put_be32(c + g, 3);
    expect_rc(c, len, DLZ_EFORMAT, "expected a strategy ordinal");
    memcpy(c, b, len);
    dlzi_put_be32(c + g + 4, 0x7fffffff);
    expect_rc(c, len, DLZ_EFORMAT, "the number of strategy entries");
    free(b);
    free(c);
}

static void test_java_serialized(void **state) {
    (void)state;
    static const char cls[] = "org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize";
    unsigned char b[256];
    size_t cl = strlen(cls);
    memcpy(b, "\xac\xed\x00\x05\x73\x72", 6);
    dlzi_put_be16(b + 6, (uint16_t)cl);
    memcpy(b + 8, cls, cl);
    memcpy(b + 8 + cl, "\x12\x34\x56\x78\x9a\xbc\xde\xf0\x02\x00\x00", 11);
    size_t len = 8 + cl + 11;
    dlz_normalizer *n;
    char msg[512];
    assert_int_equal(dlz_normalizer_decode(b, len, &n, msg, sizeof msg), DLZ_OK);
    assert_int_equal(dlz_normalizer_type(n), DLZ_NORM_JAVA_SERIALIZED);
    assert_string_equal(dlz_normalizer_type_name(DLZ_NORM_JAVA_SERIALIZED), "JAVA_SERIALIZED");
    assert_string_equal(dlz_normalizer_java_class(n), cls);
    assert_null(dlz_normalizer_custom_class(n));
    void *enc;
    size_t elen;
    assert_int_equal(dlz_normalizer_encode(n, &enc, &elen, msg, sizeof msg), DLZ_EUNSUPPORTED);
    assert_non_null(strstr(msg, "1.0.0-beta7"));
    assert_null(enc);
    int64_t sh[2] = {2, 4};
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, sh, 'c', &a, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_transform(n, 0, a, msg, sizeof msg), DLZ_EUNSUPPORTED);
    assert_non_null(strstr(msg, "JAVA_SERIALIZED"));
    char *json;
    assert_int_equal(dlz_normalizer_to_json(n, 0, &json, NULL), DLZ_OK);
    assert_non_null(strstr(json, "\"javaClass\":\"org.nd4j"));
    dlz_free(json);
    dlz_array_free(a);
    dlz_normalizer_free(n);
    /* every prefix up to the end of the class name fails */
    for (size_t k = 0; k < 8 + cl; k++) {
        unsigned char *p = malloc(k + 1);
        memcpy(p, b, k);
        expect_rc(p, k, DLZ_EFORMAT, NULL);
        free(p);
    }
    b[3] = 4;
    expect_rc(b, len, DLZ_EFORMAT, "AC ED 00 05");
    b[3] = 5;
    b[4] = 0x74; /* TC_STRING */
    expect_rc(b, len, DLZ_EFORMAT, "TC_OBJECT");
    b[4] = 0x73;
    b[5] = 0x7d; /* TC_PROXYCLASSDESC */
    expect_rc(b, len, DLZ_EFORMAT, "TC_CLASSDESC");
    b[5] = 0x72;
    b[10] = 0xc0; /* C0 80: NUL in the name */
    b[11] = 0x80;
    expect_rc(b, len, DLZ_EUNSUPPORTED, "NUL");
    b[10] = 0xff;
    expect_rc(b, len, DLZ_EFORMAT, "malformed");
}

static void test_custom(void **state) {
    (void)state;
    static const unsigned char body[] = {0, 1, 2, 0xff, 0x80};
    dlz_normalizer *n, *m;
    assert_int_equal(
        dlz_normalizer_new_custom("com.example.MyStrategy", body, sizeof body, &n, NULL, 0),
        DLZ_OK);
    assert_int_equal(dlz_normalizer_type(n), DLZ_NORM_CUSTOM);
    void *enc;
    size_t len;
    assert_int_equal(dlz_normalizer_encode(n, &enc, &len, NULL, 0), DLZ_OK);
    unsigned char want[128];
    size_t wl = make_stream(want, "NORMALIZER", 1, "CUSTOM",
                            "\x00\x16"
                            "com.example.MyStrategy",
                            24);
    memcpy(want + wl, body, sizeof body);
    wl += sizeof body;
    assert_int_equal(len, wl);
    assert_memory_equal(enc, want, wl);
    assert_int_equal(dlz_normalizer_decode(enc, len, &m, NULL, 0), DLZ_OK);
    assert_string_equal(dlz_normalizer_custom_class(m), "com.example.MyStrategy");
    assert_string_equal(dlz_normalizer_java_class(m), "com.example.MyStrategy");
    size_t bl;
    const void *bb = dlz_normalizer_custom_body(m, &bl);
    assert_int_equal(bl, sizeof body);
    assert_memory_equal(bb, body, sizeof body);
    int64_t sh[2] = {1, 1};
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, sh, 'c', &a, NULL, 0), DLZ_OK);
    char msg[256];
    assert_int_equal(dlz_normalizer_transform(m, 0, a, msg, sizeof msg), DLZ_EUNSUPPORTED);
    assert_non_null(strstr(msg, "com.example.MyStrategy"));
    dlz_array_free(a);
    /* the body runs to the end: prefixes cut inside the class name fail,
       later ones are shorter bodies */
    for (size_t k = 0; k < len; k++) {
        unsigned char *p = malloc(k + 1);
        memcpy(p, enc, k);
        expect_rc(p, k, k < wl - sizeof body ? DLZ_EFORMAT : DLZ_OK, NULL);
        free(p);
    }
    dlz_free(enc);
    dlz_normalizer_free(m);
    dlz_normalizer_free(n);
    assert_int_equal(dlz_normalizer_new_custom("", NULL, 0, &n, NULL, 0), DLZ_EMISUSE);
    assert_null(n);
    assert_int_equal(dlz_normalizer_new_custom("a\xed\xa0\x80", NULL, 0, &n, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_custom("x", NULL, 3, &n, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_custom("x", NULL, 0, &n, NULL, 0), DLZ_OK);
    dlz_normalizer_free(n);
}

/* ------------------------------------------------------------------------ */
/* DL4J's arithmetic on edge cases and shapes                                */

static dlz_array *vec_f32(int64_t nf, const float *v) {
    int64_t sh[2] = {1, nf};
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, sh, 'c', &a, NULL, 0), DLZ_OK);
    memcpy(dlz_array_data(a), v, (size_t)nf * sizeof *v);
    return a;
}

static int append_emit(void *ctx, const void *buf, size_t n) {
    unsigned char **p = ctx;
    memcpy(*p, buf, n);
    *p += n;
    return DLZ_OK;
}

/* Arrays read from JAVACPP records (DL4J before 1.0.0-beta4) are written
   back as JAVACPP records: the stream re-encodes to the same bytes. */
static void test_legacy_arrays(void **state) {
    (void)state;
    float mv[3] = {1, 2, 3}, sv[3] = {0.5f, 0.25f, 2};
    dlz_array *m = vec_f32(3, mv), *sd = vec_f32(3, sv);
    unsigned char buf[1024];
    size_t n = make_stream(buf, "NORMALIZER", 1, "STANDARDIZE", "\0", 1);
    unsigned char *p = buf + n;
    dlzi_err err;
    dlzi_err_clear(&err);
    assert_int_equal(dlzi_array_encode(m, DLZ_GEN_JAVACPP, 0, append_emit, &p, &err), DLZ_OK);
    assert_int_equal(dlzi_array_encode(sd, DLZ_GEN_JAVACPP, 0, append_emit, &p, &err), DLZ_OK);
    size_t len = (size_t)(p - buf);
    dlz_normalizer *d;
    assert_int_equal(dlz_normalizer_decode(buf, len, &d, NULL, 0), DLZ_OK);
    const dlz_array *a;
    assert_int_equal(dlz_normalizer_stats(d, 0, 0, NULL, &a, NULL), DLZ_OK);
    assert_int_equal(dlz_array_generation(a), DLZ_GEN_JAVACPP);
    check_encode("JAVACPP standardize", d, buf, len);
    dlz_normalizer_free(d);
    dlz_array_free(m);
    dlz_array_free(sd);
}

static dlz_array *mat_f32(int rank, const int64_t *sh, char order) {
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, rank, sh, order, &a, NULL, 0), DLZ_OK);
    return a;
}

static float at_f32(const dlz_array *a, int64_t i) {
    int64_t pos = 0;
    for (int k = dlz_array_rank(a) - 1; k >= 0; k--) {
        pos += i % dlz_array_shape(a)[k] * dlz_array_strides(a)[k];
        i /= dlz_array_shape(a)[k];
    }
    return ((const float *)dlz_array_cdata(a))[pos];
}

static void set_f32(dlz_array *a, int64_t i, float v) {
    int64_t pos = 0;
    for (int k = dlz_array_rank(a) - 1; k >= 0; k--) {
        pos += i % dlz_array_shape(a)[k] * dlz_array_strides(a)[k];
        i /= dlz_array_shape(a)[k];
    }
    ((float *)dlz_array_data(a))[pos] = v;
}

static void assert_f32_bits(float got, float want) {
    if (memcmp(&got, &want, sizeof got) != 0) {
        fail_msg("%.9g (%a) != %.9g (%a)", (double)got, (double)got, (double)want, (double)want);
    }
}

static void test_zero_std(void **state) {
    (void)state;
    const float eps = (float)1e-5;
    float mean[4] = {0, 0, 0, 1}, std[4] = {0.0f, 1e-6f, NAN, 2.0f};
    dlz_array *m = vec_f32(4, mean), *s = vec_f32(4, std);
    dlz_normalizer *n;
    /* the constructor stores max(std, eps), as DistributionStats does */
    assert_int_equal(dlz_normalizer_new_standardize(m, s, NULL, NULL, &n, NULL, 0), DLZ_OK);
    const dlz_array *st;
    assert_int_equal(dlz_normalizer_stats(n, 0, 0, NULL, NULL, &st), DLZ_OK);
    assert_f32_bits(at_f32(st, 0), eps);
    assert_f32_bits(at_f32(st, 1), eps);
    assert_f32_bits(at_f32(st, 2), eps);
    assert_f32_bits(at_f32(st, 3), 2.0f);
    /* the caller's array is untouched */
    assert_true(isnan(((float *)dlz_array_data(s))[2]));
    /* a std of eps or less divides by 1 (StandardizeStrategy.filteredStd) */
    int64_t sh[2] = {1, 4};
    dlz_array *x = mat_f32(2, sh, 'c');
    for (int i = 0; i < 4; i++) {
        set_f32(x, i, 3.0f);
    }
    assert_int_equal(dlz_normalizer_transform(n, 0, x, NULL, 0), DLZ_OK);
    assert_f32_bits(at_f32(x, 0), 3.0f);
    assert_f32_bits(at_f32(x, 1), 3.0f);
    assert_f32_bits(at_f32(x, 2), 3.0f);
    assert_f32_bits(at_f32(x, 3), 1.0f);
    assert_int_equal(dlz_normalizer_revert(n, 0, x, NULL, 0), DLZ_OK);
    for (int i = 0; i < 4; i++) {
        assert_f32_bits(at_f32(x, i), 3.0f);
    }
    /* a decoded stream with std 0 (not clamped in the file) behaves the same */
    void *enc;
    size_t len;
    assert_int_equal(dlz_normalizer_encode(n, &enc, &len, NULL, 0), DLZ_OK);
    unsigned char *b = enc;
    /* the std values are the last 16 bytes */
    memset(b + len - 16, 0, 8);
    dlz_normalizer *d;
    assert_int_equal(dlz_normalizer_decode(b, len, &d, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_stats(d, 0, 0, NULL, NULL, &st), DLZ_OK);
    assert_f32_bits(at_f32(st, 0), 0.0f);
    for (int i = 0; i < 4; i++) {
        set_f32(x, i, 3.0f);
    }
    assert_int_equal(dlz_normalizer_transform(d, 0, x, NULL, 0), DLZ_OK);
    assert_f32_bits(at_f32(x, 0), 3.0f);
    assert_f32_bits(at_f32(x, 1), 3.0f);
    dlz_normalizer_free(d);
    dlz_free(enc);
    dlz_array_free(x);
    dlz_array_free(m);
    dlz_array_free(s);
    dlz_normalizer_free(n);
}

static void test_zero_range(void **state) {
    (void)state;
    const float eps = (float)1e-5;
    float lo[3] = {1.0f, 0.0f, -2.0f}, hi[3] = {1.0f, 4.0f, -3.0f};
    dlz_array *l = vec_f32(3, lo), *h = vec_f32(3, hi);
    dlz_normalizer *n;
    /* targetMax below targetMin + eps is raised, as MinMaxStrategy does */
    assert_int_equal(dlz_normalizer_new_min_max(2.0, 1.0, l, h, NULL, NULL, &n, NULL, 0), DLZ_OK);
    double tmin, tmax;
    assert_int_equal(dlz_normalizer_range(n, &tmin, &tmax), DLZ_OK);
    assert_true(tmin == 2.0 && tmax == 2.0 + 1e-5);
    dlz_normalizer_free(n);
    assert_int_equal(dlz_normalizer_new_min_max(-1.0, 1.0, l, h, NULL, NULL, &n, NULL, 0), DLZ_OK);
    /* MinMaxStats pads max where max - min < eps: feature 0 (0) and feature
       2 (-1); every feature gets max += pad (0 for feature 1).  The
       constructor stores the padded max, as DL4J's does; the transform pads
       again, as DL4J does on reading (a no-op here). */
    float pad0 = eps - 0.0f, pad2 = eps - (-1.0f);
    const dlz_array *up;
    assert_int_equal(dlz_normalizer_stats(n, 0, 0, NULL, NULL, &up), DLZ_OK);
    assert_f32_bits(at_f32(up, 0), 1.0f + pad0);
    assert_f32_bits(at_f32(up, 1), 4.0f);
    assert_f32_bits(at_f32(up, 2), -3.0f + pad2);
    assert_f32_bits(((float *)dlz_array_data(h))[0], 1.0f);
    float r0 = (1.0f + pad0) - 1.0f, r1 = 4.0f - 0.0f, r2 = (-3.0f + pad2) - -2.0f;
    int64_t sh[2] = {2, 3};
    dlz_array *x = mat_f32(2, sh, 'c');
    float in[6] = {1.0f, 2.0f, -2.0f, 1.5f, 4.0f, 7.0f};
    for (int i = 0; i < 6; i++) {
        set_f32(x, i, in[i]);
    }
    assert_int_equal(dlz_normalizer_transform(n, 0, x, NULL, 0), DLZ_OK);
    float range[3] = {r0, r1, r2}, low[3] = {1.0f, 0.0f, -2.0f};
    for (int i = 0; i < 6; i++) {
        float v = in[i] - low[i % 3];
        v = v / range[i % 3];
        v = v * 2.0f;
        v = v + -1.0f;
        assert_f32_bits(at_f32(x, i), v);
    }
    /* no clipping: 7 is far outside [min, max] */
    assert_true(at_f32(x, 5) > 1.0f);
    assert_int_equal(dlz_normalizer_revert(n, 0, x, NULL, 0), DLZ_OK);
    for (int i = 0; i < 6; i++) {
        float v = in[i] - low[i % 3];
        v = v / range[i % 3];
        v = v * 2.0f;
        v = v + -1.0f;
        v = v - -1.0f;
        v = v / 2.0f;
        v = v * range[i % 3];
        v = v + low[i % 3];
        assert_f32_bits(at_f32(x, i), v);
    }
    dlz_normalizer_free(n);
    /* a NaN difference turns the padding off for every feature */
    hi[1] = NAN;
    dlz_array_free(h);
    h = vec_f32(3, hi);
    assert_int_equal(dlz_normalizer_new_min_max(0.0, 1.0, l, h, NULL, NULL, &n, NULL, 0), DLZ_OK);
    for (int i = 0; i < 6; i++) {
        set_f32(x, i, in[i]);
    }
    assert_int_equal(dlz_normalizer_transform(n, 0, x, NULL, 0), DLZ_OK);
    assert_true(isnan(at_f32(x, 0))); /* 0 / 0 */
    dlz_normalizer_free(n);
    dlz_array_free(x);
    dlz_array_free(l);
    dlz_array_free(h);
}

static void test_image_arith(void **state) {
    (void)state;
    dlz_normalizer *n;
    assert_int_equal(dlz_normalizer_new_image_min_max(-1.0, 1.0, 255.0, &n, NULL, 0), DLZ_OK);
    int64_t sh[4] = {1, 2, 2, 2};
    dlz_array *x = mat_f32(4, sh, 'c');
    for (int i = 0; i < 8; i++) {
        set_f32(x, i, (float)(i * 40));
    }
    assert_int_equal(dlz_normalizer_transform(n, 0, x, NULL, 0), DLZ_OK);
    for (int i = 0; i < 8; i++) {
        float v = (float)(i * 40) / 255.0f;
        v = v * 2.0f;
        v = v + -1.0f;
        assert_f32_bits(at_f32(x, i), v);
    }
    /* segmentation labels (rank 4) are scaled like features; others refused */
    assert_int_equal(dlz_normalizer_transform_labels(n, 0, x, NULL, 0), DLZ_OK);
    int64_t s2[2] = {2, 2};
    dlz_array *y = mat_f32(2, s2, 'c');
    char msg[256];
    assert_int_equal(dlz_normalizer_transform_labels(n, 0, y, msg, sizeof msg), DLZ_EMISUSE);
    assert_non_null(strstr(msg, "rank 4"));
    /* features of any shape are scaled per element */
    set_f32(y, 0, 255.0f);
    assert_int_equal(dlz_normalizer_transform(n, 0, y, NULL, 0), DLZ_OK);
    assert_f32_bits(at_f32(y, 0), 1.0f);
    assert_int_equal(dlz_normalizer_revert(n, 0, y, NULL, 0), DLZ_OK);
    assert_f32_bits(at_f32(y, 0), 255.0f);
    assert_int_equal(dlz_normalizer_transform(n, 1, y, msg, sizeof msg), DLZ_EMISUSE);
    dlz_normalizer_free(n);
    /* (0, 1): no multiplication, no addition */
    assert_int_equal(dlz_normalizer_new_image_min_max(0.0, 1.0, 255.0, &n, NULL, 0), DLZ_OK);
    set_f32(y, 1, -0.0f);
    assert_int_equal(dlz_normalizer_transform(n, 0, y, NULL, 0), DLZ_OK);
    assert_f32_bits(at_f32(y, 1), -0.0f);
    dlz_normalizer_free(n);
    dlz_array_free(x);
    dlz_array_free(y);
}

static dlz_normalizer *fixture_normalizer(const char *name) {
    size_t len;
    unsigned char *b = fixture_bytes(name, &len);
    dlz_normalizer *n;
    assert_int_equal(dlz_normalizer_decode(b, len, &n, NULL, 0), DLZ_OK);
    free(b);
    return n;
}

static void test_shapes(void **state) {
    (void)state;
    dlz_normalizer *n = fixture_normalizer("normalizer-standardize.bin");
    const dlz_array *mean, *std;
    assert_int_equal(dlz_normalizer_stats(n, 0, 0, NULL, &mean, &std), DLZ_OK);
    /* time series [batch, features, time]: statistics along dimension 1 */
    int64_t s3[3] = {2, 4, 3};
    dlz_array *x = mat_f32(3, s3, 'c'), *xf = mat_f32(3, s3, 'f');
    for (int i = 0; i < 24; i++) {
        set_f32(x, i, (float)i * 0.37f - 3.0f);
        set_f32(xf, i, (float)i * 0.37f - 3.0f);
    }
    assert_int_equal(dlz_normalizer_transform(n, 0, x, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_transform(n, 0, xf, NULL, 0), DLZ_OK);
    for (int i = 0; i < 24; i++) {
        int j = i / 3 % 4;
        float v = ((float)i * 0.37f - 3.0f) - at_f32(mean, j);
        v = v / at_f32(std, j);
        assert_f32_bits(at_f32(x, i), v);
        assert_f32_bits(at_f32(xf, i), v);
    }
    /* rank 4 and a single example [features] */
    int64_t s4[4] = {1, 4, 2, 1}, s1[1] = {4};
    dlz_array *x4 = mat_f32(4, s4, 'c'), *x1 = mat_f32(1, s1, 'c');
    for (int i = 0; i < 8; i++) {
        set_f32(x4, i, 1.0f);
    }
    for (int i = 0; i < 4; i++) {
        set_f32(x1, i, 1.0f);
    }
    assert_int_equal(dlz_normalizer_transform(n, 0, x4, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_transform(n, 0, x1, NULL, 0), DLZ_OK);
    for (int i = 0; i < 8; i++) {
        assert_f32_bits(at_f32(x4, i), at_f32(x1, i / 2));
    }
    /* DOUBLE features with FLOAT statistics: statistics converted first */
    int64_t s2[2] = {1, 4};
    dlz_array *xd;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_DOUBLE, 2, s2, 'c', &xd, NULL, 0), DLZ_OK);
    double *dv = dlz_array_data(xd);
    for (int i = 0; i < 4; i++) {
        dv[i] = 0.1 * i;
    }
    assert_int_equal(dlz_normalizer_transform(n, 0, xd, NULL, 0), DLZ_OK);
    for (int i = 0; i < 4; i++) {
        double want = (0.1 * i - (double)at_f32(mean, i)) / (double)at_f32(std, i);
        assert_true(dv[i] == want);
    }
    /* mismatches */
    char msg[512];
    int64_t bad[2] = {3, 5};
    dlz_array *xb = mat_f32(2, bad, 'c');
    assert_int_equal(dlz_normalizer_transform(n, 0, xb, msg, sizeof msg), DLZ_EMISUSE);
    assert_non_null(strstr(msg, "expected 4 features in dimension 1"));
    assert_int_equal(dlz_normalizer_transform(n, 1, x1, msg, sizeof msg), DLZ_EMISUSE);
    assert_non_null(strstr(msg, "out of range"));
    dlz_array *xi;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_INT, 2, s2, 'c', &xi, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_transform(n, 0, xi, msg, sizeof msg), DLZ_EMISUSE);
    assert_non_null(strstr(msg, "FLOAT or DOUBLE"));
    dlz_array *xh;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_HALF, 2, s2, 'c', &xh, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_transform(n, 0, xh, msg, sizeof msg), DLZ_EMISUSE);
    /* elements sharing memory (a broadcast view) cannot be done in place */
    int64_t s24[2] = {2, 4};
    dlz_array *xo = mat_f32(2, s24, 'c');
    xo->strides[0] = 0;
    assert_int_equal(dlz_normalizer_transform(n, 0, xo, msg, sizeof msg), DLZ_EMISUSE);
    assert_non_null(strstr(msg, "share memory"));
    /* a scalar */
    dlz_array *x0 = mat_f32(0, NULL, 'c');
    assert_int_equal(dlz_normalizer_transform(n, 0, x0, msg, sizeof msg), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_transform(NULL, 0, x0, msg, sizeof msg), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_transform(n, 0, NULL, NULL, 0), DLZ_EMISUSE);
    /* no label statistics: labels are left alone, as DL4J does */
    set_f32(xb, 0, 42.0f);
    assert_int_equal(dlz_normalizer_transform_labels(n, 0, xb, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_revert_labels(n, 5, xb, NULL, 0), DLZ_OK);
    assert_f32_bits(at_f32(xb, 0), 42.0f);
    /* an empty batch */
    int64_t s0[2] = {0, 4};
    dlz_array *xe = mat_f32(2, s0, 'c');
    assert_int_equal(dlz_normalizer_transform(n, 0, xe, NULL, 0), DLZ_OK);
    dlz_array *arrs[] = {x, xf, x4, x1, xd, xb, xi, xh, xo, x0, xe};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) {
        dlz_array_free(arrs[i]);
    }
    dlz_normalizer_free(n);
}

static void test_hybrid_rules(void **state) {
    (void)state;
    dlz_normalizer *n = fixture_normalizer("normalizer-hybrid.bin");
    dlz_norm_strategy k;
    double lo, hi;
    /* input 0: the global MIN_MAX(0,1); input 1: its own STANDARDIZE */
    assert_int_equal(dlz_normalizer_hybrid_strategy_for(n, 0, 0, &k, &lo, &hi), DLZ_OK);
    assert_true(k == DLZ_NORM_STRATEGY_MIN_MAX && lo == 0.0 && hi == 1.0);
    assert_int_equal(dlz_normalizer_hybrid_strategy_for(n, 0, 1, &k, NULL, NULL), DLZ_OK);
    assert_int_equal(k, DLZ_NORM_STRATEGY_STANDARDIZE);
    int64_t sh[2] = {2, 3};
    dlz_array *x = mat_f32(2, sh, 'c');
    char msg[512];
    /* input 7 has the global strategy but no statistics */
    assert_int_equal(dlz_normalizer_transform(n, 7, x, msg, sizeof msg), DLZ_EMISUSE);
    assert_non_null(strstr(msg, "no statistics"));
    /* output 7 has no strategy: left alone */
    assert_int_equal(dlz_normalizer_transform_labels(n, 7, x, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_fit_label(n), 0);
    dlz_normalizer_free(n);

    /* builders: a per-index NONE turns the global strategy off */
    assert_non_null(n = dlz_normalizer_new_hybrid());
    float a3[3] = {0, 0, 0}, b3[3] = {1, 2, 4};
    dlz_array *a = vec_f32(3, a3), *b = vec_f32(3, b3);
    assert_int_equal(
        dlz_normalizer_hybrid_set_global(n, 0, DLZ_NORM_STRATEGY_MIN_MAX, 0, 1, NULL, 0), DLZ_OK);
    assert_int_equal(
        dlz_normalizer_hybrid_set_stats(n, 0, 0, DLZ_NORM_STRATEGY_MIN_MAX, a, b, NULL, 0), DLZ_OK);
    assert_int_equal(
        dlz_normalizer_hybrid_set_strategy(n, 0, 0, DLZ_NORM_STRATEGY_NONE, 0, 0, NULL, 0), DLZ_OK);
    set_f32(x, 0, 0.5f);
    assert_int_equal(dlz_normalizer_transform(n, 0, x, NULL, 0), DLZ_OK);
    assert_f32_bits(at_f32(x, 0), 0.5f);
    assert_int_equal(
        dlz_normalizer_hybrid_set_strategy(n, 0, 0, DLZ_NORM_STRATEGY_STANDARDIZE, 0, 0, NULL, 0),
        DLZ_OK);
    assert_int_equal(dlz_normalizer_hybrid_strategy_count(n, 0), 1);
    /* STANDARDIZE over MIN_MAX statistics: inconsistent */
    assert_int_equal(dlz_normalizer_transform(n, 0, x, msg, sizeof msg), DLZ_EFORMAT);
    assert_non_null(strstr(msg, "MIN_MAX statistics"));
    assert_int_equal(dlz_normalizer_hybrid_set_stats(n, 0, 0, 7, a, b, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(
        dlz_normalizer_hybrid_set_stats(n, 0, 0, DLZ_NORM_STRATEGY_NONE, a, b, NULL, 0),
        DLZ_EMISUSE);
    assert_int_equal(
        dlz_normalizer_hybrid_set_stats(n, 0, 0, DLZ_NORM_STRATEGY_MIN_MAX, a, NULL, NULL, 0),
        DLZ_EMISUSE);
    dlz_array_free(a);
    dlz_array_free(b);
    dlz_array_free(x);
    dlz_normalizer_free(n);
    dlz_normalizer *s = fixture_normalizer("normalizer-standardize.bin");
    assert_int_equal(
        dlz_normalizer_hybrid_set_global(s, 0, DLZ_NORM_STRATEGY_MIN_MAX, 0, 1, NULL, 0),
        DLZ_EMISUSE);
    dlz_normalizer_free(s);
}

/* A stream that repeats an index in a map: the last entry counts (as in
   Java's HashMap), the stream re-encodes as it was, and a builder change
   merges the repeats as Java would have on reading. */
static void test_hybrid_duplicates(void **state) {
    (void)state;
    size_t len;
    unsigned char *b = fixture_bytes("normalizer-hybrid.bin", &len);
    /* perOutputStrategies {0: STANDARDIZE, 1: MIN_MAX(-1, 1)} ends the
       stream; make the second index 0 as well */
    assert_int_equal(dlzi_get_be32(b + len - 24), 1);
    dlzi_put_be32(b + len - 24, 0);
    dlz_normalizer *n;
    assert_int_equal(dlz_normalizer_decode(b, len, &n, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_hybrid_strategy_count(n, 1), 2);
    dlz_norm_strategy k;
    double lo, hi;
    assert_int_equal(dlz_normalizer_hybrid_strategy_for(n, 1, 0, &k, &lo, &hi), DLZ_OK);
    assert_true(k == DLZ_NORM_STRATEGY_MIN_MAX && lo == -1.0 && hi == 1.0);
    char *json;
    assert_int_equal(dlz_normalizer_to_json(n, 0, &json, NULL), DLZ_OK);
    assert_non_null(strstr(json, "\"perOutputStrategies\":{\"0\":{\"kind\":\"MIN_MAX\""));
    dlz_free(json);
    void *enc;
    size_t elen;
    assert_int_equal(dlz_normalizer_encode(n, &enc, &elen, NULL, 0), DLZ_OK);
    assert_true(elen == len && memcmp(enc, b, len) == 0);
    dlz_free(enc);
    /* out of memory while merging: nothing changes */
    int rc;
    for (long f = 1;; f++) {
        dlzi_alloc_fail_after(f);
        rc = dlz_normalizer_hybrid_set_strategy(n, 1, 5, DLZ_NORM_STRATEGY_STANDARDIZE, 0, 0, NULL,
                                                0);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_int_equal(dlz_normalizer_encode(n, &enc, &elen, NULL, 0), DLZ_OK);
        assert_true(elen == len && memcmp(enc, b, len) == 0);
        dlz_free(enc);
    }
    assert_int_equal(dlz_normalizer_hybrid_strategy_count(n, 1), 2);
    int idx;
    assert_int_equal(dlz_normalizer_hybrid_strategy_entry(n, 1, 0, &idx, &k, NULL, NULL), DLZ_OK);
    assert_true(idx == 0 && k == DLZ_NORM_STRATEGY_MIN_MAX);
    assert_int_equal(dlz_normalizer_hybrid_strategy_entry(n, 1, 1, &idx, &k, NULL, NULL), DLZ_OK);
    assert_true(idx == 5 && k == DLZ_NORM_STRATEGY_STANDARDIZE);
    dlz_normalizer_free(n);
    free(b);
}

/* Keys of the encoded input statistics map of a hybrid built with `keys`. */
static void hybrid_order(const int *keys, int n, int *out) {
    dlz_normalizer *h;
    assert_non_null(h = dlz_normalizer_new_hybrid());
    float v = 1.0f;
    dlz_array *a = vec_f32(1, &v);
    for (int i = 0; i < n; i++) {
        assert_int_equal(dlz_normalizer_hybrid_set_stats(
                             h, 0, keys[i], DLZ_NORM_STRATEGY_STANDARDIZE, a, a, NULL, 0),
                         DLZ_OK);
    }
    void *enc;
    size_t len;
    assert_int_equal(dlz_normalizer_encode(h, &enc, &len, NULL, 0), DLZ_OK);
    dlz_normalizer *d;
    assert_int_equal(dlz_normalizer_decode(enc, len, &d, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_hybrid_stats_count(d, 0), n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(dlz_normalizer_hybrid_stats_entry(d, 0, i, &out[i], NULL, NULL, NULL),
                         DLZ_OK);
    }
    dlz_free(enc);
    dlz_normalizer_free(d);
    dlz_normalizer_free(h);
    dlz_array_free(a);
}

static void test_hashmap_order(void **state) {
    (void)state;
    /* 16 buckets: by bucket (key mod 16), then insertion order */
    int k1[4] = {17, 1, 16, 0}, w1[4] = {16, 0, 17, 1}, o[64];
    hybrid_order(k1, 4, o);
    assert_memory_equal(o, w1, sizeof w1);
    /* 13 keys pass the threshold of 12: 32 buckets */
    int k2[13] = {31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 16};
    int w2[13] = {16, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    hybrid_order(k2, 13, o);
    assert_memory_equal(o, w2, sizeof w2);
    /* 9 keys in one bucket of 16: Java resizes instead of making a tree */
    int k3[9] = {128, 0, 16, 32, 48, 64, 80, 96, 112};
    int w3[9] = {128, 0, 32, 64, 96, 16, 48, 80, 112};
    hybrid_order(k3, 9, o);
    assert_memory_equal(o, w3, sizeof w3);
    /* negative keys: hash spread h ^ (h >>> 16), so -16 lands in bucket 15 */
    int k4[2] = {-16, 1}, w4[2] = {1, -16};
    hybrid_order(k4, 2, o);
    assert_memory_equal(o, w4, sizeof w4);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

static void test_json(void **state) {
    (void)state;
    const char *names[] = {"normalizer-standardize-labels.bin", "normalizer-hybrid.bin",
                           "normalizer-multiminmax-labels.bin", "normalizer-image.bin"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        dlz_normalizer *n = fixture_normalizer(names[i]);
        for (unsigned flags = 0; flags <= DLZ_JSON_PRETTY; flags++) {
            char *text;
            size_t len;
            assert_int_equal(dlz_normalizer_to_json(n, flags, &text, &len), DLZ_OK);
            assert_int_equal(strlen(text), len);
            assert_true((strchr(text, '\n') != NULL) == (flags != 0));
            json_error_t jerr;
            json_t *j = json_loads(text, 0, &jerr);
            if (j == NULL) {
                fail_msg("%s: %s at %d: %s", names[i], jerr.text, jerr.position, text);
            }
            assert_string_equal(json_string_value(json_object_get(j, "type")),
                                dlz_normalizer_type_name(dlz_normalizer_type(n)));
            if (i == 0) {
                const dlz_array *mean;
                assert_int_equal(dlz_normalizer_stats(n, 0, 0, NULL, &mean, NULL), DLZ_OK);
                json_t *vals = json_object_get(json_object_get(j, "mean"), "values");
                assert_int_equal(json_array_size(vals), 4);
                for (int k = 0; k < 4; k++) {
                    float f = (float)json_real_value(json_array_get(vals, (size_t)k));
                    assert_f32_bits(f, at_f32(mean, k));
                }
                assert_true(json_is_true(json_object_get(j, "fitLabel")));
            }
            if (i == 1) {
                json_t *in = json_object_get(j, "inputStats");
                assert_string_equal(
                    json_string_value(json_object_get(json_object_get(in, "0"), "kind")),
                    "MIN_MAX");
                assert_true(json_is_null(json_object_get(j, "globalOutputStrategy")));
                assert_true(json_real_value(json_object_get(
                                json_object_get(j, "globalInputStrategy"), "maxRange")) == 1.0);
            }
            json_decref(j);
            dlz_free(text);
        }
        dlz_normalizer_free(n);
    }
    /* NaN and infinities as strings, '.' whatever the locale */
    float v[4] = {NAN, INFINITY, -INFINITY, 0.5f}, one[4] = {1, 1, 1, 1};
    dlz_array *m = vec_f32(4, v), *s = vec_f32(4, one);
    dlz_normalizer *n;
    assert_int_equal(dlz_normalizer_new_standardize(m, s, NULL, NULL, &n, NULL, 0), DLZ_OK);
    const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
    char *text;
    assert_int_equal(dlz_normalizer_to_json(n, 0, &text, NULL), DLZ_OK);
    setlocale(LC_NUMERIC, "C");
    assert_non_null(strstr(text, "\"values\":[\"NaN\",\"Infinity\",\"-Infinity\",0.5]"));
    assert_non_null(strstr(text, "\"values\":[1.0,1.0,1.0,1.0]"));
    if (loc == NULL) {
        print_message("de_DE.UTF-8 locale not installed: decimal point checked in C only\n");
    }
    dlz_free(text);
    assert_int_equal(dlz_normalizer_to_json(n, 4, &text, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_to_json(NULL, 0, &text, NULL), DLZ_EMISUSE);
    dlz_normalizer_free(n);
    dlz_array_free(m);
    dlz_array_free(s);
}

/* Every array of the full rendering matches the summary's: the same dtype
   and shape, "length" the count of the full values, "values" their first
   DLZ_JSON_SUMMARY_VALUES; every other member equal. */
static void same_but_summarized(const json_t *full, const json_t *sum) {
    if (json_is_object(full)) {
        assert_true(json_is_object(sum));
        json_t *values = json_object_get(full, "values");
        if (json_is_string(json_object_get(full, "dtype")) && json_is_array(values)) {
            assert_true(json_equal(json_object_get(full, "dtype"), json_object_get(sum, "dtype")));
            assert_true(json_equal(json_object_get(full, "shape"), json_object_get(sum, "shape")));
            size_t n = json_array_size(values);
            assert_int_equal(json_integer_value(json_object_get(sum, "length")), n);
            json_t *shown = json_object_get(sum, "values");
            size_t want = n < DLZ_JSON_SUMMARY_VALUES ? n : DLZ_JSON_SUMMARY_VALUES;
            assert_int_equal(json_array_size(shown), want);
            for (size_t i = 0; i < want; i++) {
                assert_true(json_equal(json_array_get(values, i), json_array_get(shown, i)));
            }
            assert_int_equal(json_object_size(sum), 4);
            return;
        }
        assert_int_equal(json_object_size(full), json_object_size(sum));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)full, k, v) {
            same_but_summarized(v, json_object_get(sum, k));
        }
    } else if (json_is_array(full)) {
        assert_int_equal(json_array_size(full), json_array_size(sum));
        for (size_t i = 0; i < json_array_size(full); i++) {
            same_but_summarized(json_array_get(full, i), json_array_get(sum, i));
        }
    } else {
        assert_true(json_equal(full, sum));
    }
}

static void test_json_summary(void **state) {
    (void)state;
    const char *names[] = {"normalizer-standardize-labels.bin", "normalizer-hybrid.bin",
                           "normalizer-multiminmax-labels.bin", "normalizer-image.bin"};
    float v[20], one[20];
    for (int i = 0; i < 20; i++) {
        v[i] = (float)i / 3.0f;
        one[i] = 1.0f + (float)i;
    }
    dlz_array *m = vec_f32(20, v), *s = vec_f32(20, one);
    dlz_normalizer *big;
    assert_int_equal(dlz_normalizer_new_standardize(m, s, NULL, NULL, &big, NULL, 0), DLZ_OK);
    for (size_t i = 0; i <= sizeof names / sizeof names[0]; i++) {
        dlz_normalizer *n = i < sizeof names / sizeof names[0] ? fixture_normalizer(names[i]) : big;
        char *full, *sum;
        assert_int_equal(dlz_normalizer_to_json(n, 0, &full, NULL), DLZ_OK);
        assert_int_equal(dlz_normalizer_to_json(n, DLZ_JSON_SUMMARY | DLZ_JSON_PRETTY, &sum, NULL),
                         DLZ_OK);
        json_t *jf = json_loads(full, 0, NULL), *js = json_loads(sum, 0, NULL);
        assert_non_null(jf);
        assert_non_null(js);
        same_but_summarized(jf, js);
        if (n == big) {
            assert_int_equal(
                json_integer_value(json_object_get(json_object_get(js, "std"), "length")), 20);
        }
        json_decref(jf);
        json_decref(js);
        dlz_free(full);
        dlz_free(sum);
        dlz_normalizer_free(n);
    }
    dlz_array_free(m);
    dlz_array_free(s);
}

/* ------------------------------------------------------------------------ */
/* Constructors' argument checks                                             */

static void test_constructor_checks(void **state) {
    (void)state;
    float v[2] = {1, 2}, w[3] = {1, 2, 3};
    dlz_array *a = vec_f32(2, v), *b = vec_f32(3, w), *c = vec_f32(2, v);
    dlz_array *i;
    int64_t sh[1] = {2};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_INT, 1, sh, 'c', &i, NULL, 0), DLZ_OK);
    dlz_normalizer *n = (dlz_normalizer *)&n;
    assert_int_equal(dlz_normalizer_new_standardize(a, b, NULL, NULL, &n, NULL, 0), DLZ_EMISUSE);
    assert_null(n);
    assert_int_equal(dlz_normalizer_new_standardize(a, i, NULL, NULL, &n, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_standardize(a, NULL, NULL, NULL, &n, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_standardize(a, c, a, NULL, &n, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_standardize(a, c, NULL, NULL, NULL, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_min_max(0, 1, a, c, a, b, &n, NULL, 0), DLZ_EMISUSE);
    const dlz_array *ia[1] = {a}, *ib[1] = {c};
    assert_int_equal(dlz_normalizer_new_multi_standardize(0, ia, ib, 0, NULL, NULL, &n, NULL, 0),
                     DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_multi_standardize(1, ia, ib, 1, NULL, NULL, &n, NULL, 0),
                     DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_new_multi_standardize(1, NULL, ib, 0, NULL, NULL, &n, NULL, 0),
                     DLZ_EMISUSE);
    /* labels with zero outputs: fitLabel true, numOutputs 0 */
    assert_int_equal(dlz_normalizer_new_multi_min_max(0, 1, 1, ia, ib, 0, ia, ib, &n, NULL, 0),
                     DLZ_OK);
    assert_int_equal(dlz_normalizer_fit_label(n), 1);
    assert_int_equal(dlz_normalizer_num_outputs(n), 0);
    void *enc;
    size_t len;
    assert_int_equal(dlz_normalizer_encode(n, &enc, &len, NULL, 0), DLZ_OK);
    dlz_normalizer *d;
    assert_int_equal(dlz_normalizer_decode(enc, len, &d, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_fit_label(d), 1);
    dlz_normalizer_free(d);
    dlz_free(enc);
    dlz_normalizer_free(n);
    /* accessors on the wrong type */
    assert_int_equal(dlz_normalizer_new_image_min_max(0, 1, 255, &n, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_normalizer_hybrid_stats_count(n, 0), 0);
    assert_int_equal(dlz_normalizer_hybrid_global(n, 0, NULL, NULL, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_normalizer_hybrid_stats_entry(n, 0, 0, NULL, NULL, NULL, NULL),
                     DLZ_EMISUSE);
    assert_null(dlz_normalizer_custom_body(n, &len));
    assert_int_equal(len, 0);
    assert_int_equal(dlz_normalizer_fit_label(n), 0);
    assert_int_equal(dlz_normalizer_num_inputs(n), 0);
    dlz_normalizer_free(n);
    assert_null(dlz_normalizer_type_name((dlz_norm_type)9));
    assert_null(dlz_normalizer_java_class(NULL));
    dlz_normalizer_free(NULL);
    assert_int_equal(dlz_normalizer_encode(NULL, &enc, &len, NULL, 0), DLZ_EMISUSE);
    dlz_array_free(a);
    dlz_array_free(b);
    dlz_array_free(c);
    dlz_array_free(i);
}

/* ------------------------------------------------------------------------ */
/* Allocation failures                                                       */

static int oom_decode(const void *b, size_t len) {
    dlz_normalizer *n;
    int rc = dlz_normalizer_decode(b, len, &n, NULL, 0);
    dlz_normalizer_free(n);
    return rc;
}

static void test_oom(void **state) {
    (void)state;
    const char *names[] = {"normalizer-hybrid.bin", "normalizer-multistandardize-labels.bin",
                           "normalizer-minmax-labels.bin"};
    long steps = 0;
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        size_t len;
        unsigned char *b = fixture_bytes(names[f], &len);
        int rc;
        for (long k = 1;; k++) {
            dlzi_alloc_fail_after(k);
            rc = oom_decode(b, len);
            dlzi_alloc_fail_after(0);
            steps++;
            if (rc == DLZ_OK) {
                break;
            }
            assert_int_equal(rc, DLZ_ENOMEM);
        }
        dlz_normalizer *n;
        assert_int_equal(dlz_normalizer_decode(b, len, &n, NULL, 0), DLZ_OK);
        for (long k = 1;; k++) {
            void *enc = NULL;
            size_t elen;
            char msg[256];
            dlzi_alloc_fail_after(k);
            rc = dlz_normalizer_encode(n, &enc, &elen, msg, sizeof msg);
            dlzi_alloc_fail_after(0);
            steps++;
            dlz_free(enc);
            if (rc == DLZ_OK) {
                break;
            }
            assert_int_equal(rc, DLZ_ENOMEM);
            assert_non_null(strstr(msg, "out of memory"));
        }
        for (long k = 1;; k++) {
            char *json = NULL;
            dlzi_alloc_fail_after(k);
            rc = dlz_normalizer_to_json(n, DLZ_JSON_PRETTY, &json, NULL);
            dlzi_alloc_fail_after(0);
            steps++;
            dlz_free(json);
            if (rc == DLZ_OK) {
                break;
            }
            assert_int_equal(rc, DLZ_ENOMEM);
        }
        const dlz_array *st;
        assert_int_equal(dlz_normalizer_stats(n, 0, 0, NULL, &st, NULL), DLZ_OK);
        int64_t sh[2] = {2, dlz_array_length(st)};
        dlz_array *x = mat_f32(2, sh, 'c');
        for (long k = 1;; k++) {
            dlzi_alloc_fail_after(k);
            rc = dlz_normalizer_transform(n, 0, x, NULL, 0);
            dlzi_alloc_fail_after(0);
            steps++;
            if (rc == DLZ_OK) {
                break;
            }
            assert_int_equal(rc, DLZ_ENOMEM);
        }
        dlz_array_free(x);
        dlz_normalizer_free(n);
        free(b);
    }
    /* builders */
    for (long k = 1;; k++) {
        dlzi_alloc_fail_after(k);
        dlz_normalizer *h = NULL;
        h = dlz_normalizer_new_hybrid();
        int rc = h != NULL ? DLZ_OK : DLZ_ENOMEM;
        float v[3] = {1, 2, 3};
        dlz_array *a = NULL;
        int64_t sh[2] = {1, 3};
        int arc = DLZ_OK;
        if (rc == DLZ_OK) {
            arc = dlz_array_new(DLZ_DTYPE_FLOAT, 2, sh, 'c', &a, NULL, 0);
        }
        if (rc == DLZ_OK && arc == DLZ_OK) {
            memcpy(dlz_array_data(a), v, sizeof v);
            for (int i = 0; rc == DLZ_OK && i < 20; i++) {
                rc = dlz_normalizer_hybrid_set_stats(h, i & 1, i, DLZ_NORM_STRATEGY_MIN_MAX, a, a,
                                                     NULL, 0);
                if (rc == DLZ_OK) {
                    rc = dlz_normalizer_hybrid_set_strategy(
                        h, i & 1, i, DLZ_NORM_STRATEGY_STANDARDIZE, 0, 0, NULL, 0);
                }
            }
        }
        void *enc = NULL;
        size_t len;
        if (rc == DLZ_OK && arc == DLZ_OK) {
            rc = dlz_normalizer_encode(h, &enc, &len, NULL, 0);
        }
        dlzi_alloc_fail_after(0);
        steps++;
        dlz_free(enc);
        dlz_array_free(a);
        dlz_normalizer_free(h);
        if (arc == DLZ_ENOMEM) {
            continue;
        }
        if (rc == DLZ_OK) {
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
    }
    print_message("%ld allocation-failure runs: every one DLZ_ENOMEM, none leaked\n", steps);
}

/* ------------------------------------------------------------------------ */
/* Archive glue                                                              */

static void write_archive(dlz_writer *w, const dlz_normalizer *n, int expect) {
    int64_t sh[2] = {1, 3};
    dlz_array *c;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, sh, 'c', &c, NULL, 0), DLZ_OK);
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    assert_int_equal(dlz_writer_put_normalizer(w, n), expect);
    dlz_array_free(c);
}

static void test_glue(void **state) {
    (void)state;
    size_t len;
    unsigned char *b = fixture_bytes("normalizer-multiminmax-labels.bin", &len);
    dlz_normalizer *n;
    assert_int_equal(dlz_normalizer_decode(b, len, &n, NULL, 0), DLZ_OK);

    /* writer -> reader, in memory */
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_memory(w));
    write_archive(w, n, DLZ_OK);
    TU_OK_W(w, dlz_writer_close(w));
    const void *zip;
    size_t zlen;
    TU_OK_W(w, dlz_writer_memory(w, &zip, &zlen));
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_memory(r, zip, zlen));
    dlz_normalizer *back;
    TU_OK_R(r, dlz_reader_read_normalizer(r, &back));
    void *enc;
    size_t elen;
    assert_int_equal(dlz_normalizer_encode(back, &enc, &elen, NULL, 0), DLZ_OK);
    assert_true(elen == len && memcmp(enc, b, len) == 0);
    dlz_free(enc);
    dlz_normalizer_free(back);
    assert_int_equal(dlz_reader_read_normalizer(r, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_read_normalizer(NULL, &back), DLZ_EMISUSE);
    dlz_reader_free(r);
    dlz_writer_free(w);

    /* the writer refuses what DL4J cannot read, and says why */
    unsigned char js[64];
    memcpy(js,
           "\xac\xed\x00\x05\x73\x72\x00\x03"
           "a.B",
           11);
    dlz_normalizer *old;
    assert_int_equal(dlz_normalizer_decode(js, 11, &old, NULL, 0), DLZ_OK);
    w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_memory(w));
    write_archive(w, old, DLZ_EUNSUPPORTED);
    assert_non_null(strstr(dlz_writer_errmsg(w), "normalizer.bin: cannot encode"));
    assert_int_equal(dlz_writer_put_normalizer(w, NULL), DLZ_EMISUSE);
    /* nothing was written: the normalizer can still be added */
    TU_OK_W(w, dlz_writer_put_normalizer(w, n));
    TU_OK_W(w, dlz_writer_close(w));
    dlz_writer_free(w);

    /* an archive with a broken normalizer.bin: the reader names the entry */
    char *dir = tu_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/m.zip", dir);
    w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    int64_t sh[2] = {1, 3};
    dlz_array *c;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, sh, 'c', &c, NULL, 0), DLZ_OK);
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    TU_OK_W(w, dlz_writer_put_normalizer_raw(w, "OLD-NORMALIZER", 14));
    TU_OK_W(w, dlz_writer_close(w));
    dlz_writer_free(w);
    r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, path));
    assert_int_equal(dlz_reader_read_normalizer(r, &back), DLZ_EFORMAT);
    assert_null(back);
    assert_non_null(strstr(dlz_reader_errmsg(r), "normalizer.bin: byte 0: expected the header"));
    dlz_reader_free(r);

    /* the editor replaces it */
    dlz_editor *e = dlz_editor_new();
    assert_int_equal(dlz_editor_open(e, path), DLZ_OK);
    assert_int_equal(dlz_editor_set_normalizer(e, old), DLZ_EUNSUPPORTED);
    assert_int_equal(dlz_editor_set_normalizer(e, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_editor_set_normalizer(e, n), DLZ_OK);
    assert_int_equal(dlz_editor_commit(e), DLZ_OK);
    dlz_editor_free(e);
    r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, path));
    TU_OK_R(r, dlz_reader_read_normalizer(r, &back));
    assert_int_equal(dlz_normalizer_type(back), DLZ_NORM_MULTI_MIN_MAX);
    dlz_normalizer_free(back);
    dlz_reader_free(r);

    /* no normalizer.bin */
    w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_path(w, path));
    TU_OK_W(w, dlz_writer_put_configuration(w, "{\"confs\":[]}", 12));
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    TU_OK_W(w, dlz_writer_close(w));
    dlz_writer_free(w);
    r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, path));
    back = (dlz_normalizer *)&back;
    assert_int_equal(dlz_reader_read_normalizer(r, &back), DLZ_ENOTFOUND);
    assert_null(back);
    dlz_reader_free(r);

    dlz_array_free(c);
    tu_rm_rf(dir);
    free(dir);
    dlz_normalizer_free(old);
    dlz_normalizer_free(n);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_hostile_counts),
        cmocka_unit_test(test_java_serialized),
        cmocka_unit_test(test_custom),
        cmocka_unit_test(test_legacy_arrays),
        cmocka_unit_test(test_zero_std),
        cmocka_unit_test(test_zero_range),
        cmocka_unit_test(test_image_arith),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_hybrid_rules),
        cmocka_unit_test(test_hybrid_duplicates),
        cmocka_unit_test(test_hashmap_order),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_summary),
        cmocka_unit_test(test_constructor_checks),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_glue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
