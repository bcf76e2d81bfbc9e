/* check.c - "dlz check": does an archive hold everything DL4J's restore
 * needs, intact?  And "dlz cat": one entry, uncompressed, to stdout.
 *
 * The checks come in classes, run in this order; without --all the first
 * class that finds a problem ends the file's check, since later classes
 * depend on earlier ones (a parameter count means nothing once the
 * coefficients failed to decode).  What the newest DL4J loaders refuse is
 * described in dlz-format(5), "The archive".
 */
#include "cli.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cli_check_usage[] =
    "Usage: dlz check [--all] [--json] [--quiet] FILE...\n"
    "\n"
    "Checks that each FILE is a model archive DL4J can restore, or a bare ND4J\n"
    "array file that decodes, as 'unzip -t' does for zip files:\n"
    "  layout       configuration.json and coefficients.bin exist, the\n"
    "               configuration is a MultiLayerNetwork or a ComputationGraph,\n"
    "               no directory entry and no entry of 2 GiB or more (DL4J\n"
    "               1.0.0-beta7 and later refuse both); an archive with two\n"
    "               entries of one name fails to open\n"
    "  entries      every entry reads to its end with the CRC-32 and sizes of\n"
    "               the zip directory\n"
    "  coefficients the array decodes and is a vector ([N] or [1, N])\n"
    "  parameters   its length is the parameter count of the configuration,\n"
    "               layer by layer\n"
    "  updater      updaterState.bin decodes and has the length its layout needs\n"
    "  normalizer   normalizer.bin decodes\n"
    "  objects      every objects/<key> entry decodes\n"
    "Each problem is one line 'FILE: PROBLEM'; then 'FILE: OK' or 'FILE: FAILED'.\n"
    "A note ('FILE: note: ...') says what could not be checked, such as the\n"
    "parameter count of a custom layer; it does not fail the file.\n"
    "FILE '-' reads standard input.\n"
    "\n"
    "Options:\n"
    "  --all        go on after the first class of checks that failed and show\n"
    "               every problem\n"
    "  --json       print {\"schema\": \"dlz-check-1\", \"files\": [{\"file\",\n"
    "               \"ok\", \"kind\", \"problems\": [{\"check\", \"message\"}],\n"
    "               \"notes\": [...]}]} instead of text\n"
    "  --quiet      print only the problems\n"
    "  -h, --help   show this help and exit\n"
    "\n"
    "Examples:\n"
    "  dlz check model.zip\n"
    "  dlz check --all --json *.zip\n"
    "\n"
    "Exit status: 0 when every FILE passed, 1 when one did not, 2 bad usage.\n";

const char cli_cat_usage[] =
    "Usage: dlz cat FILE ENTRY\n"
    "\n"
    "Writes entry ENTRY of the archive FILE to standard output, uncompressed,\n"
    "as it is stored (coefficients.bin is an ND4J array record, objects/<key>\n"
    "Java serialization).  Its CRC-32 and sizes are checked at the end: when\n"
    "they are wrong the bytes already written are followed by an error and\n"
    "exit status 1.  Binary entries are not written to a terminal.  FILE '-'\n"
    "reads standard input.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help and exit\n"
    "\n"
    "Examples:\n"
    "  dlz cat model.zip configuration.json | python3 -m json.tool\n"
    "  dlz cat model.zip coefficients.bin > coefficients.bin\n";

/* DL4J 1.0.0-beta7 and later read entries into byte arrays. */
#define DL4J_MAX_ENTRY ((uint64_t)INT32_MAX)

typedef struct checker {
    const char *file; /* the name shown */
    int all, json, quiet;
    int problems;    /* found in the current file */
    int class_fails; /* problems before the current class */
    json_t *jproblems, *jnotes;
    int oom;
} checker;

/* A JSON string for a message that may quote names from the file, which
   need not be UTF-8: their non-ASCII bytes become '?' when they are not. */
static json_t *text(const char *s) {
    json_t *v = json_string(s);
    if (v != NULL) {
        return v;
    }
    char buf[1024];
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < sizeof buf; i++) {
        buf[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    }
    buf[i] = '\0';
    return json_string(buf);
}

static void add_json(checker *c, json_t *list, json_t *item) {
    if (item == NULL || json_array_append_new(list, item) != 0) {
        c->oom = 1;
    }
}

static void problem(checker *c, const char *check, const char *fmt, ...) CLI_PRINTF(3, 4);

static void problem(checker *c, const char *check, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->problems++;
    if (c->json) {
        add_json(c, c->jproblems, json_pack("{s:s,s:o}", "check", check, "message", text(msg)));
    } else {
        cli_print_line(stdout, c->file, msg);
    }
}

static void note(checker *c, const char *fmt, ...) CLI_PRINTF(2, 3);

static void note(checker *c, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->json) {
        add_json(c, c->jnotes, text(msg));
    } else if (!c->quiet) {
        char line[1100];
        snprintf(line, sizeof line, "note: %s", msg);
        cli_print_line(stdout, c->file, line);
    }
}

/* A failed library call: out of memory ends the whole command (it says
   nothing about the file); anything else is a problem of the file. */
static void failed(checker *c, int rc, const char *check, const char *msg) {
    if (rc == DLZ_ENOMEM) {
        c->oom = 1;
    } else {
        problem(c, check, "%s", msg);
    }
}

/* 1 when the checks should stop: a class found a problem and --all is off. */
static int class_done(checker *c) {
    int failed = c->problems > c->class_fails;
    c->class_fails = c->problems;
    return failed && !c->all;
}

/* layout: what DL4J needs before it reads a byte. */
static void check_layout(checker *c, dlz_reader *r) {
    int64_t n = dlz_reader_entry_count(r);
    int has_config = 0, has_marker = 0;
    int64_t coef = -1;
    dlz_entry_info coef_info = {0};
    for (int64_t i = 0; i < n; i++) {
        dlz_entry_info e;
        int rc = dlz_reader_entry_info(r, i, &e);
        if (rc != DLZ_OK) {
            failed(c, rc, "layout", dlz_reader_errmsg(r));
            continue;
        }
        size_t len = strlen(e.name);
        if (len > 0 && e.name[len - 1] == '/') {
            problem(c, "layout",
                    "%s: a directory entry (DL4J 1.0.0-beta7 and later refuse the archive)",
                    e.name);
        }
        if (e.size > DL4J_MAX_ENTRY) {
            problem(c, "layout",
                    "%s: %llu bytes, more than DL4J 1.0.0-beta7 and later read into one entry "
                    "(2 GiB)",
                    e.name, (unsigned long long)e.size);
        }
        if (strcmp(e.name, "configuration.json") == 0) {
            has_config = 1;
        } else if (strcmp(e.name, "coefficients.bin") == 0) {
            coef = i;
            coef_info = e;
        } else if (strcmp(e.name, "noParams.marker") == 0) {
            has_marker = 1;
        }
    }
    if (!has_config) {
        problem(c, "layout", "no configuration.json: DL4J finds no model in the archive");
    } else if (dlz_reader_kind(r) == DLZ_KIND_UNKNOWN) {
        problem(c, "layout",
                "configuration.json: neither a MultiLayerNetwork nor a ComputationGraph "
                "configuration");
    }
    if (coef < 0) {
        problem(c, "layout", "no coefficients.bin: DL4J rejects the model");
    } else if (coef_info.size == 0 && !has_marker) {
        problem(c, "layout", "coefficients.bin: empty, and there is no noParams.marker");
    }
}

static void check_entries(checker *c, dlz_reader *r) {
    int64_t n = dlz_reader_entry_count(r);
    for (int64_t i = 0; i < n; i++) {
        int rc = dlz_reader_verify_entry(r, i);
        if (rc != DLZ_OK) {
            failed(c, rc, "entries", dlz_reader_errmsg(r));
            if (!c->all || c->oom) {
                return;
            }
        }
    }
}

static void check_array_shape(checker *c, const char *what, const dlz_array *a) {
    int rank = dlz_array_rank(a);
    const int64_t *shape = dlz_array_shape(a);
    if (rank == 1 || (rank == 2 && shape[0] == 1)) {
        return;
    }
    char dims[256] = "";
    size_t used = 0;
    for (int i = 0; i < rank && used + 24 < sizeof dims; i++) {
        used += (size_t)snprintf(dims + used, sizeof dims - used, "%s%lld", i ? ", " : "",
                                 (long long)shape[i]);
    }
    problem(c, what, "%s: shape [%s]; DL4J needs a vector ([N] or [1, N])",
            strcmp(what, "updater") == 0 ? "updaterState.bin" : "coefficients.bin", dims);
}

/* Checks the file in classes; returns 1 if it passed. */
static int check_archive(checker *c, dlz_reader *r) {
    check_layout(c, r);
    if (class_done(c) || c->oom) {
        return 0;
    }
    check_entries(c, r);
    if (class_done(c) || c->oom) {
        return 0;
    }
    dlz_array *coef = NULL;
    int coef_ok = 0;
    if (dlz_reader_has_entry(r, "coefficients.bin") == DLZ_OK) {
        int rc = dlz_reader_read_coefficients(r, &coef);
        if (rc != DLZ_OK) {
            failed(c, rc, "coefficients", dlz_reader_errmsg(r));
        } else {
            coef_ok = 1;
            if (coef != NULL) {
                check_array_shape(c, "coefficients", coef);
            }
        }
    }
    if (class_done(c) || c->oom) {
        dlz_array_free(coef);
        return 0;
    }
    dlz_params *p = NULL;
    int prc = DLZ_EMISUSE;
    if (dlz_reader_kind(r) != DLZ_KIND_UNKNOWN) {
        prc = dlz_reader_read_params(r, 0, &p);
        if (prc == DLZ_EUNSUPPORTED) {
            note(c, "parameter count not checked: %s", dlz_reader_errmsg(r));
        } else if (prc == DLZ_ENOMEM) {
            c->oom = 1;
        } else if (prc != DLZ_OK) {
            problem(c, "parameters", "%s", dlz_reader_errmsg(r));
        } else if (coef_ok) {
            int rc = dlz_params_check(p, coef);
            if (rc == DLZ_ENOMEM) {
                c->oom = 1;
            } else if (rc != DLZ_OK) {
                problem(c, "parameters", "coefficients.bin: %s", dlz_params_errmsg(p));
            }
        }
    }
    dlz_array_free(coef);
    if (class_done(c) || c->oom) {
        dlz_params_free(p);
        return 0;
    }
    dlz_array *state = NULL;
    int urc = dlz_reader_read_updater(r, &state);
    if (urc == DLZ_OK) {
        check_array_shape(c, "updater", state);
        if (p != NULL) {
            int st = dlz_params_updater_status(p);
            if (st == DLZ_OK) {
                int rc = dlz_params_updater_check(p, state);
                if (rc == DLZ_ENOMEM) {
                    c->oom = 1;
                } else if (rc != DLZ_OK) {
                    problem(c, "updater", "updaterState.bin: %s", dlz_params_errmsg(p));
                }
            } else if (st == DLZ_ENOMEM) {
                c->oom = 1;
            } else {
                note(c, "updater state length not checked: %s", dlz_params_errmsg(p));
            }
        }
    } else if (urc != DLZ_ENOTFOUND) {
        failed(c, urc, "updater", dlz_reader_errmsg(r));
    }
    dlz_array_free(state);
    dlz_params_free(p);
    if (class_done(c) || c->oom) {
        return 0;
    }
    dlz_normalizer *norm = NULL;
    int nrc = dlz_reader_read_normalizer(r, &norm);
    if (nrc != DLZ_OK && nrc != DLZ_ENOTFOUND) {
        failed(c, nrc, "normalizer", dlz_reader_errmsg(r));
    }
    dlz_normalizer_free(norm);
    if (class_done(c) || c->oom) {
        return 0;
    }
    for (int64_t i = 0; i < dlz_reader_object_count(r); i++) {
        const char *key = dlz_reader_object_key(r, i);
        dlz_value *v = NULL;
        int rc = key != NULL ? dlz_reader_read_object(r, key, &v) : DLZ_OK;
        if (rc != DLZ_OK) {
            failed(c, rc, "objects", dlz_reader_errmsg(r));
            if (!c->all || c->oom) {
                dlz_value_free(v);
                break;
            }
        }
        dlz_value_free(v);
    }
    class_done(c);
    return c->problems == 0 && !c->oom;
}

static int check_file(checker *c, const char *path, json_t *files) {
    c->file = cli_input_name(path);
    c->problems = c->class_fails = 0;
    c->jproblems = c->json ? json_array() : NULL;
    c->jnotes = c->json ? json_array() : NULL;
    if (c->json && (c->jproblems == NULL || c->jnotes == NULL)) {
        c->oom = 1;
    }
    const char *kind = NULL;
    dlz_reader *r = dlz_reader_new();
    if (r == NULL) {
        c->oom = 1;
    } else {
        int rc = strcmp(path, "-") == 0 ? dlz_reader_open_FILE(r, stdin, DLZ_KEEP_OPEN)
                                        : dlz_reader_open_path(r, path);
        if (rc == DLZ_ENOMEM) {
            c->oom = 1;
        } else if (rc != DLZ_OK) {
            problem(c, "open", "%s", dlz_reader_errmsg(r));
        } else if (dlz_reader_kind(r) == DLZ_KIND_ARRAY) {
            kind = dlz_kind_name(DLZ_KIND_ARRAY);
            dlz_array *a = NULL;
            int arc = dlz_reader_read_array(r, &a);
            if (arc != DLZ_OK) {
                failed(c, arc, "array", dlz_reader_errmsg(r));
            }
            dlz_array_free(a);
        } else {
            kind = dlz_kind_name(dlz_reader_kind(r));
            check_archive(c, r);
        }
        dlz_reader_free(r);
    }
    if (c->oom) {
        cli_error(c->file, "out of memory");
        json_decref(c->jproblems);
        json_decref(c->jnotes);
        return -1;
    }
    int ok = c->problems == 0;
    if (c->json) {
        json_t *f = json_pack("{s:o,s:b,s:s?,s:o,s:o}", "file", text(c->file), "ok", ok, "kind",
                              kind, "problems", c->jproblems, "notes", c->jnotes);
        if (f == NULL || json_array_append_new(files, f) != 0) {
            cli_error(c->file, "out of memory");
            return -1;
        }
    } else if (!c->quiet) {
        cli_print_line(stdout, c->file, ok ? "OK" : "FAILED");
    }
    return ok;
}

int cli_check(int argc, char **argv) {
    checker c = {0};
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    int rc;
    while ((rc = cli_opts_next(&o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(&o, "help") || strcmp(o.arg, "-h") == 0) {
            fputs(cli_check_usage, stdout);
            return CLI_HELP_SHOWN;
        } else if (cli_opts_is(&o, "all") && o.value == NULL) {
            c.all = 1;
        } else if (cli_opts_is(&o, "json") && o.value == NULL) {
            c.json = 1;
        } else if (cli_opts_is(&o, "quiet") && o.value == NULL) {
            c.quiet = 1;
        } else {
            return cli_usage_error("check", "unknown option '%s'", o.arg);
        }
    }
    if (o.nargs == 0) {
        return cli_usage_error("check", "no FILE given");
    }
    int stdin_uses = 0;
    for (int i = 0; i < o.nargs; i++) {
        stdin_uses += strcmp(o.args[i], "-") == 0;
    }
    if (stdin_uses > 1) {
        return cli_usage_error("check", "standard input ('-') can be read only once");
    }
    json_t *files = c.json ? json_array() : NULL;
    if (c.json && files == NULL) {
        cli_error(NULL, "out of memory");
        return CLI_EXIT_DATA;
    }
    int status = CLI_EXIT_OK;
    for (int i = 0; i < o.nargs; i++) {
        int ok = check_file(&c, o.args[i], files);
        if (ok < 0) {
            json_decref(files);
            return CLI_EXIT_DATA;
        }
        if (!ok) {
            status = CLI_EXIT_DATA;
        }
    }
    if (c.json) {
        json_t *doc = json_pack("{s:s,s:o}", "schema", "dlz-check-1", "files", files);
        if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0) {
            json_decref(doc);
            cli_error("<stdout>", "write error");
            return CLI_EXIT_DATA;
        }
        json_decref(doc);
        fputc('\n', stdout);
    }
    return cli_finish_stdout(status);
}

/* ---- cat ------------------------------------------------------------------ */

static int64_t write_stdout(void *user, const void *buf, size_t n) {
    (void)user;
    size_t k = fwrite(buf, 1, n, stdout);
    return k == 0 ? -1 : (int64_t)k;
}

/* Entries DL4J writes as text; everything else is binary. */
static int is_text_entry(const char *name) {
    size_t n = strlen(name);
    return strcmp(name, "configuration.json") == 0 ||
           (n > 5 && strcmp(name + n - 5, ".json") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".txt") == 0) || strcmp(name, "noParams.marker") == 0;
}

int cli_cat(int argc, char **argv) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    int rc;
    while ((rc = cli_opts_next(&o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(&o, "help") || strcmp(o.arg, "-h") == 0) {
            fputs(cli_cat_usage, stdout);
            return CLI_HELP_SHOWN;
        }
        return cli_usage_error("cat", "unknown option '%s'", o.arg);
    }
    if (o.nargs != 2) {
        return cli_usage_error("cat", o.nargs < 2 ? "FILE and ENTRY needed" : "too many arguments");
    }
    const char *path = o.args[0], *entry = o.args[1];
    if (!is_text_entry(entry) && cli_refuse_terminal(entry) != 0) {
        return CLI_EXIT_USAGE;
    }
    dlz_reader *r = cli_open_reader(path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    int64_t index = -1;
    for (int64_t i = 0; i < dlz_reader_entry_count(r) && index < 0; i++) {
        dlz_entry_info e;
        if (dlz_reader_entry_info(r, i, &e) == DLZ_OK && strcmp(e.name, entry) == 0) {
            index = i;
        }
    }
    int status = CLI_EXIT_OK;
    if (dlz_reader_kind(r) == DLZ_KIND_ARRAY) {
        cli_error(cli_input_name(path), "a bare array file, not an archive: it has no entries");
        status = CLI_EXIT_DATA;
    } else if (index < 0) {
        cli_error(cli_input_name(path), "no entry '%s' (see 'dlz info')", entry);
        status = CLI_EXIT_DATA;
    } else {
        dlz_io io = {DLZ_IO_VERSION, NULL, write_stdout, NULL, NULL};
        if (dlz_reader_copy_entry(r, index, &io, NULL) != DLZ_OK) {
            if (ferror(stdout)) {
                cli_error("<stdout>", "write error");
            } else {
                cli_error(cli_input_name(path), "%s", dlz_reader_errmsg(r));
            }
            status = CLI_EXIT_DATA;
        }
    }
    dlz_reader_free(r);
    return cli_finish_stdout(status);
}
