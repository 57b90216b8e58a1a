// SPDX-License-Identifier: MIT
/*
 * fragalloc stress: the load of the original report. Allocate batches up to
 * a total, then per cycle free random whole batches and random page ranges
 * and allocate again, with a seeded PRNG (splitmix64, identical on every
 * machine), and print the fragmentation before and after.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "main.h"

struct live {
	uint32_t handle;
	uint64_t pages;		/* length */
	uint64_t present;	/* not punched */
};

struct stress {
	struct fragalloc *h;
	uint64_t state;		/* PRNG */
	struct live *b;
	size_t nr, cap;
	uint64_t held;		/* present pages */
	uint64_t batch_pages, total_pages;
	int mobility, policy;
	uint32_t flags;
	/* counters */
	uint64_t allocs, alloc_fail, frees, range_frees, pages_punched;
	int last_err;
};

/* splitmix64: a fixed, portable sequence for a given seed. */
static uint64_t rnd(struct stress *s)
{
	uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n), n > 0 (rejection sampling: no modulo bias) */
static uint64_t rnd_below(struct stress *s, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rnd(s);
	while (x >= lim);
	return x % n;
}

static double rnd_unit(struct stress *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static int usage(void)
{
	printf("Usage: %s stress [--batch SIZE] [--total SIZE] [--cycles N] [--seed S]\n"
	       "                       [--class C] [--policy P] [--free-ratio R]\n"
	       "                       [--recompact] [--keep] [--json|--pretty]\n"
	       "The load of the original report: allocate batches of --batch up to\n"
	       "--total, then for each cycle free a random R share of the batches\n"
	       "whole, punch a random page range into an R share of the others, and\n"
	       "allocate batches again up to --total. Prints the fragmentation before\n"
	       "and after. The PRNG is splitmix64: a seed gives the same sequence on\n"
	       "every machine.\n"
	       "  --batch SIZE     batch size (default 40M; K/M/G or p for pages)\n"
	       "  --total SIZE     memory held (default 360M)\n"
	       "  --cycles N       cycles (default 10)\n"
	       "  --seed S         PRNG seed (default 1)\n"
	       "  --free-ratio R   0 < R <= 1 (default 0.3)\n"
	       "  --class, --policy, --best-effort  as for 'alloc'\n"
	       "  --recompact      recompact this fd's batches at the end\n"
	       "  --keep           hold the memory until SIGINT/SIGTERM, then free\n",
	       bin_name);
	return EXIT_OK;
}

static int add_batch(struct stress *s, uint64_t pages)
{
	struct fragalloc_batch b;
	int ret;

	if (s->nr == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct live *nb = realloc(s->b, ncap * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		s->b = nb;
		s->cap = ncap;
	}
	ret = fragalloc_alloc(s->h, pages, (enum fragalloc_mobility)s->mobility,
			      (enum fragalloc_policy)s->policy, s->flags, &b);
	if (ret) {
		s->alloc_fail++;
		s->last_err = ret;
		return ret;
	}
	s->allocs++;
	s->b[s->nr].handle = b.handle;
	s->b[s->nr].pages = b.nr_pages;
	s->b[s->nr].present = b.nr_pages;
	s->nr++;
	s->held += b.nr_pages;
	return 0;
}

/* Allocate up to the total. Returns 0 or the first error. */
static int fill(struct stress *s)
{
	while (s->held < s->total_pages && !stop_requested) {
		uint64_t want = s->total_pages - s->held;
		int ret;

		if (want > s->batch_pages)
			want = s->batch_pages;
		ret = add_batch(s, want);
		if (ret)
			return ret;
	}
	return 0;
}

static int free_index(struct stress *s, size_t i)
{
	int ret = fragalloc_free(s->h, s->b[i].handle);

	if (ret)
		return ret;
	s->held -= s->b[i].present;
	s->frees++;
	s->b[i] = s->b[--s->nr];
	return 0;
}

static int cycle(struct stress *s, double ratio)
{
	size_t nfree;
	int ret;

	/* free whole batches, picked at random */
	nfree = (size_t)((double)s->nr * ratio + 0.5);
	if (!nfree && s->nr)
		nfree = 1;
	for (size_t k = 0; k < nfree && s->nr; k++) {
		ret = free_index(s, (size_t)rnd_below(s, s->nr));
		if (ret)
			return ret;
	}
	/* punch random ranges into some of the others */
	for (size_t i = 0; i < s->nr; i++) {
		struct live *l = &s->b[i];
		uint64_t first, max, nr, freed = 0;

		if (rnd_unit(s) >= ratio || l->pages < 2)
			continue;
		first = rnd_below(s, l->pages);
		max = l->pages - first;
		if (max > l->pages / 4 + 1)
			max = l->pages / 4 + 1;
		nr = 1 + rnd_below(s, max);
		ret = fragalloc_free_range(s->h, l->handle, first, nr, &freed);
		if (ret)
			return ret;
		s->range_frees++;
		s->pages_punched += freed;
		l->present -= freed;
		s->held -= freed;
		if (!l->present) {
			ret = free_index(s, i);
			if (ret)
				return ret;
			i--;
		}
	}
	fill(s);	/* failures are counted, the load goes on */
	return 0;
}

static struct fragalloc_frag_report *snapshot(void)
{
	struct fragalloc_frag_report *r = NULL;
	int ret = fragalloc_frag_read(NULL, NULL, &r);

	if (ret) {
		p_info("%s: warning: cannot read /proc/buddyinfo: %s\n", bin_name,
		       fragalloc_strerror(ret));
		return NULL;
	}
	return r;
}

static void progress(int tty, uint64_t c, uint64_t n, const struct stress *s,
		     uint64_t psz)
{
	if (json_output && !tty)
		return;
	if (tty) {
		int w = 30, done = n ? (int)(c * (uint64_t)w / n) : w;

		fprintf(stderr, "\r  cycle %" PRIu64 "/%" PRIu64 " [", c, n);
		for (int i = 0; i < w; i++)
			fputc(i < done ? '#' : '.', stderr);
		fprintf(stderr, "] %zu batches, %" PRIu64 " MiB held, %" PRIu64
			" failures ", s->nr, s->held * psz >> 20, s->alloc_fail);
		if (c == n)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "cycle %" PRIu64 "/%" PRIu64 ": %zu batches, %" PRIu64
			" MiB held, %" PRIu64 " allocs, %" PRIu64 " frees, %" PRIu64
			" range frees, %" PRIu64 " failures\n", c, n, s->nr,
			s->held * psz >> 20, s->allocs, s->frees, s->range_frees,
			s->alloc_fail);
	}
	fflush(stderr);
}

static void report(const char *name, struct fragalloc_frag_report *r)
{
	if (!r)
		return;
	if (json_output) {
		jw_key(&jw, name);
		frag_summary_json(r);
	} else {
		frag_summary_text(name, r);
	}
}

int do_stress(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "batch", required_argument, NULL, 'b' },
		{ "total", required_argument, NULL, 't' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "class", required_argument, NULL, 'C' },
		{ "policy", required_argument, NULL, 'P' },
		{ "free-ratio", required_argument, NULL, 'r' },
		{ "best-effort", no_argument, NULL, 'E' },
		{ "recompact", no_argument, NULL, 'R' },
		{ "keep", no_argument, NULL, 'k' },
		{ 0 },
	};
	struct fragalloc_frag_report *before = NULL, *after = NULL,
		*after_rc = NULL, *after_free = NULL;
	uint64_t batch = 40ULL << 20, total = 360ULL << 20, cycles = 10, seed = 1;
	int batch_is_pages = 0, total_is_pages = 0, do_rc = 0, keep = 0;
	struct fragalloc_recompact rc;
	struct fragalloc_stats st;
	struct stress s;
	double ratio = 0.3;
	int c, ret, rc_ret = 0, have_stats = 0, exit_code = EXIT_OK, tty;
	uint64_t psz, done = 0;
	struct timespec t0, t1;

	memset(&s, 0, sizeof(s));
	s.mobility = FRAGALLOC_UNMOVABLE;
	s.policy = FRAGALLOC_POLICY_COMPACT;
	optind = 0;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		int cr = common_opt(c);

		if (cr < 0)
			return usage();
		if (cr)
			continue;
		switch (c) {
		case 'b':
			if (parse_size(optarg, &batch, &batch_is_pages) || !batch)
				return usage_err("stress: bad --batch '%s'", optarg);
			break;
		case 't':
			if (parse_size(optarg, &total, &total_is_pages) || !total)
				return usage_err("stress: bad --total '%s'", optarg);
			break;
		case 'c':
			if (parse_u64(optarg, &cycles))
				return usage_err("stress: bad --cycles '%s'", optarg);
			break;
		case 's':
			if (parse_u64(optarg, &seed))
				return usage_err("stress: bad --seed '%s'", optarg);
			break;
		case 'C':
			s.mobility = fragalloc_mobility_parse(optarg);
			if (s.mobility < 0)
				return usage_err("stress: unknown class '%s'", optarg);
			break;
		case 'P':
			s.policy = fragalloc_policy_parse(optarg);
			if (s.policy < 0)
				return usage_err("stress: unknown policy '%s'", optarg);
			break;
		case 'r':
			if (parse_double(optarg, &ratio) || ratio <= 0 || ratio > 1)
				return usage_err("stress: --free-ratio must be in (0, 1]");
			break;
		case 'E': s.flags |= FRAGALLOC_ALLOC_BEST_EFFORT; break;
		case 'R': do_rc = 1; break;
		case 'k': keep = 1; break;
		default: return usage_err("stress: bad option");
		}
	}
	if (optind < argc)
		return usage_err("stress: unexpected argument '%s'", argv[optind]);
	jw_init(&jw, stdout, pretty_output);
	if (open_device(&s.h))
		return EXIT_ERR;
	psz = fragalloc_page_size(s.h);
	s.batch_pages = batch_is_pages ? batch : (batch + psz - 1) / psz;
	s.total_pages = total_is_pages ? total : (total + psz - 1) / psz;
	if (s.batch_pages > s.total_pages) {
		fragalloc_close(s.h);
		return usage_err("stress: --batch larger than --total");
	}
	s.state = seed;
	tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	before = snapshot();
	ret = fill(&s);
	if (ret) {
		p_fa_err(ret, 0, "initial allocation stopped at %" PRIu64 " of %" PRIu64
			 " pages", s.held, s.total_pages);
		exit_code = EXIT_ERR;
		goto out;
	}
	if (!json_output)
		p_info("loaded: %zu batches, %" PRIu64 " pages\n", s.nr, s.held);
	for (done = 0; done < cycles && !stop_requested; done++) {
		ret = cycle(&s, ratio);
		if (ret) {
			p_fa_err(ret, 0, "cycle %" PRIu64, done + 1);
			exit_code = EXIT_ERR;
			goto out;
		}
		progress(tty, done + 1, cycles, &s, psz);
	}
	if (tty && done < cycles && !json_output)
		fputc('\n', stderr);
	after = snapshot();
	if (do_rc) {
		rc_ret = fragalloc_recompact(s.h, FRAGALLOC_SCOPE_FD, 0, 0, 0, &rc);
		if (rc_ret) {
			p_fa_err(rc_ret, 0, "recompaction");
			exit_code = EXIT_ERR;
		}
		after_rc = snapshot();
	}
	have_stats = !fragalloc_stats(s.h, &st);
	if (keep && !stop_requested) {
		if (!json_output)
			p_info("holding %" PRIu64 " pages; send SIGINT/SIGTERM to free and exit\n",
			       s.held);
		while (!stop_requested)
			pause();
	}
out:
	while (s.nr) {
		ret = free_index(&s, s.nr - 1);
		if (ret) {
			p_fa_err(ret, 0, "free");
			exit_code = EXIT_ERR;
			break;
		}
	}
	after_free = snapshot();
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (json_output) {
		jw_obj_start(&jw);
		jw_key(&jw, "params");
		jw_obj_start(&jw);
		jw_ku64(&jw, "batch_pages", s.batch_pages);
		jw_ku64(&jw, "total_pages", s.total_pages);
		jw_ku64(&jw, "cycles", cycles);
		jw_ku64(&jw, "seed", seed);
		jw_kdbl(&jw, "free_ratio", ratio);
		jw_kstr(&jw, "class", fragalloc_mobility_name((unsigned int)s.mobility));
		jw_kstr(&jw, "policy", fragalloc_policy_name((unsigned int)s.policy));
		jw_obj_end(&jw);
		jw_ku64(&jw, "cycles_done", done);
		jw_ku64(&jw, "allocs", s.allocs);
		jw_ku64(&jw, "alloc_failures", s.alloc_fail);
		jw_ku64(&jw, "frees", s.frees);
		jw_ku64(&jw, "range_frees", s.range_frees);
		jw_ku64(&jw, "pages_punched", s.pages_punched);
		jw_kdbl(&jw, "elapsed_s", (double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (have_stats) {
			jw_key(&jw, "pool");
			jw_obj_start(&jw);
			jw_ku64(&jw, "blocks", st.out_blocks[s.mobility]);
			jw_ku64(&jw, "pages_used", st.out_pages_used[s.mobility]);
			jw_ku64(&jw, "pages_free", st.out_pages_free[s.mobility]);
			jw_ku64(&jw, "loose_pages", st.out_loose_pages[s.mobility]);
			jw_ku64(&jw, "fallbacks", st.out_fallbacks);
			jw_ku64(&jw, "other_pages", st.out_other_pages);
			jw_obj_end(&jw);
		}
		if (do_rc && !rc_ret) {
			jw_key(&jw, "recompact");
			jw_obj_start(&jw);
			jw_ku64(&jw, "pages_moved", rc.out_pages_moved);
			jw_ku64(&jw, "blocks_released", rc.out_blocks_released);
			jw_ku64(&jw, "blocks_before", rc.out_blocks_before);
			jw_ku64(&jw, "blocks_after", rc.out_blocks_after);
			jw_obj_end(&jw);
		}
		jw_key(&jw, "reports");
		jw_obj_start(&jw);
		report("before", before);
		report("after", after);
		report("after_recompact", after_rc);
		report("after_free", after_free);
		jw_obj_end(&jw);
		jw_obj_end(&jw);
		jw_end_doc(&jw);
	} else {
		printf("stress: %" PRIu64 "/%" PRIu64 " cycles, seed %" PRIu64
		       ", %s/%s: %" PRIu64 " allocs (%" PRIu64 " failed), %" PRIu64
		       " frees, %" PRIu64 " range frees (%" PRIu64 " pages)\n",
		       done, cycles, seed,
		       fragalloc_mobility_name((unsigned int)s.mobility),
		       fragalloc_policy_name((unsigned int)s.policy), s.allocs,
		       s.alloc_fail, s.frees, s.range_frees, s.pages_punched);
		if (s.alloc_fail)
			printf("  last allocation error: %s\n",
			       fragalloc_strerror(s.last_err));
		if (have_stats)
			printf("pool (%s): %" PRIu64 " pageblocks, %" PRIu64
			       " pages used, %" PRIu64 " free in owned blocks, %" PRIu64
			       " loose\n", fragalloc_mobility_name((unsigned int)s.mobility),
			       (uint64_t)st.out_blocks[s.mobility],
			       (uint64_t)st.out_pages_used[s.mobility],
			       (uint64_t)st.out_pages_free[s.mobility],
			       (uint64_t)st.out_loose_pages[s.mobility]);
		if (do_rc && !rc_ret)
			printf("recompact: moved %" PRIu64 " pages, pageblocks %" PRIu64
			       " -> %" PRIu64 "\n", (uint64_t)rc.out_pages_moved,
			       (uint64_t)rc.out_blocks_before,
			       (uint64_t)rc.out_blocks_after);
		report("before", before);
		report("after (memory held)", after);
		report("after recompact", after_rc);
		report("after free", after_free);
	}
	fragalloc_frag_free(before);
	fragalloc_frag_free(after);
	fragalloc_frag_free(after_rc);
	fragalloc_frag_free(after_free);
	free(s.b);
	fragalloc_close(s.h);
	return exit_code;
}
