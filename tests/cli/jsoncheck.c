// SPDX-License-Identifier: MIT
/*
 * jsoncheck: validate JSON on stdin (one or more whitespace-separated
 * values, e.g. NDJSON) for guests without python. Each KEY argument must be
 * a member of the first top-level object. Exit 0 valid, 1 invalid, 2 usage.
 *   fragalloc info --json | jsoncheck abi_version page_size
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *p, *end;
static int depth;
static char keys[64][64];
static int nkeys, top_object_seen;

static void ws(void)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
}

static int value(void);

static int string(char *out, size_t outlen)
{
	size_t n = 0;

	if (p >= end || *p != '"')
		return 0;
	for (p++; p < end && *p != '"'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++p >= end)
				return 0;
			if (*p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++p >= end || !strchr("0123456789abcdefABCDEF", *p))
						return 0;
			} else if (!strchr("\"\\/bfnrt", *p)) {
				return 0;
			}
		}
		if (out && n + 1 < outlen)
			out[n++] = (char)c;
	}
	if (p >= end)
		return 0;
	p++;
	if (out)
		out[n] = '\0';
	return 1;
}

static int number(void)
{
	const char *s = p;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return 0;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p > s;
}

static int lit(const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(end - p) < n || memcmp(p, w, n))
		return 0;
	p += n;
	return 1;
}

/* consume C if it is next */
static int accept(char c)
{
	if (p < end && *p == c) {
		p++;
		return 1;
	}
	return 0;
}

/* "key": value, in an object; TOP: the first top-level one, whose keys count */
static int member(int top)
{
	char k[64];

	ws();
	if (!string(k, sizeof(k)))
		return 0;
	if (top && nkeys < 64)
		strcpy(keys[nkeys++], k);
	ws();
	if (!accept(':'))
		return 0;
	return value();
}

/*
 * An object ('{' at p, members, CLOSE '}') or an array ('[', values, ']'):
 * zero or more elements separated by ','.
 */
static int sequence(char close, int top)
{
	p++;
	ws();
	if (accept(close))
		return 1;
	for (;;) {
		if (!(close == '}' ? member(top) : value()))
			return 0;
		ws();
		if (!accept(','))
			return accept(close);
	}
}

static int value(void)
{
	int ok;

	ws();
	if (p >= end || ++depth > 64)
		return 0;
	switch (*p) {
	case '{':
		ok = sequence('}', depth == 1 && !top_object_seen);
		if (depth == 1)
			top_object_seen = 1;
		break;
	case '[': ok = sequence(']', 0); break;
	case '"': ok = string(NULL, 0); break;
	case 't': ok = lit("true"); break;
	case 'f': ok = lit("false"); break;
	case 'n': ok = lit("null"); break;
	default: ok = number(); break;
	}
	depth--;
	return ok;
}

int main(int argc, char **argv)
{
	static char buf[1 << 22];
	size_t n = fread(buf, 1, sizeof(buf), stdin);
	int values = 0;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fprintf(stderr, "usage: jsoncheck [KEY...] < json\n");
		return 2;
	}
	if (n == sizeof(buf)) {
		fprintf(stderr, "jsoncheck: input too large\n");
		return 1;
	}
	p = buf;
	end = buf + n;
	for (;;) {
		ws();
		if (p >= end)
			break;
		if (!value()) {
			fprintf(stderr, "jsoncheck: invalid JSON at byte %ld\n", (long)(p - buf));
			return 1;
		}
		values++;
	}
	if (!values) {
		fprintf(stderr, "jsoncheck: no JSON value\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		int found = 0;

		for (int k = 0; k < nkeys; k++)
			if (!strcmp(keys[k], argv[i]))
				found = 1;
		if (!found) {
			fprintf(stderr, "jsoncheck: missing key '%s'\n", argv[i]);
			return 1;
		}
	}
	return 0;
}
