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

#include <inttypes.h>
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
/* "<what>: byte <at>: <message>", the form of every decoder's messages. */
int dlzi_err_at(dlzi_err *err, int code, const char *what, int64_t at, const char *fmt, ...)
    DLZI_PRINTF(5, 6);
int dlzi_err_vat(dlzi_err *err, int code, const char *what, int64_t at, const char *fmt, va_list ap)
    DLZI_PRINTF(5, 0);
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
/* n bytes from a file for a message: printable ASCII kept except '\\', other
   bytes as \xNN, cut to fit cap (>= 1) bytes with the NUL; returns buf. */
const char *dlzi_quote(const char *s, size_t n, char *buf, size_t cap);

/* ------------------------------------------------------------------------ */
/* Memory (alloc.c): every allocation of the library goes through these.     */

void *dlzi_malloc(size_t n);
void *dlzi_calloc(size_t n, size_t size);
void *dlzi_realloc(void *p, size_t n);
void dlzi_free(void *p);
char *dlzi_strdup(const char *s);
/* Makes room for item n of *arr (items of size bytes, *cap of them now):
   doubles the capacity (first: 8) when n reaches it.  DLZ_OK or
   DLZ_ENOMEM (also when the size would overflow); *arr is kept on failure. */
int dlzi_grow(void **arr, size_t *cap, size_t n, size_t size);
/* Appends s to the NUL-terminated text in buf (cap bytes), cut to fit. */
void dlzi_str_append(char *buf, size_t cap, const char *s);
/* Test hook: make the n-th allocation from now on fail (n >= 1); 0 disables. */
void dlzi_alloc_fail_after(long n);

/* ------------------------------------------------------------------------ */
/* Name sets (names.c): indices into a caller's array, found by name         */

/* The name of entry i of the caller's array, or NULL when i was dropped. */
typedef const char *(*dlzi_name_fn)(const void *ctx, size_t i);
typedef struct dlzi_names {
    uint64_t *hash;
    size_t *idx; /* index + 1; 0 is an empty slot */
    size_t cap, n;
} dlzi_names;
/* Index of name, or SIZE_MAX. */
size_t dlzi_names_find(const dlzi_names *s, const char *name, dlzi_name_fn name_of,
                       const void *ctx);
/* Adds (or repoints) name -> index; DLZ_ENOMEM leaves the set as it was. */
int dlzi_names_add(dlzi_names *s, const char *name, size_t index, dlzi_name_fn name_of,
                   const void *ctx);
void dlzi_names_free(dlzi_names *s);

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
/* Input streams (in.c)                                                      */

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
/* A Java writeUTF string (u16 length, then that many bytes of modified
   UTF-8, taken as they are) of at most cap-1 bytes, NUL-terminated; *len
   (may be NULL) its length, *at (may be NULL) the offset of its length.  A
   string longer than the bytes known to remain gives DLZ_EFORMAT "<what>:
   byte <at>: expected <expected> of N bytes, found only M bytes left", one
   of cap bytes or more "... expected <expected>, found a string of N bytes"
   (no legal name is that long). */
int dlzi_rd_utf(dlzi_rd *rd, const char *expected, char *dst, size_t cap, size_t *len, int64_t *at);
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
    /* Path sinks: called after the data is synced and before the rename;
       a failure abandons the output (set it after dlzi_out_path()). */
    int (*precommit)(void *ctx, dlzi_err *err);
    void *precommit_ctx;
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
/* Java (java.c): text encodings, hashCode(), HashMap                        */

/* UTF-8.  Java strings are held as UTF-8 in which a lone surrogate is the
   3-byte sequence of its code unit (DLZI_UTF8_SURROGATES). */
#define DLZI_UTF8_SURROGATES 1u
enum {
    DLZI_UTF8_OK = 0,
    DLZI_UTF8_BAD_LEAD = -1,  /* a byte no sequence starts with */
    DLZI_UTF8_TRUNCATED = -2, /* the input ends inside the sequence */
    DLZI_UTF8_BAD_CONT = -3,  /* a byte that is not a continuation byte */
    DLZI_UTF8_BAD_VALUE = -4  /* overlong, above U+10FFFF, or a surrogate not allowed */
};
/* Decodes the code point at s[*i] (*i < n): DLZI_UTF8_OK with *i moved past
   it, or the reason it is not UTF-8 with *i at the offending byte (the
   continuation byte for BAD_CONT, else the sequence's first byte). */
int dlzi_utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp, unsigned flags);
/* DLZI_UTF8_OK when s[0..n) is UTF-8, else the first failure and *bad (may
   be NULL) the offset of the sequence it is in. */
int dlzi_utf8_check(const char *s, size_t n, unsigned flags, size_t *bad);
/* Writes cp (< 0x110000) as 1 to 4 bytes; returns the count. */
size_t dlzi_utf8_put(unsigned char *o, uint32_t cp);

/* The UTF-16 units of a string held as UTF-8 with surrogates, in order. */
typedef struct dlzi_utf16 {
    const unsigned char *s;
    size_t n, i;
    uint32_t low; /* the second unit of a pair, still to come */
} dlzi_utf16;
void dlzi_utf16_init(dlzi_utf16 *u, const char *s, size_t n);
/* 1 and *unit the next unit; 0 at the end (or at bytes that are not UTF-8). */
int dlzi_utf16_next(dlzi_utf16 *u, uint32_t *unit);

/* Modified UTF-8 (DataInput.readUTF, ObjectInputStream strings): one UTF-16
   unit at s[*i], as Java accepts it (overlong forms included): DLZI_UTF8_OK,
   DLZI_UTF8_BAD_LEAD / DLZI_UTF8_BAD_CONT (malformed) or
   DLZI_UTF8_TRUNCATED, *i as for dlzi_utf8_next(). */
int dlzi_java_mutf_next(const unsigned char *s, size_t n, size_t *i, uint32_t *unit);
/* Checks n bytes of modified UTF-8 and, when out is set (room for n + 1
   bytes), converts them to UTF-8 with surrogates (pairs joined),
   NUL-terminated, *outlen (may be NULL) its length.  Returns DLZI_UTF8_OK or
   the failure of the first bad sequence, *bad (may be NULL) its offset. */
int dlzi_java_mutf_decode(const unsigned char *s, size_t n, char *out, size_t *outlen, size_t *bad);
/* DLZ_OK when n bytes of modified UTF-8 are also plain UTF-8 (no NUL,
   surrogate or overlong form: a name that can be copied as it is);
   DLZ_EFORMAT (malformed, Java's readUTF throws) or DLZ_EUNSUPPORTED, with
   *why a phrase for the message. */
int dlzi_java_mutf_check_plain(const unsigned char *s, size_t n, const char **why);
/* Bytes of a string (UTF-8 with surrogates) in modified UTF-8 and its UTF-16
   units (may be NULL). */
void dlzi_java_mutf_size(const char *s, size_t n, uint64_t *bytes, uint64_t *units);
/* Writes its modified UTF-8 (dlzi_java_mutf_size() bytes); returns them. */
size_t dlzi_java_mutf_encode(const char *s, size_t n, unsigned char *o);

/* hashCode() of String (over UTF-16 units), Integer (also Short, Byte,
   Character), Long, Double, Float and Boolean. */
uint32_t dlzi_java_string_hash(const char *s, size_t n);
uint32_t dlzi_java_int_hash(int32_t v);
uint32_t dlzi_java_long_hash(int64_t v);
uint32_t dlzi_java_double_hash(double d);
uint32_t dlzi_java_float_hash(float f);
uint32_t dlzi_java_boolean_hash(int b);
/* Double.doubleToLongBits and Float.floatToIntBits (one NaN). */
uint64_t dlzi_java_double_bits(double d);
uint32_t dlzi_java_float_bits(float f);
/* String.compareTo (UTF-16 units), Double.compare, Float.compare: the sign. */
int dlzi_java_string_compare(const char *a, size_t an, const char *b, size_t bn);
int dlzi_java_double_compare(double a, double b);
int dlzi_java_float_compare(float a, float b);
/* Math.max(double, double): NaN if either is, 0.0 above -0.0. */
double dlzi_java_max(double a, double b);

/* A java.util.HashMap (or HashSet) made by the default constructor and
   filled by put() with n distinct keys in order.  hash[i] is key i's
   hashCode(); known (may be NULL) marks the keys whose hashCode() is known
   (an identity hash is not: such a key counts towards the size only).  cmp
   orders two keys of equal hashes as a tree bucket does (compareTo() for
   keys of one Comparable class, else the class names): < 0 or > 0, 0 when
   Java would fall back to System.identityHashCode(); NULL for keys whose
   hashes all differ. */
typedef int (*dlzi_java_cmp_fn)(void *ctx, size_t a, size_t b);
typedef struct dlzi_java_map {
    uint32_t buckets;   /* the table's length (16 for an empty map) */
    uint32_t threshold; /* the threshold field (0 for an empty map) */
    int ordered;        /* every hash is known: order[] is filled */
    int exact;          /* ... and no tree order fell to an identity hash */
} dlzi_java_map;
/* Fills *out and, when order is set and every hash is known, order[0..n)
   with the positions of the keys in iteration order.  Returns DLZ_OK or
   DLZ_ENOMEM. */
int dlzi_java_hashmap(const uint32_t *hash, const unsigned char *known, size_t n,
                      dlzi_java_cmp_fn cmp, void *ctx, size_t *order, dlzi_java_map *out);

/* ------------------------------------------------------------------------ */
/* JSON text (json.c), the renderers' one emitter                           */

/* Layout of a container in pretty output: BLOCK puts each item on a line of
   its own (two spaces a level), LINE keeps them on one line after ", " (and
   keys before ": "), COMPACT adds no space at all.  A container is never laid
   out more loosely than the one holding it; without pretty output everything
   is COMPACT. */
enum { DLZI_JSON_BLOCK = 0, DLZI_JSON_LINE = 1, DLZI_JSON_COMPACT = 2 };

struct dlzi_json_level {
    int style;
    size_t items;
    char bracket; /* the closing one */
};

/* The text so far; out of memory is sticky and reported by finish. */
typedef struct dlzi_json {
    char *p;
    size_t len, cap;
    int oom;
    int pretty;
    int short_escapes;  /* \n, \t, \r as such (the default), else as \u000a ... */
    int after_key;      /* a key was written: its value follows directly */
    int64_t max_values; /* arrays of statistics: at most this many values (0: all) */
    struct dlzi_json_level *levels;
    size_t depth, cap_levels;
} dlzi_json;

void dlzi_json_init(dlzi_json *j, int pretty);
/* Opens '[' or '{' with a layout; dlzi_json_close() closes the innermost. */
void dlzi_json_open(dlzi_json *j, char bracket, int style);
void dlzi_json_close(dlzi_json *j);
/* A member name; the next value is its value. */
void dlzi_json_key(dlzi_json *j, const char *s, size_t n);
/* A string from UTF-8 with surrogates: '"' and '\\' escaped, \n, \t, \r
   too (see short_escapes), other control characters and surrogates as
   \u00XX / \uXXXX, a byte that is not UTF-8 as U+FFFD, everything else as it
   is. */
void dlzi_json_string(dlzi_json *j, const char *s, size_t n);
/* A value written as given (null, true, a number formatted by the caller). */
void dlzi_json_literal(dlzi_json *j, const char *s);
void dlzi_json_int(dlzi_json *j, int64_t v);
/* dlzi_format_real() as a value. */
void dlzi_json_real(dlzi_json *j, double d, int is_float);
/* Hands over the NUL-terminated text (*len, may be NULL, excludes the NUL):
   DLZ_OK, or DLZ_ENOMEM with everything freed. */
int dlzi_json_finish(dlzi_json *j, char **json, size_t *len);
/* The shortest decimal that reads back to d (with is_float, to the float d,
   parsed as a float or as a double and then rounded), '.' whatever the
   locale and always a '.' or an exponent (1.0, 0.1, 1e+300, -0.0); NaN and
   the infinities as the JSON strings "NaN", "Infinity", "-Infinity".  Needs
   cap >= 32; returns the length. */
size_t dlzi_format_real(char *out, size_t cap, double d, int is_float);

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
/* Emits the elements of @p a in logical 'c' order of its shape as
   little-endian bytes of type @p as (a's own type, or DLZ_DTYPE_FLOAT for a
   BFLOAT16 array, widened exactly) through emit, in chunks of at most
   64 KiB; BOOL as 0/1.  A dense 'c' array of its own type is emitted from its
   buffer in one piece on a little-endian host. */
int dlzi_array_emit_le(const dlz_array *a, dlz_dtype as, dlzi_emit_fn emit, void *ctx,
                       dlzi_err *err);
/* A dense 'c' copy of a (same dtype, shape and generation). */
int dlzi_array_copy(const dlz_array *a, dlz_array **out, dlzi_err *err);
/* dlz_array_convert() with a dlzi_err. */
int dlzi_array_convert(const dlz_array *a, dlz_dtype to, dlz_array **res, dlzi_err *err);

/* Value of element i (0 <= i < length) in logical 'c' order, as a double. */
double dlzi_array_get_f64(const dlz_array *a, int64_t i);

/* A double rounded to the nearest float, ties to even, overflow included
   (never the undefined conversion of an out-of-range double). */
float dlzi_double_to_float(double x);
float dlzi_half_to_float(uint16_t h);
uint16_t dlzi_float_to_half(float f);
float dlzi_bf16_to_float(uint16_t h);
uint16_t dlzi_float_to_bf16(float f);

/* ------------------------------------------------------------------------ */
/* JSON input (jsonscan.c)                                                   */

#include <jansson.h>

/* What a JSON text may cost: values (every scalar, array and object counts
   one) and nesting levels (at most 2048, jansson's own limit). */
typedef struct dlzi_json_budget {
    int64_t max_nodes;
    int max_depth;
} dlzi_json_budget;

#define DLZI_JSON_DEFAULT_NODES 1000000
#define DLZI_JSON_DEFAULT_DEPTH 512
#define DLZI_JSON_MAX_DEPTH 2048
/* Flags: any value at the top (else an object or array); \u0000 in strings. */
#define DLZI_JSON_ANY 0x1u
#define DLZI_JSON_ALLOW_NUL 0x2u
/* (dlzi_json_load() only) a key twice in one object is DLZ_EFORMAT. */
#define DLZI_JSON_UNIQUE_KEYS 0x4u

/* Checks JSON text without allocating, within the budget (DLZ_ELIMIT past
   it); top_key (may be NULL) receives each key (UTF-8, at most 64 bytes; longer
   keys are not reported) of a top-level object.  DLZ_EFORMAT messages are
   "<what>: line L, column C: <problem>". */
int dlzi_json_scan(const char *text, size_t len, const dlzi_json_budget *budget, unsigned flags,
                   void (*top_key)(void *ctx, const char *key, size_t len), void *ctx,
                   const char *what, dlzi_err *err);
/* The checks of configuration.json, shared by the reader and the writer:
   dlzi_json_scan() with \u0000 allowed in strings (as DL4J's Jackson reads
   it), and a JSON object at the top level. */
int dlzi_json_check_config(const char *text, size_t len, const dlzi_json_budget *budget,
                           void (*top_key)(void *ctx, const char *key, size_t len), void *ctx,
                           dlzi_err *err);
/* dlzi_json_scan(), then the document built through jansson's constructors
   (not its parser, see jsonscan.c): out of memory is DLZ_ENOMEM "out of
   memory"; a number beyond jansson's types is DLZ_EFORMAT.  *out is a new
   reference. */
int dlzi_json_load(const char *text, size_t len, const dlzi_json_budget *budget, unsigned flags,
                   const char *what, json_t **out, dlzi_err *err);

/* ------------------------------------------------------------------------ */
/* Java serialization: value trees (jser_value.c), decoder (jser_decode.c),   */
/* encoder (jser_encode.c), JSON (jser_json.c)                               */

struct dlz_value {
    dlz_value_type type;
    unsigned height;            /* 1 for a leaf, 1 + the highest item for a container */
    unsigned char in_box;       /* held by a container */
    unsigned char access_order; /* LinkedHashMap's accessOrder field */
    size_t n;                   /* string bytes, elements, items, map entries, opaque bytes */
    size_t cap;                 /* allocated item slots of a container (two per map entry) */
    union {
        int64_t i;
        double d;
        float f;
        char *s; /* UTF-8 with surrogates, NUL-terminated */
        void *a;
        dlz_value **items; /* maps: key, value, key, value, ... */
        struct {
            char *cls;
            unsigned char *bytes;
        } op;
    } u;
};

/* Java's largest array and string length. */
#define DLZI_JAVA_MAX_LEN 2147483647u

static inline int dlzi_value_is_prim_array(dlz_value_type t) {
    return t >= DLZ_VALUE_BYTE_ARRAY && t <= DLZ_VALUE_CHAR_ARRAY;
}
static inline int dlzi_value_is_seq(dlz_value_type t) {
    return t == DLZ_VALUE_STRING_ARRAY || t == DLZ_VALUE_OBJECT_ARRAY || t == DLZ_VALUE_LIST;
}
static inline int dlzi_value_is_map(dlz_value_type t) {
    return t == DLZ_VALUE_MAP || t == DLZ_VALUE_LINKED_MAP;
}
/* Bytes of one element of a primitive array type, else 0. */
size_t dlzi_value_elem_size(dlz_value_type t);
/* A new leaf or empty container (NULL when out of memory). */
dlz_value *dlzi_value_node(dlz_value_type t);
/* Frees what the node itself holds, not its items. */
void dlzi_value_free_shallow(dlz_value *v);
/* Makes room for @p more item slots: DLZ_OK or DLZ_ENOMEM. */
int dlzi_value_reserve(dlz_value *c, size_t more);
/* A String node of len bytes copied as they are (not checked). */
dlz_value *dlzi_value_string_raw(const char *s, size_t len);
/* Deep copy.  charge (may be NULL) is told each allocation's size first and
   may refuse it; with reg set, every new node is handed to it and then owned
   by the caller's bookkeeping (on failure nothing is freed here). */
typedef int (*dlzi_charge_fn)(void *ctx, size_t bytes);
typedef int (*dlzi_reg_fn)(void *ctx, dlz_value *v);
int dlzi_value_copy_deep(const dlz_value *v, dlz_value **out, dlzi_charge_fn charge,
                         dlzi_reg_fn reg, void *ctx);
/* Java's hashCode() of a value: 0 and *h, or -1 when it is an identity hash
   (arrays, opaque values), which nothing outside the JVM can know. */
int dlzi_value_hash(const dlz_value *v, uint32_t *h);
/* How a HashMap tree bucket orders key k against pk of the same hash (see
   dlzi_java_cmp_fn): -1, 1, or 0 when an identity hash decides. */
int dlzi_value_tree_compare(const dlz_value *k, const dlz_value *pk);

/* Type codes and class descriptor flags of the serialization grammar. */
#define DLZI_TC_NULL 0x70
#define DLZI_TC_REFERENCE 0x71
#define DLZI_TC_CLASSDESC 0x72
#define DLZI_TC_OBJECT 0x73
#define DLZI_TC_STRING 0x74
#define DLZI_TC_ARRAY 0x75
#define DLZI_TC_CLASS 0x76
#define DLZI_TC_BLOCKDATA 0x77
#define DLZI_TC_ENDBLOCKDATA 0x78
#define DLZI_TC_RESET 0x79
#define DLZI_TC_BLOCKDATALONG 0x7A
#define DLZI_TC_EXCEPTION 0x7B
#define DLZI_TC_LONGSTRING 0x7C
#define DLZI_TC_PROXYCLASSDESC 0x7D
#define DLZI_TC_ENUM 0x7E

#define DLZI_SC_WRITE_METHOD 0x01
#define DLZI_SC_SERIALIZABLE 0x02
#define DLZI_SC_EXTERNALIZABLE 0x04
#define DLZI_SC_BLOCK_DATA 0x08
#define DLZI_SC_ENUM 0x10

#define DLZI_BASE_HANDLE 0x7E0000
#define DLZI_JSER_MAGIC "\xAC\xED\x00\x05"

/* The supported classes (dlzi_jser_classes[]), in this order. */
enum {
    DLZI_C_INTEGER,
    DLZI_C_LONG,
    DLZI_C_DOUBLE,
    DLZI_C_FLOAT,
    DLZI_C_SHORT,
    DLZI_C_BYTE,
    DLZI_C_BOOLEAN,
    DLZI_C_CHAR,
    DLZI_C_NUMBER,
    DLZI_C_ARRAYLIST,
    DLZI_C_HASHMAP,
    DLZI_C_LINKEDHASHMAP,
    DLZI_C_BYTES,
    DLZI_C_SHORTS,
    DLZI_C_INTS,
    DLZI_C_LONGS,
    DLZI_C_FLOATS,
    DLZI_C_DOUBLES,
    DLZI_C_BOOLEANS,
    DLZI_C_CHARS,
    DLZI_C_STRINGS,
    DLZI_C_OBJECTS,
    DLZI_C_COUNT
};

/* A supported class as its descriptor must read. */
typedef struct dlzi_jclass {
    const char *name;
    uint64_t uid;
    unsigned char flags;
    int nfields;
    char ftype[2];
    const char *fname[2];
    int super;           /* index of the superclass, or -1 */
    dlz_value_type type; /* the node it becomes */
} dlzi_jclass;

extern const dlzi_jclass dlzi_jser_classes[DLZI_C_COUNT];
/* The class a node type is written as, or -1. */
int dlzi_jser_class_of_type(dlz_value_type t);
/* 1 if the bytes start like a Java serialization stream (AC ED). */
int dlzi_jser_sniff(const void *bytes, size_t len);
/* The name of the class of the stream's first object (header AC ED 00 05,
   TC_OBJECT, TC_CLASSDESC), read no further than that name, which must be
   plain UTF-8 (see dlzi_java_mutf_check_plain()): *cls is yours
   (dlzi_free()).  Messages begin with what and call the object what object
   says ("normalizer"). */
int dlzi_jser_peek_class(const void *bytes, size_t len, const char *what, const char *object,
                         char **cls, dlzi_err *err);

/* ------------------------------------------------------------------------ */
/* Normalizers: the object (normalizer.c), decoder and encoder               */
/* (normalizer_codec.c), transform and revert (normalizer_transform.c)       */

/* Nd4j.EPS_THRESHOLD */
#define DLZI_EPS_THRESHOLD 1e-5
#define DLZI_NORM_TYPES 9

/* MULTI_HYBRID: one entry of a statistics map and of a strategy map. */
typedef struct dlzi_norm_stats {
    int32_t index;
    int32_t kind; /* DLZ_NORM_STRATEGY_STANDARDIZE or _MIN_MAX */
    dlz_array *a, *b;
    unsigned char superseded; /* a later entry has the same index */
} dlzi_norm_stats;

typedef struct dlzi_norm_strat {
    int32_t index;
    int32_t kind;
    double lo, hi; /* MIN_MAX only */
    unsigned char superseded;
} dlzi_norm_strat;

/* One side (inputs or outputs) of a MULTI_HYBRID normalizer. */
typedef struct dlzi_norm_side {
    dlzi_norm_stats *stats;
    size_t nstats;
    int32_t global_kind;
    double global_lo, global_hi;
    dlzi_norm_strat *strat;
    size_t nstrat;
    /* Some index appears more than once (only in a decoded stream). */
    int stats_dups, strat_dups;
    /* A builder changed the map: encode it in Java's HashMap order. */
    int stats_java_order, strat_java_order;
} dlzi_norm_side;

struct dlz_normalizer {
    dlz_norm_type type;
    unsigned char fit_label; /* the stored byte; nonzero is true */
    double v[3];             /* targetMin, targetMax / minRange, maxRange, maxPixelVal */
    int32_t num_outputs;     /* MULTI_*: the stored numOutputs field */
    int nin, nout;           /* statistics pairs present */
    dlz_array **ia, **ib;    /* inputs: mean/std or min/max */
    dlz_array **oa, **ob;    /* outputs */
    dlzi_norm_side side[2];  /* MULTI_HYBRID inputs and outputs */
    char *cls;               /* CUSTOM strategy class, JAVA_SERIALIZED class */
    unsigned char *body;     /* CUSTOM body */
    size_t body_len;
};

/* The stored type names (dlz_norm_type order) and strategy names (NULL,
   STANDARDIZE, MIN_MAX). */
extern const char *const dlzi_norm_type_names[DLZI_NORM_TYPES];
extern const char *const dlzi_norm_strategy_names[3];
int dlzi_norm_is_floating(dlz_dtype t);
/* 1e-5 rounded to a floating type (as Nd4j.scalar(type, 1e-5)), as a double. */
double dlzi_norm_eps(dlz_dtype t);
/* a + s*b (s = +1 or -1) as one operation rounded to the floating type t. */
double dlzi_norm_op(dlz_dtype t, double a, double b, int s);
/* MinMaxStats: the pad of upper[j] and whether the pads are added. */
double dlzi_norm_minmax_pad(const dlz_array *lower, const dlz_array *upper, int64_t j);
int dlzi_norm_minmax_padded(const dlz_array *lower, const dlz_array *upper);
/* The strategy of the pairs of a STANDARDIZE / MIN_MAX / MULTI_ normalizer. */
dlz_norm_strategy dlzi_norm_pair_kind(const dlz_normalizer *n);
/* The last statistics entry with that index, or NULL. */
const dlzi_norm_stats *dlzi_norm_find_stats(const dlzi_norm_side *s, int32_t index);
/* Marks the entries a later one of the same index supersedes: DLZ_OK or
   DLZ_ENOMEM. */
int dlzi_norm_mark_dups(dlzi_norm_side *s);

/* ------------------------------------------------------------------------ */
/* Record codecs used by the model layer (model.c)                           */

/* Decodes a normalizer stream; arrays of more than max_bytes bytes are
   refused; messages begin with what ("normalizer.bin"). */
/* dlzi_normalizer_decode() from a parser over a stream of rd->total bytes
   (the normalizer.bin entry, read once, never held as bytes: only a
   Java-serialized normalizer, whose class name alone is read, is). */
int dlzi_normalizer_decode_rd(dlzi_rd *rd, uint64_t max_bytes, dlz_normalizer **out);
int dlzi_normalizer_decode(const void *bytes, size_t len, uint64_t max_bytes, const char *what,
                           dlz_normalizer **out, dlzi_err *err);
/* dlz_params_parse() within a JSON budget (NULL: the default limits), with
   the reason of a failure in err. */
int dlzi_params_parse(const char *json, size_t len, unsigned flags, const dlzi_json_budget *budget,
                      dlz_params **out, dlzi_err *err);

/* dlz_network_parse() within a JSON budget (NULL: the default limits). */
int dlzi_network_parse(const char *json, size_t len, const dlzi_json_budget *budget,
                       dlz_network **out, dlzi_err *err);

/* ------------------------------------------------------------------------ */
/* The configuration walk of params.c, shared with network.c                 */

/* The simple name of a Java class name ("a.b.C" -> "C"). */
const char *dlzi_config_simple_name(const char *cls);
/* The type of a polymorphic object: the simple name of its "@class", or its
   single key in the legacy wrapper form (*fields is then its value); NULL. */
const char *dlzi_config_type_of(const json_t *o, const json_t **fields);
/* The "layerName" of a layer object of either generation, or NULL. */
const char *dlzi_config_layer_name(const json_t *layer);

/* A layer or vertex object of either generation, resolved. */
typedef struct dlzi_config_ref {
    const char *cls;      /* "@class" value or legacy wrapper key */
    const char *simple;   /* the known class's simple name (static); NULL if unknown */
    const json_t *fields; /* its fields */
    const char *inner[2]; /* layer wrappers: the fields of the wrapped layer (in
                             lookup order; Bidirectional: forward, backward) */
    int pair;             /* Bidirectional */
    int freezes;          /* FrozenLayer */
} dlzi_config_ref;

/* Resolves a layer (a "layer" of confs or layerConf) or a vertex object;
   malformed objects fail with messages naming @p where ("layer 1"). */
int dlzi_config_layer(const json_t *layer, const char *where, dlzi_config_ref *out, dlzi_err *err);
/* Records "configuration.json: <message>" with @p code; returns code. */
int dlzi_config_fail(dlzi_err *err, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);
int dlzi_config_vertex(const json_t *vertex, const char *where, dlzi_config_ref *out,
                       dlzi_err *err);

/* A ComputationGraph's nodes in DL4J's topological order (network inputs
   included, vertex NULL), checked as the parameter table checks them. */
typedef struct dlzi_config_graph {
    size_t n, ni;            /* nodes; network inputs among them */
    const char **names;      /* borrowed from the JSON document */
    const json_t **vertices; /* NULL for a network input */
    int64_t *index;          /* DL4J's vertex index */
} dlzi_config_graph;
int dlzi_config_graph_order(const json_t *root, dlzi_config_graph *out, dlzi_err *err);
void dlzi_config_graph_free(dlzi_config_graph *g);

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
    dlzi_names names; /* of entries, against duplicates */
    /* the entry being written */
    int open;
    uint16_t method;
    uint32_t crc, declared_crc;
    uint64_t usize, csize, declared_size;
    int raw; /* the entry's data is passed through already compressed */
    uint64_t declared_csize;
    z_stream zs;
    int zs_live;
    int failed;    /* sticky: after an error only cleanup is allowed */
    int unix_host; /* dlzi_zw_set_unix() */
    /* Sizes and offsets from zip64_size on, and entry counts from
       zip64_count on, get ZIP64 records (0xFFFFFFFF and 0xFFFF). */
    uint64_t zip64_size, zip64_count;
} dlzi_zw;

void dlzi_zw_init(dlzi_zw *zw, dlzi_out *out, int64_t mtime, dlzi_err *err);
/* After init: entries "made by" Unix (ZIP 4.5) with the attributes of a
   regular file of mode 0644, and the UTF-8 flag only on names that are not
   ASCII, as Info-ZIP and Python's zipfile write them (the .npz layout). */
void dlzi_zw_set_unix(dlzi_zw *zw);
/* Test hook, after init: ZIP64 records from these sizes and counts on
   (values above the defaults, 0xFFFFFFFF and 0xFFFF, are clamped to them),
   so that small archives exercise the ZIP64 paths.  Data descriptors of
   DEFLATE entries keep the real 4 GiB limit. */
void dlzi_zw_set_zip64_limits(dlzi_zw *zw, uint64_t size, uint64_t count);
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
/* 1 when an entry of that name was written. */
int dlzi_zw_has(const dlzi_zw *zw, const char *name);
/* CRC-32 (zlib's) of n bytes, continuing from crc (0 to start), for any n. */
uint32_t dlzi_crc32(uint32_t crc, const void *p, size_t n);
/* dlzi_emit_fn that only computes a CRC-32: ctx is a uint32_t, 0 at first. */
int dlzi_crc_emit(void *ctx, const void *p, size_t n);
/* Writes the central directory and flushes; the caller then finishes out. */
int dlzi_zw_finish(dlzi_zw *zw);
/* Frees everything (safe after any failure, and after finish). */
void dlzi_zw_cleanup(dlzi_zw *zw);

/* ------------------------------------------------------------------------ */
/* Protocol buffers encoder (onnx_pb.c): one growing buffer per message       */

typedef struct dlzi_pb {
    unsigned char *p;
    size_t len, cap;
    int oom; /* sticky: out of memory (or size overflow); later calls do nothing */
} dlzi_pb;
void dlzi_pb_free(dlzi_pb *b);
int dlzi_pb_failed(const dlzi_pb *b);
/* Appends bytes as they are. */
void dlzi_pb_raw(dlzi_pb *b, const void *p, size_t n);
/* int32, int64, enum and bool fields (varint). */
void dlzi_pb_int(dlzi_pb *b, unsigned field, int64_t v);
/* bytes, string and nested message fields (length-delimited). */
void dlzi_pb_bytes(dlzi_pb *b, unsigned field, const void *p, size_t n);
void dlzi_pb_str(dlzi_pb *b, unsigned field, const char *s);
void dlzi_pb_msg(dlzi_pb *b, unsigned field, const dlzi_pb *child);
/* float field (fixed32). */
void dlzi_pb_float(dlzi_pb *b, unsigned field, float v);
/* packed repeated int64 and float fields. */
void dlzi_pb_ints(dlzi_pb *b, unsigned field, const int64_t *v, size_t n);
void dlzi_pb_floats(dlzi_pb *b, unsigned field, const float *v, size_t n);

/* ONNX graph of a model (onnx.c, model layer): the ModelProto of the archive
   open in r, every failure described in err. */
int dlzi_onnx_model(dlz_reader *r, dlzi_pb *model, dlzi_err *err);

/* ------------------------------------------------------------------------ */
/* Export (export.c), for the model layer                                    */

/* Produces the array of a tensor when it is written: *out is a new array,
   freed after writing; a failure is described in err. */
typedef int (*dlzi_export_source_fn)(void *ctx, size_t tag, dlz_array **out, dlzi_err *err);

/* DLZ_OK when the export is open and not failed; else DLZ_EMISUSE with a
   message that names @p what. */
int dlzi_export_check_open(dlz_export *e, const char *what);
/* The format of an export that is open and not failed, else -1. */
int dlzi_export_format(const dlz_export *e);
/* Whether a tensor @p name written as @p dtype can be put now (open, name
   rules, name not used yet, a type the format holds); the reason on e. */
int dlzi_export_check(dlz_export *e, const char *name, dlz_dtype dtype);
/* dlz_export_put() of a tensor written as @p dtype (the array's own type, or
   FLOAT for a BFLOAT16 array) with the given shape, whose array is @p a
   (borrowed as by dlz_export_put()) or, when a is NULL, made by
   fn(ctx, tag) when the tensor is written (ctx must live as long). */
int dlzi_export_put(dlz_export *e, const char *name, dlz_dtype dtype, int rank,
                    const int64_t *shape, const dlz_array *a, dlzi_export_source_fn fn, void *ctx,
                    size_t tag);
/* Keeps p until the export is closed or freed, then calls release(p); when
   out of memory, release(p) is called at once and DLZ_ENOMEM returned. */
int dlzi_export_keep(dlz_export *e, void *p, void (*release)(void *));
/* dlz_export_set_metadata() of a value of len bytes (NUL bytes allowed). */
int dlzi_export_set_metadata(dlz_export *e, const char *key, const char *value, size_t len);
/* Records an error on the export; returns code. */
int dlzi_export_fail(dlz_export *e, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);
/* Makes an open export failed with its current message (after something
   was written or staged that cannot be taken back); returns code. */
int dlzi_export_abort(dlz_export *e, int code);
/* ONNX export: takes the encoded ModelProto (without metadata_props), which
   close writes followed by the metadata as ModelProto.metadata_props; one
   model per file.  On success the buffer is the export's; on failure it is
   freed. */
int dlzi_export_put_onnx(dlz_export *e, dlzi_pb *model);
/* Test hook: ZIP64 limits (dlzi_zw_set_zip64_limits()) of the .npz files
   this export opens from now on. */
void dlzi_export_set_zip64_limits(dlz_export *e, uint64_t size, uint64_t count);

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
/* Most entries an archive may have: what the reader accepts by default
   (DLZ_LIMIT_ENTRIES), and so the most the writer and the editor write. */
#define DLZI_MAX_ENTRIES 100000

/* ------------------------------------------------------------------------ */
/* Locks (lock.c)                                                            */

/* dlz_lock_acquire() and dlz_lock_check() with the reason in err. */
int dlzi_lock_acquire(const char *path, int64_t timeout_ms, dlz_lock **out, dlzi_err *err);
int dlzi_lock_check(const dlz_lock *l, dlzi_err *err);
/* The locked file's descriptor (owned by the lock). */
int dlzi_lock_fd(const dlz_lock *l);
/* 1 if the len bytes at s are valid UTF-8, else 0 with the offset of the
   first bad sequence in *bad (may be NULL). */
int dlzi_utf8_valid(const char *s, size_t len, size_t *bad);

/* ------------------------------------------------------------------------ */
/* Shared between reader.c, writer.c and edit.c                              */

#include <zip.h>

/* The wording of a damaged entry, the same wherever it is found (after
   "<entry>: "); DLZI_MSG_SIZE_FMT takes the bytes found and declared. */
#define DLZI_MSG_BAD_DEFLATE "damaged: bad deflate data"
#define DLZI_MSG_CRC "damaged: CRC-32 mismatch"
#define DLZI_MSG_SIZE_FMT "damaged: %" PRIu64 " bytes of data, the directory declares %" PRIu64

/* Records a libzip error: out of memory as DLZ_ENOMEM "out of memory",
   else "<what>: <message>" with a code for its class (the DLZI_MSG_ wording
   for damaged data, libzip's message otherwise). */
int dlzi_zip_error(dlzi_err *err, const char *what, zip_error_t *ze);
/* The libzip archive of an open reader (NULL for a bare array). */
zip_t *dlzi_reader_zip(dlz_reader *r);
/* The JSON budget of the reader's limits (DLZ_LIMIT_JSON_NODES, _DEPTH). */
dlzi_json_budget dlzi_reader_json_budget(const dlz_reader *r);
/* An entry read once as a stream, for a codec that parses as it reads:
   opened with DLZ_LIMIT_ENTRY_SIZE and the compression-ratio check, *rd a
   parser over it (its errors are the reader's); closing reads what is left
   so that the CRC is checked, and returns @p rc or the first error. */
typedef struct dlzi_entry_stream dlzi_entry_stream;
int dlzi_reader_stream_open(dlz_reader *r, const char *name, dlzi_entry_stream **out, dlzi_rd **rd);
int dlzi_reader_stream_close(dlz_reader *r, dlzi_entry_stream *s, int rc);
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
