/* bench.c - times libdlz on one archive: restore without and with the
 * updater state (from a path), and saves with STORE, DEFLATE 1 and DEFLATE 6.
 * Prints one line per measurement: "<name> <best seconds> <MiB/s>", the best
 * of N runs (wall clock).  test/bench/run.sh runs DL4J on the same archive in
 * the same run and prints the ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlz.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "bench: %s: %s\n", what, msg);
    exit(1);
}

static double restore(const char *path, int with_updater, double *sink) {
    double t0 = now();
    dlz_reader *r = dlz_reader_new();
    if (dlz_reader_open_path(r, path) != DLZ_OK) {
        die(path, dlz_reader_errmsg(r));
    }
    dlz_array *c = NULL, *u = NULL;
    if (dlz_reader_read_coefficients(r, &c) != DLZ_OK) {
        die(path, dlz_reader_errmsg(r));
    }
    if (with_updater && dlz_reader_read_updater(r, &u) != DLZ_OK) {
        die(path, dlz_reader_errmsg(r));
    }
    dlz_reader_free(r);
    double t = now() - t0;
    /* touch the data so that nothing is optimised away */
    *sink += (double)dlz_array_length(c) + (u ? (double)dlz_array_length(u) : 0.0);
    dlz_array_free(c);
    dlz_array_free(u);
    return t;
}

static double save(const char *in, const char *out, int method, int level) {
    dlz_reader *r = dlz_reader_new();
    if (dlz_reader_open_path(r, in) != DLZ_OK) {
        die(in, dlz_reader_errmsg(r));
    }
    const char *json;
    size_t jlen;
    dlz_array *c = NULL, *u = NULL;
    if (dlz_reader_configuration(r, &json, &jlen) != DLZ_OK ||
        dlz_reader_read_coefficients(r, &c) != DLZ_OK) {
        die(in, dlz_reader_errmsg(r));
    }
    int has_u = dlz_reader_read_updater(r, &u) == DLZ_OK;
    double t0 = now();
    dlz_writer *w = dlz_writer_new();
    if (dlz_writer_set_compression(w, DLZ_PART_ALL, method, level) != DLZ_OK ||
        dlz_writer_open_path(w, out) != DLZ_OK ||
        dlz_writer_put_configuration(w, json, jlen) != DLZ_OK ||
        dlz_writer_put_coefficients(w, c) != DLZ_OK ||
        (has_u && dlz_writer_put_updater(w, u) != DLZ_OK) || dlz_writer_close(w) != DLZ_OK) {
        die(out, dlz_writer_errmsg(w));
    }
    double t = now() - t0;
    dlz_writer_free(w);
    dlz_array_free(c);
    dlz_array_free(u);
    dlz_reader_free(r);
    return t;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench ARCHIVE OUT [RUNS]\n");
        return 2;
    }
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    if (runs < 1) {
        runs = 1;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        die(argv[1], "cannot open");
    }
    fseek(f, 0, SEEK_END);
    double mib = (double)ftell(f) / (1024.0 * 1024.0);
    fclose(f);
    double sink = 0;
    struct {
        const char *name;
        int kind, method, level;
    } cases[] = {
        {"restore_no_updater", 0, 0, 0},
        {"restore_with_updater", 1, 0, 0},
        {"save_store", 2, DLZ_METHOD_STORE, 0},
        {"save_deflate1", 2, DLZ_METHOD_DEFLATE, 1},
        {"save_deflate6", 2, DLZ_METHOD_DEFLATE, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double best = 1e30;
        for (int k = 0; k < runs; k++) {
            double t = cases[i].kind < 2 ? restore(argv[1], cases[i].kind, &sink)
                                         : save(argv[1], argv[2], cases[i].method, cases[i].level);
            if (t < best) {
                best = t;
            }
        }
        printf("%s %.6f %.1f\n", cases[i].name, best, mib / best);
    }
    return sink < 0; /* never true; keeps sink alive */
}
