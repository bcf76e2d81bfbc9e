/* interop_build.c - builds model archives from scratch through the C API, for
 * DL4J to restore: the configuration text is taken from each DL4J fixture,
 * but the parameters, the updater state, a normalizer and objects are
 * created here, and the
 * X.expected.json that test/interop Verify checks is computed from those
 * values.  Usage: interop_build FIXTURE_DIR OUT_DIR mixed|javacpp */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlz.h"
#include "testutil.h"

/* Values exactly representable in HALF, FLOAT and DOUBLE: multiples of 1/64
   in [-1, 1] for parameters, in (0, 1] for the updater state (which must be
   positive for RmsProp and Adam). */
static double param_value(int64_t i) {
    return (double)((i * 37) % 129 - 64) / 64.0;
}

static double state_value(int64_t i) {
    return (double)((i * 13) % 64 + 1) / 64.0;
}

static uint16_t half_bits(double v) {
    /* exact for multiples of 1/64 in [-1, 1] */
    if (v == 0) {
        return 0;
    }
    uint16_t sign = v < 0 ? 0x8000 : 0;
    double a = v < 0 ? -v : v;
    int e = 0;
    while (a >= 2) {
        a /= 2;
        e++;
    }
    while (a < 1) {
        a *= 2;
        e--;
    }
    return (uint16_t)(sign | (uint16_t)((e + 15) << 10) | (uint16_t)((a - 1) * 1024));
}

/* A [1,n] vector of dtype t with the given values; also fills the summary
   object (values as big-endian hex, SHA-256) DL4J's verifier compares. */
static dlz_array *vector(dlz_dtype t, int64_t n, double (*f)(int64_t), json_t *shape,
                         json_t **summary) {
    int64_t s[2] = {1, n};
    dlz_array *a;
    if (dlz_array_new(t, 2, s, 'c', &a, NULL, 0) != DLZ_OK) {
        exit(1);
    }
    size_t w = dlz_dtype_size(t);
    unsigned char *be = malloc((size_t)n * w + 1);
    char *hex = malloc((size_t)n * w * 2 + 1);
    for (int64_t i = 0; i < n; i++) {
        double v = f(i);
        uint64_t bits = 0;
        if (t == DLZ_DTYPE_DOUBLE) {
            ((double *)dlz_array_data(a))[i] = v;
            memcpy(&bits, &v, 8);
        } else if (t == DLZ_DTYPE_FLOAT) {
            float x = (float)v;
            ((float *)dlz_array_data(a))[i] = x;
            uint32_t u;
            memcpy(&u, &x, 4);
            bits = u;
        } else {
            uint16_t h = half_bits(v);
            ((uint16_t *)dlz_array_data(a))[i] = h;
            bits = h;
        }
        for (size_t k = 0; k < w; k++) {
            be[(size_t)i * w + k] = (unsigned char)(bits >> (8 * (w - 1 - k)));
        }
    }
    for (size_t k = 0; k < (size_t)n * w; k++) {
        snprintf(hex + 2 * k, 3, "%02x", be[k]);
    }
    char sha[65];
    tu_sha256_hex(be, (size_t)n * w, sha);
    *summary = json_pack("{s:s,s:O,s:s,s:I,s:s,s:s}", "dtype", dlz_dtype_name(t), "shape", shape,
                         "order", "c", "length", (json_int_t)n, "values_hex", hex, "sha256", sha);
    free(be);
    free(hex);
    return a;
}

/* A double field as the verifier compares it: value and IEEE bits. */
static json_t *double_field(double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)bits);
    return json_pack("{s:f,s:s}", "value", v, "bits", hex);
}

static double stat_a(int64_t i) {
    return (double)(i + 1) / 8.0;
}

static double stat_b(int64_t i) {
    return (double)(i + 3) / 4.0;
}

/* A normalizer created in C, of a kind chosen by `which`, and the fields the
   verifier compares after DL4J's restoreNormalizerFromFile. */
static dlz_normalizer *make_normalizer(int which, json_t **expect) {
    json_t *shape = json_pack("[i,i]", 1, 5);
    json_t *sa = NULL, *sb = NULL, *la = NULL, *lb = NULL;
    dlz_array *a = vector(DLZ_DTYPE_FLOAT, 5, stat_a, shape, &sa);
    dlz_array *b = vector(DLZ_DTYPE_FLOAT, 5, stat_b, shape, &sb);
    dlz_array *c = vector(DLZ_DTYPE_FLOAT, 5, stat_a, shape, &la);
    dlz_array *d = vector(DLZ_DTYPE_FLOAT, 5, stat_b, shape, &lb);
    dlz_normalizer *n = NULL;
    int rc;
    switch (which % 3) {
    case 0:
        rc = dlz_normalizer_new_standardize(a, b, NULL, NULL, &n, NULL, 0);
        *expect = json_pack("{s:s,s:b,s:O,s:O,s:n,s:n}", "type", "STANDARDIZE", "fitLabel", 0,
                            "mean", sa, "std", sb, "labelMean", "labelStd");
        break;
    case 1:
        /* min = a, max = b (> a): DL4J pads nothing */
        rc = dlz_normalizer_new_min_max(-1.0, 1.0, a, b, c, d, &n, NULL, 0);
        *expect = json_pack("{s:s,s:b,s:o,s:o,s:O,s:O,s:O,s:O}", "type", "MIN_MAX", "fitLabel", 1,
                            "targetMin", double_field(-1.0), "targetMax", double_field(1.0), "min",
                            sa, "max", sb, "labelMin", la, "labelMax", lb);
        break;
    default:
        rc = dlz_normalizer_new_image_min_max(-0.5, 0.5, 255.0, &n, NULL, 0);
        *expect =
            json_pack("{s:s,s:o,s:o,s:o}", "type", "IMAGE_MIN_MAX", "minRange", double_field(-0.5),
                      "maxRange", double_field(0.5), "maxPixelVal", double_field(255.0));
    }
    if (rc != DLZ_OK) {
        fprintf(stderr, "cannot build a normalizer: %d\n", rc);
        exit(1);
    }
    json_decref(shape);
    json_decref(sa);
    json_decref(sb);
    json_decref(la);
    json_decref(lb);
    dlz_array_free(a);
    dlz_array_free(b);
    dlz_array_free(c);
    dlz_array_free(d);
    return n;
}

/* Objects created in C, and how the verifier renders what DL4J's
   getObjectFromFile returns for them. */
static void put_objects(dlz_writer *w, json_t **expect) {
    json_t *objs = json_object();
    dlz_value *s = tu_value_string("caf\xc3\xa9 \xe2\x82\xac", 9);
    json_object_set_new(objs, "labels/name",
                        json_pack("{s:s,s:{s:s,s:s}}", "java_class", "java.lang.String", "value",
                                  "class", "java.lang.String", "value",
                                  "caf\xc3\xa9 \xe2\x82\xac"));
    dlz_value *i = dlz_value_new_int(-42);
    json_object_set_new(objs, "count",
                        json_pack("{s:s,s:{s:s,s:i}}", "java_class", "java.lang.Integer", "value",
                                  "class", "java.lang.Integer", "value", -42));
    dlz_value *l = dlz_value_new_long(INT64_C(1234567890123));
    json_object_set_new(objs, "big",
                        json_pack("{s:s,s:{s:s,s:s}}", "java_class", "java.lang.Long", "value",
                                  "class", "java.lang.Long", "value", "1234567890123"));
    int32_t ints[3] = {1, -2, 3};
    dlz_value *ia = tu_value_array(DLZ_VALUE_INT_ARRAY, ints, 3);
    json_object_set_new(objs, "ints",
                        json_pack("{s:s,s:{s:s,s:[i,i,i]}}", "java_class", "[I", "value", "class",
                                  "[I", "value", 1, -2, 3));
    dlz_value *list = dlz_value_new_list();
    if (dlz_value_append(list, tu_value_string("a", 1)) != DLZ_OK ||
        dlz_value_append(list, dlz_value_new_boolean(1)) != DLZ_OK ||
        dlz_value_append(list, dlz_value_new_null()) != DLZ_OK) {
        exit(1);
    }
    json_object_set_new(objs, "list",
                        json_pack("{s:s,s:{s:s,s:[{s:s,s:s},{s:s,s:b},n]}}", "java_class",
                                  "java.util.ArrayList", "value", "class", "java.util.ArrayList",
                                  "value", "class", "java.lang.String", "value", "a", "class",
                                  "java.lang.Boolean", "value", 1));
    const char *keys[] = {"labels/name", "count", "big", "ints", "list"};
    dlz_value *vals[] = {s, i, l, ia, list};
    for (int k = 0; k < 5; k++) {
        if (dlz_writer_put_object(w, keys[k], vals[k]) != DLZ_OK) {
            fprintf(stderr, "%s: %s\n", keys[k], dlz_writer_errmsg(w));
            exit(1);
        }
        dlz_value_free(vals[k]);
    }
    *expect = objs;
}

static int build(const char *fixture, const char *expected, const char *out_dir, const char *name,
                 dlz_generation gen, int which) {
    json_error_t jerr;
    json_t *exp = json_load_file(expected, JSON_ALLOW_NUL, &jerr);
    if (exp == NULL) {
        fprintf(stderr, "%s: %s\n", expected, jerr.text);
        return 1;
    }
    json_t *coef = json_object_get(exp, "coefficients");
    if (!json_is_object(coef) || json_integer_value(json_object_get(coef, "length")) == 0) {
        json_decref(exp);
        return 0; /* no parameters: nothing to build */
    }
    dlz_reader *r = dlz_reader_new();
    const char *json;
    size_t jlen;
    dlz_array *c = NULL;
    if (dlz_reader_open_path(r, fixture) != DLZ_OK ||
        dlz_reader_configuration(r, &json, &jlen) != DLZ_OK ||
        dlz_reader_read_coefficients(r, &c) != DLZ_OK) {
        fprintf(stderr, "%s: %s\n", fixture, dlz_reader_errmsg(r));
        return 1;
    }
    dlz_dtype t = dlz_array_dtype(c);
    int64_t n = dlz_array_length(c);
    dlz_array_free(c);
    json_t *upd = json_object_get(exp, "updater");
    json_t *csum = NULL, *usum = NULL;
    dlz_array *params = vector(t, n, param_value, json_object_get(coef, "shape"), &csum);
    dlz_array *state = NULL;
    if (json_is_object(upd)) {
        state = vector(t, json_integer_value(json_object_get(upd, "length")), state_value,
                       json_object_get(upd, "shape"), &usum);
    }
    json_t *norm_expect = NULL;
    dlz_normalizer *norm = make_normalizer(which, &norm_expect);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.zip", out_dir, name);
    dlz_writer *w = dlz_writer_new();
    if (dlz_writer_set_generation(w, gen) != DLZ_OK || dlz_writer_open_path(w, path) != DLZ_OK ||
        dlz_writer_put_configuration(w, json, jlen) != DLZ_OK ||
        dlz_writer_put_coefficients(w, params) != DLZ_OK ||
        (state != NULL && dlz_writer_put_updater(w, state) != DLZ_OK) ||
        dlz_writer_put_normalizer(w, norm) != DLZ_OK) {
        fprintf(stderr, "%s: %s\n", path, dlz_writer_errmsg(w));
        return 1;
    }
    json_t *objects = NULL;
    put_objects(w, &objects);
    if (dlz_writer_close(w) != DLZ_OK) {
        fprintf(stderr, "%s: %s\n", path, dlz_writer_errmsg(w));
        return 1;
    }
    json_t *entries = json_array();
    const dlz_save_result *res = dlz_writer_result(w);
    for (size_t i = 0; i < res->entry_count; i++) {
        json_array_append_new(entries, json_string(res->entries[i].name));
    }
    json_t *out = json_pack(
        "{s:s,s:s,s:O,s:O,s:b,s:o,s:o,s:o,s:o,s:o}", "format", "dlz-expected-1", "name", name,
        "kind", json_object_get(exp, "kind"), "dtype", json_object_get(exp, "dtype"),
        "saved_with_updater", state != NULL, "entries", entries, "coefficients", csum, "updater",
        usum ? usum : json_null(), "normalizer", norm_expect, "objects", objects);
    dlz_normalizer_free(norm);
    snprintf(path, sizeof path, "%s/%s.expected.json", out_dir, name);
    if (json_dump_file(out, path, JSON_INDENT(1) | JSON_ENSURE_ASCII) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    json_decref(out);
    json_decref(exp);
    dlz_writer_free(w);
    dlz_reader_free(r);
    dlz_array_free(params);
    dlz_array_free(state);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: interop_build FIXTURE_DIR OUT_DIR mixed|javacpp\n");
        return 2;
    }
    dlz_generation gen = strcmp(argv[3], "javacpp") == 0 ? DLZ_GEN_JAVACPP : DLZ_GEN_MIXED;
    DIR *d = opendir(argv[1]);
    if (d == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct dirent *e;
    int rc = 0, built = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".zip") != 0) {
            continue;
        }
        char fixture[4096], expected[4096], name[512];
        snprintf(name, sizeof name, "scratch-%.*s", (int)l - 4, e->d_name);
        snprintf(fixture, sizeof fixture, "%s/%s", argv[1], e->d_name);
        snprintf(expected, sizeof expected, "%s/%.*s.expected.json", argv[1], (int)l - 4,
                 e->d_name);
        rc |= build(fixture, expected, argv[2], name, gen, built);
        built++;
    }
    closedir(d);
    printf("built %d archives from scratch\n", built);
    return rc;
}
