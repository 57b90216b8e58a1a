/* SPDX-License-Identifier: MIT */
/* fragalloc CLI: shared declarations. */
#ifndef FRAGALLOC_CLI_MAIN_H
#define FRAGALLOC_CLI_MAIN_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <fragalloc.h>

#include "json.h"

/* the CLI is versioned with the library (VERSION in the top-level Makefile) */
#define TOOL_VERSION FRAGALLOC_LIB_VERSION

#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

extern const char *bin_name;
extern int json_output;
extern int pretty_output;
extern const char *device_path;
extern struct json jw;
extern volatile sig_atomic_t stop_requested;

/* Options accepted by every command (and before the command). */
#define COMMON_SHORTOPTS "+jphd:"
#define COMMON_LONGOPTS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "pretty", no_argument, NULL, 'p' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "device", required_argument, NULL, 'd' }

/*
 * Handles a common option. Returns 1 if handled, 0 if not, and -1 for
 * --help (caller prints its usage and returns EXIT_OK).
 */
int common_opt(int c);

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int, char **));

/* "fragalloc: <msg>" on stderr (or an {"error":...} object with --json). */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same with ": <errno text>" and a "  hint: ..." line. */
void p_fa_err(int err, int on_open, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens the device, printing a readable error; 0 or EXIT_ERR. */
int open_device(struct fragalloc **h);

/* "40M", "1G", "4096", "10p" (pages). Bytes, or pages if suffix p. */
int parse_size(const char *s, uint64_t *bytes, int *is_pages);
int parse_u64(const char *s, uint64_t *v);
int parse_double(const char *s, double *v);
/* Sleep up to @seconds, returning early on SIGINT/SIGTERM. */
void sleep_interruptible(double seconds);
void install_signal_handlers(void);
void fmt_bytes(char *buf, size_t len, uint64_t bytes);

int do_info(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_frag(int argc, char **argv);
int do_alloc(int argc, char **argv);
int do_recompact(int argc, char **argv);
int do_stress(int argc, char **argv);

/* frag.c helpers shared with stress */
void frag_print_text(const struct fragalloc_frag_report *r, int verbose);
void frag_print_json(const struct fragalloc_frag_report *r);
void frag_summary_json(const struct fragalloc_frag_report *r);
void frag_summary_text(const char *title, const struct fragalloc_frag_report *r);

#endif
