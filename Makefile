# SPDX-License-Identifier: GPL-2.0
#
# fragalloc top-level Makefile.
#
#   make            build the module for every installed target kernel, the
#                   library, the CLI and the tests
#   make demo       the original report's scenario, end to end, in a VM
#   make check      every test: host unit tests, style, sparse, VM selftests
#                   on Debian 6.1 and 6.12; last line "N passed, N failed"
#   make deps       install what the above need (called by demo and check)
#   make KDIR=...   build the module against one kernel tree only
#
# See README.md.

TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build

# Kernel versions to build for: all installed targets, or the one in KDIR.
ifneq ($(KDIR),)
KVERS	:= $(shell make -s -C $(KDIR) kernelrelease 2>/dev/null)
else
KVERS	:= $(shell $(TOP)/scripts/kvers.sh 2>/dev/null)
endif

all: modules lib tools selftests

deps:
	@$(TOP)/scripts/deps.sh

# The module is built in a per-kernel copy of driver/ and uapi/, so that the
# builds for several kernels do not overwrite each other.
modules:
	@for k in $(KVERS); do \
		$(TOP)/scripts/build-module.sh "$$k" $(if $(KDIR),"$(KDIR)") \
			|| exit 1; \
	done

lib:
	$(MAKE) -C libfragalloc O=$(BUILD)/lib

tools:
	$(MAKE) -C tools O=$(BUILD)/tools
	$(MAKE) -C tests/cli guest O=$(BUILD)/cli

selftests:
	$(MAKE) -C tests/selftests O=$(BUILD)/selftests

unit:
	$(MAKE) -C tests/unit check

check:
	@$(TOP)/scripts/check.sh

demo:
	@$(TOP)/scripts/demo.sh

fuzz:
	$(MAKE) -C tests/unit fuzz

bench-core:
	$(MAKE) -C tests/unit bench

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

install-module: modules
	@for k in $(KVERS); do \
		ko=$(BUILD)/kmod/$$k/driver/fragalloc.ko; \
		[ -f $$ko ] || continue; \
		install -D -m 0644 $$ko $(DESTDIR)/lib/modules/$$k/updates/fragalloc.ko; \
		echo "installed $(DESTDIR)/lib/modules/$$k/updates/fragalloc.ko"; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $$k; fi; \
	done

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C tests/unit clean

-include $(TOP)/mk/*.mk

.PHONY: all deps modules lib tools selftests unit check demo fuzz bench-core \
	install install-module clean
