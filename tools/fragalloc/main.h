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

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2

/* A command: a row of cmds[] (main.c), the one list of them. */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;	/* its line in 'fragalloc help' */
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

/*
 * How cmd_getopt() reads the arguments of one command. @longopts and
 * @shortopts are the command's own options (at most CMD_MAX_OPTS long ones,
 * ending with a zero entry), the common ones come with cmd_getopt().
 * @opt takes an option of the command's own: 0 when taken, OPT_UNKNOWN when
 * not one of its options, else the exit code (usage_err()'s). @check, after
 * the options, is where options that go only together are tested: 0 or the
 * exit code. Either may be NULL.
 */
struct cmd_spec {
	const char *name;
	const char *shortopts;
	const struct option *longopts;
	int (*usage)(void);
	int (*opt)(int c, const char *arg, void *ctx);
	int (*check)(void *ctx);
};

#define CMD_MAX_OPTS	32
#define OPT_UNKNOWN	(-1)
#define CMD_RUN		(-1)

/*
 * The prologue of every command: its options (the common ones, --help and
 * the command's through @spec->opt), no stray argument, the JSON writer set
 * up and, if @h is not NULL, the device open. CMD_RUN when the command is to
 * run, else the exit code to return (EXIT_OK after --help).
 */
int cmd_getopt(const struct cmd_spec *spec, int argc, char **argv, void *ctx,
	       struct fragalloc **h);

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int, char **));

/* "fragalloc: <msg>" on stderr (or an {"error":...} object with --json). */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same with ": <errno text>" and a "  hint: ..." line. */
void p_fa_err(int err, int on_open, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* p_err() with a "  hint: HINT" line (a "hint" member with --json). */
void p_hint_err(const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens the device, printing a readable error; 0 or EXIT_ERR. */
int open_device(struct fragalloc **h);

/* "40M", "1G", "4096", "10p" (pages). Bytes, or pages if suffix p. */
int parse_size(const char *s, uint64_t *bytes, int *is_pages);
int parse_u64(const char *s, uint64_t *v);
int parse_double(const char *s, double *v);
/*
 * An option's number: 0, or the usage error "@what 'ARG'" (e.g. "stress: bad
 * --cycles"). opt_size() and, with @nonzero, opt_u64() refuse 0.
 */
int opt_u64(const char *arg, uint64_t *v, int nonzero, const char *what);
int opt_size(const char *arg, uint64_t *bytes, int *is_pages, const char *what);
/* --class and --policy of the commands that allocate (alloc, stress, frag) */
int parse_class(const char *cmd, const char *arg, int *mobility);
int parse_policy(const char *cmd, const char *arg, int *policy);
/* --node N of alloc and stats: a node id */
int parse_node(const char *cmd, const char *arg, int *node);
/* Most nodes the CLI lists (node.c) */
#define NODE_MAX_LIST	64
/*
 * The nodes with memory the module knows, ascending, into @ids: how many,
 * 0 when the module has no node support, or -errno.
 */
int node_list(struct fragalloc *h, int *ids, int max);
/*
 * The error of a call for node @node (-1: the default) with @what ("cannot
 * allocate ..."): a node that is not online or has no memory, and a strict
 * request on a full node, named as such with the machine's nodes.
 */
void node_err(int err, int node, int strict, const char *what);
/* A batch's pages per node, as "nodes" and "nr_nodes" (JSON) or one line. */
void node_batch_print(struct fragalloc *h, uint32_t handle);
/* SIZE parsed by parse_size() in pages of the device's @page_size */
uint64_t size_to_pages(uint64_t size, int is_pages, uint64_t page_size);
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
int do_monitor(int argc, char **argv);

/* frag.c helpers shared with stress */
void frag_print_text(const struct fragalloc_frag_report *r, int verbose);
void frag_print_json(const struct fragalloc_frag_report *r);
void frag_summary_json(const struct fragalloc_frag_report *r);
void frag_summary_text(const char *title, const struct fragalloc_frag_report *r);

/* recompact.c, for stress */
void recompact_blocks_json(const struct fragalloc_recompact *rc);

#endif
