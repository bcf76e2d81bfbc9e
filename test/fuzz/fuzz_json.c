/* fuzz_json.c - libFuzzer target for dlz_value_from_json(): any bytes as JSON
 * text; on success the tree renders back to JSON that builds an equal tree
 * (compact and pretty), and it encodes to a serialization stream that
 * decodes to an equal tree. */
#include "dlz.h"
#include "fuzz.h"

int dlz_fuzz_wants_entry(const char *name) {
    return strcmp(name, "configuration.json") == 0;
}

static void check_render(const dlz_value *v, unsigned flags) {
    char *json = NULL;
    size_t len = 0;
    int rc = dlz_value_to_json(v, flags, &json, &len);
    if (rc == DLZ_ENOMEM) {
        return;
    }
    FUZZ_CHECK(rc == DLZ_OK && json != NULL && strlen(json) <= len);
    char msg[256];
    dlz_value *w = NULL;
    rc = dlz_value_from_json(json, len, &w, msg, sizeof msg);
    if (rc != DLZ_OK && rc != DLZ_ENOMEM) {
        fprintf(stderr, "rendering does not read back (%s): %.300s\n", msg, json);
    }
    FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
    FUZZ_CHECK(w == NULL || dlz_value_equal(v, w));
    dlz_value_free(w);
    dlz_free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    char msg[256];
    dlz_value *v = NULL;
    int rc = dlz_value_from_json((const char *)data, size, &v, msg, sizeof msg);
    if (rc != DLZ_OK) {
        FUZZ_CHECK(v == NULL);
        FUZZ_CHECK(rc == DLZ_EFORMAT || rc == DLZ_ELIMIT || rc == DLZ_ENOMEM);
        FUZZ_CHECK(fuzz_one_line(msg));
        return 0;
    }
    FUZZ_CHECK(v != NULL);
    check_render(v, 0);
    check_render(v, DLZ_JSON_PRETTY);

    void *b = NULL;
    size_t len = 0;
    rc = dlz_value_encode(v, &b, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        fprintf(stderr, "encoding failed: %s\n", msg);
    }
    FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
    if (rc == DLZ_OK) {
        dlz_value *w = NULL;
        rc = dlz_value_decode(b, len, DLZ_VALUE_MAX_DEPTH, &w, msg, sizeof msg);
        if (rc != DLZ_OK && rc != DLZ_ENOMEM) {
            fprintf(stderr, "the encoding does not decode: %s\n", msg);
        }
        FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
        FUZZ_CHECK(w == NULL || dlz_value_equal(v, w));
        dlz_value_free(w);
    }
    dlz_free(b);
    dlz_value_free(v);
    return 0;
}
