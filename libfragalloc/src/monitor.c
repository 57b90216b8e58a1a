// SPDX-License-Identifier: MIT
/*
 * libfragalloc: the generic netlink family "fragalloc" through libnl-genl-3
 * (socket, family and group resolution, the GET_STATS request). Messages
 * are read from the socket directly and parsed by netlink.c, so that the
 * parsing the host tests check is the parsing used here.
 *
 * Without libnl (FA_HAVE_LIBNL undefined) the same functions exist and
 * return -EOPNOTSUPP: the library's ABI does not depend on how it was built.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

#ifdef FA_HAVE_LIBNL

#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

/* one datagram: the kernel's messages fit in NLMSG_GOODSIZE (<= 8 KiB) */
#define FA_NL_BUF		32768
#define FA_NL_STATS_TIMEOUT_MS	5000

struct fragalloc_monitor {
	struct nl_sock *sk;
	int family;
	int gone;		/* the family was removed: -ENODEV from now on */
	size_t fill, pos;	/* the datagram in buf, the next message */
	unsigned char buf[FA_NL_BUF];
};

/* libnl's NLE_* codes as the errnos this library returns */
static const struct { int nle, err; } nle_errnos[] = {
	{ NLE_INTR, EINTR },
	{ NLE_AGAIN, EAGAIN },
	{ NLE_NOMEM, ENOMEM },
	{ NLE_EXIST, EEXIST },
	{ NLE_INVAL, EINVAL },
	{ NLE_RANGE, ERANGE },
	{ NLE_MSGSIZE, EMSGSIZE },
	{ NLE_OPNOTSUPP, EOPNOTSUPP },
	{ NLE_AF_NOSUPPORT, EPROTONOSUPPORT },
	{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT },
	{ NLE_OBJ_NOTFOUND, ENOENT },
	{ NLE_BUSY, EBUSY },
	{ NLE_NOACCESS, EACCES },
	{ NLE_PERM, EPERM },
	{ NLE_NODEV, ENODEV },
};

static int nle_errno(int nle)
{
	if (nle < 0)
		nle = -nle;
	for (size_t i = 0; i < sizeof(nle_errnos) / sizeof(nle_errnos[0]); i++)
		if (nle_errnos[i].nle == nle)
			return -nle_errnos[i].err;
	return -EIO;
}

/*
 * Whether this kernel has generic netlink at all: libnl would say only
 * "failure". Without CONFIG_NET there are no socket calls (ENOSYS), without
 * netlink no AF_NETLINK (EAFNOSUPPORT): all three are EPROTONOSUPPORT here.
 */
static int genl_available(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int err = errno;

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (err == ENOSYS || err == EAFNOSUPPORT || err == EPROTONOSUPPORT)
		return -EPROTONOSUPPORT;
	return -err;
}

/* A connected generic netlink socket and the id of @name */
static int nl_open(const char *name, struct nl_sock **out, int *family)
{
	struct nl_sock *sk;
	int ret = genl_available();

	if (ret)
		return ret;
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (!ret)
		ret = genl_ctrl_resolve(sk, name);
	if (ret < 0) {
		nl_socket_free(sk);
		return nle_errno(ret);
	}
	*family = ret;
	*out = sk;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 readable, 0 @deadline (ms, -1: none) passed, -EINTR, -errno */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left = deadline < 0 ? -1 : deadline - now_ms();
	int ret;

	if (deadline >= 0 && left < 0)
		left = 0;
	ret = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
	if (ret < 0)
		return -errno;
	return ret > 0;
}

/*
 * One datagram into @buf: its length, -EAGAIN (nothing, or not from the
 * kernel: dropped), -ENOBUFS (the kernel dropped messages), -EBADMSG
 * (larger than @buf).
 */
static int recv_datagram(int fd, unsigned char *buf, size_t size)
{
	struct sockaddr_nl from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	n = recvfrom(fd, buf, size, MSG_DONTWAIT | MSG_TRUNC,
		     (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return errno == EINTR || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* only the kernel (port 0) speaks for the family */
	if (fromlen != sizeof(from) || from.nl_pid != 0)
		return -EAGAIN;
	if ((size_t)n > size)
		return -EBADMSG;
	return (int)n;
}

int fa_monitor_open_family(const char *name, const char *group,
			   struct fragalloc_monitor **out)
{
	struct fragalloc_monitor *m;
	int grp, ctrl, ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = nl_open(name, &m->sk, &m->family);
	if (ret) {
		free(m);
		return ret;
	}
	/* both resolved before joining: a multicast message amid libnl's own
	 * request and reply would fail its sequence check */
	grp = genl_ctrl_resolve_grp(m->sk, name, group);
	ctrl = genl_ctrl_resolve_grp(m->sk, "nlctrl", "notify");
	if (grp < 0)
		ret = nle_errno(grp);	/* no group: a module too old, ENOENT */
	else if ((ret = nl_socket_add_membership(m->sk, grp)) < 0)
		ret = nle_errno(ret);
	/* nlctrl's notifications tell that the module went away; optional */
	if (!ret && ctrl >= 0)
		nl_socket_add_membership(m->sk, ctrl);
	if (ret) {
		fragalloc_monitor_close(m);
		return ret;
	}
	*out = m;
	return 0;
}

FA_EXPORT int fragalloc_monitor_open(struct fragalloc_monitor **out)
{
	return fa_monitor_open_family(FRAGALLOC_GENL_NAME,
				      FRAGALLOC_GENL_MCGRP_EVENTS, out);
}

/* 1: *@ev from the buffered datagram; 0: none left; -errno */
static int buffered_event(struct fragalloc_monitor *m,
			  struct fragalloc_event *ev)
{
	int ret = fa_nl_next_event(m->buf, m->fill, &m->pos, m->family, ev);

	if (ret == -ENODEV)
		m->gone = 1;
	if (ret == 0)
		m->pos = m->fill = 0;
	return ret;
}

FA_EXPORT int fragalloc_monitor_next(struct fragalloc_monitor *m,
				     int timeout_ms,
				     struct fragalloc_event *ev)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int ret, fd;

	if (!m || !ev)
		return -EINVAL;
	fd = nl_socket_get_fd(m->sk);
	for (;;) {
		if (m->gone)
			return -ENODEV;
		ret = buffered_event(m, ev);
		if (ret)
			return ret;
		ret = wait_readable(fd, deadline);
		if (ret <= 0)
			return ret;
		ret = recv_datagram(fd, m->buf, sizeof(m->buf));
		if (ret == -EAGAIN)
			continue;
		if (ret < 0)
			return ret;
		m->fill = (size_t)ret;
		m->pos = 0;
	}
}

FA_EXPORT int fragalloc_monitor_fd(const struct fragalloc_monitor *m)
{
	return m ? nl_socket_get_fd(m->sk) : -EINVAL;
}

FA_EXPORT void fragalloc_monitor_close(struct fragalloc_monitor *m)
{
	if (!m)
		return;
	nl_socket_free(m->sk);
	free(m);
}

static int send_get_stats(struct nl_sock *sk, int family, int class_id,
			  uint32_t *seq)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret = -NLE_NOMEM;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
			 FRAGALLOC_NL_CMD_GET_STATS, FRAGALLOC_GENL_VERSION))
		goto out;
	if (class_id >= 0 &&
	    (ret = nla_put_u32(msg, FRAGALLOC_NL_A_CLASS_ID, (uint32_t)class_id)))
		goto out;
	nl_socket_disable_auto_ack(sk);	/* the reply is the answer */
	ret = nl_send_auto(sk, msg);
	*seq = nlmsg_hdr(msg)->nlmsg_seq;
out:
	nlmsg_free(msg);
	return ret < 0 ? nle_errno(ret) : 0;
}

/* 1 with *@out filled, 0 not the answer to @seq, -errno the answer */
static int stats_answer(const unsigned char *msg, size_t len, int family,
			uint32_t seq, struct fragalloc_nl_stats *out)
{
	struct nlmsghdr nh;
	struct nlmsgerr e;

	memcpy(&nh, msg, sizeof(nh));
	if (nh.nlmsg_seq != seq)
		return 0;
	if (nh.nlmsg_type == NLMSG_ERROR) {
		if (len < NLMSG_HDRLEN + sizeof(e))
			return -EBADMSG;
		memcpy(&e, msg + NLMSG_HDRLEN, sizeof(e));
		return e.error < 0 ? e.error : -EBADMSG;
	}
	if (nh.nlmsg_type != family)
		return 0;
	return fa_nl_stats_parse(msg, len, out) ?: 1;
}

/* The answer to @seq in a datagram: 1, 0 (not in it) or -errno */
static int stats_in(const unsigned char *buf, size_t fill, int family,
		    uint32_t seq, struct fragalloc_nl_stats *out)
{
	const unsigned char *msg;
	size_t pos = 0;
	int len, ret;

	while ((len = fa_nl_next_msg(buf, fill, &pos, &msg)) > 0) {
		ret = stats_answer(msg, (size_t)len, family, seq, out);
		if (ret)
			return ret;
	}
	return len;
}

static int recv_stats(struct nl_sock *sk, int family, uint32_t seq,
		      struct fragalloc_nl_stats *out)
{
	int64_t deadline = now_ms() + FA_NL_STATS_TIMEOUT_MS;
	unsigned char *buf = malloc(FA_NL_BUF);
	int fd = nl_socket_get_fd(sk), ret;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ret = wait_readable(fd, deadline);
		if (ret == -EINTR)
			continue;	/* the deadline still holds */
		if (ret <= 0) {
			ret = ret ? ret : -ETIMEDOUT;
			break;
		}
		ret = recv_datagram(fd, buf, FA_NL_BUF);
		if (ret == -EAGAIN)
			continue;
		if (ret >= 0)
			ret = stats_in(buf, (size_t)ret, family, seq, out);
		if (ret)
			break;
	}
	free(buf);
	return ret < 0 ? ret : 0;
}

int fa_nl_stats_family(const char *name, int class_id,
		       struct fragalloc_nl_stats *out)
{
	struct nl_sock *sk;
	uint32_t seq = 0;
	int family, ret;

	if (!out)
		return -EINVAL;
	if (class_id < -1 || class_id >= FRAGALLOC_NR_MOBILITY)
		return -ERANGE;
	ret = nl_open(name, &sk, &family);
	if (ret)
		return ret;
	ret = send_get_stats(sk, family, class_id, &seq);
	if (!ret)
		ret = recv_stats(sk, family, seq, out);
	nl_socket_free(sk);
	return ret;
}

FA_EXPORT int fragalloc_nl_stats(int class_id, struct fragalloc_nl_stats *out)
{
	return fa_nl_stats_family(FRAGALLOC_GENL_NAME, class_id, out);
}

#else /* !FA_HAVE_LIBNL */

FA_EXPORT int fragalloc_monitor_open(struct fragalloc_monitor **out)
{
	if (out)
		*out = NULL;
	return out ? -EOPNOTSUPP : -EINVAL;
}

FA_EXPORT int fragalloc_monitor_next(struct fragalloc_monitor *m,
				     int timeout_ms,
				     struct fragalloc_event *ev)
{
	(void)timeout_ms;
	return m && ev ? -EOPNOTSUPP : -EINVAL;
}

FA_EXPORT int fragalloc_monitor_fd(const struct fragalloc_monitor *m)
{
	return m ? -EOPNOTSUPP : -EINVAL;
}

FA_EXPORT void fragalloc_monitor_close(struct fragalloc_monitor *m)
{
	free(m);
}

FA_EXPORT int fragalloc_nl_stats(int class_id, struct fragalloc_nl_stats *out)
{
	(void)class_id;
	return out ? -EOPNOTSUPP : -EINVAL;
}

#endif /* FA_HAVE_LIBNL */
