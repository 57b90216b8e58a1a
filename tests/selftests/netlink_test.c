// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "fragalloc" over raw sockets (no libnl): GET_STATS
 * against ioctl(STATS), the coalesced messages of the "events" group for a
 * scripted sequence and for a storm, strict validation of bad requests
 * (errno and extack message), and an unprivileged user.
 */
#define _GNU_SOURCE
#include "ev_util.h"
#include "kselftest_harness.h"

#include <grp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/fragalloc_netlink.h>

#define NL_BUF		65536
#define FA_TEST_UID	1000

struct nl {
	int sock;
	__u16 family;
	__u32 group;
	__u32 seq;
	char err_msg[256];	/* NLMSGERR_ATTR_MSG of the last error */
};

static struct nlattr *nl_attr_put(char *at, __u16 type, const void *v,
				  __u16 len)
{
	struct nlattr *a = (struct nlattr *)at;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(at + NLA_HDRLEN, v, len);
	memset(at + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return a;
}

/*
 * Send one request: @cmd of @family, @attrs (raw, @alen bytes, not
 * re-aligned so that tests can send broken ones), @reserved in the genl
 * header. Return the sequence number, or -errno.
 */
static int nl_send(struct nl *nl, __u16 family, __u8 cmd, const void *attrs,
		   size_t alen, __u8 reserved)
{
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN + alen;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct genlmsghdr *g;
	struct nlmsghdr *h;
	char *buf;
	ssize_t n;

	buf = calloc(1, len);
	if (!buf)
		return -ENOMEM;
	h = (struct nlmsghdr *)buf;
	h->nlmsg_len = len;
	h->nlmsg_type = family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++nl->seq;
	g = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = 1;
	g->reserved = reserved;
	memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen);
	n = sendto(nl->sock, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	free(buf);
	return n == (ssize_t)len ? (int)nl->seq : -errno;
}

/* The extack message of an error message, into nl->err_msg. */
static void nl_extack(struct nl *nl, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const char *p = (const char *)(e + 1), *end = (const char *)h + h->nlmsg_len;
	const struct nlattr *a;

	nl->err_msg[0] = 0;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* NETLINK_CAP_ACK: the request is not echoed, TLVs follow at once. */
	for (; p + NLA_HDRLEN <= end; p += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(nl->err_msg, sizeof(nl->err_msg), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)a + NLA_HDRLEN);
	}
}

/*
 * Receive the answer to request @seq: the reply's message copied into
 * @reply (if any and @reply is not NULL), then the ack. Return the ack's
 * errno (0 or negative).
 */
static int nl_recv(struct nl *nl, int seq, char *reply, size_t size)
{
	static char buf[NL_BUF];
	struct nlmsghdr *h;
	ssize_t n;

	for (;;) {
		n = recv(nl->sock, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if ((int)h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				nl_extack(nl, h);
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			}
			if (reply && h->nlmsg_len <= size)
				memcpy(reply, h, h->nlmsg_len);
		}
	}
}

static int nl_request(struct nl *nl, __u8 cmd, const void *attrs, size_t alen,
		      char *reply, size_t size)
{
	int seq = nl_send(nl, nl->family, cmd, attrs, alen, 0);

	return seq < 0 ? seq : nl_recv(nl, seq, reply, size);
}

/* Attributes of a generic netlink message @h, @hdr bytes in. */
#define nl_for_each_attr(a, start, len)					\
	for (a = (struct nlattr *)(start);				\
	     (char *)a + NLA_HDRLEN <= (char *)(start) + (len) &&	\
	     a->nla_len >= NLA_HDRLEN &&				\
	     (char *)a + a->nla_len <= (char *)(start) + (len);		\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

#define nl_genl_attrs(h)	((char *)NLMSG_DATA(h) + GENL_HDRLEN)
#define nl_genl_len(h)		((h)->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN)
#define nl_data(a)		((char *)(a) + NLA_HDRLEN)

static __u64 nl_u64(const struct nlattr *a)
{
	__u64 v;

	memcpy(&v, nl_data(a), sizeof(v));
	return v;
}

static __u32 nl_u32(const struct nlattr *a)
{
	__u32 v;

	memcpy(&v, nl_data(a), sizeof(v));
	return v;
}

/* Resolve the family and its events group with CTRL_CMD_GETFAMILY. */
static int nl_resolve(struct nl *nl)
{
	static char reply[NL_BUF];
	char attrs[64];
	struct nlattr *a, *g, *m;
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	int seq, err;

	nl_attr_put(attrs, CTRL_ATTR_FAMILY_NAME, FRAGALLOC_GENL_NAME,
		    sizeof(FRAGALLOC_GENL_NAME));
	seq = nl_send(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, attrs,
		      NLA_ALIGN(NLA_HDRLEN + sizeof(FRAGALLOC_GENL_NAME)), 0);
	if (seq < 0)
		return seq;
	memset(reply, 0, sizeof(reply));
	err = nl_recv(nl, seq, reply, sizeof(reply));
	if (err)
		return err;
	nl_for_each_attr(a, nl_genl_attrs(h), nl_genl_len(h)) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(&nl->family, nl_data(a), sizeof(nl->family));
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		nl_for_each_attr(g, nl_data(a), a->nla_len - NLA_HDRLEN) {
			__u32 id = 0;
			int ours = 0;

			nl_for_each_attr(m, nl_data(g), g->nla_len - NLA_HDRLEN) {
				if (m->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = nl_u32(m);
				if (m->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					ours = !strcmp(nl_data(m),
						       FRAGALLOC_GENL_MCGRP_EVENTS);
			}
			if (ours)
				nl->group = id;
		}
	}
	return nl->family && nl->group ? 0 : -ENOENT;
}

static int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->sock < 0)
		return -errno;
	if (bind(nl->sock, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(nl->sock, SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)) ||
	    setsockopt(nl->sock, SOL_NETLINK, NETLINK_CAP_ACK, &one,
		       sizeof(one))) {
		err = -errno;
		close(nl->sock);
		return err;
	}
	err = nl_resolve(nl);
	if (err)
		close(nl->sock);
	return err;
}

static int nl_subscribe(struct nl *nl)
{
	return setsockopt(nl->sock, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			  &nl->group, sizeof(nl->group)) ? -errno : 0;
}

/* ------------------------------------------------------------------ */

/* GET_STATS figures, by &struct fragalloc_stats (one class nest or all). */
struct nl_stats {
	struct fragalloc_stats st;
	unsigned int nests;
	__u32 nest_ids;		/* bit per class id seen */
};

static const struct {
	__u16 attr;
	size_t off;
} nl_stat_map[] = {
#define S(a, f) { FRAGALLOC_NL_A_STATS_##a, offsetof(struct fragalloc_stats, out_##f) }
	S(RESERVE_BLOCKS, reserve_blocks), S(FALLBACKS, fallbacks),
	S(BLOCKS_ACQUIRED, blocks_acquired),
	S(BLOCKS_RELEASED, blocks_released), S(OTHER_PAGES, other_pages),
	S(RECOMPACT_RUNS, recompact_runs), S(RECOMPACT_MOVED, recompact_moved),
	S(META_BYTES, meta_bytes), S(AUTO_RUNS, auto_recompact_runs),
	S(IDLE_PAGES, idle_pages), S(RECLAIMABLE_PAGES, reclaimable_pages),
	S(SHRINK_RUNS, shrink_runs), S(SHRINK_PAGES, shrink_pages),
	S(SHRINK_BLOCKS_BROKEN, shrink_blocks_broken),
	S(AUTO_PAGES_RELEASED, auto_pages_released),
#undef S
};

static void nl_parse_class(struct nl_stats *s, struct nlattr *nest)
{
	struct nlattr *a;
	__u64 v[FRAGALLOC_NL_A_CLASS_LOOSE + 1] = { 0 };
	__u32 id = ~0U;

	nl_for_each_attr(a, nl_data(nest), nest->nla_len - NLA_HDRLEN) {
		if (a->nla_type == FRAGALLOC_NL_A_CLASS_ID)
			id = nl_u32(a);
		else if (a->nla_type >= FRAGALLOC_NL_A_CLASS_BLOCKS &&
			 a->nla_type <= FRAGALLOC_NL_A_CLASS_LOOSE)
			v[a->nla_type] = nl_u64(a);
	}
	s->nests++;
	if (id >= FRAGALLOC_NR_MOBILITY)
		return;
	s->nest_ids |= 1U << id;
	s->st.out_blocks[id] = v[FRAGALLOC_NL_A_CLASS_BLOCKS];
	s->st.out_pages_used[id] = v[FRAGALLOC_NL_A_CLASS_USED];
	s->st.out_pages_free[id] = v[FRAGALLOC_NL_A_CLASS_FREE];
	s->st.out_loose_pages[id] = v[FRAGALLOC_NL_A_CLASS_LOOSE];
}

/* GET_STATS, optionally for one class (@cls < 0: all). 0 or -errno. */
static int nl_get_stats(struct nl *nl, int cls, struct nl_stats *s)
{
	static char reply[NL_BUF];
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	char attrs[16] = { 0 };
	struct nlattr *a;
	__u32 id = cls;
	unsigned int i;
	int err;

	memset(s, 0, sizeof(*s));
	memset(reply, 0, sizeof(reply));
	if (cls >= 0)
		nl_attr_put(attrs, FRAGALLOC_NL_A_CLASS_ID, &id, sizeof(id));
	err = nl_request(nl, FRAGALLOC_NL_CMD_GET_STATS, attrs,
			 cls >= 0 ? NLA_HDRLEN + sizeof(id) : 0, reply,
			 sizeof(reply));
	if (err)
		return err;
	if (h->nlmsg_type != nl->family)
		return -EBADMSG;
	nl_for_each_attr(a, nl_genl_attrs(h), nl_genl_len(h)) {
		if ((a->nla_type & NLA_TYPE_MASK) == FRAGALLOC_NL_A_CLASS) {
			nl_parse_class(s, a);
			continue;
		}
		for (i = 0; i < sizeof(nl_stat_map) / sizeof(nl_stat_map[0]); i++)
			if (a->nla_type == nl_stat_map[i].attr)
				*(__u64 *)((char *)&s->st + nl_stat_map[i].off) =
					nl_u64(a);
	}
	return 0;
}

/* The pool-wide figures GET_STATS carries equal in @a and @b. */
static int nl_same_pool(const struct fragalloc_stats *a,
			const struct fragalloc_stats *b, __u32 classes)
{
	unsigned int i;

	for (i = 0; i < sizeof(nl_stat_map) / sizeof(nl_stat_map[0]); i++)
		if (*(const __u64 *)((const char *)a + nl_stat_map[i].off) !=
		    *(const __u64 *)((const char *)b + nl_stat_map[i].off))
			return 0;
	for (i = 0; i < FRAGALLOC_NR_MOBILITY; i++)
		if ((classes & (1U << i)) &&
		    (a->out_blocks[i] != b->out_blocks[i] ||
		     a->out_pages_used[i] != b->out_pages_used[i] ||
		     a->out_pages_free[i] != b->out_pages_free[i] ||
		     a->out_loose_pages[i] != b->out_loose_pages[i]))
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */

/* Coalesced figures of the event messages received, per kind. */
struct nl_events {
	unsigned int msgs[FRAGALLOC_NL_NR_EVENTS];
	__u64 count[FRAGALLOC_NL_NR_EVENTS];
	__u64 sum[FRAGALLOC_NL_NR_EVENTS][FRAGALLOC_NL_A_MAX + 1];
	__u32 limit, err;		/* latest limit_hit */
	unsigned int bad;		/* messages that are not EVENTs */
};

static void nl_parse_event(struct nl_events *ev, struct nlmsghdr *h)
{
	__u64 v[FRAGALLOC_NL_A_MAX + 1] = { 0 };
	struct nlattr *a;
	__u32 kind = ~0U;
	int i;

	if (((struct genlmsghdr *)NLMSG_DATA(h))->cmd != FRAGALLOC_NL_CMD_EVENT) {
		ev->bad++;
		return;
	}
	nl_for_each_attr(a, nl_genl_attrs(h), nl_genl_len(h)) {
		if (a->nla_type == FRAGALLOC_NL_A_EVENT_KIND)
			kind = nl_u32(a);
		else if (a->nla_type == FRAGALLOC_NL_A_EVENT_LIMIT)
			ev->limit = nl_u32(a);
		else if (a->nla_type == FRAGALLOC_NL_A_EVENT_ERRNO)
			ev->err = nl_u32(a);
		else if (a->nla_type <= FRAGALLOC_NL_A_MAX &&
			 a->nla_len == NLA_HDRLEN + 8)
			v[a->nla_type] = nl_u64(a);
	}
	if (kind >= FRAGALLOC_NL_NR_EVENTS) {
		ev->bad++;
		return;
	}
	ev->msgs[kind]++;
	ev->count[kind] += v[FRAGALLOC_NL_A_EVENT_COUNT];
	for (i = FRAGALLOC_NL_A_EVENT_PAGES; i <= FRAGALLOC_NL_A_EVENT_DURATION_NS; i++)
		ev->sum[kind][i] += v[i];
}

/* Collect event messages until @quiet_ms pass without one. */
static void nl_collect(struct nl *nl, struct nl_events *ev, int quiet_ms)
{
	static char buf[NL_BUF];
	struct pollfd p = { .fd = nl->sock, .events = POLLIN };
	struct nlmsghdr *h;
	ssize_t n;

	while (poll(&p, 1, quiet_ms) == 1) {
		n = recv(nl->sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == nl->family)
				nl_parse_event(ev, h);
	}
}

#define EV(k)	FRAGALLOC_NL_EVENT_##k
#define A(k)	FRAGALLOC_NL_A_EVENT_##k

FIXTURE(nlt) {
	struct nl nl;
	int fd;
	struct ev_pinned pin;
	int opened;
};

FIXTURE_SETUP(nlt)
{
	int err;

	self->fd = -1;
	self->opened = 0;
	memset(&self->pin, 0xff, sizeof(self->pin));
	if (geteuid())
		SKIP(return, "needs root (module parameters)");
	self->fd = open(EV_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "cannot open " EV_DEV ": %s", strerror(errno));
	err = nl_open(&self->nl);
	/* A kernel without CONFIG_NET has no socket(): skipped, and counted. */
	if (err == -ENOSYS || err == -EAFNOSUPPORT)
		SKIP(return, "kernel without networking: no generic netlink");
	ASSERT_EQ(0, err) TH_LOG("family " FRAGALLOC_GENL_NAME ": %s",
				 strerror(-err));
	self->opened = 1;
	ev_pin(&self->pin, 0);
}

FIXTURE_TEARDOWN(nlt)
{
	if (self->opened)
		close(self->nl.sock);
	if (self->fd >= 0) {
		close(self->fd);
		ev_unpin(&self->pin);
	}
}

/* GET_STATS equals ioctl(STATS) taken just before and just after it. */
TEST_F(nlt, get_stats_matches_ioctl)
{
	struct fragalloc_stats s0, s1;
	struct fragalloc_alloc a, b;
	struct nl_stats ns;
	int tries, same = 0;

	ASSERT_EQ(0, ev_alloc(self->fd, 700, FRAGALLOC_RECLAIMABLE, 0, &a));
	ASSERT_EQ(0, ev_alloc(self->fd, 40, FRAGALLOC_MOVABLE,
			      FRAGALLOC_POLICY_PLAIN, &b));
	for (tries = 0; tries < 10 && !same; tries++) {
		ASSERT_EQ(0, ev_stats(self->fd, &s0));
		ASSERT_EQ(0, nl_get_stats(&self->nl, -1, &ns));
		ASSERT_EQ(0, ev_stats(self->fd, &s1));
		if (!nl_same_pool(&s0, &s1, 7))
			continue;	/* the pool changed meanwhile */
		same = 1;
		EXPECT_EQ(3, ns.nests);
		EXPECT_EQ(7, ns.nest_ids);
		EXPECT_TRUE(nl_same_pool(&s0, &ns.st, 7));
	}
	ASSERT_TRUE(same) TH_LOG("the pool never stood still");
	EXPECT_LE(700, ns.st.out_pages_used[FRAGALLOC_RECLAIMABLE] +
		  ns.st.out_loose_pages[FRAGALLOC_RECLAIMABLE]);
	EXPECT_LE(40, ns.st.out_other_pages);

	/* One class: that nest only, the pool-wide figures all the same. */
	ASSERT_EQ(0, nl_get_stats(&self->nl, FRAGALLOC_RECLAIMABLE, &ns));
	EXPECT_EQ(1, ns.nests);
	EXPECT_EQ(1U << FRAGALLOC_RECLAIMABLE, ns.nest_ids);
	ASSERT_EQ(0, ev_stats(self->fd, &s1));
	EXPECT_TRUE(nl_same_pool(&s1, &ns.st, 1U << FRAGALLOC_RECLAIMABLE));
	EXPECT_EQ(0, ev_free(self->fd, a.out_handle));
	EXPECT_EQ(0, ev_free(self->fd, b.out_handle));
}

/* A scripted sequence: each kind's counts and sums, exactly. */
TEST_F(nlt, events_scripted)
{
	struct fragalloc_stats s0, s1;
	struct fragalloc_alloc a[3], x;
	struct fragalloc_recompact rc;
	struct fragalloc_info in;
	struct nl_events ev = { 0 };
	__u64 blocks = 0, loose = 0;
	int i;

	ASSERT_EQ(0, ev_info(self->fd, &in));
	ASSERT_EQ(0, nl_subscribe(&self->nl));
	nl_collect(&self->nl, &ev, 300);	/* what came before */
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(0, ev_stats(self->fd, &s0));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ev_alloc(self->fd, 100 + i, FRAGALLOC_MOVABLE, 0,
				      &a[i]));
		blocks += a[i].out_nr_blocks;
		loose += a[i].out_nr_loose;
	}
	ASSERT_EQ(0, ev_free_range(self->fd, a[0].out_handle, 0, 50));
	ASSERT_EQ(0, ev_free(self->fd, a[1].out_handle));
	ASSERT_EQ(0, ev_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0, 0, &rc));
	ASSERT_EQ(-EINVAL, ev_alloc(self->fd, in.out_max_batch_pages + 1,
				    FRAGALLOC_MOVABLE, 0, &x));
	nl_collect(&self->nl, &ev, 500);
	ASSERT_EQ(0, ev_stats(self->fd, &s1));

	EXPECT_EQ(0, ev.bad);
	EXPECT_EQ(3, ev.count[EV(ALLOC)]);
	EXPECT_EQ(303, ev.sum[EV(ALLOC)][A(PAGES)]);
	EXPECT_EQ(blocks, ev.sum[EV(ALLOC)][A(BLOCKS)]);
	EXPECT_EQ(loose, ev.sum[EV(ALLOC)][A(LOOSE)]);
	EXPECT_EQ(2, ev.count[EV(FREE)]);
	EXPECT_EQ(50 + 101, ev.sum[EV(FREE)][A(PAGES)]);
	EXPECT_EQ(s1.out_blocks_acquired - s0.out_blocks_acquired,
		  ev.sum[EV(BLOCK_ACQUIRE)][A(BLOCKS)]);
	EXPECT_EQ(ev.count[EV(BLOCK_ACQUIRE)],
		  ev.sum[EV(BLOCK_ACQUIRE)][A(BLOCKS)]);
	EXPECT_EQ(s1.out_blocks_released - s0.out_blocks_released,
		  ev.sum[EV(BLOCK_RELEASE)][A(BLOCKS)]);
	EXPECT_EQ(1, ev.count[EV(RECOMPACT)]);
	EXPECT_EQ(rc.out_pages_planned, ev.sum[EV(RECOMPACT)][A(PLANNED)]);
	EXPECT_EQ(rc.out_pages_moved, ev.sum[EV(RECOMPACT)][A(MOVED)]);
	EXPECT_EQ(rc.out_blocks_released, ev.sum[EV(RECOMPACT)][A(BLOCKS)]);
	EXPECT_LT(0, ev.sum[EV(RECOMPACT)][A(DURATION_NS)]);
	EXPECT_EQ(1, ev.count[EV(LIMIT_HIT)]);
	EXPECT_EQ(FRAGALLOC_NL_LIMIT_BATCH, ev.limit);
	EXPECT_EQ(EINVAL, ev.err);
	EXPECT_EQ(0, ev.count[EV(SHRINK)]);
	/* Everything within one period or two: one message per kind each. */
	for (i = 0; i < FRAGALLOC_NL_NR_EVENTS; i++)
		EXPECT_GE(2, ev.msgs[i]) TH_LOG("kind %d", i);
	EXPECT_EQ(0, ev_free(self->fd, a[0].out_handle));
	EXPECT_EQ(0, ev_free(self->fd, a[2].out_handle));
}

/*
 * Thousands of allocations and frees, for at least 15 periods: every event
 * counted, at most one message per kind per period, and messages all along.
 */
TEST_F_TIMEOUT(nlt, storm_coalesced, 240)
{
	enum { N = 1000, MIN_MS = 15 * FRAGALLOC_NL_COALESCE_MS };
	static struct fragalloc_alloc a[N];
	struct nl_events ev = { 0 };
	long long t0, t1, periods, rounds = 0;
	int i;

	ASSERT_EQ(0, nl_subscribe(&self->nl));
	nl_collect(&self->nl, &ev, 300);
	memset(&ev, 0, sizeof(ev));
	t0 = ev_now_ms();
	do {
		for (i = 0; i < N; i++)
			ASSERT_EQ(0, ev_alloc(self->fd, 1, FRAGALLOC_UNMOVABLE,
					      0, &a[i]));
		for (i = 0; i < N; i++)
			ASSERT_EQ(0, ev_free(self->fd, a[i].out_handle));
		rounds++;
		t1 = ev_now_ms();
	} while (t1 - t0 < MIN_MS);
	nl_collect(&self->nl, &ev, 500);
	/* The last message may come one period after the last event. */
	periods = (t1 - t0) / FRAGALLOC_NL_COALESCE_MS + 2;
	TH_LOG("%lld allocs and frees in %lld ms: %u alloc, %u free messages",
	       rounds * N, t1 - t0, ev.msgs[EV(ALLOC)], ev.msgs[EV(FREE)]);
	EXPECT_EQ(rounds * N, ev.count[EV(ALLOC)]);
	EXPECT_EQ(rounds * N, ev.sum[EV(ALLOC)][A(PAGES)]);
	EXPECT_EQ(rounds * N, ev.count[EV(FREE)]);
	EXPECT_EQ(rounds * N, ev.sum[EV(FREE)][A(PAGES)]);
	for (i = 0; i < FRAGALLOC_NL_NR_EVENTS; i++)
		EXPECT_GE(periods, ev.msgs[i]) TH_LOG("kind %d", i);
	/* Not one message at the end: the storm is reported as it goes. */
	EXPECT_LE(periods / 3, ev.msgs[EV(ALLOC)]);
}

/* A request that must fail with @err and an extack message. */
static int nl_bad(struct nl *nl, __u8 cmd, const void *attrs, size_t alen,
		  __u8 reserved, int err, struct __test_metadata *_metadata)
{
	int seq = nl_send(nl, nl->family, cmd, attrs, alen, reserved);
	int got;

	if (seq < 0)
		return seq;
	got = nl_recv(nl, seq, NULL, 0);
	EXPECT_EQ(err, got) TH_LOG("cmd %u: %s", cmd, strerror(-got));
	EXPECT_NE(0, nl->err_msg[0]) TH_LOG("cmd %u: no extack message", cmd);
	TH_LOG("cmd %u, %zu bytes: %s (%s)", cmd, alen, strerror(-got),
	       nl->err_msg);
	return got;
}

/*
 * One attribute of @type with a @vlen-byte value @val, sent as @alen bytes
 * (beyond the attribute: trailing garbage), must fail with @err.
 */
static const struct nl_bad_case {
	const char *what;
	__u8 cmd;
	__u16 type;
	__u64 val;
	__u16 vlen;
	__u16 alen;
	int err;
} nl_bad_cases[] = {
	{ "attribute GET_STATS does not take", FRAGALLOC_NL_CMD_GET_STATS,
	  FRAGALLOC_NL_A_EVENT_KIND, 1, 4, 8, -EINVAL },
	{ "attribute without a policy (PAD)", FRAGALLOC_NL_CMD_GET_STATS,
	  FRAGALLOC_NL_A_PAD, 1, 4, 8, -EINVAL },
	{ "attribute number beyond the family's", FRAGALLOC_NL_CMD_GET_STATS,
	  FRAGALLOC_NL_A_MAX + 10, 1, 4, 8, -EINVAL },
	{ "CLASS_ID of the wrong length", FRAGALLOC_NL_CMD_GET_STATS,
	  FRAGALLOC_NL_A_CLASS_ID, 1, 8, 12, -EINVAL },
	{ "CLASS_ID as a nest", FRAGALLOC_NL_CMD_GET_STATS,
	  FRAGALLOC_NL_A_CLASS_ID | NLA_F_NESTED, 1, 4, 8, -EINVAL },
	{ "trailing garbage", FRAGALLOC_NL_CMD_GET_STATS,
	  FRAGALLOC_NL_A_CLASS_ID, 1, 4, 10, -EINVAL },
	{ "CLASS_ID out of range", FRAGALLOC_NL_CMD_GET_STATS,
	  FRAGALLOC_NL_A_CLASS_ID, FRAGALLOC_NR_MOBILITY, 4, 8, -ERANGE },
	/* EVENT is the kernel's: refused, once its attributes validate. */
	{ "EVENT", FRAGALLOC_NL_CMD_EVENT, 0, 0, 0, 0, -EOPNOTSUPP },
	{ "EVENT with a valid kind", FRAGALLOC_NL_CMD_EVENT,
	  FRAGALLOC_NL_A_EVENT_KIND, 0, 4, 8, -EOPNOTSUPP },
	{ "EVENT with an attribute it does not carry", FRAGALLOC_NL_CMD_EVENT,
	  FRAGALLOC_NL_A_CLASS_ID, 0, 4, 8, -EINVAL },
	{ "EVENT with a kind out of range", FRAGALLOC_NL_CMD_EVENT,
	  FRAGALLOC_NL_A_EVENT_KIND, FRAGALLOC_NL_NR_EVENTS, 4, 8, -ERANGE },
};

TEST_F(nlt, bad_requests)
{
	static char big[16384];
	const struct nl_bad_case *c;
	struct nl_stats ns;
	char attrs[64];
	__u32 v32 = 0;
	size_t n;
	int seq;

	for (n = 0; n < sizeof(nl_bad_cases) / sizeof(nl_bad_cases[0]); n++) {
		c = &nl_bad_cases[n];
		memset(attrs, 0, sizeof(attrs));
		if (c->alen)
			nl_attr_put(attrs, c->type, &c->val, c->vlen);
		TH_LOG("%s:", c->what);
		nl_bad(&self->nl, c->cmd, attrs, c->alen, 0, c->err, _metadata);
	}
	/* Oversized: a valid attribute, repeated 2048 times. */
	for (n = 0; n + 8 <= sizeof(big); n += 8)
		nl_attr_put(big + n, FRAGALLOC_NL_A_CLASS_ID, &v32, 4);
	nl_bad(&self->nl, FRAGALLOC_NL_CMD_GET_STATS, big, sizeof(big), 0,
	       -EINVAL, _metadata);
	/* The genl header's reserved byte. */
	nl_bad(&self->nl, FRAGALLOC_NL_CMD_GET_STATS, NULL, 0, 1, -EINVAL,
	       _metadata);
	/*
	 * A command the family does not have: the genetlink core answers
	 * before the family sees it, without an extack message.
	 */
	seq = nl_send(&self->nl, self->nl.family, 99, NULL, 0, 0);
	ASSERT_LT(0, seq);
	EXPECT_EQ(-EOPNOTSUPP, nl_recv(&self->nl, seq, NULL, 0));
	seq = nl_send(&self->nl, self->nl.family, FRAGALLOC_NL_CMD_UNSPEC,
		      NULL, 0, 0);
	ASSERT_LT(0, seq);
	EXPECT_EQ(-EOPNOTSUPP, nl_recv(&self->nl, seq, NULL, 0));
	/* The family still answers. */
	EXPECT_EQ(0, nl_get_stats(&self->nl, -1, &ns));
	EXPECT_EQ(3, ns.nests);
}

/* uid 1000 without capabilities: GET_STATS and the events group. */
TEST_F(nlt, unprivileged)
{
	struct fragalloc_alloc a;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nl_events ev = { 0 };
		struct nl_stats ns;
		struct nl nl;

		if (setgroups(0, NULL) ||
		    setresgid(FA_TEST_UID, FA_TEST_UID, FA_TEST_UID) ||
		    setresuid(FA_TEST_UID, FA_TEST_UID, FA_TEST_UID))
			_exit(10);
		if (nl_open(&nl))
			_exit(11);
		if (nl_get_stats(&nl, -1, &ns) || ns.nests != 3)
			_exit(12);
		if (nl_subscribe(&nl))
			_exit(13);
		/* Tell the parent, then see its allocation. */
		if (write(1, "", 0) < 0)
			_exit(14);
		nl_collect(&nl, &ev, 1500);
		_exit(ev.count[EV(ALLOC)] >= 1 ? 0 : 15);
	}
	ev_sleep_ms(500);
	ASSERT_EQ(0, ev_alloc(self->fd, 8, FRAGALLOC_UNMOVABLE, 0, &a));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, ev_free(self->fd, a.out_handle));
}

TEST_HARNESS_MAIN
