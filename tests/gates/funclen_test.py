#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""funclen_test.py - host test of the function-length gate,
tests/gates/funclen.py, on planted C files: a function one line over the
limit fails and is named with FILE:LINE and its length, whatever its brace
style (own line, signature line, K&R parameter declarations, static inline
in a header, inside extern "C", with attributes); one at the limit, a long
data table, a long struct, a long macro and braces in comments, strings,
character literals and #if/#else branches do not.

Usage: funclen_test.py        (env FA_FUNCLEN: another gate to test)
TAP; last line "gates-funclen: N passed, N failed, N skipped".
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Result  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GATE = os.environ.get("FA_FUNCLEN", os.path.join(HERE, "funclen.py"))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
LIMIT = 80


def body(lines):
    """statements that fill a function to LINES lines with its braces"""
    return "".join(f"\tx += {i};\n" for i in range(lines - 2))


def func(sig, lines, brace_own_line=True):
    if brace_own_line:
        return f"{sig}\n{{\n{body(lines)}}}\n"
    return f"{sig} {{\n{body(lines)}}}\n"


# name -> (file name, text, the offender's "name() at line" or None)
CASES = {
    "brace on its own line, one over the limit":
        ("own.c", "int x;\n\n" + func("static int too_long(int x)", LIMIT + 1),
         ("too_long", 4, LIMIT + 1)),
    "brace on its own line, at the limit":
        ("at.c", func("int at_limit(int x)", LIMIT), None),
    "brace on the signature line, one over":
        ("sig.c", func("int sig_line(int x)", LIMIT + 1, False),
         ("sig_line", 1, LIMIT + 1)),
    "static inline in a header, one over":
        ("inl.h", "#ifndef INL_H\n#define INL_H\n" +
         func("static inline int inl(int x)", LIMIT + 1) + "#endif\n",
         ("inl", 4, LIMIT + 1)),
    "inside extern \"C\" { }, one over":
        ("cxx.h", '#ifdef __cplusplus\nextern "C" {\n#endif\n' +
         func("static inline int in_extern_c(int x)", LIMIT + 1) +
         "#ifdef __cplusplus\n}\n#endif\n",
         ("in_extern_c", 5, LIMIT + 1)),
    "K&R parameter declarations, one over":
        ("knr.c", "int knr(x, p)\nint x;\nchar *p;\n{\n" +
         body(LIMIT + 1) + "}\n", ("knr", 4, LIMIT + 1)),
    "attributes and annotations around the name, one over":
        ("attr.c", func("static int __printf(2, 3) __must_check\n"
                        "annotated(int x, const char *fmt, ...)\n"
                        "\t__releases(&lock)", LIMIT + 1),
         ("annotated", 4, LIMIT + 1)),
    "multi-line signature returning a struct pointer, one over":
        ("ret.c", func("static struct foo *\nret_struct(struct bar *b,\n"
                       "\t   int x)", LIMIT + 1),
         ("ret_struct", 4, LIMIT + 1)),
    "a long data table (initialiser) is not a function":
        ("table.c", "static const int table[] = {\n" +
         "".join(f"\t{i},\n" for i in range(200)) + "};\n" +
         "static const struct ops o = {\n\t.f = 1,\n};\n" +
         func("int after_table(int x)", 5), None),
    "a long struct definition is not a function":
        ("struct.h", "struct big {\n" +
         "".join(f"\tint m{i};\n" for i in range(200)) + "};\n", None),
    "a long multi-line macro is not a function":
        ("macro.c", "#define BIG(x) do { \\\n" +
         "".join(f"\tx += {i}; \\\n" for i in range(200)) +
         "} while (0)\n" + func("int after_macro(int x)", 5), None),
    "braces in comments, strings and char literals do not count":
        ("lit.c", "/* { */\nint lit(int x)\n{\n\t// }\n"
         "\tconst char *s = \"}}{\\\"}\";\n\tchar c = '}';\n"
         "\treturn x + (c == '{') + (s != 0);\n}\n" +
         func("int after_lit(int x)", LIMIT + 1),
         ("after_lit", 10, LIMIT + 1)),
    "#if/#else branches that open braces differently":
        ("cond.c", "int cond(int x)\n{\n#ifdef A\n\tif (x) {\n#else\n"
         "\tif (!x) {\n#endif\n\t\tx++;\n\t}\n\treturn x;\n}\n" +
         func("int after_cond(int x)", LIMIT + 1),
         ("after_cond", 13, LIMIT + 1)),
}


def run_gate(*args):
    p = subprocess.run([sys.executable, GATE, *args],
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def shown(rc, out):
    """the gate's exit status and output, as diagnostic lines"""
    return [f"exit {rc}"] + out.splitlines()


def main():
    r = Result()
    with tempfile.TemporaryDirectory() as tmp:
        for name, (fname, text, bad) in CASES.items():
            d = os.path.join(tmp, fname.replace(".", "_"))
            os.mkdir(d)
            path = os.path.join(d, fname)
            with open(path, "w") as f:
                f.write(text)
            rc, out = run_gate("--max", str(LIMIT), d)
            if bad:
                fn, line, length = bad
                want = f"{path}:{line}: {fn}() is {length} lines (limit {LIMIT})"
                ok = rc == 1 and want in out.splitlines() and \
                    out.count("() is ") == 1
                r.check(ok, f"{name}: fails, names {fname}:{line} {fn}() "
                        f"and its {length} lines", shown(rc, out))
            else:
                ok = rc == 0 and "() is " not in out and " 0 over " in out
                r.check(ok, f"{name}: passes", shown(rc, out))

        # the whole directory: every offender, longest first
        rc, out = run_gate(tmp)
        lines = [ln for ln in out.splitlines() if "() is " in ln]
        want = sum(1 for c in CASES.values() if c[2])
        r.check(rc == 1 and len(lines) == want,
                f"a directory: all {want} offenders listed", shown(rc, out))

        bad = os.path.join(tmp, "unbalanced.c")
        with open(bad, "w") as f:
            f.write("int f(void)\n{\n\treturn 0;\n")
        rc, out = run_gate(bad)
        r.check(rc == 1 and "unbalanced.c: cannot parse" in out,
                "unbalanced braces: a failure, not a silent pass",
                shown(rc, out))

    rc, out = run_gate("--bogus")
    r.check(rc == 2, "unknown option: usage error 2", shown(rc, out))

    # the gate parses every C file of the tree it guards (no "cannot parse")
    rc, out = run_gate(*(os.path.join(TOP, d)
                         for d in ("driver", "libfragalloc", "tools")))
    r.check("cannot parse" not in out and "funclen: " in out,
            "parses every file of driver/, libfragalloc/, tools/",
            out.splitlines() if "cannot parse" in out else ())

    return r.done("gates-funclen")


if __name__ == "__main__":
    sys.exit(main())
