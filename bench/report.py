#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of `make bench`: the raw CSV of bench/uffd_bench (several rounds)
and the KUnit indirection lines in, a table with ratios to shmem on stdout,
a per-configuration CSV (medians) and a PNG plot out.

    report.py RAW_CSV INDIRECTION_LOG OUT_DIR
"""

import csv
import re
import statistics
import sys
from collections import defaultdict

MODES = ["first-touch", "missing-copy", "missing-zeropage", "minor-continue"]
THREADS = [1, 2, 4]
REFERENCE = "shmem"


def load(path):
    runs = defaultdict(list)
    order = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if None in row.values() or not row["threads"].isdigit():
                continue    # a console message in the middle of the output
            key = (row["type"], row["mode"], int(row["threads"]))
            runs[key].append(float(row["faults_per_second"]))
            if row["type"] not in order:
                order.append(row["type"])
    return {k: statistics.median(v) for k, v in runs.items()}, runs, order


def noise(runs, med, key):
    """Half the spread of one configuration's rounds, relative to the median."""
    return (max(runs[key]) - min(runs[key])) / 2 / med[key]


def indirection(log):
    pat = re.compile(r"indirection (\S+): shim (\d+) ns/op, direct (\d+) ns/op, ratio ([\d.]+)")
    found = []
    with open(log, errors="replace") as f:
        for line in f:
            m = pat.search(line)
            if m:
                found.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)))
    return found


def main():
    raw, log, out = sys.argv[1:4]
    med, runs, types = load(raw)
    others = [t for t in types if t != REFERENCE]

    with open(f"{out}/bench.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["type", "mode", "threads", "rounds", "median_faults_per_second",
                    "min", "max", f"ratio_to_{REFERENCE}"])
        for (t, m, n), v in sorted(med.items()):
            ref = med.get((REFERENCE, m, n))
            w.writerow([t, m, n, len(runs[(t, m, n)]), f"{v:.0f}",
                        f"{min(runs[(t, m, n)]):.0f}", f"{max(runs[(t, m, n)]):.0f}",
                        f"{v / ref:.2f}" if ref else ""])

    cols = [REFERENCE] + others
    ratio_cols = [t for t in others if t != "anon"]
    head = f"{'mode':<17}{'thr':>4}" + "".join(f"{c:>14}" for c in cols) + \
        "".join(f"{c + '/' + REFERENCE:>22}" for c in ratio_cols) + f"{'noise':>8}"
    print("fault round-trips per second (median of %d rounds), ratios to %s in the same run"
          % (max(len(v) for v in runs.values()), REFERENCE))
    print(head)
    for m in MODES:
        for n in THREADS:
            if (REFERENCE, m, n) not in med:
                continue
            line = f"{m:<17}{n:>4}"
            for c in cols:
                v = med.get((c, m, n))
                line += f"{v:>14.0f}" if v else f"{'n/a':>14}"
            for c in ratio_cols:
                v = med.get((c, m, n))
                line += f"{v / med[(REFERENCE, m, n)]:>22.2f}" if v else f"{'n/a':>22}"
            print(line + f"{noise(runs, med, (REFERENCE, m, n)):>7.0%}")
    print("noise: half the spread of the %s rounds around their median; a ratio within"
          " 1 - noise is \"within noise\"" % REFERENCE)
    for what, shim, direct, ratio in indirection(log):
        print(f"shim indirection, {what}: {shim} ns/op via vm_uffd_ops and the shim, "
              f"{direct} ns/op called directly, ratio {ratio}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(MODES), figsize=(4.2 * len(MODES), 4.2), sharey=False)
    width = 0.8 / len(THREADS)
    for ax, m in zip(axes, MODES):
        shown = [t for t in cols if any((t, m, n) in med for n in THREADS)]
        for j, n in enumerate(THREADS):
            xs = [i + (j - (len(THREADS) - 1) / 2) * width for i in range(len(shown))]
            ys = [med.get((t, m, n), 0) for t in shown]
            # Error bars: the fastest and slowest round.
            err = [[y - min(runs.get((t, m, n), [y])) for t, y in zip(shown, ys)],
                   [max(runs.get((t, m, n), [y])) - y for t, y in zip(shown, ys)]]
            ax.bar(xs, ys, width, yerr=err, capsize=2,
                   label=f"{n} thread{'s' if n > 1 else ''}")
        ax.set_xticks(range(len(shown)))
        ax.set_xticklabels(shown, rotation=20)
        ax.set_title(m)
        ax.set_ylabel("round-trips / s")
    axes[0].legend()
    fig.suptitle("uffd-shim: fault round-trips per second by memory type, one VM (compare ratios)")
    fig.tight_layout()
    fig.savefig(f"{out}/bench.png", dpi=100)
    print(f"wrote {out}/bench.csv and {out}/bench.png")


if __name__ == "__main__":
    main()
