/* jser_json.c - value trees as JSON text (dlz_value_to_json(), through the
 * library's one JSON emitter, json.c) and JSON text as value trees
 * (dlz_value_from_json(), through jansson). */
/* See dlz-format(5), section JAVA OBJECT STREAMS. */
#include "internal.h"

#include <jansson.h>
#include <stdio.h>

/* A Character: a string of that one UTF-16 unit (a lone surrogate as an
   escape). */
static void jchar(dlzi_json *o, uint32_t unit) {
    unsigned char b[4];
    size_t k = dlzi_utf8_put(b, unit);
    dlzi_json_string(o, (const char *)b, k);
}

static void jvalue(dlzi_json *o, const dlz_value *v, int compact);

/* A container: a BLOCK in pretty output, or COMPACT inside [key, value]. */
static void jopen(dlzi_json *o, char bracket, int compact) {
    dlzi_json_open(o, bracket, compact ? DLZI_JSON_COMPACT : DLZI_JSON_BLOCK);
}

static void jprim_array(dlzi_json *o, const dlz_value *v, int compact) {
    const void *a = v->u.a;
    jopen(o, '[', compact);
    for (size_t i = 0; i < v->n; i++) {
        switch (v->type) {
        case DLZ_VALUE_BYTE_ARRAY:
            dlzi_json_int(o, ((const int8_t *)a)[i]);
            break;
        case DLZ_VALUE_SHORT_ARRAY:
            dlzi_json_int(o, ((const int16_t *)a)[i]);
            break;
        case DLZ_VALUE_INT_ARRAY:
            dlzi_json_int(o, ((const int32_t *)a)[i]);
            break;
        case DLZ_VALUE_LONG_ARRAY:
            dlzi_json_int(o, ((const int64_t *)a)[i]);
            break;
        case DLZ_VALUE_FLOAT_ARRAY:
            dlzi_json_real(o, (double)((const float *)a)[i], 1);
            break;
        case DLZ_VALUE_DOUBLE_ARRAY:
            dlzi_json_real(o, ((const double *)a)[i], 0);
            break;
        case DLZ_VALUE_BOOLEAN_ARRAY:
            dlzi_json_literal(o, ((const unsigned char *)a)[i] ? "true" : "false");
            break;
        default:
            jchar(o, ((const uint16_t *)a)[i]);
            break;
        }
    }
    dlzi_json_close(o);
}

/* A map: an object when every key is a String, else [key, value] pairs,
   each on one line with its key and value compact. */
static void jmap(dlzi_json *o, const dlz_value *v, int compact) {
    size_t n = v->n;
    int keys_are_strings = 1;
    for (size_t i = 0; i < n; i++) {
        keys_are_strings &= v->u.items[2 * i]->type == DLZ_VALUE_STRING;
    }
    jopen(o, keys_are_strings ? '{' : '[', compact);
    for (size_t i = 0; i < n; i++) {
        const dlz_value *k = v->u.items[2 * i], *val = v->u.items[2 * i + 1];
        if (keys_are_strings) {
            dlzi_json_key(o, k->u.s, k->n);
            jvalue(o, val, compact);
        } else {
            dlzi_json_open(o, '[', DLZI_JSON_LINE);
            jvalue(o, k, 1);
            jvalue(o, val, 1);
            dlzi_json_close(o);
        }
    }
    dlzi_json_close(o);
}

static void jvalue(dlzi_json *o, const dlz_value *v, int compact) {
    switch (v->type) {
    case DLZ_VALUE_NULL:
        dlzi_json_literal(o, "null");
        return;
    case DLZ_VALUE_STRING:
        dlzi_json_string(o, v->u.s, v->n);
        return;
    case DLZ_VALUE_BOOLEAN:
        dlzi_json_literal(o, v->u.i ? "true" : "false");
        return;
    case DLZ_VALUE_CHAR:
        jchar(o, (uint32_t)v->u.i);
        return;
    case DLZ_VALUE_INT:
    case DLZ_VALUE_LONG:
    case DLZ_VALUE_SHORT:
    case DLZ_VALUE_BYTE:
        dlzi_json_int(o, v->u.i);
        return;
    case DLZ_VALUE_DOUBLE:
        dlzi_json_real(o, v->u.d, 0);
        return;
    case DLZ_VALUE_FLOAT:
        dlzi_json_real(o, (double)v->u.f, 1);
        return;
    case DLZ_VALUE_OPAQUE:
        dlzi_json_open(o, '{', compact ? DLZI_JSON_COMPACT : DLZI_JSON_LINE);
        dlzi_json_key(o, "opaque", 6);
        dlzi_json_string(o, v->u.op.cls, strlen(v->u.op.cls));
        dlzi_json_key(o, "length", 6);
        dlzi_json_int(o, (int64_t)v->n);
        dlzi_json_close(o);
        return;
    case DLZ_VALUE_MAP:
    case DLZ_VALUE_LINKED_MAP:
        jmap(o, v, compact);
        return;
    default:
        break;
    }
    if (dlzi_value_is_prim_array(v->type)) {
        jprim_array(o, v, compact);
        return;
    }
    jopen(o, '[', compact);
    for (size_t i = 0; i < v->n; i++) {
        jvalue(o, v->u.items[i], compact);
    }
    dlzi_json_close(o);
}

int dlz_value_to_json(const dlz_value *v, unsigned flags, char **json, size_t *len) {
    if (json != NULL) {
        *json = NULL;
    }
    if (len != NULL) {
        *len = 0;
    }
    if (v == NULL || json == NULL || (flags & ~DLZ_JSON_PRETTY) != 0) {
        return DLZ_EMISUSE;
    }
    dlzi_json o;
    dlzi_json_init(&o, (flags & DLZ_JSON_PRETTY) != 0);
    jvalue(&o, v, 0);
    return dlzi_json_finish(&o, json, len);
}

/* ------------------------------------------------------------------------ */
/* JSON to value trees                                                       */

static int from_json(json_t *j, int depth, dlz_value **out) {
    dlz_value *v = NULL;
    int rc = DLZ_OK;
    *out = NULL;
    if (depth > DLZ_VALUE_MAX_DEPTH) {
        return DLZ_ELIMIT;
    }
    switch (json_typeof(j)) {
    case JSON_NULL:
        v = dlz_value_new_null();
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v = dlz_value_new_boolean(json_is_true(j));
        break;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(j);
        v = i >= INT32_MIN && i <= INT32_MAX ? dlz_value_new_int((int32_t)i)
                                             : dlz_value_new_long((int64_t)i);
        break;
    }
    case JSON_REAL:
        v = dlz_value_new_double(json_real_value(j));
        break;
    case JSON_STRING:
        v = dlzi_value_string_raw(json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY: {
        v = dlz_value_new_list();
        size_t i;
        json_t *item;
        json_array_foreach(j, i, item) {
            dlz_value *c;
            if (v == NULL || (rc = from_json(item, depth + 1, &c)) != DLZ_OK) {
                break;
            }
            if ((rc = dlz_value_append(v, c)) != DLZ_OK) {
                dlz_value_free(c);
                break;
            }
        }
        break;
    }
    case JSON_OBJECT: {
        v = dlz_value_new_map(1);
        const char *key;
        json_t *item;
        json_object_foreach(j, key, item) {
            dlz_value *k, *c;
            if (v == NULL || (rc = from_json(item, depth + 1, &c)) != DLZ_OK) {
                break;
            }
            k = dlzi_value_string_raw(key, strlen(key));
            if (k == NULL || dlzi_value_reserve(v, 2) != DLZ_OK) {
                dlz_value_free(k);
                dlz_value_free(c);
                rc = DLZ_ENOMEM;
                break;
            }
            /* keys are unique: JSON_REJECT_DUPLICATES */
            v->u.items[2 * v->n] = k;
            v->u.items[2 * v->n + 1] = c;
            v->n++;
            k->in_box = c->in_box = 1;
            if (c->height + 1 > v->height) {
                v->height = c->height + 1;
            }
        }
        break;
    }
    }
    if (v == NULL && rc == DLZ_OK) {
        rc = DLZ_ENOMEM;
    }
    if (rc != DLZ_OK) {
        dlz_value_free(v);
        return rc;
    }
    *out = v;
    return DLZ_OK;
}

int dlz_value_from_json(const char *json, size_t len, dlz_value **out, char *errbuf,
                        size_t errbuf_size) {
    if (errbuf != NULL && errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL || (json == NULL && len > 0)) {
        if (errbuf != NULL && errbuf_size > 0) {
            snprintf(errbuf, errbuf_size, "dlz_value_from_json: NULL argument");
        }
        return DLZ_EMISUSE;
    }
    /* The library's own parser (jsonscan.c): jansson's fails badly when
       memory runs out. */
    dlzi_err err;
    dlzi_err_clear(&err);
    dlzi_json_budget budget = {DLZI_JSON_DEFAULT_NODES, DLZI_JSON_DEFAULT_DEPTH};
    json_t *root = NULL;
    int rc = dlzi_json_load(json ? json : "", len, &budget,
                            DLZI_JSON_ANY | DLZI_JSON_ALLOW_NUL | DLZI_JSON_UNIQUE_KEYS, "JSON",
                            &root, &err);
    if (rc != DLZ_OK) {
        (void)dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
        return rc;
    }
    rc = from_json(root, 1, out);
    json_decref(root);
    if (rc != DLZ_OK && errbuf != NULL && errbuf_size > 0) {
        snprintf(errbuf, errbuf_size, "%s",
                 rc == DLZ_ELIMIT ? "JSON nested deeper than 256 levels" : "out of memory");
    }
    return rc;
}
