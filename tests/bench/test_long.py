#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host test of tests/bench/long.py, the long run's summary (stdlib only).

    python3 tests/bench/test_long.py        # exit 0 = all ok

Feeds long.py made-up results (results/A-STRAT-s1-1.json with "samples", and
boots.txt, as scripts/bench.sh long writes them) and checks that each target
bites: compact's pollution over optimum + 1 fails the first target only at
or after its first automatic recompaction; compact below plain at one sample
fails the second and names the cycle; the end ratio is judged on shares of
free memory, not raw counts; a failed or skipped boot is listed and left out;
a boot that needed a second try says so.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LONG = os.path.join(HERE, "long.py")


def sample(cycle, huge=200, polluted_own=180, optimum=180, auto_runs=1,
           memfree_kb=800000, touched=180):
    return {"cycle": cycle, "t_s": cycle * 1.2, "pages": optimum * 512,
            "blocks_touched": touched, "blocks_optimum": optimum,
            "memory_blocks": 640, "free_pb": 100, "movable_pb": 200,
            "polluted": polluted_own + 60, "polluted_own": polluted_own,
            "polluted_own_only": polluted_own, "unusable_3": 0.02,
            "extfrag_events": cycle, "memfree_kb": memfree_kb, "huge": huge,
            "huge_direct": huge, "pool_blocks": optimum, "pool_reserve": 0,
            "auto_runs": auto_runs}


def result(strategy, samples, huge=300, memfree_kb=800000):
    return {"kind": "boot", "kver": "test", "workload": "a",
            "strategy": strategy, "seed": 1, "cycles": samples[-1]["cycle"],
            "load_wall_s": 10.0, "huge_obtained": huge,
            "memfree_kb": memfree_kb, "compaction_test_huge": 150,
            "oom_kills": 0, "churn": {"slab_passes": 3, "anon_passes": 2,
                                      "pagecache_passes": 1},
            "samples": samples}


class LongTest(unittest.TestCase):
    def run_long(self, runs, extra_boots=(), retried=()):
        d = tempfile.mkdtemp()
        res = os.path.join(d, "results")
        os.makedirs(res)
        if retried:
            with open(os.path.join(res, "retried.txt"), "w") as f:
                f.write("".join("A-%s-s1 retried\n" % s for s in retried))
        with open(os.path.join(res, "boots.txt"), "w") as b:
            for s, r in runs.items():
                name = "A-%s-s1" % s
                with open(os.path.join(res, name + "-1.json"), "w") as f:
                    json.dump(r, f)
                b.write("%s ok oom=0\n" % name)
            for line in extra_boots:
                b.write(line + "\n")
        p = subprocess.run([sys.executable, LONG, "--results", res, "--out", d,
                            "--kver", "test"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(d, "long.json")) as f:
            return json.load(f), p.stdout

    @staticmethod
    def target(out, word):
        return next(t for t in out["targets"] if word in t["target"])

    def base(self):
        cyc = [0, 10, 20]
        return {
            "none": result("none", [sample(c, huge=400, memfree_kb=1200000,
                                           auto_runs=-1) for c in cyc]),
            "plain": result("plain", [sample(c, huge=190, memfree_kb=600000)
                                      for c in cyc]),
            "compact": result("compact", [sample(c, huge=200, memfree_kb=600000)
                                          for c in cyc]),
        }

    def test_all_met(self):
        out, _ = self.run_long(self.base())
        self.assertTrue(all(t["met"] for t in out["targets"]), out["targets"])

    def test_pollution_counts_only_after_first_auto_run(self):
        runs = self.base()
        # over optimum + 1 before the first automatic run: not judged
        runs["compact"]["samples"][0].update(polluted_own=200, auto_runs=0)
        out, _ = self.run_long(runs)
        self.assertTrue(self.target(out, "polluted")["met"])
        # and after it: judged
        runs["compact"]["samples"][2]["polluted_own"] = 182
        out, _ = self.run_long(runs)
        t = self.target(out, "polluted")
        self.assertFalse(t["met"])
        self.assertIn("cycle 20: 182 polluted, optimum 180", t["detail"])

    def test_compact_below_plain_names_the_cycle(self):
        runs = self.base()
        runs["compact"]["samples"][1]["huge"] = 150
        out, _ = self.run_long(runs)
        t = self.target(out, "plain")
        self.assertFalse(t["met"])
        self.assertIn("cycle 10 150 < 190", t["detail"])

    def test_end_ratio_on_shares(self):
        runs = self.base()
        # raw 200 / 400 = 0.5x, but shares of free memory 1.000x: met
        out, _ = self.run_long(runs)
        self.assertTrue(self.target(out, "0.97x")["met"])
        # shares (200/390.6) / (400/585.9) = 0.75x
        for s in runs["compact"]["samples"]:
            s["memfree_kb"] = 800000
        out, _ = self.run_long(runs)
        t = self.target(out, "0.97x")
        self.assertFalse(t["met"])
        self.assertIn("= 0.750x", t["detail"])

    def test_failed_and_skipped_boots_listed(self):
        runs = self.base()
        runs["movable"] = {"kind": "skip", "reason": "no FEAT_MOVABLE"}
        out, md = self.run_long(runs, ["A-bulk-s1 fail rc=1, 0 of 1 results oom=0"])
        self.assertNotIn("bulk", out["runs"])
        self.assertNotIn("movable", out["runs"])
        self.assertIn("bulk", out["failed"])
        self.assertIn("skipped: no FEAT_MOVABLE", out["failed"]["movable"])
        self.assertIn("| bulk | failed or skipped", md)


    def test_retried_boot_is_said(self):
        out, md = self.run_long(self.base(), retried=["plain"])
        self.assertTrue(out["runs"]["plain"]["retried"])
        self.assertFalse(out["runs"]["compact"]["retried"])
        self.assertIn("| plain (booted twice: the first boot failed) |", md)


if __name__ == "__main__":
    # The closing line make check reads: "bench-long: N passed, N failed".
    res = unittest.main(verbosity=2, exit=False).result
    bad = len(res.failures) + len(res.errors)
    print(f"bench-long: {res.testsRun - bad} passed, {bad} failed")
    sys.exit(1 if bad else 0)
