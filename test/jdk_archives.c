/* jdk_archives.c - writes archives with libdlz into a folder, each with the
 * dump that test/interop/JdkDump.java must print for it.  The expected dump is
 * computed here from the source values (not by reading the archive back), so
 * test_jdk.sh proves that the JDK's ZipFile and ZipInputStream, as DL4J uses
 * them, see exactly what was written. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlz.h"

static FILE *xopen(const char *dir, const char *name, const char *ext) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s%s", dir, name, ext);
    FILE *f = fopen(p, "w");
    if (f == NULL) {
        perror(p);
        exit(1);
    }
    return f;
}

/* Raw big-endian bits of element i as the record stores them. */
static void put_hex(FILE *f, dlz_dtype t, const void *data, int64_t i) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
    case DLZ_DTYPE_LONG: {
        uint64_t v;
        memcpy(&v, (const char *)data + 8 * i, 8);
        fprintf(f, "%016" PRIx64 "\n", v);
        break;
    }
    case DLZ_DTYPE_FLOAT:
    case DLZ_DTYPE_INT: {
        uint32_t v;
        memcpy(&v, (const char *)data + 4 * i, 4);
        fprintf(f, "%08" PRIx32 "\n", v);
        break;
    }
    case DLZ_DTYPE_HALF:
    case DLZ_DTYPE_SHORT: {
        uint16_t v;
        memcpy(&v, (const char *)data + 2 * i, 2);
        fprintf(f, "%04x\n", (unsigned)v);
        break;
    }
    default:
        fprintf(f, "%02x\n", ((const unsigned char *)data)[i]);
    }
}

/* Fills a vector with values that exercise signs, fractions and large
   magnitudes. */
static dlz_array *make(dlz_dtype t, int64_t n, int seed) {
    int64_t shape[2] = {1, n};
    dlz_array *a;
    if (dlz_array_new(t, 2, shape, 'c', &a, NULL, 0) != DLZ_OK) {
        exit(1);
    }
    void *d = dlz_array_data(a);
    for (int64_t i = 0; i < n; i++) {
        double x = ((double)((i * 7919 + seed * 104729) % 20011) - 10005.0) / 37.0;
        switch (t) {
        case DLZ_DTYPE_DOUBLE:
            ((double *)d)[i] = x * 1e-3;
            break;
        case DLZ_DTYPE_FLOAT:
            ((float *)d)[i] = (float)x;
            break;
        case DLZ_DTYPE_HALF:
            /* binary16 bit patterns: every sign/exponent/mantissa mix except NaN */
            ((uint16_t *)d)[i] =
                (uint16_t)((i * 2654435761u + (unsigned)seed) % 0x7c00u | (i & 1 ? 0x8000u : 0));
            break;
        case DLZ_DTYPE_LONG:
            ((int64_t *)d)[i] = (int64_t)(x * 1e12);
            break;
        case DLZ_DTYPE_INT:
            ((int32_t *)d)[i] = (int32_t)(x * 1000);
            break;
        default:
            break;
        }
    }
    return a;
}

static const char *gen_name(dlz_generation g) {
    return g == DLZ_GEN_JAVACPP ? "JAVACPP" : "MIXED_DATA_TYPES";
}

static void write_case(const char *dir, const char *name, dlz_generation gen, int method,
                       dlz_dtype t, int64_t n, int with_updater, int with_extras) {
    const char *json = "{\"confs\":[{\"layer\":{\"@class\":\"x\"}}],\"name\":\"caf\xc3\xa9\"}";
    dlz_array *c = make(t, n, 1), *u = with_updater ? make(t, 2 * n, 2) : NULL;
    dlz_writer *w = dlz_writer_new();
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.zip", dir, name);
    if (dlz_writer_set_generation(w, gen) != DLZ_OK ||
        dlz_writer_set_compression(w, DLZ_PART_ALL, method, 6) != DLZ_OK ||
        dlz_writer_open_path(w, path) != DLZ_OK ||
        dlz_writer_put_configuration(w, json, strlen(json)) != DLZ_OK ||
        dlz_writer_put_coefficients(w, c) != DLZ_OK ||
        (u && dlz_writer_put_updater(w, u) != DLZ_OK) ||
        (with_extras && dlz_writer_put_normalizer_raw(w, "NORMALIZER-BYTES", 16) != DLZ_OK) ||
        (with_extras &&
         dlz_writer_put_object_raw(w, "labels/en", "\xac\xed\x00\x05", 4) != DLZ_OK) ||
        dlz_writer_close(w) != DLZ_OK) {
        fprintf(stderr, "%s: %s\n", path, dlz_writer_errmsg(w));
        exit(1);
    }
    const dlz_save_result *res = dlz_writer_result(w);
    FILE *f = xopen(dir, name, ".expected");
    for (size_t i = 0; i < res->entry_count; i++) {
        fprintf(f, "entry %s %" PRIu64 "\n", res->entries[i].name, res->entries[i].size);
    }
    const dlz_array *arrs[2] = {c, u};
    const char *names[2] = {"coefficients.bin", "updaterState.bin"};
    for (int k = 0; k < 2; k++) {
        if (arrs[k] == NULL) {
            continue;
        }
        fprintf(f, "array %s mode=%s dtype=%s shape=1,%" PRId64 " strides=1,1 order=c\n", names[k],
                gen_name(gen), dlz_dtype_name(t), dlz_array_length(arrs[k]));
        for (int64_t i = 0; i < dlz_array_length(arrs[k]); i++) {
            /* native bits, printed as the big-endian value they encode */
            put_hex(f, t, dlz_array_cdata(arrs[k]), i);
        }
    }
    fclose(f);
    dlz_writer_free(w);
    dlz_array_free(c);
    dlz_array_free(u);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: jdk_archives DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    int count = 0;
    const dlz_dtype mixed_types[] = {DLZ_DTYPE_FLOAT, DLZ_DTYPE_DOUBLE, DLZ_DTYPE_HALF,
                                     DLZ_DTYPE_LONG, DLZ_DTYPE_INT};
    const dlz_dtype legacy_types[] = {DLZ_DTYPE_FLOAT, DLZ_DTYPE_DOUBLE, DLZ_DTYPE_HALF};
    for (int m = 0; m < 2; m++) {
        int method = m ? DLZ_METHOD_DEFLATE : DLZ_METHOD_STORE;
        for (size_t i = 0; i < sizeof mixed_types / sizeof *mixed_types; i++) {
            char name[128];
            snprintf(name, sizeof name, "mixed_%s_%s", dlz_dtype_name(mixed_types[i]),
                     m ? "deflate" : "store");
            write_case(dir, name, DLZ_GEN_MIXED, method, mixed_types[i], 1000 + (int64_t)i, 1,
                       (int)i % 2);
            count++;
        }
        for (size_t i = 0; i < sizeof legacy_types / sizeof *legacy_types; i++) {
            char name[128];
            snprintf(name, sizeof name, "javacpp_%s_%s", dlz_dtype_name(legacy_types[i]),
                     m ? "deflate" : "store");
            write_case(dir, name, DLZ_GEN_JAVACPP, method, legacy_types[i], 333, i != 1, 1);
            count++;
        }
        /* a larger one: many deflate blocks, >64 KiB buffers */
        char name[128];
        snprintf(name, sizeof name, "large_float_%s", m ? "deflate" : "store");
        write_case(dir, name, DLZ_GEN_MIXED, method, DLZ_DTYPE_FLOAT, 300000, 1, 1);
        count++;
    }
    printf("%d archives written\n", count);
    return 0;
}
