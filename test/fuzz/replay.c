/* replay.c - runs a fuzz target over the files named on the command line
 * (folders: every file in them, recursively), so that seeds and saved
 * crashers are ordinary tests.  Each file is given to the target whole;
 * when it is a zip archive, each entry the target asks for
 * (dlz_fuzz_wants_entry(): configuration.json, normalizer.bin, objects/...)
 * is given to it too, so fixture archives reach the targets of their parts.
 * Arguments that do not exist (the corpus on a machine without it) are
 * skipped with a message. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "fuzz.h"

static int files, entries;

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, k;
    unsigned char *b = malloc(cap);
    while (b != NULL && (k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (nb == NULL) {
                free(b);
            }
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

/* Feeds the entries of a zip archive in memory that the target wants. */
static void run_entries(const unsigned char *b, size_t n) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(b, n, 0, &ze);
    zip_t *za = src != NULL ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    zip_error_fini(&ze);
    if (za == NULL) {
        zip_source_free(src);
        return; /* not an archive libzip reads */
    }
    zip_int64_t count = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < count; i++) {
        zip_stat_t st;
        const char *name = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (name == NULL || !dlz_fuzz_wants_entry(name) ||
            zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
            st.size > FUZZ_MAX_INPUT) {
            continue;
        }
        unsigned char *e = malloc(st.size ? (size_t)st.size : 1);
        zip_file_t *zf = e != NULL ? zip_fopen_index(za, (zip_uint64_t)i, 0) : NULL;
        if (zf == NULL || zip_fread(zf, e, st.size) != (zip_int64_t)st.size) {
            /* damaged entries are the reader's business, not the replay's */
            if (zf != NULL) {
                zip_fclose(zf);
            }
            free(e);
            continue;
        }
        zip_fclose(zf);
        LLVMFuzzerTestOneInput(e, (size_t)st.size);
        entries++;
        free(e);
    }
    zip_discard(za);
}

static int run_file(const char *path) {
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    if (b == NULL) {
        return 1;
    }
    LLVMFuzzerTestOneInput(b, n);
    files++;
    run_entries(b, n);
    free(b);
    return 0;
}

static int run(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        perror(path);
        return 1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        rc |= run(p);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv) {
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            printf("skipping missing %s\n", argv[i]);
            continue;
        }
        rc |= run(argv[i]);
    }
    printf("replayed %d files and %d archive entries\n", files, entries);
    return rc;
}
