/* test_export.c - dlz_export: safetensors, .npz and .npy files from arrays of
 * every data type and layout (dense, column-major, strided with gaps,
 * permuted, size-1 dimensions with odd strides, rank 0, empty, larger than
 * the 64 KiB chunks), through every kind of output, read back by NumPy and
 * the safetensors package (export_check.py arrays); a ZIP64 .npz forced by
 * lowered limits; refused puts, I/O failures and allocation failures, with
 * path targets left as they were and no temporary file behind; bare ND4J
 * array files byte-identical to the records DL4J wrote (coefficients of the
 * fixtures, Nd4j.write files of the corpus).
 *
 * Arguments: PYTHON EXPORT_CHECK_PY (without them the read-back is skipped).
 * Values: element i (row-major index) of a tensor with seed s holds the
 * value of v(i + s), a formula that export_check.py computes again. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const char *python_exe, *checker;

/* ---- test arrays -------------------------------------------------------------- */

static const dlz_dtype all_types[] = {
    DLZ_DTYPE_DOUBLE, DLZ_DTYPE_FLOAT,  DLZ_DTYPE_HALF,   DLZ_DTYPE_BFLOAT16, DLZ_DTYPE_LONG,
    DLZ_DTYPE_INT,    DLZ_DTYPE_SHORT,  DLZ_DTYPE_BYTE,   DLZ_DTYPE_UBYTE,    DLZ_DTYPE_BOOL,
    DLZ_DTYPE_UINT16, DLZ_DTYPE_UINT32, DLZ_DTYPE_UINT64,
};
#define NTYPES (sizeof all_types / sizeof all_types[0])

/* safetensors' name of a type, as the manifest and the checker use it. */
static const char *code(dlz_dtype t) {
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
    case DLZ_DTYPE_BYTE:
        return "I8";
    case DLZ_DTYPE_UBYTE:
        return "U8";
    case DLZ_DTYPE_BOOL:
        return "BOOL";
    case DLZ_DTYPE_UINT16:
        return "U16";
    case DLZ_DTYPE_UINT32:
        return "U32";
    case DLZ_DTYPE_UINT64:
        return "U64";
    }
    return "?";
}

/* Layouts: shape, strides (in elements; none: dense from dlz_array_new in
   the order given) and the buffer size they need. */
typedef struct layout {
    const char *name;
    int rank;
    int64_t shape[3];
    int64_t strides[3];
    int64_t buffer; /* 0: dense */
    char order;
} layout;

static const layout layouts[] = {
    {"c", 3, {2, 3, 4}, {0}, 0, 'c'},
    {"f", 2, {3, 5}, {0}, 0, 'f'},
    {"strided", 2, {3, 4}, {9, 2}, 30, 'c'},        /* gaps between rows and columns */
    {"permuted", 3, {2, 3, 4}, {4, 8, 1}, 24, 'c'}, /* the first two axes swapped */
    {"ones", 3, {1, 5, 1}, {7, 3, 11}, 13, 'c'},    /* odd strides on size-1 axes */
    {"vector", 1, {7}, {3}, 21, 'c'},
    {"scalar", 0, {0}, {0}, 0, 'c'},
    {"empty", 2, {0, 3}, {0}, 0, 'c'},
    {"large_f", 2, {150, 131}, {0}, 0, 'f'}, /* more than 64 KiB, converted */
    {"large_c", 2, {150, 131}, {0}, 0, 'c'}, /* more than 64 KiB, passed through */
};
#define NLAYOUTS (sizeof layouts / sizeof layouts[0])

/* Stores v(i) of type t at p (native byte order). */
static void store(dlz_dtype t, unsigned char *p, uint64_t i) {
    int64_t s = (int64_t)((i * 7919u) % 251u) - 125;
    uint64_t u = (i * 7919u) % 251u;
    double f = ((double)((i * 7919u) % 61u) - 30.0) * 0.5;
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        memcpy(p, &f, 8);
        break;
    case DLZ_DTYPE_FLOAT: {
        float x = (float)f;
        memcpy(p, &x, 4);
        break;
    }
    case DLZ_DTYPE_HALF: {
        uint16_t h = dlzi_float_to_half((float)f);
        memcpy(p, &h, 2);
        break;
    }
    case DLZ_DTYPE_BFLOAT16: {
        uint16_t h = dlzi_float_to_bf16((float)f);
        memcpy(p, &h, 2);
        break;
    }
    case DLZ_DTYPE_LONG: {
        int64_t x = s * INT64_C(1099511627791);
        memcpy(p, &x, 8);
        break;
    }
    case DLZ_DTYPE_INT: {
        int32_t x = (int32_t)(s * 16777213);
        memcpy(p, &x, 4);
        break;
    }
    case DLZ_DTYPE_SHORT: {
        int16_t x = (int16_t)(s * 251);
        memcpy(p, &x, 2);
        break;
    }
    case DLZ_DTYPE_BYTE: {
        int8_t x = (int8_t)s;
        memcpy(p, &x, 1);
        break;
    }
    case DLZ_DTYPE_UBYTE:
        *p = (unsigned char)u;
        break;
    case DLZ_DTYPE_BOOL:
        *p = (i * 7919u) % 3u == 0 ? 2 : 0; /* not 1: the export must write 0/1 */
        break;
    case DLZ_DTYPE_UINT16: {
        uint16_t x = (uint16_t)(u * 257u);
        memcpy(p, &x, 2);
        break;
    }
    case DLZ_DTYPE_UINT32: {
        uint32_t x = (uint32_t)(u * 16777217u);
        memcpy(p, &x, 4);
        break;
    }
    case DLZ_DTYPE_UINT64: {
        uint64_t x = u * UINT64_C(72057594037927941);
        memcpy(p, &x, 8);
        break;
    }
    }
}

/* An array of type t and layout l whose element i (row-major) is v(i + seed). */
static dlz_array *make(dlz_dtype t, const layout *l, uint64_t seed) {
    dlz_array *a = NULL;
    if (l->buffer == 0) {
        assert_int_equal(dlz_array_new(t, l->rank, l->shape, l->order, &a, NULL, 0), DLZ_OK);
    } else {
        int64_t n = l->buffer;
        assert_int_equal(dlz_array_new(t, 1, &n, 'c', &a, NULL, 0), DLZ_OK);
        memset(a->data, 0x5A, (size_t)n * dlz_dtype_size(t)); /* the gaps hold junk */
        a->rank = l->rank;
        a->length = 1;
        for (int d = 0; d < l->rank; d++) {
            a->shape[d] = l->shape[d];
            a->strides[d] = l->strides[d];
            a->length *= l->shape[d];
        }
    }
    size_t w = dlz_dtype_size(t);
    for (int64_t i = 0; i < a->length; i++) {
        int64_t pos = 0, rest = i;
        for (int d = a->rank - 1; d >= 0; d--) {
            pos += rest % a->shape[d] * a->strides[d];
            rest /= a->shape[d];
        }
        store(t, (unsigned char *)a->data + pos * (int64_t)w, (uint64_t)i + seed);
    }
    return a;
}

/* ---- the manifest that export_check.py reads ------------------------------------ */

typedef struct manifest {
    FILE *f;
    int files, tensors;
} manifest;

static void m_open(manifest *m, const char *path) {
    m->f = fopen(path, "w");
    assert_non_null(m->f);
    m->files = 0;
    fputs("{\"files\": [", m->f);
}

/* Starts a file entry; @p extra is more JSON members (", \"zip64\": true"). */
static void m_file(manifest *m, const char *path, const char *format, const char *extra) {
    fprintf(m->f, "%s\n {\"path\": \"%s\", \"format\": \"%s\"%s, \"tensors\": [",
            m->files++ ? "]}," : "", path, format, extra);
    m->tensors = 0;
}

static void m_tensor(manifest *m, const char *name, dlz_dtype t, const layout *l, uint64_t seed) {
    fprintf(m->f, "%s\n  {\"name\": \"%s\", \"dtype\": \"%s\", \"seed\": %llu, \"shape\": [",
            m->tensors++ ? "," : "", name, code(t), (unsigned long long)seed);
    for (int d = 0; d < l->rank; d++) {
        fprintf(m->f, "%s%lld", d ? ", " : "", (long long)l->shape[d]);
    }
    fputs("]}", m->f);
}

static void m_close(manifest *m) {
    fputs(m->files ? "]}\n]}\n" : "]}\n", m->f);
    assert_int_equal(fclose(m->f), 0);
}

/* Names in a directory besides . and .., sorted, joined by spaces. */
static void dir_listing(const char *dir, char *out, size_t cap) {
    char *names[64];
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            names[n++] = strdup(de->d_name);
        }
    }
    closedir(d);
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *x = names[j];
            names[j] = names[j - 1];
            names[j - 1] = x;
        }
    }
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
}

/* Runs export_check.py arrays MANIFEST; skips when it cannot run. */
static void run_checker(const char *manifest_path) {
    if (python_exe == NULL || checker == NULL) {
        skip();
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' arrays '%s'", python_exe, checker, manifest_path);
    int st = system(cmd);
    assert_true(st != -1);
    int code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    if (code_ == 77) {
        skip(); /* numpy or safetensors missing */
    }
    assert_int_equal(code_, 0);
}

/* ---- every type and layout, read back by NumPy and safetensors ------------------ */

static char *path_in(const char *dir, const char *name) {
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* io callbacks over a FILE *. */
static int64_t io_write(void *user, const void *buf, size_t n) {
    return fwrite(buf, 1, n, user) == n ? (int64_t)n : -1;
}
static int io_close(void *user) {
    return fclose(user) == 0 ? 0 : -1;
}

/* Opens an export of @p fmt writing @p path through output kind @p how:
   0 path, 1 FILE *, 2 descriptor, 3 callbacks, 4 memory (saved by done()). */
static void open_by(dlz_export *e, dlz_export_format fmt, const char *path, int how) {
    switch (how) {
    case 0:
        TU_OK_X(e, dlz_export_open_path(e, fmt, path));
        break;
    case 1: {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        TU_OK_X(e, dlz_export_open_FILE(e, fmt, f, 0));
        break;
    }
    case 2: {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        TU_OK_X(e, dlz_export_open_fd(e, fmt, fd, 0));
        break;
    }
    case 3: {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        dlz_io io = {DLZ_IO_VERSION, NULL, io_write, NULL, io_close};
        TU_OK_X(e, dlz_export_open_io(e, fmt, &io, f, 0));
        break;
    }
    default:
        TU_OK_X(e, dlz_export_open_memory(e, fmt));
        break;
    }
}

static void done(dlz_export *e, const char *path, int how) {
    TU_OK_X(e, dlz_export_close(e));
    if (how == 4) {
        const void *buf;
        size_t len;
        TU_OK_X(e, dlz_export_memory(e, &buf, &len));
        tu_write_file(path, buf, len);
    } else {
        assert_int_equal(dlz_export_memory(e, &(const void *){NULL}, &(size_t){0}), DLZ_EMISUSE);
    }
}

static unsigned char *file_bytes(const char *path, size_t *len) {
    unsigned char *b = tu_read_file(path, len);
    assert_non_null(b);
    return b;
}

static void test_types_and_layouts(void **state) {
    (void)state;
    char *dir = tu_mkdtemp();
    char *mpath = path_in(dir, "manifest.json");
    manifest m;
    m_open(&m, mpath);
    dlz_array *arrays[NTYPES][NLAYOUTS];
    char names[NTYPES][NLAYOUTS][32];
    uint64_t seed = 0;
    for (size_t t = 0; t < NTYPES; t++) {
        for (size_t l = 0; l < NLAYOUTS; l++) {
            arrays[t][l] = make(all_types[t], &layouts[l], seed);
            snprintf(names[t][l], sizeof names[t][l], "%s/%s", code(all_types[t]), layouts[l].name);
            seed += 1000;
        }
    }
    /* safetensors: every type but BFLOAT16 (which safetensors.numpy cannot
       load) in one file, through each kind of output; BFLOAT16 with a few
       others in a second file.  Metadata: a key set twice keeps its place. */
    unsigned char *first = NULL;
    size_t first_len = 0;
    for (int how = 0; how < 5; how++) {
        char name[64];
        snprintf(name, sizeof name, "all-%d.safetensors", how);
        char *p = path_in(dir, name);
        dlz_export *e = dlz_export_new();
        open_by(e, DLZ_EXPORT_SAFETENSORS, p, how);
        TU_OK_X(e, dlz_export_set_metadata(e, "a", "first"));
        TU_OK_X(e, dlz_export_set_metadata(e, "b",
                                           "\xc3\xbcnic\xc3\xb6"
                                           "de"));
        TU_OK_X(e, dlz_export_set_metadata(e, "a", "second"));
        m_file(
            &m, p, "safetensors",
            ", \"numpy\": true, \"metadata\": {\"a\": \"second\", \"b\": \"\\u00fcnic\\u00f6de\"}");
        for (size_t t = 0; t < NTYPES; t++) {
            for (size_t l = 0; l < NLAYOUTS && all_types[t] != DLZ_DTYPE_BFLOAT16; l++) {
                TU_OK_X(e, dlz_export_put(e, names[t][l], arrays[t][l]));
                m_tensor(&m, names[t][l], all_types[t], &layouts[l], 1000 * (t * NLAYOUTS + l));
            }
        }
        done(e, p, how);
        dlz_export_free(e);
        /* every output gives the same bytes */
        size_t len;
        unsigned char *b = file_bytes(p, &len);
        if (first == NULL) {
            first = b;
            first_len = len;
        } else {
            assert_int_equal(len, first_len);
            assert_memory_equal(b, first, len);
            free(b);
        }
        free(p);
    }
    free(first);
    {
        char *p = path_in(dir, "bf16.safetensors");
        dlz_export *e = dlz_export_new();
        open_by(e, DLZ_EXPORT_SAFETENSORS, p, 0);
        m_file(&m, p, "safetensors", ", \"numpy\": false");
        size_t picks[] = {9, 3, 0, 12, 7}; /* BOOL, BF16, F64, U64, I8: order by size */
        for (size_t k = 0; k < sizeof picks / sizeof picks[0]; k++) {
            size_t t = picks[k];
            for (size_t l = 0; l < NLAYOUTS; l++) {
                TU_OK_X(e, dlz_export_put(e, names[t][l], arrays[t][l]));
                m_tensor(&m, names[t][l], all_types[t], &layouts[l], 1000 * (t * NLAYOUTS + l));
            }
        }
        done(e, p, 0);
        dlz_export_free(e);
        free(p);
    }
    /* .npz: every type but BFLOAT16, through each kind of output. */
    for (int how = 0; how < 5; how++) {
        char name[64];
        snprintf(name, sizeof name, "all-%d.npz", how);
        char *p = path_in(dir, name);
        dlz_export *e = dlz_export_new();
        open_by(e, DLZ_EXPORT_NPZ, p, how);
        m_file(&m, p, "npz", "");
        for (size_t t = 0; t < NTYPES; t++) {
            for (size_t l = 0; l < NLAYOUTS && all_types[t] != DLZ_DTYPE_BFLOAT16; l++) {
                TU_OK_X(e, dlz_export_put(e, names[t][l], arrays[t][l]));
                m_tensor(&m, names[t][l], all_types[t], &layouts[l], 1000 * (t * NLAYOUTS + l));
            }
        }
        done(e, p, how);
        dlz_export_free(e);
        free(p);
    }
    /* One .npy per type and layout, the outputs in turn. */
    int how = 0;
    for (size_t t = 0; t < NTYPES; t++) {
        for (size_t l = 0; l < NLAYOUTS && all_types[t] != DLZ_DTYPE_BFLOAT16; l++) {
            char name[64];
            snprintf(name, sizeof name, "%s-%s.npy", code(all_types[t]), layouts[l].name);
            char *p = path_in(dir, name);
            dlz_export *e = dlz_export_new();
            open_by(e, DLZ_EXPORT_NPY, p, how);
            TU_OK_X(e, dlz_export_put(e, NULL, arrays[t][l]));
            m_file(&m, p, "npy", "");
            m_tensor(&m, "", all_types[t], &layouts[l], 1000 * (t * NLAYOUTS + l));
            done(e, p, how);
            dlz_export_free(e);
            free(p);
            how = (how + 1) % 5;
        }
    }
    /* ZIP64: with the limits lowered to 1 byte and 2 entries, every size,
       every offset but the first and the entry count need ZIP64 records. */
    {
        char *p = path_in(dir, "zip64.npz");
        dlz_export *e = dlz_export_new();
        dlzi_export_set_zip64_limits(e, 1, 2);
        open_by(e, DLZ_EXPORT_NPZ, p, 0);
        m_file(&m, p, "npz", ", \"zip64\": true");
        size_t picks[] = {0, 7, 12}; /* F64, BYTE, U64 */
        for (size_t k = 0; k < sizeof picks / sizeof picks[0]; k++) {
            for (size_t l = 0; l < NLAYOUTS; l++) {
                size_t t = picks[k];
                TU_OK_X(e, dlz_export_put(e, names[t][l], arrays[t][l]));
                m_tensor(&m, names[t][l], all_types[t], &layouts[l], 1000 * (t * NLAYOUTS + l));
            }
        }
        done(e, p, 0);
        dlz_export_free(e);
        free(p);
    }
    m_close(&m);
    for (size_t t = 0; t < NTYPES; t++) {
        for (size_t l = 0; l < NLAYOUTS; l++) {
            dlz_array_free(arrays[t][l]);
        }
    }
    run_checker(mpath);
    free(mpath);
    tu_rm_rf(dir);
    free(dir);
}

/* The first occurrence of string s in the len bytes at b, or NULL. */
static const void *find(const void *b, size_t len, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp((const char *)b + i, s, n) == 0) {
            return (const char *)b + i;
        }
    }
    return NULL;
}

/* ---- refused puts, misuse --------------------------------------------------------- */

static void expect(dlz_export *e, int rc, int want, const char *text) {
    if (rc != want) {
        fail_msg("rc %d (%s), expected %d: %s", rc, dlz_strerror(rc), want, dlz_export_errmsg(e));
    }
    if (strstr(dlz_export_errmsg(e), text) == NULL) {
        fail_msg("message '%s' does not say '%s'", dlz_export_errmsg(e), text);
    }
}

static void test_refused(void **state) {
    (void)state;
    const layout *c = &layouts[0];
    dlz_array *f32 = make(DLZ_DTYPE_FLOAT, c, 0), *bf = make(DLZ_DTYPE_BFLOAT16, c, 0);
    dlz_export *e = dlz_export_new();
    expect(e, dlz_export_put(e, "x", f32), DLZ_EMISUSE, "not open");
    expect(e, dlz_export_close(e), DLZ_EMISUSE, "not open");
    expect(e, dlz_export_open_memory(e, (dlz_export_format)7), DLZ_EMISUSE,
           "unknown export format");

    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_SAFETENSORS));
    expect(e, dlz_export_open_memory(e, DLZ_EXPORT_NPZ), DLZ_EMISUSE, "already open");
    TU_OK_X(e, dlz_export_put(e, "x", f32));
    expect(e, dlz_export_put(e, "x", f32), DLZ_EMISUSE, "tensor 'x' is put twice");
    expect(e, dlz_export_put(e, "__metadata__", f32), DLZ_EMISUSE, "reserved");
    expect(e, dlz_export_put(e, "", f32), DLZ_EMISUSE, "empty");
    expect(e, dlz_export_put(e, NULL, f32), DLZ_EMISUSE, "NULL");
    expect(e, dlz_export_put(e, "bad\xff", f32), DLZ_EMISUSE, "not valid UTF-8 at byte 3");
    expect(e, dlz_export_put(e, "y", NULL), DLZ_EMISUSE, "NULL array");
    expect(e, dlz_export_set_metadata(e, "k", "\xc3"), DLZ_EMISUSE, "not valid UTF-8");
    TU_OK_X(e, dlz_export_put(e, "bf16", bf)); /* safetensors holds BF16 */
    /* The refusals left the export usable: it holds x and bf16. */
    TU_OK_X(e, dlz_export_close(e));
    const void *buf;
    size_t len;
    TU_OK_X(e, dlz_export_memory(e, &buf, &len));
    assert_non_null(find(buf, len, "\"x\":"));
    assert_non_null(find(buf, len, "\"bf16\":"));
    expect(e, dlz_export_put(e, "z", f32), DLZ_EMISUSE, "not open"); /* after close */

    /* .npz: no BFLOAT16, no metadata. */
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_NPZ));
    assert_int_equal(dlz_export_memory(e, &buf, &len), DLZ_EMISUSE); /* reopened */
    expect(e, dlz_export_put(e, "b", bf), DLZ_EUNSUPPORTED, "NumPy has no bfloat16");
    expect(e, dlz_export_set_metadata(e, "k", "v"), DLZ_EUNSUPPORTED, "no metadata");
    TU_OK_X(e, dlz_export_put(e, "x", f32));
    expect(e, dlz_export_put(e, "x", f32), DLZ_EMISUSE, "put twice");
    TU_OK_X(e, dlz_export_close(e));
    TU_OK_X(e, dlz_export_memory(e, &buf, &len));
    tu_zip_entry es[4];
    assert_int_equal(tu_zip_list(buf, len, es, 4), 1);
    assert_string_equal(es[0].name, "x.npy");

    /* .npy: exactly one array. */
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_NPY));
    expect(e, dlz_export_close(e), DLZ_EMISUSE, "needs its array");
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_NPY));
    expect(e, dlz_export_put(e, NULL, bf), DLZ_EUNSUPPORTED, "BFLOAT16");
    TU_OK_X(e, dlz_export_put(e, NULL, f32));
    expect(e, dlz_export_put(e, NULL, f32), DLZ_EMISUSE, "holds one array");
    TU_OK_X(e, dlz_export_close(e));
    TU_OK_X(e, dlz_export_memory(e, &buf, &len));
    assert_int_equal(len, 128 + 24 * 4);
    assert_memory_equal(buf, "\x93NUMPY\x01\x00", 8);
    dlz_export_free(e);

    assert_int_equal(dlz_export_put(NULL, "x", f32), DLZ_EMISUSE);
    assert_int_equal(dlz_export_close(NULL), DLZ_EMISUSE);
    assert_string_equal(dlz_export_errmsg(NULL), "no export");
    dlz_export_free(NULL);
    dlz_array_free(f32);
    dlz_array_free(bf);
}

/* ---- failures leave a path target as it was ---------------------------------------- */

static int64_t failing_write(void *user, const void *buf, size_t n) {
    (void)buf;
    int *calls = user;
    return ++*calls > 1 ? -1 : (int64_t)n;
}

static void test_failures_keep_target(void **state) {
    (void)state;
    char *dir = tu_mkdtemp();
    char *target = path_in(dir, "out.npz");
    tu_write_file(target, "old", 3);
    char listing[512];
    int64_t n = 1 << 18; /* 1 MiB of floats */
    dlz_array *big = NULL;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 1, &n, 'c', &big, NULL, 0), DLZ_OK);

    for (int fmt = 0; fmt < 3; fmt++) {
        /* freed without close */
        dlz_export *e = dlz_export_new();
        TU_OK_X(e, dlz_export_open_path(e, (dlz_export_format)fmt, target));
        TU_OK_X(e, dlz_export_put(e, "w", big));
        dir_listing(dir, listing, sizeof listing);
        assert_non_null(strstr(listing, ".out.npz.dlz-")); /* the temporary file */
        dlz_export_free(e);
        dir_listing(dir, listing, sizeof listing);
        assert_string_equal(listing, "out.npz");

        /* a refused put, then free */
        e = dlz_export_new();
        TU_OK_X(e, dlz_export_open_path(e, (dlz_export_format)fmt, target));
        TU_OK_X(e, dlz_export_put(e, "w", big));
        assert_int_not_equal(dlz_export_put(e, "w", big), DLZ_OK);
        dlz_export_free(e);
        dir_listing(dir, listing, sizeof listing);
        assert_string_equal(listing, "out.npz");

        /* a write that fails (EFBIG: the file size limit) */
        struct rlimit old, lim;
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
        lim = old;
        lim.rlim_cur = 100000;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        e = dlz_export_new();
        TU_OK_X(e, dlz_export_open_path(e, (dlz_export_format)fmt, target));
        int rc = dlz_export_put(e, "w", big);
        if (fmt == DLZ_EXPORT_SAFETENSORS) {
            assert_int_equal(rc, DLZ_OK); /* staged; written by close */
            rc = dlz_export_close(e);
        } else {
            expect(e, rc, DLZ_EIO, "cannot write");
            expect(e, dlz_export_put(e, "v", big), DLZ_EMISUSE, "failed earlier");
            rc = dlz_export_close(e);
        }
        expect(e, rc, DLZ_EIO, "cannot write");
        assert_int_equal(dlz_export_syserr(e), EFBIG);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, was);
        dlz_export_free(e);
        dir_listing(dir, listing, sizeof listing);
        assert_string_equal(listing, "out.npz");
        size_t len;
        unsigned char *b = file_bytes(target, &len);
        assert_int_equal(len, 3);
        assert_memory_equal(b, "old", 3);
        free(b);
    }

    /* A failing write callback, /dev/full: DLZ_EIO, also from close. */
    for (int fmt = 0; fmt < 3; fmt++) {
        int calls = 0;
        dlz_io io = {DLZ_IO_VERSION, NULL, failing_write, NULL, NULL};
        dlz_export *e = dlz_export_new();
        TU_OK_X(e, dlz_export_open_io(e, (dlz_export_format)fmt, &io, &calls, 0));
        int rc = dlz_export_put(e, "w", big);
        if (rc == DLZ_OK) {
            rc = dlz_export_close(e);
        } else {
            assert_int_equal(dlz_export_close(e), rc);
        }
        expect(e, rc, DLZ_EIO, "write callback failed");
        assert_int_equal(dlz_export_syserr(e), 0);
        dlz_export_free(e);
        int fd = open("/dev/full", O_WRONLY);
        if (fd >= 0) {
            e = dlz_export_new();
            TU_OK_X(e, dlz_export_open_fd(e, (dlz_export_format)fmt, fd, 0));
            rc = dlz_export_put(e, "w", big);
            if (rc == DLZ_OK) {
                rc = dlz_export_close(e);
            }
            assert_int_equal(rc, DLZ_EIO);
            assert_int_equal(dlz_export_syserr(e), ENOSPC);
            dlz_export_free(e);
        }
    }

    /* A path that cannot be a target. */
    dlz_export *e = dlz_export_new();
    expect(e, dlz_export_open_path(e, DLZ_EXPORT_NPZ, dir), DLZ_EMISUSE, "not a regular file");
    char *missing = path_in(dir, "no/such/dir.npz");
    expect(e, dlz_export_open_path(e, DLZ_EXPORT_NPZ, missing), DLZ_EIO, "temporary file");
    assert_int_equal(dlz_export_syserr(e), ENOENT);
    dlz_export_free(e);
    free(missing);

    dlz_array_free(big);
    free(target);
    tu_rm_rf(dir);
    free(dir);
}

/* ---- allocation failures ----------------------------------------------------------- */

static void test_alloc_failures(void **state) {
    (void)state;
    dlz_array *a = make(DLZ_DTYPE_HALF, &layouts[2], 5);
    dlz_array *b = make(DLZ_DTYPE_BFLOAT16, &layouts[8], 7);
    for (int fmt = 0; fmt < 3; fmt++) {
        int succeeded = 0;
        for (long n = 1; n < 100 && !succeeded; n++) {
            dlz_export *e = dlz_export_new();
            if (e == NULL) {
                continue;
            }
            dlzi_alloc_fail_after(n);
            int rc = dlz_export_open_memory(e, (dlz_export_format)fmt);
            if (rc == DLZ_OK && fmt == DLZ_EXPORT_SAFETENSORS) {
                rc = dlz_export_set_metadata(e, "k", "v");
            }
            if (rc == DLZ_OK) {
                rc = dlz_export_put(e, "a", a);
            }
            if (rc == DLZ_OK && fmt == DLZ_EXPORT_SAFETENSORS) {
                rc = dlz_export_put(e, "b", b);
            }
            if (rc == DLZ_OK) {
                rc = dlz_export_close(e);
            }
            dlzi_alloc_fail_after(0);
            if (rc == DLZ_OK) {
                succeeded = 1;
            } else {
                assert_int_equal(rc, DLZ_ENOMEM);
                assert_string_equal(dlz_export_errmsg(e), "out of memory");
            }
            dlz_export_free(e);
        }
        assert_true(succeeded);
    }
    dlz_array_free(a);
    dlz_array_free(b);
}

/* ---- a model ------------------------------------------------------------------------- */

static int buf_emit(void *ctx, const void *p, size_t n) {
    tu_b_bytes(ctx, p, n);
    return DLZ_OK;
}

static const char *fixture(const char *name) {
    static char path[1024];
    const char *root = getenv("DLZ_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/fixtures/dl4j-1.0.0-M2.1/%s", root ? root : "..", name);
    return path;
}

static void test_model(void **state) {
    (void)state;
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, fixture("mln-dense-adam-float.zip")));
    dlz_export *e = dlz_export_new();
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_NPZ));
    /* No normalizer: refused, and the export is as it was. */
    expect(e, dlz_export_put_model(e, r, DLZ_EXPORT_NORMALIZER), DLZ_ENOTFOUND,
           "no normalizer.bin");
    expect(e, dlz_export_put_model(e, r, 0x100), DLZ_EMISUSE, "unknown flags");
    dlz_array *x = make(DLZ_DTYPE_FLOAT, &layouts[0], 0);
    TU_OK_X(e, dlz_export_put(e, "0/b", x));
    expect(e, dlz_export_put_model(e, r, 0), DLZ_EMISUSE, "tensor '0/b' is put twice");
    TU_OK_X(e, dlz_export_put(e, "extra", x));
    TU_OK_X(e, dlz_export_close(e));
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_NPZ));
    TU_OK_X(e, dlz_export_put(e, "extra", x));
    TU_OK_X(e, dlz_export_put_model(e, r, DLZ_EXPORT_UPDATER));
    TU_OK_X(e, dlz_export_close(e));
    const void *buf;
    size_t len;
    TU_OK_X(e, dlz_export_memory(e, &buf, &len));
    tu_zip_entry es[32];
    int n = tu_zip_list(buf, len, es, 32);
    assert_true(n > 3);
    assert_string_equal(es[0].name, "extra.npy");
    assert_string_equal(es[1].name, "0/W.npy");
    assert_string_equal(es[n - 1].name, "updater/1/b/v.npy");

    /* safetensors: the reader may go before close. */
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_SAFETENSORS));
    TU_OK_X(e, dlz_export_put_model(e, r, DLZ_EXPORT_UPDATER));
    dlz_reader_free(r);
    TU_OK_X(e, dlz_export_close(e));
    TU_OK_X(e, dlz_export_memory(e, &buf, &len));
    assert_non_null(find(buf, len, "\"source\":\"dl4j\",\"kind\":\"MultiLayerNetwork\""));
    assert_non_null(find(buf, len, "\"updater/0/W/m\":"));

    /* A bare array file has no named parameters; a .npy file holds one array. */
    tu_buf rec = {0};
    dlzi_err err;
    dlzi_err_clear(&err);
    assert_int_equal(dlzi_array_encode(x, DLZ_GEN_MIXED, 0, buf_emit, &rec, &err), DLZ_OK);
    r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_memory(r, rec.p, rec.n));
    assert_int_equal(dlz_reader_kind(r), DLZ_KIND_ARRAY);
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_NPZ));
    expect(e, dlz_export_put_model(e, r, 0), DLZ_EMISUSE, "bare ND4J array file");
    TU_OK_X(e, dlz_export_close(e));
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_NPY));
    expect(e, dlz_export_put_model(e, r, 0), DLZ_EMISUSE, "holds one array");
    expect(e, dlz_export_put_model(e, NULL, 0), DLZ_EMISUSE, "NULL reader");
    dlz_reader_free(r);
    tu_b_free(&rec);
    dlz_export_free(e);
    dlz_array_free(x);
}

/* Exports @p a as an ND4J array file in memory; *out is a copy (free()). */
static unsigned char *nd4j_bytes(dlz_export *e, dlz_export_format f, const dlz_array *a,
                                 size_t *len) {
    TU_OK_X(e, dlz_export_open_memory(e, f));
    TU_OK_X(e, dlz_export_put(e, NULL, a));
    TU_OK_X(e, dlz_export_close(e));
    const void *buf;
    TU_OK_X(e, dlz_export_memory(e, &buf, len));
    unsigned char *copy = malloc(*len + 1);
    assert_non_null(copy);
    memcpy(copy, buf, *len);
    return copy;
}

/* DL4J's own records are the reference: the coefficients.bin entries of the
   fixtures (ModelSerializer writes them with Nd4j.write) and the bare
   Nd4j.write files of the corpus come out byte for byte. */
static void test_nd4j(void **state) {
    (void)state;
    dlz_export *e = dlz_export_new();
    assert_non_null(e);
    const char *versions[] = {"1.0.0-M2.1", "1.0.0-beta7"};
    const char *names[] = {"mln-dense-adam-float.zip", "mln-cnn-bn-nesterovs-double.zip",
                           "mln-dense-rmsprop-half.zip", "cg-merge-adam-float.zip"};
    const char *root = getenv("DLZ_SOURCE_ROOT");
    for (size_t v = 0; v < 2; v++) {
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/fixtures/dl4j-%s/%s", root ? root : "..", versions[v],
                     names[k]);
            dlz_reader *r = dlz_reader_new();
            TU_OK_R(r, dlz_reader_open_path(r, path));
            void *raw;
            size_t rawlen, len;
            TU_OK_R(r, dlz_reader_read_entry(r, "coefficients.bin", &raw, &rawlen));
            dlz_array *c;
            TU_OK_R(r, dlz_reader_read_coefficients(r, &c));
            unsigned char *got = nd4j_bytes(e, DLZ_EXPORT_ND4J, c, &len);
            assert_int_equal(len, rawlen);
            assert_memory_equal(got, raw, len);
            free(got);
            /* JAVACPP: read back with the same values and type. */
            got = nd4j_bytes(e, DLZ_EXPORT_ND4J_JAVACPP, c, &len);
            dlz_reader *r2 = dlz_reader_new();
            TU_OK_R(r2, dlz_reader_open_memory(r2, got, len));
            assert_int_equal(dlz_reader_kind(r2), DLZ_KIND_ARRAY);
            dlz_array *back;
            TU_OK_R(r2, dlz_reader_read_array(r2, &back));
            assert_int_equal(dlz_array_generation(back), DLZ_GEN_JAVACPP);
            assert_int_equal(dlz_array_dtype(back), dlz_array_dtype(c));
            assert_int_equal(dlz_array_length(back), dlz_array_length(c));
            assert_memory_equal(dlz_array_cdata(back), dlz_array_cdata(c), dlz_array_nbytes(c));
            dlz_array_free(back);
            dlz_reader_free(r2);
            free(got);
            dlz_array_free(c);
            dlz_free(raw);
            dlz_reader_free(r);
        }
    }
    const char *corpus[] = {"dl4j/100b6/CustomLayerExample_Input_100b6_float.bin",
                            "dl4j/100b6/CustomLayerExample_Output_100b6_double.bin",
                            "dl4j/100b6/CustomLayerExample_Input_100b6_half.bin",
                            "dl4j/100b4/SyntheticCNN_Input_100b4.bin"};
    for (size_t k = 0; tu_corpus_dir() != NULL && k < sizeof corpus / sizeof corpus[0]; k++) {
        size_t rawlen, len;
        unsigned char *raw = tu_read_file(tu_corpus_path(corpus[k]), &rawlen);
        if (raw == NULL) {
            continue;
        }
        dlz_reader *r = dlz_reader_new();
        TU_OK_R(r, dlz_reader_open_memory(r, raw, rawlen));
        dlz_array *a;
        TU_OK_R(r, dlz_reader_read_array(r, &a));
        if (dlz_array_order(a) == 'c') {
            unsigned char *got = nd4j_bytes(e, DLZ_EXPORT_ND4J, a, &len);
            assert_int_equal(len, rawlen);
            assert_memory_equal(got, raw, len);
            free(got);
        }
        dlz_array_free(a);
        dlz_reader_free(r);
        free(raw);
    }

    /* One array per file, of a type the record can hold. */
    int64_t shape[2] = {2, 3};
    dlz_array *x, *y;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_INT, 2, shape, 'c', &x, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, shape, 'f', &y, NULL, 0), DLZ_OK);
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_ND4J_JAVACPP));
    expect(e, dlz_export_put(e, NULL, x), DLZ_EUNSUPPORTED, "DL4J before 1.0.0-beta4");
    expect(e, dlz_export_close(e), DLZ_EMISUSE, "needs its array");
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_ND4J));
    TU_OK_X(e, dlz_export_put(e, "ignored", x));
    expect(e, dlz_export_put(e, NULL, y), DLZ_EMISUSE, "holds one array");
    expect(e, dlz_export_set_metadata(e, "k", "v"), DLZ_EUNSUPPORTED, "no metadata");
    TU_OK_X(e, dlz_export_close(e));
    dlz_reader *r = dlz_reader_new();
    TU_OK_R(r, dlz_reader_open_path(r, fixture("mln-dense-adam-float.zip")));
    TU_OK_X(e, dlz_export_open_memory(e, DLZ_EXPORT_ND4J));
    expect(e, dlz_export_put_model(e, r, 0), DLZ_EMISUSE, "holds one array");
    dlz_reader_free(r);
    dlz_export_free(e);
    dlz_array_free(x);
    dlz_array_free(y);
}

int main(int argc, char **argv) {
    if (argc >= 3) {
        python_exe = argv[1];
        checker = argv[2];
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_and_layouts),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_failures_keep_target),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_nd4j),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
