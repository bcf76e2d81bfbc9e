/* test_fixtures.c - every archive DL4J wrote into fixtures/dl4j-<version>/ is
 * read by libdlz and compared with what DL4J held in memory
 * (X.expected.json, written by the generator in test/interop/): kind, entry
 * order, every coefficient and updater value (exact bytes and SHA-256),
 * every named parameter of DL4J's paramTable(), normalizer and object entries
 * byte for byte, and the normalizer and object values they decode to.
 * Output is TAP.  Usage: test_fixtures FIXTURES_DIR */
#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlz.h"
#include "testutil.h"

static int n_ok, n_fail;

static void check(int cond, const char *fmt, ...) TU_PRINTF(2, 3);
static void check(int cond, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", n_ok + n_fail + 1);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (cond) {
        n_ok++;
    } else {
        n_fail++;
    }
}

/* Big-endian bytes of all elements in logical C order, as hex. */
static char *array_hex(const dlz_array *a, unsigned char **bytes, size_t *nbytes) {
    size_t w = dlz_dtype_size(dlz_array_dtype(a));
    size_t n = (size_t)dlz_array_length(a);
    int r = dlz_array_rank(a);
    const int64_t *shape = dlz_array_shape(a), *strides = dlz_array_strides(a);
    unsigned char *b = malloc(n * w + 1);
    char *hex = malloc(2 * n * w + 1);
    const unsigned char *d = dlz_array_cdata(a);
    for (size_t i = 0; i < n; i++) {
        /* buffer position of logical element i */
        size_t rest = i;
        int64_t pos = 0;
        for (int k = r - 1; k >= 0; k--) {
            pos += (int64_t)(rest % (size_t)shape[k]) * strides[k];
            rest /= (size_t)shape[k];
        }
        const unsigned char *e = d + (size_t)pos * w;
        for (size_t j = 0; j < w; j++) {
            /* native little-endian to big-endian */
            b[i * w + j] = e[w - 1 - j];
        }
    }
    for (size_t i = 0; i < n * w; i++) {
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    }
    hex[2 * n * w] = 0;
    *bytes = b;
    *nbytes = n * w;
    return hex;
}

static void check_array(const char *name, const char *what, const dlz_array *a, json_t *exp) {
    const char *dtype = json_string_value(json_object_get(exp, "dtype"));
    json_int_t length = json_integer_value(json_object_get(exp, "length"));
    check(a != NULL && strcmp(dlz_dtype_name(dlz_array_dtype(a)), dtype) == 0, "%s %s dtype %s",
          name, what, dtype);
    if (a == NULL) {
        return;
    }
    check(dlz_array_length(a) == length, "%s %s length %lld", name, what, (long long)length);
    json_t *shape = json_object_get(exp, "shape");
    int same_shape = (int)json_array_size(shape) == dlz_array_rank(a);
    for (int k = 0; same_shape && k < dlz_array_rank(a); k++) {
        same_shape = json_integer_value(json_array_get(shape, (size_t)k)) == dlz_array_shape(a)[k];
    }
    check(same_shape, "%s %s shape as DL4J holds it", name, what);
    unsigned char *bytes;
    size_t nb;
    char *hex = array_hex(a, &bytes, &nb);
    const char *want_hex = json_string_value(json_object_get(exp, "values_hex"));
    const char *sample = json_string_value(json_object_get(exp, "sample_hex"));
    if (want_hex != NULL) {
        check(strcmp(hex, want_hex) == 0, "%s %s: all %lld values equal DL4J's", name, what,
              (long long)length);
    } else if (sample != NULL) {
        check(strncmp(hex, sample, strlen(sample)) == 0, "%s %s: sample values", name, what);
    }
    char sha[65];
    tu_sha256_hex(bytes, nb, sha);
    check(strcmp(sha, json_string_value(json_object_get(exp, "sha256"))) == 0,
          "%s %s: sha256 of the values", name, what);
    free(hex);
    free(bytes);
}

/* ---- parameters ----------------------------------------------------------- */

/* Every parameter of DL4J's paramTable(), extracted through the library's
   parameter table, has DL4J's values (DL4J's "0_W" is "0/W" here). */
static void check_params(dlz_reader *r, const char *name, json_t *params) {
    dlz_params *p = NULL;
    dlz_array *c = NULL;
    int rc = dlz_reader_read_params(r, 0, &p);
    check(rc == DLZ_OK, "%s parameter table (%s)", name,
          rc == DLZ_OK ? "ok" : dlz_reader_errmsg(r));
    if (rc != DLZ_OK || dlz_reader_read_coefficients(r, &c) != DLZ_OK || c == NULL) {
        dlz_params_free(p);
        return;
    }
    check(dlz_params_count(p) == json_object_size(params), "%s has DL4J's %zu parameters", name,
          json_object_size(params));
    const char *key;
    json_t *want;
    json_object_foreach(params, key, want) {
        char pname[256];
        snprintf(pname, sizeof pname, "%s", key);
        /* layer names may contain '_' too: try each split point */
        size_t idx = 0;
        int found = 0;
        for (char *u = strchr(pname, '_'); u != NULL && !found; u = strchr(u + 1, '_')) {
            *u = '/';
            found = dlz_params_find(p, pname, &idx) == DLZ_OK;
            if (!found) {
                *u = '_';
            }
        }
        dlz_array *a = NULL;
        if (!found || dlz_params_extract(p, idx, c, 'c', &a) != DLZ_OK) {
            check(0, "%s parameter %s found and extracted", name, key);
            continue;
        }
        unsigned char *bytes;
        size_t nb;
        char *hex = array_hex(a, &bytes, &nb);
        check(strcmp(hex, json_string_value(json_object_get(want, "values_hex"))) == 0,
              "%s parameter %s equals DL4J's paramTable() value", name, key);
        free(hex);
        free(bytes);
        dlz_array_free(a);
    }
    dlz_array_free(c);
    dlz_params_free(p);
}

/* ---- normalizers ---------------------------------------------------------- */

static void check_normalizer(dlz_reader *r, const char *name, json_t *norm, const void *raw,
                             size_t rawlen) {
    dlz_normalizer *n = NULL;
    int rc = dlz_reader_read_normalizer(r, &n);
    check(rc == DLZ_OK, "%s normalizer decodes (%s)", name,
          rc == DLZ_OK ? "ok" : dlz_reader_errmsg(r));
    if (rc != DLZ_OK) {
        return;
    }
    const char *type = json_string_value(json_object_get(norm, "type"));
    check(strcmp(dlz_normalizer_type_name(dlz_normalizer_type(n)), type) == 0,
          "%s normalizer type %s", name, type);
    void *enc = NULL;
    size_t elen = 0;
    char err[256];
    rc = dlz_normalizer_encode(n, &enc, &elen, err, sizeof err);
    check(rc == DLZ_OK && elen == rawlen && memcmp(enc, raw, rawlen) == 0,
          "%s normalizer re-encodes to DL4J's bytes", name);
    dlz_free(enc);
    dlz_normalizer_free(n);
}

/* ---- objects -------------------------------------------------------------- */

static int why_not(char *why, size_t cap, const char *what) {
    snprintf(why, cap, "%s differs", what);
    return 0;
}

static const char *hex_bits(uint64_t bits, int digits, char *buf) {
    snprintf(buf, 17, "%0*llx", digits, (unsigned long long)bits);
    return buf;
}

static int match_array(const dlz_value *v, json_t *r, char *why, size_t cap) {
    size_t n = 0;
    const void *d = dlz_value_array_data(v, &n);
    json_t *val = json_object_get(r, "value");
    json_t *bits = json_object_get(r, "bits");
    dlz_value_type t = dlz_value_type_of(v);
    if (json_array_size(val) != n) {
        return why_not(why, cap, "array length");
    }
    char hb[32];
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(val, i);
        int ok;
        if (t == DLZ_VALUE_SHORT_ARRAY) {
            ok = json_integer_value(e) == ((const int16_t *)d)[i];
        } else if (t == DLZ_VALUE_INT_ARRAY) {
            ok = json_integer_value(e) == ((const int32_t *)d)[i];
        } else if (t == DLZ_VALUE_LONG_ARRAY) {
            snprintf(hb, sizeof hb, "%lld", (long long)((const int64_t *)d)[i]);
            ok = strcmp(hb, json_string_value(e)) == 0;
        } else if (t == DLZ_VALUE_BOOLEAN_ARRAY) {
            ok = json_is_true(e) == (((const uint8_t *)d)[i] != 0);
        } else if (t == DLZ_VALUE_FLOAT_ARRAY) {
            uint32_t u;
            memcpy(&u, (const float *)d + i, 4);
            ok = strcmp(hex_bits(u, 8, hb), json_string_value(json_array_get(bits, i))) == 0;
        } else {
            uint64_t u;
            memcpy(&u, (const double *)d + i, 8);
            ok = strcmp(hex_bits(u, 16, hb), json_string_value(json_array_get(bits, i))) == 0;
        }
        if (!ok) {
            return why_not(why, cap, "array element");
        }
    }
    return 1;
}

/* Compares a decoded value with the generator's rendering of the Java
   object (fixtures/README.md, "objects"). */
static int match_value(const dlz_value *v, json_t *r, char *why, size_t cap) {
    if (json_is_null(r)) {
        return dlz_value_type_of(v) == DLZ_VALUE_NULL ? 1 : why_not(why, cap, "null");
    }
    const char *cls = json_string_value(json_object_get(r, "class"));
    json_t *val = json_object_get(r, "value");
    dlz_value_type t = dlz_value_type_of(v);
    if (cls == NULL || strcmp(cls, dlz_value_type_name(t)) != 0) {
        return why_not(why, cap, "class");
    }
    char hb[32];
    size_t n = 0;
    switch (t) {
    case DLZ_VALUE_STRING: {
        const char *s = dlz_value_string(v, &n);
        return json_string_length(val) == n && memcmp(json_string_value(val), s, n) == 0
                   ? 1
                   : why_not(why, cap, "string");
    }
    case DLZ_VALUE_CHAR: {
        const char *s = json_string_value(val);
        return s != NULL && (unsigned char)s[0] == dlz_value_integer(v) ? 1
                                                                        : why_not(why, cap, "char");
    }
    case DLZ_VALUE_INT:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
        return json_integer_value(val) == dlz_value_integer(v) ? 1 : why_not(why, cap, "integer");
    case DLZ_VALUE_LONG:
        snprintf(hb, sizeof hb, "%lld", (long long)dlz_value_integer(v));
        return strcmp(hb, json_string_value(val)) == 0 ? 1 : why_not(why, cap, "long");
    case DLZ_VALUE_BOOLEAN:
        return json_is_true(val) == (dlz_value_integer(v) != 0) ? 1 : why_not(why, cap, "boolean");
    case DLZ_VALUE_DOUBLE: {
        double d = dlz_value_real(v);
        uint64_t u;
        memcpy(&u, &d, 8);
        return strcmp(hex_bits(u, 16, hb), json_string_value(json_object_get(r, "bits"))) == 0
                   ? 1
                   : why_not(why, cap, "double bits");
    }
    case DLZ_VALUE_FLOAT: {
        float f = (float)dlz_value_real(v);
        uint32_t u;
        memcpy(&u, &f, 4);
        return strcmp(hex_bits(u, 8, hb), json_string_value(json_object_get(r, "bits"))) == 0
                   ? 1
                   : why_not(why, cap, "float bits");
    }
    case DLZ_VALUE_BYTE_ARRAY: {
        const unsigned char *b = dlz_value_array_data(v, &n);
        const char *hex = json_string_value(json_object_get(r, "hex"));
        if (hex == NULL || strlen(hex) != 2 * n) {
            return why_not(why, cap, "byte[] length");
        }
        for (size_t i = 0; i < n; i++) {
            snprintf(hb, sizeof hb, "%02x", b[i]);
            if (memcmp(hb, hex + 2 * i, 2) != 0) {
                return why_not(why, cap, "byte[] content");
            }
        }
        return 1;
    }
    case DLZ_VALUE_SHORT_ARRAY:
    case DLZ_VALUE_INT_ARRAY:
    case DLZ_VALUE_LONG_ARRAY:
    case DLZ_VALUE_BOOLEAN_ARRAY:
    case DLZ_VALUE_FLOAT_ARRAY:
    case DLZ_VALUE_DOUBLE_ARRAY:
        return match_array(v, r, why, cap);
    case DLZ_VALUE_STRING_ARRAY:
    case DLZ_VALUE_OBJECT_ARRAY:
    case DLZ_VALUE_LIST:
        if (json_array_size(val) != dlz_value_count(v)) {
            return why_not(why, cap, "list length");
        }
        for (size_t i = 0; i < dlz_value_count(v); i++) {
            if (!match_value(dlz_value_item(v, i), json_array_get(val, i), why, cap)) {
                return 0;
            }
        }
        return 1;
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP: {
        /* unordered: as many entries, and every rendered pair matches one */
        json_t *entries = json_object_get(r, "entries");
        if (json_array_size(entries) != dlz_value_count(v)) {
            return why_not(why, cap, "map size");
        }
        for (size_t i = 0; i < json_array_size(entries); i++) {
            json_t *pair = json_array_get(entries, i);
            int hit = 0;
            for (size_t k = 0; k < dlz_value_count(v) && !hit; k++) {
                char w2[256];
                hit =
                    match_value(dlz_value_map_key(v, k), json_array_get(pair, 0), w2, sizeof w2) &&
                    match_value(dlz_value_map_value(v, k), json_array_get(pair, 1), w2, sizeof w2);
            }
            if (!hit) {
                return why_not(why, cap, "map entry");
            }
        }
        return 1;
    }
    default:
        return why_not(why, cap, "value kind");
    }
}

static void check_archive(const char *path, const char *name, json_t *exp) {
    dlz_reader *r = dlz_reader_new();
    int rc = dlz_reader_open_path(r, path);
    check(rc == DLZ_OK, "%s opens (%s)", name, rc == DLZ_OK ? "ok" : dlz_reader_errmsg(r));
    if (rc != DLZ_OK) {
        dlz_reader_free(r);
        return;
    }
    const char *kind = json_string_value(json_object_get(exp, "kind"));
    check(strcmp(dlz_kind_name(dlz_reader_kind(r)), kind) == 0, "%s kind %s", name, kind);

    json_t *entries = json_object_get(exp, "entries");
    int same = (int64_t)json_array_size(entries) == dlz_reader_entry_count(r);
    for (size_t i = 0; same && i < json_array_size(entries); i++) {
        dlz_entry_info info;
        same = dlz_reader_entry_info(r, (int64_t)i, &info) == DLZ_OK &&
               strcmp(info.name, json_string_value(json_array_get(entries, i))) == 0;
    }
    check(same, "%s entries in DL4J's order", name);

    json_t *coef = json_object_get(exp, "coefficients");
    dlz_array *c = NULL;
    rc = dlz_reader_read_coefficients(r, &c);
    if (json_is_null(coef) || json_integer_value(json_object_get(coef, "length")) == 0) {
        check(rc == DLZ_OK && c == NULL, "%s has no parameters", name);
    } else {
        check(rc == DLZ_OK, "%s coefficients read (%s)", name,
              rc == DLZ_OK ? "ok" : dlz_reader_errmsg(r));
        check_array(name, "coefficients", c, coef);
    }
    dlz_array_free(c);
    json_t *params = json_object_get(exp, "params");
    if (json_object_size(params) > 0) {
        check_params(r, name, params);
    }

    json_t *upd = json_object_get(exp, "updater");
    dlz_array *u = NULL;
    rc = dlz_reader_read_updater(r, &u);
    if (json_is_null(upd)) {
        check(rc == DLZ_ENOTFOUND, "%s has no updater state", name);
    } else {
        check(rc == DLZ_OK, "%s updater state read", name);
        check_array(name, "updater state", u, upd);
    }
    dlz_array_free(u);

    json_t *norm = json_object_get(exp, "normalizer");
    void *buf = NULL;
    size_t len = 0;
    rc = dlz_reader_read_normalizer_raw(r, &buf, &len);
    check(json_is_null(norm) ? rc == DLZ_ENOTFOUND : rc == DLZ_OK, "%s normalizer.bin %s", name,
          json_is_null(norm) ? "absent" : "present");
    if (!json_is_null(norm) && rc == DLZ_OK) {
        check_normalizer(r, name, norm, buf, len);
    }
    dlz_free(buf);

    json_t *objs = json_object_get(exp, "objects");
    size_t nobj = json_is_object(objs) ? json_object_size(objs) : 0;
    check(dlz_reader_object_count(r) == (int64_t)nobj, "%s has %zu objects", name, nobj);
    const char *key;
    json_t *o;
    int64_t idx = 0;
    json_object_foreach(objs, key, o) {
        const char *k = dlz_reader_object_key(r, idx++);
        check(k != NULL && strcmp(k, key) == 0, "%s object key '%s' in order", name, key);
        buf = NULL;
        rc = dlz_reader_read_object_raw(r, key, &buf, &len);
        char sha[65] = "";
        if (rc == DLZ_OK) {
            tu_sha256_hex(buf, len, sha);
        }
        check(rc == DLZ_OK &&
                  strcmp(sha, json_string_value(json_object_get(o, "sha256_bytes"))) == 0,
              "%s object '%s': the serialized bytes DL4J wrote", name, key);
        dlz_free(buf);
        dlz_value *v = NULL;
        rc = dlz_reader_read_object(r, key, &v);
        char why[512] = "";
        int equal = rc == DLZ_OK && match_value(v, json_object_get(o, "value"), why, sizeof why);
        check(equal, "%s object '%s' decodes to DL4J's value%s%s", name, key, equal ? "" : ": ",
              rc != DLZ_OK ? dlz_reader_errmsg(r) : why);
        dlz_value_free(v);
    }
    dlz_reader_free(r);
}

static void check_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    char *names[512];
    int n = 0;
    while ((e = readdir(d)) != NULL && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".zip") == 0) {
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    for (int i = 0; i < n; i++) {
        char path[4096], jpath[4096], name[512];
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path ||
            snprintf(name, sizeof name, "%.*s", (int)strlen(names[i]) - 4, names[i]) >=
                (int)sizeof name ||
            snprintf(jpath, sizeof jpath, "%s/%s.expected.json", dir, name) >= (int)sizeof jpath) {
            check(0, "%s: path too long", names[i]);
            free(names[i]);
            continue;
        }
        json_error_t jerr;
        json_t *exp = json_load_file(jpath, JSON_ALLOW_NUL, &jerr);
        check(exp != NULL, "%s: expected values load (%s)", name, exp ? "ok" : jerr.text);
        if (exp != NULL) {
            char label[1200];
            const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
            if (snprintf(label, sizeof label, "%.500s/%s", base, name) >= (int)sizeof label) {
                label[sizeof label - 1] = '\0';
            }
            check_archive(path, label, exp);
            json_decref(exp);
        }
        free(names[i]);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_fixtures FIXTURES_DIR\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (d == NULL) {
        printf("not ok 1 - no fixtures folder %s\n", argv[1]);
        return 1;
    }
    struct dirent *e;
    int dirs = 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "dl4j-", 5) == 0) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[1], e->d_name);
            check_dir(p);
            dirs++;
        }
    }
    closedir(d);
    check(dirs >= 2, "fixtures of %d DL4J versions", dirs);
    printf("1..%d\n", n_ok + n_fail);
    printf("# %d passed, %d failed\n", n_ok, n_fail);
    return n_fail != 0;
}
