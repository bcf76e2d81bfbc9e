/*
 * internal.h - the one private header of libdlz.
 *
 * Internal functions shared between source files are prefixed dlzi_; all
 * others are static.  Nothing here is exported (the build hides every symbol
 * not marked DLZ_API and the version script lists the public ones).
 */
#ifndef DLZ_INTERNAL_H
#define DLZ_INTERNAL_H

#define DLZ_BUILDING 1
#include "dlz.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define DLZI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DLZI_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------ */
/* Errors (error.c)                                                          */

/* Error state owned by a handle: a code, the errno of I/O failures and one
   line of text. */
typedef struct dlzi_err {
    int code;
    int sys;
    char msg[512];
} dlzi_err;

/* Records an error and returns @p code, so callers can write
   `return dlzi_err_set(err, DLZ_EFORMAT, "...", ...);`.  A NULL err is allowed. */
int dlzi_err_set(dlzi_err *err, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);
int dlzi_err_vset(dlzi_err *err, int code, const char *fmt, va_list ap) DLZI_PRINTF(3, 0);
/* DLZ_EIO with errno @p errnum; ": <strerror>" is appended. */
int dlzi_err_sys(dlzi_err *err, int errnum, const char *fmt, ...) DLZI_PRINTF(3, 4);
void dlzi_err_clear(dlzi_err *err);
/* Copies the message of a failure with code rc to a caller's (errbuf,
   errbuf_size) pair (errbuf may be NULL): err's message, or the code's text
   when err holds none.  Returns rc. */
int dlzi_err_to_buf(const dlzi_err *err, int rc, char *errbuf, size_t errbuf_size);
/* Replaces control characters (a newline in a name read from a file...) by
   '?', so that a message stays one line; the setters above call it. */
void dlzi_err_one_line(char *msg);
/* Prefixes the current message with "<prefix>: " (keeps code and errno). */
void dlzi_err_prefix(dlzi_err *err, const char *fmt, ...) DLZI_PRINTF(2, 3);

/* ------------------------------------------------------------------------ */
/* Memory (alloc.c): every allocation of the library goes through these.     */

void *dlzi_malloc(size_t n);
void *dlzi_calloc(size_t n, size_t size);
void *dlzi_realloc(void *p, size_t n);
void dlzi_free(void *p);
char *dlzi_strdup(const char *s);
/* Test hook: make the n-th allocation from now on fail (n >= 1); 0 disables. */
void dlzi_alloc_fail_after(long n);

/* ------------------------------------------------------------------------ */
/* Byte order helpers                                                        */

static inline uint16_t dlzi_get_be16(const unsigned char *p) {
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static inline uint32_t dlzi_get_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t dlzi_get_be64(const unsigned char *p) {
    return (uint64_t)dlzi_get_be32(p) << 32 | dlzi_get_be32(p + 4);
}
static inline void dlzi_put_be16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}
static inline void dlzi_put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}
static inline void dlzi_put_be64(unsigned char *p, uint64_t v) {
    dlzi_put_be32(p, (uint32_t)(v >> 32));
    dlzi_put_be32(p + 4, (uint32_t)v);
}
static inline uint16_t dlzi_get_le16(const unsigned char *p) {
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static inline uint32_t dlzi_get_le32(const unsigned char *p) {
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void dlzi_put_le16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void dlzi_put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}
static inline void dlzi_put_le64(unsigned char *p, uint64_t v) {
    dlzi_put_le32(p, (uint32_t)v);
    dlzi_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ------------------------------------------------------------------------ */
/* Input streams (io.c)                                                      */

/* A source of bytes: a file, a zip entry, memory, user callbacks. */
typedef struct dlzi_in dlzi_in;
struct dlzi_in {
    /* Up to n bytes; returns the count, 0 at end, -1 on error (err set). */
    int64_t (*read)(dlzi_in *in, void *buf, size_t n);
    void *ctx;
    dlzi_err *err;
};

/* A dlzi_in over a memory buffer (ctx points at the struct below). */
typedef struct dlzi_memin {
    dlzi_in in;
    const unsigned char *p;
    size_t len, pos;
} dlzi_memin;
void dlzi_memin_init(dlzi_memin *m, const void *p, size_t len, dlzi_err *err);

/* Buffered big-endian parser over a dlzi_in, with exact offsets for
   messages and a known number of bytes available when the size is known. */
typedef struct dlzi_rd {
    dlzi_in *in;
    const char *what; /* what is parsed ("coefficients.bin"), for messages */
    int64_t total;    /* bytes in the whole input, or -1 if unknown */
    int64_t off;      /* bytes consumed by the parser so far */
    unsigned char buf[65536];
    size_t pos, len;
    int at_end; /* the input returned 0 */
    dlzi_err *err;
} dlzi_rd;

void dlzi_rd_init(dlzi_rd *rd, dlzi_in *in, int64_t total, const char *what, dlzi_err *err);
/* Exactly n bytes, or DLZ_EFORMAT "<what>: truncated at byte <off>: ..." */
int dlzi_rd_read(dlzi_rd *rd, void *dst, size_t n);
int dlzi_rd_skip(dlzi_rd *rd, uint64_t n);
int dlzi_rd_u8(dlzi_rd *rd, uint8_t *v);
int dlzi_rd_u16(dlzi_rd *rd, uint16_t *v);
int dlzi_rd_i32(dlzi_rd *rd, int32_t *v);
int dlzi_rd_i64(dlzi_rd *rd, int64_t *v);
int dlzi_rd_f64(dlzi_rd *rd, double *v);
/* A Java writeUTF string of at most cap-1 bytes, NUL-terminated.  Longer ones
   give DLZ_EFORMAT naming the offset. */
int dlzi_rd_utf(dlzi_rd *rd, char *dst, size_t cap);
/* Bytes known to remain (total - off), or -1 if the size is unknown. */
int64_t dlzi_rd_remaining(const dlzi_rd *rd);
/* 1 if no byte is left, 0 if one is, negative on error. */
int dlzi_rd_at_eof(dlzi_rd *rd);
/* Makes up to n bytes visible at *p without consuming them; returns the
   number available (< n only at end of input) or a negative code. */
int64_t dlzi_rd_peek(dlzi_rd *rd, size_t n, const unsigned char **p);

/* ------------------------------------------------------------------------ */
/* Output sinks (out.c)                                                      */

typedef struct dlzi_out dlzi_out;
struct dlzi_out {
    /* Writes all n bytes or fails (err set). */
    int (*write)(dlzi_out *o, const void *buf, size_t n);
    /* Flushes and commits (path: fsync, rename, fsync dir; owned stream: close). */
    int (*finish)(dlzi_out *o);
    /* Abandons the output (path: removes the temporary file); never fails. */
    void (*discard)(dlzi_out *o);
    void *ctx;
    dlzi_err *err;
};

int dlzi_out_path(dlzi_out *o, const char *path, dlzi_err *err);
int dlzi_out_FILE(dlzi_out *o, FILE *fp, unsigned flags, dlzi_err *err);
int dlzi_out_fd(dlzi_out *o, int fd, unsigned flags, dlzi_err *err);
int dlzi_out_io(dlzi_out *o, const dlz_io *io, void *user, unsigned flags, dlzi_err *err);
/* Memory target: after finish, dlzi_out_memory_get() returns the buffer,
   which stays owned by the sink until dlzi_out_memory_free(). */
int dlzi_out_memory(dlzi_out *o, dlzi_err *err);
void dlzi_out_memory_get(dlzi_out *o, const void **buf, size_t *len);
void dlzi_out_memory_free(dlzi_out *o);

/* ------------------------------------------------------------------------ */
/* ND4J arrays (array.c)                                                     */

struct dlz_array {
    dlz_dtype dtype;
    int rank;
    int64_t shape[DLZ_MAX_RANK];
    int64_t strides[DLZ_MAX_RANK];
    char order;     /* 'c' or 'f' */
    int64_t length; /* product of the shape */
    int64_t buflen; /* elements in the buffer (== length for every valid record) */
    void *data;     /* buflen * dtype size bytes, native byte order */
    dlz_generation generation;
    int compressed; /* read from a GZIP COMPRESSED data buffer */
};

/* Consumer of encoded bytes. */
typedef int (*dlzi_emit_fn)(void *ctx, const void *buf, size_t n);

/* dlz_array_new() with the reason of a failure in err. */
int dlzi_array_new(dlz_dtype dtype, int rank, const int64_t *shape, char order, dlz_array **out,
                   dlzi_err *err);

/* Decodes one array record from rd.  Every length is checked against the
   bytes remaining (when known) and against max_bytes before allocating; with
   an unknown size the buffer grows as data arrives.  Errors name rd->what and
   the byte offset. */
int dlzi_array_decode(dlzi_rd *rd, uint64_t max_bytes, dlz_array **out);

/* Encodes @p a as one record of generation gen (DLZ_GEN_MIXED or
   DLZ_GEN_JAVACPP) in chunks through emit.  With row_vector set, the array
   (which must be a vector) is written as shape [1,N], strides [1,1], 'c'.
   Elements are written in logical order of the written shape. */
int dlzi_array_encode(const dlz_array *a, dlz_generation gen, int row_vector, dlzi_emit_fn emit,
                      void *ctx, dlzi_err *err);
/* Exact byte size dlzi_array_encode() will produce. */
int dlzi_array_encoded_size(const dlz_array *a, dlz_generation gen, int row_vector, uint64_t *size,
                            dlzi_err *err);
/* 1 if the first bytes look like an ND4J array record (a UTF allocation-mode
   name), and then *gen (may be NULL) is the record's generation; else 0. */
int dlzi_array_sniff(const unsigned char *p, size_t n, dlz_generation *gen);
/* A dense 'c' copy of a (same dtype, shape and generation). */
int dlzi_array_copy(const dlz_array *a, dlz_array **out, dlzi_err *err);

/* Value of element i (0 <= i < length) in logical 'c' order, as a double. */
double dlzi_array_get_f64(const dlz_array *a, int64_t i);

float dlzi_half_to_float(uint16_t h);
uint16_t dlzi_float_to_half(float f);
float dlzi_bf16_to_float(uint16_t h);
uint16_t dlzi_float_to_bf16(float f);

/* ------------------------------------------------------------------------ */
/* Record codecs used by the model layer (model.c)                           */

/* Decodes a normalizer stream; arrays of more than max_bytes bytes are
   refused; messages begin with what ("normalizer.bin"). */
int dlzi_normalizer_decode(const void *bytes, size_t len, uint64_t max_bytes, const char *what,
                           dlz_normalizer **out, dlzi_err *err);
/* dlz_params_parse() with the reason of a failure in err. */
int dlzi_params_parse(const char *json, size_t len, unsigned flags, dlz_params **out,
                      dlzi_err *err);

/* ------------------------------------------------------------------------ */
/* Streaming zip writer (zipwrite.c)                                         */

#include <zlib.h>

/* Writes a zip archive strictly sequentially (no seeking), laid out like
   java.util.zip.ZipOutputStream: DEFLATE entries carry a data descriptor
   (flags 0x0808, sizes after the data), STORE entries carry CRC and sizes in
   the local header (flags 0x0800), as java.util.zip.ZipInputStream requires.
   ZIP64 records are added only where a size or offset needs them. */
typedef struct dlzi_zw_entry {
    char *name;
    uint64_t size, csize, offset;
    uint32_t crc;
    uint16_t flags, method;
    uint16_t dostime, dosdate;
} dlzi_zw_entry;

typedef struct dlzi_zw {
    dlzi_out *out;
    dlzi_err *err;
    uint64_t offset; /* bytes handed to out so far, plus buffered */
    unsigned char buf[65536];
    size_t blen;
    uint16_t dostime, dosdate;
    dlzi_zw_entry *entries;
    size_t n, cap;
    /* the entry being written */
    int open;
    uint16_t method;
    uint32_t crc, declared_crc;
    uint64_t usize, csize, declared_size;
    int raw; /* the entry's data is passed through already compressed */
    uint64_t declared_csize;
    z_stream zs;
    int zs_live;
    int failed; /* sticky: after an error only cleanup is allowed */
} dlzi_zw;

void dlzi_zw_init(dlzi_zw *zw, dlzi_out *out, int64_t mtime, dlzi_err *err);
/* Starts an entry.  DLZ_METHOD_STORE needs the exact size and CRC-32 up
   front (they go into the local header and are checked at the end);
   DLZ_METHOD_DEFLATE ignores both. */
int dlzi_zw_begin(dlzi_zw *zw, const char *name, int method, int level, uint64_t size,
                  uint32_t crc);
int dlzi_zw_data(dlzi_zw *zw, const void *p, size_t n);
/* dlzi_emit_fn adapter: ctx is the dlzi_zw. */
int dlzi_zw_emit(void *ctx, const void *p, size_t n);
int dlzi_zw_end(dlzi_zw *zw);
/* Starts an entry whose data is copied already compressed (method, CRC and
   both sizes known): the data is passed through dlzi_zw_raw_data() untouched
   and dlzi_zw_end() checks that exactly csize bytes came.  mtime is the
   entry's own time (Unix seconds), or -1 for the archive's. */
int dlzi_zw_begin_raw(dlzi_zw *zw, const char *name, int method, uint32_t crc, uint64_t size,
                      uint64_t csize, int64_t mtime);
int dlzi_zw_raw_data(dlzi_zw *zw, const void *p, size_t n);
/* Writes the central directory and flushes; the caller then finishes out. */
int dlzi_zw_finish(dlzi_zw *zw);
/* Frees everything (safe after any failure, and after finish). */
void dlzi_zw_cleanup(dlzi_zw *zw);

/* ------------------------------------------------------------------------ */
/* Archive layout (layout.c), shared by reader.c, writer.c and edit.c        */

/* The parts of a model archive, in DL4J's entry order. */
typedef enum dlzi_part {
    DLZI_CONFIGURATION, /* configuration.json */
    DLZI_COEFFICIENTS,  /* coefficients.bin */
    DLZI_NO_PARAMS,     /* noParams.marker */
    DLZI_UPDATER,       /* updaterState.bin */
    DLZI_NORMALIZER,    /* normalizer.bin */
    DLZI_OBJECT,        /* objects/<key> */
    DLZI_OTHER,         /* anything else: kept, after the rest */
    DLZI_PART_COUNT
} dlzi_part;

#define DLZI_OBJECT_PREFIX "objects/"
#define DLZI_OBJECT_PREFIX_LEN 8
/* Compression level of deflated entries unless the caller chose one. */
#define DLZI_DEFAULT_DEFLATE_LEVEL 6

/* Entry name of a single-entry part, NULL for DLZI_OBJECT and DLZI_OTHER. */
const char *dlzi_part_name(dlzi_part p);
/* The part an entry belongs to (a name ending in '/' is a directory: OTHER). */
dlzi_part dlzi_part_of(const char *name);
/* The DLZ_PART_* bit that selects the part's compression (0 for OTHER). */
unsigned dlzi_part_mask(dlzi_part p);
/* Default compression: DEFLATE level 6 for text, STORE for arrays. */
void dlzi_part_compression(dlzi_part p, int *method, int *level);
/* "objects/" + key, allocated (dlzi_free()); NULL when out of memory. */
char *dlzi_object_entry_name(const char *key);
/* Checks an object key (see dlz_writer_put_object_raw()). */
int dlzi_check_object_key(const char *key, dlzi_err *err);

/* ------------------------------------------------------------------------ */
/* Shared between reader.c, writer.c and edit.c                              */

#include <zip.h>

/* The libzip archive of an open reader (NULL for a bare array). */
zip_t *dlzi_reader_zip(dlz_reader *r);
/* Records an error on the reader; returns code. */
int dlzi_reader_fail(dlz_reader *r, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);
int dlzi_writer_fail(dlz_writer *w, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);
int dlzi_editor_fail(dlz_editor *e, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);
/* Writes one entry from memory, or one array record as [1,N], through zw. */
int dlzi_put_bytes_entry(dlzi_zw *zw, const char *name, int method, int level, const void *data,
                         size_t len);
int dlzi_put_array_entry(dlzi_zw *zw, const char *name, int method, int level, dlz_generation gen,
                         const dlz_array *a, dlzi_err *err);

#endif /* DLZ_INTERNAL_H */
