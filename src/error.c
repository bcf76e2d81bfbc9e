/* error.c - status codes, their texts and the per-handle error state. */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *dlz_strerror(int code) {
    switch (code) {
    case DLZ_OK:
        return "success";
    case DLZ_EMISUSE:
        return "bad argument or call in the wrong state";
    case DLZ_EIO:
        return "input/output error";
    case DLZ_EFORMAT:
        return "malformed data";
    case DLZ_ENOTFOUND:
        return "entry not found";
    case DLZ_EUNSUPPORTED:
        return "unsupported feature";
    case DLZ_ELIMIT:
        return "limit exceeded";
    case DLZ_ENOMEM:
        return "out of memory";
    case DLZ_EBUSY:
        return "locked by another process";
    case DLZ_ECONFLICT:
        return "changed by another process";
    default:
        return "unknown status code";
    }
}

void dlzi_err_one_line(char *msg) {
    for (unsigned char *p = (unsigned char *)msg; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
}

int dlzi_err_vset(dlzi_err *err, int code, const char *fmt, va_list ap) {
    if (err == NULL) {
        return code;
    }
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    dlzi_err_one_line(err->msg);
    err->code = code;
    err->sys = 0;
    return code;
}

int dlzi_err_set(dlzi_err *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int dlzi_err_vat(dlzi_err *err, int code, const char *what, int64_t at, const char *fmt,
                 va_list ap) {
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return dlzi_err_set(err, code, "%s: byte %" PRId64 ": %s", what, at, msg);
}

int dlzi_err_at(dlzi_err *err, int code, const char *what, int64_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vat(err, code, what, at, fmt, ap);
    va_end(ap);
    return code;
}

int dlzi_err_sys(dlzi_err *err, int errnum, const char *fmt, ...) {
    if (err == NULL) {
        return DLZ_EIO;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof err->msg) {
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
    }
    dlzi_err_one_line(err->msg);
    err->code = DLZ_EIO;
    err->sys = errnum;
    return DLZ_EIO;
}

int dlzi_err_to_buf(const dlzi_err *err, int rc, char *errbuf, size_t errbuf_size) {
    if (errbuf != NULL && errbuf_size > 0) {
        snprintf(errbuf, errbuf_size, "%s",
                 err != NULL && err->code != DLZ_OK ? err->msg : dlz_strerror(rc));
    }
    return rc;
}

void dlzi_err_clear(dlzi_err *err) {
    if (err != NULL) {
        err->code = DLZ_OK;
        err->sys = 0;
        err->msg[0] = '\0';
    }
}

void dlzi_err_prefix(dlzi_err *err, const char *fmt, ...) {
    if (err == NULL) {
        return;
    }
    char prefix[256];
    char old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* prefix + ": " + old, truncated to the buffer */
    size_t pl = strlen(prefix), ol = strlen(old), cap = sizeof err->msg - 1;
    if (pl > cap) {
        pl = cap;
    }
    memcpy(err->msg, prefix, pl);
    size_t at = pl;
    for (const char *sep = ": "; *sep != '\0' && at < cap; sep++) {
        err->msg[at++] = *sep;
    }
    if (ol > cap - at) {
        ol = cap - at;
    }
    memcpy(err->msg + at, old, ol);
    err->msg[at + ol] = '\0';
    dlzi_err_one_line(err->msg);
}

const char *dlzi_quote(const char *s, size_t n, char *buf, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[o++] = (char)c;
        } else {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        }
    }
    buf[o] = '\0';
    return buf;
}
