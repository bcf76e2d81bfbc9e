/* config.c - rewrites of configuration.json: the network data type.
 *
 * DL4J 1.0.0-beta4 and later write the network's data type as "dataType"
 * in several places of configuration.json (dlz-format(5), section
 * CONFIGURATION): at the top level, in every NeuralNetConfiguration (each
 * element of "confs" of a MultiLayerNetwork; "defaultConfiguration" and the
 * "layerConf" of every layer vertex of a ComputationGraph).  A conversion
 * of the coefficients to another type rewrites exactly these string values
 * and copies every other byte of the text, so that numbers keep their
 * spelling.  A configuration without "dataType" (DL4J 1.0.0-beta3 and
 * earlier) is copied as it is: DL4J then takes the type of the
 * coefficients.
 *
 * The text is checked first (dlzi_json_check_config()), so the walk below
 * runs only over valid JSON within the nesting budget.
 */
#include "internal.h"

#include <string.h>

/* Where an object is in the configuration: which of its members hold a
   network data type or lead to objects that do. */
typedef enum place {
    P_OTHER,    /* nothing of interest below */
    P_TOP,      /* the configuration itself */
    P_CONFS,    /* the "confs" array of a MultiLayerNetwork */
    P_NNCONF,   /* a NeuralNetConfiguration */
    P_VERTICES, /* the "vertices" object of a ComputationGraph */
    P_VERTEX    /* one vertex (or the legacy {"LayerVertex": {...}} wrapper) */
} place;

typedef struct span {
    size_t start, end; /* of a string value, quotes included */
} span;

typedef struct walker {
    const char *p, *text, *end;
    span *spans;
    size_t n, cap;
} walker;

static void skip_ws(walker *w) {
    while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r')) {
        w->p++;
    }
}

/* Skips a string (the text is valid JSON); returns its raw contents. */
static void skip_string(walker *w, const char **s, size_t *n) {
    w->p++; /* the opening quote */
    *s = w->p;
    while (*w->p != '"') {
        w->p += *w->p == '\\' ? 2 : 1;
    }
    *n = (size_t)(w->p - *s);
    w->p++;
}

static int raw_is(const char *s, size_t n, const char *word) {
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

static int add_span(walker *w, size_t start, size_t end) {
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        span *s = dlzi_realloc(w->spans, cap * sizeof *s);
        if (s == NULL) {
            return DLZ_ENOMEM;
        }
        w->spans = s;
        w->cap = cap;
    }
    w->spans[w->n].start = start;
    w->spans[w->n].end = end;
    w->n++;
    return DLZ_OK;
}

static int walk_value(walker *w, place pl);

/* The place of the value of member @p key of an object at @p pl. */
static place member_place(place pl, const char *key, size_t n) {
    switch (pl) {
    case P_TOP:
        return raw_is(key, n, "confs")                  ? P_CONFS
               : raw_is(key, n, "defaultConfiguration") ? P_NNCONF
               : raw_is(key, n, "vertices")             ? P_VERTICES
                                                        : P_OTHER;
    case P_VERTICES:
        return P_VERTEX;
    case P_VERTEX:
        return raw_is(key, n, "layerConf")     ? P_NNCONF
               : raw_is(key, n, "LayerVertex") ? P_VERTEX
                                               : P_OTHER;
    default:
        return P_OTHER;
    }
}

/* After an item of an object or array: past the spaces and a comma. */
static void next_item(walker *w) {
    skip_ws(w);
    if (*w->p == ',') {
        w->p++;
        skip_ws(w);
    }
}

static int walk_object(walker *w, place pl) {
    w->p++; /* '{' */
    skip_ws(w);
    while (*w->p != '}') {
        const char *key;
        size_t n;
        skip_string(w, &key, &n);
        skip_ws(w);
        w->p++; /* ':' */
        skip_ws(w);
        if ((pl == P_TOP || pl == P_NNCONF) && raw_is(key, n, "dataType") && *w->p == '"') {
            size_t start = (size_t)(w->p - w->text);
            const char *s;
            size_t sn;
            skip_string(w, &s, &sn);
            int rc = add_span(w, start, (size_t)(w->p - w->text));
            if (rc != DLZ_OK) {
                return rc;
            }
        } else {
            int rc = walk_value(w, member_place(pl, key, n));
            if (rc != DLZ_OK) {
                return rc;
            }
        }
        next_item(w);
    }
    w->p++;
    return DLZ_OK;
}

static int walk_array(walker *w, place pl) {
    w->p++; /* '[' */
    skip_ws(w);
    while (*w->p != ']') {
        int rc = walk_value(w, pl == P_CONFS ? P_NNCONF : P_OTHER);
        if (rc != DLZ_OK) {
            return rc;
        }
        next_item(w);
    }
    w->p++;
    return DLZ_OK;
}

static int walk_value(walker *w, place pl) {
    if (*w->p == '{') {
        return walk_object(w, pl);
    }
    if (*w->p == '[') {
        return walk_array(w, pl);
    }
    if (*w->p == '"') {
        const char *s;
        size_t n;
        skip_string(w, &s, &n);
        return DLZ_OK;
    }
    /* A number or a literal: up to the next delimiter. */
    while (w->p < w->end && *w->p != ',' && *w->p != '}' && *w->p != ']' && *w->p != ' ' &&
           *w->p != '\t' && *w->p != '\n' && *w->p != '\r') {
        w->p++;
    }
    return DLZ_OK;
}

static int is_network_dtype(dlz_dtype t) {
    return t == DLZ_DTYPE_FLOAT || t == DLZ_DTYPE_DOUBLE || t == DLZ_DTYPE_HALF ||
           t == DLZ_DTYPE_BFLOAT16;
}

static int splice(const walker *w, const char *name, char **out, size_t *out_len) {
    const size_t len = (size_t)(w->end - w->text);
    const size_t nlen = strlen(name) + 2;
    size_t total = len;
    for (size_t i = 0; i < w->n; i++) {
        total = total - (w->spans[i].end - w->spans[i].start) + nlen;
    }
    char *buf = dlzi_malloc(total + 1);
    if (buf == NULL) {
        return DLZ_ENOMEM;
    }
    size_t at = 0, from = 0;
    for (size_t i = 0; i < w->n; i++) {
        memcpy(buf + at, w->text + from, w->spans[i].start - from);
        at += w->spans[i].start - from;
        buf[at++] = '"';
        memcpy(buf + at, name, nlen - 2);
        at += nlen - 2;
        buf[at++] = '"';
        from = w->spans[i].end;
    }
    memcpy(buf + at, w->text + from, len - from);
    at += len - from;
    buf[at] = '\0';
    *out = buf;
    *out_len = at;
    return DLZ_OK;
}

int dlz_configuration_convert(const char *json, size_t len, dlz_dtype to, char **out,
                              size_t *out_len, char *errbuf, size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc;
    if (out == NULL || out_len == NULL) {
        return dlzi_err_to_buf(&err, dlzi_err_set(&err, DLZ_EMISUSE, "NULL out"), errbuf,
                               errbuf_size);
    }
    *out = NULL;
    *out_len = 0;
    if (json == NULL || !is_network_dtype(to)) {
        rc = dlzi_err_set(&err, DLZ_EMISUSE,
                          json == NULL ? "NULL configuration"
                                       : "a network's data type is FLOAT, DOUBLE, HALF or "
                                         "BFLOAT16");
        return dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
    }
    dlzi_json_budget budget = {INT64_MAX, DLZI_JSON_MAX_DEPTH}; /* the reader had its limits */
    rc = dlzi_json_check_config(json, len, &budget, NULL, NULL, &err);
    if (rc != DLZ_OK) {
        return dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
    }
    walker w = {json, json, json + len, NULL, 0, 0};
    skip_ws(&w);
    rc = walk_value(&w, P_TOP);
    if (rc == DLZ_OK) {
        rc = splice(&w, dlz_dtype_name(to), out, out_len);
    }
    dlzi_free(w.spans);
    if (rc == DLZ_ENOMEM) {
        rc = dlzi_err_set(&err, DLZ_ENOMEM, "out of memory");
    }
    return rc == DLZ_OK ? rc : dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
}
