/* export.c - dlz_export: arrays as named tensors in a safetensors file, a
 * NumPy .npz archive or one NumPy .npy file, or one array as a bare ND4J
 * array file (the record of array.c, as Nd4j.write writes it).
 *
 * This file knows nothing of model archives (dlz_export_put_model() in
 * model.c feeds it).  Every tensor is written in row-major order of its
 * shape, little-endian (dlzi_array_emit_le()), through the output sinks of
 * out.c; the .npz archive through the zip writer of zipwrite.c.
 *
 * safetensors: 8-byte little-endian header size, a JSON header padded with
 * spaces to a multiple of 8 bytes, then the data of every tensor, back to
 * back with no gap (the format allows none).  Tensors are ordered by
 * decreasing element size, then in the order of the puts, so every tensor
 * starts at a multiple of its element size.  The header needs every offset
 * before the data, so puts are staged (arrays by reference) and written by
 * close.
 *
 * npz: a zip of "<name>.npy" members, stored, each a NumPy .npy file of
 * format version 1.0 whose header is padded to a multiple of 64 bytes.
 * Written at put: a first pass over the array computes the CRC-32, which a
 * stored entry carries in its local header, the second writes the data.
 */
#include "internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

/* Largest header safetensors readers accept. */
#define SAFETENSORS_MAX_HEADER 100000000u
/* A .npy header: the dictionary of a rank-32 shape of 19-digit sizes takes
   about 32 * 21 + 60 bytes. */
#define NPY_HEADER_MAX 1024
/* Room for ".npy" in the 16-bit length of a zip entry name. */
#define NPZ_NAME_MAX (0xFFFFu - 4u)

enum { X_NEW, X_OPEN, X_FAILED };

typedef struct xtensor {
    char *name;
    dlz_dtype dtype; /* as written */
    int rank;
    int64_t shape[DLZ_MAX_RANK];
    uint64_t length, nbytes;
    const dlz_array *array; /* borrowed; NULL: produced by source() */
    dlzi_export_source_fn source;
    void *ctx;
    size_t tag;
} xtensor;

typedef struct xkeep {
    void *p;
    void (*release)(void *);
} xkeep;

typedef struct xmeta {
    char *key, *value;
    size_t vlen;
} xmeta;

struct dlz_export {
    dlzi_err err;
    dlzi_err first; /* the failure that made the export failed */
    int state;
    dlz_export_format format;
    int out_live;  /* out is open and must be finished or discarded */
    int is_memory; /* out is a memory sink, kept after a successful close */
    int have_memory;
    dlzi_out out;
    dlzi_zw zw;
    uint64_t zip64_size, zip64_count; /* test hook, for zw */
    xtensor *t;                       /* safetensors: staged; others: names only */
    size_t nt, tcap;
    dlzi_names names; /* of t, against duplicates */
    xmeta *meta;
    size_t nmeta, mcap;
    xkeep *keep;
    size_t nkeep, kcap;
    dlzi_pb onnx; /* ONNX: the ModelProto put by the model layer */
    int have_onnx;
    /* output buffer of safetensors and .npy files (.npz: the zip writer's) */
    unsigned char buf[65536];
    size_t blen;
};

/* ---- handle --------------------------------------------------------------- */

dlz_export *dlz_export_new(void) {
    dlz_export *e = dlzi_calloc(1, sizeof *e);
    if (e != NULL) {
        e->state = X_NEW;
        e->zip64_size = UINT64_MAX;
        e->zip64_count = UINT64_MAX;
    }
    return e;
}

/* Releases what an open export holds: staged tensors, metadata, kept
   resources, the zip writer. */
static void release_staged(dlz_export *e) {
    for (size_t i = 0; i < e->nt; i++) {
        dlzi_free(e->t[i].name);
    }
    dlzi_free(e->t);
    e->t = NULL;
    e->nt = e->tcap = 0;
    dlzi_names_free(&e->names);
    for (size_t i = 0; i < e->nmeta; i++) {
        dlzi_free(e->meta[i].key);
        dlzi_free(e->meta[i].value);
    }
    dlzi_free(e->meta);
    e->meta = NULL;
    e->nmeta = e->mcap = 0;
    /* in reverse, so that what was kept last (and may use the rest) goes first */
    while (e->nkeep > 0) {
        xkeep *k = &e->keep[--e->nkeep];
        k->release(k->p);
    }
    dlzi_free(e->keep);
    e->keep = NULL;
    e->kcap = 0;
    dlzi_zw_cleanup(&e->zw);
    dlzi_pb_free(&e->onnx);
    e->have_onnx = 0;
    e->blen = 0;
}

/* Abandons an open export: the output is discarded (a path target keeps
   its old contents, the temporary file is removed). */
static void abandon(dlz_export *e) {
    if (e->out_live) {
        e->out.discard(&e->out);
        e->out_live = 0;
        e->is_memory = 0;
    }
    release_staged(e);
    e->state = X_NEW;
}

static void clear_memory(dlz_export *e) {
    if (e->have_memory) {
        dlzi_out_memory_free(&e->out);
        e->have_memory = 0;
    }
}

void dlz_export_free(dlz_export *e) {
    if (e == NULL) {
        return;
    }
    abandon(e);
    clear_memory(e);
    dlzi_free(e);
}

const char *dlz_export_errmsg(const dlz_export *e) {
    if (e == NULL) {
        return "no export";
    }
    return e->err.code == DLZ_OK ? "no error" : e->err.msg;
}

int dlz_export_syserr(const dlz_export *e) {
    return e == NULL ? 0 : e->err.sys;
}

int dlzi_export_fail(dlz_export *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vset(&e->err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* A failure once bytes were written (or staged tensors lost): only close
   (which fails with this code and message) and free remain. */
int dlzi_export_abort(dlz_export *e, int code) {
    if (e->state == X_OPEN) {
        e->first = e->err;
        e->first.code = code;
        e->state = X_FAILED;
    }
    return code;
}

void dlzi_export_set_zip64_limits(dlz_export *e, uint64_t size, uint64_t count) {
    e->zip64_size = size;
    e->zip64_count = count;
}

int dlzi_export_format(const dlz_export *e) {
    return e != NULL && e->state == X_OPEN ? (int)e->format : -1;
}

static const char *format_name(dlz_export_format f) {
    switch (f) {
    case DLZ_EXPORT_SAFETENSORS:
        return "safetensors";
    case DLZ_EXPORT_NPZ:
        return ".npz";
    case DLZ_EXPORT_NPY:
        return ".npy";
    case DLZ_EXPORT_ONNX:
        return "ONNX";
    case DLZ_EXPORT_ND4J:
        return "ND4J array";
    case DLZ_EXPORT_ND4J_JAVACPP:
        return "JAVACPP ND4J array";
    }
    return "?";
}

/* Formats that hold exactly one unnamed array. */
static int single_array(dlz_export_format f) {
    return f == DLZ_EXPORT_NPY || f == DLZ_EXPORT_ND4J || f == DLZ_EXPORT_ND4J_JAVACPP;
}

int dlzi_export_check_open(dlz_export *e, const char *what) {
    if (e->state == X_OPEN) {
        return DLZ_OK;
    }
    if (e->state == X_FAILED) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "%s: the export failed earlier (%s)", what,
                            e->first.msg);
    }
    return dlzi_err_set(&e->err, DLZ_EMISUSE, "%s: the export is not open", what);
}

/* ---- opening ------------------------------------------------------------- */

/* Checks the handle and the format before an open (the caller closes an
   owned stream when this fails, as documented). */
static int before_open(dlz_export *e, dlz_export_format format) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (e->state != X_NEW) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "the export is already open");
    }
    dlzi_err_clear(&e->err);
    clear_memory(e);
    if (format != DLZ_EXPORT_SAFETENSORS && format != DLZ_EXPORT_NPZ && format != DLZ_EXPORT_NPY &&
        format != DLZ_EXPORT_ONNX && format != DLZ_EXPORT_ND4J &&
        format != DLZ_EXPORT_ND4J_JAVACPP) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "unknown export format %d", (int)format);
    }
    return DLZ_OK;
}

/* Common end of the open functions (rc is the sink's result). */
static int opened(dlz_export *e, dlz_export_format format, int rc, int is_memory) {
    if (rc != DLZ_OK) {
        return rc;
    }
    e->format = format;
    e->out_live = 1;
    e->is_memory = is_memory;
    e->blen = 0;
    /* Time 0 is before 1980: every member gets 1980-01-01 00:00. */
    dlzi_zw_init(&e->zw, &e->out, 0, &e->err);
    dlzi_zw_set_unix(&e->zw);
    dlzi_zw_set_zip64_limits(&e->zw, e->zip64_size, e->zip64_count);
    e->state = X_OPEN;
    return DLZ_OK;
}

int dlz_export_open_path(dlz_export *e, dlz_export_format format, const char *path) {
    int rc = before_open(e, format);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (path == NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_export_open_path: NULL path");
    }
    return opened(e, format, dlzi_out_path(&e->out, path, &e->err), 0);
}

int dlz_export_open_FILE(dlz_export *e, dlz_export_format format, FILE *fp, unsigned flags) {
    int rc = before_open(e, format);
    if (rc != DLZ_OK || fp == NULL) {
        if (fp != NULL && !(flags & DLZ_KEEP_OPEN)) {
            fclose(fp);
        }
        return rc != DLZ_OK
                   ? rc
                   : dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_export_open_FILE: NULL stream");
    }
    return opened(e, format, dlzi_out_FILE(&e->out, fp, flags, &e->err), 0);
}

int dlz_export_open_fd(dlz_export *e, dlz_export_format format, int fd, unsigned flags) {
    int rc = before_open(e, format);
    if (rc != DLZ_OK) {
        if (fd >= 0 && !(flags & DLZ_KEEP_OPEN)) {
            close(fd);
        }
        return rc;
    }
    return opened(e, format, dlzi_out_fd(&e->out, fd, flags, &e->err), 0);
}

int dlz_export_open_memory(dlz_export *e, dlz_export_format format) {
    int rc = before_open(e, format);
    if (rc != DLZ_OK) {
        return rc;
    }
    return opened(e, format, dlzi_out_memory(&e->out, &e->err), 1);
}

int dlz_export_open_io(dlz_export *e, dlz_export_format format, const dlz_io *io, void *user,
                       unsigned flags) {
    int rc = before_open(e, format);
    if (rc != DLZ_OK) {
        if (io != NULL && io->close != NULL && !(flags & DLZ_KEEP_OPEN)) {
            io->close(user);
        }
        return rc;
    }
    return opened(e, format, dlzi_out_io(&e->out, io, user, flags, &e->err), 0);
}

/* ---- buffered output (safetensors, .npy) --------------------------------- */

static int out_flush(dlz_export *e) {
    size_t n = e->blen;
    e->blen = 0;
    return n > 0 ? e->out.write(&e->out, e->buf, n) : DLZ_OK;
}

static int out_write(dlz_export *e, const void *p, size_t n) {
    if (e->blen + n > sizeof e->buf) {
        int rc = out_flush(e);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    if (n >= sizeof e->buf) {
        return e->out.write(&e->out, p, n);
    }
    memcpy(e->buf + e->blen, p, n);
    e->blen += n;
    return DLZ_OK;
}

static int out_emit(void *ctx, const void *p, size_t n) {
    return out_write(ctx, p, n);
}

/* ---- data types ------------------------------------------------------------ */

static const char *safetensors_dtype(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return "F64";
    case DLZ_DTYPE_FLOAT:
        return "F32";
    case DLZ_DTYPE_HALF:
        return "F16";
    case DLZ_DTYPE_BFLOAT16:
        return "BF16";
    case DLZ_DTYPE_LONG:
        return "I64";
    case DLZ_DTYPE_INT:
        return "I32";
    case DLZ_DTYPE_SHORT:
        return "I16";
    case DLZ_DTYPE_UBYTE:
        return "U8";
    case DLZ_DTYPE_BYTE:
        return "I8";
    case DLZ_DTYPE_BOOL:
        return "BOOL";
    case DLZ_DTYPE_UINT16:
        return "U16";
    case DLZ_DTYPE_UINT32:
        return "U32";
    case DLZ_DTYPE_UINT64:
        return "U64";
    }
    return NULL;
}

static const char *tensor_name(const void *ctx, size_t i) {
    const dlz_export *e = ctx;
    return i < e->nt ? e->t[i].name : NULL;
}

static const char *npy_descr(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return "<f8";
    case DLZ_DTYPE_FLOAT:
        return "<f4";
    case DLZ_DTYPE_HALF:
        return "<f2";
    case DLZ_DTYPE_LONG:
        return "<i8";
    case DLZ_DTYPE_INT:
        return "<i4";
    case DLZ_DTYPE_SHORT:
        return "<i2";
    case DLZ_DTYPE_UBYTE:
        return "|u1";
    case DLZ_DTYPE_BYTE:
        return "|i1";
    case DLZ_DTYPE_BOOL:
        return "|b1";
    case DLZ_DTYPE_UINT16:
        return "<u2";
    case DLZ_DTYPE_UINT32:
        return "<u4";
    case DLZ_DTYPE_UINT64:
        return "<u8";
    case DLZ_DTYPE_BFLOAT16:
        break;
    }
    return NULL;
}

/* ND4J records hold every type; JAVACPP ones only those DL4J before
   1.0.0-beta4 reads (as the writer's JAVACPP generation). */
static const char *nd4j_type(dlz_export_format f, dlz_dtype t) {
    if (f == DLZ_EXPORT_ND4J_JAVACPP && t != DLZ_DTYPE_FLOAT && t != DLZ_DTYPE_DOUBLE &&
        t != DLZ_DTYPE_HALF) {
        return NULL;
    }
    return dlz_dtype_name(t);
}

static const char *type_code(dlz_export_format f, dlz_dtype t) {
    switch (f) {
    case DLZ_EXPORT_SAFETENSORS:
        return safetensors_dtype(t);
    case DLZ_EXPORT_ND4J:
    case DLZ_EXPORT_ND4J_JAVACPP:
        return nd4j_type(f, t);
    default:
        return npy_descr(t);
    }
}

/* ---- names ------------------------------------------------------------------ */

int dlzi_export_check(dlz_export *e, const char *name, dlz_dtype dtype) {
    int rc = dlzi_export_check_open(e, "dlz_export_put");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (e->format == DLZ_EXPORT_ONNX) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE,
                            "an ONNX file is written from a model (dlz_export_put_model()), not "
                            "from single tensors");
    }
    if (single_array(e->format)) {
        if (e->nt > 0) {
            return dlzi_err_set(&e->err, DLZ_EMISUSE,
                                "%s holds one array, and this one has it already",
                                e->format == DLZ_EXPORT_NPY ? "a .npy file" : "an ND4J array file");
        }
    } else {
        size_t len = name != NULL ? strlen(name) : 0, bad;
        if (len == 0) {
            return dlzi_err_set(&e->err, DLZ_EMISUSE, "tensor name is %s",
                                name == NULL ? "NULL" : "empty");
        }
        if (!dlzi_utf8_valid(name, len, &bad)) {
            return dlzi_err_set(&e->err, DLZ_EMISUSE, "tensor name is not valid UTF-8 at byte %zu",
                                bad);
        }
        if (e->format == DLZ_EXPORT_SAFETENSORS && strcmp(name, "__metadata__") == 0) {
            return dlzi_err_set(&e->err, DLZ_EMISUSE,
                                "tensor name '__metadata__' is reserved in safetensors files");
        }
        if (e->format == DLZ_EXPORT_NPZ && len > NPZ_NAME_MAX) {
            return dlzi_err_set(&e->err, DLZ_EMISUSE,
                                "tensor name of %zu bytes: a .npz member name has at most %u", len,
                                NPZ_NAME_MAX);
        }
        if (dlzi_names_find(&e->names, name, tensor_name, e) != SIZE_MAX) {
            return dlzi_err_set(&e->err, DLZ_EMISUSE, "tensor '%s' is put twice", name);
        }
    }
    if (type_code(e->format, dtype) == NULL) {
        const char *tn = dlz_dtype_name(dtype);
        return dlzi_err_set(
            &e->err, DLZ_EUNSUPPORTED, "tensor '%s': data type %s cannot be exported to %s%s",
            name != NULL ? name : "", tn != NULL ? tn : "(unknown)", format_name(e->format),
            e->format == DLZ_EXPORT_ND4J_JAVACPP ? " (DL4J before 1.0.0-beta4 cannot read it)"
            : dtype == DLZ_DTYPE_BFLOAT16        ? " (NumPy has no bfloat16)"
                                                 : "");
    }
    return DLZ_OK;
}

/* Appends tensor @p name to e->t with its layout (nothing else set). */
static int stage(dlz_export *e, const char *name, dlz_dtype dtype, int rank, const int64_t *shape) {
    const char *shown = name != NULL ? name : "";
    if (rank < 0 || rank > DLZ_MAX_RANK || (rank > 0 && shape == NULL)) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "tensor '%s': rank %d", shown, rank);
    }
    uint64_t len = 1;
    for (int d = 0; d < rank; d++) {
        if (shape[d] < 0) {
            return dlzi_err_set(&e->err, DLZ_EMISUSE, "tensor '%s': dimension %d is negative",
                                shown, d);
        }
        if (shape[d] > 0 && len > UINT64_MAX / 8 / (uint64_t)shape[d]) {
            return dlzi_err_set(&e->err, DLZ_ELIMIT, "tensor '%s': its size overflows", shown);
        }
        len *= (uint64_t)shape[d];
    }
    if (e->nt == e->tcap) {
        size_t cap = e->tcap ? 2 * e->tcap : 32;
        xtensor *t = dlzi_realloc(e->t, cap * sizeof *t);
        if (t == NULL) {
            return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
        }
        e->t = t;
        e->tcap = cap;
    }
    xtensor *t = &e->t[e->nt];
    memset(t, 0, sizeof *t);
    t->name = dlzi_strdup(shown);
    if (t->name == NULL || dlzi_names_add(&e->names, shown, e->nt, tensor_name, e) != DLZ_OK) {
        dlzi_free(t->name);
        t->name = NULL;
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    t->dtype = dtype;
    t->rank = rank;
    for (int d = 0; d < rank; d++) {
        t->shape[d] = shape[d];
    }
    t->length = len;
    t->nbytes = len * dlz_dtype_size(dtype);
    e->nt++;
    return DLZ_OK;
}

static void unstage_last(dlz_export *e) {
    dlzi_free(e->t[--e->nt].name);
}

/* ---- tensor data -------------------------------------------------------------- */

/* The array of a tensor, checked against its layout: borrowed, or produced
   into *hold (for the caller to free). */
static int tensor_array(dlz_export *e, const xtensor *t, dlz_array **hold, const dlz_array **a) {
    *hold = NULL;
    *a = t->array;
    if (*a == NULL) {
        int rc = t->source(t->ctx, t->tag, hold, &e->err);
        if (rc != DLZ_OK) {
            if (rc != DLZ_ENOMEM) {
                dlzi_err_prefix(&e->err, "tensor '%s'", t->name);
            }
            return rc;
        }
        *a = *hold;
    }
    int same = (*a)->rank == t->rank && (uint64_t)(*a)->length == t->length;
    for (int d = 0; same && d < t->rank; d++) {
        same = (*a)->shape[d] == t->shape[d];
    }
    if (!same) {
        dlz_array_free(*hold);
        *hold = NULL;
        return dlzi_err_set(&e->err, DLZ_EMISUSE,
                            "tensor '%s': an array of rank %d with %lld values, not the "
                            "shape it was put with (%llu values)",
                            t->name, (*a)->rank, (long long)(*a)->length,
                            (unsigned long long)t->length);
    }
    return DLZ_OK;
}

static int emit_tensor(dlz_export *e, const dlz_array *a, dlz_dtype as, dlzi_emit_fn emit,
                       void *ctx) {
    int rc = dlzi_array_emit_le(a, as, emit, ctx, &e->err);
    if (rc == DLZ_EMISUSE) {
        dlzi_err_prefix(&e->err, "tensor");
    }
    return rc;
}

/* The .npy header of a tensor (magic, version 1.0, length, dictionary padded
   with spaces and a newline so that the data start at a multiple of 64);
   returns its length. */
static size_t npy_header(const xtensor *t, unsigned char *buf) {
    char dict[NPY_HEADER_MAX];
    size_t n =
        (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                         npy_descr(t->dtype));
    for (int d = 0; d < t->rank; d++) {
        n += (size_t)snprintf(dict + n, sizeof dict - n, "%s%lld", d > 0 ? ", " : "",
                              (long long)t->shape[d]);
    }
    n += (size_t)snprintf(dict + n, sizeof dict - n, "%s), }", t->rank == 1 ? "," : "");
    size_t total = (10 + n + 1 + 63) / 64 * 64;
    size_t hlen = total - 10;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    dlzi_put_le16(buf + 8, (uint16_t)hlen);
    memcpy(buf + 10, dict, n);
    memset(buf + 10 + n, ' ', hlen - n - 1);
    buf[total - 1] = '\n';
    return total;
}

/* Writes tensor t of a .npz or .npy export now.  *wrote tells whether any
   byte went out (after which a failure cannot be undone). */
static int write_now(dlz_export *e, const xtensor *t, int *wrote) {
    *wrote = 0;
    dlz_array *hold;
    const dlz_array *a;
    int rc = tensor_array(e, t, &hold, &a);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (e->format == DLZ_EXPORT_ND4J || e->format == DLZ_EXPORT_ND4J_JAVACPP) {
        dlz_generation gen = e->format == DLZ_EXPORT_ND4J ? DLZ_GEN_MIXED : DLZ_GEN_JAVACPP;
        uint64_t size;
        /* Refusals (a JAVACPP record too large for its 32-bit fields) come
           before the first byte. */
        rc = dlzi_array_encoded_size(a, gen, 0, &size, &e->err);
        if (rc == DLZ_OK) {
            *wrote = 1;
            rc = dlzi_array_encode(a, gen, 0, out_emit, e, &e->err);
        }
        dlz_array_free(hold);
        return rc;
    }
    unsigned char head[NPY_HEADER_MAX + 128];
    size_t hlen = npy_header(t, head);
    if (e->format == DLZ_EXPORT_NPY) {
        *wrote = 1;
        rc = out_write(e, head, hlen);
        if (rc == DLZ_OK) {
            rc = emit_tensor(e, a, t->dtype, out_emit, e);
        }
        dlz_array_free(hold);
        return rc;
    }
    uint32_t crc = dlzi_crc32(0, head, hlen);
    rc = emit_tensor(e, a, t->dtype, dlzi_crc_emit, &crc);
    char *member = rc == DLZ_OK ? dlzi_malloc(strlen(t->name) + 5) : NULL;
    if (rc == DLZ_OK && member == NULL) {
        rc = dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    if (rc == DLZ_OK) {
        memcpy(member, t->name, strlen(t->name));
        memcpy(member + strlen(t->name), ".npy", 5);
        *wrote = 1;
        rc = dlzi_zw_begin(&e->zw, member, DLZ_METHOD_STORE, 0, hlen + t->nbytes, crc);
    }
    if (rc == DLZ_OK) {
        rc = dlzi_zw_data(&e->zw, head, hlen);
    }
    if (rc == DLZ_OK) {
        rc = emit_tensor(e, a, t->dtype, dlzi_zw_emit, &e->zw);
    }
    if (rc == DLZ_OK) {
        rc = dlzi_zw_end(&e->zw);
    }
    dlzi_free(member);
    dlz_array_free(hold);
    return rc;
}

int dlzi_export_put(dlz_export *e, const char *name, dlz_dtype dtype, int rank,
                    const int64_t *shape, const dlz_array *a, dlzi_export_source_fn fn, void *ctx,
                    size_t tag) {
    int rc = dlzi_export_check(e, name, dtype);
    if (rc == DLZ_OK) {
        rc = stage(e, name, dtype, rank, shape);
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    xtensor *t = &e->t[e->nt - 1];
    t->array = a;
    t->source = fn;
    t->ctx = ctx;
    t->tag = tag;
    if (e->format == DLZ_EXPORT_SAFETENSORS) {
        return DLZ_OK;
    }
    int wrote;
    rc = write_now(e, t, &wrote);
    /* The name stays (it may not come again); no array is kept. */
    t->array = NULL;
    t->source = NULL;
    if (rc != DLZ_OK) {
        if (!wrote) {
            unstage_last(e);
            return rc;
        }
        return dlzi_export_abort(e, rc);
    }
    return DLZ_OK;
}

int dlz_export_put(dlz_export *e, const char *name, const dlz_array *a) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (a == NULL) {
        int rc = dlzi_export_check_open(e, "dlz_export_put");
        return rc != DLZ_OK ? rc : dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_export_put: NULL array");
    }
    return dlzi_export_put(e, name, a->dtype, a->rank, a->shape, a, NULL, NULL, 0);
}

int dlzi_export_keep(dlz_export *e, void *p, void (*release)(void *)) {
    if (e->nkeep == e->kcap) {
        size_t cap = e->kcap ? 2 * e->kcap : 4;
        xkeep *k = dlzi_realloc(e->keep, cap * sizeof *k);
        if (k == NULL) {
            release(p);
            return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
        }
        e->keep = k;
        e->kcap = cap;
    }
    e->keep[e->nkeep].p = p;
    e->keep[e->nkeep].release = release;
    e->nkeep++;
    return DLZ_OK;
}

/* ---- metadata ------------------------------------------------------------------ */

int dlz_export_set_metadata(dlz_export *e, const char *key, const char *value) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    return dlzi_export_set_metadata(e, key, value, value != NULL ? strlen(value) : 0);
}

int dlzi_export_set_metadata(dlz_export *e, const char *key, const char *value, size_t len) {
    int rc = dlzi_export_check_open(e, "dlz_export_set_metadata");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (e->format != DLZ_EXPORT_SAFETENSORS && e->format != DLZ_EXPORT_ONNX) {
        return dlzi_err_set(&e->err, DLZ_EUNSUPPORTED, "%s files have no metadata",
                            format_name(e->format));
    }
    if (key == NULL || value == NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_export_set_metadata: NULL key or value");
    }
    size_t bad;
    if (!dlzi_utf8_valid(key, strlen(key), &bad)) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "metadata key is not valid UTF-8 at byte %zu",
                            bad);
    }
    if (!dlzi_utf8_valid(value, len, &bad)) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE,
                            "metadata value of '%s' is not valid UTF-8 at byte %zu", key, bad);
    }
    char *v = dlzi_malloc(len + 1);
    if (v == NULL) {
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    memcpy(v, value, len);
    v[len] = '\0';
    for (size_t i = 0; i < e->nmeta; i++) {
        if (strcmp(e->meta[i].key, key) == 0) {
            dlzi_free(e->meta[i].value);
            e->meta[i].value = v;
            e->meta[i].vlen = len;
            return DLZ_OK;
        }
    }
    if (e->nmeta == e->mcap) {
        size_t cap = e->mcap ? 2 * e->mcap : 8;
        xmeta *m = dlzi_realloc(e->meta, cap * sizeof *m);
        if (m == NULL) {
            dlzi_free(v);
            return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
        }
        e->meta = m;
        e->mcap = cap;
    }
    char *k = dlzi_strdup(key);
    if (k == NULL) {
        dlzi_free(v);
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    e->meta[e->nmeta].key = k;
    e->meta[e->nmeta].value = v;
    e->meta[e->nmeta].vlen = len;
    e->nmeta++;
    return DLZ_OK;
}

/* ---- safetensors ------------------------------------------------------------- */

static int jset(json_t *obj, const char *key, json_t *value) {
    return value != NULL && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static json_t *tensor_entry(const xtensor *t, uint64_t begin) {
    json_t *o = json_object();
    json_t *shape = json_array();
    json_t *offsets = json_array();
    int rc = o == NULL ? -1 : 0;
    rc |= jset(o, "dtype", json_string(safetensors_dtype(t->dtype)));
    rc |= jset(o, "shape", shape);
    rc |= jset(o, "data_offsets", offsets);
    for (int d = 0; rc == 0 && d < t->rank; d++) {
        rc = json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    }
    if (rc == 0) {
        rc |= json_array_append_new(offsets, json_integer((json_int_t)begin));
        rc |= json_array_append_new(offsets, json_integer((json_int_t)(begin + t->nbytes)));
    }
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *metadata_object(const dlz_export *e) {
    json_t *m = json_object();
    for (size_t i = 0; m != NULL && i < e->nmeta; i++) {
        if (jset(m, e->meta[i].key, json_stringn(e->meta[i].value, e->meta[i].vlen)) != 0) {
            json_decref(m);
            m = NULL;
        }
    }
    return m;
}

/* The header text padded to a multiple of 8 with spaces (dlzi_free()), or
   NULL when out of memory. */
static char *safetensors_header(const dlz_export *e, const size_t *order, size_t *len) {
    json_t *root = json_object();
    int rc = root == NULL ? -1 : 0;
    if (rc == 0 && e->nmeta > 0) {
        rc = jset(root, "__metadata__", metadata_object(e));
    }
    uint64_t at = 0;
    for (size_t i = 0; rc == 0 && i < e->nt; i++) {
        const xtensor *t = &e->t[order[i]];
        rc = jset(root, t->name, tensor_entry(t, at));
        at += t->nbytes;
    }
    char *text = rc == 0 ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (text == NULL) {
        return NULL;
    }
    size_t n = strlen(text);
    size_t padded = (n + 7) / 8 * 8;
    char *out = dlzi_malloc(padded + 1);
    if (out != NULL) {
        memcpy(out, text, n);
        memset(out + n, ' ', padded - n);
        out[padded] = '\0';
        *len = padded;
    }
    free(text); /* jansson's allocator */
    return out;
}

static int write_safetensors(dlz_export *e) {
    /* Decreasing element size, put order within a size. */
    size_t *order = dlzi_malloc((e->nt > 0 ? e->nt : 1) * sizeof *order);
    if (order == NULL) {
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    size_t k = 0;
    for (size_t w = 8; w >= 1; w /= 2) {
        for (size_t i = 0; i < e->nt; i++) {
            if (dlz_dtype_size(e->t[i].dtype) == w) {
                order[k++] = i;
            }
        }
    }
    size_t hlen = 0;
    char *header = safetensors_header(e, order, &hlen);
    int rc = DLZ_OK;
    if (header == NULL) {
        rc = dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    } else if (hlen > SAFETENSORS_MAX_HEADER) {
        rc = dlzi_err_set(&e->err, DLZ_ELIMIT,
                          "the safetensors header would take %zu bytes; readers accept at most %u",
                          hlen, SAFETENSORS_MAX_HEADER);
    }
    if (rc == DLZ_OK) {
        unsigned char size[8];
        dlzi_put_le64(size, hlen);
        rc = out_write(e, size, 8);
    }
    if (rc == DLZ_OK) {
        rc = out_write(e, header, hlen);
    }
    dlzi_free(header);
    for (size_t i = 0; rc == DLZ_OK && i < e->nt; i++) {
        const xtensor *t = &e->t[order[i]];
        dlz_array *hold;
        const dlz_array *a;
        rc = tensor_array(e, t, &hold, &a);
        if (rc == DLZ_OK) {
            rc = emit_tensor(e, a, t->dtype, out_emit, e);
            dlz_array_free(hold);
        }
    }
    dlzi_free(order);
    return rc;
}

/* ---- ONNX ------------------------------------------------------------------------ */

int dlzi_export_put_onnx(dlz_export *e, dlzi_pb *model) {
    int rc = dlzi_export_check_open(e, "dlz_export_put_model");
    if (rc == DLZ_OK && e->have_onnx) {
        rc = dlzi_err_set(&e->err, DLZ_EMISUSE,
                          "an ONNX file holds one model, and this one has "
                          "it already");
    }
    if (rc != DLZ_OK) {
        dlzi_pb_free(model);
        return rc;
    }
    e->onnx = *model;
    memset(model, 0, sizeof *model);
    e->have_onnx = 1;
    return DLZ_OK;
}

/* The model, then each metadata entry as ModelProto.metadata_props (field
   14, StringStringEntryProto key 1, value 2): fields appended to a message
   are part of it. */
static int write_onnx(dlz_export *e) {
    if (!e->have_onnx) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE,
                            "dlz_export_close: an ONNX file needs its model; none was put");
    }
    int rc = out_write(e, e->onnx.p, e->onnx.len);
    for (size_t i = 0; rc == DLZ_OK && i < e->nmeta; i++) {
        dlzi_pb entry = {0}, field = {0};
        dlzi_pb_str(&entry, 1, e->meta[i].key);
        dlzi_pb_bytes(&entry, 2, e->meta[i].value, e->meta[i].vlen);
        dlzi_pb_msg(&field, 14, &entry);
        rc = dlzi_pb_failed(&field) ? dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory")
                                    : out_write(e, field.p, field.len);
        dlzi_pb_free(&entry);
        dlzi_pb_free(&field);
    }
    return rc;
}

/* ---- closing --------------------------------------------------------------------- */

int dlz_export_close(dlz_export *e) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    int rc;
    if (e->state == X_NEW) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_export_close: the export is not open");
    }
    if (e->state == X_FAILED) {
        e->err = e->first;
        rc = e->first.code;
        abandon(e);
        return rc;
    }
    switch (e->format) {
    case DLZ_EXPORT_SAFETENSORS:
        rc = write_safetensors(e);
        break;
    case DLZ_EXPORT_NPZ:
        rc = dlzi_zw_finish(&e->zw);
        break;
    case DLZ_EXPORT_ONNX:
        rc = write_onnx(e);
        break;
    default:
        rc = e->nt == 1
                 ? DLZ_OK
                 : dlzi_err_set(&e->err, DLZ_EMISUSE,
                                "dlz_export_close: %s needs its array; none was put",
                                e->format == DLZ_EXPORT_NPY ? "a .npy file" : "an ND4J array file");
        break;
    }
    if (rc == DLZ_OK && e->format != DLZ_EXPORT_NPZ) {
        rc = out_flush(e);
    }
    if (rc != DLZ_OK) {
        abandon(e);
        return rc;
    }
    rc = e->out.finish(&e->out);
    e->out_live = 0;
    release_staged(e);
    e->state = X_NEW;
    if (e->is_memory) {
        if (rc == DLZ_OK) {
            e->have_memory = 1;
        } else {
            dlzi_out_memory_free(&e->out);
        }
        e->is_memory = 0;
    }
    return rc;
}

int dlz_export_memory(const dlz_export *e, const void **buf, size_t *len) {
    if (e == NULL || buf == NULL || len == NULL || !e->have_memory) {
        return DLZ_EMISUSE;
    }
    dlzi_out_memory_get((dlzi_out *)&e->out, buf, len);
    return DLZ_OK;
}
