// SPDX-License-Identifier: GPL-2.0
/* Host-side definitions for driver/core/port.h. */
#include <stdio.h>
#include "port.h"

bool fa_warn_fatal = true;
unsigned long fa_warn_count;

bool fa_warn_report(const char *file, int line, const char *cond)
{
	fa_warn_count++;
	if (fa_warn_fatal) {
		fprintf(stderr, "FA_WARN_ON(%s) at %s:%d\n", cond, file, line);
		abort();
	}
	return true;
}
