/* layout.c - the layout of a model archive, shared by the reader, the
 * writer and the editor: which entries make which part, their names and
 * order, their default compression, and the rules for object keys.
 * See dlz-format(5), section ZIP CONTAINER. */
#include "internal.h"

static const struct {
    const char *name; /* entry name of a single-entry part */
    unsigned mask;    /* DLZ_PART_* bit of its compression setting */
    int array;        /* holds an array record: stored by default */
} parts[DLZI_PART_COUNT] = {
    [DLZI_CONFIGURATION] = {"configuration.json", DLZ_PART_CONFIGURATION, 0},
    [DLZI_COEFFICIENTS] = {"coefficients.bin", DLZ_PART_COEFFICIENTS, 1},
    [DLZI_NO_PARAMS] = {"noParams.marker", DLZ_PART_COEFFICIENTS, 1},
    [DLZI_UPDATER] = {"updaterState.bin", DLZ_PART_UPDATER, 1},
    [DLZI_NORMALIZER] = {"normalizer.bin", DLZ_PART_NORMALIZER, 0},
    [DLZI_OBJECT] = {NULL, DLZ_PART_OBJECTS, 0},
    [DLZI_OTHER] = {NULL, 0, 0},
};

const char *dlzi_part_name(dlzi_part p) {
    return (unsigned)p < DLZI_PART_COUNT ? parts[p].name : NULL;
}

dlzi_part dlzi_part_of(const char *name) {
    for (int p = 0; p < DLZI_PART_COUNT; p++) {
        if (parts[p].name != NULL && strcmp(name, parts[p].name) == 0) {
            return (dlzi_part)p;
        }
    }
    size_t n = strlen(name);
    if (n > DLZI_OBJECT_PREFIX_LEN &&
        strncmp(name, DLZI_OBJECT_PREFIX, DLZI_OBJECT_PREFIX_LEN) == 0 && name[n - 1] != '/') {
        return DLZI_OBJECT;
    }
    return DLZI_OTHER;
}

unsigned dlzi_part_mask(dlzi_part p) {
    return (unsigned)p < DLZI_PART_COUNT ? parts[p].mask : 0;
}

void dlzi_part_compression(dlzi_part p, int *method, int *level) {
    /* Trained float weights barely compress (about 7 %) while deflate runs
       at about 30 MiB/s even at level 1: arrays are stored by default,
       which is ten times faster (test/bench/README.md). */
    int array = (unsigned)p < DLZI_PART_COUNT && parts[p].array;
    *method = array ? DLZ_METHOD_STORE : DLZ_METHOD_DEFLATE;
    *level = array ? 0 : DLZI_DEFAULT_DEFLATE_LEVEL;
}

char *dlzi_object_entry_name(const char *key) {
    size_t kl = strlen(key);
    char *name = dlzi_malloc(DLZI_OBJECT_PREFIX_LEN + kl + 1);
    if (name != NULL) {
        memcpy(name, DLZI_OBJECT_PREFIX, DLZI_OBJECT_PREFIX_LEN);
        memcpy(name + DLZI_OBJECT_PREFIX_LEN, key, kl + 1);
    }
    return name;
}

/* Key rules: valid UTF-8; not empty; no empty, "." or ".." segment; no
   leading '/'; no backslash; no NUL (implied by the C string). */
int dlzi_check_object_key(const char *key, dlzi_err *err) {
    size_t len = strlen(key);
    if (len == 0) {
        return dlzi_err_set(err, DLZ_EMISUSE, "object key is empty");
    }
    if (len > 0xFFFF - DLZI_OBJECT_PREFIX_LEN) {
        return dlzi_err_set(err, DLZ_EMISUSE, "object key is %zu bytes long", len);
    }
    if (key[0] == '/') {
        return dlzi_err_set(err, DLZ_EMISUSE, "object key '%s' starts with '/'", key);
    }
    if (strchr(key, '\\') != NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "object key '%s' contains a backslash", key);
    }
    const char *seg = key;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t sl = end ? (size_t)(end - seg) : strlen(seg);
        if (sl == 0 || (sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.')) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "object key '%s' has an empty, '.' or '..' segment", key);
        }
        if (end == NULL) {
            break;
        }
        seg = end + 1;
    }
    size_t bad;
    if (!dlzi_utf8_valid(key, len, &bad)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "object key is not valid UTF-8 at byte %zu", bad);
    }
    return DLZ_OK;
}

/* The decoder rules of the configuration (dlzi_utf8_next() without
   surrogates): no overlong forms, surrogates or code points above U+10FFFF. */
int dlzi_utf8_valid(const char *s, size_t len, size_t *bad) {
    for (size_t i = 0; i < len;) {
        size_t at = i;
        uint32_t cp;
        if (dlzi_utf8_next((const unsigned char *)s, len, &i, &cp, 0) != DLZI_UTF8_OK) {
            if (bad != NULL) {
                *bad = at;
            }
            return 0;
        }
    }
    return 1;
}
