#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes synthetic-blocks.*: a hand-made /proc/kpageflags (pageblock order 4,
16 pages per block, 32 blocks), its /proc/zoneinfo, a fragalloc debugfs
pageblocks list and a PFN list of "own" pages. Rerun to regenerate; the
files are committed, so the tests do not depend on this script."""
import os
import random
import struct

LRU, SLAB, BUDDY, HEAD, TAIL, NOPAGE, THP, PGTABLE = 5, 7, 10, 15, 16, 20, 22, 26
RESERVED, MMAP, ANON = 32, 11, 12
PPB = 16


def f(*bits):
    v = 0
    for b in bits:
        v |= 1 << b
    return v


pages = []
own = []


def block(lst):
    assert len(lst) == PPB, len(lst)
    pages.extend(lst)


block([f(RESERVED)] + [f(BUDDY)] * 15)                       # 0 DMA: polluted
block([f(BUDDY)] * 16)                                       # 1 DMA: free
block([f(NOPAGE)] * 16)                                      # 2 hole: absent
block([f(LRU, MMAP, ANON)] * 5 + [f(BUDDY)] * 11)            # 3 movable
block([f(HEAD, LRU, THP)] + [f(TAIL, THP)] * 15)             # 4 THP, 6.1 tails: movable
block([f(HEAD, SLAB)] + [f(TAIL)] * 7 + [f(BUDDY)] * 8)      # 5 slab: polluted
block([f(BUDDY)] * 15 + [0])                                 # 6 one no-flag page: polluted
block([f(PGTABLE)] + [f(LRU)] * 15)                          # 7 page table: polluted
rnd = random.Random(14)
for b in range(8, 32):
    base = b * PPB
    if b == 10:                       # whole block of own driver pages
        block([0] * 16)
        own.extend(range(base, base + 16))
    elif b == 12:                     # 4 own loose pages among LRU pages
        block([0] * 4 + [f(LRU)] * 12)
        own.extend(range(base, base + 4))
    elif b == 14:                     # 2 own pages, a slab page, free pages
        block([0, 0, f(SLAB)] + [f(BUDDY)] * 13)
        own.extend([base, base + 1])
    elif b == 20:                     # another process's pool block (mapped)
        block([f(MMAP)] * 16)
    elif b == 31:                     # the last block is cut short: 9 pages
        pages.extend([f(BUDDY)] * 8 + [f(LRU)])
    else:
        kind = rnd.choice(["free", "movable", "polluted", "hole"])
        if kind == "free":
            block([f(BUDDY)] * 16)
        elif kind == "movable":
            block([rnd.choice([f(LRU), f(BUDDY)]) for _ in range(16)])
        elif kind == "hole":
            block([f(NOPAGE)] * 8 + [f(BUDDY)] * 8)
        else:
            lst = [rnd.choice([f(LRU), f(BUDDY)]) for _ in range(16)]
            lst[rnd.randrange(16)] = rnd.choice([f(SLAB), 0, f(RESERVED)])
            block(lst)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "synthetic-blocks.kpageflags"), "wb") as out:
    out.write(struct.pack("<%dQ" % len(pages), *pages))
with open(os.path.join(here, "synthetic-blocks.zoneinfo"), "w") as out:
    for name, start, span in (("DMA", 1, 31), ("DMA32", 32, 96),
                              ("Normal", 128, 384), ("Movable", 0, 0)):
        out.write("Node 0, zone %8s\n  pages free     0\n" % name)
        out.write("        spanned  %d\n        present  %d\n" % (span, span))
        if span:
            out.write("  pagesets\n  start_pfn:           %d\n" % start)
with open(os.path.join(here, "synthetic-blocks.pool"), "w") as out:
    out.write("pfn        class       state    used\n")
    out.write("%#010x %-11s %-8s %d\n" % (10 * PPB, "unmovable", "owned", 16))
    out.write("%#010x %-11s %-8s %d\n" % (12 * PPB, "unmovable", "loose", 4))
    out.write("%#010x %-11s %-8s %d\n" % (20 * PPB, "movable", "owned", 16))
with open(os.path.join(here, "synthetic-blocks.pfns"), "w") as out:
    out.write("\n".join(str(p) for p in own) + "\n")
