#!/usr/bin/env bash
# Run a main class of the interop harness against a real DL4J version.
#
#   test/interop/dl4j.sh VERSION CLASS [ARGS...]
#
# VERSION: 1.0.0-M2.1 (alias m21) or 1.0.0-beta7 (alias beta7)
# CLASS:   Generate | Verify | any class in package dlz.interop (or a fully
#          qualified class name)
#
# The first run for a version resolves DL4J/ND4J through Maven (about 150 MB for
# M2.1, 95 MB for beta7, linux-x86_64 natives only) and compiles the harness
# into test/interop/target/<version>/.  Later runs reuse that build unless a
# source file or the pom changed.  Exits non-zero with a clear message if DL4J
# cannot be resolved or compiled.
#
# Environment: MVN (default "mvn"), JAVA (default "java"), DL4J_JAVA_OPTS
# (extra JVM options), DL4J_OFFLINE=1 to run Maven with -o.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MVN="${MVN:-mvn}"
JAVA="${JAVA:-java}"

if [ $# -lt 2 ]; then
    echo "usage: $0 VERSION CLASS [ARGS...]   (VERSION: 1.0.0-M2.1|m21|1.0.0-beta7|beta7)" >&2
    exit 2
fi

case "$1" in
    1.0.0-M2.1|m21|M2.1) profile=m21; version=1.0.0-M2.1 ;;
    1.0.0-beta7|beta7) profile=beta7; version=1.0.0-beta7 ;;
    *) echo "dl4j.sh: unsupported DL4J version '$1' (use 1.0.0-M2.1 or 1.0.0-beta7)" >&2; exit 2 ;;
esac
cls="$2"
shift 2
case "$cls" in
    *.*) ;;
    *) cls="dlz.interop.$cls" ;;
esac

build="$here/target/$version"
cpfile="$build/classpath.txt"
stamp="$build/.built"
log="$build/build.log"

need_build=0
if [ ! -f "$stamp" ] || [ ! -f "$cpfile" ]; then
    need_build=1
elif [ -n "$(find "$here/pom.xml" "$here/src" -newer "$stamp" -print -quit)" ]; then
    need_build=1
fi

if [ "$need_build" = 1 ]; then
    mkdir -p "$build"
    offline=()
    [ "${DL4J_OFFLINE:-0}" = 1 ] && offline=(-o)
    echo "dl4j.sh: building harness for DL4J $version (log: $log)" >&2
    if ! "$MVN" -q -B "${offline[@]}" -f "$here/pom.xml" -P"$profile" \
            compile dependency:build-classpath -Dmdep.outputFile="$cpfile" >"$log" 2>&1; then
        echo "==================================================================" >&2
        echo "dl4j.sh: ERROR: could not resolve or build DL4J $version with Maven." >&2
        echo "dl4j.sh: last lines of $log:" >&2
        tail -n 30 "$log" >&2 || true
        echo "==================================================================" >&2
        rm -f "$stamp"
        exit 3
    fi
    touch "$stamp"
fi

cp="$build/classes:$(cat "$cpfile")"
# shellcheck disable=SC2086
exec "$JAVA" ${DL4J_JAVA_OPTS:-} -cp "$cp" "$cls" "$@"
