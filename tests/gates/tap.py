# SPDX-License-Identifier: GPL-2.0
"""tap.py - the TAP bookkeeping of the Python gate tests (tests/gates/*.py),
as tests/tap.sh is the shell tests': numbered "ok N - NAME" / "not ok N -
NAME" results with "#   " diagnostics, then the plan and the closing line
"LABEL: N passed, N failed, 0 skipped"."""


class Result:
    def __init__(self):
        self.n = self.passed = self.failed = 0

    def check(self, ok, name, detail=()):
        """one result; DETAIL (lines) is shown under a failure"""
        self.n += 1
        if ok:
            self.passed += 1
            print(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            for d in detail:
                print(f"#   {d}")

    def done(self, label):
        """the plan and the closing line; the exit status"""
        print(f"1..{self.n}")
        print(f"{label}: {self.passed} passed, {self.failed} failed, 0 skipped")
        return 1 if self.failed else 0
