#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Is the public API complete for Rust? KTAP report on two questions.

1. Shape rules on include/linux/uffd_shim.h: nothing bindgen cannot turn
   into a callable item (static inline functions, macro-only constants,
   bitfields, anonymous unions or structs).
2. The kernel's own bindgen run (rust/bindings/bindings_generated.rs of a
   CONFIG_RUST=y build, with our header in bindings_helper.h) contains every
   function, enum constant and struct the header declares.

usage: bindgen-check.py HEADER BINDINGS_GENERATED_RS
"""
import re
import sys


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def main(header, bindings):
    src = strip_comments(open(header).read())
    results = []

    bad = []
    guard = re.search(r'#ifndef\s+(\w+)', src)
    for n, line in enumerate(src.splitlines(), 1):
        if re.search(r'\bstatic\s+inline\b', line):
            bad.append(f"{header}:{n}: static inline is invisible to bindgen")
        m = re.match(r'\s*#\s*define\s+(\w+)', line)
        if m and not (guard and m.group(1) == guard.group(1)):
            bad.append(f"{header}:{n}: macro {m.group(1)}: use an enum")
        if re.search(r'\b(union|struct)\s*\{', line):
            bad.append(f"{header}:{n}: anonymous {line.split('{')[0].strip()}")
        if re.search(r'^\s*[^(]*\w\s*:\s*\d+\s*;', line):
            bad.append(f"{header}:{n}: bitfield")
    results.append(('header_has_only_bindgen_visible_items', bad))

    try:
        rs = open(bindings).read()
    except OSError as e:
        results.append(('bindings_generated', [f"{bindings}: {e}"]))
        rs = None
    if rs is not None:
        funcs = sorted(set(re.findall(r'\b(uffd_shim_\w+)\s*\(', src)))
        missing = [f for f in funcs if not re.search(rf'pub fn {f}\(', rs)]
        results.append((f'bindgen_sees_all_{len(funcs)}_functions',
                         [f"function {f} missing from bindings" for f in missing]))
        consts = sorted(set(re.findall(r'\b(UFFD_SHIM_\w+)\s*=', src)))
        missing = [c for c in consts if not re.search(rf'\b\w*{c}\b', rs)]
        results.append((f'bindgen_sees_all_{len(consts)}_constants',
                        [f"constant {c} missing from bindings" for c in missing]))
        structs = sorted(set(re.findall(r'struct\s+(uffd_shim_\w+)\s*\{', src)))
        missing = [s for s in structs if not re.search(rf'pub struct {s}\b', rs)]
        results.append(('bindgen_sees_all_structs',
                        [f"struct {s} missing from bindings" for s in missing]))

    print("KTAP version 1")
    print(f"1..{len(results)}")
    failed = 0
    for i, (name, problems) in enumerate(results, 1):
        for p in problems:
            print(f"# {p}")
        print(f"{'not ok' if problems else 'ok'} {i} {name}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
