/* params.c - "dlz params": the parameter table of a model archive (which
 * slice of the coefficients is which layer's weight), or the values of one
 * parameter.
 *
 * The table comes from configuration.json; the coefficients are read and
 * checked against it before anything is printed, so a listing is only shown
 * for an archive whose coefficients fit.
 */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char cli_params_usage[] =
    "Usage: dlz params [--json] [--assume-dense] FILE\n"
    "       dlz params [--order c|f] [--assume-dense] FILE LAYER/KEY\n"
    "\n"
    "Lists the named parameters of the model archive FILE, as DL4J's paramTable()\n"
    "has them: name (LAYER/KEY, e.g. 0/W, dense1/b), layer, key, layer type, shape,\n"
    "order (how the values lie in the coefficients: f column-major, c row-major),\n"
    "offset and length in the coefficients.  With LAYER/KEY, prints the values of\n"
    "that parameter instead, one per line, in row-major order of its shape\n"
    "(FLOAT and HALF with 9 significant digits, DOUBLE with 17).  The coefficients\n"
    "are checked against the table first.  FILE '-' reads standard input.\n"
    "\n"
    "Options:\n"
    "  --json          print the table as one JSON object\n"
    "  --order c|f     print the values in row-major (c, the default) or\n"
    "                  column-major (f) order of the shape\n"
    "  --assume-dense  lay out a layer of unknown (custom) class that has integer\n"
    "                  nIn and nOut as a dense layer, W [nIn,nOut] f and b [1,nOut]\n"
    "                  (none if hasBias is false), instead of failing; this is a\n"
    "                  guess (the layout of DL4J's custom-layer example) and each\n"
    "                  such layer is named in a note on standard error (and, with\n"
    "                  --json, each parameter has \"assumed\": true or false)\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Examples:\n"
    "  dlz params model.zip\n"
    "  dlz params --json model.zip\n"
    "  dlz params --order f model.zip 0/W\n";

typedef struct params_opts {
    int json;
    int assume_dense;
    char order; /* 0 when not given */
    const char *path;
    const char *name; /* LAYER/KEY or NULL */
} params_opts;

/* ---- options ------------------------------------------------------------------ */

static int parse_option(cli_opts *o, params_opts *po) {
    if (cli_opts_is(o, "help") || strcmp(o->arg, "-h") == 0) {
        fputs(cli_params_usage, stdout);
        return CLI_HELP_SHOWN;
    }
    if (cli_opts_is(o, "json")) {
        if (o->value != NULL) {
            return cli_usage_error("params", "option '--json' takes no value");
        }
        po->json = 1;
        return CLI_EXIT_OK;
    }
    if (cli_opts_is(o, "assume-dense")) {
        if (o->value != NULL) {
            return cli_usage_error("params", "option '--assume-dense' takes no value");
        }
        po->assume_dense = 1;
        return CLI_EXIT_OK;
    }
    if (cli_opts_is(o, "order")) {
        const char *v = cli_opts_value(o);
        if (v == NULL) {
            return cli_usage_error("params", "option '%s' needs a value", o->arg);
        }
        if (strcmp(v, "c") != 0 && strcmp(v, "f") != 0) {
            return cli_usage_error("params", "unknown order '%s' (c or f)", v);
        }
        po->order = v[0];
        return CLI_EXIT_OK;
    }
    return cli_usage_error("params", "unknown option '%s'", o->arg);
}

static int parse_options(int argc, char **argv, params_opts *po) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    memset(po, 0, sizeof *po);
    while (cli_opts_next(&o) == CLI_OPT_OPTION) {
        int status = parse_option(&o, po);
        if (status != CLI_EXIT_OK) {
            return status;
        }
    }
    if (o.nargs == 0) {
        return cli_usage_error("params", "missing FILE");
    }
    if (o.nargs > 2) {
        return cli_usage_error("params", "too many arguments (FILE and LAYER/KEY expected)");
    }
    po->path = o.args[0];
    po->name = o.nargs == 2 ? o.args[1] : NULL;
    if (po->name != NULL && po->json) {
        return cli_usage_error("params", "--json lists the table; it takes no LAYER/KEY");
    }
    if (po->name == NULL && po->order != 0) {
        return cli_usage_error("params", "--order needs LAYER/KEY");
    }
    return CLI_EXIT_OK;
}

/* ---- loading ------------------------------------------------------------------- */

typedef struct loaded {
    dlz_reader *r;
    dlz_params *p;
    dlz_array *coef; /* NULL for a model without parameters */
} loaded;

static void unload(loaded *l) {
    dlz_array_free(l->coef);
    dlz_params_free(l->p);
    dlz_reader_free(l->r);
    memset(l, 0, sizeof *l);
}

static const char *shape_text(const dlz_param_info *pi, char *buf, size_t cap);

/* One line on stderr for each layer whose layout was guessed:
   "note: layer 1 'layer1' (class ...): unknown parameter layout, assumed
   dense: W [6,7] f, b [1,7] f". */
static void note_assumed(const char *name, const dlz_params *p) {
    for (size_t i = 0; i < dlz_params_layer_count(p); i++) {
        dlz_layer_info li;
        if (dlz_params_layer(p, i, &li) != DLZ_OK || !li.assumed) {
            continue;
        }
        char list[512] = "";
        size_t len = 0;
        for (size_t k = 0; k < li.param_count && len < sizeof list; k++) {
            dlz_param_info pi;
            char shape[128];
            if (dlz_params_get(p, li.first_param + k, &pi) != DLZ_OK || !pi.assumed) {
                continue;
            }
            int n = snprintf(list + len, sizeof list - len, "%s%s %s %c", len > 0 ? ", " : "",
                             pi.key, shape_text(&pi, shape, sizeof shape), pi.order);
            len = n < 0 ? sizeof list : len + (size_t)n;
        }
        cli_error(name, "note: %s %s%s%s%s (class %s): unknown parameter layout, assumed dense: %s",
                  dlz_params_kind(p) == DLZ_KIND_GRAPH ? "vertex" : "layer", li.name,
                  li.layer_name != NULL ? " '" : "", li.layer_name != NULL ? li.layer_name : "",
                  li.layer_name != NULL ? "'" : "", li.class_name,
                  list[0] != '\0' ? list : "no parameters");
    }
}

/* Opens FILE, builds its parameter table and reads and checks the
   coefficients; prints the error and returns -1 on failure. */
static int load(const char *path, int assume_dense, loaded *l) {
    const char *name = cli_input_name(path);
    memset(l, 0, sizeof *l);
    l->r = cli_open_reader(path);
    if (l->r == NULL) {
        return -1;
    }
    if (dlz_reader_kind(l->r) == DLZ_KIND_ARRAY) {
        cli_error(name, "a bare ND4J array file, not a model archive; it has no parameter table");
        unload(l);
        return -1;
    }
    unsigned flags = assume_dense ? DLZ_PARAMS_ASSUME_DENSE : 0;
    if (dlz_reader_read_params(l->r, flags, &l->p) != DLZ_OK ||
        dlz_reader_read_coefficients(l->r, &l->coef) != DLZ_OK) {
        cli_error(name, "%s", dlz_reader_errmsg(l->r));
        unload(l);
        return -1;
    }
    note_assumed(name, l->p);
    if (dlz_params_check(l->p, l->coef) != DLZ_OK) {
        cli_error(name, "%s", dlz_params_errmsg(l->p));
        unload(l);
        return -1;
    }
    return 0;
}

/* ---- the table ------------------------------------------------------------------- */

static int put(json_t *obj, const char *key, json_t *value) {
    return value != NULL && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static json_t *shape_list(const dlz_param_info *pi) {
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < pi->rank; i++) {
        if (json_array_append_new(arr, json_integer((json_int_t)pi->shape[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* A JSON string for text from the file; invalid UTF-8 is shown with its
   non-ASCII bytes replaced by '?'. */
json_t *cli_text_json(const char *s) {
    json_t *v = json_string(s);
    if (v != NULL || s == NULL) {
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

json_t *cli_param_json(const dlz_param_info *pi, int with_assumed) {
    json_t *obj = json_object();
    char order[2] = {pi->order, '\0'};
    int rc = obj == NULL ? -1 : 0;
    rc |= put(obj, "name", cli_text_json(pi->name));
    rc |= put(obj, "layer", cli_text_json(pi->layer));
    rc |= put(obj, "layer_index", json_integer((json_int_t)pi->layer_index));
    rc |= put(obj, "key", cli_text_json(pi->key));
    rc |= put(obj, "layer_type", cli_text_json(pi->layer_type));
    rc |= put(obj, "shape", shape_list(pi));
    rc |= put(obj, "order", json_string(order));
    rc |= put(obj, "offset", json_integer((json_int_t)pi->offset));
    rc |= put(obj, "length", json_integer((json_int_t)pi->length));
    rc |= put(obj, "updater", pi->updater != NULL ? json_string(pi->updater) : json_null());
    rc |= put(obj, "state_count", json_integer(pi->state_count));
    if (with_assumed) {
        rc |= put(obj, "assumed", json_boolean(pi->assumed));
    }
    if (rc != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static const char *coef_dtype(const loaded *l) {
    const char *d = l->coef != NULL ? dlz_dtype_name(dlz_array_dtype(l->coef)) : NULL;
    return d != NULL ? d : "";
}

static int print_json(const params_opts *po, const loaded *l) {
    json_t *root = json_object();
    json_t *list = json_array();
    const char *dtype = coef_dtype(l);
    int rc = root == NULL ? -1 : 0;
    rc |= put(root, "kind", json_string(dlz_kind_name(dlz_params_kind(l->p))));
    rc |= put(root, "dtype", *dtype != '\0' ? json_string(dtype) : json_null());
    rc |= put(root, "total", json_integer((json_int_t)dlz_params_total(l->p)));
    rc |= put(root, "params", list);
    size_t n = dlz_params_count(l->p);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        dlz_param_info pi;
        json_t *obj =
            dlz_params_get(l->p, i, &pi) == DLZ_OK ? cli_param_json(&pi, po->assume_dense) : NULL;
        rc = obj != NULL && json_array_append_new(list, obj) == 0 ? 0 : -1;
    }
    if (rc != 0) {
        json_decref(root);
        cli_error(cli_input_name(po->path), "out of memory");
        return CLI_EXIT_DATA;
    }
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(root);
    return CLI_EXIT_OK;
}

/* "[4,5]" into @p buf (cut short with "..." if it does not fit). */
static const char *shape_text(const dlz_param_info *pi, char *buf, size_t cap) {
    size_t len = 0;
    buf[len++] = '[';
    for (int i = 0; i < pi->rank; i++) {
        int k = snprintf(buf + len, cap - len, "%s%lld", i > 0 ? "," : "", (long long)pi->shape[i]);
        if (k < 0 || (size_t)k >= cap - len - 1) {
            strcpy(buf + cap - 5, "...]");
            return buf;
        }
        len += (size_t)k;
    }
    buf[len++] = ']';
    buf[len] = '\0';
    return buf;
}

typedef struct widths {
    int name, layer, key, type, shape, offset, length;
} widths;

static int max_int(int a, int b) {
    return a > b ? a : b;
}

static int digits(int64_t v) {
    char buf[24];
    return snprintf(buf, sizeof buf, "%lld", (long long)v);
}

static void measure(const loaded *l, widths *w) {
    *w = (widths){4, 5, 3, 4, 5, 6, 6};
    size_t n = dlz_params_count(l->p);
    for (size_t i = 0; i < n; i++) {
        dlz_param_info pi;
        char shape[256];
        if (dlz_params_get(l->p, i, &pi) != DLZ_OK) {
            continue;
        }
        w->name = max_int(w->name, (int)strlen(pi.name));
        w->layer = max_int(w->layer, (int)strlen(pi.layer));
        w->key = max_int(w->key, (int)strlen(pi.key));
        w->type = max_int(w->type, (int)strlen(pi.layer_type));
        w->shape = max_int(w->shape, (int)strlen(shape_text(&pi, shape, sizeof shape)));
        w->offset = max_int(w->offset, digits(pi.offset));
        w->length = max_int(w->length, digits(pi.length));
    }
}

static int print_text(const loaded *l) {
    widths w;
    measure(l, &w);
    size_t n = dlz_params_count(l->p);
    if (n > 0) {
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s  %*s  %*s\n", w.name, "NAME", w.layer, "LAYER",
               w.key, "KEY", w.type, "TYPE", w.shape, "SHAPE", "ORDER", w.offset, "OFFSET",
               w.length, "LENGTH");
    }
    for (size_t i = 0; i < n; i++) {
        dlz_param_info pi;
        char shape[256];
        if (dlz_params_get(l->p, i, &pi) != DLZ_OK) {
            continue;
        }
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-5c  %*lld  %*lld\n", w.name, pi.name, w.layer,
               pi.layer, w.key, pi.key, w.type, pi.layer_type, w.shape,
               shape_text(&pi, shape, sizeof shape), pi.order, w.offset, (long long)pi.offset,
               w.length, (long long)pi.length);
    }
    const char *dtype = coef_dtype(l);
    printf("%s: %zu parameter%s, %lld values%s%s%s\n", dlz_kind_name(dlz_params_kind(l->p)), n,
           n == 1 ? "" : "s", (long long)dlz_params_total(l->p), *dtype ? " (" : "", dtype,
           *dtype ? ")" : "");
    return CLI_EXIT_OK;
}

/* ---- values --------------------------------------------------------------------- */

/* Moves @p idx (a position in the shape) one step on, the first dimension
   fastest (column-major). */
static void step_f(int64_t *idx, const dlz_param_info *pi) {
    for (int d = 0; d < pi->rank; d++) {
        if (++idx[d] < pi->shape[d]) {
            return;
        }
        idx[d] = 0;
    }
}

/* Row-major position of @p idx. */
static size_t c_position(const int64_t *idx, const dlz_param_info *pi) {
    int64_t pos = 0;
    for (int d = 0; d < pi->rank; d++) {
        pos = pos * pi->shape[d] + idx[d];
    }
    return (size_t)pos;
}

static int print_values(const params_opts *po, loaded *l) {
    const char *file = cli_input_name(po->path);
    size_t index;
    dlz_param_info pi;
    if (dlz_params_find(l->p, po->name, &index) != DLZ_OK ||
        dlz_params_get(l->p, index, &pi) != DLZ_OK) {
        cli_error(file, "no parameter '%s' (see 'dlz params %s')", po->name, po->path);
        return CLI_EXIT_DATA;
    }
    dlz_array *a = NULL;
    if (dlz_params_extract(l->p, index, l->coef, 'c', &a) != DLZ_OK) {
        cli_error(file, "%s", dlz_params_errmsg(l->p));
        return CLI_EXIT_DATA;
    }
    size_t n = (size_t)dlz_array_length(a);
    double *v = malloc(n > 0 ? n * sizeof *v : 1);
    if (v == NULL || dlz_array_to_f64(a, v, n) != DLZ_OK) {
        free(v);
        dlz_array_free(a);
        cli_error(file, "out of memory");
        return CLI_EXIT_DATA;
    }
    int digits17 = dlz_array_dtype(a) == DLZ_DTYPE_DOUBLE;
    int64_t idx[DLZ_MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t at = i;
        if (po->order == 'f') {
            at = c_position(idx, &pi);
            step_f(idx, &pi);
        }
        printf("%.*g\n", digits17 ? 17 : 9, v[at]);
    }
    free(v);
    dlz_array_free(a);
    return CLI_EXIT_OK;
}

/* ---- command ------------------------------------------------------------------------ */

int cli_params(int argc, char **argv) {
    params_opts po;
    int status = parse_options(argc, argv, &po);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    loaded l;
    if (load(po.path, po.assume_dense, &l) != 0) {
        return CLI_EXIT_DATA;
    }
    if (po.name != NULL) {
        status = print_values(&po, &l);
    } else if (po.json) {
        status = print_json(&po, &l);
    } else {
        status = print_text(&l);
    }
    unload(&l);
    return status == CLI_EXIT_OK ? cli_finish_stdout(status) : status;
}
