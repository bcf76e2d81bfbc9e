/* info.c - "dlz info": what an archive or a bare array file holds.
 *
 * Everything is first gathered into one JSON object; --json prints it, the
 * text form is rendered from the same object, so both always agree.
 */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char cli_info_usage[] =
    "Usage: dlz info [--json] [--no-updater] FILE...\n"
    "\n"
    "Shows what each FILE holds: a model archive (its kind, entries, a summary of\n"
    "the coefficients and of the updater state, the normalizer with its fields, the\n"
    "object keys, the parameter table and the network) or a bare ND4J array file\n"
    "(a summary of the array).  Summaries give data type, shape, strides, order,\n"
    "length, record format and the sum, minimum and maximum of the values.  The\n"
    "parameter table lists every layer's parameters (layer, type, key, shape,\n"
    "order, offset and length in the coefficients); it is derived from\n"
    "configuration.json and is reported as unknown for layers whose layout is\n"
    "not known (custom layers).  The network lists every layer or vertex, those\n"
    "without parameters too: its type, inputs, preprocessor, the attributes that\n"
    "define its computation (activation, sizes, kernel, stride, padding, modes,\n"
    "data format...), anything of it that is not known, and the shapes of its\n"
    "input and output where configuration.json gives them ('?' where not).\n"
    "With --json the object has \"schema\": \"dlz-info-1\" and its parameter\n"
    "objects are those of 'dlz params --json'.  A bare normalizer.bin (kind\n"
    "\"normalizer\") is shown as 'dlz normalizer show' shows it.  Several FILEs are\n"
    "shown one after another (with --json, as one JSON array); the exit status is\n"
    "1 if one could not be read.  FILE '-' reads standard input.\n"
    "\n"
    "Options:\n"
    "  --json         print one JSON object instead of text\n"
    "  --no-updater   do not read updaterState.bin; only tell whether it exists\n"
    "  -h, --help     show this help and exit\n"
    "\n"
    "Examples:\n"
    "  dlz info model.zip\n"
    "  dlz info --json --no-updater model.zip | jq .parameters\n"
    "  dlz info coefficients.bin normalizer.bin\n";

typedef struct info_opts {
    int json;
    int no_updater;
    const char *path;
    /* The decoded normalizer as dlz_normalizer_to_json() renders it (pretty),
       printed verbatim by --json (its numbers are the shortest that read
       back, which a round trip through jansson would lose), and the members
       info adds to it. */
    char *norm_text;
    json_t *norm_extra;
} info_opts;

/* ---- JSON building -------------------------------------------------------- */

/* A JSON string for text from the file (names in an archive need not be
   UTF-8). */
#define text_value cli_text_json

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

static int put_stats(json_t *obj, const dlz_array *a) {
    dlz_stats s;
    if (dlz_array_stats(a, &s) != DLZ_OK) {
        return -1;
    }
    int64_t n = s.count;
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

/* The normalizer as dlz_normalizer_to_json() renders it, plus "size" (bytes
   of normalizer.bin) and, for CUSTOM and JAVA_SERIALIZED, "class" (the
   strategy class, the serialized class).  A normalizer that does not decode
   is described by its header: {"type", ["class",] "size", "error"}; info
   still succeeds. */
/* The normalizer member: n decoded (or NULL, rc and err telling why, buf
   holding the bytes that did not decode); len the bytes of normalizer.bin. */
static int put_normalizer_as(info_opts *o, dlz_normalizer *n, int rc, const char *err,
                             const void *buf, size_t len, json_t *root) {
    json_t *obj = NULL;
    int bad = 0;
    if (rc == DLZ_OK) {
        char *text = NULL;
        /* --json prints the library's full text as it is (no tree of it is
           built); the text form needs a tree of the summary only. */
        size_t tlen = 0;
        rc = dlz_normalizer_to_json(n, DLZ_JSON_PRETTY | (o->json ? 0u : DLZ_JSON_SUMMARY), &text,
                                    &tlen);
        obj = rc != DLZ_OK ? NULL : o->json ? json_object() : cli_json_parse(text, tlen);
        o->norm_extra = json_object();
        dlz_norm_type type = dlz_normalizer_type(n);
        if (type == DLZ_NORM_CUSTOM || type == DLZ_NORM_JAVA_SERIALIZED) {
            bad |= put(o->norm_extra, "class", text_value(dlz_normalizer_java_class(n)));
        }
        bad |= put(o->norm_extra, "size", json_integer((json_int_t)len));
        bad |= !json_is_object(obj) || json_object_update(obj, o->norm_extra) != 0;
        o->norm_text = text;
    } else if (rc != DLZ_ENOMEM) {
        json_t *klass;
        obj = json_object();
        bad = put(obj, "type", normalizer_type(buf, len, &klass));
        if (klass != NULL) {
            bad |= put(obj, "class", klass);
        }
        bad |= put(obj, "size", json_integer((json_int_t)len));
        bad |= put(obj, "error", text_value(err));
    }
    if (obj == NULL || bad != 0) {
        json_decref(obj);
        return oom(o);
    }
    return put(root, "normalizer", obj) == 0 ? 0 : oom(o);
}

/* A bare normalizer.bin file, read whole. */
static int put_normalizer_bytes(info_opts *o, const void *buf, size_t len, json_t *root) {
    char err[512] = "";
    dlz_normalizer *n = NULL;
    int rc = dlz_normalizer_decode(buf, len, &n, err, sizeof err);
    rc = put_normalizer_as(o, n, rc, err, buf, len, root);
    dlz_normalizer_free(n);
    return rc;
}

/* The normalizer of an archive, decoded as it is read (its bytes are never
   all in memory); the bytes are read only to describe one that does not
   decode. */
static int put_normalizer(info_opts *o, dlz_reader *r, json_t *root) {
    void *buf = NULL;
    size_t len = 0;
    char err[512] = "";
    dlz_normalizer *n = NULL;
    int rc = dlz_reader_read_normalizer(r, &n);
    if (rc == DLZ_ENOTFOUND) {
        return put(root, "normalizer", json_null()) == 0 ? 0 : oom(o);
    }
    for (int64_t i = 0; i < dlz_reader_entry_count(r); i++) {
        dlz_entry_info e;
        if (dlz_reader_entry_info(r, i, &e) == DLZ_OK && strcmp(e.name, "normalizer.bin") == 0) {
            len = (size_t)e.size;
        }
    }
    if (rc != DLZ_OK && rc != DLZ_ENOMEM) {
        snprintf(err, sizeof err, "%s", dlz_reader_errmsg(r));
        if (dlz_reader_read_normalizer_raw(r, &buf, &len) != DLZ_OK) {
            return reader_failed(o, r); /* damaged, not only undecodable */
        }
        /* The reader's message starts with the entry's name. */
        const char *p = strncmp(err, "normalizer.bin: ", 16) == 0 ? err + 16 : err;
        memmove(err, p, strlen(p) + 1);
    }
    rc = put_normalizer_as(o, n, rc, err, buf, len, root);
    dlz_normalizer_free(n);
    dlz_free(buf);
    return rc;
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

static json_t *param_value(const dlz_params *p, size_t i) {
    dlz_param_info pi;
    return dlz_params_get(p, i, &pi) == DLZ_OK ? cli_param_json(&pi, 0) : NULL;
}

/* {"format", "shape"} of a shape, or null when nothing is known. */
static json_t *shape_value(const dlz_net_shape *s) {
    if (s->rank == 0) {
        return json_null();
    }
    json_t *obj = json_object();
    int bad = put(obj, "format", json_string(s->format));
    bad |= put(obj, "shape", int_list(s->dims, s->rank));
    if (bad != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *attr_value(const dlz_net_attr *a) {
    switch (a->type) {
    case DLZ_ATTR_INT:
        return json_integer((json_int_t)a->ints[0]);
    case DLZ_ATTR_BOOL:
        return json_boolean(a->ints[0]);
    case DLZ_ATTR_REAL:
        return real_or_null(a->reals[0]);
    case DLZ_ATTR_TEXT:
        return text_value(a->text);
    case DLZ_ATTR_INTS:
        return int_list(a->ints, (int)a->count);
    case DLZ_ATTR_REALS: {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < a->count; i++) {
            if (append(arr, real_or_null(a->reals[i])) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    }
    return json_null();
}

static json_t *name_list(const char *const *names, size_t n) {
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if (append(arr, text_value(names[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* One node: name, layer_name, index, type, base_type, class, known,
   preprocessor, inputs, attributes, unknown, input_shape, output_shape and,
   when the parameter table @p p (may be NULL) has it, its params. */
static json_t *node_value(const dlz_network *net, size_t i, const dlz_params *p) {
    dlz_net_node nd;
    if (dlz_network_node(net, i, &nd) != DLZ_OK) {
        return NULL;
    }
    json_t *obj = json_object(), *attrs = json_object(), *unknown = json_array();
    int bad = obj == NULL || attrs == NULL || unknown == NULL;
    bad |= put(obj, "name", text_value(nd.name));
    bad |= put(obj, "layer_name", nd.layer_name != NULL ? text_value(nd.layer_name) : json_null());
    bad |= put(obj, "index", json_integer((json_int_t)nd.index));
    bad |= put(obj, "type", text_value(nd.type));
    bad |= put(obj, "base_type", text_value(nd.base_type));
    bad |= put(obj, "class", text_value(nd.class_name));
    bad |= put(obj, "known", json_boolean(nd.known));
    bad |= put(obj, "preprocessor",
               nd.preprocessor != NULL ? text_value(nd.preprocessor) : json_null());
    bad |= put(obj, "inputs", name_list(nd.inputs, nd.input_count));
    for (size_t k = 0; !bad && k < nd.attr_count; k++) {
        dlz_net_attr a;
        bad = dlz_network_attr(net, i, k, &a) != DLZ_OK || put(attrs, a.name, attr_value(&a)) != 0;
    }
    bad |= json_object_set(obj, "attributes", attrs) != 0;
    for (size_t k = 0; !bad && k < nd.unknown_count; k++) {
        bad = append(unknown, text_value(dlz_network_unknown(net, i, k)));
    }
    bad |= json_object_set(obj, "unknown", unknown) != 0;
    bad |= put(obj, "input_shape", shape_value(&nd.in_shape));
    bad |= put(obj, "output_shape", shape_value(&nd.out_shape));
    dlz_layer_info li;
    if (p != NULL && dlz_params_layer(p, i, &li) == DLZ_OK && strcmp(li.name, nd.name) == 0) {
        json_t *list = json_array();
        bad |= put(obj, "params", list);
        for (size_t k = 0; !bad && k < li.param_count; k++) {
            bad = append(list, param_value(p, li.first_param + k));
        }
    } else {
        bad |= put(obj, "params", json_null());
    }
    json_decref(attrs);
    json_decref(unknown);
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* "network": kind, inputs, outputs, layers (see node_value()); or null and
   "network_error" when configuration.json cannot be described. */
static int put_network(const info_opts *o, dlz_reader *r, json_t *root) {
    dlz_network *net = NULL;
    int rc = dlz_reader_read_network(r, &net);
    if (rc == DLZ_ENOMEM) {
        return oom(o);
    }
    if (rc != DLZ_OK) {
        int bad = put(root, "network", json_null());
        bad |= put(root, "network_error", text_value(dlz_reader_errmsg(r)));
        return bad == 0 ? 0 : oom(o);
    }
    dlz_params *p = NULL;
    if (dlz_reader_read_params(r, 0, &p) == DLZ_ENOMEM) {
        dlz_network_free(net);
        return oom(o);
    }
    json_t *obj = json_object(), *layers = json_array(), *ins = json_array(), *outs = json_array();
    int bad = put(root, "network", obj);
    bad |= put(obj, "kind", json_string(dlz_kind_name(dlz_network_kind(net))));
    bad |= put(obj, "inputs", ins);
    bad |= put(obj, "outputs", outs);
    bad |= put(obj, "layers", layers);
    for (size_t i = 0; !bad && i < dlz_network_input_count(net); i++) {
        bad = append(ins, text_value(dlz_network_input(net, i)));
    }
    for (size_t i = 0; !bad && i < dlz_network_output_count(net); i++) {
        bad = append(outs, text_value(dlz_network_output(net, i)));
    }
    for (size_t i = 0; !bad && i < dlz_network_node_count(net); i++) {
        bad = append(layers, node_value(net, i, p));
    }
    dlz_params_free(p);
    dlz_network_free(net);
    return bad == 0 ? 0 : oom(o);
}

/* "params_total" and "params" (the parameter table), or both null and
   "params_error" when the table cannot be built from the configuration. */
static int put_params(const info_opts *o, dlz_reader *r, json_t *root) {
    dlz_params *p = NULL;
    int rc = dlz_reader_read_params(r, 0, &p);
    if (rc == DLZ_ENOMEM) {
        return oom(o);
    }
    if (rc != DLZ_OK) {
        int bad = put(root, "params_total", json_null());
        bad |= put(root, "params", json_null());
        bad |= put(root, "params_error", text_value(dlz_reader_errmsg(r)));
        return bad == 0 ? 0 : oom(o);
    }
    json_t *list = json_array();
    int bad = put(root, "params_total", json_integer((json_int_t)dlz_params_total(p)));
    bad |= put(root, "params", list);
    for (size_t i = 0; bad == 0 && i < dlz_params_count(p); i++) {
        bad = append(list, param_value(p, i));
    }
    dlz_params_free(p);
    return bad == 0 ? 0 : oom(o);
}

static int gather_archive(info_opts *o, dlz_reader *r, json_t *root) {
    if (put_entries(o, r, root) != 0 ||
        put_array(o, r, root, "coefficients", dlz_reader_read_coefficients) != 0) {
        return -1;
    }
    int rc = o->no_updater ? put_updater_presence(o, r, root)
                           : put_array(o, r, root, "updater", dlz_reader_read_updater);
    if (rc != 0 || put_normalizer(o, r, root) != 0 || put_objects(o, r, root) != 0 ||
        put_params(o, r, root) != 0 || put_network(o, r, root) != 0) {
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
    bad |= put(root, "params_total", json_null());
    bad |= put(root, "params", json_null());
    bad |= put(root, "network", json_null());
    if (bad != 0) {
        return oom(o);
    }
    return put_array(o, r, root, "array", dlz_reader_read_array);
}

/* Builds the whole description; NULL after printing an error. */
static json_t *gather(info_opts *o, dlz_reader *r) {
    json_t *root = json_object();
    dlz_kind kind = dlz_reader_kind(r);
    int bad = put(root, "schema", json_string("dlz-info-1"));
    bad |= put(root, "file", text_value(o->path));
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

/* The shortest decimal that reads back to @p d, laid out as %.15g does. */
static void print_real(double d) {
    char buf[DLZ_REAL_SIZE];
    dlz_real_format(d, DLZ_REAL_DISPLAY, buf, sizeof buf);
    fputs(buf, stdout);
}

static void print_scalar(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_STRING:
        print_safe(json_string_value(v));
        break;
    case JSON_INTEGER:
        printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        print_real(json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", stdout);
        break;
    case JSON_FALSE:
        fputs("false", stdout);
        break;
    case JSON_NULL:
        fputs("null", stdout);
        break;
    default:
        fputs(json_is_array(v) ? "[...]" : "{...}", stdout);
        break;
    }
}

/* 1 for an array as dlz_normalizer_to_json() renders it. */
static int is_nd_array(const json_t *v) {
    return json_is_object(v) && json_is_string(json_object_get(v, "dtype")) &&
           json_is_array(json_object_get(v, "shape")) &&
           json_is_array(json_object_get(v, "values"));
}

/* 1 for a JSON array of scalars (printed on one line). */
static int is_flat_list(const json_t *v) {
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (json_is_object(item) || json_is_array(item)) {
            return 0;
        }
    }
    return 1;
}

/* Values shown of each array; the rest is summarized by its count. */
#define SHOWN_VALUES 6

/* FLOAT [1,4] -2.04, 0.0675, 3.91, 6.46 */
static void print_nd_array(const json_t *a) {
    const json_t *values = json_object_get(a, "values");
    /* A summary (DLZ_JSON_SUMMARY) gives the count; a full rendering all. */
    const json_t *length = json_object_get(a, "length");
    size_t n =
        json_is_integer(length) ? (size_t)json_integer_value(length) : json_array_size(values);
    print_safe(str(a, "dtype"));
    putchar(' ');
    print_int_list(json_object_get(a, "shape"));
    for (size_t i = 0; i < n && i < SHOWN_VALUES; i++) {
        fputs(i > 0 ? ", " : " ", stdout);
        print_scalar(json_array_get(values, i));
    }
    if (n > SHOWN_VALUES) {
        printf(", ... (%zu values)", n);
    }
}

static int skipped(const char *key, const char *const *skip) {
    for (; skip != NULL && *skip != NULL; skip++) {
        if (strcmp(key, *skip) == 0) {
            return 1;
        }
    }
    return 0;
}

/* "javaClass" is shown as "class". */
static const char *field_label(const char *key) {
    return strcmp(key, "javaClass") == 0 ? "class" : key;
}

static void print_members(const json_t *obj, int indent, const char *const *skip);

/* One field: "label: value", an array summary, a nested object one level
   deeper, or a list of compound items as label[0], label[1], ... */
static void print_field(const char *label, size_t index, int is_item, const json_t *v, int indent,
                        int width) {
    char name[64];
    int len = is_item ? snprintf(name, sizeof name, "[%zu]", index) : 0;
    printf("%*s", indent, "");
    print_safe(label);
    if (is_item) {
        fputs(name, stdout);
    }
    putchar(':');
    len += (int)strlen(label);
    if (json_is_object(v) && !is_nd_array(v) && json_object_size(v) > 0) {
        putchar('\n');
        print_members(v, indent + 2, NULL);
        return;
    }
    printf("%*s", width > len ? width - len + 1 : 1, "");
    if (is_nd_array(v)) {
        print_nd_array(v);
    } else if (json_is_object(v)) {
        fputs("{}", stdout);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        putchar('[');
        json_array_foreach(v, i, item) {
            fputs(i > 0 ? ", " : "", stdout);
            print_scalar(item);
        }
        putchar(']');
    } else {
        print_scalar(v);
    }
    putchar('\n');
}

/* Width of the widest label of @p obj, list items included. */
static int label_width(const json_t *obj, const char *const *skip) {
    const char *key;
    json_t *v;
    int width = 0;
    json_object_foreach((json_t *)obj, key, v) {
        if (skipped(key, skip)) {
            continue;
        }
        int len = (int)strlen(field_label(key));
        if (json_is_array(v) && !is_flat_list(v)) {
            char idx[32];
            len += snprintf(idx, sizeof idx, "[%zu]", json_array_size(v) - 1);
        }
        width = len > width ? len : width;
    }
    return width;
}

/* Prints the members of @p obj (but those in @p skip, a NULL-terminated list)
   as aligned "name: value" lines indented by @p indent spaces. */
static void print_members(const json_t *obj, int indent, const char *const *skip) {
    int width = label_width(obj, skip);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (skipped(key, skip)) {
            continue;
        }
        if (json_is_array(v) && !is_flat_list(v)) {
            size_t i;
            json_t *item;
            json_array_foreach(v, i, item) {
                print_field(field_label(key), i, 1, item, indent, width);
            }
        } else {
            print_field(field_label(key), 0, 0, v, indent, width);
        }
    }
}

/* A jansson tree of a value tree from dlz_value_from_json(); NULL when out
   of memory. */
static json_t *json_of_value(const dlz_value *v) {
    json_t *j = NULL;
    switch (dlz_value_type_of(v)) {
    case DLZ_VALUE_NULL:
        return json_null();
    case DLZ_VALUE_BOOLEAN:
        return json_boolean(dlz_value_integer(v) != 0);
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
        return json_integer((json_int_t)dlz_value_integer(v));
    case DLZ_VALUE_DOUBLE:
        return json_real(dlz_value_real(v));
    case DLZ_VALUE_STRING: {
        size_t n;
        const char *s = dlz_value_string(v, &n);
        return json_stringn(s, n);
    }
    case DLZ_VALUE_LIST:
        j = json_array();
        for (size_t i = 0; j != NULL && i < dlz_value_count(v); i++) {
            if (json_array_append_new(j, json_of_value(dlz_value_item(v, i))) != 0) {
                json_decref(j);
                j = NULL;
            }
        }
        return j;
    case DLZ_VALUE_LINKED_MAP:
        j = json_object();
        for (size_t i = 0; j != NULL && i < dlz_value_count(v); i++) {
            size_t n;
            const char *k = dlz_value_string(dlz_value_map_key(v, i), &n);
            if (k == NULL ||
                json_object_setn_new(j, k, n, json_of_value(dlz_value_map_value(v, i))) != 0) {
                json_decref(j);
                j = NULL;
            }
        }
        return j;
    default: /* dlz_value_from_json() builds no other type */
        return NULL;
    }
}

json_t *cli_json_parse(const char *text, size_t len) {
    dlz_value *v = NULL;
    if (dlz_value_from_json(text, len, &v, NULL, 0) != DLZ_OK) {
        return NULL;
    }
    json_t *j = json_of_value(v);
    dlz_value_free(v);
    return j;
}

int cli_print_normalizer(const char *json, size_t len) {
    json_t *n = cli_json_parse(json, len);
    if (!json_is_object(n)) {
        json_decref(n);
        return -1;
    }
    print_members(n, 0, NULL);
    json_decref(n);
    return 0;
}

/* normalizer:   STANDARDIZE, 186 bytes
                   fitLabel: false ... (the decoded fields, indented) */
static void print_normalizer(const json_t *n) {
    static const char *const skip[] = {"type", "javaClass", "class", "size", "error", NULL};
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
    printf(", %" JSON_INTEGER_FORMAT " bytes", json_integer_value(json_object_get(n, "size")));
    if (json_object_get(n, "error") != NULL) {
        printf(" (not decoded: ");
        print_safe(str(n, "error"));
        putchar(')');
    }
    putchar('\n');
    print_members(n, 2, skip);
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

/* Prints @p s padded with spaces to @p width columns (bytes). */
static void print_cell(const char *s, size_t width) {
    print_safe(s);
    size_t n = strlen(s);
    printf("%*s", (int)(width > n ? width - n : 0), "");
}

static void shape_text(const json_t *shape, char *buf, size_t cap) {
    size_t i, used = 0;
    json_t *v;
    used += (size_t)snprintf(buf, cap, "[");
    json_array_foreach(shape, i, v) {
        if (used < cap) {
            used += (size_t)snprintf(buf + used, cap - used, "%s%" JSON_INTEGER_FORMAT,
                                     i > 0 ? "," : "", json_integer_value(v));
        }
    }
    if (used < cap) {
        snprintf(buf + used, cap - used, "]");
    }
}

/* parameters:   4 in 2 layers, 43 values
     LAYER  TYPE        KEY  SHAPE  ORDER  OFFSET  LENGTH
     0      DenseLayer  W    [4,5]  f           0      20 */
static void print_params(const json_t *root) {
    const json_t *params = json_object_get(root, "params");
    printf("%-14s", "parameters:");
    if (!json_is_array(params)) {
        printf("unknown (");
        print_safe(str(root, "params_error"));
        puts(")");
        return;
    }
    size_t i, n = json_array_size(params), layers = 0;
    size_t wl = 5, wt = 4, wk = 3, ws = 5;
    int wo = 6, wn = 6;
    const char *prev = NULL;
    json_t *p;
    char shape[DLZ_MAX_RANK * 21 + 3], num[32];
    json_array_foreach(params, i, p) {
        const char *layer = str(p, "layer");
        layers += prev == NULL || strcmp(prev, layer) != 0;
        prev = layer;
        shape_text(json_object_get(p, "shape"), shape, sizeof shape);
        size_t l = strlen(layer), t = strlen(str(p, "layer_type")), k = strlen(str(p, "key"));
        size_t s = strlen(shape);
        wl = l > wl ? l : wl;
        wt = t > wt ? t : wt;
        wk = k > wk ? k : wk;
        ws = s > ws ? s : ws;
        int d = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(p, "offset")));
        wo = d > wo ? d : wo;
        d = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(p, "length")));
        wn = d > wn ? d : wn;
    }
    json_int_t total = json_integer_value(json_object_get(root, "params_total"));
    if (n == 0) {
        printf("none");
    } else {
        printf("%zu in %zu layer%s, %" JSON_INTEGER_FORMAT " values", n, layers,
               layers == 1 ? "" : "s", total);
    }
    const json_t *coefficients = json_object_get(root, "coefficients");
    json_int_t have = json_is_object(coefficients)
                          ? json_integer_value(json_object_get(coefficients, "length"))
                          : 0;
    if (have != total) {
        printf(" (the coefficients have %" JSON_INTEGER_FORMAT ")", have);
    }
    putchar('\n');
    if (n == 0) {
        return;
    }
    printf("  %-*s  %-*s  %-*s  %-*s  ORDER  %*s  %*s\n", (int)wl, "LAYER", (int)wt, "TYPE",
           (int)wk, "KEY", (int)ws, "SHAPE", wo, "OFFSET", wn, "LENGTH");
    json_array_foreach(params, i, p) {
        printf("  ");
        print_cell(str(p, "layer"), wl + 2);
        print_cell(str(p, "layer_type"), wt + 2);
        print_cell(str(p, "key"), wk + 2);
        shape_text(json_object_get(p, "shape"), shape, sizeof shape);
        print_cell(shape, ws + 2);
        print_cell(str(p, "order"), 7);
        printf("%*" JSON_INTEGER_FORMAT "  %*" JSON_INTEGER_FORMAT "\n", wo,
               json_integer_value(json_object_get(p, "offset")), wn,
               json_integer_value(json_object_get(p, "length")));
    }
}

/* [?,4,28,28] NCHW, or ? when nothing is known. */
static void print_shape(const json_t *s) {
    if (!json_is_object(s)) {
        fputs("?", stdout);
        return;
    }
    size_t i;
    json_t *v;
    putchar('[');
    json_array_foreach(json_object_get(s, "shape"), i, v) {
        json_int_t d = json_integer_value(v);
        if (d < 0) {
            printf("%s?", i > 0 ? "," : "");
        } else {
            printf("%s%" JSON_INTEGER_FORMAT, i > 0 ? "," : "", d);
        }
    }
    printf("] %s", str(s, "format"));
}

static void print_names(const json_t *list) {
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        fputs(i > 0 ? ", " : "", stdout);
        print_safe(json_string_value(v));
    }
}

/* network:      MultiLayerNetwork, 3 layers; inputs [input], outputs [2]
     0 'layer0' DenseLayer: [?,4] FF -> [?,5] FF
         activation TanH, n_in 4, n_out 5 */
static void print_network(const json_t *root) {
    const json_t *net = json_object_get(root, "network");
    printf("%-14s", "network:");
    if (!json_is_object(net)) {
        printf("unknown (");
        print_safe(str(root, "network_error"));
        puts(")");
        return;
    }
    const json_t *layers = json_object_get(net, "layers");
    int graph = strcmp(str(net, "kind"), "ComputationGraph") == 0;
    size_t n = json_array_size(layers);
    printf("%s, %zu %s; inputs [", str(net, "kind"), n,
           graph ? (n == 1 ? "vertex" : "vertices") : (n == 1 ? "layer" : "layers"));
    print_names(json_object_get(net, "inputs"));
    fputs("], outputs [", stdout);
    print_names(json_object_get(net, "outputs"));
    puts("]");
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) {
        printf("  ");
        print_safe(str(l, "name"));
        if (json_is_string(json_object_get(l, "layer_name"))) {
            printf(" '");
            print_safe(str(l, "layer_name"));
            putchar('\'');
        }
        putchar(' ');
        print_safe(str(l, "type"));
        if (graph) {
            fputs(" <- ", stdout);
            print_names(json_object_get(l, "inputs"));
        }
        fputs(": ", stdout);
        if (json_is_string(json_object_get(l, "preprocessor"))) {
            putchar('(');
            print_safe(str(l, "preprocessor"));
            fputs(") ", stdout);
        }
        print_shape(json_object_get(l, "input_shape"));
        fputs(" -> ", stdout);
        print_shape(json_object_get(l, "output_shape"));
        putchar('\n');
        const char *key;
        json_t *v;
        int first = 1;
        json_object_foreach(json_object_get(l, "attributes"), key, v) {
            if (strncmp(key, "preprocessor.", 13) == 0) {
                continue;
            }
            printf("%s", first ? "      " : ", ");
            first = 0;
            print_safe(key);
            putchar(' ');
            if (json_is_array(v)) {
                size_t k;
                json_t *item;
                putchar('[');
                json_array_foreach(v, k, item) {
                    fputs(k > 0 ? "," : "", stdout);
                    print_scalar(item);
                }
                putchar(']');
            } else {
                print_scalar(v);
            }
        }
        if (!first) {
            putchar('\n');
        }
        size_t k;
        json_array_foreach(json_object_get(l, "unknown"), k, v) {
            fputs("      unknown: ", stdout);
            print_safe(json_string_value(v));
            putchar('\n');
        }
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
    if (strcmp(str(root, "kind"), "normalizer") == 0) {
        print_normalizer(json_object_get(root, "normalizer"));
        return;
    }
    print_entries(json_object_get(root, "entries"));
    print_summary("coefficients:", json_object_get(root, "coefficients"));
    print_summary("updater:", json_object_get(root, "updater"));
    print_normalizer(json_object_get(root, "normalizer"));
    print_objects(json_object_get(root, "objects"));
    print_params(root);
    print_network(root);
}

/* ---- JSON output ------------------------------------------------------------ */

/* Writes @p s with every line after the first indented by two more spaces. */
static void print_indented(const char *s) {
    for (; *s != '\0'; s++) {
        putchar(*s);
        if (*s == '\n') {
            fputs("  ", stdout);
        }
    }
}

static int print_member_value(const json_t *v) {
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (s == NULL) {
        return -1;
    }
    print_indented(s);
    free(s);
    return 0;
}

/* The library's text of the normalizer with the members info adds. */
static int print_normalizer_json(const info_opts *o) {
    const char *end = strrchr(o->norm_text, '}');
    size_t n = end != NULL ? (size_t)(end - o->norm_text) : 0;
    while (n > 0 && (o->norm_text[n - 1] == '\n' || o->norm_text[n - 1] == ' ')) {
        n--;
    }
    char *body = malloc(n + 1);
    if (body == NULL) {
        return -1;
    }
    memcpy(body, o->norm_text, n);
    body[n] = '\0';
    print_indented(body);
    free(body);
    const char *key;
    json_t *v;
    json_object_foreach(o->norm_extra, key, v) {
        printf(",\n    \"%s\": ", key);
        if (print_member_value(v) != 0) {
            return -1;
        }
    }
    fputs("\n  }", stdout);
    return 0;
}

/* As json_dumpf() with JSON_INDENT(2), member by member, so that the
   normalizer keeps the library's rendering of its numbers. */
static int print_json(const info_opts *o, const json_t *root) {
    const char *key;
    json_t *v;
    int first = 1;
    putchar('{');
    json_object_foreach((json_t *)root, key, v) {
        printf("%s\n  \"%s\": ", first ? "" : ",", key);
        first = 0;
        int rc = strcmp(key, "normalizer") == 0 && o->norm_text != NULL && json_is_object(v)
                     ? print_normalizer_json(o)
                     : print_member_value(v);
        if (rc != 0) {
            return oom(o);
        }
    }
    fputs(first ? "}\n" : "\n}\n", stdout);
    return 0;
}

/* ---- command ---------------------------------------------------------------- */

static int parse_options(int argc, char **argv, info_opts *io, char ***files, int *nfiles) {
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
    *files = o.args;
    *nfiles = o.nargs;
    return CLI_EXIT_OK;
}

/* 1 if @p path (not standard input) starts like a normalizer.bin stream:
   NormalizerSerializer's "NORMALIZER" header or Java serialization. */
static int is_normalizer_file(const char *path) {
    if (strcmp(path, "-") == 0) {
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return 0; /* the reader says why */
    }
    unsigned char head[12];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return (n == 12 && memcmp(head, "\0\012NORMALIZER", 12) == 0) ||
           (n >= 2 && head[0] == 0xac && head[1] == 0xed);
}

/* The description of a bare normalizer.bin: file, kind "normalizer" and the
   normalizer as in an archive. */
static json_t *gather_normalizer_file(info_opts *o) {
    FILE *f = fopen(o->path, "rb");
    if (f == NULL) {
        cli_error(o->path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) {
            break;
        }
        unsigned char *b = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (b == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (buf == NULL || failed) {
        cli_error(o->path, buf == NULL ? "out of memory" : "read error");
        free(buf);
        return NULL;
    }
    json_t *root = json_object();
    int bad = put(root, "schema", json_string("dlz-info-1"));
    bad |= put(root, "file", text_value(o->path));
    bad |= put(root, "kind", json_string("normalizer"));
    if (bad != 0) {
        oom(o);
    } else {
        bad = put_normalizer_bytes(o, buf, len, root);
    }
    free(buf);
    if (bad != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Describes one FILE, after a separator when @p printed others before it;
   returns an exit status. */
static int info_one(info_opts *io, int *printed) {
    json_t *root;
    if (is_normalizer_file(io->path)) {
        root = gather_normalizer_file(io);
    } else {
        dlz_reader *r = cli_open_reader(io->path);
        if (r == NULL) {
            return CLI_EXIT_DATA;
        }
        root = gather(io, r);
        dlz_reader_free(r);
    }
    int status = CLI_EXIT_OK;
    if (root != NULL && (*printed)++ > 0) {
        fputs(io->json ? ",\n" : "\n", stdout);
    }
    if (root == NULL) {
        status = CLI_EXIT_DATA;
    } else if (io->json) {
        status = print_json(io, root) == 0 ? CLI_EXIT_OK : CLI_EXIT_DATA;
    } else {
        print_text(root);
    }
    json_decref(root);
    json_decref(io->norm_extra);
    dlz_free(io->norm_text);
    io->norm_extra = NULL;
    io->norm_text = NULL;
    return status;
}

int cli_info(int argc, char **argv) {
    info_opts io;
    char **files = NULL;
    int nfiles = 0;
    int status = parse_options(argc, argv, &io, &files, &nfiles);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    /* Several FILEs: text blocks separated by a blank line; with --json one
       array of the objects. */
    if (io.json && nfiles > 1) {
        fputs("[\n", stdout);
    }
    int printed = 0;
    for (int i = 0; i < nfiles; i++) {
        io.path = files[i];
        fflush(stdout); /* errors on stderr come after what was printed */
        int s = info_one(&io, &printed);
        if (s != CLI_EXIT_OK) {
            status = s;
        }
    }
    if (io.json && nfiles > 1) {
        fputs("]\n", stdout);
    }
    return cli_finish_stdout(status);
}
