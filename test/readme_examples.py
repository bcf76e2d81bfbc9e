#!/usr/bin/env python3
"""Extracts the examples of README.md into files, so the tests compile or run them.

Each example is a ```c (or ```python) block right after a line
`<!-- example: NAME -->`.
Usage: readme_examples.py README.md OUTDIR NAME [NAME ...]
"""
import re
import sys


def main():
    readme, outdir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    text = open(readme, encoding="utf-8").read()
    found = dict(re.findall(r"<!-- example: (\S+) -->\n```(?:c|python)\n(.*?)```", text, re.S))
    for name in names:
        if name not in found:
            sys.exit(f"README.md has no example {name}")
        with open(f"{outdir}/{name}", "w", encoding="utf-8") as f:
            f.write(found[name])


main()
