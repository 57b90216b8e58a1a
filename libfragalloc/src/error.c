// SPDX-License-Identifier: MIT
/*
 * libfragalloc: error messages and hints in fragalloc's terms.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int norm(int err)
{
	return err < 0 ? -err : err;
}

FA_EXPORT const char *fragalloc_strerror(int err)
{
	switch (norm(err)) {
	case 0:
		return "success";
	case ENOENT:
		return "unknown batch handle for this file descriptor";
	case ENOMEM:
		return "the system could not provide the pages";
	case EDQUOT:
		return "the pages would exceed RLIMIT_MEMLOCK";
	case ENOSPC:
		return "the pages would exceed a module limit (max_fd_pages or max_total_pages)";
	case EPERM:
		return "pool-wide recompaction needs CAP_SYS_ADMIN";
	case EINTR:
		return "interrupted by a fatal signal (allocation rolled back)";
	case E2BIG:
		return "the kernel module is older than the library for this call";
	case EOPNOTSUPP:
		return "the kernel module does not support a feature asked for";
	case ENOTTY:
		return "not a fragalloc device, or the module is too old";
	case ENODEV:
		return "the fragalloc module is not loaded";
	case EACCES:
		return "no access to /dev/fragalloc";
	case EINVAL:
		return "invalid argument (page count, class, policy, scope or flags)";
	case ENXIO:
		return "the mapping is not inside a live batch of this file descriptor";
	case EBADMSG:
		return "malformed or truncated /proc/buddyinfo or /proc/pagetypeinfo";
	case ERANGE:
		return "more page orders or migrate types than the library supports";
	case EFBIG:
		return "/proc table larger than the library accepts";
	default:
		return strerror(norm(err));
	}
}

FA_EXPORT const char *fragalloc_open_strerror(int err)
{
	switch (norm(err)) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return "the fragalloc module is not loaded (no device)";
	case EACCES:
	case EPERM:
		return "no access to the fragalloc device";
	case ENOTTY:
		return "not a fragalloc device, or the module is too old";
	default:
		return fragalloc_strerror(err);
	}
}

FA_EXPORT const char *fragalloc_hint(int err, int on_open)
{
	switch (norm(err)) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		if (on_open)
			return "is the module loaded? (modprobe fragalloc)";
		if (norm(err) == ENOENT)
			return "the handle was never allocated, already freed, or belongs to another fd";
		return NULL;
	case EACCES:
	case EPERM:
		if (on_open)
			return "join the group owning /dev/fragalloc (see the udev rule) or run as root";
		return norm(err) == EPERM ?
			"pool-wide recompaction needs root (CAP_SYS_ADMIN); use --scope fd" : NULL;
	case EDQUOT:
		return "RLIMIT_MEMLOCK exceeded: raise it with 'ulimit -l' (or limits.conf) or grant CAP_IPC_LOCK";
	case ENOSPC:
		return "module limit reached: raise the max_fd_pages / max_total_pages module parameters (/sys/module/fragalloc/parameters/)";
	case ENOTTY:
		if (on_open)
			return "check the device path; if it is /dev/fragalloc, the module is older than the library (see 'fragalloc version' and 'fragalloc info')";
		/* fall through */
	case E2BIG:
	case EOPNOTSUPP:
		return "library/module version mismatch: update the fragalloc module to match the library (see 'fragalloc version')";
	case ENOMEM:
		return on_open ? NULL : "not enough free memory; try a smaller size or --best-effort";
	case EBADMSG:
		return "the /proc format was not recognised; please report it with the file attached";
	default:
		return NULL;
	}
}
