#!/usr/bin/env bash
# Benchmarks libdlz against DL4J 1.0.0-M2.1 on the same archive, in one run.
#
#   test/bench/run.sh [SIZE]
#
# SIZE: about how many FLOAT parameters the model has (default 25000000,
# i.e. ~100 MB of coefficients plus ~200 MB of Adam updater state).
#
# 1. builds dlz_bench (meson, buildtype=release) in $BENCH_DIR/build;
# 2. runs dlz.interop.Bench under DL4J 1.0.0-M2.1 (test/interop/dl4j.sh): it
#    creates the model, writes $BENCH_DIR/model.zip with
#    ModelSerializer.writeModel(net, file, true) and times DL4J's restores,
#    array decoding and writeModel;
# 3. runs dlz_bench on the same archive;
# 4. checks that both sides decoded the same bits and prints a table of
#    seconds, ratios (DL4J / dlz), throughput, peak RSS and archive sizes.
#
# Environment: BENCH_DIR (default ${TMPDIR:-/tmp}/dlz-bench; needs ~4x the
# archive size free), RUNS (timed runs per restore, default 5), SAVE_RUNS
# (timed runs per save, default 3), WARMUP (untimed JVM warm-up runs per
# restore, default 2), DL4J_JAVA_OPTS (passed to the JVM), MVN / JAVA (see
# test/interop/dl4j.sh).  Raw outputs stay in $BENCH_DIR (dl4j.txt, dlz.txt).
# This is a benchmark, not a test: it is not registered with meson test.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
size="${1:-25000000}"
case "$size" in
    '' | *[!0-9]*) echo "usage: $0 [SIZE]   (SIZE: number of parameters, default 25000000)" >&2; exit 2 ;;
esac
dir="${BENCH_DIR:-${TMPDIR:-/tmp}/dlz-bench}"
runs="${RUNS:-5}"
save_runs="${SAVE_RUNS:-3}"
warmup="${WARMUP:-2}"
bdir="$dir/build"
mkdir -p "$dir"

echo "== building dlz_bench (release) in $bdir" >&2
if [ ! -f "$bdir/build.ninja" ]; then
    meson setup "$bdir" "$root" -Dbuildtype=release -Dbench=true -Dtests=disabled >"$dir/meson-setup.log" 2>&1 || {
        tail -n 30 "$dir/meson-setup.log" >&2
        exit 1
    }
fi
ninja -C "$bdir" dlz_bench >"$dir/ninja.log" 2>&1 || {
    tail -n 30 "$dir/ninja.log" >&2
    exit 1
}

# Noise check: CPU time that other processes used during each phase (all
# busy CPU time minus this script's and its children's).
hz="$(getconf CLK_TCK 2>/dev/null || echo 100)"
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat 2>/dev/null || echo 0; }
own() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$$/stat" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
other() { awk -v b0="$1" -v b1="$3" -v o0="$2" -v o1="$4" -v hz="$hz" 'BEGIN { v = ((b1 - b0) - (o1 - o0)) / hz; printf "%.1f", v < 0 ? 0 : v }'; }
load_start="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
b0="$(busy)"; o0="$(own)"; t0="$(now)"
echo "== DL4J 1.0.0-M2.1: creating a model of ~$size parameters and timing (log: $dir/dl4j.err)" >&2
rm -f "$dir/model.zip" "$dir/dl4j_out.zip" "$dir/dlz_out.zip"
if ! "$root/test/interop/dl4j.sh" 1.0.0-M2.1 dlz.interop.Bench "$dir/model.zip" "$dir/dl4j_out.zip" \
        "$size" "$runs" "$save_runs" "$warmup" >"$dir/dl4j.txt" 2>"$dir/dl4j.err"; then
    echo "run.sh: the DL4J side failed; last lines of $dir/dl4j.err:" >&2
    tail -n 30 "$dir/dl4j.err" >&2
    exit 1
fi

b1="$(busy)"; o1="$(own)"; t1="$(now)"
echo "== dlz: timing on the same archive" >&2
"$bdir/dlz_bench" "$dir/model.zip" "$dir/dlz_out.zip" "$runs" "$save_runs" >"$dir/dlz.txt"

b2="$(busy)"; o2="$(own)"; t2="$(now)"

for key in params updater_state checksum_coefficients checksum_updater; do
    j="$(awk -v k="$key" '$1 == k { print $2 }' "$dir/dl4j.txt")"
    c="$(awk -v k="$key" '$1 == k { print $2 }' "$dir/dlz.txt")"
    if [ -z "$j" ] || [ "$j" != "$c" ]; then
        echo "run.sh: DL4J and dlz disagree on $key: '$j' vs '$c'" >&2
        exit 1
    fi
done

cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
mem="$(free -g 2>/dev/null | awk '/^Mem:/ { print $2 " GiB" }')"
printf '%s, %s CPUs (%s), %s RAM, %s, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
    "${cpu:-unknown CPU}" "${mem:-? GiB}" "$(uname -sr)" "$(java -version 2>&1 | head -n 1)"
printf 'runs: best of %s (restores, after %s JVM warm-up runs) / %s (saves, after 1 JVM warm-up run)\n' \
    "$runs" "$warmup" "$save_runs"
printf 'other processes: 1-minute load %s at the start; %s CPU-s during the DL4J phase (%.0f s), %s CPU-s during the dlz phase (%.0f s)\n\n' \
    "$load_start" "$(other "$b0" "$o0" "$b1" "$o1")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    "$(other "$b1" "$o1" "$b2" "$o2")" "$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')"
if awk -v x="$(other "$b0" "$o0" "$b2" "$o2")" -v a="$t0" -v b="$t2" 'BEGIN { exit !(x > 0.1 * (b - a)) }'; then
    printf 'WARNING: other processes were busy during the run; the numbers are skewed, rerun on an idle machine\n\n'
fi

awk '
FNR == 1 { side = (FILENAME ~ /dl4j\.txt$/) ? "j" : "c" }
/^#/ { next }
side == "j" && NF >= 2 { J[$1] = $2; JR[$1] = $3 }
side == "c" && NF >= 2 { C[$1] = $2; CR[$1] = (NF >= 4 ? $4 : "") }
function mib(b) { return b / 1048576 }
function rss(k) { return (k == "" || k < 0) ? "-" : sprintf("%.0f", k / 1024) }
function row(label, jk, ck, bytes,   js, cs) {
    js = (jk != "" && (jk in J)) ? J[jk] : ""
    cs = C[ck]
    printf "| %-44s | %8s | %8s | %8s | %10s | %9s | %8s | %8s |\n", label,
        js == "" ? "-" : sprintf("%.3f", js), sprintf("%.3f", cs),
        js == "" ? "-" : sprintf("%.2f", js / cs),
        js == "" ? "-" : sprintf("%.0f", mib(bytes) / js), sprintf("%.0f", mib(bytes) / cs),
        js == "" ? "-" : rss(JR[jk]), rss(CR[ck])
}
END {
    p = C["params"]; u = C["updater_state"]
    cb = p * 4; ab = (p + u) * 4
    printf "model: %d FLOAT parameters (%.1f MiB), Adam state %d values (%.1f MiB)\n\n", p, mib(cb), u, mib(u * 4)
    printf "| %-44s | %8s | %8s | %8s | %10s | %9s | %8s | %8s |\n", "operation (DL4J side vs dlz side)", "DL4J s", "dlz s", "DL4J/dlz", "DL4J MiB/s", "dlz MiB/s", "DL4J RSS", "dlz RSS"
    printf "|%s|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------------------------------", "---------:", "---------:", "---------:", "-----------:", "----------:", "---------:", "---------:"
    row("restore, no updater: full restoreMLN", "dl4j_restore_no_updater", "restore_no_updater", cb)
    row("restore, no updater: array decode only", "dl4j_decode_no_updater", "restore_no_updater", cb)
    row("restore + updater: full restoreMLN", "dl4j_restore_with_updater", "restore_with_updater", ab)
    row("restore + updater: array decode only", "dl4j_decode_with_updater", "restore_with_updater", ab)
    row("save + updater, deflate 6, no fsync", "dl4j_write_with_updater", "save_deflate6_nosync", ab)
    row("save + updater, deflate 6, dlz durable path", "dl4j_write_with_updater", "save_deflate6", ab)
    row("save + updater, deflate 1, no fsync", "", "save_deflate1_nosync", ab)
    row("save + updater, deflate 1, durable path", "", "save_deflate1", ab)
    row("save + updater, store, no fsync", "", "save_store_nosync", ab)
    row("save + updater, store, durable path", "", "save_store", ab)
    printf "\nMiB/s: decoded or encoded array MiB (coefficients, plus the updater state where\n"
    printf "included) per second.  RSS: peak resident MiB of the process during the runs.\n\n"
    printf "archive sizes (with updater state):\n"
    printf "  DL4J writeModel (deflate 6):  %12d bytes\n", J["archive_bytes"]
    printf "  dlz deflate 6:                %12d bytes\n", C["size_deflate6"]
    printf "  dlz deflate 1 (dlz default):  %12d bytes\n", C["size_deflate1"]
    printf "  dlz store:                    %12d bytes\n", C["size_store"]
}
' "$dir/dl4j.txt" "$dir/dlz.txt"
