#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets (see test/fuzz/README.md).

    test/fuzz/seeds.py OUT_DIR [--fixtures DIR] [--corpus DIR]

Reads the fixture archives and normalizer files (default: fixtures/ of the
source tree), the DL4J corpus (default: ../shared/corpus next to the source
tree; skipped when missing) and the saved inputs under test/fuzz/crashers/,
and writes OUT_DIR/<target>/<sha1 of the seed> for every target:

  fuzz_reader      whole files: archives, bare arrays, normalizer files
  fuzz_editor      archives of at most 256 KiB
  fuzz_array       bare array files, coefficients.bin and updaterState.bin
  fuzz_value       objects/<key> entries
  fuzz_json        configuration.json entries and the fixtures' JSON files
  fuzz_normalizer  normalizer.bin entries and fixtures/*/normalizer-*.bin
  fuzz_params      configuration.json entries

Nothing is written into the source tree, and corpus files are only read.
"""
import argparse
import hashlib
import io
import os
import sys
import zipfile

TARGETS = ["fuzz_reader", "fuzz_editor", "fuzz_array", "fuzz_value", "fuzz_json",
           "fuzz_normalizer", "fuzz_params"]
MAX_INPUT = 1 << 20
MAX_ARCHIVE = 256 << 10
MODES = [b"DIRECT", b"HEAP", b"JAVACPP", b"LONG_SHAPE", b"MIXED_DATA_TYPES"]


def is_array(b):
    """The first bytes are a writeUTF allocation-mode name, as in dlzi_array_sniff()."""
    if len(b) < 2:
        return False
    n = int.from_bytes(b[:2], "big")
    return b[2:2 + n] in MODES and n == len(b[2:2 + n])


def entry_targets(name):
    if name == "configuration.json":
        return ["fuzz_json", "fuzz_params"]
    if name in ("coefficients.bin", "updaterState.bin"):
        return ["fuzz_array"]
    if name == "normalizer.bin":
        return ["fuzz_normalizer"]
    if name.startswith("objects/") and len(name) > len("objects/"):
        return ["fuzz_value"]
    return []


def file_targets(path, data):
    """Targets that take the whole file."""
    base = os.path.basename(path)
    t = []
    if len(data) <= MAX_INPUT:
        t.append("fuzz_reader")
    if is_array(data):
        t.append("fuzz_array")
    if base.startswith("normalizer-") and base.endswith(".bin"):
        t.append("fuzz_normalizer")
    if base.endswith(".json"):
        t.append("fuzz_json")
    if data[:2] == b"PK" and len(data) <= MAX_ARCHIVE:
        t.append("fuzz_editor")
    return t


def files_under(root):
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            if not n.startswith("."):
                yield os.path.join(d, n)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="folder to write OUT/<target>/ into (e.g. under /tmp)")
    ap.add_argument("--fixtures", default=os.path.join(src, "fixtures"))
    ap.add_argument("--corpus", default=os.path.join(src, "..", "shared", "corpus"))
    args = ap.parse_args()

    counts = {t: 0 for t in TARGETS}
    seen = {t: set() for t in TARGETS}

    def put(target, data):
        h = hashlib.sha1(data).hexdigest()
        if h in seen[target]:
            return
        seen[target].add(h)
        d = os.path.join(args.out, target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, h), "wb") as f:
            f.write(data)
        counts[target] += 1

    def scan(path, only=None):
        with open(path, "rb") as f:
            data = f.read()
        for t in file_targets(path, data):
            if only is None or t == only:
                put(t, data)
        if data[:2] != b"PK":
            return
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            for info in z.infolist():
                targets = [t for t in entry_targets(info.filename) if only is None or t == only]
                if targets and info.file_size <= MAX_INPUT:
                    try:
                        b = z.read(info)
                    except Exception:
                        continue  # damaged entries are the reader's seeds already
                    for t in targets:
                        put(t, b)
        except (zipfile.BadZipFile, ValueError, NotImplementedError, OSError):
            pass

    roots = [args.fixtures]
    if os.path.isdir(args.corpus):
        roots.append(args.corpus)
    else:
        print("no corpus at %s: seeds from the fixtures only" % args.corpus, file=sys.stderr)
    for root in roots:
        for p in files_under(root):
            if not p.endswith(".md"):
                scan(p)
    # Saved inputs seed their own target (whole files, and entries of archives).
    crashers = os.path.join(here, "crashers")
    for t in TARGETS:
        d = os.path.join(crashers, t)
        if os.path.isdir(d):
            for p in files_under(d):
                with open(p, "rb") as f:
                    put(t, f.read())
                scan(p, only=t)
    for t in TARGETS:
        print("%-16s %4d seeds in %s" % (t, counts[t], os.path.join(args.out, t)))


if __name__ == "__main__":
    main()
