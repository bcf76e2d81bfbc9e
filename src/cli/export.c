/* export.c - "dlz export": the named parameters of a model archive (and, on
 * request, their updater state and the normalizer statistics) as a
 * safetensors file or a NumPy .npz archive, or the whole network as an ONNX
 * model, through the library's export
 * (dlz_export_put_model(), which names the tensors and lays out the files;
 * see "Export" in dlz.h).  OUT is replaced atomically by the library.
 */
#include "cli.h"

#include <string.h>
#include <unistd.h>

const char cli_export_usage[] =
    "Usage: dlz export [--format safetensors|npz|onnx] [--with-updater]\n"
    "                  [--with-normalizer] FILE OUT\n"
    "\n"
    "Writes every parameter of the model archive FILE as a tensor named LAYER/KEY\n"
    "(0/W, 0/b, dense1/W ...; see 'dlz params') to OUT: DL4J's shape, row-major\n"
    "(C) order, little-endian, the data type of the coefficients (F32, F64, F16).\n"
    "OUT is replaced only when it is complete (temporary file next to it, fsync,\n"
    "rename); on failure an existing OUT is left unchanged.  FILE '-' reads\n"
    "standard input, OUT '-' writes standard output.\n"
    "\n"
    "Formats:\n"
    "  safetensors   JSON header and tensor data; the header's __metadata__ holds\n"
    "                source (dl4j), kind (MultiLayerNetwork or ComputationGraph),\n"
    "                dl4j_configuration (configuration.json) and, with\n"
    "                --with-normalizer, dl4j_normalizer (the normalizer as JSON)\n"
    "  npz           zip of NumPy .npy files (stored), for numpy.load(); the\n"
    "                entries are named LAYER/KEY.npy (BFLOAT16 is widened to\n"
    "                float32, which NumPy has no type for)\n"
    "  onnx          the network itself as an ONNX model (opset 17) that ONNX\n"
    "                Runtime runs, with the weights converted to ONNX's layouts;\n"
    "                inputs and outputs keep DL4J's layouts (RNN [batch, features,\n"
    "                time]); a FLOAT or DOUBLE model; a layer the export cannot\n"
    "                translate exactly is an error naming it (--with-updater and\n"
    "                --with-normalizer do not apply)\n"
    "\n"
    "Options:\n"
    "  --format=safetensors|npz|onnx\n"
    "                     output format; default: from OUT's suffix (.safetensors,\n"
    "                     .npz or .onnx)\n"
    "  --with-updater     add each parameter's optimizer state as\n"
    "                     updater/LAYER/KEY/STATE (STATE as DL4J names it: m, v...)\n"
    "  --with-normalizer  add the normalizer's statistics as normalizer/FIELD or\n"
    "                     normalizer/FIELD/INDEX (mean, std, min, max, labelMean,\n"
    "                     featureMean/0, inputStats/1/mean ...) and its ranges\n"
    "                     (targetMin, targetMax, minRange ...) as 0-d float64\n"
    "  -h, --help         show this help and exit\n"
    "\n"
    "Examples:\n"
    "  dlz export model.zip weights.safetensors\n"
    "  dlz export --with-updater --with-normalizer model.zip all.npz\n"
    "  dlz export --format=npz model.zip - > params.npz\n"
    "  dlz export --format onnx model.zip model.onnx\n";

enum { FMT_NONE = -1 };

typedef struct export_opts {
    int format;
    int with_updater;
    int with_normalizer;
    const char *in, *out;
} export_opts;

/* ---- options ------------------------------------------------------------------ */

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

static int parse_format(cli_opts *o, export_opts *eo) {
    const char *v = cli_opts_value(o);
    if (v == NULL) {
        return cli_usage_error("export", "option '%s' needs a value", o->arg);
    }
    if (strcmp(v, "safetensors") == 0) {
        eo->format = DLZ_EXPORT_SAFETENSORS;
    } else if (strcmp(v, "npz") == 0) {
        eo->format = DLZ_EXPORT_NPZ;
    } else if (strcmp(v, "onnx") == 0) {
        eo->format = DLZ_EXPORT_ONNX;
    } else {
        return cli_usage_error("export", "unknown format '%s' (safetensors, npz or onnx)", v);
    }
    return CLI_EXIT_OK;
}

static int parse_option(cli_opts *o, export_opts *eo) {
    if (cli_opts_is(o, "help") || strcmp(o->arg, "-h") == 0) {
        fputs(cli_export_usage, stdout);
        return CLI_HELP_SHOWN;
    }
    if (cli_opts_is(o, "format")) {
        return parse_format(o, eo);
    }
    int *flag = NULL;
    if (cli_opts_is(o, "with-updater")) {
        flag = &eo->with_updater;
    } else if (cli_opts_is(o, "with-normalizer")) {
        flag = &eo->with_normalizer;
    } else {
        return cli_usage_error("export", "unknown option '%s'", o->arg);
    }
    if (o->value != NULL) {
        return cli_usage_error("export", "option '--%.*s' takes no value", (int)o->name_len,
                               o->name);
    }
    *flag = 1;
    return CLI_EXIT_OK;
}

static int parse_options(int argc, char **argv, export_opts *eo) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    memset(eo, 0, sizeof *eo);
    eo->format = FMT_NONE;
    while (cli_opts_next(&o) == CLI_OPT_OPTION) {
        int status = parse_option(&o, eo);
        if (status != CLI_EXIT_OK) {
            return status;
        }
    }
    if (o.nargs < 2) {
        return cli_usage_error("export", o.nargs == 0 ? "missing FILE and OUT" : "missing OUT");
    }
    if (o.nargs > 2) {
        return cli_usage_error("export", "too many arguments (FILE and OUT expected)");
    }
    eo->in = o.args[0];
    eo->out = o.args[1];
    if (eo->format == FMT_NONE) {
        if (ends_with(eo->out, ".safetensors")) {
            eo->format = DLZ_EXPORT_SAFETENSORS;
        } else if (ends_with(eo->out, ".npz")) {
            eo->format = DLZ_EXPORT_NPZ;
        } else if (ends_with(eo->out, ".onnx")) {
            eo->format = DLZ_EXPORT_ONNX;
        } else {
            return cli_usage_error("export", "--format is needed (safetensors, npz or onnx): "
                                             "OUT does not end in .safetensors, .npz or .onnx");
        }
    }
    if (eo->format == DLZ_EXPORT_ONNX && (eo->with_updater || eo->with_normalizer)) {
        return cli_usage_error("export", "--with-updater and --with-normalizer do not apply to "
                                         "an ONNX export");
    }
    return CLI_EXIT_OK;
}

/* ---- command ------------------------------------------------------------------------ */

/* Prints the export's failure, naming OUT when the output failed and FILE
   otherwise; returns CLI_EXIT_DATA. */
static int export_failed(const export_opts *o, dlz_export *e, int output_side) {
    const char *name =
        output_side || dlz_export_syserr(e) != 0 ? cli_output_name(o->out) : cli_input_name(o->in);
    cli_error(name, "%s", dlz_export_errmsg(e));
    return CLI_EXIT_DATA;
}

static int run(const export_opts *o, dlz_reader *r, dlz_export *e) {
    int rc;
    if (strcmp(o->out, "-") == 0) {
        rc = dlz_export_open_FILE(e, (dlz_export_format)o->format, stdout, DLZ_KEEP_OPEN);
    } else {
        rc = dlz_export_open_path(e, (dlz_export_format)o->format, o->out);
    }
    if (rc != DLZ_OK) {
        return export_failed(o, e, 1);
    }
    unsigned flags = (o->with_updater ? DLZ_EXPORT_UPDATER : 0u) |
                     (o->with_normalizer ? DLZ_EXPORT_NORMALIZER : 0u);
    if (dlz_export_put_model(e, r, flags) != DLZ_OK) {
        return export_failed(o, e, 0);
    }
    if (dlz_export_close(e) != DLZ_OK) {
        return export_failed(o, e, 1);
    }
    return CLI_EXIT_OK;
}

int cli_export(int argc, char **argv) {
    export_opts eo;
    int status = parse_options(argc, argv, &eo);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    if (strcmp(eo.out, "-") == 0 && cli_refuse_terminal("binary data") != 0) {
        return CLI_EXIT_USAGE;
    }
    dlz_reader *r = cli_open_reader(eo.in);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    dlz_export *e = dlz_export_new();
    if (e == NULL) {
        cli_error(cli_output_name(eo.out), "out of memory");
        status = CLI_EXIT_DATA;
    } else {
        status = run(&eo, r, e);
    }
    dlz_export_free(e); /* an unfinished OUT is discarded, an existing one kept */
    dlz_reader_free(r);
    if (strcmp(eo.out, "-") == 0) {
        return status == CLI_EXIT_OK ? cli_finish_stdout(status) : status;
    }
    return status;
}
