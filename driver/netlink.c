// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: generic netlink family (uapi/linux/fragalloc_netlink.h).
 *
 * GET_STATS answers with the pool-wide figures of ioctl(STATS) without
 * opening the device; the "events" group carries the coalesced messages
 * events.c builds. Both are pool-wide only (no PFN, nothing of one user),
 * so neither needs a privilege, like /proc/buddyinfo.
 */
#include <linux/stddef.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/fragalloc_netlink.h>

#include "fa.h"
#include "fa_events.h"

/*
 * The longest valid GET_STATS request carries one CLASS_ID: anything longer
 * can only repeat it, which strict validation lets through.
 */
#define FA_NL_MAX_REQUEST	nla_total_size(sizeof(u32))

/* Cleared first at unload: a request racing it gets ENODEV. */
static bool fa_nl_up;

static struct genl_family fa_nl_family;

/* Pool-wide u64 figures of a GET_STATS reply, by &struct fragalloc_stats. */
#define FA_NL_STAT(a, f) \
	{ FRAGALLOC_NL_A_STATS_##a, offsetof(struct fragalloc_stats, out_##f) }

static const struct {
	u16 attr;
	u16 off;
} fa_nl_stats[] = {
	FA_NL_STAT(RESERVE_BLOCKS, reserve_blocks),
	FA_NL_STAT(FALLBACKS, fallbacks),
	FA_NL_STAT(BLOCKS_ACQUIRED, blocks_acquired),
	FA_NL_STAT(BLOCKS_RELEASED, blocks_released),
	FA_NL_STAT(OTHER_PAGES, other_pages),
	FA_NL_STAT(RECOMPACT_RUNS, recompact_runs),
	FA_NL_STAT(RECOMPACT_MOVED, recompact_moved),
	FA_NL_STAT(META_BYTES, meta_bytes),
	FA_NL_STAT(AUTO_RUNS, auto_recompact_runs),
	FA_NL_STAT(IDLE_PAGES, idle_pages),
	FA_NL_STAT(RECLAIMABLE_PAGES, reclaimable_pages),
	FA_NL_STAT(SHRINK_RUNS, shrink_runs),
	FA_NL_STAT(SHRINK_PAGES, shrink_pages),
	FA_NL_STAT(SHRINK_BLOCKS_BROKEN, shrink_blocks_broken),
	FA_NL_STAT(AUTO_PAGES_RELEASED, auto_pages_released),
};

static int fa_nl_put_u64(struct sk_buff *msg, int attr, u64 v)
{
	return nla_put_u64_64bit(msg, attr, v, FRAGALLOC_NL_A_PAD);
}

static int fa_nl_put_class(struct sk_buff *msg,
			   const struct fragalloc_stats *st, u32 cls)
{
	struct nlattr *nest = nla_nest_start(msg, FRAGALLOC_NL_A_CLASS);

	if (!nest ||
	    nla_put_u32(msg, FRAGALLOC_NL_A_CLASS_ID, cls) ||
	    fa_nl_put_u64(msg, FRAGALLOC_NL_A_CLASS_BLOCKS,
			  st->out_blocks[cls]) ||
	    fa_nl_put_u64(msg, FRAGALLOC_NL_A_CLASS_USED,
			  st->out_pages_used[cls]) ||
	    fa_nl_put_u64(msg, FRAGALLOC_NL_A_CLASS_FREE,
			  st->out_pages_free[cls]) ||
	    fa_nl_put_u64(msg, FRAGALLOC_NL_A_CLASS_LOOSE,
			  st->out_loose_pages[cls]))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int fa_nl_fill_stats(struct sk_buff *msg,
			    const struct fragalloc_stats *st, u32 only)
{
	unsigned int i;
	u32 cls;

	for (i = 0; i < ARRAY_SIZE(fa_nl_stats); i++)
		if (fa_nl_put_u64(msg, fa_nl_stats[i].attr,
				  *(const u64 *)((const char *)st +
						 fa_nl_stats[i].off)))
			return -EMSGSIZE;
	for (cls = 0; cls < FRAGALLOC_NR_MOBILITY; cls++)
		if ((only == U32_MAX || only == cls) &&
		    fa_nl_put_class(msg, st, cls))
			return -EMSGSIZE;
	return 0;
}

static int fa_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct fragalloc_stats st = { .size = sizeof(st) };
	u32 only = U32_MAX;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (genlmsg_len(info->genlhdr) > FA_NL_MAX_REQUEST) {
		NL_SET_ERR_MSG(info->extack,
			       "request longer than one CLASS_ID attribute");
		return -EINVAL;
	}
	/* Range checked by the policy (ERANGE). */
	if (info->attrs[FRAGALLOC_NL_A_CLASS_ID])
		only = nla_get_u32(info->attrs[FRAGALLOC_NL_A_CLASS_ID]);
	if (!READ_ONCE(fa_nl_up)) {
		NL_SET_ERR_MSG(info->extack, "fragalloc is being unloaded");
		return -ENODEV;
	}
	fa_fill_pool_stats(&st);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &fa_nl_family, 0,
				FRAGALLOC_NL_CMD_GET_STATS);
	ret = -EMSGSIZE;
	if (!hdr || fa_nl_fill_stats(msg, &st, only))
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

static int fa_nl_refuse_event(struct sk_buff *skb, struct genl_info *info)
{
	NL_SET_ERR_MSG(info->extack,
		       "EVENT messages are sent by the kernel only");
	return -EOPNOTSUPP;
}

/*
 * Strict validation (every op is at or after resv_start_op 0): attributes
 * beyond the op's maxattr, attributes without a policy entry, wrong
 * lengths, NLA_F_NESTED on a scalar and trailing bytes are all EINVAL with
 * an extack message from the netlink core.
 */
static const struct nla_policy fa_nl_stats_policy[FRAGALLOC_NL_A_CLASS_ID + 1] = {
	[FRAGALLOC_NL_A_CLASS_ID] =
		NLA_POLICY_MAX(NLA_U32, FRAGALLOC_NR_MOBILITY - 1),
};

/*
 * What EVENT messages carry, for introspection (CTRL_CMD_GETPOLICY) and so
 * that a well-formed EVENT sent by userspace reaches its refusal.
 */
static const struct nla_policy fa_nl_event_policy[FRAGALLOC_NL_A_MAX + 1] = {
	[FRAGALLOC_NL_A_EVENT_KIND] =
		NLA_POLICY_MAX(NLA_U32, FRAGALLOC_NL_NR_EVENTS - 1),
	[FRAGALLOC_NL_A_EVENT_COUNT] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_TIME_NS] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_PAGES] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_BLOCKS] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_LOOSE] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_PLANNED] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_MOVED] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_ASKED] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_DURATION_NS] = { .type = NLA_U64 },
	[FRAGALLOC_NL_A_EVENT_LIMIT] = { .type = NLA_U32 },
	[FRAGALLOC_NL_A_EVENT_ERRNO] = { .type = NLA_U32 },
};

/* No GENL_ADMIN_PERM / GENL_UNS_ADMIN_PERM: nothing here is private. */
static const struct genl_ops fa_nl_ops[] = {
	{
		.cmd = FRAGALLOC_NL_CMD_GET_STATS,
		.doit = fa_nl_get_stats,
		.policy = fa_nl_stats_policy,
		.maxattr = FRAGALLOC_NL_A_CLASS_ID,
	},
	{
		.cmd = FRAGALLOC_NL_CMD_EVENT,
		.doit = fa_nl_refuse_event,
		.policy = fa_nl_event_policy,
		.maxattr = FRAGALLOC_NL_A_MAX,
	},
};

/* No GENL_MCAST_CAP_* / GENL_UNS_ADMIN_PERM: anyone may listen. */
static const struct genl_multicast_group fa_nl_mcgrps[] = {
	{ .name = FRAGALLOC_GENL_MCGRP_EVENTS },
};

static struct genl_family fa_nl_family = {
	.name = FRAGALLOC_GENL_NAME,
	.version = FRAGALLOC_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = fa_nl_ops,
	.n_ops = ARRAY_SIZE(fa_nl_ops),
	.resv_start_op = 0,
	.mcgrps = fa_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(fa_nl_mcgrps),
};

/* Whether anyone listens on the events group (any context, no lock). */
bool fa_nl_listening(void)
{
	return READ_ONCE(fa_nl_up) &&
	       genl_has_listeners(&fa_nl_family, &init_net, 0) > 0;
}

/* Size of the largest EVENT message. */
#define FA_NL_EVENT_SIZE \
	(3 * nla_total_size(sizeof(u32)) + \
	 (2 + FA_EV_NR_SUMS) * nla_total_size_64bit(sizeof(u64)))

/**
 * fa_nl_send_event() - multicast one coalesced message (process context)
 * @kind: &enum fragalloc_nl_event
 * @acc: its figures; fa_ev_kinds[@kind] says which go in
 *
 * Return: 0, or a negative errno (the message is dropped).
 */
int fa_nl_send_event(unsigned int kind, const struct fa_ev_acc *acc)
{
	const struct fa_ev_kind *ek = &fa_ev_kinds[kind];
	unsigned long sums = ek->sums;
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;

	BUILD_BUG_ON(FRAGALLOC_NL_A_EVENT_PAGES + FA_EV_DURATION !=
		     FRAGALLOC_NL_A_EVENT_DURATION_NS);
	msg = genlmsg_new(FA_NL_EVENT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &fa_nl_family, 0, FRAGALLOC_NL_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, FRAGALLOC_NL_A_EVENT_KIND, kind) ||
	    fa_nl_put_u64(msg, FRAGALLOC_NL_A_EVENT_COUNT, acc->count) ||
	    fa_nl_put_u64(msg, FRAGALLOC_NL_A_EVENT_TIME_NS, acc->time_ns))
		goto err;
	for_each_set_bit(i, &sums, FA_EV_NR_SUMS)
		if (fa_nl_put_u64(msg, FRAGALLOC_NL_A_EVENT_PAGES + i,
				  acc->sum[i]))
			goto err;
	if ((ek->latest & FA_EV_LATEST_LIMIT) &&
	    (nla_put_u32(msg, FRAGALLOC_NL_A_EVENT_LIMIT, acc->limit) ||
	     nla_put_u32(msg, FRAGALLOC_NL_A_EVENT_ERRNO, acc->err)))
		goto err;
	genlmsg_end(msg, hdr);
	/* ESRCH: the last listener left meanwhile. */
	return genlmsg_multicast(&fa_nl_family, msg, 0, 0, GFP_KERNEL);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int fa_nl_init(void)
{
	int ret = genl_register_family(&fa_nl_family);

	if (!ret)
		WRITE_ONCE(fa_nl_up, true);
	return ret;
}

/* Waits for requests in flight (genl_mutex): none runs after it returns. */
void fa_nl_exit(void)
{
	WRITE_ONCE(fa_nl_up, false);
	genl_unregister_family(&fa_nl_family);
}
