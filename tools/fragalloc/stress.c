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
#include "splitmix64.h"

struct live {
	uint32_t handle;
	uint64_t pages;		/* length */
	uint64_t present;	/* not punched */
};

/* the command line */
struct stress_args {
	uint64_t batch, total;	/* bytes, or pages if *_is_pages */
	int batch_is_pages, total_is_pages;
	uint64_t cycles, seed;
	double ratio;
	int do_rc, keep;
};

struct stress {
	struct fragalloc *h;
	struct rng rng;
	struct live *b;
	size_t nr, cap;
	uint64_t held;		/* present pages */
	uint64_t batch_pages, total_pages;
	int mobility, policy;
	uint32_t flags;
	/* counters */
	uint64_t allocs, alloc_fail, frees, range_frees, pages_punched;
	int last_err;
	struct stress_args *args;	/* while the options are read */
	/* what the run saw, for the report */
	uint64_t done;		/* cycles */
	struct fragalloc_frag_report *before, *after, *after_rc, *after_free;
	struct fragalloc_recompact rc;
	int rc_ret;
	struct fragalloc_stats st;
	int have_stats;
	struct timespec t0, t1;
};

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
		ret = free_index(s, (size_t)rnd_below(&s->rng, s->nr));
		if (ret)
			return ret;
	}
	/* punch random ranges into some of the others */
	for (size_t i = 0; i < s->nr; i++) {
		struct live *l = &s->b[i];
		uint64_t first, nr, freed = 0;

		if (rnd_unit(&s->rng) >= ratio || l->pages < 2)
			continue;
		rnd_punch(&s->rng, l->pages, &first, &nr);
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

static int stress_opt(int c, const char *arg, void *ctx)
{
	struct stress *s = ctx;
	struct stress_args *a = s->args;

	switch (c) {
	case 'b':
		return opt_size(arg, &a->batch, &a->batch_is_pages, "stress: bad --batch");
	case 't':
		return opt_size(arg, &a->total, &a->total_is_pages, "stress: bad --total");
	case 'c': return opt_u64(arg, &a->cycles, 0, "stress: bad --cycles");
	case 's': return opt_u64(arg, &a->seed, 0, "stress: bad --seed");
	case 'C': return parse_class("stress", arg, &s->mobility);
	case 'P': return parse_policy("stress", arg, &s->policy);
	case 'r':
		if (parse_double(arg, &a->ratio) || a->ratio <= 0 || a->ratio > 1)
			return usage_err("stress: --free-ratio must be in (0, 1]");
		return 0;
	case 'E': s->flags |= FRAGALLOC_ALLOC_BEST_EFFORT; return 0;
	case 'R': a->do_rc = 1; return 0;
	case 'k': a->keep = 1; return 0;
	default: return OPT_UNKNOWN;
	}
}

static int stress_load(struct stress *s, const struct stress_args *a,
		       uint64_t psz);
static int stress_unload(struct stress *s, int exit_code);
static void stress_print_json(const struct stress *s, const struct stress_args *a);
static void stress_print_plain(const struct stress *s, const struct stress_args *a);

int do_stress(int argc, char **argv)
{
	static const struct option opts[] = {
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
	static const struct cmd_spec spec = {
		.name = "stress", .longopts = opts, .usage = usage,
		.opt = stress_opt,
	};
	struct stress_args a = {
		.batch = 40ULL << 20, .total = 360ULL << 20, .cycles = 10,
		.seed = 1, .ratio = 0.3,
	};
	struct stress s = {
		.mobility = FRAGALLOC_UNMOVABLE, .policy = FRAGALLOC_POLICY_COMPACT,
		.args = &a,
	};
	uint64_t psz;
	int ret;

	ret = cmd_getopt(&spec, argc, argv, &s, &s.h);
	if (ret != CMD_RUN)
		return ret;
	psz = fragalloc_page_size(s.h);
	s.batch_pages = size_to_pages(a.batch, a.batch_is_pages, psz);
	s.total_pages = size_to_pages(a.total, a.total_is_pages, psz);
	if (s.batch_pages > s.total_pages) {
		fragalloc_close(s.h);
		return usage_err("stress: --batch larger than --total");
	}
	s.rng.state = a.seed;
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	ret = stress_unload(&s, stress_load(&s, &a, psz));
	if (json_output)
		stress_print_json(&s, &a);
	else
		stress_print_plain(&s, &a);
	fragalloc_frag_free(s.before);
	fragalloc_frag_free(s.after);
	fragalloc_frag_free(s.after_rc);
	fragalloc_frag_free(s.after_free);
	free(s.b);
	fragalloc_close(s.h);
	return ret;
}

/* Load, cycle, recompact, hold: the run up to the final free. */
static int stress_load(struct stress *s, const struct stress_args *a,
		       uint64_t psz)
{
	int tty = isatty(STDERR_FILENO);
	int ret;

	s->before = snapshot();
	ret = fill(s);
	if (ret) {
		p_fa_err(ret, 0, "initial allocation stopped at %" PRIu64 " of %" PRIu64
			 " pages", s->held, s->total_pages);
		return EXIT_ERR;
	}
	if (!json_output)
		p_info("loaded: %zu batches, %" PRIu64 " pages\n", s->nr, s->held);
	for (s->done = 0; s->done < a->cycles && !stop_requested; s->done++) {
		ret = cycle(s, a->ratio);
		if (ret) {
			p_fa_err(ret, 0, "cycle %" PRIu64, s->done + 1);
			return EXIT_ERR;
		}
		progress(tty, s->done + 1, a->cycles, s, psz);
	}
	if (tty && s->done < a->cycles && !json_output)
		fputc('\n', stderr);
	s->after = snapshot();
	ret = EXIT_OK;
	if (a->do_rc) {
		s->rc_ret = fragalloc_recompact(s->h, FRAGALLOC_SCOPE_FD, 0, 0, 0,
						&s->rc);
		if (s->rc_ret) {
			p_fa_err(s->rc_ret, 0, "recompaction");
			ret = EXIT_ERR;
		}
		s->after_rc = snapshot();
	}
	s->have_stats = !fragalloc_stats(s->h, &s->st);
	if (a->keep && !stop_requested) {
		if (!json_output)
			p_info("holding %" PRIu64 " pages; send SIGINT/SIGTERM to free and exit\n",
			       s->held);
		while (!stop_requested)
			pause();
	}
	return ret;
}

/* Free what is held; the exit code, EXIT_ERR if a free failed. */
static int stress_unload(struct stress *s, int exit_code)
{
	while (s->nr) {
		int ret = free_index(s, s->nr - 1);

		if (ret) {
			p_fa_err(ret, 0, "free");
			exit_code = EXIT_ERR;
			break;
		}
	}
	s->after_free = snapshot();
	clock_gettime(CLOCK_MONOTONIC, &s->t1);
	return exit_code;
}

static void stress_pool_json(const struct stress *s)
{
	const struct fragalloc_stats *st = &s->st;

	jw_key(&jw, "pool");
	jw_obj_start(&jw);
	jw_ku64(&jw, "blocks", st->out_blocks[s->mobility]);
	jw_ku64(&jw, "pages_used", st->out_pages_used[s->mobility]);
	jw_ku64(&jw, "pages_free", st->out_pages_free[s->mobility]);
	jw_ku64(&jw, "loose_pages", st->out_loose_pages[s->mobility]);
	jw_ku64(&jw, "fallbacks", st->out_fallbacks);
	jw_ku64(&jw, "other_pages", st->out_other_pages);
	jw_obj_end(&jw);
}

static const char *const param_keys[] = {
	"batch_pages", "total_pages", "cycles", "seed",
};
static const char *const counter_keys[] = {
	"cycles_done", "allocs", "alloc_failures", "frees", "range_frees",
	"pages_punched",
};

static void stress_print_json(const struct stress *s, const struct stress_args *a)
{
	const uint64_t params[ARRAY_SIZE(param_keys)] = {
		s->batch_pages, s->total_pages, a->cycles, a->seed,
	};
	const uint64_t counters[ARRAY_SIZE(counter_keys)] = {
		s->done, s->allocs, s->alloc_fail, s->frees, s->range_frees,
		s->pages_punched,
	};

	jw_obj_start(&jw);
	jw_key(&jw, "params");
	jw_obj_start(&jw);
	jw_ku64_list(&jw, param_keys, params, ARRAY_SIZE(params));
	jw_kdbl(&jw, "free_ratio", a->ratio);
	jw_kstr(&jw, "class", fragalloc_mobility_name((unsigned int)s->mobility));
	jw_kstr(&jw, "policy", fragalloc_policy_name((unsigned int)s->policy));
	jw_obj_end(&jw);
	jw_ku64_list(&jw, counter_keys, counters, ARRAY_SIZE(counters));
	jw_kdbl(&jw, "elapsed_s", (double)(s->t1.tv_sec - s->t0.tv_sec) +
		(double)(s->t1.tv_nsec - s->t0.tv_nsec) / 1e9);
	if (s->have_stats)
		stress_pool_json(s);
	if (a->do_rc && !s->rc_ret) {
		jw_key(&jw, "recompact");
		jw_obj_start(&jw);
		jw_ku64(&jw, "pages_moved", s->rc.out_pages_moved);
		recompact_blocks_json(&s->rc);
		jw_obj_end(&jw);
	}
	jw_key(&jw, "reports");
	jw_obj_start(&jw);
	report("before", s->before);
	report("after", s->after);
	report("after_recompact", s->after_rc);
	report("after_free", s->after_free);
	jw_obj_end(&jw);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static void stress_print_plain(const struct stress *s, const struct stress_args *a)
{
	const char *class = fragalloc_mobility_name((unsigned int)s->mobility);

	printf("stress: %" PRIu64 "/%" PRIu64 " cycles, seed %" PRIu64
	       ", %s/%s: %" PRIu64 " allocs (%" PRIu64 " failed), %" PRIu64
	       " frees, %" PRIu64 " range frees (%" PRIu64 " pages)\n",
	       s->done, a->cycles, a->seed, class,
	       fragalloc_policy_name((unsigned int)s->policy), s->allocs,
	       s->alloc_fail, s->frees, s->range_frees, s->pages_punched);
	if (s->alloc_fail)
		printf("  last allocation error: %s\n",
		       fragalloc_strerror(s->last_err));
	if (s->have_stats)
		printf("pool (%s): %" PRIu64 " pageblocks, %" PRIu64
		       " pages used, %" PRIu64 " free in owned blocks, %" PRIu64
		       " loose\n", class,
		       (uint64_t)s->st.out_blocks[s->mobility],
		       (uint64_t)s->st.out_pages_used[s->mobility],
		       (uint64_t)s->st.out_pages_free[s->mobility],
		       (uint64_t)s->st.out_loose_pages[s->mobility]);
	if (a->do_rc && !s->rc_ret)
		printf("recompact: moved %" PRIu64 " pages, pageblocks %" PRIu64
		       " -> %" PRIu64 "\n", (uint64_t)s->rc.out_pages_moved,
		       (uint64_t)s->rc.out_blocks_before,
		       (uint64_t)s->rc.out_blocks_after);
	report("before", s->before);
	report("after (memory held)", s->after);
	report("after recompact", s->after_rc);
	report("after free", s->after_free);
}
