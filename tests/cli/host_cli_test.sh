#!/bin/sh
# SPDX-License-Identifier: MIT
# Host tests of the fragalloc CLI that need no module. TAP output; the last
# line is "cli: N passed, N failed, N skipped" (a SKIP is "ok N - name # SKIP
# reason", counted as skipped, not passed); exit 1 on failure.
#   host_cli_test.sh FRAGALLOC_BIN [FRAGALLOC_STATIC_BIN]
# shellcheck disable=SC2015 # ok and nok return 0: "C && ok X || nok X" is if-then-else
bin=${1:?usage: host_cli_test.sh FRAGALLOC [FRAGALLOC_STATIC]}
sbin=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../lib/data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TAP_TMP=$tmp
# shellcheck source=tests/tap.sh
. "$here/../tap.sh"

# check_json NAME PYTHON-EXPR-ON-d (stdin is $tmp/out)
check_json() {
	if python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($2) else 1)" <"$tmp/out" 2>>"$tmp/err"; then
		ok "$1"
	else
		nok "$1"
	fi
}

grep_err() { has "$1" "$2" "$tmp/err"; } # NAME STRING: in stderr

# png_ok NAME FILE: FILE starts with the PNG signature
png_ok() {
	[ "$(head -c 4 "$2" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG' ]
	result $? "$1"
}

# a device path that does not exist
nodev=/nonexistent/fragalloc

# --- help, dispatch
expect_rc 0 "--help exits 0" "$bin" --help
grep -q "Usage: fragalloc" "$tmp/out" && ok "--help prints usage" || nok "--help prints usage"
expect_rc 0 "help command" "$bin" help
expect_rc 0 "-h" "$bin" -h
expect_rc 2 "no command -> usage error 2" "$bin"
expect_rc 2 "unknown command -> 2" "$bin" bogus
grep_err "unknown command is named" "unknown command 'bogus'"
expect_rc 2 "ambiguous prefix 'st' -> 2" "$bin" st
grep_err "ambiguous prefix lists candidates" "stats, stress"
expect_rc 0 "unambiguous prefix 'fr' runs frag" "$bin" fr --brief
expect_rc 2 "bad global option -> 2" "$bin" --bogus frag
for c in info stats frag alloc recompact stress version; do
	expect_rc 0 "$c --help" "$bin" "$c" --help
	if grep -q "Usage: fragalloc $c" "$tmp/out"; then ok "$c --help text"; else nok "$c --help text"; fi
done
expect_rc 0 "version" "$bin" version
expect_rc 0 "-V" "$bin" -V
expect_rc 0 "version --json" "$bin" version --json
check_json "version JSON keys" "d['abi_version'] == 1 and 'libfragalloc' in d and 'version' in d"

# --- frag on this host
expect_rc 0 "frag (text)" "$bin" frag
grep -q "unusable idx" "$tmp/out" && ok "frag text has index rows" || nok "frag text has index rows"
expect_rc 0 "frag --json" "$bin" frag --json
check_json "frag JSON structure" "len(d['zones']) > 0 and all(len(z['free_blocks']) == z['nr_orders'] == len(z['unusable_index']) == len(z['extfrag_index']) for z in d['zones']) and 'migrate_types' in d and 'pagetypeinfo' in d"
check_json "frag JSON indices in range" "all(0 <= u <= 1 for z in d['zones'] for u in z['unusable_index']) and all(-1 <= e <= 1 for z in d['zones'] for e in z['extfrag_index'])"
if [ "$(id -u)" = 0 ]; then
	check_json "frag JSON per-type data as root" "d['pagetypeinfo'] and all('pageblocks' in z and 'free_by_type' in z for z in d['zones'])"
else
	skip "frag JSON per-type data as root" "not root"
fi
expect_rc 0 "global --json before command" "$bin" --json frag
check_json "global --json gives JSON" "'zones' in d"
expect_rc 0 "frag --pretty" "$bin" frag --pretty
check_json "--pretty is valid JSON" "'zones' in d"
[ "$(wc -l <"$tmp/out")" -gt 10 ] && ok "--pretty is indented" || nok "--pretty is indented"

# --- frag on saved samples
expect_rc 0 "frag on saved Debian 6.12 tables" "$bin" frag --json \
	--buddyinfo "$data/debian-6.12.buddyinfo" --pagetypeinfo "$data/debian-6.12.pagetypeinfo"
check_json "saved sample values" "[z['free_blocks'][10] for z in d['zones']] == [3, 229] and d['zones'][1]['pageblocks']['Movable'] == 461 and d['pageblock_order'] == 9"
expect_rc 0 "frag on saved 3.16 tables (Reserve column)" "$bin" frag --json \
	--buddyinfo "$data/rfc2015-3.16.buddyinfo" --pagetypeinfo "$data/rfc2015-3.16.pagetypeinfo"
check_json "3.16 sample types" "d['migrate_types'] == ['Unmovable','Reclaimable','Movable','Reserve','CMA','Isolate'] and d['zones'][0]['pageblocks']['Reserve'] == 2"
expect_rc 0 "frag on synthetic fragmented tables" "$bin" frag --json \
	--buddyinfo "$data/synthetic-frag.buddyinfo" --pagetypeinfo "$data/synthetic-frag.pagetypeinfo"
check_json "synthetic extfrag index order 3 = 0.835" "abs(d['zones'][1]['extfrag_index'][3] - 0.835) < 1e-9 and d['zones'][1]['extfrag_index'][0] == -1"
expect_rc 0 "frag without pagetypeinfo" "$bin" frag --buddyinfo "$data/debian-6.12.buddyinfo" --pagetypeinfo /nonexistent
grep -q "pagetypeinfo not read" "$tmp/out" && ok "missing pagetypeinfo is reported" || nok "missing pagetypeinfo is reported"
expect_rc 1 "frag on missing buddyinfo -> 1" "$bin" frag --buddyinfo /nonexistent/buddyinfo
grep_err "missing buddyinfo message" "cannot read /nonexistent/buddyinfo"
printf 'Node 0, zone Normal 1 2 x\n' >"$tmp/bad"
expect_rc 1 "frag on malformed buddyinfo -> 1" "$bin" frag --buddyinfo "$tmp/bad" --pagetypeinfo ""
grep_err "malformed buddyinfo message" "malformed or truncated"
expect_rc 1 "frag --json error -> 1" "$bin" frag --json --buddyinfo "$tmp/bad"
check_json "JSON error object" "'error' in d and d['errno'] > 0"

# --- png
if command -v gnuplot >/dev/null 2>&1; then
	expect_rc 0 "frag --png" "$bin" frag --png "$tmp/f.png" --buddyinfo "$data/debian-6.12-numa.buddyinfo" \
		--pagetypeinfo "$data/debian-6.12-numa.pagetypeinfo"
	png_ok "--png writes a PNG" "$tmp/f.png"
else
	skip "frag --png" "gnuplot not installed"
	skip "--png writes a PNG" "gnuplot not installed"
fi
mkdir -p "$tmp/emptypath"
PATH="$tmp/emptypath" run "$bin" frag --png "$tmp/g.png"
if [ "$rc" -eq 1 ] && grep -q "gnuplot-nox" "$tmp/err"; then ok "--png without gnuplot: exit 1 and install hint"; else nok "--png without gnuplot: exit 1 and install hint"; fi

# --- frag --blocks / --map on the recorded and synthetic kpageflags samples
syn="--kpageflags $data/synthetic-blocks.kpageflags --zoneinfo $data/synthetic-blocks.zoneinfo --pageblock-order 4 --buddyinfo="
oracle="$here/../lib/kpf_oracle.py"
# shellcheck disable=SC2086 # $syn: one word per option
expect_rc 0 "frag --blocks --map --json on the synthetic sample" "$bin" frag --map --json $syn \
	--pool "$data/synthetic-blocks.pool" --pfns "$data/synthetic-blocks.pfns"
if python3 "$oracle" "$data/synthetic-blocks.kpageflags" 4 "$data/synthetic-blocks.zoneinfo" \
	"$data/synthetic-blocks.pool" "$data/synthetic-blocks.pfns" "$tmp/out" 2>>"$tmp/err"; then
	ok "synthetic sample: counts and map agree with the independent reader"
else
	nok "synthetic sample: counts and map agree with the independent reader"
fi
check_json "synthetic sample: polluted 11 of 31, own 3 (2 only by own)" "d['polluted'] == 11 and d['memory_blocks'] == 31 and d['own']['polluted'] == 3 and d['own']['polluted_only_by_own'] == 2"
# shellcheck disable=SC2086
expect_rc 0 "frag --blocks without the pool list" "$bin" frag --blocks --map --json $syn --pool "" --pfns "$data/synthetic-blocks.pfns"
if python3 "$oracle" "$data/synthetic-blocks.kpageflags" 4 "$data/synthetic-blocks.zoneinfo" \
	- "$data/synthetic-blocks.pfns" "$tmp/out" 2>>"$tmp/err"; then
	ok "synthetic sample without pool list: agrees with the independent reader"
else
	nok "synthetic sample without pool list: agrees with the independent reader"
fi
for rec in "$data"/*.kpageflags.gz; do
	[ -e "$rec" ] || continue
	base=${rec%.kpageflags.gz}
	rname=$(basename "$base")
	gzip -dc "$rec" >"$tmp/rec.kpf"
	expect_rc 0 "frag --blocks on recorded $rname" "$bin" frag --map --json --kpageflags "$tmp/rec.kpf" \
		--zoneinfo "$base.zoneinfo" --buddyinfo "$base.buddyinfo" --pagetypeinfo "$base.pagetypeinfo" \
		--pool "$base.pool" --pfns "$base.pfns"
	if python3 "$oracle" "$tmp/rec.kpf" 9 "$base.zoneinfo" "$base.pool" "$base.pfns" "$tmp/out" 2>>"$tmp/err"; then
		ok "recorded $rname: agrees with the independent reader"
	else
		nok "recorded $rname: agrees with the independent reader"
	fi
	check_json "recorded $rname: the batch's pageblocks are polluted" "d['own']['blocks'] > 0 and d['own']['polluted'] == d['own']['blocks'] and d['own']['pages_found'] == d['own']['pages']"
done
# shellcheck disable=SC2086
expect_rc 0 "frag --blocks text" "$bin" frag --blocks $syn --pool ""
grep -q "^polluted: 11 pageblocks, 35.4% of memory" "$tmp/out" && ok "text: polluted total and share" || nok "text: polluted total and share"
# shellcheck disable=SC2086
expect_rc 2 "frag --kpageflags without --blocks -> 2" "$bin" frag --kpageflags "$data/synthetic-blocks.kpageflags"
# shellcheck disable=SC2086
expect_rc 2 "frag --blocks --png without --map -> 2" "$bin" frag --blocks --png "$tmp/x.png" $syn
# shellcheck disable=SC2086
expect_rc 1 "frag --blocks: pageblock order unknown -> 1" "$bin" frag --blocks --kpageflags "$data/synthetic-blocks.kpageflags" --pagetypeinfo ""
grep_err "order unknown: message" "give --pageblock-order"
expect_rc 1 "frag --blocks on a missing kpageflags -> 1" "$bin" frag --blocks --kpageflags /nonexistent/kpageflags --pageblock-order 9
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && [ -e /proc/kpageflags ]; then
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" frag --blocks
	if [ "$rc" -eq 1 ] && grep -q "cannot read /proc/kpageflags: Permission denied; the pageblock classes need root" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		ok "frag --blocks without root: exit 1, says root is needed, prints no number"
	else
		nok "frag --blocks without root: exit 1, says root is needed, prints no number"
	fi
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" frag --blocks --json
	check_json "frag --blocks --json without root: an error object only" "set(d) == {'error'} and 'need root' in d['error']"
else
	skip "frag --blocks without root" "needs root, setpriv and /proc/kpageflags"
	skip "frag --blocks --json without root" "needs root, setpriv and /proc/kpageflags"
fi
if [ "$(id -u)" = 0 ] && [ -r /proc/kpageflags ]; then
	expect_rc 0 "frag --blocks --json on this host (root)" "$bin" frag --blocks --json
	check_json "host: classes add up" "d['blocks']['free'] + d['blocks']['movable'] + d['blocks']['polluted'] == d['memory_blocks'] and d['memory_blocks'] + d['blocks']['absent'] == d['nr_blocks'] and d['own']['pages'] == 0"
else
	skip "frag --blocks --json on this host (root)" "not root"
	skip "host: classes add up" "not root"
fi
if command -v gnuplot >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	expect_rc 0 "frag --map --png" "$bin" frag --map --png "$tmp/m.png" $syn \
		--pool "$data/synthetic-blocks.pool" --pfns "$data/synthetic-blocks.pfns"
	png_ok "--map --png writes a PNG" "$tmp/m.png"
else
	skip "frag --map --png" "gnuplot not installed"
	skip "--map --png writes a PNG" "gnuplot not installed"
fi

# --- device errors (no module on the host)
expect_rc 1 "info without device -> 1" "$bin" info --device "$nodev"
grep_err "no device: open error" "fragalloc: cannot open $nodev: No such file or directory"
grep_err "no device: module hint" "hint: is the module loaded? (modprobe fragalloc)"
if [ ! -e /dev/fragalloc ]; then
	expect_rc 1 "info with default device absent -> 1" "$bin" info
	grep_err "default device message" "fragalloc: cannot open /dev/fragalloc: No such file or directory"
else
	skip "info with default device absent -> 1" "/dev/fragalloc exists"
	skip "default device message" "/dev/fragalloc exists"
fi
expect_rc 1 "info --json without device -> 1" "$bin" info --json --device "$nodev"
check_json "JSON error has hint" "'modprobe' in d['hint'] and d['errno'] == 2"
for c in "stats" "alloc -n 1" "recompact" "stress"; do
	# shellcheck disable=SC2086
	expect_rc 1 "$c without device -> 1" "$bin" $c --device "$nodev"
done
grep_err "stress without device: hint" "modprobe fragalloc"
expect_rc 1 "not a fragalloc device -> 1" "$bin" info --device /dev/null
grep_err "not a fragalloc device: message" "not a fragalloc device"
grep_err "not a fragalloc device: version hint" "older than the library"
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	: >"$tmp/dev"; chmod 600 "$tmp/dev"; chmod 755 "$tmp"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" info --device "$tmp/dev"
	if [ "$rc" -eq 1 ] && grep -q "Permission denied" "$tmp/err" && grep -q "hint: join the group" "$tmp/err"; then
		ok "EACCES: exit 1 and udev group hint"
	else
		nok "EACCES: exit 1 and udev group hint"
	fi
else
	skip "EACCES: exit 1 and udev group hint" "needs root and setpriv"
fi

# --- usage errors (exit 2, before any device access)
expect_rc 2 "alloc without size -> 2" "$bin" alloc --device "$nodev"
expect_rc 2 "alloc with both -n and --size -> 2" "$bin" alloc -n 1 --size 1M
expect_rc 2 "alloc -n 0 -> 2" "$bin" alloc -n 0
expect_rc 2 "alloc bad size -> 2" "$bin" alloc --size 12Q
expect_rc 2 "alloc bad class -> 2" "$bin" alloc -n 1 --class sticky
expect_rc 2 "alloc bad policy -> 2" "$bin" alloc -n 1 --policy random
expect_rc 2 "alloc bad hold -> 2" "$bin" alloc -n 1 --hold -1
expect_rc 2 "alloc extra argument -> 2" "$bin" alloc -n 1 extra
expect_rc 2 "stats bad --watch -> 2" "$bin" stats --watch x
expect_rc 2 "recompact bad scope -> 2" "$bin" recompact --scope galaxy
expect_rc 2 "recompact bad max-pages -> 2" "$bin" recompact --max-pages -3
expect_rc 2 "stress bad ratio -> 2" "$bin" stress --free-ratio 2
expect_rc 2 "stress bad batch -> 2" "$bin" stress --batch 0
expect_rc 2 "frag unknown option -> 2" "$bin" frag --bogus
expect_rc 2 "version extra argument -> 2" "$bin" version extra

# --- device paths against an LD_PRELOAD fake of /dev/fragalloc
if [ -n "${FAKEDEV:-}" ] && [ -e "$FAKEDEV" ]; then
	fd=/dev/fragalloc-fake
	fk() { FRAGALLOC_FAKE=$fd LD_PRELOAD="$FAKEDEV" "$@"; }
	expect_rc 0 "fake: info" fk "$bin" info -d $fd
	expect_rc 0 "fake: info --json" fk "$bin" info -d $fd --json
	check_json "fake: info JSON" "d['abi_version'] == 1 and d['page_size'] == 4096 and 'mmap' in d['features']"
	expect_rc 0 "fake: alloc --fill through mmap" fk "$bin" alloc --size 1M --fill 0xa5 -d $fd --json
	check_json "fake: alloc JSON" "d['nr_pages'] == 256 and d['filled'] and d['class'] == 'unmovable' and d['policy'] == 'compact'"
	expect_rc 0 "fake: alloc --policy movable" fk "$bin" alloc -n 4 --policy movable -d $fd --json
	check_json "fake: alloc movable JSON" "d['policy'] == 'movable'"
	expect_rc 0 "fake: alloc --hold" fk "$bin" alloc -n 3 --fill abc --hold 0.2 -d $fd
	grep -q "filled and verified" "$tmp/out" && ok "fake: string fill verified" || nok "fake: string fill verified"
	expect_rc 0 "fake: stats --json" fk "$bin" stats --json -d $fd
	check_json "fake: stats JSON" "'unmovable' in d['pages_used'] and len(d['fill_hist']) == 8"
	if command -v timeout >/dev/null 2>&1; then
		FRAGALLOC_FAKE=$fd LD_PRELOAD="$FAKEDEV" timeout 1.2 "$bin" stats --watch 0.3 --json -d $fd >"$tmp/out" 2>"$tmp/err"
		if python3 -c "import json,sys; l=[json.loads(x) for x in sys.stdin]; sys.exit(0 if len(l) >= 2 else 1)" <"$tmp/out"; then
			ok "fake: stats --watch --json is NDJSON"; else nok "fake: stats --watch --json is NDJSON"; fi
	fi
	expect_rc 0 "fake: recompact --dry-run --json" fk "$bin" recompact --dry-run --json -d $fd
	check_json "fake: recompact JSON" "d['dry_run'] and d['scope'] == 'pool'"
	expect_rc 0 "fake: stress --json" fk "$bin" stress --batch 1M --total 8M --cycles 5 --seed 3 --recompact --json -d $fd
	check_json "fake: stress JSON" "d['cycles_done'] == 5 and d['params']['total_pages'] == 2048 and set(d['reports']) == {'before','after','after_recompact','after_free'}"
	cp "$tmp/out" "$tmp/s1"
	expect_rc 0 "fake: stress again, same seed" fk "$bin" stress --batch 1M --total 8M --cycles 5 --seed 3 --recompact --json -d $fd
	if python3 -c "
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
k=('allocs','frees','range_frees','pages_punched')
sys.exit(0 if all(a[x]==b[x] for x in k) else 1)" "$tmp/s1" "$tmp/out"; then
		ok "fake: stress is deterministic for a seed"; else nok "fake: stress is deterministic for a seed"; fi
	expect_rc 0 "fake: stress text, plain progress lines off a tty" fk "$bin" stress --batch 1M --total 4M --cycles 2 -d $fd
	grep -q "^cycle 2/2:" "$tmp/err" && ok "fake: stress progress lines" || nok "fake: stress progress lines"
	grep -q "^after free:" "$tmp/out" && ok "fake: stress before/after report" || nok "fake: stress before/after report"
	expect_rc 1 "fake: EDQUOT -> 1" fk env FRAGALLOC_FAKE_MEMLOCK=1 "$bin" alloc -n 32 -d $fd
	grep_err "fake: EDQUOT hint" "raise it with 'ulimit -l'"
	grep_err "fake: EDQUOT names CAP_IPC_LOCK" "CAP_IPC_LOCK"
	expect_rc 1 "fake: ENOSPC -> 1" fk env FRAGALLOC_FAKE_MAXFD=1 "$bin" alloc -n 128 -d $fd
	grep_err "fake: ENOSPC hint" "max_fd_pages / max_total_pages module parameters"
	expect_rc 1 "fake: strict with plain -> 1 (EINVAL)" fk "$bin" alloc -n 1 --strict --policy plain -d $fd
else
	skip "fake device tests" "FAKEDEV not set"
fi

# --- static binary
if [ -n "$sbin" ]; then
	expect_rc 0 "fragalloc-static version" "$sbin" version
	if file "$sbin" 2>/dev/null | grep -q "statically linked"; then ok "fragalloc-static is static"; else nok "fragalloc-static is static"; fi
	expect_rc 0 "fragalloc-static frag --json" "$sbin" frag --json
	check_json "fragalloc-static JSON" "'zones' in d"
fi

tap_done cli
