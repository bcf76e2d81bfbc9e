/* fuzz_array.c - libFuzzer target for bare ND4J array records: any bytes
 * that look like one go through dlz_reader_open_memory() (which detects a
 * bare array and decodes it, arrays limited to 64 MiB) and through the
 * decoder on a stream of unknown size, which must agree; a decoded array is
 * read with every accessor, converted, copied and encoded in both written
 * generations, and the encodings must decode to the same values. */
#include "fuzz.h"
#include "internal.h"

int dlz_fuzz_wants_entry(const char *name) {
    return strcmp(name, "coefficients.bin") == 0 || strcmp(name, "updaterState.bin") == 0;
}

/* Largest array whose values are compared element by element. */
#define MAX_COMPARE (1 << 22)

typedef struct sink {
    unsigned char *p;
    size_t n, cap;
} sink;

static int sink_emit(void *ctx, const void *buf, size_t n) {
    sink *s = ctx;
    FUZZ_CHECK(n <= 65536);
    if (s->n + n > s->cap) {
        size_t cap = (s->n + n) * 2;
        unsigned char *p = realloc(s->p, cap);
        if (p == NULL) {
            return DLZ_ENOMEM;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->n, buf, n);
    s->n += n;
    return DLZ_OK;
}

/* The values of @p a in row-major order (malloc'ed), or NULL when large. */
static double *values(const dlz_array *a) {
    int64_t n = dlz_array_length(a);
    if (n > MAX_COMPARE) {
        return NULL;
    }
    double *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
    if (v != NULL) {
        FUZZ_CHECK(dlz_array_to_f64(a, v, (size_t)n) == DLZ_OK);
    }
    return v;
}

static void same_values(const dlz_array *a, const dlz_array *b) {
    FUZZ_CHECK(dlz_array_dtype(a) == dlz_array_dtype(b));
    FUZZ_CHECK(dlz_array_length(a) == dlz_array_length(b));
    double *x = values(a), *y = values(b);
    if (x != NULL && y != NULL) {
        FUZZ_CHECK(memcmp(x, y, sizeof *x * (size_t)dlz_array_length(a)) == 0);
    }
    free(x);
    free(y);
}

/* Decodes @p len bytes with the size known (@p known) or not. */
static int decode(const void *p, size_t len, int known, dlz_array **out, dlzi_err *err) {
    dlzi_memin m;
    dlzi_err_clear(err);
    dlzi_memin_init(&m, p, len, err);
    dlzi_rd *rd = malloc(sizeof *rd);
    if (rd == NULL) {
        *out = NULL;
        return DLZ_ENOMEM;
    }
    dlzi_rd_init(rd, &m.in, known ? (int64_t)len : -1, "array", err);
    int rc = dlzi_array_decode(rd, FUZZ_ARRAY_LIMIT, out);
    free(rd);
    return rc;
}

static void round_trip(const dlz_array *a, dlz_generation gen) {
    sink s = {NULL, 0, 0};
    dlzi_err err;
    dlzi_err_clear(&err);
    uint64_t size = 0;
    int rc = dlzi_array_encoded_size(a, gen, 0, &size, &err);
    if (rc != DLZ_OK) {
        /* JAVACPP holds FLOAT, DOUBLE and HALF of 32-bit sizes only, and no
           empty scalar. */
        FUZZ_CHECK(gen == DLZ_GEN_JAVACPP && (rc == DLZ_EUNSUPPORTED || rc == DLZ_ELIMIT));
        return;
    }
    rc = dlzi_array_encode(a, gen, 0, sink_emit, &s, &err);
    FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
    if (rc == DLZ_OK) {
        FUZZ_CHECK(s.n == size);
        FUZZ_CHECK(dlzi_array_sniff(s.p, s.n, NULL));
        dlz_array *b = NULL;
        rc = decode(s.p, s.n, 1, &b, &err);
        if (rc != DLZ_OK) {
            fprintf(stderr, "the encoding does not decode: %s\n", err.msg);
        }
        FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
        if (b != NULL) {
            FUZZ_CHECK(dlz_array_rank(b) == dlz_array_rank(a));
            FUZZ_CHECK(dlz_array_generation(b) == gen);
            same_values(a, b);
        }
        dlz_array_free(b);
    }
    free(s.p);
}

static void check_array(const dlz_array *a) {
    dlz_dtype t = dlz_array_dtype(a);
    FUZZ_CHECK(dlz_dtype_name(t) != NULL && dlz_dtype_size(t) > 0);
    int r = dlz_array_rank(a);
    FUZZ_CHECK(r >= 0 && r <= DLZ_MAX_RANK);
    FUZZ_CHECK(dlz_array_order(a) == 'c' || dlz_array_order(a) == 'f');
    FUZZ_CHECK(dlz_generation_name(dlz_array_generation(a)) != NULL);
    int64_t n = dlz_array_length(a);
    FUZZ_CHECK(n >= 0);
    FUZZ_CHECK(dlz_array_nbytes(a) == (size_t)n * dlz_dtype_size(t));
    FUZZ_CHECK(dlz_array_cdata(a) != NULL || n == 0);
    /* Every element the strides reach lies in the buffer. */
    if (n > 0) {
        int64_t reach = 0;
        for (int k = 0; k < r; k++) {
            FUZZ_CHECK(dlz_array_shape(a)[k] > 0 && dlz_array_strides(a)[k] >= 0);
            int64_t step;
            FUZZ_CHECK(
                !__builtin_mul_overflow(dlz_array_shape(a)[k] - 1, dlz_array_strides(a)[k], &step));
            FUZZ_CHECK(!__builtin_add_overflow(reach, step, &reach));
        }
        FUZZ_CHECK(reach < n);
    }
    double *v = values(a);
    if (v != NULL) {
        float *f = malloc(sizeof *f * (size_t)(n > 0 ? n : 1));
        if (f != NULL) {
            FUZZ_CHECK(dlz_array_to_f32(a, f, (size_t)n) == DLZ_OK);
            /* 64-bit integers may round differently through double. */
            for (int64_t i = 0; i < n && t != DLZ_DTYPE_LONG && t != DLZ_DTYPE_UINT64; i++) {
                FUZZ_CHECK(v[i] != v[i] || (float)v[i] == f[i]);
            }
            free(f);
        }
        FUZZ_CHECK(n == 0 || dlz_array_to_f64(a, v, (size_t)n - 1) == DLZ_EMISUSE);
        free(v);
    }
    dlz_array *c = NULL;
    dlzi_err err;
    dlzi_err_clear(&err);
    if (dlzi_array_copy(a, &c, &err) == DLZ_OK) {
        FUZZ_CHECK(dlz_array_order(c) == 'c');
        same_values(a, c);
        dlz_array_free(c);
    }
    round_trip(a, DLZ_GEN_MIXED);
    round_trip(a, DLZ_GEN_JAVACPP);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > FUZZ_MAX_INPUT || !dlzi_array_sniff(data, size, NULL)) {
        return 0;
    }
    dlz_reader *r = dlz_reader_new();
    if (r == NULL) {
        return 0;
    }
    dlz_reader_set_limit(r, DLZ_LIMIT_ARRAY_BYTES, FUZZ_ARRAY_LIMIT);
    int rc = dlz_reader_open_memory(r, data, size);
    dlz_array *a = NULL;
    if (rc == DLZ_OK) {
        FUZZ_CHECK(dlz_reader_kind(r) == DLZ_KIND_ARRAY);
        FUZZ_CHECK(dlz_reader_entry_count(r) == 0);
        rc = dlz_reader_read_array(r, &a);
        FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
        dlz_array *b = NULL;
        FUZZ_CHECK(dlz_reader_read_coefficients(r, &b) != DLZ_OK && b == NULL);
    } else {
        FUZZ_CHECK(rc == DLZ_EFORMAT || rc == DLZ_EUNSUPPORTED || rc == DLZ_ELIMIT ||
                   rc == DLZ_ENOMEM);
        FUZZ_CHECK(fuzz_one_line(dlz_reader_errmsg(r)));
    }
    /* The same bytes as a stream of unknown size. */
    dlzi_err err;
    dlz_array *u = NULL;
    int urc = decode(data, size, 0, &u, &err);
    if (urc != DLZ_ENOMEM && rc != DLZ_ENOMEM) {
        if ((urc == DLZ_OK) != (rc == DLZ_OK)) {
            fprintf(stderr, "known size: %s; unknown size: %s\n",
                    rc == DLZ_OK ? "ok" : dlz_reader_errmsg(r), urc == DLZ_OK ? "ok" : err.msg);
        }
        FUZZ_CHECK((urc == DLZ_OK) == (rc == DLZ_OK));
    }
    if (urc != DLZ_OK) {
        FUZZ_CHECK(fuzz_one_line(err.msg));
    }
    if (a != NULL) {
        check_array(a);
        if (u != NULL) {
            FUZZ_CHECK(dlz_array_rank(u) == dlz_array_rank(a));
            same_values(a, u);
        }
    }
    dlz_array_free(a);
    dlz_array_free(u);
    dlz_reader_free(r);
    return 0;
}
