#!/usr/bin/env python3
"""Memory bounded by what the file holds (TAP).

Builds a set of hostile archives in a temporary folder (deflate bombs for
arrays, configuration and normalizers; JSON node and depth amplification;
Java values with back-references) and runs the tool on each.  Every member
must either fail with exit status 1 and a message naming the limit that
stopped it, or succeed within the peak memory the README states for the
operation: the data the file really holds plus 64 MiB.  The peak resident
size of each run is measured (wait4) and printed.

    test_bombs.py DLZ PEAKRSS FIXTURE_DIR

Not meaningful under sanitizers (their shadow memory counts), so the suite
registers it only in builds without them.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

DLZ, PEAKRSS, FIX = sys.argv[1], sys.argv[2], sys.argv[3]
MIB = 1 << 20
SLACK = 64 * MIB  # the constant of every stated bound
n_test = 0
failures = 0


def tap(ok, desc, *notes):
    global n_test, failures
    n_test += 1
    if not ok:
        failures += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n_test, desc))
    for line in notes:
        print("#   " + line)


def run(*args):
    """Runs dlz under peakrss; returns (exit status, stderr, peak RSS in bytes)."""
    p = subprocess.run([PEAKRSS, DLZ] + list(args), stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    lines = p.stderr.decode("utf-8", "replace").rstrip("\n").split("\n")
    rss = int(lines[-1].split()[1]) if lines and lines[-1].startswith("peakrss: ") else -1
    return p.returncode, "\n".join(lines[:-1]), rss


def base_entries():
    src = os.path.join(FIX, "dl4j-1.0.0-M2.1", "mln-dense-sgd-float.zip")
    with zipfile.ZipFile(src) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def float_record(n, chunks):
    """coefficients.bin of the fixture with n FLOAT values, the data coming
    from the chunks generator (n*4 bytes in all)."""
    rec = base_entries()["coefficients.bin"]
    head = bytearray(rec[: len(rec) - 43 * 4])
    # the length 43 appears as a 64-bit count in the shape and data headers
    old, new = struct.pack(">q", 43), struct.pack(">q", n)
    assert head.count(old) >= 2
    head = bytes(head).replace(old, new)
    yield head
    yield from chunks


def zeros(nbytes, step=16 * MIB):
    while nbytes > 0:
        k = min(step, nbytes)
        yield bytes(k)
        nbytes -= k


def sprinkled(nbytes, every=4096):
    """Mostly zeros with 64 pseudo-random bytes every `every` bytes:
    deflates about 50:1, below the default ratio limit."""
    import random
    rnd = random.Random(7)
    block = bytearray(16 * MIB)
    while nbytes > 0:
        for i in range(0, len(block), every):
            block[i:i + 64] = rnd.randbytes(64)
        k = min(len(block), nbytes)
        yield bytes(block[:k])
        nbytes -= k


def archive(path, config=None, coefficients=None, normalizer=None, objects=()):
    """Writes an archive from the fixture, with entries replaced by byte
    strings or by generators of chunks (deflated as they come)."""
    entries = base_entries()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name, data):
            if isinstance(data, (bytes, bytearray)):
                z.writestr(name, data)
                return
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                for chunk in data:
                    f.write(chunk)
        for name in ("configuration.json", "coefficients.bin"):
            value = {"configuration.json": config, "coefficients.bin": coefficients}[name]
            put(name, value if value is not None else entries[name])
        if normalizer is not None:
            put("normalizer.bin", normalizer)
        for key, data in objects:
            put("objects/" + key, data)
    return path


def normalizer_stream(n, chunks_factory):
    """A STANDARDIZE normalizer.bin with FLOAT mean and std of n values each."""
    src = os.path.join(FIX, "dl4j-1.0.0-M2.1", "normalizer-standardize.bin")
    data = open(src, "rb").read()
    # header, then fitLabel, then mean and std records of 4 values each; this
    # stream has labels too: keep only what we need by rebuilding it
    rec = base_entries()["coefficients.bin"]
    head = rec[: len(rec) - 43 * 4].replace(struct.pack(">q", 43), struct.pack(">q", n))
    prefix = data[: data.index(b"\x00\x10MIXED_DATA_TYPES")]
    prefix = prefix[:-1] + b"\x00"  # fitLabel false: no label statistics
    yield prefix
    for _ in range(2):  # mean, std
        yield head
        yield from chunks_factory(n * 4)


def java_amplifier(refs, size):
    """objects/<key>: an Object[] holding one byte[size] and then `refs`
    back-references to it: decoded naively it is refs * size bytes."""
    def utf(s):
        b = s.encode()
        return struct.pack(">H", len(b)) + b
    out = bytearray(b"\xac\xed\x00\x05")
    out += b"\x75\x72" + utf("[Ljava.lang.Object;") + struct.pack(">Q", 0x90CE589F1073296C)
    out += b"\x02\x00\x00\x78\x70" + struct.pack(">i", refs + 1)
    out += b"\x75\x72" + utf("[B") + struct.pack(">Q", 0xACF317F8060854E0)
    out += b"\x02\x00\x00\x78\x70" + struct.pack(">i", size) + bytes(size)
    out += (b"\x71" + struct.pack(">i", 0x7E0003)) * refs
    return bytes(out)


def expect_limit(desc, rc, err, rss, words, bound=SLACK):
    named = any(w in err for w in words)
    ok = rc == 1 and named and "\n" not in err.strip() and rss <= bound
    tap(ok, "%s: refused (%s) with peak RSS %.1f MiB <= %.0f MiB"
        % (desc, err.strip()[:150], rss / MIB, bound / MIB),
        "exit %d, limit named: %s" % (rc, named))


def expect_within(desc, rc, err, rss, bound):
    ok = rc == 0 and rss <= bound
    tap(ok, "%s: works with peak RSS %.1f MiB <= the stated %.0f MiB" % (desc, rss / MIB, bound / MIB),
        "exit %d: %s" % (rc, err.strip()[:200]))


def main():
    tmp = tempfile.mkdtemp(prefix="dlz-bombs-")
    try:
        # 1. coefficients: 1 GiB of zeros deflated about 1000:1
        p = archive(os.path.join(tmp, "coef-bomb.zip"),
                    coefficients=float_record(256 * MIB, zeros(1024 * MIB)))
        print("# coef-bomb.zip: %d bytes on disk" % os.path.getsize(p))
        for cmd in (["info", p], ["convert", "--store", p, os.path.join(tmp, "o.zip")],
                    ["params", p, "0/W"]):
            rc, err, rss = run(*cmd)
            expect_limit("coef-bomb.zip, dlz " + cmd[0], rc, err, rss,
                         ["DLZ_LIMIT_COMPRESSION_RATIO"])

        # 2. coefficients of 256 MiB that deflate 50:1: allowed, bounded
        n = 64 * MIB
        p = archive(os.path.join(tmp, "coef-big.zip"),
                    coefficients=float_record(n, sprinkled(4 * n)))
        print("# coef-big.zip: %d bytes on disk, %d MiB of array" % (os.path.getsize(p), 4 * n // MIB))
        rc, err, rss = run("info", p)
        expect_within("coef-big.zip, dlz info (bound: the array + 64 MiB)", rc, err, rss,
                      4 * n + SLACK)
        rc, err, rss = run("convert", "--store", p, os.path.join(tmp, "o.zip"))
        expect_within("coef-big.zip, dlz convert (bound: the array + 64 MiB)", rc, err, rss,
                      4 * n + SLACK)

        # 3. configuration.json of 250 MiB of small integers
        def ints(nbytes):
            yield b'{"confs":['
            chunk = b"0," * (8 * MIB)
            left = nbytes
            while left > 0:
                yield chunk[:left]
                left -= len(chunk)
            yield b"0]}"
        p = archive(os.path.join(tmp, "config-bomb.zip"), config=ints(250 * MIB))
        for cmd in (["info", p], ["objects", "ls", p]):
            rc, err, rss = run(*cmd)
            expect_limit("config-bomb.zip, dlz " + " ".join(cmd[:-1]), rc, err, rss,
                         ["DLZ_LIMIT_CONFIG_SIZE"])

        # 4. 7 MiB of values (3.5 million nodes) and of nesting
        p = archive(os.path.join(tmp, "config-nodes.zip"),
                    config=b'{"confs":[' + b"0," * (3500000) + b"0]}")
        rc, err, rss = run("params", p)
        expect_limit("config-nodes.zip (3.5 M values), dlz params", rc, err, rss, ["node limit"])
        p = archive(os.path.join(tmp, "config-deep.zip"),
                    config=b'{"confs":' + b"[" * 100000 + b"]" * 100000 + b"}")
        rc, err, rss = run("info", p)
        expect_limit("config-deep.zip (100000 levels), dlz info", rc, err, rss, ["nested deeper"])

        # 5. normalizer: two 256 MiB zero arrays deflated 1000:1
        p = archive(os.path.join(tmp, "norm-bomb.zip"),
                    normalizer=normalizer_stream(64 * MIB, zeros))
        print("# norm-bomb.zip: %d bytes on disk" % os.path.getsize(p))
        for cmd in (["info", p], ["normalizer", "show", p]):
            rc, err, rss = run(*cmd)
            expect_limit("norm-bomb.zip, dlz " + " ".join(cmd[:-1]), rc, err, rss,
                         ["DLZ_LIMIT_COMPRESSION_RATIO"])

        # 6. normalizer with two 64 MiB arrays deflating 50:1: allowed, bounded
        n = 16 * MIB
        p = archive(os.path.join(tmp, "norm-big.zip"), normalizer=normalizer_stream(n, sprinkled))
        rc, err, rss = run("info", p)
        expect_within("norm-big.zip, dlz info (bound: its arrays + 64 MiB)", rc, err, rss,
                      2 * 4 * n + SLACK)
        rc, err, rss = run("normalizer", "show", p)
        expect_within("norm-big.zip, dlz normalizer show (bound: its arrays + 64 MiB)", rc, err,
                      rss, 2 * 4 * n + SLACK)

        # 7. a Java value of 100000 references to one 1 MiB byte[] (100 GiB naively)
        p = archive(os.path.join(tmp, "object-refs.zip"),
                    objects=[("refs", java_amplifier(100000, MIB))])
        rc, err, rss = run("objects", "get", "--json", p, "refs")
        stream = len(java_amplifier(100000, MIB))
        expect_limit("object-refs.zip, dlz objects get --json (100000 copies of 1 MiB)", rc, err,
                     rss, ["would take more than"], bound=64 * MIB + 64 * stream + SLACK)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    print("1..%d" % n_test)
    print("# %d passed, %d failed" % (n_test - failures, failures))
    return 1 if failures else 0


sys.exit(main())
