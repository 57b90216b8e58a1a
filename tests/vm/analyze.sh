#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# analyze.sh - judge one VM run from its logs (called by run.sh).
#
# Usage: tests/vm/analyze.sh --kver KVER --console LOG [--tap TAPLOG]
#                            [--mode check|demo] [--timed-out SECONDS]
#                            [--context N] [--quiet-tap] [--fault-injection]
#
#   --console LOG   the guest serial console (kernel messages + test output)
#   --tap TAPLOG    the clean test channel (guest /dev/ttyS1); if missing or
#                   without markers, the FA-* markers are read from LOG
#   --timed-out S   the host killed the VM after S seconds
#   --quiet-tap     do not echo the TAP result lines
#   --fault-injection  the run injects allocation faults (faultinject_test on
#                   a CONFIG_FAULT_INJECTION kernel); also env
#                   FA_FAULT_INJECTION=1, which tests/vm/robust.sh sets for
#                   check-debug. Only then are allocation-failure reports
#                   ("page allocation failure", "vmalloc error",
#                   "FAULT_INJECTION: forcing a failure") expected and not
#                   counted; in every other run each one is a splat.
#
# Prints the TAP results prefixed by the kernel series ("[6.12] ok 3 x"),
# "FAIL [6.12]: ..." for structural failures, "SPLAT [6.12]: ..." with
# context for kernel splats, and finally exactly one line
#   vm[KVER]: N passed, N failed, N skipped
# passed = ok results (without SKIP); skipped = ok ... # SKIP and 1..0 plans;
# failed = not ok + structural failures + splats.  Exit 0 iff failed == 0.
#
# Structural failures: a program without a TAP plan, a plan that does not
# match the number of results, a non-zero exit status not explained by a
# "not ok" (exit 4 = KSFT_SKIP is fine), a program that started but never
# ended, a missing "### FA-DONE", a timeout.

set -euo pipefail

kver="" console="" tap="" mode=check timedout=0 context=12 quiettap=0
faultinj=0
[[ ${FA_FAULT_INJECTION:-0} == 1 ]] && faultinj=1
# the options with a value, and the variable it goes to
declare -A optvar=([--kver]=kver [--console]=console [--tap]=tap [--mode]=mode
	[--timed-out]=timedout [--context]=context)
while (($#)); do
	case $1 in
	--quiet-tap) quiettap=1; shift; continue ;;
	--fault-injection) faultinj=1; shift; continue ;;
	esac
	[[ -n ${optvar[$1]:-} ]] || { echo "analyze.sh: unknown argument $1" >&2; exit 2; }
	(($# >= 2)) || { echo "analyze.sh: $1 needs a value" >&2; exit 2; }
	printf -v "${optvar[$1]}" '%s' "$2"
	shift 2
done
[[ -n $kver && -n $console ]] || { echo "analyze.sh: --kver and --console are required" >&2; exit 2; }
[[ -f $console ]] || : >"$console"

# "6.12.117+deb12-amd64" -> "6.12"
label=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$kver")

src=$console
if [[ -n $tap && -s $tap ]] && grep -q '^### FA-' <(tr -d '\r' <"$tap"); then
	src=$tap
fi

# ---- TAP / structure --------------------------------------------------------
# prints lines, last one "COUNTS pass fail skip"
tapout=$(tr -d '\r' <"$src" | awk -v L="[$label]" -v quiet="$quiettap" \
	-v timedout="$timedout" -v mode="$mode" '
function fail(msg) { print "FAIL " L ": " msg; nfail++ }
function finish(name, rc,   expl) {
	if (plan < 0 && !skipall) fail(name ": no TAP plan (1..N)")
	else if (!skipall && plan != nres)
		fail(name ": plan 1.." plan " but " nres " results")
	if (skipall) nskip++
	if (rc != 0 && rc != 4 && nnot == 0)
		fail(name ": exit status " rc (rc == 137 ? " (SIGKILL: guest --ptimeout?)" : rc > 128 ? " (killed by signal " rc - 128 ")" : ""))
	if (rc == 4 && nres == 0 && !skipall) nskip++
}
BEGIN { cur = ""; done = 0 }
/^### FA-BEGIN / {
	if (cur != "") { fail(cur ": started but never ended"); }
	cur = $3; plan = -1; nres = 0; nnot = 0; skipall = 0; started = 1
	split("", diag); nd = 0
	next
}
/^### FA-END / {
	name = $3; rc = $4; sub(/^rc=/, "", rc)
	if (cur == "") fail(name ": end marker without begin")
	else finish(cur, rc + 0)
	cur = ""
	next
}
/^### FA-DONE/ { done = 1; next }
/^### / { next }
cur == "" { next }
/^1\.\.[0-9]+/ {
	p = $0; sub(/^1\.\./, "", p); sub(/[^0-9].*/, "", p)
	if (plan >= 0) fail(cur ": more than one plan")
	plan = p + 0
	if (plan == 0 && $0 ~ /# *[Ss][Kk][Ii][Pp]/) skipall = 1
	if (quiet == 0) print L " " cur ": " $0
	next
}
/^#/ { diag[nd++] = $0; if (nd > 40) { delete diag[nd - 41] } ; next }
/^(not )?ok [0-9]+/ {
	nres++
	if ($0 ~ /^not ok/) {
		nnot++; nfail++
		# the diagnostics the test printed since the previous result
		for (i = (nd > 40 ? nd - 40 : 0); i < nd; i++)
			if (i in diag && diag[i] !~ /^# +RUN /) print L "   " diag[i]
	}
	else if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) nskip++
	else npass++
	if (quiet == 0) print L " " $0
	split("", diag); nd = 0
	next
}
END {
	# one structural failure per way of not finishing
	if (timedout + 0 > 0)
		fail("TIMEOUT: VM killed after " timedout " s" (cur != "" ? " while running " cur : " (" (done ? "after ### FA-DONE: power off failed" : "no test program running") ")"))
	else if (cur != "")
		fail(cur ": started but never ended, no ### FA-DONE (guest crashed or powered off?)")
	else if (!done)
		fail("no ### FA-DONE (guest did not finish: panic or early crash?)")
	if (!started && mode == "check") fail("no test program ran at all")
	printf "COUNTS %d %d %d\n", npass, nfail, nskip
}')

counts=$(tail -n1 <<<"$tapout")
sed '$d' <<<"$tapout"
read -r _ npass nfail nskip <<<"$counts"

# ---- kernel splats ------------------------------------------------------
# Only kernel messages (text after a "[ seconds.micros] " printk timestamp)
# are scanned, so test output can not fake or hide a splat.
splatout=$(tr -d '\r' <"$console" | awk -v L="[$label]" -v ctx="$context" -v faultinj="$faultinj" '
function benign(m) {
	return m ~ /^Kernel command line:/ || m ~ /^Command line:/ ||
	       m ~ /^Unknown kernel command line parameters/ ||
	       m ~ /^kmemleak: Kernel memory leak detector (disabled|initialized)/ ||
	       m ~ /^kmemleak: Automatic memory scanning thread/ ||
	       m ~ /^kfence: initialized/ ||
	       m ~ /^rcu:[ \t]+RCU lockdep checking is enabled/
}
# the first line of a report
function is_head(m) {
	return m ~ /BUG:/ || m ~ /WARNING:/ || m ~ /Oops/ || m ~ /KFENCE:/ ||
	       m ~ /KASAN:/ || m ~ /UBSAN:/ || m ~ /Bad page/ ||
	       m ~ /list_(add|del) corruption/ || m ~ /general protection/ ||
	       m ~ /possible circular locking/ ||
	       m ~ /INFO: trying to register non-static key/ ||
	       m ~ /Kernel panic/ || m ~ /kernel BUG at/ ||
	       m ~ /kmemleak: .*suspected memory leak/ ||
	       m ~ /stack-protector/ || m ~ /refcount_t:/ ||
	       m ~ /^BUG [^ ]+ \(.*\): / || m ~ /^pagealloc: (memory corruption|single bit error)/ ||
	       m ~ /blocked for more than [0-9]+ seconds/ || m ~ /soft lockup/ ||
	       m ~ /hard LOCKUP/ || m ~ /rcu: INFO: .*detected stall/ ||
	       m ~ /detected stalls on CPUs/ || m ~ /Unable to handle kernel/ ||
	       m ~ /^Slab corruption/ || m ~ /double free/ || m ~ /^invalid opcode:/
}
# lines that are part of a report; a splat only when no report is open
function is_body(m) {
	return m ~ /Call Trace:/ || m ~ /page dumped because/ || m ~ /lockdep/ ||
	       m ~ /unreferenced object 0x/ || m ~ /Module .* is in use/
}
function norm(m) {
	gsub(/\(Tainted:[^)]*\)/, "", m); gsub(/0x[0-9a-f]+/, "0x", m)
	gsub(/(CPU|PID|pid|cpu)[:=] ?[0-9]+/, "", m); gsub(/\[#[0-9]+\]/, "", m)
	gsub(/[0-9]+ (seconds|s)/, "N s", m)
	return m
}
{
	line = $0
	if (!match(line, /\[ *[0-9]+\.[0-9]+\] /)) {
		if (left > 0) { print "    | " line; left-- }
		next
	}
	msg = substr(line, RSTART + RLENGTH)
	head = !benign(msg) && is_head(msg)
	body = !head && !benign(msg) && is_body(msg)
	# An allocation failure (warn_alloc, or the fault-injection notice)
	# prints a stack dump: "CPU: ...", "Call Trace:", "<TASK>", frames,
	# "</TASK>". That dump belongs to it and is skipped, up to its
	# "</TASK>", and nothing else is: a report head inside or after it
	# ends the skip and counts. The failure itself is expected only when
	# faults are injected (faultinj); in any other run it is a splat.
	if (msg ~ /(page allocation failure: order:|vmalloc error: size|FAULT_INJECTION: forcing a failure)/) {
		nwarn++
		afskip = 1; afstart = NR
		if (faultinj) {
			hist[NR] = line; delete hist[NR - 4]
			next
		}
		head = 1; body = 0; open = 0	# a report of its own
	} else if (afskip) {
		if (head || NR - afstart > 400) {
			afskip = 0	# not part of the dump: judge it below
		} else {
			if (msg ~ /<\/TASK>/) afskip = 0
			if (left > 0) { print "    | " line; left-- }
			hist[NR] = line; delete hist[NR - 4]
			next
		}
	}
	if (head && open && NR - lasthead <= 10) head = 0	# e.g. "BUG: ..." + "Oops: ..."
	if (body && open && NR - lasthead < 300) body = 0
	if (head || body) {
		open = 1; lasthead = NR
		if (afskip) open = 0	# an allocation failure: its dump is skipped above
		k = norm(msg)
		if (k in seen) {
			seen[k]++
		} else {
			seen[k] = 1; order[nu++] = k
			nsplat++
			print "SPLAT " L ": " msg
			for (j = NR - 3; j < NR; j++)
				if (j in hist) print "    | " hist[j]
			print "    > " line
			left = ctx
			hist[NR] = line; delete hist[NR - 4]
			next
		}
	}
	if (msg ~ /---\[ end (trace|Kernel panic)/) open = 0
	if (left > 0) { print "    | " line; left-- }
	hist[NR] = line; delete hist[NR - 4]
}
END {
	if (nwarn && faultinj) print "NOTE " L ": " nwarn " allocation-failure warning(s) (warn_alloc / fault injection), not counted: a fault-injection run"
	if (nwarn && !faultinj) print "NOTE " L ": " nwarn " allocation-failure warning(s) in a run without fault injection: counted as splats"
	for (i = 0; i < nu; i++)
		if (seen[order[i]] > 1)
			print "SPLAT " L ": (the report \"" order[i] "\" appeared " seen[order[i]] " times)"
	printf "COUNTS %d\n", nsplat
}')

scounts=$(tail -n1 <<<"$splatout")
sed '$d' <<<"$splatout"
nsplat=${scounts#COUNTS }

failed=$((nfail + nsplat))
echo "vm[$kver]: $npass passed, $failed failed, $nskip skipped"
((failed == 0))
