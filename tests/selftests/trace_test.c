// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints (events/fragalloc/ in tracefs): a scripted sequence of
 * ioctls, then each record it must have left, field by field, against what
 * the ioctls answered.
 */
#include "ev_util.h"
#include "kselftest_harness.h"

#include <sys/mount.h>
#include <sys/stat.h>

#define TRACEFS		"/sys/kernel/tracing/"
#define TR_MAX		(16 << 20)

/* Make tracefs available; 0 or -errno. */
static int tr_mount(void)
{
	struct stat st;

	if (!stat(TRACEFS "trace", &st))
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return -errno;
	return stat(TRACEFS "trace", &st) ? -errno : 0;
}

static int tr_clear(void)
{
	int fd = open(TRACEFS "trace", O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int tr_start(void)
{
	int err = ev_write(TRACEFS "tracing_on", "0");

	err = err ?: ev_write(TRACEFS "buffer_size_kb", "4096");
	err = err ?: tr_clear();
	err = err ?: ev_write(TRACEFS "events/fragalloc/enable", "1");
	return err ?: ev_write(TRACEFS "tracing_on", "1");
}

/* Stop tracing and return the buffer's text (malloc'd), or NULL. */
static char *tr_stop(void)
{
	size_t len = 0;
	ssize_t n;
	char *buf;
	int fd;

	ev_write(TRACEFS "tracing_on", "0");
	buf = malloc(TR_MAX + 1);
	fd = open(TRACEFS "trace", O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (len < TR_MAX && (n = read(fd, buf + len, TR_MAX - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return buf;
}

/*
 * The next record of event @name after *@pos; its "key=value ..." text in
 * @args. A line reads "comm-pid [cpu] flags 12.345678: name: args".
 */
static int tr_next(char **pos, const char *name, char *args, size_t size)
{
	size_t nl = strlen(name);
	char *line, *end, *p;

	for (line = *pos; line && *line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = 0;
		if (*line == '#')
			goto next;
		for (p = strstr(line, ": "); p; p = strstr(p + 1, ": "))
			if (p > line && p[-1] >= '0' && p[-1] <= '9')
				break;
		if (p && !strncmp(p + 2, name, nl) && p[2 + nl] == ':') {
			snprintf(args, size, " %s", p + 3 + nl);
			if (end)
				end[-1] = '\n';
			*pos = end;
			return 1;
		}
next:
		if (end)
			end[-1] = '\n';
	}
	*pos = NULL;
	return 0;
}

static unsigned long long tr_num(const char *args, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(args, pat);
	return p ? strtoull(p + strlen(pat), NULL, 0) : ~0ULL;
}

/* Whether field @key of @args is @val (a symbolic field). */
static int tr_is(const char *args, const char *key, const char *val)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=%s", key, val);
	p = strstr(args, pat);
	return p && (p[strlen(pat)] == ' ' || p[strlen(pat)] == 0 ||
		     p[strlen(pat)] == '\n');
}

/* Records of @name in @buf whose field @key is @val (NULL: all). */
static int tr_count(char *buf, const char *name, const char *key,
		    const char *val)
{
	char args[512], *pos = buf;
	int n = 0;

	while (tr_next(&pos, name, args, sizeof(args)))
		if (!key || tr_is(args, key, val))
			n++;
	return n;
}

FIXTURE(tr) {
	int fd;
	struct ev_pinned pin;
	unsigned long long block_pages;
	char *buf;
};

FIXTURE_SETUP(tr)
{
	struct fragalloc_info in;
	int err;

	self->fd = -1;
	self->buf = NULL;
	memset(&self->pin, 0xff, sizeof(self->pin));
	if (geteuid())
		SKIP(return, "needs root (tracefs, module parameters)");
	err = tr_mount();
	if (err)
		SKIP(return, "no tracefs: %s", strerror(-err));
	if (access(TRACEFS "events/fragalloc/enable", W_OK))
		SKIP(return, "no events/fragalloc in tracefs");
	self->fd = open(EV_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "cannot open " EV_DEV ": %s", strerror(errno));
	ASSERT_EQ(0, ev_info(self->fd, &in));
	self->block_pages = 1ULL << in.out_pageblock_order;
	ev_pin(&self->pin, 0);
}

FIXTURE_TEARDOWN(tr)
{
	free(self->buf);
	if (self->fd < 0)
		return;
	ev_write(TRACEFS "events/fragalloc/enable", "0");
	tr_clear();
	ev_write(TRACEFS "tracing_on", "1");
	close(self->fd);
	ev_unpin(&self->pin);
}

/* The next @name record must be the batch @handle with @pages. */
static int tr_batch(char **pos, const char *name, unsigned int handle,
		    unsigned long long pages, char *args, size_t size)
{
	return tr_next(pos, name, args, size) &&
	       tr_num(args, "handle") == handle &&
	       tr_num(args, "pages") == pages;
}

/* alloc, free (range and whole), block_acquire and block_release records */
TEST_F(tr, alloc_free)
{
	struct fragalloc_stats s0, s1;
	struct fragalloc_alloc a, b;
	char args[512], *pos;
	unsigned long long owner;

	ASSERT_EQ(0, ev_stats(self->fd, &s0));
	ASSERT_EQ(0, tr_start());
	ASSERT_EQ(0, ev_alloc(self->fd, 600, FRAGALLOC_UNMOVABLE,
			      FRAGALLOC_POLICY_COMPACT, &a));
	ASSERT_EQ(0, ev_alloc(self->fd, 300, FRAGALLOC_MOVABLE,
			      FRAGALLOC_POLICY_PLAIN, &b));
	ASSERT_EQ(0, ev_free_range(self->fd, a.out_handle, 0, 100));
	ASSERT_EQ(0, ev_free(self->fd, a.out_handle));
	ASSERT_EQ(0, ev_free(self->fd, b.out_handle));
	self->buf = tr_stop();
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, ev_stats(self->fd, &s1));

	pos = self->buf;
	ASSERT_TRUE(tr_batch(&pos, "alloc", a.out_handle, 600, args,
			     sizeof(args))) TH_LOG("%s", args);
	owner = tr_num(args, "owner");
	EXPECT_NE(0, owner);
	EXPECT_EQ(a.out_nr_blocks, tr_num(args, "blocks"));
	EXPECT_EQ(a.out_nr_loose, tr_num(args, "loose"));
	EXPECT_TRUE(tr_is(args, "policy", "compact")) TH_LOG("%s", args);
	EXPECT_TRUE(tr_is(args, "class", "unmovable")) TH_LOG("%s", args);
	ASSERT_TRUE(tr_batch(&pos, "alloc", b.out_handle, 300, args,
			     sizeof(args))) TH_LOG("%s", args);
	EXPECT_EQ(owner, tr_num(args, "owner"));
	EXPECT_EQ(b.out_nr_blocks, tr_num(args, "blocks"));
	EXPECT_EQ(b.out_nr_loose, tr_num(args, "loose"));
	EXPECT_TRUE(tr_is(args, "policy", "plain")) TH_LOG("%s", args);
	EXPECT_TRUE(tr_is(args, "class", "movable")) TH_LOG("%s", args);
	EXPECT_EQ(2, tr_count(self->buf, "alloc", NULL, NULL));

	pos = self->buf;
	ASSERT_TRUE(tr_batch(&pos, "free", a.out_handle, 100, args,
			     sizeof(args))) TH_LOG("%s", args);
	EXPECT_EQ(owner, tr_num(args, "owner"));
	EXPECT_TRUE(tr_is(args, "class", "unmovable")) TH_LOG("%s", args);
	ASSERT_TRUE(tr_batch(&pos, "free", a.out_handle, 500, args,
			     sizeof(args))) TH_LOG("%s", args);
	ASSERT_TRUE(tr_batch(&pos, "free", b.out_handle, 300, args,
			     sizeof(args))) TH_LOG("%s", args);
	EXPECT_TRUE(tr_is(args, "policy", "plain")) TH_LOG("%s", args);
	EXPECT_EQ(3, tr_count(self->buf, "free", NULL, NULL));

	/* Whole pageblocks: one record each, as the pool counted them. */
	EXPECT_EQ(s1.out_blocks_acquired - s0.out_blocks_acquired,
		  tr_count(self->buf, "block_acquire", NULL, NULL));
	EXPECT_EQ(tr_count(self->buf, "block_acquire", NULL, NULL),
		  tr_count(self->buf, "block_acquire", "reason", "alloc"));
	EXPECT_EQ(s1.out_blocks_released - s0.out_blocks_released,
		  tr_count(self->buf, "block_release", NULL, NULL));
	EXPECT_EQ(tr_count(self->buf, "block_release", NULL, NULL),
		  tr_count(self->buf, "block_release", "reason", "free"));
	/* A loose fallback is a compact allocation's only. */
	pos = self->buf;
	if (a.out_nr_loose) {
		ASSERT_TRUE(tr_batch(&pos, "fallback_loose", a.out_handle, 600,
				     args, sizeof(args)));
		EXPECT_EQ(a.out_nr_loose, tr_num(args, "loose"));
	}
	EXPECT_EQ(!!a.out_nr_loose,
		  tr_count(self->buf, "fallback_loose", NULL, NULL));
}

/* Half-empty pageblocks of one fd: a dry run, the run, a capped batch run. */
TEST_F(tr, recompact)
{
	unsigned long long bp = self->block_pages;
	struct fragalloc_recompact dry, run, cap;
	struct fragalloc_alloc a[4];
	char args[512], *pos;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, ev_alloc(self->fd, bp, FRAGALLOC_MOVABLE,
				      FRAGALLOC_POLICY_COMPACT, &a[i]));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ev_free_range(self->fd, a[i].out_handle, 0,
					   bp * 3 / 4));
	ASSERT_EQ(0, tr_start());
	ASSERT_EQ(0, ev_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0,
				  FRAGALLOC_RECOMPACT_DRY_RUN, &dry));
	ASSERT_EQ(0, ev_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0, 0, &run));
	memset(&cap, 0, sizeof(cap));
	cap.size = sizeof(cap);
	cap.scope = FRAGALLOC_SCOPE_BATCH;
	cap.handle = a[3].out_handle;
	cap.max_pages = 5;
	ASSERT_EQ(0, ev_ioctl(self->fd, FRAGALLOC_IOC_RECOMPACT, &cap));
	self->buf = tr_stop();
	ASSERT_NE(NULL, self->buf);
	ASSERT_LT(0, run.out_pages_moved) TH_LOG("nothing to move: setup");

	pos = self->buf;
	ASSERT_TRUE(tr_next(&pos, "recompact_begin", args, sizeof(args)));
	EXPECT_TRUE(tr_is(args, "scope", "fd")) TH_LOG("%s", args);
	EXPECT_EQ(1, tr_num(args, "dry_run"));
	EXPECT_EQ(0, tr_num(args, "max_pages"));
	ASSERT_TRUE(tr_next(&pos, "recompact_begin", args, sizeof(args)));
	EXPECT_TRUE(tr_is(args, "scope", "fd")) TH_LOG("%s", args);
	EXPECT_EQ(0, tr_num(args, "dry_run"));
	ASSERT_TRUE(tr_next(&pos, "recompact_begin", args, sizeof(args)));
	EXPECT_TRUE(tr_is(args, "scope", "batch")) TH_LOG("%s", args);
	EXPECT_EQ(5, tr_num(args, "max_pages"));

	pos = self->buf;
	ASSERT_TRUE(tr_next(&pos, "recompact_end", args, sizeof(args)));
	EXPECT_EQ(0, tr_num(args, "err"));
	EXPECT_EQ(dry.out_pages_planned, tr_num(args, "planned"));
	EXPECT_EQ(0, tr_num(args, "moved"));
	EXPECT_EQ(dry.out_blocks_released, tr_num(args, "released"));
	ASSERT_TRUE(tr_next(&pos, "recompact_end", args, sizeof(args)));
	EXPECT_TRUE(tr_is(args, "scope", "fd")) TH_LOG("%s", args);
	EXPECT_EQ(run.out_pages_planned, tr_num(args, "planned"));
	EXPECT_EQ(run.out_pages_moved, tr_num(args, "moved"));
	EXPECT_EQ(run.out_blocks_released, tr_num(args, "released"));
	EXPECT_LT(0, tr_num(args, "duration_ns"));
	ASSERT_TRUE(tr_next(&pos, "recompact_end", args, sizeof(args)));
	EXPECT_EQ(cap.out_pages_moved, tr_num(args, "moved"));

	/* One page_move per page moved, all of the batches' class. */
	EXPECT_EQ(run.out_pages_moved + cap.out_pages_moved,
		  tr_count(self->buf, "page_move", NULL, NULL));
	EXPECT_EQ(tr_count(self->buf, "page_move", NULL, NULL),
		  tr_count(self->buf, "page_move", "class", "movable"));
	EXPECT_EQ(run.out_blocks_released + cap.out_blocks_released,
		  tr_count(self->buf, "block_release", "reason", "recompact"));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, ev_free(self->fd, a[i].out_handle));
}

/* Each refused request: limit_hit with the limit and the errno returned. */
TEST_F(tr, limits)
{
	struct fragalloc_alloc a;
	struct fragalloc_info in;
	char args[512], *pos;

	ASSERT_EQ(0, ev_info(self->fd, &in));
	ASSERT_EQ(0, tr_start());
	ASSERT_EQ(-EINVAL, ev_alloc(self->fd, in.out_max_batch_pages + 1,
				    FRAGALLOC_UNMOVABLE, 0, &a));
	ASSERT_EQ(0, ev_set_param("max_fd_pages", 16));
	ASSERT_EQ(-ENOSPC, ev_alloc(self->fd, 32, FRAGALLOC_UNMOVABLE, 0, &a));
	self->buf = tr_stop();
	ASSERT_NE(NULL, self->buf);

	pos = self->buf;
	ASSERT_TRUE(tr_next(&pos, "limit_hit", args, sizeof(args)));
	EXPECT_TRUE(tr_is(args, "limit", "batch")) TH_LOG("%s", args);
	EXPECT_EQ(EINVAL, tr_num(args, "errno"));
	ASSERT_TRUE(tr_next(&pos, "limit_hit", args, sizeof(args)));
	EXPECT_TRUE(tr_is(args, "limit", "fd")) TH_LOG("%s", args);
	EXPECT_EQ(ENOSPC, tr_num(args, "errno"));
	EXPECT_EQ(2, tr_count(self->buf, "limit_hit", NULL, NULL));
	EXPECT_EQ(0, tr_count(self->buf, "alloc", NULL, NULL));
}

/* drop_caches runs the shrinker: it gives the reserve back, and says so. */
TEST_F(tr, shrink)
{
	struct fragalloc_stats s0, s1;
	unsigned long long given = 0;
	struct fragalloc_alloc a;
	char args[512], *pos;

	/* Empty pageblocks stay in the reserve until the shrinker drains it. */
	ASSERT_EQ(0, ev_set_param("release_delay_ms", 600000));
	ASSERT_EQ(0, ev_alloc(self->fd, 4 * self->block_pages,
			      FRAGALLOC_UNMOVABLE, 0, &a));
	ASSERT_EQ(0, ev_free(self->fd, a.out_handle));
	ASSERT_EQ(0, ev_stats(self->fd, &s0));
	ASSERT_LT(0, s0.out_reserve_blocks);
	ASSERT_EQ(0, tr_start());
	ASSERT_EQ(0, ev_write("/proc/sys/vm/drop_caches", "2"));
	self->buf = tr_stop();
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, ev_stats(self->fd, &s1));

	pos = self->buf;
	while (tr_next(&pos, "shrink", args, sizeof(args))) {
		EXPECT_LT(0, tr_num(args, "asked"));
		given += tr_num(args, "given");
	}
	EXPECT_LT(0, given);
	EXPECT_EQ(s1.out_shrink_pages - s0.out_shrink_pages, given);
	EXPECT_LT(0, tr_count(self->buf, "block_release", "reason", "shrink"));
	EXPECT_EQ(s1.out_blocks_released - s0.out_blocks_released,
		  tr_count(self->buf, "block_release", "reason", "shrink"));
}

TEST_HARNESS_MAIN
