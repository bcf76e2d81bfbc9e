/* fuzz_reader.c - libFuzzer target for the whole reader: open any bytes as an
 * archive or a bare array, list, read every array and entry, and rewrite what
 * was read.  Build with -Dfuzzing=true (clang); without libFuzzer, replay.c
 * runs it over files so that every saved crasher is an ordinary test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rewrite(const char *json, size_t jlen, const dlz_array *c, const dlz_array *u) {
    dlz_writer *w = dlz_writer_new();
    if (w == NULL) {
        return;
    }
    if (dlz_writer_open_memory(w) == DLZ_OK &&
        dlz_writer_put_configuration(w, json, jlen) == DLZ_OK &&
        dlz_writer_put_coefficients(w, c) == DLZ_OK &&
        (u == NULL || dlz_writer_put_updater(w, u) == DLZ_OK)) {
        if (dlz_writer_close(w) != DLZ_OK) {
            dlz_writer_free(w);
            return;
        }
    }
    dlz_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dlz_reader *r = dlz_reader_new();
    if (r == NULL) {
        return 0;
    }
    dlz_reader_set_limit(r, DLZ_LIMIT_ARRAY_BYTES, 256 << 20);
    dlz_reader_set_limit(r, DLZ_LIMIT_ENTRY_SIZE, 256 << 20);
    if (dlz_reader_open_memory(r, data, size) != DLZ_OK) {
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
        if (k != NULL && dlz_reader_read_object_raw(r, k, &b, &bl) == DLZ_OK) {
            dlz_free(b);
        }
    }
    const char *json = NULL;
    size_t jlen = 0;
    dlz_reader_configuration(r, &json, &jlen);
    dlz_array *c = NULL, *u = NULL;
    int rc = dlz_reader_read_coefficients(r, &c);
    dlz_reader_read_updater(r, &u);
    if (rc == DLZ_OK && c != NULL && json != NULL) {
        rewrite(json, jlen, c, u);
    }
    dlz_array_free(c);
    dlz_array_free(u);
    dlz_reader_free(r);
    return 0;
}
