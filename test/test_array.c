/* test_array.c - ND4J array records: decoding every generation, encoding,
 * conversions, binary16/bfloat16 and hostile input.
 *
 * Records are built here byte by byte and the corpus files are re-parsed
 * with plain byte arithmetic, so the checks do not rely on the code under
 * test to describe the format. */
#include "testutil.h"

#include "internal.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* ------------------------------------------------------------------------ */
/* Byte builder                                                              */

/* The byte builder of testutil.h. */
typedef tu_buf buf;

static int mode_wide(const char *mode) {
    return strcmp(mode, "LONG_SHAPE") == 0 || strcmp(mode, "MIXED_DATA_TYPES") == 0;
}

/* UTF mode, length (4 or 8 bytes by mode), UTF type. */
static void b_header(buf *b, const char *mode, int64_t len, const char *type) {
    tu_b_utf(b, mode);
    tu_b_be(b, (uint64_t)len, mode_wide(mode) ? 8 : 4);
    tu_b_utf(b, type);
}

/* A shape-info record; `type` "LONG" or "INT" decides the element width. */
static void b_shape(buf *b, const char *mode, const char *type, int rank, const int64_t *shape,
                    const int64_t *strides, int64_t extras, int64_t ews, int64_t order) {
    int w = strcmp(type, "LONG") == 0 ? 8 : 4;
    b_header(b, mode, 2 * rank + 4, type);
    tu_b_be(b, (uint64_t)rank, w);
    for (int k = 0; k < rank; k++) {
        tu_b_be(b, (uint64_t)shape[k], w);
    }
    for (int k = 0; k < rank; k++) {
        tu_b_be(b, (uint64_t)strides[k], w);
    }
    tu_b_be(b, (uint64_t)extras, w);
    tu_b_be(b, (uint64_t)ews, w);
    tu_b_be(b, (uint64_t)order, w);
}

/* ------------------------------------------------------------------------ */
/* Data types as the test knows them                                         */

static const dlz_dtype all_dtypes[] = {
    DLZ_DTYPE_DOUBLE, DLZ_DTYPE_FLOAT,  DLZ_DTYPE_HALF,   DLZ_DTYPE_LONG, DLZ_DTYPE_INT,
    DLZ_DTYPE_SHORT,  DLZ_DTYPE_UBYTE,  DLZ_DTYPE_BYTE,   DLZ_DTYPE_BOOL, DLZ_DTYPE_BFLOAT16,
    DLZ_DTYPE_UINT16, DLZ_DTYPE_UINT32, DLZ_DTYPE_UINT64,
};
#define N_DTYPES ((int)(sizeof all_dtypes / sizeof all_dtypes[0]))

static const char *t_name(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return "DOUBLE";
    case DLZ_DTYPE_FLOAT:
        return "FLOAT";
    case DLZ_DTYPE_HALF:
        return "HALF";
    case DLZ_DTYPE_LONG:
        return "LONG";
    case DLZ_DTYPE_INT:
        return "INT";
    case DLZ_DTYPE_SHORT:
        return "SHORT";
    case DLZ_DTYPE_UBYTE:
        return "UBYTE";
    case DLZ_DTYPE_BYTE:
        return "BYTE";
    case DLZ_DTYPE_BOOL:
        return "BOOL";
    case DLZ_DTYPE_BFLOAT16:
        return "BFLOAT16";
    case DLZ_DTYPE_UINT16:
        return "UINT16";
    case DLZ_DTYPE_UINT32:
        return "UINT32";
    case DLZ_DTYPE_UINT64:
        return "UINT64";
    }
    return "?";
}

static int t_size(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
    case DLZ_DTYPE_LONG:
    case DLZ_DTYPE_UINT64:
        return 8;
    case DLZ_DTYPE_FLOAT:
    case DLZ_DTYPE_INT:
    case DLZ_DTYPE_UINT32:
        return 4;
    case DLZ_DTYPE_HALF:
    case DLZ_DTYPE_BFLOAT16:
    case DLZ_DTYPE_SHORT:
    case DLZ_DTYPE_UINT16:
        return 2;
    default:
        return 1;
    }
}

/* extras type bits a MIXED_DATA_TYPES writer sets (FORMAT.md B.5). */
static int64_t t_extras(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_BFLOAT16:
        return 2048;
    case DLZ_DTYPE_HALF:
        return 4096;
    case DLZ_DTYPE_FLOAT:
        return 8192;
    case DLZ_DTYPE_DOUBLE:
        return 16384;
    case DLZ_DTYPE_BYTE:
        return 32768;
    case DLZ_DTYPE_UBYTE:
        return 32768 + 8388608;
    case DLZ_DTYPE_SHORT:
        return 65536;
    case DLZ_DTYPE_UINT16:
        return 65536 + 8388608;
    case DLZ_DTYPE_INT:
        return 131072;
    case DLZ_DTYPE_UINT32:
        return 131072 + 8388608;
    case DLZ_DTYPE_LONG:
        return 262144;
    case DLZ_DTYPE_UINT64:
        return 262144 + 8388608;
    case DLZ_DTYPE_BOOL:
        return 524288;
    }
    return 0;
}

/* binary16 by definition: sign, 5-bit exponent (bias 15), 10-bit fraction. */
static double ref_half(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* bfloat16 by definition: sign, 8-bit exponent (bias 127), 7-bit fraction. */
static double ref_bf16(uint16_t h) {
    int e = (h >> 7) & 255, m = h & 127;
    double v = e == 0 ? ldexp(m, -133) : e == 255 ? (m ? NAN : INFINITY) : ldexp(128 + m, e - 134);
    return (h & 0x8000) ? -v : v;
}

/* Test value number i of a type. */
typedef struct tval {
    uint64_t raw;       /* native bits, zero-extended */
    unsigned char file; /* BOOL only: the byte stored in the file */
    double d;           /* value as a double */
    float f;            /* value as a float, converted from the typed value */
} tval;

static tval tv(dlz_dtype t, int64_t i) {
    tval r = {0, 0, 0.0, 0.0f};
    int neg = (int)(i & 1);
    switch (t) {
    case DLZ_DTYPE_DOUBLE: {
        double v = (double)(i * 3 - 7) / 8.0 + (i == 5 ? 1e300 : 0.0);
        memcpy(&r.raw, &v, 8);
        r.d = v;
        r.f = (float)v;
        break;
    }
    case DLZ_DTYPE_FLOAT: {
        float v = (float)(i * 3 - 7) / 8.0f;
        uint32_t u;
        memcpy(&u, &v, 4);
        r.raw = u;
        r.d = v;
        r.f = v;
        break;
    }
    case DLZ_DTYPE_HALF: {
        uint16_t h = (uint16_t)((0x3000 + i * 37) & 0x7bff) | (neg ? 0x8000 : 0);
        if (i == 3) {
            h = 0x0001; /* smallest subnormal */
        }
        r.raw = h;
        r.d = ref_half(h);
        r.f = (float)r.d;
        break;
    }
    case DLZ_DTYPE_BFLOAT16: {
        uint16_t h = (uint16_t)((0x3f80 + i * 13) & 0x7f7f) | (neg ? 0x8000 : 0);
        r.raw = h;
        r.d = ref_bf16(h);
        r.f = (float)r.d;
        break;
    }
    case DLZ_DTYPE_LONG: {
        int64_t v = (neg ? -1 : 1) * i * INT64_C(123456789012);
        if (i == 4) {
            v = INT64_MIN;
        }
        memcpy(&r.raw, &v, 8);
        r.d = (double)v;
        r.f = (float)v;
        break;
    }
    case DLZ_DTYPE_INT: {
        int32_t v = (int32_t)((neg ? -1 : 1) * i * 1000003);
        if (i == 4) {
            v = INT32_MIN;
        }
        uint32_t u;
        memcpy(&u, &v, 4);
        r.raw = u;
        r.d = v;
        r.f = (float)v;
        break;
    }
    case DLZ_DTYPE_SHORT: {
        int16_t v = (int16_t)((neg ? -1 : 1) * (i * 1031 % 32000));
        if (i == 4) {
            v = INT16_MIN;
        }
        uint16_t u;
        memcpy(&u, &v, 2);
        r.raw = u;
        r.d = v;
        r.f = v;
        break;
    }
    case DLZ_DTYPE_BYTE: {
        int8_t v = (int8_t)((neg ? -1 : 1) * (i * 37 % 120));
        if (i == 4) {
            v = INT8_MIN;
        }
        uint8_t u;
        memcpy(&u, &v, 1);
        r.raw = u;
        r.d = v;
        r.f = v;
        break;
    }
    case DLZ_DTYPE_UBYTE:
        r.raw = (uint8_t)(i * 37 + 200);
        r.d = (double)r.raw;
        r.f = (float)r.raw;
        break;
    case DLZ_DTYPE_BOOL:
        r.raw = i % 3 == 0;
        /* Non-canonical true bytes: readers must normalise them to 1. */
        r.file = (unsigned char)(r.raw ? (neg ? 1 : 0x55) : 0);
        r.d = (double)r.raw;
        r.f = (float)r.raw;
        break;
    case DLZ_DTYPE_UINT16:
        r.raw = (uint16_t)(65535 - i * 999);
        r.d = (double)r.raw;
        r.f = (float)r.raw;
        break;
    case DLZ_DTYPE_UINT32:
        r.raw = (uint32_t)(UINT32_MAX - (uint32_t)i * 1000001u);
        r.d = (double)r.raw;
        r.f = (float)(uint32_t)r.raw;
        break;
    case DLZ_DTYPE_UINT64:
        r.raw = UINT64_MAX - (uint64_t)i * UINT64_C(12345678901234567);
        r.d = (double)r.raw;
        r.f = (float)r.raw;
        break;
    }
    return r;
}

static void b_elem(buf *b, dlz_dtype t, int64_t i) {
    tval v = tv(t, i);
    if (t == DLZ_DTYPE_BOOL) {
        tu_b_bytes(b, &v.file, 1);
    } else {
        tu_b_be(b, v.raw, t_size(t));
    }
}

/* Native element at buffer position pos, zero-extended. */
static uint64_t native_at(const void *data, dlz_dtype t, int64_t pos) {
    const unsigned char *p = (const unsigned char *)data + pos * t_size(t);
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    switch (t_size(t)) {
    case 1:
        memcpy(&u8, p, 1);
        return u8;
    case 2:
        memcpy(&u16, p, 2);
        return u16;
    case 4:
        memcpy(&u32, p, 4);
        return u32;
    default:
        memcpy(&u64, p, 8);
        return u64;
    }
}

static void set_native(void *data, dlz_dtype t, int64_t pos, uint64_t raw) {
    unsigned char *p = (unsigned char *)data + pos * t_size(t);
    uint8_t u8 = (uint8_t)raw;
    uint16_t u16 = (uint16_t)raw;
    uint32_t u32 = (uint32_t)raw;
    switch (t_size(t)) {
    case 1:
        memcpy(p, &u8, 1);
        break;
    case 2:
        memcpy(p, &u16, 2);
        break;
    case 4:
        memcpy(p, &u32, 4);
        break;
    default:
        memcpy(p, &raw, 8);
        break;
    }
}

/* Buffer position of logical element lin (row-major over shape). */
static int64_t ref_pos(int rank, const int64_t *shape, const int64_t *strides, int64_t lin) {
    int64_t pos = 0;
    for (int k = rank - 1; k >= 0; k--) {
        pos += (lin % shape[k]) * strides[k];
        lin /= shape[k];
    }
    return pos;
}

static int64_t ref_len(int rank, const int64_t *shape) {
    int64_t n = 1;
    for (int k = 0; k < rank; k++) {
        n *= shape[k];
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Decoding helpers                                                          */

/* A dlzi_in that hands out at most `step` bytes per call (hostile streams). */
typedef struct trickle {
    dlzi_in in;
    const unsigned char *p;
    size_t len, pos, step;
} trickle;

static int64_t trickle_read(dlzi_in *in, void *dst, size_t n) {
    trickle *t = in->ctx;
    size_t k = t->len - t->pos;
    if (k > n) {
        k = n;
    }
    if (k > t->step) {
        k = t->step;
    }
    memcpy(dst, t->p + t->pos, k);
    t->pos += k;
    return (int64_t)k;
}

enum { SIZE_KNOWN = 0, SIZE_UNKNOWN = 1, SIZE_TRICKLE = 2 };

static dlzi_err g_err;

/* Decodes a record from memory; the input size is known to the parser,
   unknown, or unknown and delivered 3 bytes at a time. */
static int decode_mode(const void *p, size_t n, int how, uint64_t max, dlz_array **a) {
    dlzi_memin m;
    trickle t;
    dlzi_in *in;
    dlzi_err_clear(&g_err);
    if (how == SIZE_TRICKLE) {
        t.in.read = trickle_read;
        t.in.ctx = &t;
        t.in.err = &g_err;
        t.p = p;
        t.len = n;
        t.pos = 0;
        t.step = 3;
        in = &t.in;
    } else {
        dlzi_memin_init(&m, p, n, &g_err);
        in = &m.in;
    }
    dlzi_rd *rd = malloc(sizeof *rd);
    assert_non_null(rd);
    dlzi_rd_init(rd, in, how == SIZE_KNOWN ? (int64_t)n : -1, "test.bin", &g_err);
    int rc = dlzi_array_decode(rd, max, a);
    /* A successful decode ends exactly at the end of the record. */
    if (rc == DLZ_OK && rd->off != (int64_t)n) {
        fail_msg("decode stopped at byte %lld of %zu", (long long)rd->off, n);
    }
    free(rd);
    return rc;
}

static dlz_array *decode_ok(const void *p, size_t n) {
    dlz_array *a = NULL;
    int rc = decode_mode(p, n, SIZE_KNOWN, UINT64_MAX, &a);
    if (rc != DLZ_OK) {
        fail_msg("decode failed: %d (%s): %s", rc, dlz_strerror(rc), g_err.msg);
    }
    assert_non_null(a);
    return a;
}

/* Expects code, and a message containing needle (if not NULL), whichever way
   the input is delivered; *out must come back NULL. */
static void expect_rc(const buf *b, int code, const char *needle) {
    for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
        dlz_array *a = (dlz_array *)&a; /* any non-NULL value */
        int rc = decode_mode(b->p, b->n, how, UINT64_MAX, &a);
        if (rc != code) {
            fail_msg("mode %d: expected %d, got %d: %s", how, code, rc, g_err.msg);
        }
        assert_null(a);
        assert_int_equal(g_err.code, code);
        if (needle != NULL && strstr(g_err.msg, needle) == NULL) {
            fail_msg("message '%s' lacks '%s'", g_err.msg, needle);
        }
    }
}

/* Checks metadata and every element of a decoded record whose buffer holds
   tv(t, 0..buflen) in buffer order. */
static void check_array(const dlz_array *a, dlz_dtype t, int rank, const int64_t *shape,
                        const int64_t *strides, char order, int64_t buflen) {
    assert_int_equal(dlz_array_dtype(a), t);
    assert_int_equal(dlz_array_rank(a), rank);
    assert_int_equal(dlz_array_order(a), order);
    for (int k = 0; k < rank; k++) {
        assert_int_equal(dlz_array_shape(a)[k], shape[k]);
        assert_int_equal(dlz_array_strides(a)[k], strides[k]);
    }
    int64_t len = ref_len(rank, shape);
    assert_int_equal(dlz_array_length(a), len);
    assert_int_equal(dlz_array_nbytes(a), (size_t)(buflen * t_size(t)));
    double *d = malloc(sizeof(double) * (size_t)(len + 1));
    float *f = malloc(sizeof(float) * (size_t)(len + 1));
    assert_int_equal(dlz_array_to_f64(a, d, (size_t)len), DLZ_OK);
    assert_int_equal(dlz_array_to_f32(a, f, (size_t)len), DLZ_OK);
    for (int64_t i = 0; i < len; i++) {
        int64_t pos = ref_pos(rank, shape, strides, i);
        tval v = tv(t, pos);
        if (native_at(dlz_array_cdata(a), t, pos) != v.raw) {
            fail_msg("%s element %lld (pos %lld): raw %llx, expected %llx", t_name(t), (long long)i,
                     (long long)pos, (unsigned long long)native_at(dlz_array_cdata(a), t, pos),
                     (unsigned long long)v.raw);
        }
        if (!(d[i] == v.d) || !(f[i] == v.f) || !(dlzi_array_get_f64(a, i) == v.d)) {
            fail_msg("%s element %lld: %.17g / %.9g / %.17g, expected %.17g / %.9g", t_name(t),
                     (long long)i, d[i], (double)f[i], dlzi_array_get_f64(a, i), v.d, (double)v.f);
        }
    }
    free(d);
    free(f);
}

/* Shape-info then data record of buflen tv() values. */
static void b_record(buf *b, const char *mode, dlz_dtype t, int rank, const int64_t *shape,
                     const int64_t *strides, char order, int64_t buflen) {
    int wide = mode_wide(mode);
    b_shape(b, mode, wide ? "LONG" : "INT", rank, shape, strides, wide ? t_extras(t) : 0, 1, order);
    b_header(b, mode, buflen, t_name(t));
    for (int64_t i = 0; i < buflen; i++) {
        b_elem(b, t, i);
    }
}

static void roundtrip(const dlz_array *a, dlz_generation gen, int row_vector);

static const char *const modes[] = {"DIRECT", "HEAP", "JAVACPP", "LONG_SHAPE", "MIXED_DATA_TYPES"};

/* ------------------------------------------------------------------------ */
/* Names, sizes, creation                                                    */

static void test_names(void **state) {
    (void)state;
    for (int i = 0; i < N_DTYPES; i++) {
        assert_string_equal(dlz_dtype_name(all_dtypes[i]), t_name(all_dtypes[i]));
        assert_int_equal(dlz_dtype_size(all_dtypes[i]), t_size(all_dtypes[i]));
    }
    assert_null(dlz_dtype_name((dlz_dtype)9));
    assert_null(dlz_dtype_name((dlz_dtype)10));
    assert_null(dlz_dtype_name((dlz_dtype)15));
    assert_null(dlz_dtype_name((dlz_dtype)-1));
    assert_int_equal(dlz_dtype_size((dlz_dtype)9), 0);
    for (int g = 0; g < 5; g++) {
        assert_string_equal(dlz_generation_name((dlz_generation)g), modes[g]);
    }
    assert_null(dlz_generation_name((dlz_generation)5));
    assert_null(dlz_generation_name((dlz_generation)-1));
}

static void test_new(void **state) {
    (void)state;
    dlz_array *a;
    int64_t shape[] = {2, 3, 4};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 3, shape, 'c', &a, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_array_length(a), 24);
    assert_int_equal(dlz_array_strides(a)[0], 12);
    assert_int_equal(dlz_array_strides(a)[1], 4);
    assert_int_equal(dlz_array_strides(a)[2], 1);
    assert_int_equal(dlz_array_order(a), 'c');
    assert_int_equal(dlz_array_nbytes(a), 96);
    assert_int_equal(dlz_array_generation(a), DLZ_GEN_MIXED);
    assert_int_equal(dlz_array_was_compressed(a), 0);
    assert_ptr_equal(dlz_array_data(a), dlz_array_cdata(a));
    for (int i = 0; i < 24; i++) {
        assert_true(((float *)dlz_array_data(a))[i] == 0.0f);
    }
    dlz_array_free(a);

    assert_int_equal(dlz_array_new(DLZ_DTYPE_DOUBLE, 3, shape, 'f', &a, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_array_strides(a)[0], 1);
    assert_int_equal(dlz_array_strides(a)[1], 2);
    assert_int_equal(dlz_array_strides(a)[2], 6);
    assert_int_equal(dlz_array_order(a), 'f');
    dlz_array_free(a);

    assert_int_equal(dlz_array_new(DLZ_DTYPE_INT, 0, NULL, 'c', &a, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_array_length(a), 1);
    assert_int_equal(dlz_array_rank(a), 0);
    assert_int_equal(dlz_array_nbytes(a), 4);
    dlz_array_free(a);

    int64_t empty[] = {3, 0, 5};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_BOOL, 3, empty, 'c', &a, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_array_length(a), 0);
    assert_int_equal(dlz_array_nbytes(a), 0);
    assert_int_equal(dlz_array_to_f64(a, NULL, 0), DLZ_OK);
    dlz_array_free(a);

    int64_t big[DLZ_MAX_RANK + 1];
    for (int k = 0; k <= DLZ_MAX_RANK; k++) {
        big[k] = 1;
    }
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, DLZ_MAX_RANK, big, 'c', &a, NULL, 0), DLZ_OK);
    dlz_array_free(a);
    a = (dlz_array *)&a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, DLZ_MAX_RANK + 1, big, 'c', &a, NULL, 0),
                     DLZ_EMISUSE);
    assert_null(a);
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, -1, big, 'c', &a, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, NULL, 'c', &a, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 3, shape, 'x', &a, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_array_new((dlz_dtype)9, 3, shape, 'c', &a, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 3, shape, 'c', NULL, NULL, 0), DLZ_EMISUSE);
    int64_t neg[] = {2, -1};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, neg, 'c', &a, NULL, 0), DLZ_EMISUSE);
    int64_t huge[] = {INT64_C(1) << 32, INT64_C(1) << 32};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, huge, 'c', &a, NULL, 0), DLZ_ELIMIT);
    int64_t huge0[] = {0, INT64_C(1) << 32, INT64_C(1) << 32};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 3, huge0, 'c', &a, NULL, 0), DLZ_ELIMIT);
    int64_t toobig[] = {INT64_C(1) << 62, 2};
    assert_int_equal(dlz_array_new(DLZ_DTYPE_DOUBLE, 2, toobig, 'c', &a, NULL, 0), DLZ_ELIMIT);

    dlz_array_free(NULL);
    assert_null(dlz_array_shape(NULL));
    assert_int_equal(dlz_array_length(NULL), 0);
    assert_int_equal(dlz_array_nbytes(NULL), 0);
    double d;
    assert_int_equal(dlz_array_to_f64(NULL, &d, 1), DLZ_EMISUSE);
}

/* ------------------------------------------------------------------------ */
/* binary16 and bfloat16                                                     */

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void test_half_exhaustive(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = dlzi_half_to_float((uint16_t)h);
        double ref = ref_half((uint16_t)h);
        if (isnan(ref)) {
            assert_true(isnan(f));
            uint16_t back = dlzi_float_to_half(f);
            assert_true((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0);
            assert_int_equal(back & 0x8000, h & 0x8000);
            continue;
        }
        if (!((double)f == ref)) {
            fail_msg("half %04x -> %.9g, expected %.9g", h, (double)f, ref);
        }
        assert_int_equal(signbit(f) != 0, (h & 0x8000) != 0);
        assert_int_equal(dlzi_float_to_half(f), h);
    }
}

/* Rounding to nearest even: for every pair of adjacent finite halves, the
   float midpoint goes to the even one and its float neighbours to the
   nearer one. */
static void test_half_rounding(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 0x7bff; h++) {
        for (int s = 0; s <= 1; s++) {
            uint16_t lo = (uint16_t)(h | (s ? 0x8000u : 0));
            uint16_t hi = (uint16_t)((h + 1) | (s ? 0x8000u : 0));
            double mid = (ref_half(lo) + ref_half(hi)) / 2; /* exact in float */
            float fm = (float)mid;
            assert_true((double)fm == mid);
            uint16_t even = (lo & 1) ? hi : lo;
            assert_int_equal(dlzi_float_to_half(fm), even);
            float below = nextafterf(fm, 0.0f);
            float above = nextafterf(fm, s ? -INFINITY : INFINITY);
            assert_int_equal(dlzi_float_to_half(below), lo);
            assert_int_equal(dlzi_float_to_half(above), hi);
        }
    }
    /* Around the largest half (65504) and overflow. */
    assert_int_equal(dlzi_float_to_half(65504.0f), 0x7bff);
    assert_int_equal(dlzi_float_to_half(65519.996f), 0x7bff);
    assert_int_equal(dlzi_float_to_half(65520.0f), 0x7c00);
    assert_int_equal(dlzi_float_to_half(-65520.0f), 0xfc00);
    assert_int_equal(dlzi_float_to_half(1e10f), 0x7c00);
    assert_int_equal(dlzi_float_to_half(INFINITY), 0x7c00);
    assert_int_equal(dlzi_float_to_half(-INFINITY), 0xfc00);
    assert_int_equal(dlzi_float_to_half(FLT_MAX), 0x7c00);
    /* Underflow: 2^-25 is the tie between 0 and the smallest subnormal. */
    assert_int_equal(dlzi_float_to_half(ldexpf(1.0f, -25)), 0x0000);
    assert_int_equal(dlzi_float_to_half(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
    assert_int_equal(dlzi_float_to_half(-ldexpf(1.0f, -26)), 0x8000);
    assert_int_equal(dlzi_float_to_half(FLT_MIN), 0x0000);
    assert_int_equal(dlzi_float_to_half(float_of(1)), 0x0000);
    assert_int_equal(dlzi_float_to_half(-0.0f), 0x8000);
    /* 1.5 * 2^-24 ties to even 2 * 2^-24; 2.5 * 2^-24 ties to 2 * 2^-24. */
    assert_int_equal(dlzi_float_to_half(ldexpf(1.5f, -24)), 0x0002);
    assert_int_equal(dlzi_float_to_half(ldexpf(2.5f, -24)), 0x0002);
    /* Largest subnormal rounding up into the smallest normal. */
    assert_int_equal(dlzi_float_to_half(ldexpf(1023.5f, -24)), 0x0400);
    assert_int_equal(dlzi_float_to_half(1.0f + ldexpf(1.0f, -11)), 0x3c00);
    assert_int_equal(dlzi_float_to_half(1.0f + 3 * ldexpf(1.0f, -11)), 0x3c02);
    /* NaN payloads: kept where they fit, never turned into infinity. */
    assert_int_equal(dlzi_float_to_half(float_of(0x7fc00000u)), 0x7e00);
    uint16_t n1 = dlzi_float_to_half(float_of(0x7f800001u));
    assert_true((n1 & 0x7c00) == 0x7c00 && (n1 & 0x3ff) != 0);
    uint16_t n2 = dlzi_float_to_half(float_of(0xff800001u));
    assert_true(n2 > 0xfc00);
    assert_true(isnan(dlzi_half_to_float(0x7c01)));
    assert_true(isinf(dlzi_half_to_float(0x7c00)));
}

static void test_bf16(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = dlzi_bf16_to_float((uint16_t)h);
        assert_int_equal(bits_of(f), h << 16);
        double ref = ref_bf16((uint16_t)h);
        if (isnan(ref)) {
            assert_true(isnan(f));
            assert_true(isnan(dlzi_bf16_to_float(dlzi_float_to_bf16(f))));
            continue;
        }
        assert_true((double)f == ref);
        assert_int_equal(dlzi_float_to_bf16(f), h);
    }
    /* Midpoints and their neighbours between all adjacent finite values. */
    for (uint32_t h = 0; h < 0x7f7f; h++) {
        for (int s = 0; s <= 1; s++) {
            uint16_t lo = (uint16_t)(h | (s ? 0x8000u : 0));
            uint16_t hi = (uint16_t)((h + 1) | (s ? 0x8000u : 0));
            float fm = (float)((ref_bf16(lo) + ref_bf16(hi)) / 2);
            uint16_t even = (lo & 1) ? hi : lo;
            assert_int_equal(dlzi_float_to_bf16(fm), even);
            assert_int_equal(dlzi_float_to_bf16(nextafterf(fm, 0.0f)), lo);
            assert_int_equal(dlzi_float_to_bf16(nextafterf(fm, s ? -INFINITY : INFINITY)), hi);
        }
    }
    assert_int_equal(dlzi_float_to_bf16(FLT_MAX), 0x7f80); /* rounds up to infinity */
    assert_int_equal(dlzi_float_to_bf16(-FLT_MAX), 0xff80);
    assert_int_equal(dlzi_float_to_bf16(INFINITY), 0x7f80);
    assert_int_equal(dlzi_float_to_bf16(1.0f), 0x3f80);
    /* A NaN whose payload is only in the low bits stays a NaN. */
    assert_true(isnan(dlzi_bf16_to_float(dlzi_float_to_bf16(float_of(0x7f800001u)))));
    assert_true(isnan(dlzi_bf16_to_float(dlzi_float_to_bf16(float_of(0xff800001u)))));
    assert_int_equal(dlzi_float_to_bf16(float_of(0x7fc00000u)), 0x7fc0);
}

/* dlz_array_convert() from DOUBLE rounds once: between every two adjacent
   finite halves (bfloat16s), the midpoint goes to the even one, and the
   doubles just inside it (closer than a float's unit in the last place, so
   that rounding to float first would land on the midpoint) to the nearer one.
   The expected values come from the decoders ref_half() / ref_bf16(). */
static void convert_midpoints(dlz_dtype to, uint32_t last, double (*ref)(uint16_t)) {
    const int64_t per = 6;
    int64_t n = (int64_t)last * 2 * per;
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_DOUBLE, 1, &n, 'c', &a, NULL, 0), DLZ_OK);
    double *d = dlz_array_data(a);
    uint16_t *want = malloc((size_t)n * sizeof *want);
    assert_non_null(want);
    int64_t k = 0;
    for (uint32_t h = 0; h < last; h++) {
        for (int s = 0; s <= 1; s++) {
            uint16_t lo = (uint16_t)(h | (s ? 0x8000u : 0));
            uint16_t hi = (uint16_t)((h + 1) | (s ? 0x8000u : 0));
            double mid = (ref(lo) + ref(hi)) / 2;
            double toward = s ? -INFINITY : INFINITY;
            double vals[6] = {mid,
                              nextafter(mid, toward),
                              nextafter(mid, 0.0),
                              nextafter(nextafter(mid, toward), toward),
                              ref(lo),
                              ref(hi)};
            uint16_t exp[6] = {(lo & 1) ? hi : lo, hi, lo, hi, lo, hi};
            for (int i = 0; i < 6; i++, k++) {
                d[k] = vals[i];
                want[k] = exp[i];
            }
        }
    }
    dlz_array *c;
    char err[256];
    assert_int_equal(dlz_array_convert(a, to, &c, err, sizeof err), DLZ_OK);
    assert_int_equal(dlz_array_dtype(c), to);
    assert_int_equal(dlz_array_length(c), n);
    const uint16_t *got = dlz_array_cdata(c);
    for (int64_t i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            fail_msg("%s of %.17g: %04x, expected %04x", dlz_dtype_name(to), d[i], got[i], want[i]);
        }
    }
    dlz_array_free(c);
    dlz_array_free(a);
    free(want);
}

static void test_convert_rounding(void **state) {
    (void)state;
    convert_midpoints(DLZ_DTYPE_HALF, 0x7bff, ref_half);
    convert_midpoints(DLZ_DTYPE_BFLOAT16, 0x7f7f, ref_bf16);
}

/* Logical order whatever the strides; every pair of the four types; the
   refusals. */
static void test_convert_types(void **state) {
    (void)state;
    const int64_t shape[2] = {3, 5};
    dlz_array *f;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, 2, shape, 'f', &f, NULL, 0), DLZ_OK);
    float *v = dlz_array_data(f);
    const int64_t *st = dlz_array_strides(f);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 5; j++) {
            /* Element (i, j) is i * 5 + j plus a fraction HALF cannot keep. */
            v[i * st[0] + j * st[1]] = (float)(i * 5 + j) + 0.0009765625f / 4;
        }
    }
    const dlz_dtype types[4] = {DLZ_DTYPE_FLOAT, DLZ_DTYPE_DOUBLE, DLZ_DTYPE_HALF,
                                DLZ_DTYPE_BFLOAT16};
    for (int t = 0; t < 4; t++) {
        dlz_array *c, *back;
        assert_int_equal(dlz_array_convert(f, types[t], &c, NULL, 0), DLZ_OK);
        assert_int_equal(dlz_array_rank(c), 2);
        assert_int_equal(dlz_array_shape(c)[0], 3);
        assert_int_equal(dlz_array_shape(c)[1], 5);
        assert_int_equal(dlz_array_order(c), 'c');
        double got[15];
        assert_int_equal(dlz_array_to_f64(c, got, 15), DLZ_OK);
        for (int i = 0; i < 15; i++) {
            double exact = (double)i + 0.0009765625 / 4;
            double tol = types[t] == DLZ_DTYPE_HALF       ? ldexp(fabs(exact) + 1, -11)
                         : types[t] == DLZ_DTYPE_BFLOAT16 ? ldexp(fabs(exact) + 1, -8)
                                                          : 0.0;
            if (!(fabs(got[i] - exact) <= tol)) {
                fail_msg("%s element %d: %.9g, expected %.9g", dlz_dtype_name(types[t]), i, got[i],
                         exact);
            }
        }
        /* And back to each type: FLOAT -> x -> FLOAT is x's values. */
        for (int u = 0; u < 4; u++) {
            assert_int_equal(dlz_array_convert(c, types[u], &back, NULL, 0), DLZ_OK);
            double again[15];
            assert_int_equal(dlz_array_to_f64(back, again, 15), DLZ_OK);
            int widening = dlz_dtype_size(types[u]) >= dlz_dtype_size(types[t]) &&
                           !(types[t] == DLZ_DTYPE_HALF && types[u] == DLZ_DTYPE_BFLOAT16) &&
                           !(types[t] == DLZ_DTYPE_BFLOAT16 && types[u] == DLZ_DTYPE_HALF);
            if (widening) {
                assert_memory_equal(again, got, sizeof got);
            }
            dlz_array_free(back);
        }
        dlz_array_free(c);
    }
    /* Large values: beyond HALF's range is infinity, NaN stays NaN. */
    const int64_t three = 3;
    dlz_array *d, *h;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_DOUBLE, 1, &three, 'c', &d, NULL, 0), DLZ_OK);
    double *dv = dlz_array_data(d);
    dv[0] = 1e300;
    dv[1] = -65520.0;
    dv[2] = NAN;
    assert_int_equal(dlz_array_convert(d, DLZ_DTYPE_HALF, &h, NULL, 0), DLZ_OK);
    double hv[3];
    assert_int_equal(dlz_array_to_f64(h, hv, 3), DLZ_OK);
    assert_true(isinf(hv[0]) && hv[0] > 0);
    assert_true(isinf(hv[1]) && hv[1] < 0);
    assert_true(isnan(hv[2]));
    dlz_array_free(h);
    assert_int_equal(dlz_array_convert(d, DLZ_DTYPE_FLOAT, &h, NULL, 0), DLZ_OK);
    assert_true(isinf(((const float *)dlz_array_cdata(h))[0]));
    dlz_array_free(h);
    dlz_array_free(d);
    /* Integer types are refused, in and out. */
    char err[256];
    dlz_array *i32, *x = (dlz_array *)1;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_INT, 1, &three, 'c', &i32, NULL, 0), DLZ_OK);
    assert_int_equal(dlz_array_convert(i32, DLZ_DTYPE_FLOAT, &x, err, sizeof err), DLZ_EMISUSE);
    assert_null(x);
    assert_non_null(strstr(err, "cannot convert a INT array to FLOAT"));
    assert_int_equal(dlz_array_convert(f, DLZ_DTYPE_LONG, &x, err, sizeof err), DLZ_EMISUSE);
    assert_int_equal(dlz_array_convert(NULL, DLZ_DTYPE_FLOAT, &x, err, sizeof err), DLZ_EMISUSE);
    assert_int_equal(dlz_array_convert(f, DLZ_DTYPE_FLOAT, NULL, err, sizeof err), DLZ_EMISUSE);
    dlz_array_free(i32);
    dlz_array_free(f);
}

/* ------------------------------------------------------------------------ */
/* Synthetic records                                                         */

static void test_all_dtypes_all_modes(void **state) {
    (void)state;
    int64_t shape[] = {2, 3}, strides[] = {3, 1};
    for (int m = 0; m < 5; m++) {
        for (int i = 0; i < N_DTYPES; i++) {
            dlz_dtype t = all_dtypes[i];
            buf b = {0};
            b_record(&b, modes[m], t, 2, shape, strides, 'c', 6);
            for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
                dlz_array *a = NULL;
                int rc = decode_mode(b.p, b.n, how, UINT64_MAX, &a);
                if (rc != DLZ_OK) {
                    fail_msg("%s %s: %s", modes[m], t_name(t), g_err.msg);
                }
                check_array(a, t, 2, shape, strides, 'c', 6);
                assert_int_equal(dlz_array_generation(a), m);
                assert_int_equal(dlz_array_was_compressed(a), 0);
                dlz_array_free(a);
            }
            tu_b_free(&b);
        }
    }
}

/* Each header states its own length width, even when the two disagree. */
static void test_mixed_widths(void **state) {
    (void)state;
    int64_t shape[] = {4}, strides[] = {1};
    buf b = {0};
    b_shape(&b, "JAVACPP", "INT", 1, shape, strides, 0, 1, 'c');
    b_header(&b, "MIXED_DATA_TYPES", 4, "FLOAT");
    for (int i = 0; i < 4; i++) {
        b_elem(&b, DLZ_DTYPE_FLOAT, i);
    }
    dlz_array *a = decode_ok(b.p, b.n);
    check_array(a, DLZ_DTYPE_FLOAT, 1, shape, strides, 'c', 4);
    assert_int_equal(dlz_array_generation(a), DLZ_GEN_JAVACPP);
    dlz_array_free(a);
    tu_b_free(&b);

    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 1, shape, strides, 8192, 1, 'c');
    b_header(&b, "HEAP", 4, "DOUBLE");
    for (int i = 0; i < 4; i++) {
        b_elem(&b, DLZ_DTYPE_DOUBLE, i);
    }
    /* The data header's type wins over the (contradicting) FLOAT bit. */
    a = decode_ok(b.p, b.n);
    check_array(a, DLZ_DTYPE_DOUBLE, 1, shape, strides, 'c', 4);
    assert_int_equal(dlz_array_generation(a), DLZ_GEN_MIXED);
    dlz_array_free(a);
    tu_b_free(&b);

    /* A LONG_SHAPE record with INT shape elements and LONG shape info in
       JAVACPP: the shape type decides the element width. */
    b_shape(&b, "LONG_SHAPE", "INT", 1, shape, strides, 0, 1, 'c');
    b_header(&b, "LONG_SHAPE", 4, "INT");
    for (int i = 0; i < 4; i++) {
        b_elem(&b, DLZ_DTYPE_INT, i);
    }
    a = decode_ok(b.p, b.n);
    check_array(a, DLZ_DTYPE_INT, 1, shape, strides, 'c', 4);
    dlz_array_free(a);
    tu_b_free(&b);
    b_shape(&b, "JAVACPP", "LONG", 1, shape, strides, 0, 1, 'c');
    b_header(&b, "JAVACPP", 4, "INT");
    for (int i = 0; i < 4; i++) {
        b_elem(&b, DLZ_DTYPE_INT, i);
    }
    a = decode_ok(b.p, b.n);
    check_array(a, DLZ_DTYPE_INT, 1, shape, strides, 'c', 4);
    dlz_array_free(a);
    tu_b_free(&b);
}

static void test_scalar(void **state) {
    (void)state;
    for (int m = 0; m < 5; m++) {
        for (int i = 0; i < N_DTYPES; i++) {
            dlz_dtype t = all_dtypes[i];
            buf b = {0};
            b_record(&b, modes[m], t, 0, NULL, NULL, 'c', 1);
            assert_int_equal(b.n, (size_t)(2 + strlen(modes[m])) * 2 +
                                      (mode_wide(modes[m]) ? 16 : 8) +
                                      (mode_wide(modes[m]) ? 6 + 32 : 5 + 16) + 2 +
                                      strlen(t_name(t)) + (size_t)t_size(t));
            dlz_array *a = decode_ok(b.p, b.n);
            check_array(a, t, 0, NULL, NULL, 'c', 1);
            dlz_array_free(a);
            tu_b_free(&b);
        }
    }
    /* A scalar with a data length of 0 or 2 is refused. */
    buf b = {0};
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 0, NULL, NULL, 8192, 1, 'c');
    b_header(&b, "MIXED_DATA_TYPES", 2, "FLOAT");
    b_elem(&b, DLZ_DTYPE_FLOAT, 0);
    b_elem(&b, DLZ_DTYPE_FLOAT, 1);
    expect_rc(&b, DLZ_EFORMAT, "expected 1 elements");
    tu_b_free(&b);
}

static void test_order_and_strides(void **state) {
    (void)state;
    struct {
        int rank;
        int64_t shape[4], strides[4];
        char order;
        int64_t buflen;
    } cases[] = {
        {2, {2, 3}, {1, 2}, 'f', 6},
        {3, {2, 3, 4}, {1, 8, 2}, 'c', 24},  /* permuted, owns its buffer */
        {3, {3, 4, 2}, {1, 3, 12}, 'f', 24}, /* dense 'f' */
        {3, {3, 1, 2}, {2, 77, 1}, 'c', 6},  /* any stride for a size-1 dimension */
        {2, {1, 5}, {1, 1}, 'c', 5},         /* DL4J's row vector */
        {2, {5, 1}, {1, 1}, 'c', 5},         /* column vector */
        {1, {3}, {0}, 'c', 3},               /* stride 0 stays inside the buffer */
        {4, {2, 2, 2, 2}, {1, 4, 2, 8}, 'c', 16},
        {2, {2, 2}, {1, 1}, 'c', 4}, /* overlapping but in-bounds */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int m = 2; m < 5; m += 2) {
            for (int i = 0; i < N_DTYPES; i++) {
                dlz_dtype t = all_dtypes[i];
                buf b = {0};
                b_record(&b, modes[m], t, cases[c].rank, cases[c].shape, cases[c].strides,
                         cases[c].order, cases[c].buflen);
                dlz_array *a = decode_ok(b.p, b.n);
                check_array(a, t, cases[c].rank, cases[c].shape, cases[c].strides, cases[c].order,
                            cases[c].buflen);
                dlz_array_free(a);
                tu_b_free(&b);
            }
        }
    }
}

static void test_empty(void **state) {
    (void)state;
    int64_t shape[] = {2, 0, 3}, strides[] = {0, 3, 1};
    const int64_t EMPTY = 8;
    for (int i = 0; i < N_DTYPES; i++) {
        dlz_dtype t = all_dtypes[i];
        /* With a data record of length 0. */
        buf b = {0};
        b_shape(&b, "MIXED_DATA_TYPES", "LONG", 3, shape, strides, EMPTY | t_extras(t), 1, 'c');
        size_t shape_len = b.n;
        b_header(&b, "MIXED_DATA_TYPES", 0, t_name(t));
        dlz_array *a = decode_ok(b.p, b.n);
        check_array(a, t, 3, shape, strides, 'c', 0);
        dlz_array_free(a);
        /* Without it, at end of input: the type comes from the extras bits. */
        for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
            a = NULL;
            assert_int_equal(decode_mode(b.p, shape_len, how, UINT64_MAX, &a), DLZ_OK);
            check_array(a, t, 3, shape, strides, 'c', 0);
            dlz_array_free(a);
        }
        tu_b_free(&b);
    }

    /* Missing data record followed by another array in the same stream. */
    buf b = {0};
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 3, shape, strides, EMPTY | 16384, 1, 'c');
    size_t first = b.n;
    int64_t s2[] = {2, 2}, st2[] = {2, 1};
    b_record(&b, "MIXED_DATA_TYPES", DLZ_DTYPE_INT, 2, s2, st2, 'c', 4);
    dlzi_memin m;
    dlzi_err_clear(&g_err);
    dlzi_memin_init(&m, b.p, b.n, &g_err);
    dlzi_rd *rd = malloc(sizeof *rd);
    dlzi_rd_init(rd, &m.in, (int64_t)b.n, "two.bin", &g_err);
    dlz_array *a1 = NULL, *a2 = NULL;
    assert_int_equal(dlzi_array_decode(rd, UINT64_MAX, &a1), DLZ_OK);
    assert_int_equal(rd->off, (int64_t)first);
    check_array(a1, DLZ_DTYPE_DOUBLE, 3, shape, strides, 'c', 0);
    assert_int_equal(dlzi_array_decode(rd, UINT64_MAX, &a2), DLZ_OK);
    check_array(a2, DLZ_DTYPE_INT, 2, s2, st2, 'c', 4);
    assert_int_equal(dlzi_rd_at_eof(rd), 1);
    dlz_array_free(a1);
    dlz_array_free(a2);
    free(rd);
    tu_b_free(&b);

    /* Rank-0 empty array (Nd4j.empty()): no element at all. */
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 0, NULL, NULL, EMPTY | 8192, 1, 'c');
    dlz_array *a = decode_ok(b.p, b.n);
    assert_int_equal(dlz_array_length(a), 0);
    assert_int_equal(dlz_array_rank(a), 0);
    assert_int_equal(dlz_array_dtype(a), DLZ_DTYPE_FLOAT);
    assert_int_equal(dlz_array_to_f64(a, NULL, 0), DLZ_OK);
    dlz_array_free(a);
    b_header(&b, "MIXED_DATA_TYPES", 0, "FLOAT");
    a = decode_ok(b.p, b.n);
    assert_int_equal(dlz_array_length(a), 0);
    /* It survives a MIXED round trip; JAVACPP has no way to say "empty". */
    roundtrip(a, DLZ_GEN_MIXED, 0);
    dlzi_err err;
    dlzi_err_clear(&err);
    uint64_t size;
    assert_int_equal(dlzi_array_encoded_size(a, DLZ_GEN_JAVACPP, 0, &size, &err), DLZ_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "empty scalar"));
    dlz_array_free(a);
    tu_b_free(&b);

    /* INT-era empty array (no EMPTY bit there). */
    int64_t s0[] = {0}, st0[] = {1};
    b_shape(&b, "JAVACPP", "INT", 1, s0, st0, 0, 1, 'c');
    b_header(&b, "JAVACPP", 0, "FLOAT");
    a = decode_ok(b.p, b.n);
    check_array(a, DLZ_DTYPE_FLOAT, 1, s0, st0, 'c', 0);
    dlz_array_free(a);
    /* ...whose data record cannot be left out, as nothing flags it empty. */
    b.n -= 2 + 7 + 4 + 2 + 5;
    expect_rc(&b, DLZ_EFORMAT, "truncated");
    tu_b_free(&b);

    /* Empty shape without the EMPTY flag but with a non-zero data length. */
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 3, shape, strides, 8192, 1, 'c');
    b_header(&b, "MIXED_DATA_TYPES", 2, "FLOAT");
    b_elem(&b, DLZ_DTYPE_FLOAT, 0);
    b_elem(&b, DLZ_DTYPE_FLOAT, 1);
    expect_rc(&b, DLZ_EFORMAT, "expected 0 elements");
    tu_b_free(&b);

    /* EMPTY flag, missing data record and no type bit. */
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 3, shape, strides, EMPTY, 1, 'c');
    expect_rc(&b, DLZ_EFORMAT, "data type bit");
    tu_b_free(&b);
    /* EMPTY + UTF8 bit, no data record. */
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 3, shape, strides, EMPTY | 1048576, 1, 'c');
    expect_rc(&b, DLZ_EFORMAT, "data type bit");
    tu_b_free(&b);
    /* EMPTY flag on a shape without a zero dimension. */
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 2, s2, st2, EMPTY | 8192, 1, 'c');
    b_header(&b, "MIXED_DATA_TYPES", 0, "FLOAT");
    expect_rc(&b, DLZ_EFORMAT, "EMPTY");
    tu_b_free(&b);
}

/* ------------------------------------------------------------------------ */
/* GZIP COMPRESSED data buffers                                              */

static void gzip_bytes(const void *p, size_t n, buf *out) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uLong bound = deflateBound(&zs, (uLong)n);
    unsigned char *dst = malloc(bound + 64);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)(bound + 64);
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    tu_b_bytes(out, dst, zs.total_out);
    deflateEnd(&zs);
    free(dst);
}

typedef struct gz_spec {
    const char *mode;      /* outer data header mode: JAVACPP or MIXED_DATA_TYPES */
    const char *algorithm; /* "GZIP" */
    dlz_dtype t;
    int64_t nel;        /* elements in the shape and in the gzip content */
    int64_t desc_nel;   /* numberOfElements written in the descriptor */
    int64_t olen_delta; /* added to the correct originalLength */
    int32_t ordinal;    /* written in MIXED mode */
    const char *inner_type;
    int64_t inner_len;    /* length field of the inner header */
    int extra_inner;      /* bytes appended to the gzip content */
    int extra_compressed; /* bytes appended after the gzip member */
    int cut_gzip;         /* gzip bytes dropped from the end */
    int corrupt;          /* flip a byte inside the deflate data */
} gz_spec;

static gz_spec gz_default(const char *mode, dlz_dtype t, int64_t nel) {
    gz_spec s = {mode, "GZIP", t, nel, nel, 0, (int32_t)t, NULL, nel, 0, 0, 0, 0};
    return s;
}

static void b_gz_record(buf *b, const gz_spec *s) {
    int wide = mode_wide(s->mode);
    int64_t shape[] = {s->nel}, strides[] = {1};
    b_shape(b, s->mode, wide ? "LONG" : "INT", 1, shape, strides, wide ? 4 | t_extras(s->t) : 0, 1,
            'c');
    buf inner = {0}, z = {0};
    b_header(&inner, "JAVACPP", s->inner_len, s->inner_type ? s->inner_type : t_name(s->t));
    for (int64_t i = 0; i < s->nel; i++) {
        b_elem(&inner, s->t, i);
    }
    for (int i = 0; i < s->extra_inner; i++) {
        tu_b_be(&inner, 0, 1);
    }
    gzip_bytes(inner.p, inner.n, &z);
    if (s->corrupt) {
        z.p[z.n / 2] ^= 0x5a;
    }
    z.n -= (size_t)s->cut_gzip;
    for (int i = 0; i < s->extra_compressed; i++) {
        tu_b_be(&z, 0xab, 1);
    }
    b_header(b, s->mode, (int64_t)z.n, "COMPRESSED");
    tu_b_utf(b, s->algorithm);
    tu_b_be(b, z.n, 8);
    tu_b_be(b, (uint64_t)(s->nel * t_size(s->t) + s->olen_delta), 8);
    tu_b_be(b, (uint64_t)s->desc_nel, 8);
    if (strcmp(s->mode, "MIXED_DATA_TYPES") == 0) {
        tu_b_be(b, (uint32_t)s->ordinal, 4);
    }
    tu_b_bytes(b, z.p, z.n);
    tu_b_free(&inner);
    tu_b_free(&z);
}

static void test_gzip(void **state) {
    (void)state;
    const char *gz_modes[] = {"JAVACPP", "MIXED_DATA_TYPES"};
    for (int m = 0; m < 2; m++) {
        for (int i = 0; i < N_DTYPES; i++) {
            dlz_dtype t = all_dtypes[i];
            for (int64_t nel = 0; nel <= 1000; nel += 999) {
                gz_spec s = gz_default(gz_modes[m], t, nel);
                buf b = {0};
                b_gz_record(&b, &s);
                for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
                    dlz_array *a = NULL;
                    int rc = decode_mode(b.p, b.n, how, UINT64_MAX, &a);
                    if (rc != DLZ_OK) {
                        fail_msg("%s %s: %s", gz_modes[m], t_name(t), g_err.msg);
                    }
                    int64_t shape[] = {nel}, strides[] = {1};
                    check_array(a, t, 1, shape, strides, 'c', nel);
                    assert_int_equal(dlz_array_was_compressed(a), 1);
                    dlz_array_free(a);
                }
                tu_b_free(&b);
            }
        }
    }
    /* Bytes after the gzip member inside compressedLength are skipped, and
       the stream continues after them. */
    gz_spec s;
    buf b = {0};
    dlz_array *a;
    const int extras[] = {5, 40000};
    for (int k = 0; k < 2; k++) {
        s = gz_default("MIXED_DATA_TYPES", DLZ_DTYPE_FLOAT, 10);
        s.extra_compressed = extras[k];
        b_gz_record(&b, &s);
        for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
            a = NULL;
            assert_int_equal(decode_mode(b.p, b.n, how, UINT64_MAX, &a), DLZ_OK);
            assert_int_equal(dlz_array_length(a), 10);
            dlz_array_free(a);
        }
        tu_b_free(&b);
    }

    struct {
        const char *what;
        int code;
        const char *needle;
    } bad[] = {
        {"algorithm", DLZ_EUNSUPPORTED, "THRESHOLD"},
        {"desc_nel", DLZ_EFORMAT, "numberOfElements"},
        {"olen", DLZ_EFORMAT, "originalLength"},
        {"ordinal", DLZ_EFORMAT, "ordinal"},
        {"ordinal_utf8", DLZ_EFORMAT, "ordinal"},
        {"inner_len", DLZ_EFORMAT, "numberOfElements"},
        {"inner_type", DLZ_EFORMAT, "COMPRESSED"},
        {"inner_utf8", DLZ_EUNSUPPORTED, "UTF8"},
        {"inner_unknown", DLZ_EFORMAT, "unknown data type 'QUAD'"},
        {"extra_inner", DLZ_EFORMAT, "end of the gzip content"},
        {"cut_gzip", DLZ_EFORMAT, "end of the gzip stream"},
        {"corrupt", DLZ_EFORMAT, "gzip"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        s = gz_default("MIXED_DATA_TYPES", DLZ_DTYPE_DOUBLE, 2000);
        const char *w = bad[k].what;
        if (strcmp(w, "algorithm") == 0) {
            s.algorithm = "THRESHOLD";
        } else if (strcmp(w, "desc_nel") == 0) {
            s.desc_nel = 1999;
        } else if (strcmp(w, "olen") == 0) {
            s.olen_delta = 8;
        } else if (strcmp(w, "ordinal") == 0) {
            s.ordinal = DLZ_DTYPE_FLOAT;
        } else if (strcmp(w, "ordinal_utf8") == 0) {
            s.ordinal = 9;
        } else if (strcmp(w, "inner_len") == 0) {
            s.inner_len = 1999;
        } else if (strcmp(w, "inner_type") == 0) {
            s.inner_type = "COMPRESSED";
        } else if (strcmp(w, "inner_utf8") == 0) {
            s.inner_type = "UTF8";
        } else if (strcmp(w, "inner_unknown") == 0) {
            s.inner_type = "QUAD";
        } else if (strcmp(w, "extra_inner") == 0) {
            s.extra_inner = 1;
        } else if (strcmp(w, "cut_gzip") == 0) {
            s.cut_gzip = 9;
        } else if (strcmp(w, "corrupt") == 0) {
            s.corrupt = 1;
        }
        b_gz_record(&b, &s);
        expect_rc(&b, bad[k].code, bad[k].needle);
        tu_b_free(&b);
    }
    /* originalLength over the limit is refused before inflating. */
    s = gz_default("JAVACPP", DLZ_DTYPE_FLOAT, 100);
    b_gz_record(&b, &s);
    a = NULL;
    assert_int_equal(decode_mode(b.p, b.n, SIZE_KNOWN, 399, &a), DLZ_ELIMIT);
    assert_int_equal(decode_mode(b.p, b.n, SIZE_KNOWN, 400, &a), DLZ_OK);
    dlz_array_free(a);
    tu_b_free(&b);
}

/* ------------------------------------------------------------------------ */
/* Encoder                                                                   */

typedef struct sink {
    buf b;
    size_t calls;
    size_t max_chunk;
    long fail_at; /* call number that fails (1-based), 0: never */
} sink;

static int sink_emit(void *ctx, const void *p, size_t n) {
    sink *s = ctx;
    s->calls++;
    if (s->fail_at != 0 && (long)s->calls == s->fail_at) {
        return DLZ_EIO;
    }
    assert_true(n > 0);
    if (n > s->max_chunk) {
        s->max_chunk = n;
    }
    tu_b_bytes(&s->b, p, n);
    return DLZ_OK;
}

static void encode_to(const dlz_array *a, dlz_generation gen, int row_vector, sink *s) {
    memset(s, 0, sizeof *s);
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_array_encode(a, gen, row_vector, sink_emit, s, &err);
    if (rc != DLZ_OK) {
        fail_msg("encode: %d %s", rc, err.msg);
    }
    uint64_t size = 0;
    assert_int_equal(dlzi_array_encoded_size(a, gen, row_vector, &size, &err), DLZ_OK);
    assert_int_equal(size, s->b.n);
    assert_true(s->max_chunk <= 65536);
}

/* Logical values of a (row-major over its shape), via the test's own stride
   arithmetic, as raw native bits. */
static uint64_t *logical_raw(const dlz_array *a) {
    int64_t len = dlz_array_length(a);
    uint64_t *v = malloc(sizeof *v * (size_t)(len + 1));
    for (int64_t i = 0; i < len; i++) {
        int64_t pos = ref_pos(dlz_array_rank(a), dlz_array_shape(a), dlz_array_strides(a), i);
        v[i] = native_at(dlz_array_cdata(a), dlz_array_dtype(a), pos);
    }
    return v;
}

static void check_dense_c_strides(const dlz_array *a) {
    int r = dlz_array_rank(a);
    const int64_t *sh = dlz_array_shape(a), *st = dlz_array_strides(a);
    if (r == 2 && (sh[0] == 1 || sh[1] == 1)) {
        assert_int_equal(st[0], 1);
        assert_int_equal(st[1], 1);
        return;
    }
    int64_t s = 1;
    for (int k = r - 1; k >= 0; k--) {
        assert_int_equal(st[k], s);
        s *= sh[k];
    }
}

/* Encodes, decodes and checks the same logical content, dense 'c'. */
static void roundtrip(const dlz_array *a, dlz_generation gen, int row_vector) {
    sink s;
    encode_to(a, gen, row_vector, &s);
    dlz_array *b = decode_ok(s.b.p, s.b.n);
    assert_int_equal(dlz_array_dtype(b), dlz_array_dtype(a));
    assert_int_equal(dlz_array_generation(b), gen);
    assert_int_equal(dlz_array_order(b), 'c');
    assert_int_equal(dlz_array_length(b), dlz_array_length(a));
    if (row_vector) {
        assert_int_equal(dlz_array_rank(b), 2);
        assert_int_equal(dlz_array_shape(b)[0], 1);
        assert_int_equal(dlz_array_shape(b)[1], dlz_array_length(a));
    } else {
        assert_int_equal(dlz_array_rank(b), dlz_array_rank(a));
        for (int k = 0; k < dlz_array_rank(a); k++) {
            assert_int_equal(dlz_array_shape(b)[k], dlz_array_shape(a)[k]);
        }
    }
    check_dense_c_strides(b);
    uint64_t *va = logical_raw(a), *vb = logical_raw(b);
    for (int64_t i = 0; i < dlz_array_length(a); i++) {
        uint64_t x = va[i];
        if (dlz_array_dtype(a) == DLZ_DTYPE_BOOL) {
            x = x != 0;
        }
        assert_int_equal(vb[i], x);
    }
    free(va);
    free(vb);
    dlz_array_free(b);
    tu_b_free(&s.b);
}

/* A new array of shape filled with tv() values by buffer position. */
static dlz_array *make_filled(dlz_dtype t, int rank, const int64_t *shape, char order) {
    dlz_array *a;
    assert_int_equal(dlz_array_new(t, rank, shape, order, &a, NULL, 0), DLZ_OK);
    for (int64_t i = 0; i < dlz_array_length(a); i++) {
        tval v = tv(t, i);
        set_native(dlz_array_data(a), t, i, t == DLZ_DTYPE_BOOL ? v.file : v.raw);
    }
    return a;
}

static void test_encode_roundtrip(void **state) {
    (void)state;
    const int64_t shapes[][4] = {{0}, {5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}};
    for (int i = 0; i < N_DTYPES; i++) {
        dlz_dtype t = all_dtypes[i];
        for (int r = 0; r <= 4; r++) {
            for (int o = 0; o < 2; o++) {
                dlz_array *a = make_filled(t, r, shapes[r], o ? 'f' : 'c');
                roundtrip(a, DLZ_GEN_MIXED, 0);
                if (t == DLZ_DTYPE_FLOAT || t == DLZ_DTYPE_DOUBLE || t == DLZ_DTYPE_HALF) {
                    roundtrip(a, DLZ_GEN_JAVACPP, 0);
                } else {
                    dlzi_err err;
                    dlzi_err_clear(&err);
                    sink s = {0};
                    assert_int_equal(dlzi_array_encode(a, DLZ_GEN_JAVACPP, 0, sink_emit, &s, &err),
                                     DLZ_EUNSUPPORTED);
                    assert_non_null(strstr(err.msg, t_name(t)));
                    assert_non_null(strstr(err.msg, "cannot read"));
                    assert_int_equal(s.calls, 0);
                    uint64_t size;
                    assert_int_equal(dlzi_array_encoded_size(a, DLZ_GEN_JAVACPP, 0, &size, &err),
                                     DLZ_EUNSUPPORTED);
                }
                if (r == 1 || (r == 2 && (shapes[r][0] == 1 || shapes[r][1] == 1))) {
                    roundtrip(a, DLZ_GEN_MIXED, 1);
                }
                dlz_array_free(a);
            }
        }
        /* Vectors as row vectors: [N], [1,N], [N,1], [1,1], [0]. */
        const int64_t vs[][2] = {{7, 0}, {1, 7}, {7, 1}, {1, 1}, {0, 0}};
        const int vr[] = {1, 2, 2, 2, 1};
        for (int k = 0; k < 5; k++) {
            for (int o = 0; o < 2; o++) {
                dlz_array *a = make_filled(t, vr[k], vs[k], o ? 'f' : 'c');
                roundtrip(a, DLZ_GEN_MIXED, 1);
                roundtrip(a, DLZ_GEN_MIXED, 0);
                dlz_array_free(a);
            }
        }
    }
    /* Non-vectors and scalars are not row vectors. */
    dlz_array *a = make_filled(DLZ_DTYPE_FLOAT, 2, shapes[2], 'c');
    dlzi_err err;
    dlzi_err_clear(&err);
    sink s = {0};
    uint64_t size;
    assert_int_equal(dlzi_array_encode(a, DLZ_GEN_MIXED, 1, sink_emit, &s, &err), DLZ_EMISUSE);
    assert_int_equal(dlzi_array_encoded_size(a, DLZ_GEN_MIXED, 1, &size, &err), DLZ_EMISUSE);
    assert_int_equal(dlzi_array_encode(a, DLZ_GEN_LONG_SHAPE, 0, sink_emit, &s, &err), DLZ_EMISUSE);
    assert_int_equal(dlzi_array_encode(a, DLZ_GEN_HEAP, 0, sink_emit, &s, &err), DLZ_EMISUSE);
    assert_int_equal(dlzi_array_encode(NULL, DLZ_GEN_MIXED, 0, sink_emit, &s, &err), DLZ_EMISUSE);
    assert_int_equal(dlzi_array_encode(a, DLZ_GEN_MIXED, 0, NULL, &s, &err), DLZ_EMISUSE);
    assert_int_equal(dlzi_array_encoded_size(a, DLZ_GEN_MIXED, 0, NULL, &err), DLZ_EMISUSE);
    assert_int_equal(s.calls, 0);
    dlz_array_free(a);
    a = make_filled(DLZ_DTYPE_FLOAT, 0, NULL, 'c');
    assert_int_equal(dlzi_array_encode(a, DLZ_GEN_MIXED, 1, sink_emit, &s, &err), DLZ_EMISUSE);
    dlz_array_free(a);

    /* Failure of the output is passed on. */
    a = make_filled(DLZ_DTYPE_DOUBLE, 1, (int64_t[]){20000}, 'c');
    for (long f = 1; f <= 3; f++) {
        memset(&s, 0, sizeof s);
        s.fail_at = f;
        assert_int_equal(dlzi_array_encode(a, DLZ_GEN_MIXED, 0, sink_emit, &s, &err), DLZ_EIO);
        assert_int_equal(s.calls, (size_t)f);
        tu_b_free(&s.b);
    }
    dlz_array_free(a);
}

/* Strided (permuted, 'f') arrays are written dense in logical order. */
static void test_encode_strided(void **state) {
    (void)state;
    int64_t shape[] = {2, 3, 4}, strides[] = {1, 8, 2};
    for (int i = 0; i < N_DTYPES; i++) {
        buf b = {0};
        b_record(&b, "MIXED_DATA_TYPES", all_dtypes[i], 3, shape, strides, 'c', 24);
        dlz_array *a = decode_ok(b.p, b.n);
        roundtrip(a, DLZ_GEN_MIXED, 0);
        dlz_array_free(a);
        tu_b_free(&b);
    }
    /* Large enough for many chunks. */
    int64_t big[] = {300, 257};
    dlz_array *a = make_filled(DLZ_DTYPE_DOUBLE, 2, big, 'f');
    sink s;
    encode_to(a, DLZ_GEN_MIXED, 0, &s);
    assert_true(s.calls >= 10);
    assert_int_equal(s.max_chunk, 65536);
    tu_b_free(&s.b);
    roundtrip(a, DLZ_GEN_MIXED, 0);
    roundtrip(a, DLZ_GEN_JAVACPP, 0);
    dlz_array_free(a);
}

/* Empty arrays: MIXED sets the EMPTY bit and writes a data record of length 0. */
static void test_encode_empty(void **state) {
    (void)state;
    int64_t shape[] = {2, 0};
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_UINT16, 2, shape, 'c', &a, NULL, 0), DLZ_OK);
    sink s;
    encode_to(a, DLZ_GEN_MIXED, 0, &s);
    buf e = {0};
    int64_t st[] = {0, 1}; /* dense 'c' strides of [2,0] */
    b_shape(&e, "MIXED_DATA_TYPES", "LONG", 2, shape, st, 8 + 65536 + 8388608, 1, 'c');
    b_header(&e, "MIXED_DATA_TYPES", 0, "UINT16");
    assert_int_equal(s.b.n, e.n);
    assert_memory_equal(s.b.p, e.p, e.n);
    tu_b_free(&e);
    tu_b_free(&s.b);
    roundtrip(a, DLZ_GEN_MIXED, 0);
    dlz_array_free(a);
}

static const unsigned char mixed_head_1x41[] = {
    0x00, 0x10, 'M',  'I',  'X',  'E',  'D',  '_',  'D',  'A',  'T',  'A',  '_',  'T',
    'Y',  'P',  'E',  'S',  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04,
    'L',  'O',  'N',  'G',  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* rank 2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,                         /* 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x29,                         /* 41 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,                         /* stride 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,                         /* stride 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,                         /* extras 8192 FLOAT */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,                         /* ews 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63,                         /* 'c' */
    0x00, 0x10, 'M',  'I',  'X',  'E',  'D',  '_',  'D',  'A',  'T',  'A',  '_',  'T',
    'Y',  'P',  'E',  'S',  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x29, /* 41 elements */
    0x00, 0x05, 'F',  'L',  'O',  'A',  'T'};

static const unsigned char javacpp_head_1x41[] = {
    0x00, 0x07, 'J',  'A',  'V',  'A',  'C',  'P',  'P',  0x00, 0x00,
    0x00, 0x08, 0x00, 0x03, 'I',  'N',  'T',  0x00, 0x00, 0x00, 0x02, /* rank 2 */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x29,                   /* shape 1, 41 */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,                   /* strides 1, 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,                   /* offset 0, ews 1 */
    0x00, 0x00, 0x00, 0x63,                                           /* 'c' */
    0x00, 0x07, 'J',  'A',  'V',  'A',  'C',  'P',  'P',  0x00, 0x00,
    0x00, 0x29, 0x00, 0x05, 'F',  'L',  'O',  'A',  'T'};

/* 1.0, 2.0, -1.0, 0.5 as binary32, big-endian. */
static const unsigned char float_cycle[4][4] = {{0x3f, 0x80, 0x00, 0x00},
                                                {0x40, 0x00, 0x00, 0x00},
                                                {0xbf, 0x80, 0x00, 0x00},
                                                {0x3f, 0x00, 0x00, 0x00}};

static void test_encode_exact(void **state) {
    (void)state;
    const float vals[4] = {1.0f, 2.0f, -1.0f, 0.5f};
    for (int gen = 0; gen < 2; gen++) {
        const unsigned char *head = gen ? javacpp_head_1x41 : mixed_head_1x41;
        size_t hl = gen ? sizeof javacpp_head_1x41 : sizeof mixed_head_1x41;
        buf e = {0};
        tu_b_bytes(&e, head, hl);
        for (int i = 0; i < 41; i++) {
            tu_b_bytes(&e, float_cycle[i % 4], 4);
        }
        /* The same bytes from [41] as a row vector, [1,41] as is or as a row
           vector, and [41,1] as a row vector, in 'c' and 'f' order. */
        struct {
            int rank;
            int64_t shape[2];
            int row;
        } forms[] = {{1, {41}, 1}, {2, {1, 41}, 0}, {2, {1, 41}, 1}, {2, {41, 1}, 1}};
        for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
            for (int o = 0; o < 2; o++) {
                dlz_array *a;
                assert_int_equal(dlz_array_new(DLZ_DTYPE_FLOAT, forms[k].rank, forms[k].shape,
                                               o ? 'f' : 'c', &a, NULL, 0),
                                 DLZ_OK);
                for (int i = 0; i < 41; i++) {
                    ((float *)dlz_array_data(a))[i] = vals[i % 4];
                }
                sink s;
                encode_to(a, gen ? DLZ_GEN_JAVACPP : DLZ_GEN_MIXED, forms[k].row, &s);
                assert_int_equal(s.b.n, e.n);
                assert_memory_equal(s.b.p, e.p, e.n);
                tu_b_free(&s.b);
                dlz_array_free(a);
            }
        }
        tu_b_free(&e);
    }
    /* A JAVACPP DOUBLE scalar, byte by byte. */
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_DOUBLE, 0, NULL, 'c', &a, NULL, 0), DLZ_OK);
    *(double *)dlz_array_data(a) = -2.0;
    static const unsigned char scalar[] = {
        0x00, 0x07, 'J',  'A',  'V',  'A',  'C',  'P',  'P',  0x00, 0x00, 0x00, 0x04,
        0x00, 0x03, 'I',  'N',  'T',  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x63, 0x00, 0x07, 'J',  'A',  'V',
        'A',  'C',  'P',  'P',  0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 'D',  'O',  'U',
        'B',  'L',  'E',  0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    sink s;
    encode_to(a, DLZ_GEN_JAVACPP, 0, &s);
    assert_int_equal(s.b.n, sizeof scalar);
    assert_memory_equal(s.b.p, scalar, sizeof scalar);
    tu_b_free(&s.b);
    dlz_array_free(a);
}

/* ------------------------------------------------------------------------ */
/* Hostile input                                                             */

/* Every proper prefix of a record fails with DLZ_EFORMAT, whichever way the
   input is delivered (except where the prefix is itself a valid record). */
static void truncations(const buf *b, size_t valid_prefix) {
    for (size_t cut = 0; cut < b->n; cut++) {
        for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
            dlz_array *a = NULL;
            int rc = decode_mode(b->p, cut, how, UINT64_MAX, &a);
            if (cut == valid_prefix) {
                assert_int_equal(rc, DLZ_OK);
                dlz_array_free(a);
                continue;
            }
            if (rc != DLZ_EFORMAT) {
                fail_msg("cut %zu of %zu (mode %d): %d %s", cut, b->n, how, rc, g_err.msg);
            }
            assert_null(a);
        }
    }
}

static void test_truncation(void **state) {
    (void)state;
    int64_t shape[] = {2, 3}, strides[] = {3, 1};
    for (int m = 0; m < 5; m++) {
        for (int i = 0; i < N_DTYPES; i++) {
            buf b = {0};
            b_record(&b, modes[m], all_dtypes[i], 2, shape, strides, 'c', 6);
            truncations(&b, SIZE_MAX);
            tu_b_free(&b);
            b_record(&b, modes[m], all_dtypes[i], 0, NULL, NULL, 'f', 1);
            truncations(&b, SIZE_MAX);
            tu_b_free(&b);
        }
    }
    const char *gz_modes[] = {"JAVACPP", "MIXED_DATA_TYPES"};
    for (int m = 0; m < 2; m++) {
        gz_spec s = gz_default(gz_modes[m], DLZ_DTYPE_HALF, 40);
        buf b = {0};
        b_gz_record(&b, &s);
        truncations(&b, SIZE_MAX);
        tu_b_free(&b);
    }
    /* An empty array whose data record may be missing: the shape-info alone
       is a valid record. */
    int64_t es[] = {0, 4}, est[] = {4, 1};
    buf b = {0};
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 2, es, est, 8 | 8192, 1, 'c');
    size_t shape_len = b.n;
    b_header(&b, "MIXED_DATA_TYPES", 0, "FLOAT");
    truncations(&b, shape_len);
    tu_b_free(&b);
}

/* Builds a MIXED FLOAT record with the given shape info and data length,
   followed by `bytes` data bytes. */
static void b_custom(buf *b, const char *mode, const char *stype, int rank, const int64_t *shape,
                     const int64_t *strides, int64_t extras, int64_t order, int64_t len,
                     const char *dtype, size_t bytes) {
    b_shape(b, mode, stype, rank, shape, strides, extras, 1, order);
    b_header(b, mode, len, dtype);
    for (size_t i = 0; i < bytes; i++) {
        tu_b_be(b, i, 1);
    }
}

static void test_hostile(void **state) {
    (void)state;
    buf b = {0};
    int64_t s23[] = {2, 3}, st23[] = {3, 1};
    const char *MX = "MIXED_DATA_TYPES";

    /* Unknown allocation modes and names too long to be names. */
    tu_b_utf(&b, "FOO");
    expect_rc(&b, DLZ_EFORMAT, "test.bin: byte 0: expected the allocation mode");
    tu_b_free(&b);
    char longname[301];
    memset(longname, 'A', 300);
    longname[300] = '\0';
    tu_b_utf(&b, longname);
    expect_rc(&b, DLZ_EFORMAT, "found a string of 300 bytes");
    tu_b_free(&b);
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 6, "FLOAT", 24);
    b.p[3] = 'm'; /* "MiXED..." */
    expect_rc(&b, DLZ_EFORMAT, "found 'MmXED_DATA_TYPES'");
    b.p[3] = 0x01;
    expect_rc(&b, DLZ_EFORMAT, "found 'M\\x01XED_DATA_TYPES'");
    tu_b_free(&b);

    /* Data types. */
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 6, "XYZ", 24);
    expect_rc(&b, DLZ_EFORMAT, "unknown data type 'XYZ'");
    assert_string_equal(g_err.msg, "test.bin: byte 122: unknown data type 'XYZ'");
    tu_b_free(&b);
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 6, "UTF8", 24);
    expect_rc(&b, DLZ_EUNSUPPORTED, "UTF8");
    tu_b_free(&b);
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 6, "float", 24);
    expect_rc(&b, DLZ_EFORMAT, "unknown data type 'float'");
    tu_b_free(&b);
    b_custom(&b, MX, "FLOAT", 2, s23, st23, 8192, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "expected shape-info data type INT or LONG, found 'FLOAT'");
    tu_b_free(&b);

    /* Shape-info lengths and ranks. */
    int64_t big[40];
    for (int k = 0; k < 40; k++) {
        big[k] = 1;
    }
    b_custom(&b, MX, "LONG", 33, big, big, 8192, 'c', 1, "FLOAT", 4);
    expect_rc(&b, DLZ_EFORMAT, "found 70");
    tu_b_free(&b);
    b_custom(&b, "JAVACPP", "INT", 33, big, big, 0, 'c', 1, "FLOAT", 4);
    expect_rc(&b, DLZ_EFORMAT, "rank 0..32");
    tu_b_free(&b);
    /* Rank 32 is fine. */
    b_custom(&b, MX, "LONG", 32, big, big, 8192, 'c', 1, "FLOAT", 4);
    dlz_array *a = decode_ok(b.p, b.n);
    assert_int_equal(dlz_array_rank(a), 32);
    dlz_array_free(a);
    tu_b_free(&b);
    /* Rank field disagreeing with the length, negative, or 33 in a
       68-element buffer. */
    const int64_t bad_ranks[] = {33, -1, 1, 3, INT64_MIN};
    for (size_t k = 0; k < sizeof bad_ranks / sizeof bad_ranks[0]; k++) {
        b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 6, "FLOAT", 24);
        for (int j = 0; j < 8; j++) {
            b.p[32 + j] = (unsigned char)((uint64_t)bad_ranks[k] >> (56 - 8 * j));
        }
        expect_rc(&b, DLZ_EFORMAT, "test.bin: byte 32: expected rank");
        tu_b_free(&b);
    }
    /* Odd, too short, negative shape-info lengths. */
    const int64_t bad_lens[] = {7, 2, 0, -8, 70, INT64_MAX};
    for (size_t k = 0; k < sizeof bad_lens / sizeof bad_lens[0]; k++) {
        b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 6, "FLOAT", 24);
        for (int j = 0; j < 8; j++) {
            b.p[18 + j] = (unsigned char)((uint64_t)bad_lens[k] >> (56 - 8 * j));
        }
        expect_rc(&b, DLZ_EFORMAT, "test.bin: byte 18: expected a shape-info");
        tu_b_free(&b);
    }

    /* Dimensions, overflow, strides. */
    int64_t negdim[] = {2, -3};
    b_custom(&b, MX, "LONG", 2, negdim, st23, 8192, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "dimension 1");
    tu_b_free(&b);
    int64_t huge[] = {INT64_C(1) << 32, INT64_C(1) << 32}, hst[] = {INT64_C(1) << 32, 1};
    b_custom(&b, MX, "LONG", 2, huge, hst, 8192, 'c', 0, "FLOAT", 0);
    expect_rc(&b, DLZ_EFORMAT, "overflow");
    tu_b_free(&b);
    int64_t huge3[] = {0, INT64_C(1) << 40, INT64_C(1) << 40}, hst3[] = {1, 1, 1};
    b_custom(&b, MX, "LONG", 3, huge3, hst3, 8 | 8192, 'c', 0, "FLOAT", 0);
    expect_rc(&b, DLZ_EFORMAT, "overflow");
    tu_b_free(&b);
    int64_t negst[] = {-3, 1};
    b_custom(&b, MX, "LONG", 2, s23, negst, 8192, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "negative strides");
    tu_b_free(&b);
    int64_t past[] = {3, 2}; /* reaches 3 + 4 = 7 > 5 */
    b_custom(&b, MX, "LONG", 2, s23, past, 8192, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "reaching element 7");
    tu_b_free(&b);
    int64_t edge[] = {2, 2}; /* reaches 2 + 4 = 6, one past the buffer */
    b_custom(&b, MX, "LONG", 2, s23, edge, 8192, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT,
              "test.bin: byte 56: expected strides addressing elements 0..5 of the "
              "buffer, found strides reaching element 6");
    tu_b_free(&b);
    int64_t past2[] = {3, 1}, sh2[] = {3, 3};
    b_custom(&b, MX, "LONG", 2, sh2, past2, 8192, 'c', 9, "FLOAT", 36);
    a = decode_ok(b.p, b.n); /* reach 8 < 9 */
    dlz_array_free(a);
    tu_b_free(&b);
    int64_t hugest[] = {INT64_MAX / 2, 1};
    b_custom(&b, MX, "LONG", 2, s23, hugest, 8192, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "reaching");
    tu_b_free(&b);
    int64_t maxst[] = {INT64_MAX, 1};
    b_custom(&b, MX, "LONG", 2, s23, maxst, 8192, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "or beyond");
    tu_b_free(&b);

    /* Legacy offset, order. */
    b_custom(&b, "JAVACPP", "INT", 2, s23, st23, 5, 'c', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EUNSUPPORTED, "legacy offset 0, found 5");
    tu_b_free(&b);
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'x', 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "order");
    tu_b_free(&b);
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 0, 6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, "order");
    tu_b_free(&b);

    /* Data lengths: product mismatch, negative, more than there is. */
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 5, "FLOAT", 20);
    expect_rc(&b, DLZ_EFORMAT, "expected 6 elements");
    tu_b_free(&b);
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', 7, "FLOAT", 28);
    expect_rc(&b, DLZ_EFORMAT, "expected 6 elements");
    tu_b_free(&b);
    b_custom(&b, MX, "LONG", 2, s23, st23, 8192, 'c', -6, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, ">= 0");
    tu_b_free(&b);
    b_custom(&b, "JAVACPP", "INT", 2, s23, st23, 0, 'c', -1, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, ">= 0");
    tu_b_free(&b);
    int64_t s1k[] = {1000}, st1[] = {1};
    b_custom(&b, MX, "LONG", 1, s1k, st1, 8192, 'c', 1000, "FLOAT", 24);
    expect_rc(&b, DLZ_EFORMAT, NULL);
    a = NULL;
    assert_int_equal(decode_mode(b.p, b.n, SIZE_KNOWN, UINT64_MAX, &a), DLZ_EFORMAT);
    assert_non_null(strstr(g_err.msg, "found only 24 bytes left"));
    tu_b_free(&b);
    int64_t sbig[] = {INT64_C(1) << 61}, stb[] = {1};
    b_custom(&b, MX, "LONG", 1, sbig, stb, 16384, 'c', INT64_C(1) << 61, "DOUBLE", 8);
    expect_rc(&b, DLZ_EFORMAT, NULL);
    tu_b_free(&b);
}

/* Limits, forged lengths with unknown input size. */
static void test_limits(void **state) {
    (void)state;
    buf b = {0};
    int64_t s23[] = {2, 3}, st23[] = {3, 1};
    b_record(&b, "MIXED_DATA_TYPES", DLZ_DTYPE_FLOAT, 2, s23, st23, 'c', 6);
    for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
        dlz_array *a = NULL;
        assert_int_equal(decode_mode(b.p, b.n, how, 23, &a), DLZ_ELIMIT);
        assert_null(a);
        assert_non_null(strstr(g_err.msg, "limit"));
        assert_int_equal(decode_mode(b.p, b.n, how, 24, &a), DLZ_OK);
        dlz_array_free(a);
    }
    tu_b_free(&b);

    /* A claimed 1 GiB of FLOAT data backed by 10 bytes, size unknown: fails
       as truncated without allocating the claimed amount. */
    int64_t n = INT64_C(1) << 28, st[] = {1};
    b_custom(&b, "MIXED_DATA_TYPES", "LONG", 1, &n, st, 8192, 'c', n, "FLOAT", 10);
    for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
        dlz_array *a = NULL;
        assert_int_equal(decode_mode(b.p, b.n, how, UINT64_MAX, &a), DLZ_EFORMAT);
        assert_null(a);
    }
    tu_b_free(&b);
    /* 8 TiB claimed: an allocation of that size would fail (ENOMEM) or
       abort under ASan, so EFORMAT proves the buffer grew with the data. */
    n = INT64_C(1) << 40;
    b_custom(&b, "MIXED_DATA_TYPES", "LONG", 1, &n, st, 16384, 'c', n, "DOUBLE", 10);
    for (int how = SIZE_UNKNOWN; how <= SIZE_TRICKLE; how++) {
        dlz_array *a = NULL;
        assert_int_equal(decode_mode(b.p, b.n, how, UINT64_MAX, &a), DLZ_EFORMAT);
        assert_non_null(strstr(g_err.msg, "truncated"));
    }
    tu_b_free(&b);
    /* Unknown size, larger than the first buffer: grows and succeeds. */
    int64_t m = 300000;
    b_record(&b, "MIXED_DATA_TYPES", DLZ_DTYPE_UINT32, 1, &m, st, 'c', m);
    dlz_array *a = NULL;
    assert_int_equal(decode_mode(b.p, b.n, SIZE_UNKNOWN, UINT64_MAX, &a), DLZ_OK);
    check_array(a, DLZ_DTYPE_UINT32, 1, &m, st, 'c', m);
    dlz_array_free(a);
    tu_b_free(&b);
}

/* The n-th allocation fails, for n = 1, 2, ...: always DLZ_ENOMEM, never a
   leak, until the call needs no more than n - 1 allocations. */
static void oom_decode(const buf *b, int how) {
    for (long n = 1;; n++) {
        dlz_array *a = NULL;
        dlzi_alloc_fail_after(n);
        int rc = decode_mode(b->p, b->n, how, UINT64_MAX, &a);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            assert_true(n > 1);
            dlz_array_free(a);
            return;
        }
        if (rc != DLZ_ENOMEM) {
            fail_msg("allocation %ld: %d %s", n, rc, g_err.msg);
        }
        assert_null(a);
        assert_true(n < 100);
    }
}

static void test_alloc_failure(void **state) {
    (void)state;
    buf b = {0};
    int64_t s[] = {3, 50000}, st[] = {50000, 1};
    b_record(&b, "MIXED_DATA_TYPES", DLZ_DTYPE_FLOAT, 2, s, st, 'c', 150000);
    for (int how = SIZE_KNOWN; how <= SIZE_TRICKLE; how++) {
        oom_decode(&b, how);
    }
    tu_b_free(&b);
    gz_spec g = gz_default("MIXED_DATA_TYPES", DLZ_DTYPE_DOUBLE, 100000);
    b_gz_record(&b, &g);
    for (int how = SIZE_KNOWN; how <= SIZE_UNKNOWN; how++) {
        oom_decode(&b, how);
    }
    tu_b_free(&b);
    int64_t es[] = {0}, est[] = {1};
    b_shape(&b, "MIXED_DATA_TYPES", "LONG", 1, es, est, 8 | 8192, 1, 'c');
    oom_decode(&b, SIZE_KNOWN);
    tu_b_free(&b);

    /* Encoding and creation. */
    int64_t shape[] = {4, 5};
    for (long n = 1;; n++) {
        dlz_array *a = NULL;
        dlzi_alloc_fail_after(n);
        int rc = dlz_array_new(DLZ_DTYPE_INT, 2, shape, 'f', &a, NULL, 0);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            dlz_array_free(a);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_null(a);
    }
    dlz_array *a = make_filled(DLZ_DTYPE_INT, 2, shape, 'f');
    for (long n = 1;; n++) {
        sink k = {0};
        dlzi_err err;
        dlzi_err_clear(&err);
        dlzi_alloc_fail_after(n);
        int rc = dlzi_array_encode(a, DLZ_GEN_MIXED, 0, sink_emit, &k, &err);
        dlzi_alloc_fail_after(0);
        tu_b_free(&k.b);
        if (rc == DLZ_OK) {
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_int_equal(k.calls, 0);
    }
    dlz_array_free(a);
}

static void test_sniff(void **state) {
    (void)state;
    for (int m = 0; m < 5; m++) {
        buf b = {0};
        tu_b_utf(&b, modes[m]);
        assert_int_equal(dlzi_array_sniff(b.p, b.n, NULL), 1);
        tu_b_be(&b, 0, 8);
        assert_int_equal(dlzi_array_sniff(b.p, b.n, NULL), 1);
        assert_int_equal(dlzi_array_sniff(b.p, b.n - 9, NULL), 0);
        b.p[2] ^= 0x20;
        assert_int_equal(dlzi_array_sniff(b.p, b.n, NULL), 0);
        tu_b_free(&b);
    }
    static const unsigned char zip[] = {'P', 'K', 3, 4, 20, 0, 0, 0};
    assert_int_equal(dlzi_array_sniff(zip, sizeof zip, NULL), 0);
    assert_int_equal(dlzi_array_sniff(zip, 0, NULL), 0);
    assert_int_equal(dlzi_array_sniff(NULL, 0, NULL), 0);
    static const unsigned char old[] = {0, 0, 0, 2, 0, 0, 0, 3}; /* pre-0.5 rank, shape */
    assert_int_equal(dlzi_array_sniff(old, sizeof old, NULL), 0);
}

/* dlz_array_stats against the values of dlz_array_to_f64 summed in long
   double: every dtype, a permuted (strided) view, NaN and infinities. */
static void test_stats(void **state) {
    (void)state;
    static const dlz_dtype types[] = {DLZ_DTYPE_DOUBLE,   DLZ_DTYPE_FLOAT, DLZ_DTYPE_HALF,
                                      DLZ_DTYPE_BFLOAT16, DLZ_DTYPE_INT,   DLZ_DTYPE_BYTE};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        for (int special = 0; special < 3; special++) {
            int64_t shape[3] = {7, 300, 5}; /* 10500 values: several chunks */
            dlz_array *a;
            assert_int_equal(dlz_array_new(types[t], 3, shape, 'f', &a, NULL, 0), DLZ_OK);
            size_t n = (size_t)dlz_array_length(a), es = dlz_dtype_size(types[t]);
            unsigned char *d = dlz_array_data(a);
            unsigned seed = 99 + (unsigned)t;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                double v = ((int)(seed >> 9) % 2001 - 1000) / 64.0;
                /* Integer dtypes hold no infinity or NaN: they take the
                   plain values (converting them would be undefined). */
                int fp = types[t] != DLZ_DTYPE_INT && types[t] != DLZ_DTYPE_BYTE;
                if (fp && special == 1 && i % 997 == 3) {
                    v = i % 2 ? INFINITY : -INFINITY;
                }
                if (fp && special == 2 && i == 4321) {
                    v = NAN;
                }
                switch (types[t]) {
                case DLZ_DTYPE_DOUBLE:
                    memcpy(d + i * es, &v, 8);
                    break;
                case DLZ_DTYPE_FLOAT: {
                    float f = (float)v;
                    memcpy(d + i * es, &f, 4);
                    break;
                }
                case DLZ_DTYPE_HALF: {
                    uint16_t h = dlzi_float_to_half((float)v);
                    memcpy(d + i * es, &h, 2);
                    break;
                }
                case DLZ_DTYPE_BFLOAT16: {
                    uint16_t h = dlzi_float_to_bf16((float)v);
                    memcpy(d + i * es, &h, 2);
                    break;
                }
                case DLZ_DTYPE_INT: {
                    int32_t x = (int32_t)(v * 64);
                    memcpy(d + i * es, &x, 4);
                    break;
                }
                default: {
                    int8_t x = (int8_t)((int)(v * 8) % 100);
                    memcpy(d + i * es, &x, 1);
                    break;
                }
                }
            }
            double *v = malloc(n * sizeof *v);
            assert_int_equal(dlz_array_to_f64(a, v, n), DLZ_OK);
            long double sum = 0;
            double mn = INFINITY, mx = -INFINITY;
            int64_t nans = 0, infs = 0;
            for (size_t i = 0; i < n; i++) {
                if (isnan(v[i])) {
                    nans++;
                    continue;
                }
                infs += isinf(v[i]) != 0;
                sum += v[i];
                mn = v[i] < mn ? v[i] : mn;
                mx = v[i] > mx ? v[i] : mx;
            }
            dlz_stats st;
            assert_int_equal(dlz_array_stats(a, &st), DLZ_OK);
            assert_int_equal(st.count, (int64_t)n);
            assert_int_equal(st.nan_count, nans);
            assert_int_equal(st.inf_count, infs);
            assert_true(st.min == mn && st.max == mx);
            if (infs == 0) {
                /* exact: every value is a multiple of 1/64 well inside double */
                assert_true(st.sum == (double)sum);
            }
            free(v);
            dlz_array_free(a);
        }
    }
    dlz_stats st;
    assert_int_equal(dlz_array_stats(NULL, &st), DLZ_EMISUSE);
}

/* Conversions of unusual values, and n too small. */
static void test_conversions(void **state) {
    (void)state;
    int64_t shape[] = {4};
    dlz_array *a;
    assert_int_equal(dlz_array_new(DLZ_DTYPE_UINT64, 1, shape, 'c', &a, NULL, 0), DLZ_OK);
    uint64_t *u = dlz_array_data(a);
    u[0] = UINT64_MAX;
    u[1] = UINT64_C(1) << 63;
    u[2] = (UINT64_C(1) << 53) + 1;
    u[3] = 0;
    double d[4];
    float f[4];
    assert_int_equal(dlz_array_to_f64(a, d, 3), DLZ_EMISUSE);
    assert_int_equal(dlz_array_to_f64(a, NULL, 4), DLZ_EMISUSE);
    assert_int_equal(dlz_array_to_f32(a, f, 3), DLZ_EMISUSE);
    assert_int_equal(dlz_array_to_f64(a, d, 4), DLZ_OK);
    assert_true(d[0] == 18446744073709551616.0);
    assert_true(d[1] == 9223372036854775808.0);
    assert_true(d[2] == 9007199254740992.0);
    assert_int_equal(dlz_array_to_f32(a, f, 4), DLZ_OK);
    assert_true(f[0] == 18446744073709551616.0f);
    assert_true(dlzi_array_get_f64(a, 1) == 9223372036854775808.0);
    dlz_array_free(a);

    assert_int_equal(dlz_array_new(DLZ_DTYPE_HALF, 1, shape, 'c', &a, NULL, 0), DLZ_OK);
    uint16_t *h = dlz_array_data(a);
    h[0] = 0x7c00;
    h[1] = 0xfc00;
    h[2] = 0x7e00;
    h[3] = 0x8000;
    assert_int_equal(dlz_array_to_f64(a, d, 4), DLZ_OK);
    assert_true(isinf(d[0]) && d[0] > 0);
    assert_true(isinf(d[1]) && d[1] < 0);
    assert_true(isnan(d[2]));
    assert_true(d[3] == 0 && signbit(d[3]));
    dlz_array_free(a);

    /* Only the first length elements are written. */
    assert_int_equal(dlz_array_new(DLZ_DTYPE_BOOL, 1, shape, 'c', &a, NULL, 0), DLZ_OK);
    ((unsigned char *)dlz_array_data(a))[1] = 7;
    double many[6] = {9, 9, 9, 9, 9, 9};
    assert_int_equal(dlz_array_to_f64(a, many, 6), DLZ_OK);
    assert_true(many[0] == 0 && many[1] == 1 && many[3] == 0 && many[4] == 9);
    dlz_array_free(a);
}

/* ------------------------------------------------------------------------ */
/* Corpus                                                                    */

/* The corpus record re-parsed with byte arithmetic. */
typedef struct ref_rec {
    int rank;
    int64_t shape[DLZ_MAX_RANK], strides[DLZ_MAX_RANK];
    int64_t extras, ews, order;
    char type[32];
    int64_t count;
    const unsigned char *elems;
    size_t end; /* bytes used */
} ref_rec;

static uint64_t rd_be(const unsigned char *p, int w) {
    uint64_t v = 0;
    for (int i = 0; i < w; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static int64_t rd_sbe(const unsigned char *p, int w) {
    uint64_t v = rd_be(p, w);
    if (w == 4) {
        return (int32_t)(uint32_t)v;
    }
    return (int64_t)v;
}

static int ref_width(const char *type) {
    if (strcmp(type, "DOUBLE") == 0) {
        return 8;
    }
    if (strcmp(type, "FLOAT") == 0) {
        return 4;
    }
    if (strcmp(type, "HALF") == 0) {
        return 2;
    }
    fail_msg("corpus type %s not handled by the reference parser", type);
    return 0;
}

static void ref_parse(const unsigned char *p, size_t n, ref_rec *r) {
    size_t o = 0;
    char mode[32], stype[32];
    int64_t len;
    for (int rec = 0; rec < 2; rec++) {
        size_t l = rd_be(p + o, 2);
        assert_true(l < sizeof mode && o + 2 + l <= n);
        memcpy(mode, p + o + 2, l);
        mode[l] = '\0';
        o += 2 + l;
        int w = mode_wide(mode) ? 8 : 4;
        len = rd_sbe(p + o, w);
        o += (size_t)w;
        l = rd_be(p + o, 2);
        assert_true(l < sizeof stype);
        memcpy(rec == 0 ? stype : r->type, p + o + 2, l);
        (rec == 0 ? stype : r->type)[l] = '\0';
        o += 2 + l;
        if (rec == 0) {
            int ew = strcmp(stype, "LONG") == 0 ? 8 : 4;
            int64_t v[2 * DLZ_MAX_RANK + 4];
            assert_true(len >= 4 && len <= 2 * DLZ_MAX_RANK + 4);
            for (int64_t i = 0; i < len; i++) {
                v[i] = rd_sbe(p + o, ew);
                o += (size_t)ew;
            }
            r->rank = (int)v[0];
            assert_int_equal(len, 2 * r->rank + 4);
            for (int k = 0; k < r->rank; k++) {
                r->shape[k] = v[1 + k];
                r->strides[k] = v[1 + r->rank + k];
            }
            r->extras = v[2 * r->rank + 1];
            r->ews = v[2 * r->rank + 2];
            r->order = v[2 * r->rank + 3];
        } else {
            r->count = len;
            r->elems = p + o;
            o += (size_t)(len * ref_width(r->type));
        }
    }
    assert_int_equal(o, n);
    r->end = o;
}

static double ref_value(const ref_rec *r, int64_t pos) {
    int w = ref_width(r->type);
    uint64_t u = rd_be(r->elems + pos * w, w);
    if (w == 2) {
        return ref_half((uint16_t)u);
    }
    if (w == 4) {
        return (double)float_of((uint32_t)u);
    }
    double d;
    memcpy(&d, &u, 8);
    return d;
}

typedef struct corpus_arr {
    char *path;
    ref_rec ref;
    unsigned char *bytes;
    size_t n;
    dlz_array *a;
    double *v; /* logical values from dlz_array_to_f64 */
} corpus_arr;

#define MAX_CORPUS 256
static corpus_arr corpus[MAX_CORPUS];
static int n_corpus;

static int corpus_setup(void **state) {
    (void)state;
    const char *dir = tu_corpus_dir();
    n_corpus = 0;
    if (dir == NULL) {
        return 0;
    }
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/dl4j", dir);
    DIR *d = opendir(sub);
    if (d == NULL) {
        return 0;
    }
    struct dirent *e;
    char *names[MAX_CORPUS];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char vdir[4096 + 256];
        snprintf(vdir, sizeof vdir, "%s/%s", sub, e->d_name);
        int k = tu_list_dir(vdir, ".bin", names, MAX_CORPUS);
        for (int i = 0; i < k; i++) {
            if ((strstr(names[i], "_Input_") || strstr(names[i], "_Output_")) &&
                n_corpus < MAX_CORPUS) {
                corpus[n_corpus++].path = names[i];
            } else {
                free(names[i]);
            }
        }
    }
    closedir(d);
    return 0;
}

static int corpus_teardown(void **state) {
    (void)state;
    for (int i = 0; i < n_corpus; i++) {
        free(corpus[i].path);
        free(corpus[i].bytes);
        free(corpus[i].v);
        dlz_array_free(corpus[i].a);
    }
    n_corpus = 0;
    return 0;
}

static corpus_arr *corpus_find(const char *suffix) {
    for (int i = 0; i < n_corpus; i++) {
        size_t l = strlen(corpus[i].path), s = strlen(suffix);
        if (l >= s && strcmp(corpus[i].path + l - s, suffix) == 0) {
            return &corpus[i];
        }
    }
    fail_msg("corpus file *%s missing", suffix);
    return NULL;
}

/* Every bare array decodes; every element read through the library equals
   the element the reference parser finds at Σ ik·stride_k. */
static void test_corpus_decode(void **state) {
    (void)state;
    if (tu_corpus_dir() == NULL) {
        skip();
    }
    if (n_corpus == 0) {
        print_message("no bare arrays under %s/dl4j: skipped\n", tu_corpus_dir());
        skip();
    }
    int permuted = 0, forder = 0;
    for (int i = 0; i < n_corpus; i++) {
        corpus_arr *c = &corpus[i];
        c->bytes = tu_read_file(c->path, &c->n);
        ref_parse(c->bytes, c->n, &c->ref);
        for (int how = SIZE_KNOWN; how <= SIZE_UNKNOWN; how++) {
            dlz_array *a = NULL;
            int rc = decode_mode(c->bytes, c->n, how, UINT64_MAX, &a);
            if (rc != DLZ_OK) {
                fail_msg("%s: %s", c->path, g_err.msg);
            }
            if (how == SIZE_KNOWN) {
                c->a = a;
            } else {
                dlz_array_free(a);
            }
        }
        const ref_rec *r = &c->ref;
        assert_string_equal(dlz_dtype_name(dlz_array_dtype(c->a)), r->type);
        assert_int_equal(dlz_array_rank(c->a), r->rank);
        assert_int_equal(dlz_array_order(c->a), r->order);
        assert_int_equal(dlz_array_generation(c->a), DLZ_GEN_MIXED);
        int dense = 1;
        int64_t s = 1;
        for (int k = r->rank - 1; k >= 0; k--) {
            assert_int_equal(dlz_array_shape(c->a)[k], r->shape[k]);
            assert_int_equal(dlz_array_strides(c->a)[k], r->strides[k]);
            dense &= r->shape[k] == 1 || r->strides[k] == s;
            s *= r->shape[k];
        }
        permuted += !dense && r->order == 'c';
        forder += r->order == 'f';
        int64_t len = ref_len(r->rank, r->shape);
        assert_int_equal(len, r->count);
        c->v = malloc(sizeof(double) * (size_t)len);
        float *f = malloc(sizeof(float) * (size_t)len);
        assert_int_equal(dlz_array_to_f64(c->a, c->v, (size_t)len), DLZ_OK);
        assert_int_equal(dlz_array_to_f32(c->a, f, (size_t)len), DLZ_OK);
        for (int64_t j = 0; j < len; j++) {
            double want = ref_value(r, ref_pos(r->rank, r->shape, r->strides, j));
            if (!(c->v[j] == want) || !(f[j] == (float)want) ||
                !(dlzi_array_get_f64(c->a, j) == want)) {
                fail_msg("%s element %lld: %.17g, expected %.17g", c->path, (long long)j, c->v[j],
                         want);
            }
        }
        free(f);
    }
    print_message("%d corpus arrays decoded (%d permuted 'c', %d 'f')\n", n_corpus, permuted,
                  forder);
    assert_true(permuted >= 2);
    assert_true(forder >= 2);
}

static void sums_to_one(const corpus_arr *c, double tol) {
    /* Softmax over dimension 1: for each other index the sum over dim 1 is 1. */
    const int64_t *sh = dlz_array_shape(c->a);
    int r = dlz_array_rank(c->a);
    int64_t outer = sh[0], classes = sh[1], inner = 1;
    for (int k = 2; k < r; k++) {
        inner *= sh[k];
    }
    for (int64_t i = 0; i < outer; i++) {
        for (int64_t t = 0; t < inner; t++) {
            double sum = 0;
            for (int64_t j = 0; j < classes; j++) {
                sum += c->v[(i * classes + j) * inner + t];
            }
            if (fabs(sum - 1.0) > tol) {
                fail_msg("%s: sum over dim 1 at (%lld, %lld) = %.9f", c->path, (long long)i,
                         (long long)t, sum);
            }
        }
    }
}

static void test_corpus_values(void **state) {
    (void)state;
    if (tu_corpus_dir() == NULL || n_corpus == 0 || corpus[0].a == NULL) {
        skip();
    }
    const char *vers[] = {"100b4", "100b6"};
    char name[256];
    for (int v = 0; v < 2; v++) {
        /* HALF, FLOAT and DOUBLE saves of the same input agree to HALF precision. */
        snprintf(name, sizeof name, "CustomLayerExample_Input_%s_double.bin", vers[v]);
        corpus_arr *cd = corpus_find(name);
        snprintf(name, sizeof name, "CustomLayerExample_Input_%s_float.bin", vers[v]);
        corpus_arr *cf = corpus_find(name);
        snprintf(name, sizeof name, "CustomLayerExample_Input_%s_half.bin", vers[v]);
        corpus_arr *ch = corpus_find(name);
        assert_int_equal(dlz_array_dtype(ch->a), DLZ_DTYPE_HALF);
        assert_int_equal(dlz_array_length(cd->a), 15);
        for (int64_t j = 0; j < 15; j++) {
            double x = cd->v[j];
            assert_true(fabs(cf->v[j] - x) <= 1e-6 * fabs(x));
            assert_true(fabs(ch->v[j] - x) <= fmax(2.3e-4, 1e-3 * fabs(x)));
        }
        /* Softmax outputs. The three CustomLayerExample networks are saved
           separately (different parameters), so only their sums compare;
           8 HALF roundings allow 2e-3. */
        const char *types[] = {"double", "float", "half"};
        for (int t = 0; t < 3; t++) {
            snprintf(name, sizeof name, "CustomLayerExample_Output_%s_%s.bin", vers[v], types[t]);
            sums_to_one(corpus_find(name), t == 2 ? 2e-3 : 1e-5);
        }
        snprintf(name, sizeof name, "GravesLSTMCharModelingExample_Output_%s.bin", vers[v]);
        corpus_arr *g = corpus_find(name);
        assert_int_equal(dlz_array_rank(g->a), 3);
        assert_int_equal(dlz_array_shape(g->a)[1], 77);
        sums_to_one(g, 1e-5);
        snprintf(name, sizeof name, "SyntheticBidirectionalRNNGraph_Output_%s.bin", vers[v]);
        sums_to_one(corpus_find(name), 1e-5);
        snprintf(name, sizeof name, "VaeMNISTAnomaly_Output_%s.bin", vers[v]);
        assert_int_equal(dlz_array_order(corpus_find(name)->a), 'f');
    }
    /* The same outputs written by 1.0.0-beta4 with permuted strides and by
       beta6 dense agree when read through the strides. */
    const char *pairs[] = {"GravesLSTMCharModelingExample_Output", "SyntheticCNN_Output"};
    for (int p = 0; p < 2; p++) {
        snprintf(name, sizeof name, "%s_100b4.bin", pairs[p]);
        corpus_arr *b4 = corpus_find(name);
        snprintf(name, sizeof name, "%s_100b6.bin", pairs[p]);
        corpus_arr *b6 = corpus_find(name);
        assert_int_not_equal(dlz_array_strides(b4->a)[dlz_array_rank(b4->a) - 1], 1);
        assert_int_equal(dlz_array_strides(b6->a)[dlz_array_rank(b6->a) - 1], 1);
        assert_int_equal(dlz_array_length(b4->a), dlz_array_length(b6->a));
        for (int64_t j = 0; j < dlz_array_length(b4->a); j++) {
            if (fabs(b4->v[j] - b6->v[j]) > 1e-5) {
                fail_msg("%s element %lld: %.9g vs %.9g", pairs[p], (long long)j, b4->v[j],
                         b6->v[j]);
            }
        }
    }
}

/* Dense 'c' corpus arrays re-encode to the very bytes DL4J wrote; the
   others re-encode to a dense record with the same logical values. */
static void test_corpus_reencode(void **state) {
    (void)state;
    if (tu_corpus_dir() == NULL || n_corpus == 0 || corpus[0].a == NULL) {
        skip();
    }
    int identical = 0;
    for (int i = 0; i < n_corpus; i++) {
        corpus_arr *c = &corpus[i];
        sink s;
        encode_to(c->a, DLZ_GEN_MIXED, 0, &s);
        const ref_rec *r = &c->ref;
        int canonical = r->order == 'c' && r->ews == 1;
        int64_t st = 1;
        for (int k = r->rank - 1; k >= 0; k--) {
            canonical &= r->strides[k] == st;
            st *= r->shape[k];
        }
        if (canonical) {
            assert_int_equal(s.b.n, c->n);
            assert_memory_equal(s.b.p, c->bytes, c->n);
            identical++;
        } else {
            assert_int_equal(s.b.n, c->n); /* same sizes, other strides */
        }
        dlz_array *b = decode_ok(s.b.p, s.b.n);
        double *v = malloc(sizeof(double) * (size_t)dlz_array_length(b));
        assert_int_equal(dlz_array_to_f64(b, v, (size_t)dlz_array_length(b)), DLZ_OK);
        assert_memory_equal(v, c->v, sizeof(double) * (size_t)dlz_array_length(b));
        free(v);
        dlz_array_free(b);
        tu_b_free(&s.b);
    }
    print_message("%d of %d corpus arrays re-encoded byte for byte\n", identical, n_corpus);
    assert_true(identical >= n_corpus / 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_new),
        cmocka_unit_test(test_half_exhaustive),
        cmocka_unit_test(test_half_rounding),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_convert_rounding),
        cmocka_unit_test(test_convert_types),
        cmocka_unit_test(test_all_dtypes_all_modes),
        cmocka_unit_test(test_mixed_widths),
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_order_and_strides),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_encode_strided),
        cmocka_unit_test(test_encode_empty),
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_corpus_decode),
        cmocka_unit_test(test_corpus_values),
        cmocka_unit_test(test_corpus_reencode),
    };
    if (tu_corpus_dir() == NULL) {
        print_message("DLZ_CORPUS not set or missing: corpus checks skipped\n");
    }
    return cmocka_run_group_tests(tests, corpus_setup, corpus_teardown);
}
