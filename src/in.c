/* in.c - memory input and the buffered big-endian parser every decoder uses. */
#include "internal.h"

#include <inttypes.h>

static int64_t memin_read(dlzi_in *in, void *buf, size_t n) {
    dlzi_memin *m = in->ctx;
    size_t left = m->len - m->pos;
    if (n > left) {
        n = left;
    }
    if (n > 0) {
        memcpy(buf, m->p + m->pos, n);
    }
    m->pos += n;
    return (int64_t)n;
}

void dlzi_memin_init(dlzi_memin *m, const void *p, size_t len, dlzi_err *err) {
    m->p = p;
    m->len = len;
    m->pos = 0;
    m->in.read = memin_read;
    m->in.ctx = m;
    m->in.err = err;
}

void dlzi_rd_init(dlzi_rd *rd, dlzi_in *in, int64_t total, const char *what, dlzi_err *err) {
    rd->in = in;
    rd->what = what != NULL ? what : "input";
    rd->total = total;
    rd->off = 0;
    rd->pos = rd->len = 0;
    rd->at_end = 0;
    rd->err = err;
}

/* Refills the buffer so that at least `want` bytes (<= sizeof buf) are
   buffered, unless the input ends first.  Returns DLZ_OK or an error code. */
static int fill(dlzi_rd *rd, size_t want) {
    if (rd->len - rd->pos >= want) {
        return DLZ_OK;
    }
    if (rd->pos > 0) {
        memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
        rd->len -= rd->pos;
        rd->pos = 0;
    }
    while (rd->len < want && !rd->at_end) {
        int64_t k = rd->in->read(rd->in, rd->buf + rd->len, sizeof rd->buf - rd->len);
        if (k < 0) {
            if (rd->err != NULL && rd->err->code == DLZ_OK) {
                dlzi_err_set(rd->err, DLZ_EIO, "%s: read failed at byte %" PRId64, rd->what,
                             rd->off + (int64_t)(rd->len - rd->pos));
            }
            return rd->err != NULL && rd->err->code != DLZ_OK ? rd->err->code : DLZ_EIO;
        }
        if (k == 0) {
            rd->at_end = 1;
        }
        rd->len += (size_t)k;
    }
    return DLZ_OK;
}

static int truncated(dlzi_rd *rd, uint64_t need, uint64_t have) {
    return dlzi_err_set(rd->err, DLZ_EFORMAT,
                        "%s: truncated at byte %" PRId64 ": %" PRIu64
                        " more bytes expected, %" PRIu64 " found",
                        rd->what, rd->off, need, have);
}

int dlzi_rd_read(dlzi_rd *rd, void *dst, size_t n) {
    unsigned char *d = dst;
    size_t done = 0;
    while (done < n) {
        if (rd->pos == rd->len) {
            size_t left = n - done;
            /* Large reads bypass the buffer. */
            if (left >= sizeof rd->buf) {
                int64_t k = rd->in->read(rd->in, d + done, left);
                if (k < 0) {
                    int rc = fill(rd, 1); /* reports the error consistently */
                    return rc != DLZ_OK ? rc : DLZ_EIO;
                }
                if (k == 0) {
                    rd->at_end = 1;
                    return truncated(rd, n - done, 0);
                }
                done += (size_t)k;
                rd->off += k;
                continue;
            }
            int rc = fill(rd, 1);
            if (rc != DLZ_OK) {
                return rc;
            }
            if (rd->pos == rd->len) {
                return truncated(rd, n - done, 0);
            }
        }
        size_t k = rd->len - rd->pos;
        if (k > n - done) {
            k = n - done;
        }
        memcpy(d + done, rd->buf + rd->pos, k);
        rd->pos += k;
        rd->off += (int64_t)k;
        done += k;
    }
    return DLZ_OK;
}

int dlzi_rd_skip(dlzi_rd *rd, uint64_t n) {
    unsigned char tmp[4096];
    while (n > 0) {
        size_t k = n > sizeof tmp ? sizeof tmp : (size_t)n;
        int rc = dlzi_rd_read(rd, tmp, k);
        if (rc != DLZ_OK) {
            return rc;
        }
        n -= k;
    }
    return DLZ_OK;
}

int64_t dlzi_rd_peek(dlzi_rd *rd, size_t n, const unsigned char **p) {
    if (n > sizeof rd->buf) {
        n = sizeof rd->buf;
    }
    int rc = fill(rd, n);
    if (rc != DLZ_OK) {
        return rc;
    }
    *p = rd->buf + rd->pos;
    size_t have = rd->len - rd->pos;
    return (int64_t)(have < n ? have : n);
}

int dlzi_rd_u8(dlzi_rd *rd, uint8_t *v) {
    return dlzi_rd_read(rd, v, 1);
}

int dlzi_rd_u16(dlzi_rd *rd, uint16_t *v) {
    unsigned char b[2];
    int rc = dlzi_rd_read(rd, b, 2);
    if (rc == DLZ_OK) {
        *v = dlzi_get_be16(b);
    }
    return rc;
}

int dlzi_rd_i32(dlzi_rd *rd, int32_t *v) {
    unsigned char b[4];
    int rc = dlzi_rd_read(rd, b, 4);
    if (rc == DLZ_OK) {
        *v = (int32_t)dlzi_get_be32(b);
    }
    return rc;
}

int dlzi_rd_i64(dlzi_rd *rd, int64_t *v) {
    unsigned char b[8];
    int rc = dlzi_rd_read(rd, b, 8);
    if (rc == DLZ_OK) {
        *v = (int64_t)dlzi_get_be64(b);
    }
    return rc;
}

int dlzi_rd_f64(dlzi_rd *rd, double *v) {
    unsigned char b[8];
    int rc = dlzi_rd_read(rd, b, 8);
    if (rc == DLZ_OK) {
        uint64_t bits = dlzi_get_be64(b);
        memcpy(v, &bits, sizeof *v);
    }
    return rc;
}

int dlzi_rd_utf(dlzi_rd *rd, const char *expected, char *dst, size_t cap, size_t *len,
                int64_t *at) {
    int64_t start = rd->off;
    uint16_t n;
    int rc = dlzi_rd_u16(rd, &n);
    if (at != NULL) {
        *at = start;
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t rem = dlzi_rd_remaining(rd);
    if (rem >= 0 && (int64_t)n > rem) {
        return dlzi_err_at(rd->err, DLZ_EFORMAT, rd->what, start,
                           "expected %s of %u bytes, found only %" PRId64 " bytes left", expected,
                           (unsigned)n, rem);
    }
    if ((size_t)n >= cap) {
        return dlzi_err_at(rd->err, DLZ_EFORMAT, rd->what, start,
                           "expected %s, found a string of %u bytes", expected, (unsigned)n);
    }
    rc = dlzi_rd_read(rd, dst, n);
    if (rc != DLZ_OK) {
        return rc;
    }
    dst[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return DLZ_OK;
}

int64_t dlzi_rd_remaining(const dlzi_rd *rd) {
    if (rd->total < 0) {
        return -1;
    }
    return rd->total > rd->off ? rd->total - rd->off : 0;
}

int dlzi_rd_at_eof(dlzi_rd *rd) {
    int rc = fill(rd, 1);
    if (rc != DLZ_OK) {
        return rc;
    }
    return rd->pos == rd->len ? 1 : 0;
}
