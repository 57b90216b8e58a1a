/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc: tracepoints (events/fragalloc/ in tracefs).
 *
 * Only events.c includes this file, through the fa_ev_*() hooks of
 * fa_events.h, which also feed the netlink coalescer. The events carry no
 * string, so that they build unchanged on kernels before and after the
 * 6.10 change of __assign_str(). PFNs appear here and nowhere else that a
 * user can read: tracefs is root-only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM fragalloc

#if !defined(_FA_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _FA_TRACE_H

#include <linux/tracepoint.h>
#include <linux/fragalloc.h>
#include <linux/fragalloc_netlink.h>

#include "fa_events.h"

#define fa_show_class(c)						\
	__print_symbolic(c,						\
			 { FRAGALLOC_UNMOVABLE, "unmovable" },		\
			 { FRAGALLOC_RECLAIMABLE, "reclaimable" },	\
			 { FRAGALLOC_MOVABLE, "movable" },		\
			 { FA_EV_NO_CLASS, "none" })

#define fa_show_policy(p)						\
	__print_symbolic(p,						\
			 { FRAGALLOC_POLICY_COMPACT, "compact" },	\
			 { FRAGALLOC_POLICY_PLAIN, "plain" },		\
			 { FRAGALLOC_POLICY_BULK, "bulk" },		\
			 { FRAGALLOC_POLICY_HIGHORDER, "highorder" },	\
			 { FRAGALLOC_POLICY_MOVABLE, "movable" })

#define fa_show_scope(s)						\
	__print_symbolic(s,						\
			 { FRAGALLOC_SCOPE_BATCH, "batch" },		\
			 { FRAGALLOC_SCOPE_FD, "fd" },			\
			 { FRAGALLOC_SCOPE_POOL, "pool" },		\
			 { FRAGALLOC_NR_SCOPES, "client" })

#define fa_show_reason(r)						\
	__print_symbolic(r,						\
			 { FA_EV_REASON_ALLOC, "alloc" },		\
			 { FA_EV_REASON_FREE, "free" },			\
			 { FA_EV_REASON_TRIM, "trim" },			\
			 { FA_EV_REASON_RECOMPACT, "recompact" },	\
			 { FA_EV_REASON_SHRINK, "shrink" })

#define fa_show_limit(l)						\
	__print_symbolic(l,						\
			 { FRAGALLOC_NL_LIMIT_BATCH, "batch" },		\
			 { FRAGALLOC_NL_LIMIT_FD, "fd" },		\
			 { FRAGALLOC_NL_LIMIT_TOTAL, "total" },		\
			 { FRAGALLOC_NL_LIMIT_MEMLOCK, "memlock" })

DECLARE_EVENT_CLASS(fa_batch_class,
		    TP_PROTO(const struct fa_ev_batch *b),
		    TP_ARGS(b),
		    TP_STRUCT__entry(__field(u32, owner)
				     __field(u32, handle)
				     __field(u64, pages)
				     __field(u64, blocks)
				     __field(u64, loose)
				     __field(u32, policy)
				     __field(u32, cls)),
		    TP_fast_assign(__entry->owner = b->owner;
				   __entry->handle = b->handle;
				   __entry->pages = b->pages;
				   __entry->blocks = b->blocks;
				   __entry->loose = b->loose;
				   __entry->policy = b->policy;
				   __entry->cls = b->cls;),
		    TP_printk("owner=%u handle=%u pages=%llu blocks=%llu loose=%llu policy=%s class=%s",
			      __entry->owner, __entry->handle, __entry->pages,
			      __entry->blocks, __entry->loose,
			      fa_show_policy(__entry->policy),
			      fa_show_class(__entry->cls)));

DEFINE_EVENT(fa_batch_class, alloc,
	     TP_PROTO(const struct fa_ev_batch *b),
	     TP_ARGS(b));

DEFINE_EVENT(fa_batch_class, free,
	     TP_PROTO(const struct fa_ev_batch *b),
	     TP_ARGS(b));

DEFINE_EVENT(fa_batch_class, fallback_loose,
	     TP_PROTO(const struct fa_ev_batch *b),
	     TP_ARGS(b));

DECLARE_EVENT_CLASS(fa_block_class,
		    TP_PROTO(unsigned long pfn, unsigned int cls,
			     unsigned int reason),
		    TP_ARGS(pfn, cls, reason),
		    TP_STRUCT__entry(__field(unsigned long, pfn)
				     __field(u32, cls)
				     __field(u32, reason)),
		    TP_fast_assign(__entry->pfn = pfn;
				   __entry->cls = cls;
				   __entry->reason = reason;),
		    TP_printk("pfn=0x%lx class=%s reason=%s", __entry->pfn,
			      fa_show_class(__entry->cls),
			      fa_show_reason(__entry->reason)));

DEFINE_EVENT(fa_block_class, block_acquire,
	     TP_PROTO(unsigned long pfn, unsigned int cls, unsigned int reason),
	     TP_ARGS(pfn, cls, reason));

DEFINE_EVENT(fa_block_class, block_release,
	     TP_PROTO(unsigned long pfn, unsigned int cls, unsigned int reason),
	     TP_ARGS(pfn, cls, reason));

TRACE_EVENT(recompact_begin,
	    TP_PROTO(unsigned int scope, u64 max_pages, bool dry_run),
	    TP_ARGS(scope, max_pages, dry_run),
	    TP_STRUCT__entry(__field(u32, scope)
			     __field(u64, max_pages)
			     __field(bool, dry_run)),
	    TP_fast_assign(__entry->scope = scope;
			   __entry->max_pages = max_pages;
			   __entry->dry_run = dry_run;),
	    TP_printk("scope=%s max_pages=%llu dry_run=%d",
		      fa_show_scope(__entry->scope), __entry->max_pages,
		      __entry->dry_run));

TRACE_EVENT(recompact_end,
	    TP_PROTO(unsigned int scope, int err, u64 planned, u64 moved,
		     u64 released, u64 duration_ns),
	    TP_ARGS(scope, err, planned, moved, released, duration_ns),
	    TP_STRUCT__entry(__field(u32, scope)
			     __field(int, err)
			     __field(u64, planned)
			     __field(u64, moved)
			     __field(u64, released)
			     __field(u64, duration_ns)),
	    TP_fast_assign(__entry->scope = scope;
			   __entry->err = err;
			   __entry->planned = planned;
			   __entry->moved = moved;
			   __entry->released = released;
			   __entry->duration_ns = duration_ns;),
	    TP_printk("scope=%s err=%d planned=%llu moved=%llu released=%llu duration_ns=%llu",
		      fa_show_scope(__entry->scope), __entry->err,
		      __entry->planned, __entry->moved, __entry->released,
		      __entry->duration_ns));

TRACE_EVENT(page_move,
	    TP_PROTO(unsigned long old_pfn, unsigned long new_pfn,
		     unsigned int cls),
	    TP_ARGS(old_pfn, new_pfn, cls),
	    TP_STRUCT__entry(__field(unsigned long, old_pfn)
			     __field(unsigned long, new_pfn)
			     __field(u32, cls)),
	    TP_fast_assign(__entry->old_pfn = old_pfn;
			   __entry->new_pfn = new_pfn;
			   __entry->cls = cls;),
	    TP_printk("old_pfn=0x%lx new_pfn=0x%lx class=%s",
		      __entry->old_pfn, __entry->new_pfn,
		      fa_show_class(__entry->cls)));

TRACE_EVENT(shrink,
	    TP_PROTO(u64 asked, u64 given),
	    TP_ARGS(asked, given),
	    TP_STRUCT__entry(__field(u64, asked)
			     __field(u64, given)),
	    TP_fast_assign(__entry->asked = asked;
			   __entry->given = given;),
	    TP_printk("asked=%llu given=%llu", __entry->asked,
		      __entry->given));

TRACE_EVENT(limit_hit,
	    TP_PROTO(unsigned int limit, int err),
	    TP_ARGS(limit, err),
	    TP_STRUCT__entry(__field(u32, limit)
			     __field(int, err)),
	    TP_fast_assign(__entry->limit = limit;
			   __entry->err = err;),
	    TP_printk("limit=%s errno=%d", fa_show_limit(__entry->limit),
		      __entry->err));

#endif /* _FA_TRACE_H */

/* This part must be outside the multi-read guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE fa_trace
#include <trace/define_trace.h>
