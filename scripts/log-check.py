#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""log-check.py NAME LOG: one KTAP test NAME, failing if the kernel log holds
a KASAN, lockdep, RCU or oops report (printed as diagnostics)."""
import re
import sys

REPORT = re.compile(r'BUG: KASAN|BUG: kernel|Oops|general protection fault|'
                    r'possible circular locking|inconsistent lock state|'
                    r'possible recursive locking|lock held when returning|'
                    r'suspicious RCU usage|BUG: sleeping function|'
                    r'unreferenced object|suspected memory leak')

name, log = sys.argv[1], sys.argv[2]
hits = [l.rstrip() for l in open(log, errors='replace') if REPORT.search(l)]
print("KTAP version 1")
print("1..1")
for h in hits[:20]:
    print(f"# {h}")
print(f"{'not ok' if hits else 'ok'} 1 {name}")
sys.exit(1 if hits else 0)
