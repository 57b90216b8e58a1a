/* SPDX-License-Identifier: GPL-2.0 */
/* Simulated physical memory / page source for host tests. */
#ifndef SIM_H
#define SIM_H

#include "core.h"

enum { SIM_FREE = 0, SIM_OUT = 1, SIM_OTHER = 2 };

#define SIM_MAX_REGIONS 8

struct sim_region {
	unsigned long base;	/* block aligned */
	unsigned long npages;	/* multiple of block size */
	unsigned char *st;	/* SIM_* per page */
	unsigned char *user;	/* shadow: 0 free in pool, cls + 1 handed out */
	unsigned char *zero;	/* contents: 1 when the harness zeroed it */
	unsigned int *bfree;	/* free pages per block */
};

struct sim {
	unsigned int block_order;
	int nreg;
	struct sim_region reg[SIM_MAX_REGIONS];
	unsigned long outstanding;	/* pages held by the pool */
	unsigned long errors;		/* bad puts */
	int max_order;			/* gets above fail; -1: no limit */
	long fail_after;		/* gets that still succeed; -1: all */
	long stop_after;		/* should_stop calls before true; -1 never */
	unsigned long nget, nput, nstop;
	bool quiet;
};

extern const struct fa_source_ops sim_ops;

void sim_init(struct sim *s, unsigned int block_order);
void sim_add_region(struct sim *s, unsigned long base, unsigned long nblocks);
void sim_destroy(struct sim *s);
unsigned char *sim_state(struct sim *s, unsigned long pfn);
unsigned char *sim_user(struct sim *s, unsigned long pfn);
/* 1 while the page holds the zeroes the harness wrote (a pool zeroer) */
unsigned char *sim_zero(struct sim *s, unsigned long pfn);
/* mark a free page as taken by someone else; returns true if it was free */
bool sim_take_other(struct sim *s, unsigned long pfn);
/* give all "other" pages back */
void sim_release_others(struct sim *s);
/* take one page of every stride in each block: no whole block remains */
void sim_fragment(struct sim *s, unsigned int stride);
unsigned long sim_total_pages(const struct sim *s);
unsigned long sim_free_pages(const struct sim *s);

#endif
