# SPDX-License-Identifier: MIT
#
# The common head of the tests' Makefiles (tests/cli, tests/lib), included
# once they have set SRCDIR to their own directory:
#   TOP   the source tree
#   OUT   the build directory: O=DIR, else SRCDIR/build
#   CC    the compiler (default cc)

MAKEFLAGS += --no-print-directory

TOP ?= $(abspath $(SRCDIR)/../..)

ifeq ($(O),)
OUT := $(SRCDIR)/build
else
OUT := $(abspath $(O))
endif

CC ?= cc
