/* test_jser.c - the Java serialization codec of objects/<key> entries
 * (FORMAT.md section D).
 *
 *  - byte vectors built here from the format description, decoded and
 *    encoded both ways;
 *  - agreement with the JDK (test/jser/JserVectors.java, compiled with javac
 *    at run time): its ObjectOutputStream bytes for a list of values are
 *    decoded, rebuilt through the C API from a textual rendering and encoded
 *    to the same bytes; its ObjectInputStream reads what we write, including
 *    random trees, and renders the same values;
 *  - hostile streams (every prefix, byte flips, huge counts, deep nesting,
 *    bad references, cycles, reference bombs), allocation failures;
 *  - JSON in and out, and the archive glue.
 *
 * Environment: DLZ_JAVA / DLZ_JAVAC (default: java / javac from PATH),
 * DLZ_JSER_SRC (default: $DLZ_SOURCE_ROOT/test/jser/JserVectors.java).
 * Without a JDK the JDK tests report "skipped: no JDK". */
#include "testutil.h"

#include "internal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Byte builder                                                              */

/* The byte builder of testutil.h. */
typedef tu_buf buf;

static void b_u8(buf *b, unsigned v) {
    tu_b_be(b, v, 1);
}

static void b_header(buf *b) {
    tu_b_bytes(b, "\xAC\xED\x00\x05", 4);
}

/* TC_CLASSDESC name uid flags fields... TC_ENDBLOCKDATA (superclass not
   written).  fields: "Ivalue" style, type letter then name. */
static void b_desc(buf *b, const char *name, uint64_t uid, unsigned flags, int nf,
                   const char *const *fields) {
    b_u8(b, 0x72);
    tu_b_utf(b, name);
    tu_b_be(b, uid, 8);
    b_u8(b, flags);
    tu_b_be(b, (uint64_t)nf, 2);
    for (int i = 0; i < nf; i++) {
        b_u8(b, (unsigned char)fields[i][0]);
        tu_b_utf(b, fields[i] + 1);
    }
    b_u8(b, 0x78);
}

static const char *const F_VALUE_I[] = {"Ivalue"};
static const char *const F_SIZE[] = {"Isize"};
static const char *const F_HASHMAP[] = {"FloadFactor", "Ithreshold"};
static const char *const F_ACCESS[] = {"ZaccessOrder"};
static const char *const F_VALUE_Z[] = {"Zvalue"};

#define UID_INTEGER UINT64_C(0x12E2A0A4F7818738)
#define UID_NUMBER UINT64_C(0x86AC951D0B94E08B)
#define UID_ARRAYLIST UINT64_C(0x7881D21D99C7619D)
#define UID_HASHMAP UINT64_C(0x0507DAC1C31660D1)
#define UID_LINKEDHASHMAP UINT64_C(0x34C04E5C106CC0FB)
#define UID_BOOLEAN UINT64_C(0xCD207280D59CFAEE)

/* The Integer descriptor with its Number superclass. */
static void b_desc_integer(buf *b) {
    b_desc(b, "java.lang.Integer", UID_INTEGER, 0x02, 1, F_VALUE_I);
    b_desc(b, "java.lang.Number", UID_NUMBER, 0x02, 0, NULL);
    b_u8(b, 0x70);
}

static void b_desc_arraylist(buf *b) {
    b_desc(b, "java.util.ArrayList", UID_ARRAYLIST, 0x03, 1, F_SIZE);
    b_u8(b, 0x70);
}

static void b_desc_hashmap(buf *b) {
    b_desc(b, "java.util.HashMap", UID_HASHMAP, 0x03, 2, F_HASHMAP);
    b_u8(b, 0x70);
}

static void b_string(buf *b, const char *s) {
    b_u8(b, 0x74);
    tu_b_utf(b, s);
}

static void b_ref(buf *b, uint32_t index) {
    b_u8(b, 0x71);
    tu_b_be(b, 0x7E0000u + index, 4);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static dlz_value *must(dlz_value *v) {
    assert_non_null(v);
    return v;
}

static void add(dlz_value *c, dlz_value *item) {
    assert_int_equal(dlz_value_append(c, must(item)), DLZ_OK);
}

static void put(dlz_value *m, dlz_value *k, dlz_value *v) {
    assert_int_equal(dlz_value_map_put(m, must(k), must(v)), DLZ_OK);
}

static dlz_value *str(const char *s) {
    return must(tu_value_string(s, strlen(s)));
}

static dlz_value *decode_ok(const void *p, size_t n) {
    dlz_value *v = NULL;
    char err[256];
    int rc = dlz_value_decode(p, n, 0, &v, err, sizeof err);
    if (rc != DLZ_OK) {
        fail_msg("decode = %d (%s): %s", rc, dlz_strerror(rc), err);
    }
    assert_non_null(v);
    return v;
}

static int decode_rc(const void *p, size_t n, int depth, char *err, size_t errcap) {
    dlz_value *v = NULL;
    int rc = dlz_value_decode(p, n, depth, &v, err, errcap);
    if (rc == DLZ_OK) {
        assert_non_null(v);
        dlz_value_free(v);
    } else {
        assert_null(v);
    }
    return rc;
}

static unsigned char *encode_ok(const dlz_value *v, size_t *len) {
    void *p = NULL;
    char err[256];
    int rc = dlz_value_encode(v, &p, len, err, sizeof err);
    if (rc != DLZ_OK) {
        fail_msg("encode = %d (%s): %s", rc, dlz_strerror(rc), err);
    }
    return p;
}

static void hexdump_diff(const unsigned char *a, size_t an, const unsigned char *b, size_t bn) {
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i]) {
        i++;
    }
    print_message("lengths %zu and %zu, first difference at byte %zu\n", an, bn, i);
    size_t from = i > 16 ? i - 16 : 0;
    for (int which = 0; which < 2; which++) {
        const unsigned char *p = which ? b : a;
        size_t n = which ? bn : an;
        print_message("%s:", which ? "expected" : "got     ");
        for (size_t k = from; k < n && k < from + 48; k++) {
            print_message("%s%02x", k == i ? " [" : " ", p[k]);
        }
        print_message("\n");
    }
}

static void assert_bytes(const unsigned char *got, size_t gn, const unsigned char *exp, size_t en,
                         const char *what) {
    if (gn != en || memcmp(got, exp, en) != 0) {
        hexdump_diff(got, gn, exp, en);
        fail_msg("%s: bytes differ", what);
    }
}

/* Encodes v and compares with the expected bytes. */
static void assert_encodes_to(const dlz_value *v, const unsigned char *exp, size_t en,
                              const char *what) {
    size_t n;
    unsigned char *p = encode_ok(v, &n);
    assert_bytes(p, n, exp, en, what);
    dlz_free(p);
}

/* ------------------------------------------------------------------------ */
/* Canonical rendering (the format JserVectors.java prints) and its parser   */

typedef struct sb {
    char *p;
    size_t n, cap;
} sb;

static void sb_put(sb *o, const char *s, size_t n) {
    if (o->n + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->n + n + 1) {
            cap *= 2;
        }
        o->p = realloc(o->p, cap);
        assert_non_null(o->p);
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = 0;
}

static void sb_puts(sb *o, const char *s) {
    sb_put(o, s, strlen(s));
}

static void sb_printf(sb *o, const char *fmt, ...) TU_PRINTF(2, 3);
static void sb_printf(sb *o, const char *fmt, ...) {
    char t[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    sb_puts(o, t);
}

/* UTF-8 with 3-byte surrogates to UTF-16 units; returns the count. */
static size_t to_units(const char *s, size_t n, uint16_t *out) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k = 0;
    while (i < n) {
        uint32_t cp;
        if (u[i] < 0x80) {
            cp = u[i++];
        } else if (u[i] < 0xE0) {
            cp = (uint32_t)(u[i] & 0x1F) << 6 | (u[i + 1] & 0x3F);
            i += 2;
        } else if (u[i] < 0xF0) {
            cp = (uint32_t)(u[i] & 0x0F) << 12 | (uint32_t)(u[i + 1] & 0x3F) << 6 |
                 (u[i + 2] & 0x3F);
            i += 3;
        } else {
            cp = (uint32_t)(u[i] & 0x07) << 18 | (uint32_t)(u[i + 1] & 0x3F) << 12 |
                 (uint32_t)(u[i + 2] & 0x3F) << 6 | (u[i + 3] & 0x3F);
            i += 4;
        }
        if (cp >= 0x10000) {
            out[k++] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
            out[k++] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            out[k++] = (uint16_t)cp;
        }
    }
    return k;
}

/* UTF-16 units to UTF-8, pairs joined, lone surrogates as 3 bytes. */
static char *from_units(const uint16_t *u, size_t n, size_t *outlen) {
    char *o = malloc(3 * n + 1);
    size_t k = 0;
    assert_non_null(o);
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = u[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (u[i + 1] - 0xDC00u);
            i++;
        }
        if (cp < 0x80) {
            o[k++] = (char)cp;
        } else if (cp < 0x800) {
            o[k++] = (char)(0xC0 | cp >> 6);
            o[k++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            o[k++] = (char)(0xE0 | cp >> 12);
            o[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
            o[k++] = (char)(0x80 | (cp & 0x3F));
        } else {
            o[k++] = (char)(0xF0 | cp >> 18);
            o[k++] = (char)(0x80 | (cp >> 12 & 0x3F));
            o[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
            o[k++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    o[k] = 0;
    *outlen = k;
    return o;
}

static void render_units(sb *o, const uint16_t *u, size_t n) {
    sb_puts(o, "\"");
    for (size_t i = 0; i < n; i++) {
        if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '"' && u[i] != '\\') {
            char c = (char)u[i];
            sb_put(o, &c, 1);
        } else {
            sb_printf(o, "\\u%04x", u[i]);
        }
    }
    sb_puts(o, "\"");
}

static uint64_t dbits(double d) {
    uint64_t b;
    if (isnan(d)) {
        return UINT64_C(0x7ff8000000000000);
    }
    memcpy(&b, &d, 8);
    return b;
}

static uint32_t fbits(float f) {
    uint32_t b;
    if (isnan(f)) {
        return 0x7fc00000u;
    }
    memcpy(&b, &f, 4);
    return b;
}

static int cmp_strp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void render(sb *o, const dlz_value *v, int sort);

static void render_map(sb *o, const dlz_value *v, int sort) {
    size_t n = dlz_value_count(v);
    int linked = dlz_value_type_of(v) == DLZ_VALUE_LINKED_MAP;
    char **e = calloc(n + 1, sizeof *e);
    assert_non_null(e);
    for (size_t i = 0; i < n; i++) {
        sb t = {0};
        render(&t, dlz_value_map_key(v, i), sort);
        sb_puts(&t, "=");
        render(&t, dlz_value_map_value(v, i), sort);
        e[i] = t.p;
    }
    if (sort && !linked) {
        qsort(e, n, sizeof *e, cmp_strp);
    }
    sb_puts(o, linked ? "LinkedHashMap{" : "HashMap{");
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            sb_puts(o, ",");
        }
        sb_puts(o, e[i]);
        free(e[i]);
    }
    free(e);
    sb_puts(o, "}");
}

static void render(sb *o, const dlz_value *v, int sort) {
    size_t n = 0, len;
    const void *a = dlz_value_array_data(v, &n);
    switch (dlz_value_type_of(v)) {
    case DLZ_VALUE_NULL:
        sb_puts(o, "null");
        return;
    case DLZ_VALUE_STRING: {
        const char *s = dlz_value_string(v, &len);
        uint16_t *u = malloc((len + 1) * sizeof *u);
        assert_non_null(u);
        sb_puts(o, "String:");
        render_units(o, u, to_units(s, len, u));
        free(u);
        return;
    }
    case DLZ_VALUE_INT:
        sb_printf(o, "Integer:%lld", (long long)dlz_value_integer(v));
        return;
    case DLZ_VALUE_LONG:
        sb_printf(o, "Long:%lld", (long long)dlz_value_integer(v));
        return;
    case DLZ_VALUE_SHORT:
        sb_printf(o, "Short:%lld", (long long)dlz_value_integer(v));
        return;
    case DLZ_VALUE_BYTE:
        sb_printf(o, "Byte:%lld", (long long)dlz_value_integer(v));
        return;
    case DLZ_VALUE_BOOLEAN:
        sb_puts(o, dlz_value_integer(v) ? "Boolean:true" : "Boolean:false");
        return;
    case DLZ_VALUE_CHAR:
        sb_printf(o, "Character:%04x", (unsigned)dlz_value_integer(v));
        return;
    case DLZ_VALUE_DOUBLE:
        sb_printf(o, "Double:%016llx", (unsigned long long)dbits(dlz_value_real(v)));
        return;
    case DLZ_VALUE_FLOAT:
        sb_printf(o, "Float:%08x", (unsigned)fbits((float)dlz_value_real(v)));
        return;
    case DLZ_VALUE_BYTE_ARRAY:
    case DLZ_VALUE_SHORT_ARRAY:
    case DLZ_VALUE_INT_ARRAY:
    case DLZ_VALUE_LONG_ARRAY:
    case DLZ_VALUE_FLOAT_ARRAY:
    case DLZ_VALUE_DOUBLE_ARRAY:
    case DLZ_VALUE_BOOLEAN_ARRAY:
    case DLZ_VALUE_CHAR_ARRAY: {
        static const char *const pre[] = {"byte[]{",  "short[]{",  "int[]{",     "long[]{",
                                          "float[]{", "double[]{", "boolean[]{", "char[]{"};
        dlz_value_type t = dlz_value_type_of(v);
        sb_puts(o, pre[t - DLZ_VALUE_BYTE_ARRAY]);
        for (size_t i = 0; i < n; i++) {
            if (i > 0) {
                sb_puts(o, ",");
            }
            switch (t) {
            case DLZ_VALUE_BYTE_ARRAY:
                sb_printf(o, "%d", ((const int8_t *)a)[i]);
                break;
            case DLZ_VALUE_SHORT_ARRAY:
                sb_printf(o, "%d", ((const int16_t *)a)[i]);
                break;
            case DLZ_VALUE_INT_ARRAY:
                sb_printf(o, "%d", ((const int32_t *)a)[i]);
                break;
            case DLZ_VALUE_LONG_ARRAY:
                sb_printf(o, "%lld", (long long)((const int64_t *)a)[i]);
                break;
            case DLZ_VALUE_FLOAT_ARRAY:
                sb_printf(o, "%08x", (unsigned)fbits(((const float *)a)[i]));
                break;
            case DLZ_VALUE_DOUBLE_ARRAY:
                sb_printf(o, "%016llx", (unsigned long long)dbits(((const double *)a)[i]));
                break;
            case DLZ_VALUE_BOOLEAN_ARRAY:
                sb_puts(o, ((const uint8_t *)a)[i] ? "true" : "false");
                break;
            default:
                sb_printf(o, "%04x", ((const uint16_t *)a)[i]);
                break;
            }
        }
        sb_puts(o, "}");
        return;
    }
    case DLZ_VALUE_STRING_ARRAY:
    case DLZ_VALUE_OBJECT_ARRAY:
    case DLZ_VALUE_LIST: {
        int list = dlz_value_type_of(v) == DLZ_VALUE_LIST;
        sb_puts(o, list                                             ? "ArrayList["
                   : dlz_value_type_of(v) == DLZ_VALUE_STRING_ARRAY ? "String[]{"
                                                                    : "Object[]{");
        for (size_t i = 0; i < dlz_value_count(v); i++) {
            if (i > 0) {
                sb_puts(o, ",");
            }
            render(o, dlz_value_item(v, i), sort);
        }
        sb_puts(o, list ? "]" : "}");
        return;
    }
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP:
        render_map(o, v, sort);
        return;
    case DLZ_VALUE_OPAQUE:
        sb_puts(o, "Opaque:");
        sb_puts(o, dlz_value_opaque_class(v));
        return;
    }
    fail_msg("unknown value type %d", (int)dlz_value_type_of(v));
}

static char *render_str(const dlz_value *v, int sort) {
    sb o = {0};
    render(&o, v, sort);
    return o.p;
}

static int eat(const char **s, const char *lit) {
    size_t n = strlen(lit);
    if (strncmp(*s, lit, n) == 0) {
        *s += n;
        return 1;
    }
    return 0;
}

static uint64_t hexnum(const char **s, int digits) {
    uint64_t v = 0;
    for (int i = 0; i < digits; i++) {
        char c = (*s)[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
            fail_msg("bad hex digit in rendering at '%.20s'", *s);
        }
        v = v << 4 | (unsigned)d;
    }
    *s += digits;
    return v;
}

static int64_t decnum(const char **s) {
    char *end;
    long long v = strtoll(*s, &end, 10);
    if (end == *s) {
        fail_msg("expected a number in rendering at '%.20s'", *s);
    }
    *s = end;
    return v;
}

static dlz_value *parse_v(const char **s);

/* Elements of a primitive array up to '}'. */
static dlz_value *parse_prim_array(const char **s, dlz_value_type t) {
    size_t cap = 16, n = 0,
           es = t == DLZ_VALUE_BYTE_ARRAY || t == DLZ_VALUE_BOOLEAN_ARRAY ? 1
                : t == DLZ_VALUE_SHORT_ARRAY || t == DLZ_VALUE_CHAR_ARRAY ? 2
                : t == DLZ_VALUE_INT_ARRAY || t == DLZ_VALUE_FLOAT_ARRAY  ? 4
                                                                          : 8;
    unsigned char *a = malloc(cap * es);
    assert_non_null(a);
    while (**s != '}') {
        if (n > 0 && !eat(s, ",")) {
            fail_msg("expected ',' in rendering at '%.20s'", *s);
        }
        if (n == cap) {
            cap *= 2;
            a = realloc(a, cap * es);
            assert_non_null(a);
        }
        unsigned char *e = a + n * es;
        switch (t) {
        case DLZ_VALUE_BYTE_ARRAY: {
            int8_t x = (int8_t)decnum(s);
            memcpy(e, &x, 1);
            break;
        }
        case DLZ_VALUE_SHORT_ARRAY: {
            int16_t x = (int16_t)decnum(s);
            memcpy(e, &x, 2);
            break;
        }
        case DLZ_VALUE_INT_ARRAY: {
            int32_t x = (int32_t)decnum(s);
            memcpy(e, &x, 4);
            break;
        }
        case DLZ_VALUE_LONG_ARRAY: {
            int64_t x = decnum(s);
            memcpy(e, &x, 8);
            break;
        }
        case DLZ_VALUE_FLOAT_ARRAY: {
            uint32_t x = (uint32_t)hexnum(s, 8);
            memcpy(e, &x, 4);
            break;
        }
        case DLZ_VALUE_DOUBLE_ARRAY: {
            uint64_t x = hexnum(s, 16);
            memcpy(e, &x, 8);
            break;
        }
        case DLZ_VALUE_BOOLEAN_ARRAY:
            e[0] = (unsigned char)(eat(s, "true") ? 1 : (eat(s, "false"), 0));
            break;
        default: {
            uint16_t x = (uint16_t)hexnum(s, 4);
            memcpy(e, &x, 2);
            break;
        }
        }
        n++;
    }
    (*s)++;
    dlz_value *v = must(tu_value_array(t, a, n));
    free(a);
    return v;
}

static dlz_value *parse_items(const char **s, dlz_value *c, const char *close) {
    while (!eat(s, close)) {
        if (dlz_value_count(c) > 0 && !eat(s, ",")) {
            fail_msg("expected ',' in rendering at '%.20s'", *s);
        }
        add(c, parse_v(s));
    }
    return c;
}

static dlz_value *parse_v(const char **s) {
    static const struct {
        const char *pre;
        dlz_value_type t;
    } arrays[] = {{"byte[]{", DLZ_VALUE_BYTE_ARRAY},       {"short[]{", DLZ_VALUE_SHORT_ARRAY},
                  {"int[]{", DLZ_VALUE_INT_ARRAY},         {"long[]{", DLZ_VALUE_LONG_ARRAY},
                  {"float[]{", DLZ_VALUE_FLOAT_ARRAY},     {"double[]{", DLZ_VALUE_DOUBLE_ARRAY},
                  {"boolean[]{", DLZ_VALUE_BOOLEAN_ARRAY}, {"char[]{", DLZ_VALUE_CHAR_ARRAY}};
    if (eat(s, "null")) {
        return must(dlz_value_new_null());
    }
    if (eat(s, "String:\"")) {
        size_t cap = 64, n = 0, len;
        uint16_t *u = malloc(cap * sizeof *u);
        assert_non_null(u);
        while (**s != '"') {
            if (n == cap) {
                cap *= 2;
                u = realloc(u, cap * sizeof *u);
                assert_non_null(u);
            }
            if (eat(s, "\\u")) {
                u[n++] = (uint16_t)hexnum(s, 4);
            } else {
                u[n++] = (uint16_t)(unsigned char)*(*s)++;
            }
        }
        (*s)++;
        char *b = from_units(u, n, &len);
        dlz_value *v = must(tu_value_string(b, len));
        free(b);
        free(u);
        return v;
    }
    if (eat(s, "Integer:")) {
        return must(dlz_value_new_int((int32_t)decnum(s)));
    }
    if (eat(s, "Long:")) {
        return must(dlz_value_new_long(decnum(s)));
    }
    if (eat(s, "Short:")) {
        return must(dlz_value_new_short((int16_t)decnum(s)));
    }
    if (eat(s, "Byte:")) {
        return must(dlz_value_new_byte((int8_t)decnum(s)));
    }
    if (eat(s, "Boolean:")) {
        return must(dlz_value_new_boolean(eat(s, "true") ? 1 : (eat(s, "false"), 0)));
    }
    if (eat(s, "Character:")) {
        return must(dlz_value_new_char((uint16_t)hexnum(s, 4)));
    }
    if (eat(s, "Double:")) {
        uint64_t b = hexnum(s, 16);
        double d;
        memcpy(&d, &b, 8);
        return must(dlz_value_new_double(d));
    }
    if (eat(s, "Float:")) {
        uint32_t b = (uint32_t)hexnum(s, 8);
        float f;
        memcpy(&f, &b, 4);
        return must(dlz_value_new_float(f));
    }
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        if (eat(s, arrays[i].pre)) {
            return parse_prim_array(s, arrays[i].t);
        }
    }
    if (eat(s, "String[]{")) {
        return parse_items(s, must(tu_value_array(DLZ_VALUE_STRING_ARRAY, NULL, 0)), "}");
    }
    if (eat(s, "Object[]{")) {
        return parse_items(s, must(tu_value_array(DLZ_VALUE_OBJECT_ARRAY, NULL, 0)), "}");
    }
    if (eat(s, "ArrayList[")) {
        return parse_items(s, must(dlz_value_new_list()), "]");
    }
    int linked = eat(s, "LinkedHashMap{");
    if (linked || eat(s, "HashMap{")) {
        dlz_value *m = must(dlz_value_new_map(linked));
        while (!eat(s, "}")) {
            if (dlz_value_count(m) > 0 && !eat(s, ",")) {
                fail_msg("expected ',' in rendering at '%.20s'", *s);
            }
            dlz_value *k = parse_v(s);
            if (!eat(s, "=")) {
                fail_msg("expected '=' in rendering at '%.20s'", *s);
            }
            put(m, k, parse_v(s));
        }
        return m;
    }
    fail_msg("cannot parse rendering at '%.40s'", *s);
    return NULL;
}

static dlz_value *parse_rendering(const char *text) {
    const char *s = text;
    dlz_value *v = parse_v(&s);
    if (*s != '\0') {
        fail_msg("trailing text in rendering: '%.40s'", s);
    }
    return v;
}

/* ------------------------------------------------------------------------ */
/* Vectors written from the format description                               */

typedef struct vec {
    const char *name;
    buf bytes;
    dlz_value *value; /* what the bytes hold, built with the C API */
} vec;

#define N_HAND 12
static vec hand[N_HAND];

static void build_hand_vectors(void) {
    static int built;
    if (built) {
        return;
    }
    built = 1;
    vec *v = hand;
    buf *b;

    /* D.3: Integer 42, 81 bytes */
    v->name = "integer_42";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x73);
    b_desc_integer(b);
    tu_b_be(b, 42, 4);
    assert_int_equal(b->n, 81);
    v->value = must(dlz_value_new_int(42));
    v++;

    /* D.3: float[] {1.5, -2} */
    v->name = "float_array";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x75);
    b_desc(b, "[F", UINT64_C(0x0B9C818922E00C42), 0x02, 0, NULL);
    b_u8(b, 0x70);
    tu_b_be(b, 2, 4);
    tu_b_be(b, 0x3FC00000, 4);
    tu_b_be(b, 0xC0000000, 4);
    float fa[2] = {1.5f, -2.0f};
    v->value = must(tu_value_array(DLZ_VALUE_FLOAT_ARRAY, fa, 2));
    v++;

    /* D.3: empty ArrayList, 58 bytes */
    v->name = "list_empty";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x73);
    b_desc_arraylist(b);
    tu_b_be(b, 0, 4);
    tu_b_bytes(b, "\x77\x04\x00\x00\x00\x00\x78", 7);
    assert_int_equal(b->n, 58);
    v->value = must(dlz_value_new_list());
    v++;

    /* D.3: empty HashMap */
    v->name = "map_empty";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x73);
    b_desc_hashmap(b);
    tu_b_bytes(b, "\x3F\x40\x00\x00\x00\x00\x00\x00\x77\x08\x00\x00\x00\x10\x00\x00\x00\x00\x78",
               19);
    v->value = must(dlz_value_new_map(0));
    v++;

    v->name = "null";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x70);
    v->value = must(dlz_value_new_null());
    v++;

    v->name = "string";
    b = &v->bytes;
    b_header(b);
    b_string(b, "hello");
    v->value = str("hello");
    v++;

    /* Two equal Integers outside the valueOf() cache: the second reuses the
       descriptor (handles: list desc 0, list 1, Integer desc 2, Number desc
       3, first Integer 4). */
    v->name = "list_1000_1000";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x73);
    b_desc_arraylist(b);
    tu_b_be(b, 2, 4);
    tu_b_bytes(b, "\x77\x04\x00\x00\x00\x02", 6);
    b_u8(b, 0x73);
    b_desc_integer(b);
    tu_b_be(b, 1000, 4);
    b_u8(b, 0x73);
    b_ref(b, 2);
    tu_b_be(b, 1000, 4);
    b_u8(b, 0x78);
    v->value = must(dlz_value_new_list());
    add(v->value, dlz_value_new_int(1000));
    add(v->value, dlz_value_new_int(1000));
    v++;

    /* Two equal Integers inside the cache: one instance, a back-reference. */
    v->name = "list_7_7";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x73);
    b_desc_arraylist(b);
    tu_b_be(b, 2, 4);
    tu_b_bytes(b, "\x77\x04\x00\x00\x00\x02", 6);
    b_u8(b, 0x73);
    b_desc_integer(b);
    tu_b_be(b, 7, 4);
    b_ref(b, 4);
    b_u8(b, 0x78);
    v->value = must(dlz_value_new_list());
    add(v->value, dlz_value_new_int(7));
    add(v->value, dlz_value_new_int(7));
    v++;

    /* LinkedHashMap {"a": true}: HashMap's part, then accessOrder. */
    v->name = "linked_map";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x73);
    b_desc(b, "java.util.LinkedHashMap", UID_LINKEDHASHMAP, 0x02, 1, F_ACCESS);
    b_desc_hashmap(b);
    tu_b_bytes(b, "\x3F\x40\x00\x00\x00\x00\x00\x0C\x77\x08\x00\x00\x00\x10\x00\x00\x00\x01", 18);
    b_string(b, "a");
    b_u8(b, 0x73);
    b_desc(b, "java.lang.Boolean", UID_BOOLEAN, 0x02, 1, F_VALUE_Z);
    b_u8(b, 0x70);
    b_u8(b, 0x01);
    b_u8(b, 0x78);
    b_u8(b, 0x00);
    v->value = must(dlz_value_new_map(1));
    put(v->value, str("a"), dlz_value_new_boolean(1));
    v++;

    /* String[] {"a", null, "a"}: the literal is one instance. */
    v->name = "string_array";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x75);
    b_desc(b, "[Ljava.lang.String;", UINT64_C(0xADD256E7E91D7B47), 0x02, 0, NULL);
    b_u8(b, 0x70);
    tu_b_be(b, 3, 4);
    b_string(b, "a");
    b_u8(b, 0x70);
    b_ref(b, 2);
    const char *sa[3] = {"a", NULL, "a"};
    v->value = must(tu_value_array(DLZ_VALUE_STRING_ARRAY, sa, 3));
    v++;

    /* A string of 65536 bytes needs TC_LONGSTRING. */
    v->name = "long_string";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x7C);
    tu_b_be(b, 65536, 8);
    char *xs = malloc(65536);
    assert_non_null(xs);
    memset(xs, 'x', 65536);
    tu_b_bytes(b, xs, 65536);
    v->value = must(tu_value_string(xs, 65536));
    free(xs);
    v++;

    /* Unicode: U+0000 as C0 80, U+1F600 as a surrogate pair, a lone
       surrogate kept as its 3 bytes. */
    v->name = "string_unicode";
    b = &v->bytes;
    b_header(b);
    b_u8(b, 0x74);
    tu_b_be(b, 14, 2);
    tu_b_bytes(b, "\xC3\xA9\xC0\x80\xED\xA0\xBD\xED\xB8\x80\xED\xA0\x80", 13);
    b_u8(b, 'z');
    v->value = must(tu_value_string("\xC3\xA9\0\xF0\x9F\x98\x80\xED\xA0\x80z", 11));
    v++;
    assert_int_equal(v - hand, N_HAND);
}

static void free_hand_vectors(void) {
    for (int i = 0; i < N_HAND; i++) {
        tu_b_free(&hand[i].bytes);
        dlz_value_free(hand[i].value);
    }
}

/* Decoding gives the value; encoding the value and re-encoding the decoded
   tree give the bytes. */
static void test_format_vectors(void **state) {
    (void)state;
    build_hand_vectors();
    for (int i = 0; i < N_HAND; i++) {
        vec *v = &hand[i];
        dlz_value *d = decode_ok(v->bytes.p, v->bytes.n);
        if (!dlz_value_equal(d, v->value)) {
            char *a = render_str(d, 0), *b = render_str(v->value, 0);
            fail_msg("%s: decoded %.200s, expected %.200s", v->name, a, b);
        }
        assert_encodes_to(v->value, v->bytes.p, v->bytes.n, v->name);
        assert_encodes_to(d, v->bytes.p, v->bytes.n, v->name);
        dlz_value_free(d);
    }
}

/* Accessors on decoded vectors. */
static void test_accessors(void **state) {
    (void)state;
    build_hand_vectors();
    dlz_value *v = decode_ok(hand[0].bytes.p, hand[0].bytes.n);
    assert_int_equal(dlz_value_type_of(v), DLZ_VALUE_INT);
    assert_int_equal(dlz_value_integer(v), 42);
    assert_true(dlz_value_real(v) == 0.0);
    assert_null(dlz_value_string(v, NULL));
    assert_int_equal(dlz_value_count(v), 0);
    assert_null(dlz_value_item(v, 0));
    assert_null(dlz_value_opaque_class(v));
    dlz_value_free(v);

    v = decode_ok(hand[1].bytes.p, hand[1].bytes.n);
    size_t n;
    const float *f = dlz_value_array_data(v, &n);
    assert_int_equal(n, 2);
    assert_true(f[0] == 1.5f && f[1] == -2.0f);
    assert_int_equal(dlz_value_count(v), 2);
    dlz_value_free(v);

    v = decode_ok(hand[8].bytes.p, hand[8].bytes.n); /* LinkedHashMap {"a": true} */
    assert_int_equal(dlz_value_type_of(v), DLZ_VALUE_LINKED_MAP);
    assert_int_equal(dlz_value_count(v), 1);
    size_t len;
    assert_string_equal(dlz_value_string(dlz_value_map_key(v, 0), &len), "a");
    assert_int_equal(len, 1);
    assert_int_equal(dlz_value_type_of(dlz_value_map_value(v, 0)), DLZ_VALUE_BOOLEAN);
    assert_int_equal(dlz_value_integer(dlz_value_map_value(v, 0)), 1);
    dlz_value *k = str("a");
    assert_ptr_equal(dlz_value_map_get(v, k), dlz_value_map_value(v, 0));
    dlz_value_free(k);
    assert_null(dlz_value_map_key(v, 1));
    dlz_value_free(v);

    v = decode_ok(hand[9].bytes.p, hand[9].bytes.n); /* String[] {"a", null, "a"} */
    assert_int_equal(dlz_value_type_of(v), DLZ_VALUE_STRING_ARRAY);
    assert_int_equal(dlz_value_count(v), 3);
    assert_string_equal(dlz_value_string(dlz_value_item(v, 2), NULL), "a");
    assert_int_equal(dlz_value_type_of(dlz_value_item(v, 1)), DLZ_VALUE_NULL);
    assert_ptr_not_equal(dlz_value_item(v, 0), dlz_value_item(v, 2)); /* a copy */
    dlz_value_free(v);

    v = decode_ok(hand[11].bytes.p, hand[11].bytes.n);
    const char *s = dlz_value_string(v, &len);
    assert_int_equal(len, 11);
    assert_memory_equal(s, "\xC3\xA9\0\xF0\x9F\x98\x80\xED\xA0\x80z", 11);
    assert_int_equal(s[11], 0);
    dlz_value_free(v);
}

/* ------------------------------------------------------------------------ */
/* The value API                                                             */

static void test_api(void **state) {
    (void)state;
    static const dlz_value_type all[] = {
        DLZ_VALUE_NULL,         DLZ_VALUE_STRING,        DLZ_VALUE_INT,
        DLZ_VALUE_LONG,         DLZ_VALUE_DOUBLE,        DLZ_VALUE_FLOAT,
        DLZ_VALUE_SHORT,        DLZ_VALUE_BYTE,          DLZ_VALUE_BOOLEAN,
        DLZ_VALUE_CHAR,         DLZ_VALUE_BYTE_ARRAY,    DLZ_VALUE_SHORT_ARRAY,
        DLZ_VALUE_INT_ARRAY,    DLZ_VALUE_LONG_ARRAY,    DLZ_VALUE_FLOAT_ARRAY,
        DLZ_VALUE_DOUBLE_ARRAY, DLZ_VALUE_BOOLEAN_ARRAY, DLZ_VALUE_CHAR_ARRAY,
        DLZ_VALUE_STRING_ARRAY, DLZ_VALUE_OBJECT_ARRAY,  DLZ_VALUE_LIST,
        DLZ_VALUE_MAP,          DLZ_VALUE_LINKED_MAP,    DLZ_VALUE_OPAQUE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        assert_non_null(dlz_value_type_name(all[i]));
    }
    assert_string_equal(dlz_value_type_name(DLZ_VALUE_INT), "java.lang.Integer");
    assert_string_equal(dlz_value_type_name(DLZ_VALUE_CHAR_ARRAY), "[C");
    assert_null(dlz_value_type_name((dlz_value_type)99));

    /* strings: UTF-8 checked, surrogates accepted */
    assert_null(tu_value_string("\xC0\x80", 2));         /* overlong */
    assert_null(tu_value_string("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_null(tu_value_string("\xE2\x82", 2));         /* truncated */
    assert_null(tu_value_string("\x80", 1));
    assert_null(tu_value_string(NULL, 1));
    dlz_value *v = must(tu_value_string(NULL, 0));
    size_t len = 99;
    assert_string_equal(dlz_value_string(v, &len), "");
    assert_int_equal(len, 0);
    dlz_value_free(v);
    dlz_value_free(must(tu_value_string("\xED\xB0\x80", 3)));

    /* scalars */
    v = must(dlz_value_new_boolean(7));
    assert_int_equal(dlz_value_integer(v), 1);
    dlz_value_free(v);
    v = must(dlz_value_new_char(0xD800));
    assert_int_equal(dlz_value_integer(v), 0xD800);
    dlz_value_free(v);
    v = must(dlz_value_new_float(0.1f));
    assert_true(dlz_value_real(v) == (double)0.1f);
    dlz_value_free(v);
    v = must(dlz_value_new_byte(-3));
    assert_int_equal(dlz_value_integer(v), -3);
    dlz_value_free(v);

    /* arrays */
    assert_null(tu_value_array(DLZ_VALUE_LIST, NULL, 0));
    assert_null(tu_value_array(DLZ_VALUE_INT_ARRAY, NULL, 3));
    assert_null(tu_value_array(DLZ_VALUE_OBJECT_ARRAY, "x", 1));
    const char *bad[] = {"ok", "\xFF"};
    assert_null(tu_value_array(DLZ_VALUE_STRING_ARRAY, bad, 2));
    uint8_t bools[3] = {0, 2, 255};
    v = must(tu_value_array(DLZ_VALUE_BOOLEAN_ARRAY, bools, 3));
    size_t n;
    const uint8_t *bb = dlz_value_array_data(v, &n);
    assert_int_equal(n, 3);
    assert_true(bb[0] == 0 && bb[1] == 1 && bb[2] == 1);
    dlz_value_free(v);
    v = must(tu_value_array(DLZ_VALUE_LONG_ARRAY, NULL, 0));
    assert_non_null(dlz_value_array_data(v, &n));
    assert_int_equal(n, 0);
    dlz_value_free(v);

    /* containers: ownership and kinds */
    dlz_value *list = must(dlz_value_new_list());
    dlz_value *sarr = must(tu_value_array(DLZ_VALUE_STRING_ARRAY, NULL, 0));
    dlz_value *i1 = must(dlz_value_new_int(1));
    assert_int_equal(dlz_value_append(sarr, i1), DLZ_EMISUSE);
    assert_int_equal(dlz_value_append(list, list), DLZ_EMISUSE);
    assert_int_equal(dlz_value_append(list, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_value_append(i1, list), DLZ_EMISUSE);
    assert_int_equal(dlz_value_append(list, i1), DLZ_OK);
    assert_int_equal(dlz_value_append(sarr, i1), DLZ_EMISUSE); /* already held */
    add(sarr, dlz_value_new_null());
    add(sarr, str("s"));
    add(list, sarr);
    assert_int_equal(dlz_value_count(list), 2);
    assert_ptr_equal(dlz_value_item(list, 0), i1);
    assert_null(dlz_value_item(list, 2));

    /* maps: Java's put(): equal keys replace the value */
    dlz_value *m = must(dlz_value_new_map(0));
    put(m, str("k"), dlz_value_new_int(1));
    put(m, dlz_value_new_int(1), str("int key"));
    put(m, dlz_value_new_long(1), str("long key"));
    put(m, dlz_value_new_double(NAN), str("nan"));
    put(m, dlz_value_new_double(-NAN), str("nan again"));
    put(m, dlz_value_new_double(0.0), str("zero"));
    put(m, dlz_value_new_double(-0.0), str("negative zero"));
    put(m, str("k"), dlz_value_new_int(2));
    dlz_value *lk = must(dlz_value_new_list());
    add(lk, dlz_value_new_int(5));
    put(m, lk, str("list"));
    dlz_value *lk2 = must(dlz_value_new_list());
    add(lk2, dlz_value_new_int(5));
    put(m, lk2, str("list again"));
    int arr[1] = {5};
    put(m, tu_value_array(DLZ_VALUE_INT_ARRAY, arr, 1), str("array"));
    put(m, tu_value_array(DLZ_VALUE_INT_ARRAY, arr, 1), str("another array"));
    /* k, 1, 1L, NaN, 0.0, -0.0, [5], two arrays (equal only to themselves) */
    assert_int_equal(dlz_value_count(m), 9);
    assert_int_equal(dlz_value_integer(dlz_value_map_value(m, 0)), 2);
    assert_string_equal(dlz_value_string(dlz_value_map_value(m, 3), NULL), "nan again");
    assert_string_equal(dlz_value_string(dlz_value_map_value(m, 5), NULL), "negative zero");
    assert_string_equal(dlz_value_string(dlz_value_map_value(m, 6), NULL), "list again");
    dlz_value *probe = must(dlz_value_new_long(1));
    assert_string_equal(dlz_value_string(dlz_value_map_get(m, probe), NULL), "long key");
    dlz_value_free(probe);
    probe = must(dlz_value_new_short(1));
    assert_null(dlz_value_map_get(m, probe));
    dlz_value_free(probe);
    dlz_value *kk = str("x");
    assert_int_equal(dlz_value_map_put(m, kk, kk), DLZ_EMISUSE);
    assert_int_equal(dlz_value_map_put(m, kk, m), DLZ_EMISUSE);
    assert_int_equal(dlz_value_map_put(list, kk, i1), DLZ_EMISUSE);
    dlz_value_free(kk);
    add(list, m);

    /* copy and equality */
    dlz_value *c = must(dlz_value_copy(list));
    assert_true(dlz_value_equal(c, list));
    assert_true(dlz_value_equal(NULL, NULL));
    assert_false(dlz_value_equal(c, NULL));
    add(c, dlz_value_new_null());
    assert_false(dlz_value_equal(c, list));
    dlz_value_free(c);
    assert_null(dlz_value_copy(NULL));
    dlz_value *one = must(dlz_value_new_int(1)), *onel = must(dlz_value_new_long(1));
    assert_false(dlz_value_equal(one, onel));
    dlz_value_free(one);
    dlz_value_free(onel);

    /* NULL everywhere */
    assert_int_equal(dlz_value_type_of(NULL), DLZ_VALUE_NULL);
    assert_null(dlz_value_string(NULL, &len));
    assert_int_equal(dlz_value_integer(NULL), 0);
    assert_null(dlz_value_array_data(NULL, &n));
    assert_int_equal(dlz_value_count(NULL), 0);
    assert_null(dlz_value_item(NULL, 0));
    assert_null(dlz_value_map_key(NULL, 0));
    assert_null(dlz_value_map_value(NULL, 0));
    assert_null(dlz_value_map_get(NULL, list));
    assert_null(dlz_value_opaque_class(NULL));
    assert_null(dlz_value_opaque_bytes(NULL, &len));
    dlz_value_free(NULL);
    void *p = (void *)1;
    assert_int_equal(dlz_value_encode(NULL, &p, &len, NULL, 0), DLZ_EMISUSE);
    assert_null(p);
    assert_int_equal(dlz_value_encode(list, NULL, &len, NULL, 0), DLZ_EMISUSE);
    dlz_value *out = (dlz_value *)1;
    char err[64];
    assert_int_equal(dlz_value_decode(NULL, 3, 0, &out, err, sizeof err), DLZ_EMISUSE);
    assert_null(out);
    assert_int_equal(dlz_value_decode("", 0, 0, NULL, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_value_decode("", 0, DLZ_VALUE_MAX_DEPTH + 1, &out, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_value_decode(NULL, 0, 0, &out, err, sizeof err), DLZ_EFORMAT);
    assert_int_equal(dlz_value_decode(NULL, 0, 0, &out, err, 1), DLZ_EFORMAT);
    assert_string_equal(err, "");
    dlz_value_free(list);
}

/* The tree depth limit holds for trees built in C too. */
static void test_api_depth(void **state) {
    (void)state;
    dlz_value *v = must(dlz_value_new_list());
    int depth = 1;
    for (;;) {
        dlz_value *outer = must(dlz_value_new_list());
        int rc = dlz_value_append(outer, v);
        if (rc != DLZ_OK) {
            assert_int_equal(rc, DLZ_ELIMIT);
            dlz_value_free(outer);
            break;
        }
        v = outer;
        depth++;
    }
    assert_int_equal(depth, DLZ_VALUE_MAX_DEPTH);
    dlz_value *m = must(dlz_value_new_map(1));
    dlz_value *k = must(dlz_value_new_null());
    assert_int_equal(dlz_value_map_put(m, k, v), DLZ_ELIMIT);
    dlz_value_free(k);
    dlz_value_free(m);
    /* such a tree encodes and decodes with a large enough limit */
    size_t n;
    unsigned char *p = encode_ok(v, &n);
    dlz_value *d = NULL;
    assert_int_equal(dlz_value_decode(p, n, 0, &d, NULL, 0), DLZ_ELIMIT);
    assert_int_equal(dlz_value_decode(p, n, DLZ_VALUE_MAX_DEPTH, &d, NULL, 0), DLZ_OK);
    assert_true(dlz_value_equal(d, v));
    dlz_value_free(d);
    dlz_free(p);
    dlz_value_free(v);
}

/* ------------------------------------------------------------------------ */
/* Encoding rules                                                            */

static size_t count_refs(const unsigned char *p, size_t n, uint32_t handle) {
    size_t k = 0;
    for (size_t i = 0; i + 5 <= n; i++) {
        if (p[i] == 0x71 && dlzi_get_be32(p + i + 1) == 0x7E0000u + handle) {
            k++;
        }
    }
    return k;
}

static void test_sharing(void **state) {
    (void)state;
    /* strings: one instance per content */
    dlz_value *l = must(dlz_value_new_list());
    add(l, str("a"));
    add(l, str("b"));
    add(l, str("a"));
    const char *sa[2] = {"b", "a"};
    add(l, tu_value_array(DLZ_VALUE_STRING_ARRAY, sa, 2));
    size_t n;
    unsigned char *p = encode_ok(l, &n);
    /* list desc 0, list 1, "a" 2, "b" 3 */
    assert_int_equal(count_refs(p, n, 2), 2);
    assert_int_equal(count_refs(p, n, 3), 1);
    dlz_value *d = decode_ok(p, n);
    assert_true(dlz_value_equal(d, l));
    dlz_value_free(d);
    dlz_free(p);
    dlz_value_free(l);

    /* boxed values: the valueOf() caches */
    struct {
        dlz_value_type t;
        int64_t v;
        int shared;
    } box[] = {
        {DLZ_VALUE_INT, 127, 1},    {DLZ_VALUE_INT, -128, 1},  {DLZ_VALUE_INT, 128, 0},
        {DLZ_VALUE_INT, -129, 0},   {DLZ_VALUE_LONG, 5, 1},    {DLZ_VALUE_LONG, 1000, 0},
        {DLZ_VALUE_SHORT, -128, 1}, {DLZ_VALUE_SHORT, 300, 0}, {DLZ_VALUE_BYTE, -100, 1},
        {DLZ_VALUE_BOOLEAN, 0, 1},  {DLZ_VALUE_CHAR, 127, 1},  {DLZ_VALUE_CHAR, 128, 0},
        {DLZ_VALUE_DOUBLE, 1, 0},   {DLZ_VALUE_FLOAT, 1, 0},
    };
    for (size_t i = 0; i < sizeof box / sizeof box[0]; i++) {
        l = must(dlz_value_new_list());
        for (int k = 0; k < 2; k++) {
            dlz_value *x;
            switch (box[i].t) {
            case DLZ_VALUE_INT:
                x = dlz_value_new_int((int32_t)box[i].v);
                break;
            case DLZ_VALUE_LONG:
                x = dlz_value_new_long(box[i].v);
                break;
            case DLZ_VALUE_SHORT:
                x = dlz_value_new_short((int16_t)box[i].v);
                break;
            case DLZ_VALUE_BYTE:
                x = dlz_value_new_byte((int8_t)box[i].v);
                break;
            case DLZ_VALUE_BOOLEAN:
                x = dlz_value_new_boolean((int)box[i].v);
                break;
            case DLZ_VALUE_CHAR:
                x = dlz_value_new_char((uint16_t)box[i].v);
                break;
            case DLZ_VALUE_DOUBLE:
                x = dlz_value_new_double((double)box[i].v);
                break;
            default:
                x = dlz_value_new_float((float)box[i].v);
                break;
            }
            add(l, x);
        }
        p = encode_ok(l, &n);
        /* list desc 0, list 1, value desc 2 (and Number 3), first value 3 or 4 */
        uint32_t first = box[i].t == DLZ_VALUE_BOOLEAN || box[i].t == DLZ_VALUE_CHAR ? 3 : 4;
        if (count_refs(p, n, first) != (size_t)box[i].shared) {
            fail_msg("%s %lld: expected %s", dlz_value_type_name(box[i].t), (long long)box[i].v,
                     box[i].shared ? "a back-reference" : "two instances");
        }
        d = decode_ok(p, n);
        assert_true(dlz_value_equal(d, l));
        dlz_value_free(d);
        dlz_free(p);
        dlz_value_free(l);
    }

    /* NaN is written in Java's canonical form */
    double nan_payload;
    uint64_t bits = UINT64_C(0xfff0000000000001);
    memcpy(&nan_payload, &bits, 8);
    dlz_value *a = must(dlz_value_new_double(nan_payload)), *b = must(dlz_value_new_double(NAN));
    unsigned char *pa = encode_ok(a, &n);
    size_t nb;
    unsigned char *pb = encode_ok(b, &nb);
    assert_bytes(pa, n, pb, nb, "NaN");
    assert_int_equal(dlzi_get_be64(pa + n - 8), UINT64_C(0x7ff8000000000000));
    dlz_free(pa);
    dlz_free(pb);
    dlz_value_free(a);
    dlz_value_free(b);
}

/* HashMap order, capacity and threshold as java.util.HashMap reaches them. */
static void test_hashmap_layout(void **state) {
    (void)state;
    /* "b" (hash 98, bucket 2) put before "a" (97, bucket 1): Java iterates a, b */
    dlz_value *m = must(dlz_value_new_map(0));
    put(m, str("b"), dlz_value_new_int(1));
    put(m, str("a"), dlz_value_new_int(2));
    size_t n;
    unsigned char *p = encode_ok(m, &n);
    dlz_value *d = decode_ok(p, n);
    assert_string_equal(dlz_value_string(dlz_value_map_key(d, 0), NULL), "a");
    assert_string_equal(dlz_value_string(dlz_value_map_key(d, 1), NULL), "b");
    dlz_value_free(d);
    dlz_free(p);
    /* a LinkedHashMap keeps the order */
    dlz_value *lm = must(dlz_value_new_map(1));
    put(lm, str("b"), dlz_value_new_int(1));
    put(lm, str("a"), dlz_value_new_int(2));
    p = encode_ok(lm, &n);
    d = decode_ok(p, n);
    assert_string_equal(dlz_value_string(dlz_value_map_key(d, 0), NULL), "b");
    dlz_value_free(d);
    dlz_free(p);
    dlz_value_free(lm);
    dlz_value_free(m);

    /* thresholds and bucket counts (the 18 bytes after the descriptor) */
    static const struct {
        int keys, step;
        uint32_t threshold, buckets;
    } cases[] = {
        {1, 1, 12, 16},   {12, 1, 12, 16},
        {13, 1, 24, 32},  {97, 1, 192, 256}, /* 96 < 97 entries: 128 buckets are not enough */
        {9, 16, 24, 32},  /* nine keys in one bucket of 16: resized instead of a tree */
        {11, 64, 48, 64}, /* ... twice, then a tree at 64 buckets */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m = must(dlz_value_new_map(0));
        for (int k = 0; k < cases[i].keys; k++) {
            put(m, dlz_value_new_int(k * cases[i].step), dlz_value_new_null());
        }
        p = encode_ok(m, &n);
        /* header 4, 73, HashMap desc 72+2+17+8+1+2+(1+2+10)+(1+2+9)+1, 70 */
        size_t at = 4 + 1 + (1 + 2 + 17 + 8 + 1 + 2 + 13 + 12 + 1) + 1;
        assert_int_equal(dlzi_get_be32(p + at), 0x3F400000u);
        if (dlzi_get_be32(p + at + 4) != cases[i].threshold ||
            dlzi_get_be32(p + at + 10) != cases[i].buckets) {
            fail_msg("%d keys (step %d): threshold %u buckets %u, expected %u and %u",
                     cases[i].keys, cases[i].step, dlzi_get_be32(p + at + 4),
                     dlzi_get_be32(p + at + 10), cases[i].threshold, cases[i].buckets);
        }
        d = decode_ok(p, n);
        assert_int_equal(dlz_value_count(d), cases[i].keys);
        dlz_value_free(d);
        dlz_free(p);
        dlz_value_free(m);
    }
}

static void test_opaque_encode(void **state) {
    (void)state;
    /* a Date: decodes to an opaque node that encodes to the same bytes */
    buf b = {0};
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc(&b, "java.util.Date", UINT64_C(0x686A81014B597419), 0x03, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_bytes(&b, "\x77\x08\x00\x00\x00\x00\x00\x00\x00\x00\x78", 11);
    dlz_value *v = decode_ok(b.p, b.n);
    assert_int_equal(dlz_value_type_of(v), DLZ_VALUE_OPAQUE);
    assert_string_equal(dlz_value_opaque_class(v), "java.util.Date");
    size_t n;
    const void *bytes = dlz_value_opaque_bytes(v, &n);
    assert_bytes(bytes, n, b.p, b.n, "opaque bytes");
    assert_encodes_to(v, b.p, b.n, "opaque");
    dlz_value *c = must(dlz_value_copy(v));
    assert_true(dlz_value_equal(c, v));
    dlz_value *l = must(dlz_value_new_list());
    add(l, c);
    void *p = NULL;
    char err[200];
    assert_int_equal(dlz_value_encode(l, &p, &n, err, sizeof err), DLZ_EUNSUPPORTED);
    assert_null(p);
    assert_non_null(strstr(err, "java.util.Date"));
    dlz_value_free(l);
    dlz_value_free(v);
    tu_b_free(&b);
}

/* ------------------------------------------------------------------------ */
/* Hostile input                                                             */

static void check_prefixes(const unsigned char *p, size_t n, const char *name) {
    char err[256];
    size_t step = n > 8192 ? 97 : 1;
    for (size_t k = 0; k < n; k += (k < 64 || n - k < 64) ? 1 : step) {
        int rc = decode_rc(p, k, 0, err, sizeof err);
        if (rc != DLZ_EFORMAT) {
            fail_msg("%s: prefix of %zu of %zu bytes: %d (%s) %s", name, k, n, rc, dlz_strerror(rc),
                     err);
        }
        if (k > 0 && strncmp(err, "byte ", 5) != 0) {
            fail_msg("%s: message without offset: %s", name, err);
        }
    }
}

static void test_prefixes(void **state) {
    (void)state;
    build_hand_vectors();
    for (int i = 0; i < N_HAND; i++) {
        check_prefixes(hand[i].bytes.p, hand[i].bytes.n, hand[i].name);
    }
}

/* Decoding must not crash; what decodes re-encodes to a stream that decodes
   to the same value. */
static void check_mutant(const unsigned char *p, size_t n) {
    dlz_value *v = NULL;
    int rc = dlz_value_decode(p, n, 0, &v, NULL, 0);
    if (rc != DLZ_OK) {
        assert_null(v);
        assert_true(rc == DLZ_EFORMAT || rc == DLZ_EUNSUPPORTED || rc == DLZ_ELIMIT);
        return;
    }
    size_t en;
    unsigned char *e = encode_ok(v, &en);
    dlz_value *w = decode_ok(e, en);
    char *a = render_str(v, 1), *b = render_str(w, 1);
    if (strcmp(a, b) != 0) {
        fail_msg("round trip of a mutant changed the value: %.200s / %.200s", a, b);
    }
    char *json;
    assert_int_equal(dlz_value_to_json(v, DLZ_JSON_PRETTY, &json, NULL), DLZ_OK);
    dlz_free(json);
    free(a);
    free(b);
    dlz_free(e);
    dlz_value_free(v);
    dlz_value_free(w);
}

static void flip_all(const unsigned char *src, size_t n) {
    static const unsigned char masks[] = {0x01, 0x02, 0x10, 0x80, 0xFF};
    static const unsigned char sets[] = {0x00, 0x70, 0x71, 0x73, 0x74, 0x75, 0x77, 0x78, 0x7E};
    unsigned char *p = malloc(n);
    assert_non_null(p);
    memcpy(p, src, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char o = p[i];
        for (size_t k = 0; k < sizeof masks; k++) {
            p[i] = o ^ masks[k];
            check_mutant(p, n);
        }
        for (size_t k = 0; k < sizeof sets; k++) {
            p[i] = sets[k];
            check_mutant(p, n);
        }
        p[i] = o;
    }
    free(p);
}

static void test_flips(void **state) {
    (void)state;
    build_hand_vectors();
    for (int i = 0; i < N_HAND; i++) {
        if (hand[i].bytes.n < 4096) {
            flip_all(hand[i].bytes.p, hand[i].bytes.n);
        }
    }
}

static void expect(const buf *b, int code, const char *needle) {
    char err[300];
    int rc = decode_rc(b->p, b->n, 0, err, sizeof err);
    if (rc != code || (needle != NULL && strstr(err, needle) == NULL)) {
        fail_msg("expected %d (%s) mentioning '%s', got %d: %s", code, dlz_strerror(code),
                 needle ? needle : "", rc, err);
    }
}

static void test_crafted(void **state) {
    (void)state;
    buf b = {0};

    /* huge counts against few bytes */
    b_header(&b);
    b_u8(&b, 0x75);
    b_desc(&b, "[I", UINT64_C(0x4DBA602676EAB2A5), 0x02, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_be(&b, 0x7FFFFFFF, 4);
    tu_b_be(&b, 1, 4);
    expect(&b, DLZ_EFORMAT, "2147483647 elements");
    b.n -= 8;
    tu_b_be(&b, 0xFFFFFFFF, 4);
    expect(&b, DLZ_EFORMAT, "negative array length");
    tu_b_free(&b);

    b_header(&b);
    b_u8(&b, 0x7C);
    tu_b_be(&b, UINT64_C(1) << 62, 8);
    tu_b_bytes(&b, "abc", 3);
    expect(&b, DLZ_EFORMAT, "truncated");
    b.n -= 11;
    tu_b_be(&b, UINT64_C(0x8000000000000001), 8);
    expect(&b, DLZ_EFORMAT, "negative string length");
    tu_b_free(&b);

    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 0x7FFFFFFF, 4);
    tu_b_bytes(&b, "\x77\x04\x7F\xFF\xFF\xFF\x70\x78", 8);
    expect(&b, DLZ_EFORMAT, "ArrayList size");
    tu_b_free(&b);

    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_hashmap(&b);
    tu_b_bytes(&b, "\x3F\x40\x00\x00\x00\x00\x00\x00\x77\x08\x00\x00\x00\x10\x40\x00\x00\x00\x78",
               19);
    expect(&b, DLZ_EFORMAT, "HashMap size");
    tu_b_free(&b);

    b_header(&b); /* load factor 0 */
    b_u8(&b, 0x73);
    b_desc_hashmap(&b);
    tu_b_bytes(&b, "\x00\x00\x00\x00\x00\x00\x00\x00\x77\x08\x00\x00\x00\x10\x00\x00\x00\x00\x78",
               19);
    expect(&b, DLZ_EFORMAT, "load factor");
    tu_b_free(&b);

    b_header(&b); /* 65535 fields announced */
    b_u8(&b, 0x73);
    b_u8(&b, 0x72);
    tu_b_utf(&b, "x.Y");
    tu_b_be(&b, 1, 8);
    b_u8(&b, 0x02);
    tu_b_be(&b, 0xFFFF, 2);
    tu_b_bytes(&b, "I\x00\x01v", 4);
    expect(&b, DLZ_EFORMAT, "65535 fields");
    tu_b_free(&b);

    /* references */
    b_header(&b);
    b_ref(&b, 0);
    expect(&b, DLZ_EFORMAT, "reference to handle 0x007e0000");
    tu_b_free(&b);
    b_header(&b);
    b_u8(&b, 0x71);
    tu_b_be(&b, 0x10, 4);
    expect(&b, DLZ_EFORMAT, "reference to handle");
    tu_b_free(&b);

    /* a list that holds itself: a cycle */
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 1, 4);
    tu_b_bytes(&b, "\x77\x04\x00\x00\x00\x01", 6);
    b_ref(&b, 1);
    b_u8(&b, 0x78);
    expect(&b, DLZ_EUNSUPPORTED, "cyclic");
    tu_b_free(&b);

    /* a reference to a class descriptor where an object belongs */
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 1, 4);
    tu_b_bytes(&b, "\x77\x04\x00\x00\x00\x01", 6);
    b_ref(&b, 0);
    b_u8(&b, 0x78);
    {
        dlz_value *v = decode_ok(b.p, b.n);
        assert_string_equal(dlz_value_opaque_class(v), "java.io.ObjectStreamClass");
        dlz_value_free(v);
    }
    tu_b_free(&b);

    /* descriptors of supported classes must be exact */
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc(&b, "java.lang.Integer", UID_INTEGER + 1, 0x02, 1, F_VALUE_I);
    b_desc(&b, "java.lang.Number", UID_NUMBER, 0x02, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_be(&b, 1, 4);
    expect(&b, DLZ_EFORMAT, "serialVersionUID");
    tu_b_free(&b);
    static const char *const f_other[] = {"Ivalu"};
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc(&b, "java.lang.Integer", UID_INTEGER, 0x02, 1, f_other);
    b_desc(&b, "java.lang.Number", UID_NUMBER, 0x02, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_be(&b, 1, 4);
    expect(&b, DLZ_EFORMAT, "expected field I value");
    tu_b_free(&b);
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc(&b, "java.lang.Integer", UID_INTEGER, 0x02, 1, F_VALUE_I);
    b_u8(&b, 0x70);
    tu_b_be(&b, 1, 4);
    expect(&b, DLZ_EFORMAT, "superclass java.lang.Number");
    tu_b_free(&b);
    b_header(&b); /* an array class as an object */
    b_u8(&b, 0x73);
    b_desc(&b, "[I", UINT64_C(0x4DBA602676EAB2A5), 0x02, 0, NULL);
    b_u8(&b, 0x70);
    expect(&b, DLZ_EFORMAT, "cannot be instantiated");
    tu_b_free(&b);
    b_header(&b); /* a class that is not an array as an array */
    b_u8(&b, 0x75);
    b_desc_arraylist(&b);
    tu_b_be(&b, 0, 4);
    expect(&b, DLZ_EFORMAT, "not an array class");
    tu_b_free(&b);
    b_header(&b); /* String[] holding an Integer */
    b_u8(&b, 0x75);
    b_desc(&b, "[Ljava.lang.String;", UINT64_C(0xADD256E7E91D7B47), 0x02, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_be(&b, 1, 4);
    b_u8(&b, 0x73);
    b_desc_integer(&b);
    tu_b_be(&b, 1, 4);
    expect(&b, DLZ_EFORMAT, "String[] element");
    tu_b_free(&b);

    /* stream framing */
    b_header(&b);
    tu_b_bytes(&b, "\x70\x70", 2);
    expect(&b, DLZ_EFORMAT, "1 bytes after the object");
    tu_b_free(&b);
    tu_b_bytes(&b, "\xAC\xED\x00\x04\x70", 5);
    expect(&b, DLZ_EFORMAT, "AC ED 00 05");
    tu_b_free(&b);
    b_header(&b);
    tu_b_bytes(&b, "\x79\x79\x70", 3);
    expect(&b, DLZ_OK, NULL);
    tu_b_free(&b);
    b_header(&b);
    tu_b_bytes(&b, "\x70\x79", 2);
    expect(&b, DLZ_EFORMAT, "after the object");
    tu_b_free(&b);
    b_header(&b);
    tu_b_bytes(&b, "\x77\x01\x00", 3);
    expect(&b, DLZ_EFORMAT, "block data");
    tu_b_free(&b);
    b_header(&b);
    tu_b_bytes(&b, "\x7B\x70", 2);
    expect(&b, DLZ_EFORMAT, "exception");
    tu_b_free(&b);
    b_header(&b);
    b_u8(&b, 0x6F);
    expect(&b, DLZ_EFORMAT, "found 0x6f");
    tu_b_free(&b);
    b_header(&b); /* reset inside a list */
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 1, 4);
    tu_b_bytes(&b, "\x77\x04\x00\x00\x00\x01\x79\x70\x78", 9);
    expect(&b, DLZ_EFORMAT, "reset");
    tu_b_free(&b);

    /* modified UTF-8 */
    b_header(&b);
    tu_b_bytes(&b, "\x74\x00\x02\xC1\x81", 5); /* overlong 'A', accepted as Java does */
    {
        dlz_value *v = decode_ok(b.p, b.n);
        assert_string_equal(dlz_value_string(v, NULL), "A");
        dlz_value_free(v);
    }
    tu_b_free(&b);
    b_header(&b);
    tu_b_bytes(&b, "\x74\x00\x01\x80", 4);
    expect(&b, DLZ_EFORMAT, "byte 7: malformed modified UTF-8");
    tu_b_free(&b);
    b_header(&b);
    tu_b_bytes(&b, "\x74\x00\x04\xF0\x9F\x98\x80", 7);
    expect(&b, DLZ_EFORMAT, "modified UTF-8");
    tu_b_free(&b);

    /* block data may be split anywhere; leftovers before objects are not
       allowed, extra annotation contents after the elements are skipped */
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 1, 4);
    tu_b_bytes(&b, "\x77\x02\x00\x00\x7A\x00\x00\x00\x02\x00\x01\x70", 12);
    tu_b_bytes(&b, "\x77\x01\x05\x74\x00\x01x\x78", 8);
    {
        dlz_value *v = decode_ok(b.p, b.n);
        assert_int_equal(dlz_value_count(v), 1);
        dlz_value_free(v);
    }
    tu_b_free(&b);
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 1, 4);
    tu_b_bytes(&b, "\x77\x05\x00\x00\x00\x01\x09\x70\x78", 9);
    expect(&b, DLZ_EFORMAT, "unexpected bytes of block data");
    tu_b_free(&b);

    /* unsupported classes: delimited and reported, never interpreted */
    b_header(&b); /* protocol-1 Externalizable: cannot be delimited */
    b_u8(&b, 0x73);
    b_desc(&b, "x.Ext", 1, 0x04, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_bytes(&b, "anything", 8);
    {
        dlz_value *v = decode_ok(b.p, b.n);
        assert_string_equal(dlz_value_opaque_class(v), "x.Ext");
        dlz_value_free(v);
    }
    tu_b_free(&b);
    b_header(&b); /* a class whose superclass is itself */
    b_u8(&b, 0x73);
    b_desc(&b, "x.Loop", 1, 0x02, 0, NULL);
    b_ref(&b, 0);
    expect(&b, DLZ_ELIMIT, "class hierarchy");
    tu_b_free(&b);
    b_header(&b); /* fields of every type, an object field, a write method */
    b_u8(&b, 0x73);
    {
        static const char *const fs[] = {"Bb", "Cc", "Dd", "Ff", "Ii", "Jj", "Ss", "Zz", "Lo"};
        b_u8(&b, 0x72);
        tu_b_utf(&b, "x.All");
        tu_b_be(&b, 7, 8);
        b_u8(&b, 0x03);
        tu_b_be(&b, 9, 2);
        for (int i = 0; i < 9; i++) {
            b_u8(&b, (unsigned char)fs[i][0]);
            tu_b_utf(&b, fs[i] + 1);
        }
        b_string(&b, "Ljava/lang/Object;");
        b_u8(&b, 0x78);
        b_u8(&b, 0x70);
        tu_b_bytes(&b, "\x01\x00\x02\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x04", 15);
        tu_b_bytes(&b, "\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x06\x00\x07\x01", 15);
        b_ref(&b, 1); /* the field type string "Ljava/lang/Object;" */
        tu_b_bytes(&b, "\x77\x03\x01\x02\x03\x78", 6);
    }
    {
        dlz_value *v = decode_ok(b.p, b.n);
        assert_string_equal(dlz_value_opaque_class(v), "x.All");
        dlz_value_free(v);
    }
    b.n -= 1;
    expect(&b, DLZ_EFORMAT, "truncated");
    tu_b_free(&b);
    b_header(&b); /* an enum constant */
    b_u8(&b, 0x7E);
    b_desc(&b, "x.Color", 0, 0x12, 0, NULL);
    b_desc(&b, "java.lang.Enum", 0, 0x12, 0, NULL);
    b_u8(&b, 0x70);
    b_string(&b, "RED");
    {
        dlz_value *v = decode_ok(b.p, b.n);
        assert_string_equal(dlz_value_opaque_class(v), "x.Color");
        dlz_value_free(v);
    }
    tu_b_free(&b);
    b_header(&b); /* ... of a class that is not an enum */
    b_u8(&b, 0x7E);
    b_desc(&b, "java.lang.Boolean", UID_BOOLEAN, 0x02, 1, F_VALUE_Z);
    b_u8(&b, 0x70);
    b_string(&b, "TRUE");
    expect(&b, DLZ_EFORMAT, "not an enum");
    tu_b_free(&b);
    b_header(&b); /* a proxy instance */
    b_u8(&b, 0x73);
    b_u8(&b, 0x7D);
    tu_b_be(&b, 1, 4);
    tu_b_utf(&b, "java.lang.Runnable");
    b_u8(&b, 0x78);
    b_u8(&b, 0x72);
    tu_b_utf(&b, "java.lang.reflect.Proxy");
    tu_b_be(&b, UINT64_C(0xE127DA20CC1043CB), 8);
    b_u8(&b, 0x02);
    tu_b_be(&b, 1, 2);
    b_u8(&b, 'L');
    tu_b_utf(&b, "h");
    b_string(&b, "Ljava/lang/reflect/InvocationHandler;");
    b_u8(&b, 0x78);
    b_u8(&b, 0x70);
    b_u8(&b, 0x70); /* h = null */
    {
        dlz_value *v = decode_ok(b.p, b.n);
        assert_string_equal(dlz_value_opaque_class(v), "java.lang.reflect.Proxy");
        dlz_value_free(v);
    }
    tu_b_free(&b);
}

/* Nested lists: the first carries the descriptor, the others refer to it. */
static void b_nested_lists(buf *b, long levels) {
    b_header(b);
    for (long i = 0; i < levels; i++) {
        b_u8(b, 0x73);
        if (i == 0) {
            b_desc_arraylist(b);
        } else {
            b_ref(b, 0);
        }
        int last = i == levels - 1;
        tu_b_be(b, last ? 0 : 1, 4);
        tu_b_bytes(b, "\x77\x04\x00\x00\x00", 5);
        b_u8(b, last ? 0 : 1);
    }
    for (long i = 0; i < levels; i++) {
        b_u8(b, 0x78);
    }
}

static void test_depth(void **state) {
    (void)state;
    buf b = {0};
    char err[200];
    b_nested_lists(&b, DLZ_VALUE_DEFAULT_DEPTH);
    assert_int_equal(decode_rc(b.p, b.n, 0, err, sizeof err), DLZ_OK);
    tu_b_free(&b);
    b_nested_lists(&b, DLZ_VALUE_DEFAULT_DEPTH + 1);
    assert_int_equal(decode_rc(b.p, b.n, 0, err, sizeof err), DLZ_ELIMIT);
    assert_non_null(strstr(err, "deeper than 64"));
    assert_int_equal(decode_rc(b.p, b.n, 100, err, sizeof err), DLZ_OK);
    assert_int_equal(decode_rc(b.p, b.n, 10, err, sizeof err), DLZ_ELIMIT);
    tu_b_free(&b);
    b_nested_lists(&b, 1000000);
    assert_int_equal(decode_rc(b.p, b.n, DLZ_VALUE_MAX_DEPTH, err, sizeof err), DLZ_ELIMIT);
    tu_b_free(&b);

    /* references cannot build a tree deeper than the limit: each list holds a
       reference to the previous one */
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 100, 4);
    tu_b_bytes(&b, "\x77\x04\x00\x00\x00\x64", 6); /* root: handle 1 */
    for (int i = 0; i < 100; i++) {                /* item i: handle 2 + i */
        b_u8(&b, 0x73);
        b_ref(&b, 0);
        tu_b_be(&b, i > 0, 4);
        tu_b_bytes(&b, "\x77\x04\x00\x00\x00", 5);
        b_u8(&b, i > 0);
        if (i > 0) {
            b_ref(&b, (uint32_t)(2 + i - 1));
        }
        b_u8(&b, 0x78);
    }
    b_u8(&b, 0x78);
    assert_int_equal(decode_rc(b.p, b.n, 0, err, sizeof err), DLZ_ELIMIT);
    assert_non_null(strstr(err, "reference"));
    assert_int_equal(decode_rc(b.p, b.n, 200, err, sizeof err), DLZ_OK);
    tu_b_free(&b);

    /* unsupported objects nest too */
    b_header(&b);
    for (int i = 0; i < 100; i++) {
        b_u8(&b, 0x73);
        if (i == 0) {
            b_u8(&b, 0x72);
            tu_b_utf(&b, "x.Node");
            tu_b_be(&b, 1, 8);
            b_u8(&b, 0x02);
            tu_b_be(&b, 1, 2);
            b_u8(&b, 'L');
            tu_b_utf(&b, "next");
            b_string(&b, "Lx/Node;");
            b_u8(&b, 0x78);
            b_u8(&b, 0x70);
        } else {
            b_ref(&b, 0);
        }
    }
    b_u8(&b, 0x70);
    assert_int_equal(decode_rc(b.p, b.n, 0, err, sizeof err), DLZ_ELIMIT);
    {
        dlz_value *v = NULL;
        assert_int_equal(dlz_value_decode(b.p, b.n, 200, &v, err, sizeof err), DLZ_OK);
        assert_string_equal(dlz_value_opaque_class(v), "x.Node");
        dlz_value_free(v);
    }
    tu_b_free(&b);
}

/* Back-references to containers are copied; a reference bomb hits the
   memory limit instead of exhausting memory. */
static void test_reference_bomb(void **state) {
    (void)state;
    buf b = {0};
    char err[200];
    int levels = 40;
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, (uint64_t)levels, 4);
    tu_b_bytes(&b, "\x77\x04\x00\x00\x00", 5);
    b_u8(&b, (unsigned)levels); /* root: handle 1 */
    b_u8(&b, 0x73);             /* A0 = [string]: handles 2, 3 */
    b_ref(&b, 0);
    tu_b_be(&b, 1, 4);
    tu_b_bytes(&b, "\x77\x04\x00\x00\x00\x01", 6);
    b_u8(&b, 0x74);
    tu_b_be(&b, 1000, 2);
    for (int i = 0; i < 1000; i++) {
        b_u8(&b, 'x');
    }
    b_u8(&b, 0x78);
    for (int k = 1; k < levels; k++) { /* Ak = [A(k-1), A(k-1)]: handle 3 + k */
        uint32_t prev = k == 1 ? 2 : (uint32_t)(3 + k - 1);
        b_u8(&b, 0x73);
        b_ref(&b, 0);
        tu_b_be(&b, 2, 4);
        tu_b_bytes(&b, "\x77\x04\x00\x00\x00\x02", 6);
        b_ref(&b, prev);
        b_ref(&b, prev);
        b_u8(&b, 0x78);
    }
    b_u8(&b, 0x78);
    assert_int_equal(decode_rc(b.p, b.n, 0, err, sizeof err), DLZ_ELIMIT);
    assert_non_null(strstr(err, "bytes of memory"));
    tu_b_free(&b);

    /* a few levels are fine, and the copies are equal but distinct */
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc_arraylist(&b);
    tu_b_be(&b, 2, 4);
    tu_b_bytes(&b, "\x77\x04\x00\x00\x00\x02", 6);
    b_u8(&b, 0x75);
    b_desc(&b, "[I", UINT64_C(0x4DBA602676EAB2A5), 0x02, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_be(&b, 2, 4);
    tu_b_be(&b, 5, 4);
    tu_b_be(&b, 6, 4);
    b_ref(&b, 3);
    b_u8(&b, 0x78);
    dlz_value *v = decode_ok(b.p, b.n);
    assert_int_equal(dlz_value_count(v), 2);
    assert_true(dlz_value_equal(dlz_value_item(v, 0), dlz_value_item(v, 1)));
    assert_ptr_not_equal(dlz_value_item(v, 0), dlz_value_item(v, 1));
    dlz_value_free(v);
    tu_b_free(&b);
}

/* Every allocation failure gives DLZ_ENOMEM, and nothing leaks (the
   sanitizer checks at exit). */
static void oom_decode(const unsigned char *p, size_t n) {
    int rc0 = decode_rc(p, n, 0, NULL, 0);
    for (long k = 1;; k++) {
        dlz_value *v = NULL;
        dlzi_alloc_fail_after(k);
        int rc = dlz_value_decode(p, n, 0, &v, NULL, 0);
        dlzi_alloc_fail_after(0);
        dlz_value_free(v);
        if (rc == rc0) {
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_null(v);
    }
}

static void oom_encode(const dlz_value *v) {
    for (long k = 1;; k++) {
        void *p = NULL;
        size_t n;
        dlzi_alloc_fail_after(k);
        int rc = dlz_value_encode(v, &p, &n, NULL, 0);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            dlz_free(p);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_null(p);
    }
    for (long k = 1;; k++) {
        char *j = NULL;
        dlzi_alloc_fail_after(k);
        int rc = dlz_value_to_json(v, DLZ_JSON_PRETTY, &j, NULL);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            dlz_free(j);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
    }
    for (long k = 1;; k++) {
        dlzi_alloc_fail_after(k);
        dlz_value *c = dlz_value_copy(v);
        dlzi_alloc_fail_after(0);
        if (c != NULL) {
            dlz_value_free(c);
            break;
        }
    }
}

/* [["s"], <the same list>, (a Date)]: handles list desc 0, root 1, inner
   list 2, "s" 3. */
static void b_ref_stream(buf *b, int with_date) {
    b_header(b);
    b_u8(b, 0x73);
    b_desc_arraylist(b);
    tu_b_be(b, with_date ? 3 : 2, 4);
    tu_b_bytes(b, "\x77\x04\x00\x00\x00", 5);
    b_u8(b, with_date ? 3 : 2);
    b_u8(b, 0x73);
    b_ref(b, 0);
    tu_b_be(b, 1, 4);
    tu_b_bytes(b, "\x77\x04\x00\x00\x00\x01", 6);
    b_string(b, "s");
    b_u8(b, 0x78);
    b_ref(b, 2);
    if (with_date) {
        b_u8(b, 0x73);
        b_desc(b, "java.util.Date", UINT64_C(0x686A81014B597419), 0x03, 0, NULL);
        b_u8(b, 0x70);
        tu_b_bytes(b, "\x77\x08\x00\x00\x00\x00\x00\x00\x00\x00\x78", 11);
    }
    b_u8(b, 0x78);
}

static void test_oom(void **state) {
    (void)state;
    build_hand_vectors();
    for (int i = 0; i < N_HAND; i++) {
        oom_decode(hand[i].bytes.p, hand[i].bytes.n);
        oom_encode(hand[i].value);
    }
    /* references, and an opaque result */
    for (int with_date = 0; with_date < 2; with_date++) {
        buf b = {0};
        b_ref_stream(&b, with_date);
        dlz_value *v = decode_ok(b.p, b.n);
        assert_int_equal(dlz_value_type_of(v), with_date ? DLZ_VALUE_OPAQUE : DLZ_VALUE_LIST);
        dlz_value_free(v);
        oom_decode(b.p, b.n);
        tu_b_free(&b);
    }

    dlz_value *m = must(dlz_value_new_map(0));
    for (int i = 0; i < 40; i++) {
        char k[16];
        snprintf(k, sizeof k, "key%d", i);
        dlz_value *l = must(dlz_value_new_list());
        add(l, dlz_value_new_double(i));
        put(m, str(k), l);
    }
    oom_encode(m);
    for (long k = 1;; k++) {
        dlz_value *key = str("another"), *val = must(dlz_value_new_null());
        dlzi_alloc_fail_after(k);
        int rc = dlz_value_map_put(m, key, val);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        dlz_value_free(key);
        dlz_value_free(val);
    }
    dlz_value_free(m);
    for (long k = 1;; k++) {
        static const char *const ss[] = {"a", NULL, "b"};
        dlzi_alloc_fail_after(k);
        dlz_value *s = tu_value_array(DLZ_VALUE_STRING_ARRAY, ss, 3);
        dlzi_alloc_fail_after(0);
        if (s != NULL) {
            dlz_value_free(s);
            break;
        }
    }
    for (long k = 1;; k++) {
        dlz_value *v = NULL;
        dlzi_alloc_fail_after(k);
        const char *t = "{\"a\":[1,2.5,\"x\",null,{\"b\":true}]}";
        int rc = dlz_value_from_json(t, strlen(t), &v, NULL, 0);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            dlz_value_free(v);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_null(v);
    }
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

static void assert_json(const dlz_value *v, unsigned flags, const char *expected) {
    char *j;
    size_t n;
    assert_int_equal(dlz_value_to_json(v, flags, &j, &n), DLZ_OK);
    if (strcmp(j, expected) != 0) {
        fail_msg("JSON\n got      %s\n expected %s", j, expected);
    }
    assert_int_equal(n, strlen(expected));
    dlz_free(j);
}

static dlz_value *json_sample(void) {
    dlz_value *l = must(dlz_value_new_list());
    add(l, dlz_value_new_int(1));
    add(l, dlz_value_new_long(INT64_C(1099511627776)));
    add(l, dlz_value_new_long(INT64_MIN));
    add(l, dlz_value_new_double(0.1));
    add(l, dlz_value_new_float(0.1f));
    add(l, dlz_value_new_double(NAN));
    add(l, dlz_value_new_double(-INFINITY));
    add(l, dlz_value_new_float(INFINITY));
    add(l, dlz_value_new_double(-0.0));
    add(l, dlz_value_new_double(1.0));
    add(l, dlz_value_new_double(1e300));
    add(l, dlz_value_new_double(5e-324));
    add(l, dlz_value_new_double(123456789.5));
    add(l, dlz_value_new_float(3.4028235e38f));
    add(l, dlz_value_new_boolean(1));
    add(l, dlz_value_new_null());
    add(l, dlz_value_new_char('A'));
    add(l, dlz_value_new_char(0xD800));
    add(l, dlz_value_new_char(0x20AC));
    add(l, tu_value_string("q\"b\\\n\x01\xC3\xA9\xF0\x9F\x98\x80\xED\xB0\x80", 15));
    int8_t bytes[2] = {1, -1};
    add(l, tu_value_array(DLZ_VALUE_BYTE_ARRAY, bytes, 2));
    uint16_t chars[2] = {'x', 0xDC00};
    add(l, tu_value_array(DLZ_VALUE_CHAR_ARRAY, chars, 2));
    uint8_t bools[2] = {1, 0};
    add(l, tu_value_array(DLZ_VALUE_BOOLEAN_ARRAY, bools, 2));
    double ds[1] = {2.5};
    add(l, tu_value_array(DLZ_VALUE_DOUBLE_ARRAY, ds, 1));
    add(l, tu_value_array(DLZ_VALUE_INT_ARRAY, NULL, 0));
    dlz_value *m = must(dlz_value_new_map(1));
    put(m, str("k"), dlz_value_new_list());
    put(m, str("z"), dlz_value_new_map(0));
    add(l, m);
    m = must(dlz_value_new_map(0));
    put(m, dlz_value_new_int(1), str("one"));
    add(l, m);
    return l;
}

static void test_json_out(void **state) {
    (void)state;
    dlz_value *l = json_sample();
    assert_json(l, 0,
                "[1,1099511627776,-9223372036854775808,0.1,0.1,\"NaN\",\"-Infinity\","
                "\"Infinity\",-0.0,1.0,1e+300,5e-324,123456789.5,3.4028235e+38,true,null,\"A\","
                "\"\\ud800\",\"\xE2\x82\xAC\",\"q\\\"b\\\\\\n\\u0001\xC3\xA9\xF0\x9F\x98\x80"
                "\\udc00\",[1,-1],[\"x\",\"\\udc00\"],[true,false],[2.5],[],{\"k\":[],\"z\":{}},"
                "[[1,\"one\"]]]");
    dlz_value *m = must(dlz_value_new_map(1));
    put(m, str("a"), dlz_value_new_int(1));
    dlz_value *in = must(dlz_value_new_list());
    add(in, dlz_value_new_boolean(0));
    add(in, dlz_value_new_list());
    put(m, str("b"), in);
    dlz_value *mk = must(dlz_value_new_map(0));
    put(mk, dlz_value_new_int(2), dlz_value_new_null());
    put(m, str("c"), mk);
    assert_json(m, DLZ_JSON_PRETTY,
                "{\n  \"a\": 1,\n  \"b\": [\n    false,\n    []\n  ],\n  \"c\": [\n    [2, "
                "null]\n  ]\n}");
    dlz_value_free(m);

    /* opaque */
    build_hand_vectors();
    buf b = {0};
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc(&b, "java.util.Date", UINT64_C(0x686A81014B597419), 0x03, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_bytes(&b, "\x77\x08\x00\x00\x00\x00\x00\x00\x00\x00\x78", 11);
    dlz_value *o = decode_ok(b.p, b.n);
    char exp[100];
    snprintf(exp, sizeof exp, "{\"opaque\":\"java.util.Date\",\"length\":%zu}", b.n);
    assert_json(o, 0, exp);
    dlz_value_free(o);
    tu_b_free(&b);

    char *j;
    assert_int_equal(dlz_value_to_json(NULL, 0, &j, NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_value_to_json(l, 0x80, &j, NULL), DLZ_EMISUSE);
    dlz_value_free(l);
}

/* Every finite float is written as a decimal that gives it back both when
   read as a float (Float.parseFloat, strtof) and when read as a double and
   then rounded (a JSON parser's double cast to float); every double as one
   that reads back.  Among the floats, 0x1.5c87fap-84 and 0x1.5c87fcp-84 are
   the only ones (with their negatives) for which a decimal that one way of
   reading gives back the other way does not: "7.038531e-26" lies within
   half a double's ulp of the midpoint between them. */
static void test_json_reals_read_back(void **state) {
    (void)state;
    enum { N = 20000 };
    float *f = malloc(N * sizeof *f);
    double *d = malloc(N * sizeof *d);
    assert_true(f != NULL && d != NULL);
    static const uint32_t fixed[] = {0x15AE43FD, 0x15AE43FE, 0x95AE43FD, 0x95AE43FE, 0x00000001,
                                     0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x3F800000, 0x3DCCCCCD};
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < N; i++) {
        uint32_t fb;
        uint64_t db;
        do { /* xorshift64: bit patterns of finite values */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            fb = i < sizeof fixed / sizeof fixed[0] ? fixed[i] : (uint32_t)(x >> 32);
            db = x;
        } while ((fb & 0x7F800000u) == 0x7F800000u || (db >> 52 & 0x7FF) == 0x7FF);
        memcpy(&f[i], &fb, 4);
        memcpy(&d[i], &db, 8);
    }
    for (int pass = 0; pass < 2; pass++) {
        dlz_value *v = NULL;
        char err[200];
        assert_int_equal(dlz_value_new_array(
                             pass == 0 ? DLZ_VALUE_FLOAT_ARRAY : DLZ_VALUE_DOUBLE_ARRAY,
                             pass == 0 ? (const void *)f : (const void *)d, N, &v, err, sizeof err),
                         DLZ_OK);
        char *j;
        assert_int_equal(dlz_value_to_json(v, 0, &j, NULL), DLZ_OK);
        assert_true(j[0] == '[');
        char *p = j + 1;
        for (size_t i = 0; i < N; i++) {
            char *end;
            double back = strtod(p, &end);
            assert_true(end > p && (*end == ',' || *end == ']'));
            if (pass == 0) {
                float fb = strtof(p, NULL);
                if (fb != f[i] || (float)back != f[i]) {
                    fail_msg("float %a written as %.*s", (double)f[i], (int)(end - p), p);
                }
            } else if (back != d[i]) {
                fail_msg("double %a written as %.*s", d[i], (int)(end - p), p);
            }
            p = end + 1;
        }
        dlz_free(j);
        dlz_value_free(v);
    }
    free(f);
    free(d);
}

/* Significant digits of a %g text (no trailing zeros after the shortest). */
static int sig_digits(const char *s) {
    int n = 0, lead = 1;
    for (; *s != '\0' && *s != 'e'; s++) {
        if (*s >= '1' && *s <= '9') {
            lead = 0;
        }
        n += *s >= '0' && *s <= '9' && !lead;
    }
    return n;
}

/* dlz_real_format() against the C library's printf and strtod: the text is
   %.<p>g for the smallest p at which it reads back (%.<p-1>g does not), and
   with DLZ_REAL_DISPLAY the first of %.15g..%.17g that reads back, which
   has the same value; the JSON renderer writes the same text, with ".0"
   where it has neither '.' nor exponent; the names of NaN and the
   infinities; snprintf()'s truncation. */
static void test_real_format(void **state) {
    (void)state;
    enum { N = 20000 };
    uint64_t x = 0x9E3779B97F4A7C15u;
    char got[DLZ_REAL_SIZE], want[512], json[64];
    for (size_t i = 0; i < N; i++) {
        uint64_t db;
        double d;
        do {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* a quarter of them small integers and short decimals */
            db = x;
            memcpy(&d, &db, 8);
            if (i % 4 == 0) {
                d = (double)(int64_t)(x % 2000001) / (double)(1 + x % 1000) - 1000;
                memcpy(&db, &d, 8);
            }
        } while ((db >> 52 & 0x7FF) == 0x7FF);
        size_t len = dlz_real_format(d, 0, got, sizeof got);
        assert_int_equal(len, strlen(got));
        int p = sig_digits(got);
        assert_true(p >= 1 && p <= 17);
        snprintf(want, sizeof want, "%.*g", p, d);
        if (strcmp(got, want) != 0 || strtod(got, NULL) != d) {
            fail_msg("%a: \"%s\", printf %%.%dg gives \"%s\"", d, got, p, want);
        }
        if (p > 1) {
            snprintf(want, sizeof want, "%.*g", p - 1, d);
            if (strtod(want, NULL) == d) {
                fail_msg("%a: \"%s\" but \"%s\" reads back too", d, got, want);
            }
        }
        dlzi_format_real(json, sizeof json, d, 0);
        snprintf(want, sizeof want, "%s%s", got, strpbrk(got, ".e") ? "" : ".0");
        assert_string_equal(json, want);
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(want, sizeof want, "%.*g", prec, d);
            if (strtod(want, NULL) == d) {
                break;
            }
        }
        dlz_real_format(d, DLZ_REAL_DISPLAY, got, sizeof got);
        assert_string_equal(got, want);
        float f = (float)d;
        if (isfinite(f)) {
            dlz_real_format((double)f, DLZ_REAL_FLOAT, got, sizeof got);
            if (strtof(got, NULL) != f || (float)strtod(got, NULL) != f) {
                fail_msg("float %a written as \"%s\"", (double)f, got);
            }
        }
    }
    static const struct {
        double d;
        const char *s;
    } names[] = {{NAN, "NaN"}, {INFINITY, "Infinity"}, {-INFINITY, "-Infinity"}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(dlz_real_format(names[i].d, 0, got, sizeof got), strlen(names[i].s));
        assert_string_equal(got, names[i].s);
        dlzi_format_real(json, sizeof json, names[i].d, 0);
        snprintf(want, sizeof want, "\"%s\"", names[i].s);
        assert_string_equal(json, want);
    }
    /* -0.0, 0.125 = 2^-3 and 100 have short exact decimals */
    assert_int_equal(dlz_real_format(-0.0, 0, got, sizeof got), 2);
    assert_string_equal(got, "-0");
    assert_int_equal(dlz_real_format(100, 0, got, sizeof got), 5);
    assert_string_equal(got, "1e+02");
    assert_int_equal(dlz_real_format(100, DLZ_REAL_DISPLAY, got, sizeof got), 3);
    assert_string_equal(got, "100");
    memset(got, 'x', sizeof got);
    assert_int_equal(dlz_real_format(0.125, 0, got, 3), 5);
    assert_string_equal(got, "0.");
    assert_int_equal(got[3], 'x');
    assert_int_equal(dlz_real_format(0.125, 0, NULL, 0), 5);
}

/* Numbers do not follow the locale's decimal point. */
static void test_json_locale(void **state) {
    (void)state;
    static const char *const locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8",
                                          "ps_AF.UTF-8"};
    int tried = 0;
    for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++) {
        if (setlocale(LC_NUMERIC, locales[i]) == NULL) {
            continue;
        }
        tried++;
        dlz_value *l = must(dlz_value_new_list());
        add(l, dlz_value_new_double(0.5));
        add(l, dlz_value_new_float(-1.25f));
        add(l, dlz_value_new_double(1e-7));
        assert_json(l, 0, "[0.5,-1.25,1e-07]");
        dlz_value_free(l);
        dlz_value *v = NULL;
        assert_int_equal(dlz_value_from_json("[0.5]", 5, &v, NULL, 0), DLZ_OK);
        assert_true(dlz_value_real(dlz_value_item(v, 0)) == 0.5);
        dlz_value_free(v);
        setlocale(LC_NUMERIC, "C");
    }
    if (tried == 0) {
        print_message("no comma-decimal locale installed: checked the C locale only\n");
        dlz_value *d = must(dlz_value_new_double(0.5));
        assert_json(d, 0, "0.5");
        dlz_value_free(d);
    }
}

static void test_json_in(void **state) {
    (void)state;
    const char *text = "{\"b\":1,\"a\":[true,null,2.5,\"x\\u0000y\",3000000000,-2147483648,"
                       "{}],\"\\u00e9\":\"\\ud83d\\ude00\"}";
    dlz_value *v = NULL;
    char err[200];
    assert_int_equal(dlz_value_from_json(text, strlen(text), &v, err, sizeof err), DLZ_OK);
    char *r = render_str(v, 0);
    assert_string_equal(r, "LinkedHashMap{String:\"b\"=Integer:1,String:\"a\"=ArrayList[Boolean:"
                           "true,null,Double:4004000000000000,String:\"x\\u0000y\",Long:"
                           "3000000000,Integer:-2147483648,LinkedHashMap{}],String:\"\\u00e9\"="
                           "String:\"\\ud83d\\ude00\"}");
    free(r);
    /* it encodes, and the JSON rendering of the result reads back the same */
    size_t n;
    unsigned char *p = encode_ok(v, &n);
    dlz_value *d = decode_ok(p, n);
    assert_true(dlz_value_equal(d, v));
    char *j;
    assert_int_equal(dlz_value_to_json(d, 0, &j, &n), DLZ_OK);
    dlz_value *back = NULL;
    assert_int_equal(dlz_value_from_json(j, n, &back, err, sizeof err), DLZ_OK);
    assert_true(dlz_value_equal(back, v));
    dlz_value_free(back);
    dlz_free(j);
    dlz_value_free(d);
    dlz_free(p);
    dlz_value_free(v);

    assert_int_equal(dlz_value_from_json("42", 2, &v, err, sizeof err), DLZ_OK);
    assert_int_equal(dlz_value_type_of(v), DLZ_VALUE_INT);
    dlz_value_free(v);
    assert_int_equal(dlz_value_from_json("{\"a\":1,\"a\":2}", 13, &v, err, sizeof err),
                     DLZ_EFORMAT);
    assert_null(v);
    assert_non_null(strstr(err, "duplicate"));
    assert_int_equal(dlz_value_from_json("[1,\n", 4, &v, err, sizeof err), DLZ_EFORMAT);
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(dlz_value_from_json("123456789012345678901234", 24, &v, err, sizeof err),
                     DLZ_EFORMAT);
    assert_int_equal(dlz_value_from_json(NULL, 1, &v, err, sizeof err), DLZ_EMISUSE);
    assert_int_equal(dlz_value_from_json("1", 1, NULL, err, sizeof err), DLZ_EMISUSE);
    char deep[2 * 300 + 1];
    for (int i = 0; i < 300; i++) {
        deep[i] = '[';
        deep[300 + i] = ']';
    }
    deep[600] = 0;
    assert_int_equal(dlz_value_from_json(deep, 600, &v, err, sizeof err), DLZ_ELIMIT);
    assert_null(v);
    assert_int_equal(dlz_value_from_json(deep + 300 - DLZ_VALUE_MAX_DEPTH, 2 * DLZ_VALUE_MAX_DEPTH,
                                         &v, err, sizeof err),
                     DLZ_OK);
    dlz_value_free(v);
}

/* ------------------------------------------------------------------------ */
/* Archive glue                                                              */

static void test_archive(void **state) {
    (void)state;
    static const char conf[] = "{\"confs\":[{\"layer\":{}}]}";
    build_hand_vectors();
    dlz_value *v = parse_rendering("LinkedHashMap{String:\"labels\"=String[]{String:\"cat\","
                                   "String:\"dog\"},String:\"n\"=Integer:2}");
    dlz_writer *w = dlz_writer_new();
    assert_non_null(w);
    TU_OK_W(w, dlz_writer_open_memory(w));
    TU_OK_W(w, dlz_writer_put_configuration(w, conf, strlen(conf)));
    TU_OK_W(w, dlz_writer_put_coefficients(w, NULL));
    TU_OK_W(w, dlz_writer_put_object(w, "meta/labels", v));
    /* an opaque value inside a list cannot be written; the archive goes on */
    buf b = {0};
    b_header(&b);
    b_u8(&b, 0x73);
    b_desc(&b, "java.util.Date", UINT64_C(0x686A81014B597419), 0x03, 0, NULL);
    b_u8(&b, 0x70);
    tu_b_bytes(&b, "\x77\x08\x00\x00\x00\x00\x00\x00\x00\x00\x78", 11);
    dlz_value *date = decode_ok(b.p, b.n);
    dlz_value *l = must(dlz_value_new_list());
    add(l, must(dlz_value_copy(date)));
    assert_int_equal(dlz_writer_put_object(w, "bad", l), DLZ_EUNSUPPORTED);
    assert_non_null(strstr(dlz_writer_errmsg(w), "objects/bad"));
    assert_int_equal(dlz_writer_put_object(w, "x", NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_writer_put_object(NULL, "x", v), DLZ_EMISUSE);
    TU_OK_W(w, dlz_writer_put_object(w, "date", date));
    TU_OK_W(w, dlz_writer_put_object_raw(w, "garbage",
                                         "\xAC\xED\x00\x05\x74\x00\x09"
                                         "ab",
                                         9));
    TU_OK_W(w, dlz_writer_close(w));
    const void *zip;
    size_t zlen;
    TU_OK_W(w, dlz_writer_memory(w, &zip, &zlen));

    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    TU_OK_R(r, dlz_reader_open_memory(r, zip, zlen));
    dlz_value *got = NULL;
    TU_OK_R(r, dlz_reader_read_object(r, "meta/labels", &got));
    assert_true(dlz_value_equal(got, v));
    dlz_value_free(got);
    void *raw;
    size_t rawlen, n;
    TU_OK_R(r, dlz_reader_read_object_raw(r, "meta/labels", &raw, &rawlen));
    unsigned char *enc = encode_ok(v, &n);
    assert_bytes(raw, rawlen, enc, n, "objects/meta/labels");
    dlz_free(enc);
    dlz_free(raw);
    TU_OK_R(r, dlz_reader_read_object(r, "date", &got));
    assert_string_equal(dlz_value_opaque_class(got), "java.util.Date");
    dlz_value_free(got);
    got = (dlz_value *)1;
    assert_int_equal(dlz_reader_read_object(r, "garbage", &got), DLZ_EFORMAT);
    assert_null(got);
    assert_non_null(strstr(dlz_reader_errmsg(r), "objects/garbage: byte 7: truncated"));
    assert_int_equal(dlz_reader_read_object(r, "missing", &got), DLZ_ENOTFOUND);
    assert_int_equal(dlz_reader_read_object(r, "x", NULL), DLZ_EMISUSE);
    assert_int_equal(dlz_reader_read_object(NULL, "x", &got), DLZ_EMISUSE);

    /* allocation failures in the glue */
    for (long k = 1;; k++) {
        got = NULL;
        dlzi_alloc_fail_after(k);
        int rc = dlz_reader_read_object(r, "meta/labels", &got);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            dlz_value_free(got);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_null(got);
    }
    dlz_reader_free(r);
    dlz_writer_free(w);
    dlz_value_free(l);
    dlz_value_free(date);
    dlz_value_free(v);
    tu_b_free(&b);
}

/* ------------------------------------------------------------------------ */
/* The JDK                                                                   */

static struct {
    int state; /* 0 not tried, 1 ready, -1 no JDK */
    char java[4096];
    char dir[4096];
    unsigned char *index;
    size_t index_len;
} J;

/* Single-quoted for the shell. */
static void shell_quote(sb *o, const char *s) {
    sb_puts(o, "'");
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            sb_puts(o, "'\\''");
        } else {
            sb_put(o, s, 1);
        }
    }
    sb_puts(o, "'");
}

static int run(const char *cmd) {
    int rc = system(cmd);
    if (rc != 0) {
        print_message("command failed (%d): %.300s\n", rc, cmd);
    }
    return rc;
}

static const char *jser_source(void) {
    static char path[4096];
    const char *e = getenv("DLZ_JSER_SRC");
    if (e != NULL && *e != '\0') {
        return e;
    }
    const char *root = getenv("DLZ_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/test/jser/JserVectors.java", root ? root : ".");
    return path;
}

/* Compiles JserVectors.java and writes the JDK's vectors, once.  Returns 0
   without a JDK. */
static int jdk_ready(void) {
    if (J.state != 0) {
        return J.state > 0;
    }
    char javac[4096];
    J.state = -1;
    if (!tu_find_program("DLZ_JAVA", "java", J.java, sizeof J.java) ||
        !tu_find_program("DLZ_JAVAC", "javac", javac, sizeof javac)) {
        return 0;
    }
    char *d = tu_mkdtemp();
    snprintf(J.dir, sizeof J.dir, "%s", d);
    free(d);
    sb cmd = {0};
    sb_puts(&cmd, "mkdir ");
    shell_quote(&cmd, J.dir);
    sb_puts(&cmd, "/classes ");
    shell_quote(&cmd, J.dir);
    sb_puts(&cmd, "/vec ");
    shell_quote(&cmd, J.dir);
    sb_puts(&cmd, "/ours && ");
    shell_quote(&cmd, javac);
    sb_puts(&cmd, " -encoding UTF-8 -d ");
    shell_quote(&cmd, J.dir);
    sb_puts(&cmd, "/classes ");
    shell_quote(&cmd, jser_source());
    sb_puts(&cmd, " && ");
    shell_quote(&cmd, J.java);
    sb_puts(&cmd, " -cp ");
    shell_quote(&cmd, J.dir);
    sb_puts(&cmd, "/classes JserVectors write ");
    shell_quote(&cmd, J.dir);
    sb_puts(&cmd, "/vec");
    if (run(cmd.p) != 0) {
        fail_msg("the JDK is present but JserVectors could not be compiled or run");
    }
    free(cmd.p);
    char path[4200];
    snprintf(path, sizeof path, "%s/vec/index.tsv", J.dir);
    J.index = tu_read_file(path, &J.index_len);
    J.state = 1;
    return 1;
}

#define NEED_JDK()                                                                                 \
    do {                                                                                           \
        if (!jdk_ready()) {                                                                        \
            print_message("skipped: no JDK\n");                                                    \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

typedef struct jvec {
    char *name, *kind, *text;
} jvec;

/* The index lines (pointers into a copy of the index). */
static size_t jdk_vectors(jvec **out, char **storage) {
    char *s = malloc(J.index_len + 1);
    assert_non_null(s);
    memcpy(s, J.index, J.index_len + 1);
    size_t n = 0, cap = 16;
    jvec *v = malloc(cap * sizeof *v);
    assert_non_null(v);
    for (char *line = strtok(s, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        assert_non_null(t2);
        *t1 = *t2 = 0;
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        v[n].name = line;
        v[n].kind = t1 + 1;
        v[n].text = t2 + 1;
        n++;
    }
    *out = v;
    *storage = s;
    return n;
}

static unsigned char *jdk_bytes(const char *name, size_t *len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/vec/%s.ser", J.dir, name);
    return tu_read_file(path, len);
}

/* What the JDK wrote decodes to the value it describes; that value, built
   through the C API, encodes to the JDK's bytes; so does the decoded tree. */
static void test_jdk_vectors(void **state) {
    (void)state;
    NEED_JDK();
    jvec *vs;
    char *storage;
    size_t nv = jdk_vectors(&vs, &storage);
    int counts[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < nv; i++) {
        size_t n;
        unsigned char *bytes = jdk_bytes(vs[i].name, &n);
        const char *kind = vs[i].kind;
        if (strcmp(kind, "cyclic") == 0) {
            char err[200];
            assert_int_equal(decode_rc(bytes, n, 0, err, sizeof err), DLZ_EUNSUPPORTED);
            counts[3]++;
            free(bytes);
            continue;
        }
        dlz_value *d = decode_ok(bytes, n);
        if (strcmp(kind, "opaque") == 0) {
            if (dlz_value_type_of(d) != DLZ_VALUE_OPAQUE ||
                strcmp(dlz_value_opaque_class(d), vs[i].text) != 0) {
                fail_msg("%s: expected opaque %s, got %s", vs[i].name, vs[i].text,
                         render_str(d, 0));
            }
            size_t on;
            const void *ob = dlz_value_opaque_bytes(d, &on);
            assert_bytes(ob, on, bytes, n, vs[i].name);
            assert_encodes_to(d, bytes, n, vs[i].name);
            counts[2]++;
        } else {
            char *r = render_str(d, 0);
            if (strcmp(r, vs[i].text) != 0) {
                fail_msg("%s: decoded\n %.300s\nexpected\n %.300s", vs[i].name, r, vs[i].text);
            }
            free(r);
            dlz_value *built = parse_rendering(vs[i].text);
            if (!dlz_value_equal(built, d)) {
                fail_msg("%s: the value built from the rendering differs", vs[i].name);
            }
            if (strcmp(kind, "exact") == 0) {
                assert_encodes_to(built, bytes, n, vs[i].name);
                assert_encodes_to(d, bytes, n, vs[i].name);
                counts[0]++;
            } else {
                size_t en;
                unsigned char *e = encode_ok(d, &en);
                dlz_value *again = decode_ok(e, en);
                assert_true(dlz_value_equal(again, d));
                dlz_value_free(again);
                dlz_free(e);
                counts[1]++;
            }
            char *json;
            assert_int_equal(dlz_value_to_json(d, 0, &json, NULL), DLZ_OK);
            dlz_free(json);
            dlz_value_free(built);
        }
        dlz_value_free(d);
        free(bytes);
    }
    print_message("JDK vectors: %d byte-exact, %d value-equal, %d opaque, %d cyclic\n", counts[0],
                  counts[1], counts[2], counts[3]);
    assert_true(counts[0] >= 40 && counts[2] >= 5 && counts[3] >= 1);
    free(vs);
    free(storage);
}

/* Every prefix of every JDK vector is malformed; byte flips never crash. */
static void test_jdk_hostile(void **state) {
    (void)state;
    NEED_JDK();
    jvec *vs;
    char *storage;
    size_t nv = jdk_vectors(&vs, &storage);
    for (size_t i = 0; i < nv; i++) {
        size_t n;
        unsigned char *bytes = jdk_bytes(vs[i].name, &n);
        check_prefixes(bytes, n, vs[i].name);
        if (n < 2048) {
            flip_all(bytes, n);
        }
        if (n < 600) {
            oom_decode(bytes, n);
        }
        free(bytes);
    }
    free(vs);
    free(storage);
}

/* Random trees for the JDK to read. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32) % n;
}

static dlz_value *rnd_string(void) {
    static const char *const pieces[] = {"a",
                                         "Z",
                                         " ",
                                         "\xC3\xA9",
                                         "\xE2\x82\xAC",
                                         "\xF0\x9F\x98\x80",
                                         "\xED\xA0\x80",
                                         "\xED\xB0\x80",
                                         "\x7F",
                                         "\"\\"};
    static const char *const pool[] = {"x", "label", "", "\xE2\x82\xAC"};
    if (rnd(3) == 0) {
        return str(pool[rnd(4)]);
    }
    char b[64];
    size_t n = 0, k = rnd(8);
    for (size_t i = 0; i < k; i++) {
        if (rnd(8) == 0) {
            b[n++] = 0;
            continue;
        }
        const char *p = pieces[rnd(10)];
        memcpy(b + n, p, strlen(p));
        n += strlen(p);
    }
    return must(tu_value_string(b, n));
}

static dlz_value *rnd_value(int depth);

static dlz_value *rnd_key(void) {
    switch (rnd(6)) {
    case 0:
        return must(dlz_value_new_int((int32_t)rnd(100) - 50));
    case 1:
        return must(dlz_value_new_double(rnd(2) ? NAN : (double)rnd(10) / 4));
    case 2: {
        dlz_value *l = must(dlz_value_new_list());
        add(l, rnd_string());
        return l;
    }
    case 3:
        return rnd_value(3);
    default:
        return rnd_string();
    }
}

static dlz_value *rnd_value(int depth) {
    uint32_t k = rnd(depth >= 4 ? 11 : 16);
    switch (k) {
    case 0:
        return must(dlz_value_new_null());
    case 1:
        return rnd_string();
    case 2:
        return must(dlz_value_new_int(rnd(2) ? (int32_t)rnd(300) - 150 : (int32_t)rng_state));
    case 3:
        return must(dlz_value_new_long(rnd(2) ? (int64_t)rnd(300) - 150 : (int64_t)rng_state));
    case 4: {
        double d;
        uint64_t bits = rng_state;
        memcpy(&d, &bits, 8);
        return must(dlz_value_new_double(rnd(3) == 0 ? d : (double)rnd(1000) / 8 - 60));
    }
    case 5:
        return must(dlz_value_new_float(rnd(4) == 0 ? -0.0f : (float)rnd(1000) / 16));
    case 6:
        return must(dlz_value_new_short((int16_t)(rnd(2) ? rnd(300) - 150 : rnd(65536))));
    case 7:
        return must(dlz_value_new_byte((int8_t)rnd(256)));
    case 8:
        return must(dlz_value_new_boolean((int)rnd(2)));
    case 9:
        return must(dlz_value_new_char((uint16_t)(rnd(2) ? rnd(200) : rnd(65536))));
    case 10: {
        unsigned char e[8 * 6];
        size_t n = rnd(7);
        for (size_t i = 0; i < sizeof e; i++) {
            e[i] = (unsigned char)rnd(256);
        }
        return must(tu_value_array((dlz_value_type)(DLZ_VALUE_BYTE_ARRAY + (int)rnd(8)), e, n));
    }
    case 11:
    case 12:
    case 13: {
        dlz_value *c = k == 11   ? must(tu_value_array(DLZ_VALUE_STRING_ARRAY, NULL, 0))
                       : k == 12 ? must(tu_value_array(DLZ_VALUE_OBJECT_ARRAY, NULL, 0))
                                 : must(dlz_value_new_list());
        size_t n = rnd(5);
        for (size_t i = 0; i < n; i++) {
            add(c, k == 11 ? (rnd(4) ? rnd_string() : must(dlz_value_new_null()))
                           : rnd_value(depth + 1));
        }
        return c;
    }
    default: {
        dlz_value *m = must(dlz_value_new_map(k == 15));
        size_t n = rnd(k == 14 ? 30 : 6);
        for (size_t i = 0; i < n; i++) {
            put(m, rnd_key(), rnd_value(depth + 1));
        }
        return m;
    }
    }
}

/* The JDK reads what we write and sees the same values. */
static void test_jdk_reads_ours(void **state) {
    (void)state;
    NEED_JDK();
    jvec *vs;
    char *storage;
    size_t nv = jdk_vectors(&vs, &storage);
    size_t cap = nv + 400, n = 0;
    char **expected = calloc(cap, sizeof *expected);
    assert_non_null(expected);
    sb cmd = {0};
    shell_quote(&cmd, J.java);
    sb_puts(&cmd, " -cp ");
    shell_quote(&cmd, J.dir);
    sb_puts(&cmd, "/classes JserVectors read");
    for (size_t i = 0; i < nv + 300; i++) {
        dlz_value *v;
        if (i < nv) {
            if (strcmp(vs[i].kind, "exact") != 0 && strcmp(vs[i].kind, "value") != 0) {
                continue;
            }
            v = parse_rendering(vs[i].text);
        } else {
            v = rnd_value(0);
        }
        size_t len;
        unsigned char *p = encode_ok(v, &len);
        char path[4200];
        snprintf(path, sizeof path, "%s/ours/%zu.ser", J.dir, n);
        tu_write_file(path, p, len);
        dlz_free(p);
        expected[n++] = render_str(v, 1);
        sb_puts(&cmd, " ");
        shell_quote(&cmd, path);
        dlz_value_free(v);
    }
    /* a deep tree and a big map too */
    dlz_value *deep = must(dlz_value_new_int(1));
    for (int i = 1; i < 120; i++) {
        dlz_value *l = must(dlz_value_new_list());
        add(l, deep);
        deep = l;
    }
    dlz_value *big = must(dlz_value_new_map(0));
    for (int i = 0; i < 2000; i++) {
        put(big, dlz_value_new_int(i * 7919), dlz_value_new_long(i));
    }
    dlz_value *extra[2] = {deep, big};
    for (int i = 0; i < 2; i++) {
        size_t len;
        unsigned char *p = encode_ok(extra[i], &len);
        char path[4200];
        snprintf(path, sizeof path, "%s/ours/%zu.ser", J.dir, n);
        tu_write_file(path, p, len);
        dlz_free(p);
        expected[n++] = render_str(extra[i], 1);
        sb_puts(&cmd, " ");
        shell_quote(&cmd, path);
        dlz_value_free(extra[i]);
    }
    sb_puts(&cmd, " > ");
    char out[4200];
    snprintf(out, sizeof out, "%s/read.txt", J.dir);
    shell_quote(&cmd, out);
    assert_int_equal(run(cmd.p), 0);
    free(cmd.p);
    size_t olen;
    unsigned char *got = tu_read_file(out, &olen);
    char *line = (char *)got;
    for (size_t i = 0; i < n; i++) {
        char *nl = strchr(line, '\n');
        if (nl == NULL) {
            fail_msg("the JDK printed %zu lines, expected %zu", i, n);
        }
        *nl = 0;
        if (strcmp(line, expected[i]) != 0) {
            fail_msg("file %zu: the JDK read\n %.400s\nexpected\n %.400s", i, line, expected[i]);
        }
        line = nl + 1;
        free(expected[i]);
    }
    print_message("the JDK read %zu streams written by libdlz\n", n);
    free(expected);
    free(got);
    free(vs);
    free(storage);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_vectors),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_api_depth),
        cmocka_unit_test(test_sharing),
        cmocka_unit_test(test_hashmap_layout),
        cmocka_unit_test(test_opaque_encode),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_flips),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_reference_bomb),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_json_out),
        cmocka_unit_test(test_json_reals_read_back),
        cmocka_unit_test(test_real_format),
        cmocka_unit_test(test_json_locale),
        cmocka_unit_test(test_json_in),
        cmocka_unit_test(test_archive),
        cmocka_unit_test(test_jdk_vectors),
        cmocka_unit_test(test_jdk_hostile),
        cmocka_unit_test(test_jdk_reads_ours),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free_hand_vectors();
    free(J.index);
    if (J.state > 0) {
        tu_rm_rf(J.dir);
    }
    return rc;
}
