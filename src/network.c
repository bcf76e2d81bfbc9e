/* network.c - the network description: configuration.json (every DL4J
 * generation, MultiLayerNetwork and ComputationGraph) as nodes with typed
 * attributes, inputs, preprocessors and the shapes of their activations.
 *
 * A record codec like params.c, whose walk of layers, wrappers, vertices and
 * the graph order it shares (dlzi_config_*); it reads no archive.  The names
 * and rules are in the header, section "Network description". */
#include "internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The handle                                                                */

typedef struct nattr {
    char *name;
    dlz_attr_type type;
    size_t count;
    int64_t *ints;
    double *reals;
    char *text;
} nattr;

typedef struct nnode {
    char *name, *layer_name, *type, *base_type, *class_name, *preprocessor;
    int64_t index;
    int known;
    char **inputs;
    size_t ninputs;
    nattr *attrs;
    size_t nattrs, cap_attrs;
    char **unknown;
    size_t nunknown, cap_unknown;
    /* the preprocessor's recorded sizes (-1: none) and format */
    int64_t pre_h, pre_w, pre_c, pre_d;
    const char *pre_format; /* static */
    unsigned family;        /* F_* of the innermost layer, for shapes */
    dlz_net_shape in, out;
} nnode;

struct dlz_network {
    dlz_kind kind;
    nnode *nodes;
    size_t n;
    char **inputs, **outputs;
    size_t ninputs, noutputs;
    dlz_net_shape *input_shapes; /* as set (rank 0: not set) */
    dlz_net_shape *flow;         /* as used: set, or what the first layer reading it expects */
};

/* ------------------------------------------------------------------------ */
/* Parsing context                                                           */

typedef struct nctx {
    dlz_network *net;
    dlzi_err *err;
    char where[160];
} nctx;

static int oom(nctx *c) {
    return dlzi_err_set(c->err, DLZ_ENOMEM, "out of memory");
}

static int note_unknown(nctx *c, nnode *nd, const char *fmt, ...) DLZI_PRINTF(3, 4);

/* Adds an entry to the node's unknown list. */
static int note_unknown(nctx *c, nnode *nd, const char *fmt, ...) {
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *s = dlzi_strdup(msg);
    if (s == NULL || dlzi_grow((void **)&nd->unknown, &nd->cap_unknown, nd->nunknown,
                               sizeof *nd->unknown) != 0) {
        dlzi_free(s);
        return oom(c);
    }
    nd->unknown[nd->nunknown++] = s;
    return DLZ_OK;
}

static void attr_clear(nattr *a) {
    dlzi_free(a->name);
    dlzi_free(a->ints);
    dlzi_free(a->reals);
    dlzi_free(a->text);
    memset(a, 0, sizeof *a);
}

/* The attribute called name, made empty (replacing one of that name). */
static nattr *attr_slot(nctx *c, nnode *nd, const char *name) {
    for (size_t i = 0; i < nd->nattrs; i++) {
        if (strcmp(nd->attrs[i].name, name) == 0) {
            char *keep = nd->attrs[i].name;
            nd->attrs[i].name = NULL;
            attr_clear(&nd->attrs[i]);
            nd->attrs[i].name = keep;
            return &nd->attrs[i];
        }
    }
    char *copy = dlzi_strdup(name);
    if (copy == NULL ||
        dlzi_grow((void **)&nd->attrs, &nd->cap_attrs, nd->nattrs, sizeof *nd->attrs) != 0) {
        dlzi_free(copy);
        oom(c);
        return NULL;
    }
    nattr *a = &nd->attrs[nd->nattrs++];
    memset(a, 0, sizeof *a);
    a->name = copy;
    return a;
}

static const nattr *attr_get(const nnode *nd, const char *name) {
    for (size_t i = 0; i < nd->nattrs; i++) {
        if (strcmp(nd->attrs[i].name, name) == 0) {
            return &nd->attrs[i];
        }
    }
    return NULL;
}

static int set_text(nctx *c, nnode *nd, const char *name, const char *text) {
    nattr *a = attr_slot(c, nd, name);
    if (a == NULL) {
        return DLZ_ENOMEM;
    }
    a->type = DLZ_ATTR_TEXT;
    a->count = 1;
    a->text = dlzi_strdup(text);
    return a->text != NULL ? DLZ_OK : oom(c);
}

static int set_ints(nctx *c, nnode *nd, const char *name, dlz_attr_type type, const int64_t *v,
                    size_t n) {
    nattr *a = attr_slot(c, nd, name);
    if (a == NULL) {
        return DLZ_ENOMEM;
    }
    a->type = type;
    a->count = n;
    a->ints = dlzi_malloc(n * sizeof *v + 1);
    if (a->ints == NULL) {
        return oom(c);
    }
    memcpy(a->ints, v, n * sizeof *v);
    return DLZ_OK;
}

static int set_int(nctx *c, nnode *nd, const char *name, dlz_attr_type type, int64_t v) {
    return set_ints(c, nd, name, type, &v, 1);
}

/* A JSON value as an attribute: integer, real, boolean, string, or an array
   of integers or numbers.  1 when the value has another form (nothing set). */
static int set_plain(nctx *c, nnode *nd, const char *name, const json_t *v, int *other) {
    *other = 0;
    if (json_is_integer(v) || json_is_boolean(v)) {
        return set_int(c, nd, name, json_is_integer(v) ? DLZ_ATTR_INT : DLZ_ATTR_BOOL,
                       json_is_integer(v) ? (int64_t)json_integer_value(v) : json_is_true(v));
    }
    if (json_is_string(v)) {
        return set_text(c, nd, name, json_string_value(v));
    }
    int all_int = 1;
    if (json_is_real(v) || json_is_array(v)) {
        size_t n = json_is_array(v) ? json_array_size(v) : 1;
        for (size_t i = 0; json_is_array(v) && i < n; i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_number(e)) {
                *other = 1;
                return DLZ_OK;
            }
            all_int &= json_is_integer(e);
        }
        if (json_is_array(v) && all_int) {
            int64_t *tmp = dlzi_malloc(n * sizeof *tmp + 1);
            if (tmp == NULL) {
                return oom(c);
            }
            for (size_t i = 0; i < n; i++) {
                tmp[i] = (int64_t)json_integer_value(json_array_get(v, i));
            }
            int rc = set_ints(c, nd, name, DLZ_ATTR_INTS, tmp, n);
            dlzi_free(tmp);
            return rc;
        }
        nattr *a = attr_slot(c, nd, name);
        if (a == NULL) {
            return DLZ_ENOMEM;
        }
        a->type = json_is_array(v) ? DLZ_ATTR_REALS : DLZ_ATTR_REAL;
        a->count = n;
        a->reals = dlzi_malloc(n * sizeof *a->reals + 1);
        if (a->reals == NULL) {
            return oom(c);
        }
        for (size_t i = 0; i < n; i++) {
            a->reals[i] = json_number_value(json_is_array(v) ? json_array_get(v, i) : v);
        }
        return DLZ_OK;
    }
    *other = 1;
    return DLZ_OK;
}

/* ------------------------------------------------------------------------ */
/* Activations, losses, dropout: a class and its parameters                  */

/* ND4J's activations: class simple name without "Activation", and the
   Activation enum name used by legacy strings and the SameDiff layers. */
static const char *const activations[][2] = {
    {"Cube", "CUBE"},
    {"ELU", "ELU"},
    {"HardSigmoid", "HARDSIGMOID"},
    {"HardTanH", "HARDTANH"},
    {"Identity", "IDENTITY"},
    {"LReLU", "LEAKYRELU"},
    {"RationalTanh", "RATIONALTANH"},
    {"ReLU", "RELU"},
    {"ReLU6", "RELU6"},
    {"RReLU", "RRELU"},
    {"Sigmoid", "SIGMOID"},
    {"Softmax", "SOFTMAX"},
    {"SoftPlus", "SOFTPLUS"},
    {"SoftSign", "SOFTSIGN"},
    {"TanH", "TANH"},
    {"RectifiedTanh", "RECTIFIEDTANH"},
    {"SELU", "SELU"},
    {"Swish", "SWISH"},
    {"ThresholdedReLU", "THRESHOLDEDRELU"},
    {"GELU", "GELU"},
    {"Mish", "MISH"},
    {"PReLU", "PRELU"},
};

static int same_text_nocase(const char *a, const char *b) {
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
            return 0;
        }
    }
    return *a == *b;
}

/* The canonical name of an activation class or enum name, or NULL. */
static const char *activation_name(const char *name) {
    if (strncmp(name, "Activation", 10) == 0 && name[10] != '\0') {
        name += 10;
    }
    for (size_t i = 0; i < sizeof activations / sizeof *activations; i++) {
        if (strcmp(activations[i][0], name) == 0 || same_text_nocase(activations[i][1], name)) {
            return activations[i][0];
        }
    }
    return NULL;
}

/* The numeric and text fields of a configuration object (an activation, a
   loss, a dropout) as "<prefix>.<field>"; other forms are reported. */
static int set_params(nctx *c, nnode *nd, const char *prefix, const json_t *fields) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)fields, key, v) {
        if (strcmp(key, "@class") == 0 || json_is_null(v)) {
            continue;
        }
        char name[128];
        snprintf(name, sizeof name, "%s.%s", prefix, key);
        int other, rc = set_plain(c, nd, name, v, &other);
        if (rc == DLZ_OK && other) {
            rc = note_unknown(c, nd, "field '%.60s' of %.60s", key, prefix);
        }
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

enum { OBJ_ACTIVATION, OBJ_LOSS, OBJ_DROPOUT };

/* The package a configuration object of kind k must come from. */
static const char *const obj_packages[] = {"org.nd4j.linalg.activations.",
                                           "org.nd4j.linalg.lossfunctions.",
                                           "org.deeplearning4j.nn.conf.dropout."};
static const char *const obj_prefixes[] = {"Activation", "Loss", ""};

/* An activation, loss function or dropout: a string (legacy enum), an
   "@class" object or a legacy wrapper object; a number for the legacy
   dropOut (0: none). */
static int set_object(nctx *c, nnode *nd, const char *name, int kind, const json_t *v) {
    if (kind == OBJ_DROPOUT && json_is_number(v)) {
        double p = json_number_value(v);
        if (p == 0.0) {
            return DLZ_OK;
        }
        nattr *a = attr_slot(c, nd, "dropout.p");
        if (a == NULL) {
            return DLZ_ENOMEM;
        }
        a->type = DLZ_ATTR_REAL;
        a->count = 1;
        a->reals = dlzi_malloc(sizeof *a->reals);
        if (a->reals == NULL) {
            return oom(c);
        }
        a->reals[0] = p;
        return set_text(c, nd, name, "Dropout");
    }
    const char *cls = NULL, *simple = NULL;
    const json_t *fields = NULL;
    if (json_is_string(v)) {
        simple = json_string_value(v);
    } else if (json_is_object(v)) {
        const json_t *jc = json_object_get(v, "@class");
        fields = v;
        simple = dlzi_config_type_of(v, &fields);
        cls = json_is_string(jc) ? json_string_value(jc) : NULL;
    }
    if (simple == NULL) {
        return note_unknown(c, nd, "field '%s' of an unknown form", name);
    }
    if (cls != NULL && strncmp(cls, obj_packages[kind], strlen(obj_packages[kind])) != 0) {
        int rc = note_unknown(c, nd, "%s class %.200s", name, cls);
        return rc != DLZ_OK ? rc : set_text(c, nd, name, simple);
    }
    const char *shown = simple;
    if (kind == OBJ_ACTIVATION) {
        shown = activation_name(simple);
        if (shown == NULL) {
            int rc = note_unknown(c, nd, "%s '%.200s'", name, simple);
            if (rc != DLZ_OK) {
                return rc;
            }
            shown = simple;
        }
    } else if (strncmp(simple, obj_prefixes[kind], strlen(obj_prefixes[kind])) == 0 &&
               simple[strlen(obj_prefixes[kind])] != '\0') {
        shown = simple + strlen(obj_prefixes[kind]);
    }
    int rc = set_text(c, nd, name, shown);
    return rc == DLZ_OK && json_is_object(fields) ? set_params(c, nd, name, fields) : rc;
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                    */

/* How a field is read. */
enum {
    M_PLAIN,      /* set_plain() under the attribute name */
    M_ACTIVATION, /* set_object() */
    M_LOSS,
    M_DROPOUT,
    M_FORMAT2D, /* cnn2dDataFormat: data_format unless a 1-D/recurrent format is set */
    M_FORMAT,   /* rnnDataFormat, dataFormat: data_format */
    M_IGNORE,   /* training only, or read elsewhere */
};

static const struct field_map {
    const char *json, *attr;
    int mode;
} field_map[] = {
    {"nin", "n_in", M_PLAIN},
    {"nIn", "n_in", M_PLAIN},
    {"nout", "n_out", M_PLAIN},
    {"nOut", "n_out", M_PLAIN},
    {"hasBias", "has_bias", M_PLAIN},
    {"useBias", "has_bias", M_PLAIN},
    {"hasLayerNorm", "layer_norm", M_PLAIN},
    {"activationFn", "activation", M_ACTIVATION},
    {"activationFunction", "activation", M_ACTIVATION},
    {"activation", "activation", M_ACTIVATION},
    {"gateActivationFn", "gate_activation", M_ACTIVATION},
    {"lossFn", "loss", M_LOSS},
    {"lossFunction", "loss", M_LOSS},
    {"idropout", "dropout", M_DROPOUT},
    {"dropOut", "dropout", M_DROPOUT},
    {"kernelSize", "kernel", M_PLAIN},
    {"stride", "stride", M_PLAIN},
    {"padding", "padding", M_PLAIN},
    {"dilation", "dilation", M_PLAIN},
    {"convolutionMode", "convolution_mode", M_PLAIN},
    {"cnn2dDataFormat", "data_format", M_FORMAT2D},
    {"cnn2DFormat", "data_format", M_FORMAT2D},
    {"rnnDataFormat", "data_format", M_FORMAT},
    {"rnndataFormat", "data_format", M_FORMAT},
    {"dataFormat", "data_format", M_FORMAT},
    {"format", "data_format", M_FORMAT},
    {"outputDataFormat", "data_format", M_FORMAT},
    {"poolingType", "pooling", M_PLAIN},
    {"pnorm", "pnorm", M_PLAIN},
    {"eps", "eps", M_PLAIN},
    {"avgPoolIncludePadInDivisor", "avg_pool_include_pad", M_PLAIN},
    {"poolingDimensions", "pooling_dimensions", M_PLAIN},
    {"collapseDimensions", "collapse_dimensions", M_PLAIN},
    {"forgetGateBiasInit", "forget_gate_bias", M_PLAIN},
    {"depthMultiplier", "depth_multiplier", M_PLAIN},
    {"size", "size", M_PLAIN},
    {"cropping", "cropping", M_PLAIN},
    {"lockGammaBeta", "lock_gamma_beta", M_PLAIN},
    {"useLogStd", "use_log_std", M_PLAIN},
    {"gamma", "gamma", M_PLAIN},
    {"beta", "beta", M_PLAIN},
    {"alpha", "alpha", M_PLAIN},
    {"k", "k", M_PLAIN},
    {"n", "n", M_PLAIN},
    {"nheads", "n_heads", M_PLAIN},
    {"nHeads", "n_heads", M_PLAIN},
    {"headSize", "head_size", M_PLAIN},
    {"projectInput", "project_input", M_PLAIN},
    {"nqueries", "n_queries", M_PLAIN},
    {"nQueries", "n_queries", M_PLAIN},
    {"inputLength", "input_length", M_PLAIN},
    {"inferInputLength", "infer_input_length", M_PLAIN},
    {"inputShape", "input_shape", M_PLAIN},
    {"sharedAxes", "shared_axes", M_PLAIN},
    {"timeDistributedFormat", "time_distributed_format", M_PLAIN},
    {"maskingValue", "mask_value", M_PLAIN},
    {"blockSize", "block_size", M_PLAIN},
    {"blocks", "blocks", M_PLAIN},
    {"mode", "bidirectional_mode", M_PLAIN},
    {"mergeAxis", "merge_axis", M_PLAIN},
    {"op", "op", M_PLAIN},
    {"from", "from", M_PLAIN},
    {"to", "to", M_PLAIN},
    {"stackSize", "stack_size", M_PLAIN},
    {"scaleFactor", "scale_factor", M_PLAIN},
    {"shiftFactor", "shift_factor", M_PLAIN},
    {"dimension", "dimension", M_PLAIN},
    {"newShape", "new_shape", M_PLAIN},
    {"reshapeOrder", "reshape_order", M_PLAIN},
    {"maskShape", "mask_shape", M_PLAIN},
    {"inputName", "input_name", M_PLAIN},
    {"maskArrayInputName", "mask_input_name", M_PLAIN},
    /* Training only, bookkeeping, or read elsewhere (wrapped layers, the
       preprocessor of a layer vertex, the name). */
    {"@class", NULL, M_IGNORE},
    {"layerName", NULL, M_IGNORE},
    {"iupdater", NULL, M_IGNORE},
    {"biasUpdater", NULL, M_IGNORE},
    {"updater", NULL, M_IGNORE},
    {"regularization", NULL, M_IGNORE},
    {"regularizationBias", NULL, M_IGNORE},
    {"constraints", NULL, M_IGNORE},
    {"gradientNormalization", NULL, M_IGNORE},
    {"gradientNormalizationThreshold", NULL, M_IGNORE},
    {"weightInitFn", NULL, M_IGNORE},
    {"weightInitFnRecurrent", NULL, M_IGNORE},
    {"weightInit", NULL, M_IGNORE},
    {"paramWeightInit", NULL, M_IGNORE},
    {"biasInit", NULL, M_IGNORE},
    {"gainInit", NULL, M_IGNORE},
    {"weightNoise", NULL, M_IGNORE},
    {"dist", NULL, M_IGNORE},
    {"l1", NULL, M_IGNORE},
    {"l2", NULL, M_IGNORE},
    {"l1Bias", NULL, M_IGNORE},
    {"l2Bias", NULL, M_IGNORE},
    {"biasL1", NULL, M_IGNORE},
    {"biasL2", NULL, M_IGNORE},
    {"learningRate", NULL, M_IGNORE},
    {"biasLearningRate", NULL, M_IGNORE},
    {"learningRateSchedule", NULL, M_IGNORE},
    {"momentum", NULL, M_IGNORE},
    {"momentumSchedule", NULL, M_IGNORE},
    {"adamMeanDecay", NULL, M_IGNORE},
    {"adamVarDecay", NULL, M_IGNORE},
    {"rho", NULL, M_IGNORE},
    {"rmsDecay", NULL, M_IGNORE},
    {"epsilon", NULL, M_IGNORE},
    {"decay", NULL, M_IGNORE},
    {"minibatch", NULL, M_IGNORE},
    {"isMinibatch", NULL, M_IGNORE},
    {"cudnnAlgoMode", NULL, M_IGNORE},
    {"cudnnAllowFallback", NULL, M_IGNORE},
    {"cudnnBwdDataAlgo", NULL, M_IGNORE},
    {"cudnnBwdFilterAlgo", NULL, M_IGNORE},
    {"cudnnFwdAlgo", NULL, M_IGNORE},
    {"helperAllowFallback", NULL, M_IGNORE},
    {"convolutionType", NULL, M_IGNORE}, /* 0.5 .. 0.7: the algorithm, not the shape */
    {"layerParams", NULL, M_IGNORE},     /* SameDiff: the parameter shapes */
    {"timeSteps", NULL, M_IGNORE},
    {"customLossFunction", NULL, M_IGNORE},
    {"layerConf", NULL, M_IGNORE},
    {"preProcessor", NULL, M_IGNORE},
    {"outputVertex", NULL, M_IGNORE},
    {"modified", NULL, M_IGNORE},
    {"underlying", NULL, M_IGNORE},
};

static const struct field_map *find_field(const char *key) {
    for (size_t i = 0; i < sizeof field_map / sizeof *field_map; i++) {
        if (strcmp(field_map[i].json, key) == 0) {
            return &field_map[i];
        }
    }
    return NULL;
}

/* Layer families, for the defaults and the shapes. */
#define F_FF 0x1u      /* [N,nOut] from [N,nIn] */
#define F_SAME 0x2u    /* the shape of its input */
#define F_CONV 0x4u    /* a convolution (channels nOut) */
#define F_POOL 0x8u    /* a pooling (channels kept) */
#define F_DECONV 0x10u /* a transposed convolution */
#define F_1D 0x20u     /* over time: [N,C,T] */
#define F_3D 0x40u     /* over volumes: [N,C,D,H,W] */
#define F_RNN 0x80u    /* a recurrent layer: [N,nOut,T] */
#define F_UPSAMPLE 0x100u
#define F_ZEROPAD 0x200u
#define F_CROP 0x400u
#define F_GLOBAL 0x800u
#define F_RNNOUT 0x1000u /* RnnOutputLayer, RnnLossLayer: over time */
#define F_EMBSEQ 0x2000u
#define F_ATTN 0x4000u
#define F_LEARNED 0x8000u

static const struct family {
    const char *simple;
    unsigned f;
} families[] = {
    {"DenseLayer", F_FF},
    {"OutputLayer", F_FF},
    {"EmbeddingLayer", F_FF},
    {"CenterLossOutputLayer", F_FF},
    {"AutoEncoder", F_FF},
    {"RBM", F_FF},
    {"VariationalAutoencoder", F_FF},
    {"RnnOutputLayer", F_RNNOUT},
    {"EmbeddingSequenceLayer", F_EMBSEQ},
    {"ElementWiseMultiplicationLayer", F_SAME},
    {"ActivationLayer", F_SAME},
    {"DropoutLayer", F_SAME},
    {"BatchNormalization", F_SAME},
    {"LocalResponseNormalization", F_SAME},
    {"PReLULayer", F_SAME},
    {"LossLayer", F_SAME},
    {"RnnLossLayer", F_SAME | F_RNNOUT},
    {"CnnLossLayer", F_SAME},
    {"Cnn3DLossLayer", F_SAME},
    {"MaskLayer", F_SAME},
    {"ConvolutionLayer", F_CONV},
    {"Convolution2D", F_CONV},
    {"Convolution1DLayer", F_CONV | F_1D},
    {"Convolution1D", F_CONV | F_1D},
    {"Convolution3D", F_CONV | F_3D},
    {"Deconvolution2D", F_CONV | F_DECONV},
    {"Deconvolution3D", F_CONV | F_DECONV | F_3D},
    {"DepthwiseConvolution2D", F_CONV},
    {"SeparableConvolution2D", F_CONV},
    {"SubsamplingLayer", F_POOL},
    {"Pooling2D", F_POOL},
    {"Subsampling1DLayer", F_POOL | F_1D},
    {"Pooling1D", F_POOL | F_1D},
    {"Subsampling3DLayer", F_POOL | F_3D},
    {"Upsampling1D", F_UPSAMPLE | F_1D},
    {"Upsampling2D", F_UPSAMPLE},
    {"Upsampling3D", F_UPSAMPLE | F_3D},
    {"ZeroPadding1DLayer", F_ZEROPAD | F_1D},
    {"ZeroPaddingLayer", F_ZEROPAD},
    {"ZeroPadding3DLayer", F_ZEROPAD | F_3D},
    {"Cropping1D", F_CROP | F_1D},
    {"Cropping2D", F_CROP},
    {"Cropping3D", F_CROP | F_3D},
    {"GlobalPoolingLayer", F_GLOBAL},
    {"LSTM", F_RNN},
    {"GravesLSTM", F_RNN},
    {"GravesBidirectionalLSTM", F_RNN},
    {"SimpleRnn", F_RNN},
    {"SelfAttentionLayer", F_ATTN},
    {"RecurrentAttentionLayer", F_ATTN},
    {"LearnedSelfAttentionLayer", F_ATTN | F_LEARNED},
};

static unsigned family_of(const char *simple) {
    for (size_t i = 0; simple != NULL && i < sizeof families / sizeof *families; i++) {
        if (strcmp(families[i].simple, simple) == 0) {
            return families[i].f;
        }
    }
    return 0;
}

/* Reads every field of a layer or vertex object (but those of the names in
   skip, which the caller reads) into attributes of nd. */
static int read_fields(nctx *c, nnode *nd, const json_t *f, const char *const *skip) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)f, key, v) {
        int skipped = 0;
        for (size_t i = 0; skip != NULL && skip[i] != NULL; i++) {
            skipped |= strcmp(skip[i], key) == 0;
        }
        const struct field_map *m = find_field(key);
        if (skipped || (m != NULL && m->mode == M_IGNORE)) {
            continue;
        }
        int rc = DLZ_OK;
        if (m == NULL) {
            rc = note_unknown(c, nd, "field '%.100s'", key);
        } else if (json_is_null(v)) {
            continue;
        } else if (m->mode == M_ACTIVATION || m->mode == M_LOSS || m->mode == M_DROPOUT) {
            int kind = m->mode == M_ACTIVATION ? OBJ_ACTIVATION
                       : m->mode == M_LOSS     ? OBJ_LOSS
                                               : OBJ_DROPOUT;
            rc = set_object(c, nd, m->attr, kind, v);
        } else if (m->mode == M_FORMAT2D && attr_get(nd, "data_format") != NULL) {
            continue;
        } else {
            int other;
            rc = set_plain(c, nd, m->attr, v, &other);
            if (rc == DLZ_OK && other) {
                rc = note_unknown(c, nd, "field '%.100s' of an unknown form", key);
            }
        }
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    return DLZ_OK;
}

/* The defaults and the 1-D reading of kernel, stride, padding, dilation. */
static int layer_defaults(nctx *c, nnode *nd, unsigned fam) {
    int rc = DLZ_OK;
    if ((fam & F_1D) != 0) {
        static const char *const one[] = {"kernel", "stride", "padding", "dilation"};
        for (size_t i = 0; rc == DLZ_OK && i < 4; i++) {
            const nattr *a = attr_get(nd, one[i]);
            if (a != NULL && (fam & (F_ZEROPAD | F_CROP)) == 0 && a->type == DLZ_ATTR_INTS &&
                a->count > 1) {
                int64_t first = a->ints[0];
                rc = set_ints(c, nd, one[i], DLZ_ATTR_INTS, &first, 1);
            }
        }
        /* 1-D layers read cnn2dDataFormat from their 2-D base class only. */
        const nattr *df = attr_get(nd, "data_format");
        if (rc == DLZ_OK && df != NULL && df->type == DLZ_ATTR_TEXT && df->text[0] == 'N' &&
            strchr(df->text, 'H') != NULL) {
            rc = set_text(c, nd, "data_format", "NCW");
        }
    }
    if (rc == DLZ_OK && (fam & (F_CONV | F_POOL)) != 0 &&
        attr_get(nd, "convolution_mode") == NULL) {
        rc = set_text(c, nd, "convolution_mode", "Truncate");
    }
    if (rc == DLZ_OK && attr_get(nd, "data_format") == NULL &&
        (fam & (F_CONV | F_POOL | F_UPSAMPLE | F_ZEROPAD | F_CROP | F_RNN | F_RNNOUT | F_1D |
                F_ATTN)) != 0) {
        const char *d = (fam & F_3D) != 0                                 ? "NCDHW"
                        : (fam & (F_1D | F_RNN | F_RNNOUT | F_ATTN)) != 0 ? "NCW"
                                                                          : "NCHW";
        rc = set_text(c, nd, "data_format", d);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Layers and wrappers                                                       */

#define MAX_DEPTH 8

/* Reads layer object L into nd, appending its type name to type. */
static int read_layer(nctx *c, nnode *nd, const json_t *L, char *type, size_t cap, int depth) {
    if (depth > MAX_DEPTH) {
        return dlzi_config_fail(c->err, DLZ_EFORMAT, "%s: layer wrappers nested too deeply",
                                c->where);
    }
    dlzi_config_ref ref;
    int rc = dlzi_config_layer(L, c->where, &ref, c->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    const char *simple = ref.simple != NULL ? ref.simple : dlzi_config_simple_name(ref.cls);
    dlzi_str_append(type, cap, simple);
    if (ref.simple == NULL) {
        nd->known = 0;
        dlzi_free(nd->base_type);
        nd->base_type = dlzi_strdup(simple);
        return nd->base_type != NULL ? note_unknown(c, nd, "class %.200s", ref.cls) : oom(c);
    }
    if (ref.inner[0] == NULL) {
        dlzi_free(nd->base_type);
        nd->base_type = dlzi_strdup(simple);
        nd->family = family_of(simple);
        if (nd->base_type == NULL) {
            return oom(c);
        }
        rc = read_fields(c, nd, ref.fields, NULL);
        return rc != DLZ_OK ? rc : layer_defaults(c, nd, nd->family);
    }
    /* A wrapper: the wrapped layer, then the wrapper's own fields. */
    const char *field = ref.inner[0];
    const json_t *inner = json_object_get(ref.fields, field);
    if (!ref.pair && (inner == NULL || json_is_null(inner))) {
        field = ref.inner[1];
        inner = json_object_get(ref.fields, field);
    }
    if (inner == NULL || json_is_null(inner)) {
        return dlzi_config_fail(c->err, DLZ_EFORMAT, "%s (%s): '%s' (the wrapped layer) is missing",
                                c->where, simple, ref.inner[0]);
    }
    dlzi_str_append(type, cap, "(");
    rc = read_layer(c, nd, inner, type, cap, depth + 1);
    dlzi_str_append(type, cap, ")");
    const char *const skip[] = {ref.inner[0], ref.inner[1], "nin", "nout", "nIn", "nOut", NULL};
    if (rc == DLZ_OK) {
        rc = read_fields(c, nd, ref.fields, skip);
    }
    if (rc != DLZ_OK) {
        return rc;
    }
    if (ref.freezes || strcmp(simple, "FrozenLayerWithBackprop") == 0) {
        rc = set_int(c, nd, "frozen", DLZ_ATTR_BOOL, 1);
    } else if (strcmp(simple, "LastTimeStep") == 0) {
        rc = set_int(c, nd, "last_time_step", DLZ_ATTR_BOOL, 1);
    } else if (strcmp(simple, "TimeDistributed") == 0) {
        rc = set_int(c, nd, "time_distributed", DLZ_ATTR_BOOL, 1);
    } else if (strcmp(simple, "MaskZeroLayer") == 0) {
        rc = set_int(c, nd, "mask_zero", DLZ_ATTR_BOOL, 1);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Preprocessors                                                             */

static const char *const legacy_preprocessors[][2] = {
    {"cnnToFeedForward", "CnnToFeedForwardPreProcessor"},
    {"feedForwardToCnn", "FeedForwardToCnnPreProcessor"},
    {"rnnToFeedForward", "RnnToFeedForwardPreProcessor"},
    {"feedForwardToRnn", "FeedForwardToRnnPreProcessor"},
    {"cnnToRnn", "CnnToRnnPreProcessor"},
    {"rnnToCnn", "RnnToCnnPreProcessor"},
    {"binomialSampling", "BinomialSamplingPreProcessor"},
    {"unitVariance", "UnitVarianceProcessor"},
    {"zeroMeanAndUnitVariance", "ZeroMeanAndUnitVariancePreProcessor"},
    {"zeroMean", "ZeroMeanPrePreProcessor"},
    {"composableInput", "ComposableInputPreProcessor"},
};

/* Reads an input preprocessor object into nd. */
static int read_preprocessor(nctx *c, nnode *nd, const json_t *pp) {
    if (pp == NULL || json_is_null(pp)) {
        return DLZ_OK;
    }
    const json_t *fields = pp;
    const char *name = json_is_object(pp) ? dlzi_config_type_of(pp, &fields) : NULL;
    if (name == NULL) {
        return dlzi_config_fail(c->err, DLZ_EFORMAT, "%s: the input preprocessor has no type",
                                c->where);
    }
    const json_t *jc = json_object_get(pp, "@class");
    int known = json_is_string(jc) &&
                strncmp(json_string_value(jc), "org.deeplearning4j.nn.conf.preprocessor.", 40) == 0;
    for (size_t i = 0; jc == NULL && i < sizeof legacy_preprocessors / 2 / sizeof(char *); i++) {
        if (strcmp(legacy_preprocessors[i][0], name) == 0) {
            name = legacy_preprocessors[i][1];
            known = 1;
        }
    }
    nd->preprocessor = dlzi_strdup(name);
    if (nd->preprocessor == NULL) {
        return oom(c);
    }
    if (json_is_object(fields)) {
        nd->pre_h = json_integer_value(json_object_get(fields, "inputHeight"));
        nd->pre_w = json_integer_value(json_object_get(fields, "inputWidth"));
        nd->pre_c = json_integer_value(json_object_get(fields, "numChannels"));
        nd->pre_d = json_integer_value(json_object_get(fields, "inputDepth"));
        const json_t *fmt = json_object_get(fields, "format");
        nd->pre_format = json_is_string(fmt) && strcmp(json_string_value(fmt), "NHWC") == 0 ? "NHWC"
                         : json_is_string(fmt) && strcmp(json_string_value(fmt), "NWC") == 0 ? "NWC"
                                                                                             : NULL;
    }
    int rc = known ? DLZ_OK
                   : note_unknown(c, nd, "preprocessor class %.200s",
                                  json_is_string(jc) ? json_string_value(jc) : name);
    return rc == DLZ_OK && json_is_object(fields) ? set_params(c, nd, "preprocessor", fields) : rc;
}

/* ------------------------------------------------------------------------ */
/* Nodes                                                                     */

static nnode *new_node(nctx *c, const char *name, const char *layer_name, int64_t index) {
    dlz_network *net = c->net;
    nnode *nd = &net->nodes[net->n++];
    memset(nd, 0, sizeof *nd);
    nd->index = index;
    nd->known = 1;
    nd->name = dlzi_strdup(name);
    nd->layer_name = layer_name != NULL ? dlzi_strdup(layer_name) : NULL;
    if (nd->name == NULL || (layer_name != NULL && nd->layer_name == NULL)) {
        oom(c);
        return NULL;
    }
    return nd;
}

static int set_inputs(nctx *c, nnode *nd, const char *const *names, size_t n) {
    nd->inputs = dlzi_calloc(n + 1, sizeof *nd->inputs);
    if (nd->inputs == NULL) {
        return oom(c);
    }
    for (size_t i = 0; i < n; i++) {
        nd->inputs[i] = dlzi_strdup(names[i]);
        if (nd->inputs[i] == NULL) {
            return oom(c);
        }
        nd->ninputs++;
    }
    return DLZ_OK;
}

static int finish_node(nctx *c, nnode *nd, const char *type, const char *cls) {
    nd->type = dlzi_strdup(type);
    nd->class_name = dlzi_strdup(cls);
    if (nd->base_type == NULL) {
        nd->base_type = dlzi_strdup(type);
    }
    return nd->type != NULL && nd->class_name != NULL && nd->base_type != NULL ? DLZ_OK : oom(c);
}

/* A layer object as node nd (frozen: inside a FrozenVertex). */
static int layer_node(nctx *c, nnode *nd, const json_t *L, int frozen) {
    char type[256] = "";
    if (frozen) {
        snprintf(type, sizeof type, "FrozenVertex(");
    }
    int rc = read_layer(c, nd, L, type, sizeof type, 0);
    if (rc == DLZ_OK && frozen) {
        dlzi_str_append(type, sizeof type, ")");
        rc = set_int(c, nd, "frozen", DLZ_ATTR_BOOL, 1);
    }
    dlzi_config_ref ref;
    if (rc == DLZ_OK) {
        rc = dlzi_config_layer(L, c->where, &ref, c->err);
    }
    return rc == DLZ_OK ? finish_node(c, nd, type, ref.cls) : rc;
}

static int build_mln(nctx *c, const json_t *root) {
    const json_t *confs = json_object_get(root, "confs");
    const json_t *pre = json_object_get(root, "inputPreProcessors");
    if (!json_is_array(confs)) {
        return dlzi_config_fail(c->err, DLZ_EFORMAT, "'confs' is not an array");
    }
    size_t n = json_array_size(confs);
    c->net->nodes = dlzi_calloc(n + 1, sizeof *c->net->nodes);
    if (c->net->nodes == NULL) {
        return oom(c);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *conf = json_array_get(confs, i);
        const json_t *L = json_is_object(conf) ? json_object_get(conf, "layer") : NULL;
        snprintf(c->where, sizeof c->where, "layer %zu", i);
        if (L == NULL || json_is_null(L)) {
            return dlzi_config_fail(c->err, DLZ_EFORMAT, "%s: 'layer' is missing", c->where);
        }
        char name[32], prev[32];
        snprintf(name, sizeof name, "%zu", i);
        snprintf(prev, sizeof prev, "%zu", i - 1);
        nnode *nd = new_node(c, name, dlzi_config_layer_name(L), (int64_t)i);
        const char *in = i == 0 ? "input" : prev;
        int rc = nd != NULL ? set_inputs(c, nd, &in, 1) : DLZ_ENOMEM;
        if (rc == DLZ_OK && json_is_object(pre)) {
            rc = read_preprocessor(c, nd, json_object_get(pre, name));
        }
        if (rc == DLZ_OK) {
            rc = layer_node(c, nd, L, 0);
        }
        if (rc != DLZ_OK) {
            return rc;
        }
    }
    c->net->inputs = dlzi_calloc(2, sizeof *c->net->inputs);
    c->net->outputs = dlzi_calloc(2, sizeof *c->net->outputs);
    if (c->net->inputs == NULL || c->net->outputs == NULL ||
        (c->net->inputs[0] = dlzi_strdup("input")) == NULL) {
        return oom(c);
    }
    c->net->ninputs = 1;
    if (n > 0) {
        c->net->outputs[0] = dlzi_strdup(c->net->nodes[n - 1].name);
        if (c->net->outputs[0] == NULL) {
            return oom(c);
        }
        c->net->noutputs = 1;
    }
    return DLZ_OK;
}

/* A vertex object as node nd. */
static int vertex_node(nctx *c, nnode *nd, const json_t *v, int frozen, int depth) {
    if (depth > MAX_DEPTH) {
        return dlzi_config_fail(c->err, DLZ_EFORMAT, "%s: vertex wrappers nested too deeply",
                                c->where);
    }
    dlzi_config_ref ref;
    int rc = dlzi_config_vertex(v, c->where, &ref, c->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    const char *simple = ref.simple != NULL ? ref.simple : dlzi_config_simple_name(ref.cls);
    if (ref.simple != NULL && strcmp(simple, "LayerVertex") == 0) {
        const json_t *lc = json_object_get(ref.fields, "layerConf");
        const json_t *L = json_is_object(lc) ? json_object_get(lc, "layer") : NULL;
        if (L == NULL || json_is_null(L)) {
            return dlzi_config_fail(c->err, DLZ_EFORMAT,
                                    "%s (LayerVertex): 'layerConf' has no 'layer'", c->where);
        }
        dlzi_free(nd->layer_name);
        const char *ln = dlzi_config_layer_name(L);
        nd->layer_name = ln != NULL ? dlzi_strdup(ln) : NULL;
        if (ln != NULL && nd->layer_name == NULL) {
            return oom(c);
        }
        rc = read_preprocessor(c, nd, json_object_get(ref.fields, "preProcessor"));
        return rc == DLZ_OK ? layer_node(c, nd, L, frozen) : rc;
    }
    if (ref.simple != NULL && strcmp(simple, "FrozenVertex") == 0) {
        const json_t *under = json_object_get(ref.fields, "underlying");
        if (under == NULL || json_is_null(under)) {
            return dlzi_config_fail(c->err, DLZ_EFORMAT,
                                    "%s (FrozenVertex): 'underlying' is missing", c->where);
        }
        return vertex_node(c, nd, under, 1, depth + 1);
    }
    char type[256];
    snprintf(type, sizeof type, frozen ? "FrozenVertex(%s)" : "%s", simple);
    if (ref.simple == NULL) {
        nd->known = 0;
        rc = note_unknown(c, nd, "class %.200s", ref.cls);
    } else {
        rc = strcmp(simple, "PreprocessorVertex") == 0
                 ? read_preprocessor(c, nd, json_object_get(ref.fields, "preProcessor"))
                 : DLZ_OK;
        if (rc == DLZ_OK) {
            rc = read_fields(c, nd, ref.fields, NULL);
        }
    }
    if (rc == DLZ_OK && frozen) {
        rc = set_int(c, nd, "frozen", DLZ_ATTR_BOOL, 1);
    }
    nd->base_type = dlzi_strdup(simple);
    return rc == DLZ_OK ? finish_node(c, nd, type, ref.cls) : rc;
}

/* The names of a JSON list of strings (borrowed), checked. */
static int name_list(nctx *c, const json_t *list, const char *what, const char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (list == NULL || json_is_null(list)) {
        return DLZ_OK;
    }
    if (!json_is_array(list)) {
        return dlzi_config_fail(c->err, DLZ_EFORMAT, "%s is not an array", what);
    }
    *out = dlzi_calloc(json_array_size(list) + 1, sizeof **out);
    if (*out == NULL) {
        return oom(c);
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *s = json_array_get(list, i);
        if (!json_is_string(s)) {
            return dlzi_config_fail(c->err, DLZ_EFORMAT, "%s: item %zu is not a string", what, i);
        }
        (*out)[(*n)++] = json_string_value(s);
    }
    return DLZ_OK;
}

static int copy_names(nctx *c, const char *const *names, size_t n, char ***out, size_t *count) {
    *out = dlzi_calloc(n + 1, sizeof **out);
    if (*out == NULL) {
        return oom(c);
    }
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = dlzi_strdup(names[i]);
        if ((*out)[i] == NULL) {
            return oom(c);
        }
        (*count)++;
    }
    return DLZ_OK;
}

static int build_cg(nctx *c, const json_t *root) {
    dlzi_config_graph g;
    int rc = dlzi_config_graph_order(root, &g, c->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    const json_t *vin = json_object_get(root, "vertexInputs");
    const char **names = NULL;
    size_t nn = 0;
    c->net->nodes = dlzi_calloc(g.n + 1, sizeof *c->net->nodes);
    if (c->net->nodes == NULL) {
        rc = oom(c);
    }
    for (size_t i = 0; rc == DLZ_OK && i < g.n; i++) {
        if (g.vertices[i] == NULL) {
            continue;
        }
        snprintf(c->where, sizeof c->where, "vertex '%.100s'", g.names[i]);
        nnode *nd = new_node(c, g.names[i], NULL, g.index[i]);
        rc = nd != NULL ? DLZ_OK : DLZ_ENOMEM;
        if (rc == DLZ_OK) {
            char what[160];
            snprintf(what, sizeof what, "'vertexInputs' of vertex '%.100s'", g.names[i]);
            dlzi_free(names);
            rc = name_list(c, json_object_get(vin, g.names[i]), what, &names, &nn);
        }
        if (rc == DLZ_OK) {
            rc = set_inputs(c, nd, names, nn);
        }
        if (rc == DLZ_OK) {
            rc = vertex_node(c, nd, g.vertices[i], 0, 0);
        }
    }
    dlzi_free(names);
    names = NULL;
    if (rc == DLZ_OK) {
        rc = name_list(c, json_object_get(root, "networkInputs"), "'networkInputs'", &names, &nn);
    }
    if (rc == DLZ_OK) {
        rc = copy_names(c, names, nn, &c->net->inputs, &c->net->ninputs);
    }
    dlzi_free(names);
    names = NULL;
    if (rc == DLZ_OK) {
        rc = name_list(c, json_object_get(root, "networkOutputs"), "'networkOutputs'", &names, &nn);
    }
    for (size_t i = 0; rc == DLZ_OK && i < nn; i++) {
        size_t k = 0;
        while (k < c->net->n && strcmp(c->net->nodes[k].name, names[i]) != 0) {
            k++;
        }
        if (k == c->net->n) {
            rc = dlzi_config_fail(c->err, DLZ_EFORMAT,
                                  "'networkOutputs' names '%.100s', which is not a vertex",
                                  names[i]);
        }
    }
    if (rc == DLZ_OK) {
        rc = copy_names(c, names, nn, &c->net->outputs, &c->net->noutputs);
    }
    dlzi_free(names);
    dlzi_config_graph_free(&g);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Shapes                                                                    */

static void shape_none(dlz_net_shape *s) {
    memset(s, 0, sizeof *s);
}

static void shape_set(dlz_net_shape *s, const char *format, int rank, const int64_t *dims) {
    shape_none(s);
    s->rank = rank;
    s->format = format;
    memcpy(s->dims, dims, (size_t)rank * sizeof *dims);
    s->dims[0] = -1;
}

/* Formats: name, rank, the axis of the channels. */
static const struct format {
    const char *name;
    int rank, channels;
} formats[] = {
    {"FF", 2, 1},   {"NCW", 3, 1},   {"NWC", 3, 2},   {"NCHW", 4, 1},
    {"NHWC", 4, 3}, {"NCDHW", 5, 1}, {"NDHWC", 5, 4},
};

static const struct format *format_of(const char *name) {
    for (size_t i = 0; name != NULL && i < sizeof formats / sizeof *formats; i++) {
        if (strcmp(formats[i].name, name) == 0) {
            return &formats[i];
        }
    }
    return NULL;
}

/* Sizes: -1 stays unknown. */
static int64_t size_add(int64_t a, int64_t b) {
    return a < 0 || b < 0 || a > INT64_MAX - b ? -1 : a + b;
}

static int64_t size_sub(int64_t a, int64_t b) {
    return a < 0 || b < 0 || a < b ? -1 : a - b;
}

static int64_t size_mul(int64_t a, int64_t b) {
    return a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a) ? -1 : a * b;
}

static int64_t attr_int(const nnode *nd, const char *name, size_t i, int64_t dflt) {
    const nattr *a = attr_get(nd, name);
    if (a == NULL ||
        (a->type != DLZ_ATTR_INT && a->type != DLZ_ATTR_INTS && a->type != DLZ_ATTR_BOOL) ||
        a->count == 0) {
        return dflt;
    }
    return a->ints[i < a->count ? i : a->count - 1];
}

static const char *attr_text(const nnode *nd, const char *name, const char *dflt) {
    const nattr *a = attr_get(nd, name);
    return a != NULL && a->type == DLZ_ATTR_TEXT ? a->text : dflt;
}

/* The spatial axes of a format: first axis and count. */
static void spatial_axes(const struct format *f, int *first, int *count) {
    *count = f->rank - 2;
    *first = f->channels == 1 ? 2 : 1;
}

/* The input a layer of family fam expects when nothing flows into it: its
   channels from nIn, the rest unknown. */
static void expected_input(const nnode *nd, unsigned fam, dlz_net_shape *s) {
    int64_t nin = attr_int(nd, "n_in", 0, -1);
    const char *df = attr_text(nd, "data_format", NULL);
    const struct format *f = format_of(df);
    int64_t d[DLZ_MAX_RANK];
    for (int i = 0; i < DLZ_MAX_RANK; i++) {
        d[i] = -1;
    }
    if ((fam & (F_FF)) != 0 && nin >= 0) {
        d[1] = nin;
        shape_set(s, "FF", 2, d);
    } else if (f != NULL && nin >= 0 && (fam & (F_CONV | F_RNN | F_RNNOUT | F_ATTN)) != 0) {
        d[f->channels] = nin;
        shape_set(s, f->name, f->rank, d);
    } else {
        shape_none(s);
    }
}

/* The output size of a convolution or pooling along one axis. */
static int64_t conv_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t dil, const char *mode,
                         int deconv) {
    if (in < 0 || k < 0 || s <= 0 || p < 0 || dil <= 0) {
        return -1;
    }
    int64_t keff = size_add(k, size_mul(k - 1 > 0 ? k - 1 : 0, dil - 1));
    int same = strcmp(mode, "Same") == 0 || strcmp(mode, "Causal") == 0;
    if (deconv) {
        return same ? size_mul(in, s) : size_sub(size_add(size_mul(s, in - 1), keff), 2 * p);
    }
    if (same) {
        return in == 0 ? 0 : (in - 1) / s + 1;
    }
    int64_t span = size_sub(size_add(in, size_mul(2, p)), keff);
    return span < 0 ? -1 : span / s + 1;
}

/* Output of a layer family on shape in (in->rank > 0). */
static void layer_shape(const nnode *nd, unsigned fam, const dlz_net_shape *in,
                        dlz_net_shape *out) {
    const struct format *f = format_of(in->format);
    int64_t nout = attr_int(nd, "n_out", 0, -1);
    int64_t d[DLZ_MAX_RANK];
    memcpy(d, in->dims, sizeof d);
    shape_none(out);
    if (f == NULL) {
        return;
    }
    if ((fam & F_SAME) != 0) {
        *out = *in;
        return;
    }
    if ((fam & F_FF) != 0) {
        /* Over time on a time series; otherwise [N,nOut] (DL4J 0.5 flattened
           images without a recorded preprocessor). */
        if (f->rank == 3) {
            d[f->channels] = nout;
            shape_set(out, f->name, f->rank, d);
        } else {
            int64_t ff[2] = {-1, nout};
            shape_set(out, "FF", 2, ff);
        }
        return;
    }
    const char *df = attr_text(nd, "data_format", in->format);
    const struct format *lf = format_of(df);
    if ((fam & (F_RNN | F_RNNOUT | F_ATTN)) != 0) {
        if (f->rank != 3 || lf == NULL || lf->rank != 3) {
            return;
        }
        int64_t t = in->dims[f->channels == 1 ? 2 : 1];
        int64_t size = nout;
        if ((fam & F_LEARNED) != 0) {
            t = attr_int(nd, "n_queries", 0, -1);
        }
        if (strcmp(nd->base_type, "LSTM") == 0 || strcmp(nd->base_type, "GravesLSTM") == 0 ||
            strcmp(nd->base_type, "SimpleRnn") == 0) {
            const char *mode = attr_text(nd, "bidirectional_mode", NULL);
            if (mode != NULL && strcmp(mode, "CONCAT") == 0) {
                size = size_mul(nout, 2);
            }
        }
        d[lf->channels] = size;
        d[lf->channels == 1 ? 2 : 1] = t;
        shape_set(out, lf->name, 3, d);
        if (attr_int(nd, "last_time_step", 0, 0)) {
            int64_t ff[2] = {-1, size};
            shape_set(out, "FF", 2, ff);
        }
        return;
    }
    if ((fam & F_EMBSEQ) != 0) {
        int64_t t = f->rank == 3 ? in->dims[2] : in->dims[1];
        if (f->rank == 2 && in->dims[1] == 1) {
            t = attr_int(nd, "input_length", 0, -1);
        }
        const struct format *of = lf != NULL && lf->rank == 3 ? lf : format_of("NCW");
        d[of->channels] = nout;
        d[of->channels == 1 ? 2 : 1] = t;
        shape_set(out, of->name, 3, d);
        return;
    }
    if ((fam & F_GLOBAL) != 0) {
        if (f->rank < 3) {
            return;
        }
        int64_t ch = in->dims[f->channels];
        if (attr_int(nd, "collapse_dimensions", 0, 1)) {
            int64_t ff[2] = {-1, ch};
            shape_set(out, "FF", 2, ff);
        } else {
            int first, count;
            spatial_axes(f, &first, &count);
            for (int k = 0; k < count; k++) {
                d[first + k] = 1;
            }
            shape_set(out, f->name, f->rank, d);
        }
        return;
    }
    /* Spatial layers: the input must have the layer's rank. */
    int want = (fam & F_1D) != 0 ? 3 : (fam & F_3D) != 0 ? 5 : 4;
    if (f->rank != want || lf == NULL || lf->rank != want) {
        return;
    }
    f = lf;
    int first, count;
    spatial_axes(f, &first, &count);
    const char *mode = attr_text(nd, "convolution_mode", "Truncate");
    for (int k = 0; k < count; k++) {
        int64_t x = d[first + k];
        int64_t r;
        if ((fam & (F_CONV | F_POOL)) != 0) {
            r = conv_size(x, attr_int(nd, "kernel", (size_t)k, -1),
                          attr_int(nd, "stride", (size_t)k, 1),
                          attr_int(nd, "padding", (size_t)k, 0),
                          attr_int(nd, "dilation", (size_t)k, 1), mode, (fam & F_DECONV) != 0);
        } else if ((fam & F_UPSAMPLE) != 0) {
            r = size_mul(x, attr_int(nd, "size", (size_t)k, -1));
        } else {
            const char *key = (fam & F_ZEROPAD) != 0 ? "padding" : "cropping";
            const nattr *a = attr_get(nd, key);
            int64_t lo = -1, hi = -1;
            if (a != NULL && a->type == DLZ_ATTR_INTS && a->count == (size_t)(2 * count)) {
                lo = a->ints[2 * k];
                hi = a->ints[2 * k + 1];
            } else if (a != NULL && a->type == DLZ_ATTR_INTS && a->count == (size_t)count) {
                lo = hi = a->ints[k];
            }
            r = (fam & F_ZEROPAD) != 0 ? size_add(x, size_add(lo, hi))
                                       : size_sub(x, size_add(lo, hi));
        }
        d[first + k] = r;
    }
    if ((fam & F_CONV) != 0) {
        d[f->channels] = nout;
    }
    shape_set(out, f->name, f->rank, d);
}

/* The preprocessor of nd applied to shape in (may be unknown). */
static void preprocess(const nnode *nd, const dlz_net_shape *in, dlz_net_shape *out) {
    const char *p = nd->preprocessor;
    *out = *in;
    if (p == NULL) {
        return;
    }
    int64_t h = nd->pre_h > 0 ? nd->pre_h : -1, w = nd->pre_w > 0 ? nd->pre_w : -1;
    int64_t ch = nd->pre_c > 0 ? nd->pre_c : -1, dep = nd->pre_d > 0 ? nd->pre_d : -1;
    int64_t d[DLZ_MAX_RANK] = {-1, -1, -1, -1, -1};
    const char *fmt = nd->pre_format;
    if (strcmp(p, "CnnToFeedForwardPreProcessor") == 0) {
        d[1] = size_mul(size_mul(h, w), ch);
        shape_set(out, "FF", 2, d);
    } else if (strcmp(p, "Cnn3DToFeedForwardPreProcessor") == 0) {
        d[1] = size_mul(size_mul(size_mul(h, w), ch), dep);
        shape_set(out, "FF", 2, d);
    } else if (strcmp(p, "FeedForwardToCnnPreProcessor") == 0 ||
               strcmp(p, "RnnToCnnPreProcessor") == 0) {
        int nhwc = fmt != NULL && strcmp(fmt, "NHWC") == 0;
        d[nhwc ? 3 : 1] = ch;
        d[nhwc ? 1 : 2] = h;
        d[nhwc ? 2 : 3] = w;
        shape_set(out, nhwc ? "NHWC" : "NCHW", 4, d);
    } else if (strcmp(p, "RnnToFeedForwardPreProcessor") == 0) {
        const struct format *rf = format_of(in->format);
        if (rf != NULL && rf->rank == 3) {
            d[1] = in->dims[rf->channels];
            shape_set(out, "FF", 2, d);
        }
    } else if (strcmp(p, "FeedForwardToRnnPreProcessor") == 0 ||
               strcmp(p, "CnnToRnnPreProcessor") == 0) {
        int64_t size = strcmp(p, "CnnToRnnPreProcessor") == 0 ? size_mul(size_mul(h, w), ch)
                       : in->rank == 2                        ? in->dims[1]
                                                              : -1;
        int nwc = fmt != NULL && strcmp(fmt, "NWC") == 0;
        d[nwc ? 2 : 1] = size;
        shape_set(out, nwc ? "NWC" : "NCW", 3, d);
    } else if (strcmp(p, "ZeroMeanPrePreProcessor") != 0 &&
               strcmp(p, "ZeroMeanAndUnitVariancePreProcessor") != 0 &&
               strcmp(p, "UnitVarianceProcessor") != 0 &&
               strcmp(p, "BinomialSamplingPreProcessor") != 0) {
        shape_none(out);
    }
}

/* The shape flowing out of the network input or node called name. */
static const dlz_net_shape *shape_of(const dlz_network *net, size_t before, const char *name) {
    for (size_t i = 0; i < net->ninputs; i++) {
        if (strcmp(net->inputs[i], name) == 0) {
            return &net->flow[i];
        }
    }
    for (size_t i = 0; i < before; i++) {
        if (strcmp(net->nodes[i].name, name) == 0) {
            return &net->nodes[i].out;
        }
    }
    return NULL;
}

/* A vertex without a layer. */
static void vertex_shape(const dlz_network *net, size_t at, const nnode *nd,
                         const dlz_net_shape *in, dlz_net_shape *out) {
    const char *t = nd->base_type;
    const struct format *f = format_of(in->format);
    int64_t d[DLZ_MAX_RANK];
    memcpy(d, in->dims, sizeof d);
    shape_none(out);
    if (strcmp(t, "ElementWiseVertex") == 0 || strcmp(t, "L2NormalizeVertex") == 0 ||
        strcmp(t, "ScaleVertex") == 0 || strcmp(t, "ShiftVertex") == 0 ||
        strcmp(t, "StackVertex") == 0 || strcmp(t, "UnstackVertex") == 0 ||
        strcmp(t, "ReverseTimeSeriesVertex") == 0 || strcmp(t, "PreprocessorVertex") == 0) {
        *out = *in;
    } else if (strcmp(t, "MergeVertex") == 0 && f != NULL) {
        int64_t sum = 0;
        for (size_t k = 0; k < nd->ninputs; k++) {
            const dlz_net_shape *s = shape_of(net, at, nd->inputs[k]);
            if (s == NULL || s->rank != in->rank || s->format != in->format) {
                return;
            }
            sum = size_add(sum, s->dims[f->channels]);
        }
        d[f->channels] = sum;
        shape_set(out, f->name, f->rank, d);
    } else if (strcmp(t, "SubsetVertex") == 0 && f != NULL) {
        int64_t from = attr_int(nd, "from", 0, -1), to = attr_int(nd, "to", 0, -1);
        d[f->channels] = from >= 0 && to >= from ? to - from + 1 : -1;
        shape_set(out, f->name, f->rank, d);
    } else if (strcmp(t, "L2Vertex") == 0) {
        int64_t ff[2] = {-1, 1};
        shape_set(out, "FF", 2, ff);
    } else if (strcmp(t, "LastTimeStepVertex") == 0 && f != NULL && f->rank == 3) {
        int64_t ff[2] = {-1, d[f->channels]};
        shape_set(out, "FF", 2, ff);
    }
}

/* Computes every node's shapes from the network inputs' shapes.  An input
   whose shape was not set takes the shape the first layer reading it
   directly (without a preprocessor) expects. */
static void infer(dlz_network *net) {
    for (size_t k = 0; k < net->ninputs; k++) {
        net->flow[k] = net->input_shapes[k];
        for (size_t i = 0; net->flow[k].rank == 0 && i < net->n; i++) {
            const nnode *nd = &net->nodes[i];
            if (nd->ninputs > 0 && strcmp(nd->inputs[0], net->inputs[k]) == 0 && nd->known &&
                nd->preprocessor == NULL && strstr(nd->class_name, "Vertex") == NULL) {
                expected_input(nd, nd->family, &net->flow[k]);
            }
        }
    }
    for (size_t i = 0; i < net->n; i++) {
        nnode *nd = &net->nodes[i];
        dlz_net_shape none;
        shape_none(&none);
        const dlz_net_shape *src = nd->ninputs > 0 ? shape_of(net, i, nd->inputs[0]) : NULL;
        preprocess(nd, src != NULL ? src : &none, &nd->in);
        unsigned fam = nd->family;
        if (!nd->known) {
            shape_none(&nd->out);
            continue;
        }
        if (strstr(nd->class_name, "Vertex") != NULL && fam == 0) {
            vertex_shape(net, i, nd, &nd->in, &nd->out);
            continue;
        }
        if (nd->in.rank == 0) {
            expected_input(nd, fam, &nd->in);
        }
        if (nd->in.rank == 0) {
            shape_none(&nd->out);
            continue;
        }
        if (attr_int(nd, "time_distributed", 0, 0)) {
            const struct format *f = format_of(nd->in.format);
            if (f == NULL || f->rank != 3) {
                shape_none(&nd->out);
                continue;
            }
            int64_t ff[2] = {-1, nd->in.dims[f->channels]};
            dlz_net_shape step, r;
            shape_set(&step, "FF", 2, ff);
            layer_shape(nd, fam, &step, &r);
            nd->out = nd->in;
            nd->out.dims[f->channels] = r.rank == 2 ? r.dims[1] : -1;
            continue;
        }
        layer_shape(nd, fam, &nd->in, &nd->out);
    }
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */

static void free_strings(char **v, size_t n) {
    for (size_t i = 0; v != NULL && i < n; i++) {
        dlzi_free(v[i]);
    }
    dlzi_free(v);
}

void dlz_network_free(dlz_network *n) {
    if (n == NULL) {
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        nnode *nd = &n->nodes[i];
        dlzi_free(nd->name);
        dlzi_free(nd->layer_name);
        dlzi_free(nd->type);
        dlzi_free(nd->base_type);
        dlzi_free(nd->class_name);
        dlzi_free(nd->preprocessor);
        free_strings(nd->inputs, nd->ninputs);
        free_strings(nd->unknown, nd->nunknown);
        for (size_t k = 0; k < nd->nattrs; k++) {
            attr_clear(&nd->attrs[k]);
        }
        dlzi_free(nd->attrs);
    }
    dlzi_free(n->nodes);
    free_strings(n->inputs, n->ninputs);
    free_strings(n->outputs, n->noutputs);
    dlzi_free(n->input_shapes);
    dlzi_free(n->flow);
    dlzi_free(n);
}

int dlzi_network_parse(const char *json, size_t len, const dlzi_json_budget *budget,
                       dlz_network **out, dlzi_err *err) {
    if (out != NULL) {
        *out = NULL;
    }
    if (out == NULL || (json == NULL && len > 0)) {
        return dlzi_err_set(err, DLZ_EMISUSE, "NULL argument");
    }
    static const dlzi_json_budget defaults = {DLZI_JSON_DEFAULT_NODES, DLZI_JSON_DEFAULT_DEPTH};
    json_t *root;
    int rc = dlzi_json_load(json != NULL ? json : "", len, budget != NULL ? budget : &defaults,
                            DLZI_JSON_ALLOW_NUL, "configuration.json", &root, err);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlz_network *net = dlzi_calloc(1, sizeof *net);
    nctx c;
    memset(&c, 0, sizeof c);
    c.net = net;
    c.err = err;
    if (net == NULL) {
        rc = oom(&c);
    } else if (!json_is_object(root)) {
        rc = dlzi_config_fail(c.err, DLZ_EFORMAT, "expected a JSON object at the top level");
    } else if (json_object_get(root, "confs") != NULL) {
        net->kind = DLZ_KIND_MULTILAYER;
        rc = build_mln(&c, root);
    } else if (json_object_get(root, "vertices") != NULL) {
        net->kind = DLZ_KIND_GRAPH;
        rc = build_cg(&c, root);
    } else {
        rc = dlzi_config_fail(
            c.err, DLZ_EFORMAT,
            "neither a MultiLayerNetwork ('confs') nor a ComputationGraph ('vertices')");
    }
    if (rc == DLZ_OK) {
        net->input_shapes = dlzi_calloc(net->ninputs + 1, sizeof *net->input_shapes);
        net->flow = dlzi_calloc(net->ninputs + 1, sizeof *net->flow);
        rc = net->input_shapes != NULL && net->flow != NULL ? DLZ_OK : oom(&c);
    }
    if (rc == DLZ_OK) {
        infer(net);
    }
    if (rc == DLZ_ENOMEM && err->code != DLZ_ENOMEM) {
        dlzi_err_set(err, DLZ_ENOMEM, "out of memory");
    }
    json_decref(root);
    if (rc != DLZ_OK) {
        dlz_network_free(net);
        return rc;
    }
    *out = net;
    return DLZ_OK;
}

int dlz_network_parse(const char *json, size_t len, dlz_network **out, char *errbuf,
                      size_t errbuf_size) {
    dlzi_err err;
    dlzi_err_clear(&err);
    int rc = dlzi_network_parse(json, len, NULL, out, &err);
    return rc == DLZ_OK ? rc : dlzi_err_to_buf(&err, rc, errbuf, errbuf_size);
}

dlz_kind dlz_network_kind(const dlz_network *n) {
    return n != NULL ? n->kind : DLZ_KIND_UNKNOWN;
}

size_t dlz_network_input_count(const dlz_network *n) {
    return n != NULL ? n->ninputs : 0;
}

const char *dlz_network_input(const dlz_network *n, size_t i) {
    return n != NULL && i < n->ninputs ? n->inputs[i] : NULL;
}

size_t dlz_network_output_count(const dlz_network *n) {
    return n != NULL ? n->noutputs : 0;
}

const char *dlz_network_output(const dlz_network *n, size_t i) {
    return n != NULL && i < n->noutputs ? n->outputs[i] : NULL;
}

size_t dlz_network_node_count(const dlz_network *n) {
    return n != NULL ? n->n : 0;
}

int dlz_network_node(const dlz_network *n, size_t i, dlz_net_node *info) {
    if (n == NULL || info == NULL || i >= n->n) {
        return DLZ_EMISUSE;
    }
    const nnode *nd = &n->nodes[i];
    memset(info, 0, sizeof *info);
    info->name = nd->name;
    info->layer_name = nd->layer_name;
    info->index = nd->index;
    info->type = nd->type;
    info->base_type = nd->base_type;
    info->class_name = nd->class_name;
    info->known = nd->known;
    info->preprocessor = nd->preprocessor;
    info->input_count = nd->ninputs;
    info->inputs = (const char *const *)nd->inputs;
    info->attr_count = nd->nattrs;
    info->unknown_count = nd->nunknown;
    info->in_shape = nd->in;
    info->out_shape = nd->out;
    return DLZ_OK;
}

static void fill_attr(const nattr *a, dlz_net_attr *attr) {
    memset(attr, 0, sizeof *attr);
    attr->name = a->name;
    attr->type = a->type;
    attr->count = a->count;
    attr->ints = a->ints;
    attr->reals = a->reals;
    attr->text = a->text;
}

int dlz_network_attr(const dlz_network *n, size_t i, size_t k, dlz_net_attr *attr) {
    if (n == NULL || attr == NULL || i >= n->n || k >= n->nodes[i].nattrs) {
        return DLZ_EMISUSE;
    }
    fill_attr(&n->nodes[i].attrs[k], attr);
    return DLZ_OK;
}

int dlz_network_find_attr(const dlz_network *n, size_t i, const char *name, dlz_net_attr *attr) {
    if (n == NULL || attr == NULL || name == NULL || i >= n->n) {
        return DLZ_EMISUSE;
    }
    const nattr *a = attr_get(&n->nodes[i], name);
    if (a == NULL) {
        return DLZ_ENOTFOUND;
    }
    fill_attr(a, attr);
    return DLZ_OK;
}

const char *dlz_network_unknown(const dlz_network *n, size_t i, size_t k) {
    return n != NULL && i < n->n && k < n->nodes[i].nunknown ? n->nodes[i].unknown[k] : NULL;
}

int dlz_network_set_input_shape(dlz_network *n, size_t i, const dlz_net_shape *shape) {
    if (n == NULL || shape == NULL || i >= n->ninputs) {
        return DLZ_EMISUSE;
    }
    const struct format *f = format_of(shape->format);
    if (f == NULL || shape->rank != f->rank) {
        return DLZ_EMISUSE;
    }
    shape_set(&n->input_shapes[i], f->name, f->rank, shape->dims);
    infer(n);
    return DLZ_OK;
}
