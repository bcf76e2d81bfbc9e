/*
 * dlz.h - read and write Deeplearning4j (DL4J) ModelSerializer archives.
 *
 * libdlz reads the zip archives written by DL4J's ModelSerializer (every
 * generation from 0.5 to 1.0.0-M2.1) and writes archives that DL4J restores.
 * An archive holds configuration.json, coefficients.bin (one ND4J array with
 * every parameter), optionally updaterState.bin (optimizer state),
 * normalizer.bin and objects/<key> entries.  libdlz can also read a bare ND4J
 * array file (what Nd4j.write / Nd4j.saveBinary produce).  The byte format
 * is described in dlz-format(5), the API as a whole in libdlz(3).
 *
 * Reading, in order:
 *   1. dlz_reader_new()                      - NULL only when out of memory
 *   2. dlz_reader_set_limit()                - optional, before opening
 *   3. dlz_reader_open_path() / _FILE() / _fd() / _memory() / _io()
 *   4. dlz_reader_kind(), dlz_reader_entry_count(), dlz_reader_entry_info(),
 *      dlz_reader_configuration(), dlz_reader_read_coefficients(),
 *      dlz_reader_read_updater(), dlz_reader_read_normalizer(),
 *      dlz_reader_read_object(), dlz_reader_read_params(), ...
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
 * Editing in place, in order:
 *   1. dlz_editor_new(); 2. dlz_editor_open();
 *   3. dlz_editor_set_normalizer(), dlz_editor_put_object(),
 *      dlz_editor_set_updater(), dlz_editor_remove_...() - staged;
 *   4. dlz_editor_commit() or dlz_editor_commit_to();
 *   5. dlz_editor_free()                     - NULL-safe; discards staged changes
 *
 * Exporting tensors (safetensors, NumPy .npz and .npy; one array as a bare
 * ND4J array file), in order:
 *   1. dlz_export_new(); 2. dlz_export_open_path() / _FILE() / _fd() /
 *      _memory() / _io() with the format;
 *   3. dlz_export_put(), dlz_export_put_model(), dlz_export_set_metadata();
 *   4. dlz_export_close()                    - for a path, commits the file;
 *   5. dlz_export_memory(); 6. dlz_export_free()
 *
 * API rules.  They hold for every function in this header.
 *  1. Names.  Functions are dlz_<object>_<verb>, types dlz_<object>, macros
 *     and enumerators DLZ_*.  A function whose name ends in _raw takes or
 *     returns an entry's bytes; the same name without _raw takes or returns
 *     the decoded value (dlz_writer_put_normalizer_raw() writes bytes,
 *     dlz_writer_put_normalizer() a dlz_normalizer).  One verb per act:
 *     _new / _free create and release, _open / _close start and end I/O,
 *     _read_ and _put_ move an entry out of or into an archive, _set_ and
 *     _remove_ stage a change of an editor.
 *  2. Status.  A function returning int returns DLZ_OK (0) on success or a
 *     negative DLZ_E* code; dlz_strerror() names the code.  A function
 *     returning a pointer returns NULL only when out of memory (the
 *     constructors that cannot fail otherwise) or when there is nothing to
 *     return (accessors, as each says).
 *  3. Messages.  The reader, the writer, the editor, the export and the
 *     parameter table keep a one-line description of their last failure,
 *     naming the entry, the byte offset and what was expected and found:
 *     dlz_reader_errmsg(), dlz_writer_errmsg(), dlz_editor_errmsg(),
 *     dlz_export_errmsg(), dlz_params_errmsg(), valid
 *     until the next call on that handle; I/O failures also keep errno
 *     (dlz_reader_syserr() and its siblings).  A function without such a
 *     handle that can fail for a reason other than a bad argument or
 *     running out of memory (decoders, encoders, parsers, constructors that
 *     validate data, transforms, exporters) ends with the pair
 *     (char *errbuf, size_t errbuf_size): on failure it writes one
 *     NUL-terminated line there, truncated to errbuf_size bytes; errbuf may
 *     be NULL.  Out-of-memory is always DLZ_ENOMEM with "out of memory".
 *  4. Arguments.  Inputs come first, then out-parameters, then the error
 *     buffer.  On failure, out-pointers are set to NULL (numbers to 0).
 *     Inputs are only read, and are copied when they are kept, with two
 *     exceptions: the buffer of dlz_reader_open_memory() and the arrays
 *     given to dlz_export_put() for a safetensors file are borrowed.
 *  5. Ownership.  What a function hands over is "yours": release it with
 *     the function named there (dlz_free() for byte buffers and text).
 *     Everything else returned is borrowed, valid as long as each function
 *     says, and never freed by you.  Ownership moves only on success.
 *  6. Streams.  A reader, writer or export opened on a FILE *, a descriptor or
 *     callbacks owns the stream from that call on and closes it exactly
 *     once, unless DLZ_KEEP_OPEN is given; like DL4J, a reader consumes its
 *     input.  Paths are opened and closed by the library; saves to a path
 *     are atomic and durable (temporary file, fsync, rename).
 *  7. Threads.  There is no global mutable state.  A handle or object is
 *     used by one thread at a time; objects that are not changed any more
 *     (a decoded normalizer, a value tree, a parameter table) may be read by
 *     several threads at once.
 *  8. Bad input.  Data read from files is untrusted: it gives an error,
 *     never a crash, an abort or output on the terminal.  Every length read
 *     from a file is checked before it is used, and limits have safe
 *     defaults (dlz_reader_set_limit()).
 *  9. Versions.  Each function says in which release it appeared (@since).
 *     Until 1.0 the API may still change; changes are listed in the README.
 */
#ifndef DLZ_H
#define DLZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DLZ_VERSION_MAJOR, _MINOR, _PATCH, _STRING and _NUMBER, generated from the
   version in meson.build. */
#include "dlz_version.h"

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

/* ------------------------------------------------------------------------ */
/* Common: versions, status codes, memory, streams, compression              */

/** Version of the library at run time, e.g. "0.1.0". Static string. @since 0.1.0 */
DLZ_API const char *dlz_version(void);
/** DLZ_VERSION_NUMBER of the library at run time. @since 0.1.0 */
DLZ_API int dlz_version_number(void);

/** Status codes.  Stable: never renumbered, only appended. */
enum {
    DLZ_OK = 0,
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
    DLZ_ENOMEM = -7,
    /** Another process holds the archive's lock (see dlz_lock_acquire()). */
    DLZ_EBUSY = -8,
    /** The file changed since it was opened (another process replaced or wrote
        it); nothing was written. */
    DLZ_ECONFLICT = -9
};

/** Static English text for a status code; never NULL. @since 0.1.0 */
DLZ_API const char *dlz_strerror(int code);

/** Releases a buffer or text the library handed over ("yours, release with
    dlz_free()"); NULL allowed. @since 0.1.0 */
DLZ_API void dlz_free(void *p);

/** Zip compression methods (dlz_entry_info.method, dlz_writer_set_compression()). */
#define DLZ_METHOD_STORE 0
#define DLZ_METHOD_DEFLATE 8

/** Flag of the JSON renderers (dlz_value_to_json(), dlz_normalizer_to_json()):
    one item per line, indented by two spaces. */
#define DLZ_JSON_PRETTY 0x1u
/** Flag of dlz_normalizer_to_json(): each statistics array gives its first
    DLZ_JSON_SUMMARY_VALUES values only, and its "length", so that the text
    stays small whatever the arrays hold. */
#define DLZ_JSON_SUMMARY 0x2u
#define DLZ_JSON_SUMMARY_VALUES 6

/** Flag of dlz_real_format(): the value is a float held in a double. */
#define DLZ_REAL_FLOAT 0x1u
/** Flag of dlz_real_format(): for display, the first of %.15g, %.16g and
    %.17g that reads back; for a double the same digits as without it, laid
    out with no exponent from 1e-4 to below 1e15 ("100", not "1e+02"). */
#define DLZ_REAL_DISPLAY 0x2u
/** Bytes that always suffice for dlz_real_format(), the NUL included. */
#define DLZ_REAL_SIZE 32

/**
 * Writes @p value as the JSON renderers write numbers, but as plain text:
 * the shortest decimal that reads back to it (with DLZ_REAL_FLOAT, to the
 * float, both through strtof() and through strtod() and a rounding to
 * float), the first of %.1g, %.2g, ... %.17g that does, with '.' whatever
 * the locale ("1", "0.1", "-2.5e-07", "1e+02", "-0"); NaN and the
 * infinities as "NaN", "Infinity" and "-Infinity".  (The renderers add
 * ".0" to a number without '.' or exponent and quote those three names.)
 * Flags: 0, DLZ_REAL_FLOAT, DLZ_REAL_DISPLAY or both.  Like snprintf(), it
 * writes at most @p size bytes, the NUL included (nothing when @p size is
 * 0, and @p buf may then be NULL), and returns the length of the whole text.
 * @since 0.1.0
 */
DLZ_API size_t dlz_real_format(double value, unsigned flags, char *buf, size_t size);

/** The library's objects; each is described in its own section. */
typedef struct dlz_array dlz_array;
typedef struct dlz_reader dlz_reader;
typedef struct dlz_writer dlz_writer;
typedef struct dlz_editor dlz_editor;
typedef struct dlz_value dlz_value;
typedef struct dlz_normalizer dlz_normalizer;
typedef struct dlz_params dlz_params;
typedef struct dlz_lock dlz_lock;
typedef struct dlz_export dlz_export;
typedef struct dlz_network dlz_network;

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

/**
 * Creates a dense, zero-filled array.  @p order is 'c' (row-major) or 'f'
 * (column-major).  @p rank may be 0 (a scalar; @p shape may then be NULL).
 * On success *out is yours; release it with dlz_array_free().
 * @return DLZ_OK, DLZ_EMISUSE (bad dtype, rank, order or negative size),
 *         DLZ_ELIMIT (the size in bytes overflows), DLZ_ENOMEM; the reason
 *         is written to @p errbuf.  @since 0.1.0
 */
DLZ_API int dlz_array_new(dlz_dtype dtype, int rank, const int64_t *shape, char order,
                          dlz_array **out, char *errbuf, size_t errbuf_size);
/** Releases an array; NULL is allowed. @since 0.1.0 */
DLZ_API void dlz_array_free(dlz_array *a);

/** Data type of the elements. @since 0.1.0 */
DLZ_API dlz_dtype dlz_array_dtype(const dlz_array *a);
/** Number of dimensions (0 for a scalar). @since 0.1.0 */
DLZ_API int dlz_array_rank(const dlz_array *a);
/** rank() sizes; borrowed, valid while the array lives. @since 0.1.0 */
DLZ_API const int64_t *dlz_array_shape(const dlz_array *a);
/** rank() strides in elements; borrowed, valid while the array lives. @since 0.1.0 */
DLZ_API const int64_t *dlz_array_strides(const dlz_array *a);
/** 'c' or 'f', as recorded. @since 0.1.0 */
DLZ_API char dlz_array_order(const dlz_array *a);
/** Number of elements (product of the shape; 1 for a scalar). @since 0.1.0 */
DLZ_API int64_t dlz_array_length(const dlz_array *a);
/** The element buffer (native byte order); borrowed, valid while the array
    lives; writable through dlz_array_data(). @since 0.1.0 */
DLZ_API void *dlz_array_data(dlz_array *a);
/** As dlz_array_data(), read-only. @since 0.1.0 */
DLZ_API const void *dlz_array_cdata(const dlz_array *a);
/** Size of the element buffer in bytes. @since 0.1.0 */
DLZ_API size_t dlz_array_nbytes(const dlz_array *a);
/** Allocation mode of the record the array was read from (DLZ_GEN_MIXED for
    new arrays). @since 0.1.0 */
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
/** As dlz_array_to_f64(), rounded to float. @since 0.1.0 */
DLZ_API int dlz_array_to_f32(const dlz_array *a, float *out, size_t n);

/**
 * Converts a floating-point array (FLOAT, DOUBLE, HALF, BFLOAT16) to another
 * of these types: a new dense 'c' array of the same shape whose elements are
 * those of @p a, in logical order, each rounded once to the nearest value of
 * @p to (ties to even; beyond its range to infinity; NaN stays NaN).  The
 * array keeps the record generation of @p a.  On success *out is yours;
 * release it with dlz_array_free().
 * @return DLZ_OK, DLZ_EMISUSE (NULL, or a type that is not one of the four),
 *         DLZ_ENOMEM; the reason is written to @p errbuf.  @since 0.1.0
 */
DLZ_API int dlz_array_convert(const dlz_array *a, dlz_dtype to, dlz_array **out, char *errbuf,
                              size_t errbuf_size);

/**
 * Rewrites configuration.json for a network of data type @p to (FLOAT,
 * DOUBLE, HALF or BFLOAT16), as DL4J writes it: every "dataType" string at
 * the top level and in each NeuralNetConfiguration (the elements of "confs";
 * "defaultConfiguration" and the "layerConf" of each layer vertex) becomes
 * DL4J's name of @p to; every other byte is copied.  A configuration without
 * "dataType" (DL4J 1.0.0-beta3 and earlier, where DL4J takes the type of the
 * coefficients) comes out unchanged.  Use it with dlz_array_convert() of the
 * coefficients: DL4J refuses parameters whose type is not the configured one
 * unless they are a [1,N] row.  *out is yours (dlz_free()), NUL-terminated
 * after *out_len bytes.
 * @return DLZ_OK, DLZ_EMISUSE (NULL, or another type), DLZ_EFORMAT (not a
 *         JSON object), DLZ_ENOMEM; the reason is written to @p errbuf.
 *         @since 0.1.0
 */
DLZ_API int dlz_configuration_convert(const char *json, size_t len, dlz_dtype to, char **out,
                                      size_t *out_len, char *errbuf, size_t errbuf_size);

/** Summary statistics of an array's elements (as doubles). */
typedef struct dlz_stats {
    double sum;        /**< compensated (Neumaier) sum of the values that are not NaN */
    double min, max;   /**< of the values that are not NaN; +inf / -inf when none */
    int64_t nan_count; /**< NaN elements */
    int64_t inf_count; /**< infinite elements */
    int64_t count;     /**< all elements */
} dlz_stats;

/**
 * Statistics of every element of @p a, in row-major order of the shape,
 * computed in one pass without any copy of the array (constant extra memory).
 * @return DLZ_OK or DLZ_EMISUSE (NULL).  @since 0.1.0
 */
DLZ_API int dlz_array_stats(const dlz_array *a, dlz_stats *out);

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
 * at dlz_reader_close() / dlz_writer_close() / dlz_export_close(), or
 * before the open function returns if the open fails.
 */
#define DLZ_KEEP_OPEN 0x1u

/* ------------------------------------------------------------------------ */
/* Reader                                                                    */

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
    /** Largest configuration.json (default 8 MiB; DL4J's are kilobytes). */
    DLZ_LIMIT_CONFIG_SIZE = 2,
    /** Most entries in an archive (default 100000). */
    DLZ_LIMIT_ENTRIES = 3,
    /** Non-seekable input is spooled to memory up to this many bytes (default 64 MiB),
        then to an unlinked temporary file in $TMPDIR (or /tmp). */
    DLZ_LIMIT_SPOOL_MEMORY = 4,
    /** Largest non-seekable input spooled at all (default 64 GiB). */
    DLZ_LIMIT_SPOOL_TOTAL = 5,
    /** Largest raw entry returned by dlz_reader_read_entry() (default 1 GiB). */
    DLZ_LIMIT_RAW_ENTRY = 6,
    /** Most values (every number, string, array, object...) in a JSON text
        read: configuration.json (default 1000000). */
    DLZ_LIMIT_JSON_NODES = 7,
    /** Deepest nesting of a JSON text read (default 512, at most 2048). */
    DLZ_LIMIT_JSON_DEPTH = 8,
    /** Largest ratio of uncompressed to compressed size of an array entry
        (coefficients, updater state) above 1 MiB, as "N:1" (default 200;
        trained weights compress about 1.1:1, deflate reaches 1032:1 at
        most, so only arrays of repeated bytes come near it). */
    DLZ_LIMIT_COMPRESSION_RATIO = 9
} dlz_limit;

/** A new reader, or NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_reader *dlz_reader_new(void);
/** Releases the reader, closing it first if open; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_reader_free(dlz_reader *r);

/** Sets a limit (value >= 0) before opening. @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_reader_set_limit(dlz_reader *r, dlz_limit which, int64_t value);
/** The limit in force, or -1 for an unknown limit. @since 0.1.0 */
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

/** Last error of this reader: one line, borrowed, valid until the next call.
    @since 0.1.0 */
DLZ_API const char *dlz_reader_errmsg(const dlz_reader *r);
/** errno of the last DLZ_EIO failure, else 0. @since 0.1.0 */
DLZ_API int dlz_reader_syserr(const dlz_reader *r);

/** What is open (DLZ_KIND_UNKNOWN if nothing is). @since 0.1.0 */
DLZ_API dlz_kind dlz_reader_kind(const dlz_reader *r);

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
/** Entry @p index in central-directory order; the name is valid until close.
    @return DLZ_OK or DLZ_EMISUSE (not open, index out of range). @since 0.1.0 */
DLZ_API int dlz_reader_entry_info(dlz_reader *r, int64_t index, dlz_entry_info *info);
/**
 * Reads entry @p index to its end without keeping it (constant memory), so
 * that its CRC-32 and its sizes are checked against the zip directory, with
 * the limits of the reader (DLZ_LIMIT_ENTRY_SIZE, and the compression ratio
 * for array entries).
 * @return DLZ_OK, DLZ_EFORMAT (damaged: the message says how), DLZ_ELIMIT,
 *         DLZ_EUNSUPPORTED (compression method, encryption), DLZ_EIO,
 *         DLZ_EMISUSE, DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_reader_verify_entry(dlz_reader *r, int64_t index);
/**
 * Writes the uncompressed bytes of entry @p index to io->write (only that
 * callback is used; the stream is not closed), in chunks, with the checks of
 * dlz_reader_verify_entry(): when the CRC-32 or the sizes turn out wrong at
 * the end, the bytes already written are followed by an error.
 * @return DLZ_OK, DLZ_EIO (io->write failed or wrote nothing), the codes of
 *         dlz_reader_verify_entry().  @since 0.1.0
 */
DLZ_API int dlz_reader_copy_entry(dlz_reader *r, int64_t index, const dlz_io *io, void *user);
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
 * @return DLZ_OK, DLZ_ENOTFOUND, DLZ_ELIMIT (DLZ_LIMIT_RAW_ENTRY), DLZ_EFORMAT
 *         (a damaged entry), DLZ_EIO, DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_reader_read_entry(dlz_reader *r, const char *name, void **buf, size_t *len);

/** normalizer.bin as bytes (see dlz_reader_read_entry()); DLZ_ENOTFOUND if
    there is none. @since 0.1.0 */
DLZ_API int dlz_reader_read_normalizer_raw(dlz_reader *r, void **buf, size_t *len);

/**
 * Reads normalizer.bin and decodes it with dlz_normalizer_decode(), arrays
 * limited by DLZ_LIMIT_ARRAY_BYTES.  On success *out is yours
 * (dlz_normalizer_free()); on failure it is NULL and dlz_reader_errmsg()
 * describes the problem.
 * @return DLZ_OK; DLZ_ENOTFOUND when there is no normalizer.bin; the codes of
 *         dlz_reader_read_normalizer_raw() and dlz_normalizer_decode().
 * @since 0.1.0
 */
DLZ_API int dlz_reader_read_normalizer(dlz_reader *r, dlz_normalizer **out);

/** Number of objects/<key> entries. @since 0.1.0 */
DLZ_API int64_t dlz_reader_object_count(dlz_reader *r);
/** Key (without "objects/") of object @p index; borrowed, valid until close;
    NULL when out of range. @since 0.1.0 */
DLZ_API const char *dlz_reader_object_key(dlz_reader *r, int64_t index);
/** objects/<key> as Java serialization bytes (see dlz_reader_read_entry()).
    @since 0.1.0 */
DLZ_API int dlz_reader_read_object_raw(dlz_reader *r, const char *key, void **buf, size_t *len);

/**
 * Reads objects/<key> and decodes it with dlz_value_decode() at the default
 * depth.  On success *out is yours (dlz_value_free()); on failure it is NULL
 * and dlz_reader_errmsg() names the entry, the byte offset and the problem.
 * @return DLZ_OK; the codes of dlz_reader_read_object_raw() and
 *         dlz_value_decode().  @since 0.1.0
 */
DLZ_API int dlz_reader_read_object(dlz_reader *r, const char *key, dlz_value **out);

/**
 * Builds the parameter table of the open archive from its configuration.json
 * (see "Parameter table").  @p flags: 0, or DLZ_PARAMS_ASSUME_DENSE to lay
 * out layers of unknown classes as dense layers.  On success *out is yours
 * (dlz_params_free()).
 * @return DLZ_OK, DLZ_EMISUSE (NULL argument, unknown flag, nothing open, a
 *         bare array file), DLZ_EFORMAT (a key missing or of the wrong type,
 *         sizes that overflow, a cycle or an unknown name in the graph...),
 *         DLZ_EUNSUPPORTED (a layer or vertex whose parameter layout is
 *         unknown), DLZ_ENOMEM; the reader's message names the layer.
 * @since 0.1.0
 */
DLZ_API int dlz_reader_read_params(dlz_reader *r, unsigned flags, dlz_params **out);

/* ------------------------------------------------------------------------ */
/* Writer                                                                    */

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
    left untouched and its temporary file removed).  NULL allowed. @since 0.1.0 */
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
 * configuration, normalizer and objects; STORE for the coefficients and
 * updater state (trained float data shrinks by only about 7 % with deflate,
 * which is ten times slower; DL4J reads stored entries).
 * Before opening.  @since 0.1.0
 */
DLZ_API int dlz_writer_set_compression(dlz_writer *w, unsigned parts, int method, int level);

/** Modification time written for every entry (Unix seconds, shown in local
    time as DL4J does); default: the time of opening.  Before opening.
    @since 0.1.0 */
DLZ_API int dlz_writer_set_mtime(dlz_writer *w, int64_t unix_seconds);

/** A lock (dlz_lock_acquire()) on the file a path target replaces: just
    before renaming over it, dlz_writer_close() checks it with
    dlz_lock_check() and fails with DLZ_ECONFLICT, writing nothing, when the
    file changed.  The lock is borrowed until close; NULL removes it.  Before
    opening.  @since 0.1.0 */
DLZ_API int dlz_writer_set_lock(dlz_writer *w, const dlz_lock *lock);

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
 * @since 0.1.0
 */
DLZ_API int dlz_writer_put_coefficients(dlz_writer *w, const dlz_array *a);

/** Writes updaterState.bin from a vector, as [1,N]; optional, after the
    coefficients. @since 0.1.0 */
DLZ_API int dlz_writer_put_updater(dlz_writer *w, const dlz_array *a);

/** Writes normalizer.bin from bytes (not checked); optional, after the updater
    state. @since 0.1.0 */
DLZ_API int dlz_writer_put_normalizer_raw(dlz_writer *w, const void *data, size_t len);

/**
 * Encodes @p n with dlz_normalizer_encode() and writes it as normalizer.bin,
 * like dlz_writer_put_normalizer_raw().  @p n is only read.  An encoding
 * failure leaves the archive as it was and is described by
 * dlz_writer_errmsg().
 * @return DLZ_OK; the codes of dlz_normalizer_encode() and
 *         dlz_writer_put_normalizer_raw().  @since 0.1.0
 */
DLZ_API int dlz_writer_put_normalizer(dlz_writer *w, const dlz_normalizer *n);

/**
 * Writes objects/<key> from Java serialization bytes (not checked); optional,
 * last.  Keys must be valid UTF-8, not empty, with no empty, "." or ".."
 * segment, no leading '/' and no backslash; each key at most once.
 * @since 0.1.0
 */
DLZ_API int dlz_writer_put_object_raw(dlz_writer *w, const char *key, const void *data, size_t len);

/**
 * Encodes @p v with dlz_value_encode() and writes it as objects/<key>, like
 * dlz_writer_put_object_raw() (same order rules and key checks).  @p v is
 * only read.  An encoding failure leaves the archive as it was and is
 * described by dlz_writer_errmsg().
 * @return DLZ_OK; the codes of dlz_value_encode() and
 *         dlz_writer_put_object_raw().  @since 0.1.0
 */
DLZ_API int dlz_writer_put_object(dlz_writer *w, const char *key, const dlz_value *v);

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
    opened again or freed; NULL before. @since 0.1.0 */
DLZ_API const dlz_save_result *dlz_writer_result(const dlz_writer *w);

/** For an archive written with dlz_writer_open_memory(), after close: the
    bytes, borrowed until the writer is opened again or freed.
    @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_writer_memory(const dlz_writer *w, const void **buf, size_t *len);

/** Last error of this writer: one line, borrowed, valid until the next call.
    @since 0.1.0 */
DLZ_API const char *dlz_writer_errmsg(const dlz_writer *w);
/** errno of the last DLZ_EIO failure, else 0. @since 0.1.0 */
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
 * No update is lost to a concurrent edit: dlz_editor_open() takes the
 * archive's lock (dlz_lock_acquire()) and holds it until the commit has
 * renamed the new file into place, or until the editor is freed; another
 * editor waits for it (dlz_editor_set_lock_timeout()) or fails with
 * DLZ_EBUSY.  Just before the rename the commit checks that the path still
 * names the file it read, unchanged (same inode, size and modification
 * time); a process that wrote it without the lock makes the commit fail
 * with DLZ_ECONFLICT, and nothing is written.
 *
 *   1. dlz_editor_new(); 2. dlz_editor_open(e, path);
 *   3. dlz_editor_set_normalizer() / dlz_editor_put_object() /
 *      dlz_editor_set_updater() / dlz_editor_remove_normalizer() /
 *      dlz_editor_remove_object() / dlz_editor_remove_updater() ...
 *   4. dlz_editor_commit() (or dlz_editor_commit_to() for another path);
 *   5. dlz_editor_free() (NULL-safe; discards uncommitted changes).
 */

/** A new editor, or NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_editor *dlz_editor_new(void);
/** Releases the editor, discarding staged changes; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_editor_free(dlz_editor *e);
/** Opens the archive at @p path for editing (it must be a model archive).
    @return DLZ_OK or the codes of dlz_reader_open_path(). @since 0.1.0 */
DLZ_API DLZ_NODISCARD int dlz_editor_open(dlz_editor *e, const char *path);
/** The reader of the opened archive, to inspect it; borrowed until commit or
    free; NULL when the editor is not open. @since 0.1.0 */
DLZ_API dlz_reader *dlz_editor_reader(dlz_editor *e);

/** Stages normalizer.bin = @p len bytes at @p data (copied now, not checked),
    replacing any normalizer. @since 0.1.0 */
DLZ_API int dlz_editor_set_normalizer_raw(dlz_editor *e, const void *data, size_t len);
/**
 * Encodes @p n with dlz_normalizer_encode() and stages it as normalizer.bin,
 * like dlz_editor_set_normalizer_raw().  @p n is only read.
 * @return DLZ_OK; DLZ_EMISUSE; the codes of dlz_normalizer_encode()
 *         (DLZ_EUNSUPPORTED for JAVA_SERIALIZED), with nothing staged.
 * @since 0.1.0
 */
DLZ_API int dlz_editor_set_normalizer(dlz_editor *e, const dlz_normalizer *n);
/** Stages the removal of normalizer.bin.  @return DLZ_OK, or DLZ_ENOTFOUND
    when the archive has none (nothing is staged). @since 0.1.0 */
DLZ_API int dlz_editor_remove_normalizer(dlz_editor *e);

/** Stages objects/<key> = @p len bytes at @p data (copied now, not checked),
    replacing an existing key in place or adding it after the other objects.
    Keys as for dlz_writer_put_object_raw(). @since 0.1.0 */
DLZ_API int dlz_editor_put_object_raw(dlz_editor *e, const char *key, const void *data, size_t len);
/**
 * Encodes @p v with dlz_value_encode() and stages it as objects/<key>, like
 * dlz_editor_put_object_raw().  @p v is only read.
 * @return DLZ_OK; DLZ_EMISUSE (bad key); the codes of dlz_value_encode(),
 *         with nothing staged.  @since 0.1.0
 */
DLZ_API int dlz_editor_put_object(dlz_editor *e, const char *key, const dlz_value *v);
/** Stages the removal of objects/<key>.  @return DLZ_OK, or DLZ_ENOTFOUND
    when there is no such object. @since 0.1.0 */
DLZ_API int dlz_editor_remove_object(dlz_editor *e, const char *key);

/** Stages updaterState.bin = @p state, a vector (copied now), written as
    [1,N] in the record generation of the archive's coefficients.
    @return DLZ_OK, DLZ_EMISUSE (not a vector), DLZ_ENOMEM. @since 0.1.0 */
DLZ_API int dlz_editor_set_updater(dlz_editor *e, const dlz_array *state);
/** Stages the removal of updaterState.bin.  @return DLZ_OK, or DLZ_ENOTFOUND
    when the archive has no updater state. @since 0.1.0 */
DLZ_API int dlz_editor_remove_updater(dlz_editor *e);

/** Modification time of new entries (Unix seconds); default: commit time.
    @since 0.1.0 */
DLZ_API int dlz_editor_set_mtime(dlz_editor *e, int64_t unix_seconds);
/** How long dlz_editor_open() waits while another process holds the
    archive's lock (see dlz_lock_acquire()): 0 not at all (the default: it
    fails with DLZ_EBUSY at once), milliseconds, or -1 for as long as it takes.
    Before opening.  @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_editor_set_lock_timeout(dlz_editor *e, int64_t timeout_ms);
/**
 * Writes the changed archive over the original, atomically and durably.
 * Without staged changes nothing is written.  Afterwards the editor is
 * closed (open it again for more changes).  @since 0.1.0
 */
DLZ_API DLZ_NODISCARD int dlz_editor_commit(dlz_editor *e);
/** As dlz_editor_commit(), but writes to @p path (atomically) and leaves the
    original alone, even without staged changes. @since 0.1.0 */
DLZ_API DLZ_NODISCARD int dlz_editor_commit_to(dlz_editor *e, const char *path);
/** Last error of this editor: one line, borrowed, valid until the next call.
    @since 0.1.0 */
DLZ_API const char *dlz_editor_errmsg(const dlz_editor *e);
/** errno of the last DLZ_EIO failure, else 0. @since 0.1.0 */
DLZ_API int dlz_editor_syserr(const dlz_editor *e);

/* ------------------------------------------------------------------------ */
/* Locks: one read-modify-write of an archive at a time                       */

/**
 * An advisory lock on an archive, the one dlz_editor takes: for programs that
 * change an archive in their own way (read it, write a new one over it, as
 * `dlz convert IN IN` does).  It is flock(2) on the file the path names, held
 * until dlz_lock_release() or the end of the process; cooperating processes
 * (dlz's editor, its tool, other users of this lock) never lose each other's
 * updates.  It does not stop programs that ignore it; dlz_lock_check() tells
 * whether such a program changed the file.
 *
 * Where the file system has no locks (flock fails with ENOLCK or EOPNOTSUPP),
 * the lock is granted without being held (dlz_lock_held() says 0) and only
 * the check protects the file.  On NFS, Linux emulates flock with NFS byte-
 * range locks, which work between clients where the server supports locking
 * (NFSv4, or NFSv3 with lockd).
 */

/**
 * Opens @p path and locks it.  @p timeout_ms: 0 fails at once with DLZ_EBUSY
 * when another process holds the lock, a positive value waits up to that
 * many milliseconds, -1 waits as long as it takes.  A file replaced while
 * waiting (another editor committed) is locked anew.  On success *out is
 * yours (dlz_lock_release()).
 * @return DLZ_OK, DLZ_EBUSY, DLZ_EIO (cannot open or lock), DLZ_EMISUSE,
 *         DLZ_ENOMEM; the reason is written to @p errbuf.  @since 0.1.0
 */
DLZ_API int dlz_lock_acquire(const char *path, int64_t timeout_ms, dlz_lock **out, char *errbuf,
                             size_t errbuf_size);
/**
 * Whether the path still names the locked file, unchanged since it was
 * locked (same inode, size and modification time).  Call it just before
 * replacing the file.
 * @return DLZ_OK, DLZ_ECONFLICT (changed or removed), DLZ_EIO, DLZ_EMISUSE.
 * @since 0.1.0
 */
DLZ_API int dlz_lock_check(const dlz_lock *l, char *errbuf, size_t errbuf_size);
/** 1 when the lock is held, 0 when the file system has no locks or @p l is
    NULL. @since 0.1.0 */
DLZ_API int dlz_lock_held(const dlz_lock *l);
/** Releases the lock and frees it; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_lock_release(dlz_lock *l);

/* ------------------------------------------------------------------------ */
/* Java objects (objects/<key>)                                              */
/*
 * A codec for the part of Java Object Serialization that objects/<key>
 * entries use (DL4J's ModelSerializer.addObjectToFile() writes one
 * ObjectOutputStream with one writeObject() call per entry): null, String,
 * the boxed primitives (Integer, Long, Double, Float, Short, Byte, Boolean,
 * Character), the primitive arrays, String[], Object[], ArrayList, HashMap
 * and LinkedHashMap, nested in any way.
 *
 * Values are trees of dlz_value nodes.  A node has one owner: the caller for
 * a node returned by a dlz_value_new_*() constructor, dlz_value_copy(),
 * dlz_value_decode() or dlz_value_from_json(); its container once
 * dlz_value_append() or dlz_value_map_put() succeeded.  dlz_value_free()
 * releases a node and everything in it.  Accessors return borrowed pointers,
 * valid while the node they came from lives and is not changed.  Nodes of
 * different trees may be used from different threads.
 *
 * Decoding never loads or runs Java code: it recognises the classes above by
 * name, serialVersionUID, flags and fields and reads their data.  A stream
 * holding any other class, at any depth, decodes successfully to one
 * DLZ_VALUE_OPAQUE node that names the first such class in stream order and
 * keeps the whole stream verbatim; encoding that node writes the same bytes.
 * Streams whose structure does not follow the serialization grammar are
 * DLZ_EFORMAT, including the parts that belong to unsupported classes (the
 * only exception: an Externalizable class written in the old protocol 1
 * cannot be delimited, so the rest of such a stream is not checked).
 *
 * Strings are UTF-8 in C and "modified UTF-8" in the stream (U+0000 as
 * C0 80, characters above U+FFFF as two 3-byte surrogates); a surrogate that
 * is not part of a pair, which UTF-8 cannot express, is kept as its 3-byte
 * form (as in WTF-8), so every Java string survives a round trip.
 *
 * Encoding writes the bytes ObjectOutputStream writes for the same value when
 * a Java program builds it from literals with autoboxing, new ArrayList<>(),
 * new HashMap<>() and new LinkedHashMap<>() followed by add() / put() in the
 * tree's order:
 *  - class descriptors are written once per stream, then referenced;
 *  - Java shares what literals and autoboxing share, so the encoder writes a
 *    back-reference for a String equal to one written before (string literals
 *    are interned), for a Boolean, a Byte, and a Short, Integer or Long in
 *    -128..127 or a Character in 0..127 equal to one written before (the
 *    valueOf() caches); never for Float, Double, arrays, lists or maps;
 *  - a HashMap is written in the order Java's HashMap iterates it, with the
 *    capacity (buckets) and threshold HashMap reaches through put() (load
 *    factor 0.75, 16 buckets at first, doubling past the threshold, and
 *    doubling instead of forming a tree bucket while below 64 buckets): by
 *    bucket, the entries of a bucket in the order they were put, except
 *    where more than 8 keys share a bucket of a table of 64 or more buckets,
 *    which Java keeps as a red-black tree and iterates in its order (by
 *    hash, then by compareTo() within a class, else by class name, null
 *    first).  A key whose Java hashCode() is the identity hash (arrays,
 *    opaque values) leaves the whole map in tree order.  Java's order can
 *    differ only where ArrayList or HashMap keys of equal hashes share such
 *    a red-black tree (Java then compares identity hashes).
 *  - a LinkedHashMap is written in the tree's order.
 * Decoding keeps the stream's order.  A decoded value therefore re-encodes
 * to the original bytes when the writer built it that way, and otherwise to
 * bytes Java reads as an equal value (the load factor, threshold and bucket
 * count of a decoded HashMap, and which instances were shared, are not
 * kept: Java recomputes the former on reading, and the values are immutable
 * or copies).
 *
 * References: a back-reference in the stream to a String or boxed value
 * decodes to a copy, and so does one to a completed array, list or map (a
 * deep copy: the tree has no shared nodes).  A reference to a container that
 * is still being read (a cycle, such as a list that contains itself) cannot
 * be a tree: DLZ_EUNSUPPORTED.  Limits: values nested deeper than the
 * max_depth of dlz_value_decode() give DLZ_ELIMIT, and so does a decoded
 * tree that would take more than 64 MiB plus 64 times the stream's size (only
 * copies made for back-references get near that).
 */

/** Kinds of values; the Java class is given by dlz_value_type_name(). */
typedef enum dlz_value_type {
    DLZ_VALUE_NULL = 0,           /**< null */
    DLZ_VALUE_STRING = 1,         /**< java.lang.String */
    DLZ_VALUE_INT = 2,            /**< java.lang.Integer */
    DLZ_VALUE_LONG = 3,           /**< java.lang.Long */
    DLZ_VALUE_DOUBLE = 4,         /**< java.lang.Double */
    DLZ_VALUE_FLOAT = 5,          /**< java.lang.Float */
    DLZ_VALUE_SHORT = 6,          /**< java.lang.Short */
    DLZ_VALUE_BYTE = 7,           /**< java.lang.Byte */
    DLZ_VALUE_BOOLEAN = 8,        /**< java.lang.Boolean */
    DLZ_VALUE_CHAR = 9,           /**< java.lang.Character (one UTF-16 code unit) */
    DLZ_VALUE_BYTE_ARRAY = 10,    /**< byte[], elements int8_t */
    DLZ_VALUE_SHORT_ARRAY = 11,   /**< short[], elements int16_t */
    DLZ_VALUE_INT_ARRAY = 12,     /**< int[], elements int32_t */
    DLZ_VALUE_LONG_ARRAY = 13,    /**< long[], elements int64_t */
    DLZ_VALUE_FLOAT_ARRAY = 14,   /**< float[], elements float */
    DLZ_VALUE_DOUBLE_ARRAY = 15,  /**< double[], elements double */
    DLZ_VALUE_BOOLEAN_ARRAY = 16, /**< boolean[], elements uint8_t 0 or 1 */
    DLZ_VALUE_CHAR_ARRAY = 17,    /**< char[], elements uint16_t UTF-16 code units */
    DLZ_VALUE_STRING_ARRAY = 18,  /**< String[], items STRING or NULL */
    DLZ_VALUE_OBJECT_ARRAY = 19,  /**< Object[], items of any kind */
    DLZ_VALUE_LIST = 20,          /**< java.util.ArrayList */
    DLZ_VALUE_MAP = 21,           /**< java.util.HashMap */
    DLZ_VALUE_LINKED_MAP = 22,    /**< java.util.LinkedHashMap */
    DLZ_VALUE_OPAQUE = 23         /**< a stream holding another class, kept as bytes */
} dlz_value_type;

/** A node of a value tree (see above). */

/** Default nesting limit of dlz_value_decode(); the top-level value is level 1. */
#define DLZ_VALUE_DEFAULT_DEPTH 64
/** Deepest tree the library builds, decodes or accepts from the caller. */
#define DLZ_VALUE_MAX_DEPTH 256

/**
 * Java name of the class a type stands for ("java.lang.Integer", "[I",
 * "java.util.ArrayList", ...), "null" for DLZ_VALUE_NULL, "opaque" for
 * DLZ_VALUE_OPAQUE; NULL for an unknown type.  Static string.  @since 0.1.0
 */
DLZ_API const char *dlz_value_type_name(dlz_value_type type);

/**
 * Constructors of scalars.  Each returns a new node (yours; release it with
 * dlz_value_free() or hand it to a container), or NULL when out of memory,
 * their only failure.  dlz_value_new_boolean() stores true for any nonzero
 * @p v.  @since 0.1.0
 */
DLZ_API dlz_value *dlz_value_new_null(void);
DLZ_API dlz_value *dlz_value_new_int(int32_t v);
DLZ_API dlz_value *dlz_value_new_long(int64_t v);
DLZ_API dlz_value *dlz_value_new_double(double v);
DLZ_API dlz_value *dlz_value_new_float(float v);
DLZ_API dlz_value *dlz_value_new_short(int16_t v);
DLZ_API dlz_value *dlz_value_new_byte(int8_t v);
DLZ_API dlz_value *dlz_value_new_boolean(int v);
DLZ_API dlz_value *dlz_value_new_char(uint16_t v);

/**
 * A new String from @p len bytes of UTF-8 (copied; NUL bytes allowed; @p utf8
 * may be NULL when @p len is 0).  Overlong forms, code points above U+10FFFF
 * and truncated sequences are refused; 3-byte surrogates are accepted (see
 * above).  On success *out is yours.
 * @return DLZ_OK, DLZ_EMISUSE (NULL arguments), DLZ_EFORMAT (not UTF-8, with
 *         the byte offset in @p errbuf), DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_value_new_string(const char *utf8, size_t len, dlz_value **out, char *errbuf,
                                 size_t errbuf_size);

/**
 * A new array of @p type.  For the primitive array types, @p n elements of
 * the C type listed at dlz_value_type are copied from @p elems (which may be
 * NULL when @p n is 0; boolean elements are stored as 0 or 1).  For
 * DLZ_VALUE_STRING_ARRAY, @p elems is an array of @p n NUL-terminated UTF-8
 * strings, each copied, a NULL entry giving a null item.  For
 * DLZ_VALUE_OBJECT_ARRAY, @p elems must be NULL and @p n 0: add items with
 * dlz_value_append().  On success *out is yours.
 * @return DLZ_OK, DLZ_EMISUSE (a type that is not an array, NULL elements),
 *         DLZ_EFORMAT (a string that is not UTF-8), DLZ_ELIMIT (@p n above
 *         2147483647, Java's limit), DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_value_new_array(dlz_value_type type, const void *elems, size_t n, dlz_value **out,
                                char *errbuf, size_t errbuf_size);

/** A new empty ArrayList, or NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_value *dlz_value_new_list(void);
/** A new empty HashMap (@p linked 0) or LinkedHashMap (@p linked nonzero), or
    NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_value *dlz_value_new_map(int linked);

/**
 * Adds @p item at the end of a list, String[] (item STRING or NULL only) or
 * Object[].  On success the container owns @p item; on failure you still do.
 * @p item must be a tree of its own (not inside a container, not @p container).
 * @return DLZ_OK; DLZ_EMISUSE (NULL, not a container, item of the wrong
 *         kind, item already in a container); DLZ_ELIMIT (the tree would be
 *         deeper than DLZ_VALUE_MAX_DEPTH, or hold more than 2147483647
 *         items); DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_value_append(dlz_value *container, dlz_value *item);

/**
 * Puts an entry into a HashMap or LinkedHashMap, as Java's put(): when the
 * map has a key equal to @p key (Java's equals(): same kind and value,
 * strings by content, lists and maps by their items, doubles and floats by
 * their canonical bits, arrays and opaque values only when they are the same
 * node), its value is replaced (the old value is freed, the entry keeps its
 * place and key, and @p key is freed); otherwise the entry is added at the
 * end.  This compares @p key with every key: O(n).  On success the map owns
 * @p key and @p value; on failure you still do.
 * @return DLZ_OK, DLZ_EMISUSE, DLZ_ELIMIT, DLZ_ENOMEM as dlz_value_append().
 * @since 0.1.0
 */
DLZ_API int dlz_value_map_put(dlz_value *map, dlz_value *key, dlz_value *value);

/** A deep copy (yours), or NULL when out of memory or @p v is NULL. @since 0.1.0 */
DLZ_API dlz_value *dlz_value_copy(const dlz_value *v);
/** Releases a node and everything in it; NULL allowed.  Never free a node that
    is inside a container (free the whole tree). @since 0.1.0 */
DLZ_API void dlz_value_free(dlz_value *v);

/** Kind of a node (DLZ_VALUE_NULL for a NULL pointer). @since 0.1.0 */
DLZ_API dlz_value_type dlz_value_type_of(const dlz_value *v);

/**
 * A string's UTF-8 bytes, NUL-terminated (the string itself may hold NUL
 * bytes: use *len, which may be NULL).  Borrowed.  NULL when @p v is not a
 * DLZ_VALUE_STRING.  @since 0.1.0
 */
DLZ_API const char *dlz_value_string(const dlz_value *v, size_t *len);

/** The value of an INT, LONG, SHORT, BYTE, CHAR (the code unit) or BOOLEAN
    (0 or 1) node; 0 for other nodes. @since 0.1.0 */
DLZ_API int64_t dlz_value_integer(const dlz_value *v);
/** The value of a DOUBLE or FLOAT node (bits kept, NaN payloads included);
    0.0 for other nodes. @since 0.1.0 */
DLZ_API double dlz_value_real(const dlz_value *v);

/**
 * The elements of a primitive array, of the C type listed at dlz_value_type;
 * *n (may be NULL) receives their count.  Borrowed; never NULL for a
 * primitive array, even an empty one.  NULL (and *n = 0) for other nodes.
 * @since 0.1.0
 */
DLZ_API const void *dlz_value_array_data(const dlz_value *v, size_t *n);

/** Number of elements of an array, items of a list, entries of a map; 0 for
    other nodes. @since 0.1.0 */
DLZ_API size_t dlz_value_count(const dlz_value *v);

/** Item @p i of a String[], Object[] or list; borrowed; NULL when out of
    range or not such a node. @since 0.1.0 */
DLZ_API const dlz_value *dlz_value_item(const dlz_value *v, size_t i);

/** Key and value of entry @p i of a map, in the map's order (the stream's
    order for a decoded map, else insertion order); borrowed; NULL when out
    of range or not a map. @since 0.1.0 */
DLZ_API const dlz_value *dlz_value_map_key(const dlz_value *v, size_t i);
DLZ_API const dlz_value *dlz_value_map_value(const dlz_value *v, size_t i);

/** The value stored under a key equal to @p key (equality as in
    dlz_value_map_put()); borrowed; NULL when absent or @p map is not a map.
    @since 0.1.0 */
DLZ_API const dlz_value *dlz_value_map_get(const dlz_value *map, const dlz_value *key);

/** For an OPAQUE node: the Java name of the first unsupported class
    ("java.util.Date", "[Ljava.lang.Integer;"; "java.lang.Class" for a
    Class object, "java.lang.reflect.Proxy" for a proxy instance,
    "java.io.ObjectStreamClass" for a bare class descriptor).  Borrowed;
    NULL for other nodes. @since 0.1.0 */
DLZ_API const char *dlz_value_opaque_class(const dlz_value *v);
/** For an OPAQUE node: the whole serialization stream, borrowed; *len (may be
    NULL) receives its size.  NULL for other nodes. @since 0.1.0 */
DLZ_API const void *dlz_value_opaque_bytes(const dlz_value *v, size_t *len);

/**
 * 1 when @p a and @p b have the same kind and content: scalars by value
 * (doubles and floats by their bits), strings and arrays by their bytes and
 * elements, lists, arrays of objects and maps by their items in order,
 * opaque nodes by class and bytes; else 0.  Two NULL pointers are equal.
 * @since 0.1.0
 */
DLZ_API int dlz_value_equal(const dlz_value *a, const dlz_value *b);

/**
 * Decodes one serialization stream (an objects/<key> entry: stream header,
 * then exactly one object and nothing after it).
 * @param bytes, len   the stream (borrowed for the call only)
 * @param max_depth    nesting limit, 1..DLZ_VALUE_MAX_DEPTH, or 0 for
 *                     DLZ_VALUE_DEFAULT_DEPTH
 * @param out          receives the tree (yours; dlz_value_free()), or NULL
 *                     on failure
 * @param errbuf       receives one line "byte N: what was expected, what was
 *                     found" on failure (truncated to @p errbuf_size bytes
 *                     with its NUL); may be NULL
 * @return DLZ_OK (an unsupported class gives an OPAQUE node, see above);
 *         DLZ_EMISUSE (NULL arguments, bad max_depth); DLZ_EFORMAT (not a
 *         serialization stream, truncated, malformed, wrong
 *         serialVersionUID or fields for a supported class, reference to an
 *         unknown handle, bytes after the object); DLZ_EUNSUPPORTED (a
 *         reference cycle); DLZ_ELIMIT; DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_value_decode(const void *bytes, size_t len, int max_depth, dlz_value **out,
                             char *errbuf, size_t errbuf_size);

/**
 * Encodes a tree as one serialization stream (stream header, one object),
 * following the rules above.  On success *bytes is yours (release it with
 * dlz_free()) and *len its size.  An OPAQUE node is written verbatim when it
 * is the whole tree.  @p errbuf as for dlz_value_decode().
 * @return DLZ_OK; DLZ_EMISUSE (NULL arguments); DLZ_EUNSUPPORTED (an OPAQUE
 *         node inside a container: its bytes are a stream of their own);
 *         DLZ_ELIMIT (a string longer than 2147483647 UTF-16 units);
 *         DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_value_encode(const dlz_value *v, void **bytes, size_t *len, char *errbuf,
                             size_t errbuf_size);

/**
 * Renders a tree as JSON text (UTF-8, no newline at the end), for display:
 *  - null, Boolean: null, true, false;
 *  - Integer, Long, Short, Byte: integers; Double, Float: the shortest
 *    decimal that reads back to the same double or float, always with a '.'
 *    or an exponent (1.0, 0.1, 1e+300, -0.0), independent of the locale;
 *    NaN and the infinities as the strings "NaN", "Infinity", "-Infinity";
 *  - String: a string (a lone surrogate as a \\uXXXX escape); Character: a
 *    string of that one UTF-16 unit;
 *  - byte[], short[], int[], long[], float[], double[]: arrays of numbers;
 *    boolean[]: of true/false; char[]: of one-character strings;
 *  - String[], Object[], ArrayList: arrays;
 *  - HashMap, LinkedHashMap: an object in the map's order when every key is
 *    a String, else an array of [key, value] arrays;
 *  - OPAQUE: {"opaque":"<class name>","length":<bytes of the stream>}.
 * @p flags: 0 (compact) or DLZ_JSON_PRETTY.  On success *json is yours
 * (dlz_free()), NUL-terminated; *len (may be NULL) excludes the NUL.
 * @return DLZ_OK, DLZ_EMISUSE, DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_value_to_json(const dlz_value *v, unsigned flags, char **json, size_t *len);

/**
 * Builds a tree from JSON text: null -> null, true/false -> Boolean, an
 * integer -> Integer when it fits in 32 bits, else Long (beyond 64 bits is
 * DLZ_EFORMAT), any other number -> Double, a string -> String, an array ->
 * ArrayList, an object -> LinkedHashMap with String keys in the text's order
 * (duplicate keys are DLZ_EFORMAT).  Any JSON value may be at the top level.
 * @p json holds @p len bytes (no NUL needed).  On success *out is yours.
 * @p errbuf receives "line L, column C: ..." on DLZ_EFORMAT.
 * @return DLZ_OK, DLZ_EMISUSE, DLZ_EFORMAT, DLZ_ELIMIT (nested deeper than
 *         DLZ_VALUE_MAX_DEPTH), DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_value_from_json(const char *json, size_t len, dlz_value **out, char *errbuf,
                                size_t errbuf_size);

/* ------------------------------------------------------------------------ */
/* Normalizers (normalizer.bin)                                              */
/*
 * normalizer.bin holds the data normalizer DL4J applies to a network's inputs
 * (and, where it was fitted on them, its outputs): the stream
 * NormalizerSerializer writes ("NORMALIZER", version 1, the type name, the
 * statistics as ND4J array records), or, from DL4J 0.7.x, a Java-serialized
 * normalizer object.
 *
 * A dlz_normalizer is a decoded or constructed normalizer.  It is immutable
 * apart from the MULTI_HYBRID builders, so one normalizer may be used by
 * several threads at once (transforms included) as long as none of them
 * changes it.  Accessors return borrowed pointers, valid until the
 * normalizer is changed or freed.
 *
 * Statistics read from a stream are kept exactly as stored.  DL4J adjusts
 * some of them whenever it builds a normalizer, including when it reads
 * one; the constructors below store the adjusted values, as DL4J's do, and
 * the transforms apply the adjustments again, as DL4J does after reading
 * (in the statistics' own data type, with eps = 1e-5 rounded to that type):
 *  - DistributionStats: std = max(std, eps); a std equal to eps then counts
 *    as 1 (StandardizeStrategy replaces values within eps of 0 by 1), so a
 *    standard deviation of eps or less, or NaN, divides by 1;
 *  - MinMaxStats: where max - min < eps, eps - (max - min) is added to max
 *    (for every feature, or for none when a difference is NaN);
 *  - MinMaxStrategy: targetMax = max(targetMax, targetMin + eps), in double.
 */

/** Normalizer types: DL4J's NormalizerType names and ordinals, plus the
    deprecated Java-serialized form. */
typedef enum dlz_norm_type {
    DLZ_NORM_STANDARDIZE = 0,       /**< NormalizerStandardize */
    DLZ_NORM_MIN_MAX = 1,           /**< NormalizerMinMaxScaler */
    DLZ_NORM_IMAGE_MIN_MAX = 2,     /**< ImagePreProcessingScaler */
    DLZ_NORM_IMAGE_VGG16 = 3,       /**< VGG16ImagePreProcessor: no DL4J can store it */
    DLZ_NORM_MULTI_STANDARDIZE = 4, /**< MultiNormalizerStandardize */
    DLZ_NORM_MULTI_MIN_MAX = 5,     /**< MultiNormalizerMinMaxScaler */
    DLZ_NORM_MULTI_HYBRID = 6,      /**< MultiNormalizerHybrid */
    DLZ_NORM_CUSTOM = 7,            /**< a user strategy class; its body is kept as bytes */
    DLZ_NORM_JAVA_SERIALIZED = 8    /**< DL4J 0.7.x: a Java-serialized object (read only) */
} dlz_norm_type;

/** Per-input strategies of a MULTI_HYBRID normalizer (DL4J's ordinals). */
typedef enum dlz_norm_strategy {
    DLZ_NORM_STRATEGY_NONE = 0,        /**< no normalization */
    DLZ_NORM_STRATEGY_STANDARDIZE = 1, /**< (x - mean) / std */
    DLZ_NORM_STRATEGY_MIN_MAX = 2      /**< scale [min, max] to [minRange, maxRange] */
} dlz_norm_strategy;

/** "STANDARDIZE", "MIN_MAX", ..., "CUSTOM", "JAVA_SERIALIZED"; NULL if unknown.
    Static string. @since 0.1.0 */
DLZ_API const char *dlz_normalizer_type_name(dlz_norm_type type);

/**
 * Decodes a normalizer.bin stream.
 * A stream naming IMAGE_VGG16 is refused (DL4J has no serializer strategy
 * for it, so no DL4J wrote or can read one).  CUSTOM keeps the strategy
 * class name and the body bytes.  A Java-serialized stream (AC ED 00 05)
 * gives a DLZ_NORM_JAVA_SERIALIZED normalizer that only names its class.
 * @param bytes, len  the stream (borrowed for the call only)
 * @param out         receives the normalizer (yours; dlz_normalizer_free()),
 *                    NULL on failure
 * @param errbuf      receives one line "normalizer: byte N: what was
 *                    expected, what was found" on failure (truncated to
 *                    @p errbuf_size bytes with its NUL); may be NULL
 * Each array may take at most 1 GiB (dlz_reader_read_normalizer() uses the
 * reader's DLZ_LIMIT_ARRAY_BYTES instead).
 * @return DLZ_OK; DLZ_EMISUSE (NULL arguments); DLZ_EFORMAT (bad header,
 *         unknown type, truncated, a negative or oversized count, an invalid
 *         array record, bytes after the normalizer); DLZ_EUNSUPPORTED (a
 *         version other than 1, IMAGE_VGG16, an array type the library does
 *         not read, a class name with NUL or characters beyond U+FFFF);
 *         DLZ_ELIMIT (an array above the limit); DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_normalizer_decode(const void *bytes, size_t len, dlz_normalizer **out, char *errbuf,
                                  size_t errbuf_size);

/**
 * Encodes a normalizer as DL4J's NormalizerSerializer does.  Arrays are
 * written as dense 'c' records of their own shape, in the generation they
 * were read in (JAVACPP for records older than MIXED_DATA_TYPES, which every
 * DL4J reads) or MIXED_DATA_TYPES for arrays made in memory.  Every stream
 * DL4J writes decodes and re-encodes to the same bytes.  On success *bytes
 * is yours (dlz_free()) and *len its size.  @p errbuf as for
 * dlz_normalizer_decode().
 * @return DLZ_OK; DLZ_EMISUSE (NULL arguments); DLZ_EUNSUPPORTED
 *         (JAVA_SERIALIZED: DL4J 1.0.0-beta7 and later cannot read it, copy
 *         the raw entry instead; IMAGE_VGG16: DL4J cannot read it);
 *         DLZ_ELIMIT; DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_normalizer_encode(const dlz_normalizer *n, void **bytes, size_t *len, char *errbuf,
                                  size_t errbuf_size);

/** Releases a normalizer; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_normalizer_free(dlz_normalizer *n);

/** Type of a normalizer (DLZ_NORM_STANDARDIZE for NULL). @since 0.1.0 */
DLZ_API dlz_norm_type dlz_normalizer_type(const dlz_normalizer *n);

/**
 * The Java class: DL4J's normalizer class for the stored types
 * ("org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize", ...),
 * the strategy class for CUSTOM, the serialized class for JAVA_SERIALIZED.
 * Borrowed; NULL for NULL.  @since 0.1.0
 */
DLZ_API const char *dlz_normalizer_java_class(const dlz_normalizer *n);

/** 1 when the normalizer holds label statistics (fitLabel of STANDARDIZE,
    MIN_MAX, MULTI_STANDARDIZE and MULTI_MIN_MAX), else 0. @since 0.1.0 */
DLZ_API int dlz_normalizer_fit_label(const dlz_normalizer *n);

/**
 * Number of inputs (outputs) with statistics: 1 (1 or 0 for outputs) for
 * STANDARDIZE and MIN_MAX; numInputs (numOutputs, 0 without labels) for
 * MULTI_STANDARDIZE and MULTI_MIN_MAX; the number of distinct indices in the
 * input (output) statistics map of MULTI_HYBRID; 0 for the other types.
 * @since 0.1.0
 */
DLZ_API int dlz_normalizer_num_inputs(const dlz_normalizer *n);
DLZ_API int dlz_normalizer_num_outputs(const dlz_normalizer *n);

/**
 * The target range: targetMin and targetMax of MIN_MAX and MULTI_MIN_MAX,
 * minRange and maxRange of IMAGE_MIN_MAX, as stored.  @p min and @p max may
 * be NULL.  @return DLZ_OK or DLZ_EMISUSE (other types).  @since 0.1.0
 */
DLZ_API int dlz_normalizer_range(const dlz_normalizer *n, double *min, double *max);
/** maxPixelVal of IMAGE_MIN_MAX.  @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_normalizer_max_pixel_value(const dlz_normalizer *n, double *v);

/**
 * The statistics of input @p index (@p labels 0) or output @p index
 * (@p labels nonzero): mean and std (*kind DLZ_NORM_STRATEGY_STANDARDIZE) or
 * min and max (DLZ_NORM_STRATEGY_MIN_MAX), as stored (see above).  For
 * STANDARDIZE and MIN_MAX the index is 0; for MULTI_HYBRID it is the map
 * key (the last entry when a stream repeats a key).  Any out-pointer may be
 * NULL; the arrays are borrowed.
 * @return DLZ_OK; DLZ_ENOTFOUND (no statistics for that index, or no label
 *         statistics); DLZ_EMISUSE (NULL, or a type without statistics).
 * @since 0.1.0
 */
DLZ_API int dlz_normalizer_stats(const dlz_normalizer *n, int labels, int index,
                                 dlz_norm_strategy *kind, const dlz_array **a, const dlz_array **b);

/**
 * MULTI_HYBRID maps, for inputs (@p labels 0) or outputs (@p labels
 * nonzero), entry @p i in stream order, entries added by the builders at the
 * end: statistics (index, kind, the two arrays) and per-index strategies
 * (index, kind, minRange and maxRange of MIN_MAX).  An index a stream
 * repeats is listed each time (the last entry counts, as in Java) until a
 * builder changes that map, which merges the repeats as Java's HashMap does
 * (first position, last value).  The counts are 0 for other types.
 * Out-pointers may be NULL.
 * @return DLZ_OK or DLZ_EMISUSE (not MULTI_HYBRID, @p i out of range).
 * @since 0.1.0
 */
DLZ_API int dlz_normalizer_hybrid_stats_count(const dlz_normalizer *n, int labels);
DLZ_API int dlz_normalizer_hybrid_stats_entry(const dlz_normalizer *n, int labels, int i,
                                              int *index, dlz_norm_strategy *kind,
                                              const dlz_array **a, const dlz_array **b);
DLZ_API int dlz_normalizer_hybrid_strategy_count(const dlz_normalizer *n, int labels);
DLZ_API int dlz_normalizer_hybrid_strategy_entry(const dlz_normalizer *n, int labels, int i,
                                                 int *index, dlz_norm_strategy *kind,
                                                 double *min_range, double *max_range);

/**
 * MULTI_HYBRID: the global strategy for inputs (@p labels 0) or outputs,
 * used for every index without a per-index strategy.  Out-pointers may be
 * NULL; the range is 0, 0 unless the kind is MIN_MAX.
 * @return DLZ_OK or DLZ_EMISUSE (not MULTI_HYBRID).  @since 0.1.0
 */
DLZ_API int dlz_normalizer_hybrid_global(const dlz_normalizer *n, int labels,
                                         dlz_norm_strategy *kind, double *min_range,
                                         double *max_range);

/**
 * The strategy DL4J applies to input (output) @p index of a MULTI_HYBRID
 * normalizer: its per-index strategy when the map has the index (even
 * NONE), else the global one.  @return DLZ_OK or DLZ_EMISUSE.  @since 0.1.0
 */
DLZ_API int dlz_normalizer_hybrid_strategy_for(const dlz_normalizer *n, int labels, int index,
                                               dlz_norm_strategy *kind, double *min_range,
                                               double *max_range);

/** CUSTOM: the strategy class (UTF-8, borrowed) and the body bytes after the
    header (borrowed; *len may be NULL).  NULL for other types. @since 0.1.0 */
DLZ_API const char *dlz_normalizer_custom_class(const dlz_normalizer *n);
DLZ_API const void *dlz_normalizer_custom_body(const dlz_normalizer *n, size_t *len);

/**
 * Constructors.  Every array is copied (as a dense 'c' array of the same
 * shape, data type and generation) and must have a floating data type
 * (FLOAT, DOUBLE, HALF or BFLOAT16) and at least one element; the two arrays
 * of a pair must have the same length.  Label arrays are both NULL (no
 * labels: fitLabel false) or both given.  std, max and targetMax are
 * adjusted as described above.  On success *out is yours
 * (dlz_normalizer_free()).
 * @return DLZ_OK; DLZ_EMISUSE (NULL or invalid arguments, counts above
 *         65535, with the reason in @p errbuf); DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_normalizer_new_standardize(const dlz_array *mean, const dlz_array *std,
                                           const dlz_array *label_mean, const dlz_array *label_std,
                                           dlz_normalizer **out, char *errbuf, size_t errbuf_size);
/** MIN_MAX: scales [min, max] to [target_min, target_max]. @since 0.1.0 */
DLZ_API int dlz_normalizer_new_min_max(double target_min, double target_max, const dlz_array *min,
                                       const dlz_array *max, const dlz_array *label_min,
                                       const dlz_array *label_max, dlz_normalizer **out,
                                       char *errbuf, size_t errbuf_size);
/** No arrays; ImagePreProcessingScaler(minRange, maxRange) with maxPixelVal
    (255 for 8-bit images). @since 0.1.0 */
DLZ_API int dlz_normalizer_new_image_min_max(double min_range, double max_range,
                                             double max_pixel_value, dlz_normalizer **out,
                                             char *errbuf, size_t errbuf_size);
/** @p num_inputs >= 1 pairs in @p means / @p stds; @p label_means NULL (and
    @p num_outputs 0) for no labels. @since 0.1.0 */
DLZ_API int dlz_normalizer_new_multi_standardize(int num_inputs, const dlz_array *const *means,
                                                 const dlz_array *const *stds, int num_outputs,
                                                 const dlz_array *const *label_means,
                                                 const dlz_array *const *label_stds,
                                                 dlz_normalizer **out, char *errbuf,
                                                 size_t errbuf_size);
/** MULTI_MIN_MAX: as dlz_normalizer_new_multi_standardize(), with min and max
    pairs and the target range. @since 0.1.0 */
DLZ_API int dlz_normalizer_new_multi_min_max(
    double target_min, double target_max, int num_inputs, const dlz_array *const *mins,
    const dlz_array *const *maxs, int num_outputs, const dlz_array *const *label_mins,
    const dlz_array *const *label_maxs, dlz_normalizer **out, char *errbuf, size_t errbuf_size);
/** CUSTOM: @p strategy_class (NUL-terminated UTF-8 of the Basic Multilingual
    Plane, 1..65535 bytes, no NUL) and @p len body bytes, both copied.
    @since 0.1.0 */
DLZ_API int dlz_normalizer_new_custom(const char *strategy_class, const void *body, size_t len,
                                      dlz_normalizer **out, char *errbuf, size_t errbuf_size);

/**
 * MULTI_HYBRID builders.  dlz_normalizer_new_hybrid() makes one with empty
 * maps and no global strategies (NULL only when out of memory).  The setters
 * work on any MULTI_HYBRID normalizer, for inputs (@p labels 0) or outputs
 * (@p labels nonzero):
 *  - _set_stats: statistics for an index (kind STANDARDIZE: mean and std;
 *    MIN_MAX: min and max; arrays copied as for the constructors), replacing
 *    an entry with that index in place or adding one at the end;
 *  - _set_global: the global strategy (NONE removes it);
 *  - _set_strategy: a per-index strategy (NONE is a strategy too: it turns
 *    the global one off for that index), replacing or adding.
 * For MIN_MAX, maxRange becomes max(maxRange, minRange + eps) as in
 * MinMaxStrategy.  Once a map was changed, it is encoded in the order of
 * Java's HashMap, as DL4J writes it (by bucket, then insertion order; more
 * than 8 indices in one bucket of a table of 64 or more buckets in the order
 * of the red-black tree Java keeps there).
 * @return DLZ_OK; DLZ_EMISUSE (NULL, not MULTI_HYBRID, bad kind or arrays,
 *         more than 65535 entries, with the reason in @p errbuf); DLZ_ENOMEM
 *         (the normalizer is unchanged).
 * @since 0.1.0
 */
DLZ_API dlz_normalizer *dlz_normalizer_new_hybrid(void);
DLZ_API int dlz_normalizer_hybrid_set_stats(dlz_normalizer *n, int labels, int index,
                                            dlz_norm_strategy kind, const dlz_array *a,
                                            const dlz_array *b, char *errbuf, size_t errbuf_size);
DLZ_API int dlz_normalizer_hybrid_set_global(dlz_normalizer *n, int labels, dlz_norm_strategy kind,
                                             double min_range, double max_range, char *errbuf,
                                             size_t errbuf_size);
DLZ_API int dlz_normalizer_hybrid_set_strategy(dlz_normalizer *n, int labels, int index,
                                               dlz_norm_strategy kind, double min_range,
                                               double max_range, char *errbuf, size_t errbuf_size);

/**
 * Applies the normalizer in place, with DL4J's arithmetic (below), to @p a,
 * a FLOAT or DOUBLE array of any strides whose elements do not overlap:
 *  - _transform / _revert: features of input @p index (0 for the single
 *    normalizers and IMAGE_MIN_MAX);
 *  - _transform_labels / _revert_labels: labels of output @p index.  As in
 *    DL4J, a normalizer without label statistics (fitLabel false, or no
 *    output strategy of a MULTI_HYBRID) leaves labels unchanged and returns
 *    DLZ_OK; IMAGE_MIN_MAX scales labels of rank 4 (segmentation masks) like
 *    features and refuses others.
 * Shapes: [batch, features], [batch, features, time] and any higher rank
 * with the features in dimension 1 (statistics broadcast along it), or
 * [features] for one example; the features must match the length of the
 * statistics.  IMAGE_MIN_MAX works per element on any shape
 * ([batch, channels, height, width] for images).
 *
 * Arithmetic, per element x, each step rounded to the array's type:
 *  - STANDARDIZE: (x - mean) / std; revert x * std + mean;
 *  - MIN_MAX: ((x - min) / range) * (maxRange - minRange) + minRange with
 *    range = max - min computed in the statistics' type; revert in reverse;
 *  - IMAGE_MIN_MAX: x / maxPixelVal, then * (maxRange - minRange) unless that
 *    is 1, then + minRange unless that is 0; revert in reverse.
 * No result is clipped.  Statistics are adjusted as described above, then
 * converted to the array's type; (maxRange - minRange) is computed in double
 * and then converted.  With statistics and array of the same type (as in
 * every DL4J file) results are bit-identical to DL4J's.
 * @p errbuf as for dlz_normalizer_decode().
 * @return DLZ_OK; DLZ_EMISUSE (NULL, array type other than FLOAT or DOUBLE,
 *         features not matching the statistics, index out of range or
 *         without statistics, overlapping elements); DLZ_EFORMAT
 *         (inconsistent statistics: lengths differ, strategy and statistics
 *         of different kinds); DLZ_EUNSUPPORTED (CUSTOM, JAVA_SERIALIZED,
 *         statistics of a non-floating type); DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_normalizer_transform(const dlz_normalizer *n, int index, dlz_array *a, char *errbuf,
                                     size_t errbuf_size);
DLZ_API int dlz_normalizer_revert(const dlz_normalizer *n, int index, dlz_array *a, char *errbuf,
                                  size_t errbuf_size);
DLZ_API int dlz_normalizer_transform_labels(const dlz_normalizer *n, int index, dlz_array *a,
                                            char *errbuf, size_t errbuf_size);
DLZ_API int dlz_normalizer_revert_labels(const dlz_normalizer *n, int index, dlz_array *a,
                                         char *errbuf, size_t errbuf_size);

/**
 * Renders a normalizer as JSON (UTF-8, for display), numbers and strings as
 * dlz_value_to_json() does: {"type": ..., "javaClass": ..., fields}, with
 * the fields of the stored form ("fitLabel", "mean", "std", "labelMean",
 * "labelStd"; "targetMin", "targetMax", "min", "max", "labelMin",
 * "labelMax"; "minRange", "maxRange", "maxPixelVal"; "numInputs",
 * "numOutputs", "featureMean"/"featureMin", ... as lists; for MULTI_HYBRID
 * "inputStats", "outputStats", "globalInputStrategy",
 * "globalOutputStrategy", "perInputStrategies", "perOutputStrategies";
 * "bodyLength" for CUSTOM).  Arrays are {"dtype", "shape", "values"} with
 * the values in row-major order; with DLZ_JSON_SUMMARY {"dtype", "shape",
 * "length", "values"} with the first DLZ_JSON_SUMMARY_VALUES values.  The full
 * text takes about 12 bytes per value.  @p flags: DLZ_JSON_PRETTY,
 * DLZ_JSON_SUMMARY or both.  On
 * success *json is yours (dlz_free()); *len (may be NULL) excludes the NUL.
 * @return DLZ_OK, DLZ_EMISUSE, DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_normalizer_to_json(const dlz_normalizer *n, unsigned flags, char **json,
                                   size_t *len);

/* ------------------------------------------------------------------------ */
/* Parameter table (configuration.json layouts)                              */

/**
 * The parameter table of a model: where every named parameter ("0/W",
 * "dense1/b", "lstm/RW", ...) lives in the flat coefficients vector, with its
 * shape and order, and how the optimizer (updater) state is laid out.  It is
 * derived from configuration.json alone, for every DL4J generation (legacy
 * wrapper objects of 0.5 .. 1.0.0-alpha, "@class" objects from 1.0.0-beta on),
 * for MultiLayerNetwork and ComputationGraph models; no array is read.
 *
 *   1. dlz_reader_read_params()  - or dlz_params_parse() on configuration.json text
 *   2. dlz_params_count(), dlz_params_get(), dlz_params_find(),
 *      dlz_params_layer_count(), dlz_params_layer()
 *   3. dlz_reader_read_coefficients(), then dlz_params_check() and
 *      dlz_params_extract() for each parameter
 *   4. dlz_params_updater_status(), dlz_params_updater_block(),
 *      dlz_reader_read_updater(), dlz_params_updater_check(),
 *      dlz_params_extract_state()
 *   5. dlz_params_free()         - NULL-safe
 *
 * Order.  MultiLayerNetwork: layers in configuration order.  ComputationGraph:
 * vertices in topological order - the stored "topologicalOrder" and
 * "topologicalOrderStr" when both are present, otherwise computed exactly as
 * DL4J's ComputationGraph does (including the iteration order of the Java
 * hash sets it uses).  Within a layer the parameters come in the order of
 * DL4J's paramTable(), which is also their order in the flat vector, with one
 * exception: SeparableConvolution2D and DepthwiseConvolution2D keep their bias
 * first in the vector but list it last.
 *
 * Shapes.  Every parameter is reported with the shape and order DL4J
 * 1.0.0-beta7 gives it (Dense "W" [nIn,nOut] 'f', convolution "W"
 * [nOut,nIn,kH,kW] 'c', ...).  Vector parameters (biases, BatchNormalization
 * statistics, gains...) are row vectors [1,n] with order 'f'; DL4J 1.0.0-M2.1
 * holds the same values as rank-1 [n] arrays.  The order tells how the values
 * lie in the flat vector: 'f' is column-major (W[i][j] at offset + i + j*rows),
 * 'c' row-major.
 *
 * DL4J's own SameDiff layers SelfAttentionLayer, LearnedSelfAttentionLayer and
 * RecurrentAttentionLayer are laid out as DL4J does: their weights in the order
 * the layer defines them, then their biases, every weight in 'c' order
 * (SelfAttentionLayer "Wq", "Wk", "Wv" [nHeads,headSize,nIn], "Wo"
 * [nHeads*headSize,nOut], only with projectInput; LearnedSelfAttentionLayer
 * first "Q" [1,nIn,nQueries]; RecurrentAttentionLayer "W" [nIn,nOut], "RW"
 * [nOut,nOut], the projections with "Wq" [nHeads,headSize,nOut], then "b"
 * [1,nOut] unless hasBias is false); their updater is the layer's "updater".
 * Convolution1DLayer's "W" is [nOut,nIn,k,1] 'c', k the first kernelSize.
 *
 * Layers and vertices whose parameter layout is not known (custom layers,
 * other SameDiff layers) make dlz_reader_read_params() fail with DLZ_EUNSUPPORTED and
 * a message naming the layer and its class; the table is never guessed unless
 * the caller asks for it with DLZ_PARAMS_ASSUME_DENSE (see there), and then
 * every guessed layer is flagged.
 *
 * A dlz_params handle does not depend on the reader it came from.  Functions
 * that can fail for a reason other than a bad argument take a non-const
 * handle and leave a one-line message in dlz_params_errmsg().
 */

/** One parameter.  Strings are borrowed from the dlz_params handle and stay
    valid until dlz_params_free(). */
typedef struct dlz_param_info {
    /** "<layer>/<key>", e.g. "0/W", "dense1/b", "0/fRW" */
    const char *name;
    /** MultiLayerNetwork: the layer index as text ("0"); graph: the vertex name.
        DL4J's paramTable() key is layer + "_" + key. */
    const char *layer;
    /** MultiLayerNetwork: the layer index; graph: DL4J's vertex index (network
        inputs first, then the vertices in configuration order) */
    int64_t layer_index;
    /** "DenseLayer", "LSTM", "Bidirectional(LSTM)", "FrozenLayer(DenseLayer)"... */
    const char *layer_type;
    /** "W", "b", "RW", "gamma", "fW", "pZXMeanW", ... */
    const char *key;
    int rank;
    int64_t shape[DLZ_MAX_RANK];
    /** 'f' or 'c': how the values lie in the flat vector */
    char order;
    /** first value in the flat coefficients vector */
    int64_t offset;
    /** number of values (the product of the shape) */
    int64_t length;
    /** its updater: "Adam", "Nesterovs", "NoOp", ...; NULL when the updater
        layout is unknown (see dlz_params_updater_status()) */
    const char *updater;
    /** updater state values per parameter value (0..3), or -1 when unknown */
    int state_count;
    /** 1 when the parameter belongs to a layer of unknown class laid out by
        the DLZ_PARAMS_ASSUME_DENSE guess, else 0.  @since 0.1.0 */
    int assumed;
} dlz_param_info;

/** One layer (MultiLayerNetwork) or vertex (graph; network inputs excluded),
    in table order.  Strings borrowed as for dlz_param_info. */
typedef struct dlz_layer_info {
    /** as dlz_param_info.layer */
    const char *name;
    /** the configured "layerName", or NULL */
    const char *layer_name;
    /** as dlz_param_info.layer_index */
    int64_t index;
    /** as dlz_param_info.layer_type; "MergeVertex" etc. for vertices without
        a layer */
    const char *type;
    /** the Java class as written ("org.deeplearning4j.nn.conf.layers.DenseLayer")
        or the legacy type name ("dense") */
    const char *class_name;
    /** index of its first parameter in the table, and how many it has */
    size_t first_param;
    size_t param_count;
    /** its values in the flat vector: [offset, offset + length) */
    int64_t offset;
    int64_t length;
    /** 1 when the layer (or the layer it wraps) is of an unknown class and its
        parameters were laid out by the DLZ_PARAMS_ASSUME_DENSE guess, else 0.
        @since 0.1.0 */
    int assumed;
} dlz_layer_info;

/**
 * Flag of dlz_reader_read_params() and dlz_params_parse(): lay out a layer of
 * an unknown class (a custom layer) as a DenseLayer instead of failing.
 *
 * The parameter layout of a custom layer is defined by its Java class, which
 * the archive does not hold, so this is a guess: when the layer's fields have
 * integer sizes "nIn" and "nOut" ("nin" / "nout" in the JSON), it gets
 *   W [nIn,nOut] 'f', then b [1,nOut] unless "hasBias" is false,
 * and its updater state is laid out like a DenseLayer's, with the updaters the
 * layer configures ("iupdater", "biasUpdater" for b, or the legacy "updater").
 * That is the layout of DL4J's own custom-layer example (the CustomLayer of
 * DL4J's regression tests, which extends FeedForwardLayer and uses
 * DefaultParamInitializer); a custom layer with other parameters gets a wrong
 * table, which dlz_params_check() catches only when the total differs.
 *
 * Every guessed layer is flagged: dlz_layer_info.assumed and
 * dlz_param_info.assumed are 1 for it and its parameters, and
 * dlz_params_assumed_count() counts such layers.  An unknown layer without
 * integer sizes (or with a "hasBias" that is not a boolean), an unknown layer
 * class of DL4J's own configuration packages (org.deeplearning4j.nn.*, whose
 * layouts are not dense) and an unknown graph vertex still fail with
 * DLZ_EUNSUPPORTED and the message naming the layer and its class.
 * @since 0.1.0
 */
#define DLZ_PARAMS_ASSUME_DENSE 0x1u

/**
 * As dlz_reader_read_params(), from configuration.json text of @p len bytes
 * (it need not be NUL-terminated), with @p flags 0 or DLZ_PARAMS_ASSUME_DENSE.
 * On success *out is yours (dlz_params_free()); on failure a one-line message
 * is written to @p errbuf.
 * @return as dlz_reader_read_params().  @since 0.1.0
 */
DLZ_API int dlz_params_parse(const char *json, size_t len, unsigned flags, dlz_params **out,
                             char *errbuf, size_t errbuf_size);

/** Number of layers / vertices whose layout was guessed (dlz_layer_info.assumed);
    always 0 without DLZ_PARAMS_ASSUME_DENSE.  @since 0.1.0 */
DLZ_API size_t dlz_params_assumed_count(const dlz_params *p);

/** Releases the table; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_params_free(dlz_params *p);

/** Message of the last failure on this handle: one line, borrowed, valid until
    the next call on it. @since 0.1.0 */
DLZ_API const char *dlz_params_errmsg(const dlz_params *p);

/** DLZ_KIND_MULTILAYER or DLZ_KIND_GRAPH. @since 0.1.0 */
DLZ_API dlz_kind dlz_params_kind(const dlz_params *p);

/** Number of parameters (0 for a model without parameters). @since 0.1.0 */
DLZ_API size_t dlz_params_count(const dlz_params *p);

/** Number of values all parameters need: the expected coefficients length.
    @since 0.1.0 */
DLZ_API int64_t dlz_params_total(const dlz_params *p);

/** Fills @p info for parameter @p i (0 <= i < count).
    @return DLZ_OK or DLZ_EMISUSE (NULL or index out of range). @since 0.1.0 */
DLZ_API int dlz_params_get(const dlz_params *p, size_t i, dlz_param_info *info);

/** Index of the parameter called @p name ("0/W").
    @return DLZ_OK, DLZ_ENOTFOUND or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_params_find(const dlz_params *p, const char *name, size_t *index);

/** Number of layers / vertices in the table, parameterless ones included.
    @since 0.1.0 */
DLZ_API size_t dlz_params_layer_count(const dlz_params *p);

/** Fills @p info for layer @p i. @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_params_layer(const dlz_params *p, size_t i, dlz_layer_info *info);

/**
 * Checks that @p coefficients (a vector; NULL for a model without parameters)
 * has exactly dlz_params_total() values.
 * @return DLZ_OK, DLZ_EFORMAT with a message naming the first layer that does
 *         not fit ("coefficients have 40 values; layer 1 'output' (OutputLayer)
 *         needs values 25..42"), DLZ_EMISUSE.  @since 0.1.0
 */
DLZ_API int dlz_params_check(dlz_params *p, const dlz_array *coefficients);

/**
 * Copies parameter @p i out of @p coefficients (the model's flat vector, any
 * vector shape) into a new dense array of the parameter's shape and the
 * coefficients' data type, laid out in @p order: 'c' (row-major) or 'f'
 * (column-major).  The logical values are the same either way;
 * dlz_array_to_f64() reads both in row-major order.  *out is yours
 * (dlz_array_free()).
 * @return DLZ_OK, DLZ_EMISUSE (bad index, order or pointer), DLZ_EFORMAT (the
 *         vector is too short or not a vector), DLZ_ELIMIT, DLZ_ENOMEM.
 * @since 0.1.0
 */
DLZ_API int dlz_params_extract(dlz_params *p, size_t i, const dlz_array *coefficients, char order,
                               dlz_array **out);

/* Updater state layout.  DL4J walks the parameters in table order and puts
   consecutive parameters whose updater configurations are equal (same class
   and hyper-parameters; pretraining parameters only within their own layer)
   in one block.  Each block owns state-size x (its values) state values,
   stored as one sub-array per state kind ("m" for the whole block, then
   "v", ...); the blocks follow each other.  State sizes: Sgd, NoOp 0;
   Nesterovs, RmsProp, AdaGrad 1; Adam, Nadam, AdaMax, AdaDelta, AdaBelief 2;
   AMSGrad 3.  NoOp is used by BatchNormalization mean/var/log10stdev, the
   CenterLossOutputLayer centres and every parameter of a FrozenLayer or
   FrozenVertex (a FrozenLayerWithBackprop keeps the updater of the layer it
   wraps); a layer's "biasUpdater" applies to its bias parameters.  Models of
   DL4J 0.5 .. 0.8 (per-layer "updater": "NESTEROVS" enums) keep one block per
   parameter, as their LayerUpdater did. */

/** One updater block.  Strings are static. */
typedef struct dlz_updater_block {
    /** "Adam", "Nesterovs", "NoOp", "Sgd", ... */
    const char *updater;
    /** the parameters (table indices) in the block */
    size_t first_param;
    size_t param_count;
    /** the coefficients it covers: [param_offset, param_offset + param_length) */
    int64_t param_offset;
    int64_t param_length;
    /** number of state sub-arrays (0..3) */
    int state_count;
    /** "m", "v", "vHat", "msg", ...; NULL past state_count */
    const char *state_names[4];
    /** start of each sub-array in the updater state vector: the state k of
        coefficient param_offset + j is at state_offset[k] + j */
    int64_t state_offset[4];
    /** state_count * param_length */
    int64_t state_length;
} dlz_updater_block;

/**
 * Whether the updater layout is known: DLZ_OK, or the reason it is not
 * (DLZ_EUNSUPPORTED for an unknown updater class, DLZ_EFORMAT for a layer with
 * parameters but no updater), with the message in dlz_params_errmsg().  The
 * other updater functions then fail with the same code.  @since 0.1.0
 */
DLZ_API int dlz_params_updater_status(dlz_params *p);

/** Number of updater blocks (0 when the layout is unknown). @since 0.1.0 */
DLZ_API size_t dlz_params_updater_block_count(const dlz_params *p);

/** Fills @p block for block @p i. @return DLZ_OK, DLZ_EMISUSE or the status.
    @since 0.1.0 */
DLZ_API int dlz_params_updater_block(dlz_params *p, size_t i, dlz_updater_block *block);

/** Expected length of the updater state (0 when every updater is stateless),
    or -1 when the layout is unknown. @since 0.1.0 */
DLZ_API int64_t dlz_params_updater_total(const dlz_params *p);

/** Checks the length of an updater state vector (NULL when there is none) as
    dlz_params_check() does for coefficients. @since 0.1.0 */
DLZ_API int dlz_params_updater_check(dlz_params *p, const dlz_array *state);

/**
 * Copies state sub-array @p k (0 <= k < state_count; Adam: 0 = "m", 1 = "v")
 * of parameter @p i out of the updater state vector @p state into a new array
 * of the parameter's shape, as dlz_params_extract() does.
 * @return DLZ_OK, DLZ_ENOTFOUND (the parameter has no state @p k),
 *         DLZ_EMISUSE, DLZ_EFORMAT, the updater status, DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_params_extract_state(dlz_params *p, size_t i, int k, const dlz_array *state,
                                     char order, dlz_array **out);

/* ------------------------------------------------------------------------ */
/* Network description (configuration.json as layers, vertices and edges)    */

/**
 * What a model computes, layer by layer, as configuration.json describes it,
 * for every generation the parameter table reads (legacy wrapper objects of
 * 0.5 .. 1.0.0-alpha, "@class" objects from 1.0.0-beta on) and both kinds.
 *
 *   1. dlz_reader_read_network()  - or dlz_network_parse() on the JSON text
 *   2. dlz_network_input_count(), dlz_network_input(),
 *      dlz_network_output_count(), dlz_network_output()
 *   3. dlz_network_node_count(), dlz_network_node(), dlz_network_attr(),
 *      dlz_network_find_attr(), dlz_network_unknown()
 *   4. dlz_network_set_input_shape() - optional: shapes from a known input
 *   5. dlz_network_free()         - NULL-safe
 *
 * Nodes.  MultiLayerNetwork: one node per layer, in order, named "0", "1",
 * ...; its input is called "input" and its output is the last layer.
 * ComputationGraph: one node per vertex, in the topological order of the
 * parameter table; network inputs are not nodes.  Node i is layer i of the
 * parameter table (dlz_params_layer()) when both exist.  Layers without
 * parameters (subsampling, dropout, activation...) are nodes like the others.
 *
 * Types.  dlz_net_node.type is the parameter table's ("Bidirectional(LSTM)",
 * "FrozenLayer(DenseLayer)", "MergeVertex"); base_type is the innermost class
 * ("LSTM").  A wrapper adds attributes instead of hiding the layer:
 * FrozenLayer, FrozenLayerWithBackprop and FrozenVertex "frozen",
 * Bidirectional "bidirectional_mode", LastTimeStep "last_time_step",
 * TimeDistributed "time_distributed", MaskZeroLayer "mask_zero" and
 * "mask_value".  The wrapper's own nIn and nOut are not repeated: the wrapped
 * layer's are.
 *
 * Attributes.  Every field of a layer or vertex that defines what it computes
 * becomes a typed attribute, under these names (JSON field in parentheses;
 * the legacy and the "@class" spellings both count):
 *   n_in, n_out (nin, nout), has_bias (hasBias, useBias), layer_norm
 *   (hasLayerNorm), activation and gate_activation (activationFn,
 *   activationFunction, activation; gateActivationFn): TEXT, the ND4J class
 *   without its "Activation" prefix ("ReLU", "LReLU", "TanH", "Sigmoid",
 *   "Softmax", "HardSigmoid", ...), with each parameter as
 *   "activation.<field>" ("activation.alpha"); loss (lossFn, lossFunction):
 *   the class without "Loss" ("MCXENT", "MSE", "NegativeLogLikelihood") and
 *   "loss.<field>"; dropout (idropout, dropOut): "Dropout", "AlphaDropout",
 *   "GaussianDropout", ... and "dropout.<field>" ("dropout.p"; kept for
 *   training, identity at inference); kernel, stride, padding, dilation
 *   (kernelSize, stride, padding, dilation: INTS; one value for the 1-D
 *   layers, which DL4J reads from the first); convolution_mode ("Truncate",
 *   "Same", "Strict", "Causal"; "Truncate" when not stored, as in 0.5);
 *   data_format ("NCHW", "NHWC", "NCW", "NWC", "NCDHW", "NDHWC"; the default
 *   of the layer's family when not stored); pooling (poolingType), pnorm,
 *   eps, avg_pool_include_pad, pooling_dimensions, collapse_dimensions;
 *   forget_gate_bias (forgetGateBiasInit); depth_multiplier; size
 *   (Upsampling), cropping, padding (ZeroPadding: top, bottom, left, right);
 *   lock_gamma_beta, use_log_std, gamma, beta, eps (BatchNormalization); k,
 *   n, alpha, beta (LocalResponseNormalization); n_heads, head_size,
 *   project_input, n_queries (attention layers); input_length,
 *   infer_input_length (EmbeddingSequenceLayer); input_shape, shared_axes
 *   (PReLULayer); time_distributed_format; vertices: merge_axis, op
 *   (ElementWiseVertex), from, to, stack_size, scale_factor, shift_factor,
 *   dimension, new_shape, reshape_order, mask_shape, input_name,
 *   mask_input_name; the preprocessor's fields as "preprocessor.<field>".
 * Fields that only concern training (updaters, regularization, weight
 * initialisation, gradient normalisation, constraints, weight noise, cuDNN
 * choices...) are left out.  Any other field, and any class that is not
 * known (a custom layer, an activation or preprocessor of another package),
 * is reported by name in the node's "unknown" list, never dropped silently;
 * a layer of unknown class has no attributes.
 *
 * Shapes.  dlz_net_node.in_shape (after the preprocessor) and out_shape are
 * the shapes of one batch, batch first, -1 where unknown (always the batch):
 * FF [N,size], NCW [N,size,T], NWC [N,T,size], NCHW [N,C,H,W], NHWC
 * [N,H,W,C], NCDHW, NDHWC.  configuration.json does not record the network's
 * input type: an input takes the shape the first layer reading it expects
 * (its nIn as the size or channels, the rest unknown), preprocessors add the
 * heights and widths they record, and shapes flow through every layer whose
 * computation is known.  dlz_network_set_input_shape() gives an input its shape and
 * computes the rest again (the exact sizes of convolutions, poolings,
 * paddings...).  Shapes are those of the activations DL4J computes, which
 * is not always what DL4J's own getOutputType() says (DL4J 1.0.0-M2.1 keeps
 * a time series type after a GlobalPoolingLayer that outputs [N,size]).
 *
 * A dlz_network does not depend on the reader it came from; it is not
 * changed after dlz_network_set_input_shape() returns, and may then be read
 * by several threads.
 */

/** Types of attribute values. */
typedef enum dlz_attr_type {
    DLZ_ATTR_INT = 1,   /**< ints[0] */
    DLZ_ATTR_INTS = 2,  /**< ints[0..count) */
    DLZ_ATTR_REAL = 3,  /**< reals[0] */
    DLZ_ATTR_REALS = 4, /**< reals[0..count) */
    DLZ_ATTR_BOOL = 5,  /**< ints[0]: 0 or 1 */
    DLZ_ATTR_TEXT = 6   /**< text */
} dlz_attr_type;

/** One attribute.  Pointers are borrowed from the network, valid until
    dlz_network_free(). */
typedef struct dlz_net_attr {
    const char *name;
    dlz_attr_type type;
    /** number of values (1 for INT, REAL, BOOL and TEXT) */
    size_t count;
    const int64_t *ints;
    const double *reals;
    const char *text;
} dlz_net_attr;

/** The shape of a batch of activations. */
typedef struct dlz_net_shape {
    /** 0 when nothing is known */
    int rank;
    /** batch first; -1 where unknown */
    int64_t dims[DLZ_MAX_RANK];
    /** "FF", "NCW", "NWC", "NCHW", "NHWC", "NCDHW", "NDHWC"; static, NULL
        when rank is 0 */
    const char *format;
} dlz_net_shape;

/** One layer or vertex.  Strings are borrowed from the network. */
typedef struct dlz_net_node {
    /** as dlz_layer_info.name: "0" or the vertex name */
    const char *name;
    /** the configured "layerName", or NULL */
    const char *layer_name;
    /** as dlz_layer_info.index */
    int64_t index;
    /** as dlz_layer_info.type */
    const char *type;
    /** the innermost class's simple name ("LSTM", "MergeVertex") */
    const char *base_type;
    /** the Java class as written, or the legacy type name */
    const char *class_name;
    /** 1 when the class (and every class it wraps) is known */
    int known;
    /** the input preprocessor's simple class name
        ("CnnToFeedForwardPreProcessor"), or NULL */
    const char *preprocessor;
    /** the names of its inputs, in order: network inputs or nodes */
    size_t input_count;
    const char *const *inputs;
    size_t attr_count;
    /** fields and classes reported as unknown (dlz_network_unknown()) */
    size_t unknown_count;
    dlz_net_shape in_shape;
    dlz_net_shape out_shape;
} dlz_net_node;

/**
 * Builds the network description of the open archive from its
 * configuration.json.  Unknown classes and fields do not fail: they are
 * listed per node.  On success *out is yours (dlz_network_free()).
 * @return DLZ_OK, DLZ_EMISUSE (NULL argument, nothing open, a bare array
 *         file), DLZ_EFORMAT (not a MultiLayerNetwork or ComputationGraph
 *         configuration, a malformed layer or vertex object, a graph with a
 *         cycle or an unknown input name...), DLZ_ELIMIT, DLZ_ENOMEM; the
 *         reader's message names the layer.  @since 0.1.0
 */
DLZ_API int dlz_reader_read_network(dlz_reader *r, dlz_network **out);

/**
 * As dlz_reader_read_network(), from configuration.json text of @p len bytes
 * (it need not be NUL-terminated).  On failure a one-line message is written
 * to @p errbuf.  @return as dlz_reader_read_network().  @since 0.1.0
 */
DLZ_API int dlz_network_parse(const char *json, size_t len, dlz_network **out, char *errbuf,
                              size_t errbuf_size);

/** Releases the description; NULL allowed. @since 0.1.0 */
DLZ_API void dlz_network_free(dlz_network *n);

/** DLZ_KIND_MULTILAYER or DLZ_KIND_GRAPH. @since 0.1.0 */
DLZ_API dlz_kind dlz_network_kind(const dlz_network *n);

/** Number of network inputs (1 for a MultiLayerNetwork). @since 0.1.0 */
DLZ_API size_t dlz_network_input_count(const dlz_network *n);

/** Name of network input @p i ("input" for a MultiLayerNetwork); borrowed;
    NULL when out of range. @since 0.1.0 */
DLZ_API const char *dlz_network_input(const dlz_network *n, size_t i);

/** Number of network outputs. @since 0.1.0 */
DLZ_API size_t dlz_network_output_count(const dlz_network *n);

/** Name of the node that is network output @p i; borrowed; NULL when out of
    range. @since 0.1.0 */
DLZ_API const char *dlz_network_output(const dlz_network *n, size_t i);

/** Number of nodes (layers or vertices). @since 0.1.0 */
DLZ_API size_t dlz_network_node_count(const dlz_network *n);

/** Fills @p info for node @p i. @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_network_node(const dlz_network *n, size_t i, dlz_net_node *info);

/** Fills @p attr with attribute @p k (0 <= k < attr_count) of node @p i, in
    the order of the configuration's fields.
    @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_network_attr(const dlz_network *n, size_t i, size_t k, dlz_net_attr *attr);

/** Fills @p attr with the attribute called @p name of node @p i.
    @return DLZ_OK, DLZ_ENOTFOUND or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_network_find_attr(const dlz_network *n, size_t i, const char *name,
                                  dlz_net_attr *attr);

/** What node @p i holds that is not known, entry @p k (0 <= k <
    unknown_count): "field 'x'", "class com.acme.MyLayer", "activation class
    com.acme.MyActivation", ...; borrowed; NULL when out of range.
    @since 0.1.0 */
DLZ_API const char *dlz_network_unknown(const dlz_network *n, size_t i, size_t k);

/**
 * Sets the shape of network input @p i (batch first; -1 for the batch and
 * any size not known; @p shape->format as in dlz_net_shape) and computes the
 * shapes of every node again from the inputs' shapes.
 * @return DLZ_OK, DLZ_EMISUSE (bad index, rank or format), DLZ_ENOMEM.
 * @since 0.1.0
 */
DLZ_API int dlz_network_set_input_shape(dlz_network *n, size_t i, const dlz_net_shape *shape);

/* ------------------------------------------------------------------------ */
/* Export: safetensors, NumPy .npy and .npz                                  */
/*
 * Writes arrays as named tensors for other frameworks: a safetensors file, a
 * NumPy .npz archive or one bare NumPy .npy file.  Every tensor is written in
 * row-major (C) order of its shape, little-endian, whatever the strides of
 * the array, in its own data type:
 *
 *   dlz_dtype  safetensors  .npy      dlz_dtype  safetensors  .npy
 *   DOUBLE     F64          <f8       SHORT      I16          <i2
 *   FLOAT      F32          <f4       BYTE       I8           |i1
 *   HALF       F16          <f2       UBYTE      U8           |u1
 *   BFLOAT16   BF16         -         BOOL       BOOL         |b1
 *   LONG       I64          <i8       UINT16     U16          <u2
 *   INT        I32          <i4       UINT32     U32          <u4
 *                                     UINT64     U64          <u8
 *
 * NumPy has no bfloat16: a BFLOAT16 array cannot go into a .npy or .npz file
 * (convert it with dlz_array_to_f32(); dlz_export_put_model() does that).
 *
 *   1. dlz_export_new()                      - NULL only when out of memory
 *   2. dlz_export_open_path() / _FILE() / _fd() / _memory() / _io() with a
 *      dlz_export_format
 *   3. dlz_export_put(), dlz_export_put_model(), dlz_export_set_metadata()
 *   4. dlz_export_close()                    - writes what is staged, then
 *                                              commits a path target
 *   5. dlz_export_memory()                   - for memory output
 *   6. dlz_export_free()                     - NULL-safe; discards an unclosed
 *                                              export
 *
 * Formats:
 *  - DLZ_EXPORT_SAFETENSORS: an 8-byte little-endian header size, a JSON
 *    header padded with spaces to a multiple of 8 bytes ("__metadata__"
 *    first when there is any, then the tensors), then the data of every
 *    tensor back to back.  The data are ordered by decreasing element size,
 *    then in the order of the puts, so that every tensor starts at a
 *    multiple of its element size; the header lists them in the same order.
 *    The header needs every shape and offset before the first byte of data,
 *    so dlz_export_put() only stages a tensor and dlz_export_close() writes
 *    them all: the arrays are BORROWED and must stay valid and unchanged
 *    until dlz_export_close() returns (or dlz_export_free() for an export
 *    that is not closed).  Nothing is copied: an export of arrays of N bytes
 *    needs about N bytes of memory, not 2N.
 *  - DLZ_EXPORT_NPZ: a zip archive with one member "<name>.npy" per tensor,
 *    stored (not compressed), as numpy.savez() writes it: numpy.load()
 *    reads it.  dlz_export_put() writes the member at once; the array is
 *    read twice during the call (once for the member's CRC-32, which comes
 *    before the data) and not kept.  ZIP64 records are added only where a
 *    size, offset or count needs them.  Every member has the time
 *    1980-01-01 00:00, so that the same tensors give the same bytes.
 *  - DLZ_EXPORT_NPY: one .npy file holding exactly one array, written by
 *    dlz_export_put() (the name is not written and may be NULL).
 *  - DLZ_EXPORT_ONNX: the network itself as an ONNX ModelProto (opset 17,
 *    IR version 8), made by dlz_export_put_model() (flags 0) from the
 *    network description, the parameter table and the coefficients: every
 *    layer and vertex becomes ONNX operators, the weights converted to
 *    ONNX's layouts in the coefficients' type (FLOAT or DOUBLE models only;
 *    DLZ_EUNSUPPORTED otherwise).  Inputs and outputs keep DL4J's layouts
 *    ([N,size], the layer's image format, [N,size,T] or [N,T,size]); a
 *    MultiLayerNetwork's are "input" and "output", a graph's keep their
 *    names.  A layer, attribute, preprocessor or vertex that is not
 *    translated exactly fails with DLZ_EUNSUPPORTED and a message naming the
 *    layer.  dlz_export_put() is refused (DLZ_EMISUSE); metadata go into
 *    ModelProto.metadata_props.  One model per file.
 *  - DLZ_EXPORT_ND4J, DLZ_EXPORT_ND4J_JAVACPP: one bare ND4J array file, the
 *    file Nd4j.write() writes and dlz_reader_open_path() reads back as
 *    DLZ_KIND_ARRAY: exactly one array of any data type (JAVACPP: FLOAT,
 *    DOUBLE and HALF), written by dlz_export_put() as a dense 'c' record of
 *    its own shape, in big-endian byte order as ND4J writes it (the name is
 *    not written and may be NULL).  Unlike the other formats it is not
 *    a tensor file for other frameworks but the array record of the
 *    coefficients entries (dlz-format(5)).
 * .npy data (in .npy and .npz files) follows a version 1.0 header padded to
 * a multiple of 64 bytes, with fortran_order False.
 *
 * Names: valid UTF-8, not empty, each at most once per file; "__metadata__"
 * is reserved in safetensors files; at most 65531 bytes in .npz files.
 *
 * Errors: a put refused before anything was written (a bad or repeated
 * name, a data type the format cannot hold, a second array for a .npy file)
 * leaves the export as it was, with the reason in dlz_export_errmsg().  A
 * failure while writing makes the export failed: later puts fail with
 * DLZ_EMISUSE, and dlz_export_close() discards the output and returns the
 * first failure's code with its message.  Whenever an export is not
 * completed (a failed close, or free without close), a path target is left
 * as it was and no temporary file remains.
 */

/** Output formats of dlz_export. */
typedef enum dlz_export_format {
    DLZ_EXPORT_SAFETENSORS = 0, /**< safetensors: JSON header, then the data */
    DLZ_EXPORT_NPZ = 1,         /**< NumPy .npz: a zip of stored .npy members */
    DLZ_EXPORT_NPY = 2,         /**< one NumPy .npy file of exactly one array */
    DLZ_EXPORT_ONNX = 3,        /**< an ONNX model: the network and its weights */
    /** one bare ND4J array file (Nd4j.write), a MIXED_DATA_TYPES record:
        DL4J 1.0.0-beta4 and later.  @since 0.1.0 */
    DLZ_EXPORT_ND4J = 4,
    /** one bare ND4J array file, a JAVACPP record (FLOAT, DOUBLE and HALF
        only): every DL4J.  @since 0.1.0 */
    DLZ_EXPORT_ND4J_JAVACPP = 5
} dlz_export_format;

/** A new export, or NULL when out of memory. @since 0.1.0 */
DLZ_API dlz_export *dlz_export_new(void);
/** Releases the export; one still open is discarded (a path target is left
    untouched and its temporary file removed).  NULL allowed. @since 0.1.0 */
DLZ_API void dlz_export_free(dlz_export *e);

/**
 * Starts a file of @p format.
 * _path: written to a temporary file in the same directory, which
 *   dlz_export_close() fsyncs and renames over @p path, then fsyncs the
 *   directory (see dlz_writer_open_path()).
 * _FILE, _fd, _io: written strictly sequentially (pipes are fine);
 *   ownership as described at DLZ_KEEP_OPEN; a FILE * is flushed, not
 *   closed, with DLZ_KEEP_OPEN.
 * _memory: into a growing buffer, see dlz_export_memory().
 * An export can be opened again after it was closed.
 * @return DLZ_OK, DLZ_EMISUSE (already open, an unknown format, bad
 *         arguments, a path that is a directory), DLZ_EIO (the temporary
 *         file cannot be created), DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API DLZ_NODISCARD int dlz_export_open_path(dlz_export *e, dlz_export_format format,
                                               const char *path);
DLZ_API DLZ_NODISCARD int dlz_export_open_FILE(dlz_export *e, dlz_export_format format, FILE *fp,
                                               unsigned flags);
DLZ_API DLZ_NODISCARD int dlz_export_open_fd(dlz_export *e, dlz_export_format format, int fd,
                                             unsigned flags);
DLZ_API DLZ_NODISCARD int dlz_export_open_memory(dlz_export *e, dlz_export_format format);
DLZ_API DLZ_NODISCARD int dlz_export_open_io(dlz_export *e, dlz_export_format format,
                                             const dlz_io *io, void *user, unsigned flags);

/**
 * Adds array @p a (any data type the format holds, any shape and strides,
 * rank 0 and empty arrays included) as tensor @p name: staged, borrowed
 * until close, for safetensors; written at once, and only read during the
 * call, for .npz, .npy and ND4J array files (see above).
 * @return DLZ_OK; DLZ_EMISUSE (not open or failed, NULL array, a bad or
 *         repeated name, a second array for .npy or an ND4J array file);
 *         DLZ_EUNSUPPORTED (a data type the format cannot hold: BFLOAT16
 *         in .npz and .npy, other than FLOAT, DOUBLE and HALF in a JAVACPP
 *         record); DLZ_ELIMIT (a JAVACPP record beyond its 32-bit fields);
 *         DLZ_EIO; DLZ_ELIMIT (memory output beyond SIZE_MAX); DLZ_ENOMEM.
 * @since 0.1.0
 */
DLZ_API int dlz_export_put(dlz_export *e, const char *name, const dlz_array *a);

/**
 * Sets the safetensors metadata entry @p key to @p value (both UTF-8,
 * copied); a key set before keeps its place and gets the new value.
 * Metadata go into the header's "__metadata__" object, in the order the
 * keys were first set; without any, the header has no "__metadata__".
 * @return DLZ_OK; DLZ_EMISUSE (not open or failed, NULL, not UTF-8);
 *         DLZ_EUNSUPPORTED (a .npz, .npy or ND4J export: those have no
 *         metadata);
 *         DLZ_ENOMEM.  @since 0.1.0
 */
DLZ_API int dlz_export_set_metadata(dlz_export *e, const char *key, const char *value);

/** Flags of dlz_export_put_model(); DLZ_PARAMS_ASSUME_DENSE (0x1) is
    accepted too and passed on to dlz_reader_read_params(). */
#define DLZ_EXPORT_UPDATER 0x2u    /**< add the optimizer state */
#define DLZ_EXPORT_NORMALIZER 0x4u /**< add the normalizer's statistics */

/**
 * Exports the model archive open in @p r, as "dlz export" does, to a
 * safetensors or .npz export (DLZ_EMISUSE for .npy and ND4J array files):
 *  - every parameter of the table (dlz_reader_read_params()) as
 *    "<layer>/<key>" (dlz_param_info.name: "0/W", "dense1/b"), in table
 *    order, with DL4J's shape and the coefficients' data type;
 *  - with DLZ_EXPORT_UPDATER, each parameter's optimizer state as
 *    "updater/<layer>/<key>/<state>" with the state names of
 *    dlz_updater_block ("m", "v" for Adam ...), block by block; nothing for
 *    stateless updaters; DLZ_ENOTFOUND when the archive has no
 *    updaterState.bin although its updaters keep state;
 *  - with DLZ_EXPORT_NORMALIZER (DLZ_ENOTFOUND when there is no
 *    normalizer.bin), its statistics as "normalizer/<field>" (mean, std,
 *    labelMean, labelStd; min, max, labelMin, labelMax), for the
 *    multi-normalizers "normalizer/<field>/<index>" (featureMean/0,
 *    labelStd/1 ...; featureMin ...), for MULTI_HYBRID
 *    "normalizer/inputStats/<index>/<stat>" and "outputStats" (mean and
 *    std, or lower and upper), and its ranges as 0-d DOUBLE tensors
 *    (targetMin, targetMax; minRange, maxRange, maxPixelVal);
 *    DLZ_EUNSUPPORTED for types without statistics (CUSTOM ...).
 * BFLOAT16 tensors are widened to FLOAT (exactly) in .npz files.  For
 * safetensors the metadata get "source" = "dl4j", "kind"
 * (dlz_kind_name()), "dl4j_configuration" (configuration.json; a file that
 * is not UTF-8 is read as Latin-1) and, with the normalizer,
 * "dl4j_normalizer" (dlz_normalizer_to_json()).
 * Everything is read and checked before anything is staged or written: a
 * failure there (the reader's, the parameter table's, two tensors with one
 * name, a name already put) leaves the export as it was; a later one makes
 * it failed.  The
 * arrays are kept by the export as long as it needs them: @p r may be closed
 * or freed after the call.  The message of a failure is on @p e, also when
 * it comes from reading @p r; dlz_export_syserr() is nonzero only for
 * failures of the output.
 * @return DLZ_OK; DLZ_EMISUSE (not open or failed, bad flags, a bare array
 *         file, .npy, ND4J); DLZ_ENOTFOUND (see above); DLZ_EUNSUPPORTED (two
 *         tensors would have one name, a normalizer without statistics);
 *         the codes of the reader, dlz_params_check(),
 *         dlz_params_updater_check() and dlz_export_put().  @since 0.1.0
 */
DLZ_API int dlz_export_put_model(dlz_export *e, dlz_reader *r, unsigned flags);

/**
 * Finishes the file: writes the staged safetensors tensors, or the zip
 * directory, flushes, and commits a path target (fsync, rename, fsync of
 * the directory) or closes an owned stream.  On failure a path target is
 * untouched.  A .npy or ND4J export needs its array (DLZ_EMISUSE
 * otherwise).
 * Afterwards the borrowed arrays are no longer used and the export is
 * closed, whatever the result.
 * @return DLZ_OK; DLZ_EMISUSE (not open, .npy without an array); the first
 *         failure of a failed export; DLZ_EIO; DLZ_ELIMIT (a safetensors
 *         header above 100000000 bytes, which readers refuse); DLZ_ENOMEM.
 * @since 0.1.0
 */
DLZ_API DLZ_NODISCARD int dlz_export_close(dlz_export *e);

/** For an export opened with dlz_export_open_memory(), after a successful
    close: the bytes, borrowed until the export is opened again or freed.
    @return DLZ_OK or DLZ_EMISUSE. @since 0.1.0 */
DLZ_API int dlz_export_memory(const dlz_export *e, const void **buf, size_t *len);

/** Last error of this export: one line, borrowed, valid until the next
    call. @since 0.1.0 */
DLZ_API const char *dlz_export_errmsg(const dlz_export *e);
/** errno of the last DLZ_EIO failure of the output, else 0. @since 0.1.0 */
DLZ_API int dlz_export_syserr(const dlz_export *e);

#ifdef __cplusplus
}
#endif

#endif /* DLZ_H */
