/* SPDX-License-Identifier: MIT */
/* Generated from VERSION in the top-level Makefile by `make version`; do not edit. */
#ifndef FRAGALLOC_VERSION_H
#define FRAGALLOC_VERSION_H

#define FRAGALLOC_LIB_VERSION_MAJOR	1
#define FRAGALLOC_LIB_VERSION_MINOR	2
#define FRAGALLOC_LIB_VERSION_PATCH	0
/* what fragalloc_version() returns */
#define FRAGALLOC_LIB_VERSION		"1.2.0"

#endif
