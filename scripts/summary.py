#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Add up test results and print the closing line "N passed, N failed".

Takes kunit.py JSON files (kunit.py run/exec/parse --json) and KTAP files
(parsed here, top-level "ok"/"not ok" lines and their subtests). Exits 1 if
anything failed or a file is missing or holds no test at all.
"""
import json
import re
import sys

KTAP = re.compile(r'^\s*(not ok|ok) \d+ (\S+)(?:\s*#\s*(\w+))?')


def walk_json(node, prefix, out):
    name = f"{prefix}.{node['name']}" if prefix else node.get('name', '')
    for case in node.get('test_cases', []):
        out.append((f"{name}.{case['name']}", case['status']))
    for sub in node.get('sub_groups', []):
        walk_json(sub, name, out)


def read_ktap(path, out):
    # Every leaf result counts. A parent's own line counts only when it
    # fails and none of its subtests said so (a crash mid-suite).
    stack = []  # per open nesting level: did any subtest fail?
    for line in open(path, errors='replace'):
        m = KTAP.match(line)
        if not m:
            continue
        depth = (len(line) - len(line.lstrip())) // 4
        status = 'FAIL' if m.group(1) == 'not ok' else 'PASS'
        if m.group(3) and m.group(3).upper() == 'SKIP':
            status = 'SKIPPED'
        children = None
        while len(stack) > depth + 1:
            children = stack.pop()
        while len(stack) < depth + 1:
            stack.append(False)
        if children is None:
            out.append((m.group(2), status))
        elif status == 'FAIL' and not children:
            out.append((m.group(2), 'FAIL'))
        if status == 'FAIL' or children:
            stack[depth] = True


def main(paths):
    passed = failed = skipped = 0
    bad = False
    for path in paths:
        results = []
        try:
            if path.endswith('.json'):
                walk_json(json.load(open(path)), '', results)
            else:
                read_ktap(path, results)
        except (OSError, ValueError) as e:
            print(f"{path}: no results ({e})")
            bad = True
            continue
        if not results:
            print(f"{path}: no test ran")
            bad = True
        for name, status in results:
            if status == 'PASS':
                passed += 1
            elif status in ('SKIPPED', 'SKIP'):
                skipped += 1
            else:
                failed += 1
                print(f"FAILED: {name} ({status})")
    if bad:
        failed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
