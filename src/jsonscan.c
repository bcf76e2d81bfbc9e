/* jsonscan.c - JSON input: checks a text without allocating, then builds
 * its jansson document within budgets.
 *
 * jansson's own parser is not used: its lexer ignores the failure of the
 * buffer that collects a token (lex_save drops the character), so when
 * memory runs out it returns documents with wrong strings, reports syntax
 * errors that are not there, or writes past what it allocated and corrupts
 * the heap (all three seen with allocations made to fail one at a time).
 * Here every text is first checked with the grammar jansson accepts (RFC
 * 8259; strings of valid UTF-8 with no control characters, no \u0000 unless
 * allowed and never in keys, no unpaired surrogate escapes; no byte after
 * the value), while its values are counted and its nesting measured against
 * the caller's budgets.  The document is then built through jansson's
 * constructors, whose allocation failures are plain NULL returns: running
 * out of memory is DLZ_ENOMEM "out of memory" and nothing else.
 *
 * The scan also finds the keys of the top-level object, which is all the
 * reader needs to tell a MultiLayerNetwork from a ComputationGraph: opening
 * an archive builds no document.  See dlz-format(5), section CONFIGURATION. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>

typedef struct scan {
    const unsigned char *p, *end, *start;
    const dlzi_json_budget *budget;
    int64_t nodes;
    int depth, max_depth;
    unsigned flags;
    void (*top_key)(void *ctx, const char *key, size_t len);
    void *ctx;
    dlzi_err *err;
    const char *what;
} scan;

/* Line and column (from 1) of the current position, for messages. */
static int fail_at(scan *s, const unsigned char *at, const char *msg) {
    int64_t line = 1, col = 1;
    for (const unsigned char *q = s->start; q < at && q < s->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return dlzi_err_set(s->err, DLZ_EFORMAT,
                        "%s: line %" PRId64 ", column %" PRId64 ": not valid JSON: %s", s->what,
                        line, col, msg);
}

static void skip_ws(scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
        s->p++;
    }
}

static int count_node(scan *s) {
    if (++s->nodes > s->budget->max_nodes) {
        return dlzi_err_set(s->err, DLZ_ELIMIT,
                            "%s: more than %" PRId64 " values (the JSON node limit)", s->what,
                            s->budget->max_nodes);
    }
    return DLZ_OK;
}

/* The character of a one-letter escape (\" \\ \/ \b \f \n \r \t). */
static uint32_t simple_escape(unsigned e) {
    switch (e) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default: /* '"', '\\', '/' */
        return e;
    }
}

static int hex4(const unsigned char *p, uint32_t *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? c - '0'
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10
                     : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : 16;
        if (d == 16) {
            return -1;
        }
        *v = *v << 4 | d;
    }
    return 0;
}

/* Puts code point cp as UTF-8 into key (when there is room). */
static void key_put(char *key, size_t cap, size_t *n, uint32_t cp) {
    unsigned char b[4];
    size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (k == 1) {
        b[0] = (unsigned char)cp;
    } else if (k == 2) {
        b[0] = (unsigned char)(0xC0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (k == 3) {
        b[0] = (unsigned char)(0xE0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        b[0] = (unsigned char)(0xF0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    }
    for (size_t i = 0; i < k; i++) {
        if (*n < cap) {
            key[*n] = (char)b[i];
        }
        (*n)++;
    }
}

/* A string at s->p (the opening quote); is_key: an object key, which may not
   hold U+0000 (jansson refuses it there even with JSON_ALLOW_NUL).  With key
   != NULL its decoded UTF-8 goes there (up to cap bytes; *keylen is the full
   length). */
static int scan_string(scan *s, int is_key, char *key, size_t cap, size_t *keylen) {
    const unsigned char *open = s->p++;
    size_t n = 0;
    while (s->p < s->end) {
        const unsigned char *at = s->p;
        unsigned c = *s->p;
        if (c == '"') {
            s->p++;
            if (keylen != NULL) {
                *keylen = n;
            }
            return DLZ_OK;
        }
        if (c < 0x20) {
            return fail_at(s, at, "control character in a string");
        }
        uint32_t cp;
        if (c == '\\') {
            if (s->end - s->p < 2) {
                break;
            }
            unsigned e = s->p[1];
            s->p += 2;
            switch (e) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                cp = simple_escape(e);
                break;
            case 'u':
                if (s->end - s->p < 4 || hex4(s->p, &cp) != 0) {
                    return fail_at(s, at, "invalid \\u escape");
                }
                s->p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail_at(s, at, "unpaired surrogate escape");
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
                        hex4(s->p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                        return fail_at(s, at, "unpaired surrogate escape");
                    }
                    s->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp == 0 && (is_key || !(s->flags & DLZI_JSON_ALLOW_NUL))) {
                    return fail_at(s, at, "\\u0000 in a string");
                }
                break;
            default:
                return fail_at(s, at, "invalid escape");
            }
        } else if (c < 0x80) {
            cp = c;
            s->p++;
        } else {
            /* UTF-8: no overlong forms, no surrogates, at most U+10FFFF */
            size_t k = c >= 0xC2 && c <= 0xDF   ? 2
                       : c >= 0xE0 && c <= 0xEF ? 3
                       : c >= 0xF0 && c <= 0xF4 ? 4
                                                : 0;
            if (k == 0 || (size_t)(s->end - s->p) < k) {
                return fail_at(s, at, "invalid UTF-8 in a string");
            }
            cp = c & (k == 2 ? 0x1Fu : k == 3 ? 0x0Fu : 0x07u);
            for (size_t i = 1; i < k; i++) {
                if ((s->p[i] & 0xC0) != 0x80) {
                    return fail_at(s, at, "invalid UTF-8 in a string");
                }
                cp = cp << 6 | (s->p[i] & 0x3Fu);
            }
            if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                (cp >= 0xD800 && cp <= 0xDFFF)) {
                return fail_at(s, at, "invalid UTF-8 in a string");
            }
            s->p += k;
        }
        if (key != NULL) {
            key_put(key, cap, &n, cp);
        }
    }
    return fail_at(s, open, "unterminated string");
}

static int digits(scan *s) {
    const unsigned char *q = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        s->p++;
    }
    return s->p > q;
}

static int scan_number(scan *s) {
    const unsigned char *at = s->p;
    if (*s->p == '-') {
        s->p++;
    }
    if (s->p < s->end && *s->p == '0') {
        s->p++;
        if (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            return fail_at(s, at, "number with a leading zero");
        }
    } else if (!digits(s)) {
        return fail_at(s, at, "invalid number");
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s)) {
            return fail_at(s, at, "invalid number");
        }
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
            s->p++;
        }
        if (!digits(s)) {
            return fail_at(s, at, "invalid number");
        }
    }
    return DLZ_OK;
}

static int scan_literal(scan *s, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) {
        return fail_at(s, s->p, "invalid token");
    }
    s->p += n;
    return DLZ_OK;
}

static int scan_value(scan *s);

/* An array or object at s->p; keys of the top-level object go to top_key. */
static int scan_container(scan *s) {
    const unsigned char *open = s->p;
    int object = *s->p == '{';
    if (++s->depth > s->budget->max_depth) {
        return dlzi_err_set(s->err, DLZ_ELIMIT, "%s: nested deeper than %d levels", s->what,
                            s->budget->max_depth);
    }
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == (object ? '}' : ']')) {
        s->p++;
        s->depth--;
        return DLZ_OK;
    }
    for (;;) {
        int rc;
        if (object) {
            if (s->p >= s->end || *s->p != '"') {
                return fail_at(s, s->p, "string or '}' expected");
            }
            char key[64];
            size_t keylen;
            int top = s->depth == 1 && s->top_key != NULL;
            rc = scan_string(s, 1, top ? key : NULL, sizeof key, &keylen);
            if (rc != DLZ_OK) {
                return rc;
            }
            if (top && keylen <= sizeof key) {
                s->top_key(s->ctx, key, keylen);
            }
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') {
                return fail_at(s, s->p, "':' expected");
            }
            s->p++;
            skip_ws(s);
        }
        if ((rc = scan_value(s)) != DLZ_OK) {
            return rc;
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == (object ? '}' : ']')) {
            s->p++;
            s->depth--;
            return DLZ_OK;
        }
        return fail_at(s, s->p >= s->end ? open : s->p,
                       object ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static int scan_value(scan *s) {
    int rc = count_node(s);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (s->p >= s->end) {
        return fail_at(s, s->p, "a value expected");
    }
    switch (*s->p) {
    case '{':
    case '[':
        return scan_container(s);
    case '"':
        return scan_string(s, 0, NULL, 0, NULL);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
            return scan_number(s);
        }
        return fail_at(s, s->p, "invalid token");
    }
}

int dlzi_json_scan(const char *text, size_t len, const dlzi_json_budget *budget, unsigned flags,
                   void (*top_key)(void *ctx, const char *key, size_t len), void *ctx,
                   const char *what, dlzi_err *err) {
    scan s = {(const unsigned char *)text,
              (const unsigned char *)text + len,
              (const unsigned char *)text,
              budget,
              0,
              0,
              0,
              flags,
              top_key,
              ctx,
              err,
              what};
    skip_ws(&s);
    if (s.p < s.end && !(flags & DLZI_JSON_ANY) && *s.p != '{' && *s.p != '[') {
        return fail_at(&s, s.p, "'[' or '{' expected");
    }
    int rc = scan_value(&s);
    if (rc != DLZ_OK) {
        return rc;
    }
    skip_ws(&s);
    if (s.p != s.end) {
        return fail_at(&s, s.p, "end of file expected");
    }
    return DLZ_OK;
}

int dlzi_json_check_config(const char *text, size_t len, const dlzi_json_budget *budget,
                           void (*top_key)(void *ctx, const char *key, size_t len), void *ctx,
                           dlzi_err *err) {
    size_t lead = 0;
    while (lead < len &&
           (text[lead] == ' ' || text[lead] == '\t' || text[lead] == '\n' || text[lead] == '\r')) {
        lead++;
    }
    if (lead < len && text[lead] != '{' && text[lead] != '[') {
        return dlzi_err_set(err, DLZ_EFORMAT,
                            "configuration.json: expected a JSON object at the top level");
    }
    int rc = dlzi_json_scan(text, len, budget, DLZI_JSON_ALLOW_NUL, top_key, ctx,
                            "configuration.json", err);
    if (rc == DLZ_OK && text[lead] != '{') {
        rc = dlzi_err_set(err, DLZ_EFORMAT,
                          "configuration.json: expected a JSON object at the top level");
    }
    return rc;
}

/* ---- building the document (of a text that passed the scan) ----------- */

typedef struct builder {
    const char *p, *end;
    dlzi_err *err;
    const char *what;
    int unique_keys;
} builder;

static int nomem(builder *b) {
    return dlzi_err_set(b->err, DLZ_ENOMEM, "out of memory");
}

static void skip_space(builder *b) {
    while (b->p < b->end && (*b->p == ' ' || *b->p == '\t' || *b->p == '\n' || *b->p == '\r')) {
        b->p++;
    }
}

/* The string at b->p (its quote), decoded into a new buffer (NUL-terminated;
 *len excludes the NUL).  The scan guarantees it is well formed. */
static int build_string(builder *b, char **out, size_t *len) {
    const char *q = ++b->p;
    while (*q != '"') {
        q += *q == '\\' ? 2 : 1;
    }
    char *d = dlzi_malloc((size_t)(q - b->p) + 1);
    if (d == NULL) {
        return nomem(b);
    }
    size_t n = 0;
    while (b->p < q) {
        if (*b->p != '\\') {
            d[n++] = *b->p++;
            continue;
        }
        char e = b->p[1];
        b->p += 2;
        uint32_t cp;
        switch (e) {
        case 'u':
            hex4((const unsigned char *)b->p, &cp);
            b->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                hex4((const unsigned char *)b->p + 2, &lo);
                b->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            break;
        default: /* checked by the scan: one of "\\/bfnrt */
            cp = simple_escape((unsigned char)e);
        }
        key_put(d, SIZE_MAX, &n, cp); /* never longer than its escape */
    }
    b->p++; /* the closing quote */
    d[n] = '\0';
    *out = d;
    *len = n;
    return DLZ_OK;
}

/* A number, as jansson makes it: an integer when there is no fraction and no
   exponent (one beyond 64 bits is an error), else a real (an infinite one is
   an error).  strtod reads the locale's decimal point, so '.' is put in its
   place first. */
static int build_number(builder *b, json_t **out) {
    const char *start = b->p;
    int real = 0;
    while (b->p < b->end && strchr("+-0123456789.eE", *b->p) != NULL && *b->p != '\0') {
        real |= *b->p == '.' || *b->p == 'e' || *b->p == 'E';
        b->p++;
    }
    size_t n = (size_t)(b->p - start);
    const char *point = localeconv()->decimal_point;
    size_t pl = point != NULL && *point != '\0' ? strlen(point) : 1;
    char small[128], *text = n + pl < sizeof small ? small : dlzi_malloc(n + pl + 1);
    if (text == NULL) {
        return nomem(b);
    }
    size_t k = 0;
    for (const char *c = start; c < b->p; c++) {
        if (*c == '.' && pl > 0 && point != NULL && *point != '\0') {
            memcpy(text + k, point, pl);
            k += pl;
        } else {
            text[k++] = *c;
        }
    }
    text[k] = '\0';
    errno = 0;
    int rc = DLZ_OK;
    if (real) {
        double v = strtod(text, NULL);
        if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) {
            rc = dlzi_err_set(b->err, DLZ_EFORMAT, "%s: real number overflow: %.40s", b->what,
                              start);
        } else if ((*out = json_real(v)) == NULL) {
            rc = nomem(b);
        }
    } else {
        long long v = strtoll(text, NULL, 10);
        if (errno == ERANGE) {
            rc = dlzi_err_set(b->err, DLZ_EFORMAT, "%s: too big %sinteger: %.40s", b->what,
                              v < 0 ? "negative " : "", start);
        } else if ((*out = json_integer((json_int_t)v)) == NULL) {
            rc = nomem(b);
        }
    }
    if (text != small) {
        dlzi_free(text);
    }
    return rc;
}

static int build_value(builder *b, json_t **out);

static int build_container(builder *b, json_t **out) {
    int object = *b->p == '{';
    json_t *c = object ? json_object() : json_array();
    if (c == NULL) {
        return nomem(b);
    }
    b->p++;
    skip_space(b);
    int rc = DLZ_OK;
    while (rc == DLZ_OK && *b->p != (object ? '}' : ']')) {
        char *key = NULL;
        size_t keylen;
        if (object) {
            rc = build_string(b, &key, &keylen);
            skip_space(b);
            b->p++; /* ':' */
            skip_space(b);
        }
        json_t *v = NULL;
        if (rc == DLZ_OK && object && b->unique_keys && json_object_get(c, key) != NULL) {
            char q[96];
            rc = dlzi_err_set(b->err, DLZ_EFORMAT, "%s: duplicate key %s in one object", b->what,
                              dlzi_quote(key, strlen(key), q, sizeof q));
        }
        if (rc == DLZ_OK) {
            rc = build_value(b, &v);
        }
        if (rc == DLZ_OK) {
            /* both take v, also when they fail */
            int bad = object ? json_object_set_new_nocheck(c, key, v) : json_array_append_new(c, v);
            if (bad != 0) {
                rc = nomem(b);
            }
        }
        dlzi_free(key);
        skip_space(b);
        if (rc == DLZ_OK && *b->p == ',') {
            b->p++;
            skip_space(b);
        }
    }
    if (rc != DLZ_OK) {
        json_decref(c);
        return rc;
    }
    b->p++;
    *out = c;
    return DLZ_OK;
}

static int build_value(builder *b, json_t **out) {
    switch (*b->p) {
    case '{':
    case '[':
        return build_container(b, out);
    case '"': {
        char *s;
        size_t n;
        int rc = build_string(b, &s, &n);
        if (rc != DLZ_OK) {
            return rc;
        }
        *out = json_stringn_nocheck(s, n);
        dlzi_free(s);
        return *out != NULL ? DLZ_OK : nomem(b);
    }
    case 't':
    case 'f':
    case 'n':
        *out = *b->p == 't' ? json_true() : *b->p == 'f' ? json_false() : json_null();
        b->p += *b->p == 'f' ? 5 : 4;
        return DLZ_OK;
    default:
        return build_number(b, out);
    }
}

int dlzi_json_load(const char *text, size_t len, const dlzi_json_budget *budget, unsigned flags,
                   const char *what, json_t **out, dlzi_err *err) {
    *out = NULL;
    int rc = dlzi_json_scan(text, len, budget, flags, NULL, NULL, what, err);
    if (rc != DLZ_OK) {
        return rc;
    }
    builder b = {text, text + len, err, what, (flags & DLZI_JSON_UNIQUE_KEYS) != 0};
    skip_space(&b);
    return build_value(&b, out);
}
