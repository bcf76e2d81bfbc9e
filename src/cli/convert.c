/* convert.c - "dlz convert": rewrites an archive through the library.
 *
 * Each part is read and written in DL4J's order (configuration,
 * coefficients, updater state, normalizer, objects) and released before the
 * next one is read, so at most one part is in memory at a time.  A path
 * target is replaced only when everything was written (dlz_writer_open_path
 * is atomic); on failure it is left as it was.
 */
#include "cli.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char cli_convert_usage[] =
    "Usage: dlz convert [OPTIONS] IN OUT\n"
    "\n"
    "Rewrites the model archive IN as OUT: configuration, coefficients, updater\n"
    "state, normalizer and objects, in DL4J's order.  IN '-' reads standard\n"
    "input, OUT '-' writes standard output.  OUT is replaced only when the new\n"
    "archive is complete; on failure an existing OUT is left unchanged (standard\n"
    "output may have received part of an archive: check the exit status).\n"
    "\n"
    "Options:\n"
    "  --generation=mixed|javacpp\n"
    "                      array record format: MIXED_DATA_TYPES (DL4J 1.0.0-beta4\n"
    "                      and later; the default) or JAVACPP (every DL4J version;\n"
    "                      floating-point arrays only)\n"
    "  --store             store every entry uncompressed\n"
    "  --deflate[=LEVEL]   deflate every entry at LEVEL 1..9 (default 6); without\n"
    "                      --store or --deflate the library defaults apply\n"
    "  --dtype=float|double|half|bfloat16\n"
    "                      convert the coefficients to this data type (each value\n"
    "                      rounded to nearest) and write it as the network's\n"
    "                      \"dataType\" in configuration.json, as DL4J does\n"
    "  --updater-dtype=float|double|half|bfloat16\n"
    "                      convert the updater state to this data type (without\n"
    "                      it the updater state keeps its type)\n"
    "  --no-updater        leave out the updater state (it is not even read)\n"
    "  --mtime=SECONDS     entry time stamps, in Unix seconds (default: now)\n"
    "  --verbose           describe the written archive (on standard error when\n"
    "                      OUT is '-')\n"
    "  --wait[=SECONDS]    when OUT is IN (a conversion in place) and another\n"
    "                      process holds its lock, wait for it (at most SECONDS);\n"
    "                      without --wait the command fails at once\n"
    "  -h, --help          show this help and exit\n"
    "\n"
    "Examples:\n"
    "  dlz convert --generation=javacpp model.zip for-dl4j-0.9.zip\n"
    "  dlz convert --deflate=9 --no-updater model.zip for-inference.zip\n"
    "  dlz convert --store --mtime=0 model.zip reproducible.zip\n"
    "  dlz convert --dtype=half --updater-dtype=half model.zip model-fp16.zip\n";

typedef struct convert_opts {
    const char *in, *out;
    int set_generation;
    dlz_generation generation;
    int set_compression;
    int method, level;
    int no_updater;
    int dtype, updater_dtype; /* -1: keep */
    int set_mtime;
    int64_t mtime;
    int verbose;
    int64_t wait_ms;
} convert_opts;

/* ---- options ----------------------------------------------------------------- */

static int needs_value(cli_opts *o, const char **value) {
    *value = cli_opts_value(o);
    if (*value == NULL) {
        return cli_usage_error("convert", "option '%s' needs a value", o->arg);
    }
    return CLI_EXIT_OK;
}

static int no_value(const cli_opts *o) {
    if (o->value != NULL) {
        return cli_usage_error("convert", "option '--%.*s' takes no value", (int)o->name_len,
                               o->name);
    }
    return CLI_EXIT_OK;
}

static int parse_generation(cli_opts *o, convert_opts *co) {
    const char *v;
    int rc = needs_value(o, &v);
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    if (strcmp(v, "mixed") == 0) {
        co->generation = DLZ_GEN_MIXED;
    } else if (strcmp(v, "javacpp") == 0) {
        co->generation = DLZ_GEN_JAVACPP;
    } else {
        return cli_usage_error("convert", "unknown generation '%s' (mixed or javacpp)", v);
    }
    co->set_generation = 1;
    return CLI_EXIT_OK;
}

static int parse_dtype(cli_opts *o, int *dtype) {
    static const struct {
        const char *name;
        dlz_dtype t;
    } names[] = {{"float", DLZ_DTYPE_FLOAT},
                 {"double", DLZ_DTYPE_DOUBLE},
                 {"half", DLZ_DTYPE_HALF},
                 {"bfloat16", DLZ_DTYPE_BFLOAT16}};
    const char *v;
    int rc = needs_value(o, &v);
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(v, names[i].name) == 0) {
            *dtype = (int)names[i].t;
            return CLI_EXIT_OK;
        }
    }
    return cli_usage_error("convert",
                           "unknown data type '%s' for %s (float, double, half or "
                           "bfloat16)",
                           v, o->arg);
}

static int parse_deflate(const cli_opts *o, convert_opts *co) {
    int64_t level = 6;
    if (o->value != NULL && cli_parse_int64(o->value, 1, 9, &level) != 0) {
        return cli_usage_error("convert", "deflate level '%s' is not a number from 1 to 9",
                               o->value);
    }
    co->set_compression = 1;
    co->method = DLZ_METHOD_DEFLATE;
    co->level = (int)level;
    return CLI_EXIT_OK;
}

static int parse_mtime(cli_opts *o, convert_opts *co) {
    const char *v;
    int rc = needs_value(o, &v);
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    if (cli_parse_int64(v, INT64_MIN, INT64_MAX, &co->mtime) != 0) {
        return cli_usage_error("convert", "--mtime '%s' is not a whole number of seconds", v);
    }
    co->set_mtime = 1;
    return CLI_EXIT_OK;
}

/* Flag options: 0 when @p o was one of them. */
static int parse_flag(const cli_opts *o, convert_opts *co, int *status) {
    int *flag = NULL;
    if (cli_opts_is(o, "no-updater")) {
        flag = &co->no_updater;
    } else if (cli_opts_is(o, "verbose")) {
        flag = &co->verbose;
    } else if (cli_opts_is(o, "store")) {
        co->set_compression = 1;
        co->method = DLZ_METHOD_STORE;
        co->level = 0;
    } else {
        return -1;
    }
    *status = no_value(o);
    if (flag != NULL) {
        *flag = 1;
    }
    return 0;
}

static int parse_option(cli_opts *o, convert_opts *co) {
    int status;
    if (cli_opts_is(o, "help") || strcmp(o->arg, "-h") == 0) {
        fputs(cli_convert_usage, stdout);
        return CLI_HELP_SHOWN;
    }
    if (parse_flag(o, co, &status) == 0) {
        return status;
    }
    if (cli_opts_is(o, "generation")) {
        return parse_generation(o, co);
    }
    if (cli_opts_is(o, "dtype")) {
        return parse_dtype(o, &co->dtype);
    }
    if (cli_opts_is(o, "updater-dtype")) {
        return parse_dtype(o, &co->updater_dtype);
    }
    if (cli_opts_is(o, "deflate")) {
        return parse_deflate(o, co);
    }
    if (cli_opts_is(o, "mtime")) {
        return parse_mtime(o, co);
    }
    int w = cli_wait_option(o, "convert", &co->wait_ms);
    if (w != 0) {
        return w == 1 ? CLI_EXIT_OK : w;
    }
    return cli_usage_error("convert", "unknown option '%s'", o->arg);
}

static int parse_options(int argc, char **argv, convert_opts *co) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    memset(co, 0, sizeof *co);
    co->dtype = -1;
    co->updater_dtype = -1;
    while (cli_opts_next(&o) == CLI_OPT_OPTION) {
        int status = parse_option(&o, co);
        if (status != CLI_EXIT_OK) {
            return status;
        }
    }
    if (o.nargs < 2) {
        return cli_usage_error("convert", o.nargs == 0 ? "missing IN and OUT" : "missing OUT");
    }
    if (o.nargs > 2) {
        return cli_usage_error("convert", "too many arguments (IN and OUT expected)");
    }
    co->in = o.args[0];
    co->out = o.args[1];
    return CLI_EXIT_OK;
}

/* ---- copying ------------------------------------------------------------------- */

typedef struct job {
    const convert_opts *o;
    dlz_reader *r;
    dlz_writer *w;
} job;

static int read_failed(const job *j) {
    cli_error(cli_input_name(j->o->in), "%s", dlz_reader_errmsg(j->r));
    return -1;
}

static int write_failed(const job *j) {
    cli_error(cli_output_name(j->o->out), "%s", dlz_writer_errmsg(j->w));
    return -1;
}

static int copy_configuration(const job *j) {
    const char *json;
    size_t len;
    if (dlz_reader_configuration(j->r, &json, &len) != DLZ_OK) {
        return read_failed(j);
    }
    if (j->o->dtype < 0) {
        return dlz_writer_put_configuration(j->w, json, len) == DLZ_OK ? 0 : write_failed(j);
    }
    char *conv, err[512];
    size_t clen;
    if (dlz_configuration_convert(json, len, (dlz_dtype)j->o->dtype, &conv, &clen, err,
                                  sizeof err) != DLZ_OK) {
        cli_error(cli_input_name(j->o->in), "%s", err);
        return -1;
    }
    int rc = dlz_writer_put_configuration(j->w, conv, clen);
    dlz_free(conv);
    return rc == DLZ_OK ? 0 : write_failed(j);
}

/* Converts *a to @p dtype (nothing when it is -1, NULL or of that type
   already); on failure prints why, naming @p entry, and frees *a. */
static int convert_array(const job *j, const char *entry, int dtype, dlz_array **a) {
    if (dtype < 0 || *a == NULL || dlz_array_dtype(*a) == (dlz_dtype)dtype) {
        return 0;
    }
    dlz_array *c;
    char err[512];
    int rc = dlz_array_convert(*a, (dlz_dtype)dtype, &c, err, sizeof err);
    dlz_array_free(*a);
    *a = c;
    if (rc != DLZ_OK) {
        cli_error(cli_input_name(j->o->in), "%s: %s", entry, err);
        return -1;
    }
    return 0;
}

static int copy_coefficients(const job *j) {
    dlz_array *a;
    if (dlz_reader_read_coefficients(j->r, &a) != DLZ_OK) {
        return read_failed(j);
    }
    if (convert_array(j, "coefficients.bin", j->o->dtype, &a) != 0) {
        return -1;
    }
    int rc = dlz_writer_put_coefficients(j->w, a); /* NULL: no parameters */
    dlz_array_free(a);
    return rc == DLZ_OK ? 0 : write_failed(j);
}

static int copy_updater(const job *j) {
    dlz_array *a;
    int rc = dlz_reader_read_updater(j->r, &a);
    if (rc == DLZ_ENOTFOUND) {
        return 0;
    }
    if (rc != DLZ_OK) {
        return read_failed(j);
    }
    if (convert_array(j, "updaterState.bin", j->o->updater_dtype, &a) != 0) {
        return -1;
    }
    rc = dlz_writer_put_updater(j->w, a);
    dlz_array_free(a);
    return rc == DLZ_OK ? 0 : write_failed(j);
}

static int copy_normalizer(const job *j) {
    void *buf;
    size_t len;
    int rc = dlz_reader_read_normalizer_raw(j->r, &buf, &len);
    if (rc == DLZ_ENOTFOUND) {
        return 0;
    }
    if (rc != DLZ_OK) {
        return read_failed(j);
    }
    rc = dlz_writer_put_normalizer_raw(j->w, buf, len);
    dlz_free(buf);
    return rc == DLZ_OK ? 0 : write_failed(j);
}

static int copy_objects(const job *j) {
    int64_t n = dlz_reader_object_count(j->r);
    for (int64_t i = 0; i < n; i++) {
        const char *key = dlz_reader_object_key(j->r, i);
        void *buf;
        size_t len;
        if (key == NULL || dlz_reader_read_object_raw(j->r, key, &buf, &len) != DLZ_OK) {
            return read_failed(j);
        }
        int rc = dlz_writer_put_object_raw(j->w, key, buf, len);
        dlz_free(buf);
        if (rc != DLZ_OK) {
            return write_failed(j);
        }
    }
    return 0;
}

static int copy_all(const job *j) {
    if (copy_configuration(j) != 0 || copy_coefficients(j) != 0) {
        return -1;
    }
    if (!j->o->no_updater && copy_updater(j) != 0) {
        return -1;
    }
    if (copy_normalizer(j) != 0 || copy_objects(j) != 0) {
        return -1;
    }
    return dlz_writer_close(j->w) == DLZ_OK ? 0 : write_failed(j);
}

/* ---- writer set-up ---------------------------------------------------------------- */

static int configure_writer(const job *j) {
    const convert_opts *o = j->o;
    if (o->set_generation && dlz_writer_set_generation(j->w, o->generation) != DLZ_OK) {
        return write_failed(j);
    }
    if (o->set_compression &&
        dlz_writer_set_compression(j->w, DLZ_PART_ALL, o->method, o->level) != DLZ_OK) {
        return write_failed(j);
    }
    if (o->set_mtime && dlz_writer_set_mtime(j->w, o->mtime) != DLZ_OK) {
        return write_failed(j);
    }
    return 0;
}

static int open_writer(const job *j) {
    int rc;
    if (strcmp(j->o->out, "-") == 0) {
        rc = dlz_writer_open_FILE(j->w, stdout, DLZ_KEEP_OPEN);
    } else {
        rc = dlz_writer_open_path(j->w, j->o->out);
    }
    return rc == DLZ_OK ? 0 : write_failed(j);
}

/* ---- reporting -------------------------------------------------------------------- */

/* 1 if convert writes entry @p name (or drops it on request: updaterState.bin
   with --no-updater). */
static int is_copied(const char *name) {
    static const char *const known[] = {"configuration.json", "coefficients.bin", "noParams.marker",
                                        "updaterState.bin", "normalizer.bin"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(name, known[i]) == 0) {
            return 1;
        }
    }
    size_t n = strlen(name);
    return n > 8 && strncmp(name, "objects/", 8) == 0 && name[n - 1] != '/';
}

/* Entries of IN that the writer cannot reproduce (legacy updater.bin,
   preprocessor.bin, anything unknown) are named on stderr. */
static void warn_dropped(const job *j) {
    int64_t n = dlz_reader_entry_count(j->r);
    for (int64_t i = 0; i < n; i++) {
        dlz_entry_info e;
        if (dlz_reader_entry_info(j->r, i, &e) == DLZ_OK && !is_copied(e.name)) {
            cli_error(cli_input_name(j->o->in), "warning: entry '%s' was not copied", e.name);
        }
    }
}

static void warn_result(const job *j, const dlz_save_result *res) {
    const char *out = cli_output_name(j->o->out);
    if (res->warnings & DLZ_WARN_LARGE_ARCHIVE) {
        cli_error(out, "warning: the archive is larger than 1 GiB; DL4J warns about it and "
                       "older versions may fail to read it");
    }
    if (res->warnings & DLZ_WARN_ENTRY_OVER_2GIB) {
        cli_error(out, "warning: an entry is larger than 2 GiB; DL4J 1.0.0-beta7 and later "
                       "cannot read it");
    }
}

static const char *method_name(int method, char *buf, size_t len) {
    if (method == DLZ_METHOD_STORE) {
        return "store";
    }
    if (method == DLZ_METHOD_DEFLATE) {
        return "deflate";
    }
    snprintf(buf, len, "%d", method);
    return buf;
}

static void print_result(const job *j, const dlz_save_result *res) {
    FILE *f = strcmp(j->o->out, "-") == 0 ? stderr : stdout;
    int width = 4;
    for (size_t i = 0; i < res->entry_count; i++) {
        int l = (int)strlen(res->entries[i].name);
        width = l > width ? l : width;
    }
    fprintf(f, "%-*s %12s %12s  %s\n", width, "NAME", "SIZE", "COMPRESSED", "METHOD");
    for (size_t i = 0; i < res->entry_count; i++) {
        const dlz_entry_info *e = &res->entries[i];
        char buf[16];
        fprintf(f, "%-*s %12llu %12llu  %s\n", width, e->name, (unsigned long long)e->size,
                (unsigned long long)e->compressed_size, method_name(e->method, buf, sizeof buf));
    }
    time_t secs = (time_t)(res->saved_at_ms / 1000);
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&secs, &tm) != NULL) {
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    }
    fprintf(f, "%s: %zu entries, %llu bytes, saved %s.%03dZ\n", cli_output_name(j->o->out),
            res->entry_count, (unsigned long long)res->total_bytes, when,
            (int)(res->saved_at_ms % 1000));
}

/* ---- command ------------------------------------------------------------------------ */

static int run(const job *j) {
    if (dlz_reader_kind(j->r) == DLZ_KIND_ARRAY) {
        cli_error(cli_input_name(j->o->in),
                  "a bare ND4J array file, not a model archive; convert rewrites archives");
        return -1;
    }
    if (configure_writer(j) != 0 || open_writer(j) != 0 || copy_all(j) != 0) {
        return -1;
    }
    const dlz_save_result *res = dlz_writer_result(j->w);
    warn_dropped(j);
    if (res != NULL) {
        warn_result(j, res);
        if (j->o->verbose) {
            print_result(j, res);
        }
    }
    return 0;
}

/* 1 when IN and OUT are paths of the same existing file. */
static int in_place(const convert_opts *co) {
    struct stat a, b;
    return strcmp(co->in, "-") != 0 && strcmp(co->out, "-") != 0 && stat(co->in, &a) == 0 &&
           stat(co->out, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int cli_convert(int argc, char **argv) {
    convert_opts co;
    int status = parse_options(argc, argv, &co);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    if (strcmp(co.out, "-") == 0 && cli_refuse_terminal("an archive") != 0) {
        return CLI_EXIT_USAGE;
    }
    /* In place, a read-modify-write like an edit: under the file's lock, and
       the rename only if the file is still the one read. */
    dlz_lock *lock = NULL;
    if (in_place(&co)) {
        char err[512];
        if (dlz_lock_acquire(co.in, co.wait_ms, &lock, err, sizeof err) != DLZ_OK) {
            cli_error(co.in, "%s", err);
            return CLI_EXIT_DATA;
        }
    }
    job j = {&co, NULL, NULL};
    j.r = cli_open_reader(co.in);
    if (j.r == NULL) {
        dlz_lock_release(lock);
        return CLI_EXIT_DATA;
    }
    j.w = dlz_writer_new();
    if (j.w == NULL || dlz_writer_set_lock(j.w, lock) != DLZ_OK) {
        cli_error(cli_output_name(co.out), "out of memory");
        dlz_writer_free(j.w);
        dlz_reader_free(j.r);
        dlz_lock_release(lock);
        return CLI_EXIT_DATA;
    }
    status = run(&j) == 0 ? CLI_EXIT_OK : CLI_EXIT_DATA;
    dlz_writer_free(j.w); /* discards an unfinished archive */
    dlz_reader_free(j.r);
    dlz_lock_release(lock);
    return status == CLI_EXIT_OK ? cli_finish_stdout(status) : status;
}
