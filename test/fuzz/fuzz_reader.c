/* fuzz_reader.c - libFuzzer target for the whole reader: open any bytes as an
 * archive or a bare array, list, read every array and entry, decode the
 * normalizer, the objects and the parameter table through the reader, and
 * rewrite what was read.  Build with -Dfuzzing=true (clang); without
 * libFuzzer, replay.c runs it over files so that every saved crasher is an
 * ordinary test. */
#include "dlz.h"
#include "fuzz.h"

int dlz_fuzz_wants_entry(const char *name) {
    (void)name;
    return 0; /* whole archives and array files only */
}

/* A failed read through the reader leaves a one-line message. */
static void check_failure(dlz_reader *r, int rc) {
    FUZZ_CHECK(rc != DLZ_EMISUSE);
    FUZZ_CHECK(fuzz_one_line(dlz_reader_errmsg(r)));
}

/* Same length and values (compared as doubles, bit for bit). */
static void same_values(const dlz_array *a, const dlz_array *b) {
    int64_t n = dlz_array_length(a);
    FUZZ_CHECK(dlz_array_length(b) == n && dlz_array_dtype(a) == dlz_array_dtype(b));
    double *x = malloc(sizeof *x * (size_t)(n ? n : 1)),
           *y = malloc(sizeof *y * (size_t)(n ? n : 1));
    if (x != NULL && y != NULL) {
        FUZZ_CHECK(dlz_array_to_f64(a, x, (size_t)n) == DLZ_OK);
        FUZZ_CHECK(dlz_array_to_f64(b, y, (size_t)n) == DLZ_OK);
        FUZZ_CHECK(memcmp(x, y, sizeof *x * (size_t)n) == 0);
    }
    free(x);
    free(y);
}

/* Writes what was read into a new archive in memory, which must read back. */
static void rewrite(const char *json, size_t jlen, const dlz_array *c, const dlz_array *u) {
    dlz_writer *w = dlz_writer_new();
    if (w == NULL) {
        return;
    }
    if (dlz_writer_open_memory(w) == DLZ_OK &&
        dlz_writer_put_configuration(w, json, jlen) == DLZ_OK &&
        dlz_writer_put_coefficients(w, c) == DLZ_OK &&
        (u == NULL || dlz_writer_put_updater(w, u) == DLZ_OK) && dlz_writer_close(w) == DLZ_OK) {
        const void *buf;
        size_t len;
        FUZZ_CHECK(dlz_writer_memory(w, &buf, &len) == DLZ_OK);
        dlz_reader *r = dlz_reader_new();
        if (r != NULL) {
            int rc = dlz_reader_open_memory(r, buf, len);
            if (rc != DLZ_OK) {
                fprintf(stderr, "the rewritten archive does not open: %s\n", dlz_reader_errmsg(r));
            }
            FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
            dlz_array *c2 = NULL, *u2 = NULL;
            if (rc == DLZ_OK) {
                rc = dlz_reader_read_coefficients(r, &c2);
                FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
                if (c2 != NULL) {
                    same_values(c, c2);
                }
                rc = dlz_reader_read_updater(r, &u2);
                FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM || (u == NULL && rc == DLZ_ENOTFOUND));
                if (u != NULL && u2 != NULL) {
                    same_values(u, u2);
                }
            }
            dlz_array_free(c2);
            dlz_array_free(u2);
            dlz_reader_free(r);
        }
    }
    dlz_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    dlz_reader *r = dlz_reader_new();
    if (r == NULL) {
        return 0;
    }
    dlz_reader_set_limit(r, DLZ_LIMIT_ARRAY_BYTES, FUZZ_ARRAY_LIMIT);
    dlz_reader_set_limit(r, DLZ_LIMIT_ENTRY_SIZE, FUZZ_ARRAY_LIMIT);
    dlz_reader_set_limit(r, DLZ_LIMIT_RAW_ENTRY, FUZZ_ARRAY_LIMIT);
    dlz_reader_set_limit(r, DLZ_LIMIT_CONFIG_SIZE, FUZZ_ARRAY_LIMIT);
    int orc = dlz_reader_open_memory(r, data, size);
    if (orc != DLZ_OK) {
        check_failure(r, orc);
        dlz_reader_free(r);
        return 0;
    }
    if (dlz_reader_kind(r) == DLZ_KIND_ARRAY) {
        dlz_array *a = NULL;
        if (dlz_reader_read_array(r, &a) == DLZ_OK) {
            size_t n = (size_t)dlz_array_length(a);
            double *v = malloc(sizeof(double) * (n ? n : 1));
            if (v != NULL) {
                dlz_array_to_f64(a, v, n);
            }
            free(v);
        }
        dlz_array_free(a);
        dlz_reader_free(r);
        return 0;
    }
    for (int64_t i = 0; i < dlz_reader_entry_count(r); i++) {
        dlz_entry_info info;
        dlz_reader_entry_info(r, i, &info);
    }
    for (int64_t i = 0; i < dlz_reader_object_count(r); i++) {
        void *b = NULL;
        size_t bl;
        const char *k = dlz_reader_object_key(r, i);
        FUZZ_CHECK(k != NULL);
        if (dlz_reader_read_object_raw(r, k, &b, &bl) == DLZ_OK) {
            dlz_free(b);
            dlz_value *v = NULL;
            int vrc = dlz_reader_read_object(r, k, &v);
            if (vrc != DLZ_OK) {
                check_failure(r, vrc);
            }
            dlz_value_free(v);
        }
    }
    dlz_normalizer *norm = NULL;
    int nrc = dlz_reader_read_normalizer(r, &norm);
    if (nrc != DLZ_OK && nrc != DLZ_ENOTFOUND) {
        check_failure(r, nrc);
    }
    dlz_normalizer_free(norm);
    for (unsigned f = 0; f < 2; f++) {
        dlz_params *p = NULL;
        int prc = dlz_reader_read_params(r, f, &p);
        if (prc != DLZ_OK) {
            check_failure(r, prc);
        }
        dlz_params_free(p);
    }
    const char *json = NULL;
    size_t jlen = 0;
    dlz_reader_configuration(r, &json, &jlen);
    dlz_array *c = NULL, *u = NULL;
    int rc = dlz_reader_read_coefficients(r, &c);
    if (rc != DLZ_OK) {
        check_failure(r, rc);
    }
    int urc = dlz_reader_read_updater(r, &u);
    if (urc != DLZ_OK && urc != DLZ_ENOTFOUND) {
        check_failure(r, urc);
    }
    if (rc == DLZ_OK && c != NULL && json != NULL) {
        rewrite(json, jlen, c, u);
    }
    dlz_array_free(c);
    dlz_array_free(u);
    dlz_reader_free(r);
    return 0;
}
