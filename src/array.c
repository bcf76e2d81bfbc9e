/* array.c - ND4J array records (Nd4j.write / Nd4j.read, FORMAT.md section B).
 *
 * A record is a shape-info data buffer followed by the element data buffer.
 * The decoder reads every generation (DIRECT/HEAP/JAVACPP with INT shape info,
 * LONG_SHAPE and MIXED_DATA_TYPES with LONG shape info, GZIP COMPRESSED data
 * buffers); the encoder writes dense MIXED_DATA_TYPES or JAVACPP records in
 * bounded chunks.  Also here: the public dlz_array accessors, conversions to
 * double/float and the binary16 / bfloat16 helpers. */
/* See dlz-format(5), section ARRAY RECORDS. */
#include "internal.h"

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <zlib.h>

/* Bits of the extras word (B.5). */
#define EXTRA_COMPRESSED INT64_C(4)
#define EXTRA_EMPTY INT64_C(8)
#define EXTRA_BFLOAT16 INT64_C(2048)
#define EXTRA_HALF INT64_C(4096)
#define EXTRA_FLOAT INT64_C(8192)
#define EXTRA_DOUBLE INT64_C(16384)
#define EXTRA_BYTE INT64_C(32768)
#define EXTRA_SHORT INT64_C(65536)
#define EXTRA_INT INT64_C(131072)
#define EXTRA_LONG INT64_C(262144)
#define EXTRA_BOOL INT64_C(524288)
#define EXTRA_UTF8 INT64_C(1048576)
#define EXTRA_UNSIGNED INT64_C(8388608)

#define ORDER_C 99
#define ORDER_F 102

/* Longest name (allocation mode, data type, algorithm) read, plus its NUL.
   Every legal name is far shorter; longer strings are rejected unread. */
#define NAME_CAP 48

/* Encoder chunk: the emit callback never receives more than this at once. */
#define ENC_CHUNK 65536u

/* When the input size is unknown, element data is read in pieces of at most
   READ_CHUNK into a buffer that starts at FIRST_CAP and doubles, so a forged
   length costs at most twice the bytes that actually arrived. */
#define READ_CHUNK (4u << 20)
#define FIRST_CAP (64u << 10)

#define NUM_DTYPES 15

static const struct {
    const char *name;
    unsigned char size;
    int64_t extras; /* the type bit(s) a writer puts in the extras word */
} dtypes[NUM_DTYPES] = {
    [DLZ_DTYPE_DOUBLE] = {"DOUBLE", 8, EXTRA_DOUBLE},
    [DLZ_DTYPE_FLOAT] = {"FLOAT", 4, EXTRA_FLOAT},
    [DLZ_DTYPE_HALF] = {"HALF", 2, EXTRA_HALF},
    [DLZ_DTYPE_LONG] = {"LONG", 8, EXTRA_LONG},
    [DLZ_DTYPE_INT] = {"INT", 4, EXTRA_INT},
    [DLZ_DTYPE_SHORT] = {"SHORT", 2, EXTRA_SHORT},
    [DLZ_DTYPE_UBYTE] = {"UBYTE", 1, EXTRA_BYTE | EXTRA_UNSIGNED},
    [DLZ_DTYPE_BYTE] = {"BYTE", 1, EXTRA_BYTE},
    [DLZ_DTYPE_BOOL] = {"BOOL", 1, EXTRA_BOOL},
    [DLZ_DTYPE_BFLOAT16] = {"BFLOAT16", 2, EXTRA_BFLOAT16},
    [DLZ_DTYPE_UINT16] = {"UINT16", 2, EXTRA_SHORT | EXTRA_UNSIGNED},
    [DLZ_DTYPE_UINT32] = {"UINT32", 4, EXTRA_INT | EXTRA_UNSIGNED},
    [DLZ_DTYPE_UINT64] = {"UINT64", 8, EXTRA_LONG | EXTRA_UNSIGNED},
};

static const char *const gen_names[] = {"DIRECT", "HEAP", "JAVACPP", "LONG_SHAPE",
                                        "MIXED_DATA_TYPES"};
#define NUM_GENS ((int)(sizeof gen_names / sizeof gen_names[0]))

static int dtype_ok(dlz_dtype t) {
    return (unsigned)t < NUM_DTYPES && dtypes[t].name != NULL;
}

const char *dlz_dtype_name(dlz_dtype t) {
    return dtype_ok(t) ? dtypes[t].name : NULL;
}

size_t dlz_dtype_size(dlz_dtype t) {
    return dtype_ok(t) ? dtypes[t].size : 0;
}

const char *dlz_generation_name(dlz_generation g) {
    return (unsigned)g < (unsigned)NUM_GENS ? gen_names[g] : NULL;
}

/* ------------------------------------------------------------------------ */
/* binary32, binary16 and bfloat16                                           */

/* FLT_MAX plus half of its unit in the last place: from there on the nearest
   float is infinity (the tie goes to the even infinity). */
float dlzi_double_to_float(double x) {
    const double lim = (double)FLT_MAX + 0x1p103;
    if (x != x || fabs(x) <= (double)FLT_MAX) {
        return (float)x;
    }
    if (fabs(x) < lim) {
        return x < 0 ? -FLT_MAX : FLT_MAX;
    }
    return x < 0 ? -INFINITY : INFINITY;
}

static uint32_t f2u(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float u2f(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float dlzi_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) {
        /* Infinity or NaN; the payload moves to the top of the float mantissa. */
        return u2f(sign | 0x7f800000u | man << 13);
    }
    if (exp == 0) {
        if (man == 0) {
            return u2f(sign);
        }
        /* Subnormal: shift the leading 1 up to the implicit-bit position. */
        exp = 113; /* float exponent of 2^-14, the smallest normal half */
        while ((man & 0x400u) == 0) {
            man <<= 1;
            exp--;
        }
        return u2f(sign | exp << 23 | (man & 0x3ffu) << 13);
    }
    return u2f(sign | (exp + 112) << 23 | man << 13);
}

uint16_t dlzi_float_to_half(float f) {
    uint32_t x = f2u(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) {
        /* NaN: keep the top payload bits; force one on so it stays a NaN. */
        uint32_t m = (ax >> 13) & 0x3ffu;
        return (uint16_t)(sign | 0x7c00u | (m != 0 ? m : 0x200u));
    }
    if (ax >= 0x477ff000u) {
        /* >= 65520 (halfway between 65504 and 2^16): rounds to even, i.e. to
           infinity; also catches infinity itself. */
        return (uint16_t)(sign | 0x7c00u);
    }
    if (ax < 0x38800000u) {
        /* Below 2^-14: a subnormal half (in units of 2^-24) or zero.  Up to
           2^-25 inclusive rounds to zero (the tie goes to even 0). */
        if (ax <= 0x33000000u) {
            return sign;
        }
        uint32_t e = ax >> 23;
        uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e; /* 14..24 */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (q & 1u))) {
            q++; /* may carry into the smallest normal, which is correct */
        }
        return (uint16_t)(sign | q);
    }
    uint32_t h = ((ax >> 23) - 112) << 10 | ((ax >> 13) & 0x3ffu);
    uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) {
        h++; /* a carry into the exponent is the correct rounding */
    }
    return (uint16_t)(sign | h);
}

float dlzi_bf16_to_float(uint16_t h) {
    return u2f((uint32_t)h << 16);
}

uint16_t dlzi_float_to_bf16(float f) {
    uint32_t x = f2u(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        /* NaN whose payload may sit only in the dropped bits: set the quiet bit. */
        return (uint16_t)((x >> 16) | 0x40u);
    }
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

/* ------------------------------------------------------------------------ */
/* Arrays: creation and accessors                                            */

/* a * b for non-negative values; 0 on success, -1 if it exceeds INT64_MAX. */
static int mul_i64(int64_t a, int64_t b, int64_t *r) {
    if (a != 0 && b > INT64_MAX / a) {
        return -1;
    }
    *r = a * b;
    return 0;
}

/* Dense strides of @p order for @p shape; fails on overflow. */
static int dense_strides(int rank, const int64_t *shape, char order, int64_t *strides) {
    int64_t s = 1;
    for (int i = 0; i < rank; i++) {
        int k = order == 'f' ? i : rank - 1 - i;
        strides[k] = s;
        if (mul_i64(s, shape[k], &s) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Product of the non-zero dimensions, so that an empty array with huge other
   dimensions is still refused; 0 on success, -1 on overflow. */
static int nonzero_product(int rank, const int64_t *shape, int64_t *prod) {
    int64_t p = 1;
    for (int k = 0; k < rank; k++) {
        if (shape[k] != 0 && mul_i64(p, shape[k], &p) != 0) {
            return -1;
        }
    }
    *prod = p;
    return 0;
}

int dlz_array_new(dlz_dtype dtype, int rank, const int64_t *shape, char order, dlz_array **out,
                  char *errbuf, size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_array_new(dtype, rank, shape, order, out, &err);
    return rc == DLZ_OK ? rc : dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
}

int dlzi_array_new(dlz_dtype dtype, int rank, const int64_t *shape, char order, dlz_array **out,
                   dlzi_err *err) {
    if (out == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "dlz_array_new: NULL out");
    }
    *out = NULL;
    if (!dtype_ok(dtype)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "dlz_array_new: unknown data type %d", (int)dtype);
    }
    if (rank < 0 || rank > DLZ_MAX_RANK || (rank > 0 && shape == NULL)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "dlz_array_new: rank %d%s is not 0..%d", rank,
                            rank > 0 && shape == NULL ? " with a NULL shape" : "", DLZ_MAX_RANK);
    }
    if (order != 'c' && order != 'f') {
        return dlzi_err_set(err, DLZ_EMISUSE, "dlz_array_new: order must be 'c' or 'f'");
    }
    int64_t length = 1, prod;
    for (int k = 0; k < rank; k++) {
        if (shape[k] < 0) {
            return dlzi_err_set(err, DLZ_EMISUSE, "dlz_array_new: dimension %d is %" PRId64, k,
                                shape[k]);
        }
        if (shape[k] == 0) {
            length = 0;
        }
    }
    if (nonzero_product(rank, shape, &prod) != 0) {
        return dlzi_err_set(err, DLZ_ELIMIT, "dlz_array_new: the shape's product overflows");
    }
    if (length != 0) {
        length = prod;
    }
    size_t esz = dtypes[dtype].size;
    if ((uint64_t)length > SIZE_MAX / esz) {
        return dlzi_err_set(err, DLZ_ELIMIT, "dlz_array_new: %" PRId64 " elements do not fit",
                            length);
    }
    dlz_array *a = dlzi_calloc(1, sizeof *a);
    if (a == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    a->data = dlzi_calloc((size_t)length, esz);
    if (a->data == NULL) {
        dlzi_free(a);
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    a->dtype = dtype;
    a->rank = rank;
    if (rank > 0) {
        memcpy(a->shape, shape, (size_t)rank * sizeof *shape);
    }
    (void)dense_strides(rank, a->shape, order, a->strides); /* cannot overflow: prod fits */
    a->order = order;
    a->length = length;
    a->buflen = length;
    a->generation = DLZ_GEN_MIXED;
    *out = a;
    return DLZ_OK;
}

void dlz_array_free(dlz_array *a) {
    if (a != NULL) {
        dlzi_free(a->data);
        dlzi_free(a);
    }
}

dlz_dtype dlz_array_dtype(const dlz_array *a) {
    return a != NULL ? a->dtype : DLZ_DTYPE_FLOAT;
}

int dlz_array_rank(const dlz_array *a) {
    return a != NULL ? a->rank : 0;
}

const int64_t *dlz_array_shape(const dlz_array *a) {
    return a != NULL ? a->shape : NULL;
}

const int64_t *dlz_array_strides(const dlz_array *a) {
    return a != NULL ? a->strides : NULL;
}

char dlz_array_order(const dlz_array *a) {
    return a != NULL ? a->order : 'c';
}

int64_t dlz_array_length(const dlz_array *a) {
    return a != NULL ? a->length : 0;
}

void *dlz_array_data(dlz_array *a) {
    return a != NULL ? a->data : NULL;
}

const void *dlz_array_cdata(const dlz_array *a) {
    return a != NULL ? a->data : NULL;
}

size_t dlz_array_nbytes(const dlz_array *a) {
    return a != NULL ? (size_t)a->buflen * dtypes[a->dtype].size : 0;
}

dlz_generation dlz_array_generation(const dlz_array *a) {
    return a != NULL ? a->generation : DLZ_GEN_MIXED;
}

int dlz_array_was_compressed(const dlz_array *a) {
    return a != NULL ? a->compressed : 0;
}

/* ------------------------------------------------------------------------ */
/* Walking the elements in logical 'c' order                                 */

/* Visits the elements as "rows": runs of row_len elements row_stride apart.
   Dimensions of size 1 are dropped and neighbours that are contiguous with
   each other are merged first, so a dense 'c' array is a single row with
   stride 1 and the per-row work (a switch on the type) is amortised. */
typedef struct iter {
    int nd;
    int64_t shape[DLZ_MAX_RANK], stride[DLZ_MAX_RANK], idx[DLZ_MAX_RANK];
    int64_t pos;     /* buffer position of the current row's first element */
    int64_t rows;    /* rows left */
    int64_t row_len; /* elements per row */
    int64_t row_stride;
} iter;

/* Requires a valid array: strides >= 0 and every reachable position inside
   the buffer, which also bounds every stride * shape product used here.  An
   empty array reaches no position, so its strides bound nothing: it has no
   rows and its dimensions are not looked at. */
static void iter_init(iter *it, const dlz_array *a) {
    it->nd = 0;
    it->pos = 0;
    if (a->length == 0) {
        it->rows = 0;
        it->row_len = 0;
        it->row_stride = 0;
        return;
    }
    for (int k = 0; k < a->rank; k++) {
        if (a->shape[k] == 1) {
            continue;
        }
        int n = it->nd;
        if (n > 0 && it->stride[n - 1] == a->strides[k] * a->shape[k]) {
            it->shape[n - 1] *= a->shape[k];
            it->stride[n - 1] = a->strides[k];
        } else {
            it->shape[n] = a->shape[k];
            it->stride[n] = a->strides[k];
            it->idx[n] = 0;
            it->nd++;
        }
    }
    if (it->nd == 0) {
        it->rows = 1;
        it->row_len = 1;
        it->row_stride = 0;
    } else {
        it->row_len = it->shape[it->nd - 1];
        it->row_stride = it->stride[it->nd - 1];
        it->rows = a->length / it->row_len;
    }
}

/* Moves pos to the next row (an odometer over every dimension but the last). */
static void iter_next(iter *it) {
    for (int k = it->nd - 2; k >= 0; k--) {
        it->pos += it->stride[k];
        if (++it->idx[k] < it->shape[k]) {
            return;
        }
        it->pos -= it->stride[k] * it->shape[k];
        it->idx[k] = 0;
    }
}

/* One case of the per-row conversion loops below: reads n elements of type
   T, st apart from s_ + p, and stores CONV(v_) at out[0..n). */
#define ROW_CASE(E, T, CONV)                                                                       \
    case E: {                                                                                      \
        const T *s_ = (const T *)a->data + p;                                                      \
        for (int64_t i_ = 0; i_ < n; i_++) {                                                       \
            T v_ = s_[i_ * st];                                                                    \
            out[i_] = CONV;                                                                        \
        }                                                                                          \
        break;                                                                                     \
    }

#define ROW_CASES(OUT_T)                                                                           \
    ROW_CASE(DLZ_DTYPE_DOUBLE, double, (OUT_T)v_)                                                  \
    ROW_CASE(DLZ_DTYPE_FLOAT, float, (OUT_T)v_)                                                    \
    ROW_CASE(DLZ_DTYPE_HALF, uint16_t, (OUT_T)dlzi_half_to_float(v_))                              \
    ROW_CASE(DLZ_DTYPE_BFLOAT16, uint16_t, (OUT_T)dlzi_bf16_to_float(v_))                          \
    ROW_CASE(DLZ_DTYPE_LONG, int64_t, (OUT_T)v_)                                                   \
    ROW_CASE(DLZ_DTYPE_INT, int32_t, (OUT_T)v_)                                                    \
    ROW_CASE(DLZ_DTYPE_SHORT, int16_t, (OUT_T)v_)                                                  \
    ROW_CASE(DLZ_DTYPE_BYTE, int8_t, (OUT_T)v_)                                                    \
    ROW_CASE(DLZ_DTYPE_UBYTE, uint8_t, (OUT_T)v_)                                                  \
    ROW_CASE(DLZ_DTYPE_BOOL, uint8_t, (OUT_T)(v_ != 0))                                            \
    ROW_CASE(DLZ_DTYPE_UINT16, uint16_t, (OUT_T)v_)                                                \
    ROW_CASE(DLZ_DTYPE_UINT32, uint32_t, (OUT_T)v_)                                                \
    ROW_CASE(DLZ_DTYPE_UINT64, uint64_t, (OUT_T)v_)

static void gather_f64(const dlz_array *a, double *out) {
    iter it;
    iter_init(&it, a);
    const int64_t n = it.row_len, st = it.row_stride;
    for (; it.rows > 0; it.rows--) {
        const int64_t p = it.pos;
        switch (a->dtype) { ROW_CASES(double) }
        out += n;
        iter_next(&it);
    }
}

static void gather_f32(const dlz_array *a, float *out) {
    iter it;
    iter_init(&it, a);
    const int64_t n = it.row_len, st = it.row_stride;
    for (; it.rows > 0; it.rows--) {
        const int64_t p = it.pos;
        switch (a->dtype) { ROW_CASES(float) }
        out += n;
        iter_next(&it);
    }
}

int dlzi_array_copy(const dlz_array *a, dlz_array **out, dlzi_err *err) {
    dlz_array *c;
    int rc = dlzi_array_new(a->dtype, a->rank, a->shape, 'c', &c, err);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (a->length == 0) {
        c->length = c->buflen = 0; /* an empty scalar stays empty (rank 0 means 1 element) */
    }
    const size_t esz = dtypes[a->dtype].size;
    const unsigned char *src = a->data;
    unsigned char *dst = c->data;
    iter it;
    iter_init(&it, a);
    for (; it.rows > 0; it.rows--) {
        const unsigned char *row = src + (size_t)it.pos * esz;
        if (it.row_stride == 1) {
            memcpy(dst, row, (size_t)it.row_len * esz);
        } else {
            for (int64_t i = 0; i < it.row_len; i++) {
                memcpy(dst + (size_t)i * esz, row + (size_t)(i * it.row_stride) * esz, esz);
            }
        }
        dst += (size_t)it.row_len * esz;
        iter_next(&it);
    }
    c->generation = a->generation;
    *out = c;
    return DLZ_OK;
}

/* x rounded to binary32 towards zero, with the lowest mantissa bit set when
   that lost anything ("round to odd").  Rounding this once more to a type of
   at most 22 mantissa bits (binary16, bfloat16) gives the correctly rounded
   result of x, which going through the nearest float would not always (a
   double rounding). */
static float double_to_float_odd(double x) {
    if (x != x || fabs(x) > (double)FLT_MAX) {
        return dlzi_double_to_float(x); /* NaN or beyond every float: infinite */
    }
    float f = (float)x;
    if (fabs((double)f) > fabs(x)) {
        f = nextafterf(f, 0.0f);
    }
    if ((double)f != x) {
        f = u2f(f2u(f) | 1u);
    }
    return f;
}

static void store_converted(void *dst, dlz_dtype to, const double *v, int64_t n, int exact) {
    for (int64_t i = 0; i < n; i++) {
        switch (to) {
        case DLZ_DTYPE_DOUBLE:
            ((double *)dst)[i] = v[i];
            break;
        case DLZ_DTYPE_FLOAT:
            ((float *)dst)[i] = dlzi_double_to_float(v[i]);
            break;
        case DLZ_DTYPE_HALF:
            ((uint16_t *)dst)[i] =
                dlzi_float_to_half(exact ? (float)v[i] : double_to_float_odd(v[i]));
            break;
        default: /* DLZ_DTYPE_BFLOAT16 */
            ((uint16_t *)dst)[i] =
                dlzi_float_to_bf16(exact ? (float)v[i] : double_to_float_odd(v[i]));
            break;
        }
    }
}

static int is_floating(dlz_dtype t) {
    return t == DLZ_DTYPE_DOUBLE || t == DLZ_DTYPE_FLOAT || t == DLZ_DTYPE_HALF ||
           t == DLZ_DTYPE_BFLOAT16;
}

int dlzi_array_convert(const dlz_array *a, dlz_dtype to, dlz_array **res, dlzi_err *err) {
    if (res == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "dlz_array_convert: NULL out");
    }
    *res = NULL;
    if (a == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "dlz_array_convert: NULL array");
    }
    if (!is_floating(a->dtype) || !is_floating(to)) {
        return dlzi_err_set(err, DLZ_EMISUSE,
                            "cannot convert a %s array to %s: only FLOAT, DOUBLE, HALF and "
                            "BFLOAT16 convert",
                            dtypes[a->dtype].name, dlz_dtype_name(to) ? dlz_dtype_name(to) : "?");
    }
    dlz_array *c;
    int rc = dlzi_array_new(to, a->rank, a->shape, 'c', &c, err);
    if (rc != DLZ_OK) {
        return rc;
    }
    /* Every FLOAT, HALF and BFLOAT16 value is a float: one rounding. */
    const int exact = a->dtype != DLZ_DTYPE_DOUBLE;
    const size_t osz = dtypes[to].size;
    unsigned char *dst = c->data;
    double buf[512];
    iter it;
    iter_init(&it, a);
    for (; it.rows > 0; it.rows--) {
        const int64_t st = it.row_stride;
        for (int64_t done = 0; done < it.row_len;) {
            const int64_t n = it.row_len - done < 512 ? it.row_len - done : 512;
            const int64_t p = it.pos + done * st;
            double *out = buf; /* where ROW_CASES() stores */
            switch (a->dtype) { ROW_CASES(double) }
            store_converted(dst, to, buf, n, exact);
            dst += (size_t)n * osz;
            done += n;
        }
        iter_next(&it);
    }
    c->generation = a->generation;
    *res = c;
    return DLZ_OK;
}

int dlz_array_convert(const dlz_array *a, dlz_dtype to, dlz_array **out, char *errbuf,
                      size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_array_convert(a, to, out, &err);
    return rc == DLZ_OK ? rc : dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
}

/* Adds n values to the running statistics (Neumaier's compensated sum). */
static void stats_add(dlz_stats *s, double *comp, const double *v, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        double x = v[i];
        if (x != x) {
            s->nan_count++;
            continue;
        }
        if (x == INFINITY || x == -INFINITY) {
            s->inf_count++;
        }
        double t = s->sum + x;
        if ((s->sum < 0 ? -s->sum : s->sum) >= (x < 0 ? -x : x)) {
            *comp += (s->sum - t) + x;
        } else {
            *comp += (x - t) + s->sum;
        }
        s->sum = t;
        s->min = x < s->min ? x : s->min;
        s->max = x > s->max ? x : s->max;
    }
}

int dlz_array_stats(const dlz_array *a, dlz_stats *res) {
    if (a == NULL || res == NULL) {
        return DLZ_EMISUSE;
    }
    dlz_stats s = {0.0, INFINITY, -INFINITY, 0, 0, a->length};
    double comp = 0.0, buf[4096];
    iter it;
    iter_init(&it, a);
    for (; it.rows > 0; it.rows--) {
        const int64_t st = it.row_stride;
        for (int64_t off = 0; off < it.row_len; off += 4096) {
            const int64_t n = it.row_len - off < 4096 ? it.row_len - off : 4096;
            const int64_t p = it.pos + off * st;
            double *out = buf;
            switch (a->dtype) { ROW_CASES(double) }
            stats_add(&s, &comp, buf, n);
        }
        iter_next(&it);
    }
    s.sum = s.inf_count > 0 ? s.sum : s.sum + comp;
    *res = s;
    return DLZ_OK;
}

int dlz_array_to_f64(const dlz_array *a, double *out, size_t n) {
    if (a == NULL || (uint64_t)a->length > n || (out == NULL && a->length > 0)) {
        return DLZ_EMISUSE;
    }
    gather_f64(a, out);
    return DLZ_OK;
}

int dlz_array_to_f32(const dlz_array *a, float *out, size_t n) {
    if (a == NULL || (uint64_t)a->length > n || (out == NULL && a->length > 0)) {
        return DLZ_EMISUSE;
    }
    gather_f32(a, out);
    return DLZ_OK;
}

double dlzi_array_get_f64(const dlz_array *a, int64_t i) {
    int64_t pos = 0;
    for (int k = a->rank - 1; k >= 0; k--) {
        if (a->shape[k] > 0) {
            pos += i % a->shape[k] * a->strides[k];
            i /= a->shape[k];
        }
    }
    const void *d = a->data;
    switch (a->dtype) {
    case DLZ_DTYPE_DOUBLE:
        return ((const double *)d)[pos];
    case DLZ_DTYPE_FLOAT:
        return ((const float *)d)[pos];
    case DLZ_DTYPE_HALF:
        return dlzi_half_to_float(((const uint16_t *)d)[pos]);
    case DLZ_DTYPE_BFLOAT16:
        return dlzi_bf16_to_float(((const uint16_t *)d)[pos]);
    case DLZ_DTYPE_LONG:
        return (double)((const int64_t *)d)[pos];
    case DLZ_DTYPE_INT:
        return ((const int32_t *)d)[pos];
    case DLZ_DTYPE_SHORT:
        return ((const int16_t *)d)[pos];
    case DLZ_DTYPE_BYTE:
        return ((const int8_t *)d)[pos];
    case DLZ_DTYPE_UBYTE:
        return ((const uint8_t *)d)[pos];
    case DLZ_DTYPE_BOOL:
        return ((const uint8_t *)d)[pos] != 0;
    case DLZ_DTYPE_UINT16:
        return ((const uint16_t *)d)[pos];
    case DLZ_DTYPE_UINT32:
        return ((const uint32_t *)d)[pos];
    case DLZ_DTYPE_UINT64:
        return (double)((const uint64_t *)d)[pos];
    }
    return 0.0;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */

/* Sets "<what>: byte <at>: <message>" and returns code. */
static int bad(dlzi_rd *rd, int code, int64_t at, const char *fmt, ...) DLZI_PRINTF(4, 5);
static int bad(dlzi_rd *rd, int code, int64_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vat(rd->err, code, rd->what, at, fmt, ap);
    va_end(ap);
    return code;
}

static int nomem(dlzi_rd *rd, int64_t at, uint64_t bytes) {
    return bad(rd, DLZ_ENOMEM, at, "out of memory allocating %" PRIu64 " bytes", bytes);
}

/* A name read from the stream: raw bytes (no NUL inside, see read_name), its
   length and where its length prefix started. */
typedef struct name {
    char s[NAME_CAP];
    size_t n;
    int64_t at;
} name;

static int name_is(const name *nm, const char *s) {
    size_t l = strlen(s);
    return nm->n == l && memcmp(nm->s, s, l) == 0;
}

/* The name for a message (see dlzi_quote()). */
static const char *quote(const name *nm, char *buf, size_t cap) {
    return dlzi_quote(nm->s, nm->n, buf, cap);
}

#define QUOTE_CAP (NAME_CAP * 4 + 1)

/* A Java writeUTF string; longer than NAME_CAP-1 bytes is an error naming
   @p expected (no legal name is that long). */
static int read_name(dlzi_rd *rd, const char *expected, name *nm) {
    return dlzi_rd_utf(rd, expected, nm->s, sizeof nm->s, &nm->n, &nm->at);
}

static int gen_from_name(const name *nm) {
    for (int g = 0; g < NUM_GENS; g++) {
        if (name_is(nm, gen_names[g])) {
            return g;
        }
    }
    return -1;
}

/* dlz_dtype for a type name, or -1.  The names written up to 1.0.0-beta3
   (DataBuffer.Type: DOUBLE, FLOAT, INT, HALF, LONG, COMPRESSED) are the same
   strings as the later DataType names, so one table serves every writer. */
static int dtype_from_name(const name *nm) {
    for (int t = 0; t < NUM_DTYPES; t++) {
        if (dtypes[t].name != NULL && name_is(nm, dtypes[t].name)) {
            return t;
        }
    }
    return -1;
}

/* Header of a data-buffer record (B.3). */
typedef struct hdr {
    name mode_name;
    int mode; /* dlz_generation */
    int64_t length;
    int64_t length_at;
    name type;
} hdr;

static int read_header(dlzi_rd *rd, const char *which, hdr *h) {
    char q[QUOTE_CAP];
    int rc = read_name(rd, "an allocation mode name", &h->mode_name);
    if (rc != DLZ_OK) {
        return rc;
    }
    h->mode = gen_from_name(&h->mode_name);
    if (h->mode < 0) {
        return bad(rd, DLZ_EFORMAT, h->mode_name.at,
                   "expected the allocation mode of the %s buffer (DIRECT, HEAP, JAVACPP, "
                   "LONG_SHAPE or MIXED_DATA_TYPES), found '%s'",
                   which, quote(&h->mode_name, q, sizeof q));
    }
    h->length_at = rd->off;
    /* The width of the length follows the mode alone (BaseDataBuffer.readHeader). */
    if (h->mode <= DLZ_GEN_JAVACPP) {
        int32_t v;
        rc = dlzi_rd_i32(rd, &v);
        h->length = v;
    } else {
        rc = dlzi_rd_i64(rd, &h->length);
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    if (h->length < 0) {
        return bad(rd, DLZ_EFORMAT, h->length_at,
                   "expected a %s buffer length >= 0, found %" PRId64, which, h->length);
    }
    return read_name(rd, "a data type name", &h->type);
}

/* The data type of an element data-type name; UTF8 and unknown names fail. */
static int data_dtype(dlzi_rd *rd, const name *type, dlz_dtype *dt) {
    char q[QUOTE_CAP];
    int t = dtype_from_name(type);
    if (t >= 0) {
        *dt = (dlz_dtype)t;
        return DLZ_OK;
    }
    if (name_is(type, "UTF8")) {
        return bad(rd, DLZ_EUNSUPPORTED, type->at,
                   "expected a fixed-width data type, found UTF8 (string arrays are not "
                   "supported)");
    }
    return bad(rd, DLZ_EFORMAT, type->at, "unknown data type '%s'", quote(type, q, sizeof q));
}

/* Converts n big-endian elements at buf to native order in place, with typed
   stores so that the buffer holds objects of the element type afterwards.
   BOOL is normalised to 0/1 as DL4J's writer does. */
static void to_native(void *buf, dlz_dtype dt, size_t n) {
    unsigned char *b = buf;
    switch (dtypes[dt].size) {
    case 1:
        if (dt == DLZ_DTYPE_BOOL) {
            for (size_t i = 0; i < n; i++) {
                b[i] = b[i] != 0;
            }
        }
        break;
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint16_t u = dlzi_get_be16(b + 2 * i);
            if (dt == DLZ_DTYPE_SHORT) {
                int16_t v;
                memcpy(&v, &u, sizeof v);
                ((int16_t *)buf)[i] = v;
            } else {
                ((uint16_t *)buf)[i] = u;
            }
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = dlzi_get_be32(b + 4 * i);
            if (dt == DLZ_DTYPE_FLOAT) {
                ((float *)buf)[i] = u2f(u);
            } else if (dt == DLZ_DTYPE_INT) {
                int32_t v;
                memcpy(&v, &u, sizeof v);
                ((int32_t *)buf)[i] = v;
            } else {
                ((uint32_t *)buf)[i] = u;
            }
        }
        break;
    default:
        for (size_t i = 0; i < n; i++) {
            uint64_t u = dlzi_get_be64(b + 8 * i);
            if (dt == DLZ_DTYPE_DOUBLE) {
                double v;
                memcpy(&v, &u, sizeof v);
                ((double *)buf)[i] = v;
            } else if (dt == DLZ_DTYPE_LONG) {
                int64_t v;
                memcpy(&v, &u, sizeof v);
                ((int64_t *)buf)[i] = v;
            } else {
                ((uint64_t *)buf)[i] = u;
            }
        }
        break;
    }
}

/* Reads count elements of dt (the count field started at byte `at`) into a
   new native-order buffer.  Sizes are checked against the bytes left and
   max_bytes before anything is allocated; when the input size is unknown
   the buffer grows only as data actually arrives. */
static int read_elements(dlzi_rd *rd, dlz_dtype dt, int64_t count, int64_t at, uint64_t max_bytes,
                         void **out) {
    size_t esz = dtypes[dt].size;
    *out = NULL;
    if ((uint64_t)count > UINT64_MAX / esz) {
        return bad(rd, DLZ_EFORMAT, at,
                   "expected an element count whose byte size fits in 64 bits, found %" PRId64,
                   count);
    }
    uint64_t nbytes = (uint64_t)count * esz;
    int64_t rem = dlzi_rd_remaining(rd);
    if (rem >= 0 && nbytes > (uint64_t)rem) {
        return bad(rd, DLZ_EFORMAT, at,
                   "expected %" PRId64 " %s elements (%" PRIu64 " bytes), found only %" PRId64
                   " bytes left",
                   count, dtypes[dt].name, nbytes, rem);
    }
    if (nbytes > max_bytes) {
        return bad(rd, DLZ_ELIMIT, at,
                   "array of %" PRIu64 " bytes exceeds the limit of %" PRIu64 " bytes", nbytes,
                   max_bytes);
    }
    if (nbytes > SIZE_MAX) {
        return bad(rd, DLZ_ELIMIT, at, "array of %" PRIu64 " bytes does not fit in memory", nbytes);
    }
    size_t total = (size_t)nbytes;
    unsigned char *buf;
    int rc;
    if (rem >= 0) {
        buf = dlzi_malloc(total);
        if (buf == NULL) {
            return nomem(rd, at, nbytes);
        }
        rc = dlzi_rd_read(rd, buf, total);
        if (rc != DLZ_OK) {
            dlzi_free(buf);
            return rc;
        }
    } else {
        size_t cap = total < FIRST_CAP ? total : FIRST_CAP;
        size_t got = 0;
        buf = dlzi_malloc(cap);
        if (buf == NULL) {
            return nomem(rd, at, cap);
        }
        while (got < total) {
            if (got == cap) {
                size_t ncap = cap <= total / 2 ? cap * 2 : total;
                unsigned char *nb = dlzi_realloc(buf, ncap);
                if (nb == NULL) {
                    dlzi_free(buf);
                    return nomem(rd, at, ncap);
                }
                buf = nb;
                cap = ncap;
            }
            size_t k = cap - got < READ_CHUNK ? cap - got : READ_CHUNK;
            rc = dlzi_rd_read(rd, buf + got, k);
            if (rc != DLZ_OK) {
                dlzi_free(buf);
                return rc;
            }
            got += k;
        }
    }
    to_native(buf, dt, (size_t)count);
    *out = buf;
    return DLZ_OK;
}

/* What the shape-info buffer says beyond what goes into the array. */
typedef struct shape_extra {
    int64_t extras;   /* 0 for INT shape info */
    int empty_flag;   /* EMPTY bit set */
    int64_t where_at; /* offset of the slot 2r+1, for messages */
} shape_extra;

/* Reads and validates the shape-info record (B.4) into a. */
static int read_shape(dlzi_rd *rd, dlz_array *a, shape_extra *sx) {
    char q[QUOTE_CAP];
    hdr h;
    int rc = read_header(rd, "shape-info", &h);
    if (rc != DLZ_OK) {
        return rc;
    }
    int width;
    if (name_is(&h.type, "INT")) {
        width = 4;
    } else if (name_is(&h.type, "LONG")) {
        width = 8;
    } else {
        return bad(rd, DLZ_EFORMAT, h.type.at,
                   "expected shape-info data type INT or LONG, found '%s'",
                   quote(&h.type, q, sizeof q));
    }
    if (h.length < 4 || h.length > 2 * DLZ_MAX_RANK + 4 || h.length % 2 != 0) {
        return bad(rd, DLZ_EFORMAT, h.length_at,
                   "expected a shape-info length of 2*rank+4 elements (rank 0..%d), found %" PRId64,
                   DLZ_MAX_RANK, h.length);
    }
    int n = (int)h.length;
    int64_t v[2 * DLZ_MAX_RANK + 4];
    int64_t base = rd->off;
    for (int i = 0; i < n; i++) {
        if (width == 4) {
            int32_t x;
            rc = dlzi_rd_i32(rd, &x);
            v[i] = x;
        } else {
            rc = dlzi_rd_i64(rd, &v[i]);
        }
        if (rc != DLZ_OK) {
            return rc;
        }
    }
#define AT(i) (base + (int64_t)(i)*width)
    if (v[0] < 0 || v[0] > DLZ_MAX_RANK) {
        return bad(rd, DLZ_EFORMAT, AT(0), "expected rank 0..%d, found %" PRId64, DLZ_MAX_RANK,
                   v[0]);
    }
    if (2 * v[0] + 4 != n) {
        return bad(rd, DLZ_EFORMAT, AT(0),
                   "expected rank %d for a shape-info buffer of %d elements, found %" PRId64,
                   (n - 4) / 2, n, v[0]);
    }
    int r = (int)v[0];
    int has_zero = 0;
    for (int k = 0; k < r; k++) {
        if (v[1 + k] < 0) {
            return bad(rd, DLZ_EFORMAT, AT(1 + k),
                       "expected dimension %d to be >= 0, found %" PRId64, k, v[1 + k]);
        }
        has_zero |= v[1 + k] == 0;
        a->shape[k] = v[1 + k];
    }
    for (int k = 0; k < r; k++) {
        if (v[1 + r + k] < 0) {
            return bad(rd, DLZ_EFORMAT, AT(1 + r + k),
                       "expected stride %d to be >= 0, found %" PRId64
                       " (negative strides are not supported)",
                       k, v[1 + r + k]);
        }
        a->strides[k] = v[1 + r + k];
    }
    int64_t slot = v[2 * r + 1];
    sx->where_at = AT(2 * r + 1);
    if (width == 4) {
        /* INT shape info: the slot is the legacy buffer offset, always 0 in files. */
        if (slot != 0) {
            return bad(rd, DLZ_EUNSUPPORTED, AT(2 * r + 1),
                       "expected legacy offset 0, found %" PRId64
                       " (arrays with a buffer offset are not supported)",
                       slot);
        }
        sx->extras = 0;
    } else {
        sx->extras = slot;
    }
    /* v[2r+2] is the element-wise stride: only a hint, ignored (B.4). */
    int64_t ord = v[2 * r + 3];
    if (ord != ORDER_C && ord != ORDER_F) {
        return bad(rd, DLZ_EFORMAT, AT(2 * r + 3),
                   "expected order 99 ('c') or 102 ('f'), found %" PRId64, ord);
    }
    sx->empty_flag = (sx->extras & EXTRA_EMPTY) != 0;
    if (sx->empty_flag && r > 0 && !has_zero) {
        return bad(rd, DLZ_EFORMAT, AT(1),
                   "expected a dimension of size 0 in an array flagged EMPTY (extras %" PRId64
                   "), found none",
                   sx->extras);
    }
    int64_t prod;
    if (nonzero_product(r, a->shape, &prod) != 0) {
        return bad(rd, DLZ_EFORMAT, AT(1),
                   "expected a shape whose element count fits in 64 bits, found an overflowing "
                   "product");
    }
    /* A rank-0 array flagged EMPTY (Nd4j.empty()) has no element either. */
    int64_t length = has_zero || sx->empty_flag ? 0 : prod;
    if (length > 0) {
        /* The largest position Σ (shape_k-1)·stride_k must be inside the
           buffer of `length` elements; a dimension of size 1 adds 0 whatever
           its stride (DL4J writes [1,N] with strides [1,1]). */
        int64_t reach = 0, t;
        for (int k = 0; k < r; k++) {
            if (mul_i64(a->shape[k] - 1, a->strides[k], &t) != 0 || t > INT64_MAX - reach) {
                reach = INT64_MAX;
                break;
            }
            reach += t;
        }
        if (reach >= length) {
            return bad(rd, DLZ_EFORMAT, AT(1 + r),
                       "expected strides addressing elements 0..%" PRId64
                       " of the buffer, found strides reaching element %" PRId64 "%s",
                       length - 1, reach, reach == INT64_MAX ? " or beyond" : "");
        }
    }
#undef AT
    a->rank = r;
    a->order = (char)ord;
    a->length = length;
    a->generation = (dlz_generation)h.mode;
    return DLZ_OK;
}

/* Data type named by the type bits of an extras word, in DL4J's order (B.5). */
static int extras_dtype(int64_t x, dlz_dtype *dt) {
    int u = (x & EXTRA_UNSIGNED) != 0;
    if (x & EXTRA_HALF) {
        *dt = DLZ_DTYPE_HALF;
    } else if (x & EXTRA_BFLOAT16) {
        *dt = DLZ_DTYPE_BFLOAT16;
    } else if (x & EXTRA_FLOAT) {
        *dt = DLZ_DTYPE_FLOAT;
    } else if (x & EXTRA_DOUBLE) {
        *dt = DLZ_DTYPE_DOUBLE;
    } else if (x & EXTRA_INT) {
        *dt = u ? DLZ_DTYPE_UINT32 : DLZ_DTYPE_INT;
    } else if (x & EXTRA_LONG) {
        *dt = u ? DLZ_DTYPE_UINT64 : DLZ_DTYPE_LONG;
    } else if (x & EXTRA_BOOL) {
        *dt = DLZ_DTYPE_BOOL;
    } else if (x & EXTRA_BYTE) {
        *dt = u ? DLZ_DTYPE_UBYTE : DLZ_DTYPE_BYTE;
    } else if (x & EXTRA_SHORT) {
        *dt = u ? DLZ_DTYPE_UINT16 : DLZ_DTYPE_SHORT;
    } else {
        return -1;
    }
    return 0;
}

/* For an array flagged EMPTY: 1 if its data record is missing, i.e. the
   input ends here or the next bytes are a buffer header with a non-zero
   length (the next array's shape info; an empty array's own data record
   has length 0).  Writers since 2022 omit the record (B.8). */
static int data_missing(dlzi_rd *rd, int *missing) {
    *missing = 0;
    int eof = dlzi_rd_at_eof(rd);
    if (eof < 0) {
        return eof;
    }
    if (eof == 1) {
        *missing = 1;
        return DLZ_OK;
    }
    const unsigned char *p;
    int64_t n = dlzi_rd_peek(rd, 2 + NAME_CAP + 8, &p);
    if (n < 0) {
        return (int)n;
    }
    if (n < 2) {
        return DLZ_OK;
    }
    size_t l = dlzi_get_be16(p);
    for (int g = 0; g < NUM_GENS; g++) {
        size_t w = g <= DLZ_GEN_JAVACPP ? 4 : 8;
        if (strlen(gen_names[g]) != l || (size_t)n < 2 + l + w ||
            memcmp(p + 2, gen_names[g], l) != 0) {
            continue;
        }
        const unsigned char *lp = p + 2 + l;
        *missing = w == 4 ? dlzi_get_be32(lp) != 0 : dlzi_get_be64(lp) != 0;
        break;
    }
    return DLZ_OK;
}

/* --- GZIP COMPRESSED data buffers (B.10) --- */

/* zlib allocations go through the library wrappers (failure injection). */
static voidpf gz_alloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    return dlzi_calloc(items, size);
}

static void gz_free(voidpf opaque, voidpf p) {
    (void)opaque;
    dlzi_free(p);
}

/* A dlzi_in that inflates `left` compressed bytes taken from the outer
   parser, and the parser reading the inflated record from it. */
typedef struct gz {
    dlzi_in in;
    dlzi_rd *outer;
    uint64_t left; /* compressed bytes not yet taken from outer */
    z_stream zs;
    int zinit;
    int ended;  /* Z_STREAM_END seen */
    int failed; /* an error was reported: every later read fails too */
    unsigned char ibuf[16384];
    char what[200];
    dlzi_rd rd;
} gz;

static int64_t gz_fail(gz *g) {
    g->failed = 1;
    return -1;
}

static int64_t gz_read(dlzi_in *in, void *buf, size_t n) {
    gz *g = in->ctx;
    if (g->failed) {
        return -1;
    }
    if (g->ended || n == 0) {
        return 0;
    }
    if (n > UINT_MAX) {
        n = UINT_MAX;
    }
    g->zs.next_out = buf;
    g->zs.avail_out = (uInt)n;
    for (;;) {
        if (g->zs.avail_in == 0 && g->left > 0) {
            size_t k = g->left < sizeof g->ibuf ? (size_t)g->left : sizeof g->ibuf;
            if (dlzi_rd_read(g->outer, g->ibuf, k) != DLZ_OK) {
                return gz_fail(g);
            }
            g->zs.next_in = g->ibuf;
            g->zs.avail_in = (uInt)k;
            g->left -= k;
        }
        int zr = inflate(&g->zs, Z_NO_FLUSH);
        size_t got = n - g->zs.avail_out;
        if (zr == Z_STREAM_END) {
            g->ended = 1;
            return (int64_t)got;
        }
        if (zr == Z_OK || zr == Z_BUF_ERROR) {
            if (got > 0) {
                return (int64_t)got;
            }
            if (zr == Z_BUF_ERROR && g->zs.avail_in == 0 && g->left == 0) {
                bad(g->outer, DLZ_EFORMAT, g->outer->off,
                    "expected the end of the gzip stream, found the end of the compressed data");
                return gz_fail(g);
            }
            continue;
        }
        if (zr == Z_MEM_ERROR) {
            nomem(g->outer, g->outer->off, 0);
        } else {
            bad(g->outer, DLZ_EFORMAT, g->outer->off - (int64_t)g->zs.avail_in,
                "expected gzip data, found an error: %s",
                g->zs.msg != NULL ? g->zs.msg : "invalid stream");
        }
        return gz_fail(g);
    }
}

/* Reads the rest of a COMPRESSED data buffer whose header h was just read:
   the compression descriptor, then the gzip bytes, whose content is a plain
   data-buffer record of the original data. */
static int read_compressed(dlzi_rd *rd, const hdr *h, uint64_t max_bytes, dlz_array *a) {
    char q[QUOTE_CAP];
    name alg;
    int rc = read_name(rd, "a compression algorithm name", &alg);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (!name_is(&alg, "GZIP")) {
        return bad(rd, DLZ_EUNSUPPORTED, alg.at,
                   "expected compression algorithm GZIP, found '%s' (not supported)",
                   quote(&alg, q, sizeof q));
    }
    int64_t clen, olen, nel, clen_at, olen_at, nel_at, ord_at = 0;
    int32_t ord = -1;
    clen_at = rd->off;
    if ((rc = dlzi_rd_i64(rd, &clen)) != DLZ_OK) {
        return rc;
    }
    olen_at = rd->off;
    if ((rc = dlzi_rd_i64(rd, &olen)) != DLZ_OK) {
        return rc;
    }
    nel_at = rd->off;
    if ((rc = dlzi_rd_i64(rd, &nel)) != DLZ_OK) {
        return rc;
    }
    /* Since 1.0.0-beta4 the descriptor ends with the original type's ordinal. */
    if (h->mode == DLZ_GEN_MIXED) {
        ord_at = rd->off;
        if ((rc = dlzi_rd_i32(rd, &ord)) != DLZ_OK) {
            return rc;
        }
        if (ord < 0 || ord >= NUM_DTYPES || dtypes[ord].name == NULL) {
            return bad(rd, DLZ_EFORMAT, ord_at,
                       "expected the ordinal of a fixed-width data type, found %" PRId32, ord);
        }
    }
    int64_t rem = dlzi_rd_remaining(rd);
    if (clen < 0 || (rem >= 0 && clen > rem)) {
        return bad(rd, DLZ_EFORMAT, clen_at,
                   "expected a compressed length of 0..%" PRId64 " bytes, found %" PRId64,
                   rem >= 0 ? rem : INT64_MAX, clen);
    }
    if (olen < 0) {
        return bad(rd, DLZ_EFORMAT, olen_at, "expected an original length >= 0, found %" PRId64,
                   olen);
    }
    if (nel != a->length) {
        return bad(rd, DLZ_EFORMAT, nel_at,
                   "expected %" PRId64 " elements (the product of the shape), found "
                   "numberOfElements %" PRId64,
                   a->length, nel);
    }
    if ((uint64_t)olen > max_bytes) {
        return bad(rd, DLZ_ELIMIT, olen_at,
                   "array of %" PRId64 " bytes exceeds the limit of %" PRIu64 " bytes", olen,
                   max_bytes);
    }

    gz *g = dlzi_malloc(sizeof *g);
    if (g == NULL) {
        return nomem(rd, clen_at, sizeof *g);
    }
    memset(g, 0, offsetof(gz, rd));
    g->outer = rd;
    g->left = (uint64_t)clen;
    g->zs.zalloc = gz_alloc;
    g->zs.zfree = gz_free;
    g->zs.opaque = Z_NULL;
    int zr = inflateInit2(&g->zs, 16 + MAX_WBITS); /* 16: gzip wrapper */
    if (zr != Z_OK) {
        dlzi_free(g);
        return zr == Z_MEM_ERROR ? nomem(rd, clen_at, 0)
                                 : bad(rd, DLZ_EUNSUPPORTED, clen_at,
                                       "zlib cannot inflate gzip data (error %d)", zr);
    }
    g->in.read = gz_read;
    g->in.ctx = g;
    g->in.err = rd->err;
    snprintf(g->what, sizeof g->what, "%s (gzip content at byte %" PRId64 ")", rd->what, rd->off);
    dlzi_rd_init(&g->rd, &g->in, -1, g->what, rd->err);

    void *data = NULL;
    hdr ih;
    dlz_dtype dt = DLZ_DTYPE_FLOAT;
    rc = read_header(&g->rd, "data", &ih);
    if (rc == DLZ_OK) {
        rc = data_dtype(&g->rd, &ih.type, &dt);
        if (rc != DLZ_OK && name_is(&ih.type, "COMPRESSED")) {
            rc = bad(&g->rd, DLZ_EFORMAT, ih.type.at,
                     "expected an uncompressed data type, found COMPRESSED");
        }
    }
    if (rc == DLZ_OK && ord >= 0 && ord != (int32_t)dt) {
        rc = bad(rd, DLZ_EFORMAT, ord_at,
                 "expected data type ordinal %d (%s, as in the gzip content), found %" PRId32,
                 (int)dt, dtypes[dt].name, ord);
    }
    if (rc == DLZ_OK && ih.length != nel) {
        rc =
            bad(&g->rd, DLZ_EFORMAT, ih.length_at,
                "expected %" PRId64 " elements (numberOfElements), found %" PRId64, nel, ih.length);
    }
    if (rc == DLZ_OK && (uint64_t)olen != (uint64_t)nel * dtypes[dt].size) {
        rc = bad(rd, DLZ_EFORMAT, olen_at,
                 "expected originalLength %" PRIu64 " (%" PRId64 " %s elements), found %" PRId64,
                 (uint64_t)nel * dtypes[dt].size, nel, dtypes[dt].name, olen);
    }
    if (rc == DLZ_OK) {
        rc = read_elements(&g->rd, dt, nel, ih.length_at, max_bytes, &data);
    }
    if (rc == DLZ_OK) {
        int eof = dlzi_rd_at_eof(&g->rd);
        if (eof == 0) {
            rc = bad(&g->rd, DLZ_EFORMAT, g->rd.off,
                     "expected the end of the gzip content, found more bytes");
        } else if (eof < 0) {
            rc = eof;
        }
    }
    /* Bytes after the end of the gzip member are skipped, as a Java reader
       stops at the end of the record it needs. */
    if (rc == DLZ_OK && g->left > 0) {
        rc = dlzi_rd_skip(rd, g->left);
    }
    inflateEnd(&g->zs);
    dlzi_free(g);
    if (rc != DLZ_OK) {
        dlzi_free(data);
        return rc;
    }
    a->dtype = dt;
    a->buflen = nel;
    a->data = data;
    a->compressed = 1;
    return DLZ_OK;
}

/* Reads the element data record (or notes its absence) into a. */
static int read_data(dlzi_rd *rd, uint64_t max_bytes, dlz_array *a, const shape_extra *sx) {
    int rc;
    if (sx->empty_flag) {
        int missing;
        if ((rc = data_missing(rd, &missing)) != DLZ_OK) {
            return rc;
        }
        if (missing) {
            dlz_dtype dt;
            if (extras_dtype(sx->extras, &dt) != 0) {
                return bad(rd, DLZ_EFORMAT, sx->where_at,
                           "expected a data type bit in the extras of an empty array without "
                           "data record, found extras %" PRId64,
                           sx->extras);
            }
            a->data = dlzi_malloc(0);
            if (a->data == NULL) {
                return nomem(rd, rd->off, 1);
            }
            a->dtype = dt;
            a->buflen = 0;
            return DLZ_OK;
        }
    }
    hdr h;
    if ((rc = read_header(rd, "data", &h)) != DLZ_OK) {
        return rc;
    }
    if (name_is(&h.type, "COMPRESSED")) {
        return read_compressed(rd, &h, max_bytes, a);
    }
    /* The header's type is authoritative; type bits in extras are not
       consulted, as Nd4j.read does not either. */
    dlz_dtype dt;
    if ((rc = data_dtype(rd, &h.type, &dt)) != DLZ_OK) {
        return rc;
    }
    if (h.length != a->length) {
        return bad(rd, DLZ_EFORMAT, h.length_at,
                   "expected %" PRId64 " elements (the product of the shape), found a data "
                   "length of %" PRId64,
                   a->length, h.length);
    }
    if ((rc = read_elements(rd, dt, h.length, h.length_at, max_bytes, &a->data)) != DLZ_OK) {
        return rc;
    }
    a->dtype = dt;
    a->buflen = h.length;
    return DLZ_OK;
}

int dlzi_array_decode(dlzi_rd *rd, uint64_t max_bytes, dlz_array **out) {
    if (out == NULL) {
        return DLZ_EMISUSE;
    }
    *out = NULL;
    if (rd == NULL) {
        return DLZ_EMISUSE;
    }
    int64_t start = rd->off;
    dlz_array *a = dlzi_calloc(1, sizeof *a);
    if (a == NULL) {
        return nomem(rd, start, sizeof *a);
    }
    shape_extra sx;
    int rc = read_shape(rd, a, &sx);
    if (rc == DLZ_OK) {
        rc = read_data(rd, max_bytes, a, &sx);
    }
    if (rc != DLZ_OK) {
        dlz_array_free(a);
        return rc;
    }
    *out = a;
    return DLZ_OK;
}

int dlzi_array_sniff(const unsigned char *p, size_t n, dlz_generation *gen) {
    if (p == NULL || n < 2) {
        return 0;
    }
    size_t l = dlzi_get_be16(p);
    for (int g = 0; g < NUM_GENS; g++) {
        if (strlen(gen_names[g]) == l && n >= 2 + l && memcmp(p + 2, gen_names[g], l) == 0) {
            if (gen != NULL) {
                *gen = (dlz_generation)g;
            }
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */

/* What gets written: a dense 'c' record of `shape`. */
typedef struct plan {
    int rank;
    int64_t shape[DLZ_MAX_RANK];
    int64_t strides[DLZ_MAX_RANK];
    int64_t extras; /* MIXED only */
    int wide;       /* 8-byte lengths and LONG shape info (MIXED) */
    const char *mode;
    uint64_t size; /* bytes of the whole record */
} plan;

static uint64_t utf_size(const char *s) {
    return 2 + (uint64_t)strlen(s);
}

static int make_plan(const dlz_array *a, dlz_generation gen, int row_vector, plan *p,
                     dlzi_err *err) {
    if (a == NULL || !dtype_ok(a->dtype)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "no array to write");
    }
    if (gen != DLZ_GEN_MIXED && gen != DLZ_GEN_JAVACPP) {
        return dlzi_err_set(err, DLZ_EMISUSE,
                            "array records can be written as MIXED_DATA_TYPES or JAVACPP only, "
                            "not generation %d",
                            (int)gen);
    }
    const char *tname = dtypes[a->dtype].name;
    if (gen == DLZ_GEN_JAVACPP && a->dtype != DLZ_DTYPE_FLOAT && a->dtype != DLZ_DTYPE_DOUBLE &&
        a->dtype != DLZ_DTYPE_HALF) {
        return dlzi_err_set(err, DLZ_EUNSUPPORTED,
                            "cannot write %s data as a JAVACPP record: DL4J before 1.0.0-beta4 "
                            "cannot read that type (use MIXED_DATA_TYPES)",
                            tname);
    }
    if (row_vector) {
        if (!(a->rank == 1 || (a->rank == 2 && (a->shape[0] == 1 || a->shape[1] == 1)))) {
            return dlzi_err_set(err, DLZ_EMISUSE,
                                "expected a vector (rank 1, or rank 2 with a dimension of 1), "
                                "found an array of rank %d",
                                a->rank);
        }
        p->rank = 2;
        p->shape[0] = 1;
        p->shape[1] = a->length;
    } else {
        p->rank = a->rank;
        if (a->rank > 0) {
            memcpy(p->shape, a->shape, (size_t)a->rank * sizeof *a->shape);
        }
    }
    if (dense_strides(p->rank, p->shape, 'c', p->strides) != 0) {
        return dlzi_err_set(err, DLZ_ELIMIT, "array shape too large to write");
    }
    /* ND4J gives rank-2 vectors strides [1,1] (Nd4j.create and every
       coefficients vector in DL4J files); other shapes get dense strides. */
    if (p->rank == 2 && (p->shape[0] == 1 || p->shape[1] == 1)) {
        p->strides[0] = p->strides[1] = 1;
    }
    p->wide = gen == DLZ_GEN_MIXED;
    p->mode = gen_names[gen];
    if (p->wide) {
        p->extras = dtypes[a->dtype].extras | (a->length == 0 ? EXTRA_EMPTY : 0);
    } else {
        p->extras = 0;
        /* Without an EMPTY flag an empty array needs a zero dimension. */
        if (a->length == 0 && a->rank == 0) {
            return dlzi_err_set(err, DLZ_EUNSUPPORTED,
                                "cannot write an empty scalar as a JAVACPP record: it has no "
                                "EMPTY flag (use MIXED_DATA_TYPES)");
        }
        int64_t big = a->length;
        for (int k = 0; k < p->rank; k++) {
            big = p->shape[k] > big ? p->shape[k] : big;
            big = p->strides[k] > big ? p->strides[k] : big;
        }
        if (big > INT32_MAX) {
            return dlzi_err_set(err, DLZ_ELIMIT,
                                "array too large for the 32-bit fields of a JAVACPP record");
        }
    }
    uint64_t lenw = p->wide ? 8 : 4;
    uint64_t nel = (uint64_t)(2 * p->rank + 4);
    uint64_t ebytes = (uint64_t)a->length * dtypes[a->dtype].size; /* fits: it is in memory */
    p->size = utf_size(p->mode) + lenw + utf_size(p->wide ? "LONG" : "INT") + nel * lenw +
              utf_size(p->mode) + lenw + utf_size(tname) + ebytes;
    return DLZ_OK;
}

/* Output buffered in chunks of at most ENC_CHUNK bytes. */
typedef struct emitter {
    dlzi_emit_fn fn;
    void *ctx;
    unsigned char *buf;
    size_t len;
} emitter;

static int em_flush(emitter *e) {
    if (e->len == 0) {
        return DLZ_OK;
    }
    int rc = e->fn(e->ctx, e->buf, e->len);
    e->len = 0;
    return rc == DLZ_OK ? DLZ_OK : rc < 0 ? rc : DLZ_EIO;
}

/* Room for n (<= ENC_CHUNK) more bytes at e->buf + e->len. */
static int em_room(emitter *e, size_t n) {
    return e->len + n > ENC_CHUNK ? em_flush(e) : DLZ_OK;
}

static int em_utf(emitter *e, const char *s) {
    size_t n = strlen(s);
    int rc = em_room(e, 2 + n);
    if (rc == DLZ_OK) {
        dlzi_put_be16(e->buf + e->len, (uint16_t)n);
        memcpy(e->buf + e->len + 2, s, n);
        e->len += 2 + n;
    }
    return rc;
}

static int em_int(emitter *e, int64_t v, int wide) {
    int rc = em_room(e, 8);
    if (rc == DLZ_OK) {
        if (wide) {
            dlzi_put_be64(e->buf + e->len, (uint64_t)v);
            e->len += 8;
        } else {
            dlzi_put_be32(e->buf + e->len, (uint32_t)v);
            e->len += 4;
        }
    }
    return rc;
}

/* Stores v as width bytes, big- or little-endian. */
static void put_uint(unsigned char *dst, uint64_t v, size_t width, int little) {
    switch (width) {
    case 1:
        *dst = (unsigned char)v;
        break;
    case 2:
        little ? dlzi_put_le16(dst, (uint16_t)v) : dlzi_put_be16(dst, (uint16_t)v);
        break;
    case 4:
        little ? dlzi_put_le32(dst, (uint32_t)v) : dlzi_put_be32(dst, (uint32_t)v);
        break;
    default:
        little ? dlzi_put_le64(dst, v) : dlzi_put_be64(dst, v);
        break;
    }
}

/* Writes the elements of a in logical 'c' order, big-endian (ND4J records)
   or little-endian; with widen, BFLOAT16 elements become FLOAT (exactly: the
   upper 16 bits of a binary32).  BOOL is written as 0/1. */
static int em_elements(emitter *e, const dlz_array *a, int little, int widen) {
    const size_t esz = dtypes[a->dtype].size;
    const size_t osz = widen ? 4 : esz;
    const unsigned char *d = a->data;
    iter it;
    iter_init(&it, a);
    for (; it.rows > 0; it.rows--) {
        for (int64_t i = 0; i < it.row_len; i++) {
            int rc = em_room(e, 8);
            if (rc != DLZ_OK) {
                return rc;
            }
            const unsigned char *src = d + (size_t)(it.pos + i * it.row_stride) * esz;
            uint8_t u8;
            uint16_t u16;
            uint32_t u32;
            uint64_t v;
            switch (esz) {
            case 1:
                memcpy(&u8, src, 1);
                v = a->dtype == DLZ_DTYPE_BOOL ? u8 != 0 : u8;
                break;
            case 2:
                memcpy(&u16, src, 2);
                v = widen ? (uint64_t)u16 << 16 : u16;
                break;
            case 4:
                memcpy(&u32, src, 4);
                v = u32;
                break;
            default:
                memcpy(&v, src, 8);
                break;
            }
            put_uint(e->buf + e->len, v, osz, little);
            e->len += osz;
        }
        iter_next(&it);
    }
    return DLZ_OK;
}

static int host_little_endian(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* 1 if the elements lie densely in row-major order from the buffer's start. */
static int dense_c(const dlz_array *a) {
    int64_t expect = 1;
    for (int k = a->rank - 1; k >= 0; k--) {
        if (a->shape[k] > 1 && a->strides[k] != expect) {
            return 0;
        }
        expect *= a->shape[k];
    }
    return 1;
}

int dlzi_array_emit_le(const dlz_array *a, dlz_dtype as, dlzi_emit_fn emit, void *ctx,
                       dlzi_err *err) {
    int widen = a->dtype == DLZ_DTYPE_BFLOAT16 && as == DLZ_DTYPE_FLOAT;
    if (as != a->dtype && !widen) {
        return dlzi_err_set(err, DLZ_EMISUSE, "cannot write a %s array as %s",
                            dtypes[a->dtype].name, dlz_dtype_name(as) ? dlz_dtype_name(as) : "?");
    }
    if (a->length == 0) {
        return DLZ_OK;
    }
    if (!widen && a->dtype != DLZ_DTYPE_BOOL && host_little_endian() && dense_c(a)) {
        /* The buffer is the file's bytes already. */
        int rc = emit(ctx, a->data, (size_t)a->length * dtypes[a->dtype].size);
        return rc == DLZ_OK ? DLZ_OK : rc < 0 ? rc : DLZ_EIO;
    }
    emitter e = {emit, ctx, NULL, 0};
    e.buf = dlzi_malloc(ENC_CHUNK);
    if (e.buf == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    int rc = em_elements(&e, a, 1, widen);
    if (rc == DLZ_OK) {
        rc = em_flush(&e);
    }
    dlzi_free(e.buf);
    return rc;
}

static int encode(const dlz_array *a, const plan *p, emitter *e) {
    int rc;
    int64_t nsi = 2 * p->rank + 4;
    if ((rc = em_utf(e, p->mode)) != DLZ_OK || (rc = em_int(e, nsi, p->wide)) != DLZ_OK ||
        (rc = em_utf(e, p->wide ? "LONG" : "INT")) != DLZ_OK ||
        (rc = em_int(e, p->rank, p->wide)) != DLZ_OK) {
        return rc;
    }
    for (int k = 0; k < p->rank; k++) {
        if ((rc = em_int(e, p->shape[k], p->wide)) != DLZ_OK) {
            return rc;
        }
    }
    for (int k = 0; k < p->rank; k++) {
        if ((rc = em_int(e, p->strides[k], p->wide)) != DLZ_OK) {
            return rc;
        }
    }
    /* extras (legacy offset 0 for JAVACPP), ews 1, order 'c' */
    if ((rc = em_int(e, p->extras, p->wide)) != DLZ_OK || (rc = em_int(e, 1, p->wide)) != DLZ_OK ||
        (rc = em_int(e, ORDER_C, p->wide)) != DLZ_OK) {
        return rc;
    }
    if ((rc = em_utf(e, p->mode)) != DLZ_OK || (rc = em_int(e, a->length, p->wide)) != DLZ_OK ||
        (rc = em_utf(e, dtypes[a->dtype].name)) != DLZ_OK) {
        return rc;
    }
    if ((rc = em_elements(e, a, 0, 0)) != DLZ_OK) {
        return rc;
    }
    return em_flush(e);
}

int dlzi_array_encode(const dlz_array *a, dlz_generation gen, int row_vector, dlzi_emit_fn emit,
                      void *ctx, dlzi_err *err) {
    plan p;
    if (emit == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "no output for the array record");
    }
    int rc = make_plan(a, gen, row_vector, &p, err);
    if (rc != DLZ_OK) {
        return rc;
    }
    emitter e = {emit, ctx, NULL, 0};
    e.buf = dlzi_malloc(ENC_CHUNK);
    if (e.buf == NULL) {
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory encoding an array");
    }
    rc = encode(a, &p, &e);
    dlzi_free(e.buf);
    return rc;
}

int dlzi_array_encoded_size(const dlz_array *a, dlz_generation gen, int row_vector, uint64_t *size,
                            dlzi_err *err) {
    plan p;
    if (size == NULL) {
        return dlzi_err_set(err, DLZ_EMISUSE, "no size output");
    }
    int rc = make_plan(a, gen, row_vector, &p, err);
    if (rc == DLZ_OK) {
        *size = p.size;
    }
    return rc;
}
