/* SPDX-License-Identifier: MIT */
/*
 * What the tests/lib programs share: their TAP output ("ok N - name" or
 * "not ok N - name" after a "# file:line: condition" line for the first
 * failed CHECK; run.sh numbers the lines of all the programs in one
 * sequence) and the loading of the files of the data directory.
 */
#ifndef FA_TESTS_TAP_H
#define FA_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int n_test, n_fail;

static void __attribute__((format(printf, 2, 3)))
report(int ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (!ok)
		n_fail++;
	printf("%sok %d - ", ok ? "" : "not ", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Within one test: record the first failure. */
static char why[512];
#define CHECK(cond) do { \
	if (!(cond) && !why[0]) \
		snprintf(why, sizeof(why), "%s:%d: %s", __FILE__, __LINE__, #cond); \
} while (0)
#define BEGIN() (why[0] = '\0')
/* END("name") or END("format", ...) */
#define END(...) do { \
	if (why[0]) \
		printf("# %s\n", why); \
	report(!why[0], __VA_ARGS__); \
} while (0)

/* the data directory (argv[1]) */
static const char *datadir = "data";

/* The whole of datadir/@name, NUL-terminated (not counted in *@len). */
static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(99);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(99);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
