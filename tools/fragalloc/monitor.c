// SPDX-License-Identifier: MIT
/*
 * fragalloc monitor [--count N] [--timeout S]: the module's coalesced
 * netlink events, one line (or JSON object) each, then a summary.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "main.h"

/* the longest wait between two looks at stop_requested */
#define MONITOR_SLICE_MS	200

static int usage(void)
{
	printf("Usage: %s monitor [--count N] [--timeout SECONDS] [--json|--pretty]\n"
	       "Prints the fragalloc module's events as they come (generic netlink\n"
	       "family \"fragalloc\", group \"events\"; no privilege needed): one line\n"
	       "per message, which the kernel coalesces to at most one per kind and\n"
	       "%d ms, with how many events it stands for and their sums. With --json,\n"
	       "one JSON object per line. Stops after N messages (--count), after\n"
	       "SECONDS (--timeout) or on Ctrl-C, and prints a summary; exit status 0.\n"
	       "If the module is not loaded: an error, exit status 1.\n",
	       bin_name, FRAGALLOC_NL_COALESCE_MS);
	return EXIT_OK;
}

/* The sums a message may carry, in the order they are printed */
static const struct {
	int attr;
	const char *name;
	size_t off;
} sums[] = {
	{ FRAGALLOC_NL_A_EVENT_PAGES, "pages", offsetof(struct fragalloc_event, pages) },
	{ FRAGALLOC_NL_A_EVENT_BLOCKS, "blocks", offsetof(struct fragalloc_event, blocks) },
	{ FRAGALLOC_NL_A_EVENT_LOOSE, "loose", offsetof(struct fragalloc_event, loose) },
	{ FRAGALLOC_NL_A_EVENT_PLANNED, "planned", offsetof(struct fragalloc_event, planned) },
	{ FRAGALLOC_NL_A_EVENT_MOVED, "moved", offsetof(struct fragalloc_event, moved) },
	{ FRAGALLOC_NL_A_EVENT_ASKED, "asked", offsetof(struct fragalloc_event, asked) },
	{ FRAGALLOC_NL_A_EVENT_DURATION_NS, "duration_ns",
	  offsetof(struct fragalloc_event, duration_ns) },
};

#define NR_SUMS ARRAY_SIZE(sums)
#define HAS(ev, a) ((ev)->attrs & (1ULL << (a)))

struct tally {
	uint64_t messages, events, dropped, malformed;
	uint64_t kind_messages[FRAGALLOC_NL_NR_EVENTS];
	uint64_t kind_events[FRAGALLOC_NL_NR_EVENTS];
	struct timespec start;
};

/* the totals of the JSON summary */
static const struct {
	const char *name;
	size_t off;
} tally_totals[] = {
	{ "messages", offsetof(struct tally, messages) },
	{ "events", offsetof(struct tally, events) },
	{ "dropped", offsetof(struct tally, dropped) },
	{ "malformed", offsetof(struct tally, malformed) },
};

static uint64_t sum_of(const struct fragalloc_event *ev, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)ev + sums[i].off, sizeof(v));
	return v;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The event's time (CLOCK_MONOTONIC, the kernel's) on the wall clock, as
 * "YYYY-MM-DD HH:MM:SS.mmm" (local) or ISO 8601 UTC for JSON.
 */
static void event_time(const struct fragalloc_event *ev, int utc, char *buf,
		       size_t len)
{
	struct timespec mono, real;
	uint64_t mono_ns;
	int64_t ns;
	time_t s;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	ns = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec;
	mono_ns = (uint64_t)mono.tv_sec * 1000000000 + (uint64_t)mono.tv_nsec;
	/*
	 * The event's CLOCK_MONOTONIC stamp, shifted to wall-clock time; a
	 * stamp from the future (a kernel bug) or from before the wall clock's
	 * epoch is shown as now, never as an overflowed time.
	 */
	if (HAS(ev, FRAGALLOC_NL_A_EVENT_TIME_NS) && ev->time_ns <= mono_ns &&
	    mono_ns - ev->time_ns <= (uint64_t)ns)
		ns -= (int64_t)(mono_ns - ev->time_ns);
	s = (time_t)(ns / 1000000000);
	if (utc)
		gmtime_r(&s, &tm);
	else
		localtime_r(&s, &tm);
	n = strftime(buf, len, utc ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03d%s", (int)(ns / 1000000 % 1000),
		 utc ? "Z" : "");
}

static void print_json(const struct fragalloc_event *ev)
{
	const char *kind = fragalloc_event_kind_name(ev->kind);
	char when[48];

	event_time(ev, 1, when, sizeof(when));
	jw_obj_start(&jw);
	jw_kstr(&jw, "time", when);
	if (HAS(ev, FRAGALLOC_NL_A_EVENT_TIME_NS))
		jw_ku64(&jw, "time_ns", ev->time_ns);
	jw_key(&jw, "kind");
	if (kind)
		jw_str(&jw, kind);
	else
		jw_u64(&jw, ev->kind);	/* a kind of a newer module */
	jw_ku64(&jw, "count", ev->count);
	for (size_t i = 0; i < NR_SUMS; i++)
		if (HAS(ev, sums[i].attr))
			jw_ku64(&jw, sums[i].name, sum_of(ev, i));
	if (HAS(ev, FRAGALLOC_NL_A_EVENT_LIMIT)) {
		const char *l = fragalloc_event_limit_name(ev->limit);

		jw_key(&jw, "limit");
		if (l)
			jw_str(&jw, l);
		else
			jw_u64(&jw, ev->limit);
	}
	if (HAS(ev, FRAGALLOC_NL_A_EVENT_ERRNO))
		jw_ku64(&jw, "errno", ev->error);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static void print_text(const struct fragalloc_event *ev)
{
	const char *kind = fragalloc_event_kind_name(ev->kind);
	char when[48];

	event_time(ev, 0, when, sizeof(when));
	printf("%s %-14s", when, kind ? kind : "?");
	if (!kind)
		printf(" kind=%" PRIu32, ev->kind);
	printf(" x%-4" PRIu64, ev->count);
	for (size_t i = 0; i < NR_SUMS; i++)
		if (HAS(ev, sums[i].attr))
			printf(" %s=%" PRIu64, sums[i].name, sum_of(ev, i));
	if (HAS(ev, FRAGALLOC_NL_A_EVENT_LIMIT)) {
		const char *l = fragalloc_event_limit_name(ev->limit);

		if (l)
			printf(" limit=%s", l);
		else
			printf(" limit=%" PRIu32, ev->limit);
	}
	if (HAS(ev, FRAGALLOC_NL_A_EVENT_ERRNO))
		printf(" errno=%" PRIu32 " (%s)", ev->error,
		       strerror((int)ev->error));
	printf("\n");
	fflush(stdout);
}

static void summary_json(const struct tally *t, const char *reason)
{
	jw_obj_start(&jw);
	jw_key(&jw, "summary");
	jw_obj_start(&jw);
	jw_kstr(&jw, "reason", reason);
	jw_kdbl(&jw, "seconds", seconds_since(&t->start));
	for (size_t i = 0; i < ARRAY_SIZE(tally_totals); i++)
		jw_ku64(&jw, tally_totals[i].name,
			*(const uint64_t *)((const char *)t + tally_totals[i].off));
	jw_key(&jw, "kinds");
	jw_obj_start(&jw);
	for (unsigned int k = 0; k < FRAGALLOC_NL_NR_EVENTS; k++) {
		jw_key(&jw, fragalloc_event_kind_name(k));
		jw_obj_start(&jw);
		jw_ku64(&jw, "messages", t->kind_messages[k]);
		jw_ku64(&jw, "events", t->kind_events[k]);
		jw_obj_end(&jw);
	}
	jw_obj_end(&jw);
	jw_obj_end(&jw);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static void summary_text(const struct tally *t, const char *reason)
{
	const char *sep = ": ";

	printf("monitor: %" PRIu64 " messages, %" PRIu64 " events in %.1f s (%s)",
	       t->messages, t->events, seconds_since(&t->start), reason);
	for (unsigned int k = 0; k < FRAGALLOC_NL_NR_EVENTS; k++) {
		if (!t->kind_messages[k])
			continue;
		printf("%s%s %" PRIu64, sep, fragalloc_event_kind_name(k),
		       t->kind_events[k]);
		sep = ", ";
	}
	printf("\n");
	if (t->dropped || t->malformed)
		printf("monitor: %" PRIu64 " times the kernel dropped messages, %"
		       PRIu64 " malformed messages skipped\n",
		       t->dropped, t->malformed);
}

static void count_event(struct tally *t, const struct fragalloc_event *ev)
{
	t->messages++;
	t->events += ev->count;
	if (ev->kind < FRAGALLOC_NL_NR_EVENTS) {
		t->kind_messages[ev->kind]++;
		t->kind_events[ev->kind] += ev->count;
	}
}

/* The wait for this round: a slice, or less when the deadline is nearer */
static int wait_ms(const struct tally *t, double timeout)
{
	double left;

	if (timeout <= 0)
		return MONITOR_SLICE_MS;
	left = (timeout - seconds_since(&t->start)) * 1000;
	if (left <= 0)
		return 0;
	return left < MONITOR_SLICE_MS ? (int)left + 1 : MONITOR_SLICE_MS;
}

/*
 * Events until @count messages, @timeout seconds or a signal. Returns the
 * reason it stopped, or NULL with *@err set when the monitor failed.
 */
static const char *watch(struct fragalloc_monitor *m, uint64_t count,
			 double timeout, struct tally *t, int *err)
{
	struct fragalloc_event ev;
	int ret;

	while (!count || t->messages < count) {
		if (stop_requested)
			return "signal";
		if (timeout > 0 && seconds_since(&t->start) >= timeout)
			return "timeout";
		ret = fragalloc_monitor_next(m, wait_ms(t, timeout), &ev);
		if (ret == 0 || ret == -EINTR)
			continue;
		if (ret == -ENOBUFS || ret == -EBADMSG) {
			/* the monitor goes on: say so on stderr only */
			if (ret == -ENOBUFS)
				t->dropped++;
			else
				t->malformed++;
			p_info("monitor: %s\n", ret == -ENOBUFS ?
			       "the kernel dropped messages (read too slowly)" :
			       "a malformed message, skipped");
			continue;
		}
		if (ret < 0) {
			*err = ret;
			return NULL;
		}
		count_event(t, &ev);
		if (json_output)
			print_json(&ev);
		else
			print_text(&ev);
	}
	return "count";
}

static int open_monitor(struct fragalloc_monitor **m)
{
	int ret = fragalloc_monitor_open(m);

	if (ret == -ENOENT)
		p_fa_err(ret, 1, "no generic netlink family \"%s\": the module is not loaded (or too old)",
			 FRAGALLOC_GENL_NAME);
	else if (ret == -EOPNOTSUPP)
		p_err("this fragalloc was built without libnl-genl-3: no netlink monitor (rebuild with libnl-genl-3-dev installed)");
	else if (ret == -EPROTONOSUPPORT)
		p_err("this kernel has no generic netlink (CONFIG_NET, CONFIG_NETLINK): no monitor");
	else if (ret)
		p_fa_err(ret, 1, "cannot open a generic netlink socket");
	return ret ? EXIT_ERR : EXIT_OK;
}

struct monitor_args {
	uint64_t count;		/* messages; 0: no limit */
	double timeout;		/* seconds; 0: none */
};

static int monitor_opt(int c, const char *arg, void *ctx)
{
	struct monitor_args *a = ctx;

	if (c == 'n')
		return opt_u64(arg, &a->count, 1, "monitor: bad --count");
	if (c != 't')
		return OPT_UNKNOWN;
	if (parse_double(arg, &a->timeout) || !(a->timeout > 0))
		return usage_err("monitor: bad --timeout '%s'", arg);
	return 0;
}

int do_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 },
	};
	static const struct cmd_spec spec = {
		.name = "monitor", .shortopts = "n:t:", .longopts = opts,
		.usage = usage, .opt = monitor_opt,
	};
	struct monitor_args a = { 0 };
	struct fragalloc_monitor *m;
	struct tally t;
	const char *reason;
	int ret, err = 0;

	ret = cmd_getopt(&spec, argc, argv, &a, NULL);
	if (ret != CMD_RUN)
		return ret;
	if (open_monitor(&m))
		return EXIT_ERR;
	memset(&t, 0, sizeof(t));
	clock_gettime(CLOCK_MONOTONIC, &t.start);
	if (!json_output)
		p_info("monitoring fragalloc events (Ctrl-C to stop)\n");
	reason = watch(m, a.count, a.timeout, &t, &err);
	fragalloc_monitor_close(m);
	if (!reason) {
		p_fa_err(err, 0, err == -ENODEV ? "the module was unloaded" :
			 "netlink monitor");
		reason = "error";
	}
	if (json_output)
		summary_json(&t, reason);
	else
		summary_text(&t, reason);
	return err ? EXIT_ERR : EXIT_OK;
}
