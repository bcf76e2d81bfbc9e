/* test_params.c - the parameter table and the updater state layout.
 *
 * Against DL4J itself: every archive in fixtures/dl4j-1.0.0-M2.1 and
 * fixtures/dl4j-1.0.0-beta7 is read with the table and every parameter is
 * compared, value by value, with DL4J's own paramTable() recorded in
 * X.expected.json; the updater length with getUpdater().getStateViewArray().
 * Against the corpus (../shared/corpus): parameter and updater counts of every
 * archive, DL4J 0.5 to 1.0.0-beta6.  Layer types that no DL4J-written file
 * holds are checked against the layouts of FORMAT.md E.4 on synthetic
 * configurations, and hostile configurations must fail cleanly.  The
 * DLZ_PARAMS_ASSUME_DENSE guess is checked against the corpus CustomLayer
 * archives, down to DL4J's saved outputs of their forward pass. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static const char *source_root(void) {
    const char *s = getenv("DLZ_SOURCE_ROOT");
    return s != NULL ? s : ".";
}

#define TU_OK_P(p, expr)                                                                           \
    do {                                                                                           \
        int tu_rc_ = (expr);                                                                       \
        if (tu_rc_ != DLZ_OK) {                                                                    \
            fail_msg("%s = %d (%s): %s", #expr, tu_rc_, dlz_strerror(tu_rc_),                      \
                     dlz_params_errmsg(p));                                                        \
        }                                                                                          \
    } while (0)

/* Parses a configuration; fails the test with the message on error. */
static dlz_params *parse_ok(const char *json) {
    dlz_params *p = NULL;
    char msg[512] = "";
    int rc = dlz_params_parse(json, strlen(json), 0, &p, msg, sizeof msg);
    if (rc != DLZ_OK) {
        fail_msg("dlz_params_parse = %d: %s\n%s", rc, msg, json);
    }
    return p;
}

/* Expects a failure with code and a message containing `want`. */
static void parse_fails(const char *json, int code, const char *want) {
    dlz_params *p = NULL;
    char msg[512] = "";
    int rc = dlz_params_parse(json, strlen(json), 0, &p, msg, sizeof msg);
    assert_null(p);
    if (rc != code || strstr(msg, want) == NULL || strchr(msg, '\n') != NULL) {
        fail_msg("got %d '%s', want %d with '%s'\n%s", rc, msg, code, want, json);
    }
}

/* The table as text: "0/W[3,2]f@0 0/b[1,2]f@6 ..." (table order). */
static char *table_str(const dlz_params *p) {
    size_t cap = 8192, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < dlz_params_count(p); i++) {
        dlz_param_info in;
        assert_int_equal(dlz_params_get(p, i, &in), DLZ_OK);
        char one[512];
        int k = snprintf(one, sizeof one, "%s%s[", i ? " " : "", in.name);
        for (int d = 0; d < in.rank; d++) {
            k += snprintf(one + k, sizeof one - (size_t)k, "%s%lld", d ? "," : "",
                          (long long)in.shape[d]);
        }
        snprintf(one + k, sizeof one - (size_t)k, "]%c@%lld", in.order, (long long)in.offset);
        size_t l = strlen(one);
        if (n + l + 1 > cap) {
            cap = 2 * (n + l + 1);
            s = realloc(s, cap);
            assert_non_null(s);
        }
        memcpy(s + n, one, l + 1);
        n += l;
    }
    return s;
}

/* The updater blocks as text: "Adam:0+2@0[m@0,v@36] NoOp:2+2@36[] ...". */
static char *blocks_str(dlz_params *p) {
    size_t cap = 8192, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < dlz_params_updater_block_count(p); i++) {
        dlz_updater_block b;
        TU_OK_P(p, dlz_params_updater_block(p, i, &b));
        char one[512];
        int k = snprintf(one, sizeof one, "%s%s:%zu+%zu@%lld[", i ? " " : "", b.updater,
                         b.first_param, b.param_count, (long long)b.param_offset);
        for (int j = 0; j < b.state_count; j++) {
            k += snprintf(one + k, sizeof one - (size_t)k, "%s%s@%lld", j ? "," : "",
                          b.state_names[j], (long long)b.state_offset[j]);
        }
        snprintf(one + k, sizeof one - (size_t)k, "]");
        size_t l = strlen(one);
        if (n + l + 1 > cap) {
            cap = 2 * (n + l + 1);
            s = realloc(s, cap);
            assert_non_null(s);
        }
        memcpy(s + n, one, l + 1);
        n += l;
    }
    return s;
}

static void expect_table(const char *json, const char *want_table, int64_t want_total) {
    dlz_params *p = parse_ok(json);
    char *t = table_str(p);
    if (strcmp(t, want_table) != 0) {
        fail_msg("table\n  got  %s\n  want %s\nfor %s", t, want_table, json);
    }
    assert_int_equal(dlz_params_total(p), want_total);
    free(t);
    dlz_params_free(p);
}

static void expect_blocks(const char *json, const char *want, int64_t want_total) {
    dlz_params *p = parse_ok(json);
    TU_OK_P(p, dlz_params_updater_status(p));
    char *b = blocks_str(p);
    if (strcmp(b, want) != 0) {
        fail_msg("blocks\n  got  %s\n  want %s\nfor %s", b, want, json);
    }
    assert_int_equal(dlz_params_updater_total(p), want_total);
    free(b);
    dlz_params_free(p);
}

/* An MLN configuration of the given layer objects (JSON text each). */
static char *mln(const char *const *layers, size_t n) {
    size_t cap = 64;
    for (size_t i = 0; i < n; i++) {
        cap += strlen(layers[i]) + 16;
    }
    char *s = malloc(cap);
    assert_non_null(s);
    strcpy(s, "{\"confs\":[");
    for (size_t i = 0; i < n; i++) {
        strcat(s, i ? ",{\"layer\":" : "{\"layer\":");
        strcat(s, layers[i]);
        strcat(s, "}");
    }
    strcat(s, "]}");
    return s;
}

static void expect_layer(const char *layer, const char *want_table, int64_t want_total) {
    char *json = mln(&layer, 1);
    expect_table(json, want_table, want_total);
    free(json);
}

static int host_is_little(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Elements of an array (dense, any order) in logical C order, as big-endian
   hex: the format of values_hex in expected.json. */
static char *be_hex_c_order(const dlz_array *a) {
    size_t w = dlz_dtype_size(dlz_array_dtype(a));
    size_t n = (size_t)dlz_array_length(a);
    int r = dlz_array_rank(a);
    const int64_t *shape = dlz_array_shape(a), *strides = dlz_array_strides(a);
    const unsigned char *d = dlz_array_cdata(a);
    char *hex = malloc(2 * n * w + 1);
    assert_non_null(hex);
    int le = host_is_little();
    for (size_t i = 0; i < n; i++) {
        size_t rest = i;
        int64_t pos = 0;
        for (int k = r - 1; k >= 0; k--) {
            pos += (int64_t)(rest % (size_t)shape[k]) * strides[k];
            rest /= (size_t)shape[k];
        }
        for (size_t b = 0; b < w; b++) {
            unsigned char byte = d[(size_t)pos * w + (le ? w - 1 - b : b)];
            snprintf(hex + 2 * (i * w + b), 3, "%02x", byte);
        }
    }
    hex[2 * n * w] = '\0';
    return hex;
}

/* A FLOAT vector [1,n] (or [n] with rank1) holding 0, 1, 2, ... */
static dlz_array *iota(int64_t n, int rank1) {
    dlz_array *a = NULL;
    int64_t shape[2] = {1, n};
    assert_int_equal(
        dlz_array_new(DLZ_DTYPE_FLOAT, rank1 ? 1 : 2, rank1 ? shape + 1 : shape, 'c', &a, NULL, 0),
        DLZ_OK);
    float *v = dlz_array_data(a);
    for (int64_t i = 0; i < n; i++) {
        v[i] = (float)i;
    }
    return a;
}

static json_t *load_json(const char *path) {
    json_error_t e;
    json_t *j = json_load_file(path, JSON_ALLOW_NUL, &e);
    if (j == NULL) {
        fail_msg("%s: line %d: %s", path, e.line, e.text);
    }
    return j;
}

/* Configuration text with the stored topological order removed (so the
   library must compute it).  Returns malloc'ed text. */
static char *without_stored_order(const char *json, size_t len) {
    json_error_t e;
    json_t *root = json_loadb(json, len, 0, &e);
    assert_non_null(root);
    json_object_del(root, "topologicalOrder");
    json_object_del(root, "topologicalOrderStr");
    char *s = json_dumps(root, JSON_COMPACT);
    assert_non_null(s);
    json_decref(root);
    return s;
}

/* Same layer order and parameter offsets. */
static void assert_same_tables(const dlz_params *a, const dlz_params *b) {
    assert_int_equal(dlz_params_layer_count(a), dlz_params_layer_count(b));
    for (size_t i = 0; i < dlz_params_layer_count(a); i++) {
        dlz_layer_info x, y;
        assert_int_equal(dlz_params_layer(a, i, &x), DLZ_OK);
        assert_int_equal(dlz_params_layer(b, i, &y), DLZ_OK);
        assert_string_equal(x.name, y.name);
        assert_int_equal(x.index, y.index);
    }
    char *ta = table_str(a), *tb = table_str(b);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
}

/* ------------------------------------------------------------------------ */
/* DL4J-written fixtures: every parameter against DL4J's paramTable()        */

typedef struct fixture_stats {
    int archives, params, values, updaters, adam_pairs;
} fixture_stats;

/* Adam's state of one block, element by element: v >= 0 and, with beta1 0.9
   and beta2 0.999, m^2 <= 53 v (Cauchy-Schwarz over any number of steps).
   With a wrong layout m and v of different values (or m as v) are paired and
   this fails. */
static void check_adam_block(const char *file, const dlz_updater_block *b, const double *s,
                             fixture_stats *st) {
    for (int64_t j = 0; j < b->param_length; j++) {
        double m = s[b->state_offset[0] + j], v = s[b->state_offset[1] + j];
        if (!(v >= 0) || !(m * m <= 53.0 * v * (1 + 1e-3) + 1e-30)) {
            fail_msg("%s: Adam block at %lld: value %lld has m %.9g, v %.9g", file,
                     (long long)b->param_offset, (long long)j, m, v);
        }
        st->adam_pairs++;
    }
}

static void check_fixture(const char *zip, const char *expected, fixture_stats *st) {
    json_t *exp = load_json(expected);
    const char *kind = json_string_value(json_object_get(exp, "kind"));
    assert_non_null(kind);
    if (strcmp(kind, "Normalizer") == 0) {
        json_decref(exp);
        return;
    }
    st->archives++;
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    TU_OK_R(r, dlz_reader_open_path(r, zip));
    dlz_params *p = NULL;
    TU_OK_R(r, dlz_reader_read_params(r, 0, &p));
    assert_int_equal(dlz_params_kind(p),
                     strcmp(kind, "ComputationGraph") == 0 ? DLZ_KIND_GRAPH : DLZ_KIND_MULTILAYER);
    dlz_array *c = NULL;
    TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
    TU_OK_P(p, dlz_params_check(p, c));
    const json_t *coef = json_object_get(exp, "coefficients");
    int64_t want_len =
        json_is_object(coef) ? (int64_t)json_integer_value(json_object_get(coef, "length")) : 0;
    assert_int_equal(dlz_params_total(p), want_len);
    assert_int_equal(c != NULL ? dlz_array_length(c) : 0, want_len);

    /* The same set of keys as DL4J's paramTable(), each equal value by value. */
    const json_t *params = json_object_get(exp, "params");
    assert_true(json_is_object(params));
    assert_int_equal(json_object_size(params), dlz_params_count(p));
    const char *key;
    const json_t *sum;
    json_object_foreach((json_t *)params, key, sum) {
        const char *us = strrchr(key, '_');
        assert_non_null(us);
        char name[256];
        snprintf(name, sizeof name, "%.*s/%s", (int)(us - key), key, us + 1);
        size_t i;
        if (dlz_params_find(p, name, &i) != DLZ_OK) {
            fail_msg("%s: DL4J's %s is not in the table as %s", zip, key, name);
        }
        dlz_param_info in;
        assert_int_equal(dlz_params_get(p, i, &in), DLZ_OK);
        /* Shape: DL4J's, except that M2.1's rank-1 vectors [n] are [1,n] here. */
        const json_t *shape = json_object_get(sum, "shape");
        size_t rank = json_array_size(shape);
        if (rank == 1) {
            assert_int_equal(in.rank, 2);
            assert_int_equal(in.shape[0], 1);
            assert_int_equal(in.shape[1], json_integer_value(json_array_get(shape, 0)));
        } else {
            assert_int_equal(in.rank, (int)rank);
            for (size_t k = 0; k < rank; k++) {
                assert_int_equal(in.shape[k], json_integer_value(json_array_get(shape, k)));
            }
        }
        const char *order = json_string_value(json_object_get(sum, "order"));
        assert_non_null(order);
        assert_int_equal(in.order, order[0]);
        assert_int_equal(in.length, json_integer_value(json_object_get(sum, "length")));
        /* Values: C order of the shape, as DL4J's values_hex. */
        for (int o = 0; o < 2; o++) {
            dlz_array *a = NULL;
            TU_OK_P(p, dlz_params_extract(p, i, c, o ? 'f' : 'c', &a));
            assert_int_equal(dlz_array_order(a), o ? 'f' : 'c');
            assert_string_equal(dlz_dtype_name(dlz_array_dtype(a)),
                                json_string_value(json_object_get(sum, "dtype")));
            char *hex = be_hex_c_order(a);
            const char *want = json_string_value(json_object_get(sum, "values_hex"));
            assert_non_null(want);
            if (strcmp(hex, want) != 0) {
                fail_msg("%s: %s (order %c) differs from DL4J's %s", zip, name, o ? 'f' : 'c', key);
            }
            st->values += o ? 0 : (int)in.length;
            free(hex);
            dlz_array_free(a);
        }
        st->params++;
    }

    /* The updater state length, and Adam's state layout on DL4J's values. */
    const json_t *upd = json_object_get(exp, "updater");
    TU_OK_P(p, dlz_params_updater_status(p));
    dlz_array *u = NULL;
    int rc = dlz_reader_read_updater(r, &u);
    if (json_is_object(upd)) {
        TU_OK_R(r, rc);
        assert_int_equal(dlz_params_updater_total(p),
                         json_integer_value(json_object_get(upd, "length")));
        TU_OK_P(p, dlz_params_updater_check(p, u));
        st->updaters++;
        size_t n = (size_t)dlz_array_length(u);
        double *s = malloc(sizeof(double) * (n ? n : 1));
        assert_non_null(s);
        assert_int_equal(dlz_array_to_f64(u, s, n), DLZ_OK);
        for (size_t b = 0; b < dlz_params_updater_block_count(p); b++) {
            dlz_updater_block blk;
            TU_OK_P(p, dlz_params_updater_block(p, b, &blk));
            if (strcmp(blk.updater, "Adam") == 0) {
                check_adam_block(zip, &blk, s, st);
            }
        }
        /* extract_state() returns the state of a parameter in its shape. */
        for (size_t i = 0; i < dlz_params_count(p); i++) {
            dlz_param_info in;
            assert_int_equal(dlz_params_get(p, i, &in), DLZ_OK);
            for (int k = 0; k < in.state_count; k++) {
                dlz_array *a = NULL;
                TU_OK_P(p, dlz_params_extract_state(p, i, k, u, 'c', &a));
                assert_int_equal(dlz_array_length(a), in.length);
                dlz_array_free(a);
            }
            dlz_array *none = NULL;
            assert_int_equal(dlz_params_extract_state(p, i, in.state_count, u, 'c', &none),
                             DLZ_ENOTFOUND);
            assert_null(none);
        }
        free(s);
    } else if (json_is_true(json_object_get(exp, "saved_with_updater"))) {
        /* Saved with the updater but no state: every updater is stateless. */
        assert_int_equal(rc, DLZ_ENOTFOUND);
        assert_int_equal(dlz_params_updater_total(p), 0);
        TU_OK_P(p, dlz_params_updater_check(p, NULL));
    }
    dlz_array_free(u);

    /* A graph's stored topological order, computed again without it. */
    const char *json;
    size_t jlen;
    TU_OK_R(r, dlz_reader_configuration(r, &json, &jlen));
    if (dlz_params_kind(p) == DLZ_KIND_GRAPH) {
        char *stripped = without_stored_order(json, jlen);
        dlz_params *q = parse_ok(stripped);
        assert_same_tables(p, q);
        dlz_params_free(q);
        free(stripped);
    }
    dlz_array_free(c);
    dlz_params_free(p);
    dlz_reader_free(r);
    json_decref(exp);
}

static void test_fixtures_match_dl4j(void **state) {
    (void)state;
    const char *dirs[] = {"dl4j-1.0.0-M2.1", "dl4j-1.0.0-beta7"};
    fixture_stats st = {0, 0, 0, 0, 0};
    for (size_t d = 0; d < 2; d++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/fixtures/%s", source_root(), dirs[d]);
        char *names[256];
        int n = tu_list_dir(dir, ".zip", names, 256);
        assert_int_equal(n, 35);
        for (int i = 0; i < n; i++) {
            char exp[4096];
            snprintf(exp, sizeof exp, "%.*s.expected.json", (int)(strlen(names[i]) - 4), names[i]);
            check_fixture(names[i], exp, &st);
            free(names[i]);
        }
    }
    assert_int_equal(st.archives, 70);
    print_message("fixtures: %d archives, %d parameters (%d values) equal to DL4J's "
                  "paramTable(), %d updater lengths, %d Adam (m, v) pairs\n",
                  st.archives, st.params, st.values, st.updaters, st.adam_pairs);
    assert_true(st.params > 300);
    assert_true(st.adam_pairs > 1000);
}

/* ------------------------------------------------------------------------ */
/* The shared corpus (DL4J 0.5 .. 1.0.0-beta6)                               */

#define MAX_FILES 256

static int collect_corpus(char **out) {
    const char *dirs[] = {"dl4j/050", "dl4j/060",   "dl4j/071",
                          "dl4j/080", "dl4j/100b4", "dl4j/100b6"};
    int n = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++) {
        char *names[MAX_FILES];
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", tu_corpus_path(dirs[d]));
        int k = tu_list_dir(dir, ".zip", names, MAX_FILES);
        k += tu_list_dir(dir, ".bin", names + k, MAX_FILES - k);
        for (int i = 0; i < k; i++) {
            size_t len;
            unsigned char *b = tu_read_file(names[i], &len);
            if (len >= 4 && memcmp(b, "PK\3\4", 4) == 0 && n < MAX_FILES) {
                out[n++] = names[i];
            } else {
                free(names[i]);
            }
            free(b);
        }
    }
    return n;
}

static void test_corpus_counts(void **state) {
    (void)state;
    if (tu_corpus_dir() == NULL) {
        print_message("corpus folder not found ($DLZ_CORPUS): skipping the corpus checks\n");
        skip();
    }
    char *files[MAX_FILES];
    int n = collect_corpus(files);
    assert_int_equal(n, 28);
    int counted = 0, custom = 0, updaters = 0, graphs = 0;
    for (int f = 0; f < n; f++) {
        const char *base = strrchr(files[f], '/') + 1;
        dlz_reader *r = dlz_reader_new();
        assert_non_null(r);
        TU_OK_R(r, dlz_reader_open_path(r, files[f]));
        dlz_params *p = NULL;
        int rc = dlz_reader_read_params(r, 0, &p);
        if (strncmp(base, "CustomLayerExample", 18) == 0) {
            /* A custom layer: reported by name, never guessed. */
            assert_int_equal(rc, DLZ_EUNSUPPORTED);
            assert_null(p);
            assert_string_equal(
                dlz_reader_errmsg(r),
                "configuration.json: layer 1 'layer1' (class "
                "org.deeplearning4j.regressiontest.customlayer100a.CustomLayer): unknown layer "
                "type; parameter layout unknown");
            custom++;
            dlz_reader_free(r);
            free(files[f]);
            continue;
        }
        TU_OK_R(r, rc);
        dlz_array *c = NULL, *u = NULL;
        TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
        TU_OK_P(p, dlz_params_check(p, c));
        assert_int_equal(dlz_params_total(p), dlz_array_length(c));
        counted++;
        /* Every parameter can be taken out of the vector. */
        for (size_t i = 0; i < dlz_params_count(p); i++) {
            dlz_array *a = NULL;
            TU_OK_P(p, dlz_params_extract(p, i, c, 'c', &a));
            dlz_array_free(a);
        }
        rc = dlz_reader_read_updater(r, &u);
        TU_OK_P(p, dlz_params_updater_status(p));
        if (rc == DLZ_OK) {
            assert_int_equal(dlz_params_updater_total(p), dlz_array_length(u));
            TU_OK_P(p, dlz_params_updater_check(p, u));
            updaters++;
        } else {
            assert_int_equal(rc, DLZ_ENOTFOUND);
            assert_int_equal(dlz_params_updater_total(p), 0);
        }
        if (dlz_params_kind(p) == DLZ_KIND_GRAPH) {
            const char *json;
            size_t jlen;
            TU_OK_R(r, dlz_reader_configuration(r, &json, &jlen));
            char *stripped = without_stored_order(json, jlen);
            dlz_params *q = parse_ok(stripped);
            assert_same_tables(p, q);
            dlz_params_free(q);
            free(stripped);
            graphs++;
        }
        dlz_array_free(c);
        dlz_array_free(u);
        dlz_params_free(p);
        dlz_reader_free(r);
        free(files[f]);
    }
    print_message("corpus: %d archives with parameter counts equal to coefficients.bin, %d "
                  "updater lengths, %d graph orders recomputed, %d custom layers reported\n",
                  counted, updaters, graphs, custom);
    assert_int_equal(counted, 22);
    assert_int_equal(custom, 6);
    assert_int_equal(updaters, 22);
    assert_int_equal(graphs, 5);
}

/* The legacy (0.6) graph: GravesLSTM, GravesBidirectionalLSTM, RnnOutput in
   vertices named "0", "1", "2" after the network input "in". */
static void test_corpus_legacy_graph(void **state) {
    (void)state;
    if (tu_corpus_dir() == NULL) {
        print_message("corpus folder not found ($DLZ_CORPUS): skipping\n");
        skip();
    }
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(
                   r, tu_corpus_path("dl4j/060/060_ModelSerializer_Regression_CG_LSTM_1.zip")));
    dlz_params *p = NULL;
    TU_OK_R(r, dlz_reader_read_params(r, 0, &p));
    char *t = table_str(p);
    assert_string_equal(t, "0/W[3,16]f@0 0/RW[4,19]f@48 0/b[1,16]f@124 1/WF[4,16]f@140 "
                           "1/RWF[4,19]f@204 1/bF[1,16]f@280 1/WB[4,16]f@296 1/RWB[4,19]f@360 "
                           "1/bB[1,16]f@436 2/W[4,5]f@452 2/b[1,5]f@472");
    free(t);
    dlz_layer_info li;
    assert_int_equal(dlz_params_layer(p, 1, &li), DLZ_OK);
    assert_string_equal(li.type, "GravesBidirectionalLSTM");
    assert_string_equal(li.class_name, "gravesBidirectionalLSTM");
    assert_int_equal(li.index, 2);
    /* 0.x LayerUpdater: one state view per parameter. */
    char *b = blocks_str(p);
    assert_string_equal(b, "RmsProp:0+1@0[lastGradient@0] RmsProp:1+1@48[lastGradient@48] "
                           "RmsProp:2+1@124[lastGradient@124] RmsProp:3+1@140[lastGradient@140] "
                           "RmsProp:4+1@204[lastGradient@204] RmsProp:5+1@280[lastGradient@280] "
                           "RmsProp:6+1@296[lastGradient@296] RmsProp:7+1@360[lastGradient@360] "
                           "RmsProp:8+1@436[lastGradient@436] RmsProp:9+1@452[lastGradient@452] "
                           "RmsProp:10+1@472[lastGradient@472]");
    free(b);
    dlz_params_free(p);
    dlz_reader_free(r);
}

/* ------------------------------------------------------------------------ */
/* Layer types (FORMAT.md E.4) on synthetic configurations                  */

#define ADAM                                                                                       \
    "\"iupdater\":{\"@class\":\"org.nd4j.linalg.learning.config.Adam\",\"learningRate\":0.01}"
#define L(cls) "{\"@class\":\"org.deeplearning4j.nn.conf.layers." cls "\","
#define DENSE L("DenseLayer")
#define OUTPUT L("OutputLayer")
#define CONV L("ConvolutionLayer")
#define SEPARABLE L("SeparableConvolution2D")
#define LSTM_ L("LSTM")
#define SIMPLE_RNN L("recurrent.SimpleRnn")
#define BIDIRECTIONAL L("recurrent.Bidirectional")
#define LAST_TIME_STEP L("recurrent.LastTimeStep")
#define VAE L("variational.VariationalAutoencoder")
/* The start of a MultiLayerNetwork configuration's first layer. */
#define CONF1 "{\"confs\":[{\"layer\":"
#define VERTEX(layer)                                                                              \
    "{\"@class\":\"org.deeplearning4j.nn.conf.graph.LayerVertex\",\"layerConf\":{\"layer\":" layer \
    "}}"

static void test_feedforward_layers(void **state) {
    (void)state;
    expect_layer(DENSE "\"nin\":3,\"nout\":2," ADAM "}", "0/W[3,2]f@0 0/b[1,2]f@6", 8);
    expect_layer(DENSE "\"nin\":3,\"nout\":2,\"hasLayerNorm\":true," ADAM "}",
                 "0/W[3,2]f@0 0/b[1,2]f@6 0/g[1,2]f@8", 10);
    expect_layer(DENSE "\"nin\":3,\"nout\":2,\"hasBias\":false,\"hasLayerNorm\":true," ADAM "}",
                 "0/W[3,2]f@0 0/g[1,2]f@6", 8);
    expect_layer(OUTPUT "\"nin\":5,\"nout\":3,\"hasBias\":false," ADAM "}", "0/W[5,3]f@0", 15);
    expect_layer(L("RnnOutputLayer") "\"nin\":4,\"nout\":2," ADAM "}", "0/W[4,2]f@0 0/b[1,2]f@8",
                 10);
    expect_layer(L("EmbeddingSequenceLayer") "\"nin\":10,\"nout\":4,\"hasBias\":true," ADAM "}",
                 "0/W[10,4]f@0 0/b[1,4]f@40", 44);
    expect_layer(L("CenterLossOutputLayer") "\"nin\":3,\"nout\":2," ADAM "}",
                 "0/W[3,2]f@0 0/b[1,2]f@6 0/cL[2,3]c@8", 14);
    expect_layer(L("AutoEncoder") "\"nin\":3,\"nout\":2," ADAM "}",
                 "0/W[3,2]f@0 0/b[1,2]f@6 0/vb[1,3]f@8", 11);
    expect_layer(L("misc.ElementWiseMultiplicationLayer") "\"nin\":4,\"nout\":4," ADAM "}",
                 "0/W[1,4]f@0 0/b[1,4]f@4", 8);
    expect_layer(
        L("PReLULayer") "\"nin\":0,\"nout\":0,\"inputShape\":[3,4,5],\"sharedAxes\":[2,3]," ADAM
                        "}",
        "0/W[3,1,1]f@0", 3);
    expect_layer(L("PReLULayer") "\"inputShape\":[6]," ADAM "}", "0/W[6]f@0", 6);
}

static void test_convolution_layers(void **state) {
    (void)state;
    expect_layer(CONV "\"nin\":1,\"nout\":4,\"kernelSize\":[3,3]," ADAM "}",
                 "0/b[1,4]f@0 0/W[4,1,3,3]c@4", 40);
    expect_layer(CONV "\"nin\":1,\"nout\":4,\"kernelSize\":[3,2],\"hasBias\":false," ADAM "}",
                 "0/W[4,1,3,2]c@0", 24);
    expect_layer(L("Convolution1DLayer") "\"nin\":77,\"nout\":32,\"kernelSize\":[3,1]," ADAM "}",
                 "0/b[1,32]f@0 0/W[32,77,3,1]c@32", 32 + 32 * 77 * 3);
    expect_layer(L("Convolution3D") "\"nin\":2,\"nout\":3,\"kernelSize\":[2,2,2]," ADAM "}",
                 "0/b[1,3]f@0 0/W[3,2,2,2,2]c@3", 51);
    expect_layer(L("Deconvolution2D") "\"nin\":2,\"nout\":3,\"kernelSize\":[2,2]," ADAM "}",
                 "0/b[1,3]f@0 0/W[2,3,2,2]c@3", 27);
    expect_layer(L("Deconvolution3D") "\"nin\":2,\"nout\":3,\"kernelSize\":[1,2,3]," ADAM "}",
                 "0/b[1,3]f@0 0/W[1,2,3,3,2]c@3", 39);
    /* Bias first in the vector, last in DL4J's paramTable(). */
    expect_layer(L("DepthwiseConvolution2D") "\"nin\":2,\"nout\":6,\"depthMultiplier\":3,"
                                             "\"kernelSize\":[2,2]," ADAM "}",
                 "0/W[2,2,2,3]c@6 0/b[1,6]f@0", 30);
    expect_layer(SEPARABLE "\"nin\":2,\"nout\":3,\"depthMultiplier\":2,"
                           "\"kernelSize\":[2,2]," ADAM "}",
                 "0/W[2,2,2,2]c@3 0/pW[3,4,1,1]c@19 0/b[1,3]f@0", 31);
    expect_layer(SEPARABLE "\"nin\":2,\"nout\":3,\"depthMultiplier\":2,"
                           "\"kernelSize\":[2,2],\"hasBias\":false," ADAM "}",
                 "0/W[2,2,2,2]c@0 0/pW[3,4,1,1]c@16", 28);
    expect_layer(L("BatchNormalization") "\"nin\":4,\"nout\":4," ADAM "}",
                 "0/gamma[1,4]f@0 0/beta[1,4]f@4 0/mean[1,4]f@8 0/var[1,4]f@12", 16);
    expect_layer(
        L("BatchNormalization") "\"nout\":4,\"lockGammaBeta\":true,\"useLogStd\":true," ADAM "}",
        "0/mean[1,4]f@0 0/log10stdev[1,4]f@4", 8);
}

static void test_recurrent_layers(void **state) {
    (void)state;
    expect_layer(LSTM_ "\"nin\":3,\"nout\":2," ADAM "}", "0/W[3,8]f@0 0/RW[2,8]f@24 0/b[1,8]f@40",
                 48);
    expect_layer(L("GravesLSTM") "\"nin\":3,\"nout\":2," ADAM "}",
                 "0/W[3,8]f@0 0/RW[2,11]f@24 0/b[1,8]f@46", 54);
    expect_layer(L("GravesBidirectionalLSTM") "\"nin\":3,\"nout\":2," ADAM "}",
                 "0/WF[3,8]f@0 0/RWF[2,11]f@24 0/bF[1,8]f@46 0/WB[3,8]f@54 0/RWB[2,11]f@78 "
                 "0/bB[1,8]f@100",
                 108);
    expect_layer(SIMPLE_RNN "\"nin\":3,\"nout\":2," ADAM "}",
                 "0/W[3,2]f@0 0/RW[2,2]f@6 0/b[1,2]f@10", 12);
    expect_layer(SIMPLE_RNN "\"nin\":3,\"nout\":2,\"hasLayerNorm\":true," ADAM "}",
                 "0/W[3,2]f@0 0/RW[2,2]f@6 0/b[1,2]f@10 0/g[1,4]f@12", 16);
    expect_layer(BIDIRECTIONAL "\"mode\":\"CONCAT\",\"fwd\":" LSTM_ "\"nin\":3,\"nout\":2," ADAM
                               "},\"bwd\":" LSTM_ "\"nin\":3,\"nout\":2," ADAM "}}",
                 "0/fW[3,8]f@0 0/fRW[2,8]f@24 0/fb[1,8]f@40 0/bW[3,8]f@48 0/bRW[2,8]f@72 "
                 "0/bb[1,8]f@88",
                 96);
    expect_layer(LAST_TIME_STEP "\"underlying\":" LSTM_ "\"nin\":3,\"nout\":2," ADAM "}}",
                 "0/W[3,8]f@0 0/RW[2,8]f@24 0/b[1,8]f@40", 48);
    expect_layer(L("recurrent.TimeDistributed") "\"underlying\":" DENSE "\"nin\":3,\"nout\":2," ADAM
                                                "}}",
                 "0/W[3,2]f@0 0/b[1,2]f@6", 8);
    expect_layer(L("util.MaskZeroLayer") "\"maskingValue\":0.0,\"underlying\":" SIMPLE_RNN
                                         "\"nin\":3,\"nout\":2," ADAM "}}",
                 "0/W[3,2]f@0 0/RW[2,2]f@6 0/b[1,2]f@10", 12);
    /* Types of wrapped layers name the inner layer. */
    const char *lts =
        LAST_TIME_STEP "\"underlying\":" BIDIRECTIONAL "\"fwd\":" LSTM_ "\"nin\":1,\"nout\":1," ADAM
                       "},\"bwd\":" LSTM_ "\"nin\":1,\"nout\":1," ADAM "}}}";
    char *json = mln(&lts, 1);
    dlz_params *p = parse_ok(json);
    dlz_param_info in;
    assert_int_equal(dlz_params_get(p, 5, &in), DLZ_OK);
    assert_string_equal(in.name, "0/bb");
    assert_string_equal(in.layer_type, "LastTimeStep(Bidirectional(LSTM))");
    assert_string_equal(in.updater, "Adam");
    dlz_params_free(p);
    free(json);
}

static void test_vae(void **state) {
    (void)state;
    /* The integration test VAEMnistAnomaly: 558,928 parameters (FORMAT.md E.4). */
    const char *bern = VAE "\"nin\":784,\"nout\":32,\"encoderLayerSizes\":[256,"
                           "256],\"decoderLayerSizes\":[256,256],"
                           "\"outputDistribution\":{\"@class\":\"org."
                           "deeplearning4j.nn.conf.layers.variational."
                           "BernoulliReconstructionDistribution\"}," ADAM "}";
    char *json = mln(&bern, 1);
    dlz_params *p = parse_ok(json);
    assert_int_equal(dlz_params_total(p), 558928);
    char *t = table_str(p);
    assert_string_equal(
        t, "0/e0W[784,256]f@0 0/e0b[1,256]f@200704 0/e1W[256,256]f@200960 0/e1b[1,256]f@266496 "
           "0/pZXMeanW[256,32]f@266752 0/pZXMeanb[1,32]f@274944 0/pZXLogStd2W[256,32]f@274976 "
           "0/pZXLogStd2b[1,32]f@283168 0/d0W[32,256]f@283200 0/d0b[1,256]f@291392 "
           "0/d1W[256,256]f@291648 0/d1b[1,256]f@357184 0/pXZW[256,784]f@357440 "
           "0/pXZb[1,784]f@558144");
    free(t);
    /* Pretraining parameters (pZXLogStd2, decoder, pXZ) form their own block. */
    char *b = blocks_str(p);
    assert_string_equal(b, "Adam:0+6@0[m@0,v@274976] Adam:6+8@274976[m@549952,v@833904]");
    free(b);
    dlz_params_free(p);
    free(json);
    /* Gaussian: 2 nIn distribution parameters; composite: the sum of its parts. */
    expect_layer(VAE "\"nin\":4,\"nout\":2,"
                     "\"encoderLayerSizes\":[3],\"decoderLayerSizes\":["
                     "3],\"outputDistribution\":{"
                     "\"@class\":\"org.deeplearning4j.nn.conf.layers."
                     "variational."
                     "GaussianReconstructionDistribution\"}," ADAM "}",
                 "0/e0W[4,3]f@0 0/e0b[1,3]f@12 0/pZXMeanW[3,2]f@15 0/pZXMeanb[1,2]f@21 "
                 "0/pZXLogStd2W[3,2]f@23 0/pZXLogStd2b[1,2]f@29 0/d0W[2,3]f@31 0/d0b[1,3]f@37 "
                 "0/pXZW[3,8]f@40 0/pXZb[1,8]f@64",
                 72);
    expect_layer(VAE "\"nin\":5,\"nout\":1,"
                     "\"encoderLayerSizes\":[1],\"decoderLayerSizes\":["
                     "1],\"outputDistribution\":{"
                     "\"@class\":\"org.deeplearning4j.nn.conf.layers."
                     "variational."
                     "CompositeReconstructionDistribution\","
                     "\"distributionSizes\":[2,3],"
                     "\"reconstructionDistributions\":[{\"@class\":"
                     "\"org.deeplearning4j.nn.conf.layers."
                     "variational.GaussianReconstructionDistribution\"},"
                     "{\"@class\":\"org.deeplearning4j."
                     "nn.conf.layers.variational."
                     "ExponentialReconstructionDistribution\"}]}," ADAM "}",
                 "0/e0W[5,1]f@0 0/e0b[1,1]f@5 0/pZXMeanW[1,1]f@6 0/pZXMeanb[1,1]f@7 "
                 "0/pZXLogStd2W[1,1]f@8 0/pZXLogStd2b[1,1]f@9 0/d0W[1,1]f@10 0/d0b[1,1]f@11 "
                 "0/pXZW[1,7]f@12 0/pXZb[1,7]f@19",
                 26);
}

static void test_parameterless_layers(void **state) {
    (void)state;
    const char *names[] = {
        "SubsamplingLayer",
        "Subsampling1DLayer",
        "Subsampling3DLayer",
        "GlobalPoolingLayer",
        "ZeroPaddingLayer",
        "ZeroPadding1DLayer",
        "ZeroPadding3DLayer",
        "convolutional.Cropping1D",
        "convolutional.Cropping2D",
        "convolutional.Cropping3D",
        "Upsampling1D",
        "Upsampling2D",
        "Upsampling3D",
        "ActivationLayer",
        "DropoutLayer",
        "LossLayer",
        "RnnLossLayer",
        "CnnLossLayer",
        "Cnn3DLossLayer",
        "LocalResponseNormalization",
        "objdetect.Yolo2OutputLayer",
        "util.MaskLayer",
        "SpaceToDepthLayer",
        "SpaceToBatchLayer",
        "misc.RepeatVector",
        "CapsuleStrengthLayer",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char layer[256];
        snprintf(layer, sizeof layer,
                 "{\"@class\":\"org.deeplearning4j.nn.conf.layers.%s\",\"layerName\":\"x\"}",
                 names[i]);
        const char *one = layer;
        char *json = mln(&one, 1);
        dlz_params *p = parse_ok(json);
        assert_int_equal(dlz_params_count(p), 0);
        assert_int_equal(dlz_params_total(p), 0);
        assert_int_equal(dlz_params_layer_count(p), 1);
        dlz_layer_info li;
        assert_int_equal(dlz_params_layer(p, 0, &li), DLZ_OK);
        assert_string_equal(li.layer_name, "x");
        TU_OK_P(p, dlz_params_check(p, NULL));
        assert_int_equal(dlz_params_updater_total(p), 0);
        TU_OK_P(p, dlz_params_updater_check(p, NULL));
        dlz_params_free(p);
        free(json);
    }
}

/* 0.5 .. 1.0.0-alpha: {"dense": {...}} wrapper objects. */
static void test_legacy_wrappers(void **state) {
    (void)state;
    const char *layers[] = {
        "{\"convolution\":{\"nin\":1,\"nout\":2,\"kernelSize\":[2,2],\"updater\":\"NESTEROVS\"}}",
        "{\"subsampling\":{\"kernelSize\":[2,2],\"updater\":\"NESTEROVS\"}}",
        "{\"batchNormalization\":{\"nin\":2,\"nout\":2,\"updater\":\"ADAM\"}}",
        "{\"dense\":{\"nin\":8,\"nout\":3,\"updater\":\"ADAM\"}}",
        "{\"FrozenLayer\":{\"layer\":{\"dense\":{\"nin\":3,\"nout\":3,\"updater\":\"ADAM\"}}}}",
        "{\"output\":{\"nin\":3,\"nout\":2,\"updater\":\"SGD\",\"layerName\":\"out\"}}",
    };
    char *json = mln(layers, 6);
    dlz_params *p = parse_ok(json);
    char *t = table_str(p);
    assert_string_equal(t, "0/b[1,2]f@0 0/W[2,1,2,2]c@2 2/gamma[1,2]f@10 2/beta[1,2]f@12 "
                           "2/mean[1,2]f@14 2/var[1,2]f@16 3/W[8,3]f@18 3/b[1,3]f@42 "
                           "4/W[3,3]f@45 4/b[1,3]f@54 5/W[3,2]f@57 5/b[1,2]f@63");
    free(t);
    /* Legacy enums keep a state view per parameter; frozen layers and BN
       statistics have none (stateless neighbours share a block). */
    char *b = blocks_str(p);
    assert_string_equal(b, "Nesterovs:0+1@0[v@0] Nesterovs:1+1@2[v@2] Adam:2+1@10[m@10,v@12] "
                           "Adam:3+1@12[m@14,v@16] NoOp:4+2@14[] Adam:6+1@18[m@18,v@42] "
                           "Adam:7+1@42[m@66,v@69] NoOp:8+2@45[] Sgd:10+1@57[] Sgd:11+1@63[]");
    free(b);
    assert_int_equal(dlz_params_updater_total(p), 72);
    dlz_layer_info li;
    assert_int_equal(dlz_params_layer(p, 4, &li), DLZ_OK);
    assert_string_equal(li.type, "FrozenLayer(DenseLayer)");
    assert_string_equal(li.class_name, "FrozenLayer");
    assert_int_equal(dlz_params_layer(p, 5, &li), DLZ_OK);
    assert_string_equal(li.layer_name, "out");
    dlz_params_free(p);
    free(json);
}

/* ------------------------------------------------------------------------ */
/* Updater blocks (FORMAT.md E.5)                                            */

#define UPD(cls, lr)                                                                               \
    "\"iupdater\":{\"@class\":\"org.nd4j.linalg.learning.config." cls "\",\"learningRate\":" lr "}"

static void test_updater_blocks(void **state) {
    (void)state;
    /* One Adam config shared: one block, m[0..N) then v[0..N). */
    const char *same[] = {
        DENSE "\"nin\":4,\"nout\":5," UPD("Adam", "0.01") "}",
        OUTPUT "\"nin\":5,\"nout\":3," UPD("Adam", "0.01") "}",
    };
    char *json = mln(same, 2);
    expect_blocks(json, "Adam:0+4@0[m@0,v@43]", 86);
    free(json);
    /* Different learning rates: two blocks, m1, v1, m2, v2. */
    const char *diff[] = {
        DENSE "\"nin\":4,\"nout\":5," UPD("Adam", "0.01") "}",
        OUTPUT "\"nin\":5,\"nout\":3," UPD("Adam", "0.02") "}",
    };
    json = mln(diff, 2);
    expect_blocks(json, "Adam:0+2@0[m@0,v@25] Adam:2+2@25[m@50,v@68]", 86);
    free(json);
    /* A bias updater applies to the bias keys only. */
    const char *bias[] = {
        DENSE "\"nin\":4,\"nout\":5," UPD(
            "Adam", "0.01") ",\"biasUpdater\":{\"@class\":"
                            "\"org.nd4j.linalg.learning.config.Sgd\",\"learningRate\":0.1}}",
        OUTPUT "\"nin\":5,\"nout\":3," UPD("Adam", "0.01") "}",
    };
    json = mln(bias, 2);
    expect_blocks(json, "Adam:0+1@0[m@0,v@20] Sgd:1+1@20[] Adam:2+2@25[m@40,v@58]", 76);
    free(json);
    /* Every state size, and the sub-array names. */
    struct {
        const char *cls;
        const char *want;
        int64_t total;
    } kinds[] = {
        {"Sgd", "Sgd:0+2@0[]", 0},
        {"NoOp", "NoOp:0+2@0[]", 0},
        {"Nesterovs", "Nesterovs:0+2@0[v@0]", 8},
        {"RmsProp", "RmsProp:0+2@0[lastGradient@0]", 8},
        {"AdaGrad", "AdaGrad:0+2@0[historicalGradient@0]", 8},
        {"Adam", "Adam:0+2@0[m@0,v@8]", 16},
        {"Nadam", "Nadam:0+2@0[m@0,v@8]", 16},
        {"AdaMax", "AdaMax:0+2@0[m@0,u@8]", 16},
        {"AdaDelta", "AdaDelta:0+2@0[msg@0,msdx@8]", 16},
        {"AdaBelief", "AdaBelief:0+2@0[m@0,s@8]", 16},
        {"AMSGrad", "AMSGrad:0+2@0[m@0,v@8,vHat@16]", 24},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        char layer[512];
        snprintf(layer, sizeof layer,
                 DENSE "\"nin\":3,\"nout\":2,\"iupdater\":{\"@class\":\"org.nd4j.linalg."
                       "learning.config.%s\"}}",
                 kinds[i].cls);
        const char *one = layer;
        json = mln(&one, 1);
        expect_blocks(json, kinds[i].want, kinds[i].total);
        free(json);
    }
    /* FrozenLayer and BatchNormalization statistics use NoOp; a
       FrozenLayerWithBackprop keeps the updater of the layer it wraps. */
    const char *frozen[] = {
        L("misc.FrozenLayer") "\"layer\":" DENSE "\"nin\":2,\"nout\":2," ADAM "}}",
        L("misc.FrozenLayerWithBackprop") "\"underlying\":" DENSE "\"nin\":2,\"nout\":2," ADAM "}}",
        L("BatchNormalization") "\"nout\":2," ADAM "}",
    };
    json = mln(frozen, 3);
    expect_blocks(json, "NoOp:0+2@0[] Adam:2+4@6[m@0,v@10] NoOp:6+2@16[]", 20);
    free(json);
    /* CenterLossOutputLayer: the centres use NoOp, the bias ignores the bias
       updater. */
    const char *cl = L("CenterLossOutputLayer") "\"nin\":3,\"nout\":2," ADAM
                                                ",\"biasUpdater\":{\"@class\":\"org.nd4j.linalg."
                                                "learning.config.Sgd\"}}";
    json = mln(&cl, 1);
    expect_blocks(json, "Adam:0+2@0[m@0,v@8] NoOp:2+1@8[]", 16);
    free(json);
    /* AutoEncoder: the visible bias is a pretraining parameter. */
    const char *ae[] = {
        L("AutoEncoder") "\"nin\":3,\"nout\":2," ADAM "}",
        L("AutoEncoder") "\"nin\":2,\"nout\":2," ADAM "}",
    };
    json = mln(ae, 2);
    expect_blocks(json,
                  "Adam:0+2@0[m@0,v@8] Adam:2+1@8[m@16,v@19] Adam:3+2@11[m@22,v@28] "
                  "Adam:5+1@17[m@34,v@36]",
                  38);
    free(json);
    /* Graph layers are grouped in topological order. */
    json = strdup(
        "{\"networkInputs\":[\"in\"],\"vertexInputs\":{\"a\":[\"in\"],\"b\":[\"a\"]},"
        "\"vertices\":{\"a\":" VERTEX(DENSE "\"nin\":2,\"nout\":2," ADAM "}") ",\"b\":" VERTEX(
            OUTPUT "\"nin\":2,\"nout\":1," ADAM "}") "}}");
    expect_blocks(json, "Adam:0+4@0[m@0,v@9]", 18);
    free(json);
}

static void test_updater_unknown(void **state) {
    (void)state;
    const char *layers[] = {
        DENSE "\"nin\":3,\"nout\":2," UPD("Adam", "0.01") "}",
        DENSE "\"nin\":2,\"nout\":2,\"layerName\":\"d\",\"iupdater\":{\"@class\":\"com."
              "example.MyUpdater\"}}",
    };
    char *json = mln(layers, 2);
    dlz_params *p = parse_ok(json);
    /* The table is known; the updater layout is not. */
    assert_int_equal(dlz_params_count(p), 4);
    assert_int_equal(dlz_params_updater_status(p), DLZ_EUNSUPPORTED);
    assert_string_equal(dlz_params_errmsg(p),
                        "configuration.json: layer 1 'd' (DenseLayer): parameter W: updater "
                        "'MyUpdater' is unknown; updater state layout unknown");
    assert_int_equal(dlz_params_updater_total(p), -1);
    assert_int_equal(dlz_params_updater_block_count(p), 0);
    dlz_updater_block b;
    assert_int_equal(dlz_params_updater_block(p, 0, &b), DLZ_EUNSUPPORTED);
    assert_int_equal(dlz_params_updater_check(p, NULL), DLZ_EUNSUPPORTED);
    dlz_param_info in;
    assert_int_equal(dlz_params_get(p, 0, &in), DLZ_OK);
    assert_null(in.updater);
    assert_int_equal(in.state_count, -1);
    dlz_params_free(p);
    free(json);
    /* A layer with parameters but no updater at all. */
    const char *none = DENSE "\"nin\":3,\"nout\":2}";
    json = mln(&none, 1);
    p = parse_ok(json);
    assert_int_equal(dlz_params_updater_status(p), DLZ_EFORMAT);
    assert_non_null(strstr(dlz_params_errmsg(p), "no updater is configured"));
    dlz_params_free(p);
    free(json);
}

/* ------------------------------------------------------------------------ */
/* Extraction and checks                                                     */

static void test_extract_orders(void **state) {
    (void)state;
    const char *layers[] = {
        DENSE "\"nin\":2,\"nout\":3," ADAM "}",
        CONV "\"nin\":1,\"nout\":2,\"kernelSize\":[1,2]," ADAM "}",
    };
    char *json = mln(layers, 2);
    dlz_params *p = parse_ok(json);
    assert_int_equal(dlz_params_total(p), 15);
    for (int rank1 = 0; rank1 < 2; rank1++) {
        dlz_array *c = iota(15, rank1);
        TU_OK_P(p, dlz_params_check(p, c));
        /* Dense W is 'f': W[i][j] = offset + i + 2 j. */
        size_t i;
        assert_int_equal(dlz_params_find(p, "0/W", &i), DLZ_OK);
        dlz_array *a = NULL;
        TU_OK_P(p, dlz_params_extract(p, i, c, 'c', &a));
        float want_c[6] = {0, 2, 4, 1, 3, 5};
        assert_int_equal(dlz_array_rank(a), 2);
        assert_memory_equal(dlz_array_data(a), want_c, sizeof want_c);
        double v[6];
        assert_int_equal(dlz_array_to_f64(a, v, 6), DLZ_OK);
        assert_true(v[1] == 2 && v[3] == 1);
        dlz_array_free(a);
        TU_OK_P(p, dlz_params_extract(p, i, c, 'f', &a));
        float want_f[6] = {0, 1, 2, 3, 4, 5};
        assert_memory_equal(dlz_array_data(a), want_f, sizeof want_f);
        assert_int_equal(dlz_array_to_f64(a, v, 6), DLZ_OK);
        assert_true(v[1] == 2 && v[3] == 1); /* same logical values */
        dlz_array_free(a);
        /* Conv W [2,1,1,2] 'c' after the bias [1,2] at 9. */
        assert_int_equal(dlz_params_find(p, "1/W", &i), DLZ_OK);
        TU_OK_P(p, dlz_params_extract(p, i, c, 'c', &a));
        float want_w[4] = {11, 12, 13, 14};
        assert_memory_equal(dlz_array_data(a), want_w, sizeof want_w);
        dlz_array_free(a);
        TU_OK_P(p, dlz_params_extract(p, i, c, 'f', &a));
        float want_wf[4] = {11, 13, 12, 14};
        assert_memory_equal(dlz_array_data(a), want_wf, sizeof want_wf);
        dlz_array_free(a);
        dlz_array_free(c);
    }
    /* An [N,1] column works as well as a row. */
    dlz_array *col = NULL;
    int64_t shape[2] = {15, 1};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_DOUBLE, 2, shape, 'f', &col, NULL, 0), DLZ_OK);
    double *d = dlz_array_data(col);
    for (int k = 0; k < 15; k++) {
        d[k] = k;
    }
    TU_OK_P(p, dlz_params_check(p, col));
    dlz_array *a = NULL;
    TU_OK_P(p, dlz_params_extract(p, 1, col, 'c', &a));
    assert_int_equal(dlz_array_dtype(a), DLZ_DTYPE_DOUBLE);
    assert_true(((double *)dlz_array_data(a))[1] == 7);
    dlz_array_free(a);
    dlz_array_free(col);
    /* Misuse. */
    dlz_array *c = iota(15, 0);
    assert_int_equal(dlz_params_extract(p, 99, c, 'c', &a), DLZ_EMISUSE);
    assert_int_equal(dlz_params_extract(p, 0, c, 'x', &a), DLZ_EMISUSE);
    assert_int_equal(dlz_params_extract(p, 0, NULL, 'c', &a), DLZ_EMISUSE);
    assert_int_equal(dlz_params_extract(p, 0, c, 'c', NULL), DLZ_EMISUSE);
    dlz_array_free(c);
    /* Too short, and not a vector. */
    c = iota(10, 0);
    assert_int_equal(dlz_params_extract(p, 3, c, 'c', &a), DLZ_EFORMAT);
    assert_null(a);
    assert_string_equal(dlz_params_errmsg(p),
                        "coefficients have 10 values; parameter 1/W needs values 11..14");
    dlz_array_free(c);
    dlz_array *m = NULL;
    int64_t ms[2] = {3, 5};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, ms, 'c', &m, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_params_check(p, m), DLZ_EFORMAT);
    assert_int_equal(dlz_params_extract(p, 0, m, 'c', &a), DLZ_EFORMAT);
    assert_non_null(strstr(dlz_params_errmsg(p), "not a vector"));
    dlz_array_free(m);
    dlz_params_free(p);
    free(json);
}

static void test_extract_state(void **state) {
    (void)state;
    const char *layers[] = {
        DENSE "\"nin\":2,\"nout\":3," UPD("Adam", "0.1") "}",
        L("BatchNormalization") "\"nout\":3," UPD("Adam", "0.1") "}",
        OUTPUT "\"nin\":3,\"nout\":1," UPD("Adam", "0.1") "}",
    };
    char *json = mln(layers, 3);
    dlz_params *p = parse_ok(json);
    /* Blocks: Adam [0,15) (W, b, gamma, beta), NoOp [15,21), Adam [21,25). */
    char *b = blocks_str(p);
    assert_string_equal(b, "Adam:0+4@0[m@0,v@15] NoOp:4+2@15[] Adam:6+2@21[m@30,v@34]");
    free(b);
    int64_t n = dlz_params_updater_total(p);
    assert_int_equal(n, 38);
    dlz_array *u = iota(n, 1);
    TU_OK_P(p, dlz_params_updater_check(p, u));
    dlz_array *a = NULL;
    size_t i;
    /* 0/b: values 6..8 of block 0, so m = 6..8 and v = 21..23 */
    assert_int_equal(dlz_params_find(p, "0/b", &i), DLZ_OK);
    TU_OK_P(p, dlz_params_extract_state(p, i, 1, u, 'c', &a));
    float want_v[3] = {21, 22, 23};
    assert_memory_equal(dlz_array_data(a), want_v, sizeof want_v);
    dlz_array_free(a);
    /* 0/W 'f' [2,3]: m is in the same layout as the values. */
    TU_OK_P(p, dlz_params_extract_state(p, 0, 0, u, 'c', &a));
    float want_m[6] = {0, 2, 4, 1, 3, 5};
    assert_memory_equal(dlz_array_data(a), want_m, sizeof want_m);
    dlz_array_free(a);
    /* 2/W: second Adam block, m at 30. */
    assert_int_equal(dlz_params_find(p, "2/W", &i), DLZ_OK);
    TU_OK_P(p, dlz_params_extract_state(p, i, 1, u, 'c', &a));
    float want_v2[3] = {34, 35, 36};
    assert_memory_equal(dlz_array_data(a), want_v2, sizeof want_v2);
    dlz_array_free(a);
    /* BatchNormalization mean: no state. */
    assert_int_equal(dlz_params_find(p, "1/mean", &i), DLZ_OK);
    dlz_param_info in;
    assert_int_equal(dlz_params_get(p, i, &in), DLZ_OK);
    assert_string_equal(in.updater, "NoOp");
    assert_int_equal(in.state_count, 0);
    assert_int_equal(dlz_params_extract_state(p, i, 0, u, 'c', &a), DLZ_ENOTFOUND);
    assert_int_equal(dlz_params_extract_state(p, i, -1, u, 'c', &a), DLZ_EMISUSE);
    dlz_array_free(u);
    /* Updater state of the wrong length. */
    u = iota(30, 1);
    assert_int_equal(dlz_params_updater_check(p, u), DLZ_EFORMAT);
    assert_string_equal(dlz_params_errmsg(p),
                        "updater state has 30 values; the Adam state of layer 2 (OutputLayer) "
                        "needs values 30..37");
    dlz_array_free(u);
    u = iota(40, 1);
    assert_int_equal(dlz_params_updater_check(p, u), DLZ_EFORMAT);
    assert_string_equal(dlz_params_errmsg(p),
                        "updater state has 40 values; the configured updaters need 38");
    dlz_array_free(u);
    dlz_params_free(p);
    free(json);
}

static void test_check_messages(void **state) {
    (void)state;
    const char *layers[] = {
        DENSE "\"nin\":4,\"nout\":5,\"layerName\":\"hidden\"," ADAM "}",
        OUTPUT "\"nin\":5,\"nout\":3,\"layerName\":\"output\"," ADAM "}",
    };
    char *json = mln(layers, 2);
    dlz_params *p = parse_ok(json);
    dlz_array *c = iota(40, 0);
    assert_int_equal(dlz_params_check(p, c), DLZ_EFORMAT);
    assert_string_equal(dlz_params_errmsg(p), "coefficients have 40 values; layer 1 'output' "
                                              "(OutputLayer) needs values 25..42");
    dlz_array_free(c);
    c = iota(50, 0);
    assert_int_equal(dlz_params_check(p, c), DLZ_EFORMAT);
    assert_string_equal(dlz_params_errmsg(p),
                        "coefficients have 50 values; the configuration's layers need 43");
    dlz_array_free(c);
    assert_int_equal(dlz_params_check(p, NULL), DLZ_EFORMAT);
    assert_string_equal(dlz_params_errmsg(p), "coefficients have 0 values; layer 0 'hidden' "
                                              "(DenseLayer) needs values 0..24");
    c = iota(43, 0);
    TU_OK_P(p, dlz_params_check(p, c));
    assert_string_equal(dlz_params_errmsg(p), "no error");
    dlz_array_free(c);
    dlz_params_free(p);
    free(json);
    /* In a graph, vertices are named. */
    p = parse_ok("{\"networkInputs\":[\"in\"],\"vertexInputs\":{\"d\":[\"in\"]},\"vertices\":{"
                 "\"d\":{\"@class\":\"org.deeplearning4j.nn.conf.graph.LayerVertex\",\"layerConf\":"
                 "{\"layer\":" DENSE "\"nin\":2,\"nout\":2," ADAM "}}}}}");
    c = iota(3, 0);
    assert_int_equal(dlz_params_check(p, c), DLZ_EFORMAT);
    assert_string_equal(dlz_params_errmsg(p),
                        "coefficients have 3 values; vertex 'd' (DenseLayer) needs values 0..5");
    dlz_array_free(c);
    dlz_params_free(p);
}

/* ------------------------------------------------------------------------ */
/* Graph order (ComputationGraph.calculateIndices)                           */

#define DENSE_VERTEX VERTEX(DENSE "\"nin\":1,\"nout\":1," ADAM "}")

static char *layer_order(const dlz_params *p) {
    char *s = calloc(1, 4096);
    assert_non_null(s);
    for (size_t i = 0; i < dlz_params_layer_count(p); i++) {
        dlz_layer_info li;
        assert_int_equal(dlz_params_layer(p, i, &li), DLZ_OK);
        snprintf(s + strlen(s), 4096 - strlen(s), "%s%s:%lld", i ? " " : "", li.name,
                 (long long)li.index);
    }
    return s;
}

/* Successors are visited in java.util.HashSet order: with the default
   capacity 16, vertex 17 (bucket 1) comes before vertex 3 (bucket 3). */
static void test_graph_hashset_order(void **state) {
    (void)state;
    char json[16384] = "{\"networkInputs\":[\"in\"],\"vertexInputs\":{";
    for (int v = 1; v <= 17; v++) {
        snprintf(json + strlen(json), sizeof json - strlen(json), "%s\"v%d\":[\"%s\"]",
                 v > 1 ? "," : "", v, v == 3 || v == 17 ? "in" : "v17");
    }
    strcat(json, "},\"vertices\":{");
    for (int v = 1; v <= 17; v++) {
        snprintf(json + strlen(json), sizeof json - strlen(json), "%s\"v%d\":" DENSE_VERTEX,
                 v > 1 ? "," : "", v);
    }
    strcat(json, "}}");
    dlz_params *p = parse_ok(json);
    char *o = layer_order(p);
    /* v17's 15 successors need capacity 32: they come in ascending order. */
    assert_string_equal(o, "v17:17 v3:3 v1:1 v2:2 v4:4 v5:5 v6:6 v7:7 v8:8 v9:9 v10:10 v11:11 "
                           "v12:12 v13:13 v14:14 v15:15 v16:16");
    free(o);
    dlz_param_info in;
    assert_int_equal(dlz_params_get(p, 0, &in), DLZ_OK);
    assert_string_equal(in.name, "v17/W");
    assert_int_equal(in.layer_index, 17);
    assert_int_equal(dlz_params_get(p, 2, &in), DLZ_OK);
    assert_string_equal(in.name, "v3/W");
    assert_int_equal(in.offset, 2);
    dlz_params_free(p);

    /* Seeds: network inputs and input-less vertices, by index; several inputs
       in networkInputs order; merge after both branches. */
    p = parse_ok("{\"networkInputs\":[\"b\",\"a\"],\"vertexInputs\":{\"m\":[\"y\",\"x\"],\"x\":["
                 "\"a\"],\"y\":[\"b\"],\"z\":[]},\"vertices\":{\"m\":{\"@class\":\"org."
                 "deeplearning4j.nn.conf.graph.MergeVertex\"},\"x\":" DENSE_VERTEX
                 ",\"y\":" DENSE_VERTEX ",\"z\":" DENSE_VERTEX "}}");
    o = layer_order(p);
    assert_string_equal(o, "z:5 y:4 x:3 m:2");
    free(o);
    dlz_layer_info li;
    assert_int_equal(dlz_params_layer(p, 3, &li), DLZ_OK);
    assert_string_equal(li.type, "MergeVertex");
    assert_int_equal(li.param_count, 0);
    dlz_params_free(p);
}

/* Two dense vertices fed by "in"; %s adds keys. */
#define TWO_VERTICES                                                                               \
    "{\"networkInputs\":[\"in\"],\"vertexInputs\":{\"a\":[\"in\"],\"b\":[\"in\"]},"                \
    "\"vertices\":{\"a\":" DENSE_VERTEX ",\"b\":" DENSE_VERTEX "}%s}"

/* A stored order is used as it is (DL4J reads it instead of sorting). */
static void test_graph_stored_order(void **state) {
    (void)state;
    const char *extra[] = {
        "", ",\"topologicalOrder\":[0,2,1],\"topologicalOrderStr\":[\"in\",\"b\",\"a\"]",
        ",\"topologicalOrderStr\":[\"in\",\"b\",\"a\"]", /* one list only: DL4J sorts */
    };
    const char *want[] = {"a:1 b:2", "b:2 a:1", "a:1 b:2"};
    for (size_t i = 0; i < 3; i++) {
        char json[8192];
        snprintf(json, sizeof json, TWO_VERTICES, extra[i]);
        dlz_params *p = parse_ok(json);
        char *o = layer_order(p);
        assert_string_equal(o, want[i]);
        free(o);
        dlz_params_free(p);
    }
}

/* Legacy graph vertices: {"LayerVertex": {...}} wrappers, FrozenVertex. */
static void test_graph_legacy_and_frozen(void **state) {
    (void)state;
    dlz_params *p = parse_ok(
        "{\"networkInputs\":[\"in\"],\"vertexInputs\":{\"0\":[\"in\"],\"1\":[\"0\",\"0\"],\"2\":["
        "\"1\"]},\"vertices\":{\"0\":{\"LayerVertex\":{\"layerConf\":{\"layer\":{\"dense\":{"
        "\"nin\":2,\"nout\":2,\"updater\":\"RMSPROP\"}}}}},\"1\":{\"ElementWiseVertex\":{\"op\":"
        "\"Add\"}},\"2\":{\"@class\":\"org.deeplearning4j.nn.conf.graph.FrozenVertex\","
        "\"underlying\":" DENSE_VERTEX "}}}");
    char *t = table_str(p);
    assert_string_equal(t, "0/W[2,2]f@0 0/b[1,2]f@4 2/W[1,1]f@6 2/b[1,1]f@7");
    free(t);
    char *b = blocks_str(p);
    assert_string_equal(b, "RmsProp:0+1@0[lastGradient@0] RmsProp:1+1@4[lastGradient@4] "
                           "NoOp:2+2@6[]");
    free(b);
    dlz_layer_info li;
    assert_int_equal(dlz_params_layer(p, 2, &li), DLZ_OK);
    assert_string_equal(li.type, "FrozenVertex(DenseLayer)");
    dlz_params_free(p);
}

/* ------------------------------------------------------------------------ */
/* Hostile configurations                                                    */

static void test_hostile_configs(void **state) {
    (void)state;
    struct {
        const char *json;
        int code;
        const char *msg;
    } cases[] = {
        {"not json", DLZ_EFORMAT, "not valid JSON"},
        {"[1]", DLZ_EFORMAT, "expected a JSON object at the top level"},
        {"{}", DLZ_EFORMAT, "neither a MultiLayerNetwork ('confs') nor a ComputationGraph"},
        {"{\"confs\":3}", DLZ_EFORMAT, "'confs' is not an array"},
        {"{\"confs\":[3]}", DLZ_EFORMAT, "layer 0: 'confs'[0] is not an object"},
        {"{\"confs\":[{}]}", DLZ_EFORMAT, "layer 0: 'layer' is missing"},
        {"{\"confs\":[{\"layer\":[]}]}", DLZ_EFORMAT, "layer 0: the layer is not a JSON object"},
        {"{\"confs\":[{\"layer\":{\"a\":{},\"b\":{}}}]}", DLZ_EFORMAT,
         "neither '@class' nor a single type key"},
        {"{\"confs\":[{\"layer\":{\"dense\":3}}]}", DLZ_EFORMAT,
         "the fields of layer type 'dense' are not a JSON object"},
        {"{\"confs\":[{\"layer\":{\"@class\":5}}]}", DLZ_EFORMAT, "'@class' is not a string"},
        {CONF1 DENSE "\"nout\":2}}]}", DLZ_EFORMAT,
         "configuration.json: layer 0 (DenseLayer): 'nin' is missing"},
        {CONF1 DENSE "\"nin\":2}}]}", DLZ_EFORMAT, "layer 0 (DenseLayer): 'nout' is missing"},
        {CONF1 DENSE "\"nin\":\"3\",\"nout\":2}}]}", DLZ_EFORMAT, "'nin' is not an integer"},
        {CONF1 DENSE "\"nin\":2.5,\"nout\":2}}]}", DLZ_EFORMAT, "'nin' is not an integer"},
        {CONF1 DENSE "\"nin\":-3,\"nout\":2}}]}", DLZ_EFORMAT, "'nin' is negative (-3)"},
        {CONF1 DENSE "\"nin\":3,\"nout\":2,\"hasBias\":1}}]}", DLZ_EFORMAT,
         "'hasBias' is not a boolean"},
        {CONF1 DENSE "\"layerName\":\"big\",\"nin\":"
                     "4000000000000000000,\"nout\":4000000000000000000}}]}",
         DLZ_EFORMAT, "layer 0 'big': parameter W: its size overflows"},
        {CONF1 DENSE "\"nin\":3037000499,\"nout\":3037000499}},"
                     "{\"layer\":" DENSE "\"nin\":3037000499,\"nout\":3037000499}}]}",
         DLZ_EFORMAT, "layer 1: parameter W: the total size overflows"},
        {CONF1 LSTM_ "\"nin\":1,\"nout\":4000000000000000000}}]}", DLZ_EFORMAT,
         "(LSTM): sizes overflow"},
        {CONF1 DENSE "\"nin\":1000000000,\"nout\":1000000000}},"
                     "{\"layer\":" DENSE "\"nin\":1000000000,\"nout\":1000000000}}]}",
         DLZ_OK, ""},
        {CONF1 DENSE "\"nin\":2000000000,\"nout\":2000000000}}]}", DLZ_EFORMAT,
         "the model has too many parameters (4000000002000000000)"},
        {CONF1 CONV "\"nin\":1,\"nout\":1}}]}", DLZ_EFORMAT,
         "(ConvolutionLayer): 'kernelSize' is missing"},
        {CONF1 CONV "\"nin\":1,\"nout\":1,\"kernelSize\":[1,2,3]}}]}", DLZ_EFORMAT,
         "'kernelSize' has 3 elements, expected 2..2"},
        {CONF1 CONV "\"nin\":1,\"nout\":1,\"kernelSize\":[1,-2]}}]}", DLZ_EFORMAT,
         "'kernelSize'[1] is not a non-negative integer"},
        {CONF1 L("DepthwiseConvolution2D") "\"nin\":1,\"nout\":1,\"kernelSize\":[1,1]}}]}",
         DLZ_EFORMAT, "'depthMultiplier' is missing"},
        {"{\"confs\":[{\"layer\":{\"@class\":\"com.example.Custom\",\"layerName\":\"mine\"}}]}",
         DLZ_EUNSUPPORTED,
         "configuration.json: layer 0 'mine' (class com.example.Custom): unknown layer type; "
         "parameter layout unknown"},
        {"{\"confs\":[{\"layer\":{\"@class\":\"com.example.DenseLayer\"}}]}", DLZ_EUNSUPPORTED,
         "(class com.example.DenseLayer): unknown layer type"},
        {"{\"confs\":[{\"layer\":{\"CustomLayer\":{\"nin\":1}}}]}", DLZ_EUNSUPPORTED,
         "layer 0 (class CustomLayer): unknown layer type"},
        {CONF1 L("LocallyConnected2D") "\"nin\":1}}]}", DLZ_EUNSUPPORTED,
         "(class org.deeplearning4j.nn.conf.layers.LocallyConnected2D): unknown layer type"},
        {CONF1 BIDIRECTIONAL "\"fwd\":{\"@class\":\"x.Rnn\"},"
                             "\"bwd\":{\"@class\":\"x.Rnn\"}}}]}",
         DLZ_EUNSUPPORTED, "layer 0 (class x.Rnn): unknown layer type"},
        {CONF1 BIDIRECTIONAL "\"fwd\":null}}]}", DLZ_EFORMAT, "'fwd' or 'bwd' is missing"},
        {CONF1 LAST_TIME_STEP "\"underlying\":null}}]}", DLZ_EFORMAT,
         "(LastTimeStep): 'underlying' (the wrapped layer) is missing"},
        {CONF1 VAE "\"nin\":1,\"nout\":1,"
                   "\"encoderLayerSizes\":[],\"decoderLayerSizes\":"
                   "[1]}}]}",
         DLZ_EFORMAT, "'encoderLayerSizes' has 0 elements"},
        {CONF1 VAE "\"nin\":1,\"nout\":1,"
                   "\"encoderLayerSizes\":[1],"
                   "\"decoderLayerSizes\":[1],"
                   "\"outputDistribution\":{\"@class\":"
                   "\"x.Weird\"}}}]}",
         DLZ_EUNSUPPORTED, "reconstruction distribution 'Weird' is unknown"},
        {CONF1 L("PReLULayer") "\"inputShape\":[2,3],\"sharedAxes\":[3]}}]}", DLZ_EFORMAT,
         "shared axis 3 is outside the input shape"},
        {"{\"vertices\":3}", DLZ_EFORMAT, "'vertices' is not an object"},
        {"{\"vertices\":{}}", DLZ_EFORMAT, "'networkInputs' is missing or not an array"},
        {"{\"vertices\":{},\"networkInputs\":[1]}", DLZ_EFORMAT,
         "'networkInputs'[0] is not a string"},
        {"{\"vertices\":{},\"networkInputs\":[\"a\",\"a\"]}", DLZ_EFORMAT,
         "the name 'a' is used twice"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"a\"]}", DLZ_EFORMAT,
         "the name 'a' is used twice"},
        {"{\"vertices\":{},\"networkInputs\":[],\"vertexInputs\":3}", DLZ_EFORMAT,
         "'vertexInputs' is not an object"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":\"in\"}}",
         DLZ_EFORMAT, "'vertexInputs' of vertex 'a' is not an array"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":[7]}}",
         DLZ_EFORMAT, "'vertexInputs' of vertex 'a': item 0 is not a string"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":[\"nowhere\"]}}",
         DLZ_EFORMAT,
         "vertex 'a' has input 'nowhere', which is neither a network input nor a vertex"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":[\"in\"],\"ghost\":[\"in\"]}}",
         DLZ_EFORMAT, "'vertexInputs' names 'ghost', which is not a vertex"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX ",\"b\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],"
         "\"vertexInputs\":{\"a\":[\"b\"],\"b\":[\"a\"]}}",
         DLZ_EFORMAT, "configuration.json: the graph has a cycle (it includes vertex 'a')"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX ",\"b\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],"
         "\"vertexInputs\":{\"a\":[\"in\"],\"b\":[\"b\",\"a\"]}}",
         DLZ_EFORMAT, "the graph has a cycle (it includes vertex 'b')"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":[\"in\"]},\"topologicalOrder\":[0],\"topologicalOrderStr\":[\"in\"]}",
         DLZ_EFORMAT, "have 1 / 1 entries for 2 network inputs and vertices"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":[\"in\"]},\"topologicalOrder\":[0,0],\"topologicalOrderStr\":[\"in\",\"a\"]}",
         DLZ_EFORMAT, "'topologicalOrder'[1] is not a new vertex index"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":[\"in\"]},\"topologicalOrder\":[0,5],\"topologicalOrderStr\":[\"in\",\"a\"]}",
         DLZ_EFORMAT, "'topologicalOrder'[1] is not a new vertex index"},
        {"{\"vertices\":{\"a\":" DENSE_VERTEX "},\"networkInputs\":[\"in\"],\"vertexInputs\":{"
         "\"a\":[\"in\"]},\"topologicalOrder\":[0,1],\"topologicalOrderStr\":[\"in\",\"zz\"]}",
         DLZ_EFORMAT, "'topologicalOrderStr'[1] does not name a new network input or vertex"},
        {"{\"vertices\":{\"a\":{\"@class\":\"org.deeplearning4j.nn.conf.graph.AttentionVertex\"}},"
         "\"networkInputs\":[\"in\"],\"vertexInputs\":{\"a\":[\"in\"]}}",
         DLZ_EUNSUPPORTED,
         "configuration.json: vertex 'a' (class org.deeplearning4j.nn.conf.graph.AttentionVertex): "
         "unknown vertex type; parameter layout unknown"},
        {"{\"vertices\":{\"a\":{\"@class\":\"org.deeplearning4j.nn.conf.graph.LayerVertex\"}},"
         "\"networkInputs\":[\"in\"],\"vertexInputs\":{\"a\":[\"in\"]}}",
         DLZ_EFORMAT, "vertex 'a' (LayerVertex): 'layerConf' has no 'layer'"},
        {"{\"vertices\":{\"a\":[]},\"networkInputs\":[]}", DLZ_EFORMAT,
         "vertex 'a': the vertex is not a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (cases[i].code == DLZ_OK) {
            dlz_params *p = parse_ok(cases[i].json);
            assert_int_equal(dlz_params_total(p), 2000000000000000000LL + 2000000000LL);
            dlz_params_free(p);
            continue;
        }
        parse_fails(cases[i].json, cases[i].code, cases[i].msg);
    }
    /* Wrappers nested without end. */
    char deep[16384] = "{\"confs\":[{\"layer\":";
    for (int i = 0; i < 40; i++) {
        strcat(deep, LAST_TIME_STEP "\"underlying\":");
    }
    strcat(deep, DENSE "\"nin\":1,\"nout\":1}");
    for (int i = 0; i < 40; i++) {
        strcat(deep, "}");
    }
    strcat(deep, "}]}");
    parse_fails(deep, DLZ_EFORMAT, "layer wrappers nested too deeply");
    /* Arguments. */
    dlz_params *p = (dlz_params *)1;
    char msg[64];
    assert_int_equal(dlz_params_parse("{}", 2, 0, NULL, msg, sizeof msg), DLZ_EMISUSE);
    assert_int_equal(dlz_params_parse(NULL, 2, 0, &p, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_params_parse("", 0, 0, &p, NULL, 0), DLZ_EFORMAT);
    assert_null(p);
    /* Not NUL-terminated text. */
    const char text[] = "{\"confs\":[]}garbage";
    assert_int_equal(dlz_params_parse(text, 12, 0, &p, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_params_count(p), 0);
    dlz_params_free(p);
}

/* ------------------------------------------------------------------------ */
/* DLZ_PARAMS_ASSUME_DENSE                                                   */

/* parse2 with flags; fails the test with the message on error. */
static dlz_params *parse2_ok(const char *json, unsigned flags) {
    dlz_params *p = NULL;
    char msg[512] = "";
    int rc = dlz_params_parse(json, strlen(json), flags, &p, msg, sizeof msg);
    if (rc != DLZ_OK) {
        fail_msg("dlz_params_parse = %d: %s\n%s", rc, msg, json);
    }
    return p;
}

/* parse2 fails with code and exactly the message `want`, flag or not. */
static void parse2_fails(const char *json, unsigned flags, int code, const char *want) {
    dlz_params *p = (dlz_params *)&p; /* must be reset to NULL */
    char msg[512] = "";
    int rc = dlz_params_parse(json, strlen(json), flags, &p, msg, sizeof msg);
    assert_null(p);
    if (rc != code || strcmp(msg, want) != 0) {
        fail_msg("got %d '%s', want %d with '%s'\n%s", rc, msg, code, want, json);
    }
}

/* Values of parameter `name` in row-major order (malloc'ed). */
static double *param_values(dlz_params *p, const dlz_array *coef, const char *name) {
    size_t i;
    assert_int_equal(dlz_params_find(p, name, &i), DLZ_OK);
    dlz_array *a = NULL;
    TU_OK_P(p, dlz_params_extract(p, i, coef, 'c', &a));
    size_t n = (size_t)dlz_array_length(a);
    double *v = malloc(n * sizeof *v + 1);
    assert_non_null(v);
    assert_int_equal(dlz_array_to_f64(a, v, n), DLZ_OK);
    dlz_array_free(a);
    return v;
}

/* A bare ND4J array file of the corpus as doubles (row-major), with its shape. */
static double *corpus_array(const char *path, int64_t *rows, int64_t *cols) {
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    TU_OK_R(r, dlz_reader_open_path(r, path));
    dlz_array *a = NULL;
    TU_OK_R(r, dlz_reader_read_array(r, &a));
    assert_int_equal(dlz_array_rank(a), 2);
    *rows = dlz_array_shape(a)[0];
    *cols = dlz_array_shape(a)[1];
    size_t n = (size_t)dlz_array_length(a);
    double *v = malloc(n * sizeof *v + 1);
    assert_non_null(v);
    assert_int_equal(dlz_array_to_f64(a, v, n), DLZ_OK);
    dlz_array_free(a);
    dlz_reader_free(r);
    return v;
}

/* y[rows,nout] = x[rows,nin] W[nin,nout] + b, row-major. */
static void affine(const double *x, int64_t rows, int64_t nin, const double *w, const double *b,
                   int64_t nout, double *y) {
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t j = 0; j < nout; j++) {
            double z = b[j];
            for (int64_t k = 0; k < nin; k++) {
                z += x[i * nin + k] * w[k * nout + j];
            }
            y[i * nout + j] = z;
        }
    }
}

/* The forward pass of the corpus CustomLayerExample network (Dense 5->6 tanh,
   CustomLayer 6->7: tanh on the first 3 outputs, sigmoid on the other 4,
   Output 7->8 softmax) on the assumed table, against the output DL4J saved:
   the guessed W layout is the one DL4J used. */
static void check_custom_forward(dlz_params *p, const dlz_array *coef, const char *version,
                                 const char *tag, double tol) {
    char rel[128];
    int64_t rows, cols, orows, ocols;
    snprintf(rel, sizeof rel, "dl4j/%s/CustomLayerExample_Input_%s.bin", version, tag);
    double *x = corpus_array(tu_corpus_path(rel), &rows, &cols);
    snprintf(rel, sizeof rel, "dl4j/%s/CustomLayerExample_Output_%s.bin", version, tag);
    double *want = corpus_array(tu_corpus_path(rel), &orows, &ocols);
    assert_int_equal(cols, 5);
    assert_int_equal(orows, rows);
    assert_int_equal(ocols, 8);
    const char *names[6] = {"0/W", "0/b", "1/W", "1/b", "2/W", "2/b"};
    double *v[6];
    for (int k = 0; k < 6; k++) {
        v[k] = param_values(p, coef, names[k]);
    }
    double *h0 = malloc((size_t)rows * 6 * sizeof *h0);
    double *h1 = malloc((size_t)rows * 7 * sizeof *h1);
    double *o = malloc((size_t)rows * 8 * sizeof *o);
    assert_true(h0 != NULL && h1 != NULL && o != NULL);
    affine(x, rows, 5, v[0], v[1], 6, h0);
    for (int64_t i = 0; i < rows * 6; i++) {
        h0[i] = tanh(h0[i]);
    }
    affine(h0, rows, 6, v[2], v[3], 7, h1);
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t j = 0; j < 7; j++) {
            double z = h1[i * 7 + j];
            h1[i * 7 + j] = j < 3 ? tanh(z) : 1.0 / (1.0 + exp(-z));
        }
    }
    affine(h1, rows, 7, v[4], v[5], 8, o);
    double worst = 0;
    for (int64_t i = 0; i < rows; i++) {
        double mx = o[i * 8], sum = 0;
        for (int64_t j = 1; j < 8; j++) {
            mx = o[i * 8 + j] > mx ? o[i * 8 + j] : mx;
        }
        for (int64_t j = 0; j < 8; j++) {
            sum += exp(o[i * 8 + j] - mx);
        }
        for (int64_t j = 0; j < 8; j++) {
            double d = fabs(exp(o[i * 8 + j] - mx) / sum - want[i * 8 + j]);
            worst = d > worst ? d : worst;
        }
    }
    if (!(worst <= tol)) {
        fail_msg("%s: forward pass differs from DL4J's output by %g (tolerance %g)", tag, worst,
                 tol);
    }
    for (int k = 0; k < 6; k++) {
        free(v[k]);
    }
    free(h0);
    free(h1);
    free(o);
    free(x);
    free(want);
}

/* The corpus CustomLayerExample archives: the custom layer fails by name
   without the flag; with it the guessed layout fits the coefficients, the
   updater state and DL4J's own forward pass, and only that layer is flagged. */
static void test_corpus_assume_dense(void **state) {
    (void)state;
    if (tu_corpus_dir() == NULL) {
        print_message("corpus folder not found ($DLZ_CORPUS): skipping the custom layer checks\n");
        skip();
    }
    const char *versions[] = {"100b4", "100b6"};
    const char *dtypes[] = {"double", "float", "half"};
    const double tols[] = {1e-12, 1e-6, 2e-3};
    int checked = 0;
    for (size_t v = 0; v < 2; v++) {
        for (size_t d = 0; d < 3; d++) {
            char rel[128], tag[32];
            snprintf(tag, sizeof tag, "%s_%s", versions[v], dtypes[d]);
            snprintf(rel, sizeof rel, "dl4j/%s/CustomLayerExample_%s.bin", versions[v], tag);
            dlz_reader *r = dlz_reader_new();
            assert_non_null(r);
            TU_OK_R(r, dlz_reader_open_path(r, tu_corpus_path(rel)));
            const char *want_msg =
                "configuration.json: layer 1 'layer1' (class "
                "org.deeplearning4j.regressiontest.customlayer100a.CustomLayer): unknown layer "
                "type; parameter layout unknown";
            dlz_params *p = (dlz_params *)&p;
            assert_int_equal(dlz_reader_read_params(r, 0, &p), DLZ_EUNSUPPORTED);
            assert_null(p);
            assert_string_equal(dlz_reader_errmsg(r), want_msg);
            p = (dlz_params *)&p;
            assert_int_equal(dlz_reader_read_params(r, 0, &p), DLZ_EUNSUPPORTED);
            assert_null(p);
            assert_string_equal(dlz_reader_errmsg(r), want_msg);

            TU_OK_R(r, dlz_reader_read_params(r, DLZ_PARAMS_ASSUME_DENSE, &p));
            char *t = table_str(p);
            assert_string_equal(t, "0/W[5,6]f@0 0/b[1,6]f@30 1/W[6,7]f@36 1/b[1,7]f@78 "
                                   "2/W[7,8]f@85 2/b[1,8]f@141");
            free(t);
            dlz_array *c = NULL, *u = NULL;
            TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
            assert_int_equal(dlz_params_total(p), dlz_array_length(c));
            TU_OK_P(p, dlz_params_check(p, c));
            TU_OK_R(r, dlz_reader_read_updater(r, &u));
            TU_OK_P(p, dlz_params_updater_status(p));
            assert_int_equal(dlz_params_updater_total(p), dlz_array_length(u));
            TU_OK_P(p, dlz_params_updater_check(p, u));
            char *b = blocks_str(p);
            assert_string_equal(b, "RmsProp:0+6@0[lastGradient@0]");
            free(b);
            /* Only the custom layer is flagged. */
            assert_int_equal(dlz_params_assumed_count(p), 1);
            assert_int_equal(dlz_params_layer_count(p), 3);
            for (size_t i = 0; i < dlz_params_layer_count(p); i++) {
                dlz_layer_info li;
                assert_int_equal(dlz_params_layer(p, i, &li), DLZ_OK);
                assert_int_equal(li.assumed, i == 1);
                if (i == 1) {
                    assert_string_equal(li.type, "CustomLayer");
                    assert_string_equal(
                        li.class_name,
                        "org.deeplearning4j.regressiontest.customlayer100a.CustomLayer");
                    assert_string_equal(li.layer_name, "layer1");
                }
            }
            for (size_t i = 0; i < dlz_params_count(p); i++) {
                dlz_param_info pi;
                assert_int_equal(dlz_params_get(p, i, &pi), DLZ_OK);
                assert_int_equal(pi.assumed, strcmp(pi.layer, "1") == 0);
                assert_string_equal(pi.updater, "RmsProp");
            }
            check_custom_forward(p, c, versions[v], tag, tols[d]);
            dlz_array_free(c);
            dlz_array_free(u);
            dlz_params_free(p);
            dlz_reader_free(r);
            checked++;
        }
    }

    /* With the flag the count check passes on every archive of the corpus,
       and nothing else is guessed. */
    char *files[MAX_FILES];
    int n = collect_corpus(files), all = 0, assumed = 0;
    for (int f = 0; f < n; f++) {
        dlz_reader *r = dlz_reader_new();
        assert_non_null(r);
        TU_OK_R(r, dlz_reader_open_path(r, files[f]));
        dlz_params *p = NULL;
        dlz_array *c = NULL;
        TU_OK_R(r, dlz_reader_read_params(r, DLZ_PARAMS_ASSUME_DENSE, &p));
        TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
        TU_OK_P(p, dlz_params_check(p, c));
        TU_OK_P(p, dlz_params_updater_status(p));
        int custom = strstr(files[f], "/CustomLayerExample") != NULL;
        assert_int_equal(dlz_params_assumed_count(p), custom ? 1 : 0);
        assumed += custom;
        all++;
        dlz_array_free(c);
        dlz_params_free(p);
        dlz_reader_free(r);
        free(files[f]);
    }
    print_message("corpus: %d CustomLayerExample archives fit the assumed dense layout and "
                  "DL4J's outputs; with the flag %d of %d archives pass the count check, %d "
                  "flagged\n",
                  checked, all, n, assumed);
    assert_int_equal(checked, 6);
    assert_int_equal(all, 28);
    assert_int_equal(assumed, 6);
}

#define CUSTOM(fields) "{\"@class\":\"com.example.MyLayer\"," fields "}"
#define CUSTOM_1_2 CUSTOM("\"nin\":1,\"nout\":2," ADAM)
#define SGD_BIAS "\"biasUpdater\":{\"@class\":\"org.nd4j.linalg.learning.config.Sgd\"}"

/* The guess on synthetic configurations: where it applies, where it does not. */
static void test_assume_dense(void **state) {
    (void)state;
    const unsigned A = DLZ_PARAMS_ASSUME_DENSE;
    /* W, b with the layer's own updaters (biasUpdater for b); nIn/nOut spelt
       either way. */
    const char *cfg = CONF1 DENSE "\"nin\":4,\"nout\":3," ADAM "}},{\"layer\":" CUSTOM(
        "\"layerName\":\"mine\",\"nIn\":3,\"nOut\":2," ADAM "," SGD_BIAS) "}]}";
    dlz_params *p = parse2_ok(cfg, A);
    char *t = table_str(p);
    assert_string_equal(t, "0/W[4,3]f@0 0/b[1,3]f@12 1/W[3,2]f@15 1/b[1,2]f@21");
    free(t);
    char *b = blocks_str(p);
    assert_string_equal(b, "Adam:0+3@0[m@0,v@21] Sgd:3+1@21[]");
    free(b);
    assert_int_equal(dlz_params_updater_total(p), 42);
    assert_int_equal(dlz_params_assumed_count(p), 1);
    dlz_layer_info li;
    assert_int_equal(dlz_params_layer(p, 0, &li), DLZ_OK);
    assert_int_equal(li.assumed, 0);
    assert_int_equal(dlz_params_layer(p, 1, &li), DLZ_OK);
    assert_int_equal(li.assumed, 1);
    assert_string_equal(li.type, "MyLayer");
    assert_string_equal(li.class_name, "com.example.MyLayer");
    assert_int_equal(li.offset, 15);
    assert_int_equal(li.length, 8);
    dlz_param_info pi;
    assert_int_equal(dlz_params_get(p, 1, &pi), DLZ_OK);
    assert_int_equal(pi.assumed, 0);
    assert_int_equal(dlz_params_get(p, 3, &pi), DLZ_OK);
    assert_int_equal(pi.assumed, 1);
    assert_string_equal(pi.updater, "Sgd");
    dlz_params_free(p);
    /* Without the flag, by name, as before. */
    parse2_fails(cfg, 0, DLZ_EUNSUPPORTED,
                 "configuration.json: layer 1 'mine' (class com.example.MyLayer): unknown layer "
                 "type; parameter layout unknown");
    /* hasBias false: W only; a legacy wrapper key and updater enum; wrapped;
       in a graph. */
    struct {
        const char *json;
        const char *table;
        const char *blocks;
    } ok[] = {
        {CONF1 CUSTOM("\"nin\":2,\"nout\":3,\"hasBias\":false," ADAM) "}]}", "0/W[2,3]f@0",
         "Adam:0+1@0[m@0,v@6]"},
        {CONF1 CUSTOM("\"nin\":2,\"nout\":3,\"hasBias\":null," ADAM) "}]}",
         "0/W[2,3]f@0 0/b[1,3]f@6", "Adam:0+2@0[m@0,v@9]"},
        {"{\"confs\":[{\"layer\":{\"myLayer\":{\"nin\":2,\"nout\":1,\"updater\":\"NESTEROVS\"}}}]}",
         "0/W[2,1]f@0 0/b[1,1]f@2", "Nesterovs:0+1@0[v@0] Nesterovs:1+1@2[v@2]"},
        /* inside a FrozenLayer: NoOp, the outer layer flagged */
        {CONF1 L("misc.FrozenLayer") "\"layer\":" CUSTOM_1_2 "}}]}", "0/W[1,2]f@0 0/b[1,2]f@2",
         "NoOp:0+2@0[]"},
        /* in a graph, as a LayerVertex */
        {"{\"networkInputs\":[\"in\"],\"vertexInputs\":{\"c\":[\"in\"]},\"vertices\":{"
         "\"c\":" VERTEX(CUSTOM("\"nin\":2,\"nout\":2," ADAM)) "}}",
         "c/W[2,2]f@0 c/b[1,2]f@4", "Adam:0+2@0[m@0,v@6]"},
    };
    for (size_t k = 0; k < sizeof ok / sizeof *ok; k++) {
        p = parse2_ok(ok[k].json, A);
        t = table_str(p);
        b = blocks_str(p);
        if (strcmp(t, ok[k].table) != 0 || strcmp(b, ok[k].blocks) != 0) {
            fail_msg("case %zu: got %s / %s, want %s / %s", k, t, b, ok[k].table, ok[k].blocks);
        }
        free(t);
        free(b);
        assert_int_equal(dlz_params_assumed_count(p), 1);
        assert_int_equal(dlz_params_layer(p, 0, &li), DLZ_OK);
        assert_int_equal(li.assumed, 1);
        dlz_params_free(p);
    }
    /* Not guessed, even with the flag: the by-name error. */
    struct {
        const char *json;
        const char *msg;
    } bad[] = {
        {CONF1 CUSTOM("\"nout\":3," ADAM) "}]}",
         "configuration.json: layer 0 (class com.example.MyLayer): unknown layer type; parameter "
         "layout unknown"},
        {CONF1 CUSTOM("\"nin\":null,\"nout\":3") "}]}",
         "configuration.json: layer 0 (class com.example.MyLayer): unknown layer type; parameter "
         "layout unknown"},
        {CONF1 CUSTOM("\"layerName\":\"x\",\"nin\":3") "}]}",
         "configuration.json: layer 0 'x' (class com.example.MyLayer): unknown layer type; "
         "parameter layout unknown"},
        {CONF1 CUSTOM("\"nin\":\"3\",\"nout\":3") "}]}",
         "configuration.json: layer 0 (class com.example.MyLayer): unknown layer type; parameter "
         "layout unknown"},
        {CONF1 CUSTOM("\"nin\":-1,\"nout\":3") "}]}",
         "configuration.json: layer 0 (class com.example.MyLayer): unknown layer type; parameter "
         "layout unknown"},
        {CONF1 CUSTOM("\"nin\":1,\"nout\":3,\"hasBias\":1") "}]}",
         "configuration.json: layer 0 (class com.example.MyLayer): unknown layer type; parameter "
         "layout unknown"},
        {"{\"confs\":[{\"layer\":{\"CustomLayer\":{\"nin\":1}}}]}",
         "configuration.json: layer 0 (class CustomLayer): unknown layer type; parameter layout "
         "unknown"},
        /* DL4J's own layers have their own layouts */
        {CONF1 L("LocallyConnected2D") "\"nin\":1,\"nout\":2}}]}",
         "configuration.json: layer 0 (class "
         "org.deeplearning4j.nn.conf.layers.LocallyConnected2D): "
         "unknown layer type; parameter layout unknown"},
        {CONF1 "{\"@class\":\"org.deeplearning4j.nn.conf.ocnn.OCNNOutputLayer\",\"nin\":1,"
               "\"nout\":2}}]}",
         "configuration.json: layer 0 (class org.deeplearning4j.nn.conf.ocnn.OCNNOutputLayer): "
         "unknown layer type; parameter layout unknown"},
        /* a vertex is not a layer */
        {"{\"networkInputs\":[\"in\"],\"vertexInputs\":{\"v\":[\"in\"]},\"vertices\":{\"v\":{"
         "\"@class\":\"com.example.MyVertex\",\"nin\":1,\"nout\":1}}}",
         "configuration.json: vertex 'v' (class com.example.MyVertex): unknown vertex type; "
         "parameter layout unknown"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        parse2_fails(bad[k].json, A, DLZ_EUNSUPPORTED, bad[k].msg);
        parse2_fails(bad[k].json, 0, DLZ_EUNSUPPORTED, bad[k].msg);
    }
    /* Known layers are unaffected by the flag. */
    p = parse2_ok(cfg, A);
    dlz_params *q = parse2_ok(CONF1 DENSE "\"nin\":4,\"nout\":3," ADAM "}}]}", A);
    assert_int_equal(dlz_params_assumed_count(q), 0);
    assert_int_equal(dlz_params_get(q, 0, &pi), DLZ_OK);
    assert_int_equal(pi.assumed, 0);
    dlz_params_free(q);
    dlz_params_free(p);
    assert_int_equal(dlz_params_assumed_count(NULL), 0);
    /* Unknown flag bits. */
    parse2_fails(cfg, 0x2u, DLZ_EMISUSE, "unknown flags 0x2");
    parse2_fails(cfg, A | 0x80000000u, DLZ_EMISUSE, "unknown flags 0x80000000");
    assert_int_equal(dlz_params_parse(cfg, strlen(cfg), A, NULL, NULL, 0), DLZ_EMISUSE);
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    assert_int_equal(dlz_reader_read_params(NULL, A, &p), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_read_params(r, A, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_read_params(r, A, &p), DLZ_EMISUSE); /* nothing open */
    assert_null(p);
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/dl4j-1.0.0-M2.1/mln-dense-adam-float.zip",
             source_root());
    TU_OK_R(r, dlz_reader_open_path(r, path));
    p = (dlz_params *)&p;
    assert_int_equal(dlz_reader_read_params(r, 0x4u, &p), DLZ_EMISUSE);
    assert_null(p);
    assert_string_equal(dlz_reader_errmsg(r), "unknown flags 0x4");
    TU_OK_R(r, dlz_reader_read_params(r, A, &p));
    assert_int_equal(dlz_params_assumed_count(p), 0);
    dlz_params_free(p);
    dlz_reader_free(r);
}

static void test_api_misuse(void **state) {
    (void)state;
    assert_int_equal(dlz_params_count(NULL), 0);
    assert_int_equal(dlz_params_total(NULL), 0);
    assert_int_equal(dlz_params_layer_count(NULL), 0);
    assert_int_equal(dlz_params_kind(NULL), DLZ_KIND_UNKNOWN);
    assert_int_equal(dlz_params_updater_total(NULL), -1);
    assert_int_equal(dlz_params_updater_block_count(NULL), 0);
    assert_int_equal(dlz_params_updater_status(NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_params_check(NULL, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_params_extract(NULL, 0, NULL, 'c', NULL), DLZ_EMISUSE);
    assert_string_equal(dlz_params_errmsg(NULL), "no parameter table");
    dlz_params_free(NULL);
    dlz_param_info in;
    dlz_layer_info li;
    size_t ix;
    assert_int_equal(dlz_params_get(NULL, 0, &in), DLZ_EMISUSE);
    assert_int_equal(dlz_params_layer(NULL, 0, &li), DLZ_EMISUSE);
    assert_int_equal(dlz_params_find(NULL, "x", &ix), DLZ_EMISUSE);

    dlz_params *p = parse_ok(CONF1 DENSE "\"nin\":1,\"nout\":1," ADAM "}}]}");
    assert_int_equal(dlz_params_get(p, 2, &in), DLZ_EMISUSE);
    assert_int_equal(dlz_params_layer(p, 1, &li), DLZ_EMISUSE);
    assert_int_equal(dlz_params_find(p, "0/X", &ix), DLZ_ENOTFOUND);
    assert_int_equal(dlz_params_find(p, "0_W", &ix), DLZ_ENOTFOUND);
    assert_int_equal(dlz_params_find(p, "0/b", &ix), DLZ_OK);
    assert_int_equal(ix, 1);
    dlz_updater_block b;
    assert_int_equal(dlz_params_updater_block(p, 1, &b), DLZ_EMISUSE);
    assert_int_equal(dlz_params_updater_block(p, 0, NULL), DLZ_EMISUSE);
    dlz_params_free(p);

    /* The reader: nothing open, a bare array. */
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    assert_int_equal(dlz_reader_read_params(NULL, 0, &p), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_read_params(r, 0, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_read_params(r, 0, &p), DLZ_EMISUSE);
    assert_null(p);
    dlz_reader_free(r);
}

/* Every allocation failing in turn gives DLZ_ENOMEM, never a crash or leak. */
static void test_out_of_memory(void **state) {
    (void)state;
    const char *configs[] = {
        "{\"networkInputs\":[\"in\"],\"vertexInputs\":{\"a\":[\"in\"],\"b\":[\"a\"],\"m\":[\"a\","
        "\"b\"]},\"vertices\":{\"a\":" DENSE_VERTEX ",\"b\":" DENSE_VERTEX ",\"m\":{\"@class\":"
        "\"org.deeplearning4j.nn.conf.graph.MergeVertex\"}}}",
        CONF1 BIDIRECTIONAL "\"fwd\":" LSTM_ "\"nin\":3,\"nout\":2," ADAM "},\"bwd\":" LSTM_
                            "\"nin\":3,\"nout\":2," ADAM "}}},{\"layer\":" SEPARABLE
                            "\"nin\":2,\"nout\":3,\"depthMultiplier\":2,"
                            "\"kernelSize\":[2,2]," ADAM "}}]}",
        CONF1 L("misc.FrozenLayer") "\"layer\":" CUSTOM_1_2 "}},{\"layer\":" CUSTOM_1_2 "}]}",
    };
    for (size_t k = 0; k < sizeof configs / sizeof *configs; k++) {
        int done = 0;
        for (long n = 1; n < 1000 && !done; n++) {
            dlz_params *p = NULL;
            char msg[256];
            dlzi_alloc_fail_after(n);
            int rc = dlz_params_parse(configs[k], strlen(configs[k]), DLZ_PARAMS_ASSUME_DENSE, &p,
                                      msg, sizeof msg);
            dlzi_alloc_fail_after(0);
            if (rc == DLZ_OK) {
                /* extraction under failing allocations too */
                dlz_array *c = iota(dlz_params_total(p), 0), *a = NULL;
                dlzi_alloc_fail_after(1);
                rc = dlz_params_extract(p, 0, c, 'c', &a);
                dlzi_alloc_fail_after(0);
                assert_int_equal(rc, DLZ_ENOMEM);
                assert_null(a);
                dlz_array_free(c);
                dlz_params_free(p);
                done = 1;
            } else {
                assert_int_equal(rc, DLZ_ENOMEM);
                assert_null(p);
                assert_string_equal(msg, "out of memory");
            }
        }
        assert_true(done);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_match_dl4j),
        cmocka_unit_test(test_corpus_counts),
        cmocka_unit_test(test_corpus_legacy_graph),
        cmocka_unit_test(test_feedforward_layers),
        cmocka_unit_test(test_convolution_layers),
        cmocka_unit_test(test_recurrent_layers),
        cmocka_unit_test(test_vae),
        cmocka_unit_test(test_parameterless_layers),
        cmocka_unit_test(test_legacy_wrappers),
        cmocka_unit_test(test_updater_blocks),
        cmocka_unit_test(test_updater_unknown),
        cmocka_unit_test(test_extract_orders),
        cmocka_unit_test(test_extract_state),
        cmocka_unit_test(test_check_messages),
        cmocka_unit_test(test_graph_hashset_order),
        cmocka_unit_test(test_graph_stored_order),
        cmocka_unit_test(test_graph_legacy_and_frozen),
        cmocka_unit_test(test_hostile_configs),
        cmocka_unit_test(test_corpus_assume_dense),
        cmocka_unit_test(test_assume_dense),
        cmocka_unit_test(test_api_misuse),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
