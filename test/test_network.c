/* test_network.c - the network description and the parameter table against
 * DL4J's own view of the same networks.
 *
 * fixtures/network-1.0.0-M2.1/NAME.truth.json was written by real DL4J
 * 1.0.0-M2.1 (test/interop NetTruth) next to NAME.zip, whose flat parameter
 * vector holds 0, 1, 2, ...  For each network this checks, element by
 * element:
 *   - the parameter table (Convolution1D and the SameDiff attention layers
 *     among them): DL4J's paramTable() keys in order, shapes, and every value
 *     of every parameter in row-major order, which is its position in the
 *     flat vector;
 *   - the description: node names, classes, the attributes DL4J's getters
 *     return, inputs of the graph vertices, and the shape of every layer's
 *     activations DL4J computed for a batch (after dlz_network_set_input_shape()
 *     with the input types the network was configured with).
 * Then every fixture and corpus archive: the description builds, has one node
 * per layer of the parameter table, and reports nothing unknown but the
 * custom layer of CustomLayerExample.  Hostile and unusual configurations,
 * and out of memory at every allocation, end in clear errors.
 */
#include "internal.h"
#include "testutil.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const nets[] = {"conv1d", "attention", "cnn-nchw", "cnn-nhwc",
                                   "rnn",    "rnn-nwc",   "graph"};

static json_t *load_truth(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/network-1.0.0-M2.1/%s.truth.json",
             getenv("DLZ_SOURCE_ROOT"), name);
    json_error_t e;
    json_t *t = json_load_file(path, 0, &e);
    if (t == NULL) {
        fail_msg("%s: %s", path, e.text);
    }
    return t;
}

static dlz_reader *open_net(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/network-1.0.0-M2.1/%s.zip", getenv("DLZ_SOURCE_ROOT"),
             name);
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    TU_OK_R(r, dlz_reader_open_path(r, path));
    return r;
}

/* ---- the parameter table ------------------------------------------------ */

static void check_params(const char *name, const json_t *truth, dlz_reader *r) {
    dlz_params *p = NULL;
    dlz_array *coef = NULL;
    TU_OK_R(r, dlz_reader_read_params(r, 0, &p));
    TU_OK_R(r, dlz_reader_read_coefficients(r, &coef));
    TU_OK_P(p, dlz_params_check(p, coef));
    const json_t *tp = json_object_get(truth, "params");
    assert_int_equal(dlz_params_total(p), json_integer_value(json_object_get(truth, "numParams")));
    assert_int_equal(dlz_params_count(p), json_array_size(tp));
    size_t i;
    json_t *e;
    json_array_foreach(tp, i, e) {
        dlz_param_info pi;
        assert_int_equal(dlz_params_get(p, i, &pi), DLZ_OK);
        char key[256];
        snprintf(key, sizeof key, "%s_%s", pi.layer, pi.key);
        if (strcmp(key, json_string_value(json_object_get(e, "key"))) != 0) {
            fail_msg("%s: parameter %zu is %s, DL4J's is %s", name, i, key,
                     json_string_value(json_object_get(e, "key")));
        }
        /* DL4J 1.0.0-M2.1 holds vectors as [n]; the table reports [1,n]. */
        const json_t *shape = json_object_get(e, "shape");
        int skip = json_array_size(shape) == 1 && pi.rank == 2 && pi.shape[0] == 1;
        assert_int_equal((size_t)pi.rank, json_array_size(shape) + (size_t)skip);
        for (int k = skip; k < pi.rank; k++) {
            assert_int_equal(pi.shape[k], json_integer_value(json_array_get(shape, k - skip)));
        }
        dlz_array *a = NULL;
        TU_OK_P(p, dlz_params_extract(p, i, coef, 'c', &a));
        const json_t *vals = json_object_get(e, "values");
        assert_int_equal(dlz_array_length(a), json_array_size(vals));
        double *v = malloc((size_t)dlz_array_length(a) * sizeof *v + 1);
        assert_non_null(v);
        assert_int_equal(dlz_array_to_f64(a, v, (size_t)dlz_array_length(a)), DLZ_OK);
        for (size_t k = 0; k < json_array_size(vals); k++) {
            if (v[k] != (double)json_integer_value(json_array_get(vals, k))) {
                fail_msg("%s: %s value %zu is %g, DL4J's %lld", name, key, k, v[k],
                         (long long)json_integer_value(json_array_get(vals, k)));
            }
        }
        free(v);
        dlz_array_free(a);
    }
    dlz_array_free(coef);
    dlz_params_free(p);
}

static void test_params_against_dl4j(void **state) {
    (void)state;
    for (size_t n = 0; n < sizeof nets / sizeof *nets; n++) {
        json_t *truth = load_truth(nets[n]);
        dlz_reader *r = open_net(nets[n]);
        check_params(nets[n], truth, r);
        dlz_reader_free(r);
        json_decref(truth);
    }
}

/* ---- the description ---------------------------------------------------- */

/* DL4J getter -> attribute of the description. */
static const char *const getter_attr[][2] = {
    {"nIn", "n_in"},
    {"nOut", "n_out"},
    {"kernelSize", "kernel"},
    {"stride", "stride"},
    {"padding", "padding"},
    {"dilation", "dilation"},
    {"convolutionMode", "convolution_mode"},
    {"poolingType", "pooling"},
    {"activationFn", "activation"},
    {"gateActivationFn", "gate_activation"},
    {"activation", "activation"},
    {"forgetGateBiasInit", "forget_gate_bias"},
    {"nHeads", "n_heads"},
    {"headSize", "head_size"},
    {"projectInput", "project_input"},
    {"nQueries", "n_queries"},
    {"mode", "bidirectional_mode"},
    {"collapseDimensions", "collapse_dimensions"},
    {"size", "size"},
    {"cropping", "cropping"},
    {"depthMultiplier", "depth_multiplier"},
    {"hasBias", "has_bias"},
    {"useLogStd", "use_log_std"},
    {"eps", "eps"},
    {"lossFn", "loss"},
    {"pnorm", "pnorm"},
    {"rnnDataFormat", "data_format"},
};

static int is_1d(const char *cls) {
    return strstr(cls, "1D") != NULL;
}

static int same_nocase(const char *a, const char *b) {
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
            return 0;
        }
    }
    return *a == *b;
}

/* DL4J's class name of an activation or loss ("ActivationReLU", "LossMCXENT")
   or Activation enum name ("TANH") against the description's text. */
static int same_class_text(const char *dl4j, const char *ours) {
    if (strncmp(dl4j, "Activation", 10) == 0) {
        dl4j += 10;
    } else if (strncmp(dl4j, "Loss", 4) == 0) {
        dl4j += 4;
    }
    if (same_nocase(dl4j, ours)) {
        return 1;
    }
    return same_nocase(dl4j, "TANH") && strcmp(ours, "TanH") == 0;
}

static void check_attr(const char *where, const dlz_network *net, size_t i, const char *cls,
                       const char *getter, const char *attr, const json_t *v) {
    if (json_is_null(v)) {
        return;
    }
    dlz_net_attr a;
    int rc = dlz_network_find_attr(net, i, attr, &a);
    if (rc != DLZ_OK) {
        fail_msg("%s: DL4J's %s is set, the description has no '%s'", where, getter, attr);
    }
    if (json_is_string(v)) {
        assert_int_equal(a.type, DLZ_ATTR_TEXT);
        if (!same_class_text(json_string_value(v), a.text)) {
            fail_msg("%s: %s '%s', described as %s '%s'", where, getter, json_string_value(v), attr,
                     a.text);
        }
    } else if (json_is_boolean(v)) {
        assert_int_equal(a.type, DLZ_ATTR_BOOL);
        assert_int_equal(a.ints[0], json_is_true(v));
    } else if (json_is_real(v)) {
        assert_int_equal(a.type, DLZ_ATTR_REAL);
        assert_true(a.reals[0] == json_real_value(v));
    } else if (json_is_integer(v)) {
        assert_true(a.type == DLZ_ATTR_INT);
        assert_int_equal(a.ints[0], json_integer_value(v));
    } else if (json_is_array(v)) {
        /* 1-D layers: DL4J reads the first value only. */
        size_t n = is_1d(cls) && strcmp(attr, "cropping") != 0 && strcmp(attr, "padding") != 0
                       ? 1
                       : json_array_size(v);
        if (is_1d(cls) && strcmp(attr, "padding") == 0) {
            n = 1;
        }
        assert_int_equal(a.type, DLZ_ATTR_INTS);
        if (a.count != n) {
            fail_msg("%s: %s has %zu values, described with %zu", where, getter, n, a.count);
        }
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(a.ints[k], json_integer_value(json_array_get(v, k)));
        }
    }
}

/* The shape DL4J's activations had (batch left out), or with no
   activations (DL4J 1.0.0-M2.1 cannot run RecurrentAttentionLayer) the
   output type DL4J computes, where -1 matches any size. */
static void check_shape(const char *where, const json_t *layer, const dlz_net_shape *s,
                        const char *cls, const char *input_format) {
    const json_t *act = json_object_get(layer, "activation");
    const json_t *out = json_object_get(layer, "output");
    const json_t *want = json_is_array(act) ? act : json_object_get(out, "shape");
    if (!json_is_array(act) && strcmp(cls, "GlobalPoolingLayer") == 0 &&
        strcmp(input_format, "FF") != 0) {
        /* DL4J 1.0.0-M2.1's getOutputType() keeps a time series type after
           global pooling, whose activations are [N,size] (see the conv1d
           network): checked as such. */
        assert_int_equal(s->rank, 2);
        return;
    }
    if ((size_t)s->rank != json_array_size(want)) {
        fail_msg("%s: shape of rank %d, DL4J's activations have rank %zu", where, s->rank,
                 json_array_size(want));
    }
    for (int k = 1; k < s->rank; k++) {
        int64_t w = json_integer_value(json_array_get(want, (size_t)k));
        if (w >= 0 && s->dims[k] != w) {
            fail_msg("%s: size %d is %lld, DL4J's %lld", where, k, (long long)s->dims[k],
                     (long long)w);
        }
    }
    if (json_is_array(act)) {
        const char *f = json_string_value(json_object_get(out, "format"));
        if (f != NULL && json_array_size(json_object_get(out, "shape")) == json_array_size(act)) {
            assert_string_equal(s->format, f);
        }
    }
}

static void check_network(const char *name, const json_t *truth, dlz_reader *r) {
    dlz_network *net = NULL;
    TU_OK_R(r, dlz_reader_read_network(r, &net));
    const json_t *inputs = json_object_get(truth, "inputs");
    assert_int_equal(dlz_network_input_count(net), json_array_size(inputs));
    for (size_t i = 0; i < json_array_size(inputs); i++) {
        const json_t *in = json_array_get(inputs, i);
        const json_t *shape = json_object_get(in, "shape");
        dlz_net_shape s;
        memset(&s, 0, sizeof s);
        s.rank = (int)json_array_size(shape);
        for (int k = 0; k < s.rank; k++) {
            s.dims[k] = json_integer_value(json_array_get(shape, (size_t)k));
        }
        s.format = json_string_value(json_object_get(in, "format"));
        assert_int_equal(dlz_network_set_input_shape(net, i, &s), DLZ_OK);
    }
    const json_t *outs = json_object_get(truth, "networkOutputs");
    if (outs != NULL) {
        assert_int_equal(dlz_network_output_count(net), json_array_size(outs));
        for (size_t i = 0; i < json_array_size(outs); i++) {
            assert_string_equal(dlz_network_output(net, i),
                                json_string_value(json_array_get(outs, i)));
        }
    }
    const json_t *layers = json_object_get(truth, "layers");
    assert_int_equal(dlz_network_node_count(net), json_array_size(layers));
    /* Graph vertices come in topological order; DL4J lists them in
       configuration order. */
    size_t li;
    json_t *layer;
    json_array_foreach(layers, li, layer) {
        const char *lname = json_string_value(json_object_get(layer, "name"));
        size_t i = 0;
        dlz_net_node nd;
        for (; i < dlz_network_node_count(net); i++) {
            assert_int_equal(dlz_network_node(net, i, &nd), DLZ_OK);
            if (strcmp(nd.name, lname) == 0) {
                break;
            }
        }
        if (i == dlz_network_node_count(net)) {
            fail_msg("%s: no node '%s'", name, lname);
        }
        char where[300];
        snprintf(where, sizeof where, "%s: node %s (%s)", name, lname, nd.type);
        const char *cls = json_string_value(json_object_get(layer, "class"));
        const char *wrapped = json_string_value(json_object_get(layer, "wrapped"));
        char type[200];
        snprintf(type, sizeof type, wrapped != NULL ? "%s(%s)" : "%s", cls, wrapped);
        /* Bidirectional is no BaseWrapperLayer: its wrapped layer is not named. */
        size_t tl = strlen(type);
        if (strncmp(nd.type, type, tl) != 0 || (nd.type[tl] != '\0' && nd.type[tl] != '(')) {
            fail_msg("%s: DL4J's class is %s", where, type);
        }
        assert_int_equal(nd.known, 1);
        if (nd.unknown_count != 0) {
            fail_msg("%s: unknown %s", where, dlz_network_unknown(net, i, 0));
        }
        const json_t *pp = json_object_get(layer, "preprocessor");
        if (json_is_string(pp)) {
            assert_non_null(nd.preprocessor);
            assert_string_equal(nd.preprocessor, json_string_value(pp));
        } else if (json_object_get(truth, "networkInputs") == NULL) {
            assert_null(nd.preprocessor);
        }
        const json_t *vin = json_object_get(layer, "inputs");
        if (vin != NULL) {
            assert_int_equal(nd.input_count, json_array_size(vin));
            for (size_t k = 0; k < nd.input_count; k++) {
                assert_string_equal(nd.inputs[k], json_string_value(json_array_get(vin, k)));
            }
        }
        const json_t *attrs = json_object_get(layer, "attrs");
        for (size_t g = 0; g < sizeof getter_attr / sizeof *getter_attr; g++) {
            const json_t *v = json_object_get(attrs, getter_attr[g][0]);
            /* A wrapper's own sizes are the wrapped layer's, not repeated. */
            int wrapper_size = strcmp(cls, "Bidirectional") == 0 && getter_attr[g][1][0] == 'n' &&
                               getter_attr[g][1][1] == '_';
            if (v != NULL && !wrapper_size) {
                check_attr(where, net, i, cls, getter_attr[g][0], getter_attr[g][1], v);
            }
        }
        if (!is_1d(cls) && strcmp(cls, "LSTM") != 0 && strcmp(cls, "GravesLSTM") != 0) {
            const json_t *f = json_object_get(attrs, "cnn2dDataFormat");
            if (f != NULL) {
                check_attr(where, net, i, cls, "cnn2dDataFormat", "data_format", f);
            }
        }
        check_shape(where, layer, &nd.out_shape, cls, nd.in_shape.format ? nd.in_shape.format : "");
    }
    dlz_network_free(net);
}

static void test_network_against_dl4j(void **state) {
    (void)state;
    for (size_t n = 0; n < sizeof nets / sizeof *nets; n++) {
        json_t *truth = load_truth(nets[n]);
        dlz_reader *r = open_net(nets[n]);
        check_network(nets[n], truth, r);
        dlz_reader_free(r);
        json_decref(truth);
    }
}

/* ---- every fixture and corpus archive ---------------------------------- */

/* Builds the description of the archive at path and checks it against its
   parameter table; returns the number of unknown entries. */
static size_t describe(const char *path, int *with_table) {
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    TU_OK_R(r, dlz_reader_open_path(r, path));
    dlz_network *net = NULL;
    TU_OK_R(r, dlz_reader_read_network(r, &net));
    dlz_params *p = NULL;
    size_t unknown = 0;
    *with_table = dlz_reader_read_params(r, 0, &p) == DLZ_OK;
    if (*with_table) {
        if (dlz_params_layer_count(p) != dlz_network_node_count(net)) {
            fail_msg("%s: %zu nodes, %zu layers in the parameter table", path,
                     dlz_network_node_count(net), dlz_params_layer_count(p));
        }
    }
    for (size_t i = 0; i < dlz_network_node_count(net); i++) {
        dlz_net_node nd;
        assert_int_equal(dlz_network_node(net, i, &nd), DLZ_OK);
        if (*with_table) {
            dlz_layer_info li;
            assert_int_equal(dlz_params_layer(p, i, &li), DLZ_OK);
            assert_string_equal(li.name, nd.name);
            assert_string_equal(li.type, nd.type);
            assert_int_equal(li.index, nd.index);
            /* A layer with parameters knows its sizes, so its output shape
               has them, whether or not the input's are known. */
            if (li.param_count > 0 && nd.out_shape.rank == 0) {
                fail_msg("%s: node %s (%s) has no output shape", path, nd.name, nd.type);
            }
        }
        for (size_t k = 0; k < nd.unknown_count; k++) {
            print_message("%s: node %s (%s): unknown %s\n", path, nd.name, nd.type,
                          dlz_network_unknown(net, i, k));
        }
        unknown += nd.unknown_count;
    }
    dlz_params_free(p);
    dlz_network_free(net);
    dlz_reader_free(r);
    return unknown;
}

static void test_every_archive(void **state) {
    (void)state;
    char *files[512];
    int n = 0;
    char dir[1024];
    const char *fx[] = {"fixtures/dl4j-1.0.0-M2.1", "fixtures/dl4j-1.0.0-beta7",
                        "fixtures/network-1.0.0-M2.1"};
    for (size_t d = 0; d < 3; d++) {
        snprintf(dir, sizeof dir, "%s/%s", getenv("DLZ_SOURCE_ROOT"), fx[d]);
        n += tu_list_dir(dir, ".zip", files + n, 512 - n);
    }
    int fixtures = n;
    if (tu_corpus_dir() != NULL) {
        const char *dirs[] = {"dl4j/050", "dl4j/060",   "dl4j/071",
                              "dl4j/080", "dl4j/100b4", "dl4j/100b6"};
        for (size_t d = 0; d < 6; d++) {
            snprintf(dir, sizeof dir, "%s", tu_corpus_path(dirs[d]));
            n += tu_list_dir(dir, ".zip", files + n, 512 - n);
            char *bins[64];
            int nb = tu_list_dir(dir, ".bin", bins, 64);
            for (int b = 0; b < nb; b++) {
                if (strstr(bins[b], "_Input_") == NULL && strstr(bins[b], "_Output_") == NULL &&
                    n < 512) {
                    files[n++] = bins[b];
                } else {
                    free(bins[b]);
                }
            }
        }
    } else {
        print_message("corpus folder not found ($DLZ_CORPUS): fixtures only\n");
    }
    int tables = 0, custom = 0;
    for (int i = 0; i < n; i++) {
        int with_table;
        size_t unknown = describe(files[i], &with_table);
        tables += with_table;
        if (strstr(files[i], "CustomLayerExample") != NULL) {
            custom++;
            assert_int_equal(unknown, 1); /* the class of the custom layer */
        } else if (unknown != 0) {
            fail_msg("%s: %zu unknown fields or classes", files[i], unknown);
        }
        free(files[i]);
    }
    print_message("described %d archives (%d fixtures, %d corpus; %d with a parameter table, %d "
                  "with a custom layer reported)\n",
                  n, fixtures, n - fixtures, tables, custom);
    assert_true(fixtures >= 50);
}

/* ---- configurations written here --------------------------------------- */

static dlz_network *parse_ok(const char *json) {
    dlz_network *net = NULL;
    char msg[512] = "";
    int rc = dlz_network_parse(json, strlen(json), &net, msg, sizeof msg);
    if (rc != DLZ_OK) {
        fail_msg("%s: %s", json, msg);
    }
    return net;
}

static void test_unknown_reported(void **state) {
    (void)state;
    /* An unknown field, an unknown activation class, an unknown layer class
       and a legacy layer with its activation string. */
    dlz_network *net = parse_ok(
        "{\"confs\":[{\"layer\":{\"@class\":\"org.deeplearning4j.nn.conf.layers.DenseLayer\","
        "\"nin\":3,\"nout\":2,\"fancyNewField\":7,\"activationFn\":{\"@class\":"
        "\"com.acme.ActivationWiggle\"}}},"
        "{\"layer\":{\"@class\":\"com.acme.MyLayer\",\"nin\":2,\"nout\":2}},"
        "{\"layer\":{\"dense\":{\"nin\":2,\"nout\":1,\"activationFunction\":\"leakyrelu\","
        "\"dropOut\":0.25}}}]}");
    assert_int_equal(dlz_network_node_count(net), 3);
    dlz_net_node nd;
    assert_int_equal(dlz_network_node(net, 0, &nd), DLZ_OK);
    assert_int_equal(nd.unknown_count, 2);
    assert_string_equal(dlz_network_unknown(net, 0, 0), "field 'fancyNewField'");
    assert_string_equal(dlz_network_unknown(net, 0, 1),
                        "activation class com.acme.ActivationWiggle");
    assert_int_equal(dlz_network_node(net, 1, &nd), DLZ_OK);
    assert_int_equal(nd.known, 0);
    assert_int_equal(nd.attr_count, 0);
    assert_string_equal(dlz_network_unknown(net, 1, 0), "class com.acme.MyLayer");
    assert_int_equal(nd.out_shape.rank, 0);
    assert_int_equal(dlz_network_node(net, 2, &nd), DLZ_OK);
    assert_int_equal(nd.unknown_count, 0);
    dlz_net_attr a;
    assert_int_equal(dlz_network_find_attr(net, 2, "activation", &a), DLZ_OK);
    assert_string_equal(a.text, "LReLU");
    assert_int_equal(dlz_network_find_attr(net, 2, "dropout.p", &a), DLZ_OK);
    assert_true(a.reals[0] == 0.25);
    assert_int_equal(dlz_network_find_attr(net, 2, "nothing", &a), DLZ_ENOTFOUND);
    /* Shapes: [?,3] -> [?,2]; nothing after the unknown layer but what the
       next layer's nIn says. */
    assert_int_equal(dlz_network_node(net, 0, &nd), DLZ_OK);
    assert_int_equal(nd.out_shape.rank, 2);
    assert_int_equal(nd.out_shape.dims[1], 2);
    assert_int_equal(dlz_network_node(net, 2, &nd), DLZ_OK);
    assert_int_equal(nd.in_shape.dims[1], 2);
    assert_int_equal(nd.out_shape.dims[1], 1);
    dlz_network_free(net);
}

static void test_bad_configurations(void **state) {
    (void)state;
    static const struct {
        const char *json;
        int rc;
        const char *msg;
    } cases[] = {
        {"[]", DLZ_EFORMAT, "configuration.json: expected a JSON object at the top level"},
        {"{}", DLZ_EFORMAT,
         "configuration.json: neither a MultiLayerNetwork ('confs') nor a ComputationGraph "
         "('vertices')"},
        {"{\"confs\":3}", DLZ_EFORMAT, "configuration.json: 'confs' is not an array"},
        {"{\"confs\":[{}]}", DLZ_EFORMAT, "configuration.json: layer 0: 'layer' is missing"},
        {"{\"confs\":[{\"layer\":7}]}", DLZ_EFORMAT,
         "configuration.json: layer 0: the layer is not a JSON object"},
        {"{\"vertices\":{\"a\":{\"MergeVertex\":{}}},\"networkInputs\":[\"in\"],"
         "\"vertexInputs\":{\"a\":[\"b\"]}}",
         DLZ_EFORMAT,
         "configuration.json: vertex 'a' has input 'b', which is neither a network input nor "
         "a vertex"},
        {"{\"vertices\":{\"a\":{\"MergeVertex\":{}}},\"networkInputs\":[\"in\"],"
         "\"vertexInputs\":{\"a\":[\"in\"]},\"networkOutputs\":[\"z\"]}",
         DLZ_EFORMAT, "configuration.json: 'networkOutputs' names 'z', which is not a vertex"},
        {"{\"confs\":[{\"layer\":{\"@class\":\"org.deeplearning4j.nn.conf.layers.recurrent."
         "Bidirectional\",\"mode\":\"ADD\"}}]}",
         DLZ_EFORMAT,
         "configuration.json: layer 0 (Bidirectional): 'fwd' (the wrapped layer) is missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dlz_network *net = (dlz_network *)&net;
        char msg[512] = "";
        int rc = dlz_network_parse(cases[i].json, strlen(cases[i].json), &net, msg, sizeof msg);
        assert_int_equal(rc, cases[i].rc);
        assert_null(net);
        assert_string_equal(msg, cases[i].msg);
    }
    dlz_network *net = NULL;
    assert_int_equal(dlz_network_parse(NULL, 3, &net, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_network_parse("{}", 2, NULL, NULL, 0), DLZ_EMISUSE);
    assert_int_equal(dlz_network_node_count(NULL), 0);
    assert_null(dlz_network_input(NULL, 0));
    dlz_network_free(NULL);
}

static void test_set_input_shape(void **state) {
    (void)state;
    /* FeedForwardToCnn records the image; convolution Same with stride 2
       on 5x7 gives 3x4; a wrong format or rank is refused. */
    dlz_network *net = parse_ok(
        "{\"confs\":[{\"layer\":{\"@class\":\"org.deeplearning4j.nn.conf.layers."
        "ConvolutionLayer\",\"nin\":1,\"nout\":2,\"kernelSize\":[3,3],\"stride\":[2,2],"
        "\"padding\":[0,0],\"convolutionMode\":\"Same\"}}],\"inputPreProcessors\":{\"0\":{"
        "\"@class\":\"org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor\","
        "\"inputHeight\":5,\"inputWidth\":7,\"numChannels\":1}}}");
    dlz_net_node nd;
    assert_int_equal(dlz_network_node(net, 0, &nd), DLZ_OK);
    assert_string_equal(nd.preprocessor, "FeedForwardToCnnPreProcessor");
    assert_string_equal(nd.out_shape.format, "NCHW");
    assert_int_equal(nd.out_shape.dims[1], 2);
    assert_int_equal(nd.out_shape.dims[2], 3);
    assert_int_equal(nd.out_shape.dims[3], 4);
    dlz_net_shape s;
    memset(&s, 0, sizeof s);
    s.rank = 3;
    s.format = "NCHW";
    assert_int_equal(dlz_network_set_input_shape(net, 0, &s), DLZ_EMISUSE);
    s.format = "XYZ";
    assert_int_equal(dlz_network_set_input_shape(net, 0, &s), DLZ_EMISUSE);
    assert_int_equal(dlz_network_set_input_shape(net, 1, &s), DLZ_EMISUSE);
    dlz_network_free(net);
}

static void test_out_of_memory(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/network-1.0.0-M2.1/rnn.zip",
             getenv("DLZ_SOURCE_ROOT"));
    size_t len;
    unsigned char *zip = tu_read_file(path, &len);
    dlz_reader *r = dlz_reader_new();
    assert_non_null(r);
    TU_OK_R(r, dlz_reader_open_memory(r, zip, len));
    const char *json;
    size_t jlen;
    TU_OK_R(r, dlz_reader_configuration(r, &json, &jlen));
    int failures = 0;
    for (long n = 1;; n++) {
        dlz_network *net = NULL;
        char msg[256] = "";
        dlzi_alloc_fail_after(n);
        int rc = dlz_network_parse(json, jlen, &net, msg, sizeof msg);
        dlzi_alloc_fail_after(0);
        if (rc == DLZ_OK) {
            dlz_network_free(net);
            break;
        }
        assert_int_equal(rc, DLZ_ENOMEM);
        assert_string_equal(msg, "out of memory");
        assert_null(net);
        failures++;
    }
    print_message("out of memory at each of %d allocations: DLZ_ENOMEM\n", failures);
    assert_true(failures > 50);
    dlz_reader_free(r);
    free(zip);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_against_dl4j), cmocka_unit_test(test_network_against_dl4j),
        cmocka_unit_test(test_every_archive),       cmocka_unit_test(test_unknown_reported),
        cmocka_unit_test(test_bad_configurations),  cmocka_unit_test(test_set_input_shape),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
