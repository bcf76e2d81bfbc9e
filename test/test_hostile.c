/* test_hostile.c - hostile inputs give errors, never crashes or leaks (the
 * suite runs under ASan/UBSan): archives truncated at every offset, every
 * byte flipped, sizes that lie, garbage. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Everything a client might do with an input; returns the first error or
   DLZ_OK.  Must never crash, whatever the bytes. */
static int exercise(const unsigned char *buf, size_t len) {
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    /* keep hostile sizes cheap */
    dlz_reader_set_limit(r, DLZ_LIMIT_ARRAY_BYTES, 64 << 20);
    dlz_reader_set_limit(r, DLZ_LIMIT_ENTRY_SIZE, 64 << 20);
    int rc = dlz_reader_open_memory(r, buf, len);
    if (rc == DLZ_OK) {
        assert_true(strlen(dlz_reader_errmsg(r)) > 0);
        if (dlz_reader_kind(r) == DLZ_KIND_ARRAY) {
            dlz_array *a = NULL;
            rc = dlz_reader_read_array(r, &a);
            if (a != NULL) {
                size_t n = (size_t)dlz_array_length(a);
                double *v = malloc(sizeof(double) * (n ? n : 1));
                assert_int_equal(dlz_array_to_f64(a, v, n), DLZ_OK);
                free(v);
            }
            dlz_array_free(a);
        } else {
            for (int64_t i = 0; i < dlz_reader_entry_count(r); i++) {
                dlz_entry_info info;
                dlz_reader_entry_info(r, i, &info);
            }
            dlz_array *a = NULL;
            int rc2 = dlz_reader_read_coefficients(r, &a);
            if (a != NULL) {
                size_t n = (size_t)dlz_array_length(a);
                float *v = malloc(sizeof(float) * (n ? n : 1));
                assert_int_equal(dlz_array_to_f32(a, v, n), DLZ_OK);
                free(v);
            }
            dlz_array_free(a);
            a = NULL;
            int rc3 = dlz_reader_read_updater(r, &a);
            dlz_array_free(a);
            for (int64_t i = 0; i < dlz_reader_object_count(r); i++) {
                void *b = NULL;
                size_t bl;
                const char *k = dlz_reader_object_key(r, i);
                if (k != NULL && dlz_reader_read_object_raw(r, k, &b, &bl) == DLZ_OK) {
                    dlz_free(b);
                }
            }
            rc = rc2 != DLZ_OK ? rc2 : (rc3 != DLZ_OK && rc3 != DLZ_ENOTFOUND ? rc3 : DLZ_OK);
        }
    } else {
        /* a failure always explains itself in one line */
        const char *m = dlz_reader_errmsg(r);
        assert_true(strlen(m) > 0);
        assert_null(strchr(m, '\n'));
    }
    dlz_reader_free(r);
    return rc;
}

static unsigned char *small_archive(size_t *len, int method) {
    tu_archive a = {NULL, 30, 1, 0, 60, DLZ_DTYPE_DOUBLE, 0, NULL, "k", "v", method, 0};
    return tu_build_archive(&a, len);
}

static void truncate_everywhere(const unsigned char *z, size_t len, const char *what) {
    assert_int_equal(exercise(z, len), DLZ_OK);
    for (size_t cut = 0; cut < len; cut++) {
        int rc = exercise(z, cut);
        if (rc == DLZ_OK) {
            fail_msg("%s truncated to %zu of %zu bytes was accepted", what, cut, len);
        }
    }
}

static void test_truncated_archives(void **state) {
    (void)state;
    for (int m = 0; m < 2; m++) {
        size_t len;
        unsigned char *z = small_archive(&len, m ? DLZ_METHOD_DEFLATE : DLZ_METHOD_STORE);
        truncate_everywhere(z, len, "archive");
        free(z);
    }
    if (tu_corpus_dir() == NULL) {
        print_message("corpus folder not found: corpus truncation skipped\n");
        return;
    }
    const char *files[] = {"dl4j/050/050_ModelSerializer_Regression_MLP_1.zip",
                           "dl4j/100b6/CustomLayerExample_100b6_half.bin",
                           "dl4j/100b4/CustomLayerExample_Input_100b4_half.bin",
                           "dl4j/080/080_ModelSerializer_Regression_LSTM_1.zip"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t len;
        unsigned char *z = tu_read_file(tu_corpus_path(files[i]), &len);
        truncate_everywhere(z, len, files[i]);
        free(z);
    }
}

/* Every byte of a small archive flipped in turn: never a crash. */
static void test_flipped_bytes(void **state) {
    (void)state;
    for (int m = 0; m < 2; m++) {
        size_t len;
        unsigned char *z = small_archive(&len, m ? DLZ_METHOD_DEFLATE : DLZ_METHOD_STORE);
        const unsigned char masks[] = {0x01, 0x80, 0xff};
        int errors = 0;
        for (size_t i = 0; i < len; i++) {
            for (size_t k = 0; k < sizeof masks; k++) {
                z[i] ^= masks[k];
                if (exercise(z, len) != DLZ_OK) {
                    errors++;
                }
                z[i] ^= masks[k];
            }
        }
        /* Most flips must be caught (CRC, structure); flips in fields nobody
           checks (timestamps, version bytes) may pass. */
        assert_true(errors > (int)(len * 3) / 2);
        free(z);
    }
}

/* Directory sizes that lie about the data. */
static void test_lying_sizes(void **state) {
    (void)state;
    for (int m = 0; m < 2; m++) {
        size_t len;
        unsigned char *z = small_archive(&len, m ? DLZ_METHOD_DEFLATE : DLZ_METHOD_STORE);
        tu_zip_entry es[8];
        int n = tu_zip_list(z, len, es, 8);
        assert_int_equal(n, 4);
        /* find coefficients.bin's central record and change its size */
        for (size_t i = 0; i + 46 < len; i++) {
            if (memcmp(z + i, "PK\1\2", 4) == 0 &&
                memcmp(z + i + 46, "coefficients.bin", 16) == 0) {
                const int deltas[] = {-1, +1, -50, +1000000};
                for (size_t d = 0; d < sizeof deltas / sizeof *deltas; d++) {
                    uint32_t orig = dlzi_get_le32(z + i + 24);
                    dlzi_put_le32(z + i + 24, (uint32_t)((int64_t)orig + deltas[d]));
                    if (m == 0) {
                        /* stored: local header and csize must agree for libzip */
                        dlzi_put_le32(z + i + 20, (uint32_t)((int64_t)orig + deltas[d]));
                    }
                    assert_int_not_equal(exercise(z, len), DLZ_OK);
                    dlzi_put_le32(z + i + 24, orig);
                    dlzi_put_le32(z + i + 20, m == 0 ? orig : dlzi_get_le32(z + i + 20));
                }
            }
        }
        assert_int_equal(exercise(z, len), DLZ_OK);
        free(z);
    }
}

static void test_garbage(void **state) {
    (void)state;
    unsigned char buf[4096];
    unsigned s = 12345;
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round * 7 % 4096);
        for (size_t i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            buf[i] = (unsigned char)(s >> 16);
        }
        /* half of them look like the start of something real */
        if (round % 2 && n > 20) {
            memcpy(buf, round % 4 == 1 ? "PK\3\4" : "\0\x10MIXED_DATA_TYPES",
                   round % 4 == 1 ? 4 : 18);
        }
        assert_int_not_equal(exercise(buf, n), DLZ_OK);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_archives),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_lying_sizes),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
