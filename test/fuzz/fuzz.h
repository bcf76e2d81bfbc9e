/* fuzz.h - what every fuzz target and the replay driver share.
 *
 * A target defines LLVMFuzzerTestOneInput() and dlz_fuzz_wants_entry(): the
 * zip entries (of the fixtures, the corpus and saved inputs) that replay.c
 * extracts and feeds to it besides the whole files.  A target that finds the
 * library breaking one of its promises calls FUZZ_CHECK, which aborts with
 * the failed condition, so that libFuzzer and the replay test report it. */
#ifndef DLZ_FUZZ_H
#define DLZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* 1 if the zip entry @p name is an input of this target, else 0. */
int dlz_fuzz_wants_entry(const char *name);

/* Largest input a target looks at: bigger ones are skipped unread. */
#define FUZZ_MAX_INPUT (1u << 20)
/* Array limit of the readers and decoders inside the targets. */
#define FUZZ_ARRAY_LIMIT (64 << 20)

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* 1 if @p name is @p prefix followed by at least one character. */
static inline int fuzz_has_prefix(const char *name, const char *prefix) {
    size_t n = strlen(prefix);
    return strncmp(name, prefix, n) == 0 && name[n] != '\0';
}

/* 1 if the NUL-terminated message is one line of text: not empty, no
   control character. */
static inline int fuzz_one_line(const char *msg) {
    if (msg == NULL || msg[0] == '\0') {
        return 0;
    }
    for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }
    return 1;
}

#ifdef JANSSON_H
/* Checks that @p json (of @p len bytes) is JSON text.  jansson refuses three
   things that are valid: an escaped lone surrogate \uD800 .. \uDFFF (Java
   strings may hold them), \u0000 in an object key and an integer outside
   int64 (a UINT64 array value), which it reads as a real instead. */
static inline void fuzz_check_json_text(const char *json, size_t len) {
    for (const char *p = json; (p = strstr(p, "\\u")) != NULL; p += 2) {
        if ((p[2] == 'd' || p[2] == 'D') && p[3] != '\0' &&
            strchr("89abcdefABCDEF", p[3]) != NULL) {
            return;
        }
    }
    json_error_t jerr;
    json_t *j =
        json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
    if (j == NULL && strstr(jerr.text, "NUL byte in object key") != NULL) {
        return;
    }
    if (j == NULL) {
        fprintf(stderr, "not JSON (%s at byte %d): %.300s\n", jerr.text, jerr.position, json);
    }
    FUZZ_CHECK(j != NULL);
    json_decref(j);
}
#endif

#endif /* DLZ_FUZZ_H */
