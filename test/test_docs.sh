#!/usr/bin/env bash
# test_docs.sh - the manual pages and the bash completion agree with the code.
#
# Environment:
#   DLZ_CLI          the dlz binary (default: $DLZ_BUILD_ROOT/dlz)
#   DLZ_SOURCE_ROOT  the source tree
#   CC               C compiler for the libdlz(3) examples (default: cc)
#
# Everything is taken from the code, so that the checks keep working when
# commands and options change:
#   - dlz(1): every command that 'dlz --help' lists has a subsection under
#     COMMANDS (and every subsection there is a command); every long option
#     that 'dlz CMD --help' prints, and every action of normalizer and
#     objects, appears in the rendered text of that subsection; the options
#     used in EXAMPLES exist;
#   - every page renders without a warning (groff -ww; mandoc -Tlint when it
#     is installed), cross-references (.Xr, .Sx) resolve;
#   - the bash completion offers the commands, every option of each
#     command's --help, the actions, the values that --help lists
#     (--generation=mixed|javacpp ...), file names and object keys;
#   - every "dlz-format(5), section X" cited in the sources is a section of
#     dlz-format(5);
#   - libdlz(3) names only what dlz.h declares, has a subsection for every
#     handle, lists every status code and reader limit, and its examples
#     compile.
# Output is TAP; checks that need a missing tool are reported as skipped.

set -u

DLZ=${DLZ_CLI:-${DLZ_BUILD_ROOT:-.}/dlz}
SRC=${DLZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
MAN1=$SRC/src/cli/dlz.1
MAN3=$SRC/src/libdlz.3
MAN5=$SRC/src/dlz-format.5
COMPLETION=$SRC/src/cli/dlz.bash-completion
HEADER=$SRC/include/dlz.h
# dlz.h includes the version header generated in the build tree.
VERSION_HEADER=${DLZ_BUILD_ROOT:-.}/include/dlz_version.h

if [ ! -x "$DLZ" ]; then
    echo "Bail out! dlz binary not found (set DLZ_CLI): $DLZ"
    exit 1
fi
for f in "$MAN1" "$MAN3" "$MAN5" "$COMPLETION" "$HEADER"; do
    if [ ! -f "$f" ]; then
        echo "Bail out! missing $f"
        exit 1
    fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/dlz-docs-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C

# ok, not_ok, skip, check, run, tap_summary
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

have() {
    command -v "$1" >/dev/null 2>&1
}

# ---- what the tool says about itself --------------------------------------

if ! "$DLZ" --help >"$T/main-help" 2>"$T/err"; then
    echo "Bail out! 'dlz --help' failed"
    exit 1
fi
# "Commands:" block: "  NAME  description"
COMMANDS=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' \
    "$T/main-help")
if [ -z "$COMMANDS" ]; then
    echo "Bail out! no commands found in 'dlz --help'"
    exit 1
fi

long_options() {
    grep -oE -- '--[a-z][a-z0-9-]*' "$1" | sort -u
}

# The usage text of a command in $T/help-CMD; 1 if there is none.
command_help() {
    local cmd=$1
    if "$DLZ" "$cmd" --help >"$T/help-$cmd" 2>"$T/err"; then
        return 0
    fi
    "$DLZ" help "$cmd" >"$T/help-$cmd" 2>"$T/err"
}

# Actions of a command: "Usage: dlz CMD ACTION ..." and "       dlz CMD ACTION ..."
# (not the examples, which are indented by two spaces).
actions_of() {
    sed -nE "s/^(Usage: |       )dlz $1 ([a-z][a-z-]*)( .*)?$/\\2/p" "$T/help-$1" | sort -u
}

# Value lists that a usage text gives: "--name=a|b" or "--name a|b".
value_lists() {
    grep -oE -- '--[a-z][a-z0-9-]*[= ][a-z0-9]+(\|[a-z0-9]+)+' "$1" | sort -u |
        awk '{ o = $0; sub(/[= ].*/, "", o) } !seen[o]++'
}

# ---- dlz(1) ---------------------------------------------------------------

# Subsections of the COMMANDS section.
man_sections() {
    awk '/^\.Sh / { on = ($0 ~ /^\.Sh "?COMMANDS"?$/); next }
         on && /^\.Ss / { s = substr($0, 5); gsub(/"/, "", s); print s }' "$MAN1"
}

# The roff source of subsection $1 of COMMANDS, with the page's prologue, so
# that it renders on its own.
man_fragment() {
    awk '/^\.Os/ { print; exit } { print }' "$MAN1"
    echo '.Sh COMMANDS'
    awk -v name="$1" '
        /^\.Sh / { in_cmds = ($0 ~ /^\.Sh "?COMMANDS"?$/); on = 0; next }
        in_cmds && /^\.Ss / { s = substr($0, 5); gsub(/"/, "", s); on = (s == name) }
        on { print }' "$MAN1"
}

# Plain text of roff source on stdin, one long line (no wrapping, no
# hyphenation, runs of blanks squeezed).
render_text() {
    groff -mdoc -Tascii -P-cbou -rLL=4000n 2>/dev/null | tr '\n' ' ' | tr -s ' '
    echo
}

# 0 if the text file $1 has the option $2 as a whole word.
has_option() {
    grep -qE -- "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)" "$1"
}

GROFF=
have groff && GROFF=groff

documented=$(man_sections)
for cmd in $COMMANDS; do
    if printf '%s\n' "$documented" | grep -qxF -- "$cmd"; then
        ok "dlz.1: command '$cmd' has a subsection under COMMANDS"
    else
        not_ok "dlz.1: command '$cmd' has a subsection under COMMANDS" \
            "'dlz --help' lists '$cmd'; add '.Ss $cmd' under '.Sh COMMANDS' in src/cli/dlz.1"
    fi
done
while IFS= read -r s; do
    [ -n "$s" ] || continue
    if printf '%s\n' $COMMANDS | grep -qxF -- "$s"; then
        ok "dlz.1: subsection '$s' is a command of 'dlz --help'"
    else
        not_ok "dlz.1: subsection '$s' is a command of 'dlz --help'" \
            "src/cli/dlz.1 documents '$s', which 'dlz --help' does not list"
    fi
done <<<"$documented"

if [ -n "$GROFF" ]; then
    render_text <"$MAN1" >"$T/man1.txt"
    for opt in $(long_options "$T/main-help"); do
        if has_option "$T/man1.txt" "$opt"; then
            ok "dlz.1: option '$opt' of 'dlz --help' is documented"
        else
            not_ok "dlz.1: option '$opt' of 'dlz --help' is documented"
        fi
    done
fi

HELPED=
for cmd in $COMMANDS; do
    if command_help "$cmd"; then
        HELPED="$HELPED $cmd"
    else
        if [ "$cmd" = help ]; then
            # "dlz help" takes a COMMAND, not options; its usage is the list.
            ok "dlz.1: 'help' has no options of its own to document"
        else
            not_ok "dlz $cmd --help prints its usage"
        fi
        continue
    fi
    : >"$T/err"
    if [ -z "$GROFF" ]; then
        skip "dlz.1: options and actions of '$cmd' are documented" "groff is not installed"
        continue
    fi
    man_fragment "$cmd" | render_text >"$T/man1-$cmd.txt"
    for opt in $(long_options "$T/help-$cmd"); do
        if has_option "$T/man1-$cmd.txt" "$opt"; then
            ok "dlz.1: '$cmd' documents '$opt'"
        else
            not_ok "dlz.1: '$cmd' documents '$opt'" \
                "'dlz $cmd --help' prints '$opt', the subsection '$cmd' of src/cli/dlz.1 does not"
        fi
    done
    for action in $(actions_of "$cmd"); do
        if grep -qF -- "$cmd $action" "$T/man1-$cmd.txt"; then
            ok "dlz.1: '$cmd' documents the action '$action'"
        else
            not_ok "dlz.1: '$cmd' documents the action '$action'" \
                "no 'dlz $cmd $action' in the subsection '$cmd' of src/cli/dlz.1"
        fi
    done
done

for section in NAME SYNOPSIS DESCRIPTION COMMANDS ENVIRONMENT FILES 'EXIT STATUS' EXAMPLES \
    'SEE ALSO'; do
    if grep -qxE "\\.Sh \"?$section\"?" "$MAN1"; then
        ok "dlz.1: has the section $section"
    else
        not_ok "dlz.1: has the section $section"
    fi
done

# The examples use existing commands and options.
sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$MAN1" | grep -oE '(^|[|;] *|\$ +)dlz [a-z-]+[^|;]*' |
    sed -E 's/^[^d]*//' >"$T/examples" || true
if [ ! -s "$T/examples" ]; then
    not_ok "dlz.1: EXAMPLES show dlz commands" "no '\$ dlz COMMAND' line found"
fi
while IFS= read -r line; do
    cmd=$(printf '%s\n' "$line" | awk '{ print $2 }')
    bad=
    if ! printf '%s\n' $COMMANDS | grep -qxF -- "$cmd"; then
        bad="unknown command '$cmd'"
    elif printf '%s\n' $HELPED | grep -qxF -- "$cmd"; then
        for opt in $(printf '%s\n' "$line" | grep -oE -- '--[a-z][a-z0-9-]*'); do
            has_option "$T/help-$cmd" "$opt" || bad="$bad '$opt' is not an option of $cmd"
        done
    fi
    if [ -z "$bad" ]; then
        ok "dlz.1: example '$line'"
    else
        not_ok "dlz.1: example '$line'" "$bad"
    fi
done <"$T/examples"

# ---- every page --------------------------------------------------------------

for page in "$MAN1" "$MAN3" "$MAN5"; do
    name=${page##*/}
    macros=-man
    grep -q '^\.Dd' "$page" && macros=-mdoc
    if [ -z "$GROFF" ]; then
        skip "$name renders without warnings" "groff is not installed"
    else
        for dev in utf8 ascii; do
            groff "$macros" -T"$dev" -ww -z "$page" >"$T/err" 2>&1
            status=$?
            if [ "$status" -eq 0 ] && [ ! -s "$T/err" ]; then
                ok "$name renders without warnings (groff $macros -T$dev -ww)"
            else
                not_ok "$name renders without warnings (groff $macros -T$dev -ww)" \
                    "exit status $status"
            fi
        done
    fi
    : >"$T/err"
    if have mandoc; then
        if mandoc -Tlint -W warning "$page" >"$T/lint" 2>&1; then
            ok "$name passes mandoc -Tlint"
        else
            not_ok "$name passes mandoc -Tlint" "$(head -n 5 "$T/lint")"
        fi
    else
        skip "$name passes mandoc -Tlint" "mandoc is not installed"
    fi

    # .Xr to this project's pages name pages that exist.
    for xr in $(sed -nE 's/^\.Xr (dlz|libdlz|dlz-format) ([0-9]).*/\1.\2/p' "$page" | sort -u); do
        case $xr in
        dlz.1) target=$MAN1 ;;
        libdlz.3) target=$MAN3 ;;
        dlz-format.5) target=$MAN5 ;;
        *) target= ;;
        esac
        if [ -n "$target" ]; then
            ok "$name: reference $xr exists"
        else
            not_ok "$name: reference $xr exists" "no page $xr in the tree"
        fi
    done

    # .Sx names a section or subsection of the same page.
    headings=$(sed -nE 's/^\.S[hs] "?([^"]*)"?$/\1/p' "$page")
    grep -oE '(^\.| )Sx [^"]*' "$page" |
        awk '{ out = ""; for (i = 2; i <= NF; i++) { if ($i ~ /^[[:punct:]]+$/ || $i ~ /^(Ta|Ns|No|Pf|Pq|Ql|Sx)$/) break; out = out (out == "" ? "" : " ") $i } print out }' |
        sort -u >"$T/sx"
    while IFS= read -r sx; do
        [ -n "$sx" ] || continue
        if printf '%s\n' "$headings" | grep -qxF -- "$sx"; then
            ok "$name: cross-reference '$sx' resolves"
        else
            not_ok "$name: cross-reference '$sx' resolves" "no .Sh or .Ss '$sx' in $name"
        fi
    done <"$T/sx"
done

# ---- bash completion ---------------------------------------------------------

# Completions for the words given (the last one is being completed), one a
# line, with the completion sourced in a fresh subshell.
complete_words() {
    (
        # shellcheck disable=SC1090
        . "$COMPLETION" || exit 1
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMPREPLY=()
        _dlz 2>/dev/null
        printf '%s\n' "${COMPREPLY[@]}"
    )
}

# check_offers DESC WORD... :: EXPECTED...: the completion of the words offers
# every expected string (a trailing '=' on an offered option is ignored).
check_offers() {
    local desc=$1
    shift
    local words=()
    while [ "$1" != :: ]; do
        words+=("$1")
        shift
    done
    shift
    complete_words "${words[@]}" | sed 's/=$//' >"$T/offered"
    local missing=
    for want in "$@"; do
        grep -qxF -- "$want" "$T/offered" || missing="$missing $want"
    done
    if [ -z "$missing" ]; then
        ok "completion: $desc"
    else
        not_ok "completion: $desc" "missing:$missing" "offered: $(tr '\n' ' ' <"$T/offered")"
    fi
}

if ! bash -n "$COMPLETION" 2>"$T/err"; then
    not_ok "completion: the script is valid bash"
else
    ok "completion: the script is valid bash"
    : >"$T/err"
    # shellcheck disable=SC2086
    check_offers "commands and global options" dlz '' :: $COMMANDS \
        $(long_options "$T/main-help")
    for cmd in $HELPED; do
        acts=$(actions_of "$cmd")
        if [ -n "$acts" ]; then
            # shellcheck disable=SC2086
            check_offers "actions of $cmd" dlz "$cmd" '' :: $acts
            # Each option belongs to some action: offered by at least one.
            : >"$T/union"
            for action in $acts; do
                complete_words dlz "$cmd" "$action" -- | sed 's/=$//' >>"$T/union"
            done
            missing=
            for opt in $(long_options "$T/help-$cmd"); do
                grep -qxF -- "$opt" "$T/union" || missing="$missing $opt"
            done
            if [ -z "$missing" ]; then
                ok "completion: options of $cmd ($(echo $acts | tr ' ' '/'))"
            else
                not_ok "completion: options of $cmd" "missing:$missing"
            fi
        else
            # shellcheck disable=SC2046
            check_offers "options of $cmd" dlz "$cmd" -- :: $(long_options "$T/help-$cmd")
        fi
        # Values that the usage text lists, with "=" and with a space.
        while IFS= read -r spec; do
            opt=$(printf '%s\n' "$spec" | sed -E 's/[= ].*//')
            values=$(printf '%s\n' "$spec" | sed -E 's/^[^= ]*[= ]//' | tr '|' ' ')
            action=
            for a in $acts; do
                if complete_words dlz "$cmd" "$a" -- | sed 's/=$//' | grep -qxF -- "$opt"; then
                    action=$a
                    break
                fi
            done
            # shellcheck disable=SC2086
            check_offers "values of $cmd $opt" dlz "$cmd" $action "$opt" '' :: $values
            # shellcheck disable=SC2086
            check_offers "values of $cmd $opt=" dlz "$cmd" $action "$opt" = '' :: $values
        done < <(value_lists "$T/help-$cmd")
    done
    mkdir -p "$T/files" && : >"$T/files/model-a.zip" && : >"$T/files/model-b.zip"
    check_offers "file names" dlz info "$T/files/model-" :: "$T/files/model-a.zip" \
        "$T/files/model-b.zip"
    objects=$SRC/fixtures/dl4j-1.0.0-M2.1/mln-dense-sgd-float-objects.zip
    if [ -f "$objects" ]; then
        check_offers "object keys of the archive" "$DLZ" objects get "$objects" '' :: \
            $("$DLZ" objects ls "$objects")
        check_offers "parameter names of the archive" "$DLZ" params "$objects" '' :: 0/W 0/b 1/W 1/b
    else
        not_ok "completion: object keys of the archive" "fixture missing: $objects"
    fi
fi

# ---- dlz-format(5) sections cited by the sources --------------------------------

grep -ohE 'dlz-format\(5\), section [A-Z][A-Z0-9 /-]*[A-Z0-9]' "$SRC"/src/*.c "$SRC"/src/*.h \
    "$SRC"/src/cli/*.c "$SRC"/src/cli/*.h "$HEADER" 2>/dev/null |
    sed 's/.*, section //' | sort -u >"$T/cited"
if [ ! -s "$T/cited" ]; then
    not_ok "dlz-format.5: the sources cite its sections" "no 'dlz-format(5), section X' found"
fi
while IFS= read -r section; do
    if grep -qxE "\\.S[hs] \"?$section\"?" "$MAN5"; then
        ok "dlz-format.5: cited section '$section' exists"
    else
        not_ok "dlz-format.5: cited section '$section' exists" \
            "cited by: $(grep -lF "section $section" "$SRC"/src/*.c "$SRC"/src/cli/*.c | tr '\n' ' ')"
    fi
done <"$T/cited"

# ---- libdlz(3) against dlz.h ------------------------------------------------------

# Every dlz_ / DLZ_ name (a trailing '_' or '*' makes it a prefix) is declared.
grep -v '^\.\\"' "$MAN3" | grep -oE '(^|[^A-Za-z0-9_])(dlz|DLZ)_[A-Za-z0-9_]*\*?' |
    sed -E 's/^[^dD]//' | sort -u >"$T/names"
missing=
while IFS= read -r nm; do
    case $nm in
    *\* | *_)
        p=${nm%\*}
        cat "$HEADER" "$VERSION_HEADER" | grep -qE "(^|[^A-Za-z0-9_])$p[A-Za-z0-9_]+" ||
            missing="$missing $nm"
        ;;
    *)
        cat "$HEADER" "$VERSION_HEADER" | grep -qE "(^|[^A-Za-z0-9_])$nm([^A-Za-z0-9_]|\$)" ||
            missing="$missing $nm"
        ;;
    esac
done <"$T/names"
if [ -z "$missing" ]; then
    ok "libdlz.3: the $(wc -l <"$T/names") dlz_/DLZ_ names it uses are declared in dlz.h"
else
    not_ok "libdlz.3: every dlz_/DLZ_ name it uses is declared in dlz.h" "not in dlz.h:$missing"
fi

for handle in $(sed -nE 's/^typedef struct (dlz_[a-z_]+) \1;$/\1/p' "$HEADER"); do
    if grep -qE "^\\.Ss \"?$handle( |\"|\$)" "$MAN3"; then
        ok "libdlz.3: handle $handle has a subsection"
    else
        not_ok "libdlz.3: handle $handle has a subsection" "add '.Ss $handle ...' under HANDLES"
    fi
done

errors=$(sed -n '/^\.Sh ERRORS/,/^\.Sh /p' "$MAN3")
for code in $(sed -nE 's/^ *(DLZ_E[A-Z]+) = -[0-9]+,?$/\1/p' "$HEADER"); do
    if printf '%s\n' "$errors" | grep -qE "^\\.It Dv $code\$"; then
        ok "libdlz.3: status code $code is listed under ERRORS"
    else
        not_ok "libdlz.3: status code $code is listed under ERRORS"
    fi
done
for limit in $(sed -nE 's/^ *(DLZ_LIMIT_[A-Z_]+) = [0-9]+,?$/\1/p' "$HEADER"); do
    if grep -qE "Dv $limit( |\$)" "$MAN3"; then
        ok "libdlz.3: limit $limit is listed"
    else
        not_ok "libdlz.3: limit $limit is listed"
    fi
done

CC=${CC:-cc}
sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$MAN3" |
    awk -v dir="$T" '/^\.Bd -literal/ { n++; on = 1; next } /^\.Ed/ { on = 0; next }
        on { gsub(/\\e/, "\\"); gsub(/\\&/, ""); print > (dir "/example" n ".c") }'
examples=$(ls "$T"/example*.c 2>/dev/null)
if [ -z "$examples" ]; then
    not_ok "libdlz.3: has examples"
elif ! have "$CC"; then
    skip "libdlz.3: the examples compile" "no C compiler ($CC)"
else
    for ex in $examples; do
        if "$CC" -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$SRC/include" -I"$(dirname "$VERSION_HEADER")" "$ex" \
            2>"$T/err"; then
            ok "libdlz.3: example ${ex##*/} compiles"
        else
            not_ok "libdlz.3: example ${ex##*/} compiles"
        fi
        : >"$T/err"
    done
fi

tap_summary
