#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Independent reader of /proc/kpageflags samples for the tests: classifies
every pageblock as issue #14 defines it (free: only free pages; movable:
LRU and free pages only; polluted: an allocated page neither LRU nor free)
without libfragalloc, and compares with `fragalloc frag --blocks --json`.

  kpf_oracle.py KPAGEFLAGS ORDER ZONEINFO POOL|- PFNS|- CLI.json
Exit 0 when they agree; the differences on stderr otherwise."""
import json
import struct
import sys

NOPAGE, BUDDY, LRU, HEAD, TAIL = 1 << 20, 1 << 10, 1 << 5, 1 << 15, 1 << 16


def main():
    kpf, order, zinfo, pool, pfns, cli = sys.argv[1:7]
    order = int(order)
    ppb = 1 << order
    raw = open(kpf, "rb").read()
    flags = struct.unpack("<%dQ" % (len(raw) // 8), raw)
    zones = []
    cur = None
    for line in open(zinfo):
        w = line.split()
        if line.startswith("Node "):
            cur = {"node": int(w[1].rstrip(",")), "zone": w[3], "span": 0, "start": None}
            zones.append(cur)
        elif w and w[0] == "spanned":
            cur["span"] = int(w[1])
        elif w and w[0] == "start_pfn:":
            cur["start"] = int(w[1])
    zones = [z for z in zones if z["span"]]
    pool_state = {}
    if pool != "-":
        for line in open(pool).read().splitlines()[1:]:
            w = line.split()
            pool_state[int(w[0], 16) >> order] = w[2]
    own = set()
    if pfns != "-":
        own = {int(x, 0) for x in open(pfns).read().split()} - {0, 2**64 - 1}

    def zone_of(pfn):
        for i, z in enumerate(zones):
            if z["start"] <= pfn < z["start"] + z["span"]:
                return i
        return -1

    names = ["absent", "free", "movable", "polluted", "pool", "loose"]
    tot = dict.fromkeys(names, 0)
    mtot = dict.fromkeys(names, 0)
    ztot = [dict.fromkeys(names, 0) for _ in zones]
    pages = {"free": 0, "lru": 0, "other": 0}
    own_blocks = pol_own = pol_own_only = 0
    chars = {"absent": " ", "free": ".", "movable": "m", "polluted": "X", "pool": "P", "loose": "L"}
    smap = ""
    head = "other"
    for b in range((len(flags) + ppb - 1) // ppb):
        cnt = {"free": 0, "lru": 0, "other": 0}
        own_n = own_other = 0
        zone = -1
        for pfn in range(b * ppb, min(len(flags), (b + 1) * ppb)):
            f = flags[pfn]
            if f & NOPAGE:
                continue
            if f & BUDDY:
                k = "free"
            elif f & LRU:
                k = "lru"
            elif f & TAIL:
                k = head
            else:
                k = "other"
            if f & HEAD:
                head = k
            cnt[k] += 1
            if zone < 0:
                zone = zone_of(pfn)
            if pfn in own:
                own_n += 1
                own_other += k == "other"
        if zone < 0:
            zone = zone_of(min(len(flags), (b + 1) * ppb) - 1)
        for k in cnt:
            pages[k] += cnt[k]
        if not sum(cnt.values()):
            c = "absent"
        elif cnt["other"]:
            c = "polluted"
        elif cnt["lru"]:
            c = "movable"
        else:
            c = "free"
        only = c == "polluted" and own_other and own_other == cnt["other"]
        m = c
        if pool != "-":
            st = pool_state.get(b)
            if st in ("owned", "isolated"):
                m = "pool"
            elif st == "loose" or own_n:
                m = "loose"
        elif own_n:
            m = "pool" if only and not cnt["lru"] else "loose"
        tot[c] += 1
        mtot[m] += 1
        if zone >= 0:
            ztot[zone][c] += 1
        own_blocks += own_n > 0
        pol_own += c == "polluted" and own_n > 0
        pol_own_only += bool(only)
        smap += chars[m]
    d = json.load(open(cli))
    want = {
        "blocks": tot, "map_blocks": mtot, "pages": pages,
        "own": {"pages": len(own), "blocks": own_blocks, "polluted": pol_own,
                "polluted_only_by_own": pol_own_only},
        "zones": [{"zone": z["zone"], "blocks": ztot[i]} for i, z in enumerate(zones)],
        "map": smap,
    }
    got = {
        "blocks": d["blocks"], "map_blocks": d["map_blocks"],
        "pages": {k: d["pages"][k] for k in pages},
        "own": {k: d["own"][k] for k in want["own"]},
        "zones": [{"zone": z["zone"], "blocks": z["blocks"]} for z in d["zones"]],
        "map": d.get("map"),
    }
    bad = [k for k in want if want[k] != got[k]]
    for k in bad:
        print("%s: oracle %s, fragalloc %s" % (k, want[k], got[k]), file=sys.stderr)
    if not bad:
        print("# oracle: %d blocks, %d polluted, %d own polluted" % (
            sum(tot.values()), tot["polluted"], pol_own))
    return 1 if bad else 0


sys.exit(main())
