/* onnx_pb.c - a protocol buffers encoder for the few ONNX messages the ONNX
 * export writes (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto; onnx/onnx.proto3).
 *
 * A message is built in its own growing buffer; a nested message is
 * appended to its parent as a length-delimited field once it is complete.
 * Out of memory is sticky: every later call does nothing and
 * dlzi_pb_failed() says so, so that a builder checks once at the end.
 * Numbers go out as the wire format wants them: varints for int32, int64
 * and enums (negative values as ten-byte two's complement), packed repeated
 * fields for ints and floats, little-endian fixed32 for a float.
 */
#include "internal.h"

/* Wire types. */
enum { WT_VARINT = 0, WT_LEN = 2, WT_FIXED32 = 5 };

static int reserve(dlzi_pb *b, size_t n) {
    if (b->oom) {
        return 0;
    }
    if (n > SIZE_MAX - b->len) {
        b->oom = 1;
        return 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) {
            cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        }
        unsigned char *p = dlzi_realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return 0;
        }
        b->p = p;
        b->cap = cap;
    }
    return 1;
}

void dlzi_pb_free(dlzi_pb *b) {
    dlzi_free(b->p);
    memset(b, 0, sizeof *b);
}

int dlzi_pb_failed(const dlzi_pb *b) {
    return b->oom;
}

void dlzi_pb_raw(dlzi_pb *b, const void *p, size_t n) {
    if (n > 0 && reserve(b, n)) {
        memcpy(b->p + b->len, p, n);
        b->len += n;
    }
}

static void varint(dlzi_pb *b, uint64_t v) {
    unsigned char tmp[10];
    size_t n = 0;
    do {
        unsigned char c = (unsigned char)(v & 0x7Fu);
        v >>= 7;
        tmp[n++] = (unsigned char)(c | (v != 0 ? 0x80u : 0u));
    } while (v != 0);
    dlzi_pb_raw(b, tmp, n);
}

static void key(dlzi_pb *b, unsigned field, unsigned wire) {
    varint(b, ((uint64_t)field << 3) | wire);
}

void dlzi_pb_int(dlzi_pb *b, unsigned field, int64_t v) {
    key(b, field, WT_VARINT);
    varint(b, (uint64_t)v);
}

void dlzi_pb_bytes(dlzi_pb *b, unsigned field, const void *p, size_t n) {
    key(b, field, WT_LEN);
    varint(b, n);
    dlzi_pb_raw(b, p, n);
}

void dlzi_pb_str(dlzi_pb *b, unsigned field, const char *s) {
    dlzi_pb_bytes(b, field, s, strlen(s));
}

void dlzi_pb_msg(dlzi_pb *b, unsigned field, const dlzi_pb *child) {
    if (child->oom) {
        b->oom = 1;
        return;
    }
    dlzi_pb_bytes(b, field, child->p, child->len);
}

void dlzi_pb_float(dlzi_pb *b, unsigned field, float v) {
    unsigned char le[4];
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    dlzi_put_le32(le, u);
    key(b, field, WT_FIXED32);
    dlzi_pb_raw(b, le, 4);
}

void dlzi_pb_ints(dlzi_pb *b, unsigned field, const int64_t *v, size_t n) {
    dlzi_pb packed = {0};
    for (size_t i = 0; i < n; i++) {
        varint(&packed, (uint64_t)v[i]);
    }
    dlzi_pb_msg(b, field, &packed);
    dlzi_pb_free(&packed);
}

void dlzi_pb_floats(dlzi_pb *b, unsigned field, const float *v, size_t n) {
    dlzi_pb packed = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char le[4];
        uint32_t u;
        memcpy(&u, &v[i], sizeof u);
        dlzi_put_le32(le, u);
        dlzi_pb_raw(&packed, le, 4);
    }
    dlzi_pb_msg(b, field, &packed);
    dlzi_pb_free(&packed);
}
