/* writer.c - dlz_writer: writes a model archive entry by entry, in DL4J's
 * order, straight through to the output.
 *
 * States (each put moves forward; a failed write makes the handle FAILED,
 * after which only close (which then fails) and free are useful):
 *
 *   NEW --open--> OPEN --configuration--> CONFIG --coefficients--> PARAMS
 *   PARAMS --updater--> UPDATER --normalizer--> NORMALIZER --object--> OBJECTS
 *   (updater, normalizer and objects are each optional)
 *   PARAMS|UPDATER|NORMALIZER|OBJECTS --close--> NEW (result available)
 */
#include "internal.h"

#include <inttypes.h>
#include <time.h>
#include <unistd.h>

enum { W_NEW, W_OPEN, W_CONFIG, W_PARAMS, W_UPDATER, W_NORMALIZER, W_OBJECTS, W_FAILED };

struct dlz_writer {
    dlzi_err err;
    dlz_generation gen;
    int method[DLZI_PART_COUNT]; /* compression of each part's entries */
    int level[DLZI_PART_COUNT];
    int mtime_set;
    int64_t mtime;
    const dlz_lock *lock; /* checked before a path target is replaced */
    int state;
    int out_live;  /* out is open and must be finished or discarded */
    int is_memory; /* out is a memory sink kept after close */
    dlzi_out out;
    dlzi_zw zw;
    int have_result;
    dlz_save_result result;
    dlz_entry_info *res_entries;
    char **res_names;
    size_t res_n;
};

dlz_writer *dlz_writer_new(void) {
    dlz_writer *w = dlzi_calloc(1, sizeof *w);
    if (w == NULL) {
        return NULL;
    }
    w->gen = DLZ_GEN_MIXED;
    for (int p = 0; p < DLZI_PART_COUNT; p++) {
        dlzi_part_compression((dlzi_part)p, &w->method[p], &w->level[p]);
    }
    w->state = W_NEW;
    return w;
}

static void clear_result(dlz_writer *w) {
    for (size_t i = 0; i < w->res_n; i++) {
        dlzi_free(w->res_names[i]);
    }
    dlzi_free(w->res_names);
    dlzi_free(w->res_entries);
    w->res_names = NULL;
    w->res_entries = NULL;
    w->res_n = 0;
    w->have_result = 0;
    memset(&w->result, 0, sizeof w->result);
    if (w->is_memory && !w->out_live) {
        dlzi_out_memory_free(&w->out);
        w->is_memory = 0;
    }
}

/* Abandons an open archive: the output is discarded (a path target keeps its
   old contents). */
static void abandon(dlz_writer *w) {
    if (w->out_live) {
        w->out.discard(&w->out);
        w->out_live = 0;
        w->is_memory = 0;
    }
    dlzi_zw_cleanup(&w->zw);
    w->state = W_NEW;
}

void dlz_writer_free(dlz_writer *w) {
    if (w == NULL) {
        return;
    }
    abandon(w);
    clear_result(w);
    dlzi_free(w);
}

int dlzi_writer_fail(dlz_writer *w, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vset(&w->err, code, fmt, ap);
    va_end(ap);
    return code;
}

const char *dlz_writer_errmsg(const dlz_writer *w) {
    if (w == NULL) {
        return "no writer";
    }
    return w->err.code == DLZ_OK ? "no error" : w->err.msg;
}

int dlz_writer_syserr(const dlz_writer *w) {
    return w == NULL ? 0 : w->err.sys;
}

static int misuse(dlz_writer *w, const char *what) {
    return dlzi_err_set(&w->err, DLZ_EMISUSE, "%s", what);
}

int dlz_writer_set_generation(dlz_writer *w, dlz_generation g) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_NEW) {
        return misuse(w, "dlz_writer_set_generation: only before opening");
    }
    if (g != DLZ_GEN_MIXED && g != DLZ_GEN_JAVACPP) {
        return dlzi_err_set(&w->err, DLZ_EMISUSE,
                            "generation %d cannot be written (MIXED_DATA_TYPES or JAVACPP)",
                            (int)g);
    }
    w->gen = g;
    return DLZ_OK;
}

int dlz_writer_set_compression(dlz_writer *w, unsigned parts, int method, int level) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_NEW) {
        return misuse(w, "dlz_writer_set_compression: only before opening");
    }
    if (parts == 0 || (parts & ~DLZ_PART_ALL) != 0) {
        return dlzi_err_set(&w->err, DLZ_EMISUSE, "unknown part mask 0x%x", parts);
    }
    if (method == DLZ_METHOD_DEFLATE && (level < 1 || level > 9)) {
        return dlzi_err_set(&w->err, DLZ_EMISUSE, "deflate level %d out of range 1..9", level);
    }
    if (method != DLZ_METHOD_DEFLATE && method != DLZ_METHOD_STORE) {
        return dlzi_err_set(&w->err, DLZ_EMISUSE, "compression method %d is not STORE or DEFLATE",
                            method);
    }
    for (int p = 0; p < DLZI_PART_COUNT; p++) {
        if (parts & dlzi_part_mask((dlzi_part)p)) {
            w->method[p] = method;
            w->level[p] = method == DLZ_METHOD_STORE ? 0 : level;
        }
    }
    return DLZ_OK;
}

int dlz_writer_set_lock(dlz_writer *w, const dlz_lock *lock) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_NEW) {
        return misuse(w, "dlz_writer_set_lock: only before opening");
    }
    w->lock = lock;
    return DLZ_OK;
}

static int lock_still_ours(void *ctx, dlzi_err *err) {
    return dlzi_lock_check(ctx, err);
}

int dlz_writer_set_mtime(dlz_writer *w, int64_t unix_seconds) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_NEW) {
        return misuse(w, "dlz_writer_set_mtime: only before opening");
    }
    w->mtime = unix_seconds;
    w->mtime_set = 1;
    return DLZ_OK;
}

/* Common part of the open functions, after the sink was set up (rc is the
   sink's result). */
static int opened(dlz_writer *w, int rc, int is_memory) {
    if (rc != DLZ_OK) {
        return rc;
    }
    w->out_live = 1;
    w->is_memory = is_memory;
    dlzi_zw_init(&w->zw, &w->out, w->mtime_set ? w->mtime : (int64_t)time(NULL), &w->err);
    w->state = W_OPEN;
    return DLZ_OK;
}

/* Checks the handle before an open.  An owned stream is closed when the
   open cannot proceed, as documented. */
static int before_open(dlz_writer *w) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_NEW) {
        return misuse(w, "the writer is already open");
    }
    dlzi_err_clear(&w->err);
    clear_result(w);
    return DLZ_OK;
}

int dlz_writer_open_path(dlz_writer *w, const char *path) {
    int rc = before_open(w);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (path == NULL) {
        return misuse(w, "dlz_writer_open_path: NULL path");
    }
    rc = dlzi_out_path(&w->out, path, &w->err);
    if (rc == DLZ_OK && w->lock != NULL) {
        w->out.precommit = lock_still_ours;
        w->out.precommit_ctx = (void *)(uintptr_t)w->lock;
    }
    return opened(w, rc, 0);
}

int dlz_writer_open_FILE(dlz_writer *w, FILE *fp, unsigned flags) {
    int rc = before_open(w);
    if (rc != DLZ_OK || fp == NULL) {
        if (fp != NULL && !(flags & DLZ_KEEP_OPEN)) {
            fclose(fp);
        }
        return rc != DLZ_OK ? rc : misuse(w, "dlz_writer_open_FILE: NULL stream");
    }
    return opened(w, dlzi_out_FILE(&w->out, fp, flags, &w->err), 0);
}

int dlz_writer_open_fd(dlz_writer *w, int fd, unsigned flags) {
    int rc = before_open(w);
    if (rc != DLZ_OK) {
        if (fd >= 0 && !(flags & DLZ_KEEP_OPEN)) {
            close(fd);
        }
        return rc;
    }
    return opened(w, dlzi_out_fd(&w->out, fd, flags, &w->err), 0);
}

int dlz_writer_open_memory(dlz_writer *w) {
    int rc = before_open(w);
    if (rc != DLZ_OK) {
        return rc;
    }
    return opened(w, dlzi_out_memory(&w->out, &w->err), 1);
}

int dlz_writer_open_io(dlz_writer *w, const dlz_io *io, void *user, unsigned flags) {
    int rc = before_open(w);
    if (rc != DLZ_OK) {
        if (io != NULL && io->close != NULL && !(flags & DLZ_KEEP_OPEN)) {
            io->close(user);
        }
        return rc;
    }
    return opened(w, dlzi_out_io(&w->out, io, user, flags, &w->err), 0);
}

/* A failure while bytes were being written leaves a partial entry: the
   handle can only be closed (which fails) or freed. */
static int failed(dlz_writer *w, int rc) {
    w->state = W_FAILED;
    return rc;
}

static int order_error(dlz_writer *w, const char *what) {
    static const char *const names[] = {"not open",
                                        "open",
                                        "after the configuration",
                                        "after the coefficients",
                                        "after the updater state",
                                        "after the normalizer",
                                        "after the objects",
                                        "failed"};
    if (w->state == W_FAILED) {
        return dlzi_err_set(&w->err, DLZ_EMISUSE,
                            "%s: the writer failed earlier and can only be freed", what);
    }
    return dlzi_err_set(&w->err, DLZ_EMISUSE,
                        "%s: not allowed %s (order: configuration, coefficients, updater state, "
                        "normalizer, objects)",
                        what, names[w->state]);
}

int dlzi_put_bytes_entry(dlzi_zw *zw, const char *name, int method, int level, const void *data,
                         size_t len) {
    uint32_t crc = method == DLZ_METHOD_STORE ? dlzi_crc32(0, data, len) : 0;
    int rc = dlzi_zw_begin(zw, name, method, level, len, crc);
    if (rc == DLZ_OK) {
        rc = dlzi_zw_data(zw, data, len);
    }
    if (rc == DLZ_OK) {
        rc = dlzi_zw_end(zw);
    }
    return rc;
}

/* Writes one entry of a part from a memory buffer with the part's compression;
   name NULL means the part's own entry name. */
static int put_bytes(dlz_writer *w, dlzi_part part, const char *name, const void *data,
                     size_t len) {
    return dlzi_put_bytes_entry(&w->zw, name != NULL ? name : dlzi_part_name(part), w->method[part],
                                w->level[part], data, len);
}

/* Writes non-ASCII characters of UTF-8 text as \uXXXX escapes (DL4J reads
   configuration.json with the platform charset).  Outside JSON strings no
   non-ASCII byte is valid, so escaping everywhere keeps the meaning. */
static int ascii_json(dlz_writer *w, const char *s, size_t len, char **out, size_t *outlen) {
    size_t extra = 0;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80) {
            extra += 12; /* at most \uXXXX\uXXXX per (>= 2 byte) sequence */
        }
    }
    if (len > SIZE_MAX - extra - 1) {
        return dlzi_err_set(&w->err, DLZ_ELIMIT, "configuration too large");
    }
    char *d = dlzi_malloc(len + extra + 1);
    if (d == NULL) {
        return dlzi_err_set(&w->err, DLZ_ENOMEM, "out of memory");
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            d[o++] = (char)c;
            i++;
            continue;
        }
        uint32_t cp;
        int rc = dlzi_utf8_next((const unsigned char *)s, len, &i, &cp, 0);
        if (rc != DLZI_UTF8_OK) {
            dlzi_free(d);
            if (rc == DLZI_UTF8_BAD_LEAD) {
                return dlzi_err_set(&w->err, DLZ_EFORMAT,
                                    "configuration: byte %zu: invalid UTF-8 lead byte 0x%02x", i,
                                    c);
            }
            return dlzi_err_set(&w->err, DLZ_EFORMAT, "configuration: byte %zu: %s", i,
                                rc == DLZI_UTF8_TRUNCATED  ? "truncated UTF-8 sequence"
                                : rc == DLZI_UTF8_BAD_CONT ? "invalid UTF-8 continuation"
                                                           : "invalid UTF-8 sequence");
        }
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            o += (size_t)snprintf(d + o, 13, "\\u%04x\\u%04x", 0xD800 + (v >> 10),
                                  0xDC00 + (v & 0x3FF));
        } else {
            o += (size_t)snprintf(d + o, 7, "\\u%04x", cp);
        }
    }
    d[o] = '\0';
    *out = d;
    *outlen = o;
    return DLZ_OK;
}

int dlz_writer_put_configuration(dlz_writer *w, const char *json, size_t len) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_OPEN) {
        return order_error(w, "dlz_writer_put_configuration");
    }
    if (json == NULL) {
        return misuse(w, "dlz_writer_put_configuration: NULL text");
    }
    char *ascii = NULL;
    size_t alen = 0;
    int rc = ascii_json(w, json, len, &ascii, &alen);
    if (rc != DLZ_OK) {
        return rc;
    }
    /* Checked as the reader will check it, with the reader's default budget. */
    static const dlzi_json_budget budget = {DLZI_JSON_DEFAULT_NODES, DLZI_JSON_DEFAULT_DEPTH};
    rc = dlzi_json_check_config(ascii, alen, &budget, NULL, NULL, &w->err);
    if (rc != DLZ_OK) {
        dlzi_free(ascii);
        return rc;
    }
    rc = put_bytes(w, DLZI_CONFIGURATION, NULL, ascii, alen);
    dlzi_free(ascii);
    if (rc != DLZ_OK) {
        return failed(w, rc);
    }
    w->state = W_CONFIG;
    return DLZ_OK;
}

int dlzi_put_array_entry(dlzi_zw *zw, const char *name, int method, int level, dlz_generation gen,
                         const dlz_array *a, dlzi_err *err) {
    uint64_t size;
    int rc = dlzi_array_encoded_size(a, gen, 1, &size, err);
    if (rc != DLZ_OK) {
        dlzi_err_prefix(err, "%s", name);
        return rc;
    }
    uint32_t crc = 0;
    if (method == DLZ_METHOD_STORE) {
        /* STORE puts the CRC in the local header: a first pass computes it. */
        rc = dlzi_array_encode(a, gen, 1, dlzi_crc_emit, &crc, err);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    rc = dlzi_zw_begin(zw, name, method, level, size, crc);
    if (rc == DLZ_OK) {
        rc = dlzi_array_encode(a, gen, 1, dlzi_zw_emit, zw, err);
    }
    if (rc == DLZ_OK) {
        rc = dlzi_zw_end(zw);
    }
    return rc;
}

static int put_array(dlz_writer *w, dlzi_part part, const dlz_array *a) {
    /* Nothing is written before the size is known, so a refused array (a
       type the generation cannot hold) leaves the handle usable. */
    const char *name = dlzi_part_name(part);
    uint64_t size;
    int rc = dlzi_array_encoded_size(a, w->gen, 1, &size, &w->err);
    if (rc != DLZ_OK) {
        dlzi_err_prefix(&w->err, "%s", name);
        return rc;
    }
    rc = dlzi_put_array_entry(&w->zw, name, w->method[part], w->level[part], w->gen, a, &w->err);
    return rc != DLZ_OK ? failed(w, rc) : DLZ_OK;
}

static int check_vector(dlz_writer *w, const char *what, const dlz_array *a) {
    int r = a->rank;
    if (r == 1 || (r == 2 && (a->shape[0] == 1 || a->shape[1] == 1))) {
        return DLZ_OK;
    }
    return dlzi_err_set(&w->err, DLZ_EMISUSE,
                        "%s must be a vector (rank 1, or rank 2 with one dimension 1), not "
                        "rank %d",
                        what, r);
}

int dlz_writer_put_coefficients(dlz_writer *w, const dlz_array *a) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_CONFIG) {
        return order_error(w, "dlz_writer_put_coefficients");
    }
    int rc;
    if (a == NULL) {
        /* DL4J's form for a model without parameters: both entries empty. */
        rc = put_bytes(w, DLZI_COEFFICIENTS, NULL, "", 0);
        if (rc == DLZ_OK) {
            rc = put_bytes(w, DLZI_NO_PARAMS, NULL, "", 0);
        }
        if (rc != DLZ_OK) {
            return failed(w, rc);
        }
    } else {
        if ((rc = check_vector(w, "coefficients", a)) != DLZ_OK) {
            return rc;
        }
        if ((rc = put_array(w, DLZI_COEFFICIENTS, a)) != DLZ_OK) {
            return rc;
        }
    }
    w->state = W_PARAMS;
    return DLZ_OK;
}

int dlz_writer_put_updater(dlz_writer *w, const dlz_array *a) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_PARAMS) {
        return order_error(w, "dlz_writer_put_updater");
    }
    if (a == NULL) {
        return misuse(w, "dlz_writer_put_updater: NULL array");
    }
    int rc = check_vector(w, "updater state", a);
    if (rc == DLZ_OK) {
        rc = put_array(w, DLZI_UPDATER, a);
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    w->state = W_UPDATER;
    return DLZ_OK;
}

int dlz_writer_put_normalizer_raw(dlz_writer *w, const void *data, size_t len) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state != W_PARAMS && w->state != W_UPDATER) {
        return order_error(w, "dlz_writer_put_normalizer");
    }
    if (data == NULL && len > 0) {
        return misuse(w, "dlz_writer_put_normalizer_raw: NULL data");
    }
    int rc = put_bytes(w, DLZI_NORMALIZER, NULL, data ? data : "", len);
    if (rc != DLZ_OK) {
        return failed(w, rc);
    }
    w->state = W_NORMALIZER;
    return DLZ_OK;
}

int dlz_writer_put_object_raw(dlz_writer *w, const char *key, const void *data, size_t len) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state < W_PARAMS || w->state > W_OBJECTS) {
        return order_error(w, "dlz_writer_put_object");
    }
    if (key == NULL || (data == NULL && len > 0)) {
        return misuse(w, "dlz_writer_put_object_raw: NULL key or data");
    }
    int rc = dlzi_check_object_key(key, &w->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    char *name = dlzi_object_entry_name(key);
    if (name == NULL) {
        return dlzi_err_set(&w->err, DLZ_ENOMEM, "out of memory");
    }
    if (dlzi_zw_has(&w->zw, name)) {
        dlzi_free(name);
        return dlzi_err_set(&w->err, DLZ_EMISUSE, "object key '%s' written twice", key);
    }
    rc = put_bytes(w, DLZI_OBJECT, name, data ? data : "", len);
    dlzi_free(name);
    if (rc != DLZ_OK) {
        return failed(w, rc);
    }
    w->state = W_OBJECTS;
    return DLZ_OK;
}

static int build_result(dlz_writer *w) {
    size_t n = w->zw.n;
    w->res_entries = dlzi_calloc(n ? n : 1, sizeof *w->res_entries);
    w->res_names = dlzi_calloc(n ? n : 1, sizeof *w->res_names);
    if (w->res_entries == NULL || w->res_names == NULL) {
        return dlzi_err_set(&w->err, DLZ_ENOMEM, "out of memory");
    }
    unsigned warn = 0;
    for (size_t i = 0; i < n; i++) {
        const dlzi_zw_entry *e = &w->zw.entries[i];
        /* Take the name over from the zip writer. */
        w->res_names[i] = e->name;
        w->zw.entries[i].name = NULL;
        w->res_n = i + 1;
        w->res_entries[i].name = w->res_names[i];
        w->res_entries[i].size = e->size;
        w->res_entries[i].compressed_size = e->csize;
        w->res_entries[i].method = e->method;
        w->res_entries[i].crc32 = e->crc;
        if (e->size > ((uint64_t)1 << 31) - 1) {
            warn |= DLZ_WARN_ENTRY_OVER_2GIB;
        }
    }
    if (w->zw.offset > ((uint64_t)1 << 30)) {
        warn |= DLZ_WARN_LARGE_ARCHIVE;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    w->result.entry_count = n;
    w->result.entries = w->res_entries;
    w->result.total_bytes = w->zw.offset;
    w->result.saved_at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    w->result.warnings = warn;
    w->have_result = 1;
    return DLZ_OK;
}

int dlz_writer_close(dlz_writer *w) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (w->state == W_NEW) {
        return misuse(w, "dlz_writer_close: the writer is not open");
    }
    int rc;
    if (w->state == W_FAILED) {
        rc = w->err.code != DLZ_OK ? w->err.code : DLZ_EIO;
        abandon(w);
        return rc;
    }
    if (w->state < W_PARAMS) {
        rc = dlzi_err_set(&w->err, DLZ_EMISUSE,
                          "dlz_writer_close: an archive needs a configuration and coefficients; "
                          "nothing was written");
        abandon(w);
        return rc;
    }
    rc = dlzi_zw_finish(&w->zw);
    if (rc == DLZ_OK) {
        rc = build_result(w);
    }
    if (rc != DLZ_OK) {
        abandon(w);
        clear_result(w);
        return rc;
    }
    rc = w->out.finish(&w->out);
    w->out_live = 0;
    dlzi_zw_cleanup(&w->zw);
    w->state = W_NEW;
    if (rc != DLZ_OK) {
        if (w->is_memory) {
            dlzi_out_memory_free(&w->out);
            w->is_memory = 0;
        }
        clear_result(w);
    }
    return rc;
}

const dlz_save_result *dlz_writer_result(const dlz_writer *w) {
    return w != NULL && w->have_result ? &w->result : NULL;
}

int dlz_writer_memory(const dlz_writer *w, const void **buf, size_t *len) {
    if (w == NULL || buf == NULL || len == NULL) {
        return DLZ_EMISUSE;
    }
    if (!w->is_memory || w->out_live || !w->have_result) {
        return DLZ_EMISUSE;
    }
    dlzi_out_memory_get((dlzi_out *)&w->out, buf, len);
    return DLZ_OK;
}
