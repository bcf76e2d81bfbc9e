"""Runs hostile inputs through every reading path of the package (run by
test_hostile.py in a child process, so that a crash is seen as a signal,
not as a lost test run).  Each input must load and be read completely, or
raise dlz.Error; anything else (another exception, a crash) fails.

    hostile_inputs.py FIXTURE_ZIP NORMALIZER_BIN

Prints one line "N inputs: N read, N dlz.Error" and exits 0, or prints the
first unexpected exception and exits 1."""
import random
import struct
import sys
import zipfile
import io

import numpy as np

import dlz

LIMITS = {"array_bytes": 64 << 20, "entry_size": 64 << 20}


def exercise(data):
    """Everything a user might do with a file."""
    try:
        m = dlz.load(data, updater=True, limits=LIMITS)
    except dlz.MisuseError:
        return dlz.read_array(data, limits=LIMITS).sum()
    with m:
        m.config_json
        m.coefficients
        try:
            m.config
        except ValueError:
            pass  # not JSON for Python either
        for step in (lambda: dict(m.params), lambda: m.updater_state and dict(m.updater_state),
                     lambda: m.normalizer and m.normalizer.to_dict(),
                     lambda: [m.objects[k] for k in m.objects],
                     lambda: m.to_safetensors(updater=True, normalizer=True),
                     lambda: m.to_npz()):
            try:
                step()
            except dlz.Error:
                pass
        n = None
        try:
            n = m.normalizer
        except dlz.Error:
            pass
        if n is not None:
            for i in range(max(1, n.num_inputs)):
                s = n.stats(i)
                if s is not None:
                    try:
                        n.transform(np.ones((2, s[1].size), dtype=s[1].dtype
                                            if s[1].dtype in (np.float32, np.float64)
                                            else np.float64), index=i)
                    except dlz.Error:
                        pass


def inputs(zip_bytes, norm_bytes):
    rng = random.Random(13)
    yield b""
    yield b"PK\x03\x04"
    yield bytes(rng.randrange(256) for _ in range(4096))
    # truncated at many offsets
    for cut in sorted(set(range(0, len(zip_bytes), max(1, len(zip_bytes) // 150)))):
        yield zip_bytes[:cut]
    # single flipped bytes
    for _ in range(300):
        b = bytearray(zip_bytes)
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
        yield bytes(b)
    # entries rewritten with hostile content (valid zip, CRCs right)
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    hostile = {
        "coefficients.bin": [b"", b"\x00" * 8, entries["coefficients.bin"][:50],
                             entries["coefficients.bin"][:-3]],
        "configuration.json": [b"{", b"[]", b"{\"confs\": 5}", b"\xff\xfe", b"[" * 5000],
        "normalizer.bin": [norm_bytes[:k] for k in range(0, len(norm_bytes), 7)] +
                          [b"\xac\xed\x00\x05", b"NORMALIZER" + b"\xff" * 20],
        "objects/x": [b"\xac\xed\x00\x05", b"\xac\xed\x00\x05t\xff\xff",
                      b"\xac\xed\x00\x05ur\x00\x02[I" + b"\x00" * 20,
                      b"\xac\xed\x00\x05" + b"q\x00\x7e\x00\x00"],
    }
    for name, contents in hostile.items():
        for c in contents:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as z:
                for n, d in entries.items():
                    if n != name:
                        z.writestr(n, d)
                z.writestr(name, c)
            yield out.getvalue()
    # a bare array record that lies about its length
    rec = bytearray(io.BytesIO().getvalue())
    buf = io.BytesIO()
    dlz.write_array(buf, np.arange(10, dtype=np.float32))
    rec = buf.getvalue()
    for cut in range(0, len(rec)):
        yield rec[:cut]
    big = bytearray(rec)
    struct.pack_into(">q", big, len(rec) - 40 - 8, 2**62)
    yield bytes(big)


def main():
    zip_bytes = open(sys.argv[1], "rb").read()
    norm_bytes = open(sys.argv[2], "rb").read()
    n = ok = errors = 0
    for data in inputs(zip_bytes, norm_bytes):
        n += 1
        try:
            exercise(data)
            ok += 1
        except dlz.Error as e:
            assert isinstance(e.code, int) and e.code < 0 and e.message, e
            errors += 1
        except Exception as e:  # noqa: BLE001 - anything else is a failure
            print("input %d (%d bytes): %s: %s" % (n, len(data), type(e).__name__, e))
            return 1
    print("%d inputs: %d read, %d dlz.Error" % (n, ok, errors))
    return 0 if errors > n // 2 else 1


if __name__ == "__main__":
    sys.exit(main())
