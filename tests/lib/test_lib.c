// SPDX-License-Identifier: MIT
/*
 * Host unit tests of libfragalloc: /proc parser, the kernel's fragmentation
 * formulas, error strings, name parsing and the E2BIG retry of the ioctl
 * layer (through the internal ioctl hook). Prints TAP lines "ok N - name";
 * the runner (run.sh) prints the plan and the tally.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"

static int read_sample(const char *base, struct fragalloc_frag_report **r)
{
	char b[256], p[256];

	snprintf(b, sizeof(b), "%s/%s.buddyinfo", datadir, base);
	snprintf(p, sizeof(p), "%s/%s.pagetypeinfo", datadir, base);
	return fragalloc_frag_read(b, p, r);
}

/*
 * A test on the sample BASE (BASE.buddyinfo, BASE.pagetypeinfo): begins the
 * test, reads the sample into *R (its failure is the test's first failed
 * check) and returns fragalloc_frag_read()'s result; end_sample() frees the
 * report and reports the test as NAME.
 */
static int begin_sample(const char *base, struct fragalloc_frag_report **r)
{
	int ret;

	*r = NULL;
	BEGIN();
	ret = read_sample(base, r);
	CHECK(ret == 0);
	return ret;
}

static void end_sample(struct fragalloc_frag_report *r, const char *name)
{
	fragalloc_frag_free(r);
	END("%s", name);
}

static const struct fragalloc_frag_zone *zone(const struct fragalloc_frag_report *r,
					      int node, const char *name)
{
	for (unsigned int i = 0; i < r->nr_zones; i++)
		if (r->zones[i].node == node && !strcmp(r->zones[i].name, name))
			return &r->zones[i];
	return NULL;
}

/* Sum over types equals buddyinfo when nothing is capped and reads agree. */
static int types_sum_ok(const struct fragalloc_frag_report *r,
			const struct fragalloc_frag_zone *z)
{
	for (unsigned int o = 0; o < z->nr_orders; o++) {
		uint64_t s = 0;

		for (unsigned int t = 0; t < r->nr_types; t++)
			s += z->type_free[t][o];
		if (s != z->free_blocks[o])
			return 0;
	}
	return 1;
}

static void test_debian(const char *base, const char *label, uint64_t dma32_movable_blocks,
			uint64_t dma32_free10)
{
	struct fragalloc_frag_report *r;
	const struct fragalloc_frag_zone *z;
	char name[128];

	if (!begin_sample(base, &r)) {
		CHECK(r->nr_zones == 2);
		CHECK(r->max_orders == 11);
		CHECK(r->has_pagetypeinfo == 1);
		CHECK(r->pageblock_order == 9);
		CHECK(r->pages_per_block == 512);
		CHECK(r->nr_types == 5);
		CHECK(!strcmp(r->type_names[0], "Unmovable"));
		CHECK(!strcmp(r->type_names[3], "HighAtomic"));
		CHECK(!strcmp(r->type_names[4], "Isolate"));
		CHECK(fragalloc_frag_type_index(r, "CMA") == -ENOENT);
		z = zone(r, 0, "DMA32");
		CHECK(z != NULL);
		if (z) {
			CHECK(z->nr_orders == 11);
			CHECK(z->free_blocks[10] == dma32_free10);
			CHECK(z->type_blocks[fragalloc_frag_type_index(r, "Movable")] ==
			      dma32_movable_blocks);
			CHECK(z->has_types && z->has_blocks);
			CHECK(types_sum_ok(r, z));
			CHECK(z->unusable_index[0] == 0);
			CHECK(z->extfrag_index[10] == FRAGALLOC_FRAG_INDEX_SUCCEEDS);
		}
		z = zone(r, 0, "DMA");
		CHECK(z && z->free_pages == 1ULL * 32 + 64 + 128 + 512 + 3 * 1024);
		CHECK(z && types_sum_ok(r, z));
	}
	snprintf(name, sizeof(name), "parse %s (real sample)", label);
	end_sample(r, name);
}

static void test_numa(void)
{
	struct fragalloc_frag_report *r;
	const struct fragalloc_frag_zone *z;

	if (!begin_sample("debian-6.12-numa", &r)) {
		CHECK(r->nr_zones == 3);
		CHECK(r->nr_types == 5);
		z = zone(r, 1, "Normal");
		CHECK(z != NULL);
		if (z) {
			CHECK(z->free_blocks[10] == 747);
			CHECK(z->type_blocks[1] == 1498);
			CHECK(z->type_free[1][10] == 747);
			CHECK(types_sum_ok(r, z));
		}
		z = zone(r, 0, "DMA32");
		CHECK(z && z->type_blocks[0] == 94 && types_sum_ok(r, z));
	}
	end_sample(r, "parse Debian 6.12 two-node sample (per-node pagetypeinfo sections)");
}

static void test_host(void)
{
	struct fragalloc_frag_report *r;

	if (!begin_sample("host-6.18", &r)) {
		CHECK(r->nr_zones == 3);
		CHECK(zone(r, 0, "Normal") != NULL);
		CHECK(r->nr_types == 5);
	}
	end_sample(r, "parse host 6.18 sample");
}

/* Compare with the kernel's debugfs figures for the same buddyinfo. */
static void test_oracle(const char *file, int extfrag)
{
	struct fragalloc_frag_report *r;
	char *text, *line, *save = NULL, name[128];
	size_t len;
	int ret, lines = 0;

	ret = begin_sample("host-6.18", &r);
	text = slurp(file, &len);
	for (line = strtok_r(text, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		char zname[32], *p;
		int node, n;
		const struct fragalloc_frag_zone *z;

		if (sscanf(line, "Node %d, zone %31s %n", &node, zname, &n) != 2) {
			CHECK(!"oracle line");
			break;
		}
		z = zone(r, node, zname);
		CHECK(z != NULL);
		if (!z)
			break;
		p = line + n;
		for (unsigned int o = 0; o < z->nr_orders; o++) {
			int v = extfrag ? z->extfrag_index[o] : z->unusable_index[o];
			char mine[32], *tok = strtok_r(o ? NULL : p, " ", &p);

			(void)tok;
			/* the kernel prints "%d.%03d" of index / 1000, index % 1000 */
			snprintf(mine, sizeof(mine), "%d.%03d", v / 1000, v % 1000);
			CHECK(tok && !strcmp(tok, mine));
		}
		lines++;
	}
	CHECK(lines == 3);
	free(text);
	snprintf(name, sizeof(name), "%s index equals the kernel's debugfs output",
		 extfrag ? "fragmentation" : "unusable free space");
	end_sample(r, name);
}

static void test_rfc(void)
{
	struct fragalloc_frag_report *r;
	const struct fragalloc_frag_zone *z;

	if (!begin_sample("rfc2015-3.16", &r)) {
		CHECK(r->nr_zones == 1);
		CHECK(r->nr_types == 6);
		CHECK(fragalloc_frag_type_index(r, "Reserve") == 3);
		CHECK(fragalloc_frag_type_index(r, "CMA") == 4);
		z = &r->zones[0];
		CHECK(z->type_blocks[0] == 135);	/* Unmovable */
		CHECK(z->type_blocks[1] == 3);		/* Reclaimable */
		CHECK(z->type_blocks[2] == 124);	/* Movable */
		CHECK(z->type_blocks[3] == 2);		/* Reserve */
		CHECK(z->type_free[0][0] == 3864);
		CHECK(z->free_blocks[0] == 9880);
		CHECK(fragalloc_frag_free_blocks_ge(z, 3) == 332 + 177 + 64 + 24 + 10 + 1 + 1 + 1);
	}
	end_sample(r, "parse reconstructed 3.16 tables (Reserve/CMA/Isolate columns)");
}

static void test_synthetic(void)
{
	static const int unusable[11] = { 0, 531, 957, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000 };
	static const int extfrag[11] = { -1000, -1000, -1000, 835, 918, 959, 980, 990, 995, 998, 999 };
	struct fragalloc_frag_report *r;
	const struct fragalloc_frag_zone *z;

	if (!begin_sample("synthetic-frag", &r)) {
		CHECK(r->nr_zones == 3);
		CHECK(r->nr_types == 6);
		z = zone(r, 0, "Normal");
		CHECK(z != NULL);
		if (z) {
			CHECK(z->free_pages == 9400);
			CHECK(z->free_blocks_total == 7100);
			for (int o = 0; o < 11; o++) {
				CHECK(z->unusable_index[o] == unusable[o]);
				CHECK(z->extfrag_index[o] == extfrag[o]);
			}
			CHECK(z->type_free[0][0] == 100000);
			CHECK(z->type_free_capped[0] == 1);
			CHECK(z->type_free_capped[1] == 0);
			CHECK(fragalloc_frag_free_blocks_ge(z, 0) == 7100);
			CHECK(fragalloc_frag_free_blocks_ge(z, 2) == 100);
			CHECK(fragalloc_frag_free_blocks_ge(z, 3) == 0);
			CHECK(fragalloc_frag_free_pages_ge(z, 1) == 4400);
			CHECK(fragalloc_frag_free_blocks_ge(z, 40) == 0);
		}
		/* empty zone: all unusable, extfrag 0 (no free blocks) */
		z = zone(r, 0, "DMA");
		CHECK(z && z->unusable_index[5] == 1000 && z->extfrag_index[5] == 0);
		/* one free page: the kernel's formula gives -500 at order 1 */
		z = zone(r, 1, "Normal");
		CHECK(z && z->extfrag_index[1] == -500 && z->extfrag_index[0] == -1000);
	}
	end_sample(r, "synthetic fragmented zone: exact kernel indices, capped counts, blocks >= order");
}

static void test_formulas(void)
{
	uint64_t fb[3] = { 1, 1, 0 };

	BEGIN();
	CHECK(fragalloc_frag_unusable_index(fb, 3, 1) == 333);
	CHECK(fragalloc_frag_unusable_index(fb, 3, 2) == 1000);
	CHECK(fragalloc_frag_extfrag_index(fb, 3, 1) == -1000);
	CHECK(fragalloc_frag_extfrag_index(fb, 3, 2) == 125);
	CHECK(fragalloc_frag_extfrag_index(fb, 3, 3) == 0);	/* beyond orders */
	CHECK(fragalloc_frag_unusable_index(NULL, 3, 1) == -EINVAL);
	END("index formulas on hand-computed values");
}

/* ---------------------------------------------------------------------- */

static int parse_str(const char *bi, const char *pti)
{
	struct fragalloc_frag_report *r = NULL;
	int ret = fragalloc_frag_parse(bi, strlen(bi), pti, pti ? strlen(pti) : 0, &r);

	if (!ret && !r)
		return -1000;
	fragalloc_frag_free(r);
	return ret;
}

#define BI_OK "Node 0, zone   Normal      1      2      3 \n"
#define PTI_HDR "Page block order: 9\nPages per block:  512\n\n" \
	"Free pages count per migrate type at order       0      1      2 \n"
#define PTI_FREE "Node    0, zone   Normal, type    Unmovable      1      2      3 \n"
#define PTI_BLK "\nNumber of blocks type     Unmovable \nNode 0, zone   Normal            5 \n"

static void test_malformed(void)
{
	static const struct {
		const char *name, *bi, *pti;
		int want;
	} cases[] = {
		{ "baseline", BI_OK, PTI_HDR PTI_FREE PTI_BLK, 0 },
		{ "baseline without pagetypeinfo", BI_OK, NULL, 0 },
		{ "empty buddyinfo", "", NULL, -EBADMSG },
		{ "blank buddyinfo", "\n\n", NULL, -EBADMSG },
		{ "no trailing newline", "Node 0, zone   Normal      1      2      3", NULL, -EBADMSG },
		{ "garbage", "hello world\n", NULL, -EBADMSG },
		{ "no counts", "Node 0, zone Normal\n", NULL, -EBADMSG },
		{ "non-numeric count", "Node 0, zone Normal 1 x 3\n", NULL, -EBADMSG },
		{ "negative count", "Node 0, zone Normal 1 -2 3\n", NULL, -EBADMSG },
		{ "capped count in buddyinfo", "Node 0, zone Normal 1 >2 3\n", NULL, -EBADMSG },
		{ "overflowing count", "Node 0, zone Normal 1 99999999999999999999999 3\n", NULL, -EBADMSG },
		{ "missing comma", "Node 0 zone Normal 1 2 3\n", NULL, -EBADMSG },
		{ "bad node", "Node x, zone Normal 1 2 3\n", NULL, -EBADMSG },
		{ "missing zone keyword", "Node 0, Normal 1 2 3\n", NULL, -EBADMSG },
		{ "long zone name", "Node 0, zone AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1\n", NULL, -EBADMSG },
		{ "column count differs", "Node 0, zone DMA 1 2 3\nNode 0, zone Normal 1 2\n", NULL, -EBADMSG },
		{ "duplicate zone", BI_OK BI_OK, NULL, -EBADMSG },
		{ "too many orders",
		  "Node 0, zone N 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		  NULL, -ERANGE },
		{ "empty pagetypeinfo", BI_OK, "", -EBADMSG },
		{ "pagetypeinfo without blocks section", BI_OK, PTI_HDR PTI_FREE, -EBADMSG },
		{ "pagetypeinfo without free rows", BI_OK, PTI_HDR PTI_BLK, -EBADMSG },
		{ "pagetypeinfo rows before header", BI_OK, PTI_FREE PTI_HDR PTI_FREE PTI_BLK, -EBADMSG },
		{ "pagetypeinfo unknown line", BI_OK, PTI_HDR PTI_FREE "what is this\n" PTI_BLK, -EBADMSG },
		{ "pagetypeinfo order header not 0..n", BI_OK,
		  "Free pages count per migrate type at order 0 2 1\n" PTI_FREE PTI_BLK, -EBADMSG },
		{ "pagetypeinfo orders differ from buddyinfo", BI_OK,
		  "Free pages count per migrate type at order 0 1\n"
		  "Node 0, zone Normal, type Unmovable 1 2\n" PTI_BLK, -EBADMSG },
		{ "pagetypeinfo short row", BI_OK,
		  PTI_HDR "Node 0, zone Normal, type Unmovable 1 2\n" PTI_BLK, -EBADMSG },
		{ "pagetypeinfo missing type keyword", BI_OK,
		  PTI_HDR "Node 0, zone Normal, Unmovable 1 2 3\n" PTI_BLK, -EBADMSG },
		{ "pagetypeinfo zone without comma", BI_OK,
		  PTI_HDR "Node 0, zone Normal type Unmovable 1 2 3\n" PTI_BLK, -EBADMSG },
		{ "pagetypeinfo block row too short", BI_OK,
		  PTI_HDR PTI_FREE "Number of blocks type Unmovable Movable\nNode 0, zone Normal 5\n",
		  -EBADMSG },
		{ "pagetypeinfo bad pageblock order", BI_OK, "Page block order: x\n", -EBADMSG },
		{ "pagetypeinfo truncated last line", BI_OK,
		  PTI_HDR PTI_FREE "\nNumber of blocks type     Unmovable \nNode 0, zone   Normal    5",
		  -EBADMSG },
		{ "pagetypeinfo too many types", BI_OK,
		  PTI_HDR PTI_FREE "Number of blocks type a b c d e f g h i j k l m n\n", -ERANGE },
		{ "pagetypeinfo mixed section ignored", BI_OK,
		  PTI_HDR PTI_FREE PTI_BLK "\nNumber of mixed blocks     Unmovable \n"
		  "Node 0, zone   Normal            0 \n", 0 },
		{ "pagetypeinfo foreign zone ignored", BI_OK,
		  PTI_HDR PTI_FREE "Node    0, zone      DMA, type    Unmovable      1      2      3 \n" PTI_BLK, 0 },
	};

	{
		static const char nul[] = "Node 0, zone Normal 1 2 3\n\0\n";
		struct fragalloc_frag_report *r = NULL;
		int ret = fragalloc_frag_parse(nul, sizeof(nul) - 1, NULL, 0, &r);

		report(ret == -EBADMSG && !r, "malformed input: NUL byte -> %s", strerror(EBADMSG));
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = parse_str(cases[i].bi, cases[i].pti);

		if (ret != cases[i].want)
			printf("# got %d (%s), want %d\n", ret, strerror(-ret), cases[i].want);
		report(ret == cases[i].want, "malformed input: %s -> %s", cases[i].name,
		       cases[i].want ? strerror(-cases[i].want) : "ok");
	}
}

/* Every strict prefix of a real pagetypeinfo must be rejected; no crash. */
static void test_truncation_sweep(const char *base)
{
	char bn[128], pn[128], name[160];
	size_t blen, plen, bad = 0, bi_ok = 0;
	char *bi, *pti;

	BEGIN();
	snprintf(bn, sizeof(bn), "%s.buddyinfo", base);
	snprintf(pn, sizeof(pn), "%s.pagetypeinfo", base);
	bi = slurp(bn, &blen);
	pti = slurp(pn, &plen);
	for (size_t n = 0; n < plen; n++) {
		struct fragalloc_frag_report *r = NULL;
		/* exact-size heap copy so ASan sees any overread */
		char *cut = malloc(n ? n : 1);
		int ret;

		memcpy(cut, pti, n);
		ret = fragalloc_frag_parse(bi, blen, cut, n, &r);
		if (ret == 0 || (ret != -EBADMSG && ret != -ERANGE))
			bad++;
		fragalloc_frag_free(r);
		free(cut);
	}
	for (size_t n = 0; n <= blen; n++) {
		struct fragalloc_frag_report *r = NULL;
		char *cut = malloc(n ? n : 1);
		int ret;

		memcpy(cut, bi, n);
		ret = fragalloc_frag_parse(cut, n, NULL, 0, &r);
		if (ret == 0)
			bi_ok++;
		else if (ret != -EBADMSG)
			bad++;
		fragalloc_frag_free(r);
		free(cut);
	}
	CHECK(bad == 0);
	CHECK(bi_ok >= 1);	/* whole-line prefixes of buddyinfo are valid */
	free(bi);
	free(pti);
	snprintf(name, sizeof(name), "truncation sweep of %s: every cut rejected with -EBADMSG", base);
	END("%s", name);
}

static uint64_t fuzz_state = 42;
static uint64_t fuzz_rnd(void)
{
	uint64_t z = (fuzz_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void test_fuzz(void)
{
	static const char alphabet[] = "0123456789 ,\n>:-xNodezonetype\t";
	size_t blen, plen;
	char *bi = slurp("synthetic-frag.buddyinfo", &blen);
	char *pti = slurp("synthetic-frag.pagetypeinfo", &plen);
	int bad = 0, ok = 0;

	BEGIN();
	for (int it = 0; it < 20000; it++) {
		struct fragalloc_frag_report *r = NULL;
		char *b = malloc(blen), *p = malloc(plen);
		int nmut = 1 + (int)(fuzz_rnd() % 4), ret;

		memcpy(b, bi, blen);
		memcpy(p, pti, plen);
		for (int k = 0; k < nmut; k++) {
			char c = alphabet[fuzz_rnd() % (sizeof(alphabet) - 1)];

			if (fuzz_rnd() & 1)
				b[fuzz_rnd() % blen] = c;
			else
				p[fuzz_rnd() % plen] = c;
		}
		ret = fragalloc_frag_parse(b, blen, p, plen, &r);
		if (ret == 0) {
			ok++;
			if (!r || !r->nr_zones)
				bad++;
		} else if (ret != -EBADMSG && ret != -ERANGE) {
			bad++;
		}
		fragalloc_frag_free(r);
		free(b);
		free(p);
	}
	printf("# fuzz: %d of 20000 mutants still parsed\n", ok);
	CHECK(bad == 0);
	free(bi);
	free(pti);
	END("fuzz: 20000 mutated inputs give 0, -EBADMSG or -ERANGE");
}

static void test_read_paths(void)
{
	struct fragalloc_frag_report *r = NULL;
	char b[256];

	BEGIN();
	CHECK(fragalloc_frag_read("/nonexistent/buddyinfo", "", &r) == -ENOENT);
	CHECK(r == NULL);
	snprintf(b, sizeof(b), "%s/debian-6.12.buddyinfo", datadir);
	CHECK(fragalloc_frag_read(b, "/nonexistent/pagetypeinfo", &r) == 0);
	CHECK(r && !r->has_pagetypeinfo && r->pagetypeinfo_error == -ENOENT);
	CHECK(r && r->nr_types == 0 && r->pageblock_order == -1);
	fragalloc_frag_free(r);
	r = NULL;
	CHECK(fragalloc_frag_read(b, "", &r) == 0);
	CHECK(r && !r->has_pagetypeinfo);
	fragalloc_frag_free(r);
	CHECK(fragalloc_frag_read(b, "", NULL) == -EINVAL);
	fragalloc_frag_free(NULL);
	END("frag_read: missing files, skipped pagetypeinfo, NULL arguments");
}

static void test_live_proc(void)
{
	struct fragalloc_frag_report *r = NULL;
	int ret;

	BEGIN();
	ret = fragalloc_frag_read(NULL, NULL, &r);
	CHECK(ret == 0);
	CHECK(r && r->nr_zones > 0 && r->max_orders >= 10);
	if (r && geteuid() == 0)
		CHECK(r->has_pagetypeinfo);
	end_sample(r, "frag_read of this host's /proc");
}

/* ---------------------------------------------------------------------- */

static void test_strerror(void)
{
	static const struct {
		int err;
		const char *needle;
	} cases[] = {
		{ ENOENT, "unknown batch handle" },
		{ EDQUOT, "RLIMIT_MEMLOCK" },
		{ ENOSPC, "max_fd_pages" },
		{ E2BIG, "older than the library" },
		{ ENOTTY, "not a fragalloc device" },
		{ EOPNOTSUPP, "does not support" },
		{ EPERM, "CAP_SYS_ADMIN" },
		{ EBADMSG, "buddyinfo" },
		{ ENODEV, "not loaded" },
		{ EACCES, "/dev/fragalloc" },
	};

	BEGIN();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *a = fragalloc_strerror(cases[i].err);
		const char *b = fragalloc_strerror(-cases[i].err);

		CHECK(a && a == b);
		if (a && !strstr(a, cases[i].needle)) {
			printf("# strerror(%d) = '%s'\n", cases[i].err, a);
			CHECK(!"needle");
		}
	}
	CHECK(!strcmp(fragalloc_strerror(-EIO), strerror(EIO)));
	CHECK(fragalloc_strerror(0) != NULL);
	CHECK(fragalloc_strerror(123456) != NULL);
	CHECK(strstr(fragalloc_open_strerror(-ENOENT), "not loaded"));
	CHECK(strstr(fragalloc_open_strerror(-ENODEV), "not loaded"));
	CHECK(strstr(fragalloc_hint(-ENOENT, 1), "modprobe fragalloc"));
	CHECK(strstr(fragalloc_hint(-EACCES, 1), "group"));
	CHECK(strstr(fragalloc_hint(-EDQUOT, 0), "ulimit -l"));
	CHECK(strstr(fragalloc_hint(-EDQUOT, 0), "CAP_IPC_LOCK"));
	CHECK(strstr(fragalloc_hint(-ENOSPC, 0), "max_total_pages"));
	CHECK(strstr(fragalloc_hint(-E2BIG, 0), "version"));
	CHECK(strstr(fragalloc_hint(-ENOTTY, 1), "version"));
	CHECK(fragalloc_hint(-EIO, 0) == NULL);
	END("strerror/open_strerror/hint explain fragalloc errnos");
}

static void test_names(void)
{
	BEGIN();
	CHECK(fragalloc_mobility_parse("unmovable") == FRAGALLOC_UNMOVABLE);
	CHECK(fragalloc_mobility_parse("Movable") == FRAGALLOC_MOVABLE);
	CHECK(fragalloc_mobility_parse("recl") == FRAGALLOC_RECLAIMABLE);
	CHECK(fragalloc_mobility_parse("m") == FRAGALLOC_MOVABLE);
	CHECK(fragalloc_mobility_parse("x") == -EINVAL);
	CHECK(fragalloc_mobility_parse("") == -EINVAL);
	CHECK(fragalloc_mobility_parse(NULL) == -EINVAL);
	CHECK(fragalloc_policy_parse("highorder") == FRAGALLOC_POLICY_HIGHORDER);
	CHECK(fragalloc_policy_parse("b") == FRAGALLOC_POLICY_BULK);
	CHECK(fragalloc_policy_parse("movable") == FRAGALLOC_POLICY_MOVABLE);
	CHECK(!strcmp(fragalloc_policy_name(FRAGALLOC_POLICY_MOVABLE), "movable"));
	CHECK(fragalloc_policy_parse("compactx") == -EINVAL);
	CHECK(fragalloc_scope_parse("pool") == FRAGALLOC_SCOPE_POOL);
	CHECK(fragalloc_scope_parse("fd") == FRAGALLOC_SCOPE_FD);
	CHECK(!strcmp(fragalloc_policy_name(FRAGALLOC_POLICY_PLAIN), "plain"));
	CHECK(fragalloc_policy_name(FRAGALLOC_NR_POLICIES) == NULL);
	CHECK(fragalloc_mobility_name(99) == NULL);
	CHECK(fragalloc_scope_name(FRAGALLOC_NR_SCOPES) == NULL);
	CHECK(!strcmp(fragalloc_version(), FA_TEST_VERSION));	/* top Makefile */
	END("mobility/policy/scope names and prefix parsing");
}

/* ---------------------------------------------------------------------- */
/* Fake kernel for the ioctl layer. */

static struct {
	int calls;
	uint32_t sizes[4];
	size_t ksize;		/* the fake kernel's struct size */
	int fail_errno;		/* if set, fail every call with it */
} fk;

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	uint32_t size = *(uint32_t *)arg;
	unsigned char *p = arg;

	(void)fd;
	if (fk.calls < 4)
		fk.sizes[fk.calls] = size;
	fk.calls++;
	if (fk.fail_errno) {
		errno = fk.fail_errno;
		return -1;
	}
	/* copy_struct_from_user(): a longer struct needs a zero tail... */
	for (size_t i = fk.ksize; i < size; i++)
		if (p[i]) {
			errno = E2BIG;
			return -1;
		}
	/* ...and this (hypothetical, stricter) kernel refuses any longer one */
	if (size > fk.ksize) {
		errno = E2BIG;
		return -1;
	}
	if (req == FRAGALLOC_IOC_ALLOC) {
		struct fragalloc_alloc *a = arg;

		a->out_handle = 7;
		a->out_nr_pages = a->nr_pages;
		a->out_nr_blocks = 2;
		a->out_nr_loose = 3;
		a->out_mmap_offset = 0x10000;
	} else if (req == FRAGALLOC_IOC_INFO) {
		struct fragalloc_info *in = arg;

		in->out_abi_version = 1;
		in->out_page_size = 4096;
		in->out_pageblock_order = 9;
	} else if (req == FRAGALLOC_IOC_FREE) {
		struct fragalloc_free *f = arg;

		f->out_nr_freed = f->nr_pages;
	}
	return 0;
}

static void fk_reset(size_t ksize)
{
	memset(&fk, 0, sizeof(fk));
	fk.ksize = ksize;
}

static void test_ioctl_retry(void)
{
	struct {
		struct fragalloc_alloc a;
		uint64_t newer;		/* a field of a future ABI */
	} big;
	int ret;

	fa_ioctl_hook = fake_ioctl;

	BEGIN();
	/* same size as the kernel: one call */
	fk_reset(FRAGALLOC_ALLOC_SIZE_VER1);
	memset(&big, 0, sizeof(big));
	ret = fa_ioctl_sized(3, FRAGALLOC_IOC_ALLOC, &big.a, sizeof(big.a),
			     FRAGALLOC_ALLOC_SIZE_VER1);
	CHECK(ret == 0 && fk.calls == 1 && fk.sizes[0] == sizeof(big.a));
	/* newer library, zero tail, old kernel -> retried with the v1 size */
	fk_reset(FRAGALLOC_ALLOC_SIZE_VER1);
	memset(&big, 0, sizeof(big));
	big.a.nr_pages = 5;
	ret = fa_ioctl_sized(3, FRAGALLOC_IOC_ALLOC, &big, sizeof(big),
			     FRAGALLOC_ALLOC_SIZE_VER1);
	CHECK(ret == 0);
	CHECK(fk.calls == 2);
	CHECK(fk.sizes[0] == sizeof(big) && fk.sizes[1] == FRAGALLOC_ALLOC_SIZE_VER1);
	CHECK(big.a.out_handle == 7 && big.a.out_nr_pages == 5);
	/* newer feature asked for -> EOPNOTSUPP, no retry */
	fk_reset(FRAGALLOC_ALLOC_SIZE_VER1);
	memset(&big, 0, sizeof(big));
	big.newer = 1;
	ret = fa_ioctl_sized(3, FRAGALLOC_IOC_ALLOC, &big, sizeof(big),
			     FRAGALLOC_ALLOC_SIZE_VER1);
	CHECK(ret == -EOPNOTSUPP && fk.calls == 1);
	/* E2BIG at the v1 size is passed through */
	fk_reset(FRAGALLOC_ALLOC_SIZE_VER1);
	fk.fail_errno = E2BIG;
	ret = fa_ioctl_sized(3, FRAGALLOC_IOC_ALLOC, &big.a, FRAGALLOC_ALLOC_SIZE_VER1,
			     FRAGALLOC_ALLOC_SIZE_VER1);
	CHECK(ret == -E2BIG && fk.calls == 1);
	/* other errnos are returned negated, not retried */
	fk_reset(FRAGALLOC_ALLOC_SIZE_VER1);
	fk.fail_errno = EDQUOT;
	ret = fa_ioctl_sized(3, FRAGALLOC_IOC_ALLOC, &big, sizeof(big),
			     FRAGALLOC_ALLOC_SIZE_VER1);
	CHECK(ret == -EDQUOT && fk.calls == 1);
	END("ioctl layer: E2BIG retry with the v1 size only when the tail is zero");

	BEGIN();
	{
		struct fragalloc h = { .fd = 3, .page_size = 4096, .pageblock_order = 9 };
		struct fragalloc_batch b;
		uint64_t freed = 0;

		fk_reset(sizeof(struct fragalloc_alloc));
		ret = fragalloc_alloc(&h, 10, FRAGALLOC_MOVABLE, FRAGALLOC_POLICY_BULK,
				      FRAGALLOC_ALLOC_BEST_EFFORT, &b);
		CHECK(ret == 0);
		CHECK(b.handle == 7 && b.nr_pages == 10 && b.nr_blocks == 2 &&
		      b.nr_loose == 3 && b.mmap_offset == 0x10000);
		CHECK(b.mobility == FRAGALLOC_MOVABLE && b.policy == FRAGALLOC_POLICY_BULK);
		CHECK(fragalloc_alloc(&h, 10, 0, 0, 0, NULL) == -EINVAL);
		fk_reset(sizeof(struct fragalloc_free));
		CHECK(fragalloc_free_range(&h, 7, 2, 3, &freed) == 0 && freed == 3);
		fk_reset(sizeof(struct fragalloc_free));
		fk.fail_errno = ENOENT;
		CHECK(fragalloc_free(&h, 99) == -ENOENT);
		CHECK(fragalloc_map(&h, &b, 10, 1, (void **)&freed) == -EINVAL);
		CHECK(fragalloc_map(&h, &b, 0, 11, (void **)&freed) == -EINVAL);
	}
	END("ioctl wrappers fill the public structs and return -errno");
	fa_ioctl_hook = NULL;
}

static void test_open(void)
{
	struct fragalloc *h = (struct fragalloc *)1;

	BEGIN();
	CHECK(fragalloc_open("/nonexistent/fragalloc", &h) == -ENOENT && h == NULL);
	CHECK(fragalloc_open("/dev/null", &h) == -ENOTTY && h == NULL);
	CHECK(fragalloc_open(NULL, NULL) == -EINVAL);
	CHECK(fragalloc_fd(NULL) == -EINVAL);
	fragalloc_close(NULL);
	END("open: missing node -> ENOENT, not a fragalloc device -> ENOTTY");
}

/*
 * Pageblock classes of tests/lib/data/synthetic-blocks.* (order 4). The
 * expected figures are the independent reader's (tests/lib/kpf_oracle.py).
 */
static void blocks_opts(struct fragalloc_blocks_opts *o, char paths[4][512],
			int with_pool)
{
	memset(o, 0, sizeof(*o));
	snprintf(paths[0], 512, "%s/synthetic-blocks.kpageflags", datadir);
	snprintf(paths[1], 512, "%s/synthetic-blocks.zoneinfo", datadir);
	snprintf(paths[2], 512, "%s/synthetic-blocks.pool", datadir);
	o->kpageflags_path = paths[0];
	o->zoneinfo_path = paths[1];
	o->pool_path = with_pool ? paths[2] : "";
	o->buddyinfo_path = "";
	o->pageblock_order = 4;
}

static void test_blocks(void)
{
	static const uint64_t own[] = { 160, 161, 162, 163, 164, 165, 166, 167,
		168, 169, 170, 171, 172, 173, 174, 175, 192, 193, 194, 195, 224,
		225, 0, FRAGALLOC_PFN_HOLE, 224 };
	struct fragalloc_blocks_report *r = NULL;
	struct fragalloc_blocks_opts o;
	char paths[4][512];
	int ret;

	BEGIN();
	blocks_opts(&o, paths, 1);
	o.own_pfns = own;
	o.nr_own_pfns = sizeof(own) / sizeof(own[0]);
	ret = fragalloc_blocks_read(&o, &r);
	CHECK(ret == 0);
	if (!ret) {
		CHECK(r->pageblock_order == 4 && r->pages_per_block == 16);
		CHECK(r->nr_pfns == 505 && r->nr_blocks == 32);
		CHECK(r->blocks[FRAGALLOC_BLOCK_ABSENT] == 1);
		CHECK(r->blocks[FRAGALLOC_BLOCK_FREE] == 12);
		CHECK(r->blocks[FRAGALLOC_BLOCK_MOVABLE] == 8);
		CHECK(r->blocks[FRAGALLOC_BLOCK_POLLUTED] == 11);
		CHECK(r->memory_blocks == 31 && r->polluted_share == 354);
		CHECK(r->map_blocks[FRAGALLOC_BLOCK_POLLUTED] == 7);
		CHECK(r->map_blocks[FRAGALLOC_BLOCK_POOL] == 2);
		CHECK(r->map_blocks[FRAGALLOC_BLOCK_LOOSE] == 2);
		CHECK(r->pages_free == 276 && r->pages_lru == 104 && r->pages_other == 53);
		CHECK(r->own_pages == 22 && r->own_pages_found == 22);
		CHECK(r->own_blocks == 3 && r->polluted_own == 3);
		CHECK(r->polluted_own_only == 2);
		CHECK(r->has_pool && r->pool_owned == 2 && r->pool_loose == 1);
		CHECK(r->has_zoneinfo && r->nr_zones == 3);
		CHECK(!r->has_buddyinfo && !r->has_pagetypeinfo);
		if (r->nr_zones == 3) {
			CHECK(!strcmp(r->zones[2].name, "Normal"));
			CHECK(r->zones[2].start_pfn == 128 && r->zones[2].end_pfn == 512);
			CHECK(r->zones[2].blocks[FRAGALLOC_BLOCK_POLLUTED] == 7);
			CHECK(r->zones[2].blocks[FRAGALLOC_BLOCK_FREE] == 11);
			CHECK(r->zones[1].blocks[FRAGALLOC_BLOCK_ABSENT] == 1);
			CHECK(r->zones[2].polluted_own == 3);
		}
		/* block 4: a THP whose tails carry no PG_lru (6.1) is movable */
		CHECK(r->block_class[4] == FRAGALLOC_BLOCK_MOVABLE);
		/* block 5: slab head, tails: polluted */
		CHECK(r->block_class[5] == FRAGALLOC_BLOCK_POLLUTED);
		CHECK(r->block_class[2] == FRAGALLOC_BLOCK_ABSENT);
		CHECK(r->map[10] == FRAGALLOC_BLOCK_POOL && r->own[10] == 16);
		CHECK(r->map[20] == FRAGALLOC_BLOCK_POOL && r->own[20] == 0);
		CHECK(r->map[12] == FRAGALLOC_BLOCK_LOOSE && r->own[12] == 4);
		CHECK(r->zone[0] == 0 && r->zone[31] == 2);
	}
	fragalloc_blocks_free(r);
	END("blocks: synthetic kpageflags sample, with pool list and own PFNs");

	BEGIN();
	blocks_opts(&o, paths, 0);
	o.own_pfns = own;
	o.nr_own_pfns = sizeof(own) / sizeof(own[0]);
	r = NULL;
	ret = fragalloc_blocks_read(&o, &r);
	CHECK(ret == 0);
	if (!ret) {
		CHECK(!r->has_pool && r->pool_error == -ENOENT);
		CHECK(r->map[10] == FRAGALLOC_BLOCK_POOL);	/* own pages only */
		CHECK(r->map[12] == FRAGALLOC_BLOCK_LOOSE);	/* own + LRU */
		CHECK(r->map[14] == FRAGALLOC_BLOCK_LOOSE);	/* own + slab */
		CHECK(r->map[20] == FRAGALLOC_BLOCK_POLLUTED);
		CHECK(r->map_blocks[FRAGALLOC_BLOCK_POOL] == 1);
	}
	fragalloc_blocks_free(r);
	END("blocks: without the pool list, own-only blocks are pool blocks");

	BEGIN();
	blocks_opts(&o, paths, 0);
	o.pageblock_order = 0;
	ret = fragalloc_blocks_read(&o, &r);
	CHECK(ret == -ENODATA && r == NULL);
	blocks_opts(&o, paths, 0);
	o.kpageflags_path = "/nonexistent/kpageflags";
	CHECK(fragalloc_blocks_read(&o, &r) == -ENOENT && r == NULL);
	CHECK(fragalloc_blocks_read(&o, NULL) == -EINVAL);
	blocks_opts(&o, paths, 0);
	o.pageblock_order = 31;
	CHECK(fragalloc_blocks_read(&o, &r) == -EINVAL);
	blocks_opts(&o, paths, 0);
	o.nr_own_pfns = 3;	/* and own_pfns NULL */
	CHECK(fragalloc_blocks_read(&o, &r) == -EINVAL);
	blocks_opts(&o, paths, 0);
	o.kpageflags_path = paths[1];	/* a text file: not a multiple of 8 */
	CHECK(fragalloc_blocks_read(&o, &r) == -EBADMSG);
	blocks_opts(&o, paths, 0);
	o.zoneinfo_path = paths[2];	/* no "Node" line: malformed */
	CHECK(fragalloc_blocks_read(&o, &r) == -EBADMSG);
	blocks_opts(&o, paths, 0);
	o.kpageflags_path = "/dev/null";	/* empty */
	CHECK(fragalloc_blocks_read(&o, &r) == -EBADMSG);
	blocks_opts(&o, paths, 0);
	o.pool_path = paths[1];		/* not a pool list */
	CHECK(fragalloc_blocks_read(&o, &r) == -EBADMSG);
	blocks_opts(&o, paths, 0);
	o.zoneinfo_path = "/nonexistent";	/* optional: left out */
	r = NULL;
	CHECK(fragalloc_blocks_read(&o, &r) == 0);
	CHECK(r && !r->has_zoneinfo && r->zoneinfo_error == -ENOENT && r->nr_zones == 0);
	CHECK(r && r->zone[0] == -1 && r->blocks[FRAGALLOC_BLOCK_POLLUTED] == 11);
	fragalloc_blocks_free(r);
	fragalloc_blocks_free(NULL);
	END("blocks: errors (ENODATA, ENOENT, EINVAL, EBADMSG), optional tables");

	BEGIN();
	CHECK(!strcmp(fragalloc_block_class_name(FRAGALLOC_BLOCK_FREE), "free"));
	CHECK(!strcmp(fragalloc_block_class_name(FRAGALLOC_BLOCK_POLLUTED), "polluted"));
	CHECK(!strcmp(fragalloc_block_class_name(FRAGALLOC_BLOCK_LOOSE), "loose"));
	CHECK(fragalloc_block_class_name(FRAGALLOC_BLOCK_NR_CLASSES) == NULL);
	END("blocks: class names");
}

int main(int argc, char **argv)
{
	fa_ioctl_fn real = fa_ioctl_hook;

	if (argc > 1)
		datadir = argv[1];
	test_debian("debian-6.1", "Debian 6.1", 480, 225);
	test_debian("debian-6.12", "Debian 6.12", 461, 229);
	test_numa();
	test_host();
	test_oracle("host-6.18.unusable_index", 0);
	test_oracle("host-6.18.extfrag_index", 1);
	test_rfc();
	test_synthetic();
	test_formulas();
	test_malformed();
	test_truncation_sweep("debian-6.12-numa");
	test_truncation_sweep("rfc2015-3.16");
	test_fuzz();
	test_read_paths();
	test_live_proc();
	test_strerror();
	test_names();
	test_blocks();
	test_ioctl_retry();
	fa_ioctl_hook = real;
	test_open();
	return n_fail ? 1 : 0;
}
