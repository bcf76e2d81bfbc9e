/* test_corpus.c - every DL4J-written archive of the shared corpus is read and
 * compared, element by element, with an independent decoder (testutil.c),
 * with the values DL4J's own regression tests put there, and survives a
 * rewrite in both generations and both compressions. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_FILES 256

static char *archives[MAX_FILES];
static int n_archives;

/* Archives: *.zip, and *.bin files that start with a zip signature. */
static void collect(void) {
    const char *dirs[] = {"dl4j/050", "dl4j/060",   "dl4j/071",
                          "dl4j/080", "dl4j/100b4", "dl4j/100b6"};
    n_archives = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++) {
        char *names[MAX_FILES];
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", tu_corpus_path(dirs[d]));
        int n = tu_list_dir(dir, ".zip", names, MAX_FILES);
        n += tu_list_dir(dir, ".bin", names + n, MAX_FILES - n);
        for (int i = 0; i < n; i++) {
            size_t len;
            unsigned char *b = tu_read_file(names[i], &len);
            if (len >= 4 && memcmp(b, "PK\3\4", 4) == 0 && n_archives < MAX_FILES) {
                archives[n_archives++] = names[i];
            } else {
                free(names[i]);
            }
            free(b);
        }
    }
}

static int setup(void **state) {
    (void)state;
    if (tu_corpus_dir() != NULL) {
        collect();
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < n_archives; i++) {
        free(archives[i]);
    }
    return 0;
}

static void need_corpus(void) {
    if (tu_corpus_dir() == NULL) {
        print_message("corpus folder not found ($DLZ_CORPUS): skipping\n");
        skip();
    }
}

/* Checks a decoded array against the independent decoding of the same bytes:
   same dtype, shape and every element's bits in logical order. */
static void compare_with_reference(const char *file, const char *entry, const dlz_array *a,
                                   const unsigned char *raw, size_t rawlen) {
    tu_array t;
    if (tu_parse_array(raw, rawlen, &t) != 0) {
        fail_msg("%s %s: the reference decoder cannot parse it", file, entry);
    }
    assert_string_equal(dlz_dtype_name(dlz_array_dtype(a)), t.dtype);
    assert_string_equal(dlz_generation_name(dlz_array_generation(a)), t.mode);
    assert_int_equal(dlz_array_rank(a), t.rank);
    for (int k = 0; k < t.rank; k++) {
        assert_int_equal(dlz_array_shape(a)[k], t.shape[k]);
    }
    int64_t n = dlz_array_length(a);
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    assert_non_null(v);
    assert_int_equal(dlz_array_to_f64(a, v, (size_t)n), DLZ_OK);
    for (int64_t i = 0; i < n; i++) {
        double want = tu_array_at(&t, i);
        if (!(v[i] == want || (isnan(v[i]) && isnan(want)))) {
            fail_msg("%s %s: element %lld is %.17g, the reference says %.17g", file, entry,
                     (long long)i, v[i], want);
        }
    }
    /* Raw bits too, for the floating types held natively. */
    if (dlz_array_dtype(a) == DLZ_DTYPE_FLOAT) {
        const uint32_t *f = dlz_array_cdata(a);
        for (int64_t i = 0; i < n && t.rank == 2 && t.shape[0] == 1; i++) {
            assert_int_equal(f[i], (uint32_t)tu_array_bits_at(&t, i));
        }
    }
    free(v);
    tu_array_free(&t);
}

static void test_read_all_archives(void **state) {
    (void)state;
    need_corpus();
    assert_int_equal(n_archives, 28); /* 18 .zip and 10 zip-format .bin files */
    for (int f = 0; f < n_archives; f++) {
        size_t zlen;
        unsigned char *z = tu_read_file(archives[f], &zlen);
        dlz_reader *r = dlz_reader_new();
        assert_non_null(r);
        TU_OK_R(r, dlz_reader_open_path(r, archives[f]));
        const char *json;
        size_t jlen;
        TU_OK_R(r, dlz_reader_configuration(r, &json, &jlen));
        size_t rawlen;
        unsigned char *raw = tu_zip_extract(z, zlen, "configuration.json", &rawlen);
        assert_non_null(raw);
        assert_int_equal(jlen, rawlen);
        assert_memory_equal(json, raw, rawlen);
        free(raw);
        /* Kind: the configuration says, independently of the library. */
        dlz_kind want = strstr(json, "\"vertices\"") != NULL ? DLZ_KIND_GRAPH
                        : strstr(json, "\"confs\"") != NULL  ? DLZ_KIND_MULTILAYER
                                                             : DLZ_KIND_UNKNOWN;
        assert_int_equal(dlz_reader_kind(r), want);

        dlz_array *c = NULL, *u = NULL;
        TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
        assert_non_null(c);
        raw = tu_zip_extract(z, zlen, "coefficients.bin", &rawlen);
        compare_with_reference(archives[f], "coefficients.bin", c, raw, rawlen);
        free(raw);
        raw = tu_zip_extract(z, zlen, "updaterState.bin", &rawlen);
        int rc = dlz_reader_read_updater(r, &u);
        if (raw == NULL) {
            assert_int_equal(rc, DLZ_ENOTFOUND);
            assert_null(u);
        } else {
            TU_OK_R(r, rc);
            compare_with_reference(archives[f], "updaterState.bin", u, raw, rawlen);
            free(raw);
        }
        /* Coefficients are [1,N] row vectors in every DL4J version. */
        assert_int_equal(dlz_array_rank(c), 2);
        assert_int_equal(dlz_array_shape(c)[0], 1);
        dlz_array_free(c);
        dlz_array_free(u);
        assert_int_equal(dlz_reader_close(r), DLZ_OK);
        dlz_reader_free(r);
        free(z);
    }
    print_message("read %d corpus archives\n", n_archives);
}

/* DL4J's regression tests for 0.5-0.8 set parameters and updater state to
   1, 2, ..., N (Nd4j.linspace): check exactly that, and the N that FORMAT.md
   E derives for each network (MLP 41, CNN 10184, LSTM 477). */
static void test_legacy_linspace(void **state) {
    (void)state;
    need_corpus();
    int checked = 0;
    for (int f = 0; f < n_archives; f++) {
        const char *base = strrchr(archives[f], '/') + 1;
        if (strstr(base, "ModelSerializer_Regression") == NULL) {
            continue;
        }
        int64_t want_n = strstr(base, "MLP") ? 41 : strstr(base, "CNN") ? 10184 : 477;
        dlz_reader *r = dlz_reader_new();
        TU_OK_R(r, dlz_reader_open_path(r, archives[f]));
        for (int which = 0; which < 2; which++) {
            dlz_array *a = NULL;
            TU_OK_R(r,
                    which ? dlz_reader_read_updater(r, &a) : dlz_reader_read_coefficients(r, &a));
            assert_int_equal(dlz_array_length(a), want_n);
            assert_int_equal(dlz_array_dtype(a), DLZ_DTYPE_FLOAT);
            assert_int_equal(dlz_array_generation(a), DLZ_GEN_JAVACPP);
            float *v = malloc(sizeof(float) * (size_t)want_n);
            assert_int_equal(dlz_array_to_f32(a, v, (size_t)want_n), DLZ_OK);
            for (int64_t i = 0; i < want_n; i++) {
                if (v[i] != (float)(i + 1)) {
                    fail_msg("%s: %s[%lld] = %g, expected %lld", base,
                             which ? "updater" : "coefficients", (long long)i, (double)v[i],
                             (long long)(i + 1));
                }
            }
            free(v);
            dlz_array_free(a);
        }
        dlz_reader_free(r);
        checked++;
    }
    assert_int_equal(checked, 18);
}

/* Updater state sizes from FORMAT.md E.5: Adam stores 2 values per
   parameter, RmsProp and Nesterovs 1. */
static void test_updater_sizes(void **state) {
    (void)state;
    need_corpus();
    int checked = 0;
    for (int f = 0; f < n_archives; f++) {
        const char *base = strrchr(archives[f], '/') + 1;
        int64_t per = 0;
        if (strncmp(base, "Synthetic", 9) == 0) {
            per = 2; /* Adam */
        } else if (strncmp(base, "CustomLayerExample", 18) == 0) {
            per = 1; /* RmsProp */
        } else {
            continue;
        }
        dlz_reader *r = dlz_reader_new();
        TU_OK_R(r, dlz_reader_open_path(r, archives[f]));
        dlz_array *c = NULL, *u = NULL;
        TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
        TU_OK_R(r, dlz_reader_read_updater(r, &u));
        assert_int_equal(dlz_array_length(u), per * dlz_array_length(c));
        assert_int_equal(dlz_array_dtype(u), dlz_array_dtype(c));
        dlz_array_free(c);
        dlz_array_free(u);
        dlz_reader_free(r);
        checked++;
    }
    assert_int_equal(checked, 10);
}

static void assert_same_array(const dlz_array *a, const dlz_array *b) {
    assert_int_equal(dlz_array_dtype(a), dlz_array_dtype(b));
    assert_int_equal(dlz_array_length(a), dlz_array_length(b));
    size_t n = (size_t)dlz_array_length(a);
    double *x = malloc(sizeof(double) * (n ? n : 1)), *y = malloc(sizeof(double) * (n ? n : 1));
    assert_int_equal(dlz_array_to_f64(a, x, n), DLZ_OK);
    assert_int_equal(dlz_array_to_f64(b, y, n), DLZ_OK);
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&x[i], &y[i], sizeof x[i]) != 0) {
            fail_msg("element %zu differs: %.17g vs %.17g", i, x[i], y[i]);
        }
    }
    free(x);
    free(y);
}

/* Every corpus archive rewritten in MIXED and JAVACPP records, stored and
   deflated, reads back with identical arrays and configuration bytes. */
static void test_convert_roundtrip(void **state) {
    (void)state;
    need_corpus();
    const dlz_generation gens[] = {DLZ_GEN_MIXED, DLZ_GEN_JAVACPP};
    const int methods[] = {DLZ_METHOD_STORE, DLZ_METHOD_DEFLATE};
    int done = 0;
    for (int f = 0; f < n_archives; f++) {
        dlz_reader *r = dlz_reader_new();
        TU_OK_R(r, dlz_reader_open_path(r, archives[f]));
        const char *json;
        size_t jlen;
        TU_OK_R(r, dlz_reader_configuration(r, &json, &jlen));
        dlz_array *c = NULL, *u = NULL;
        TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
        int urc = dlz_reader_read_updater(r, &u);
        assert_true(urc == DLZ_OK || urc == DLZ_ENOTFOUND);
        int is_legacy_ok = dlz_array_dtype(c) == DLZ_DTYPE_FLOAT ||
                           dlz_array_dtype(c) == DLZ_DTYPE_DOUBLE ||
                           dlz_array_dtype(c) == DLZ_DTYPE_HALF;
        for (int g = 0; g < 2; g++) {
            if (gens[g] == DLZ_GEN_JAVACPP && !is_legacy_ok) {
                continue;
            }
            for (int m = 0; m < 2; m++) {
                dlz_writer *w = dlz_writer_new();
                TU_OK_W(w, dlz_writer_set_generation(w, gens[g]));
                TU_OK_W(w, dlz_writer_set_compression(w, DLZ_PART_ALL, methods[m], 6));
                TU_OK_W(w, dlz_writer_open_memory(w));
                TU_OK_W(w, dlz_writer_put_configuration(w, json, jlen));
                TU_OK_W(w, dlz_writer_put_coefficients(w, c));
                if (u != NULL) {
                    TU_OK_W(w, dlz_writer_put_updater(w, u));
                }
                TU_OK_W(w, dlz_writer_close(w));
                const void *buf;
                size_t len;
                TU_OK_W(w, dlz_writer_memory(w, &buf, &len));
                const dlz_save_result *res = dlz_writer_result(w);
                assert_non_null(res);
                assert_int_equal(res->total_bytes, len);
                assert_int_equal(res->entry_count, u != NULL ? 3 : 2);

                dlz_reader *r2 = dlz_reader_new();
                TU_OK_R(r2, dlz_reader_open_memory(r2, buf, len));
                const char *json2;
                size_t jlen2;
                TU_OK_R(r2, dlz_reader_configuration(r2, &json2, &jlen2));
                assert_int_equal(jlen, jlen2); /* corpus configurations are ASCII */
                assert_memory_equal(json, json2, jlen);
                dlz_array *c2 = NULL, *u2 = NULL;
                TU_OK_R(r2, dlz_reader_read_coefficients(r2, &c2));
                assert_same_array(c, c2);
                assert_int_equal(dlz_array_generation(c2), gens[g]);
                if (u != NULL) {
                    TU_OK_R(r2, dlz_reader_read_updater(r2, &u2));
                    assert_same_array(u, u2);
                    dlz_array_free(u2);
                } else {
                    assert_int_equal(dlz_reader_read_updater(r2, &u2), DLZ_ENOTFOUND);
                }
                /* Entry methods are what was asked for. */
                for (int64_t i = 0; i < dlz_reader_entry_count(r2); i++) {
                    dlz_entry_info info;
                    TU_OK_R(r2, dlz_reader_entry_info(r2, i, &info));
                    assert_int_equal(info.method, methods[m]);
                    assert_int_equal(info.size, res->entries[i].size);
                    assert_string_equal(info.name, res->entries[i].name);
                }
                dlz_array_free(c2);
                dlz_reader_free(r2);
                dlz_writer_free(w);
                done++;
            }
        }
        dlz_array_free(c);
        dlz_array_free(u);
        dlz_reader_free(r);
    }
    print_message("%d rewrites read back identically\n", done);
    assert_int_equal(done, 4 * n_archives);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_all_archives),
        cmocka_unit_test(test_legacy_linspace),
        cmocka_unit_test(test_updater_sizes),
        cmocka_unit_test(test_convert_roundtrip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
