#!/usr/bin/env python3
"""Writes the hostile set: archives that each break one thing DL4J's restore
needs, made from a DL4J-written fixture, and a manifest saying what breaks.

    hostile_set.py FIXTURES_DIR OUTDIR

OUTDIR/manifest.json maps each file name to {"check": the dlz check class
that must report it, "why": what was done}, plus "dl4j_restores" (why) for
the one file DL4J 1.0.0-M2.1 restores though dlz check refuses it; DL4J
refuses every other one (test_check_dl4j.sh proves both).  Only the standard library is
used; nothing is written into the source tree.
"""
import io
import json
import os
import sys
import warnings
import zipfile

BASE = "dl4j-1.0.0-M2.1/mln-dense-adam-float-wm-standardize-objects.zip"
OTHER = "dl4j-1.0.0-M2.1/cg-lstm-rmsprop-double.zip"  # another parameter count


def entries(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def build(items, method=zipfile.ZIP_DEFLATED):
    """A zip of (name, bytes) in order; duplicate names are kept."""
    buf = io.BytesIO()
    warnings.simplefilter("ignore")  # zipfile warns about duplicate names
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            if name.endswith("/"):
                info.external_attr = 0o40755 << 16 | 0x10
            z.writestr(info, data)
    return buf.getvalue()


def replace(items, name, data):
    return [(n, data if n == name else d) for n, d in items]


def without(items, name):
    return [(n, d) for n, d in items if n != name]


def flip_in_entry(zipbytes, name, at):
    """Flips one byte of the stored (compressed) data of entry `name`; the
    CRC and sizes in the directory stay those of the original."""
    with zipfile.ZipFile(io.BytesIO(zipbytes)) as z:
        info = z.getinfo(name)
    off = info.header_offset
    name_len = int.from_bytes(zipbytes[off + 26:off + 28], "little")
    extra_len = int.from_bytes(zipbytes[off + 28:off + 30], "little")
    start = off + 30 + name_len + extra_len
    assert at < info.compress_size
    b = bytearray(zipbytes)
    b[start + at] ^= 0x55
    return bytes(b)


def main():
    fixtures, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    base = entries(os.path.join(fixtures, BASE))
    other = dict(entries(os.path.join(fixtures, OTHER)))
    names = [n for n, _ in base]
    for needed in ("configuration.json", "coefficients.bin", "updaterState.bin",
                   "normalizer.bin", "objects/note"):
        assert needed in names, needed
    coef = dict(base)["coefficients.bin"]
    good = build(base)
    cases = {}

    def add(fname, data, check, why, dl4j=None):
        with open(os.path.join(out, fname), "wb") as f:
            f.write(data)
        cases[fname] = {"check": check, "why": why}
        if dl4j is not None:
            cases[fname]["dl4j_restores"] = dl4j

    add("empty.zip", b"", "open", "an empty file")
    add("truncated.zip", good[:len(good) // 2], "open", "the first half of the archive")
    add("garbage.zip", bytes((i * 7919) % 251 for i in range(4000)), "open", "bytes of no format")
    add("no-configuration.zip", build(without(base, "configuration.json")), "open",
        "configuration.json removed")
    add("no-coefficients.zip", build(without(base, "coefficients.bin")), "layout",
        "coefficients.bin removed")
    add("unknown-configuration.zip",
        build(replace(base, "configuration.json", b'{"foo": [1, 2], "bar": {}}')), "layout",
        "configuration.json neither a MultiLayerNetwork nor a ComputationGraph")
    add("malformed-configuration.zip",
        build(replace(base, "configuration.json", b'{"vertices": 1, "foo": [1, 2]}')),
        "parameters", "a ComputationGraph configuration whose vertices are no object")
    add("empty-coefficients.zip", build(replace(base, "coefficients.bin", b"")), "layout",
        "coefficients.bin empty, without noParams.marker")
    add("directory-entry.zip", build(base + [("extra/", b"")]), "layout",
        "a directory entry added")
    add("duplicate-entry.zip", build(base + [("objects/note", dict(base)["objects/note"])]),
        "open", "objects/note twice",
        dl4j="DL4J 1.0.0-beta7 and later read the last copy, older versions (ZipFile) "
        "another: dlz refuses an archive whose content depends on the reader")
    # The stored bytes of coefficients.bin changed, the CRC left as it was.
    stored = build(base, zipfile.ZIP_STORED)
    add("crc-mismatch.zip", flip_in_entry(stored, "coefficients.bin", len(coef) - 3), "entries",
        "one byte of coefficients.bin changed, its CRC-32 not")
    add("bad-deflate.zip", flip_in_entry(good, "coefficients.bin", 2), "entries",
        "one byte of the deflate stream of coefficients.bin changed")
    add("coefficients-garbage.zip",
        build(replace(base, "coefficients.bin", b"\x00\x00\x00\x07garbage" + bytes(64))),
        "coefficients", "coefficients.bin is no ND4J array record")
    add("coefficients-other-model.zip",
        build(replace(base, "coefficients.bin", other["coefficients.bin"])), "parameters",
        "coefficients.bin of another model (another parameter count)")
    add("updater-wrong-length.zip", build(replace(base, "updaterState.bin", coef)), "updater",
        "updaterState.bin holds the coefficients: half the length Adam needs")
    add("updater-garbage.zip", build(replace(base, "updaterState.bin", b"\x01\x02\x03")),
        "updater", "updaterState.bin is no ND4J array record")
    add("normalizer-garbage.zip",
        build(replace(base, "normalizer.bin", b"\x00\x05hello" + bytes(40))), "normalizer",
        "normalizer.bin is no normalizer")
    add("object-garbage.zip", build(replace(base, "objects/note", b"\xac\xed\x00\x05\x77")),
        "objects", "objects/note is a truncated Java serialization stream")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
