#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""funclen.py - the function-length gate of `make check`: no C function in
the given directories is longer than the limit, counted from the line of its
opening "{" to the line of its closing "}" (both included).

Usage: funclen.py [--max N] [--list] PATH...
  PATH      a C file or a directory (its *.c and *.h files: those git knows
            of, tracked or not ignored, inside a checkout; else all of them)
  --max N   the limit (default 80)
  --list    print every function with its length, longest first

Prints each offender as "FILE:LINE: NAME() is N lines (limit M)", longest
first, then "funclen: N functions in N files, N over M lines". Exit status
1 if any function is over the limit or a file cannot be parsed (its braces
do not balance), 2 on a usage error.

What is a function: a top-level "{" whose declarator ends with ")" -- the
brace on a line of its own (kernel style) or on the signature line; a
"static inline" function in a header; one with attributes or annotations
(__acquires(x), __printf(1, 2) ...) around its name; an old-style (K&R)
definition whose parameter declarations stand between ")" and "{"; a
function inside an extern "C" { } block. What is not: data tables (a brace
after "=", i.e. an initialiser, however long), struct, union and enum
definitions, and macro bodies: preprocessor lines are set aside, so braces
in a #define never count. Comments, string and character literals are
blanked first, so braces in them never count either. Where #if/#else
branches open braces differently, the first branch is followed.
"""

import os
import re
import subprocess
import sys

# Macros that stand before a function's name and take arguments; the first
# "name(" at the top level that is not one of these is the function's name.
ATTRIBUTES = {
    "__attribute__", "__printf", "__scanf", "__acquires", "__releases",
    "__must_hold", "__cond_acquires", "__cond_releases", "__aligned",
    "__section", "__alias", "__diagnose_as", "__declspec", "__nocfi",
    "__no_sanitize_address", "__counted_by", "__malloc", "__alloc_size",
    "__nonnull", "_Alignas", "alignas", "__typeof__", "typeof",
}

IDENT_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
DECLARATION = re.compile(r"^[\w\s\*,\[\]]*$")


def blank_comments_and_literals(text):
    """text with comments and string/char literals turned into spaces,
    newlines kept (so line numbers stay right)"""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            # keep the quotes: extern "C" stays recognisable as extern ""
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_directives(text):
    """-> (lines with preprocessor directives blanked, {line index: kind})
    where kind is "if", "else" or "endif" for the conditional directives"""
    lines = text.split("\n")
    kinds = {}
    i = 0
    while i < len(lines):
        m = re.match(r"\s*#\s*(\w*)", lines[i])
        if not m:
            i += 1
            continue
        word = m.group(1)
        if word in ("if", "ifdef", "ifndef"):
            kinds[i] = "if"
        elif word in ("elif", "else", "elifdef", "elifndef"):
            kinds[i] = "else"
        elif word == "endif":
            kinds[i] = "endif"
        while True:
            cont = lines[i].rstrip().endswith("\\")
            lines[i] = ""
            i += 1
            if not cont or i >= len(lines):
                break
    return lines, kinds


def function_name(head):
    """the name in a declarator head, or None if it does not declare a
    function (no "(", an "=" at parenthesis depth 0, or no closing ")")"""
    flat = " ".join(head.split())
    if "(" not in flat or not flat.endswith(")"):
        return None
    depth = 0
    top = []
    for c in flat:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "=" and depth == 0:
            return None
        top.append(c if depth == 0 or c == "(" else " ")
    names = [m.group(1) for m in IDENT_CALL.finditer("".join(top))]
    for name in names:
        if name not in ATTRIBUTES:
            return name
    return names[0] if names else None


class Scanner:
    """finds the functions of one file: [(name, first line, length)]"""

    def __init__(self, text):
        self.lines, self.kinds = split_directives(
            blank_comments_and_literals(text))
        self.functions = []
        self.depth = 0          # brace depth, extern "C" blocks not counted
        self.kinds_stack = []   # per open brace: "func", "extern", "block"
        self.cond = []          # per open #if: [state at #if, after branch 1]
        self.head = []          # the top-level text since the last ; { }
        self.knr = None         # (name) of "f(a, b)" awaiting K&R decls
        self.current = None     # (name, start line) of the open function

    def run(self):
        for ln, line in enumerate(self.lines):
            if ln in self.kinds:
                self.directive(self.kinds[ln])
            for c in line:
                self.char(c, ln)
            if self.depth == 0:
                self.head.append("\n")
        if self.depth or self.kinds_stack:
            raise ValueError("unbalanced braces at the end of the file")
        return self.functions

    def state(self):
        return self.depth, list(self.kinds_stack)

    def directive(self, kind):
        if kind == "if":
            self.cond.append([self.state(), None])
        elif kind == "else" and self.cond:
            if self.cond[-1][1] is None:
                self.cond[-1][1] = self.state()
            self.depth, stack = self.cond[-1][0]
            self.kinds_stack = list(stack)
        elif kind == "endif" and self.cond:
            after_first = self.cond.pop()[1]
            if after_first is not None:
                self.depth, self.kinds_stack = after_first

    def char(self, c, ln):
        if c == "{":
            self.open(ln)
        elif c == "}":
            self.close(ln)
        elif self.depth == 0:
            if c == ";":
                self.statement_end()
            else:
                self.head.append(c)

    def open(self, ln):
        if self.depth > 0:
            self.depth += 1
            self.kinds_stack.append("block")
            return
        head = "".join(self.head)
        self.head = []
        if re.fullmatch(r'\s*extern\s*"\s*"\s*', head):
            self.kinds_stack.append("extern")
            return
        name = function_name(head)
        if name is None and not head.strip() and self.knr:
            name = self.knr
        self.knr = None
        if name is not None:
            self.current = (name, ln + 1)
        self.kinds_stack.append("func" if name is not None else "block")
        self.depth = 1

    def close(self, ln):
        if not self.kinds_stack:
            raise ValueError(f"line {ln + 1}: '}}' without '{{'")
        kind = self.kinds_stack.pop()
        if kind == "extern":
            return
        self.depth -= 1
        if self.depth == 0:
            if kind == "func" and self.current:
                name, start = self.current
                self.functions.append((name, start, ln + 1 - start + 1))
            self.current = None
            self.head = []

    def statement_end(self):
        """a top-level ";": remember "f(a, b)" (a prototype, or the start
        of a K&R definition whose parameter declarations follow)"""
        head = "".join(self.head)
        self.head = []
        cut = head.rfind(")") + 1
        name = function_name(head[:cut]) if cut else None
        if name is not None and DECLARATION.match(head[cut:]):
            self.knr = name             # "f(a, b)" or "f(a, b) int a"
        elif not (self.knr and DECLARATION.match(head)):
            self.knr = None             # not a K&R parameter declaration


def c_files(path):
    if os.path.isfile(path):
        return [path]
    try:
        out = subprocess.run(
            ["git", "-C", path, "ls-files", "-co", "--exclude-standard",
             "--", "*.c", "*.h"],
            capture_output=True, text=True, check=True).stdout
        files = [os.path.join(path, f) for f in out.splitlines()]
        return sorted(f for f in files if os.path.isfile(f))
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for dp, dn, fn in os.walk(path):
        dn[:] = sorted(d for d in dn if not d.startswith("."))
        found += [os.path.join(dp, f) for f in fn if f.endswith((".c", ".h"))]
    return sorted(found)


def parse_args(argv):
    limit, listing, paths = 80, False, []
    args = iter(argv)
    for a in args:
        if a == "--max":
            limit = int(next(args, "x"))
        elif a.startswith("--max="):
            limit = int(a[6:])
        elif a == "--list":
            listing = True
        elif a.startswith("-"):
            raise ValueError(f"unknown option {a}")
        else:
            paths.append(a)
    if not paths:
        raise ValueError("no PATH")
    return limit, listing, paths


def main(argv):
    try:
        limit, listing, paths = parse_args(argv)
    except ValueError as e:
        print(f"funclen.py: {e}\nusage: funclen.py [--max N] [--list] PATH...",
              file=sys.stderr)
        return 2
    found, errors, nfiles = [], [], 0
    for p in paths:
        for f in c_files(p):
            nfiles += 1
            try:
                with open(f, errors="replace") as fh:
                    funcs = Scanner(fh.read()).run()
            except ValueError as e:
                errors.append(f"{f}: cannot parse: {e}")
                continue
            found += [(length, f, line, name) for name, line, length in funcs]
    found.sort(key=lambda x: (-x[0], x[1], x[2]))
    over = [x for x in found if x[0] > limit]
    for length, f, line, name in (found if listing else over):
        unit = "line" if length == 1 else "lines"
        print(f"{f}:{line}: {name}() is {length} {unit} (limit {limit})")
    for e in errors:
        print(e)
    print(f"funclen: {len(found)} functions in {nfiles} files, "
          f"{len(over)} over {limit} lines")
    return 1 if over or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
