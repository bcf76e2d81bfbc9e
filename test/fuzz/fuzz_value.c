/* fuzz_value.c - libFuzzer target for the Java serialization codec: decode
 * any bytes as an objects/<key> stream; on success walk the tree through
 * every accessor, copy it, render it as JSON, and check that it encodes to
 * a stream that decodes to an equal tree, and that encoding that tree gives
 * the same bytes again (a decoded HashMap is re-encoded in Java's order, so
 * only the second round trip is exact). */
#include <jansson.h>

#include "dlz.h"
#include "fuzz.h"

int dlz_fuzz_wants_entry(const char *name) {
    return fuzz_has_prefix(name, "objects/");
}

/* Checks the accessors against each other, down to @p depth levels. */
static void walk(const dlz_value *v, int depth) {
    FUZZ_CHECK(depth <= DLZ_VALUE_MAX_DEPTH);
    dlz_value_type t = dlz_value_type_of(v);
    FUZZ_CHECK(dlz_value_type_name(t) != NULL);
    size_t n = dlz_value_count(v), k;
    const void *elems = dlz_value_array_data(v, &k);
    if (t >= DLZ_VALUE_BYTE_ARRAY && t <= DLZ_VALUE_CHAR_ARRAY) {
        FUZZ_CHECK(elems != NULL && k == n);
    } else {
        FUZZ_CHECK(elems == NULL && k == 0);
    }
    size_t slen;
    const char *s = dlz_value_string(v, &slen);
    FUZZ_CHECK((s != NULL) == (t == DLZ_VALUE_STRING));
    if (s != NULL) {
        FUZZ_CHECK(s[slen] == '\0');
    }
    FUZZ_CHECK((dlz_value_opaque_class(v) != NULL) == (t == DLZ_VALUE_OPAQUE));
    if (t == DLZ_VALUE_BOOLEAN) {
        int64_t b = dlz_value_integer(v);
        FUZZ_CHECK(b == 0 || b == 1);
    }
    if (t == DLZ_VALUE_STRING_ARRAY || t == DLZ_VALUE_OBJECT_ARRAY || t == DLZ_VALUE_LIST) {
        for (size_t i = 0; i < n; i++) {
            const dlz_value *c = dlz_value_item(v, i);
            FUZZ_CHECK(c != NULL);
            if (t == DLZ_VALUE_STRING_ARRAY) {
                FUZZ_CHECK(dlz_value_type_of(c) == DLZ_VALUE_STRING ||
                           dlz_value_type_of(c) == DLZ_VALUE_NULL);
            }
            walk(c, depth + 1);
        }
        FUZZ_CHECK(dlz_value_item(v, n) == NULL);
    } else if (t == DLZ_VALUE_MAP || t == DLZ_VALUE_LINKED_MAP) {
        for (size_t i = 0; i < n; i++) {
            const dlz_value *key = dlz_value_map_key(v, i);
            FUZZ_CHECK(key != NULL && dlz_value_map_value(v, i) != NULL);
            if (n <= 64) { /* map_get is linear */
                FUZZ_CHECK(dlz_value_map_get(v, key) != NULL);
            }
            walk(key, depth + 1);
            walk(dlz_value_map_value(v, i), depth + 1);
        }
        FUZZ_CHECK(dlz_value_map_key(v, n) == NULL);
    } else {
        FUZZ_CHECK(dlz_value_item(v, 0) == NULL && dlz_value_map_key(v, 0) == NULL);
    }
}

static void check_json(const dlz_value *v, unsigned flags) {
    char *json = NULL;
    size_t len = 0;
    int rc = dlz_value_to_json(v, flags, &json, &len);
    if (rc == DLZ_ENOMEM) {
        return;
    }
    FUZZ_CHECK(rc == DLZ_OK && json != NULL && strlen(json) == len);
    fuzz_check_json_text(json, len);
    dlz_free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    /* The depth comes from the first byte when the input is long enough to
       spare one, so that small limits are exercised too. */
    int depth = 0;
    if (size > 0 && data[0] != 0xAC) {
        depth = data[0] % 8 == 0 ? data[0] : 0;
        data++;
        size--;
    }
    char msg[256];
    dlz_value *v = NULL;
    int rc = dlz_value_decode(data, size, depth, &v, msg, sizeof msg);
    if (rc != DLZ_OK) {
        FUZZ_CHECK(v == NULL);
        FUZZ_CHECK(rc == DLZ_EFORMAT || rc == DLZ_EUNSUPPORTED || rc == DLZ_ELIMIT ||
                   rc == DLZ_ENOMEM);
        FUZZ_CHECK(fuzz_one_line(msg));
        return 0;
    }
    FUZZ_CHECK(v != NULL);
    walk(v, 1);

    dlz_value *c = dlz_value_copy(v);
    if (c != NULL) {
        FUZZ_CHECK(dlz_value_equal(v, c) && dlz_value_equal(c, v));
        dlz_value_free(c);
    }
    check_json(v, 0);
    check_json(v, DLZ_JSON_PRETTY);

    void *b1 = NULL, *b2 = NULL;
    size_t l1 = 0, l2 = 0;
    rc = dlz_value_encode(v, &b1, &l1, msg, sizeof msg);
    if (rc == DLZ_OK) {
        if (dlz_value_type_of(v) == DLZ_VALUE_OPAQUE) {
            FUZZ_CHECK(l1 == size && memcmp(b1, data, size) == 0);
        }
        dlz_value *w = NULL;
        rc = dlz_value_decode(b1, l1, depth, &w, msg, sizeof msg);
        if (rc != DLZ_OK) {
            fprintf(stderr, "re-decoding failed: %s\n", msg);
        }
        FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
        if (w != NULL) {
            /* Equal unless a HashMap was put in Java's order. */
            rc = dlz_value_encode(w, &b2, &l2, msg, sizeof msg);
            FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
            if (rc == DLZ_OK) {
                FUZZ_CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0);
                dlz_value *x = NULL;
                rc = dlz_value_decode(b2, l2, depth, &x, msg, sizeof msg);
                FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
                FUZZ_CHECK(x == NULL || dlz_value_equal(w, x));
                dlz_value_free(x);
            }
            dlz_value_free(w);
        }
    } else {
        /* A decoded tree has no opaque node inside a container and no
           string too long for Java: only memory can run out. */
        FUZZ_CHECK(rc == DLZ_ENOMEM);
    }
    dlz_free(b1);
    dlz_free(b2);
    dlz_value_free(v);
    return 0;
}
