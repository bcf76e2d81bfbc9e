/* bench.c - times libdlz on one archive: restore without and with the
 * updater state (from a path), and saves with STORE, DEFLATE 1 and DEFLATE 6,
 * both to a path (atomic and durable: temporary file, fsync, rename, fsync of
 * the directory) and to a plain file descriptor (no fsync, as DL4J writes).
 * test/bench/run.sh runs DL4J on the same archive in the same run and prints
 * the ratios.
 *
 *   dlz_bench ARCHIVE OUT [RUNS [SAVE_RUNS]]
 *
 * Output, one line each:
 *   params N / updater_state N
 *   checksum_coefficients X / checksum_updater X  (sum of the raw bits of
 *       every FLOAT element, mod 2^64; compared with the DL4J side)
 *   <case> BEST_SECONDS MIB_PER_S PEAK_RSS_KIB
 *   size_<method> BYTES   (archive sizes written by the save cases)
 * BEST_SECONDS is the best of RUNS (restores, default 5) or SAVE_RUNS (saves,
 * default 3) wall-clock runs.  MIB_PER_S is decoded (restore) or encoded
 * (save) array bytes per second.  Restores time the library's work only:
 * opening the archive and decoding the arrays into memory.  Saves time
 * writing from arrays already in memory.  PEAK_RSS_KIB is the process's peak
 * resident set over the case's runs (VmHWM, reset through
 * /proc/self/clear_refs before the case), or the peak since start
 * (getrusage) when the reset is not allowed. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

/* Peak RSS bookkeeping: Linux resets VmHWM when "5" is written to clear_refs. */
static int reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL) {
        return 0;
    }
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static long peak_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    if (kib < 0) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) {
            kib = ru.ru_maxrss;
        }
    }
    return kib;
}

static uint64_t bit_sum(const dlz_array *a) {
    if (a == NULL) {
        return 0;
    }
    if (dlz_array_dtype(a) != DLZ_DTYPE_FLOAT) {
        die("checksum", "arrays are not FLOAT");
    }
    const uint32_t *p = dlz_array_cdata(a);
    size_t n = (size_t)dlz_array_length(a);
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        s += p[i];
    }
    return s;
}

static double restore(const char *path, int with_updater, double *bytes, int checksums) {
    double t0 = now();
    dlz_reader *r = dlz_reader_new();
    if (r == NULL) {
        die(path, "out of memory");
    }
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
    *bytes = (double)(c ? dlz_array_nbytes(c) : 0) + (double)(u ? dlz_array_nbytes(u) : 0);
    if (checksums) {
        printf("params %" PRId64 "\n", c ? dlz_array_length(c) : 0);
        printf("updater_state %" PRId64 "\n", u ? dlz_array_length(u) : 0);
        printf("checksum_coefficients %" PRIu64 "\n", bit_sum(c));
        printf("checksum_updater %" PRIu64 "\n", bit_sum(u));
    }
    dlz_array_free(c);
    dlz_array_free(u);
    return t;
}

typedef struct model {
    const char *json;
    size_t jlen;
    dlz_array *c, *u;
} model;

static double save(const model *m, const char *out, int method, int level, int durable,
                   uint64_t *size) {
    double t0 = now();
    dlz_writer *w = dlz_writer_new();
    if (w == NULL) {
        die(out, "out of memory");
    }
    if (dlz_writer_set_compression(w, DLZ_PART_ALL, method, level) != DLZ_OK) {
        die(out, dlz_writer_errmsg(w));
    }
    int rc;
    if (durable) {
        rc = dlz_writer_open_path(w, out);
    } else {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            die(out, "cannot create");
        }
        rc = dlz_writer_open_fd(w, fd, 0); /* the writer closes it */
    }
    if (rc != DLZ_OK || dlz_writer_put_configuration(w, m->json, m->jlen) != DLZ_OK ||
        dlz_writer_put_coefficients(w, m->c) != DLZ_OK ||
        (m->u != NULL && dlz_writer_put_updater(w, m->u) != DLZ_OK) ||
        dlz_writer_close(w) != DLZ_OK) {
        die(out, dlz_writer_errmsg(w));
    }
    double t = now() - t0;
    *size = dlz_writer_result(w)->total_bytes;
    dlz_writer_free(w);
    return t;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: dlz_bench ARCHIVE OUT [RUNS [SAVE_RUNS]]\n");
        return 2;
    }
    const char *in = argv[1], *out = argv[2];
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    int save_runs = argc > 4 ? atoi(argv[4]) : 3;
    if (runs < 1) {
        runs = 1;
    }
    if (save_runs < 1) {
        save_runs = 1;
    }
    double mib = 1024.0 * 1024.0;

    static const struct {
        const char *name;
        int with_updater;
    } restores[] = {{"restore_no_updater", 0}, {"restore_with_updater", 1}};
    for (size_t i = 0; i < sizeof restores / sizeof *restores; i++) {
        double best = 1e30, bytes = 0;
        if (i == 1) {
            restore(in, 1, &bytes, 1); /* untimed: counts and checksums */
        }
        int reset = reset_peak();
        for (int k = 0; k < runs; k++) {
            double t = restore(in, restores[i].with_updater, &bytes, 0);
            best = t < best ? t : best;
        }
        printf("%s %.6f %.1f %ld\n", restores[i].name, best, bytes / mib / best,
               reset ? peak_kib() : -1L);
        fflush(stdout);
    }

    /* The arrays to save are decoded once, untimed. */
    dlz_reader *r = dlz_reader_new();
    model m = {0};
    if (r == NULL || dlz_reader_open_path(r, in) != DLZ_OK ||
        dlz_reader_configuration(r, &m.json, &m.jlen) != DLZ_OK ||
        dlz_reader_read_coefficients(r, &m.c) != DLZ_OK) {
        die(in, r ? dlz_reader_errmsg(r) : "out of memory");
    }
    if (dlz_reader_has_entry(r, "updaterState.bin") == DLZ_OK &&
        dlz_reader_read_updater(r, &m.u) != DLZ_OK) {
        die(in, dlz_reader_errmsg(r));
    }
    double bytes = (double)dlz_array_nbytes(m.c) + (m.u ? (double)dlz_array_nbytes(m.u) : 0.0);

    static const struct {
        const char *name, *size_name;
        int method, level, durable;
    } saves[] = {
        {"save_store", "size_store", DLZ_METHOD_STORE, 0, 1},
        {"save_deflate1", "size_deflate1", DLZ_METHOD_DEFLATE, 1, 1},
        {"save_deflate6", "size_deflate6", DLZ_METHOD_DEFLATE, 6, 1},
        {"save_store_nosync", NULL, DLZ_METHOD_STORE, 0, 0},
        {"save_deflate1_nosync", NULL, DLZ_METHOD_DEFLATE, 1, 0},
        {"save_deflate6_nosync", NULL, DLZ_METHOD_DEFLATE, 6, 0},
    };
    for (size_t i = 0; i < sizeof saves / sizeof *saves; i++) {
        double best = 1e30;
        uint64_t size = 0;
        int reset = reset_peak();
        for (int k = 0; k < save_runs; k++) {
            double t = save(&m, out, saves[i].method, saves[i].level, saves[i].durable, &size);
            best = t < best ? t : best;
        }
        printf("%s %.6f %.1f %ld\n", saves[i].name, best, bytes / mib / best,
               reset ? peak_kib() : -1L);
        if (saves[i].size_name != NULL) {
            printf("%s %" PRIu64 "\n", saves[i].size_name, size);
        }
        fflush(stdout);
    }
    dlz_array_free(m.c);
    dlz_array_free(m.u);
    dlz_reader_free(r); /* m.json is borrowed from the reader */
    return 0;
}
