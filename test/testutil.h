/* testutil.h - shared helpers of the C tests (cmocka). */
#ifndef DLZ_TESTUTIL_H
#define DLZ_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dlz.h"

/* printf-style checking of the tests' own formatting helpers. */
#if defined(__GNUC__)
#define TU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TU_PRINTF(f, a)
#endif

/* dlz_value_new_string() and dlz_value_new_array() as pointers: NULL on any
   failure (for tests that build values). */
dlz_value *tu_value_string(const char *utf8, size_t len);
dlz_value *tu_value_array(dlz_value_type type, const void *elems, size_t n);

/* The DL4J corpus folder ($DLZ_CORPUS), or NULL when it does not exist. */
const char *tu_corpus_dir(void);
/* Path under the corpus folder (static buffer, one at a time). */
const char *tu_corpus_path(const char *rel);
/* Reads a whole file; the buffer is malloc'ed with a NUL after *len bytes. */
unsigned char *tu_read_file(const char *path, size_t *len);
/* Writes a file; fails the test on error. */
void tu_write_file(const char *path, const void *buf, size_t len);
/* A program: $env when set (1 if it is executable), else the first `name`
   on $PATH; its path goes to out.  0 when not found. */
int tu_find_program(const char *env, const char *name, char *out, size_t cap);
/* A fresh temporary directory (removed by tu_rm_rf). */
char *tu_mkdtemp(void);
void tu_rm_rf(const char *dir);
/* Lists *.zip / *.bin names in a corpus sub-folder; returns count, fills names
   (malloc'ed paths) up to max. */
int tu_list_dir(const char *dir, const char *suffix, char **names, int max);

/* Fails the test with the reader/writer message when rc != DLZ_OK. */
#define TU_OK_R(r, expr)                                                                           \
    do {                                                                                           \
        int tu_rc_ = (expr);                                                                       \
        if (tu_rc_ != DLZ_OK) {                                                                    \
            fail_msg("%s = %d (%s): %s", #expr, tu_rc_, dlz_strerror(tu_rc_),                      \
                     dlz_reader_errmsg(r));                                                        \
        }                                                                                          \
    } while (0)
#define TU_OK_W(w, expr)                                                                           \
    do {                                                                                           \
        int tu_rc_ = (expr);                                                                       \
        if (tu_rc_ != DLZ_OK) {                                                                    \
            fail_msg("%s = %d (%s): %s", #expr, tu_rc_, dlz_strerror(tu_rc_),                      \
                     dlz_writer_errmsg(w));                                                        \
        }                                                                                          \
    } while (0)

#define TU_OK_E(e, expr)                                                                           \
    do {                                                                                           \
        int tu_rc_ = (expr);                                                                       \
        if (tu_rc_ != DLZ_OK) {                                                                    \
            fail_msg("%s = %d (%s): %s", #expr, tu_rc_, dlz_strerror(tu_rc_),                      \
                     dlz_editor_errmsg(e));                                                        \
        }                                                                                          \
    } while (0)
#define TU_OK_P(p, expr)                                                                           \
    do {                                                                                           \
        int tu_rc_ = (expr);                                                                       \
        if (tu_rc_ != DLZ_OK) {                                                                    \
            fail_msg("%s = %d (%s): %s", #expr, tu_rc_, dlz_strerror(tu_rc_),                      \
                     dlz_params_errmsg(p));                                                        \
        }                                                                                          \
    } while (0)

#define TU_OK_X(x, expr)                                                                           \
    do {                                                                                           \
        int tu_rc_ = (expr);                                                                       \
        if (tu_rc_ != DLZ_OK) {                                                                    \
            fail_msg("%s = %d (%s): %s", #expr, tu_rc_, dlz_strerror(tu_rc_),                      \
                     dlz_export_errmsg(x));                                                        \
        }                                                                                          \
    } while (0)

/* An archive built in memory by the library itself, for the tests that need
   small archives of a known shape.  Coefficients are [1,n] FLOAT with value
   i * coef_scale + coef_offset; the updater state (when updater_n > 0) is
   [1,updater_n] of updater_dtype (FLOAT or DOUBLE) with value
   i * updater_scale. */
typedef struct tu_archive {
    const char *config; /* NULL: {"confs":[]} */
    int64_t n;          /* coefficients */
    double coef_scale, coef_offset;
    int64_t updater_n;       /* 0: no updater state */
    dlz_dtype updater_dtype; /* FLOAT or DOUBLE */
    double updater_scale;
    const char *normalizer; /* raw normalizer.bin text, or NULL */
    const char *object_key; /* one object (raw text), or NULL */
    const char *object_value;
    int method;    /* DLZ_METHOD_STORE or DLZ_METHOD_DEFLATE for every part */
    int64_t mtime; /* 0: the library's default */
} tu_archive;
/* The archive's bytes (malloc'ed) and their count. */
unsigned char *tu_build_archive(const tu_archive *spec, size_t *len);

/* Number of temporary files of atomic saves (".NAME.dlz-XXXXXXXX") in dir. */
int tu_count_temp_files(const char *dir);

/* A growing byte buffer for building test inputs by hand; tu_b_* fail the
   test when out of memory. */
typedef struct tu_buf {
    unsigned char *p;
    size_t n, cap;
} tu_buf;
void tu_b_bytes(tu_buf *b, const void *p, size_t n);
/* v as a big-endian integer of width bytes (1..8). */
void tu_b_be(tu_buf *b, uint64_t v, int width);
/* A Java writeUTF string (u16 length, then the bytes; ASCII callers). */
void tu_b_utf(tu_buf *b, const char *s);
void tu_b_free(tu_buf *b);

#endif

/* A zip entry as found by the test's own central-directory walk (independent
   of libzip and of libdlz). */
typedef struct tu_zip_entry {
    char name[256];
    uint64_t local_offset; /* local header */
    uint64_t data_offset;  /* first byte of the (compressed) data */
    uint64_t csize, size;
    uint32_t crc;
    int method;
    uint16_t flags;
} tu_zip_entry;

/* Walks the central directory of an in-memory zip; returns the entry count
   (at most max) or -1 if the EOCD is not found. */
int tu_zip_list(const unsigned char *z, size_t len, tu_zip_entry *out, int max);
/* Extracts an entry (stored or deflated) with zlib; malloc'ed, NULL if absent. */
unsigned char *tu_zip_extract(const unsigned char *z, size_t len, const char *name, size_t *outlen);

/* An independent, deliberately simple decoder of an ND4J array record, used
   as the reference the library is compared against.  Supports the layouts
   the corpus holds: INT/LONG shape buffers, FLOAT/DOUBLE/HALF/INT/LONG data. */
typedef struct tu_array {
    char mode[32], dtype[16];
    int rank;
    int64_t shape[32], strides[32];
    char order;
    int64_t n;
    double *v;      /* buffer order */
    uint64_t *bits; /* raw element bits, buffer order */
} tu_array;
int tu_parse_array(const unsigned char *b, size_t len, tu_array *a);
void tu_array_free(tu_array *a);
/* Value at logical row-major index i through the strides. */
double tu_array_at(const tu_array *a, int64_t i);
uint64_t tu_array_bits_at(const tu_array *a, int64_t i);

/* SHA-256 of a buffer as 64 lowercase hex digits (out must hold 65 bytes). */
void tu_sha256_hex(const void *data, size_t len, char out[65]);
/* Parses lowercase/uppercase hex into a malloc'ed buffer; NULL if invalid. */
unsigned char *tu_unhex(const char *hex, size_t *len);
