# SPDX-License-Identifier: MIT
#
# Whether libfragalloc is built with libnl-genl-3 (the netlink monitor),
# included by libfragalloc/Makefile and tools/Makefile so that both agree.
#   FA_NO_LIBNL=1   build without it even where it is installed (the
#                   monitor functions then return -EOPNOTSUPP)
#   PKG_CONFIG=...  the pkg-config to ask (e.g. a cross one)
# Sets FA_LIBNL (1 or empty), FA_LIBNL_CFLAGS, FA_LIBNL_LIBS (shared link)
# and FA_LIBNL_STATIC_LIBS (for -static programs).
PKG_CONFIG ?= pkg-config
FA_LIBNL_PC := libnl-genl-3.0

ifeq ($(FA_NO_LIBNL),)
FA_LIBNL := $(shell $(PKG_CONFIG) --exists $(FA_LIBNL_PC) 2>/dev/null && echo 1)
endif
ifeq ($(FA_LIBNL),1)
FA_LIBNL_CFLAGS := -DFA_HAVE_LIBNL $(shell $(PKG_CONFIG) --cflags $(FA_LIBNL_PC))
FA_LIBNL_LIBS := $(shell $(PKG_CONFIG) --libs $(FA_LIBNL_PC))
FA_LIBNL_STATIC_LIBS := $(shell $(PKG_CONFIG) --static --libs $(FA_LIBNL_PC))
else
FA_LIBNL_CFLAGS :=
FA_LIBNL_LIBS :=
FA_LIBNL_STATIC_LIBS :=
endif
