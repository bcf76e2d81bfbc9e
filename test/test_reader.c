/* test_reader.c - reader API: states and misuse, bare arrays, limits, missing
 * entries, corrupted data detected by CRC and size checks, allocation
 * failures. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *CONF = "{\"vertices\":{},\"networkInputs\":[]}";

/* An archive with a CG configuration and [1,n] FLOAT coefficients i+1. */
static unsigned char *build(size_t *len, int64_t n, int method, const char *conf) {
    tu_archive a = {conf, n, 1, 1, 0, DLZ_DTYPE_FLOAT, 0, NULL, "k", "value", method, 0};
    return tu_build_archive(&a, len);
}

static void test_states(void **state) {
    (void)state;
    dlz_reader *r = dlz_reader_new();
    dlz_array *a = NULL;
    const char *j;
    /* nothing open */
    assert_int_equal(dlz_reader_read_coefficients(r, &a), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_configuration(r, &j, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_kind(r), DLZ_KIND_UNKNOWN);
    assert_int_equal(dlz_reader_entry_count(r), 0);
    assert_int_equal(dlz_reader_set_limit(r, DLZ_LIMIT_ENTRIES, -1), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_set_limit(r, (dlz_limit)99, 1), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_get_limit(r, DLZ_LIMIT_SPOOL_MEMORY), 64 << 20);
    size_t len;
    unsigned char *z = build(&len, 10, DLZ_METHOD_DEFLATE, CONF);
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    assert_int_equal(dlz_reader_kind(r), DLZ_KIND_GRAPH);
    /* open twice, limits after open */
    assert_int_equal(dlz_reader_open_memory(r, z, len), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_set_limit(r, DLZ_LIMIT_ENTRIES, 5), DLZ_EMISUSE);
    /* no updater */
    assert_int_equal(dlz_reader_read_updater(r, &a), DLZ_ENOTFOUND);
    assert_null(a);
    assert_non_null(strstr(dlz_reader_errmsg(r), "updaterState.bin"));
    assert_int_equal(dlz_reader_has_entry(r, "normalizer.bin"), DLZ_ENOTFOUND);
    assert_int_equal(dlz_reader_has_entry(r, "objects/k"), DLZ_OK);
    void *b;
    size_t bl;
    assert_int_equal(dlz_reader_read_normalizer_raw(r, &b, &bl), DLZ_ENOTFOUND);
    assert_int_equal(dlz_reader_read_object_raw(r, "missing", &b, &bl), DLZ_ENOTFOUND);
    assert_int_equal(dlz_reader_read_array(r, &a), DLZ_EMISUSE);
    dlz_entry_info info;
    assert_int_equal(dlz_reader_entry_info(r, 3, &info), DLZ_EMISUSE);
    assert_null(dlz_reader_object_key(r, 1));
    /* reopen after close */
    assert_int_equal(dlz_reader_close(r), DLZ_OK);
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    TU_OK_R(r, dlz_reader_read_coefficients(r, &a));
    dlz_reader_free(r); /* frees while open */
    /* arrays outlive their reader */
    assert_int_equal(dlz_array_length(a), 10);
    assert_true(((const float *)dlz_array_cdata(a))[9] == 10.0f);
    dlz_array_free(a);
    dlz_reader_free(NULL);
    free(z);
}

/* A bare ND4J array file (what Nd4j.write produces), detected by its bytes. */
static void test_bare_array(void **state) {
    (void)state;
    const unsigned char rec[] = {
        0,   16,  'M', 'I',  'X',  'E', 'D', '_', 'D', 'A', 'T', 'A', '_',  'T',  'Y', 'P', 'E',
        'S', 0,   0,   0,    0,    0,   0,   0,   6,   0,   4,   'L', 'O',  'N',  'G', 0,   0,
        0,   0,   0,   0,    0,    1,   0,   0,   0,   0,   0,   0,   0,    2,    0,   0,   0,
        0,   0,   0,   0,    1,    0,   0,   0,   0,   0,   0,   64,  0,    0,    0,   0,   0,
        0,   0,   0,   1,    0,    0,   0,   0,   0,   0,   0,   99,  0,    16,   'M', 'I', 'X',
        'E', 'D', '_', 'D',  'A',  'T', 'A', '_', 'T', 'Y', 'P', 'E', 'S',  0,    0,   0,   0,
        0,   0,   0,   2,    0,    6,   'D', 'O', 'U', 'B', 'L', 'E', 0x3f, 0xf0, 0,   0,   0,
        0,   0,   0,   0xc0, 0x04, 0,   0,   0,   0,   0,   0};
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_memory(r, rec, sizeof rec));
    assert_int_equal(dlz_reader_kind(r), DLZ_KIND_ARRAY);
    assert_int_equal(dlz_reader_entry_count(r), 0);
    dlz_array *a;
    TU_OK_R(r, dlz_reader_read_array(r, &a));
    assert_int_equal(dlz_array_dtype(a), DLZ_DTYPE_DOUBLE);
    assert_int_equal(dlz_array_rank(a), 1);
    const double *v = dlz_array_cdata(a);
    assert_true(v[0] == 1.0 && v[1] == -2.5);
    dlz_array_free(a);
    const char *j;
    assert_int_equal(dlz_reader_configuration(r, &j, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_read_coefficients(r, &a), DLZ_EMISUSE);
    dlz_reader_free(r);
}

static void test_limits(void **state) {
    (void)state;
    size_t len;
    unsigned char *z = build(&len, 1000, DLZ_METHOD_DEFLATE, CONF);
    dlz_reader *r = dlz_reader_new();
    dlz_array *a;
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_ENTRIES, 2));
    assert_int_equal(dlz_reader_open_memory(r, z, len), DLZ_ELIMIT);
    assert_non_null(strstr(dlz_reader_errmsg(r), "DLZ_LIMIT_ENTRIES"));
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_ENTRIES, 100));
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_CONFIG_SIZE, 5));
    assert_int_equal(dlz_reader_open_memory(r, z, len), DLZ_ELIMIT);
    assert_non_null(strstr(dlz_reader_errmsg(r), "configuration.json"));
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_CONFIG_SIZE, 1000));
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_ENTRY_SIZE, 100));
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    assert_int_equal(dlz_reader_read_coefficients(r, &a), DLZ_ELIMIT);
    assert_non_null(strstr(dlz_reader_errmsg(r), "coefficients.bin"));
    dlz_reader_close(r);
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_ENTRY_SIZE, 1 << 20));
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_ARRAY_BYTES, 3999));
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    assert_int_equal(dlz_reader_read_coefficients(r, &a), DLZ_ELIMIT);
    dlz_reader_close(r);
    TU_OK_R(r, dlz_reader_set_limit(r, DLZ_LIMIT_RAW_ENTRY, 4));
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    void *b;
    size_t bl;
    assert_int_equal(dlz_reader_read_object_raw(r, "k", &b, &bl), DLZ_ELIMIT);
    dlz_reader_free(r);
    free(z);
}

static void test_not_models(void **state) {
    (void)state;
    dlz_reader *r = dlz_reader_new();
    assert_int_equal(dlz_reader_open_memory(r, "hello world", 11), DLZ_EFORMAT);
    assert_non_null(strstr(dlz_reader_errmsg(r), "neither"));
    assert_int_equal(dlz_reader_open_memory(r, "", 0), DLZ_EFORMAT);
    /* a zip without configuration.json */
    size_t len;
    unsigned char *z = build(&len, 3, DLZ_METHOD_STORE, CONF);
    unsigned char *p = z;
    /* rename the entry in both headers: configuration.json -> configuratioX.json */
    for (size_t i = 0; i + 18 <= len; i++) {
        if (memcmp(p + i, "configuration.json", 18) == 0) {
            p[i + 11] = 'X';
        }
    }
    assert_int_equal(dlz_reader_open_memory(r, z, len), DLZ_ENOTFOUND);
    assert_non_null(strstr(dlz_reader_errmsg(r), "configuration.json"));
    free(z);
    /* invalid JSON */
    z = build(&len, 3, DLZ_METHOD_STORE, "{\"confs\": [1, 2]}");
    for (size_t i = 0; i + 7 <= len; i++) {
        if (memcmp(z + i, "[1, 2]}", 7) == 0) {
            z[i + 6] = ']'; /* same length, now unbalanced; CRC fixed below */
        }
    }
    /* the CRC no longer matches: that is what must be reported */
    assert_true(dlz_reader_open_memory(r, z, len) == DLZ_EFORMAT);
    assert_non_null(strstr(dlz_reader_errmsg(r), "configuration.json"));
    free(z);
    /* a graph configuration that is JSON but no model: kind unknown */
    z = build(&len, 3, DLZ_METHOD_DEFLATE, "{\"something\": 1}");
    TU_OK_R(r, dlz_reader_open_memory(r, z, len));
    assert_int_equal(dlz_reader_kind(r), DLZ_KIND_UNKNOWN);
    dlz_reader_free(r);
    free(z);
}

/* Corrupted entry data is caught by the CRC (stored) or by inflate. */
static void test_corrupt_data(void **state) {
    (void)state;
    for (int m = 0; m < 2; m++) {
        size_t len;
        unsigned char *z = build(&len, 1000, m ? DLZ_METHOD_DEFLATE : DLZ_METHOD_STORE, CONF);
        tu_zip_entry es[8];
        assert_int_equal(tu_zip_list(z, len, es, 8), 3);
        /* flip one byte in the middle of coefficients.bin's data */
        z[es[1].data_offset + es[1].csize / 2] ^= 0x40;
        dlz_reader *r = dlz_reader_new();
        TU_OK_R(r, dlz_reader_open_memory(r, z, len));
        dlz_array *a = NULL;
        int rc = dlz_reader_read_coefficients(r, &a);
        assert_int_equal(rc, DLZ_EFORMAT);
        assert_null(a);
        assert_non_null(strstr(dlz_reader_errmsg(r), "coefficients.bin"));
        dlz_reader_free(r);
        free(z);
    }
}

/* A growing buffer for dlz_reader_copy_entry(); fail_after >= 0 makes the
   write callback fail once that many bytes were taken. */
typedef struct sink {
    unsigned char *buf;
    size_t len;
    long fail_after;
} sink;

static int64_t sink_write(void *user, const void *data, size_t n) {
    sink *s = user;
    if (s->fail_after >= 0 && s->len + n > (size_t)s->fail_after) {
        return -1;
    }
    s->buf = realloc(s->buf, s->len + n);
    assert_non_null(s->buf);
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return (int64_t)n;
}

/* dlz_reader_copy_entry gives every entry's bytes as dlz_reader_read_entry
   reads them; dlz_reader_verify_entry passes intact entries; both find a
   flipped byte (CRC or deflate), and a failing sink is DLZ_EIO. */
static void test_copy_and_verify(void **state) {
    (void)state;
    dlz_io io = {DLZ_IO_VERSION, NULL, sink_write, NULL, NULL};
    for (int m = 0; m < 2; m++) {
        size_t len;
        unsigned char *z = build(&len, 3000, m ? DLZ_METHOD_DEFLATE : DLZ_METHOD_STORE, CONF);
        dlz_reader *r = dlz_reader_new();
        TU_OK_R(r, dlz_reader_open_memory(r, z, len));
        int64_t n = dlz_reader_entry_count(r);
        assert_int_equal(n, 3);
        for (int64_t i = 0; i < n; i++) {
            dlz_entry_info info;
            TU_OK_R(r, dlz_reader_entry_info(r, i, &info));
            void *want;
            size_t want_len;
            TU_OK_R(r, dlz_reader_read_entry(r, info.name, &want, &want_len));
            sink s = {NULL, 0, -1};
            TU_OK_R(r, dlz_reader_copy_entry(r, i, &io, &s));
            assert_int_equal(s.len, want_len);
            assert_int_equal(s.len, info.size);
            assert_memory_equal(s.buf, want, want_len);
            free(s.buf);
            dlz_free(want);
            TU_OK_R(r, dlz_reader_verify_entry(r, i));
        }
        sink s = {NULL, 0, 10};
        assert_int_equal(dlz_reader_copy_entry(r, 1, &io, &s), DLZ_EIO);
        free(s.buf);
        assert_int_equal(dlz_reader_copy_entry(r, 3, &io, &s), DLZ_EMISUSE);
        assert_int_equal(dlz_reader_copy_entry(r, 0, NULL, NULL), DLZ_EMISUSE);
        assert_int_equal(dlz_reader_verify_entry(r, -1), DLZ_EMISUSE);
        dlz_reader_free(r);

        tu_zip_entry es[8];
        assert_int_equal(tu_zip_list(z, len, es, 8), 3);
        z[es[1].data_offset + es[1].csize / 2] ^= 0x40;
        r = dlz_reader_new();
        TU_OK_R(r, dlz_reader_open_memory(r, z, len));
        TU_OK_R(r, dlz_reader_verify_entry(r, 0));
        assert_int_equal(dlz_reader_verify_entry(r, 1), DLZ_EFORMAT);
        assert_non_null(strstr(dlz_reader_errmsg(r), "coefficients.bin: damaged: "));
        sink s2 = {NULL, 0, -1};
        assert_int_equal(dlz_reader_copy_entry(r, 1, &io, &s2), DLZ_EFORMAT);
        free(s2.buf);
        dlz_reader_free(r);
        free(z);
    }
}

static void test_reader_alloc_failures(void **state) {
    (void)state;
    size_t len;
    unsigned char *z = build(&len, 100, DLZ_METHOD_DEFLATE, CONF);
    int ok = 0;
    for (long n = 1; n < 500 && !ok; n++) {
        dlz_reader *r = dlz_reader_new();
        if (r == NULL) {
            continue;
        }
        dlzi_alloc_fail_after(n);
        dlz_array *a = NULL;
        void *b = NULL;
        size_t bl;
        int rc = dlz_reader_open_memory(r, z, len);
        if (rc == DLZ_OK) {
            rc = dlz_reader_read_coefficients(r, &a);
        }
        if (rc == DLZ_OK) {
            rc = dlz_reader_read_object_raw(r, "k", &b, &bl);
        }
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            ok = 1;
        } else {
            /* libzip allocates with malloc itself; only ours can fail here */
            assert_int_equal(rc, DLZ_ENOMEM);
        }
        dlz_free(b);
        dlz_array_free(a);
        dlz_reader_free(r);
    }
    assert_true(ok);
    free(z);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),          cmocka_unit_test(test_bare_array),
        cmocka_unit_test(test_limits),          cmocka_unit_test(test_not_models),
        cmocka_unit_test(test_corrupt_data),    cmocka_unit_test(test_reader_alloc_failures),
        cmocka_unit_test(test_copy_and_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
