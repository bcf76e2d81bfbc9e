/* params.c - the parameter table: configuration.json (every DL4J generation,
 * MultiLayerNetwork and ComputationGraph) to named slices of the flat
 * coefficients vector, and the layout of the updater state.
 *
 * Layouts follow DL4J's ParamInitializer classes; the graph order follows
 * ComputationGraph.calculateIndices(), including the iteration order of the
 * Java HashMap/HashSet it uses; updater blocks follow BaseMultiLayerUpdater
 * and UpdaterUtils.updaterConfigurationsEquals().  See the header and
 * FORMAT.md section E. */
/* See dlz-format(5), section CONFIGURATION. */
#include "internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Updaters                                                                  */

typedef struct updater_kind {
    const char *name;   /* nd4j config class simple name */
    const char *legacy; /* 0.x enum name, or NULL */
    int states;
    const char *state_names[3];
} updater_kind;

static const updater_kind updater_kinds[] = {
    {"Sgd", "SGD", 0, {NULL, NULL, NULL}},
    {"NoOp", "NONE", 0, {NULL, NULL, NULL}},
    {"Nesterovs", "NESTEROVS", 1, {"v", NULL, NULL}},
    {"RmsProp", "RMSPROP", 1, {"lastGradient", NULL, NULL}},
    {"AdaGrad", "ADAGRAD", 1, {"historicalGradient", NULL, NULL}},
    {"Adam", "ADAM", 2, {"m", "v", NULL}},
    {"Nadam", "NADAM", 2, {"m", "v", NULL}},
    {"AdaMax", "ADAMAX", 2, {"m", "u", NULL}},
    {"AdaDelta", "ADADELTA", 2, {"msg", "msdx", NULL}},
    {"AdaBelief", NULL, 2, {"m", "s", NULL}},
    {"AMSGrad", NULL, 3, {"m", "v", "vHat"}},
};
#define N_UPDATER_KINDS (sizeof updater_kinds / sizeof *updater_kinds)
#define UPD_NOOP 1 /* index of NoOp above */

/* How a parameter's updater configuration was given. */
enum { U_UNKNOWN = 0, U_MODERN, U_LEGACY, U_NOOP };

/* ------------------------------------------------------------------------ */
/* The handle                                                                */

typedef struct pparam {
    char *name; /* "<layer>/<key>" */
    char *key;  /* points into name */
    size_t layer;
    int rank;
    int64_t shape[DLZ_MAX_RANK];
    char order;
    int64_t offset, length;
    /* updater */
    int is_bias, pretrain;
    int ukind;          /* U_* */
    int utype;          /* index into updater_kinds, -1 if unknown */
    const json_t *ucfg; /* U_MODERN: the configuration (valid while parsing) */
    size_t block;       /* updater block holding the parameter */
    char umsg[200];     /* why the updater is unknown */
    int ucode;          /* DLZ_EUNSUPPORTED / DLZ_EFORMAT when unknown */
    int assumed;        /* laid out by DLZ_PARAMS_ASSUME_DENSE */
} pparam;

typedef struct player {
    char *name;
    char *layer_name;
    int64_t index;
    char *type;
    char *class_name;
    size_t first_param, param_count;
    int64_t offset, length;
    int assumed; /* holds a layer laid out by DLZ_PARAMS_ASSUME_DENSE */
} player;

typedef struct pblock {
    int utype;
    size_t first_param, param_count;
    int64_t param_offset, param_length;
    int64_t state_offset;
} pblock;

struct dlz_params {
    dlz_kind kind;
    player *layers;
    size_t nlayers, cap_layers;
    pparam *params;
    size_t nparams, cap_params;
    int64_t total;
    pblock *blocks;
    size_t nblocks;
    int64_t updater_total; /* -1: unknown */
    int updater_code;
    char updater_msg[640];
    dlzi_err err;
};

/* ------------------------------------------------------------------------ */
/* Parsing context                                                           */

#define MAX_WRAP_DEPTH 8

typedef struct bctx {
    dlz_params *p;
    dlzi_err *err;
    unsigned flags;  /* DLZ_PARAMS_* */
    char where[160]; /* "layer 1 'dense'" or "vertex 'dense1'" */
    int64_t cursor;  /* next flat offset */
} bctx;

/* Where the updater configuration of the parameters being added comes from. */
typedef struct usrc {
    const json_t *conf; /* layer fields holding iupdater/biasUpdater/updater */
    int frozen;         /* every parameter uses NoOp */
} usrc;

/* A layer object resolved: its Java class (or legacy name), fields and type. */
typedef struct ulayer {
    const char *cls;    /* "@class" value or legacy wrapper key */
    const char *simple; /* simple class name ("DenseLayer") or NULL when unknown */
    const json_t *f;    /* the fields */
} ulayer;

static int fail(bctx *c, int code, const char *fmt, ...) DLZI_PRINTF(3, 4);

static int fail(bctx *c, int code, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlzi_err_set(c->err, code, "configuration.json: %s", msg);
}

static int oom(bctx *c) {
    return dlzi_err_set(c->err, DLZ_ENOMEM, "out of memory");
}

static int mul64(int64_t a, int64_t b, int64_t *r) {
    if (a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a)) {
        return -1;
    }
    *r = a * b;
    return 0;
}

static int add64(int64_t a, int64_t b, int64_t *r) {
    if (a < 0 || b < 0 || a > INT64_MAX - b) {
        return -1;
    }
    *r = a + b;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* JSON helpers                                                              */

/* A non-negative integer field; absent or null gives DLZ_ENOTFOUND (no message). */
static int opt_int(bctx *c, const char *what, const json_t *obj, const char *key, int64_t *v) {
    const json_t *j = json_object_get(obj, key);
    if (j == NULL || json_is_null(j)) {
        return DLZ_ENOTFOUND;
    }
    if (!json_is_integer(j)) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' is not an integer", c->where, what, key);
    }
    json_int_t x = json_integer_value(j);
    if (x < 0) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' is negative (%" PRId64 ")", c->where, what, key,
                    (int64_t)x);
    }
    *v = (int64_t)x;
    return DLZ_OK;
}

static int req_int(bctx *c, const char *what, const json_t *obj, const char *key, int64_t *v) {
    int rc = opt_int(c, what, obj, key, v);
    if (rc == DLZ_ENOTFOUND) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' is missing", c->where, what, key);
    }
    return rc;
}

/* A size under either of two keys ("nin" in every version, "nIn" accepted). */
static int get_dim(bctx *c, const char *what, const json_t *f, const char *k1, const char *k2,
                   int64_t *v) {
    int rc = opt_int(c, what, f, k1, v);
    if (rc == DLZ_ENOTFOUND) {
        rc = opt_int(c, what, f, k2, v);
    }
    if (rc == DLZ_ENOTFOUND) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' is missing", c->where, what, k1);
    }
    return rc;
}

static int get_nin_nout(bctx *c, const char *what, const json_t *f, int64_t *nin, int64_t *nout) {
    int rc = get_dim(c, what, f, "nin", "nIn", nin);
    return rc != DLZ_OK ? rc : get_dim(c, what, f, "nout", "nOut", nout);
}

/* A boolean field with a default for absent/null. */
static int get_bool(bctx *c, const char *what, const json_t *obj, const char *key, int dflt,
                    int *v) {
    const json_t *j = json_object_get(obj, key);
    if (j == NULL || json_is_null(j)) {
        *v = dflt;
        return DLZ_OK;
    }
    if (!json_is_boolean(j)) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' is not a boolean", c->where, what, key);
    }
    *v = json_is_true(j);
    return DLZ_OK;
}

/* An array of non-negative integers with min..max elements. */
static int get_int_array(bctx *c, const char *what, const json_t *obj, const char *key, size_t min,
                         size_t max, int64_t *out, size_t *n) {
    const json_t *j = json_object_get(obj, key);
    if (j == NULL || json_is_null(j)) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' is missing", c->where, what, key);
    }
    if (!json_is_array(j)) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' is not an array", c->where, what, key);
    }
    size_t len = json_array_size(j);
    if (len < min || len > max) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' has %zu elements, expected %zu..%zu", c->where,
                    what, key, len, min, max);
    }
    for (size_t i = 0; i < len; i++) {
        const json_t *e = json_array_get(j, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            return fail(c, DLZ_EFORMAT, "%s (%s): '%s'[%zu] is not a non-negative integer",
                        c->where, what, key, i);
        }
        out[i] = (int64_t)json_integer_value(e);
    }
    *n = len;
    return DLZ_OK;
}

static const char *simple_name(const char *cls) {
    const char *dot = strrchr(cls, '.');
    return dot != NULL ? dot + 1 : cls;
}

/* ------------------------------------------------------------------------ */
/* Layer types                                                               */

enum {
    K_NONE = 0, /* no parameters */
    K_DEFAULT,  /* W [nIn,nOut] f, b, g (Dense with hasLayerNorm) */
    K_PRETRAIN, /* W, b, vb (AutoEncoder, RBM) */
    K_CENTERLOSS,
    K_CONV,     /* b, W [nOut,nIn,k...] c */
    K_DECONV2D, /* b, W [nIn,nOut,kH,kW] c */
    K_DECONV3D, /* b, W [kD,kH,kW,nOut,nIn] c */
    K_DEPTHWISE,
    K_SEPARABLE,
    K_BATCHNORM,
    K_LSTM,
    K_GRAVESLSTM,
    K_GRAVESBILSTM,
    K_SIMPLERNN,
    K_BIDIRECTIONAL,
    K_WRAPPER,  /* LastTimeStep, TimeDistributed, MaskZeroLayer: "underlying" */
    K_FROZEN,   /* FrozenLayer: "layer" */
    K_FROZENBP, /* FrozenLayerWithBackprop: "underlying" */
    K_VAE,
    K_PRELU,
    K_ELEMENTWISE
};

typedef struct layer_kind {
    const char *simple;
    int kind;
} layer_kind;

/* Layer classes of org.deeplearning4j.nn.conf.layers (and subpackages). */
static const layer_kind layer_kinds[] = {
    {"DenseLayer", K_DEFAULT},
    {"OutputLayer", K_DEFAULT},
    {"RnnOutputLayer", K_DEFAULT},
    {"EmbeddingLayer", K_DEFAULT},
    {"EmbeddingSequenceLayer", K_DEFAULT},
    {"CenterLossOutputLayer", K_CENTERLOSS},
    {"AutoEncoder", K_PRETRAIN},
    {"RBM", K_PRETRAIN},
    {"ConvolutionLayer", K_CONV},
    {"Convolution1DLayer", K_CONV},
    {"Convolution1D", K_CONV},
    {"Convolution2D", K_CONV},
    {"Convolution3D", K_CONV},
    {"Deconvolution2D", K_DECONV2D},
    {"Deconvolution3D", K_DECONV3D},
    {"DepthwiseConvolution2D", K_DEPTHWISE},
    {"SeparableConvolution2D", K_SEPARABLE},
    {"BatchNormalization", K_BATCHNORM},
    {"LSTM", K_LSTM},
    {"GravesLSTM", K_GRAVESLSTM},
    {"GravesBidirectionalLSTM", K_GRAVESBILSTM},
    {"SimpleRnn", K_SIMPLERNN},
    {"Bidirectional", K_BIDIRECTIONAL},
    {"LastTimeStep", K_WRAPPER},
    {"TimeDistributed", K_WRAPPER},
    {"MaskZeroLayer", K_WRAPPER},
    {"FrozenLayer", K_FROZEN},
    {"FrozenLayerWithBackprop", K_FROZENBP},
    {"VariationalAutoencoder", K_VAE},
    {"PReLULayer", K_PRELU},
    {"ElementWiseMultiplicationLayer", K_ELEMENTWISE},
    {"SubsamplingLayer", K_NONE},
    {"Subsampling1DLayer", K_NONE},
    {"Subsampling3DLayer", K_NONE},
    {"Pooling1D", K_NONE},
    {"Pooling2D", K_NONE},
    {"GlobalPoolingLayer", K_NONE},
    {"ZeroPaddingLayer", K_NONE},
    {"ZeroPadding1DLayer", K_NONE},
    {"ZeroPadding3DLayer", K_NONE},
    {"Cropping1D", K_NONE},
    {"Cropping2D", K_NONE},
    {"Cropping3D", K_NONE},
    {"Upsampling1D", K_NONE},
    {"Upsampling2D", K_NONE},
    {"Upsampling3D", K_NONE},
    {"ActivationLayer", K_NONE},
    {"DropoutLayer", K_NONE},
    {"LossLayer", K_NONE},
    {"RnnLossLayer", K_NONE},
    {"CnnLossLayer", K_NONE},
    {"Cnn3DLossLayer", K_NONE},
    {"LocalResponseNormalization", K_NONE},
    {"Yolo2OutputLayer", K_NONE},
    {"MaskLayer", K_NONE},
    {"SpaceToDepthLayer", K_NONE},
    {"SpaceToBatchLayer", K_NONE},
    {"RepeatVector", K_NONE},
    {"CapsuleStrengthLayer", K_NONE},
};

/* Legacy wrapper names (LegacyLayerDeserializer) -> class simple names. */
static const char *const legacy_names[][2] = {
    {"autoEncoder", "AutoEncoder"},
    {"RBM", "RBM"},
    {"convolution", "ConvolutionLayer"},
    {"convolution1d", "Convolution1DLayer"},
    {"gravesLSTM", "GravesLSTM"},
    {"LSTM", "LSTM"},
    {"gravesBidirectionalLSTM", "GravesBidirectionalLSTM"},
    {"output", "OutputLayer"},
    {"CenterLossOutputLayer", "CenterLossOutputLayer"},
    {"rnnoutput", "RnnOutputLayer"},
    {"loss", "LossLayer"},
    {"dense", "DenseLayer"},
    {"subsampling", "SubsamplingLayer"},
    {"subsampling1d", "Subsampling1DLayer"},
    {"batchNormalization", "BatchNormalization"},
    {"localResponseNormalization", "LocalResponseNormalization"},
    {"embedding", "EmbeddingLayer"},
    {"activation", "ActivationLayer"},
    {"VariationalAutoencoder", "VariationalAutoencoder"},
    {"dropout", "DropoutLayer"},
    {"GlobalPooling", "GlobalPoolingLayer"},
    {"zeroPadding", "ZeroPaddingLayer"},
    {"zeroPadding1d", "ZeroPadding1DLayer"},
    {"FrozenLayer", "FrozenLayer"},
    {"Upsampling2D", "Upsampling2D"},
    {"Yolo2OutputLayer", "Yolo2OutputLayer"},
    {"RnnLossLayer", "RnnLossLayer"},
    {"CnnLossLayer", "CnnLossLayer"},
    {"Bidirectional", "Bidirectional"},
    {"SimpleRnn", "SimpleRnn"},
    {"ElementWiseMult", "ElementWiseMultiplicationLayer"},
    {"MaskLayer", "MaskLayer"},
    {"MaskZeroLayer", "MaskZeroLayer"},
    {"Cropping1D", "Cropping1D"},
    {"Cropping2D", "Cropping2D"},
    {"LastTimeStep", "LastTimeStep"},
    {"SpaceToDepthLayer", "SpaceToDepthLayer"},
    {"SpaceToBatchLayer", "SpaceToBatchLayer"},
};

static int kind_of(const char *simple) {
    for (size_t i = 0; i < sizeof layer_kinds / sizeof *layer_kinds; i++) {
        if (strcmp(layer_kinds[i].simple, simple) == 0) {
            return layer_kinds[i].kind;
        }
    }
    return -1;
}

/* Resolves a layer object of either generation.  Unknown classes get
   simple = NULL (the caller reports them); malformed objects fail. */
static int unwrap_layer(bctx *c, const json_t *L, ulayer *u) {
    memset(u, 0, sizeof *u);
    if (!json_is_object(L)) {
        return fail(c, DLZ_EFORMAT, "%s: the layer is not a JSON object", c->where);
    }
    const json_t *cls = json_object_get(L, "@class");
    if (cls != NULL) {
        if (!json_is_string(cls)) {
            return fail(c, DLZ_EFORMAT, "%s: '@class' is not a string", c->where);
        }
        u->cls = json_string_value(cls);
        u->f = L;
        const char *prefix = "org.deeplearning4j.nn.conf.layers.";
        const char *s = simple_name(u->cls);
        if (strncmp(u->cls, prefix, strlen(prefix)) == 0 && kind_of(s) >= 0) {
            u->simple = s;
        }
        return DLZ_OK;
    }
    if (json_object_size(L) != 1) {
        return fail(c, DLZ_EFORMAT, "%s: the layer has neither '@class' nor a single type key",
                    c->where);
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)L, key, val) {
        u->cls = key;
        u->f = val;
    }
    if (!json_is_object(u->f)) {
        return fail(c, DLZ_EFORMAT, "%s: the fields of layer type '%s' are not a JSON object",
                    c->where, u->cls);
    }
    for (size_t i = 0; i < sizeof legacy_names / sizeof *legacy_names; i++) {
        if (strcmp(legacy_names[i][0], u->cls) == 0) {
            u->simple = legacy_names[i][1];
            break;
        }
    }
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* Table building                                                            */

static int grow(bctx *c, void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap) {
        return DLZ_OK;
    }
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / size) {
        return oom(c);
    }
    void *a = dlzi_realloc(*arr, ncap * size);
    if (a == NULL) {
        return oom(c);
    }
    *arr = a;
    *cap = ncap;
    return DLZ_OK;
}

static char *xstrdup(bctx *c, const char *s) {
    char *d = dlzi_strdup(s);
    if (d == NULL) {
        oom(c);
    }
    return d;
}

/* Finds the updater of a parameter, as Layer.getUpdaterByParam() does. */
static void resolve_updater(pparam *pp, const usrc *u, int noop) {
    pp->ukind = U_UNKNOWN;
    pp->utype = -1;
    pp->ucode = DLZ_OK;
    if (u->frozen || noop) {
        pp->ukind = U_NOOP;
        pp->utype = UPD_NOOP;
        return;
    }
    const json_t *iu = json_object_get(u->conf, "iupdater");
    if (pp->is_bias) {
        const json_t *bu = json_object_get(u->conf, "biasUpdater");
        if (json_is_object(bu)) {
            iu = bu;
        }
    }
    if (json_is_object(iu)) {
        const char *name = NULL;
        const json_t *cls = json_object_get(iu, "@class");
        if (json_is_string(cls)) {
            name = simple_name(json_string_value(cls));
        } else if (json_object_size(iu) == 1) {
            const char *key;
            const json_t *val;
            json_object_foreach((json_t *)iu, key, val) {
                name = key;
            }
        }
        if (name == NULL) {
            pp->ucode = DLZ_EFORMAT;
            snprintf(pp->umsg, sizeof pp->umsg, "its updater configuration has no '@class'");
            return;
        }
        for (size_t i = 0; i < N_UPDATER_KINDS; i++) {
            if (strcmp(updater_kinds[i].name, name) == 0) {
                pp->ukind = i == UPD_NOOP ? U_NOOP : U_MODERN;
                pp->utype = (int)i;
                pp->ucfg = iu;
                return;
            }
        }
        pp->ucode = DLZ_EUNSUPPORTED;
        snprintf(pp->umsg, sizeof pp->umsg, "updater '%.100s' is unknown", name);
        return;
    }
    const json_t *legacy = json_object_get(u->conf, "updater");
    if (json_is_string(legacy)) {
        const char *name = json_string_value(legacy);
        for (size_t i = 0; i < N_UPDATER_KINDS; i++) {
            if (updater_kinds[i].legacy != NULL && strcmp(updater_kinds[i].legacy, name) == 0) {
                pp->ukind = U_LEGACY;
                pp->utype = (int)i;
                return;
            }
        }
        pp->ucode = DLZ_EUNSUPPORTED;
        snprintf(pp->umsg, sizeof pp->umsg, "updater '%.100s' is unknown", name);
        return;
    }
    pp->ucode = DLZ_EFORMAT;
    snprintf(pp->umsg, sizeof pp->umsg, "no updater is configured ('iupdater' or 'updater')");
}

/* Parameter flags. */
#define PF_BIAS 0x1
#define PF_PRETRAIN 0x2
#define PF_NOOP 0x4

/* Appends a parameter at the cursor.  dims: rank sizes. */
static int add_param(bctx *c, size_t layer, const char *prefix, const char *key, const usrc *u,
                     unsigned flags, char order, int rank, const int64_t *dims) {
    dlz_params *p = c->p;
    int rc = grow(c, (void **)&p->params, &p->cap_params, p->nparams, sizeof *p->params);
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t len = 1;
    for (int k = 0; k < rank; k++) {
        if (mul64(len, dims[k], &len) != 0) {
            return fail(c, DLZ_EFORMAT, "%s: parameter %s%s: its size overflows", c->where, prefix,
                        key);
        }
    }
    int64_t end;
    if (add64(c->cursor, len, &end) != 0) {
        return fail(c, DLZ_EFORMAT, "%s: parameter %s%s: the total size overflows", c->where,
                    prefix, key);
    }
    const char *lname = p->layers[layer].name;
    size_t n = strlen(lname) + 1 + strlen(prefix) + strlen(key) + 1;
    char *name = dlzi_malloc(n);
    if (name == NULL) {
        return oom(c);
    }
    snprintf(name, n, "%s/%s%s", lname, prefix, key);
    pparam *pp = &p->params[p->nparams++];
    memset(pp, 0, sizeof *pp);
    pp->name = name;
    pp->key = name + strlen(lname) + 1;
    pp->layer = layer;
    pp->rank = rank;
    memcpy(pp->shape, dims, (size_t)rank * sizeof *dims);
    pp->order = order;
    pp->offset = c->cursor;
    pp->length = len;
    pp->is_bias = (flags & PF_BIAS) != 0;
    pp->pretrain = (flags & PF_PRETRAIN) != 0;
    resolve_updater(pp, u, (flags & PF_NOOP) != 0);
    c->cursor = end;
    return DLZ_OK;
}

static int add2(bctx *c, size_t layer, const char *prefix, const char *key, const usrc *u,
                unsigned flags, char order, int64_t d0, int64_t d1) {
    int64_t d[2] = {d0, d1};
    return add_param(c, layer, prefix, key, u, flags, order, 2, d);
}

/* A row vector [1,n]. */
static int addv(bctx *c, size_t layer, const char *prefix, const char *key, const usrc *u,
                unsigned flags, int64_t n) {
    return add2(c, layer, prefix, key, u, flags, 'f', 1, n);
}

/* Moves the first parameter from index `from` to the end of the table. */
static void move_first_last(dlz_params *p, size_t from) {
    if (p->nparams - from < 2) {
        return;
    }
    pparam first = p->params[from];
    memmove(&p->params[from], &p->params[from + 1], (p->nparams - from - 1) * sizeof *p->params);
    p->params[p->nparams - 1] = first;
}

/* Size of the p(x|z) distribution parameters of a VAE reconstruction
   distribution for data of size n (ReconstructionDistribution.distributionInputSize). */
static int vae_dist_size(bctx *c, const json_t *d, int64_t n, int depth, int64_t *out) {
    if (depth > MAX_WRAP_DEPTH) {
        return fail(c, DLZ_EFORMAT, "%s: reconstruction distributions nested too deeply", c->where);
    }
    const char *name = NULL;
    const json_t *f = d;
    if (json_is_object(d)) {
        const json_t *cls = json_object_get(d, "@class");
        if (json_is_string(cls)) {
            name = simple_name(json_string_value(cls));
        } else if (json_object_size(d) == 1) {
            const char *key;
            const json_t *val;
            json_object_foreach((json_t *)d, key, val) {
                name = key;
                f = val;
            }
        }
    }
    if (name == NULL) {
        return fail(c, DLZ_EFORMAT, "%s (VariationalAutoencoder): 'outputDistribution' is missing",
                    c->where);
    }
    if (strstr(name, "Gaussian") != NULL) {
        return mul64(n, 2, out) == 0
                   ? DLZ_OK
                   : fail(c, DLZ_EFORMAT, "%s (VariationalAutoencoder): sizes overflow", c->where);
    }
    if (strstr(name, "Bernoulli") != NULL || strstr(name, "Exponential") != NULL ||
        strstr(name, "LossFunctionWrapper") != NULL || strstr(name, "LossWrapper") != NULL) {
        *out = n;
        return DLZ_OK;
    }
    if (strstr(name, "Composite") != NULL) {
        const json_t *sizes = json_object_get(f, "distributionSizes");
        const json_t *dists = json_object_get(f, "reconstructionDistributions");
        if (!json_is_array(sizes) || !json_is_array(dists) ||
            json_array_size(sizes) != json_array_size(dists)) {
            return fail(c, DLZ_EFORMAT,
                        "%s (VariationalAutoencoder): composite distribution without matching "
                        "'distributionSizes' and 'reconstructionDistributions'",
                        c->where);
        }
        int64_t sum = 0;
        for (size_t i = 0; i < json_array_size(sizes); i++) {
            const json_t *s = json_array_get(sizes, i);
            if (!json_is_integer(s) || json_integer_value(s) < 0) {
                return fail(c, DLZ_EFORMAT,
                            "%s (VariationalAutoencoder): 'distributionSizes'[%zu] is not a "
                            "non-negative integer",
                            c->where, i);
            }
            int64_t part;
            int rc = vae_dist_size(c, json_array_get(dists, i), (int64_t)json_integer_value(s),
                                   depth + 1, &part);
            if (rc != DLZ_OK) {
                return rc;
            }
            if (add64(sum, part, &sum) != 0) {
                return fail(c, DLZ_EFORMAT, "%s (VariationalAutoencoder): sizes overflow",
                            c->where);
            }
        }
        *out = sum;
        return DLZ_OK;
    }
    return fail(c, DLZ_EUNSUPPORTED,
                "%s (VariationalAutoencoder): reconstruction distribution '%.100s' is unknown; "
                "parameter layout unknown",
                c->where, name);
}

static int build_vae(bctx *c, size_t layer, const char *prefix, const usrc *u, const json_t *f) {
    const char *what = "VariationalAutoencoder";
    int64_t nin, nout, enc[64], dec[64];
    size_t nenc, ndec;
    int rc = get_nin_nout(c, what, f, &nin, &nout);
    if (rc == DLZ_OK) {
        rc = get_int_array(c, what, f, "encoderLayerSizes", 1, 64, enc, &nenc);
    }
    if (rc == DLZ_OK) {
        rc = get_int_array(c, what, f, "decoderLayerSizes", 1, 64, dec, &ndec);
    }
    int64_t dist = 0;
    if (rc == DLZ_OK) {
        rc = vae_dist_size(c, json_object_get(f, "outputDistribution"), nin, 0, &dist);
    }
    char key[32];
    int64_t in = nin;
    for (size_t i = 0; rc == DLZ_OK && i < nenc; i++) {
        snprintf(key, sizeof key, "e%zuW", i);
        rc = add2(c, layer, prefix, key, u, 0, 'f', in, enc[i]);
        snprintf(key, sizeof key, "e%zub", i);
        if (rc == DLZ_OK) {
            rc = addv(c, layer, prefix, key, u, PF_BIAS, enc[i]);
        }
        in = enc[i];
    }
    if (rc == DLZ_OK) {
        rc = add2(c, layer, prefix, "pZXMeanW", u, 0, 'f', in, nout);
    }
    if (rc == DLZ_OK) {
        rc = addv(c, layer, prefix, "pZXMeanb", u, PF_BIAS, nout);
    }
    if (rc == DLZ_OK) {
        rc = add2(c, layer, prefix, "pZXLogStd2W", u, PF_PRETRAIN, 'f', in, nout);
    }
    if (rc == DLZ_OK) {
        rc = addv(c, layer, prefix, "pZXLogStd2b", u, PF_PRETRAIN | PF_BIAS, nout);
    }
    in = nout;
    for (size_t i = 0; rc == DLZ_OK && i < ndec; i++) {
        snprintf(key, sizeof key, "d%zuW", i);
        rc = add2(c, layer, prefix, key, u, PF_PRETRAIN, 'f', in, dec[i]);
        snprintf(key, sizeof key, "d%zub", i);
        if (rc == DLZ_OK) {
            rc = addv(c, layer, prefix, key, u, PF_PRETRAIN | PF_BIAS, dec[i]);
        }
        in = dec[i];
    }
    if (rc == DLZ_OK) {
        rc = add2(c, layer, prefix, "pXZW", u, PF_PRETRAIN, 'f', in, dist);
    }
    if (rc == DLZ_OK) {
        rc = addv(c, layer, prefix, "pXZb", u, PF_PRETRAIN | PF_BIAS, dist);
    }
    return rc;
}

static int build_layer(bctx *c, size_t layer, const json_t *L, const char *prefix, const usrc *upd,
                       int frozen, char *type, size_t typecap, int depth);

/* A size for DLZ_PARAMS_ASSUME_DENSE: a non-negative integer under k1 or k2.
   0 when absent or anything else (the layer is then not guessed). */
static int assumed_dim(const json_t *f, const char *k1, const char *k2, int64_t *v) {
    const json_t *j = json_object_get(f, k1);
    if (j == NULL || json_is_null(j)) {
        j = json_object_get(f, k2);
    }
    if (!json_is_integer(j) || json_integer_value(j) < 0) {
        return 0;
    }
    *v = (int64_t)json_integer_value(j);
    return 1;
}

/* DLZ_PARAMS_ASSUME_DENSE: lays out a layer of an unknown class as a
   DenseLayer, W [nIn,nOut] 'f' then b [1,nOut] unless "hasBias" is false,
   with the layer's own updaters, and flags it.  Classes of DL4J's own
   configuration packages are never guessed (their layouts are DL4J's, and
   not dense).  DLZ_ENOTFOUND, without a message, when the layer is not
   guessed. */
static int build_assumed(bctx *c, size_t layer, const char *prefix, const usrc *u,
                         const ulayer *ul) {
    int64_t nin = 0, nout = 0;
    const json_t *hb = json_object_get(ul->f, "hasBias");
    if ((c->flags & DLZ_PARAMS_ASSUME_DENSE) == 0 ||
        strncmp(ul->cls, "org.deeplearning4j.nn.", 22) == 0 ||
        !assumed_dim(ul->f, "nin", "nIn", &nin) || !assumed_dim(ul->f, "nout", "nOut", &nout) ||
        (hb != NULL && !json_is_null(hb) && !json_is_boolean(hb))) {
        return DLZ_ENOTFOUND;
    }
    size_t start = c->p->nparams;
    int rc = add2(c, layer, prefix, "W", u, 0, 'f', nin, nout);
    if (rc == DLZ_OK && !json_is_false(hb)) {
        rc = addv(c, layer, prefix, "b", u, PF_BIAS, nout);
    }
    for (size_t i = start; i < c->p->nparams; i++) {
        c->p->params[i].assumed = 1;
    }
    c->p->layers[layer].assumed = 1;
    return rc;
}

/* The fields that hold the updater configuration of a layer: wrappers
   delegate getUpdaterByParam() to the layer they wrap, Bidirectional to its
   forward layer. */
static const json_t *updater_fields(const json_t *L) {
    for (int depth = 0; depth <= MAX_WRAP_DEPTH; depth++) {
        bctx scratch;
        dlzi_err err;
        memset(&scratch, 0, sizeof scratch);
        scratch.err = &err;
        ulayer u;
        if (unwrap_layer(&scratch, L, &u) != DLZ_OK) {
            return NULL;
        }
        const json_t *next = NULL;
        switch (u.simple != NULL ? kind_of(u.simple) : -1) {
        case K_BIDIRECTIONAL:
            next = json_object_get(u.f, "fwd");
            break;
        case K_WRAPPER:
        case K_FROZEN:
        case K_FROZENBP:
            next = json_object_get(u.f, "underlying");
            if (next == NULL || json_is_null(next)) {
                next = json_object_get(u.f, "layer");
            }
            break;
        default:
            return u.f;
        }
        if (next == NULL || json_is_null(next)) {
            return u.f;
        }
        L = next;
    }
    return NULL;
}

/* The inner layer of a wrapper. */
static int build_inner(bctx *c, size_t layer, const json_t *f, const char *field1,
                       const char *field2, const char *outer, const char *prefix, const usrc *upd,
                       int frozen, char *type, size_t typecap, int depth) {
    const json_t *inner = json_object_get(f, field1);
    if ((inner == NULL || json_is_null(inner)) && field2 != NULL) {
        inner = json_object_get(f, field2);
    }
    if (inner == NULL || json_is_null(inner)) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' (the wrapped layer) is missing", c->where, outer,
                    field1);
    }
    size_t at = strlen(type);
    snprintf(type + at, typecap - at, "(");
    int rc = build_layer(c, layer, inner, prefix, upd, frozen, type, typecap, depth + 1);
    at = strlen(type);
    snprintf(type + at, typecap - at, ")");
    return rc;
}

/* Adds the parameters of layer object L (fields of a layer of either
   generation) to the table, appending its type name to `type`. */
static int build_layer(bctx *c, size_t layer, const json_t *L, const char *prefix, const usrc *upd,
                       int frozen, char *type, size_t typecap, int depth) {
    if (depth > MAX_WRAP_DEPTH) {
        return fail(c, DLZ_EFORMAT, "%s: layer wrappers nested too deeply", c->where);
    }
    ulayer ul;
    int rc = unwrap_layer(c, L, &ul);
    if (rc != DLZ_OK) {
        return rc;
    }
    usrc frozen_upd;
    if (upd != NULL && frozen && !upd->frozen) {
        frozen_upd = *upd;
        frozen_upd.frozen = 1;
        upd = &frozen_upd;
    }
    const json_t *f = ul.f;
    usrc own = {f, frozen};
    const usrc *u = upd != NULL ? upd : &own;
    size_t at = strlen(type);
    if (ul.simple == NULL) {
        rc = build_assumed(c, layer, prefix, u, &ul);
        if (rc != DLZ_ENOTFOUND) {
            snprintf(type + at, typecap - at, "%s", simple_name(ul.cls));
            return rc;
        }
        return fail(c, DLZ_EUNSUPPORTED,
                    "%s (class %.200s): unknown layer type; parameter layout unknown", c->where,
                    ul.cls);
    }
    snprintf(type + at, typecap - at, "%s", ul.simple);
    const char *what = ul.simple;
    int64_t nin = 0, nout = 0;
    int has_bias = 1;
    size_t start = c->p->nparams;

    switch (kind_of(ul.simple)) {
    case K_NONE:
        return DLZ_OK;
    case K_DEFAULT:
    case K_ELEMENTWISE: {
        int norm = 0;
        rc = get_nin_nout(c, what, f, &nin, &nout);
        if (rc == DLZ_OK) {
            rc = get_bool(c, what, f, "hasBias", 1, &has_bias);
        }
        if (rc == DLZ_OK && strcmp(ul.simple, "DenseLayer") == 0) {
            rc = get_bool(c, what, f, "hasLayerNorm", 0, &norm);
        }
        if (rc != DLZ_OK) {
            return rc;
        }
        if (kind_of(ul.simple) == K_ELEMENTWISE) {
            rc = add2(c, layer, prefix, "W", u, 0, 'f', 1, nin);
            nout = nin;
        } else {
            rc = add2(c, layer, prefix, "W", u, 0, 'f', nin, nout);
        }
        if (rc == DLZ_OK && has_bias) {
            rc = addv(c, layer, prefix, "b", u, PF_BIAS, nout);
        }
        if (rc == DLZ_OK && norm) {
            rc = addv(c, layer, prefix, "g", u, 0, nout);
        }
        return rc;
    }
    case K_PRETRAIN:
        rc = get_nin_nout(c, what, f, &nin, &nout);
        if (rc == DLZ_OK) {
            rc = add2(c, layer, prefix, "W", u, 0, 'f', nin, nout);
        }
        if (rc == DLZ_OK) {
            rc = addv(c, layer, prefix, "b", u, PF_BIAS, nout);
        }
        if (rc == DLZ_OK) {
            rc = addv(c, layer, prefix, "vb", u, PF_BIAS | PF_PRETRAIN, nin);
        }
        return rc;
    case K_CENTERLOSS:
        /* CenterLossOutputLayer.getUpdaterByParam(): NoOp for the centres,
           the layer's updater for W and b (no bias updater). */
        rc = get_nin_nout(c, what, f, &nin, &nout);
        if (rc == DLZ_OK) {
            rc = add2(c, layer, prefix, "W", u, 0, 'f', nin, nout);
        }
        if (rc == DLZ_OK) {
            rc = addv(c, layer, prefix, "b", u, 0, nout);
        }
        if (rc == DLZ_OK) {
            rc = add2(c, layer, prefix, "cL", u, PF_NOOP, 'c', nout, nin);
        }
        return rc;
    case K_CONV:
    case K_DECONV2D:
    case K_DECONV3D:
    case K_DEPTHWISE:
    case K_SEPARABLE: {
        int kind = kind_of(ul.simple);
        int64_t k[3], dm = 1;
        size_t nk;
        int is3d = strcmp(ul.simple, "Convolution3D") == 0 || kind == K_DECONV3D;
        size_t kmin = is3d ? 3 : strstr(ul.simple, "1D") != NULL ? 1 : 2;
        size_t kmax = is3d ? 3 : 2;
        rc = get_nin_nout(c, what, f, &nin, &nout);
        if (rc == DLZ_OK) {
            rc = get_bool(c, what, f, "hasBias", 1, &has_bias);
        }
        if (rc == DLZ_OK) {
            rc = get_int_array(c, what, f, "kernelSize", kmin, kmax, k, &nk);
        }
        if (rc == DLZ_OK && (kind == K_DEPTHWISE || kind == K_SEPARABLE)) {
            rc = req_int(c, what, f, "depthMultiplier", &dm);
        }
        if (rc != DLZ_OK) {
            return rc;
        }
        if (has_bias) {
            rc = addv(c, layer, prefix, "b", u, PF_BIAS, nout);
        }
        int64_t d[5];
        int rank;
        if (rc != DLZ_OK) {
            return rc;
        }
        if (kind == K_CONV) {
            d[0] = nout;
            d[1] = nin;
            memcpy(d + 2, k, nk * sizeof *k);
            rank = 2 + (int)nk;
            rc = add_param(c, layer, prefix, "W", u, 0, 'c', rank, d);
        } else if (kind == K_DECONV2D) {
            int64_t w[4] = {nin, nout, k[0], k[1]};
            rc = add_param(c, layer, prefix, "W", u, 0, 'c', 4, w);
        } else if (kind == K_DECONV3D) {
            int64_t w[5] = {k[0], k[1], k[2], nout, nin};
            rc = add_param(c, layer, prefix, "W", u, 0, 'c', 5, w);
        } else if (kind == K_DEPTHWISE) {
            int64_t w[4] = {k[0], k[1], nin, dm};
            rc = add_param(c, layer, prefix, "W", u, 0, 'c', 4, w);
        } else {
            int64_t w[4] = {dm, nin, k[0], k[1]}, pw[4] = {nout, 0, 1, 1};
            rc = add_param(c, layer, prefix, "W", u, 0, 'c', 4, w);
            if (rc == DLZ_OK && mul64(nin, dm, &pw[1]) != 0) {
                rc = fail(c, DLZ_EFORMAT, "%s (%s): sizes overflow", c->where, what);
            }
            if (rc == DLZ_OK) {
                rc = add_param(c, layer, prefix, "pW", u, 0, 'c', 4, pw);
            }
        }
        /* The bias comes first in the vector; DL4J's paramTable() lists it
           last for the depth-wise and separable convolutions. */
        if (rc == DLZ_OK && has_bias && (kind == K_DEPTHWISE || kind == K_SEPARABLE)) {
            move_first_last(c->p, start);
        }
        return rc;
    }
    case K_BATCHNORM: {
        int lock = 0, logstd = 0;
        rc = get_dim(c, what, f, "nout", "nOut", &nout);
        if (rc == DLZ_OK) {
            rc = get_bool(c, what, f, "lockGammaBeta", 0, &lock);
        }
        if (rc == DLZ_OK) {
            rc = get_bool(c, what, f, "useLogStd", 0, &logstd);
        }
        if (rc == DLZ_OK && !lock) {
            rc = addv(c, layer, prefix, "gamma", u, 0, nout);
            if (rc == DLZ_OK) {
                rc = addv(c, layer, prefix, "beta", u, 0, nout);
            }
        }
        if (rc == DLZ_OK) {
            rc = addv(c, layer, prefix, "mean", u, PF_NOOP, nout);
        }
        if (rc == DLZ_OK) {
            rc = addv(c, layer, prefix, logstd ? "log10stdev" : "var", u, PF_NOOP, nout);
        }
        return rc;
    }
    case K_LSTM:
    case K_GRAVESLSTM:
    case K_SIMPLERNN: {
        int kind = kind_of(ul.simple), norm = 0;
        int64_t g = kind == K_SIMPLERNN ? 1 : 4, gn, rw;
        rc = get_nin_nout(c, what, f, &nin, &nout);
        if (rc == DLZ_OK && kind == K_SIMPLERNN) {
            rc = get_bool(c, what, f, "hasLayerNorm", 0, &norm);
            if (rc == DLZ_OK) {
                rc = get_bool(c, what, f, "useBias", 1, &has_bias);
            }
        }
        if (rc != DLZ_OK) {
            return rc;
        }
        if (mul64(nout, g, &gn) != 0 || add64(gn, kind == K_GRAVESLSTM ? 3 : 0, &rw) != 0) {
            return fail(c, DLZ_EFORMAT, "%s (%s): sizes overflow", c->where, what);
        }
        rc = add2(c, layer, prefix, "W", u, 0, 'f', nin, gn);
        if (rc == DLZ_OK) {
            rc = add2(c, layer, prefix, "RW", u, 0, 'f', nout, rw);
        }
        if (rc == DLZ_OK && has_bias) {
            rc = addv(c, layer, prefix, "b", u, PF_BIAS, gn);
        }
        if (rc == DLZ_OK && norm) {
            int64_t two;
            rc = mul64(nout, 2, &two) == 0
                     ? addv(c, layer, prefix, "g", u, 0, two)
                     : fail(c, DLZ_EFORMAT, "%s (%s): sizes overflow", c->where, what);
        }
        return rc;
    }
    case K_GRAVESBILSTM: {
        int64_t gn, rw;
        rc = get_nin_nout(c, what, f, &nin, &nout);
        if (rc != DLZ_OK) {
            return rc;
        }
        if (mul64(nout, 4, &gn) != 0 || add64(gn, 3, &rw) != 0) {
            return fail(c, DLZ_EFORMAT, "%s (%s): sizes overflow", c->where, what);
        }
        static const char *const dirs[2] = {"F", "B"};
        for (int i = 0; rc == DLZ_OK && i < 2; i++) {
            char kw[8], krw[8], kb[8];
            snprintf(kw, sizeof kw, "W%s", dirs[i]);
            snprintf(krw, sizeof krw, "RW%s", dirs[i]);
            snprintf(kb, sizeof kb, "b%s", dirs[i]);
            rc = add2(c, layer, prefix, kw, u, 0, 'f', nin, gn);
            if (rc == DLZ_OK) {
                rc = add2(c, layer, prefix, krw, u, 0, 'f', nout, rw);
            }
            if (rc == DLZ_OK) {
                rc = addv(c, layer, prefix, kb, u, PF_BIAS, gn);
            }
        }
        return rc;
    }
    case K_BIDIRECTIONAL: {
        /* Both copies take their updater from the forward layer, as
           Bidirectional.getUpdaterByParam() does. */
        const json_t *fwd = json_object_get(f, "fwd");
        const json_t *bwd = json_object_get(f, "bwd");
        if (fwd == NULL || json_is_null(fwd) || bwd == NULL || json_is_null(bwd)) {
            return fail(c, DLZ_EFORMAT, "%s (Bidirectional): 'fwd' or 'bwd' is missing", c->where);
        }
        usrc fsrc = {updater_fields(fwd), frozen};
        const usrc *bu = upd != NULL ? upd : &fsrc;
        char pf[64], pb[64];
        if (strlen(prefix) + 2 > sizeof pf) {
            return fail(c, DLZ_EFORMAT, "%s: layer wrappers nested too deeply", c->where);
        }
        snprintf(pf, sizeof pf, "%sf", prefix);
        snprintf(pb, sizeof pb, "%sb", prefix);
        at = strlen(type);
        snprintf(type + at, typecap - at, "(");
        rc = build_layer(c, layer, fwd, pf, bu, frozen, type, typecap, depth + 1);
        at = strlen(type);
        snprintf(type + at, typecap - at, ")");
        if (rc == DLZ_OK) {
            char scratch[256] = "";
            rc = build_layer(c, layer, bwd, pb, bu, frozen, scratch, sizeof scratch, depth + 1);
        }
        return rc;
    }
    case K_WRAPPER:
        return build_inner(c, layer, f, "underlying", "layer", what, prefix, upd, frozen, type,
                           typecap, depth);
    case K_FROZEN:
        return build_inner(c, layer, f, "layer", "underlying", what, prefix, upd, 1, type, typecap,
                           depth);
    case K_FROZENBP:
        /* Its runtime layer passes getConfig() through to the wrapped layer,
           so the wrapped layer's updater keeps its state (FrozenLayer and
           FrozenVertex answer with a NoOp DummyConfig). */
        return build_inner(c, layer, f, "underlying", "layer", what, prefix, upd, frozen, type,
                           typecap, depth);
    case K_VAE:
        return build_vae(c, layer, prefix, u, f);
    case K_PRELU: {
        int64_t shape[DLZ_MAX_RANK], axes[DLZ_MAX_RANK];
        size_t rank, naxes = 0;
        rc = get_int_array(c, what, f, "inputShape", 1, DLZ_MAX_RANK, shape, &rank);
        if (rc != DLZ_OK) {
            return rc;
        }
        const json_t *sa = json_object_get(f, "sharedAxes");
        if (sa != NULL && !json_is_null(sa)) {
            rc = get_int_array(c, what, f, "sharedAxes", 0, DLZ_MAX_RANK, axes, &naxes);
            if (rc != DLZ_OK) {
                return rc;
            }
        }
        for (size_t i = 0; i < naxes; i++) {
            if (axes[i] < 1 || (size_t)axes[i] > rank) {
                return fail(c, DLZ_EFORMAT,
                            "%s (PReLULayer): shared axis %" PRId64 " is outside the input shape",
                            c->where, axes[i]);
            }
            shape[axes[i] - 1] = 1;
        }
        return add_param(c, layer, prefix, "W", u, 0, 'f', (int)rank, shape);
    }
    default:
        break;
    }
    return fail(c, DLZ_EUNSUPPORTED, "%s (class %.200s): unknown layer type", c->where, ul.cls);
}

/* Appends a layer (or vertex) entry. */
static int add_layer(bctx *c, const char *name, const char *layer_name, int64_t index,
                     size_t *out) {
    dlz_params *p = c->p;
    int rc = grow(c, (void **)&p->layers, &p->cap_layers, p->nlayers, sizeof *p->layers);
    if (rc != DLZ_OK) {
        return rc;
    }
    player *l = &p->layers[p->nlayers];
    memset(l, 0, sizeof *l);
    l->name = xstrdup(c, name);
    l->layer_name = layer_name != NULL ? xstrdup(c, layer_name) : NULL;
    if (l->name == NULL || (layer_name != NULL && l->layer_name == NULL)) {
        dlzi_free(l->name);
        dlzi_free(l->layer_name);
        return DLZ_ENOMEM;
    }
    l->index = index;
    l->first_param = p->nparams;
    l->offset = c->cursor;
    *out = p->nlayers++;
    return DLZ_OK;
}

static int finish_layer(bctx *c, size_t li, const char *type, const char *cls) {
    player *l = &c->p->layers[li];
    l->type = xstrdup(c, type);
    l->class_name = xstrdup(c, cls);
    if (l->type == NULL || l->class_name == NULL) {
        return DLZ_ENOMEM;
    }
    l->param_count = c->p->nparams - l->first_param;
    l->length = c->cursor - l->offset;
    return DLZ_OK;
}

/* "layer 1 'name'" / "vertex 'name'" for messages. */
static void set_where_mln(bctx *c, size_t i, const char *layer_name) {
    if (layer_name != NULL) {
        snprintf(c->where, sizeof c->where, "layer %zu '%.100s'", i, layer_name);
    } else {
        snprintf(c->where, sizeof c->where, "layer %zu", i);
    }
}

/* One layer object: adds the entry and its parameters. */
static int build_entry(bctx *c, const char *name, const char *layer_name, int64_t index,
                       const json_t *L, int frozen) {
    size_t li;
    int rc = add_layer(c, name, layer_name, index, &li);
    if (rc != DLZ_OK) {
        return rc;
    }
    char type[256] = "";
    if (frozen) {
        snprintf(type, sizeof type, "FrozenVertex(");
    }
    rc = build_layer(c, li, L, "", NULL, frozen, type, sizeof type, 0);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (frozen) {
        size_t at = strlen(type);
        snprintf(type + at, sizeof type - at, ")");
    }
    ulayer ul;
    rc = unwrap_layer(c, L, &ul);
    if (rc != DLZ_OK) {
        return rc;
    }
    return finish_layer(c, li, type, ul.cls);
}

static const char *layer_name_of(const json_t *L) {
    const json_t *f = L;
    if (json_is_object(L) && json_object_get(L, "@class") == NULL && json_object_size(L) == 1) {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)L, key, val) {
            f = val;
        }
    }
    const json_t *n = json_object_get(f, "layerName");
    return json_is_string(n) ? json_string_value(n) : NULL;
}

/* ------------------------------------------------------------------------ */
/* MultiLayerNetwork                                                         */

static int build_mln(bctx *c, const json_t *root) {
    const json_t *confs = json_object_get(root, "confs");
    if (!json_is_array(confs)) {
        return fail(c, DLZ_EFORMAT, "'confs' is not an array");
    }
    for (size_t i = 0; i < json_array_size(confs); i++) {
        const json_t *conf = json_array_get(confs, i);
        snprintf(c->where, sizeof c->where, "layer %zu", i);
        if (!json_is_object(conf)) {
            return fail(c, DLZ_EFORMAT, "%s: 'confs'[%zu] is not an object", c->where, i);
        }
        const json_t *L = json_object_get(conf, "layer");
        if (L == NULL || json_is_null(L)) {
            return fail(c, DLZ_EFORMAT, "%s: 'layer' is missing", c->where);
        }
        const char *lname = layer_name_of(L);
        set_where_mln(c, i, lname);
        char name[32];
        snprintf(name, sizeof name, "%zu", i);
        int rc = build_entry(c, name, lname, (int64_t)i, L, 0);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* ComputationGraph                                                          */

/* Sorts v[0..n) (distinct ints in insertion order) into the iteration order
   of a java.util.HashSet<Integer> (or the keys of a HashMap<Integer, ...>)
   filled with them in that order. */
static int java_hash_order(bctx *c, int64_t *v, size_t n) {
    uint32_t *hash = dlzi_malloc(n * sizeof *hash + 1);
    size_t *order = dlzi_malloc(n * sizeof *order + 1);
    int64_t *copy = dlzi_malloc(n * sizeof *copy + 1);
    int rc = hash != NULL && order != NULL && copy != NULL ? DLZ_OK : DLZ_ENOMEM;
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        hash[i] = dlzi_java_int_hash((int32_t)v[i]);
        copy[i] = v[i];
    }
    dlzi_java_map jm; /* Integer keys: distinct hashes, no tree ties */
    if (rc == DLZ_OK) {
        rc = dlzi_java_hashmap(hash, NULL, n, NULL, NULL, order, &jm);
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        v[i] = copy[order[i]];
    }
    dlzi_free(hash);
    dlzi_free(order);
    dlzi_free(copy);
    return rc == DLZ_OK ? DLZ_OK : oom(c);
}

typedef struct gnode {
    const char *name;
    const json_t *vertex; /* NULL for network inputs */
    int64_t *succ;        /* successors in insertion order */
    size_t nsucc, cap;
    size_t indeg; /* distinct inputs not yet removed */
} gnode;

/* Name lookup through a sorted index (names are unique). */
typedef struct name_ix {
    const char *name;
    size_t node;
} name_ix;

static int cmp_name_ix(const void *a, const void *b) {
    return strcmp(((const name_ix *)a)->name, ((const name_ix *)b)->name);
}

static int lookup(const name_ix *ix, size_t n, const char *name, size_t *node) {
    name_ix key = {name, 0};
    const name_ix *hit = bsearch(&key, ix, n, sizeof *ix, cmp_name_ix);
    if (hit == NULL) {
        return 0;
    }
    *node = hit->node;
    return 1;
}

/* A vertex object: its class simple name and fields. */
static int unwrap_vertex(bctx *c, const json_t *v, const char **cls, const json_t **f) {
    if (!json_is_object(v)) {
        return fail(c, DLZ_EFORMAT, "%s: the vertex is not a JSON object", c->where);
    }
    const json_t *jc = json_object_get(v, "@class");
    if (jc != NULL) {
        if (!json_is_string(jc)) {
            return fail(c, DLZ_EFORMAT, "%s: '@class' is not a string", c->where);
        }
        *cls = json_string_value(jc);
        *f = v;
        return DLZ_OK;
    }
    if (json_object_size(v) != 1) {
        return fail(c, DLZ_EFORMAT, "%s: the vertex has neither '@class' nor a single type key",
                    c->where);
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        *cls = key;
        *f = val;
    }
    if (!json_is_object(*f)) {
        return fail(c, DLZ_EFORMAT, "%s: the fields of vertex type '%s' are not a JSON object",
                    c->where, *cls);
    }
    return DLZ_OK;
}

static const char *const plain_vertices[] = {
    "ElementWiseVertex",  "L2NormalizeVertex",
    "L2Vertex",           "MergeVertex",
    "PoolHelperVertex",   "PreprocessorVertex",
    "ReshapeVertex",      "ScaleVertex",
    "ShiftVertex",        "StackVertex",
    "SubsetVertex",       "UnstackVertex",
    "InputVertex",        "DuplicateToTimeSeriesVertex",
    "LastTimeStepVertex", "ReverseTimeSeriesVertex",
};

static int build_vertex(bctx *c, const char *name, int64_t index, const json_t *v, int frozen,
                        int depth) {
    const char *cls = NULL;
    const json_t *f = NULL;
    int rc = unwrap_vertex(c, v, &cls, &f);
    if (rc != DLZ_OK) {
        return rc;
    }
    const char *s = simple_name(cls);
    int known_pkg =
        strchr(cls, '.') == NULL || strncmp(cls, "org.deeplearning4j.nn.conf.graph.", 33) == 0;
    if (known_pkg && strcmp(s, "LayerVertex") == 0) {
        const json_t *lc = json_object_get(f, "layerConf");
        const json_t *L = json_is_object(lc) ? json_object_get(lc, "layer") : NULL;
        if (L == NULL || json_is_null(L)) {
            return fail(c, DLZ_EFORMAT, "%s (LayerVertex): 'layerConf' has no 'layer'", c->where);
        }
        return build_entry(c, name, layer_name_of(L), index, L, frozen);
    }
    if (known_pkg && strcmp(s, "FrozenVertex") == 0) {
        const json_t *under = json_object_get(f, "underlying");
        if (under == NULL || json_is_null(under)) {
            return fail(c, DLZ_EFORMAT, "%s (FrozenVertex): 'underlying' is missing", c->where);
        }
        if (depth > MAX_WRAP_DEPTH) {
            return fail(c, DLZ_EFORMAT, "%s: vertex wrappers nested too deeply", c->where);
        }
        return build_vertex(c, name, index, under, 1, depth + 1);
    }
    for (size_t i = 0; known_pkg && i < sizeof plain_vertices / sizeof *plain_vertices; i++) {
        if (strcmp(s, plain_vertices[i]) == 0) {
            size_t li;
            rc = add_layer(c, name, NULL, index, &li);
            return rc != DLZ_OK ? rc : finish_layer(c, li, s, cls);
        }
    }
    return fail(c, DLZ_EUNSUPPORTED,
                "%s (class %.200s): unknown vertex type; parameter layout unknown", c->where, cls);
}

static void free_nodes(gnode *nodes, size_t n) {
    for (size_t i = 0; nodes != NULL && i < n; i++) {
        dlzi_free(nodes[i].succ);
    }
    dlzi_free(nodes);
}

/* Topological order as ComputationGraph.calculateIndices() computes it when
   the configuration stores none: network inputs numbered first, then the
   vertices in configuration order; Kahn's algorithm with a FIFO queue seeded
   in java.util.HashMap order; successors visited in java.util.HashSet order. */
static int kahn(bctx *c, gnode *nodes, size_t n, int64_t *order) {
    int64_t *queue = dlzi_malloc((n + 1) * sizeof *queue);
    if (queue == NULL) {
        return oom(c);
    }
    size_t head = 0, tail = 0, out = 0;
    /* Every node is a key of a HashMap<Integer,...>: the seeds are those
       with no inputs, in the map's order. */
    int64_t *keys = dlzi_malloc((n + 1) * sizeof *keys);
    if (keys == NULL) {
        dlzi_free(queue);
        return oom(c);
    }
    for (size_t i = 0; i < n; i++) {
        keys[i] = (int64_t)i;
    }
    int rc = java_hash_order(c, keys, n);
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        if (nodes[keys[i]].indeg == 0) {
            queue[tail++] = keys[i];
        }
    }
    while (rc == DLZ_OK && head < tail) {
        int64_t next = queue[head++];
        order[out++] = next;
        gnode *g = &nodes[next];
        rc = java_hash_order(c, g->succ, g->nsucc);
        for (size_t k = 0; rc == DLZ_OK && k < g->nsucc; k++) {
            gnode *s = &nodes[g->succ[k]];
            if (--s->indeg == 0) {
                queue[tail++] = g->succ[k];
            }
        }
    }
    dlzi_free(queue);
    if (rc == DLZ_OK && out != n) {
        /* DL4J names the first node, in HashMap order, that keeps an edge. */
        size_t best = 0;
        while (nodes[keys[best]].indeg == 0) {
            best++;
        }
        rc = fail(c, DLZ_EFORMAT, "the graph has a cycle (it includes vertex '%.100s')",
                  nodes[keys[best]].name);
    }
    dlzi_free(keys);
    return rc;
}

static int add_edge(bctx *c, gnode *from, int64_t to) {
    for (size_t i = 0; i < from->nsucc; i++) {
        if (from->succ[i] == to) {
            return DLZ_OK;
        }
    }
    int rc = grow(c, (void **)&from->succ, &from->cap, from->nsucc, sizeof *from->succ);
    if (rc != DLZ_OK) {
        return rc;
    }
    from->succ[from->nsucc++] = to;
    return DLZ_OK;
}

static int build_cg(bctx *c, const json_t *root) {
    const json_t *vertices = json_object_get(root, "vertices");
    const json_t *inputs = json_object_get(root, "networkInputs");
    const json_t *vin = json_object_get(root, "vertexInputs");
    snprintf(c->where, sizeof c->where, "graph");
    if (!json_is_object(vertices)) {
        return fail(c, DLZ_EFORMAT, "'vertices' is not an object");
    }
    if (!json_is_array(inputs)) {
        return fail(c, DLZ_EFORMAT, "'networkInputs' is missing or not an array");
    }
    if (vin != NULL && !json_is_null(vin) && !json_is_object(vin)) {
        return fail(c, DLZ_EFORMAT, "'vertexInputs' is not an object");
    }
    size_t ni = json_array_size(inputs), nv = json_object_size(vertices), n = ni + nv;
    if (n > (size_t)INT32_MAX) {
        return fail(c, DLZ_ELIMIT, "the graph has too many vertices");
    }
    gnode *nodes = dlzi_calloc(n + 1, sizeof *nodes);
    name_ix *ix = dlzi_calloc(n + 1, sizeof *ix);
    int64_t *order = dlzi_calloc(n + 1, sizeof *order);
    int rc = DLZ_OK;
    if (nodes == NULL || ix == NULL || order == NULL) {
        rc = oom(c);
        goto done;
    }
    for (size_t i = 0; i < ni; i++) {
        const json_t *s = json_array_get(inputs, i);
        if (!json_is_string(s)) {
            rc = fail(c, DLZ_EFORMAT, "'networkInputs'[%zu] is not a string", i);
            goto done;
        }
        nodes[i].name = json_string_value(s);
    }
    {
        size_t i = ni;
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)vertices, key, val) {
            nodes[i].name = key;
            nodes[i].vertex = val;
            i++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ix[i].name = nodes[i].name;
        ix[i].node = i;
    }
    qsort(ix, n, sizeof *ix, cmp_name_ix);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(ix[i - 1].name, ix[i].name) == 0) {
            rc = fail(c, DLZ_EFORMAT, "the name '%.100s' is used twice (network input or vertex)",
                      ix[i].name);
            goto done;
        }
    }
    /* Edges, in the order DL4J inserts them: vertices in configuration
       order, each vertex's inputs in list order. */
    for (size_t v = ni; v < n; v++) {
        const json_t *list = json_is_object(vin) ? json_object_get(vin, nodes[v].name) : NULL;
        if (list == NULL || json_is_null(list)) {
            continue;
        }
        if (!json_is_array(list)) {
            rc = fail(c, DLZ_EFORMAT, "'vertexInputs' of vertex '%.100s' is not an array",
                      nodes[v].name);
            goto done;
        }
        for (size_t k = 0; k < json_array_size(list); k++) {
            const json_t *s = json_array_get(list, k);
            size_t from;
            if (!json_is_string(s)) {
                rc = fail(c, DLZ_EFORMAT,
                          "'vertexInputs' of vertex '%.100s': item %zu is not a "
                          "string",
                          nodes[v].name, k);
                goto done;
            }
            if (!lookup(ix, n, json_string_value(s), &from)) {
                rc = fail(c, DLZ_EFORMAT,
                          "vertex '%.100s' has input '%.100s', which is neither a network input "
                          "nor a vertex",
                          nodes[v].name, json_string_value(s));
                goto done;
            }
            size_t before = nodes[from].nsucc;
            rc = add_edge(c, &nodes[from], (int64_t)v);
            if (rc != DLZ_OK) {
                goto done;
            }
            if (nodes[from].nsucc != before) {
                nodes[v].indeg++;
            }
        }
    }
    if (json_is_object(vin)) {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)vin, key, val) {
            size_t at;
            if (!lookup(ix, n, key, &at) || at < ni) {
                rc = fail(c, DLZ_EFORMAT, "'vertexInputs' names '%.100s', which is not a vertex",
                          key);
                goto done;
            }
        }
    }

    /* The order: the stored one when both lists are present, as DL4J. */
    const json_t *t = json_object_get(root, "topologicalOrder");
    const json_t *ts = json_object_get(root, "topologicalOrderStr");
    int64_t *index = NULL; /* DL4J's vertex index of each position */
    if (json_is_array(t) && json_is_array(ts)) {
        if (json_array_size(t) != n || json_array_size(ts) != n) {
            rc = fail(c, DLZ_EFORMAT,
                      "'topologicalOrder' / 'topologicalOrderStr' have %zu / %zu entries for "
                      "%zu network inputs and vertices",
                      json_array_size(t), json_array_size(ts), n);
            goto done;
        }
        index = dlzi_calloc(n + 1, sizeof *index);
        unsigned char *seen = dlzi_calloc(n + 1, 1);
        unsigned char *seen_ix = dlzi_calloc(n + 1, 1);
        if (index == NULL || seen == NULL || seen_ix == NULL) {
            dlzi_free(index);
            dlzi_free(seen);
            dlzi_free(seen_ix);
            rc = oom(c);
            goto done;
        }
        for (size_t i = 0; i < n && rc == DLZ_OK; i++) {
            const json_t *e = json_array_get(t, i), *s = json_array_get(ts, i);
            size_t node;
            if (!json_is_integer(e) || json_integer_value(e) < 0 ||
                (size_t)json_integer_value(e) >= n || seen_ix[json_integer_value(e)]) {
                rc = fail(c, DLZ_EFORMAT, "'topologicalOrder'[%zu] is not a new vertex index", i);
            } else if (!json_is_string(s) || !lookup(ix, n, json_string_value(s), &node) ||
                       seen[node]) {
                rc = fail(c, DLZ_EFORMAT,
                          "'topologicalOrderStr'[%zu] does not name a new network input or vertex",
                          i);
            } else {
                seen_ix[json_integer_value(e)] = 1;
                seen[node] = 1;
                order[i] = (int64_t)node;
                index[i] = (int64_t)json_integer_value(e);
            }
        }
        dlzi_free(seen);
        dlzi_free(seen_ix);
        if (rc != DLZ_OK) {
            dlzi_free(index);
            goto done;
        }
    } else {
        rc = kahn(c, nodes, n, order);
        if (rc != DLZ_OK) {
            goto done;
        }
    }
    for (size_t i = 0; i < n && rc == DLZ_OK; i++) {
        const gnode *g = &nodes[order[i]];
        if (g->vertex == NULL) {
            continue; /* a network input */
        }
        snprintf(c->where, sizeof c->where, "vertex '%.100s'", g->name);
        rc = build_vertex(c, g->name, index != NULL ? index[i] : order[i], g->vertex, 0, 0);
    }
    dlzi_free(index);
done:
    free_nodes(nodes, n);
    dlzi_free(ix);
    dlzi_free(order);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Updater blocks                                                            */

/* "layer 1 'name' (Type)" / "vertex 'name' (Type)" */
static void describe_layer(const dlz_params *p, const player *l, char *buf, size_t cap) {
    if (p->kind == DLZ_KIND_GRAPH) {
        snprintf(buf, cap, "vertex '%.100s' (%.100s)", l->name, l->type);
    } else if (l->layer_name != NULL) {
        snprintf(buf, cap, "layer %s '%.100s' (%.100s)", l->name, l->layer_name, l->type);
    } else {
        snprintf(buf, cap, "layer %s (%.100s)", l->name, l->type);
    }
}

static int same_updater(const dlz_params *p, const pparam *a, const pparam *b) {
    if (a->ukind == U_LEGACY || b->ukind == U_LEGACY) {
        return 0; /* 0.x: one state view per parameter */
    }
    if (a->utype != b->utype) {
        return 0;
    }
    if (a->ukind == U_MODERN && !json_equal((json_t *)a->ucfg, (json_t *)b->ucfg)) {
        return 0;
    }
    if (a->pretrain || b->pretrain) {
        return a->layer == b->layer && a->pretrain && b->pretrain;
    }
    (void)p;
    return 1;
}

/* Groups the parameters into updater blocks, or records why the updater
   layout is unknown.  Fails only when out of memory. */
static int build_blocks(dlz_params *p) {
    p->updater_total = -1;
    p->updater_code = DLZ_OK;
    for (size_t i = 0; i < p->nparams; i++) {
        const pparam *pp = &p->params[i];
        if (pp->ukind == U_UNKNOWN) {
            char desc[300];
            describe_layer(p, &p->layers[pp->layer], desc, sizeof desc);
            p->updater_code = pp->ucode != DLZ_OK ? pp->ucode : DLZ_EUNSUPPORTED;
            snprintf(p->updater_msg, sizeof p->updater_msg,
                     "configuration.json: %s: parameter %.60s: %s; updater state layout unknown",
                     desc, pp->key, pp->umsg);
            return DLZ_OK;
        }
    }
    p->blocks = dlzi_calloc(p->nparams + 1, sizeof *p->blocks);
    if (p->blocks == NULL) {
        return DLZ_ENOMEM;
    }
    int64_t pos = 0, state = 0;
    for (size_t i = 0; i < p->nparams; i++) {
        pparam *pp = &p->params[i];
        int64_t n = updater_kinds[pp->utype].states;
        if (p->nblocks == 0 || !same_updater(p, &p->params[i - 1], pp)) {
            pblock *b = &p->blocks[p->nblocks++];
            b->utype = pp->utype;
            b->first_param = i;
            b->param_offset = pos;
            b->state_offset = state;
        }
        pblock *b = &p->blocks[p->nblocks - 1];
        b->param_count++;
        b->param_length += pp->length;
        pp->block = p->nblocks - 1;
        pos += pp->length;
        state += n * pp->length; /* sizes were checked: n * total fits */
    }
    p->updater_total = state;
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */

void dlz_params_free(dlz_params *p) {
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->nparams; i++) {
        dlzi_free(p->params[i].name);
    }
    for (size_t i = 0; i < p->nlayers; i++) {
        dlzi_free(p->layers[i].name);
        dlzi_free(p->layers[i].layer_name);
        dlzi_free(p->layers[i].type);
        dlzi_free(p->layers[i].class_name);
    }
    dlzi_free(p->params);
    dlzi_free(p->layers);
    dlzi_free(p->blocks);
    dlzi_free(p);
}

static int parse(const char *json, size_t len, unsigned flags, dlz_params **out, dlzi_err *err) {
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (root == NULL) {
        return dlzi_err_set(err, DLZ_EFORMAT,
                            "configuration.json: line %d, column %d: not valid JSON: %s", jerr.line,
                            jerr.column, jerr.text);
    }
    dlz_params *p = dlzi_calloc(1, sizeof *p);
    if (p == NULL) {
        json_decref(root);
        return dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    bctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.err = err;
    c.flags = flags;
    int rc;
    if (!json_is_object(root)) {
        rc = fail(&c, DLZ_EFORMAT, "expected a JSON object at the top level");
    } else if (json_object_get(root, "confs") != NULL) {
        p->kind = DLZ_KIND_MULTILAYER;
        rc = build_mln(&c, root);
    } else if (json_object_get(root, "vertices") != NULL) {
        p->kind = DLZ_KIND_GRAPH;
        rc = build_cg(&c, root);
    } else {
        rc = fail(&c, DLZ_EFORMAT,
                  "neither a MultiLayerNetwork ('confs') nor a ComputationGraph ('vertices')");
    }
    if (rc == DLZ_ENOMEM && err->code != DLZ_ENOMEM) {
        dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    if (rc == DLZ_OK) {
        p->total = c.cursor;
        /* state sizes: at most 3 per value */
        if (p->total > INT64_MAX / 4) {
            rc = fail(&c, DLZ_EFORMAT, "the model has too many parameters (%" PRId64 ")", p->total);
        }
    }
    if (rc == DLZ_OK && build_blocks(p) != DLZ_OK) {
        rc = dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < p->nparams; i++) {
        p->params[i].ucfg = NULL; /* borrowed from root */
    }
    json_decref(root);
    if (rc != DLZ_OK) {
        dlz_params_free(p);
        return rc;
    }
    *out = p;
    return DLZ_OK;
}

#define KNOWN_FLAGS DLZ_PARAMS_ASSUME_DENSE

int dlzi_params_parse(const char *json, size_t len, unsigned flags, dlz_params **out,
                      dlzi_err *err) {
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL || (json == NULL && len > 0)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL argument");
    }
    if ((flags & ~(unsigned)KNOWN_FLAGS) != 0) {
        return dlzi_err_set(err, DLZ_EMISUSE, "unknown flags 0x%x", flags & ~(unsigned)KNOWN_FLAGS);
    }
    return parse(json != NULL ? json : "", len, flags, out, err);
}

int dlz_params_parse(const char *json, size_t len, unsigned flags, dlz_params **out, char *errbuf,
                     size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_params_parse(json, len, flags, out, &err);
    return rc == DLZ_OK ? rc : dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
}

const char *dlz_params_errmsg(const dlz_params *p) {
    if (p == NULL) {
        return "no parameter table";
    }
    return p->err.code == DLZ_OK ? "no error" : p->err.msg;
}

dlz_kind dlz_params_kind(const dlz_params *p) {
    return p != NULL ? p->kind : DLZ_KIND_UNKNOWN;
}

size_t dlz_params_count(const dlz_params *p) {
    return p != NULL ? p->nparams : 0;
}

size_t dlz_params_assumed_count(const dlz_params *p) {
    size_t n = 0;
    for (size_t i = 0; p != NULL && i < p->nlayers; i++) {
        n += p->layers[i].assumed != 0;
    }
    return n;
}

int64_t dlz_params_total(const dlz_params *p) {
    return p != NULL ? p->total : 0;
}

int dlz_params_get(const dlz_params *p, size_t i, dlz_param_info *info) {
    if (p == NULL || info == NULL || i >= p->nparams) {
        return DLZ_EMISUSE;
    }
    const pparam *pp = &p->params[i];
    const player *l = &p->layers[pp->layer];
    memset(info, 0, sizeof *info);
    info->name = pp->name;
    info->layer = l->name;
    info->layer_index = l->index;
    info->layer_type = l->type;
    info->key = pp->key;
    info->rank = pp->rank;
    memcpy(info->shape, pp->shape, sizeof info->shape);
    info->order = pp->order;
    info->offset = pp->offset;
    info->length = pp->length;
    if (p->updater_code == DLZ_OK && p->blocks != NULL) {
        const updater_kind *k = &updater_kinds[p->blocks[pp->block].utype];
        info->updater = k->name;
        info->state_count = k->states;
    } else {
        info->updater = NULL;
        info->state_count = -1;
    }
    info->assumed = pp->assumed;
    return DLZ_OK;
}

int dlz_params_find(const dlz_params *p, const char *name, size_t *index) {
    if (p == NULL || name == NULL || index == NULL) {
        return DLZ_EMISUSE;
    }
    for (size_t i = 0; i < p->nparams; i++) {
        if (strcmp(p->params[i].name, name) == 0) {
            *index = i;
            return DLZ_OK;
        }
    }
    return DLZ_ENOTFOUND;
}

size_t dlz_params_layer_count(const dlz_params *p) {
    return p != NULL ? p->nlayers : 0;
}

int dlz_params_layer(const dlz_params *p, size_t i, dlz_layer_info *info) {
    if (p == NULL || info == NULL || i >= p->nlayers) {
        return DLZ_EMISUSE;
    }
    const player *l = &p->layers[i];
    memset(info, 0, sizeof *info);
    info->name = l->name;
    info->layer_name = l->layer_name;
    info->index = l->index;
    info->type = l->type;
    info->class_name = l->class_name;
    info->first_param = l->first_param;
    info->param_count = l->param_count;
    info->offset = l->offset;
    info->length = l->length;
    info->assumed = l->assumed;
    return DLZ_OK;
}

/* The element positions of a vector array: element j is at data + (base + j*step)*size.
   Fails unless the array is a vector (at most one dimension above 1). */
static int vector_layout(dlz_params *p, const char *what, const dlz_array *a, int64_t *step) {
    int rank = dlz_array_rank(a);
    const int64_t *shape = dlz_array_shape(a), *strides = dlz_array_strides(a);
    int big = -1;
    for (int k = 0; k < rank; k++) {
        if (shape[k] > 1) {
            if (big >= 0) {
                return dlzi_err_set(&p->err, DLZ_EFORMAT,
                                    "%s: an array of rank %d with more than one dimension above "
                                    "1 is not a vector",
                                    what, rank);
            }
            big = k;
        }
    }
    *step = big >= 0 ? strides[big] : 1;
    return DLZ_OK;
}

/* Number of values of a vector (0 for NULL). */
static int vector_length(dlz_params *p, const char *what, const dlz_array *a, int64_t *have) {
    *have = 0;
    if (a == NULL) {
        return DLZ_OK;
    }
    int64_t step = 1;
    int rc = vector_layout(p, what, a, &step);
    if (rc == DLZ_OK) {
        *have = dlz_array_length(a);
    }
    return rc;
}

int dlz_params_check(dlz_params *p, const dlz_array *coefficients) {
    if (p == NULL) {
        return DLZ_EMISUSE;
    }
    dlzi_err_clear(&p->err);
    int64_t n;
    int rc = vector_length(p, "coefficients", coefficients, &n);
    if (rc != DLZ_OK || n == p->total) {
        return rc;
    }
    char desc[300];
    if (n < p->total) {
        for (size_t i = 0; i < p->nlayers; i++) {
            const player *l = &p->layers[i];
            if (l->length > 0 && l->offset + l->length > n) {
                describe_layer(p, l, desc, sizeof desc);
                return dlzi_err_set(&p->err, DLZ_EFORMAT,
                                    "coefficients have %" PRId64 " values; %s needs values %" PRId64
                                    "..%" PRId64,
                                    n, desc, l->offset, l->offset + l->length - 1);
            }
        }
    }
    return dlzi_err_set(&p->err, DLZ_EFORMAT,
                        "coefficients have %" PRId64
                        " values; the configuration's layers need %" PRId64,
                        n, p->total);
}

int dlz_params_updater_status(dlz_params *p) {
    if (p == NULL) {
        return DLZ_EMISUSE;
    }
    if (p->updater_code != DLZ_OK) {
        return dlzi_err_set(&p->err, p->updater_code, "%s", p->updater_msg);
    }
    return DLZ_OK;
}

size_t dlz_params_updater_block_count(const dlz_params *p) {
    return p != NULL && p->updater_code == DLZ_OK ? p->nblocks : 0;
}

int64_t dlz_params_updater_total(const dlz_params *p) {
    return p != NULL && p->updater_code == DLZ_OK ? p->updater_total : -1;
}

int dlz_params_updater_block(dlz_params *p, size_t i, dlz_updater_block *block) {
    int rc = dlz_params_updater_status(p);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (block == NULL || i >= p->nblocks) {
        return dlzi_err_set(&p->err, DLZ_EMISUSE, "updater block %zu of %zu", i, p->nblocks);
    }
    const pblock *b = &p->blocks[i];
    const updater_kind *k = &updater_kinds[b->utype];
    memset(block, 0, sizeof *block);
    block->updater = k->name;
    block->first_param = b->first_param;
    block->param_count = b->param_count;
    block->param_offset = b->param_offset;
    block->param_length = b->param_length;
    block->state_count = k->states;
    for (int s = 0; s < k->states; s++) {
        block->state_names[s] = k->state_names[s];
        block->state_offset[s] = b->state_offset + (int64_t)s * b->param_length;
    }
    block->state_length = (int64_t)k->states * b->param_length;
    return DLZ_OK;
}

int dlz_params_updater_check(dlz_params *p, const dlz_array *state) {
    int rc = dlz_params_updater_status(p);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_err_clear(&p->err);
    int64_t n;
    rc = vector_length(p, "updater state", state, &n);
    if (rc != DLZ_OK || n == p->updater_total) {
        return rc;
    }
    char desc[300];
    for (size_t i = 0; i < p->nblocks; i++) {
        const pblock *b = &p->blocks[i];
        const updater_kind *k = &updater_kinds[b->utype];
        int64_t len = (int64_t)k->states * b->param_length;
        if (len > 0 && b->state_offset + len > n) {
            describe_layer(p, &p->layers[p->params[b->first_param].layer], desc, sizeof desc);
            return dlzi_err_set(&p->err, DLZ_EFORMAT,
                                "updater state has %" PRId64 " values; the %s state of %s needs "
                                "values %" PRId64 "..%" PRId64,
                                n, k->name, desc, b->state_offset, b->state_offset + len - 1);
        }
    }
    return dlzi_err_set(&p->err, DLZ_EFORMAT,
                        "updater state has %" PRId64
                        " values; the configured updaters need %" PRId64,
                        n, p->updater_total);
}

/* Copies `len` values of a parameter with the given shape/order, whose
   element with linear index t (in param_order) is source element start + t
   of the vector `src`, into a new dense array in `order`. */
static int slice_out(dlz_params *p, const char *what, const dlz_array *src, int64_t start,
                     const pparam *pp, char order, dlz_array **out) {
    int64_t step = 1;
    int rc = vector_layout(p, what, src, &step);
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t n = dlz_array_length(src);
    if (start < 0 || start > n || pp->length > n - start) {
        return dlzi_err_set(&p->err, DLZ_EFORMAT,
                            "%s have %" PRId64 " values; parameter %s needs values %" PRId64
                            "..%" PRId64,
                            what, n, pp->name, start, start + pp->length - 1);
    }
    dlz_dtype t = dlz_array_dtype(src);
    size_t es = dlz_dtype_size(t);
    size_t nb = dlz_array_nbytes(src);
    /* Both ends of the slice must lie inside the buffer (positions are linear). */
    if (pp->length > 0) {
        int64_t first = start * step, last = (start + pp->length - 1) * step;
        int64_t lo = first < last ? first : last, hi = first < last ? last : first;
        if (es == 0 || lo < 0 || (uint64_t)hi >= nb / es) {
            return dlzi_err_set(&p->err, DLZ_EFORMAT, "%s: the array's strides leave its buffer",
                                what);
        }
    }
    dlz_array *a = NULL;
    rc = dlzi_array_new(t, pp->rank, pp->shape, order, &a, &p->err);
    if (rc != DLZ_OK) {
        if (rc != DLZ_ENOMEM) {
            dlzi_err_prefix(&p->err, "parameter %s", pp->name);
        }
        return rc;
    }
    const unsigned char *s = dlz_array_cdata(src);
    unsigned char *d = dlz_array_data(a);
    if (step == 1 && (order == pp->order || pp->rank < 2)) {
        /* The slice is already laid out as asked. */
        memcpy(d, s + (size_t)start * es, (size_t)pp->length * es);
        *out = a;
        return DLZ_OK;
    }
    int rank = pp->rank;
    /* Strides (in elements) of the parameter in the flat vector. */
    int64_t sp[DLZ_MAX_RANK], idx[DLZ_MAX_RANK];
    int64_t acc = 1;
    for (int k = 0; k < rank; k++) {
        int kk = pp->order == 'c' ? rank - 1 - k : k;
        sp[kk] = acc;
        acc *= pp->shape[kk];
    }
    memset(idx, 0, sizeof idx);
    int64_t lin = 0; /* linear index of idx in the parameter's own order */
    for (int64_t q = 0; q < pp->length; q++) {
        memcpy(d + (size_t)q * es, s + (size_t)((start + lin) * step) * es, es);
        /* next index in the output order */
        for (int k = 0; k < rank; k++) {
            int kk = order == 'c' ? rank - 1 - k : k;
            if (++idx[kk] < pp->shape[kk]) {
                lin += sp[kk];
                break;
            }
            lin -= sp[kk] * (pp->shape[kk] - 1);
            idx[kk] = 0;
        }
    }
    *out = a;
    return DLZ_OK;
}

int dlz_params_extract(dlz_params *p, size_t i, const dlz_array *coefficients, char order,
                       dlz_array **out) {
    if (p == NULL) {
        return DLZ_EMISUSE;
    }
    dlzi_err_clear(&p->err);
    if (out == NULL || coefficients == NULL || i >= p->nparams || (order != 'c' && order != 'f')) {
        return dlzi_err_set(&p->err, DLZ_EMISUSE,
                            "dlz_params_extract: bad argument (index %zu of %zu, order '%c')", i,
                            p->nparams, order ? order : '?');
    }
    *out = NULL;
    const pparam *pp = &p->params[i];
    return slice_out(p, "coefficients", coefficients, pp->offset, pp, order, out);
}

int dlz_params_extract_state(dlz_params *p, size_t i, int k, const dlz_array *state, char order,
                             dlz_array **out) {
    int rc = dlz_params_updater_status(p);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_err_clear(&p->err);
    if (out == NULL || state == NULL || i >= p->nparams || (order != 'c' && order != 'f') ||
        k < 0) {
        return dlzi_err_set(&p->err, DLZ_EMISUSE, "dlz_params_extract_state: bad argument");
    }
    *out = NULL;
    const pparam *pp = &p->params[i];
    const pblock *b = &p->blocks[pp->block];
    const updater_kind *kind = &updater_kinds[b->utype];
    if (k >= kind->states) {
        return dlzi_err_set(&p->err, DLZ_ENOTFOUND, "parameter %s (%s) has %d state array%s",
                            pp->name, kind->name, kind->states, kind->states == 1 ? "" : "s");
    }
    if (pp->offset < b->param_offset ||
        pp->offset + pp->length > b->param_offset + b->param_length) {
        return dlzi_err_set(&p->err, DLZ_EUNSUPPORTED, "parameter %s lies across updater blocks",
                            pp->name);
    }
    int64_t start = b->state_offset + (int64_t)k * b->param_length + (pp->offset - b->param_offset);
    return slice_out(p, "updater state", state, start, pp, order, out);
}
