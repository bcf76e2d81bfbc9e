/* test_java.c - the Java module (src/java.c) against the JDK itself.
 *
 * test/java/JavaVectors.java, compiled with javac at run time, prints what
 * the JDK computes: the table length, threshold and iteration order of
 * HashMaps and HashSets filled by put() (colliding keys below and above 64
 * buckets, resize points, trees split by a resize), the bytes
 * ObjectOutputStream writes for HashMaps whose keys share a bucket,
 * String.hashCode() and the other hashCode()s, compareTo() / compare() /
 * Math.max(), DataOutputStream.writeUTF() and DataInputStream.readUTF()
 * bytes, and strict UTF-8 decoding.  Every line is compared element by
 * element with what the C functions give for the same input, and the
 * HashMap orders also with the order in which an encoded MULTI_HYBRID
 * normalizer lists its entries.
 *
 * Environment: DLZ_JAVA / DLZ_JAVAC (default: java / javac from PATH),
 * DLZ_JAVA_VECTORS_SRC (default:
 * $DLZ_SOURCE_ROOT/test/java/JavaVectors.java).  Without a JDK every test
 * reports "skipped: no JDK". */
#include "testutil.h"

#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Running the JDK                                                           */

static struct {
    int state; /* 0 not tried, 1 ready, -1 no JDK */
    char *text;
    char **lines;
    size_t nlines;
} J;

/* Appends s single-quoted for the shell. */
static void quote(char *cmd, size_t cap, const char *s) {
    size_t o = strlen(cmd);
    if (o + 1 < cap) {
        cmd[o++] = '\'';
    }
    for (; *s != '\0' && o + 5 < cap; s++) {
        if (*s == '\'') {
            memcpy(cmd + o, "'\\''", 4);
            o += 4;
        } else {
            cmd[o++] = *s;
        }
    }
    if (o + 1 < cap) {
        cmd[o++] = '\'';
    }
    cmd[o] = '\0';
}

static void append(char *cmd, size_t cap, const char *s) {
    size_t o = strlen(cmd);
    snprintf(cmd + o, cap - o, "%s", s);
}

static const char *vectors_source(void) {
    static char path[4096];
    const char *e = getenv("DLZ_JAVA_VECTORS_SRC");
    if (e != NULL && *e != '\0') {
        return e;
    }
    const char *root = getenv("DLZ_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/test/java/JavaVectors.java", root ? root : ".");
    return path;
}

/* Compiles and runs JavaVectors once; returns 0 without a JDK. */
static int jdk_ready(void) {
    if (J.state != 0) {
        return J.state > 0;
    }
    char java[4096], javac[4096];
    J.state = -1;
    if (!tu_find_program("DLZ_JAVA", "java", java, sizeof java) ||
        !tu_find_program("DLZ_JAVAC", "javac", javac, sizeof javac)) {
        return 0;
    }
    char *dir = tu_mkdtemp();
    static char cmd[20000];
    cmd[0] = '\0';
    quote(cmd, sizeof cmd, javac);
    append(cmd, sizeof cmd, " -encoding UTF-8 -d ");
    quote(cmd, sizeof cmd, dir);
    append(cmd, sizeof cmd, " ");
    quote(cmd, sizeof cmd, vectors_source());
    append(cmd, sizeof cmd, " && ");
    quote(cmd, sizeof cmd, java);
    /* the test reads HashMap's table and threshold fields */
    append(cmd, sizeof cmd, " --add-opens java.base/java.util=ALL-UNNAMED -cp ");
    quote(cmd, sizeof cmd, dir);
    append(cmd, sizeof cmd, " JavaVectors > ");
    quote(cmd, sizeof cmd, dir);
    append(cmd, sizeof cmd, "/out.txt");
    int rc = system(cmd);
    if (rc != 0) {
        tu_rm_rf(dir);
        free(dir);
        fail_msg("the JDK is present but JavaVectors could not be compiled or run (%d): %.300s", rc,
                 cmd);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    size_t len;
    J.text = (char *)tu_read_file(path, &len);
    tu_rm_rf(dir);
    free(dir);
    size_t cap = 1024;
    J.lines = malloc(cap * sizeof *J.lines);
    assert_non_null(J.lines);
    for (char *line = strtok(J.text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (J.nlines == cap) {
            cap *= 2;
            J.lines = realloc(J.lines, cap * sizeof *J.lines);
            assert_non_null(J.lines);
        }
        J.lines[J.nlines++] = line;
    }
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

/* A line split into space-separated fields (a copy, freed by fields_free). */
typedef struct fields {
    char *copy;
    char **f;
    size_t n;
} fields;

static fields split(const char *line) {
    fields r;
    r.copy = malloc(strlen(line) + 1);
    assert_non_null(r.copy);
    strcpy(r.copy, line);
    size_t cap = 8;
    r.f = malloc(cap * sizeof *r.f);
    assert_non_null(r.f);
    r.n = 0;
    for (char *t = strtok(r.copy, " "); t != NULL; t = strtok(NULL, " ")) {
        if (r.n == cap) {
            cap *= 2;
            r.f = realloc(r.f, cap * sizeof *r.f);
            assert_non_null(r.f);
        }
        r.f[r.n++] = t;
    }
    return r;
}

static void fields_free(fields *r) {
    free(r->f);
    free(r->copy);
}

/* The vectors of one kind (the first field), in order. */
static size_t each(const char *kind, fields **out) {
    size_t n = 0;
    *out = malloc((J.nlines + 1) * sizeof **out);
    assert_non_null(*out);
    size_t kl = strlen(kind);
    for (size_t i = 0; i < J.nlines; i++) {
        if (strncmp(J.lines[i], kind, kl) == 0 && J.lines[i][kl] == ' ') {
            (*out)[n++] = split(J.lines[i]);
        }
    }
    return n;
}

static void each_free(fields *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        fields_free(&v[i]);
    }
    free(v);
}

/* ------------------------------------------------------------------------ */
/* Tokens                                                                    */

static uint64_t hex64(const char *s) {
    char *end;
    uint64_t v = strtoull(s, &end, 16);
    assert_true(*s != '\0' && *end == '\0');
    return v;
}

static int64_t dec64(const char *s) {
    char *end;
    long long v = strtoll(s, &end, 10);
    assert_true(*s != '\0' && *end == '\0');
    return v;
}

/* "u:" tokens: UTF-16 units in hex joined by '.', "-" for none. */
static size_t units_of(const char *tok, uint32_t *u, size_t cap) {
    size_t n = 0;
    if (strcmp(tok, "-") == 0) {
        return 0;
    }
    for (const char *p = tok; *p != '\0';) {
        char *end;
        unsigned long v = strtoul(p, &end, 16);
        assert_true(end != p && v <= 0xFFFF && n < cap);
        u[n++] = (uint32_t)v;
        p = *end == '.' ? end + 1 : end;
    }
    return n;
}

/* Code points joined by '.', "-" for none. */
static size_t cps_of(const char *tok, uint32_t *cp, size_t cap) {
    size_t n = 0;
    if (strcmp(tok, "-") == 0) {
        return 0;
    }
    for (const char *p = tok; *p != '\0';) {
        char *end;
        unsigned long v = strtoul(p, &end, 16);
        assert_true(end != p && v <= 0x10FFFF && n < cap);
        cp[n++] = (uint32_t)v;
        p = *end == '.' ? end + 1 : end;
    }
    return n;
}

/* The test's own encoder: code point cp as UTF-8 (3 bytes for a surrogate). */
static size_t put_cp(unsigned char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A Java string as the library holds it: UTF-8, pairs joined, a lone
   surrogate as its 3 bytes.  Returns the length; s has room for 4 * n. */
static size_t wtf8_of_units(const uint32_t *u, size_t n, char *s) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = u[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
            i++;
        }
        o += put_cp((unsigned char *)s + o, c);
    }
    return o;
}

/* Bytes of a "b:" token ("-" for none); malloc'ed. */
static unsigned char *bytes_of(const char *tok, size_t *n) {
    if (strcmp(tok, "-") == 0) {
        *n = 0;
        return calloc(1, 1);
    }
    unsigned char *b = tu_unhex(tok, n);
    assert_non_null(b);
    return b;
}

/* The test's own decoder of UTF-8 with surrogates to UTF-16 units. */
static size_t units_of_wtf8(const unsigned char *s, size_t n, uint32_t *u) {
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        uint32_t cp;
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        assert_true(i + len <= n);
        cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        for (size_t j = 1; j < len; j++) {
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp >= 0x10000) {
            u[k++] = 0xD800 + ((cp - 0x10000) >> 10);
            u[k++] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
        } else {
            u[k++] = cp;
        }
        i += len;
    }
    return k;
}

static int sign(int v) {
    return v < 0 ? -1 : v > 0;
}

/* ------------------------------------------------------------------------ */
/* HashMap and HashSet                                                       */

typedef struct strkeys {
    char **s;
    size_t *n;
} strkeys;

static int str_cmp(void *ctx, size_t a, size_t b) {
    const strkeys *k = ctx;
    return dlzi_java_string_compare(k->s[a], k->n[a], k->s[b], k->n[b]);
}

/* Compares dlzi_java_hashmap() with one map / smap line: table length,
   threshold, then the order position by position. */
static void check_map(const fields *v, int strings) {
    const char *name = v->f[1];
    uint32_t buckets = (uint32_t)dec64(v->f[2]), threshold = (uint32_t)dec64(v->f[3]);
    size_t n = (size_t)dec64(v->f[4]);
    assert_int_equal(v->n, 5 + 2 * n);
    uint32_t *hash = malloc((n + 1) * sizeof *hash);
    size_t *order = malloc((n + 1) * sizeof *order);
    strkeys keys = {calloc(n + 1, sizeof(char *)), calloc(n + 1, sizeof(size_t))};
    assert_true(hash != NULL && order != NULL && keys.s != NULL && keys.n != NULL);
    for (size_t i = 0; i < n; i++) {
        const char *tok = v->f[5 + i];
        if (strings) {
            uint32_t u[64];
            size_t nu = units_of(tok, u, 64);
            keys.s[i] = malloc(4 * nu + 1);
            assert_non_null(keys.s[i]);
            keys.n[i] = wtf8_of_units(u, nu, keys.s[i]);
            hash[i] = dlzi_java_string_hash(keys.s[i], keys.n[i]);
        } else {
            hash[i] = dlzi_java_int_hash((int32_t)dec64(tok));
        }
    }
    dlzi_java_map jm;
    /* Integer keys are distinct, so are their hashes: no compare needed */
    assert_int_equal(dlzi_java_hashmap(hash, NULL, n, strings ? str_cmp : NULL, &keys, order, &jm),
                     DLZ_OK);
    if (jm.buckets != buckets || jm.threshold != threshold) {
        fail_msg("%s: %" PRIu32 " buckets, threshold %" PRIu32 "; Java has %" PRIu32
                 " and %" PRIu32,
                 name, jm.buckets, jm.threshold, buckets, threshold);
    }
    assert_true(jm.ordered && jm.exact);
    for (size_t i = 0; i < n; i++) {
        size_t want = (size_t)dec64(v->f[5 + n + i]);
        if (order[i] != want) {
            fail_msg("%s: position %zu of the iteration is key %zu, Java's is key %zu", name, i,
                     order[i], want);
        }
    }
    if (!strings && strncmp(name, "seq-", 4) == 0 && n > 0) {
        /* Keys 0..n-1 have buckets of their own, so one of them replaced by
           a key with an identity hash (which cannot make a bucket grow past
           two) leaves Java's table as it is; the order becomes unknown. */
        unsigned char *known = malloc(n);
        assert_non_null(known);
        memset(known, 1, n);
        known[n / 2] = 0;
        assert_int_equal(dlzi_java_hashmap(hash, known, n, NULL, NULL, order, &jm), DLZ_OK);
        assert_int_equal(jm.buckets, buckets);
        assert_int_equal(jm.threshold, threshold);
        assert_false(jm.ordered);
        assert_false(jm.exact);
        free(known);
    }
    for (size_t i = 0; i < n; i++) {
        free(keys.s[i]);
    }
    free(keys.s);
    free(keys.n);
    free(hash);
    free(order);
}

static void test_hashmap_order(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t n = each("map", &v), trees = 0;
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        check_map(&v[i], 0);
        trees += (size_t)dec64(v[i].f[2]) >= 64;
    }
    assert_true(trees > 10);
    each_free(v, n);
    n = each("smap", &v);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        check_map(&v[i], 1);
    }
    each_free(v, n);
}

/* A key of a "ser" line as a value. */
static dlz_value *key_of(const char *tok) {
    const char *a = tok + 2;
    if (strcmp(tok, "N") == 0) {
        return dlz_value_new_null();
    }
    assert_true(strlen(tok) >= 2 && tok[1] == ':');
    switch (tok[0]) {
    case 'I':
        return dlz_value_new_int((int32_t)dec64(a));
    case 'L':
        return dlz_value_new_long(dec64(a));
    case 'S':
        return dlz_value_new_short((int16_t)dec64(a));
    case 'B':
        return dlz_value_new_byte((int8_t)dec64(a));
    case 'C':
        return dlz_value_new_char((uint16_t)hex64(a));
    case 'Z':
        return dlz_value_new_boolean(dec64(a) != 0);
    case 'F': {
        uint32_t bits = (uint32_t)hex64(a);
        float f;
        memcpy(&f, &bits, 4);
        return dlz_value_new_float(f);
    }
    case 'D': {
        uint64_t bits = hex64(a);
        double d;
        memcpy(&d, &bits, 8);
        return dlz_value_new_double(d);
    }
    case 'U': {
        uint32_t u[64];
        char s[256];
        size_t n = wtf8_of_units(u, units_of(a, u, 64), s);
        return tu_value_string(s, n);
    }
    case 'M':
        return dlz_value_new_map(0);
    case 'A': {
        dlz_value *l = dlz_value_new_list();
        assert_non_null(l);
        assert_int_equal(dlz_value_append(l, dlz_value_new_int((int32_t)dec64(a))), DLZ_OK);
        return l;
    }
    default:
        fail_msg("unknown key token %s", tok);
        return NULL;
    }
}

/* HashMaps whose keys share a bucket (trees ordered by compareTo(), class
   names, null first), built through the C API, encode to the bytes
   ObjectOutputStream writes. */
static void test_serialized_maps(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t nv = each("ser", &v);
    assert_true(nv >= 6);
    for (size_t i = 0; i < nv; i++) {
        const char *name = v[i].f[1];
        size_t n = (size_t)dec64(v[i].f[2]);
        assert_int_equal(v[i].n, 4 + n);
        dlz_value *m = dlz_value_new_map(strncmp(name, "linked-", 7) == 0);
        assert_non_null(m);
        for (size_t k = 0; k < n; k++) {
            dlz_value *key = key_of(v[i].f[3 + k]), *val = dlz_value_new_int((int32_t)k);
            assert_true(key != NULL && val != NULL);
            assert_int_equal(dlz_value_map_put(m, key, val), DLZ_OK);
        }
        size_t wlen, glen;
        unsigned char *want = bytes_of(v[i].f[3 + n], &wlen);
        void *got;
        char err[256];
        assert_int_equal(dlz_value_encode(m, &got, &glen, err, sizeof err), DLZ_OK);
        size_t at = 0;
        while (at < wlen && at < glen && ((unsigned char *)got)[at] == want[at]) {
            at++;
        }
        if (at != wlen || at != glen) {
            fail_msg("%s: %zu bytes, Java wrote %zu; the first difference is at byte %zu", name,
                     glen, wlen, at);
        }
        free(want);
        dlz_free(got);
        dlz_value_free(m);
    }
    each_free(v, nv);
}

/* A MULTI_HYBRID normalizer changed by a builder writes its strategy map in
   Java's HashMap<Integer, ...> order (read back in stream order). */
static void test_normalizer_map_order(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t nv = each("map", &v), done = 0;
    for (size_t i = 0; i < nv; i++) {
        size_t n = (size_t)dec64(v[i].f[4]);
        if (strncmp(v[i].f[1], "set-", 4) == 0 || n == 0 || n > 3000) {
            continue;
        }
        dlz_normalizer *h = dlz_normalizer_new_hybrid();
        assert_non_null(h);
        char err[256];
        for (size_t k = 0; k < n; k++) {
            int idx = (int)dec64(v[i].f[5 + k]);
            assert_int_equal(dlz_normalizer_hybrid_set_strategy(
                                 h, 0, idx, DLZ_NORM_STRATEGY_STANDARDIZE, 0, 0, err, sizeof err),
                             DLZ_OK);
        }
        void *bytes;
        size_t len;
        dlz_normalizer *back;
        assert_int_equal(dlz_normalizer_encode(h, &bytes, &len, err, sizeof err), DLZ_OK);
        assert_int_equal(dlz_normalizer_decode(bytes, len, &back, err, sizeof err), DLZ_OK);
        assert_int_equal(dlz_normalizer_hybrid_strategy_count(back, 0), (int)n);
        for (size_t k = 0; k < n; k++) {
            int idx;
            assert_int_equal(
                dlz_normalizer_hybrid_strategy_entry(back, 0, (int)k, &idx, NULL, NULL, NULL),
                DLZ_OK);
            const char *want = v[i].f[5 + (size_t)dec64(v[i].f[5 + n + k])];
            if (idx != (int)dec64(want)) {
                fail_msg("%s: entry %zu is index %d, Java's HashMap has %s there", v[i].f[1], k,
                         idx, want);
            }
        }
        dlz_free(bytes);
        dlz_normalizer_free(back);
        dlz_normalizer_free(h);
        done++;
    }
    assert_true(done >= 30);
    each_free(v, nv);
}

/* ------------------------------------------------------------------------ */
/* hashCode(), compareTo(), compare(), max()                                 */

static void test_hashes(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t n = each("strhash", &v);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        uint32_t u[256];
        char s[1024];
        size_t len = wtf8_of_units(u, units_of(v[i].f[1], u, 256), s);
        assert_int_equal(dlzi_java_string_hash(s, len), (uint32_t)dec64(v[i].f[2]));
    }
    each_free(v, n);
    n = each("hash", &v);
    int seen[5] = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        const char *t = v[i].f[1], *x = v[i].f[2];
        uint32_t want = (uint32_t)dec64(v[i].f[3]), got;
        if (strcmp(t, "I") == 0) {
            got = dlzi_java_int_hash((int32_t)dec64(x));
            seen[0]++;
        } else if (strcmp(t, "L") == 0) {
            got = dlzi_java_long_hash(dec64(x));
            seen[1]++;
        } else if (strcmp(t, "D") == 0) {
            uint64_t bits = hex64(x);
            double d;
            memcpy(&d, &bits, 8);
            got = dlzi_java_double_hash(d);
            seen[2]++;
        } else if (strcmp(t, "F") == 0) {
            uint32_t bits = (uint32_t)hex64(x);
            float f;
            memcpy(&f, &bits, 4);
            got = dlzi_java_float_hash(f);
            seen[3]++;
        } else {
            assert_string_equal(t, "Z");
            got = dlzi_java_boolean_hash((int)dec64(x));
            seen[4]++;
        }
        if (got != want) {
            fail_msg("%s %s: hashCode() %" PRIu32 ", Java %" PRIu32, t, x, got, want);
        }
    }
    for (int k = 0; k < 5; k++) {
        assert_true(seen[k] >= 2);
    }
    each_free(v, n);
}

static void test_compare(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t n = each("strcmp", &v);
    assert_true(n >= 100);
    for (size_t i = 0; i < n; i++) {
        uint32_t ua[64], ub[64];
        char a[256], b[256];
        size_t an = wtf8_of_units(ua, units_of(v[i].f[1], ua, 64), a);
        size_t bn = wtf8_of_units(ub, units_of(v[i].f[2], ub, 64), b);
        int got = sign(dlzi_java_string_compare(a, an, b, bn));
        if (got != (int)dec64(v[i].f[3])) {
            fail_msg("compareTo(%s, %s) = %d, Java %s", v[i].f[1], v[i].f[2], got, v[i].f[3]);
        }
    }
    each_free(v, n);
    n = each("dcmp", &v);
    assert_true(n >= 50);
    for (size_t i = 0; i < n; i++) {
        uint64_t xa = hex64(v[i].f[1]), xb = hex64(v[i].f[2]);
        double a, b;
        memcpy(&a, &xa, 8);
        memcpy(&b, &xb, 8);
        assert_int_equal(sign(dlzi_java_double_compare(a, b)), (int)dec64(v[i].f[3]));
    }
    each_free(v, n);
    n = each("fcmp", &v);
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        uint32_t xa = (uint32_t)hex64(v[i].f[1]), xb = (uint32_t)hex64(v[i].f[2]);
        float a, b;
        memcpy(&a, &xa, 4);
        memcpy(&b, &xb, 4);
        assert_int_equal(sign(dlzi_java_float_compare(a, b)), (int)dec64(v[i].f[3]));
    }
    each_free(v, n);
    n = each("max", &v);
    assert_true(n >= 50);
    for (size_t i = 0; i < n; i++) {
        uint64_t xa = hex64(v[i].f[1]), xb = hex64(v[i].f[2]), bits;
        double a, b;
        memcpy(&a, &xa, 8);
        memcpy(&b, &xb, 8);
        double m = dlzi_java_max(a, b);
        memcpy(&bits, &m, 8);
        if (bits != hex64(v[i].f[3])) {
            fail_msg("max(%s, %s) = %" PRIx64 ", Java %s", v[i].f[1], v[i].f[2], bits, v[i].f[3]);
        }
    }
    each_free(v, n);
}

/* ------------------------------------------------------------------------ */
/* Modified UTF-8 and UTF-8                                                  */

/* writeUTF(): the bytes, or an error past 65535 bytes. */
static void test_write_utf(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t n = each("writeutf", &v), errors = 0;
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        size_t cap = strlen(v[i].f[1]) + 1; /* more units than the token has bytes? never */
        uint32_t *u = malloc(cap * sizeof *u);
        char *s = malloc(4 * cap + 1);
        assert_true(u != NULL && s != NULL);
        size_t nu = units_of(v[i].f[1], u, cap);
        size_t len = wtf8_of_units(u, nu, s);
        uint64_t bytes, units;
        dlzi_java_mutf_size(s, len, &bytes, &units);
        assert_int_equal(units, nu);
        if (strcmp(v[i].f[2], "error") == 0) {
            assert_true(bytes > 0xFFFF);
            errors++;
        } else {
            size_t wlen;
            unsigned char *want = bytes_of(v[i].f[2], &wlen);
            unsigned char *got = malloc(bytes + 2);
            assert_non_null(got);
            assert_true(bytes <= 0xFFFF);
            dlzi_put_be16(got, (uint16_t)bytes);
            assert_int_equal(dlzi_java_mutf_encode(s, len, got + 2), bytes);
            assert_int_equal(bytes + 2, wlen);
            assert_memory_equal(got, want, wlen);
            free(got);
            free(want);
        }
        free(u);
        free(s);
    }
    assert_true(errors >= 1 && errors < n);
    each_free(v, n);
}

/* readUTF(): dlzi_rd_utf() and dlzi_java_mutf_decode() accept what Java
   accepts and give its UTF-16 units; dlzi_java_mutf_check_plain() accepts
   exactly the names whose bytes are their plain UTF-8 without NUL or
   surrogates. */
static void test_read_utf(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t n = each("readutf", &v), errors = 0, plain = 0;
    assert_true(n >= 20);
    dlzi_rd *rd = malloc(sizeof *rd);
    assert_non_null(rd);
    for (size_t i = 0; i < n; i++) {
        size_t blen;
        unsigned char *b = bytes_of(v[i].f[1], &blen);
        dlzi_err err;
        dlzi_err_clear(&err);
        dlzi_memin m;
        dlzi_memin_init(&m, b, blen, &err);
        dlzi_rd_init(rd, &m.in, (int64_t)blen, "vector", &err);
        char raw[300], out[301];
        size_t len, outlen, bad;
        int64_t at;
        assert_int_equal(dlzi_rd_utf(rd, "a string", raw, sizeof raw, &len, &at), DLZ_OK);
        assert_int_equal(at, 0);
        assert_int_equal(len + 2, blen);
        int rc = dlzi_java_mutf_decode((const unsigned char *)raw, len, out, &outlen, &bad);
        const char *why;
        int plain_rc = dlzi_java_mutf_check_plain((const unsigned char *)raw, len, &why);
        if (strcmp(v[i].f[2], "error") == 0) {
            if (rc == DLZI_UTF8_OK) {
                fail_msg("readutf %s: decoded, Java throws", v[i].f[1]);
            }
            assert_true(bad < len);
            assert_int_equal(plain_rc, DLZ_EFORMAT);
            errors++;
        } else {
            if (rc != DLZI_UTF8_OK) {
                fail_msg("readutf %s: failed at byte %zu, Java reads %s", v[i].f[1], bad,
                         v[i].f[2]);
            }
            uint32_t want[300], got[300];
            size_t nw = units_of(v[i].f[2], want, 300);
            size_t ng = units_of_wtf8((const unsigned char *)out, outlen, got);
            assert_int_equal(ng, nw);
            for (size_t k = 0; k < nw; k++) {
                assert_int_equal(got[k], want[k]);
            }
            /* plain: no U+0000, no surrogate, the bytes are the UTF-8 */
            int expect_plain = 1;
            for (size_t k = 0; k < nw; k++) {
                expect_plain &= want[k] != 0 && (want[k] < 0xD800 || want[k] > 0xDFFF);
            }
            char utf8[1200];
            size_t un = wtf8_of_units(want, nw, utf8);
            expect_plain &= un == len && memcmp(utf8, raw, len) == 0;
            assert_int_equal(plain_rc, expect_plain ? DLZ_OK : DLZ_EUNSUPPORTED);
            plain += (size_t)expect_plain;
        }
        free(b);
    }
    free(rd);
    assert_true(errors >= 5 && plain >= 3 && errors + plain < n);
    each_free(v, n);
}

/* Strict UTF-8 (configuration, object keys): what Java's decoder with
   REPORT accepts, with its code points. */
static void test_utf8(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t n = each("utf8", &v), errors = 0;
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        size_t blen;
        unsigned char *b = bytes_of(v[i].f[1], &blen);
        int java_ok = strcmp(v[i].f[2], "error") != 0;
        size_t bad = SIZE_MAX;
        int rc = dlzi_utf8_check((const char *)b, blen, 0, &bad);
        if ((rc == DLZI_UTF8_OK) != java_ok) {
            fail_msg("utf8 %s: %s, Java: %s", v[i].f[1], rc == DLZI_UTF8_OK ? "valid" : "invalid",
                     v[i].f[2]);
        }
        if (java_ok) {
            uint32_t want[64], cp;
            size_t nw = cps_of(v[i].f[2], want, 64), k = 0;
            for (size_t at = 0; at < blen; k++) {
                assert_int_equal(dlzi_utf8_next(b, blen, &at, &cp, 0), DLZI_UTF8_OK);
                assert_true(k < nw);
                assert_int_equal(cp, want[k]);
            }
            assert_int_equal(k, nw);
        } else {
            assert_true(bad < blen);
            errors++;
        }
        free(b);
    }
    assert_true(errors >= 10 && errors < n);
    each_free(v, n);
}

/* UTF-8 with 3-byte surrogates (Java strings as the library holds them):
   decoded with DLZI_UTF8_SURROGATES to String.codePoints(), rejected by the
   strict decoder exactly when a lone surrogate is there, and re-encoded by
   dlzi_utf8_put() to the same bytes. */
static void test_wtf8(void **state) {
    (void)state;
    NEED_JDK();
    fields *v;
    size_t n = each("wtf8", &v), lone = 0;
    assert_true(n >= 8);
    for (size_t i = 0; i < n; i++) {
        size_t blen;
        unsigned char *b = bytes_of(v[i].f[1], &blen);
        uint32_t want[64], cp;
        size_t nw = cps_of(v[i].f[2], want, 64), k = 0;
        unsigned char again[256];
        size_t o = 0;
        for (size_t at = 0; at < blen; k++) {
            assert_int_equal(dlzi_utf8_next(b, blen, &at, &cp, DLZI_UTF8_SURROGATES), DLZI_UTF8_OK);
            assert_true(k < nw && o + 4 <= sizeof again);
            assert_int_equal(cp, want[k]);
            o += dlzi_utf8_put(again + o, cp);
        }
        assert_int_equal(k, nw);
        assert_int_equal(o, blen);
        assert_memory_equal(again, b, blen);
        int has_lone = (int)dec64(v[i].f[3]);
        assert_int_equal(dlzi_utf8_check((const char *)b, blen, 0, NULL) != DLZI_UTF8_OK, has_lone);
        lone += (size_t)has_lone;
        free(b);
    }
    assert_true(lone >= 2 && lone < n);
    each_free(v, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashmap_order),
        cmocka_unit_test(test_serialized_maps),
        cmocka_unit_test(test_normalizer_map_order),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_write_utf),
        cmocka_unit_test(test_read_utf),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_wtf8),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(J.lines);
    free(J.text);
    return rc;
}
