/* zipwrite.c - a sequential zip writer laid out like java.util.zip.
 *
 * Why not libzip for writing: libzip writes only inside zip_close(), needs a
 * seekable target and never fsyncs.  Writing sequentially lets one code path
 * serve files, pipes, callbacks and memory, keeps memory use flat however
 * large an array is, and gives exactly the layout both of DL4J's readers
 * (ZipFile and ZipInputStream) accept. */
/* See dlz-format(5), section ZIP CONTAINER. */
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_DESCRIPTOR 0x08074b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u
#define FLAG_DESCRIPTOR 0x0008u
#define FLAG_UTF8 0x0800u
#define MAX32 0xFFFFFFFFu
#define MAX16 0xFFFFu
#define MADE_BY_UNIX (3u << 8 | 45u)    /* host 3 (Unix), ZIP 4.5 */
#define MODE_FILE_0644 (0100644u << 16) /* external attributes: regular file, rw-r--r-- */

static void dos_time(int64_t t, uint16_t *dtime, uint16_t *ddate) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL || tm.tm_year < 80) {
        *dtime = 0;
        *ddate = (1 << 5) | 1; /* 1980-01-01 */
        return;
    }
    if (tm.tm_year > 207) {
        /* DOS dates end with 2107: clamp to its last representable moment */
        *dtime = (uint16_t)(23 << 11 | 59 << 5 | 29);
        *ddate = (uint16_t)(127 << 9 | 12 << 5 | 31);
        return;
    }
    *dtime = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
    *ddate = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
}

void dlzi_zw_init(dlzi_zw *zw, dlzi_out *out, int64_t mtime, dlzi_err *err) {
    memset(zw, 0, sizeof *zw);
    zw->out = out;
    zw->err = err;
    zw->zip64_size = MAX32;
    zw->zip64_count = MAX16;
    dos_time(mtime, &zw->dostime, &zw->dosdate);
}

void dlzi_zw_set_unix(dlzi_zw *zw) {
    zw->unix_host = 1;
}

void dlzi_zw_set_zip64_limits(dlzi_zw *zw, uint64_t size, uint64_t count) {
    zw->zip64_size = size < MAX32 ? size : MAX32;
    zw->zip64_count = count < MAX16 ? count : MAX16;
}

uint32_t dlzi_crc32(uint32_t crc, const void *p, size_t n) {
    /* crc32() takes a 32-bit length. */
    const unsigned char *b = p;
    uLong c = crc;
    for (size_t done = 0; done < n;) {
        size_t k = n - done > (1u << 30) ? (1u << 30) : n - done;
        c = crc32(c, b + done, (uInt)k);
        done += k;
    }
    return (uint32_t)c;
}

int dlzi_crc_emit(void *ctx, const void *p, size_t n) {
    uint32_t *crc = ctx;
    *crc = dlzi_crc32(*crc, p, n);
    return DLZ_OK;
}

static int has_non_ascii(const char *s) {
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s >= 0x80) {
            return 1;
        }
    }
    return 0;
}

static int flush(dlzi_zw *zw) {
    if (zw->blen > 0) {
        int rc = zw->out->write(zw->out, zw->buf, zw->blen);
        zw->blen = 0;
        if (rc != DLZ_OK) {
            zw->failed = 1;
            return rc;
        }
    }
    return DLZ_OK;
}

static int put(dlzi_zw *zw, const void *p, size_t n) {
    const unsigned char *s = p;
    zw->offset += n;
    if (n >= sizeof zw->buf) {
        int rc = flush(zw);
        if (rc == DLZ_OK) {
            rc = zw->out->write(zw->out, s, n);
        }
        if (rc != DLZ_OK) {
            zw->failed = 1;
        }
        return rc;
    }
    if (zw->blen + n > sizeof zw->buf) {
        int rc = flush(zw);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    memcpy(zw->buf + zw->blen, s, n);
    zw->blen += n;
    return DLZ_OK;
}

static int check_state(dlzi_zw *zw, int want_open) {
    if (zw->failed) {
        return zw->err && zw->err->code != DLZ_OK ? zw->err->code : DLZ_EMISUSE;
    }
    if (zw->open != want_open) {
        return dlzi_err_set(zw->err, DLZ_EMISUSE,
                            want_open ? "no zip entry is open" : "a zip entry is still open");
    }
    return DLZ_OK;
}

static int fail(dlzi_zw *zw, int rc) {
    zw->failed = 1;
    return rc;
}

static const char *entry_name(const void *ctx, size_t i) {
    return ((const dlzi_zw *)ctx)->entries[i].name;
}

int dlzi_zw_has(const dlzi_zw *zw, const char *name) {
    return dlzi_names_find(&zw->names, name, entry_name, zw) != SIZE_MAX;
}

/* Registers a new entry and writes its local header.  For DEFLATE the CRC
   and sizes follow the data in a descriptor; for STORE they are given here. */
static int start_entry(dlzi_zw *zw, const char *name, int method, uint64_t size, uint32_t crc,
                       int64_t mtime) {
    int rc = check_state(zw, 0);
    if (rc != DLZ_OK) {
        return rc;
    }
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen > 0xFFFF) {
        return dlzi_err_set(zw->err, DLZ_EMISUSE, "zip entry name length %zu out of range", nlen);
    }
    if (method != DLZ_METHOD_STORE && method != DLZ_METHOD_DEFLATE) {
        return dlzi_err_set(zw->err, DLZ_EMISUSE, "unknown compression method %d", method);
    }
    if (dlzi_zw_has(zw, name)) {
        return dlzi_err_set(zw->err, DLZ_EMISUSE, "duplicate zip entry %s", name);
    }
    if (zw->n >= DLZI_MAX_ENTRIES) {
        return dlzi_err_set(zw->err, DLZ_ELIMIT,
                            "%s would be entry %zu; an archive holds at most %d entries (the "
                            "reader's DLZ_LIMIT_ENTRIES)",
                            name, zw->n + 1, DLZI_MAX_ENTRIES);
    }
    if (zw->n == zw->cap) {
        size_t cap = zw->cap ? zw->cap * 2 : 8;
        dlzi_zw_entry *e = dlzi_realloc(zw->entries, cap * sizeof *e);
        if (e == NULL) {
            return dlzi_err_set(zw->err, DLZ_ENOMEM, "out of memory");
        }
        zw->entries = e;
        zw->cap = cap;
    }
    dlzi_zw_entry *e = &zw->entries[zw->n];
    memset(e, 0, sizeof *e);
    e->name = dlzi_strdup(name);
    if (e->name == NULL || dlzi_names_add(&zw->names, name, zw->n, entry_name, zw) != DLZ_OK) {
        dlzi_free(e->name);
        e->name = NULL;
        return dlzi_err_set(zw->err, DLZ_ENOMEM, "out of memory");
    }
    e->offset = zw->offset;
    e->method = (uint16_t)method;
    e->flags = (zw->unix_host && !has_non_ascii(name) ? 0 : FLAG_UTF8) |
               (method == DLZ_METHOD_DEFLATE ? FLAG_DESCRIPTOR : 0);
    if (mtime >= 0) {
        dos_time(mtime, &e->dostime, &e->dosdate);
    } else {
        e->dostime = zw->dostime;
        e->dosdate = zw->dosdate;
    }
    zw->n++;

    zw->open = 1;
    zw->raw = 0;
    zw->method = (uint16_t)method;
    zw->crc = 0;
    zw->declared_crc = crc;
    zw->declared_size = size;
    zw->usize = zw->csize = 0;

    int zip64 = method == DLZ_METHOD_STORE && size >= zw->zip64_size;
    unsigned char h[30 + 20];
    dlzi_put_le32(h, SIG_LOCAL);
    dlzi_put_le16(h + 4, zip64 ? 45 : 20);
    dlzi_put_le16(h + 6, e->flags);
    dlzi_put_le16(h + 8, (uint16_t)method);
    dlzi_put_le16(h + 10, e->dostime);
    dlzi_put_le16(h + 12, e->dosdate);
    if (method == DLZ_METHOD_STORE) {
        dlzi_put_le32(h + 14, crc);
        dlzi_put_le32(h + 18, zip64 ? MAX32 : (uint32_t)size);
        dlzi_put_le32(h + 22, zip64 ? MAX32 : (uint32_t)size);
    } else {
        memset(h + 14, 0, 12);
    }
    dlzi_put_le16(h + 26, (uint16_t)nlen);
    dlzi_put_le16(h + 28, zip64 ? 20 : 0);
    if ((rc = put(zw, h, 30)) != DLZ_OK || (rc = put(zw, name, nlen)) != DLZ_OK) {
        return fail(zw, rc);
    }
    if (zip64) {
        dlzi_put_le16(h, 1);
        dlzi_put_le16(h + 2, 16);
        dlzi_put_le64(h + 4, size);
        dlzi_put_le64(h + 12, size);
        if ((rc = put(zw, h, 20)) != DLZ_OK) {
            return fail(zw, rc);
        }
    }
    return DLZ_OK;
}

int dlzi_zw_begin(dlzi_zw *zw, const char *name, int method, int level, uint64_t size,
                  uint32_t crc) {
    if (method == DLZ_METHOD_DEFLATE && (level < 1 || level > 9)) {
        return dlzi_err_set(zw->err, DLZ_EMISUSE, "deflate level %d out of range 1..9", level);
    }
    int rc = start_entry(zw, name, method, size, crc, -1);
    if (rc != DLZ_OK || method != DLZ_METHOD_DEFLATE) {
        return rc;
    }
    memset(&zw->zs, 0, sizeof zw->zs);
    int zrc = deflateInit2(&zw->zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    if (zrc != Z_OK) {
        return fail(
            zw, zrc == Z_MEM_ERROR
                    ? dlzi_err_set(zw->err, DLZ_ENOMEM, "out of memory")
                    : dlzi_err_set(zw->err, DLZ_EIO, "%s: deflateInit2 failed (%d)", name, zrc));
    }
    zw->zs_live = 1;
    return DLZ_OK;
}

int dlzi_zw_begin_raw(dlzi_zw *zw, const char *name, int method, uint32_t crc, uint64_t size,
                      uint64_t csize, int64_t mtime) {
    if (method == DLZ_METHOD_STORE && csize != size) {
        return dlzi_err_set(zw->err, DLZ_EFORMAT,
                            "%s: stored entry with %" PRIu64
                            " bytes of data for a size of %" PRIu64,
                            name, csize, size);
    }
    int rc = start_entry(zw, name, method, size, crc, mtime);
    if (rc == DLZ_OK) {
        zw->raw = 1;
        zw->declared_csize = csize;
    }
    return rc;
}

int dlzi_zw_raw_data(dlzi_zw *zw, const void *p, size_t n) {
    int rc = check_state(zw, 1);
    if (rc != DLZ_OK || n == 0) {
        return rc;
    }
    if (!zw->raw || zw->csize + n > zw->declared_csize) {
        return fail(zw, dlzi_err_set(zw->err, DLZ_EMISUSE, "%s: raw data beyond %" PRIu64 " bytes",
                                     zw->entries[zw->n - 1].name, zw->declared_csize));
    }
    zw->csize += n;
    rc = put(zw, p, n);
    return rc != DLZ_OK ? fail(zw, rc) : DLZ_OK;
}

/* Runs deflate over the input (with mode Z_FINISH: to the end of the stream)
   and writes what it produces; the zpipe.c loop, fed at most 1 GiB at a time
   because avail_in is 32-bit. */
static int deflate_run(dlzi_zw *zw, const void *p, size_t n, int mode) {
    unsigned char out[65536];
    const unsigned char *in = p;
    do {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        zw->zs.next_in = (Bytef *)(uintptr_t)in;
        zw->zs.avail_in = (uInt)chunk;
        if (chunk > 0) { /* Z_FINISH comes with no data: in may be NULL */
            in += chunk;
            n -= chunk;
        }
        int flush_mode = n == 0 ? mode : Z_NO_FLUSH;
        do {
            zw->zs.next_out = out;
            zw->zs.avail_out = sizeof out;
            if (deflate(&zw->zs, flush_mode) == Z_STREAM_ERROR) {
                return fail(zw, dlzi_err_set(zw->err, DLZ_EIO, "deflate failed"));
            }
            size_t produced = sizeof out - zw->zs.avail_out;
            if (produced > 0) {
                int rc = put(zw, out, produced);
                if (rc != DLZ_OK) {
                    return fail(zw, rc);
                }
                zw->csize += produced;
            }
        } while (zw->zs.avail_out == 0);
    } while (n > 0);
    return DLZ_OK;
}

int dlzi_zw_data(dlzi_zw *zw, const void *p, size_t n) {
    int rc = check_state(zw, 1);
    if (rc != DLZ_OK || n == 0) {
        return rc;
    }
    if (zw->raw) {
        return fail(zw, dlzi_err_set(zw->err, DLZ_EMISUSE, "raw entry fed uncompressed data"));
    }
    zw->crc = dlzi_crc32(zw->crc, p, n);
    zw->usize += n;
    if (zw->method == DLZ_METHOD_STORE) {
        if (zw->usize > zw->declared_size) {
            return fail(zw, dlzi_err_set(zw->err, DLZ_EMISUSE,
                                         "%s: more data than the %" PRIu64 " bytes declared",
                                         zw->entries[zw->n - 1].name, zw->declared_size));
        }
        zw->csize += n;
        rc = put(zw, p, n);
        return rc != DLZ_OK ? fail(zw, rc) : DLZ_OK;
    }
    return deflate_run(zw, p, n, Z_NO_FLUSH);
}

int dlzi_zw_emit(void *ctx, const void *p, size_t n) {
    return dlzi_zw_data(ctx, p, n);
}

/* The data descriptor after a DEFLATE entry, with the PK\7\8 signature as
   the JDK writes it; 8-byte sizes once a size needs them. */
static int write_descriptor(dlzi_zw *zw) {
    unsigned char d[24];
    dlzi_put_le32(d, SIG_DESCRIPTOR);
    dlzi_put_le32(d + 4, zw->crc);
    size_t dl;
    if (zw->usize >= MAX32 || zw->csize >= MAX32) {
        dlzi_put_le64(d + 8, zw->csize);
        dlzi_put_le64(d + 16, zw->usize);
        dl = 24;
    } else {
        dlzi_put_le32(d + 8, (uint32_t)zw->csize);
        dlzi_put_le32(d + 12, (uint32_t)zw->usize);
        dl = 16;
    }
    int rc = put(zw, d, dl);
    return rc != DLZ_OK ? fail(zw, rc) : DLZ_OK;
}

int dlzi_zw_end(dlzi_zw *zw) {
    int rc = check_state(zw, 1);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_zw_entry *e = &zw->entries[zw->n - 1];
    if (zw->raw) {
        if (zw->csize != zw->declared_csize) {
            return fail(zw, dlzi_err_set(zw->err, DLZ_EFORMAT,
                                         "%s: %" PRIu64 " bytes of compressed data, %" PRIu64
                                         " expected",
                                         e->name, zw->csize, zw->declared_csize));
        }
        zw->usize = zw->declared_size;
        zw->crc = zw->declared_crc;
        if (zw->method == DLZ_METHOD_DEFLATE) {
            rc = write_descriptor(zw);
            if (rc != DLZ_OK) {
                return rc;
            }
        }
    } else if (zw->method == DLZ_METHOD_STORE) {
        if (zw->usize != zw->declared_size || zw->crc != zw->declared_crc) {
            return fail(zw, dlzi_err_set(zw->err, DLZ_EMISUSE,
                                         "%s: data changed while being written (size %" PRIu64
                                         " of %" PRIu64 ", crc %08x of %08x)",
                                         e->name, zw->usize, zw->declared_size, zw->crc,
                                         zw->declared_crc));
        }
    } else {
        rc = deflate_run(zw, NULL, 0, Z_FINISH);
        deflateEnd(&zw->zs);
        zw->zs_live = 0;
        if (rc != DLZ_OK) {
            return rc;
        }
        if ((rc = write_descriptor(zw)) != DLZ_OK) {
            return rc;
        }
    }
    e->crc = zw->crc;
    e->size = zw->usize;
    e->csize = zw->csize;
    zw->open = 0;
    return DLZ_OK;
}

int dlzi_zw_finish(dlzi_zw *zw) {
    int rc = check_state(zw, 0);
    if (rc != DLZ_OK) {
        return rc;
    }
    uint64_t cd_start = zw->offset;
    /* As java.util.zip: a count of 0xFFFF already needs the ZIP64 record. */
    int many = zw->n >= zw->zip64_count;
    int need64 = many;
    for (size_t i = 0; i < zw->n; i++) {
        const dlzi_zw_entry *e = &zw->entries[i];
        unsigned char h[46], x[28];
        size_t xl = 0;
        const uint64_t lim = zw->zip64_size;
        int big_u = e->size >= lim, big_c = e->csize >= lim, big_o = e->offset >= lim;
        if (big_u || big_c || big_o) {
            xl = 4;
            if (big_u) {
                dlzi_put_le64(x + xl, e->size);
                xl += 8;
            }
            if (big_c) {
                dlzi_put_le64(x + xl, e->csize);
                xl += 8;
            }
            if (big_o) {
                dlzi_put_le64(x + xl, e->offset);
                xl += 8;
            }
            dlzi_put_le16(x, 1);
            dlzi_put_le16(x + 2, (uint16_t)(xl - 4));
        }
        size_t nlen = strlen(e->name);
        dlzi_put_le32(h, SIG_CENTRAL);
        /* made by: MS-DOS, like the JDK, or Unix */
        dlzi_put_le16(h + 4, zw->unix_host ? MADE_BY_UNIX : xl ? 45 : 20);
        dlzi_put_le16(h + 6, xl ? 45 : 20);
        dlzi_put_le16(h + 8, e->flags);
        dlzi_put_le16(h + 10, e->method);
        dlzi_put_le16(h + 12, e->dostime);
        dlzi_put_le16(h + 14, e->dosdate);
        dlzi_put_le32(h + 16, e->crc);
        dlzi_put_le32(h + 20, big_c ? MAX32 : (uint32_t)e->csize);
        dlzi_put_le32(h + 24, big_u ? MAX32 : (uint32_t)e->size);
        dlzi_put_le16(h + 28, (uint16_t)nlen);
        dlzi_put_le16(h + 30, (uint16_t)xl);
        memset(h + 32, 0, 6); /* comment length, disk, internal attributes */
        dlzi_put_le32(h + 38, zw->unix_host ? MODE_FILE_0644 : 0);
        dlzi_put_le32(h + 42, big_o ? MAX32 : (uint32_t)e->offset);
        if ((rc = put(zw, h, 46)) != DLZ_OK || (rc = put(zw, e->name, nlen)) != DLZ_OK ||
            (xl && (rc = put(zw, x, xl)) != DLZ_OK)) {
            return fail(zw, rc);
        }
    }
    uint64_t cd_size = zw->offset - cd_start;
    if (cd_start >= zw->zip64_size || cd_size >= zw->zip64_size) {
        need64 = 1;
    }
    if (need64) {
        uint64_t end64_at = zw->offset;
        unsigned char z[56 + 20];
        dlzi_put_le32(z, SIG_END64);
        dlzi_put_le64(z + 4, 44);
        dlzi_put_le16(z + 12, zw->unix_host ? MADE_BY_UNIX : 45);
        dlzi_put_le16(z + 14, 45);
        dlzi_put_le32(z + 16, 0);
        dlzi_put_le32(z + 20, 0);
        dlzi_put_le64(z + 24, zw->n);
        dlzi_put_le64(z + 32, zw->n);
        dlzi_put_le64(z + 40, cd_size);
        dlzi_put_le64(z + 48, cd_start);
        dlzi_put_le32(z + 56, SIG_LOCATOR64);
        dlzi_put_le32(z + 60, 0);
        dlzi_put_le64(z + 64, end64_at);
        dlzi_put_le32(z + 72, 1);
        if ((rc = put(zw, z, sizeof z)) != DLZ_OK) {
            return fail(zw, rc);
        }
    }
    unsigned char end[22];
    uint16_t cnt = many ? MAX16 : (uint16_t)zw->n;
    dlzi_put_le32(end, SIG_END);
    dlzi_put_le16(end + 4, 0);
    dlzi_put_le16(end + 6, 0);
    dlzi_put_le16(end + 8, cnt);
    dlzi_put_le16(end + 10, cnt);
    dlzi_put_le32(end + 12, cd_size >= zw->zip64_size ? MAX32 : (uint32_t)cd_size);
    dlzi_put_le32(end + 16, cd_start >= zw->zip64_size ? MAX32 : (uint32_t)cd_start);
    dlzi_put_le16(end + 20, 0);
    if ((rc = put(zw, end, sizeof end)) != DLZ_OK) {
        return fail(zw, rc);
    }
    return flush(zw);
}

void dlzi_zw_cleanup(dlzi_zw *zw) {
    if (zw->zs_live) {
        deflateEnd(&zw->zs);
        zw->zs_live = 0;
    }
    for (size_t i = 0; i < zw->n; i++) {
        dlzi_free(zw->entries[i].name);
    }
    dlzi_free(zw->entries);
    zw->entries = NULL;
    zw->n = zw->cap = 0;
    dlzi_names_free(&zw->names);
}
