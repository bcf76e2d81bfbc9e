/* edit.c - the commands that change an archive in place, through
 * dlz_editor (atomic: the file is either the old or the new archive):
 * strip-updater, normalizer set/rm, objects put/rm; and the listing and
 * raw reading of objects. */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cli_strip_usage[] =
    "Usage: dlz strip-updater FILE [OUT]\n"
    "Removes updaterState.bin (the optimizer state; inference does not need it).\n"
    "Without OUT, FILE is replaced atomically; with OUT, FILE is left alone.\n";

const char cli_normalizer_usage[] =
    "Usage: dlz normalizer show [--json] FILE\n"
    "       dlz normalizer set FILE --from OTHER\n"
    "       dlz normalizer rm FILE\n"
    "show  prints the normalizer's type (and its fields where known)\n"
    "set   attaches the normalizer of OTHER (a model archive, or a normalizer.bin\n"
    "      stream as NormalizerSerializer writes it), replacing any existing one\n"
    "rm    removes normalizer.bin\n"
    "FILE is changed atomically: a crash leaves the old or the new archive.\n";

const char cli_objects_usage[] =
    "Usage: dlz objects ls FILE\n"
    "       dlz objects get FILE KEY            (raw Java serialization bytes to stdout)\n"
    "       dlz objects put FILE KEY --raw-file F\n"
    "       dlz objects rm FILE KEY\n"
    "ls    lists the keys of the objects/<key> entries\n"
    "put   stores F (a Java serialization stream) as objects/KEY, replacing KEY\n"
    "rm    removes objects/KEY\n"
    "FILE is changed atomically: a crash leaves the old or the new archive.\n";

/* Reads a whole file ("-" = stdin) into memory; prints errors. */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cli_error(path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    while (b != NULL) {
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            break;
        }
        if (n == cap) {
            unsigned char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    int bad = b == NULL || ferror(f);
    if (f != stdin) {
        fclose(f);
    }
    if (bad) {
        free(b);
        cli_error(path, "cannot read the file");
        return NULL;
    }
    *len = n;
    return b;
}

/* Opens an editor on path; prints errors. */
static dlz_editor *open_editor(const char *path) {
    dlz_editor *e = dlz_editor_new();
    if (e == NULL) {
        cli_error(path, "out of memory");
        return NULL;
    }
    if (dlz_editor_open(e, path) != DLZ_OK) {
        cli_error(path, "%s", dlz_editor_errmsg(e));
        dlz_editor_free(e);
        return NULL;
    }
    return e;
}

/* Commits (to out when not NULL) and frees; returns the exit status. */
static int commit(dlz_editor *e, const char *path, const char *out) {
    int rc = out != NULL ? dlz_editor_commit_to(e, out) : dlz_editor_commit(e);
    if (rc != DLZ_OK) {
        cli_error(out != NULL ? out : path, "%s", dlz_editor_errmsg(e));
    }
    dlz_editor_free(e);
    return rc == DLZ_OK ? CLI_EXIT_OK : CLI_EXIT_DATA;
}

/* Parses options that only know --help; fills o. */
static int plain_args(cli_opts *o, int argc, char **argv, const char *cmd, const char *usage,
                      int min, int max) {
    cli_opts_init(o, argc, argv);
    int rc;
    while ((rc = cli_opts_next(o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(o, "help") || cli_opts_is(o, "h")) {
            fputs(usage, stdout);
            return CLI_HELP_SHOWN;
        }
        return cli_usage_error(cmd, "unknown option '%s'", o->arg);
    }
    if (o->nargs < min) {
        return cli_usage_error(cmd, "missing argument");
    }
    if (o->nargs > max) {
        return cli_usage_error(cmd, "too many arguments");
    }
    return CLI_EXIT_OK;
}

int cli_strip_updater(int argc, char **argv) {
    cli_opts o;
    int rc = plain_args(&o, argc, argv, "strip-updater", cli_strip_usage, 1, 2);
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    dlz_editor *e = open_editor(o.args[0]);
    if (e == NULL) {
        return CLI_EXIT_DATA;
    }
    if (dlz_editor_set_updater(e, NULL) != DLZ_OK) {
        cli_error(o.args[0], "%s", dlz_editor_errmsg(e));
        dlz_editor_free(e);
        return CLI_EXIT_DATA;
    }
    return commit(e, o.args[0], o.nargs > 1 ? o.args[1] : NULL);
}

/* The normalizer bytes of OTHER: an archive's normalizer.bin, or the file
   itself when it is not a zip archive. */
static unsigned char *normalizer_from(const char *other, size_t *len) {
    size_t n;
    unsigned char *b = slurp(other, &n);
    if (b == NULL) {
        return NULL;
    }
    if (n < 4 || memcmp(b, "PK\3\4", 4) != 0) {
        *len = n;
        return b;
    }
    dlz_reader *r = dlz_reader_new();
    void *nb = NULL;
    int rc = r ? dlz_reader_open_memory(r, b, n) : DLZ_ENOMEM;
    if (rc == DLZ_OK) {
        rc = dlz_reader_read_normalizer_raw(r, &nb, len);
    }
    if (rc != DLZ_OK) {
        cli_error(other, "%s", r ? dlz_reader_errmsg(r) : "out of memory");
    }
    unsigned char *copy = NULL;
    if (rc == DLZ_OK && (copy = malloc(*len ? *len : 1)) != NULL) {
        memcpy(copy, nb, *len);
    }
    dlz_free(nb);
    dlz_reader_free(r);
    free(b);
    return copy;
}

/* The type name in a normalizer.bin header (FORMAT.md C.1). */
static void normalizer_type(const unsigned char *b, size_t n, char *out, size_t cap) {
    snprintf(out, cap, "UNKNOWN");
    if (n >= 4 && memcmp(b, "\xac\xed\x00\x05", 4) == 0) {
        snprintf(out, cap, "JAVA_SERIALIZED");
        return;
    }
    if (n < 12 + 6 || memcmp(b, "\x00\x0aNORMALIZER", 12) != 0) {
        return;
    }
    size_t tl = (size_t)b[16] << 8 | b[17];
    if (18 + tl <= n && tl < cap) {
        memcpy(out, b + 18, tl);
        out[tl] = '\0';
    }
}

static int normalizer_show(const char *path, int json) {
    dlz_reader *r = cli_open_reader(path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    void *b = NULL;
    size_t n = 0;
    int rc = dlz_reader_read_normalizer_raw(r, &b, &n);
    if (rc != DLZ_OK && rc != DLZ_ENOTFOUND) {
        cli_error(cli_input_name(path), "%s", dlz_reader_errmsg(r));
        dlz_reader_free(r);
        return CLI_EXIT_DATA;
    }
    char type[128] = "";
    if (rc == DLZ_OK) {
        normalizer_type(b, n, type, sizeof type);
    }
    if (json) {
        if (rc == DLZ_OK) {
            printf("{\"type\": \"%s\", \"size\": %zu}\n", type, n);
        } else {
            printf("null\n");
        }
    } else {
        printf("%s\n", rc == DLZ_OK ? type : "none");
    }
    dlz_free(b);
    dlz_reader_free(r);
    return cli_finish_stdout(CLI_EXIT_OK);
}

int cli_normalizer(int argc, char **argv) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    int rc, json = 0;
    const char *from = NULL;
    while ((rc = cli_opts_next(&o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(&o, "help") || cli_opts_is(&o, "h")) {
            fputs(cli_normalizer_usage, stdout);
            return CLI_HELP_SHOWN;
        } else if (cli_opts_is(&o, "json")) {
            json = 1;
        } else if (cli_opts_is(&o, "from")) {
            if ((from = cli_opts_value(&o)) == NULL) {
                return cli_usage_error("normalizer", "--from needs a file");
            }
        } else {
            return cli_usage_error("normalizer", "unknown option '%s'", o.arg);
        }
    }
    if (o.nargs < 1) {
        return cli_usage_error("normalizer", "missing action (show, set or rm)");
    }
    const char *action = o.args[0];
    if (o.nargs != 2) {
        return cli_usage_error("normalizer", o.nargs < 2 ? "missing FILE" : "too many arguments");
    }
    const char *path = o.args[1];
    if (strcmp(action, "show") == 0) {
        if (from != NULL) {
            return cli_usage_error("normalizer", "--from belongs to 'set'");
        }
        return normalizer_show(path, json);
    }
    if (json) {
        return cli_usage_error("normalizer", "--json belongs to 'show'");
    }
    if (strcmp(action, "set") == 0) {
        if (from == NULL) {
            return cli_usage_error("normalizer", "set needs --from OTHER");
        }
        size_t n;
        unsigned char *b = normalizer_from(from, &n);
        if (b == NULL) {
            return CLI_EXIT_DATA;
        }
        dlz_editor *e = open_editor(path);
        if (e == NULL || dlz_editor_set_normalizer(e, b, n) != DLZ_OK) {
            if (e != NULL) {
                cli_error(path, "%s", dlz_editor_errmsg(e));
            }
            dlz_editor_free(e);
            free(b);
            return CLI_EXIT_DATA;
        }
        free(b);
        return commit(e, path, NULL);
    }
    if (strcmp(action, "rm") == 0) {
        if (from != NULL) {
            return cli_usage_error("normalizer", "--from belongs to 'set'");
        }
        dlz_editor *e = open_editor(path);
        if (e == NULL) {
            return CLI_EXIT_DATA;
        }
        if (dlz_editor_set_normalizer(e, NULL, 0) != DLZ_OK) {
            cli_error(path, "%s", dlz_editor_errmsg(e));
            dlz_editor_free(e);
            return CLI_EXIT_DATA;
        }
        return commit(e, path, NULL);
    }
    return cli_usage_error("normalizer", "unknown action '%s' (show, set or rm)", action);
}

static int objects_ls(const char *path) {
    dlz_reader *r = cli_open_reader(path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    for (int64_t i = 0; i < dlz_reader_object_count(r); i++) {
        printf("%s\n", dlz_reader_object_key(r, i));
    }
    dlz_reader_free(r);
    return cli_finish_stdout(CLI_EXIT_OK);
}

static int objects_get(const char *path, const char *key) {
    if (isatty(STDOUT_FILENO)) {
        cli_error(NULL, "refusing to write binary object data to a terminal");
        return CLI_EXIT_USAGE;
    }
    dlz_reader *r = cli_open_reader(path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    void *b = NULL;
    size_t n = 0;
    if (dlz_reader_read_object_raw(r, key, &b, &n) != DLZ_OK) {
        cli_error(cli_input_name(path), "%s", dlz_reader_errmsg(r));
        dlz_reader_free(r);
        return CLI_EXIT_DATA;
    }
    int status = fwrite(b, 1, n, stdout) == n ? CLI_EXIT_OK : CLI_EXIT_DATA;
    dlz_free(b);
    dlz_reader_free(r);
    return cli_finish_stdout(status);
}

int cli_objects(int argc, char **argv) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    int rc;
    const char *raw = NULL;
    while ((rc = cli_opts_next(&o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(&o, "help") || cli_opts_is(&o, "h")) {
            fputs(cli_objects_usage, stdout);
            return CLI_HELP_SHOWN;
        } else if (cli_opts_is(&o, "raw-file")) {
            if ((raw = cli_opts_value(&o)) == NULL) {
                return cli_usage_error("objects", "--raw-file needs a file");
            }
        } else {
            return cli_usage_error("objects", "unknown option '%s'", o.arg);
        }
    }
    if (o.nargs < 1) {
        return cli_usage_error("objects", "missing action (ls, get, put or rm)");
    }
    const char *action = o.args[0];
    int want = strcmp(action, "ls") == 0 ? 2 : 3;
    if (o.nargs != want) {
        return cli_usage_error("objects",
                               o.nargs < want ? "missing argument" : "too many arguments");
    }
    if (raw != NULL && strcmp(action, "put") != 0) {
        return cli_usage_error("objects", "--raw-file belongs to 'put'");
    }
    const char *path = o.args[1];
    if (strcmp(action, "ls") == 0) {
        return objects_ls(path);
    }
    const char *key = o.args[2];
    if (strcmp(action, "get") == 0) {
        return objects_get(path, key);
    }
    if (strcmp(action, "put") == 0) {
        if (raw == NULL) {
            return cli_usage_error("objects", "put needs --raw-file F");
        }
        size_t n;
        unsigned char *b = slurp(raw, &n);
        if (b == NULL) {
            return CLI_EXIT_DATA;
        }
        dlz_editor *e = open_editor(path);
        int ok = e != NULL && dlz_editor_put_object(e, key, b, n) == DLZ_OK;
        free(b);
        if (!ok) {
            if (e != NULL) {
                cli_error(path, "%s", dlz_editor_errmsg(e));
            }
            dlz_editor_free(e);
            return CLI_EXIT_DATA;
        }
        return commit(e, path, NULL);
    }
    if (strcmp(action, "rm") == 0) {
        dlz_editor *e = open_editor(path);
        if (e == NULL) {
            return CLI_EXIT_DATA;
        }
        if (dlz_editor_remove_object(e, key) != DLZ_OK) {
            cli_error(path, "%s", dlz_editor_errmsg(e));
            dlz_editor_free(e);
            return CLI_EXIT_DATA;
        }
        return commit(e, path, NULL);
    }
    return cli_usage_error("objects", "unknown action '%s' (ls, get, put or rm)", action);
}
