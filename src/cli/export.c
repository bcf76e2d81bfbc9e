/* export.c - "dlz export": the named parameters of a model archive (and, on
 * request, their updater state and the normalizer statistics) as a
 * safetensors file or a NumPy .npz archive.
 *
 * Every tensor is laid out in C (row-major) order of its shape, little-endian,
 * in the data type it has in the archive.  Tensors are produced one at a time
 * and written as they come: at most one tensor is held beside the archive's
 * own arrays.  OUT is written to a temporary file in its directory, synced and
 * renamed over OUT, then the directory is synced; on failure the temporary
 * file is removed and an existing OUT is untouched.
 *
 * safetensors: 8-byte little-endian header size, a JSON header padded with
 * spaces to a multiple of 8 bytes, then the data of every tensor, back to back
 * with no gap (the format allows none).  Tensors are ordered by decreasing
 * element size, then in table order, so every tensor starts at a multiple of
 * its element size.
 *
 * npz: a zip file of "<name>.npy" entries, stored (not compressed), each a
 * NumPy .npy file of format version 1.0 whose header is padded to a multiple
 * of 64 bytes; ZIP64 records are added only where sizes or offsets need them.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

const char cli_export_usage[] =
    "Usage: dlz export [--format safetensors|npz] [--with-updater]\n"
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
    "                source (dl4j), kind (MultiLayerNetwork or ComputationGraph)\n"
    "                and dl4j_configuration (configuration.json)\n"
    "  npz           zip of NumPy .npy files (stored), for numpy.load(); the\n"
    "                entries are named LAYER/KEY.npy (BFLOAT16 is widened to\n"
    "                float32, which NumPy has no type for)\n"
    "\n"
    "Options:\n"
    "  --format=safetensors|npz\n"
    "                     output format; default: from OUT's suffix (.safetensors\n"
    "                     or .npz)\n"
    "  --with-updater     add each parameter's optimizer state as\n"
    "                     updater/LAYER/KEY/STATE (STATE as DL4J names it: m, v...)\n"
    "  --with-normalizer  add the normalizer's statistics as normalizer/FIELD or\n"
    "                     normalizer/FIELD/INDEX (mean, std, min, max, labelMean,\n"
    "                     featureMean/0, inputStats/1/mean ...) and its ranges\n"
    "                     (targetMin, targetMax, minRange ...) as 0-d float64\n"
    "  -h, --help         show this help and exit\n";

enum { FMT_NONE, FMT_SAFETENSORS, FMT_NPZ };

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
        eo->format = FMT_SAFETENSORS;
    } else if (strcmp(v, "npz") == 0) {
        eo->format = FMT_NPZ;
    } else {
        return cli_usage_error("export", "unknown format '%s' (safetensors or npz)", v);
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
            eo->format = FMT_SAFETENSORS;
        } else if (ends_with(eo->out, ".npz")) {
            eo->format = FMT_NPZ;
        } else {
            return cli_usage_error("export", "--format is needed (safetensors or npz): OUT "
                                             "does not end in .safetensors or .npz");
        }
    }
    return CLI_EXIT_OK;
}

/* ---- output: temporary file, fsync, rename, fsync of the directory -------------- */

typedef struct sink {
    const char *path; /* OUT as given */
    char *tmp;        /* the temporary file; NULL for standard output */
    char *dir;        /* OUT's directory */
    FILE *fp;
    uint64_t pos; /* bytes written */
    int err;      /* errno of the first failure, 0 if none */
    const char *what;
} sink;

static int sink_fail(sink *s, int e, const char *what) {
    if (s->err == 0) {
        s->err = e != 0 ? e : EIO;
        s->what = what;
    }
    return -1;
}

/* Prints the sink's failure; returns -1. */
static int sink_report(const sink *s) {
    const char *name = cli_output_name(s->path);
    if (s->tmp != NULL) {
        cli_error(name, "cannot %s %s: %s", s->what, s->tmp, strerror(s->err));
    } else {
        cli_error(name, "cannot %s: %s", s->what, strerror(s->err));
    }
    return -1;
}

static void sink_free(sink *s) {
    free(s->tmp);
    free(s->dir);
    s->tmp = s->dir = NULL;
}

static int sink_open_path(sink *s) {
    const char *name = s->path;
    struct stat st;
    int have_old = stat(s->path, &st) == 0;
    if (have_old && !S_ISREG(st.st_mode)) {
        cli_error(name, "exists and is not a regular file");
        return -1;
    }
    const char *slash = strrchr(s->path, '/');
    const char *base = slash != NULL ? slash + 1 : s->path;
    size_t dlen = slash == NULL ? 0 : slash == s->path ? 1 : (size_t)(slash - s->path);
    if (*base == '\0') {
        cli_error(name, "names a directory, not a file");
        return -1;
    }
    size_t n = strlen(s->path);
    s->dir = malloc(dlen + 2);
    s->tmp = malloc(n + 16);
    if (s->dir == NULL || s->tmp == NULL) {
        sink_free(s);
        cli_error(name, "out of memory");
        return -1;
    }
    if (slash == NULL) {
        strcpy(s->dir, ".");
    } else {
        memcpy(s->dir, s->path, dlen);
        s->dir[dlen] = '\0';
    }
    snprintf(s->tmp, n + 16, "%.*s.%s.dlz-XXXXXX", (int)(base - s->path), s->path, base);
    int fd = mkstemp(s->tmp);
    if (fd < 0) {
        cli_error(name, "cannot create a temporary file next to it: %s", strerror(errno));
        sink_free(s);
        return -1;
    }
    /* The permissions of an existing OUT carry over; a new one gets 0666 less
       the umask, as with fopen(). */
    mode_t mode = have_old ? st.st_mode & 07777 : 0;
    if (!have_old) {
        mode_t mask = umask(022);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(fd, mode) != 0 || (s->fp = fdopen(fd, "wb")) == NULL) {
        cli_error(name, "cannot prepare %s: %s", s->tmp, strerror(errno));
        close(fd);
        unlink(s->tmp);
        sink_free(s);
        return -1;
    }
    return 0;
}

static int sink_open(sink *s, const char *path) {
    memset(s, 0, sizeof *s);
    s->path = path;
    if (strcmp(path, "-") != 0) {
        return sink_open_path(s);
    }
    if (isatty(STDOUT_FILENO)) {
        cli_error("<stdout>", "refusing to write binary data to a terminal");
        return -1;
    }
    s->fp = stdout;
    return 0;
}

static int sink_write(sink *s, const void *buf, size_t n) {
    if (s->err != 0) {
        return -1;
    }
    if (n > 0 && fwrite(buf, 1, n, s->fp) != n) {
        return sink_fail(s, errno, "write");
    }
    s->pos += n;
    return 0;
}

/* Removes the temporary file (nothing for standard output). */
static void sink_discard(sink *s) {
    if (s->tmp != NULL) {
        if (s->fp != NULL) {
            fclose(s->fp);
        }
        unlink(s->tmp);
    } else if (s->fp != NULL) {
        fflush(s->fp);
    }
    s->fp = NULL;
    sink_free(s);
}

/* Flushes, syncs and renames over OUT, then syncs the directory; on failure
   prints the error and discards. */
static int sink_commit(sink *s) {
    if (s->err == 0 && fflush(s->fp) != 0) {
        sink_fail(s, errno, "write");
    }
    if (s->tmp == NULL) {
        s->fp = NULL;
        return s->err == 0 ? 0 : sink_report(s);
    }
    if (s->err == 0 && fsync(fileno(s->fp)) != 0) {
        sink_fail(s, errno, "sync");
    }
    int rc = fclose(s->fp);
    s->fp = NULL;
    if (rc != 0 && s->err == 0) {
        sink_fail(s, errno, "close");
    }
    if (s->err == 0 && rename(s->tmp, s->path) != 0) {
        sink_fail(s, errno, "rename");
    }
    if (s->err != 0) {
        sink_report(s);
        sink_discard(s);
        return -1;
    }
    /* The rename is durable only once the directory is synced. */
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL)) {
        cli_error(cli_output_name(s->path), "cannot sync directory %s: %s", s->dir,
                  strerror(errno));
        rc = -1;
    }
    if (dfd >= 0) {
        close(dfd);
    }
    sink_free(s);
    return rc != 0 ? -1 : 0;
}

/* ---- tensors --------------------------------------------------------------------- */

typedef enum source { SRC_PARAM, SRC_STATE, SRC_ARRAY, SRC_SCALAR } source;

typedef struct tensor {
    char *name;
    source src;
    size_t param;           /* SRC_PARAM, SRC_STATE: table index */
    int state;              /* SRC_STATE: state sub-array */
    const dlz_array *array; /* SRC_ARRAY: borrowed from the normalizer */
    double scalar;          /* SRC_SCALAR: a 0-d float64 */
    dlz_dtype dtype;        /* as written */
    int rank;
    int64_t shape[DLZ_MAX_RANK];
    uint64_t length;
    uint64_t nbytes;
} tensor;

typedef struct job {
    const export_opts *o;
    dlz_reader *r;
    dlz_params *p;
    dlz_array *coef;  /* NULL: no parameters */
    dlz_array *state; /* NULL: no updater state (or not asked for) */
    dlz_normalizer *norm;
    tensor *t;
    size_t nt, cap;
    sink out;
} job;

static int in_error(const job *j, const char *msg) {
    cli_error(cli_input_name(j->o->in), "%s", msg);
    return -1;
}

static int oom(const job *j) {
    return in_error(j, "out of memory");
}

static const char *safetensors_dtype(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return "F64";
    case DLZ_DTYPE_FLOAT:
        return "F32";
    case DLZ_DTYPE_HALF:
        return "F16";
    case DLZ_DTYPE_BFLOAT16:
        return "BF16";
    case DLZ_DTYPE_LONG:
        return "I64";
    case DLZ_DTYPE_INT:
        return "I32";
    case DLZ_DTYPE_SHORT:
        return "I16";
    case DLZ_DTYPE_UBYTE:
        return "U8";
    case DLZ_DTYPE_BYTE:
        return "I8";
    case DLZ_DTYPE_BOOL:
        return "BOOL";
    case DLZ_DTYPE_UINT16:
        return "U16";
    case DLZ_DTYPE_UINT32:
        return "U32";
    case DLZ_DTYPE_UINT64:
        return "U64";
    }
    return NULL;
}

static const char *npy_descr(dlz_dtype t) {
    switch (t) {
    case DLZ_DTYPE_DOUBLE:
        return "<f8";
    case DLZ_DTYPE_FLOAT:
        return "<f4";
    case DLZ_DTYPE_HALF:
        return "<f2";
    case DLZ_DTYPE_LONG:
        return "<i8";
    case DLZ_DTYPE_INT:
        return "<i4";
    case DLZ_DTYPE_SHORT:
        return "<i2";
    case DLZ_DTYPE_UBYTE:
        return "|u1";
    case DLZ_DTYPE_BYTE:
        return "|i1";
    case DLZ_DTYPE_BOOL:
        return "|b1";
    case DLZ_DTYPE_UINT16:
        return "<u2";
    case DLZ_DTYPE_UINT32:
        return "<u4";
    case DLZ_DTYPE_UINT64:
        return "<u8";
    case DLZ_DTYPE_BFLOAT16:
        break;
    }
    return NULL;
}

/* The type a tensor of @p t is written as. */
static dlz_dtype out_dtype(const job *j, dlz_dtype t) {
    return j->o->format == FMT_NPZ && t == DLZ_DTYPE_BFLOAT16 ? DLZ_DTYPE_FLOAT : t;
}

/* Appends a tensor named by @p fmt; its dtype and shape are set by the caller
   through the returned pointer (NULL when out of memory). */
static tensor *add_tensor(job *j, source src, const char *fmt, ...) CLI_PRINTF(3, 4);

static tensor *add_tensor(job *j, source src, const char *fmt, ...) {
    if (j->nt == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 32;
        tensor *t = realloc(j->t, cap * sizeof *t);
        if (t == NULL) {
            return NULL;
        }
        j->t = t;
        j->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *name = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (name == NULL) {
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(name, (size_t)n + 1, fmt, ap);
    va_end(ap);
    tensor *t = &j->t[j->nt++];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->src = src;
    return t;
}

/* Sets type and shape; 0, or -1 when the sizes overflow. */
static int set_layout(const job *j, tensor *t, dlz_dtype dtype, int rank, const int64_t *shape) {
    t->dtype = out_dtype(j, dtype);
    t->rank = rank;
    uint64_t len = 1;
    for (int d = 0; d < rank; d++) {
        if (shape[d] < 0 || (shape[d] > 0 && len > UINT64_MAX / 8 / (uint64_t)shape[d])) {
            return -1;
        }
        t->shape[d] = shape[d];
        len *= (uint64_t)shape[d];
    }
    t->length = len;
    t->nbytes = len * dlz_dtype_size(t->dtype);
    return 0;
}

static int add_params(job *j) {
    size_t n = dlz_params_count(j->p);
    for (size_t i = 0; i < n; i++) {
        dlz_param_info pi;
        tensor *t;
        if (dlz_params_get(j->p, i, &pi) != DLZ_OK ||
            (t = add_tensor(j, SRC_PARAM, "%s", pi.name)) == NULL) {
            return oom(j);
        }
        t->param = i;
        if (set_layout(j, t, dlz_array_dtype(j->coef), pi.rank, pi.shape) != 0) {
            return in_error(j, "parameter sizes overflow");
        }
    }
    return 0;
}

static int add_state(job *j) {
    size_t nb = dlz_params_updater_block_count(j->p);
    for (size_t b = 0; b < nb; b++) {
        dlz_updater_block blk;
        if (dlz_params_updater_block(j->p, b, &blk) != DLZ_OK) {
            return in_error(j, dlz_params_errmsg(j->p));
        }
        for (size_t i = blk.first_param; i < blk.first_param + blk.param_count; i++) {
            dlz_param_info pi;
            if (dlz_params_get(j->p, i, &pi) != DLZ_OK) {
                return oom(j);
            }
            for (int k = 0; k < blk.state_count; k++) {
                tensor *t = add_tensor(j, SRC_STATE, "updater/%s/%s", pi.name, blk.state_names[k]);
                if (t == NULL) {
                    return oom(j);
                }
                t->param = i;
                t->state = k;
                if (set_layout(j, t, dlz_array_dtype(j->state), pi.rank, pi.shape) != 0) {
                    return in_error(j, "parameter sizes overflow");
                }
            }
        }
    }
    return 0;
}

/* ---- normalizer tensors ---------------------------------------------------------- */

/* Points @p t at normalizer array @p a (borrowed). */
static int set_array(job *j, tensor *t, const dlz_array *a) {
    t->array = a;
    if (set_layout(j, t, dlz_array_dtype(a), dlz_array_rank(a), dlz_array_shape(a)) != 0) {
        return in_error(j, "normalizer array sizes overflow");
    }
    return 0;
}

/* normalizer/FIELD, or normalizer/FIELD/INDEX when @p index >= 0. */
static int add_array(job *j, const dlz_array *a, const char *field, int index) {
    tensor *t = index < 0 ? add_tensor(j, SRC_ARRAY, "normalizer/%s", field)
                          : add_tensor(j, SRC_ARRAY, "normalizer/%s/%d", field, index);
    return t == NULL ? oom(j) : set_array(j, t, a);
}

static int add_scalar(job *j, const char *field, double v) {
    tensor *t = add_tensor(j, SRC_SCALAR, "normalizer/%s", field);
    if (t == NULL) {
        return oom(j);
    }
    t->scalar = v;
    return set_layout(j, t, DLZ_DTYPE_DOUBLE, 0, NULL);
}

/* The statistics pair of input/output @p index: names[0] and names[1] for
   standardize statistics, names[2] and names[3] for min-max.  @p index -1:
   single normalizers (statistics index 0, no index in the name). */
static int add_pair(job *j, int labels, int index, const char *const names[4]) {
    dlz_norm_strategy kind;
    const dlz_array *a, *b;
    int rc = dlz_normalizer_stats(j->norm, labels, index < 0 ? 0 : index, &kind, &a, &b);
    if (rc == DLZ_ENOTFOUND) {
        return 0;
    }
    if (rc != DLZ_OK) {
        return in_error(j, "normalizer statistics cannot be read");
    }
    int mm = kind == DLZ_NORM_STRATEGY_MIN_MAX;
    if (add_array(j, a, names[mm ? 2 : 0], index) != 0 ||
        add_array(j, b, names[mm ? 3 : 1], index) != 0) {
        return -1;
    }
    return 0;
}

static int add_range(job *j, const char *lo_name, const char *hi_name) {
    double lo, hi;
    if (dlz_normalizer_range(j->norm, &lo, &hi) != DLZ_OK) {
        return in_error(j, "normalizer range cannot be read");
    }
    return add_scalar(j, lo_name, lo) != 0 || add_scalar(j, hi_name, hi) != 0 ? -1 : 0;
}

/* MULTI_HYBRID: the statistics of every index of one side, in stream order
   (an index a stream repeats once, with the entry that counts). */
static int add_hybrid_side(job *j, int outputs) {
    static const char *const stat_names[4] = {"mean", "std", "lower", "upper"};
    const char *side = outputs ? "outputStats" : "inputStats";
    int n = dlz_normalizer_hybrid_stats_count(j->norm, outputs);
    for (int i = 0; i < n; i++) {
        int index, seen = 0;
        if (dlz_normalizer_hybrid_stats_entry(j->norm, outputs, i, &index, NULL, NULL, NULL) !=
            DLZ_OK) {
            return in_error(j, "normalizer statistics cannot be read");
        }
        for (int k = 0; k < i && !seen; k++) {
            int other;
            seen = dlz_normalizer_hybrid_stats_entry(j->norm, outputs, k, &other, NULL, NULL,
                                                     NULL) == DLZ_OK &&
                   other == index;
        }
        if (seen) {
            continue;
        }
        dlz_norm_strategy kind;
        const dlz_array *a, *b;
        if (dlz_normalizer_stats(j->norm, outputs, index, &kind, &a, &b) != DLZ_OK) {
            return in_error(j, "normalizer statistics cannot be read");
        }
        const char *const *names = kind == DLZ_NORM_STRATEGY_MIN_MAX ? stat_names + 2 : stat_names;
        for (int k = 0; k < 2; k++) {
            tensor *t = add_tensor(j, SRC_ARRAY, "normalizer/%s/%d/%s", side, index, names[k]);
            if (t == NULL) {
                return oom(j);
            }
            if (set_array(j, t, k == 0 ? a : b) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int add_multi(job *j, const char *const feature[4], const char *const label[4]) {
    int nin = dlz_normalizer_num_inputs(j->norm);
    int nout = dlz_normalizer_num_outputs(j->norm);
    for (int i = 0; i < nin; i++) {
        if (add_pair(j, 0, i, feature) != 0) {
            return -1;
        }
    }
    for (int i = 0; i < nout; i++) {
        if (add_pair(j, 1, i, label) != 0) {
            return -1;
        }
    }
    return 0;
}

static int add_normalizer(job *j) {
    static const char *const single[4] = {"mean", "std", "min", "max"};
    static const char *const single_label[4] = {"labelMean", "labelStd", "labelMin", "labelMax"};
    static const char *const feature[4] = {"featureMean", "featureStd", "featureMin", "featureMax"};
    dlz_norm_type type = dlz_normalizer_type(j->norm);
    double v;
    switch (type) {
    case DLZ_NORM_STANDARDIZE:
    case DLZ_NORM_MIN_MAX:
        if (add_pair(j, 0, -1, single) != 0 || add_pair(j, 1, -1, single_label) != 0) {
            return -1;
        }
        return type == DLZ_NORM_MIN_MAX ? add_range(j, "targetMin", "targetMax") : 0;
    case DLZ_NORM_IMAGE_MIN_MAX:
        if (add_range(j, "minRange", "maxRange") != 0) {
            return -1;
        }
        if (dlz_normalizer_max_pixel_value(j->norm, &v) != DLZ_OK) {
            return in_error(j, "normalizer maxPixelVal cannot be read");
        }
        return add_scalar(j, "maxPixelVal", v);
    case DLZ_NORM_MULTI_STANDARDIZE:
    case DLZ_NORM_MULTI_MIN_MAX:
        if (add_multi(j, feature, single_label) != 0) {
            return -1;
        }
        return type == DLZ_NORM_MULTI_MIN_MAX ? add_range(j, "targetMin", "targetMax") : 0;
    case DLZ_NORM_MULTI_HYBRID:
        return add_hybrid_side(j, 0) != 0 || add_hybrid_side(j, 1) != 0 ? -1 : 0;
    default:
        break;
    }
    const char *name = dlz_normalizer_type_name(type);
    cli_error(cli_input_name(j->o->in), "the normalizer (%s) has no statistics to export",
              name != NULL ? name : "of an unknown type");
    return -1;
}

/* ---- reading ---------------------------------------------------------------------- */

static int reader_failed(const job *j) {
    return in_error(j, dlz_reader_errmsg(j->r));
}

static int params_failed(const job *j) {
    return in_error(j, dlz_params_errmsg(j->p));
}

static int read_updater(job *j) {
    if (dlz_params_updater_status(j->p) != DLZ_OK) {
        return params_failed(j);
    }
    int rc = dlz_reader_read_updater(j->r, &j->state);
    if (rc == DLZ_ENOTFOUND) {
        if (dlz_params_updater_total(j->p) > 0) {
            return in_error(j, "no updaterState.bin: the model was saved without its updater "
                               "state");
        }
        return 0; /* stateless updaters (Sgd, NoOp) */
    }
    if (rc != DLZ_OK) {
        return reader_failed(j);
    }
    return dlz_params_updater_check(j->p, j->state) == DLZ_OK ? 0 : params_failed(j);
}

static int read_normalizer(job *j) {
    int rc = dlz_reader_read_normalizer(j->r, &j->norm);
    if (rc == DLZ_ENOTFOUND) {
        return in_error(j, "no normalizer.bin: the model has no normalizer");
    }
    return rc == DLZ_OK ? 0 : reader_failed(j);
}

static int compare_names(const void *a, const void *b) {
    const tensor *const *x = a;
    const tensor *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Two tensors with one name cannot be stored (a graph vertex named
   "updater/..." or "normalizer" could make one). */
static int check_unique(const job *j) {
    if (j->nt < 2) {
        return 0;
    }
    const tensor **v = malloc(j->nt * sizeof *v);
    if (v == NULL) {
        return oom(j);
    }
    for (size_t i = 0; i < j->nt; i++) {
        v[i] = &j->t[i];
    }
    qsort(v, j->nt, sizeof *v, compare_names);
    int rc = 0;
    for (size_t i = 1; i < j->nt && rc == 0; i++) {
        if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
            cli_error(cli_input_name(j->o->in), "two tensors would be named '%s'", v[i]->name);
            rc = -1;
        }
    }
    free(v);
    return rc;
}

static int gather(job *j) {
    if (dlz_reader_kind(j->r) == DLZ_KIND_ARRAY) {
        return in_error(j, "a bare ND4J array file, not a model archive; it has no named "
                           "parameters");
    }
    if (dlz_reader_read_params(j->r, 0, &j->p) != DLZ_OK ||
        dlz_reader_read_coefficients(j->r, &j->coef) != DLZ_OK) {
        return reader_failed(j);
    }
    if (dlz_params_check(j->p, j->coef) != DLZ_OK) {
        return params_failed(j);
    }
    if (j->o->with_updater && read_updater(j) != 0) {
        return -1;
    }
    if (j->o->with_normalizer && read_normalizer(j) != 0) {
        return -1;
    }
    if (add_params(j) != 0 || (j->state != NULL && add_state(j) != 0) ||
        (j->norm != NULL && add_normalizer(j) != 0)) {
        return -1;
    }
    for (size_t i = 0; i < j->nt; i++) {
        dlz_dtype t = j->t[i].dtype;
        if ((j->o->format == FMT_NPZ ? npy_descr(t) : safetensors_dtype(t)) == NULL) {
            cli_error(cli_input_name(j->o->in), "tensor '%s': data type %s cannot be exported",
                      j->t[i].name, dlz_dtype_name(t) ? dlz_dtype_name(t) : "(unknown)");
            return -1;
        }
    }
    return check_unique(j);
}

/* ---- tensor data ------------------------------------------------------------------ */

static int host_little_endian(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_bytes(unsigned char *p, uint64_t count, size_t width) {
    for (uint64_t i = 0; i < count; i++, p += width) {
        for (size_t a = 0, b = width - 1; a < b; a++, b--) {
            unsigned char c = p[a];
            p[a] = p[b];
            p[b] = c;
        }
    }
}

/* 1 if @p a is laid out densely in row-major order. */
static int is_dense_c(const dlz_array *a) {
    int rank = dlz_array_rank(a);
    const int64_t *shape = dlz_array_shape(a);
    const int64_t *strides = dlz_array_strides(a);
    int64_t expect = 1;
    for (int d = rank - 1; d >= 0; d--) {
        if (shape[d] > 1 && strides[d] != expect) {
            return 0;
        }
        expect *= shape[d];
    }
    return 1;
}

/* Copies the elements of @p a, in row-major order of its shape, to @p out. */
static void copy_c_order(const dlz_array *a, unsigned char *out, uint64_t length) {
    int rank = dlz_array_rank(a);
    const int64_t *shape = dlz_array_shape(a);
    const int64_t *strides = dlz_array_strides(a);
    size_t w = dlz_dtype_size(dlz_array_dtype(a));
    const unsigned char *base = dlz_array_cdata(a);
    int64_t idx[DLZ_MAX_RANK] = {0};
    int64_t at = 0;
    for (uint64_t i = 0; i < length; i++) {
        memcpy(out + i * w, base + at * (int64_t)w, w);
        for (int d = rank - 1; d >= 0; d--) {
            at += strides[d];
            if (++idx[d] < shape[d]) {
                break;
            }
            at -= strides[d] * shape[d];
            idx[d] = 0;
        }
    }
}

/* The bytes of one tensor as written: *bytes points into *hold (an array
   to free) or *buf (memory to free). */
typedef struct chunk {
    dlz_array *hold;
    void *buf;
    const void *bytes;
    double scalar;
} chunk;

static void chunk_free(chunk *c) {
    dlz_array_free(c->hold);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

static int tensor_array(job *j, const tensor *t, chunk *c, const dlz_array **a) {
    int rc = DLZ_OK;
    switch (t->src) {
    case SRC_PARAM:
        rc = dlz_params_extract(j->p, t->param, j->coef, 'c', &c->hold);
        break;
    case SRC_STATE:
        rc = dlz_params_extract_state(j->p, t->param, t->state, j->state, 'c', &c->hold);
        break;
    case SRC_ARRAY:
        *a = t->array;
        return 0;
    case SRC_SCALAR:
        break;
    }
    if (rc != DLZ_OK) {
        cli_error(cli_input_name(j->o->in), "tensor '%s': %s", t->name, dlz_params_errmsg(j->p));
        return -1;
    }
    *a = c->hold;
    return 0;
}

static int tensor_bytes(job *j, const tensor *t, chunk *c) {
    memset(c, 0, sizeof *c);
    int le = host_little_endian();
    if (t->src == SRC_SCALAR) {
        c->scalar = t->scalar;
        if (!le) {
            swap_bytes((unsigned char *)&c->scalar, 1, sizeof c->scalar);
        }
        c->bytes = &c->scalar;
        return 0;
    }
    const dlz_array *a = NULL;
    if (tensor_array(j, t, c, &a) != 0) {
        return -1;
    }
    if ((uint64_t)dlz_array_length(a) != t->length) {
        chunk_free(c);
        cli_error(cli_input_name(j->o->in), "tensor '%s': %lld values instead of %llu", t->name,
                  (long long)dlz_array_length(a), (unsigned long long)t->length);
        return -1;
    }
    size_t w = dlz_dtype_size(t->dtype);
    int same = dlz_array_dtype(a) == t->dtype;
    if (same && le && is_dense_c(a)) {
        c->bytes = dlz_array_cdata(a);
        return 0;
    }
    if (t->nbytes > SIZE_MAX) {
        chunk_free(c);
        return oom(j);
    }
    c->buf = malloc(t->nbytes > 0 ? (size_t)t->nbytes : 1);
    if (c->buf == NULL) {
        chunk_free(c);
        return oom(j);
    }
    if (same) {
        copy_c_order(a, c->buf, t->length);
    } else if (dlz_array_to_f32(a, c->buf, (size_t)t->length) != DLZ_OK) {
        chunk_free(c);
        return oom(j);
    }
    if (!le) {
        swap_bytes(c->buf, t->length, w);
    }
    c->bytes = c->buf;
    return 0;
}

/* ---- safetensors --------------------------------------------------------------------- */

/* Largest header safetensors readers accept. */
#define SAFETENSORS_MAX_HEADER 100000000u

static int put(json_t *obj, const char *key, json_t *value) {
    return value != NULL && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

/* configuration.json as a JSON string: as it is when it is UTF-8, else with
   every byte read as Latin-1 (older DL4J wrote the platform charset). */
static json_t *configuration_string(const char *text, size_t len) {
    json_t *v = json_stringn(text, len);
    if (v != NULL || len > SIZE_MAX / 2) {
        return v;
    }
    char *u = malloc(2 * len + 1);
    if (u == NULL) {
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80) {
            u[k++] = (char)c;
        } else {
            u[k++] = (char)(0xC0 | c >> 6);
            u[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    v = json_stringn(u, k);
    free(u);
    return v;
}

static json_t *metadata(const job *j) {
    json_t *m = json_object();
    const char *conf;
    size_t len;
    if (m == NULL || dlz_reader_configuration(j->r, &conf, &len) != DLZ_OK) {
        json_decref(m);
        return NULL;
    }
    int rc = put(m, "source", json_string("dl4j"));
    rc |= put(m, "kind", json_string(dlz_kind_name(dlz_params_kind(j->p))));
    rc |= put(m, "dl4j_configuration", configuration_string(conf, len));
    if (j->norm != NULL) {
        char *text = NULL;
        if (dlz_normalizer_to_json(j->norm, 0, &text, NULL) != DLZ_OK) {
            rc = -1;
        } else {
            rc |= put(m, "dl4j_normalizer", json_string(text));
        }
        dlz_free(text);
    }
    if (rc != 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static json_t *tensor_entry(const tensor *t, uint64_t begin) {
    json_t *e = json_object();
    json_t *shape = json_array();
    json_t *offsets = json_array();
    int rc = e == NULL ? -1 : 0;
    rc |= put(e, "dtype", json_string(safetensors_dtype(t->dtype)));
    rc |= put(e, "shape", shape);
    rc |= put(e, "data_offsets", offsets);
    for (int d = 0; rc == 0 && d < t->rank; d++) {
        rc = json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    }
    if (rc == 0) {
        rc |= json_array_append_new(offsets, json_integer((json_int_t)begin));
        rc |= json_array_append_new(offsets, json_integer((json_int_t)(begin + t->nbytes)));
    }
    if (rc != 0) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* Tensor order: decreasing element size, table order within a size. */
static size_t *data_order(const job *j) {
    size_t *order = malloc((j->nt > 0 ? j->nt : 1) * sizeof *order);
    size_t k = 0;
    for (size_t w = 8; order != NULL && w >= 1; w /= 2) {
        for (size_t i = 0; i < j->nt; i++) {
            if (dlz_dtype_size(j->t[i].dtype) == w) {
                order[k++] = i;
            }
        }
    }
    return order;
}

static char *safetensors_header(const job *j, const size_t *order, size_t *len) {
    json_t *root = json_object();
    int rc = root == NULL ? -1 : put(root, "__metadata__", metadata(j));
    uint64_t at = 0;
    for (size_t i = 0; rc == 0 && i < j->nt; i++) {
        const tensor *t = &j->t[order[i]];
        rc = put(root, t->name, tensor_entry(t, at));
        at += t->nbytes;
    }
    char *text = rc == 0 ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (text == NULL) {
        return NULL;
    }
    size_t n = strlen(text);
    size_t padded = (n + 7) / 8 * 8;
    char *out = realloc(text, padded + 1);
    if (out == NULL) {
        free(text);
        return NULL;
    }
    memset(out + n, ' ', padded - n);
    out[padded] = '\0';
    *len = padded;
    return out;
}

static void put_le(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static int write_safetensors(job *j) {
    size_t *order = data_order(j);
    size_t hlen = 0;
    char *header = order != NULL ? safetensors_header(j, order, &hlen) : NULL;
    if (header == NULL) {
        free(order);
        return oom(j);
    }
    if (hlen > SAFETENSORS_MAX_HEADER) {
        cli_error(cli_output_name(j->o->out),
                  "the safetensors header would take %zu bytes; readers accept at most %u", hlen,
                  SAFETENSORS_MAX_HEADER);
        free(header);
        free(order);
        return -1;
    }
    unsigned char size[8];
    put_le(size, hlen, 8);
    int rc = sink_write(&j->out, size, 8) != 0 || sink_write(&j->out, header, hlen) != 0 ? -1 : 0;
    free(header);
    for (size_t i = 0; rc == 0 && i < j->nt; i++) {
        const tensor *t = &j->t[order[i]];
        chunk c;
        if (tensor_bytes(j, t, &c) != 0) {
            free(order);
            return -1;
        }
        rc = sink_write(&j->out, c.bytes, (size_t)t->nbytes);
        chunk_free(&c);
    }
    free(order);
    return rc == 0 ? 0 : sink_report(&j->out);
}

/* ---- npz ---------------------------------------------------------------------------- */

/* What the central directory needs to know of an entry. */
typedef struct zentry {
    uint32_t crc;
    uint64_t size;
    uint64_t offset;
} zentry;

#define ZIP_MAX32 0xFFFFFFFFu
#define ZIP_MAX16 0xFFFFu
#define ZIP_DOS_DATE 0x21u /* 1980-01-01, 00:00, as NumPy's savez writes */

/* The .npy header of a tensor (magic, version 1.0, length, dictionary padded
   so that the data starts at a multiple of 64). */
static size_t npy_header(const tensor *t, unsigned char *buf, size_t cap) {
    char dict[1024];
    size_t n = (size_t)snprintf(dict, sizeof dict,
                                "{'descr': '%s', 'fortran_order': False, "
                                "'shape': (",
                                npy_descr(t->dtype));
    for (int d = 0; d < t->rank && n < sizeof dict; d++) {
        n += (size_t)snprintf(dict + n, sizeof dict - n, "%s%lld", d > 0 ? ", " : "",
                              (long long)t->shape[d]);
    }
    if (n < sizeof dict) {
        n += (size_t)snprintf(dict + n, sizeof dict - n, "%s), }", t->rank == 1 ? "," : "");
    }
    size_t total = (10 + n + 1 + 63) / 64 * 64;
    if (n >= sizeof dict || total > cap) {
        return 0;
    }
    size_t hlen = total - 10;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    put_le(buf + 8, hlen, 2);
    memcpy(buf + 10, dict, n);
    memset(buf + 10 + n, ' ', hlen - n - 1);
    buf[total - 1] = '\n';
    return total;
}

static uint32_t crc_update(uint32_t crc, const void *data, uint64_t n) {
    const unsigned char *p = data;
    uLong c = crc;
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

static int has_non_ascii(const char *s) {
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s >= 0x80) {
            return 1;
        }
    }
    return 0;
}

/* Local file header, name and (for entries of 4 GiB or more) the ZIP64
   sizes. */
static int write_local_header(sink *s, const char *name, const zentry *z) {
    int big = z->size >= ZIP_MAX32;
    size_t nlen = strlen(name) + 4;
    unsigned char h[30 + 20];
    put_le(h, 0x04034b50u, 4);
    put_le(h + 4, big ? 45 : 20, 2);
    put_le(h + 6, has_non_ascii(name) ? 0x0800 : 0, 2);
    put_le(h + 8, 0, 2); /* stored */
    put_le(h + 10, 0, 2);
    put_le(h + 12, ZIP_DOS_DATE, 2);
    put_le(h + 14, z->crc, 4);
    put_le(h + 18, big ? ZIP_MAX32 : z->size, 4);
    put_le(h + 22, big ? ZIP_MAX32 : z->size, 4);
    put_le(h + 26, nlen, 2);
    put_le(h + 28, big ? 20 : 0, 2);
    put_le(h + 30, 0x0001, 2);
    put_le(h + 32, 16, 2);
    put_le(h + 34, z->size, 8);
    put_le(h + 42, z->size, 8);
    if (sink_write(s, h, 30) != 0 || sink_write(s, name, nlen - 4) != 0 ||
        sink_write(s, ".npy", 4) != 0) {
        return -1;
    }
    return big ? sink_write(s, h + 30, 20) : 0;
}

static int write_central_entry(sink *s, const char *name, const zentry *z) {
    int big_size = z->size >= ZIP_MAX32;
    int big_offset = z->offset >= ZIP_MAX32;
    size_t nlen = strlen(name) + 4;
    size_t xlen = (big_size ? 16u : 0u) + (big_offset ? 8u : 0u);
    unsigned char h[46 + 28];
    put_le(h, 0x02014b50u, 4);
    put_le(h + 4, 3u << 8 | 45u, 2); /* Unix, ZIP 4.5 */
    put_le(h + 6, big_size || big_offset ? 45 : 20, 2);
    put_le(h + 8, has_non_ascii(name) ? 0x0800 : 0, 2);
    put_le(h + 10, 0, 2);
    put_le(h + 12, 0, 2);
    put_le(h + 14, ZIP_DOS_DATE, 2);
    put_le(h + 16, z->crc, 4);
    put_le(h + 20, big_size ? ZIP_MAX32 : z->size, 4);
    put_le(h + 24, big_size ? ZIP_MAX32 : z->size, 4);
    put_le(h + 28, nlen, 2);
    put_le(h + 30, xlen > 0 ? xlen + 4 : 0, 2);
    put_le(h + 32, 0, 2);              /* comment */
    put_le(h + 34, 0, 2);              /* disk */
    put_le(h + 36, 0, 2);              /* internal attributes */
    put_le(h + 38, 0100644u << 16, 4); /* regular file, rw-r--r-- */
    put_le(h + 42, big_offset ? ZIP_MAX32 : z->offset, 4);
    size_t x = 46;
    if (xlen > 0) {
        put_le(h + x, 0x0001, 2);
        put_le(h + x + 2, xlen, 2);
        x += 4;
        if (big_size) {
            put_le(h + x, z->size, 8);
            put_le(h + x + 8, z->size, 8);
            x += 16;
        }
        if (big_offset) {
            put_le(h + x, z->offset, 8);
            x += 8;
        }
    }
    if (sink_write(s, h, 46) != 0 || sink_write(s, name, nlen - 4) != 0 ||
        sink_write(s, ".npy", 4) != 0) {
        return -1;
    }
    return sink_write(s, h + 46, x - 46);
}

/* End of central directory, with the ZIP64 records first when the count,
   size or offset need them. */
static int write_end(sink *s, uint64_t count, uint64_t cd_offset, uint64_t cd_size) {
    unsigned char h[56 + 20 + 22];
    size_t n = 0;
    int big = count >= ZIP_MAX16 || cd_offset >= ZIP_MAX32 || cd_size >= ZIP_MAX32;
    if (big) {
        uint64_t at = s->pos;
        put_le(h, 0x06064b50u, 4);
        put_le(h + 4, 44, 8);
        put_le(h + 12, 3u << 8 | 45u, 2);
        put_le(h + 14, 45, 2);
        put_le(h + 16, 0, 4);
        put_le(h + 20, 0, 4);
        put_le(h + 24, count, 8);
        put_le(h + 32, count, 8);
        put_le(h + 40, cd_size, 8);
        put_le(h + 48, cd_offset, 8);
        put_le(h + 56, 0x07064b50u, 4);
        put_le(h + 60, 0, 4);
        put_le(h + 64, at, 8);
        put_le(h + 72, 1, 4);
        n = 76;
    }
    put_le(h + n, 0x06054b50u, 4);
    put_le(h + n + 4, 0, 2);
    put_le(h + n + 6, 0, 2);
    put_le(h + n + 8, count >= ZIP_MAX16 ? ZIP_MAX16 : count, 2);
    put_le(h + n + 10, count >= ZIP_MAX16 ? ZIP_MAX16 : count, 2);
    put_le(h + n + 12, cd_size >= ZIP_MAX32 ? ZIP_MAX32 : cd_size, 4);
    put_le(h + n + 16, cd_offset >= ZIP_MAX32 ? ZIP_MAX32 : cd_offset, 4);
    put_le(h + n + 20, 0, 2);
    return sink_write(s, h, n + 22);
}

/* One .npy entry: the data is produced first, for the CRC in the local
   header. */
static int write_npy_entry(job *j, const tensor *t, zentry *z) {
    unsigned char head[2048];
    size_t hlen = npy_header(t, head, sizeof head);
    if (hlen == 0) {
        cli_error(cli_output_name(j->o->out), "tensor '%s': .npy header too long", t->name);
        return -1;
    }
    chunk c;
    if (tensor_bytes(j, t, &c) != 0) {
        return -1;
    }
    z->offset = j->out.pos;
    z->size = hlen + t->nbytes;
    z->crc = crc_update(crc_update(0, head, hlen), c.bytes, t->nbytes);
    int rc = write_local_header(&j->out, t->name, z) != 0 || sink_write(&j->out, head, hlen) != 0 ||
                     sink_write(&j->out, c.bytes, (size_t)t->nbytes) != 0
                 ? -1
                 : 0;
    chunk_free(&c);
    return rc == 0 ? 0 : sink_report(&j->out);
}

static int write_npz(job *j) {
    zentry *z = malloc((j->nt > 0 ? j->nt : 1) * sizeof *z);
    if (z == NULL) {
        return oom(j);
    }
    for (size_t i = 0; i < j->nt; i++) {
        if (write_npy_entry(j, &j->t[i], &z[i]) != 0) {
            free(z);
            return -1;
        }
    }
    uint64_t cd_offset = j->out.pos;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < j->nt; i++) {
        rc = write_central_entry(&j->out, j->t[i].name, &z[i]);
    }
    free(z);
    if (rc == 0) {
        rc = write_end(&j->out, j->nt, cd_offset, j->out.pos - cd_offset);
    }
    return rc == 0 ? 0 : sink_report(&j->out);
}

/* ---- command ------------------------------------------------------------------------ */

static int run(job *j) {
    if (gather(j) != 0) {
        return -1;
    }
    if (sink_open(&j->out, j->o->out) != 0) {
        return -1;
    }
    int rc = j->o->format == FMT_NPZ ? write_npz(j) : write_safetensors(j);
    if (rc != 0) {
        sink_discard(&j->out);
        return -1;
    }
    return sink_commit(&j->out);
}

int cli_export(int argc, char **argv) {
    export_opts eo;
    int status = parse_options(argc, argv, &eo);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    job j;
    memset(&j, 0, sizeof j);
    j.o = &eo;
    j.r = cli_open_reader(eo.in);
    if (j.r == NULL) {
        return CLI_EXIT_DATA;
    }
    status = run(&j) == 0 ? CLI_EXIT_OK : CLI_EXIT_DATA;
    for (size_t i = 0; i < j.nt; i++) {
        free(j.t[i].name);
    }
    free(j.t);
    dlz_normalizer_free(j.norm);
    dlz_array_free(j.state);
    dlz_array_free(j.coef);
    dlz_params_free(j.p);
    dlz_reader_free(j.r);
    if (strcmp(eo.out, "-") == 0) {
        return status == CLI_EXIT_OK ? cli_finish_stdout(status) : status;
    }
    return status;
}
