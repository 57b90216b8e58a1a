// SPDX-License-Identifier: MIT
/*
 * Host tests of libfragalloc's netlink side: the parsers against messages
 * encoded as the kernel sends them (data/nl-*.bin, written by
 * data/mk-netlink-samples.py, whose values are repeated here by hand), the
 * kind and limit names, and what the socket functions answer on a host
 * without the module (no family "fragalloc": ENOENT; a library without
 * libnl: EOPNOTSUPP). Prints TAP lines "ok N - name" like test_lib.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "internal.h"
#include "tap.h"

/* A sample in a buffer of exactly its size (ASan sees any overread). */
static unsigned char *load(const char *name, size_t *len)
{
	char file[256];
	char *text;
	unsigned char *buf;

	snprintf(file, sizeof(file), "%s.bin", name);
	text = slurp(file, len);
	buf = malloc(*len ? *len : 1);
	if (!buf)
		exit(99);
	memcpy(buf, text, *len);
	free(text);
	return buf;
}

#define BIT(a) (1ULL << FRAGALLOC_NL_A_##a)

struct event_case {
	const char *file;
	int ret;
	struct fragalloc_event ev;	/* when ret is 0 */
};

static const struct event_case event_cases[] = {
	{ "nl-event-alloc", 0, {
		.kind = FRAGALLOC_NL_EVENT_ALLOC, .count = 3,
		.time_ns = 123456789012ULL, .pages = 1536, .blocks = 3,
		.attrs = BIT(EVENT_KIND) | BIT(EVENT_COUNT) | BIT(EVENT_TIME_NS) |
			 BIT(EVENT_PAGES) | BIT(EVENT_BLOCKS) | BIT(EVENT_LOOSE) } },
	/* as an architecture without unaligned access pads the u64s */
	{ "nl-event-alloc-pad", 0, {
		.kind = FRAGALLOC_NL_EVENT_ALLOC, .count = 3,
		.time_ns = 123456789012ULL, .pages = 1536, .blocks = 3,
		.attrs = BIT(EVENT_KIND) | BIT(EVENT_COUNT) | BIT(EVENT_TIME_NS) |
			 BIT(EVENT_PAGES) | BIT(EVENT_BLOCKS) | BIT(EVENT_LOOSE) } },
	{ "nl-event-recompact-pad", 0, {
		.kind = FRAGALLOC_NL_EVENT_RECOMPACT, .count = 1,
		.time_ns = 987654321000ULL, .planned = 700, .moved = 640,
		.blocks = 2, .duration_ns = 4500000,
		.attrs = BIT(EVENT_KIND) | BIT(EVENT_COUNT) | BIT(EVENT_TIME_NS) |
			 BIT(EVENT_PLANNED) | BIT(EVENT_MOVED) | BIT(EVENT_BLOCKS) |
			 BIT(EVENT_DURATION_NS) } },
	{ "nl-event-limit", 0, {
		.kind = FRAGALLOC_NL_EVENT_LIMIT_HIT, .count = 2,
		.time_ns = 5000000000ULL, .limit = FRAGALLOC_NL_LIMIT_FD,
		.error = ENOSPC,
		.attrs = BIT(EVENT_KIND) | BIT(EVENT_COUNT) | BIT(EVENT_TIME_NS) |
			 BIT(EVENT_LIMIT) | BIT(EVENT_ERRNO) } },
	/* a newer kernel's attribute, and a stats one: skipped */
	{ "nl-event-unknown-attr", 0, {
		.kind = FRAGALLOC_NL_EVENT_ALLOC, .count = 3,
		.time_ns = 123456789012ULL, .pages = 1536, .blocks = 3,
		.attrs = BIT(EVENT_KIND) | BIT(EVENT_COUNT) | BIT(EVENT_TIME_NS) |
			 BIT(EVENT_PAGES) | BIT(EVENT_BLOCKS) | BIT(EVENT_LOOSE) } },
	{ "nl-event-no-kind", -EBADMSG, { 0 } },
	{ "nl-event-truncated", -EBADMSG, { 0 } },
	{ "nl-event-overrun", -EBADMSG, { 0 } },
	{ "nl-event-bad-size", -EBADMSG, { 0 } },
	/* a GET_STATS reply is not an event */
	{ "nl-stats", -ENOMSG, { 0 } },
	/* nlctrl's DELFAMILY has the same command number (2): its fixed id tells */
	{ "nl-ctrl-delfamily", -ENOMSG, { 0 } },
};

static void test_event_case(const struct event_case *c)
{
	struct fragalloc_event ev, untouched;
	size_t len;
	unsigned char *buf = load(c->file, &len);
	int ret;

	BEGIN();
	memset(&ev, 0xa5, sizeof(ev));
	untouched = ev;
	ret = fragalloc_event_parse(buf, len, &ev);
	CHECK(ret == c->ret);
	if (c->ret == 0)
		CHECK(!memcmp(&ev, &c->ev, sizeof(ev)));
	else	/* a failed parse leaves the caller's struct alone */
		CHECK(!memcmp(&ev, &untouched, sizeof(ev)));
	free(buf);
	END("event_parse %s -> %s", c->file, c->ret ? strerror(-c->ret) : "values");
}

static void test_event_edges(void)
{
	struct fragalloc_event ev;
	size_t len;
	unsigned char *buf = load("nl-event-alloc", &len);

	BEGIN();
	CHECK(fragalloc_event_parse(NULL, len, &ev) == -EINVAL);
	CHECK(fragalloc_event_parse(buf, len, NULL) == -EINVAL);
	/* shorter than the headers, or than the message says */
	CHECK(fragalloc_event_parse(buf, 19, &ev) == -EBADMSG);
	CHECK(fragalloc_event_parse(buf, len - 1, &ev) == -EBADMSG);
	/* a netlink control message (NLMSG_ERROR) is not the family's */
	buf[4] = 2;
	buf[5] = 0;
	CHECK(fragalloc_event_parse(buf, len, &ev) == -ENOMSG);
	free(buf);
	END("event_parse: NULL -> EINVAL, short buffer -> EBADMSG, control message -> ENOMSG");
}

static void test_stats(const char *file)
{
	struct fragalloc_nl_stats st;
	size_t len;
	unsigned char *buf = load(file, &len);

	BEGIN();
	memset(&st, 0xa5, sizeof(st));
	CHECK(fa_nl_stats_parse(buf, len, &st) == 0);
	CHECK(st.reserve_blocks == 4 && st.fallbacks == 17);
	CHECK(st.blocks_acquired == 40 && st.blocks_released == 30);
	CHECK(st.other_pages == 256 && st.recompact_runs == 5);
	CHECK(st.recompact_moved == 1200 && st.meta_bytes == 8192);
	CHECK(st.auto_runs == 2 && st.idle_pages == 300);
	CHECK(st.reclaimable_pages == 2048 && st.shrink_runs == 6);
	CHECK(st.shrink_pages == 4096 && st.shrink_blocks_broken == 1);
	CHECK(st.auto_pages_released == 512);
	CHECK(st.class_mask == 7);
	for (unsigned int m = 0; m < FRAGALLOC_NR_MOBILITY; m++) {
		CHECK(st.classes[m].blocks == 10 * (m + 1));
		CHECK(st.classes[m].used == 5000 + m);
		CHECK(st.classes[m].free == 120 + m);
		CHECK(st.classes[m].loose == 7 * m);
	}
	CHECK(st.attrs & BIT(CLASS));
	CHECK(st.attrs & BIT(STATS_AUTO_PAGES_RELEASED));
	CHECK(!(st.attrs & BIT(PAD)));
	for (size_t i = 0; i < sizeof(st.__reserved) / sizeof(st.__reserved[0]); i++)
		CHECK(st.__reserved[i] == 0);
	/* an event is not a stats reply; a cut reply is malformed */
	CHECK(fa_nl_stats_parse(buf, len - 8, &st) == -EBADMSG);
	free(buf);
	buf = load("nl-event-alloc", &len);
	CHECK(fa_nl_stats_parse(buf, len, &st) == -ENOMSG);
	free(buf);
	END("stats reply %s: every STATS_* figure and the 3 CLASS nests", file);
}

static void test_delfamily(void)
{
	size_t len;
	unsigned char *buf = load("nl-ctrl-delfamily", &len);
	unsigned char *ev;
	size_t ev_len;

	BEGIN();
	CHECK(fa_nl_family_removed(buf, len, 0x22) == 1);
	CHECK(fa_nl_family_removed(buf, len, 0x23) == 0);
	CHECK(fa_nl_family_removed(buf, len - 4, 0x22) == 0);
	ev = load("nl-event-alloc", &ev_len);
	CHECK(fa_nl_family_removed(ev, ev_len, 0x22) == 0);
	free(ev);
	free(buf);
	END("nlctrl DELFAMILY of our family id is seen, of another is not");
}

/* A datagram of several messages, as one recv() may return them. */
static void test_datagram(void)
{
	static const char *const parts[] = {
		"nl-stats", "nl-event-alloc", "nl-event-no-kind",
		"nl-event-limit", "nl-ctrl-delfamily", "nl-event-alloc",
	};
	unsigned char *dg = NULL, *p;
	size_t fill = 0, pos = 0, len;
	struct fragalloc_event ev;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		p = load(parts[i], &len);
		/* the last one cut after its header: the datagram overran */
		if (i == sizeof(parts) / sizeof(parts[0]) - 1)
			len = 20;
		dg = realloc(dg, fill + len);
		if (!dg)
			exit(99);
		memcpy(dg + fill, p, len);
		fill += len;
		free(p);
	}
	BEGIN();
	/* the stats reply is skipped, the malformed event reported */
	CHECK(fa_nl_next_event(dg, fill, &pos, 0x22, &ev) == 1);
	CHECK(ev.kind == FRAGALLOC_NL_EVENT_ALLOC && ev.count == 3);
	CHECK(fa_nl_next_event(dg, fill, &pos, 0x22, &ev) == -EBADMSG);
	CHECK(fa_nl_next_event(dg, fill, &pos, 0x22, &ev) == 1);
	CHECK(ev.kind == FRAGALLOC_NL_EVENT_LIMIT_HIT && ev.error == ENOSPC);
	CHECK(fa_nl_next_event(dg, fill, &pos, 0x22, &ev) == -ENODEV);
	CHECK(fa_nl_next_event(dg, fill, &pos, 0x22, &ev) == -EBADMSG);
	CHECK(pos == fill);
	CHECK(fa_nl_next_event(dg, fill, &pos, 0x22, &ev) == 0);
	/* another family id: nothing of it in there, nor its removal */
	pos = 0;
	CHECK(fa_nl_next_event(dg, fill - 20, &pos, 0x23, &ev) == 0);
	free(dg);
	END("datagram of 6 messages: events of our family, malformed one, DELFAMILY -> ENODEV, overrun -> EBADMSG");
}

static void test_names(void)
{
	BEGIN();
	CHECK(!strcmp(fragalloc_event_kind_name(FRAGALLOC_NL_EVENT_ALLOC), "alloc"));
	CHECK(!strcmp(fragalloc_event_kind_name(FRAGALLOC_NL_EVENT_BLOCK_ACQUIRE),
		      "block_acquire"));
	CHECK(!strcmp(fragalloc_event_kind_name(FRAGALLOC_NL_EVENT_LIMIT_HIT),
		      "limit_hit"));
	for (unsigned int k = 0; k < FRAGALLOC_NL_NR_EVENTS; k++)
		CHECK(fragalloc_event_kind_name(k) != NULL);
	CHECK(fragalloc_event_kind_name(FRAGALLOC_NL_NR_EVENTS) == NULL);
	CHECK(!strcmp(fragalloc_event_limit_name(FRAGALLOC_NL_LIMIT_FD),
		      "max_fd_pages"));
	CHECK(!strcmp(fragalloc_event_limit_name(FRAGALLOC_NL_LIMIT_MEMLOCK),
		      "memlock"));
	CHECK(fragalloc_event_limit_name(4) == NULL);
	END("event kind and limit names");
}

/* This host never has the module loaded: no family "fragalloc" here. */
static void test_no_family(void)
{
	struct fragalloc_monitor *m = (void *)1;
	struct fragalloc_nl_stats st;
	struct fragalloc_event ev;
	int ret = fragalloc_monitor_open(&m);

	BEGIN();
	CHECK(m == NULL);
	CHECK(fragalloc_monitor_open(NULL) == -EINVAL);
	CHECK(fragalloc_monitor_next(NULL, 0, &ev) == -EINVAL);
	CHECK(fragalloc_monitor_fd(NULL) == -EINVAL);
	fragalloc_monitor_close(NULL);
	CHECK(fragalloc_nl_stats(-1, NULL) == -EINVAL);
#ifdef FA_HAVE_LIBNL
	if (ret == -EPROTONOSUPPORT || ret == -EACCES || ret == -EPERM) {
		printf("ok %d - # SKIP no generic netlink socket here (%s)\n",
		       ++n_test, strerror(-ret));
		return;
	}
	CHECK(ret == -ENOENT);
	CHECK(fragalloc_nl_stats(-1, &st) == -ENOENT);
	CHECK(fragalloc_nl_stats(FRAGALLOC_NR_MOBILITY, &st) == -ERANGE);
	END("no module: monitor_open and nl_stats -> ENOENT (libnl build)");
#else
	CHECK(ret == -EOPNOTSUPP);
	CHECK(fragalloc_nl_stats(-1, &st) == -EOPNOTSUPP);
	END("library without libnl: monitor_open and nl_stats -> EOPNOTSUPP");
#endif
}

#ifdef FA_HAVE_LIBNL
static void on_alarm(int sig)
{
	(void)sig;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The socket code against nlctrl, the family every kernel has: joining a
 * group, waiting with a timeout, a signal, a missing group, and the errno
 * of a request the family does not serve.
 */
static void test_nlctrl(void)
{
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct fragalloc_monitor *m;
	struct fragalloc_nl_stats st;
	struct fragalloc_event ev;
	struct timespec t0;
	int ret = fa_monitor_open_family("nlctrl", "notify", &m);

	if (ret == -EPROTONOSUPPORT || ret == -EACCES || ret == -EPERM) {
		printf("ok %d - # SKIP no generic netlink socket here (%s)\n",
		       ++n_test, strerror(-ret));
		return;
	}
	BEGIN();
	CHECK(ret == 0);
	if (ret)
		goto out;
	CHECK(fragalloc_monitor_fd(m) >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* nlctrl's own notifications are not events of a family */
	CHECK(fragalloc_monitor_next(m, 100, &ev) == 0);
	CHECK(since(&t0) >= 0.09 && since(&t0) < 5);
	CHECK(fragalloc_monitor_next(m, 0, &ev) == 0);
	/* a signal ends the wait (SIGINT in fragalloc monitor) */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(fragalloc_monitor_next(m, 5000, &ev) == -EINTR);
	CHECK(since(&t0) < 4);
	fragalloc_monitor_close(m);
	m = (void *)1;
	CHECK(fa_monitor_open_family("nlctrl", "nosuchgroup", &m) == -ENOENT);
	CHECK(m == NULL);
	/* GET_STATS is command 1, which nlctrl does not serve */
	CHECK(fa_nl_stats_family("nlctrl", -1, &st) == -EOPNOTSUPP);
out:
	END("socket code against nlctrl: timeout, signal -> EINTR, no group -> ENOENT, kernel errno");
}
#else
static void test_nlctrl(void)
{
}
#endif

int main(int argc, char **argv)
{
	if (argc > 1)
		datadir = argv[1];
	for (size_t i = 0; i < sizeof(event_cases) / sizeof(event_cases[0]); i++)
		test_event_case(&event_cases[i]);
	test_event_edges();
	test_stats("nl-stats");
	test_stats("nl-stats-pad");
	test_delfamily();
	test_datagram();
	test_names();
	test_no_family();
	test_nlctrl();
	return 0;
}
