#!/usr/bin/env bash
# Run a main class of the DL4J 0.9.1 check against real DL4J 0.9.1.
#
#   test/interop/legacy/run.sh CLASS [ARGS...]
#
# CLASS: Check | Generate (package dlz.legacy) or a fully qualified class name.
#
# The first run resolves deeplearning4j-nn 0.9.1 and nd4j-native 0.9.1 (with
# its linux-x86_64 natives, JavaCPP 1.3.3 and OpenBLAS 0.2.19-1.3) through
# Maven, about 25 MB, and compiles the sources into target/.  Later runs
# reuse that build unless pom.xml or src/ changed.  If Maven fails, it prints
# the end of target/build.log and exits with status 3.
#
# Environment: MVN (default "mvn"), JAVA (default: $JAVA_HOME/bin/java if set,
# else "java"), DL4J_JAVA_OPTS (extra JVM options), DL4J_OFFLINE=1 to run Maven
# with -o.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MVN="${MVN:-mvn}"
if [ -z "${JAVA:-}" ]; then
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
fi

if [ $# -lt 1 ]; then
    echo "usage: $0 CLASS [ARGS...]   (CLASS: Check | Generate)" >&2
    exit 2
fi
cls="$1"
shift
case "$cls" in
    *.*) ;;
    *) cls="dlz.legacy.$cls" ;;
esac

build="$here/target"
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
    echo "run.sh: building the DL4J 0.9.1 check (log: $log)" >&2
    if ! "$MVN" -q -B "${offline[@]}" -f "$here/pom.xml" \
            compile dependency:build-classpath -Dmdep.outputFile="$cpfile" >"$log" 2>&1; then
        echo "==================================================================" >&2
        echo "run.sh: ERROR: could not resolve or build DL4J 0.9.1 with Maven." >&2
        echo "run.sh: last lines of $log:" >&2
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
