#!/usr/bin/env bash
# DL4J 0.9.1 (the last 0.x release) restores archives that dlz writes with
# legacy JAVACPP array records (`dlz convert --generation javacpp`):
#
#  1. the DL4J 0.5.0-0.8.0 regression archives of the corpus
#     ($DLZ_CORPUS/dl4j/{050,060,071,080}/*.zip), converted with the default
#     compression, --store, --deflate and --no-updater: parameters and updater
#     state must be exactly 1..N (DL4J's regression models), and equal to what
#     0.9.1 restores from the original archive, configuration included;
#  2. small models written by DL4J 0.9.1 itself in a temporary folder (FLOAT:
#     Dense MLN with Nesterovs, CNN MLN with BatchNormalization and Adam, CG
#     with LSTM and RmsProp; DOUBLE: Dense MLN with Adam, CG with GravesLSTM),
#     converted the same ways: every parameter, the updater state and the
#     network outputs must be equal to the values 0.9.1 held in memory.
#
# The unconverted archives are restored too, as a control.
#
#   test_dl4j091.sh DLZ_CLI
#
# Needs Java (17 works) and Maven; the first run resolves DL4J 0.9.1 through
# Maven (about 25 MB, see test/interop/legacy/run.sh).  Exit status: 0 all
# passed, 1 something failed, 77 (skipped) if Java or Maven is missing or DL4J
# 0.9.1 cannot run on this JVM (the reason is printed).
# Environment: DLZ_SOURCE_ROOT, DLZ_CORPUS (default
# $DLZ_SOURCE_ROOT/../shared/corpus), JAVA, MVN, DL4J_OFFLINE=1.
set -u

if [ $# -ne 1 ]; then
  echo "usage: $0 DLZ_CLI" >&2
  exit 2
fi
cli=$1
root=${DLZ_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
corpus=${DLZ_CORPUS:-$root/../shared/corpus}
run="$root/test/interop/legacy/run.sh"

skip() {
  echo "# SKIP: $*"
  exit 77
}

command -v "${JAVA:-java}" >/dev/null 2>&1 || skip "no java found (install openjdk-17-jdk-headless)"
command -v "${MVN:-mvn}" >/dev/null 2>&1 || skip "no mvn found (install maven)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list="$tmp/float.list" dlist="$tmp/double.list"
: >"$list"
: >"$dlist"
conv_pass=0 conv_fail=0

# convert LISTFILE CHECK IN OUTDIR: writes the four converted variants of IN and
# adds one check line per variant (CHECK is "linspace" or "values VALUES").
convert() {
  local lst=$1 check=$2 in=$3 outdir=$4 name variant out info n
  name=$(basename "$in" .zip)
  for variant in default store deflate no-updater; do
    out="$outdir/$name.$variant.zip"
    local opts=(--generation javacpp)
    case $variant in
      store) opts+=(--store) ;;
      deflate) opts+=(--deflate) ;;
      no-updater) opts+=(--no-updater) ;;
    esac
    if ! "$cli" convert "${opts[@]}" "$in" "$out" 2>"$tmp/convert.err"; then
      echo "FAIL $name.$variant.zip dlz convert ${opts[*]}: $(head -c 300 "$tmp/convert.err")"
      conv_fail=$((conv_fail + 1))
      continue
    fi
    # Every array record that dlz wrote must be a legacy JAVACPP record.
    info=$("$cli" info "$out" 2>&1)
    n=$(printf '%s\n' "$info" | grep -cE '^(coefficients|updater): .*, JAVACPP$')
    local want=2
    [ "$variant" = no-updater ] && want=1
    if [ "$n" != "$want" ] || ! printf '%s\n' "$info" | grep -q '^coefficients: '; then
      echo "FAIL $name.$variant.zip dlz info: expected $want JAVACPP array records, found $n"
      conv_fail=$((conv_fail + 1))
      continue
    fi
    conv_pass=$((conv_pass + 1))
    echo "PASS $name.$variant.zip dlz convert ${opts[*]} ($want JAVACPP records)"
    if [ "$check" = linspace ]; then
      printf 'linspace\t%s\n' "$out" >>"$lst"
      [ "$variant" != no-updater ] && printf 'same\t%s\t%s\n' "$in" "$out" >>"$lst"
    else
      printf 'values\t%s\t%s\n' "${check#values }" "$out" >>"$lst"
    fi
  done
}

# 1. Does DL4J 0.9.1 run here at all?  Generating models involves no dlz code,
#    so a failure here is about DL4J 0.9.1 and this JVM, not about dlz.
gen="$tmp/generated"
mkdir -p "$gen"
"$run" Generate "$gen" >"$tmp/generate.log" 2>&1
rc=$?
if [ $rc -eq 3 ]; then
  cat "$tmp/generate.log"
  echo "# 0 passed, 1 failed (Maven could not resolve or build DL4J 0.9.1)"
  exit 1
fi
if [ $rc -ne 0 ]; then
  java_version=$("${JAVA:-java}" -version 2>&1 | head -1)
  grep -v '^SLF4J:' "$tmp/generate.log" | head -60 | sed 's/^/#   /'
  # The innermost cause names the reason (e.g. UnsatisfiedLinkError: no jnind4jcpu).
  reason=$(grep -E '^Caused by: ' "$tmp/generate.log" | tail -1)
  [ -n "$reason" ] || reason=$(grep -m1 -E '(Exception|Error)' "$tmp/generate.log")
  if grep -qE '(UnsatisfiedLinkError|ExceptionInInitializerError|NoClassDefFoundError|ClassNotFoundException|UnsupportedClassVersionError|InaccessibleObjectException|IllegalAccessError|ND4J is probably missing dependencies)' "$tmp/generate.log"; then
    skip "DL4J 0.9.1 cannot run on this JVM ($java_version): ${reason:-exit status $rc}"
  fi
  echo "# 0 passed, 1 failed (DL4J 0.9.1 could not write the test models: ${reason:-exit status $rc})"
  exit 1
fi
DL4J_JAVA_OPTS="${DL4J_JAVA_OPTS:-} -Ddtype=double" "$run" Generate --double "$gen" >>"$tmp/generate.log" 2>&1 || {
  grep -v '^SLF4J:' "$tmp/generate.log" | tail -30
  echo "# 0 passed, 1 failed (DL4J 0.9.1 could not write the DOUBLE models)"
  exit 1
}
grep '^wrote ' "$tmp/generate.log" | sed 's/^/# DL4J 0.9.1 /'

# 2. The corpus archives of DL4J 0.5.0-0.8.0.
mkdir -p "$tmp/corpus"
ncorpus=0
for v in 050 060 071 080; do
  for zip in "$corpus/dl4j/$v"/*.zip; do
    [ -f "$zip" ] || continue
    ncorpus=$((ncorpus + 1))
    printf 'linspace\t%s\n' "$zip" >>"$list"
    convert "$list" linspace "$zip" "$tmp/corpus"
  done
done
if [ $ncorpus -eq 0 ]; then
  echo "# SKIP corpus: no DL4J 0.5.0-0.8.0 archives under $corpus/dl4j (set DLZ_CORPUS)"
else
  echo "# corpus: $ncorpus DL4J 0.5.0-0.8.0 archives from $corpus/dl4j"
fi

# 3. The archives written by DL4J 0.9.1.
mkdir -p "$tmp/converted"
for zip in "$gen"/*.zip; do
  name=$(basename "$zip" .zip)
  lst=$list
  case $name in *-double) lst=$dlist ;; esac
  printf 'values\t%s\t%s\n' "$gen/$name.values" "$zip" >>"$lst"
  convert "$lst" "values $gen/$name.values" "$zip" "$tmp/converted"
done

# 4. Restore everything with DL4J 0.9.1 (FLOAT and DOUBLE need separate JVMs:
#    0.9.1 has one global data type and converts what it reads to it).
total_pass=$conv_pass total_fail=$conv_fail status=0
[ $conv_fail -eq 0 ] || status=1
check() { # label listfile [extra JVM options]
  local log="$tmp/check.log" line p f
  if [ ! -s "$2" ]; then return; fi
  DL4J_JAVA_OPTS="${DL4J_JAVA_OPTS:-} ${3:-}" "$run" Check --list "$2" >"$log" 2>"$log.err" || status=1
  grep -E '^(PASS|FAIL) ' "$log"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "FAIL $1: the DL4J 0.9.1 check did not finish:"
    grep -v '^SLF4J:' "$log.err" | tail -30
    total_fail=$((total_fail + 1)) status=1
    return
  fi
  p=${line%% *} f=$(echo "$line" | awk '{print $3}')
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
  [ "$f" = 0 ] || { status=1; grep -E '^(Exception|Caused by|	at )' "$log.err" | head -20; }
  echo "# DL4J 0.9.1, $1: $line"
}
check "FLOAT archives" "$list"
check "DOUBLE archives (-Ddtype=double)" "$dlist" -Ddtype=double

[ $total_fail -eq 0 ] || status=1
echo "# $total_pass passed, $total_fail failed"
exit $status
