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

int dlzi_config_fail(dlzi_err *err, int code, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlzi_err_set(err, code, "configuration.json: %s", msg);
}

#define fail(c, ...) dlzi_config_fail((c)->err, __VA_ARGS__)

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

/* The type of a polymorphic object: the simple name of its "@class" when that
   is a string, else its single key (the legacy wrapper form; *fields is then
   set to the key's value), else NULL. */
static const char *type_of(const json_t *o, const json_t **fields) {
    const json_t *cls = json_object_get(o, "@class");
    if (json_is_string(cls)) {
        return simple_name(json_string_value(cls));
    }
    const char *name = NULL;
    if (json_object_size(o) == 1) {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)o, key, val) {
            name = key;
            *fields = val;
        }
    }
    return name;
}

/* A layer or vertex object (what: "layer", "vertex") of either generation:
   {"@class": "...", fields...} or the legacy {"type": {fields...}}. */
static int unwrap_object(bctx *c, const char *what, const json_t *o, const char **cls,
                         const json_t **f) {
    if (!json_is_object(o)) {
        return fail(c, DLZ_EFORMAT, "%s: the %s is not a JSON object", c->where, what);
    }
    const json_t *jc = json_object_get(o, "@class");
    if (jc != NULL) {
        if (!json_is_string(jc)) {
            return fail(c, DLZ_EFORMAT, "%s: '@class' is not a string", c->where);
        }
        *cls = json_string_value(jc);
        *f = o;
        return DLZ_OK;
    }
    if (json_object_size(o) != 1) {
        return fail(c, DLZ_EFORMAT, "%s: the %s has neither '@class' nor a single type key",
                    c->where, what);
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val) {
        *cls = key;
        *f = val;
    }
    if (!json_is_object(*f)) {
        return fail(c, DLZ_EFORMAT, "%s: the fields of %s type '%s' are not a JSON object",
                    c->where, what, *cls);
    }
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* Layer kinds                                                               */

typedef struct layer_kind layer_kind;

/* One layer object being laid out.  The caller of build_layer() sets the
   first group; build_layer() resolves the object and sets the second for the
   builder of its kind.  A wrapper builds the layer it wraps with a copy of
   its own lbuild, one level deeper. */
typedef struct lbuild {
    size_t layer;       /* entry of c->p->layers the parameters belong to */
    const char *prefix; /* key prefix: "", or "f" / "b" inside Bidirectional */
    const usrc *upd;    /* updater source imposed by an enclosing wrapper, or NULL */
    int frozen;         /* inside a FrozenLayer or FrozenVertex */
    char *type;         /* the type name being composed ("Bidirectional(LSTM)") */
    size_t typecap;     /* the size of type */
    int depth;          /* wrapper nesting */

    const layer_kind *kind; /* NULL: a class that is not in layer_kinds */
    const json_t *f;        /* the layer's fields */
    const usrc *u;          /* where its parameters' updaters come from */
} lbuild;

/* Adds the parameters of one layer (b->f) at the cursor, in DL4J's
   paramTable() order. */
typedef int (*layer_builder)(bctx *c, const lbuild *b);

/* Row flags. */
/* The class overrides Layer.getUpdaterByParam(): its statistics (parameters
   added with PF_STAT) have no updater state (NoOp), every other parameter
   takes the layer's "iupdater" ("biasUpdater" never applies). */
#define LK_NOOP_STATS 0x1u
/* DenseLayer: reads "hasLayerNorm" (gain "g" after the bias). */
#define LK_LAYER_NORM 0x2u
/* A wrapper: inner[] names the fields holding the wrapped layer; its
   getUpdaterByParam() delegates to that layer. */
#define LK_WRAPS 0x4u
/* With LK_WRAPS: inner[0] and inner[1] are two layers (Bidirectional's
   forward and backward copies) rather than one field under two names. */
#define LK_PAIR 0x8u
/* With LK_WRAPS: every parameter of the wrapped layer is frozen (NoOp
   updater), as FrozenLayer's DummyConfig does.  FrozenLayerWithBackprop has
   no such flag: its runtime layer passes getConfig() through to the wrapped
   layer, so the wrapped layer's updater keeps its state. */
#define LK_FREEZES 0x10u

/* A layer class (or legacy type name) and its parameter layout.  Columns:
 *   simple  the Java class's simple name.  It matches an "@class" value
 *           "org.deeplearning4j.nn.conf.layers.<simple>" in any subpackage
 *           ("...layers.recurrent.SimpleRnn"), and is the type shown
 *           (dlz_layer_info.type, wrapped as "Bidirectional(LSTM)").
 *   legacy  the wrapper key of the 0.5 .. 1.0.0-alpha form {"dense": {...}}
 *           (LegacyLayerDeserializer), or NULL when the class has none.
 *   build   the family builder: it reads the fields and adds the parameters
 *           (build_none for layers without parameters).
 *   flags   LK_* above.
 *   inner   LK_WRAPS only: the two fields of the wrapped layer, in lookup
 *           order (LK_PAIR: the forward and the backward layer); else NULL. */
struct layer_kind {
    const char *simple;
    const char *legacy;
    layer_builder build;
    unsigned flags;
    const char *const *inner;
};

static int build_none(bctx *c, const lbuild *b);
static int build_dense(bctx *c, const lbuild *b);
static int build_elementwise(bctx *c, const lbuild *b);
static int build_pretrain(bctx *c, const lbuild *b);
static int build_center_loss(bctx *c, const lbuild *b);
static int build_conv2d(bctx *c, const lbuild *b);
static int build_conv1d(bctx *c, const lbuild *b);
static int build_conv3d(bctx *c, const lbuild *b);
static int build_deconv2d(bctx *c, const lbuild *b);
static int build_deconv3d(bctx *c, const lbuild *b);
static int build_depthwise(bctx *c, const lbuild *b);
static int build_separable(bctx *c, const lbuild *b);
static int build_batchnorm(bctx *c, const lbuild *b);
static int build_lstm(bctx *c, const lbuild *b);
static int build_graves_lstm(bctx *c, const lbuild *b);
static int build_graves_bilstm(bctx *c, const lbuild *b);
static int build_simple_rnn(bctx *c, const lbuild *b);
static int build_prelu(bctx *c, const lbuild *b);
static int build_vae(bctx *c, const lbuild *b);
static int build_attention(bctx *c, const lbuild *b);
static int build_wrapper(bctx *c, const lbuild *b);
static int build_bidirectional(bctx *c, const lbuild *b);

/* The fields of a wrapped layer, in lookup order (LK_WRAPS). */
static const char *const underlying_layer[2] = {"underlying", "layer"};
static const char *const layer_underlying[2] = {"layer", "underlying"};
static const char *const fwd_bwd[2] = {"fwd", "bwd"};

/* Layer classes of org.deeplearning4j.nn.conf.layers (and subpackages). */
static const layer_kind layer_kinds[] = {
    /* Feed-forward: W and b, and what each adds (see the builders) */
    {"DenseLayer", "dense", build_dense, LK_LAYER_NORM, NULL},
    {"OutputLayer", "output", build_dense, 0, NULL},
    {"RnnOutputLayer", "rnnoutput", build_dense, 0, NULL},
    {"EmbeddingLayer", "embedding", build_dense, 0, NULL},
    {"EmbeddingSequenceLayer", NULL, build_dense, 0, NULL},
    {"ElementWiseMultiplicationLayer", "ElementWiseMult", build_elementwise, 0, NULL},
    {"CenterLossOutputLayer", "CenterLossOutputLayer", build_center_loss, LK_NOOP_STATS, NULL},
    {"AutoEncoder", "autoEncoder", build_pretrain, 0, NULL},
    {"RBM", "RBM", build_pretrain, 0, NULL},
    /* Convolutions: b first, then W (c order) */
    {"ConvolutionLayer", "convolution", build_conv2d, 0, NULL},
    {"Convolution2D", NULL, build_conv2d, 0, NULL},
    {"Convolution1DLayer", "convolution1d", build_conv1d, 0, NULL},
    {"Convolution1D", NULL, build_conv1d, 0, NULL},
    {"Convolution3D", NULL, build_conv3d, 0, NULL},
    {"Deconvolution2D", NULL, build_deconv2d, 0, NULL},
    {"Deconvolution3D", NULL, build_deconv3d, 0, NULL},
    {"DepthwiseConvolution2D", NULL, build_depthwise, 0, NULL},
    {"SeparableConvolution2D", NULL, build_separable, 0, NULL},
    {"BatchNormalization", "batchNormalization", build_batchnorm, LK_NOOP_STATS, NULL},
    /* Recurrent */
    {"LSTM", "LSTM", build_lstm, 0, NULL},
    {"GravesLSTM", "gravesLSTM", build_graves_lstm, 0, NULL},
    {"GravesBidirectionalLSTM", "gravesBidirectionalLSTM", build_graves_bilstm, 0, NULL},
    {"SimpleRnn", "SimpleRnn", build_simple_rnn, 0, NULL},
    /* Wrappers */
    {"Bidirectional", "Bidirectional", build_bidirectional, LK_WRAPS | LK_PAIR, fwd_bwd},
    {"LastTimeStep", "LastTimeStep", build_wrapper, LK_WRAPS, underlying_layer},
    {"TimeDistributed", NULL, build_wrapper, LK_WRAPS, underlying_layer},
    {"MaskZeroLayer", "MaskZeroLayer", build_wrapper, LK_WRAPS, underlying_layer},
    {"FrozenLayer", "FrozenLayer", build_wrapper, LK_WRAPS | LK_FREEZES, layer_underlying},
    {"FrozenLayerWithBackprop", NULL, build_wrapper, LK_WRAPS, underlying_layer},
    /* Others with parameters */
    {"VariationalAutoencoder", "VariationalAutoencoder", build_vae, 0, NULL},
    {"PReLULayer", NULL, build_prelu, 0, NULL},
    /* DL4J's own SameDiff layers: weights, then biases, all 'c' */
    {"SelfAttentionLayer", NULL, build_attention, 0, NULL},
    {"LearnedSelfAttentionLayer", NULL, build_attention, 0, NULL},
    {"RecurrentAttentionLayer", NULL, build_attention, 0, NULL},
    /* No parameters */
    {"SubsamplingLayer", "subsampling", build_none, 0, NULL},
    {"Subsampling1DLayer", "subsampling1d", build_none, 0, NULL},
    {"Subsampling3DLayer", NULL, build_none, 0, NULL},
    {"Pooling1D", NULL, build_none, 0, NULL},
    {"Pooling2D", NULL, build_none, 0, NULL},
    {"GlobalPoolingLayer", "GlobalPooling", build_none, 0, NULL},
    {"ZeroPaddingLayer", "zeroPadding", build_none, 0, NULL},
    {"ZeroPadding1DLayer", "zeroPadding1d", build_none, 0, NULL},
    {"ZeroPadding3DLayer", NULL, build_none, 0, NULL},
    {"Cropping1D", "Cropping1D", build_none, 0, NULL},
    {"Cropping2D", "Cropping2D", build_none, 0, NULL},
    {"Cropping3D", NULL, build_none, 0, NULL},
    {"Upsampling1D", NULL, build_none, 0, NULL},
    {"Upsampling2D", "Upsampling2D", build_none, 0, NULL},
    {"Upsampling3D", NULL, build_none, 0, NULL},
    {"ActivationLayer", "activation", build_none, 0, NULL},
    {"DropoutLayer", "dropout", build_none, 0, NULL},
    {"LossLayer", "loss", build_none, 0, NULL},
    {"RnnLossLayer", "RnnLossLayer", build_none, 0, NULL},
    {"CnnLossLayer", "CnnLossLayer", build_none, 0, NULL},
    {"Cnn3DLossLayer", NULL, build_none, 0, NULL},
    {"LocalResponseNormalization", "localResponseNormalization", build_none, 0, NULL},
    {"Yolo2OutputLayer", "Yolo2OutputLayer", build_none, 0, NULL},
    {"MaskLayer", "MaskLayer", build_none, 0, NULL},
    {"SpaceToDepthLayer", "SpaceToDepthLayer", build_none, 0, NULL},
    {"SpaceToBatchLayer", "SpaceToBatchLayer", build_none, 0, NULL},
    {"RepeatVector", NULL, build_none, 0, NULL},
    {"CapsuleStrengthLayer", NULL, build_none, 0, NULL},
};
#define N_LAYER_KINDS (sizeof layer_kinds / sizeof *layer_kinds)

/* The row of a class simple name (legacy = 0) or of a legacy wrapper key
   (legacy = 1), or NULL. */
static const layer_kind *find_kind(const char *name, int legacy) {
    for (size_t i = 0; i < N_LAYER_KINDS; i++) {
        const char *s = legacy ? layer_kinds[i].legacy : layer_kinds[i].simple;
        if (s != NULL && strcmp(s, name) == 0) {
            return &layer_kinds[i];
        }
    }
    return NULL;
}

/* A layer object resolved: its Java class (or legacy name), fields and kind. */
typedef struct ulayer {
    const char *cls;        /* "@class" value or legacy wrapper key */
    const layer_kind *kind; /* NULL when the class is unknown */
    const json_t *f;        /* the fields */
} ulayer;

/* Resolves a layer object of either generation.  Unknown classes get
   kind = NULL (the caller reports them); malformed objects fail. */
static int unwrap_layer(bctx *c, const json_t *L, ulayer *u) {
    memset(u, 0, sizeof *u);
    int rc = unwrap_object(c, "layer", L, &u->cls, &u->f);
    if (rc != DLZ_OK) {
        return rc;
    }
    const char *prefix = "org.deeplearning4j.nn.conf.layers.";
    if (json_object_get(L, "@class") == NULL) {
        u->kind = find_kind(u->cls, 1);
    } else if (strncmp(u->cls, prefix, strlen(prefix)) == 0) {
        u->kind = find_kind(simple_name(u->cls), 0);
    }
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* Table building                                                            */

static int grow(bctx *c, void **arr, size_t *cap, size_t n, size_t size) {
    return dlzi_grow(arr, cap, n, size) == DLZ_OK ? DLZ_OK : oom(c);
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
    if (!json_is_object(iu) && json_is_object(json_object_get(u->conf, "updater"))) {
        iu = json_object_get(u->conf, "updater"); /* SameDiff layers */
    }
    if (pp->is_bias) {
        const json_t *bu = json_object_get(u->conf, "biasUpdater");
        if (json_is_object(bu)) {
            iu = bu;
        }
    }
    if (json_is_object(iu)) {
        const json_t *fields;
        const char *name = type_of(iu, &fields);
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
#define PF_BIAS 0x1     /* a bias: "biasUpdater" applies */
#define PF_PRETRAIN 0x2 /* a pretraining parameter (its own updater block) */
#define PF_STAT 0x4     /* a statistic, not trained (see LK_NOOP_STATS) */

/* Appends a parameter of layer b at the cursor.  dims: rank sizes. */
static int add_param(bctx *c, const lbuild *b, const char *key, unsigned flags, char order,
                     int rank, const int64_t *dims) {
    dlz_params *p = c->p;
    const char *prefix = b->prefix;
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
    const char *lname = p->layers[b->layer].name;
    size_t n = strlen(lname) + 1 + strlen(prefix) + strlen(key) + 1;
    char *name = dlzi_malloc(n);
    if (name == NULL) {
        return oom(c);
    }
    snprintf(name, n, "%s/%s%s", lname, prefix, key);
    int noop = 0;
    if (b->kind != NULL && (b->kind->flags & LK_NOOP_STATS) != 0) {
        noop = (flags & PF_STAT) != 0;
        flags &= ~(unsigned)PF_BIAS;
    }
    pparam *pp = &p->params[p->nparams++];
    memset(pp, 0, sizeof *pp);
    pp->name = name;
    pp->key = name + strlen(lname) + 1;
    pp->layer = b->layer;
    pp->rank = rank;
    memcpy(pp->shape, dims, (size_t)rank * sizeof *dims);
    pp->order = order;
    pp->offset = c->cursor;
    pp->length = len;
    pp->is_bias = (flags & PF_BIAS) != 0;
    pp->pretrain = (flags & PF_PRETRAIN) != 0;
    resolve_updater(pp, b->u, noop);
    c->cursor = end;
    return DLZ_OK;
}

static int add2(bctx *c, const lbuild *b, const char *key, unsigned flags, char order, int64_t d0,
                int64_t d1) {
    int64_t d[2] = {d0, d1};
    return add_param(c, b, key, flags, order, 2, d);
}

/* A row vector [1,n]. */
static int addv(bctx *c, const lbuild *b, const char *key, unsigned flags, int64_t n) {
    return add2(c, b, key, flags, 'f', 1, n);
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

static int sizes_overflow(bctx *c, const lbuild *b) {
    return fail(c, DLZ_EFORMAT, "%s (%s): sizes overflow", c->where, b->kind->simple);
}

/* ------------------------------------------------------------------------ */
/* Layer families                                                            */

static int build_none(bctx *c, const lbuild *b) {
    (void)c;
    (void)b;
    return DLZ_OK;
}

/* nIn, nOut, hasBias (default true) and, for LK_LAYER_NORM, hasLayerNorm
   (default false), in this order. */
static int dense_fields(bctx *c, const lbuild *b, int64_t *nin, int64_t *nout, int *has_bias,
                        int *norm) {
    const char *what = b->kind->simple;
    *has_bias = 1;
    *norm = 0;
    int rc = get_nin_nout(c, what, b->f, nin, nout);
    if (rc == DLZ_OK) {
        rc = get_bool(c, what, b->f, "hasBias", 1, has_bias);
    }
    if (rc == DLZ_OK && (b->kind->flags & LK_LAYER_NORM) != 0) {
        rc = get_bool(c, what, b->f, "hasLayerNorm", 0, norm);
    }
    return rc;
}

/* W [rows,cols] 'f', then b [1,n] when has_bias, then g [1,n] when norm. */
static int add_w_b_g(bctx *c, const lbuild *b, int64_t rows, int64_t cols, int64_t n, int has_bias,
                     int norm) {
    int rc = add2(c, b, "W", 0, 'f', rows, cols);
    if (rc == DLZ_OK && has_bias) {
        rc = addv(c, b, "b", PF_BIAS, n);
    }
    if (rc == DLZ_OK && norm) {
        rc = addv(c, b, "g", 0, n);
    }
    return rc;
}

/* DefaultParamInitializer (and EmbeddingLayerParamInitializer, derived from
   it): W [nIn,nOut] f, b [1,nOut] (hasBias), g [1,nOut] (hasLayerNorm). */
static int build_dense(bctx *c, const lbuild *b) {
    int64_t nin = 0, nout = 0;
    int has_bias, norm;
    int rc = dense_fields(c, b, &nin, &nout, &has_bias, &norm);
    return rc != DLZ_OK ? rc : add_w_b_g(c, b, nin, nout, nout, has_bias, norm);
}

/* ElementWiseParamInitializer: W [1,nIn], b [1,nIn]. */
static int build_elementwise(bctx *c, const lbuild *b) {
    int64_t nin = 0, nout = 0;
    int has_bias, norm;
    int rc = dense_fields(c, b, &nin, &nout, &has_bias, &norm);
    return rc != DLZ_OK ? rc : add_w_b_g(c, b, 1, nin, nin, has_bias, norm);
}

/* nIn and nOut, then W [nIn,nOut] f and b [1,nOut]. */
static int add_w_b(bctx *c, const lbuild *b, int64_t *nin, int64_t *nout) {
    int rc = get_nin_nout(c, b->kind->simple, b->f, nin, nout);
    return rc != DLZ_OK ? rc : add_w_b_g(c, b, *nin, *nout, *nout, 1, 0);
}

/* PretrainParamInitializer (AutoEncoder, RBM): W, b, then the visible bias
   vb [1,nIn]. */
static int build_pretrain(bctx *c, const lbuild *b) {
    int64_t nin = 0, nout = 0;
    int rc = add_w_b(c, b, &nin, &nout);
    return rc != DLZ_OK ? rc : addv(c, b, "vb", PF_BIAS | PF_PRETRAIN, nin);
}

/* CenterLossParamInitializer: W, b, then the centres cL [nOut,nIn] c.
   CenterLossOutputLayer.getUpdaterByParam(): NoOp for the centres, the
   layer's updater for W and b (LK_NOOP_STATS). */
static int build_center_loss(bctx *c, const lbuild *b) {
    int64_t nin = 0, nout = 0;
    int rc = add_w_b(c, b, &nin, &nout);
    return rc != DLZ_OK ? rc : add2(c, b, "cL", PF_STAT, 'c', nout, nin);
}

/* What every convolution reads. */
typedef struct conv_fields {
    int64_t nin, nout;
    int has_bias;
    int64_t k[3]; /* kernelSize */
    size_t nk;
    int64_t dm; /* depthMultiplier; 1 unless read */
} conv_fields;

/* Reads nIn, nOut, hasBias, kernelSize (kmin..kmax entries) and, for the
   depth-wise kinds, depthMultiplier, in this order; then adds the bias, which
   comes first in the vector for every convolution. */
static int conv_begin(bctx *c, const lbuild *b, size_t kmin, size_t kmax, int depthwise,
                      conv_fields *cf) {
    const char *what = b->kind->simple;
    memset(cf, 0, sizeof *cf);
    cf->has_bias = 1;
    cf->dm = 1;
    int rc = get_nin_nout(c, what, b->f, &cf->nin, &cf->nout);
    if (rc == DLZ_OK) {
        rc = get_bool(c, what, b->f, "hasBias", 1, &cf->has_bias);
    }
    if (rc == DLZ_OK) {
        rc = get_int_array(c, what, b->f, "kernelSize", kmin, kmax, cf->k, &cf->nk);
    }
    if (rc == DLZ_OK && depthwise) {
        rc = req_int(c, what, b->f, "depthMultiplier", &cf->dm);
    }
    if (rc == DLZ_OK && cf->has_bias) {
        rc = addv(c, b, "b", PF_BIAS, cf->nout);
    }
    return rc;
}

/* ConvolutionParamInitializer (Convolution3DParamInitializer): b, then
   W [nOut,nIn,k...] c. */
static int conv_standard(bctx *c, const lbuild *b, size_t kmin, size_t kmax) {
    conv_fields cf;
    int rc = conv_begin(c, b, kmin, kmax, 0, &cf);
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t w[5] = {cf.nout, cf.nin};
    memcpy(w + 2, cf.k, cf.nk * sizeof *cf.k);
    return add_param(c, b, "W", 0, 'c', 2 + (int)cf.nk, w);
}

/* ConvolutionLayer, Convolution2D: kernel [kH,kW]. */
static int build_conv2d(bctx *c, const lbuild *b) {
    return conv_standard(c, b, 2, 2);
}

/* Convolution1DLayer, Convolution1D: DL4J runs them as 2-D convolutions of
   kernel [k,1], with k the first element of the stored kernelSize ([k], [k,1],
   or [k,k] as DL4J 1.0.0-M2.1 stores it): b, then W [nOut,nIn,k,1] c. */
static int build_conv1d(bctx *c, const lbuild *b) {
    conv_fields cf;
    int rc = conv_begin(c, b, 1, 2, 0, &cf);
    int64_t w[4] = {cf.nout, cf.nin, cf.k[0], 1};
    return rc != DLZ_OK ? rc : add_param(c, b, "W", 0, 'c', 4, w);
}

/* Convolution3D: kernel [kD,kH,kW]. */
static int build_conv3d(bctx *c, const lbuild *b) {
    return conv_standard(c, b, 3, 3);
}

/* DeconvolutionParamInitializer: b, then W [nIn,nOut,kH,kW] c. */
static int build_deconv2d(bctx *c, const lbuild *b) {
    conv_fields cf;
    int rc = conv_begin(c, b, 2, 2, 0, &cf);
    int64_t w[4] = {cf.nin, cf.nout, cf.k[0], cf.k[1]};
    return rc != DLZ_OK ? rc : add_param(c, b, "W", 0, 'c', 4, w);
}

/* Deconvolution3DParamInitializer: b, then W [kD,kH,kW,nOut,nIn] c. */
static int build_deconv3d(bctx *c, const lbuild *b) {
    conv_fields cf;
    int rc = conv_begin(c, b, 3, 3, 0, &cf);
    int64_t w[5] = {cf.k[0], cf.k[1], cf.k[2], cf.nout, cf.nin};
    return rc != DLZ_OK ? rc : add_param(c, b, "W", 0, 'c', 5, w);
}

/* The bias comes first in the vector; DL4J's paramTable() lists it last for
   the depth-wise and separable convolutions. */
static int bias_last(bctx *c, size_t start, const conv_fields *cf, int rc) {
    if (rc == DLZ_OK && cf->has_bias) {
        move_first_last(c->p, start);
    }
    return rc;
}

/* DepthwiseConvolutionParamInitializer: b, then W [kH,kW,nIn,depthMultiplier] c. */
static int build_depthwise(bctx *c, const lbuild *b) {
    size_t start = c->p->nparams;
    conv_fields cf;
    int rc = conv_begin(c, b, 2, 2, 1, &cf);
    int64_t w[4] = {cf.k[0], cf.k[1], cf.nin, cf.dm};
    if (rc == DLZ_OK) {
        rc = add_param(c, b, "W", 0, 'c', 4, w);
    }
    return bias_last(c, start, &cf, rc);
}

/* SeparableConvolutionParamInitializer: b, then the depth-wise
   W [depthMultiplier,nIn,kH,kW] c and the point-wise pW [nOut,nIn*depthMultiplier,1,1] c. */
static int build_separable(bctx *c, const lbuild *b) {
    size_t start = c->p->nparams;
    conv_fields cf;
    int rc = conv_begin(c, b, 2, 2, 1, &cf);
    int64_t w[4] = {cf.dm, cf.nin, cf.k[0], cf.k[1]}, pw[4] = {cf.nout, 0, 1, 1};
    if (rc == DLZ_OK) {
        rc = add_param(c, b, "W", 0, 'c', 4, w);
    }
    if (rc == DLZ_OK && mul64(cf.nin, cf.dm, &pw[1]) != 0) {
        rc = sizes_overflow(c, b);
    }
    if (rc == DLZ_OK) {
        rc = add_param(c, b, "pW", 0, 'c', 4, pw);
    }
    return bias_last(c, start, &cf, rc);
}

/* BatchNormalizationParamInitializer: gamma, beta (unless lockGammaBeta),
   then the statistics mean and var (log10stdev with useLogStd), all [1,nOut];
   the statistics have no updater state (LK_NOOP_STATS). */
static int build_batchnorm(bctx *c, const lbuild *b) {
    const char *what = b->kind->simple;
    int64_t nout = 0;
    int lock = 0, logstd = 0;
    int rc = get_dim(c, what, b->f, "nout", "nOut", &nout);
    if (rc == DLZ_OK) {
        rc = get_bool(c, what, b->f, "lockGammaBeta", 0, &lock);
    }
    if (rc == DLZ_OK) {
        rc = get_bool(c, what, b->f, "useLogStd", 0, &logstd);
    }
    if (rc == DLZ_OK && !lock) {
        rc = addv(c, b, "gamma", 0, nout);
        if (rc == DLZ_OK) {
            rc = addv(c, b, "beta", 0, nout);
        }
    }
    if (rc == DLZ_OK) {
        rc = addv(c, b, "mean", PF_STAT, nout);
    }
    if (rc == DLZ_OK) {
        rc = addv(c, b, logstd ? "log10stdev" : "var", PF_STAT, nout);
    }
    return rc;
}

/* A recurrent layer with `gates` gate blocks: W<sfx> [nIn,gates*nOut] f,
   RW<sfx> [nOut,gates*nOut+peep] f (peep: GravesLSTM's peephole columns),
   b<sfx> [1,gates*nOut] when has_bias, g [1,2*nOut] when norm. */
static int rnn_params(bctx *c, const lbuild *b, const char *sfx, int64_t nin, int64_t nout,
                      int64_t gates, int64_t peep, int has_bias, int norm) {
    int64_t gn, rw;
    if (mul64(nout, gates, &gn) != 0 || add64(gn, peep, &rw) != 0) {
        return sizes_overflow(c, b);
    }
    char kw[8], krw[8], kb[8];
    snprintf(kw, sizeof kw, "W%s", sfx);
    snprintf(krw, sizeof krw, "RW%s", sfx);
    snprintf(kb, sizeof kb, "b%s", sfx);
    int rc = add2(c, b, kw, 0, 'f', nin, gn);
    if (rc == DLZ_OK) {
        rc = add2(c, b, krw, 0, 'f', nout, rw);
    }
    if (rc == DLZ_OK && has_bias) {
        rc = addv(c, b, kb, PF_BIAS, gn);
    }
    if (rc == DLZ_OK && norm) {
        int64_t two;
        rc = mul64(nout, 2, &two) == 0 ? addv(c, b, "g", 0, two) : sizes_overflow(c, b);
    }
    return rc;
}

/* LSTMParamInitializer: W [nIn,4*nOut], RW [nOut,4*nOut], b [1,4*nOut]. */
static int build_lstm(bctx *c, const lbuild *b) {
    int64_t nin = 0, nout = 0;
    int rc = get_nin_nout(c, b->kind->simple, b->f, &nin, &nout);
    return rc != DLZ_OK ? rc : rnn_params(c, b, "", nin, nout, 4, 0, 1, 0);
}

/* GravesLSTMParamInitializer: as LSTM with 3 peephole columns in RW. */
static int build_graves_lstm(bctx *c, const lbuild *b) {
    int64_t nin = 0, nout = 0;
    int rc = get_nin_nout(c, b->kind->simple, b->f, &nin, &nout);
    return rc != DLZ_OK ? rc : rnn_params(c, b, "", nin, nout, 4, 3, 1, 0);
}

/* GravesBidirectionalLSTMParamInitializer: WF, RWF, bF, then WB, RWB, bB,
   each as GravesLSTM. */
static int build_graves_bilstm(bctx *c, const lbuild *b) {
    int64_t nin = 0, nout = 0;
    int rc = get_nin_nout(c, b->kind->simple, b->f, &nin, &nout);
    if (rc == DLZ_OK) {
        rc = rnn_params(c, b, "F", nin, nout, 4, 3, 1, 0);
    }
    if (rc == DLZ_OK) {
        rc = rnn_params(c, b, "B", nin, nout, 4, 3, 1, 0);
    }
    return rc;
}

/* SimpleRnnParamInitializer: W [nIn,nOut], RW [nOut,nOut], b [1,nOut]
   (useBias), g [1,2*nOut] (hasLayerNorm). */
static int build_simple_rnn(bctx *c, const lbuild *b) {
    const char *what = b->kind->simple;
    int64_t nin = 0, nout = 0;
    int has_bias = 1, norm = 0;
    int rc = get_nin_nout(c, what, b->f, &nin, &nout);
    if (rc == DLZ_OK) {
        rc = get_bool(c, what, b->f, "hasLayerNorm", 0, &norm);
    }
    if (rc == DLZ_OK) {
        rc = get_bool(c, what, b->f, "useBias", 1, &has_bias);
    }
    return rc != DLZ_OK ? rc : rnn_params(c, b, "", nin, nout, 1, 0, has_bias, norm);
}

/* PReLUParamInitializer: W with the input shape, shared axes set to 1, 'f'. */
static int build_prelu(bctx *c, const lbuild *b) {
    const char *what = b->kind->simple;
    int64_t shape[DLZ_MAX_RANK], axes[DLZ_MAX_RANK];
    size_t rank, naxes = 0;
    int rc = get_int_array(c, what, b->f, "inputShape", 1, DLZ_MAX_RANK, shape, &rank);
    if (rc != DLZ_OK) {
        return rc;
    }
    const json_t *sa = json_object_get(b->f, "sharedAxes");
    if (sa != NULL && !json_is_null(sa)) {
        rc = get_int_array(c, what, b->f, "sharedAxes", 0, DLZ_MAX_RANK, axes, &naxes);
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
    return add_param(c, b, "W", 0, 'f', (int)rank, shape);
}

/* Size of the p(x|z) distribution parameters of a VAE reconstruction
   distribution for data of size n (ReconstructionDistribution.distributionInputSize). */
static int vae_dist_size(bctx *c, const json_t *d, int64_t n, int depth, int64_t *out) {
    if (depth > MAX_WRAP_DEPTH) {
        return fail(c, DLZ_EFORMAT, "%s: reconstruction distributions nested too deeply", c->where);
    }
    const json_t *f = d;
    const char *name = type_of(d, &f);
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

/* VariationalAutoencoderParamInitializer: the encoder layers e<i>W, e<i>b, the mean and
   log-variance of p(z|x), the decoder layers d<i>W, d<i>b (pretraining) and
   the parameters of p(x|z). */
static int build_vae(bctx *c, const lbuild *b) {
    const char *what = "VariationalAutoencoder";
    const json_t *f = b->f;
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
        rc = add2(c, b, key, 0, 'f', in, enc[i]);
        snprintf(key, sizeof key, "e%zub", i);
        if (rc == DLZ_OK) {
            rc = addv(c, b, key, PF_BIAS, enc[i]);
        }
        in = enc[i];
    }
    if (rc == DLZ_OK) {
        rc = add2(c, b, "pZXMeanW", 0, 'f', in, nout);
    }
    if (rc == DLZ_OK) {
        rc = addv(c, b, "pZXMeanb", PF_BIAS, nout);
    }
    if (rc == DLZ_OK) {
        rc = add2(c, b, "pZXLogStd2W", PF_PRETRAIN, 'f', in, nout);
    }
    if (rc == DLZ_OK) {
        rc = addv(c, b, "pZXLogStd2b", PF_PRETRAIN | PF_BIAS, nout);
    }
    in = nout;
    for (size_t i = 0; rc == DLZ_OK && i < ndec; i++) {
        snprintf(key, sizeof key, "d%zuW", i);
        rc = add2(c, b, key, PF_PRETRAIN, 'f', in, dec[i]);
        snprintf(key, sizeof key, "d%zub", i);
        if (rc == DLZ_OK) {
            rc = addv(c, b, key, PF_PRETRAIN | PF_BIAS, dec[i]);
        }
        in = dec[i];
    }
    if (rc == DLZ_OK) {
        rc = add2(c, b, "pXZW", PF_PRETRAIN, 'f', in, dist);
    }
    if (rc == DLZ_OK) {
        rc = addv(c, b, "pXZb", PF_PRETRAIN | PF_BIAS, dist);
    }
    return rc;
}

/* The SameDiff attention layers.  Their parameters come from
   defineParameters() through SDLayerParams: the weights in the order added,
   then the biases, each reshaped in 'c' order from consecutive values of the
   flat vector (SameDiffParamInitializer).  headSize 0 means nOut / nHeads. */
typedef struct sdparam {
    const char *key;
    int rank;
    int64_t d[3];
    int bias;
} sdparam;

/* Checks a computed shape against the shape the layer stored under
   "layerParams" (weightParams / biasParams), when it stored one. */
static int sd_check_stored(bctx *c, const lbuild *b, const sdparam *sp) {
    const json_t *lp = json_object_get(b->f, "layerParams");
    const json_t *group = json_object_get(lp, sp->bias ? "biasParams" : "weightParams");
    const json_t *st = json_object_get(group, sp->key);
    if (!json_is_array(st)) {
        return json_is_object(group)
                   ? fail(c, DLZ_EFORMAT, "%s (%s): 'layerParams' has no shape for '%s'", c->where,
                          b->kind->simple, sp->key)
                   : DLZ_OK;
    }
    int ok = json_array_size(st) == (size_t)sp->rank;
    for (int k = 0; ok && k < sp->rank; k++) {
        const json_t *e = json_array_get(st, (size_t)k);
        ok = json_is_integer(e) && json_integer_value(e) == sp->d[k];
    }
    return ok ? DLZ_OK
              : fail(c, DLZ_EFORMAT,
                     "%s (%s): 'layerParams' gives '%s' another shape than nIn, nOut, nHeads "
                     "and headSize do",
                     c->where, b->kind->simple, sp->key);
}

static int build_attention(bctx *c, const lbuild *b) {
    const char *what = b->kind->simple;
    int learned = strcmp(what, "LearnedSelfAttentionLayer") == 0;
    int recurrent = strcmp(what, "RecurrentAttentionLayer") == 0;
    int64_t nin = 0, nout = 0, heads = 0, hs = 0, nq = 0, hn;
    int project = 1, has_bias = 1;
    int rc = get_nin_nout(c, what, b->f, &nin, &nout);
    if (rc == DLZ_OK) {
        rc = req_int(c, what, b->f, "nheads", &heads);
    }
    if (rc == DLZ_OK) {
        rc = opt_int(c, what, b->f, "headSize", &hs);
        rc = rc == DLZ_ENOTFOUND ? DLZ_OK : rc;
    }
    if (rc == DLZ_OK) {
        rc = get_bool(c, what, b->f, "projectInput", 0, &project);
    }
    if (rc == DLZ_OK && learned) {
        rc = req_int(c, what, b->f, "nqueries", &nq);
    }
    if (rc == DLZ_OK && recurrent) {
        rc = get_bool(c, what, b->f, "hasBias", 1, &has_bias);
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    if (hs == 0 && heads > 0) {
        hs = nout / heads;
    }
    if (mul64(heads, hs, &hn) != 0) {
        return sizes_overflow(c, b);
    }
    sdparam ps[8];
    size_t n = 0;
    if (recurrent) {
        ps[n++] = (sdparam){"W", 2, {nin, nout, 0}, 0};
        ps[n++] = (sdparam){"RW", 2, {nout, nout, 0}, 0};
    }
    if (learned) {
        ps[n++] = (sdparam){"Q", 3, {1, nin, nq}, 0};
    }
    if (project) {
        ps[n++] = (sdparam){"Wq", 3, {heads, hs, recurrent ? nout : nin}, 0};
        ps[n++] = (sdparam){"Wk", 3, {heads, hs, nin}, 0};
        ps[n++] = (sdparam){"Wv", 3, {heads, hs, nin}, 0};
        ps[n++] = (sdparam){"Wo", 2, {hn, nout, 0}, 0};
    }
    if (recurrent && has_bias) {
        ps[n++] = (sdparam){"b", 1, {nout, 0, 0}, 1};
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        rc = sd_check_stored(c, b, &ps[i]);
        if (rc == DLZ_OK) {
            rc = ps[i].bias ? addv(c, b, ps[i].key, PF_BIAS, ps[i].d[0])
                            : add_param(c, b, ps[i].key, 0, 'c', ps[i].rank, ps[i].d);
        }
    }
    return rc;
}

/* Wrappers */

static int build_layer(bctx *c, const lbuild *in, const json_t *L);

/* Builds layer object L, wrapped by b, one level deeper. */
static int build_nested(bctx *c, const lbuild *b, const json_t *L, const char *prefix,
                        const usrc *upd, int frozen, char *type, size_t typecap) {
    lbuild in = {.layer = b->layer,
                 .prefix = prefix,
                 .upd = upd,
                 .frozen = frozen,
                 .type = type,
                 .typecap = typecap,
                 .depth = b->depth + 1};
    return build_layer(c, &in, L);
}

/* The fields that hold the updater configuration of a layer: wrappers
   delegate getUpdaterByParam() to the layer they wrap, Bidirectional to its
   forward layer.  A single wrapped layer is looked for under "underlying",
   then "layer", for every wrapper (FrozenLayer too, which build_wrapper
   looks for under "layer" first). */
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
        const layer_kind *k = u.kind;
        if (k == NULL || (k->flags & LK_WRAPS) == 0) {
            return u.f;
        }
        const json_t *next;
        if ((k->flags & LK_PAIR) != 0) {
            next = json_object_get(u.f, k->inner[0]);
        } else {
            next = json_object_get(u.f, "underlying");
            if (next == NULL || json_is_null(next)) {
                next = json_object_get(u.f, "layer");
            }
        }
        if (next == NULL || json_is_null(next)) {
            return u.f;
        }
        L = next;
    }
    return NULL;
}

/* LastTimeStep, TimeDistributed, MaskZeroLayer, FrozenLayer,
   FrozenLayerWithBackprop: exactly the parameters of the wrapped layer, whose
   type is shown in parentheses. */
static int build_wrapper(bctx *c, const lbuild *b) {
    const layer_kind *k = b->kind;
    const json_t *inner = json_object_get(b->f, k->inner[0]);
    if (inner == NULL || json_is_null(inner)) {
        inner = json_object_get(b->f, k->inner[1]);
    }
    if (inner == NULL || json_is_null(inner)) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' (the wrapped layer) is missing", c->where,
                    k->simple, k->inner[0]);
    }
    int frozen = b->frozen || (k->flags & LK_FREEZES) != 0;
    dlzi_str_append(b->type, b->typecap, "(");
    int rc = build_nested(c, b, inner, b->prefix, b->upd, frozen, b->type, b->typecap);
    dlzi_str_append(b->type, b->typecap, ")");
    return rc;
}

/* BidirectionalParamInitializer: the forward layer's parameters prefixed "f",
   then the backward layer's prefixed "b".  Both copies take their updater
   from the forward layer, as Bidirectional.getUpdaterByParam() does. */
static int build_bidirectional(bctx *c, const lbuild *b) {
    const char *kf = b->kind->inner[0], *kb = b->kind->inner[1];
    const json_t *fwd = json_object_get(b->f, kf);
    const json_t *bwd = json_object_get(b->f, kb);
    if (fwd == NULL || json_is_null(fwd) || bwd == NULL || json_is_null(bwd)) {
        return fail(c, DLZ_EFORMAT, "%s (%s): '%s' or '%s' is missing", c->where, b->kind->simple,
                    kf, kb);
    }
    usrc fsrc = {updater_fields(fwd), b->frozen};
    const usrc *bu = b->upd != NULL ? b->upd : &fsrc;
    char pf[64], pb[64];
    if (strlen(b->prefix) + 2 > sizeof pf) {
        return fail(c, DLZ_EFORMAT, "%s: layer wrappers nested too deeply", c->where);
    }
    snprintf(pf, sizeof pf, "%sf", b->prefix);
    snprintf(pb, sizeof pb, "%sb", b->prefix);
    dlzi_str_append(b->type, b->typecap, "(");
    int rc = build_nested(c, b, fwd, pf, bu, b->frozen, b->type, b->typecap);
    dlzi_str_append(b->type, b->typecap, ")");
    if (rc == DLZ_OK) {
        char scratch[256] = "";
        rc = build_nested(c, b, bwd, pb, bu, b->frozen, scratch, sizeof scratch);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Layers                                                                    */

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
static int build_assumed(bctx *c, const lbuild *b, const ulayer *ul) {
    int64_t nin = 0, nout = 0;
    const json_t *hb = json_object_get(ul->f, "hasBias");
    if ((c->flags & DLZ_PARAMS_ASSUME_DENSE) == 0 ||
        strncmp(ul->cls, "org.deeplearning4j.nn.", 22) == 0 ||
        !assumed_dim(ul->f, "nin", "nIn", &nin) || !assumed_dim(ul->f, "nout", "nOut", &nout) ||
        (hb != NULL && !json_is_null(hb) && !json_is_boolean(hb))) {
        return DLZ_ENOTFOUND;
    }
    size_t start = c->p->nparams;
    int rc = add2(c, b, "W", 0, 'f', nin, nout);
    if (rc == DLZ_OK && !json_is_false(hb)) {
        rc = addv(c, b, "b", PF_BIAS, nout);
    }
    for (size_t i = start; i < c->p->nparams; i++) {
        c->p->params[i].assumed = 1;
    }
    c->p->layers[b->layer].assumed = 1;
    return rc;
}

/* Adds the parameters of layer object L (fields of a layer of either
   generation) to the table with the builder of its kind, appending its type
   name to in->type. */
static int build_layer(bctx *c, const lbuild *in, const json_t *L) {
    if (in->depth > MAX_WRAP_DEPTH) {
        return fail(c, DLZ_EFORMAT, "%s: layer wrappers nested too deeply", c->where);
    }
    ulayer ul;
    int rc = unwrap_layer(c, L, &ul);
    if (rc != DLZ_OK) {
        return rc;
    }
    lbuild b = *in;
    usrc frozen_upd, own = {ul.f, in->frozen};
    if (b.upd != NULL && b.frozen && !b.upd->frozen) {
        frozen_upd = *b.upd;
        frozen_upd.frozen = 1;
        b.upd = &frozen_upd;
    }
    b.kind = ul.kind;
    b.f = ul.f;
    b.u = b.upd != NULL ? b.upd : &own;
    if (ul.kind == NULL) {
        rc = build_assumed(c, &b, &ul);
        if (rc != DLZ_ENOTFOUND) {
            dlzi_str_append(b.type, b.typecap, simple_name(ul.cls));
            return rc;
        }
        return fail(c, DLZ_EUNSUPPORTED,
                    "%s (class %.200s): unknown layer type; parameter layout unknown", c->where,
                    ul.cls);
    }
    dlzi_str_append(b.type, b.typecap, ul.kind->simple);
    return ul.kind->build(c, &b);
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
    lbuild b = {.layer = li, .prefix = "", .frozen = frozen, .type = type, .typecap = sizeof type};
    rc = build_layer(c, &b, L);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (frozen) {
        dlzi_str_append(type, sizeof type, ")");
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

/* A vertex being laid out. */
typedef struct vbuild {
    const char *name; /* the vertex name */
    int64_t index;    /* DL4J's vertex index */
    const char *cls;  /* "@class" value or legacy wrapper key */
    const json_t *f;  /* its fields */
    int frozen;       /* inside a FrozenVertex */
    int depth;        /* FrozenVertex nesting */
} vbuild;

static int build_vertex(bctx *c, const char *name, int64_t index, const json_t *v, int frozen,
                        int depth);

/* LayerVertex: the layer in "layerConf". */
static int vertex_layer(bctx *c, const vbuild *v) {
    const json_t *lc = json_object_get(v->f, "layerConf");
    const json_t *L = json_is_object(lc) ? json_object_get(lc, "layer") : NULL;
    if (L == NULL || json_is_null(L)) {
        return fail(c, DLZ_EFORMAT, "%s (LayerVertex): 'layerConf' has no 'layer'", c->where);
    }
    return build_entry(c, v->name, layer_name_of(L), v->index, L, v->frozen);
}

/* FrozenVertex: the vertex in "underlying", frozen. */
static int vertex_frozen(bctx *c, const vbuild *v) {
    const json_t *under = json_object_get(v->f, "underlying");
    if (under == NULL || json_is_null(under)) {
        return fail(c, DLZ_EFORMAT, "%s (FrozenVertex): 'underlying' is missing", c->where);
    }
    if (v->depth > MAX_WRAP_DEPTH) {
        return fail(c, DLZ_EFORMAT, "%s: vertex wrappers nested too deeply", c->where);
    }
    return build_vertex(c, v->name, v->index, under, 1, v->depth + 1);
}

/* A vertex without parameters: an entry of its own type. */
static int vertex_plain(bctx *c, const vbuild *v) {
    size_t li;
    int rc = add_layer(c, v->name, NULL, v->index, &li);
    return rc != DLZ_OK ? rc : finish_layer(c, li, simple_name(v->cls), v->cls);
}

/* Vertex classes of org.deeplearning4j.nn.conf.graph (and subpackages) by
   simple name, which is also their legacy wrapper key, and their builders. */
static const struct vertex_kind {
    const char *simple;
    int (*build)(bctx *c, const vbuild *v);
} vertex_kinds[] = {
    {"LayerVertex", vertex_layer},        {"FrozenVertex", vertex_frozen},
    {"ElementWiseVertex", vertex_plain},  {"L2NormalizeVertex", vertex_plain},
    {"L2Vertex", vertex_plain},           {"MergeVertex", vertex_plain},
    {"PoolHelperVertex", vertex_plain},   {"PreprocessorVertex", vertex_plain},
    {"ReshapeVertex", vertex_plain},      {"ScaleVertex", vertex_plain},
    {"ShiftVertex", vertex_plain},        {"StackVertex", vertex_plain},
    {"SubsetVertex", vertex_plain},       {"UnstackVertex", vertex_plain},
    {"InputVertex", vertex_plain},        {"DuplicateToTimeSeriesVertex", vertex_plain},
    {"LastTimeStepVertex", vertex_plain}, {"ReverseTimeSeriesVertex", vertex_plain},
};

/* The row of a vertex class (or legacy key), or NULL. */
static const struct vertex_kind *find_vertex_kind(const char *cls) {
    const char *s = simple_name(cls);
    int known_pkg =
        strchr(cls, '.') == NULL || strncmp(cls, "org.deeplearning4j.nn.conf.graph.", 33) == 0;
    for (size_t i = 0; known_pkg && i < sizeof vertex_kinds / sizeof *vertex_kinds; i++) {
        if (strcmp(s, vertex_kinds[i].simple) == 0) {
            return &vertex_kinds[i];
        }
    }
    return NULL;
}

static int build_vertex(bctx *c, const char *name, int64_t index, const json_t *v, int frozen,
                        int depth) {
    vbuild vb = {name, index, NULL, NULL, frozen, depth};
    int rc = unwrap_object(c, "vertex", v, &vb.cls, &vb.f);
    if (rc != DLZ_OK) {
        return rc;
    }
    const struct vertex_kind *k = find_vertex_kind(vb.cls);
    if (k != NULL) {
        return k->build(c, &vb);
    }
    return fail(c, DLZ_EUNSUPPORTED,
                "%s (class %.200s): unknown vertex type; parameter layout unknown", c->where,
                vb.cls);
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

/* A graph: the network inputs (nodes 0 .. ni-1), then the vertices in
   configuration order. */
typedef struct graph {
    gnode *nodes;
    size_t ni, n;   /* network inputs; all nodes */
    name_ix *ix;    /* the names, sorted */
    int64_t *order; /* the node at each position of the topological order */
    int64_t *index; /* DL4J's vertex index at each position (stored order), or NULL */
} graph;

static void graph_free(graph *g) {
    free_nodes(g->nodes, g->n);
    dlzi_free(g->ix);
    dlzi_free(g->order);
    dlzi_free(g->index);
}

/* The nodes and their names, which must be unique. */
static int graph_nodes(bctx *c, graph *g, const json_t *inputs, const json_t *vertices) {
    size_t n = g->n;
    g->nodes = dlzi_calloc(n + 1, sizeof *g->nodes);
    g->ix = dlzi_calloc(n + 1, sizeof *g->ix);
    g->order = dlzi_calloc(n + 1, sizeof *g->order);
    if (g->nodes == NULL || g->ix == NULL || g->order == NULL) {
        return oom(c);
    }
    for (size_t i = 0; i < g->ni; i++) {
        const json_t *s = json_array_get(inputs, i);
        if (!json_is_string(s)) {
            return fail(c, DLZ_EFORMAT, "'networkInputs'[%zu] is not a string", i);
        }
        g->nodes[i].name = json_string_value(s);
    }
    size_t i = g->ni;
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)vertices, key, val) {
        g->nodes[i].name = key;
        g->nodes[i].vertex = val;
        i++;
    }
    for (i = 0; i < n; i++) {
        g->ix[i].name = g->nodes[i].name;
        g->ix[i].node = i;
    }
    qsort(g->ix, n, sizeof *g->ix, cmp_name_ix);
    for (i = 1; i < n; i++) {
        if (strcmp(g->ix[i - 1].name, g->ix[i].name) == 0) {
            return fail(c, DLZ_EFORMAT, "the name '%.100s' is used twice (network input or vertex)",
                        g->ix[i].name);
        }
    }
    return DLZ_OK;
}

/* The edges into vertex v from its "vertexInputs" list, in list order. */
static int graph_inputs(bctx *c, graph *g, size_t v, const json_t *list) {
    gnode *nodes = g->nodes;
    if (!json_is_array(list)) {
        return fail(c, DLZ_EFORMAT, "'vertexInputs' of vertex '%.100s' is not an array",
                    nodes[v].name);
    }
    for (size_t k = 0; k < json_array_size(list); k++) {
        const json_t *s = json_array_get(list, k);
        size_t from;
        if (!json_is_string(s)) {
            return fail(c, DLZ_EFORMAT,
                        "'vertexInputs' of vertex '%.100s': item %zu is not a "
                        "string",
                        nodes[v].name, k);
        }
        if (!lookup(g->ix, g->n, json_string_value(s), &from)) {
            return fail(c, DLZ_EFORMAT,
                        "vertex '%.100s' has input '%.100s', which is neither a network input "
                        "nor a vertex",
                        nodes[v].name, json_string_value(s));
        }
        size_t before = nodes[from].nsucc;
        int rc = add_edge(c, &nodes[from], (int64_t)v);
        if (rc != DLZ_OK) {
            return rc;
        }
        if (nodes[from].nsucc != before) {
            nodes[v].indeg++;
        }
    }
    return DLZ_OK;
}

/* Edges, in the order DL4J inserts them: vertices in configuration order,
   each vertex's inputs in list order.  vin: "vertexInputs", an object or
   absent. */
static int graph_edges(bctx *c, graph *g, const json_t *vin) {
    for (size_t v = g->ni; v < g->n; v++) {
        const json_t *list = json_is_object(vin) ? json_object_get(vin, g->nodes[v].name) : NULL;
        if (list == NULL || json_is_null(list)) {
            continue;
        }
        int rc = graph_inputs(c, g, v, list);
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    if (json_is_object(vin)) {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)vin, key, val) {
            size_t at;
            if (!lookup(g->ix, g->n, key, &at) || at < g->ni) {
                return fail(c, DLZ_EFORMAT, "'vertexInputs' names '%.100s', which is not a vertex",
                            key);
            }
        }
    }
    return DLZ_OK;
}

/* The stored order: "topologicalOrder" (vertex indices) and
   "topologicalOrderStr" (names), one entry per node each. */
static int graph_stored_order(bctx *c, graph *g, const json_t *t, const json_t *ts) {
    size_t n = g->n;
    if (json_array_size(t) != n || json_array_size(ts) != n) {
        return fail(c, DLZ_EFORMAT,
                    "'topologicalOrder' / 'topologicalOrderStr' have %zu / %zu entries for "
                    "%zu network inputs and vertices",
                    json_array_size(t), json_array_size(ts), n);
    }
    g->index = dlzi_calloc(n + 1, sizeof *g->index);
    unsigned char *seen = dlzi_calloc(n + 1, 1);
    unsigned char *seen_ix = dlzi_calloc(n + 1, 1);
    int rc = DLZ_OK;
    if (g->index == NULL || seen == NULL || seen_ix == NULL) {
        rc = oom(c);
    }
    for (size_t i = 0; i < n && rc == DLZ_OK; i++) {
        const json_t *e = json_array_get(t, i), *s = json_array_get(ts, i);
        size_t node;
        if (!json_is_integer(e) || json_integer_value(e) < 0 ||
            (size_t)json_integer_value(e) >= n || seen_ix[json_integer_value(e)]) {
            rc = fail(c, DLZ_EFORMAT, "'topologicalOrder'[%zu] is not a new vertex index", i);
        } else if (!json_is_string(s) || !lookup(g->ix, n, json_string_value(s), &node) ||
                   seen[node]) {
            rc = fail(c, DLZ_EFORMAT,
                      "'topologicalOrderStr'[%zu] does not name a new network input or vertex", i);
        } else {
            seen_ix[json_integer_value(e)] = 1;
            seen[node] = 1;
            g->order[i] = (int64_t)node;
            g->index[i] = (int64_t)json_integer_value(e);
        }
    }
    dlzi_free(seen);
    dlzi_free(seen_ix);
    return rc;
}

/* The order: the stored one when both lists are present, as DL4J;
   otherwise computed. */
static int graph_order(bctx *c, graph *g, const json_t *root) {
    const json_t *t = json_object_get(root, "topologicalOrder");
    const json_t *ts = json_object_get(root, "topologicalOrderStr");
    if (json_is_array(t) && json_is_array(ts)) {
        return graph_stored_order(c, g, t, ts);
    }
    return kahn(c, g->nodes, g->n, g->order);
}

/* The vertices' entries and parameters, in topological order. */
static int graph_layout(bctx *c, const graph *g) {
    int rc = DLZ_OK;
    for (size_t i = 0; i < g->n && rc == DLZ_OK; i++) {
        const gnode *node = &g->nodes[g->order[i]];
        if (node->vertex == NULL) {
            continue; /* a network input */
        }
        snprintf(c->where, sizeof c->where, "vertex '%.100s'", node->name);
        rc = build_vertex(c, node->name, g->index != NULL ? g->index[i] : g->order[i], node->vertex,
                          0, 0);
    }
    return rc;
}

/* The graph of a ComputationGraph configuration: its nodes, edges and
   topological order, checked.  On failure the caller frees g. */
static int graph_build(bctx *c, const json_t *root, graph *g) {
    memset(g, 0, sizeof *g);
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
    g->ni = json_array_size(inputs);
    g->n = g->ni + json_object_size(vertices);
    if (g->n > (size_t)INT32_MAX) {
        return fail(c, DLZ_ELIMIT, "the graph has too many vertices");
    }
    int rc = graph_nodes(c, g, inputs, vertices);
    if (rc == DLZ_OK) {
        rc = graph_edges(c, g, vin);
    }
    return rc == DLZ_OK ? graph_order(c, g, root) : rc;
}

static int build_cg(bctx *c, const json_t *root) {
    graph g;
    int rc = graph_build(c, root, &g);
    if (rc == DLZ_OK) {
        rc = graph_layout(c, &g);
    }
    graph_free(&g);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The configuration walk, shared with the network description (network.c)  */

const char *dlzi_config_simple_name(const char *cls) {
    return simple_name(cls);
}

const char *dlzi_config_type_of(const json_t *o, const json_t **fields) {
    return type_of(o, fields);
}

const char *dlzi_config_layer_name(const json_t *layer) {
    return layer_name_of(layer);
}

int dlzi_config_layer(const json_t *layer, const char *where, dlzi_config_ref *out, dlzi_err *err) {
    bctx c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    c.err = err;
    snprintf(c.where, sizeof c.where, "%s", where);
    ulayer u;
    int rc = unwrap_layer(&c, layer, &u);
    if (rc != DLZ_OK) {
        return rc;
    }
    out->cls = u.cls;
    out->fields = u.f;
    if (u.kind != NULL) {
        out->simple = u.kind->simple;
        if ((u.kind->flags & LK_WRAPS) != 0) {
            out->inner[0] = u.kind->inner[0];
            out->inner[1] = u.kind->inner[1];
            out->pair = (u.kind->flags & LK_PAIR) != 0;
            out->freezes = (u.kind->flags & LK_FREEZES) != 0;
        }
    }
    return DLZ_OK;
}

int dlzi_config_vertex(const json_t *vertex, const char *where, dlzi_config_ref *out,
                       dlzi_err *err) {
    bctx c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    c.err = err;
    snprintf(c.where, sizeof c.where, "%s", where);
    int rc = unwrap_object(&c, "vertex", vertex, &out->cls, &out->fields);
    if (rc != DLZ_OK) {
        return rc;
    }
    const struct vertex_kind *k = find_vertex_kind(out->cls);
    out->simple = k != NULL ? k->simple : NULL;
    return DLZ_OK;
}

int dlzi_config_graph_order(const json_t *root, dlzi_config_graph *out, dlzi_err *err) {
    bctx c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    c.err = err;
    graph g;
    int rc = graph_build(&c, root, &g);
    if (rc == DLZ_OK) {
        out->names = dlzi_calloc(g.n + 1, sizeof *out->names);
        out->vertices = dlzi_calloc(g.n + 1, sizeof *out->vertices);
        out->index = dlzi_calloc(g.n + 1, sizeof *out->index);
        if (out->names == NULL || out->vertices == NULL || out->index == NULL) {
            rc = oom(&c);
        }
    }
    for (size_t i = 0; rc == DLZ_OK && i < g.n; i++) {
        const gnode *node = &g.nodes[g.order[i]];
        out->names[i] = node->name;
        out->vertices[i] = node->vertex;
        out->index[i] = g.index != NULL ? g.index[i] : g.order[i];
    }
    out->n = rc == DLZ_OK ? g.n : 0;
    out->ni = g.ni;
    graph_free(&g);
    if (rc != DLZ_OK) {
        dlzi_config_graph_free(out);
    }
    return rc;
}

void dlzi_config_graph_free(dlzi_config_graph *g) {
    dlzi_free(g->names);
    dlzi_free(g->vertices);
    dlzi_free(g->index);
    memset(g, 0, sizeof *g);
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

static int parse(const char *json, size_t len, unsigned flags, const dlzi_json_budget *budget,
                 dlz_params **out, dlzi_err *err) {
    *out = NULL;
    json_t *root;
    int rc0 =
        dlzi_json_load(json, len, budget, DLZI_JSON_ALLOW_NUL, "configuration.json", &root, err);
    if (rc0 != DLZ_OK) {
        return rc0;
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

int dlzi_params_parse(const char *json, size_t len, unsigned flags, const dlzi_json_budget *budget,
                      dlz_params **out, dlzi_err *err) {
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL || (json == NULL && len > 0)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL argument");
    }
    if ((flags & ~(unsigned)KNOWN_FLAGS) != 0) {
        return dlzi_err_set(err, DLZ_EMISUSE, "unknown flags 0x%x", flags & ~(unsigned)KNOWN_FLAGS);
    }
    static const dlzi_json_budget defaults = {DLZI_JSON_DEFAULT_NODES, DLZI_JSON_DEFAULT_DEPTH};
    return parse(json != NULL ? json : "", len, flags, budget != NULL ? budget : &defaults, out,
                 err);
}

int dlz_params_parse(const char *json, size_t len, unsigned flags, dlz_params **out, char *errbuf,
                     size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_params_parse(json, len, flags, NULL, out, &err);
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
