#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of `make bench` (scripts/bench).

    report.py DIR

DIR/deterministic/ holds the instruction-counted boot's rates.csv,
steps.csv and indirection.log; DIR/wall-clock/ the SMP boot's rates.csv.
Prints the tables, writes DIR/bench.csv and DIR/bench.png, and compares the
deterministic ratios with DIR/previous.csv (the run before) if there is one.

Under -icount shift=0 a guest nanosecond is one executed instruction, so
the deterministic figures are instruction counts; the wall-clock ones are
host time and only their ratios within one run mean anything.
"""

import csv
import math
import os
import re
import statistics
import sys
from collections import defaultdict

MODES = ["first-touch", "missing-copy", "missing-zeropage", "minor-continue",
         "write-continue", "wp-unprotect"]
STEPS = ["fault_to_message", "resolve", "wake_to_resume"]
REFERENCE = "shmem"
NOISE_LIMIT = 0.01
INDIRECTION_LIMIT = 0.02
# Which KUnit indirection case prices the vm_uffd_ops calls of a mode. The
# kernel makes none for first touch (the type's own fault handler) and WP
# (page-table work only).
INDIRECTION_OF = {
    "missing-copy": "alloc+filemap_add+filemap_remove",
    "missing-zeropage": "alloc+filemap_add+filemap_remove",
    "minor-continue": "get_folio_noalloc",
    "write-continue": "get_folio_noalloc",
}


def read_csv(path, *numeric):
    """The rows of @path whose @numeric fields are numbers: a console
    message in the middle of a row leaves it short or garbled."""
    def whole(row):
        try:
            return None not in row.values() and all(float(row[k]) >= 0 for k in numeric)
        except (TypeError, ValueError):
            return False

    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if whole(r)]


def spread(values):
    """Half the spread of rounds around their median, relative to it."""
    med = statistics.median(values)
    return (max(values) - min(values)) / 2 / med if med else 0.0


def median_ci(values):
    """The median and a distribution-free 95% interval for it: order
    statistics x(k), x(n-k+1) with k the largest rank such that
    P(Binomial(n, 1/2) < k) <= 2.5%."""
    xs = sorted(values)
    n = len(xs)
    k, tail = 0, 0.0
    while True:
        p = math.comb(n, k) / 2 ** n
        if tail + p > 0.025:
            break
        tail += p
        k += 1
    if k == 0:     # too few rounds for 95%: the range, at what it covers
        return statistics.median(xs), xs[0], xs[-1], 1 - 2 ** (1 - n)
    return statistics.median(xs), xs[k - 1], xs[n - k], 1 - 2 * tail


def ordered_types(rows):
    seen = []
    for r in rows:
        if r["type"] not in seen:
            seen.append(r["type"])
    rest = [t for t in seen if t not in (REFERENCE, "anon")]
    return [REFERENCE] + sorted(rest) + (["anon"] if "anon" in seen else [])


def log_matches(path, pattern):
    """The groups of each match of @pattern in the log at @path."""
    pat = re.compile(pattern)
    found = []
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            found = [m.groups() for m in map(pat.search, f) if m]
    return found


def indirection(path):
    return {what: (int(shim), int(direct)) for what, shim, direct in
            log_matches(path, r"indirection (\S+): shim (\d+) ns/op, direct (\d+) ns/op")}


def costs(path):
    return {what: int(ns) for what, ns in log_matches(path, r"cost (.+): (\d+) ns/op")}


def deterministic(rows):
    runs = defaultdict(list)
    for r in rows:
        runs[(r["type"], r["mode"])].append(float(r["faults_per_second"]))
    return runs


def det_table(runs, types, out):
    shim = [t for t in types if t not in (REFERENCE, "anon")]
    rounds = min(len(v) for v in runs.values())
    out.append("deterministic: 1 vCPU, -icount shift=0 (guest ns = instructions), "
               f"1 faulting thread, median of {rounds} rounds")
    out.append("ratio = round trips per second / shmem's (above 1.00: faster than shmem); "
               "in brackets: instructions per round trip more than shmem")
    head = f"{'mode':<17}{'shmem ns':>10}" + "".join(f"{t:>22}" for t in shim + ["anon"]) + \
        f"{'noise':>8}{'anon noise':>12}"
    out.append(head)
    below, worst_noise = [], 0.0
    for m in MODES:
        ref = runs.get((REFERENCE, m))
        if not ref:
            continue
        ref_med = statistics.median(ref)
        line = f"{m:<17}{1e9 / ref_med:>10.0f}"
        noise = spread(ref)
        for t in shim + ["anon"]:
            v = runs.get((t, m))
            if not v:
                line += f"{'n/a':>22}"
                continue
            med = statistics.median(v)
            if t != "anon":
                noise = max(noise, spread(v))
            delta = 1e9 / med - 1e9 / ref_med
            line += f"{med / ref_med:>10.3f} ({delta:>+8.0f})"
            if t != "anon" and med / ref_med < 1.0:
                below.append((t, m, med / ref_med, delta))
        worst_noise = max(worst_noise, noise)
        anon = runs.get(("anon", m))
        out.append(line + f"{noise:>8.2%}" + (f"{spread(anon):>12.2%}" if anon else f"{'n/a':>12}"))
    out.append(f"noise: half the spread of the rounds around their median, the largest of shmem's "
               f"and the types' in the row (what the ratios are made of); largest of all "
               f"{worst_noise:.2%} (limit {NOISE_LIMIT:.0%}). anon, a reference only, has its own")
    return below, worst_noise


def steps_table(rows, types, out):
    per = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for s in STEPS + ["total"]:
            per[(r["type"], r["mode"])][s].append(float(r[s]))
    out.append("")
    out.append("per step, guest ns (= instructions) per round trip, median of the rounds of the "
               "timestamped pass (its clock reads included)")
    out.append(f"{'mode':<17}{'type':<15}" + "".join(f"{s:>18}" for s in STEPS) + f"{'total':>10}")
    med = {}
    for m in MODES[1:]:
        for t in types:
            if (t, m) not in per:
                continue
            vals = {s: statistics.median(v) for s, v in per[(t, m)].items()}
            med[(t, m)] = vals
            line = f"{m:<17}{t:<15}"
            for s in STEPS:
                ref = med.get((REFERENCE, m), {}).get(s)
                d = f" ({vals[s] - ref:+.0f})" if ref is not None and t != REFERENCE else ""
                line += f"{vals[s]:>10.0f}{d:<8}"
            out.append(line + f"{vals['total']:>10.0f}")
    return med


def indirection_table(path_of_log, runs, types, out):
    found = indirection(path_of_log)
    out.append("")
    if not found:
        out.append("shim indirection: no KUnit lines (uffd_shim_indirection did not run)")
        return {}
    for what, (shim, direct) in found.items():
        out.append(f"shim indirection, {what}: {shim} ns/op through vm_uffd_ops and the shim, "
                   f"{direct} ns/op called directly: {shim - direct:+d} ns")
    fractions = {}
    for what, ns in costs(path_of_log).items():
        out.append(f"cost of {what}: {ns} ns (instructions) each, on this 1-vCPU boot")
    shim_types = [t for t in types if t not in (REFERENCE, "anon")]
    for m in MODES:
        case = INDIRECTION_OF.get(m)
        trips = [1e9 / statistics.median(runs[(t, m)]) for t in shim_types if (t, m) in runs]
        if not trips:
            continue
        if case is None:
            fractions[m] = 0.0
            out.append(f"  {m:<17} no vm_uffd_ops call on the path: 0%")
            continue
        if case not in found:
            continue
        extra = max(0, found[case][0] - found[case][1])
        fractions[m] = extra / min(trips)
        out.append(f"  {m:<17} {extra} ns of a round trip of {min(trips):.0f} ns (the shortest "
                   f"of the types): {fractions[m]:.2%} (limit {INDIRECTION_LIMIT:.0%})"
                   + (", an upper bound: the cycle includes the undo path"
                      if case.startswith("alloc") else ""))
    return fractions


def wall_clock(rows, types, out):
    """Medians of the rates, and of each round's ratio to shmem's rate in
    the same round (the rounds are interleaved: drift cancels in them)."""
    runs = defaultdict(dict)
    for r in rows:
        runs[(r["type"], r["mode"], int(r["threads"]), r["layout"])][int(r["round"])] = \
            float(r["faults_per_second"])
    if not runs:
        return {}, {}
    stats = {k: median_ci(list(v.values())) for k, v in runs.items()}
    ratios = {}
    for k, v in runs.items():
        ref = runs.get((REFERENCE,) + k[1:], {})
        paired = [v[r] / ref[r] for r in v if r in ref]
        if paired:
            ratios[k] = median_ci(paired)
    rounds = min(len(v) for v in runs.values())
    level = min(s[3] for s in stats.values())
    out.append("")
    out.append(f"wall-clock scaling: 2 vCPUs, round trips per second (host time: compare within "
               f"the run), median of {rounds} interleaved rounds [{level:.0%} interval]; then the "
               "median of the per-round ratios to shmem [interval]")
    out.append(f"{'mode':<16}{'layout':<11}{'thr':>4}" + "".join(f"{t:>42}" for t in types))
    for m in MODES:
        for layout in ("per-thread", "shared"):
            for n in (1, 2, 4):
                if (REFERENCE, m, n, layout) not in stats:
                    continue
                line = f"{m:<16}{layout:<11}{n:>4}"
                for t in types:
                    s, q = stats.get((t, m, n, layout)), ratios.get((t, m, n, layout))
                    if not s or not q:
                        line += f"{'n/a':>42}"
                        continue
                    cell = f"{s[0]:.0f} [{s[1]:.0f}-{s[2]:.0f}] {q[0]:.2f} [{q[1]:.2f}-{q[2]:.2f}]"
                    line += f"{cell:>42}"
                out.append(line)
    return stats, ratios


def previous(path, det_ratios, out):
    old = {}
    for r in read_csv(path):
        if r.get("measure") == "deterministic" and r["metric"] == "faults_per_second" and \
                r["ratio_to_shmem"]:
            old[(r["type"], r["mode"])] = float(r["ratio_to_shmem"])
    common = [k for k in det_ratios if k in old]
    out.append("")
    if not common:
        out.append("no previous run to compare the deterministic ratios with")
        return
    moved = max(common, key=lambda k: abs(det_ratios[k] / old[k] - 1))
    out.append(f"deterministic ratios against the previous make bench: largest change "
               f"{abs(det_ratios[moved] / old[moved] - 1):.2%} ({moved[0]} {moved[1]}: "
               f"{old[moved]:.3f} then, {det_ratios[moved]:.3f} now) over {len(common)} rows")


def write_csv(path, det, steps, wall, wall_ratios):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["measure", "type", "mode", "threads", "layout", "metric", "rounds",
                    "median", "low", "high", "ratio_to_shmem", "noise"])
        for (t, m), v in sorted(det.items()):
            ref = det.get((REFERENCE, m))
            ratio = f"{statistics.median(v) / statistics.median(ref):.4f}" if ref else ""
            w.writerow(["deterministic", t, m, 1, "per-thread", "faults_per_second", len(v),
                        f"{statistics.median(v):.1f}", f"{min(v):.1f}", f"{max(v):.1f}",
                        ratio, f"{spread(v):.5f}"])
        for (t, m), vals in sorted(steps.items()):
            for s, v in vals.items():
                w.writerow(["deterministic", t, m, 1, "per-thread", f"{s}_ns", "",
                            f"{v:.0f}", "", "", "", ""])
        for (t, m, n, layout), (med, lo, hi, _) in sorted(wall.items()):
            w.writerow(["wall-clock", t, m, n, layout, "faults_per_second", "",
                        f"{med:.1f}", f"{lo:.1f}", f"{hi:.1f}", "", ""])
        for (t, m, n, layout), (med, lo, hi, _) in sorted(wall_ratios.items()):
            w.writerow(["wall-clock", t, m, n, layout, "ratio_to_shmem_per_round", "",
                        f"{med:.4f}", f"{lo:.4f}", f"{hi:.4f}", f"{med:.4f}", ""])


def plot(path, det, steps, wall, types):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shim = [t for t in types if t not in (REFERENCE, "anon")]
    fig, ax = plt.subplots(2, 2, figsize=(16, 10))

    a = ax[0][0]
    width = 0.8 / max(1, len(shim) + 1)
    lowest = 0.8
    for j, t in enumerate(shim + ["anon"]):
        xs, ys = [], []
        for i, m in enumerate(MODES):
            if (t, m) in det and (REFERENCE, m) in det:
                xs.append(i + (j - len(shim) / 2) * width)
                ys.append(statistics.median(det[(t, m)]) / statistics.median(det[(REFERENCE, m)]))
        a.bar(xs, ys, width, label=t)
        lowest = min([lowest] + [y - 0.05 for y in ys])
        for x, y in zip(xs, ys):
            if y > 1.25:    # off the scale: anon's first touch maps the zero page
                a.text(x, 1.22, f"{y:.1f}", ha="center", fontsize=7)
    a.set_ylim(lowest, 1.25)
    a.axhline(1.0, color="black", linewidth=0.8)
    a.set_xticks(range(len(MODES)))
    a.set_xticklabels(MODES, rotation=15)
    a.set_ylabel("round trips/s, ratio to shmem")
    a.set_title("deterministic (1 vCPU, -icount): ratio to shmem")
    a.legend(fontsize=8)

    a = ax[0][1]
    colors = ["tab:blue", "tab:orange", "tab:green"]
    ticks, labels, x = [], [], 0.0
    for m in MODES[1:]:
        for t in types:
            if (t, m) not in steps:
                continue
            bottom = 0
            for s, c in zip(STEPS, colors):
                v = steps[(t, m)][s]
                a.bar(x, v, 0.8, bottom=bottom, color=c, label=s if not ticks else None)
                bottom += v
            ticks.append(x)
            labels.append(f"{m} {t}")
            x += 1
        x += 0.6
    a.set_xticks(ticks)
    a.set_xticklabels(labels, rotation=90, fontsize=6)
    a.set_ylabel("guest ns (instructions) per round trip")
    a.set_title("deterministic, per step: fault to message, resolving call, wake to resume")
    a.legend(fontsize=8)

    level = min([v[3] for v in wall.values()] or [0])
    for a, m in zip(ax[1], ["missing-copy", "minor-continue"]):
        for t in types:
            for layout, style in (("per-thread", "-"), ("shared", "--")):
                pts = [(n, wall[(t, m, n, layout if n > 1 else "per-thread")])
                       for n in (1, 2, 4)
                       if (t, m, n, layout if n > 1 else "per-thread") in wall]
                if not pts:
                    continue
                a.errorbar([p[0] for p in pts], [p[1][0] for p in pts],
                           yerr=[[p[1][0] - p[1][1] for p in pts], [p[1][2] - p[1][0] for p in pts]],
                           linestyle=style, marker="o", capsize=3,
                           color=f"C{types.index(t)}", label=f"{t} {layout}")
        a.set_xticks([1, 2, 4])
        a.set_xlabel("faulting threads (2 vCPUs)")
        a.set_ylabel("round trips/s (wall clock)")
        a.set_title(f"wall-clock scaling, {m}: median, {level:.0%} interval "
                    "(solid: userfaultfd per thread, dashed: shared)")
        a.legend(fontsize=7, ncol=2)
    fig.suptitle("uffd-shim make bench")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    top = sys.argv[1]
    rate = ("threads", "round", "faults_per_second")
    det_rows = read_csv(f"{top}/deterministic/rates.csv", *rate)
    step_rows = read_csv(f"{top}/deterministic/steps.csv", "round", *STEPS, "total")
    wall_rows = read_csv(f"{top}/wall-clock/rates.csv", *rate)
    types = ordered_types(det_rows + wall_rows)
    out = []

    cpus = log_matches(f"{top}/deterministic/environment.log", r"^cpus (\d+)")
    if cpus and int(cpus[0][0]) != 1:
        out.append(f"WARNING: the deterministic boot had {cpus[0][0]} CPUs, not 1")
    det = deterministic(det_rows)
    below, noise = det_table(det, types, out)
    steps = steps_table(step_rows, types, out)
    fractions = indirection_table(f"{top}/deterministic/indirection.log", det, types, out)
    wall, wall_ratios = wall_clock(wall_rows, types, out)
    ratios = {(t, m): statistics.median(v) / statistics.median(det[(REFERENCE, m)])
              for (t, m), v in det.items() if (REFERENCE, m) in det}
    previous(f"{top}/previous.csv", ratios, out)

    out.append("")
    out.append("rows below 1.00 x shmem (deterministic): " +
               (", ".join(f"{t} {m} {r:.3f} ({d:+.0f} instructions)" for t, m, r, d in below)
                or "none"))
    verdict = [f"noise {noise:.2%} {'<' if noise < NOISE_LIMIT else '>='} {NOISE_LIMIT:.0%}"]
    if fractions:
        worst = max(fractions.values())
        verdict.append(f"shim indirection at most {worst:.2%} of a round trip "
                       f"({'<' if worst < INDIRECTION_LIMIT else '>='} {INDIRECTION_LIMIT:.0%})")
    out.append("; ".join(verdict))
    print("\n".join(out))

    write_csv(f"{top}/bench.csv", det, steps, wall, wall_ratios)
    plot(f"{top}/bench.png", det, steps, wall, types)
    print(f"wrote {top}/bench.csv and {top}/bench.png")


if __name__ == "__main__":
    main()
