/*
 * dlz.h - read and write Deeplearning4j (DL4J) ModelSerializer archives.
 *
 * libdlz reads the zip archives written by DL4J's ModelSerializer (every
 * generation from 0.5 to 1.0.0-M2.1) and writes archives that DL4J restores.
 * An archive holds configuration.json, coefficients.bin (one ND4J array with
 * every parameter), optionally updaterState.bin (optimizer state),
 * normalizer.bin and objects/<key> entries.  libdlz can also read a bare ND4J
 * array file (what Nd4j.write / Nd4j.saveBinary produce).
 *
 * Reading, in order:
 *   1. dlz_reader_new()                      - NULL only when out of memory
 *   2. dlz_reader_set_limit()                - optional, before opening
 *   3. dlz_reader_open_path() / _FILE() / _fd() / _memory() / _io()
 *   4. dlz_reader_kind(), dlz_reader_entry_count(), dlz_reader_entry_info(),
 *      dlz_reader_configuration(), dlz_reader_read_coefficients(),
 *      dlz_reader_read_updater(), dlz_reader_read_entry(), ...
 *   5. dlz_reader_close()                    - releases the input
 *   6. dlz_reader_free()                     - NULL-safe; closes if open
 *
 * Writing, in order:
 *   1. dlz_writer_new()
 *   2. dlz_writer_set_generation(), dlz_writer_set_compression(),
 *      dlz_writer_set_mtime()                - optional, before opening
 *   3. dlz_writer_open_path() / _FILE() / _fd() / _memory() / _io()
 *   4. dlz_writer_put_configuration(), then dlz_writer_put_coefficients(),
 *      then optionally dlz_writer_put_updater(), dlz_writer_put_normalizer(),
 *      dlz_writer_put_object() - in this order, which is DL4J's
 *   5. dlz_writer_close()                    - writes the central directory and,
 *                                              for a path, commits the file
 *   6. dlz_writer_result(), dlz_writer_memory()
 *   7. dlz_writer_free()                     - NULL-safe; discards an unclosed
 *                                              archive
 *
 * Conventions: functions returning int return DLZ_OK (0) on success, a
 * negative DLZ_E* code on failure and a positive code for a normal event.
 * After a failure, dlz_reader_errmsg() / dlz_writer_errmsg() describe it in
 * one line (entry name, byte offset, what was expected and what was found).
 * The library never prints, never exits and never aborts on bad input.
 * Handles are not thread-safe: use one handle per thread.  There is no
 * global mutable state.
 */
#ifndef DLZ_H
#define DLZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the header, as numbers and as a string. @since 0.1.0 */
#define DLZ_VERSION_MAJOR 0
#define DLZ_VERSION_MINOR 1
#define DLZ_VERSION_PATCH 0
#define DLZ_VERSION_STRING "0.1.0"
#define DLZ_VERSION_NUMBER                                                                         \
    (DLZ_VERSION_MAJOR * 1000000 + DLZ_VERSION_MINOR * 1000 + DLZ_VERSION_PATCH)

#if defined(DLZ_BUILDING) && defined(__GNUC__)
#define DLZ_API __attribute__((visibility("default")))
#else
#define DLZ_API
#endif

#if defined(__GNUC__)
#define DLZ_NODISCARD __attribute__((warn_unused_result))
#else
#define DLZ_NODISCARD
#endif

/** Version of the library at run time, e.g. "0.1.0". Static string. @since 0.1.0 */
DLZ_API const char *dlz_version(void);
/** DLZ_VERSION_NUMBER of the library at run time. @since 0.1.0 */
DLZ_API int dlz_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status codes.  Stable: never renumbered, only appended.                   */

enum {
    DLZ_OK = 0,
    /** Normal event: nothing more to return. */
    DLZ_END = 1,
    /** Bad argument, or a call that is not allowed in the handle's state. */
    DLZ_EMISUSE = -1,
    /** Input or output failed (see dlz_reader_syserr() for errno). */
    DLZ_EIO = -2,
    /** The data does not follow the format: not a zip, bad array record, bad JSON... */
    DLZ_EFORMAT = -3,
    /** A required entry (or the entry asked for) is not in the archive. */
    DLZ_ENOTFOUND = -4,
    /** Valid data that this version does not support (data type, compression...). */
    DLZ_EUNSUPPORTED = -5,
    /** A limit was exceeded (see dlz_reader_set_limit()). */
    DLZ_ELIMIT = -6,
    /** Out of memory. */
    DLZ_ENOMEM = -7
};

/** Static English text for a status code; never NULL. @since 0.1.0 */
DLZ_API const char *dlz_strerror(int code);

/* ------------------------------------------------------------------------ */
/* Arrays                                                                    */

/** Element types; the numbers are DL4J's DataType ordinals. */
typedef enum dlz_dtype {
    DLZ_DTYPE_DOUBLE = 0,
    DLZ_DTYPE_FLOAT = 1,
    DLZ_DTYPE_HALF = 2, /**< IEEE 754 binary16, stored as uint16_t bits */
    DLZ_DTYPE_LONG = 3,
    DLZ_DTYPE_INT = 4,
    DLZ_DTYPE_SHORT = 5,
    DLZ_DTYPE_UBYTE = 6,
    DLZ_DTYPE_BYTE = 7,
    DLZ_DTYPE_BOOL = 8,      /**< one byte, 0 or 1 */
    DLZ_DTYPE_BFLOAT16 = 11, /**< upper 16 bits of binary32, stored as uint16_t bits */
    DLZ_DTYPE_UINT16 = 12,
    DLZ_DTYPE_UINT32 = 13,
    DLZ_DTYPE_UINT64 = 14
} dlz_dtype;

/** DL4J's name of a data type ("FLOAT", ...), or NULL if unknown. @since 0.1.0 */
DLZ_API const char *dlz_dtype_name(dlz_dtype t);
/** Bytes per element, or 0 if unknown. @since 0.1.0 */
DLZ_API size_t dlz_dtype_size(dlz_dtype t);

/** Allocation modes of ND4J array records: the "generation" of the writer. */
typedef enum dlz_generation {
    DLZ_GEN_DIRECT = 0,     /**< 0.x, INT shape info (read only) */
    DLZ_GEN_HEAP = 1,       /**< 0.x, INT shape info (read only) */
    DLZ_GEN_JAVACPP = 2,    /**< 0.5 .. 1.0.0-beta, INT shape info; every DL4J reads it */
    DLZ_GEN_LONG_SHAPE = 3, /**< 1.0.0-beta2/beta3 (read only) */
    DLZ_GEN_MIXED = 4       /**< MIXED_DATA_TYPES, 1.0.0-beta4 and later (default) */
} dlz_generation;

/** "JAVACPP", "MIXED_DATA_TYPES", ... or NULL. @since 0.1.0 */
DLZ_API const char *dlz_generation_name(dlz_generation g);

/** Largest rank accepted (ND4J's own limit). */
#define DLZ_MAX_RANK 32

/**
 * An n-dimensional array: data type, shape, strides (in elements), order
 * letter and a buffer of length() elements in native byte order.
 * The element at index (i0, i1, ...) is at buffer position sum(ik * stride[k]);
 * strides decide positions, the order letter is only what the file said.
 */
typedef struct dlz_array dlz_array;

/**
 * Creates a dense, zero-filled array.  @p order is 'c' (row-major) or 'f'
 * (column-major).  @p rank may be 0 (a scalar; @p shape may then be NULL).
 * On success *out is yours; release it with dlz_array_free().
 * @return DLZ_OK, DLZ_EMISUSE (bad dtype, rank, order or negative size),
 *         DLZ_ELIMIT (size overflows), DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_array_new(dlz_array **out, dlz_dtype dtype, int rank, const int64_t *shape,
                          char order);
/** Releases an array; NULL is allowed. @since 0.1.0 */
DLZ_API void dlz_array_free(dlz_array *a);

DLZ_API dlz_dtype dlz_array_dtype(const dlz_array *a);
DLZ_API int dlz_array_rank(const dlz_array *a);
/** rank() sizes; borrowed, valid while the array lives. @since 0.1.0 */
DLZ_API const int64_t *dlz_array_shape(const dlz_array *a);
/** rank() strides in elements; borrowed, valid while the array lives. @since 0.1.0 */
DLZ_API const int64_t *dlz_array_strides(const dlz_array *a);
/** 'c' or 'f', as recorded. @since 0.1.0 */
DLZ_API char dlz_array_order(const dlz_array *a);
/** Number of elements (product of the shape; 1 for a scalar). @since 0.1.0 */
DLZ_API int64_t dlz_array_length(const dlz_array *a);
/** The element buffer (native byte order); borrowed. @since 0.1.0 */
DLZ_API void *dlz_array_data(dlz_array *a);
DLZ_API const void *dlz_array_cdata(const dlz_array *a);
/** Size of the element buffer in bytes. @since 0.1.0 */
DLZ_API size_t dlz_array_nbytes(const dlz_array *a);
/** Allocation mode of the record the array was read from (DLZ_GEN_MIXED for new arrays). */
DLZ_API dlz_generation dlz_array_generation(const dlz_array *a);
/** 1 if the array was stored GZIP-compressed (B.10), else 0. @since 0.1.0 */
DLZ_API int dlz_array_was_compressed(const dlz_array *a);

/**
 * Copies every element, converted, into @p out in logical row-major ('c')
 * order of the shape, whatever the strides.  @p n must be >= length().
 * Integer and boolean types convert exactly where the target can hold them.
 * @return DLZ_OK or DLZ_EMISUSE (NULL or @p n too small).  @since 0.1.0
 */
DLZ_API int dlz_array_to_f64(const dlz_array *a, double *out, size_t n);
DLZ_API int dlz_array_to_f32(const dlz_array *a, float *out, size_t n);

/* ------------------------------------------------------------------------ */
/* Streams                                                                   */

/**
 * User callbacks for input or output.  Set version to DLZ_IO_VERSION.
 * Every callback receives the @c user pointer given with the table.
 *  - read:  fill up to @p n bytes; return the count (short reads are fine),
 *           0 at end of stream, -1 on error.  Required for input.
 *  - write: write @p n bytes; return the count written (short writes are
 *           retried) or -1 on error.  Required for output.
 *  - seek:  move to @p offset from SEEK_SET/SEEK_CUR/SEEK_END and return the
 *           new position, or -1.  NULL means "not seekable".  Input only.
 *  - close: called once when the library is done with the stream (see each
 *           open function); return 0 or -1.  May be NULL.
 * Callbacks are never called again after close, and never re-entered.
 */
typedef struct dlz_io {
    int version;
    int64_t (*read)(void *user, void *buf, size_t n);
    int64_t (*write)(void *user, const void *buf, size_t n);
    int64_t (*seek)(void *user, int64_t offset, int whence);
    int (*close)(void *user);
} dlz_io;

#define DLZ_IO_VERSION 1

/**
 * Flag for the FILE*, fd and callback openers: do not close the stream.
 * Without it the library owns the stream from the call on - on success and on
 * failure alike - and closes it (fclose / close / io->close) exactly once:
 * at dlz_reader_close() / dlz_writer_close(), or before the open function
 * returns if the open fails.
 */
#define DLZ_KEEP_OPEN 0x1u

/* ------------------------------------------------------------------------ */
/* Reader                                                                    */

typedef struct dlz_reader dlz_reader;

/** What was opened. */
typedef enum dlz_kind {
    DLZ_KIND_UNKNOWN = 0,    /**< a zip archive whose configuration is neither */
    DLZ_KIND_MULTILAYER = 1, /**< MultiLayerNetwork archive */
    DLZ_KIND_GRAPH = 2,      /**< ComputationGraph archive */
    DLZ_KIND_ARRAY = 3       /**< a bare ND4J array file, not an archive */
} dlz_kind;

/** "MultiLayerNetwork", "ComputationGraph", "array" or "unknown". @since 0.1.0 */
DLZ_API const char *dlz_kind_name(dlz_kind k);

/** Reader limits; every one has a safe default. */
typedef enum dlz_limit {
    /** Largest uncompressed entry accepted (default 16 GiB). */
    DLZ_LIMIT_ENTRY_SIZE = 0,
    /** Largest decoded array in bytes (default 16 GiB). */
    DLZ_LIMIT_ARRAY_BYTES = 1,
    /** Largest configuration.json (default 256 MiB). */
    DLZ_LIMIT_CONFIG_SIZE = 2,
    /** Most entries in an archive (default 100000). */
    DLZ_LIMIT_ENTRIES = 3,
    /** Non-seekable input is spooled to memory up to this many bytes (default 64 MiB),
        then to an unlinked temporary file in $TMPDIR (or /tmp). */
    DLZ_LIMIT_SPOOL_MEMORY = 4,
    /** Largest non-seekable input spooled at all (default 64 GiB). */
    DLZ_LIMIT_SPOOL_TOTAL = 5,
    /** Largest raw entry returned by dlz_reader_read_entry() (default 1 GiB). */
    DLZ_LIMIT_RAW_ENTRY = 6
} dlz_limit;

/** A new reader, or NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_reader *dlz_reader_new(void);
/** Releases the reader, closing it first if open; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_reader_free(dlz_reader *r);

/** Sets a limit (value >= 0) before opening. @return DLZ_OK or DLZ_EMISUSE. */
DLZ_API int dlz_reader_set_limit(dlz_reader *r, dlz_limit which, int64_t value);
DLZ_API int64_t dlz_reader_get_limit(const dlz_reader *r, dlz_limit which);

/**
 * Opens an archive or a bare array file (told apart by its first bytes).
 * _path opens and later closes the file itself.
 * _FILE and _fd: see DLZ_KEEP_OPEN.  A seekable stream is read on demand from
 *   its current position to its end; a non-seekable one (pipe, socket) is read
 *   completely at open and spooled (memory, then a temporary file).
 * _memory: the buffer is borrowed and must stay valid and unchanged until
 *   dlz_reader_close().
 * _io: callbacks; @p io is copied.  Seekable when io->seek is set.  Ownership
 *   as for _FILE (io->close is called unless DLZ_KEEP_OPEN).
 * An archive must contain configuration.json (DLZ_ENOTFOUND otherwise).
 * A bare array is fully decoded at open.
 * @return DLZ_OK, DLZ_EMISUSE (already open, bad arguments), DLZ_EIO,
 *         DLZ_EFORMAT, DLZ_ENOTFOUND, DLZ_ELIMIT, DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API DLZ_NODISCARD int dlz_reader_open_path(dlz_reader *r, const char *path);
DLZ_API DLZ_NODISCARD int dlz_reader_open_FILE(dlz_reader *r, FILE *fp, unsigned flags);
DLZ_API DLZ_NODISCARD int dlz_reader_open_fd(dlz_reader *r, int fd, unsigned flags);
DLZ_API DLZ_NODISCARD int dlz_reader_open_memory(dlz_reader *r, const void *buf, size_t len);
DLZ_API DLZ_NODISCARD int dlz_reader_open_io(dlz_reader *r, const dlz_io *io, void *user,
                                             unsigned flags);

/**
 * Closes the input (and, for owned streams, the stream itself).  Arrays and
 * buffers already returned stay valid; borrowed pointers from the reader do
 * not.  The reader can be opened again.  @return DLZ_OK or DLZ_EIO if closing
 * the stream failed.  @since 0.1.0
 */
DLZ_API int dlz_reader_close(dlz_reader *r);

/** Last error of this reader: one line, borrowed, valid until the next call. */
DLZ_API const char *dlz_reader_errmsg(const dlz_reader *r);
/** errno of the last DLZ_EIO failure, else 0. @since 0.1.0 */
DLZ_API int dlz_reader_syserr(const dlz_reader *r);

/** What is open (DLZ_KIND_UNKNOWN if nothing is). @since 0.1.0 */
DLZ_API dlz_kind dlz_reader_kind(const dlz_reader *r);

/** Zip compression methods. */
#define DLZ_METHOD_STORE 0
#define DLZ_METHOD_DEFLATE 8

/** One archive entry.  The name is borrowed from the handle it came from. */
typedef struct dlz_entry_info {
    const char *name;
    uint64_t size;            /**< uncompressed bytes */
    uint64_t compressed_size; /**< bytes in the archive */
    int method;               /**< DLZ_METHOD_STORE, DLZ_METHOD_DEFLATE or other zip method */
    uint32_t crc32;
} dlz_entry_info;

/** Number of entries (0 for a bare array). @since 0.1.0 */
DLZ_API int64_t dlz_reader_entry_count(const dlz_reader *r);
/** Entry @p index in central-directory order; name valid until close. */
DLZ_API int dlz_reader_entry_info(dlz_reader *r, int64_t index, dlz_entry_info *info);
/** DLZ_OK if @p name is an entry, DLZ_ENOTFOUND if not. @since 0.1.0 */
DLZ_API int dlz_reader_has_entry(dlz_reader *r, const char *name);

/**
 * configuration.json as text.  *json is borrowed, NUL-terminated, valid until
 * close; *len (may be NULL) excludes the NUL.  @since 0.1.0
 */
DLZ_API int dlz_reader_configuration(dlz_reader *r, const char **json, size_t *len);

/**
 * Reads coefficients.bin.  On success *out is a new array (yours), or NULL
 * when the model has no parameters (empty coefficients.bin with
 * noParams.marker, or an empty array record).  @since 0.1.0
 */
DLZ_API int dlz_reader_read_coefficients(dlz_reader *r, dlz_array **out);

/**
 * Reads updaterState.bin.  Only this call reads that entry: a reader that
 * never calls it never inflates the optimizer state nor reads its bytes
 * (except those that happen to lie in the last 64 KiB of the file, which
 * libzip scans for the end-of-archive record).
 * @return DLZ_OK with *out set, or DLZ_ENOTFOUND (*out = NULL) when the
 *         archive has no updater state.  @since 0.1.0
 */
DLZ_API int dlz_reader_read_updater(dlz_reader *r, dlz_array **out);

/** For a bare array file: the array (a new copy, yours). @since 0.1.0 */
DLZ_API int dlz_reader_read_array(dlz_reader *r, dlz_array **out);

/**
 * Reads any entry's uncompressed bytes.  *buf is yours (release with
 * dlz_free()); it has one extra NUL byte after *len bytes.
 * @return DLZ_OK, DLZ_ENOTFOUND, DLZ_ELIMIT (DLZ_LIMIT_RAW_ENTRY), ...
 */
DLZ_API int dlz_reader_read_entry(dlz_reader *r, const char *name, void **buf, size_t *len);

/** normalizer.bin as raw bytes (see dlz_reader_read_entry()), DLZ_ENOTFOUND if absent. */
DLZ_API int dlz_reader_read_normalizer_raw(dlz_reader *r, void **buf, size_t *len);

/** Number of objects/<key> entries. @since 0.1.0 */
DLZ_API int64_t dlz_reader_object_count(dlz_reader *r);
/** Key (without "objects/") of object @p index; borrowed, valid until close. */
DLZ_API const char *dlz_reader_object_key(dlz_reader *r, int64_t index);
/** objects/<key> as raw Java serialization bytes (see dlz_reader_read_entry()). */
DLZ_API int dlz_reader_read_object_raw(dlz_reader *r, const char *key, void **buf, size_t *len);

/** Releases memory the library handed over; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_free(void *p);

/* ------------------------------------------------------------------------ */
/* Writer                                                                    */

typedef struct dlz_writer dlz_writer;

/** Entry groups, as a bit mask, for dlz_writer_set_compression(). */
#define DLZ_PART_CONFIGURATION 0x01u
#define DLZ_PART_COEFFICIENTS 0x02u
#define DLZ_PART_UPDATER 0x04u
#define DLZ_PART_NORMALIZER 0x08u
#define DLZ_PART_OBJECTS 0x10u
#define DLZ_PART_ALL 0x1fu

/** A new writer, or NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_writer *dlz_writer_new(void);
/** Releases the writer; an archive still open is discarded (a path target is
    left untouched and its temporary file removed).  NULL allowed. */
DLZ_API void dlz_writer_free(dlz_writer *w);

/**
 * Array record format: DLZ_GEN_MIXED (default; DL4J >= 1.0.0-beta4) or
 * DLZ_GEN_JAVACPP (every DL4J; FLOAT, DOUBLE and HALF arrays only, the types
 * DL4J before 1.0.0-beta4 can read).  Before opening.  @since 0.1.0
 */
DLZ_API int dlz_writer_set_generation(dlz_writer *w, dlz_generation g);

/**
 * Compression of the entries in @p parts: DLZ_METHOD_STORE, or
 * DLZ_METHOD_DEFLATE with @p level 1..9.  Defaults: DEFLATE level 6 for the
 * configuration, normalizer and objects, DEFLATE level 1 for the coefficients
 * and updater state (float data gains almost nothing from higher levels).
 * Before opening.  @since 0.1.0
 */
DLZ_API int dlz_writer_set_compression(dlz_writer *w, unsigned parts, int method, int level);

/** Modification time written for every entry (Unix seconds, shown in local
    time as DL4J does); default: the time of opening.  Before opening. */
DLZ_API int dlz_writer_set_mtime(dlz_writer *w, int64_t unix_seconds);

/**
 * Starts an archive.
 * _path: written to a temporary file in the same directory, which
 *   dlz_writer_close() fsyncs and renames over @p path, then fsyncs the
 *   directory.  Until then, and whenever anything fails, an existing file at
 *   @p path is untouched and no temporary file is left.
 * _FILE, _fd, _io: written strictly sequentially (pipes are fine); ownership
 *   as described at DLZ_KEEP_OPEN; a FILE* is flushed, not closed, with
 *   DLZ_KEEP_OPEN.
 * _memory: into a growing buffer, see dlz_writer_memory().
 * @since 0.1.0
 */
DLZ_API DLZ_NODISCARD int dlz_writer_open_path(dlz_writer *w, const char *path);
DLZ_API DLZ_NODISCARD int dlz_writer_open_FILE(dlz_writer *w, FILE *fp, unsigned flags);
DLZ_API DLZ_NODISCARD int dlz_writer_open_fd(dlz_writer *w, int fd, unsigned flags);
DLZ_API DLZ_NODISCARD int dlz_writer_open_memory(dlz_writer *w);
DLZ_API DLZ_NODISCARD int dlz_writer_open_io(dlz_writer *w, const dlz_io *io, void *user,
                                             unsigned flags);

/**
 * Writes configuration.json.  The text must be valid UTF-8 JSON; non-ASCII
 * characters are written as \\uXXXX escapes (DL4J reads it with the platform
 * charset).  Must be the first entry.  @since 0.1.0
 */
DLZ_API int dlz_writer_put_configuration(dlz_writer *w, const char *json, size_t len);

/**
 * Writes coefficients.bin from @p a (a vector: rank 1, or rank 2 with one
 * dimension 1), always as a [1,N] 'c' row vector, as every DL4J expects.
 * NULL writes the no-parameter form (empty coefficients.bin + noParams.marker).
 * Required, right after the configuration.  The array is only read.
 */
DLZ_API int dlz_writer_put_coefficients(dlz_writer *w, const dlz_array *a);

/** Writes updaterState.bin from a vector, as [1,N]; optional, after the coefficients. */
DLZ_API int dlz_writer_put_updater(dlz_writer *w, const dlz_array *a);

/** Writes normalizer.bin from raw bytes; optional, after the updater state. */
DLZ_API int dlz_writer_put_normalizer(dlz_writer *w, const void *data, size_t len);

/**
 * Writes objects/<key> from raw Java serialization bytes; optional, last.
 * Keys must be valid UTF-8, not empty, with no empty, "." or ".." segment, no
 * leading '/' and no backslash; each key at most once.
 */
DLZ_API int dlz_writer_put_object(dlz_writer *w, const char *key, const void *data, size_t len);

/** What was written: available after a successful dlz_writer_close(). */
typedef struct dlz_save_result {
    size_t entry_count;
    const dlz_entry_info *entries; /**< in archive order; borrowed from the writer */
    uint64_t total_bytes;          /**< bytes of the whole archive */
    int64_t saved_at_ms;           /**< Unix time in milliseconds when close finished */
    unsigned warnings;             /**< DLZ_WARN_* bits */
} dlz_save_result;

/** The archive is above 1 GiB: DL4J warns and older versions may fail. */
#define DLZ_WARN_LARGE_ARCHIVE 0x1u
/** An entry is above 2 GiB: DL4J 1.0.0-beta7 and later cannot read it. */
#define DLZ_WARN_ENTRY_OVER_2GIB 0x2u

/**
 * Finishes the archive: writes the central directory, flushes, and commits a
 * path target (fsync, rename, fsync of the directory) or closes an owned
 * stream.  Fails with DLZ_EMISUSE if no coefficients were written.  On
 * failure a path target is untouched.  @since 0.1.0
 */
DLZ_API DLZ_NODISCARD int dlz_writer_close(dlz_writer *w);

/** Result of the last successful close; borrowed, valid until the writer is
    opened again or freed; NULL before. */
DLZ_API const dlz_save_result *dlz_writer_result(const dlz_writer *w);

/** For an archive written with dlz_writer_open_memory(), after close: the
    bytes, borrowed until the writer is opened again or freed. */
DLZ_API int dlz_writer_memory(const dlz_writer *w, const void **buf, size_t *len);

DLZ_API const char *dlz_writer_errmsg(const dlz_writer *w);
DLZ_API int dlz_writer_syserr(const dlz_writer *w);

/* ------------------------------------------------------------------------ */
/* Editor: atomic in-place changes to an existing archive                    */

/**
 * Changes an archive in place, safely: changes are staged, then
 * dlz_editor_commit() writes a new archive next to the old one (temporary
 * file in the same directory, fsync, rename, fsync of the directory).
 * Entries that are not changed are copied as they are (compressed bytes,
 * timestamps), after their CRC has been verified; nothing is recompressed.
 * On any failure the original file is byte-for-byte unchanged and no
 * temporary file is left behind.  Entry order stays DL4J's: configuration,
 * coefficients, updater state, normalizer, objects, then any other entry.
 *
 *   1. dlz_editor_new(); 2. dlz_editor_open(e, path);
 *   3. dlz_editor_set_normalizer() / dlz_editor_put_object() /
 *      dlz_editor_remove_object() / dlz_editor_set_updater() ...
 *   4. dlz_editor_commit() (or dlz_editor_commit_to() for another path);
 *   5. dlz_editor_free() (NULL-safe; discards uncommitted changes).
 */
typedef struct dlz_editor dlz_editor;

/** A new editor, or NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_editor *dlz_editor_new(void);
/** Releases the editor, discarding staged changes; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_editor_free(dlz_editor *e);
/** Opens the archive at @p path for editing (it must be a model archive). */
DLZ_API DLZ_NODISCARD int dlz_editor_open(dlz_editor *e, const char *path);
/** The reader of the opened archive, to inspect it; borrowed until commit or free. */
DLZ_API dlz_reader *dlz_editor_reader(dlz_editor *e);
/** Stages normalizer.bin = @p data (copied now); NULL data removes it. */
DLZ_API int dlz_editor_set_normalizer(dlz_editor *e, const void *data, size_t len);
/** Stages objects/<key> = @p data (copied now), replacing an existing key in
    place or adding it after the other objects.  Keys as dlz_writer_put_object(). */
DLZ_API int dlz_editor_put_object(dlz_editor *e, const char *key, const void *data, size_t len);
/** Stages the removal of objects/<key>; DLZ_ENOTFOUND if there is none. */
DLZ_API int dlz_editor_remove_object(dlz_editor *e, const char *key);
/** Stages updaterState.bin = @p state, a vector written as [1,N] (borrowed:
    it must stay valid until the commit); NULL strips the updater state. */
DLZ_API int dlz_editor_set_updater(dlz_editor *e, const dlz_array *state);
/** Modification time of new entries (Unix seconds); default: commit time. */
DLZ_API int dlz_editor_set_mtime(dlz_editor *e, int64_t unix_seconds);
/**
 * Writes the changed archive over the original, atomically and durably.
 * Without staged changes nothing is written.  Afterwards the editor is
 * closed (open it again for more changes).  @since 0.1.0
 */
DLZ_API DLZ_NODISCARD int dlz_editor_commit(dlz_editor *e);
/** As dlz_editor_commit(), but writes to @p path (atomically) and leaves the
    original alone, even without staged changes. */
DLZ_API DLZ_NODISCARD int dlz_editor_commit_to(dlz_editor *e, const char *path);
DLZ_API const char *dlz_editor_errmsg(const dlz_editor *e);
DLZ_API int dlz_editor_syserr(const dlz_editor *e);

/* ------------------------------------------------------------------------ */
/* Java objects (objects/<key>)                                              */
/* BEGIN jser */
/* END jser */

/* ------------------------------------------------------------------------ */
/* Normalizers (normalizer.bin)                                              */
/* BEGIN normalizer */
/* END normalizer */

/* ------------------------------------------------------------------------ */
/* Parameter table (configuration.json layouts)                              */
/* BEGIN params */
/* END params */

#ifdef __cplusplus
}
#endif

#endif /* DLZ_H */
