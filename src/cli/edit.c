/* edit.c - the commands that change an archive in place, through
 * dlz_editor (atomic: the file is either the old or the new archive):
 * strip-updater, normalizer set/rm, objects put/rm; and the commands that
 * show a normalizer and list and read objects. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Options of every editing command. */
#define WAIT_OPTION                                                                                \
    "  --wait[=SECONDS]  while another process changes FILE (it holds FILE's lock),\n"             \
    "                    wait for it (at most SECONDS); without --wait the command\n"              \
    "                    fails at once\n"
#define FORCE_OPTION                                                                               \
    "  --force           removing what is not there is no error: FILE is left\n"                   \
    "                    unchanged and the exit status is 0 (without --force: 1)\n"
#define HELP_OPTION "  -h, --help        show this help and exit\n"

const char cli_strip_usage[] =
    "Usage: dlz strip-updater [--force] [--wait[=SECONDS]] FILE [OUT]\n"
    "\n"
    "Removes updaterState.bin (the optimizer state; inference does not need it).\n"
    "Without OUT, FILE is replaced atomically; with OUT, the result is written\n"
    "to OUT and FILE is left alone.  Every other entry is copied as it is.\n"
    "\n"
    "Options:\n" FORCE_OPTION
    "                    (with OUT, OUT is still written)\n" WAIT_OPTION HELP_OPTION "\n"
    "Examples:\n"
    "  dlz strip-updater model.zip\n"
    "  dlz strip-updater --force trained.zip inference.zip\n";

const char cli_normalizer_usage[] =
    "Usage: dlz normalizer show [--json] FILE\n"
    "       dlz normalizer set [--wait[=SECONDS]] FILE --from OTHER\n"
    "       dlz normalizer rm [--force] [--wait[=SECONDS]] FILE\n"
    "\n"
    "show  decodes the normalizer and prints its type, its Java class and its\n"
    "      fields (statistics arrays as data type, shape and first values);\n"
    "      'none' when there is no normalizer.  FILE is a model archive or a\n"
    "      normalizer.bin stream.  A Java-serialized normalizer (DL4J 0.7) is\n"
    "      shown with its class only, a CUSTOM one with its strategy class and\n"
    "      body length.\n"
    "set   attaches the normalizer of OTHER (a model archive, or a normalizer.bin\n"
    "      stream as NormalizerSerializer writes it), replacing any existing one\n"
    "rm    removes normalizer.bin\n"
    "set and rm change FILE atomically: a crash leaves the old or the new archive.\n"
    "\n"
    "Options:\n"
    "  --json            with show: print every field and value as JSON (null\n"
    "                    when there is no normalizer)\n"
    "  --from OTHER      with set: where the normalizer comes from\n" FORCE_OPTION WAIT_OPTION
        HELP_OPTION "\n"
    "Examples:\n"
    "  dlz normalizer show model.zip\n"
    "  dlz normalizer set model.zip --from normalizer.bin\n"
    "  dlz normalizer rm --force model.zip\n";

const char cli_objects_usage[] =
    "Usage: dlz objects ls [--json] FILE\n"
    "       dlz objects get [--json] FILE KEY\n"
    "       dlz objects put [--wait[=SECONDS]] FILE KEY VALUE\n"
    "       dlz objects rm [--force] [--wait[=SECONDS]] FILE KEY\n"
    "\n"
    "ls    lists the keys of the objects/<key> entries\n"
    "get   writes objects/KEY as raw Java serialization bytes to stdout (not to a\n"
    "      terminal)\n"
    "put   stores a value as objects/KEY (replacing KEY), encoded as Java's\n"
    "      ObjectOutputStream writes it\n"
    "rm    removes objects/KEY\n"
    "put and rm change FILE atomically: a crash leaves the old or the new archive.\n"
    "\n"
    "Options:\n"
    "  --json            with ls: print [{\"key\", \"class\", \"bytes\"}] (the Java\n"
    "                    class of each value); with get: decode the value and\n"
    "                    print it as JSON (a class the decoder does not know:\n"
    "                    {\"opaque\": CLASS, \"length\": BYTES})\n"
    "  VALUE of put is exactly one of:\n"
    "  --string S        java.lang.String (UTF-8 text)\n"
    "  --int N           java.lang.Integer\n"
    "  --long N          java.lang.Long\n"
    "  --double X        java.lang.Double (also NaN, Infinity, -Infinity)\n"
    "  --bool B          java.lang.Boolean: true or false\n"
    "  --bytes-file F    byte[] with the bytes of file F ('-' = stdin)\n"
    "  --json JSON       null, Boolean, Integer (Long when it does not fit),\n"
    "                    Double, String, ArrayList (arrays) or LinkedHashMap\n"
    "                    (objects)\n"
    "  --raw-file F      F as it is (a Java serialization stream)\n" FORCE_OPTION WAIT_OPTION
        HELP_OPTION "\n"
    "Examples:\n"
    "  dlz objects ls --json model.zip\n"
    "  dlz objects put model.zip epochs --int 12\n"
    "  dlz objects get --json model.zip epochs\n"
    "  dlz objects rm model.zip epochs\n";

/* Reads a whole file ("-" = stdin) into memory; prints errors. */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cli_error(path, errno == ENOMEM ? "out of memory" : "cannot open: %s", strerror(errno));
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
    int nomem = b == NULL, bad = nomem || ferror(f);
    if (f != stdin) {
        fclose(f);
    }
    if (bad) {
        free(b);
        cli_error(path, nomem ? "out of memory" : "cannot read the file");
        return NULL;
    }
    *len = n;
    return b;
}

/* How long the editing commands wait for the archive's lock (--wait). */
static int64_t wait_ms;
/* --force: removing what is not there is a success. */
static int force;

/* Opens an editor on path; prints errors. */
static dlz_editor *open_editor(const char *path) {
    dlz_editor *e = dlz_editor_new();
    if (e == NULL) {
        cli_error(path, "out of memory");
        return NULL;
    }
    if (dlz_editor_set_lock_timeout(e, wait_ms) != DLZ_OK || dlz_editor_open(e, path) != DLZ_OK) {
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
        /* Damaged or unreadable data is the input's; a failure to write is
           the output's. */
        int input = rc == DLZ_EFORMAT || rc == DLZ_EUNSUPPORTED || rc == DLZ_ELIMIT;
        cli_error(out != NULL && !input ? out : path, "%s", dlz_editor_errmsg(e));
    }
    dlz_editor_free(e);
    return rc == DLZ_OK ? CLI_EXIT_OK : CLI_EXIT_DATA;
}

/* The one removal policy (strip-updater, normalizer rm, objects rm), @p rc
   being the editor's answer: DLZ_ENOTFOUND is an error unless --force, which
   leaves FILE as it is (and still writes OUT when there is one). */
static int removed(dlz_editor *e, int rc, const char *path, const char *out) {
    if (rc == DLZ_OK || (rc == DLZ_ENOTFOUND && force && out != NULL)) {
        return commit(e, path, out);
    }
    int status = CLI_EXIT_DATA;
    if (rc == DLZ_ENOTFOUND && force) {
        status = CLI_EXIT_OK;
    } else {
        cli_error(path, "%s%s", dlz_editor_errmsg(e),
                  rc == DLZ_ENOTFOUND ? " (--force makes this no error)" : "");
    }
    dlz_editor_free(e);
    return status;
}

/* Parses the options of strip-updater; fills o. */
static int plain_args(cli_opts *o, int argc, char **argv, const char *cmd, const char *usage,
                      int min, int max) {
    cli_opts_init(o, argc, argv);
    int rc;
    while ((rc = cli_opts_next(o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(o, "help") || strcmp(o->arg, "-h") == 0) {
            fputs(usage, stdout);
            return CLI_HELP_SHOWN;
        }
        if (cli_opts_is(o, "force") && o->value == NULL) {
            force = 1;
            continue;
        }
        int w = cli_wait_option(o, cmd, &wait_ms);
        if (w == 1) {
            continue;
        }
        return w != 0 ? w : cli_usage_error(cmd, "unknown option '%s'", o->arg);
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
    return removed(e, dlz_editor_remove_updater(e), o.args[0], o.nargs > 1 ? o.args[1] : NULL);
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
    } else if (rc == DLZ_OK) {
        cli_error(other, "out of memory");
    }
    dlz_free(nb);
    dlz_reader_free(r);
    free(b);
    return copy;
}

/* 1 if @p path (not stdin) starts like a zip archive or cannot be read (the
   reader then reports why); 0 for anything else, a normalizer stream. */
static int looks_like_archive(const char *path) {
    if (strcmp(path, "-") == 0) {
        return 1;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return 1;
    }
    unsigned char head[2] = {0, 0};
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n < 2 || (head[0] == 'P' && head[1] == 'K');
}

/* Decodes the normalizer of FILE (archive or stream) into *out (NULL when
   an archive has none); prints errors.  Returns an exit status. */
static int read_normalizer(const char *path, dlz_normalizer **out) {
    *out = NULL;
    if (!looks_like_archive(path)) {
        size_t n;
        unsigned char *b = slurp(path, &n);
        if (b == NULL) {
            return CLI_EXIT_DATA;
        }
        char err[512] = "";
        int rc = dlz_normalizer_decode(b, n, out, err, sizeof err);
        free(b);
        if (rc != DLZ_OK) {
            cli_error(path, "%s", rc == DLZ_ENOMEM ? "out of memory" : err);
            return CLI_EXIT_DATA;
        }
        return CLI_EXIT_OK;
    }
    dlz_reader *r = cli_open_reader(path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    int rc = dlz_reader_read_normalizer(r, out);
    if (rc != DLZ_OK && rc != DLZ_ENOTFOUND) {
        cli_error(cli_input_name(path), "%s", dlz_reader_errmsg(r));
    }
    dlz_reader_free(r);
    return rc == DLZ_OK || rc == DLZ_ENOTFOUND ? CLI_EXIT_OK : CLI_EXIT_DATA;
}

static int normalizer_show(const char *path, int json) {
    dlz_normalizer *n;
    int status = read_normalizer(path, &n);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    if (n == NULL) {
        puts(json ? "null" : "none");
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    char *text = NULL;
    size_t len = 0;
    /* The text form shows a few values of each array: only those are
       rendered. */
    if (dlz_normalizer_to_json(n, json ? DLZ_JSON_PRETTY : DLZ_JSON_SUMMARY, &text, &len) !=
        DLZ_OK) {
        dlz_normalizer_free(n);
        cli_error(cli_input_name(path), "out of memory");
        return CLI_EXIT_DATA;
    }
    dlz_normalizer_free(n);
    if (json) {
        fwrite(text, 1, len, stdout);
        putchar('\n');
    } else if (cli_print_normalizer(text, len) != 0) {
        status = CLI_EXIT_DATA;
        cli_error(cli_input_name(path), "cannot show the normalizer (out of memory)");
    }
    dlz_free(text);
    return cli_finish_stdout(status);
}

int cli_normalizer(int argc, char **argv) {
    cli_opts o;
    cli_opts_init(&o, argc, argv);
    int rc, json = 0;
    const char *from = NULL;
    while ((rc = cli_opts_next(&o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(&o, "help") || strcmp(o.arg, "-h") == 0) {
            fputs(cli_normalizer_usage, stdout);
            return CLI_HELP_SHOWN;
        } else if (cli_opts_is(&o, "json")) {
            json = 1;
        } else if (cli_opts_is(&o, "force") && o.value == NULL) {
            force = 1;
        } else if (cli_opts_is(&o, "from")) {
            if ((from = cli_opts_value(&o)) == NULL) {
                return cli_usage_error("normalizer", "--from needs a file");
            }
        } else if ((rc = cli_wait_option(&o, "normalizer", &wait_ms)) != 0) {
            if (rc != 1) {
                return rc;
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
    if (force && strcmp(action, "rm") != 0) {
        return cli_usage_error("normalizer", "--force belongs to 'rm'");
    }
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
        if (e == NULL || dlz_editor_set_normalizer_raw(e, b, n) != DLZ_OK) {
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
        return removed(e, dlz_editor_remove_normalizer(e), path, NULL);
    }
    return cli_usage_error("normalizer", "unknown action '%s' (show, set or rm)", action);
}

/* Prints @p s as a JSON string (keys are UTF-8: the reader checks them). */
static void put_json_string(const char *s) {
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20 || c == 0x7f) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

/* objects ls: the keys, or with --json each key with the Java class of its
   value and the length of its serialization. */
static int objects_ls(const char *path, int json) {
    dlz_reader *r = cli_open_reader(path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    int64_t n = dlz_reader_object_count(r);
    int status = CLI_EXIT_OK;
    if (json) {
        putchar('[');
    }
    for (int64_t i = 0; i < n && status == CLI_EXIT_OK; i++) {
        const char *key = dlz_reader_object_key(r, i);
        if (!json) {
            printf("%s\n", key);
            continue;
        }
        void *raw = NULL;
        size_t len = 0;
        dlz_value *v = NULL;
        char err[256];
        if (dlz_reader_read_object_raw(r, key, &raw, &len) != DLZ_OK) {
            cli_error(cli_input_name(path), "%s", dlz_reader_errmsg(r));
            status = CLI_EXIT_DATA;
        } else if (dlz_value_decode(raw, len, DLZ_VALUE_DEFAULT_DEPTH, &v, err, sizeof err) !=
                   DLZ_OK) {
            cli_error(cli_input_name(path), "objects/%s: %s", key, err);
            status = CLI_EXIT_DATA;
        } else {
            dlz_value_type t = dlz_value_type_of(v);
            printf("%s\n  {\"key\": ", i ? "," : "");
            put_json_string(key);
            printf(", \"class\": ");
            put_json_string(t == DLZ_VALUE_OPAQUE ? dlz_value_opaque_class(v)
                                                  : dlz_value_type_name(t));
            printf(", \"bytes\": %zu}", len);
        }
        dlz_value_free(v);
        dlz_free(raw);
    }
    if (json && status == CLI_EXIT_OK) {
        printf(n > 0 ? "\n]\n" : "]\n");
    }
    dlz_reader_free(r);
    return cli_finish_stdout(status);
}

static int objects_get_json(const char *path, const char *key) {
    dlz_reader *r = cli_open_reader(path);
    if (r == NULL) {
        return CLI_EXIT_DATA;
    }
    dlz_value *v = NULL;
    if (dlz_reader_read_object(r, key, &v) != DLZ_OK) {
        cli_error(cli_input_name(path), "%s", dlz_reader_errmsg(r));
        dlz_reader_free(r);
        return CLI_EXIT_DATA;
    }
    dlz_reader_free(r);
    char *text = NULL;
    size_t len = 0;
    int rc = dlz_value_to_json(v, DLZ_JSON_PRETTY, &text, &len);
    dlz_value_free(v);
    if (rc != DLZ_OK) {
        cli_error(cli_input_name(path), "out of memory");
        return CLI_EXIT_DATA;
    }
    fwrite(text, 1, len, stdout);
    putchar('\n');
    dlz_free(text);
    return cli_finish_stdout(CLI_EXIT_OK);
}

static int objects_get(const char *path, const char *key, int json) {
    if (json) {
        return objects_get_json(path, key);
    }
    if (cli_refuse_terminal("binary object data (see --json)") != 0) {
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

/* The value options of "objects put". */
static const char *const value_options[] = {"string", "int",        "long", "double",
                                            "bool",   "bytes-file", "json", "raw-file"};
enum { V_STRING, V_INT, V_LONG, V_DOUBLE, V_BOOL, V_BYTES_FILE, V_JSON, V_RAW_FILE, V_COUNT };

/* What "objects" was given. */
typedef struct objects_args {
    int json;           /* --json without a value (get) */
    int nvalues;        /* number of value options */
    int which;          /* the (last) value option, V_* */
    const char *option; /* ... as written */
    const char *value;  /* ... and its value */
} objects_args;

/* Builds the value of a put from its option; a bad value is a usage error
   (CLI_EXIT_USAGE), an unreadable file a data error. */
static int build_value(const objects_args *a, dlz_value **out) {
    const char *s = a->value;
    int64_t i;
    *out = NULL;
    switch (a->which) {
    case V_STRING:
        switch (dlz_value_new_string(s, strlen(s), out, NULL, 0)) {
        case DLZ_OK:
            return CLI_EXIT_OK;
        case DLZ_ENOMEM:
            break; /* reported below */
        default:
            return cli_usage_error("objects", "--string: the text is not valid UTF-8");
        }
        break;
    case V_INT:
        if (cli_parse_int64(s, INT32_MIN, INT32_MAX, &i) != 0) {
            return cli_usage_error("objects", "--int '%s' is not a whole number in %ld..%ld", s,
                                   (long)INT32_MIN, (long)INT32_MAX);
        }
        *out = dlz_value_new_int((int32_t)i);
        break;
    case V_LONG:
        if (cli_parse_int64(s, INT64_MIN, INT64_MAX, &i) != 0) {
            return cli_usage_error("objects", "--long '%s' is not a whole 64-bit number", s);
        }
        *out = dlz_value_new_long(i);
        break;
    case V_DOUBLE: {
        char *end;
        double d = strtod(s, &end);
        if (*s == '\0' || *end != '\0' || isspace((unsigned char)s[0])) {
            return cli_usage_error("objects", "--double '%s' is not a number", s);
        }
        *out = dlz_value_new_double(d);
        break;
    }
    case V_BOOL:
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
            return cli_usage_error("objects", "--bool '%s' is neither true nor false", s);
        }
        *out = dlz_value_new_boolean(strcmp(s, "true") == 0);
        break;
    case V_BYTES_FILE: {
        size_t n;
        unsigned char *b = slurp(s, &n);
        if (b == NULL) {
            return CLI_EXIT_DATA;
        }
        char err[256];
        int rc = dlz_value_new_array(DLZ_VALUE_BYTE_ARRAY, b, n, out, err, sizeof err);
        free(b);
        if (rc != DLZ_OK) {
            cli_error(s, "%s", err);
            return CLI_EXIT_DATA;
        }
        return CLI_EXIT_OK;
    }
    case V_JSON: {
        char err[256] = "";
        int rc = dlz_value_from_json(s, strlen(s), out, err, sizeof err);
        if (rc == DLZ_ENOMEM) {
            cli_error(NULL, "out of memory");
            return CLI_EXIT_DATA;
        }
        if (rc != DLZ_OK) {
            return cli_usage_error("objects", "--json: %s", err[0] ? err : dlz_strerror(rc));
        }
        return CLI_EXIT_OK;
    }
    default:
        break;
    }
    if (*out == NULL) {
        cli_error(NULL, "out of memory");
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

/* The bytes to store for a put: the raw file, or the encoded value. */
static int put_bytes(const objects_args *a, const char *path, void **bytes, size_t *len) {
    if (a->which == V_RAW_FILE) {
        unsigned char *b = slurp(a->value, len);
        *bytes = b;
        return b != NULL ? CLI_EXIT_OK : CLI_EXIT_DATA;
    }
    dlz_value *v;
    int status = build_value(a, &v);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    char err[256] = "";
    void *enc = NULL;
    int rc = dlz_value_encode(v, &enc, len, err, sizeof err);
    dlz_value_free(v);
    if (rc != DLZ_OK) {
        cli_error(path, "cannot encode the value: %s", err[0] ? err : dlz_strerror(rc));
        return CLI_EXIT_DATA;
    }
    /* Into malloc'ed memory, as a raw file is. */
    *bytes = malloc(*len ? *len : 1);
    if (*bytes != NULL) {
        memcpy(*bytes, enc, *len);
    }
    dlz_free(enc);
    if (*bytes == NULL) {
        cli_error(path, "out of memory");
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

static int objects_put(const objects_args *a, const char *path, const char *key) {
    void *b = NULL;
    size_t n = 0;
    int status = put_bytes(a, path, &b, &n);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    dlz_editor *e = open_editor(path);
    int ok = e != NULL && dlz_editor_put_object_raw(e, key, b, n) == DLZ_OK;
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

/* Scans the options of "objects".  --json is the flag of 'get' unless it has
   a value ("--json=V") or follows the action 'put'. */
static int objects_options(cli_opts *o, objects_args *a) {
    int rc;
    memset(a, 0, sizeof *a);
    while ((rc = cli_opts_next(o)) == CLI_OPT_OPTION) {
        if (cli_opts_is(o, "help") || strcmp(o->arg, "-h") == 0) {
            fputs(cli_objects_usage, stdout);
            return CLI_HELP_SHOWN;
        }
        if (cli_opts_is(o, "force") && o->value == NULL) {
            force = 1;
            continue;
        }
        int w = cli_wait_option(o, "objects", &wait_ms);
        if (w != 0) {
            if (w != 1) {
                return w;
            }
            continue;
        }
        int which = V_COUNT;
        for (int k = 0; k < V_COUNT; k++) {
            if (cli_opts_is(o, value_options[k])) {
                which = k;
            }
        }
        if (which == V_COUNT) {
            return cli_usage_error("objects", "unknown option '%s'", o->arg);
        }
        if (which == V_JSON && o->value == NULL &&
            (o->nargs == 0 || strcmp(o->args[0], "put") != 0)) {
            a->json = 1;
            continue;
        }
        const char *option = o->arg;
        const char *value = cli_opts_value(o);
        if (value == NULL) {
            return cli_usage_error("objects", "option '%s' needs a value", option);
        }
        if (a->nvalues++ > 0) {
            return cli_usage_error(
                "objects", "put takes one value option, not both '%.*s' and '%.*s'",
                (int)strcspn(a->option, "="), a->option, (int)strcspn(option, "="), option);
        }
        a->which = which;
        a->option = option;
        a->value = value;
    }
    return CLI_EXIT_OK;
}

int cli_objects(int argc, char **argv) {
    cli_opts o;
    objects_args a;
    cli_opts_init(&o, argc, argv);
    int rc = objects_options(&o, &a);
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    if (o.nargs < 1) {
        return cli_usage_error("objects", "missing action (ls, get, put or rm)");
    }
    const char *action = o.args[0];
    int put = strcmp(action, "put") == 0;
    int want = strcmp(action, "ls") == 0 ? 2 : 3;
    if (o.nargs != want) {
        return cli_usage_error("objects",
                               o.nargs < want ? "missing argument" : "too many arguments");
    }
    if (a.nvalues > 0 && !put) {
        return cli_usage_error("objects", "'%.*s' belongs to 'put'", (int)strcspn(a.option, "="),
                               a.option);
    }
    if (a.json && strcmp(action, "get") != 0 && strcmp(action, "ls") != 0) {
        return cli_usage_error("objects", put ? "--json needs a value with 'put'"
                                              : "--json belongs to 'ls', 'get' and 'put'");
    }
    if (force && strcmp(action, "rm") != 0) {
        return cli_usage_error("objects", "--force belongs to 'rm'");
    }
    const char *path = o.args[1];
    if (strcmp(action, "ls") == 0) {
        return objects_ls(path, a.json);
    }
    const char *key = o.args[2];
    if (strcmp(action, "get") == 0) {
        return objects_get(path, key, a.json);
    }
    if (put) {
        if (a.nvalues == 0) {
            return cli_usage_error("objects", "put needs one value option (--string, --int, "
                                              "--long, --double, --bool, --bytes-file, --json or "
                                              "--raw-file)");
        }
        return objects_put(&a, path, key);
    }
    if (strcmp(action, "rm") == 0) {
        dlz_editor *e = open_editor(path);
        if (e == NULL) {
            return CLI_EXIT_DATA;
        }
        return removed(e, dlz_editor_remove_object(e, key), path, NULL);
    }
    return cli_usage_error("objects", "unknown action '%s' (ls, get, put or rm)", action);
}
