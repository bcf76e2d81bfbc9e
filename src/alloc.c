/* alloc.c - the allocation wrappers every part of the library uses.
 *
 * They exist so that tests can make the n-th allocation fail and check that
 * every caller turns that into DLZ_ENOMEM without leaking.  The counter is the
 * only global state and is touched only when a test armed it. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

static long fail_countdown; /* 0: never fail */

void dlzi_alloc_fail_after(long n) {
    fail_countdown = n > 0 ? n : 0;
}

static int should_fail(void) {
    if (fail_countdown == 0) {
        return 0;
    }
    return --fail_countdown == 0;
}

void *dlzi_malloc(size_t n) {
    if (should_fail()) {
        return NULL;
    }
    return malloc(n == 0 ? 1 : n);
}

void *dlzi_calloc(size_t n, size_t size) {
    if (should_fail()) {
        return NULL;
    }
    if (n == 0 || size == 0) {
        n = size = 1;
    }
    return calloc(n, size);
}

void *dlzi_realloc(void *p, size_t n) {
    if (should_fail()) {
        return NULL;
    }
    return realloc(p, n == 0 ? 1 : n);
}

void dlzi_free(void *p) {
    free(p);
}

int dlzi_grow(void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap) {
        return DLZ_OK;
    }
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > SIZE_MAX / size) {
        return DLZ_ENOMEM;
    }
    void *a = dlzi_realloc(*arr, ncap * size);
    if (a == NULL) {
        return DLZ_ENOMEM;
    }
    *arr = a;
    *cap = ncap;
    return DLZ_OK;
}

void dlzi_str_append(char *buf, size_t cap, const char *s) {
    size_t at = strlen(buf);
    if (at + 1 < cap) {
        snprintf(buf + at, cap - at, "%s", s);
    }
}

char *dlzi_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = dlzi_malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

void dlz_free(void *p) {
    dlzi_free(p);
}

const char *dlz_version(void) {
    return DLZ_VERSION_STRING;
}

int dlz_version_number(void) {
    return DLZ_VERSION_NUMBER;
}
