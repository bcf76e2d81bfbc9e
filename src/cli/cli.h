/* cli.h - shared declarations of the dlz command-line tool (not installed).
 *
 * The tool is a client of the public API only: it includes dlz.h, jansson
 * for JSON output and the C library, never the library's internal header.
 */
#ifndef DLZ_CLI_H
#define DLZ_CLI_H

#include <dlz.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses. */
enum {
    CLI_EXIT_OK = 0,    /* success */
    CLI_EXIT_DATA = 1,  /* bad data, I/O error */
    CLI_EXIT_USAGE = 2, /* unknown command or option, missing argument */
    /* Internal: an option parser saw --help and printed the usage. */
    CLI_HELP_SHOWN = -1
};

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Subcommands: argv[0] is the command name; return an exit status. */
int cli_info(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_strip_updater(int argc, char **argv);
int cli_normalizer(int argc, char **argv);
int cli_objects(int argc, char **argv);
int cli_params(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_cat(int argc, char **argv);

/* Usage texts, printed by "--help" and "dlz help CMD". */
extern const char cli_info_usage[];
extern const char cli_convert_usage[];
extern const char cli_strip_usage[];
extern const char cli_normalizer_usage[];
extern const char cli_objects_usage[];
extern const char cli_params_usage[];
extern const char cli_export_usage[];
extern const char cli_check_usage[];
extern const char cli_cat_usage[];

/* Prints "dlz: <file>: <problem>" (without "<file>: " when @p file is NULL)
   as one line on stderr.  Line breaks inside
   the problem are replaced so that every error stays on one line. */
void cli_error(const char *file, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Prints "<file>: <text>" as one line on @p fp (a report line, not an
   error: no "dlz: " prefix). */
void cli_print_line(FILE *fp, const char *file, const char *text);

/* When standard output is a terminal, prints "refusing to write <what> to a
   terminal" and returns CLI_EXIT_USAGE; else returns 0. */
int cli_refuse_terminal(const char *what);

/* Prints "dlz: <cmd>: <problem>; see 'dlz <cmd> --help'" (or "dlz: <problem>;
   see 'dlz --help'" when @p cmd is NULL) on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Name to show in messages for a path argument: "-" becomes <stdin> or
   <stdout>. */
const char *cli_input_name(const char *path);
const char *cli_output_name(const char *path);

/*
 * A small option scanner shared by the subcommands.  Accepts "--name",
 * "--name=value" and "--name value" (for options that take a value),
 * "-h", "--" (end of options) and "-" as an ordinary argument.
 *
 *   cli_opts o;
 *   cli_opts_init(&o, argc, argv);
 *   while ((rc = cli_opts_next(&o)) == CLI_OPT_OPTION) { ...o.name, o.value... }
 *   if (rc == CLI_OPT_DONE) positional arguments are o.args[0 .. o.nargs-1]
 */
typedef struct cli_opts {
    int argc;
    char **argv;
    int i;             /* next argv index */
    int only_args;     /* "--" was seen */
    const char *arg;   /* the current option as written, for messages */
    const char *name;  /* option name without leading dashes */
    size_t name_len;   /* its length (the name is not NUL-terminated) */
    const char *value; /* "=value" part, or NULL */
    char **args;       /* positional arguments, collected in argv order */
    int nargs;
} cli_opts;

enum { CLI_OPT_DONE = 0, CLI_OPT_OPTION = 1 };

void cli_opts_init(cli_opts *o, int argc, char **argv);
int cli_opts_next(cli_opts *o);
/* 1 if the current option is --<name>. */
int cli_opts_is(const cli_opts *o, const char *name);
/* The option's value: "=value", else the next argument; NULL if missing. */
const char *cli_opts_value(cli_opts *o);

/* Parses a whole decimal integer in [min, max]; 0 on success, -1 if not. */
int cli_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* --wait (as long as it takes: -1) or --wait=SECONDS, for commands that
   change a file in place: 1 and *ms set when the current option is --wait,
   0 when it is another option, CLI_EXIT_USAGE (after a message) for a bad
   value. */
int cli_wait_option(const cli_opts *o, const char *cmd, int64_t *ms);

/* Opens @p path ("-" = standard input) with a new reader; on failure prints
   the error, frees the reader and returns NULL. */
dlz_reader *cli_open_reader(const char *path);

/* Prints a normalizer, given as the JSON text of dlz_normalizer_to_json(), on
   stdout as aligned "name: value" lines ("type", "class", then its fields;
   arrays as data type, shape and their first values; nested objects
   indented).  Returns 0, or -1 if the text is not a JSON object. */
int cli_print_normalizer(const char *json, size_t len);

/* Parses JSON text the library rendered (dlz_normalizer_to_json(),
   dlz_value_to_json()) into a jansson tree, through dlz_value_from_json()
   (jansson's own parser misbehaves when memory runs out); NULL on failure.
   The result is a json_t * (cli.h does not include jansson.h). */
struct json_t;
struct json_t *cli_json_parse(const char *text, size_t len);

/* Flushes stdout; prints an error and returns CLI_EXIT_DATA on failure. */
int cli_finish_stdout(int status);

/* JSON output shared by info and params (jansson's json_t).  The object of
   one parameter: name, layer, layer_index, key, layer_type, shape, order,
   offset, length, updater, state_count [, assumed]; NULL when out of memory. */
struct json_t;
struct json_t *cli_param_json(const dlz_param_info *pi, int with_assumed);
/* A JSON string of text from a file (invalid UTF-8 shown with '?'). */
struct json_t *cli_text_json(const char *s);

#endif /* DLZ_CLI_H */
