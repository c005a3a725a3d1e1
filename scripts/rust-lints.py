#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the rustc/clippy diagnostics of a kernel build log that point into
uffd-shim's Rust code (rust/kernel/uffd_shim*, samples/rust/), one block
each, and nothing else. Empty output: our code compiled without a lint.

Usage: rust-lints.py BUILD-LOG [PATH-PART]
With PATH-PART, only the diagnostics pointing into paths containing it.
"""
import re
import sys

OURS = re.compile(r"-->\s+\S*(rust/kernel/uffd_shim|uffd_shim/samples/rust/)")
START = re.compile(r"^(warning|error)(\[[^\]]*\])?: ")


def blocks(lines):
    block = []
    for line in lines:
        if START.match(line):
            if block:
                yield block
            block = [line]
        elif block:
            block.append(line)
    if block:
        yield block


def main():
    with open(sys.argv[1], errors="replace") as f:
        lines = f.read().splitlines()
    part = sys.argv[2] if len(sys.argv) > 2 else ""
    for block in blocks(lines):
        where = [line for line in block if OURS.search(line)]
        if where and any(part in line for line in where):
            print("\n".join(block).rstrip())


if __name__ == "__main__":
    main()
