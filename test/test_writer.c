/* test_writer.c - the archive layout DL4J's readers need, the write order,
 * configuration escaping, object keys, the no-parameter form, generations,
 * and allocation failures. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static dlz_array *vec(dlz_dtype t, int64_t n) {
    dlz_array *a;
    int64_t s[2] = {1, n};
    assert_int_equal(dlz_array_new(t, 2, s, 'c', &a, NULL, 0), DLZ_OK);
    if (t == DLZ_DTYPE_FLOAT) {
        float *v = dlz_array_data(a);
        for (int64_t i = 0; i < n; i++) {
            v[i] = (float)i / 3.0f;
        }
    }
    return a;
}

static const char *CONF = "{\"confs\":[{\"layer\":{}}]}";

/* Layout: entry order, flags, versions, descriptors, as java.util.zip
   writes them (FORMAT.md A.2), checked with the test's own zip walker. */
static void test_layout(void **state) {
    (void)state;
    dlz_array *c = vec(DLZ_DTYPE_FLOAT, 100), *u = vec(DLZ_DTYPE_FLOAT, 200);
    for (int m = 0; m < 2; m++) {
        int method = m ? DLZ_METHOD_DEFLATE : DLZ_METHOD_STORE;
        dlz_writer *w = dlz_writer_new();
        TU_OK_W(w, dlz_writer_set_compression(w, DLZ_PART_ALL, method, 6));
        TU_OK_W(w, dlz_writer_open_memory(w));
        TU_OK_W(w, dlz_writer_put_configuration(w, CONF, strlen(CONF)));
        TU_OK_W(w, dlz_writer_put_coefficients(w, c));
        TU_OK_W(w, dlz_writer_put_updater(w, u));
        TU_OK_W(w, dlz_writer_put_normalizer_raw(w, "N", 1));
        TU_OK_W(w, dlz_writer_put_object_raw(w, "k1", "v", 1));
        TU_OK_W(w, dlz_writer_put_object_raw(w, "dir/k2", "w", 1));
        TU_OK_W(w, dlz_writer_close(w));
        const void *buf;
        size_t len;
        TU_OK_W(w, dlz_writer_memory(w, &buf, &len));
        const unsigned char *z = buf;
        tu_zip_entry es[16];
        int n = tu_zip_list(z, len, es, 16);
        assert_int_equal(n, 6);
        const char *names[] = {"configuration.json", "coefficients.bin", "updaterState.bin",
                               "normalizer.bin",     "objects/k1",       "objects/dir/k2"};
        for (int i = 0; i < n; i++) {
            assert_string_equal(es[i].name, names[i]);
            assert_int_equal(es[i].method, method);
            const unsigned char *lh = z + es[i].local_offset;
            assert_int_equal(lh[0] | lh[1] << 8, 0x4b50);
            assert_int_equal(lh[4], 20); /* version needed */
            int flags = lh[6] | lh[7] << 8;
            if (method == DLZ_METHOD_DEFLATE) {
                /* sizes and CRC after the data, with the PK\7\8 signature */
                assert_int_equal(flags, 0x0808);
                assert_int_equal(es[i].flags, 0x0808);
                const unsigned char *d = z + es[i].data_offset + es[i].csize;
                assert_memory_equal(d, "PK\7\10", 4);
                assert_int_equal(d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24, es[i].crc);
                assert_int_equal(lh[14] | lh[15] | lh[16] | lh[17], 0);
            } else {
                /* STORE: sizes in the local header, no descriptor, or
                   ZipInputStream cannot read the entry */
                assert_int_equal(flags, 0x0800);
                assert_int_equal(lh[18] | lh[19] << 8 | lh[20] << 16 | (uint32_t)lh[21] << 24,
                                 es[i].csize);
                assert_int_equal(es[i].csize, es[i].size);
            }
            assert_int_equal(lh[28] | lh[29] << 8, 0); /* no extra field */
        }
        /* The data round-trips through an independent inflate. */
        size_t cl;
        unsigned char *cb = tu_zip_extract(z, len, "coefficients.bin", &cl);
        tu_array t;
        assert_int_equal(tu_parse_array(cb, cl, &t), 0);
        assert_string_equal(t.mode, "MIXED_DATA_TYPES");
        assert_string_equal(t.dtype, "FLOAT");
        assert_int_equal(t.rank, 2);
        assert_int_equal(t.shape[0], 1);
        assert_int_equal(t.shape[1], 100);
        assert_int_equal(t.strides[0], 1);
        assert_int_equal(t.strides[1], 1);
        assert_int_equal(t.order, 'c');
        for (int i = 0; i < 100; i++) {
            assert_true(t.v[i] == (double)((float)i / 3.0f));
        }
        tu_array_free(&t);
        free(cb);
        dlz_writer_free(w);
    }
    dlz_array_free(c);
    dlz_array_free(u);
}

static void test_order_and_misuse(void **state) {
    (void)state;
    dlz_array *c = vec(DLZ_DTYPE_FLOAT, 10);
    dlz_writer *w = dlz_writer_new();
    /* nothing is allowed before open */
    assert_int_equal(dlz_writer_put_configuration(w, CONF, strlen(CONF)), DLZ_EMISUSE);
    assert_int_equal(dlz_writer_close(w), DLZ_EMISUSE);
    assert_int_equal(dlz_writer_set_compression(w, DLZ_PART_ALL, DLZ_METHOD_DEFLATE, 0),
                     DLZ_EMISUSE);
    assert_int_equal(dlz_writer_set_compression(w, DLZ_PART_ALL, 12, 1), DLZ_EMISUSE);
    assert_int_equal(dlz_writer_set_generation(w, DLZ_GEN_LONG_SHAPE), DLZ_EMISUSE);
    TU_OK_W(w, dlz_writer_open_memory(w));
    assert_int_equal(dlz_writer_set_mtime(w, 0), DLZ_EMISUSE);
    /* coefficients before the configuration */
    assert_int_equal(dlz_writer_put_coefficients(w, c), DLZ_EMISUSE);
    assert_non_null(strstr(dlz_writer_errmsg(w), "order"));
    /* bad configurations are refused without harming the handle */
    assert_int_equal(dlz_writer_put_configuration(w, "{\"a\":", 5), DLZ_EFORMAT);
    assert_non_null(strstr(dlz_writer_errmsg(w), "line 1"));
    assert_int_equal(dlz_writer_put_configuration(w, "[1]", 3), DLZ_EFORMAT);
    assert_int_equal(dlz_writer_put_configuration(w, "{\"a\":\"\xff\"}", 9), DLZ_EFORMAT);
    TU_OK_W(w, dlz_writer_put_configuration(w, CONF, strlen(CONF)));
    assert_int_equal(dlz_writer_put_configuration(w, CONF, strlen(CONF)), DLZ_EMISUSE);
    /* object before coefficients */
    assert_int_equal(dlz_writer_put_object_raw(w, "k", "v", 1), DLZ_EMISUSE);
    /* a matrix is not a vector */
    dlz_array *m;
    int64_t ms[2] = {2, 3};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, ms, 'c', &m, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_writer_put_coefficients(w, m), DLZ_EMISUSE);
    assert_non_null(strstr(dlz_writer_errmsg(w), "vector"));
    dlz_array_free(m);
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    TU_OK_W(w, dlz_writer_put_normalizer_raw(w, "x", 1));
    /* updater after the normalizer */
    assert_int_equal(dlz_writer_put_updater(w, c), DLZ_EMISUSE);
    /* keys */
    const char *bad_keys[] = {"", "/abs", "a//b", "a/./b", "..", "a/..", "a\\b", "a/", "\xc3("};
    for (size_t i = 0; i < sizeof bad_keys / sizeof *bad_keys; i++) {
        assert_int_equal(dlz_writer_put_object_raw(w, bad_keys[i], "v", 1), DLZ_EMISUSE);
        assert_non_null(strstr(dlz_writer_errmsg(w), "key"));
    }
    TU_OK_W(w, dlz_writer_put_object_raw(w, "ok/\xc3\xa9t\xc3\xa9", "v", 1));
    TU_OK_W(w, dlz_writer_put_object_raw(w, "k", "v", 1));
    assert_int_equal(dlz_writer_put_object_raw(w, "k", "v", 1), DLZ_EMISUSE);
    assert_non_null(strstr(dlz_writer_errmsg(w), "twice"));
    TU_OK_W(w, dlz_writer_close(w));
    dlz_writer_free(w);
    dlz_array_free(c);
}

/* Non-ASCII configuration text is written as \u escapes (pure ASCII). */
static void test_ascii_configuration(void **state) {
    (void)state;
    const char *json = "{\"name\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"confs\":[]}";
    dlz_array *c = vec(DLZ_DTYPE_FLOAT, 3);
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_memory(w));
    TU_OK_W(w, dlz_writer_put_configuration(w, json, strlen(json)));
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    TU_OK_W(w, dlz_writer_close(w));
    const void *buf;
    size_t len;
    TU_OK_W(w, dlz_writer_memory(w, &buf, &len));
    size_t jl;
    unsigned char *j = tu_zip_extract(buf, len, "configuration.json", &jl);
    assert_string_equal((char *)j, "{\"name\":\"caf\\u00e9 \\u20ac \\ud83d\\ude00\",\"confs\":[]}");
    free(j);
    dlz_writer_free(w);
    dlz_array_free(c);
}

/* A model without parameters: DL4J's empty coefficients.bin plus
   noParams.marker, read back as "no coefficients". */
static void test_no_params(void **state) {
    (void)state;
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_open_memory(w));
    TU_OK_W(w, dlz_writer_put_configuration(w, CONF, strlen(CONF)));
    TU_OK_W(w, dlz_writer_put_coefficients(w, NULL));
    TU_OK_W(w, dlz_writer_close(w));
    const void *buf;
    size_t len;
    TU_OK_W(w, dlz_writer_memory(w, &buf, &len));
    tu_zip_entry es[4];
    assert_int_equal(tu_zip_list(buf, len, es, 4), 3);
    assert_string_equal(es[1].name, "coefficients.bin");
    assert_int_equal(es[1].size, 0);
    assert_string_equal(es[2].name, "noParams.marker");
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_memory(r, buf, len));
    dlz_array *a = (dlz_array *)1;
    TU_OK_R(r, dlz_reader_read_coefficients(r, &a));
    assert_null(a);
    dlz_reader_free(r);
    dlz_writer_free(w);
}

/* JAVACPP records: INT shape info, readable by every DL4J; other dtypes are
   refused with a message. */
static void test_javacpp(void **state) {
    (void)state;
    dlz_array *c = vec(DLZ_DTYPE_FLOAT, 41);
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_set_generation(w, DLZ_GEN_JAVACPP));
    TU_OK_W(w, dlz_writer_open_memory(w));
    TU_OK_W(w, dlz_writer_put_configuration(w, CONF, strlen(CONF)));
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    TU_OK_W(w, dlz_writer_close(w));
    const void *buf;
    size_t len;
    TU_OK_W(w, dlz_writer_memory(w, &buf, &len));
    size_t cl;
    unsigned char *cb = tu_zip_extract(buf, len, "coefficients.bin", &cl);
    /* Byte for byte what DL4J 0.5-0.8 wrote for a [1,41] FLOAT vector: the
       corpus 050 MLP's header. */
    const unsigned char head[] = {
        0,   7,   'J', 'A', 'V', 'A', 'C', 'P', 'P', 0, 0, 0,   8,   0,   3,   'I', 'N', 'T',
        0,   0,   0,   2,   0,   0,   0,   1,   0,   0, 0, 41,  0,   0,   0,   1,   0,   0,
        0,   1,   0,   0,   0,   0,   0,   0,   0,   1, 0, 0,   0,   99,  0,   7,   'J', 'A',
        'V', 'A', 'C', 'P', 'P', 0,   0,   0,   41,  0, 5, 'F', 'L', 'O', 'A', 'T'};
    assert_int_equal(cl, sizeof head + 41 * 4);
    assert_memory_equal(cb, head, sizeof head);
    free(cb);
    dlz_writer_free(w);

    dlz_array *l = vec(DLZ_DTYPE_LONG, 4);
    w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_set_generation(w, DLZ_GEN_JAVACPP));
    TU_OK_W(w, dlz_writer_open_memory(w));
    TU_OK_W(w, dlz_writer_put_configuration(w, CONF, strlen(CONF)));
    assert_int_equal(dlz_writer_put_coefficients(w, l), DLZ_EUNSUPPORTED);
    dlz_writer_free(w);
    dlz_array_free(l);
    dlz_array_free(c);
}

/* Every allocation failing in turn: DLZ_ENOMEM (or success), no leak. */
static void test_alloc_failures(void **state) {
    (void)state;
    dlz_array *c = vec(DLZ_DTYPE_FLOAT, 100);
    int succeeded = 0;
    for (long n = 1; n < 200 && !succeeded; n++) {
        dlz_writer *w = dlz_writer_new();
        if (w == NULL) {
            continue;
        }
        dlzi_alloc_fail_after(n);
        int rc = dlz_writer_open_memory(w);
        if (rc == DLZ_OK) {
            rc = dlz_writer_put_configuration(w, CONF, strlen(CONF));
        }
        if (rc == DLZ_OK) {
            rc = dlz_writer_put_coefficients(w, c);
        }
        if (rc == DLZ_OK) {
            rc = dlz_writer_put_object_raw(w, "k", "v", 1);
        }
        if (rc == DLZ_OK) {
            rc = dlz_writer_close(w);
        }
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            succeeded = 1;
        } else {
            assert_int_equal(rc, DLZ_ENOMEM);
        }
        dlz_writer_free(w);
    }
    assert_true(succeeded);
    dlz_array_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_order_and_misuse),
        cmocka_unit_test(test_ascii_configuration),
        cmocka_unit_test(test_no_params),
        cmocka_unit_test(test_javacpp),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
