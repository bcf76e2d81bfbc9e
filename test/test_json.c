/* test_json.c - the JSON scanner (src/jsonscan.c): it must accept exactly
 * what jansson parses, count values and nesting against its budget, report
 * the keys of the top-level object, and turn jansson's allocation failures
 * into DLZ_ENOMEM. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const dlzi_json_budget big = {100000000, 2048};

/* Scanner verdict (1 accepted) and message. */
static int scan_ok(const char *s, size_t n, unsigned flags, char *msg, size_t cap) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_json_scan(s, n, &big, flags, NULL, NULL, "text", &err);
    snprintf(msg, cap, "%s", err.msg);
    return rc == DLZ_OK;
}

/* jansson's verdict: 1 parsed, 0 refused, -1 refused for a number too large
   for its types (which the scanner does not check). */
static int jansson_ok(const char *s, size_t n, unsigned flags) {
    json_error_t e;
    size_t jf = ((flags & DLZI_JSON_ANY) ? JSON_DECODE_ANY : 0) |
                ((flags & DLZI_JSON_ALLOW_NUL) ? JSON_ALLOW_NUL : 0);
    json_t *j = json_loadb(s, n, jf, &e);
    if (j != NULL) {
        json_decref(j);
        return 1;
    }
    return json_error_code(&e) == json_error_numeric_overflow ? -1 : 0;
}

/* The scanner accepts what jansson accepts, and the document built from an
   accepted text equals the one jansson's own parser makes (json_equal). */
static void agree(const char *s, size_t n, unsigned flags) {
    char msg[512];
    int a = scan_ok(s, n, flags, msg, sizeof msg);
    int b = jansson_ok(s, n, flags);
    json_t *ours = NULL;
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_json_load(s, n, &big, flags, "text", &ours, &err);
    if (b == -1) {
        /* syntactically valid, a number too large for jansson's types */
        assert_true(a);
        assert_int_equal(rc, DLZ_EFORMAT);
        assert_non_null(strstr(err.msg, "too big") != NULL ? err.msg : strstr(err.msg, "overflow"));
        return;
    }
    if (a != b) {
        fail_msg("scanner %s, jansson %s (flags %u): '%.*s' (%s)", a ? "accepts" : "refuses",
                 b ? "accepts" : "refuses", flags, (int)(n > 200 ? 200 : n), s, msg);
    }
    assert_int_equal(rc == DLZ_OK, a);
    if (a) {
        json_error_t e;
        size_t jf = ((flags & DLZI_JSON_ANY) ? JSON_DECODE_ANY : 0) |
                    ((flags & DLZI_JSON_ALLOW_NUL) ? JSON_ALLOW_NUL : 0);
        json_t *theirs = json_loadb(s, n, jf, &e);
        if (!json_equal(ours, theirs)) {
            fail_msg("built document differs from jansson's for '%.*s'", (int)(n > 200 ? 200 : n),
                     s);
        }
        json_decref(theirs);
    }
    json_decref(ours);
}

static void test_cases(void **state) {
    (void)state;
    static const char *const texts[] = {"{}",
                                        "[]",
                                        " { } ",
                                        "{\"a\":1}",
                                        "[1,2,3]",
                                        "[1,]",
                                        "[,1]",
                                        "{\"a\"}",
                                        "{\"a\":}",
                                        "{\"a\":1,}",
                                        "{,}",
                                        "[01]",
                                        "[-0]",
                                        "[-]",
                                        "[1.]",
                                        "[.5]",
                                        "[1e5]",
                                        "[1E+5]",
                                        "[1e-5]",
                                        "[1e]",
                                        "[1.5e+]",
                                        "[-01]",
                                        "[0.0]",
                                        "[true,false,null]",
                                        "[tru]",
                                        "[nul]",
                                        "[True]",
                                        "\"s\"",
                                        "1",
                                        "null",
                                        "[\"\\u0041\"]",
                                        "[\"\\u004\"]",
                                        "[\"\\x41\"]",
                                        "[\"\\/\\b\\f\\n\\r\\t\"]",
                                        "[\"\\uD83D\\uDE00\"]",
                                        "[\"\\uD83D\"]",
                                        "[\"\\uDE00\"]",
                                        "[\"\\uD83Dx\"]",
                                        "[\"\\u0000\"]",
                                        "{\"\\u0000\":1}",
                                        "[\"\xc3\xa9\"]",
                                        "[\"\xc3\"]",
                                        "[\"\xc0\x80\"]",
                                        "[\"\xed\xa0\x80\"]",
                                        "[\"\xf4\x90\x80\x80\"]",
                                        "[\"\xf0\x9f\x98\x80\"]",
                                        "[\"a\tb\"]",
                                        "[\"a\nb\"]",
                                        "[1] x",
                                        "[1]   ",
                                        "[[[[[]]]]]",
                                        "{\"a\":{\"b\":[{}]}}",
                                        "",
                                        "   ",
                                        "[1 2]",
                                        "{\"a\" 1}",
                                        "{1:2}",
                                        "[\"unterminated]",
                                        "[1e400]",
                                        "[99999999999999999999999999]",
                                        "[-99999999999999999999]",
                                        "[\"\\uDBFF\\uDFFF\"]",
                                        "[\"\\u00e9\"]",
                                        "[\"\\uFFFF\"]",
                                        "\xef\xbb\xbf[]",
                                        "[1]\x00",
                                        "[\x00]"};
    const size_t lens[] = {0}; /* every text is used with strlen, and a few with a NUL */
    (void)lens;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        for (unsigned f = 0; f < 4; f++) {
            agree(texts[i], strlen(texts[i]), f);
        }
    }
    /* Raw NUL bytes: inside a string, after the value, alone. */
    static const char nul1[] = "[\"a\0b\"]", nul2[] = "[1]\0", nul3[] = "\0";
    for (unsigned f = 0; f < 4; f++) {
        agree(nul1, sizeof nul1 - 1, f);
        agree(nul2, sizeof nul2 - 1, f);
        agree(nul3, sizeof nul3 - 1, f);
    }
}

/* Every configuration.json of the fixtures, and byte-level mutations of one:
   the scanner and jansson agree on each. */
static void test_mutations(void **state) {
    (void)state;
    const char *root = getenv("DLZ_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/dl4j-1.0.0-M2.1/cg-merge-adam-float.zip",
             root ? root : ".");
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    TU_OK_R(r, dlz_reader_open_path(r, path));
    const char *json;
    size_t len;
    TU_OK_R(r, dlz_reader_configuration(r, &json, &len));
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    agree(json, len, DLZI_JSON_ALLOW_NUL);
    unsigned seed = 12345;
    static const char alphabet[] = "{}[],:\"\\ 0123456789.eE+-tfnul\t\n\x80\xc3\xff";
    long cases = 0;
    for (int round = 0; round < 4000; round++) {
        memcpy(buf, json, len);
        size_t n = len;
        int edits = 1 + round % 3;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            int kind = (int)((seed >> 16) % 3);
            char c = alphabet[(seed >> 4) % (sizeof alphabet - 1)];
            if (kind == 0) {
                buf[at] = c; /* replace */
            } else if (kind == 1 && n > 1) {
                memmove(buf + at, buf + at + 1, n - at - 1); /* delete */
                n--;
            } else {
                n = at; /* truncate */
                if (n == 0) {
                    n = 1;
                }
            }
        }
        agree(buf, n, round % 2 ? DLZI_JSON_ALLOW_NUL : 0);
        cases++;
    }
    printf("# %ld mutated configurations: scanner and jansson agree\n", cases);
    free(buf);
    dlz_reader_free(r);
}

static void collect(void *ctx, const char *key, size_t n) {
    char *out = ctx;
    strncat(out, key, n);
    strcat(out, ",");
}

static void test_budgets_and_keys(void **state) {
    (void)state;
    dlzi_err err;
    char keys[256] = "";
    const char *t = "{\"confs\":[{\"x\":1}],\"conf\\u0073\":2,\"\\u00e9\":{\"inner\":3},\"v\":[]}";
    dlzi_json_budget b = {100, 10};
    assert_int_equal(dlzi_json_scan(t, strlen(t), &b, 0, collect, keys, "t", &err), DLZ_OK);
    /* escaped keys are reported decoded; nested keys are not reported */
    assert_string_equal(keys, "confs,confs,\xc3\xa9,v,");

    /* values: {} counts 1, each member value 1 */
    const char *nine = "[1,2,3,[4,5],{\"a\":6}]"; /* 1 + 3 + (1+2) + (1+1) = 9 */
    dlzi_json_budget b9 = {9, 10}, b8 = {8, 10};
    assert_int_equal(dlzi_json_scan(nine, strlen(nine), &b9, 0, NULL, NULL, "t", &err), DLZ_OK);
    assert_int_equal(dlzi_json_scan(nine, strlen(nine), &b8, 0, NULL, NULL, "t", &err), DLZ_ELIMIT);
    assert_non_null(strstr(err.msg, "more than 8 values"));

    const char *deep = "[[[[[]]]]]"; /* 5 levels */
    dlzi_json_budget d5 = {100, 5}, d4 = {100, 4};
    assert_int_equal(dlzi_json_scan(deep, strlen(deep), &d5, 0, NULL, NULL, "t", &err), DLZ_OK);
    assert_int_equal(dlzi_json_scan(deep, strlen(deep), &d4, 0, NULL, NULL, "t", &err), DLZ_ELIMIT);
    assert_non_null(strstr(err.msg, "nested deeper than 4 levels"));

    /* positions in messages */
    const char *bad = "{\n  \"a\": tru\n}";
    assert_int_equal(dlzi_json_scan(bad, strlen(bad), &b, 0, NULL, NULL, "conf", &err),
                     DLZ_EFORMAT);
    assert_string_equal(err.msg, "conf: line 2, column 8: not valid JSON: invalid token");
}

/* jansson's allocations made to fail (this test process only): a valid text
   that jansson cannot parse is out of memory, never a syntax error. */
static long jansson_countdown = -1;
static void *failing_malloc(size_t n) {
    if (jansson_countdown == 0) {
        return NULL;
    }
    if (jansson_countdown > 0) {
        jansson_countdown--;
    }
    return malloc(n);
}

static void test_out_of_memory(void **state) {
    (void)state;
    const char *t =
        "{\"confs\":[{\"layer\":{\"@class\":\"x\",\"nin\":3,\"list\":[1,2,3,4,5,6,7,8]}}],"
        "\"name\":\"a long string that needs a buffer of its own, longer than sixteen\"}";
    json_set_alloc_funcs(failing_malloc, free);
    long failures = 0;
    for (long k = 0;; k++) {
        jansson_countdown = k;
        json_t *root = NULL;
        dlzi_err err;
        dlzi_err_clear(&err);
        int rc = dlzi_json_load(t, strlen(t), &big, 0, "t", &root, &err);
        jansson_countdown = -1;
        if (rc == DLZ_OK) {
            json_decref(root);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_string_equal(err.msg, "out of memory");
        failures++;
    }
    json_set_alloc_funcs(malloc, free);
    /* and the library's own allocations (the decoded strings) */
    for (long k = 1;; k++) {
        dlzi_alloc_fail_after(k);
        json_t *root = NULL;
        dlzi_err err;
        dlzi_err_clear(&err);
        int rc = dlzi_json_load(t, strlen(t), &big, 0, "t", &root, &err);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            json_decref(root);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_string_equal(err.msg, "out of memory");
        failures++;
    }
    printf("# %ld allocations failed one at a time: every one DLZ_ENOMEM \"out of memory\"\n",
           failures);
    assert_true(failures > 10);
}

/* dlz_configuration_convert(): the dataType strings of the places DL4J
   writes them (top level, confs[], defaultConfiguration, a vertex's
   layerConf, also inside the legacy {"LayerVertex": ...} wrapper) change,
   nothing else does: not a "dataType" of a layer, of an unknown member or in
   a string, not the spelling of numbers or white space. */
static void test_configuration_convert(void **state) {
    (void)state;
    static const char in[] =
        "{ \"dataType\" : \"FLOAT\", \"confs\": [{\"dataType\":\"FLOAT\", \"layer\": "
        "{\"dataType\": \"FLOAT\", \"x\": 1.50e-08}}, {\"dataType\": \"DOUBLE\"}],\n"
        " \"defaultConfiguration\": {\"dataType\": \"FLOAT\"}, \"other\": {\"dataType\": "
        "\"FLOAT\"}, \"note\": \"\\\"dataType\\\": \\\"FLOAT\\\"\", \"vertices\": {\"a\": "
        "{\"layerConf\": {\"dataType\": \"FLOAT\"}}, \"b\": {\"LayerVertex\": {\"layerConf\": "
        "{\"dataType\": \"FLOAT\", \"n\": [1, true, null]}}}, \"c\": {\"dataType\": "
        "\"FLOAT\"}}}";
    static const char want[] =
        "{ \"dataType\" : \"HALF\", \"confs\": [{\"dataType\":\"HALF\", \"layer\": "
        "{\"dataType\": \"FLOAT\", \"x\": 1.50e-08}}, {\"dataType\": \"HALF\"}],\n"
        " \"defaultConfiguration\": {\"dataType\": \"HALF\"}, \"other\": {\"dataType\": "
        "\"FLOAT\"}, \"note\": \"\\\"dataType\\\": \\\"FLOAT\\\"\", \"vertices\": {\"a\": "
        "{\"layerConf\": {\"dataType\": \"HALF\"}}, \"b\": {\"LayerVertex\": {\"layerConf\": "
        "{\"dataType\": \"HALF\", \"n\": [1, true, null]}}}, \"c\": {\"dataType\": "
        "\"FLOAT\"}}}";
    char *out = (char *)1, err[256];
    size_t len = 1;
    assert_int_equal(
        dlz_configuration_convert(in, strlen(in), DLZ_DTYPE_HALF, &out, &len, err, sizeof err),
        DLZ_OK);
    assert_int_equal(len, strlen(want));
    assert_string_equal(out, want);
    dlz_free(out);
    /* Without dataType (DL4J 1.0.0-beta3 and earlier): unchanged. */
    static const char old[] = "{\"confs\": [{\"layer\": {}}], \"backprop\": true}";
    assert_int_equal(
        dlz_configuration_convert(old, strlen(old), DLZ_DTYPE_BFLOAT16, &out, &len, NULL, 0),
        DLZ_OK);
    assert_string_equal(out, old);
    dlz_free(out);
    /* Refusals: not JSON, not an object, another type, NULL. */
    static const char *const bad[] = {"{\"dataType\": \"FLOAT\"", "[1]", "", "{\"a\" 1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out = (char *)1;
        assert_int_equal(dlz_configuration_convert(bad[i], strlen(bad[i]), DLZ_DTYPE_HALF, &out,
                                                   &len, err, sizeof err),
                         DLZ_EFORMAT);
        assert_null(out);
        assert_non_null(strstr(err, "configuration.json"));
    }
    assert_int_equal(
        dlz_configuration_convert(old, strlen(old), DLZ_DTYPE_INT, &out, &len, err, sizeof err),
        DLZ_EMISUSE);
    assert_int_equal(
        dlz_configuration_convert(NULL, 0, DLZ_DTYPE_HALF, &out, &len, err, sizeof err),
        DLZ_EMISUSE);
    assert_int_equal(
        dlz_configuration_convert(old, strlen(old), DLZ_DTYPE_HALF, NULL, &len, err, sizeof err),
        DLZ_EMISUSE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_budgets_and_keys),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_configuration_convert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
