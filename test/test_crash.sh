#!/usr/bin/env bash
# Kills (SIGKILL) a process in the middle of each kind of archive edit at
# random moments and checks that the file is always either the complete old
# or the complete new archive, byte for byte.
set -u
tool=$1
per_kind=${2:-45}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tool" make "$tmp/base.zip" || { echo "cannot make the base archive"; exit 1; }
kinds="normalizer object object-rm strip updater"
total=0 old=0 new=0 bad=0 orphans=0
RANDOM=20261123
for kind in $kinds; do
  cp "$tmp/base.zip" "$tmp/new-$kind.zip"
  t0=$(date +%s%N)
  "$tool" "$kind" "$tmp/new-$kind.zip" || { echo "edit $kind failed"; exit 1; }
  t1=$(date +%s%N)
  span_us=$(( (t1 - t0) / 1000 ))
  [ "$span_us" -lt 1000 ] && span_us=1000
  for ((i = 0; i < per_kind; i++)); do
    rm -f "$tmp"/work/* "$tmp"/work/.??* 2>/dev/null
    mkdir -p "$tmp/work"
    cp "$tmp/base.zip" "$tmp/work/model.zip"
    # a moment anywhere in the edit's run time (a little past it, too)
    delay_us=$(( (RANDOM * 32768 + RANDOM) % (span_us * 11 / 10) ))
    "$tool" "$kind" "$tmp/work/model.zip" 2>/dev/null &
    pid=$!
    sleep "$(printf '0.%06d' "$delay_us")"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    total=$((total + 1))
    if cmp -s "$tmp/work/model.zip" "$tmp/base.zip"; then
      old=$((old + 1))
    elif cmp -s "$tmp/work/model.zip" "$tmp/new-$kind.zip"; then
      new=$((new + 1))
    else
      bad=$((bad + 1))
      echo "not ok - $kind killed after ${delay_us}us: the file is neither the old nor the new archive"
    fi
    n=$(ls -A "$tmp/work" | wc -l)
    [ "$n" -gt 1 ] && orphans=$((orphans + 1))
  done
  echo "ok - $kind: edit takes ~${span_us}us"
done
echo "# $total kills: $old left the old archive, $new the new one, $bad neither;" \
     "$orphans left a temporary file behind (expected after SIGKILL)"
if [ "$bad" -ne 0 ] || [ "$total" -lt 200 ] || [ "$old" -eq 0 ] || [ "$new" -eq 0 ]; then
  echo "FAILED"
  exit 1
fi
echo "$total passed, $bad failed"
