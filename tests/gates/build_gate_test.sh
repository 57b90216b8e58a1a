#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build_gate_test.sh - host test of the module build's "no warnings" gate
# (scripts/build-module.sh --gate, the same function the build uses): for
# each target kernel release, a W=1 warning, a sparse finding and an error
# planted in a fake build log under build/kmod/KVER must be caught; a clean
# log, and findings in files outside our build directory, must not be.
#
# Usage: tests/gates/build_gate_test.sh [KVER...]
#        (default: 6.1.0-57-amd64 6.12.117+deb12-amd64, the two release
#        formats: "-NN-amd64" and "+debNN-amd64", where "+" is a regex operator)
# TAP; last line "gates-build: N passed, N failed, N skipped".

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
gate=$repo/scripts/build-module.sh
kvers=("$@")
((${#kvers[@]})) || kvers=(6.1.0-57-amd64 6.12.117+deb12-amd64)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"

# expect WANT_RC NAME OUT LOG [WANT_LINES]: run the gate, compare exit status
# and (when given) the number of lines it reports
expect() {
	local want=$1 name=$2 out=$3 log=$4 lines=${5:-} rc got
	"$gate" --gate "$out" "$log" >"$tmp/found" 2>&1
	rc=$?
	got=$(wc -l <"$tmp/found")
	{ echo "gate exit $rc (want $want), $got line(s) reported${lines:+ (want $lines)}:"; cat "$tmp/found"; } >"$tmp/detail"
	if [[ $rc == "$want" && (-z $lines || $got == "$lines") ]]; then
		ok "$name"
	else
		nok "$name"
		sed 's/^/#   /' "$tmp/detail"
	fi
}

for k in "${kvers[@]}"; do
	# the same layout as a real build: $repo/build/kmod/KVER/driver/...
	out=$tmp/repo/build/kmod/$k
	other=$tmp/repo/build/kmod/${k}x
	mkdir -p "$out"
	clean=$tmp/clean-$k.log planted=$tmp/planted-$k.log foreign=$tmp/foreign-$k.log
	cat >"$clean" <<EOS
make: Entering directory '/usr/src/linux-headers-$k'
  CC [M]  $out/driver/main.o
  CC [M]  $out/driver/chardev.o
  CHECK   $out/driver/chardev.c
  LD [M]  $out/driver/fragalloc.o
  MODPOST $out/driver/Module.symvers
  LD [M]  $out/driver/fragalloc.ko
make: Leaving directory '/usr/src/linux-headers-$k'
EOS
	expect 0 "[$k] clean log passes the gate" "$out" "$clean" 0

	{
		sed -n 1,2p "$clean"
		echo "$out/driver/main.c:42:13: warning: no previous prototype for 'fa_x' [-Wmissing-prototypes]"
		sed -n 3,4p "$clean"
		echo "$out/driver/chardev.c:77:9: warning: incorrect type in argument 1 (different address spaces)"
		echo "$out/kapi/fragalloc_kapi_test.c:5:1: error: expected ';' before 'int'"
		sed -n '5,$p' "$clean"
	} >"$planted"
	expect 1 "[$k] planted W=1 warning, sparse finding and error are caught" "$out" "$planted" 3

	{
		cat "$clean"
		echo "/usr/src/linux-headers-$k/include/linux/foo.h:1:1: warning: kernel header, not ours"
		echo "$other/driver/main.c:1:1: warning: another kernel's build directory"
		echo "  CC [M]  $out/driver/warning: a file name, no finding"
	} >"$foreign"
	expect 0 "[$k] findings outside build/kmod/$k are not ours" "$out" "$foreign" 0
done

tap_done gates-build
