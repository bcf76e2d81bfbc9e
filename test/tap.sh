# tap.sh - TAP reporting shared by the shell tests (sourced, not run).
# The sourcing script sets $T (its temporary folder) and $DLZ (the dlz binary).
# Skipped checks are reported as skipped, never counted as passes.

n=0
passed=0
failed=0
skipped=0
rc=0

ok() {
    n=$((n + 1))
    passed=$((passed + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do
        echo "#   $line"
    done
    if [ -s "$T/err" ]; then
        sed 's/^/#   stderr: /' "$T/err" | head -n 5
    fi
}

skip() {
    n=$((n + 1))
    skipped=$((skipped + 1))
    echo "ok $n - $1 # SKIP $2"
}

# check DESC COMMAND...: one test that passes when COMMAND succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then
        ok "$desc"
    else
        not_ok "$desc" "failed: $*" "exit status $rc"
    fi
}

# run ARGS...: runs dlz with stdout in $T/out, stderr in $T/err, status in $rc.
run() {
    "$DLZ" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# The plan and the counts; the exit status says whether anything failed.
tap_summary() {
    echo "1..$n"
    echo "# $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
}
