/* testutil.c - shared helpers of the C tests. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *tu_corpus_dir(void) {
    const char *d = getenv("DLZ_CORPUS");
    struct stat st;
    if (d == NULL || stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return NULL;
    }
    return d;
}

const char *tu_corpus_path(const char *rel) {
    static char buf[4096];
    const char *d = tu_corpus_dir();
    snprintf(buf, sizeof buf, "%s/%s", d ? d : "(no corpus)", rel);
    return buf;
}

unsigned char *tu_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s: %s", path, strerror(errno));
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap + 1);
    assert_non_null(b);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            assert_non_null(b);
        }
        size_t k = fread(b + n, 1, cap - n, f);
        if (k == 0) {
            break;
        }
        n += k;
    }
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

void tu_write_file(const char *path, const void *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fail_msg("cannot create %s: %s", path, strerror(errno));
    }
    if (len > 0 && fwrite(buf, 1, len, f) != len) {
        fail_msg("cannot write %s", path);
    }
    if (fclose(f) != 0) {
        fail_msg("cannot close %s", path);
    }
}

int tu_find_program(const char *env, const char *name, char *out, size_t cap) {
    const char *e = getenv(env);
    if (e != NULL && *e != '\0') {
        snprintf(out, cap, "%s", e);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    while (path != NULL && *path != '\0') {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, cap, "%.*s/%s", (int)n, path, name);
        if (n > 0 && access(out, X_OK) == 0) {
            return 1;
        }
        path = colon ? colon + 1 : NULL;
    }
    return 0;
}

char *tu_mkdtemp(void) {
    const char *t = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/dlztest.XXXXXX", t ? t : "/tmp");
    char *d = mkdtemp(tmpl);
    if (d == NULL) {
        fail_msg("mkdtemp: %s", strerror(errno));
    }
    char *r = malloc(strlen(d) + 1);
    strcpy(r, d);
    return r;
}

void tu_rm_rf(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            tu_rm_rf(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int tu_list_dir(const char *dir, const char *suffix, char **names, int max) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    int n = 0;
    struct dirent *e;
    size_t sl = strlen(suffix);
    while ((e = readdir(d)) != NULL && n < max) {
        size_t l = strlen(e->d_name);
        if (l >= sl && strcmp(e->d_name + l - sl, suffix) == 0) {
            size_t pl = strlen(dir) + l + 2;
            names[n] = malloc(pl);
            snprintf(names[n], pl, "%s/%s", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    return n;
}

#include <zlib.h>

static uint32_t le32(const unsigned char *p) {
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const unsigned char *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}

int tu_zip_list(const unsigned char *z, size_t len, tu_zip_entry *out, int max) {
    if (len < 22) {
        return -1;
    }
    size_t e = len - 22;
    for (;;) {
        if (le32(z + e) == 0x06054b50u) {
            break;
        }
        if (e == 0 || len - e > 22 + 65535) {
            return -1;
        }
        e--;
    }
    int n = le16(z + e + 10);
    size_t p = le32(z + e + 16);
    int k = 0;
    for (int i = 0; i < n && k < max; i++) {
        if (p + 46 > len || le32(z + p) != 0x02014b50u) {
            return -1;
        }
        tu_zip_entry *t = &out[k++];
        memset(t, 0, sizeof *t);
        t->flags = le16(z + p + 8);
        t->method = le16(z + p + 10);
        t->crc = le32(z + p + 16);
        t->csize = le32(z + p + 20);
        t->size = le32(z + p + 24);
        size_t nl = le16(z + p + 28), xl = le16(z + p + 30), cl = le16(z + p + 32);
        t->local_offset = le32(z + p + 42);
        memcpy(t->name, z + p + 46, nl < 255 ? nl : 255);
        size_t lo = (size_t)t->local_offset;
        if (lo + 30 <= len) {
            t->data_offset = lo + 30 + le16(z + lo + 26) + le16(z + lo + 28);
        }
        p += 46 + nl + xl + cl;
    }
    return k;
}

unsigned char *tu_zip_extract(const unsigned char *z, size_t len, const char *name,
                              size_t *outlen) {
    tu_zip_entry es[512];
    int n = tu_zip_list(z, len, es, 512);
    for (int i = 0; i < n; i++) {
        if (strcmp(es[i].name, name) != 0) {
            continue;
        }
        unsigned char *o = malloc(es[i].size + 1);
        assert_non_null(o);
        if (es[i].method == 0) {
            memcpy(o, z + es[i].data_offset, es[i].size);
        } else {
            z_stream s;
            memset(&s, 0, sizeof s);
            assert_int_equal(inflateInit2(&s, -MAX_WBITS), Z_OK);
            s.next_in = (Bytef *)(uintptr_t)(z + es[i].data_offset);
            s.avail_in = (uInt)es[i].csize;
            s.next_out = o;
            s.avail_out = (uInt)es[i].size + 1;
            int rc = inflate(&s, Z_FINISH);
            inflateEnd(&s);
            assert_int_equal(rc, Z_STREAM_END);
            assert_int_equal(s.total_out, es[i].size);
        }
        o[es[i].size] = 0;
        *outlen = es[i].size;
        return o;
    }
    return NULL;
}

static int64_t be_int(const unsigned char *p, int w) {
    uint64_t v = 0;
    for (int i = 0; i < w; i++) {
        v = v << 8 | p[i];
    }
    if (w < 8 && (v >> (8 * w - 1)) & 1) {
        v |= ~(uint64_t)0 << (8 * w);
    }
    return (int64_t)v;
}

static int utf(const unsigned char *b, size_t len, size_t *o, char *dst, size_t cap) {
    if (*o + 2 > len) {
        return -1;
    }
    size_t n = (size_t)b[*o] << 8 | b[*o + 1];
    if (n >= cap || *o + 2 + n > len) {
        return -1;
    }
    memcpy(dst, b + *o + 2, n);
    dst[n] = 0;
    *o += 2 + n;
    return 0;
}

static double half_val(unsigned h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* One data-buffer record: mode, length, type, elements. */
static int buffer(const unsigned char *b, size_t len, size_t *o, char *mode, char *dtype,
                  int64_t *n, const unsigned char **data, int *w) {
    if (utf(b, len, o, mode, 32) != 0) {
        return -1;
    }
    int lw =
        (strcmp(mode, "JAVACPP") == 0 || strcmp(mode, "HEAP") == 0 || strcmp(mode, "DIRECT") == 0)
            ? 4
            : 8;
    if (*o + (size_t)lw > len) {
        return -1;
    }
    *n = be_int(b + *o, lw);
    *o += (size_t)lw;
    if (utf(b, len, o, dtype, 16) != 0) {
        return -1;
    }
    *w = strcmp(dtype, "DOUBLE") == 0 || strcmp(dtype, "LONG") == 0 ? 8
         : strcmp(dtype, "HALF") == 0                               ? 2
                                                                    : 4;
    if (*n < 0 || *o + (size_t)*n * (size_t)*w > len) {
        return -1;
    }
    *data = b + *o;
    *o += (size_t)*n * (size_t)*w;
    return 0;
}

int tu_parse_array(const unsigned char *b, size_t len, tu_array *a) {
    memset(a, 0, sizeof *a);
    size_t o = 0;
    char smode[32], stype[16];
    int64_t sn;
    const unsigned char *sd;
    int sw;
    if (buffer(b, len, &o, smode, stype, &sn, &sd, &sw) != 0 || sn < 4) {
        return -1;
    }
    a->rank = (int)be_int(sd, sw);
    if (a->rank < 0 || a->rank > 32 || sn != 2 * a->rank + 4) {
        return -1;
    }
    for (int i = 0; i < a->rank; i++) {
        a->shape[i] = be_int(sd + (size_t)(1 + i) * (size_t)sw, sw);
        a->strides[i] = be_int(sd + (size_t)(1 + a->rank + i) * (size_t)sw, sw);
    }
    a->order = (char)be_int(sd + (size_t)(sn - 1) * (size_t)sw, sw);
    const unsigned char *dd;
    int dw;
    if (buffer(b, len, &o, a->mode, a->dtype, &a->n, &dd, &dw) != 0) {
        return -1;
    }
    strcpy(a->mode, smode);
    a->v = malloc(sizeof(double) * (size_t)(a->n ? a->n : 1));
    a->bits = malloc(sizeof(uint64_t) * (size_t)(a->n ? a->n : 1));
    for (int64_t i = 0; i < a->n; i++) {
        const unsigned char *p = dd + i * dw;
        uint64_t bits =
            (uint64_t)be_int(p, dw) & (dw == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * dw)) - 1);
        a->bits[i] = bits;
        if (strcmp(a->dtype, "FLOAT") == 0) {
            uint32_t u = (uint32_t)bits;
            float f;
            memcpy(&f, &u, 4);
            a->v[i] = f;
        } else if (strcmp(a->dtype, "DOUBLE") == 0) {
            memcpy(&a->v[i], &bits, 8);
        } else if (strcmp(a->dtype, "HALF") == 0) {
            a->v[i] = half_val((unsigned)bits);
        } else {
            a->v[i] = (double)be_int(p, dw);
        }
    }
    return 0;
}

void tu_array_free(tu_array *a) {
    free(a->v);
    free(a->bits);
    a->v = NULL;
    a->bits = NULL;
}

static int64_t tu_pos(const tu_array *a, int64_t i) {
    int64_t pos = 0;
    for (int k = a->rank - 1; k >= 0; k--) {
        int64_t d = a->shape[k] ? i % a->shape[k] : 0;
        i = a->shape[k] ? i / a->shape[k] : 0;
        pos += d * a->strides[k];
    }
    return pos;
}

double tu_array_at(const tu_array *a, int64_t i) {
    return a->v[tu_pos(a, i)];
}

uint64_t tu_array_bits_at(const tu_array *a, int64_t i) {
    return a->bits[tu_pos(a, i)];
}

/* A plain FIPS 180-4 SHA-256, written for the tests' expected-value files. */
static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n) {
    return x >> n | x << (32 - n);
}

static void sha_block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void tu_sha256_hex(const void *data, size_t len, char out[65]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = data;
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        sha_block(h, p + i);
    }
    unsigned char tail[128] = {0};
    size_t r = len - i;
    memcpy(tail, p + i, r);
    tail[r] = 0x80;
    size_t tl = r + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) {
        tail[tl - 1 - k] = (unsigned char)(bits >> (8 * k));
    }
    sha_block(h, tail);
    if (tl == 128) {
        sha_block(h, tail + 64);
    }
    for (int k = 0; k < 8; k++) {
        snprintf(out + 8 * k, 9, "%08x", h[k]);
    }
}

unsigned char *tu_unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex);
    if (n % 2) {
        return NULL;
    }
    unsigned char *b = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(b);
            return NULL;
        }
        b[i] = (unsigned char)v;
    }
    *len = n / 2;
    return b;
}

void tu_b_bytes(tu_buf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) {
            cap *= 2;
        }
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->p + b->n, p, n);
    }
    b->n += n;
}

void tu_b_be(tu_buf *b, uint64_t v, int width) {
    unsigned char t[8];
    for (int i = 0; i < width; i++) {
        t[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
    }
    tu_b_bytes(b, t, (size_t)width);
}

void tu_b_utf(tu_buf *b, const char *s) {
    tu_b_be(b, strlen(s), 2);
    tu_b_bytes(b, s, strlen(s));
}

void tu_b_free(tu_buf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

dlz_value *tu_value_string(const char *utf8, size_t len) {
    dlz_value *v = NULL;
    return dlz_value_new_string(utf8, len, &v, NULL, 0) == DLZ_OK ? v : NULL;
}

dlz_value *tu_value_array(dlz_value_type type, const void *elems, size_t n) {
    dlz_value *v = NULL;
    return dlz_value_new_array(type, elems, n, &v, NULL, 0) == DLZ_OK ? v : NULL;
}

int tu_count_temp_files(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && strstr(e->d_name, ".dlz-") != NULL) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static dlz_array *tu_vector(dlz_dtype t, int64_t n, double scale, double offset) {
    dlz_array *a;
    int64_t shape[2] = {1, n};
    assert_int_equal(dlz_array_new(t, 2, shape, 'c', &a, NULL, 0), DLZ_OK);
    for (int64_t i = 0; i < n; i++) {
        double v = (double)i * scale;
        if (offset != 0) { /* keeps -0.0 */
            v += offset;
        }
        if (t == DLZ_DTYPE_DOUBLE) {
            ((double *)dlz_array_data(a))[i] = v;
        } else {
            ((float *)dlz_array_data(a))[i] = (float)v;
        }
    }
    return a;
}

unsigned char *tu_build_archive(const tu_archive *spec, size_t *len) {
    dlz_array *c = tu_vector(DLZ_DTYPE_FLOAT, spec->n, spec->coef_scale, spec->coef_offset);
    dlz_array *u = spec->updater_n > 0
                       ? tu_vector(spec->updater_dtype, spec->updater_n, spec->updater_scale, 0)
                       : NULL;
    const char *conf = spec->config != NULL ? spec->config : "{\"confs\":[]}";
    dlz_writer *w = dlz_writer_new();
    TU_OK_W(w, dlz_writer_set_compression(w, DLZ_PART_ALL, spec->method, 6));
    if (spec->mtime != 0) {
        TU_OK_W(w, dlz_writer_set_mtime(w, spec->mtime));
    }
    TU_OK_W(w, dlz_writer_open_memory(w));
    TU_OK_W(w, dlz_writer_put_configuration(w, conf, strlen(conf)));
    TU_OK_W(w, dlz_writer_put_coefficients(w, c));
    if (u != NULL) {
        TU_OK_W(w, dlz_writer_put_updater(w, u));
    }
    if (spec->normalizer != NULL) {
        TU_OK_W(w, dlz_writer_put_normalizer_raw(w, spec->normalizer, strlen(spec->normalizer)));
    }
    if (spec->object_key != NULL) {
        TU_OK_W(w, dlz_writer_put_object_raw(w, spec->object_key, spec->object_value,
                                             strlen(spec->object_value)));
    }
    TU_OK_W(w, dlz_writer_close(w));
    const void *buf;
    TU_OK_W(w, dlz_writer_memory(w, &buf, len));
    unsigned char *copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, buf, *len);
    dlz_writer_free(w);
    dlz_array_free(c);
    dlz_array_free(u);
    return copy;
}
