#!/bin/sh
# SPDX-License-Identifier: MIT
# Install libfragalloc into a scratch DESTDIR, build a program against it
# with pkg-config (sysroot-relative), run it with LD_LIBRARY_PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the one version of fragalloc (top Makefile): the soname file carries it
version=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' "$top/Makefile")

${MAKE:-make} -s -C "$top/libfragalloc" O="$tmp/build" install DESTDIR="$tmp/root" PREFIX=/usr >/dev/null

for f in usr/lib/libfragalloc.so.$version usr/lib/libfragalloc.so.1 usr/lib/libfragalloc.so \
	 usr/lib/libfragalloc.a usr/lib/pkgconfig/fragalloc.pc usr/include/fragalloc.h \
	 usr/include/linux/fragalloc.h usr/share/man/man3/fragalloc.3 \
	 usr/share/man/man3/fragalloc_alloc.3 usr/share/man/man3/fragalloc_frag.3 \
	 usr/share/man/man3/fragalloc_open.3; do
	[ -e "$tmp/root/$f" ] || { echo "missing $f"; exit 1; }
done
soname=$(readelf -d "$tmp/root/usr/lib/libfragalloc.so.$version" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libfragalloc.so.1 ] || { echo "bad soname '$soname'"; exit 1; }
# only fragalloc_* symbols, versioned FRAGALLOC_1.0, FRAGALLOC_1.1 (the
# pageblock classes), FRAGALLOC_1.2 (the netlink monitor) or FRAGALLOC_1.3
# (NUMA nodes)
if nm -D --defined-only "$tmp/root/usr/lib/libfragalloc.so.$version" | awk '$2=="T"{print $3}' | grep -v '^fragalloc_.*@@FRAGALLOC_1\.[0123]$'; then
	echo "unexpected exported symbols"; exit 1
fi
v11=$(nm -D --defined-only "$tmp/root/usr/lib/libfragalloc.so.$version" | awk '$2=="T"{print $3}' | sed -n 's/@@FRAGALLOC_1\.1$//p' | sort | tr '\n' ' ')
[ "$v11" = "fragalloc_block_class_name fragalloc_blocks_free fragalloc_blocks_read " ] || { echo "FRAGALLOC_1.1 symbols: '$v11'"; exit 1; }
[ -e "$tmp/root/usr/share/man/man3/fragalloc_blocks_read.3" ] || { echo "missing man3/fragalloc_blocks_read.3"; exit 1; }
v12=$(nm -D --defined-only "$tmp/root/usr/lib/libfragalloc.so.$version" | awk '$2=="T"{print $3}' | sed -n 's/@@FRAGALLOC_1\.2$//p' | sort | tr '\n' ' ')
[ "$v12" = "fragalloc_event_kind_name fragalloc_event_limit_name fragalloc_event_parse fragalloc_monitor_close fragalloc_monitor_fd fragalloc_monitor_next fragalloc_monitor_open fragalloc_nl_stats " ] || { echo "FRAGALLOC_1.2 symbols: '$v12'"; exit 1; }
v13=$(nm -D --defined-only "$tmp/root/usr/lib/libfragalloc.so.$version" | awk '$2=="T"{print $3}' | sed -n 's/@@FRAGALLOC_1\.3$//p' | sort | tr '\n' ' ')
[ "$v13" = "fragalloc_alloc_node fragalloc_batch_nodes fragalloc_memory_nodes fragalloc_nr_node_ids fragalloc_stats_node " ] || { echo "FRAGALLOC_1.3 symbols: '$v13'"; exit 1; }
[ -e "$tmp/root/usr/share/man/man3/fragalloc_alloc_node.3" ] || { echo "missing man3/fragalloc_alloc_node.3"; exit 1; }
for f in usr/share/man/man3/fragalloc_monitor.3 usr/share/man/man3/fragalloc_monitor_next.3 \
	 usr/include/linux/fragalloc_netlink.h; do
	[ -e "$tmp/root/$f" ] || { echo "missing $f"; exit 1; }
done

export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
# the system's .pc files too: fragalloc.pc may require libnl-genl-3.0
syspc=$(pkg-config --variable pc_path pkg-config)
export PKG_CONFIG_LIBDIR="$tmp/root/usr/lib/pkgconfig:$syspc"
export PKG_CONFIG_PATH="$tmp/root/usr/lib/pkgconfig"
flags=$(pkg-config --cflags --libs fragalloc)
# shellcheck disable=SC2086 # pkg-config prints one word per flag
${CC:-cc} -Wall -Werror -o "$tmp/t" "$here/installed_client.c" $flags
LD_LIBRARY_PATH="$tmp/root/usr/lib" "$tmp/t"
# really linked against the installed one
LD_LIBRARY_PATH="$tmp/root/usr/lib" ldd "$tmp/t" | grep -q "$tmp/root/usr/lib/libfragalloc.so.1"

# Built with libnl: a static program gets libnl from Requires.private, and
# on this host (no module) the monitor says the family is missing.
if grep -q '^Requires.private: libnl-genl-3.0' "$tmp/root/usr/lib/pkgconfig/fragalloc.pc"; then
	cat >"$tmp/m.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <fragalloc.h>
int main(void)
{
	struct fragalloc_monitor *m;
	int ret = fragalloc_monitor_open(&m);

	printf("monitor_open: %d\n", ret);
	return ret == -ENOENT || ret == -EPROTONOSUPPORT ? 0 : 1;
}
C
	flags=$(pkg-config --static --cflags --libs fragalloc)
	# shellcheck disable=SC2086 # a list of flags
	${CC:-cc} -Wall -Werror -static -o "$tmp/m" "$tmp/m.c" $flags
	"$tmp/m"
fi
