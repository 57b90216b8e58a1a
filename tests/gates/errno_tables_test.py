#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""errno_tables_test.py - the errno tables of the ioctl fuzzer
(tests/include/fa_ioc.h: fa_iocs[].errnos; tests/fuzz/fa_fuzz.c: DOC_MMAP) and of the fault-injection
test (tests/selftests/faultinject_test.c: FI_OPS(..., ok, ...)) are hand
copies of the DOC block of uapi/linux/fragalloc.h. This host test parses all
three from their source text and fails when they drift apart:

  - the fuzzer's FA_DOC_GENERAL is exactly the "Errnos shared by every ioctl"
    list, and every ioctl's set contains it;
  - the fuzzer's DOC_MMAP is exactly the "mmap() of a batch" errno list;
  - the command-specific errnos the fuzzer allows (over all ioctls) are
    exactly the "Command-specific errnos" list: none missing, none extra;
  - where an entry's text names the calls it applies to ("handle":
    the ioctls whose argument has a handle member; "allocation": ALLOC;
    "recompaction": RECOMPACT), the fuzzer allows it for those calls;
  - every errno a fault-injection op accepts is a command-specific errno of
    the DOC block, and one the fuzzer allows for the same ioctl.

Usage: errno_tables_test.py [UAPI_HEADER FUZZER_C FAULTINJECT_C]
TAP; last line "gates-errno: N passed, N failed, N skipped".
"""

import os
import re
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IOCTLS = ["INFO", "ALLOC", "FREE", "BATCH_INFO", "STATS", "RECOMPACT"]


class Result:
    def __init__(self):
        self.n = self.passed = self.failed = 0

    def check(self, ok, name, detail=()):
        self.n += 1
        if ok:
            self.passed += 1
            print(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            for d in detail:
                print(f"#   {d}")


def fmt(s):
    return "{" + ", ".join(sorted(s)) + "}" if s else "{}"


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def parse_doc(path):
    """-> {section: {errno: text}}, argument structs' members per ioctl"""
    text = open(path).read()
    m = re.search(r"/\*\*?\s*\n\s*\* DOC: General ioctl format(.*?)\*/", text, re.S)
    if not m:
        raise SystemExit(f"{path}: no 'DOC: General ioctl format' block")
    lines = [re.sub(r"^\s*\* ?", "", l) for l in m.group(1).split("\n")]
    sections, cur, item = {}, None, None
    for l in lines:
        if re.match(r"^\S.*:\s*$", l):
            cur = l.strip().rstrip(":")
            sections[cur] = {}
            item = None
            continue
        im = re.match(r"^\s*-\s+(E[A-Z0-9]+):\s*(.*)$", l)
        if im and cur is not None:
            item = im.group(1)
            sections[cur][item] = im.group(2)
        elif re.match(r"^\s*-\s", l) or not l.strip():
            item = None  # a non-errno item (SIGBUS, mremap) or the end
        elif item is not None:
            sections[cur][item] += " " + l.strip()

    def section(prefix):
        names = [s for s in sections if s.startswith(prefix)]
        if len(names) != 1:
            raise SystemExit(f"{path}: DOC block: no single section '{prefix}...' "
                             f"(sections: {list(sections)})")
        return sections[names[0]]

    doc = {
        "general": section("Errnos shared by every ioctl"),
        "specific": section("Command-specific errnos"),
        "mmap": section("mmap() of a batch"),
    }
    # which ioctls take a handle: the kernel-doc comment
    # "struct S - ioctl(FRAGALLOC_IOC_X)" names each argument structure
    body = strip_comments(text)
    structs = {}
    for sm in re.finditer(r"struct\s+(\w+)\s*\{(.*?)\};", body, re.S):
        structs[sm.group(1)] = sm.group(2)
    handle = set()
    for im in re.finditer(r"\* struct (\w+) - ioctl\(FRAGALLOC_IOC_(\w+)\)", text):
        if re.search(r"\bhandle\s*;", structs.get(im.group(1), "")):
            handle.add(im.group(2))
    return doc, handle


def parse_fuzzer(path):
    """-> {ioctl: set of errnos}, {macro: set}

    The per-ioctl errnos are the .errnos of fa_iocs[] in tests/include/
    fa_ioc.h (FA_IOC_DESC(NAME, struct, v1_last, mask, errnos...)), which
    the fuzzer includes; its own DOC_* macros hold the mmap() errnos."""
    text = strip_comments(open(path).read())
    macros = dict(re.findall(r"^#define\s+(DOC_\w+)\s+(.*?)\s*$", text, re.M))

    def expand(name, depth=0):
        if depth > 10 or name not in macros:
            raise SystemExit(f"{path}: cannot expand {name}")
        out = set()
        for tok in re.findall(r"E\((\w+)\)|(DOC_\w+)", macros[name]):
            if tok[0]:
                out.add(tok[0])
            else:
                out |= expand(tok[1], depth + 1)
        return out

    sets = {m: expand(m) for m in macros}
    hpath = os.path.join(os.path.dirname(path), "..", "include", "fa_ioc.h")
    htext = strip_comments(open(hpath).read())
    gm = re.search(r"^#define\s+FA_DOC_GENERAL\s+(.*?)\s*$", htext, re.M)
    if not gm:
        raise SystemExit(f"{hpath}: no #define FA_DOC_GENERAL")
    general = set(re.findall(r"\b(E[A-Z0-9]+)\b", gm.group(1)))
    sets["DOC_GENERAL"] = general
    per_ioctl = {}
    for em in re.finditer(r"^\s+FA_IOC_DESC\((.*?)\),\s*$", htext, re.M | re.S):
        args = [a.strip() for a in em.group(1).split(",")]
        errs = set()
        for a in args[4:]:
            errs |= general if a == "FA_DOC_GENERAL" else {a}
        per_ioctl[args[0]] = errs
    if not per_ioctl:
        raise SystemExit(f"{hpath}: no FA_IOC_DESC(...) entries in fa_iocs[]")
    return per_ioctl, sets


def parse_faultinject(path):
    """-> [(op, ioctl, set of errnos)]"""
    text = strip_comments(open(path).read())
    macros = dict(re.findall(r"^#define\s+(FI_\w+)\s+(.*?)\s*$", text, re.M))

    def eset(expr, depth=0):
        out = set()
        for tok in re.findall(r"EB\((\w+)\)|\b(FI_\w+)\b", expr):
            if tok[0]:
                out.add(tok[0])
            elif tok[1] in macros and depth < 10:
                out |= eset(macros[tok[1]], depth + 1)
        return out

    # FI_OPS(...)'s parameters, by name, from its #define (other engineers
    # add parameters: find "ok" and "call" wherever they are)
    dm = re.search(r"^#define\s+FI_OPS\(([^)]*)\)", text, re.M)
    if not dm:
        raise SystemExit(f"{path}: no #define FI_OPS(...)")
    params = [x.strip() for x in dm.group(1).split(",")]
    try:
        iname, iok, icall = params.index("_name"), params.index("_ok"), params.index("_call")
    except ValueError:
        raise SystemExit(f"{path}: FI_OPS({', '.join(params)}): want _name, _ok and _call")
    ops = []
    for m in re.finditer(r"^FI_OPS\(", text, re.M):
        args, depth, cur, i, instr = [], 1, "", m.end(), False
        while depth and i < len(text):
            c = text[i]
            if instr:
                if c == "\\":
                    cur += c; i += 1; c = text[i]
                elif c == '"':
                    instr = False
            elif c == '"':
                instr = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if not depth:
                    break
            elif c == "," and depth == 1:
                args.append(cur.strip()); cur = ""; i += 1
                continue
            cur += c
            i += 1
        args.append(cur.strip())
        if len(args) != len(params):
            raise SystemExit(f"{path}: FI_OPS({', '.join(args)}): {len(args)} arguments, want {len(params)}")
        op, ok, call = args[iname], args[iok], args[icall]
        fm = re.search(r"\bint\s+" + call + r"\s*\(struct fi \*f\)\s*\{(.*?)\n\}", text, re.S)
        if not fm:
            raise SystemExit(f"{path}: no body of {call}()")
        called = set(re.findall(r"FRAGALLOC_IOC_(\w+)", fm.group(1)))
        helpers = {"fa_alloc": "ALLOC", "fa_free": "FREE", "fa_free_range": "FREE",
                   "fa_batch_info": "BATCH_INFO", "fa_stats": "STATS", "fa_info": "INFO",
                   "fa_recompact": "RECOMPACT", "fa_pool_stats": "STATS"}
        for h in re.findall(r"\b(fa_\w+)\s*\(", fm.group(1)):
            if h in helpers:
                called.add(helpers[h])
        if len(called) != 1:
            raise SystemExit(f"{path}: {call}() calls {called or 'no'} ioctl(s); want one")
        ops.append((op, called.pop(), eset(ok)))
    if not ops:
        raise SystemExit(f"{path}: no FI_OPS(...) table")
    return ops


def main(argv):
    uapi, fuzz, fi = (argv[1:4] if len(argv) == 4 else
                      [os.path.join(TOP, p) for p in ("uapi/linux/fragalloc.h",
                                                       "tests/fuzz/fa_fuzz.c",
                                                       "tests/selftests/faultinject_test.c")])
    doc, handle = parse_doc(uapi)
    per_ioctl, macros = parse_fuzzer(fuzz)
    ops = parse_faultinject(fi)
    general = set(doc["general"])
    specific = set(doc["specific"])
    mmap = set(doc["mmap"])
    print(f"# DOC block: shared {fmt(general)}; command-specific {fmt(specific)}; "
          f"mmap {fmt(mmap)}; ioctls with a handle {fmt(handle)}")
    r = Result()

    r.check(set(per_ioctl) == set(IOCTLS), "fuzzer: fa_iocs[] covers every ioctl",
            [f"fa_iocs[]: {sorted(per_ioctl)}, want {IOCTLS}"])
    g = macros.get("DOC_GENERAL", set())
    r.check(g == general, "fuzzer: DOC_GENERAL is the DOC block's shared errno list",
            [f"DOC_GENERAL {fmt(g)}", f"DOC block  {fmt(general)}",
             f"missing {fmt(general - g)}, extra {fmt(g - general)}"])
    for k in IOCTLS:
        s = per_ioctl.get(k, set())
        r.check(general <= s, f"fuzzer: {k} allows every shared errno",
                [f"{k} lacks {fmt(general - s)}"])
    mm = macros.get("DOC_MMAP", set())
    r.check(mm == mmap, "fuzzer: DOC_MMAP is the DOC block's mmap errno list",
            [f"DOC_MMAP {fmt(mm)}", f"DOC block {fmt(mmap)}",
             f"missing {fmt(mmap - mm)}, extra {fmt(mm - mmap)}"])
    allowed = set().union(*per_ioctl.values()) - general
    r.check(allowed == specific,
            "fuzzer: the command-specific errnos it allows are the DOC block's list",
            [f"fuzzer {fmt(allowed)}", f"DOC block {fmt(specific)}",
             f"documented but never allowed {fmt(specific - allowed)}; "
             f"allowed but not documented {fmt(allowed - specific)}"])

    # the calls an entry's own words name
    for e in sorted(specific):
        t = doc["specific"][e]
        named = set()
        if re.search(r"\bhandle\b", t):
            named |= handle
        if re.search(r"\ballocation\b", t):
            named.add("ALLOC")
        if re.search(r"\brecompaction\b", t):
            named.add("RECOMPACT")
        where = {k for k, s in per_ioctl.items() if e in s}
        if named:
            r.check(named <= where, f"fuzzer: {e} allowed for the calls its DOC text names ({fmt(named)})",
                    [f"DOC: {e}: {t}", f"fuzzer allows {e} for {fmt(where)}; missing {fmt(named - where)}"])
        extra = where - named
        if extra:
            print(f"# note: fuzzer also allows {e} for {fmt(extra)}, which its DOC text does not name"
                  f" (\"{t}\")")

    for op, k, s in ops:
        r.check(s <= specific, f"faultinject: {op} ({k}) accepts only command-specific DOC errnos {fmt(s)}",
                [f"not in the DOC block's command-specific list: {fmt(s - specific)}"])
        f = per_ioctl.get(k, set())
        r.check(s <= f, f"faultinject: {op} ({k}) accepts only errnos the fuzzer allows for {k}",
                [f"faultinject {fmt(s)}, fuzzer {fmt(f)}: {fmt(s - f)} differ"])

    print(f"1..{r.n}")
    print(f"gates-errno: {r.passed} passed, {r.failed} failed, 0 skipped")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
