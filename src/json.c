/* json.c - the JSON text the library renders (dlz_value_to_json(),
 * dlz_normalizer_to_json()): a growing buffer, strings with escapes, the
 * shortest decimal that reads back to a double or a float (also public:
 * dlz_real_format()), and compact or pretty layout. */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dlzi_json_init(dlzi_json *j, int pretty) {
    memset(j, 0, sizeof *j);
    j->pretty = pretty != 0;
    j->short_escapes = 1;
}

/* Bytes added as they are (no separator). */
static void put_bytes(dlzi_json *j, const char *s, size_t n) {
    if (j->oom) {
        return;
    }
    if (n + 1 > j->cap - j->len) {
        size_t cap = j->cap ? j->cap : 256;
        while (n + 1 > cap - j->len) {
            if (cap > SIZE_MAX / 2) {
                j->oom = 1;
                return;
            }
            cap *= 2;
        }
        char *p = dlzi_realloc(j->p, cap);
        if (p == NULL) {
            j->oom = 1;
            return;
        }
        j->p = p;
        j->cap = cap;
    }
    memcpy(j->p + j->len, s, n);
    j->len += n;
    j->p[j->len] = '\0';
}

static void puts_raw(dlzi_json *j, const char *s) {
    put_bytes(j, s, strlen(s));
}

/* The layout of the innermost open container (COMPACT at the top). */
static int style(const dlzi_json *j) {
    return j->depth > 0 ? j->levels[j->depth - 1].style : DLZI_JSON_COMPACT;
}

/* What goes before a value or a key: a comma after the first item, then a
   new line in a BLOCK container. */
static void sep(dlzi_json *j) {
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth == 0) {
        return;
    }
    int s = style(j);
    if (j->levels[j->depth - 1].items++ > 0) {
        puts_raw(j, s == DLZI_JSON_LINE ? ", " : ",");
    }
    if (s == DLZI_JSON_BLOCK) {
        put_bytes(j, "\n", 1);
        for (size_t i = 0; i < j->depth; i++) {
            put_bytes(j, "  ", 2);
        }
    }
}

void dlzi_json_open(dlzi_json *j, char bracket, int st) {
    sep(j);
    put_bytes(j, &bracket, 1);
    if (j->oom) {
        return;
    }
    if (j->depth == j->cap_levels) {
        size_t cap = j->cap_levels ? 2 * j->cap_levels : 16;
        struct dlzi_json_level *l = dlzi_realloc(j->levels, cap * sizeof *l);
        if (l == NULL) {
            j->oom = 1;
            return;
        }
        j->levels = l;
        j->cap_levels = cap;
    }
    /* a container is laid out at most as loosely as the one holding it */
    if (!j->pretty || (j->depth > 0 && style(j) > st)) {
        st = j->pretty ? style(j) : DLZI_JSON_COMPACT;
    }
    j->levels[j->depth].style = st;
    j->levels[j->depth].items = 0;
    j->levels[j->depth].bracket = bracket == '[' ? ']' : '}';
    j->depth++;
}

void dlzi_json_close(dlzi_json *j) {
    if (j->oom || j->depth == 0) {
        return;
    }
    j->depth--;
    const struct dlzi_json_level *l = &j->levels[j->depth];
    if (l->style == DLZI_JSON_BLOCK && l->items > 0) {
        put_bytes(j, "\n", 1);
        for (size_t i = 0; i < j->depth; i++) {
            put_bytes(j, "  ", 2);
        }
    }
    put_bytes(j, &l->bracket, 1);
}

static void unit_escape(dlzi_json *j, uint32_t u) {
    char b[8];
    snprintf(b, sizeof b, "\\u%04x", (unsigned)u);
    put_bytes(j, b, 6);
}

void dlzi_json_string(dlzi_json *j, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    sep(j);
    put_bytes(j, "\"", 1);
    while (i < n) {
        size_t at = i;
        uint32_t cp;
        if (dlzi_utf8_next(u, n, &i, &cp, DLZI_UTF8_SURROGATES) != DLZI_UTF8_OK) {
            i = at + 1; /* a byte that is not UTF-8 */
            put_bytes(j, "\xEF\xBF\xBD", 3);
            continue;
        }
        if (cp == '"' || cp == '\\') {
            char b[2] = {'\\', (char)cp};
            put_bytes(j, b, 2);
        } else if (cp == '\n' && j->short_escapes) {
            put_bytes(j, "\\n", 2);
        } else if (cp == '\t' && j->short_escapes) {
            put_bytes(j, "\\t", 2);
        } else if (cp == '\r' && j->short_escapes) {
            put_bytes(j, "\\r", 2);
        } else if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            unit_escape(j, cp);
        } else {
            put_bytes(j, s + at, i - at);
        }
    }
    put_bytes(j, "\"", 1);
}

void dlzi_json_key(dlzi_json *j, const char *s, size_t n) {
    dlzi_json_string(j, s, n);
    puts_raw(j, j->pretty && style(j) != DLZI_JSON_COMPACT ? ": " : ":");
    j->after_key = 1;
}

void dlzi_json_literal(dlzi_json *j, const char *s) {
    sep(j);
    puts_raw(j, s);
}

void dlzi_json_int(dlzi_json *j, int64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%" PRId64, v);
    dlzi_json_literal(j, b);
}

/* The shortest %g text of finite d, at a precision of at least first, that
   reads back to it (see dlz_real_format()), '.' whatever the locale, into
   out[DLZ_REAL_SIZE] with room left for ".0": *real is 1 when it has a '.'
   or an exponent. */
static size_t shortest(char *out, double d, int is_float, int first, int *real) {
    char tmp[64];
    for (int prec = first; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (!is_float) {
            if (strtod(tmp, NULL) == d) {
                break;
            }
            /* reads back to the float whether parsed as a float (Java's
               Float.parseFloat) or as a double and then rounded */
        } else if (strtof(tmp, NULL) == (float)d &&
                   dlzi_double_to_float(strtod(tmp, NULL)) == (float)d) {
            break;
        }
    }
    /* The locale's decimal point (any run of other characters) becomes '.'. */
    size_t o = 0;
    *real = 0;
    for (size_t i = 0; tmp[i] != '\0' && o + 3 < DLZ_REAL_SIZE; i++) {
        char c = tmp[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
            out[o++] = c;
        } else if (c == 'e' || c == 'E') {
            out[o++] = 'e';
            *real = 1;
        } else if (o == 0 || out[o - 1] != '.') {
            out[o++] = '.';
            *real = 1;
        }
    }
    out[o] = '\0';
    return o;
}

size_t dlz_real_format(double value, unsigned flags, char *buf, size_t size) {
    char t[DLZ_REAL_SIZE];
    size_t n;
    int real;
    if (isnan(value)) {
        n = (size_t)snprintf(t, sizeof t, "NaN");
    } else if (isinf(value)) {
        n = (size_t)snprintf(t, sizeof t, value > 0 ? "Infinity" : "-Infinity");
    } else {
        n = shortest(t, value, (flags & DLZ_REAL_FLOAT) != 0, (flags & DLZ_REAL_DISPLAY) ? 15 : 1,
                     &real);
    }
    if (buf != NULL && size > 0) {
        size_t k = n < size ? n : size - 1;
        memcpy(buf, t, k);
        buf[k] = '\0';
    }
    return n;
}

size_t dlzi_format_real(char *out, size_t cap, double d, int is_float) {
    char t[DLZ_REAL_SIZE];
    if (isnan(d) || isinf(d)) {
        dlz_real_format(d, 0, t, sizeof t);
        return (size_t)snprintf(out, cap, "\"%s\"", t);
    }
    int real;
    size_t o = shortest(t, d, is_float, 1, &real);
    if (!real) {
        t[o++] = '.';
        t[o++] = '0';
        t[o] = '\0';
    }
    return (size_t)snprintf(out, cap, "%s", t);
}

void dlzi_json_real(dlzi_json *j, double d, int is_float) {
    char b[64];
    dlzi_format_real(b, sizeof b, d, is_float);
    dlzi_json_literal(j, b);
}

int dlzi_json_finish(dlzi_json *j, char **json, size_t *len) {
    put_bytes(j, "", 0); /* the buffer exists even for no text */
    dlzi_free(j->levels);
    j->levels = NULL;
    if (j->oom) {
        dlzi_free(j->p);
        j->p = NULL;
        return DLZ_ENOMEM;
    }
    *json = j->p;
    if (len != NULL) {
        *len = j->len;
    }
    j->p = NULL;
    return DLZ_OK;
}
