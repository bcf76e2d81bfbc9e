/* dlz.c - entry point of the dlz tool: command dispatch, --help, --version,
 * and the helpers the subcommands share (messages, option scanning).
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char main_usage[] =
    "Usage: dlz [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "Inspects and rewrites Deeplearning4j model archives (ModelSerializer zip\n"
    "files) and bare ND4J array files.\n"
    "\n"
    "Commands:\n"
    "  info           show what archives, array files or normalizer.bin files hold\n"
    "  check          verify that DL4J can restore an archive (CRCs, records...)\n"
    "  cat            write one entry of an archive, uncompressed, to stdout\n"
    "  convert        rewrite an archive (record format, data type, compression)\n"
    "  normalizer     show, set or remove the normalizer (in place, atomically)\n"
    "  objects        list, read, put or remove objects/<key> entries (in place)\n"
    "  strip-updater  remove the optimizer state (in place or to a new file)\n"
    "  params         list the named parameters (LAYER/KEY, shape...) or print one\n"
    "  export         write the parameters (safetensors, .npz) or the network (ONNX)\n"
    "  help           show the usage of a command\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help and exit\n"
    "  --version      show the version of dlz and libdlz and exit\n"
    "\n"
    "Examples:\n"
    "  dlz info model.zip\n"
    "  dlz check model.zip\n"
    "  dlz convert model.zip copy.zip\n"
    "  dlz export model.zip weights.safetensors\n"
    "\n"
    "Run 'dlz COMMAND --help' for the options of a command.\n"
    "Exit status: 0 success, 1 bad data or I/O error, 2 bad usage.\n";

/* ---- messages ----------------------------------------------------------- */

/* Writes text to stderr with line breaks and other control characters
   shown as spaces, so that a message is always one line. */
static void put_one_line(FILE *fp, const char *s) {
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c < 0x20 || c == 0x7f ? ' ' : c, fp);
    }
}

void cli_print_line(FILE *fp, const char *file, const char *text) {
    put_one_line(fp, file);
    fputs(": ", fp);
    put_one_line(fp, text);
    fputc('\n', fp);
}

int cli_refuse_terminal(const char *what) {
    if (!isatty(STDOUT_FILENO)) {
        return 0;
    }
    cli_error("<stdout>", "refusing to write %s to a terminal (redirect or pipe it)", what);
    return CLI_EXIT_USAGE;
}

static void vmessage(const char *prefix, const char *fmt, va_list ap) CLI_PRINTF(2, 0);

static void vmessage(const char *prefix, const char *fmt, va_list ap) {
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    fputs("dlz: ", stderr);
    if (prefix != NULL) {
        put_one_line(stderr, prefix);
        fputs(": ", stderr);
    }
    put_one_line(stderr, buf);
    fputc('\n', stderr);
}

void cli_error(const char *file, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(file, fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (cmd == NULL) {
        cli_error(NULL, "%s; see 'dlz --help'", buf);
    } else {
        cli_error(cmd, "%s; see 'dlz %s --help'", buf, cmd);
    }
    return CLI_EXIT_USAGE;
}

const char *cli_input_name(const char *path) {
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

const char *cli_output_name(const char *path) {
    return strcmp(path, "-") == 0 ? "<stdout>" : path;
}

int cli_finish_stdout(int status) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("<stdout>", "write error: %s", strerror(errno));
        return CLI_EXIT_DATA;
    }
    return status;
}

/* ---- options ------------------------------------------------------------- */

void cli_opts_init(cli_opts *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->argc = argc;
    o->argv = argv;
    o->i = 1; /* argv[0] is the command */
    /* Positional arguments are packed at the front of argv[1..]: the write
       position never passes the read position. */
    o->args = argv + 1;
}

int cli_opts_next(cli_opts *o) {
    while (o->i < o->argc) {
        char *a = o->argv[o->i++];
        if (o->only_args || a[0] != '-' || a[1] == '\0') {
            o->args[o->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            o->only_args = 1;
            continue;
        }
        o->arg = a;
        if (a[1] != '-') {
            /* Short options: only -h. */
            o->name = a + 1;
            o->name_len = strlen(a + 1);
            o->value = NULL;
            return CLI_OPT_OPTION;
        }
        o->name = a + 2;
        const char *eq = strchr(o->name, '=');
        o->name_len = eq != NULL ? (size_t)(eq - o->name) : strlen(o->name);
        o->value = eq != NULL ? eq + 1 : NULL;
        return CLI_OPT_OPTION;
    }
    return CLI_OPT_DONE;
}

int cli_opts_is(const cli_opts *o, const char *name) {
    size_t n = strlen(name);
    return o->arg != NULL && o->arg[1] == '-' && o->name_len == n && memcmp(o->name, name, n) == 0;
}

const char *cli_opts_value(cli_opts *o) {
    if (o->value != NULL) {
        return o->value;
    }
    if (o->i < o->argc) {
        return o->argv[o->i++];
    }
    return NULL;
}

int cli_wait_option(const cli_opts *o, const char *cmd, int64_t *ms) {
    if (!cli_opts_is(o, "wait")) {
        return 0;
    }
    if (o->value == NULL) {
        *ms = -1;
        return 1;
    }
    int64_t secs;
    if (cli_parse_int64(o->value, 0, INT64_MAX / 1000, &secs) != 0) {
        return cli_usage_error(cmd, "--wait=%s is not a whole number of seconds", o->value);
    }
    *ms = secs * 1000;
    return 1;
}

int cli_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out) {
    if (s == NULL || *s == '\0') {
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

dlz_reader *cli_open_reader(const char *path) {
    dlz_reader *r = dlz_reader_new();
    if (r == NULL) {
        cli_error(cli_input_name(path), "out of memory");
        return NULL;
    }
    int rc;
    if (strcmp(path, "-") == 0) {
        rc = dlz_reader_open_FILE(r, stdin, DLZ_KEEP_OPEN);
    } else {
        rc = dlz_reader_open_path(r, path);
    }
    if (rc != DLZ_OK) {
        cli_error(cli_input_name(path), "%s", dlz_reader_errmsg(r));
        dlz_reader_free(r);
        return NULL;
    }
    return r;
}

/* ---- dispatch ------------------------------------------------------------ */

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} command;

static const command commands[] = {
    {"info", cli_info, cli_info_usage},
    {"convert", cli_convert, cli_convert_usage},
    {"normalizer", cli_normalizer, cli_normalizer_usage},
    {"objects", cli_objects, cli_objects_usage},
    {"strip-updater", cli_strip_updater, cli_strip_usage},
    {"params", cli_params, cli_params_usage},
    {"export", cli_export, cli_export_usage},
    {"check", cli_check, cli_check_usage},
    {"cat", cli_cat, cli_cat_usage},
};

static const command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static int print_version(void) {
    printf("dlz %s (libdlz %s)\n", DLZ_VERSION_STRING, dlz_version());
    return cli_finish_stdout(CLI_EXIT_OK);
}

static const char help_usage[] =
    "Usage: dlz help [COMMAND]\n"
    "\n"
    "Shows the usage of COMMAND (the same text as 'dlz COMMAND --help'), or\n"
    "without COMMAND the list of commands.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help and exit\n"
    "\n"
    "Examples:\n"
    "  dlz help convert\n";

/* dlz help [COMMAND] */
static int run_help(int argc, char **argv) {
    if (argc > 2) {
        return cli_usage_error("help", "too many arguments");
    }
    if (argc == 1) {
        fputs(main_usage, stdout);
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(help_usage, stdout);
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    if (argv[1][0] == '-') {
        return cli_usage_error("help", "unknown option '%s'", argv[1]);
    }
    const command *c = find_command(argv[1]);
    if (c == NULL) {
        return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
    }
    fputs(c->usage, stdout);
    return cli_finish_stdout(CLI_EXIT_OK);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        return cli_usage_error(NULL, "no command given");
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        fputs(main_usage, stdout);
        return cli_finish_stdout(CLI_EXIT_OK);
    }
    if (strcmp(first, "--version") == 0) {
        return print_version();
    }
    if (strcmp(first, "help") == 0) {
        return run_help(argc - 1, argv + 1);
    }
    if (first[0] == '-') {
        return cli_usage_error(NULL, "unknown option '%s'", first);
    }
    const command *c = find_command(first);
    if (c == NULL) {
        return cli_usage_error(NULL, "unknown command '%s'", first);
    }
    int status = c->run(argc - 1, argv + 1);
    return status == CLI_HELP_SHOWN ? cli_finish_stdout(CLI_EXIT_OK) : status;
}
