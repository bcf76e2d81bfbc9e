#!/usr/bin/env bash
# Concurrent in-place edits never lose an update (TAP).
#
#  1. 40 parallel `dlz objects put A kI --int I` without --wait: each either
#     succeeds or fails at once saying another process holds the lock; every
#     key whose put succeeded is in the archive (no lost update);
#  2. the same with --wait: all succeed and all 40 keys are there;
#  3. a mix of object puts, normalizer set/rm, strip-updater and a convert in
#     place, all with --wait, at once: every put key is there and the archive
#     is valid;
#  4. no temporary file is left.
# Counts are printed as TAP comments.
set -u
DLZ=${DLZ_CLI:-${DLZ_BUILD_ROOT:-.}/dlz}
ROOT=${DLZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"

src=$ROOT/fixtures/dl4j-1.0.0-M2.1/mln-dense-adam-float-wm-standardize-objects.zip
N=40

keys_of() { "$DLZ" objects ls "$1" | sort; }
temp_files() { find "$T" -name '.*.dlz-*' | wc -l; }

# parallel_puts ARCHIVE PREFIX [OPTIONS...]: starts N puts at once; results
# in $T/PREFIX.I.rc and $T/PREFIX.I.err.
parallel_puts() {
  local a=$1 p=$2
  shift 2
  for i in $(seq 1 $N); do
    ("$DLZ" objects put "$@" "$a" "$p$i" --int "$i" 2>"$T/$p.$i.err"; echo $? >"$T/$p.$i.rc") &
  done
  wait
}

# 1. without --wait
cp "$src" "$T/a.zip"
parallel_puts "$T/a.zip" k
ok_n=0 busy_n=0 other_n=0 lost=0
keys_of "$T/a.zip" >"$T/a.keys"
for i in $(seq 1 $N); do
  rc=$(cat "$T/k.$i.rc")
  if [ "$rc" = 0 ]; then
    ok_n=$((ok_n + 1))
    grep -qx "k$i" "$T/a.keys" || lost=$((lost + 1))
  elif [ "$rc" = 1 ] && grep -q "is being changed by another process" "$T/k.$i.err"; then
    busy_n=$((busy_n + 1))
    grep -qx "k$i" "$T/a.keys" && other_n=$((other_n + 1)) # a failed put must not appear
  else
    other_n=$((other_n + 1))
    sed "s/^/# k$i: /" "$T/k.$i.err"
  fi
done
echo "# without --wait: $ok_n succeeded, $busy_n refused (lock held), $other_n other outcomes, $lost lost updates"
if [ "$lost" = 0 ] && [ "$other_n" = 0 ] && [ "$ok_n" -ge 1 ] && [ $((ok_n + busy_n)) = $N ]; then
  ok "$N parallel puts without --wait: every success kept, every refusal clear ($ok_n kept, $busy_n refused)"
else
  not_ok "$N parallel puts without --wait" "$ok_n ok, $busy_n busy, $other_n other, $lost lost"
fi
valid() { "$DLZ" info "$1" >/dev/null 2>"$T/err"; }
check "the archive is valid after the parallel puts" valid "$T/a.zip"

# 2. with --wait
cp "$src" "$T/b.zip"
parallel_puts "$T/b.zip" w --wait=120
keys_of "$T/b.zip" >"$T/b.keys"
ok_n=0 lost=0
for i in $(seq 1 $N); do
  [ "$(cat "$T/w.$i.rc")" = 0 ] && ok_n=$((ok_n + 1))
  grep -qx "w$i" "$T/b.keys" || lost=$((lost + 1))
done
echo "# with --wait: $ok_n of $N succeeded, $lost lost updates"
if [ "$ok_n" = $N ] && [ "$lost" = 0 ]; then
  ok "$N parallel puts with --wait: all succeed, all $N keys present"
else
  not_ok "$N parallel puts with --wait" "$ok_n succeeded, $lost keys missing"
fi
# the fixture's own objects survived too
if grep -qx note "$T/b.keys" && grep -qx labels "$T/b.keys"; then
  ok "the archive's own objects survived the parallel puts"
else
  not_ok "the archive's own objects survived the parallel puts" "$(tr '\n' ' ' <"$T/b.keys")"
fi

# 3. a mix of every editing command, with --wait
cp "$src" "$T/c.zip"
for i in $(seq 1 20); do
  ("$DLZ" objects put --wait=120 "$T/c.zip" "m$i" --string "v$i" 2>"$T/m.$i.err"; echo $? >"$T/m.$i.rc") &
  case $((i % 5)) in
    0) ("$DLZ" normalizer set --wait=120 "$T/c.zip" --from "$src" 2>>"$T/mix.err"; echo $? >>"$T/mix.rc") & ;;
    1) ("$DLZ" strip-updater --force --wait=120 "$T/c.zip" 2>>"$T/mix.err"; echo $? >>"$T/mix.rc") & ;;
    2) ("$DLZ" convert --wait=120 "$T/c.zip" "$T/c.zip" 2>>"$T/mix.err"; echo $? >>"$T/mix.rc") & ;;
    *) ;;
  esac
done
wait
keys_of "$T/c.zip" >"$T/c.keys"
lost=0 failed=0
for i in $(seq 1 20); do
  [ "$(cat "$T/m.$i.rc")" = 0 ] || failed=$((failed + 1))
  grep -qx "m$i" "$T/c.keys" || lost=$((lost + 1))
done
others_failed=$(grep -vcx 0 "$T/mix.rc")
echo "# mixed edits: 20 puts ($failed failed, $lost lost), $(wc -l <"$T/mix.rc") other edits ($others_failed failed)"
if [ "$failed" = 0 ] && [ "$lost" = 0 ] && [ "$others_failed" = 0 ]; then
  ok "puts, normalizer set, strip-updater and convert in place at once: nothing lost"
else
  not_ok "mixed concurrent edits" "$failed puts failed, $lost keys lost, $others_failed other edits failed" \
    "$(head -3 "$T/mix.err" | tr '\n' ' ')"
fi
check "the archive is valid after the mixed edits" valid "$T/c.zip"

# 4. no temporary file left behind
left=$(temp_files)
if [ "$left" = 0 ]; then ok "no temporary file left"; else not_ok "no temporary file left" "$left left"; fi

tap_summary
