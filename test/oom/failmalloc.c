/* failmalloc.c - a preloaded allocator that makes the N-th allocation of a
 * process fail (FAIL_AT=N; with FAIL_AFTER set, every one from the N-th on),
 * for test/test_oom.sh.  FAIL_REPORT makes it print the number of
 * allocations at exit.
 *
 *   LD_PRELOAD=failmalloc.so dlz ...                    (plain build)
 *   LD_PRELOAD=failmalloc.so:libasan.so.N dlz ...       (AddressSanitizer:
 *       ASAN_OPTIONS=verify_asan_link_order=0; the sanitizer's allocator is
 *       called through its __interceptor_ names)
 *
 * Built without optimisations that turn malloc + memset into calloc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int state; /* 0 not resolved, 1 resolving, 2 ready */
static long fail_at = -1, count;
static int fail_after, env_read;

/* dlsym allocates while the real functions are looked up. */
static _Alignas(16) char early[1 << 16];
static size_t early_used;

static void *early_alloc(size_t n) {
    size_t need = (n + 15) & ~(size_t)15;
    if (early_used + need > sizeof early) {
        return NULL;
    }
    void *p = early + early_used;
    early_used += need;
    memset(p, 0, n);
    return p;
}

/* AddressSanitizer's allocator, when its runtime is loaded (weak: NULL
   otherwise, without a lookup that could fail and allocate). */
extern void *__interceptor_malloc(size_t) __attribute__((weak));
extern void *__interceptor_calloc(size_t, size_t) __attribute__((weak));
extern void *__interceptor_realloc(void *, size_t) __attribute__((weak));
extern void __interceptor_free(void *) __attribute__((weak));

static void resolve(void) {
    state = 1;
    if (__interceptor_malloc != NULL) {
        real_malloc = __interceptor_malloc;
        real_calloc = __interceptor_calloc;
        real_realloc = __interceptor_realloc;
        real_free = __interceptor_free;
    } else {
        real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
        real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
        real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
        real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    }
    state = 2;
}

extern char **environ;

static int should_fail(void) {
    if (!env_read && environ != NULL) {
        /* the environment exists only after the first allocations */
        env_read = 1;
        const char *s = getenv("FAIL_AT");
        fail_at = s != NULL ? atol(s) : -1;
        fail_after = getenv("FAIL_AFTER") != NULL;
    }
    count++;
    if (fail_at > 0 && (fail_after ? count >= fail_at : count == fail_at)) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t n) {
    if (state == 0) {
        resolve();
    }
    if (state == 1) {
        return early_alloc(n);
    }
    return should_fail() ? NULL : real_malloc(n);
}

void *calloc(size_t a, size_t b) {
    if (state == 0) {
        resolve();
    }
    if (state == 1) {
        return b != 0 && a > sizeof early / b ? NULL : early_alloc(a * b);
    }
    return should_fail() ? NULL : real_calloc(a, b);
}

void *realloc(void *p, size_t n) {
    if (state == 0) {
        resolve();
    }
    return should_fail() ? NULL : real_realloc(p, n);
}

void free(void *p) {
    if ((char *)p >= early && (char *)p < early + sizeof early) {
        return;
    }
    if (state == 0) {
        resolve();
    }
    if (real_free != NULL) {
        real_free(p);
    }
}

__attribute__((destructor)) static void report(void) {
    if (getenv("FAIL_REPORT") != NULL) {
        fprintf(stderr, "failmalloc: %ld allocations\n", count);
    }
}
