#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarize the long-run benchmark (`make bench-long`, scripts/bench.sh long).

Reads results/A-STRAT-sSEED-1.json (one fresh guest per strategy, each with
"samples": the metrics after the first fill and every EVERY cycles, the driver
holding its memory; tests/bench/sample.c) and results/boots.txt (which boots
ran to the end: a failed boot is listed, not charted). Writes OUT/long.json,
OUT/long.md (one table per metric: rows are the sample points, columns the
strategies; the targets of issue 14 with the figures behind them) and, with
--charts DIR, one PNG per metric (gnuplot), one line per strategy.

Targets (reported, never asserted: the run passes when its boots ran):
  1. at every sample after compact's first automatic recompaction, the
     pageblocks compact's pages pollute <= their optimum + 1 (one class);
  2. at every sample compact's huge pages obtainable >= plain's;
  3. at the end compact's huge pages >= 0.97x the no-driver guest's.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import gnuplot  # noqa: E402  (the benchmark's one gnuplot runner)

STRATS = ["none", "plain", "bulk", "highorder", "compact", "movable"]
# the load allocates one mobility class (FRAGALLOC_UNMOVABLE)
CLASSES = 1
COLORS = {"none": "#404040", "plain": "#009e73", "bulk": "#56b4e9",
          "highorder": "#e69f00", "compact": "#d55e00", "movable": "#0072b2"}

# (key, chart file, title, y label)
METRICS = [
    ("huge", "long-huge.png",
     "Huge pages obtainable (compact_memory, then one request for 1024)",
     "2 MiB huge pages obtained"),
    ("huge_share", "long-huge-share.png",
     "Huge pages obtainable as a share of free memory",
     "huge pages x 2 MiB / MemFree"),
    ("huge_direct", "long-huge-direct.png",
     "Huge pages of a one-shot request (no compact_memory first)",
     "2 MiB huge pages obtained"),
    ("polluted", "long-polluted.png",
     "Polluted pageblocks (holding any allocated non-LRU page)",
     "pageblocks"),
    ("polluted_own", "long-polluted-own.png",
     "Polluted pageblocks holding the driver's pages (dashed: optimum + 1; "
     "movable not shown: kpageflags cannot tell its pages are movable)",
     "pageblocks"),
    ("touched_excess", "long-touched.png",
     "Pageblocks the driver's pages touch, minus the optimum",
     "pageblocks over ceil(pages / 512)"),
    ("unusable_3", "long-unusable3.png",
     "Unusable free space index at order 3", "index (0..1)"),
    ("extfrag_events", "long-extfrag.png",
     "mm_page_alloc_extfrag events so far", "events"),
]


def load(results):
    boots = {}
    fn = os.path.join(results, "boots.txt")
    if os.path.exists(fn):
        with open(fn) as f:
            for line in f:
                w = line.split()
                if w:
                    boots[w[0]] = line.strip()
    retried = set()
    fn = os.path.join(results, "retried.txt")
    if os.path.exists(fn):
        with open(fn) as f:
            retried = {line.split()[0] for line in f if line.strip()}
    runs, failed = {}, {}
    for name, line in sorted(boots.items()):
        # NAME = A-STRAT-sSEED
        strat = name[2:].rsplit("-s", 1)[0]
        if " ok " not in line + " ":
            failed[strat] = line
            continue
        path = os.path.join(results, name + "-1.json")
        try:
            with open(path) as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            failed[strat] = "%s: %s" % (path, e)
            continue
        if d.get("kind") == "skip":
            failed[strat] = "skipped: " + d.get("reason", "")
            continue
        d["retried"] = name in retried
        for s in d.get("samples", []):
            s["touched_excess"] = s["blocks_touched"] - s["blocks_optimum"]
            s["huge_share"] = round(s["huge"] * 2048 / s["memfree_kb"], 4) \
                if s["memfree_kb"] > 0 else 0.0
        runs[strat] = d
    return runs, failed


def series(runs, key):
    """{strategy: {cycle: value}}; the no-driver guest has no driver figures"""
    out = {}
    for s, d in runs.items():
        if s == "none" and key in ("polluted_own", "touched_excess"):
            continue
        # /proc/kpageflags has no flag for a non-LRU movable page: the
        # movable policy's pages would count as pollution the kernel's
        # compaction in fact clears (its blocks touched are in the tables)
        if s == "movable" and key == "polluted_own":
            continue
        out[s] = {p["cycle"]: p[key] for p in d["samples"]}
    return out


def targets(runs):
    t = []
    c, p, n = runs.get("compact"), runs.get("plain"), runs.get("none")
    if c:
        first = next((x["cycle"] for x in c["samples"] if x["auto_runs"] > 0), None)
        after = [x for x in c["samples"] if first is not None and x["cycle"] >= first]
        worst = max(after, key=lambda x: x["polluted_own"] - x["blocks_optimum"],
                    default=None)
        ok = bool(after) and all(x["polluted_own"] <= x["blocks_optimum"] + CLASSES
                                 for x in after)
        t.append({
            "target": "compact's polluted pageblocks <= optimum + %d after its first "
                      "automatic recompaction" % CLASSES,
            "met": ok,
            "detail": "first automatic run by cycle %s; %d samples after it; worst "
                      "%s" % (first, len(after),
                              "cycle %d: %d polluted, optimum %d" % (
                                  worst["cycle"], worst["polluted_own"],
                                  worst["blocks_optimum"]) if worst else "none"),
        })
    if c and p:
        pc = {x["cycle"]: x["huge"] for x in p["samples"]}
        cmp_ = [(x["cycle"], x["huge"], pc[x["cycle"]]) for x in c["samples"]
                if x["cycle"] in pc]
        bad = [z for z in cmp_ if z[1] < z[2]]
        t.append({
            "target": "compact's huge pages >= plain's at every sample",
            "met": bool(cmp_) and not bad,
            "detail": "%d of %d samples below plain%s" % (
                len(bad), len(cmp_),
                ": " + ", ".join("cycle %d %d < %d" % z for z in bad[:8]) if bad else ""),
        })
    if c and n:
        # the driver holds 360 MB the no-driver guest has free: the counts
        # are compared as shares of free memory (huge_share), as make bench's
        # probe target does; the raw counts are given too
        cl, nl = c["samples"][-1], n["samples"][-1]
        r = cl["huge_share"] / nl["huge_share"] if nl["huge_share"] else 0
        es = lambda d: d["huge_obtained"] * 2048 / d["memfree_kb"] if d["memfree_kb"] else 0
        re_ = es(c) / es(n) if es(n) else 0
        t.append({
            "target": "compact's huge pages at the end >= 0.97x none's (as shares of "
                      "free memory)",
            "met": r >= 0.97,
            "detail": "last sample (cycle %d): share %.3f / %.3f = %.3fx (counts %d / "
                      "%d); end-of-run one-shot probe %.3fx (counts %d / %d); "
                      "compaction_test %d / %d" % (
                          cl["cycle"], cl["huge_share"], nl["huge_share"], r,
                          cl["huge"], nl["huge"], re_,
                          c["huge_obtained"], n["huge_obtained"],
                          c["compaction_test_huge"], n["compaction_test_huge"]),
        })
    return t


def fmt(v):
    return "%.3f" % v if isinstance(v, float) else str(v)


def table(runs, key):
    ser = series(runs, key)
    strats = [s for s in STRATS if s in ser]
    cycles = sorted({c for s in strats for c in ser[s]})
    lines = ["| cycle | " + " | ".join(strats) + " |",
             "|---:|" + "---:|" * len(strats)]
    for cy in cycles:
        lines.append("| %d | " % cy + " | ".join(
            fmt(ser[s].get(cy, "")) for s in strats) + " |")
    return lines


def chart(runs, key, path, title, ylabel, sub):
    ser = series(runs, key)
    strats = [s for s in STRATS if s in ser]
    if not strats:
        return
    dat = path + ".dat"
    cycles = sorted({c for s in strats for c in ser[s]})
    with open(dat, "w") as f:
        f.write("cycle " + " ".join('"%s"' % s for s in strats) +
                (' "optimum"' if key == "polluted_own" else "") + "\n")
        for cy in cycles:
            vals = [fmt(ser[s].get(cy, "NaN")) for s in strats]
            if key == "polluted_own":
                opt = [x["blocks_optimum"] for x in runs["compact" if "compact" in runs
                                                         else strats[0]]["samples"]
                       if x["cycle"] == cy]
                vals.append(str(opt[0] + CLASSES) if opt else "NaN")
            f.write("%d %s\n" % (cy, " ".join(vals)))
    n = len(strats) + 1
    extra = ""  # the optimum's column follows the strategies' (polluted_own)
    if key == "polluted_own":
        extra = ", '%s' using 1:%d with lines dt 2 lw 2 lc rgb 'black' " \
                "title 'optimum + 1'" % (dat, n + 1)
    gp = """set terminal pngcairo noenhanced size 1000,520 font ",10"
set output '{out}'
set title "{title}\\n{sub}"
set xlabel "driver cycle (one cycle: 30% of batches freed, 30% punched, refilled)"
set ylabel "{ylabel}"
set key outside right top
set tmargin 4
set grid
set yrange [0:*]
plot {lines}{extra}
""".format(out=path, title=title, ylabel=ylabel, sub=sub, extra=extra,
           lines=", ".join(
               "'%s' using 1:%d with linespoints lw %d pt 7 ps 0.6 lc rgb '%s' "
               "title columnheader(%d)" % (dat, i + 2, 3 if st == "compact" else 2,
                                           COLORS.get(st, "gray"), i + 2)
               for i, st in enumerate(strats)))
    gnuplot(gp, path, dat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kver", default="")
    ap.add_argument("--cycles", type=int, default=0)
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--charts", default="")
    a = ap.parse_args()
    runs, failed = load(a.results)
    if not runs:
        print("long: no result to summarize in %s" % a.results, file=sys.stderr)
        return 2
    first = next(iter(runs.values()))
    date = subprocess.run(["date", "-u", "+%F"], capture_output=True,
                          text=True).stdout.strip()
    sub = ("workload A, %d cycles, driver 360 MB in 40 MB batches, page-cache + slab "
           "+ anonymous churn throughout\\n%s, 1.5 GiB / 2 vCPU QEMU TCG guest, "
           "one fresh boot per strategy, %s" % (
               first.get("cycles", a.cycles), a.kver, date))
    md = ["# Long run (`make bench-long`)", "",
          "Kernel %s, %s; %d cycles per strategy, one fresh guest each; wall time "
          "%d s." % (a.kver, date, first.get("cycles", a.cycles), a.elapsed), ""]
    md.append("| strategy | cycles | samples | pages held, fewest at a sample | load wall s | "
              "churn passes (slab/anon/page cache) | OOM kills | end probe | "
              "compaction_test |")
    md.append("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for s in STRATS:
        if s in runs:
            d = runs[s]
            ch = d.get("churn") or {}
            md.append("| %s | %d | %d | %d | %s | %s/%s/%s | %d | %d | %d |" % (
                s + (" (booted twice: the first boot failed)" if d.get("retried") else ""),
                d["cycles"], len(d["samples"]),
                min(x["pages"] for x in d["samples"]), d["load_wall_s"],
                ch.get("slab_passes", "-"), ch.get("anon_passes", "-"),
                ch.get("pagecache_passes", "-"), d["oom_kills"],
                d["huge_obtained"], d["compaction_test_huge"]))
        elif s in failed:
            md.append("| %s | failed or skipped: %s | | | | | | | |" % (s, failed[s]))
    md += ["", "## Targets", ""]
    tg = targets(runs)
    for t in tg:
        md.append("- **%s**: %s. %s" % (t["target"], "met" if t["met"] else "NOT met",
                                       t["detail"]))
    for key, png, title, ylabel in METRICS:
        md += ["", "## %s" % title, ""]
        if a.charts:
            md += ["![%s](bench/%s)" % (title, png), ""]
        md += table(runs, key)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "long.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(a.out, "long.json"), "w") as f:
        json.dump({"kver": a.kver, "date": date, "elapsed_s": a.elapsed,
                   "runs": runs, "failed": failed, "targets": tg}, f, indent=1)
    if a.charts:
        os.makedirs(a.charts, exist_ok=True)
        for key, png, title, ylabel in METRICS:
            chart(runs, key, os.path.join(a.charts, png), title, ylabel, sub)
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
