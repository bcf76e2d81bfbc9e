/* reader.c - dlz_reader: opens an archive (through libzip) or a bare ND4J
 * array file from a path, FILE*, descriptor, memory or callbacks.
 *
 * Every input becomes a random-access source (read_at) that libzip reads
 * through a zip_source_function.  Non-seekable input is spooled first: to
 * memory up to DLZ_LIMIT_SPOOL_MEMORY, then to an unlinked temporary file.
 * Entries are inflated only when asked for, so an archive read without its
 * updater state never touches updaterState.bin. */
/* See dlz-format(5), section ZIP CONTAINER. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

enum { RA_NONE, RA_FD, RA_FILE, RA_MEM, RA_IO };

/* A random-access view of the input: bytes [base, base+size) of the stream. */
typedef struct ra_src {
    int kind;
    int fd;
    FILE *fp;
    const unsigned char *mem;
    dlz_io io;
    void *user;
    int64_t base, size;
    /* libzip source state */
    int64_t pos;
    zip_error_t zerr;
} ra_src;

#define N_LIMITS 10

struct dlz_reader {
    dlzi_err err;
    int64_t limits[N_LIMITS];
    int open;
    dlz_kind kind;
    ra_src ra;
    /* the stream handed over by the caller, closed at close unless kept */
    int own_kind; /* RA_FD, RA_FILE, RA_IO or RA_NONE */
    int own_fd;
    FILE *own_fp;
    dlz_io own_io;
    void *own_user;
    int path_fd; /* descriptor opened by _path */
    /* spooled copy of non-seekable input */
    unsigned char *spool;
    int spool_fd;
    zip_t *za;
    int64_t nentries;
    char *config;
    size_t config_len;
    int64_t *objects; /* entry indices of objects/<key> */
    int64_t nobjects;
    dlz_array *bare;
};

static const int64_t default_limits[N_LIMITS] = {
    (int64_t)16 << 30,       /* ENTRY_SIZE */
    (int64_t)16 << 30,       /* ARRAY_BYTES */
    (int64_t)8 << 20,        /* CONFIG_SIZE */
    DLZI_MAX_ENTRIES,        /* ENTRIES */
    (int64_t)64 << 20,       /* SPOOL_MEMORY */
    (int64_t)64 << 30,       /* SPOOL_TOTAL */
    (int64_t)1 << 30,        /* RAW_ENTRY */
    DLZI_JSON_DEFAULT_NODES, /* JSON_NODES */
    DLZI_JSON_DEFAULT_DEPTH, /* JSON_DEPTH */
    200,                     /* COMPRESSION_RATIO */
};

dlz_reader *dlz_reader_new(void) {
    dlz_reader *r = dlzi_calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    memcpy(r->limits, default_limits, sizeof r->limits);
    r->path_fd = -1;
    r->spool_fd = -1;
    r->own_fd = -1;
    return r;
}

void dlz_reader_free(dlz_reader *r) {
    if (r == NULL) {
        return;
    }
    (void)dlz_reader_close(r);
    dlzi_free(r);
}

int dlz_reader_set_limit(dlz_reader *r, dlz_limit which, int64_t value) {
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if ((int)which < 0 || (int)which >= N_LIMITS || value < 0 ||
        (which == DLZ_LIMIT_JSON_DEPTH && (value < 1 || value > DLZI_JSON_MAX_DEPTH)) ||
        (which == DLZ_LIMIT_COMPRESSION_RATIO && value < 1)) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "bad limit %d or value %" PRId64, (int)which,
                            value);
    }
    if (r->open) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "limits can only be set before opening");
    }
    r->limits[which] = value;
    return DLZ_OK;
}

int64_t dlz_reader_get_limit(const dlz_reader *r, dlz_limit which) {
    if (r == NULL || (int)which < 0 || (int)which >= N_LIMITS) {
        return -1;
    }
    return r->limits[which];
}

zip_t *dlzi_reader_zip(dlz_reader *r) {
    return r != NULL && r->open ? r->za : NULL;
}

int dlzi_reader_fail(dlz_reader *r, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vset(&r->err, code, fmt, ap);
    va_end(ap);
    return code;
}

const char *dlz_reader_errmsg(const dlz_reader *r) {
    if (r == NULL) {
        return "no reader";
    }
    return r->err.code == DLZ_OK ? "no error" : r->err.msg;
}

int dlz_reader_syserr(const dlz_reader *r) {
    return r == NULL ? 0 : r->err.sys;
}

dlz_kind dlz_reader_kind(const dlz_reader *r) {
    return r != NULL && r->open ? r->kind : DLZ_KIND_UNKNOWN;
}

const char *dlz_kind_name(dlz_kind k) {
    switch (k) {
    case DLZ_KIND_MULTILAYER:
        return "MultiLayerNetwork";
    case DLZ_KIND_GRAPH:
        return "ComputationGraph";
    case DLZ_KIND_ARRAY:
        return "array";
    default:
        return "unknown";
    }
}

/* ---- random access over the input --------------------------------------- */

/* Reads up to n bytes at offset off (relative to base); returns the count,
   0 at the end, -1 on error with errno set. */
static int64_t ra_read_at(ra_src *s, int64_t off, void *buf, size_t n) {
    if (off >= s->size) {
        return 0;
    }
    if ((uint64_t)n > (uint64_t)(s->size - off)) {
        n = (size_t)(s->size - off);
    }
    switch (s->kind) {
    case RA_MEM:
        memcpy(buf, s->mem + off, n);
        return (int64_t)n;
    case RA_FD:
        for (;;) {
            ssize_t k = pread(s->fd, buf, n, (off_t)(s->base + off));
            if (k < 0 && errno == EINTR) {
                continue;
            }
            return k;
        }
    case RA_FILE: {
        if (fseeko(s->fp, (off_t)(s->base + off), SEEK_SET) != 0) {
            return -1;
        }
        size_t k = fread(buf, 1, n, s->fp);
        if (k == 0 && ferror(s->fp)) {
            if (errno == 0) {
                errno = EIO;
            }
            return -1;
        }
        return (int64_t)k;
    }
    case RA_IO: {
        if (s->io.seek(s->user, s->base + off, SEEK_SET) != s->base + off) {
            errno = ESPIPE;
            return -1;
        }
        /* Callbacks may return short counts: gather what was asked for. */
        size_t got = 0;
        while (got < n) {
            int64_t k = s->io.read(s->user, (unsigned char *)buf + got, n - got);
            if (k < 0 || (uint64_t)k > n - got) {
                errno = EIO;
                return -1;
            }
            if (k == 0) {
                break;
            }
            got += (size_t)k;
        }
        return (int64_t)got;
    }
    default:
        errno = EBADF;
        return -1;
    }
}

static zip_int64_t ra_zip_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd) {
    ra_src *s = ud;
    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        s->pos = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        if (len > (zip_uint64_t)INT64_MAX) {
            len = (zip_uint64_t)INT64_MAX;
        }
        int64_t k = ra_read_at(s, s->pos, data, (size_t)len);
        if (k < 0) {
            zip_error_set(&s->zerr, ZIP_ER_READ, errno);
            return -1;
        }
        s->pos += k;
        return k;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &s->zerr);
        if (st == NULL) {
            return -1;
        }
        zip_stat_init(st);
        st->size = (zip_uint64_t)s->size;
        st->valid |= ZIP_STAT_SIZE;
        return 0;
    }
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&s->zerr, data, len);
    case ZIP_SOURCE_FREE:
        return 0;
    case ZIP_SOURCE_SEEK: {
        zip_int64_t np = zip_source_seek_compute_offset((zip_uint64_t)s->pos, (zip_uint64_t)s->size,
                                                        data, len, &s->zerr);
        if (np < 0) {
            return -1;
        }
        s->pos = np;
        return 0;
    }
    case ZIP_SOURCE_TELL:
        return s->pos;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(
            ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR,
            ZIP_SOURCE_FREE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_SUPPORTS, -1);
    default:
        zip_error_set(&s->zerr, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* dlzi_in over the random-access source, sequential from offset 0. */
typedef struct ra_in {
    dlzi_in in;
    ra_src *s;
    int64_t pos;
} ra_in;

static int64_t ra_in_read(dlzi_in *in, void *buf, size_t n) {
    ra_in *ri = in->ctx;
    int64_t k = ra_read_at(ri->s, ri->pos, buf, n);
    if (k < 0) {
        dlzi_err_sys(in->err, errno, "read failed at byte %" PRId64, ri->pos);
        return -1;
    }
    ri->pos += k;
    return k;
}

/* ---- opening ------------------------------------------------------------ */

static void release_input(dlz_reader *r, int *rc) {
    if (r->za != NULL) {
        zip_discard(r->za);
        r->za = NULL;
    }
    if (r->own_kind == RA_FD && r->own_fd >= 0) {
        if (close(r->own_fd) != 0 && rc != NULL && *rc == DLZ_OK) {
            *rc = dlzi_err_sys(&r->err, errno, "cannot close the input descriptor");
        }
    } else if (r->own_kind == RA_FILE && r->own_fp != NULL) {
        if (fclose(r->own_fp) != 0 && rc != NULL && *rc == DLZ_OK) {
            *rc = dlzi_err_sys(&r->err, errno, "cannot close the input stream");
        }
    } else if (r->own_kind == RA_IO && r->own_io.close != NULL) {
        if (r->own_io.close(r->own_user) != 0 && rc != NULL && *rc == DLZ_OK) {
            *rc = dlzi_err_set(&r->err, DLZ_EIO, "the input close callback failed");
        }
    }
    r->own_kind = RA_NONE;
    r->own_fd = -1;
    r->own_fp = NULL;
    if (r->path_fd >= 0) {
        close(r->path_fd);
        r->path_fd = -1;
    }
    if (r->spool_fd >= 0) {
        close(r->spool_fd);
        r->spool_fd = -1;
    }
    dlzi_free(r->spool);
    r->spool = NULL;
    dlzi_free(r->config);
    r->config = NULL;
    dlzi_free(r->objects);
    r->objects = NULL;
    r->nobjects = 0;
    dlz_array_free(r->bare);
    r->bare = NULL;
    memset(&r->ra, 0, sizeof r->ra);
    r->nentries = 0;
    r->kind = DLZ_KIND_UNKNOWN;
    r->open = 0;
}

int dlz_reader_close(dlz_reader *r) {
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    int rc = DLZ_OK;
    release_input(r, &rc);
    return rc;
}

int dlzi_zip_error(dlzi_err *err, const char *what, zip_error_t *ze) {
    int ze_code = zip_error_code_zip(ze);
    int sys = zip_error_code_system(ze);
    int code;
    switch (ze_code) {
    case ZIP_ER_MEMORY:
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    case ZIP_ER_ZLIB:
        if (sys == Z_MEM_ERROR) {
            return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
        }
        code = DLZ_EFORMAT;
        break;
    case ZIP_ER_READ:
    case ZIP_ER_SEEK:
    case ZIP_ER_OPEN:
        code = DLZ_EIO;
        break;
    case ZIP_ER_COMPNOTSUPP:
    case ZIP_ER_ENCRNOTSUPP:
    case ZIP_ER_NOPASSWD:
        code = DLZ_EUNSUPPORTED;
        break;
    default:
        code = DLZ_EFORMAT;
    }
    /* One wording per cause, shared with the editor's raw copy. */
    const char *text = ze_code == ZIP_ER_ZLIB     ? DLZI_MSG_BAD_DEFLATE
                       : ze_code == ZIP_ER_CRC    ? DLZI_MSG_CRC
                       : ze_code == ZIP_ER_EXISTS ? "two entries have the same name"
                                                  : zip_error_strerror(ze);
    dlzi_err_set(err, code, "%s: %s", what, text);
    if (code == DLZ_EIO && err != NULL) {
        err->sys = sys;
    }
    return code;
}

static int zip_failure(dlz_reader *r, const char *what, zip_error_t *ze) {
    return dlzi_zip_error(&r->err, what, ze);
}

/* Reads a whole entry into memory (NUL-terminated), at most max bytes. */
static int read_entry_index(dlz_reader *r, int64_t idx, const char *name, int64_t max,
                            const char *limit_name, int check_ratio, char **out, size_t *outlen);

/* dlzi_in over an open zip entry; counts bytes to check the declared size. */
typedef struct entry_in {
    dlzi_in in;
    zip_file_t *zf;
    const char *name;
    uint64_t got, size;
} entry_in;

static int64_t entry_read(dlzi_in *in, void *buf, size_t n) {
    entry_in *e = in->ctx;
    zip_int64_t k = zip_fread(e->zf, buf, n);
    if (k < 0) {
        dlzi_zip_error(in->err, e->name, zip_file_get_error(e->zf));
        return -1;
    }
    e->got += (uint64_t)k;
    if (e->got > e->size) {
        dlzi_err_set(in->err, DLZ_EFORMAT,
                     "%s: damaged: more data than the %" PRIu64 " bytes the directory declares",
                     e->name, e->size);
        return -1;
    }
    if (k == 0 && e->got != e->size) {
        dlzi_err_set(in->err, DLZ_EFORMAT, "%s: " DLZI_MSG_SIZE_FMT, e->name, e->got, e->size);
        return -1;
    }
    return k;
}

/* Entries up to this size are never refused for their compression ratio. */
#define RATIO_EXEMPT_BYTES ((uint64_t)1 << 20)

/* Opens entry idx for reading after checking its size against max and, for
   array entries, its compression ratio. */
static int entry_open(dlz_reader *r, int64_t idx, const char *name, int64_t max,
                      const char *limit_name, int check_ratio, entry_in *e) {
    zip_stat_t st;
    if (zip_stat_index(r->za, (zip_uint64_t)idx, 0, &st) != 0) {
        return zip_failure(r, name, zip_get_error(r->za));
    }
    if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
        return dlzi_err_set(&r->err, DLZ_EFORMAT, "%s: no size in the zip directory", name);
    }
    if (st.size > (zip_uint64_t)max) {
        return dlzi_err_set(&r->err, DLZ_ELIMIT,
                            "%s: %" PRIu64 " bytes uncompressed, more than %s (%" PRId64 ")", name,
                            (uint64_t)st.size, limit_name, max);
    }
    uint64_t ratio = (uint64_t)r->limits[DLZ_LIMIT_COMPRESSION_RATIO];
    if (check_ratio && st.size > RATIO_EXEMPT_BYTES &&
        (st.comp_size == 0 || st.size / st.comp_size >= ratio)) {
        return dlzi_err_set(
            &r->err, DLZ_ELIMIT,
            "%s: %" PRIu64 " bytes expand to %" PRIu64 ", a compression ratio of %s%" PRIu64
            ":1, above DLZ_LIMIT_COMPRESSION_RATIO (%" PRIu64 ":1)",
            name, (uint64_t)st.comp_size, (uint64_t)st.size, st.comp_size == 0 ? "more than " : "",
            st.comp_size == 0 ? (uint64_t)st.size : st.size / st.comp_size, ratio);
    }
    zip_file_t *zf = zip_fopen_index(r->za, (zip_uint64_t)idx, 0);
    if (zf == NULL) {
        return zip_failure(r, name, zip_get_error(r->za));
    }
    memset(e, 0, sizeof *e);
    e->in.read = entry_read;
    e->in.ctx = e;
    e->in.err = &r->err;
    e->zf = zf;
    e->name = name;
    e->size = st.size;
    return DLZ_OK;
}

/* Reads the entry to its end so that libzip verifies the CRC, then closes. */
static int entry_finish(dlz_reader *r, entry_in *e, int rc) {
    if (rc == DLZ_OK) {
        unsigned char tmp[16384];
        int64_t k;
        while ((k = entry_read(&e->in, tmp, sizeof tmp)) > 0) {
        }
        if (k < 0) {
            rc = r->err.code != DLZ_OK ? r->err.code : DLZ_EFORMAT;
        }
    }
    zip_fclose(e->zf);
    e->zf = NULL;
    return rc;
}

static int read_entry_index(dlz_reader *r, int64_t idx, const char *name, int64_t max,
                            const char *limit_name, int check_ratio, char **out, size_t *outlen) {
    entry_in e;
    int rc = entry_open(r, idx, name, max, limit_name, check_ratio, &e);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (e.size >= SIZE_MAX) {
        return entry_finish(r, &e, dlzi_err_set(&r->err, DLZ_ELIMIT, "%s too large", name));
    }
    char *buf = dlzi_malloc((size_t)e.size + 1);
    if (buf == NULL) {
        return entry_finish(r, &e, dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory"));
    }
    size_t got = 0;
    while (got < e.size) {
        int64_t k = entry_read(&e.in, buf + got, (size_t)e.size - got);
        if (k <= 0) {
            dlzi_free(buf);
            if (k == 0) {
                dlzi_err_set(&r->err, DLZ_EFORMAT, "%s: truncated", name);
            }
            return entry_finish(r, &e, r->err.code != DLZ_OK ? r->err.code : DLZ_EFORMAT);
        }
        got += (size_t)k;
    }
    rc = entry_finish(r, &e, DLZ_OK);
    if (rc != DLZ_OK) {
        dlzi_free(buf);
        return rc;
    }
    buf[got] = '\0';
    *out = buf;
    *outlen = got;
    return DLZ_OK;
}

static int64_t locate(dlz_reader *r, const char *name) {
    zip_int64_t i = zip_name_locate(r->za, name, ZIP_FL_ENC_RAW);
    return i;
}

/* Top-level keys seen by the scan of configuration.json. */
typedef struct kind_keys {
    int confs, vertices;
} kind_keys;

static void note_key(void *ctx, const char *key, size_t len) {
    kind_keys *k = ctx;
    if (len == 5 && memcmp(key, "confs", 5) == 0) {
        k->confs = 1;
    } else if (len == 8 && memcmp(key, "vertices", 8) == 0) {
        k->vertices = 1;
    }
}

dlzi_json_budget dlzi_reader_json_budget(const dlz_reader *r) {
    dlzi_json_budget b = {r->limits[DLZ_LIMIT_JSON_NODES], (int)r->limits[DLZ_LIMIT_JSON_DEPTH]};
    return b;
}

/* Checks configuration.json and tells the model kind from its top-level
   keys, without building a document. */
static int detect_kind(dlz_reader *r) {
    kind_keys k = {0, 0};
    dlzi_json_budget b = dlzi_reader_json_budget(r);
    int rc = dlzi_json_check_config(r->config, r->config_len, &b, note_key, &k, &r->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    r->kind = k.confs ? DLZ_KIND_MULTILAYER : k.vertices ? DLZ_KIND_GRAPH : DLZ_KIND_UNKNOWN;
    return DLZ_OK;
}

/* An archive ends with the end-of-central-directory record (22 bytes and a
   comment of up to 65535): without one the file was cut short (a save killed
   midway) or is not a zip archive at all.  Told here, before libzip, which
   calls both "Not a zip archive". */
static int check_end_record(dlz_reader *r) {
    unsigned char *tail = dlzi_malloc(22 + 65535);
    if (tail == NULL) {
        return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
    }
    int64_t size = r->ra.size, want = size < 22 + 65535 ? size : 22 + 65535;
    int64_t got = ra_read_at(&r->ra, size - want, tail, (size_t)want);
    int rc = DLZ_OK;
    if (got != want) {
        rc = dlzi_err_sys(&r->err, got < 0 ? errno : EIO, "cannot read the end of the input");
    } else {
        int found = 0;
        for (int64_t i = want - 22; i >= 0 && !found; i--) {
            found = tail[i] == 'P' && tail[i + 1] == 'K' && tail[i + 2] == 5 && tail[i + 3] == 6;
        }
        if (!found) {
            rc = dlzi_err_set(&r->err, DLZ_EFORMAT,
                              "truncated zip archive: it ends at byte %" PRId64
                              " without the end of its central directory (a save cut short?)",
                              size);
        }
    }
    dlzi_free(tail);
    return rc;
}

static int open_zip(dlz_reader *r) {
    int rc0 = check_end_record(r);
    if (rc0 != DLZ_OK) {
        return rc0;
    }
    zip_error_init(&r->ra.zerr);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_function_create(ra_zip_cb, &r->ra, &ze);
    if (src == NULL) {
        int rc = zip_failure(r, "input", &ze);
        zip_error_fini(&ze);
        return rc;
    }
    errno = 0;
    r->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (r->za == NULL) {
        /* libzip reports some allocation failures while reading the
           directory as "Not a zip archive"; malloc's errno tells. */
        int oom = errno == ENOMEM;
        zip_source_free(src);
        int rc = oom ? dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory")
                     : zip_failure(r, "not a readable zip archive", &ze);
        zip_error_fini(&ze);
        return rc;
    }
    zip_error_fini(&ze);
    r->nentries = zip_get_num_entries(r->za, 0);
    if (r->nentries > r->limits[DLZ_LIMIT_ENTRIES]) {
        return dlzi_err_set(&r->err, DLZ_ELIMIT,
                            "archive has %" PRId64 " entries, more than DLZ_LIMIT_ENTRIES (%" PRId64
                            ")",
                            r->nentries, r->limits[DLZ_LIMIT_ENTRIES]);
    }
    /* objects/<key> entries, in directory order (as listObjectsInFile). */
    r->objects = dlzi_calloc((size_t)(r->nentries ? r->nentries : 1), sizeof *r->objects);
    if (r->objects == NULL) {
        return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < r->nentries; i++) {
        const char *n = zip_get_name(r->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (n == NULL) {
            return zip_failure(r, "zip directory", zip_get_error(r->za));
        }
        if (dlzi_part_of(n) == DLZI_OBJECT) {
            int rc = dlzi_check_object_key(n + DLZI_OBJECT_PREFIX_LEN, &r->err);
            if (rc != DLZ_OK) {
                /* the writer and the editor refuse such keys: so does the reader */
                dlzi_err_prefix(&r->err, "entry %s", n);
                r->err.code = DLZ_EFORMAT;
                return DLZ_EFORMAT;
            }
            r->objects[r->nobjects++] = i;
        }
    }
    int64_t ci = locate(r, "configuration.json");
    if (ci < 0) {
        return dlzi_err_set(&r->err, DLZ_ENOTFOUND,
                            "not a DL4J model archive: no configuration.json among its %" PRId64
                            " entries",
                            r->nentries);
    }
    int rc = read_entry_index(r, ci, "configuration.json", r->limits[DLZ_LIMIT_CONFIG_SIZE],
                              "DLZ_LIMIT_CONFIG_SIZE", 0, &r->config, &r->config_len);
    if (rc != DLZ_OK) {
        return rc;
    }
    return detect_kind(r);
}

static int open_array(dlz_reader *r) {
    ra_in ri;
    memset(&ri, 0, sizeof ri);
    ri.in.read = ra_in_read;
    ri.in.ctx = &ri;
    ri.in.err = &r->err;
    ri.s = &r->ra;
    dlzi_rd *rd = dlzi_malloc(sizeof *rd);
    if (rd == NULL) {
        return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
    }
    dlzi_rd_init(rd, &ri.in, r->ra.size, "array", &r->err);
    int rc = dlzi_array_decode(rd, (uint64_t)r->limits[DLZ_LIMIT_ARRAY_BYTES], &r->bare);
    dlzi_free(rd);
    if (rc == DLZ_OK) {
        r->kind = DLZ_KIND_ARRAY;
    }
    return rc;
}

/* Decides between a zip archive and a bare array from the first bytes. */
static int open_source(dlz_reader *r) {
    unsigned char head[64];
    int64_t n = ra_read_at(&r->ra, 0, head, sizeof head);
    if (n < 0) {
        return dlzi_err_sys(&r->err, errno, "cannot read the input");
    }
    if (n == 0) {
        return dlzi_err_set(&r->err, DLZ_EFORMAT, "the input is empty");
    }
    int rc;
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' &&
        ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
        rc = open_zip(r);
    } else if (dlzi_array_sniff(head, (size_t)n, NULL)) {
        rc = open_array(r);
    } else {
        rc = dlzi_err_set(&r->err, DLZ_EFORMAT,
                          "neither a zip archive nor an ND4J array: the first bytes are %02x %02x "
                          "%02x %02x",
                          head[0], n > 1 ? head[1] : 0, n > 2 ? head[2] : 0, n > 3 ? head[3] : 0);
    }
    if (rc == DLZ_OK) {
        r->open = 1;
    }
    return rc;
}

static int before_open(dlz_reader *r) {
    if (r->open) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "the reader is already open");
    }
    dlzi_err_clear(&r->err);
    return DLZ_OK;
}

/* Finishes an open: on failure everything is released (and an owned stream
   closed), keeping the first error. */
static int finish_open(dlz_reader *r, int rc) {
    if (rc != DLZ_OK) {
        dlzi_err saved = r->err;
        release_input(r, NULL);
        r->err = saved;
    }
    return rc;
}

/* Copies a non-seekable stream into memory, then into a temporary file once
   DLZ_LIMIT_SPOOL_MEMORY is passed. */
static int spool_write(dlz_reader *r, int fd, const unsigned char *p, size_t left) {
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            return dlzi_err_sys(&r->err, errno, "cannot write the spool file");
        }
        p += k;
        left -= (size_t)k;
    }
    return DLZ_OK;
}

static int spool(dlz_reader *r, int64_t (*rd)(void *ctx, void *buf, size_t n), void *ctx) {
    size_t cap = 1 << 16, len = 0;
    int64_t memmax = r->limits[DLZ_LIMIT_SPOOL_MEMORY];
    int64_t total = r->limits[DLZ_LIMIT_SPOOL_TOTAL];
    unsigned char *buf = dlzi_malloc(cap);
    if (buf == NULL) {
        return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
    }
    int fd = -1;
    uint64_t filelen = 0;
    for (;;) {
        if (fd < 0 && len == cap) {
            if ((int64_t)cap >= memmax) {
                /* Switch to an unlinked temporary file. */
                const char *dir = getenv("TMPDIR");
                char tmpl[4096];
                snprintf(tmpl, sizeof tmpl, "%s/dlz-spool.XXXXXX",
                         dir != NULL && *dir ? dir : "/tmp");
                fd = mkstemp(tmpl);
                if (fd < 0) {
                    dlzi_free(buf);
                    return dlzi_err_sys(&r->err, errno, "cannot create a spool file in %s",
                                        dir != NULL && *dir ? dir : "/tmp");
                }
                unlink(tmpl);
                r->spool_fd = fd;
                if (spool_write(r, fd, buf, len) != DLZ_OK) {
                    dlzi_free(buf);
                    return r->err.code;
                }
                filelen = len;
                len = 0;
            } else {
                /* here cap < memmax, so the buffer grows */
                size_t ncap = (int64_t)cap * 2 > memmax ? (size_t)memmax : cap * 2;
                unsigned char *nb = dlzi_realloc(buf, ncap);
                if (nb == NULL) {
                    dlzi_free(buf);
                    return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
                }
                buf = nb;
                cap = ncap;
            }
        }
        size_t room = fd < 0 ? cap - len : cap;
        size_t at = fd < 0 ? len : 0;
        int64_t k = rd(ctx, buf + at, room);
        if (k < 0) {
            dlzi_free(buf);
            if (r->err.code == DLZ_OK) {
                dlzi_err_set(&r->err, DLZ_EIO, "reading the input stream failed");
            }
            return r->err.code;
        }
        if (k == 0) {
            break;
        }
        if ((uint64_t)k > room) {
            dlzi_free(buf);
            return dlzi_err_set(&r->err, DLZ_EIO, "the read callback returned more than asked");
        }
        if (fd < 0) {
            len += (size_t)k;
        } else {
            if (spool_write(r, fd, buf, (size_t)k) != DLZ_OK) {
                dlzi_free(buf);
                return r->err.code;
            }
            filelen += (uint64_t)k;
        }
        if ((int64_t)(len + filelen) > total) {
            dlzi_free(buf);
            return dlzi_err_set(
                &r->err, DLZ_ELIMIT,
                "non-seekable input larger than DLZ_LIMIT_SPOOL_TOTAL (%" PRId64 " bytes)", total);
        }
    }
    memset(&r->ra, 0, sizeof r->ra);
    if (fd >= 0) {
        dlzi_free(buf);
        r->ra.kind = RA_FD;
        r->ra.fd = fd;
        r->ra.size = (int64_t)filelen;
    } else {
        r->spool = buf;
        r->ra.kind = RA_MEM;
        r->ra.mem = buf;
        r->ra.size = (int64_t)len;
    }
    return DLZ_OK;
}

static int64_t fd_stream_read(void *ctx, void *buf, size_t n) {
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t k = read(fd, buf, n);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        return k;
    }
}

static int64_t file_stream_read(void *ctx, void *buf, size_t n) {
    FILE *fp = ctx;
    size_t k = fread(buf, 1, n, fp);
    if (k == 0 && ferror(fp)) {
        return -1;
    }
    return (int64_t)k;
}

typedef struct io_ctx {
    const dlz_io *io;
    void *user;
} io_ctx;

static int64_t io_stream_read(void *ctx, void *buf, size_t n) {
    io_ctx *c = ctx;
    return c->io->read(c->user, buf, n);
}

/* Sets up a random-access view of fd from its current position, or spools
   it when it cannot seek. */
static int setup_fd(dlz_reader *r, int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return dlzi_err_sys(&r->err, errno, "cannot stat the input");
    }
    off_t here = S_ISREG(st.st_mode) ? lseek(fd, 0, SEEK_CUR) : (off_t)-1;
    if (here >= 0) {
        r->ra.kind = RA_FD;
        r->ra.fd = fd;
        r->ra.base = here;
        r->ra.size = st.st_size > here ? (int64_t)(st.st_size - here) : 0;
        return DLZ_OK;
    }
    int rc = spool(r, fd_stream_read, &fd);
    if (rc == DLZ_EIO && r->err.sys == 0) {
        r->err.sys = errno;
    }
    return rc;
}

int dlz_reader_open_path(dlz_reader *r, const char *path) {
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    int rc = before_open(r);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (path == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL path");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return dlzi_err_sys(&r->err, errno, "cannot open %s", path);
    }
    r->path_fd = fd;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        return finish_open(r, dlzi_err_set(&r->err, DLZ_EIO, "%s is a directory", path));
    }
    rc = setup_fd(r, fd);
    if (rc == DLZ_OK) {
        rc = open_source(r);
    }
    return finish_open(r, rc);
}

int dlz_reader_open_fd(dlz_reader *r, int fd, unsigned flags) {
    if (r == NULL) {
        if (fd >= 0 && !(flags & DLZ_KEEP_OPEN)) {
            close(fd);
        }
        return DLZ_EMISUSE;
    }
    int rc = before_open(r);
    if (rc != DLZ_OK) {
        if (fd >= 0 && !(flags & DLZ_KEEP_OPEN)) {
            close(fd);
        }
        return rc;
    }
    if (fd < 0) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "invalid file descriptor %d", fd);
    }
    if (!(flags & DLZ_KEEP_OPEN)) {
        r->own_kind = RA_FD;
        r->own_fd = fd;
    }
    rc = setup_fd(r, fd);
    if (rc == DLZ_OK) {
        rc = open_source(r);
    }
    return finish_open(r, rc);
}

int dlz_reader_open_FILE(dlz_reader *r, FILE *fp, unsigned flags) {
    if (r == NULL) {
        if (fp != NULL && !(flags & DLZ_KEEP_OPEN)) {
            fclose(fp);
        }
        return DLZ_EMISUSE;
    }
    int rc = before_open(r);
    if (rc != DLZ_OK) {
        if (fp != NULL && !(flags & DLZ_KEEP_OPEN)) {
            fclose(fp);
        }
        return rc;
    }
    if (fp == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL stream");
    }
    if (!(flags & DLZ_KEEP_OPEN)) {
        r->own_kind = RA_FILE;
        r->own_fp = fp;
    }
    int fd = fileno(fp);
    struct stat st;
    off_t here = ftello(fp);
    int seekable = here >= 0 && (fd < 0 || (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)));
    if (seekable && fseeko(fp, 0, SEEK_END) == 0) {
        off_t end = ftello(fp);
        r->ra.kind = RA_FILE;
        r->ra.fp = fp;
        r->ra.base = here;
        r->ra.size = end > here ? (int64_t)(end - here) : 0;
        rc = DLZ_OK;
    } else {
        rc = spool(r, file_stream_read, fp);
    }
    if (rc == DLZ_OK) {
        rc = open_source(r);
    }
    return finish_open(r, rc);
}

int dlz_reader_open_memory(dlz_reader *r, const void *buf, size_t len) {
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    int rc = before_open(r);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (buf == NULL && len > 0) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL buffer");
    }
    r->ra.kind = RA_MEM;
    r->ra.mem = buf;
    r->ra.size = (int64_t)len;
    return finish_open(r, open_source(r));
}

int dlz_reader_open_io(dlz_reader *r, const dlz_io *io, void *user, unsigned flags) {
    int own = io != NULL && io->close != NULL && !(flags & DLZ_KEEP_OPEN);
    if (r == NULL) {
        if (own) {
            io->close(user);
        }
        return DLZ_EMISUSE;
    }
    int rc = before_open(r);
    if (rc == DLZ_OK && (io == NULL || io->version != DLZ_IO_VERSION || io->read == NULL)) {
        rc = dlzi_err_set(&r->err, DLZ_EMISUSE,
                          "input callbacks need version DLZ_IO_VERSION and a read function");
    }
    if (rc != DLZ_OK) {
        if (own) {
            io->close(user);
        }
        return rc;
    }
    if (own) {
        r->own_kind = RA_IO;
        r->own_io = *io;
        r->own_user = user;
    }
    int64_t here = io->seek != NULL ? io->seek(user, 0, SEEK_CUR) : -1;
    int64_t end = here >= 0 ? io->seek(user, 0, SEEK_END) : -1;
    if (here >= 0 && end >= here) {
        r->ra.kind = RA_IO;
        r->ra.io = *io;
        r->ra.user = user;
        r->ra.base = here;
        r->ra.size = end - here;
    } else {
        if (here >= 0 && io->seek(user, here, SEEK_SET) != here) {
            return finish_open(r, dlzi_err_set(&r->err, DLZ_EIO, "the seek callback failed"));
        }
        io_ctx c = {io, user};
        rc = spool(r, io_stream_read, &c);
        if (rc != DLZ_OK) {
            return finish_open(r, rc);
        }
    }
    return finish_open(r, open_source(r));
}

/* ---- queries ------------------------------------------------------------ */

static int need_zip(dlz_reader *r, const char *fn) {
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (!r->open) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "%s: the reader is not open", fn);
    }
    if (r->za == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "%s: the input is a bare array, not an archive",
                            fn);
    }
    return DLZ_OK;
}

int64_t dlz_reader_entry_count(const dlz_reader *r) {
    return r != NULL && r->open ? r->nentries : 0;
}

int dlz_reader_entry_info(dlz_reader *r, int64_t index, dlz_entry_info *info) {
    int rc = need_zip(r, "dlz_reader_entry_info");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (info == NULL || index < 0 || index >= r->nentries) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "entry index %" PRId64 " out of range", index);
    }
    zip_stat_t st;
    if (zip_stat_index(r->za, (zip_uint64_t)index, ZIP_FL_ENC_RAW, &st) != 0) {
        return zip_failure(r, "zip directory", zip_get_error(r->za));
    }
    memset(info, 0, sizeof *info);
    info->name = st.name;
    info->size = st.size;
    info->compressed_size = st.comp_size;
    info->method = st.comp_method;
    info->crc32 = st.crc;
    return DLZ_OK;
}

/* Reads entry @p index to its end (libzip checks the CRC there, entry_read
   the sizes), giving every chunk to @p io when it is not NULL. */
static int drain_entry(dlz_reader *r, int64_t index, const dlz_io *io, void *user, const char *fn) {
    int rc = need_zip(r, fn);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (index < 0 || index >= r->nentries) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "%s: entry index %" PRId64 " out of range", fn,
                            index);
    }
    if (io != NULL && (io->version != DLZ_IO_VERSION || io->write == NULL)) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "%s: the dlz_io has no write callback", fn);
    }
    const char *name = zip_get_name(r->za, (zip_uint64_t)index, ZIP_FL_ENC_RAW);
    if (name == NULL) {
        return zip_failure(r, "zip directory", zip_get_error(r->za));
    }
    dlzi_part part = dlzi_part_of(name);
    int arrays = part == DLZI_COEFFICIENTS || part == DLZI_UPDATER || part == DLZI_NORMALIZER;
    entry_in e;
    rc = entry_open(r, index, name, r->limits[DLZ_LIMIT_ENTRY_SIZE], "DLZ_LIMIT_ENTRY_SIZE", arrays,
                    &e);
    if (rc != DLZ_OK || io == NULL) {
        return rc != DLZ_OK ? rc : entry_finish(r, &e, DLZ_OK);
    }
    unsigned char buf[65536];
    int64_t k;
    while ((k = entry_read(&e.in, buf, sizeof buf)) > 0) {
        size_t done = 0;
        while (done < (size_t)k) {
            int64_t w = io->write(user, buf + done, (size_t)k - done);
            if (w <= 0 || (uint64_t)w > (uint64_t)k - done) {
                zip_fclose(e.zf);
                return dlzi_err_set(&r->err, DLZ_EIO, "%s: the output refused the data", name);
            }
            done += (size_t)w;
        }
    }
    return entry_finish(r, &e,
                        k < 0 ? (r->err.code != DLZ_OK ? r->err.code : DLZ_EFORMAT) : DLZ_OK);
}

int dlz_reader_verify_entry(dlz_reader *r, int64_t index) {
    return drain_entry(r, index, NULL, NULL, "dlz_reader_verify_entry");
}

int dlz_reader_copy_entry(dlz_reader *r, int64_t index, const dlz_io *io, void *user) {
    if (io == NULL) {
        return r == NULL ? DLZ_EMISUSE
                         : dlzi_err_set(&r->err, DLZ_EMISUSE, "dlz_reader_copy_entry: io is NULL");
    }
    return drain_entry(r, index, io, user, "dlz_reader_copy_entry");
}

int dlz_reader_has_entry(dlz_reader *r, const char *name) {
    int rc = need_zip(r, "dlz_reader_has_entry");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (name == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL name");
    }
    return locate(r, name) >= 0 ? DLZ_OK : DLZ_ENOTFOUND;
}

int dlz_reader_configuration(dlz_reader *r, const char **json, size_t *len) {
    int rc = need_zip(r, "dlz_reader_configuration");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (json == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL output pointer");
    }
    *json = r->config;
    if (len != NULL) {
        *len = r->config_len;
    }
    return DLZ_OK;
}

static int read_array_entry(dlz_reader *r, int64_t idx, const char *name, dlz_array **out) {
    entry_in e;
    int rc =
        entry_open(r, idx, name, r->limits[DLZ_LIMIT_ENTRY_SIZE], "DLZ_LIMIT_ENTRY_SIZE", 1, &e);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_rd *rd = dlzi_malloc(sizeof *rd);
    if (rd == NULL) {
        return entry_finish(r, &e, dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory"));
    }
    dlzi_rd_init(rd, &e.in, (int64_t)e.size, name, &r->err);
    dlz_array *a = NULL;
    rc = dlzi_array_decode(rd, (uint64_t)r->limits[DLZ_LIMIT_ARRAY_BYTES], &a);
    dlzi_free(rd);
    /* Bytes after the record are ignored, as DL4J does, but still read so
       that the CRC is checked. */
    rc = entry_finish(r, &e, rc);
    if (rc != DLZ_OK) {
        dlz_array_free(a);
        return rc;
    }
    *out = a;
    return DLZ_OK;
}

int dlz_reader_read_coefficients(dlz_reader *r, dlz_array **out) {
    if (out != NULL) {
        *out = NULL;
    }
    int rc = need_zip(r, "dlz_reader_read_coefficients");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (out == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL output pointer");
    }
    int64_t idx = locate(r, "coefficients.bin");
    if (idx < 0) {
        return dlzi_err_set(&r->err, DLZ_ENOTFOUND, "the archive has no coefficients.bin");
    }
    zip_stat_t st;
    if (zip_stat_index(r->za, (zip_uint64_t)idx, 0, &st) != 0) {
        return zip_failure(r, "coefficients.bin", zip_get_error(r->za));
    }
    if (st.size == 0) {
        if (locate(r, "noParams.marker") >= 0) {
            return DLZ_OK;
        }
        return dlzi_err_set(&r->err, DLZ_EFORMAT,
                            "coefficients.bin is empty and there is no noParams.marker");
    }
    dlz_array *a = NULL;
    rc = read_array_entry(r, idx, "coefficients.bin", &a);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (a->length == 0) {
        dlz_array_free(a);
        return DLZ_OK;
    }
    *out = a;
    return DLZ_OK;
}

int dlz_reader_read_updater(dlz_reader *r, dlz_array **out) {
    if (out != NULL) {
        *out = NULL;
    }
    int rc = need_zip(r, "dlz_reader_read_updater");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (out == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL output pointer");
    }
    int64_t idx = locate(r, "updaterState.bin");
    if (idx < 0) {
        dlzi_err_set(&r->err, DLZ_ENOTFOUND, "the archive has no updaterState.bin");
        return DLZ_ENOTFOUND;
    }
    return read_array_entry(r, idx, "updaterState.bin", out);
}

int dlz_reader_read_array(dlz_reader *r, dlz_array **out) {
    if (r == NULL || out == NULL) {
        return DLZ_EMISUSE;
    }
    *out = NULL;
    if (!r->open || r->bare == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE,
                            "dlz_reader_read_array: the input is not a bare array file");
    }
    const dlz_array *b = r->bare;
    dlz_array *a = dlzi_malloc(sizeof *a);
    size_t nb = dlz_array_nbytes(b);
    void *d = dlzi_malloc(nb ? nb : 1);
    if (a == NULL || d == NULL) {
        dlzi_free(a);
        dlzi_free(d);
        return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
    }
    memcpy(a, b, sizeof *a);
    if (nb > 0) {
        memcpy(d, b->data, nb);
    }
    a->data = d;
    *out = a;
    return DLZ_OK;
}

int dlz_reader_read_entry(dlz_reader *r, const char *name, void **buf, size_t *len) {
    int rc = need_zip(r, "dlz_reader_read_entry");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (name == NULL || buf == NULL || len == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL argument");
    }
    *buf = NULL;
    *len = 0;
    int64_t idx = locate(r, name);
    if (idx < 0) {
        return dlzi_err_set(&r->err, DLZ_ENOTFOUND, "the archive has no entry %s", name);
    }
    char *b;
    dlzi_part part = dlzi_part_of(name);
    int arrays = part == DLZI_COEFFICIENTS || part == DLZI_UPDATER || part == DLZI_NORMALIZER;
    rc = read_entry_index(r, idx, name, r->limits[DLZ_LIMIT_RAW_ENTRY], "DLZ_LIMIT_RAW_ENTRY",
                          arrays, &b, len);
    if (rc == DLZ_OK) {
        *buf = b;
    }
    return rc;
}

struct dlzi_entry_stream {
    entry_in e;
    dlzi_rd rd;
};

int dlzi_reader_stream_open(dlz_reader *r, const char *name, dlzi_entry_stream **out,
                            dlzi_rd **rd) {
    *out = NULL;
    int rc = need_zip(r, "dlzi_reader_stream_open");
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t idx = locate(r, name);
    if (idx < 0) {
        return dlzi_err_set(&r->err, DLZ_ENOTFOUND, "the archive has no %s", name);
    }
    dlzi_entry_stream *s = dlzi_malloc(sizeof *s);
    if (s == NULL) {
        return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
    }
    const char *stored = zip_get_name(r->za, (zip_uint64_t)idx, ZIP_FL_ENC_RAW);
    rc = stored == NULL ? zip_failure(r, "zip directory", zip_get_error(r->za))
                        : entry_open(r, idx, stored, r->limits[DLZ_LIMIT_ENTRY_SIZE],
                                     "DLZ_LIMIT_ENTRY_SIZE", 1, &s->e);
    if (rc != DLZ_OK) {
        dlzi_free(s);
        return rc;
    }
    dlzi_rd_init(&s->rd, &s->e.in, (int64_t)s->e.size, s->e.name, &r->err);
    *out = s;
    *rd = &s->rd;
    return DLZ_OK;
}

int dlzi_reader_stream_close(dlz_reader *r, dlzi_entry_stream *s, int rc) {
    if (s == NULL) {
        return rc;
    }
    rc = entry_finish(r, &s->e, rc);
    dlzi_free(s);
    return rc;
}

int dlz_reader_read_normalizer_raw(dlz_reader *r, void **buf, size_t *len) {
    return dlz_reader_read_entry(r, "normalizer.bin", buf, len);
}

int64_t dlz_reader_object_count(dlz_reader *r) {
    return r != NULL && r->open ? r->nobjects : 0;
}

const char *dlz_reader_object_key(dlz_reader *r, int64_t index) {
    if (r == NULL || !r->open || r->za == NULL || index < 0 || index >= r->nobjects) {
        return NULL;
    }
    const char *n = zip_get_name(r->za, (zip_uint64_t)r->objects[index], ZIP_FL_ENC_RAW);
    return n != NULL ? n + DLZI_OBJECT_PREFIX_LEN : NULL;
}

int dlz_reader_read_object_raw(dlz_reader *r, const char *key, void **buf, size_t *len) {
    int rc = need_zip(r, "dlz_reader_read_object_raw");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (key == NULL) {
        return dlzi_err_set(&r->err, DLZ_EMISUSE, "NULL key");
    }
    char *name = dlzi_object_entry_name(key);
    if (name == NULL) {
        return dlzi_err_set(&r->err, DLZ_ENOMEM, "out of memory");
    }
    rc = dlz_reader_read_entry(r, name, buf, len);
    dlzi_free(name);
    return rc;
}
