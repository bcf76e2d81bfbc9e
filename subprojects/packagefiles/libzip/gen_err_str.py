#!/usr/bin/env python3
"""Writes zip_err_str.c from the ZIP_ER_* lines of zip.h.

Each error code is documented in zip.h as
    #define ZIP_ER_NAME n   /* T Message */
where T is N (no further detail), S (errno) or Z (zlib error).  libzip's
CMake build derives the same table with a regular expression.
"""
import re
import sys

ERROR_LINE = re.compile(r"#define ZIP_ER_([A-Z_]+) ([0-9]+)[ \t]+/\*[ \t]*([NSZ])[ \t]+([^*]*?)[ \t]*\*/")

def main(zip_h, out):
    entries = {}
    with open(zip_h, encoding="utf-8") as f:
        for line in f:
            m = ERROR_LINE.search(line)
            if m:
                entries[int(m.group(2))] = (m.group(3), m.group(4))
    if not entries or sorted(entries) != list(range(len(entries))):
        sys.exit(f"{zip_h}: ZIP_ER_* codes are not 0..n-1")
    with open(out, "w", encoding="utf-8") as f:
        f.write("/* Generated from zip.h by gen_err_str.py; make changes there. */\n\n")
        f.write('#include "zipint.h"\n\n')
        f.write("const char *const _zip_err_str[] = {\n")
        for n in sorted(entries):
            f.write('    "%s",\n' % entries[n][1].replace("\\", "\\\\").replace('"', '\\"'))
        f.write("};\n\n")
        f.write("const int _zip_nerr_str = sizeof(_zip_err_str) / sizeof(_zip_err_str[0]);\n\n")
        f.write("#define N ZIP_ET_NONE\n#define S ZIP_ET_SYS\n#define Z ZIP_ET_ZLIB\n\n")
        f.write("const int _zip_err_type[] = {\n")
        for n in sorted(entries):
            f.write("    %s,\n" % entries[n][0])
        f.write("};\n")

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen_err_str.py zip.h zip_err_str.c")
    main(sys.argv[1], sys.argv[2])
