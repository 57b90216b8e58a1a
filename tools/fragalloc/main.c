// SPDX-License-Identifier: MIT
/*
 * fragalloc: command-line tool for /dev/fragalloc and memory fragmentation.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "main.h"

const char *bin_name = "fragalloc";
int json_output;
int pretty_output;
const char *device_path;
struct json jw;
volatile sig_atomic_t stop_requested;

int common_opt(int c)
{
	switch (c) {
	case 'j':
		json_output = 1;
		return 1;
	case 'p':
		json_output = 1;
		pretty_output = 1;
		return 1;
	case 'd':
		device_path = optarg;
		return 1;
	case 'h':
		return -1;
	default:
		return 0;
	}
}

/* @hint: the advice line (NULL: fragalloc_hint()'s for @err, if any) */
static void vp_err(int err, int on_open, const char *hint, const char *fmt,
		   va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err) {
		size_t n = strlen(msg);

		int e = err < 0 ? -err : err;

		/* on open, the system's words ("No such file or directory"),
		 * except where fragalloc has a better one */
		snprintf(msg + n, sizeof(msg) - n, ": %s",
			 !on_open ? fragalloc_strerror(err) :
			 e == ENOTTY ? fragalloc_open_strerror(err) : strerror(e));
		if (!hint)
			hint = fragalloc_hint(err, on_open);
	}
	if (json_output) {
		struct json j;

		jw_init(&j, stdout, pretty_output);
		jw_obj_start(&j);
		jw_kstr(&j, "error", msg);
		if (err)
			jw_ki64(&j, "errno", err < 0 ? -err : err);
		if (hint)
			jw_kstr(&j, "hint", hint);
		jw_obj_end(&j);
		jw_end_doc(&j);
		return;
	}
	fprintf(stderr, "%s: %s\n", bin_name, msg);
	if (hint)
		fprintf(stderr, "  hint: %s\n", hint);
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vp_err(0, 0, NULL, fmt, ap);
	va_end(ap);
}

void p_hint_err(const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vp_err(0, 0, hint, fmt, ap);
	va_end(ap);
}

void p_fa_err(int err, int on_open, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vp_err(err, on_open, NULL, fmt, ap);
	va_end(ap);
}

int usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bin_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help' or '%s COMMAND --help'.\n", bin_name,
		bin_name);
	return EXIT_USAGE;
}

/* Progress/informational text: stderr, never mixed with JSON on stdout. */
void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int open_device(struct fragalloc **h)
{
	const char *path = device_path ? device_path : FRAGALLOC_DEFAULT_PATH;
	int ret = fragalloc_open(path, h);

	if (ret) {
		p_fa_err(ret, 1, "cannot open %s", path);
		return EXIT_ERR;
	}
	return 0;
}

int cmd_getopt(const struct cmd_spec *spec, int argc, char **argv, void *ctx,
	       struct fragalloc **h)
{
	static const struct option common[] = { COMMON_LONGOPTS };
	struct option longopts[CMD_MAX_OPTS + ARRAY_SIZE(common) + 1];
	char shortopts[64];
	size_t n = 0;
	int c, ret;

	snprintf(shortopts, sizeof(shortopts), "%s%s", COMMON_SHORTOPTS,
		 spec->shortopts ? spec->shortopts : "");
	while (n < ARRAY_SIZE(common)) {
		longopts[n] = common[n];
		n++;
	}
	for (const struct option *o = spec->longopts; o && o->name &&
	     n < ARRAY_SIZE(longopts) - 1; o++)
		longopts[n++] = *o;
	memset(&longopts[n], 0, sizeof(longopts[n]));
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		ret = common_opt(c);
		if (ret < 0)
			return spec->usage();
		if (ret)
			continue;
		ret = spec->opt ? spec->opt(c, optarg, ctx) : OPT_UNKNOWN;
		if (ret == OPT_UNKNOWN)
			return usage_err("%s: bad option", spec->name);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_err("%s: unexpected argument '%s'", spec->name,
				 argv[optind]);
	ret = spec->check ? spec->check(ctx) : 0;
	if (ret)
		return ret;
	jw_init(&jw, stdout, pretty_output);
	if (h && open_device(h))
		return EXIT_ERR;
	return CMD_RUN;
}

int opt_u64(const char *arg, uint64_t *v, int nonzero, const char *what)
{
	if (parse_u64(arg, v) || (nonzero && !*v))
		return usage_err("%s '%s'", what, arg);
	return 0;
}

int opt_size(const char *arg, uint64_t *bytes, int *is_pages, const char *what)
{
	if (parse_size(arg, bytes, is_pages) || !*bytes)
		return usage_err("%s '%s'", what, arg);
	return 0;
}

int parse_class(const char *cmd, const char *arg, int *mobility)
{
	*mobility = fragalloc_mobility_parse(arg);
	if (*mobility < 0)
		return usage_err("%s: unknown class '%s'", cmd, arg);
	return 0;
}

int parse_policy(const char *cmd, const char *arg, int *policy)
{
	*policy = fragalloc_policy_parse(arg);
	if (*policy < 0)
		return usage_err("%s: unknown policy '%s'", cmd, arg);
	return 0;
}

uint64_t size_to_pages(uint64_t size, int is_pages, uint64_t page_size)
{
	return is_pages ? size : (size + page_size - 1) / page_size;
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int parse_double(const char *s, double *v)
{
	char *end;
	double x;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end || !isfinite(x))
		return -EINVAL;
	*v = x;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes, int *is_pages)
{
	char *end;
	unsigned long long x;
	uint64_t mult = 1;

	*is_pages = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1ULL << 10; end++; break;
	case 'm': case 'M':
		mult = 1ULL << 20; end++; break;
	case 'g': case 'G':
		mult = 1ULL << 30; end++; break;
	case 't': case 'T':
		mult = 1ULL << 40; end++; break;
	case 'p': case 'P':
		*is_pages = 1; end++; break;
	default:
		return -EINVAL;
	}
	if (!*is_pages && (*end == 'i' || *end == 'I'))
		end++;
	if (!*is_pages && (*end == 'b' || *end == 'B'))
		end++;
	if (*end)
		return -EINVAL;
	if (x > UINT64_MAX / mult)
		return -ERANGE;
	*bytes = x * mult;
	return 0;
}

void fmt_bytes(char *buf, size_t len, uint64_t b)
{
	if (b >= (1ULL << 30))
		snprintf(buf, len, "%.1f GiB", (double)b / (1ULL << 30));
	else if (b >= (1ULL << 20))
		snprintf(buf, len, "%.1f MiB", (double)b / (1ULL << 20));
	else if (b >= (1ULL << 10))
		snprintf(buf, len, "%.1f KiB", (double)b / (1ULL << 10));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void sleep_interruptible(double seconds)
{
	struct timespec ts;

	while (seconds > 0 && !stop_requested) {
		double step = seconds > 0.2 ? 0.2 : seconds;

		ts.tv_sec = (time_t)step;
		ts.tv_nsec = (long)((step - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		seconds -= step;
	}
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int, char **))
{
	const struct cmd *found = NULL;
	size_t len;
	int n = 0;

	if (argc < 1)
		return help ? help(argc, argv) : EXIT_USAGE;
	len = strlen(argv[0]);
	for (const struct cmd *c = cmds; c->name; c++) {
		if (!strcmp(c->name, argv[0]))
			return c->fn(argc, argv);
	}
	for (const struct cmd *c = cmds; c->name; c++) {
		if (len && !strncmp(c->name, argv[0], len)) {
			found = c;
			n++;
		}
	}
	if (n == 1)
		return found->fn(argc, argv);
	if (n > 1) {
		char list[256] = "";

		for (const struct cmd *c = cmds; c->name; c++)
			if (!strncmp(c->name, argv[0], len)) {
				if (*list)
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
				strncat(list, c->name, sizeof(list) - strlen(list) - 1);
			}
		return usage_err("ambiguous command '%s' (%s)", argv[0], list);
	}
	return usage_err("unknown command '%s'", argv[0]);
}

static int do_help(int argc, char **argv);
static int do_version(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "info", do_info, "describe the loaded module (ABI, limits, features)" },
	{ "stats", do_stats, "pool statistics [--watch SECONDS]" },
	{ "frag", do_frag, "fragmentation report from /proc/buddyinfo and /proc/pagetypeinfo" },
	{ "alloc", do_alloc, "allocate a batch, optionally fill and hold it" },
	{ "recompact", do_recompact, "recompact the pool (or this fd) [--dry-run]" },
	{ "stress", do_stress, "the long-running allocate/free load with before/after reports" },
	{ "monitor", do_monitor, "live events of the module [--count N] [--timeout SECONDS]" },
	{ "version", do_version, "print versions" },
	{ "help", do_help, "this text" },
	{ NULL, NULL, NULL },
};

static void help_json(void)
{
	jw_obj_start(&jw);
	jw_kstr(&jw, "usage", "fragalloc [OPTIONS] COMMAND [ARGS]");
	jw_key(&jw, "commands");
	jw_arr_start(&jw);
	for (const struct cmd *c = cmds; c->name; c++)
		jw_str(&jw, c->name);
	jw_arr_end(&jw);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static void help_plain(void)
{
	printf("Usage: %s [OPTIONS] COMMAND [ARGS...]\n"
	       "\n"
	       "Commands (any unambiguous prefix works):\n", bin_name);
	for (const struct cmd *c = cmds; c->name; c++)
		printf("  %-12s%s\n", c->name, c->help ? c->help : "");
	printf("\n"
	       "Options (before or after COMMAND):\n"
	       "  -j, --json          JSON output on stdout\n"
	       "  -p, --pretty        indented JSON (implies --json)\n"
	       "  -d, --device PATH   device node (default %s)\n"
	       "  -h, --help          help (of a COMMAND after it)\n"
	       "  -V, --version       same as 'version'\n"
	       "\n"
	       "Exit status: 0 success, 1 error, 2 usage error.\n"
	       "See fragalloc(8).\n", FRAGALLOC_DEFAULT_PATH);
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (json_output)
		help_json();
	else
		help_plain();
	return EXIT_OK;
}

static int version_usage(void)
{
	printf("Usage: %s version [--json]\n", bin_name);
	return EXIT_OK;
}

static int do_version(int argc, char **argv)
{
	static const struct cmd_spec spec = {
		.name = "version", .usage = version_usage,
	};
	int ret = cmd_getopt(&spec, argc, argv, NULL, NULL);

	if (ret != CMD_RUN)
		return ret;
	if (json_output) {
		jw_obj_start(&jw);
		jw_kstr(&jw, "version", TOOL_VERSION);
		jw_kstr(&jw, "libfragalloc", fragalloc_version());
		jw_ku64(&jw, "abi_version", FRAGALLOC_ABI_VERSION);
		jw_obj_end(&jw);
		jw_end_doc(&jw);
	} else {
		printf("%s v%s\nlibfragalloc v%s\nABI version %d\n", bin_name,
		       TOOL_VERSION, fragalloc_version(), FRAGALLOC_ABI_VERSION);
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	opterr = 1;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "V", opts, NULL)) != -1) {
		int r = common_opt(c);

		if (r < 0) {
			jw_init(&jw, stdout, pretty_output);
			return do_help(0, NULL);
		}
		if (r)
			continue;
		if (c == 'V') {
			char *args[] = { "version", NULL };

			jw_init(&jw, stdout, pretty_output);
			return do_version(1, args);
		}
		return usage_err("bad option");
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		do_help(0, NULL);
		return EXIT_USAGE;
	}
	install_signal_handlers();
	/* jw is (re)initialised by commands after their own options */
	jw_init(&jw, stdout, pretty_output);
	ret = cmd_select(cmds, argc, argv, do_help);
	fflush(stdout);
	return ret;
}
