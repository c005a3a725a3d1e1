#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print one table of test results: a row per suite, a column per kernel.

Usage: matrix.py KERNEL=RESULTS-LIST [...]
Each RESULTS-LIST names the result files of one `make test` (KTAP files
and kunit.py JSON, as scripts/test writes them). A KTAP file is one suite,
named after the file; kunit.py JSON gives one suite per KUnit suite. A cell
is "pass/total", with skips noted; "-" where the kernel has no such suite.
Ends with the total line; exits 1 if anything failed.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summary import read_ktap  # noqa: E402


def suites_of(path):
    if path.endswith('.json'):
        groups = json.load(open(path)).get('sub_groups', [])
        if not groups:  # the kernel crashed or hung before any suite
            yield 'kunit (no suite ran)', ['FAIL']
        for group in groups:
            yield group['name'], [c['status'] for c in group.get('test_cases', [])]
        return
    results = []
    read_ktap(path, results)
    name = os.path.basename(path).rsplit('.', 1)[0]
    yield name, [status for _, status in results]


def main(args):
    kernels, table, order = [], {}, []
    for arg in args:
        kernel, listing = arg.split('=', 1)
        kernels.append(kernel)
        try:
            paths = open(listing).read().split()
        except OSError:
            paths = []
            table[('(make test)', kernel)] = 'not run'
            if '(make test)' not in order:
                order.append('(make test)')
        for path in paths:
            try:
                found = list(suites_of(path))
            except (OSError, ValueError):
                found = [(os.path.basename(path), ['FAIL'])]
            for suite, statuses in found:
                if suite not in order:
                    order.append(suite)
                table[(suite, kernel)] = statuses
    passed = failed = skipped = 0
    width = max(len(s) for s in order + ['suite'])
    print(f"{'suite':<{width}}  " + "  ".join(f"{k:>14}" for k in kernels))
    for suite in order:
        cells = []
        for kernel in kernels:
            statuses = table.get((suite, kernel))
            if statuses is None:
                cells.append('-')
                continue
            if isinstance(statuses, str):
                cells.append(statuses)
                failed += 1
                continue
            p = sum(s == 'PASS' for s in statuses)
            k = sum(s in ('SKIP', 'SKIPPED') for s in statuses)
            f = len(statuses) - p - k
            passed, failed, skipped = passed + p, failed + f, skipped + k
            cell = f"{'FAIL ' if f or not statuses else ''}{p}/{len(statuses)}"
            if not statuses:
                failed += 1
            cells.append(cell + (f" ({k} skip)" if k else ''))
        print(f"{suite:<{width}}  " + "  ".join(f"{c:>14}" for c in cells))
    line = f"{passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
