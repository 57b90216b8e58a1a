# SPDX-License-Identifier: GPL-2.0
#
# fragalloc top-level Makefile.
#
#   make            build what this machine can: the module for every kernel
#                   that has headers in /lib/modules/*/build, the library, the
#                   CLI, and the selftests if `make deps` fetched their
#                   headers; ends with a report of what was built and skipped
#   make demo       the original report's scenario, end to end, in a VM
#   make check      every test: host unit tests, style, sparse, VM selftests
#                   on Debian 6.1 and 6.12; last line "N passed, N failed,
#                   N skipped"
#   make deps       install what the above need (called by demo and check)
#   make modules KDIR=...
#                   build the module against one kernel tree only (fails,
#                   naming the headers package, if KDIR is not one)
#   make deb        Debian packages (mk/pkg.mk)
#
# See README.md.

# The one version of fragalloc. The library (soname file, fragalloc_version(),
# libfragalloc/include/fragalloc_version.h), the CLI, fragalloc.pc, dkms.conf
# and the Debian packages all take it from here: `make version` writes it
# into the files that carry it, `make check-version` fails if one disagrees.
VERSION	:= 1.2.0

TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
MODROOT	?= /lib/modules
KSFT	?= $(TOP)/.cache/ksrc/tools/testing/selftests
RUNNING	:= $(shell uname -r)

# Kernel releases to build the module for. With KDIR, the one that tree
# builds for: V for MODROOT/V/build (Debian's 6.1 headers answer "6.1.192" to
# `make kernelrelease`, not their directory's name), else the tree's own
# answer. Without KDIR, every kernel with a build tree in MODROOT.
ifneq ($(KDIR),)
KDIR_DIR := $(patsubst %/,%,$(KDIR))
KDIR_OK	:= $(and $(wildcard $(KDIR_DIR)/Makefile),$(wildcard $(KDIR_DIR)/.config))
KDIR_GUESS := $(patsubst $(MODROOT)/%/build,%,$(filter $(MODROOT)/%/build,$(KDIR_DIR)))
KVERS	:= $(if $(KDIR_OK),$(or $(KDIR_GUESS),$(shell $(MAKE) -s -C $(KDIR_DIR) kernelrelease 2>/dev/null)))
HDRPKG	:= linux-headers-$(or $(KDIR_GUESS),$(RUNNING))
else
KVERS	:= $(patsubst $(MODROOT)/%/build/Makefile,%,$(wildcard $(MODROOT)/*/build/Makefile))
HDRPKG	:= linux-headers-$(RUNNING)
endif
HAVE_KSFT := $(wildcard $(KSFT)/kselftest_harness.h)

# With KDIR, `make` fails with the modules target if the tree is unusable.
all: $(if $(KDIR)$(KVERS),modules) lib tools $(if $(HAVE_KSFT),selftests)
	@echo "fragalloc: built:"
	@$(foreach k,$(KVERS),echo "  module for $(k): build/kmod/$(k)/driver/fragalloc.ko";)
	@echo "  library: build/lib/libfragalloc.so.$(VERSION), libfragalloc.a, fragalloc.pc"
	@echo "  CLI: build/tools/fragalloc"
	@$(if $(HAVE_KSFT),echo "  selftests: build/selftests")
	@$(if $(KVERS),,echo "fragalloc: skipped the module: no kernel build tree in $(MODROOT)/*/build (apt-get install $(HDRPKG))")
	@$(if $(or $(KDIR),$(filter $(RUNNING),$(KVERS))),,$(if $(KVERS),echo "fragalloc: skipped the module for the running kernel $(RUNNING): no $(MODROOT)/$(RUNNING)/build (apt-get install $(HDRPKG))"))
	@$(if $(HAVE_KSFT),,echo "fragalloc: skipped the selftests: they need the kselftest harness from linux-source-6.12 ($(KSFT:$(TOP)/%=%)/kselftest_harness.h is missing): run \`make deps\` (or set KSFT=DIR)")

deps:
	@$(TOP)/scripts/deps.sh

# The module is built in a per-kernel copy of driver/ and uapi/, so that the
# builds for several kernels do not overwrite each other.
modules:
ifneq ($(KDIR),)
	@$(if $(KVERS),:,echo "fragalloc: KDIR=$(KDIR) is not a kernel build tree" \
		"($(if $(wildcard $(KDIR_DIR)/.),$(if $(wildcard $(KDIR_DIR)/Makefile),no .config$(comma) or make kernelrelease failed,no Makefile),no such directory))." \
		"Install the headers of $(if $(KDIR_GUESS),that kernel,the kernel to build for$(comma) e.g. the running one): apt-get install $(HDRPKG)" >&2; exit 1)
else
	@$(if $(KVERS),:,echo "fragalloc: no kernel build tree in $(MODROOT)/*/build, so no module can be built." \
		"Install the headers of the running kernel: apt-get install $(HDRPKG) (or pass KDIR=)" >&2; exit 1)
endif
	@for k in $(KVERS); do \
		$(TOP)/scripts/build-module.sh "$$k" $(if $(KDIR),"$(KDIR)") \
			|| exit 1; \
	done

lib: version
	$(MAKE) -C libfragalloc O=$(BUILD)/lib

tools: version
	$(MAKE) -C tools O=$(BUILD)/tools
	$(MAKE) -C tests/cli guest O=$(BUILD)/cli

selftests:
	$(MAKE) -C tests/selftests O=$(BUILD)/selftests

# The portable core's host programs (tests/core), built into build/core.
unit:
	$(MAKE) -C tests/core check O=$(BUILD)/core

check:
	@$(TOP)/scripts/check.sh

demo:
	@$(TOP)/scripts/demo.sh

fuzz-core:
	$(MAKE) -C tests/core fuzz O=$(BUILD)/core

fuzz: fuzz-core

bench-core:
	$(MAKE) -C tests/core bench O=$(BUILD)/core

PREFIX	?= /usr/local
DOCDIR	:= $(DESTDIR)$(PREFIX)/share/doc/fragalloc

# Library, headers, pkg-config file, CLI, man pages, the udev rule and the
# modprobe.d example (as examples: the rule names a group you create), and
# the module for every kernel it was built for (install-module).
install: install-module
	$(MAKE) -C libfragalloc install O=$(BUILD)/lib
	$(MAKE) -C tools install O=$(BUILD)/tools
	install -d $(DOCDIR)/examples
	install -m 0644 packaging/99-fragalloc.rules packaging/fragalloc.conf \
		$(DOCDIR)/examples/
	install -m 0644 README.md docs/ABI.md $(DOCDIR)/

install-module: $(if $(KDIR)$(KVERS),modules)
	@for k in $(KVERS); do \
		ko=$(BUILD)/kmod/$$k/driver/fragalloc.ko; \
		[ -f $$ko ] || continue; \
		install -D -m 0644 $$ko $(DESTDIR)/lib/modules/$$k/updates/fragalloc.ko; \
		echo "installed $(DESTDIR)/lib/modules/$$k/updates/fragalloc.ko"; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $$k; fi; \
	done

clean:
	rm -rf $(BUILD)

# The files that carry VERSION, rewritten only where they differ:
# dkms.conf's PACKAGE_VERSION and libfragalloc/include/fragalloc_version.h.
version:
	@grep -qx 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || \
		{ sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' dkms.conf && \
		  echo "  GEN dkms.conf ($(VERSION))"; }
	@$(MAKE) -s -C libfragalloc version-header

comma	:= ,

-include $(TOP)/mk/*.mk

.PHONY: all deps modules lib tools selftests unit check demo fuzz fuzz-core bench-core \
	install install-module clean version
