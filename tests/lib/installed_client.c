// SPDX-License-Identifier: MIT
/*
 * A program built against an installed libfragalloc with pkg-config
 * (tests/lib/test_install.sh, tests/pkg/pkg_test.sh): reads this machine's
 * fragmentation tables and prints "lib=V header=V abi=N zones=N"; exit 0
 * when it found zones and the library is the version of its header.
 */
#include <stdio.h>
#include <string.h>
#include <fragalloc.h>

int main(void)
{
	struct fragalloc_frag_report *r;
	int ret = fragalloc_frag_read(NULL, "", &r);

	if (ret) {
		fprintf(stderr, "frag_read: %s\n", fragalloc_strerror(ret));
		return 1;
	}
	printf("lib=%s header=%s abi=%d zones=%u\n", fragalloc_version(),
	       FRAGALLOC_LIB_VERSION, FRAGALLOC_ABI_VERSION, r->nr_zones);
	ret = r->nr_zones > 0 && !strcmp(fragalloc_version(), FRAGALLOC_LIB_VERSION) ? 0 : 1;
	fragalloc_frag_free(r);
	return ret;
}
