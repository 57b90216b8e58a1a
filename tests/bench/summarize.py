#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarize the separate-boot benchmark (scripts/bench.sh).

Reads every results/*.json (one per workload run, "### BENCH-RESULT" lines of
the guests), prints one table per workload (rows: strategies; cells: median
and min-max over the seeds), the speed ratios and the issue's targets, and
writes OUT/summary.json, OUT/summary.md and, with --chart, a PNG of free
memory per order per strategy for workload A (gnuplot).
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

STRATS = ["none", "plain", "bulk", "highorder", "compact", "compact+recompact"]
PEERS = ["plain", "bulk", "highorder"]


def ge(fb, lo):
    return sum(n for o, n in enumerate(fb) if o >= lo)


def mb_ge(fb, lo):
    """free memory in blocks of order >= lo, in MiB"""
    return sum(n * (1 << o) for o, n in enumerate(fb) if o >= lo) * 4 / 1024


def figures(r):
    fb = r["free_blocks"]
    ld = r.get("load") or {}
    f = {
        "held_mb": ld.get("pages", 0) * 4 / 1024,
        "blocks_touched": ld.get("blocks_touched", 0),
        "blocks_optimum": ld.get("blocks_optimum", 0),
        "unmovable_pb": r["unmovable_pageblocks"],
        "free_ge3": ge(fb, 3),
        "free_2m": sum(n << (o - 9) for o, n in enumerate(fb) if o >= 9),
        "unusable_3": r["unusable_3"],
        "unusable_9": r["unusable_9"],
        "huge": r["huge_obtained"],
        "huge_share": r["huge_share"],
        "extfrag": r["extfrag_events"],
        "load_wall_s": r["load_wall_s"],
        "driver_s": ld.get("load_s", 0) + ld.get("recompact_s", 0),
        "alloc_fail": ld.get("alloc_fail", 0),
    }
    f["touched_over_opt"] = f["blocks_touched"] - f["blocks_optimum"]
    return f


# column: (key, header, format, better)  better: "lo" or "hi"
COLS = [
    ("held_mb", "MB held", "{:.0f}", None),
    ("blocks_touched", "pageblocks touched", "{:.0f}", "lo"),
    ("blocks_optimum", "optimum", "{:.0f}", None),
    ("unmovable_pb", "unmovable pageblocks", "{:.0f}", "lo"),
    ("free_ge3", "free blocks order>=3", "{:.0f}", None),
    ("free_2m", "free 2 MiB blocks", "{:.0f}", "hi"),
    ("unusable_3", "unusable idx o3", "{:.3f}", "lo"),
    ("unusable_9", "unusable idx o9", "{:.3f}", "lo"),
    ("huge", "huge pages", "{:.0f}", "hi"),
    ("huge_share", "huge / (free/2M)", "{:.3f}", "hi"),
    ("extfrag", "extfrag events", "{:.0f}", "lo"),
    ("load_wall_s", "load wall s", "{:.1f}", None),
    ("alloc_fail", "failed allocs", "{:.0f}", None),
]


def cell(vals, fmt):
    if not vals:
        return "-"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt.format(med)
    return "{} [{}–{}]".format(fmt.format(med), fmt.format(min(vals)),
                               fmt.format(max(vals)))


def table(rows, title):
    head = ["strategy"] + [c[1] for c in COLS]
    lines = ["### " + title, "", "| " + " | ".join(head) + " |",
             "| --- " + "| ---: " * len(COLS) + "|"]
    for s in STRATS:
        if s not in rows:
            continue
        cells = [s] + [cell([f[k] for f in rows[s]], fmt) for k, _, fmt, _ in COLS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def med(rows, s, k):
    v = [f[k] for f in rows.get(s, [])]
    return statistics.median(v) if v else None


def targets(rows, speed):
    out = []

    def add(name, ok, detail):
        out.append({"target": name, "met": ok, "measured": detail})

    if "compact+recompact" in rows:
        t = med(rows, "compact+recompact", "blocks_touched")
        o = med(rows, "compact+recompact", "blocks_optimum")
        add("A: compact+recompact pageblocks touched <= optimum + 1 per class",
            t <= o + 1, "median {:.0f} touched vs optimum {:.0f} (max over seeds {:.0f})".format(
                t, o, max(f["touched_over_opt"] for f in rows["compact+recompact"]) + o))
    if "none" in rows:
        hn = med(rows, "none", "huge_share")
        un = med(rows, "none", "unusable_3")
        for s in ("compact", "compact+recompact"):
            if s not in rows:
                continue
            h = med(rows, s, "huge_share")
            add("A: %s huge pages obtainable >= 90%% of none (share of free/2 MiB)" % s,
                h >= 0.9 * hn, "{:.3f} vs none {:.3f} = {:.1f}%".format(h, hn, 100 * h / hn if hn else 0))
            u = med(rows, s, "unusable_3")
            add("A: %s unusable free space index o3 within 0.05 of none" % s,
                abs(u - un) <= 0.05, "{:.3f} vs none {:.3f} (diff {:+.3f})".format(u, un, u - un))
    # a peer that could not hold the load's memory is not comparable
    full = max((med(rows, p, "held_mb") or 0) for p in rows)
    peerset = [p for p in PEERS if p in rows and med(rows, p, "held_mb") >= 0.99 * full]
    skipped = [p for p in PEERS if p in rows and p not in peerset]
    for s in ("compact", "compact+recompact"):
        if s not in rows or not peerset:
            continue
        worse = []
        for k, hdr, fmt, better in COLS:
            if not better:
                continue
            peers = [med(rows, p, k) for p in peerset]
            best = min(peers) if better == "lo" else max(peers)
            v = med(rows, s, k)
            if (better == "lo" and v > best) or (better == "hi" and v < best):
                worse.append("{} {} vs best peer {}".format(hdr, fmt.format(v), fmt.format(best)))
        add("A: every %s figure at least as good as the best of plain/bulk/highorder" % s,
            not worse, "; ".join(worse) if worse else "all figures at least as good")
    if speed:
        r = speed["alloc_free_vs_bulk"]["compact"]
        add("speed: compact allocate+free pages/s >= 1.0x bulk", r >= 1.0,
            "{:.2f}x".format(r))
    return out


def chart(rows, path, kver, seeds):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dat = path + ".dat"
    strats = [s for s in STRATS if s in rows]
    norders = max(len(f) for s in strats for f in rows[s]["_fb"])
    with open(dat, "w") as f:
        f.write("order " + " ".join('"%s"' % s for s in strats) + "\n")
        for o in range(norders):
            vals = []
            for s in strats:
                v = [fb[o] * (1 << o) * 4 / 1024 if o < len(fb) else 0 for fb in rows[s]["_fb"]]
                vals.append("%.2f" % statistics.median(v))
            f.write("%d %s\n" % (o, " ".join(vals)))
    gp = """set terminal pngcairo noenhanced size 1100,560 font ",10"
set output '{out}'
set title "Workload A, driver holding 360 MB: free memory per order (median of seeds {seeds}; {kver}, 1 GiB guest, after drop_caches)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xlabel "buddy order (a free block of order n is 4 KiB x 2^n)"
set ylabel "free memory in blocks of this order (MiB)"
set key top left
set grid ytics
set yrange [0:*]
plot for [i=2:{n}] '{dat}' using i:xtic(1) title columnheader(i)
""".format(out=path, dat=dat, n=len(strats) + 1, kver=kver, seeds=seeds)
    gpf = path + ".gp"
    with open(gpf, "w") as f:
        f.write(gp)
    subprocess.run(["gnuplot", gpf], check=True)
    os.unlink(gpf)
    os.unlink(dat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", default="quick")
    ap.add_argument("--kver", default="")
    ap.add_argument("--seeds", default="")
    ap.add_argument("--cycles", default="")
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--chart")
    a = ap.parse_args()

    by_wl = {}
    speed = None
    raw = []
    for fn in sorted(glob.glob(os.path.join(a.results, "*.json"))):
        with open(fn) as f:
            r = json.load(f)
        raw.append(r)
        if r["kind"] == "speed":
            speed = r["speed"]
            continue
        f = figures(r)
        f["seed"] = r["seed"]
        by_wl.setdefault(r["workload"], {}).setdefault(r["strategy"], []).append(f)
        by_wl[r["workload"]].setdefault("_fb_" + r["strategy"], []).append(r["free_blocks"])

    md = []
    titles = {"a": "Workload A: 360 MB in 40 MB batches, %s cycles, with page-cache, slab and anonymous churn" % a.cycles,
              "b": "Workload B: 8 interleaved streams of 64-page batches (256 MB), every other stream freed"}
    tg = []
    for wl in sorted(by_wl):
        rows = {s: v for s, v in by_wl[wl].items() if not s.startswith("_fb_")}
        md.append(table(rows, titles.get(wl, wl)))
        md.append("")
        if wl == "a":
            tg = targets(rows, speed)
            if a.chart:
                crow = {s: {"_fb": by_wl[wl]["_fb_" + s]} for s in rows}
                chart(crow, a.chart, a.kver, a.seeds)
    if speed:
        md.append("### Speed (same guest, median of %d rounds)" % speed["reps"])
        md.append("")
        md.append("| figure | value | ratio |")
        md.append("| --- | ---: | ---: |")
        for p in ("compact", "plain", "bulk", "highorder"):
            md.append("| allocate+free 40 MB batches, %s | %.0f pages/s | %.2fx bulk |" % (
                p, speed["alloc_free_pages_s"][p], speed["alloc_free_vs_bulk"][p]))
        md.append("| map and touch a 40 MB batch | %.0f MB/s | %.2fx anonymous mmap(MAP_POPULATE) + touch (%.0f MB/s) |" % (
            speed["map_touch_mb_s"], speed["map_touch_vs_anon"], speed["anon_populate_touch_mb_s"]))
        md.append("| recompact (half-free pageblocks, %d MB copied) | %.0f MB/s | %.2fx memcpy (%.0f MB/s) |" % (
            speed["recompact_bytes"] >> 20, speed["recompact_mb_s"], speed["recompact_vs_memcpy"], speed["memcpy_mb_s"]))
        md.append("")
    if tg:
        md.append("### Targets (workload A; reported, not asserted)")
        md.append("")
        md.append("| target | met | measured |")
        md.append("| --- | --- | --- |")
        for t in tg:
            md.append("| %s | %s | %s |" % (t["target"], "yes" if t["met"] else "**no**", t["measured"]))
        md.append("")
    text = "\n".join(md)
    print(text)
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(text + "\n")
    summ = {"mode": a.mode, "kver": a.kver, "seeds": a.seeds, "cycles": a.cycles,
            "elapsed_s": a.elapsed, "targets": tg, "speed": speed,
            "workloads": {wl: {s: v for s, v in d.items() if not s.startswith("_fb_")}
                          for wl, d in by_wl.items()},
            "raw": raw}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summ, f, indent=1)
    missing = [(wl, s) for wl in by_wl for s in STRATS
               if s not in by_wl[wl]] if by_wl else [("any", "any")]
    return 0 if not missing or os.environ.get("STRATS") else 1


if __name__ == "__main__":
    sys.exit(main())
