#!/usr/bin/env bash
# The in-place editing commands: strip-updater, normalizer, objects; decoded
# normalizers and objects checked against the fixtures' expected.json (values
# there are big-endian hex, decoded here with struct) and typed objects
# against the bytes the JDK's ObjectOutputStream writes.
set -u
dlz=$DLZ_CLI
fx="$DLZ_SOURCE_ROOT/fixtures/dl4j-1.0.0-M2.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
t() { # description, then a command that must succeed
  local d=$1; shift
  n=$((n + 1))
  if "$@" > "$tmp/out" 2> "$tmp/err"; then echo "ok $n - $d"
  else echo "not ok $n - $d"; sed 's/^/# /' "$tmp/err" | head -3; failed=$((failed + 1)); fi
}
fails() { # description, expected exit status, command
  local d=$1 want=$2; shift 2
  n=$((n + 1))
  "$@" > "$tmp/out" 2> "$tmp/err"
  local got=$?
  if [ "$got" = "$want" ] && [ "$(wc -l < "$tmp/err")" = 1 ]; then echo "ok $n - $d"
  else echo "not ok $n - $d (exit $got, want $want)"; sed 's/^/# /' "$tmp/err" | head -3; failed=$((failed + 1)); fi
}
entries() { python3 -c 'import sys, zipfile; print(",".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
entry() { python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2"; }

m="$tmp/m.zip"
cp "$fx/mln-dense-adam-float.zip" "$m"
orig=$(sha256sum < "$m")

t "strip-updater to OUT" "$dlz" strip-updater "$m" "$tmp/s.zip"
t "OUT has no updaterState.bin" test "$(entries "$tmp/s.zip")" = "configuration.json,coefficients.bin"
t "FILE untouched by strip-updater FILE OUT" test "$(sha256sum < "$m")" = "$orig"
t "coefficients copied byte for byte" cmp <(entry "$m" coefficients.bin) <(entry "$tmp/s.zip" coefficients.bin)
cp "$m" "$tmp/m2.zip"
t "strip-updater in place" "$dlz" strip-updater "$tmp/m2.zip"
t "in place: no updaterState.bin" test "$(entries "$tmp/m2.zip")" = "configuration.json,coefficients.bin"
fails "strip-updater without an updater: nothing to remove" 1 "$dlz" strip-updater "$tmp/m2.zip"
before=$(sha256sum < "$tmp/m2.zip")
t "strip-updater --force without an updater: exit 0" "$dlz" strip-updater --force "$tmp/m2.zip"
t "... and the file is left as it was" test "$(sha256sum < "$tmp/m2.zip")" = "$before"
t "strip-updater --force without an updater to OUT writes OUT" "$dlz" strip-updater --force "$tmp/m2.zip" "$tmp/m3.zip"
t "... with the same entries" test "$(entries "$tmp/m3.zip")" = "configuration.json,coefficients.bin"

t "normalizer show: none" test "$("$dlz" normalizer show "$m")" = none
t "normalizer set from a stream" "$dlz" normalizer set "$m" --from "$fx/normalizer-standardize.bin"
t "normalizer.bin equals the stream" cmp <(entry "$m" normalizer.bin) "$fx/normalizer-standardize.bin"
t "normalizer show: STANDARDIZE" test "$("$dlz" normalizer show "$m" | head -n 1)" = "type:      STANDARDIZE"
t "normalizer set from an archive replaces it" "$dlz" normalizer set "$m" --from "$fx/mln-dense-sgd-float-wm-minmax.zip"
t "normalizer.bin equals the archive's" cmp <(entry "$m" normalizer.bin) <(entry "$fx/mln-dense-sgd-float-wm-minmax.zip" normalizer.bin)
t "entry order after set" test "$(entries "$m")" = "configuration.json,coefficients.bin,updaterState.bin,normalizer.bin"
t "normalizer rm" "$dlz" normalizer rm "$m"
fails "normalizer rm again: not found" 1 "$dlz" normalizer rm "$m"
before=$(sha256sum < "$m")
t "normalizer rm --force again: exit 0" "$dlz" normalizer rm --force "$m"
t "... and the file is left as it was" test "$(sha256sum < "$m")" = "$before"
fails "normalizer --force belongs to rm" 2 "$dlz" normalizer show --force "$m"
fails "normalizer set from an archive without one" 1 "$dlz" normalizer set "$m" --from "$fx/mln-dense-sgd-float.zip"
fails "normalizer set without --from" 2 "$dlz" normalizer set "$m"
fails "normalizer unknown action" 2 "$dlz" normalizer frob "$m"

printf '\xac\xed\x00\x05t\x00\x02hi' > "$tmp/str.ser"
t "objects put" "$dlz" objects put "$m" "a/b" --raw-file "$tmp/str.ser"
t "objects put second key" "$dlz" objects put "$m" "c" --raw-file "$tmp/str.ser"
t "objects ls" test "$("$dlz" objects ls "$m" | tr '\n' ,)" = "a/b,c,"
t "objects get (raw bytes)" cmp <("$dlz" objects get "$m" a/b) "$tmp/str.ser"
printf '\xac\xed\x00\x05t\x00\x03bye' > "$tmp/str2.ser"
t "objects put replaces a key" "$dlz" objects put "$m" "a/b" --raw-file "$tmp/str2.ser"
t "replaced in place" test "$("$dlz" objects ls "$m" | tr '\n' ,)" = "a/b,c,"
t "replaced value" cmp <("$dlz" objects get "$m" a/b) "$tmp/str2.ser"
t "objects rm" "$dlz" objects rm "$m" a/b
t "after rm" test "$("$dlz" objects ls "$m" | tr '\n' ,)" = "c,"
fails "objects rm missing key" 1 "$dlz" objects rm "$m" a/b
before=$(sha256sum < "$m")
t "objects rm --force missing key: exit 0" "$dlz" objects rm --force "$m" a/b
t "... and the file is left as it was" test "$(sha256sum < "$m")" = "$before"
fails "objects --force belongs to rm" 2 "$dlz" objects get --force "$m" a/b
fails "objects get missing key" 1 "$dlz" objects get "$m" nope
fails "objects put bad key" 1 "$dlz" objects put "$m" "../x" --raw-file "$tmp/str.ser"
fails "objects put without --raw-file" 2 "$dlz" objects put "$m" k
fails "objects on a bare array" 1 "$dlz" objects put "$fx/../dl4j-1.0.0-M2.1/normalizer-minmax.bin" k --raw-file "$tmp/str.ser"
t "the archive still reads" "$dlz" info "$m"

# A failing edit leaves the file byte for byte and no temporary file.
cp "$fx/mln-dense-adam-float.zip" "$tmp/d/" 2>/dev/null || { mkdir "$tmp/d"; cp "$fx/mln-dense-adam-float.zip" "$tmp/d/"; }
python3 - "$tmp/d/mln-dense-adam-float.zip" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"updaterState.bin") + len("updaterState.bin") + 40  # inside its data
b[i] ^= 0xff
open(p, "wb").write(b)
PY
before=$(sha256sum < "$tmp/d/mln-dense-adam-float.zip")
fails "edit of a damaged archive fails" 1 "$dlz" objects put "$tmp/d/mln-dense-adam-float.zip" k --raw-file "$tmp/str.ser"
t "damaged archive untouched" test "$(sha256sum < "$tmp/d/mln-dense-adam-float.zip")" = "$before"
t "no temporary file left" test "$(ls -A "$tmp/d" | wc -l)" = 1

# ---- decoded normalizers and objects ------------------------------------------

cat > "$tmp/chk.py" <<'PY'
"""Checks for test_cli_edit.sh: dlz's JSON against the fixtures' expected.json
(values there are big-endian hex, decoded here with struct)."""
import json, math, struct, sys

FMT = {"FLOAT": ">f", "DOUBLE": ">d", "HALF": ">e"}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=lambda pairs: pairs)


def as_dict(node):
    """dlz objects were loaded as (key, value) pair lists."""
    return dict(node) if isinstance(node, list) else node


def num(v):
    """A number from dlz's JSON ("NaN", "Infinity", "-Infinity" included)."""
    return float(v) if isinstance(v, str) else v


def same_bits(got, bits_hex, fmt):
    want = bytes.fromhex(bits_hex)
    try:
        g = struct.pack(fmt, num(got))
    except (TypeError, ValueError, OverflowError):
        return False
    (w,) = struct.unpack(fmt, want)
    return g == want or (math.isnan(w) and math.isnan(num(got)))


def cmp_array(where, got, want):
    got = as_dict(got)
    if not isinstance(got, dict):
        return ["%s: dlz %r, expected an array" % (where, got)]
    errs = []
    if got.get("dtype") != want["dtype"]:
        errs.append("%s.dtype: dlz %r, expected %r" % (where, got.get("dtype"), want["dtype"]))
    if got.get("shape") != want["shape"]:
        errs.append("%s.shape: dlz %r, expected %r" % (where, got.get("shape"), want["shape"]))
    fmt = FMT[want["dtype"]]
    size = struct.calcsize(fmt)
    raw = bytes.fromhex(want["values_hex"])
    vals = got.get("values") or []
    if len(vals) != want["length"] or len(raw) != size * want["length"]:
        return errs + ["%s: %d values, expected %d" % (where, len(vals), want["length"])]
    for i, v in enumerate(vals):
        if not same_bits(v, raw[i * size:(i + 1) * size].hex(), fmt):
            errs.append("%s.values[%d]: dlz %r, expected %r"
                        % (where, i, v, struct.unpack_from(fmt, raw, i * size)[0]))
    return errs


def cmp_norm(where, got, want):
    """Every field of the expected normalizer is in dlz's, with equal values."""
    if isinstance(want, dict) and "values_hex" in want:
        return cmp_array(where, got, want)
    if isinstance(want, dict) and "bits" in want and "value" in want:
        ok = isinstance(num(got), float) or isinstance(got, int)
        return [] if ok and same_bits(got, want["bits"], ">d") else [
            "%s: dlz %r, expected %r" % (where, got, want["value"])]
    if isinstance(want, dict):
        got = as_dict(got)
        if not isinstance(got, dict):
            return ["%s: dlz %r, expected an object" % (where, got)]
        errs = []
        for k, v in want.items():
            gk = "javaClass" if k == "java_class" else k
            if gk not in got:
                if v is not None:
                    errs.append("%s.%s: missing in dlz's output" % (where, gk))
                continue
            errs += cmp_norm("%s.%s" % (where, gk), got[gk], v)
        return errs
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return ["%s: dlz %r, expected %d items" % (where, got, len(want))]
        return [e for i, (g, w) in enumerate(zip(got, want))
                for e in cmp_norm("%s[%d]" % (where, i), g, w)]
    return [] if got == want else ["%s: dlz %r, expected %r" % (where, got, want)]


def plain(node):
    """An expected.json value ({"class", "value" | "hex" | "entries", "bits"})
    as dlz_value_to_json() renders it, floats as ("f" | "d", bits)."""
    if node is None:
        return None
    c = node["class"]
    if c in ("java.lang.Float", "java.lang.Double"):
        return ("f" if c == "java.lang.Float" else "d", node["bits"])
    if c in ("[F", "[D"):
        return [("f" if c == "[F" else "d", b) for b in node["bits"]]
    if c == "[B":
        return list(struct.unpack(">%db" % (len(node["hex"]) // 2), bytes.fromhex(node["hex"])))
    if c in ("java.lang.Long", "java.lang.Integer", "java.lang.Short", "java.lang.Byte"):
        return int(node["value"])
    if c in ("[J", "[I", "[S"):
        return [int(v) for v in node["value"]]
    if "entries" in node:
        pairs = [[plain(k), plain(v)] for k, v in node["entries"]]
        if all(isinstance(k, str) for k, _ in pairs):
            return [(k, v) for k, v in pairs]  # a JSON object, as pairs
        return pairs
    v = node["value"]
    if isinstance(v, list):
        return [plain(x) if isinstance(x, dict) or x is None else x for x in v]
    return v


def cmp_value(where, got, want):
    if isinstance(want, tuple) and len(want) == 2 and want[0] in ("f", "d"):
        fmt = ">f" if want[0] == "f" else ">d"
        ok = isinstance(got, (int, float, str)) and not isinstance(got, bool)
        return [] if ok and same_bits(got, want[1], fmt) else [
            "%s: dlz %r, expected bits %s" % (where, got, want[1])]
    if isinstance(want, tuple):  # (key, value) of an object
        return cmp_value(where, list(got) if isinstance(got, tuple) else got, list(want))
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return ["%s: dlz %r, expected %r" % (where, got, want)]
        return [e for i, (g, w) in enumerate(zip(got, want))
                for e in cmp_value("%s[%d]" % (where, i), g, w)]
    if type(got) is not type(want) or got != want:
        return ["%s: dlz %r, expected %r" % (where, got, want)]
    return []


def main():
    cmd = sys.argv[1]
    if cmd == "norm":  # EXPECTED.json DLZ.json
        want = json.load(open(sys.argv[2]))["normalizer"]
        got = json.load(open(sys.argv[3]))
        errs = cmp_norm("normalizer", got, want)
        if got.get("type") != want["type"]:
            errs.insert(0, "type: dlz %r, expected %r" % (got.get("type"), want["type"]))
    elif cmd == "obj":  # EXPECTED.json KEY DLZ.json
        want = json.load(open(sys.argv[2]))["objects"][sys.argv[3]]["value"]
        got = load(sys.argv[4])
        errs = cmp_value(sys.argv[3], got, plain(want))
    elif cmd == "same":  # DLZ.json JSON: equal values
        got = load(sys.argv[2])
        want = json.loads(sys.argv[3], object_pairs_hook=lambda pairs: pairs)
        errs = [] if got == want else ["dlz %r, expected %r" % (got, want)]
    else:
        raise SystemExit("unknown check " + cmd)
    for e in errs[:10]:
        print(e, file=sys.stderr)
    sys.exit(1 if errs else 0)


main()
PY
chk() { python3 "$tmp/chk.py" "$@"; }
fixtures="$DLZ_SOURCE_ROOT/fixtures"

# normalizer show --json FILE EXPECTED: type, fields and every value.
norm_ok() { "$dlz" normalizer show --json "$1" > "$tmp/n.json" && chk norm "$2" "$tmp/n.json"; }
# normalizer show FILE TYPE: the text starts with the type.
norm_text_ok() { test "$("$dlz" normalizer show "$1" | head -n 1 | tr -s ' ')" = "type: $2"; }
for f in "$fixtures"/*/*.zip "$fixtures"/*/normalizer-*.bin; do
  e=${f%.*}.expected.json
  type=$(python3 -c 'import json, sys; n = json.load(open(sys.argv[1])).get("normalizer"); print(n["type"] if n else "")' "$e" 2>/dev/null)
  [ -n "$type" ] || continue
  name=${f#"$fixtures"/}
  src=$f
  if [ "${f##*.}" = bin ]; then
    cp "$fx/mln-dense-sgd-float.zip" "$tmp/n.zip"
    t "normalizer set --from $name" "$dlz" normalizer set "$tmp/n.zip" --from "$f"
    src=$tmp/n.zip
    t "normalizer show --json on the stream $name itself" cmp <("$dlz" normalizer show --json "$f") <("$dlz" normalizer show --json "$src")
  fi
  t "normalizer show --json $name: $type, fields and values as expected.json" norm_ok "$src" "$e"
  t "normalizer show $name: text names $type" norm_text_ok "$src" "$type"
done

# CUSTOM and Java-serialized normalizers name their class.
printf '\x00\x0aNORMALIZER\x00\x00\x00\x01\x00\x06CUSTOM\x00\x16com.example.MyStrategy\x01\x02\x03' > "$tmp/custom.bin"
printf '\xac\xed\x00\x05sr\x00\x1ccom.example.LegacyNormalizer\x00\x00\x00\x00\x00\x00\x00\x01\x02\x00\x00xp' > "$tmp/javaser.bin"
cp "$fx/mln-dense-sgd-float.zip" "$tmp/c.zip"
t "normalizer set CUSTOM" "$dlz" normalizer set "$tmp/c.zip" --from "$tmp/custom.bin"
t "normalizer show --json CUSTOM: class and body length" chk same <("$dlz" normalizer show --json "$tmp/c.zip") \
  '{"type": "CUSTOM", "javaClass": "com.example.MyStrategy", "bodyLength": 3}'
t "normalizer show CUSTOM (text)" test "$("$dlz" normalizer show "$tmp/c.zip" | tr -s ' ' | tr '\n' ,)" = \
  "type: CUSTOM,class: com.example.MyStrategy,bodyLength: 3,"
t "normalizer set JAVA_SERIALIZED" "$dlz" normalizer set "$tmp/c.zip" --from "$tmp/javaser.bin"
t "normalizer show --json JAVA_SERIALIZED: its class" chk same <("$dlz" normalizer show --json "$tmp/c.zip") \
  '{"type": "JAVA_SERIALIZED", "javaClass": "com.example.LegacyNormalizer"}'
t "normalizer show JAVA_SERIALIZED (text)" test "$("$dlz" normalizer show "$tmp/c.zip" | tr -s ' ' | tr '\n' ,)" = \
  "type: JAVA_SERIALIZED,class: com.example.LegacyNormalizer,"
t "normalizer show --json without a normalizer: null" test "$("$dlz" normalizer show --json "$fx/mln-dense-sgd-float.zip")" = null
printf '\x00\x0aNORMALIZER\x00\x00\x00\x01\x00\x0bSTANDARDIZE\x00' > "$tmp/cut.bin"
cp "$fx/mln-dense-sgd-float.zip" "$tmp/c.zip"
t "normalizer set a truncated stream (stored as it is)" "$dlz" normalizer set "$tmp/c.zip" --from "$tmp/cut.bin"
fails "normalizer show of a truncated normalizer: one line" 1 "$dlz" normalizer show "$tmp/c.zip"
fails "normalizer show --json of a truncated stream: one line" 1 "$dlz" normalizer show --json "$tmp/cut.bin"

# objects get --json against expected.json, for every object of the fixtures.
obj_ok() { "$dlz" objects get --json "$1" "$2" > "$tmp/o.json" && chk obj "$3" "$2" "$tmp/o.json"; }
for f in "$fixtures"/*/*objects*.zip; do
  e=${f%.zip}.expected.json
  name=${f#"$fixtures"/}
  while IFS= read -r key; do
    t "objects get --json $name $key: as expected.json" obj_ok "$f" "$key" "$e"
  done < <(python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))["objects"]))' "$e")
done

# objects put with each value option, read back with get --json; the bytes
# are compared with what the JDK writes for the same value.
o="$tmp/o.zip"
cp "$fx/mln-dense-sgd-float.zip" "$o"
printf '\001\002\003' > "$tmp/b123"
cases=( # key|expected get --json|put option|value
  "s|\"hi\"|--string|hi"
  "u|\"café € 😀\"|--string|café € 😀"
  "e|\"\"|--string|"
  "i|42|--int|42"
  "ni|-123456789|--int|-123456789"
  "l|42|--long|42"
  "lmin|-9223372036854775808|--long|-9223372036854775808"
  "d|1.5|--double|1.5"
  "dnan|\"NaN\"|--double|NaN"
  "dinf|\"-Infinity\"|--double|-Infinity"
  "t|true|--bool|true"
  "f|false|--bool|false"
  "y|[1, 2, 3]|--bytes-file|$tmp/b123"
  "j|{\"a\": [1, 2.5, \"x\", null, true], \"b\": 10000000000}|--json|{\"a\": [1, 2.5, \"x\", null, true], \"b\": 10000000000}"
  "jn|null|--json|null"
)
for c in "${cases[@]}"; do
  IFS='|' read -r key want opt val <<< "$c"
  t "objects put $opt ${val:-''}" "$dlz" objects put "$o" "typed/$key" "$opt" "$val"
  t "objects get --json after put $opt ${val:-''}" chk same <("$dlz" objects get --json "$o" "typed/$key") "$want"
done
d="$(printf '%s\n' "${cases[@]}" | sed 's/|.*//' | sed 's|^|typed/|' | tr '\n' ,)"
t "objects ls after the typed puts" test "$("$dlz" objects ls "$o" | tr '\n' ,)" = "$d"
"$dlz" objects get "$o" typed/s > "$tmp/s.ser"
t "objects put --string=VALUE" "$dlz" objects put "$o" typed/s2 --string=hi
t "... the same bytes as --string VALUE" cmp <("$dlz" objects get "$o" typed/s2) "$tmp/s.ser"
t "objects rm typed/s2" "$dlz" objects rm "$o" typed/s2
t "objects put --json after the key" "$dlz" objects put "$o" typed/j2 --json '[1,"two"]'
t "... get --json" chk same <("$dlz" objects get --json "$o" typed/j2) '[1, "two"]'

if command -v javac > /dev/null 2>&1 && command -v java > /dev/null 2>&1; then
  mkdir -p "$tmp/java"
  cat > "$tmp/java/Ser.java" <<'JAVA'
import java.io.*;
import java.util.*;

public class Ser {
    static void w(String dir, String name, Object o) throws IOException {
        try (ObjectOutputStream out =
                 new ObjectOutputStream(new FileOutputStream(new File(dir, name + ".ser")))) {
            out.writeObject(o);
        }
    }

    public static void main(String[] args) throws IOException {
        String d = args[0];
        w(d, "s", "hi");
        w(d, "u", "caf\u00e9 \u20ac \ud83d\ude00");
        w(d, "e", "");
        w(d, "i", 42);
        w(d, "ni", -123456789);
        w(d, "l", 42L);
        w(d, "lmin", Long.MIN_VALUE);
        w(d, "d", 1.5d);
        w(d, "dnan", Double.NaN);
        w(d, "dinf", Double.NEGATIVE_INFINITY);
        w(d, "t", true);
        w(d, "f", false);
        w(d, "y", new byte[] {1, 2, 3});
        ArrayList<Object> list = new ArrayList<>();
        list.add(1);
        list.add(2.5);
        list.add("x");
        list.add(null);
        list.add(true);
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        map.put("a", list);
        map.put("b", 10000000000L);
        w(d, "j", map);
        w(d, "jn", null);
    }
}
JAVA
  if javac -d "$tmp/java" "$tmp/java/Ser.java" > "$tmp/err" 2>&1 && java -cp "$tmp/java" Ser "$tmp/java" > "$tmp/err" 2>&1; then
    for c in "${cases[@]}"; do
      IFS='|' read -r key want opt val <<< "$c"
      t "objects put $opt ${val:-''}: the bytes the JDK writes" cmp <("$dlz" objects get "$o" "typed/$key") "$tmp/java/$key.ser"
    done
  else
    n=$((n + 1)); failed=$((failed + 1))
    echo "not ok $n - the JDK program compiles and runs"; sed 's/^/# /' "$tmp/err" | head -5
  fi
else
  for c in "${cases[@]}"; do
    echo "# skipped: no JDK (javac, java) to compare objects put ${c%%|*} with ObjectOutputStream"
  done
fi

# Usage errors: one line, exit 2.
fails "objects put without a value option" 2 "$dlz" objects put "$o" k
fails "objects put with two value options" 2 "$dlz" objects put "$o" k --int 1 --long 2
fails "objects put with the same option twice" 2 "$dlz" objects put "$o" k --string a --string b
fails "objects put --raw-file and --string" 2 "$dlz" objects put "$o" k --raw-file "$tmp/str.ser" --string a
fails "objects put --int out of range" 2 "$dlz" objects put "$o" k --int 2147483648
fails "objects put --int not a number" 2 "$dlz" objects put "$o" k --int 4x
fails "objects put --long out of range" 2 "$dlz" objects put "$o" k --long 9223372036854775808
fails "objects put --double not a number" 2 "$dlz" objects put "$o" k --double 1.5x
fails "objects put --bool yes" 2 "$dlz" objects put "$o" k --bool yes
fails "objects put --json invalid" 2 "$dlz" objects put "$o" k --json '{"a":'
fails "objects put --string without a value" 2 "$dlz" objects put "$o" k --string
fails "objects put --string invalid UTF-8" 2 "$dlz" objects put "$o" k --string $'\xff'
fails "objects get with a value option" 2 "$dlz" objects get "$o" typed/s --int 1
fails "objects --json before put has no value" 2 "$dlz" objects --json put "$o" k
t "objects ls --json" sh -c '"$1" objects ls --json "$2" > "$3"' sh "$dlz" "$o" "$tmp/ls.json"
t "objects ls --json: every key with the class of its value and its length" python3 - "$o" "$tmp/ls.json" <<'PY'
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
got = json.load(open(sys.argv[2]))
keys = [n[len("objects/"):] for n in z.namelist() if n.startswith("objects/")]
assert [e["key"] for e in got] == keys, (got, keys)
for e in got:
    data = z.read("objects/" + e["key"])
    assert e["bytes"] == len(data), e
    # The class named in the stream's first class descriptor (TC_OBJECT,
    # TC_CLASSDESC, UTF name) or a String / array of the stream itself.
    if data[4] == 0x74:
        assert e["class"] == "java.lang.String", e
    elif data[4] in (0x73, 0x75) and data[5] == 0x72:
        n = int.from_bytes(data[6:8], "big")
        assert e["class"] == data[8:8 + n].decode(), (e, data[8:8 + n])
PY
fails "objects put --bytes-file missing" 1 "$dlz" objects put "$o" k --bytes-file "$tmp/nope"
fails "objects get --json missing key" 1 "$dlz" objects get --json "$o" nope
t "objects put --raw-file of an unknown class" "$dlz" objects put "$o" opaque --raw-file "$tmp/javaser.bin"
t "objects get --json: the opaque value names its class" chk same <("$dlz" objects get --json "$o" opaque) \
  '{"opaque": "com.example.LegacyNormalizer", "length": 49}'
t "objects get (raw) gives the stream back" cmp <("$dlz" objects get "$o" opaque) "$tmp/javaser.bin"
printf '\xac\xed\x00\x05t\x00\x09hi' > "$tmp/cut.ser"
t "objects put --raw-file of a truncated stream (stored as it is)" "$dlz" objects put "$o" cut --raw-file "$tmp/cut.ser"
fails "objects get --json of a truncated stream: one line" 1 "$dlz" objects get --json "$o" cut
t "objects rm opaque and cut" eval '"$dlz" objects rm "$o" opaque && "$dlz" objects rm "$o" cut'
t "objects -h prints the usage" eval '"$dlz" objects -h | grep -q "^Usage: dlz objects"'
t "normalizer -h prints the usage" eval '"$dlz" normalizer -h | grep -q "^Usage: dlz normalizer show"'
t "usage errors left the archive alone" test "$("$dlz" objects ls "$o" | tr '\n' ,)" = "${d}typed/j2,"

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
