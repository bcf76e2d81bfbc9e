#!/usr/bin/env bash
# Out of memory is an error, never a crash or a lie (TAP).
#
# For each of `info`, `convert`, `objects put`, `objects rm`, `normalizer
# set`, `normalizer rm`, `strip-updater` and `check`, the tool runs once per allocation it makes, with exactly
# that allocation failing (test/oom/failmalloc.c, preloaded; in a sanitizer
# build in front of AddressSanitizer, whose LeakSanitizer checks every run).
# Every run must either succeed with the right result, or fail with exit
# status 1 and a message saying "out of memory"; never crash, leak, exit 2,
# blame the file, change the original or leave a temporary file.
#
#   test_oom.sh DLZ FAILMALLOC_SO FIXTURE_DIR
#
# Leaks that libzip makes inside its own allocation-failure paths (its
# frames allocate and it returns an error without freeing) are counted apart
# and named; any other leak fails.
set -u
DLZ=$1 FM=$2 FIX=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"

src=$FIX/dl4j-1.0.0-M2.1/mln-dense-adam-float-wm-standardize-objects.zip
norm=$FIX/dl4j-1.0.0-M2.1/mln-dense-sgd-float-wm-minmax.zip

preload=$FM
export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:fast_unwind_on_malloc=0:exitcode=99
asan=$(ldd "$DLZ" 2>/dev/null | awk '/libasan/ {print $3; exit}')
if [ -n "$asan" ]; then
  preload="$FM:$asan"
  echo "# under AddressSanitizer and LeakSanitizer ($asan)"
fi

sha() { sha256sum "$1" | cut -d' ' -f1; }

# sweep NAME CHECK CMD...: CMD's words may use @A (the archive, a fresh copy
# of $src each run) and @O (an output path).  CHECK is a function called
# after a successful run.
sweep() {
  local name=$1 check=$2
  shift 2
  cp "$src" "$T/a.zip"
  local words=()
  for w in "$@"; do w=${w//@A/$T/a.zip}; words+=("${w//@O/$T/out.zip}"); done
  local total
  total=$(FAIL_REPORT=1 LD_PRELOAD=$preload "$DLZ" "${words[@]}" 2>&1 >"$T/ref.out" |
    sed -n 's/^failmalloc: \([0-9]*\) allocations$/\1/p')
  if [ -z "$total" ]; then
    not_ok "$name: a run without failures" "$(cat "$T/ref.out")"
    return
  fi
  rm -f "$T/out.zip"
  local before
  before=$(sha "$src")
  local okn=0 oom=0 crash=0 lie=0 leak=0 zipleak=0 usage=0 changed=0 wrong=0 temps=0
  for ((k = 1; k <= total; k++)); do
    cp "$src" "$T/a.zip"
    rm -f "$T/out.zip"
    FAIL_AT=$k LD_PRELOAD=$preload "$DLZ" "${words[@]}" >"$T/out" 2>"$T/err"
    local rc=$? libzip_leak=0
    if grep -q "LeakSanitizer" "$T/err"; then
      # allocated in libzip (the frame right above the allocator) and the
      # run failed: libzip's own failure path
      if [ $rc = 99 ] && grep -q "out of memory" "$T/err" &&
        ! awk '/Direct leak|Indirect leak/ {getline; getline; getline; print}' "$T/err" |
        grep -qv "libzip"; then
        zipleak=$((zipleak + 1)) libzip_leak=1
        rc=1
      else
        leak=$((leak + 1))
        [ $leak -le 2 ] && sed "s/^/# $name FAIL_AT=$k: /" "$T/err" | grep -E "#[0-9]+ " | head -8
        continue
      fi
    fi
    # (a leak report ends with "SUMMARY: AddressSanitizer: ... leaked")
    if [ $rc -ge 128 ] || { [ $libzip_leak = 0 ] && grep -qE "AddressSanitizer|runtime error" "$T/err"; } ||
      grep -qE "ERROR: AddressSanitizer|runtime error" "$T/err"; then
      crash=$((crash + 1))
      [ $crash -le 2 ] && sed "s/^/# $name FAIL_AT=$k: /" "$T/err" | head -5
      continue
    fi
    [ "$(find "$T" -name '.*.dlz-*' | wc -l)" = 0 ] || temps=$((temps + 1))
    if [ $rc = 0 ]; then
      okn=$((okn + 1))
      "$check" || {
        wrong=$((wrong + 1))
        [ $wrong -le 2 ] && echo "# $name FAIL_AT=$k: exit 0 but a wrong result"
      }
    elif [ $rc = 1 ]; then
      if grep -q "out of memory" "$T/err"; then
        oom=$((oom + 1))
      else
        lie=$((lie + 1))
        [ $lie -le 3 ] && echo "# $name FAIL_AT=$k: $(head -1 "$T/err")"
      fi
      [ "$(sha "$T/a.zip")" = "$before" ] || changed=$((changed + 1))
    else
      usage=$((usage + 1))
      [ $usage -le 2 ] && echo "# $name FAIL_AT=$k: exit $rc: $(head -1 "$T/err")"
    fi
  done
  echo "# $name: $total allocations failed one at a time: $okn succeeded, $oom failed with" \
    "\"out of memory\", $lie other messages, $usage exit 2, $crash crashes, $leak leaks" \
    "($zipleak inside libzip), $changed originals changed, $wrong wrong results, $temps runs" \
    "left temporary files"
  if [ $((crash + lie + leak + usage + changed + wrong + temps)) = 0 ]; then
    ok "$name: every one of $total allocation failures is a clean \"out of memory\" or a correct result"
  else
    not_ok "$name under allocation failures" "$crash crashes, $leak leaks, $lie messages blaming the data," \
      "$usage usage errors, $changed originals changed, $wrong wrong results, $temps temporary files"
  fi
}

same_info() { cmp -s "$T/out" "$T/ref.out"; }
converted() { [ -f "$T/out.zip" ] && "$DLZ" info "$T/out.zip" >/dev/null 2>&1; }
has_key() { "$DLZ" objects get --json "$T/a.zip" newkey 2>/dev/null | grep -qx 42; }
has_minmax() { "$DLZ" normalizer show "$T/a.zip" 2>/dev/null | grep -q MIN_MAX; }
no_key() { ! "$DLZ" objects ls "$T/a.zip" 2>/dev/null | grep -qx note; }
no_norm() { "$DLZ" normalizer show "$T/a.zip" 2>/dev/null | grep -qx none; }
checked() { grep -q ': OK$' "$T/out"; }
stripped() { [ -f "$T/out.zip" ] && ! "$DLZ" info "$T/out.zip" 2>/dev/null | grep -q '^updater: *[A-Z]'; }

sweep "info" same_info info @A
sweep "convert" converted convert @A @O
sweep "objects put" has_key objects put @A newkey --int 42
sweep "normalizer set" has_minmax normalizer set @A --from "$norm"
sweep "strip-updater" stripped strip-updater @A @O
sweep "objects rm" no_key objects rm @A note
sweep "normalizer rm" no_norm normalizer rm @A
sweep "check" checked check @A

tap_summary
