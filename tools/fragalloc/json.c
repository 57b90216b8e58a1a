// SPDX-License-Identifier: MIT
/* Tiny streaming JSON writer for the fragalloc CLI. */
#include <inttypes.h>
#include <math.h>

#include "json.h"

void jw_init(struct json *j, FILE *f, int pretty)
{
	j->f = f;
	j->pretty = pretty;
	j->depth = 0;
	j->need_comma[0] = 0;
	j->after_key = 0;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Before any value or key: comma and indentation. */
static void pre_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	if (j->depth)
		indent(j);
	j->need_comma[j->depth] = 1;
}

static void jopen(struct json *j, char c)
{
	pre_value(j);
	fputc(c, j->f);
	if (j->depth < 31)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

static void close_(struct json *j, char c)
{
	int had = j->need_comma[j->depth];

	if (j->depth)
		j->depth--;
	if (had)
		indent(j);
	fputc(c, j->f);
}

void jw_obj_start(struct json *j) { jopen(j, '{'); }
void jw_obj_end(struct json *j) { close_(j, '}'); }
void jw_arr_start(struct json *j) { jopen(j, '['); }
void jw_arr_end(struct json *j) { close_(j, ']'); }

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

void jw_key(struct json *j, const char *key)
{
	pre_value(j);
	put_string(j->f, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = 1;
}

void jw_str(struct json *j, const char *s)
{
	pre_value(j);
	if (s)
		put_string(j->f, s);
	else
		fputs("null", j->f);
}

void jw_u64(struct json *j, uint64_t v)
{
	pre_value(j);
	fprintf(j->f, "%" PRIu64, v);
}

void jw_i64(struct json *j, int64_t v)
{
	pre_value(j);
	fprintf(j->f, "%" PRId64, v);
}

void jw_dbl(struct json *j, double v)
{
	pre_value(j);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void jw_bool(struct json *j, int v)
{
	pre_value(j);
	fputs(v ? "true" : "false", j->f);
}

void jw_null(struct json *j)
{
	pre_value(j);
	fputs("null", j->f);
}

void jw_ku64_list(struct json *j, const char *const *keys, const uint64_t *v,
		  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		jw_key(j, keys[i]);
		jw_u64(j, v[i]);
	}
}

void jw_end_doc(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
	j->need_comma[0] = 0;
}
