/* onnx.c - the ONNX graph of a DL4J model (model layer).
 *
 * The network description (network.c) gives every layer or vertex with its
 * typed attributes, the parameter table (params.c) where its weights lie in
 * the coefficients.  Each node becomes a few ONNX operators (opset 17, IR
 * version 8) whose tensors keep DL4J's layouts: [N,size] for feed-forward
 * activations, [N,C,H,W] or [N,H,W,C] as the layer's data format says, and
 * DL4J's RNN layout [N,size,T] (NCW) or [N,T,size] (NWC).  Operators that
 * want another layout get Transposes around them.  Weights are converted
 * to ONNX's layouts here (transposed, gates reordered), in double, and
 * written in the coefficients' type (FLOAT or DOUBLE).
 *
 * Nothing is approximated: a layer type, an attribute or a value that is
 * not translated exactly (including every field the description could not
 * read) makes the export fail with a message naming the layer and what
 * stopped it.  Every attribute of a node must be in the list of the
 * handler that translates it.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

#define ONNX_OPSET 17
#define ONNX_IR_VERSION 8
/* TensorProto.DataType */
enum { T_FLOAT = 1, T_INT64 = 7, T_DOUBLE = 11 };
/* AttributeProto.AttributeType */
enum { A_FLOAT = 1, A_INT = 2, A_STRING = 3, A_FLOATS = 6, A_INTS = 7, A_STRINGS = 8 };

typedef struct ox {
    dlzi_err *err;
    dlz_network *net;
    dlz_params *p;
    dlz_array *coef;
    dlz_dtype dtype;
    int elem;
    dlzi_pb g;    /* GraphProto */
    void **arena; /* strings and buffers freed at the end */
    size_t narena, acap;
    const char **out; /* per node: the ONNX tensor of its output */
    unsigned seq;
    /* the node being translated */
    size_t i;
    dlz_net_node nd;
} ox;

/* ---- memory ---------------------------------------------------------------------- */

static void *keep(ox *x, void *p) {
    if (p == NULL) {
        x->g.oom = 1;
        return NULL;
    }
    if (x->narena == x->acap) {
        size_t cap = x->acap ? 2 * x->acap : 64;
        void **a = dlzi_realloc(x->arena, cap * sizeof *a);
        if (a == NULL) {
            dlzi_free(p);
            x->g.oom = 1;
            return NULL;
        }
        x->arena = a;
        x->acap = cap;
    }
    x->arena[x->narena++] = p;
    return p;
}

static const char *nm(ox *x, const char *fmt, ...) DLZI_PRINTF(2, 3);

/* A name kept until the end; "" when out of memory (the graph fails then). */
static const char *nm(ox *x, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? dlzi_malloc((size_t)n + 1) : NULL;
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    s = keep(x, s);
    return s != NULL ? s : "";
}

/* A fresh tensor name of the current node. */
static const char *tmp(ox *x, const char *what) {
    return nm(x, "%s/%s_%u", x->nd.name, what, x->seq++);
}

static int unsupported(ox *x, const char *fmt, ...) DLZI_PRINTF(2, 3);

static int unsupported(ox *x, const char *fmt, ...) {
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return dlzi_err_set(x->err, DLZ_EUNSUPPORTED, "ONNX export: layer '%s' (%s): %s", x->nd.name,
                        x->nd.type, what);
}

/* ---- attributes of the DL4J node ------------------------------------------------ */

static int has(ox *x, const char *name, dlz_net_attr *a) {
    return dlz_network_find_attr(x->net, x->i, name, a) == DLZ_OK;
}

static int64_t ai(ox *x, const char *name, int64_t def) {
    dlz_net_attr a;
    return has(x, name, &a) && (a.type == DLZ_ATTR_INT || a.type == DLZ_ATTR_BOOL) ? a.ints[0]
                                                                                   : def;
}

static double ar(ox *x, const char *name, double def) {
    dlz_net_attr a;
    if (!has(x, name, &a)) {
        return def;
    }
    return a.type == DLZ_ATTR_REAL ? a.reals[0] : a.type == DLZ_ATTR_INT ? (double)a.ints[0] : def;
}

static const char *at(ox *x, const char *name, const char *def) {
    dlz_net_attr a;
    return has(x, name, &a) && a.type == DLZ_ATTR_TEXT ? a.text : def;
}

/* An INTS attribute of n values (or one value repeated n times). */
static int aints(ox *x, const char *name, int64_t *v, size_t n, int64_t def) {
    dlz_net_attr a;
    for (size_t k = 0; k < n; k++) {
        v[k] = def;
    }
    if (!has(x, name, &a)) {
        return DLZ_OK;
    }
    if ((a.type != DLZ_ATTR_INTS && a.type != DLZ_ATTR_INT) || (a.count != n && a.count != 1)) {
        return unsupported(x, "attribute '%s' has %zu values, expected %zu", name, a.count, n);
    }
    for (size_t k = 0; k < n; k++) {
        v[k] = a.ints[a.count == 1 ? 0 : k];
    }
    return DLZ_OK;
}

/* Every attribute of the node must be in the space-separated list @p ok
   (a name ending in '.' covers every attribute with that prefix); the
   node must have no unknown fields. */
static int check_attrs(ox *x, const char *ok) {
    if (x->nd.unknown_count > 0) {
        return unsupported(x, "%s", dlz_network_unknown(x->net, x->i, 0));
    }
    for (size_t k = 0; k < x->nd.attr_count; k++) {
        dlz_net_attr a;
        if (dlz_network_attr(x->net, x->i, k, &a) != DLZ_OK) {
            return unsupported(x, "attribute %zu", k);
        }
        int found = 0;
        for (const char *s = ok; *s != '\0' && !found;) {
            size_t n = strcspn(s, " ");
            found = strncmp(a.name, "preprocessor.", 13) == 0 || /* see preprocess() */
                    (n == strlen(a.name) && strncmp(s, a.name, n) == 0) ||
                    (n > 0 && s[n - 1] == '.' && strncmp(s, a.name, n) == 0);
            s += n;
            s += *s == ' ';
        }
        if (!found) {
            return unsupported(x, "attribute '%s' is not supported by the ONNX export", a.name);
        }
    }
    return DLZ_OK;
}

/* ---- ONNX messages -------------------------------------------------------------- */

static void a_int(dlzi_pb *a, const char *name, int64_t v) {
    dlzi_pb m = {0};
    dlzi_pb_str(&m, 1, name);
    dlzi_pb_int(&m, 20, A_INT);
    dlzi_pb_int(&m, 3, v);
    dlzi_pb_msg(a, 5, &m);
    dlzi_pb_free(&m);
}

static void a_ints(dlzi_pb *a, const char *name, const int64_t *v, size_t n) {
    dlzi_pb m = {0};
    dlzi_pb_str(&m, 1, name);
    dlzi_pb_int(&m, 20, A_INTS);
    dlzi_pb_ints(&m, 8, v, n);
    dlzi_pb_msg(a, 5, &m);
    dlzi_pb_free(&m);
}

static void a_float(dlzi_pb *a, const char *name, double v) {
    dlzi_pb m = {0};
    dlzi_pb_str(&m, 1, name);
    dlzi_pb_int(&m, 20, A_FLOAT);
    dlzi_pb_float(&m, 2, (float)v);
    dlzi_pb_msg(a, 5, &m);
    dlzi_pb_free(&m);
}

static void a_str(dlzi_pb *a, const char *name, const char *v) {
    dlzi_pb m = {0};
    dlzi_pb_str(&m, 1, name);
    dlzi_pb_int(&m, 20, A_STRING);
    dlzi_pb_str(&m, 4, v);
    dlzi_pb_msg(a, 5, &m);
    dlzi_pb_free(&m);
}

static void a_strs(dlzi_pb *a, const char *name, const char *const *v, size_t n) {
    dlzi_pb m = {0};
    dlzi_pb_str(&m, 1, name);
    dlzi_pb_int(&m, 20, A_STRINGS);
    for (size_t k = 0; k < n; k++) {
        dlzi_pb_str(&m, 9, v[k]);
    }
    dlzi_pb_msg(a, 5, &m);
    dlzi_pb_free(&m);
}

/* Appends NodeProto op(in...) -> out with the attributes in *attrs (freed). */
static void node(ox *x, const char *op, const char *const *in, size_t nin, const char *out,
                 dlzi_pb *attrs) {
    dlzi_pb m = {0};
    for (size_t k = 0; k < nin; k++) {
        dlzi_pb_str(&m, 1, in[k]);
    }
    dlzi_pb_str(&m, 2, out);
    dlzi_pb_str(&m, 3, out);
    dlzi_pb_str(&m, 4, op);
    if (attrs != NULL) {
        if (attrs->oom) {
            m.oom = 1;
        }
        dlzi_pb_raw(&m, attrs->p, attrs->len);
        dlzi_pb_free(attrs);
    }
    dlzi_pb_msg(&x->g, 1, &m);
    dlzi_pb_free(&m);
}

static const char *op1(ox *x, const char *op, const char *in, dlzi_pb *attrs) {
    const char *out = tmp(x, op);
    node(x, op, &in, 1, out, attrs);
    return out;
}

static const char *op2(ox *x, const char *op, const char *a, const char *b) {
    const char *in[2] = {a, b};
    const char *out = tmp(x, op);
    node(x, op, in, 2, out, NULL);
    return out;
}

/* An initializer of the graph's floating type from n doubles. */
static const char *init_real(ox *x, const char *what, int rank, const int64_t *dims,
                             const double *v, size_t n) {
    const char *name = tmp(x, what);
    size_t w = x->elem == T_DOUBLE ? 8 : 4;
    unsigned char *raw = n > 0 ? dlzi_malloc(n * w) : NULL;
    if (n > 0 && raw == NULL) {
        x->g.oom = 1;
        return name;
    }
    for (size_t k = 0; k < n; k++) {
        if (w == 8) {
            uint64_t u;
            memcpy(&u, &v[k], 8);
            dlzi_put_le64(raw + 8 * k, u);
        } else {
            float f = (float)v[k];
            uint32_t u;
            memcpy(&u, &f, 4);
            dlzi_put_le32(raw + 4 * k, u);
        }
    }
    dlzi_pb t = {0};
    dlzi_pb_ints(&t, 1, dims, (size_t)rank);
    dlzi_pb_int(&t, 2, x->elem);
    dlzi_pb_str(&t, 8, name);
    dlzi_pb_bytes(&t, 9, raw, n * w);
    dlzi_pb_msg(&x->g, 5, &t);
    dlzi_pb_free(&t);
    dlzi_free(raw);
    return name;
}

static const char *init_i64(ox *x, const char *what, const int64_t *v, size_t n) {
    const char *name = tmp(x, what);
    dlzi_pb t = {0};
    int64_t dim = (int64_t)n;
    dlzi_pb_ints(&t, 1, &dim, 1);
    dlzi_pb_int(&t, 2, T_INT64);
    dlzi_pb_str(&t, 8, name);
    dlzi_pb_ints(&t, 7, v, n);
    dlzi_pb_msg(&x->g, 5, &t);
    dlzi_pb_free(&t);
    return name;
}

static const char *scalar(ox *x, double v) {
    return init_real(x, "c", 0, NULL, &v, 1);
}

static const char *transpose(ox *x, const char *in, const int64_t *perm, size_t n) {
    dlzi_pb a = {0};
    a_ints(&a, "perm", perm, n);
    return op1(x, "Transpose", in, &a);
}

static const char *reshape(ox *x, const char *in, const int64_t *shape, size_t n) {
    return op2(x, "Reshape", in, init_i64(x, "shape", shape, n));
}

/* ValueInfoProto of a graph input or output: the graph's type, a shape of
   @p rank with the known sizes (batch and unknown sizes symbolic). */
static void value_info(ox *x, unsigned field, const char *name, const dlz_net_shape *s) {
    dlzi_pb shape = {0}, tensor = {0}, type = {0}, vi = {0};
    for (int d = 0; d < s->rank; d++) {
        dlzi_pb dim = {0};
        if (s->dims[d] >= 0) {
            dlzi_pb_int(&dim, 1, s->dims[d]);
        } else {
            char sym[64];
            snprintf(sym, sizeof sym, d == 0 ? "batch" : "%s_d%d", name, d);
            dlzi_pb_str(&dim, 2, sym);
        }
        dlzi_pb_msg(&shape, 1, &dim);
        dlzi_pb_free(&dim);
    }
    dlzi_pb_int(&tensor, 1, x->elem);
    if (s->rank > 0) {
        dlzi_pb_msg(&tensor, 2, &shape);
    }
    dlzi_pb_msg(&type, 1, &tensor);
    dlzi_pb_str(&vi, 1, name);
    dlzi_pb_msg(&vi, 2, &type);
    dlzi_pb_msg(&x->g, field, &vi);
    dlzi_pb_free(&shape);
    dlzi_pb_free(&tensor);
    dlzi_pb_free(&type);
    dlzi_pb_free(&vi);
}

/* ---- parameters ------------------------------------------------------------------- */

/* Parameter @p key of the current node, in row-major order of its DL4J
   shape, as doubles kept until the end; NULL with the reason in err. */
static const double *param(ox *x, const char *key, dlz_param_info *info) {
    char name[512];
    size_t idx;
    snprintf(name, sizeof name, "%s/%s", x->nd.name, key);
    if (x->p == NULL || dlz_params_find(x->p, name, &idx) != DLZ_OK ||
        dlz_params_get(x->p, idx, info) != DLZ_OK) {
        dlzi_err_set(x->err, DLZ_EFORMAT, "ONNX export: layer '%s' (%s): no parameter '%s'",
                     x->nd.name, x->nd.type, key);
        return NULL;
    }
    dlz_array *a = NULL;
    int rc = dlz_params_extract(x->p, idx, x->coef, 'c', &a);
    if (rc != DLZ_OK) {
        dlzi_err_set(x->err, rc, "ONNX export: %s", dlz_params_errmsg(x->p));
        return NULL;
    }
    size_t n = (size_t)info->length;
    double *v = keep(x, dlzi_malloc((n > 0 ? n : 1) * sizeof *v));
    if (v == NULL || dlz_array_to_f64(a, v, n) != DLZ_OK) {
        dlz_array_free(a);
        dlzi_err_set(x->err, DLZ_ENOMEM, "out of memory");
        return NULL;
    }
    dlz_array_free(a);
    return v;
}

static double *scratch(ox *x, size_t n) {
    return keep(x, dlzi_malloc((n > 0 ? n : 1) * sizeof(double)));
}

/* ---- activations ---------------------------------------------------------------------- */

/* The activation in attribute @p attr ("activation") applied to @p in;
   softmax over @p axis.  Only activations ONNX computes as DL4J does. */
static int activation(ox *x, const char *attr, const char *in, int64_t axis, const char **out) {
    const char *f = at(x, attr, "Identity");
    char pname[64];
    size_t plen = (size_t)snprintf(pname, sizeof pname, "%s.", attr);
    /* parameters this activation reads; any other is refused */
    const char *params = "";
    double alpha = 0;
    dlzi_pb a = {0};
    *out = NULL;
    if (strcmp(f, "Identity") == 0) {
        *out = in;
    } else if (strcmp(f, "ReLU") == 0) {
        *out = op1(x, "Relu", in, NULL);
    } else if (strcmp(f, "ReLU6") == 0) {
        *out = op2(x, "Min", op1(x, "Relu", in, NULL), scalar(x, 6.0));
    } else if (strcmp(f, "LReLU") == 0) {
        params = "alpha";
        a_float(&a, "alpha", ar(x, nm(x, "%salpha", pname), 0.01));
        *out = op1(x, "LeakyRelu", in, &a);
    } else if (strcmp(f, "ELU") == 0) {
        params = "alpha";
        a_float(&a, "alpha", ar(x, nm(x, "%salpha", pname), 1.0));
        *out = op1(x, "Elu", in, &a);
    } else if (strcmp(f, "SELU") == 0) {
        /* ND4J's constants, which ONNX's defaults round differently */
        a_float(&a, "alpha", 1.6732632423543772848170429916717);
        a_float(&a, "gamma", 1.0507009873554804934193349852946);
        *out = op1(x, "Selu", in, &a);
    } else if (strcmp(f, "Sigmoid") == 0) {
        *out = op1(x, "Sigmoid", in, NULL);
    } else if (strcmp(f, "HardSigmoid") == 0) {
        /* ND4J: min(1, max(0, 0.2 x + 0.5)) */
        a_float(&a, "alpha", 0.2);
        a_float(&a, "beta", 0.5);
        *out = op1(x, "HardSigmoid", in, &a);
    } else if (strcmp(f, "TanH") == 0) {
        *out = op1(x, "Tanh", in, NULL);
    } else if (strcmp(f, "HardTanH") == 0) {
        const char *c[3] = {in, scalar(x, -1.0), scalar(x, 1.0)};
        *out = tmp(x, "Clip");
        node(x, "Clip", c, 3, *out, NULL);
    } else if (strcmp(f, "Softmax") == 0) {
        a_int(&a, "axis", axis);
        *out = op1(x, "Softmax", in, &a);
    } else if (strcmp(f, "SoftPlus") == 0) {
        *out = op1(x, "Softplus", in, NULL);
    } else if (strcmp(f, "SoftSign") == 0) {
        *out = op1(x, "Softsign", in, NULL);
    } else if (strcmp(f, "Swish") == 0) {
        *out = op2(x, "Mul", in, op1(x, "Sigmoid", in, NULL));
    } else if (strcmp(f, "Cube") == 0) {
        *out = op2(x, "Mul", op2(x, "Mul", in, in), in);
    } else if (strcmp(f, "RectifiedTanh") == 0) {
        *out = op1(x, "Relu", op1(x, "Tanh", in, NULL), NULL);
    } else if (strcmp(f, "Mish") == 0) {
        *out = op2(x, "Mul", in, op1(x, "Tanh", op1(x, "Softplus", in, NULL), NULL));
    } else if (strcmp(f, "ThresholdedReLU") == 0) {
        params = "theta";
        a_float(&a, "alpha", ar(x, nm(x, "%stheta", pname), 1.0));
        *out = op1(x, "ThresholdedRelu", in, &a);
    } else {
        dlzi_pb_free(&a);
        return unsupported(x, "activation %s is not supported by the ONNX export", f);
    }
    (void)alpha;
    /* parameters of the activation that were not read */
    for (size_t k = 0; k < x->nd.attr_count; k++) {
        dlz_net_attr at2;
        if (dlz_network_attr(x->net, x->i, k, &at2) != DLZ_OK ||
            strncmp(at2.name, pname, plen) != 0) {
            continue;
        }
        const char *p = at2.name + plen;
        size_t n = strlen(p);
        const char *s = strstr(params, p);
        if (n == 0 || s == NULL || (s[n] != '\0' && s[n] != ' ')) {
            dlzi_pb_free(&a);
            return unsupported(x, "activation %s with '%s' is not supported by the ONNX export", f,
                               at2.name);
        }
    }
    dlzi_pb_free(&a);
    return DLZ_OK;
}

/* ---- layers --------------------------------------------------------------------------- */

/* Attributes every layer may carry that do not change inference: dropout is
   identity at inference, a frozen layer computes what it wraps, the loss
   only concerns training. */
#define COMMON "dropout dropout. frozen loss loss. "

static const char *bias_add(ox *x, const char *in, int has_bias, int64_t nout, int64_t rank) {
    if (!has_bias) {
        return in;
    }
    dlz_param_info info;
    const double *b = param(x, "b", &info);
    if (b == NULL) {
        return NULL;
    }
    /* broadcast over [N, nOut, 1...] */
    int64_t dims[5] = {nout, 1, 1, 1, 1};
    return op2(x, "Add", in,
               init_real(x, "b", (int)(rank > 2 ? rank - 1 : 1), dims, b, (size_t)nout));
}

/* x W (+ b) for a [.., nIn] input; W [nIn,nOut] 'f' in DL4J. */
static int dense_core(ox *x, const char *in, const char **out, int64_t *nout) {
    dlz_param_info info;
    const double *w = param(x, "W", &info);
    if (w == NULL) {
        return x->err->code;
    }
    if (info.rank != 2) {
        return unsupported(x, "W of rank %d", info.rank);
    }
    *nout = info.shape[1];
    const char *y = op2(x, "MatMul", in, init_real(x, "W", 2, info.shape, w, (size_t)info.length));
    if (ai(x, "has_bias", 1)) {
        const double *b = param(x, "b", &info);
        if (b == NULL) {
            return x->err->code;
        }
        y = op2(x, "Add", y, init_real(x, "b", 1, nout, b, (size_t)*nout));
    }
    *out = y;
    return DLZ_OK;
}

static int dense(ox *x, const char *in, const char **out) {
    int rc = check_attrs(x, COMMON "activation activation. has_bias layer_norm n_in n_out "
                                   "time_distributed_format");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (ai(x, "layer_norm", 0)) {
        return unsupported(x, "layer normalisation is not supported by the ONNX export");
    }
    int64_t nout;
    const char *y;
    rc = dense_core(x, in, &y, &nout);
    return rc != DLZ_OK ? rc : activation(x, "activation", y, 1, out);
}

/* RnnOutputLayer: [N,nIn,T] (NCW) or [N,T,nIn] (NWC), dense per time step. */
static int rnn_output(ox *x, const char *in, const char **out) {
    int rc = check_attrs(x, COMMON "activation activation. has_bias n_in n_out data_format");
    if (rc != DLZ_OK) {
        return rc;
    }
    int ncw = strcmp(at(x, "data_format", "NCW"), "NCW") == 0;
    static const int64_t swap[3] = {0, 2, 1};
    const char *t = ncw ? transpose(x, in, swap, 3) : in;
    int64_t nout;
    const char *y;
    if ((rc = dense_core(x, t, &y, &nout)) != DLZ_OK ||
        (rc = activation(x, "activation", y, 2, &y)) != DLZ_OK) {
        return rc;
    }
    *out = ncw ? transpose(x, y, swap, 3) : y;
    return DLZ_OK;
}

/* ActivationLayer, LossLayer and friends: the activation only.  Softmax is
   taken over the features of a [N,size] input only. */
static int act_layer(ox *x, const char *in, const char *fmt, const char **out) {
    int rc = check_attrs(x, COMMON "activation activation. n_in n_out");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (strcmp(at(x, "activation", "Identity"), "Softmax") == 0 && strcmp(fmt, "FF") != 0) {
        return unsupported(x, "softmax over a %s input is not supported by the ONNX export", fmt);
    }
    return activation(x, "activation", in, 1, out);
}

static int is_nhwc(const char *f) {
    return strcmp(f, "NHWC") == 0 || strcmp(f, "NWC") == 0 || strcmp(f, "NDHWC") == 0;
}

/* Channels-first view of a channels-last tensor of rank r, and back. */
static const char *to_cfirst(ox *x, const char *in, int r) {
    int64_t perm[5] = {0, r - 1, 1, 2, 3};
    return transpose(x, in, perm, (size_t)r);
}

static const char *to_clast(ox *x, const char *in, int r) {
    int64_t perm[5] = {0, 2, 3, 4, 0};
    perm[r - 1] = 1;
    return transpose(x, in, perm, (size_t)r);
}

/* kernel, stride, padding and dilation as ONNX attributes for a window of
   @p nd spatial dimensions (mode Truncate, Strict, Same or Causal). */
static int window_attrs(ox *x, int nd, int pool, dlzi_pb *a) {
    int64_t k[3], s[3], p[3], d[3], pads[6];
    int rc;
    if ((rc = aints(x, "kernel", k, (size_t)nd, 1)) != DLZ_OK ||
        (rc = aints(x, "stride", s, (size_t)nd, 1)) != DLZ_OK ||
        (rc = aints(x, "padding", p, (size_t)nd, 0)) != DLZ_OK ||
        (rc = aints(x, "dilation", d, (size_t)nd, 1)) != DLZ_OK) {
        return rc;
    }
    const char *mode = at(x, "convolution_mode", "Truncate");
    a_ints(a, "kernel_shape", k, (size_t)nd);
    a_ints(a, "strides", s, (size_t)nd);
    int dil = 0;
    for (int j = 0; j < nd; j++) {
        dil |= d[j] != 1;
    }
    if (dil && pool && strcmp(at(x, "pooling", "MAX"), "MAX") != 0) {
        return unsupported(x, "a dilated %s pooling is not supported by the ONNX export",
                           at(x, "pooling", ""));
    }
    if (dil) {
        a_ints(a, "dilations", d, (size_t)nd);
    }
    if (strcmp(mode, "Same") == 0) {
        /* DL4J pads (total)/2 before and the rest after: SAME_UPPER */
        a_str(a, "auto_pad", "SAME_UPPER");
    } else if (strcmp(mode, "Causal") == 0) {
        if (nd != 1 || pool) {
            return unsupported(x, "convolution mode Causal");
        }
        pads[0] = (k[0] - 1) * d[0];
        pads[1] = 0;
        a_ints(a, "pads", pads, 2);
    } else if (strcmp(mode, "Truncate") == 0 || strcmp(mode, "Strict") == 0) {
        for (int j = 0; j < nd; j++) {
            pads[j] = pads[j + nd] = p[j];
        }
        a_ints(a, "pads", pads, (size_t)(2 * nd));
    } else {
        return unsupported(x, "convolution mode %s", mode);
    }
    return DLZ_OK;
}

static int conv(ox *x, const char *in, int nd, const char **out) {
    int rc = check_attrs(x, COMMON "activation activation. convolution_mode data_format dilation "
                                   "has_bias kernel n_in n_out padding stride");
    if (rc != DLZ_OK) {
        return rc;
    }
    const char *fmt = at(x, "data_format", nd == 1 ? "NCW" : "NCHW");
    int last = is_nhwc(fmt);
    const char *t = last ? to_cfirst(x, in, nd + 2) : in;
    dlz_param_info info;
    const double *w = param(x, "W", &info);
    if (w == NULL) {
        return x->err->code;
    }
    int64_t dims[5] = {info.shape[0], info.shape[1], info.shape[2], info.shape[3], 1};
    if (info.rank != 4 && !(nd == 3 && info.rank == 5)) {
        return unsupported(x, "W of rank %d", info.rank);
    }
    if (nd == 3) {
        dims[3] = info.shape[3];
        dims[4] = info.shape[4];
    }
    dlzi_pb a = {0};
    if ((rc = window_attrs(x, nd, 0, &a)) != DLZ_OK) {
        dlzi_pb_free(&a);
        return rc;
    }
    const char *cin[3] = {t, init_real(x, "W", nd + 2, dims, w, (size_t)info.length), NULL};
    size_t nin = 2;
    if (ai(x, "has_bias", 1)) {
        const double *b = param(x, "b", &info);
        if (b == NULL) {
            dlzi_pb_free(&a);
            return x->err->code;
        }
        cin[2] = init_real(x, "b", 1, &dims[0], b, (size_t)dims[0]);
        nin = 3;
    }
    const char *y = tmp(x, "Conv");
    node(x, "Conv", cin, nin, y, &a);
    if ((rc = activation(x, "activation", y, 1, &y)) != DLZ_OK) {
        return rc;
    }
    *out = last ? to_clast(x, y, nd + 2) : y;
    return DLZ_OK;
}

static int pool(ox *x, const char *in, int nd, const char **out) {
    /* DL4J's subsampling layers apply no activation, whatever old
       configurations record for them */
    int rc = check_attrs(x, COMMON "activation activation. avg_pool_include_pad data_format "
                                   "convolution_mode dilation eps kernel padding pnorm pooling "
                                   "stride");
    if (rc != DLZ_OK) {
        return rc;
    }
    const char *fmt = at(x, "data_format", nd == 1 ? "NCW" : "NCHW");
    int last = is_nhwc(fmt);
    const char *t = last ? to_cfirst(x, in, nd + 2) : in;
    const char *type = at(x, "pooling", "MAX");
    dlzi_pb a = {0};
    if ((rc = window_attrs(x, nd, 1, &a)) != DLZ_OK) {
        dlzi_pb_free(&a);
        return rc;
    }
    const char *op;
    if (strcmp(type, "MAX") == 0) {
        op = "MaxPool";
    } else if (strcmp(type, "AVG") == 0) {
        op = "AveragePool";
        a_int(&a, "count_include_pad", ai(x, "avg_pool_include_pad", 0) ? 1 : 0);
    } else if (strcmp(type, "PNORM") == 0) {
        op = "LpPool";
        a_int(&a, "p", ai(x, "pnorm", 2));
    } else {
        dlzi_pb_free(&a);
        return unsupported(x, "pooling type %s", type);
    }
    const char *y = op1(x, op, t, &a);
    *out = last ? to_clast(x, y, nd + 2) : y;
    return DLZ_OK;
}

static int batchnorm(ox *x, const char *in, const char *fmt, const char **out) {
    int rc = check_attrs(x, COMMON "activation activation. beta data_format eps gamma "
                                   "lock_gamma_beta n_in n_out use_log_std");
    if (rc != DLZ_OK) {
        return rc;
    }
    int r = strcmp(fmt, "FF") == 0                                   ? 2
            : strcmp(fmt, "NCDHW") == 0 || strcmp(fmt, "NDHWC") == 0 ? 5
            : strcmp(fmt, "NCW") == 0 || strcmp(fmt, "NWC") == 0     ? 3
                                                                     : 4;
    int last = is_nhwc(fmt);
    const char *t = last ? to_cfirst(x, in, r) : in;
    dlz_param_info info;
    const double *mean = param(x, "mean", &info);
    if (mean == NULL) {
        return x->err->code;
    }
    int64_t c = info.length;
    double *var = scratch(x, (size_t)c), *gamma = scratch(x, (size_t)c),
           *beta = scratch(x, (size_t)c);
    if (var == NULL || gamma == NULL || beta == NULL) {
        return dlzi_err_set(x->err, DLZ_ENOMEM, "out of memory");
    }
    const double *v;
    if (ai(x, "use_log_std", 0)) {
        /* DL4J keeps log10(std); var = (10^log10std)^2 */
        if ((v = param(x, "log10stdev", &info)) == NULL) {
            return x->err->code;
        }
        for (int64_t k = 0; k < c; k++) {
            double s = pow(10.0, v[k]);
            var[k] = s * s;
        }
    } else {
        if ((v = param(x, "var", &info)) == NULL) {
            return x->err->code;
        }
        memcpy(var, v, (size_t)c * sizeof *var);
    }
    if (ai(x, "lock_gamma_beta", 0)) {
        for (int64_t k = 0; k < c; k++) {
            gamma[k] = ar(x, "gamma", 1.0);
            beta[k] = ar(x, "beta", 0.0);
        }
    } else {
        const double *g = param(x, "gamma", &info), *b = g != NULL ? param(x, "beta", &info) : NULL;
        if (b == NULL) {
            return x->err->code;
        }
        memcpy(gamma, g, (size_t)c * sizeof *gamma);
        memcpy(beta, b, (size_t)c * sizeof *beta);
    }
    const char *bin[5] = {t, init_real(x, "gamma", 1, &c, gamma, (size_t)c),
                          init_real(x, "beta", 1, &c, beta, (size_t)c),
                          init_real(x, "mean", 1, &c, mean, (size_t)c),
                          init_real(x, "var", 1, &c, var, (size_t)c)};
    dlzi_pb a = {0};
    a_float(&a, "epsilon", ar(x, "eps", 1e-5));
    const char *y = tmp(x, "BatchNormalization");
    node(x, "BatchNormalization", bin, 5, y, &a);
    /* DL4J's BatchNormalization does not apply the activation it may be
       configured with (its output for the fixture mln-cnn-bn-*, whose layer
       says Sigmoid, is the normalisation alone) */
    *out = last ? to_clast(x, y, r) : y;
    return DLZ_OK;
}

static int global_pool(ox *x, const char *in, const char *fmt, const char **out) {
    int rc = check_attrs(x, "collapse_dimensions pnorm pooling pooling_dimensions");
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t axes[3];
    size_t na;
    dlz_net_attr pd;
    if (has(x, "pooling_dimensions", &pd) && pd.type == DLZ_ATTR_INTS && pd.count >= 1 &&
        pd.count <= 3) {
        na = pd.count;
        memcpy(axes, pd.ints, na * sizeof *axes);
    } else if (strcmp(fmt, "NCW") == 0) {
        na = 1, axes[0] = 2;
    } else if (strcmp(fmt, "NWC") == 0) {
        na = 1, axes[0] = 1;
    } else if (strcmp(fmt, "NCHW") == 0) {
        na = 2, axes[0] = 2, axes[1] = 3;
    } else if (strcmp(fmt, "NHWC") == 0) {
        na = 2, axes[0] = 1, axes[1] = 2;
    } else {
        return unsupported(x, "global pooling of a %s input", fmt);
    }
    const char *type = at(x, "pooling", "MAX");
    int64_t pn = ai(x, "pnorm", 2);
    const char *op = strcmp(type, "MAX") == 0                ? "ReduceMax"
                     : strcmp(type, "AVG") == 0              ? "ReduceMean"
                     : strcmp(type, "PNORM") == 0 && pn == 1 ? "ReduceL1"
                     : strcmp(type, "PNORM") == 0 && pn == 2 ? "ReduceL2"
                     : strcmp(type, "SUM") == 0              ? "ReduceSum"
                                                             : NULL;
    if (op == NULL) {
        return unsupported(x, "global pooling %s (pnorm %" PRId64 ")", type, pn);
    }
    dlzi_pb a = {0};
    a_int(&a, "keepdims", ai(x, "collapse_dimensions", 1) ? 0 : 1);
    if (strcmp(op, "ReduceSum") == 0) {
        const char *rin[2] = {in, init_i64(x, "axes", axes, na)};
        *out = tmp(x, op);
        node(x, op, rin, 2, *out, &a);
    } else {
        a_ints(&a, "axes", axes, na);
        *out = op1(x, op, in, &a);
    }
    return DLZ_OK;
}

static int embedding(ox *x, const char *in, const char **out) {
    int rc = check_attrs(x, COMMON "activation activation. has_bias n_in n_out");
    if (rc != DLZ_OK) {
        return rc;
    }
    dlz_param_info info;
    const double *w = param(x, "W", &info);
    if (w == NULL) {
        return x->err->code;
    }
    dlzi_pb a = {0};
    a_int(&a, "to", T_INT64);
    static const int64_t flat[1] = {-1};
    const char *idx = reshape(x, op1(x, "Cast", in, &a), flat, 1);
    const char *y = op2(x, "Gather", init_real(x, "W", 2, info.shape, w, (size_t)info.length), idx);
    if (ai(x, "has_bias", 1)) {
        y = bias_add(x, y, 1, info.shape[1], 2);
        if (y == NULL) {
            return x->err->code;
        }
    }
    return activation(x, "activation", y, 1, out);
}

/* ---- recurrent layers ------------------------------------------------------------------ */

/* ONNX's name of a DL4J activation that its recurrent operators apply. */
static const char *rnn_act(const char *f) {
    static const char *const map[][2] = {{"TanH", "Tanh"},         {"Sigmoid", "Sigmoid"},
                                         {"ReLU", "Relu"},         {"SoftSign", "Softsign"},
                                         {"SoftPlus", "Softplus"}, {"HardSigmoid", "HardSigmoid"}};
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
        if (strcmp(f, map[k][0]) == 0) {
            return map[k][1];
        }
    }
    return NULL;
}

typedef struct rnn_w {
    double *w, *r, *b, *p; /* ONNX layouts, for all directions */
} rnn_w;

/* Converts one direction's DL4J parameters (prefix "" or "f"/"b") into
   direction @p d of the ONNX tensors.  LSTM: DL4J's gate blocks are
   [block input, forget, output, input gate], ONNX's [i, o, f, c]. */
static int rnn_dir(ox *x, const char *pre, int lstm, int graves, int64_t nin, int64_t h, int d,
                   rnn_w *o) {
    dlz_param_info iw, ir, ib;
    char k1[8], k2[8], k3[8];
    snprintf(k1, sizeof k1, "%sW", pre);
    snprintf(k2, sizeof k2, "%sRW", pre);
    snprintf(k3, sizeof k3, "%sb", pre);
    const double *w = param(x, k1, &iw), *r = w != NULL ? param(x, k2, &ir) : NULL,
                 *b = r != NULL ? param(x, k3, &ib) : NULL;
    if (b == NULL) {
        return x->err->code;
    }
    int64_t g = lstm ? 4 : 1, rc = g * h + (graves ? 3 : 0);
    if (iw.length != nin * g * h || ir.length != h * rc || ib.length != g * h) {
        return unsupported(x, "recurrent weights of unexpected sizes");
    }
    static const int dl[4] = {3, 2, 1, 0}; /* ONNX block -> DL4J block */
    for (int64_t blk = 0; blk < g; blk++) {
        int64_t src = lstm ? dl[blk] : 0;
        for (int64_t u = 0; u < h; u++) {
            int64_t row = blk * h + u, col = src * h + u;
            for (int64_t i = 0; i < nin; i++) {
                o->w[(d * g * h + row) * nin + i] = w[i * g * h + col];
            }
            for (int64_t i = 0; i < h; i++) {
                o->r[(d * g * h + row) * h + i] = r[i * rc + col];
            }
            o->b[d * 2 * g * h + row] = b[col];
            o->b[d * 2 * g * h + g * h + row] = 0.0;
        }
    }
    if (graves) {
        /* peepholes: RW columns 4h (forget), 4h+1 (output), 4h+2 (input);
           ONNX P is [i, o, f] */
        for (int64_t u = 0; u < h; u++) {
            o->p[d * 3 * h + u] = r[u * rc + 4 * h + 2];
            o->p[d * 3 * h + h + u] = r[u * rc + 4 * h + 1];
            o->p[d * 3 * h + 2 * h + u] = r[u * rc + 4 * h];
        }
    }
    return DLZ_OK;
}

static int rnn(ox *x, const char *in, const char **out) {
    const char *base = x->nd.base_type;
    int lstm = strcmp(base, "LSTM") == 0 || strcmp(base, "GravesLSTM") == 0;
    int graves = strcmp(base, "GravesLSTM") == 0;
    int rc = check_attrs(x, lstm ? COMMON "activation forget_gate_bias gate_activation n_in n_out "
                                          "data_format bidirectional_mode last_time_step"
                                 : COMMON "activation layer_norm has_bias n_in n_out data_format "
                                          "bidirectional_mode last_time_step");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (ai(x, "layer_norm", 0)) {
        return unsupported(x, "layer normalisation is not supported by the ONNX export");
    }
    if (!ai(x, "has_bias", 1)) {
        return unsupported(x, "a SimpleRnn without bias is not supported by the ONNX export");
    }
    const char *mode = at(x, "bidirectional_mode", NULL);
    int dirs = mode != NULL ? 2 : 1;
    int64_t nin = ai(x, "n_in", -1), h = ai(x, "n_out", -1);
    if (nin <= 0 || h <= 0 || nin > 1000000 || h > 1000000) {
        return unsupported(x, "sizes n_in %" PRId64 ", n_out %" PRId64, nin, h);
    }
    const char *g = rnn_act(at(x, "activation", "TanH"));
    const char *f = lstm ? rnn_act(at(x, "gate_activation", "Sigmoid")) : NULL;
    if (g == NULL || (lstm && f == NULL)) {
        return unsupported(x, "activation %s is not supported in ONNX recurrent operators",
                           g == NULL ? at(x, "activation", "TanH") : at(x, "gate_activation", ""));
    }
    int hard = (f != NULL && strcmp(f, "HardSigmoid") == 0) || strcmp(g, "HardSigmoid") == 0;
    if (hard && (dirs == 2 || strcmp(g, "HardSigmoid") == 0)) {
        return unsupported(x, "hard sigmoid here is not supported by the ONNX export");
    }
    int64_t gs = lstm ? 4 : 1;
    rnn_w o;
    o.w = scratch(x, (size_t)(dirs * gs * h * nin));
    o.r = scratch(x, (size_t)(dirs * gs * h * h));
    o.b = scratch(x, (size_t)(dirs * 2 * gs * h));
    o.p = scratch(x, (size_t)(dirs * 3 * h));
    if (o.w == NULL || o.r == NULL || o.b == NULL || o.p == NULL) {
        return dlzi_err_set(x->err, DLZ_ENOMEM, "out of memory");
    }
    for (int d = 0; d < dirs; d++) {
        if ((rc = rnn_dir(x,
                          dirs == 1 ? ""
                          : d == 0  ? "f"
                                    : "b",
                          lstm, graves, nin, h, d, &o)) != DLZ_OK) {
            return rc;
        }
    }
    int ncw = strcmp(at(x, "data_format", "NCW"), "NCW") == 0;
    static const int64_t to_tnc_ncw[3] = {2, 0, 1}, to_tnc_nwc[3] = {1, 0, 2};
    const char *xin = transpose(x, in, ncw ? to_tnc_ncw : to_tnc_nwc, 3);
    int64_t wd[3] = {dirs, gs * h, nin}, rd[3] = {dirs, gs * h, h}, bd[2] = {dirs, 2 * gs * h},
            pd[2] = {dirs, 3 * h};
    const char *rin[8] = {xin,
                          init_real(x, "W", 3, wd, o.w, (size_t)(dirs * gs * h * nin)),
                          init_real(x, "R", 3, rd, o.r, (size_t)(dirs * gs * h * h)),
                          init_real(x, "B", 2, bd, o.b, (size_t)(dirs * 2 * gs * h)),
                          "",
                          "",
                          "",
                          graves ? init_real(x, "P", 2, pd, o.p, (size_t)(dirs * 3 * h)) : ""};
    dlzi_pb a = {0};
    a_int(&a, "hidden_size", h);
    a_str(&a, "direction", dirs == 2 ? "bidirectional" : "forward");
    const char *acts[6] = {f, g, g, f, g, g};
    if (lstm) {
        a_strs(&a, "activations", acts, (size_t)(3 * dirs));
        if (hard) {
            /* only the gates (the first activation) are hard sigmoids */
            float al = 0.2f, be = 0.5f;
            dlzi_pb m = {0};
            dlzi_pb_str(&m, 1, "activation_alpha");
            dlzi_pb_int(&m, 20, A_FLOATS);
            dlzi_pb_floats(&m, 7, &al, 1);
            dlzi_pb_msg(&a, 5, &m);
            dlzi_pb_free(&m);
            dlzi_pb_str(&m, 1, "activation_beta");
            dlzi_pb_int(&m, 20, A_FLOATS);
            dlzi_pb_floats(&m, 7, &be, 1);
            dlzi_pb_msg(&a, 5, &m);
            dlzi_pb_free(&m);
        }
    } else {
        const char *sa[2] = {g, g};
        a_strs(&a, "activations", sa, (size_t)dirs);
    }
    const char *y = tmp(x, lstm ? "LSTM" : "RNN");
    node(x, lstm ? "LSTM" : "RNN", rin, graves ? 8 : 4, y, &a);
    /* Y: [T, D, N, H] */
    static const int64_t ncw_perm[4] = {2, 1, 3, 0}, nwc_perm[4] = {2, 0, 1, 3};
    y = transpose(x, y, ncw ? ncw_perm : nwc_perm, 4); /* [N,D,H,T] or [N,T,D,H] */
    int64_t axis = ncw ? 1 : 2;
    if (dirs == 1 || strcmp(mode, "CONCAT") == 0) {
        int64_t s3[3] = {0, dirs * h, -1}, s3w[3] = {0, 0, dirs * h};
        y = reshape(x, y, ncw ? s3 : s3w, 3);
    } else {
        dlzi_pb ra = {0};
        a_int(&ra, "keepdims", 0);
        if (strcmp(mode, "ADD") == 0) {
            const char *sin[2] = {y, init_i64(x, "axes", &axis, 1)};
            const char *s = tmp(x, "ReduceSum");
            node(x, "ReduceSum", sin, 2, s, &ra);
            y = s;
        } else if (strcmp(mode, "MUL") == 0 || strcmp(mode, "AVERAGE") == 0) {
            a_ints(&ra, "axes", &axis, 1);
            y = op1(x, strcmp(mode, "MUL") == 0 ? "ReduceProd" : "ReduceMean", y, &ra);
        } else {
            dlzi_pb_free(&ra);
            return unsupported(x, "bidirectional mode %s", mode);
        }
    }
    if (ai(x, "last_time_step", 0)) {
        static const int64_t last[1] = {-1}, flat2[2] = {0, -1};
        dlzi_pb ga = {0};
        a_int(&ga, "axis", ncw ? 2 : 1);
        const char *gin[2] = {y, init_i64(x, "last", last, 1)};
        const char *s = tmp(x, "Gather");
        node(x, "Gather", gin, 2, s, &ga);
        y = reshape(x, s, flat2, 2);
    }
    *out = y;
    return DLZ_OK;
}

/* ZeroPadding, Cropping and Upsampling in 2-D. */
static int reshape2d(ox *x, const char *in, const char **out) {
    const char *b = x->nd.base_type;
    int last = is_nhwc(at(x, "data_format", "NCHW"));
    int64_t h = last ? 1 : 2, w = h + 1;
    int64_t v[4];
    int rc;
    if (strcmp(b, "ZeroPaddingLayer") == 0) {
        if ((rc = check_attrs(x, "data_format padding")) != DLZ_OK ||
            (rc = aints(x, "padding", v, 4, 0)) != DLZ_OK) {
            return rc;
        }
        int64_t pads[8] = {0};
        pads[h] = v[0];
        pads[4 + h] = v[1];
        pads[w] = v[2];
        pads[4 + w] = v[3];
        *out = op2(x, "Pad", in, init_i64(x, "pads", pads, 8));
        return DLZ_OK;
    }
    if (strcmp(b, "Cropping2D") == 0) {
        if ((rc = check_attrs(x, "data_format cropping")) != DLZ_OK ||
            (rc = aints(x, "cropping", v, 4, 0)) != DLZ_OK) {
            return rc;
        }
        int64_t starts[2] = {v[0], v[2]},
                ends[2] = {v[1] > 0 ? -v[1] : INT64_MAX, v[3] > 0 ? -v[3] : INT64_MAX},
                axes[2] = {h, w};
        const char *sin[4] = {in, init_i64(x, "starts", starts, 2), init_i64(x, "ends", ends, 2),
                              init_i64(x, "axes", axes, 2)};
        *out = tmp(x, "Slice");
        node(x, "Slice", sin, 4, *out, NULL);
        return DLZ_OK;
    }
    if ((rc = check_attrs(x, "data_format size")) != DLZ_OK ||
        (rc = aints(x, "size", v, 2, 1)) != DLZ_OK) {
        return rc;
    }
    /* repetition: nearest neighbour at x / size, rounded down */
    double scales[4] = {1, 1, 1, 1};
    scales[h] = (double)v[0];
    scales[w] = (double)v[1];
    int64_t four = 4;
    int elem = x->elem;
    x->elem = T_FLOAT; /* scales are always float */
    const char *sc = init_real(x, "scales", 1, &four, scales, 4);
    x->elem = elem;
    const char *rin[3] = {in, "", sc};
    dlzi_pb a = {0};
    a_str(&a, "mode", "nearest");
    a_str(&a, "coordinate_transformation_mode", "asymmetric");
    a_str(&a, "nearest_mode", "floor");
    *out = tmp(x, "Resize");
    node(x, "Resize", rin, 3, *out, &a);
    return DLZ_OK;
}

/* ---- graph vertices and preprocessors ----------------------------------------------- */

static int vertex(ox *x, const char *const *in, size_t nin, const char **out) {
    const char *b = x->nd.base_type;
    int rc;
    if (strcmp(b, "MergeVertex") == 0) {
        if ((rc = check_attrs(x, "merge_axis")) != DLZ_OK) {
            return rc;
        }
        dlzi_pb a = {0};
        a_int(&a, "axis", ai(x, "merge_axis", 1));
        *out = tmp(x, "Concat");
        node(x, "Concat", in, nin, *out, &a);
        return DLZ_OK;
    }
    if (strcmp(b, "ElementWiseVertex") == 0) {
        if ((rc = check_attrs(x, "op")) != DLZ_OK) {
            return rc;
        }
        const char *op = at(x, "op", "Add");
        const char *o = strcmp(op, "Add") == 0        ? "Sum"
                        : strcmp(op, "Product") == 0  ? "Mul"
                        : strcmp(op, "Subtract") == 0 ? "Sub"
                        : strcmp(op, "Average") == 0  ? "Mean"
                        : strcmp(op, "Max") == 0      ? "Max"
                                                      : NULL;
        if (o == NULL || (strcmp(o, "Sub") == 0 && nin != 2) ||
            (strcmp(o, "Mul") == 0 && nin != 2)) {
            return unsupported(x, "element-wise %s of %zu inputs", op, nin);
        }
        *out = tmp(x, o);
        node(x, o, in, nin, *out, NULL);
        return DLZ_OK;
    }
    if (strcmp(b, "SubsetVertex") == 0) {
        if ((rc = check_attrs(x, "from to")) != DLZ_OK) {
            return rc;
        }
        int64_t from = ai(x, "from", 0), to = ai(x, "to", 0) + 1, one = 1;
        const char *sin[4] = {in[0], init_i64(x, "starts", &from, 1), init_i64(x, "ends", &to, 1),
                              init_i64(x, "axes", &one, 1)};
        *out = tmp(x, "Slice");
        node(x, "Slice", sin, 4, *out, NULL);
        return DLZ_OK;
    }
    return unsupported(x, "vertex %s is not supported by the ONNX export", b);
}

/* The input preprocessor of the current node applied to @p in of format
 *fmt (updated). */
static int preprocess(ox *x, const char **in, const char **fmt) {
    const char *p = x->nd.preprocessor;
    if (p == NULL) {
        return DLZ_OK;
    }
    if (strcmp(p, "CnnToFeedForwardPreProcessor") == 0) {
        if (strcmp(at(x, "preprocessor.format", "NCHW"), "NCHW") != 0) {
            return unsupported(x, "%s of a %s input is not supported by the ONNX export", p,
                               at(x, "preprocessor.format", ""));
        }
        if (strcmp(*fmt, "FF") != 0) {
            dlzi_pb a = {0};
            a_int(&a, "axis", 1);
            *in = op1(x, "Flatten", *in, &a);
        }
        *fmt = "FF";
        return DLZ_OK;
    }
    if (strcmp(p, "RnnToFeedForwardPreProcessor") == 0) {
        if (strcmp(*fmt, "FF") == 0) {
            return DLZ_OK; /* DL4J passes a rank-2 input on */
        }
        /* DL4J: permute to [N,T,C], reshape 'f' to [N*T, C]: time major */
        int ncw = strcmp(at(x, "preprocessor.rnnDataFormat", "NCW"), "NCW") == 0;
        static const int64_t ncw_perm[3] = {2, 0, 1}, nwc_perm[3] = {1, 0, 2}, flat[2] = {-1, 0};
        int64_t f2[2] = {flat[0], ai(x, "n_in", -1)};
        if (f2[1] <= 0) {
            return unsupported(x, "%s without n_in", p);
        }
        *in = reshape(x, transpose(x, *in, ncw ? ncw_perm : nwc_perm, 3), f2, 2);
        *fmt = "FF";
        return DLZ_OK;
    }
    if (strcmp(p, "FeedForwardToCnnPreProcessor") == 0 &&
        strcmp(at(x, "preprocessor.format", "NCHW"), "NCHW") == 0) {
        int64_t s[4] = {-1, ai(x, "preprocessor.numChannels", -1),
                        ai(x, "preprocessor.inputHeight", -1),
                        ai(x, "preprocessor.inputWidth", -1)};
        if (s[1] <= 0 || s[2] <= 0 || s[3] <= 0) {
            return unsupported(x, "%s without sizes", p);
        }
        *in = reshape(x, *in, s, 4);
        *fmt = "NCHW";
        return DLZ_OK;
    }
    return unsupported(x, "preprocessor %s is not supported by the ONNX export", p);
}

/* ---- the graph ---------------------------------------------------------------------------- */

static int translate(ox *x, const char *const *in, const char *const *fmts, const char **out,
                     const char **ofmt) {
    const char *b = x->nd.base_type, *t = in[0], *fmt = fmts[0];
    int rc;
    if (!x->nd.known) {
        return unsupported(x, "class %s is not known", x->nd.class_name);
    }
    if (x->nd.input_count != 1 && strstr(b, "Vertex") == NULL) {
        return unsupported(x, "a layer of %zu inputs", x->nd.input_count);
    }
    if ((rc = preprocess(x, &t, &fmt)) != DLZ_OK) {
        return rc;
    }
    *ofmt = x->nd.out_shape.format != NULL ? x->nd.out_shape.format : fmt;
    if (strcmp(b, "DenseLayer") == 0 || strcmp(b, "OutputLayer") == 0) {
        if (strcmp(fmt, "FF") != 0) {
            return unsupported(x, "a %s input (feed-forward expected)", fmt);
        }
        return dense(x, t, out);
    }
    if (strcmp(b, "RnnOutputLayer") == 0) {
        return rnn_output(x, t, out);
    }
    if (strcmp(b, "LossLayer") == 0 || strcmp(b, "ActivationLayer") == 0 ||
        strcmp(b, "CnnLossLayer") == 0) {
        *ofmt = fmt;
        return act_layer(x, t, fmt, out);
    }
    if (strcmp(b, "DropoutLayer") == 0) {
        /* DL4J's DropoutLayer applies only its dropout: identity at inference */
        *ofmt = fmt;
        rc = check_attrs(x, COMMON "activation activation. n_in n_out");
        *out = rc == DLZ_OK ? op1(x, "Identity", t, NULL) : NULL;
        return rc;
    }
    if (strcmp(b, "ConvolutionLayer") == 0 || strcmp(b, "Convolution2D") == 0) {
        return conv(x, t, 2, out);
    }
    if (strcmp(b, "Convolution1DLayer") == 0 || strcmp(b, "Convolution1D") == 0) {
        return conv(x, t, 1, out);
    }
    if (strcmp(b, "SubsamplingLayer") == 0) {
        return pool(x, t, 2, out);
    }
    if (strcmp(b, "Subsampling1DLayer") == 0) {
        return pool(x, t, 1, out);
    }
    if (strcmp(b, "BatchNormalization") == 0) {
        *ofmt = fmt;
        return batchnorm(x, t, fmt, out);
    }
    if (strcmp(b, "ZeroPaddingLayer") == 0 || strcmp(b, "Cropping2D") == 0 ||
        strcmp(b, "Upsampling2D") == 0) {
        return reshape2d(x, t, out);
    }
    if (strcmp(b, "GlobalPoolingLayer") == 0) {
        return global_pool(x, t, fmt, out);
    }
    if (strcmp(b, "EmbeddingLayer") == 0) {
        return embedding(x, t, out);
    }
    if (strcmp(b, "LSTM") == 0 || strcmp(b, "GravesLSTM") == 0 || strcmp(b, "SimpleRnn") == 0) {
        return rnn(x, t, out);
    }
    if (strstr(b, "Vertex") != NULL) {
        *ofmt = fmt;
        return vertex(x, in, x->nd.input_count, out);
    }
    return unsupported(x, "layer type %s is not supported by the ONNX export", b);
}

/* The format the network input @p name has: what its first reader expects
   before its preprocessor. */
static const char *input_format(ox *x, const char *name, dlz_net_shape *shape) {
    size_t n = dlz_network_node_count(x->net);
    memset(shape, 0, sizeof *shape);
    for (size_t i = 0; i < n; i++) {
        dlz_net_node nd;
        if (dlz_network_node(x->net, i, &nd) != DLZ_OK) {
            continue;
        }
        for (size_t k = 0; k < nd.input_count; k++) {
            if (strcmp(nd.inputs[k], name) != 0) {
                continue;
            }
            const char *p = nd.preprocessor;
            if (strcmp(nd.base_type, "EmbeddingLayer") == 0) {
                /* a column of indices */
                shape->rank = 2;
                shape->dims[0] = -1;
                shape->dims[1] = 1;
                shape->format = "FF";
                return "FF";
            }
            if (p == NULL && nd.in_shape.rank == 0) {
                /* nothing known: DL4J's default, feed-forward */
                shape->rank = 2;
                shape->dims[0] = shape->dims[1] = -1;
                shape->format = "FF";
                return "FF";
            }
            if (p == NULL) {
                *shape = nd.in_shape;
                return nd.in_shape.format != NULL ? nd.in_shape.format : "FF";
            }
            const char *f = strncmp(p, "CnnTo", 5) == 0   ? "NCHW"
                            : strncmp(p, "RnnTo", 5) == 0 ? "NCW"
                                                          : "FF";
            shape->rank = strcmp(f, "NCHW") == 0 ? 4 : strcmp(f, "NCW") == 0 ? 3 : 2;
            for (int d = 0; d < shape->rank; d++) {
                shape->dims[d] = -1;
            }
            shape->format = f;
            return f;
        }
    }
    return "FF";
}

static int tensor_of(ox *x, const char *name, const char *const *fmts, const char **t,
                     const char **f) {
    size_t n = dlz_network_node_count(x->net);
    for (size_t i = 0; i < dlz_network_input_count(x->net); i++) {
        if (strcmp(dlz_network_input(x->net, i), name) == 0) {
            *t = name;
            *f = fmts[n + i];
            return DLZ_OK;
        }
    }
    for (size_t i = 0; i < n; i++) {
        dlz_net_node nd;
        if (dlz_network_node(x->net, i, &nd) == DLZ_OK && strcmp(nd.name, name) == 0 &&
            x->out[i] != NULL) {
            *t = x->out[i];
            *f = fmts[i];
            return DLZ_OK;
        }
    }
    return dlzi_err_set(x->err, DLZ_EFORMAT, "ONNX export: input '%s' of layer '%s' not found",
                        name, x->nd.name);
}

static int build_graph(ox *x) {
    size_t n = dlz_network_node_count(x->net), ni = dlz_network_input_count(x->net);
    const char **fmts = keep(x, dlzi_calloc(n + ni + 1, sizeof *fmts));
    x->out = keep(x, dlzi_calloc(n + 1, sizeof *x->out));
    if (fmts == NULL || x->out == NULL) {
        return dlzi_err_set(x->err, DLZ_ENOMEM, "out of memory");
    }
    dlzi_pb_str(&x->g, 2, "dl4j");
    for (size_t i = 0; i < ni; i++) {
        dlz_net_shape s;
        const char *name = dlz_network_input(x->net, i);
        fmts[n + i] = input_format(x, name, &s);
        value_info(x, 11, name, &s);
    }
    for (size_t i = 0; i < n; i++) {
        x->i = i;
        if (dlz_network_node(x->net, i, &x->nd) != DLZ_OK) {
            return dlzi_err_set(x->err, DLZ_EFORMAT, "ONNX export: node %zu", i);
        }
        const char *in[64], *inf[64];
        if (x->nd.input_count == 0 || x->nd.input_count > 64) {
            return unsupported(x, "%zu inputs", x->nd.input_count);
        }
        for (size_t k = 0; k < x->nd.input_count; k++) {
            int rc = tensor_of(x, x->nd.inputs[k], fmts, &in[k], &inf[k]);
            if (rc != DLZ_OK) {
                return rc;
            }
        }
        const char *ofmt = "FF";
        int rc = translate(x, in, inf, &x->out[i], &ofmt);
        if (rc != DLZ_OK) {
            return rc;
        }
        if (x->out[i] == NULL) {
            return x->err->code != DLZ_OK ? x->err->code
                                          : dlzi_err_set(x->err, DLZ_ENOMEM, "out of memory");
        }
        fmts[i] = ofmt;
    }
    for (size_t k = 0; k < dlz_network_output_count(x->net); k++) {
        const char *name = dlz_network_output(x->net, k), *t, *f;
        int rc = tensor_of(x, name, fmts, &t, &f);
        if (rc != DLZ_OK) {
            return rc;
        }
        const char *oname = dlz_network_kind(x->net) == DLZ_KIND_MULTILAYER ? "output" : name;
        node(x, "Identity", &t, 1, oname, NULL);
        dlz_net_shape s = {0};
        for (size_t i = 0; i < n; i++) {
            dlz_net_node nd;
            if (dlz_network_node(x->net, i, &nd) == DLZ_OK && strcmp(nd.name, name) == 0) {
                s = nd.out_shape;
            }
        }
        if (s.rank == 0) {
            /* sizes unknown: the rank of the format */
            s.rank = strcmp(f, "FF") == 0 ? 2 : strlen(f) == 3 ? 3 : strlen(f) == 4 ? 4 : 5;
            for (int d = 0; d < s.rank; d++) {
                s.dims[d] = -1;
            }
        }
        value_info(x, 12, oname, &s);
    }
    return DLZ_OK;
}

int dlzi_onnx_model(dlz_reader *r, dlzi_pb *model, dlzi_err *err) {
    ox x;
    memset(&x, 0, sizeof x);
    x.err = err;
    memset(model, 0, sizeof *model);
    int rc = dlz_reader_read_network(r, &x.net);
    if (rc == DLZ_OK) {
        rc = dlz_reader_read_params(r, 0, &x.p);
    }
    if (rc == DLZ_OK) {
        rc = dlz_reader_read_coefficients(r, &x.coef);
    }
    if (rc != DLZ_OK) {
        dlzi_err_set(err, rc, "%s", dlz_reader_errmsg(r));
    } else if (x.coef != NULL && (rc = dlz_params_check(x.p, x.coef)) != DLZ_OK) {
        dlzi_err_set(err, rc, "%s", dlz_params_errmsg(x.p));
    }
    if (rc == DLZ_OK) {
        x.dtype = x.coef != NULL ? dlz_array_dtype(x.coef) : DLZ_DTYPE_FLOAT;
        if (x.dtype != DLZ_DTYPE_FLOAT && x.dtype != DLZ_DTYPE_DOUBLE) {
            rc = dlzi_err_set(err, DLZ_EUNSUPPORTED,
                              "ONNX export: parameters of type %s; only FLOAT and DOUBLE models "
                              "are exported",
                              dlz_dtype_name(x.dtype));
        }
        x.elem = x.dtype == DLZ_DTYPE_DOUBLE ? T_DOUBLE : T_FLOAT;
    }
    if (rc == DLZ_OK) {
        rc = build_graph(&x);
    }
    if (rc == DLZ_OK && dlzi_pb_failed(&x.g)) {
        rc = dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    if (rc == DLZ_OK) {
        dlzi_pb opset = {0};
        dlzi_pb_str(&opset, 1, "");
        dlzi_pb_int(&opset, 2, ONNX_OPSET);
        dlzi_pb_int(model, 1, ONNX_IR_VERSION);
        dlzi_pb_str(model, 2, "dlz");
        dlzi_pb_str(model, 3, DLZ_VERSION_STRING);
        dlzi_pb_msg(model, 7, &x.g);
        dlzi_pb_msg(model, 8, &opset);
        dlzi_pb_free(&opset);
        if (dlzi_pb_failed(model)) {
            rc = dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
        }
    }
    if (rc != DLZ_OK) {
        dlzi_pb_free(model);
    }
    dlzi_pb_free(&x.g);
    for (size_t k = 0; k < x.narena; k++) {
        dlzi_free(x.arena[k]);
    }
    dlzi_free(x.arena);
    dlz_array_free(x.coef);
    dlz_params_free(x.p);
    dlz_network_free(x.net);
    return rc;
}
