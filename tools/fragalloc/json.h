/* SPDX-License-Identifier: MIT */
/* Tiny streaming JSON writer for the fragalloc CLI. */
#ifndef FRAGALLOC_CLI_JSON_H
#define FRAGALLOC_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int pretty;
	int depth;
	int need_comma[32];
	int after_key;
};

void jw_init(struct json *j, FILE *f, int pretty);
void jw_obj_start(struct json *j);
void jw_obj_end(struct json *j);
void jw_arr_start(struct json *j);
void jw_arr_end(struct json *j);
void jw_key(struct json *j, const char *key);
void jw_str(struct json *j, const char *s);
void jw_u64(struct json *j, uint64_t v);
void jw_i64(struct json *j, int64_t v);
void jw_dbl(struct json *j, double v);
void jw_bool(struct json *j, int v);
void jw_null(struct json *j);
/* "keys[i]": v[i] for i < n: a run of plain numbers, keys apart from values */
void jw_ku64_list(struct json *j, const char *const *keys, const uint64_t *v,
		  size_t n);
/* Ends a top-level value with a newline and flushes. */
void jw_end_doc(struct json *j);

/* key + value shorthands */
#define jw_kstr(j, k, v)  do { jw_key(j, k); jw_str(j, v); } while (0)
#define jw_ku64(j, k, v)  do { jw_key(j, k); jw_u64(j, v); } while (0)
#define jw_ki64(j, k, v)  do { jw_key(j, k); jw_i64(j, v); } while (0)
#define jw_kdbl(j, k, v)  do { jw_key(j, k); jw_dbl(j, v); } while (0)
#define jw_kbool(j, k, v) do { jw_key(j, k); jw_bool(j, v); } while (0)

#endif
