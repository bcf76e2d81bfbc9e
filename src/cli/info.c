/* info.c - "dlz info": what an archive or a bare array file holds.
 *
 * Everything is first gathered into one JSON object; --json prints it, the
 * text form is rendered from the same object, so both always agree.
 */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char cli_info_usage[] =
    "Usage: dlz info [--json] [--no-updater] FILE\n"
    "\n"
    "Shows what FILE holds: a model archive (its kind, entries, a summary of the\n"
    "coefficients and of the updater state, the normalizer type and the object\n"
    "keys) or a bare ND4J array file (a summary of the array).  Summaries give\n"
    "data type, shape, strides, order, length, record format and the sum,\n"
    "minimum and maximum of the values.  FILE '-' reads standard input.\n"
    "\n"
    "Options:\n"
    "  --json         print one JSON object instead of text\n"
    "  --no-updater   do not read updaterState.bin; only tell whether it exists\n"
    "  -h, --help     show this help and exit\n";

typedef struct info_opts {
    int json;
    int no_updater;
    const char *path;
} info_opts;

/* ---- JSON building -------------------------------------------------------- */

/* A JSON string for text from the file.  Names in an archive need not be
   UTF-8: invalid text is shown with its non-ASCII bytes replaced by '?'. */
static json_t *text_value(const char *s) {
    json_t *v = json_string(s);
    if (v != NULL) {
        return v;
    }
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (copy == NULL) {
        return NULL;
    }
    for (size_t i = 0; i <= n; i++) {
        copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    }
    v = json_string(copy);
    free(copy);
    return v;
}

/* Adds @p value under @p key; consumes a NULL value as an error. */
static int put(json_t *obj, const char *key, json_t *value) {
    return value != NULL && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static int append(json_t *arr, json_t *value) {
    return value != NULL && json_array_append_new(arr, value) == 0 ? 0 : -1;
}

static json_t *int_list(const int64_t *v, int n) {
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < n; i++) {
        if (append(arr, json_integer((json_int_t)v[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* A finite number, or null (JSON has no NaN or infinity). */
static json_t *real_or_null(double d) {
    return isfinite(d) ? json_real(d) : json_null();
}

typedef struct stats {
    double sum, min, max;
    int64_t nan_count, inf_count;
} stats;

/* |x| without libm (the tool is not linked with it). */
static double magnitude(double x) {
    return x < 0 ? -x : x;
}

/* Sum (compensated, Neumaier), minimum and maximum over @p n values. */
static void compute_stats(const double *v, size_t n, stats *s) {
    double sum = 0.0, comp = 0.0;
    s->min = INFINITY;
    s->max = -INFINITY;
    s->nan_count = 0;
    s->inf_count = 0;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (isnan(x)) {
            s->nan_count++;
            continue;
        }
        if (isinf(x)) {
            s->inf_count++;
        }
        double t = sum + x;
        if (magnitude(sum) >= magnitude(x)) {
            comp += (sum - t) + x;
        } else {
            comp += (x - t) + sum;
        }
        sum = t;
        s->min = x < s->min ? x : s->min;
        s->max = x > s->max ? x : s->max;
    }
    s->sum = s->inf_count > 0 ? sum : sum + comp;
}

static int put_stats(json_t *obj, const dlz_array *a) {
    int64_t len = dlz_array_length(a);
    if (len < 0 || (uint64_t)len > SIZE_MAX / sizeof(double)) {
        return -1;
    }
    size_t n = (size_t)len;
    double *v = malloc(n > 0 ? n * sizeof *v : 1);
    if (v == NULL || dlz_array_to_f64(a, v, n) != DLZ_OK) {
        free(v);
        return -1;
    }
    stats s;
    compute_stats(v, n, &s);
    free(v);
    int bad = s.nan_count > 0;
    int rc = 0;
    rc |= put(obj, "sum", bad ? json_null() : real_or_null(s.sum));
    rc |= put(obj, "min", bad || n == 0 ? json_null() : real_or_null(s.min));
    rc |= put(obj, "max", bad || n == 0 ? json_null() : real_or_null(s.max));
    if (s.nan_count > 0) {
        rc |= put(obj, "nan_count", json_integer((json_int_t)s.nan_count));
    }
    if (s.inf_count > 0) {
        rc |= put(obj, "inf_count", json_integer((json_int_t)s.inf_count));
    }
    return rc;
}

/* {"dtype", "shape", "strides", "order", "length", "generation",
   "compressed", "sum", "min", "max"[, "nan_count"][, "inf_count"]} */
static json_t *array_summary(const dlz_array *a) {
    json_t *obj = json_object();
    if (obj == NULL) {
        return NULL;
    }
    const char *dtype = dlz_dtype_name(dlz_array_dtype(a));
    const char *gen = dlz_generation_name(dlz_array_generation(a));
    char order[2] = {dlz_array_order(a), '\0'};
    int rank = dlz_array_rank(a);
    int rc = 0;
    rc |= put(obj, "dtype", json_string(dtype != NULL ? dtype : "UNKNOWN"));
    rc |= put(obj, "shape", int_list(dlz_array_shape(a), rank));
    rc |= put(obj, "strides", int_list(dlz_array_strides(a), rank));
    rc |= put(obj, "order", text_value(order));
    rc |= put(obj, "length", json_integer((json_int_t)dlz_array_length(a)));
    rc |= put(obj, "generation", json_string(gen != NULL ? gen : "UNKNOWN"));
    rc |= put(obj, "compressed", json_boolean(dlz_array_was_compressed(a)));
    if (rc != 0 || put_stats(obj, a) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *method_value(int method) {
    switch (method) {
    case DLZ_METHOD_STORE:
        return json_string("store");
    case DLZ_METHOD_DEFLATE:
        return json_string("deflate");
    default:
        return json_integer(method);
    }
}

/* Reads a Java writeUTF string at *pos: on success returns its bytes and
   length and moves *pos past it. */
static const unsigned char *java_utf(const unsigned char *b, size_t n, size_t *pos, size_t *len) {
    if (n - *pos < 2) {
        return NULL;
    }
    size_t l = (size_t)b[*pos] << 8 | b[*pos + 1];
    if (n - *pos - 2 < l) {
        return NULL;
    }
    const unsigned char *s = b + *pos + 2;
    *pos += 2 + l;
    *len = l;
    return s;
}

/* 1 if the bytes are a plausible Java name (printable ASCII, not empty). */
static int is_name(const unsigned char *s, size_t len) {
    if (len == 0 || len > 1024) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static json_t *name_value(const unsigned char *s, size_t len) {
    return json_stringn((const char *)s, len);
}

/* The normalizer type from the first bytes of normalizer.bin (FORMAT C.1):
   UTF "NORMALIZER", i32 version 1, UTF type [, UTF strategy class]. */
static json_t *normalizer_type(const unsigned char *b, size_t n, json_t **klass) {
    *klass = NULL;
    if (n >= 4 && b[0] == 0xAC && b[1] == 0xED && b[2] == 0x00 && b[3] == 0x05) {
        return json_string("JAVA_SERIALIZED");
    }
    size_t pos = 0, len;
    const unsigned char *s = java_utf(b, n, &pos, &len);
    if (s == NULL || len != 10 || memcmp(s, "NORMALIZER", 10) != 0 || n - pos < 4) {
        return json_string("UNKNOWN");
    }
    const unsigned char *v = b + pos;
    if (v[0] != 0 || v[1] != 0 || v[2] != 0 || v[3] != 1) {
        return json_string("UNKNOWN");
    }
    pos += 4;
    s = java_utf(b, n, &pos, &len);
    if (s == NULL || !is_name(s, len)) {
        return json_string("UNKNOWN");
    }
    if (len == 6 && memcmp(s, "CUSTOM", 6) == 0) {
        size_t clen;
        const unsigned char *c = java_utf(b, n, &pos, &clen);
        if (c != NULL && is_name(c, clen)) {
            *klass = name_value(c, clen);
        }
    }
    return name_value(s, len);
}

/* ---- gathering ------------------------------------------------------------- */

/* Reports a reader failure; returns -1. */
static int reader_failed(const info_opts *o, dlz_reader *r) {
    cli_error(cli_input_name(o->path), "%s", dlz_reader_errmsg(r));
    return -1;
}

static int oom(const info_opts *o) {
    cli_error(cli_input_name(o->path), "out of memory");
    return -1;
}

static int put_entries(const info_opts *o, dlz_reader *r, json_t *root) {
    json_t *list = json_array();
    if (put(root, "entries", list) != 0) {
        return oom(o);
    }
    int64_t n = dlz_reader_entry_count(r);
    for (int64_t i = 0; i < n; i++) {
        dlz_entry_info e;
        if (dlz_reader_entry_info(r, i, &e) != DLZ_OK) {
            return reader_failed(o, r);
        }
        json_t *obj = json_object();
        int rc = put(obj, "name", text_value(e.name));
        rc |= put(obj, "size", json_integer((json_int_t)e.size));
        rc |= put(obj, "compressed_size", json_integer((json_int_t)e.compressed_size));
        rc |= put(obj, "method", method_value(e.method));
        if (rc != 0) {
            json_decref(obj);
            return oom(o);
        }
        if (append(list, obj) != 0) {
            return oom(o);
        }
    }
    return 0;
}

/* Puts the summary of an array read by @p read under @p key (null when the
   read gives no array; ENOTFOUND also means null). */
static int put_array(const info_opts *o, dlz_reader *r, json_t *root, const char *key,
                     int (*read)(dlz_reader *, dlz_array **)) {
    dlz_array *a = NULL;
    int rc = read(r, &a);
    if (rc == DLZ_ENOTFOUND) {
        return put(root, key, json_null()) == 0 ? 0 : oom(o);
    }
    if (rc != DLZ_OK) {
        return reader_failed(o, r);
    }
    json_t *summary = a != NULL ? array_summary(a) : json_null();
    dlz_array_free(a);
    return put(root, key, summary) == 0 ? 0 : oom(o);
}

static int put_updater_presence(const info_opts *o, dlz_reader *r, json_t *root) {
    int rc = dlz_reader_has_entry(r, "updaterState.bin");
    if (rc != DLZ_OK && rc != DLZ_ENOTFOUND) {
        return reader_failed(o, r);
    }
    json_t *v = json_null();
    if (rc == DLZ_OK) {
        v = json_object();
        if (put(v, "present", json_true()) != 0) {
            json_decref(v);
            v = NULL;
        }
    }
    return put(root, "updater", v) == 0 ? 0 : oom(o);
}

static int put_normalizer(const info_opts *o, dlz_reader *r, json_t *root) {
    void *buf = NULL;
    size_t len = 0;
    int rc = dlz_reader_read_normalizer_raw(r, &buf, &len);
    if (rc == DLZ_ENOTFOUND) {
        return put(root, "normalizer", json_null()) == 0 ? 0 : oom(o);
    }
    if (rc != DLZ_OK) {
        return reader_failed(o, r);
    }
    json_t *klass;
    json_t *obj = json_object();
    int bad = put(obj, "type", normalizer_type(buf, len, &klass));
    if (klass != NULL) {
        bad |= put(obj, "class", klass);
    }
    bad |= put(obj, "size", json_integer((json_int_t)len));
    dlz_free(buf);
    if (bad != 0) {
        json_decref(obj);
        return oom(o);
    }
    return put(root, "normalizer", obj) == 0 ? 0 : oom(o);
}

static int put_objects(const info_opts *o, dlz_reader *r, json_t *root) {
    json_t *list = json_array();
    if (put(root, "objects", list) != 0) {
        return oom(o);
    }
    int64_t n = dlz_reader_object_count(r);
    for (int64_t i = 0; i < n; i++) {
        const char *key = dlz_reader_object_key(r, i);
        if (key == NULL || append(list, text_value(key)) != 0) {
            return oom(o);
        }
    }
    return 0;
}

static int gather_archive(const info_opts *o, dlz_reader *r, json_t *root) {
    if (put_entries(o, r, root) != 0 ||
        put_array(o, r, root, "coefficients", dlz_reader_read_coefficients) != 0) {
        return -1;
    }
    int rc = o->no_updater ? put_updater_presence(o, r, root)
                           : put_array(o, r, root, "updater", dlz_reader_read_updater);
    if (rc != 0 || put_normalizer(o, r, root) != 0 || put_objects(o, r, root) != 0) {
        return -1;
    }
    return put(root, "array", json_null()) == 0 ? 0 : oom(o);
}

static int gather_array(const info_opts *o, dlz_reader *r, json_t *root) {
    int bad = put(root, "entries", json_array());
    bad |= put(root, "coefficients", json_null());
    bad |= put(root, "updater", json_null());
    bad |= put(root, "normalizer", json_null());
    bad |= put(root, "objects", json_array());
    if (bad != 0) {
        return oom(o);
    }
    return put_array(o, r, root, "array", dlz_reader_read_array);
}

/* Builds the whole description; NULL after printing an error. */
static json_t *gather(const info_opts *o, dlz_reader *r) {
    json_t *root = json_object();
    dlz_kind kind = dlz_reader_kind(r);
    int bad = put(root, "file", text_value(o->path));
    bad |= put(root, "kind", json_string(dlz_kind_name(kind)));
    if (bad != 0) {
        oom(o);
    } else if (kind == DLZ_KIND_ARRAY) {
        bad = gather_array(o, r, root);
    } else {
        bad = gather_archive(o, r, root);
    }
    if (bad != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* ---- text output ------------------------------------------------------------ */

/* Prints text from the file with control characters shown as '?'. */
static void print_safe(const char *s) {
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        putchar(c < 0x20 || c == 0x7f ? '?' : c);
    }
}

static const char *str(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

static void print_int_list(const json_t *list) {
    size_t i;
    json_t *v;
    putchar('[');
    json_array_foreach(list, i, v) {
        printf("%s%" JSON_INTEGER_FORMAT, i > 0 ? "," : "", json_integer_value(v));
    }
    putchar(']');
}

static void print_stat(const char *sep, const char *label, const json_t *v) {
    if (json_is_number(v)) {
        printf("%s%s %.9g", sep, label, json_number_value(v));
    } else {
        printf("%s%s n/a", sep, label);
    }
}

/* FLOAT [1,41] order c strides [1,1], 41 elements, JAVACPP; sum .. min .. max .. */
static void print_summary(const char *label, const json_t *s) {
    printf("%-14s", label);
    if (json_is_null(s)) {
        puts("none");
        return;
    }
    if (json_object_get(s, "dtype") == NULL) {
        puts("present (not read)");
        return;
    }
    printf("%s ", str(s, "dtype"));
    print_int_list(json_object_get(s, "shape"));
    printf(" order %s strides ", str(s, "order"));
    print_int_list(json_object_get(s, "strides"));
    printf(", %" JSON_INTEGER_FORMAT " elements, %s%s\n%-14s",
           json_integer_value(json_object_get(s, "length")), str(s, "generation"),
           json_is_true(json_object_get(s, "compressed")) ? ", GZIP-compressed" : "", "");
    print_stat("", "sum", json_object_get(s, "sum"));
    print_stat(", ", "min", json_object_get(s, "min"));
    print_stat(", ", "max", json_object_get(s, "max"));
    const json_t *nan = json_object_get(s, "nan_count");
    const json_t *inf = json_object_get(s, "inf_count");
    if (nan != NULL) {
        printf(" (%" JSON_INTEGER_FORMAT " NaN)", json_integer_value(nan));
    }
    if (inf != NULL) {
        printf(" (%" JSON_INTEGER_FORMAT " infinite)", json_integer_value(inf));
    }
    putchar('\n');
}

static void print_method(const json_t *m) {
    if (json_is_string(m)) {
        printf("%s\n", json_string_value(m));
    } else {
        printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(m));
    }
}

static void print_entries(const json_t *entries) {
    size_t i, width = 4;
    json_t *e;
    printf("%-14s%zu\n", "entries:", json_array_size(entries));
    if (json_array_size(entries) == 0) {
        return;
    }
    json_array_foreach(entries, i, e) {
        size_t l = strlen(str(e, "name"));
        width = l > width ? l : width;
    }
    printf("  %-*s %12s %12s  %s\n", (int)width, "NAME", "SIZE", "COMPRESSED", "METHOD");
    json_array_foreach(entries, i, e) {
        const char *name = str(e, "name");
        printf("  ");
        print_safe(name);
        printf("%*s %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT "  ",
               (int)(width - strlen(name)), "", json_integer_value(json_object_get(e, "size")),
               json_integer_value(json_object_get(e, "compressed_size")));
        print_method(json_object_get(e, "method"));
    }
}

static void print_normalizer(const json_t *n) {
    printf("%-14s", "normalizer:");
    if (json_is_null(n)) {
        puts("none");
        return;
    }
    print_safe(str(n, "type"));
    if (json_object_get(n, "class") != NULL) {
        printf(" (");
        print_safe(str(n, "class"));
        putchar(')');
    }
    printf(", %" JSON_INTEGER_FORMAT " bytes\n", json_integer_value(json_object_get(n, "size")));
}

static void print_objects(const json_t *objects) {
    size_t i;
    json_t *k;
    printf("%-14s", "objects:");
    if (json_array_size(objects) == 0) {
        puts("none");
        return;
    }
    printf("%zu\n", json_array_size(objects));
    json_array_foreach(objects, i, k) {
        printf("  ");
        print_safe(json_string_value(k));
        putchar('\n');
    }
}

static void print_text(const json_t *root) {
    printf("%-14s", "file:");
    print_safe(str(root, "file"));
    printf("\n%-14s%s\n", "kind:", str(root, "kind"));
    if (strcmp(str(root, "kind"), "array") == 0) {
        print_summary("array:", json_object_get(root, "array"));
        return;
    }
    print_entries(json_object_get(root, "entries"));
    print_summary("coefficients:", json_object_get(root, "coefficients"));
    print_summary("updater:", json_object_get(root, "updater"));
    print_normalizer(json_object_get(root, "normalizer"));
    print_objects(json_object_get(root, "objects"));
}

/* ---- command ---------------------------------------------------------------- */

static int parse_options(int argc, char **argv, info_opts *io) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    memset(io, 0, sizeof *io);
    int rc;
    while ((rc = cli_opts_next(&o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(&o, "help") || strcmp(o.arg, "-h") == 0) {
            fputs(cli_info_usage, stdout);
            return CLI_HELP_SHOWN;
        }
        if (o.value != NULL && (cli_opts_is(&o, "json") || cli_opts_is(&o, "no-updater"))) {
            return cli_usage_error("info", "option '--%.*s' takes no value", (int)o.name_len,
                                   o.name);
        }
        if (cli_opts_is(&o, "json")) {
            io->json = 1;
        } else if (cli_opts_is(&o, "no-updater")) {
            io->no_updater = 1;
        } else {
            return cli_usage_error("info", "unknown option '%s'", o.arg);
        }
    }
    if (o.nargs == 0) {
        return cli_usage_error("info", "missing FILE");
    }
    if (o.nargs > 1) {
        return cli_usage_error("info", "too many arguments (one FILE expected)");
    }
    io->path = o.args[0];
    return CLI_EXIT_OK;
}

int cli_info(int argc, char **argv) {
    info_opts io;
    int status = parse_options(argc, argv, &io);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    dlz_reader *r = cli_open_reader(io.path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    json_t *root = gather(&io, r);
    dlz_reader_free(r);
    if (root == NULL) {
        return CLI_EXIT_DATA;
    }
    if (io.json) {
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        print_text(root);
    }
    json_decref(root);
    return cli_finish_stdout(CLI_EXIT_OK);
}
