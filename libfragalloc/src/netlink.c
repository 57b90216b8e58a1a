// SPDX-License-Identifier: MIT
/*
 * libfragalloc: parsers of the messages of the generic netlink family
 * "fragalloc" (linux/fragalloc_netlink.h). Pure functions on bytes, built
 * with or without libnl, so that the host tests feed them recorded
 * messages.
 *
 * A message is a struct nlmsghdr, a struct genlmsghdr and attributes, each
 * a struct nlattr and its payload padded to 4 bytes (NLA_ALIGN). Values
 * are in host byte order. On architectures without efficient unaligned
 * access the kernel puts a FRAGALLOC_NL_A_PAD attribute before a u64 whose
 * payload would not be 8-aligned (nla_put_64bit()); the buffer given here
 * need not be aligned at all, every value is copied out byte-wise.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "internal.h"

/* A fixed-size attribute stored at @off of the destination struct */
struct nla_field {
	uint16_t attr;
	uint16_t size;		/* the payload's exact length */
	uint16_t off;
};

#define FIELD(a, type, m) \
	{ (a), sizeof(((type *)0)->m), offsetof(type, m) }
#define EV_FIELD(a, m) FIELD(FRAGALLOC_NL_A_EVENT_##a, struct fragalloc_event, m)

static const struct nla_field event_fields[] = {
	EV_FIELD(KIND, kind),
	EV_FIELD(COUNT, count),
	EV_FIELD(TIME_NS, time_ns),
	EV_FIELD(PAGES, pages),
	EV_FIELD(BLOCKS, blocks),
	EV_FIELD(LOOSE, loose),
	EV_FIELD(PLANNED, planned),
	EV_FIELD(MOVED, moved),
	EV_FIELD(ASKED, asked),
	EV_FIELD(DURATION_NS, duration_ns),
	EV_FIELD(LIMIT, limit),
	EV_FIELD(ERRNO, error),
};

#define ST_FIELD(a, m) \
	FIELD(FRAGALLOC_NL_A_STATS_##a, struct fragalloc_nl_stats, m)

static const struct nla_field stats_fields[] = {
	ST_FIELD(RESERVE_BLOCKS, reserve_blocks),
	ST_FIELD(FALLBACKS, fallbacks),
	ST_FIELD(BLOCKS_ACQUIRED, blocks_acquired),
	ST_FIELD(BLOCKS_RELEASED, blocks_released),
	ST_FIELD(OTHER_PAGES, other_pages),
	ST_FIELD(RECOMPACT_RUNS, recompact_runs),
	ST_FIELD(RECOMPACT_MOVED, recompact_moved),
	ST_FIELD(META_BYTES, meta_bytes),
	ST_FIELD(AUTO_RUNS, auto_runs),
	ST_FIELD(IDLE_PAGES, idle_pages),
	ST_FIELD(RECLAIMABLE_PAGES, reclaimable_pages),
	ST_FIELD(SHRINK_RUNS, shrink_runs),
	ST_FIELD(SHRINK_PAGES, shrink_pages),
	ST_FIELD(SHRINK_BLOCKS_BROKEN, shrink_blocks_broken),
	ST_FIELD(AUTO_PAGES_RELEASED, auto_pages_released),
};

/* A FRAGALLOC_NL_A_CLASS nest, before it is filed under its id */
struct class_nest {
	uint64_t attrs;
	uint32_t id;
	struct fragalloc_nl_class c;
};

#define CL_FIELD(a, m) FIELD(FRAGALLOC_NL_A_CLASS_##a, struct class_nest, m)

static const struct nla_field class_fields[] = {
	CL_FIELD(ID, id),
	CL_FIELD(BLOCKS, c.blocks),
	CL_FIELD(USED, c.used),
	CL_FIELD(FREE, c.free),
	CL_FIELD(LOOSE, c.loose),
};

/* nlctrl's notification of a family going away */
struct ctrl_msg {
	uint64_t attrs;
	uint16_t family_id;
};

static const struct nla_field ctrl_fields[] = {
	FIELD(CTRL_ATTR_FAMILY_ID, struct ctrl_msg, family_id),
};

struct nla_walk {
	const struct nla_field *fields;
	size_t nr_fields;
	void *dst;
	uint64_t *attrs;	/* 1ULL << type of every field stored */
	/* the attribute type parsed by @nest (0: none) */
	uint16_t nest_type;
	int (*nest)(const uint8_t *p, size_t len, void *ctx);
	void *ctx;
};

#define NR(a) (sizeof(a) / sizeof((a)[0]))

static int nla_store(const struct nla_walk *w, uint16_t type,
		     const uint8_t *p, size_t len)
{
	if (w->nest && type == w->nest_type)
		return w->nest(p, len, w->ctx);
	for (size_t i = 0; i < w->nr_fields; i++) {
		const struct nla_field *f = &w->fields[i];

		if (f->attr != type)
			continue;
		/* the kernel's policy fixes the size: another one is corrupt */
		if (len != f->size)
			return -EBADMSG;
		memcpy((char *)w->dst + f->off, p, f->size);
		*w->attrs |= 1ULL << type;
		return 0;
	}
	return 0;	/* PAD, or an attribute of a newer kernel */
}

/* The attributes in [p, p + len), which they must fill exactly. */
static int nla_walk(const uint8_t *p, size_t len, const struct nla_walk *w)
{
	while (len >= NLA_HDRLEN) {
		struct nlattr a;
		size_t step;
		int ret;

		memcpy(&a, p, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
			return -EBADMSG;
		ret = nla_store(w, a.nla_type & NLA_TYPE_MASK, p + NLA_HDRLEN,
				a.nla_len - NLA_HDRLEN);
		if (ret)
			return ret;
		step = NLA_ALIGN(a.nla_len);
		if (step > len)
			step = len;	/* the last one's padding may be cut */
		p += step;
		len -= step;
	}
	return len ? -EBADMSG : 0;
}

/*
 * The attributes of a generic netlink message of @cmd, of nlctrl's fixed
 * family (@ctrl 1) or of another one (@ctrl 0: the caller knows the id):
 * -ENOMSG for another command or family, or a netlink control message
 * (error, done, ...).
 */
static int genl_attrs(const void *buf, size_t len, uint8_t cmd, int ctrl,
		      const uint8_t **attrs, size_t *attrs_len)
{
	const size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	struct genlmsghdr gh;
	struct nlmsghdr nh;

	if (!buf)
		return -EINVAL;
	if (len < hdr)
		return -EBADMSG;
	memcpy(&nh, buf, sizeof(nh));
	if (nh.nlmsg_len < hdr || nh.nlmsg_len > len)
		return -EBADMSG;
	memcpy(&gh, (const uint8_t *)buf + NLMSG_HDRLEN, sizeof(gh));
	if (nh.nlmsg_type < NLMSG_MIN_TYPE || gh.cmd != cmd ||
	    (nh.nlmsg_type == GENL_ID_CTRL) != ctrl)
		return -ENOMSG;
	*attrs = (const uint8_t *)buf + hdr;
	*attrs_len = nh.nlmsg_len - hdr;
	return 0;
}

/* A message of @cmd (see genl_attrs()) through @w */
static int genl_parse(const void *buf, size_t len, uint8_t cmd, int ctrl,
		      const struct nla_walk *w)
{
	const uint8_t *attrs;
	size_t attrs_len;
	int ret = genl_attrs(buf, len, cmd, ctrl, &attrs, &attrs_len);

	return ret ? ret : nla_walk(attrs, attrs_len, w);
}

FA_EXPORT int fragalloc_event_parse(const void *buf, size_t len,
				    struct fragalloc_event *ev)
{
	struct fragalloc_event e = { 0 };
	struct nla_walk w = {
		.fields = event_fields, .nr_fields = NR(event_fields),
		.dst = &e, .attrs = &e.attrs,
	};
	int ret;

	if (!ev)
		return -EINVAL;
	ret = genl_parse(buf, len, FRAGALLOC_NL_CMD_EVENT, 0, &w);
	if (ret)
		return ret;
	/* without them the message says nothing */
	if (!(e.attrs & (1ULL << FRAGALLOC_NL_A_EVENT_KIND)) ||
	    !(e.attrs & (1ULL << FRAGALLOC_NL_A_EVENT_COUNT)))
		return -EBADMSG;
	*ev = e;
	return 0;
}

static int class_nest(const uint8_t *p, size_t len, void *ctx)
{
	struct fragalloc_nl_stats *st = ctx;
	struct class_nest n = { 0 };
	struct nla_walk w = {
		.fields = class_fields, .nr_fields = NR(class_fields),
		.dst = &n, .attrs = &n.attrs,
	};
	int ret = nla_walk(p, len, &w);

	if (ret)
		return ret;
	if (!(n.attrs & (1ULL << FRAGALLOC_NL_A_CLASS_ID)))
		return -EBADMSG;
	if (n.id >= FRAGALLOC_NR_MOBILITY)
		return 0;	/* a class of a newer kernel */
	st->classes[n.id] = n.c;
	st->class_mask |= 1u << n.id;
	st->attrs |= 1ULL << FRAGALLOC_NL_A_CLASS;
	return 0;
}

int fa_nl_stats_parse(const void *buf, size_t len,
		      struct fragalloc_nl_stats *out)
{
	struct fragalloc_nl_stats st = { 0 };
	struct nla_walk w = {
		.fields = stats_fields, .nr_fields = NR(stats_fields),
		.dst = &st, .attrs = &st.attrs,
		.nest_type = FRAGALLOC_NL_A_CLASS, .nest = class_nest, .ctx = &st,
	};
	int ret = genl_parse(buf, len, FRAGALLOC_NL_CMD_GET_STATS, 0, &w);

	if (!ret)
		*out = st;
	return ret;
}

int fa_nl_family_removed(const void *buf, size_t len, int family)
{
	struct ctrl_msg c = { 0 };
	struct nla_walk w = {
		.fields = ctrl_fields, .nr_fields = NR(ctrl_fields),
		.dst = &c, .attrs = &c.attrs,
	};

	if (genl_parse(buf, len, CTRL_CMD_DELFAMILY, 1, &w))
		return 0;
	return (c.attrs & (1ULL << CTRL_ATTR_FAMILY_ID)) &&
	       c.family_id == family;
}

int fa_nl_next_msg(const unsigned char *buf, size_t fill, size_t *pos,
		   const unsigned char **msg)
{
	struct nlmsghdr nh;
	size_t left = fill - *pos, step;

	if (left < NLMSG_HDRLEN)
		return 0;
	memcpy(&nh, buf + *pos, sizeof(nh));
	if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > left) {
		*pos = fill;
		return -EBADMSG;
	}
	*msg = buf + *pos;
	step = NLMSG_ALIGN(nh.nlmsg_len);
	*pos += step < left ? step : left;
	return (int)nh.nlmsg_len;
}

int fa_nl_next_event(const unsigned char *buf, size_t fill, size_t *pos,
		     int family, struct fragalloc_event *ev)
{
	const unsigned char *msg;
	struct nlmsghdr nh;
	int len, ret;

	while ((len = fa_nl_next_msg(buf, fill, pos, &msg)) > 0) {
		memcpy(&nh, msg, sizeof(nh));
		if (nh.nlmsg_type == family) {
			ret = fragalloc_event_parse(msg, (size_t)len, ev);
			if (ret != -ENOMSG)
				return ret ? ret : 1;
		} else if (fa_nl_family_removed(msg, (size_t)len, family)) {
			return -ENODEV;
		}
	}
	return len;
}

static const char *const kind_names[FRAGALLOC_NL_NR_EVENTS] = {
	[FRAGALLOC_NL_EVENT_ALLOC] = "alloc",
	[FRAGALLOC_NL_EVENT_FREE] = "free",
	[FRAGALLOC_NL_EVENT_BLOCK_ACQUIRE] = "block_acquire",
	[FRAGALLOC_NL_EVENT_BLOCK_RELEASE] = "block_release",
	[FRAGALLOC_NL_EVENT_FALLBACK_LOOSE] = "fallback_loose",
	[FRAGALLOC_NL_EVENT_RECOMPACT] = "recompact",
	[FRAGALLOC_NL_EVENT_SHRINK] = "shrink",
	[FRAGALLOC_NL_EVENT_LIMIT_HIT] = "limit_hit",
};

/* the names of the module parameters (and of the rlimit) that refused */
static const char *const limit_names[] = {
	[FRAGALLOC_NL_LIMIT_BATCH] = "max_batch_pages",
	[FRAGALLOC_NL_LIMIT_FD] = "max_fd_pages",
	[FRAGALLOC_NL_LIMIT_TOTAL] = "max_total_pages",
	[FRAGALLOC_NL_LIMIT_MEMLOCK] = "memlock",
};

FA_EXPORT const char *fragalloc_event_kind_name(unsigned int kind)
{
	return kind < NR(kind_names) ? kind_names[kind] : NULL;
}

FA_EXPORT const char *fragalloc_event_limit_name(unsigned int limit)
{
	return limit < NR(limit_names) ? limit_names[limit] : NULL;
}
